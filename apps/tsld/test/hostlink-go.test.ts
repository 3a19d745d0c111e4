/**
 * External linking as Go's hostlink does it, for x86_64 and arm64: tsld
 * writes the Go side as one relocatable `go.o` with the section markers
 * laid out, then the host linker (clang-19 driving ld64.lld-19, or
 * ld64.tsld) links it. The seed's scenario (host and plugin each record
 * their module bounds from the markers, the plugin calls back into the
 * host) runs under the loader for the arch; without the seed's rules
 * (`-no_plugin_markers`) the plugin sees the host's markers and the check
 * fails. The images keep the seed's rules: markers as 8-byte symbols at
 * the head and tail of their sections, `_` on every non-local symbol, flat
 * namespace, bound at load. Go's buildmode table (exe, pie, c-shared,
 * plugin, c-archive) links and runs; c-archive writes go.o into an archive
 * both linkers read.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Arch, DARWIN_TRIPLES, libSystemTbdDir, linkWithLld } from "@tsld/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { reaches } from "./arm64-lit.js";
import { assemble, compileC, runMachO, tmp, tsld } from "./helpers.js";
import { bundleLd64 } from "./ld64-bin.js";
import { HOST_C, PLUGIN_C, headerFlags, nm, nmSymbols } from "./plugin-helpers.js";

const LLD = "/usr/bin/ld64.lld-19";
const MARKERS = [
  ["_runtime.text", "_runtime.etext", "__text"],
  ["_runtime.data", "_runtime.edata", "__data"],
  ["_runtime.bss", "_runtime.ebss", "__bss"],
] as const;

function objdump(file: string, ...args: string[]): string {
  const r = spawnSync("llvm-objdump-19", ["--macho", ...args, file], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  return r.stdout;
}

/** Address and size of section `name` (`--section-headers`). */
function section(file: string, name: string): { addr: number; size: number } {
  const row = objdump(file, "-h")
    .split("\n")
    .find((l) => new RegExp(`\\s${name}\\s`).test(l))!;
  const c = row.trim().split(/\s+/);
  return { size: Number.parseInt(c[2]!, 16), addr: Number.parseInt(c[3]!, 16) };
}

/** Each marker pair 8 bytes at the head and the tail of its section; no other symbol in the start marker's 8 bytes. */
function expectMarkersBound(file: string): void {
  const syms = nmSymbols(file);
  const at = (n: string): number => syms.find((s) => s.name === n)!.addr;
  for (const [start, end, s] of MARKERS) {
    const x = section(file, s);
    expect(at(start), `${file} ${start}`).toBe(x.addr);
    expect(at(end) + 8, `${file} ${end}`).toBe(x.addr + x.size);
    expect(syms.filter((y) => y.addr > x.addr && y.addr < x.addr + 8)).toEqual([]);
  }
}

/**
 * Relocation rows (`llvm-readobj-19 -r`) as `pcrel length extern type
 * symbol`, per section in file order; addresses dropped (go.o moves code).
 */
