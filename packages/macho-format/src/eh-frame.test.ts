import { describe, expect, it } from "vitest";
import { type EhCie, ehPointerSize, readEhRecord } from "./eh-frame.js";

/** A record: u32 length, u32 id, body, padded to 4 bytes. */
function record(id: number, body: number[]): number[] {
  const pad = (4 - ((8 + body.length) % 4)) % 4;
  const len = 4 + body.length + pad;
  const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
  return [...u32(len), ...u32(id), ...body, ...new Array<number>(pad).fill(0)];
}

// What clang writes for a C++ function with a landing pad: CIE "zPLR"
// (personality indirect|pcrel|sdata4, LSDA pcrel|absptr, FDE pcrel|absptr)...
const CIE = record(0, [
  1, // version
  ...Buffer.from("zPLR\0"),
  1, // code alignment
  0x78, // data alignment -8
  16, // return address register (u8 in version 1)
  11, // augmentation data length
  0x9b, // P: indirect|pcrel|sdata4
  0,
  0,
  0,
  0,
  0x10, // L: pcrel|absptr
  0x10, // R: pcrel|absptr
  0x0c,
  0x07,
  0x08,
  0x90,
  0x01,
]);
// ...and its FDE: pc_begin, pc_range (8 bytes each), augmentation length 8, LSDA pointer.
const fdeAt = CIE.length;
const FDE = record(fdeAt + 4, [...new Array<number>(16).fill(0), 8, ...new Array<number>(8).fill(0), 0x41, 0x0e]);

function read(bytes: number[], off: number, size: number, cies: Map<number, EhCie>) {
  const data = Uint8Array.from(bytes);
  return readEhRecord(data, new DataView(data.buffer), 0, off, size, cies);
}

describe("readEhRecord", () => {
  it("decodes a zPLR CIE and its FDE's pc_begin and LSDA fields", () => {
    const cies = new Map<number, EhCie>();
    const bytes = [...CIE, ...FDE];
    expect(read(bytes, 0, CIE.length, cies)).toEqual({ kind: "cie", cie: { fdeEnc: 0x10, lsdaEnc: 0x10, augZ: true } });
    expect(read(bytes, fdeAt, FDE.length, cies)).toEqual({
      kind: "fde",
      cie: { fdeEnc: 0x10, lsdaEnc: 0x10, augZ: true },
      cieOff: 0,
      pcBeginOff: fdeAt + 8,
      pcSize: 8,
      lsdaOff: fdeAt + 8 + 16 + 1,
      lsdaSize: 8,
    });
  });

  it("an FDE before (or without) its CIE is an orphan; terminators and short records are skipped", () => {
    expect(read([...CIE, ...FDE], fdeAt, FDE.length, new Map())).toEqual({ kind: "orphan", cieOff: 0 });
    expect(read([0, 0, 0, 0], 0, 4, new Map())).toEqual({ kind: "skip" });
    expect(read([0, 0, 0, 0, 0, 0, 0, 0], 0, 8, new Map())).toEqual({ kind: "skip" });
  });

  it("a CIE cut short is malformed, never read past its end", () => {
    const cut = CIE.slice(0, 14);
    cut[0] = 10; // length 10: the record ends inside the augmentation data
    const cies = new Map<number, EhCie>();
    const r = read([...cut, 0xff, 0xff, 0xff, 0xff], 0, cut.length, cies);
    expect(r.kind).toBe("malformed");
    expect(r.kind === "malformed" && r.record).toBe("CIE");
    expect(cies.size).toBe(0);
  });

  it("pointer sizes follow the encoding's low nibble", () => {
    expect([0x00, 0x02, 0x03, 0x04, 0x0a, 0x0b, 0x0c, 0x1b, 0x01].map(ehPointerSize)).toEqual([
      8, 2, 4, 8, 2, 4, 8, 4, -1,
    ]);
  });
});
