/**
 * Stage timers, as Go's `bench.Start` marks phases of `ld.Main`: each stage
 * calls `ctx.timer.start("name")` with `using`, and `-v` prints the table.
 * Nested timers are allowed; the report lists them in start order.
 */
export interface TimerRecord {
  name: string;
  ms: number;
  depth: number;
}

export class Timers {
  readonly records: TimerRecord[] = [];
  private depth = 0;

  start(name: string): Disposable & { end(): void } {
    const rec: TimerRecord = { name, ms: 0, depth: this.depth++ };
    this.records.push(rec);
    const t0 = performance.now();
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

  /** One line per stage: `  12.34ms  name`, indented by nesting. */
  report(): string {
    return this.records.map((r) => `${r.ms.toFixed(2).padStart(9)}ms  ${"  ".repeat(r.depth)}${r.name}`).join("\n");
  }
}
