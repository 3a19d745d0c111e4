// Bad input gives a clear error and no output, never a crash: objects with
// random bytes overwritten must link or fail with exit status 1 (a link
// error), never 3 (an internal error), and a failed link leaves no file.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "@tsld/fixtures";
import { tmp, tsld } from "./helpers.js";

describe("corrupted objects", () => {
  it("never make tsld fail internally", async () => {
    const objs = ["main.o", "greet.o"].map((f) => join(repoRoot(), "examples/hello", f));
    const inputs = objs.map((p) => readFileSync(p));
    const dir = tmp();
    let seed = 20261126;
    const rnd = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed;
    };
    const internal: string[] = [];
    for (let i = 0; i < 300; i++) {
      const which = i % 2;
      const b = Buffer.from(inputs[which]!);
      const n = 1 + (rnd() % 12);
      for (let k = 0; k < n; k++) b[rnd() % b.length] = rnd() & 0xff;
      const bad = join(dir, `bad${i}.o`);
      writeFileSync(bad, b);
      const out = join(dir, `out${i}`);
      const r = await tsld(["-o", out, which === 0 ? bad : objs[0]!, which === 1 ? bad : objs[1]!]);
      if (r.status !== 0 && r.status !== 1)
        internal.push(
          `#${i}: ${r.stderr
            .split("\n")
            .filter((l) => l.includes("internal"))
            .join(" ")}`,
        );
      if (r.status === 1) expect(existsSync(out)).toBe(false);
    }
    expect(internal).toEqual([]);
  }, 120_000);
});
