/**
 * DWARF 4 attribute forms and abbreviation tables.
 *
 * A `.debug_info` DIE is an abbreviation code (ULEB128) followed by one value
 * per attribute its abbreviation lists; the abbreviation (DWARF 4 §7.5.3)
 * gives the tag, whether children follow, and (attribute, form) pairs ending
 * in (0, 0). The form decides how many bytes a value takes (§7.5.4, Figure 20
 * and the form table, Figure 21):
 *
 * - fixed: addr (address_size), data1/2/4/8, ref1/2/4/8, flag (1), ref_sig8
 *   (8), flag_present (0 bytes: the attribute is true by being there);
 * - section offsets: strp, sec_offset, and ref_addr in version 3 and later,
 *   are 4 bytes in 32-bit DWARF (§7.4); ref_addr was address-sized in
 *   version 2 (§7.5.4, "ref_addr");
 * - variable: udata/sdata/ref_udata (LEB128), string (NUL-terminated),
 *   block1/2/4 (length then bytes), block and exprloc (ULEB128 length then
 *   bytes), and indirect (a ULEB128 form code, then a value of that form).
 *
 * Which values point into another section is decided by form and attribute
 * together (§7.5.4 "classes"): strp → `.debug_str`; ref_addr → `.debug_info`;
 * sec_offset (or, in versions 2 and 3, data4/data8 — §7.5.4 notes the class
 * is decided by the attribute there) → `.debug_line` for DW_AT_stmt_list
 * (lineptr), `.debug_ranges` for DW_AT_ranges and DW_AT_start_scope
 * (rangelistptr), `.debug_loc` for location-class attributes (loclistptr,
 * §7.5.4 Figure 20: DW_AT_location, DW_AT_frame_base, …). In a Mach-O
 * object none of these carry relocations: each is an offset assuming every
 * section starts at 0 in that object, so the linker adds the section's base
 * in the merged output. DWARF 5 forms (strx, addrx, data16, line_strp,
 * implicit_const, rnglistx, loclistx) are not handled: tsld merges DWARF 2–4
 * units and skips DWARF 5 ones with a warning.
 */
import { Reader } from "./bytes.js";

export const DW_FORM = {
  addr: 0x01,
  block2: 0x03,
  block4: 0x04,
  data2: 0x05,
  data4: 0x06,
  data8: 0x07,
  string: 0x08,
  block: 0x09,
  block1: 0x0a,
  data1: 0x0b,
  flag: 0x0c,
  sdata: 0x0d,
  strp: 0x0e,
  udata: 0x0f,
  ref_addr: 0x10,
  ref1: 0x11,
  ref2: 0x12,
  ref4: 0x13,
  ref8: 0x14,
  ref_udata: 0x15,
  indirect: 0x16,
  sec_offset: 0x17,
  exprloc: 0x18,
  flag_present: 0x19,
  ref_sig8: 0x20,
} as const;

export const DW_AT = {
  location: 0x02,
  stmt_list: 0x10,
  low_pc: 0x11,
  high_pc: 0x12,
  string_length: 0x19,
  return_addr: 0x2a,
  start_scope: 0x2c,
  data_member_location: 0x38,
  frame_base: 0x40,
  macro_info: 0x43,
  segment: 0x46,
  static_link: 0x48,
  use_location: 0x4a,
  vtable_elem_location: 0x4d,
  ranges: 0x55,
} as const;

/** Which section a section-offset attribute value points into. */
export type OffsetClass = "line" | "ranges" | "loc" | "none";

const LOC_ATTRS: ReadonlySet<number> = new Set([
  DW_AT.location,
  DW_AT.string_length,
  DW_AT.return_addr,
  DW_AT.data_member_location,
  DW_AT.frame_base,
  DW_AT.segment,
  DW_AT.static_link,
  DW_AT.use_location,
  DW_AT.vtable_elem_location,
]);

/** The section a sec_offset (or v2/v3 data4/data8) value of attribute `at` points into. */
export function offsetClass(at: number): OffsetClass {
  if (at === DW_AT.stmt_list) return "line";
  if (at === DW_AT.ranges || at === DW_AT.start_scope) return "ranges";
  if (LOC_ATTRS.has(at)) return "loc";
  return "none";
}

