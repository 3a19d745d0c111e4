/**
 * `ld64.tsld`: ld64's command line (ld(1) on macOS, `ld64/src/ld/Options.cpp`
 * in Apple's ld64 sources) parsed into the same `LinkOptions` as the Go-style
 * `tsld` (flags.ts), so clang (`--ld-path`), Go's external link and build
 * systems can call tsld as they call ld64.
 *
 * ld64's syntax: single-dash long options whose values are the following
 * arguments (`-install_name /x`, `-platform_version macos 11.0 12.0`), glued
 * forms for `-lNAME`, `-LDIR`, `-FDIR` and the `-needed-l`/`-weak-l`/
 * `-reexport-l` families, `@file` response files (arguments separated by
 * white space, `'…'`/`"…"` quoting and `\` escapes, nested; expanded where
 * an option or input stands, so a value such as `@rpath/x` is left alone), and
 * `-filelist FILE[,DIR]` (one input path a line, each under DIR when given).
 *
 * Every flag ld64 documents that real clients pass is either handled or
 * accepted with one warning that names it; an unknown flag is an error with
 * the closest known flag as a suggestion. Numbers follow ld64: sizes and
 * addresses are hexadecimal with or without `0x`; versions are `X[.Y[.Z]]`.
 */
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { type DylibLoadKind, type LinkOptions, type UndefinedTreatment, defaultOptions } from "@tsld/core";
import { UsageError, parseGranularity, parseThreads, suggest } from "./flags.js";

/** The ld64 release whose command line ld64.tsld follows (Xcode 12.5's, the first with -platform_version for macOS 11 on both archs). */
export const LD64_VERSION = "609.8";

/** How an ld64 flag is treated: arity is the count of arguments that follow it. */
interface Ld64Flag {
  arity: number;
  /** Accepted but not implemented: one warning naming the flag (its text). */
  unimplemented?: string;
  /** Accepted and ignored with one note (LTO-only flags). */
  lto?: boolean;
}

const F = (arity: number, extra: Omit<Ld64Flag, "arity"> = {}): Ld64Flag => ({ arity, ...extra });
const warn = (arity: number, why: string): Ld64Flag => ({ arity, unimplemented: why });

/** Every flag ld64.tsld knows, without its leading dash. Glued forms (`-lNAME`, …) are handled before this table. */
export const LD64_FLAGS: Record<string, Ld64Flag> = {
  // output kind
  dynamic: F(0),
  static: F(0),
  execute: F(0),
  dylib: F(0),
  bundle: F(0),
  r: F(0),
  keep_private_externs: F(0),
  arch: F(1),
  o: F(1),
  // platform
  platform_version: F(3),
  macos_version_min: F(1),
  macosx_version_min: F(1),
  syslibroot: F(1),
  sdk_version: F(1),
  // clang's always-passed flags
  demangle: F(0),
  no_deduplicate: F(0),
  deduplicate: F(0),
  mllvm: F(1, { lto: true }),
  lto_library: F(1, { lto: true }),
  object_path_lto: F(1, { lto: true }),
  cache_path_lto: F(1, { lto: true }),
  // entry and symbols
  e: F(1),
  u: F(1),
  U: F(1),
  undefined: F(1),
  flat_namespace: F(0),
  twolevel_namespace: F(0),
  bind_at_load: F(0),
  pie: F(0),
  no_pie: F(0),
  dead_strip: F(0),
  dead_strip_dylibs: F(0),
  exported_symbols_list: F(1),
  exported_symbol: F(1),
  unexported_symbols_list: F(1),
  unexported_symbol: F(1),
  alias: F(2),
  alias_list: F(1),
  init: F(1),
  // archives and libraries
  force_load: F(1),
  all_load: F(0),
  noall_load: F(0),
  ObjC: F(0),
  l: F(1),
  L: F(1),
  F: F(1),
  Z: F(0),
  framework: F(1),
  needed_library: F(1),
  weak_library: F(1),
  reexport_library: F(1),
  weak_framework: F(1),
  needed_framework: F(1),
  reexport_framework: F(1),
  search_paths_first: F(0),
  search_dylibs_first: F(0),
  filelist: F(1),
  // dylibs
  install_name: F(1),
  dylib_install_name: F(1),
  current_version: F(1),
  dylib_current_version: F(1),
  compatibility_version: F(1),
  dylib_compatibility_version: F(1),
  rpath: F(1),
  bundle_loader: F(1),
  // layout
  headerpad: F(1),
  headerpad_max_install_names: F(0),
  sectcreate: F(3),
  segcreate: F(3),
  order_file: F(1),
  pagezero_size: F(1),
  stack_size: F(1),
  image_base: F(1),
  seg1addr: F(1),
  // LINKEDIT encodings
  fixup_chains: F(0),
  no_fixup_chains: F(0),
  adhoc_codesign: F(0),
  no_adhoc_codesign: F(0),
  // output of the link
  map: F(1),
  t: F(0),
  why_live: F(1),
  S: F(0),
  x: F(0),
  w: F(0),
  fatal_warnings: F(0),
  time_trace: F(0),
  time_trace_file: F(1),
  time_trace_granularity: F(1),
  v: F(0),
  help: F(0),
  // accepted, not implemented: one warning each
  add_ast_path: F(1),
  no_uuid: warn(0, "the output keeps its LC_UUID"),
  application_extension: warn(0, "not recorded in the output"),
  no_application_extension: F(0),
  mark_dead_strippable_dylib: warn(0, "MH_DEAD_STRIPPABLE_DYLIB is not set"),
  export_dynamic: warn(0, "meaningful only with LTO, which tsld does not do"),
  no_function_starts: warn(0, "LC_FUNCTION_STARTS is still written"),
  no_data_in_code_info: warn(0, "LC_DATA_IN_CODE is still written"),
  no_compact_unwind: warn(0, "__unwind_info is still written"),
  warn_commons: warn(0, "no warnings are given for commons"),
  no_warn_duplicate_libraries: F(0),
  warn_duplicate_libraries: warn(0, "no warnings are given for duplicate libraries"),
  ld_classic: F(0),
  ld_new: F(0),
  objc_abi_version: warn(1, "no effect"),
  no_objc_category_merging: F(0),
  multiply_defined: warn(1, "obsolete in ld64; duplicates are errors"),
  no_weak_imports: F(0),
  reproducible: F(0),
};

