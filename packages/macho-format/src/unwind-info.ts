/**
 * The `__TEXT,__unwind_info` section (Apple `mach-o/compact_unwind_encoding.h`,
 * "Compact unwind info"; what libunwind's `UnwindCursor` reads):
 *
 *   header (28 bytes): version 1, then (offset, count) of the common
 *     encodings array, of the personality array and of the first-level index
 *   common encodings: u32 each (at most 127; compressed entries index them)
 *   personalities: u32 image offsets of the GOT slots holding the routines
 *   first-level index: { functionOffset, secondLevelPagesSectionOffset,
 *     lsdaIndexArraySectionOffset } per page, then a sentinel whose function
 *     offset is the end of the last function and whose page offset is 0
 *   LSDA index: { functionOffset, lsdaOffset } sorted by function
 *   second-level pages: regular (kind 2: { functionOffset, encoding } pairs)
 *     or compressed (kind 3: u32 entries = 8-bit encoding index << 24 | 24-bit
 *     offset from the page's first function, then page-local encodings whose
 *     indices follow the common ones).
 *
 * All offsets of functions, LSDAs and personality slots are relative to the
 * image base (the mach header). The page plan depends only on the sequence of
 * encodings, never on addresses, so a linker can size the section before it
 * assigns addresses and fill it afterwards (`unwindInfoSize`, then
 * `encodeUnwindInfo` with the same encodings).
 */

export const UNWIND_SECTION_VERSION = 1;
export const UNWIND_SECOND_LEVEL_REGULAR = 2;
export const UNWIND_SECOND_LEVEL_COMPRESSED = 3;
export const UNWIND_IS_NOT_FUNCTION_START = 0x80000000;
export const UNWIND_HAS_LSDA = 0x40000000;
export const UNWIND_PERSONALITY_MASK = 0x30000000;
export const UNWIND_X86_64_MODE_MASK = 0x0f000000;
export const UNWIND_X86_64_MODE_RBP_FRAME = 0x01000000;
export const UNWIND_X86_64_MODE_STACK_IMMD = 0x02000000;
export const UNWIND_X86_64_MODE_STACK_IND = 0x03000000;
export const UNWIND_X86_64_MODE_DWARF = 0x04000000;
export const UNWIND_X86_64_DWARF_SECTION_OFFSET = 0x00ffffff;
export const UNWIND_ARM64_MODE_MASK = 0x0f000000;
export const UNWIND_ARM64_MODE_FRAMELESS = 0x02000000;
export const UNWIND_ARM64_MODE_DWARF = 0x03000000;
export const UNWIND_ARM64_MODE_FRAME = 0x04000000;
export const UNWIND_ARM64_DWARF_SECTION_OFFSET = 0x00ffffff;

/** Size of one `__LD,__compact_unwind` entry in a 64-bit object. */
export const COMPACT_UNWIND_ENTRY_SIZE = 32;

const HEADER_SIZE = 28;
const PAGE_SIZE = 4096;
const COMMON_ENCODINGS_MAX = 127;
const REGULAR_PAGE_ENTRIES = (PAGE_SIZE - 8) / 8;
const COMPRESSED_PAGE_BYTES = PAGE_SIZE - 12;

/** One (folded) entry of the unwind table. */
export interface UnwindInfoEntry {
  /** Image offset of the function start. */
  functionOffset: number;
  /** Full encoding, personality index and UNWIND_HAS_LSDA included. */
  encoding: number;
  /** Image offset of the LSDA, 0 when none. */
  lsdaOffset: number;
}

export interface UnwindInfoInput {
  /** Sorted by function offset. */
  entries: UnwindInfoEntry[];
  /** Image offsets of the personality GOT slots (at most 3). */
  personalities: number[];
  /** Image offset just past the last function (the sentinel). */
  end: number;
  /** Use regular pages only (e.g. when functions may lie 16 MiB apart). */
  regularOnly?: boolean;
}

/** One second-level page of the plan. */
export interface UnwindPagePlan {
  first: number;
  count: number;
  compressed: boolean;
  /** Page-local encodings (compressed pages). */
  local: number[];
}

export interface UnwindInfoPlan {
  common: number[];
  pages: UnwindPagePlan[];
  size: number;
}

/** Common encodings: those used more than once, most frequent first (ties: smaller first), at most 127. */
export function commonEncodings(encodings: readonly number[]): number[] {
  const freq = new Map<number, number>();
  for (const e of encodings) freq.set(e, (freq.get(e) ?? 0) + 1);
  return [...freq]
    .filter(([, n]) => n > 1)
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, COMMON_ENCODINGS_MAX)
    .map(([e]) => e >>> 0);
}

