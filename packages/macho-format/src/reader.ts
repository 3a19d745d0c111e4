/**
 * Zero-copy reading of 64-bit little-endian Mach-O files.
 *
 * Per Apple's `mach-o/loader.h`, a `mach_header_64` (32 bytes) is followed
 * by `ncmds` load commands in `sizeofcmds` bytes, each starting with
 * `{cmd, cmdsize}` (a multiple of 8 in 64-bit files). LC_SEGMENT_64 carries
 * its `section_64` headers inline; sections are numbered from 1 across the
 * whole file in load-command order, the ordinal `nlist_64.n_sect` refers to
 * (`mach-o/nlist.h`). Strings in load commands (`lc_str`) are offsets from
 * the start of the command, NUL-terminated and padded to cmdsize.
 *
 * The symbol table (`nlist_64`: n_strx u32, n_type u8, n_sect u8, n_desc
 * u16, n_value u64) and relocations (`relocation_info`, `mach-o/reloc.h`:
 * r_address i32, then r_symbolnum:24 r_pcrel:1 r_length:2 r_extern:1
 * r_type:4) are read through accessors over a DataView, so the linker's hot
 * loops allocate nothing per entry; `relocInfoWord` + the `r*` decoders read
 * each packed word once. Load commands, being few, decode into objects.
 *
 * Values are returned raw (interpreting relocation types from
 * `mach-o/x86_64/reloc.h` is the caller's job); 64-bit fields become numbers
 * (assumed < 2^53). Universal files (`mach-o/fat.h`, big-endian) are listed
 * by `readFatHeader`.
 */
import {
  FAT_MAGIC,
  FAT_MAGIC_64,
  LC_BUILD_VERSION,
  LC_CODE_SIGNATURE,
  LC_DATA_IN_CODE,
  LC_DYLD_CHAINED_FIXUPS,
  LC_DYLD_EXPORTS_TRIE,
  LC_DYLD_INFO,
  LC_DYLD_INFO_ONLY,
  LC_DYSYMTAB,
  LC_FUNCTION_STARTS,
  LC_ID_DYLIB,
  LC_LAZY_LOAD_DYLIB,
  LC_LINKER_OPTION,
  LC_LOAD_DYLIB,
  LC_LOAD_DYLINKER,
  LC_LOAD_UPWARD_DYLIB,
  LC_LOAD_WEAK_DYLIB,
  LC_MAIN,
  LC_REEXPORT_DYLIB,
  LC_RPATH,
  LC_SEGMENT_64,
  LC_SEGMENT_SPLIT_INFO,
  LC_SOURCE_VERSION,
  LC_SYMTAB,
  LC_UUID,
  LC_VERSION_MIN_IPHONEOS,
  LC_VERSION_MIN_MACOSX,
  LC_VERSION_MIN_TVOS,
  LC_VERSION_MIN_WATCHOS,
  MACH_HEADER_64_SIZE,
  MH_CIGAM,
  MH_CIGAM_64,
  MH_MAGIC,
  MH_MAGIC_64,
  SECTION_64_SIZE,
  SEGMENT_COMMAND_64_SIZE,
} from "./constants.js";
import { type BinaryInput, toBytes } from "./bytes.js";
import { MachOFormatError } from "./errors.js";

// ---------------------------------------------------------------------------
// Types

export interface MachHeader {
  magic: number;
  cputype: number;
  cpusubtype: number;
  filetype: number;
  ncmds: number;
  sizeofcmds: number;
  flags: number;
}

export interface Section64 {
  sectname: string;
  segname: string;
  addr: number;
  size: number;
  offset: number;
  align: number;
  reloff: number;
  nreloc: number;
  flags: number;
  reserved1: number;
  reserved2: number;
  reserved3: number;
  /** 1-based ordinal of the section across the whole file (what n_sect refers to). */
  index: number;
}

export interface Segment64 {
  segname: string;
  vmaddr: number;
  vmsize: number;
  fileoff: number;
  filesize: number;
  maxprot: number;
  initprot: number;
  nsects: number;
  flags: number;
  sections: Section64[];
}

