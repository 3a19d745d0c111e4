// Real programs against the built-in SDK alone (no -L, no -syslibroot, no
// -undefined escape), through both front ends: Debian's zlib, bzip2 and
// sqlite3 and Debian's Lua 5.4, each library and program linked by `tsld`
// and by `ld64.tsld`; and Go 1.19's darwin go.o (Go's external link runs
// ld64.tsld on it, as in go-external.test.ts; here `tsld` links the same
// go.o too, and the image passes the moduledata checker).
//
// The objects are compiled with glibc's headers (no macOS SDK exists here),
// which spell a few C interfaces with glibc's ABI names. Each is renamed
// (llvm-objcopy --redefine-sym) to the name macOS's headers give the same
// interface, so what is linked is what the program imports when built
// with Apple's SDK; everything else the programs import is left as
// compiled.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import {
  GO_DARWIN_FRAMEWORKS,
  buildDebianProgramAsync,
  checkGoImage,
  goExternalHello,
  lldBaseArgs,
  compileCFileAsync,
  repoRoot,
  requireTool,
  runAsync,
} from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { main } from "../src/index.js";
import { tmp } from "./helpers.js";
import { bundleLd64 } from "./ld64-bin.js";

/** glibc's ABI spelling → what macOS's headers make of the same C interface (x86_64). */
const DARWIN_SPELLING: Record<string, string> = {
  ___errno_location: "___error", // errno.h: errno is (*__error())
  _stderr: "___stderrp", // stdio.h: #define stderr __stderrp
  _stdin: "___stdinp",
  _stdout: "___stdoutp",
  ___ctype_b_loc: "___maskrune", // ctype.h: isalpha() & co test the rune table through __maskrune
  ___assert_fail: "___assert_rtn", // assert.h
  ___isoc99_sscanf: "_sscanf", // glibc's C99 scanf names
  ___isoc99_fscanf: "_fscanf",
  __isoc99_sscanf: "_sscanf",
  __isoc99_fscanf: "_fscanf",
  // off_t is 64-bit on macOS: no large-file (…64) names; sys/stat.h and dirent.h select $INODE64.
  fopen64: "_fopen",
  freopen64: "_freopen",
  fseeko64: "_fseeko",
  ftello64: "_ftello",
  tmpfile64: "_tmpfile",
  mkstemp64: "_mkstemp",
  open64: "_open",
  lseek64: "_lseek",
  _lseek64: "_lseek",
  fcntl64: "_fcntl",
  ftruncate64: "_ftruncate",
  mmap64: "_mmap",
  stat64: "_stat$INODE64",
  lstat64: "_lstat$INODE64",
  fstat64: "_fstat$INODE64",
  readdir64: "_readdir$INODE64",
};

async function undefinedNames(obj: string): Promise<string[]> {
  return (await runAsync(requireTool("llvm-nm-19"), ["-u", obj]))
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}

/** Copies of `objects` with glibc's spellings renamed to macOS's (child processes run async: the worker stays responsive). */
async function darwinSpelled(objects: string[], dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  for (const [i, o] of objects.entries()) {
    const copy = join(dir, `${i}-${basename(o)}`);
    const renames = (await undefinedNames(o))
      .filter((n) => n in DARWIN_SPELLING)
      .flatMap((n) => ["--redefine-sym", `${n}=${DARWIN_SPELLING[n]}`]);
    await runAsync(requireTool("llvm-objcopy-19"), [...renames, o, copy]);
    out.push(copy);
  }
  return out;
}

async function link(flavor: "tsld" | "ld64", objects: string[], out: string): Promise<string> {
  let stderr = "";
  const io = { stdout: () => {}, stderr: (s: string) => (stderr += s) };
  const args =
    flavor === "tsld"
      ? ["-o", out, ...objects, "-lm"]
      : [...lldBaseArgs(out), "-syslibroot", "/", ...objects, "-lSystem", "-lm"];
  const status = await main(args, io, flavor);
  return status === 0 ? "" : `exit ${status}: ${stderr}`;
}