function relocRows(file: string): string[] {
  const r = spawnSync("llvm-readobj-19", ["-r", file], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  return r.stdout
    .split("\n")
    .map((l) => /^\s+0x[0-9A-F]+ (.*)$/.exec(l)?.[1])
    .filter((l) => l !== undefined)
    .map((l) => {
      const c = l.split(" ");
      return [...c.slice(0, 4), ...c.slice(5)].join(" ");
    });
}

/** The ARM64_RELOC_ADDEND values `llvm-objdump --macho -r` prints, in order. */
function addends(file: string): string[] {
  return [...objdump(file, "-r").matchAll(/ADDEND\s+\S+\s+addend = (0x[0-9a-f]+)/g)].map((m) => m[1]!);
}

/** ld64.tsld, bundled once for the file: a host linker that honours -bind_at_load. */
let ld64Tsld: Promise<string> | undefined;
const ld64 = (): Promise<string> => (ld64Tsld ??= bundleLd64(tmp("ld64-bin-")));

describe.each(["x86_64", "arm64"] as const)("hostlink: go.o, then the host linker (%s)", (arch: Arch) => {
  const EXTLD = ["-linkmode=external", "-extld", "clang-19"];
  const cross = (ld = LLD): string => `-target ${DARWIN_TRIPLES[arch]} -fuse-ld=lld --ld-path=${ld}`;
  const cc = (source: string, name: string): string => compileC(source, { name, arch });
  let lib = "";
  beforeAll(() => {
    lib = libSystemTbdDir(arch);
  });
  const link = (args: string[]) => tsld(["-arch", arch, "-L", lib, ...args], { hostLibSystem: false });
  const ok = async (args: string[]): Promise<void> => {
    const r = await link(args);
    // clang passes ld64 its LTO options (-mllvm …), which ld64.tsld notes and ignores; nothing else may be said.
    expect(r.stderr.replace(/^tsld: warning: clang-19: ld64\.tsld: note: ignoring LTO options.*\n/m, "")).toBe("");
    expect(r.status).toBe(0);
  };

  /** The seed's host and plugin, linked externally through the host linker `ld`; the plugin's -tmpdir kept. */
  async function hostAndPlugin(ld: string, pluginFlags: string[] = []) {
    const dir = tmp("tsld-hostlink-");
    const host = join(dir, "host");
    const plugin = join(dir, "plugin.dylib");
    const keep = join(dir, "keep");
    await ok([
      ...EXTLD,
      "-extldflags",
      cross(ld),
      "-tmpdir",
      join(dir, "hosttmp"),
      "-o",
      host,
      cc(HOST_C, "plugin_host"),
    ]);
    await ok([
      ...EXTLD,
      "-buildmode=plugin",
      ...pluginFlags,
      "-extldflags",
      `${cross(ld)} -Wl,-undefined,dynamic_lookup`,
      "-tmpdir",
      keep,
      "-o",
      plugin,
      cc(PLUGIN_C, "plugin"),
    ]);
    return { host, plugin, keep, goo: join(keep, "go.o") };
  }

  it("the seed's plugin scenario passes in external mode (each module sees its own markers)", async () => {
    const { host, plugin, keep, goo } = await hostAndPlugin(LLD);
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
    expect(argv).toContain(`-target ${DARWIN_TRIPLES[arch]}`);
    expect(argv).toContain(goo);
    // go.o: an MH_OBJECT whose markers are 8-byte symbols, start markers at the
    // head of their sections, end markers at the tail, with Go's `_` when dynamically linking.
    expect(readFileSync(goo).readUInt32LE(12)).toBe(1);
    expect(objdump(goo, "--private-header")).toMatch(arch === "arm64" ? /MH_MAGIC_64\s+ARM64/ : /MH_MAGIC_64\s+X86_64/);
    expectMarkersBound(goo);
    expect(objdump(goo, "--private-header")).not.toContain("SUBSECTIONS_VIA_SYMBOLS");
    // The plugin's own markers and data are reached inside the module: never bound by name
    // (a flat lookup would find the host's); the host's callback is a flat-namespace bind.
    expect(headerFlags(plugin).flags).not.toContain("TWOLEVEL");
    const binds = objdump(plugin, "--bind", "--lazy-bind");
    expect(binds).toMatch(/flat-namespace\s+_host_callback/);
    expect(binds).not.toMatch(/runtime\.|_plugin_data|_plugin_func/);
  });

  it("without the seed's rules (-no_plugin_markers) the plugin sees the host's markers, and the check fails", async () => {
    const { host, plugin, goo } = await hostAndPlugin(LLD, ["-no_plugin_markers"]);
    expect(nm(["-u", goo])).toContain("_runtime.text");
    const r = runMachO(host, [plugin]);
    expect(r.stdout).toContain("FAIL plugin text contains its code");
    expect(r.status).toBe(1);
  });

  it("through ld64.tsld as the host linker: the images keep the seed's rules (markers, `_`, flat, bound at load) and run", async () => {
    const { host, plugin } = await hostAndPlugin(await ld64());
    const r = runMachO(host, [plugin]);
    expect(r.stdout).not.toContain("FAIL");
    expect(r.stdout).toContain("OK");
    expect(r.status).toBe(0);
    for (const image of [host, plugin]) {
      const h = headerFlags(image);
      expect(h.filetype).toBe(image === host ? "EXECUTE" : "DYLIB");
      expect(h.flags, image).toEqual(expect.arrayContaining(["DYLDLINK", "BINDATLOAD"]));
      expect(h.flags, image).not.toContain("TWOLEVEL");
      expectMarkersBound(image);
    }
    const binds = objdump(plugin, "--bind", "--lazy-bind");
    expect(binds.split("Lazy bind table:")[1]!.split("\n").slice(2).join("").trim()).toBe("");
    const bindRows = binds.split("\n").filter((l) => /0x[0-9A-Fa-f]+\s+pointer/.test(l));
    expect(bindRows.join("\n")).toContain("_host_callback");
    for (const row of bindRows) expect(row).toContain("flat-namespace");
    expect(binds).not.toMatch(/runtime\./);
    // Every non-local symbol of the plugin has Go's `_` and is N_SECT|N_EXT (or undefined).
    for (const row of nm(["-m", plugin]).split("\n")) {
      if (row.trim() === "" || row.includes("non-external")) continue;
      expect(row).toMatch(/ _\S+$/);
      expect(row).toMatch(/\((__TEXT|__DATA|__DATA_CONST),\S+\) external|\(undefined\) external/);
    }
  });

  it("-hostobj objects go to the host linker as they are; the rest into go.o", async () => {
    const dir = tmp("tsld-hostlink-");
    const main = cc(
      `#include <stdio.h>
extern int cfunc(int);
int main(void) { printf("%d\\n", cfunc(4)); return 0; }`,
      "hostmain",
    );
    const c = cc("int cfunc(int x) { return x * 11; }", "hostobj");
    const out = join(dir, "exe");
    await ok([...EXTLD, "-extldflags", cross(), "-tmpdir", join(dir, "t"), "-hostobj", c, "-o", out, main]);
    expect(runMachO(out).stdout).toBe("44\n");
    const argv = readFileSync(join(dir, "t", "hostlink.argv"), "utf8");
    expect(argv).toContain(` ${join(dir, "t", "go.o")} ${c}`);
    expect(nmSymbols(join(dir, "t", "go.o")).map((s) => s.name)).not.toContain("_cfunc");
  });

  it("a failing host link shows the exact command and the linker's words; a missing one names -extld", async () => {
    const dir = tmp("tsld-hostlink-");
    const main = cc("extern int nowhere(void); int main(void) { return nowhere(); }", "undef");
    const r = await link([...EXTLD, "-extldflags", cross(), "-o", join(dir, "x"), main]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("running clang-19 failed: exit status 1");
    expect(r.stderr).toMatch(/undefined symbol: _?nowhere/);
    expect(r.stderr).toMatch(/command: clang-19 .*-Wl,-headerpad,1144 .*go\.o/);
    expect(existsSync(join(dir, "x"))).toBe(false);
    const m = await link(["-linkmode=external", "-extld", "no-such-cc-tsld", "-o", join(dir, "y"), main]);
    expect(m.status).toBe(1);
    expect(m.stderr).toContain("set the host linker with -extld");
  });

  it("c-archive: go.o in an archive with __.SYMDEF SORTED, linked into a running C host by lld and by tsld", async () => {
    const dir = tmp("tsld-carchive-");
    const golib = cc(
      `int GoAdd(int a, int b) { return a + b; }
const char *GoName(void) { return "from the archive"; }
int unused_by_host(void) { return 9; }`,
      "golib",
    );
    const archive = join(dir, "libgo.a");
    await ok(["-buildmode=c-archive", "-o", archive, golib]);
    const bytes = readFileSync(archive);
    expect(bytes.subarray(0, 8).toString("latin1")).toBe("!<arch>\n");
    expect(bytes.subarray(68, 84).toString("latin1")).toBe("__.SYMDEF SORTED");
    const toc = spawnSync("llvm-nm-19", ["--print-armap", archive], { encoding: "utf8" });
    expect(toc.stderr).toBe("");
    expect(toc.stdout).toMatch(/_GoAdd in go\.o/);
    const host = cc(
      `#include <stdio.h>
extern int GoAdd(int, int);
extern const char *GoName(void);
int main(void) { printf("%d %s\\n", GoAdd(2, 40), GoName()); return 0; }`,
      "chost",
    );
    const viaLld = join(dir, "host.lld");
    linkWithLld([host, archive], viaLld, [], arch);
    const viaTsld = join(dir, "host.tsld");
    await ok(["-o", viaTsld, host, archive]);
    for (const exe of [viaLld, viaTsld]) {
      const r = runMachO(exe);
      expect(r.stdout, exe).toBe("42 from the archive\n");
      expect(r.status).toBe(0);
    }
    // Deterministic: the same inputs give the same bytes.
    const again = join(dir, "libgo2.a");
    await ok(["-buildmode=c-archive", "-o", again, golib]);
    expect(readFileSync(again).equals(bytes)).toBe(true);
  });

  it("Go's buildmode table: exe and pie run, c-shared and plugin load into a running host, c-archive is an archive", async () => {
    const dir = tmp("tsld-hostlink-bm-");
    const prog = cc(
      `#include <stdio.h>
int answer(int x) { return x + 40; }
int main(void) { printf("answer %d\\n", answer(2)); return 0; }`,
      "bmprog",
    );
    const libsrc = cc("int answer(int x) { return x * 21; }", "bmlib");
    const loader = cc(
      `#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
  void *h = dlopen(argv[1], RTLD_NOW);
  if (!h) { printf("dlopen: %s\\n", dlerror()); return 2; }
  int (*f)(int) = (int (*)(int))dlsym(h, "answer");
  if (!f) { printf("dlsym: %s\\n", dlerror()); return 3; }
  printf("answer %d\\n", f(2));
  return 0;
}`,
      "bmloader",
    );
    const host = join(dir, "loader");
    await ok(["-o", host, loader]);
    const extra = ["-extldflags", cross()];
    for (const [mode, input, type] of [
      ["exe", prog, "EXECUTE"],
      ["pie", prog, "EXECUTE"],
      ["c-shared", libsrc, "DYLIB"],
      ["plugin", libsrc, "DYLIB"],
    ] as const) {
      const out = join(dir, mode);
      const keep = join(dir, `${mode}.tmp`);
      await ok([...EXTLD, `-buildmode=${mode}`, ...extra, "-tmpdir", keep, "-o", out, input]);
      const h = headerFlags(out);
      expect(h.filetype, mode).toBe(type);
      if (type === "EXECUTE") expect(h.flags, mode).toContain("PIE");
      const argv = readFileSync(join(keep, "hostlink.argv"), "utf8");
      expect(argv, mode).toContain("-Wl,-headerpad,1144");
      expect(argv.includes("-Wl,-flat_namespace -Wl,-bind_at_load"), mode).toBe(mode === "plugin");
      expect(argv.includes("-dynamiclib"), mode).toBe(type === "DYLIB");
      // go.o: the input's relocations, one for one; as they are unless dynamically linking
      // (a plugin's references to its own symbols are made module-local).
      const rows = relocRows(join(keep, "go.o"));
      if (mode === "plugin") expect(rows.length, mode).toBe(relocRows(input).length);
      else expect(rows, mode).toEqual(relocRows(input));
      const r = type === "EXECUTE" ? runMachO(out) : runMachO(host, [out]);
      expect(r.stdout, mode).toBe("answer 42\n");
      expect(r.status, mode).toBe(0);
    }
    const archive = join(dir, "c-archive.a");
    await ok([...EXTLD, "-buildmode=c-archive", "-o", archive, libsrc]);
    expect(readFileSync(archive).subarray(0, 8).toString("latin1")).toBe("!<arch>\n");
  });
});

// Every arm64 relocation form clang and llvm-mc emit, against the object's own
// symbols (a thread-local variable among them), an undefined marker, and
// symbols of the host.
const OWN_REFS_A64 = `
.text
.globl _own_func
.p2align 2
_own_func:
  adrp x8, _own_data@PAGE+8
  add x8, x8, _own_data@PAGEOFF+8
  ldr x8, [x8]
  adrp x9, _own_data@GOTPAGE
  ldr x9, [x9, _own_data@GOTPAGEOFF]
  adrp x10, "runtime.etext"@GOTPAGE
  ldr x10, [x10, "runtime.etext"@GOTPAGEOFF]
  adrp x11, _host_data@GOTPAGE
  ldr x11, [x11, _host_data@GOTPAGEOFF]
  adrp x12, _own_tlv@TLVPPAGE
  ldr x12, [x12, _own_tlv@TLVPPAGEOFF]
  bl _own_helper
  bl _host_func
  b _own_helper
.globl _own_helper
.p2align 2
_own_helper:
  ret
.data
.globl _own_data
.p2align 3
_own_data:
  .quad 1, 2
  .quad _own_func
  .quad _host_data
  .quad _own_helper - _own_func
.section __DATA,__thread_data,thread_local_regular
.p2align 3
_own_tlv$tlv$init:
  .quad 5
.section __DATA,__thread_vars,thread_local_variables
.globl _own_tlv
_own_tlv:
  .quad __tlv_bootstrap
  .quad 0
  .quad _own_tlv$tlv$init
.subsections_via_symbols
`;

describe("arm64 go.o: references to the object's own symbols stay inside the module", () => {
  it("each names a local ltmp label (type and ADDEND kept); the plugin binds only the host's symbols", async () => {
    const input = assemble(OWN_REFS_A64, { name: "ownrefs", arch: "arm64" });
    const dir = tmp("tsld-a64goo-");
    const plugin = join(dir, "p.dylib");
    const r = await tsld(
      [
        "-arch",
        "arm64",
        "-L",
        libSystemTbdDir("arm64"),
        "-linkmode=external",
        "-extld",
        "clang-19",
        "-buildmode=plugin",
        "-extldflags",
        `-target ${DARWIN_TRIPLES.arm64} -fuse-ld=lld --ld-path=${LLD} -Wl,-undefined,dynamic_lookup`,
        "-tmpdir",
        dir,
        "-o",
        plugin,
        input,
      ],
      { hostLibSystem: false },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    // What the input means, in go.o's terms: its own symbols (and the marker go.o defines) named
    // through their labels, except TLV references and the difference's pair; the host's as they were.
    const own = new Set([...nmSymbols(input).map((s) => s.name), "runtime.etext"]);
    const inputRows = relocRows(input);
    const want = inputRows.map((row, i) => {
      const c = row.split(" ");
      const sym = c[4]!;
      const inPair = c[3] === "ARM64_RELOC_SUBTRACTOR" || inputRows[i - 1]?.split(" ")[3] === "ARM64_RELOC_SUBTRACTOR";
      if (!own.has(sym) || c[3]!.includes("TLVP") || inPair) return row;
      return [...c.slice(0, 4), `ltmp.${sym}`].join(" ");
    });
    const goo = join(dir, "go.o");
    expect(relocRows(goo)).toEqual(want);
    expect(addends(goo)).toEqual(addends(input));
    expect(addends(input)).toEqual(["0x000008", "0x000008"]);
    // The forms the test means to cover are there.
    const types = new Set(inputRows.map((row) => row.split(" ")[3]));
    for (const t of [
      "PAGE21",
      "PAGEOFF12",
      "ADDEND",
      "GOT_LOAD_PAGE21",
      "GOT_LOAD_PAGEOFF12",
      "BRANCH26",
      "UNSIGNED",
      "SUBTRACTOR",
      "TLVP_LOAD_PAGE21",
      "TLVP_LOAD_PAGEOFF12",
    ])
      expect(types, t).toContain(`ARM64_RELOC_${t}`);
    // The labels: local, at their symbols' places; none reaches the image.
    const syms = nmSymbols(goo);
    for (const n of ["_own_func", "_own_data", "_own_helper", "_runtime.etext"])
      expect(syms.find((s) => s.name === `ltmp.${n.replace(/^_runtime/, "runtime")}`)?.addr, n).toBe(
        syms.find((s) => s.name === n)!.addr,
      );
    expect(nm(["-m", plugin])).not.toContain("ltmp.");
    // The image: flat binds for the host's symbols only; the instructions reach the plugin's own.
    const binds = objdump(plugin, "--bind", "--lazy-bind");
    expect(binds).toMatch(/flat-namespace\s+_host_data/);
    expect(binds).toMatch(/flat-namespace\s+_host_func/);
    // (A TLV reference stays by name, as on x86_64: its descriptor is bound.)
    expect(binds).not.toMatch(/_own_(func|data|helper)|runtime\./);
    const reached = reaches(plugin, "_own_func");
    expect(reached).toEqual(expect.arrayContaining(["add _own_data+0x8", "bl _own_helper", "b _own_helper"]));
  });
});
