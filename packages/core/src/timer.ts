/**
 * Stage timers, as Go's `bench.Start` marks phases of `ld.Main`: each stage
 * calls `ctx.timer.start("name")` with `using`, and `-v` prints the table.
 * Nested timers are allowed; the report lists them in start order.
 *
 * The same records make a time trace (`-time_trace`, lld's `--time-trace`):
 * Chrome's trace-event JSON, one complete ("X") event per timer with its
 * start and duration in microseconds from the link's start, one row (tid)
 * per thread, plus a "Total NAME" event per name on a row of its own, as
 * LLVM's TimeProfiler writes them. Open it in `chrome://tracing`, Perfetto or speedscope.
 */
export interface TimerRecord {
  name: string;
  /** Start, in ms since the timers were created. */
  startMs: number;
  ms: number;
  depth: number;
  /** The thread: 0 the main thread, n a worker. */
  tid: number;
  /** Shown with the event (a file name, a section, …). */
  detail?: string;
  /** A span added by `record` (a parallel task's item): in the trace, not in `-v`'s table. */
  task?: boolean;
}

/** One event of Chrome's trace-event format (the subset tsld writes). */
export interface TraceEvent {
  ph: "X" | "M";
  name: string;
  pid: number;
  tid: number;
  /** Start, µs. */
  ts: number;
  /** Duration, µs ("X" events). */
  dur?: number;
  args?: Record<string, string>;
}

export class Timers {
  readonly records: TimerRecord[] = [];
  private depth = 0;
  private readonly origin = performance.now();

  start(name: string, detail?: string): Disposable & { end(): void } {
    const t0 = performance.now();
    const rec: TimerRecord = { name, startMs: t0 - this.origin, ms: 0, depth: this.depth++, tid: 0, detail };
    this.records.push(rec);
    let done = false;
    const end = (): void => {
      if (done) return;
      done = true;
      rec.ms = performance.now() - t0;
      this.depth--;
    };
    return { end, [Symbol.dispose]: end };
  }

  /** Runs `fn` under a timer named `name`. */
  time<T>(name: string, fn: () => T): T {
    using _t = this.start(name);
    return fn();
  }

  /**
   * Adds a span measured elsewhere (a worker's task): `startMs` on this
   * clock (`performance.timeOrigin`-based times converted by the caller).
   */
  record(name: string, startMs: number, ms: number, tid: number, detail?: string): void {
    this.records.push({ name, startMs, ms, depth: 0, tid, detail, task: true });
  }

  /** The timers' zero as epoch ms (`performance.timeOrigin`-based, the same in every thread). */
  epochMs(): number {
    return performance.timeOrigin + this.origin;
  }

  /** ms since the timers were created (to stamp `record` spans). */
  now(): number {
    return performance.now() - this.origin;
  }

  /** One line per stage: `  12.34ms  name`, indented by nesting (main thread only). */
  report(): string {
    return this.records
      .filter((r) => r.tid === 0 && !r.task)
      .map((r) => `${r.ms.toFixed(2).padStart(9)}ms  ${"  ".repeat(r.depth)}${r.name}`)
      .join("\n");
  }

  /**
   * The time trace: every span at least `granularityUs` long as an "X"
   * event, then per name a "Total NAME" event (summed durations, each on a
   * row of its own, longest first, as LLVM writes totals), and the process
   * and thread names. Times are µs from the link's start.
   */
  chromeTrace(processName: string, granularityUs = 0): { traceEvents: TraceEvent[]; displayTimeUnit: "ms" } {
    const us = (ms: number): number => Math.round(ms * 1000);
    const events: TraceEvent[] = [];
    const spans = [...this.records].sort((a, b) => a.startMs - b.startMs || a.depth - b.depth);
    // The whole run first, the parent of every main-thread span.
    const endMs = Math.max(0, ...this.records.map((r) => r.startMs + r.ms));
    events.push({ ph: "X", name: processName, pid: 1, tid: 0, ts: 0, dur: us(endMs) });
    for (const r of spans) {
      if (us(r.ms) < granularityUs) continue;
      const e: TraceEvent = { ph: "X", name: r.name, pid: 1, tid: r.tid, ts: us(r.startMs), dur: us(r.ms) };
      if (r.detail !== undefined) e.args = { detail: r.detail };
      events.push(e);
    }
    const totals = new Map<string, { ms: number; count: number }>();
    for (const r of this.records) {
      const t = totals.get(r.name) ?? { ms: 0, count: 0 };
      t.ms += r.ms;
      t.count++;
      totals.set(r.name, t);
    }
    // Totals as LLVM writes them: each on a row of its own, longest first.
    const firstTotalTid = Math.max(0, ...this.records.map((r) => r.tid)) + 1;
    const byTime = [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms || (a[0] < b[0] ? -1 : 1));
    byTime.forEach(([name, t], i) => {
      events.push({
        ph: "X",
        name: `Total ${name}`,
        pid: 1,
        tid: firstTotalTid + i,
        ts: 0,
        dur: us(t.ms),
        args: { count: String(t.count), "avg ms": (t.ms / t.count).toFixed(3) },
      });
    });
    events.push({ ph: "M", name: "process_name", pid: 1, tid: 0, ts: 0, args: { name: processName } });
    const tids = [...new Set(this.records.map((r) => r.tid))].sort((a, b) => a - b);
    for (const tid of tids)
      events.push({
        ph: "M",
        name: "thread_name",
        pid: 1,
        tid,
        ts: 0,
        args: { name: tid === 0 ? "main" : `worker ${tid}` },
      });
    return { traceEvents: events, displayTimeUnit: "ms" };
  }
}
