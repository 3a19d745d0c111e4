import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { definedSymbols, writeArchive } from "./archive.js";

function assemble(dir: string, name: string, src: string): Uint8Array {
  const s = join(dir, `${name}.s`);
  const o = join(dir, `${name}.o`);
  writeFileSync(s, src);
  execFileSync("llvm-mc-19", ["-triple", "x86_64-apple-macos11", "-filetype=obj", s, "-o", o]);
  return readFileSync(o);
}

describe("writeArchive (c-archive)", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsld-ar-"));
  const a = assemble(dir, "a", ".globl _zeta, _alpha\n_zeta:\n_alpha:\n  retq\n_local:\n  retq\n.comm _common, 8\n");
  const b = assemble(dir, "b", ".globl _beta\n_beta:\n  callq _alpha\n  retq\n");

  it("lists a member's global definitions and commons, not locals or undefined references", () => {
    expect(definedSymbols(a).sort()).toEqual(["_alpha", "_common", "_zeta"]);
    expect(definedSymbols(b)).toEqual(["_beta"]);
  });

  it("writes a BSD archive llvm-ar and llvm-nm read, with a sorted __.SYMDEF SORTED table", () => {
    const ar = writeArchive([
      { name: "a.o", data: a },
      { name: "a-much-longer-member-name.o", data: b },
    ]);
    const path = join(dir, "lib.a");
    writeFileSync(path, ar);
    expect(execFileSync("llvm-ar-19", ["t", path], { encoding: "utf8" })).toBe("a.o\na-much-longer-member-name.o\n");
    const map = execFileSync("llvm-nm-19", ["--print-armap", path], { encoding: "utf8" });
    const index = map.split("\n\n")[0]!.split("\n").slice(1);
    expect(index).toEqual(["_alpha in a.o", "_beta in a-much-longer-member-name.o", "_common in a.o", "_zeta in a.o"]);
    // Members' data start 8-aligned and are byte-identical to the inputs.
    const view = Buffer.from(ar);
    const at = view.indexOf(Buffer.from(a.subarray(0, 32)));
    expect(at % 8).toBe(0);
    expect(view.subarray(at, at + a.length).equals(Buffer.from(a))).toBe(true);
    // Deterministic.
    expect(
      Buffer.from(
        writeArchive([
          { name: "a.o", data: a },
          { name: "a-much-longer-member-name.o", data: b },
        ]),
      ).equals(view),
    ).toBe(true);
  });
});
