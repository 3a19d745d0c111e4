// ld64's section$start/end$SEG$SECT and segment$start/end$SEG for sections
// and segments that are present, empty or absent: a section two objects fill,
// one an input provides with no bytes, one whose only atom -dead_strip drops,
// one no input has (in an existing segment and in a new one), a segment
// nothing fills, and __DATA,__const (which the link moves to __DATA_CONST).
// As ld64 and lld do, a missing section or segment is created empty, so its
// start and end name one address in the image. Each image kind (executable,
// dylib, plugin) reports its own bounds at run time; lld's links must agree.
import { join } from "node:path";
import { linkWithLld } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { assemble, compileC, runMachO, tmp, tsld } from "./helpers.js";

const REG1 = `__attribute__((used, section("__DATA,__myreg"))) static const long r1[2] = {1, 10};
__attribute__((used, section("__DATA,__myreg"))) static const long r2[2] = {2, 20};
`;
const REG2 = `__attribute__((used, section("__DATA,__myreg"))) static const long r3[2] = {3, 30};
/* referenced by nobody and not exported: -dead_strip leaves __gone without atoms */
__attribute__((visibility("hidden"), section("__DATA,__gone"))) long gone_var = 4;
`;
/** An input section with no bytes. */
const EMPTY_S = `.section __DATA,__emptyin
.subsections_via_symbols
`;

const REPORT = `#include <stdio.h>
#define BOUNDS(v, kind, name) extern const char v##_s[] __asm(#kind "$start$" name); \\
  extern const char v##_e[] __asm(#kind "$end$" name);
BOUNDS(reg, section, "__DATA$__myreg")
BOUNDS(empty, section, "__DATA$__emptyin")
BOUNDS(gone, section, "__DATA$__gone")
BOUNDS(absent, section, "__DATA$__nothere")
BOUNDS(newseg, section, "__NEWSEG$__nosect")
BOUNDS(noseg, segment, "__NOSEG")
BOUNDS(data, segment, "__DATA")
BOUNDS(cnst, section, "__DATA$__const")
long plain = 5;
long *const ptrs[1] = {&plain}; /* __DATA,__const: moved to __DATA_CONST */
static const char *hide(const char *p) { __asm__ volatile("" : "+r"(p)); return p; }
int bounds_report(char *buf, int len) {
  long n = 0, sum = 0;
  for (const long *p = (const long *)hide(reg_s); p < (const long *)hide(reg_e); p += 2) { n++; sum += p[0] * p[1]; }
  int data = hide(data_s) <= reg_s && reg_e <= hide(data_e) && hide(data_s) <= (const char *)&plain &&
             (const char *)(&plain + 1) <= hide(data_e);
  int cnst = hide(cnst_s) <= (const char *)ptrs && (const char *)(ptrs + 1) <= hide(cnst_e);
  return snprintf(buf, len, "reg n=%ld sum=%ld empty=%d gone=%ld absent=%d newseg=%d noseg=%d data=%d const=%d", n, sum,
                  hide(empty_s) == hide(empty_e), (long)(hide(gone_e) - hide(gone_s)),
                  hide(absent_s) == hide(absent_e) && hide(absent_s) != 0, hide(newseg_s) == hide(newseg_e) && hide(newseg_s) != 0,
                  hide(noseg_s) == hide(noseg_e) && hide(noseg_s) != 0, data, cnst);
}
`;

const MAIN = `#include <stdio.h>
int bounds_report(char *buf, int len);
int main(void) { char b[256]; bounds_report(b, sizeof b); puts(b); return 0; }
`;

/** A host with a registry of its own, which dlopens the plugin: each sees its own bounds. */
const HOST = `#include <dlfcn.h>
#include <stdio.h>
__attribute__((used, section("__DATA,__myreg"))) static const long h1[2] = {9, 90};
extern const long reg_s[] __asm("section$start$__DATA$__myreg");
extern const long reg_e[] __asm("section$end$__DATA$__myreg");
int main(int argc, char **argv) {
  void *h = dlopen(argv[1], RTLD_NOW);
  if (!h) { printf("dlopen: %s\\n", dlerror()); return 3; }
  int (*report)(char *, int) = (int (*)(char *, int))dlsym(h, "bounds_report");
  if (!report) { printf("dlsym: %s\\n", dlerror()); return 4; }
  char b[256];
  report(b, sizeof b);
  printf("host n=%ld first=%ld\\nplugin %s\\n", (long)(reg_e - reg_s) / 2, reg_s[0], b);
  return 0;
}
`;

const want = (gone: number): string =>
  `reg n=3 sum=140 empty=1 gone=${gone} absent=1 newseg=1 noseg=1 data=1 const=1\n`;

function libObjects(): string[] {
  return [
    compileC(REPORT, { name: "bounds-report" }),
    compileC(REG1, { name: "bounds-reg1" }),
    compileC(REG2, { name: "bounds-reg2" }),
    assemble(EMPTY_S, { name: "bounds-empty" }),
  ];
}

async function ok(args: string[]): Promise<void> {
  const r = await tsld(args);
  if (r.status !== 0) throw new Error(`tsld ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  expect(r.stderr).toBe("");
}

describe("section$ and segment$ boundary symbols", () => {
  for (const flags of [[], ["-dead_strip"]]) {
    const gone = flags.length ? 0 : 8;
    const tag = flags.length ? " with -dead_strip" : "";

    it(`executable${tag}: present, empty and absent sections and segments, as lld`, async () => {
      const dir = tmp("tsld-bounds-exe-");
      const objs = [...libObjects(), compileC(MAIN, { name: "bounds-main" })];
      const ours = join(dir, "exe.tsld");
      const theirs = join(dir, "exe.lld");
      await ok(["-o", ours, ...flags, ...objs]);
      linkWithLld(objs, theirs, flags);
      expect(runMachO(theirs).stdout).toBe(want(gone));
      const r = runMachO(ours);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(want(gone));
      expect(r.status).toBe(0);
    });

    it(`dylib${tag}: its own bounds, called from an executable, as lld`, async () => {
      const dir = tmp("tsld-bounds-dylib-");
      const main = compileC(MAIN, { name: "bounds-main" });
      const ours = join(dir, "libb.dylib");
      const theirs = join(dir, "libb.lld.dylib");
      await ok(["-buildmode=c-shared", "-install_name", ours, "-o", ours, ...flags, ...libObjects()]);
      linkWithLld(libObjects(), theirs, ["-dylib", "-install_name", theirs, ...flags]);
      const exe = join(dir, "main");
      const exeLld = join(dir, "main.lld");
      await ok(["-o", exe, main, ours]);
      linkWithLld([main, theirs], exeLld);
      expect(runMachO(exeLld).stdout).toBe(want(gone));
      const r = runMachO(exe);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(want(gone));
      expect(r.status).toBe(0);
    });
  }

  it("plugin: a dlopened plugin sees its own bounds, the host its own", async () => {
    const dir = tmp("tsld-bounds-plugin-");
    const host = join(dir, "host");
    const plugin = join(dir, "plugin.dylib");
    await ok(["-o", host, compileC(HOST, { name: "bounds-host" })]);
    await ok(["-buildmode=plugin", "-undefined", "dynamic_lookup", "-o", plugin, ...libObjects()]);
    const r = runMachO(host, [plugin]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`host n=1 first=9\nplugin ${want(8)}`);
    expect(r.status).toBe(0);
  });
});
