/**
 * Chained fixups (LC_DYLD_CHAINED_FIXUPS), per Apple's `mach-o/fixup-chains.h`.
 *
 * Instead of opcode streams, each rebase/bind lives in the pointer slot
 * itself and the slots of a page form a chain. The __LINKEDIT payload starts
 * with `dyld_chained_fixups_header` (fixups_version, starts_offset,
 * imports_offset, symbols_offset, imports_count, imports_format,
 * symbols_format); `dyld_chained_starts_in_image` lists one offset per
 * segment (0 = no fixups) to a `dyld_chained_starts_in_segment` (size,
 * page_size, pointer_format, segment_offset, max_valid_pointer, page_count,
 * and a u16 page_start per page or DYLD_CHAINED_PTR_START_NONE).
 *
 * In the 64-bit userland formats (DYLD_CHAINED_PTR_64 / _64_OFFSET) bit 63
 * of a slot selects bind vs rebase and bits 51..62 are `next`, the distance
 * to the next fixup in 4-byte units (0 ends the chain). A rebase holds
 * target:36 (an unslid vmaddr for PTR_64, an offset from the mach header for
 * _64_OFFSET) and high8:8; a bind holds ordinal:24 (an index into the
 * imports) and addend:8. Imports are `dyld_chained_import` (lib_ordinal:8,
 * weak_import:1, name_offset:23), `_addend` (+ i32) or `_addend64`
 * (lib_ordinal:16, u64 addend); names are C strings at symbols_offset.
 *
 * Decoding walks the chains in the file bytes (arm64e formats are rejected).
 * Encoding lays the payload out as lld does, with the smallest import format
 * that fits, and `applyChainedFixups` writes the slot words into the image.
 */
import {
  DYLD_CHAINED_IMPORT,
  DYLD_CHAINED_IMPORT_ADDEND,
  DYLD_CHAINED_IMPORT_ADDEND64,
  DYLD_CHAINED_PTR_64,
  DYLD_CHAINED_PTR_64_OFFSET,
  DYLD_CHAINED_PTR_START_MULTI,
  DYLD_CHAINED_PTR_START_NONE,
} from "./constants.js";
import { MachOFormatError } from "./errors.js";
import { dataViewOf, readCString } from "./reader.js";

const encoder = new TextEncoder();

export interface ChainedFixupsHeader {
  fixupsVersion: number;
  startsOffset: number;
  importsOffset: number;
  symbolsOffset: number;
  importsCount: number;
  importsFormat: number;
  symbolsFormat: number;
}

export interface ChainedImport {
  /** Library ordinal; special values are negative (-1 main, -2 flat, -3 weak). */
  libOrdinal: number;
  weakImport: boolean;
  name: string;
  addend: number;
}

export interface ChainedStartsInSegment {
  segIndex: number;
  size: number;
  pageSize: number;
  pointerFormat: number;
  segmentOffset: number;
  maxValidPointer: number;
  pageStarts: number[];
}

export interface ChainedRebase {
  segIndex: number;
  segOffset: number;
  /** As stored: vmaddr (DYLD_CHAINED_PTR_64) or offset from the mach header (_64_OFFSET), without high8. */
  target: number;
  high8: number;
}

export interface ChainedBind {
  segIndex: number;
  segOffset: number;
  /** Index into `imports`. */
  importIndex: number;
  libOrdinal: number;
  symbol: string;
  weakImport: boolean;
  /** The import's addend plus the inline addend. */
  addend: number;
}

export interface ChainedFixups {
  header: ChainedFixupsHeader;
  imports: ChainedImport[];
  starts: ChainedStartsInSegment[];
  rebases: ChainedRebase[];
  binds: ChainedBind[];
}

const TWO_POW_32 = 0x100000000;

/**
 * Decodes the chained fixups of a file. `cmdOff` is the offset of the
 * LC_DYLD_CHAINED_FIXUPS load command in `buf`; `segments` are the file's
 * segments in load-command order (their fileoff/filesize locate the chains).
 */