export interface SymtabCommand {
  symoff: number;
  nsyms: number;
  stroff: number;
  strsize: number;
}

export interface DysymtabCommand {
  ilocalsym: number;
  nlocalsym: number;
  iextdefsym: number;
  nextdefsym: number;
  iundefsym: number;
  nundefsym: number;
  tocoff: number;
  ntoc: number;
  modtaboff: number;
  nmodtab: number;
  extrefsymoff: number;
  nextrefsyms: number;
  indirectsymoff: number;
  nindirectsyms: number;
  extreloff: number;
  nextrel: number;
  locreloff: number;
  nlocrel: number;
}

export interface BuildToolVersion {
  tool: number;
  version: number;
}

export interface BuildVersion {
  platform: number;
  minos: number;
  sdk: number;
  tools: BuildToolVersion[];
}

export interface VersionMin {
  version: number;
  sdk: number;
}

export interface DylibCommand {
  name: string;
  timestamp: number;
  currentVersion: number;
  compatibilityVersion: number;
}

export interface DyldInfo {
  rebaseOff: number;
  rebaseSize: number;
  bindOff: number;
  bindSize: number;
  weakBindOff: number;
  weakBindSize: number;
  lazyBindOff: number;
  lazyBindSize: number;
  exportOff: number;
  exportSize: number;
}

export interface LinkeditData {
  dataoff: number;
  datasize: number;
}

export interface EntryPoint {
  entryoff: number;
  stacksize: number;
}

export interface DylibReference {
  /** LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB, LC_LAZY_LOAD_DYLIB or LC_LOAD_UPWARD_DYLIB. */
  cmd: number;
  name: string;
  timestamp: number;
  currentVersion: number;
  compatibilityVersion: number;
}

export interface FatArch {
  cputype: number;
  cpusubtype: number;
  offset: number;
  size: number;
  align: number;
}

export interface MachOFile {
  header: MachHeader;
  segments: Segment64[];
  /** All sections in file order; `sections[i - 1].index === i`. */
  sections: Section64[];
  symtab?: SymtabCommand;
  dysymtab?: DysymtabCommand;
  buildVersion?: BuildVersion;
  /** LC_VERSION_MIN_* (cmd says which platform). */
  versionMin?: VersionMin & { cmd: number };
  /** One entry per LC_LINKER_OPTION, each its list of strings. */
  linkerOptions: string[][];
  /** Every dependent-dylib command, in load order (index + 1 = library ordinal). */
  dylibs: DylibReference[];
  idDylib?: DylibCommand;
  dylinker?: string;
  dyldInfo?: DyldInfo;
  exportsTrie?: LinkeditData;
  chainedFixups?: LinkeditData;
  /** Offset of the LC_DYLD_CHAINED_FIXUPS command itself (for decodeChainedFixups). */
  chainedFixupsCmdOff?: number;
  functionStarts?: LinkeditData;
  dataInCode?: LinkeditData;
  codeSignature?: LinkeditData;
  splitInfo?: LinkeditData;
  rpaths: string[];
  entry?: EntryPoint;
  uuid?: Uint8Array;
  sourceVersion?: bigint;
}

// ---------------------------------------------------------------------------
// Primitive helpers

let cachedBuf: Uint8Array | undefined;
let cachedView: DataView | undefined;

/** A DataView over exactly the bytes of `buf` (the last one is cached). */
export function dataViewOf(buf: Uint8Array): DataView {
  if (buf === cachedBuf && cachedView !== undefined) return cachedView;
  if (!(buf instanceof Uint8Array)) buf = toBytes(buf);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  cachedBuf = buf;
  cachedView = v;
  return v;
}

const TWO_POW_32 = 0x100000000;

/** Little-endian u64 as a number (exact below 2^53). */
export function readU64(view: DataView, off: number): number {
  return view.getUint32(off + 4, true) * TWO_POW_32 + view.getUint32(off, true);
}

function need(buf: Uint8Array, off: number, size: number, what: string): void {
  if (off < 0 || off + size > buf.length) {
    throw new MachOFormatError(
      `truncated ${what}: needs ${size} bytes at offset 0x${off.toString(16)}, file has ${buf.length}`,
      off,
    );
  }
}

