/**
 * -buildmode and -linkmode at the command line, per Go's config.go
 * (`BuildMode.Set`, `determineLinkMode`) and internal/platform's
 * darwin/amd64 and darwin/arm64 matrices: bad modes are usage errors with
 * Go's text; c-shared and plugin link internally into MH_DYLIB, -bundle
 * into MH_BUNDLE.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { byArch, compileC, tmp, tsld } from "./helpers.js";
import { headerFlags } from "./plugin-helpers.js";

/** Go's name for the suite's arch. */
const GOARCH = byArch({ x86_64: "amd64", arm64: "arm64" });

const LIB_C = "int answer(void) { return 42; }\nint main(void) { return answer() - 42; }\n";

describe("buildmode validation (CLI)", () => {
  it(`-buildmode=shared is not supported on darwin/${GOARCH}`, async () => {
    const dir = tmp("tsld-bm-");
    const r = await tsld(["-buildmode=shared", "-o", join(dir, "x"), compileC(LIB_C, { name: "bm" })]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`-buildmode=shared not supported on darwin/${GOARCH}`);
    expect(existsSync(join(dir, "x"))).toBe(false);
  });

  it("an unknown buildmode is Go's invalid buildmode error", async () => {
    const r = await tsld(["-buildmode=bogus", "-o", join(tmp("tsld-bm-"), "x"), compileC(LIB_C, { name: "bm" })]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('invalid buildmode: "bogus"');
  });

  it("c-archive with -linkmode=internal needs external linking", async () => {
    const r = await tsld([
      "-buildmode=c-archive",
      "-linkmode=internal",
      "-o",
      join(tmp("tsld-bm-"), "x.a"),
      compileC(LIB_C, { name: "bm" }),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("internal linking requested but external linking required: buildmode=c-archive");
  });

  it("c-shared and plugin link internally to MH_DYLIB; -bundle gives MH_BUNDLE", async () => {
    const dir = tmp("tsld-bm-");
    const obj = compileC(LIB_C, { name: "bm" });
    for (const [mode, extra, type] of [
      ["c-shared", [], "DYLIB"],
      ["plugin", [], "DYLIB"],
      ["plugin", ["-bundle"], "BUNDLE"],
      ["c-shared", ["-bundle"], "BUNDLE"],
    ] as const) {
      const out = join(dir, `${mode}${extra.length ? "-bundle" : ""}`);
      const r = await tsld([`-buildmode=${mode}`, "-linkmode=internal", ...extra, "-o", out, obj]);
      expect(r.stderr, `${mode} ${extra.join(" ")}`).toBe("");
      expect(r.status).toBe(0);
      const { filetype, flags } = headerFlags(out);
      expect(filetype).toBe(type);
      if (mode === "plugin") {
        expect(flags).toContain("BINDATLOAD");
        expect(flags).not.toContain("TWOLEVEL");
      } else {
        expect(flags).toContain("TWOLEVEL");
      }
    }
  });

  it("exe and pie are executables; -bundle and -no_pie are refused where they do not apply", async () => {
    const dir = tmp("tsld-bm-");
    const obj = compileC(LIB_C, { name: "bm" });
    const pie = await tsld(["-buildmode=pie", "-o", join(dir, "pie"), obj]);
    expect(pie.status).toBe(0);
    expect(headerFlags(join(dir, "pie"))).toMatchObject({ filetype: "EXECUTE" });
    expect(headerFlags(join(dir, "pie")).flags).toContain("PIE");
    const b = await tsld(["-bundle", "-o", join(dir, "b"), obj]);
    expect(b.status).toBe(2);
    expect(b.stderr).toContain("-bundle needs -buildmode=c-shared or plugin");
    const np = await tsld(["-buildmode=plugin", "-no_pie", "-o", join(dir, "np"), obj]);
    expect(np.status).toBe(2);
    expect(np.stderr).toContain("-no_pie applies only to -buildmode=exe");
  });
});
