// Real C programs nobody here wrote: zlib's and bzip2's own test programs,
// compiled by the Debian fixture builders, linked by tsld, run under the
// loader and checked against the packages' `make test` expectations (and
// against the same programs linked by ld64.lld).
import { join } from "node:path";
import {
  buildDebianProgramAsync,
  debianProgram,
  linkDebianProgram,
  runImage,
  type DebianBuild,
  type DebianPackage,
  type DebianRun,
} from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { tmp, tsld } from "./helpers.js";

const SLOW = 900_000;

function report(image: string, runs: DebianRun[]): string[] {
  const outcomes = runImage(image, runs);
  expect(outcomes.length).toBe(runs.length);
  return outcomes.map((o) => `${o.failures.length === 0 ? "ok" : "FAIL"} ${o.run.label} ${o.failures.join("; ")}`);
}

const CASES: [DebianPackage, string[]][] = [
  ["zlib", ["example", "minigzip"]],
  ["bzip2", ["bzip2"]],
];

describe.each(CASES)("Debian %s linked by tsld", (pkg, programs) => {
  let build: DebianBuild | undefined;
  const get = async (): Promise<DebianBuild> => (build ??= await buildDebianProgramAsync(pkg));

  it.each(programs)(
    "%s passes its own tests like the lld-linked one",
    async (name) => {
      const b = await get();
      const prog = debianProgram(b, name);
      const out = join(tmp(), `${pkg}-${name}`);
      const r = await tsld(["-o", out, ...prog.objects, ...b.libObjects]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const theirs = report(linkDebianProgram(b, name), prog.runs);
      expect(theirs.filter((l) => l.startsWith("FAIL"))).toEqual([]);
      const ours = report(out, prog.runs);
      expect(
        ours.filter((l) => l.startsWith("FAIL")),
        ours.join("\n"),
      ).toEqual([]);
      // With -dead_strip too.
      const ds = `${out}.ds`;
      const r2 = await tsld(["-dead_strip", "-o", ds, ...prog.objects, ...b.libObjects]);
      expect(r2.status, r2.stderr).toBe(0);
      const stripped = report(ds, prog.runs);
      expect(
        stripped.filter((l) => l.startsWith("FAIL")),
        stripped.join("\n"),
      ).toEqual([]);
    },
    SLOW,
  );
});
