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
 * The segment is unmapped (vmsize 0, maxprot/initprot 0): dyld accepts a
 * segment whose filesize exceeds its vmsize only then, and skips it. It sits
 * in the file after `__DATA`; `__LINKEDIT` moves to the next page after it.
 */
import { AtomFlag, type InputFile, type LinkContext, type OutputSection } from "@tsld/core";
import { atomAtAddress } from "@tsld/layout";
import {
  N_SECT,
  N_TYPE,
  X86_64_RELOC_SUBTRACTOR,
  X86_64_RELOC_UNSIGNED,
  nlistSect,
  nlistType,
  nlistValue,
  rExtern,
  rLength,
  rSymbolnum,
  rType,
  relocAddress,
  relocInfoWord,
} from "@tsld/macho-format";
import { Reader, Writer } from "./bytes.js";
import { DW_AT, DW_FORM, type Abbrev, fixedFormSize, offsetClass, parseAbbrevs, skipForm } from "./forms.js";
import { type LineRow, decodeLineProgram, encodeLineProgram, readLineHeader } from "./line.js";

/** A relocation in a debug section, decoded: what address its bytes stand for. */
interface DebugReloc {
  /** 1-based section ordinal of the target in its object, 0 when not mappable (import, absolute). */
  sect: number;
  /** For SUBTRACTOR pairs: the subtrahend's section ordinal and symbol address. */
  minusSect?: number;
  minusAddr?: number;
  size: number;
  /** Extern: the symbol's input address (the addend is in the bytes); section-relative: 0. */
  symAddr: number;
}

/** Tombstone for dead addresses in `__debug_info`. */
const TOMBSTONE = 0;

