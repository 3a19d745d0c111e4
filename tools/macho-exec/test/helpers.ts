/**
 * Toolchain helpers for the loader tests: compile C/asm for x86_64 or arm64 macOS with glibc's headers
 * (the host's for x86_64, the aarch64 cross sysroot's for arm64), link with ld64.lld.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { MachOArch } from "../src/index.js";

export const CLANG = process.env.TSLD_CLANG ?? "clang-19";
export const LD64 = process.env.TSLD_LD64 ?? "ld64.lld-19";
export const LLVM_MC = process.env.TSLD_LLVM_MC ?? "llvm-mc-19";

export const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
export const fixture = (name: string): string => join(fixturesDir, name);

function have(tool: string): boolean {
  return spawnSync("sh", ["-c", `command -v "$1"`, "sh", tool], { stdio: "ignore" }).status === 0;
}

/** glibc's aarch64 headers and libraries (Debian libc6-dev-arm64-cross). */
export const AARCH64_SYSROOT = "/usr/aarch64-linux-gnu";

/** Throws (so the tests FAIL, never skip) when the cross toolchain is missing. */
export function requireToolchain(arch: MachOArch = "x86_64"): void {
  const tools =
    arch === "arm64" ? [CLANG, LD64, LLVM_MC, "qemu-aarch64", "aarch64-linux-gnu-gcc"] : [CLANG, LD64, LLVM_MC];
  const missing = tools.filter((t) => !have(t));
  if (missing.length)
    throw new Error(
      `missing toolchain: ${missing.join(", ")} not found on PATH; run tools/setup-toolchain.sh (installs clang-19, lld-19, llvm-19, qemu-user, gcc-aarch64-linux-gnu)`,
    );
}

/** The preprocessing (glibc headers) and compiling (Darwin) triples for `arch`. */
function triples(arch: MachOArch): { host: string[]; darwin: string } {
  return arch === "arm64"
    ? { host: ["-target", "aarch64-linux-gnu", `--sysroot=${AARCH64_SYSROOT}`], darwin: "arm64-apple-macos11" }
    : { host: ["-target", "x86_64-linux-gnu"], darwin: "x86_64-apple-macos11" };
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
  /** the Mach-O CPU type (default x86_64) */
  arch?: MachOArch;
}

/** C → x86_64- or arm64-apple-macos11 object, preprocessed with glibc's headers for that CPU. Returns the .o path. */
export function compileC(src: string, outDir: string, opts: CompileOptions = {}, outName?: string): string {
  const stem = outName ?? basename(src).replace(/\.c$/, "");
  const i = join(outDir, `${stem}.i`);
  const o = join(outDir, `${stem}.o`);
  const t = triples(opts.arch ?? "x86_64");
  run(CLANG, ["-E", ...t.host, ...(opts.cppFlags ?? []), src, "-o", i]);
  run(CLANG, ["-target", t.darwin, "-c", "-Wno-everything", ...(opts.cFlags ?? []), i, "-o", o]);
  return o;
}

/** Assembly → x86_64- or arm64-apple-macos11 object. */
export function assemble(src: string, outDir: string, arch: MachOArch = "x86_64"): string {
  const o = join(outDir, `${basename(src).replace(/\.s$/, "")}.o`);
  run(LLVM_MC, ["-triple", triples(arch).darwin, "-filetype=obj", src, "-o", o]);
  return o;
}

/** ld64.lld link against the generated libSystem.tbd in `tbdDir` (made for the same arch). */
export function link(
  out: string,
  inputs: string[],
  tbdDir: string,
  extra: string[] = [],
  arch: MachOArch = "x86_64",
): string {
  run(LD64, [
    "-arch",
    arch,
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
