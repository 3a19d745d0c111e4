// The ad-hoc signature writer: its size is known from (identifier, code
// limit, page size) alone, and the bytes it writes are cs_blobs.h's layout
// with the page hashes of what precedes it.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  CS_ADHOC,
  CS_EXECSEG_MAIN_BINARY,
  CS_LINKER_SIGNED,
  CSMAGIC_CODEDIRECTORY,
  CSMAGIC_EMBEDDED_SIGNATURE,
  CSMAGIC_REQUIREMENTS,
  codeSignatureSize,
  writeCodeSignature,
} from "./code-signature.js";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest();

describe("code signature", () => {
  it("sizes from the identifier and the page count", () => {
    // 12 + 2*8 (SuperBlob) + 88 + "a.out\0" + (2 + 2) * 32 (CodeDirectory) + 12 (requirements)
    expect(codeSignatureSize("a.out", 0x1010)).toBe(28 + 88 + 6 + 4 * 32 + 12);
    expect(codeSignatureSize("a.out", 0x1000)).toBe(28 + 88 + 6 + 3 * 32 + 12);
    expect(codeSignatureSize("a.out", 0x1000, 0x4000)).toBe(28 + 88 + 6 + 3 * 32 + 12);
    expect(codeSignatureSize("ü", 0)).toBe(28 + 88 + 3 + 2 * 32 + 12);
    expect(() => codeSignatureSize("", 16)).toThrow(RangeError);
    expect(() => codeSignatureSize("a", 16, 3000)).toThrow(RangeError);
    expect(() => codeSignatureSize("a", 2 ** 32)).toThrow(RangeError);
  });

  it("writes a SuperBlob with the CodeDirectory and an empty requirements blob", () => {
    const off = 0x1010;
    const size = codeSignatureSize("prog", off);
    const image = new Uint8Array(off + size + 8);
    for (let i = 0; i < off; i++) image[i] = (i * 7) & 0xff;
    expect(
      writeCodeSignature(image, off, {
        identifier: "prog",
        codeLimit: off,
        execSegBase: 0,
        execSegLimit: 0x1000,
        execSegFlags: CS_EXECSEG_MAIN_BINARY,
      }),
    ).toBe(size);
    const dv = new DataView(image.buffer, off);
    expect(dv.getUint32(0)).toBe(CSMAGIC_EMBEDDED_SIGNATURE);
    expect(dv.getUint32(4)).toBe(size);
    expect(dv.getUint32(8)).toBe(2);
    expect([dv.getUint32(12), dv.getUint32(16), dv.getUint32(20)]).toEqual([0, 28, 2]);
    const cd = 28;
    const req = dv.getUint32(24);
    expect(dv.getUint32(req)).toBe(CSMAGIC_REQUIREMENTS);
    expect(dv.getUint32(req + 4)).toBe(12);
    expect(req + 12).toBe(size);
    expect(dv.getUint32(cd)).toBe(CSMAGIC_CODEDIRECTORY);
    expect(dv.getUint32(cd + 4)).toBe(req - cd);
    expect(dv.getUint32(cd + 8)).toBe(0x20400);
    expect(dv.getUint32(cd + 12)).toBe(CS_ADHOC | CS_LINKER_SIGNED);
    const hashOffset = dv.getUint32(cd + 16);
    expect(dv.getUint32(cd + 20)).toBe(88);
    expect(Buffer.from(image.subarray(off + cd + 88, off + cd + 93)).toString("latin1")).toBe("prog\0");
    expect(dv.getUint32(cd + 24)).toBe(2);
    expect(dv.getUint32(cd + 28)).toBe(2);
    expect(dv.getUint32(cd + 32)).toBe(off);
    expect([dv.getUint8(cd + 36), dv.getUint8(cd + 37), dv.getUint8(cd + 38), dv.getUint8(cd + 39)]).toEqual([
      32, 2, 0, 12,
    ]);
    expect(dv.getBigUint64(cd + 72)).toBe(0x1000n);
    expect(dv.getBigUint64(cd + 80)).toBe(1n);
    const h = off + cd + hashOffset;
    expect(Buffer.from(image.subarray(h, h + 32))).toEqual(sha(image.subarray(0, 0x1000)));
    expect(Buffer.from(image.subarray(h + 32, h + 64))).toEqual(sha(image.subarray(0x1000, off)));
    // slot -2: the requirements blob; slot -1: zero
    expect(Buffer.from(image.subarray(h - 64, h - 32))).toEqual(sha(image.subarray(off + req, off + req + 12)));
    expect(image.subarray(h - 32, h).every((b) => b === 0)).toBe(true);
  });

  it("refuses a signature that does not sit at its code limit, 16-aligned, inside the image", () => {
    const input = { identifier: "x", codeLimit: 0x20, execSegBase: 0, execSegLimit: 0, execSegFlags: 0 };
    const size = codeSignatureSize("x", 0x20);
    expect(() => writeCodeSignature(new Uint8Array(0x20 + size), 0x30, input)).toThrow(/cover the file up to itself/);
    expect(() => writeCodeSignature(new Uint8Array(0x28 + size), 0x28, { ...input, codeLimit: 0x28 })).toThrow(
      /aligned/,
    );
    expect(() => writeCodeSignature(new Uint8Array(0x20 + size - 1), 0x20, input)).toThrow(/overruns/);
  });
});
