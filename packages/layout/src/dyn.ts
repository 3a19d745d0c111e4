/** Small predicates about the image being produced. */
import type { LinkContext } from "@tsld/core";

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
