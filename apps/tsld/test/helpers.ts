/**
 * Helpers for end-to-end tests: compile C or assembly to Mach-O objects,
 * link them with tsld (in process) and with ld64.lld-19, run both under the
 * macho-exec loader. Everything builds for the suite's arch (`ARCH`, from
 * `TSLD_TEST_ARCH`, default x86_64): objects, the libSystem TBD tsld and
 * lld link against, and the loader that runs the image (picked by its CPU
 * type). Every image tsld writes is held to the same checks on either
 * arch (`checkImage`).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyCodeSignature } from "@tsld/codesign-verify";
import {
  type Arch,
  type DebianRun,
  assemble,
  asyncLoaderRunner,
  compileC,
  executeRunsAsync,
  libSystemTbdDir,
  linkWithLld,
  requireTool,
  suiteArch,
} from "@tsld/fixtures";
import {
  LC_CODE_SIGNATURE,
  LC_DYLD_CHAINED_FIXUPS,
  LC_DYLD_INFO,
  LC_DYLD_INFO_ONLY,
  LC_SEGMENT_64,
  MH_MAGIC_64,
  MH_OBJECT,
  forEachLoadCommand,
  readMachHeader,
} from "@tsld/macho-format";
import { runMachO } from "@tsld/macho-exec";
import { describe, it } from "vitest";
import { main } from "../src/index.js";

export { assemble, compileC, runMachO };

/** The arch the suite runs for (`TSLD_TEST_ARCH`, default x86_64): the default of every builder and link helper. */
export const ARCH: Arch = suiteArch();

/** `table`'s entry for the suite's arch: an arch-independent test's per-arch sources (assembly twins) or expectations. */
export function byArch<T>(table: Readonly<Record<Arch, T>>): T {
  return table[ARCH];
}

/**
 * `it` for a property of x86_64 alone (x86 relocation kinds, x86
 * instructions in a disassembly): skipped when the suite runs for another
 * arch. The reason says why the property is x86-specific (for the reader).
 */
export const itX86_64 = (_reason: string) => it.skipIf(ARCH !== "x86_64");

/** `describe` for x86_64-only properties, as `itX86_64`. */
export const describeX86_64 = (_reason: string) => describe.skipIf(ARCH !== "x86_64");

export function tmp(prefix = "tsld-e2e-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TsldResult {
  status: number;
  stderr: string;
  stdout: string;
  output: string;
}

/**
 * Runs the tsld CLI in process with `args` (libSystem from the host-generated TBD unless told otherwise).
 * `suiteFlags: false` links exactly as asked, ignoring TSLD_FIXUP_CHAINS / TSLD_ADHOC_CODESIGN (tests of defaults).
 */
