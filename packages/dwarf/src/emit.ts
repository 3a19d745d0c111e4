/**
 * The DWARF stage: merges every object's `__DWARF` sections into the
 * `__DWARF` segment layout planned, so the linked image carries its own
 * debug info (as Go's internal darwin link does) and `llvm-dwarfdump
 * --verify`, `--debug-line` and `--lookup` work on it directly.
 *
 * Merging (per object, in input order; DWARF 4 §7.5.1 unit headers, §7.4
 * 32-bit format):
 * - `__debug_abbrev`, `__debug_str`: concatenated; each object's base is
 *   added to every CU's debug_abbrev_offset and every DW_FORM_strp (strings
 *   are not deduplicated).
 * - `__debug_info`: concatenated; DW_FORM_ref_addr gets the object's info
 *   base; lineptr/rangelistptr/loclistptr values (§7.5.4) get their
 *   section's base (stmt_list maps through the rewritten line units).
 * - `__debug_line`: each unit re-encoded with output addresses (line.ts).
 * - `__debug_ranges` (§2.17.3) and `__debug_loc` (§2.6.2): copied; the
 *   relocated begin/end addresses mapped.
 * - `__apple_names/types/namespac/objc` (Apple's accelerator tables) hold
 *   offsets into `__debug_info`/`__debug_str` of one object and are dropped,
 *   as are `__debug_aranges`, `__debug_pubnames/pubtypes`, `__debug_frame`
 *   and `__debug_macinfo`; consumers fall back to walking `__debug_info`.
 *
 * Addresses: references between debug sections carry no relocations in a
 * Mach-O object (offsets assume each section starts at 0), but every machine
 * address does: an UNSIGNED quad, section-relative (the bytes hold the
 * target's input address) or extern (symbol + the bytes). An input address
 * maps to the output through the atom holding it. If that atom is dead
 * (dead-stripped) or folded into another, the address is a tombstone: 0 in
 * `__debug_info`, an empty (1, 1) entry in range and location lists (0, 0
 * would end the list), and the rows are dropped from line tables. An end
 * address (one past the last byte: a range's or location's end, a DW_FORM_addr
 * high_pc) is mapped through the byte before it, so it stays with its atom.
 *
 * Speed: every row, DIE and relocation passes through here, so the hot path
 * allocates nothing per item: relocations are decoded once per section into
 * typed columns sorted by offset (binary-searched), the address mapper
 * remembers the last atom it found (rows walk an atom at a time), and line
 * rows live in reused typed arrays (line.ts).
 *
 * The segment is unmapped (vmsize 0, maxprot/initprot 0): dyld accepts a
 * segment whose filesize exceeds its vmsize only then, and skips it. It sits
 * in the file after `__DATA`; `__LINKEDIT` moves to the next page after it.
 */
import { AtomFlag, type InputFile, type LinkContext, type OutputSection, RelocAttr, RelocFlag } from "@tsld/core";
import { Reader, Writer } from "./bytes.js";
import { DW_AT, DW_FORM, type Abbrev, fixedFormSize, offsetClass, parseAbbrevs, skipForm } from "./forms.js";
import { LineRows, ROW_END_SEQUENCE, decodeLineRows, encodeLineRows, readLineHeader } from "./line.js";

/** Tombstone for dead addresses in `__debug_info`. */
const TOMBSTONE = 0;

export function emitDwarf(ctx: LinkContext): void {
  const seg = ctx.segments.find((s) => s.name === "__DWARF");
  if (!seg) return;
  const outs = new Map<string, OutputSection>();
  for (const id of seg.sections) outs.set(ctx.outSections[id]!.sectname, ctx.outSections[id]!);
  const w = {
    abbrev: new Writer(),
    info: new Writer(),
    str: new Writer(),
    line: new Writer(),
    ranges: new Writer(),
    loc: new Writer(),
  };
  const scratch: LineScratch = { decoded: new LineRows(), mapped: new LineRows(), marks: [] };
  for (const f of ctx.files) {
    if (f.kind !== "object" || !f.object) continue;
    try {
      mergeObject(ctx, f, w, scratch);
    } catch (e) {
      ctx.diag.warn(`${f.path}: debug info not merged: ${(e as Error).message}`);
    }
  }
  // Sizes and offsets: __DWARF's sections back to back after __DATA's file range.
  let off = seg.fileoff;
  for (const id of seg.sections) {
    const o = ctx.outSections[id]!;
    const bytes = w[o.sectname.slice("__debug_".length) as keyof typeof w].finish();
    ctx.debugData.set(id, bytes);
    o.fileOff = off;
    o.addr = seg.vmaddr + (off - seg.fileoff);
    o.size = bytes.length;
    off += bytes.length;
  }
  seg.filesize = off - seg.fileoff;
  seg.vmsize = 0;
  const le = ctx.segments[ctx.segments.length - 1]!;
  const page = ctx.target.pageSize;
  le.fileoff = Math.ceil(off / page) * page;
}

