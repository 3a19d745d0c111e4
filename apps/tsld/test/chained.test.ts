// Chained fixups (LC_DYLD_CHAINED_FIXUPS, DYLD_CHAINED_PTR_64_OFFSET): the
// loader is proven on ld64.lld-19 -fixup_chains output first; then the same
// programs linked by tsld with -fixup_chains run alike, carry no opcode
// streams, read without warnings in llvm-objdump --dyld-info and list the
// same fixups (kind, addend, library, symbol) as lld's link. The default
// follows lld: chained for macOS 13.0 and later, opcodes below.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { linkWithLld, requireTool } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { ARCH, compileC, runMachO, tmp, tsld } from "./helpers.js";

function objdump(args: string[]): string {
  const r = spawnSync(requireTool("llvm-objdump-19"), ["--macho", ...args], { encoding: "utf8" });
  expect(r.stderr, `llvm-objdump ${args.join(" ")}`).toBe("");
  expect(r.status).toBe(0);
  return r.stdout;
}

/** `--dyld-info` rows without addresses: "section type addend dylib symbol" (rebases: "section rebase"), sorted. */
function fixupRows(image: string): string[] {
  const rows: string[] = [];
  for (const l of objdump(["--dyld-info", image]).split("\n")) {
    const c = l.trim().split(/\s+/);
    if (c[4] === "bind") rows.push(`${c[1]} bind ${c[5]} ${c[6]} ${c[7]}`);
    else if (c[4] === "rebase") rows.push(`${c[1]} rebase`);
  }
  return rows.sort();
}

function loadCommands(image: string): string[] {
  return [...objdump(["--private-headers", image]).matchAll(/cmd (LC_\w+)/g)].map((m) => m[1]!);
}

const PROGRAM = `#include <stdio.h>
#include <stdlib.h>
extern int abs(int) __attribute__((weak_import));
__attribute__((weak)) int wf(void) { return 1; }
int (*volatile pick)(void) = wf;
_Thread_local int tl = 3;
static int order;
__attribute__((constructor)) static void early(void) { order = 7; }
static void bye(void) { puts("bye"); }
const char *volatile far = "abcdefghijklmnopqrstuvwxyz" + 300 - 290;
int (*volatile imp)(const char *) = puts;
int main(int argc, char **argv) {
  atexit(bye);
  printf("%d %d %d %d %c\\n", pick(), tl, order, abs(-argc), far[0]);
  imp("through an import pointer");
  return argc - 1;
}
`;

describe("chained fixups", () => {
  const obj = (): string => compileC(PROGRAM, { name: "chained-prog" });

  it("the loader runs ld64.lld-19 -fixup_chains output", () => {
    const dir = tmp();
    const lld = join(dir, "prog.lld");
    linkWithLld([obj()], lld, ["-fixup_chains"]);
    expect(loadCommands(lld)).toContain("LC_DYLD_CHAINED_FIXUPS");
    const r = runMachO(lld);
    expect(r.stdout).toBe("1 3 7 1 k\nthrough an import pointer\nbye\n");
    expect(r.status).toBe(0);
  });

  it("tsld -fixup_chains: runs like lld's link, no opcode streams, the same fixups", async () => {
    const dir = tmp();
    const ours = join(dir, "prog.tsld");
    const lld = join(dir, "prog.lld");
    const r = await tsld(["-fixup_chains", "-o", ours, obj()]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    linkWithLld([obj()], lld, ["-fixup_chains"]);
    const cmds = loadCommands(ours);
    expect(cmds).toContain("LC_DYLD_CHAINED_FIXUPS");
    expect(cmds).toContain("LC_DYLD_EXPORTS_TRIE");
    expect(cmds).not.toContain("LC_DYLD_INFO_ONLY");
    // No lazy binding: no __stub_helper, no __la_symbol_ptr.
    const sections = objdump(["--section-headers", ours]);
    expect(sections).not.toContain("__stub_helper");
    expect(sections).not.toContain("__la_symbol_ptr");
    expect(runMachO(ours).stdout).toBe(runMachO(lld).stdout);
    expect(fixupRows(ours)).toEqual(fixupRows(lld));
  });

  it("defaults as lld: chained for macOS 13.0 and later, opcodes below; the flags override", async () => {
    const dir = tmp();
    const link = async (name: string, flags: string[]): Promise<string[]> => {
      const out = join(dir, name);
      const r = await tsld(["-o", out, ...flags, obj()], { suiteFlags: false });
      expect(r.status, r.stderr).toBe(0);
      expect(runMachO(out).status).toBe(0);
      return loadCommands(out);
    };
    expect(await link("v13", ["-platform_version", "macos", "13.0", "13.0"])).toContain("LC_DYLD_CHAINED_FIXUPS");
    expect(await link("v12", ["-platform_version", "macos", "12.0", "12.0"])).toContain("LC_DYLD_INFO_ONLY");
    expect(await link("v13no", ["-platform_version", "macos", "13.0", "13.0", "-no_fixup_chains"])).toContain(
      "LC_DYLD_INFO_ONLY",
    );
    // A fixed-address image (x86_64 alone: Go's darwin/arm64 executables are always PIE) has no chains.
    if (ARCH !== "x86_64") return;
    expect(await link("nopie", ["-no_pie", "-platform_version", "macos", "13.0", "13.0"])).toContain(
      "LC_DYLD_INFO_ONLY",
    );
    const bad = await tsld(["-o", join(dir, "bad"), "-no_pie", "-fixup_chains", obj()]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("-fixup_chains is incompatible with -no_pie");
  });

  it("a chained dylib and the executable that uses it", async () => {
    const dir = tmp();
    const lib = compileC(
      `#include <stdio.h>
int counter = 40;
int *counter_ptr = &counter;
int bump(void) { return ++*counter_ptr; }
void say(const char *s) { printf("lib says %s\\n", s); }`,
      { name: "chained-lib" },
    );
    const main = compileC(
      `extern int bump(void); extern void say(const char *); extern int counter;
int *volatile cp = &counter;
int main(void) { say("hi"); return bump() + *cp == 82 ? 0 : 1; }`,
      { name: "chained-main" },
    );
    const dylib = join(dir, "libc1.dylib");
    const exe = join(dir, "main");
    let r = await tsld([
      "-fixup_chains",
      "-buildmode=c-shared",
      "-install_name",
      "@rpath/libc1.dylib",
      "-o",
      dylib,
      lib,
    ]);
    expect(r.status, r.stderr).toBe(0);
    r = await tsld(["-fixup_chains", "-rpath", "@loader_path", "-o", exe, main, dylib]);
    expect(r.status, r.stderr).toBe(0);
    expect(loadCommands(dylib)).toContain("LC_DYLD_CHAINED_FIXUPS");
    const run = runMachO(exe);
    expect(run.stdout).toBe("lib says hi\n");
    expect(run.status).toBe(0);
    expect(fixupRows(exe)).toContain("__data bind 0x0 libc1 _counter");
  });
});
