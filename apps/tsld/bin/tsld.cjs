#!/usr/bin/env node
"use strict";
// The `tsld` and `ld64.tsld` commands. Start-up is most of a small link's
// time, so this launcher is CommonJS (no ESM loader to start) and runs the CLI
// bundled into one file, dist/lib/index.cjs, from the V8 code cache that the
// build made after a warm-up link (dist/lib/index.cjs.cache: the SHA-1 of the
// code compiled, then V8's data): what a link runs is neither parsed nor compiled
// again. Without a usable cache (another node version or V8 flags, a bundle
// changed since) the bundle is compiled as usual.
const fs = require("node:fs");
const path = require("node:path");

const bundle = path.join(__dirname, "../dist/lib/index.cjs");
const cacheFile = `${bundle}.cache`;

const head = "(function (exports, require, module, __filename, __dirname) {";

/** Loads the CLI bundle; `useCache: false` compiles it afresh. Returns its exports and the compiled script. */
function load(useCache = true) {
  const vm = require("node:vm");
  const bytes = fs.readFileSync(bundle);
  let cachedData;
  if (useCache) {
    try {
      const c = fs.readFileSync(cacheFile);
      if (c.subarray(0, 20).equals(codeHash(bytes))) cachedData = c.subarray(20);
    } catch {}
  }
  // Node's CommonJS wrapper, on the bundle's first line so positions stay right.
  const script = new vm.Script(`${head}${bytes.toString("utf8")}\n})`, { filename: bundle, cachedData });
  const mod = { exports: {} };
  const req = require("node:module").createRequire(bundle);
  script.runInThisContext()(mod.exports, req, mod, bundle, path.dirname(bundle));
  return { cli: mod.exports, script, cacheRejected: cachedData === undefined || script.cachedDataRejected === true };
}

/** What the cache was made from: the wrapper and the bundle's bytes. */
function codeHash(bytes = fs.readFileSync(bundle)) {
  return require("node:crypto").createHash("sha1").update(head).update(bytes).digest();
}

/**
 * Runs the CLI; `flavor` "ld64" is ld64's command line. Without one, a
 * command invoked as `ld64.tsld` or `ld` (a symlink to this file) is ld64's.
 */
function run(argv, flavor) {
  if (flavor === undefined) {
    const base = path.basename(process.argv[1] ?? "");
    flavor = /^ld64\.|^ld$/.test(base) ? "ld64" : "tsld";
  }
  if (!fs.existsSync(bundle)) {
    process.stderr.write("tsld: the CLI is not built yet; run `pnpm build` in the repository first\n");
    process.exitCode = 2;
    return;
  }
  load()
    .cli.main(argv, undefined, flavor)
    .then((status) => {
      process.exitCode = status;
    });
}

module.exports = { load, run, codeHash, cacheFile };
if (require.main === module) run(process.argv.slice(2));
