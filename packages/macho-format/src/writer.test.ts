import { describe, expect, it } from "vitest";
import {
  LC_BUILD_VERSION,
  LC_DYLD_INFO_ONLY,
  LC_ID_DYLINKER,
  LC_LINKER_OPTION,
  LC_LOAD_DYLIB,
  LC_MAIN,
  LC_RPATH,
  LC_SEGMENT_64,
  LC_VERSION_MIN_MACOSX,
  N_EXT,
  N_SECT,
  PLATFORM_MACOS,
  TOOL_CLANG,
  TOOL_LD,
  X86_64_RELOC_BRANCH,
  X86_64_RELOC_SUBTRACTOR,
  formatSourceVersion,
  formatVersion,
  packSourceVersion,
  packVersion,
  parseVersion,
} from "./constants.js";
import {
  dataViewOf,
  nlistDesc,
  nlistSect,
  nlistStrx,
  nlistType,
  nlistValue,
  readBuildVersion,
  readDyldInfo,
  readDylibCommand,
  readDylinkerCommand,
  readDysymtabCommand,
  readEntryPoint,
  readLinkerOption,
  readRpath,
  readSegment64,
  readSourceVersion,
  readSymtabCommand,
  readUuid,
  readVersionMin,
  relocAddress,
  relocExtern,
  relocLength,
  relocPcrel,
  relocSymbolnum,
  relocType,
  type Segment64,
} from "./reader.js";
import {
  buildVersionCommandSize,
  dylibCommandSize,
  dylinkerCommandSize,
  linkerOptionCommandSize,
  relocInfoPack,
  rpathCommandSize,
  segmentCommandSize,
  writeBuildVersion,
  writeDyldInfoCommand,
  writeDylibCommand,
  writeDylinkerCommand,
  writeDysymtabCommand,
  writeEntryPoint,
  writeFixedString,
  writeLinkerOptionCommand,
  writeNlist,
  writeRelocationInfo,
  writeRpathCommand,
  writeSegment64,
  writeSourceVersion,
  writeSymtabCommand,
  writeU64,
  writeUuidCommand,
  writeVersionMin,
} from "./writer.js";

function fresh(size = 512): { buf: Uint8Array; view: DataView } {
  const buf = new Uint8Array(size).fill(0xee);
  return { buf, view: dataViewOf(buf) };
}

