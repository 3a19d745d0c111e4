/**
 * @tsld/macho-exec — build and run the Linux-hosted Mach-O loader.
 *
 *   buildLoader()            builds tools/macho-exec/build/macho-exec if needed, returns its path
 *   runMachO(image, args)    runs a Mach-O image under the loader
 *   genLibSystemTbd(dir)     writes <dir>/libSystem.tbd (host glibc as libSystem) for ld64.lld
 */
import { execFileSync, spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of tools/macho-exec. */
export const packageRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Exit status used by the loader for a malformed image. */
export const EXIT_MALFORMED = 126;
/** Exit status used by the loader for a missing symbol or dependency. */
export const EXIT_NOT_FOUND = 127;

/** Build the loader (only if its sources are newer than the binary); returns the binary's path. */
export function buildLoader(): string {
  try {
    const out = execFileSync("bash", [join(packageRoot, "build.sh")], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return out.trim().split("\n").pop() ?? join(packageRoot, "build", "macho-exec");
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`building macho-exec failed: ${err.stderr || err.message}`);
  }
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string | Buffer;
  /** milliseconds; default 30000 */
  timeout?: number;
}

export interface RunResult {
  /** exit status, or null if killed by a signal */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run a Mach-O image under the loader: `macho-exec IMAGE ...args`. */
export function runMachO(image: string, args: string[] = [], opts: RunOptions = {}): RunResult {
  const loader = buildLoader();
  const r = spawnSync(loader, [image, ...args], {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    input: opts.input,
    encoding: "utf8",
    timeout: opts.timeout ?? 30000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Write `<dir>/libSystem.tbd` (link with `-L<dir> -lSystem`); returns the file's path. */
export function genLibSystemTbd(dir: string): string {
  const out = join(dir, "libSystem.tbd");
  try {
    execFileSync("bash", [join(packageRoot, "gen-libsystem-tbd.sh"), out], { stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`gen-libsystem-tbd.sh failed: ${err.stderr?.toString() || err.message}`);
  }
  return out;
}
