/**
 * Command-line flags, Go style: `-flag=value` or `-flag value`, one or two
 * leading dashes, plus ld64's spellings for the flags ld64 users type
 * (`-Ldir`, `-lname`, `-dead_strip`, `-platform_version macos MIN SDK`).
 * Unknown flags are errors with the closest known flag as a suggestion.
 */
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { type LinkOptions, defaultOptions, determineLinkMode, parseBuildMode } from "@tsld/core";
import { CPU_TYPE_ARM64, CPU_TYPE_X86_64, MH_MAGIC_64 } from "@tsld/macho-format";

export class UsageError extends Error {}

type Kind = "bool" | "string" | "multi";
interface FlagSpec {
  kind: Kind;
  help: string;
  arg?: string;
}

export const FLAGS: Record<string, FlagSpec> = {
  o: { kind: "string", arg: "file", help: "write the output to file (default a.out)" },
  r: { kind: "bool", help: "relocatable output: merge the inputs into one object (MH_OBJECT)" },
  buildmode: { kind: "string", arg: "mode", help: "exe, pie, c-shared, c-archive or plugin (default exe)" },
  linkmode: { kind: "string", arg: "mode", help: "internal or external (default: internal where tsld can)" },
  arch: {
    kind: "string",
    arg: "arch",
    help: "target architecture: x86_64 or arm64 (default: that of the first input object)",
  },
  L: { kind: "multi", arg: "dir", help: "add dir to the library search path (also -Ldir)" },
  l: { kind: "multi", arg: "name", help: "link libname.tbd, libname.dylib or libname.a (also -lname)" },
  F: { kind: "multi", arg: "dir", help: "add dir to the framework search path (also -Fdir)" },
  framework: { kind: "multi", arg: "name", help: "link name.framework/name(.tbd) from the framework search path" },
  syslibroot: { kind: "multi", arg: "dir", help: "search dir/usr/lib and dir/usr/local/lib for libraries" },
  e: { kind: "string", arg: "symbol", help: "entry point symbol (default _main)" },
  dead_strip: { kind: "bool", help: "remove code and data unreachable from the entry point and exports" },
  s: { kind: "bool", help: "omit local symbols from the symbol table" },
  w: { kind: "bool", help: "omit DWARF debug information" },
  v: { kind: "bool", help: "print each stage's time" },
  map: { kind: "string", arg: "file", help: "write a link map to file" },
  time_trace: {
    kind: "bool",
    help: "write a Chrome trace-event JSON of every pass to <output>.time-trace (chrome://tracing, Perfetto)",
  },
  time_trace_file: { kind: "string", arg: "file", help: "write the -time_trace JSON to file (implies -time_trace)" },
  time_trace_granularity: {
    kind: "string",
    arg: "µs",
    help: "leave spans shorter than this out of the time trace (default 500)",
  },
  threads: {
    kind: "string",
    arg: "n",
    help: "threads for relocation and hashing: the main thread and n-1 workers (default: the CPUs; none below 16 MiB of objects)",
  },
  extld: { kind: "string", arg: "linker", help: "host linker for -linkmode=external" },
  extldflags: { kind: "string", arg: "flags", help: "space-separated flags for the host linker" },
  hostobj: {
    kind: "multi",
    arg: "file",
    help: "external linking: pass file to the host linker as is (default: every input goes into go.o)",
  },
  tmpdir: { kind: "string", arg: "dir", help: "external linking: write go.o and the host linker's argv in dir, kept" },
  go_markers: {
    kind: "bool",
    help: "with -r: define Go's section markers in the object, as hostlink's go.o (implied by external linking)",
  },
  install_name: { kind: "string", arg: "path", help: "install name of a dylib (c-shared, plugin)" },
  current_version: { kind: "string", arg: "x.y.z", help: "current version of a dylib" },
  compatibility_version: { kind: "string", arg: "x.y.z", help: "compatibility version of a dylib" },
  rpath: { kind: "multi", arg: "path", help: "add an LC_RPATH entry" },
  bundle: { kind: "bool", help: "produce an MH_BUNDLE (with -buildmode=c-shared or plugin)" },
  bundle_loader: {
    kind: "string",
    arg: "exe",
    help: "executable that will load this bundle/plugin; its exports may be referenced",
  },
  undefined: {
    kind: "string",
    arg: "treatment",
    help: "error (default), warning, suppress or dynamic_lookup (warning and suppress need -flat_namespace)",
  },
  U: { kind: "multi", arg: "symbol", help: "allow symbol to stay undefined (bound by flat lookup at load time)" },
  exported_symbol: { kind: "multi", arg: "symbol", help: "export only matching symbols (ld64 wildcards * ? [..])" },
  exported_symbols_list: { kind: "multi", arg: "file", help: "export only the symbols (patterns) listed in file" },
  unexported_symbol: { kind: "multi", arg: "symbol", help: "do not export matching symbols (ld64 wildcards)" },
  unexported_symbols_list: { kind: "multi", arg: "file", help: "do not export the symbols (patterns) listed in file" },
  flat_namespace: { kind: "bool", help: "bind imports by flat lookup (implied for plugins)" },
  bind_at_load: { kind: "bool", help: "bind every import at load time, no lazy binding (implied for plugins)" },
  no_pie: { kind: "bool", help: "produce a non-PIE executable (x86_64 exe only)" },
  fixup_chains: { kind: "bool", help: "chained fixups (LC_DYLD_CHAINED_FIXUPS; default for macOS 13.0 and later)" },
  no_fixup_chains: { kind: "bool", help: "dyld opcodes (LC_DYLD_INFO_ONLY), not chained fixups" },
  pie: { kind: "bool", help: "produce a PIE executable (the default)" },
  platform_version: {
    kind: "string",
    arg: "macos MIN SDK",
    help: "target macOS versions (default from inputs, else 11.0)",
  },
  adhoc_codesign: {
    kind: "bool",
    help: "sign the output ad hoc (LC_CODE_SIGNATURE; default on for arm64, off for x86_64)",
  },
  no_adhoc_codesign: { kind: "bool", help: "do not sign the output" },
  headerpad: { kind: "string", arg: "bytes", help: "bytes of padding after the load commands (default 32)" },
  nostdlib: { kind: "bool", help: "do not link libSystem by default" },
  no_builtin_libsystem: { kind: "bool", help: "do not fall back to tsld's built-in libSystem TBD" },
  no_plugin_markers: {
    kind: "bool",
    help: "(testing) keep section markers zero-sized in plugins, as before the seed change",
  },
  help: { kind: "bool", help: "print this help (also -h)" },
  h: { kind: "bool", help: "print this help" },
  version: { kind: "bool", help: "print tsld's version (also -v with no input files)" },
};

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)] as number[]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

