/**
 * One object's debug info merged into the image's `__DWARF` sections: a
 * pure function of the object's debug section bytes, its relocations and
 * the atom columns (through `AddressMapper`), so each object (each compile
 * unit: clang writes one per object) can be merged on its own, in any
 * order, on any thread.
 *
 * What changes in the bytes (DWARF 4 §7.5.1 unit headers, §7.4 32-bit format):
 * - `__debug_abbrev`, `__debug_str`: copied whole; each object's base is
 *   added to every CU's debug_abbrev_offset and every DW_FORM_strp (strings
 *   are not deduplicated).
 * - `__debug_info`: copied whole, then patched: relocated machine addresses
 *   mapped to output addresses; DW_FORM_ref_addr gets the object's info
 *   base; rangelistptr/loclistptr values (§7.5.4) get their section's base;
 *   DW_AT_stmt_list is returned for the caller to point at the rewritten
 *   line unit (whose output offset depends on every earlier object's).
 * - `__debug_ranges` (§2.17.3) and `__debug_loc` (§2.6.2): copied whole;
 *   the begin/end address of each entry mapped.
 * - `__debug_line`: each unit re-encoded with output addresses (line.ts)
 *   into a writer the caller owns.
 *
 * So `__debug_abbrev`, `__debug_str`, `__debug_info`, `__debug_ranges` and
 * `__debug_loc` keep their sizes: every object's place in them is known
 * before any object is merged, and each writes straight into the output
 * (`DebugOutputs`) at its bases with one bulk copy per section, then
 * patches only the fields that need it. No work is done per DIE beyond
 * walking its attributes with a program compiled once per abbreviation
 * (`compileAbbrevs`): fixed-size runs of attributes that need nothing are
 * one skip.
 *
 * Addresses: an input address maps to the output through the atom holding
 * it. If that atom is dead (dead-stripped) or folded into another, the
 * address is a tombstone: 0 in `__debug_info`, an empty (1, 1) entry in
 * range and location lists (0, 0 would end the list), and the rows are
 * dropped from line tables. An end address (one past the last byte: a
 * range's or location's end, a DW_FORM_addr high_pc) is mapped through the
 * byte before it, so it stays with its atom.
 */
import { Reader, type Writer, WriterFull, readUint } from "./bytes.js";
import { DW_AT, DW_FORM, fixedFormSize, offsetClass, skipForm } from "./forms.js";
import { readLineHeader, rewriteLineProgram } from "./line.js";
import type { AddressMapper, DebugRelocs } from "./relocs.js";

/** Tombstone for dead addresses in `__debug_info`. */
const TOMBSTONE = 0;

/** One object's debug sections (empty when absent) and the decoded relocations of those that have them. */
export interface ObjectDebugInput {
  info: Uint8Array;
  abbrev: Uint8Array;
  str: Uint8Array;
  line: Uint8Array;
  ranges: Uint8Array;
  loc: Uint8Array;
  infoRelocs: DebugRelocs;
  lineRelocs: DebugRelocs;
  rangesRelocs: DebugRelocs;
  locRelocs: DebugRelocs;
}

/** Where the object's contribution to each same-size section starts in the output (bytes). */
export interface ObjectBases {
  info: number;
  abbrev: number;
  str: number;
  ranges: number;
  loc: number;
}

/** The output sections an object writes into at its bases (each sized for every object). */
export interface DebugOutputs {
  info: Uint8Array;
  abbrev: Uint8Array;
  str: Uint8Array;
  ranges: Uint8Array;
  loc: Uint8Array;
}

/** What the caller finishes: DW_AT_stmt_list fields and warnings. */
export interface ObjectMergeResult {
  /**
   * Pairs (offset of a DW_AT_stmt_list value in the output `__debug_info`,
   * offset of its rewritten line unit from where this object's line output
   * starts): the caller writes the line section's base plus the second at
   * the first. A stmt_list naming no line unit is left as it was.
   */
  stmtLists: number[];
  /** Line units dropped (malformed programs), as messages. */
  warnings: string[];
}

/** The error of a read past the end of a unit or section. */
function pastEnd(n: number, at: number): RangeError {
  return new RangeError(`read of ${n} bytes at 0x${at.toString(16)} past the end`);
}

/**
 * Merges one object: `in_` into `out` at `bases`, its line units appended
 * to `lineOut`; addresses map through `mapper`. Throws (with nothing to
 * undo but the bytes written at this object's bases) when a unit cannot be
 * merged; the caller then leaves the object out. The two halves,
 * `mergeObjectInfo` and `mergeObjectLines`, read and write disjoint bytes
 * and can run apart (emit.ts runs them as separate items on the worker
 * threads); this is both, in the order that decides which error is
 * reported.
 */
