/**
 * -buildmode=c-shared: MH_DYLIB images with an identity (LC_ID_DYLIB) and an
 * export trie, linked against by tsld executables and dylibs (two-level
 * binds to the install name, found through LC_RPATH), dlopened by a host, and
 * with pointer-carrying read-only data moved out of __TEXT into __DATA_CONST.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assemble, compileC, runMachO, tmp, tsld } from "./helpers.js";
import { fixupRows, importRows } from "./fixup-rows.js";
import { headerFlags, objdump } from "./plugin-helpers.js";

async function ok(args: string[]): Promise<void> {
  const r = await tsld(args);
  if (r.status !== 0) throw new Error(`tsld ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  expect(r.stderr).toBe("");
}

const FOO_C = `int foo_counter = 10;
static int calls;
extern void *const foo_ro_table[2];
int foo_add(int a, int b) { calls++; return a + b + foo_counter; }
const char *foo_name(void) { return "libfoo"; }
int foo_calls(void) { return calls; }
/* __DATA,__const with pointers (goes to __DATA_CONST) */
const char *const foo_words[] = {"zero", "one", "two"};
/* the assembly table: __TEXT,__const holding absolute pointers */
int foo_via_table(int a, int b) { return ((int (*)(int, int))foo_ro_table[0])(a, b) + *(int *)foo_ro_table[1]; }
`;

/** A read-only table in __TEXT,__const that needs rebasing: tsld must move it to __DATA_CONST. */
const TABLE_S = `.section __TEXT,__const
.globl _foo_ro_table
.p2align 3
_foo_ro_table:
  .quad _foo_add
  .quad _foo_counter
.subsections_via_symbols
`;

const MAIN_C = `#include <stdio.h>
extern int foo_add(int, int);
extern const char *foo_name(void);
extern int foo_calls(void);
extern int foo_counter;
extern const char *const foo_words[];
extern int foo_via_table(int, int);
int main(void) {
  foo_counter = 100;
  printf("%s %d %d %s %d\\n", foo_name(), foo_add(1, 2), foo_calls(), foo_words[2], foo_via_table(3, 4));
  return 0;
}
`;
const MAIN_OUT = "libfoo 103 1 two 207\n";

const DLOPEN_C = `#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
  void *h = dlopen(argv[1], RTLD_NOW);
  if (!h) { printf("dlopen: %s\\n", dlerror()); return 3; }
  int (*add)(int, int) = (int (*)(int, int))dlsym(h, "foo_add");
  int *counter = (int *)dlsym(h, "foo_counter");
  const char *(*name)(void) = (const char *(*)(void))dlsym(h, "foo_name");
  if (!add || !counter || !name) { printf("dlsym: %s\\n", dlerror()); return 4; }
  *counter = 1000;
  printf("%s %d\\n", name(), add(20, 22));
  return 0;
}
`;

async function libfoo(dir: string, extra: string[] = []): Promise<string> {
  const out = join(dir, "libfoo.dylib");
  await ok([
    "-buildmode=c-shared",
    "-install_name",
    "@rpath/libfoo.dylib",
    "-current_version",
    "1.2.3",
    "-compatibility_version",
    "1.0",
    "-o",
    out,
    ...extra,
    compileC(FOO_C, { name: "foo" }),
    assemble(TABLE_S, { name: "foo_table" }),
  ]);
  return out;
}

describe("c-shared dylib", () => {
  it("is an MH_DYLIB with LC_ID_DYLIB, an export trie and no executable-only commands", async () => {
    const lib = await libfoo(tmp("tsld-dylib-"));
    const { filetype, flags } = headerFlags(lib);
    expect(filetype).toBe("DYLIB");
    expect(flags).toEqual(expect.arrayContaining(["NOUNDEFS", "DYLDLINK", "TWOLEVEL"]));
    expect(flags).not.toContain("PIE");
    const all = objdump(["--macho", "--all-headers", lib]);
    expect(all).toMatch(/cmd LC_ID_DYLIB\n\s+cmdsize \d+\n\s+name @rpath\/libfoo\.dylib \(offset 24\)/);
    expect(all).toMatch(/current version 1\.2\.3\n/);
    expect(all).toMatch(/compatibility version 1\.0\.0\n/);
    expect(all).not.toContain("LC_MAIN");
    expect(all).not.toContain("LC_LOAD_DYLINKER");
    expect(all).not.toContain("__PAGEZERO");
    expect(objdump(["--macho", "--dylib-id", lib])).toContain("@rpath/libfoo.dylib");
    const trie = objdump(["--macho", "--exports-trie", lib]);
    for (const s of ["_foo_add", "_foo_counter", "_foo_name", "_foo_calls", "_foo_words", "_foo_ro_table"])
      expect(trie).toMatch(new RegExp(`\\s${s}\\n`));
    expect(trie).not.toMatch(/\s_calls\n/);
    // c-shared is not dynamically linked Go: markers would stay zero-sized; no flat namespace.
    expect(flags).not.toContain("BINDATLOAD");
  });

  it("moves pointer-carrying read-only data to __DATA_CONST; no rebase lands in __TEXT", async () => {
    const lib = await libfoo(tmp("tsld-dylib-relro-"));
    // Rebase rows (opcodes or chained, no llvm-objdump warnings).
    const rows = fixupRows(lib).filter((r) => r.kind === "rebase");
    expect(rows.length).toBeGreaterThanOrEqual(5); // 2 in the asm table, 3 in foo_words
    for (const r of rows) expect(`${r.segment} ${r.section}`).toBe("__DATA_CONST __const");
    const nmOut = objdump(["--macho", "--syms", lib]);
    expect(nmOut).toMatch(/__DATA_CONST,__const\)?\s+_foo_ro_table|_foo_ro_table/);
    const syms = objdump(["--syms", lib]).split("\n");
    const table = syms.find((l) => l.endsWith(" _foo_ro_table"))!;
    expect(table).toContain("__DATA_CONST,__const");
  });

  it("an executable links against it (two-level binds, @rpath via -rpath @loader_path) and calls in", async () => {
    const dir = tmp("tsld-dylib-exe-");
    const lib = await libfoo(dir);
    const exe = join(dir, "main");
    await ok(["-o", exe, "-rpath", "@loader_path", compileC(MAIN_C, { name: "dylib_main" }), lib]);
    const all = objdump(["--macho", "--all-headers", exe]);
    expect(all).toMatch(/cmd LC_LOAD_DYLIB\n\s+cmdsize \d+\n\s+name @rpath\/libfoo\.dylib/);
    expect(all).toMatch(/cmd LC_RPATH\n\s+cmdsize \d+\n\s+path @loader_path/);
    expect(headerFlags(exe).flags).toContain("TWOLEVEL");
    const binds = importRows(exe);
    for (const s of ["_foo_add", "_foo_name", "_foo_counter"]) expect(binds).toContain(`libfoo ${s}`);
    expect(binds.filter((b) => b.startsWith("flat-namespace"))).toEqual([]);
    const r = runMachO(exe);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(MAIN_OUT);
    expect(r.status).toBe(0);
  });

  it("an absolute -rpath finds the dylib from another directory", async () => {
    const dir = tmp("tsld-dylib-abs-");
    const libdir = join(dir, "lib");
    mkdirSync(libdir);
    const lib = await libfoo(libdir);
    const exe = join(dir, "main");
    await ok(["-o", exe, "-rpath", libdir, compileC(MAIN_C, { name: "dylib_main" }), lib]);
    expect(objdump(["--macho", "--all-headers", exe])).toContain(`path ${libdir} (offset 12)`);
    const r = runMachO(exe);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(MAIN_OUT);
    // Without the rpath the dylib is not found.
    const exe2 = join(dir, "main-norpath");
    await ok(["-o", exe2, compileC(MAIN_C, { name: "dylib_main" }), lib]);
    const r2 = runMachO(exe2);
    expect(r2.status).toBe(127);
  });

  it("a host dlopens it and calls through dlsym", async () => {
    const dir = tmp("tsld-dylib-dlopen-");
    const lib = await libfoo(dir);
    const exe = join(dir, "host");
    await ok(["-o", exe, compileC(DLOPEN_C, { name: "dylib_dlopen" })]);
    const r = runMachO(exe, [lib]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("libfoo 1042\n");
    expect(r.status).toBe(0);
  });

  it("dylibs link against tsld dylibs: a chain exe -> libbar -> libfoo", async () => {
    const dir = tmp("tsld-dylib-chain-");
    const lib = await libfoo(dir);
    const bar = join(dir, "libbar.dylib");
    await ok([
      "-buildmode=c-shared",
      "-install_name",
      "@rpath/libbar.dylib",
      "-rpath",
      "@loader_path",
      "-o",
      bar,
      compileC(
        `extern int foo_add(int, int); extern int foo_counter;
