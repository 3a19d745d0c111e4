/**
 * Which architecture a link is for. `-arch` names it; without `-arch` the
 * first input object says (its `cputype`, or the first object member of an
 * archive), as ld64 does, and failing that x86_64. Every later object must
 * match: a mix is an error naming both files (the one that decided and the
 * one that differs). Fat (universal) inputs give the slice for the link's
 * arch. The choice also settles the ad-hoc signature default
 * (`defaultAdhocCodesign`: on for arm64) when the command line left it open.
 */
import { readFileSync } from "node:fs";
import { type LinkContext, defaultAdhocCodesign, targetForCpu, targetForName } from "@tsld/core";
import { CPU_TYPE_ARM64, CPU_TYPE_X86_64, MH_MAGIC_64 } from "@tsld/macho-format";
import { isArchive, parseArchive } from "./archive.js";

/** Who chose each link's arch: `-arch NAME`, or the input path that decided it. */
const chosenBy = new WeakMap<LinkContext, string>();

/** The arch's name in messages: `-arch` or the file that fixed it. */
export function archSource(ctx: LinkContext): string {
  return chosenBy.get(ctx) ?? `-arch ${ctx.options.arch}`;
}

/** The CPU type of a thin Mach-O object or an archive's first object member, else undefined. */
function sniffCpu(data: Uint8Array): number | undefined {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length >= 8 && dv.getUint32(0, true) === MH_MAGIC_64) return dv.getUint32(4, true);
  if (isArchive(data)) {
    try {
      for (const m of parseArchive(data).members) {
        const c = sniffCpu(data.subarray(m.offset, m.offset + m.size));
        if (c !== undefined) return c;
      }
    } catch {
      // a bad archive is reported when it is loaded
    }
  }
  return undefined;
}

/**
 * Sets `ctx.options.arch` (when `-arch` was not given) and `ctx.target`,
 * and resolves the signature default. Unreadable inputs are skipped here
 * (loading reports them).
 */
export function chooseArch(ctx: LinkContext): void {
  const o = ctx.options;
  if (!o.archExplicit) {
    for (const path of o.inputs) {
      let data: Uint8Array;
      try {
        data = readFileSync(path);
      } catch {
        continue;
      }
      const cpu = sniffCpu(data);
      if (cpu === undefined) continue;
      const t = targetForCpu(cpu);
      if (t) {
        o.arch = t.name;
        chosenBy.set(ctx, path);
      }
      break;
    }
  }
  const t = targetForName(o.arch);
  if (t) ctx.target = t;
  o.adhocCodesign ??= defaultAdhocCodesign(o.arch);
}

/** A CPU type's arch name as `-arch` spells it. */
export function cpuArchName(cputype: number): string {
  if (cputype === CPU_TYPE_X86_64) return "x86_64";
  if (cputype === CPU_TYPE_ARM64) return "arm64";
  return `CPU type 0x${(cputype >>> 0).toString(16)}`;
}
