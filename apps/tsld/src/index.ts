/**
 * The tsld command: parse flags, build the link context, run the pipeline,
 * map errors to exit statuses (1: link errors and a bad environment, 2:
 * usage, 3: internal).
 */
import { LinkContext, LinkError } from "@tsld/core";
import { UsageError, parseArgs, usage } from "./flags.js";
import { link } from "./link.js";

export { link } from "./link.js";
export { parseArgs, usage, UsageError } from "./flags.js";

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
  const ctx = new LinkContext(parsed.options, (w) => io.stderr(`tsld: warning: ${w}\n`));
  try {
    await link(ctx);
    return 0;
  } catch (e) {
    if (e instanceof LinkError) {
      for (const m of e.messages) io.stderr(`tsld: error: ${m}\n`);
      return 1;
    }
    // A bad environment (an output path that is a directory, a full disk, a
    // file that cannot be read): Node's system errors name the call and path.
    const sys = e as NodeJS.ErrnoException;
    if (typeof sys?.code === "string" && typeof sys.syscall === "string") {
      io.stderr(`tsld: error: ${sys.message}\n`);
      return 1;
    }
    io.stderr(`tsld: internal error: ${(e as Error).message}\n`);
    if (process.env.TSLD_DEBUG) io.stderr(`${(e as Error).stack}\n`);
    return 3;
  } finally {
    if (ctx.options.verbose) io.stderr(`${ctx.timer.report()}\n`);
  }
}
