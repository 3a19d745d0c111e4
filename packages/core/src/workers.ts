/**
 * Worker threads: one pool per link (lld's `parallelFor` over LLVM's thread
 * pool, mold's TBB arena), started once, shared by every parallel pass.
 *
 * A parallel pass is a *job*: a task name, a setup object (typed columns
 * backed by `SharedArrayBuffer`s, so posting it shares memory rather than
 * copying it) and a count of *items* (objects to parse, ranges of atoms,
 * chunks of the output file). The passes stay synchronous: `runParallel`
 * posts the job to every worker, then the main thread takes items too, all
 * of them claiming the next item from one shared counter (`Atomics.add`),
 * and the main thread waits (`Atomics.wait`) until every item is done. Items
 * write disjoint ranges of one shared output buffer, so the bytes do not
 * depend on who ran what, or on how many threads there were: a link is
 * byte-identical with any `--threads`.
 *
 * A job whose items each produce a value (`CollectingTask`: an object's
 * parse) is consumed in order instead (`parallelValues`): each worker posts
 * its items' values on a port of its own (the typed arrays moved, not
 * copied), and the main thread takes item i's value when it needs it
 * (`receiveMessageOnPort`, synchronously), claiming the lowest unclaimed
 * item itself rather than waiting. So the main thread merges object i while
 * the workers parse the next ones, and what it merges does not depend on
 * who parsed it.
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
import { statSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { MessagePort, Worker } from "node:worker_threads";

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

/**
 * A task whose items produce a value each (per-object parsing): after a
 * successful `run`, `take` hands over item `i`'s value; a worker posts it to
 * the main thread (moving the ArrayBuffers in `transfer`, copying nothing),
 * which reads it synchronously (`parallelValues`). An item's value must
 * depend on the item alone: the main thread may run an item a worker is
 * still running (and drop the worker's copy).
 */
export interface CollectingTask<S, P, R> extends WorkerTask<S, P> {
  take(prepared: P, item: number): { value: R; transfer: ArrayBuffer[] };
  /**
   * How many items past the last one the main thread has taken a worker may
   * claim: what bounds the values waiting in memory (objects parsed ahead of
   * the merge).
   */
  window: number;
  /**
   * Item i's size in any unit its cost grows with (an object's bytes): how
   * long the main thread lets a worker run an item before it runs it too
   * (`ItemValues.get`) scales with it. Without it every item weighs 1.
   */
  weight?(setup: S, item: number): number;
}

/** What the main thread posts to each worker per job. */
interface JobMessage {
  /** The job's number in this pool: what its items' posted values carry. */
  job: number;
  task: string;
  setup: unknown;
  items: number;
  /**
   * [0] next item, [1] items done, [2] workers joined, [3] items whose values the main thread has taken
   * (`CollectingTask`); then per item its status (0 pending, tid+1 done, -(tid+1) to redo).
   */
  ctrl: Int32Array;
  /** Per item: start (epoch ms: `performance.timeOrigin + now()`) and duration (ms). */
  times: Float64Array;
}

const NEXT = 0;
const DONE = 1;
/** Workers that have made their first claim of the job (`TSLD_WORKERS_WAIT`). */
const JOINED = 2;
/** Items whose values the main thread has taken (`ItemValues.get`), which bounds how far workers claim ahead. */
const TAKEN = 3;
const HEAD = 4;

/**
 * How much longer than the main thread itself would take `ItemValues.get`
 * lets a worker run an item before it runs the item too (items of a
 * collecting task are pure, so either copy will do): the item's weight times
 * the main thread's own rate so far (ms per weight unit, from the items it
 * ran), twice, plus `DUPLICATE_AFTER_MS`, counted from when the worker
 * started it. On a machine busier than its cores a worker may be off the CPU
 * for many times that while the main thread, which merges, waits; a worker
 * that is simply running a big item is left to finish it.
 */
const DUPLICATE_AFTER_MS = 2;
/** Until the main thread has run an item itself: ms per weight unit (an object parsed cold, ~20 ms per MiB). */
const DEFAULT_MS_PER_WEIGHT = 20 / 2 ** 20;

/** A worker's posted value of item `item` of job `job` (`CollectingTask`). */
interface ItemValue {
  job: number;
  item: number;
  value: unknown;
}

