import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CPU_SUBTYPE_X86_64_ALL,
  CPU_TYPE_X86_64,
  FAT_MAGIC,
  LC_BUILD_VERSION,
  LC_DYSYMTAB,
  LC_LINKER_OPTION,
  LC_SEGMENT_64,
  LC_SYMTAB,
  MH_MAGIC_64,
  MH_OBJECT,
  MH_SUBSECTIONS_VIA_SYMBOLS,
  N_EXT,
  N_SECT,
  N_TYPE,
  N_UNDF,
  PLATFORM_MACOS,
  RELOCATION_INFO_SIZE,
  S_ATTR_PURE_INSTRUCTIONS,
  S_ATTR_SOME_INSTRUCTIONS,
  S_CSTRING_LITERALS,
  S_REGULAR,
  S_ZEROFILL,
  X86_64_RELOC_BRANCH,
  X86_64_RELOC_GOT_LOAD,
  X86_64_RELOC_SIGNED,
  X86_64_RELOC_SUBTRACTOR,
  X86_64_RELOC_UNSIGNED,
  isZerofill,
  packVersion,
  sectionType,
} from "./constants.js";
import { MachOFormatError } from "./errors.js";
import {
  dataViewOf,
  forEachLoadCommand,
  nlistDesc,
  nlistSect,
  nlistStrx,
  nlistType,
  nlistValue,
  parseMachO,
  rExtern,
  rLength,
  rPcrel,
  rSymbolnum,
  rType,
  readCString,
  readFatHeader,
  readMachHeader,
  relocAddress,
  relocExtern,
  relocInfoWord,
  relocIsScattered,
  relocLength,
  relocPcrel,
  relocSymbolnum,
  relocType,
} from "./reader.js";

