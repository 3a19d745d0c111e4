// __TEXT,__unwind_info from the objects' compact unwind entries, and an
// __eh_frame that keeps only the FDEs live functions need: compared with
// ld64.lld-19's output of the same inputs through llvm-objdump.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { requireTool } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { assemble, byArch, compileC, linkBoth, runMachO, tmp, tsld } from "./helpers.js";

const A = `
int printf(const char *, ...);
extern int g(int);
extern int weird(int);
extern int withlsda(int);
extern int nocfi(int);
__attribute__((noinline)) int f(int x) {
  int a[16];
  for (int i = 0; i < 16; i++) a[i] = g(x + i);
  return a[x & 15] + a[(x + 3) & 15];
}
int dead1(int x) { return g(x) + 5; }
int main(int argc, char **argv) {
  (void)argv;
  printf("%d %d %d %d\\n", f(argc), weird(argc), withlsda(argc), nocfi(argc));
  return 0;
}
`;

const B = `
__attribute__((noinline)) static int h(int x) { return x * 3 + 1; }
int g(int x) { return h(x) * 2; }
int dead2(int x) { volatile int y = x; return y + g(x); }
// Stands in for the C++ runtime's (clang's assembler only compact-encodes this personality).
int __gxx_personality_v0(void) { return 0; }
`;

const EXCEPT_TAB = `
.section __TEXT,__gcc_except_tab
.p2align 2
Lexception0:
  .byte 255
  .byte 155
  .uleb128 0
  .byte 1
  .uleb128 0
.subsections_via_symbols
`;

// Hand-written unwind: _weird uses a CFI escape compact unwind cannot say
// (the arch's DWARF mode), _withlsda has a personality and an LSDA,
// _nocfi has no unwind info at all, _weird_dead is DWARF-mode and unused.
// One source per arch, the same functions in each.
const S = byArch({
  x86_64: `
.section __TEXT,__text,regular,pure_instructions
.globl _weird
.p2align 4
_weird:
  .cfi_startproc
  pushq %rbp
  .cfi_def_cfa_offset 16
  .cfi_offset %rbp, -16
  movq %rsp, %rbp
  .cfi_def_cfa_register %rbp
  .cfi_escape 0x2e, 0x00
  leal 7(%rdi), %eax
  popq %rbp
  retq
  .cfi_endproc

.globl _weird_dead
.p2align 4
_weird_dead:
  .cfi_startproc
  pushq %rbp
  .cfi_def_cfa_offset 16
  .cfi_escape 0x2e, 0x00
  movl $1, %eax
  popq %rbp
  retq
  .cfi_endproc

.globl _withlsda
.p2align 4
_withlsda:
  .cfi_startproc
  .cfi_personality 155, ___gxx_personality_v0
  .cfi_lsda 16, Lexception0
  pushq %rbp
  .cfi_def_cfa_offset 16
  .cfi_offset %rbp, -16
  movq %rsp, %rbp
  .cfi_def_cfa_register %rbp
  leal 100(%rdi), %eax
  popq %rbp
  retq
  .cfi_endproc

.globl _nocfi
.p2align 4
_nocfi:
  leal 1000(%rdi), %eax
  retq
${EXCEPT_TAB}`,
  arm64: `
.section __TEXT,__text,regular,pure_instructions
.globl _weird
.p2align 2
_weird:
  .cfi_startproc
  stp x29, x30, [sp, #-16]!
  mov x29, sp
  .cfi_def_cfa w29, 16
  .cfi_offset w30, -8
  .cfi_offset w29, -16
  .cfi_escape 0x2e, 0x00
  add w0, w0, #7
  ldp x29, x30, [sp], #16
  ret
  .cfi_endproc

.globl _weird_dead
.p2align 2
_weird_dead:
  .cfi_startproc
  stp x29, x30, [sp, #-16]!
  .cfi_def_cfa_offset 16
  .cfi_escape 0x2e, 0x00
  mov w0, #1
  ldp x29, x30, [sp], #16
  ret
  .cfi_endproc

.globl _withlsda
.p2align 2
_withlsda:
  .cfi_startproc
  .cfi_personality 155, ___gxx_personality_v0
  .cfi_lsda 16, Lexception0
  stp x29, x30, [sp, #-16]!
  mov x29, sp
  .cfi_def_cfa w29, 16
  .cfi_offset w30, -8
  .cfi_offset w29, -16
  add w0, w0, #100
  ldp x29, x30, [sp], #16
  ret
  .cfi_endproc

.globl _nocfi
.p2align 2
_nocfi:
  add w0, w0, #1000
  ret
${EXCEPT_TAB}`,
});

