// Relocatable output on real code nobody here wrote: each Debian program's
// objects (with its library) merged by `tsld -r`, then linked by ld64.lld-19
// and by tsld; both pass the package's own tests like the directly linked
// program, and `-r` of the merged object writes the same bytes again.
import { execFile, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  buildDebianProgramAsync,
  debianProgram,
  executeRuns,
  lldBaseArgs,
  libSystemTbdDir,
  requireTool,
  type DebianPackage,
  type DebianRun,
  type RunResult,
  type Runner,
} from "@tsld/fixtures";
import { buildLoader } from "@tsld/macho-exec";
import { describe, expect, it } from "vitest";
import { tmp, tsld } from "./helpers.js";

const SLOW = 1_200_000;

/** ld64.lld-19 as `linkWithLld` runs it, but without blocking the worker (sqlite3 is large). */
function lld(objects: string[], out: string): Promise<void> {
  const args = [...lldBaseArgs(out), ...objects, "-L", libSystemTbdDir(), "-lSystem"];
  return new Promise((resolve, reject) => {
    execFile(requireTool("ld64.lld-19"), args, { maxBuffer: 64 << 20 }, (err, _o, stderr) =>
      err ? reject(new Error(`ld64.lld-19 failed:\n${stderr}`)) : resolve(),
    );
  });
}

function loaderRunner(image: string): Runner {
  return (args, stdin, cwd): RunResult => {
    const r = spawnSync(buildLoader(), [image, ...args], {
      cwd,
      input: stdin,
      timeout: 120_000,
      maxBuffer: 256 * 1024 * 1024,
    });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
}

function failures(image: string, runs: DebianRun[]): string[] {
  return executeRuns(runs, loaderRunner(image))
    .filter((o) => o.failures.length > 0)
    .map((o) => `${o.run.label}: ${o.failures.join("; ")}`);
}

const CASES: [DebianPackage, string][] = [
  ["zlib", "example"],
  ["bzip2", "bzip2"],
  ["sqlite3", "sqlite3"],
];

describe.each(CASES)("Debian %s through tsld -r", (pkg, name) => {
  it(
    `${name}: objects → tsld -r → lld and tsld pass the package's tests`,
    async () => {
      const b = await buildDebianProgramAsync(pkg);
      const prog = debianProgram(b, name);
      const dir = tmp("tsld-r-deb-");
      const merged = join(dir, `${name}.o`);
      const r = await tsld(["-r", "-o", merged, ...prog.objects, ...b.libObjects], { hostLibSystem: false });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const od = spawnSync("llvm-objdump-19", ["--macho", "-r", "-t", merged], {
        encoding: "utf8",
        maxBuffer: 1 << 28,
      });
      expect(od.stderr).toBe("");
      const viaLld = join(dir, `${name}.lld`);
      await lld([merged], viaLld);
      expect(failures(viaLld, prog.runs)).toEqual([]);
      const viaTsld = join(dir, `${name}.tsld`);
      const l = await tsld(["-o", viaTsld, merged]);
      expect(l.stderr).toBe("");
      expect(l.status).toBe(0);
      expect(failures(viaTsld, prog.runs)).toEqual([]);
      const again = join(dir, `${name}.again.o`);
      expect((await tsld(["-r", "-o", again, merged], { hostLibSystem: false })).status).toBe(0);
      expect(readFileSync(again).equals(readFileSync(merged))).toBe(true);
    },
    SLOW,
  );
});
