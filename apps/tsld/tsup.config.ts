import { defineConfig } from "tsup";

// The CLI and its @tsld/* workspace packages bundled into one file (node
// builtins stay external), since start-up is most of a small link's time:
//   dist/lib/index.cjs        what `tsld` runs (bin/tsld.cjs)
//   dist/lib/index.js (.d.ts) the same as ESM: the package's API
// scripts/postbuild.cjs then adds dist/index.js and dist/index.d.ts (which
// re-export dist/lib/), dist/data/libSystem.tbd (objfile's built-in TBD, which
// it finds at `../data/` from its module: from dist/lib/ too) and the V8 code
// cache dist/lib/index.cjs.cache.
export default defineConfig({
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
