// LC_LINKER_OPTION auto-linking: an object that asks for -lNAME gets it
// from the search paths, as with ld64; a library not found is skipped.
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { makeArchive } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { assemble, byArch, compileC, runMachO, tmp, tsld } from "./helpers.js";

/** `main` returns autofoo(), from the library its object asks for. */
const MAIN_S = byArch({
  x86_64: `
  .linker_option "-lautofoo"
  .text
  .globl _main
_main:
  pushq %rbp
  movq %rsp, %rbp
  callq _autofoo
  popq %rbp
  retq
.subsections_via_symbols
`,
  arm64: `
  .linker_option "-lautofoo"
  .text
  .globl _main
  .p2align 2
_main:
  stp x29, x30, [sp, #-16]!
  mov x29, sp
  bl _autofoo
  ldp x29, x30, [sp], #16
  ret
.subsections_via_symbols
`,
});

describe("LC_LINKER_OPTION", () => {
  const main = (): string => assemble(MAIN_S, { name: "autolink-main" });

  it("links the library an object asks for", async () => {
    const dir = tmp();
    mkdirSync(join(dir, "lib"));
    copyFileSync(
      makeArchive([compileC("int autofoo(void) { return 7; }", { name: "autofoo" })]),
      join(dir, "lib/libautofoo.a"),
    );
    const out = join(dir, "prog");
    const r = await tsld(["-o", out, "-L", join(dir, "lib"), main()]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(runMachO(out).status).toBe(7);
  });

  it("skips a library it cannot find, so its symbols stay undefined", async () => {
    const r = await tsld(["-o", join(tmp(), "prog"), main()]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("undefined symbol: _autofoo");
  });
});
