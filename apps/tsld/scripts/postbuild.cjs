"use strict";
// After tsup (the package's build script): the rest of dist/. See tsup.config.ts.
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const dist = path.join(root, "dist");
fs.writeFileSync(path.join(dist, "index.js"), 'export * from "./lib/index.js";\n');
fs.writeFileSync(path.join(dist, "index.d.ts"), 'export * from "./lib/index.js";\n');
fs.mkdirSync(path.join(dist, "data"), { recursive: true });
// objfile's built-in SDK: libSystem and the framework stubs.
const sdk = path.join(root, "../../packages/objfile/data");
for (const f of fs.readdirSync(sdk))
  if (f.endsWith(".tbd")) fs.copyFileSync(path.join(sdk, f), path.join(dist, "data", f));
// The code cache is made by a fresh node (this one), without NODE_OPTIONS:
// V8 takes it only under the same version and flags as made it.
const env = { ...process.env };
delete env.NODE_OPTIONS;
execFileSync(process.execPath, [path.join(__dirname, "code-cache.cjs")], { stdio: "inherit", env });
