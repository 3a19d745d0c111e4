/**
 * Input relocations, decoded once (Go's `loader.Relocs`, lld's `Reloc`
 * vector per subsection): objfile reads every `relocation_info` of a section
 * when it atomizes its object and fills these typed columns; no later pass
 * reads raw words again.
 *
 * One row per fixup. A row's target is a symbol (`sym`, for `r_extern`
 * relocations) or a place in an atom (`atom` + `delta`, for section-relative
 * ones: the input address the bytes hold, mapped to the atom that contains
 * it). An extern row also carries, in `atom`/`delta`, where its object's own
 * nlist puts the symbol when that nlist is N_SECT (the definition this
 * object sees, which readers of per-object data such as DWARF need), else -1.
 * `addend` is the embedded addend already read from the bytes (for a
 * section-relative pc-relative row, minus the target's extra bias, so that
 * every pc-relative value is `target + addend - (P + 4)` on x86_64).
 *
 * A SUBTRACTOR/UNSIGNED pair is one row of kind `Pair`: its value is
 * `target + addend - subtrahend`, the subtrahend in `subSym` (extern) or
 * `subAtom` + `subDelta`.
 *
 * Rows of an atom are contiguous (`Atoms.relocStart/relocEnd`), sorted by
 * offset; rows of a section without atoms (debug sections,
 * `__LD,__compact_unwind`) keep the object's order. `offset` is the fixup's
 * offset in its input section. Rows that could not be decoded are flagged
 * `Bad`; the reason is in `bad` and is reported only if their atom is kept.
 */
import { column, growTo } from "./ids.js";

export const RelocFlag = {
  /** `r_pcrel`. */
  Pcrel: 1 << 0,
  /** The target is a symbol (`r_extern`). */
  Extern: 1 << 1,
  /** A SUBTRACTOR/UNSIGNED pair. */
  Pair: 1 << 2,
  /** The subtrahend of a pair is a symbol. */
  SubExtern: 1 << 3,
  /** Undecodable; see `Relocs.bad`. */
  Bad: 1 << 4,
} as const;

export class Relocs {
  count = 0;
  /** Offset of the fixup in its input section. */
  offset = column(Uint32Array, 4096);
  /** `r_type` (for a pair: the UNSIGNED's). */
  type = column(Uint8Array, 4096);
  /** log2 of the fixup's size in bytes (`r_length`). */
  length = column(Uint8Array, 4096);
  flags = column(Uint8Array, 4096);
  /** Target symbol (Extern), else 0. */
  sym = column(Int32Array, 4096);
  /** Target atom and offset in it (see the essay), -1 when none. */
  atom = column(Int32Array, 4096);
  delta = column(Float64Array, 4096);
  /** Embedded addend. */
  addend = column(Float64Array, 4096);
  /** Pair subtrahend: symbol (SubExtern) or atom + delta. */
  subSym = column(Int32Array, 4096);
  subAtom = column(Int32Array, 4096);
  subDelta = column(Float64Array, 4096);
  /** Why a `Bad` row could not be decoded (row → message, naming the site). */
  readonly bad = new Map<number, string>();

  /** Appends one zeroed row; returns its index. */
  add(offset: number, type: number, length: number, flags: number): number {
    const i = this.count++;
    if (i >= this.offset.length) this.grow(i + 1);
    this.offset[i] = offset;
    this.type[i] = type;
    this.length[i] = length;
    this.flags[i] = flags;
    this.sym[i] = 0;
    this.atom[i] = -1;
    this.delta[i] = 0;
    this.addend[i] = 0;
    this.subSym[i] = 0;
    this.subAtom[i] = -1;
    this.subDelta[i] = 0;
    return i;
  }

  /** Makes room for `n` more rows (a whole object's, added in one go). */
  reserve(n: number): void {
    if (this.count + n > this.offset.length) this.grow(this.count + n);
  }

  has(i: number, flag: number): boolean {
    return (this.flags[i]! & flag) !== 0;
  }

  private grow(n: number): void {
    this.offset = growTo(this.offset, n);
    this.type = growTo(this.type, n);
    this.length = growTo(this.length, n);
    this.flags = growTo(this.flags, n);
    this.sym = growTo(this.sym, n);
    this.atom = growTo(this.atom, n);
    this.delta = growTo(this.delta, n);
    this.addend = growTo(this.addend, n);
    this.subSym = growTo(this.subSym, n);
    this.subAtom = growTo(this.subAtom, n);
    this.subDelta = growTo(this.subDelta, n);
  }
}
