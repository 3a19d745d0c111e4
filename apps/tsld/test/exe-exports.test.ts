// What an executable exports and binds for the linker's own symbols, as ld64
// and lld do: the export trie holds `__mh_execute_header` (dyld's APIs and
// dlsym find the header through it; the symbol table marks it referenced
// dynamically), and `dyld_stub_binder`, which the lazy stubs' helper jumps
// through, is an ordinary bind, not a weak import. Checked on the bundled
// example (examples/hello; for arm64 its sources) against ld64.lld-19 and
// at run time.
import { join } from "node:path";
import { compileCFile, linkWithLld, repoRoot } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { ARCH, compileC, runMachO, tmp, tsld } from "./helpers.js";
import { nm, objdump } from "./plugin-helpers.js";

/** The bundled example: its checked-in x86_64 objects, or its sources built for the suite's arch. */
const hello = (): string[] =>
  ARCH === "x86_64"
    ? ["main.o", "greet.o"].map((f) => join(repoRoot(), "examples", "hello", f))
    : ["main.c", "greet.c"].map((f) => compileCFile(join(repoRoot(), "examples", "hello", f), { O: "1" }));

/** Names in the export trie, sorted. */
function trieNames(image: string): string[] {
  return objdump(["--macho", "--exports-trie", image])
    .split("\n")
    .filter((l) => /^0x[0-9A-F]+\s/.test(l))
    .map((l) => l.trim().split(/\s+/)[1]!)
    .sort();
}

/** Bind-table rows that name `sym`, columns after the address collapsed. */
function bindRows(image: string, sym: string): string[] {
  return objdump(["--macho", "--bind", image])
    .split("\n")
    .filter((l) => l.trim().endsWith(` ${sym}`) || l.includes(` ${sym} `))
    .map((l) => l.trim().split(/\s+/).slice(3).join(" "));
}

async function linkHello(dir: string): Promise<{ ours: string; theirs: string }> {
  const ours = join(dir, "hello.tsld");
  const theirs = join(dir, "hello.lld");
  // Opcodes pinned: dyld_stub_binder is bound only where lazy binding exists.
  const objs = hello();
  const r = await tsld(["-o", ours, "-no_fixup_chains", ...objs]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  linkWithLld(objs, theirs);
  return { ours, theirs };
}

describe("executable exports and the linker's binds", () => {
  it("exports __mh_execute_header (the bundled example, as lld)", async () => {
    const { ours, theirs } = await linkHello(tmp("tsld-exe-exports-"));
    const names = trieNames(ours);
    expect(names).toContain("__mh_execute_header");
    expect(names).toEqual(trieNames(theirs));
    const row = objdump(["--macho", "--exports-trie", ours])
      .split("\n")
      .find((l) => l.endsWith(" __mh_execute_header"))!;
    expect(row).toMatch(/^0x100000000\s/);
    const sym = (p: string): string =>
      nm(["-m", p])
        .split("\n")
        .find((l) => l.endsWith(" __mh_execute_header"))!;
    expect(sym(ours)).toContain("[referenced dynamically] external");
    expect(sym(ours)).toBe(sym(theirs));
  });

  it("binds dyld_stub_binder normally, not as a weak import (as lld)", async () => {
    const { ours, theirs } = await linkHello(tmp("tsld-exe-binder-"));
    const rows = bindRows(ours, "dyld_stub_binder");
    expect(rows).toEqual(["pointer 0 libSystem dyld_stub_binder"]);
    expect(rows).toEqual(bindRows(theirs, "dyld_stub_binder"));
    const undef = (p: string): string =>
      nm(["-m", p])
        .split("\n")
        .find((l) => l.endsWith(" dyld_stub_binder (from libSystem)"))!
        .trim();
    expect(undef(ours)).toBe("(undefined) external dyld_stub_binder (from libSystem)");
    expect(undef(ours)).toBe(undef(theirs));
    const run = runMachO(ours);
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe(runMachO(theirs).stdout);
  });

  it("a program that never names it finds its own header through dlsym at run time", async () => {
    const obj = compileC(
      `#include <dlfcn.h>
#include <stdio.h>
/* the header is where __TEXT starts; the program itself never names __mh_execute_header */
extern const unsigned text_start __asm("segment$start$__TEXT");
int main(void) {
  const unsigned *h = dlsym(RTLD_DEFAULT, "_mh_execute_header");
  printf("found=%d same=%d magic=%x\\n", h != 0, h == &text_start, h ? *h : 0);
  return 0;
}`,
      { name: "mh-dlsym" },
    );
    const dir = tmp("tsld-exe-mh-");
    const ours = join(dir, "mh.tsld");
    const theirs = join(dir, "mh.lld");
    const r = await tsld(["-o", ours, obj]);
    expect(r.stderr).toBe("");
    linkWithLld([obj], theirs);
    const want = "found=1 same=1 magic=feedfacf\n";
    expect(runMachO(theirs).stdout).toBe(want);
    const got = runMachO(ours);
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(want);
  });
});
