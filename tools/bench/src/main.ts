// `pnpm bench`: tsld against ld64.lld-19 on the same inputs, in the same run
// (x86_64 workloads, and arm64 ones against ld64.lld-19 -arch arm64).
// Usage: main.ts [--quick] [--runs N] [--only NAME[,NAME...]] [--tsld PATH]
// (--tsld benchmarks another build's bin/tsld.cjs, e.g. a copy of main's, instead of this tree's.)
// Prints markdown tables to stdout and writes JSON to bench/results/.
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  buildDebianProgramAsync,
  debianProgram,
  debianSourceDir,
  type DebianPackage,
  libSystemTbdDir,
  lldBaseArgs,
  repoRoot,
  requireTool,
  toolVersion,
} from "@tsld/fixtures";
import { countGcs, haveGnuTime, median, type RunSample, runOnce } from "./measure.js";
import { benchCacheDir, resultsDir } from "./paths.js";
import { type SynthArch, synthWorkload } from "./synth.js";

interface Workload {
  name: string;
  kind: "synthetic" | "synthetic -g" | "debian" | "fixed cost";
  objects: string[];
  inputBytes: number;
  note?: string;
  /** Part of the scaling series. */
  scaling?: boolean;
  /** tsld uses its built-in libSystem TBD (no -L/-lSystem): shows the cost of reading the generated TBD. */
  tsldBuiltinLibSystem?: boolean;
  /** The objects carry DWARF (-g): the debug-info sides run too (ld64.tsld's STABS map, lld + dsymutil). */
  debug?: boolean;
  /** The objects' arch (default x86_64): both linkers get `-arch` and that arch's libSystem TBD. */
  arch?: SynthArch;
}

interface SideResult {
  ok: boolean;
  runs: number;
  wallMs?: number;
  maxRssKb?: number;
  outBytes?: number;
  error?: string;
  samplesMs: number[];
  stages?: Record<string, number>;
}

interface WorkloadResult {
  name: string;
  kind: string;
  objects: number;
  inputBytes: number;
  note?: string;
  scaling?: boolean;
  tsld: SideResult;
  /** tsld with `-threads 1` (no workers), measured alternating with the default. */
  tsld1?: SideResult;
  /** tsld1 / tsld wall time: what the default thread count gains over one thread. */
  speedup?: number;
  lld: SideResult;
  floor?: SideResult;
  ratio?: number;
  rssRatio?: number;
  /** tsld's `-time_trace` of this workload (one extra, unmeasured run), relative to bench/results. */
  timeTrace?: string;
  /** Garbage collections in that run (`node --trace-gc`). */
  gc?: { scavenges: number; markCompacts: number };
  /** -g inputs: `ld64.tsld` (STABS debug map, DWARF left in the objects, as ld64 and lld). */
  stabs?: SideResult;
  /** -g inputs: `ld64.lld-19` then `dsymutil-19` (what gets a user the debuggable result tsld's __DWARF gives). */
  lldDsymutil?: SideResult;
}

interface Options {
  quick: boolean;
  runs: number;
  /** Wall-clock budget for the measuring phase; runs per workload shrink to fit. */
  budgetMs: number;
  only?: Set<string>;
  /** The tsld launcher to benchmark (default: this tree's apps/tsld/bin/tsld.cjs). */
  tsld?: string;
}

const log = (s: string): void => {
  process.stderr.write(s);
};

function parseArgs(argv: string[]): Options {
  const opts: Options = { quick: false, runs: 5, budgetMs: 480_000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") continue;
    if (a === "--quick") opts.quick = true;
    else if (a === "--runs") opts.runs = Math.max(1, Number(argv[++i]));
    else if (a === "--budget") opts.budgetMs = Number(argv[++i]) * 1000;
    else if (a === "--only") opts.only = new Set((argv[++i] ?? "").split(","));
    else if (a === "--tsld") opts.tsld = resolve(argv[++i] ?? "");
    else throw new Error(`bench: unknown argument ${a} (use --quick, --runs N, --only a,b, --tsld PATH)`);
  }
  if (opts.quick && !argv.includes("--runs")) opts.runs = 3;
  if (opts.quick && !argv.includes("--budget")) opts.budgetMs = 180_000;
  return opts;
}

