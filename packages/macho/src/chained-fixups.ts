/**
 * `LC_DYLD_CHAINED_FIXUPS`'s blob (Apple `mach-o/fixup-chains.h`; lld's
 * `ChainedFixupsSection`), `DYLD_CHAINED_PTR_64_OFFSET` pages: the header,
 * per-segment page starts and the imports table, which `macho-format`'s
 * `encodeChainedFixups` lays out. Every bind names an import, deduplicated
 * by (ordinal, name, weak, outline addend); an addend of 0..255 rides inline
 * in the slot, any other goes into the import (DYLD_CHAINED_IMPORT_ADDEND or
 * _ADDEND64), as lld does.
 *
 * Besides the blob, chains live in the slots themselves: once the sections
 * are written, `applyTo` rewrites every fixup slot as a chain entry (a
 * rebase's target is read from the slot: the pointer layout wrote, less the
 * image base). A slot chains cannot hold (misaligned, overlapping) is an
 * error that suggests `-no_fixup_chains`.
 */
import type { LinkContext, LinkEditChunk } from "@tsld/core";
import {
  type BindEntry,
  type ChainedFixupsInput,
  type ChainedSegmentStarts,
  type ChainedSlots,
  DYLD_CHAINED_PTR_64_OFFSET,
  DYLD_CHAINED_PTR_START_NONE,
  encodeChainedPayload,
  writeChainedSlots,
} from "@tsld/macho-format";

const TWO_POW_32 = 0x100000000;

export class ChainedFixupsSection implements LinkEditChunk {
  readonly align = 8;
  off = 0;
  /** Every fixup slot, rebases and binds merged in (segment, offset) order; a bind's words are final, a rebase's come from `applyTo`. */
  private readonly slots: ChainedSlots;
  /** Per slot: whether it is a rebase. */
  private readonly rebase: Uint8Array;
  private readonly bytes: Uint8Array;

  private readonly ctx: LinkContext;
  /** `rebases`: VM addresses, ascending (`splitFixups`). */
  constructor(ctx: LinkContext, rebases: Float64Array, binds: readonly BindEntry[]) {
    this.ctx = ctx;
    const { imports, slots, rebase } = planChains(ctx, rebases, binds);
    this.slots = slots;
    this.rebase = rebase;
    this.bytes = this.encode(imports);
  }

  size(): number {
    return this.bytes.length;
  }

  writeTo(buf: Uint8Array, off: number): void {
    buf.set(this.bytes, off);
  }

  /** Rewrites every fixup slot of the written sections in `out` (the whole image) as a chain entry. */
  applyTo(out: Uint8Array): void {
    const ctx = this.ctx;
    const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
    const base = ctx.synth.imageBase;
    const { count, segIndex, segOffset, lo, hi } = this.slots;
    try {
      // A rebase's target: the pointer layout wrote, less the image base (DYLD_CHAINED_PTR_64_OFFSET).
      for (let i = 0; i < count; i++) {
        if (!this.rebase[i]) continue;
        const at = ctx.segments[segIndex[i]!]!.fileoff + segOffset[i]!;
        const target = dv.getUint32(at + 4, true) * TWO_POW_32 + dv.getUint32(at, true) - base;
        if (target < 0 || target >= 2 ** 36)
          throw new RangeError(`chained rebase target 0x${target.toString(16)} does not fit 36 bits`);
        const tHi = Math.floor(target / TWO_POW_32);
        lo[i] = target - tHi * TWO_POW_32;
        hi[i] = tHi;
      }
      writeChainedSlots(out, ctx.segments, ctx.target.pageSize, this.slots);
    } catch (e) {
      ctx.diag.error(`chained fixups: ${(e as Error).message} (link with -no_fixup_chains)`);
    }
  }

  private encode(imports: ChainedFixupsInput["imports"]): Uint8Array {
    const ctx = this.ctx;
    try {
      if (imports.length > 0x1000000)
        throw new RangeError(`chained bind import index ${imports.length - 1} out of range`);
      const starts = pageStarts(ctx, this.slots);
      return encodeChainedPayload(
        {
          pointerFormat: DYLD_CHAINED_PTR_64_OFFSET,
          pageSize: ctx.target.pageSize,
          imageBase: ctx.synth.imageBase,
          segments: ctx.segments,
          imports,
        },
        starts,
      );
    } catch (e) {
      ctx.diag.error(`chained fixups: ${(e as Error).message} (link with -no_fixup_chains)`);
      return new Uint8Array(0);
    }
  }
}

/**
 * The chain plan: imports deduplicated (by ordinal, weak flag, outline addend
 * and name, in bind address order), and every slot (rebases located in
 * their segments, binds with their import and inline addend) in (segment,
 * offset) order, a rebase before a bind at the same place.
 */