type Writers = Record<"abbrev" | "info" | "str" | "line" | "ranges" | "loc", Writer>;

/** One object's debug sections into the output writers. */
function mergeObject(ctx: LinkContext, f: InputFile, w: Writers, scratch: LineScratch): void {
  const ob = f.object!;
  const S = ctx.sections;
  const sid = new Map<string, number>();
  for (let k = 0; k < ob.sectionCount; k++) {
    const s = ob.firstSection + k;
    if (S.segnames[s] === "__DWARF") sid.set(S.sectnames[s]!, s);
  }
  const infoSid = sid.get("__debug_info");
  const abbrevSid = sid.get("__debug_abbrev");
  if (infoSid === undefined || abbrevSid === undefined) return;
  const bytesOf = (name: string): Uint8Array => {
    const s = sid.get(name);
    if (s === undefined) return new Uint8Array(0);
    const o = S.dataOff[s]!;
    return f.data.subarray(o, o + S.size[s]!);
  };
  const info = bytesOf("__debug_info");
  const abbrev = bytesOf("__debug_abbrev");

  // Check every unit first: an object with a unit tsld cannot merge is skipped whole.
  const units: { off: number; end: number; version: number; abbrevOff: number; addrSize: number; hdr: number }[] = [];
  for (let p = 0; p < info.length; ) {
    const r = new Reader(info, p);
    const len = r.u32();
    if (len >= 0xfffffff0) throw new Error("64-bit DWARF is not supported");
    const version = r.u16();
    if (version < 2 || version > 4) throw new Error(`DWARF version ${version} is not supported (2–4; use -gdwarf-4)`);
    const abbrevOff = r.u32();
    const addrSize = r.u8();
    units.push({ off: p, end: p + 4 + len, version, abbrevOff, addrSize, hdr: r.pos });
    p += 4 + len;
    if (p > info.length) throw new Error("a compile unit runs past __debug_info");
  }

  const relocs = (name: string): DebugRelocs => debugRelocs(f, sid.get(name), ctx);
  const mapper = new AddressMapper(ctx, f);
  const abbrevBase = w.abbrev.length;
  const strBase = w.str.length;
  const rangesBase = w.ranges.length;
  const locBase = w.loc.length;
  const infoBase = w.info.length;

  // __debug_info: a copy with addresses relocated, then offsets patched per DIE.
  const out = new Uint8Array(info); // a copy (input data may be a Buffer, whose slice() is a view)
  const put = (at: number, size: number, v: number): void => {
    if (size === 1 || size === 2 || size === 4 || size === 8) writeUint(out, at, size, v);
  };
  const infoRelocs = relocs("__debug_info");
  for (let j = 0; j < infoRelocs.count; j++) {
    const k = infoRelocs.order[j]!;
    const at = infoRelocs.off[k]!;
    const size = infoRelocs.size[k]!;
    put(at, size, orTomb(mapper.resolve(infoRelocs, k, readUint(info, at, size), false)));
  }
  // The base address each range/location list is relative to: its CU's low_pc (§2.17.3, §2.6.2).
  const rangesCtx = new Map<number, ListBase>();
  const locCtx = new Map<number, ListBase>();
  const stmtLists: { at: number; off: number }[] = [];
  const abbrevCache = new Map<number, Map<number, Abbrev>>();
  for (const u of units) {
    put(u.off + 6, 4, u.abbrevOff + abbrevBase);
    let table = abbrevCache.get(u.abbrevOff);
    if (!table) abbrevCache.set(u.abbrevOff, (table = parseAbbrevs(abbrev, u.abbrevOff)));
    const r = new Reader(info, u.hdr, u.end);
    let base: ListBase = { sect: 0, baseIn: 0, baseOut: 0 };
    let first = true;
    while (r.pos < r.end) {
      const code = r.uleb();
      if (code === 0) continue;
      const ab = table.get(code);
      if (!ab) throw new Error(`unknown abbreviation ${code} at __debug_info+0x${(r.pos - 1).toString(16)}`);
      let lowAt = -1;
      let highAt = -1;
      let highForm = 0;
      for (let i = 0; i < ab.attrs.length; i++) {
        const at = ab.attrs[i]!;
        const p = r.pos;
        const form = skipForm(r, ab.forms[i]!, u.addrSize, u.version);
        // After DW_FORM_indirect, the value follows the form code.
        const vp = ab.forms[i] === DW_FORM.indirect ? r.pos - valueSize(form, u.addrSize, u.version) : p;
        if (form === DW_FORM.strp) put(vp, 4, readUint(info, vp, 4) + strBase);
        else if (form === DW_FORM.ref_addr) {
          const n = u.version <= 2 ? u.addrSize : 4;
          put(vp, n, readUint(info, vp, n) + infoBase);
        } else if (form === DW_FORM.sec_offset || (u.version < 4 && form === DW_FORM.data4)) {
          const v = readUint(info, vp, 4);
          switch (offsetClass(at)) {
            case "line":
              stmtLists.push({ at: vp, off: v });
              break;
            case "ranges":
              put(vp, 4, v + rangesBase);
              if (!rangesCtx.has(v)) rangesCtx.set(v, base);
              break;
            case "loc":
              put(vp, 4, v + locBase);
              if (!locCtx.has(v)) locCtx.set(v, base);
              break;
            default:
              if (at === DW_AT.high_pc) {
                highAt = vp;
                highForm = form;
              }
              break;
          }
        } else if (form === DW_FORM.addr && at === DW_AT.low_pc) lowAt = vp;
        else if (at === DW_AT.high_pc) {
          highAt = vp;
          highForm = form;
          if (form === DW_FORM.addr) {
            const k = infoRelocs.find(vp);
            if (k >= 0) {
              const size = infoRelocs.size[k]!;
              put(vp, size, orTomb(mapper.resolve(infoRelocs, k, readUint(info, vp, size), true)));
            }
          }
        }
      }
      if (first) {
        // The CU: its [low_pc, high_pc) is the envelope of its live code, and the base of its lists.
        first = false;
        base = cuRange(ctx, f, mapper, info, infoRelocs, lowAt, highAt, highForm, u.addrSize, put);
      } else if (lowAt >= 0 && highAt >= 0 && highForm !== DW_FORM.addr) {
        // A dead subprogram (low_pc tombstoned): make its [low, low + len) empty so it claims no code.
        const k = infoRelocs.find(lowAt);
        if (k >= 0 && Number.isNaN(mapper.resolve(infoRelocs, k, readUint(info, lowAt, u.addrSize), false))) {
          const n = fixedFormSize(highForm, u.addrSize, u.version);
          if (n > 0) put(highAt, n, 0);
        }
      }
    }
  }

  w.abbrev.bytes(abbrev);
  w.str.bytes(bytesOf("__debug_str"));
  copyLists(w.ranges, bytesOf("__debug_ranges"), relocs("__debug_ranges"), mapper, false, rangesCtx);
  copyLists(w.loc, bytesOf("__debug_loc"), relocs("__debug_loc"), mapper, true, locCtx);
  const lineMap = rewriteLines(ctx, f, w.line, bytesOf("__debug_line"), relocs("__debug_line"), mapper, scratch);
  for (const s of stmtLists) {
    const m = lineMap.get(s.off);
    if (m !== undefined) put(s.at, 4, m);
  }
  w.info.bytes(out);
}

