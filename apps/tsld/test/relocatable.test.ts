// Relocatable output (`tsld -r`): objects merged into one MH_OBJECT, which
// then links (with ld64.lld-19 and with tsld) into the same running program
// as the objects themselves.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { linkWithLld, makeArchive } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { assemble, byArch, compileC, runMachO, tmp, tsld } from "./helpers.js";
import { BYTE_TABLE_TAIL, JUMP_TABLE_MAIN_X86_64 } from "./jump-tables.js";

/** A function's return instruction. */
const RET = byArch({ x86_64: "retq", arm64: "ret" });

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

  it("archives: only the members the objects need are pulled; undefined symbols stay undefined", async () => {
    const main = compileC(`#include <stdio.h>
extern int used(int);
int main(void) { printf("used %d\\n", used(20)); return 0; }`);
    const used = compileC("int used(int x) { return x + 1; }", { name: "used" });
    const unused = compileC("int unused(int x) { return x - 1; }", { name: "unused" });
    const lib = makeArchive([used, unused], { name: "librt" });
    const { merged, want } = await roundTrip("archive", [main, lib]);
    expect(want.stdout).toBe("used 21\n");
    const syms = objdump(merged, "-t");
    expect(syms).toMatch(/ g +F __TEXT,__text _used$/m);
    expect(syms).not.toContain("_unused");
    expect(syms).toMatch(/\*UND\* _printf$/m);
  });

  it("thread-local variables and constructors survive the round trip", async () => {
    const a = compileC(`#include <stdio.h>
extern _Thread_local int tv;
_Thread_local int zero;
extern int initialized;
__attribute__((constructor)) static void early(void) { initialized += 10; }
int main(void) { tv += 1; zero += 2; printf("%d %d %d\\n", tv, zero, initialized); return 0; }`);
    const b = compileC(`_Thread_local int tv = 41;
int initialized = 1;
__attribute__((constructor)) static void also(void) { initialized *= 3; }`);
    const { merged, want } = await roundTrip("tlv", [a, b]);
    expect(want.stdout).toMatch(/^42 2 \d+\n$/);
    const rel = objdump(merged, "-r");
    expect(rel).toContain("Relocation information (__DATA,__thread_vars)");
    // The thread-local's access: X86_64_RELOC_TLV, or ARM64_RELOC_TLVP_LOAD_PAGEOFF12 (objdump's TLVLDPOF).
    expect(rel).toMatch(byArch({ x86_64: /TLV +False +_tv/, arm64: /TLVLDPOF?\s*False +_tv/ }));
  });

  it("weak definitions: the first copy wins; the other stays as a local at its place", async () => {
    const a = compileC(`#include <stdio.h>
__attribute__((weak)) int pick(void) { return 1; }
extern int other(void);
int main(void) { printf("%d %d\\n", pick(), other()); return 0; }`);
    const b = compileC(`__attribute__((weak)) int pick(void) { return 2; }
int other(void) { return pick() * 10; }`);
    const { merged, want } = await roundTrip("weak", [a, b]);
    expect(want.stdout).toBe("1 10\n");
    const syms = objdump(merged, "-t");
    expect(syms).toMatch(/ w +F __TEXT,__text _pick$/m);
    expect(syms).toMatch(/ l +F __TEXT,__text _pick$/m);
  });

  it("DWARF of several objects is carried with relocations and verifies", async () => {
    const a = compileC(
      `#include <stdio.h>
extern int square(int);
int main(void) { printf("%d\\n", square(7)); return 0; }`,
      { g: true, name: "dwa" },
    );
    const b = compileC(
      `static int helper(int v) { return v; }
int square(int x) { return helper(x) * x; }`,
      { g: true, name: "dwb" },
    );
    const { merged, want } = await roundTrip("dwarf", [a, b]);
    expect(want.stdout).toBe("49\n");
    const v = spawnSync("llvm-dwarfdump-19", ["--verify", merged], { encoding: "utf8" });
    expect(v.stdout + v.stderr).toContain("No errors.");
    const info = spawnSync("llvm-dwarfdump-19", ["--debug-info", merged], { encoding: "utf8" }).stdout;
    // Both units, each with its own names (strp rebased) and file (stmt_list rebased).
    expect(info).toContain('DW_AT_name\t("square")');
    expect(info).toContain('DW_AT_name\t("main")');
    const lines = spawnSync("llvm-dwarfdump-19", ["--debug-line", merged], { encoding: "utf8" }).stdout;
    expect(lines).toContain("dwa.c");
    expect(lines).toContain("dwb.c");
  });

  it("keeps SUBTRACTOR pairs, symbol attributes, linker options and the build version (llvm-mc in)", async () => {
    const a = assemble(`  .build_version macos, 12, 0
  .linker_option "-lz"
  .section __TEXT,__text,regular,pure_instructions
  .globl _main
  .p2align 2
_main:
  ${byArch({
    x86_64: "leaq _table(%rip), %rax\n  movl (%rax), %eax\n  addl 4+_table(%rip), %eax\n  retq",
    arm64:
      "adrp x8, _table@PAGE\n  add x8, x8, _table@PAGEOFF\n  ldr w0, [x8]\n  adrp x9, _table+4@PAGE\n  ldr w9, [x9, _table+4@PAGEOFF]\n  add w0, w0, w9\n  ret",
  })}
  .globl _entry2
  .alt_entry _entry2
_entry2:
  ${RET}
  .private_extern _hidden
  .globl _hidden
_hidden:
  ${RET}
  .no_dead_strip _kept
_kept:
  ${RET}
  .section __DATA,__const
  .globl _table
  .p2align 3
_table:
  .long _hidden - _main
  .long _kept - _main
  .quad _main - _table
  .quad _other
.subsections_via_symbols
`);
    const b = assemble(`  .build_version macos, 12, 0
  .linker_option "-lz"
  .linker_option "-framework", "Foundation"
  .section __TEXT,__text,regular,pure_instructions
  .globl _other
  .weak_def_can_be_hidden _other
  .p2align 2
_other:
  ${RET}
.subsections_via_symbols
`);
    const dir = tmp("tsld-r-");
    const merged = await relocate(dir, "attrs.o", [a, b]);
    const rel = objdump(merged, "-r");
    // Each difference stays a SUBTRACTOR/UNSIGNED pair naming the same symbols.
    expect(rel).toMatch(/SUB +False +_table\n.*UNSIGND +False +_main/);
    const syms = objdump(merged, "-t");
    expect(syms).toMatch(/^[0-9a-f]+ g +F __TEXT,__text _entry2$/m);
    expect(syms).toMatch(/^[0-9a-f]+ l +F __TEXT,__text _kept$/m);
    const ro = readobj(merged, "--symbols", "--macho-linker-options", "--macho-version-min", "--file-headers");
    expect(ro).toMatch(/Name: _entry2[^}]*AltEntry/);
    expect(ro).toMatch(/Name: _kept[^}]*NoDeadStrip/);
    expect(ro).toMatch(/Name: _hidden[^}]*PrivateExtern/);
    expect(ro).toMatch(/Name: _other[^}]*WeakDef[^}]*WeakRef/);
    expect(ro).toContain("MH_SUBSECTIONS_VIA_SYMBOLS");
    expect(ro.match(/Linker Options \{/g)?.length).toBe(2); // -lz once, -framework Foundation once
    expect(ro).toMatch(/Version: 12\.0/);
    // The differences compute the same values after a link (main returns their sum).
    const exe = join(dir, "attrs");
    linkWithLld([merged], exe);
    linkWithLld([a, b], `${exe}.direct`);
    const want = runMachO(`${exe}.direct`);
    expect(runMachO(exe).status).toBe(want.status);
    const viaTsld = join(dir, "attrs.tsld");
    expect((await tsld(["-o", viaTsld, merged])).status).toBe(0);
    expect(runMachO(viaTsld).status).toBe(want.status);
  });

  it("N_INDR aliases stay aliases; a relocation against one names its target (llvm-mc in)", async () => {
    const call = byArch({
      x86_64: "pushq %rax\n  callq _alias\n  popq %rcx\n  retq",
      arm64: "stp x29, x30, [sp, #-16]!\n  bl _alias\n  ldp x29, x30, [sp], #16\n  ret",
    });
    const main = assemble(`  .globl _main\n  .p2align 2\n_main:\n  ${call}\n`, { name: "indr_main" });
    // `_alias = _target` with _target undefined: llvm-mc writes an N_INDR.
    const alias = assemble("  .globl _alias\n  _alias = _target\n", { name: "indr_alias" });
    const ret42 = byArch({ x86_64: "movl $42, %eax\n  retq", arm64: "mov w0, #42\n  ret" });
    const target = assemble(`  .globl _target\n  .p2align 2\n_target:\n  ${ret42}\n`, { name: "indr_target" });
    const dir = tmp("tsld-r-");
    const merged = await relocate(dir, "indr.o", [main, alias]);
    const nm = spawnSync("llvm-nm-19", ["-m", merged], { encoding: "utf8" }).stdout;
    expect(nm).toContain("(indirect) external _alias (for _target)");
    expect(nm).toContain("(undefined) external _target");
    const branch = byArch({ x86_64: "BRANCH", arm64: "BR26" });
    expect(objdump(merged, "-r")).toMatch(new RegExp(`True\\s+long\\s+True\\s+${branch}\\s+False\\s+_target\\n`));
    // Linked with the target, by both linkers: main calls the target through the alias.
    const exe = join(dir, "indr");
    linkWithLld([merged, target], exe);
    expect(runMachO(exe).status).toBe(42);
    expect((await tsld(["-o", `${exe}.tsld`, merged, target])).status).toBe(0);
    expect(runMachO(`${exe}.tsld`).status).toBe(42);
    // The alias also serves references from outside the merged object (by name).
    const lib = await relocate(dir, "indr-lib.o", [alias, target]);
    expect(spawnSync("llvm-nm-19", ["-m", lib], { encoding: "utf8" }).stdout).toContain(
      "(indirect) external _alias (for _target)",
    );
    linkWithLld([main, lib], `${exe}.2`);
    expect(runMachO(`${exe}.2`).status).toBe(42);
    expect((await tsld(["-o", `${exe}.2.tsld`, main, lib])).status).toBe(0);
    expect(runMachO(`${exe}.2.tsld`).status).toBe(42);
    const again = await relocate(dir, "indr.again.o", [merged]);
    expect(readFileSync(again).equals(readFileSync(merged))).toBe(true);
  });

  it("LC_DATA_IN_CODE entries of every input, at their code's new addresses (llvm-mc in)", async () => {
    // _main jumps through a 32-bit jump table, then calls _f, which reads a byte table.
    const src = byArch({
      x86_64: {
        main: JUMP_TABLE_MAIN_X86_64,
        f: `  .globl _f
_f:
  nop
  nop
  nop
  leaq Ltab(%rip), %rcx
  movl $1, %edx
  movzbl (%rcx,%rdx), %eax
  retq
${BYTE_TABLE_TAIL}`,
        // _f's table at 0x14, _main's at 0x18; merged, _f first, then _main at 0x18: _main's table at 0x30.
        dice: { f: "0x00000014", main: "0x00000018", mainAt: "0000000000000018", merged: "0x00000030" },
      },
      arm64: {
        main: `  .globl _main
  .p2align 2
_main:
  mov x0, #2
  adr x1, Ltab
  ldrsw x2, [x1, x0, lsl #2]
  add x1, x1, x2
  br x1
  .data_region jt32
Ltab:
  .long Lc0-Ltab
  .long Lc1-Ltab
  .long Lc2-Ltab
  .end_data_region
Lc0:
  mov w0, #10
  ret
Lc1:
  mov w0, #11
  ret
Lc2:
  stp x29, x30, [sp, #-16]!
  bl _f
  add w0, w0, #1
  ldp x29, x30, [sp], #16
  ret
.subsections_via_symbols
`,
        f: `  .globl _f
  .p2align 2
_f:
  nop
  nop
  nop
  adr x1, Ltab
  mov x2, #1
  ldrb w0, [x1, x2]
  ret
${BYTE_TABLE_TAIL}`,
        // _f's table at 0x1c, _main's at 0x14; merged, _f first, then _main at 0x20: _main's table at 0x34.
        dice: { f: "0x0000001c", main: "0x00000014", mainAt: "0000000000000020", merged: "0x00000034" },
      },
    });
    const main = assemble(src.main, { name: "dice_main" });
    const f = assemble(src.f, { name: "dice_f" });
    const at = src.dice;
    const dice = (file: string): string[] =>
      objdump(file, "--data-in-code")
        .split("\n")
        .filter((l) => l.startsWith("0x"))
        .map((l) => l.trim().split(/\s+/).join(" "));
    expect(dice(f)).toEqual([`${at.f} 4 JUMP_TABLE8`]);
    expect(dice(main)).toEqual([`${at.main} 12 JUMP_TABLE32`]);
    const { dir, merged, want } = await roundTrip("dice", [f, main]);
    expect(want.status).toBe(42);
    expect(objdump(merged, "-t")).toMatch(new RegExp(`${at.mainAt} g +F __TEXT,__text _main`));
    expect(dice(merged)).toEqual([`${at.f} 4 JUMP_TABLE8`, `${at.merged} 12 JUMP_TABLE32`]);
    // ld64.lld carries them into the image as from the objects themselves.
    const direct = join(dir, "dice.direct");
    expect(dice(join(dir, "dice.lld"))).toEqual(dice(direct));
  });

  it("an object without MH_SUBSECTIONS_VIA_SYMBOLS makes the output lack it", async () => {
    const a = assemble(
      `  .globl _main\n_main:\n  ${byArch({ x86_64: "xorl %eax, %eax", arm64: "mov w0, #0" })}\n  ${RET}\n`,
    );
    const b = assemble(`  .globl _f\n_f:\n  ${RET}\n.subsections_via_symbols\n`);
    const merged = await relocate(tmp("tsld-r-"), "nosub.o", [a, b]);
    expect(readobj(merged, "--file-headers")).not.toContain("MH_SUBSECTIONS_VIA_SYMBOLS");
  });

  it("-go_markers: Go's section markers defined at the head and tail of their sections", async () => {
    const src = `extern char t0[] __asm__("runtime.text"), t1[] __asm__("runtime.etext");
extern char d0[] __asm__("runtime.data"), d1[] __asm__("runtime.edata");
int v = 1;
long span(void) { return (t1 - t0) + (d1 - d0) + v; }`;
    const obj = compileC(src, { name: "markers" });
    const dir = tmp("tsld-r-");
    const plain = await relocate(dir, "exe.o", [obj], ["-go_markers"]);
    const dyn = await relocate(dir, "plugin.o", [obj], ["-go_markers", "-buildmode=plugin"]);
    const sect = (file: string, name: string): { addr: number; size: number } => {
      const row = objdump(file, "-h")
        .split("\n")
        .find((l) => new RegExp(`\\s${name}\\s`).test(l))!;
      const c = row.trim().split(/\s+/);
      return { size: Number.parseInt(c[2]!, 16), addr: Number.parseInt(c[3]!, 16) };
    };
    const addr = (file: string, name: string): number => {
      const row = objdump(file, "-t")
        .split("\n")
        .find((l) => l.endsWith(` ${name}`))!;
      return Number.parseInt(row.split(" ")[0]!, 16);
    };
    // Not dynamically linking: zero-sized markers bound the sections, names as they are.
    for (const [s, start, end] of [
      ["__text", "runtime.text", "runtime.etext"],
      ["__data", "runtime.data", "runtime.edata"],
    ] as const) {
      const x = sect(plain, s);
      expect(addr(plain, start)).toBe(x.addr);
      expect(addr(plain, end)).toBe(x.addr + x.size);
      // Dynamically linking: 8-byte markers, `_`-prefixed as Go names them.
      const y = sect(dyn, s);
      expect(addr(dyn, `_${start}`)).toBe(y.addr);
      expect(addr(dyn, `_${end}`) + 8).toBe(y.addr + y.size);
    }
    expect(readobj(plain, "--file-headers")).not.toContain("MH_SUBSECTIONS_VIA_SYMBOLS");
  });
});
