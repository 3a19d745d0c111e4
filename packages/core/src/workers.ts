/**
 * Worker threads: one pool per link (lld's `parallelFor` over LLVM's thread
 * pool, mold's TBB arena), started once, shared by every parallel pass.
 *
 * A parallel pass is a *job*: a task name, a setup object (typed columns
 * backed by `SharedArrayBuffer`s, so posting it shares memory rather than
 * copying it) and a count of *items* (ranges of atoms, chunks of the output
 * file). The passes stay synchronous: `runParallel` posts the job to every
 * worker, then the main thread takes items too, all of them claiming the next
 * item from one shared counter (`Atomics.add`), and the main thread waits
 * (`Atomics.wait`) until every item is done. Items write disjoint ranges of
 * one shared output buffer, so the bytes do not depend on who ran what, or
 * on how many threads there were: a link is byte-identical with any
 * `--threads`.
 *
 * Workers that cannot start (a missing entry file, a failing import) simply
 * never claim an item: the main thread does the work, and the `error` event
 * Node raises later is swallowed. An item that throws in a worker is marked
 * failed and re-run in the main thread, where a real bug surfaces as usual;
 * so does an item whose handler asks for it (a relocation that needs a
 * diagnostic, which only the main thread can word).
 *
 * Each item's span (start, duration, thread) is written to shared memory and
 * recorded into the link's timers (`Timers.record`): `-time_trace` shows a row
 * per worker.
 *
 * The worker side: a worker entry (the CLI's `worker.ts`, which knows every
 * stage's tasks) calls `serveWorkerTasks` with the tasks it can run; the
 * pool never imports a stage.
 */
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";

/**
 * node:worker_threads, loaded on first use: requiring it costs a few
 * milliseconds of start-up that a small link, which starts no worker, would
 * otherwise pay.
 */
function threads(): typeof import("node:worker_threads") {
  return process.getBuiltinModule("node:worker_threads");
}
import type { LinkContext } from "./context.js";
import type { Timers } from "./timer.js";

/**
 * A task the pool can run: `prepare` turns the posted setup into what the
 * items need (views, lookup tables), once per job and thread; `run` does
 * item `i`. `run` returns false when the item must be redone in the main
 * thread (with the link context, e.g. to word an error).
 */
export interface WorkerTask<S, P = S> {
  name: string;
  prepare(setup: S): P;
  run(prepared: P, item: number): boolean;
}

/** What the main thread posts to each worker per job. */
interface JobMessage {
  task: string;
  setup: unknown;
  items: number;
  /** [0] next item, [1] items done, [2] workers joined; then per item its status (0 pending, tid+1 done, -(tid+1) to redo). */
  ctrl: Int32Array;
  /** Per item: start (epoch ms: `performance.timeOrigin + now()`) and duration (ms). */
  times: Float64Array;
}

const NEXT = 0;
const DONE = 1;
/** Workers that have made their first claim of the job (`TSLD_WORKERS_WAIT`). */
const JOINED = 2;
const HEAD = 3;

/**
 * Links with less object input than this (bytes) start no workers. A
 * worker's start (a fresh isolate loading the worker bundle, 70 KB then,
 * 128 KB with the DWARF merge since) cost 95–148 ms of CPU (median ~125
 * ms) at load average 6–9 on this project's 2-core machine, a few tens of
 * ms idle. The parallel work (the
 * relocate/copy items and the hashes) is ~5 ms per MiB of objects (~400 ms
 * of the 83 MiB synthetic 400×500 link's one-thread CPU profile), of which
 * a second thread takes half: at ~40 ms per start, break-even is near
 * 16 MiB. Debug info counts as any other bytes: a worker forced on
 * DWARF-heavy links below the threshold (the DWARF merge's items) made them
 * slower, Lua -g (1.6 MiB) 480 against 385 ms and sqlite3 -g (9 MiB) 790
 * against 640 ms (medians, load average 12–15), the worker still starting
 * when the merge began. See docs/design.md, "Threads".
 */
export const MIN_PARALLEL_INPUT_BYTES = 16 << 20;

/** The default thread count (lld's): `os.availableParallelism()`. */
export function defaultThreads(): number {
  try {
    return Math.max(1, availableParallelism());
  } catch {
    return 1;
  }
}

