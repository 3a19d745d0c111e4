// GOT-load relaxation (X86_64_RELOC_GOT_LOAD): a `movq sym@GOTPCREL(%rip)`
// to a symbol defined in the image and needing no GOT slot becomes
// `leaq sym(%rip)` and gets no slot, in executables and dylibs alike; an
// import, a weak definition (dyld may bind it elsewhere) and a symbol another
// instruction reaches through the GOT keep their slot, as in ld64.lld-19.
import { expect, it } from "vitest";
import { describeX86_64 } from "./helpers.js";
import { dump, filecheck, linkAsm, sections } from "./lit.js";

const RELAX = `
.text
.globl _main
_main:
  movq _exp@GOTPCREL(%rip), %rax
  movq Lpriv@GOTPCREL(%rip), %rcx
  movq _hid@GOTPCREL(%rip), %rdx
  xorl %eax, %eax
  retq
.data
.globl _exp
_exp: .quad 1
Lpriv: .quad 3
.private_extern _hid
.globl _hid
_hid: .quad 4
.subsections_via_symbols
`;

const KEEP = `
.text
.globl _main
_main:
  movq _local@GOTPCREL(%rip), %rax
  movq _puts@GOTPCREL(%rip), %rcx
  pushq _local@GOTPCREL(%rip)
  popq %rax
  movq _wk@GOTPCREL(%rip), %rdx
  xorl %eax, %eax
  retq
.data
.globl _local
_local: .quad 1
.globl _wk
.weak_definition _wk
_wk: .quad 2
.subsections_via_symbols
`;

const dis = (out: string) => dump("llvm-objdump-19", ["-d", "--no-show-raw-insn", "--no-leading-addr", out]);

describeX86_64("X86_64_RELOC_GOT_LOAD movq→leaq in x86 disassembly (arm64-relocs has ADRP+LDR→ADD)")(
  "GOT-load relaxation",
  () => {
    it.each([
      ["exe"],
      ["c-shared"],
    ])("%s: movq of a local definition's GOT slot becomes leaq, and no slot is made", async (mode) => {
      const out = await linkAsm(`relax-${mode}`, { got_relax: RELAX }, [`-buildmode=${mode}`]);
      const v = filecheck(
        dis(out),
        `
CHECK: <_main>:
CHECK-NEXT: leaq {{.*}}(%rip), %rax ## 0x[[EXP:[0-9a-f]+]] <_exp>
CHECK-NEXT: leaq {{.*}}(%rip), %rcx ## 0x[[PRIV:[0-9a-f]+]]
CHECK-NEXT: leaq {{.*}}(%rip), %rdx ## 0x[[HID:[0-9a-f]+]] <_hid>
`,
      );
      // the leaq operands are the symbols themselves (Lpriv is the quad after _exp, in _exp's atom)
      const nm = dump("llvm-nm-19", ["-n", out]);
      filecheck(nm, "CHECK: {{0*}}[[EXP]] D _exp", v);
      filecheck(nm, "CHECK: {{0*}}[[HID]] d _hid", v);
      expect(Number.parseInt(v.PRIV!, 16)).toBe(Number.parseInt(v.EXP!, 16) + 8);
      expect(sections(out).map((s) => s.name)).not.toContain("__got");
    });

    it("keeps the GOT for an import, a weak definition, and a symbol a non-movq instruction loads through it", async () => {
      // Opcodes pinned: the GOT slots' rebase and bind rows are read below.
      const out = await linkAsm("relax-keep", { got_keep: KEEP }, ["-no_fixup_chains"]);
      const v = filecheck(
        dis(out),
        `
CHECK: <_main>:
CHECK-NEXT: movq {{.*}}(%rip), %rax ## 0x[[LOCAL_GOT:[0-9a-f]+]]
CHECK-NEXT: movq {{.*}}(%rip), %rcx ## 0x[[PUTS_GOT:[0-9a-f]+]]
CHECK-NEXT: pushq {{.*}}(%rip) ## 0x[[LOCAL_GOT]]
CHECK-NEXT: popq %rax
CHECK-NEXT: movq {{.*}}(%rip), %rdx ## 0x[[WK_GOT:[0-9a-f]+]]
`,
      );
      const got = sections(out).find((s) => s.name === "__got")!;
      expect(got.size).toBe(3 * 8);
      for (const k of ["LOCAL_GOT", "PUTS_GOT", "WK_GOT"]) {
        const a = Number.parseInt(v[k]!, 16);
        expect(a >= got.addr && a < got.addr + got.size, k).toBe(true);
      }
      // what fills each slot: a rebase to _local, a bind to libSystem's _puts, a weak bind to _wk
      const info = dump("llvm-objdump-19", ["--macho", "--rebase", "--bind", "--weak-bind", out]).replace(
        /0x0*([0-9A-F]+)/g,
        (_, h: string) => `0x${h.toLowerCase()}`,
      );
      filecheck(
        info,
        `
CHECK: Rebase table:
CHECK: __DATA_CONST __got 0x[[LOCAL_GOT]] pointer
CHECK: Bind table:
CHECK: __DATA_CONST __got 0x[[PUTS_GOT]] pointer 0 libSystem _puts
CHECK: Weak bind table:
CHECK: __DATA_CONST __got 0x[[WK_GOT]] pointer 0 _wk
`,
        v,
      );
    });
  },
);
