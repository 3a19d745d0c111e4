/**
 * The whole layout stage in one call, for those who use `@tsld/layout` on
 * its own (and for tests): the same passes, in the same order, as
 * `apps/tsld/src/link.ts` runs one by one under their own timers. Errors
 * accumulate in `ctx.diag`; it stops at the checkpoint after the
 * relocation scan and at its end.
 */
import type { LinkContext } from "@tsld/core";
import { deadStrip } from "./deadstrip.js";
import { finalizeFixups } from "./fixups.js";
import {
  alignTlvTemplate,
  assignAddresses,
  buildSegments,
  chooseTarget,
  collectExports,
  createSynthetic,
  numberDylibs,
} from "./layout.js";
import { planLoadCommands } from "./load-commands.js";
import { scanRelocations } from "./scan.js";
import { SectionMap, allocateCommons, assignSections } from "./sections.js";
import { collectUnwind, planUnwind, pruneUnwind } from "./unwind.js";

/** Every layout pass: live atoms in output sections, synthetic sections, final addresses, exports, fixups. */
export function layoutData(ctx: LinkContext): void {
  chooseTarget(ctx);
  allocateCommons(ctx);
  const unwindAssoc = collectUnwind(ctx);
  if (ctx.options.deadStrip) deadStrip(ctx, unwindAssoc);
  pruneUnwind(ctx);
  const map = new SectionMap();
  assignSections(ctx, map);
  scanRelocations(ctx);
  ctx.diag.checkpoint();
  createSynthetic(ctx, map);
  planUnwind(ctx, map);
  numberDylibs(ctx);
  buildSegments(ctx, map);
  alignTlvTemplate(ctx);
  planLoadCommands(ctx);
  assignAddresses(ctx);
  collectExports(ctx);
  finalizeFixups(ctx);
  ctx.diag.checkpoint();
}
