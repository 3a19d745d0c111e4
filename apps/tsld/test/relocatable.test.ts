// Relocatable output (`tsld -r`): objects merged into one MH_OBJECT, which
// then links (with ld64.lld-19 and with tsld) into the same running program
// as the objects themselves.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { linkWithLld } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { compileC, runMachO, tmp, tsld } from "./helpers.js";

/** `llvm-objdump-19 --macho ARGS file`: stdout, and stderr (its warnings) which must be empty. */
function objdump(file: string, ...args: string[]): string {
  const r = spawnSync("llvm-objdump-19", ["--macho", ...args, file], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout;
}

function readobj(file: string, ...args: string[]): string {
  const r = spawnSync("llvm-readobj-19", [...args, file], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout;
}

/** `tsld -r -o OUT objects…`; fails the test unless it links cleanly. */
async function relocate(dir: string, name: string, objects: string[], flags: string[] = []): Promise<string> {
  const out = join(dir, name);
  const r = await tsld(["-r", "-o", out, ...flags, ...objects], { hostLibSystem: false });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return out;
}

/**
 * Links `objects` directly and through `tsld -r`, with lld and with tsld;
 * every program prints and exits as the directly lld-linked one.
 */
async function roundTrip(name: string, objects: string[], extra: string[] = []) {
  const dir = tmp("tsld-r-");
  const merged = await relocate(dir, `${name}.o`, objects);
  objdump(merged, "-r", "-h", "-t", "--private-headers");
  readobj(merged, "--all");
  const direct = join(dir, `${name}.direct`);
  linkWithLld([...objects, ...extra], direct);
  const want = runMachO(direct);
  const viaLld = join(dir, `${name}.lld`);
  linkWithLld([merged, ...extra], viaLld);
  const viaTsld = join(dir, `${name}.tsld`);
  const r = await tsld(["-o", viaTsld, merged, ...extra]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  for (const image of [viaLld, viaTsld]) {
    const got = runMachO(image);
    expect(got.stdout, image).toBe(want.stdout);
    expect(got.stderr, image).toBe(want.stderr);
    expect(got.status, image).toBe(want.status);
  }
  // -r of the -r output writes the same bytes.
  const again = await relocate(dir, `${name}.again.o`, [merged]);
  expect(readFileSync(again).equals(readFileSync(merged))).toBe(true);
  return { dir, merged, want };
}

describe("tsld -r", () => {
  it("hello: two C files merged link and run as the objects do", async () => {
    const a = compileC(`#include <stdio.h>
extern int twice(int);
extern const char *greeting;
static int counter = 3;
int main(void) { printf("%s %d\\n", greeting, twice(counter)); return 7; }`);
    const b = compileC(`const char *greeting = "hello from b";
static const char *other = "hello from b";
int twice(int x) { return 2 * x + (other[0] == 'h'); }`);
    const { want } = await roundTrip("hello", [a, b]);
    expect(want.stdout).toBe("hello from b 7\n");
    expect(want.status).toBe(7);
  });
});
