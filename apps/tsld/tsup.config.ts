import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

// The CLI and its @tsld/* workspace packages bundled into one file (node
// builtins stay external), since start-up is most of a small link's time:
//   dist/lib/index.cjs        what `tsld` runs (bin/tsld.cjs)
//   dist/lib/index.js (.d.ts) the same as ESM: the package's API
//   dist/lib/index.d.cts      its CommonJS types
//   dist/lib/worker.cjs (.js) the worker threads' entry (src/worker.ts), beside
//                             the CLI, which starts it from there
// objfile's built-in libSystem TBD is embedded as a string, so it is bundled
// too. scripts/postbuild.cjs then adds the V8 code cache dist/lib/index.cjs.cache.
const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as { version: string };

export default defineConfig({
  define: { __TSLD_VERSION__: JSON.stringify(version) },
  entry: { "lib/index": "src/index.ts", "lib/worker": "src/worker.ts" },
  format: ["esm", "cjs"],
  dts: { entry: { "lib/index": "src/index.ts" } },
  // Each entry one file (the worker loads only what its tasks need).
  splitting: false,
  clean: true,
  target: "node20",
  platform: "node",
  noExternal: [/^@tsld\//],
  shims: true, // import.meta.url in the CommonJS bundle
  removeNodeProtocol: false,
});
