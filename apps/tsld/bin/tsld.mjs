#!/usr/bin/env node
// `node bin/tsld.mjs …`: the same command as the package's bin, bin/tsld.cjs.
import { createRequire } from "node:module";

createRequire(import.meta.url)("./tsld.cjs").run(process.argv.slice(2));
