/**
 * The image's dynamic fixups as one typed list (lld's `Reloc`-free
 * rebase/bind sections, Go's `ld.Rebase`/`Bind` tables): every place dyld
 * must slide (rebase) or fill with an imported or coalesced address (bind,
 * weak bind, lazy bind), one row each, in typed columns.
 *
 * Layout fills it in two steps: the relocation scan adds the sites it finds
 * inside atoms (`atom` + offset in it); after addresses are final,
 * `finalize` (layout's fixups pass) drops the sites of dead atoms, turns
 * every site into its final `address`, and appends the synthetic slots (GOT,
 * TLV pointers, lazy pointers). Encoders (dyld opcodes, chained fixups) read
 * the finished rows; none of them sees a per-fixup object.
 */
import { column, growTo } from "./ids.js";

export const FixupKind = {
  /** Slide the pointer by the image's load address. */
  Rebase: 0,
  /** Fill with the address of `sym` (an import) + `addend`. */
  Bind: 1,
  /** May be coalesced onto another image's definition of weak `sym` (weak-bind stream). */
  WeakBind: 2,
  /** A lazy pointer bound on first call through its stub (lazy-bind stream), in stub order. */
  LazyBind: 3,
  /** Dropped (its atom was dead-stripped). */
  None: 255,
} as const;
export type FixupKind = (typeof FixupKind)[keyof typeof FixupKind];

export class Fixups {
  count = 0;
  kind = column(Uint8Array, 1024);
  /** The atom holding the site, or -1 once `address` is final. */
  atom = column(Int32Array, 1024);
  /** Offset in `atom`; after finalizing, the site's virtual address. */
  address = column(Float64Array, 1024);
  /** The symbol bound (0 for rebases). */
  sym = column(Int32Array, 1024);
  addend = column(Float64Array, 1024);
  /** Dylib ordinal, or a BIND_SPECIAL_DYLIB_* value (binds; set when finalized). */
  ordinal = column(Int32Array, 1024);
  /** BIND_SYMBOL_FLAGS_WEAK_IMPORT when every reference is weak (binds; set when finalized). */
  weakImport = column(Uint8Array, 1024);
  /** Whether `finalize` has run. */
  final = false;

  /** Appends one fixup; returns its index. */
  add(kind: FixupKind, atom: number, address: number, sym: number, addend: number): number {
    const i = this.count++;
    if (i >= this.kind.length) this.grow(i + 1);
    this.kind[i] = kind;
    this.atom[i] = atom;
    this.address[i] = address;
    this.sym[i] = sym;
    this.addend[i] = addend;
    this.ordinal[i] = 0;
    this.weakImport[i] = 0;
    return i;
  }

  /** Number of rows of `kind`. */
  countOf(kind: FixupKind): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) if (this.kind[i] === kind) n++;
    return n;
  }

  private grow(n: number): void {
    this.kind = growTo(this.kind, n);
    this.atom = growTo(this.atom, n);
    this.address = growTo(this.address, n);
    this.sym = growTo(this.sym, n);
    this.addend = growTo(this.addend, n);
    this.ordinal = growTo(this.ordinal, n);
    this.weakImport = growTo(this.weakImport, n);
  }
}
