/** Small predicates about the image being produced. */
import { type LinkContext, SymFlag, SymKind, type SymbolId } from "@tsld/core";
import { isImport } from "./target.js";

/** Dylib-shaped outputs (dylibs, plugins, bundles). */
export function isDylibLike(ctx: LinkContext): boolean {
  const m = ctx.options.buildmode;
  return m === "c-shared" || m === "plugin" || m === "shared";
}

/** Whether the image can be slid, so absolute pointers need rebase entries. */
export function needsRebase(ctx: LinkContext): boolean {
  return isDylibLike(ctx) || ctx.options.buildmode === "pie" || !ctx.options.noPie;
}

/**
 * Flat namespace: plugins and plugin hosts always (the seed: Go's hostlink
 * passes `-flat_namespace` whenever `DynlinkingGo()`), otherwise `-flat_namespace`.
 */
export function flatNamespace(ctx: LinkContext): boolean {
  return ctx.options.flatNamespace || ctx.options.buildmode === "plugin" || ctx.dynlinking;
}

/** Bind everything at load: plugins and plugin hosts always (Go issue 38824), otherwise `-bind_at_load`. */
export function bindAtLoad(ctx: LinkContext): boolean {
  return ctx.options.bindAtLoad || ctx.options.buildmode === "plugin" || ctx.dynlinking;
}

/** The deployment target and SDK (`-platform_version`, else the first object's LC_BUILD_VERSION, else 11.0). */
export function platformVersion(ctx: LinkContext): { minos: number; sdk: number } {
  const o = ctx.options;
  if (o.minOS) return { minos: o.minOS, sdk: o.sdk || o.minOS };
  for (const f of ctx.files) {
    const p = f.object?.platform;
    if (p && p.platform === 1) return { minos: p.minos, sdk: p.sdk || p.minos };
  }
  return { minos: 0x0b0000, sdk: 0x0b0000 };
}

/**
 * Chained fixups (LC_DYLD_CHAINED_FIXUPS) instead of dyld opcodes: as
 * `-fixup_chains`/`-no_fixup_chains` ask, else as ld64.lld-19 chooses (on
 * for slidable images targeting macOS 13.0 or later). A fixed-address
 * (`-no_pie`) image has none.
 */
export function chainedFixups(ctx: LinkContext): boolean {
  const asked = ctx.options.fixupChains;
  if (asked === false || !needsRebase(ctx)) return false;
  return asked === true || platformVersion(ctx).minos >= 0x0d0000;
}

/** Lazy binding through `__stub_helper` and `__la_symbol_ptr`: not when binding at load or with chained fixups. */
export function lazyBinding(ctx: LinkContext): boolean {
  return !bindAtLoad(ctx) && !chainedFixups(ctx);
}

/**
 * Whether stub `s` is bound lazily (a stub-helper entry, a lazy-bind
 * entry): imports, when binding lazily (`lazyBinding`). Stubs of weak symbols
 * are not lazy, as in lld: an exported weak definition's lazy pointer holds
 * its address, rebased and weak-bound; an imported weak definition's is bound
 * at load and weak-bound. Layout puts lazy stubs first, so stub i < the lazy
 * count has helper entry i.
 */
export function isLazyStub(ctx: LinkContext, s: SymbolId): boolean {
  if (!lazyBinding(ctx) || !isImport(ctx, s)) return false;
  return !(ctx.syms.kind[s] === SymKind.Dylib && ctx.syms.has(s, SymFlag.WeakDef));
}

/**
 * Whether uses of `s` are weak-bound (weak-bind stream entries): this
 * image's exported weak definitions, and weak definitions it imports.
 */
export function isWeakBound(ctx: LinkContext, s: SymbolId): boolean {
  const T = ctx.syms;
  if (!T.has(s, SymFlag.WeakDef)) return false;
  const k = T.kind[s];
  return (k === SymKind.Defined && T.has(s, SymFlag.Exported)) || k === SymKind.Dylib;
}