export function mergeObjectDebug(
  in_: ObjectDebugInput,
  bases: ObjectBases,
  out: DebugOutputs,
  lineOut: Writer,
  mapper: AddressMapper,
): ObjectMergeResult {
  const infoStmts = mergeObjectInfo(in_, bases, out, mapper);
  const warnings: string[] = [];
  const lineStart = lineOut.length;
  mergeObjectLines(in_.line, in_.lineRelocs, mapper, lineOut, warnings);
  const stmtLists = placeStmtLists(infoStmts, in_.line, lineOut.buf.subarray(lineStart, lineOut.length));
  return { stmtLists, warnings };
}

/** The `__debug_info` (and abbrev, str, ranges, loc) half of one object's input. */
export type ObjectInfoInput = Pick<
  ObjectDebugInput,
  "info" | "abbrev" | "str" | "ranges" | "loc" | "infoRelocs" | "rangesRelocs" | "locRelocs"
>;

/**
 * The same-size half of `mergeObjectDebug`: `__debug_abbrev`, `__debug_str`,
 * `__debug_info`, `__debug_ranges` and `__debug_loc` copied into `out` at
 * `bases` and patched. Returns the DW_AT_stmt_list fields as pairs (offset
 * of the value in the output `__debug_info`, the input `__debug_line`
 * offset it holds), for `placeStmtLists`. Throws when a unit cannot be
 * merged (before writing anything when its header is unsupported).
 */
export function mergeObjectInfo(
  in_: ObjectInfoInput,
  bases: ObjectBases,
  out: DebugOutputs,
  mapper: AddressMapper,
): number[] {
  const info = in_.info;
  // Check every unit first: an object with a unit tsld cannot merge is skipped whole.
  const units: number[] = []; // (offset, end, version, abbrevOff, addrSize, header end) per unit
  for (let p = 0; p < info.length; ) {
    if (p + 4 > info.length) throw pastEnd(4, p);
    const len = u32(info, p);
    if (len >= 0xfffffff0) throw new Error("64-bit DWARF is not supported");
    if (p + 11 > info.length) throw pastEnd(2, p + 4);
    const version = info[p + 4]! | (info[p + 5]! << 8);
    if (version < 2 || version > 4) throw new Error(`DWARF version ${version} is not supported (2–4; use -gdwarf-4)`);
    units.push(p, p + 4 + len, version, u32(info, p + 6), info[p + 10]!, p + 11);
    p += 4 + len;
    if (p > info.length) throw new Error("a compile unit runs past __debug_info");
  }

  // The same-size sections: one bulk copy each, then patches.
  const infoOut = out.info.subarray(bases.info, bases.info + info.length);
  infoOut.set(info);
  out.abbrev.set(in_.abbrev, bases.abbrev);
  out.str.set(in_.str, bases.str);
  out.ranges.set(in_.ranges, bases.ranges);
  out.loc.set(in_.loc, bases.loc);

  // __debug_info: addresses relocated, then offsets patched per DIE.
  const relocs = in_.infoRelocs;
  const rOff = relocs.off;
  const rSize = relocs.size;
  const rSect = relocs.sect;
  const rSym = relocs.symAddr;
  const rMinus = relocs.minusSect;
  // The last atom mapped: section ordinal, input range [aLo, aHi) and shift (consecutive
  // addresses in a unit mostly fall in one function).
  let aSect = 0;
  let aLo = 0;
  let aHi = 0;
  let aDelta = 0;
  for (let k = 0; k < relocs.count; k++) {
    const at = rOff[k]!;
    const size = rSize[k]!;
    const sect = rSect[k]!;
    if (size === 8 && sect !== 0 && rMinus[k]! < 0 && at + 8 <= info.length) {
      // A plain 8-byte address (what clang writes): mapped, or the tombstone.
      const stored = u32(info, at + 4) * 0x100000000 + u32(info, at);
      const addr = rSym[k]! + stored;
      let m: number;
      if (sect === aSect && addr >= aLo && addr < aHi) m = addr + aDelta;
      else {
        m = mapper.map(sect, addr, false);
        if (m >= 0) {
          aSect = sect;
          aLo = mapper.startIn;
          aHi = mapper.endIn;
          aDelta = m - addr;
        }
      }
      putUint(infoOut, at, 8, m < 0 ? TOMBSTONE : m);
    } else putUint(infoOut, at, size, orTomb(mapper.resolve(relocs, k, readUint(info, at, size), false)));
  }
  const walk = new InfoWalk(in_, infoOut, bases, mapper);
  for (let i = 0; i < units.length; i += 6)
    walk.unit(units[i]!, units[i + 1]!, units[i + 2]!, units[i + 3]!, units[i + 4]!, units[i + 5]!);

  copyLists(out.ranges, bases.ranges, in_.ranges, in_.rangesRelocs, mapper, false, walk.rangesBase);
  copyLists(out.loc, bases.loc, in_.loc, in_.locRelocs, mapper, true, walk.locBase);
  const s = walk.stmtLists;
  for (let i = 0; i < s.length; i += 2) s[i] = s[i]! + bases.info;
  return s;
}

