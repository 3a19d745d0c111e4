/**
 * LC_DATA_IN_CODE in images: the inputs' data-in-code entries (jump tables
 * and literal pools inside code) land at their code's offset from the Mach
 * header, sorted, as ld64.lld-19 writes them; entries of dead-stripped code
 * are dropped. Before, images carried an empty table, so disassemblers
 * decoded jump tables as instructions. llvm-mc in, link with both linkers,
 * `llvm-objdump-19 --macho --data-in-code` out, and the program runs.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { linkWithLld } from "@tsld/fixtures";
import { expect, it } from "vitest";
import { assemble, describeX86_64, runMachO, tmp, tsld } from "./helpers.js";
import { BYTE_TABLE_TAIL, JUMP_TABLE_MAIN_X86_64 } from "./jump-tables.js";

// _f's table gives 41; _unused has a table of its own and nobody calls it.
const F = `  .globl _f, _unused
_unused:
  leaq Lu(%rip), %rcx
  retq
  .data_region jt16
Lu:
  .short 1, 2
  .end_data_region
_f:
  nop
  leaq Ltab(%rip), %rcx
  movl $1, %edx
  movzbl (%rcx,%rdx), %eax
  retq
${BYTE_TABLE_TAIL}`;

/** The image's data-in-code entries as `symbol+delta length kind` (offsets are from the header at 0x100000000). */
function dice(file: string): string[] {
  const r = spawnSync("llvm-objdump-19", ["--macho", "--data-in-code", file], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  const syms = spawnSync("llvm-nm-19", ["-n", "--defined-only", file], { encoding: "utf8" })
    .stdout.split("\n")
    .filter((l) => / [tT] /.test(l))
    .map((l) => ({ addr: Number.parseInt(l.slice(0, 16), 16), name: l.split(" ").pop()! }));
  return r.stdout
    .split("\n")
    .filter((l) => l.startsWith("0x"))
    .map((l) => {
      const [off, length, kind] = l.trim().split(/\s+/);
      const addr = 0x100000000 + Number.parseInt(off!, 16);
      const sym = syms.filter((s) => s.addr <= addr).pop()!;
      return `${sym.name}+0x${(addr - sym.addr).toString(16)} ${length} ${kind}`;
    });
}

describeX86_64("x86 assembly in; -r's arm64 twin (relocatable.test.ts) covers arm64 jump tables")(
  "LC_DATA_IN_CODE in images",
  () => {
    const objects = (): [string, string] => [
      assemble(JUMP_TABLE_MAIN_X86_64, { name: "dice_img_main", arch: "x86_64" }),
      assemble(F, { name: "dice_img_f", arch: "x86_64" }),
    ];

    it("every input's entries at their code's offset from the header, sorted, as lld writes them", async () => {
      const [main, f] = objects();
      const dir = tmp("tsld-dice-");
      const ours = join(dir, "a.tsld");
      const theirs = join(dir, "a.lld");
      expect((await tsld(["-o", ours, main, f])).status).toBe(0);
      linkWithLld([main, f], theirs);
      const want = dice(theirs);
      expect(want).toEqual(["_main+0x18 12 JUMP_TABLE32", "_unused+0x8 4 JUMP_TABLE16", "_f+0x12 4 JUMP_TABLE8"]);
      expect(dice(ours)).toEqual(want);
      for (const out of [ours, theirs]) expect(runMachO(out).status).toBe(42);
    });

    it("-dead_strip drops the entries of code it removes", async () => {
      const [main, f] = objects();
      const dir = tmp("tsld-dice-");
      const ours = join(dir, "a.tsld");
      const theirs = join(dir, "a.lld");
      expect((await tsld(["-dead_strip", "-o", ours, main, f])).status).toBe(0);
      linkWithLld([main, f], theirs, ["-dead_strip"]);
      const want = dice(theirs);
      expect(want).toEqual(["_main+0x18 12 JUMP_TABLE32", "_f+0x12 4 JUMP_TABLE8"]);
      expect(dice(ours)).toEqual(want);
      expect(runMachO(ours).status).toBe(42);
    });
  },
);
