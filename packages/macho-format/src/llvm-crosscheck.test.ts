/**
 * Cross-checks against LLVM: files linked by ld64.lld are decoded here and
 * compared with llvm-objdump's view of them, and files written here (with
 * streams encoded here) are dumped by llvm-objdump and compared with what
 * was encoded. Skipped when the LLVM 19 tools are not installed.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyChainedFixups, decodeChainedFixups, encodeChainedFixups } from "./chained-fixups.js";
import {
  BIND_SPECIAL_DYLIB_FLAT_LOOKUP,
  BIND_SYMBOL_FLAGS_WEAK_IMPORT,
  CPU_SUBTYPE_X86_64_ALL,
  CPU_TYPE_X86_64,
  EXPORT_SYMBOL_FLAGS_KIND_ABSOLUTE,
  EXPORT_SYMBOL_FLAGS_REEXPORT,
  EXPORT_SYMBOL_FLAGS_STUB_AND_RESOLVER,
  EXPORT_SYMBOL_FLAGS_WEAK_DEFINITION,
  LC_DYLD_INFO_ONLY,
  LC_FUNCTION_STARTS,
  LC_ID_DYLIB,
  LC_LOAD_DYLIB,
  LC_LOAD_DYLINKER,
  LC_LOAD_WEAK_DYLIB,
  MH_DYLDLINK,
  MH_DYLIB,
  MH_MAGIC_64,
  MH_NOUNDEFS,
  MH_TWOLEVEL,
  PLATFORM_MACOS,
  S_ATTR_PURE_INSTRUCTIONS,
  S_ATTR_SOME_INSTRUCTIONS,
  S_REGULAR,
  TOOL_LD,
  VM_PROT_EXECUTE,
  VM_PROT_READ,
  VM_PROT_WRITE,
  packSourceVersion,
  packVersion,
} from "./constants.js";
import {
  type BindEntry,
  decodeBind,
  decodeRebase,
  decodeWeakBind,
  encodeBind,
  encodeLazyBind,
  encodeRebase,
  encodeWeakBind,
  type RebaseEntry,
  type WeakBindEntry,
} from "./dyld-info.js";
import { buildExportTrie, type ExportEntry, parseExportTrie } from "./exports-trie.js";
import { parseMachO, type Section64, type Segment64 } from "./reader.js";
import {
  buildVersionCommandSize,
  dylibCommandSize,
  dylinkerCommandSize,
  linkerOptionCommandSize,
  rpathCommandSize,
  segmentCommandSize,
  writeBuildVersion,
  writeDyldInfoCommand,
  writeDylibCommand,
  writeDylinkerCommand,
  writeDysymtabCommand,
  writeEntryPoint,
  writeLinkeditDataCommand,
  writeLinkerOptionCommand,
  writeMachHeader,
  writeRpathCommand,
  writeSegment64,
  writeSourceVersion,
  writeSymtabCommand,
  writeUuidCommand,
} from "./writer.js";

function haveTool(tool: string): boolean {
  try {
    execFileSync(tool, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const MC = "llvm-mc-19";
const LLD = "ld64.lld-19";
const OBJDUMP = "llvm-objdump-19";
const hasTools = haveTool(MC) && haveTool(LLD) && haveTool(OBJDUMP);

function objdump(file: string, ...flags: string[]): string {
  return execFileSync(OBJDUMP, ["--macho", ...flags, file], { encoding: "utf8" });
}

/** Table rows after a heading line, split on whitespace, until a blank line or the next heading. */
function tableRows(text: string, heading: string): string[][] {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => l.startsWith(heading));
  if (i < 0) return [];
  const rows: string[][] = [];
  for (let k = i + 2; k < lines.length; k++) {
    const l = lines[k]!;
    if (l.trim() === "" || /^[A-Z][a-z]+.*:$/.test(l)) break;
    rows.push(l.trim().split(/\s+/));
  }
  return rows;
}

function exportsFromObjdump(text: string): string[] {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => l.startsWith("Exports trie:"));
  const out: string[] = [];
  for (let k = i + 1; k < lines.length && lines[k]!.trim() !== ""; k++) out.push(lines[k]!.trim());
  return out;
}

