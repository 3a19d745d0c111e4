import { describe, expect, it } from "vitest";
import {
  UNWIND_HAS_LSDA,
  UNWIND_SECOND_LEVEL_COMPRESSED,
  UNWIND_SECOND_LEVEL_REGULAR,
  type UnwindInfoEntry,
  commonEncodings,
  decodeUnwindInfo,
  encodeUnwindInfo,
  unwindInfoSize,
} from "./unwind-info.js";

/** A deterministic table: `n` functions 16..80 bytes apart with a mix of encodings. */
function table(n: number, distinct: number): UnwindInfoEntry[] {
  const out: UnwindInfoEntry[] = [];
  let addr = 0x1000;
  let seed = 12345;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    let encoding = 0x01000000 | ((r % distinct) << 4);
    let lsdaOffset = 0;
    if (i % 17 === 3) {
      encoding |= UNWIND_HAS_LSDA | 0x10000000;
      lsdaOffset = 0x80000 + i * 4;
    }
    if (i % 29 === 5) encoding = 0x04000000 | i; // DWARF: unique
    out.push({ functionOffset: addr, encoding: encoding >>> 0, lsdaOffset });
    addr += 16 + (r % 64);
  }
  return out;
}

describe("__unwind_info encoder", () => {
  it("round-trips a small table through the decoder", () => {
    const entries: UnwindInfoEntry[] = [
      { functionOffset: 0x5e0, encoding: 0x01030161, lsdaOffset: 0 },
      { functionOffset: 0x680, encoding: 0x01000000, lsdaOffset: 0 },
      { functionOffset: 0x690, encoding: 0x51010001, lsdaOffset: 0x7a0 },
      { functionOffset: 0x700, encoding: 0x04000018, lsdaOffset: 0 },
      { functionOffset: 0x740, encoding: 0x01000000, lsdaOffset: 0 },
    ];
    const bytes = encodeUnwindInfo({ entries, personalities: [0x2008], end: 0x75f });
    expect(bytes.length).toBe(
      unwindInfoSize(
        entries.map((e) => e.encoding),
        1,
        1,
      ),
    );
    const d = decodeUnwindInfo(bytes);
    expect(d.commonEncodings).toEqual([0x01000000]);
    expect(d.personalities).toEqual([0x2008]);
    expect(d.entries).toEqual(entries.map((e) => ({ functionOffset: e.functionOffset, encoding: e.encoding })));
    expect(d.lsdas).toEqual([{ functionOffset: 0x690, lsdaOffset: 0x7a0 }]);
    expect(d.end).toBe(0x75f);
    expect(d.pageKinds).toEqual([UNWIND_SECOND_LEVEL_COMPRESSED]);
  });

  for (const regularOnly of [false, true]) {
    it(`round-trips thousands of entries over several ${regularOnly ? "regular" : "compressed"} pages`, () => {
      const entries = table(5000, 300);
      const lsdas = entries.filter((e) => e.lsdaOffset !== 0);
      const end = entries[entries.length - 1]!.functionOffset + 32;
      const bytes = encodeUnwindInfo({ entries, personalities: [0x3000, 0x3008], end, regularOnly });
      expect(bytes.length).toBe(
        unwindInfoSize(
          entries.map((e) => e.encoding),
          2,
          lsdas.length,
          regularOnly,
        ),
      );
      const d = decodeUnwindInfo(bytes);
      expect(d.pageKinds.length).toBeGreaterThan(1);
      expect(new Set(d.pageKinds)).toEqual(
        new Set([regularOnly ? UNWIND_SECOND_LEVEL_REGULAR : UNWIND_SECOND_LEVEL_COMPRESSED]),
      );
      expect(d.entries).toEqual(entries.map((e) => ({ functionOffset: e.functionOffset, encoding: e.encoding })));
      expect(d.lsdas).toEqual(lsdas.map((e) => ({ functionOffset: e.functionOffset, lsdaOffset: e.lsdaOffset })));
      expect(d.personalities).toEqual([0x3000, 0x3008]);
      expect(d.end).toBe(end);
      // Every page's first-level LSDA pointer starts at that page's first LSDA.
      const dv = new DataView(bytes.buffer);
      const indexOff = dv.getUint32(20, true);
      const lsdaBase = dv.getUint32(indexOff + 8, true);
      for (let k = 0; k < d.pageKinds.length; k++) {
        const first = dv.getUint32(indexOff + 12 * k, true);
        const lsdaOff = dv.getUint32(indexOff + 12 * k + 8, true);
        expect(lsdaOff).toBe(lsdaBase + 8 * lsdas.filter((e) => e.functionOffset < first).length);
      }
    });
  }

  it("chooses frequent encodings as common ones, most frequent first", () => {
    expect(commonEncodings([3, 1, 1, 2, 2, 2, 5])).toEqual([2, 1]);
  });

  it("sizes depend only on the encodings, not on addresses", () => {
    const a = table(1200, 40);
    const b = a.map((e, i) => ({ ...e, functionOffset: 0x100000 + i * 1000 }));
    const ea = encodeUnwindInfo({ entries: a, personalities: [], end: 0x7fffff });
    const eb = encodeUnwindInfo({ entries: b, personalities: [], end: 0x7fffff });
    expect(ea.length).toBe(eb.length);
  });

  it("rejects a compressed page spanning 16 MiB", () => {
    const entries = [
      { functionOffset: 0, encoding: 0x01000000, lsdaOffset: 0 },
      { functionOffset: 0x1000000, encoding: 0x01000000, lsdaOffset: 0 },
    ];
    expect(() => encodeUnwindInfo({ entries, personalities: [], end: 0x1000010 })).toThrow(/does not fit/);
    expect(
      decodeUnwindInfo(encodeUnwindInfo({ entries, personalities: [], end: 0x1000010, regularOnly: true })).entries,
    ).toHaveLength(2);
  });
});
