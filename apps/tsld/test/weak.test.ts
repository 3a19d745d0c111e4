/**
 * Weak symbols and symbol scope as ld64 and lld decide them:
 * - every use of an exported weak definition (call, GOT load, pointer) goes
 *   through a weak bind, in executables, dylibs and bundles, so dyld can
 *   coalesce it with another image's copy (first image in load order wins);
 * - `.weak_def_can_be_hidden` definitions become private extern (local);
 * - `-exported_symbol(s_list)` / `-unexported_symbol(s_list)` with ld64's
 *   wildcards decide the export set;
 * - a weak reference to a symbol nothing defines is an undefined-symbol
 *   error unless `-U` or `-undefined` allows it; then it is a flat-lookup
 *   weak import, seen absent at run time.
 * Each property is checked on tsld's output against ld64.lld-19's for the
 * same inputs, and at run time under the loader.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { linkWithLld, makeArchive } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { ARCH, assemble, byArch, compileC, runMachO, suiteLldFlags, tmp, tsld } from "./helpers.js";
import { ENCODINGS, fixupRows, importRows, isChained, weakBindRows as weakBinds } from "./fixup-rows.js";
import { headerFlags, nm, objdump } from "./plugin-helpers.js";

async function ok(args: string[]): Promise<string> {
  const r = await tsld(args);
  if (r.status !== 0) throw new Error(`tsld ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  return r.stderr;
}

/**
 * Export-trie rows as `name` or `name [weak_def]`, sorted; without
 * `__mh_execute_header`, which an executable's trie gains elsewhere (issue 14).
 */
function exportsOf(path: string): string[] {
  return objdump(["--macho", "--exports-trie", path])
    .split("\n")
    .filter((l) => /^0x/.test(l))
    .map((l) => l.replace(/^0x[0-9A-F]+\s+/i, "").trim())
    .filter((n) => n !== "__mh_execute_header")
    .sort();
}

/** `llvm-nm -m` line of `name` (scope and section). */
function nmLine(path: string, name: string): string {
  return (
    nm(["-m", path])
      .split("\n")
      .find((l) => l.endsWith(` ${name}`)) ?? ""
  );
}

const LIB_C = `/* weak definitions the dylib uses itself: a call, a load, and a pointer in data */
__attribute__((weak)) int shared_state = 2;
__attribute__((weak)) int shared_fn(void) { return 200; }
int *shared_ptr = &shared_state;
int probe(void) { return *shared_ptr * 1000 + shared_state * 100 + shared_fn(); }
`;

const hostC = (defs: string) => `#include <stdio.h>
#include <dlfcn.h>
${defs}
int main(int argc, char **argv) {
  void *h = dlopen(argv[1], RTLD_NOW);
  if (!h) { printf("dlopen failed\\n"); return 2; }
  int (*probe)(void) = (int (*)(void))dlsym(h, "probe");
  printf("probe=%d\\n", probe());
  return 0;
}
`;

