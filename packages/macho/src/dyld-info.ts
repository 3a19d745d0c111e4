/**
 * The dyld-info blobs of `__LINKEDIT` (Apple `mach-o/loader.h`,
 * `dyld_info_command`; lld's `RebaseSection`, `BindingSection`,
 * `WeakBindingSection`, `LazyBindingSection`, `ExportSection`): the rebase,
 * bind, weak-bind and lazy-bind opcode streams that `LC_DYLD_INFO_ONLY`
 * points at, and the export trie (also `LC_DYLD_EXPORTS_TRIE`'s blob with
 * chained fixups).
 *
 * All four streams come from layout's one typed fixup list
 * (`ctx.fixups`): `splitFixups` turns each entry into the (segment index,
 * segment offset, ordinal, name) record the encoders in `macho-format`
 * take; chained fixups read the same split (`chained-fixups.ts`). Each
 * blob encodes in its constructor (its size is then known) and copies its
 * bytes in `writeTo`. The lazy-bind stream also tells the stub helper where
 * each stub's entry starts (`offsets`).
 */
import { FixupKind, type LinkContext, type LinkEditChunk, SymFlag, SymKind, type SymbolId } from "@tsld/core";
import {
  type BindEntry,
  EXPORT_SYMBOL_FLAGS_KIND_ABSOLUTE,
  EXPORT_SYMBOL_FLAGS_KIND_THREAD_LOCAL,
  EXPORT_SYMBOL_FLAGS_WEAK_DEFINITION,
  type RebaseEntry,
  S_THREAD_LOCAL_VARIABLES,
  buildExportTrieColumns,
  encodeBind,
  encodeLazyBind,
  encodeRebaseAddresses,
  encodeWeakBind,
  sectionType,
} from "@tsld/macho-format";
import { outputName } from "./symtab.js";

/** The fixup list split by kind, binds in the encoders' record form. */
export interface SplitFixups {
  /** Rebase addresses (VM), ascending (duplicates kept). */
  rebases: Float64Array;
  binds: BindEntry[];
  lazyBinds: BindEntry[];
  weakBinds: BindEntry[];
}

/** Splits `ctx.fixups` by kind; bind records carry the segment-relative address and the symbol's output name. */
export function splitFixups(ctx: LinkContext): SplitFixups {
  const segIndexOf = segmentLocator(ctx);
  const F = ctx.fixups;
  let nRebases = 0;
  for (let i = 0; i < F.count; i++) if (F.kind[i] === FixupKind.Rebase) nRebases++;
  const out: SplitFixups = { rebases: new Float64Array(nRebases), binds: [], lazyBinds: [], weakBinds: [] };
  let r = 0;
  let sorted = true;
  for (let i = 0; i < F.count; i++) {
    const k = F.kind[i]!;
    if (k === FixupKind.None) continue;
    if (k === FixupKind.Rebase) {
      const a = F.address[i]!;
      if (r > 0 && a < out.rebases[r - 1]!) sorted = false;
      out.rebases[r++] = a;
      continue;
    }
    const { segIndex, segOffset } = segIndexOf(F.address[i]!);
    const e: BindEntry = {
      segIndex,
      segOffset,
      ordinal: F.ordinal[i]!,
      symbol: symbolName(ctx, F.sym[i]!),
      flags: F.weakImport[i]!,
      addend: F.addend[i]!,
    };
    if (k === FixupKind.Bind) out.binds.push(e);
    else if (k === FixupKind.LazyBind) out.lazyBinds.push(e);
    else out.weakBinds.push({ ...e, flags: 0 });
  }
  if (!sorted) out.rebases.sort();
  return out;
}

/** A blob whose bytes are encoded up front: its size is their length. */
abstract class EncodedBlob implements LinkEditChunk {
  readonly align: number = 8;
  off = 0;
  protected abstract readonly bytes: Uint8Array;
  size(): number {
    return this.bytes.length;
  }
  writeTo(buf: Uint8Array, off: number): void {
    buf.set(this.bytes, off);
  }
}

/** Rebase opcodes (REBASE_OPCODE_*): every slot dyld slides. */
export class RebaseSection extends EncodedBlob {
  protected readonly bytes: Uint8Array;
  /** `rebases`: ascending (`splitFixups`). */
  constructor(ctx: LinkContext, rebases: Float64Array) {
    super();
    this.bytes = encodeRebaseAddresses(rebases, ctx.segments);
  }
}

