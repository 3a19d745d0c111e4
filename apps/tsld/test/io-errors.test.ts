// The CLI and the OS: every input that cannot be read and every output that
// cannot be written is a link error in the OS's words (as ld64.lld says
// them), exit 1, nothing left behind; -h/--help/--version/-v with no inputs;
// external mode without an SDK root says why the host linker has no libSystem.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { version } from "../src/index.js";
import { tmp, tsld } from "./helpers.js";

const hello = join(__dirname, "../../../examples/hello");
const objs = [join(hello, "main.o"), join(hello, "greet.o")];
/** tsld with the built-in libSystem only (no LLVM needed). */
const link = (args: string[]) => tsld(args, { hostLibSystem: false });

const isRoot = process.getuid?.() === 0;
/** A directory root cannot write in either: sysfs refuses file creation even to root. */
function rootProofReadOnlyDir(): string | undefined {
  try {
    writeFileSync("/sys/tsld-probe", "");
    rmSync("/sys/tsld-probe", { force: true });
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EACCES" ? "/sys" : undefined;
  }
}
const roDir = isRoot ? rootProofReadOnlyDir() : "chmod";

describe("output that cannot be written", () => {
  it("a missing directory: the OS's words, exit 1, nothing written", async () => {
    const dir = tmp();
    const out = join(dir, "out", "prog");
    const r = await link(["-o", out, ...objs]);
    expect(r.stderr).toBe(`tsld: error: cannot write ${out}: No such file or directory\n`);
    expect(r.status).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("-o naming a directory: Is a directory, and the directory is untouched", async () => {
    const dir = tmp();
    const out = join(dir, "prog");
    mkdirSync(out);
    const r = await link(["-o", out, ...objs]);
    expect(r.stderr).toBe(`tsld: error: cannot write ${out}: Is a directory\n`);
    expect(r.status).toBe(1);
    expect(readdirSync(dir)).toEqual(["prog"]); // no temporary file left beside it
    expect(readdirSync(out)).toEqual([]);
  });

  it.skipIf(roDir === undefined)(
    `an unwritable directory: Permission denied (${isRoot ? "as root: /sys, which root cannot write" : "a chmod 555 directory"})`,
    async () => {
      let dir = roDir!;
      if (dir === "chmod") {
        dir = tmp();
        chmodSync(dir, 0o555);
      }
      const out = join(dir, "tsld-prog");
      const r = await link(["-o", out, ...objs]);
      expect(r.stderr).toBe(`tsld: error: cannot write ${out}: Permission denied\n`);
      expect(r.status).toBe(1);
      expect(existsSync(out)).toBe(false);
    },
  );

  it("a map file that cannot be written is a link error too", async () => {
    const dir = tmp();
    const map = join(dir, "no", "map.txt");
    const r = await link(["-o", join(dir, "prog"), "-map", map, ...objs]);
    expect(r.stderr).toBe(`tsld: error: cannot write map file ${map}: No such file or directory\n`);
    expect(r.status).toBe(1);
  });

  it("a successful link leaves only the output", async () => {
    const dir = tmp();
    const r = await link(["-o", join(dir, "prog"), ...objs]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(readdirSync(dir)).toEqual(["prog"]);
  });
});

describe("input that cannot be read", () => {
  it("a missing file", async () => {
    const dir = tmp();
    const r = await link(["-o", join(dir, "prog"), join(dir, "nope.o"), ...objs]);
    expect(r.stderr).toContain(`tsld: error: cannot open ${join(dir, "nope.o")}: No such file or directory\n`);
    expect(r.status).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a directory given as an input", async () => {
    const dir = tmp();
    const r = await link(["-o", join(dir, "prog"), dir, ...objs]);
    expect(r.stderr).toContain(`tsld: error: cannot open ${dir}: Is a directory\n`);
    expect(r.status).toBe(1);
  });
});

describe("help and version", () => {
  for (const flag of ["-h", "--help", "-help"]) {
    it(`${flag} prints the usage on stdout, exit 0`, async () => {
      const r = await link([flag]);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^usage: tsld \[flags\] file\.\.\./);
      expect(r.stderr).toBe("");
    });
  }
  for (const args of [["--version"], ["-version"], ["-v"]]) {
    it(`${args.join(" ")} with no inputs prints the version, exit 0`, async () => {
      const r = await link(args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^tsld ${version().replaceAll(".", "\\.")} \\(`));
      expect(r.stderr).toBe("");
    });
  }
  it("the version is the package's", () => {
    expect(version()).toMatch(/^\d+\.\d+\.\d+/);
  });
  it("-v with inputs still links and prints stage times", async () => {
    const r = await link(["-v", "-o", join(tmp(), "prog"), ...objs]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("loadObjects");
  });
  it("no inputs and no -v is still a usage error", async () => {
    const r = await link(["-o", "x"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("no input files");
  });
});

describe("-linkmode=external without an SDK root", () => {
  it("says the host linker cannot see tsld's built-in libSystem", async () => {
    const dir = tmp();
    // A host linker that, like ld64.lld without an SDK, finds no libSystem.
    const fake = join(dir, "fake-ld");
    writeFileSync(fake, "#!/bin/sh\necho 'ld64.lld: error: library not found for -lSystem' >&2\nexit 1\n", {
      mode: 0o755,
    });
    const r = await link(["-linkmode=external", `-extld=${fake}`, "-o", join(dir, "prog"), objs[0]!]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("library not found for -lSystem");
    expect(r.stderr).toContain("the host linker cannot see it");
    expect(r.stderr).toContain("-extldflags '-isysroot");
    expect(existsSync(join(dir, "prog"))).toBe(false);
  });

  it("no note when an SDK root was given", async () => {
    const dir = tmp();
    const fake = join(dir, "fake-ld");
    writeFileSync(fake, "#!/bin/sh\necho 'ld64.lld: error: library not found for -lSystem' >&2\nexit 1\n", {
      mode: 0o755,
    });
    const r = await link([
      "-linkmode=external",
      `-extld=${fake}`,
      "-extldflags=-isysroot /sdk",
      "-o",
      join(dir, "prog"),
      objs[0]!,
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).not.toContain("cannot see it");
  });

  it.skipIf(spawnSync("clang-19", ["--version"]).status !== 0)(
    "with the real cross toolchain (clang-19 + ld64.lld-19) and no SDK",
    async () => {
      const dir = tmp();
      const r = await link(["-linkmode=external", "-o", join(dir, "prog"), ...objs]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/-lSystem/);
      expect(r.stderr).toContain("the host linker cannot see it");
    },
  );
});