const utf8 = new TextDecoder("utf-8");

// Node's Buffer#latin1Slice turns bytes into a one-byte string without UTF-8
// validation: for pure ASCII it is the fastest correct decoder (about twice
// TextDecoder's speed on symbol-sized strings). Absent outside Node.
type SliceFn = (this: Uint8Array, start: number, end: number) => string;
const latin1Slice: SliceFn | undefined =
  typeof Buffer === "undefined" ? undefined : (Buffer.prototype as unknown as { latin1Slice?: SliceFn }).latin1Slice;

/**
 * Reads a NUL-terminated string starting at `off`, stopping at `end`
 * (default: end of buffer) if no NUL comes first. Decodes UTF-8; pure ASCII
 * (the usual case for symbol names) takes a fast path.
 */
export function readCString(buf: Uint8Array, off: number, end?: number): string {
  const limit = end === undefined || end > buf.length ? buf.length : end;
  let p = off;
  let bits = 0;
  while (p < limit) {
    const b = buf[p]!;
    if (b === 0) break;
    bits |= b;
    p++;
  }
  if (p <= off) return "";
  if (bits < 0x80) {
    if (latin1Slice !== undefined) return latin1Slice.call(buf, off, p);
    if (p - off < 4096) return String.fromCharCode.apply(null, buf.subarray(off, p) as unknown as number[]);
  }
  return utf8.decode(buf.subarray(off, p));
}

/** Reads a fixed-width (e.g. 16-byte) name field: up to `width` bytes, stopping at NUL, latin1. */
export function readFixedString(buf: Uint8Array, off: number, width = 16): string {
  let s = "";
  const end = Math.min(off + width, buf.length);
  for (let i = off; i < end; i++) {
    const b = buf[i]!;
    if (b === 0) break;
    s += String.fromCharCode(b);
  }
  return s;
}

// ---------------------------------------------------------------------------
// Header and load commands

/** Reads and validates the mach_header_64 at the start of `buf`. */
export function readMachHeader(input: BinaryInput): MachHeader {
  const buf = toBytes(input);
  if (buf.length < 4) throw new MachOFormatError(`file too small to be Mach-O (${buf.length} bytes)`, 0);
  const view = dataViewOf(buf);
  const magic = view.getUint32(0, true);
  if (magic !== MH_MAGIC_64) {
    const hex = view.getUint32(0, false).toString(16).padStart(8, "0");
    if (magic === MH_MAGIC || magic === MH_CIGAM) {
      throw new MachOFormatError(`not a 64-bit Mach-O file (magic 0x${hex}: 32-bit Mach-O is not supported)`, 0);
    }
    if (magic === MH_CIGAM_64) {
      throw new MachOFormatError(`not a 64-bit Mach-O file (magic 0x${hex}: big-endian Mach-O is not supported)`, 0);
    }
    const be = view.getUint32(0, false);
    if (be === FAT_MAGIC || be === FAT_MAGIC_64) {
      throw new MachOFormatError(
        `not a 64-bit Mach-O file (magic 0x${hex}: universal file; pick a slice with readFatHeader)`,
        0,
      );
    }
    throw new MachOFormatError(`not a 64-bit Mach-O file (magic 0x${hex})`, 0);
  }
  need(buf, 0, MACH_HEADER_64_SIZE, "mach_header_64");
  const h: MachHeader = {
    magic,
    cputype: view.getUint32(4, true),
    cpusubtype: view.getUint32(8, true),
    filetype: view.getUint32(12, true),
    ncmds: view.getUint32(16, true),
    sizeofcmds: view.getUint32(20, true),
    flags: view.getUint32(24, true),
  };
  if (MACH_HEADER_64_SIZE + h.sizeofcmds > buf.length) {
    throw new MachOFormatError(
      `load commands extend past end of file (sizeofcmds ${h.sizeofcmds}, file size ${buf.length})`,
      20,
    );
  }
  return h;
}

/**
 * Calls `fn(cmd, off, size)` for each load command, validating every cmdsize
 * (at least 8, a multiple of 8, within sizeofcmds and the file).
 */
