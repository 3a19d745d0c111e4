/*
 * Build modes and link modes: what kind of image tsld produces and who writes
 * it.
 *
 * This mirrors Go's `cmd/link/internal/ld/config.go` (the `BuildMode` and
 * `LinkMode` flag values, `mustLinkExternal`, `determineLinkMode`), the
 * `DynlinkingGo` and `UseRelro` predicates from `ld/link.go` and `ld/target.go`,
 * and the support matrix of `internal/platform/supported.go`
 * (`BuildModeSupported`, `InternalLinkPIESupported`). No Go code is copied; the
 * rules are restated as small pure functions over strings.
 *
 * Parsing follows config.go: an unknown string is `invalid buildmode: "X"`, a
 * known one the platform lacks is `-buildmode=X not supported on GOOS/GOARCH`
 * (cmd/go's spelling of the message). `exe` on darwin/arm64 (and windows/arm64)
 * becomes `pie`, because everything is PIE there. `""` and `default` (cmd/go's
 * name) mean `exe`.
 *
 * Dynamic linking of Go code. Go's `DynlinkingGo()` is true for
 * `-buildmode=shared`, `-buildmode=plugin`, `-linkshared`, and for a host
 * program that imports package `plugin` (`CanUsePlugins`). It is NOT true for
 * `c-shared`: a c-shared library is a dynamic library, but its Go code is
 * linked statically into it and nothing in it is looked up across images by
 * Go. tsld follows Go exactly: `dynlinking("c-shared")` is false. So for
 * c-shared tsld keeps section markers as zero-size specials, adds `_` only to
 * C names and exports only cgo exports; for plugin (and a plugin host) it lays
 * the markers out as real symbols, prefixes every non-local name with `_`, and
 * links with `-flat_namespace` and `-bind_at_load` (the seed change, Go
 * 73e7a569, and issue 38824).
 *
 * Link modes. Go forces external linking for c-archive, c-shared, plugin and
 * shared. tsld's internal linker writes MH_DYLIB images itself, so its
 * `mustLinkExternal` only reports what tsld cannot do internally:
 *   - c-archive: the result is an `ar` archive of objects for a C toolchain,
 *     which tsld does not write; `-linkmode=external` hands it to the host.
 *   - shared: an ELF-only mode; tsld has no internal ELF writer.
 *   - pie where Go's `InternalLinkPIESupported` is false.
 *   - ios/arm64, which Go's `MustLinkExternal` always links externally.
 * exe, pie, c-shared and plugin link internally on darwin.
 */

export type BuildMode = "exe" | "pie" | "c-shared" | "c-archive" | "plugin" | "shared";
export type LinkMode = "internal" | "external";
/** The `-linkmode` flag before resolution: `auto` lets the build mode decide. */
export type LinkModeFlag = LinkMode | "auto";

/** A bad `-buildmode` or `-linkmode`, with Go's message text. */
export class BuildModeError extends Error {
  override name = "BuildModeError";
}

const BUILD_MODES: readonly BuildMode[] = ["exe", "pie", "c-shared", "c-archive", "plugin", "shared"];

function isBuildMode(s: string): s is BuildMode {
  return (BUILD_MODES as readonly string[]).includes(s);
}

/**
 * Ports Go knows about (`internal/platform` `distInfo`, from `zosarch.go`).
 * `BuildModeSupported` rejects every mode on a pair outside this list.
 */
const KNOWN_PORTS = new Set([
  "aix/ppc64",
  "android/386",
  "android/amd64",
  "android/arm",
  "android/arm64",
  "darwin/amd64",
  "darwin/arm64",
  "dragonfly/amd64",
  "freebsd/386",
  "freebsd/amd64",
  "freebsd/arm",
  "freebsd/arm64",
  "freebsd/riscv64",
  "illumos/amd64",
  "ios/amd64",
  "ios/arm64",
  "js/wasm",
  "linux/386",
  "linux/amd64",
  "linux/arm",
  "linux/arm64",
  "linux/loong64",
  "linux/mips",
  "linux/mips64",
  "linux/mips64le",
  "linux/mipsle",
  "linux/ppc64",
  "linux/ppc64le",
  "linux/riscv64",
  "linux/s390x",
  "netbsd/386",
  "netbsd/amd64",
  "netbsd/arm",
  "netbsd/arm64",
  "openbsd/386",
  "openbsd/amd64",
  "openbsd/arm",
  "openbsd/arm64",
  "openbsd/ppc64",
  "openbsd/riscv64",
  "plan9/386",
  "plan9/amd64",
  "plan9/arm",
  "solaris/amd64",
  "wasip1/wasm",
  "windows/386",
  "windows/amd64",
  "windows/arm",
  "windows/arm64",
]);

