/**
 * Dead stripping (`-dead_strip`), as ld64 does it over atoms: start from the
 * roots (the entry point, exported symbols of dylibs, no-dead-strip atoms and
 * symbols, initializers and terminators, the dynamically referenced), then
 * follow every relocation of every live atom to the atom it targets. What is
 * never reached is dropped. Without `-dead_strip` every atom stays live.
 */
import { AtomFlag, type AtomId, type LinkContext, RelocFlag, SymFlag, SymKind } from "@tsld/core";
import { REFERENCED_DYNAMICALLY } from "@tsld/macho-format";
import { isDylibLike } from "./dyn.js";

/**
 * `associated(a)`: atoms that live with atom `a` without being referenced by
 * it (its LSDA, personality, FDE and CIE; see unwind.ts).
 */
export function deadStrip(ctx: LinkContext, associated?: (a: AtomId) => readonly AtomId[] | undefined): void {
  const A = ctx.atoms;
  const T = ctx.syms;
  const work: AtomId[] = [];
  const mark = (a: AtomId): void => {
    if (a < 0) return;
    a = A.foldedInto[a]!;
    if (A.flags[a]! & AtomFlag.Live) return;
    A.flags[a]! |= AtomFlag.Live;
    work.push(a);
  };
  const markSym = (s: number): void => {
    if (T.kind[s] === SymKind.Defined) mark(T.atom[s]!);
  };
  for (let a = 0; a < A.count; a++) A.flags[a]! &= ~AtomFlag.Live;
  for (let a = 0; a < A.count; a++) if (A.flags[a]! & AtomFlag.NoDeadStrip) mark(a);
  if (ctx.entry) markSym(ctx.entry);
  const dylib = isDylibLike(ctx);
  for (const s of T.globals()) {
    if (T.kind[s] !== SymKind.Defined) continue;
    if (T.has(s, SymFlag.NoDeadStrip) || T.desc[s]! & REFERENCED_DYNAMICALLY) markSym(s);
    else if (dylib && !T.has(s, SymFlag.PrivateExtern)) markSym(s);
  }
  for (let s = 1; s < T.count; s++) if (T.kind[s] === SymKind.Defined && T.has(s, SymFlag.NoDeadStrip)) markSym(s);

  while (work.length > 0) {
    const a = work.pop()!;
    for (const b of associated?.(a) ?? []) mark(b);
    if (A.flags[a]! & AtomFlag.Synthetic) continue;
    // Every relocation's target: a symbol, or a place in an atom (and a pair's subtrahend symbol).
    const R = ctx.relocs;
    for (let r = A.relocStart[a]!; r < A.relocEnd[a]!; r++) {
      const fl = R.flags[r]!;
      if (fl & RelocFlag.SubExtern) markSym(R.subSym[r]!);
      if (fl & RelocFlag.Extern) markSym(R.sym[r]!);
      else mark(R.atom[r]!);
    }
  }
  // Folded literals live with their canonical atom.
  for (let a = 0; a < A.count; a++)
    if (A.flags[a]! & AtomFlag.Folded && A.flags[A.foldedInto[a]!]! & AtomFlag.Live) A.flags[a]! |= AtomFlag.Live;
}
