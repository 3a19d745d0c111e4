// An executable ld64.tsld for clients that run a linker by path (clang's
// --ld-path, Go's -extld): this worktree's source bundled with esbuild into a
// temporary directory, with the built-in SDK beside it, as the built package
// lays them out.
import { chmodSync, copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { repoRoot } from "@tsld/fixtures";

/** Bundles src/index.ts (ld64 flavor) into DIR/lib/ld64.mjs, with the built-in TBD at DIR/data, and a launcher DIR/bin/ld64.tsld. */
export async function bundleLd64(dir: string): Promise<string> {
  const req = createRequire(createRequire(import.meta.url).resolve("tsup"));
  // esbuild comes with tsup (a dev dependency); only build() is used.
  const esbuild = req("esbuild") as {
    build(o: Record<string, unknown>): Promise<unknown>;
  };
  const root = repoRoot();
  mkdirSync(join(dir, "bin"), { recursive: true });
  mkdirSync(join(dir, "data"), { recursive: true });
  const entry = join(dir, "entry.ts");
  writeFileSync(
    entry,
    `import { main } from ${JSON.stringify(join(root, "apps/tsld/src/index.ts"))};
main(process.argv.slice(2), undefined, "ld64").then((s) => { process.exitCode = s; });\n`,
  );
  await esbuild.build({
    entryPoints: [entry],
    outfile: join(dir, "lib", "ld64.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    conditions: ["@tsld/source"],
    logLevel: "error",
  });
  const sdk = join(root, "packages/objfile/data");
  for (const f of readdirSync(sdk)) if (f.endsWith(".tbd")) copyFileSync(join(sdk, f), join(dir, "data", f));
  const bin = join(dir, "bin", "ld64.tsld");
  writeFileSync(
    bin,
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(dir, "lib", "ld64.mjs"))} "$@"\n`,
  );
  chmodSync(bin, 0o755);
  return bin;
}