/** What a range or location list's entries are relative to: input and output base addresses. */
interface ListBase {
  sect: number;
  baseIn: number;
  baseOut: number;
}

/**
 * Rewrites a CU's low_pc/high_pc (when high_pc is a length, as DWARF 4
 * allows, §2.17.2) to the envelope of the live atoms its input range covers:
 * after dead stripping the first function may be gone and the rest moved.
 * Returns the CU's base for its lists.
 */
function cuRange(
  ctx: LinkContext,
  f: InputFile,
  mapper: AddressMapper,
  info: Uint8Array,
  relocs: DebugRelocs,
  lowAt: number,
  highAt: number,
  highForm: number,
  addrSize: number,
  put: (at: number, size: number, v: number) => void,
): ListBase {
  const none = { sect: 0, baseIn: 0, baseOut: 0 };
  if (lowAt < 0) return none;
  const k = relocs.find(lowAt);
  if (k < 0 || relocs.minusSect[k]! >= 0 || relocs.sect[k] === 0) return none;
  const rel = { sect: relocs.sect[k]!, symAddr: relocs.symAddr[k]! };
  const lowIn = rel.symAddr + readUint(info, lowAt, addrSize);
  const m = mapper.map(rel.sect, lowIn, false);
  const lenSize =
    highForm === DW_FORM.data1
      ? 1
      : highForm === DW_FORM.data2
        ? 2
        : highForm === DW_FORM.data4
          ? 4
          : highForm === DW_FORM.data8
            ? 8
            : 0;
  // DWARF 2/3 write high_pc as an address (DW_FORM_addr, relocated); 4 and
  // later as a length from low_pc. Either way: the input range's length.
  let len: number;
  if (highAt >= 0 && highForm === DW_FORM.addr) {
    const kh = relocs.find(highAt);
    if (kh < 0 || relocs.sect[kh] !== rel.sect)
      return { sect: rel.sect, baseIn: lowIn, baseOut: m < 0 ? TOMBSTONE : m };
    len = relocs.symAddr[kh]! + readUint(info, highAt, addrSize) - lowIn;
  } else if (highAt < 0 || lenSize === 0) return { sect: rel.sect, baseIn: lowIn, baseOut: m < 0 ? TOMBSTONE : m };
  else len = readUint(info, highAt, lenSize);
  // The live atoms of [lowIn, lowIn + len) in that section.
  const S = ctx.sections;
  const A = ctx.atoms;
  const sid = f.object!.firstSection + rel.sect - 1;
  const secIn = S.addr[sid]!;
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  const first = S.firstAtom[sid]!;
  for (let a = first; first >= 0 && a < first + S.atomCount[sid]!; a++) {
    const aIn = secIn + A.offset[a]!;
    const aEnd = aIn + A.size[a]!;
    if (aEnd <= lowIn || aIn >= lowIn + len) continue;
    const s = mapper.map(rel.sect, Math.max(aIn, lowIn), false);
    const e = mapper.map(rel.sect, Math.min(aEnd, lowIn + len), true);
    if (s < 0 || e < 0) continue;
    lo = Math.min(lo, s);
    hi = Math.max(hi, e);
  }
  if (hi === 0) {
    put(lowAt, addrSize, TOMBSTONE);
    if (highForm === DW_FORM.addr) put(highAt, addrSize, TOMBSTONE);
    return { sect: rel.sect, baseIn: lowIn, baseOut: TOMBSTONE };
  }
  put(lowAt, addrSize, lo);
  if (highForm === DW_FORM.addr) put(highAt, addrSize, hi);
  else if (hi - lo < 2 ** (8 * lenSize)) put(highAt, lenSize, hi - lo);
  return { sect: rel.sect, baseIn: lowIn, baseOut: lo };
}

