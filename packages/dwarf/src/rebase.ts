/**
 * Rebasing one object's debug info inside a relocatable output (`-r`).
 *
 * References between `__DWARF` sections carry no relocations in a Mach-O
 * object: a unit's debug_abbrev_offset, a DW_FORM_strp, a stmt_list and the
 * other section offsets (DWARF 4 §7.5.4 lineptr, rangelistptr, loclistptr)
 * all assume each section starts at 0 in that object. When `-r` concatenates
 * several objects' debug sections, every object after the first finds its
 * contributions at a base offset, so each such value gets its section's base
 * added, as a linker that merges DWARF must (the image's dwarf stage does
 * the same while it also maps addresses). Machine addresses are not touched:
 * they keep their relocations, which the `-r` writer re-emits.
 *
 * Units: DWARF 2–4 compile units (32-bit format, §7.4), the only ones clang
 * writes for Mach-O by default. A DWARF 5 unit or a 64-bit one is reported
 * (thrown) when its object is not the first contributor, where it would need
 * string-offset tables rebased as well.
 */
import { Reader } from "./bytes.js";
import { DW_FORM, offsetClass, parseAbbrevs, skipForm } from "./forms.js";

/** Where an object's contribution to each debug section starts in the merged output (bytes). */
export interface DebugBases {
  info: number;
  abbrev: number;
  str: number;
  line: number;
  ranges: number;
  loc: number;
}

/**
 * Adds `bases` to every cross-section offset of the units in `info` (the
 * object's `__debug_info` bytes, already copied to the output and rewritten
 * in place); `abbrev` is the object's own `__debug_abbrev`. Throws with the
 * unit's offset when a unit cannot be walked.
 */
export function rebaseDebugInfo(info: Uint8Array, abbrev: Uint8Array, bases: DebugBases): void {
  if (Object.values(bases).every((b) => b === 0)) return;
  const view = new DataView(info.buffer, info.byteOffset, info.byteLength);
  const add = (at: number, base: number): void => {
    if (base !== 0) view.setUint32(at, view.getUint32(at, true) + base, true);
  };
  let unit = 0;
  while (unit + 11 <= info.length) {
    const len = view.getUint32(unit, true);
    if (len >= 0xfffffff0) throw new Error(`unit at 0x${unit.toString(16)}: 64-bit DWARF is not supported`);
    const end = unit + 4 + len;
    const version = view.getUint16(unit + 4, true);
    if (version < 2 || version > 4)
      throw new Error(`unit at 0x${unit.toString(16)}: DWARF ${version} units are not supported here`);
    const abbrevOff = view.getUint32(unit + 6, true);
    add(unit + 6, bases.abbrev);
    const addrSize = info[unit + 10]!;
    const abbrevs = parseAbbrevs(abbrev, abbrevOff);
    const r = new Reader(info, unit + 11, Math.min(end, info.length));
    while (r.pos < r.end) {
      const code = r.uleb();
      if (code === 0) continue;
      const ab = abbrevs.get(code);
      if (!ab) throw new Error(`unit at 0x${unit.toString(16)}: abbreviation ${code} is not defined`);
      for (let k = 0; k < ab.forms.length; k++) {
        const at = r.pos;
        let form = ab.forms[k]!;
        if (form === DW_FORM.indirect) {
          form = r.uleb();
          const p = r.pos;
          skipForm(r, form, addrSize, version);
          fix(form, ab.attrs[k]!, p, version);
          continue;
        }
        skipForm(r, form, addrSize, version);
        fix(form, ab.attrs[k]!, at, version);
      }
    }
    unit = end;
  }

  function fix(form: number, attr: number, at: number, version: number): void {
    if (form === DW_FORM.strp) add(at, bases.str);
    else if (form === DW_FORM.ref_addr && version >= 3) add(at, bases.info);
    else if (form === DW_FORM.sec_offset || (form === DW_FORM.data4 && version < 4)) {
      // data4 is an offset only in DWARF 2/3 units; clang's v4 uses sec_offset.
      const c = offsetClass(attr);
      if (c === "line") add(at, bases.line);
      else if (c === "ranges") add(at, bases.ranges);
      else if (c === "loc") add(at, bases.loc);
    }
  }
}
