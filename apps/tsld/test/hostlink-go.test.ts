/**
 * External linking as Go's hostlink does it: tsld writes the Go side as one
 * relocatable `go.o` with the section markers laid out, then the host
 * linker (clang-19 with lld) links it. The seed's scenario (host and plugin
 * each record their module bounds from the markers) runs under the loader;
 * c-archive writes go.o into an archive both linkers read.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { linkWithLld } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { compileC, runMachO, tmp, tsld } from "./helpers.js";
import { HOST_C, PLUGIN_C, nmSymbols } from "./plugin-helpers.js";

const EXTLD = ["-linkmode=external", "-extld", "clang-19"];
const CROSS = "-target x86_64-apple-macos11 -fuse-ld=lld --ld-path=/usr/bin/ld64.lld-19";

async function ok(args: string[]): Promise<void> {
  const r = await tsld(args);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
}

function objdump(file: string, ...args: string[]): string {
  const r = spawnSync("llvm-objdump-19", ["--macho", ...args, file], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  return r.stdout;
}

describe("hostlink: go.o, then the host linker", () => {
  it("the seed's plugin scenario passes in external mode (each module sees its own markers)", async () => {
    const dir = tmp("tsld-hostlink-");
    const host = join(dir, "host");
    const plugin = join(dir, "plugin.dylib");
    const keep = join(dir, "keep");
    await ok([
      ...EXTLD,
      "-extldflags",
      CROSS,
      "-tmpdir",
      join(dir, "hosttmp"),
      "-o",
      host,
      compileC(HOST_C, { name: "plugin_host" }),
    ]);
    await ok([
      ...EXTLD,
      "-buildmode=plugin",
      "-extldflags",
      `${CROSS} -Wl,-undefined,dynamic_lookup`,
      "-tmpdir",
      keep,
      "-o",
      plugin,
      compileC(PLUGIN_C, { name: "plugin" }),
    ]);
    const r = runMachO(host, [plugin]);
    expect(r.stderr).toBe("");
    expect(r.stdout).not.toContain("FAIL");
    expect(r.stdout).toContain("plugin_func(5) = 64");
    expect(r.stdout).toContain("OK");
    expect(r.status).toBe(0);
    // -tmpdir kept go.o and the exact command, with Go's darwin flags.
    const argv = readFileSync(join(keep, "hostlink.argv"), "utf8");
    expect(argv).toContain("-Wl,-headerpad,1144");
    expect(argv).toContain("-Wl,-flat_namespace -Wl,-bind_at_load");
    expect(argv).toContain("-dynamiclib");
    expect(argv).toContain(join(keep, "go.o"));
    // go.o: an MH_OBJECT whose markers are 8-byte symbols, start markers at the
    // head of their sections, end markers at the tail, with Go's `_` when dynamically linking.
    const goo = join(keep, "go.o");
    expect(readFileSync(goo).readUInt32LE(12)).toBe(1);
    const heads = objdump(goo, "-h");
    const syms = nmSymbols(goo);
    const at = (n: string): number => syms.find((s) => s.name === n)!.addr;
    const sect = (name: string): { addr: number; size: number } => {
      const row = heads.split("\n").find((l) => new RegExp(`\\s${name}\\s`).test(l))!;
      const c = row.trim().split(/\s+/);
      return { size: Number.parseInt(c[2]!, 16), addr: Number.parseInt(c[3]!, 16) };
    };
    for (const [start, end, s] of [
      ["_runtime.text", "_runtime.etext", "__text"],
      ["_runtime.data", "_runtime.edata", "__data"],
      ["_runtime.bss", "_runtime.ebss", "__bss"],
    ] as const) {
      const x = sect(s);
      expect(at(start), start).toBe(x.addr);
      expect(at(end) + 8, end).toBe(x.addr + x.size);
      // The 8 bytes after the start marker belong to no other symbol.
      expect(syms.filter((y) => y.addr > x.addr && y.addr < x.addr + 8)).toEqual([]);
    }
    expect(objdump(goo, "--private-header")).not.toContain("SUBSECTIONS_VIA_SYMBOLS");
  });

  it("-hostobj objects go to the host linker as they are; the rest into go.o", async () => {
    const dir = tmp("tsld-hostlink-");
    const main = compileC(`#include <stdio.h>
extern int cfunc(int);
int main(void) { printf("%d\\n", cfunc(4)); return 0; }`);
    const c = compileC("int cfunc(int x) { return x * 11; }", { name: "hostobj" });
    const out = join(dir, "exe");
    await ok([...EXTLD, "-extldflags", CROSS, "-tmpdir", join(dir, "t"), "-hostobj", c, "-o", out, main]);
    expect(runMachO(out).stdout).toBe("44\n");
    const argv = readFileSync(join(dir, "t", "hostlink.argv"), "utf8");
    expect(argv).toContain(` ${join(dir, "t", "go.o")} ${c}`);
    expect(nmSymbols(join(dir, "t", "go.o")).map((s) => s.name)).not.toContain("_cfunc");
  });

  it("a failing host link shows the exact command and the linker's words; a missing one names -extld", async () => {
    const dir = tmp("tsld-hostlink-");
    const main = compileC("extern int nowhere(void); int main(void) { return nowhere(); }", { name: "undef" });
    const r = await tsld([...EXTLD, "-extldflags", CROSS, "-o", join(dir, "x"), main]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("running clang-19 failed: exit status 1");
    expect(r.stderr).toMatch(/undefined symbol: _?nowhere/);
    expect(r.stderr).toMatch(/command: clang-19 .*-Wl,-headerpad,1144 .*go\.o/);
    expect(existsSync(join(dir, "x"))).toBe(false);
    const m = await tsld(["-linkmode=external", "-extld", "no-such-cc-tsld", "-o", join(dir, "y"), main]);
    expect(m.status).toBe(1);
    expect(m.stderr).toContain("set the host linker with -extld");
  });

  it("c-archive: go.o in an archive with __.SYMDEF SORTED, linked into a running C host by lld and by tsld", async () => {
    const dir = tmp("tsld-carchive-");
    const lib = compileC(
      `int GoAdd(int a, int b) { return a + b; }
const char *GoName(void) { return "from the archive"; }
int unused_by_host(void) { return 9; }`,
      { name: "golib" },
    );
    const archive = join(dir, "libgo.a");
    await ok(["-buildmode=c-archive", "-o", archive, lib]);
    const bytes = readFileSync(archive);
    expect(bytes.subarray(0, 8).toString("latin1")).toBe("!<arch>\n");
    expect(bytes.subarray(68, 84).toString("latin1")).toBe("__.SYMDEF SORTED");
    const toc = spawnSync("llvm-nm-19", ["--print-armap", archive], { encoding: "utf8" });
    expect(toc.stderr).toBe("");
    expect(toc.stdout).toMatch(/_GoAdd in go\.o/);
    const host = compileC(
      `#include <stdio.h>
extern int GoAdd(int, int);
extern const char *GoName(void);
int main(void) { printf("%d %s\\n", GoAdd(2, 40), GoName()); return 0; }`,
      { name: "chost" },
    );
    const viaLld = join(dir, "host.lld");
    linkWithLld([host, archive], viaLld);
    const viaTsld = join(dir, "host.tsld");
    await ok(["-o", viaTsld, host, archive]);
    for (const exe of [viaLld, viaTsld]) {
      const r = runMachO(exe);
      expect(r.stdout, exe).toBe("42 from the archive\n");
      expect(r.status).toBe(0);
    }
    // Deterministic: the same inputs give the same bytes.
    const again = join(dir, "libgo2.a");
    await ok(["-buildmode=c-archive", "-o", again, lib]);
    expect(readFileSync(again).equals(bytes)).toBe(true);
  });
});