// ---- Workloads ----------------------------------------------------------------

const SYNTH = [
  { name: "synth-tiny 1x10", objects: 1, functions: 10, quick: true, scaling: false },
  { name: "synth-small 20x200", objects: 20, functions: 200, quick: true, scaling: true },
  { name: "synth-medium 200x500", objects: 200, functions: 500, quick: false, scaling: true },
  { name: "synth-400x500", objects: 400, functions: 500, quick: false, scaling: true },
  { name: "synth-large 800x500", objects: 800, functions: 500, quick: false, scaling: true },
] as const;

// arm64: the same programs as arm64 objects, against ld64.lld-19 -arch arm64 (both sign ad hoc by default).
const SYNTH_ARM64 = [
  { name: "synth-small arm64 20x200", objects: 20, functions: 200, quick: true },
  { name: "synth-medium arm64 200x500", objects: 200, functions: 500, quick: false },
] as const;

const SYNTH_G = [
  { name: "synth-small-g 20x200", objects: 20, functions: 200, quick: true },
  { name: "synth-medium-g 200x500", objects: 200, functions: 500, quick: false },
] as const;

const DEBIAN: { name: string; pkg: DebianPackage; program: string; quick: boolean; g?: boolean }[] = [
  { name: "zlib minigzip", pkg: "zlib", program: "minigzip", quick: true },
  { name: "bzip2", pkg: "bzip2", program: "bzip2", quick: true },
  { name: "sqlite3 shell", pkg: "sqlite3", program: "sqlite3", quick: false },
  // -O2 -g: the debug-info table (tsld's __DWARF vs ld64.tsld's STABS vs lld + dsymutil).
  { name: "lua -g", pkg: "lua", program: "lua", quick: true, g: true },
  { name: "zlib minigzip -g", pkg: "zlib", program: "minigzip", quick: false, g: true },
  { name: "bzip2 -g", pkg: "bzip2", program: "bzip2", quick: false, g: true },
  { name: "sqlite3 shell -g", pkg: "sqlite3", program: "sqlite3", quick: false, g: true },
];

interface Pending {
  name: string;
  quick: boolean;
  load: () => Promise<Workload>;
}

function pendingWorkloads(): Pending[] {
  const list: Pending[] = [];
  const progress = (name: string) => (done: number, total: number) => log(`  ${name}: assembled ${done}/${total}\n`);
  for (const s of SYNTH) {
    list.push({
      name: s.name,
      quick: s.quick,
      load: async () => {
        const w = await synthWorkload({ objects: s.objects, functions: s.functions }, { onProgress: progress(s.name) });
        if (w.compiled > 0) log(`  ${s.name}: generated ${w.compiled} objects in ${w.generateSeconds.toFixed(1)}s\n`);
        return { name: s.name, kind: "synthetic", objects: w.objects, inputBytes: w.inputBytes, scaling: s.scaling };
      },
    });
  }
  list.push({
    name: "synth-small 20x200, tsld built-in TBD",
    quick: true,
    load: async () => {
      const w = await synthWorkload({ objects: 20, functions: 200 });
      return {
        name: "synth-small 20x200, tsld built-in TBD",
        kind: "synthetic",
        objects: w.objects,
        inputBytes: w.inputBytes,
        tsldBuiltinLibSystem: true,
        note: "tsld links its built-in libSystem TBD instead of the generated one lld reads",
      };
    },
  });
  for (const d of DEBIAN) {
    list.push({
      name: d.name,
      quick: d.quick,
      load: async () => {
        if (debianSourceDir(d.pkg) === undefined) log(`  ${d.name}: fetching the Debian source (first run only)\n`);
        const build = await buildDebianProgramAsync(d.pkg, d.g === true ? { g: true } : {});
        const objects = [...debianProgram(build, d.program).objects, ...build.libObjects];
        const note = d.g === true ? "-O2 -g" : "-O2";
        return { name: d.name, kind: "debian", objects, inputBytes: sizeOf(objects), note, debug: d.g === true };
      },
    });
  }
  for (const s of SYNTH_ARM64) {
    list.push({
      name: s.name,
      quick: s.quick,
      load: async () => {
        const w = await synthWorkload(
          { objects: s.objects, functions: s.functions, arch: "arm64" },
          { onProgress: progress(s.name) },
        );
        if (w.compiled > 0) log(`  ${s.name}: generated ${w.compiled} objects in ${w.generateSeconds.toFixed(1)}s\n`);
        return { name: s.name, kind: "synthetic", objects: w.objects, inputBytes: w.inputBytes, arch: "arm64" };
      },
    });
  }
  for (const s of SYNTH_G) {
    list.push({
      name: s.name,
      quick: s.quick,
      load: async () => {
        const w = await synthWorkload(
          { objects: s.objects, functions: s.functions, g: true },
          { onProgress: progress(s.name) },
        );
        if (w.compiled > 0) log(`  ${s.name}: generated ${w.compiled} objects in ${w.generateSeconds.toFixed(1)}s\n`);
        return { name: s.name, kind: "synthetic -g", objects: w.objects, inputBytes: w.inputBytes, debug: true };
      },
    });
  }
  return list;
}

