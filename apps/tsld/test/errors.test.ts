// Link errors: clear messages naming the files involved, exit status 1 (link
// errors) or 2 (usage), no stack trace, no output file.
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assemble, compileC, tmp, tsld } from "./helpers.js";

async function fails(args: string[], status: number, ...patterns: RegExp[]): Promise<string> {
  const dir = tmp();
  const out = join(dir, "out");
  const r = await tsld(["-o", out, ...args]);
  expect(r.status, r.stderr).toBe(status);
  for (const p of patterns) expect(r.stderr).toMatch(p);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  expect(r.stdout).toBe("");
  expect(existsSync(out)).toBe(false);
  return r.stderr;
}

describe("errors", () => {
  it("duplicate strong symbols name both files", async () => {
    const a = compileC(`int dup = 1; int main(void) { return dup; }`, { name: "dup-a" });
    const b = compileC(`int dup = 2;`, { name: "dup-b" });
    await fails([a, b], 1, /duplicate symbol: _dup/, /dup-a/, /dup-b/);
  });

  it("reports every undefined symbol at once, with every referencing file", async () => {
    const a = compileC(`extern int u1(void), u2(void); int main(void) { return u1() + u2(); }`, { name: "und-a" });
    const b = compileC(`extern int u1(void); extern int u3; int g(void) { return u1() + u3; }`, { name: "und-b" });
    const err = await fails([a, b], 1, /undefined symbol: _u1/, /undefined symbol: _u2/, /undefined symbol: _u3/);
    const u1 = err.slice(err.indexOf("_u1"), err.indexOf("_u2"));
    expect(u1).toMatch(/und-a/);
    expect(u1).toMatch(/und-b/);
    expect(err.match(/error:/g)?.length).toBe(3);
  });

  it("rejects a truncated object", async () => {
    const dir = tmp();
    const obj = compileC(`int main(void) { return 0; }`, { name: "trunc" });
    const t = join(dir, "trunc.o");
    writeFileSync(t, readFileSync(obj).subarray(0, 200));
    await fails([t], 1, /trunc\.o/);
    const t2 = join(dir, "trunc2.o");
    writeFileSync(t2, readFileSync(obj).subarray(0, 20));
    await fails([t2], 1, /trunc2\.o/);
  });

  it("rejects garbage and missing files", async () => {
    const dir = tmp();
    const g = join(dir, "garbage.o");
    writeFileSync(g, "this is not an object file at all\n".repeat(10));
    await fails([g], 1, /garbage\.o: unknown file type/);
    await fails([join(dir, "missing.o")], 1, /missing\.o/);
  });

  it("rejects a mix of arches, naming both files, and an object that is not the -arch asked for", async () => {
    const arm = assemble(".globl _main\n_main:\n  ret\n", { triple: "arm64-apple-macos11", name: "arm" });
    const x86 = assemble(".globl _f\n_f:\n  retq\n", { arch: "x86_64", name: "x86f" });
    const dir = tmp();
    copyFileSync(arm, join(dir, "arm.o"));
    copyFileSync(x86, join(dir, "x86.o"));
    await fails([join(dir, "arm.o"), join(dir, "x86.o")], 1, /x86\.o: is x86_64, but .*arm\.o is arm64/);
    await fails([join(dir, "x86.o"), join(dir, "arm.o")], 1, /arm\.o: is arm64, but .*x86\.o is x86_64/);
    await fails(
      ["-arch", "x86_64", join(dir, "arm.o")],
      1,
      /arm\.o: is arm64, but the link is for x86_64 \(-arch x86_64\)/,
    );
  });

  it("suggests the closest flag for an unknown one", async () => {
    const obj = compileC(`int main(void) { return 0; }`, { name: "flag" });
    await fails(["-dead_strp", obj], 2, /unknown flag -dead_strp/, /did you mean -dead_strip\?/);
    await fails(["--nostdlb", obj], 2, /did you mean -nostdlib\?/);
    await fails([], 2, /no input files/);
  });

  it("reports a missing entry point", async () => {
    const obj = compileC(`int notmain(void) { return 0; }`, { name: "noentry" });
    await fails([obj], 1, /undefined symbol: _main/);
  });
});
