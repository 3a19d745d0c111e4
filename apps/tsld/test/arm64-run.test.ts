/**
 * arm64 programs linked by tsld run under the arm64 loader (qemu-aarch64)
 * and print what ld64.lld-19 -arch arm64 links of the same objects print:
 * stdio, a thread-local variable in two threads, a constructor, a weak
 * definition; with lazy binding (macOS 11) and with chained fixups (macOS
 * 13). The seed's plugin scenario on arm64: host and plugin each see their
 * own markers, the plugin calls back into the host; without the seed's
 * rules the plugin sees the host's markers and the check fails. `tsld -r`
 * of arm64 objects keeps each instruction's ARM64_RELOC_ADDEND, and the
 * merged object runs as the objects do.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { libSystemTbdDir, requireTool } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { assembleArm64, compileArm64C, linkArm64Both } from "./arm64-lit.js";
import { runMachO, tmp, tsld } from "./helpers.js";
import { HOST_C, PLUGIN_C } from "./plugin-helpers.js";

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
  it.each([
    ["lazy binding (macOS 11)", "11.0"],
    ["chained fixups (macOS 13)", "13.0"],
  ])(
    "stdio, TLV in two threads, constructors, weak definitions: %s",
    async (_what, v) => {
      const o = compileArm64C(PROG_C, "a64prog");
      const flags = ["-platform_version", "macos", v, v];
      const { ours, theirs } = await linkArm64Both(`prog${v}`, [o], flags, libSystemTbdDir("arm64"));
      const want = "ctor=41 tv=3 tz=0 thread=18 weak=7 hello-1\n";
      for (const out of [theirs, ours]) {
        const r = runMachO(out);
        expect(r.stderr, out).toBe("");
        expect(r.stdout, out).toBe(want);
        expect(r.status).toBe(3);
      }
    },
    180_000,
  );

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

describe("arm64 plugins under the loader (the seed's scenario)", () => {
  const link = async (args: string[]): Promise<void> => {
    const r = await tsld(["-arch", "arm64", "-L", libSystemTbdDir("arm64"), ...args], { hostLibSystem: false });
    if (r.status !== 0) throw new Error(`tsld ${args.join(" ")} failed:\n${r.stderr}`);
  };

  it("host and plugin each see their own markers; the plugin calls back into the host", async () => {
    const dir = tmp("tsld-a64plug-");
    const host = join(dir, "host");
    await link(["-o", host, compileArm64C(HOST_C, "a64host")]);
    const plugin = compileArm64C(PLUGIN_C, "a64plugin");
    for (const [name, flags] of [
      ["p.dylib", ["-bundle_loader", host]],
      ["p-dyn.dylib", ["-undefined", "dynamic_lookup"]],
      ["p.bundle", ["-bundle", "-bundle_loader", host]],
    ] as const) {
      const p = join(dir, name);
      await link(["-buildmode=plugin", "-o", p, ...flags, plugin]);
      const r = runMachO(host, [p]);
      expect(r.stderr, name).toBe("");
      expect(r.stdout, name).not.toContain("FAIL");
      expect(r.stdout).toContain("plugin_func(5) = 64");
      expect(r.stdout).toContain("OK");
      expect(r.status).toBe(0);
    }
    // Without the seed's rules, dyld's flat lookup hands the plugin the host's markers.
    const bad = join(dir, "p-nomarkers.dylib");
    await link(["-buildmode=plugin", "-no_plugin_markers", "-o", bad, "-bundle_loader", host, plugin]);
    const r = runMachO(host, [bad]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("FAIL plugin text contains its code");
  }, 240_000);
});
