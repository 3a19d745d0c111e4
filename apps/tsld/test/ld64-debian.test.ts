// Debian bzip2, sqlite3 and Lua as clang links them: `clang-19 -target
// x86_64-apple-macos11 --ld-path=<ld64.tsld>` over the fixture builders'
// objects. Each program passes its package's own checks under the loader,
// as the ld64.lld-linked one does (bzip2's sample files, SQL through the
// sqlite3 shell, Lua scripts); Lua and bzip2 also as -dynamiclib builds with
// -install_name and versions. Lua is built with -g: the debug map ld64.tsld
// writes lets dsymutil-19 build a dSYM that verifies and symbolizes every
// function to the same file:line as the dSYM of lld's link.
import { execFile, spawnSync } from "node:child_process";
import { join } from "node:path";
import {
  type DebianBuild,
  type DebianPackage,
  buildDebianProgramAsync,
  debianProgram,
  libSystemTbdDir,
  linkDebianProgram,
  lldBaseArgs,
  requireTool,
  run,
} from "@tsld/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { debianRunFailures, tmp } from "./helpers.js";
import { bundleLd64 } from "./ld64-bin.js";

const SLOW = 900_000;
let clang: string[] = [];

beforeAll(async () => {
  const ld64 = await bundleLd64(tmp("ld64-bin-"));
  clang = [requireTool("clang-19"), "-target", "x86_64-apple-macos11", `-L${libSystemTbdDir()}`, `--ld-path=${ld64}`];
}, 120_000);

/** Runs clang-19 (the driver runs ld64.tsld) without blocking the event loop. */
function cc(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(clang[0]!, [...clang.slice(1), ...args], { cwd, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`clang ${args.join(" ")}\n${stdout}\n${stderr}`)) : resolve(),
    );
  });
}

const objdump = (...args: string[]): string => run(requireTool("llvm-objdump-19"), ["--macho", ...args]);

const builds = new Map<DebianPackage, Promise<DebianBuild>>();
const build = (pkg: DebianPackage): Promise<DebianBuild> => {
  let b = builds.get(pkg);
  // Lua with -g: its image carries the debug map the dSYM test follows.
  if (!b) builds.set(pkg, (b = buildDebianProgramAsync(pkg, pkg === "lua" ? { g: true } : {})));
  return b;
};

const PROGRAMS: [DebianPackage, string][] = [
  ["bzip2", "bzip2"],
  ["sqlite3", "sqlite3"],
  ["lua", "lua"],
];

describe.each(PROGRAMS)("Debian %s through clang-19 --ld-path=ld64.tsld", (pkg, name) => {
  it(
    `${name} passes its own checks under the loader, as the lld-linked one does`,
    async () => {
      const b = await build(pkg);
      const prog = debianProgram(b, name);
      const out = join(tmp(), name);
      await cc([...prog.objects, ...b.libObjects, "-o", out], tmp());
      expect(await debianRunFailures(linkDebianProgram(b, name), prog.runs)).toEqual([]);
      expect(await debianRunFailures(out, prog.runs)).toEqual([]);
    },
    SLOW,
  );
});

describe.each([
  ["lua", "lua", "liblua5.4.dylib", "5.4.0", "5.4.4"],
  ["bzip2", "bzip2", "libbz2.1.0.dylib", "1.0.0", "1.0.8"],
] as const)("Debian %s as -dynamiclib through clang-19 --ld-path=ld64.tsld", (pkg, name, lib, compat, current) => {
  it(
    `${lib} with -install_name, -compatibility_version ${compat}, -current_version ${current}; ${name} runs against it`,
    async () => {
      const b = await build(pkg);
      const prog = debianProgram(b, name);
      const dir = tmp();
      const dylib = join(dir, lib);
      await cc(
        [
          "-dynamiclib",
          "-install_name",
          dylib,
          "-compatibility_version",
          compat,
          "-current_version",
          current,
          ...b.libObjects,
          "-o",
          dylib,
        ],
        dir,
      );
      expect(objdump("--dylib-id", dylib)).toContain(dylib);
      const out = join(dir, name);
      await cc([...prog.objects, dylib, "-o", out], dir);
      expect(objdump("--dylibs-used", out)).toContain(
        `${dylib} (compatibility version ${compat}, current version ${current})`,
      );
      expect(await debianRunFailures(out, prog.runs)).toEqual([]);
    },
    SLOW,
  );
});

describe("Lua's debug map through dsymutil-19", () => {
  it(
    "the dSYM verifies, and every function symbolizes to the same file:line as from lld's link's dSYM",
    async () => {
      const b = await build("lua");
      const prog = debianProgram(b, "lua");
      const dir = tmp();
      const ours = join(dir, "lua");
      await cc([...prog.objects, ...b.libObjects, "-o", ours], dir);
      const theirs = join(dir, "lua.lld");
      run(requireTool("ld64.lld-19"), [
        ...lldBaseArgs(theirs),
        ...prog.objects,
        ...b.libObjects,
        "-L",
        libSystemTbdDir(),
        "-lSystem",
      ]);
      const lines = (image: string): Map<string, string> => {
        const dsym = `${image}.dSYM`;
        const r = spawnSync(requireTool("dsymutil-19"), [image, "-o", dsym], { encoding: "utf8" });
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        const dwarf = join(dsym, "Contents/Resources/DWARF", image.split("/").at(-1)!);
        expect(run(requireTool("llvm-dwarfdump-19"), ["--verify", dwarf])).toContain("No errors.");
        // Every function the debug map names, at its address.
        const funs = [
          ...run(requireTool("dsymutil-19"), ["-s", image]).matchAll(/\(N_FUN *\) .. +.... +([0-9a-f]{16}) '(.+)'$/gm),
        ];
        const addrs = funs.map((m) => `0x${m[1]!}`);
        const sym = run(requireTool("llvm-symbolizer-19"), [`--obj=${dwarf}`, ...addrs])
          .trim()
          .split("\n\n");
        expect(sym).toHaveLength(funs.length);
        return new Map(funs.map((m, i) => [m[2]!, sym[i]!.replace(/\n/g, " ")]));
      };
      const mine = lines(ours);
      const lld = lines(theirs);
      expect(mine.size).toBeGreaterThan(600);
      expect([...mine.values()].filter((l) => l.includes("??"))).toEqual([]);
      expect(mine.get("_luaV_execute")).toMatch(/^luaV_execute \S+\/src\/lvm\.c:\d+:0$/);
      expect(Object.fromEntries(mine)).toEqual(Object.fromEntries(lld));
    },
    SLOW,
  );
});
