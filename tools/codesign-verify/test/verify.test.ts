// The verifier on ld64.lld-19's own ad-hoc signatures (executable, dylib,
// bundle): it accepts them, and rejects each after one byte of the signed
// code or one CodeDirectory field is changed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { assemble, linkWithLld, tmpDir } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { verifyCodeSignature } from "../src/index.js";

const MAIN_S = `.text
.globl _main
_main:
  xorl %eax, %eax
  retq
.data
.globl _table
_table: .quad _main
.subsections_via_symbols
`;
const LIB_S = `.text
.globl _foo
_foo:
  movl $42, %eax
  retq
.subsections_via_symbols
`;

function lldSigned(kind: "exe" | "dylib" | "bundle"): Buffer {
  const dir = tmpDir("codesign-verify-");
  const out = join(dir, `out-${kind}`);
  const obj = kind === "exe" ? assemble(MAIN_S, { name: "cs_main" }) : assemble(LIB_S, { name: "cs_lib" });
  const flags = kind === "exe" ? [] : [kind === "dylib" ? "-dylib" : "-bundle"];
  linkWithLld([obj], out, [...flags, "-adhoc_codesign"]);
  return readFileSync(out);
}

/** File offset of the CodeDirectory (the SuperBlob's slot-0 blob). */
function cdAt(file: Buffer): number {
  const r = verifyCodeSignature(file);
  const dv = new DataView(file.buffer, file.byteOffset);
  const sb = r.dataoff!;
  for (let i = 0; i < dv.getUint32(sb + 8); i++)
    if (dv.getUint32(sb + 12 + i * 8) === 0) return sb + dv.getUint32(sb + 16 + i * 8);
  throw new Error("no CodeDirectory");
}

describe("codesign-verify on ld64.lld-19 -adhoc_codesign outputs", () => {
  it.each(["exe", "dylib", "bundle"] as const)("accepts a signed %s", (kind) => {
    const file = lldSigned(kind);
    const r = verifyCodeSignature(file);
    expect(r.errors).toEqual([]);
    const cd = r.codeDirectory!;
    expect(cd.identifier).toBe(`out-${kind}`);
    expect(cd.codeLimit).toBe(r.dataoff);
    expect(cd.nCodeSlots).toBe(Math.ceil(r.dataoff! / 4096));
    expect(r.pageHashes).toHaveLength(cd.nCodeSlots);
    expect(cd.execSegFlags).toBe(kind === "exe" ? 1n : 0n);
  });

  it("rejects an unsigned image", () => {
    const dir = tmpDir("codesign-verify-");
    const out = join(dir, "unsigned");
    linkWithLld([assemble(MAIN_S, { name: "cs_main" })], out, ["-no_adhoc_codesign"]);
    expect(verifyCodeSignature(readFileSync(out)).errors).toEqual(["no LC_CODE_SIGNATURE"]);
  });

  it("rejects one flipped byte in __TEXT (its page hash)", () => {
    const file = lldSigned("exe");
    // the first instruction of _main: the last bytes of __text, in page 0
    const at = file.indexOf(Buffer.from([0x31, 0xc0, 0xc3]));
    expect(at).toBeGreaterThan(0);
    file[at]! ^= 0x01;
    expect(verifyCodeSignature(file).errors).toEqual([expect.stringMatching(/^page 0 .* hash mismatch$/)]);
  });

  it("rejects a changed byte in the load commands or in __LINKEDIT before the signature", () => {
    const file = lldSigned("exe");
    file[40]! ^= 0x20; // a segment name
    expect(verifyCodeSignature(file).errors.some((e) => /page 0 .*hash mismatch/.test(e))).toBe(true);
    const file2 = lldSigned("exe");
    const r = verifyCodeSignature(file2);
    file2[r.dataoff! - 1]! ^= 0xff;
    expect(verifyCodeSignature(file2).errors.some((e) => /hash mismatch/.test(e))).toBe(true);
  });

  it.each([
    ["execSegLimit", 72, 8, /execSegLimit/],
    ["execSegBase", 64, 8, /execSegBase/],
    ["execSegFlags", 80, 8, /CS_EXECSEG_MAIN_BINARY/],
    ["codeLimit", 32, 4, /codeLimit .* must cover the file up to itself/],
    ["nCodeSlots", 28, 4, /code slots/],
    ["version", 8, 4, /version/],
    ["flags", 12, 4, /CS_ADHOC/],
    ["hashType", 37, 1, /SHA-256/],
  ] as const)("rejects a CodeDirectory with %s changed", (_name, field, width, want) => {
    const file = lldSigned("exe");
    const at = cdAt(file) + field;
    const dv = new DataView(file.buffer, file.byteOffset);
    if (width === 8) dv.setBigUint64(at, dv.getBigUint64(at) ^ 1n);
    else if (width === 4) dv.setUint32(at, field === 8 ? 0x20300 : dv.getUint32(at) ^ 0x3);
    else dv.setUint8(at, 1);
    const errors = verifyCodeSignature(file).errors;
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join("\n")).toMatch(want);
  });

  it("rejects a signature whose SuperBlob magic or lengths are wrong", () => {
    const file = lldSigned("exe");
    const sb = verifyCodeSignature(file).dataoff!;
    const dv = new DataView(file.buffer, file.byteOffset);
    dv.setUint32(sb + 4, dv.getUint32(sb + 4) + 64);
    expect(verifyCodeSignature(file).errors.join()).toMatch(/exceeds LC_CODE_SIGNATURE's datasize/);
    dv.setUint32(sb, 0xfade0c00);
    expect(verifyCodeSignature(file).errors.join()).toMatch(/CSMAGIC_EMBEDDED_SIGNATURE/);
  });
});
