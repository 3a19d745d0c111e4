// Range-extension thunks for BRANCH26 (lld's test/MachO/arm64-thunks.s, in
// spirit): more than 128 MiB of generated text, calls across the gap in both
// directions and to a dylib's stub. Every call that cannot reach its target
// goes through a thunk (adrp x16; add x16; br x16) placed where ld64.lld-19
// places it: after the last code laid out within reach of the call; calls in
// reach, and late calls that reach the stubs, stay direct. Both links are
// decoded from their bytes (llvm-objdump would disassemble all 144 MiB);
// a program calling across the gap both ways runs under the arm64 loader.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { libSystemTbdDir, requireTool } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { assembleArm64, linkArm64Both, symbolize, symbols } from "./arm64-lit.js";
import { runMachO } from "./helpers.js";

const BIG = `
.text
.globl _main
.p2align 2
_main:
  bl _far_fn
  bl _puts
  bl _mid
  bl _sfar
  ret
.globl _pad1
.p2align 2
_pad1: .space 0x4000000
.globl _mid
.p2align 2
_mid:
  bl _main
  bl _far_fn
  bl _puts
  ret
.globl _pad2
.p2align 2
_pad2: .space 0x4000000
.globl _pad3
.p2align 2
_pad3: .space 0x1000000
.globl _far_fn
.p2align 2
_far_fn:
  bl _main
  bl _mid
  bl _puts
  ret
.p2align 2
_sfar:
  bl _main
  ret
.subsections_via_symbols
`;

const RUN = `
.text
.globl _main
.p2align 2
_main:
  stp x29, x30, [sp, #-16]!
  mov x29, sp
  adrp x0, _near_msg@PAGE
  add x0, x0, _near_msg@PAGEOFF
  bl _puts
  bl _far_fn
  ldp x29, x30, [sp], #16
  ret
.globl _back
.p2align 2
_back:
  mov w0, #40
  ret
.globl _pad1
.p2align 2
_pad1: .space 0x8000000
.globl _pad2
.p2align 2
_pad2: .space 0x1000000
.globl _far_fn
.p2align 2
_far_fn:
  stp x29, x30, [sp, #-16]!
  mov x29, sp
  adrp x0, _far_msg@PAGE
  add x0, x0, _far_msg@PAGEOFF
  bl _puts
  bl _back
  add w0, w0, #2
  ldp x29, x30, [sp], #16
  ret
.section __TEXT,__cstring,cstring_literals
_near_msg: .asciz "called from 0 MiB"
_far_msg: .asciz "called from 144 MiB"
.subsections_via_symbols
`;

/**
 * The thunk symbols of an image, as llvm-nm -m prints them (scope, name),
 * each placed after the code symbol before it (`after _sfar+0x8`).
 */
function thunkSymbols(path: string): string[] {
  const r = spawnSync(requireTool("llvm-nm-19"), ["-n", "-m", path], { encoding: "utf8" });
  const code = symbols(path).filter((s) => !s.name.includes(".thunk."));
  return r.stdout
    .split("\n")
    .filter((l) => l.includes(".thunk."))
    .map((l) => {
      const addr = Number.parseInt(l.slice(0, 16), 16);
      const before = code.filter((s) => s.addr <= addr).pop()!;
      return `${l.slice(17)} after ${before.name}+0x${(addr - before.addr).toString(16)}`;
    });
}

const sext = (v: number, bits: number): number => (v << (32 - bits)) >> (32 - bits);

/**
 * Each call of `fn` as `target` (a function), `thunk after F+0xN -> T` (a
 * thunk at that place, jumping to T), or `stub after F+0xN`; thunk symbols
 * lld names are ignored, so both links read alike.
 */
function calls(path: string, fn: string): string[] {
  const file = readFileSync(path);
  const syms = symbols(path).filter((s) => !s.name.includes(".thunk.") && s.name !== "__mh_execute_header");
  const word = (addr: number): number => file.readUInt32LE(addr - 0x100000000);
  const at = (addr: number): string => {
    const exact = syms.find((s) => s.addr === addr);
    if (exact) return exact.name;
    const before = syms.filter((s) => s.addr <= addr).pop()!;
    return `${before.name}+0x${(addr - before.addr).toString(16)}`;
  };
  const out: string[] = [];
  for (let a = syms.find((s) => s.name === fn)!.addr; word(a) !== 0xd65f03c0; a += 4) {
    const w = word(a);
    if (w >>> 26 !== 0x25) continue; // bl
    const t = a + sext(w & 0x3ffffff, 26) * 4;
    if (syms.some((s) => s.addr === t)) {
      out.push(at(t));
      continue;
    }
    const w0 = word(t);
    const w1 = word(t + 4);
    const pages = sext((((w0 >>> 5) & 0x7ffff) << 2) | ((w0 >>> 29) & 3), 21);
    const dest = Math.floor(t / 4096) * 4096 + pages * 4096 + ((w1 >>> 10) & 0xfff);
    // add x16, x16, #off: a thunk; ldr x16, [x16, #off]: a stub
    if ((w1 & 0xffc003ff) >>> 0 === 0x91000210) out.push(`thunk after ${at(t)} -> ${at(dest)}`);
    else out.push(`stub after ${at(t)}`);
  }
  return out;
}

