/**
 * Input sections and atoms as integer ids with typed side tables.
 *
 * An input section is one `section_64` of one object. An atom is the unit
 * the linker moves and strips: with MH_SUBSECTIONS_VIA_SYMBOLS, a section is
 * cut at every non-alt-entry symbol (ld64's atomization; lld's
 * "subsections"); cstring and literal sections are cut per literal so equal
 * literals fold into one; without the flag the whole section is one atom.
 * Atoms of a section are contiguous ids in address order, so the atom that
 * holds an input address is found by binary search.
 *
 * Relocations are decoded once into `LinkContext.relocs` (see relocs.ts);
 * each section and each atom owns a contiguous range of its rows.
 */
import type { AtomChunk, SyntheticSection } from "./chunk.js";
import { column, growTo, type AtomId, type FileId, type OutSectionId, type SectionId } from "./ids.js";

export class InputSections {
  count = 0;
  readonly segnames: string[] = [];
  readonly sectnames: string[] = [];
  file = column(Int32Array, 256);
  flags = column(Uint32Array, 256);
  /** log2 alignment. */
  align = column(Uint8Array, 256);
  /** Address in the input object. */
  addr = column(Float64Array, 256);
  size = column(Float64Array, 256);
  /** Offset of the section's bytes in its file's data (0 for zerofill). */
  dataOff = column(Float64Array, 256);
  /** [relocStart, relocEnd) into `LinkContext.relocs`. */
  relocStart = column(Uint32Array, 256);
  relocEnd = column(Uint32Array, 256);
  firstAtom = column(Int32Array, 256);
  atomCount = column(Int32Array, 256);

  add(file: FileId, segname: string, sectname: string): SectionId {
    const id = this.count++;
    if (id >= this.file.length) this.grow(id + 1);
    this.segnames.push(segname);
    this.sectnames.push(sectname);
    this.file[id] = file;
    this.firstAtom[id] = -1;
    return id;
  }

  name(id: SectionId): string {
    return `${this.segnames[id]},${this.sectnames[id]}`;
  }

  private grow(n: number): void {
    this.file = growTo(this.file, n);
    this.flags = growTo(this.flags, n);
    this.align = growTo(this.align, n);
    this.addr = growTo(this.addr, n);
    this.size = growTo(this.size, n);
    this.dataOff = growTo(this.dataOff, n);
    this.relocStart = growTo(this.relocStart, n);
    this.relocEnd = growTo(this.relocEnd, n);
    this.firstAtom = growTo(this.firstAtom, n);
    this.atomCount = growTo(this.atomCount, n);
  }
}

export const AtomFlag = {
  Live: 1 << 0,
  /** Never dead-stripped (S_ATTR_NO_DEAD_STRIP, N_NO_DEAD_STRIP, init funcs). */
  NoDeadStrip: 1 << 1,
  /** Folded into `foldedInto` (duplicate literal). */
  Folded: 1 << 2,
  /** Created by the linker (commons, markers, synthetic sections). */
  Synthetic: 1 << 3,
  /** Zerofill: no bytes in the input. */
  Zerofill: 1 << 4,
} as const;

export class Atoms {
  count = 0;
  section = column(Int32Array, 1024);
  file = column(Int32Array, 1024);
  /** Offset within the input section. */
  offset = column(Float64Array, 1024);
  size = column(Float64Array, 1024);
  align = column(Uint8Array, 1024);
  flags = column(Uint8Array, 1024);
  /** Output section, -1 until assigned. */
  out = column(Int32Array, 1024);
  /** Final virtual address. */
  address = column(Float64Array, 1024);
  /** [relocStart, relocEnd) into `LinkContext.relocs`. */
  relocStart = column(Uint32Array, 1024);
  relocEnd = column(Uint32Array, 1024);
  /** The atom this one was folded into (Folded), else its own id. */
  foldedInto = column(Int32Array, 1024);
  /** The symbol that starts this atom (0 if none). */
  symbol = column(Int32Array, 1024);

  add(section: SectionId, file: FileId, offset: number, size: number, align: number, flags: number): AtomId {
    const id = this.count++;
    if (id >= this.section.length) this.grow(id + 1);
    this.section[id] = section;
    this.file[id] = file;
    this.offset[id] = offset;
    this.size[id] = size;
    this.align[id] = align;
    this.flags[id] = flags;
    this.out[id] = -1;
    this.foldedInto[id] = id;
    this.symbol[id] = 0;
    return id;
  }

  /** Makes room for `n` more atoms (a whole object's, added in one go). */
  reserve(n: number): void {
    if (this.count + n > this.section.length) this.grow(this.count + n);
  }

  isLive(id: AtomId): boolean {
    return (this.flags[id]! & AtomFlag.Live) !== 0;
  }

  private grow(n: number): void {
    this.section = growTo(this.section, n);
    this.file = growTo(this.file, n);
    this.offset = growTo(this.offset, n);
    this.size = growTo(this.size, n);
    this.align = growTo(this.align, n);
    this.flags = growTo(this.flags, n);
    this.out = growTo(this.out, n);
    this.address = growTo(this.address, n);
    this.relocStart = growTo(this.relocStart, n);
    this.relocEnd = growTo(this.relocEnd, n);
    this.foldedInto = growTo(this.foldedInto, n);
    this.symbol = growTo(this.symbol, n);
  }
}

/** What a synthetic output section holds, filled in by layout. */
export type SyntheticKind =
  | "none"
  | "got"
  | "stubs"
  | "stub_helper"
  | "la_symbol_ptr"
  | "thread_ptrs"
  | "common"
  | "header"
  /** A `__DWARF` debug section: planned by layout, bytes built by the dwarf stage (`ctx.debugData`). */
  | "dwarf"
  /** `__TEXT,__init_offsets`: 32-bit initializer offsets written from `LinkContext.initFuncAtoms` (chained fixups). */
  | "init_offsets"
  /** `__TEXT,__unwind_info`: sized by layout from the live functions, filled by `writeSections`. */
  | "unwind_info";

/** One output section. Few exist, so they are plain records indexed by id. */
export interface OutputSection {
  id: OutSectionId;
  segname: string;
  sectname: string;
  /** Section type and attributes (S_*). */
  flags: number;
  /** log2 alignment. */
  align: number;
  addr: number;
  size: number;
  /** File offset (0 for zerofill). */
  fileOff: number;
  /** Atoms in output order. */
  atoms: AtomId[];
  synthetic: SyntheticKind;
  /** The chunk that writes a synthetic section's bytes (GOT, stubs, stub helper, lazy and TLV pointers, `__init_offsets`). */
  chunk?: SyntheticSection;
  /** Synthetic atoms among `atoms` that write their own bytes (range-extension thunks), in address order. */
  atomChunks?: AtomChunk[];
  /** Index of the segment holding it. */
  segment: number;
  /** Indirect symbol table start (stubs, GOT, lazy pointers): reserved1. */
  reserved1: number;
  /** Stub size for S_SYMBOL_STUBS: reserved2. */
  reserved2: number;
}

export interface OutputSegment {
  name: string;
  vmaddr: number;
  vmsize: number;
  fileoff: number;
  filesize: number;
  maxprot: number;
  initprot: number;
  flags: number;
  sections: OutSectionId[];
}
