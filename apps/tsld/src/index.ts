/**
 * The tsld command: parse flags, build the link context, run the pipeline,
 * map errors to exit statuses (1: link errors, including any input that
 * cannot be read or output that cannot be written; 2: usage; 3: internal).
 */
import { readFileSync } from "node:fs";
import { LinkContext, LinkError, osErrorText } from "@tsld/core";
import { UsageError, parseArgs, usage } from "./flags.js";
import { link } from "./link.js";

export { link } from "./link.js";
export { parseArgs, usage, UsageError } from "./flags.js";
export type { ParsedArgs } from "./flags.js";

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const processIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
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
    io.stdout(`tsld ${version()} (Mach-O linker for x86_64 macOS; node ${process.version})\n`);
    return 0;
  }
  const ctx = new LinkContext(parsed.options, (w) => io.stderr(`tsld: warning: ${w}\n`));
  try {
    await link(ctx);
    return 0;
  } catch (e) {
    if (e instanceof LinkError) {
      for (const m of e.messages) io.stderr(`tsld: error: ${m}\n`);
      return 1;
    }
    const sys = e as NodeJS.ErrnoException;
    if (typeof sys?.code === "string" && typeof sys.syscall === "string") {
      // A file the OS refused that no stage reported itself: still the user's environment, not a bug.
      const what = sys.syscall === "open" || sys.syscall === "read" ? "cannot open" : `cannot ${sys.syscall}`;
      io.stderr(`tsld: error: ${what}${sys.path ? ` ${sys.path}` : ""}: ${osErrorText(sys)}\n`);
      return 1;
    }
    io.stderr(`tsld: internal error: ${(e as Error).message}\n`);
    if (process.env.TSLD_DEBUG) io.stderr(`${(e as Error).stack}\n`);
    return 3;
  } finally {
    if (ctx.options.verbose) io.stderr(`${ctx.timer.report()}\n`);
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
