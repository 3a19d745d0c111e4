/**
 * Library search as ld64 does it: for `-lNAME`, each `-L` directory in
 * order, then `/usr/lib` and `/usr/local/lib` under each `-syslibroot`;
 * in each directory `libNAME.tbd`, then `libNAME.dylib`, then `libNAME.a`.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

export function findLibrary(
  name: string,
  libPaths: readonly string[],
  syslibroots: readonly string[],
): string | undefined {
  const dirs = [...libPaths];
  for (const root of syslibroots) dirs.push(join(root, "usr/lib"), join(root, "usr/local/lib"));
  for (const dir of dirs) {
    for (const ext of [".tbd", ".dylib", ".a"]) {
      const p = join(dir, `lib${name}${ext}`);
      if (existsSync(p)) return p;
    }
  }
  return undefined;
}
