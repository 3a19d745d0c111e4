/**
 * The fixups pass: completes `ctx.fixups` once every address is final.
 * Sites the scan found in atoms become addresses (those of dead atoms are
 * dropped; weak binds only where the symbol is still an exported weak
 * definition); the synthetic slots add theirs: each GOT slot binds its
 * import or rebases its local target (and is weak-bound for an exported
 * weak definition), each TLV pointer binds, each lazy pointer rebases and
 * lazy-binds. Binds get their dylib ordinal and weak-import flag here.
 */
import { BIND_SPECIAL_DYLIB_WEAK_LOOKUP } from "@tsld/macho-format";
import { AtomFlag, FixupKind, type LinkContext, SymFlag, SymKind, type SymbolId } from "@tsld/core";
import { chainedFixups, flatNamespace, lazyBinding, needsRebase } from "./dyn.js";
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
  const weakExport = (s: SymbolId): boolean =>
    T.kind[s] === SymKind.Defined && T.has(s, SymFlag.WeakDef) && T.has(s, SymFlag.Exported);
  // Sites in atoms.
  const sites = F.count;
  for (let i = 0; i < sites; i++) {
    const a = F.atom[i]!;
    if (a < 0) continue;
    const k = F.kind[i]!;
    if (!(A.flags[a]! & AtomFlag.Live) || (k === FixupKind.WeakBind && !weakExport(F.sym[i]!)))
      F.kind[i] = FixupKind.None;
    else F.address[i] = atomAddress(ctx, a, F.address[i]!);
    F.atom[i] = -1;
  }
  // Synthetic slots.
  const pie = needsRebase(ctx);
  ctx.got.forEach((s, i) => {
    const addr = ctx.synth.got + i * 8;
    if (isImport(ctx, s)) F.add(FixupKind.Bind, -1, addr, s, 0);
    else if (pie && T.kind[s] !== SymKind.Absolute) F.add(FixupKind.Rebase, -1, addr, 0, 0);
    if (weakExport(s)) F.add(FixupKind.WeakBind, -1, addr, s, 0);
  });
  ctx.tlvPtrs.forEach((s, i) => F.add(FixupKind.Bind, -1, ctx.synth.threadPtrs + i * 8, s, 0));
  if (lazyBinding(ctx)) {
    ctx.stubs.forEach((s, i) => {
      const addr = ctx.synth.laSymbolPtr + i * 8;
      if (pie) F.add(FixupKind.Rebase, -1, addr, 0, 0);
      F.add(FixupKind.LazyBind, -1, addr, s, 0);
    });
  }
  for (let i = 0; i < F.count; i++) {
    const k = F.kind[i]!;
    if (k !== FixupKind.Bind && k !== FixupKind.LazyBind && k !== FixupKind.WeakBind) continue;
    const s = F.sym[i]!;
    F.ordinal[i] = bindOrdinal(ctx, s);
    F.weakImport[i] = k !== FixupKind.WeakBind && T.has(s, SymFlag.WeakRef) && !T.has(s, SymFlag.StrongRef) ? 1 : 0;
  }
  // Chained fixups have no weak-bind stream: a slot that may be coalesced is
  // bound by weak lookup instead of rebased (as lld does).
  if (chainedFixups(ctx)) {
    const weak = new Set<number>();
    for (let i = 0; i < F.count; i++) {
      if (F.kind[i] !== FixupKind.WeakBind) continue;
      weak.add(F.address[i]!);
      F.kind[i] = FixupKind.Bind;
      F.ordinal[i] = BIND_SPECIAL_DYLIB_WEAK_LOOKUP;
    }
    for (let i = 0; i < F.count; i++)
      if (F.kind[i] === FixupKind.Rebase && weak.has(F.address[i]!)) F.kind[i] = FixupKind.None;
  }
  F.final = true;
}