export class WorkerPool {
  /** Worker threads started (the main thread is not counted). */
  readonly size: number;
  private readonly workers: Worker[] = [];
  /** [0]: workers that have loaded their tasks (`serveWorkerTasks`). */
  private readonly ready = new Int32Array(new SharedArrayBuffer(4));
  /** Wait for every worker to load before the first job (`TSLD_WORKERS_WAIT`, for tests: every worker then takes items). */
  private waitReady = process.env.TSLD_WORKERS_WAIT === "1";
  /** With `TSLD_WORKERS_WAIT`, each job also waits for every worker's first claim: each worker takes an item. */
  private readonly waitJoin = process.env.TSLD_WORKERS_WAIT === "1";

  private constructor(entry: URL | string, n: number, execArgv: string[] | undefined) {
    for (let i = 0; i < n; i++) {
      let w: Worker;
      try {
        const workerData = { tsldWorker: i + 1, ready: this.ready };
        w = new (threads().Worker)(entry, { workerData, ...(execArgv ? { execArgv } : {}) });
      } catch {
        continue;
      }
      // A worker that fails to start or dies is no error: the main thread does its share.
      w.on("error", () => {});
      w.unref();
      this.workers.push(w);
    }
    this.size = this.workers.length;
  }

  /**
   * Starts `threads - 1` workers running `entry` (a file URL or path), or
   * none when `threads <= 1`: with the main thread, `threads` threads run
   * the items of a job. Never throws: a worker that cannot be created is
   * left out, one that fails while loading never takes an item.
   */
  static start(entry: URL | string, threads: number, execArgv?: string[]): WorkerPool {
    return new WorkerPool(entry, Math.max(0, threads - 1), execArgv);
  }

  /**
   * Runs items `0..items-1` of `task` over the workers and the main thread,
   * and returns when all are done (see the essay). Items a worker could not
   * finish, or whose `run` returned false, are passed to `redo` in the main
   * thread afterwards, in item order. `detail(i)` names item i in the time
   * trace.
   */
  run<S, P>(
    timer: Timers,
    task: WorkerTask<S, P>,
    setup: S,
    items: number,
    redo: (i: number) => void,
    detail?: (i: number) => string,
  ): void {
    if (this.waitReady) {
      // At most 30 s: a worker that fails to load never says so here (its error event needs the event loop).
      const until = performance.now() + 30_000;
      let n = Atomics.load(this.ready, 0);
      while (n < this.workers.length && performance.now() < until) {
        Atomics.wait(this.ready, 0, n, 100);
        n = Atomics.load(this.ready, 0);
      }
      this.waitReady = false;
    }
    runJob(this.workers, timer, task, setup, items, redo, detail, this.waitJoin);
  }

  /** Stops every worker (at the end of the link). */
  close(): void {
    for (const w of this.workers) void w.terminate().catch(() => {});
    this.workers.length = 0;
  }
}

/**
 * `WorkerPool.run` over `pool`, or in the main thread alone when there is
 * no pool (small links, `--threads 1`, a library caller without one).
 */
export function runParallel<S, P>(
  pool: WorkerPool | undefined,
  timer: Timers,
  task: WorkerTask<S, P>,
  setup: S,
  items: number,
  redo: (i: number) => void,
  detail?: (i: number) => string,
): void {
  if (pool) pool.run(timer, task, setup, items, redo, detail);
  else runJob([], timer, task, setup, items, redo, detail);
}

function runJob<S, P>(
  workers: readonly Worker[],
  timer: Timers,
  task: WorkerTask<S, P>,
  setup: S,
  items: number,
  redo: (i: number) => void,
  detail?: (i: number) => string,
  waitJoin = false,
): void {
  if (items <= 0) return;
  const ctrl = new Int32Array(new SharedArrayBuffer((HEAD + items) * 4));
  const times = new Float64Array(new SharedArrayBuffer(items * 2 * 8));
  if (items > 1 && workers.length > 0) {
    const msg: JobMessage = { task: task.name, setup, items, ctrl, times };
    for (const w of workers) w.postMessage(msg);
    if (waitJoin) {
      const until = performance.now() + 30_000;
      let n = Atomics.load(ctrl, JOINED);
      while (n < workers.length && performance.now() < until) {
        Atomics.wait(ctrl, JOINED, n, 100);
        n = Atomics.load(ctrl, JOINED);
      }
    }
  }
  work(task, task.prepare(setup), ctrl, times, items, 0);
  // Items the workers claimed: wait for them.
  let done = Atomics.load(ctrl, DONE);
  while (done < items) {
    Atomics.wait(ctrl, DONE, done, 100);
    done = Atomics.load(ctrl, DONE);
  }
  const base = timer.epochMs();
  for (let i = 0; i < items; i++) {
    const st = ctrl[HEAD + i]!;
    timer.record(task.name, times[2 * i]! - base, times[2 * i + 1]!, Math.abs(st) - 1, detail?.(i));
  }
  // What only the main thread can do, in item order: the redo sees every other item's bytes.
  for (let i = 0; i < items; i++) if (ctrl[HEAD + i]! < 0) redo(i);
}