export function forEachLoadCommand(
  buf: Uint8Array,
  hdr: MachHeader,
  fn: (cmd: number, off: number, size: number) => void,
): void {
  const view = dataViewOf(buf);
  const end = MACH_HEADER_64_SIZE + hdr.sizeofcmds;
  if (end > buf.length) {
    throw new MachOFormatError(
      `load commands extend past end of file (sizeofcmds ${hdr.sizeofcmds}, file size ${buf.length})`,
      20,
    );
  }
  let off = MACH_HEADER_64_SIZE;
  for (let i = 0; i < hdr.ncmds; i++) {
    if (off + 8 > end) {
      throw new MachOFormatError(
        `load command ${i} at offset 0x${off.toString(16)} extends past sizeofcmds (${hdr.sizeofcmds}); ncmds ${hdr.ncmds} is too large`,
        off,
      );
    }
    const cmd = view.getUint32(off, true);
    const size = view.getUint32(off + 4, true);
    if (size < 8) {
      throw new MachOFormatError(
        `load command ${i} (cmd 0x${cmd.toString(16)}) at offset 0x${off.toString(16)}: cmdsize ${size} is less than 8`,
        off,
      );
    }
    if ((size & 7) !== 0) {
      throw new MachOFormatError(
        `load command ${i} (cmd 0x${cmd.toString(16)}) at offset 0x${off.toString(16)}: cmdsize ${size} is not a multiple of 8`,
        off,
      );
    }
    if (off + size > end) {
      throw new MachOFormatError(
        `load command ${i} (cmd 0x${cmd.toString(16)}) at offset 0x${off.toString(16)}: cmdsize ${size} extends past sizeofcmds (${hdr.sizeofcmds})`,
        off,
      );
    }
    fn(cmd, off, size);
    off += size;
  }
}

function cmdSize(buf: Uint8Array, off: number, min: number, what: string): number {
  need(buf, off, 8, what);
  const size = dataViewOf(buf).getUint32(off + 4, true);
  if (size < min)
    throw new MachOFormatError(`${what} at offset 0x${off.toString(16)}: cmdsize ${size} is less than ${min}`, off);
  need(buf, off, size, what);
  return size;
}

/** Reads an LC_SEGMENT_64 command and its section headers; sections get `index` from `firstSectionIndex` on. */
export function readSegment64(buf: Uint8Array, off: number, firstSectionIndex = 1): Segment64 {
  const size = cmdSize(buf, off, SEGMENT_COMMAND_64_SIZE, "LC_SEGMENT_64");
  const view = dataViewOf(buf);
  const nsects = view.getUint32(off + 64, true);
  if (SEGMENT_COMMAND_64_SIZE + nsects * SECTION_64_SIZE > size) {
    throw new MachOFormatError(
      `LC_SEGMENT_64 at offset 0x${off.toString(16)}: ${nsects} sections do not fit cmdsize ${size}`,
      off,
    );
  }
  const seg: Segment64 = {
    segname: readFixedString(buf, off + 8, 16),
    vmaddr: readU64(view, off + 24),
    vmsize: readU64(view, off + 32),
    fileoff: readU64(view, off + 40),
    filesize: readU64(view, off + 48),
    maxprot: view.getUint32(off + 56, true),
    initprot: view.getUint32(off + 60, true),
    nsects,
    flags: view.getUint32(off + 68, true),
    sections: [],
  };
  let s = off + SEGMENT_COMMAND_64_SIZE;
  for (let i = 0; i < nsects; i++, s += SECTION_64_SIZE) {
    seg.sections.push({
      sectname: readFixedString(buf, s, 16),
      segname: readFixedString(buf, s + 16, 16),
      addr: readU64(view, s + 32),
      size: readU64(view, s + 40),
      offset: view.getUint32(s + 48, true),
      align: view.getUint32(s + 52, true),
      reloff: view.getUint32(s + 56, true),
      nreloc: view.getUint32(s + 60, true),
      flags: view.getUint32(s + 64, true),
      reserved1: view.getUint32(s + 68, true),
      reserved2: view.getUint32(s + 72, true),
      reserved3: view.getUint32(s + 76, true),
      index: firstSectionIndex + i,
    });
  }
  return seg;
}

