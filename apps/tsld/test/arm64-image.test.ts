// arm64 images as a whole, each compared with ld64.lld-19 -arch arm64 links
// of the same inputs: compact unwind with arm64 encodings and
// UNWIND_ARM64_MODE_DWARF entries pointing at their __eh_frame FDEs;
// initializers; chained fixups by default for macOS 13 (stubs through
// __got, no lazy binding); the ad-hoc signature on by default and
// verifying; dylibs and bundles; C from clang (through glibc's aarch64
// headers), with llvm-objdump printing no warning. DWARF and the signing
// flags are the suite's dwarf and codesign tests, run for arm64 too.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { verifyCodeSignature } from "@tsld/codesign-verify";
import { requireTool } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { assembleArm64, linkArm64Both, reaches, symbols } from "./arm64-lit.js";
import { tmp } from "./helpers.js";
import { dump, filecheck } from "./lit.js";

const UNWIND = `
.text
.globl _main
.p2align 2
_main:
  .cfi_startproc
  stp x29, x30, [sp, #-16]!
  mov x29, sp
  .cfi_def_cfa w29, 16
  .cfi_offset w30, -8
  .cfi_offset w29, -16
  bl _odd
  bl _leaf
  bl _puts
  ldp x29, x30, [sp], #16
  ret
  .cfi_endproc
.globl _odd
.p2align 2
_odd:
  .cfi_startproc
  sub sp, sp, #32
  .cfi_def_cfa_offset 32
  str x19, [sp, #8]
  .cfi_offset w19, -24
  ldr x19, [sp, #8]
  add sp, sp, #32
  ret
  .cfi_endproc
.globl _leaf
.p2align 2
_leaf:
  .cfi_startproc
  ret
  .cfi_endproc
.section __DATA,__mod_init_func,mod_init_funcs
.p2align 3
.quad _leaf
.subsections_via_symbols
`;

/** Function name → compact-unwind encoding, from llvm-objdump --unwind-info. */
function encodings(path: string): Record<string, string> {
  const text = dump("llvm-objdump-19", ["--macho", "--unwind-info", path]);
  const common = [...text.matchAll(/^\s+encoding\[(\d+)\]: (0x[0-9a-f]+)/gm)];
  const table = new Map<number, string>();
  // Common encodings come first (indices from 0), then each page's (indices continue).
  for (const m of common) table.set(Number(m[1]), m[2]!);
  const syms = symbols(path);
  const base = syms.find((s) => s.name === "__mh_execute_header")?.addr ?? 0;
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/\[\d+\]: function offset=(0x[0-9a-f]+), encoding\[(\d+)\]=(0x[0-9a-f]+)/g)) {
    const name = syms.find((s) => s.addr === base + Number.parseInt(m[1]!, 16))?.name ?? m[1]!;
    out[name] = m[3]!;
  }
  return out;
}

/** Function name → the FDE offset a DWARF-mode encoding names, resolved to the FDE's pc_begin symbol. */
function fdeTargets(path: string): Record<string, string> {
  const enc = encodings(path);
  const frames = dump("llvm-dwarfdump-19", ["--eh-frame", path]);
  const syms = symbols(path);
  const out: Record<string, string> = {};
  for (const [fn, e] of Object.entries(enc)) {
    const v = Number.parseInt(e, 16);
    if ((v & 0x0f000000) !== 0x03000000) continue;
    const off = (v & 0x00ffffff).toString(16).padStart(8, "0");
    const m = new RegExp(`^${off} [0-9a-f]+ [0-9a-f]+ FDE cie=[0-9a-f]+ pc=([0-9a-f]+)`, "m").exec(frames);
    out[fn] = m ? (syms.find((s) => s.addr === Number.parseInt(m[1]!, 16))?.name ?? m[1]!) : "none";
  }
  return out;
}

