// arm64 relocations (ARM64_RELOC_*), as lld's test/MachO/arm64-relocs.s and
// arm64-reloc-*.s check them: llvm-mc in, tsld and ld64.lld-19 -arch arm64
// out, and what every instruction reaches read back from the disassembly.
// PAGE21 + PAGEOFF12 reach the symbol plus the ADDEND relocation's addend,
// with the offset scaled by the access size of the instruction it patches
// (byte, half, word, double, 128-bit q, and add); GOT loads of a local
// definition are relaxed to adrp+add; BRANCH26 reaches local functions
// directly and imports through stubs; data words (UNSIGNED, SUBTRACTOR,
// POINTER_TO_GOT) hold the same values as lld's.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { arm64LibDir, assembleArm64, linkArm64Both, reaches, sectionBytes, symbols } from "./arm64-lit.js";
import { tmp, tsld } from "./helpers.js";
import { dump, filecheck } from "./lit.js";

const MAIN = `
.text
.globl _main
.p2align 2
_main:
  adrp x0, _data@PAGE+16
  add x0, x0, _data@PAGEOFF+16
  adrp x1, _data@PAGE
  ldrb w2, [x1, _data@PAGEOFF+1]
  ldrh w2, [x1, _data@PAGEOFF+2]
  ldr w2, [x1, _data@PAGEOFF+4]
  ldr x2, [x1, _data@PAGEOFF+8]
  ldr q0, [x1, _data@PAGEOFF+16]
  ldr d0, [x1, _data@PAGEOFF+8]
  str x2, [x1, _data@PAGEOFF+24]
  adrp x3, _local@GOTPAGE
  ldr x3, [x3, _local@GOTPAGEOFF]
  adrp x4, _puts@GOTPAGE
  ldr x4, [x4, _puts@GOTPAGEOFF]
  adrp x5, _wk@GOTPAGE
  ldr x5, [x5, _wk@GOTPAGEOFF]
  adrp x6, _tv@TLVPPAGE
  ldr x6, [x6, _tv@TLVPPAGEOFF]
  bl _puts
  bl _helper
  b _helper
  ret
.globl _helper
.p2align 2
_helper:
  ret
.data
.p2align 4
.globl _data
_data: .space 64
.globl _local
_local: .quad 1
.globl _wk
.weak_definition _wk
_wk: .quad 2
_diff: .quad _main - _diff
_ptr: .quad _local + 8
_ext: .quad _puts + 4
_pgot: .long _puts@GOT - .
.section __DATA,__thread_data,thread_local_regular
_tv$tlv$init: .long 7
.section __DATA,__thread_vars,thread_local_variables
.globl _tv
_tv: .quad __tlv_bootstrap
  .quad 0
  .quad _tv$tlv$init
.subsections_via_symbols
`;