export function readSymtabCommand(buf: Uint8Array, off: number): SymtabCommand {
  cmdSize(buf, off, 24, "LC_SYMTAB");
  const v = dataViewOf(buf);
  return {
    symoff: v.getUint32(off + 8, true),
    nsyms: v.getUint32(off + 12, true),
    stroff: v.getUint32(off + 16, true),
    strsize: v.getUint32(off + 20, true),
  };
}

export function readDysymtabCommand(buf: Uint8Array, off: number): DysymtabCommand {
  cmdSize(buf, off, 80, "LC_DYSYMTAB");
  const v = dataViewOf(buf);
  const u = (i: number): number => v.getUint32(off + 8 + i * 4, true);
  return {
    ilocalsym: u(0),
    nlocalsym: u(1),
    iextdefsym: u(2),
    nextdefsym: u(3),
    iundefsym: u(4),
    nundefsym: u(5),
    tocoff: u(6),
    ntoc: u(7),
    modtaboff: u(8),
    nmodtab: u(9),
    extrefsymoff: u(10),
    nextrefsyms: u(11),
    indirectsymoff: u(12),
    nindirectsyms: u(13),
    extreloff: u(14),
    nextrel: u(15),
    locreloff: u(16),
    nlocrel: u(17),
  };
}

export function readBuildVersion(buf: Uint8Array, off: number): BuildVersion {
  const size = cmdSize(buf, off, 24, "LC_BUILD_VERSION");
  const v = dataViewOf(buf);
  const ntools = v.getUint32(off + 20, true);
  if (24 + ntools * 8 > size) {
    throw new MachOFormatError(
      `LC_BUILD_VERSION at offset 0x${off.toString(16)}: ${ntools} tools do not fit cmdsize ${size}`,
      off,
    );
  }
  const tools: BuildToolVersion[] = [];
  for (let i = 0; i < ntools; i++) {
    tools.push({ tool: v.getUint32(off + 24 + i * 8, true), version: v.getUint32(off + 28 + i * 8, true) });
  }
  return {
    platform: v.getUint32(off + 8, true),
    minos: v.getUint32(off + 12, true),
    sdk: v.getUint32(off + 16, true),
    tools,
  };
}

/** LC_VERSION_MIN_MACOSX / _IPHONEOS / _TVOS / _WATCHOS. */
export function readVersionMin(buf: Uint8Array, off: number): VersionMin {
  cmdSize(buf, off, 16, "LC_VERSION_MIN");
  const v = dataViewOf(buf);
  return { version: v.getUint32(off + 8, true), sdk: v.getUint32(off + 12, true) };
}

/** LC_LINKER_OPTION: `count` NUL-terminated strings after the 12-byte header. */
export function readLinkerOption(buf: Uint8Array, off: number): string[] {
  const size = cmdSize(buf, off, 12, "LC_LINKER_OPTION");
  const count = dataViewOf(buf).getUint32(off + 8, true);
  const end = off + size;
  const out: string[] = [];
  let p = off + 12;
  for (let i = 0; i < count; i++) {
    if (p >= end) {
      throw new MachOFormatError(
        `LC_LINKER_OPTION at offset 0x${off.toString(16)}: ${count} strings do not fit cmdsize ${size}`,
        off,
      );
    }
    const s = readCString(buf, p, end);
    out.push(s);
    // advance past the string and its NUL (byte length, not UTF-16 length)
    while (p < end && buf[p] !== 0) p++;
    p++;
  }
  return out;
}

function readLcStr(buf: Uint8Array, off: number, size: number, fieldOff: number, what: string): string {
  const strOff = dataViewOf(buf).getUint32(off + fieldOff, true);
  if (strOff < fieldOff + 4 || strOff >= size) {
    throw new MachOFormatError(
      `${what} at offset 0x${off.toString(16)}: string offset ${strOff} outside command (cmdsize ${size})`,
      off,
    );
  }
  return readCString(buf, off + strOff, off + size);
}