describe("arm64 images", () => {
  it("compact unwind: arm64 encodings, DWARF mode entries pointing at their own FDEs, as lld", async () => {
    const { ours, theirs } = await linkArm64Both("unwind", assembleArm64({ unwind: UNWIND }));
    const e = encodings(ours);
    expect(e).toEqual(encodings(theirs));
    // _leaf: frameless; _odd (x19 saved alone) can only be described in DWARF
    expect(e._leaf).toBe("0x02000000");
    expect(Number.parseInt(e._odd!, 16) & 0x0f000000).toBe(0x03000000);
    const fdes = fdeTargets(ours);
    expect(fdes._odd).toBe("_odd");
    expect(fdes).toEqual(fdeTargets(theirs));
    // the initializer pointer is rebased like lld's
    for (const out of [ours, theirs])
      filecheck(
        dump("llvm-objdump-19", ["--macho", "--rebase", out]),
        "CHECK: __DATA_CONST __mod_init_func 0x{{.*}} pointer",
      );
  });

  it("chained fixups for macOS 13: binds in __got, stubs through it, no stub helper; signed, and verified", async () => {
    const flags = ["-platform_version", "macos", "13.0", "13.0"];
    const { ours, theirs } = await linkArm64Both("chained", assembleArm64({ chained: UNWIND }), flags);
    const fixups = (out: string): string[] =>
      dump("llvm-objdump-19", ["--macho", "--dyld-info", out])
        .split("\n")
        .filter((l) => /bind|rebase/.test(l))
        .map((l) =>
          l
            .replace(/0x[0-9a-f]+ 0x[0-9a-f]+/, "ADDR PTR")
            .replace(/\s+/g, " ")
            .trim(),
        );
    expect(fixups(ours)).toEqual(fixups(theirs));
    filecheck(fixups(ours).join("\n"), "CHECK: __DATA_CONST __got ADDR PTR bind 0x0 libSystem _puts");
    const secs = dump("llvm-objdump-19", ["--macho", "--section-headers", ours]);
    expect(secs).not.toMatch(/__stub_helper|__la_symbol_ptr/);
    filecheck(
      dump("llvm-objdump-19", ["--macho", "-d", "--no-show-raw-insn", "--section=__TEXT,__stubs", ours]),
      `
CHECK: adrp x16
CHECK-NEXT: ldr x16, [x16{{.*}}] ; literal pool symbol address: _puts
CHECK-NEXT: br x16
`,
    );
    const hdr = dump("llvm-objdump-19", ["--macho", "--private-headers", ours]);
    filecheck(hdr, "CHECK: cmd LC_DYLD_CHAINED_FIXUPS");
    filecheck(hdr, "CHECK: cmd LC_CODE_SIGNATURE");
    const v = verifyCodeSignature(readFileSync(ours));
    expect(v.errors).toEqual([]);
  });

  it("C from clang: TLV, initializers, GOT, stubs, literals reach what lld's do; dylib and bundle too", async () => {
    const dir = tmp("tsld-a64c-");
    const c = join(dir, "c.c");
    writeFileSync(
      c,
      `#include <stdio.h>
#include <stdlib.h>
__thread int tv = 3;
static __thread long tz;
static int counter;
__attribute__((constructor)) static void init(void) { counter = 41; }
long double ld = 1.0L;
__int128 big = 5;
__int128 getbig(void) { return big; }
int bump(void) { tz += 2; return ++counter + tv + (int)tz; }
int main(int argc, char **argv) { printf("%d %s\\n", bump(), argv[0]); puts("ok"); return argc > 5 ? (int)getbig() : 0; }
`,
    );
    const i = join(dir, "c.i");
    const o = join(dir, "c.o");
    const run = (tool: string, args: string[]): void => {
      const r = spawnSync(requireTool(tool), args, { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`${tool} failed: ${r.stderr}`);
    };
    run("clang-19", ["-E", "-target", "aarch64-linux-gnu", "--sysroot=/usr/aarch64-linux-gnu", c, "-o", i]);
    run("clang-19", ["-target", "arm64-apple-macos11", "-O1", "-c", i, "-o", o]);
    const { ours, theirs } = await linkArm64Both("cprog", [o]);
    for (const fn of ["_main", "_bump", "_getbig"]) expect(reaches(ours, fn), fn).toEqual(reaches(theirs, fn));
    expect(encodings(ours)).toEqual(encodings(theirs));
    const tlv = (out: string): string =>
      dump("llvm-objdump-19", ["--macho", "--bind", out])
        .split("\n")
        .filter((l) => l.includes("__thread_vars"))
        .map((l) => l.replace(/0x[0-9a-f]+/, "ADDR").replace(/\s+/g, " "))
        .join("\n");
    expect(tlv(ours)).toBe(tlv(theirs));
    dump("llvm-objdump-19", ["--macho", "--all-headers", ours]);
    for (const [kind, ours] of [
      ["-dylib", ["-buildmode=c-shared"]],
      ["-bundle", ["-buildmode=c-shared", "-bundle"]],
    ] as const) {
      const lib = await linkArm64Both(`c${kind}`, [o], [...ours], undefined, [kind]);
      for (const fn of ["_main", "_bump"])
        expect(reaches(lib.ours, fn), `${kind} ${fn}`).toEqual(reaches(lib.theirs, fn));
      expect(verifyCodeSignature(readFileSync(lib.ours)).errors).toEqual([]);
      dump("llvm-objdump-19", ["--macho", "--all-headers", lib.ours]);
    }
  });
});