/** Size of a value of `form` that `skipForm` just read (only called for fixed sizes after indirect). */
function valueSize(form: number, addrSize: number, version: number): number {
  switch (form) {
    case DW_FORM.strp:
    case DW_FORM.sec_offset:
    case DW_FORM.data4:
      return 4;
    case DW_FORM.addr:
      return addrSize;
    case DW_FORM.ref_addr:
      return version <= 2 ? addrSize : 4;
    default:
      return 0;
  }
}

/** The unsigned little-endian integer of `size` bytes (1, 2, 4 or 8) at `at` in `b`. */
function readUint(b: Uint8Array, at: number, size: number): number {
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) throw new RangeError(`unsupported integer size ${size}`);
  if (at + size > b.length) throw new RangeError(`read of ${size} bytes at 0x${at.toString(16)} past the end`);
  if (size === 1) return b[at]!;
  if (size === 2) return b[at]! | (b[at + 1]! << 8);
  const lo = (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
  if (size === 4) return lo;
  const hi = (b[at + 4]! | (b[at + 5]! << 8) | (b[at + 6]! << 16) | (b[at + 7]! << 24)) >>> 0;
  // Exact below 2^53; above, one rounding of the exact sum, as Number(BigInt) rounds.
  return hi * 0x100000000 + lo;
}

