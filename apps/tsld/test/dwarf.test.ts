/**
 * DWARF in the output: a two-file C program built with -g (at -O0 and -O1)
 * and linked by tsld carries a `__DWARF` segment that llvm-dwarfdump-19
 * verifies, whose line table points into `__text` with the right file names,
 * and whose `--lookup` finds `main`; the program still runs; `-w`/`-s` omit
 * the segment; `-dead_strip` still verifies; and a plugin's `runtime.text`
 * marker (an 8-byte atom at the head of `__text`, the seed's rule) is in no
 * line-table row and no CU's low_pc.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { requireTool } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { compileC, runMachO, tmp, tsld } from "./helpers.js";
import { PLUGIN_C, nmSymbols, objdump, objdumpWithStderr } from "./plugin-helpers.js";

const MAIN_C = `#include <stdio.h>
extern int twice(int);
extern int unused_b(int);
static int sq(int x) { return x * x; }
int counter = 3;
int main(int argc, char **argv) {
  int s = 0;
  for (int i = 0; i < argc + 3; i++)
    s += sq(i) + twice(i);
  printf("sum %d %d\\n", s, counter);
  return 0;
}
`;

const LIB_C = `int unused_b(int x) { return x + 41; }
int twice(int x) {
  return 2 * x;
}
static int also_unused(int x) { return x * 7; }
int (*keep_also)(int) = 0;
`;

function dwarfdump(args: string[]): { stdout: string; stderr: string; status: number } {
  const r = spawnSync(requireTool("llvm-dwarfdump-19"), args, { encoding: "utf8", maxBuffer: 1 << 28 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
}

async function link(name: string, objs: string[], flags: string[] = []): Promise<string> {
  const out = join(tmp("tsld-dwarf-"), name);
  const r = await tsld(["-o", out, ...flags, ...objs]);
  if (r.status !== 0) throw new Error(`tsld failed (${r.status}):\n${r.stderr}`);
  return out;
}

function sectionRange(path: string, seg: string, sect: string): { addr: number; size: number } | undefined {
  const out = objdump(["--macho", "--section-headers", path]);
  for (const l of out.split("\n")) {
    const c = l.trim().split(/\s+/);
    if (c[1] === sect && l.includes(seg === "__TEXT" ? "TEXT" : "")) {
      return { addr: Number.parseInt(c[3]!, 16), size: Number.parseInt(c[2]!, 16) };
    }
  }
  return undefined;
}

/** Rows of `--debug-line`: address and the file names of each line table. */
function lineRows(path: string): { rows: { addr: number; line: number; end: boolean }[]; files: string[] } {
  const out = dwarfdump(["--debug-line", path]).stdout;
  const rows: { addr: number; line: number; end: boolean }[] = [];
  const files: string[] = [];
  for (const l of out.split("\n")) {
    const m = /^0x([0-9a-f]{16})\s+(\d+)\s+\d+\s+\d+/.exec(l);
    if (m) rows.push({ addr: Number.parseInt(m[1]!, 16), line: Number(m[2]), end: l.includes("end_sequence") });
    const f = /^\s*name: "([^"]+)"/.exec(l);
    if (f) files.push(f[1]!);
  }
  return { rows, files };
}

function checkVerify(path: string): void {
  const v = dwarfdump(["--verify", path]);
  expect(v.stdout + v.stderr).toContain("No errors.");
  expect(v.stdout + v.stderr).not.toMatch(/error:/);
  expect(v.status).toBe(0);
}