/**
 * The line half of `mergeObjectDebug`: every line unit of one object's
 * `__debug_line` (`line`) re-encoded with output addresses and appended to
 * `w` (`rewriteLines`), one output unit per input unit, in order. Units
 * whose program cannot be run lose their rows, with a message in
 * `warnings`; throws when a unit's header cannot be read or its rows go
 * backwards (the object is then left out).
 */
export function mergeObjectLines(
  line: Uint8Array,
  relocs: DebugRelocs,
  mapper: AddressMapper,
  w: Writer,
  warnings: string[],
): void {
  rewriteLines(w, line, relocs, mapper, warnings);
}

/**
 * Where each DW_AT_stmt_list of `infoStmts` (pairs: output `__debug_info`
 * offset, input line offset, as `mergeObjectInfo` returns them) points
 * once the object's line units are rewritten: `lineIn` is the object's
 * input `__debug_line`, `lineOut` its rewritten units (one per input unit,
 * in order, so the n-th unit of each corresponds). Returns pairs (output
 * `__debug_info` offset, offset of the rewritten unit in `lineOut`); a
 * stmt_list naming no unit's start is left out (its value stays).
 */
export function placeStmtLists(infoStmts: readonly number[], lineIn: Uint8Array, lineOut: Uint8Array): number[] {
  const out: number[] = [];
  if (infoStmts.length === 0) return out;
  // Input unit offset → output unit offset, walking both unit_length chains.
  const units = new Map<number, number>();
  for (let p = 0, q = 0; p + 4 <= lineIn.length && q + 4 <= lineOut.length; ) {
    units.set(p, q);
    p += 4 + u32(lineIn, p);
    q += 4 + u32(lineOut, q);
  }
  for (let i = 0; i < infoStmts.length; i += 2) {
    const m = units.get(infoStmts[i + 1]!);
    if (m !== undefined) out.push(infoStmts[i]!, m);
  }
  return out;
}

/** What a range or location list's entries are relative to: input and output base addresses. */
interface ListBase {
  sect: number;
  baseIn: number;
  baseOut: number;
}

const NO_BASE: ListBase = { sect: 0, baseIn: 0, baseOut: 0 };

// Attribute programs (`compileAbbrevs`): per abbreviation, (op, argument)
// pairs, one per attribute or run of fixed-size attributes.
/** Skip `arg` bytes. */
const OP_SKIP = 0;
const OP_ULEB = 1;
const OP_SLEB = 2;
const OP_CSTR = 3;
const OP_BLOCK1 = 4;
const OP_BLOCK2 = 5;
const OP_BLOCK4 = 6;
const OP_BLOCK = 7;
/** DW_FORM_strp: + the string base. */
const OP_STRP = 8;
/** DW_FORM_ref_addr of `arg` bytes: + the info base. */
const OP_REF_ADDR = 9;
/** lineptr (DW_AT_stmt_list): recorded. */
const OP_LINE = 10;
/** rangelistptr: + the ranges base; the list's base is the unit's. */
const OP_RANGES = 11;
/** loclistptr: + the loc base; likewise. */
const OP_LOC = 12;
/** DW_AT_low_pc, DW_FORM_addr of `arg` bytes. */
const OP_LOW_PC = 13;
/** DW_AT_high_pc, DW_FORM_addr of `arg` bytes: an end address. */
const OP_HIGH_PC_ADDR = 14;
/** DW_AT_high_pc in form `arg` (a length, or a v2/v3 data4 class none): marks the field; an op skipping it follows. */
const OP_HIGH_PC = 15;
/** DW_FORM_indirect for attribute `arg`. */
const OP_INDIRECT = 16;
/** An unknown form `arg`: an error once a DIE uses it. */
const OP_UNKNOWN = 17;

/**
 * An abbreviation table's attribute programs: all in `ops`, code `c`'s in
 * `ops[first[c], last[c])` (first undefined: no such code); codes of
 * DENSE_CODES and above in `sparse` as (first, last).
 */
interface AbbrevPrograms {
  ops: Int32Array;
  first: number[];
  last: number[];
  sparse?: Map<number, [number, number]>;
}

/** Cursor of `ulebAt`. */
let next = 0;

/** The ULEB128 at `pos` in `buf` (reads past `end` throw); `next` is set past it. */
function ulebAt(buf: Uint8Array, pos: number, end: number): number {
  let v = 0;
  let mul = 1;
  for (;;) {
    if (pos >= end) throw pastEnd(1, pos);
    const b = buf[pos++]!;
    v += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) break;
  }
  next = pos;
  return v;
}

