// The toolkit layer: any bytes in, named load commands, iterable symbols,
// one exports() accessor, fat slices, and MachOFormatError for what is not
// there.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { toBytes } from "./bytes.js";
import { CPU_SUBTYPE_ARM64_ALL, CPU_TYPE_ARM64, LC_MAIN, LC_SEGMENT_64, LC_SYMTAB } from "./constants.js";
import { MachOFormatError } from "./errors.js";
import { buildExportTrie } from "./exports-trie.js";
import { cpuName, fatSlices, loadCommandName, openMachO } from "./image.js";
import { parseMachO, readFatHeader, readMachHeader } from "./reader.js";

const mainO = readFileSync(join(__dirname, "../../../examples/hello/main.o"));

/** A universal file holding `slices` (cputype, cpusubtype, bytes), 4 KiB aligned, as lipo writes it. */
function fat(slices: [number, number, Uint8Array][]): Uint8Array {
  let off = 4096;
  const placed = slices.map(([t, s, b]) => {
    const at = off;
    off = Math.ceil((off + b.length) / 4096) * 4096;
    return { t, s, b, at };
  });
  const out = new Uint8Array(off);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xcafebabe);
  v.setUint32(4, slices.length);
  placed.forEach(({ t, s, b, at }, i) => {
    const o = 8 + i * 20;
    v.setUint32(o, t);
    v.setUint32(o + 4, s);
    v.setUint32(o + 8, at);
    v.setUint32(o + 12, b.length);
    v.setUint32(o + 16, 12);
    out.set(b, at);
  });
  return out;
}

describe("bytes in any shape", () => {
  const ab = mainO.buffer.slice(mainO.byteOffset, mainO.byteOffset + mainO.byteLength);
  it("parseMachO(buf.buffer), a Buffer, a Uint8Array and a DataView give the same file", () => {
    const want = parseMachO(mainO);
    expect(parseMachO(ab)).toEqual(want);
    expect(parseMachO(new Uint8Array(ab))).toEqual(want);
    expect(parseMachO(new DataView(ab) as unknown as Uint8Array)).toEqual(want);
    expect(readMachHeader(ab)).toEqual(want.header);
    expect(readFatHeader(ab)).toBeUndefined();
  });
  it("a Buffer that is a slice of a larger pool is read at its own offset", () => {
    const big = Buffer.alloc(mainO.length + 100);
    mainO.copy(big, 100);
    expect(parseMachO(big.subarray(100)).sections).toEqual(parseMachO(mainO).sections);
  });
  it("anything else is a TypeError", () => {
    expect(() => toBytes("nope" as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe("MachOImage", () => {
  const img = openMachO(mainO);
  it("names load commands", () => {
    expect(loadCommandName(LC_SEGMENT_64)).toBe("LC_SEGMENT_64");
    expect(loadCommandName(LC_MAIN)).toBe("LC_MAIN");
    expect(loadCommandName(0x7777)).toBe("LC_0x7777");
    const lcs = img.loadCommands();
    expect(lcs[0]).toMatchObject({ index: 0, cmd: LC_SEGMENT_64, name: "LC_SEGMENT_64", offset: 32 });
    expect(lcs.map((l) => l.name)).toContain("LC_SYMTAB");
    expect(lcs.find((l) => l.cmd === LC_SYMTAB)!.size).toBe(24);
  });
  it("iterates symbols with names and decoded kinds", () => {
    const syms = [...img.symbols()];
    const main = syms.find((s) => s.name === "_main")!;
    expect(main).toMatchObject({ kind: "section", external: true, stab: false });
    expect(main.section?.sectname).toBe("__text");
    const printf = syms.find((s) => s.name === "_printf")!;
    expect(printf).toMatchObject({ kind: "undefined", external: true, value: 0 });
    expect(syms.map((s) => s.index)).toEqual(syms.map((_, i) => i));
  });
  it("has one exports() accessor: empty for an object", () => {
    expect(img.exports()).toEqual([]);
    expect(img.fixups()).toEqual([]);
    expect(img.arch).toBe("x86_64");
    // (linked images are compared with llvm-objdump in dump.test.ts)
    expect(buildExportTrie([]).length).toBe(0);
  });
});

describe("universal files", () => {
  const arm = new Uint8Array(mainO); // an "arm64" slice: the same bytes with the cputype changed
  new DataView(arm.buffer).setUint32(4, CPU_TYPE_ARM64, true);
  const f = fat([
    [0x01000007, 3, mainO],
    [CPU_TYPE_ARM64, CPU_SUBTYPE_ARM64_ALL, arm],
  ]);
  it("lists the slices with architecture names", () => {
    const s = fatSlices(f);
    expect(s.map((x) => x.arch)).toEqual(["x86_64", "arm64"]);
    expect(s[0]!.offset).toBe(4096);
    expect(Buffer.from(s[0]!.bytes).equals(mainO)).toBe(true);
    expect(fatSlices(mainO).map((x) => x.arch)).toEqual(["x86_64"]);
  });
  it("opens a slice by arch, the first 64-bit one by default, and names what is missing", () => {
    expect(openMachO(f).arch).toBe("x86_64");
    expect(openMachO(f.buffer as ArrayBuffer, { arch: "arm64" }).arch).toBe("arm64");
    expect(() => openMachO(f, { arch: "x86_64h" })).toThrow(MachOFormatError);
    expect(() => openMachO(f, { arch: "x86_64h" })).toThrow(/no x86_64h slice \(has x86_64, arm64\)/);
    expect(cpuName(CPU_TYPE_ARM64, 2)).toBe("arm64e");
  });
  it("malformed input is a MachOFormatError, not a TypeError", () => {
    expect(() => openMachO(new Uint8Array(3))).toThrow(MachOFormatError);
    expect(() => openMachO(mainO.subarray(0, 40))).toThrow(MachOFormatError);
  });
});