export function decodeChainedFixups(
  buf: Uint8Array,
  cmdOff: number,
  segments: readonly { fileoff: number; filesize: number }[],
): ChainedFixups {
  const view = dataViewOf(buf);
  if (cmdOff + 16 > buf.length) throw new MachOFormatError("truncated LC_DYLD_CHAINED_FIXUPS", cmdOff);
  const dataoff = view.getUint32(cmdOff + 8, true);
  const datasize = view.getUint32(cmdOff + 12, true);
  const end = dataoff + datasize;
  if (end > buf.length || datasize < 28) {
    throw new MachOFormatError(
      `chained fixups data (offset ${dataoff}, size ${datasize}) outside file or too small`,
      cmdOff,
    );
  }
  const u32 = (o: number): number => {
    if (o + 4 > end) throw new MachOFormatError("chained fixups structure runs past its data", o);
    return view.getUint32(o, true);
  };
  const u16 = (o: number): number => {
    if (o + 2 > end) throw new MachOFormatError("chained fixups structure runs past its data", o);
    return view.getUint16(o, true);
  };
  const header: ChainedFixupsHeader = {
    fixupsVersion: u32(dataoff),
    startsOffset: u32(dataoff + 4),
    importsOffset: u32(dataoff + 8),
    symbolsOffset: u32(dataoff + 12),
    importsCount: u32(dataoff + 16),
    importsFormat: u32(dataoff + 20),
    symbolsFormat: u32(dataoff + 24),
  };
  if (header.fixupsVersion !== 0)
    throw new MachOFormatError(`unknown chained fixups version ${header.fixupsVersion}`, dataoff);
  if (header.symbolsFormat !== 0)
    throw new MachOFormatError("compressed chained fixup symbols are not supported", dataoff + 24);

  // Imports.
  const imports: ChainedImport[] = [];
  const symBase = dataoff + header.symbolsOffset;
  const name = (nameOff: number, at: number): string => {
    if (symBase + nameOff >= end) throw new MachOFormatError(`chained import name offset ${nameOff} out of range`, at);
    return readCString(buf, symBase + nameOff, end);
  };
  let ip = dataoff + header.importsOffset;
  for (let i = 0; i < header.importsCount; i++) {
    const at = ip;
    if (header.importsFormat === DYLD_CHAINED_IMPORT || header.importsFormat === DYLD_CHAINED_IMPORT_ADDEND) {
      const w = u32(ip);
      let lib = w & 0xff;
      if (lib > 0xf0) lib -= 0x100;
      let addend = 0;
      ip += 4;
      if (header.importsFormat === DYLD_CHAINED_IMPORT_ADDEND) {
        u32(ip);
        addend = view.getInt32(ip, true);
        ip += 4;
      }
      imports.push({ libOrdinal: lib, weakImport: (w & 0x100) !== 0, name: name(w >>> 9, at), addend });
    } else if (header.importsFormat === DYLD_CHAINED_IMPORT_ADDEND64) {
      const lo = u32(ip);
      const hi = u32(ip + 4);
      let lib = lo & 0xffff;
      if (lib > 0xfff0) lib -= 0x10000;
      const aLo = u32(ip + 8);
      const aHi = view.getInt32(ip + 12, true);
      ip += 16;
      imports.push({
        libOrdinal: lib,
        weakImport: (lo & 0x10000) !== 0,
        name: name(hi, at),
        addend: aHi * TWO_POW_32 + aLo,
      });
    } else {
      throw new MachOFormatError(`unknown chained imports format ${header.importsFormat}`, dataoff + 20);
    }
  }

  // Starts and chains.
  const starts: ChainedStartsInSegment[] = [];
  const rebases: ChainedRebase[] = [];
  const binds: ChainedBind[] = [];
  const imageStarts = dataoff + header.startsOffset;
  const segCount = u32(imageStarts);
  for (let s = 0; s < segCount; s++) {
    const segInfoOff = u32(imageStarts + 4 + s * 4);
    if (segInfoOff === 0) continue;
    const so = imageStarts + segInfoOff;
    const pageCount = u16(so + 20);
    const info: ChainedStartsInSegment = {
      segIndex: s,
      size: u32(so),
      pageSize: u16(so + 4),
      pointerFormat: u16(so + 6),
      segmentOffset: u32(so + 8) + u32(so + 12) * TWO_POW_32,
      maxValidPointer: u32(so + 16),
      pageStarts: [],
    };
    for (let p = 0; p < pageCount; p++) info.pageStarts.push(u16(so + 22 + p * 2));
    starts.push(info);
    const seg = segments[s];
    if (seg === undefined)
      throw new MachOFormatError(`chained starts for segment ${s}, but the file has ${segments.length} segments`, so);
    if (info.pointerFormat !== DYLD_CHAINED_PTR_64 && info.pointerFormat !== DYLD_CHAINED_PTR_64_OFFSET) {
      throw new MachOFormatError(`unsupported chained pointer format ${info.pointerFormat} in segment ${s}`, so + 6);
    }
    const segEnd = Math.min(seg.fileoff + seg.filesize, buf.length);
    for (let p = 0; p < pageCount; p++) {
      const start = info.pageStarts[p]!;
      if (start === DYLD_CHAINED_PTR_START_NONE) continue;
      if ((start & DYLD_CHAINED_PTR_START_MULTI) !== 0) {
        throw new MachOFormatError(
          `multiple chain starts per page are not supported (segment ${s}, page ${p})`,
          so + 22 + p * 2,
        );
      }
      let segOffset = p * info.pageSize + start;
      for (;;) {
        const fo = seg.fileoff + segOffset;
        if (fo + 8 > segEnd)
          throw new MachOFormatError(
            `chained fixup at segment ${s} offset 0x${segOffset.toString(16)} outside segment data`,
            fo,
          );
        const lo = view.getUint32(fo, true);
        const hi = view.getUint32(fo + 4, true);
        const next = (hi >>> 19) & 0xfff;
        if ((hi & 0x80000000) !== 0) {
          const importIndex = lo & 0xffffff;
          const imp = imports[importIndex];
          if (imp === undefined) {
            throw new MachOFormatError(`chained bind to import ${importIndex}, but there are ${imports.length}`, fo);
          }
          binds.push({
            segIndex: s,
            segOffset,
            importIndex,
            libOrdinal: imp.libOrdinal,
            symbol: imp.name,
            weakImport: imp.weakImport,
            addend: imp.addend + (lo >>> 24),
          });
        } else {
          rebases.push({ segIndex: s, segOffset, target: (hi & 0xf) * TWO_POW_32 + lo, high8: (hi >>> 4) & 0xff });
        }
        if (next === 0) break;
        segOffset += next * 4;
      }
    }
  }
  return { header, imports, starts, rebases, binds };
}

