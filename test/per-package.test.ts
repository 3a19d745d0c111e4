// Working on one stage: each workspace package's own `pnpm test` (its
// vitest.config.ts) runs exactly that package's tests, from its directory,
// with sources resolved through the @tsld/source condition (no build); and
// the root config still runs every package's tests once.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = join(__dirname, "..");
const dirs = ["packages", "apps", "tools"].flatMap((p) =>
  readdirSync(join(root, p))
    .map((d) => join(root, p, d))
    .filter((d) => existsSync(join(d, "package.json"))),
);

function testFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === "node_modules") continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".test.ts")) out.push(p);
    }
  };
  walk(join(dir, "src"));
  walk(join(dir, "test"));
  return out.map((p) => relative(dir, p)).sort();
}

/** What `vitest list` finds from `cwd` (asynchronously: a blocked worker misses vitest's own heartbeats). */
async function list(cwd: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(join(root, "node_modules/.bin/vitest"), ["list", "--filesOnly"], {
    cwd,
    encoding: "utf8",
  });
  return stdout
    .split("\n")
    .filter((l) => l.endsWith(".test.ts"))
    .sort();
}

describe("per-package tests", () => {
  for (const dir of dirs) {
    const name = relative(root, dir);
    const own = testFiles(dir);
    it.skipIf(own.length === 0)(`${name}: its own vitest config finds exactly its own tests`, async () => {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      expect(pkg.scripts.test).toBe("vitest run");
      expect(existsSync(join(dir, "vitest.config.ts"))).toBe(true);
      expect(await list(dir)).toEqual(own);
    });
  }

  it("the root config runs every package's tests once", async () => {
    const all = dirs.flatMap((d) => testFiles(d).map((f) => relative(root, join(d, f))));
    const listed = await list(root);
    for (const f of all) expect(listed).toContain(f);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it("one stage builds and typechecks on its own: other @tsld packages from source, external in the output", async () => {
    const dir = join(root, "packages/dwarf");
    const out = mkdtempSync(join(tmpdir(), "tsld-dwarf-build-"));
    try {
      const run = promisify(execFile);
      await run(join(dir, "node_modules/.bin/tsup"), ["--out-dir", out], { cwd: dir });
      expect(readdirSync(out).sort()).toEqual(["index.cjs", "index.d.cts", "index.d.ts", "index.js"]);
      expect(readFileSync(join(out, "index.cjs"), "utf8")).toContain('require("@tsld/core")');
      expect(readFileSync(join(out, "index.js"), "utf8")).toMatch(/from "@tsld\/core"/);
      expect(readFileSync(join(out, "index.d.ts"), "utf8")).toMatch(/from '@tsld\/core'/);
      await run(join(dir, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], { cwd: dir });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);

  it("every package has build (libraries), typecheck, test and lint scripts", () => {
    for (const dir of dirs) {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      for (const s of ["typecheck", "test", "lint"])
        expect(pkg.scripts?.[s], `${relative(root, dir)} ${s}`).toBeTruthy();
      if (!pkg.private) expect(pkg.scripts.build).toMatch(/^tsup/);
    }
  });

  it("a stage's dependencies are exactly the @tsld packages its source imports", () => {
    for (const dir of dirs.filter((d) => d.includes("/packages/"))) {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      const imported = new Set<string>();
      const walk = (d: string) => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          const p = join(d, e.name);
          if (e.isDirectory()) walk(p);
          else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts"))
            for (const m of readFileSync(p, "utf8").matchAll(/from "(@tsld\/[a-z-]+)"/g)) imported.add(m[1]!);
        }
      };
      walk(join(dir, "src"));
      const declared = Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith("@tsld/"));
      expect(declared.sort(), pkg.name).toEqual([...imported].sort());
    }
  });
});
