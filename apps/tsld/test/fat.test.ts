// Universal (fat) inputs: tsld links their x86_64 slice.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { repoRoot, requireTool } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { runMachO, tmp, tsld } from "./helpers.js";

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
