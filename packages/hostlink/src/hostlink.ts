/*
 * The `hostlink` stage: in `-linkmode=external`, hand the link to the host
 * toolchain and report what it said through the link context.
 *
 * This mirrors `hostlink()` and `archive()` in Go's
 * `cmd/link/internal/ld/lib.go`: build the argv (argv.ts), run it (run.ts),
 * fail with `running X failed: …` followed by the exact command, and print
 * any remaining linker output as a warning even on success (Go issue 17935).
 * The objects are the `go.o` tsld wrote with its own stages (the `-r`
 * writer, markers laid out) and the `-hostobj` host objects. For
 * `-buildmode=c-archive` Go runs no linker but `ar -q -c -s OUT objects`;
 * tsld writes the same archive itself (archive.ts), so it is identical on
 * every host.
 *
 * Choosing the host linker. `-extld` wins; it is split into words as Go does
 * (quotes group). Without it, on a darwin host the driver is `clang`, as for
 * Go. On any other host plain `clang` would link for that host, so tsld
 * cross-links instead: `clang-19` (or `clang`) with `-target
 * ARCH-apple-macosVER -fuse-ld=lld`, where VER comes from `-platform_version`
 * (`minOS`) or defaults to 11.0 like Go's LC_BUILD_VERSION. `-fuse-ld=lld`
 * makes clang look for `ld64.lld` on PATH; Debian installs only
 * `ld64.lld-19`, so when `ld64.lld` is absent tsld adds `--ld-path=` naming
 * `ld64.lld-19` (PATH, then /usr/lib/llvm-19/bin). If nothing is found the
 * stage reports an error naming `-extld` and the setup script.
 *
 * Libraries: clang's darwin driver adds `-lSystem` itself; the user's `-L`
 * directories (and `-syslibroot`s) are passed on so a libSystem TBD there is
 * found. Options with no host-linker meaning here (entry, dead_strip, map,
 * bundle, …) are the internal writer's; pass them with `-extldflags`.
 */
import { accessSync, constants, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, delimiter, dirname, join } from "node:path";
import type { LinkContext, LinkOptions } from "@tsld/core";
import { dynlinking, osErrorText } from "@tsld/core";
import { writeArchive } from "./archive.js";
import { hostlinkArgv } from "./argv.js";
import type { HostlinkInput } from "./argv.js";
import { formatCommand, runHostLinker } from "./run.js";

/** What drives the host link: the driver words plus the cross-link extras. */
export interface HostDriver {
  extld: string[];
  target?: string;
  fuseLd?: string;
  ldPath?: string;
}

/** Where to look for programs; defaults to the real PATH and platform. */
export interface HostEnv {
  path?: string;
  platform?: NodeJS.Platform;
  /** Extra directories tried after PATH (default: /usr/lib/llvm-19/bin). */
  fallbackDirs?: string[];
}

/** Split a flag value into words; single and double quotes group (Go's quoted.Split). */
export function splitQuoted(s: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: string | undefined;
  for (const c of s) {
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote !== undefined) throw new Error(`unterminated ${quote} string in ${JSON.stringify(s)}`);
  if (inWord) words.push(cur);
  return words;
}

