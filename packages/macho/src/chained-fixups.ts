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
  DYLD_CHAINED_PTR_64_OFFSET,
  applyChainedFixups,
  encodeChainedFixups,
} from "@tsld/macho-format";
import { segmentLocator } from "./dyld-info.js";

export class ChainedFixupsSection implements LinkEditChunk {
  readonly align = 8;
  off = 0;
  private readonly input: ChainedFixupsInput;
  private readonly bytes: Uint8Array;

  private readonly ctx: LinkContext;
  constructor(ctx: LinkContext, rebases: readonly number[], binds: readonly BindEntry[]) {
    this.ctx = ctx;
    this.input = planChains(ctx, rebases, binds);
    this.bytes = this.encode();
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
    const rebases = this.input.rebases.map((r) => {
      const seg = ctx.segments[r.segIndex]!;
      const target = Number(dv.getBigUint64(seg.fileoff + r.segOffset, true)) - base;
      return { ...r, target };
    });
    try {
      applyChainedFixups(out, { ...this.input, rebases });
    } catch (e) {
      ctx.diag.error(`chained fixups: ${(e as Error).message} (link with -no_fixup_chains)`);
    }
  }

  private encode(): Uint8Array {
    try {
      return encodeChainedFixups(this.input);
    } catch (e) {
      this.ctx.diag.error(`chained fixups: ${(e as Error).message} (link with -no_fixup_chains)`);
      return new Uint8Array(0);
    }
  }
}

/** The chain plan: imports deduplicated, binds sorted by address, rebase targets filled in later by `applyTo`. */
function planChains(ctx: LinkContext, rebases: readonly number[], binds: readonly BindEntry[]): ChainedFixupsInput {
  const segIndexOf = segmentLocator(ctx);
  const imports: ChainedFixupsInput["imports"][number][] = [];
  const importIndex = new Map<string, number>();
  const chainBinds: { segIndex: number; segOffset: number; importIndex: number; addend: number }[] = [];
  const sorted = [...binds].sort((a, b) => a.segIndex - b.segIndex || a.segOffset - b.segOffset);
  for (const b of sorted) {
    const outline = b.addend < 0 || b.addend > 0xff ? b.addend : 0;
    const key = `${b.ordinal}\0${b.flags}\0${outline}\0${b.symbol}`;
    let k = importIndex.get(key);
    if (k === undefined) {
      k = imports.push({ libOrdinal: b.ordinal, weakImport: b.flags !== 0, name: b.symbol, addend: outline }) - 1;
      importIndex.set(key, k);
    }
    chainBinds.push({ segIndex: b.segIndex, segOffset: b.segOffset, importIndex: k, addend: b.addend - outline });
  }
  return {
    pointerFormat: DYLD_CHAINED_PTR_64_OFFSET,
    pageSize: ctx.target.pageSize,
    imageBase: ctx.synth.imageBase,
    segments: ctx.segments,
    imports,
    rebases: [...rebases].sort((a, b) => a - b).map((addr) => ({ ...segIndexOf(addr), target: 0 })),
    binds: chainBinds,
  };
}
