/**
 * Writing Mach-O headers, load commands and table entries.
 *
 * The layouts are those of Apple's `mach-o/loader.h` (mach_header_64,
 * segment_command_64 + section_64, symtab/dysymtab_command,
 * dyld_info_command, linkedit_data_command, entry_point_command,
 * uuid_command, source_version_command, build_version_command +
 * build_tool_version, dylib/dylinker/rpath commands with their `lc_str`
 * strings, linker_option_command), `mach-o/nlist.h` (nlist_64) and
 * `mach-o/reloc.h` (relocation_info). All little-endian, 64-bit.
 *
 * The linker sizes everything first and allocates the output once, so every
 * function here writes into a caller-provided DataView (or Uint8Array) at an
 * offset and returns the end offset; nothing grows a buffer. The `...Size`
 * helpers give the cmdsize a command will have. Commands that carry strings
 * place them right after the fixed part, NUL-terminate them and zero the
 * padding up to a multiple of 8 (loader.h requires 64-bit load commands to
 * be 8-byte multiples), so the output does not depend on what the buffer held.
 * Strings in `lc_str` fields are UTF-8; 16-byte segment/section names are
 * latin1 and may fill all 16 bytes without a terminator.
 */
import {
  LC_BUILD_VERSION,
  LC_DYSYMTAB,
  LC_LINKER_OPTION,
  LC_MAIN,
  LC_RPATH,
  LC_SEGMENT_64,
  LC_SOURCE_VERSION,
  LC_SYMTAB,
  LC_UUID,
  MACH_HEADER_64_SIZE,
  SECTION_64_SIZE,
  SEGMENT_COMMAND_64_SIZE,
} from "./constants.js";
import type {
  BuildVersion,
  DyldInfo,
  DysymtabCommand,
  MachHeader,
  Section64,
  Segment64,
  SymtabCommand,
} from "./reader.js";

const TWO_POW_32 = 0x100000000;
const encoder = new TextEncoder();

let cachedView: DataView | undefined;
let cachedBytes: Uint8Array | undefined;