/** The first executable named `name` in `dirs`, or undefined. */
export function findProgram(name: string, dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    if (dir === "") continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `macosMAJ.MIN[.PATCH]` from a packed xxxx.yy.zz version; 0 means 11.0. */
function macosVersion(packed: number): string {
  if (packed === 0) return "11.0";
  const major = packed >>> 16;
  const minor = (packed >>> 8) & 0xff;
  const patch = packed & 0xff;
  return patch === 0 ? `${major}.${minor}` : `${major}.${minor}.${patch}`;
}

/**
 * Pick the host linker driver for these options (see the file comment).
 * Returns an error message instead when no usable driver is found.
 */
export function resolveHostDriver(options: LinkOptions, env: HostEnv = {}): HostDriver | { error: string } {
  if (options.extld !== undefined && options.extld.trim() !== "") {
    return { extld: splitQuoted(options.extld) };
  }
  const platform = env.platform ?? process.platform;
  if (platform === "darwin") return { extld: ["clang"] };

  const pathDirs = (env.path ?? process.env.PATH ?? "").split(delimiter);
  const dirs = [...pathDirs, ...(env.fallbackDirs ?? ["/usr/lib/llvm-19/bin"])];
  const clang = findProgram("clang-19", pathDirs) ?? findProgram("clang", dirs);
  if (clang === undefined) {
    return {
      error:
        "hostlink: no host linker: clang-19 (or clang) not found on PATH; " +
        "run `bash tools/setup-toolchain.sh` or choose one with -extld",
    };
  }
  const driver: HostDriver = {
    extld: [clang],
    target: `${options.arch}-apple-macos${macosVersion(options.minOS)}`,
    fuseLd: "lld",
  };
  if (findProgram("ld64.lld", pathDirs) === undefined) {
    const ld = findProgram("ld64.lld-19", pathDirs) ?? findProgram("ld64.lld", dirs);
    if (ld === undefined) {
      return {
        error:
          "hostlink: no Mach-O host linker: neither ld64.lld nor ld64.lld-19 found on PATH; " +
          "run `bash tools/setup-toolchain.sh` or choose a linker with -extld",
      };
    }
    driver.ldPath = ld;
  }
  return driver;
}

/**
 * The `HostlinkInput` for these options and driver; `dyn` is Go's
 * `DynlinkingGo()` for the link (default: from the buildmode and
 * `-canUsePlugins`; the `go.o` step knows whether an input defines
 * `plugin.Open`).
 */
export function hostlinkInput(
  options: LinkOptions,
  driver: HostDriver,
  objects: readonly string[],
  dyn: boolean = dynlinking(options.buildmode, { canUsePlugins: options.canUsePlugins }),
): HostlinkInput {
  const input: HostlinkInput = {
    extld: driver.extld,
    headtype: "darwin",
    buildmode: options.buildmode,
    dynlinking: dyn,
    arch: options.arch,
    output: options.output,
    objects: [...objects],
    libPaths: options.libPaths,
    libs: options.libs,
    extldflags: options.extldflags,
    noPie: options.noPie,
    rpaths: options.rpaths,
    syslibroot: options.syslibroot,
  };
  if (options.installName !== undefined) input.installName = options.installName;
  if (driver.target !== undefined) input.target = driver.target;
  if (driver.fuseLd !== undefined) input.fuseLd = driver.fuseLd;
  if (driver.ldPath !== undefined) input.ldPath = driver.ldPath;
  return input;
}

/** Go's `archive()` command: append objects to a fresh archive with an index. */
export function archiveArgv(extar: string, output: string, objects: readonly string[]): string[] {
  return [extar, "-q", "-c", "-s", output, ...objects];
}

/**
 * Said when the host linker cannot find libSystem and no SDK root was given:
 * tsld's built-in libSystem TBD lives inside tsld, where no host linker looks.
 */
export const NO_SDK_HINT =
  "note: tsld's built-in libSystem is only for internal linking; the host linker cannot see it. " +
  "Give the host linker a macOS SDK: -extldflags '-isysroot /path/to/MacOSX.sdk' " +
  "(or -syslibroot SDK, or -L DIR with DIR/libSystem.tbd)";

/** Whether the options give the host linker somewhere to find libSystem (an SDK root or sysroot). */
export function hasSdkRoot(o: LinkOptions): boolean {
  if (o.syslibroot.length > 0) return true;
  const words = [...(o.extld ? splitQuoted(o.extld) : []), ...o.extldflags];
  return words.some((w) => /^(-isysroot|--sysroot|-syslibroot|-Wl,-syslibroot)\b/.test(w));
}

/** What the `go.o` step tells the host link. */
export interface HostlinkExtra {
  /** Go's `DynlinkingGo()` for this link (flat namespace, bind at load). */
  dynlinking?: boolean;
  /** Where to write the host linker's command line (`-tmpdir`'s `hostlink.argv`). */
  argvFile?: string;
}

/**
 * The external-link stage. Does nothing unless `-linkmode=external`. Links
 * `objects` (the `go.o` and the host objects; default: the command-line
 * inputs) into `options.output` with the host linker; for
 * `-buildmode=c-archive` writes them into an archive instead (archive.ts).
 * Failures go to `ctx.diag.error`, leftover linker output to `ctx.diag.warn`.
 */
export function hostlink(
  ctx: LinkContext,
  objects: readonly string[] = ctx.options.inputs,
  env: HostEnv = {},
  extra: HostlinkExtra = {},
): void {
  using _t = ctx.timer.start("hostlink");
  const o = ctx.options;
  if (o.linkmode !== "external") return;

  if (o.buildmode === "c-archive") {
    writeCArchive(ctx, objects);
    return;
  }
  let driver: HostDriver | { error: string };
  try {
    driver = resolveHostDriver(o, env);
  } catch (e) {
    ctx.diag.error(`hostlink: -extld: ${(e as Error).message}`);
    return;
  }
  if ("error" in driver) {
    ctx.diag.error(driver.error);
    return;
  }
  const argv = hostlinkArgv(hostlinkInput(o, driver, objects, extra.dynlinking));
  if (extra.argvFile !== undefined) {
    try {
      writeFileSync(extra.argvFile, `${formatCommand(argv)}\n`);
    } catch (e) {
      ctx.diag.error(`cannot write ${extra.argvFile}: ${osErrorText(e)}`);
      return;
    }
  }
  if (o.verbose) ctx.info(`host link: ${formatCommand(argv)}`);

  const r = runHostLinker(argv, env.path !== undefined ? { env: { ...process.env, PATH: env.path } } : {});
  if (!r.ok) {
    const said = r.message ?? `running ${argv[0] ?? "host linker"} failed`;
    const message = `${said}\ncommand: ${r.command}`;
    // The linker's words (not the command line) say whether libSystem was missing.
    ctx.diag.error(/-lSystem\b/.test(said) && !hasSdkRoot(o) ? `${message}\n${NO_SDK_HINT}` : message);
    return;
  }
  const out = (r.stdout + r.stderr).trimEnd();
  if (out !== "") ctx.diag.warn(`${argv[0] ?? "host linker"}: ${out}`);
}

/** c-archive: `objects` into `options.output`, with a sorted symbol table, written atomically. */
function writeCArchive(ctx: LinkContext, objects: readonly string[]): void {
  const o = ctx.options;
  const members: { name: string; data: Uint8Array }[] = [];
  for (const path of objects) {
    try {
      members.push({ name: basename(path), data: readFileSync(path) });
    } catch (e) {
      ctx.diag.error(`cannot open ${path}: ${osErrorText(e)}`);
      return;
    }
  }
  let bytes: Uint8Array;
  try {
    bytes = writeArchive(members);
  } catch (e) {
    ctx.diag.error(`c-archive: ${(e as Error).message}`);
    return;
  }
  const tmp = join(dirname(o.output), `.${basename(o.output)}.tsld-${process.pid}.tmp`);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, o.output);
  } catch (e) {
    rmSync(tmp, { force: true });
    ctx.diag.error(`cannot write ${o.output}: ${osErrorText(e)}`);
  }
}