/** Non-lazy bind opcodes (BIND_OPCODE_*): GOT slots, data pointers to imports, eager stubs' pointers. */
export class BindSection extends EncodedBlob {
  protected readonly bytes: Uint8Array;
  constructor(binds: readonly BindEntry[]) {
    super();
    this.bytes = encodeBind(binds);
  }
}

/**
 * Weak-bind opcodes: slots that may be coalesced with another image's weak
 * definition, and (without an address) strong definitions here that
 * override a linked dylib's weak one (BIND_SYMBOL_FLAGS_NON_WEAK_DEFINITION).
 */
export class WeakBindSection extends EncodedBlob {
  protected readonly bytes: Uint8Array;
  constructor(ctx: LinkContext, weakBinds: readonly BindEntry[], overrides: readonly SymbolId[]) {
    super();
    this.bytes = encodeWeakBind(
      weakBinds,
      overrides.map((s) => symbolName(ctx, s)),
    );
  }
}

/** Lazy-bind opcodes: one self-contained sequence per lazily bound stub; `offsets[i]` is stub i's. */
export class LazyBindSection extends EncodedBlob {
  protected readonly bytes: Uint8Array;
  readonly offsets: readonly number[];
  constructor(lazyBinds: readonly BindEntry[]) {
    super();
    const { bytes, offsets } = encodeLazyBind(lazyBinds);
    this.bytes = bytes;
    this.offsets = offsets;
  }
}

/**
 * The export trie: every exported symbol's name, flags and offset from the
 * mach header. `sorted`, when given, is `ctx.exports` with their output
 * names in name order (the symbol table's external definitions), which the
 * trie builder then need not sort again.
 */
export class ExportSection extends EncodedBlob {
  protected readonly bytes: Uint8Array;
  constructor(ctx: LinkContext, sorted?: { ids: readonly SymbolId[]; names: readonly string[] }) {
    super();
    const ids = sorted?.ids ?? ctx.exports;
    const names = sorted?.names ?? ids.map((s) => symbolName(ctx, s));
    const n = ids.length;
    const flags = new Uint32Array(n);
    const address = new Float64Array(n);
    for (let i = 0; i < n; i++) exportAt(ctx, ids[i]!, i, flags, address);
    this.bytes = buildExportTrieColumns(names, flags, address);
  }
}

/** Export `s`'s trie flags and offset from the mach header into row `i`. */
function exportAt(ctx: LinkContext, s: SymbolId, i: number, flagsOut: Uint32Array, addressOut: Float64Array): void {
  const T = ctx.syms;
  const base = ctx.synth.imageBase;
  let flags = 0;
  let address: number;
  if (T.kind[s] === SymKind.Absolute) {
    flags = EXPORT_SYMBOL_FLAGS_KIND_ABSOLUTE;
    address = T.value[s]!;
  } else if (T.kind[s] === SymKind.Synthetic) address = T.address[s]! - base;
  else {
    const a = ctx.atoms.foldedInto[T.atom[s]!]!;
    address = ctx.atoms.address[a]! + T.value[s]! - base;
    if (sectionType(ctx.outSections[ctx.atoms.out[a]!]!.flags) === S_THREAD_LOCAL_VARIABLES) {
      flags = EXPORT_SYMBOL_FLAGS_KIND_THREAD_LOCAL;
    }
  }
  if (T.has(s, SymFlag.WeakDef)) flags |= EXPORT_SYMBOL_FLAGS_WEAK_DEFINITION;
  flagsOut[i] = flags;
  addressOut[i] = address;
}

/** Maps a VM address to (segment index, offset in segment), as dyld opcodes and chains address slots. */
export function segmentLocator(ctx: LinkContext): (addr: number) => RebaseEntry {
  const segs = ctx.segments;
  return (addr: number) => {
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      if (addr >= s.vmaddr && addr < s.vmaddr + s.vmsize) return { segIndex: i, segOffset: addr - s.vmaddr };
    }
    throw new Error(`internal error: address 0x${addr.toString(16)} is in no segment`);
  };
}

/** The name dyld looks up for an import (or exported symbol), in output spelling. */
function symbolName(ctx: LinkContext, s: SymbolId): string {
  return outputName(ctx.syms.name(s), ctx.dynlinking, false);
}
