/**
 * Link options: everything the CLI (or an API caller) decides before the
 * first stage runs. Stages read them from `ctx.options`; nothing mutates them
 * after the link starts.
 */
import type { BuildMode, LinkMode } from "./buildmode.js";

export type ArchName = "x86_64" | "arm64";

export interface LinkOptions {
  /** Output path (`-o`). */
  output: string;
  /** Go's `-buildmode`: exe, pie, c-shared, c-archive, plugin. */
  buildmode: BuildMode;
  /** Go's `-linkmode`: internal (tsld writes the image) or external (host linker). */
  linkmode: LinkMode;
  arch: ArchName;
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
  /** `-s`: omit the symbol table's local symbols (and debug info). */
  stripSymbols: boolean;
  /** `-w`: omit DWARF. */
  stripDwarf: boolean;
  /** `-v`: print each stage's time. */
  verbose: boolean;
  /** `-map FILE`. */
  mapFile?: string;
  /** `-extld`: the host linker for `-linkmode=external` (default `clang`). */
  extld?: string;
  /** `-extldflags`, split on spaces. */
  extldflags: string[];
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
  /** `-undefined dynamic_lookup`: undefined symbols become flat-lookup binds. */
  undefinedDynamicLookup: boolean;
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

/** Defaults for every option; callers override what they set. */
export function defaultOptions(overrides: Partial<LinkOptions> = {}): LinkOptions {
  return {
    output: "a.out",
    buildmode: "exe",
    linkmode: "internal",
    arch: "x86_64",
    inputs: [],
    libPaths: [],
    libs: [],
    frameworkPaths: [],
    frameworks: [],
    syslibroot: [],
    entry: "_main",
    deadStrip: false,
    stripSymbols: false,
    stripDwarf: false,
    verbose: false,
    extldflags: [],
    noPie: false,
    bindAtLoad: false,
    flatNamespace: false,
    undefinedDynamicLookup: false,
    currentVersion: 0x10000,
    compatibilityVersion: 0x10000,
    rpaths: [],
    bundle: false,
    minOS: 0,
    sdk: 0,
    headerpad: 32,
    builtinLibSystem: true,
    linkLibSystem: true,
    markersAsSymbols: true,
    canUsePlugins: false,
    ...overrides,
  };
}
