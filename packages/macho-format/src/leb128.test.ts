import { describe, expect, it } from "vitest";
import { MachOFormatError } from "./errors.js";
import {
  lebCursor,
  readSLEB,
  readSLEB128,
  readULEB,
  readULEB128,
  slebSize,
  ulebSize,
  writeSLEB128,
  writeULEB128,
  writeULEB128Padded,
} from "./leb128.js";

function encU(v: number): number[] {
  const buf = new Uint8Array(16);
  const end = writeULEB128(buf, 0, v);
  return [...buf.subarray(0, end)];
}

function encS(v: number): number[] {
  const buf = new Uint8Array(16);
  const end = writeSLEB128(buf, 0, v);
  return [...buf.subarray(0, end)];
}

/** Reference encoders with bigint (the LLVM algorithm). */
function refU(v: bigint): number[] {
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return out;
}

function refS(v: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const MAX = Number.MAX_SAFE_INTEGER;

describe("ULEB128", () => {
  it("encodes the classic values", () => {
    expect(encU(0)).toEqual([0]);
    expect(encU(127)).toEqual([0x7f]);
    expect(encU(128)).toEqual([0x80, 0x01]);
    expect(encU(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(encU(2 ** 32)).toEqual(refU(2n ** 32n));
    expect(encU(MAX)).toEqual(refU(BigInt(MAX)));
  });

  it("round-trips edge values and reports sizes", () => {
    const values = [
      0,
      1,
      127,
      128,
      16383,
      16384,
      2 ** 21 - 1,
      2 ** 21,
      2 ** 28 - 1,
      2 ** 28,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 35,
      2 ** 49,
      2 ** 52 + 12345,
      MAX,
    ];
    for (const v of values) {
      const bytes = Uint8Array.from(encU(v));
      expect(bytes.length, `size of ${v}`).toBe(ulebSize(v));
      expect(bytes.length).toBe(refU(BigInt(v)).length);
      expect(readULEB128(bytes, 0)).toBe(v);
      expect(lebCursor.next).toBe(bytes.length);
      expect(readULEB(bytes, 0)).toEqual({ value: v, next: bytes.length });
    }
  });

  it("round-trips random values at an offset", () => {
    const buf = new Uint8Array(12 * 2000);
    const vals: number[] = [];
    let off = 3;
    for (let i = 0; i < 2000; i++) {
      const v = Math.floor(Math.random() * 2 ** (1 + (i % 53)));
      vals.push(v);
      off = writeULEB128(buf, off, v);
    }
    off = 3;
    for (const v of vals) {
      expect(readULEB128(buf, off)).toBe(v);
      off = lebCursor.next;
    }
  });

  it("accepts redundant padding", () => {
    expect(readULEB128(Uint8Array.from([0x80, 0x80, 0x00]), 0)).toBe(0);
    expect(lebCursor.next).toBe(3);
    expect(readULEB128(Uint8Array.from([0x85, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]), 0)).toBe(5);
    const buf = new Uint8Array(8);
    expect(writeULEB128Padded(buf, 0, 300, 5)).toBe(5);
    expect(readULEB128(buf, 0)).toBe(300);
    expect(lebCursor.next).toBe(5);
  });

  it("throws MachOFormatError on truncation and overflow", () => {
    expect(() => readULEB128(Uint8Array.from([0x80]), 0)).toThrow(MachOFormatError);
    expect(() => readULEB128(Uint8Array.from([]), 0)).toThrow(MachOFormatError);
    expect(() => readULEB128(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff]), 0)).toThrow(/truncated/);
    // 2^63
    expect(() => readULEB128(Uint8Array.from(refU(2n ** 63n)), 0)).toThrow(MachOFormatError);
    // 2^53 exactly is not a safe integer
    expect(() => readULEB128(Uint8Array.from(refU(2n ** 53n)), 0)).toThrow(/2\^53/);
  });

  it("rejects negative or fractional values when writing", () => {
    const buf = new Uint8Array(16);
    expect(() => writeULEB128(buf, 0, -1)).toThrow(RangeError);
    expect(() => writeULEB128(buf, 0, 1.5)).toThrow(RangeError);
    expect(() => writeULEB128(buf, 0, 2 ** 60)).toThrow(RangeError);
    expect(() => ulebSize(-1)).toThrow(RangeError);
  });
});

describe("SLEB128", () => {
  it("encodes the classic values", () => {
    expect(encS(0)).toEqual([0]);
    expect(encS(-1)).toEqual([0x7f]);
    expect(encS(63)).toEqual([0x3f]);
    expect(encS(64)).toEqual([0xc0, 0x00]);
    expect(encS(-64)).toEqual([0x40]);
    expect(encS(-65)).toEqual([0xbf, 0x7f]);
    expect(encS(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });

  it("round-trips edge values and matches the bigint reference", () => {
    const values = [
      0,
      1,
      -1,
      63,
      64,
      -64,
      -65,
      127,
      128,
      -128,
      -129,
      2 ** 27 - 1,
      -(2 ** 27),
      2 ** 27,
      -(2 ** 27) - 1,
      2 ** 31,
      -(2 ** 31),
      -(2 ** 31) - 1,
      2 ** 32,
      -(2 ** 32),
      2 ** 40 + 7,
      -(2 ** 40) - 7,
      MAX,
      -MAX,
    ];
    for (const v of values) {
      const bytes = Uint8Array.from(encS(v));
      expect([...bytes], `encoding of ${v}`).toEqual(refS(BigInt(v)));
      expect(slebSize(v), `size of ${v}`).toBe(bytes.length);
      expect(readSLEB128(bytes, 0)).toBe(v);
      expect(lebCursor.next).toBe(bytes.length);
      expect(readSLEB(bytes, 0)).toEqual({ value: v, next: bytes.length });
    }
  });

  it("round-trips random values", () => {
    const buf = new Uint8Array(12 * 2000);
    const vals: number[] = [];
    let off = 0;
    for (let i = 0; i < 2000; i++) {
      const mag = Math.floor(Math.random() * 2 ** (1 + (i % 52)));
      const v = i % 2 === 0 || mag === 0 ? mag : -mag;
      vals.push(v);
      off = writeSLEB128(buf, off, v);
    }
    off = 0;
    for (const v of vals) {
      expect(readSLEB128(buf, off)).toBe(v);
      off = lebCursor.next;
    }
  });

  it("accepts sign-extension padding and rejects truncation", () => {
    // -1 padded to 10 bytes
    expect(readSLEB128(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), 0)).toBe(-1);
    expect(lebCursor.next).toBe(10);
    expect(readSLEB128(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x00]), 0)).toBe(0);
    expect(() => readSLEB128(Uint8Array.from([0xff, 0xff]), 0)).toThrow(MachOFormatError);
    expect(() => readSLEB128(Uint8Array.from(refS(-(2n ** 60n))), 0)).toThrow(MachOFormatError);
  });
});