describe("arm64 relocations", () => {
  it("PAGE21/PAGEOFF12 (scaled per access size, with ADDEND), GOT and TLV loads, branches reach what lld's do", async () => {
    const { ours, theirs } = await linkArm64Both("relocs", assembleArm64({ relocs: MAIN }));
    const want = [
      "add _data+0x10",
      "ldrb _data+0x1",
      "ldrh _data+0x2",
      "ldr _data+0x4",
      "ldr _data+0x8",
      "ldr _data+0x10",
      "ldr _data+0x8",
      "str _data+0x18",
      // GOT_LOAD of a local definition: relaxed to adrp+add of the symbol itself
      "add _local",
      // an import and an exported weak definition keep their GOT slots
      "ldr got _puts",
      "ldr got _wk",
      // TLVP_LOAD of a local thread-local: relaxed to its descriptor
      "add _tv",
      "bl stub _puts",
      "bl _helper",
      "b _helper",
    ];
    expect(reaches(ours, "_main")).toEqual(want);
    expect(reaches(theirs, "_main")).toEqual(want);
    dump("llvm-objdump-19", ["--macho", "--private-headers", ours]);
  });

  it("data: SUBTRACTOR pairs, UNSIGNED pointers (rebased or bound with their addend), POINTER_TO_GOT", async () => {
    const { ours, theirs } = await linkArm64Both("data", assembleArm64({ data: MAIN }));
    for (const out of [ours, theirs]) {
      const syms = symbols(out);
      const at = (n: string): number => syms.find((s) => s.name === n)!.addr;
      const data = sectionBytes(out, "__DATA", "__data");
      expect(data.bytes.readBigInt64LE(at("_diff") - data.addr)).toBe(BigInt(at("_main") - at("_diff")));
      expect(data.bytes.readBigInt64LE(at("_ptr") - data.addr)).toBe(BigInt(at("_local") + 8));
      const binds = dump("llvm-objdump-19", ["--macho", "--bind", "--rebase", out]);
      filecheck(binds, `CHECK: __DATA __data 0x${at("_ext").toString(16)} pointer 4 libSystem _puts`);
      filecheck(binds, `CHECK: __DATA __data 0x${at("_ptr").toString(16)} pointer`);
      // the 32-bit pc-relative pointer reaches _puts's GOT slot
      const gotSlot = at("_pgot") + data.bytes.readInt32LE(at("_pgot") - data.addr);
      filecheck(binds, `CHECK: __DATA_CONST __got 0x${gotSlot.toString(16)} pointer 0 libSystem _puts`);
    }
  });

  it("writes lld's stub, stub helper and lazy pointer sequences with 16 KiB pages", async () => {
    const { ours, theirs } = await linkArm64Both("stubs", assembleArm64({ stubs: MAIN }));
    const shape = (out: string): string =>
      dump("llvm-objdump-19", [
        "--macho",
        "-d",
        "--no-show-raw-insn",
        "--no-leading-addr",
        "--section=__TEXT,__stubs",
        "--section=__TEXT,__stub_helper",
        out,
      ])
        .split("\n")
        .slice(1)
        .map((l) => l.replace(/0x[0-9a-f]+|\b\d+\b/g, "N"))
        .join("\n");
    expect(shape(ours)).toBe(shape(theirs));
    filecheck(
      shape(ours),
      `
CHECK: adrp x16, N ; N
CHECK-NEXT: ldr x16, [x16{{.*}}] ; literal pool symbol address: _puts
CHECK-NEXT: br x16
CHECK: adrp x17
CHECK-NEXT: add x17, x17
CHECK-NEXT: stp x16, x17, [sp, #-N]!
CHECK-NEXT: adrp x16
CHECK-NEXT: ldr x16, [x16{{.*}}] ; literal pool symbol address: dyld_stub_binder
CHECK-NEXT: br x16
CHECK-NEXT: ldr w16, N
CHECK-NEXT: b N
`,
    );
    const hdr = dump("llvm-objdump-19", ["--macho", "--private-headers", ours]);
    filecheck(hdr, "CHECK: MH_MAGIC_64 ARM64 ALL");
    // 16 KiB pages: __TEXT's size and every segment's file offset are multiples of 0x4000
    for (const m of hdr.matchAll(/vmsize 0x([0-9a-f]+)\n\s+fileoff (\d+)/g)) {
      expect(Number.parseInt(m[1]!, 16) % 0x4000).toBe(0);
      expect(Number(m[2]) % 0x4000).toBe(0);
    }
    // ad-hoc signed by default, as ld64.lld does for arm64
    filecheck(hdr, "CHECK: cmd LC_CODE_SIGNATURE");
  });

  it("without -arch, the objects' CPU type picks arm64", async () => {
    const [o] = assembleArm64({ noarch: MAIN });
    const out = join(tmp(), "noarch");
    const r = await tsld(["-o", out, "-L", arm64LibDir(), o!], { hostLibSystem: false, suiteFlags: false });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    filecheck(dump("llvm-objdump-19", ["--macho", "--private-headers", out]), "CHECK: MH_MAGIC_64 ARM64 ALL");
  });

  it.each([
    [
      "a branch beyond ±128 MiB",
      "bl _far",
      /__TEXT,__text\+0x0 \(in _main\+0x0\): BRANCH26 to _far: displacement 0x[0-9a-f]+ is out of range/,
    ],
    [
      "a page beyond ±4 GiB",
      "adrp x0, _far@PAGE",
      /__TEXT,__text\+0x0 \(in _main\+0x0\): PAGE21 to _far: page displacement 0x[0-9a-f]+ pages does not fit in 21 bits/,
    ],
    [
      "a load offset not aligned to its access size",
      "ldr x0, [x0, _odd@PAGEOFF]",
      /__TEXT,__text\+0x0 \(in _main\+0x0\): PAGEOFF12 to _odd: page offset 0x[0-9a-f]+ of 0x[0-9a-f]+ is not aligned/,
    ],
  ])("reports %s, naming the site and the target, and writes nothing", async (_what, insn, message) => {
    const src = `
.text
.globl _main
.p2align 2
_main:
  ${insn}
  ret
.data
.byte 0
.globl _odd
_odd: .quad 0
.subsections_via_symbols
`;
    const objs = assembleArm64({ [`range_${insn.split(" ")[0]}`]: src, far: ".globl _far\n_far = 0x7f0000000000\n" });
    const out = join(tmp(), "range");
    const r = await tsld(["-arch", "arm64", "-o", out, "-L", arm64LibDir(), ...objs], {
      hostLibSystem: false,
      suiteFlags: false,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });
});
