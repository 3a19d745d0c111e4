// ld64.tsld: ld64's command line, flag by flag. Each test assembles (or
// compiles) its inputs, links with ld64's syntax, and reads the output back
// with llvm-objdump/llvm-nm, or runs it under the loader.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { libSystemTbdDir, makeArchive, requireTool, writeTbdStub } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { ARCH, assemble, byArch, compileC, ld64, runMachO, tmp } from "./helpers.js";

/** The arch the suite does not run for (an order file's entries for it are not this link's). */
const OTHER = ARCH === "x86_64" ? "arm64" : "x86_64";

/** clang's own argv for `clang -target <arch>-apple-macos11 --ld-path=… x.o -o out`, with the test SDK. */
const clangArgs = (out: string): string[] => [
  "-demangle",
  "-no_deduplicate",
  "-dynamic",
  "-arch",
  ARCH,
  "-platform_version",
  "macos",
  "11.0.0",
  "12.0",
  "-mllvm",
  "-enable-linkonceodr-outlining",
  "-o",
  out,
  "-L",
  libSystemTbdDir(),
];

const tool = (name: string, args: string[]): string => {
  const r = spawnSync(requireTool(name), args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${name} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
};
const nm = (p: string, ...flags: string[]): string => tool("llvm-nm-19", [...flags, p]);
const headers = (p: string): string => tool("llvm-objdump-19", ["--macho", "--private-headers", p]);

/**
 * The few instructions the hand-written inputs use, per arch: return, zero
 * the return value, and call a function (saving arm64's link register).
 */
const ASM = byArch({
  x86_64: { ret: "retq", zero: "xorl %eax, %eax", call: (f: string) => `callq ${f}` },
  arm64: {
    ret: "ret",
    zero: "mov w0, #0",
    call: (f: string) => `stp x29, x30, [sp, #-16]!\n  bl ${f}\n  ldp x29, x30, [sp], #16`,
  },
});
const { ret: RET, zero: ZERO, call: CALL } = ASM;

const MAIN = assemble(
  `.globl _main
.p2align 2
_main:
  ${ZERO}
  ${RET}
.subsections_via_symbols
`,
  { name: "ld64-main" },
);

/** A one-symbol TBD at dir/libNAME.tbd exporting `_NAME_fn`. */
const tbd = (dir: string, name: string): string =>
  writeTbdStub(join(dir, `lib${name}.tbd`), `/usr/lib/lib${name}.dylib`, [`_${name}_fn`], "2");

const member = (name: string, body: string): string =>
  assemble(`.p2align 2\n${body}\n.subsections_via_symbols\n`, { name });

describe("ld64.tsld: the command line", () => {
  it("links clang's argv and runs; the LTO flags get one note", async () => {
    const out = join(tmp(), "hello");
    const obj = compileC(`#include <stdio.h>\nint main(void) { puts("hi from ld64.tsld"); return 0; }`, {
      name: "ld64-hello",
    });
    const r = await ld64([...clangArgs(out), obj, "-lSystem"]);
    expect(r.stderr).toBe(
      "ld64.tsld: note: ignoring LTO options (tsld links no LLVM bitcode): -mllvm -enable-linkonceodr-outlining\n",
    );
    expect(r.status).toBe(0);
    expect(runMachO(out).stdout).toBe("hi from ld64.tsld\n");
  });

  it("-v prints a version line naming tsld and the ld64 it follows", async () => {
    const r = await ld64(["-v"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^@\(#\)PROGRAM:ld {2}PROJECT:ld64-\d+(\.\d+)* \(tsld \d+\.\d+\.\d+/);
    const v = await ld64(["--version"]);
    expect(v.stderr).toContain("tsld");
  });

  it("an unknown flag is an error with a suggestion, and writes nothing", async () => {
    const out = join(tmp(), "x");
    const r = await ld64(["-dead_strp", "-o", out, MAIN]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("ld64.tsld: error: unknown option: -dead_strp (did you mean -dead_strip?)\n");
    expect(existsSync(out)).toBe(false);
  });

  it("an accepted but unimplemented flag warns once, naming it; -w silences; -fatal_warnings fails", async () => {
    const dir = tmp();
    const r = await ld64(["-no_uuid", "-no_uuid", "-o", join(dir, "a"), MAIN]);
    expect(r.status).toBe(0);
    expect(r.stderr.match(/warning: -no_uuid is not implemented/g)).toHaveLength(1);
    const w = await ld64(["-w", "-no_uuid", "-o", join(dir, "b"), MAIN]);
    expect(w.stderr).toBe("");
    const f = await ld64(["-fatal_warnings", "-no_uuid", "-o", join(dir, "c"), MAIN]);
    expect(f.status).toBe(1);
    expect(f.stderr).toContain("error: -fatal_warnings");
    expect(existsSync(join(dir, "c"))).toBe(false);
  });

  it("reads @response files (quoted, nested; not flag values) and -filelist FILE,DIR", async () => {
    const dir = tmp();
    mkdirSync(join(dir, "objs"));
    const lib = member("ld64-rsp-lib", `.globl _helper\n_helper:\n  ${RET}`);
    const obj = member("ld64-rsp-main", `.globl _main\n_main:\n  ${CALL("_helper")}\n  ${ZERO}\n  ${RET}`);
    writeFileSync(join(dir, "objs", "lib.o"), readFileSync(lib));
    writeFileSync(join(dir, "list"), "lib.o\n");
    writeFileSync(join(dir, "inner.rsp"), `"${obj}"\n`);
    writeFileSync(join(dir, "outer.rsp"), `-o '${join(dir, "out")}' @${join(dir, "inner.rsp")}\n`);
    const r = await ld64([`@${join(dir, "outer.rsp")}`, "-filelist", `${join(dir, "list")},${join(dir, "objs")}`]);
    expect(r.stderr).toBe("");
    expect(nm(join(dir, "out"))).toMatch(/ T _helper\n/);
    // A value that starts with @ is a value: -install_name @rpath/…
    const d = await ld64(["-dylib", "-install_name", "@rpath/libx.dylib", "-o", join(dir, "x.dylib"), lib]);
    expect(d.stderr).toBe("");
    expect(headers(join(dir, "x.dylib"))).toContain("name @rpath/libx.dylib");
  });

  it("-static is refused clearly; -r writes an object (and not with -dylib)", async () => {
    const s = await ld64(["-static", "-o", join(tmp(), "x"), MAIN]);
    expect(s.status).toBe(1);
    expect(s.stderr).toMatch(/error: -static: .* not supported/);
    const out = join(tmp(), "r.o");
    const r = await ld64(["-r", "-o", out, MAIN]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(readFileSync(out).readUInt32LE(12)).toBe(1); // MH_OBJECT
    const d = await ld64(["-r", "-dylib", "-o", join(tmp(), "y"), MAIN]);
    expect(d.status).toBe(1);
    expect(d.stderr).toContain("-r and -dylib cannot be used together");
  });
});

describe("ld64.tsld: archives", () => {
  const objc = member(
    "ld64-objc",
    `.section __DATA,__objc_catlist,regular,no_dead_strip
  .quad 0`,
  );
  const a = member("ld64-ar-a", `.globl _a_fn\n_a_fn:\n  ${RET}`);
  const b = member("ld64-ar-b", `.globl _b_fn\n_b_fn:\n  ${RET}`);

  it("pulls only referenced members by default; -all_load and -force_load pull every member", async () => {
    const dir = tmp();
    const lib = makeArchive([a, b], { name: "ld64-ab" });
    await ld64(["-o", join(dir, "plain"), MAIN, lib]);
    expect(nm(join(dir, "plain"))).not.toMatch(/_a_fn|_b_fn/);
    await ld64(["-all_load", "-o", join(dir, "all"), MAIN, lib]);
    expect(nm(join(dir, "all"))).toMatch(/_a_fn[\s\S]*_b_fn/);
    const other = makeArchive([b], { name: "ld64-b" });
    await ld64(["-o", join(dir, "force"), MAIN, "-force_load", lib, other]);
    const syms = nm(join(dir, "force"));
    expect(syms).toMatch(/ T _a_fn\n/);
    expect(syms).toMatch(/ T _b_fn\n/);
  });

  it("-ObjC pulls members with Objective-C categories or classes, and only those", async () => {
    const dir = tmp();
    const lib = makeArchive([a, objc], { name: "ld64-objc" });
    await ld64(["-ObjC", "-o", join(dir, "o"), MAIN, lib]);
    expect(tool("llvm-objdump-19", ["--macho", "--section-headers", join(dir, "o")])).toContain("__objc_catlist");
    expect(nm(join(dir, "o"))).not.toContain("_a_fn");
  });

  it("-u NAME pulls the member defining NAME; an -u name nobody defines is an error", async () => {
    const dir = tmp();
    const lib = makeArchive([a, b], { name: "ld64-u" });
    const r = await ld64(["-u", "_b_fn", "-o", join(dir, "u"), MAIN, lib]);
    expect(r.stderr).toBe("");
    expect(nm(join(dir, "u"))).toMatch(/ T _b_fn\n/);
    expect(nm(join(dir, "u"))).not.toContain("_a_fn");
    const bad = await ld64(["-u", "_nowhere", "-o", join(dir, "bad"), MAIN, lib]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("undefined symbol: _nowhere");
  });

  it("-t lists every file loaded, archive members as archive(member)", async () => {
    const dir = tmp();
    const lib = makeArchive([a, b], { name: "ld64-t" });
    const r = await ld64(["-t", "-u", "_a_fn", "-o", join(dir, "t"), MAIN, lib]);
    expect(r.stdout.split("\n")).toEqual(
      expect.arrayContaining([MAIN, lib, expect.stringMatching(/\(ld64-ar-a.*\.o\)$/)]),
    );
    expect(r.stdout).not.toMatch(/ld64-ar-b/);
  });
});

describe("ld64.tsld: dylibs", () => {
  const useFoo = member("ld64-usefoo", `.globl _main\n_main:\n  ${CALL("_foo_fn")}\n  ${ZERO}\n  ${RET}`);

  it("keeps every dylib named (ld64), drops unused ones only with -dead_strip_dylibs", async () => {
    const dir = tmp();
    tbd(dir, "foo");
    tbd(dir, "bar");
    await ld64(["-L", dir, "-lfoo", "-lbar", "-o", join(dir, "keep"), useFoo]);
    expect(headers(join(dir, "keep"))).toContain("/usr/lib/libbar.dylib");
    await ld64(["-dead_strip_dylibs", `-L${dir}`, "-lfoo", "-lbar", "-o", join(dir, "strip"), useFoo]);
    const h = headers(join(dir, "strip"));
    expect(h).toContain("/usr/lib/libfoo.dylib");
    expect(h).not.toContain("/usr/lib/libbar.dylib");
  });

  it("-weak-l gives LC_LOAD_WEAK_DYLIB and weak imports; -needed-l survives -dead_strip_dylibs; -reexport-l gives LC_REEXPORT_DYLIB", async () => {
    const dir = tmp();
    tbd(dir, "foo");
    tbd(dir, "bar");
    tbd(dir, "baz");
    const out = join(dir, "w");
    const r = await ld64(["-dead_strip_dylibs", `-L${dir}`, "-weak-lfoo", "-needed-lbar", "-o", out, useFoo]);
    expect(r.stderr).toBe("");
    const h = headers(out);
    expect(h).toMatch(/cmd LC_LOAD_WEAK_DYLIB\n\s+cmdsize \d+\n\s+name \/usr\/lib\/libfoo.dylib/);
    expect(h).toMatch(/cmd LC_LOAD_DYLIB\n\s+cmdsize \d+\n\s+name \/usr\/lib\/libbar.dylib/);
    expect(nm(out, "-m")).toMatch(/\(undefined\) weak external _foo_fn \(from libfoo\)/);
    const re = join(dir, "re.dylib");
    await ld64(["-dylib", `-L${dir}`, "-reexport-lbaz", "-weak_library", join(dir, "libfoo.tbd"), "-o", re, MAIN]);
    const hr = headers(re);
    expect(hr).toMatch(/cmd LC_REEXPORT_DYLIB\n\s+cmdsize \d+\n\s+name \/usr\/lib\/libbaz.dylib/);
    expect(hr).toMatch(/cmd LC_LOAD_WEAK_DYLIB\n\s+cmdsize \d+\n\s+name \/usr\/lib\/libfoo.dylib/);
  });

  it("-search_paths_first (default) takes the first directory's archive; -search_dylibs_first any directory's dylib", async () => {
    const dir = tmp();
    const d1 = join(dir, "d1");
    const d2 = join(dir, "d2");
    mkdirSync(d1);
    mkdirSync(d2);
    writeFileSync(
      join(d1, "libfoo.a"),
      readFileSync(makeArchive([member("ld64-foo", `.globl _foo_fn\n_foo_fn:\n  ${RET}`)], { name: "ld64-foo" })),
    );
    tbd(d2, "foo");
    await ld64([`-L${d1}`, `-L${d2}`, "-lfoo", "-o", join(dir, "pf"), useFoo]);
    expect(nm(join(dir, "pf"))).toMatch(/ T _foo_fn\n/);
    await ld64(["-search_dylibs_first", `-L${d1}`, `-L${d2}`, "-lfoo", "-o", join(dir, "df"), useFoo]);
    expect(nm(join(dir, "df"))).toMatch(/ U _foo_fn\n/);
  });

  it("-syslibroot: an absolute -L is looked for under the root first; -lc and -lm are libSystem", async () => {
    const root = tmp();
    mkdirSync(join(root, "opt/lib"), { recursive: true });
    tbd(join(root, "opt/lib"), "foo");
    const out = join(root, "s");
    const r = await ld64(["-syslibroot", root, "-L/opt/lib", "-lfoo", "-lc", "-lm", "-o", out, useFoo]);
    expect(r.stderr).toBe("");
    const h = headers(out);
    expect(h).toContain("/usr/lib/libfoo.dylib");
    expect(h.match(/libSystem/g)).toHaveLength(1);
  });

  it("-dylib with -install_name and versions; -dylib_* spellings (clang's) too", async () => {
    const dir = tmp();
    const lib = member("ld64-dylib", `.globl _f\n_f:\n  ${RET}`);
    const out = join(dir, "libv.dylib");
    const r = await ld64([
      "-dylib",
      "-dylib_install_name",
      "/opt/libv.1.dylib",
      "-dylib_compatibility_version",
      "1",
      "-dylib_current_version",
      "1.2.13",
      "-headerpad_max_install_names",
      "-o",
      out,
      lib,
    ]);
    expect(r.stderr).toBe("");
    expect(tool("llvm-objdump-19", ["--macho", "--dylib-id", out])).toContain("/opt/libv.1.dylib");
    expect(headers(out)).toMatch(/cmd LC_ID_DYLIB[\s\S]*current version 1\.2\.13\ncompatibility version 1\.0\.0/);
  });
});

describe("ld64.tsld: -init", () => {
  it("names the dylib's initializer in LC_ROUTINES_64 (ld64), which dead stripping keeps", async () => {
    const dir = tmp();
    const lib = member("ld64-init", `.globl _f, _setup\n.private_extern _setup\n_f:\n  ${RET}\n_setup:\n  ${RET}`);
    const out = join(dir, "i.dylib");
    const r = await ld64(["-dylib", "-dead_strip", "-init", "_setup", "-o", out, lib]);
    expect(r.stderr).toBe("");
    const addr = /([0-9a-f]+) t _setup\n/.exec(nm(out))![1]!;
    expect(headers(out)).toMatch(
      new RegExp(`cmd LC_ROUTINES_64\n\\s+cmdsize 72\n\\s+init_address 0x0*${addr.replace(/^0+/, "")}\n`),
    );
    const bad = await ld64(["-init", "_setup", "-o", join(dir, "e"), MAIN]);
    expect(bad.stderr).toContain("-init applies only to -dylib");
  });
});

describe("ld64.tsld: layout flags", () => {
  const code = member(
    "ld64-order",
    `.globl _main, _a, _b, _c
_a:
  ${RET}
_b:
  ${RET}
_c:
  ${RET}
_main:
  ${ZERO}
  ${RET}`,
  );

  it("-order_file lays listed functions out first, in its order (arch: and object prefixes, comments)", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "order"), `# hot first\n_c\n${ARCH}:_main\nobj.o:_b\n${OTHER}:_a\n`);
    await ld64(["-order_file", join(dir, "order"), "-o", join(dir, "o"), code]);
    const order = nm(join(dir, "o"), "-n")
      .split("\n")
      .map((l) => l.split(" ")[2])
      .filter((n) => n === "_a" || n === "_b" || n === "_c" || n === "_main");
    expect(order).toEqual(["_c", "_main", "_b", "_a"]);
  });

  it("-sectcreate puts a file's bytes in a section", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "blob"), "tsld-sectcreate-payload");
    await ld64(["-sectcreate", "__TEXT", "__info_plist", join(dir, "blob"), "-o", join(dir, "o"), MAIN]);
    const dump = tool("llvm-objdump-19", [
      "--macho",
      "--section",
      "__TEXT,__info_plist",
      "--full-contents",
      join(dir, "o"),
    ]);
    expect(dump).toContain("tsld-sectcr");
  });

  it("-pagezero_size, -stack_size (hex) in __PAGEZERO and LC_MAIN; -image_base for a dylib", async () => {
    const dir = tmp();
    await ld64(["-pagezero_size", "0x10000", "-stack_size", "800000", "-o", join(dir, "e"), MAIN]);
    const h = headers(join(dir, "e"));
    expect(h).toMatch(/segname __PAGEZERO\n\s+vmaddr 0x0+\n\s+vmsize 0x0*10000\n/);
    expect(h).toMatch(/cmd LC_MAIN\n\s+cmdsize 24\n\s+entryoff \d+\n\s+stacksize 8388608/);
    const lib = member("ld64-base", `.globl _f\n_f:\n  ${RET}`);
    await ld64(["-dylib", "-image_base", "0x20000000", "-o", join(dir, "l.dylib"), lib]);
    expect(headers(join(dir, "l.dylib"))).toMatch(/segname __TEXT\n\s+vmaddr 0x0*20000000\n/);
  });

  it("-headerpad (hex) reserves room after the load commands", async () => {
    const dir = tmp();
    await ld64(["-o", join(dir, "a"), MAIN]);
    await ld64(["-headerpad", "0x1000", "-o", join(dir, "b"), MAIN]);
    const textOff = (p: string): number =>
      Number(
        /sectname __text\n\s+segname __TEXT\n\s+addr 0x[0-9a-f]+\n\s+size 0x[0-9a-f]+\n\s+offset (\d+)/.exec(
          headers(p),
        )![1],
      );
    expect(textOff(join(dir, "b"))).toBeGreaterThanOrEqual(textOff(join(dir, "a")) + 0x1000 - 32);
  });

  it("-alias makes a second global name for a definition", async () => {
    const dir = tmp();
    const r = await ld64(["-alias", "_b", "_b_alias", "-o", join(dir, "o"), code]);
    expect(r.stderr).toBe("");
    const syms = nm(join(dir, "o"));
    const addr = (n: string): string => new RegExp(`([0-9a-f]+) T ${n}\\n`).exec(syms)![1]!;
    expect(addr("_b_alias")).toBe(addr("_b"));
    const bad = await ld64(["-alias", "_nothing", "_x", "-o", join(dir, "bad"), code]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("_nothing is not defined");
  });

  it("-why_live shows the chain from a root to a live symbol", async () => {
    const dir = tmp();
    const obj = member(
      "ld64-why",
      `.globl _main
_main:
  ${CALL("_mid")}
  ${RET}
_mid:
  ${CALL("_leaf")}
  ${RET}
_leaf:
  ${RET}`,
    );
    const r = await ld64(["-dead_strip", "-why_live", "_leaf", "-o", join(dir, "o"), obj]);
    expect(r.stdout).toMatch(/^_leaf from .*\n {2}_mid from .*\n {4}_main from /);
  });

  it("-x drops local symbols; -S keeps the image runnable without debug info", async () => {
    const dir = tmp();
    const obj = member("ld64-x", `.globl _main\n_main:\n  ${CALL("_local")}\n  ${ZERO}\n  ${RET}\n_local:\n  ${RET}`);
    await ld64(["-o", join(dir, "full"), obj]);
    await ld64(["-x", "-o", join(dir, "x"), obj]);
    expect(nm(join(dir, "full"))).toContain("_local");
    expect(nm(join(dir, "x"))).not.toContain("_local");
    await ld64(["-S", "-o", join(dir, "s"), obj]);
    expect(runMachO(join(dir, "s")).status).toBe(0);
  });
});
