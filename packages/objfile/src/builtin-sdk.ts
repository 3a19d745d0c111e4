/**
 * tsld's built-in SDK: the text stubs a link falls back to when neither
 * `-L`/`-F` directories nor a `-syslibroot` provide a library, so that a
 * link on any host (no Xcode) resolves what macOS programs import, as it
 * would against Apple's SDK:
 *
 * - `libSystem.B.dylib` for `-lSystem` and the names that are libSystem on
 *   macOS (`-lc`, `-lm`, `-lpthread`, `-ldl`, `-linfo`, …: in Apple's SDK
 *   each is a symlink to `libSystem.tbd`);
 * - `libresolv.9.dylib` for `-lresolv` (its own library on macOS);
 * - `CoreFoundation`, `Security` and `IOKit` for `-framework NAME`.
 *
 * The stubs are TBD v4 documents made by `tools/sdk/gen-sdk.mjs` from
 * Apple's open-source headers and export lists (data/sdk-sources.json
 * records the sources), embedded in the module by scripts/embed-tbd.mjs.
 * They are read here with a scanner for the generator's own spelling
 * (`exports:` entries of `targets:` and `symbols:` flow lists), not the
 * general YAML reader: the libSystem stub has thousands of names and a
 * small link's start-up reads it every time. A unit test checks that the
 * scanner and `parseTbd` agree on every stub.
 */
import { builtinStubTbds } from "./builtin-libsystem.js";
import { TbdError, type TbdLibrary } from "./tbd.js";

/** The prefix of every built-in stub's path (what diagnostics and `-t` show). */
export const BUILTIN_PREFIX = "<tsld built-in>/";

/** Built-in library names → stub: `-lNAME` falls back to these. */
const LIBRARIES: Readonly<Record<string, string>> = {
  System: "libSystem",
  c: "libSystem",
  m: "libSystem",
  pthread: "libSystem",
  dl: "libSystem",
  info: "libSystem",
  dbm: "libSystem",
  poll: "libSystem",
  proc: "libSystem",
  rpcsvc: "libSystem",
  resolv: "libresolv",
};

/** Built-in frameworks (`-framework NAME` falls back to these). */
const FRAMEWORKS = new Set(["CoreFoundation", "Security", "IOKit"]);

/** Whether `-lNAME` is libSystem on macOS (`libNAME.tbd` a symlink to `libSystem.tbd` in the SDK). */
export function isLibSystemName(name: string): boolean {
  return LIBRARIES[name] === "libSystem";
}

/** The built-in stub's path for `-lNAME`, or undefined if there is none. */
export function builtinLibraryPath(name: string): string | undefined {
  const stub = LIBRARIES[name];
  return stub ? `${BUILTIN_PREFIX}usr/lib/${stub}.tbd` : undefined;
}

/** The built-in stub's path for `-framework NAME`, or undefined if there is none. */
export function builtinFrameworkStubPath(name: string): string | undefined {
  return FRAMEWORKS.has(name) ? `${BUILTIN_PREFIX}System/Library/Frameworks/${name}.framework/${name}.tbd` : undefined;
}

/** The TBD text of the built-in stub at `path` (a path from the two functions above), or undefined. */
export function builtinStubText(path: string): string | undefined {
  if (!path.startsWith(BUILTIN_PREFIX)) return undefined;
  const base = path.slice(path.lastIndexOf("/") + 1).replace(/\.tbd$/, "");
  return Object.hasOwn(builtinStubTbds, base) ? builtinStubTbds[base] : undefined;
}

/**
 * Reads a built-in stub for `arch` ("x86_64" or "arm64"): install name,
 * versions and the names exported on `arch`'s macOS target. Throws
 * TbdError on text that is not in the generator's spelling.
 */
export function readBuiltinStub(text: string, arch: string): TbdLibrary {
  const field = (k: string): string | undefined => {
    const m = new RegExp(`^${k}:\\s*'?([^'\\n]*?)'?\\s*$`, "m").exec(text);
    return m?.[1];
  };
  const installName = field("install-name");
  if (!installName) throw new TbdError("built-in stub has no install-name");
  const lib: TbdLibrary = {
    installName,
    currentVersion: version(field("current-version")),
    compatibilityVersion: version(field("compatibility-version")),
    exports: new Map(),
    reexportedLibraries: [],
  };
  const at = text.indexOf("\nexports:\n");
  if (at < 0) throw new TbdError("built-in stub has no exports");
  const target = `${arch}-macos`;
  const entry = /- targets:\s*\[([^\]]*)\]\s*\n\s*symbols:\s*\[([^\]]*)\]/g;
  entry.lastIndex = at;
  for (let m = entry.exec(text); m; m = entry.exec(text)) {
    if (!m[1]!.split(",").some((t) => t.trim() === target)) continue;
    for (const raw of m[2]!.split(",")) {
      const s = raw.trim();
      if (s) lib.exports.set(s.startsWith("'") ? s.slice(1, -1).replace(/''/g, "'") : s, 0);
    }
  }
  return lib;
}

function version(v: string | undefined): number {
  if (!v) return 0x10000;
  const [a = "0", b = "0", c = "0"] = v.split(".");
  return ((Number(a) & 0xffff) << 16) | ((Number(b) & 0xff) << 8) | (Number(c) & 0xff);
}
