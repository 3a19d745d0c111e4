#!/usr/bin/env node
// Runs the whole vitest suite, then the end-to-end tests again with every
// image linked with chained fixups and an ad-hoc code signature
// (TSLD_FIXUP_CHAINS=1 TSLD_ADHOC_CODESIGN=1: each program then runs under
// the loader from chained fixups, each signed image passes the verifier),
// then the end-to-end tests a third time for arm64 (TSLD_TEST_ARCH=arm64:
// every fixture is compiled for arm64, linked by tsld and ld64.lld-19
// against the arm64 libSystem and run under the arm64 loader, qemu-aarch64;
// arm64 images are signed by default and use fixups as their platform
// version asks, as lld's), and prints the plain closing line CI reads
// ("tests: N passed, N failed[, N skipped]"). Exits non-zero if any pass
// fails. Arguments go to the first pass only; `--no-chained` skips the
// second pass, `--no-arm64` the third, `--arm64-only` runs the third alone.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vitest = join(root, "node_modules/.bin/vitest");
const FLAGS = ["--no-chained", "--no-arm64", "--arm64-only"];
const args = process.argv.slice(2).filter((a) => !FLAGS.includes(a));
const arm64Only = process.argv.includes("--arm64-only");
const chained = !arm64Only && !process.argv.includes("--no-chained") && args.length === 0;
const arm64 = !process.argv.includes("--no-arm64") && args.length === 0;

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

/**
 * End-to-end files the arm64 pass leaves out, each with why: what they test
 * is covered for arm64 elsewhere or is not the arch's, or they would take
 * the pass past its time budget (about 12 minutes on CI's two cores).
 */
const NOT_ARM64 = {
  "arm64-*": "arm64 by construction (thunks, PAGEOFF12 scaling, lld lit comparisons); they run in the first pass",
  debian: "links every Debian package for x86_64 and arm64 already",
  fat: "builds its x86_64 and arm64 slices explicitly; both run in the first pass",
  "ld64-flags": "ld64.tsld's flag parsing over x86 assembly, -arch mixing for both arches; no program runs",
  "relocatable-debian": "Debian packages again (-r of arm64 objects is in arm64-run); minutes under qemu",
  "ld64-debian": "Debian packages through clang for x86_64-apple-macos11 (clang's own target)",
  "ld64-clients": "zlib's configure and clang for CHOST=x86_64-apple-darwin (the clients' target)",
  "builtin-sdk-programs": "Debian packages and Go's darwin/amd64 go.o against the built-in SDK; minutes",
  "exports-parity": "Debian packages' export sets, arch-independent; a minute per arch",
  "go-external": "Go's darwin/amd64 external link (Go's arm64 link has its own tests)",
  "hostlink-go": "Go's darwin/amd64 external link (Go's arm64 link has its own tests)",
  "go-plugin-cgo": "Go 1.19 plugin with cgo for darwin/amd64",
  fuzz: "mutated inputs and their errors, no program runs",
  "bad-input": "malformed inputs and their errors, no program runs",
  scale: "link time on large inputs, no program runs",
  "shared-cases": "the shared cases' run.sh scripts pick their own target",
};

// The first two passes are x86_64's whatever the caller's environment says.
const runs = arm64Only ? [] : [pass("all", args, { TSLD_TEST_ARCH: "x86_64" })];
if (chained) {
  console.log("\n== end-to-end tests again: chained fixups and ad-hoc signatures on every image ==\n");
  const exclude = NOT_ENCODING.flatMap((n) => ["--exclude", `**/${n}.test.ts`]);
  runs.push(
    pass("chained-signed", ["apps/tsld/test", ...exclude], {
      TSLD_FIXUP_CHAINS: "1",
      TSLD_ADHOC_CODESIGN: "1",
      TSLD_TEST_ARCH: "x86_64",
    }),
  );
}
if (arm64) {
  console.log("\n== end-to-end tests again for arm64: every program built for arm64, run under qemu-aarch64 ==\n");
  const exclude = Object.keys(NOT_ARM64).flatMap((n) => ["--exclude", `**/${n}.test.ts`]);
  const t0 = Date.now();
  runs.push(pass("arm64", ["apps/tsld/test", ...exclude], { TSLD_TEST_ARCH: "arm64" }));
  console.log(`arm64 pass: ${((Date.now() - t0) / 60000).toFixed(1)} min`);
}
const sum = (k) => runs.reduce((a, r) => a + r[k], 0);
const skipped = sum("skipped");
console.log(`tests: ${sum("passed")} passed, ${sum("failed")} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(runs.every((r) => r.status === 0) ? 0 : 1);
