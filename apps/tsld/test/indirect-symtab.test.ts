// The indirect symbol table (LC_DYSYMTAB): one entry per slot of every
// section that needs one (__stubs, __got, __la_symbol_ptr, __thread_ptrs),
// each section's reserved1 pointing at its run, naming the symbol the slot
// holds — an import or an exported weak definition by symbol index, any
// other definition as INDIRECT_SYMBOL_LOCAL — as ld64.lld-19 lists them.
import { join } from "node:path";
import { linkWithLld } from "@tsld/fixtures";
import { expect, it } from "vitest";
import { assemble, describeX86_64, tmp, tsld } from "./helpers.js";
import { dump, filecheck, sections } from "./lit.js";

// A dylib exporting a thread-local variable: importing it needs __thread_ptrs.
const TLV_LIB = `
.section __DATA,__thread_data,thread_local_regular
_tv$tlv$init: .long 5
.section __DATA,__thread_vars,thread_local_variables
.globl _tv
_tv:
  .quad __tlv_bootstrap
  .quad 0
  .quad _tv$tlv$init
.subsections_via_symbols
`;

const MAIN = `
.text
.globl _main
_main:
  pushq %rbp
  movq _tv@TLVP(%rip), %rdi
  callq *(%rdi)
  callq _puts
  callq _putchar
  movq _puts@GOTPCREL(%rip), %rax
  pushq _local@GOTPCREL(%rip)
  popq %rax
  movq _wk@GOTPCREL(%rip), %rax
  popq %rbp
  retq
.data
.globl _local
_local: .quad 1
.globl _wk
.weak_definition _wk
_wk: .quad 2
.subsections_via_symbols
`;

type Table = Map<string, { addr: number; name: string }[]>;

/** `--indirect-symbols` as section → entries (address, symbol name or LOCAL). */
function indirect(path: string): Table {
  const t: Table = new Map();
  let cur: { addr: number; name: string }[] | undefined;
  for (const l of dump("llvm-objdump-19", ["--macho", "--indirect-symbols", path]).split("\n")) {
    const h = /^Indirect symbols for \((\S+)\) (\d+) entries/.exec(l);
    if (h) t.set(h[1]!, (cur = []));
    const e = /^0x([0-9a-f]+)\s+(?:\d+ )?\s*(\S+)$/.exec(l);
    if (e && cur) cur.push({ addr: Number.parseInt(e[1]!, 16), name: e[2]! });
  }
  return t;
}

describeX86_64("x86 assembly (TLVP, GOTPCREL, pushq GOT) checked in x86 disassembly")("indirect symbol table", () => {
  it("has an entry per stub, GOT slot, lazy pointer and TLV pointer, naming what lld names", async () => {
    const dir = tmp("tsld-lit-");
    const lib = join(dir, "libtv.dylib");
    const r1 = await tsld([
      "-buildmode=c-shared",
      "-install_name",
      "@rpath/libtv.dylib",
      "-o",
      lib,
      assemble(TLV_LIB, { name: "lit_tvlib" }),
    ]);
    expect(r1.status, r1.stderr).toBe(0);
    const main = assemble(MAIN, { name: "lit_ind_main" });
    const out = join(dir, "ind");
    // Opcodes pinned: lazy pointers are among the entries checked.
    const r2 = await tsld(["-o", out, "-no_fixup_chains", main, lib]);
    expect(r2.status, r2.stderr).toBe(0);
    const theirs = join(dir, "ind.lld");
    linkWithLld([main, lib], theirs);

    const ours = indirect(out);
    const want = indirect(theirs);
    // the same sections, each naming the same symbols (slot order may differ)
    const names = (t: Table) => Object.fromEntries([...t].map(([k, v]) => [k, v.map((e) => e.name).sort()]));
    expect(names(ours)).toEqual(names(want));
    expect(names(ours)).toEqual({
      "__TEXT,__stubs": ["_putchar", "_puts"],
      "__DATA_CONST,__got": ["LOCAL", "_puts", "_wk", "dyld_stub_binder"],
      "__DATA,__la_symbol_ptr": ["_putchar", "_puts"],
      "__DATA,__thread_ptrs": ["_tv"],
    });
    // one entry per slot, in address order, covering each section
    const secs = sections(out);
    for (const [key, entries] of ours) {
      const sec = secs.find((s) => s.name === key.split(",")[1])!;
      const stride = key.endsWith("__stubs") ? 6 : 8;
      expect(
        entries.map((e) => e.addr),
        key,
      ).toEqual(entries.map((_, i) => sec.addr + i * stride));
      expect(entries.length * stride, key).toBe(sec.size);
    }
    // a stub and its lazy pointer name the same symbol, slot for slot
    const stubs = ours.get("__TEXT,__stubs")!.map((e) => e.name);
    expect(ours.get("__DATA,__la_symbol_ptr")!.map((e) => e.name)).toEqual(stubs);
    // and the call goes to the stub the table names
    filecheck(
      dump("llvm-objdump-19", ["--macho", "-d", "--no-show-raw-insn", out]),
      `
CHECK: _main:
CHECK: callq *(%rdi)
CHECK-NEXT: callq {{.*}} ## symbol stub for: _puts
CHECK-NEXT: callq {{.*}} ## symbol stub for: _putchar
`,
    );
  });
});