/** LC_LOAD_DYLIB and friends, LC_ID_DYLIB. */
export function readDylibCommand(buf: Uint8Array, off: number): DylibCommand {
  const size = cmdSize(buf, off, 24, "dylib command");
  const v = dataViewOf(buf);
  return {
    name: readLcStr(buf, off, size, 8, "dylib command"),
    timestamp: v.getUint32(off + 12, true),
    currentVersion: v.getUint32(off + 16, true),
    compatibilityVersion: v.getUint32(off + 20, true),
  };
}

/** LC_LOAD_DYLINKER / LC_ID_DYLINKER / LC_DYLD_ENVIRONMENT: the path string. */
export function readDylinkerCommand(buf: Uint8Array, off: number): string {
  const size = cmdSize(buf, off, 12, "dylinker command");
  return readLcStr(buf, off, size, 8, "dylinker command");
}

export function readDyldInfo(buf: Uint8Array, off: number): DyldInfo {
  cmdSize(buf, off, 48, "LC_DYLD_INFO");
  const v = dataViewOf(buf);
  const u = (i: number): number => v.getUint32(off + 8 + i * 4, true);
  return {
    rebaseOff: u(0),
    rebaseSize: u(1),
    bindOff: u(2),
    bindSize: u(3),
    weakBindOff: u(4),
    weakBindSize: u(5),
    lazyBindOff: u(6),
    lazyBindSize: u(7),
    exportOff: u(8),
    exportSize: u(9),
  };
}

/** linkedit_data_command (LC_FUNCTION_STARTS, LC_DATA_IN_CODE, LC_CODE_SIGNATURE, LC_DYLD_EXPORTS_TRIE, ...). */
export function readLinkeditData(buf: Uint8Array, off: number): LinkeditData {
  cmdSize(buf, off, 16, "linkedit_data_command");
  const v = dataViewOf(buf);
  return { dataoff: v.getUint32(off + 8, true), datasize: v.getUint32(off + 12, true) };
}

export function readEntryPoint(buf: Uint8Array, off: number): EntryPoint {
  cmdSize(buf, off, 24, "LC_MAIN");
  const v = dataViewOf(buf);
  return { entryoff: readU64(v, off + 8), stacksize: readU64(v, off + 16) };
}

export function readRpath(buf: Uint8Array, off: number): string {
  const size = cmdSize(buf, off, 12, "LC_RPATH");
  return readLcStr(buf, off, size, 8, "LC_RPATH");
}

/** The 16 UUID bytes of an LC_UUID (a copy). */
export function readUuid(buf: Uint8Array, off: number): Uint8Array {
  cmdSize(buf, off, 24, "LC_UUID");
  return buf.slice(off + 8, off + 24);
}

/** LC_SOURCE_VERSION's packed A.B.C.D.E value. */
export function readSourceVersion(buf: Uint8Array, off: number): bigint {
  cmdSize(buf, off, 16, "LC_SOURCE_VERSION");
  return dataViewOf(buf).getBigUint64(off + 8, true);
}

// ---------------------------------------------------------------------------
// Whole-file convenience

