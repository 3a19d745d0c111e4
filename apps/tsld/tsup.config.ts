import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

// The CLI and its @tsld/* workspace packages bundled into one file (node
// builtins stay external), since start-up is most of a small link's time:
//   dist/lib/index.cjs        what `tsld` runs (bin/tsld.cjs)
//   dist/lib/index.js (.d.ts) the same as ESM: the package's API
//   dist/lib/index.d.cts      its CommonJS types
// objfile's built-in libSystem TBD is embedded as a string, so it is bundled
// too. scripts/postbuild.cjs then adds the V8 code cache dist/lib/index.cjs.cache.
const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as { version: string };

export default defineConfig({
  define: { __TSLD_VERSION__: JSON.stringify(version) },
  entry: { "lib/index": "src/index.ts" },
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  target: "node20",
  platform: "node",
  noExternal: [/^@tsld\//],
  shims: true, // import.meta.url in the CommonJS bundle
  removeNodeProtocol: false,
});
