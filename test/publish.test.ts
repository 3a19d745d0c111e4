// The publish dry run (tools/publish-check.mjs) as a test: every public
// package packs with README and LICENSE, passes publint and attw, installs
// from its tarball into an empty npm project offline, and its README's
// examples (ESM and CommonJS) run there unchanged. And the check itself
// fails on a broken package.
import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM script without types
import { checkContents, publicPackages, publishCheck, root, runAttw, runPublint } from "../tools/publish-check.mjs";

const work = mkdtempSync(join(tmpdir(), "tsld-publish-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("publish dry run", () => {
  it("every public package packs, lints clean and runs its README examples from the tarball", async () => {
    const { problems, tarballs } = await publishCheck({ work: join(work, "all") });
    expect(problems).toEqual([]);
    expect([...tarballs.keys()].sort()).toEqual([
      "@tsld/cli",
      "@tsld/core",
      "@tsld/dwarf",
      "@tsld/hostlink",
      "@tsld/layout",
      "@tsld/macho",
      "@tsld/macho-format",
      "@tsld/objfile",
    ]);
  }, 900_000);

  it("fails on a broken package: entry points not packed, no LICENSE, workspace ranges", async () => {
    const dir = join(work, "broken");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({
        name: "broken-pkg",
        version: "1.0.0",
        type: "module",
        main: "./dist/missing.cjs",
        exports: { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" } },
        dependencies: { "@tsld/core": "workspace:^" },
      }),
    );
    writeFileSync(join(dir, "README.md"), "# broken\n");
    // ESM only, undeclared: CommonJS consumers get ESM (attw's CJSResolvesToESM).
    mkdirSync(join(dir, "dist"));
    writeFileSync(join(dir, "dist/index.js"), "export const a = 1;\n");
    writeFileSync(join(dir, "dist/index.d.ts"), "export declare const a: number;\n");
    await promisify(execFile)("npm", ["pack", "--pack-destination", dir], { cwd: dir });
    const tgz = join(dir, "broken-pkg-1.0.0.tgz");
    const { problems } = checkContents(tgz);
    expect(problems).toEqual(
      expect.arrayContaining([
        "missing LICENSE",
        "entry point dist/missing.cjs is not in the tarball",
        "dependencies.@tsld/core is workspace:^",
      ]),
    );
    expect((await runPublint(tgz)).join("\n")).toMatch(/missing\.cjs/);
    expect(await runAttw(tgz)).not.toBe("");
  }, 120_000);

  it("prepack refuses to pack a package whose build leaves no dist/", () => {
    const dir = join(work, "nodist");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name: "nodist", version: "1.0.0", main: "./dist/index.js", scripts: { build: "true" } }),
    );
    const r = spawnSync(process.execPath, [join(root, "tools/prepack.mjs")], { cwd: dir, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/refusing to pack without \.\/dist\/index\.js/);
  });

  it("every package names the real repository, homepage, bugs and keywords, and ships the root LICENSE", () => {
    const license = readFileSync(join(root, "LICENSE"), "utf8");
    expect(license).toMatch(/^BSD 3-Clause License\n\nCopyright \(c\) 2026 The tsld Authors\n/);
    for (const { dir, pkg } of publicPackages()) {
      expect(pkg.license).toBe("BSD-3-Clause");
      expect(pkg.repository).toEqual({
        type: "git",
        url: "git+https://github.com/tsld-project/tsld.git",
        directory: dir.slice(root.length + 1),
      });
      expect(pkg.homepage).toMatch(/^https:\/\/github\.com\/tsld-project\/tsld\/tree\/main\//);
      expect(pkg.bugs).toEqual({ url: "https://github.com/tsld-project/tsld/issues" });
      expect(pkg.keywords).toEqual(expect.arrayContaining(["mach-o", "linker"]));
      expect(pkg.scripts.prepack).toBe("node ../../tools/prepack.mjs");
      expect(readFileSync(join(dir, "LICENSE"), "utf8")).toBe(license);
      const readme = readFileSync(join(dir, "README.md"), "utf8");
      for (const h of ["## Example", "## API in brief", "## Errors"]) expect(readme).toContain(h);
    }
  });
});
