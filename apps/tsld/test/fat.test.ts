// Universal (fat) inputs: tsld links the slice for the link's arch.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { repoRoot, requireTool } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { ARM64_TRIPLE, arm64LibDir } from "./arm64-lit.js";
import { assemble, runMachO, tmp, tsld } from "./helpers.js";
import { dump, filecheck } from "./lit.js";

describe("fat inputs", () => {
  it("links the x86_64 slice of a universal object", async () => {
    const dir = tmp();
    const hello = join(repoRoot(), "examples/hello");
    const fat = join(dir, "main-fat.o");
    const l = spawnSync(requireTool("llvm-lipo-19"), ["-create", "-output", fat, join(hello, "main.o")], {
      encoding: "utf8",
    });
    expect(l.stderr).toBe("");
    const out = join(dir, "hello");
    const r = await tsld(["-o", out, fat, join(hello, "greet.o")]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(runMachO(out).stdout).toContain("Hello, Mach-O (6 letters)");
  });
});

describe("fat inputs for arm64", () => {
  const lipo = (out: string, inputs: string[]): void => {
    const l = spawnSync(requireTool("llvm-lipo-19"), ["-create", "-output", out, ...inputs], { encoding: "utf8" });
    expect(l.stderr).toBe("");
  };
  const x86 = (): string =>
    assemble(".text\n.globl _which\n_which:\n  movl $86, %eax\n  retq\n", { arch: "x86_64", name: "fat_x86" });
  const arm = (): string =>
    assemble(".text\n.globl _which\n.p2align 2\n_which:\n  mov w0, #64\n  ret\n", {
      name: "fat_arm",
      triple: ARM64_TRIPLE,
    });
  const main = (): string =>
    assemble(".text\n.globl _main\n.p2align 2\n_main:\n  b _which\n", { name: "fat_main", triple: ARM64_TRIPLE });

  it("takes the slice for the link's arch, whichever the -arch or the other objects choose", async () => {
    const dir = tmp();
    const fat = join(dir, "which-fat.o");
    lipo(fat, [x86(), arm()]);
    for (const args of [
      [main(), fat],
      [fat, main()],
      ["-arch", "arm64", fat, main()],
    ]) {
      const out = join(dir, "which");
      const r = await tsld(["-o", out, "-L", arm64LibDir(), ...args], { hostLibSystem: false });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const d = dump("llvm-objdump-19", ["--macho", "-d", "--no-show-raw-insn", out]);
      filecheck(d, "CHECK: _which:\nCHECK-NEXT: mov w0, #0x40");
    }
  });

  it("reports a fat input without the link's slice, listing the slices it has", async () => {
    const dir = tmp();
    const fat = join(dir, "x86-only.o");
    lipo(fat, [x86()]);
    const r = await tsld(["-o", join(dir, "out"), "-L", arm64LibDir(), main(), fat], { hostLibSystem: false });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/x86-only\.o: fat file has no arm64 slice \(it has x86_64\)/);
  });
});
