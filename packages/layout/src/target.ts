/**
 * Relocation targets. A relocation names its target either as a symbol
 * (`r_extern`: symbolnum indexes the object's nlist table) or as a section
 * (`r_extern == 0`: symbolnum is the 1-based section ordinal and the target's
 * input address is encoded in the bytes being fixed up). Both become an
 * output address here: symbols through the symbol table, section-relative
 * targets through the atom that held that input address.
 */
import { type AtomId, type InputFile, type LinkContext, SymFlag, SymKind, type SymbolId } from "@tsld/core";
import { findAtom } from "@tsld/objfile";

/**
 * What relocating reads of the link context: the typed columns, the target
 * and the synthetic sections' addresses. A `LinkContext` is one; a worker
 * thread builds one over the shared columns (write.ts).
 */
export type RelocContext = Pick<LinkContext, "atoms" | "relocs" | "syms" | "sections" | "target" | "synth">;

/** Final address of symbol `s` (0 for imports and undefined weak refs). */
export function symbolAddress(ctx: Pick<RelocContext, "syms" | "atoms">, s: SymbolId): number {
  const T = ctx.syms;
  switch (T.kind[s]) {
    case SymKind.Defined: {
      const a = ctx.atoms.foldedInto[T.atom[s]!]!;
      return ctx.atoms.address[a]! + T.value[s]!;
    }
    case SymKind.Absolute:
      return T.value[s]!;
    case SymKind.Synthetic:
      return T.address[s]!;
    default:
      return 0;
  }
}

/** Whether references to `s` must be bound by dyld rather than resolved now. */
export function isImport(ctx: Pick<RelocContext, "syms">, s: SymbolId): boolean {
  const k = ctx.syms.kind[s];
  if (k === SymKind.Dylib) return true;
  // Left undefined on purpose (-U, -undefined, a plugin's flat markers): bound by flat lookup.
  if (k === SymKind.Undefined) return ctx.syms.has(s, SymFlag.FlatImport);
  return false;
}

/** The atom (canonical, after literal folding) that holds input address `addr` of section ordinal `n`. */
export function atomAtAddress(
  ctx: LinkContext,
  file: InputFile,
  n: number,
  addr: number,
): { atom: AtomId; delta: number } {
  const ob = file.object!;
  if (n < 1 || n > ob.sectionCount) return { atom: -1, delta: 0 };
  const sid = ob.firstSection + n - 1;
  const secOff = addr - ctx.sections.addr[sid]!;
  const a = findAtom(ctx, sid, secOff);
  if (a < 0) return { atom: -1, delta: 0 };
  return { atom: a, delta: secOff - ctx.atoms.offset[a]! };
}

/** Output address of an atom-relative location. */
export function atomAddress(ctx: Pick<RelocContext, "atoms">, atom: AtomId, delta: number): number {
  return ctx.atoms.address[ctx.atoms.foldedInto[atom]!]! + delta;
}
