// layoutData on real objects (llvm-mc): output section order and placement
// (ld64's and lld's), and the GOT, stubs and lazy pointers it builds for
// imports, checked on the context it leaves, before anything is written.
import { spawnSync } from "node:child_process";
import { LinkContext, type OutputSection, defaultOptions } from "@tsld/core";
import { assemble } from "@tsld/fixtures";
import { loadObjects } from "@tsld/objfile";
import { describe, expect, it } from "vitest";
import { layoutData } from "./stage.js";
import { symbolAddress } from "./target.js";

const hasMc = spawnSync("llvm-mc-19", ["--version"]).status === 0;

function layout(source: string, name: string): LinkContext {
  const ctx = new LinkContext(defaultOptions({ inputs: [assemble(source, { name })] }));
  loadObjects(ctx);
  ctx.diag.checkpoint();
  layoutData(ctx);
  ctx.diag.checkpoint();
  return ctx;
}
const names = (ctx: LinkContext): string[] => ctx.outSections.map((s) => `${s.segname},${s.sectname}`);
const sect = (ctx: LinkContext, seg: string, name: string): OutputSection =>
  ctx.outSections.find((s) => s.segname === seg && s.sectname === name)!;

// Sections deliberately in the wrong order, with one of each kind.
const SCRAMBLED = `
.section __DATA,__bss,zerofill
.zerofill __DATA,__bss,_zero,64,4
.section __DATA,__data
.globl _d
_d: .quad _main
.section __TEXT,__cstring,cstring_literals
Ls: .asciz "hi"
.section __DATA,__const
.globl _k
_k: .quad _main
.section __TEXT,__text,regular,pure_instructions
.globl _main
_main:
  leaq Ls(%rip), %rdi
  callq _puts
  movq ___stdoutp@GOTPCREL(%rip), %rax
  retq
.subsections_via_symbols
`;

describe.skipIf(!hasMc)("layout", () => {
  it("orders segments and sections as ld64 does, whatever the input order", () => {
    const ctx = layout(SCRAMBLED, "scrambled");
    expect(ctx.segments.map((s) => s.name)).toEqual(["__PAGEZERO", "__TEXT", "__DATA_CONST", "__DATA", "__LINKEDIT"]);
    const order = names(ctx);
    const want = [
      "__TEXT,__text",
      "__TEXT,__stubs",
      "__TEXT,__stub_helper",
      "__TEXT,__cstring",
      "__DATA_CONST,__got",
      "__DATA_CONST,__const", // __DATA,__const moves to __DATA_CONST
      "__DATA,__la_symbol_ptr",
      "__DATA,__data",
      "__DATA,__bss", // zerofill last
    ];
    const positions = want.map((w) => order.indexOf(w));
    expect(
      positions.every((p) => p >= 0),
      `${order}`,
    ).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(order).not.toContain("__DATA,__const");
  });

  it("gives sections ascending, aligned addresses inside their segments, __text after the load commands", () => {
    const ctx = layout(SCRAMBLED, "scrambled");
    let prev = 0;
    for (const s of ctx.outSections) {
      if (s.size === 0) continue;
      expect(s.addr).toBeGreaterThanOrEqual(prev);
      expect(s.addr % 2 ** s.align).toBe(0);
      const seg = ctx.segments[s.segment]!;
      expect(s.addr).toBeGreaterThanOrEqual(seg.vmaddr);
      expect(s.addr + s.size).toBeLessThanOrEqual(seg.vmaddr + seg.vmsize);
      prev = s.addr + s.size;
    }
    const text = sect(ctx, "__TEXT", "__text");
    const lcSize = ctx.loadCommands.reduce((n, c) => n + c.size(), 0);
    expect(text.fileOff).toBeGreaterThanOrEqual(32 + lcSize);
    expect(symbolAddress(ctx, ctx.entry)).toBe(text.addr);
  });

  it("a call to an import goes through a stub and a lazy pointer; a GOT load gets a GOT slot", () => {
    const ctx = layout(SCRAMBLED, "scrambled");
    const T = ctx.syms;
    const stubs = ctx.stubs.map((s) => T.name(s));
    const got = ctx.got.map((s) => T.name(s));
    expect(stubs).toEqual(["_puts"]);
    expect(got).toContain("___stdoutp");
    expect(got).toContain("dyld_stub_binder"); // the stub helper binds through it
    expect(got).not.toContain("_puts");
    ctx.stubs.forEach((s, i) => expect(T.stubIndex[s]).toBe(i));
    ctx.got.forEach((s, i) => expect(T.gotIndex[s]).toBe(i));
    expect(sect(ctx, "__TEXT", "__stubs").size).toBe(6 * ctx.stubs.length); // jmpq *lazy_ptr(%rip)
    expect(sect(ctx, "__TEXT", "__stubs").reserved2).toBe(6);
    expect(sect(ctx, "__DATA", "__la_symbol_ptr").size).toBe(8 * ctx.stubs.length);
    expect(sect(ctx, "__DATA_CONST", "__got").size).toBe(8 * ctx.got.length);
  });

  it("a defined symbol needs neither a stub nor a GOT slot", () => {
    const ctx = layout(
      `.section __TEXT,__text,regular,pure_instructions
.globl _main
_main:
  callq _helper
  movq _helper@GOTPCREL(%rip), %rax
  retq
.globl _helper
_helper: retq
.subsections_via_symbols
`,
      "local",
    );
    const T = ctx.syms;
    expect(ctx.stubs.map((s) => T.name(s))).not.toContain("_helper");
    expect(ctx.outSections.some((s) => s.sectname === "__stubs" && s.size > 0)).toBe(false);
  });
});