/** Appends (op, arg) to `ops`, merging skips and dropping empty ones. */
function emitOp(ops: number[], op: number, arg: number): void {
  const n = ops.length;
  if (op === OP_SKIP && n > 0 && ops[n - 2] === OP_SKIP && n - 2 >= opsStart) ops[n - 1]! += arg;
  else if (op !== OP_SKIP || arg > 0) ops.push(op, arg);
}

/** Where the abbreviation being compiled starts in `ops` (skips merge within one only). */
let opsStart = 0;

/**
 * The attribute programs of the abbreviation table at `off` for units of
 * `version` and `addrSize` (DWARF 4 §7.5.3: entries until a 0 code, each
 * a code, a tag, a children flag and (attribute, form) pairs ending in
 * (0, 0)): the same decisions per attribute as a walk over forms would
 * make per DIE, made once, read straight from the bytes.
 */
function compileAbbrevs(abbrev: Uint8Array, off: number, version: number, addrSize: number): AbbrevPrograms {
  const ops: number[] = [];
  const first: number[] = [];
  const last: number[] = [];
  let sparse: Map<number, [number, number]> | undefined;
  const end = abbrev.length;
  let p = off;
  for (;;) {
    const code = ulebAt(abbrev, p, end);
    if (code === 0) break;
    ulebAt(abbrev, next, end); // tag
    p = next;
    if (p >= end) throw pastEnd(1, p);
    p++; // children
    opsStart = ops.length;
    for (;;) {
      const at = ulebAt(abbrev, p, end);
      const form = ulebAt(abbrev, next, end);
      p = next;
      if (at === 0 && form === 0) break;
      // DWARF 5's DW_FORM_implicit_const (0x21) keeps its value here, in the table, not in the DIE.
      if (form === 0x21) {
        while (p < end && abbrev[p]! & 0x80) p++;
        if (p >= end) throw pastEnd(1, p);
        p++;
      }
      if (form === DW_FORM.indirect) emitOp(ops, OP_INDIRECT, at);
      else if (form === DW_FORM.strp) emitOp(ops, OP_STRP, 0);
      else if (form === DW_FORM.ref_addr) emitOp(ops, OP_REF_ADDR, version <= 2 ? addrSize : 4);
      else if (form === DW_FORM.sec_offset || (version < 4 && form === DW_FORM.data4)) {
        const c = offsetClass(at);
        if (c === "line") emitOp(ops, OP_LINE, 0);
        else if (c === "ranges") emitOp(ops, OP_RANGES, 0);
        else if (c === "loc") emitOp(ops, OP_LOC, 0);
        else {
          if (at === DW_AT.high_pc) emitOp(ops, OP_HIGH_PC, form);
          emitOp(ops, OP_SKIP, 4);
        }
      } else if (form === DW_FORM.addr && at === DW_AT.low_pc) emitOp(ops, OP_LOW_PC, addrSize);
      else if (form === DW_FORM.addr && at === DW_AT.high_pc) emitOp(ops, OP_HIGH_PC_ADDR, addrSize);
      else {
        if (at === DW_AT.high_pc) emitOp(ops, OP_HIGH_PC, form);
        const n = fixedFormSize(form, addrSize, version);
        if (n >= 0) emitOp(ops, OP_SKIP, n);
        else emitOp(ops, skipOp(form), form);
      }
    }
    // A code defined twice: the last definition counts.
    if (code < DENSE_CODES) {
      first[code] = opsStart;
      last[code] = ops.length;
    } else (sparse ??= new Map()).set(code, [opsStart, ops.length]);
  }
  return { ops: new Int32Array(ops), first, last, sparse };
}

/** Abbreviation codes below this are looked up in an array (clang numbers them 1..n). */
const DENSE_CODES = 1 << 16;

