import { describe, expect, it } from "vitest";
import {
  BIND_OPCODE_DO_BIND_ULEB_TIMES_SKIPPING_ULEB,
  BIND_SPECIAL_DYLIB_FLAT_LOOKUP,
  BIND_SPECIAL_DYLIB_MAIN_EXECUTABLE,
  BIND_SPECIAL_DYLIB_SELF,
  BIND_SPECIAL_DYLIB_WEAK_LOOKUP,
  BIND_SYMBOL_FLAGS_NON_WEAK_DEFINITION,
  BIND_SYMBOL_FLAGS_WEAK_IMPORT,
} from "./constants.js";
import {
  compareNamesUtf8,
  decodeBind,
  decodeRebase,
  decodeWeakBind,
  encodeBind,
  encodeLazyBind,
  encodeRebase,
  encodeRebaseAddresses,
  encodeWeakBind,
  lazyBindEntrySize,
  type BindEntry,
  type RebaseEntry,
  type WeakBindEntry,
} from "./dyld-info.js";
import { MachOFormatError } from "./errors.js";

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const addrKey = (e: { segIndex: number; segOffset: number }) => e.segIndex * 2 ** 40 + e.segOffset;
const bindKey = (e: BindEntry) => `${e.segIndex}:${e.segOffset}:${e.ordinal}:${e.symbol}:${e.flags}:${e.addend}`;

describe("rebase opcodes", () => {
  it("encodes small cases exactly", () => {
    // SET_TYPE_IMM(1), SET_SEGMENT_AND_OFFSET_ULEB(2, 0), DO_REBASE_IMM_TIMES(3), DONE
    expect([
      ...encodeRebase([
        { segIndex: 2, segOffset: 16 },
        { segIndex: 2, segOffset: 0 },
        { segIndex: 2, segOffset: 8 },
      ]),
    ]).toEqual([0x11, 0x22, 0x00, 0x53, 0x00, 0, 0, 0]);
    // strided: DO_REBASE_ULEB_TIMES_SKIPPING_ULEB(4, 24)
    expect([...encodeRebase([0, 32, 64, 96].map((o) => ({ segIndex: 1, segOffset: o })))]).toEqual([
      0x11, 0x21, 0x00, 0x80, 4, 24, 0x00, 0,
    ]);
    // isolated: DO_REBASE_IMM_TIMES(1), ADD_ADDR_IMM_SCALED(1) ... then far: DO_REBASE_ADD_ADDR_ULEB
    const bytes = encodeRebase([
      { segIndex: 1, segOffset: 0 },
      { segIndex: 1, segOffset: 16 },
      { segIndex: 1, segOffset: 0x1000 },
    ]);
    expect(decodeRebase(bytes)).toEqual([
      { segIndex: 1, segOffset: 0 },
      { segIndex: 1, segOffset: 16 },
      { segIndex: 1, segOffset: 0x1000 },
    ]);
    expect(bytes.length % 8).toBe(0);
    expect(encodeRebase([])).toEqual(new Uint8Array(0));
  });

  it("uses ULEB_TIMES for long runs and dedups", () => {
    const entries: RebaseEntry[] = [];
    for (let i = 0; i < 100; i++) entries.push({ segIndex: 3, segOffset: 0x100 + i * 8 });
    entries.push({ segIndex: 3, segOffset: 0x100 });
    const bytes = encodeRebase(entries);
    expect([...bytes.subarray(0, 7)]).toEqual([0x11, 0x23, 0x80, 0x02, 0x60, 100, 0x00]);
    expect(decodeRebase(bytes)).toHaveLength(100);
  });

  it("round-trips random entries", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = rng(seed);
      const set = new Map<number, RebaseEntry>();
      const n = Math.floor(r() * 3000);
      let off = 0;
      let seg = 1 + Math.floor(r() * 3);
      for (let i = 0; i < n; i++) {
        const x = r();
        if (x < 0.02) {
          seg = Math.floor(r() * 16);
          off = Math.floor(r() * 4096) * 8;
        } else if (x < 0.6) off += 8;
        else if (x < 0.8) off += 8 * (2 + Math.floor(r() * 20));
        else if (x < 0.9) off += 8 * Math.floor(r() * 100000);
        else off += 24;
        const e = { segIndex: seg, segOffset: off };
        set.set(addrKey(e), e);
      }
      const entries = [...set.values()];
      const shuffled = [...entries].sort(() => r() - 0.5);
      const bytes = encodeRebase(shuffled);
      const expected = [...entries].sort((a, b) => addrKey(a) - addrKey(b));
      expect(decodeRebase(bytes)).toEqual(expected);
      expect(encodeRebase(entries)).toEqual(bytes);
    }
  });

  it("bounds-checks against segments", () => {
    const bytes = encodeRebase([{ segIndex: 2, segOffset: 0x100 }]);
    expect(() => decodeRebase(bytes, [{ vmaddr: 0 }])).toThrow(MachOFormatError);
    expect(() => decodeRebase(bytes, [{ vmaddr: 0 }, { vmaddr: 0 }, { vmaddr: 0x1000, vmsize: 0x100 }])).toThrow(
      /outside segment/,
    );
    expect(decodeRebase(bytes, [{ vmaddr: 0 }, { vmaddr: 0 }, { vmaddr: 0x1000, vmsize: 0x108 }])).toHaveLength(1);
    expect(() => decodeRebase(Uint8Array.from([0x11, 0x21]))).toThrow(MachOFormatError); // truncated ULEB
    expect(() => decodeRebase(Uint8Array.from([0x11, 0x51]))).toThrow(/before SET_SEGMENT/);
    expect(() => decodeRebase(Uint8Array.from([0xf0]))).toThrow(/bad rebase opcode/);
  });
});

