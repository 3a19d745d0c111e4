/**
 * Helpers for end-to-end tests: compile C or assembly to Mach-O objects,
 * link them with tsld (in process) and with ld64.lld-19, run both under the
 * macho-exec loader.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AsyncRunner,
  type DebianRun,
  type RunResult,
  assemble,
  compileC,
  executeRunsAsync,
  libSystemTbdDir,
  linkWithLld,
} from "@tsld/fixtures";
import { buildLoader, runMachO } from "@tsld/macho-exec";
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

/** Runs the tsld CLI in process with `args` (libSystem from the host-generated TBD unless told otherwise). */
export async function tsld(args: string[], opts: { hostLibSystem?: boolean } = {}): Promise<TsldResult> {
  let stdout = "";
  let stderr = "";
  const extra = opts.hostLibSystem === false ? [] : ["-L", libSystemTbdDir()];
  // TSLD_FIXUP_CHAINS=1 runs the suite with chained fixups wherever an image can have them.
  if (process.env.TSLD_FIXUP_CHAINS === "1" && !args.some((a) => a === "-no_pie" || a.includes("external")))
    extra.push("-fixup_chains");
  const status = await main([...extra, ...args], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  const oi = args.indexOf("-o");
  return { status, stdout, stderr, output: oi >= 0 ? args[oi + 1]! : "a.out" };
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
  const runner: AsyncRunner = (args, stdin, cwd) =>
    new Promise<RunResult>((resolve, reject) => {
      const child = spawn(buildLoader(), [image, ...args], { cwd, timeout: 120_000 });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (b: Buffer) => out.push(b));
      child.stderr.on("data", (b: Buffer) => err.push(b));
      child.on("error", reject);
      child.on("close", (status) => resolve({ status, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }));
      // A program may exit before it reads all of its input.
      child.stdin.on("error", () => {});
      child.stdin.end(stdin);
    });
  return (await executeRunsAsync(runs, runner))
    .filter((o) => o.failures.length > 0)
    .map((o) => `${o.run.label}: ${o.failures.join("; ")}`);
}

export function bytes(p: string): Buffer {
  if (!existsSync(p)) throw new Error(`${p} does not exist`);
  return readFileSync(p);
}
