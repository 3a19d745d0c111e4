import { describe, expect, it } from "vitest";
import { Reader, Writer } from "./bytes.js";
import { DW_FORM, findAbbrev, fixedFormSize, offsetClass, parseAbbrevs, skipForm } from "./forms.js";
import { type LineRow, decodeLineProgram, encodeLineProgram, readLineHeader } from "./line.js";

describe("LEB128", () => {
  it.each([0, 1, 127, 128, 624485, 2 ** 40 + 3])("uleb round-trips %d", (v) => {
    const w = new Writer();
    w.uleb(v);
    expect(new Reader(w.finish()).uleb()).toBe(v);
  });
  it.each([0, 1, -1, 63, 64, -64, -65, -123456, 2 ** 35])("sleb round-trips %d", (v) => {
    const w = new Writer();
    w.sleb(v);
    expect(new Reader(w.finish()).sleb()).toBe(v);
  });
  it("spec examples (DWARF 4 Figure 22/23)", () => {
    const w = new Writer();
    w.uleb(12857);
    w.sleb(-128);
    expect([...w.finish()]).toEqual([0xb9, 0x64, 0x80, 0x7f]);
  });
});

describe("forms", () => {
  it("fixed sizes", () => {
    expect(fixedFormSize(DW_FORM.addr, 8, 4)).toBe(8);
    expect(fixedFormSize(DW_FORM.ref_addr, 8, 2)).toBe(8);
    expect(fixedFormSize(DW_FORM.ref_addr, 8, 4)).toBe(4);
    expect(fixedFormSize(DW_FORM.strp, 8, 4)).toBe(4);
    expect(fixedFormSize(DW_FORM.sec_offset, 8, 4)).toBe(4);
    expect(fixedFormSize(DW_FORM.flag_present, 8, 4)).toBe(0);
    expect(fixedFormSize(DW_FORM.ref_sig8, 8, 4)).toBe(8);
    expect(fixedFormSize(DW_FORM.exprloc, 8, 4)).toBe(-1);
  });
  it("skips variable forms, including indirect", () => {
    const b = new Uint8Array([3, 1, 2, 3, 0x61, 0x62, 0, 0x80, 0x01, DW_FORM.data2, 9, 9, 0xee]);
    const r = new Reader(b);
    skipForm(r, DW_FORM.exprloc, 8, 4);
    skipForm(r, DW_FORM.string, 8, 4);
    skipForm(r, DW_FORM.udata, 8, 4);
    expect(skipForm(r, DW_FORM.indirect, 8, 4)).toBe(DW_FORM.data2);
    expect(r.pos).toBe(12);
  });
  it("classes of section offsets", () => {
    expect(offsetClass(0x10)).toBe("line");
    expect(offsetClass(0x55)).toBe("ranges");
    expect(offsetClass(0x02)).toBe("loc");
    expect(offsetClass(0x03)).toBe("none");
  });
  it("parses an abbreviation table", () => {
    // 1: compile_unit, children, (name, strp) (stmt_list, sec_offset); 2: base_type, no children, (name, string)
    const b = new Uint8Array([1, 0x11, 1, 0x03, 0x0e, 0x10, 0x17, 0, 0, 2, 0x24, 0, 0x03, 0x08, 0, 0, 0]);
    const t = parseAbbrevs(b, 0);
    expect(t.get(1)).toEqual({ code: 1, tag: 0x11, children: true, attrs: [0x03, 0x10], forms: [0x0e, 0x17] });
    expect(t.get(2)!.children).toBe(false);
    expect(t.size).toBe(2);
  });
  it("finds one abbreviation, reading no further than it", () => {
    // 1: compile_unit (name, strp); 2: base_type (name, string); then bytes that are no table (a table cut short).
    const b = new Uint8Array([1, 0x11, 1, 0x03, 0x0e, 0, 0, 2, 0x24, 0, 0x03, 0x08, 0, 0, 3, 0x2e]);
    expect(findAbbrev(b, 0, 1)).toEqual({ code: 1, tag: 0x11, children: true, attrs: [0x03], forms: [0x0e] });
    expect(findAbbrev(b, 0, 2)!.tag).toBe(0x24);
    expect(() => findAbbrev(b, 0, 3)).toThrow(RangeError);
    expect(() => parseAbbrevs(b, 0)).toThrow(RangeError);
    expect(findAbbrev(new Uint8Array([1, 0x11, 0, 0, 0, 0]), 0, 7)).toBeUndefined();
  });
});

describe("line programs", () => {
  const header = (): Uint8Array => {
    const w = new Writer();
    w.u32(0);
    w.u16(4);
    w.u32(0);
    const hs = w.length;
    w.bytes(new Uint8Array([1, 1, 1, 0xfb, 14, 13, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1]));
    w.u8(0); // no include dirs
    w.bytes(new Uint8Array([0x61, 0x2e, 0x63, 0, 0, 0, 0])); // "a.c"
    w.u8(0);
    const b = w.finish();
    new DataView(b.buffer).setUint32(6, b.length - hs, true);
    return b;
  };
  it("encode then decode gives the same rows", () => {
    const hb = header();
    const row = (address: number, line: number, extra: Partial<LineRow> = {}): LineRow => ({
      address,
      file: 1,
      line,
      column: 0,
      isStmt: true,
      basicBlock: false,
      endSequence: false,
      prologueEnd: false,
      epilogueBegin: false,
      isa: 0,
      discriminator: 0,
      ...extra,
    });
    const rows = [
      row(0x1000, 3),
      row(0x1004, 4, { prologueEnd: true, column: 7 }),
      row(0x1100, 90),
      row(0x1101, 2, { isStmt: false, discriminator: 3 }),
      row(0x1110, 2, { endSequence: true, isStmt: false }),
      row(0x2000, 10, { file: 1 }),
      row(0x2008, 10, { endSequence: true }),
    ];
    const w = new Writer();
    w.bytes(hb);
    const h0 = readLineHeader(hb, 0, hb.length);
    encodeLineProgram(w, h0, rows, 8);
    const b = w.finish();
    new DataView(b.buffer).setUint32(0, b.length - 4, true);
    const h = readLineHeader(b, 0);
    const got = decodeLineProgram(b, h, (at, size) => new Reader(b, at).uint(size));
    expect(got).toEqual(rows);
  });
});