// ---------------------------------------------------------------------------
// Encoding

export interface ChainedFixupsInput {
  /** DYLD_CHAINED_PTR_64 (rebase targets are vmaddrs) or DYLD_CHAINED_PTR_64_OFFSET (offsets from the header). */
  pointerFormat: number;
  /** 0x1000 for x86_64, 0x4000 for arm64. */
  pageSize: number;
  /** vmaddr of the mach header (the __TEXT segment): segment_offset = vmaddr - imageBase. */
  imageBase: number;
  /** All segments, in load-command order. */
  segments: readonly { vmaddr: number; vmsize: number; fileoff: number }[];
  imports: readonly { libOrdinal: number; weakImport: boolean; name: string; addend: number }[];
  /** `target` as stored (see ChainedRebase), high8 the top byte (default 0). */
  rebases: readonly { segIndex: number; segOffset: number; target: number; high8?: number }[];
  /** `addend` is the inline addend, 0..255; larger addends belong in the import. */
  binds: readonly { segIndex: number; segOffset: number; importIndex: number; addend?: number }[];
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** Chooses the smallest import format able to hold every import. */
function importsFormatFor(imports: ChainedFixupsInput["imports"], namesSize: number): number {
  let anyAddend = false;
  let wide = namesSize > 0x7fffff;
  for (const imp of imports) {
    if (imp.addend !== 0) anyAddend = true;
    if (imp.addend < -0x80000000 || imp.addend > 0x7fffffff) wide = true;
    if (imp.libOrdinal > 0xf0 || imp.libOrdinal < -15) wide = true;
  }
  if (wide) return DYLD_CHAINED_IMPORT_ADDEND64;
  return anyAddend ? DYLD_CHAINED_IMPORT_ADDEND : DYLD_CHAINED_IMPORT;
}

/** One segment's `dyld_chained_starts_in_segment` page starts (DYLD_CHAINED_PTR_START_NONE for a page without fixups). */
export interface ChainedSegmentStarts {
  segIndex: number;
  pageCount: number;
  pageStarts: Uint16Array;
}

function planStarts(input: ChainedFixupsInput): ChainedSegmentStarts[] {
  const bySeg = new Map<number, number[]>();
  const add = (segIndex: number, segOffset: number): void => {
    const seg = input.segments[segIndex];
    if (seg === undefined)
      throw new RangeError(`chained fixup in segment ${segIndex}, but there are ${input.segments.length}`);
    if (segOffset % 4 !== 0)
      throw new RangeError(
        `chained fixup at segment ${segIndex} offset 0x${segOffset.toString(16)} is not 4-byte aligned`,
      );
    if (segOffset < 0 || segOffset + 8 > seg.vmsize)
      throw new RangeError(
        `chained fixup at segment ${segIndex} offset 0x${segOffset.toString(16)} is outside the segment`,
      );
    if (Math.floor(segOffset / input.pageSize) !== Math.floor((segOffset + 7) / input.pageSize)) {
      throw new RangeError(
        `chained fixup at segment ${segIndex} offset 0x${segOffset.toString(16)} straddles a page boundary`,
      );
    }
    let l = bySeg.get(segIndex);
    if (l === undefined) bySeg.set(segIndex, (l = []));
    l.push(segOffset);
  };
  for (const r of input.rebases) add(r.segIndex, r.segOffset);
  for (const b of input.binds) add(b.segIndex, b.segOffset);
  const plans: ChainedSegmentStarts[] = [];
  for (const segIndex of [...bySeg.keys()].sort((a, b) => a - b)) {
    const offs = bySeg.get(segIndex)!.sort((a, b) => a - b);
    const pageCount = Math.ceil(input.segments[segIndex]!.vmsize / input.pageSize);
    const pageStarts = new Uint16Array(pageCount).fill(DYLD_CHAINED_PTR_START_NONE);
    for (let i = 0; i < offs.length; i++) {
      const o = offs[i]!;
      if (i > 0 && o - offs[i - 1]! < 8)
        throw new RangeError(`overlapping chained fixups at segment ${segIndex} offset 0x${o.toString(16)}`);
      const page = Math.floor(o / input.pageSize);
      if (pageStarts[page] === DYLD_CHAINED_PTR_START_NONE) pageStarts[page] = o - page * input.pageSize;
    }
    plans.push({ segIndex, pageCount, pageStarts });
  }
  return plans;
}

/**
 * Encodes the LC_DYLD_CHAINED_FIXUPS payload (zero-padded to 8 bytes).
 * Segments without fixups get no starts; pages without fixups get
 * DYLD_CHAINED_PTR_START_NONE.
 */
export function encodeChainedFixups(input: ChainedFixupsInput): Uint8Array {
  if (input.pointerFormat !== DYLD_CHAINED_PTR_64 && input.pointerFormat !== DYLD_CHAINED_PTR_64_OFFSET) {
    throw new RangeError(`unsupported chained pointer format ${input.pointerFormat}`);
  }
  return encodeChainedPayload(input, planStarts(input));
}

/**
 * `encodeChainedFixups` with the page starts already planned (a linker that
 * keeps its fixups in columns plans them itself): the payload for `input`'s
 * format, segments and imports, with `plans` (ascending `segIndex`) as the
 * per-segment starts. Throws RangeError for an unsupported pointer format.
 */
export function encodeChainedPayload(
  input: Omit<ChainedFixupsInput, "rebases" | "binds">,
  plans: readonly ChainedSegmentStarts[],
): Uint8Array {
  if (input.pointerFormat !== DYLD_CHAINED_PTR_64 && input.pointerFormat !== DYLD_CHAINED_PTR_64_OFFSET) {
    throw new RangeError(`unsupported chained pointer format ${input.pointerFormat}`);
  }
  const names = input.imports.map((i) => encoder.encode(i.name));
  let namesSize = 0;
  for (const n of names) namesSize += n.length + 1;
  const importsFormat = importsFormatFor(input.imports, namesSize);
  const importSize = importsFormat === DYLD_CHAINED_IMPORT ? 4 : importsFormat === DYLD_CHAINED_IMPORT_ADDEND ? 8 : 16;

  const segCount = input.segments.length;
  const startsOffset = 32; // header (28) aligned to 8
  let p = align(4 + 4 * segCount, 8);
  const segInfoOffsets = new Array<number>(segCount).fill(0);
  for (const plan of plans) {
    segInfoOffsets[plan.segIndex] = p;
    p = align(p + 22 + 2 * plan.pageCount, 8);
  }
  const importsOffset = align(startsOffset + p, importsFormat === DYLD_CHAINED_IMPORT_ADDEND64 ? 8 : 4);
  const symbolsOffset = importsOffset + importSize * input.imports.length;
  const total = align(symbolsOffset + namesSize, 8);

  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0, true);
  v.setUint32(4, startsOffset, true);
  v.setUint32(8, importsOffset, true);
  v.setUint32(12, symbolsOffset, true);
  v.setUint32(16, input.imports.length, true);
  v.setUint32(20, importsFormat, true);
  v.setUint32(24, 0, true);
  v.setUint32(startsOffset, segCount, true);
  for (let s = 0; s < segCount; s++) v.setUint32(startsOffset + 4 + 4 * s, segInfoOffsets[s]!, true);
  for (const plan of plans) {
    const o = startsOffset + segInfoOffsets[plan.segIndex]!;
    const seg = input.segments[plan.segIndex]!;
    const segmentOffset = seg.vmaddr - input.imageBase;
    v.setUint32(o, 22 + 2 * plan.pageCount, true);
    v.setUint16(o + 4, input.pageSize, true);
    v.setUint16(o + 6, input.pointerFormat, true);
    v.setUint32(o + 8, segmentOffset % TWO_POW_32, true);
    v.setUint32(o + 12, Math.floor(segmentOffset / TWO_POW_32), true);
    v.setUint32(o + 16, 0, true);
    v.setUint16(o + 20, plan.pageCount, true);
    for (let i = 0; i < plan.pageCount; i++) v.setUint16(o + 22 + 2 * i, plan.pageStarts[i]!, true);
  }
  let nameOff = 0;
  for (let i = 0; i < input.imports.length; i++) {
    const imp = input.imports[i]!;
    const o = importsOffset + i * importSize;
    if (importsFormat === DYLD_CHAINED_IMPORT_ADDEND64) {
      v.setUint32(o, (imp.libOrdinal & 0xffff) | (imp.weakImport ? 0x10000 : 0), true);
      v.setUint32(o + 4, nameOff, true);
      const hi = Math.floor(imp.addend / TWO_POW_32);
      v.setUint32(o + 8, imp.addend - hi * TWO_POW_32, true);
      v.setInt32(o + 12, hi, true);
    } else {
      v.setUint32(o, ((imp.libOrdinal & 0xff) | (imp.weakImport ? 0x100 : 0) | (nameOff << 9)) >>> 0, true);
      if (importsFormat === DYLD_CHAINED_IMPORT_ADDEND) v.setInt32(o + 4, imp.addend, true);
    }
    out.set(names[i]!, symbolsOffset + nameOff);
    nameOff += names[i]!.length + 1;
  }
  return out;
}