const LLVM_MC = "llvm-mc-19";
function haveTool(tool: string): boolean {
  try {
    execFileSync(tool, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const hasMc = haveTool(LLVM_MC);

const ASM = `
  .build_version macos, 11, 0 sdk_version 12, 3
  .linker_option "-lfoo"
  .linker_option "-framework", "Cocoa"
  .section __TEXT,__text,regular,pure_instructions
  .globl _main
  .p2align 4
_main:
  pushq %rbp
  callq _external
  movq _data@GOTPCREL(%rip), %rax
  leaq L_.str(%rip), %rdi
  popq %rbp
  retq
_local_fn:
  retq
  .section __TEXT,__cstring,cstring_literals
L_.str:
  .asciz "hello"
  .section __DATA,__data
  .globl _data
  .p2align 3
_data:
  .quad _main
  .quad _external + 8
  .quad _main - _data
  .zerofill __DATA,__bss,_buf,64,4
.subsections_via_symbols
`;

describe.skipIf(!hasMc)("reader on an llvm-mc object", () => {
  let dir = "";
  let buf = new Uint8Array();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "macho-format-"));
    writeFileSync(join(dir, "t.s"), ASM);
    execFileSync(LLVM_MC, [
      "-triple",
      "x86_64-apple-macos11",
      "-filetype=obj",
      join(dir, "t.s"),
      "-o",
      join(dir, "t.o"),
    ]);
    buf = new Uint8Array(readFileSync(join(dir, "t.o")));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("reads the header", () => {
    const h = readMachHeader(buf);
    expect(h.magic).toBe(MH_MAGIC_64);
    expect(h.cputype).toBe(CPU_TYPE_X86_64);
    expect(h.cpusubtype).toBe(CPU_SUBTYPE_X86_64_ALL);
    expect(h.filetype).toBe(MH_OBJECT);
    expect(h.flags).toBe(MH_SUBSECTIONS_VIA_SYMBOLS);
    const cmds: number[] = [];
    forEachLoadCommand(buf, h, (cmd, off, size) => {
      expect(size % 8).toBe(0);
      expect(off).toBeGreaterThanOrEqual(32);
      cmds.push(cmd);
    });
    expect(cmds).toEqual([LC_SEGMENT_64, LC_BUILD_VERSION, LC_SYMTAB, LC_DYSYMTAB, LC_LINKER_OPTION, LC_LINKER_OPTION]);
  });

  it("reads segments, sections and other load commands", () => {
    const f = parseMachO(buf);
    expect(f.segments).toHaveLength(1);
    const seg = f.segments[0]!;
    expect(seg.segname).toBe("");
    expect(seg.nsects).toBe(4);
    expect(f.sections.map((s) => `${s.segname},${s.sectname}`)).toEqual([
      "__TEXT,__text",
      "__TEXT,__cstring",
      "__DATA,__data",
      "__DATA,__bss",
    ]);
    expect(f.sections.map((s) => s.index)).toEqual([1, 2, 3, 4]);
    const [text, cstr, data, bss] = f.sections as [
      (typeof seg.sections)[0],
      (typeof seg.sections)[0],
      (typeof seg.sections)[0],
      (typeof seg.sections)[0],
    ];
    expect(sectionType(text.flags)).toBe(S_REGULAR);
    expect(text.flags & S_ATTR_PURE_INSTRUCTIONS).not.toBe(0);
    expect(text.flags & S_ATTR_SOME_INSTRUCTIONS).not.toBe(0);
    expect(text.align).toBe(4);
    expect(text.nreloc).toBe(3);
    expect(sectionType(cstr.flags)).toBe(S_CSTRING_LITERALS);
    expect(readCString(buf, cstr.offset)).toBe("hello");
    expect(data.size).toBe(24);
    expect(data.nreloc).toBe(4);
    expect(sectionType(bss.flags)).toBe(S_ZEROFILL);
    expect(isZerofill(bss.flags)).toBe(true);
    expect(bss.size).toBe(64);
    expect(bss.offset).toBe(0);

    expect(f.buildVersion).toEqual({
      platform: PLATFORM_MACOS,
      minos: packVersion(11, 0, 0),
      sdk: packVersion(12, 3, 0),
      tools: [],
    });
    expect(f.linkerOptions).toEqual([["-lfoo"], ["-framework", "Cocoa"]]);
    expect(f.symtab?.nsyms).toBe(5);
    expect(f.dysymtab).toMatchObject({
      ilocalsym: 0,
      nlocalsym: 2,
      iextdefsym: 2,
      nextdefsym: 2,
      iundefsym: 4,
      nundefsym: 1,
    });
    expect(f.dylibs).toEqual([]);
    expect(f.rpaths).toEqual([]);
  });

  it("reads symbols through the nlist accessors", () => {
    const f = parseMachO(buf);
    const st = f.symtab!;
    const view = dataViewOf(buf);
    const syms = new Map<string, { type: number; sect: number; desc: number; value: number }>();
    for (let i = 0; i < st.nsyms; i++) {
      const name = readCString(buf, st.stroff + nlistStrx(view, st.symoff, i), st.stroff + st.strsize);
      syms.set(name, {
        type: nlistType(view, st.symoff, i),
        sect: nlistSect(view, st.symoff, i),
        desc: nlistDesc(view, st.symoff, i),
        value: nlistValue(view, st.symoff, i),
      });
    }
    expect([...syms.keys()].sort()).toEqual(["_buf", "_data", "_external", "_local_fn", "_main"]);
    expect(syms.get("_main")).toEqual({ type: N_SECT | N_EXT, sect: 1, desc: 0, value: 0 });
    expect(syms.get("_local_fn")).toMatchObject({ type: N_SECT, sect: 1, value: 0x16 });
    expect(syms.get("_data")).toMatchObject({ type: N_SECT | N_EXT, sect: 3, value: 0x20 });
    expect(syms.get("_buf")).toMatchObject({ type: N_SECT, sect: 4, value: 0x40 });
    expect((syms.get("_external")!.type & N_TYPE) === N_UNDF).toBe(true);
    expect(syms.get("_external")!.type & N_EXT).toBe(N_EXT);
  });

  it("reads relocations through both accessor styles", () => {
    const f = parseMachO(buf);
    const view = dataViewOf(buf);
    const st = f.symtab!;
    const symName = (i: number) => readCString(buf, st.stroff + nlistStrx(view, st.symoff, i));
    const read = (sectIdx: number) => {
      const s = f.sections[sectIdx]!;
      const out: string[] = [];
      for (let i = 0; i < s.nreloc; i++) {
        const off = s.reloff + i * RELOCATION_INFO_SIZE;
        const w = relocInfoWord(view, off);
        expect(relocIsScattered(view, off)).toBe(false);
        expect(rSymbolnum(w)).toBe(relocSymbolnum(view, off));
        expect(rPcrel(w)).toBe(relocPcrel(view, off));
        expect(rLength(w)).toBe(relocLength(view, off));
        expect(rExtern(w)).toBe(relocExtern(view, off));
        expect(rType(w)).toBe(relocType(view, off));
        const target = rExtern(w) ? symName(rSymbolnum(w)) : `sect${rSymbolnum(w)}`;
        out.push(`${relocAddress(view, off)} ${rType(w)} ${rPcrel(w) ? "pc" : "abs"} ${rLength(w)} ${target}`);
      }
      return out;
    };
    expect(read(0)).toEqual([
      `16 ${X86_64_RELOC_SIGNED} pc 2 sect2`,
      `9 ${X86_64_RELOC_GOT_LOAD} pc 2 _data`,
      `2 ${X86_64_RELOC_BRANCH} pc 2 _external`,
    ]);
    expect(read(2)).toEqual([
      `16 ${X86_64_RELOC_SUBTRACTOR} abs 3 _data`,
      `16 ${X86_64_RELOC_UNSIGNED} abs 3 _main`,
      `8 ${X86_64_RELOC_UNSIGNED} abs 3 _external`,
      `0 ${X86_64_RELOC_UNSIGNED} abs 3 _main`,
    ]);
  });

  it("reports truncated and malformed load commands", () => {
    expect(() => readMachHeader(buf.subarray(0, 100))).toThrow(MachOFormatError);
    const bad = buf.slice();
    const view = dataViewOf(bad);
    // cmdsize of load command 1 (right after the 392-byte segment command)
    view.setUint32(32 + 392 + 4, 20, true);
    expect(() => parseMachO(bad)).toThrow(/load command 1 .*not a multiple of 8/);
    view.setUint32(32 + 392 + 4, 4, true);
    expect(() => parseMachO(bad)).toThrow(/load command 1 .*less than 8/);
    view.setUint32(32 + 392 + 4, 0x10000, true);
    expect(() => parseMachO(bad)).toThrow(/extends past sizeofcmds/);
  });
});

describe("header validation", () => {
  it("rejects non-64-bit and foreign files", () => {
    expect(() => readMachHeader(Uint8Array.from([0xce, 0xfa, 0xed, 0xfe, 0, 0, 0, 0]))).toThrow(
      /not a 64-bit Mach-O file \(magic 0xcefaedfe/,
    );
    expect(() => readMachHeader(new TextEncoder().encode("\x7fELF and more bytes here............."))).toThrow(
      MachOFormatError,
    );
    expect(() => readMachHeader(new Uint8Array(2))).toThrow(MachOFormatError);
  });

  it("reads fat headers", () => {
    const b = new Uint8Array(4096 * 3);
    const v = new DataView(b.buffer);
    v.setUint32(0, FAT_MAGIC);
    v.setUint32(4, 2);
    v.setUint32(8, CPU_TYPE_X86_64);
    v.setUint32(12, 3);
    v.setUint32(16, 4096);
    v.setUint32(20, 100);
    v.setUint32(24, 12);
    v.setUint32(28, 0x0100000c);
    v.setUint32(32, 0);
    v.setUint32(36, 8192);
    v.setUint32(40, 200);
    v.setUint32(44, 14);
    expect(readFatHeader(b)).toEqual([
      { cputype: CPU_TYPE_X86_64, cpusubtype: 3, offset: 4096, size: 100, align: 12 },
      { cputype: 0x0100000c, cpusubtype: 0, offset: 8192, size: 200, align: 14 },
    ]);
    expect(readFatHeader(new Uint8Array(64))).toBeUndefined();
    v.setUint32(40, 100000);
    expect(() => readFatHeader(b)).toThrow(MachOFormatError);
    v.setUint32(40, 200);
    // A slice inside the fat header, or two slices sharing bytes.
    v.setUint32(16, 16);
    expect(() => readFatHeader(b)).toThrow(/fat slice 0 \(offset 16\) overlaps the fat header/);
    v.setUint32(16, 8192 - 50);
    expect(() => readFatHeader(b)).toThrow(/fat slices 0 and 1 overlap/);
  });
});