function bytesOf(view: DataView): Uint8Array {
  if (view === cachedView && cachedBytes !== undefined) return cachedBytes;
  cachedBytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  cachedView = view;
  return cachedBytes;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Writes a little-endian u64 from a number (|v| < 2^53; negatives as two's complement). */
export function writeU64(view: DataView, off: number, v: number): void {
  const hi = Math.floor(v / TWO_POW_32);
  view.setUint32(off, v - hi * TWO_POW_32, true);
  view.setUint32(off + 4, hi >>> 0, true);
}

/**
 * Writes `s` into a fixed `width`-byte field (segment and section names):
 * latin1, zero-filled, no terminator when it fills the field. Returns off + width.
 */
export function writeFixedString(buf: Uint8Array, off: number, s: string, width: number): number {
  if (s.length > width) throw new RangeError(`name "${s}" is longer than ${width} bytes`);
  for (let i = 0; i < width; i++) {
    if (i < s.length) {
      const c = s.charCodeAt(i);
      if (c > 0xff) throw new RangeError(`name "${s}" is not latin1`);
      buf[off + i] = c;
    } else {
      buf[off + i] = 0;
    }
  }
  return off + width;
}

/** Writes `bytes`, a NUL and zeros up to `end`. */
function writeStringPadded(buf: Uint8Array, off: number, bytes: Uint8Array, end: number): void {
  buf.set(bytes, off);
  buf.fill(0, off + bytes.length, end);
}

// ---------------------------------------------------------------------------
// Header and segments

export function writeMachHeader(view: DataView, off: number, h: MachHeader & { reserved?: number }): number {
  view.setUint32(off, h.magic, true);
  view.setUint32(off + 4, h.cputype, true);
  view.setUint32(off + 8, h.cpusubtype, true);
  view.setUint32(off + 12, h.filetype, true);
  view.setUint32(off + 16, h.ncmds, true);
  view.setUint32(off + 20, h.sizeofcmds, true);
  view.setUint32(off + 24, h.flags, true);
  view.setUint32(off + 28, h.reserved ?? 0, true);
  return off + MACH_HEADER_64_SIZE;
}

/** cmdsize of an LC_SEGMENT_64 with `nsects` sections. */
export function segmentCommandSize(nsects: number): number {
  return SEGMENT_COMMAND_64_SIZE + nsects * SECTION_64_SIZE;
}

/** Writes one section_64 header (`index` is not stored). */
export function writeSection64(view: DataView, off: number, s: Section64): number {
  const b = bytesOf(view);
  writeFixedString(b, off, s.sectname, 16);
  writeFixedString(b, off + 16, s.segname, 16);
  writeU64(view, off + 32, s.addr);
  writeU64(view, off + 40, s.size);
  view.setUint32(off + 48, s.offset, true);
  view.setUint32(off + 52, s.align, true);
  view.setUint32(off + 56, s.reloff, true);
  view.setUint32(off + 60, s.nreloc, true);
  view.setUint32(off + 64, s.flags, true);
  view.setUint32(off + 68, s.reserved1, true);
  view.setUint32(off + 72, s.reserved2, true);
  view.setUint32(off + 76, s.reserved3, true);
  return off + SECTION_64_SIZE;
}

/** Writes an LC_SEGMENT_64 and its section headers; nsects and cmdsize come from `seg.sections`. */
export function writeSegment64(view: DataView, off: number, seg: Segment64): number {
  const nsects = seg.sections.length;
  view.setUint32(off, LC_SEGMENT_64, true);
  view.setUint32(off + 4, segmentCommandSize(nsects), true);
  writeFixedString(bytesOf(view), off + 8, seg.segname, 16);
  writeU64(view, off + 24, seg.vmaddr);
  writeU64(view, off + 32, seg.vmsize);
  writeU64(view, off + 40, seg.fileoff);
  writeU64(view, off + 48, seg.filesize);
  view.setUint32(off + 56, seg.maxprot, true);
  view.setUint32(off + 60, seg.initprot, true);
  view.setUint32(off + 64, nsects, true);
  view.setUint32(off + 68, seg.flags, true);
  let p = off + SEGMENT_COMMAND_64_SIZE;
  for (const s of seg.sections) p = writeSection64(view, p, s);
  return p;
}

// ---------------------------------------------------------------------------
// Fixed-size commands

export function writeSymtabCommand(view: DataView, off: number, st: SymtabCommand): number {
  view.setUint32(off, LC_SYMTAB, true);
  view.setUint32(off + 4, 24, true);
  view.setUint32(off + 8, st.symoff, true);
  view.setUint32(off + 12, st.nsyms, true);
  view.setUint32(off + 16, st.stroff, true);
  view.setUint32(off + 20, st.strsize, true);
  return off + 24;
}

export function writeDysymtabCommand(view: DataView, off: number, d: DysymtabCommand): number {
  view.setUint32(off, LC_DYSYMTAB, true);
  view.setUint32(off + 4, 80, true);
  const fields = [
    d.ilocalsym,
    d.nlocalsym,
    d.iextdefsym,
    d.nextdefsym,
    d.iundefsym,
    d.nundefsym,
    d.tocoff,
    d.ntoc,
    d.modtaboff,
    d.nmodtab,
    d.extrefsymoff,
    d.nextrefsyms,
    d.indirectsymoff,
    d.nindirectsyms,
    d.extreloff,
    d.nextrel,
    d.locreloff,
    d.nlocrel,
  ];
  for (let i = 0; i < 18; i++) view.setUint32(off + 8 + i * 4, fields[i]!, true);
  return off + 80;
}

/** LC_DYLD_INFO or LC_DYLD_INFO_ONLY (`cmd`). */
export function writeDyldInfoCommand(view: DataView, off: number, cmd: number, info: DyldInfo): number {
  view.setUint32(off, cmd, true);
  view.setUint32(off + 4, 48, true);
  view.setUint32(off + 8, info.rebaseOff, true);
  view.setUint32(off + 12, info.rebaseSize, true);
  view.setUint32(off + 16, info.bindOff, true);
  view.setUint32(off + 20, info.bindSize, true);
  view.setUint32(off + 24, info.weakBindOff, true);
  view.setUint32(off + 28, info.weakBindSize, true);
  view.setUint32(off + 32, info.lazyBindOff, true);
  view.setUint32(off + 36, info.lazyBindSize, true);
  view.setUint32(off + 40, info.exportOff, true);
  view.setUint32(off + 44, info.exportSize, true);
  return off + 48;
}

/** linkedit_data_command: LC_FUNCTION_STARTS, LC_DATA_IN_CODE, LC_CODE_SIGNATURE, LC_DYLD_EXPORTS_TRIE, LC_DYLD_CHAINED_FIXUPS, ... */
export function writeLinkeditDataCommand(
  view: DataView,
  off: number,
  cmd: number,
  dataoff: number,
  datasize: number,
): number {
  view.setUint32(off, cmd, true);
  view.setUint32(off + 4, 16, true);
  view.setUint32(off + 8, dataoff, true);
  view.setUint32(off + 12, datasize, true);
  return off + 16;
}

/** LC_MAIN: entryoff is the file offset of main() (its offset from the mach header). */
export function writeEntryPoint(view: DataView, off: number, entryoff: number, stacksize = 0): number {
  view.setUint32(off, LC_MAIN, true);
  view.setUint32(off + 4, 24, true);
  writeU64(view, off + 8, entryoff);
  writeU64(view, off + 16, stacksize);
  return off + 24;
}

export function writeUuidCommand(view: DataView, off: number, uuid: Uint8Array): number {
  if (uuid.length !== 16) throw new RangeError(`UUID must be 16 bytes, got ${uuid.length}`);
  view.setUint32(off, LC_UUID, true);
  view.setUint32(off + 4, 24, true);
  bytesOf(view).set(uuid, off + 8);
  return off + 24;
}

/** LC_SOURCE_VERSION; `version` is the packed A.B.C.D.E value (see packSourceVersion). */
export function writeSourceVersion(view: DataView, off: number, version: bigint | number): number {
  view.setUint32(off, LC_SOURCE_VERSION, true);
  view.setUint32(off + 4, 16, true);
  view.setBigUint64(off + 8, typeof version === "bigint" ? version : BigInt(version), true);
  return off + 16;
}

/** LC_VERSION_MIN_MACOSX / _IPHONEOS / _TVOS / _WATCHOS (`cmd`). */
export function writeVersionMin(view: DataView, off: number, cmd: number, version: number, sdk: number): number {
  view.setUint32(off, cmd, true);
  view.setUint32(off + 4, 16, true);
  view.setUint32(off + 8, version, true);
  view.setUint32(off + 12, sdk, true);
  return off + 16;
}

export function buildVersionCommandSize(ntools: number): number {
  return 24 + ntools * 8;
}

export function writeBuildVersion(view: DataView, off: number, bv: BuildVersion): number {
  const n = bv.tools.length;
  view.setUint32(off, LC_BUILD_VERSION, true);
  view.setUint32(off + 4, buildVersionCommandSize(n), true);
  view.setUint32(off + 8, bv.platform, true);
  view.setUint32(off + 12, bv.minos, true);
  view.setUint32(off + 16, bv.sdk, true);
  view.setUint32(off + 20, n, true);
  let p = off + 24;
  for (const t of bv.tools) {
    view.setUint32(p, t.tool, true);
    view.setUint32(p + 4, t.version, true);
    p += 8;
  }
  return p;
}

// ---------------------------------------------------------------------------
// Commands with strings

/** cmdsize of a dylib_command naming `name`: 24 + UTF-8 bytes + NUL, rounded up to 8. */
export function dylibCommandSize(name: string): number {
  return align8(24 + encoder.encode(name).length + 1);
}

/** LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB, LC_LOAD_UPWARD_DYLIB, LC_LAZY_LOAD_DYLIB, LC_ID_DYLIB (`cmd`). */
export function writeDylibCommand(
  view: DataView,
  off: number,
  cmd: number,
  name: string,
  currentVersion: number,
  compatibilityVersion: number,
  timestamp = 2,
): number {
  const bytes = encoder.encode(name);
  const size = align8(24 + bytes.length + 1);
  view.setUint32(off, cmd, true);
  view.setUint32(off + 4, size, true);
  view.setUint32(off + 8, 24, true);
  view.setUint32(off + 12, timestamp, true);
  view.setUint32(off + 16, currentVersion, true);
  view.setUint32(off + 20, compatibilityVersion, true);
  writeStringPadded(bytesOf(view), off + 24, bytes, off + size);
  return off + size;
}

/** cmdsize of a dylinker_command (LC_LOAD_DYLINKER, LC_ID_DYLINKER, LC_DYLD_ENVIRONMENT). */
export function dylinkerCommandSize(name: string): number {
  return align8(12 + encoder.encode(name).length + 1);
}

export function writeDylinkerCommand(view: DataView, off: number, cmd: number, name: string): number {
  const bytes = encoder.encode(name);
  const size = align8(12 + bytes.length + 1);
  view.setUint32(off, cmd, true);
  view.setUint32(off + 4, size, true);
  view.setUint32(off + 8, 12, true);
  writeStringPadded(bytesOf(view), off + 12, bytes, off + size);
  return off + size;
}

export function rpathCommandSize(path: string): number {
  return align8(12 + encoder.encode(path).length + 1);
}

export function writeRpathCommand(view: DataView, off: number, path: string): number {
  const bytes = encoder.encode(path);
  const size = align8(12 + bytes.length + 1);
  view.setUint32(off, LC_RPATH, true);
  view.setUint32(off + 4, size, true);
  view.setUint32(off + 8, 12, true);
  writeStringPadded(bytesOf(view), off + 12, bytes, off + size);
  return off + size;
}

/** cmdsize of an LC_LINKER_OPTION carrying `options` (each NUL-terminated). */
export function linkerOptionCommandSize(options: readonly string[]): number {
  let n = 12;
  for (const o of options) n += encoder.encode(o).length + 1;
  return align8(n);
}

export function writeLinkerOptionCommand(view: DataView, off: number, options: readonly string[]): number {
  const size = linkerOptionCommandSize(options);
  view.setUint32(off, LC_LINKER_OPTION, true);
  view.setUint32(off + 4, size, true);
  view.setUint32(off + 8, options.length, true);
  const b = bytesOf(view);
  let p = off + 12;
  for (const o of options) {
    const bytes = encoder.encode(o);
    b.set(bytes, p);
    p += bytes.length;
    b[p++] = 0;
  }
  b.fill(0, p, off + size);
  return off + size;
}

// ---------------------------------------------------------------------------
// Table entries

/** Writes one nlist_64 (16 bytes). */
export function writeNlist(
  view: DataView,
  off: number,
  strx: number,
  type: number,
  sect: number,
  desc: number,
  value: number,
): number {
  view.setUint32(off, strx, true);
  view.setUint8(off + 4, type);
  view.setUint8(off + 5, sect);
  view.setUint16(off + 6, desc, true);
  writeU64(view, off + 8, value);
  return off + 16;
}

/** Packs relocation_info's second word. */
export function relocInfoPack(
  symbolnum: number,
  pcrel: boolean,
  length: number,
  extern: boolean,
  type: number,
): number {
  return (
    ((symbolnum & 0xffffff) |
      (pcrel ? 0x1000000 : 0) |
      ((length & 3) << 25) |
      (extern ? 0x8000000 : 0) |
      ((type & 0xf) << 28)) >>>
    0
  );
}

/** Writes one relocation_info (8 bytes). */
export function writeRelocationInfo(
  view: DataView,
  off: number,
  address: number,
  symbolnum: number,
  pcrel: boolean,
  length: number,
  extern: boolean,
  type: number,
): number {
  view.setInt32(off, address, true);
  view.setUint32(off + 4, relocInfoPack(symbolnum, pcrel, length, extern, type), true);
  return off + 8;
}