export function emitDwarf(ctx: LinkContext): void {
  const seg = ctx.segments.find((s) => s.name === "__DWARF");
  if (!seg) return;
  using _t = ctx.timer.start("emitDwarf");
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
  for (const f of ctx.files) {
    if (f.kind !== "object" || !f.object) continue;
    try {
      mergeObject(ctx, f, w);
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
  const page = ctx.arch.pageSize;
  le.fileoff = Math.ceil(off / page) * page;
}

type Writers = Record<"abbrev" | "info" | "str" | "line" | "ranges" | "loc", Writer>;

/** One object's debug sections into the output writers. */
function mergeObject(ctx: LinkContext, f: InputFile, w: Writers): void {
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

  const relocs = (name: string): Map<number, DebugReloc> => debugRelocs(f, sid.get(name), ctx);
  const mapper = new AddressMapper(ctx, f);
  const abbrevBase = w.abbrev.length;
  const strBase = w.str.length;
  const rangesBase = w.ranges.length;
  const locBase = w.loc.length;
  const infoBase = w.info.length;

  // __debug_info: a copy with addresses relocated, then offsets patched per DIE.
  const out = Uint8Array.from(info); // a copy (input data may be a Buffer, whose slice() is a view)
  const ov = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const put = (at: number, size: number, v: number): void => {
    if (size === 8) ov.setBigUint64(at, BigInt.asUintN(64, BigInt(v)), true);
    else if (size === 4) ov.setUint32(at, v >>> 0, true);
    else if (size === 2) ov.setUint16(at, v & 0xffff, true);
    else if (size === 1) ov.setUint8(at, v & 0xff);
  };
  const infoRelocs = relocs("__debug_info");
  for (const [at, rel] of infoRelocs)
    put(at, rel.size, mapper.resolve(rel, readUint(info, at, rel.size), false) ?? TOMBSTONE);
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
            const rel = infoRelocs.get(vp);
            if (rel) put(vp, rel.size, mapper.resolve(rel, readUint(info, vp, rel.size), true) ?? TOMBSTONE);
          }
        }
      }
      if (first) {
        // The CU: its [low_pc, high_pc) is the envelope of its live code, and the base of its lists.
        first = false;
        base = cuRange(ctx, f, mapper, info, infoRelocs, lowAt, highAt, highForm, u.addrSize, put);
      } else if (lowAt >= 0 && highAt >= 0 && highForm !== DW_FORM.addr) {
        // A dead subprogram (low_pc tombstoned): make its [low, low + len) empty so it claims no code.
        const rel = infoRelocs.get(lowAt);
        if (rel && mapper.resolve(rel, readUint(info, lowAt, u.addrSize), false) === undefined) {
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
  const lineMap = rewriteLines(ctx, f, w.line, bytesOf("__debug_line"), relocs("__debug_line"), mapper);
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
  relocs: Map<number, DebugReloc>,
  lowAt: number,
  highAt: number,
  highForm: number,
  addrSize: number,
  put: (at: number, size: number, v: number) => void,
): ListBase {
  const none = { sect: 0, baseIn: 0, baseOut: 0 };
  if (lowAt < 0) return none;
  const rel = relocs.get(lowAt);
  if (!rel || rel.minusSect !== undefined || rel.sect === 0) return none;
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
  if (highAt < 0 || lenSize === 0) return { sect: rel.sect, baseIn: lowIn, baseOut: m?.out ?? TOMBSTONE };
  const len = readUint(info, highAt, lenSize);
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
    if (!s || !e) continue;
    lo = Math.min(lo, s.out);
    hi = Math.max(hi, e.out);
  }
  if (hi === 0) {
    put(lowAt, addrSize, TOMBSTONE);
    return { sect: rel.sect, baseIn: lowIn, baseOut: TOMBSTONE };
  }
  put(lowAt, addrSize, lo);
  if (hi - lo < 2 ** (8 * lenSize)) put(highAt, lenSize, hi - lo);
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

function readUint(b: Uint8Array, at: number, size: number): number {
  return new Reader(b, at).uint(size);
}

/** Decodes the relocations of debug section `sid` of `f`, keyed by offset. */
function debugRelocs(f: InputFile, sid: number | undefined, ctx: LinkContext): Map<number, DebugReloc> {
  const out = new Map<number, DebugReloc>();
  if (sid === undefined) return out;
  const S = ctx.sections;
  const v = f.view;
  const ob = f.object!;
  const n = S.nreloc[sid]!;
  const symTarget = (i: number): { sect: number; addr: number } => {
    const t = nlistType(v, ob.symoff, i);
    if ((t & N_TYPE) !== N_SECT) return { sect: 0, addr: 0 };
    return { sect: nlistSect(v, ob.symoff, i), addr: nlistValue(v, ob.symoff, i) };
  };
  for (let i = 0; i < n; i++) {
    const off = S.reloff[sid]! + i * 8;
    const word = relocInfoWord(v, off);
    const type = rType(word);
    const size = 1 << rLength(word);
    if (type === X86_64_RELOC_SUBTRACTOR && i + 1 < n) {
      const minus = rExtern(word) ? symTarget(rSymbolnum(word)) : { sect: rSymbolnum(word), addr: 0 };
      const off2 = off + 8;
      const w2 = relocInfoWord(v, off2);
      const plus = rExtern(w2) ? symTarget(rSymbolnum(w2)) : { sect: rSymbolnum(w2), addr: 0 };
      out.set(relocAddress(v, off2), {
        sect: plus.sect,
        symAddr: plus.addr,
        size,
        minusSect: minus.sect,
        minusAddr: minus.addr,
      });
      i++;
      continue;
    }
    if (type !== X86_64_RELOC_UNSIGNED) continue;
    const t = rExtern(word) ? symTarget(rSymbolnum(word)) : { sect: rSymbolnum(word), addr: 0 };
    out.set(relocAddress(v, off), { sect: t.sect, symAddr: t.addr, size });
  }
  return out;
}

/** Input addresses of one object to output addresses, through atoms. */
class AddressMapper {
  private readonly ctx: LinkContext;
  private readonly file: InputFile;

  constructor(ctx: LinkContext, file: InputFile) {
    this.ctx = ctx;
    this.file = file;
  }

  /**
   * The output address of input address `addr` in section ordinal `sect`,
   * with the atom holding it; undefined when dead or folded. An end address
   * is mapped through the byte before it.
   */
  map(sect: number, addr: number, end: boolean): { out: number; atom: number; atomEndIn: number } | undefined {
    const A = this.ctx.atoms;
    const q = end ? addr - 1 : addr;
    const t = atomAtAddress(this.ctx, this.file, sect, q);
    if (t.atom < 0) return undefined;
    const a = t.atom;
    if (!(A.flags[a]! & AtomFlag.Live) || A.foldedInto[a] !== a || A.out[a]! < 0) return undefined;
    const inStart = this.ctx.sections.addr[A.section[a]!]! + A.offset[a]!;
    return { out: A.address[a]! + t.delta + (end ? 1 : 0), atom: a, atomEndIn: inStart + A.size[a]! };
  }

  /** The output value of a relocated field whose bytes hold `stored`. */
  resolve(rel: DebugReloc, stored: number, end: boolean): number | undefined {
    if (rel.sect === 0) return undefined;
    const target = this.map(rel.sect, rel.symAddr + (rel.minusSect === undefined ? stored : 0), end);
    if (!target) return undefined;
    if (rel.minusSect === undefined) return target.out;
    // SUBTRACTOR pair: B - A + addend, B and A both mapped.
    const minus = rel.minusSect === 0 ? undefined : this.map(rel.minusSect, rel.minusAddr!, false);
    if (!minus) return undefined;
    return target.out - minus.out + stored;
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
  relocs: Map<number, DebugReloc>,
  mapper: AddressMapper,
  hasExpr: boolean,
  bases: Map<number, ListBase>,
): void {
  const off = w.length;
  w.bytes(bytes);
  const r = new Reader(bytes);
  const size = 8;
  let base: ListBase | undefined;
  let atStart = true;
  while (r.pos + 2 * size <= r.end) {
    const p = r.pos;
    if (atStart) base = bases.get(p);
    atStart = false;
    const begin = r.uint(size);
    const end = r.uint(size);
    const rb = relocs.get(p);
    const re = relocs.get(p + size);
    if (begin === 0 && end === 0 && !rb && !re) {
      atStart = true;
      continue;
    }
    if (begin >= 2 ** 63) {
      // Base address selection: the base is a start address.
      if (re && re.sect !== 0) {
        const m = mapper.resolve(re, end, false);
        w.patch(off + p + size, size, m ?? TOMBSTONE);
        base = { sect: re.sect, baseIn: re.symAddr + end, baseOut: m ?? TOMBSTONE };
      } else base = undefined;
      continue;
    }
    let b: number | undefined = begin;
    let e: number | undefined = end;
    if (rb || re) {
      b = rb ? mapper.resolve(rb, begin, false) : begin;
      e = re ? mapper.resolve(re, end, true) : end;
    } else if (base && base.sect !== 0) {
      if (base.baseOut === TOMBSTONE || begin === end) {
        b = undefined;
        e = undefined;
      } else {
        const mb = mapper.map(base.sect, base.baseIn + begin, false);
        const me = mapper.map(base.sect, base.baseIn + end, true);
        b = mb && me ? mb.out - base.baseOut : undefined;
        e = mb && me ? me.out - base.baseOut : undefined;
      }
    }
    if (b === undefined || e === undefined || e < b) {
      const empty = begin !== end || rb !== undefined || re !== undefined;
      b = empty ? 1 : begin;
      e = empty ? 1 : end;
    }
    w.patch(off + p, size, b);
    w.patch(off + p + size, size, e);
    if (hasExpr) r.skip(r.u16());
  }
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
  relocs: Map<number, DebugReloc>,
  mapper: AddressMapper,
): Map<number, number> {
  const out = new Map<number, number>();
  for (let p = 0; p < bytes.length; ) {
    const h = readLineHeader(bytes, p);
    let addrSize = 8;
    // The section each row's address is in: set by the last set_address's relocation.
    const rowSect: number[] = [];
    let rows: LineRow[] = [];
    try {
      decodeLineProgram(
        bytes,
        h,
        (at, size) => {
          addrSize = size;
          const rel = relocs.get(at);
          rowSect[rows.length] = rel ? rel.sect : 0;
          const stored = readUint(bytes, at, size);
          return rel && rel.minusSect === undefined ? rel.symAddr + stored : stored;
        },
        rows,
      );
    } catch (e) {
      ctx.diag.warn(`${f.path}: line table at 0x${p.toString(16)} dropped: ${(e as Error).message}`);
      rows = [];
    }
    const start = w.length;
    out.set(p, start);
    w.u32(0);
    w.bytes(bytes.subarray(p + 4, h.programStart));
    encodeLineProgram(w, h, mapRows(rows, rowSect, mapper), addrSize);
    w.patch32(start, w.length - start - 4);
    p = h.end;
  }
  return out;
}

/**
 * Maps rows to output addresses: rows in dead atoms are dropped, and a new
 * sequence starts wherever the input-to-output shift changes (the atoms of
 * one input sequence need not stay adjacent in the output).
 */
function mapRows(rows: LineRow[], rowSect: number[], mapper: AddressMapper): LineRow[] {
  const out: LineRow[] = [];
  let sect = 0;
  let open = false;
  let delta = 0;
  let lastEndIn = 0;
  const close = (inAddr: number): void => {
    const last = out[out.length - 1]!;
    const endIn = Math.min(inAddr, lastEndIn);
    out.push({ ...last, address: Math.max(endIn + delta, last.address), endSequence: true });
    open = false;
  };
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    sect = rowSect[i] ?? sect;
    if (row.endSequence) {
      if (open) close(row.address);
      sect = 0;
      continue;
    }
    const m = sect === 0 ? undefined : mapper.map(sect, row.address, false);
    if (!m) {
      if (open) close(row.address);
      continue;
    }
    const d = m.out - row.address;
    if (open && d !== delta) close(row.address);
    if (!open) {
      open = true;
      delta = d;
    }
    lastEndIn = m.atomEndIn;
    out.push({ ...row, address: m.out });
  }
  return out;
}
