/**
 * Lit-style helpers for arm64 links: assembly in (`llvm-mc -triple
 * arm64-apple-macos11`), linked by tsld and by `ld64.lld-19 -arch arm64`
 * against the same small arm64 libSystem TBD, and a reader that turns
 * disassembly into what each instruction reaches (`adrp`+`add`/load/store
 * pairs, branches, GOT loads) in terms of symbols, so two links with
 * different layouts can be compared operand by operand.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { requireTool } from "@tsld/fixtures";
import { expect } from "vitest";
import { assemble, tmp, tsld } from "./helpers.js";
import { dump } from "./lit.js";

export const ARM64_TRIPLE = "arm64-apple-macos11";

/** A directory with a `libSystem.tbd` for arm64 macOS exporting `names` (plus dyld_stub_binder and __tlv_bootstrap). */
export function arm64LibDir(names: string[] = ["_puts", "_printf", "_exit", "_malloc", "_free", "_strlen"]): string {
  const dir = tmp("tsld-a64lib-");
  const all = [...new Set([...names, "dyld_stub_binder", "__tlv_bootstrap"])].sort();
  writeFileSync(
    join(dir, "libSystem.tbd"),
    `--- !tapi-tbd
tbd-version:     4
targets:         [ arm64-macos ]
install-name:    '/usr/lib/libSystem.B.dylib'
current-version: 1311
exports:
  - targets:         [ arm64-macos ]
    symbols:         [ ${all.join(", ")} ]
...
`,
  );
  return dir;
}

/** Assembles arm64 sources (name → text). */
export function assembleArm64(sources: Record<string, string>): string[] {
  return Object.entries(sources).map(([n, s]) => assemble(s, { name: `a64_${n}`, triple: ARM64_TRIPLE }));
}

/**
 * Links `objects` with tsld and ld64.lld-19 (`-arch arm64`, macOS 11 unless
 * `flags` say otherwise, LOH ignored so lld keeps each instruction) into a
 * fresh directory; `lldFlags` replace `flags` for lld where the spellings
 * differ (`-buildmode=c-shared` is lld's `-dylib`). Returns both outputs.
 */
export async function linkArm64Both(
  name: string,
  objects: string[],
  flags: string[] = [],
  lib = arm64LibDir(),
  lldFlags: string[] = flags,
): Promise<{ ours: string; theirs: string }> {
  const dir = tmp("tsld-a64-");
  mkdirSync(dir, { recursive: true });
  const ours = join(dir, `${name}.tsld`);
  const theirs = join(dir, `${name}.lld`);
  const pv = flags.includes("-platform_version") ? [] : ["-platform_version", "macos", "11.0", "11.0"];
  // Both linkers get exactly these flags (not the suite's encoding flags): the comparison is the test.
  const r = await tsld(["-arch", "arm64", ...pv, "-o", ours, "-L", lib, ...flags, ...objects], {
    hostLibSystem: false,
    suiteFlags: false,
  });
  if (r.status !== 0) throw new Error(`tsld failed (${r.status}):\n${r.stderr}`);
  expect(r.stderr).toBe("");
  const lld = spawnSync(
    requireTool("ld64.lld-19"),
    [
      "-arch",
      "arm64",
      ...pv,
      "-o",
      theirs,
      ...objects,
      ...lldFlags,
      "-L",
      lib,
      "-lSystem",
      "-ignore_optimization_hints",
    ],
    { encoding: "utf8" },
  );
  if (lld.status !== 0) throw new Error(`ld64.lld-19 failed:\n${lld.stderr}`);
  return { ours, theirs };
}

/** Symbol addresses from llvm-nm (defined symbols only), ascending. */
export function symbols(path: string): { addr: number; name: string }[] {
  return dump("llvm-nm-19", ["-n", "--defined-only", path])
    .split("\n")
    .map((l) => /^([0-9a-f]+) \S (\S+)$/.exec(l))
    .filter((m) => m !== null)
    .map((m) => ({ addr: Number.parseInt(m[1]!, 16), name: m[2]! }));
}

/** `addr` as `sym` or `sym+0xN` (the nearest symbol at or below it, `__mh_execute_header` last). */
export function symbolize(syms: { addr: number; name: string }[], addr: number): string {
  let best: { addr: number; name: string } | undefined;
  for (const s of syms) {
    if (s.addr > addr) break;
    if (!best || s.addr > best.addr || (s.addr === best.addr && best.name === "__mh_execute_header")) best = s;
  }
  if (!best) return `0x${addr.toString(16)}`;
  return addr === best.addr ? best.name : `${best.name}+0x${(addr - best.addr).toString(16)}`;
}

