"use strict";
// Build step (scripts/postbuild.cjs): writes dist/lib/index.cjs.cache, the V8 code
// cache bin/tsld.cjs starts the CLI from. The bundle is compiled and run on
// the repository's example objects first (when present; --help otherwise),
// so the cache holds every function a small link runs, not just the top level.
// The warm-up links against a small libSystem stub of its own, not the
// built-in SDK: the built-in stubs' texts are getters (objfile's
// builtin-libsystem.ts) that stay uncompiled, and out of the cache, until a
// link uses them.
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { load, codeHash, cacheFile } = require("../bin/tsld.cjs");

/** What the example needs from libSystem, as a TBD (tbd-v4). */
const LIBSYSTEM_STUB = `--- !tapi-tbd
tbd-version:     4
targets:         [ x86_64-macos, arm64-macos ]
install-name:    '/usr/lib/libSystem.B.dylib'
current-version: 1311
exports:
  - targets:         [ x86_64-macos, arm64-macos ]
    symbols:         [ __tlv_bootstrap, _printf, _strlen, dyld_stub_binder ]
...
`;

async function main() {
  const { cli, script } = load(false);
  const quiet = { stdout() {}, stderr() {} };
  const hello = path.join(__dirname, "../../../examples/hello");
  const objs = ["main.o", "greet.o"].map((f) => path.join(hello, f));
  await cli.main(["--help"], quiet);
  if (objs.every((f) => fs.existsSync(f))) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsld-cache-"));
    fs.writeFileSync(path.join(tmp, "libSystem.tbd"), LIBSYSTEM_STUB);
    try {
      for (let i = 0; i < 2; i++) {
        const status = await cli.main(["-o", path.join(tmp, "a.out"), "-L", tmp, ...objs], quiet);
        if (status !== 0) {
          process.stderr.write(`code-cache: the warm-up link exited ${status}; the cache covers less\n`);
          break;
        }
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  fs.writeFileSync(cacheFile, Buffer.concat([codeHash(), script.createCachedData()]));
}

main().catch((e) => {
  process.stderr.write(`code-cache: ${e.stack}\n`);
  process.exitCode = 1;
});
