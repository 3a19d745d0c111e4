// -F / -framework search: NAME.framework/NAME.tbd under each -F directory,
// linked as a dylib whose install name lands in LC_LOAD_DYLIB.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { requireTool } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { importRows } from "./fixup-rows.js";
import { ARCH, compileC, tmp, tsld } from "./helpers.js";

const FOO = `--- !tapi-tbd
tbd-version:     4
targets:         [ ${ARCH}-macos ]
install-name:    '/System/Library/Frameworks/Foo.framework/Versions/A/Foo'
exports:
  - targets:         [ ${ARCH}-macos ]
    symbols:         [ _foo_answer ]
...
`;

describe("-framework", () => {
  it("finds NAME.framework/NAME.tbd under -F and binds to its install name", async () => {
    const dir = tmp();
    mkdirSync(join(dir, "fw/Foo.framework"), { recursive: true });
    writeFileSync(join(dir, "fw/Foo.framework/Foo.tbd"), FOO);
    const o = compileC(
      `extern int foo_answer(void);
int main(void) { return foo_answer() == 42 ? 0 : 1; }`,
      { name: "fwmain" },
    );
    const out = join(dir, "prog");
    const r = await tsld(["-o", out, `-F${join(dir, "fw")}`, "-framework", "Foo", o]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const d = spawnSync(requireTool("llvm-objdump-19"), ["--macho", "--dylibs-used", out], { encoding: "utf8" });
    expect(d.stderr).toBe("");
    expect(d.stdout).toContain("/System/Library/Frameworks/Foo.framework/Versions/A/Foo");
    expect(importRows(out)).toContain("Foo _foo_answer");
  });

  it("reports a framework that is not found", async () => {
    const o = compileC("int main(void) { return 0; }", { name: "fwnone" });
    const r = await tsld(["-o", join(tmp(), "p"), "-framework", "Nope", o]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("framework not found for -framework Nope");
  });
});
