/**
 * Link options: everything the CLI (or an API caller) decides before the
 * first stage runs. Stages read them from `ctx.options`; nothing mutates them
 * after the link starts.
 */
import type { BuildMode, LinkMode } from "./buildmode.js";

export type ArchName = "x86_64" | "arm64";

/**
 * How a dylib is loaded (ld64's `-weak-l`, `-needed-l`, `-reexport-l` and
 * their `_library`/`_framework` forms): the load command it gets.
 * - `normal`: LC_LOAD_DYLIB;
 * - `weak`: LC_LOAD_WEAK_DYLIB, and every import from it is a weak import
 *   (bound to 0 when the library or symbol is missing at run time);
 * - `needed`: LC_LOAD_DYLIB kept even under `-dead_strip_dylibs`;
 * - `reexport`: LC_REEXPORT_DYLIB (its exports are this dylib's).
 */
export type DylibLoadKind = "normal" | "weak" | "needed" | "reexport";

/** What to do with symbols nobody defines (ld64's `-undefined`). */
/** How debug information reaches the output (see `LinkOptions.debugInfo`). */
export type DebugInfo = "stabs" | "dwarf" | "none";

export type UndefinedTreatment = "error" | "warning" | "suppress" | "dynamic_lookup";

export interface LinkOptions {
  /** Output path (`-o`). */
  output: string;
  /** Go's `-buildmode`: exe, pie, c-shared, c-archive, plugin. */
  buildmode: BuildMode;
  /** Go's `-linkmode`: internal (tsld writes the image) or external (host linker). */
  linkmode: LinkMode;
  /**
   * `-r`: relocatable output, one `MH_OBJECT` merging the inputs (sections
   * by name, symbols kept, relocations re-emitted, undefined symbols left
   * undefined) instead of an image.
   */
  relocatable: boolean;
  arch: ArchName;
  /** `-arch` was given; otherwise the first input object's CPU type decides `arch` (objfile's `chooseArch`). */
  archExplicit?: boolean;
  /** Input files (objects, archives, TBDs, dylibs) in command-line order. */
  inputs: string[];
  /** `-L` directories, in order. */
  libPaths: string[];
  /** `-l` names, in order (without `lib` and suffix). */
  libs: string[];
  /** `-F` directories, in order. */
  frameworkPaths: string[];
  /** `-framework` names, in order. */
  frameworks: string[];
  /** `-syslibroot` directories: library search also looks under each. */
  syslibroot: string[];
  /** Entry symbol (`-e`), Mach-O spelling; default `_main`. */
  entry: string;
  /** `-dead_strip`. */
  deadStrip: boolean;
  /**
   * With `deadStrip`: two strong definitions of one name are an error only
   * if both survive dead stripping (ld64's order: strip, then report;
   * ld64.tsld's default). Off, the duplicate is reported at resolution, as
   * lld does (lld spells ld64's way `--dead-strip-duplicates`).
   */
  deadStripDuplicates: boolean;
  /** `-s`: omit the symbol table's local symbols (and debug info). */
  stripSymbols: boolean;
  /**
   * What debug information the image carries: `"dwarf"`, the objects'
   * DWARF merged into a `__DWARF` segment (Go's linker; the `tsld` CLI,
   * whose `-w` makes it `"none"`); `"stabs"`, a STABS debug map in the
   * symbol table that points `dsymutil` at the objects, whose DWARF stays
   * there (ld64 and lld; `ld64.tsld`, whose `-S` makes it `"none"`);
   * `"none"`, neither.
   */
  debugInfo: DebugInfo;
  /**
   * `-add_ast_path`: Swift/Clang module (AST) files the debug map names, one
   * `N_AST` entry each (path and mtime) ahead of the objects' entries, for
   * dsymutil; only with `debugInfo` `"stabs"`.
   */
  astPaths: string[];
  /** `-v`: print each stage's time. */
  verbose: boolean;
  /** `-map FILE`. */
  mapFile?: string;
  /**
   * `-time_trace` (lld's `--time-trace`): write a Chrome trace-event JSON
   * of every pass and worker task to this path (the CLIs default it to
   * `<output>.time-trace`, as lld does).
   */
  timeTrace?: string;
  /** Spans shorter than this many µs are left out of the time trace (lld's default: 500). */
  timeTraceGranularity: number;
  /**
   * `--threads N` (lld's): threads for the parallel passes, the main thread
   * and N−1 workers; default `os.availableParallelism()`. Links with less
   * than `MIN_PARALLEL_INPUT_BYTES` of objects and archives on the command
   * line use no workers whatever N is.
   */
  threads?: number;
  /** `-extld`: the host linker for `-linkmode=external` (default `clang`). */
  extld?: string;
  /** `-extldflags`, split on spaces. */
  extldflags: string[];
  /**
   * External linking: inputs handed to the host linker as they are (host
   * objects, as Go's cgo objects), not merged into `go.o`. Default: none,
   * every input goes into `go.o`.
   */
  hostObjects: string[];
  /**
   * `-tmpdir`: where external linking writes `go.o` and the host linker's
   * command line (`hostlink.argv`), kept after the link; default a fresh
   * temporary directory, removed afterwards.
   */
  tmpdir?: string;
  /**
   * `-r` with Go's markers (hostlink's `go.o`): define the referenced
   * section markers in the object, laid out at the head and tail of their
   * sections (start markers 8 bytes when dynamically linking), and give
   * non-local Go names a `_` when dynamically linking.
   */
  goObject: boolean;
  /** `-no_pie` (x86_64 exe only). */
  noPie: boolean;
  /** `-bind_at_load`; implied for plugins (Go issue 38824). */
  /**
   * LC_DYLD_CHAINED_FIXUPS instead of dyld opcodes (`-fixup_chains` /
   * `-no_fixup_chains`); undefined: as ld64.lld-19 chooses (on for PIE images
   * whose macOS deployment target is 13.0 or later).
   */
  fixupChains?: boolean;
  bindAtLoad: boolean;
  /** `-flat_namespace`; implied for plugins. */
  flatNamespace: boolean;
  /**
   * `-undefined TREATMENT`: what an undefined symbol is. `error` (the
   * default) reports it; `warning` (reports it as a warning), `suppress` and
   * `dynamic_lookup` make it a flat-lookup bind. ld64 accepts `warning` and
   * `suppress` only with a flat namespace.
   */
  undefinedTreatment: UndefinedTreatment;
  /** `-U SYM`: symbols that may stay undefined (bound by flat lookup; weak imports when only weakly referenced). */
  undefinedAllowed: string[];
  /**
   * `-exported_symbol(s_list)`: patterns (ld64's wildcards `*`, `?`,
   * `[...]`) of the only global symbols exported; every other one becomes a
   * private extern. Matching symbols are dead-strip roots.
   */
  exportedSymbols: string[];
  /** `-unexported_symbol(s_list)`: patterns of global symbols made private extern. */
  unexportedSymbols: string[];
  /** `-u name`: names to treat as referenced (pull archive members defining them). */
  forceUndefined: string[];
  /** `-force_load path`: archives whose every member is loaded (the paths are also in `inputs`). */
  forceLoad: string[];
  /** `-all_load`: load every member of every archive. */
  allLoad: boolean;
  /** `-ObjC`: load archive members that define Objective-C classes or categories. */
  objc: boolean;
  /**
   * Dylibs loaded other than normally, keyed as they were named: `-lNAME`,
   * `-framework NAME`, or a path (as given in `inputs`).
   */
  dylibLoadKinds: Record<string, DylibLoadKind>;
  /**
   * Drop LC_LOAD_DYLIB for dylibs nothing binds to (ld64's
   * `-dead_strip_dylibs`). tsld's Go-style CLI always does; ld64.tsld only
   * when asked, as ld64. libSystem and `needed` dylibs are always kept.
   */
  deadStripDylibs: boolean;
  /** `-search_dylibs_first`: look for a dylib in every directory before any archive. */
  searchDylibsFirst: boolean;
  /** `-headerpad_max_install_names`: room for every dylib path to grow to MAXPATHLEN. */
  headerpadMaxInstallNames: boolean;
  /** `-sectcreate SEG SECT FILE`: sections made from a file's bytes. */
  sectCreate: { segment: string; section: string; file: string }[];
  /**
   * `-order_file`: symbol names in the order their atoms are laid out within
   * each section; a name may carry an arch prefix (`arm64:_f`), which keeps it
   * to links for that arch.
   */
  order: string[];
  /** `-init name`: a function run as an initializer before the others. */
  initFunction?: string;
  /** `-pagezero_size` (bytes; executables). */
  pagezeroSize: number;
  /** `-stack_size` (bytes, LC_MAIN's stacksize; 0 = the default). */
  stackSize: number;
  /** `-image_base` (dylibs and bundles): the address of the mach header. */
  imageBase: number;
  /** `-alias`/`-alias_list`: `alias` is another global name for `target`. */
  aliases: { target: string; alias: string }[];
  /** `-t`: print every file loaded. */
  trace: boolean;
  /** `-why_live name`: print the chain of references that keeps it under -dead_strip. */
  whyLive: string[];
  /** `-w`: suppress warnings. */
  suppressWarnings: boolean;
  /** `-fatal_warnings`: a warning fails the link. */
  fatalWarnings: boolean;
  /** `-no_weak_imports`: a weak import (a name allowed to be missing at run time) is an error. */
  noWeakImports: boolean;
  /** `-install_name` for dylibs. */
  installName?: string;
  /** `-current_version`, `-compatibility_version` (packed xxxx.yy.zz). */
  currentVersion: number;
  compatibilityVersion: number;
  /** `-rpath` entries. */
  rpaths: string[];
  /** `-bundle` output (MH_BUNDLE) rather than a dylib, with `-bundle_loader`. */
  bundle: boolean;
  bundleLoader?: string;
  /** `-platform_version macos MIN SDK` (packed); 0 = take from inputs, else 11.0. */
  minOS: number;
  sdk: number;
  /**
   * `-adhoc_codesign` / `-no_adhoc_codesign`: end the image with an ad-hoc
   * code signature (LC_CODE_SIGNATURE). Default as ld64.lld: on for arm64
   * macOS, off for x86_64 (`defaultAdhocCodesign`); undefined until the
   * arch is known (objfile's `chooseArch` settles it).
   */
  adhocCodesign?: boolean;
  /** `-headerpad` bytes reserved after the load commands. */
  headerpad: number;
  /** Use the built-in libSystem TBD when no SDK provides one (default true). */
  builtinLibSystem: boolean;
  /** Link libSystem at all (`-nostdlib` turns it off). */
  linkLibSystem: boolean;
  /**
   * Lay section markers out as real symbols when dynamically linking
   * (the seed change). Only tests turn this off, to show what breaks.
   */
  markersAsSymbols: boolean;
  /**
   * Go's `CanUsePlugins`: this executable loads plugins, so it is linked as
   * dynamically linked Go (markers as real exported `_`-prefixed symbols,
   * flat namespace, bind at load). Also turned on when an input defines
   * `plugin.Open` (Go's package plugin).
   */
  canUsePlugins: boolean;
}