describe.each(["0", "1"])("DWARF in the output at -O%s", (O) => {
  const objs = (): string[] => [
    compileC(MAIN_C, { name: "dw_main", g: true, O }),
    compileC(LIB_C, { name: "dw_lib", g: true, O }),
  ];

  it("verifies, has line rows in __text with the right files, finds main, and runs", async () => {
    const out = await link(`prog-O${O}`, objs());
    checkVerify(out);
    const text = sectionRange(out, "__TEXT", "__text")!;
    const { rows, files } = lineRows(out);
    expect(rows.length).toBeGreaterThan(5);
    for (const r of rows) {
      if (r.end) expect(r.addr).toBeLessThanOrEqual(text.addr + text.size);
      else {
        expect(r.addr).toBeGreaterThanOrEqual(text.addr);
        expect(r.addr).toBeLessThan(text.addr + text.size);
      }
    }
    expect(files.some((f) => f.endsWith("dw_main.c"))).toBe(true);
    expect(files.some((f) => f.endsWith("dw_lib.c"))).toBe(true);

    const main = nmSymbols(out).find((s) => s.name === "_main")!;
    const look = dwarfdump([`--lookup=0x${main.addr.toString(16)}`, out]).stdout;
    expect(look).toMatch(/DW_TAG_subprogram[\s\S]*DW_AT_name\s+\("main"\)/);
    expect(look).toMatch(/Line info: file '[^']*dw_main\.c', line 6/);
    const twice = nmSymbols(out).find((s) => s.name === "_twice")!;
    const look2 = dwarfdump([`--lookup=0x${twice.addr.toString(16)}`, out]).stdout;
    expect(look2).toMatch(/DW_TAG_subprogram[\s\S]*DW_AT_name\s+\("twice"\)/);
    // Its first instruction's row: the opening line, or (arm64 at -O1, no prologue) the body's.
    expect(look2).toMatch(/Line info: file '[^']*dw_lib\.c', line [23],/);

    const r = runMachO(out);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("sum 26 3\n");
    expect(r.status).toBe(0);

    const h = objdumpWithStderr(["--macho", "--all-headers", out]);
    expect(h.stderr).toBe("");
    expect(h.stdout).toMatch(/segname __DWARF/);
  });

  it("-dead_strip with -g still verifies; stripped code is in no line row", async () => {
    const out = await link(`dead-O${O}`, objs(), ["-dead_strip"]);
    checkVerify(out);
    const text = sectionRange(out, "__TEXT", "__text")!;
    const { rows } = lineRows(out);
    expect(rows.length).toBeGreaterThan(5);
    for (const r of rows.filter((x) => !x.end)) {
      expect(r.addr).toBeGreaterThanOrEqual(text.addr);
      expect(r.addr).toBeLessThan(text.addr + text.size);
    }
    const main = nmSymbols(out).find((s) => s.name === "_main")!;
    expect(dwarfdump([`--lookup=0x${main.addr.toString(16)}`, out]).stdout).toMatch(/dw_main\.c', line 6/);
    expect(runMachO(out).stdout).toBe("sum 26 3\n");
  });
});

describe("DWARF omitted", () => {
  it.each([["-w"], ["-s"]])("%s: no __DWARF segment, and the program runs", async (flag) => {
    const objs = [compileC(MAIN_C, { name: "dw_main", g: true }), compileC(LIB_C, { name: "dw_lib", g: true })];
    const out = await link(`strip${flag}`, objs, [flag]);
    const h = objdump(["--macho", "--all-headers", out]);
    expect(h).not.toContain("__DWARF");
    expect(h).not.toContain("__debug_");
    expect(runMachO(out).stdout).toBe("sum 26 3\n");
  });

  it("inputs without -g: no __DWARF segment", async () => {
    const out = await link("nog", [compileC(MAIN_C, { name: "dw_main" }), compileC(LIB_C, { name: "dw_lib" })]);
    expect(objdump(["--macho", "--all-headers", out])).not.toContain("__DWARF");
  });
});

describe("DWARF in a plugin (the seed's rule)", () => {
  it("runtime.text is in no line row and no CU low_pc; the plugin verifies", async () => {
    const obj = compileC(PLUGIN_C, { name: "dw_plugin", g: true });
    const out = await link("plugin.dylib", [obj], ["-buildmode=plugin", "-undefined", "dynamic_lookup"]);
    checkVerify(out);
    const syms = nmSymbols(out);
    const markers = syms.filter((s) => s.name === "_runtime.text");
    expect(markers).toHaveLength(1);
    const marker = markers[0]!;
    const text = sectionRange(out, "__TEXT", "__text")!;
    // The seed's layout: the marker is an 8-byte atom at the head of __text.
    expect(marker.addr).toBe(text.addr);
    const { rows } = lineRows(out);
    expect(rows.length).toBeGreaterThan(3);
    for (const r of rows) expect(r.addr >= marker.addr + 8 || r.addr < marker.addr).toBe(true);
    const info = dwarfdump(["--debug-info", out]).stdout;
    const lows = [...info.matchAll(/DW_TAG_compile_unit[\s\S]*?DW_AT_low_pc\s+\(0x([0-9a-f]+)\)/g)].map((m) =>
      Number.parseInt(m[1]!, 16),
    );
    expect(lows.length).toBeGreaterThan(0);
    for (const lo of lows) expect(lo).not.toBe(marker.addr);
    // Nothing the debug info describes lies on the marker.
    const look = dwarfdump([`--lookup=0x${marker.addr.toString(16)}`, out]).stdout;
    expect(look).not.toMatch(/Line info:/);
    expect(look).not.toMatch(/DW_TAG_subprogram/);
    expect(objdumpWithStderr(["--macho", "--all-headers", out]).stderr).toBe("");
  });
});

describe("DWARF 2 and 3 inputs (high_pc as an address)", () => {
  // A CU whose first and last functions are stripped but a middle one lives:
  // its low_pc and high_pc (both addresses here) must bound the live code.
  const MID_C = `int first_dead(int x) { return x * 3; }
int middle_live(int x) { return x + 1; }
int last_dead(int x) { return x - 7; }
`;
  const USE_C = `#include <stdio.h>
extern int middle_live(int);
int main(void) { printf("%d\\n", middle_live(41)); return 0; }
`;
  it.each(["2", "3"])("-gdwarf-%s with -dead_strip: CU ranges bound the live code and verify", async (v) => {
    const objs = [
      compileC(USE_C, { name: `dw${v}_use`, g: true, cflags: [`-gdwarf-${v}`] }),
      compileC(MID_C, { name: `dw${v}_mid`, g: true, cflags: [`-gdwarf-${v}`] }),
    ];
    const out = await link(`dwarf${v}-mid`, objs, ["-dead_strip"]);
    checkVerify(out);
    expect(runMachO(out).stdout).toBe("42\n");
    // The mid CU: low_pc is middle_live (its first live code), high_pc past
    // middle_live's code and not past __text; the dead functions are gone.
    const syms = nmSymbols(out);
    expect(syms.map((s) => s.name)).not.toContain("_first_dead");
    expect(syms.map((s) => s.name)).not.toContain("_last_dead");
    const live = syms.find((s) => s.name === "_middle_live")!.addr;
    const text = sectionRange(out, "__TEXT", "__text")!;
    const cu = dwarfdump(["--debug-info", out])
      .stdout.split("DW_TAG_compile_unit")
      .find((c) => new RegExp(`DW_AT_name\\s+\\("[^"]*dw${v}_mid\\.c"\\)`).test(c));
    if (!cu) throw new Error(`no compile unit for dw${v}_mid.c`);
    const low = Number.parseInt(/DW_AT_low_pc\s+\(0x([0-9a-f]+)\)/.exec(cu)![1]!, 16);
    const high = Number.parseInt(/DW_AT_high_pc\s+\(0x([0-9a-f]+)\)/.exec(cu)![1]!, 16);
    expect(low).toBe(live);
    expect(high).toBeGreaterThan(live);
    expect(high).toBeLessThanOrEqual(text.addr + text.size);
    const sub =
      /DW_AT_low_pc\s+\(0x([0-9a-f]+)\)\n\s+DW_AT_high_pc\s+\(0x([0-9a-f]+)\)\n(?:(?![^\n]*DW_TAG)[^\n]*\n)*?\s+DW_AT_name\s+\("middle_live"\)/.exec(
        cu,
      )!;
    expect(Number.parseInt(sub[1]!, 16)).toBe(live);
    expect(Number.parseInt(sub[2]!, 16)).toBeLessThanOrEqual(high);
  });
});
