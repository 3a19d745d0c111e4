/**
 * The target interface: everything that differs between x86_64 and arm64
 * (lld's `TargetInfo`, Go's `ld.Arch`, mold's `arch-*.cc`). One file per
 * target under `targets/`, one registry keyed by CPU type (`targets.ts`);
 * adding an arch adds a file and a registry line.
 *
 * Stages never switch on relocation types: they read a type's attributes
 * (`RelocAttr`) and decide GOT slots, stubs, rebases and binds from them
 * (layout), and call `relocateOne` to store a computed value.
 */
import type { ArchName } from "./options.js";

/** What a relocation type means, as lld's `RelocAttrBits`. */
export const RelocAttr = {
  /** The value stored is relative to the fixup's place. */
  Pcrel: 1 << 0,
  /** A call or jump: an imported target goes through a stub. */
  Branch: 1 << 1,
  /** Through a GOT slot. */
  Got: 1 << 2,
  /** A load (`movq x@GOTPCREL`, `x@TLVP`) that may be relaxed to an address computation. */
  Load: 1 << 3,
  /** A thread-local variable descriptor reference (imports go through `__thread_ptrs`). */
  Tlv: 1 << 4,
  /** An absolute address (pointer-sized: rebased or bound when the image slides). */
  Pointer: 1 << 5,
  /** The subtrahend of a difference, paired with the next (Pointer) relocation. */
  Subtractor: 1 << 6,
  /**
   * Carries the addend of the relocation that follows it at the same
   * address, in `r_symbolnum` (24 bits, sign-extended): arm64's
   * `ARM64_RELOC_ADDEND`, whose instruction fields hold no addend.
   */
  Addend: 1 << 7,
  /** Allowed sizes: 1, 2, 4, 8 bytes (`r_length` 0–3). */
  Byte1: 1 << 8,
  Byte2: 1 << 9,
  Byte4: 1 << 10,
  Byte8: 1 << 11,
} as const;

/** What `relocateOne` reports: the value was stored, or why not. */
export const RelocResult = {
  Ok: 0,
  PcrelOverflow: 1,
  Overflow: 2,
  BadLength: 3,
  /** The value is not a multiple of what the field scales by (a branch, a scaled load/store offset). */
  Misaligned: 4,
  /** The instruction at the fixup is not one the relocation type can patch. */
  BadInstruction: 5,
} as const;
export type RelocResult = (typeof RelocResult)[keyof typeof RelocResult];

/**
 * Stores an absolute (not pc-relative) data value of 2^`length` bytes at
 * `loc`, as every target's UNSIGNED-style relocation does: 8 bytes as is, 4
 * bytes range-checked as signed or unsigned; other lengths are BadLength.
 */
export function writeAbsolute(
  view: DataView,
  loc: number,
  length: number,
  value: number,
  signed: boolean,
): RelocResult {
  if (length === 3) {
    view.setBigInt64(loc, BigInt(value), true);
    return RelocResult.Ok;
  }
  if (length === 2) {
    if (value < -0x80000000 || value > (signed ? 0x7fffffff : 0xffffffff)) return RelocResult.Overflow;
    view.setUint32(loc, value >>> 0, true);
    return RelocResult.Ok;
  }
  return RelocResult.BadLength;
}

