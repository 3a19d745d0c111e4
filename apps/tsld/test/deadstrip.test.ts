// -dead_strip: what nothing reaches from the entry point goes; what is marked
// used / no_dead_strip, constructors and what they reach stay.
import { spawnSync } from "node:child_process";
import { requireTool } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { assemble, byArch, compileC, linkBoth, runMachO, tmp } from "./helpers.js";

function nm(path: string): string {
  const r = spawnSync(requireTool("llvm-nm-19"), [path], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  return r.stdout;
}

/** Defined symbols as "type name", sorted, without the ones linkers synthesize (which tsld and lld list differently). */
function defined(path: string): string[] {
  const r = spawnSync(requireTool("llvm-nm-19"), ["--defined-only", path], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split(" ").slice(1).join(" "))
    .filter((l) => !/ (__mh_\w+_header|__dyld_private)$/.test(l))
    .sort();
}

describe("-dead_strip", () => {
  it("removes unreferenced code and data, keeps roots", async () => {
    const a = compileC(
      `#include <stdio.h>
int unused_fn(int x) { return x * 3; }
int unused_data[100] = {1};
const char unused_str[] = "never printed";
static int unused_static(void) { return 4; }
int live_data = 11;
__attribute__((used)) static int kept_used(void) { return 2; }
__attribute__((used)) static int kept_used_data = 17;
static int reached_from_ctor(void) { return 5; }
__attribute__((constructor)) static void ctor(void) { printf("ctor %d\\n", reached_from_ctor()); }
extern int helper(int);
int main(void) { printf("main %d %d\\n", helper(live_data), (int)(sizeof unused_static)); return 0; }`,
      { name: "ds-a" },
    );
    const b = compileC(
      `int helper(int x) { return x + 1; }
int unused_in_b(void) { return 0; }
long unused_bss[64];`,
      { name: "ds-b" },
    );
    const { ours, theirs } = await linkBoth(tmp(), "ds", [a, b], ["-dead_strip"], ["-dead_strip"]);
    const want = runMachO(theirs);
    expect(want.stdout).toBe("ctor 5\nmain 12 1\n");
    const got = runMachO(ours);
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
    const syms = nm(ours);
    for (const gone of ["_unused_fn", "_unused_data", "_unused_str", "_unused_in_b", "_unused_bss", "_unused_static"])
      expect(syms, gone).not.toMatch(new RegExp(` ${gone}\\n`));
    for (const kept of [
      "_main",
      "_helper",
      "_live_data",
      "_kept_used",
      "_kept_used_data",
      "_ctor",
      "_reached_from_ctor",
    ])
      expect(syms, kept).toMatch(new RegExp(` ${kept}\\n`));
    // lld keeps exactly the same symbols, with the same kinds (text/data, local/global)
    expect(defined(ours)).toEqual(defined(theirs));
    // without -dead_strip everything stays, in both linkers
    const all = await linkBoth(tmp(), "nods", [a, b]);
    expect(nm(all.ours)).toMatch(/ _unused_fn\n/);
    expect(defined(all.ours)).toEqual(defined(all.theirs));
    expect(runMachO(all.ours).stdout).toBe(want.stdout);
  });

  it("keeps N_NO_DEAD_STRIP symbols and .no_dead_strip sections from assembly", async () => {
    // main returns 0; the other functions only return.
    const [zero, ret] = byArch({ x86_64: ["xorl %eax, %eax\n  retq", "retq"], arm64: ["mov w0, #0\n  ret", "ret"] });
    const s = `
.text
.p2align 2
.globl _main
_main:
  ${zero}
.globl _dropped
_dropped:
  ${ret}
.globl _kept
.no_dead_strip _kept
_kept:
  ${ret}
.data
.globl _kept_data
.no_dead_strip _kept_data
_kept_data: .quad 1
.globl _dropped_data
_dropped_data: .quad 2
.subsections_via_symbols
`;
    const obj = assemble(s, { name: "nds" });
    const { ours, theirs } = await linkBoth(tmp(), "nds", [obj], ["-dead_strip"], ["-dead_strip"]);
    expect(runMachO(ours).status).toBe(0);
    const syms = nm(ours);
    expect(syms).toMatch(/ _kept\n/);
    expect(syms).toMatch(/ _kept_data\n/);
    expect(syms).not.toMatch(/ _dropped\n/);
    expect(syms).not.toMatch(/ _dropped_data\n/);
    expect(defined(ours)).toEqual(defined(theirs));
  });
});