const hex8 = (n: number) => `0x${n.toString(16).toUpperCase().padStart(8, "0")}`;

const BAR = `
  .section __TEXT,__text,regular,pure_instructions
  .globl _bar_fn
_bar_fn:
  retq
  .globl _bar_fn2
_bar_fn2:
  retq
  .globl dyld_stub_binder
dyld_stub_binder:
  retq
  .section __DATA,__data
  .globl _bar_data
_bar_data:
  .quad 0
`;

const FOO = `
  .section __TEXT,__text,regular,pure_instructions
  .globl _foo_main
_foo_main:
  callq _bar_fn
  callq _bar_fn2
  movq _bar_data@GOTPCREL(%rip), %rax
  retq
  .globl _foo_weak
  .weak_definition _foo_weak
_foo_weak:
  retq
  .globl _foo_abs
  _foo_abs = 0x1234
  .section __DATA,__data
  .globl _foo_ptrs
  .p2align 3
_foo_ptrs:
  .quad _foo_main
  .quad _foo_ptrs
  .quad _bar_data + 16
  .quad _bar_fn
  .quad _foo_weak
  .quad _foo_main + 8
  .quad _bar_data
  .quad _foo_ptrs + 8
  .quad _foo_ptrs + 16
  .quad _foo_ptrs + 24
.subsections_via_symbols
`;

