// Output section order: segments __PAGEZERO, __TEXT, __DATA_CONST, __DATA,
// __LINKEDIT; in __TEXT code first (__text, __stubs, __stub_helper) and the
// unwind tables last (__unwind_info, __eh_frame); in __DATA_CONST the GOT
// first; in __DATA the lazy pointers first, thread-local data after the
// thread variables and last before zerofill, zerofill last; sections only the
// inputs name after the ones the linker knows; addresses increase, aligned,
// without overlap — checked against ld64.lld-19's order of the same inputs.
import { join } from "node:path";
import { linkWithLld } from "@tsld/fixtures";
import { expect, it } from "vitest";
import { assemble, describeX86_64, tmp, tsld } from "./helpers.js";
import { dump, filecheck } from "./lit.js";

const A = `
.data
.globl _d
_d: .quad 1
.section __DATA,__zz_first
.globl _zz
_zz: .quad 2
.zerofill __DATA,__bss,_zb,16,4
.comm _cm, 8, 3
.section __TEXT,__mysect,regular,pure_instructions
.globl _myfn
_myfn: retq
.cstring
Ls: .asciz "s"
.section __TEXT,__const
.globl _tc
_tc: .long 5
.section __DATA,__const
.globl _dc
_dc: .quad _d
.section __DATA,__mod_init_func,mod_init_funcs
.quad _myfn
.section __DATA,__thread_data,thread_local_regular
_tv$tlv$init: .long 5
.section __DATA,__thread_vars,thread_local_variables
.globl _tv
_tv:
  .quad __tlv_bootstrap
  .quad 0
  .quad _tv$tlv$init
.literal8
L8: .quad 9
.text
.globl _main
_main:
  .cfi_startproc
  pushq %rbp
  .cfi_def_cfa_offset 16
  leaq Ls(%rip), %rax
  movsd L8(%rip), %xmm0
  movq _tv@TLVP(%rip), %rdi
  callq _puts
  movq _puts@GOTPCREL(%rip), %rax
  popq %rbp
  retq
  .cfi_endproc
.subsections_via_symbols
`;

const B = `
.section __DATA,__aa_second
.globl _aa
_aa: .quad 3
.section __DATA,__zz_first
.globl _zz2
_zz2: .quad 4
.subsections_via_symbols
`;

interface Sect {
  seg: string;
  name: string;
  addr: number;
  size: number;
  align: number;
  zerofill: boolean;
}

/** Sections from `--all-headers`, in load-command order, with their segments. */
function layout(path: string): { segments: string[]; sects: Sect[] } {
  const text = dump("llvm-objdump-19", ["--macho", "--all-headers", path]);
  const segments = [...text.matchAll(/cmd LC_SEGMENT_64\n\s+cmdsize \d+\n\s+segname (\S+)/g)].map((m) => m[1]!);
  const sects = [
    ...text.matchAll(
      /sectname (\S+)\n\s+segname (\S+)\n\s+addr 0x([0-9a-f]+)\n\s+size 0x([0-9a-f]+)\n\s+offset \d+\n\s+align 2\^(\d+)[^\n]*\n\s+reloff \d+\n\s+nreloc \d+\n\s+type (\S+)/g,
    ),
  ].map((m) => ({
    name: m[1]!,
    seg: m[2]!,
    addr: Number.parseInt(m[3]!, 16),
    size: Number.parseInt(m[4]!, 16),
    align: 2 ** Number(m[5]),
    zerofill: /ZEROFILL/.test(m[6]!),
  }));
  return { segments, sects };
}

describeX86_64("x86 assembly with x86-only relocation kinds (TLVP, GOTPCREL)")("output section order", () => {
  it("orders segments and sections where ld64 and lld agree, at increasing aligned addresses", async () => {
    const dir = tmp("tsld-lit-");
    const objs = [assemble(A, { name: "lit_order_a" }), assemble(B, { name: "lit_order_b" })];
    const out = join(dir, "order");
    // Opcode-era sections (__la_symbol_ptr) are part of the order checked here, as lld's default link has them.
    const r = await tsld(["-o", out, "-no_fixup_chains", ...objs]);
    expect(r.status, r.stderr).toBe(0);
    const theirs = join(dir, "order.lld");
    linkWithLld(objs, theirs);
    const ours = layout(out);
    const want = layout(theirs);

    expect(ours.segments).toEqual(["__PAGEZERO", "__TEXT", "__DATA_CONST", "__DATA", "__LINKEDIT"]);
    expect(ours.segments).toEqual(want.segments);
    const names = (l: ReturnType<typeof layout>, seg: string) =>
      l.sects.filter((s) => s.seg === seg).map((s) => s.name);
    // __DATA_CONST: exactly lld's order; __DATA: lld's sections
    expect(names(ours, "__DATA_CONST")).toEqual(names(want, "__DATA_CONST"));
    expect([...names(ours, "__DATA")].sort()).toEqual([...names(want, "__DATA")].sort());
    filecheck(
      names(ours, "__DATA_CONST").join("\n"),
      `
CHECK: __got
CHECK-NEXT: __const
CHECK-NEXT: __mod_init_func
`,
    );
    filecheck(
      names(ours, "__DATA").join("\n"),
      `
CHECK: __la_symbol_ptr
CHECK-NEXT: __data
CHECK: __thread_vars
CHECK: __thread_data
CHECK-NEXT: __common
CHECK-NEXT: __bss
`,
    );
    // sections only the inputs name sit between __data and the thread-local
    // data template (which must be last before zerofill, for dyld's TLV setup);
    // their relative order is the linker's choice (lld: input order; tsld: by name)
    const data = names(ours, "__DATA");
    for (const custom of ["__zz_first", "__aa_second"]) {
      expect(data.indexOf(custom)).toBeGreaterThan(data.indexOf("__data"));
      expect(data.indexOf(custom)).toBeLessThan(data.indexOf("__thread_data"));
    }
    // __TEXT: code first, unwind tables last; the rest are lld's set (their
    // relative order is the linker's choice: lld keeps input order, ld64 a table).
    const unwindLast = (t: string[]) => {
      const rest = t.filter((n) => n !== "__unwind_info" && n !== "__eh_frame");
      expect(t.slice(0, rest.length)).toEqual(rest);
      expect(t).toContain("__unwind_info");
    };
    const text = names(ours, "__TEXT");
    expect(text.slice(0, 3)).toEqual(["__text", "__stubs", "__stub_helper"]);
    unwindLast(text);
    expect(names(want, "__TEXT").slice(0, 3)).toEqual(["__text", "__stubs", "__stub_helper"]);
    unwindLast(names(want, "__TEXT"));
    expect(text).toEqual(expect.arrayContaining(["__mysect", "__cstring", "__const"]));

    // addresses: each section aligned, after the previous one, zerofill last in its segment
    let prev = 0;
    for (const s of ours.sects) {
      expect(s.addr % s.align, s.name).toBe(0);
      expect(s.addr, s.name).toBeGreaterThanOrEqual(prev);
      prev = s.addr + s.size;
    }
    for (const seg of ours.segments) {
      const z = ours.sects.filter((s) => s.seg === seg).map((s) => s.zerofill);
      expect(z, seg).toEqual([...z].sort((x, y) => Number(x) - Number(y)));
    }
  });
});
