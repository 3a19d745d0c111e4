// The command line: --help, -v stage times, -e, -map, -s, and
// -linkmode=external handing the link to clang-19 + ld64.lld-19.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { requireTool } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { compileC, runMachO, tmp, tsld } from "./helpers.js";

const SRC = `#include <stdio.h>
static int helper_static(int x) { return x * 2; }
int visible_global = 5;
int alt_entry(void) { printf("alt %d\\n", helper_static(visible_global)); return 3; }
int main(void) { printf("main %d\\n", helper_static(visible_global)); return 0; }
`;

const nm = (path: string): string => spawnSync(requireTool("llvm-nm-19"), [path], { encoding: "utf8" }).stdout;

describe("tsld command line", () => {
  it("--help lists the flags", async () => {
    const r = await tsld(["--help"], { hostLibSystem: false });
    expect(r.status).toBe(0);
    for (const f of ["-buildmode", "-linkmode", "-dead_strip", "-map", "-extld", "-framework", "-install_name"])
      expect(r.stdout).toContain(f);
  });

  it("-v prints each stage's time", async () => {
    const r = await tsld(["-v", "-o", join(tmp(), "p"), compileC(SRC, { name: "cli" })]);
    expect(r.status).toBe(0);
    for (const s of ["loadObjects", "assignSections", "scanRelocations", "fixups", "writeContents", "saveImage"])
      expect(r.stderr).toMatch(new RegExp(`\\d+\\.\\d+ms\\s+${s}`));
  });

  it("-e picks the entry point", async () => {
    const out = join(tmp(), "alt");
    const r = await tsld(["-e", "_alt_entry", "-o", out, compileC(SRC, { name: "cli" })]);
    expect(r.status).toBe(0);
    const run = runMachO(out);
    expect(run.stdout).toBe("alt 10\n");
    expect(run.status).toBe(3);
  });

  it("-map writes sections and symbols with addresses", async () => {
    const dir = tmp();
    const r = await tsld(["-map", join(dir, "p.map"), "-o", join(dir, "p"), compileC(SRC, { name: "cli" })]);
    expect(r.status).toBe(0);
    const map = readFileSync(join(dir, "p.map"), "utf8");
    expect(map).toContain("# Sections:");
    expect(map).toMatch(/0x[0-9A-F]+\t0x[0-9A-F]+\t__TEXT\t__text/);
    expect(map).toMatch(/\[\s*\d+\] _main/);
    expect(map).toContain("cli");
  });

  it("-s drops local symbols and keeps globals; the program still runs", async () => {
    const dir = tmp();
    const obj = compileC(SRC, { name: "cli" });
    await tsld(["-o", join(dir, "full"), obj]);
    const r = await tsld(["-s", "-o", join(dir, "stripped"), obj]);
    expect(r.status).toBe(0);
    expect(nm(join(dir, "full"))).toContain("_helper_static");
    const syms = nm(join(dir, "stripped"));
    expect(syms).not.toContain("_helper_static");
    expect(syms).toContain("_visible_global");
    expect(runMachO(join(dir, "stripped")).stdout).toBe("main 10\n");
  });

  it("-linkmode=external links through clang-19 and ld64.lld-19", async () => {
    const out = join(tmp(), "ext");
    const r = await tsld(["-linkmode=external", "-o", out, compileC(SRC, { name: "cli" })]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.status).toBe(0);
    expect(runMachO(out).stdout).toBe("main 10\n");
  });
});
