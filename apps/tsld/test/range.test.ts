// Range checks: a value that does not fit its relocation field is an error
// naming the site (file, section+offset, enclosing symbol) and the target.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { assemble, describeX86_64, tmp, tsld } from "./helpers.js";

describeX86_64("x86 rel32 range (arm64's BRANCH26 range is in arm64-thunks)")("relocation range checks", () => {
  it("reports a pc-relative call that cannot reach its target, and writes nothing", async () => {
    const far = assemble(`
  .globl _far
  _far = 0x7f0000000000
`);
    const o = assemble(`
  .text
  .globl _main
_main:
  callq _far
  xorl %eax, %eax
  retq
.subsections_via_symbols
`);
    const out = join(tmp(), "far");
    const r = await tsld(["-o", out, o, far]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /__TEXT,__text\+0x1 \(in _main\+0x1\): pc-relative displacement to _far 0x[0-9a-f]+ does not fit in 32 bits/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
  });
});