describe.skipIf(!hasTools)("cross-check with LLVM", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "macho-format-llvm-"));
    writeFileSync(join(dir, "bar.s"), BAR);
    writeFileSync(join(dir, "foo.s"), FOO);
    const mc = (n: string) =>
      execFileSync(MC, [
        "-triple",
        "x86_64-apple-macos11",
        "-filetype=obj",
        join(dir, `${n}.s`),
        "-o",
        join(dir, `${n}.o`),
      ]);
    mc("bar");
    mc("foo");
    const lld = (...args: string[]) =>
      execFileSync(LLD, ["-arch", "x86_64", "-platform_version", "macos", "11.0", "11.0", "-dylib", ...args]);
    lld("-install_name", "@rpath/libbar.dylib", join(dir, "bar.o"), "-o", join(dir, "libbar.dylib"));
    lld(
      "-install_name",
      "/usr/lib/libfoo.dylib",
      join(dir, "foo.o"),
      join(dir, "libbar.dylib"),
      "-o",
      join(dir, "libfoo.dylib"),
      "-no_fixup_chains",
    );
    lld(
      "-install_name",
      "/usr/lib/libfoo.dylib",
      join(dir, "foo.o"),
      join(dir, "libbar.dylib"),
      "-o",
      join(dir, "libfoo-chained.dylib"),
      "-fixup_chains",
    );
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("decodes ld64.lld's opcode streams and export trie like llvm-objdump", () => {
    const path = join(dir, "libfoo.dylib");
    const buf = new Uint8Array(readFileSync(path));
    const f = parseMachO(buf);
    const info = f.dyldInfo!;
    expect(info).toBeDefined();
    expect(f.idDylib?.name).toBe("/usr/lib/libfoo.dylib");
    expect(f.dylibs.map((d) => [d.cmd, d.name])).toEqual([[LC_LOAD_DYLIB, "@rpath/libbar.dylib"]]);
    const dump = objdump(path, "--rebase", "--bind", "--weak-bind", "--lazy-bind", "--exports-trie");
    const segName = (i: number) => f.segments[i]!.segname;
    const va = (e: { segIndex: number; segOffset: number }) => f.segments[e.segIndex]!.vmaddr + e.segOffset;

    const rebases = decodeRebase(buf.subarray(info.rebaseOff, info.rebaseOff + info.rebaseSize), f.segments);
    expect(rebases.map((r) => [segName(r.segIndex), hex8(va(r))])).toEqual(
      tableRows(dump, "Rebase table:").map((r) => [r[0], r[2]]),
    );
    expect(rebases.length).toBeGreaterThan(4);

    const binds = decodeBind(buf.subarray(info.bindOff, info.bindOff + info.bindSize));
    expect(binds.map((b) => [segName(b.segIndex), va(b), b.addend, b.symbol])).toEqual(
      tableRows(dump, "Bind table:").map((r) => [r[0], Number.parseInt(r[2]!, 16), Number(r[4]), r[6]]),
    );
    expect(binds.every((b) => b.ordinal === 1)).toBe(true);

    const lazy = decodeBind(buf.subarray(info.lazyBindOff, info.lazyBindOff + info.lazyBindSize), true);
    expect(lazy.map((b) => [segName(b.segIndex), hex8(va(b)), b.symbol])).toEqual(
      tableRows(dump, "Lazy bind table:").map((r) => [r[0], r[2], r[4]]),
    );

    const weak = decodeWeakBind(buf.subarray(info.weakBindOff, info.weakBindOff + info.weakBindSize));
    expect(weak.binds.map((b) => [segName(b.segIndex), hex8(va(b)), b.symbol])).toEqual(
      tableRows(dump, "Weak bind table:").map((r) => [r[0], r[2], r[5]]),
    );

    const exportsBytes = buf.subarray(info.exportOff, info.exportOff + info.exportSize);
    const exports = parseExportTrie(exportsBytes);
    expect(
      exports.map((e) => {
        const kind = (e.flags & 3) === EXPORT_SYMBOL_FLAGS_KIND_ABSOLUTE ? " [absolute]" : "";
        const weakDef = (e.flags & EXPORT_SYMBOL_FLAGS_WEAK_DEFINITION) !== 0 ? " [weak_def]" : "";
        return `${hex8(e.address)}  ${e.name}${weakDef}${kind}`;
      }),
    ).toEqual(exportsFromObjdump(dump));

    // Re-encoding what lld wrote gives equivalent streams.
    expect(decodeRebase(encodeRebase(rebases))).toEqual(
      [...rebases].sort((a, b) => a.segIndex - b.segIndex || a.segOffset - b.segOffset),
    );
    const key = (b: BindEntry) => JSON.stringify(b);
    expect(decodeBind(encodeBind(binds)).map(key).sort()).toEqual(binds.map(key).sort());
    expect(decodeBind(encodeLazyBind(lazy).bytes, true)).toEqual(lazy);
    // Our trie for the same symbols holds the same entries and is no larger than lld's
    // (lld orders sibling edges differently, so the bytes differ).
    const ours = buildExportTrie(exports);
    expect(ours.length).toBeLessThanOrEqual(exportsBytes.length);
    const byName = (a: ExportEntry, b: ExportEntry) => (a.name < b.name ? -1 : 1);
    expect(parseExportTrie(ours)).toEqual([...exports].sort(byName));
  });

  it("decodes ld64.lld's chained fixups like llvm-objdump", () => {
    const path = join(dir, "libfoo-chained.dylib");
    const buf = new Uint8Array(readFileSync(path));
    const f = parseMachO(buf);
    expect(f.chainedFixups).toBeDefined();
    expect(f.exportsTrie).toBeDefined();
    const cf = decodeChainedFixups(buf, f.chainedFixupsCmdOff!, f.segments);
    const rows = tableRows(objdump(path, "--dyld-info"), "dyld information:");
    const ours = [
      ...cf.rebases.map((r) => ({
        va: f.segments[r.segIndex]!.vmaddr + r.segOffset,
        row: [f.segments[r.segIndex]!.segname, "rebase", `0x${r.target.toString(16).toUpperCase()}`],
      })),
      ...cf.binds.map((b) => ({
        va: f.segments[b.segIndex]!.vmaddr + b.segOffset,
        row: [
          f.segments[b.segIndex]!.segname,
          "bind",
          `0x${b.addend.toString(16).toUpperCase()}`,
          b.libOrdinal === -3 ? "weak" : "libbar",
          b.symbol,
        ],
      })),
    ].sort((a, b) => a.va - b.va);
    expect(ours.map((o) => o.row)).toEqual(
      rows.map((r) => (r[4] === "rebase" ? [r[0], r[4], r[5]] : [r[0], r[4], r[5], r[6], r[7]])),
    );
    expect(ours.map((o) => `0x${o.va.toString(16).toUpperCase()}`)).toEqual(
      rows.map((r) => r[2]!.toUpperCase().replace("0X", "0x")),
    );
    expect(cf.imports.map((i) => i.name)).toEqual(["_bar_data", "_bar_fn2", "_bar_fn", "_foo_weak"]);
    // Re-encoding what we decoded reproduces lld's payload and pointer words byte for byte.
    const cfd = f.chainedFixups!;
    const input = {
      pointerFormat: cf.starts[0]!.pointerFormat,
      pageSize: cf.starts[0]!.pageSize,
      imageBase: f.segments[0]!.vmaddr,
      segments: f.segments,
      imports: cf.imports,
      rebases: cf.rebases,
      binds: cf.binds.map((b) => ({ ...b, addend: b.addend - cf.imports[b.importIndex]!.addend })),
    };
    const payload = encodeChainedFixups(input);
    expect(
      Buffer.from(payload.subarray(0, cfd.datasize)).equals(
        Buffer.from(buf.subarray(cfd.dataoff, cfd.dataoff + cfd.datasize)),
      ),
    ).toBe(true);
    const copy = buf.slice();
    for (const r of [...cf.rebases, ...cf.binds])
      copy.fill(0, f.segments[r.segIndex]!.fileoff + r.segOffset, f.segments[r.segIndex]!.fileoff + r.segOffset + 8);
    applyChainedFixups(copy, input);
    expect(Buffer.from(copy).equals(Buffer.from(buf))).toBe(true);
    // the exports trie of a chained-fixups image (LC_DYLD_EXPORTS_TRIE) parses too
    const t = f.exportsTrie!;
    expect(parseExportTrie(buf.subarray(t.dataoff, t.dataoff + t.datasize)).map((e) => e.name)).toEqual([
      "_foo_abs",
      "_foo_ptrs",
      "_foo_main",
      "_foo_weak",
    ]);
  });

  it("writes a dylib whose load commands and dyld info llvm-objdump reads back", () => {
    const DATA_VM = 0x1000;
    const DATA_SIZE = 0x4000;
    // Streams.
    const rebases: RebaseEntry[] = [];
    for (let i = 0; i < 40; i++) rebases.push({ segIndex: 1, segOffset: i < 20 ? i * 8 : 0x200 + i * 40 });
    const binds: BindEntry[] = [
      { segIndex: 1, segOffset: 0x1000, ordinal: 1, symbol: "_malloc", flags: 0, addend: 0 },
      { segIndex: 1, segOffset: 0x1008, ordinal: 1, symbol: "_malloc", flags: 0, addend: 8 },
      {
        segIndex: 1,
        segOffset: 0x1010,
        ordinal: 2,
        symbol: "_weakly",
        flags: BIND_SYMBOL_FLAGS_WEAK_IMPORT,
        addend: 0,
      },
      {
        segIndex: 1,
        segOffset: 0x1018,
        ordinal: BIND_SPECIAL_DYLIB_FLAT_LOOKUP,
        symbol: "_flat",
        flags: 0,
        addend: -4,
      },
    ];
    for (let i = 0; i < 10; i++)
      binds.push({ segIndex: 1, segOffset: 0x1100 + i * 32, ordinal: 2, symbol: "_many", flags: 0, addend: 0 });
    const weak: WeakBindEntry[] = [
      { segIndex: 1, segOffset: 0x2000, symbol: "__ZdlPv", flags: 0, addend: 0 },
      { segIndex: 1, segOffset: 0x2008, symbol: "__Znwm", flags: 0, addend: 0 },
    ];
    const lazy: BindEntry[] = [
      { segIndex: 1, segOffset: 0x3000, ordinal: 1, symbol: "_puts", flags: 0, addend: 0 },
      { segIndex: 1, segOffset: 0x3008, ordinal: 2, symbol: "_exit", flags: 0, addend: 0 },
    ];
    const exports: ExportEntry[] = [
      { name: "_foo", flags: 0, address: 0x800 },
      { name: "_foobar", flags: EXPORT_SYMBOL_FLAGS_WEAK_DEFINITION, address: 0x810 },
      { name: "_abs", flags: EXPORT_SYMBOL_FLAGS_KIND_ABSOLUTE, address: 0x42 },
      { name: "_reexp", flags: EXPORT_SYMBOL_FLAGS_REEXPORT, address: 0, ordinal: 1, importName: "_calloc" },
      { name: "_resolved", flags: EXPORT_SYMBOL_FLAGS_STUB_AND_RESOLVER, address: 0x820, resolver: 0x830 },
    ];
    const rb = encodeRebase(rebases);
    const bd = encodeBind(binds);
    const wb = encodeWeakBind(weak, ["_strong"]);
    const lz = encodeLazyBind(lazy).bytes;
    const ex = buildExportTrie(exports);

    // Layout.
    const textSect: Section64 = {
      sectname: "__text",
      segname: "__TEXT",
      addr: 0x800,
      size: 0x100,
      offset: 0x800,
      align: 4,
      reloff: 0,
      nreloc: 0,
      flags: (S_REGULAR | S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS) >>> 0,
      reserved1: 0,
      reserved2: 0,
      reserved3: 0,
      index: 1,
    };
    const dataSect: Section64 = {
      sectname: "__data",
      segname: "__DATA",
      addr: DATA_VM,
      size: DATA_SIZE,
      offset: DATA_VM,
      align: 3,
      reloff: 0,
      nreloc: 0,
      flags: S_REGULAR,
      reserved1: 0,
      reserved2: 0,
      reserved3: 0,
      index: 2,
    };
    const linkeditOff = DATA_VM + DATA_SIZE;
    let lp = linkeditOff;
    const place = (b: Uint8Array) => {
      const o = lp;
      lp += b.length;
      return o;
    };
    const rbOff = place(rb);
    const bdOff = place(bd);
    const wbOff = place(wb);
    const lzOff = place(lz);
    const exOff = place(ex);
    const fsOff = place(new Uint8Array(8));
    const linkeditSize = lp - linkeditOff;
    const segs: Segment64[] = [
      {
        segname: "__TEXT",
        vmaddr: 0,
        vmsize: 0x1000,
        fileoff: 0,
        filesize: 0x1000,
        maxprot: VM_PROT_READ | VM_PROT_EXECUTE,
        initprot: VM_PROT_READ | VM_PROT_EXECUTE,
        nsects: 1,
        flags: 0,
        sections: [textSect],
      },
      {
        segname: "__DATA",
        vmaddr: DATA_VM,
        vmsize: DATA_SIZE,
        fileoff: DATA_VM,
        filesize: DATA_SIZE,
        maxprot: VM_PROT_READ | VM_PROT_WRITE,
        initprot: VM_PROT_READ | VM_PROT_WRITE,
        nsects: 1,
        flags: 0,
        sections: [dataSect],
      },
      {
        segname: "__LINKEDIT",
        vmaddr: linkeditOff,
        vmsize: 0x1000,
        fileoff: linkeditOff,
        filesize: linkeditSize,
        maxprot: VM_PROT_READ,
        initprot: VM_PROT_READ,
        nsects: 0,
        flags: 0,
        sections: [],
      },
    ];
    const uuid = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
    const sizes = [
      segmentCommandSize(1),
      segmentCommandSize(1),
      segmentCommandSize(0),
      48,
      24,
      80,
      dylibCommandSize("/usr/lib/libsynth.dylib"),
      dylibCommandSize("/usr/lib/libA.dylib"),
      dylibCommandSize("@rpath/libB.dylib"),
      dylinkerCommandSize("/usr/lib/dyld"),
      rpathCommandSize("@loader_path/../lib"),
      24,
      buildVersionCommandSize(1),
      16,
      16,
      linkerOptionCommandSize(["-framework", "Foundation"]),
      24,
    ];
    const sizeofcmds = sizes.reduce((a, b) => a + b, 0);
    const file = new Uint8Array(lp).fill(0xcc); // garbage, to check padding is written
    file.fill(0, 32 + sizeofcmds);
    const view = new DataView(file.buffer);
    let p = writeMachHeader(view, 0, {
      magic: MH_MAGIC_64,
      cputype: CPU_TYPE_X86_64,
      cpusubtype: CPU_SUBTYPE_X86_64_ALL,
      filetype: MH_DYLIB,
      ncmds: sizes.length,
      sizeofcmds,
      flags: MH_NOUNDEFS | MH_DYLDLINK | MH_TWOLEVEL,
    });
    for (const s of segs) p = writeSegment64(view, p, s);
    p = writeDyldInfoCommand(view, p, LC_DYLD_INFO_ONLY, {
      rebaseOff: rbOff,
      rebaseSize: rb.length,
      bindOff: bdOff,
      bindSize: bd.length,
      weakBindOff: wbOff,
      weakBindSize: wb.length,
      lazyBindOff: lzOff,
      lazyBindSize: lz.length,
      exportOff: exOff,
      exportSize: ex.length,
    });
    p = writeSymtabCommand(view, p, { symoff: 0, nsyms: 0, stroff: 0, strsize: 0 });
    p = writeDysymtabCommand(view, p, {
      ilocalsym: 0,
      nlocalsym: 0,
      iextdefsym: 0,
      nextdefsym: 0,
      iundefsym: 0,
      nundefsym: 0,
      tocoff: 0,
      ntoc: 0,
      modtaboff: 0,
      nmodtab: 0,
      extrefsymoff: 0,
      nextrefsyms: 0,
      indirectsymoff: 0,
      nindirectsyms: 0,
      extreloff: 0,
      nextrel: 0,
      locreloff: 0,
      nlocrel: 0,
    });
    p = writeDylibCommand(
      view,
      p,
      LC_ID_DYLIB,
      "/usr/lib/libsynth.dylib",
      packVersion(1, 2, 3),
      packVersion(1, 0, 0),
      1,
    );
    p = writeDylibCommand(view, p, LC_LOAD_DYLIB, "/usr/lib/libA.dylib", packVersion(5, 0, 0), packVersion(1, 0, 0));
    p = writeDylibCommand(view, p, LC_LOAD_WEAK_DYLIB, "@rpath/libB.dylib", packVersion(2, 1, 0), packVersion(2, 0, 0));
    p = writeDylinkerCommand(view, p, LC_LOAD_DYLINKER, "/usr/lib/dyld");
    p = writeRpathCommand(view, p, "@loader_path/../lib");
    p = writeUuidCommand(view, p, uuid);
    p = writeBuildVersion(view, p, {
      platform: PLATFORM_MACOS,
      minos: packVersion(11, 0),
      sdk: packVersion(14, 2),
      tools: [{ tool: TOOL_LD, version: packVersion(1, 0) }],
    });
    p = writeSourceVersion(view, p, packSourceVersion(1, 2, 3));
    p = writeLinkeditDataCommand(view, p, LC_FUNCTION_STARTS, fsOff, 8);
    p = writeLinkerOptionCommand(view, p, ["-framework", "Foundation"]);
    p = writeEntryPoint(view, p, 0x800, 0);
    expect(p).toBe(32 + sizeofcmds);
    file.set(rb, rbOff);
    file.set(bd, bdOff);
    file.set(wb, wbOff);
    file.set(lz, lzOff);
    file.set(ex, exOff);

    // Our reader.
    const f = parseMachO(file);
    expect(f.segments.map((s) => s.segname)).toEqual(["__TEXT", "__DATA", "__LINKEDIT"]);
    expect(f.sections.map((s) => ({ ...s }))).toEqual([textSect, dataSect]);
    expect(f.idDylib).toEqual({
      name: "/usr/lib/libsynth.dylib",
      timestamp: 1,
      currentVersion: packVersion(1, 2, 3),
      compatibilityVersion: packVersion(1, 0, 0),
    });
    expect(f.dylibs.map((d) => d.name)).toEqual(["/usr/lib/libA.dylib", "@rpath/libB.dylib"]);
    expect(f.dylibs[0]!.timestamp).toBe(2);
    expect(f.dylinker).toBe("/usr/lib/dyld");
    expect(f.rpaths).toEqual(["@loader_path/../lib"]);
    expect(f.uuid).toEqual(uuid);
    expect(f.sourceVersion).toBe(packSourceVersion(1, 2, 3));
    expect(f.linkerOptions).toEqual([["-framework", "Foundation"]]);
    expect(f.entry).toEqual({ entryoff: 0x800, stacksize: 0 });
    expect(f.functionStarts).toEqual({ dataoff: fsOff, datasize: 8 });
    expect(f.buildVersion?.tools).toEqual([{ tool: TOOL_LD, version: packVersion(1, 0) }]);

    // LLVM's reader.
    const path = join(dir, "libsynth.dylib");
    writeFileSync(path, file);
    const headers = objdump(path, "--private-headers");
    expect(headers).not.toMatch(/truncated|malformed/i);
    expect(headers).toMatch(/name \/usr\/lib\/libsynth\.dylib \(offset 24\)/);
    expect(headers).toMatch(/current version 1\.2\.3/);
    expect(headers).toMatch(/name @rpath\/libB\.dylib \(offset 24\)/);
    expect(headers).toMatch(/path @loader_path\/\.\.\/lib \(offset 12\)/);
    expect(headers).toMatch(/uuid 00112233-4455-6677-8899-AABBCCDDEEFF/);
    expect(headers).toMatch(/version 1\.2\.3/);
    expect(headers).toMatch(/string #2 Foundation/);
    expect(headers).toMatch(/entryoff 2048/);
    expect(headers).toMatch(/sdk 14\.2/);

    const dump = objdump(path, "--rebase", "--bind", "--weak-bind", "--lazy-bind", "--exports-trie");
    expect(dump).not.toMatch(/truncated|malformed/i);
    const rebaseRows = tableRows(dump, "Rebase table:");
    expect(rebaseRows.map((r) => Number.parseInt(r[2]!, 16))).toEqual(rebases.map((r) => DATA_VM + r.segOffset));
    const bindRows = tableRows(dump, "Bind table:");
    const dylibName = (o: number) =>
      o === 1 ? "libA" : o === 2 ? "libB" : o === BIND_SPECIAL_DYLIB_FLAT_LOOKUP ? "flat-namespace" : "?";
    const expectBinds = [...binds]
      .sort(
        (a, b) =>
          a.ordinal - b.ordinal ||
          (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0) ||
          a.segOffset - b.segOffset,
      )
      .map((b) => [
        Number(DATA_VM + b.segOffset),
        b.addend,
        dylibName(b.ordinal),
        b.symbol + (b.flags & BIND_SYMBOL_FLAGS_WEAK_IMPORT ? " (weak_import)" : ""),
      ]);
    expect(bindRows.map((r) => [Number.parseInt(r[2]!, 16), Number(r[4]), r[5], r.slice(6).join(" ")])).toEqual(
      expectBinds,
    );
    expect(tableRows(dump, "Lazy bind table:").map((r) => [Number.parseInt(r[2]!, 16), r[3], r[4]])).toEqual([
      [0x4000, "libA", "_puts"],
      [0x4008, "libB", "_exit"],
    ]);
    const weakRows = tableRows(dump, "Weak bind table:");
    expect(weakRows.map((r) => r.join(" "))).toEqual([
      "__DATA __data 0x00003000 pointer 0 __ZdlPv",
      "__DATA __data 0x00003008 pointer 0 __Znwm",
      "strong _strong",
    ]);
    // (llvm-objdump lists a node's descendants before the node itself.)
    expect(exportsFromObjdump(dump).sort()).toEqual(
      [
        "0x00000042  _abs [absolute]",
        "0x00000800  _foo",
        "0x00000810  _foobar [weak_def]",
        "[re-export] _reexp (_calloc from libA)",
        "0x00000820  _resolved [resolver=0x00000830]",
      ].sort(),
    );
  });
});
