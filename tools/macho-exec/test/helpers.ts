/** Toolchain helpers for the loader tests: compile C/asm for x86_64 macOS with glibc headers, link with ld64.lld. */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const CLANG = process.env.TSLD_CLANG ?? "clang-19";
export const LD64 = process.env.TSLD_LD64 ?? "ld64.lld-19";
export const LLVM_MC = process.env.TSLD_LLVM_MC ?? "llvm-mc-19";

export const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
export const fixture = (name: string): string => join(fixturesDir, name);

function have(tool: string): boolean {
  return spawnSync("sh", ["-c", `command -v "$1"`, "sh", tool], { stdio: "ignore" }).status === 0;
}

/** Throws (so the tests FAIL, never skip) when the cross toolchain is missing. */
export function requireToolchain(): void {
  const missing = [CLANG, LD64, LLVM_MC].filter((t) => !have(t));
  if (missing.length)
    throw new Error(
      `missing toolchain: ${missing.join(", ")} not found on PATH; run tools/setup-toolchain.sh (installs clang-19, lld-19, llvm-19)`,
    );
}

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `macho-exec-${tag}-`));
}

function run(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stderr?: Buffer; stdout?: Buffer; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${err.stderr?.toString() ?? ""}${err.stdout?.toString() ?? ""}`);
  }
}

export interface CompileOptions {
  /** -D/-I etc. for the preprocessing step */
  cppFlags?: string[];
  /** flags for the compile step, e.g. ["-O1"] */
  cFlags?: string[];
}

/** C → x86_64-apple-macos11 object, preprocessed with the host"s glibc headers. Returns the .o path. */
export function compileC(src: string, outDir: string, opts: CompileOptions = {}, outName?: string): string {
  const stem = outName ?? basename(src).replace(/\.c$/, "");
  const i = join(outDir, `${stem}.i`);
  const o = join(outDir, `${stem}.o`);
  run(CLANG, ["-E", "-target", "x86_64-linux-gnu", ...(opts.cppFlags ?? []), src, "-o", i]);
  run(CLANG, ["-target", "x86_64-apple-macos11", "-c", "-Wno-everything", ...(opts.cFlags ?? []), i, "-o", o]);
  return o;
}

/** Assembly → x86_64-apple-macos11 object. */
export function assemble(src: string, outDir: string): string {
  const o = join(outDir, `${basename(src).replace(/\.s$/, "")}.o`);
  run(LLVM_MC, ["-triple", "x86_64-apple-macos11", "-filetype=obj", src, "-o", o]);
  return o;
}

/** ld64.lld link against the generated libSystem.tbd in `tbdDir`. */
export function link(out: string, inputs: string[], tbdDir: string, extra: string[] = []): string {
  run(LD64, [
    "-arch",
    "x86_64",
    "-platform_version",
    "macos",
    "11.0",
    "11.0",
    "-o",
    out,
    ...inputs,
    "-L",
    tbdDir,
    "-lSystem",
    ...extra,
  ]);
  return out;
}
