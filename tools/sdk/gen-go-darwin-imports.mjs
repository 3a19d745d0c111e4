#!/usr/bin/env node
// The names Go's darwin programs import from libSystem, CoreFoundation and
// Security: every `//go:cgo_import_dynamic LOCAL REMOTE "LIBRARY"` directive
// in GOROOT/src's darwin files (runtime, syscall, os, internal/…,
// crypto/x509/internal/macos, net, …) of the Go toolchain given (`go env
// GOROOT`; the project uses Debian's golang-go 1.19). Only the darwin files
// are read (file names with `darwin`, or a `//go:build darwin` line).
//
// tools/sdk/gen-sdk.mjs imports goDarwinImports() so the built-in SDK has
// every one of these names (Go's external link through ld64.tsld needs no
// `-undefined` escape). Run as a script, it checks the built-in TBDs in
// packages/objfile/data against the imports and lists any that are missing
// (exit 1 if one is).
// Usage: node tools/sdk/gen-go-darwin-imports.mjs [GOROOT]
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const LIBS = {
  "/usr/lib/libSystem.B.dylib": "libSystem",
  "/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation": "CoreFoundation",
  "/System/Library/Frameworks/Security.framework/Versions/A/Security": "Security",
};

/**
 * Go's darwin imports: `{ version, names: { libSystem, CoreFoundation,
 * Security } (Sets of Mach-O names), paths (GOROOT-relative, sorted) }`.
 */
export function goDarwinImports(goroot) {
  const version = readFileSync(join(goroot, "VERSION"), "utf8").split("\n")[0];
  const names = { libSystem: new Set(), CoreFoundation: new Set(), Security: new Set() };
  const paths = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir).sort()) {
      const p = join(dir, e);
      if (e === "testdata" || e === "vendor") continue;
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (e.endsWith(".go") || e.endsWith(".s")) scan(p, e);
    }
  };
  const scan = (path, base) => {
    const text = readFileSync(path, "utf8");
    if (!text.includes("cgo_import_dynamic")) return;
    const darwin = /darwin/.test(base) || /^\/\/go:build .*\bdarwin\b/m.test(text) || /macos/.test(path);
    if (!darwin) return;
    let used = false;
    for (const m of text.matchAll(/^\/\/go:cgo_import_dynamic\s+\S+\s+(\S+)\s+"([^"]+)"/gm)) {
      const lib = LIBS[m[2]];
      if (lib) {
        names[lib].add(`_${m[1]}`);
        used = true;
      }
    }
    if (used) paths.push(relative(goroot, path).split(sep).join("/"));
  };
  walk(join(goroot, "src"));
  return { version, names, paths: paths.sort() };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const here = dirname(fileURLToPath(import.meta.url));
  const data = join(here, "../../packages/objfile/data");
  const goroot = process.argv[2] ?? execFileSync("go", ["env", "GOROOT"], { encoding: "utf8" }).trim();
  const { version, names } = goDarwinImports(goroot);
  let missing = 0;
  for (const [lib, set] of Object.entries(names)) {
    const tbd = readFileSync(join(data, `${lib}.tbd`), "utf8");
    const have = new Set([...tbd.matchAll(/'?([_A-Za-z][\w$.]*)'?/g)].map((m) => m[1]));
    const gone = [...set].filter((n) => !have.has(n)).sort();
    missing += gone.length;
    console.log(
      `${lib}: ${set.size} names imported by ${version}; ${gone.length} missing${gone.length ? `: ${gone.join(" ")}` : ""}`,
    );
  }
  process.exit(missing ? 1 : 0);
}
