// The synthetic generator's objects link with ld64.lld-19 and with tsld (in
// process, from source); the arm64 ones also run under the arm64 loader. No
// timing assertions: this only checks the inputs.
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "@tsld/cli";
import { spawnSync } from "node:child_process";
import { libSystemTbdDir, lldBaseArgs, linkWithLld, requireTool } from "@tsld/fixtures";
import { runMachO } from "@tsld/macho-exec";
import { describe, expect, it } from "vitest";
import { parseStages } from "./measure.js";
import { synthSource, synthSourceArm64, synthWorkload } from "./synth.js";

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

  it("arm64: the same program, linked by ld64.lld-19 -arch arm64 and by tsld, runs under the arm64 loader", async () => {
    for (const m of synthSourceArm64(5, 30).matchAll(/_[fg](\d+)_\d+/g)) expect(Number(m[1])).toBeLessThanOrEqual(5);
    const w = await synthWorkload({ objects: 4, functions: 20, arch: "arm64" });
    const dir = mkdtempSync(join(tmpdir(), "tsld-bench-a64-"));
    const lib = ["-L", libSystemTbdDir("arm64"), "-lSystem"];
    const lldOut = join(dir, "a.lld");
    const lld = spawnSync(requireTool("ld64.lld-19"), [...lldBaseArgs(lldOut, "arm64"), ...w.objects, ...lib], {
      encoding: "utf8",
    });
    expect(lld.stderr).toBe("");
    expect(lld.status).toBe(0);
    const tsldOut = join(dir, "a.tsld");
    let stderr = "";
    const status = await main([...lldBaseArgs(tsldOut, "arm64"), ...w.objects, ...lib], {
      stdout: () => {},
      stderr: (s) => (stderr += s),
    });
    expect(stderr).toBe("");
    expect(status).toBe(0);
    // main calls f0_0(0) (a GOT load, a store to zero-fill) and strlen through its stub; both exit 0.
    for (const out of [lldOut, tsldOut]) {
      const r = runMachO(out);
      expect(r.stderr, out).toBe("");
      expect(r.status, out).toBe(0);
    }
  }, 120_000);
});