function sizeOf(files: string[]): number {
  return files.reduce((n, f) => n + statSync(f).size, 0);
}

// ---- Running ------------------------------------------------------------------

const TIMEOUT_MS = 300_000;

function summarise(samples: RunSample[], warm: RunSample, withStages: boolean): SideResult {
  const good = samples.filter((s) => s.ok);
  const bad = samples.find((s) => !s.ok) ?? (warm.ok ? undefined : warm);
  if (good.length === 0 || bad !== undefined) {
    const res: SideResult = { ok: false, runs: samples.length, samplesMs: samples.map((s) => s.wallMs) };
    res.error = bad?.error ?? "no successful run";
    res.wallMs = median(samples.map((s) => s.wallMs).concat(samples.length === 0 ? [warm.wallMs] : []));
    const rss = (samples.length > 0 ? samples : [warm]).map((s) => s.maxRssKb).filter((x) => x !== undefined);
    if (rss.length > 0) res.maxRssKb = Math.max(...rss);
    if (withStages && warm.stages !== undefined) res.stages = warm.stages;
    return res;
  }
  const res: SideResult = {
    ok: true,
    runs: good.length,
    wallMs: median(good.map((s) => s.wallMs)),
    samplesMs: good.map((s) => Math.round(s.wallMs * 10) / 10),
  };
  const rss = good.map((s) => s.maxRssKb).filter((x): x is number => x !== undefined);
  if (rss.length > 0) res.maxRssKb = median(rss);
  res.outBytes = good[good.length - 1]?.outBytes;
  if (withStages) {
    const stages: Record<string, number> = {};
    const names = new Set(good.flatMap((s) => Object.keys(s.stages ?? {})));
    for (const n of names) stages[n] = median(good.map((s) => s.stages?.[n] ?? 0));
    res.stages = stages;
  }
  return res;
}

/** One command a workload measures (tsld, tsld -threads 1, lld, and for -g inputs ld64.tsld and lld + dsymutil). */
interface Side {
  key: string;
  cmd: string[];
  out: string;
  /** Read `-v` stage times from its output. */
  stages: boolean;
}