/** Compact unwind's mode bits, and the arch's DWARF mode (UNWIND_X86_64_MODE_DWARF, UNWIND_ARM64_MODE_DWARF). */
const MODE_MASK = 0x0f000000;
const DWARF_MODE = byArch({ x86_64: 0x04000000, arm64: 0x03000000 });

/** `main` returning 0, for hand-written objects. */
const RETURN_ZERO = byArch({ x86_64: "xorl %eax, %eax\n        retq", arm64: "mov w0, #0\n        ret" });

function tool(name: string, args: string[]): { stdout: string; stderr: string; status: number } {
  const r = spawnSync(requireTool(name), args, { encoding: "utf8" });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
}

/** Second-level entries (image offset → encoding) as llvm-objdump prints them. */
function unwindEntries(path: string): { fn: number; enc: number }[] {
  const r = tool("llvm-objdump-19", ["--macho", "--unwind-info", path]);
  expect(r.stderr).toBe("");
  const out: { fn: number; enc: number }[] = [];
  for (const m of r.stdout.matchAll(/function offset=(0x[0-9a-f]+), encoding(?:\[\d+\])?=(0x[0-9a-f]+)/g))
    out.push({ fn: Number(m[1]), enc: Number(m[2]) });
  return out;
}

/** Defined __text functions: name → image offset. */
function functions(path: string): Map<string, number> {
  const r = tool("llvm-nm-19", ["--defined-only", "-n", path]);
  const m = new Map<string, number>();
  for (const line of r.stdout.split("\n")) {
    const [addr, kind, name] = line.trim().split(/\s+/);
    if ((kind === "T" || kind === "t") && name && addr) m.set(name, Number(`0x${addr}`) - 0x100000000);
  }
  return m;
}

/** name → encoding of the entry covering the function (DWARF offsets masked). */
function encodingsByFunction(path: string): Map<string, number> {
  const entries = unwindEntries(path);
  const res = new Map<string, number>();
  for (const [name, addr] of functions(path)) {
    let enc: number | undefined;
    for (const e of entries) if (e.fn <= addr) enc = e.enc;
    if (enc === undefined) continue;
    if ((enc & MODE_MASK) === DWARF_MODE) enc = (enc & ~0xffffff) >>> 0;
    res.set(name, enc >>> 0);
  }
  return res;
}

function ehFrame(path: string): { fdes: { pcStart: number; pcEnd: number }[]; cies: number } {
  const r = tool("llvm-objdump-19", ["--macho", "--dwarf=frames", path]);
  expect(r.status).toBe(0);
  expect(r.stderr).toBe("");
  expect(r.stdout).not.toMatch(/error|invalid/i);
  const fdes = [...r.stdout.matchAll(/FDE cie=[0-9a-f]+ pc=([0-9a-f]+)\.\.\.([0-9a-f]+)/g)].map((m) => ({
    pcStart: Number(`0x${m[1]}`) - 0x100000000,
    pcEnd: Number(`0x${m[2]}`) - 0x100000000,
  }));
  return { fdes, cies: [...r.stdout.matchAll(/ CIE\n/g)].length };
}

function objects(): string[] {
  return [
    compileC(A, { name: "unwind_a", O: "1" }),
    compileC(B, { name: "unwind_b", O: "1" }),
    assemble(S, { name: "unwind_s" }),
  ];
}

