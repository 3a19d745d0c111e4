// LC_LINKER_OPTION auto-linking: an object that asks for -lNAME gets it
// from the search paths, as with ld64; a library not found is skipped.
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { makeArchive } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { assemble, compileC, runMachO, tmp, tsld } from "./helpers.js";

describe("LC_LINKER_OPTION", () => {
  const main = (): string =>
    assemble(`
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
`);

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
