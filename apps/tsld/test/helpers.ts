/**
 * Helpers for end-to-end tests: compile C or assembly to Mach-O objects,
 * link them with tsld (in process) and with ld64.lld-19, run both under the
 * macho-exec loader.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyCodeSignature } from "@tsld/codesign-verify";
import {
  type DebianRun,
  assemble,
  asyncLoaderRunner,
  compileC,
  executeRunsAsync,
  libSystemTbdDir,
  linkWithLld,
} from "@tsld/fixtures";
import { LC_CODE_SIGNATURE, MH_MAGIC_64, forEachLoadCommand, readMachHeader } from "@tsld/macho-format";
import { runMachO } from "@tsld/macho-exec";
import { main } from "../src/index.js";

export { assemble, compileC, runMachO };

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
  if (status === 0) checkSignature(output);
  return { status, stdout, stderr, output };
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
export function checkSignature(image: string): void {
  if (!existsSync(image)) return;
  const file = readFileSync(image);
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

/** Runs `ld64.tsld` (ld64's command line) in process with `args`, exactly as given. */
export async function ld64(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const status = await main(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) }, "ld64");
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
