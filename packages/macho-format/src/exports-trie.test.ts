import { describe, expect, it } from "vitest";
import {
  EXPORT_SYMBOL_FLAGS_KIND_ABSOLUTE,
  EXPORT_SYMBOL_FLAGS_KIND_REGULAR,
  EXPORT_SYMBOL_FLAGS_KIND_THREAD_LOCAL,
  EXPORT_SYMBOL_FLAGS_REEXPORT,
  EXPORT_SYMBOL_FLAGS_STUB_AND_RESOLVER,
  EXPORT_SYMBOL_FLAGS_WEAK_DEFINITION,
} from "./constants.js";
import { MachOFormatError } from "./errors.js";
import { buildExportTrie, buildExportTrieColumns, parseExportTrie, type ExportEntry } from "./exports-trie.js";

function sorted(entries: ExportEntry[]): ExportEntry[] {
  const keyed = entries.map((e) => ({ e, k: Buffer.from(e.name, "utf8") }));
  keyed.sort((a, b) => Buffer.compare(a.k, b.k));
  return keyed.map((x) => x.e);
}

// Deterministic PRNG (mulberry32).
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

function randomNames(count: number, seed: number): string[] {
  const r = rng(seed);
  const stems = ["_", "__Z", "_OBJC_CLASS_$_", "_objc_msgSend", "__ZN4llvm", "_main", "_str", "_foo"];
  const names = new Set<string>();
  while (names.size < count) {
    let s = stems[Math.floor(r() * stems.length)]!;
    const len = 1 + Math.floor(r() * 20);
    for (let i = 0; i < len; i++) s += String.fromCharCode(97 + Math.floor(r() * (r() < 0.5 ? 3 : 26)));
    names.add(s);
  }
  return [...names];
}

