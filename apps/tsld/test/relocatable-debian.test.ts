// Relocatable output on real code nobody here wrote: each Debian program's
// objects (with its library) merged by `tsld -r`, then linked by ld64.lld-19
// and by tsld. The four images (the objects linked directly by lld and by
// tsld, the merged object linked by lld and by tsld) pass the package's own
// tests and behave identically on every run (status, stdout bytes, stderr);
// `-r` of the merged object writes the same bytes again.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  buildDebianProgramAsync,
  debianProgram,
  linkDebianProgramAsync,
  linkWithLldAsync,
  requireTool,
  run,
  outcomeFailures,
  runBehaviour,
  runImage,
  type DebianPackage,
} from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { tmp, tsld } from "./helpers.js";

const SLOW = 1_200_000;

const CASES: [DebianPackage, string][] = [
  ["zlib", "example"],
  ["bzip2", "bzip2"],
  ["sqlite3", "sqlite3"],
  ["lua", "lua"],
];

/** Links `inputs` with tsld into `out`; fails the test unless it links cleanly. */
async function tsldLink(inputs: string[], out: string): Promise<string> {
  const r = await tsld(["-o", out, ...inputs]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return out;
}

describe.each(CASES)("Debian %s through tsld -r", (pkg, name) => {
  it(
    `${name}: objects → tsld -r → lld and tsld run as the objects linked directly`,
    async () => {
      const b = await buildDebianProgramAsync(pkg);
      const prog = debianProgram(b, name);
      const objects = [...prog.objects, ...b.libObjects];
      const dir = tmp("tsld-r-deb-");
      const merged = join(dir, `${name}.o`);
      const r = await tsld(["-r", "-o", merged, ...objects], { hostLibSystem: false });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      // llvm-objdump reads the relocations and the symbol table without a warning.
      const od = spawnSync(requireTool("llvm-objdump-19"), ["--macho", "-r", "-t", merged], {
        encoding: "utf8",
        maxBuffer: 1 << 28,
      });
      expect(od.stderr).toBe("");
      expect(od.status).toBe(0);
      const viaLld = join(dir, `${name}.r.lld`);
      await linkWithLldAsync([merged], viaLld);
      const images = {
        "direct lld": await linkDebianProgramAsync(b, name),
        "direct tsld": await tsldLink(objects, join(dir, `${name}.tsld`)),
        "-r then lld": viaLld,
        "-r then tsld": await tsldLink([merged], join(dir, `${name}.r.tsld`)),
      };
      // One pass of the package's runs per image: each passes its checks, and all behave alike.
      const outcomes = Object.entries(images).map(([how, image]) => ({ how, image, runs: runImage(image, prog.runs) }));
      for (const o of outcomes) expect(outcomeFailures(o.runs), o.how).toEqual([]);
      // The inputs' data-in-code entries (clang's jump tables) reach lld's image as from the objects.
      const dice = (image: string): string =>
        run(requireTool("llvm-objdump-19"), ["--macho", "--data-in-code", image]).replace(/^.*\n/, "");
      expect(dice(viaLld)).toBe(dice(images["direct lld"]));
      const want = runBehaviour(outcomes[0]!.image, outcomes[0]!.runs);
      for (const o of outcomes) expect(runBehaviour(o.image, o.runs), o.how).toEqual(want);
      const again = join(dir, `${name}.again.o`);
      expect((await tsld(["-r", "-o", again, merged], { hostLibSystem: false })).status).toBe(0);
      expect(readFileSync(again).equals(readFileSync(merged))).toBe(true);
    },
    SLOW,
  );
});
