#!/usr/bin/env node
// Runs the whole vitest suite, then prints the plain closing line CI reads
// ("tests: N passed, N failed[, N skipped]") and exits with vitest's status.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, ".cache/vitest-results.json");
mkdirSync(dirname(out), { recursive: true });
rmSync(out, { force: true });
const vitest = join(root, "node_modules/.bin/vitest");
const r = spawnSync(
  vitest,
  ["run", "--reporter=default", "--reporter=json", `--outputFile=${out}`, ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: "inherit",
  },
);
let line = "tests: 0 passed, 0 failed";
try {
  const j = JSON.parse(readFileSync(out, "utf8"));
  const skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  line = `tests: ${j.numPassedTests} passed, ${j.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`;
} catch {
  // no results file: vitest failed before running anything
}
console.log(line);
process.exit(r.status ?? 1);