/** Whether images for `arch` are signed unless told otherwise (ld64.lld's rule: arm64 macOS kernels refuse unsigned code). */
export function defaultAdhocCodesign(arch: ArchName): boolean {
  return arch === "arm64";
}

/** Defaults for every option; callers override what they set. */
export function defaultOptions(overrides: Partial<LinkOptions> = {}): LinkOptions {
  return {
    output: "a.out",
    buildmode: "exe",
    linkmode: "internal",
    relocatable: false,
    arch: "x86_64",
    inputs: [],
    libPaths: [],
    libs: [],
    frameworkPaths: [],
    frameworks: [],
    syslibroot: [],
    entry: "_main",
    deadStrip: false,
    deadStripDuplicates: false,
    stripSymbols: false,
    debugInfo: "dwarf",
    astPaths: [],
    verbose: false,
    timeTraceGranularity: 500,
    extldflags: [],
    hostObjects: [],
    goObject: false,
    noPie: false,
    bindAtLoad: false,
    flatNamespace: false,
    undefinedTreatment: "error",
    undefinedAllowed: [],
    exportedSymbols: [],
    unexportedSymbols: [],
    forceUndefined: [],
    forceLoad: [],
    allLoad: false,
    objc: false,
    dylibLoadKinds: {},
    deadStripDylibs: true,
    searchDylibsFirst: false,
    headerpadMaxInstallNames: false,
    sectCreate: [],
    order: [],
    pagezeroSize: 0x100000000,
    stackSize: 0,
    imageBase: 0,
    aliases: [],
    trace: false,
    whyLive: [],
    suppressWarnings: false,
    fatalWarnings: false,
    noWeakImports: false,
    currentVersion: 0x10000,
    compatibilityVersion: 0x10000,
    rpaths: [],
    bundle: false,
    minOS: 0,
    sdk: 0,
    headerpad: 32,
    archExplicit: overrides.arch !== undefined,
    // Settled with the arch (defaultAdhocCodesign) unless the caller says.
    adhocCodesign:
      (overrides.archExplicit ?? overrides.arch !== undefined)
        ? defaultAdhocCodesign(overrides.arch ?? "x86_64")
        : undefined,
    builtinLibSystem: true,
    linkLibSystem: true,
    markersAsSymbols: true,
    canUsePlugins: false,
    ...overrides,
  };
}
