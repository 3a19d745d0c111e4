// debugRelocs and AddressMapper over hand-made columns: what each relocated
// field stands for, sorted by offset whatever order the object lists them in,
// and input addresses mapped through live, dead and folded atoms.
import { describe, expect, it } from "vitest";
import { AddressMapper, type AtomColumns, type RelocColumns, type SectionColumns, debugRelocs } from "./relocs.js";

const POINTER = 1;
const EXTERN = 1 << 1;
const PAIR = 1 << 2;
const BAD = 1 << 4;

// Object with two sections: ordinal 1 (__text at input 0x0, atoms at 0x0, 0x10, 0x20) and
// ordinal 2 (__debug_info, no atoms). Atom 1 is dead; atom 2 is folded into atom 0.
function tables(): { S: SectionColumns; A: AtomColumns } {
  const S: SectionColumns = {
    addr: Float64Array.of(0, 0x100),
    firstAtom: Int32Array.of(0, -1),
    atomCount: Int32Array.of(3, 0),
  };
  const A: AtomColumns = {
    section: Int32Array.of(0, 0, 0),
    offset: Float64Array.of(0, 0x10, 0x20),
    size: Float64Array.of(0x10, 0x10, 0x10),
    flags: Uint8Array.of(1, 0, 1),
    foldedInto: Int32Array.of(0, 1, 0),
    out: Int32Array.of(0, 0, 0),
    address: Float64Array.of(0x1000, 0, 0x1000),
  };
  return { S, A };
}

/** Relocation rows: [offset, length (log2), flags, atom, delta, type, subAtom, subDelta]. */
function relocs(rows: number[][]): RelocColumns {
  const col = <T extends { [i: number]: number }>(make: (n: number) => T, k: number): T => {
    const a = make(rows.length);
    rows.forEach((r, i) => {
      a[i] = r[k] ?? (k === 6 ? -1 : 0);
    });
    return a;
  };
  return {
    offset: col((n) => new Uint32Array(n), 0),
    length: col((n) => new Uint8Array(n), 1),
    flags: col((n) => new Uint8Array(n), 2),
    atom: col((n) => new Int32Array(n), 3),
    delta: col((n) => new Float64Array(n), 4),
    type: col((n) => new Uint8Array(n), 5),
    subAtom: col((n) => new Int32Array(n), 6),
    subDelta: col((n) => new Float64Array(n), 7),
  };
}

const place = { firstSection: 0, sectionCount: 2 };
const attrs = [POINTER, 0];

describe("debugRelocs", () => {
  it("sorts clang's descending order and keeps what each field stands for", () => {
    const { S, A } = tables();
    // Extern at 0x18 to atom 2 + 4; section-relative at 0x8; a non-pointer type at 0x10 (dropped).
    const R = relocs([
      [0x18, 3, EXTERN, 2, 4, 0],
      [0x10, 3, 0, 0, 0, 1],
      [0x8, 3, 0, 0, 0, 0],
    ]);
    const d = debugRelocs(R, 0, 3, A, S, place, attrs, POINTER);
    expect(d.count).toBe(2);
    expect([...d.off.subarray(0, 2)]).toEqual([0x8, 0x18]);
    expect([...d.sect.subarray(0, 2)]).toEqual([1, 1]);
    // Section-relative: the bytes hold the address (0); extern: the symbol's input address.
    expect([...d.symAddr.subarray(0, 2)]).toEqual([0, 0x24]);
    expect([...d.size.subarray(0, 2)]).toEqual([8, 8]);
    expect([...d.minusSect.subarray(0, 2)]).toEqual([-1, -1]);
    expect(d.find(0x18)).toBe(1);
    expect(d.find(0x10)).toBe(-1);
    expect(d.lowerBound(0x10)).toBe(1);
  });

  it("in any other order, sorts and lets the last of equal offsets count; drops bad rows", () => {
    const { S, A } = tables();
    const R = relocs([
      [0x10, 2, EXTERN, 0, 1, 0],
      [0x0, 3, 0, 0, 0, 0],
      [0x10, 3, EXTERN, 0, 2, 0],
      [0x8, 3, BAD, 0, 0, 0],
    ]);
    const d = debugRelocs(R, 0, 4, A, S, place, attrs, POINTER);
    expect(d.count).toBe(2);
    expect([...d.off.subarray(0, 2)]).toEqual([0, 0x10]);
    expect(d.symAddr[1]).toBe(2);
    expect(d.size[1]).toBe(8);
  });

  it("decodes a SUBTRACTOR pair as (minuend, subtrahend)", () => {
    const { S, A } = tables();
    const R = relocs([[0x4, 2, PAIR, 2, 3, 0, 0, 1]]);
    const d = debugRelocs(R, 0, 1, A, S, place, attrs, POINTER);
    expect(d.count).toBe(1);
    expect([d.sect[0], d.symAddr[0], d.minusSect[0], d.minusAddr[0]]).toEqual([1, 0x23, 1, 1]);
  });
});

describe("AddressMapper", () => {
  it("maps through live atoms, not dead or folded ones; an end address through the byte before it", () => {
    const { S, A } = tables();
    const m = new AddressMapper(S, A, place);
    expect(m.map(1, 0x4, false)).toBe(0x1004);
    expect(m.endIn).toBe(0x10);
    expect(m.map(1, 0x10, true)).toBe(0x1010);
    expect(m.map(1, 0x14, false)).toBe(-1); // dead
    expect(m.map(1, 0x24, false)).toBe(-1); // folded
    expect(m.map(2, 0x100, false)).toBe(-1); // no atoms
    expect(m.map(3, 0, false)).toBe(-1); // no such section
    m.liveEnvelope(1, 0x8, 0x20);
    expect([m.envLo, m.envHi]).toEqual([0x1008, 0x1010]);
  });
});
