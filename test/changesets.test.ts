// Versions that reach users: the CLI bundles every stage package, so the
// changesets config releases them together (one "fixed" group): a patch to
// any one of them releases @tsld/cli too. And the first release is 0.1.0.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM script without types
import { publicPackages, root } from "../tools/publish-check.mjs";

const changeset = join(root, "node_modules/.bin/changeset");
const work = mkdtempSync(join(tmpdir(), "tsld-changesets-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Release {
  name: string;
  oldVersion: string;
  newVersion: string;
}

/** A copy of the workspace's manifests and changesets config, with `changesets` as the only pending ones. */
function workspaceCopy(name: string, changesets: Record<string, string>): string {
  const dir = join(work, name);
  mkdirSync(join(dir, ".changeset"), { recursive: true });
  cpSync(join(root, ".changeset/config.json"), join(dir, ".changeset/config.json"));
  cpSync(join(root, "package.json"), join(dir, "package.json"));
  writeFileSync(join(dir, "pnpm-workspace.yaml"), "packages:\n  - packages/*\n  - apps/*\n");
  for (const { dir: d } of publicPackages() as { dir: string }[]) {
    const rel = d.slice(root.length + 1);
    mkdirSync(join(dir, rel), { recursive: true });
    cpSync(join(d, "package.json"), join(dir, rel, "package.json"));
  }
  for (const [file, text] of Object.entries(changesets)) writeFileSync(join(dir, ".changeset", file), text);
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "ignore" });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "x");
  return dir;
}

function releasePlan(dir: string): Map<string, Release> {
  execFileSync(changeset, ["status", "--output", "plan.json"], { cwd: dir, stdio: "ignore" });
  const plan = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as { releases: Release[] };
  return new Map(plan.releases.filter((r) => r.newVersion !== r.oldVersion).map((r) => [r.name, r]));
}

describe("changesets", () => {
  it("a patch to @tsld/dwarf alone releases @tsld/cli (and the rest of the fixed group) too", () => {
    const dir = workspaceCopy("dwarf-patch", {
      "dwarf-fix.md": '---\n"@tsld/dwarf": patch\n---\n\nA DWARF fix.\n',
    });
    const plan = releasePlan(dir);
    expect(plan.get("@tsld/dwarf")?.newVersion).toBe("0.0.1");
    expect(plan.get("@tsld/cli")?.newVersion).toBe("0.0.1");
  });

  it("the pending changesets publish every public package at 0.1.0 first", () => {
    const pending: Record<string, string> = {};
    for (const f of execFileSync("git", ["ls-files", ".changeset"], { cwd: root, encoding: "utf8" }).split("\n"))
      if (f.endsWith(".md") && !f.endsWith("README.md"))
        pending[f.slice(".changeset/".length)] = readFileSync(join(root, f), "utf8");
    const plan = releasePlan(workspaceCopy("pending", pending));
    for (const { name } of publicPackages() as { name: string }[])
      expect(plan.get(name)?.newVersion, name).toBe("0.1.0");
  });

  it("every package in the CLI's bundle is in the fixed group with it", () => {
    const config = JSON.parse(readFileSync(join(root, ".changeset/config.json"), "utf8")) as { fixed: string[][] };
    const cli = JSON.parse(readFileSync(join(root, "apps/tsld/package.json"), "utf8"));
    const bundled = Object.keys(cli.devDependencies).filter(
      (d) => d.startsWith("@tsld/") && !/fixtures|macho-exec/.test(d),
    );
    const group = config.fixed.find((g) => g.includes("@tsld/cli")) ?? [];
    for (const b of bundled) expect(group).toContain(b);
    expect(cli.dependencies ?? {}).toEqual({}); // bundled, so nothing to install at run time
  });
});
