// ld64.tsld's flags, one behaviour a test, lit-style: llvm-mc in, an
// ld64.tsld link (ld64's syntax, in process), llvm-objdump/llvm-nm out,
// checked with filecheck. ld64.test.ts covers the command line itself
// (response files, unknown flags, warnings), archives, dylib load kinds and
// the layout flags; this file the rest of the flags issue 11 lists.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lldBaseArgs, makeArchive, requireTool, writeTbdStub } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { assemble, ld64, tmp, tsld } from "./helpers.js";
import { dump, filecheck } from "./lit.js";

/** Links with ld64.tsld; the link must succeed silently. Returns the output path. */
async function link(out: string, args: string[]): Promise<string> {
  const r = await ld64(["-o", out, ...args]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return out;
}

const objdump = (...args: string[]): string => dump("llvm-objdump-19", ["--macho", ...args]);
const nm = (...args: string[]): string => dump("llvm-nm-19", args);
const asm = (name: string, text: string): string => assemble(`${text}\n.subsections_via_symbols\n`, { name });

/** clang's default search: `-syslibroot /` (no SDK), then -lSystem. */
const SYSTEM = ["-syslibroot", "/", "-lSystem"];

const MAIN = asm(
  "flags-main",
  `.globl _main, _other
_main:
  callq _puts
  xorl %eax, %eax
  retq
_other:
  movl $7, %eax
  retq`,
);

describe("ld64.tsld: output kind and header flags", () => {
  it("-execute, -dynamic, -pie, -twolevel_namespace, -search_paths_first, -demangle, -no_deduplicate are the defaults: byte-identical output", async () => {
    const dir = tmp("ld64-flags-");
    const plain = readFileSync(await link(join(dir, "plain"), [...SYSTEM, MAIN]));
    const spelled = readFileSync(
      await link(join(dir, "spelled"), [
        ...["-execute", "-dynamic", "-pie", "-twolevel_namespace", "-search_paths_first"],
        ...["-demangle", "-no_deduplicate", ...SYSTEM, MAIN],
      ]),
    );
    expect(spelled.equals(plain)).toBe(true);
    filecheck(
      objdump("--private-header", join(dir, "plain")),
      "CHECK: MH_MAGIC_64 X86_64 ALL 0x00 EXECUTE {{\\d+}} {{\\d+}} NOUNDEFS DYLDLINK TWOLEVEL PIE",
    );
  });

  it("-no_pie clears MH_PIE", async () => {
    const out = await link(join(tmp("ld64-flags-"), "nopie"), ["-no_pie", ...SYSTEM, MAIN]);
    filecheck(objdump("--private-header", out), "CHECK: EXECUTE {{\\d+ +\\d+}} NOUNDEFS DYLDLINK TWOLEVEL{{$}}");
  });

  it("-flat_namespace drops MH_TWOLEVEL and binds by flat lookup; -bind_at_load sets MH_BINDATLOAD and binds nothing lazily", async () => {
    const dir = tmp("ld64-flags-");
    const flat = await link(join(dir, "flat"), ["-flat_namespace", ...SYSTEM, MAIN]);
    filecheck(
      objdump("--private-header", "--lazy-bind", flat),
      `CHECK: EXECUTE {{\\d+ +\\d+}} NOUNDEFS DYLDLINK PIE{{$}}
CHECK: Lazy bind table:
CHECK: __DATA __la_symbol_ptr 0x{{[0-9a-f]+}} flat-namespace _puts`,
    );
    const now = await link(join(dir, "now"), ["-bind_at_load", ...SYSTEM, MAIN]);
    filecheck(
      objdump("--private-header", "--bind", "--lazy-bind", now),
      `CHECK: NOUNDEFS DYLDLINK BINDATLOAD TWOLEVEL PIE
CHECK: Bind table:
CHECK: __got 0x{{[0-9A-F]+}} pointer 0 libSystem _puts
CHECK: Lazy bind table:
CHECK-NEXT: segment section address dylib symbol
CHECK-NOT: _puts`,
    );
  });

  it("-bundle writes MH_BUNDLE; -bundle_loader binds the loader's symbols to the main executable (ordinal -1)", async () => {
    const dir = tmp("ld64-flags-");
    const host = await link(join(dir, "host"), [
      ...SYSTEM,
      asm("flags-host", ".globl _main, _host_fn\n_main:\n  xorl %eax, %eax\n  retq\n_host_fn:\n  retq"),
    ]);
    const plug = asm("flags-plug", ".globl _plug\n_plug:\n  callq _host_fn\n  retq");
    const out = await link(join(dir, "plug.bundle"), ["-bundle", "-bundle_loader", host, ...SYSTEM, plug]);
    filecheck(
      objdump("--private-header", "--lazy-bind", out),
      `CHECK: MH_MAGIC_64 X86_64 ALL 0x00 BUNDLE
CHECK: Lazy bind table:
CHECK: __la_symbol_ptr 0x{{[0-9a-f]+}} main-executable _host_fn`,
    );
    // Without the loader the name is undefined; the loader is only for bundles.
    const none = await ld64(["-bundle", "-o", join(dir, "x"), ...SYSTEM, plug]);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain("undefined symbol: _host_fn");
    const exe = await ld64(["-bundle_loader", host, "-o", join(dir, "y"), ...SYSTEM, plug]);
    expect(exe.stderr).toBe("ld64.tsld: error: -bundle_loader applies only to -bundle output\n");
  });

  it("-e names the entry point: LC_MAIN's entryoff is that symbol's", async () => {
    const out = await link(join(tmp("ld64-flags-"), "e"), ["-e", "_other", ...SYSTEM, MAIN]);
    const { OTHER } = filecheck(nm(out), "CHECK: 00000001[[OTHER:[0-9a-f]+]] T _other");
    filecheck(objdump("--private-headers", out), `CHECK: cmd LC_MAIN\nCHECK: entryoff ${Number.parseInt(OTHER!, 16)}`);
  });

  it("-platform_version and -macos_version_min/-macosx_version_min set LC_BUILD_VERSION", async () => {
    const dir = tmp("ld64-flags-");
    const pv = await link(join(dir, "pv"), ["-platform_version", "macos", "11.3", "13.1", ...SYSTEM, MAIN]);
    filecheck(objdump("--private-headers", pv), "CHECK: cmd LC_BUILD_VERSION\nCHECK: sdk 13.1\nCHECK-NEXT: minos 11.3");
    for (const flag of ["-macos_version_min", "-macosx_version_min"]) {
      const out = await link(join(dir, flag), [flag, "10.15", ...SYSTEM, MAIN]);
      filecheck(objdump("--private-headers", out), "CHECK: cmd LC_BUILD_VERSION\nCHECK: minos 10.15");
    }
    const bad = await ld64(["-platform_version", "ios", "14.0", "14.0", "-o", join(dir, "ios"), MAIN]);
    expect(bad.stderr).toContain("only macos is supported");
  });

  it("-arch x86_64 links; an x86_64 object in an -arch arm64 link and an unknown arch are refused clearly, with no output", async () => {
    const dir = tmp("ld64-flags-");
    await link(join(dir, "x"), ["-arch", "x86_64", ...SYSTEM, MAIN]);
    const wrong = await ld64(["-arch", "arm64", "-o", join(dir, "arm64"), ...SYSTEM, MAIN]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain(`ld64.tsld: error: ${MAIN}: is x86_64, but the link is for arm64 (-arch arm64)`);
    const unknown = await ld64(["-arch", "ppc", "-o", join(dir, "ppc"), ...SYSTEM, MAIN]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/^ld64.tsld: error: -arch ppc: unknown architecture/);
    for (const arch of ["arm64", "ppc"]) expect(existsSync(join(dir, arch))).toBe(false);
  });

  it("-rpath adds one LC_RPATH a flag, in order", async () => {
    const out = await link(join(tmp("ld64-flags-"), "rp"), [
      ...["-rpath", "/opt/a", "-rpath", "@loader_path/../lib"],
      ...SYSTEM,
      MAIN,
    ]);
    filecheck(
      objdump("--private-headers", out),
      `CHECK: cmd LC_RPATH
CHECK: path /opt/a (offset 12)
CHECK: cmd LC_RPATH
CHECK: path @loader_path/../lib (offset 12)`,
    );
  });

  it("-headerpad_max_install_names leaves room for every dylib path to grow to MAXPATHLEN", async () => {
    const out = await link(join(tmp("ld64-flags-"), "hp"), ["-headerpad_max_install_names", ...SYSTEM, MAIN]);
    const { CMDS } = filecheck(objdump("--private-header", out), "CHECK: EXECUTE {{\\d+}} [[CMDS:\\d+]]");
    const { OFF } = filecheck(objdump("--private-headers", out), "CHECK: sectname __text\nCHECK: offset [[OFF:\\d+]]");
    // One dylib (/usr/lib/libSystem.B.dylib, 26 bytes): 1024 - 26 bytes after the 32-byte header and the commands.
    expect(Number(OFF) - 32 - Number(CMDS)).toBeGreaterThanOrEqual(1024 - 26);
  });

  it("-adhoc_codesign writes LC_CODE_SIGNATURE; -no_adhoc_codesign does not", async () => {
    const dir = tmp("ld64-flags-");
    const signed = await link(join(dir, "s"), ["-adhoc_codesign", ...SYSTEM, MAIN]);
    filecheck(objdump("--private-headers", signed), "CHECK: cmd LC_CODE_SIGNATURE");
    const unsigned = await link(join(dir, "u"), ["-no_adhoc_codesign", ...SYSTEM, MAIN]);
    expect(objdump("--private-headers", unsigned)).not.toContain("LC_CODE_SIGNATURE");
  });

  it("-map writes the link map: objects, sections, symbols with addresses", async () => {
    const dir = tmp("ld64-flags-");
    const out = await link(join(dir, "m"), ["-map", join(dir, "m.map"), ...SYSTEM, MAIN]);
    const { MAINADDR } = filecheck(nm(out), "CHECK: [[MAINADDR:[0-9a-f]+]] T _main");
    filecheck(
      readFileSync(join(dir, "m.map"), "utf8"),
      `CHECK: # Path: ${out}
CHECK: # Object files:
CHECK: [ 1] ${MAIN}
CHECK: # Sections:
CHECK: __TEXT __text
CHECK: # Symbols:
CHECK: 0x{{0*}}${MAINADDR!.replace(/^0+/, "").toUpperCase()} 0x{{[0-9A-F]+}} [ 1] _main`,
    );
  });
});

describe("ld64.tsld: undefined symbols", () => {
  const plug = asm("flags-undef", ".globl _main\n_main:\n  callq _maybe\n  xorl %eax, %eax\n  retq");

  it("-undefined error (the default) names the symbol and who references it, and writes nothing", async () => {
    const dir = tmp("ld64-flags-");
    for (const flags of [[], ["-undefined", "error"]]) {
      const r = await ld64([...flags, "-o", join(dir, "x"), ...SYSTEM, plug]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /error: undefined symbol: _maybe\n>>> referenced by .*flags-undef.*\(symbol _main\+0x1\)/,
      );
    }
  });

  it("-U NAME lets that one name stay undefined (flat lookup), not others", async () => {
    const dir = tmp("ld64-flags-");
    const out = await link(join(dir, "u"), ["-U", "_maybe", ...SYSTEM, plug]);
    filecheck(objdump("--lazy-bind", out), "CHECK: __la_symbol_ptr 0x{{[0-9a-f]+}} flat-namespace _maybe");
    const r = await ld64(["-U", "_other", "-o", join(dir, "x"), ...SYSTEM, plug]);
    expect(r.stderr).toContain("undefined symbol: _maybe");
  });

  it("-undefined dynamic_lookup leaves every undefined name to dyld's flat lookup", async () => {
    const out = await link(join(tmp("ld64-flags-"), "d"), ["-undefined", "dynamic_lookup", ...SYSTEM, plug]);
    filecheck(objdump("--lazy-bind", out), "CHECK: flat-namespace _maybe\nCHECK-NOT: _maybe");
    expect(nm("-m", out)).toMatch(/\(undefined\) external _maybe \(dynamically looked up\)/);
  });

  it("-undefined warning and suppress need -flat_namespace (as ld64); with it, warning warns and links", async () => {
    const dir = tmp("ld64-flags-");
    for (const t of ["warning", "suppress"]) {
      const r = await ld64(["-undefined", t, "-o", join(dir, t), ...SYSTEM, plug]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        `ld64.tsld: error: -undefined ${t}: can't use -undefined warning or suppress with -twolevel_namespace (add -flat_namespace)\n`,
      );
    }
    const w = await ld64(["-flat_namespace", "-undefined", "warning", "-o", join(dir, "w"), ...SYSTEM, plug]);
    expect(w.status).toBe(0);
    expect(w.stderr).toMatch(/^ld64.tsld: warning: undefined symbol: _maybe\n/);
    const s = await ld64(["-flat_namespace", "-undefined", "suppress", "-o", join(dir, "s"), ...SYSTEM, plug]);
    expect(s.stderr).toBe("");
    expect(s.status).toBe(0);
  });
});

describe("ld64.tsld: export lists (ld64's wildcards: *, ?, [set], [a-z])", () => {
  const lib = asm(
    "flags-exports",
    `.globl _foo_a, _foo_b, _foo_zz, _bar, _baz
_foo_a: retq
_foo_b: retq
_foo_zz: retq
_bar: retq
_baz: retq`,
  );
  const exports = (p: string): string[] =>
    objdump("--exports-trie", p)
      .split("\n")
      .map((l) => /^0x[0-9A-Fa-f]+\s+(\S+)/.exec(l)?.[1])
      .filter((n): n is string => n !== undefined)
      .sort();

  it("-exported_symbols_list (comments, blanks trimmed) exports only what matches", async () => {
    const dir = tmp("ld64-flags-");
    writeFileSync(join(dir, "list"), "# the API\n_foo_?\n  _ba[r]  \n");
    const out = await link(join(dir, "l.dylib"), ["-dylib", "-exported_symbols_list", join(dir, "list"), lib]);
    expect(exports(out)).toEqual(["_bar", "_foo_a", "_foo_b"]);
    // What is not exported stays in the symbol table as a private extern.
    expect(nm("-m", out)).toMatch(/non-external \(was a private external\) _foo_zz/);
  });

  it("-exported_symbol repeats; -unexported_symbol(s_list) hides what matches", async () => {
    const dir = tmp("ld64-flags-");
    const e = await link(join(dir, "e.dylib"), [
      "-dylib",
      "-exported_symbol",
      "_foo_[a-b]",
      "-exported_symbol",
      "_baz",
      lib,
    ]);
    expect(exports(e)).toEqual(["_baz", "_foo_a", "_foo_b"]);
    const u = await link(join(dir, "u.dylib"), ["-dylib", "-unexported_symbol", "_foo*", lib]);
    expect(exports(u)).toEqual(["_bar", "_baz"]);
    writeFileSync(join(dir, "hide"), "_b?r\n_foo_zz\n");
    const ul = await link(join(dir, "ul.dylib"), ["-dylib", "-unexported_symbols_list", join(dir, "hide"), lib]);
    expect(exports(ul)).toEqual(["_baz", "_foo_a", "_foo_b"]);
  });

  it("an exported literal name nobody defines is an error; both kinds of list together are refused", async () => {
    const dir = tmp("ld64-flags-");
    const r = await ld64(["-dylib", "-exported_symbol", "_nope", "-o", join(dir, "x"), lib]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("undefined symbol: _nope");
    const both = await ld64([
      "-dylib",
      "-exported_symbol",
      "_bar",
      "-unexported_symbol",
      "_baz",
      "-o",
      join(dir, "y"),
      lib,
    ]);
    expect(both.status).toBe(1);
    expect(both.stderr).toContain("cannot use both -exported_symbol* and -unexported_symbol* options");
  });
});

describe("ld64.tsld: libraries and frameworks", () => {
  const useFoo = asm("flags-usefoo", ".globl _main\n_main:\n  callq _Foo_fn\n  xorl %eax, %eax\n  retq");

  /** DIR/NAME.framework/NAME.tbd for each name; returns DIR. */
  function frameworks(dir: string, ...names: string[]): string {
    for (const n of names) {
      mkdirSync(join(dir, `${n}.framework`), { recursive: true });
      writeTbdStub(
        join(dir, `${n}.framework`, `${n}.tbd`),
        `/System/Library/Frameworks/${n}.framework/Versions/A/${n}`,
        [`_${n}_fn`],
      );
    }
    return dir;
  }

  it("-F/-framework find NAME.framework; -weak_framework loads it weakly; -needed_framework survives -dead_strip_dylibs", async () => {
    const dir = tmp("ld64-flags-");
    const fw = frameworks(join(dir, "fw"), "Foo", "Bar");
    const plain = await link(join(dir, "p"), [
      "-F",
      fw,
      "-framework",
      "Foo",
      "-framework",
      "Bar",
      "-dead_strip_dylibs",
      useFoo,
    ]);
    const used = objdump("--dylibs-used", plain);
    expect(used).toContain("/System/Library/Frameworks/Foo.framework/Versions/A/Foo");
    expect(used).not.toContain("Bar.framework");
    const out = await link(join(dir, "w"), [
      `-F${fw}`,
      "-weak_framework",
      "Foo",
      "-needed_framework",
      "Bar",
      "-dead_strip_dylibs",
      useFoo,
    ]);
    filecheck(
      objdump("--private-headers", out),
      `CHECK: cmd LC_LOAD_WEAK_DYLIB
CHECK: name /System/Library/Frameworks/Foo.framework/Versions/A/Foo
CHECK: cmd LC_LOAD_DYLIB
CHECK: name /System/Library/Frameworks/Bar.framework/Versions/A/Bar`,
    );
    expect(nm("-m", out)).toMatch(/\(undefined\) weak external _Foo_fn \(from Foo\)/);
  });

  it("-no_weak_imports refuses weak imports (a -weak_framework's, a .weak_reference's), naming each once; strong ones link", async () => {
    const dir = tmp("ld64-flags-");
    const fw = frameworks(join(dir, "fw"), "Foo");
    const weakRef = asm(
      "flags-weakref",
      ".globl _main\n.weak_reference _Foo_fn\n_main:\n  callq _Foo_fn\n  xorl %eax, %eax\n  retq",
    );
    const refused =
      "ld64.tsld: error: weak import of symbol '_Foo_fn' not supported because of option: -no_weak_imports\n";
    for (const [flags, obj] of [
      [["-weak_framework", "Foo"], useFoo],
      [["-framework", "Foo"], weakRef],
    ] as const) {
      const out = join(dir, "x");
      const r = await ld64(["-no_weak_imports", `-F${fw}`, ...flags, "-o", out, obj]);
      expect(r.stderr).toBe(refused);
      expect(r.status).toBe(1);
      expect(existsSync(out)).toBe(false);
    }
    await link(join(dir, "ok"), ["-no_weak_imports", `-F${fw}`, "-framework", "Foo", useFoo]);
  });

  it("-needed_library PATH survives -dead_strip_dylibs; -reexport_library PATH is re-exported", async () => {
    const dir = tmp("ld64-flags-");
    const bar = writeTbdStub(join(dir, "libbar.tbd"), "/usr/lib/libbar.dylib", ["_bar_fn"]);
    const baz = writeTbdStub(join(dir, "libbaz.tbd"), "/usr/lib/libbaz.dylib", ["_baz_fn"]);
    const main = asm("flags-needed", ".globl _main\n_main:\n  xorl %eax, %eax\n  retq");
    const n = await link(join(dir, "n"), ["-dead_strip_dylibs", "-needed_library", bar, baz, main]);
    const used = objdump("--dylibs-used", n);
    expect(used).toContain("/usr/lib/libbar.dylib");
    expect(used).not.toContain("/usr/lib/libbaz.dylib");
    const re = await link(join(dir, "re.dylib"), ["-dylib", "-reexport_library", baz, main]);
    filecheck(objdump("--private-headers", re), "CHECK: cmd LC_REEXPORT_DYLIB\nCHECK: name /usr/lib/libbaz.dylib");
  });

  it("clang's default search (-syslibroot / or none) falls back to the built-in SDK: -lSystem -lc -lm -lpthread -ldl are libSystem, -lresolv libresolv", async () => {
    const dir = tmp("ld64-flags-");
    const prog = asm(
      "flags-sdk",
      `.globl _main
_main:
  callq _printf
  callq _sqrt
  callq _pthread_create
  callq _dlopen
  callq _res_9_init
  xorl %eax, %eax
  retq`,
    );
    for (const root of [["-syslibroot", "/"], []]) {
      const out = await link(join(dir, `sdk${root.length}`), [
        ...root,
        ...["-lSystem", "-lc", "-lm", "-lpthread", "-ldl", "-lresolv"],
        prog,
      ]);
      filecheck(
        objdump("--dylibs-used", out),
        `CHECK: /usr/lib/libSystem.B.dylib (compatibility version 1.0.0, current version {{[\\d.]+}})
CHECK-NEXT: /usr/lib/libresolv.9.dylib
CHECK-NOT: lib`,
      );
      filecheck(
        objdump("--lazy-bind", out),
        `CHECK-DAG: libSystem _dlopen
CHECK-DAG: libSystem _printf
CHECK-DAG: libSystem _pthread_create
CHECK-DAG: libSystem _sqrt
CHECK-DAG: libresolv _res_9_init`,
      );
    }
  });

  it("-Z drops the default directories under -syslibroot", async () => {
    const root = tmp("ld64-flags-");
    mkdirSync(join(root, "usr/lib"), { recursive: true });
    writeTbdStub(join(root, "usr/lib/libfoo.tbd"), "/usr/lib/libfoo.dylib", ["_Foo_fn"]);
    await link(join(root, "found"), ["-syslibroot", root, "-lfoo", useFoo]);
    const r = await ld64(["-Z", "-syslibroot", root, "-lfoo", "-o", join(root, "z"), useFoo]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("library not found for -lfoo");
  });
});

describe("ld64.tsld: archive members and aliases", () => {
  it("-ObjC loads a member that defines an Objective-C class symbol, and not its neighbours", async () => {
    const dir = tmp("ld64-flags-");
    const cls = asm("flags-objc-class", ".globl _OBJC_CLASS_$_Widget\n.data\n_OBJC_CLASS_$_Widget:\n  .quad 0");
    const plain = asm("flags-objc-plain", ".globl _plain_fn\n_plain_fn:\n  retq");
    const lib = makeArchive([cls, plain], { name: "flags-objc" });
    const without = await link(join(dir, "n"), [...SYSTEM, MAIN, lib]);
    expect(nm(without)).not.toContain("_OBJC_CLASS_$_Widget");
    const out = await link(join(dir, "o"), ["-ObjC", ...SYSTEM, MAIN, lib]);
    filecheck(nm(out), "CHECK: D _OBJC_CLASS_$_Widget\nCHECK-NOT: _plain_fn");
  });

  it("-alias_list FILE gives each `symbol alias` line a second global name", async () => {
    const dir = tmp("ld64-flags-");
    writeFileSync(join(dir, "aliases"), "# target alias\n_other  _other_alias\n_main\t_start_alias\n");
    const out = await link(join(dir, "a"), ["-alias_list", join(dir, "aliases"), ...SYSTEM, MAIN]);
    const v = filecheck(nm(out), "CHECK: [[MAIN:[0-9a-f]+]] T _main\nCHECK: [[OTHER:[0-9a-f]+]] T _other");
    filecheck(nm(out), `CHECK: ${v.OTHER} T _other_alias\nCHECK: ${v.MAIN} T _start_alias`);
    writeFileSync(join(dir, "bad"), "_main\n");
    const r = await ld64(["-alias_list", join(dir, "bad"), "-o", join(dir, "b"), ...SYSTEM, MAIN]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('"_main" is not "symbol alias"');
  });
});

describe("ld64.tsld: -dead_strip and duplicate symbols (ld64's order, where lld deliberately differs)", () => {
  const main = asm("flags-dup-main", ".globl _main, _dup\n_main:\n  xorl %eax, %eax\n  retq\n_dup:\n  retq");
  const other = asm("flags-dup-other", ".globl _dup\n_dup:\n  retq");
  const useDup = asm(
    "flags-dup-use",
    ".globl _main, _dup\n_main:\n  callq _dup\n  xorl %eax, %eax\n  retq\n_dup:\n  retq",
  );
  // No subsections: _keep (no_dead_strip) keeps the whole section, this _dup with it.
  const pinned = assemble(".globl _dup, _keep\n.no_dead_strip _keep\n_keep:\n  callq _dup\n  retq\n_dup:\n  retq\n", {
    name: "flags-dup-pinned",
  });

  it("ld64 strips dead code before it reports duplicates: two dead copies link; lld (and the Go-style tsld) report them", async () => {
    const dir = tmp("ld64-flags-");
    const out = await link(join(dir, "ok"), ["-dead_strip", ...SYSTEM, main, other]);
    expect(nm(out)).not.toContain("_dup");
    const lld = spawnSync(requireTool("ld64.lld-19"), [...lldBaseArgs(join(dir, "lld")), "-dead_strip", main, other], {
      encoding: "utf8",
    });
    expect(lld.status).toBe(1);
    expect(lld.stderr).toContain("duplicate symbol: _dup");
    const r = await tsld(["-dead_strip", "-o", join(dir, "tsld"), main, other]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("duplicate symbol: _dup");
  });

  it("a live duplicate is still an error naming both files; one live copy links and is the one used", async () => {
    const dir = tmp("ld64-flags-");
    const both = await ld64(["-dead_strip", "-o", join(dir, "both"), ...SYSTEM, useDup, pinned]);
    expect(both.status).toBe(1);
    expect(both.stderr).toMatch(
      /^ld64.tsld: error: duplicate symbol: _dup\n>>> defined in .*flags-dup-use.*\n>>> defined in .*flags-dup-pinned.*\n$/,
    );
    const one = await link(join(dir, "one"), ["-dead_strip", ...SYSTEM, useDup, other]);
    const v = filecheck(nm(one), "CHECK: [[DUP:[0-9a-f]+]] T _dup\nCHECK: [[MAIN:[0-9a-f]+]] T _main");
    // The first definition (flags-dup-use's, right after _main's 8 bytes) is the one kept.
    expect(Number.parseInt(v.DUP!, 16) - Number.parseInt(v.MAIN!, 16)).toBe(8);
    // Without -dead_strip every duplicate is reported, as in ld64.
    const plain = await ld64(["-o", join(dir, "plain"), ...SYSTEM, main, other]);
    expect(plain.status).toBe(1);
    expect(plain.stderr).toContain("duplicate symbol: _dup");
  });
});

describe("ld64.tsld: -add_ast_path", () => {
  it("writes one N_AST a path, first in the debug map, with the file's mtime (ld64; lld writes 0); -S omits them", async () => {
    const dir = tmp("ld64-flags-");
    const ast = join(dir, "A.swiftmodule");
    writeFileSync(ast, "module");
    utimesSync(ast, 1_700_000_000, 1_700_000_000);
    const out = await link(join(dir, "a"), [
      "-add_ast_path",
      ast,
      "-add_ast_path",
      "/none/B.swiftmodule",
      ...SYSTEM,
      MAIN,
    ]);
    filecheck(
      dump("dsymutil-19", ["-s", out]),
      `CHECK: [     0] {{[0-9a-f]+}} 32 (N_AST        ) 00     0000   000000006553f100 '${ast}'
CHECK-NEXT: [     1] {{[0-9a-f]+}} 32 (N_AST        ) 00     0000   0000000000000000 '/none/B.swiftmodule'
CHECK-NEXT: [     2] {{.*}} '__mh_execute_header'`,
    );
    filecheck(objdump("--private-headers", out), "CHECK: cmd LC_DYSYMTAB\nCHECK: nlocalsym 2");
    const s = await link(join(dir, "s"), ["-S", "-add_ast_path", ast, ...SYSTEM, MAIN]);
    expect(dump("dsymutil-19", ["-s", s])).not.toContain("N_AST");
  });
});

describe("ld64.tsld: accepted flags tsld does not act on", () => {
  it("-object_path_lto, -lto_library and -mllvm share one LTO note", async () => {
    const dir = tmp("ld64-flags-");
    const r = await ld64([
      ...["-object_path_lto", join(dir, "lto.o"), "-lto_library", "/usr/lib/libLTO.dylib", "-mllvm", "-O3"],
      ...["-o", join(dir, "a"), ...SYSTEM, MAIN],
    ]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(
      "ld64.tsld: note: ignoring LTO options (tsld links no LLVM bitcode): -object_path_lto " +
        `${join(dir, "lto.o")}, -lto_library /usr/lib/libLTO.dylib, -mllvm -O3\n`,
    );
  });

  it("every accepted-but-unimplemented flag warns with its own name", async () => {
    const { LD64_FLAGS } = await import("../src/ld64-args.js");
    const dir = tmp("ld64-flags-");
    const unimplemented = Object.entries(LD64_FLAGS).filter(([, f]) => f.unimplemented !== undefined);
    expect(unimplemented.length).toBeGreaterThan(5);
    for (const [name, f] of unimplemented) {
      const args = [`-${name}`, ...Array.from({ length: f.arity }, () => "1")];
      const r = await ld64([...args, ...args, "-o", join(dir, name), ...SYSTEM, MAIN]);
      expect(r.status, name).toBe(0);
      expect(r.stderr.match(new RegExp(`warning: -${name} is not implemented`, "g")), name).toHaveLength(1);
    }
  });
});
