/**
 * Runs tsld command lines in a child process with a per-case time limit, and
 * checks the bad-input property on each result.
 *
 * One long-lived child (child.ts, TypeScript through tsx) runs the cases one
 * after another, so a case costs a link, not a Node start-up. A case that
 * overruns its limit (a hang) or kills the child (a crash, an out-of-memory)
 * is recorded and the child replaced. The limit is a hang guard, not a speed
 * assertion: generous, and scaled by `TSLD_FUZZ_TIMEOUT_MS`.
 */
import { type ChildProcess, fork } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface CaseResult {
  status: number;
  stdout: string;
  stderr: string;
  /** A stack that escaped main(), or the child's own stderr when it died. */
  thrown?: string;
  hung?: boolean;
  /** The child's peak resident set so far, in KiB (a fresh child per case gives the case's own). */
  maxRssKiB: number;
}

const childPath = fileURLToPath(new URL("./child.ts", import.meta.url));
const cliDir = fileURLToPath(new URL("../..", import.meta.url));

export class CaseRunner {
  private child?: ChildProcess;
  private ready?: Promise<void>;
  private next = 1;
  private childStderr = "";

  private readonly opts: { timeoutMs?: number; maxOldSpaceMb?: number };
  constructor(opts: { timeoutMs?: number; maxOldSpaceMb?: number } = {}) {
    this.opts = opts;
  }

  private start(): Promise<void> {
    this.childStderr = "";
    const child = fork(childPath, [], {
      cwd: cliDir,
      execArgv: [
        "--conditions=@tsld/source",
        "--import",
        "tsx",
        `--max-old-space-size=${this.opts.maxOldSpaceMb ?? 2048}`,
      ],
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      env: { ...process.env, TSLD_DEBUG: "" },
    });
    child.stderr!.on("data", (d: Buffer) => {
      if (this.childStderr.length < 1 << 16) this.childStderr += d.toString();
    });
    this.child = child;
    this.ready = new Promise((resolve, reject) => {
      const onMsg = (m: { ready?: boolean }) => {
        if (m.ready) {
          child.off("message", onMsg);
          resolve();
        }
      };
      child.on("message", onMsg);
      child.once("exit", (code) =>
        reject(new Error(`fuzz child exited (${code}) before starting:\n${this.childStderr}`)),
      );
    });
    return this.ready;
  }

  /** Runs `argv` as `tsld argv…` in `cwd`; never rejects for what the case does. */
  async run(argv: string[], cwd: string, timeoutMs = this.opts.timeoutMs ?? 20_000): Promise<CaseResult> {
    if (!this.child) await this.start();
    else await this.ready;
    const child = this.child!;
    const id = this.next++;
    const limit = timeoutMs * Number(process.env.TSLD_FUZZ_TIMEOUT_SCALE ?? 1);
    return new Promise<CaseResult>((resolve) => {
      let done = false;
      const finish = (r: CaseResult, kill: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        child.off("message", onMsg);
        child.off("exit", onExit);
        if (kill) {
          child.kill("SIGKILL");
          this.child = undefined;
        }
        resolve(r);
      };
      const onMsg = (m: CaseResult & { id: number }) => {
        if (m.id === id) finish(m, false);
      };
      const onExit = (code: number | null, signal: string | null) =>
        finish(
          {
            status: -1,
            stdout: "",
            stderr: "",
            thrown: `child died (${code ?? signal}):\n${this.childStderr}`,
            maxRssKiB: 0,
          },
          true,
        );
      const timer = setTimeout(
        () => finish({ status: -1, stdout: "", stderr: "", hung: true, maxRssKiB: 0 }, true),
        limit,
      );
      child.on("message", onMsg);
      child.on("exit", onExit);
      child.send({ id, argv, cwd });
    });
  }

  close(): void {
    this.child?.kill("SIGKILL");
    this.child = undefined;
  }
}

/**
 * The bad-input property, for one case whose output goes into the otherwise
 * empty directory `outDir`: exit 0, or exit 1 with `tsld: error:` lines, the
 * first naming one of `blame` (input files, by base name) and saying what is
 * wrong; never an internal error, a hang, a stack trace, or a file left in
 * `outDir` after a failure. Usage errors (exit 2) are allowed only when
 * `usageOk`. Returns what was violated, or undefined.
 */
export function violation(
  r: CaseResult,
  outDir: string,
  blame: readonly string[],
  opts: { usageOk?: boolean } = {},
): string | undefined {
  if (r.hung) return "hang (over the time limit)";
  if (r.thrown) return `crash: ${r.thrown.split("\n").slice(0, 6).join(" | ")}`;
  if (/internal error/.test(r.stderr)) return `internal error: ${r.stderr.trim()}`;
  if (/^\s+at .+:\d+:\d+\)?$/m.test(r.stderr)) return `stack trace in stderr: ${r.stderr.slice(0, 400)}`;
  const left = existsSync(outDir) ? readdirSync(outDir) : [];
  if (r.status === 0) {
    // Outputs and maps are whatever the command line named; temporaries are dot files.
    for (const f of left) if (f.startsWith(".")) return `stray file ${f} left beside the output`;
    return undefined;
  }
  if (left.length > 0) return `exit ${r.status} but left ${left.join(", ")} behind`;
  if (r.status === 2 && opts.usageOk) {
    if (!/^tsld: .+/.test(r.stderr)) return `usage error without a message: ${JSON.stringify(r.stderr)}`;
    return undefined;
  }
  if (r.status !== 1) return `exit status ${r.status}: ${r.stderr.trim()}`;
  const errs = r.stderr.split("\n").filter((l) => l.startsWith("tsld: error: "));
  if (errs.length === 0) return `exit 1 without an error message: ${JSON.stringify(r.stderr)}`;
  // Undefined symbols are named with their referencing files (if any): a
  // damaged definition shows up there, as in ld64 and lld.
  const undefinedOnly = errs.every((l) => l.startsWith("tsld: error: undefined symbol: "));
  if (blame.length > 0 && !undefinedOnly && !blame.some((b) => r.stderr.includes(basename(b))))
    return `error names none of ${blame.map((b) => basename(b)).join(", ")}: ${errs[0]}`;
  if (errs.some((l) => l.replace(/^tsld: error: /, "").trim().length < 8)) return `terse error: ${errs[0]}`;
  return undefined;
}

/** Empties `dir` (the per-case output directory) for the next case. */
export function clearDir(dir: string): void {
  for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true, force: true });
}