/** Adds 1 to counter `at` of `counters` and wakes its waiters. */
function signal(counters: Int32Array, at: number): void {
  Atomics.add(counters, at, 1);
  Atomics.notify(counters, at);
}

/**
 * Waits until counter `at` of `counters` reaches `n`, or until
 * `performance.now()` passes `until` (in 100 ms naps, so a deadline is seen).
 */
function waitFor(counters: Int32Array, at: number, n: number, until = Number.POSITIVE_INFINITY): void {
  let v = Atomics.load(counters, at);
  while (v < n && performance.now() < until) {
    Atomics.wait(counters, at, v, 100);
    v = Atomics.load(counters, at);
  }
}

/**
 * Links with less object input than this (bytes of the command line's
 * objects and archives) start no workers. A worker's start (a fresh isolate
 * loading the worker bundle, 70 KB then, 128 KB with the DWARF merge since)
 * cost 95–148 ms of CPU (median ~125 ms) at load average 6–9 on this
 * project's 2-core machine, a few tens of ms idle. The
 * parallel work (the relocate/copy items and the hashes) is ~5 ms per MiB
 * of objects (~400 ms of the 83 MiB synthetic 400×500 link's one-thread CPU
 * profile), of which a second thread takes half: at ~40 ms per start,
 * break-even is near 16 MiB. Parsing objects on the workers takes another
 * ~3 ms per MiB off the main thread (~260 of the ~880 ms of main-thread CPU
 * loadObjects spends on that link), so the break-even is lower now; the
 * threshold stays. Debug info counts as any other bytes: a worker forced on
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
  /** Per worker, the port its items' values (`CollectingTask`) arrive on. */
  private readonly ports: MessagePort[] = [];
  private jobs = 0;
  /** [0]: workers that have loaded their tasks (`serveWorkerTasks`). */
  private readonly ready = new Int32Array(new SharedArrayBuffer(4));
  /** Wait for every worker to load before the first job (`TSLD_WORKERS_WAIT`, for tests: every worker then takes items). */
  private waitReady = process.env.TSLD_WORKERS_WAIT === "1";
  /** With `TSLD_WORKERS_WAIT`, each job also waits for every worker's first claim: each worker takes an item. */
  private readonly waitJoin = process.env.TSLD_WORKERS_WAIT === "1";

  private constructor(entry: URL | string, n: number, execArgv: string[] | undefined) {
    for (let i = 0; i < n; i++) {
      let w: Worker;
      const { port1, port2 } = new (threads().MessageChannel)();
      try {
        const workerData = { tsldWorker: i + 1, ready: this.ready, values: port2 };
        w = new (threads().Worker)(entry, { workerData, transferList: [port2], ...(execArgv ? { execArgv } : {}) });
      } catch {
        port1.close();
        continue;
      }
      port1.unref();
      this.ports.push(port1);
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
    this.awaitReady();
    runJob(this.workers, ++this.jobs, timer, task, setup, items, redo, detail, this.waitJoin);
  }

  /**
   * Starts a job of `task`, whose items produce values, and returns at
   * once: `get(i)` gives item i's value when it is ready (see `ItemValues`).
   */
  values<S, P, R>(
    timer: Timers,
    task: CollectingTask<S, P, R>,
    setup: S,
    items: number,
    detail?: (i: number) => string,
  ): ItemValues<R> {
    this.awaitReady();
    return new ValueJob(this.workers, this.ports, ++this.jobs, timer, task, setup, items, detail, this.waitJoin);
  }

  private awaitReady(): void {
    if (!this.waitReady) return;
    // At most 30 s: a worker that fails to load never says so here (its error event needs the event loop).
    waitFor(this.ready, 0, this.workers.length, performance.now() + 30_000);
    this.waitReady = false;
  }

  /** Stops every worker (at the end of the link). */
  close(): void {
    for (const w of this.workers) void w.terminate().catch(() => {});
    for (const p of this.ports) p.close();
    this.workers.length = 0;
    this.ports.length = 0;
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
  else runJob([], 0, timer, task, setup, items, redo, detail);
}

/**
 * The values of a job's items, in the order the main thread wants them
 * (objects merged in command-line order while the workers parse the next
 * ones). `get(i)` returns item i's value: taken from the worker that made
 * it, or made now in the main thread: the main thread claims items itself
 * (the lowest unclaimed ones, up to i) rather than wait, redoes an item
 * a worker could not finish, and runs item i itself too when the worker
 * that has it takes well past what the main thread would (see
 * `DUPLICATE_AFTER_MS`). Call `finish()` once every value is taken or no
 * more are wanted: items nobody claimed are dropped, and the items run are
 * recorded in the time trace.
 */
export interface ItemValues<R> {
  get(i: number): R;
  finish(): void;
}

/**
 * `WorkerPool.values` over `pool`, or in the main thread alone when there
 * is none (each `get(i)` then runs item i).
 */
export function parallelValues<S, P, R>(
  pool: WorkerPool | undefined,
  timer: Timers,
  task: CollectingTask<S, P, R>,
  setup: S,
  items: number,
  detail?: (i: number) => string,
): ItemValues<R> {
  if (pool) return pool.values(timer, task, setup, items, detail);
  return new ValueJob([], [], 0, timer, task, setup, items, detail, false);
}

class ValueJob<S, P, R> implements ItemValues<R> {
  private readonly ctrl: Int32Array;
  private readonly times: Float64Array;
  private readonly out: (R | undefined)[];
  private readonly have: Uint8Array;
  /** Items whose values `get` has returned (a late copy from a worker is dropped). */
  private readonly taken: Uint8Array;
  private prepared: P | undefined;
  private done = false;
  /** The main thread's own items: their total time (ms) and weight, its rate for `get`'s patience. */
  private ownMs = 0;
  private ownWeight = 0;
  private readonly ports: readonly MessagePort[];
  private readonly job: number;
  private readonly timer: Timers;
  private readonly task: CollectingTask<S, P, R>;
  private readonly setup: S;
  private readonly items: number;
  private readonly detail: ((i: number) => string) | undefined;

  constructor(
    workers: readonly Worker[],
    ports: readonly MessagePort[],
    job: number,
    timer: Timers,
    task: CollectingTask<S, P, R>,
    setup: S,
    items: number,
    detail: ((i: number) => string) | undefined,
    waitJoin: boolean,
  ) {
    this.ports = ports;
    this.job = job;
    this.timer = timer;
    this.task = task;
    this.setup = setup;
    this.items = items;
    this.detail = detail;
    this.ctrl = new Int32Array(new SharedArrayBuffer((HEAD + items) * 4));
    this.times = new Float64Array(new SharedArrayBuffer(Math.max(1, items) * 2 * 8));
    this.out = new Array(items);
    this.have = new Uint8Array(items);
    this.taken = new Uint8Array(items);
    if (items > 1 && workers.length > 0) post(workers, job, task, setup, items, this.ctrl, this.times, waitJoin);
  }

  get(i: number): R {
    const ctrl = this.ctrl;
    let waitStart = 0;
    for (;;) {
      if (this.have[i]) {
        const v = this.out[i]!;
        this.out[i] = undefined;
        this.taken[i] = 1;
        if (i + 1 > Atomics.load(ctrl, TAKEN)) {
          Atomics.store(ctrl, TAKEN, i + 1);
          Atomics.notify(ctrl, TAKEN);
        }
        return v;
      }
      const st = Atomics.load(ctrl, HEAD + i);
      if (st > 0) {
        this.receive();
        // A value that did not arrive (none should): the main thread makes it.
        if (!this.have[i]) this.runHere(i, false);
      } else if (st < 0) {
        this.runHere(i, false);
      } else {
        const next = Atomics.load(ctrl, NEXT);
        if (next <= i) {
          // Unclaimed items up to i: the main thread takes the lowest rather than wait.
          if (Atomics.compareExchange(ctrl, NEXT, next, next + 1) === next) this.runHere(next, true);
        } else {
          // A worker has item i: wait for it, then (a worker the OS has descheduled, on a busy
          // machine) run it here too; the worker's copy, when it comes, is dropped.
          const now = performance.now();
          if (waitStart === 0) waitStart = now;
          const limit = this.patience(i);
          // From when the worker started the item (it marks that first), or, not started yet, from now.
          const started = this.times[2 * i]! - performance.timeOrigin;
          const deadline = (started > 0 ? started : waitStart) + limit;
          if (now >= deadline) {
            this.runHere(i, false, true);
            continue;
          }
          const d = Atomics.load(ctrl, DONE);
          if (Atomics.load(ctrl, HEAD + i) === 0) Atomics.wait(ctrl, DONE, d, Math.min(deadline - now, 100));
        }
      }
    }
  }

  finish(): void {
    if (this.done) return;
    this.done = true;
    const ctrl = this.ctrl;
    // Items nobody claimed are wanted by nobody: no one runs them. Workers waiting on the window stop.
    const claimed = Math.min(Atomics.exchange(ctrl, NEXT, this.items), this.items);
    Atomics.store(ctrl, TAKEN, this.items);
    Atomics.notify(ctrl, TAKEN);
    // Every value was taken: the workers' last items are waited for only for the time trace, and not
    // for ever (a worker that died in one never says so).
    waitFor(ctrl, DONE, claimed, performance.now() + 1000);
    recordItems(this.timer, this.task.name, ctrl, this.times, claimed, this.detail);
    this.receive();
    this.out.length = 0;
  }

  /**
   * Item i in the main thread: a claimed one (timed and counted as done), a
   * redo, or (`again`) one a worker is late with, which gets a row of its own
   * in the time trace.
   */
  private runHere(i: number, claimed: boolean, again = false): void {
    this.prepared ??= this.task.prepare(this.setup);
    const t0 = performance.now();
    if (!this.task.run(this.prepared, i)) fail(this.task.name, i);
    this.out[i] = this.task.take(this.prepared, i).value;
    this.have[i] = 1;
    const ms = performance.now() - t0;
    this.ownMs += ms;
    this.ownWeight += this.weight(i);
    if (again) {
      const d = this.detail?.(i);
      this.timer.record(
        this.task.name,
        t0 + performance.timeOrigin - this.timer.epochMs(),
        ms,
        0,
        `${d ?? `item ${i}`} (again: its worker was late)`,
      );
    }
    if (!claimed) return;
    this.times[2 * i] = performance.timeOrigin + t0;
    this.times[2 * i + 1] = ms;
    Atomics.store(this.ctrl, HEAD + i, 1);
    signal(this.ctrl, DONE);
  }

  private weight(i: number): number {
    return this.task.weight?.(this.setup, i) ?? 1;
  }

  /** How long (ms) a worker may run item i before the main thread runs it too (see `DUPLICATE_AFTER_MS`). */
  private patience(i: number): number {
    const rate = this.ownWeight > 0 ? this.ownMs / this.ownWeight : this.task.weight ? DEFAULT_MS_PER_WEIGHT : 0;
    return DUPLICATE_AFTER_MS + 2 * rate * this.weight(i);
  }

  /** Every value the workers have posted for this job so far. */
  private receive(): void {
    const { receiveMessageOnPort } = threads();
    for (const port of this.ports) {
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
        const v = m.message as ItemValue;
        if (v.job !== this.job || this.done || this.taken[v.item]) continue;
        this.out[v.item] = v.value as R;
        this.have[v.item] = 1;
      }
    }
  }
}

