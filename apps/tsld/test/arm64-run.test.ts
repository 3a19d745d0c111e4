/**
 * arm64 programs under the arm64 loader (qemu-aarch64) for what only arm64
 * has: `-linkmode=external` handing the host linker the objects' arch, and
 * `tsld -r` of arm64 objects keeping each instruction's ARM64_RELOC_ADDEND
 * (the merged object runs as the objects do). The programs every arch runs
 * (stdio, thread-locals, constructors, weak definitions, chained fixups,
 * the seed's plugin scenario) are the end-to-end suite's, which runs for
 * arm64 too (`TSLD_TEST_ARCH=arm64`, the third pass of tools/run-tests.mjs).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { libSystemTbdDir, requireTool } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { assembleArm64, compileArm64C, linkArm64Both } from "./arm64-lit.js";
import { runMachO, tmp, tsld } from "./helpers.js";

const PROG_C = `#include <stdio.h>
#include <pthread.h>
#include <string.h>
__thread int tv = 3;
static __thread long tz;
static int ctor_ran;
__attribute__((constructor)) static void init(void) { ctor_ran = 41; }
__attribute__((weak)) int weakfn(void) { return 7; }
static void *thr(void *p) { tv += (int)(long)p; tz = 5; return (void *)(long)(tv + tz); }
int main(int argc, char **argv) {
  pthread_t t; void *r;
  pthread_create(&t, 0, thr, (void *)10L);
  pthread_join(t, &r);
  char buf[32]; snprintf(buf, sizeof buf, "%s-%d", "hello", argc);
  printf("ctor=%d tv=%d tz=%ld thread=%ld weak=%d %s\\n", ctor_ran, tv, tz, (long)r, weakfn(), buf);
  return 3;
}
`;

describe("arm64 programs under the loader", () => {
  it("-linkmode=external without -arch hands the host linker the objects' arch (arm64)", async () => {
    const out = join(tmp("tsld-a64ext-"), "ext");
    const o = compileArm64C(PROG_C, "a64prog");
    const r = await tsld(["-linkmode=external", "-o", out, "-L", libSystemTbdDir("arm64"), o], {
      hostLibSystem: false,
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const run = runMachO(out);
    expect(run.stdout).toBe("ctor=41 tv=3 tz=0 thread=18 weak=7 hello-1\n");
    expect(run.status).toBe(3);
  }, 180_000);
});

// Instruction fields with addends (PAGE21/PAGEOFF12 +16: the 20; a branch +4 past the doubling: 21).
const ADDENDS = `
.text
.globl _pick
.p2align 2
_pick:
  adrp x8, _table@PAGE+16
  add x8, x8, _table@PAGEOFF+16
  ldr w0, [x8]
  b _twice+4
.globl _twice
.p2align 2
_twice:
  add w0, w0, w0
  add w0, w0, #1
  ret
.data
.globl _table
.p2align 3
_table: .long 1, 2, 3, 4, 20, 6
.subsections_via_symbols
`;

describe("arm64 tsld -r", () => {
  it("keeps each ADDEND with its relocation; the merged object links and runs as the objects do", async () => {
    const main = compileArm64C(
      '#include <stdio.h>\nint pick(void);\nint main(void) { printf("pick=%d\\n", pick()); return 0; }\n',
      "a64rmain",
    );
    const [asm] = assembleArm64({ addends: ADDENDS });
    const merged = join(tmp("tsld-a64r-"), "merged.o");
    const r = await tsld(["-r", "-o", merged, main, asm!], { hostLibSystem: false });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const relocs = (path: string): string[] =>
      spawnSync(requireTool("llvm-objdump-19"), ["--macho", "-r", path], { encoding: "utf8" })
        .stdout.split("\n")
        .filter((l) => / ADDEND | _table$| _twice$/.test(l))
        .map((l) =>
          l
            .replace(/^[0-9a-f]+ /, "")
            .replace(/\s+/g, " ")
            .trim(),
        );
    // The assembly's relocations, ADDEND entries included, come through (at their merged addresses).
    expect(relocs(merged)).toEqual(relocs(asm!));
    expect(relocs(asm!).filter((l) => l.includes("ADDEND"))).toHaveLength(3);
    const { ours, theirs } = await linkArm64Both("rmerged", [merged], [], libSystemTbdDir("arm64"));
    const direct = (await linkArm64Both("rdirect", [main, asm!], [], libSystemTbdDir("arm64"))).ours;
    for (const out of [ours, theirs, direct]) {
      const run = runMachO(out);
      expect(run.stderr, out).toBe("");
      expect(run.stdout, out).toBe("pick=21\n");
    }
  }, 180_000);
});