describe("unwind info", () => {
  it("has an entry per function with lld's encodings, and a readable __eh_frame", async () => {
    const dir = tmp();
    const { ours, theirs } = await linkBoth(dir, "unwind", objects());
    const want = encodingsByFunction(theirs);
    const got = encodingsByFunction(ours);
    expect(got.size).toBeGreaterThanOrEqual(8);
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(want));
    expect(got.get("_weird")! & MODE_MASK).toBe(DWARF_MODE);
    expect(got.get("_nocfi")).toBe(0);
    // The DWARF-mode entry points at _weird's FDE.
    const fns = functions(ours);
    const e = unwindEntries(ours).find((x) => x.fn === fns.get("_weird"))!;
    const eh = ehFrame(ours);
    const sec = tool("llvm-objdump-19", ["--macho", "--section-headers", ours]).stdout;
    const ehAddr = Number(`0x${/__eh_frame\s+[0-9a-f]+\s+([0-9a-f]+)/.exec(sec)![1]}`) - 0x100000000;
    const frames = tool("llvm-objdump-19", ["--macho", "--dwarf=frames", ours]).stdout;
    const fdeOff = (e.enc & 0xffffff).toString(16).padStart(8, "0");
    expect(frames).toMatch(
      new RegExp(
        `^${fdeOff} [0-9a-f]+ [0-9a-f]+ FDE cie=[0-9a-f]+ pc=${(0x100000000 + fns.get("_weird")!).toString(16).padStart(8, "0")}`,
        "m",
      ),
    );
    // The same FDE read from the file's bytes (in __TEXT, image offset = file
    // offset): a non-zero CIE pointer makes it an FDE, and its pc_begin
    // (DW_EH_PE_pcrel, 8 bytes, per the CIE's "zR" augmentation 0x10) is _weird.
    const file = readFileSync(ours);
    const fde = ehAddr + (e.enc & 0xffffff);
    expect(file.readUInt32LE(fde)).toBeGreaterThan(0);
    expect(file.readUInt32LE(fde + 4)).not.toBe(0);
    expect(fde + 8 + Number(file.readBigInt64LE(fde + 8))).toBe(fns.get("_weird"));
    // FDEs only for functions that need DWARF: _weird and _weird_dead.
    expect(eh.fdes.map((f) => f.pcStart).sort()).toEqual([fns.get("_weird"), fns.get("_weird_dead")].sort());
    const w = runMachO(theirs);
    const r = runMachO(ours);
    expect(w.status).toBe(0);
    expect(r.stdout).toBe(w.stdout);
    expect(r.status).toBe(0);
  });

  it("drops the entries and FDEs of dead functions with -dead_strip", async () => {
    const dir = tmp();
    const { ours, theirs } = await linkBoth(dir, "unwind_ds", objects(), ["-dead_strip"], ["-dead_strip"]);
    const fns = functions(ours);
    for (const dead of ["_dead1", "_dead2", "_weird_dead"]) expect(fns.has(dead)).toBe(false);
    for (const live of ["_main", "_f", "_g", "_weird", "_withlsda", "_nocfi", "___gxx_personality_v0"])
      expect(fns.has(live)).toBe(true);
    expect(Object.fromEntries(encodingsByFunction(ours))).toEqual(Object.fromEntries(encodingsByFunction(theirs)));
    // Every entry starts at a live function; the end sentinel is past the last.
    const starts = new Set(fns.values());
    for (const e of unwindEntries(ours)) expect(starts.has(e.fn)).toBe(true);
    const eh = ehFrame(ours);
    expect(eh.fdes.map((f) => f.pcStart)).toEqual([fns.get("_weird")]);
    expect(eh.cies).toBe(1);
    const w = runMachO(theirs);
    const r = runMachO(ours);
    expect(r.stdout).toBe(w.stdout);
    expect(r.status).toBe(0);
  });

  it("drops a CIE whose LEB128 field runs past its record, with a warning naming the file and record", async () => {
    // The code alignment factor's last byte (0x81) says "more follows", but the record ends there.
    const obj = assemble(
      `        .section __TEXT,__text,regular,pure_instructions
        .globl _main
        .p2align 2
_main:
        ${RETURN_ZERO}
        .section __TEXT,__eh_frame,coalesced,no_toc+strip_static_syms+live_support
        .long 9
        .long 0
        .byte 1
        .asciz "zR"
        .byte 0x81
        .long 0
        .subsections_via_symbols
`,
      { name: "unwind_bad_cie" },
    );
    const out = `${tmp()}/bad_cie`;
    const r = await tsld(["-o", out, obj]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`tsld: warning: ${obj}: __eh_frame CIE at 0x0: truncated ULEB128; dropped\n`);
    expect(runMachO(out).status).toBe(0);
  });

  it("keeps a personality (GOT slot) and the LSDA of a live function", async () => {
    const dir = tmp();
    const { ours } = await linkBoth(dir, "unwind_lsda", objects(), ["-dead_strip"], ["-dead_strip"]);
    const r = tool("llvm-objdump-19", ["--macho", "--unwind-info", ours]).stdout;
    expect(r).toMatch(/Number of personality functions in array:\s+0x1/);
    expect(r).toMatch(/LSDA descriptors:\n\s+\[0\]: function offset=0x[0-9a-f]+, LSDA offset=0x[0-9a-f]+/);
    const fns = functions(ours);
    const m = /LSDA descriptors:\n\s+\[0\]: function offset=(0x[0-9a-f]+)/.exec(r)!;
    expect(Number(m[1])).toBe(fns.get("_withlsda"));
  });
});