/** Writes `v` as an unsigned little-endian integer of `size` bytes (1, 2, 4 or 8) at `at` in `b`. */
function writeUint(b: Uint8Array, at: number, size: number, v: number): void {
  if (at + size > b.length || at < 0)
    throw new RangeError(`write of ${size} bytes at 0x${at.toString(16)} past the end`);
  if (size === 1) {
    b[at] = v & 0xff;
  } else if (size === 2) {
    const x = v & 0xffff;
    b[at] = x & 0xff;
    b[at + 1] = x >>> 8;
  } else if (size === 4) {
    const x = v >>> 0;
    b[at] = x & 0xff;
    b[at + 1] = (x >>> 8) & 0xff;
    b[at + 2] = (x >>> 16) & 0xff;
    b[at + 3] = x >>> 24;
  } else if (v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v)) {
    const lo = v >>> 0;
    const hi = Math.floor(v / 0x100000000);
    b[at] = lo & 0xff;
    b[at + 1] = (lo >>> 8) & 0xff;
    b[at + 2] = (lo >>> 16) & 0xff;
    b[at + 3] = lo >>> 24;
    b[at + 4] = hi & 0xff;
    b[at + 5] = (hi >>> 8) & 0xff;
    b[at + 6] = (hi >>> 16) & 0xff;
    b[at + 7] = hi >>> 24;
  } else {
    // Negative (a SUBTRACTOR difference) or huge: two's complement modulo 2^64.
    new DataView(b.buffer, b.byteOffset, b.byteLength).setBigUint64(at, BigInt.asUintN(64, BigInt(v)), true);
  }
}

/** `v`, or the tombstone when `v` is NaN (an address that does not map). */
function orTomb(v: number): number {
  return Number.isNaN(v) ? TOMBSTONE : v;
}

/**
 * The relocations of one debug section, decoded (what address each field's
 * bytes stand for), column-wise and sorted by offset. One entry per offset:
 * when two relocations name the same offset the later one counts.
 */
class DebugRelocs {
  /** Number of entries. */
  count = 0;
  /** Offset of the relocated field in the section, ascending. */
  off: Float64Array;
  /** 1-based section ordinal of the target in its object, 0 when not mappable (import, absolute). */
  sect: Int32Array;
  /** Extern: the symbol's input address (the addend is in the bytes); section-relative: 0. */
  symAddr: Float64Array;
  /** Field size in bytes. */
  size: Uint8Array;
  /** For SUBTRACTOR pairs: the subtrahend's section ordinal (-1 for a plain relocation) and symbol address. */
  minusSect: Int32Array;
  minusAddr: Float64Array;
  /** Entry indices in the order the relocations were first seen (the object's order). */
  order: Int32Array;

  constructor(n: number) {
    this.off = new Float64Array(n);
    this.sect = new Int32Array(n);
    this.symAddr = new Float64Array(n);
    this.size = new Uint8Array(n);
    this.minusSect = new Int32Array(n);
    this.minusAddr = new Float64Array(n);
    this.order = new Int32Array(n);
  }