const C_SHARED_PORTS = new Set([
  "linux/amd64",
  "linux/arm",
  "linux/arm64",
  "linux/loong64",
  "linux/386",
  "linux/ppc64",
  "linux/ppc64le",
  "linux/riscv64",
  "linux/s390x",
  "android/amd64",
  "android/arm",
  "android/arm64",
  "android/386",
  "freebsd/amd64",
  "freebsd/arm",
  "freebsd/arm64",
  "darwin/amd64",
  "darwin/arm64",
  "windows/amd64",
  "windows/386",
  "windows/arm64",
  "wasip1/wasm",
]);

const PIE_PORTS = new Set([
  "linux/386",
  "linux/amd64",
  "linux/arm",
  "linux/arm64",
  "linux/loong64",
  "linux/ppc64",
  "linux/ppc64le",
  "linux/riscv64",
  "linux/s390x",
  "android/amd64",
  "android/arm",
  "android/arm64",
  "android/386",
  "freebsd/amd64",
  "darwin/amd64",
  "darwin/arm64",
  "ios/amd64",
  "ios/arm64",
  "aix/ppc64",
  "openbsd/arm64",
  "windows/386",
  "windows/amd64",
  "windows/arm64",
]);

const SHARED_PORTS = new Set([
  "linux/386",
  "linux/amd64",
  "linux/arm",
  "linux/arm64",
  "linux/ppc64",
  "linux/ppc64le",
  "linux/s390x",
]);

const PLUGIN_PORTS = new Set([
  "linux/amd64",
  "linux/arm",
  "linux/arm64",
  "linux/386",
  "linux/loong64",
  "linux/riscv64",
  "linux/s390x",
  "linux/ppc64",
  "linux/ppc64le",
  "android/amd64",
  "android/386",
  "darwin/amd64",
  "darwin/arm64",
  "freebsd/amd64",
]);

const C_ARCHIVE_LINUX_ARCHES = new Set([
  "386",
  "amd64",
  "arm",
  "armbe",
  "arm64",
  "arm64be",
  "loong64",
  "ppc64",
  "ppc64le",
  "riscv64",
  "s390x",
]);

const INTERNAL_LINK_PIE_PORTS = new Set([
  "android/arm64",
  "darwin/amd64",
  "darwin/arm64",
  "linux/amd64",
  "linux/arm64",
  "linux/loong64",
  "linux/ppc64",
  "linux/ppc64le",
  "linux/s390x",
  "windows/386",
  "windows/amd64",
  "windows/arm64",
]);

/** Go's GOARCH spelling for tsld's Mach-O arch names (x86_64 → amd64). */
function goarchName(goarch: string): string {
  return goarch === "x86_64" ? "amd64" : goarch;
}

/**
 * Whether goos/goarch supports `mode` with the gc toolchain: the matrix of
 * `internal/platform.BuildModeSupported`. Accepts `x86_64` as a synonym of
 * `amd64`.
 */
export function buildModeSupported(mode: BuildMode, goos: string, goarch: string): boolean {
  const arch = goarchName(goarch);
  const port = `${goos}/${arch}`;
  if (!KNOWN_PORTS.has(port)) return false;
  switch (mode) {
    case "exe":
      return true;
    case "pie":
      return PIE_PORTS.has(port);
    case "c-shared":
      return C_SHARED_PORTS.has(port);
    case "shared":
      return SHARED_PORTS.has(port);
    case "plugin":
      return PLUGIN_PORTS.has(port);
    case "c-archive":
      switch (goos) {
        case "aix":
        case "darwin":
        case "ios":
        case "windows":
          return true;
        case "linux":
          return C_ARCHIVE_LINUX_ARCHES.has(arch);
        case "freebsd":
          return arch === "amd64" || arch === "arm" || arch === "arm64";
        default:
          return false;
      }
  }
}

/**
 * Parse a `-buildmode` value for goos/goarch, as config.go's `BuildMode.Set`.
 * `""` and `default` mean `exe`; `exe` becomes `pie` on darwin/arm64 and
 * windows/arm64 (and windows/arm), where everything is PIE.
 */
