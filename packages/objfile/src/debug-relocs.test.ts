// Relocations of debug sections are decoded only when something copies the
// DWARF out: Go-style __DWARF (`debugInfo: "dwarf"`) and `-r`. With a STABS
// debug map (ld64.tsld) or none, the DWARF stays in the objects, unread.
import { spawnSync } from "node:child_process";
import { LinkContext, defaultOptions } from "@tsld/core";
import { compileC } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { loadObjects } from "./load.js";

const hasClang = spawnSync("clang-19", ["--version"]).status === 0;

/** Relocation rows per section name after loadObjects with `extra` options. */
function rows(obj: string, extra: Parameters<typeof defaultOptions>[0]): Map<string, number> {
  const ctx = new LinkContext(defaultOptions({ inputs: [obj], entry: "", ...extra }));
  loadObjects(ctx);
  ctx.diag.checkpoint();
  const S = ctx.sections;
  const out = new Map<string, number>();
  for (let sid = 0; sid < S.count; sid++) {
    const n = S.relocEnd[sid]! - S.relocStart[sid]!;
    out.set(S.sectnames[sid]!, (out.get(S.sectnames[sid]!) ?? 0) + n);
  }
  return out;
}

describe.skipIf(!hasClang)("debug-section relocations", () => {
  const obj = compileC(
    `extern int printf(const char *, ...);
int counter = 3;
int bump(int x) { counter += x; return counter; }
int main(void) { printf("%d\\n", bump(4)); return 0; }
`,
    { name: "debug-relocs", cflags: ["-g"] },
  );

  it("are decoded for Go-style __DWARF and for -r", () => {
    for (const extra of [{ debugInfo: "dwarf" as const }, { debugInfo: "stabs" as const, relocatable: true }]) {
      const r = rows(obj, extra);
      expect(r.get("__debug_info") ?? 0, JSON.stringify(extra)).toBeGreaterThan(0);
      expect(r.get("__text") ?? 0).toBeGreaterThan(0);
    }
  });

  it("are not decoded with a STABS debug map or no debug info; code relocations are", () => {
    for (const debugInfo of ["stabs", "none"] as const) {
      const r = rows(obj, { debugInfo });
      expect(r.get("__debug_info") ?? 0, debugInfo).toBe(0);
      expect(r.get("__debug_line") ?? 0, debugInfo).toBe(0);
      expect(r.get("__text") ?? 0).toBeGreaterThan(0);
    }
  });
});