/** Parses the header and all load commands (not the symbol table contents). Takes any `BinaryInput` (a `Uint8Array`, `Buffer` or `ArrayBuffer`). */
export function parseMachO(input: BinaryInput): MachOFile {
  const buf = toBytes(input);
  const header = readMachHeader(buf);
  const file: MachOFile = {
    header,
    segments: [],
    sections: [],
    linkerOptions: [],
    dylibs: [],
    rpaths: [],
  };
  forEachLoadCommand(buf, header, (cmd, off) => {
    switch (cmd) {
      case LC_SEGMENT_64: {
        const seg = readSegment64(buf, off, file.sections.length + 1);
        file.segments.push(seg);
        for (const s of seg.sections) file.sections.push(s);
        break;
      }
      case LC_SYMTAB:
        file.symtab = readSymtabCommand(buf, off);
        break;
      case LC_DYSYMTAB:
        file.dysymtab = readDysymtabCommand(buf, off);
        break;
      case LC_BUILD_VERSION:
        file.buildVersion = readBuildVersion(buf, off);
        break;
      case LC_VERSION_MIN_MACOSX:
      case LC_VERSION_MIN_IPHONEOS:
      case LC_VERSION_MIN_TVOS:
      case LC_VERSION_MIN_WATCHOS:
        file.versionMin = { cmd, ...readVersionMin(buf, off) };
        break;
      case LC_LINKER_OPTION:
        file.linkerOptions.push(readLinkerOption(buf, off));
        break;
      case LC_LOAD_DYLIB:
      case LC_LOAD_WEAK_DYLIB:
      case LC_REEXPORT_DYLIB:
      case LC_LAZY_LOAD_DYLIB:
      case LC_LOAD_UPWARD_DYLIB:
        file.dylibs.push({ cmd, ...readDylibCommand(buf, off) });
        break;
      case LC_ID_DYLIB:
        file.idDylib = readDylibCommand(buf, off);
        break;
      case LC_LOAD_DYLINKER:
        file.dylinker = readDylinkerCommand(buf, off);
        break;
      case LC_DYLD_INFO:
      case LC_DYLD_INFO_ONLY:
        file.dyldInfo = readDyldInfo(buf, off);
        break;
      case LC_DYLD_EXPORTS_TRIE:
        file.exportsTrie = readLinkeditData(buf, off);
        break;
      case LC_DYLD_CHAINED_FIXUPS:
        file.chainedFixups = readLinkeditData(buf, off);
        file.chainedFixupsCmdOff = off;
        break;
      case LC_FUNCTION_STARTS:
        file.functionStarts = readLinkeditData(buf, off);
        break;
      case LC_DATA_IN_CODE:
        file.dataInCode = readLinkeditData(buf, off);
        break;
      case LC_CODE_SIGNATURE:
        file.codeSignature = readLinkeditData(buf, off);
        break;
      case LC_SEGMENT_SPLIT_INFO:
        file.splitInfo = readLinkeditData(buf, off);
        break;
      case LC_RPATH:
        file.rpaths.push(readRpath(buf, off));
        break;
      case LC_MAIN:
        file.entry = readEntryPoint(buf, off);
        break;
      case LC_UUID:
        file.uuid = readUuid(buf, off);
        break;
      case LC_SOURCE_VERSION:
        file.sourceVersion = readSourceVersion(buf, off);
        break;
      default:
        break;
    }
  });
  return file;
}

// ---------------------------------------------------------------------------
// nlist_64 accessors (symoff = file offset of the symbol table, i = index)

export function nlistStrx(view: DataView, symoff: number, i: number): number {
  return view.getUint32(symoff + i * 16, true);
}

export function nlistType(view: DataView, symoff: number, i: number): number {
  return view.getUint8(symoff + i * 16 + 4);
}

export function nlistSect(view: DataView, symoff: number, i: number): number {
  return view.getUint8(symoff + i * 16 + 5);
}

export function nlistDesc(view: DataView, symoff: number, i: number): number {
  return view.getUint16(symoff + i * 16 + 6, true);
}

export function nlistValue(view: DataView, symoff: number, i: number): number {
  const o = symoff + i * 16 + 8;
  return view.getUint32(o + 4, true) * TWO_POW_32 + view.getUint32(o, true);
}

// ---------------------------------------------------------------------------
// relocation_info accessors (off = file offset of the 8-byte entry)

/** r_address (signed 32-bit). Meaningless for scattered entries: check relocIsScattered first on 32-bit targets. */
export function relocAddress(view: DataView, off: number): number {
  return view.getInt32(off, true);
}

/** Whether the R_SCATTERED bit (bit 31 of the first word) is set; never the case on x86_64/arm64. */
export function relocIsScattered(view: DataView, off: number): boolean {
  return (view.getUint32(off, true) & 0x80000000) !== 0;
}

/** The packed second word (r_symbolnum:24, r_pcrel:1, r_length:2, r_extern:1, r_type:4). */
export function relocInfoWord(view: DataView, off: number): number {
  return view.getUint32(off + 4, true);
}