describe("export trie", () => {
  it("returns no bytes for no entries", () => {
    expect(buildExportTrie([])).toEqual(new Uint8Array(0));
    expect(parseExportTrie(new Uint8Array(0))).toEqual([]);
  });

  it("encodes a single symbol exactly like ld64/lld", () => {
    const bytes = buildExportTrie([{ name: "_main", flags: 0, address: 0x3f50 }]);
    // root: no terminal, 1 child "_main" -> node at 9; node: terminal size 3, flags 0, ULEB 0x3f50, 0 children
    expect([...bytes]).toEqual([0, 1, 0x5f, 0x6d, 0x61, 0x69, 0x6e, 0, 9, 3, 0, 0xd0, 0x7e, 0, 0, 0]);
    expect(bytes.length % 8).toBe(0);
    expect(parseExportTrie(bytes)).toEqual([{ name: "_main", flags: 0, address: 0x3f50 }]);
  });

  it("splits edges on shared prefixes", () => {
    const entries: ExportEntry[] = [
      { name: "_foo", flags: 0, address: 0x10 },
      { name: "_foobar", flags: 0, address: 0x20 },
      { name: "_foobaz", flags: EXPORT_SYMBOL_FLAGS_WEAK_DEFINITION, address: 0x30 },
      { name: "_bar", flags: 0, address: 0x40 },
      { name: "_", flags: EXPORT_SYMBOL_FLAGS_KIND_ABSOLUTE, address: 0x12345678 },
    ];
    const bytes = buildExportTrie(entries);
    expect(parseExportTrie(bytes)).toEqual(sorted(entries));
    // Root has a single edge "_" (all names share it).
    expect(bytes[0]).toBe(0);
    expect(bytes[1]).toBe(1);
    expect(bytes[2]).toBe(0x5f);
    expect(bytes[3]).toBe(0);
  });

  it("round-trips re-exports, resolvers and thread-locals", () => {
    const entries: ExportEntry[] = [
      { name: "_reexp_same", flags: EXPORT_SYMBOL_FLAGS_REEXPORT, address: 0, ordinal: 2 },
      {
        name: "_reexp_renamed",
        flags: EXPORT_SYMBOL_FLAGS_REEXPORT,
        address: 0,
        ordinal: 300,
        importName: "_real_name",
      },
      { name: "_resolved", flags: EXPORT_SYMBOL_FLAGS_STUB_AND_RESOLVER, address: 0x1000, resolver: 0x2000 },
      { name: "_tlv", flags: EXPORT_SYMBOL_FLAGS_KIND_THREAD_LOCAL, address: 0x8000 },
      { name: "_big", flags: EXPORT_SYMBOL_FLAGS_KIND_ABSOLUTE, address: 2 ** 52 + 3 },
    ];
    const out = parseExportTrie(buildExportTrie(entries));
    expect(out).toEqual(sorted(entries));
    // importName equal to the name is stored as "" and comes back absent
    const same = parseExportTrie(
      buildExportTrie([{ name: "_x", flags: EXPORT_SYMBOL_FLAGS_REEXPORT, address: 0, ordinal: 1, importName: "_x" }]),
    );
    expect(same).toEqual([{ name: "_x", flags: EXPORT_SYMBOL_FLAGS_REEXPORT, address: 0, ordinal: 1 }]);
  });

  it("sorts UTF-8 names byte-wise", () => {
    const entries: ExportEntry[] = [
      { name: "_\u{1F600}", flags: 0, address: 1 },
      { name: "_\uFFFD", flags: 0, address: 2 },
      { name: "_é", flags: 0, address: 3 },
      { name: "_z", flags: 0, address: 4 },
    ];
    const out = parseExportTrie(buildExportTrie(entries));
    expect(out.map((e) => e.name)).toEqual(["_z", "_é", "_\uFFFD", "_\u{1F600}"]);
  });

  it("round-trips 10k random names and is deterministic", () => {
    const r = rng(7);
    const names = randomNames(10_000, 42);
    const entries: ExportEntry[] = names.map((name, i) => ({
      name,
      flags: i % 17 === 0 ? EXPORT_SYMBOL_FLAGS_WEAK_DEFINITION : EXPORT_SYMBOL_FLAGS_KIND_REGULAR,
      address: Math.floor(r() * 2 ** (8 + (i % 30))),
    }));
    const a = buildExportTrie(entries);
    const shuffled = [...entries].sort(() => r() - 0.5);
    const b = buildExportTrie(shuffled);
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    expect(a.length % 8).toBe(0);
    expect(parseExportTrie(a)).toEqual(sorted(entries));
  });

  it("round-trips 100k entries: every name and address comes back", () => {
    // Speed is measured by `pnpm bench`, never asserted here.
    const names = randomNames(100_000, 1);
    const entries = names.map((name, i) => ({ name, flags: 0, address: 0x1000 + i * 16 }));
    const parsed = parseExportTrie(buildExportTrie(entries));
    expect(parsed).toHaveLength(100_000);
    const byName = new Map(parsed.map((e) => [e.name, e.address]));
    for (const e of entries) expect(byName.get(e.name)).toBe(e.address);
  });

  it("lays out compactly: every child offset is a minimal ULEB and nodes are contiguous", () => {
    // Names long enough that child offsets cross the 1->2 byte ULEB boundary.
    const entries = randomNames(300, 3).map((name, i) => ({ name, flags: 0, address: i }));
    const bytes = buildExportTrie(entries);
    let end = bytes.length;
    while (end > 0 && bytes[end - 1] === 0) end--;
    expect(bytes.length - end).toBeLessThan(8 + 2); // padding (+ trailing empty child list / zero bytes of last node)
    expect(parseExportTrie(bytes)).toHaveLength(300);
  });

  it("rejects duplicates and NUL", () => {
    expect(() =>
      buildExportTrie([
        { name: "_a", flags: 0, address: 1 },
        { name: "_a", flags: 0, address: 2 },
      ]),
    ).toThrow(MachOFormatError);
    expect(() => buildExportTrie([{ name: "_a\0b", flags: 0, address: 1 }])).toThrow(MachOFormatError);
  });

  it("builds the same bytes from columns as from entries, names in byte order or not", () => {
    const r = rng(11);
    // Names that end where others go on (inner terminal nodes), shared prefixes, and the empty name.
    const names = [...new Set([...randomNames(2_000, 5), "_a", "_ab", "_abc", "_abd", "_b", "_ba", ""])];
    const entries: ExportEntry[] = names.map((name, i) => ({
      name,
      flags: i % 5 === 0 ? EXPORT_SYMBOL_FLAGS_WEAK_DEFINITION : EXPORT_SYMBOL_FLAGS_KIND_REGULAR,
      address: Math.floor(r() * 2 ** 24),
    }));
    const want = Buffer.from(buildExportTrie(entries));
    for (const order of [sorted(entries), [...entries].sort(() => r() - 0.5)]) {
      const got = buildExportTrieColumns(
        order.map((e) => e.name),
        order.map((e) => e.flags),
        order.map((e) => e.address),
      );
      expect(Buffer.from(got).equals(want)).toBe(true);
    }
    expect(parseExportTrie(want)).toEqual(sorted(entries));
  });

  it("sorts names given in UTF-16 order (a linker's sorted symbol table) into UTF-8 byte order", () => {
    // UTF-16 order: U+1F600 (a surrogate pair, D83D...) before U+FFFD; UTF-8 puts F0... after EF....
    const names = ["_z", "_\u00e9", "_\u{1F600}", "_\uFFFD"];
    expect([...names].sort()).toEqual(names);
    const out = parseExportTrie(buildExportTrieColumns(names, [0, 0, 0, 0], [1, 2, 3, 4]));
    expect(out.map((e) => e.address)).toEqual([1, 2, 4, 3]);
    expect(() => buildExportTrieColumns(["_a", "_b", "_a"], [0, 0, 0], [1, 2, 3])).toThrow(/duplicate export "_a"/);
  });

  it("detects cycles, bad offsets and truncation", () => {
    // root -> child "a" at offset 0 (itself)
    expect(() => parseExportTrie(Uint8Array.from([0, 1, 0x61, 0, 0]))).toThrow(/cycle/);
    expect(() => parseExportTrie(Uint8Array.from([0, 1, 0x61, 0, 50]))).toThrow(/out of bounds/);
    expect(() => parseExportTrie(Uint8Array.from([0, 1, 0x61]))).toThrow(MachOFormatError);
    expect(() => parseExportTrie(Uint8Array.from([9, 0, 0]))).toThrow(MachOFormatError);
    // terminal whose ULEB runs past its terminal size
    expect(() => parseExportTrie(Uint8Array.from([2, 0, 0x80, 0, 0]))).toThrow(MachOFormatError);
  });
});
