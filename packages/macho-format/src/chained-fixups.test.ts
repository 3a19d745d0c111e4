import { describe, expect, it } from "vitest";
import {
  applyChainedFixups,
  type ChainedFixupsInput,
  decodeChainedFixups,
  encodeChainedFixups,
} from "./chained-fixups.js";
import {
  DYLD_CHAINED_IMPORT,
  DYLD_CHAINED_IMPORT_ADDEND,
  DYLD_CHAINED_IMPORT_ADDEND64,
  DYLD_CHAINED_PTR_64,
  DYLD_CHAINED_PTR_64_OFFSET,
  DYLD_CHAINED_PTR_START_NONE,
  LC_DYLD_CHAINED_FIXUPS,
} from "./constants.js";
import { MachOFormatError } from "./errors.js";
import { writeLinkeditDataCommand } from "./writer.js";

/** An image with three segments (__TEXT, __DATA 3 pages, __LINKEDIT) and the payload in __LINKEDIT. */
function roundTrip(input: Omit<ChainedFixupsInput, "segments" | "pageSize" | "imageBase">) {
  const pageSize = 0x1000;
  const segments = [
    { vmaddr: 0x100000000, vmsize: 0x1000, fileoff: 0, filesize: 0x1000 },
    { vmaddr: 0x100001000, vmsize: 0x3000, fileoff: 0x1000, filesize: 0x3000 },
    { vmaddr: 0x100004000, vmsize: 0x1000, fileoff: 0x4000, filesize: 0x1000 },
  ];
  const full: ChainedFixupsInput = { ...input, segments, pageSize, imageBase: 0x100000000 };
  const payload = encodeChainedFixups(full);
  expect(payload.length % 8).toBe(0);
  const file = new Uint8Array(0x5000);
  file.set(payload, 0x4000);
  writeLinkeditDataCommand(new DataView(file.buffer), 0x100, LC_DYLD_CHAINED_FIXUPS, 0x4000, payload.length);
  applyChainedFixups(file, full);
  return { decoded: decodeChainedFixups(file, 0x100, segments), file };
}

describe("chained fixups", () => {
  it("round-trips rebases and binds across pages", () => {
    const imports = [
      { libOrdinal: 1, weakImport: false, name: "_malloc", addend: 0 },
      { libOrdinal: -3, weakImport: false, name: "_weakdef", addend: 0 },
      { libOrdinal: 2, weakImport: true, name: "_maybe", addend: 0 },
    ];
    const rebases = [
      { segIndex: 1, segOffset: 0, target: 0x100000f00 },
      { segIndex: 1, segOffset: 8, target: 0x100001000, high8: 0x12 },
      { segIndex: 1, segOffset: 0x2ff8, target: 0x100002000 },
    ];
    const binds = [
      { segIndex: 1, segOffset: 0x10, importIndex: 0 },
      { segIndex: 1, segOffset: 0xff8, importIndex: 1, addend: 0x20 },
      { segIndex: 1, segOffset: 0x2000, importIndex: 2 },
    ];
    const { decoded } = roundTrip({ pointerFormat: DYLD_CHAINED_PTR_64, imports, rebases, binds });
    expect(decoded.header.importsFormat).toBe(DYLD_CHAINED_IMPORT);
    expect(decoded.imports).toEqual(imports);
    expect(decoded.rebases).toEqual(rebases.map((r) => ({ ...r, high8: r.high8 ?? 0 })));
    expect(decoded.binds).toEqual([
      { segIndex: 1, segOffset: 0x10, importIndex: 0, libOrdinal: 1, symbol: "_malloc", weakImport: false, addend: 0 },
      {
        segIndex: 1,
        segOffset: 0xff8,
        importIndex: 1,
        libOrdinal: -3,
        symbol: "_weakdef",
        weakImport: false,
        addend: 0x20,
      },
      { segIndex: 1, segOffset: 0x2000, importIndex: 2, libOrdinal: 2, symbol: "_maybe", weakImport: true, addend: 0 },
    ]);
    expect(decoded.starts).toEqual([
      {
        segIndex: 1,
        size: 28,
        pageSize: 0x1000,
        pointerFormat: DYLD_CHAINED_PTR_64,
        segmentOffset: 0x1000,
        maxValidPointer: 0,
        pageStarts: [0, DYLD_CHAINED_PTR_START_NONE, 0],
      },
    ]);
  });

  it("marks pages without fixups and picks wider import formats when needed", () => {
    const { decoded } = roundTrip({
      pointerFormat: DYLD_CHAINED_PTR_64_OFFSET,
      imports: [{ libOrdinal: 1, weakImport: false, name: "_x", addend: -16 }],
      rebases: [{ segIndex: 1, segOffset: 0x1008, target: 0x1000 }],
      binds: [],
    });
    expect(decoded.header.importsFormat).toBe(DYLD_CHAINED_IMPORT_ADDEND);
    expect(decoded.starts[0]!.pageStarts).toEqual([DYLD_CHAINED_PTR_START_NONE, 8, DYLD_CHAINED_PTR_START_NONE]);
    expect(decoded.imports[0]!.addend).toBe(-16);

    const wide = roundTrip({
      pointerFormat: DYLD_CHAINED_PTR_64,
      imports: [
        { libOrdinal: 300, weakImport: true, name: "_far", addend: 2 ** 40 },
        { libOrdinal: -2, weakImport: false, name: "_flat", addend: -(2 ** 35) },
      ],
      rebases: [],
      binds: [
        { segIndex: 1, segOffset: 0x100, importIndex: 0 },
        { segIndex: 1, segOffset: 0x108, importIndex: 1, addend: 3 },
      ],
    }).decoded;
    expect(wide.header.importsFormat).toBe(DYLD_CHAINED_IMPORT_ADDEND64);
    expect(wide.binds.map((b) => [b.libOrdinal, b.symbol, b.weakImport, b.addend])).toEqual([
      [300, "_far", true, 2 ** 40],
      [-2, "_flat", false, -(2 ** 35) + 3],
    ]);
  });

  it("rejects bad input", () => {
    const base = { pointerFormat: DYLD_CHAINED_PTR_64, imports: [], binds: [] };
    expect(() => roundTrip({ ...base, rebases: [{ segIndex: 1, segOffset: 2, target: 0 }] })).toThrow(RangeError);
    expect(() => roundTrip({ ...base, rebases: [{ segIndex: 1, segOffset: 0xffc, target: 0 }] })).toThrow(/straddles/);
    expect(() => roundTrip({ ...base, rebases: [{ segIndex: 1, segOffset: 0, target: 2 ** 36 }] })).toThrow(/36 bits/);
    expect(() =>
      roundTrip({
        ...base,
        rebases: [
          { segIndex: 1, segOffset: 0, target: 0 },
          { segIndex: 1, segOffset: 4, target: 0 },
        ],
      }),
    ).toThrow(/overlapping/);
    // decoding: a chain running off the end of its segment
    const { file } = roundTrip({ ...base, rebases: [{ segIndex: 1, segOffset: 0x2ff8, target: 0 }] });
    const v = new DataView(file.buffer);
    v.setUint32(0x1000 + 0x2ff8 + 4, (v.getUint32(0x1000 + 0x2ff8 + 4, true) | (1 << 19)) >>> 0, true);
    expect(() =>
      decodeChainedFixups(file, 0x100, [
        { fileoff: 0, filesize: 0x1000 },
        { fileoff: 0x1000, filesize: 0x3000 },
      ]),
    ).toThrow(MachOFormatError);
  });
});
