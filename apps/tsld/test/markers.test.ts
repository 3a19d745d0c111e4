// Linker-defined symbols: ld64's section$/segment$ bounds, the header
// symbols, and Go's runtime section markers. A C program checks that its own
// functions and data lie between them.
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { compileC, linkBoth, runMachO, tmp, tsld } from "./helpers.js";

const LD64 = `#include <stdio.h>
extern char dstart[] __asm__("section$start$__DATA$__data");
extern char dend[] __asm__("section$end$__DATA$__data");
extern char tstart[] __asm__("section$start$__TEXT$__text");
extern char tend[] __asm__("section$end$__TEXT$__text");
extern char segt[] __asm__("segment$start$__TEXT");
extern char segte[] __asm__("segment$end$__TEXT");
extern char segd[] __asm__("segment$start$__DATA");
extern char segde[] __asm__("segment$end$__DATA");
extern char mh[] __asm__("__mh_execute_header");
extern char dso[] __asm__("___dso_handle");
int data_var = 5;
static int between(void *p, void *lo, void *hi) { return (char *)p >= (char *)lo && (char *)p < (char *)hi; }
int main(void) {
  printf("data in __data: %d\\n", between(&data_var, dstart, dend));
  printf("main in __text: %d\\n", between((void *)main, tstart, tend));
  printf("__text in __TEXT: %d %d\\n", between(tstart, segt, segte), tend <= segte);
  printf("__data in __DATA: %d\\n", between(dstart, segd, segde));
  printf("header: %d %d magic=%x\\n", mh == segt, dso == mh, *(unsigned *)mh);
  return 0;
}`;

const GO = `#include <stdio.h>
extern char rtext[] __asm__("runtime.text"), retext[] __asm__("runtime.etext");
extern char rdata[] __asm__("runtime.data"), redata[] __asm__("runtime.edata");
extern char rbss[] __asm__("runtime.bss"), rebss[] __asm__("runtime.ebss");
extern char rnoptr[] __asm__("runtime.noptrdata"), renoptr[] __asm__("runtime.enoptrdata");
extern char rtypes[] __asm__("runtime.types"), retypes[] __asm__("runtime.etypes");
extern char rrodata[] __asm__("runtime.rodata"), rerodata[] __asm__("runtime.erodata");
int data_var = 5;
static int bss_var; /* __bss (a global would go to __common, outside Go's bss) */
static int between(void *p, void *lo, void *hi) { return (char *)p >= (char *)lo && (char *)p < (char *)hi; }
int main(void) {
  printf("text %d %d\\n", between((void *)main, rtext, retext), rtext < retext);
  printf("data %d\\n", between(&data_var, rdata, redata));
  printf("bss %d\\n", between(&bss_var, rbss, rebss));
  printf("ordered %d %d %d %d\\n", rnoptr <= renoptr, rtypes <= retypes, rrodata <= rerodata, retext <= (char *)rdata);
  return 0;
}`;

describe("linker-defined symbols", () => {
  it("section$/segment$ bounds and header symbols match lld's", async () => {
    const { ours, theirs } = await linkBoth(tmp(), "markers", [compileC(LD64, { name: "markers" })]);
    const want = runMachO(theirs);
    expect(want.stdout).toBe(
      "data in __data: 1\nmain in __text: 1\n__text in __TEXT: 1 1\n__data in __DATA: 1\nheader: 1 1 magic=feedfacf\n",
    );
    const got = runMachO(ours);
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(want.stdout);
  });

  it("Go's runtime markers bound their sections", async () => {
    const out = join(tmp(), "go-markers");
    const r = await tsld(["-o", out, compileC(GO, { name: "gomarkers", cflags: ["-fno-common"] })]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const got = runMachO(out);
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe("text 1 1\ndata 1\nbss 1\nordered 1 1 1 1\n");
  });
});
