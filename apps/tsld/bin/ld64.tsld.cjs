#!/usr/bin/env node
"use strict";
// The `ld64.tsld` command: tsld with ld64's command line, for clang
// (`--ld-path=…/ld64.tsld`), Go's external link and build systems. The same
// launcher as bin/tsld.cjs (bundle and V8 code cache), another flavor.
require("./tsld.cjs").run(process.argv.slice(2), "ld64");
