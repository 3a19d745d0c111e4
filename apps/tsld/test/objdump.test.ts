// The images tsld writes read cleanly with LLVM's tools: no warnings from
// llvm-objdump's dyld-info dumps or llvm-readobj, and the header flags, segments
// and load commands a macOS executable carries.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { requireTool } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { isChained } from "./fixup-rows.js";
import { ARCH, assemble, byArch, compileC, runMachO, tmp, tsld } from "./helpers.js";

function clean(tool: string, args: string[]): string {
  const r = spawnSync(requireTool(tool), args, { encoding: "utf8", maxBuffer: 64 << 20 });
  expect(r.stderr, `${tool} ${args.join(" ")}`).toBe("");
  expect(r.status).toBe(0);
  return r.stdout;
}

/** main puts()s through the GOT and returns 0; `_p` points at main. One source per arch. */
const ASM = byArch({
  x86_64: `.text
.globl _main
_main:
  movq _puts@GOTPCREL(%rip), %rax
  leaq L_s(%rip), %rdi
  pushq %rbp
  callq *%rax
  popq %rbp
  xorl %eax, %eax
  retq
.cstring
L_s: .asciz "asm"
.data
.globl _p
_p: .quad _main
.subsections_via_symbols
`,
  arm64: `.text
.globl _main
.p2align 2
_main:
  stp x29, x30, [sp, #-16]!
  adrp x8, _puts@GOTPAGE
  ldr x8, [x8, _puts@GOTPAGEOFF]
  adrp x0, L_s@PAGE
  add x0, x0, L_s@PAGEOFF
  blr x8
  mov w0, #0
  ldp x29, x30, [sp], #16
  ret
.cstring
L_s: .asciz "asm"
.data
.globl _p
.p2align 3
_p: .quad _main
.subsections_via_symbols
`,
});

const SOURCES: Record<string, () => string[]> = {
  hello: () => [
    compileC(
      `#include <stdio.h>
int main(int argc, char **argv) { printf("hi %d\\n", argc); return 0; }`,
      { name: "od-hello" },
    ),
  ],
  weak: () => [
    compileC(
      `#include <stdio.h>
__attribute__((weak)) int wf(void) { return 1; }
int (*volatile p)(void) = wf;
_Thread_local int t = 3;
int main(void) { printf("%d %d\\n", p(), t); return 0; }`,
      { name: "od-weak" },
    ),
  ],
  asm: () => [assemble(ASM, { name: "od-asm" })],
};

const DUMP = ["--macho", "--all-headers", "--bind", "--lazy-bind", "--rebase", "--weak-bind", "--exports-trie"];
/** The dyld-info load commands of each fixup encoding. */
const DYLD_INFO_CMDS = (chained: boolean) =>
  chained ? ["LC_DYLD_CHAINED_FIXUPS", "LC_DYLD_EXPORTS_TRIE"] : ["LC_DYLD_INFO_ONLY"];

describe("llvm-objdump and llvm-readobj read tsld's images cleanly", () => {
  it.each(Object.keys(SOURCES))("%s", async (name) => {
    // -no_pie: x86_64 alone (Go's darwin/arm64 executables are always PIE; tsld refuses it there).
    for (const extra of [[], ...(ARCH === "x86_64" ? [["-no_pie"]] : []), ["-dead_strip"]]) {
      const out = join(tmp(), name);
      const r = await tsld(["-o", out, ...extra, ...SOURCES[name]!()]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(runMachO(out).status).toBe(0);
      const chained = isChained(out);
      const d = clean("llvm-objdump-19", [...DUMP, ...(chained ? ["--dyld-info"] : []), out]);
      const flags =
        new RegExp(`MH_MAGIC_64\\s+${ARCH.toUpperCase()}\\s+ALL\\s+\\S+\\s+EXECUTE\\s+\\d+\\s+\\d+\\s+(.*)`).exec(
          d,
        )?.[1] ?? "";
      for (const f of ["NOUNDEFS", "DYLDLINK", "TWOLEVEL"]) expect(flags).toContain(f);
      if (extra[0] === "-no_pie") expect(flags).not.toMatch(/\bPIE\b/);
      else expect(flags).toMatch(/\bPIE\b/);
      for (const seg of ["__PAGEZERO", "__TEXT", "__DATA_CONST", "__LINKEDIT"])
        expect(d).toMatch(new RegExp(`segname ${seg}\\n`));
      if (name !== "hello" && extra[0] !== "-dead_strip") expect(d).toMatch(/segname __DATA\n/);
      for (const lc of [
        "LC_MAIN",
        "LC_LOAD_DYLINKER",
        "LC_UUID",
        "LC_BUILD_VERSION",
        "LC_LOAD_DYLIB",
        ...DYLD_INFO_CMDS(chained),
        "LC_SYMTAB",
        "LC_DYSYMTAB",
      ])
        expect(d).toMatch(new RegExp(`cmd ${lc}\\n`));
      expect(d).toMatch(/name \/usr\/lib\/dyld /);
      expect(d).toMatch(/name \/usr\/lib\/libSystem\.B\.dylib /);
      expect(d).toMatch(/_main/);
      if (name === "weak") {
        expect(flags).toMatch(/WEAK_DEFINES/);
        expect(flags).toMatch(/BINDS_TO_WEAK/);
        expect(flags).toMatch(/HAS_TLV_DESCRIPTORS/);
      }
      clean("llvm-readobj-19", [
        "--file-headers",
        "--sections",
        "--symbols",
        "--macho-segment",
        "--macho-dysymtab",
        "--macho-indirect-symbols",
        "--macho-version-min",
        out,
      ]);
      clean("llvm-objdump-19", ["-d", "--macho", "--indirect-symbols", "--syms", out]);
    }
  });
});
