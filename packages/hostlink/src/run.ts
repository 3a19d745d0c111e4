/*
 * Run the host linker and report what it said.
 *
 * This is the execution half of `hostlink()` in Go's
 * `cmd/link/internal/ld/lib.go`: spawn argv[0] with the rest as arguments (no
 * shell, so paths with spaces need no quoting), collect its output, drop the
 * warnings Go swallows because they are toolchain noise rather than problems
 * in the link, and turn a failure into one message shaped like Go's:
 *
 *   running clang failed: exit status 1
 *   <filtered output>
 *
 * Swallowed lines (Go's list, plus ld64.lld's wording for the same flags):
 *   - `ld: warning: text-based stub file …` (Xcode bug, Go issue 26073)
 *   - `-no_pie is deprecated` (ld-prime, Go issue 54482)
 *   - `-bind_at_load is deprecated` (ld-prime, Go issues 61229/63154)
 *   - `ld64.lld: warning: Option \`-bind_at_load' is … not yet implemented`
 *     and the same for `-no_pie`: lld accepts the flags tsld passes but says
 *     so on every link.
 * Everything else is kept: Go prints the host linker's output even on success
 * so real warnings are not lost (Go issue 17935).
 */
import { spawnSync } from "node:child_process";

export interface RunHostLinkerOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface HostLinkerResult {
  ok: boolean;
  /** Exit status, or null when killed by a signal or never started. */
  status: number | null;
  /** Filtered standard output. */
  stdout: string;
  /** Filtered standard error. */
  stderr: string;
  /** The command line, shell-quoted, for logs (`-v`) and messages. */
  command: string;
  /** When `ok` is false: one message saying what failed, with the output. */
  message?: string;
}

const SWALLOWED: readonly RegExp[] = [
  /ld: warning: text-based stub file/,
  /warning: -no_pie is deprecated/,
  /warning: -bind_at_load is deprecated/,
  /ld64\.lld(-\d+)?: warning: Option `-(bind_at_load|no_pie)' is .*not yet implemented/,
];

/** Drop the lines Go swallows from host linker output; keep the rest as is. */
export function filterLinkerOutput(out: string): string {
  if (out === "") return out;
  const lines = out.split(/(?<=\n)/);
  return lines.filter((line) => !SWALLOWED.some((re) => re.test(line))).join("");
}

function shellQuote(arg: string): string {
  if (arg !== "" && /^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Quote argv for display as one shell command line. */
export function formatCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}

function joinOutput(stdout: string, stderr: string): string {
  const parts = [stdout, stderr].filter((s) => s !== "");
  return parts.map((s) => (s.endsWith("\n") ? s : `${s}\n`)).join("");
}

/**
 * Spawn the host linker synchronously. Never throws for a failed or missing
 * linker: the result says what happened.
 */
export function runHostLinker(argv: readonly string[], opts: RunHostLinkerOptions = {}): HostLinkerResult {
  const command = formatCommand(argv);
  const [file, ...args] = argv;
  if (file === undefined || file === "") {
    return {
      ok: false,
      status: null,
      stdout: "",
      stderr: "",
      command,
      message: "running host linker failed: empty command; set the host linker with -extld",
    };
  }
  const r = spawnSync(file, args, {
    cwd: opts.cwd,
    env: opts.env,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    shell: false,
  });
  const stdout = filterLinkerOutput(r.stdout ?? "");
  const stderr = filterLinkerOutput(r.stderr ?? "");

  if (r.error !== undefined) {
    const code = (r.error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? `exec: ${JSON.stringify(file)}: executable file not found in $PATH (set the host linker with -extld)`
        : code === "EACCES"
          ? `exec: ${JSON.stringify(file)}: permission denied (set the host linker with -extld)`
          : r.error.message;
    return { ok: false, status: null, stdout, stderr, command, message: `running ${file} failed: ${why}` };
  }
  if (r.status === 0) {
    return { ok: true, status: 0, stdout, stderr, command };
  }
  const how = r.status !== null ? `exit status ${r.status}` : `signal: ${r.signal ?? "unknown"}`;
  const output = joinOutput(stdout, stderr);
  const message = `running ${file} failed: ${how}${output === "" ? "" : `\n${output.trimEnd()}`}`;
  return { ok: false, status: r.status, stdout, stderr, command, message };
}
