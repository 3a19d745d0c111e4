#!/usr/bin/env node
// Runs the whole vitest suite, then the end-to-end tests again with every
// image linked with chained fixups and an ad-hoc code signature
// (TSLD_FIXUP_CHAINS=1 TSLD_ADHOC_CODESIGN=1: each program then runs under
// the loader from chained fixups, each signed image passes the verifier),
// and prints the plain closing line CI reads ("tests: N passed, N failed[,
// N skipped]"). Exits non-zero if either pass fails. Arguments go to the
// first pass only; `--no-chained` skips the second.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vitest = join(root, "node_modules/.bin/vitest");
const args = process.argv.slice(2).filter((a) => a !== "--no-chained");
const chained = !process.argv.includes("--no-chained") && args.length === 0;

/** Tests that read tsld's images but ignore the encoding flags (CLI binaries, input fuzzing, scale). */
const NOT_ENCODING = ["fuzz", "scale", "bad-input", "ld64-clients", "shared-cases", "go-external"];

function pass(name, extraArgs, env) {
  const out = join(root, `.cache/vitest-results-${name}.json`);
  mkdirSync(dirname(out), { recursive: true });
  rmSync(out, { force: true });
  const r = spawnSync(vitest, ["run", "--reporter=default", "--reporter=json", `--outputFile=${out}`, ...extraArgs], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, ...env },
  });
  const counts = { passed: 0, failed: 0, skipped: 0, status: r.status ?? 1 };
  try {
    const j = JSON.parse(readFileSync(out, "utf8"));
    counts.passed = j.numPassedTests;
    counts.failed = j.numFailedTests;
    counts.skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  } catch {
    // no results file: vitest failed before running anything
  }
  return counts;
}

const runs = [pass("all", args, {})];
if (chained) {
  console.log("\n== end-to-end tests again: chained fixups and ad-hoc signatures on every image ==\n");
  const exclude = NOT_ENCODING.flatMap((n) => ["--exclude", `**/${n}.test.ts`]);
  runs.push(
    pass("chained-signed", ["apps/tsld/test", ...exclude], { TSLD_FIXUP_CHAINS: "1", TSLD_ADHOC_CODESIGN: "1" }),
  );
}
const sum = (k) => runs.reduce((a, r) => a + r[k], 0);
const skipped = sum("skipped");
console.log(`tests: ${sum("passed")} passed, ${sum("failed")} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(runs.every((r) => r.status === 0) ? 0 : 1);
