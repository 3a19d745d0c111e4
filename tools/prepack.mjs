#!/usr/bin/env node
// `prepack` of every published package: packing needs the built dist/. Run
// from the package's directory (npm and pnpm do). Builds the package when its
// dist/ is missing (dependencies are external, so this package alone), and
// refuses, exit 1, if the build did not produce what package.json points at.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.cwd();
const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
/** Every file the package's entry points name (exports, main, types, bin). */
function entryFiles() {
  const out = new Set();
  const walk = (v) => {
    if (typeof v === "string") {
      if (v.startsWith("./dist/") || v.startsWith("./bin/")) out.add(v);
    } else if (v && typeof v === "object") for (const x of Object.values(v)) walk(x);
  };
  walk(pkg.publishConfig?.exports ?? pkg.exports);
  walk(pkg.main);
  walk(pkg.types);
  walk(pkg.bin);
  return [...out];
}
const missing = () => entryFiles().filter((f) => !existsSync(join(dir, f)));
if (missing().length > 0) {
  process.stderr.write(`prepack ${pkg.name}: dist/ is not built; building it (pnpm run build)\n`);
  try {
    execFileSync("pnpm", ["run", "build"], { cwd: dir, stdio: "inherit" });
  } catch {
    // reported below
  }
}
const still = missing();
if (still.length > 0) {
  process.stderr.write(`prepack ${pkg.name}: refusing to pack without ${still.join(", ")} (run pnpm build first)\n`);
  process.exit(1);
}
for (const f of ["README.md", "LICENSE"]) {
  if (!existsSync(join(dir, f))) {
    process.stderr.write(`prepack ${pkg.name}: refusing to pack without ${f}\n`);
    process.exit(1);
  }
}
