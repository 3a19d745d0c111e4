/**
 * The tsld commands: parse flags (Go style for `tsld`, ld64's for
 * `ld64.tsld`), build the link context, run the pipeline, map errors to exit
 * statuses (`tsld`: 1 link errors, 2 usage, 3 internal; `ld64.tsld`, like
 * ld64: 1 for any error).
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { LinkContext, LinkError, type LinkOptions, osErrorText } from "@tsld/core";
import { UsageError, parseArgs, usage } from "./flags.js";
import { ld64Usage, ld64VersionLine, parseLd64Args } from "./ld64-args.js";
import { link } from "./link.js";

export { link } from "./link.js";
export { parseArgs, usage, UsageError } from "./flags.js";
export type { ParsedArgs } from "./flags.js";
export { LD64_FLAGS, LD64_VERSION, parseLd64Args } from "./ld64-args.js";

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/** Which command line: `tsld` (Go's linker's flags) or `ld64.tsld` (ld64's). */
export type Flavor = "tsld" | "ld64";

const processIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

export async function main(argv: readonly string[], io: Io = processIo, flavor: Flavor = "tsld"): Promise<number> {
  if (flavor === "ld64") return mainLd64(argv, io);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`tsld: ${e.message}\nRun 'tsld --help' for usage.\n`);
      return 2;
    }
    throw e;
  }
  if (parsed.help) {
    io.stdout(usage());
    return 0;
  }
  if (parsed.version) {
    io.stdout(`tsld ${version()} (Mach-O linker for x86_64 and arm64 macOS; node ${process.version})\n`);
    return 0;
  }
  const ctx = new LinkContext(parsed.options, (w) => io.stderr(`tsld: warning: ${w}\n`));
  return runLink(ctx, "tsld", io, 3);
}

/** `ld64.tsld`: ld64's command line, ld64's exit statuses (1 for every failure). */
async function mainLd64(argv: readonly string[], io: Io): Promise<number> {
  const name = "ld64.tsld";
  let parsed: ReturnType<typeof parseLd64Args>;
  try {
    parsed = parseLd64Args(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`${name}: error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const o = parsed.options;
  // ld64 prints its version on stderr.
  if (parsed.version) io.stderr(ld64VersionLine(version()));
  if (parsed.help) io.stdout(ld64Usage());
  if ((parsed.version || parsed.help) && o.inputs.length === 0 && o.libs.length === 0) return 0;
  let warnings = 0;
  const ctx = new LinkContext(
    o,
    (w) => {
      warnings++;
      if (!o.suppressWarnings || o.fatalWarnings) io.stderr(`${name}: warning: ${w}\n`);
    },
    (msg) => io.stdout(`${msg}\n`),
  );
  for (const n of parsed.notes) if (!o.suppressWarnings) io.stderr(`${name}: note: ${n}\n`);
  for (const w of parsed.warnings) ctx.diag.warn(w);
  if (o.whyLive.length > 0 && !o.deadStrip) ctx.diag.warn("-why_live has an effect only with -dead_strip");
  const status = await runLink(ctx, name, io, 1);
  if (status === 0 && o.fatalWarnings && warnings > 0) {
    io.stderr(`${name}: error: -fatal_warnings: ${warnings} warning${warnings > 1 ? "s" : ""} given\n`);
    rmSync(o.output, { force: true });
    return 1;
  }
  return status;
}

async function runLink(ctx: LinkContext, name: string, io: Io, internalStatus: number): Promise<number> {
  try {
    await link(ctx);
    return writeTimeTrace(ctx, name, io);
  } catch (e) {
    if (e instanceof LinkError) {
      for (const m of e.messages) io.stderr(`${name}: error: ${m}\n`);
      return 1;
    }
    const sys = e as NodeJS.ErrnoException;
    if (typeof sys?.code === "string" && typeof sys.syscall === "string") {
      // A file the OS refused that no stage reported itself: still the user's environment, not a bug.
      const what = sys.syscall === "open" || sys.syscall === "read" ? "cannot open" : `cannot ${sys.syscall}`;
      io.stderr(`${name}: error: ${what}${sys.path ? ` ${sys.path}` : ""}: ${osErrorText(sys)}\n`);
      return 1;
    }
    io.stderr(`${name}: internal error: ${(e as Error).message}\n`);
    if (process.env.TSLD_DEBUG) io.stderr(`${(e as Error).stack}\n`);
    return internalStatus;
  } finally {
    if (ctx.options.verbose) io.stderr(`${ctx.timer.report()}\n${ctx.threadInfo}\n`);
  }
}

/**
 * `-time_trace`: the passes' spans as Chrome trace-event JSON, written after
 * a successful link (as lld writes its `--time-trace`). A trace that cannot
 * be written fails the link (exit 1) and removes the output: the user asked
 * for both.
 */
function writeTimeTrace(ctx: LinkContext, name: string, io: Io): number {
  const file = ctx.options.timeTrace;
  if (file === undefined) return 0;
  try {
    writeFileSync(file, `${JSON.stringify(ctx.timer.chromeTrace(name, ctx.options.timeTraceGranularity))}\n`);
    return 0;
  } catch (e) {
    io.stderr(`${name}: error: cannot write the time trace ${file}: ${osErrorText(e)}\n`);
    rmSync(ctx.options.output, { force: true });
    return 1;
  }
}

declare const __TSLD_VERSION__: string | undefined;

/** The @tsld/cli version: fixed at build time in the bundle; read from package.json when run from source. */
export function version(): string {
  if (typeof __TSLD_VERSION__ === "string") return __TSLD_VERSION__;
  try {
    return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string })
      .version;
  } catch {
    return "unknown";
  }
}

export type { LinkOptions };
