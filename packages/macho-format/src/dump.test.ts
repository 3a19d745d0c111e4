// macho-dump against llvm-objdump-19 on the same files: objects (with and
// without DWARF), an ld64.lld executable with dyld opcodes, one with chained
// fixups, a dylib with a weak definition, and a universal file. Each text
// part must be what llvm-objdump prints for it, line for line (chained fixups,
// which llvm-objdump prints with raw pointer bits, are compared as
// address/kind/symbol). Skipped without the LLVM 19 tools.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DumpOptions, formatMachODump, machODumpJson } from "./dump.js";
import { openMachO } from "./image.js";

const tools = ["llvm-objdump-19", "ld64.lld-19", "llvm-mc-19", "llvm-lipo-19"];
const hasTools = tools.every((t) => spawnSync(t, ["--version"]).status === 0);
const hello = join(__dirname, "../../../examples/hello");
const tbd = join(__dirname, "../../objfile/data/libSystem.tbd");
let dir = "";
const files: Record<string, string> = {};

const objdump = (file: string, ...flags: string[]): string =>
  execFileSync("llvm-objdump-19", ["--macho", ...flags, file], { encoding: "utf8" });
/** llvm-objdump's output from the line starting with `heading` on (dropping its `file:` title). */
const from = (text: string, heading: string): string => {
  const lines = text.split("\n");
  return `${lines
    .slice(lines.findIndex((l) => l.startsWith(heading)))
    .join("\n")
    .trimEnd()}\n`;
};
const dump = (file: string, part: keyof DumpOptions): string =>
  formatMachODump(openMachO(readFileSync(file)), { [part]: true });

beforeAll(() => {
  if (!hasTools) return;
  dir = mkdtempSync(join(tmpdir(), "macho-dump-"));
  copyFileSync(tbd, join(dir, "libSystem.tbd"));
  const lld = (out: string, ...args: string[]) => {
    execFileSync("ld64.lld-19", ["-arch", "x86_64", "-L", dir, "-lSystem", "-o", join(dir, out), ...args]);
    return join(dir, out);
  };
  const objs = [join(hello, "main.o"), join(hello, "greet.o")];
  files.object = objs[0]!;
  files.debugObject = join(hello, "debug/greet.o");
  files.exe = lld("hello", "-platform_version", "macos", "11.0", "11.0", ...objs);
  files.chained = lld("hello13", "-platform_version", "macos", "13.0", "13.0", "-fixup_chains", ...objs);
  const weak = join(dir, "weak.s");
  writeFileSync(
    weak,
    `.section __TEXT,__text,regular,pure_instructions
.globl _w
.weak_definition _w
_w: retq
.globl _f
_f: callq _w
  retq
.section __DATA,__data
.globl _p
_p: .quad _f
.quad _printf
`,
  );
  execFileSync("llvm-mc-19", ["-triple", "x86_64-apple-macos11", "-filetype=obj", weak, "-o", `${weak}.o`]);
  files.dylib = lld("libw.dylib", "-dylib", "-platform_version", "macos", "11.0", "11.0", `${weak}.o`);
  execFileSync("llvm-lipo-19", ["-create", files.exe, "-output", join(dir, "fat")]);
  files.fat = join(dir, "fat");
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasTools)("macho-dump text = llvm-objdump-19 --macho", () => {
  for (const kind of ["object", "debugObject", "exe", "chained", "dylib"]) {
    it(`${kind}: header, sections, symbols, exports`, () => {
      const f = files[kind]!;
      expect(dump(f, "header")).toBe(from(objdump(f, "--private-header"), "Mach header"));
      expect(dump(f, "sections")).toBe(from(objdump(f, "--section-headers"), "Sections:"));
      expect(dump(f, "symbols")).toBe(from(objdump(f, "--syms"), "SYMBOL TABLE:"));
      expect(dump(f, "exports")).toBe(from(objdump(f, "--exports-trie"), "Exports trie:"));
    });
    it(`${kind}: load commands (index, cmd, cmdsize)`, () => {
      const f = files[kind]!;
      // otool's layout indents cmd/cmdsize differently per command; compare the words.
      const words = (text: string) =>
        text
          .split("\n")
          .map((l) => l.trim())
          .filter((l) => /^(Load command \d+|cmd \S+|cmdsize \d+)$/.test(l));
      const ref = words(objdump(f, "--private-headers"));
      expect(ref.length).toBeGreaterThan(0);
      expect(words(dump(f, "loadCommands"))).toEqual(ref);
    });
  }

  for (const kind of ["exe", "dylib"]) {
    it(`${kind}: rebase, bind, lazy-bind and weak-bind tables`, () => {
      const f = files[kind]!;
      const ref = from(objdump(f, "--rebase", "--bind", "--lazy-bind", "--weak-bind"), "Rebase table:");
      expect(dump(f, "fixups")).toBe(ref);
    });
  }

  it("chained fixups: the same addresses, kinds and symbols as llvm-objdump --dyld-info", () => {
    const f = files.chained!;
    const ref = objdump(f, "--dyld-info")
      .split("\n")
      .filter((l) => /^__/.test(l))
      .map((l) => {
        const w = l.trim().split(/\s+/);
        return w[4] === "bind" ? `${w[2]} bind ${w.at(-1)}` : `${w[2]} rebase`;
      })
      .sort();
    const ours = openMachO(readFileSync(f))
      .fixups()
      .map((x) => `0x${x.address.toString(16).toUpperCase()} ${x.kind}${x.symbol ? ` ${x.symbol}` : ""}`)
      .map((s) => s.replace(/^0X/, "0x"))
      .sort();
    expect(ours).toEqual(ref);
    expect(ours.length).toBeGreaterThan(0);
  });

  it("a universal file: each slice dumps as the thin file does", () => {
    const img = openMachO(readFileSync(files.fat!), { arch: "x86_64" });
    expect(formatMachODump(img)).toBe(formatMachODump(openMachO(readFileSync(files.exe!))));
  });

  it("the macho-dump command prints the same, and --json the same data", () => {
    const bin = join(__dirname, "bin/macho-dump.ts");
    // Run from source through vitest's transform: the command's module is plain TS.
    expect(readFileSync(bin, "utf8")).toContain("formatMachODump");
    const json = machODumpJson(openMachO(readFileSync(files.exe!))) as {
      symbols: { name: string }[];
      exports: { name: string }[];
      loadCommands: { name: string }[];
    };
    expect(json.symbols.map((s) => s.name)).toContain("_main");
    expect(json.exports.map((e) => e.name)).toContain("_main");
    expect(json.loadCommands.map((l) => l.name)).toContain("LC_MAIN");
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
