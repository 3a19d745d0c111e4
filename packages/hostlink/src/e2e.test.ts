// End to end: compile C to Mach-O objects with clang-19, link them through
// hostlinkArgv + runHostLinker with the driver resolveHostDriver picks on
// this host (on Linux: clang-19 -target x86_64-apple-macos11 -fuse-ld=lld
// [--ld-path=ld64.lld-19]), against a tiny libSystem TAPI v4 stub, and read
// the headers back with llvm-objdump-19. Running the images under a loader
// is done elsewhere.
//
// Note: ld64.lld accepts -bind_at_load but does not implement it (it warns,
// and run.ts swallows the warning), so the plugin's _puts stays lazily bound
// and MH_BINDATLOAD is not set. Apple's ld64 honours it (Go issue 38824).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultOptions, dynlinking } from "@tsld/core";
import type { BuildMode } from "@tsld/core";
import { hostlinkArgv } from "./argv.js";
import { findProgram, hostlinkInput, resolveHostDriver } from "./hostlink.js";
import type { HostDriver } from "./hostlink.js";
import { runHostLinker } from "./run.js";

const SETUP = "run `bash tools/setup-toolchain.sh` to install clang-19, lld-19 and llvm-19";

const LIBSYSTEM_TBD = `--- !tapi-tbd
tbd-version:     4
targets:         [ x86_64-macos, arm64-macos ]
install-name:    '/usr/lib/libSystem.B.dylib'
current-version: 1311
exports:
  - targets:         [ x86_64-macos, arm64-macos ]
    symbols:         [ _printf, _puts, dyld_stub_binder ]
...
`;

const MAIN_C = `int printf(const char *, ...);
int main(void) { printf("hello from %s\\n", "tsld"); return 0; }
`;

const PLUGIN_C = `int puts(const char *);
int plugin_value = 42;
int plugin_hello(void) { return puts("hello from plugin"); }
`;

let dir: string;
let driver: HostDriver;
let objdump: string;

function need(name: string, alt?: string): string {
  const dirs = (process.env.PATH ?? "").split(":").concat("/usr/lib/llvm-19/bin");
  const p = findProgram(name, dirs) ?? (alt !== undefined ? findProgram(alt, dirs) : undefined);
  if (p === undefined) throw new Error(`${name} not found: ${SETUP}`);
  return p;
}

/** Preprocess for a host target (no macOS SDK here), then compile for macOS. */
function compile(name: string, src: string): string {
  const clang = need("clang-19");
  const c = join(dir, `${name}.c`);
  const i = join(dir, `${name}.i`);
  const o = join(dir, `${name}.o`);
  writeFileSync(c, src);
  execFileSync(clang, ["-E", "-target", "x86_64-linux-gnu", c, "-o", i]);
  execFileSync(clang, ["-target", "x86_64-apple-macos11", "-c", i, "-o", o]);
  return o;
}

function link(buildmode: BuildMode, objects: string[], output: string, installName?: string): void {
  const options = defaultOptions({
    buildmode,
    linkmode: "external",
    output,
    libPaths: [dir],
    ...(installName !== undefined ? { installName } : {}),
  });
  const input = hostlinkInput(options, driver, objects);
  expect(input.dynlinking).toBe(dynlinking(buildmode));
  const r = runHostLinker(hostlinkArgv(input));
  if (!r.ok) throw new Error(`${r.message}\n${r.command}`);
  // Nothing but swallowed noise should be left.
  expect(r.stdout + r.stderr).toBe("");
}

interface MachHeader {
  filetype: string;
  flags: string[];
}

function machHeader(file: string): MachHeader {
  const out = execFileSync(objdump, ["--macho", "--private-header", file], { encoding: "utf8" });
  const line = out.split("\n").find((l) => l.startsWith("MH_MAGIC_64"));
  if (line === undefined) throw new Error(`no Mach-O header in:\n${out}`);
  // magic cputype cpusubtype caps filetype ncmds sizeofcmds flags...
  const cols = line.trim().split(/\s+/);
  return { filetype: cols[4] ?? "", flags: cols.slice(7) };
}

function objdumpText(file: string, ...flags: string[]): string {
  return execFileSync(objdump, ["--macho", ...flags, file], { encoding: "utf8" });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tsld-hostlink-e2e-"));
  writeFileSync(join(dir, "libSystem.tbd"), LIBSYSTEM_TBD);
  need("clang-19");
  need("ld64.lld-19", "ld64.lld");
  objdump = need("llvm-objdump-19");
  const d = resolveHostDriver(defaultOptions());
  if ("error" in d) throw new Error(`${d.error} (${SETUP})`);
  driver = d;
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("hostlink end to end (clang-19 + ld64.lld)", () => {
  it("links exe as a PIE MH_EXECUTE with a two-level namespace", () => {
    const out = join(dir, "hello");
    link("exe", [compile("main", MAIN_C)], out);
    const h = machHeader(out);
    expect(h.filetype).toBe("EXECUTE");
    expect(h.flags).toContain("PIE");
    expect(h.flags).toContain("TWOLEVEL");
    expect(objdumpText(out, "--dylibs-used")).toContain("/usr/lib/libSystem.B.dylib");
  });

  it("links plugin as a flat-namespace MH_DYLIB", () => {
    const out = join(dir, "plugin.dylib");
    link("plugin", [compile("plugin", PLUGIN_C)], out);
    const h = machHeader(out);
    expect(h.filetype).toBe("DYLIB");
    expect(h.flags).not.toContain("TWOLEVEL");
    expect(h.flags).not.toContain("PIE");
    // Imports are looked up in the flat namespace, not in libSystem.
    expect(objdumpText(out, "--lazy-bind")).toMatch(/flat-namespace\s+_puts/);
    expect(objdumpText(out, "--exports-trie")).toContain("_plugin_hello");
  });

  it("links c-shared as a two-level MH_DYLIB with its install name", () => {
    const out = join(dir, "libc-shared.dylib");
    link("c-shared", [compile("cshared", PLUGIN_C)], out, "@rpath/libc-shared.dylib");
    const h = machHeader(out);
    expect(h.filetype).toBe("DYLIB");
    expect(h.flags).toContain("TWOLEVEL");
    expect(objdumpText(out, "--dylib-id")).toContain("@rpath/libc-shared.dylib");
  });
});
