// Real C programs nobody here wrote: zlib's and bzip2's own test programs
// (and, on arm64, sqlite3's shell running SQL), compiled by the Debian
// fixture builders, linked by tsld, run under the loader and checked
// against the packages' own expectations (and against the same programs
// linked by ld64.lld), for x86_64 and arm64 (run under qemu-aarch64 by the
// arm64 loader).
import { join } from "node:path";
import {
  buildDebianProgramAsync,
  debianProgram,
  libSystemTbdDir,
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

const CASES: [DebianPackage, "x86_64" | "arm64", string[]][] = [
  ["zlib", "x86_64", ["example", "minigzip"]],
  ["bzip2", "x86_64", ["bzip2"]],
  ["zlib", "arm64", ["example", "minigzip"]],
  ["bzip2", "arm64", ["bzip2"]],
  ["sqlite3", "arm64", ["sqlite3"]],
];

describe.each(CASES)("Debian %s (%s) linked by tsld", (pkg, arch, programs) => {
  let build: DebianBuild | undefined;
  const get = async (): Promise<DebianBuild> => (build ??= await buildDebianProgramAsync(pkg, { arch }));
  // The libSystem TBD for the case's arch (the helper's default is the suite's arch's).
  const link = (args: string[]) => tsld(["-L", libSystemTbdDir(arch), ...args], { hostLibSystem: false });

  it.each(programs)(
    "%s passes its own tests like the lld-linked one",
    async (name) => {
      const b = await get();
      const prog = debianProgram(b, name);
      const out = join(tmp(), `${pkg}-${name}`);
      const r = await link(["-o", out, ...prog.objects, ...b.libObjects]);
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
      const r2 = await link(["-dead_strip", "-o", ds, ...prog.objects, ...b.libObjects]);
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