describe("arm64 range-extension thunks", () => {
  it("calls beyond ±128 MiB go through thunks placed as ld64.lld-19 places them", async () => {
    const { ours, theirs } = await linkArm64Both("thunks", assembleArm64({ thunks: BIG }));
    const want: Record<string, string[]> = {
      // _far_fn, _sfar and the stubs are out of reach from _main: thunks after _mid, the last code within reach
      _main: [
        "thunk after _mid+0x10 -> _far_fn",
        "thunk after _mid+0x1c -> _sfar+0x14",
        "_mid",
        "thunk after _mid+0x28 -> _sfar",
      ],
      // within reach both ways; the stubs (after _sfar and the thunk to _main) too
      _mid: ["_main", "_far_fn", "stub after _sfar+0x14"],
      // _main is 144 MiB back: one thunk after _sfar (the code laid out by then), before the stubs
      _far_fn: ["thunk after _sfar+0x8 -> _main", "_mid", "stub after _sfar+0x14"],
      // the same thunk serves the local _sfar
      _sfar: ["thunk after _sfar+0x8 -> _main"],
    };
    for (const [fn, expected] of Object.entries(want)) {
      expect(calls(theirs, fn), `lld ${fn}`).toEqual(expected);
      expect(calls(ours, fn), `tsld ${fn}`).toEqual(expected);
    }
    // Thunks of global targets are named <sym>.thunk.<n>, private externs listed as locals; a local
    // target's thunk (_sfar's) has no symbol, as in lld.
    expect(thunkSymbols(theirs)).toEqual([
      "(__TEXT,__text) non-external (was a private external) _far_fn.thunk.0 after _mid+0x10",
      "(__TEXT,__text) non-external (was a private external) _puts.thunk.0 after _mid+0x1c",
      "(__TEXT,__text) non-external (was a private external) _main.thunk.0 after _sfar+0x8",
    ]);
    expect(thunkSymbols(ours)).toEqual(thunkSymbols(theirs));
    // Function starts name the functions, not the thunks, in both.
    const starts = (path: string): string[] =>
      spawnSync(requireTool("llvm-objdump-19"), ["--macho", "--function-starts", path], { encoding: "utf8" })
        .stdout.split("\n")
        .filter((l) => /^[0-9a-f]{16}$/.test(l.trim()))
        .map((l) => symbolize(symbols(path), Number.parseInt(l, 16)));
    expect(starts(ours)).toEqual(starts(theirs));
    expect(starts(ours)).toHaveLength(7);
  }, 120_000);

  it("a program calling across 144 MiB both ways, and a stub from each end, runs under the loader", async () => {
    const { ours, theirs } = await linkArm64Both(
      "thunks-run",
      assembleArm64({ thunks_run: RUN }),
      [],
      libSystemTbdDir("arm64"),
    );
    // _main: both calls through thunks after _back (to the stub for _puts, past _far_fn, and to _far_fn);
    // _far_fn: its stub directly, _back through a thunk after it; all as lld
    for (const fn of ["_main", "_far_fn"]) expect(calls(ours, fn), fn).toEqual(calls(theirs, fn));
    expect(calls(ours, "_main")).toEqual([
      expect.stringMatching(/^thunk after _back\+0x8 -> _far_fn\+0x[0-9a-f]+$/),
      "thunk after _back+0x14 -> _far_fn",
    ]);
    expect(calls(ours, "_far_fn")).toEqual([
      expect.stringMatching(/^stub after _far_fn\+0x[0-9a-f]+$/),
      "thunk after _far_fn+0x24 -> _back",
    ]);
    for (const out of [theirs, ours]) {
      const r = runMachO(out);
      expect(r.stderr, out).toBe("");
      expect(r.stdout).toBe("called from 0 MiB\ncalled from 144 MiB\n");
      expect(r.status).toBe(42);
    }
  }, 180_000);
});
