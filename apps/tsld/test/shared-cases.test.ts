/**
 * The shared cases: small inputs written from public Mach-O linker bug
 * reports, kept beside the repository in `../shared/cases/NN-name/`. Each has
 * a `run.sh` that builds its inputs, links them with `$TSLD` against the test
 * SDK `$SDK`, runs the program under `$MACHORUN` and prints PASS or FAIL. The
 * project's own tests hold each fault's right value; this runs the reports
 * themselves, as written, against the built `tsld` command.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { libSystemTbdDir, repoRoot } from "@tsld/fixtures";
import { buildLoader } from "@tsld/macho-exec";
import { describe, expect, test } from "vitest";
import { tmp } from "./helpers.js";

const casesDir = join(repoRoot(), "..", "shared", "cases");
const cases = existsSync(casesDir)
  ? readdirSync(casesDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(casesDir, d.name, "run.sh")))
      .map((d) => d.name)
      .sort()
  : [];
const tsldBin = join(repoRoot(), "apps/tsld/bin/tsld.cjs");

describe.skipIf(cases.length === 0)("shared cases from public bug reports (../shared/cases)", () => {
  let sdk = "";
  let machorun = "";
  test.each(cases)("%s prints PASS", (name) => {
    expect(existsSync(join(repoRoot(), "apps/tsld/dist/lib/index.cjs")), "the CLI bundle: run `pnpm build` first").toBe(
      true,
    );
    if (!sdk) {
      sdk = tmp("tsld-sdk-");
      mkdirSync(join(sdk, "usr"), { recursive: true });
      symlinkSync(libSystemTbdDir(), join(sdk, "usr", "lib"));
      machorun = buildLoader("any"); // runs each image with the loader for its CPU type
    }
    // run.sh writes work/ beside itself; the shared copy is read-only.
    const dir = join(tmp("tsld-case-"), name);
    cpSync(join(casesDir, name), dir, { recursive: true });
    const r = spawnSync("bash", [join(dir, "run.sh")], {
      env: { ...process.env, TSLD: tsldBin, SDK: sdk, MACHORUN: machorun },
      encoding: "utf8",
      timeout: 240_000,
    });
    const last = `${r.stdout}`.trim().split("\n").pop() ?? "";
    expect(last, `${r.stdout}\n${r.stderr}`).toMatch(/^PASS/);
  });
});
