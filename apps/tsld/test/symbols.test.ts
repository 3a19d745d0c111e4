// Symbol resolution across files: commons, weak definitions, weak imports,
// private externs; each program linked by tsld and lld runs identically.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { requireTool } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { weakBindRows } from "./fixup-rows.js";
import { ARCH, compileC, linkBoth, runMachO, tmp, tsld } from "./helpers.js";

function tool(name: string, args: string[]): string {
  const r = spawnSync(requireTool(name), args, { encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout;
}

async function same(name: string, objects: string[], tsldFlags: string[] = [], lldFlags: string[] = []) {
  const { ours, theirs } = await linkBoth(tmp(), name, objects, tsldFlags, lldFlags);
  const want = runMachO(theirs);
  const got = runMachO(ours);
  expect(want.status).toBe(0);
  expect(got.stderr).toBe(want.stderr);
  expect(got.stdout).toBe(want.stdout);
  expect(got.status).toBe(want.status);
  return { ours, theirs, stdout: got.stdout };
}

describe("symbol resolution", () => {
  it("merges commons: largest size, strictest alignment", async () => {
    const a = compileC(
      `#include <stdio.h>
#include <stdint.h>
int cx;
__attribute__((aligned(64))) int cy;
char after[16];
extern void fill(void);
int main(void) {
  fill();
  printf("cx aligned16=%d cy aligned64=%d\\n", (int)((uintptr_t)&cx % 16 == 0), (int)((uintptr_t)&cy % 64 == 0));
  printf("cy=%d after=%d\\n", cy, after[0] + after[15]);
  return 0;
}`,
      { name: "common-a", cflags: ["-fcommon"] },
    );
    const b = compileC(
      `__attribute__((aligned(16))) char cx[256];
int cy;
char after[16];
void fill(void) { for (int i = 0; i < 256; i++) cx[i] = 1; cy = 9; }`,
      { name: "common-b", cflags: ["-fcommon"] },
    );
    const { ours, theirs } = await linkBoth(tmp(), "commons", [a, b]);
    // ld64.lld-19 keeps the alignment of the larger common only (cy: 4); ld64
    // and tsld take the strictest (64).
    expect(runMachO(theirs).stdout).toBe("cx aligned16=1 cy aligned64=0\ncy=9 after=0\n");
    const got = runMachO(ours);
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe("cx aligned16=1 cy aligned64=1\ncy=9 after=0\n");
  });

  it("lets a strong definition beat a weak one, and marks weak definitions", async () => {
    const a = compileC(
      `#include <stdio.h>
__attribute__((weak)) int pick(void) { return 1; }
__attribute__((weak)) int wdata = 1;
__attribute__((weak)) int only_weak(void) { return 3; }
extern int call_pick(void);
int (*volatile fp)(void) = only_weak;
int main(void) { printf("%d %d %d %d %d\\n", pick(), call_pick(), wdata, only_weak(), fp()); return 0; }`,
      { name: "weak-a" },
    );
    const b = compileC(
      `int pick(void) { return 2; }
int wdata = 2;
int call_pick(void) { return pick() * 10; }`,
      { name: "weak-b" },
    );
    const { ours } = await same("weak", [a, b]);
    const hdr = tool("llvm-objdump-19", ["--macho", "--private-header", ours]);
    expect(hdr).toMatch(/WEAK_DEFINES/);
    expect(hdr).toMatch(/BINDS_TO_WEAK/);
    // the weak definition referenced through a pointer gets a weak bind, as ld64 does
    const wb = weakBindRows(ours).join("\n");
    expect(wb).toMatch(/_only_weak/);
    expect(wb).not.toMatch(/_pick/); // strong now: no weak bind needed
    const out = runMachO(ours).stdout;
    expect(out).toBe("2 20 2 3 3\n");
  });

  it("binds a missing weak_import symbol to NULL", async () => {
    const a = compileC(
      `#include <stdio.h>
extern int no_such_function(void) __attribute__((weak_import));
extern int no_such_data __attribute__((weak_import));
int main(void) {
  printf("fn=%s data=%s\\n", no_such_function ? "present" : "null", &no_such_data ? "present" : "null");
  return 0;
}`,
      { name: "weakimport" },
    );
    // Against a libSystem that claims to export them (as an older SDK might), both linkers weak-bind.
    const dir = tmp();
    const extra = join(dir, "libextra.tbd");
    writeFileSync(
      extra,
      `--- !tapi-tbd
tbd-version: 4
targets: [ ${ARCH}-macos ]
install-name: '/usr/lib/libSystem.B.dylib'
exports:
  - targets: [ ${ARCH}-macos ]
    symbols: [ _no_such_function, _no_such_data ]
...
`,
    );
    const { ours } = await same("weakimport", [a, extra], [], []);
    expect(runMachO(ours).stdout).toBe("fn=null data=null\n");
    // Defined nowhere: an undefined-symbol error, as in ld64 and lld, unless -U allows it (a flat weak import).
    const out = join(dir, "weak-missing");
    let r = await tsld(["-o", out, a]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("undefined symbol: _no_such_data\n>>> referenced by");
    r = await tsld(["-U", "_no_such_function", "-U", "_no_such_data", "-o", out, a]);
    expect(r.status, r.stderr).toBe(0);
    expect(runMachO(out).stdout).toBe("fn=null data=null\n");
  });

  it("keeps private externs out of the exports and global symbols", async () => {
    const a = compileC(
      `#include <stdio.h>
__attribute__((visibility("hidden"))) int hidden_fn(int x) { return x + 1; }
__attribute__((visibility("hidden"))) int hidden_data = 41;
extern int use_hidden(void);
int main(void) { printf("%d\\n", use_hidden()); return 0; }`,
      { name: "pext-a" },
    );
    const b = compileC(
      `extern int hidden_fn(int) __attribute__((visibility("hidden")));
extern int hidden_data __attribute__((visibility("hidden")));
int use_hidden(void) { return hidden_fn(hidden_data); }`,
      { name: "pext-b" },
    );
    const { ours, stdout } = await same("pext", [a, b]);
    expect(stdout).toBe("42\n");
    const trie = tool("llvm-objdump-19", ["--macho", "--exports-trie", ours]);
    expect(trie).not.toMatch(/_hidden_/);
    expect(trie).toMatch(/_main/);
    const nm = tool("llvm-nm-19", [ours]);
    expect(nm).toMatch(/ t _hidden_fn\n/);
    expect(nm).toMatch(/ d _hidden_data\n/);
    expect(nm).toMatch(/ T _use_hidden\n/);
  });

  it("a private extern in one file does not satisfy another file's definition clash", async () => {
    // two files defining the same private extern is still a duplicate (as in ld64)
    const a = compileC(`__attribute__((visibility("hidden"))) int dup_hidden = 1; int main(void) { return 0; }`, {
      name: "pdup-a",
    });
    const b = compileC(`__attribute__((visibility("hidden"))) int dup_hidden = 2;`, { name: "pdup-b" });
    const r = await tsld(["-o", join(tmp(), "x"), a, b]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/duplicate symbol: _dup_hidden/);
  });
});