  /** The entry at offset `at`, or -1. */
  find(at: number): number {
    const off = this.off;
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = off[mid]!;
      if (v === at) return mid;
      if (v < at) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

const NO_RELOCS = new DebugRelocs(0);

/** The relocations of debug section `sid` of `f`, from the decoded rows, as input addresses. */
function debugRelocs(f: InputFile, sid: number | undefined, ctx: LinkContext): DebugRelocs {
  if (sid === undefined) return NO_RELOCS;
  const S = ctx.sections;
  const A = ctx.atoms;
  const R = ctx.relocs;
  const ob = f.object!;
  const r0 = S.relocStart[sid]!;
  const n = S.relocEnd[sid]! - r0;
  if (n === 0) return NO_RELOCS;
  const attrs = ctx.target.relocAttrs;
  // In the object's order first; sorted below.
  const raw = new DebugRelocs(n);
  let m = 0;
  // A place in this object as (section ordinal, input address); (0, 0) when it has none.
  let tSect = 0;
  let tAddr = 0;
  const place = (atom: number, delta: number): void => {
    if (atom < 0) {
      tSect = 0;
      tAddr = 0;
      return;
    }
    const tsid = A.section[atom]!;
    tSect = tsid - ob.firstSection + 1;
    tAddr = S.addr[tsid]! + A.offset[atom]! + delta;
  };
  for (let r = r0; r < r0 + n; r++) {
    const fl = R.flags[r]!;
    if (fl & RelocFlag.Bad) continue;
    if (fl & RelocFlag.Pair) {
      place(R.subAtom[r]!, R.subDelta[r]!);
      raw.minusSect[m] = tSect;
      raw.minusAddr[m] = tAddr;
      place(R.atom[r]!, R.delta[r]!);
    } else {
      if (!((attrs[R.type[r]!] ?? 0) & RelocAttr.Pointer)) continue;
      place(R.atom[r]!, R.delta[r]!);
      raw.minusSect[m] = -1;
      raw.minusAddr[m] = 0;
      // Section-relative: the bytes hold the input address itself.
      if (!(fl & RelocFlag.Extern)) tAddr = 0;
    }
    raw.off[m] = R.offset[r]!;
    raw.sect[m] = tSect;
    raw.symAddr[m] = tAddr;
    raw.size[m] = 1 << R.length[r]!;
    m++;
  }
  // Sort by (offset, position); of equal offsets keep the last's value and the first's position.
  const idx = Array.from({ length: m }, (_, i) => i);
  idx.sort((a, b) => raw.off[a]! - raw.off[b]! || a - b);
  const out = new DebugRelocs(m);
  const firstSeen: number[] = [];
  let c = 0;
  for (let j = 0; j < m; j++) {
    const k = idx[j]!;
    if (j + 1 < m && raw.off[idx[j + 1]!] === raw.off[k]) continue;
    let first = k;
    for (let q = j - 1; q >= 0 && raw.off[idx[q]!] === raw.off[k]; q--) first = idx[q]!;
    out.off[c] = raw.off[k]!;
    out.sect[c] = raw.sect[k]!;
    out.symAddr[c] = raw.symAddr[k]!;
    out.size[c] = raw.size[k]!;
    out.minusSect[c] = raw.minusSect[k]!;
    out.minusAddr[c] = raw.minusAddr[k]!;
    firstSeen.push(first);
    c++;
  }
  out.count = c;
  const ord = Array.from({ length: c }, (_, i) => i);
  ord.sort((a, b) => firstSeen[a]! - firstSeen[b]!);
  out.order.set(ord);
  return out;
}

/**
 * Input addresses of one object to output addresses, through atoms. The
 * atom found last is remembered with what mapping through it needs:
 * consecutive lookups (a line table's rows, a list's entries) mostly fall in
 * the same atom, or the next one, and skip the search.
 */
class AddressMapper {
  private readonly S: LinkContext["sections"];
  private readonly A: LinkContext["atoms"];
  private readonly firstSection: number;
  private readonly sectionCount: number;
  /** After a successful `map`: the input address just past the atom that held the address. */
  endIn = 0;
  // The last atom found: its section id and index; the section offsets [cLo, cHi) for which it is
  // the last atom starting at or before the offset; its end offset (cLo + size); whether it maps
  // (live, not folded, placed); its output address and its input end address.
  private cSid = -1;
  private cAtom = -1;
  private cLast = -1;
  private cLo = 0;
  private cHi = 0;
  private cEnd = 0;
  private cLive = false;
  private cAddr = 0;
  private cEndIn = 0;

  constructor(ctx: LinkContext, file: InputFile) {
    this.S = ctx.sections;
    this.A = ctx.atoms;
    this.firstSection = file.object!.firstSection;
    this.sectionCount = file.object!.sectionCount;
  }

  /**
   * The output address of input address `addr` in section ordinal `sect`
   * (and sets `endIn`), or -1 when it is in no atom, or a dead or folded
   * one. An end address is mapped through the byte before it.
   */
  map(sect: number, addr: number, end: boolean): number {
    const q = end ? addr - 1 : addr;
    if (sect < 1 || sect > this.sectionCount) return -1;
    const sid = this.firstSection + sect - 1;
    const secOff = q - this.S.addr[sid]!;
    if (sid !== this.cSid || !(secOff >= this.cLo && secOff < this.cHi)) {
      if (!this.find(sid, secOff)) return -1;
    }
    if (!this.cLive || secOff < this.cLo || secOff > this.cEnd) return -1;
    this.endIn = this.cEndIn;
    return this.cAddr + (secOff - this.cLo) + (end ? 1 : 0);
  }

  /** Caches the last atom of section `sid` starting at or before `secOff` (as findAtom); false when the section has none. */
  private find(sid: number, secOff: number): boolean {
    const A = this.A;
    const off = A.offset;
    let a: number;
    if (sid === this.cSid && secOff >= this.cHi) {
      // cHi is finite here: the cached atom is not the section's last.
      // Forward from the cached atom (a walk usually moves to the next one); far jumps search.
      a = this.cAtom + 1;
      const last = this.cLast;
      let steps = 0;
      while (a < last && off[a + 1]! <= secOff && steps < 8) {
        a++;
        steps++;
      }
      if (a < last && off[a + 1]! <= secOff) a = this.search(sid, secOff);
    } else {
      const first = this.S.firstAtom[sid]!;
      const n = this.S.atomCount[sid]!;
      if (first < 0 || n === 0) return false;
      a = this.search(sid, secOff);
    }
    const first = this.S.firstAtom[sid]!;
    const last = first + this.S.atomCount[sid]! - 1;
    this.cSid = sid;
    this.cAtom = a;
    this.cLast = last;
    this.cLo = off[a]!;
    this.cHi = a < last ? off[a + 1]! : Number.POSITIVE_INFINITY;
    this.cEnd = this.cLo + A.size[a]!;
    this.cLive = (A.flags[a]! & AtomFlag.Live) !== 0 && A.foldedInto[a] === a && A.out[a]! >= 0;
    this.cAddr = A.address[a]!;
    this.cEndIn = this.S.addr[A.section[a]!]! + this.cLo + A.size[a]!;
    return true;
  }

  /** Binary search: the last atom of section `sid` starting at or before `secOff`, else its first. */
  private search(sid: number, secOff: number): number {
    const off = this.A.offset;
    const first = this.S.firstAtom[sid]!;
    let lo = 0;
    let hi = this.S.atomCount[sid]! - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (off[first + mid]! <= secOff) lo = mid;
      else hi = mid - 1;
    }
    return first + lo;
  }

  /** The output value of relocated field `k` of `R` whose bytes hold `stored`; NaN when it does not map. */
  resolve(R: DebugRelocs, k: number, stored: number, end: boolean): number {
    const sect = R.sect[k]!;
    if (sect === 0) return Number.NaN;
    const ms = R.minusSect[k]!;
    const target = this.map(sect, R.symAddr[k]! + (ms < 0 ? stored : 0), end);
    if (target < 0) return Number.NaN;
    if (ms < 0) return target;
    // SUBTRACTOR pair: B - A + addend, B and A both mapped.
    const minus = ms === 0 ? -1 : this.map(ms, R.minusAddr[k]!, false);
    if (minus < 0) return Number.NaN;
    return target - minus + stored;
  }
}

/**
 * Copies a `__debug_ranges` (DWARF 4 §2.17.3) or `__debug_loc` (§2.6.2)
 * section. Lists are walked from the start (clang writes them back to
 * back): (0, 0) ends a list, (~0, base) selects a base address, and in
 * location lists each other entry is followed by a 2-byte-length expression.
 * A relocated begin/end pair is absolute and mapped as such; an unrelocated
 * one is relative to the list's base (its CU's low_pc, `bases`, or the last
 * base selection) and is re-expressed against the base's output address.
 * Dead entries become (1, 1): empty, and not the (0, 0) terminator.
 */
function copyLists(
  w: Writer,
  bytes: Uint8Array,
  relocs: DebugRelocs,
  mapper: AddressMapper,
  hasExpr: boolean,
  bases: Map<number, ListBase>,
): void {
  const off = w.length;
  w.bytes(bytes);
  const size = 8;
  const end = bytes.length;
  let pos = 0;
  let base: ListBase | undefined;
  let atStart = true;
  while (pos + 2 * size <= end) {
    const p = pos;
    if (atStart) base = bases.get(p);
    atStart = false;
    const begin = readUint(bytes, p, size);
    const fin = readUint(bytes, p + size, size);
    pos = p + 2 * size;
    const rb = relocs.find(p);
    const re = relocs.find(p + size);
    if (begin === 0 && fin === 0 && rb < 0 && re < 0) {
      atStart = true;
      continue;
    }
    if (begin >= 2 ** 63) {
      // Base address selection: the base is a start address.
      if (re >= 0 && relocs.sect[re] !== 0) {
        const m = orTomb(mapper.resolve(relocs, re, fin, false));
        w.patch(off + p + size, size, m);
        base = { sect: relocs.sect[re]!, baseIn: relocs.symAddr[re]! + fin, baseOut: m };
      } else base = undefined;
      continue;
    }
    // NaN: does not map.
    let b = begin;
    let e = fin;
    if (rb >= 0 || re >= 0) {
      b = rb >= 0 ? mapper.resolve(relocs, rb, begin, false) : begin;
      e = re >= 0 ? mapper.resolve(relocs, re, fin, true) : fin;
    } else if (base && base.sect !== 0) {
      if (base.baseOut === TOMBSTONE || begin === fin) {
        b = Number.NaN;
        e = Number.NaN;
      } else {
        const mb = mapper.map(base.sect, base.baseIn + begin, false);
        const me = mapper.map(base.sect, base.baseIn + fin, true);
        b = mb >= 0 && me >= 0 ? mb - base.baseOut : Number.NaN;
        e = mb >= 0 && me >= 0 ? me - base.baseOut : Number.NaN;
      }
    }
    if (Number.isNaN(b) || Number.isNaN(e) || e < b) {
      const empty = begin !== fin || rb >= 0 || re >= 0;
      b = empty ? 1 : begin;
      e = empty ? 1 : fin;
    }
    w.patch(off + p, size, b);
    w.patch(off + p + size, size, e);
    if (hasExpr) {
      if (pos + 2 > end) throw new RangeError(`read of 2 bytes at 0x${pos.toString(16)} past the end`);
      const n = bytes[pos]! | (bytes[pos + 1]! << 8);
      pos += 2;
      if (pos + n > end) throw new RangeError(`read of ${n} bytes at 0x${pos.toString(16)} past the end`);
      pos += n;
    }
  }
}

/** Reusable row buffers for the line tables (one link's worth). */
interface LineScratch {
  decoded: LineRows;
  mapped: LineRows;
  /** (row index, section ordinal) per DW_LNE_set_address, in order. */
  marks: number[];
}

/**
 * Re-encodes every line unit of one object with output addresses; returns
 * input unit offset → output unit offset (for DW_AT_stmt_list).
 */
function rewriteLines(
  ctx: LinkContext,
  f: InputFile,
  w: Writer,
  bytes: Uint8Array,
  relocs: DebugRelocs,
  mapper: AddressMapper,
  scratch: LineScratch,
): Map<number, number> {
  const out = new Map<number, number>();
  const { decoded: rows, mapped, marks } = scratch;
  let addrSize = 8;
  // The section each row's address is in: set by the last set_address's relocation.
  const setAddress = (at: number, size: number, rowCount: number): number => {
    addrSize = size;
    const k = relocs.find(at);
    marks.push(rowCount, k >= 0 ? relocs.sect[k]! : 0);
    const stored = readUint(bytes, at, size);
    return k >= 0 && relocs.minusSect[k]! < 0 ? relocs.symAddr[k]! + stored : stored;
  };
  for (let p = 0; p < bytes.length; ) {
    const h = readLineHeader(bytes, p);
    addrSize = 8;
    marks.length = 0;
    rows.count = 0;
    try {
      decodeLineRows(bytes, h, setAddress, rows);
    } catch (e) {
      ctx.diag.warn(`${f.path}: line table at 0x${p.toString(16)} dropped: ${(e as Error).message}`);
      rows.count = 0;
    }
    const start = w.length;
    out.set(p, start);
    w.u32(0);
    w.bytes(bytes.subarray(p + 4, h.programStart));
    mapRows(rows, marks, mapper, mapped);
    encodeLineRows(w, h, mapped, addrSize);
    w.patch32(start, w.length - start - 4);
    p = h.end;
  }
  return out;
}

/**
 * Maps rows to output addresses into `out`: rows in dead atoms are dropped,
 * and a new sequence starts wherever the input-to-output shift changes (the
 * atoms of one input sequence need not stay adjacent in the output).
 * `marks` holds (row index, section ordinal) pairs: from that row on,
 * addresses are in that section.
 */
function mapRows(rows: LineRows, marks: readonly number[], mapper: AddressMapper, out: LineRows): void {
  out.count = 0;
  let sect = 0;
  let open = false;
  let delta = 0;
  let lastEndIn = 0;
  let mk = 0;
  const n = rows.count;
  const addrs = rows.address;
  const flags = rows.flags;
  for (let i = 0; i < n; i++) {
    while (mk < marks.length && marks[mk] === i) {
      sect = marks[mk + 1]!;
      mk += 2;
    }
    const address = addrs[i]!;
    if (flags[i]! & ROW_END_SEQUENCE) {
      if (open) {
        closeSequence(out, address, lastEndIn, delta);
        open = false;
      }
      sect = 0;
      continue;
    }
    const m = sect === 0 ? -1 : mapper.map(sect, address, false);
    if (m < 0) {
      if (open) {
        closeSequence(out, address, lastEndIn, delta);
        open = false;
      }
      continue;
    }
    const d = m - address;
    if (open && d !== delta) {
      closeSequence(out, address, lastEndIn, delta);
      open = false;
    }
    if (!open) {
      open = true;
      delta = d;
    }
    lastEndIn = mapper.endIn;
    out.pushFrom(rows, i, m, flags[i]!);
  }
}

/** Ends the open output sequence at input address `inAddr` (at most the last atom's end), shifted by `delta`. */
function closeSequence(out: LineRows, inAddr: number, lastEndIn: number, delta: number): void {
  const last = out.count - 1;
  const endIn = Math.min(inAddr, lastEndIn);
  out.pushFrom(out, last, Math.max(endIn + delta, out.address[last]!), out.flags[last]! | ROW_END_SEQUENCE);
}