/** Claims and runs items until none is left; `tid` 0 is the main thread. */
function work<P>(
  task: WorkerTask<never, P>,
  prepared: P,
  ctrl: Int32Array,
  times: Float64Array,
  items: number,
  tid: number,
  onFirstClaim?: () => void,
): void {
  for (;;) {
    const i = Atomics.add(ctrl, NEXT, 1);
    onFirstClaim?.();
    onFirstClaim = undefined;
    if (i >= items) return;
    const t0 = performance.now();
    let ok = false;
    try {
      ok = task.run(prepared, i);
    } catch (e) {
      // The main thread's own exceptions are bugs, reported as such; a worker's item is redone there.
      if (tid === 0) throw e;
      if (process.env.TSLD_DEBUG) process.stderr.write(`tsld: worker ${tid}: ${task.name}: ${(e as Error).stack}\n`);
    }
    times[2 * i] = performance.timeOrigin + t0;
    times[2 * i + 1] = performance.now() - t0;
    Atomics.store(ctrl, HEAD + i, ok ? tid + 1 : -(tid + 1));
    Atomics.add(ctrl, DONE, 1);
    Atomics.notify(ctrl, DONE);
  }
}

/**
 * The worker side: serves jobs of `tasks` until the pool closes. A worker
 * entry calls it once; on the main thread it does nothing.
 */
export function serveWorkerTasks(tasks: readonly WorkerTask<never, unknown>[]): void {
  const { isMainThread, parentPort, workerData } = threads();
  if (isMainThread || !parentPort) return;
  const byName = new Map<string, WorkerTask<never, unknown>>(tasks.map((t) => [t.name, t]));
  const data = workerData as { tsldWorker?: number; ready?: Int32Array } | null;
  const tid = data?.tsldWorker ?? 1;
  parentPort.on("message", (m: JobMessage) => {
    const task = byName.get(m.task);
    const join = (): void => {
      Atomics.add(m.ctrl, JOINED, 1);
      Atomics.notify(m.ctrl, JOINED);
    };
    // Nothing left to claim (the main thread was quicker): no setup.
    if (!task || Atomics.load(m.ctrl, NEXT) >= m.items) return join();
    let prepared: unknown;
    try {
      prepared = task.prepare(m.setup as never);
    } catch {
      return join(); // the main thread takes the items
    }
    work(task, prepared, m.ctrl, m.times, m.items, tid, join);
  });
  if (data?.ready) {
    Atomics.add(data.ready, 0, 1);
    Atomics.notify(data.ready, 0);
  }
}

/**
 * Starts the link's worker pool (`ctx.workers`) once the inputs are loaded:
 * `--threads` threads (default `defaultThreads()`), the main thread one of
 * them, unless the link has less than `MIN_PARALLEL_INPUT_BYTES` of
 * objects. `entry` is the worker entry (a file URL), which serves every
 * stage's tasks. Records what it decided in `ctx.threadInfo` (`-v`).
 */
export function startWorkers(ctx: LinkContext, entry: URL | string, execArgv?: string[]): void {
  const threads = ctx.options.threads ?? defaultThreads();
  let bytes = 0;
  for (const f of ctx.files) if (f.kind === "object") bytes += f.data.byteLength;
  const mb = `${(bytes / 2 ** 20).toFixed(1)} MiB of objects`;
  if (threads <= 1) {
    ctx.threadInfo = `threads: 1 (${mb})`;
    return;
  }
  if (bytes < MIN_PARALLEL_INPUT_BYTES) {
    ctx.threadInfo = `threads: 1 of ${threads} (${mb}: below ${MIN_PARALLEL_INPUT_BYTES >> 20} MiB, no workers)`;
    return;
  }
  const pool = WorkerPool.start(entry, threads, execArgv);
  ctx.workers = pool;
  ctx.threadInfo = `threads: ${pool.size + 1} (the main thread and ${pool.size} worker${pool.size === 1 ? "" : "s"}; ${mb})`;
}
