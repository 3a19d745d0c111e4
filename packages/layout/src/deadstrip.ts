/**
 * Dead stripping (`-dead_strip`), as ld64 does it over atoms: start from the
 * roots (the entry point, exported symbols of dylibs, no-dead-strip atoms and
 * symbols, initializers and terminators, the dynamically referenced), then
 * follow every relocation of every live atom to the atom it targets. What is
 * never reached is dropped. Without `-dead_strip` every atom stays live.
 */
import { AtomFlag, type AtomId, type LinkContext, RelocFlag, SymFlag, SymKind, fileName } from "@tsld/core";
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
  // -why_live: who first reached each atom (-1: a root), kept only when asked.
  const why = ctx.options.whyLive.length > 0 ? new Int32Array(A.count).fill(-1) : undefined;
  let from: AtomId = -1;
  const mark = (a: AtomId): void => {
    if (a < 0) return;
    a = A.foldedInto[a]!;
    if (A.flags[a]! & AtomFlag.Live) return;
    A.flags[a]! |= AtomFlag.Live;
    if (why) why[a] = from;
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
  // -u names, -alias names and -init are roots, as in ld64.
  for (const n of ctx.options.forceUndefined) markSym(T.lookup(n));
  for (const { alias } of ctx.options.aliases) markSym(T.lookup(alias));
  if (ctx.options.initFunction) markSym(T.lookup(ctx.options.initFunction));

  while (work.length > 0) {
    const a = work.pop()!;
    from = a;
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
  if (why) reportWhyLive(ctx, why);
  // Folded literals live with their canonical atom.
  for (let a = 0; a < A.count; a++)
    if (A.flags[a]! & AtomFlag.Folded && A.flags[A.foldedInto[a]!]! & AtomFlag.Live) A.flags[a]! |= AtomFlag.Live;
  reportLiveDuplicates(ctx);
}

/**
 * The duplicates resolution held back (`deadStripDuplicates`, ld64's order):
 * an error for each name whose two definitions both survived; a dead copy
 * is simply dropped with its atom.
 */
function reportLiveDuplicates(ctx: LinkContext): void {
  const A = ctx.atoms;
  const live = (a: AtomId): boolean => (A.flags[A.foldedInto[a]!]! & AtomFlag.Live) !== 0;
  for (const d of ctx.deferredDuplicates) {
    if (!live(d.first) || !live(d.atom)) continue;
    ctx.diag.error(
      `duplicate symbol: ${ctx.syms.name(d.sym)}\n>>> defined in ${fileName(ctx.file(d.firstFile))}\n>>> defined in ${fileName(ctx.file(d.file))}`,
    );
  }
}

/**
 * `-why_live NAME`: the chain of references from a dead-strip root to NAME's
 * atom, one line per step, each indented under the atom it keeps alive (ld64's
 * format: `NAME from FILE`).
 */
function reportWhyLive(ctx: LinkContext, why: Int32Array): void {
  const A = ctx.atoms;
  const T = ctx.syms;
  const label = (a: AtomId): string => {
    const s = A.symbol[a]!;
    const f = A.file[a]!;
    const file =
      f >= 0 && ctx.files[f]
        ? ctx.files[f]!.path + (ctx.files[f]!.member ? `(${ctx.files[f]!.member})` : "")
        : "<linker>";
    return `${s ? T.name(s) : `<anonymous atom in ${ctx.sections.segnames[A.section[a]!]},${ctx.sections.sectnames[A.section[a]!]}>`} from ${file}`;
  };
  for (const name of ctx.options.whyLive) {
    let s = T.lookup(name);
    // Local symbols (static functions) by name too.
    if (s === 0 || T.kind[s] !== SymKind.Defined)
      for (let l = 1; l < T.count; l++)
        if (T.kind[l] === SymKind.Defined && T.name(l) === name) {
          s = l;
          break;
        }
    if (s === 0 || T.kind[s] !== SymKind.Defined) {
      ctx.info(`${name}: not defined in this link`);
      continue;
    }
    let a = A.foldedInto[T.atom[s]!]!;
    if (!(A.flags[a]! & AtomFlag.Live)) {
      ctx.info(`${name} is dead (not reached from any root)`);
      continue;
    }
    const lines: string[] = [];
    for (let depth = 0; a >= 0 && depth < 10000; depth++) {
      lines.push(`${"  ".repeat(depth)}${label(a)}`);
      a = why[a]!;
    }
    ctx.info(lines.join("\n"));
  }
}