/** The op that skips a value of variable-size `form` (OP_UNKNOWN when it is not a DWARF 2–4 form). */
function skipOp(form: number): number {
  switch (form) {
    case DW_FORM.udata:
    case DW_FORM.ref_udata:
      return OP_ULEB;
    case DW_FORM.sdata:
      return OP_SLEB;
    case DW_FORM.string:
      return OP_CSTR;
    case DW_FORM.block1:
      return OP_BLOCK1;
    case DW_FORM.block2:
      return OP_BLOCK2;
    case DW_FORM.block4:
      return OP_BLOCK4;
    case DW_FORM.block:
    case DW_FORM.exprloc:
      return OP_BLOCK;
    default:
      return OP_UNKNOWN;
  }
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

/**
 * The walk over one object's `__debug_info` DIEs: patches `out` (the
 * object's output copy), records the stmt_list fields and each list's base.
 */
class InfoWalk {
  private readonly info: Uint8Array;
  private readonly out: Uint8Array;
  private readonly abbrev: Uint8Array;
  private readonly relocs: DebugRelocs;
  private readonly mapper: AddressMapper;
  private readonly abbrevBase: number;
  private readonly strBase: number;
  private readonly infoBase: number;
  private readonly rangesOff: number;
  private readonly locOff: number;
  private readonly programs = new Map<number, AbbrevPrograms>();
  /** (field offset, input line offset) per DW_AT_stmt_list. */
  readonly stmtLists: number[] = [];
  /** The base address each range/location list is relative to: its CU's low_pc (§2.17.3, §2.6.2). */
  readonly rangesBase = new Map<number, ListBase>();
  readonly locBase = new Map<number, ListBase>();
  // The unit being walked and the DIE's low_pc/high_pc fields.
  private version = 4;
  private addrSize = 8;
  private base = NO_BASE;
  private lowAt = -1;
  private highAt = -1;
  private highForm = 0;

  constructor(in_: ObjectInfoInput, out: Uint8Array, bases: ObjectBases, mapper: AddressMapper) {
    this.info = in_.info;
    this.out = out;
    this.abbrev = in_.abbrev;
    this.relocs = in_.infoRelocs;
    this.mapper = mapper;
    this.strBase = bases.str;
    this.infoBase = bases.info;
    this.rangesOff = bases.ranges;
    this.locOff = bases.loc;
    this.abbrevBase = bases.abbrev;
  }

  /** Walks the unit at `off` (its DIEs from `hdr` to `end`). */
  unit(off: number, end: number, version: number, abbrevOff: number, addrSize: number, hdr: number): void {
    const info = this.info;
    putUint(this.out, off + 6, 4, abbrevOff + this.abbrevBase);
    const key = abbrevOff * 64 + version * 16 + addrSize;
    let progs = this.programs.get(key);
    if (!progs) this.programs.set(key, (progs = compileAbbrevs(this.abbrev, abbrevOff, version, addrSize)));
    this.version = version;
    this.addrSize = addrSize;
    this.base = NO_BASE;
    let first = true;
    let pos = hdr;
    while (pos < end) {
      // The abbreviation code (ULEB128).
      let code = 0;
      let mul = 1;
      for (;;) {
        if (pos >= end) throw pastEnd(1, pos);
        const b = info[pos++]!;
        code += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) break;
      }
      if (code === 0) continue;
      let i0: number | undefined;
      let i1 = 0;
      if (code < DENSE_CODES) {
        i0 = progs.first[code];
        i1 = progs.last[code]!;
      } else {
        const r = progs.sparse?.get(code);
        if (r) [i0, i1] = r;
      }
      if (i0 === undefined) throw new Error(`unknown abbreviation ${code} at __debug_info+0x${(pos - 1).toString(16)}`);
      this.lowAt = -1;
      this.highAt = -1;
      this.highForm = 0;
      pos = this.attributes(progs.ops, i0, i1, pos, end);
      if (first) {
        // The CU: its [low_pc, high_pc) is the envelope of its live code, and the base of its lists.
        first = false;
        this.base = this.cuRange();
      } else if (this.lowAt >= 0 && this.highAt >= 0 && this.highForm !== DW_FORM.addr) this.deadRange();
    }
  }

  /** Runs one DIE's attribute program, `prog[i0, i1)`, from `pos`; returns the offset after the DIE. */
  private attributes(prog: Int32Array, i0: number, i1: number, pos: number, end: number): number {
    const info = this.info;
    for (let i = i0; i < i1; i += 2) {
      const op = prog[i]!;
      const arg = prog[i + 1]!;
      switch (op) {
        case OP_SKIP:
          pos += arg;
          break;
        case OP_STRP: {
          // The commonest patch (every name): read, rebased and written inline.
          if (pos + 4 > end) throw pastEnd(4, pos);
          const v =
            ((info[pos]! | (info[pos + 1]! << 8) | (info[pos + 2]! << 16) | (info[pos + 3]! << 24)) >>> 0) +
            this.strBase;
          const o = this.out;
          o[pos] = v & 0xff;
          o[pos + 1] = (v >>> 8) & 0xff;
          o[pos + 2] = (v >>> 16) & 0xff;
          o[pos + 3] = v >>> 24;
          pos += 4;
          break;
        }
        case OP_REF_ADDR:
          // A reference into __debug_info (another unit's DIE, as Go writes them): moves with this object's info.
          if (pos + arg > end) throw pastEnd(arg, pos);
          putUint(this.out, pos, arg, readUint(info, pos, arg) + this.infoBase);
          pos += arg;
          break;
        case OP_ULEB:
        case OP_SLEB:
          while (pos < end && info[pos]! & 0x80) pos++;
          if (pos >= end) throw pastEnd(1, pos);
          pos++;
          break;
        case OP_BLOCK: {
          let n = 0;
          let mul = 1;
          for (;;) {
            if (pos >= end) throw pastEnd(1, pos);
            const b = info[pos++]!;
            n += (b & 0x7f) * mul;
            mul *= 128;
            if ((b & 0x80) === 0) break;
          }
          pos += n;
          break;
        }
        case OP_BLOCK1:
          if (pos + 1 > end) throw pastEnd(1, pos);
          pos += 1 + info[pos]!;
          break;
        case OP_BLOCK2:
          if (pos + 2 > end) throw pastEnd(2, pos);
          pos += 2 + (info[pos]! | (info[pos + 1]! << 8));
          break;
        case OP_BLOCK4:
          if (pos + 4 > end) throw pastEnd(4, pos);
          pos += 4 + u32(info, pos);
          break;
        case OP_CSTR: {
          const z = info.indexOf(0, pos);
          if (z < 0 || z >= end) throw new RangeError(`unterminated string at 0x${pos.toString(16)}`);
          pos = z + 1;
          break;
        }
        case OP_LINE:
          if (pos + 4 > end) throw pastEnd(4, pos);
          this.stmtLists.push(pos, u32(info, pos));
          pos += 4;
          break;
        case OP_RANGES:
        case OP_LOC: {
          if (pos + 4 > end) throw pastEnd(4, pos);
          const v = u32(info, pos);
          putU32(this.out, pos, v + (op === OP_RANGES ? this.rangesOff : this.locOff));
          const m = op === OP_RANGES ? this.rangesBase : this.locBase;
          if (!m.has(v)) m.set(v, this.base);
          pos += 4;
          break;
        }
        case OP_LOW_PC:
          this.lowAt = pos;
          pos += arg;
          break;
        case OP_HIGH_PC_ADDR:
          if (pos + arg > end) throw pastEnd(arg, pos);
          this.highAddr(pos);
          pos += arg;
          break;
        case OP_HIGH_PC:
          // A mark: the value's skip op follows.
          this.highAt = pos;
          this.highForm = arg;
          break;
        case OP_INDIRECT:
          pos = this.indirect(arg, pos, end);
          break;
        default:
          throw new Error(`unsupported DW_FORM 0x${arg.toString(16)}`);
      }
      if (pos > end) throw pastEnd(1, end);
    }
    return pos;
  }

  /** A DW_AT_high_pc DW_FORM_addr field at `at`: an end address. */
  private highAddr(at: number): void {
    this.highAt = at;
    this.highForm = DW_FORM.addr;
    const k = this.relocs.find(at);
    if (k >= 0) {
      const size = this.relocs.size[k]!;
      putUint(this.out, at, size, orTomb(this.mapper.resolve(this.relocs, k, readUint(this.info, at, size), true)));
    }
  }

  /** DW_FORM_indirect for attribute `at` at `pos` (the form code, then a value of that form); returns the offset after it. */
  private indirect(at: number, pos: number, end: number): number {
    const r = new Reader(this.info, pos, end);
    const form = skipForm(r, DW_FORM.indirect, this.addrSize, this.version);
    // The value follows the form code.
    const vp = r.pos - valueSize(form, this.addrSize, this.version);
    const info = this.info;
    if (form === DW_FORM.strp) putUint(this.out, vp, 4, readUint(info, vp, 4) + this.strBase);
    else if (form === DW_FORM.ref_addr) {
      const n = this.version <= 2 ? this.addrSize : 4;
      putUint(this.out, vp, n, readUint(info, vp, n) + this.infoBase);
    } else if (form === DW_FORM.sec_offset || (this.version < 4 && form === DW_FORM.data4)) {
      const v = readUint(info, vp, 4);
      const c = offsetClass(at);
      if (c === "line") this.stmtLists.push(vp, v);
      else if (c === "ranges" || c === "loc") {
        putUint(this.out, vp, 4, v + (c === "ranges" ? this.rangesOff : this.locOff));
        const m = c === "ranges" ? this.rangesBase : this.locBase;
        if (!m.has(v)) m.set(v, this.base);
      } else if (at === DW_AT.high_pc) {
        this.highAt = vp;
        this.highForm = form;
      }
    } else if (form === DW_FORM.addr && at === DW_AT.low_pc) this.lowAt = vp;
    else if (at === DW_AT.high_pc) {
      if (form === DW_FORM.addr) this.highAddr(vp);
      else {
        this.highAt = vp;
        this.highForm = form;
      }
    }
    return r.pos;
  }

  /** A dead subprogram (low_pc tombstoned): its [low, low + len) made empty so it claims no code. */
  private deadRange(): void {
    const k = this.relocs.find(this.lowAt);
    if (
      k >= 0 &&
      Number.isNaN(this.mapper.resolve(this.relocs, k, readUint(this.info, this.lowAt, this.addrSize), false))
    ) {
      const n = fixedFormSize(this.highForm, this.addrSize, this.version);
      if (n > 0) putUint(this.out, this.highAt, n, 0);
    }
  }

  /**
   * Rewrites the CU's low_pc/high_pc (when high_pc is a length, as DWARF 4
   * allows, §2.17.2) to the envelope of the live atoms its input range
   * covers: after dead stripping the first function may be gone and the
   * rest moved. Returns the CU's base for its lists.
   */
  private cuRange(): ListBase {
    const { info, relocs, mapper, lowAt, highAt, highForm, addrSize, out } = this;
    if (lowAt < 0) return NO_BASE;
    const k = relocs.find(lowAt);
    if (k < 0 || relocs.minusSect[k]! >= 0 || relocs.sect[k] === 0) return NO_BASE;
    const sect = relocs.sect[k]!;
    const lowIn = relocs.symAddr[k]! + readUint(info, lowAt, addrSize);
    const m = mapper.map(sect, lowIn, false);
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
      if (kh < 0 || relocs.sect[kh] !== sect) return { sect, baseIn: lowIn, baseOut: m < 0 ? TOMBSTONE : m };
      len = relocs.symAddr[kh]! + readUint(info, highAt, addrSize) - lowIn;
    } else if (highAt < 0 || lenSize === 0) return { sect, baseIn: lowIn, baseOut: m < 0 ? TOMBSTONE : m };
    else len = readUint(info, highAt, lenSize);
    // The live atoms of [lowIn, lowIn + len) in that section.
    mapper.liveEnvelope(sect, lowIn, len);
    const lo = mapper.envLo;
    const hi = mapper.envHi;
    if (hi === 0) {
      putUint(out, lowAt, addrSize, TOMBSTONE);
      if (highForm === DW_FORM.addr) putUint(out, highAt, addrSize, TOMBSTONE);
      return { sect, baseIn: lowIn, baseOut: TOMBSTONE };
    }
    putUint(out, lowAt, addrSize, lo);
    if (highForm === DW_FORM.addr) putUint(out, highAt, addrSize, hi);
    else if (hi - lo < 2 ** (8 * lenSize)) putUint(out, highAt, lenSize, hi - lo);
    return { sect, baseIn: lowIn, baseOut: lo };
  }
}