export function parseBuildMode(s: string, goos: string, goarch: string): BuildMode {
  const name = s === "" || s === "default" ? "exe" : s;
  if (!isBuildMode(name)) {
    throw new BuildModeError(`invalid buildmode: ${JSON.stringify(s)}`);
  }
  const arch = goarchName(goarch);
  if (!buildModeSupported(name, goos, arch)) {
    throw new BuildModeError(`-buildmode=${name} not supported on ${goos}/${arch}`);
  }
  if (name === "exe") {
    switch (`${goos}/${arch}`) {
      case "darwin/arm64":
      case "windows/arm":
      case "windows/arm64":
        return "pie";
    }
  }
  return name;
}

/**
 * Parse a `-linkmode` value: `internal`, `external` or `auto` (also `""`).
 * `auto` is resolved by `determineLinkMode`.
 */
export function parseLinkMode(s: string): LinkModeFlag {
  switch (s) {
    case "":
    case "auto":
      return "auto";
    case "internal":
    case "external":
      return s;
    default:
      throw new BuildModeError(`invalid linkmode: ${JSON.stringify(s)}`);
  }
}

/**
 * Why tsld must hand this link to the host linker, or undefined if its
 * internal linker can do it. Narrower than Go's `mustLinkExternal` (see the
 * file comment): plugin and c-shared link internally in tsld.
 */
export function mustLinkExternal(mode: BuildMode, goos: string, goarch: string): string | undefined {
  const arch = goarchName(goarch);
  if (goos === "ios" && arch === "arm64") return `${goos}/${arch} requires external linking`;
  switch (mode) {
    case "c-archive":
      return "buildmode=c-archive";
    case "shared":
      return "buildmode=shared";
    case "pie":
      if (!INTERNAL_LINK_PIE_PORTS.has(`${goos}/${arch}`)) return "buildmode=pie";
      return undefined;
    default:
      return undefined;
  }
}

/**
 * Resolve a `-linkmode` flag as config.go's `determineLinkMode`: `auto` picks
 * external only when required; `internal` when external is required is an
 * error with Go's text.
 */
export function determineLinkMode(flag: LinkModeFlag, mode: BuildMode, goos: string, goarch: string): LinkMode {
  const reason = mustLinkExternal(mode, goos, goarch);
  switch (flag) {
    case "auto":
      return reason === undefined ? "internal" : "external";
    case "internal":
      if (reason !== undefined) {
        throw new BuildModeError(`internal linking requested but external linking required: ${reason}`);
      }
      return "internal";
    case "external":
      return "external";
  }
}

/** Inputs to `dynlinking` beyond the build mode; both default to false. */
export interface DynlinkingExtra {
  /** Go's `-linkshared`: linking against Go shared libraries (not in tsld). */
  linkShared?: boolean;
  /** Go's `CanUsePlugins`: the program imports package plugin (a plugin host). */
  canUsePlugins?: boolean;
}

/**
 * Go's `DynlinkingGo()`: Go code in this image may be resolved across image
 * boundaries at run time. True for plugin and shared (and -linkshared or a
 * plugin host); false for c-shared, whose Go code is self-contained.
 */
export function dynlinking(mode: BuildMode, extra: DynlinkingExtra = {}): boolean {
  return mode === "plugin" || mode === "shared" || extra.linkShared === true || extra.canUsePlugins === true;
}

/**
 * Whether the Mach-O output is MH_DYLIB: c-shared and plugin (Go links both
 * with `-dynamiclib`). `shared` never reaches the Mach-O writer (ELF only).
 */
export function isDylibOutput(mode: BuildMode): boolean {
  return mode === "c-shared" || mode === "plugin";
}

/**
 * Whether the output is a position-independent executable (MH_PIE): `pie`
 * always; `exe` too, since darwin links PIE by default (`DefaultPIE`), unless
 * `-no_pie` asked otherwise. Libraries and archives are not executables.
 */
export function isPIE(mode: BuildMode, noPie: boolean): boolean {
  if (mode === "pie") return true;
  if (mode === "exe") return !noPie;
  return false;
}

/**
 * Go's `UseRelro` on darwin (or another `headtype`): read-only-after-relocation
 * data goes to `__DATA_CONST` for c-archive, c-shared, shared, pie and plugin,
 * and always on arm64 (where everything is PIE). On ELF the same modes use
 * `-z relro`; elsewhere only those modes on darwin/aix.
 */
export function usesRelro(mode: BuildMode, arch: string, headtype = "darwin"): boolean {
  switch (mode) {
    case "c-archive":
    case "c-shared":
    case "shared":
    case "pie":
    case "plugin":
      // ELF hosts, darwin and aix; not PE, plan9 or wasm.
      return !["windows", "plan9", "js", "wasip1"].includes(headtype);
    default:
      return headtype === "darwin" && goarchName(arch) === "arm64";
  }
}