export async function tsld(
  args: string[],
  opts: { hostLibSystem?: boolean; suiteFlags?: boolean } = {},
): Promise<TsldResult> {
  let stdout = "";
  let stderr = "";
  const extra = opts.hostLibSystem === false ? [] : ["-L", libSystemTbdDir()];
  // TSLD_FIXUP_CHAINS=1 runs the suite with chained fixups wherever an image can have them
  // (a test that pins an encoding with -no_fixup_chains or -fixup_chains keeps it).
  const suite = opts.suiteFlags !== false;
  const pinned = (re: RegExp) => args.some((a) => re.test(a) || a === "-r");
  if (
    suite &&
    process.env.TSLD_FIXUP_CHAINS === "1" &&
    !pinned(/^--?(no_)?fixup_chains|^-no_pie$/) &&
    !args.some((a) => a.includes("external"))
  )
    extra.push("-fixup_chains");
  // TSLD_ADHOC_CODESIGN=1 signs every image (a test that pins -no_adhoc_codesign keeps it unsigned).
  if (suite && process.env.TSLD_ADHOC_CODESIGN === "1" && !pinned(/^--?(no_)?adhoc_codesign/))
    extra.push("-adhoc_codesign");
  const status = await main([...extra, ...args], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  const oi = args.indexOf("-o");
  const output = oi >= 0 ? args[oi + 1]! : "a.out";
  if (status === 0) await checkImage(output);
  return { status, stdout, stderr, output };
}

/**
 * What every image tsld writes must satisfy, whatever the arch and the test:
 * llvm-objdump-19 reads its headers, fixups (opcode streams or chains),
 * export trie and unwind info without a warning; a signed image passes the
 * signature verifier (`checkSignature`); an image with `__DWARF` passes
 * `llvm-dwarfdump-19 --verify` (but Go's, whose DWARF does not verify even
 * in Go's own objects). Objects (`-r`) and non-Mach-O outputs (a
 * c-archive) are left to their tests. Throws naming the image and the tool.
 */
export async function checkImage(image: string): Promise<void> {
  if (!existsSync(image)) return;
  const file = readFileSync(image);
  if (file.length < 32 || file.readUInt32LE(0) !== MH_MAGIC_64) return;
  const hdr = readMachHeader(file);
  if (hdr.filetype === MH_OBJECT) return;
  let signed = false;
  let chained = false;
  let opcodes = false;
  let dwarf = false;
  let go = false;
  const name16 = (at: number): string => file.toString("latin1", at, at + 16).replace(/\0+$/, "");
  forEachLoadCommand(file, hdr, (cmd, off) => {
    if (cmd === LC_CODE_SIGNATURE) signed = true;
    else if (cmd === LC_DYLD_CHAINED_FIXUPS) chained = true;
    else if (cmd === LC_DYLD_INFO || cmd === LC_DYLD_INFO_ONLY) opcodes = true;
    else if (cmd === LC_SEGMENT_64) {
      if (name16(off + 8) === "__DWARF") dwarf = true;
      // section_64 headers (80 bytes each) follow the 72-byte segment_command_64.
      for (let i = 0, n = file.readUInt32LE(off + 64); i < n; i++)
        if (name16(off + 72 + i * 80) === "__go_buildinfo") go = true;
    }
  });
  const fixups = chained ? ["--dyld-info"] : opcodes ? ["--rebase", "--bind", "--lazy-bind", "--weak-bind"] : [];
  // The tools run as child processes awaited in turn: the worker's event loop stays free meanwhile.
  const tool = (name: string, args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      const child = spawn(requireTool(name), args, { stdio: ["ignore", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (d: Buffer) => out.push(d));
      child.stderr.on("data", (d: Buffer) => err.push(d));
      child.on("error", reject);
      child.on("close", (status) => {
        const stdout = Buffer.concat(out).toString("utf8");
        const stderr = Buffer.concat(err).toString("utf8");
        if (status === 0 && stderr === "") return resolve(stdout);
        const said = (stderr || stdout).split("\n").filter((l) => /error|warning/i.test(l));
        reject(
          new Error(
            `${image}: ${name} ${args.slice(0, -1).join(" ")} (exit ${status}):\n${said.slice(0, 20).join("\n")}`,
          ),
        );
      });
    });
  await tool("llvm-objdump-19", ["--macho", "--all-headers", "--exports-trie", "--unwind-info", ...fixups, image]);
  if (signed) checkSignature(image, file);
  // Go's compiler writes DWARF that llvm-dwarfdump does not verify (DIEs with overlapping
  // address ranges, in Go's own go.o already); Go images are held to Go's moduledata checker.
  if (dwarf && !go && !(await tool("llvm-dwarfdump-19", ["--verify", image])).includes("No errors."))
    throw new Error(`${image}: llvm-dwarfdump-19 --verify found errors`);
}

/**
 * ld64.lld-19 flags that match the encoding the suite runs tsld with
 * (`TSLD_FIXUP_CHAINS=1`), for tests that compare fixups with lld's link.
 */
export function suiteLldFlags(): string[] {
  return process.env.TSLD_FIXUP_CHAINS === "1" ? ["-fixup_chains"] : [];
}

/**
 * Every signed image a test links is held to the independent verifier
 * (`tools/codesign-verify`), as a macOS kernel holds it: a bad signature
 * fails the link's test, whatever the test asserts next.
 */
export function checkSignature(image: string, bytes?: Buffer): void {
  if (bytes === undefined && !existsSync(image)) return;
  const file = bytes ?? readFileSync(image);
  if (!hasCodeSignature(file)) return;
  const report = verifyCodeSignature(file);
  if (report.errors.length > 0)
    throw new Error(`${image}: code signature does not verify:\n${report.errors.join("\n")}`);
}

/** Whether a thin 64-bit Mach-O image carries LC_CODE_SIGNATURE. */
function hasCodeSignature(file: Buffer): boolean {
  if (file.length < 32 || file.readUInt32LE(0) !== MH_MAGIC_64) return false;
  let found = false;
  forEachLoadCommand(file, readMachHeader(file), (cmd) => {
    if (cmd === LC_CODE_SIGNATURE) found = true;
  });
  return found;
}

/** Runs `ld64.tsld` (ld64's command line) in process with `args`, exactly as given; its image is held to `checkImage`. */
export async function ld64(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const status = await main(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) }, "ld64");
  const oi = args.indexOf("-o");
  if (status === 0) await checkImage(oi >= 0 ? args[oi + 1]! : "a.out");
  return { status, stdout, stderr };
}

/** Links `objects` with tsld and with ld64.lld-19 into `dir`; returns both output paths. */
export async function linkBoth(
  dir: string,
  name: string,
  objects: string[],
  tsldFlags: string[] = [],
  lldFlags: string[] = [],
) {
  const ours = join(dir, `${name}.tsld`);
  const theirs = join(dir, `${name}.lld`);
  const r = await tsld(["-o", ours, ...tsldFlags, ...objects]);
  if (r.status !== 0) throw new Error(`tsld failed (${r.status}):\n${r.stderr}`);
  linkWithLld(objects, theirs, lldFlags);
  return { ours, theirs };
}

/**
 * The failed runs of `image` under the loader against a Debian package's own
 * checks (empty when all pass). Each run is a child process awaited in turn:
 * the worker's event loop stays free through minutes of checks.
 */
export async function debianRunFailures(image: string, runs: DebianRun[]): Promise<string[]> {
  const runner = asyncLoaderRunner(image, 120_000);
  return (await executeRunsAsync(runs, runner))
    .filter((o) => o.failures.length > 0)
    .map((o) => `${o.run.label}: ${o.failures.join("; ")}`);
}

export function bytes(p: string): Buffer {
  if (!existsSync(p)) throw new Error(`${p} does not exist`);
  return readFileSync(p);
}
