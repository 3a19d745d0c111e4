// -adhoc_codesign: tsld's signed executables, dylibs and plugins pass the
// independent verifier (tools/codesign-verify), read cleanly in llvm-objdump,
// run under the loader as unsigned ones do, and carry the same CodeDirectory
// fields as ld64.lld-19's signature of the same inputs. Off by default on
// x86_64 and on by default on arm64, as in lld.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { verifyCodeSignature } from "@tsld/codesign-verify";
import { linkWithLld } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { ARCH, assemble, byArch, bytes, compileC, runMachO, suiteLldFlags, tmp, tsld } from "./helpers.js";
import { HOST_C, PLUGIN_C, objdump, objdumpWithStderr } from "./plugin-helpers.js";

async function ok(args: string[], suiteFlags = true): Promise<string> {
  const r = await tsld(args, { suiteFlags });
  if (r.status !== 0) throw new Error(`tsld ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  expect(r.stderr).toBe("");
  return args[args.indexOf("-o") + 1]!;
}

const HELLO_C = `#include <stdio.h>
int counter = 5;
int main(int argc, char **argv) { printf("signed %d %s\\n", argc + counter, argv[1] ? argv[1] : "-"); return 0; }`;
const hello = (): string => compileC(HELLO_C, { name: "cs_hello" });

/** Verifies the signature and that the load commands read without warnings. */
function expectSigned(path: string) {
  const file = bytes(path);
  const r = verifyCodeSignature(file);
  expect(r.errors, path).toEqual([]);
  const { stdout, stderr } = objdumpWithStderr(["--macho", "--all-headers", path]);
  expect(stderr).toBe("");
  // LC_CODE_SIGNATURE is the last command; __LINKEDIT and the file end 16-aligned past the signature.
  expect(stdout.trimEnd()).toMatch(/cmd LC_CODE_SIGNATURE\n\s+cmdsize 16\n\s+dataoff \d+\n\s+datasize \d+$/);
  expect(r.dataoff! % 16).toBe(0);
  expect(file.length).toBe(Math.ceil((r.dataoff! + r.datasize!) / 16) * 16);
  return r;
}

/** lld signs arm64 images by default (a macOS kernel kills unsigned arm64 code), x86_64 ones only when asked. */
const SIGNS_BY_DEFAULT = ARCH === "arm64";

/** main puts()s a string and returns what helper() loads through the GOT (0); one source per arch. */
const CS_ASM: Record<string, string> = byArch({
  x86_64: {
    cs_asm_main: `.text
.globl _main
_main:
  pushq %rbp
  leaq Ls(%rip), %rdi
  callq _puts
  movq _helper@GOTPCREL(%rip), %rax
  callq *%rax
  popq %rbp
  retq
.cstring
Ls: .asciz "signed"
.subsections_via_symbols
`,
    cs_asm_helper: `.text
.globl _helper
_helper:
  movq _counter@GOTPCREL(%rip), %rax
  movl (%rax), %eax
  retq
.data
.globl _counter
_counter: .long 0
.subsections_via_symbols
`,
  },
  arm64: {
    cs_asm_main: `.text
.globl _main
.p2align 2
_main:
  stp x29, x30, [sp, #-16]!
  adrp x0, Ls@PAGE
  add x0, x0, Ls@PAGEOFF
  bl _puts
  adrp x8, _helper@GOTPAGE
  ldr x8, [x8, _helper@GOTPAGEOFF]
  blr x8
  ldp x29, x30, [sp], #16
  ret
.cstring
Ls: .asciz "signed"
.subsections_via_symbols
`,
    cs_asm_helper: `.text
.globl _helper
.p2align 2
_helper:
  adrp x8, _counter@GOTPAGE
  ldr x8, [x8, _counter@GOTPAGEOFF]
  ldr w0, [x8]
  ret
.data
.globl _counter
_counter: .long 0
.subsections_via_symbols
`,
  },
});

function hasSignature(path: string): boolean {
  return objdump(["--macho", "--all-headers", path]).includes("LC_CODE_SIGNATURE");
}

describe("-adhoc_codesign", () => {
  it(`is ${SIGNS_BY_DEFAULT ? "on" : "off"} by default on ${ARCH}, as in lld; the last of -adhoc_codesign / -no_adhoc_codesign wins`, async () => {
    const dir = tmp("tsld-cs-flags-");
    // The links pin the suite's fixup encoding and nothing else, so the bytes differ only if
    // the explicit flag changes the default.
    const enc = suiteLldFlags();
    const plain = await ok(["-o", join(dir, "plain"), ...enc, hello()], false);
    expect(hasSignature(plain)).toBe(SIGNS_BY_DEFAULT);
    const same = SIGNS_BY_DEFAULT ? "-adhoc_codesign" : "-no_adhoc_codesign";
    // The same file name: a signature's identifier is the output's name.
    const pinned = await ok(["-o", join(tmp("tsld-cs-flags2-"), "plain"), ...enc, same, hello()], false);
    expect(bytes(pinned).equals(bytes(plain))).toBe(true);
    expect(hasSignature(await ok(["-o", join(dir, "a"), "-adhoc_codesign", hello()]))).toBe(true);
    expect(hasSignature(await ok(["-o", join(dir, "b"), "-adhoc_codesign", "-no_adhoc_codesign", hello()]))).toBe(
      false,
    );
    expect(hasSignature(await ok(["-o", join(dir, "c"), "-no_adhoc_codesign", "--adhoc_codesign", hello()]))).toBe(
      true,
    );
    expect(hasSignature(await ok(["-o", join(dir, "d"), "-adhoc_codesign=false", hello()]))).toBe(false);
  });

  it("signs an executable that verifies, runs, and is the same bytes on every link", async () => {
    const dir = tmp("tsld-cs-exe-");
    const exe = await ok(["-o", join(dir, "hello"), "-adhoc_codesign", hello()]);
    const r = expectSigned(exe);
    const cd = r.codeDirectory!;
    expect(cd.identifier).toBe("hello");
    expect(cd.flags).toBe(0x20002); // CS_ADHOC | CS_LINKER_SIGNED
    expect(cd.version).toBe(0x20400);
    expect(cd.execSegFlags).toBe(1n);
    expect(cd.nSpecialSlots).toBe(2);
    expect(r.slots).toEqual([0, 2]); // CodeDirectory and requirements, as ld64
    const run = runMachO(exe, ["x"]);
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("signed 7 x\n");
    expect(run.status).toBe(0);
    const again = await ok(["-o", join(tmp("tsld-cs-exe2-"), "hello"), "-adhoc_codesign", hello()]);
    expect(bytes(again).equals(bytes(exe))).toBe(true);
  });

  it("covers a many-page image, the symbol table and string table included", async () => {
    const big = compileC(
      `#include <stdio.h>
static const unsigned table[12000] = {1, 2, 3, [11999] = 7};
${Array.from({ length: 40 }, (_, i) => `int fn${i}(int x) { return x * ${i + 3} + table[x % 12000]; }`).join("\n")}
int main(void) { int s = 0; ${Array.from({ length: 40 }, (_, i) => `s += fn${i}(${i});`).join(" ")} printf("%d\\n", s + (int)table[11999]); return 0; }`,
      { name: "cs_big" },
    );
    const exe = await ok(["-o", join(tmp("tsld-cs-big-"), "big"), "-adhoc_codesign", big]);
    const r = expectSigned(exe);
    expect(r.codeDirectory!.nCodeSlots).toBeGreaterThan(12);
    const run = runMachO(exe);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^\d+\n$/);
    // a byte of the string table, in the last page before the signature
    const file = Buffer.from(readFileSync(exe));
    file[r.dataoff! - 3]! ^= 0x01;
    const last = r.codeDirectory!.nCodeSlots - 1;
    expect(verifyCodeSignature(file).errors).toEqual([
      expect.stringMatching(new RegExp(`^page ${last} .*hash mismatch$`)),
    ]);
  });

  it("fails verification when one byte of __text or one CodeDirectory field changes", async () => {
    const exe = await ok(["-o", join(tmp("tsld-cs-tamper-"), "t"), "-adhoc_codesign", hello()]);
    const sect = objdump(["--macho", "--section-headers", exe]);
    const text = /__text\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(sect)!;
    const textOff = Number.parseInt(text[2]!, 16) - 0x100000000;
    const flipped = Buffer.from(readFileSync(exe));
    flipped[textOff + 1]! ^= 0x40;
    expect(verifyCodeSignature(flipped).errors).toEqual([expect.stringMatching(/^page 0 .*hash mismatch$/)]);

    const changed = Buffer.from(readFileSync(exe));
    const r = verifyCodeSignature(changed);
    const dv = new DataView(changed.buffer, changed.byteOffset);
    const cdOff = r.dataoff! + dv.getUint32(r.dataoff! + 16);
    dv.setBigUint64(cdOff + 72, r.codeDirectory!.execSegLimit + 0x1000n); // execSegLimit
    expect(verifyCodeSignature(changed).errors).toEqual([expect.stringMatching(/^execSegLimit/)]);
    // the requirements blob is bound by special slot -2
    const reqOff = r.dataoff! + dv.getUint32(r.dataoff! + 24);
    dv.setBigUint64(cdOff + 72, r.codeDirectory!.execSegLimit);
    dv.setUint32(reqOff + 8, 1);
    expect(verifyCodeSignature(changed).errors).toEqual(["special slot -2 does not hold the hash of the slot-2 blob"]);
  });

  it("has lld's CodeDirectory fields for the same inputs (apart from hashes and lld's missing requirements)", async () => {
    // Assembly without unwind info: lld-19 pads __unwind_info to a page for
    // C objects, which would make the two __TEXT segments differ in size.
    const objs = Object.entries(CS_ASM).map(([name, src]) => assemble(src, { name }));
    const ours = await ok(["-o", join(tmp("tsld-cs-x-"), "prog"), "-adhoc_codesign", ...objs]);
    const theirs = join(tmp("tsld-cs-lld-"), "prog");
    linkWithLld(objs, theirs, ["-adhoc_codesign"]);
    const a = expectSigned(ours);
    const b = verifyCodeSignature(bytes(theirs));
    expect(b.errors).toEqual([]);
    const fields = (r: typeof a) => {
      const cd = r.codeDirectory!;
      return {
        version: cd.version,
        flags: cd.flags,
        hashSize: cd.hashSize,
        hashType: cd.hashType,
        platform: cd.platform,
        pageSize: cd.pageSize,
        scatterOffset: cd.scatterOffset,
        teamOffset: cd.teamOffset,
        codeLimit64: cd.codeLimit64,
        execSegBase: cd.execSegBase,
        execSegLimit: cd.execSegLimit,
        execSegFlags: cd.execSegFlags,
        identifier: cd.identifier,
        // the code limit is each file's own signature offset; the slot count follows it
        slotsForLimit: cd.nCodeSlots === Math.ceil(cd.codeLimit / 4096),
      };
    };
    expect(fields(a)).toEqual(fields(b));
    // ld64 binds an empty requirements blob through special slot -2; lld writes none.
    expect(a.codeDirectory!.nSpecialSlots).toBe(2);
    expect(b.codeDirectory!.nSpecialSlots).toBe(0);
    // Pages whose bytes are the same in both files have the same hashes.
    const fa = bytes(ours);
    const fb = bytes(theirs);
    let same = 0;
    for (let i = 0; i < Math.min(a.pageHashes.length, b.pageHashes.length); i++) {
      const pa = fa.subarray(i * 4096, Math.min((i + 1) * 4096, a.codeDirectory!.codeLimit));
      const pb = fb.subarray(i * 4096, Math.min((i + 1) * 4096, b.codeDirectory!.codeLimit));
      if (pa.equals(pb)) {
        same++;
        expect(a.pageHashes[i]).toBe(b.pageHashes[i]);
      } else expect(a.pageHashes[i]).not.toBe(b.pageHashes[i]);
    }
    expect(same + a.pageHashes.length).toBeGreaterThan(0);
    for (const p of [ours, theirs]) {
      const run = runMachO(p);
      expect(run.stdout).toBe("signed\n");
      expect(run.status).toBe(0);
    }
  });

  it("signs a c-shared dylib (identifier from the install name) that a signed executable runs with", async () => {
    const dir = tmp("tsld-cs-dylib-");
    const lib = await ok([
      "-buildmode=c-shared",
      "-install_name",
      "@rpath/libcsfoo.dylib",
      "-adhoc_codesign",
      "-o",
      join(dir, "libcsfoo.dylib"),
      compileC(`int foo_counter = 10; int foo_add(int a, int b) { return a + b + foo_counter; }`, { name: "cs_foo" }),
    ]);
    const r = expectSigned(lib);
    expect(r.codeDirectory!.identifier).toBe("libcsfoo.dylib");
    expect(r.codeDirectory!.execSegFlags).toBe(0n);
    const exe = await ok([
      "-o",
      join(dir, "main"),
      "-adhoc_codesign",
      "-rpath",
      "@loader_path",
      compileC(
        `#include <stdio.h>
extern int foo_add(int, int); extern int foo_counter;
int main(void) { foo_counter = 100; printf("%d\\n", foo_add(1, 2)); return 0; }`,
        { name: "cs_foo_main" },
      ),
      lib,
    ]);
    expectSigned(exe);
    const run = runMachO(exe);
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("103\n");
    expect(run.status).toBe(0);
  });

  it("signs the seed's plugin and its host; the host dlopens the plugin and both see their own markers", async () => {
    const dir = tmp("tsld-cs-plugin-");
    const host = await ok(["-o", join(dir, "host"), "-adhoc_codesign", compileC(HOST_C, { name: "plugin_host" })]);
    const plugin = await ok([
      "-buildmode=plugin",
      "-o",
      join(dir, "plugin.dylib"),
      "-adhoc_codesign",
      "-bundle_loader",
      host,
      compileC(PLUGIN_C, { name: "plugin" }),
    ]);
    expectSigned(host);
    expect(expectSigned(plugin).codeDirectory!.execSegFlags).toBe(0n);
    const run = runMachO(host, [plugin]);
    expect(run.stderr).toBe("");
    expect(run.stdout).not.toContain("FAIL");
    expect(run.stdout).toContain("plugin_func(5) = 64");
    expect(run.stdout).toContain("OK");
    expect(run.status).toBe(0);
  });
});
