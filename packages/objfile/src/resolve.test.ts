// Symbol resolution on real objects (llvm-mc): ld64's rules, checked on the
// symbol table loadObjects leaves, not through a linked program.
import { spawnSync } from "node:child_process";
import { LinkContext, LinkError, SymFlag, SymKind, defaultOptions, fileName } from "@tsld/core";
import { assemble, makeArchive } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { loadObjects } from "./load.js";

const hasMc = spawnSync("llvm-mc-19", ["--version"]).status === 0;
const hasAr = spawnSync("llvm-ar-19", ["--version"]).status === 0;

/** An object defining `name` (strong, weak or common) and referencing `refs`. */
function obj(tag: string, defs: string, refs: string[] = []): string {
  const body = refs.map((r) => `  callq ${r}`).join("\n");
  return assemble(
    `.section __TEXT,__text,regular,pure_instructions
${defs}
_fn_${tag}:
${body}
  retq
.subsections_via_symbols
`,
    { name: tag },
  );
}
const strong = (n: string) => `.globl ${n}\n${n}:\n  nop`;
const weak = (n: string) => `.globl ${n}\n.weak_definition ${n}\n${n}:\n  nop`;

/** loadObjects over `inputs` (no entry point, built-in libSystem); returns the context and its errors. */
function load(inputs: string[], extra: Parameters<typeof defaultOptions>[0] = {}) {
  const ctx = new LinkContext(defaultOptions({ inputs, entry: "", ...extra }));
  let errors: readonly string[] = [];
  try {
    loadObjects(ctx);
    ctx.diag.checkpoint();
  } catch (e) {
    if (!(e instanceof LinkError)) throw e;
    errors = e.messages;
  }
  return { ctx, errors };
}
const definer = (ctx: LinkContext, name: string): string => {
  const s = ctx.syms.lookup(name);
  return fileName(ctx.file(ctx.syms.file[s]!));
};

describe.skipIf(!hasMc)("symbol resolution", () => {
  it("a strong definition beats a weak one, whichever comes first", () => {
    const w = obj("w", weak("_x"));
    const s = obj("s", strong("_x"));
    for (const inputs of [
      [w, s],
      [s, w],
    ]) {
      const { ctx, errors } = load(inputs);
      expect(errors).toEqual([]);
      expect(definer(ctx, "_x")).toBe(s);
      expect(ctx.syms.has(ctx.syms.lookup("_x"), SymFlag.WeakDef)).toBe(false);
    }
  });

  it("between two weak definitions the first wins", () => {
    const a = obj("wa", weak("_y"));
    const b = obj("wb", weak("_y"));
    expect(definer(load([a, b]).ctx, "_y")).toBe(a);
    expect(definer(load([b, a]).ctx, "_y")).toBe(b);
  });

  it("two strong definitions are a duplicate symbol error naming both files", () => {
    const a = obj("da", strong("_dup"));
    const b = obj("db", strong("_dup"));
    const { errors } = load([a, b]);
    expect(errors.length).toBe(1);
    expect(errors[0]).toContain("duplicate symbol: _dup");
    expect(errors[0]).toContain(a);
    expect(errors[0]).toContain(b);
  });

  it("commons merge to the largest size and strictest alignment; a definition beats them", () => {
    const c1 = obj("c1", ".comm _c, 8, 3");
    const c2 = obj("c2", ".comm _c, 64, 4");
    const c3 = obj("c3", ".comm _c, 16, 5");
    const { ctx } = load([c1, c2, c3]);
    const c = ctx.syms.lookup("_c");
    expect(ctx.syms.kind[c]).toBe(SymKind.Common);
    expect(ctx.syms.size[c]).toBe(64);
    expect(ctx.syms.align[c]).toBe(5);
    const d = obj(
      "cd",
      `.section __DATA,__data\n.globl _c\n_c:\n  .quad 1\n.section __TEXT,__text,regular,pure_instructions`,
    );
    const r = load([c1, d, c2]);
    expect(r.ctx.syms.kind[r.ctx.syms.lookup("_c")]).toBe(SymKind.Defined);
    expect(definer(r.ctx, "_c")).toBe(d);
  });

  it.skipIf(!hasAr)("an archive member is loaded only when a symbol it defines is referenced", () => {
    const used = obj("used", strong("_used"));
    const unused = obj("unused", strong("_unused"));
    const lib = makeArchive([used, unused], { name: "libpick" });
    const main = obj("main", strong("_start_here"), ["_used"]);
    const { ctx, errors } = load([main, lib]);
    expect(errors).toEqual([]);
    expect(ctx.syms.kind[ctx.syms.lookup("_used")]).toBe(SymKind.Defined);
    expect(definer(ctx, "_used")).toMatch(/libpick.*\(used.*\.o\)$/);
    // The other member stays in the archive: its symbol is lazy, never loaded.
    expect(ctx.syms.kind[ctx.syms.lookup("_unused")]).toBe(SymKind.Lazy);
  });

  it("what objects leave undefined binds to a dylib export; an object definition wins over the dylib", () => {
    const main = obj("m", strong("_m0"), ["_printf", "_strlen"]);
    const mine = obj("mystrlen", strong("_strlen"));
    const { ctx, errors } = load([main, mine]);
    expect(errors).toEqual([]);
    const printf = ctx.syms.lookup("_printf");
    expect(ctx.syms.kind[printf]).toBe(SymKind.Dylib);
    expect(ctx.file(ctx.syms.file[printf]!).kind).toBe("dylib");
    expect(definer(ctx, "_strlen")).toBe(mine);
  });

  it("every undefined symbol is reported once, with every file referencing it", () => {
    const a = obj("ua", strong("_ua"), ["_nowhere"]);
    const b = obj("ub", strong("_ub"), ["_nowhere", "_elsewhere"]);
    const { errors } = load([a, b]);
    const nowhere = errors.filter((e) => e.includes("_nowhere"));
    expect(nowhere.length).toBe(1);
    expect(nowhere[0]).toContain(a);
    expect(nowhere[0]).toContain(b);
    expect(errors.some((e) => e.includes("undefined symbol: _elsewhere"))).toBe(true);
  });
});
