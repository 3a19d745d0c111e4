/**
 * Go's buildmode table for darwin/arm64: exe links as pie, c-shared and
 * plugin internally, c-archive needs external linking. The seed's plugin
 * rules on arm64 (flat namespace, bound at load, markers as real 8-byte
 * symbols, `_` on every non-local symbol, host and plugin each seeing their
 * own markers) are plugin.test.ts's, which the suite runs for arm64 too
 * (`TSLD_TEST_ARCH=arm64`).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { arm64LibDir, compileArm64C } from "./arm64-lit.js";
import { tmp, tsld } from "./helpers.js";
import { headerFlags } from "./plugin-helpers.js";

const LIB = (): string =>
  arm64LibDir([
    "_dlopen",
    "_dlsym",
    "_dlerror",
    "_printf",
    "_snprintf",
    "_puts",
    "___stack_chk_fail",
    "___stack_chk_guard",
  ]);

async function ok(args: string[]): Promise<void> {
  // Exactly these flags: the tests read opcode-mode binds (the seed's bind-at-load plugins, as lld writes them).
  const r = await tsld(["-arch", "arm64", "-L", LIB(), ...args], { hostLibSystem: false, suiteFlags: false });
  if (r.status !== 0) throw new Error(`tsld ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  expect(r.stderr).toBe("");
}

describe("arm64 buildmodes (Go's darwin/arm64 table)", () => {
  it("Go's darwin/arm64 buildmodes: exe is pie, c-shared and plugin link internally; c-archive needs external linking", async () => {
    const dir = tmp("tsld-a64bm-");
    const obj = compileArm64C("int answer(void) { return 42; }\nint main(void) { return answer() - 42; }\n", "bm");
    for (const [mode, type] of [
      ["exe", "EXECUTE"],
      ["pie", "EXECUTE"],
      ["c-shared", "DYLIB"],
      ["plugin", "DYLIB"],
    ] as const) {
      const out = join(dir, mode);
      await ok([`-buildmode=${mode}`, "-o", out, obj]);
      const h = headerFlags(out);
      expect(h.filetype, mode).toBe(type);
      if (type === "EXECUTE") expect(h.flags, mode).toContain("PIE");
    }
    const r = await tsld(["-arch", "arm64", "-buildmode=c-archive", "-linkmode=internal", "-o", join(dir, "x.a"), obj]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("internal linking requested but external linking required: buildmode=c-archive");
  });
});
