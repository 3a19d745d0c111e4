/**
 * Lit-style pass tests, as lld's test/MachO: assembly in (llvm-mc), a tsld
 * link, an llvm-objdump-19 dump out, checked with `filecheck` (address
 * captures rather than fixed addresses). The tests check what a pass does to
 * the output, never how tsld does it.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { requireTool } from "@tsld/fixtures";
import { expect } from "vitest";
import { assemble, tmp, tsld } from "./helpers.js";

export { filecheck } from "./filecheck.js";

/** Assembles `sources` (name → text) and links them with tsld into a fresh directory; returns the output. */
export async function linkAsm(name: string, sources: Record<string, string>, flags: string[] = []): Promise<string> {
  const objs = Object.entries(sources).map(([n, s]) => assemble(s, { name: `lit_${n}` }));
  const out = join(tmp("tsld-lit-"), name);
  const r = await tsld(["-o", out, ...flags, ...objs]);
  if (r.status !== 0) throw new Error(`tsld failed (${r.status}):\n${r.stderr}`);
  expect(r.stderr).toBe("");
  return out;
}

/** Runs an LLVM tool; it must succeed without a warning. */
export function dump(tool: string, args: string[]): string {
  const r = spawnSync(requireTool(tool), args, { encoding: "utf8", maxBuffer: 64 << 20 });
  expect(r.stderr, `${tool} ${args.join(" ")}`).toBe("");
  expect(r.status).toBe(0);
  return r.stdout;
}

/** `n` bytes at VM address `addr` of an executable's `__TEXT` (mapped from file offset 0 at 0x100000000). */
export function textBytes(path: string, addr: number, n: number): Buffer {
  const off = addr - 0x100000000;
  return readFileSync(path).subarray(off, off + n);
}

/** Output sections as llvm-objdump --section-headers lists them: name, size, address, in file order. */
export function sections(path: string): { name: string; size: number; addr: number }[] {
  return dump("llvm-objdump-19", ["--macho", "--section-headers", path])
    .split("\n")
    .map((l) => /^\s*\d+ (\S+)\s+([0-9a-f]+) ([0-9a-f]+)/.exec(l))
    .filter((m) => m !== null)
    .map((m) => ({ name: m[1]!, size: Number.parseInt(m[2]!, 16), addr: Number.parseInt(m[3]!, 16) }));
}

export const hex = (s: string): number => Number.parseInt(s, 16);