function benchWorkload(w: Workload, opts: Options, tsldBin: string, scratch: string, budgetMs: number): WorkloadResult {
  const arch = w.arch ?? "x86_64";
  const tbdDir = libSystemTbdDir(arch);
  const slug = w.name.replace(/[^A-Za-z0-9]+/g, "-");
  const outT = join(scratch, `${slug}.tsld`);
  const outL = join(scratch, `${slug}.lld`);
  const outF = join(scratch, `${slug}.floor`);
  const lib = ["-L", tbdDir, "-lSystem"];
  const tsldLib = w.tsldBuiltinLibSystem === true ? [] : lib;
  const tsldCmd = [process.execPath, tsldBin, "-v", ...lldBaseArgs(outT, arch), ...w.objects, ...tsldLib];
  // The same link in one thread (no workers): the 1-vs-default speed-up, alternating with the default.
  const tsld1Cmd = [process.execPath, tsldBin, "-threads", "1", ...tsldCmd.slice(2)];
  const lldCmd = [requireTool("ld64.lld-19"), ...lldBaseArgs(outL, arch), ...w.objects, ...lib];
  const run = (cmd: string[], out: string, stages: boolean) =>
    runOnce(cmd, out, { timeoutMs: TIMEOUT_MS, verboseStages: stages });

  // Debug info at its cost: ld64.tsld's STABS map, and lld + dsymutil against tsld's __DWARF.
  const ld64Bin = join(dirname(tsldBin), "ld64.tsld.cjs");
  const outS = join(scratch, `${slug}.ld64-tsld`);
  const outD = join(scratch, `${slug}.lld-dsym`);
  const q = (a: string): string => `'${a.replace(/'/g, "'\\''")}'`;
  const lldD = [requireTool("ld64.lld-19"), ...lldBaseArgs(outD, arch), ...w.objects, ...lib];
  const dsym = [requireTool("dsymutil-19"), outD, "-o", `${outD}.dSYM`];
  // Every side of the workload; all are measured in the same rounds.
  const sides: Side[] = [
    { key: "tsld", cmd: tsldCmd, out: outT, stages: true },
    { key: "tsld -threads 1", cmd: tsld1Cmd, out: outT, stages: true },
    { key: "lld", cmd: lldCmd, out: outL, stages: false },
  ];
  if (w.debug === true) {
    if (existsSync(ld64Bin))
      sides.push({
        key: "ld64.tsld",
        cmd: [process.execPath, ld64Bin, ...lldBaseArgs(outS, arch), ...w.objects, ...tsldLib],
        out: outS,
        stages: false,
      });
    sides.push({
      key: "lld + dsymutil",
      cmd: ["sh", "-c", `${lldD.map(q).join(" ")} && ${dsym.map(q).join(" ")}`],
      out: outD,
      stages: false,
    });
  }

  // Warm-up (page cache, JIT-less but file-system warm); failures stop that side.
  const warm = sides.map((d) => run(d.cmd, d.out, d.stages));
  const warmMs = (s: RunSample): string => (s.ok ? `${s.wallMs.toFixed(0)}ms` : "FAILED");
  log(`  warm-up: ${sides.map((d, i) => `${d.key} ${warmMs(warm[i]!)}`).join(", ")}\n`);
  // Runs that fit this workload's share of the budget (at least 1, at most opts.runs); lld always gets opts.runs.
  const round = warm.reduce((t, s) => t + (s.ok ? s.wallMs : 0), 0);
  const fit = Math.max(1, Math.min(opts.runs, Math.floor((budgetMs - round) / Math.max(1, round))));
  if (fit < opts.runs) log(`  budget: ${fit} measured runs instead of ${opts.runs}\n`);
  const runs = sides.map((d, i) => (warm[i]!.ok ? (d.key === "lld" ? opts.runs : fit) : 0));
  const samples: RunSample[][] = sides.map(() => []);
  // Alternate the sides, rotating who goes first each round: no side always runs after the same one.
  for (let r = 0; r < Math.max(...runs); r++) {
    for (let k = 0; k < sides.length; k++) {
      const i = (r + k) % sides.length;
      if (r < runs[i]!) samples[i]!.push(run(sides[i]!.cmd, sides[i]!.out, sides[i]!.stages));
    }
  }
  const result = (key: string): SideResult | undefined => {
    const i = sides.findIndex((d) => d.key === key);
    return i < 0 ? undefined : summarise(samples[i]!, warm[i]!, sides[i]!.stages);
  };
  const tsld = result("tsld")!;
  const tsld1 = result("tsld -threads 1")!;
  const lld = result("lld")!;
  const stabs = result("ld64.tsld");
  const lldDsymutil = result("lld + dsymutil");
  const warmT = warm[0]!;
  // One extra, unmeasured run writes the workload's time trace (chrome://tracing, Perfetto) and counts GCs.
  // Another build's (--tsld) traces go beside, not over, this tree's.
  const traceName = join(opts.tsld === undefined ? "traces" : join("traces", "other-build"), `${slug}.time-trace.json`);
  const traceArgs = ["-time_trace_file", join(resultsDir(), traceName), "-time_trace_granularity", "0"];
  const traced = warmT.ok
    ? runOnce([process.execPath, "--trace-gc", ...tsldCmd.slice(1), ...traceArgs], outT, {
        timeoutMs: TIMEOUT_MS,
        captureStdout: true,
      })
    : undefined;

  // The floor: read every input, write an output as large as tsld's (or lld's) from a fresh Node.
  let floor: SideResult | undefined;
  const outSize = tsld.outBytes ?? lld.outBytes;
  if (outSize !== undefined) {
    const floorCmd = [process.execPath, fileURLToPath(new URL("./floor.mjs", import.meta.url)), outF, String(outSize)];
    const fcmd = [...floorCmd, ...w.objects];
    const warmF = run(fcmd, outF, false);
    const samplesF = warmF.ok ? Array.from({ length: opts.runs }, () => run(fcmd, outF, false)) : [];
    floor = summarise(samplesF, warmF, false);
  }
  const res: WorkloadResult = {
    name: w.name,
    kind: w.kind,
    objects: w.objects.length,
    inputBytes: w.inputBytes,
    tsld,
    tsld1,
    lld,
  };
  if (tsld.ok && tsld1.ok && tsld.wallMs !== undefined && tsld1.wallMs !== undefined)
    res.speedup = tsld1.wallMs / tsld.wallMs;
  if (w.note !== undefined) res.note = w.note;
  if (fit < opts.runs) res.note = `${res.note === undefined ? "" : `${res.note}; `}tsld: ${fit} runs (time budget)`;
  if (w.scaling === true) res.scaling = true;
  if (traced?.ok === true) {
    res.timeTrace = traceName;
    res.gc = countGcs(traced.stdout ?? "");
  }
  if (stabs !== undefined) res.stabs = stabs;
  if (lldDsymutil !== undefined) res.lldDsymutil = lldDsymutil;
  if (floor !== undefined) res.floor = floor;
  if (tsld.ok && lld.ok && tsld.wallMs !== undefined && lld.wallMs !== undefined) res.ratio = tsld.wallMs / lld.wallMs;
  if (tsld.maxRssKb !== undefined && lld.maxRssKb !== undefined) res.rssRatio = tsld.maxRssKb / lld.maxRssKb;
  return res;
}

