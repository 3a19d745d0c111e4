// Every x86_64 relocation type, from assembly: the program prints what each
// fixed-up site holds, so identical output to lld's link proves the values.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { linkWithLld, requireTool } from "@tsld/fixtures";
import { expect, it } from "vitest";
import { assemble, describeX86_64, linkBoth, runMachO, tmp, tsld } from "./helpers.js";

const P = (fmt: string, value: string): string => `
  leaq ${fmt}(%rip), %rdi
  movq ${value}, %rsi
  xorl %eax, %eax
  callq _printf`;

const MAIN = `
.section __TEXT,__text,regular,pure_instructions
.globl _main
.p2align 4
_main:
  pushq %rbp
  movq %rsp, %rbp
  pushq %rbx
  pushq %r12
  # SIGNED, extern and section-relative (L label in __cstring)
  ${P("Lfmt_signed", "_counter(%rip)")}
  # SIGNED_1, SIGNED_2, SIGNED_4 (immediate bytes follow the displacement), with addends
  movb $0x11, _bytes(%rip)
  movw $0x2233, _bytes+2(%rip)
  movl $0x44556677, _bytes+4(%rip)
  movb $0x7f, Lpriv+1(%rip)
  ${P("Lfmt_hex", "_bytes(%rip)")}
  ${P("Lfmt_hex", "Lpriv(%rip)")}
  # BRANCH to a local function and to a libSystem import (stub)
  movl $20, %edi
  callq _twice
  ${P("Lfmt_twice", "%rax")}
  # GOT_LOAD to an import: a GOT slot
  movq _puts@GOTPCREL(%rip), %rax
  leaq Lhello(%rip), %rdi
  callq *%rax
  # GOT_LOAD to a local: relaxed to leaq
  movq _twice@GOTPCREL(%rip), %rax
  movl $21, %edi
  callq *%rax
  ${P("Lfmt_twice", "%rax")}
  # GOT (not a movq): pushq through the GOT
  pushq _counter@GOTPCREL(%rip)
  popq %rax
  ${P("Lfmt_signed", "(%rax)")}
  # GOT in data: .long _counter@GOTPCREL, a pc-relative offset to the slot
  leaq Lgotrel(%rip), %rax
  movslq (%rax), %rcx
  leaq 4(%rax,%rcx), %rax
  movq (%rax), %rax
  ${P("Lfmt_signed", "(%rax)")}
  # UNSIGNED 64: pointer to a local (rebase), with addend, to an import (bind), section-relative
  movq _ptr_counter(%rip), %rax
  ${P("Lfmt_signed", "(%rax)")}
  movq _ptr_bytes8(%rip), %rax
  leaq _bytes(%rip), %rcx
  subq %rcx, %rax
  ${P("Lfmt_diff", "%rax")}
  movq _ptr_puts(%rip), %rax
  leaq Lhello2(%rip), %rdi
  callq *%rax
  movq _ptr_priv(%rip), %rax
  ${P("Lfmt_hex", "(%rax)")}
  # UNSIGNED 32 to an absolute symbol
  movl _abs32(%rip), %eax
  ${P("Lfmt_hex", "%rax")}
  # SUBTRACTOR, 64 and 32 bits
  ${P("Lfmt_diff", "_diff64(%rip)")}
  movslq _diff32(%rip), %rax
  ${P("Lfmt_diff", "%rax")}
  movslq _diff32b(%rip), %rax
  ${P("Lfmt_diff", "%rax")}
  # TLV: a thread-local variable through its descriptor
  movq _tv@TLVP(%rip), %rdi
  callq *(%rdi)
  movq %rax, %rbx
  addq $5, (%rbx)
  ${P("Lfmt_signed", "(%rbx)")}
  xorl %eax, %eax
  popq %r12
  popq %rbx
  popq %rbp
  retq

.globl _twice
.p2align 4
_twice:
  leal (%rdi,%rdi), %eax
  retq

.section __TEXT,__cstring,cstring_literals
Lfmt_signed: .asciz "signed %ld\\n"
Lfmt_hex: .asciz "hex %lx\\n"
Lfmt_twice: .asciz "twice %ld\\n"
Lfmt_diff: .asciz "diff %ld\\n"
Lhello: .asciz "hello via GOT"
Lhello2: .asciz "hello via pointer"

.section __TEXT,__const
Lgotrel: .long _counter@GOTPCREL

.data
.globl _counter
.p2align 3
_counter: .quad 42
.globl _bytes
_bytes: .quad 0
  .quad 0
Lpriv: .quad 0x0100
.globl _ptr_counter
_ptr_counter: .quad _counter
_ptr_bytes8: .quad _bytes+8
_ptr_puts: .quad _puts
_ptr_priv: .quad Lpriv
_abs32: .long _absval
  .long 0
_diff64: .quad _ptr_counter - _counter
_diff32: .long _counter - _ptr_puts
_diff32b: .long _twice - _main

.section __DATA,__thread_data,thread_local_regular
.p2align 3
_tv$tlv$init: .quad 77

.section __DATA,__thread_vars,thread_local_variables
.globl _tv
_tv:
  .quad __tlv_bootstrap
  .quad 0
  .quad _tv$tlv$init

.subsections_via_symbols
`;

