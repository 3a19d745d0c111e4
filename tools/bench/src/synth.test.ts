// The synthetic generator's objects link with ld64.lld-19 and with tsld (in
// process, from source). No timing assertions: this only checks the inputs.
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "@tsld/cli";
import { libSystemTbdDir, lldBaseArgs, linkWithLld } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { parseStages } from "./measure.js";
import { synthSource, synthWorkload } from "./synth.js";

describe("synthetic workload generator", () => {
  it("references only earlier objects, so prefixes are closed workloads", () => {
    const src = synthSource(5, 30);
    for (const m of src.matchAll(/_[fg](\d+)_\d+/g)) expect(Number(m[1])).toBeLessThanOrEqual(5);
    expect(synthSource(0, 30)).toContain("_main:");
  });

  it("produces objects that ld64.lld-19 and tsld both link", async () => {
    const w = await synthWorkload({ objects: 4, functions: 20 });
    expect(w.objects).toHaveLength(4);
    expect(w.inputBytes).toBeGreaterThan(0);
    const dir = mkdtempSync(join(tmpdir(), "tsld-bench-"));
    const lldOut = join(dir, "a.lld");
    linkWithLld(w.objects, lldOut);
    expect(statSync(lldOut).size).toBeGreaterThan(0);
    const tsldOut = join(dir, "a.tsld");
    let stderr = "";
    const status = await main(["-v", ...lldBaseArgs(tsldOut), ...w.objects, "-L", libSystemTbdDir(), "-lSystem"], {
      stdout: () => {},
      stderr: (s) => (stderr += s),
    });
    expect(stderr.split("\n").filter((l) => /error/.test(l))).toEqual([]);
    expect(status).toBe(0);
    expect(existsSync(tsldOut)).toBe(true);
    expect(Object.keys(parseStages(stderr))).toContain("loadObjects");
  });
});
