// Where the bench keeps generated inputs (.cache/bench/) and results
// (bench/results/), both under the repository root and git-ignored.
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { repoRoot } from "@tsld/fixtures";

/** `<repo>/.cache/bench[/sub...]`, created on demand. */
export function benchCacheDir(...sub: string[]): string {
  const dir = resolve(repoRoot(), ".cache", "bench", ...sub);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** `<repo>/bench/results` (with `traces/` for the workloads' time traces, `traces/other-build/` for `--tsld`'s), created on demand. */
export function resultsDir(): string {
  const dir = resolve(repoRoot(), "bench", "results");
  mkdirSync(resolve(dir, "traces", "other-build"), { recursive: true });
  return dir;
}
