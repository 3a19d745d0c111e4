"use strict";
// After tsup (the package's build script): the built-in framework stubs the
// bundle reads from dist/data (libSystem's TBD is embedded in the bundle), and
// the V8 code cache dist/lib/index.cjs.cache that bin/tsld.cjs starts from.
// See tsup.config.ts.
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const dist = path.join(root, "dist");
fs.mkdirSync(path.join(dist, "data"), { recursive: true });
// objfile's built-in framework stubs (CoreFoundation, Security, …).
const sdk = path.join(root, "../../packages/objfile/data");
for (const f of fs.readdirSync(sdk))
  if (f.endsWith(".tbd") && f !== "libSystem.tbd") fs.copyFileSync(path.join(sdk, f), path.join(dist, "data", f));
// The code cache is made by a fresh node (this one), without NODE_OPTIONS:
// V8 takes it only under the same version and flags as made it.
const env = { ...process.env };
delete env.NODE_OPTIONS;
execFileSync(process.execPath, [path.join(__dirname, "code-cache.cjs")], { stdio: "inherit", env });
