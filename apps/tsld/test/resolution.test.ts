// Symbol resolution: a strong definition beats weak ones whatever the input
// order; among weak definitions the first wins; a real definition beats a
// common symbol and the largest common wins; a private extern becomes local;
// an undefined symbol binds to the dylib that exports it; two strong
// definitions are an error naming both files.
import { join } from "node:path";
import { expect, it } from "vitest";
import { assemble, describeX86_64, tmp, tsld } from "./helpers.js";
import { dump, filecheck, hex, linkAsm, sections } from "./lit.js";

const MAIN = `
.text
.globl _main
_main:
  callq _f
  callq _g
  movq _c1@GOTPCREL(%rip), %rax
  movq _c2@GOTPCREL(%rip), %rax
  leaq _hidden(%rip), %rax
  callq _puts
  xorl %eax, %eax
  retq
.globl _g
.weak_definition _g
_g:
  movl $1, %eax
  retq
.comm _c1, 8, 3
.comm _c2, 4, 2
.subsections_via_symbols
`;

const STRONG = `
.text
.globl _f
_f:
  movl $2, %eax
  retq
.globl _g
.weak_definition _g
_g:
  movl $3, %eax
  retq
.private_extern _hidden
.globl _hidden
_hidden:
  retq
.data
.globl _c1
_c1: .quad 7
.comm _c2, 16, 4
.subsections_via_symbols
`;

const WEAK = `
.text
.globl _f
.weak_definition _f
_f:
  movl $4, %eax
  retq
.subsections_via_symbols
`;

describeX86_64("checked in x86 disassembly (callq targets, stubs)")("symbol resolution", () => {
  it("picks strong over weak, the first weak, the definition over a common, the largest common", async () => {
    // weak.o comes before strong.o: the strong _f still wins.
    // Opcodes pinned: the stubs' lazy and weak binds are read below.
    const out = await linkAsm("resolve", { res_main: MAIN, res_weak: WEAK, res_strong: STRONG }, ["-no_fixup_chains"]);
    const dis = dump("llvm-objdump-19", ["-d", "--no-show-raw-insn", "--no-leading-addr", out]);
    const v = filecheck(
      dis,
      `
CHECK: <_main>:
CHECK-NEXT: callq 0x[[F:[0-9a-f]+]] <_f>
CHECK-NEXT: callq 0x[[G_STUB:[0-9a-f]+]]
CHECK-NEXT: leaq {{.*}} ## 0x[[C1:[0-9a-f]+]] <_c1>
CHECK-NEXT: leaq {{.*}} ## 0x[[C2:[0-9a-f]+]] <_c2>
CHECK-NEXT: leaq {{.*}} ## 0x[[HIDDEN:[0-9a-f]+]] <_hidden>
CHECK-NEXT: callq 0x[[PUTS_STUB:[0-9a-f]+]]
CHECK: <_g>:
CHECK-NEXT: movl $0x1, %eax
CHECK: <_f>:
CHECK-NEXT: movl $0x2, %eax
`,
    );
    const syms = dump("llvm-nm-19", ["-m", out]);
    filecheck(
      syms,
      `
CHECK: {{0*}}[[C1]] (__DATA,__data) external _c1
CHECK: {{0*}}[[C2]] (__DATA,__common) external _c2
CHECK: {{0*}}[[F]] (__TEXT,__text) external _f
CHECK: {{0*}}[[G:[0-9a-f]+]] (__TEXT,__text) weak external _g
CHECK: {{0*}}[[HIDDEN]] (__TEXT,__text) non-external (was a private external) _hidden
CHECK: (undefined) external _puts (from libSystem)
`,
      v,
    );
    expect(syms).not.toMatch(/ _f\n[\s\S]* _f\n/); // one _f
    // the common is the larger one (16 bytes, 16-aligned)
    const common = sections(out).find((s) => s.name === "__common")!;
    expect(common.size).toBe(16);
    expect(hex(v.C2!) % 16).toBe(0);
    // the call to _puts goes through a stub whose lazy pointer libSystem binds;
    // the call to the exported weak _g through a stub too, so that dyld can
    // coalesce it with another image's _g (as ld64 and lld do)
    const stubs = dump("llvm-objdump-19", ["--macho", "--indirect-symbols", out]);
    filecheck(stubs, "CHECK: Indirect symbols for (__TEXT,__stubs) 2 entries", v);
    filecheck(stubs, "CHECK: 0x{{0*}}[[PUTS_STUB]] {{ *[0-9]+}} _puts", v);
    filecheck(stubs, "CHECK: 0x{{0*}}[[G_STUB]] {{ *[0-9]+}} _g", v);
    filecheck(
      dump("llvm-objdump-19", ["--macho", "--weak-bind", out]),
      "CHECK: __DATA __la_symbol_ptr 0x{{[0-9A-F]+}} pointer 0 _g",
    );
    filecheck(
      dump("llvm-objdump-19", ["--macho", "--lazy-bind", out]),
      `
CHECK: __DATA __la_symbol_ptr 0x{{[0-9A-F]+}} libSystem _puts
`,
    );
  });

  it("with the weak definition last, the strong one still wins", async () => {
    const out = await linkAsm("resolve-order", { res_strong: STRONG, res_main: MAIN, res_weak: WEAK });
    const dis = dump("llvm-objdump-19", ["-d", "--no-show-raw-insn", "--no-leading-addr", out]);
    filecheck(
      dis,
      `
CHECK: <_main>:
CHECK-NEXT: callq 0x{{[0-9a-f]+}} <_f>
`,
    );
    // strong.o now comes first: its _g is the first weak definition
    filecheck(dis, "CHECK: <_f>:\nCHECK-NEXT: movl $0x2, %eax");
    filecheck(dis, "CHECK: <_g>:\nCHECK-NEXT: movl $0x3, %eax");
  });

  it("reports each symbol two objects define strongly, with both files, and writes nothing", async () => {
    const strong = assemble(STRONG, { name: "lit_res_strong" });
    const dir = tmp("tsld-lit-");
    const out = join(dir, "dup");
    const r = await tsld(["-o", out, assemble(MAIN, { name: "lit_res_main" }), strong, strong]);
    expect(r.status).toBe(1);
    filecheck(
      r.stderr,
      `
CHECK: tsld: error: duplicate symbol: _c1
CHECK-NEXT: >>> defined in {{.*}}lit_res_strong{{.*}}.o
CHECK-NEXT: >>> defined in {{.*}}lit_res_strong{{.*}}.o
CHECK: tsld: error: duplicate symbol: _f
CHECK: tsld: error: duplicate symbol: _hidden
CHECK-NOT: duplicate symbol: _g
`,
    );
    expect(r.stderr).not.toMatch(/duplicate symbol: _c2/); // commons merge
  });
});