export interface TargetInfo {
  name: ArchName;
  cputype: number;
  cpusubtype: number;
  /** VM page size: 4 KiB on x86_64, 16 KiB on arm64. */
  pageSize: number;
  /** Bytes of one `__stubs` entry, the `__stub_helper` header and one helper entry. */
  stubSize: number;
  stubHelperHeaderSize: number;
  stubHelperEntrySize: number;
  /**
   * Where pc-relative values are measured from, relative to the fixup:
   * x86_64 4 (the end of the 32-bit field, the next instruction for most
   * forms), arm64 0 (the instruction itself).
   */
  pcOffset: number;
  /** Compact-unwind encoding fields that differ by arch (`compact_unwind_encoding.h`). */
  unwind: {
    /** `UNWIND_*_MODE_MASK`. */
    modeMask: number;
    /** `UNWIND_*_MODE_DWARF`: the function is described by its `__eh_frame` FDE. */
    modeDwarf: number;
    /** `UNWIND_*_DWARF_SECTION_OFFSET`: the mask for the FDE's offset in DWARF mode. */
    dwarfSectionOffset: number;
    /** A mode whose entries are never folded with their neighbour (x86_64 STACK_IND), or -1. */
    noFoldMode: number;
  };
  /** Attributes per `r_type` (0 for types the target does not know). */
  relocAttrs: readonly number[];
  /** Names per `r_type`, for diagnostics. */
  relocNames: readonly string[];
  /**
   * How a relocatable output (`-r`, hostlink's `go.o`) refers to a symbol
   * it defines without naming its global, so the final link resolves the
   * reference inside the module (never by a flat-namespace bind): the
   * `r_type` a section-relative pc-relative reference takes (x86_64:
   * SIGNED, which branches and relaxed GOT loads become too), or -1 when
   * the target has none. arm64's instruction fields (PAGE21, PAGEOFF12,
   * BRANCH26, GOT and TLV forms) are resolved only through a symbol, so its
   * references name a local label at the target instead (LLVM's `ltmpN`).
   */
  sectionPcrelType: number;

  /**
   * The embedded addend of a fixup of `type`, 2^`length` bytes at `off` in
   * `view` (little-endian, sign-extended).
   */
  readAddend(view: DataView, off: number, type: number, length: number, pcrel: boolean): number;
  /**
   * Where a section-relative pc-relative fixup points, as a bias: the target's
   * input address is `P + bias(type) + stored` (x86_64: 4, or 4 + k for SIGNED_k).
   */
  pcrelBias(type: number): number;
  /**
   * Stores `value` in the fixup at `loc` of `out`: for pc-relative types and
   * instruction fields (arm64's PAGEOFF12 kinds) `value` is the target
   * address plus addend and `pc` the fixup's address; for data the final
   * value. `signed` range-checks 4-byte values as signed. Instruction fields
   * are scaled and encoded as the instruction at `loc` needs.
   */
  relocateOne(
    view: DataView,
    loc: number,
    type: number,
    length: number,
    pcrel: boolean,
    value: number,
    pc: number,
    signed: boolean,
  ): RelocResult;
  /**
   * Relaxes a Load relocation's instruction at `loc` (its displacement) so it
   * computes the address instead of loading through a slot; false when the
   * instruction is not the expected one.
   */
  relaxLoad(out: Uint8Array, loc: number, type: number): boolean;
  /**
   * Why `relocateOne` refused `value` for a fixup of `type` at `pc`, in
   * words naming the field (`target` names the symbol, or is "").
   */
  overflowText(res: RelocResult, type: number, length: number, value: number, pc: number, target: string): string;

  /**
   * Range-extension thunks (lld's `thunkSize`, `forwardBranchRange`,
   * `backwardBranchRange`): a Branch whose target lies farther than these
   * many bytes from the call goes through a thunk placed within reach
   * (layout's thunks.ts). `thunkSize` 0: the target needs none (x86_64's
   * 32-bit calls reach every address of an image).
   */
  thunkSize: number;
  forwardBranchRange: number;
  backwardBranchRange: number;
  /** One thunk at `addr`: jump to `target`, clobbering only what calls may (arm64: x16). */
  writeThunk(out: Uint8Array, off: number, addr: number, target: number): void;

  /** One stub: jump through the pointer at `ptrAddr`. */
  writeStub(out: Uint8Array, off: number, stubAddr: number, ptrAddr: number): void;
  /** The stub helper header: pushes the image cache, jumps to dyld_stub_binder. */
  writeStubHelperHeader(out: Uint8Array, off: number, addr: number, dyldPrivate: number, binderPtr: number): void;
  /** One stub helper entry: pushes the lazy-bind offset, jumps to the header. */
  writeStubHelperEntry(out: Uint8Array, off: number, addr: number, lazyBindOffset: number, header: number): void;
}
