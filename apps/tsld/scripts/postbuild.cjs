"use strict";
// After tsup (the package's build script): the V8 code cache
// dist/lib/index.cjs.cache that bin/tsld.cjs starts from (the built-in SDK's
// stubs are embedded in the bundle). See tsup.config.ts.
const { execFileSync } = require("node:child_process");
const path = require("node:path");

// The code cache is made by a fresh node (this one), without NODE_OPTIONS:
// V8 takes it only under the same version and flags as made it.
const env = { ...process.env };
delete env.NODE_OPTIONS;
execFileSync(process.execPath, [path.join(__dirname, "code-cache.cjs")], { stdio: "inherit", env });
