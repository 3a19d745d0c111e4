/**
 * The name of an object's compile unit: what a debug map says the object
 * was compiled from.
 *
 * A Mach-O debug map (the STABS entries ld64 and lld write for `dsymutil`)
 * opens each object's run with `N_SO` entries naming its source file. They
 * come from the first compile unit's DIE in `__debug_info` (DWARF 5 §3.1.1,
 * DWARF 4 §3.1.1): `DW_AT_name` (the primary source file, absolute or
 * relative to the compilation directory) and `DW_AT_comp_dir`.
 *
 * Only the unit header (§7.5.1.1: 32-bit unit_length, version, then
 * abbrev offset and address size, whose order DWARF 5 swaps and precedes
 * with unit_type) and the first DIE are read. The DIE's abbreviation is
 * looked up on its own (§7.5.3; DWARF 5's DW_FORM_implicit_const carries its
 * value in the abbreviation). Strings are inline (`DW_FORM_string`), in
 * `__debug_str` (`strp`), in `__debug_line_str` (`line_strp`, DWARF 5) or
 * indexed through `__debug_str_offs` (`strx*`, DWARF 5 §7.26, from the unit's
 * `DW_AT_str_offsets_base`).
 */
import { Reader } from "./bytes.js";
import { findAbbrev, skipForm } from "./forms.js";

/** The debug sections of one object that name its compile unit (absent ones empty). */
export interface UnitNameSections {
  info: Uint8Array;
  abbrev: Uint8Array;
  str: Uint8Array;
  lineStr?: Uint8Array;
  strOffsets?: Uint8Array;
}

/** A compile unit's `DW_AT_name` and `DW_AT_comp_dir` ("" when absent). */
export interface CompileUnitName {
  name: string;
  compDir: string;
}

const DW_TAG_compile_unit = 0x11;
const DW_AT_name = 0x03;
const DW_AT_comp_dir = 0x1b;
const DW_AT_str_offsets_base = 0x72;
const FORM_string = 0x08;
const FORM_strp = 0x0e;
const FORM_data4 = 0x06;
const FORM_sec_offset = 0x17;
const FORM_strx = 0x1a;
const FORM_line_strp = 0x1f;
const FORM_implicit_const = 0x21;
const FORM_strx1 = 0x25;
const FORM_strx4 = 0x28;
const FORM_data16 = 0x1e;
const FORM_addrx = 0x1b;
const FORM_addrx1 = 0x29;
const FORM_addrx4 = 0x2c;
const FORM_rnglistx = 0x23;
const FORM_loclistx = 0x22;

/** A string value as read: inline text, or where to find it. */
type StrValue = { text: string } | { strp: number } | { lineStrp: number } | { strx: number };

/**
 * The first compile unit's name and directory, or undefined when the object
 * has no compile unit (no `__debug_info`, a type unit first, a skeleton
 * unit) or its header or DIE cannot be read (64-bit DWARF, unknown forms).
 */
export function readCompileUnitName(s: UnitNameSections): CompileUnitName | undefined {
  try {
    return read(s);
  } catch {
    return undefined;
  }
}

function read(s: UnitNameSections): CompileUnitName | undefined {
  if (s.info.length < 11) return undefined;
  const r = new Reader(s.info);
  const len = r.u32();
  if (len >= 0xfffffff0) return undefined;
  r.end = Math.min(s.info.length, 4 + len);
  const version = r.u16();
  let abbrevOff: number;
  let addrSize: number;
  if (version >= 5) {
    const unitType = r.u8();
    if (unitType !== 1 /* DW_UT_compile */) return undefined;
    addrSize = r.u8();
    abbrevOff = r.u32();
  } else if (version >= 2) {
    abbrevOff = r.u32();
    addrSize = r.u8();
  } else return undefined;
  const code = r.uleb();
  const ab = findAbbrev(s.abbrev, abbrevOff, code);
  if (!ab || ab.tag !== DW_TAG_compile_unit) return undefined;
  let name: StrValue | undefined;
  let dir: StrValue | undefined;
  let strOffsetsBase = 8; // the first entry after a 32-bit str_offsets header
  for (let k = 0; k < ab.attrs.length; k++) {
    const at = ab.attrs[k]!;
    let form = ab.forms[k]!;
    if (form === 0x16 /* indirect */) form = r.uleb();
    if (at === DW_AT_name || at === DW_AT_comp_dir) {
      const v = readStr(r, form);
      if (at === DW_AT_name) name = v;
      else dir = v;
      continue;
    }
    if (at === DW_AT_str_offsets_base && (form === FORM_sec_offset || form === FORM_data4)) {
      strOffsetsBase = r.u32();
      continue;
    }
    if (form === FORM_implicit_const) continue;
    skipFormV5(r, form, addrSize, version);
  }
  if (!name) return undefined;
  const resolve = (v: StrValue | undefined): string => {
    if (!v) return "";
    if ("text" in v) return v.text;
    if ("strp" in v) return cstrAt(s.str, v.strp);
    if ("lineStrp" in v) return cstrAt(s.lineStr ?? new Uint8Array(0), v.lineStrp);
    const offs = s.strOffsets ?? new Uint8Array(0);
    const at = strOffsetsBase + v.strx * 4;
    if (at + 4 > offs.length) throw new RangeError(`string index ${v.strx} past __debug_str_offs`);
    return cstrAt(s.str, new DataView(offs.buffer, offs.byteOffset, offs.byteLength).getUint32(at, true));
  };
  return { name: resolve(name), compDir: resolve(dir) };
}

function readStr(r: Reader, form: number): StrValue {
  switch (form) {
    case FORM_string: {
      const start = r.pos;
      r.cstr();
      return { text: decodeUtf8(r.buf, start, r.pos - 1) };
    }
    case FORM_strp:
      return { strp: r.u32() };
    case FORM_line_strp:
      return { lineStrp: r.u32() };
    case FORM_strx:
      return { strx: r.uleb() };
    default:
      if (form >= FORM_strx1 && form <= FORM_strx4) return { strx: readN(r, form - FORM_strx1 + 1) };
      throw new Error(`DW_AT_name in form 0x${form.toString(16)}`);
  }
}

/** A little-endian unsigned integer of `n` bytes (1–4; strx3 and addrx3 are 3). */
function readN(r: Reader, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v += r.u8() * 2 ** (8 * i);
  return v;
}

/** skipForm plus the DWARF 5 forms a compile unit DIE carries. */
function skipFormV5(r: Reader, form: number, addrSize: number, version: number): void {
  if (form >= FORM_strx1 && form <= FORM_strx4) r.skip(form - FORM_strx1 + 1);
  else if (form >= FORM_addrx1 && form <= FORM_addrx4) r.skip(form - FORM_addrx1 + 1);
  else if (form === FORM_strx || form === FORM_addrx || form === FORM_rnglistx || form === FORM_loclistx) r.uleb();
  else if (form === FORM_line_strp) r.skip(4);
  else if (form === FORM_data16) r.skip(16);
  else skipForm(r, form, addrSize, version);
}

const utf8 = new TextDecoder();

function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  return utf8.decode(buf.subarray(start, end));
}

function cstrAt(buf: Uint8Array, off: number): string {
  let end = off;
  while (end < buf.length && buf[end] !== 0) end++;
  if (end >= buf.length) throw new RangeError(`string at 0x${off.toString(16)} runs past its section`);
  return decodeUtf8(buf, off, end);
}
