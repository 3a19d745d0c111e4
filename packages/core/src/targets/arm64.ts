/**
 * arm64 (Apple `mach-o/arm64/reloc.h`; behaviour as ld64 and lld's
 * `Arch/ARM64.cpp` and `ARM64Common.cpp` implement it).
 *
 * arm64 instructions are 4 bytes and a 64-bit address does not fit one, so
 * code reaches data in two steps: `adrp xN, sym@PAGE` puts the 4 KiB page of
 * `sym` (relative to the page of the `adrp`, ±4 GiB, 21 bits of pages) in a
 * register (PAGE21), and the instruction that uses it adds the low 12 bits
 * (PAGEOFF12): an `add xN, xN, #off`, or a load/store whose unsigned offset
 * is scaled by its access size, so the field holds `off >> log2(size)` and
 * `off` must be a multiple of the size (1, 2, 4, 8, or 16 for a 128-bit
 * `ldr qN`). The GOT_LOAD and TLVP_LOAD forms do the same to reach a GOT
 * slot or `__thread_ptrs` slot and load through it (`ldr xN, [xN, #off]`);
 * when the target is defined in the image and needs no slot the linker
 * relaxes the load into `add xN, xN, #off` of the target itself, as lld
 * does. BRANCH26 (`b`/`bl`) holds a word displacement, ±128 MiB from the
 * instruction. POINTER_TO_GOT is a 32-bit pc-relative pointer to a GOT slot
 * (`__eh_frame` personalities). UNSIGNED and SUBTRACTOR are data, as on
 * x86_64, with the addend in the bytes.
 *
 * The instruction forms hold no addend: an `ARM64_RELOC_ADDEND` entry
 * just before a relocation at the same address carries it in its
 * `r_symbolnum` (24 bits, sign-extended). Pc-relative values are measured
 * from the instruction itself (`pcOffset` 0).
 *
 * Stubs (12 bytes): `adrp x16, ptr@PAGE; ldr x16, [x16, ptr@PAGEOFF]; br x16`,
 * through the lazy pointer, or the GOT slot when binding is not lazy. The
 * stub helper header (24 bytes) puts the image cache in x17 and jumps to
 * `dyld_stub_binder` through its GOT slot: `adrp x17, __dyld_private@PAGE;
 * add x17, x17, __dyld_private@PAGEOFF; stp x16, x17, [sp, #-16]!; adrp x16,
 * binder@PAGE; ldr x16, [x16, binder@PAGEOFF]; br x16`. Each helper entry
 * (12 bytes): `ldr w16, 8; b header; .long lazy_bind_offset`.
 *
 * Range-extension thunks (12 bytes), for branches beyond BRANCH26's ±128
 * MiB: `adrp x16, target@PAGE; add x16, x16, target@PAGEOFF; br x16` (x16 is
 * the intra-procedure-call scratch register AAPCS64 lets veneers clobber).
 */
import {
  ARM64_RELOC_BRANCH26,
  ARM64_RELOC_GOT_LOAD_PAGE21,
  ARM64_RELOC_GOT_LOAD_PAGEOFF12,
  ARM64_RELOC_PAGE21,
  ARM64_RELOC_PAGEOFF12,
  ARM64_RELOC_POINTER_TO_GOT,
  ARM64_RELOC_TLVP_LOAD_PAGE21,
  ARM64_RELOC_TLVP_LOAD_PAGEOFF12,
  CPU_SUBTYPE_ARM64_ALL,
  CPU_TYPE_ARM64,
  UNWIND_ARM64_DWARF_SECTION_OFFSET,
  UNWIND_ARM64_MODE_MASK,
  UNWIND_ARM64_MODE_DWARF,
} from "@tsld/macho-format";
import { RelocAttr as R, RelocResult, type TargetInfo, writeAbsolute } from "../target.js";

const B4 = R.Byte4;
const B48 = R.Byte4 | R.Byte8;

/** The 4 KiB page number of `addr` (addresses go past 2^32: no bit operators). */
const page = (addr: number): number => Math.floor(addr / 4096);

/**
 * log2 of the access size a PAGEOFF12 field of `insn` is scaled by: 0 for
 * `add` (immediate), the size field for loads and stores with an unsigned
 * offset, 4 for their 128-bit SIMD forms; -1 for anything else.
 */
export function pageOff12Scale(insn: number): number {
  // ADD/ADDS (immediate), 32- or 64-bit.
  if ((insn & 0x1f000000) === 0x11000000) return 0;
  // Load/store register (unsigned immediate): size in bits 30-31, V in 26, opc in 22-23.
  if ((insn & 0x3b000000) === 0x39000000) {
    const size = insn >>> 30;
    // size 0 with V set and opc<1> set: the 128-bit `ldr/str qN`.
    if (size === 0 && (insn & 0x04800000) === 0x04800000) return 4;
    return size;
  }
  return -1;
}

const isPage21 = (type: number): boolean =>
  type === ARM64_RELOC_PAGE21 || type === ARM64_RELOC_GOT_LOAD_PAGE21 || type === ARM64_RELOC_TLVP_LOAD_PAGE21;