/**
 * Patches a `__debug_ranges` (DWARF 4 §2.17.3) or `__debug_loc` (§2.6.2)
 * section already copied to `out` at `off`. Lists are walked from the start
 * (clang writes them back to back): (0, 0) ends a list, (~0, base) selects
 * a base address, and in location lists each other entry is followed by a
 * 2-byte-length expression. A relocated begin/end pair is absolute and
 * mapped as such; an unrelocated one is relative to the list's base (its
 * CU's low_pc, `bases`, or the last base selection) and is re-expressed
 * against the base's output address. Dead entries become (1, 1): empty, and
 * not the (0, 0) terminator. Relocations are met in offset order, so they
 * are found with a cursor.
 */
function copyLists(
  out: Uint8Array,
  off: number,
  bytes: Uint8Array,
  relocs: DebugRelocs,
  mapper: AddressMapper,
  hasExpr: boolean,
  bases: Map<number, ListBase>,
): void {
  const size = 8;
  const end = bytes.length;
  const roff = relocs.off;
  const rcount = relocs.count;
  let j = 0;
  let pos = 0;
  let base: ListBase | undefined;
  let atStart = true;
  // The last atom mapped: section ordinal, input range [aLo, aHi) and shift.
  let aSect = 0;
  let aLo = 0;
  let aHi = 0;
  let aDelta = 0;
  while (pos + 2 * size <= end) {
    const p = pos;
    if (atStart) base = bases.get(p);
    atStart = false;
    // The entry's two addresses, read inline (one entry per few bytes of the section).
    const begin =
      ((bytes[p + 4]! | (bytes[p + 5]! << 8) | (bytes[p + 6]! << 16) | (bytes[p + 7]! << 24)) >>> 0) * 0x100000000 +
      ((bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24)) >>> 0);
    const fin =
      ((bytes[p + 12]! | (bytes[p + 13]! << 8) | (bytes[p + 14]! << 16) | (bytes[p + 15]! << 24)) >>> 0) * 0x100000000 +
      ((bytes[p + 8]! | (bytes[p + 9]! << 8) | (bytes[p + 10]! << 16) | (bytes[p + 11]! << 24)) >>> 0);
    pos = p + 2 * size;
    while (j < rcount && roff[j]! < p) j++;
    const rb = j < rcount && roff[j] === p ? j : -1;
    let j2 = j;
    while (j2 < rcount && roff[j2]! < p + size) j2++;
    const re = j2 < rcount && roff[j2] === p + size ? j2 : -1;
    if (begin === 0 && fin === 0 && rb < 0 && re < 0) {
      atStart = true;
      continue;
    }
    if (begin >= 2 ** 63) {
      // Base address selection: the base is a start address.
      if (re >= 0 && relocs.sect[re] !== 0) {
        const m = orTomb(mapper.resolve(relocs, re, fin, false));
        putUint(out, off + p + size, size, m);
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
        // Both ends through the atom cache: a start through its own byte, an end through the one before it.
        const sect = base.sect;
        const inB = base.baseIn + begin;
        const inE = base.baseIn + fin;
        let mb: number;
        let me: number;
        if (sect === aSect && inB >= aLo && inB < aHi) mb = inB + aDelta;
        else {
          mb = mapper.map(sect, inB, false);
          if (mb >= 0) {
            aSect = sect;
            aLo = mapper.startIn;
            aHi = mapper.endIn;
            aDelta = mb - inB;
          }
        }
        if (sect === aSect && inE - 1 >= aLo && inE - 1 < aHi) me = inE + aDelta;
        else {
          me = mapper.map(sect, inE, true);
          if (me >= 0) {
            aSect = sect;
            aLo = mapper.startIn;
            aHi = mapper.endIn;
            aDelta = me - inE;
          }
        }
        b = mb >= 0 && me >= 0 ? mb - base.baseOut : Number.NaN;
        e = mb >= 0 && me >= 0 ? me - base.baseOut : Number.NaN;
      }
    }
    // Either end NaN (does not map), or the range reversed.
    if (!(e >= b)) {
      const empty = begin !== fin || rb >= 0 || re >= 0;
      b = empty ? 1 : begin;
      e = empty ? 1 : fin;
    }
    if (b !== begin) putUint(out, off + p, size, b);
    if (e !== fin) putUint(out, off + p + size, size, e);
    if (hasExpr) {
      if (pos + 2 > end) throw pastEnd(2, pos);
      const n = bytes[pos]! | (bytes[pos + 1]! << 8);
      pos += 2;
      if (pos + n > end) throw pastEnd(n, pos);
      pos += n;
    }
  }
}