function planChains(
  ctx: LinkContext,
  rebases: Float64Array,
  binds: readonly BindEntry[],
): { imports: ChainedFixupsInput["imports"][number][]; slots: ChainedSlots; rebase: Uint8Array } {
  const segs = ctx.segments;
  const imports: ChainedFixupsInput["imports"][number][] = [];
  const importIndex = new Map<string, number>();
  const sorted = [...binds].sort((a, b) => a.segIndex - b.segIndex || a.segOffset - b.segOffset);
  const nb = sorted.length;
  const bindWord = new Uint32Array(nb);
  for (let k = 0; k < nb; k++) {
    const b = sorted[k]!;
    const outline = b.addend < 0 || b.addend > 0xff ? b.addend : 0;
    const key = `${b.ordinal}\0${b.flags}\0${outline}\0${b.symbol}`;
    let i = importIndex.get(key);
    if (i === undefined) {
      i = imports.push({ libOrdinal: b.ordinal, weakImport: b.flags !== 0, name: b.symbol, addend: outline }) - 1;
      importIndex.set(key, i);
    }
    bindWord[k] = (i | ((b.addend - outline) << 24)) >>> 0;
  }
  // Rebases (ascending addresses) located in their segments.
  const nr = rebases.length;
  const rSeg = new Int32Array(nr);
  const rOff = new Float64Array(nr);
  let si = 0;
  let inOrder = true;
  for (let k = 0; k < nr; k++) {
    const a = rebases[k]!;
    if (!(si < segs.length && a >= segs[si]!.vmaddr && a < segs[si]!.vmaddr + segs[si]!.vmsize)) {
      const prev = si;
      si = segs.findIndex((s) => a >= s.vmaddr && a < s.vmaddr + s.vmsize);
      if (si < 0) throw new Error(`internal error: address 0x${a.toString(16)} is in no segment`);
      if (si < prev) inOrder = false;
    }
    rSeg[k] = si;
    rOff[k] = a - segs[si]!.vmaddr;
  }
  let rOrder: Int32Array | undefined;
  if (!inOrder) {
    rOrder = Int32Array.from({ length: nr }, (_, k) => k).sort((x, y) => rSeg[x]! - rSeg[y]! || rOff[x]! - rOff[y]!);
  }
  // Merge: a rebase first on equal (segment, offset), as a stable sort of rebases then binds puts it.
  const n = nr + nb;
  const slots: ChainedSlots = {
    count: n,
    segIndex: new Int32Array(n),
    segOffset: new Float64Array(n),
    lo: new Uint32Array(n),
    hi: new Uint32Array(n),
  };
  const rebase = new Uint8Array(n);
  let r = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    const rk = r < nr ? (rOrder ? rOrder[r]! : r) : -1;
    const bk = b < nb ? sorted[b]! : undefined;
    const takeRebase =
      rk >= 0 && (!bk || rSeg[rk]! < bk.segIndex || (rSeg[rk] === bk.segIndex && rOff[rk]! <= bk.segOffset));
    if (takeRebase) {
      slots.segIndex[i] = rSeg[rk]!;
      slots.segOffset[i] = rOff[rk]!;
      rebase[i] = 1;
      r++;
    } else {
      slots.segIndex[i] = bk!.segIndex;
      slots.segOffset[i] = bk!.segOffset;
      slots.lo[i] = bindWord[b]!;
      slots.hi[i] = 0x80000000;
      b++;
    }
  }
  return { imports, slots, rebase };
}

/**
 * Each segment's page starts, checking every slot: 4-aligned, inside its
 * segment, within one page, not overlapping the previous one. Throws
 * RangeError (as macho-format's `encodeChainedFixups`) for the first that is not.
 */
function pageStarts(ctx: LinkContext, slots: ChainedSlots): ChainedSegmentStarts[] {
  const pageSize = ctx.target.pageSize;
  const { count, segIndex, segOffset } = slots;
  const plans: ChainedSegmentStarts[] = [];
  let plan: ChainedSegmentStarts | undefined;
  for (let i = 0; i < count; i++) {
    const si = segIndex[i]!;
    const o = segOffset[i]!;
    const seg = ctx.segments[si]!;
    if (o % 4 !== 0)
      throw new RangeError(`chained fixup at segment ${si} offset 0x${o.toString(16)} is not 4-byte aligned`);
    if (o < 0 || o + 8 > seg.vmsize)
      throw new RangeError(`chained fixup at segment ${si} offset 0x${o.toString(16)} is outside the segment`);
    const page = Math.floor(o / pageSize);
    if (page !== Math.floor((o + 7) / pageSize))
      throw new RangeError(`chained fixup at segment ${si} offset 0x${o.toString(16)} straddles a page boundary`);
    if (plan?.segIndex !== si) {
      const pageCount = Math.ceil(seg.vmsize / pageSize);
      plan = { segIndex: si, pageCount, pageStarts: new Uint16Array(pageCount).fill(DYLD_CHAINED_PTR_START_NONE) };
      plans.push(plan);
    } else if (o - segOffset[i - 1]! < 8) {
      throw new RangeError(`overlapping chained fixups at segment ${si} offset 0x${o.toString(16)}`);
    }
    if (plan.pageStarts[page] === DYLD_CHAINED_PTR_START_NONE) plan.pageStarts[page] = o - page * pageSize;
  }
  return plans;
}