/** One abbreviation: tag, children flag and its (attribute, form) pairs. */
export interface Abbrev {
  code: number;
  tag: number;
  children: boolean;
  attrs: number[];
  forms: number[];
}

/**
 * Parses the abbreviation table at `off` in `buf` (up to `end`): entries
 * until a 0 code (§7.5.3). Codes are keyed in a Map; clang numbers them
 * 1..n, but the format allows any.
 */
export function parseAbbrevs(buf: Uint8Array, off: number, end = buf.length): Map<number, Abbrev> {
  const r = new Reader(buf, off, end);
  const out = new Map<number, Abbrev>();
  for (;;) {
    const a = readAbbrev(r);
    if (!a) return out;
    out.set(a.code, a);
  }
}

/**
 * Abbreviation `code` of the table at `off` in `buf`, read up to it and no
 * further (a unit's first DIE uses the table's first entry in clang's
 * output, so finding it costs one entry, not the table); undefined when the
 * table ends first. Throws a RangeError on a table cut short.
 */
export function findAbbrev(buf: Uint8Array, off: number, code: number, end = buf.length): Abbrev | undefined {
  const r = new Reader(buf, off, end);
  for (;;) {
    const a = readAbbrev(r);
    if (!a || a.code === code) return a;
  }
}

/** The entry at the reader's position, or undefined at the table's 0 code. */
function readAbbrev(r: Reader): Abbrev | undefined {
  const code = r.uleb();
  if (code === 0) return undefined;
  const tag = r.uleb();
  const children = r.u8() !== 0;
  const attrs: number[] = [];
  const forms: number[] = [];
  for (;;) {
    const at = r.uleb();
    const form = r.uleb();
    if (at === 0 && form === 0) break;
    // DWARF 5's DW_FORM_implicit_const (0x21) keeps its value here, in the table, not in the DIE.
    if (form === 0x21) r.sleb();
    attrs.push(at);
    forms.push(form);
  }
  return { code, tag, children, attrs, forms };
}

/**
 * The size of a value of a fixed-size `form`, or -1 when the size depends on
 * the bytes (LEB128, strings, blocks, indirect) or the form is unknown.
 * `addrSize` is the unit's address size, `version` its DWARF version.
 */
export function fixedFormSize(form: number, addrSize: number, version: number): number {
  switch (form) {
    case DW_FORM.addr:
      return addrSize;
    case DW_FORM.data1:
    case DW_FORM.ref1:
    case DW_FORM.flag:
      return 1;
    case DW_FORM.data2:
    case DW_FORM.ref2:
      return 2;
    case DW_FORM.data4:
    case DW_FORM.ref4:
    case DW_FORM.strp:
    case DW_FORM.sec_offset:
      return 4;
    case DW_FORM.data8:
    case DW_FORM.ref8:
    case DW_FORM.ref_sig8:
      return 8;
    case DW_FORM.ref_addr:
      return version <= 2 ? addrSize : 4;
    case DW_FORM.flag_present:
      return 0;
    default:
      return -1;
  }
}

/**
 * Skips one value of `form` at the reader's position and returns the form
 * actually read (after DW_FORM_indirect). Throws on an unknown form.
 */
export function skipForm(r: Reader, form: number, addrSize: number, version: number): number {
  if (form === DW_FORM.indirect) return skipForm(r, r.uleb(), addrSize, version);
  const n = fixedFormSize(form, addrSize, version);
  if (n >= 0) {
    r.skip(n);
    return form;
  }
  switch (form) {
    case DW_FORM.udata:
    case DW_FORM.ref_udata:
      r.uleb();
      return form;
    case DW_FORM.sdata:
      r.sleb();
      return form;
    case DW_FORM.string:
      r.cstr();
      return form;
    case DW_FORM.block1:
      r.skip(r.u8());
      return form;
    case DW_FORM.block2:
      r.skip(r.u16());
      return form;
    case DW_FORM.block4:
      r.skip(r.u32());
      return form;
    case DW_FORM.block:
    case DW_FORM.exprloc:
      r.skip(r.uleb());
      return form;
    default:
      throw new Error(`unsupported DW_FORM 0x${form.toString(16)}`);
  }
}