describe.each(ENCODINGS)("exported weak definitions stay coalescable (%s)", (_encoding, enc) => {
  const libObj = () => compileC(LIB_C, { name: "weaklib", O: "1" });
  const chained = enc === "-fixup_chains";

  it("a dylib's own call, GOT load and data pointer are weak-bound, as lld binds them", async () => {
    const dir = tmp("tsld-weak-dylib-");
    const ours = join(dir, "libw.tsld.dylib");
    const theirs = join(dir, "libw.lld.dylib");
    await ok(["-buildmode=c-shared", enc, "-install_name", "@rpath/libw.dylib", "-o", ours, libObj()]);
    linkWithLld([libObj()], theirs, ["-dylib", enc, "-install_name", "@rpath/libw.dylib"]);
    const wb = weakBinds(ours);
    // With opcodes the stub's lazy pointer is weak-bound; chained fixups have no lazy pointers, stubs load __got.
    expect(wb).toEqual([
      "__DATA __data _shared_state",
      chained ? "__DATA_CONST __got _shared_fn" : "__DATA __la_symbol_ptr _shared_fn",
      "__DATA_CONST __got _shared_state",
    ]);
    expect(wb).toEqual(weakBinds(theirs));
    expect(exportsOf(ours)).toEqual(exportsOf(theirs));
    expect(exportsOf(ours)).toEqual(["_probe", "_shared_fn [weak_def]", "_shared_ptr", "_shared_state [weak_def]"]);
    expect(headerFlags(ours).flags).toEqual(expect.arrayContaining(["WEAK_DEFINES", "BINDS_TO_WEAK"]));
    // The call goes through a stub whose lazy pointer holds the definition (no lazy bind, no stub helper).
    const dis = objdump(["--macho", "-d", "--no-show-raw-insn", ours]);
    expect(dis).toMatch(
      byArch({
        x86_64: /callq\s+0x[0-9a-f]+\s+## symbol stub for: _shared_fn/,
        arm64: /\bbl\s+0x[0-9a-f]+\s+; symbol stub for: _shared_fn/,
      }),
    );
    expect(objdump(["--macho", "--lazy-bind", ours])).not.toContain("_shared_fn");
    expect(isChained(ours)).toBe(chained);
    expect(objdump(["--macho", "--section-headers", ours])).not.toContain("__stub_helper");
  });

  it("a bundle and an executable weak-bind their exported weak definitions too", async () => {
    const dir = tmp("tsld-weak-bundle-");
    const bundle = join(dir, "w.bundle");
    await ok(["-buildmode=c-shared", enc, "-bundle", "-o", bundle, libObj()]);
    expect(weakBinds(bundle)).toHaveLength(3);
    expect(headerFlags(bundle).filetype).toBe("BUNDLE");
    const host = compileC(
      hostC("__attribute__((weak)) int shared_state = 1;\nint touch(void) { return shared_state; }"),
      {
        name: "weakhost1",
        O: "1",
      },
    );
    const ours = join(dir, "host.tsld");
    const theirs = join(dir, "host.lld");
    await ok(["-o", ours, enc, host]);
    linkWithLld([host], theirs, [enc]);
    expect(weakBinds(ours)).toEqual(["__DATA_CONST __got _shared_state"]);
    expect(weakBinds(ours)).toEqual(weakBinds(theirs));
    expect(exportsOf(ours)).toEqual(exportsOf(theirs));
    expect(headerFlags(ours).flags).toEqual(expect.arrayContaining(["WEAK_DEFINES", "BINDS_TO_WEAK"]));
  });

  it("a weak thread-local is coalesced too: the dylib reads the host's copy through its weak-bound TLV pointer", async () => {
    const dir = tmp("tsld-weak-tlv-");
    const lib = join(dir, "libt.dylib");
    const libSrc = "__attribute__((weak)) _Thread_local int wtl = 5;\nint get(void) { return wtl; }";
    await ok([
      "-buildmode=c-shared",
      enc,
      "-install_name",
      lib,
      "-o",
      lib,
      compileC(libSrc, { name: "weak_tlv_lib", O: "1" }),
    ]);
    expect(weakBinds(lib)).toEqual(["__DATA __thread_ptrs _wtl"]);
    const host = `#include <stdio.h>
#include <dlfcn.h>
__attribute__((weak)) _Thread_local int wtl = 9;
int main(int argc, char **argv) {
  wtl += 1;
  void *h = dlopen(argv[1], RTLD_NOW);
  int (*get)(void) = (int (*)(void))dlsym(h, "get");
  printf("%d\\n", get());
  return 0;
}`;
    const exe = join(dir, "host");
    await ok(["-o", exe, enc, compileC(host, { name: "weak_tlv_host", O: "1" })]);
    expect(runMachO(exe, [lib]).stdout).toBe("10\n");
  });

  it("a strong definition overriding a linked dylib's weak one is announced to dyld as lld announces it", async () => {
    const dir = tmp("tsld-weak-override-");
    const tbd = join(dir, "libcxxish.tbd");
    writeFileSync(
      tbd,
      `--- !tapi-tbd
tbd-version: 4
targets: [ ${ARCH}-macos ]
install-name: '/usr/lib/libcxxish.dylib'
exports:
  - targets: [ ${ARCH}-macos ]
    symbols: [ _lib_fn ]
    weak-symbols: [ _operator_new_like ]
...
`,
    );
    const main = compileC(
      "extern int lib_fn(void);\nint operator_new_like(void) { return 1; }\nint main(void) { return lib_fn() + operator_new_like(); }",
      { name: "weak_override" },
    );
    const ours = join(dir, "prog.tsld");
    const theirs = join(dir, "prog.lld");
    await ok(["-o", ours, enc, main, tbd]);
    linkWithLld([main, tbd], theirs, [enc]);
    // Opcodes: a "strong" row in the weak-bind stream. Chains have no such stream:
    // MH_WEAK_DEFINES and the export trie's definition are what dyld reads.
    expect(weakBinds(ours)).toEqual(chained ? [] : ["strong _operator_new_like"]);
    expect(exportsOf(ours)).toContain("_operator_new_like");
    expect(weakBinds(ours)).toEqual(weakBinds(theirs));
    expect(headerFlags(ours).flags).toContain("WEAK_DEFINES");
    expect(headerFlags(ours).flags).not.toContain("BINDS_TO_WEAK");
    expect(headerFlags(theirs).flags).toContain("WEAK_DEFINES");
  });

  it("an executable's call, GOT load, data pointer and weak import of a dylib's weak definitions are bound for coalescing, as lld binds them", async () => {
    // lld: `needsWeakBind` for a DylibSymbol that is a weak definition. Opcodes: a bind from
    // the dylib and a weak bind at the same slot. Chained fixups: one bind whose ordinal is
    // BIND_SPECIAL_DYLIB_WEAK_LOOKUP (`ordinalForSymbol`), keeping the weak-import flag.
    const dir = tmp("tsld-weak-import-");
    const lib = join(dir, "libwi.dylib");
    const libSrc = `__attribute__((weak)) int wi_state = 4;
__attribute__((weak)) int wi_fn(void) { return 50; }
__attribute__((weak)) int wi_opt = 600;
int wi_strong(void) { return 7000; }`;
    await ok([
      "-buildmode=c-shared",
      enc,
      "-install_name",
      lib,
      "-o",
      lib,
      compileC(libSrc, { name: "weak_import_lib", O: "1" }),
    ]);
    const main = compileC(
      `#include <stdio.h>
extern int wi_state;
extern int wi_fn(void);
extern int wi_strong(void);
extern int wi_opt __attribute__((weak_import));
int *wi_ptr = &wi_state;
int main(void) {
  printf("%d\\n", wi_state + *wi_ptr + wi_fn() + (&wi_opt ? wi_opt : 0) + wi_strong());
  return 0;
}`,
      { name: "weak_import_main", O: "1" },
    );
    const ours = join(dir, "main.tsld");
    const theirs = join(dir, "main.lld");
    await ok(["-o", ours, enc, main, lib]);
    linkWithLld([main, lib], theirs, [enc]);
    const binds = (image: string) =>
      fixupRows(image)
        .filter((r) => r.kind !== "rebase")
        .map((r) => `${r.kind} ${r.dylib} ${r.symbol}${r.weakImport ? " (weak import)" : ""}`)
        .sort();
    const fromLib = ["_wi_fn", "_wi_opt (weak import)", "_wi_state", "_wi_state"];
    expect(binds(ours)).toEqual(
      chained
        ? ["bind libSystem _printf", "bind libwi _wi_strong", ...fromLib.map((n) => `bind weak ${n}`)]
        : [
            "bind libwi _wi_fn",
            "bind libwi _wi_opt (weak import)",
            "bind libwi _wi_state",
            "bind libwi _wi_state",
            "bind libSystem dyld_stub_binder",
            "lazy-bind libSystem _printf",
            "lazy-bind libwi _wi_strong",
            "weak-bind  _wi_fn",
            "weak-bind  _wi_opt",
            "weak-bind  _wi_state",
            "weak-bind  _wi_state",
          ].sort(),
    );
    expect(binds(ours)).toEqual(binds(theirs));
    expect(headerFlags(ours).flags).toContain("BINDS_TO_WEAK");
    const r = runMachO(ours);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("7658\n");
  });

  it.each([
    [
      "weak",
      "__attribute__((weak)) int shared_state = 7;\n__attribute__((weak)) int shared_fn(void) { return 10; }",
      7710,
    ],
    ["strong", "int shared_state = 7;\nint shared_fn(void) { return 10; }", 7710],
    ["no", "", 2400],
  ])("at run time the dylib sees the host's definitions when the host has %s ones (dyld's coalescing)", async (_k, defs, want) => {
    const dir = tmp("tsld-weak-run-");
    const lib = join(dir, "libw.dylib");
    await ok(["-buildmode=c-shared", enc, "-install_name", lib, "-o", lib, libObj()]);
    const exe = join(dir, "host");
    await ok(["-o", exe, enc, compileC(hostC(defs), { name: `weakhost-${_k}`, O: "1" })]);
    const r = runMachO(exe, [lib]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`probe=${want}\n`);
    expect(r.status).toBe(0);
  });
});

