/**
 * The pipeline, named once: a flat list of stages over one link context,
 * each establishing what the next one reads (Go's `ld.Main`, mold's
 * `main.cc`). `-v` prints each stage's time.
 */
import { rmSync } from "node:fs";
import type { LinkContext } from "@tsld/core";
import { emitDwarf } from "@tsld/dwarf";
import { layoutData } from "@tsld/layout";
import { writeMachO, writeMap } from "@tsld/macho";
import { loadObjects } from "@tsld/objfile";

export async function link(ctx: LinkContext): Promise<void> {
  if (ctx.options.linkmode === "external") {
    // The host linker does the whole link (Go's hostlink); loaded only when used.
    const { hostlink } = await import("@tsld/hostlink");
    hostlink(ctx);
    ctx.diag.checkpoint();
    return;
  }
  // Every input read into one symbol table; archive members pulled; undefined symbols reported.
  loadObjects(ctx);
  ctx.diag.checkpoint();
  // Live atoms in output sections; GOT/stubs; every address final.
  layoutData(ctx);
  ctx.diag.checkpoint();
  // __DWARF sections merged from the inputs, with output addresses; __LINKEDIT placed after them.
  emitDwarf(ctx);
  ctx.diag.checkpoint();
  // The Mach-O image written (header, load commands, sections, __LINKEDIT) and renamed into place.
  writeMachO(ctx);
  ctx.diag.checkpoint();
  // The link map, if asked for; if it cannot be written the link fails, and leaves no output.
  if (ctx.options.mapFile) {
    try {
      writeMap(ctx, ctx.options.mapFile);
    } catch (e) {
      rmSync(ctx.options.output, { force: true });
      throw e;
    }
  }
}