/**
 * Re-encodes every line unit of one object's `__debug_line` (`bytes`)
 * with output addresses, appending to `w`, one output unit per input unit
 * in order (`placeStmtLists` pairs them up). Each unit keeps its header (so
 * the file and directory tables, and header_length, are unchanged; only
 * unit_length is new) and its program is run, mapped and re-encoded row by
 * row (`rewriteLineProgram`). A unit whose program cannot be run keeps its
 * header and loses its rows (a warning).
 */
function rewriteLines(
  w: Writer,
  bytes: Uint8Array,
  relocs: DebugRelocs,
  mapper: AddressMapper,
  warnings: string[],
): void {
  for (let p = 0; p < bytes.length; ) {
    const h = readLineHeader(bytes, p);
    const start = w.length;
    w.u32(0);
    w.bytes(bytes.subarray(p + 4, h.programStart));
    const program = w.length;
    let ok = true;
    try {
      ok = rewriteLineProgram(bytes, h, relocs, mapper, w);
    } catch (e) {
      // A writer over a fixed region that is full: the caller's to handle (it retries with room).
      if (e instanceof WriterFull) throw e;
      warnings.push(`line table at 0x${p.toString(16)} dropped: ${(e as Error).message}`);
      w.length = program; // its rows dropped
    }
    if (!ok) throw new Error("line rows out of order");
    w.patch32(start, w.length - start - 4);
    p = h.end;
  }
}