/** A library named by a glued prefix: `-needed-lfoo` → kind needed, `-lfoo`. */
const GLUED_LIBS: [prefix: string, kind: DylibLoadKind][] = [
  ["needed-l", "needed"],
  ["weak-l", "weak"],
  ["reexport-l", "reexport"],
  ["l", "normal"],
];

/**
 * Splits a response file's text into arguments: white space separates,
 * `'…'` and `"…"` quote (the quotes dropped), `\` escapes the next character.
 */
export function splitResponseFile(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let have = false;
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\" && i + 1 < text.length && quote !== "'") {
      cur += text[++i];
      have = true;
    } else if (quote) {
      if (c === quote) quote = "";
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      have = true;
    } else if (/\s/.test(c)) {
      if (have) out.push(cur);
      cur = "";
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (quote) throw new UsageError(`unterminated ${quote} in a response file`);
  if (have) out.push(cur);
  return out;
}

/** The arguments in response file `@path` (`at` is the argument, with its `@`). */
function readResponseFile(at: string): string[] {
  try {
    return splitResponseFile(readFileSync(at.slice(1), "utf8"));
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`${at.slice(1)}: ${e.message}`);
    throw new UsageError(`cannot read response file ${at.slice(1)}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
}

/** ld64's version syntax X[.Y[.Z]], packed xxxx.yy.zz; `flag` names the option in errors. */
function parseVersion(s: string, flag: string): number {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(s);
  if (!m || Number(m[1]) > 0xffff || Number(m[2] ?? 0) > 0xff || Number(m[3] ?? 0) > 0xff)
    throw new UsageError(`-${flag}: malformed version "${s}" (want X[.Y[.Z]], X < 65536, Y and Z < 256)`);
  return (Number(m[1]) << 16) | (Number(m[2] ?? 0) << 8) | Number(m[3] ?? 0);
}

/** ld64's hex numbers (`0x1000` or `1000`). */
function parseHex(s: string, flag: string): number {
  if (!/^(0x)?[0-9a-f]+$/i.test(s)) throw new UsageError(`-${flag}: "${s}" is not a hexadecimal number`);
  return Number.parseInt(s.replace(/^0x/i, ""), 16);
}

/** Lines of a list file (`#` comments, surrounding blanks dropped). */
function listFile(path: string, flag: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`-${flag} ${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/**
 * An order-file line to its entry: ld64 allows `[arch:][object.o:]symbol`
 * (and a trailing `#` comment, already dropped by listFile for whole lines).
 * The object prefix is dropped; an arch prefix is kept as `arch:symbol`.
 */
function orderSymbol(line: string): string | undefined {
  let s = line.replace(/\s+#.*$/, "");
  // An arch prefix stays: layout keeps the line only in a link for that arch (known once the inputs are read).
  const arch = /^(x86_64h?|arm64e?|arm64_32|i386|ppc|armv[67][a-z]*):/.exec(s)?.[0] ?? "";
  s = s.slice(arch.length);
  const obj = /^[^:]*\.o:/.exec(s);
  if (obj) s = s.slice(obj[0].length);
  return s ? arch + s : undefined;
}

export interface Ld64Args {
  options: LinkOptions;
  /** `-v` or `--version`: print the version line (and link only if there are inputs). */
  version: boolean;
  help: boolean;
  /** One warning per accepted-but-unimplemented flag, naming it. */
  warnings: string[];
  /** Notes: ignored LTO flags (one line for all of them). */
  notes: string[];
}

/** Parses ld64's command line; `UsageError` on a malformed or unknown flag. */
export function parseLd64Args(argvIn: readonly string[]): Ld64Args {
  const argv = [...argvIn];
  let expansions = 0;
  const inputs: string[] = [];
  const libs: string[] = [];
  const frameworks: string[] = [];
  const rawLibPaths: string[] = [];
  const rawFrameworkPaths: string[] = [];
  const syslibroots: string[] = [];
  const kinds: Record<string, DylibLoadKind> = {};
  const warnings: string[] = [];
  const warned = new Set<string>();
  const lto: string[] = [];
  const o: Partial<LinkOptions> = {};
  const exported: string[] = [];
  const unexported: string[] = [];
  const undefinedAllowed: string[] = [];
  const forceUndefined: string[] = [];
  const forceLoad: string[] = [];
  const rpaths: string[] = [];
  const sectCreate: LinkOptions["sectCreate"] = [];
  const order: string[] = [];
  const aliases: LinkOptions["aliases"] = [];
  const whyLive: string[] = [];
  const astPaths: string[] = [];
  let kind: "execute" | "dylib" | "bundle" = "execute";
  let relocatable = false;
  let version = false;
  let help = false;
  let noDefaultPaths = false;
  let undefinedTreatment: UndefinedTreatment = "error";
  let arch = "x86_64";
  let timeTrace = false;
  let timeTraceFile: string | undefined;
  let archGiven = false;

  const addLib = (name: string, k: DylibLoadKind): void => {
    libs.push(name);
    if (k !== "normal") kinds[`-l${name}`] = k;
  };
  const addFramework = (spec: string, k: DylibLoadKind): void => {
    const name = spec.split(",")[0]!; // -framework NAME[,SUFFIX]: tsld looks for NAME only
    frameworks.push(name);
    if (k !== "normal") kinds[`-framework ${name}`] = k;
  };

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    // `@file` where an option or input may stand (never as a flag's value: `-install_name @rpath/x`).
    if (a.startsWith("@") && a.length > 1) {
      if (++expansions > 1000) throw new UsageError(`${a}: response files nest too deeply`);
      argv.splice(i, 1, ...readResponseFile(a));
      i--;
      continue;
    }
    if (!a.startsWith("-") || a === "-") {
      inputs.push(a);
      continue;
    }
    if (a === "--version") {
      version = true;
      continue;
    }
    if (a === "--help") {
      help = true;
      continue;
    }
    // lld's --threads=N: threads for the parallel passes.
    const th = /^--threads=(.*)$/.exec(a);
    if (th) {
      o.threads = parseThreads(th[1]!, "--threads=");
      continue;
    }
    // lld's spellings: --time-trace, --time-trace-file=FILE, --time-trace-granularity=N.
    const tt = /^--time-trace(?:-(file|granularity))?(?:=(.*))?$/.exec(a);
    if (tt) {
      if (tt[1] === "granularity") o.timeTraceGranularity = parseGranularity(tt[2] ?? "", a);
      else {
        timeTrace = true;
        if (tt[2] !== undefined) timeTraceFile = tt[2];
      }
      continue;
    }
    const body = a.slice(1);
    // Glued forms: -lNAME and its load-kind variants, -LDIR, -FDIR.
    if (!(body in LD64_FLAGS) || body === "l" || body === "L" || body === "F") {
      const glued = GLUED_LIBS.find(([p]) => body.startsWith(p) && body.length > p.length);
      if (glued) {
        addLib(body.slice(glued[0].length), glued[1]);
        continue;
      }
      if (/^[LF]./.test(body)) {
        (body[0] === "L" ? rawLibPaths : rawFrameworkPaths).push(body.slice(1));
        continue;
      }
    }
    const spec = LD64_FLAGS[body];
    if (!spec) throw new UsageError(`unknown option: ${a}${suggest(body, Object.keys(LD64_FLAGS))}`);
    if (i + spec.arity >= argv.length)
      throw new UsageError(`${a} needs ${spec.arity} argument${spec.arity > 1 ? "s" : ""}`);
    const args = argv.slice(i + 1, i + 1 + spec.arity);
    i += spec.arity;
    const v = args[0] ?? "";
    if (spec.lto) {
      lto.push([a, ...args].join(" "));
      continue;
    }
    if (spec.unimplemented !== undefined) {
      if (!warned.has(body)) warnings.push(`${a} is not implemented and is ignored: ${spec.unimplemented}`);
      warned.add(body);
      continue;
    }
    switch (body) {
      case "dynamic":
      case "no_deduplicate": // tsld never folds identical functions: what -no_deduplicate asks
      case "deduplicate": // folding identical functions is an optimisation; the output is correct without it
      case "demangle": // names in tsld's messages are the objects' own; C names read the same demangled
      case "twolevel_namespace": // the default
      case "pie": // the default for executables
      case "search_paths_first": // the default since Xcode 4, and tsld's
      case "no_application_extension":
      case "no_warn_duplicate_libraries":
      case "ld_classic":
      case "ld_new":
      case "no_objc_category_merging":
      case "reproducible": // tsld's output is always deterministic
      case "noall_load": // obsolete: the default
        break;
      case "static":
        throw new UsageError("-static: static executables (no dyld) are not supported; link a dynamic executable");
      case "r":
        relocatable = true;
        break;
      case "keep_private_externs": // -r keeps private externs as they are
        break;
      case "fixup_chains":
        o.fixupChains = true;
        break;
      case "no_fixup_chains":
        o.fixupChains = false;
        break;
      case "adhoc_codesign":
        o.adhocCodesign = true;
        break;
      case "no_adhoc_codesign":
        o.adhocCodesign = false;
        break;
      case "execute":
        kind = "execute";
        break;
      case "dylib":
        kind = "dylib";
        break;
      case "bundle":
        kind = "bundle";
        break;
      case "arch":
        arch = v;
        archGiven = true;
        break;
      case "o":
        o.output = v;
        break;
      case "platform_version": {
        const [plat, min, sdk] = args as [string, string, string];
        if (plat !== "macos" && plat !== "1")
          throw new UsageError(`-platform_version ${plat}: only macos is supported (tsld links for macOS)`);
        o.minOS = parseVersion(min, "platform_version");
        o.sdk = parseVersion(sdk, "platform_version");
        break;
      }
      case "macos_version_min":
      case "macosx_version_min":
        o.minOS = parseVersion(v, body);
        break;
      case "sdk_version":
        o.sdk = parseVersion(v, body);
        break;
      case "syslibroot":
        syslibroots.push(v);
        break;
      case "e":
        o.entry = v;
        break;
      case "u":
        forceUndefined.push(v);
        break;
      case "U":
        undefinedAllowed.push(v);
        break;
      case "undefined":
        if (v !== "error" && v !== "warning" && v !== "suppress" && v !== "dynamic_lookup")
          throw new UsageError(`-undefined ${v}: want error, warning, suppress or dynamic_lookup`);
        undefinedTreatment = v;
        break;
      case "flat_namespace":
        o.flatNamespace = true;
        break;
      case "bind_at_load":
        o.bindAtLoad = true;
        break;
      case "no_pie":
        o.noPie = true;
        break;
      case "dead_strip":
        o.deadStrip = true;
        break;
      case "dead_strip_dylibs":
        o.deadStripDylibs = true;
        break;
      case "exported_symbols_list":
        exported.push(...listFile(v, body));
        break;
      case "exported_symbol":
        exported.push(v);
        break;
      case "unexported_symbols_list":
        unexported.push(...listFile(v, body));
        break;
      case "unexported_symbol":
        unexported.push(v);
        break;
      case "alias":
        aliases.push({ target: args[0]!, alias: args[1]! });
        break;
      case "alias_list":
        for (const line of listFile(v, body)) {
          const [target, alias, extra] = line.split(/\s+/);
          if (!target || !alias || extra) throw new UsageError(`-alias_list ${v}: "${line}" is not "symbol alias"`);
          aliases.push({ target, alias });
        }
        break;
      case "init":
        o.initFunction = v;
        break;
      case "force_load":
        inputs.push(v);
        forceLoad.push(v);
        break;
      case "all_load":
        o.allLoad = true;
        break;
      case "ObjC":
        o.objc = true;
        break;
      case "l":
        addLib(v, "normal");
        break;
      case "L":
        rawLibPaths.push(v);
        break;
      case "F":
        rawFrameworkPaths.push(v);
        break;
      case "Z":
        noDefaultPaths = true;
        break;
      case "framework":
        addFramework(v, "normal");
        break;
      case "weak_framework":
        addFramework(v, "weak");
        break;
      case "needed_framework":
        addFramework(v, "needed");
        break;
      case "reexport_framework":
        addFramework(v, "reexport");
        break;
      case "needed_library":
      case "weak_library":
      case "reexport_library":
        inputs.push(v);
        kinds[v] = body.slice(0, body.indexOf("_")) as DylibLoadKind;
        break;
      case "search_dylibs_first":
        o.searchDylibsFirst = true;
        break;
      case "filelist": {
        const comma = v.lastIndexOf(",");
        const [file, dir] = comma > 0 ? [v.slice(0, comma), v.slice(comma + 1)] : [v, undefined];
        for (const p of listFile(file, body)) inputs.push(dir === undefined ? p : join(dir, p));
        break;
      }
      case "install_name":
      case "dylib_install_name":
        o.installName = v;
        break;
      case "current_version":
      case "dylib_current_version":
        // ld64 takes A.B.C.D.E here too and packs the first three.
        o.currentVersion = parseVersion(v.split(".").slice(0, 3).join("."), body);
        break;
      case "compatibility_version":
      case "dylib_compatibility_version":
        o.compatibilityVersion = parseVersion(v, body);
        break;
      case "rpath":
        rpaths.push(v);
        break;
      case "bundle_loader":
        o.bundleLoader = v;
        break;
      case "headerpad":
        o.headerpad = parseHex(v, body);
        break;
      case "headerpad_max_install_names":
        o.headerpadMaxInstallNames = true;
        break;
      case "sectcreate":
      case "segcreate":
        sectCreate.push({ segment: args[0]!, section: args[1]!, file: args[2]! });
        break;
      case "order_file":
        for (const line of listFile(v, body)) {
          const s = orderSymbol(line);
          if (s) order.push(s);
        }
        break;
      case "pagezero_size":
        o.pagezeroSize = parseHex(v, body);
        break;
      case "stack_size":
        o.stackSize = parseHex(v, body);
        if (o.stackSize % 0x1000 !== 0) throw new UsageError(`-stack_size ${v}: must be a multiple of the page size`);
        break;
      case "image_base":
      case "seg1addr":
        o.imageBase = parseHex(v, body);
        if (o.imageBase % 0x1000 !== 0) throw new UsageError(`-${body} ${v}: must be page-aligned`);
        break;
      case "map":
        o.mapFile = v;
        break;
      case "t":
        o.trace = true;
        break;
      case "why_live":
        whyLive.push(v);
        break;
      case "add_ast_path":
        astPaths.push(v);
        break;
      case "S":
        // No debug map (ld64: "do not put debug information (STABS or DWARF) in the output file").
        o.debugInfo = "none";
        break;
      case "x":
        o.stripSymbols = true;
        break;
      case "w":
        o.suppressWarnings = true;
        break;
      case "fatal_warnings":
        o.fatalWarnings = true;
        break;
      case "time_trace":
        timeTrace = true;
        break;
      case "time_trace_file":
        timeTrace = true;
        timeTraceFile = v;
        break;
      case "time_trace_granularity":
        o.timeTraceGranularity = parseGranularity(v, a);
        break;
      case "no_weak_imports":
        o.noWeakImports = true;
        break;
      case "v":
        version = true;
        break;
      case "help":
        help = true;
        break;
      default:
        throw new UsageError(`internal: ${a} is listed but not handled`);
    }
  }

  if (arch !== "x86_64" && arch !== "arm64") throw new UsageError(`-arch ${arch}: unknown architecture`);

  // -syslibroot, as ld64: a root of "/" means none; an absolute -L/-F
  // directory is looked for under each root, and used as given only if no
  // root has it; the default directories are searched under each root.
  const roots = syslibroots.filter((r) => r !== "/" && r !== "");
  const underRoots = (dirs: string[]): string[] =>
    dirs.flatMap((d) => {
      if (!isAbsolute(d) || roots.length === 0) return [d];
      const found = roots.map((r) => join(r, d)).filter((p) => existsSync(p));
      return found.length ? found : [d];
    });

  // ld64 (Options::checkIllegalOptionCombinations): leaving names undefined needs a flat namespace.
  if ((undefinedTreatment === "warning" || undefinedTreatment === "suppress") && !o.flatNamespace)
    throw new UsageError(
      `-undefined ${undefinedTreatment}: can't use -undefined warning or suppress with -twolevel_namespace (add -flat_namespace)`,
    );
  if (relocatable && kind !== "execute") throw new UsageError(`-r and -${kind} cannot be used together`);
  if (kind !== "execute" && o.noPie) throw new UsageError("-no_pie applies only to executables");
  if (kind === "execute" && (o.installName !== undefined || o.currentVersion || o.compatibilityVersion)) {
    const f =
      o.installName !== undefined ? "-install_name" : o.currentVersion ? "-current_version" : "-compatibility_version";
    throw new UsageError(`${f} applies only to -dylib output`);
  }
  if (o.bundleLoader !== undefined && kind !== "bundle")
    throw new UsageError("-bundle_loader applies only to -bundle output");
  if (kind !== "execute" && o.pagezeroSize !== undefined)
    throw new UsageError("-pagezero_size applies only to executables");
  if (kind === "execute" && o.initFunction !== undefined)
    throw new UsageError("-init applies only to -dylib and -bundle output");
  if (kind === "execute" && o.imageBase !== undefined)
    throw new UsageError("-image_base applies only to dylibs and bundles");
  if (!version && !help && inputs.length === 0 && libs.length === 0) throw new UsageError("no object files specified");
  // As lld: the trace beside the output unless a file is named.
  if (timeTrace) o.timeTrace = timeTraceFile ?? `${o.output ?? "a.out"}.time-trace`;

  const options = defaultOptions({
    // ld64 leaves DWARF in the objects and writes a STABS debug map for dsymutil.
    debugInfo: "stabs",
    // ld64 strips dead code before it reports duplicate symbols (lld deliberately does not).
    deadStripDuplicates: true,
    ...o,
    buildmode: kind === "execute" ? "exe" : "c-shared",
    linkmode: "internal",
    relocatable,
    bundle: kind === "bundle",
    arch,
    archExplicit: archGiven,
    inputs,
    libPaths: underRoots(rawLibPaths),
    libs,
    frameworkPaths: underRoots(rawFrameworkPaths),
    frameworks,
    syslibroot: noDefaultPaths ? [] : roots,
    rpaths,
    exportedSymbols: exported,
    unexportedSymbols: unexported,
    undefinedAllowed,
    undefinedTreatment,
    forceUndefined,
    forceLoad,
    dylibLoadKinds: kinds,
    deadStripDylibs: o.deadStripDylibs ?? false,
    sectCreate,
    order,
    aliases,
    whyLive,
    astPaths,
  });
  const notes = lto.length > 0 ? [`ignoring LTO options (tsld links no LLVM bitcode): ${lto.join(", ")}`] : [];
  return { options, version, help, warnings, notes };
}

/** The `-v` line: tsld's name and version, and the ld64 it follows (build tools look for "PROJECT:ld64"). */
export function ld64VersionLine(tsldVersion: string): string {
  return `@(#)PROGRAM:ld  PROJECT:ld64-${LD64_VERSION} (tsld ${tsldVersion}, a Mach-O linker in TypeScript, following ld64-${LD64_VERSION})\nconfigured to support archs: x86_64 arm64\n`;
}

/** `ld64.tsld --help`: the flags, one line each. */
export function ld64Usage(): string {
  const lines = ["usage: ld64.tsld [options] file...", "", "ld64's command line; flags tsld accepts:"];
  const names = Object.keys(LD64_FLAGS).sort((a, b) => a.localeCompare(b));
  for (const n of names) {
    const f = LD64_FLAGS[n]!;
    const note = f.lto ? " (ignored: LTO)" : f.unimplemented ? ` (ignored: ${f.unimplemented})` : "";
    lines.push(`  -${n}${f.arity ? ` <${f.arity} arg${f.arity > 1 ? "s" : ""}>` : ""}${note}`);
  }
  lines.push("  -lNAME -needed-lNAME -weak-lNAME -reexport-lNAME -LDIR -FDIR @responsefile");
  lines.push("  lld's: --threads=N --time-trace --time-trace-file=FILE --time-trace-granularity=N");
  return `${lines.join("\n")}\n`;
}
