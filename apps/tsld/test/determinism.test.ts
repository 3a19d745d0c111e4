// Reproducible output: same inputs, same bytes; executables are mode 0755;
// output goes to a temporary file beside it (`.NAME.tsld-PID.tmp`) renamed
// into place, so a failed link or write leaves neither a partial output nor
// the temporary behind.
import { mkdirSync, readdirSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bytes, compileC, tmp, tsld } from "./helpers.js";

const objs = (): string[] => [
  compileC(
    `#include <stdio.h>
extern int f(void);
_Thread_local int tl = 2;
int main(void) { printf("%d %d\\n", f(), tl); return 0; }`,
    { name: "det-a" },
  ),
  compileC(`__attribute__((weak)) int f(void) { return 4; } int g = 3;`, { name: "det-b" }),
];

describe("output files", () => {
  it("are byte-identical across links of the same inputs", async () => {
    const link = async (out: string, flags: string[]): Promise<Buffer> => {
      const r = await tsld(["-o", out, ...flags, ...objs()]);
      expect(r.status, r.stderr).toBe(0);
      return bytes(out);
    };
    // Same name in two directories: a signature's identifier is the output's file name (as ld64's).
    for (const flags of [[], ["-dead_strip"]]) {
      const a = await link(join(tmp(), "det"), flags);
      expect(a.equals(await link(join(tmp(), "det"), flags))).toBe(true);
    }
    // Unsigned, the output name does not reach the image at all.
    const one = await link(join(tmp(), "det"), ["-no_adhoc_codesign"]);
    expect(one.equals(await link(join(tmp(), "somewhere-else"), ["-no_adhoc_codesign"]))).toBe(true);
  });

  it("are executable (0755)", async () => {
    const out = join(tmp(), "mode");
    const r = await tsld(["-o", out, ...objs()]);
    expect(r.status).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o755);
  });

  it("are not left behind by a failed link, nor is any temp file", async () => {
    const dir = tmp();
    const out = join(dir, "fail");
    const bad = compileC(`extern int nowhere(void); int main(void) { return nowhere(); }`, { name: "det-bad" });
    const r = await tsld(["-o", out, bad]);
    expect(r.status).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
    // an existing output survives a failed link untouched
    writeFileSync(out, "previous");
    const r2 = await tsld(["-o", out, bad]);
    expect(r2.status).toBe(1);
    expect(readdirSync(dir)).toEqual(["fail"]);
    expect(bytes(out).toString()).toBe("previous");
  });

  it("are written to a temporary file beside the output, then renamed into place", async () => {
    const dir = tmp();
    const out = join(dir, "prog");
    writeFileSync(out, "previous");
    // Squat on tsld's temporary name: the link cannot write it, and the
    // existing output is untouched (it is never written in place).
    const temp = join(dir, `.prog.tsld-${process.pid}.tmp`);
    mkdirSync(temp);
    const r = await tsld(["-o", out, ...objs()]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`tsld: error: cannot write ${out}: Is a directory\n`);
    expect(bytes(out).toString()).toBe("previous");
    rmdirSync(temp);
    const r2 = await tsld(["-o", out, ...objs()]);
    expect(r2.status, r2.stderr).toBe(0);
    // the temporary became the output: nothing else is left in the directory
    expect(readdirSync(dir)).toEqual(["prog"]);
    expect(bytes(out).readUInt32LE(0)).toBe(0xfeedfacf);
  });

  it("that cannot be written give a clear error (exit 1) and leave no temporary file", async () => {
    const dir = tmp();
    // the output path is a non-empty directory: the rename fails after the temporary is written
    const sub = join(dir, "sub");
    mkdirSync(sub);
    writeFileSync(join(sub, "keep"), "x");
    const r = await tsld(["-o", sub, ...objs()]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^tsld: error: cannot write ${sub}: Is a directory\n$`));
    expect(readdirSync(dir)).toEqual(["sub"]);
    expect(readdirSync(sub)).toEqual(["keep"]);
    // the output's directory does not exist
    const r2 = await tsld(["-o", join(dir, "missing", "prog"), ...objs()]);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toBe(`tsld: error: cannot write ${join(dir, "missing", "prog")}: No such file or directory\n`);
    expect(readdirSync(dir)).toEqual(["sub"]);
  });
});