// ---- Reporting ----------------------------------------------------------------

const mb = (bytes: number): string => (bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1);
const ms = (x: number | undefined): string =>
  x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(x < 100 ? 1 : 0);
const rssMb = (kb: number | undefined): string => (kb === undefined ? "–" : (kb / 1024).toFixed(0));
const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\s+/g, " ");

/** The top-level stage with the largest time. */
function topStage(stages: Record<string, number> | undefined): string {
  if (stages === undefined) return "–";
  const top = Object.entries(stages).filter(([k]) => !k.includes("/"));
  const total = top.reduce((s, [, v]) => s + v, 0);
  const best = top.sort((a, b) => b[1] - a[1])[0];
  if (best === undefined || total === 0) return "–";
  return `${best[0]} ${((100 * best[1]) / total).toFixed(0)}%`;
}

function mainTable(results: WorkloadResult[]): string {
  const rows = [
    "| workload | objs | input MB | tsld ms | lld ms | tsld/lld | 1 thread ms | threads speed-up | floor ms | tsld RSS MB | lld RSS MB | RSS ratio | out tsld / lld MB | tsld GCs (scav./full) | top tsld stage |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const r of results) {
    const t = r.tsld.ok
      ? `${ms(r.tsld.wallMs)} (n=${r.tsld.runs})`
      : `FAILED: ${cell((r.tsld.error ?? "").slice(0, 160))}`;
    const l = r.lld.ok ? ms(r.lld.wallMs) : `FAILED: ${cell((r.lld.error ?? "").slice(0, 160))}`;
    const ratio = r.ratio === undefined ? "–" : `${r.ratio.toFixed(2)}x`;
    const out = `${r.tsld.outBytes === undefined ? "–" : mb(r.tsld.outBytes)} / ${r.lld.outBytes === undefined ? "–" : mb(r.lld.outBytes)}`;
    const rr = r.rssRatio === undefined ? "–" : `${r.rssRatio.toFixed(2)}x`;
    const one = r.tsld1 === undefined ? "–" : r.tsld1.ok ? ms(r.tsld1.wallMs) : "FAILED";
    const up = r.speedup === undefined ? "–" : `${r.speedup.toFixed(2)}x`;
    rows.push(
      `| ${r.name} | ${r.objects} | ${mb(r.inputBytes)} | ${t} | ${l} | ${ratio} | ${one} | ${up} | ${ms(r.floor?.wallMs)} | ${rssMb(r.tsld.maxRssKb)} | ${rssMb(r.lld.maxRssKb)} | ${rr} | ${out} | ${r.gc === undefined ? "–" : `${r.gc.scavenges}/${r.gc.markCompacts}`} | ${topStage(r.tsld.stages)} |`,
    );
  }
  return rows.join("\n");
}