/**
 * Plans common encodings and pages for a sequence of encodings; address
 * independent. `lsdaCount` and `personalityCount` only add to the size.
 */
export function planUnwindInfo(
  encodings: readonly number[],
  personalityCount: number,
  lsdaCount: number,
  regularOnly = false,
): UnwindInfoPlan {
  const common = commonEncodings(encodings);
  const commonIdx = new Map(common.map((e, i) => [e, i]));
  const pages: UnwindPagePlan[] = [];
  let i = 0;
  const n = encodings.length;
  while (i < n) {
    if (regularOnly) {
      const count = Math.min(REGULAR_PAGE_ENTRIES, n - i);
      pages.push({ first: i, count, compressed: false, local: [] });
      i += count;
      continue;
    }
    const local: number[] = [];
    const localIdx = new Map<number, number>();
    let bytes = 0;
    let j = i;
    while (j < n) {
      const e = encodings[j]! >>> 0;
      const isNew = !commonIdx.has(e) && !localIdx.has(e);
      const cost = isNew ? 8 : 4;
      if (bytes + cost > COMPRESSED_PAGE_BYTES) break;
      if (isNew) {
        if (common.length + local.length >= 256) break;
        localIdx.set(e, local.length);
        local.push(e);
      }
      bytes += cost;
      j++;
    }
    pages.push({ first: i, count: j - i, compressed: true, local });
    i = j;
  }
  let size = HEADER_SIZE + 4 * common.length + 4 * personalityCount + 12 * (pages.length + 1) + 8 * lsdaCount;
  for (const p of pages) size += p.compressed ? 12 + 4 * p.count + 4 * p.local.length : 8 + 8 * p.count;
  return { common, pages, size };
}

/** The section size `encodeUnwindInfo` will produce for these encodings. */
export function unwindInfoSize(
  encodings: readonly number[],
  personalityCount: number,
  lsdaCount: number,
  regularOnly = false,
): number {
  return planUnwindInfo(encodings, personalityCount, lsdaCount, regularOnly).size;
}

/** Encodes the section. Throws if a compressed page spans 16 MiB or more. */
export function encodeUnwindInfo(input: UnwindInfoInput): Uint8Array {
  const { entries, personalities, end } = input;
  const encodings = entries.map((e) => e.encoding >>> 0);
  const lsdas = entries.filter((e) => e.lsdaOffset !== 0);
  const plan = planUnwindInfo(encodings, personalities.length, lsdas.length, input.regularOnly === true);
  const out = new Uint8Array(plan.size);
  const dv = new DataView(out.buffer);
  const commonOff = HEADER_SIZE;
  const persOff = commonOff + 4 * plan.common.length;
  const indexOff = persOff + 4 * personalities.length;
  const lsdaOff = indexOff + 12 * (plan.pages.length + 1);
  let pageOff = lsdaOff + 8 * lsdas.length;
  dv.setUint32(0, UNWIND_SECTION_VERSION, true);
  dv.setUint32(4, commonOff, true);
  dv.setUint32(8, plan.common.length, true);
  dv.setUint32(12, persOff, true);
  dv.setUint32(16, personalities.length, true);
  dv.setUint32(20, indexOff, true);
  dv.setUint32(24, plan.pages.length + 1, true);
  plan.common.forEach((e, i) => dv.setUint32(commonOff + 4 * i, e, true));
  personalities.forEach((p, i) => dv.setUint32(persOff + 4 * i, p, true));
  lsdas.forEach((e, i) => {
    dv.setUint32(lsdaOff + 8 * i, e.functionOffset, true);
    dv.setUint32(lsdaOff + 8 * i + 4, e.lsdaOffset, true);
  });
  const commonIdx = new Map(plan.common.map((e, i) => [e, i]));
  let lsdaCursor = 0;
  plan.pages.forEach((p, k) => {
    const firstFn = entries[p.first]!.functionOffset;
    while (lsdaCursor < lsdas.length && lsdas[lsdaCursor]!.functionOffset < firstFn) lsdaCursor++;
    dv.setUint32(indexOff + 12 * k, firstFn, true);
    dv.setUint32(indexOff + 12 * k + 4, pageOff, true);
    dv.setUint32(indexOff + 12 * k + 8, lsdaOff + 8 * lsdaCursor, true);
    if (p.compressed) {
      const entOff = 12;
      const encOff = entOff + 4 * p.count;
      dv.setUint32(pageOff, UNWIND_SECOND_LEVEL_COMPRESSED, true);
      dv.setUint16(pageOff + 4, entOff, true);
      dv.setUint16(pageOff + 6, p.count, true);
      dv.setUint16(pageOff + 8, encOff, true);
      dv.setUint16(pageOff + 10, p.local.length, true);
      const localIdx = new Map(p.local.map((e, i) => [e, i]));
      for (let i = 0; i < p.count; i++) {
        const e = entries[p.first + i]!;
        const delta = e.functionOffset - firstFn;
        if (delta < 0 || delta > 0xffffff)
          throw new Error(`unwind info: function offset delta 0x${delta.toString(16)} does not fit a compressed page`);
        const enc = e.encoding >>> 0;
        const idx = commonIdx.get(enc) ?? plan.common.length + localIdx.get(enc)!;
        dv.setUint32(pageOff + entOff + 4 * i, ((idx << 24) | delta) >>> 0, true);
      }
      p.local.forEach((e, i) => dv.setUint32(pageOff + encOff + 4 * i, e, true));
      pageOff += encOff + 4 * p.local.length;
    } else {
      dv.setUint32(pageOff, UNWIND_SECOND_LEVEL_REGULAR, true);
      dv.setUint16(pageOff + 4, 8, true);
      dv.setUint16(pageOff + 6, p.count, true);
      for (let i = 0; i < p.count; i++) {
        const e = entries[p.first + i]!;
        dv.setUint32(pageOff + 8 + 8 * i, e.functionOffset, true);
        dv.setUint32(pageOff + 12 + 8 * i, e.encoding >>> 0, true);
      }
      pageOff += 8 + 8 * p.count;
    }
  });
  const s = plan.pages.length;
  dv.setUint32(indexOff + 12 * s, end, true);
  dv.setUint32(indexOff + 12 * s + 4, 0, true);
  dv.setUint32(indexOff + 12 * s + 8, lsdaOff + 8 * lsdas.length, true);
  return out;
}