/**
 * What each instruction of function `fn` reaches, in order: `page(x) +
 * off` pairs become `add S` / `ldr S` / … (the symbolized address), GOT
 * loads `got S`, branches `bl S` / `b S` (stubs as `stub S`).
 */
export function reaches(path: string, fn: string): string[] {
  const syms = symbols(path);
  const text = dump("llvm-objdump-19", ["--macho", "-d", "--no-show-raw-insn", path]);
  const out: string[] = [];
  const pages = new Map<string, number>();
  let inFn = false;
  for (const line of text.split("\n")) {
    if (/^\S+:$/.test(line)) {
      inFn = line === `${fn}:`;
      continue;
    }
    if (!inFn) continue;
    const m = /^\s*[0-9a-f]+:\s+(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, op, rest] = m as unknown as [string, string, string];
    const adrp = /^(x\d+), -?\d+ ; 0x([0-9a-f]+)/.exec(rest);
    if (op === "adrp" && adrp) {
      pages.set(adrp[1]!, Number.parseInt(adrp[2]!, 16));
      continue;
    }
    // The register an instruction writes (loads and arithmetic), which no longer holds a page.
    const dest = /^[xw](\d+),/.exec(rest);
    const kill = (): void => {
      if (dest && !op.startsWith("st")) pages.delete(`x${dest[1]}`);
    };
    const got = /literal pool symbol address: (\S+)/.exec(rest);
    if (got) {
      out.push(`${op} got ${got[1]}`);
      kill();
      continue;
    }
    const add = /^\w+, (x\d+), #0x([0-9a-f]+)/.exec(rest);
    const mem = /\[(x\d+)(?:, #0x([0-9a-f]+))?\]/.exec(rest);
    const base = op === "add" ? add : mem;
    if (base && pages.has(base[1]!)) {
      const addr = pages.get(base[1]!)! + Number.parseInt(base[2] ?? "0", 16);
      out.push(`${op} ${symbolize(syms, addr)}`);
      kill();
      // add xD, xN, #off leaves an address in xD, which later loads use
      if (op === "add" && dest) pages.set(`x${dest[1]}`, addr);
      continue;
    }
    kill();
    const stub = /symbol stub for: (\S+)/.exec(rest);
    if ((op === "bl" || op === "b") && stub) out.push(`${op} stub ${stub[1]}`);
    else if (op === "bl" || op === "b") {
      const t = /^(?:0x([0-9a-f]+)|(\S+))/.exec(rest)!;
      out.push(`${op} ${t[1] ? symbolize(syms, Number.parseInt(t[1], 16)) : t[2]}`);
    }
    // calls clobber the argument and temporary registers
    if (op === "bl" || op === "blr") pages.clear();
  }
  return out;
}

/** The bytes of section `seg,sect` (llvm-objdump --macho -s prints them as little-endian 32-bit words). */
export function sectionBytes(path: string, seg: string, sect: string): { addr: number; bytes: Buffer } {
  const text = dump("llvm-objdump-19", ["--macho", "-s", `--section=${seg},${sect}`, path]);
  let addr = -1;
  const parts: number[] = [];
  for (const line of text.split("\n")) {
    const m = /^([0-9a-f]{8,16})\s+((?:[0-9a-f]{8} ?)+)/.exec(line);
    if (!m) continue;
    if (addr < 0) addr = Number.parseInt(m[1]!, 16);
    for (const w of m[2]!.trim().split(/\s+/)) {
      const v = Number.parseInt(w, 16);
      parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
    }
  }
  return { addr, bytes: Buffer.from(parts) };
}

/**
 * C for arm64 Mach-O in two steps (no macOS SDK): preprocess with glibc's
 * aarch64 headers, then compile the .i for arm64-apple-macos11 (`-O1`
 * unless `flags` say otherwise). Returns the object's path.
 */
export function compileArm64C(source: string, name: string, flags: string[] = ["-O1"]): string {
  const dir = tmp("tsld-a64cc-");
  const c = join(dir, `${name}.c`);
  const i = join(dir, `${name}.i`);
  const o = join(dir, `${name}.o`);
  writeFileSync(c, source);
  for (const args of [
    ["-E", "-target", "aarch64-linux-gnu", "--sysroot=/usr/aarch64-linux-gnu", c, "-o", i],
    ["-target", "arm64-apple-macos11", ...flags, "-c", i, "-o", o],
  ]) {
    const r = spawnSync(requireTool("clang-19"), args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`clang-19 ${args.join(" ")} failed:\n${r.stderr}`);
  }
  return o;
}
