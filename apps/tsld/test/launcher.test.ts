/**
 * The built `tsld` starts from the V8 code cache that the build makes
 * (bin/tsld.cjs, scripts/code-cache.cjs): the cache matches the bundle, so
 * a link neither parses nor compiles the CLI again, and it leaves out the
 * built-in SDK's stub texts (getters compiled on first use), whose size
 * every small link would otherwise pay at start-up. A link that falls back
 * to the built-in SDK still gets them.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { repoRoot } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { compileC, tmp } from "./helpers.js";

const bin = join(repoRoot(), "apps/tsld/bin/tsld.cjs");
const bundle = join(repoRoot(), "apps/tsld/dist/lib/index.cjs");

describe("the tsld launcher", () => {
  it("starts from a code cache that matches the bundle and leaves out the built-in SDK's text", () => {
    expect(existsSync(bundle), "the CLI bundle: run `pnpm build` first").toBe(true);
    const launcher = createRequire(import.meta.url)(bin) as {
      load(): { cacheRejected: boolean };
      cacheFile: string;
    };
    expect(launcher.load().cacheRejected).toBe(false);
    const cache = readFileSync(launcher.cacheFile);
    // A line of the built-in libSystem stub's header (packages/objfile/data/libSystem.tbd).
    expect(readFileSync(bundle, "utf8")).toContain("libsystem_collections");
    expect(cache.includes("libsystem_collections")).toBe(false);
  });

  it("links against the built-in libSystem when no SDK provides one", () => {
    const dir = tmp("tsld-launcher-");
    const o = compileC('#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n', { name: "launcher" });
    const out = join(dir, "a.out");
    const r = spawnSync(process.execPath, [bin, "-v", "-o", out, o], { encoding: "utf8" });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.status).toBe(0);
    expect(readFileSync(out).readUInt32LE(0)).toBe(0xfeedfacf);
  });
});