export interface DecodedUnwindInfo {
  commonEncodings: number[];
  personalities: number[];
  /** Function offset and full encoding of every second-level entry, in order. */
  entries: { functionOffset: number; encoding: number }[];
  lsdas: { functionOffset: number; lsdaOffset: number }[];
  /** The sentinel's function offset. */
  end: number;
  pageKinds: number[];
}

/** Decodes an `__unwind_info` section (for tests and diagnostics). */
export function decodeUnwindInfo(data: Uint8Array): DecodedUnwindInfo {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const u32 = (o: number): number => dv.getUint32(o, true);
  if (u32(0) !== UNWIND_SECTION_VERSION) throw new Error(`unwind info: version ${u32(0)}`);
  const commonEncodings: number[] = [];
  for (let i = 0; i < u32(8); i++) commonEncodings.push(u32(u32(4) + 4 * i));
  const personalities: number[] = [];
  for (let i = 0; i < u32(16); i++) personalities.push(u32(u32(12) + 4 * i));
  const indexOff = u32(20);
  const nIndex = u32(24);
  const entries: DecodedUnwindInfo["entries"] = [];
  const pageKinds: number[] = [];
  if (nIndex === 0) throw new Error("unwind info: no first-level index (sentinel missing)");
  for (let k = 0; k + 1 < nIndex; k++) {
    const base = u32(indexOff + 12 * k);
    const page = u32(indexOff + 12 * k + 4);
    const kind = u32(page);
    pageKinds.push(kind);
    const entOff = dv.getUint16(page + 4, true);
    const count = dv.getUint16(page + 6, true);
    if (kind === UNWIND_SECOND_LEVEL_REGULAR) {
      for (let i = 0; i < count; i++)
        entries.push({ functionOffset: u32(page + entOff + 8 * i), encoding: u32(page + entOff + 8 * i + 4) });
    } else if (kind === UNWIND_SECOND_LEVEL_COMPRESSED) {
      const encOff = dv.getUint16(page + 8, true);
      for (let i = 0; i < count; i++) {
        const w = u32(page + entOff + 4 * i);
        const idx = w >>> 24;
        const encoding =
          idx < commonEncodings.length
            ? commonEncodings[idx]!
            : u32(page + encOff + 4 * (idx - commonEncodings.length));
        entries.push({ functionOffset: base + (w & 0xffffff), encoding });
      }
    } else throw new Error(`unwind info: unknown second-level page kind ${kind}`);
  }
  const end = u32(indexOff + 12 * (nIndex - 1));
  const lsdaStart = u32(indexOff + 8);
  const lsdaEnd = u32(indexOff + 12 * (nIndex - 1) + 8);
  const lsdas: DecodedUnwindInfo["lsdas"] = [];
  for (let o = lsdaStart; o < lsdaEnd; o += 8) lsdas.push({ functionOffset: u32(o), lsdaOffset: u32(o + 4) });
  return { commonEncodings, personalities, entries, lsdas, end, pageKinds };
}
