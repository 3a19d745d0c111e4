/**
 * The fixups pass: completes `ctx.fixups` once every address is final.
 * Sites the scan found in atoms become addresses (those of dead atoms are
 * dropped; weak binds only where the symbol is still an exported weak
 * definition); the synthetic slots add theirs: each GOT slot binds its
 * import or rebases its local target (and is weak-bound for an exported
 * or imported weak definition), each TLV pointer likewise, each lazy pointer
 * of a lazy stub rebases and lazy-binds (other stubs' pointers are bound or
 * rebased at load). Binds get their dylib ordinal (with chained fixups,
 * BIND_SPECIAL_DYLIB_WEAK_LOOKUP for a weak definition) and weak-import flag here.
 */
import { BIND_SPECIAL_DYLIB_WEAK_LOOKUP } from "@tsld/macho-format";
import { AtomFlag, FixupKind, type LinkContext, SymFlag, SymKind, type SymbolId } from "@tsld/core";
import { chainedFixups, flatNamespace, isLazyStub, isWeakBound, lazyBinding, needsRebase } from "./dyn.js";
import { atomAddress, isImport } from "./target.js";

/** The ordinal dyld uses to find `s`: a dylib's, or BIND_SPECIAL_DYLIB_FLAT_LOOKUP (-2) / MAIN_EXECUTABLE (-1). */
export function bindOrdinal(ctx: LinkContext, s: SymbolId): number {
  if (flatNamespace(ctx)) return -2;
  const T = ctx.syms;
  if (T.kind[s] !== SymKind.Dylib) return -2;
  const d = ctx.file(T.file[s]!).dylib!;
  if (d.bundleLoader) return -1;
  return d.ordinal;
}

export function finalizeFixups(ctx: LinkContext): void {
  const F = ctx.fixups;
  const A = ctx.atoms;
  const T = ctx.syms;
  const weakBound = (s: SymbolId): boolean => isWeakBound(ctx, s);
  // Sites in atoms.
  const sites = F.count;
  for (let i = 0; i < sites; i++) {
    const a = F.atom[i]!;
    if (a < 0) continue;
    const k = F.kind[i]!;
    if (!(A.flags[a]! & AtomFlag.Live) || (k === FixupKind.WeakBind && !weakBound(F.sym[i]!)))
      F.kind[i] = FixupKind.None;
    else F.address[i] = atomAddress(ctx, a, F.address[i]!);
    F.atom[i] = -1;
  }
  // Synthetic slots: each binds its import or rebases its local target, and
  // is weak-bound when its symbol is.
  const pie = needsRebase(ctx);
  const slot = (addr: number, s: SymbolId): void => {
    if (isImport(ctx, s)) F.add(FixupKind.Bind, -1, addr, s, 0);
    else if (pie && T.kind[s] !== SymKind.Absolute) F.add(FixupKind.Rebase, -1, addr, 0, 0);
    if (weakBound(s)) F.add(FixupKind.WeakBind, -1, addr, s, 0);
  };
  ctx.got.forEach((s, i) => slot(ctx.synth.got + i * 8, s));
  // An exported weak thread-local's pointer holds its own descriptor, rebased and weak-bound.
  ctx.tlvPtrs.forEach((s, i) => slot(ctx.synth.threadPtrs + i * 8, s));
  if (lazyBinding(ctx)) {
    // Lazy pointers: an import's is lazily bound (it holds its stub-helper
    // entry); an imported weak definition's is bound at load; an exported
    // weak definition's holds its address. Weak ones are weak-bound too.
    ctx.stubs.forEach((s, i) => {
      const addr = ctx.synth.laSymbolPtr + i * 8;
      if (!isLazyStub(ctx, s)) {
        slot(addr, s);
        return;
      }
      if (pie) F.add(FixupKind.Rebase, -1, addr, 0, 0);
      F.add(FixupKind.LazyBind, -1, addr, s, 0);
    });
  }
  // Chained fixups have no weak-bind stream: every bind to a symbol that may
  // be coalesced (an imported or exported weak definition) is a bind by weak
  // lookup, BIND_SPECIAL_DYLIB_WEAK_LOOKUP, whatever dylib it came from (lld's
  // `ordinalForSymbol`/`needsWeakBind`); a slot that would be rebased and
  // weak-bound is only that bind (lld's `needsBinding` for a weak definition).
  const chained = chainedFixups(ctx);
  for (let i = 0; i < F.count; i++) {
    const k = F.kind[i]!;
    if (k !== FixupKind.Bind && k !== FixupKind.LazyBind && k !== FixupKind.WeakBind) continue;
    const s = F.sym[i]!;
    F.ordinal[i] = chained && weakBound(s) ? BIND_SPECIAL_DYLIB_WEAK_LOOKUP : bindOrdinal(ctx, s);
    F.weakImport[i] = k !== FixupKind.WeakBind && T.has(s, SymFlag.WeakRef) && !T.has(s, SymFlag.StrongRef) ? 1 : 0;
  }
  // -no_weak_imports: every import must be there at run time (ld64's check and words).
  if (ctx.options.noWeakImports) {
    const named = new Set<SymbolId>();
    for (let i = 0; i < F.count; i++) if (F.kind[i] !== FixupKind.None && F.weakImport[i]) named.add(F.sym[i]!);
    for (const s of named)
      ctx.diag.error(`weak import of symbol '${T.name(s)}' not supported because of option: -no_weak_imports`);
  }
  // Chained fixups have no weak-bind stream: a slot that may be coalesced is
  // bound by weak lookup instead of rebased (as lld does).
  if (chained) {
    const weak = new Set<number>();
    // A slot already bound (an imported weak definition) keeps that bind, now by weak lookup.
    const bound = new Set<number>();
    for (let i = 0; i < F.count; i++) if (F.kind[i] === FixupKind.Bind) bound.add(F.address[i]!);
    for (let i = 0; i < F.count; i++) {
      if (F.kind[i] !== FixupKind.WeakBind) continue;
      if (bound.has(F.address[i]!)) {
        F.kind[i] = FixupKind.None;
        continue;
      }
      weak.add(F.address[i]!);
      F.kind[i] = FixupKind.Bind;
    }
    for (let i = 0; i < F.count; i++)
      if (F.kind[i] === FixupKind.Rebase && weak.has(F.address[i]!)) F.kind[i] = FixupKind.None;
  }
  F.final = true;
}

/**
 * Live strong definitions overriding a linked dylib's weak definition: the
 * weak-bind stream names each with no address (BIND_SYMBOL_FLAGS_NON_WEAK_DEFINITION),
 * and the image gets MH_WEAK_DEFINES, as ld64 and lld.
 */
export function nonWeakDefinitions(ctx: LinkContext): SymbolId[] {
  const T = ctx.syms;
  const A = ctx.atoms;
  const out: SymbolId[] = [];
  for (const s of T.globals())
    if (
      T.has(s, SymFlag.OverridesWeakDef) &&
      T.kind[s] === SymKind.Defined &&
      A.flags[A.foldedInto[T.atom[s]!]!]! & AtomFlag.Live
    )
      out.push(s);
  return out;
}
