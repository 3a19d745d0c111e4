// An executable ld64.tsld for clients that run a linker by path (clang's
// --ld-path, Go's -extld): this worktree's source bundled with esbuild into a
// temporary directory. The built-in SDK's stubs are embedded in the bundle
// (packages/objfile/src/builtin-libsystem.ts), as in the built package.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { repoRoot } from "@tsld/fixtures";

/** Bundles src/index.ts (ld64 flavor) into DIR/lib/ld64.mjs and writes a launcher DIR/bin/ld64.tsld; returns the launcher's path. */
export async function bundleLd64(dir: string): Promise<string> {
  const req = createRequire(createRequire(import.meta.url).resolve("tsup"));
  // esbuild comes with tsup (a dev dependency); only build() is used.
  const esbuild = req("esbuild") as {
    build(o: Record<string, unknown>): Promise<unknown>;
  };
  const root = repoRoot();
  mkdirSync(join(dir, "bin"), { recursive: true });
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
    // The version the -v line names, fixed at build time as the package build fixes it.
    define: {
      __TSLD_VERSION__: JSON.stringify(
        (JSON.parse(readFileSync(join(root, "apps/tsld/package.json"), "utf8")) as { version: string }).version,
      ),
    },
    logLevel: "error",
  });
  const bin = join(dir, "bin", "ld64.tsld");
  writeFileSync(
    bin,
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(dir, "lib", "ld64.mjs"))} "$@"\n`,
  );
  chmodSync(bin, 0o755);
  return bin;
}