/** " (did you mean -X?)" for the known flag closest to `name`, or "" when none is close. */
export function suggest(name: string, known: readonly string[] = Object.keys(FLAGS)): string {
  let best = "";
  let dist = Infinity;
  for (const k of known) {
    const e = editDistance(name, k);
    if (e < dist) [best, dist] = [k, e];
  }
  return dist <= Math.max(2, name.length / 3) ? ` (did you mean -${best}?)` : "";
}

/** A -time_trace granularity: whole µs, 0 keeps every span. */
export function parseGranularity(s: string, flag: string): number {
  if (!/^\d+$/.test(s)) throw new UsageError(`${flag}: bad granularity "${s}" (want whole microseconds)`);
  return Number(s);
}

function parseVersion(s: string, flag: string): number {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(s);
  if (!m) throw new UsageError(`-${flag}: bad version "${s}" (want x.y.z)`);
  return (Number(m[1]) << 16) | (Number(m[2] ?? 0) << 8) | Number(m[3] ?? 0);
}

/**
 * An ld64 symbol list file (`-exported_symbols_list` and friends): one
 * symbol or pattern a line, leading and trailing blanks dropped, lines
 * starting with `#` are comments.
 */
export function parseSymbolList(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/[\r\n]/)) {
    const t = line.trim();
    if (t !== "" && !t.startsWith("#")) out.push(t);
  }
  return out;
}

function readSymbolList(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
    throw new UsageError(`${path}: cannot read symbol list: ${why}`);
  }
  return parseSymbolList(text);
}

/**
 * The CPU type of the first input that is a thin 64-bit Mach-O file, read
 * from its header; undefined when none is (archives, TBDs and unreadable
 * paths are skipped: loading reports those, and decides the arch itself).
 */
function firstObjectArch(inputs: readonly string[]): "x86_64" | "arm64" | undefined {
  const head = Buffer.alloc(8);
  for (const path of inputs) {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch {
      continue;
    }
    try {
      if (readSync(fd, head, 0, 8, 0) < 8 || head.readUInt32LE(0) !== MH_MAGIC_64) continue;
    } catch {
      continue;
    } finally {
      closeSync(fd);
    }
    const cpu = head.readUInt32LE(4);
    if (cpu === CPU_TYPE_ARM64) return "arm64";
    if (cpu === CPU_TYPE_X86_64) return "x86_64";
  }
  return undefined;
}