describe("writer", () => {
  it("writes segments with sections that read back", () => {
    const seg: Segment64 = {
      segname: "__DATA_CONST",
      vmaddr: 0x100004000,
      vmsize: 0x4000,
      fileoff: 0x4000,
      filesize: 0x4000,
      maxprot: 3,
      initprot: 3,
      nsects: 2,
      flags: 0x10,
      sections: [
        {
          sectname: "__got",
          segname: "__DATA_CONST",
          addr: 0x100004000,
          size: 16,
          offset: 0x4000,
          align: 3,
          reloff: 0,
          nreloc: 0,
          flags: 6,
          reserved1: 7,
          reserved2: 0,
          reserved3: 0,
          index: 5,
        },
        // a 16-character name fills the field with no NUL
        {
          sectname: "__objc_imageinfo",
          segname: "__DATA_CONST",
          addr: 0x100004010,
          size: 8,
          offset: 0x4010,
          align: 2,
          reloff: 0,
          nreloc: 0,
          flags: 0x10000000,
          reserved1: 0,
          reserved2: 0,
          reserved3: 0,
          index: 6,
        },
      ],
    };
    const { buf, view } = fresh(400);
    expect(writeSegment64(view, 8, seg)).toBe(8 + segmentCommandSize(2));
    expect(view.getUint32(8, true)).toBe(LC_SEGMENT_64);
    expect(view.getUint32(12, true)).toBe(72 + 160);
    expect(readSegment64(buf, 8, 5)).toEqual(seg);
  });

  it("writes the fixed-size commands", () => {
    const { buf, view } = fresh();
    let p = writeSymtabCommand(view, 0, { symoff: 1, nsyms: 2, stroff: 3, strsize: 4 });
    expect(readSymtabCommand(buf, 0)).toEqual({ symoff: 1, nsyms: 2, stroff: 3, strsize: 4 });
    const dy = {
      ilocalsym: 1,
      nlocalsym: 2,
      iextdefsym: 3,
      nextdefsym: 4,
      iundefsym: 5,
      nundefsym: 6,
      tocoff: 7,
      ntoc: 8,
      modtaboff: 9,
      nmodtab: 10,
      extrefsymoff: 11,
      nextrefsyms: 12,
      indirectsymoff: 13,
      nindirectsyms: 14,
      extreloff: 15,
      nextrel: 16,
      locreloff: 17,
      nlocrel: 18,
    };
    const dyOff = p;
    p = writeDysymtabCommand(view, p, dy);
    expect(p - dyOff).toBe(80);
    expect(readDysymtabCommand(buf, dyOff)).toEqual(dy);
    const info = {
      rebaseOff: 1,
      rebaseSize: 2,
      bindOff: 3,
      bindSize: 4,
      weakBindOff: 5,
      weakBindSize: 6,
      lazyBindOff: 7,
      lazyBindSize: 8,
      exportOff: 9,
      exportSize: 10,
    };
    const infoOff = p;
    p = writeDyldInfoCommand(view, p, LC_DYLD_INFO_ONLY, info);
    expect(view.getUint32(infoOff, true)).toBe(LC_DYLD_INFO_ONLY);
    expect(readDyldInfo(buf, infoOff)).toEqual(info);
    const mainOff = p;
    p = writeEntryPoint(view, p, 0x3f50, 0x100000);
    expect(view.getUint32(mainOff, true)).toBe(LC_MAIN);
    expect(readEntryPoint(buf, mainOff)).toEqual({ entryoff: 0x3f50, stacksize: 0x100000 });
    const uuid = Uint8Array.from({ length: 16 }, (_, i) => 255 - i);
    const uuidOff = p;
    p = writeUuidCommand(view, p, uuid);
    expect(readUuid(buf, uuidOff)).toEqual(uuid);
    expect(() => writeUuidCommand(view, p, new Uint8Array(4))).toThrow(RangeError);
    const svOff = p;
    p = writeSourceVersion(view, p, packSourceVersion(1205, 3, 7, 1, 2));
    expect(formatSourceVersion(readSourceVersion(buf, svOff))).toBe("1205.3.7.1.2");
    const vmOff = p;
    p = writeVersionMin(view, p, LC_VERSION_MIN_MACOSX, parseVersion("10.14"), parseVersion("11.1"));
    expect(readVersionMin(buf, vmOff)).toEqual({ version: packVersion(10, 14, 0), sdk: packVersion(11, 1, 0) });
    const bv = {
      platform: PLATFORM_MACOS,
      minos: parseVersion("11.0"),
      sdk: parseVersion("14.2.1"),
      tools: [
        { tool: TOOL_CLANG, version: 1 },
        { tool: TOOL_LD, version: 2 },
      ],
    };
    const bvOff = p;
    p = writeBuildVersion(view, p, bv);
    expect(p - bvOff).toBe(buildVersionCommandSize(2));
    expect(view.getUint32(bvOff, true)).toBe(LC_BUILD_VERSION);
    expect(readBuildVersion(buf, bvOff)).toEqual(bv);
    expect(formatVersion(bv.sdk)).toBe("14.2.1");
    expect(formatVersion(bv.minos)).toBe("11.0");
  });

  it("writes string commands with zeroed padding", () => {
    const { buf, view } = fresh();
    const name = "/System/Library/Frameworks/Foundation.framework/Foundation";
    const size = dylibCommandSize(name);
    expect(size % 8).toBe(0);
    expect(size).toBe(Math.ceil((24 + name.length + 1) / 8) * 8);
    expect(writeDylibCommand(view, 0, LC_LOAD_DYLIB, name, packVersion(1, 2, 3), packVersion(1, 0, 0))).toBe(size);
    expect(readDylibCommand(buf, 0)).toEqual({
      name,
      timestamp: 2,
      currentVersion: packVersion(1, 2, 3),
      compatibilityVersion: packVersion(1, 0, 0),
    });
    expect([...buf.subarray(24 + name.length, size)].every((b) => b === 0)).toBe(true);
    expect(buf[size]).toBe(0xee);

    const { buf: b2, view: v2 } = fresh();
    const end = writeDylinkerCommand(v2, 0, LC_ID_DYLINKER, "/usr/lib/dyld");
    expect(end).toBe(dylinkerCommandSize("/usr/lib/dyld"));
    expect(end).toBe(32);
    expect(readDylinkerCommand(b2, 0)).toBe("/usr/lib/dyld");
    const rpOff = end;
    const rpEnd = writeRpathCommand(v2, rpOff, "@executable_path/../Frameworks/é");
    expect(rpEnd - rpOff).toBe(rpathCommandSize("@executable_path/../Frameworks/é"));
    expect(v2.getUint32(rpOff, true)).toBe(LC_RPATH);
    expect(readRpath(b2, rpOff)).toBe("@executable_path/../Frameworks/é");
    const loOff = rpEnd;
    const loEnd = writeLinkerOptionCommand(v2, loOff, ["-framework", "AppKit", "-lz"]);
    expect(loEnd - loOff).toBe(linkerOptionCommandSize(["-framework", "AppKit", "-lz"]));
    expect(v2.getUint32(loOff, true)).toBe(LC_LINKER_OPTION);
    expect(readLinkerOption(b2, loOff)).toEqual(["-framework", "AppKit", "-lz"]);
    expect([...b2.subarray(loOff + 12 + 11 + 7 + 4, loEnd)].every((b) => b === 0)).toBe(true);
  });

  it("writes nlist and relocation entries the accessors read", () => {
    const { view } = fresh(64);
    writeNlist(view, 0, 17, N_SECT | N_EXT, 3, 0x0080, 0x100003f50);
    writeNlist(view, 16, 1, 0, 0, 0xfe00, 2 ** 52 + 1);
    expect([
      nlistStrx(view, 0, 0),
      nlistType(view, 0, 0),
      nlistSect(view, 0, 0),
      nlistDesc(view, 0, 0),
      nlistValue(view, 0, 0),
    ]).toEqual([17, N_SECT | N_EXT, 3, 0x80, 0x100003f50]);
    expect(nlistValue(view, 0, 1)).toBe(2 ** 52 + 1);
    expect(nlistDesc(view, 0, 1)).toBe(0xfe00);
    writeRelocationInfo(view, 32, 0x1c, 0xabcdef, true, 2, true, X86_64_RELOC_BRANCH);
    writeRelocationInfo(view, 40, -4, 5, false, 3, false, X86_64_RELOC_SUBTRACTOR);
    expect([
      relocAddress(view, 32),
      relocSymbolnum(view, 32),
      relocPcrel(view, 32),
      relocLength(view, 32),
      relocExtern(view, 32),
      relocType(view, 32),
    ]).toEqual([0x1c, 0xabcdef, true, 2, true, X86_64_RELOC_BRANCH]);
    expect([
      relocAddress(view, 40),
      relocSymbolnum(view, 40),
      relocPcrel(view, 40),
      relocLength(view, 40),
      relocExtern(view, 40),
      relocType(view, 40),
    ]).toEqual([-4, 5, false, 3, false, X86_64_RELOC_SUBTRACTOR]);
    expect(relocInfoPack(0, false, 0, false, 15)).toBe(0xf0000000);
  });

  it("handles u64 edge cases and fixed-width names", () => {
    const { buf, view } = fresh(32);
    writeU64(view, 0, -1);
    expect(view.getBigUint64(0, true)).toBe(0xffffffffffffffffn);
    writeU64(view, 8, 2 ** 53 - 1);
    expect(view.getBigUint64(8, true)).toBe(2n ** 53n - 1n);
    expect(writeFixedString(buf, 16, "__TEXT", 16)).toBe(32);
    expect([...buf.subarray(22, 32)].every((b) => b === 0)).toBe(true);
    expect(() => writeFixedString(buf, 16, "x".repeat(17), 16)).toThrow(RangeError);
  });
});