/** `v`, or the tombstone when `v` is NaN (an address that does not map). */
function orTomb(v: number): number {
  return Number.isNaN(v) ? TOMBSTONE : v;
}

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function putU32(b: Uint8Array, at: number, v: number): void {
  const x = v >>> 0;
  b[at] = x & 0xff;
  b[at + 1] = (x >>> 8) & 0xff;
  b[at + 2] = (x >>> 16) & 0xff;
  b[at + 3] = x >>> 24;
}

/**
 * Writes `v` as an unsigned little-endian integer of `size` bytes at `at`
 * in `b`; other sizes are ignored (a relocation of a size DWARF never
 * uses). Negative or huge values wrap modulo 2^(8 size).
 */
export function putUint(b: Uint8Array, at: number, size: number, v: number): void {
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) return;
  if (at + size > b.length || at < 0)
    throw new RangeError(`write of ${size} bytes at 0x${at.toString(16)} past the end`);
  if (size === 1) {
    b[at] = v & 0xff;
  } else if (size === 2) {
    const x = v & 0xffff;
    b[at] = x & 0xff;
    b[at + 1] = x >>> 8;
  } else if (size === 4) {
    putU32(b, at, v);
  } else if (v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v)) {
    putU32(b, at, v >>> 0);
    putU32(b, at + 4, Math.floor(v / 0x100000000));
  } else {
    // Negative (a SUBTRACTOR difference) or huge: two's complement modulo 2^64.
    new DataView(b.buffer, b.byteOffset, b.byteLength).setBigUint64(at, BigInt.asUintN(64, BigInt(v)), true);
  }
}
