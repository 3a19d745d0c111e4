/**
 * Library search as ld64 does it: for `-lNAME`, each `-L` directory in
 * order, then `/usr/lib` and `/usr/local/lib` under each `-syslibroot`;
 * in each directory `libNAME.tbd`, then `libNAME.dylib`, then `libNAME.a`
 * (with `-search_dylibs_first`, every directory for a dylib before any for
 * an archive).
 * For `-framework NAME`, each `-F` directory, then
 * `/System/Library/Frameworks` and `/Library/Frameworks` under each
 * `-syslibroot`; in each `NAME.framework/NAME.tbd`, then `NAME.framework/NAME`.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

export function findLibrary(
  name: string,
  libPaths: readonly string[],
  syslibroots: readonly string[],
  dylibsFirst = false,
): string | undefined {
  const dirs = [...libPaths];
  for (const root of syslibroots) dirs.push(join(root, "usr/lib"), join(root, "usr/local/lib"));
  // -search_paths_first (the default): each directory in turn, dylib then archive.
  // -search_dylibs_first: every directory for a dylib, then every directory for an archive.
  const passes = dylibsFirst ? [[".tbd", ".dylib"], [".a"]] : [[".tbd", ".dylib", ".a"]];
  for (const exts of passes) {
    for (const dir of dirs) {
      for (const ext of exts) {
        const p = join(dir, `lib${name}${ext}`);
        if (existsSync(p)) return p;
      }
    }
  }
  return undefined;
}

export function findFramework(
  name: string,
  frameworkPaths: readonly string[],
  syslibroots: readonly string[],
): string | undefined {
  const dirs = [...frameworkPaths];
  for (const root of syslibroots) dirs.push(join(root, "System/Library/Frameworks"), join(root, "Library/Frameworks"));
  for (const dir of dirs) {
    for (const leaf of [`${name}.tbd`, name]) {
      const p = join(dir, `${name}.framework`, leaf);
      if (existsSync(p)) return p;
    }
  }
  return undefined;
}
