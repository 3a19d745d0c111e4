// -time_trace (lld's --time-trace): a Chrome trace-event JSON of the link's
// passes. Every pass link.ts names is a complete ("X") event inside the run's
// own span, totals come per name, granularity drops short spans, ld64.tsld
// takes lld's spellings, and a trace that cannot be written fails the link.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { libSystemTbdDir } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { main } from "../src/index.js";
import { ARCH, compileC, runMachO, tmp, tsld } from "./helpers.js";

const SRC = `#include <stdio.h>
int main(void) { printf("traced\\n"); return 0; }
`;

interface Event {
  ph: string;
  name: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  args?: Record<string, string>;
}

const readTrace = (p: string): Event[] => (JSON.parse(readFileSync(p, "utf8")) as { traceEvents: Event[] }).traceEvents;

/** The passes of link.ts's internal pipeline that every link runs. */
const PASSES = [
  "loadObjects",
  "chooseTarget",
  "assignSections",
  "scanRelocations",
  "createSynthetic",
  "buildSegments",
  "assignAddresses",
  "fixups",
  "planLinkedit",
  "writeContents",
  "writeHeader",
  "saveImage",
];

async function ld64(args: string[]): Promise<{ status: number; stderr: string }> {
  let stderr = "";
  const status = await main(
    ["-arch", ARCH, "-platform_version", "macos", "11.0", "11.0", "-L", libSystemTbdDir(), "-lSystem", ...args],
    { stdout: () => {}, stderr: (s) => (stderr += s) },
    "ld64",
  );
  return { status, stderr };
}

describe("-time_trace", () => {
  const obj = compileC(SRC, { name: "time-trace" });

  it("writes <output>.time-trace with every pass as an X event inside the run's span", async () => {
    const out = join(tmp(), "prog");
    const r = await tsld(["-time_trace", "-time_trace_granularity", "0", "-o", out, obj]);
    expect(r.status, r.stderr).toBe(0);
    expect(runMachO(out).stdout).toBe("traced\n");
    const ev = readTrace(`${out}.time-trace`);
    const run = ev.find((e) => e.ph === "X" && e.name === "tsld")!;
    expect(run.ts).toBe(0);
    for (const p of PASSES) {
      const e = ev.find((x) => x.ph === "X" && x.name === p && x.tid === 0);
      expect(e, p).toBeDefined();
      expect(Number.isInteger(e!.ts) && Number.isInteger(e!.dur)).toBe(true);
      expect(e!.ts + e!.dur!).toBeLessThanOrEqual(run.dur! + 1);
    }
    // Passes run one after another: their spans are in start order and do not overlap.
    const spans = PASSES.map((p) => ev.find((x) => x.ph === "X" && x.name === p && x.tid === 0)!);
    for (let i = 1; i < spans.length; i++)
      expect(spans[i]!.ts).toBeGreaterThanOrEqual(spans[i - 1]!.ts + spans[i - 1]!.dur!);
    // One total per pass name, on rows of their own; metadata names the process.
    const total = ev.find((e) => e.name === "Total loadObjects")!;
    expect(total.args?.count).toBe("1");
    expect(total.tid).toBeGreaterThan(0);
    expect(ev.find((e) => e.ph === "M" && e.name === "process_name")?.args?.name).toBe("tsld");
  });

  it("-time_trace_file names the file; a granularity of 100 s keeps only the totals", async () => {
    const dir = tmp();
    const trace = join(dir, "t.json");
    const r = await tsld([
      "-time_trace_file",
      trace,
      "-time_trace_granularity",
      "100000000",
      "-o",
      join(dir, "p"),
      obj,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const ev = readTrace(trace);
    expect(ev.some((e) => e.name === "loadObjects")).toBe(false);
    expect(ev.some((e) => e.name === "Total loadObjects")).toBe(true);
  });

  it("ld64.tsld takes lld's --time-trace and --time-trace-file=", async () => {
    const dir = tmp();
    const out = join(dir, "p");
    expect((await ld64(["--time-trace", "-o", out, obj])).status).toBe(0);
    // The pass's total, which no granularity drops (its own span, ~0.5 ms here, is at the default 500 µs cut-off).
    expect(readTrace(`${out}.time-trace`).some((e) => e.name === "Total planLinkedit")).toBe(true);
    const named = join(dir, "named.json");
    expect((await ld64([`--time-trace-file=${named}`, "-o", join(dir, "q"), obj])).status).toBe(0);
    const ev = readTrace(named);
    expect(ev.find((e) => e.ph === "M" && e.name === "process_name")?.args?.name).toBe("ld64.tsld");
  });

  it("a trace that cannot be written fails the link and leaves no output", async () => {
    const dir = tmp();
    const out = join(dir, "p");
    const r = await tsld(["-time_trace_file", join(dir, "no-such-dir", "t.json"), "-o", out, obj]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot write the time trace .*no-such-dir/);
    expect(existsSync(out)).toBe(false);
  });

  it("a bad granularity is a usage error", async () => {
    const r = await tsld(["-time_trace", "-time_trace_granularity", "fast", "-o", join(tmp(), "p"), obj]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('bad granularity "fast"');
  });
});
