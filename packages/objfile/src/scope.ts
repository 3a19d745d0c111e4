/**
 * Symbol scope: which global definitions the output exports, decided once
 * after resolution, as ld64 and lld decide it (lld `Driver.cpp`, ld64
 * `Options::shouldExport`).
 *
 * A global definition (N_EXT) is exported unless it is private extern. It is
 * private extern when its input said N_PEXT (every copy of a weak one did),
 * or when it is `.weak_def_can_be_hidden` (N_WEAK_DEF|N_WEAK_REF on a
 * definition: C++ inline functions, vtables, template instances): the
 * resolver already made those private extern. Then the export lists:
 * - `-exported_symbol(s_list)`: a symbol no pattern matches becomes private
 *   extern; one that matches stays exported, and a can-be-hidden one is
 *   exported again (a plain private extern cannot be: a warning);
 * - `-unexported_symbol(s_list)`: a symbol a pattern matches becomes private
 *   extern.
 * Patterns use ld64's wildcards: `*` (any run), `?` (one character),
 * `[abc]`/`[a-z]` (one of a set). A literal pattern of `-exported_symbol` is
 * also a reference (loadObjects makes it one), so an archive member defining
 * it is loaded and a missing definition is an undefined-symbol error.
 *
 * The seed's rule for dynamically linked Go (plugins and plugin hosts): every
 * non-local symbol is exported, so there a can-be-hidden definition stays
 * exported. Private extern symbols go to the symbol table as local (N_PEXT);
 * only exported weak definitions get weak binds (layout) and N_WEAK_DEF.
 */
import { type LinkContext, SymFlag, SymKind, fileName } from "@tsld/core";

/** A compiled ld64 symbol pattern list: literal names in a set, wildcard patterns as regexps. */
export class SymbolPatterns {
  readonly literals = new Set<string>();
  private readonly globs: RegExp[] = [];

  constructor(patterns: readonly string[]) {
    for (const p of patterns) {
      if (hasWildcard(p)) this.globs.push(globToRegExp(p));
      else this.literals.add(p);
    }
  }

  get empty(): boolean {
    return this.literals.size === 0 && this.globs.length === 0;
  }

  match(name: string): boolean {
    return this.literals.has(name) || this.globs.some((g) => g.test(name));
  }
}

/** ld64 treats a pattern with `*`, `?` or `[` as a wildcard pattern. */
export function hasWildcard(p: string): boolean {
  return /[*?[]/.test(p);
}

/**
 * ld64's `wildCardMatch` as a RegExp: `*`, `?`, and `[...]` sets with `a-z`
 * ranges (no negation; ld64 has none). A `[` without its `]` matches nothing.
 */
export function globToRegExp(p: string): RegExp {
  let re = "^";
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === "*") re += "[^]*";
    else if (c === "?") re += "[^]";
    else if (c === "[") {
      const end = p.indexOf("]", i + 1);
      if (end < 0) return /$^/;
      let set = "";
      const body = p.slice(i + 1, end);
      for (let k = 0; k < body.length; k++) {
        if (body[k] === "-" && k > 0 && k + 1 < body.length) set += "-";
        else set += `\\u${body.charCodeAt(k).toString(16).padStart(4, "0")}`;
      }
      re += set ? `[${set}]` : "[]";
      i = end;
    } else re += c.replace(/[\\^$.|+(){}\]]/g, "\\$&");
  }
  return new RegExp(`${re}$`, "u");
}

/**
 * Applies can-be-hidden, `-exported_symbols_list` and
 * `-unexported_symbols_list` to every global definition's PrivateExtern flag.
 * Runs after resolution, before dead stripping (exported-list symbols are
 * roots there) and before relocations are scanned (weak binds depend on it).
 */
export function decideScope(ctx: LinkContext): void {
  const T = ctx.syms;
  const o = ctx.options;
  const exp = new SymbolPatterns(o.exportedSymbols);
  const unexp = new SymbolPatterns(o.unexportedSymbols);
  if (!exp.empty && !unexp.empty) {
    ctx.diag.error("cannot use both -exported_symbol* and -unexported_symbol* options");
    return;
  }
  const dyn = ctx.dynlinking;
  for (const s of T.globals()) {
    const k = T.kind[s];
    if (k !== SymKind.Defined && k !== SymKind.Absolute && k !== SymKind.Common) continue;
    if (dyn && T.has(s, SymFlag.WeakDefCanBeHidden)) T.clear(s, SymFlag.PrivateExtern | SymFlag.WeakDefCanBeHidden);
    const name = T.name(s);
    if (!exp.empty) {
      if (!exp.match(name)) T.set(s, SymFlag.PrivateExtern);
      else {
        // ld64 keeps every listed definition, hidden or not, with -dead_strip.
        T.set(s, SymFlag.NoDeadStrip);
        if (T.has(s, SymFlag.WeakDefCanBeHidden)) T.clear(s, SymFlag.PrivateExtern);
        else if (T.has(s, SymFlag.PrivateExtern)) {
          const f = T.file[s]!;
          ctx.diag.warn(
            `cannot export hidden symbol ${name}\n>>> defined in ${f >= 0 ? fileName(ctx.file(f)) : "<linker>"}`,
          );
        }
      }
    } else if (!unexp.empty && unexp.match(name)) T.set(s, SymFlag.PrivateExtern);
  }
}
