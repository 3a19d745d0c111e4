// Literal folding: equal C strings and equal 4/8/16-byte literals across
// objects become one atom (ld64's and lld's behaviour); different bytes, or
// the same bytes in a different literal kind, stay apart.
import { spawnSync } from "node:child_process";
import { AtomFlag, type AtomId, LinkContext, defaultOptions } from "@tsld/core";
import { assemble } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { loadObjects } from "./load.js";

const hasMc = spawnSync("llvm-mc-19", ["--version"]).status === 0;

function load(sources: string[]): LinkContext {
  const inputs = sources.map((s, i) => assemble(`${s}\n.subsections_via_symbols\n`, { name: `lit${i}` }));
  const ctx = new LinkContext(defaultOptions({ inputs, entry: "", linkLibSystem: false }));
  loadObjects(ctx);
  ctx.diag.checkpoint();
  return ctx;
}

/** The atoms of input sections named `sect`, with their bytes, fold target and alignment. */
function literals(ctx: LinkContext, sect: string) {
  const A = ctx.atoms;
  const S = ctx.sections;
  const out: { atom: AtomId; text: string; folded: boolean; into: number; align: number }[] = [];
  for (let a = 0; a < A.count; a++) {
    const s = A.section[a]!;
    if (S.sectnames[s] !== sect) continue;
    const data = ctx.files[A.file[a]!]!.data!;
    const o = S.dataOff[s]! + A.offset[a]!;
    const folded = (A.flags[a]! & AtomFlag.Folded) !== 0;
    out.push({
      atom: a,
      text: Buffer.from(data.subarray(o, o + A.size[a]!)).toString("latin1"),
      folded,
      into: folded ? A.foldedInto[a]! : a,
      align: A.align[a]!,
    });
  }
  return out;
}

describe.skipIf(!hasMc)("literal folding", () => {
  it("equal C strings across objects fold into the first; different ones stay", () => {
    const ctx = load([
      `.section __TEXT,__cstring,cstring_literals\n.asciz "hello"\n.asciz "only in a"`,
      `.section __TEXT,__cstring,cstring_literals\n.asciz "world"\n.asciz "hello"`,
    ]);
    const lits = literals(ctx, "__cstring");
    const hellos = lits.filter((l) => l.text === "hello\0");
    expect(hellos.length).toBe(2);
    const [first, second] = hellos;
    expect(first!.folded).toBe(false);
    expect(second!.folded).toBe(true);
    expect(second!.into).toBe(first!.atom);
    for (const l of lits.filter((l) => l.text !== "hello\0")) expect(l.folded).toBe(false);
  });

  it("a string is not folded into a longer one that merely starts with it", () => {
    const ctx = load([`.section __TEXT,__cstring,cstring_literals\n.asciz "abc"\n.asciz "ab"`]);
    expect(literals(ctx, "__cstring").every((l) => !l.folded)).toBe(true);
  });

  it("equal 8-byte literals fold; a different one stays", () => {
    const ctx = load([
      `.section __TEXT,__literal8,8byte_literals\n.p2align 3\n.quad 0x1122334455667788\n.quad 7`,
      `.section __TEXT,__literal8,8byte_literals\n.p2align 4\n.quad 0x1122334455667788`,
    ]);
    const lits = literals(ctx, "__literal8");
    const same = lits.filter((l) => l.text === Buffer.from("8877665544332211", "hex").toString("latin1"));
    expect(same.length).toBe(2);
    expect(same[1]!.folded).toBe(true);
    expect(same[1]!.into).toBe(same[0]!.atom);
    expect(ctx.atoms.align[same[0]!.atom]).toBeGreaterThanOrEqual(3);
    expect(lits.filter((l) => !l.folded).length).toBe(2); // the canonical one and the 7
  });

  it("the same bytes in different literal kinds are not folded", () => {
    const ctx = load([
      `.section __TEXT,__literal4,4byte_literals\n.long 0x41424344`,
      `.section __TEXT,__cstring,cstring_literals\n.ascii "DCBA"`,
    ]);
    expect(literals(ctx, "__literal4")[0]!.folded).toBe(false);
  });
});