export function relocSymbolnum(view: DataView, off: number): number {
  return view.getUint32(off + 4, true) & 0xffffff;
}

export function relocPcrel(view: DataView, off: number): boolean {
  return (view.getUint32(off + 4, true) & 0x1000000) !== 0;
}

/** log2 of the fixup width: 0 = byte, 1 = 2 bytes, 2 = 4 bytes, 3 = 8 bytes. */
export function relocLength(view: DataView, off: number): number {
  return (view.getUint32(off + 4, true) >>> 25) & 3;
}

export function relocExtern(view: DataView, off: number): boolean {
  return (view.getUint32(off + 4, true) & 0x8000000) !== 0;
}

export function relocType(view: DataView, off: number): number {
  return view.getUint32(off + 4, true) >>> 28;
}

export function rSymbolnum(w: number): number {
  return w & 0xffffff;
}

export function rPcrel(w: number): boolean {
  return (w & 0x1000000) !== 0;
}

export function rLength(w: number): number {
  return (w >>> 25) & 3;
}

export function rExtern(w: number): boolean {
  return (w & 0x8000000) !== 0;
}

export function rType(w: number): number {
  return w >>> 28;
}

// ---------------------------------------------------------------------------
// Universal (fat) files

/**
 * The slices of a universal file, or undefined when `buf` is not one (or is
 * a Java class file, which shares FAT_MAGIC). Offsets are from the start of
 * `buf`. Throws MachOFormatError for a truncated fat_arch table, a slice that
 * runs past the end of the file or overlaps the header, or slices that
 * overlap each other.
 */
export function readFatHeader(input: BinaryInput): FatArch[] | undefined {
  const buf = toBytes(input);
  if (buf.length < 8) return undefined;
  const v = dataViewOf(buf);
  const magic = v.getUint32(0, false);
  if (magic !== FAT_MAGIC && magic !== FAT_MAGIC_64) return undefined;
  const is64 = magic === FAT_MAGIC_64;
  const n = v.getUint32(4, false);
  const entSize = is64 ? 32 : 20;
  // Java class files share 0xcafebabe; their "nfat_arch" (the version) is large.
  if (n > 64) return undefined;
  need(buf, 8, n * entSize, "fat_arch table");
  const out: FatArch[] = [];
  for (let i = 0; i < n; i++) {
    const o = 8 + i * entSize;
    const arch: FatArch = is64
      ? {
          cputype: v.getUint32(o, false),
          cpusubtype: v.getUint32(o + 4, false),
          offset: v.getUint32(o + 8, false) * TWO_POW_32 + v.getUint32(o + 12, false),
          size: v.getUint32(o + 16, false) * TWO_POW_32 + v.getUint32(o + 20, false),
          align: v.getUint32(o + 24, false),
        }
      : {
          cputype: v.getUint32(o, false),
          cpusubtype: v.getUint32(o + 4, false),
          offset: v.getUint32(o + 8, false),
          size: v.getUint32(o + 12, false),
          align: v.getUint32(o + 16, false),
        };
    if (arch.offset + arch.size > buf.length) {
      throw new MachOFormatError(
        `fat slice ${i} (offset ${arch.offset}, size ${arch.size}) extends past end of file (${buf.length})`,
        o,
      );
    }
    if (arch.size > 0 && arch.offset < 8 + n * entSize) {
      throw new MachOFormatError(`fat slice ${i} (offset ${arch.offset}) overlaps the fat header`, o);
    }
    out.push(arch);
  }
  // Slices may not share bytes (lipo never writes that; a slice read as
  // another's would be a different file).
  const byOffset = out.map((a, i) => ({ a, i })).sort((x, y) => x.a.offset - y.a.offset);
  for (let k = 1; k < byOffset.length; k++) {
    const p = byOffset[k - 1]!;
    const q = byOffset[k]!;
    if (p.a.size > 0 && q.a.size > 0 && p.a.offset + p.a.size > q.a.offset) {
      throw new MachOFormatError(`fat slices ${p.i} and ${q.i} overlap`, 8 + q.i * entSize);
    }
  }
  return out;
}