int bar_twice(int x) { return 2 * foo_add(x, 0) + foo_counter; }`,
        { name: "bar" },
      ),
      lib,
    ]);
    const barBinds = importRows(bar);
    expect(barBinds).toContain("libfoo _foo_add");
    expect(barBinds).toContain("libfoo _foo_counter");
    const barHeaders = objdump(["--macho", "--all-headers", bar]);
    expect(barHeaders).toMatch(/cmd LC_LOAD_DYLIB\n\s+cmdsize \d+\n\s+name @rpath\/libfoo\.dylib/);
    expect(barHeaders).toMatch(/current version 1\.2\.3\n\s*compatibility version 1\.0\.0/);
    const exe = join(dir, "main");
    await ok([
      "-o",
      exe,
      "-rpath",
      "@loader_path",
      compileC(
        `#include <stdio.h>
extern int bar_twice(int);
int main(void) { printf("%d\\n", bar_twice(5)); return 0; }`,
        { name: "chain_main" },
      ),
      bar,
    ]);
    const r = runMachO(exe);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("40\n");
    // The exe only loads libbar; libfoo comes in as libbar's dependency.
    const exeHeaders = objdump(["--macho", "--all-headers", exe]);
    expect(exeHeaders).toContain("@rpath/libbar.dylib");
    expect(exeHeaders).not.toContain("libfoo");
    // Copy elsewhere: @loader_path is relative to each image.
    const other = join(dir, "elsewhere");
    mkdirSync(other);
    for (const f of ["main", "libbar.dylib", "libfoo.dylib"]) copyFileSync(join(dir, f), join(other, f));
    expect(runMachO(join(other, "main")).stdout).toBe("40\n");
  });
});