/** -g workloads: tsld's __DWARF image against ld64.tsld's STABS map, lld, and lld + dsymutil. */
function debugTable(results: WorkloadResult[]): string {
  const rows = [
    "| workload | tsld (__DWARF) ms | ld64.tsld (STABS) ms | lld ms | lld + dsymutil ms | tsld / (lld + dsymutil) | STABS / lld |",
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  const wall = (s: SideResult | undefined): string =>
    s === undefined ? "–" : s.ok ? ms(s.wallMs) : `FAILED: ${cell((s.error ?? "").slice(0, 120))}`;
  const ratio = (a: SideResult | undefined, b: SideResult | undefined): string =>
    a?.ok === true && b?.ok === true && a.wallMs !== undefined && b.wallMs !== undefined
      ? `${(a.wallMs / b.wallMs).toFixed(2)}x`
      : "–";
  for (const r of results.filter((x) => x.lldDsymutil !== undefined))
    rows.push(
      `| ${r.name} | ${wall(r.tsld)} | ${wall(r.stabs)} | ${wall(r.lld)} | ${wall(r.lldDsymutil)} | ${ratio(r.tsld, r.lldDsymutil)} | ${ratio(r.stabs, r.lld)} |`,
    );
  return rows.length > 2 ? rows.join("\n") : "(no -g workload ran)";
}

function stageTable(results: WorkloadResult[]): string {
  const names: string[] = [];
  for (const r of results) for (const k of Object.keys(r.tsld.stages ?? {})) if (!names.includes(k)) names.push(k);
  if (names.length === 0) return "(no stage times: tsld -v printed none)";
  const head = `| workload | ${names.join(" | ")} |`;
  const sep = `|---|${names.map(() => "---:").join("|")}|`;
  const rows = results.map(
    (r) =>
      `| ${r.name}${r.tsld.ok ? "" : " (failed; warm-up)"} | ${names.map((n) => ms(r.tsld.stages?.[n])).join(" | ")} |`,
  );
  return [head, sep, ...rows].join("\n");
}

function scalingTable(results: WorkloadResult[]): string {
  const rows = ["| workload | input MB | tsld ms/MB | lld ms/MB | floor ms/MB |", "|---|---:|---:|---:|---:|"];
  for (const r of results.filter((x) => x.scaling === true)) {
    const per = (s: SideResult | undefined): string =>
      s?.ok === true && s.wallMs !== undefined
        ? (s.wallMs / (r.inputBytes / 1e6)).toFixed(1)
        : s === undefined
          ? "–"
          : "failed";
    rows.push(`| ${r.name} | ${mb(r.inputBytes)} | ${per(r.tsld)} | ${per(r.lld)} | ${per(r.floor)} |`);
  }
  return rows.join("\n");
}

// ---- Main ---------------------------------------------------------------------

async function run(argv: string[]): Promise<number> {
  const opts = parseArgs(argv);
  const t0 = performance.now();
  const root = repoRoot();
  const tsldBin = opts.tsld ?? join(root, "apps", "tsld", "bin", "tsld.cjs");
  if (!existsSync(join(tsldBin, "..", "..", "dist", "lib", "index.cjs")))
    log(`bench: ${tsldBin}'s dist/lib/index.cjs is missing (did the build fail?); every tsld run will fail\n`);
  haveGnuTime(log);
  const tbdDir = libSystemTbdDir();
  // Outputs in a folder of this run's own: two benches at once (worktrees sharing .cache) never delete each other's.
  const scratch = mkdtempSync(join(benchCacheDir("out"), "run-"));
  const results: WorkloadResult[] = [];
  const all = pendingWorkloads().filter((p) =>
    opts.only === undefined
      ? !opts.quick || p.quick
      : opts.only.has(p.name) || [...opts.only].some((o) => p.name.startsWith(o)),
  );
  log(`bench: ${all.length} workloads, ${opts.runs} runs each after a warm-up${opts.quick ? " (--quick)" : ""}\n`);
  const deadline = performance.now() + opts.budgetMs;
  for (const [idx, p] of all.entries()) {
    log(`bench: ${p.name}\n`);
    let w: Workload;
    try {
      w = await p.load();
    } catch (e) {
      const msg = (e instanceof Error ? e.message : String(e)).split("\n").slice(0, 3).join(" | ");
      log(`  could not build the inputs: ${msg}\n`);
      const fail: SideResult = { ok: false, runs: 0, samplesMs: [], error: `inputs not built: ${msg}` };
      results.push({ name: p.name, kind: "?", objects: 0, inputBytes: 0, tsld: fail, lld: { ...fail } });
      continue;
    }
    const share = Math.max(0, deadline - performance.now()) / (all.length - idx);
    results.push(benchWorkload(w, opts, tsldBin, scratch, share));
  }
  rmSync(scratch, { recursive: true, force: true });
  const seconds = (performance.now() - t0) / 1000;

  const md = [
    `## tsld vs ld64.lld-19 (${new Date().toISOString()}, ${opts.runs} runs, median wall time)`,
    "",
    mainTable(results),
    "",
    ...results.filter((r) => r.note !== undefined).map((r) => `- ${r.name}: ${r.note}`),
    "",
    "### Debug info (-g inputs)",
    "",
    debugTable(results),
    "",
    "### tsld stages (`-v`, median ms)",
    "",
    stageTable(results),
    "",
    "### Scaling (synthetic, M=200/500 functions per object)",
    "",
    scalingTable(results),
    "",
    `Both linkers link the same objects against the same libSystem.tbd (${tbdDir}; the arm64 one beside it).`,
    `tsld runs with its default threads (os.availableParallelism() = ${availableParallelism()}; none below 16 MiB of objects); "1 thread" is \`-threads 1\`; every side of a workload (tsld, 1 thread, lld, and for -g inputs ld64.tsld and lld + dsymutil) is measured in the same rounds, alternating, who goes first rotating; speed-up = 1 thread / default.`,
    "floor = a fresh Node process that reads every input and writes an output of tsld's size.",
    opts.tsld === undefined
      ? "tsld's time trace of each workload (`-time_trace`): bench/results/traces/<workload>.time-trace.json."
      : `${opts.tsld}'s time trace of each workload (\`-time_trace\`): bench/results/traces/other-build/<workload>.time-trace.json.`,
    `Total bench time ${seconds.toFixed(0)}s.`,
  ].join("\n");
  process.stdout.write(`${md}\n`);

  const json = {
    date: new Date().toISOString(),
    quick: opts.quick,
    runs: opts.runs,
    node: process.version,
    lld: toolVersion("ld64.lld-19"),
    totalSeconds: seconds,
    results,
  };
  const dir = resultsDir();
  const file = join(dir, `bench-${json.date.replace(/[:.]/g, "-")}${opts.quick ? "-quick" : ""}.json`);
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(dir, "latest.json"), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(dir, "latest.md"), `${md}\n`);
  log(`bench: wrote ${file}\n`);
  return 0;
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    log(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