describe("bind opcodes", () => {
  it("encodes a simple bind like ld64", () => {
    const bytes = encodeBind([{ segIndex: 2, segOffset: 0x10, ordinal: 1, symbol: "_printf", flags: 0, addend: 0 }]);
    // SET_TYPE_IMM(1), SET_DYLIB_ORDINAL_IMM(1), SET_SYMBOL "_printf", SET_SEGMENT_AND_OFFSET_ULEB(2, 0x10), DO_BIND, DONE
    expect([...bytes]).toEqual([
      0x51,
      0x11,
      0x40,
      ..."_printf".split("").map((c) => c.charCodeAt(0)),
      0,
      0x72,
      0x10,
      0x90,
      0x00,
      0,
    ]);
  });

  it("handles special ordinals, large ordinals, addends and flags", () => {
    const entries: BindEntry[] = [
      { segIndex: 1, segOffset: 0, ordinal: BIND_SPECIAL_DYLIB_SELF, symbol: "_a", flags: 0, addend: 0 },
      { segIndex: 1, segOffset: 8, ordinal: BIND_SPECIAL_DYLIB_MAIN_EXECUTABLE, symbol: "_b", flags: 0, addend: -8 },
      { segIndex: 1, segOffset: 16, ordinal: BIND_SPECIAL_DYLIB_FLAT_LOOKUP, symbol: "_c", flags: 0, addend: 2 ** 40 },
      { segIndex: 1, segOffset: 24, ordinal: BIND_SPECIAL_DYLIB_WEAK_LOOKUP, symbol: "_d", flags: 0, addend: 0 },
      { segIndex: 1, segOffset: 32, ordinal: 15, symbol: "_e", flags: BIND_SYMBOL_FLAGS_WEAK_IMPORT, addend: 0 },
      { segIndex: 1, segOffset: 40, ordinal: 16, symbol: "_f", flags: 0, addend: 0 },
      { segIndex: 1, segOffset: 48, ordinal: 1000, symbol: "_g\u00e9", flags: 0, addend: 0 },
    ];
    const out = decodeBind(encodeBind(entries));
    expect(out.map(bindKey).sort()).toEqual(entries.map(bindKey).sort());
  });

  it("compresses repeated binds of one symbol", () => {
    const entries: BindEntry[] = [];
    for (let i = 0; i < 50; i++)
      entries.push({ segIndex: 2, segOffset: i * 16, ordinal: 1, symbol: "_x", flags: 0, addend: 0 });
    const bytes = encodeBind(entries);
    expect(bytes).toContain(BIND_OPCODE_DO_BIND_ULEB_TIMES_SKIPPING_ULEB);
    expect(bytes.length).toBeLessThanOrEqual(16);
    expect(decodeBind(bytes)).toEqual(entries);
  });

  it("round-trips random entries", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = rng(seed * 31);
      const syms = Array.from(
        { length: 1 + Math.floor(r() * 40) },
        (_, i) => `_sym${i}${"x".repeat(Math.floor(r() * 5))}`,
      );
      const used = new Set<number>();
      const entries: BindEntry[] = [];
      const n = Math.floor(r() * 2000);
      for (let i = 0; i < n; i++) {
        const seg = 1 + Math.floor(r() * 3);
        const off = Math.floor(r() * (r() < 0.5 ? 64 : 20000)) * 8;
        const key = seg * 2 ** 40 + off;
        if (used.has(key)) continue;
        used.add(key);
        const symIdx = Math.floor(r() * syms.length);
        entries.push({
          segIndex: seg,
          segOffset: off,
          ordinal: (symIdx % 7) - 3,
          symbol: syms[symIdx]!,
          flags: symIdx % 5 === 0 ? BIND_SYMBOL_FLAGS_WEAK_IMPORT : 0,
          addend: r() < 0.8 ? 0 : Math.floor((r() - 0.5) * 2 ** 34),
        });
      }
      const bytes = encodeBind(entries);
      expect(decodeBind(bytes).map(bindKey).sort()).toEqual(entries.map(bindKey).sort());
      expect(encodeBind([...entries].reverse())).toEqual(bytes);
    }
  });

  it("encodes weak binds sorted by name with non-weak-definition markers", () => {
    const entries: WeakBindEntry[] = [
      { segIndex: 2, segOffset: 8, symbol: "_zeta", flags: 0, addend: 0 },
      { segIndex: 2, segOffset: 0, symbol: "_alpha", flags: 0, addend: 0 },
      { segIndex: 1, segOffset: 0x40, symbol: "_alpha", flags: 0, addend: 4 },
      { segIndex: 2, segOffset: 16, symbol: "_mid", flags: 0, addend: 0 },
    ];
    const bytes = encodeWeakBind(entries, ["_mid", "_beta", "_\u{1F600}", "_\uFFFD"]);
    const { binds, nonWeakDefinitions } = decodeWeakBind(bytes);
    expect(nonWeakDefinitions).toEqual(["_beta", "_mid", "_\uFFFD", "_\u{1F600}"]);
    const names = binds.map((b) => b.symbol);
    expect(names).toEqual(["_alpha", "_alpha", "_mid", "_zeta"]);
    expect(binds[0]).toEqual({ segIndex: 1, segOffset: 0x40, symbol: "_alpha", flags: 0, addend: 4 });
    // Names in the stream are in strcmp order overall.
    const all: string[] = [];
    for (let i = 0; i < bytes.length; i++) {
      if ((bytes[i]! & 0xf0) === 0x40) {
        let j = i + 1;
        while (bytes[j] !== 0) j++;
        all.push(new TextDecoder().decode(bytes.subarray(i + 1, j)));
        i = j;
      } else if ((bytes[i]! & 0xf0) === 0x70 || (bytes[i]! & 0xf0) === 0x60) {
        i++;
        while (bytes[i]! & 0x80) i++;
      }
    }
    expect([...all].sort(compareNamesUtf8)).toEqual(all);
    expect(decodeBind(bytes).map((b) => b.symbol)).toEqual(names);
    expect(encodeWeakBind([], [])).toEqual(new Uint8Array(0));
    const onlyStrong = decodeWeakBind(encodeWeakBind([], ["_s"]));
    expect(onlyStrong).toEqual({ binds: [], nonWeakDefinitions: ["_s"] });
    expect(onlyStrong.nonWeakDefinitions.length).toBe(1);
    expect(BIND_SYMBOL_FLAGS_NON_WEAK_DEFINITION).toBe(8);
  });

  it("encodes lazy binds as self-contained sequences with offsets", () => {
    const entries: BindEntry[] = [
      { segIndex: 3, segOffset: 0x10, ordinal: 1, symbol: "_puts", flags: 0, addend: 0 },
      { segIndex: 3, segOffset: 0x08, ordinal: 2, symbol: "_exit", flags: 0, addend: 0 },
      { segIndex: 3, segOffset: 0x18, ordinal: 40, symbol: "_weakfn", flags: BIND_SYMBOL_FLAGS_WEAK_IMPORT, addend: 0 },
      { segIndex: 3, segOffset: 0x20, ordinal: -2, symbol: "_flat", flags: 0, addend: 5 },
    ];
    const { bytes, offsets } = encodeLazyBind(entries);
    expect(offsets[0]).toBe(0);
    expect(bytes.length % 8).toBe(0);
    for (let i = 0; i < entries.length; i++) {
      const next = i + 1 < entries.length ? offsets[i + 1]! : undefined;
      expect((next ?? offsets[i]! + lazyBindEntrySize(entries[i]!)) - offsets[i]!).toBe(lazyBindEntrySize(entries[i]!));
      // decoding from the entry's offset yields that entry first
      const fromHere = decodeBind(bytes.subarray(offsets[i]!), true);
      expect(fromHere[0]).toEqual(entries[i]);
    }
    // first sequence: SET_SEGMENT_AND_OFFSET_ULEB(3, 0x10), ORDINAL_IMM(1), SYMBOL "_puts", DO_BIND, DONE
    expect([...bytes.subarray(0, offsets[1]!)]).toEqual([
      0x73, 0x10, 0x11, 0x40, 0x5f, 0x70, 0x75, 0x74, 0x73, 0, 0x90, 0x00,
    ]);
    expect(decodeBind(bytes, true)).toEqual(entries);
    expect(encodeLazyBind([])).toEqual({ bytes: new Uint8Array(0), offsets: [] });
  });

  it("rejects malformed streams", () => {
    expect(() => decodeBind(Uint8Array.from([0x51, 0x11, 0x72, 0x00, 0x90]))).toThrow(/before SET_SYMBOL/);
    expect(() => decodeBind(Uint8Array.from([0x11, 0x40, 0x5f, 0x61, 0x00, 0x72, 0x00, 0x90]))).toThrow(/SET_TYPE_IMM/);
    expect(() => decodeBind(Uint8Array.from([0x51, 0x40, 0x5f, 0x61]))).toThrow(/unterminated/);
    expect(() => decodeBind(Uint8Array.from([0x51, 0xe0]))).toThrow(/bad bind opcode/);
    expect(() => decodeBind(Uint8Array.from([0x51, 0xd0]))).toThrow(MachOFormatError);
    expect(() => decodeBind(Uint8Array.from([0x51, 0x60, 0xff]))).toThrow(MachOFormatError);
  });
});

describe("encodeRebaseAddresses", () => {
  it("encodes sorted VM addresses exactly as encodeRebase encodes their (segment, offset) pairs", () => {
    const segments = [
      { vmaddr: 0, vmsize: 0x100000000 },
      { vmaddr: 0x100000000, vmsize: 0x4000 },
      { vmaddr: 0x100004000, vmsize: 0x8000 },
    ];
    const addrs: number[] = [];
    let a = 0x100004000;
    for (let i = 0; i < 500; i++) {
      a += [8, 8, 8, 16, 24, 0x100][i % 6]!;
      addrs.push(a);
    }
    addrs.push(addrs[10]!); // duplicates are dropped
    const sorted = Float64Array.from(addrs).sort();
    const pairs = [...new Set(addrs)].map((x) => ({ segIndex: 2, segOffset: x - 0x100004000 }));
    expect(encodeRebaseAddresses(sorted, segments)).toEqual(encodeRebase(pairs));
    expect(() => encodeRebaseAddresses(Float64Array.of(0x200000000), segments)).toThrow(/no segment/);
  });
});
