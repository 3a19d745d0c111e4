// Running one linker invocation and measuring it: wall time (hrtime around
// the child), peak RSS (GNU time's %M, printed on the child's stderr's last
// line) and output size; parsing tsld's `-v` stage times.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, statSync } from "node:fs";

export interface RunSample {
  ok: boolean;
  wallMs: number;
  /** Peak resident set in KiB, when GNU time is available. */
  maxRssKb?: number;
  outBytes?: number;
  status: number | null;
  /** First lines of stderr when the run failed. */
  error?: string;
  /** tsld's `-v` stage times, name -> ms (nested stages as "parent/child"). */
  stages?: Record<string, number>;
  stderr: string;
  /** stdout, when the caller asked for it (`captureStdout`). */
  stdout?: string;
}

const GNU_TIME = "/usr/bin/time";
const RSS_MARK = "@@bench-maxrss=";
let timeChecked: boolean | undefined;

/** Whether /usr/bin/time is GNU time; tries `apt-get install -y time` once when it is missing. */
export function haveGnuTime(log: (s: string) => void = () => {}): boolean {
  if (timeChecked !== undefined) return timeChecked;
  const probe = (): boolean =>
    existsSync(GNU_TIME) && spawnSync(GNU_TIME, ["-f", "%M", "true"], { encoding: "utf8" }).status === 0;
  timeChecked = probe();
  if (!timeChecked) {
    log("bench: /usr/bin/time is missing; trying `apt-get install -y time`\n");
    const sudo = process.getuid?.() === 0 ? [] : ["sudo", "-n"];
    const cmd = [...sudo, "apt-get", "install", "-y", "-q", "time"];
    spawnSync(cmd[0] ?? "apt-get", cmd.slice(1), { stdio: "ignore", timeout: 120_000 });
    timeChecked = probe();
    if (!timeChecked) log("bench: no GNU time; peak RSS will not be reported\n");
  }
  return timeChecked;
}

/**
 * Parses tsld's `-v` lines, `<right-aligned ms>ms<gap><stage>`: a two-space
 * gap is a top-level stage, a wider gap nests under the last top stage.
 */
export function parseStages(stderr: string): Record<string, number> {
  const stages: Record<string, number> = {};
  let parent = "";
  for (const line of stderr.split("\n")) {
    const m = /^\s*([0-9.]+)ms( +)(\S.*)$/.exec(line);
    if (m === null) continue;
    const ms = Number(m[1]);
    const name = (m[3] ?? "").trim();
    const key = (m[2]?.length ?? 0) <= 2 || parent === "" ? name : `${parent}/${name}`;
    if (key === name) parent = name;
    stages[key] = (stages[key] ?? 0) + ms;
  }
  return stages;
}

function firstLines(s: string, n: number): string {
  const all = s.split("\n").filter((l) => l.trim() !== "" && !l.startsWith(RSS_MARK) && !/^\s*[0-9.]+ms\s/.test(l));
  // Lines that say "error" first (a Node stack trace's message is not its first line).
  const lines = [...all.filter((l) => /error/i.test(l)), ...all.filter((l) => !/error/i.test(l))];
  const head = lines.slice(0, n).join(" | ");
  return lines.length > n ? `${head} | … (${lines.length - n} more lines)` : head;
}

/**
 * Runs `cmd` (argv) once, removing `out` first; measures wall time, peak RSS
 * and the output's size. Never throws: failures come back with ok=false.
 */
export function runOnce(
  cmd: string[],
  out: string,
  opts: { timeoutMs: number; verboseStages?: boolean; captureStdout?: boolean },
): RunSample {
  rmSync(out, { force: true });
  const timed = haveGnuTime() ? [GNU_TIME, "-f", `${RSS_MARK}%M`, ...cmd] : cmd;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(timed[0] ?? "", timed.slice(1), {
    encoding: "utf8",
    maxBuffer: 64 << 20,
    timeout: opts.timeoutMs,
    stdio: ["ignore", opts.captureStdout === true ? "pipe" : "ignore", "pipe"],
  });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const stderr = r.stderr ?? "";
  const rssLine = stderr.split("\n").find((l) => l.startsWith(RSS_MARK));
  const maxRssKb = rssLine === undefined ? undefined : Number(rssLine.slice(RSS_MARK.length));
  const ok = r.status === 0 && r.error === undefined && existsSync(out);
  const sample: RunSample = { ok, wallMs, status: r.status, stderr };
  if (opts.captureStdout === true) sample.stdout = r.stdout ?? "";
  if (maxRssKb !== undefined && Number.isFinite(maxRssKb)) sample.maxRssKb = maxRssKb;
  if (ok) sample.outBytes = statSync(out).size;
  else {
    const why = r.error !== undefined ? `${r.error.message}; ` : r.signal ? `signal ${r.signal}; ` : "";
    sample.error = `${why}exit ${String(r.status)}: ${firstLines(stderr, 3)}`;
  }
  if (opts.verboseStages === true) sample.stages = parseStages(stderr);
  return sample;
}

/** Garbage collections in Node's `--trace-gc` output: young-generation scavenges and full mark-compacts. */
export function countGcs(traceGc: string): { scavenges: number; markCompacts: number } {
  let scavenges = 0;
  let markCompacts = 0;
  for (const line of traceGc.split("\n")) {
    if (/\bScavenge\b/.test(line)) scavenges++;
    else if (/\bMark-Compact\b|\bMark-sweep\b/.test(line)) markCompacts++;
  }
  return { scavenges, markCompacts };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}