const isPageOff12 = (type: number): boolean =>
  type === ARM64_RELOC_PAGEOFF12 || type === ARM64_RELOC_GOT_LOAD_PAGEOFF12 || type === ARM64_RELOC_TLVP_LOAD_PAGEOFF12;

const RELOC_NAMES = [
  "UNSIGNED",
  "SUBTRACTOR",
  "BRANCH26",
  "PAGE21",
  "PAGEOFF12",
  "GOT_LOAD_PAGE21",
  "GOT_LOAD_PAGEOFF12",
  "POINTER_TO_GOT",
  "TLVP_LOAD_PAGE21",
  "TLVP_LOAD_PAGEOFF12",
  "ADDEND",
  "AUTHENTICATED_POINTER",
];

export const arm64: TargetInfo = {
  name: "arm64",
  cputype: CPU_TYPE_ARM64,
  cpusubtype: CPU_SUBTYPE_ARM64_ALL,
  pageSize: 0x4000,
  stubSize: 12,
  stubHelperHeaderSize: 24,
  stubHelperEntrySize: 12,
  pcOffset: 0,
  unwind: {
    modeMask: UNWIND_ARM64_MODE_MASK,
    modeDwarf: UNWIND_ARM64_MODE_DWARF,
    dwarfSectionOffset: UNWIND_ARM64_DWARF_SECTION_OFFSET,
    noFoldMode: -1,
  },
  relocAttrs: [
    /* UNSIGNED            */ R.Pointer | B48,
    /* SUBTRACTOR          */ R.Subtractor | B48,
    /* BRANCH26            */ R.Pcrel | R.Branch | B4,
    /* PAGE21              */ R.Pcrel | B4,
    /* PAGEOFF12           */ B4,
    // Both halves of a GOT or TLV load are Load: the pair relaxes together
    // (the adrp then reaches the target's page, the ldr becomes an add).
    /* GOT_LOAD_PAGE21     */ R.Pcrel | R.Got | R.Load | B4,
    /* GOT_LOAD_PAGEOFF12  */ R.Got | R.Load | B4,
    /* POINTER_TO_GOT      */ R.Pcrel | R.Got | B4,
    /* TLVP_LOAD_PAGE21    */ R.Pcrel | R.Tlv | R.Load | B4,
    /* TLVP_LOAD_PAGEOFF12 */ R.Tlv | R.Load | B4,
    /* ADDEND              */ R.Addend,
  ],
  relocNames: RELOC_NAMES,
  // none: local labels
  sectionPcrelType: -1,
  readAddend(view, off, type, length) {
    // Only data holds its addend; instruction forms get theirs from ADDEND.
    if (type !== 0 && type !== 1) return 0;
    return length === 3 ? Number(view.getBigInt64(off, true)) : length === 2 ? view.getInt32(off, true) : 0;
  },
  pcrelBias() {
    return 0;
  },
  relocateOne(view, loc, type, length, pcrel, value, pc, signed) {
    if (type === ARM64_RELOC_BRANCH26) {
      const disp = value - pc;
      if (disp % 4 !== 0) return RelocResult.Misaligned;
      if (disp < -0x8000000 || disp >= 0x8000000) return RelocResult.PcrelOverflow;
      const insn = view.getUint32(loc, true);
      if ((insn & 0x7c000000) !== 0x14000000) return RelocResult.BadInstruction;
      view.setUint32(loc, ((insn & 0xfc000000) | ((disp / 4) & 0x03ffffff)) >>> 0, true);
      return RelocResult.Ok;
    }
    if (isPage21(type)) {
      const pages = page(value) - page(pc);
      if (pages < -0x100000 || pages >= 0x100000) return RelocResult.PcrelOverflow;
      const insn = view.getUint32(loc, true);
      if ((insn & 0x9f000000) >>> 0 !== 0x90000000) return RelocResult.BadInstruction;
      const immlo = pages & 3;
      const immhi = (pages >> 2) & 0x7ffff;
      view.setUint32(loc, ((insn & 0x9f00001f) | (immlo << 29) | (immhi << 5)) >>> 0, true);
      return RelocResult.Ok;
    }
    if (isPageOff12(type)) {
      const insn = view.getUint32(loc, true);
      const scale = pageOff12Scale(insn);
      if (scale < 0) return RelocResult.BadInstruction;
      const off = value - page(value) * 4096;
      if (off % (1 << scale) !== 0) return RelocResult.Misaligned;
      view.setUint32(loc, ((insn & 0xffc003ff) | ((off >> scale) << 10)) >>> 0, true);
      return RelocResult.Ok;
    }
    if (type === ARM64_RELOC_POINTER_TO_GOT || pcrel) {
      if (length !== 2) return RelocResult.BadLength;
      const disp = value - pc;
      if (disp < -0x80000000 || disp > 0x7fffffff) return RelocResult.PcrelOverflow;
      view.setInt32(loc, disp, true);
      return RelocResult.Ok;
    }
    return writeAbsolute(view, loc, length, value, signed);
  },
  relaxLoad(out, loc, type) {
    // The adrp stays: it now reaches the target's own page.
    if (type === ARM64_RELOC_GOT_LOAD_PAGE21 || type === ARM64_RELOC_TLVP_LOAD_PAGE21) return true;
    const dv = new DataView(out.buffer, out.byteOffset);
    const insn = dv.getUint32(loc, true);
    // ldr xT, [xN, #imm] (64-bit, unsigned offset) → add xT, xN, #imm (the offset field is rewritten next).
    if ((insn & 0xffc00000) >>> 0 !== 0xf9400000) return false;
    dv.setUint32(loc, (0x91000000 | (insn & 0x3ff)) >>> 0, true);
    return true;
  },
  overflowText(res, type, length, value, pc, target) {
    const name = RELOC_NAMES[type] ?? `type ${type}`;
    const to = target ? ` to ${target}` : "";
    const hex = (n: number): string => (n < 0 ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`);
    switch (res) {
      case RelocResult.PcrelOverflow:
        if (type === ARM64_RELOC_BRANCH26)
          return `${name}${to}: displacement ${hex(value - pc)} is out of range (±128 MiB)`;
        if (isPage21(type))
          return `${name}${to}: page displacement ${hex(page(value) - page(pc))} pages does not fit in 21 bits (±4 GiB)`;
        return `${name}${to}: pc-relative displacement ${hex(value - pc)} does not fit in 32 bits`;
      case RelocResult.Misaligned:
        if (type === ARM64_RELOC_BRANCH26)
          return `${name}${to}: displacement ${hex(value - pc)} is not a multiple of 4`;
        return `${name}${to}: page offset 0x${(value - page(value) * 4096).toString(16)} of 0x${value.toString(16)} is not aligned to the access size of the instruction`;
      case RelocResult.BadInstruction:
        return `${name}${to}: the instruction at the fixup is not one ${name} can patch`;
      case RelocResult.Overflow:
        return `value 0x${value.toString(16)} does not fit in 32 bits`;
      default:
        return `unsupported ${name} relocation length ${1 << length} bytes`;
    }
  },
  // BRANCH26: ±128 MiB from the instruction (the forward limit is the last word before +128 MiB).
  thunkSize: 12,
  forwardBranchRange: 0x8000000 - 4,
  backwardBranchRange: 0x8000000,
  writeThunk(out, off, addr, target) {
    const dv = new DataView(out.buffer, out.byteOffset);
    dv.setUint32(off, 0x90000010, true); // adrp x16, target@PAGE
    dv.setUint32(off + 4, 0x91000210, true); // add x16, x16, target@PAGEOFF
    dv.setUint32(off + 8, 0xd61f0200, true); // br x16
    arm64.relocateOne(dv, off, ARM64_RELOC_PAGE21, 2, true, target, addr, true);
    arm64.relocateOne(dv, off + 4, ARM64_RELOC_PAGEOFF12, 2, false, target, addr + 4, true);
  },
  writeStub(out, off, stubAddr, ptrAddr) {
    const dv = new DataView(out.buffer, out.byteOffset);
    dv.setUint32(off, 0x90000010, true); // adrp x16, ptr@PAGE
    dv.setUint32(off + 4, 0xf9400210, true); // ldr x16, [x16, ptr@PAGEOFF]
    dv.setUint32(off + 8, 0xd61f0200, true); // br x16
    arm64.relocateOne(dv, off, ARM64_RELOC_PAGE21, 2, true, ptrAddr, stubAddr, true);
    arm64.relocateOne(dv, off + 4, ARM64_RELOC_PAGEOFF12, 2, false, ptrAddr, stubAddr + 4, true);
  },
  writeStubHelperHeader(out, off, addr, dyldPrivate, binderPtr) {
    const dv = new DataView(out.buffer, out.byteOffset);
    const code = [0x90000011, 0x91000231, 0xa9bf47f0, 0x90000010, 0xf9400210, 0xd61f0200];
    code.forEach((w, i) => dv.setUint32(off + i * 4, w, true));
    arm64.relocateOne(dv, off, ARM64_RELOC_PAGE21, 2, true, dyldPrivate, addr, true);
    arm64.relocateOne(dv, off + 4, ARM64_RELOC_PAGEOFF12, 2, false, dyldPrivate, addr + 4, true);
    arm64.relocateOne(dv, off + 12, ARM64_RELOC_PAGE21, 2, true, binderPtr, addr + 12, true);
    arm64.relocateOne(dv, off + 16, ARM64_RELOC_PAGEOFF12, 2, false, binderPtr, addr + 16, true);
  },
  writeStubHelperEntry(out, off, addr, lazyBindOffset, header) {
    const dv = new DataView(out.buffer, out.byteOffset);
    dv.setUint32(off, 0x18000050, true); // ldr w16, #8 (the .long below)
    dv.setUint32(off + 4, 0x14000000, true); // b header
    arm64.relocateOne(dv, off + 4, ARM64_RELOC_BRANCH26, 2, true, header, addr + 4, true);
    dv.setUint32(off + 8, lazyBindOffset, true);
  },
};