export interface ParsedArgs {
  options: LinkOptions;
  help: boolean;
  /** `-version`, or `-v` with no input files (ld64's `ld -v`): print the version and exit. */
  version: boolean;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const v: Record<string, string | boolean | string[]> = {};
  const inputs: string[] = [];
  // No path or name can hold a NUL (a C argv cannot); callers in process could pass one.
  const nul = argv.findIndex((a) => a.includes("\0"));
  if (nul >= 0) throw new UsageError(`argument ${nul + 1} contains a NUL byte`);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("-") || a === "-") {
      inputs.push(a);
      continue;
    }
    let body = a.replace(/^--?/, "");
    let value: string | undefined;
    const eq = body.indexOf("=");
    if (eq > 0) {
      value = body.slice(eq + 1);
      body = body.slice(0, eq);
    }
    // ld64 spellings glued to their value: -Ldir, -lname, -Fdir.
    if (!(body in FLAGS) && /^[LlF]./.test(body) && value === undefined) {
      value = body.slice(1);
      body = body[0]!;
    }
    const spec = FLAGS[body];
    if (!spec) throw new UsageError(`unknown flag ${a}${suggest(body)}`);
    if (spec.kind === "bool") {
      if (value !== undefined && value !== "true" && value !== "false") throw new UsageError(`-${body} takes no value`);
      v[body] = value !== "false";
      continue;
    }
    if (value === undefined) {
      if (body === "platform_version") {
        if (i + 3 >= argv.length) throw new UsageError("-platform_version needs: macos MIN SDK");
        value = `${argv[i + 1]} ${argv[i + 2]} ${argv[i + 3]}`;
        i += 3;
      } else {
        if (i + 1 >= argv.length) throw new UsageError(`-${body} needs a value (${spec.arg})`);
        value = argv[++i]!;
      }
    }
    if (spec.kind === "multi") ((v[body] ??= []) as string[]).push(value);
    else v[body] = value;
  }
  const str = (k: string): string | undefined => v[k] as string | undefined;
  const bool = (k: string): boolean => v[k] === true;
  const list = (k: string): string[] => (v[k] as string[] | undefined) ?? [];
  // Without -arch, the first input object's CPU type decides (objfile's chooseArch).
  const arch = str("arch") ?? "x86_64";
  if (arch !== "x86_64" && arch !== "arm64") throw new UsageError(`-arch ${arch}: unknown architecture`);
  // Go's darwin matrix (and its messages) for the arch the link is for: -arch, else the first object's.
  const goarch = (str("arch") ?? firstObjectArch(inputs)) === "arm64" ? "arm64" : "amd64";
  let buildmode: LinkOptions["buildmode"];
  try {
    buildmode = parseBuildMode(str("buildmode") ?? "exe", "darwin", goarch);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let linkmode: LinkOptions["linkmode"];
  try {
    const lm = str("linkmode") ?? "auto";
    if (lm !== "internal" && lm !== "external" && lm !== "auto" && lm !== "")
      throw new UsageError(`-linkmode=${lm}: want internal or external`);
    linkmode = determineLinkMode(lm === "" ? "auto" : lm, buildmode, "darwin", goarch);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const undef = str("undefined") ?? "error";
  if (undef !== "error" && undef !== "warning" && undef !== "suppress" && undef !== "dynamic_lookup")
    throw new UsageError(`-undefined ${undef}: want error, warning, suppress or dynamic_lookup`);
  // ld64 and lld: warning and suppress only with a flat namespace (plugins have one).
  if ((undef === "warning" || undef === "suppress") && !bool("flat_namespace") && buildmode !== "plugin")
    throw new UsageError(`'-undefined ${undef}' only valid with '-flat_namespace'`);
  let minOS = 0;
  let sdk = 0;
  const pv = str("platform_version");
  if (pv) {
    const [plat, min = "", s = ""] = pv.split(/\s+/);
    if (plat !== "macos" && plat !== "1") throw new UsageError(`-platform_version ${plat}: only macos is supported`);
    minOS = parseVersion(min, "platform_version");
    sdk = parseVersion(s, "platform_version");
  }
  const headerpad = str("headerpad");
  const opts: Partial<LinkOptions> = {
    output: str("o") ?? "a.out",
    buildmode,
    linkmode,
    relocatable: bool("r"),
    goObject: bool("go_markers"),
    hostObjects: list("hostobj"),
    arch,
    archExplicit: str("arch") !== undefined,
    inputs,
    libPaths: list("L"),
    libs: list("l"),
    frameworkPaths: list("F"),
    frameworks: list("framework"),
    syslibroot: list("syslibroot"),
    entry: str("e") ?? "_main",
    deadStrip: bool("dead_strip"),
    stripSymbols: bool("s"),
    // Go's linker writes __DWARF into the image; -w (or -s) omits it.
    debugInfo: bool("w") || bool("s") ? "none" : "dwarf",
    verbose: bool("v"),
    extldflags: (str("extldflags") ?? "").split(/\s+/).filter(Boolean),
    noPie: bool("no_pie"),
    bindAtLoad: bool("bind_at_load"),
    ...(bool("fixup_chains") || bool("no_fixup_chains") ? { fixupChains: !bool("no_fixup_chains") } : {}),
    flatNamespace: bool("flat_namespace"),
    undefinedTreatment: undef,
    undefinedAllowed: list("U"),
    exportedSymbols: [...list("exported_symbol"), ...list("exported_symbols_list").flatMap(readSymbolList)],
    unexportedSymbols: [...list("unexported_symbol"), ...list("unexported_symbols_list").flatMap(readSymbolList)],
    rpaths: list("rpath"),
    bundle: bool("bundle"),
    minOS,
    sdk,
    linkLibSystem: !bool("nostdlib"),
    builtinLibSystem: !bool("no_builtin_libsystem"),
    markersAsSymbols: !bool("no_plugin_markers"),
  };
  if (v.adhoc_codesign !== undefined || v.no_adhoc_codesign !== undefined) {
    // The last of the two on the command line wins, as in ld64.
    const order = argv.map((a) => a.replace(/^--?/, "").replace(/=.*/, ""));
    const on = order.lastIndexOf("adhoc_codesign");
    const off = order.lastIndexOf("no_adhoc_codesign");
    opts.adhocCodesign = on > off ? v.adhoc_codesign === true : v.no_adhoc_codesign !== true;
  }
  if (headerpad !== undefined) {
    const n = Number(headerpad);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`-headerpad ${headerpad}: want a byte count`);
    opts.headerpad = n;
  }
  if (str("map")) opts.mapFile = str("map")!;
  if (bool("time_trace") || str("time_trace_file"))
    opts.timeTrace = str("time_trace_file") ?? `${opts.output}.time-trace`;
  if (str("time_trace_granularity") !== undefined)
    opts.timeTraceGranularity = parseGranularity(str("time_trace_granularity")!, "-time_trace_granularity");
  if (str("threads") !== undefined) opts.threads = parseThreads(str("threads")!, "-threads");
  if (str("extld")) opts.extld = str("extld")!;
  if (str("tmpdir")) opts.tmpdir = str("tmpdir")!;
  if (str("install_name")) opts.installName = str("install_name")!;
  if (str("bundle_loader")) opts.bundleLoader = str("bundle_loader")!;
  if (str("current_version")) opts.currentVersion = parseVersion(str("current_version")!, "current_version");
  if (str("compatibility_version"))
    opts.compatibilityVersion = parseVersion(str("compatibility_version")!, "compatibility_version");
  if (opts.noPie && buildmode !== "exe") throw new UsageError("-no_pie applies only to -buildmode=exe");
  if (opts.bundle && buildmode !== "c-shared" && buildmode !== "plugin")
    throw new UsageError("-bundle needs -buildmode=c-shared or plugin");
  const help = bool("help") || bool("h");
  const version = bool("version") || (bool("v") && inputs.length === 0);
  // -hostobj files are inputs too (handed to the host linker as they are).
  for (const h of list("hostobj")) if (!inputs.includes(h)) inputs.push(h);
  if (opts.relocatable && linkmode === "external" && str("linkmode") === "external")
    throw new UsageError("-r writes an object itself; it cannot be combined with -linkmode=external");
  if (!help && !version && inputs.length === 0) throw new UsageError("no input files");
  return { options: defaultOptions(opts), help, version };
}

export function usage(): string {
  const lines = [
    "usage: tsld [flags] file...",
    "",
    "Links x86_64 and arm64 Mach-O objects, archives and TBDs into a macOS image.",
    "",
    "Flags:",
  ];
  for (const [k, s] of Object.entries(FLAGS)) lines.push(`  -${k}${s.arg ? ` ${s.arg}` : ""}`.padEnd(34) + s.help);
  return `${lines.join("\n")}\n`;
}

/** `-threads N` / lld's `--threads=N`: a positive integer. */
export function parseThreads(v: string, flag: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${flag}: expected a positive integer, but got '${v}'`);
  return n;
}