const ABS = `
.globl _absval
_absval = 0x1234
`;

function objdump(args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(requireTool("llvm-objdump-19"), args, { encoding: "utf8" });
  return { stdout: r.stdout, stderr: r.stderr };
}

describeX86_64("X86_64_RELOC_* kinds (arm64-relocs.test.ts has ARM64_RELOC_*)")("x86_64 relocations", () => {
  const objects = (): string[] => [assemble(MAIN, { name: "relocs" }), assemble(ABS, { name: "abs" })];
  let pie: Promise<{ ours: string; theirs: string }> | undefined;
  const linked = (): Promise<{ ours: string; theirs: string }> => (pie ??= linkBoth(tmp(), "relocs", objects()));

  it("every type resolves to what lld computes (PIE)", async () => {
    const { ours, theirs } = await linked();
    const want = runMachO(theirs);
    expect(want.stderr).toBe("");
    expect(want.status).toBe(0);
    expect(want.stdout).toContain("signed 82");
    const got = runMachO(ours);
    expect(got.stderr).toBe(want.stderr);
    // ld64.lld-19 marks the 32-bit UNSIGNED of an N_ABS symbol for rebasing
    // (the loader then slides 0x1234); ld64 and tsld leave absolutes alone.
    expect(got.stdout).toContain("hex 1234\n");
    expect(got.stdout).toBe(want.stdout.replace(/hex [0-9a-f]+234\n/, "hex 1234\n"));
    expect(got.status).toBe(want.status);
  });

  it("relaxes GOT_LOAD of a local to leaq and keeps a GOT slot for the import", async () => {
    const { ours } = await linked();
    const d = objdump(["-d", "--no-show-raw-insn", ours]);
    expect(d.stderr).toBe("");
    // movq _twice@GOTPCREL(%rip) became a leaq; movq _puts@GOTPCREL stays a load.
    const lines = d.stdout.split("\n");
    const i = lines.findIndex((l) => /movl\s+\$0x15, %edi/.test(l));
    expect(i).toBeGreaterThan(0);
    expect(lines[i - 1]).toMatch(/leaq\s/);
    expect(d.stdout).toMatch(/movq\s+0x[0-9a-f]+\(%rip\), %rax/);
    const s = objdump(["--macho", "--section-headers", ours]).stdout;
    expect(s).toMatch(/__got/);
    expect(s).toMatch(/__stubs/);
  });

  it("links and runs the same with -no_pie", async () => {
    const dir = tmp();
    const { ours, theirs } = await linkBoth(dir, "relocs-nopie", objects(), ["-no_pie"], ["-no_pie"]);
    const want = runMachO(theirs);
    expect(want.status).toBe(0);
    const got = runMachO(ours);
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(want.status);
    expect(objdump(["--macho", "--private-header", ours]).stdout).not.toMatch(/\bPIE\b/);
  });

  it("rejects a 32-bit absolute address of a data symbol, like lld", async () => {
    const src = `
.text
.globl _main
_main:
  movl _x32(%rip), %eax
  retq
.data
.globl _x
_x: .quad 5
_x32: .long _x
`;
    const obj = assemble(src, { name: "abs32" });
    const dir = tmp();
    for (const flags of [[], ["-no_pie"]]) {
      const out = join(dir, `abs32${flags.join("")}`);
      const r = await tsld(["-o", out, ...flags, obj]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/32/);
      expect(r.stderr).toMatch(/_x/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(out)).toBe(false);
      expect(() => linkWithLld([obj], `${out}.lld`, flags)).toThrow();
    }
  });
});
