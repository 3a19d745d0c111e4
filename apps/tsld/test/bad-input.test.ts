// Bad input found by fuzzing (fuzz.test.ts), each reduced to the smallest
// input that showed it: every one now fails with exit 1 (2 for usage), an
// error naming the file and what is wrong, and no output.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseMachO } from "@tsld/macho-format";
import { describe, expect, it } from "vitest";
import { tmp, tsld } from "./helpers.js";
import { fatFile, funcObject, mainObject } from "./fuzz/inputs.js";

async function fails(dir: string, args: string[], status: number, ...patterns: RegExp[]): Promise<string> {
  const out = join(dir, "out", "a.out");
  mkdirSync(join(dir, "out"), { recursive: true });
  const r = await tsld(["-o", out, ...args]);
  expect(r.status, r.stderr).toBe(status);
  for (const p of patterns) expect(r.stderr).toMatch(p);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  expect(readdirSync(join(dir, "out"))).toEqual([]);
  return r.stderr;
}

function put(dir: string, name: string, data: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

/** A dylib made by tsld from a one-function object. */
async function dylib(dir: string): Promise<Uint8Array> {
  const o = put(dir, "f.o", funcObject("_f"));
  const p = join(dir, "libf.dylib");
  const r = await tsld(["-buildmode=c-shared", "-install_name", "/usr/lib/libf.dylib", "-o", p, o]);
  expect(r.stderr).toBe("");
  return new Uint8Array(readFileSync(p));
}

describe("bad input found by fuzzing", () => {
  it("a fat slice past the end of the file names the file", async () => {
    const dir = tmp();
    const fat = fatFile([{ cputype: 0x01000007, cpusubtype: 3, data: funcObject("_f") }]);
    new DataView(fat.buffer).setUint32(20, fat.length, false); // size: the whole file, from offset 4096
    const p = put(dir, "fat.o", fat);
    await fails(dir, [put(dir, "main.o", mainObject(["_f"])), p], 1, /fat\.o: fat slice 0 .* extends past end of file/);
  });

  it("a fat slice overlapping the fat header, or another slice, names the file", async () => {
    const dir = tmp();
    const f = funcObject("_f");
    const fat = fatFile([
      { cputype: 0x0100000c, cpusubtype: 0, data: f },
      { cputype: 0x01000007, cpusubtype: 3, data: f },
    ]);
    const v = new DataView(fat.buffer);
    const main = put(dir, "main.o", mainObject(["_f"]));
    v.setUint32(16 + 20, 0, false);
    await fails(dir, [main, put(dir, "a.o", fat)], 1, /a\.o: fat slice 1 \(offset 0\) overlaps the fat header/);
    v.setUint32(16 + 20, v.getUint32(16, false) + 8, false);
    await fails(dir, [main, put(dir, "b.o", fat)], 1, /b\.o: fat slices 0 and 1 overlap/);
  });

  it("a dylib with a bad load command names the dylib", async () => {
    const dir = tmp();
    const d = await dylib(dir);
    new DataView(d.buffer).setUint32(32 + 4, 0x44, true); // first cmdsize: not a multiple of 8
    const main = put(dir, "main.o", mainObject(["_f"]));
    await fails(dir, [main, put(dir, "libbad.dylib", d)], 1, /libbad\.dylib: load command 0 .* not a multiple of 8/);
  });

  it("a dylib whose export trie loops or points past its end names the dylib", async () => {
    const dir = tmp();
    const d = await dylib(dir);
    const m = parseMachO(d);
    const off = m.exportsTrie?.dataoff ?? m.dyldInfo!.exportOff;
    // Root: terminal size 0, one child; its offset (after the label's NUL) pointed back at the root.
    expect(d[off]).toBe(0);
    let p = off + 2;
    while (d[p] !== 0) p++;
    const main = put(dir, "main.o", mainObject(["_f"]));
    d[p + 1] = 0;
    await fails(dir, [main, put(dir, "libloop.dylib", d)], 1, /libloop\.dylib: export trie has a cycle/);
    d[p + 1] = 0x7f;
    await fails(dir, [main, put(dir, "libfar.dylib", d)], 1, /libfar\.dylib: export trie .*out of bounds/);
  });

  it("a TBD v5 file without main_library names the file", async () => {
    const dir = tmp();
    const tbd = join(dir, "libx.tbd");
    writeFileSync(tbd, JSON.stringify({ tapi_tbd_version: 5, libraries: [] }));
    await fails(dir, [put(dir, "main.o", mainObject()), tbd], 1, /libx\.tbd: TBD v5 has no main_library/);
  });

  it("a symbol far outside its section is reported, not cut into a 2^54-byte atom", async () => {
    const dir = tmp();
    const o = mainObject();
    new DataView(o.buffer).setBigUint64(32 + 72 + 32, 0xc2000000000000n, true); // __text addr
    await fails(dir, [put(dir, "far.o", o)], 1, /far\.o: symbol _main at 0x0 lies outside __TEXT,__text/);
  });

  it("a common symbol over 4 GiB is reported with its file", async () => {
    const dir = tmp();
    const o = mainObject([], [], [{ name: "_huge", type: 0x1, sect: 0, value: 0x9800000000 }]);
    await fails(
      dir,
      [put(dir, "common.o", o)],
      1,
      /common\.o: common symbol _huge is 0x9800000000 bytes \(over 4 GiB\)/,
    );
  });

  it("an output path that is a directory is an error, not an internal one", async () => {
    const dir = tmp();
    const main = put(dir, "main.o", mainObject());
    mkdirSync(join(dir, "out"));
    const r = await tsld(["-o", join(dir, "out"), main]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/tsld: error: .*out/);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(readdirSync(dir).filter((f) => f.startsWith("."))).toEqual([]);
  });

  it("a link map that cannot be written fails the link and leaves no output", async () => {
    const dir = tmp();
    const main = put(dir, "main.o", mainObject());
    await fails(
      dir,
      ["-map", join(dir, "nosuch", "x.map"), main],
      1,
      /cannot write map file .*x\.map: No such file or directory/,
    );
  });

  it("a NUL byte in an argument is a usage error", async () => {
    const dir = tmp();
    const main = put(dir, "main.o", mainObject());
    await fails(dir, ["-map", "\0", main], 2, /argument \d+ contains a NUL byte/);
    expect(existsSync(join(dir, "out", "a.out"))).toBe(false);
  });
});