/** main calls the can-be-hidden helper (41) and loads the vtable's GOT slot; it returns 42. One source per arch. */
const HIDDEN_S = byArch({
  x86_64: `        .section __TEXT,__text,regular,pure_instructions
        .globl _inline_helper
        .weak_def_can_be_hidden _inline_helper
        .p2align 4
_inline_helper:
        movl $41, %eax
        retq
        .globl _main
        .p2align 4
_main:
        pushq %rbp
        movq %rsp, %rbp
        callq _inline_helper
        movq _vtable_like@GOTPCREL(%rip), %rcx
        incl %eax
        popq %rbp
        retq
        .section __DATA,__const
        .globl _vtable_like
        .weak_def_can_be_hidden _vtable_like
        .p2align 3
_vtable_like:
        .quad _inline_helper
        .subsections_via_symbols
`,
  arm64: `        .section __TEXT,__text,regular,pure_instructions
        .globl _inline_helper
        .weak_def_can_be_hidden _inline_helper
        .p2align 2
_inline_helper:
        mov w0, #41
        ret
        .globl _main
        .p2align 2
_main:
        stp x29, x30, [sp, #-16]!
        mov x29, sp
        bl _inline_helper
        adrp x8, _vtable_like@GOTPAGE
        ldr x8, [x8, _vtable_like@GOTPAGEOFF]
        add w0, w0, #1
        ldp x29, x30, [sp], #16
        ret
        .section __DATA,__const
        .globl _vtable_like
        .weak_def_can_be_hidden _vtable_like
        .p2align 3
_vtable_like:
        .quad _inline_helper
        .subsections_via_symbols
`,
});