async function linkBothWays(name: string, objects: string[]): Promise<void> {
  const dir = tmp(`builtin-sdk-${name}-`);
  const objs = await darwinSpelled(objects, join(dir, "obj"));
  for (const flavor of ["tsld", "ld64"] as const) {
    const out = join(dir, `${name}.${flavor}`);
    expect(await link(flavor, objs, out), `${name} via ${flavor}`).toBe("");
    const dylibs = await runAsync(requireTool("llvm-objdump-19"), ["--macho", "--dylibs-used", out]);
    expect(dylibs).toContain("/usr/lib/libSystem.B.dylib");
  }
}

describe("real programs link against the built-in SDK alone, via tsld and ld64.tsld", () => {
  for (const pkg of ["zlib", "bzip2"] as const) {
    it(`Debian ${pkg}`, async () => {
      const build = await buildDebianProgramAsync(pkg);
      for (const prog of build.programs)
        await linkBothWays(`${pkg}-${prog.name}`, [...prog.objects, ...build.libObjects]);
    }, 600_000);
  }

  it("Debian sqlite3 (its shell and the amalgamation, built as for macOS: no Linux mremap)", async () => {
    const build = await buildDebianProgramAsync("sqlite3");
    const dir = `${build.srcDir}-amalgamation`;
    const opts = {
      include: [dir],
      defines: ["SQLITE_THREADSAFE=1", "SQLITE_ENABLE_FTS5", "HAVE_MREMAP=0"],
      cflags: ["-fno-strict-aliasing", "-w"],
      O: "0",
    };
    const objects = await Promise.all(["shell.c", "sqlite3.c"].map((f) => compileCFileAsync(join(dir, f), opts)));
    await linkBothWays("sqlite3", objects);
  }, 900_000);

  it("Debian Lua 5.4 (LUA_USE_MACOSX, as its Makefile builds it for macOS)", async () => {
    const root = join(repoRoot(), ".cache", "debian-src");
    const find = () =>
      existsSync(root)
        ? readdirSync(root).find((d) => /^lua5\.4-[\d.]+$/.test(d) && existsSync(join(root, d, ".tsld-complete")))
        : undefined;
    if (find() === undefined) await runAsync("bash", [join(repoRoot(), "tools/fixtures/debian/fetch.sh"), "lua5.4"]);
    const src = join(root, find()!, "src");
    // Debian's luaconf.h includes the multiarch header its build generates.
    const gen = join(repoRoot(), ".cache", "fixtures", "lua5.4-deb-multiarch");
    mkdirSync(gen, { recursive: true });
    writeFileSync(join(gen, "lua5.4-deb-multiarch.h"), '#define DEB_HOST_MULTIARCH "x86_64-apple-darwin"\n');
    const sources = readdirSync(src).filter((f) => f.endsWith(".c") && f !== "luac.c");
    const objects = await Promise.all(
      sources.map((f) => compileCFileAsync(join(src, f), { include: [src, gen], defines: ["LUA_USE_MACOSX"], O: "1" })),
    );
    await linkBothWays("lua", objects);
  }, 600_000);

  it("Go 1.19's darwin go.o (pure Go, external link), via ld64.tsld from go build and via tsld", async () => {
    const dir = tmp("builtin-sdk-go-");
    const go = await goExternalHello(join(dir, "go"), await bundleLd64(join(dir, "ld64")));
    expect(checkGoImage(go.image).errors).toEqual([]);
    const out = join(dir, "hello.tsld");
    let stderrText = "";
    const io = { stdout: () => {}, stderr: (s: string) => void (stderrText += s) };
    const args = ["-o", out, go.goObject, ...GO_DARWIN_FRAMEWORKS.flatMap((f) => ["-framework", f])];
    expect(await main(args, io, "tsld"), stderrText).toBe(0);
    const r = checkGoImage(out);
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
  }, 600_000);
});