/** Posts job `job` of `task` to every worker; with `waitJoin`, waits for each worker's first claim. */
function post<S>(
  workers: readonly Worker[],
  job: number,
  task: WorkerTask<S, unknown>,
  setup: S,
  items: number,
  ctrl: Int32Array,
  times: Float64Array,
  waitJoin: boolean,
): void {
  const msg: JobMessage = { job, task: task.name, setup, items, ctrl, times };
  for (const w of workers) w.postMessage(msg);
  if (waitJoin) waitFor(ctrl, JOINED, workers.length, performance.now() + 30_000);
}

/** Items 0..n-1 of a job into the time trace, each on the row of the thread that ran it (those not done: none). */
function recordItems(
  timer: Timers,
  name: string,
  ctrl: Int32Array,
  times: Float64Array,
  n: number,
  detail?: (i: number) => string,
): void {
  const base = timer.epochMs();
  for (let i = 0; i < n; i++) {
    const st = Atomics.load(ctrl, HEAD + i);
    if (st !== 0) timer.record(name, times[2 * i]! - base, times[2 * i + 1]!, Math.abs(st) - 1, detail?.(i));
  }
}

function fail(task: string, item: number): never {
  throw new Error(`${task}: item ${item} failed in the main thread`);
}

function runJob<S, P>(
  workers: readonly Worker[],
  job: number,
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
  if (items > 1 && workers.length > 0) post(workers, job, task, setup, items, ctrl, times, waitJoin);
  work(task, task.prepare(setup), ctrl, times, items, 0);
  // Items the workers claimed: wait for them.
  waitFor(ctrl, DONE, items);
  recordItems(timer, task.name, ctrl, times, items, detail);
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
  /** A worker's port for its items' values (`CollectingTask`), with the job's number. */
  values?: { port: MessagePort; job: number },
): void {
  const collecting = values ? (task as Partial<CollectingTask<never, P, unknown>>) : undefined;
  const take = collecting?.take;
  const window = collecting?.window ?? 0;
  for (;;) {
    // A collecting job's worker stays within `window` items of what the main thread has taken.
    if (window > 0) {
      for (let next = Atomics.load(ctrl, NEXT); next < items; next = Atomics.load(ctrl, NEXT)) {
        const taken = Atomics.load(ctrl, TAKEN);
        if (next < taken + window) break;
        // A worker that must wait has joined too (TSLD_WORKERS_WAIT's post waits for every worker's
        // join, while the main thread, which would move the window, has taken nothing yet).
        onFirstClaim?.();
        onFirstClaim = undefined;
        Atomics.wait(ctrl, TAKEN, taken, 100);
      }
    }
    const i = Atomics.add(ctrl, NEXT, 1);
    onFirstClaim?.();
    onFirstClaim = undefined;
    if (i >= items) return;
    const t0 = performance.now();
    // The start, marked first: how long this item has run is what the main thread's patience counts.
    times[2 * i] = performance.timeOrigin + t0;
    let ok = false;
    try {
      const done = task.run(prepared, i);
      if (done && take && values) {
        const { value, transfer } = take(prepared, i);
        values.port.postMessage({ job: values.job, item: i, value } satisfies ItemValue, transfer);
      }
      ok = done;
    } catch (e) {
      // The main thread's own exceptions are bugs, reported as such; a worker's item is redone there.
      if (tid === 0) throw e;
      if (process.env.TSLD_DEBUG) process.stderr.write(`tsld: worker ${tid}: ${task.name}: ${(e as Error).stack}\n`);
    }
    times[2 * i] = performance.timeOrigin + t0;
    times[2 * i + 1] = performance.now() - t0;
    Atomics.store(ctrl, HEAD + i, ok ? tid + 1 : -(tid + 1));
    signal(ctrl, DONE);
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
  const data = workerData as { tsldWorker?: number; ready?: Int32Array; values?: MessagePort } | null;
  const tid = data?.tsldWorker ?? 1;
  parentPort.on("message", (m: JobMessage) => {
    const task = byName.get(m.task);
    const join = (): void => signal(m.ctrl, JOINED);
    // Nothing left to claim (the main thread was quicker): no setup.
    if (!task || Atomics.load(m.ctrl, NEXT) >= m.items) return join();
    let prepared: unknown;
    try {
      prepared = task.prepare(m.setup as never);
    } catch {
      return join(); // the main thread takes the items
    }
    const values = data?.values ? { port: data.values, job: m.job } : undefined;
    work(task, prepared, m.ctrl, m.times, m.items, tid, join, values);
  });
  if (data?.ready) signal(data.ready, 0);
}

/**
 * Starts the link's worker pool (`ctx.workers`) before the inputs are
 * loaded, so that objects are parsed over it (and the workers load while the
 * main thread reads the first inputs): `--threads` threads (default
 * `defaultThreads()`), the main thread one of them, unless the link's
 * command-line objects and archives (their sizes on disk; archives count
 * whole, TBDs and dylibs not at all) are less than
 * `MIN_PARALLEL_INPUT_BYTES`. `entry` is the worker entry (a file URL),
 * which serves every stage's tasks. Records what it decided in
 * `ctx.threadInfo` (`-v`). An input that cannot be read counts 0 (loading
 * reports it).
 */
export function startWorkers(ctx: LinkContext, entry: URL | string, execArgv?: string[]): void {
  const threads = ctx.options.threads ?? defaultThreads();
  let bytes = 0;
  for (const p of ctx.options.inputs) {
    if (/\.(tbd|dylib)$/.test(p)) continue;
    try {
      bytes += statSync(p, { throwIfNoEntry: false })?.size ?? 0;
    } catch {}
  }
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
