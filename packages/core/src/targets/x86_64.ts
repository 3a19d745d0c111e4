/**
 * x86_64 (Apple `mach-o/x86_64/reloc.h`; behaviour as ld64 and lld's
 * `Arch/X86_64.cpp` implement it).
 *
 * Every x86_64 relocation is "RELA-like in REL clothing": the addend lives in
 * the bytes being fixed up. For pc-relative kinds (SIGNED, SIGNED_1/2/4,
 * BRANCH, GOT_LOAD, GOT, TLV; always 4 bytes) the CPU adds the displacement
 * to the address of the next instruction, which is 4 + k bytes past the
 * fixup for SIGNED_k (k immediate bytes follow the displacement). So:
 * - extern target S: disp = S + stored - (P + 4) (the assembler already
 *   folded k into the stored value);
 * - section-relative: the stored displacement points at the target's input
 *   address, T_in = P_in + 4 + k + stored, which is mapped to its atom;
 *   disp = T_out - (P_out + 4 + k), i.e. addend -k.
 * UNSIGNED (4 or 8 bytes) stores S + stored, or for section-relative the
 * target's input address. SUBTRACTOR (always followed by UNSIGNED) yields
 * B - A + stored. GOT_LOAD `movq x@GOTPCREL(%rip), %reg` to a symbol defined
 * in the image is relaxed to `leaq x(%rip), %reg`; TLV `movq x@TLVP(%rip)`
 * to a local thread-local descriptor likewise.
 *
 * Stubs: `jmpq *ptr(%rip)` (6 bytes). Stub helper header (16 bytes):
 * `leaq __dyld_private(%rip), %r11; pushq %r11; jmpq *binder@GOT(%rip);
 * nop`; each helper entry (10 bytes): `pushq $lazy_bind_offset; jmp header`.
 */
import {
  CPU_SUBTYPE_X86_64_ALL,
  CPU_TYPE_X86_64,
  UNWIND_X86_64_MODE_MASK,
  UNWIND_X86_64_DWARF_SECTION_OFFSET,
  UNWIND_X86_64_MODE_DWARF,
  UNWIND_X86_64_MODE_STACK_IND,
  X86_64_RELOC_SIGNED_1,
  X86_64_RELOC_SIGNED_2,
  X86_64_RELOC_SIGNED_4,
} from "@tsld/macho-format";
import { RelocAttr as R, RelocResult, type TargetInfo, writeAbsolute } from "../target.js";

const B4 = R.Byte4;
const B48 = R.Byte4 | R.Byte8;

export const x86_64: TargetInfo = {
  name: "x86_64",
  cputype: CPU_TYPE_X86_64,
  cpusubtype: CPU_SUBTYPE_X86_64_ALL,
  pageSize: 0x1000,
  stubSize: 6,
  stubHelperHeaderSize: 16,
  stubHelperEntrySize: 10,
  pcOffset: 4,
  unwind: {
    modeMask: UNWIND_X86_64_MODE_MASK,
    modeDwarf: UNWIND_X86_64_MODE_DWARF,
    dwarfSectionOffset: UNWIND_X86_64_DWARF_SECTION_OFFSET,
    noFoldMode: UNWIND_X86_64_MODE_STACK_IND,
  },
  relocAttrs: [
    /* UNSIGNED   */ R.Pointer | B48,
    /* SIGNED     */ R.Pcrel | B4,
    /* BRANCH     */ R.Pcrel | R.Branch | B4,
    /* GOT_LOAD   */ R.Pcrel | R.Got | R.Load | B4,
    /* GOT        */ R.Pcrel | R.Got | B4,
    /* SUBTRACTOR */ R.Subtractor | B48,
    /* SIGNED_1   */ R.Pcrel | B4,
    /* SIGNED_2   */ R.Pcrel | B4,
    /* SIGNED_4   */ R.Pcrel | B4,
    /* TLV        */ R.Pcrel | R.Tlv | R.Load | B4,
  ],
  relocNames: [
    "UNSIGNED",
    "SIGNED",
    "BRANCH",
    "GOT_LOAD",
    "GOT",
    "SUBTRACTOR",
    "SIGNED_1",
    "SIGNED_2",
    "SIGNED_4",
    "TLV",
  ],
  // SIGNED
  sectionPcrelType: 1,
  readAddend(view, off, _type, length, pcrel) {
    if (pcrel) return view.getInt32(off, true);
    switch (length) {
      case 3:
        return Number(view.getBigInt64(off, true));
      case 2:
        return view.getInt32(off, true);
      case 1:
        return view.getInt16(off, true);
      default:
        return view.getInt8(off);
    }
  },
  pcrelBias(type) {
    return type === X86_64_RELOC_SIGNED_1
      ? 5
      : type === X86_64_RELOC_SIGNED_2
        ? 6
        : type === X86_64_RELOC_SIGNED_4
          ? 8
          : 4;
  },
  relocateOne(view, loc, _type, length, pcrel, value, pc, signed) {
    if (pcrel) {
      const disp = value - (pc + 4);
      if (disp < -0x80000000 || disp > 0x7fffffff) return RelocResult.PcrelOverflow;
      view.setInt32(loc, disp, true);
      return RelocResult.Ok;
    }
    return writeAbsolute(view, loc, length, value, signed);
  },
  relaxLoad(out, loc) {
    // movq (0x8b) to leaq (0x8d): the opcode byte sits two bytes before the displacement.
    if (out[loc - 2] !== 0x8b) return false;
    out[loc - 2] = 0x8d;
    return true;
  },
  overflowText(res, _type, length, value, pc, target) {
    if (res === RelocResult.PcrelOverflow) {
      const to = target ? ` to ${target}` : "";
      return `pc-relative displacement${to} 0x${(value - (pc + 4)).toString(16)} does not fit in 32 bits`;
    }
    if (res === RelocResult.Overflow) return `value 0x${value.toString(16)} does not fit in 32 bits`;
    return `unsupported relocation length ${1 << length} bytes`;
  },
  // rel32 calls reach all of an image (segments stay under 4 GiB): no thunks.
  thunkSize: 0,
  forwardBranchRange: 0,
  backwardBranchRange: 0,
  writeThunk() {},
  writeStub(out, off, stubAddr, ptrAddr) {
    out[off] = 0xff;
    out[off + 1] = 0x25;
    new DataView(out.buffer, out.byteOffset).setInt32(off + 2, ptrAddr - (stubAddr + 6), true);
  },
  writeStubHelperHeader(out, off, addr, dyldPrivate, binderPtr) {
    const dv = new DataView(out.buffer, out.byteOffset);
    // leaq dyldPrivate(%rip), %r11
    out.set([0x4c, 0x8d, 0x1d], off);
    dv.setInt32(off + 3, dyldPrivate - (addr + 7), true);
    // pushq %r11
    out.set([0x41, 0x53], off + 7);
    // jmpq *binderPtr(%rip)
    out.set([0xff, 0x25], off + 9);
    dv.setInt32(off + 11, binderPtr - (addr + 15), true);
    out[off + 15] = 0x90;
  },
  writeStubHelperEntry(out, off, addr, lazyBindOffset, header) {
    const dv = new DataView(out.buffer, out.byteOffset);
    out[off] = 0x68; // pushq $imm32
    dv.setUint32(off + 1, lazyBindOffset, true);
    out[off + 5] = 0xe9; // jmp rel32
    dv.setInt32(off + 6, header - (addr + 10), true);
  },
};