/** The same names as plain (visible) weak definitions, in a second object. */
const VISIBLE_S = `        .section __TEXT,__text,regular,pure_instructions
        .globl _inline_helper
        .weak_definition _inline_helper
        .p2align 2
_inline_helper:
        ${byArch({ x86_64: "movl $41, %eax\n        retq", arm64: "mov w0, #41\n        ret" })}
        .subsections_via_symbols
`;

describe(".weak_def_can_be_hidden definitions become local", () => {
  const hidden = () => assemble(HIDDEN_S, { name: "hidden" });

  it("are neither exported nor weak-bound; private extern in the symbol table; the program runs", async () => {
    const dir = tmp("tsld-autohide-");
    const ours = join(dir, "prog.tsld");
    const theirs = join(dir, "prog.lld");
    await ok(["-o", ours, hidden()]);
    linkWithLld([hidden()], theirs);
    expect(exportsOf(ours)).toEqual(exportsOf(theirs));
    expect(exportsOf(ours)).not.toContain("_inline_helper [weak_def]");
    expect(weakBinds(ours)).toEqual([]);
    expect(nmLine(ours, "_inline_helper")).toContain("non-external (was a private external)");
    expect(nmLine(ours, "_vtable_like")).toContain("non-external (was a private external)");
    expect(headerFlags(ours).flags).not.toContain("WEAK_DEFINES");
    expect(runMachO(ours).status).toBe(42);
  });

  it("in a dylib too; merged with a visible weak copy the symbol stays exported and weak-bound (as lld)", async () => {
    const dir = tmp("tsld-autohide-dylib-");
    const a = join(dir, "a.tsld.dylib");
    const la = join(dir, "a.lld.dylib");
    await ok(["-buildmode=c-shared", "-o", a, hidden()]);
    linkWithLld([hidden()], la, ["-dylib"]);
    expect(exportsOf(a)).toEqual(["_main"]);
    expect(exportsOf(a)).toEqual(exportsOf(la));
    const vis = assemble(VISIBLE_S, { name: "visible" });
    const b = join(dir, "b.tsld.dylib");
    const lb = join(dir, "b.lld.dylib");
    await ok(["-buildmode=c-shared", "-o", b, hidden(), vis]);
    linkWithLld([hidden(), vis], lb, ["-dylib", ...suiteLldFlags()]);
    expect(exportsOf(b)).toEqual(["_inline_helper [weak_def]", "_main"]);
    expect(exportsOf(b)).toEqual(exportsOf(lb));
    expect(weakBinds(b)).toEqual(weakBinds(lb));
  });

  it("an export list exports a can-be-hidden definition again; a hidden one only with a warning", async () => {
    const dir = tmp("tsld-autohide-list-");
    const out = join(dir, "x.dylib");
    await ok(["-buildmode=c-shared", "-exported_symbol", "_inline_helper", "-o", out, hidden()]);
    expect(exportsOf(out)).toEqual(["_inline_helper [weak_def]"]);
    const pext = compileC(
      `__attribute__((visibility("hidden"))) int hid(void) { return 4; }\nint pub(void) { return hid(); }`,
      {
        name: "pext",
      },
    );
    const r = await tsld([
      "-buildmode=c-shared",
      "-exported_symbol",
      "_hid",
      "-exported_symbol",
      "_pub",
      "-o",
      out,
      pext,
    ]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("warning: cannot export hidden symbol _hid\n>>> defined in ");
    expect(exportsOf(out)).toEqual(["_pub"]);
  });
});

const EXPORTS_C = `int foo_a(void) { return 1; }
int foo_b(void) { return 2; }
int foo_zz(void) { return 3; }
int bar(void) { return 4; }
int baz = 5;
`;

describe("export lists (-exported_symbol(s_list), -unexported_symbol(s_list))", () => {
  const obj = () => compileC(EXPORTS_C, { name: "exports" });

  it.each([
    [
      ["-exported_symbol", "_foo_?"],
      ["-exported_symbol", "_foo_?"],
    ],
    [
      ["-exported_symbol", "_foo_[a-b]", "-exported_symbol", "_ba*"],
      ["-exported_symbol", "_foo_[a-b]", "-exported_symbol", "_ba*"],
    ],
    [
      ["-unexported_symbol", "_foo*"],
      ["-unexported_symbol", "_foo*"],
    ],
    [
      ["-unexported_symbol", "_b[a]?"],
      ["-unexported_symbol", "_b[a]?"],
    ],
  ])("%j exports what lld exports", async (flags, lldFlags) => {
    const dir = tmp("tsld-exports-");
    const ours = join(dir, "x.tsld.dylib");
    const theirs = join(dir, "x.lld.dylib");
    await ok(["-buildmode=c-shared", ...flags, "-o", ours, obj()]);
    linkWithLld([obj()], theirs, ["-dylib", ...lldFlags]);
    expect(exportsOf(ours)).toEqual(exportsOf(theirs));
    // What is not exported is private extern, local in the symbol table.
    for (const s of ["_foo_a", "_foo_b", "_foo_zz", "_bar", "_baz"])
      if (!exportsOf(ours).includes(s)) expect(nmLine(ours, s)).toContain("was a private external");
  });

  it("reads list files (blanks trimmed, # comments) and names a missing one", async () => {
    const dir = tmp("tsld-exports-file-");
    const list = join(dir, "list");
    writeFileSync(list, "  # exported API\n_foo_a  \n\n\t_ba?\r\n");
    const out = join(dir, "x.dylib");
    await ok(["-buildmode=c-shared", "-exported_symbols_list", list, "-o", out, obj()]);
    expect(exportsOf(out)).toEqual(["_bar", "_baz", "_foo_a"]);
    writeFileSync(list, "_foo_*\n");
    await ok(["-buildmode=c-shared", "-unexported_symbols_list", list, "-o", out, obj()]);
    expect(exportsOf(out)).toEqual(["_bar", "_baz"]);
    const r = await tsld(["-buildmode=c-shared", "-exported_symbols_list", join(dir, "nope"), "-o", out, obj()]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${join(dir, "nope")}: cannot read symbol list: no such file`);
  });

  it("refuses both kinds of list; a literal exported name must be defined (and loads it from an archive)", async () => {
    const dir = tmp("tsld-exports-err-");
    const out = join(dir, "x.dylib");
    let r = await tsld([
      "-buildmode=c-shared",
      "-exported_symbol",
      "_foo_a",
      "-unexported_symbol",
      "_bar",
      "-o",
      out,
      obj(),
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("cannot use both -exported_symbol* and -unexported_symbol* options");
    r = await tsld(["-buildmode=c-shared", "-exported_symbol", "_nope", "-o", out, obj()]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("undefined symbol: _nope\n>>> referenced by -exported_symbol(s_list)");
    // Nothing else references the archive member defining _foo_zz: the list loads it.
    const lib = makeArchive([obj()], { name: "libexports" });
    const pub = compileC("int pub(void) { return 0; }", { name: "exports_pub" });
    await ok(["-buildmode=c-shared", "-exported_symbol", "_foo_zz", "-exported_symbol", "_pub", "-o", out, pub, lib]);
    expect(exportsOf(out)).toEqual(["_foo_zz", "_pub"]);
  });

  it("with -dead_strip an executable keeps exactly its listed symbols (and the entry point)", async () => {
    const dir = tmp("tsld-exports-ds-");
    const main = compileC("int main(void) { return 0; }", { name: "exports_main" });
    const ours = join(dir, "x.tsld");
    const theirs = join(dir, "x.lld");
    await ok(["-dead_strip", "-exported_symbol", "_foo_b", "-exported_symbol", "_main", "-o", ours, obj(), main]);
    linkWithLld([obj(), main], theirs, ["-dead_strip", "-exported_symbol", "_foo_b", "-exported_symbol", "_main"]);
    expect(exportsOf(ours)).toEqual(exportsOf(theirs));
    expect(exportsOf(ours)).toEqual(["_foo_b", "_main"]);
    expect(nmLine(ours, "_foo_a")).toBe("");
  });
});

const HOOK_C = `#include <stdio.h>
extern int optional_hook(int) __attribute__((weak));
int main(void) {
  printf("hook %s\\n", optional_hook ? "present" : "absent");
  return optional_hook ? optional_hook(1) : 0;
}
`;

describe("weak references to symbols nothing defines", () => {
  const hook = () => compileC(HOOK_C, { name: "hook", O: "1" });

  it("are undefined-symbol errors naming each referencing site", async () => {
    const dir = tmp("tsld-weakref-");
    const r = await tsld(["-o", join(dir, "prog"), hook()]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /error: undefined symbol: _optional_hook\n>>> referenced by .*hook[^\n]*\.o:\(symbol _main\+0x[0-9a-f]+\)\n>>> referenced by .*:\(symbol _main\+0x[0-9a-f]+\)\n/,
    );
  });

  it.each([
    [["-U", "_optional_hook"]],
    [["-undefined", "dynamic_lookup"]],
    [["-flat_namespace", "-undefined", "suppress"]],
  ])("with %j become flat-lookup weak imports, and the program sees the hook absent", async (flags) => {
    const dir = tmp("tsld-weakref-U-");
    const ours = join(dir, "prog");
    expect(await ok([...flags, "-o", ours, hook()])).toBe("");
    const theirs = join(dir, "prog.lld");
    linkWithLld([hook()], theirs, [...flags, ...suiteLldFlags()]);
    // The hook's imports (bind and lazy-bind, or chained binds), addresses left out.
    const rows = (p: string) => importRows(p).filter((r) => r.includes("_optional_hook"));
    expect(rows(ours)).toContain("flat-namespace _optional_hook (weak import)");
    expect(fixupRows(ours).some((r) => r.section === "__got" && r.symbol === "_optional_hook" && r.weakImport)).toBe(
      true,
    );
    expect(rows(ours)).toEqual(rows(theirs));
    const r = runMachO(ours);
    expect(r.stdout).toBe("hook absent\n");
    expect(r.status).toBe(0);
  });

  it("-undefined warning warns and links; warning and suppress need -flat_namespace, as in ld64", async () => {
    const dir = tmp("tsld-weakref-warn-");
    const ours = join(dir, "prog");
    const w = await ok(["-flat_namespace", "-undefined", "warning", "-o", ours, hook()]);
    expect(w).toContain("warning: undefined symbol: _optional_hook\n>>> referenced by");
    expect(runMachO(ours).stdout).toBe("hook absent\n");
    for (const t of ["warning", "suppress"]) {
      const r = await tsld(["-undefined", t, "-o", ours, hook()]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`'-undefined ${t}' only valid with '-flat_namespace'`);
    }
  });
});