/**
 * Writes the chained words for `input` into the output image `file` (at
 * each segment's fileoff + segOffset), overwriting those pointer slots.
 */
export function applyChainedFixups(file: Uint8Array, input: ChainedFixupsInput): void {
  interface Slot {
    segIndex: number;
    segOffset: number;
    lo: number;
    hi: number;
  }
  const slots: Slot[] = [];
  for (const r of input.rebases) {
    const high8 = r.high8 ?? 0;
    if (r.target < 0 || r.target >= 2 ** 36)
      throw new RangeError(`chained rebase target 0x${r.target.toString(16)} does not fit 36 bits`);
    if (high8 < 0 || high8 > 0xff) throw new RangeError(`chained rebase high8 ${high8} out of range`);
    const tHi = Math.floor(r.target / TWO_POW_32);
    slots.push({
      segIndex: r.segIndex,
      segOffset: r.segOffset,
      lo: r.target - tHi * TWO_POW_32,
      hi: tHi | (high8 << 4),
    });
  }
  for (const b of input.binds) {
    const addend = b.addend ?? 0;
    if (b.importIndex < 0 || b.importIndex >= input.imports.length || b.importIndex > 0xffffff) {
      throw new RangeError(`chained bind import index ${b.importIndex} out of range`);
    }
    if (addend < 0 || addend > 0xff) throw new RangeError(`chained bind inline addend ${addend} out of range 0..255`);
    slots.push({
      segIndex: b.segIndex,
      segOffset: b.segOffset,
      lo: (b.importIndex | (addend << 24)) >>> 0,
      hi: 0x80000000,
    });
  }
  slots.sort((a, b) => a.segIndex - b.segIndex || a.segOffset - b.segOffset);
  const n = slots.length;
  const cols: ChainedSlots = {
    count: n,
    segIndex: new Int32Array(n),
    segOffset: new Float64Array(n),
    lo: new Uint32Array(n),
    hi: new Uint32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const s = slots[i]!;
    cols.segIndex[i] = s.segIndex;
    cols.segOffset[i] = s.segOffset;
    cols.lo[i] = s.lo;
    cols.hi[i] = s.hi;
  }
  writeChainedSlots(file, input.segments, input.pageSize, cols);
}

