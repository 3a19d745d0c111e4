// Static archives: members are pulled on demand (and only then), in every
// archive format llvm-ar writes, with or without a symbol table, found
// through -L/-l.
import { spawnSync } from "node:child_process";
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type ArchiveFormat, makeArchive, requireTool } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { compileC, linkBoth, runMachO, tmp, tsld } from "./helpers.js";

const main = (): string =>
  compileC(
    `#include <stdio.h>
extern int lib_a(int);
extern int lib_counter;
int main(void) { printf("lib_a=%d counter=%d\\n", lib_a(4), lib_counter); return 0; }`,
    { name: "armain" },
  );
const members = (): string[] => [
  compileC(`extern int lib_c(int); int lib_a(int x) { return lib_c(x) + 1; }`, { name: "a" }),
  compileC(`int lib_unused(void) { return 99; } int lib_unused_data = 5;`, { name: "b" }),
  compileC(`int lib_counter = 7; int lib_c(int x) { return x * 10; }`, { name: "c" }),
];

function nm(path: string): string {
  const r = spawnSync(requireTool("llvm-nm-19"), [path], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  return r.stdout;
}

describe("archives", () => {
  it.each<ArchiveFormat>(["darwin", "gnu", "bsd"])("pulls only needed members from a %s archive", async (format) => {
    const lib = makeArchive(members(), { format, name: `lib-${format}` });
    const { ours, theirs } = await linkBoth(tmp(), "ar", [main(), lib]);
    const want = runMachO(theirs);
    expect(want.stdout).toBe("lib_a=41 counter=7\n");
    const got = runMachO(ours);
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
    const syms = nm(ours);
    expect(syms).toMatch(/ _lib_a\n/);
    expect(syms).toMatch(/ _lib_c\n/); // pulled by a member, transitively
    expect(syms).not.toMatch(/_lib_unused/);
  });

  it("reads members' symbols when the archive has no symbol table", async () => {
    const lib = makeArchive(members(), { format: "darwin", symtab: false, name: "lib-nosym" });
    const out = join(tmp(), "nosym");
    const r = await tsld(["-o", out, main(), lib]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(runMachO(out).stdout).toBe("lib_a=41 counter=7\n");
    expect(nm(out)).not.toMatch(/_lib_unused/);
  });

  it("finds libNAME.a through -L and -l", async () => {
    const dir = tmp();
    copyFileSync(makeArchive(members(), { name: "lib-search" }), join(dir, "libstuff.a"));
    const { ours, theirs } = await linkBoth(dir, "search", [main()], [`-L${dir}`, "-lstuff"], ["-L", dir, "-lstuff"]);
    const got = runMachO(ours);
    expect(got.stdout).toBe(runMachO(theirs).stdout);
    expect(got.stdout).toBe("lib_a=41 counter=7\n");
    // separate-argument spelling too
    const out = join(dir, "search2");
    const r = await tsld(["-o", out, main(), "-L", dir, "-l", "stuff"]);
    expect(r.status, r.stderr).toBe(0);
    expect(runMachO(out).stdout).toBe("lib_a=41 counter=7\n");
    const missing = await tsld(["-o", join(dir, "x"), main(), "-L", dir, "-lnosuch"]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/library not found for -lnosuch/);
  });

  it("does not pull a member for a symbol an object already defines", async () => {
    const own = compileC(`int lib_c(int x) { return x * 100; }`, { name: "ownc" });
    // a2.o is needed (lib_a, lib_counter); c2.o only defines lib_c, which ownc.o
    // already defines, so it must stay in the archive (pulling it would also
    // be a duplicate definition).
    const lib = makeArchive(
      [
        compileC(`extern int lib_c(int); int lib_a(int x) { return lib_c(x) + 1; } int lib_counter = 3;`, {
          name: "a2",
        }),
        compileC(`int lib_c(int x) { return -x; }`, { name: "c2" }),
      ],
      { name: "lib-own2" },
    );
    const dir = tmp();
    const map = join(dir, "own.map");
    const { ours, theirs } = await linkBoth(dir, "own", [main(), own, lib], ["-map", map]);
    const want = runMachO(theirs).stdout;
    expect(want).toBe("lib_a=401 counter=3\n");
    expect(runMachO(ours).stdout).toBe(want);
    // The link map's input list names the members that were loaded.
    const inputs = readFileSync(map, "utf8").split("# Sections:")[0]!;
    expect(inputs).toMatch(/\(a2\.o\)\n/);
    expect(inputs).not.toMatch(/\(c2\.o\)/);
    // _lib_c is ownc.o's: one definition, in __text, the object's code.
    expect(nm(ours).match(/ T _lib_c\n/g)).toHaveLength(1);
  });
});
