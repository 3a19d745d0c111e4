/**
 * @tsld/macho-exec — build and run the Linux-hosted Mach-O loader.
 *
 *   buildLoader(arch?)       builds the loader for `arch` if needed, returns a command that runs images:
 *                            x86_64 (default) tools/macho-exec/build/macho-exec; arm64 build/macho-exec-arm64
 *                            (the aarch64 loader under qemu-aarch64); "any" build/macho-run (picks by CPU type)
 *   imageArch(image)         the CPU type of a Mach-O file (its header; a universal file's x86_64 slice first)
 *   loaderFor(image)         buildLoader(imageArch(image))
 *   runMachO(image, args)    runs a Mach-O image under the loader for its CPU type
 *   genLibSystemTbd(dir)     writes <dir>/libSystem.tbd (glibc as libSystem) for ld64.lld, per arch
 */
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, openSync, readSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of tools/macho-exec. */
export const packageRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Exit status used by the loader for a malformed image. */
export const EXIT_MALFORMED = 126;
/** Exit status used by the loader for a missing symbol or dependency. */
export const EXIT_NOT_FOUND = 127;

/** The Mach-O CPU types the loader runs. */
export type MachOArch = "x86_64" | "arm64";
/** Every arch, in the order tests run them. */
export const MACHO_ARCHES: readonly MachOArch[] = ["x86_64", "arm64"];

const CPU_TYPE_X86_64 = 0x01000007;
const CPU_TYPE_ARM64 = 0x0100000c;

/**
 * Build the loader for `arch` (only if its sources are newer than the binary) and return the path
 * of a command taking `IMAGE [args...]`: x86_64 (the default) the native loader, arm64 a script
 * running the aarch64 loader under qemu-aarch64, "any" a script that picks one by the image's CPU type.
 */
export function buildLoader(arch: MachOArch | "any" = "x86_64"): string {
  try {
    const out = execFileSync("bash", [join(packageRoot, "build.sh"), "--arch", arch], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const fallback = join(packageRoot, "build", arch === "x86_64" ? "macho-exec" : `macho-exec-${arch}`);
    return out.trim().split("\n").pop() ?? fallback;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`building macho-exec (${arch}) failed: ${err.stderr || err.message}`);
  }
}

/**
 * The CPU type of the Mach-O file at `image`, from its header: `arm64` for an arm64 mach_header_64,
 * for a universal file `x86_64` when it has that slice else `arm64` when it has that one; anything
 * else (unreadable, truncated, another CPU) is `x86_64`, whose loader then reports the problem.
 */
export function imageArch(image: string): MachOArch {
  const head = Buffer.alloc(8 + 32 * 16);
  let n = 0;
  try {
    const fd = openSync(image, "r");
    try {
      n = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return "x86_64";
  }
  if (n < 8) return "x86_64";
  const magic = head.readUInt32BE(0);
  if (magic === 0xcafebabe || magic === 0xcafebabf) {
    const esz = magic === 0xcafebabf ? 32 : 20;
    const types: number[] = [];
    for (let i = 0; i < head.readUInt32BE(4) && 8 + esz * (i + 1) <= n; i++) types.push(head.readUInt32BE(8 + esz * i));
    if (types.includes(CPU_TYPE_X86_64)) return "x86_64";
    return types.includes(CPU_TYPE_ARM64) ? "arm64" : "x86_64";
  }
  return head.readUInt32LE(0) === 0xfeedfacf && head.readUInt32LE(4) === CPU_TYPE_ARM64 ? "arm64" : "x86_64";
}

/** The loader command for `image`'s CPU type (built if needed). */
export function loaderFor(image: string): string {
  return buildLoader(imageArch(image));
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string | Buffer;
  /** milliseconds; default 30000 (x86_64), 120000 (arm64, under qemu) */
  timeout?: number;
}

export interface RunResult {
  /** exit status, or null if killed by a signal */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run a Mach-O image under the loader for its CPU type: `macho-exec IMAGE ...args`. */
export function runMachO(image: string, args: string[] = [], opts: RunOptions = {}): RunResult {
  const loader = loaderFor(image);
  const r = spawnSync(loader, [image, ...args], {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    input: opts.input,
    encoding: "utf8",
    timeout: opts.timeout ?? (loader.endsWith("macho-exec") ? 30000 : 120000),
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Write `<dir>/libSystem.tbd` (link with `-L<dir> -lSystem`) for `arch`: the host glibc's names for
 * x86_64, the aarch64 cross glibc's for arm64; returns the file's path.
 */
export function genLibSystemTbd(dir: string, arch: MachOArch = "x86_64"): string {
  const out = join(dir, "libSystem.tbd");
  try {
    execFileSync("bash", [join(packageRoot, "gen-libsystem-tbd.sh"), "--arch", arch, out], {
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`gen-libsystem-tbd.sh failed: ${err.stderr?.toString() || err.message}`);
  }
  return out;
}