/**
 * Fixup slots in columns, sorted by (segment, offset), each with its slot
 * word's low and high 32 bits before `next` (a rebase: target and high8 <<
 * 4; a bind: import index | inline addend << 24, and bit 63).
 */
export interface ChainedSlots {
  count: number;
  segIndex: Int32Array;
  segOffset: Float64Array;
  lo: Uint32Array;
  hi: Uint32Array;
}

/**
 * Writes each slot of `slots` into the image `file` (at its segment's
 * fileoff + segOffset) with `next` chaining it to the following slot of the
 * same page. Throws RangeError when two slots of a page are too far apart
 * for the 12-bit `next` or a slot lies past the end of `file`.
 */
export function writeChainedSlots(
  file: Uint8Array,
  segments: readonly { fileoff: number }[],
  pageSize: number,
  slots: ChainedSlots,
): void {
  const view = dataViewOf(file);
  const { count, segIndex, segOffset, lo, hi } = slots;
  for (let i = 0; i < count; i++) {
    const si = segIndex[i]!;
    const so = segOffset[i]!;
    let next = 0;
    if (
      i + 1 < count &&
      segIndex[i + 1] === si &&
      Math.floor(segOffset[i + 1]! / pageSize) === Math.floor(so / pageSize)
    ) {
      next = (segOffset[i + 1]! - so) / 4;
      if (next > 0xfff)
        throw new RangeError(
          `chained fixups 0x${(next * 4).toString(16)} bytes apart do not fit the 12-bit next field`,
        );
    }
    const seg = segments[si];
    if (seg === undefined) throw new RangeError(`chained fixup in segment ${si}, but there are ${segments.length}`);
    const fo = seg.fileoff + so;
    if (fo + 8 > file.length)
      throw new RangeError(`chained fixup at file offset 0x${fo.toString(16)} is past the end of the image`);
    view.setUint32(fo, lo[i]!, true);
    view.setUint32(fo + 4, (hi[i]! | (next << 19)) >>> 0, true);
  }
}
