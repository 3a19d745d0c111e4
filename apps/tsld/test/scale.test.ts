// Hostile but valid inputs link, in memory proportional to their size: an
// object with a million symbols, an archive of 50,000 members pulled one by
// one, and a 1 GiB zero-fill section (which takes no file space and no
// memory). Inputs are written byte by byte (fuzz/inputs.ts), each link runs
// in a fresh child process under the fuzz runner's hang guard, and the
// child's peak memory is checked against a bound that a copy of the input
// per symbol, or of the zero-fill, would break.
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { libSystemTbdDir } from "@tsld/fixtures";
import { afterEach, describe, expect, it } from "vitest";
import { tmp } from "./helpers.js";
import { archive, funcObject, machObject, mainObject, type ObjSymbol } from "./fuzz/inputs.js";
import { CaseRunner } from "./fuzz/runner.js";

const TEXT = 0x80000400;
let runner: CaseRunner | undefined;
afterEach(() => runner?.close());

async function link(args: string[], dir: string) {
  runner = new CaseRunner();
  const r = await runner.run(["-L", libSystemTbdDir(), ...args], dir, 300_000);
  console.log(
    `scale: tsld ${args.map((a) => a.replace(dir, "")).join(" ")}: exit ${r.status}, peak RSS ${Math.round(r.maxRssKiB / 1024)} MiB`,
  );
  return r;
}

describe("hostile but valid inputs", () => {
  it("links an object with a million symbols", async () => {
    const dir = tmp();
    const n = 1_000_000;
    // One-byte functions (ret), every one a symbol: half global, half local.
    const code = new Uint8Array(n).fill(0xc3);
    const locals: ObjSymbol[] = [];
    const globals: ObjSymbol[] = [{ name: "_main", type: 0xf, sect: 1, value: 0 }];
    for (let i = 1; i < n; i++)
      (i & 1 ? locals : globals).push({ name: `_f${i}`, type: i & 1 ? 0xe : 0xf, sect: 1, value: i });
    const obj = machObject(
      [{ segname: "__TEXT", sectname: "__text", data: code, align: 0, flags: TEXT }],
      [...locals, ...globals],
    );
    writeFileSync(join(dir, "big.o"), obj);
    const r = await link(["-o", join(dir, "out"), join(dir, "big.o")], dir);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    // Well under what an object per symbol would cost (~1 KiB each).
    expect(r.maxRssKiB).toBeLessThan(1536 * 1024);
  }, 300_000);

  it("links an archive of 50,000 members, each pulled by the one before", async () => {
    const dir = tmp();
    const n = 50_000;
    const members = Array.from({ length: n }, (_, i) => ({
      name: `m${i}.o`,
      data: funcObject(`_s${i}`, i + 1 < n ? `_s${i + 1}` : undefined),
      defines: [`_s${i}`],
    }));
    writeFileSync(join(dir, "libchain.a"), archive(members, "bsd"));
    writeFileSync(join(dir, "main.o"), mainObject(["_s0"]));
    const r = await link(["-o", join(dir, "out"), join(dir, "main.o"), join(dir, "libchain.a")], dir);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.maxRssKiB).toBeLessThan(1536 * 1024);
  }, 300_000);

  it("links a 1 GiB zero-fill section without writing or allocating it", async () => {
    const dir = tmp();
    const bss = { segname: "__DATA", sectname: "__bss", size: 2 ** 30, align: 4, flags: 0x1 };
    writeFileSync(join(dir, "main.o"), mainObject([], [bss], [{ name: "_big", type: 0xf, sect: 2, value: 0 }]));
    const out = join(dir, "out");
    const r = await link(["-o", out, join(dir, "main.o")], dir);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(statSync(out).size).toBeLessThan(1 << 20);
    expect(r.maxRssKiB).toBeLessThan(512 * 1024);
  }, 300_000);
});
