// ld64.tsld as real clients call it: clang-19 with --ld-path (an executable
// hello, a -dynamiclib with -install_name and versions), and Debian zlib
// built by its own `./configure && make` for CHOST=x86_64-apple-darwin, so it
// picks its Darwin link lines; its example/minigzip, static and shared, run
// under the loader. The ld64.tsld the clients run is this worktree's source
// (ld64-bin.ts).
import { execFile, spawnSync } from "node:child_process";
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fetchDebianSource, libSystemTbdDir, repoRoot, requireTool, run } from "@tsld/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { buildLoader } from "@tsld/macho-exec";
import { runMachO, tmp } from "./helpers.js";
import { bundleLd64 } from "./ld64-bin.js";

let ld64Path = "";
let cc = "";

beforeAll(async () => {
  ld64Path = await bundleLd64(tmp("ld64-bin-"));
  const wrapper = join(repoRoot(), "tools", "ld64-clients", "darwin-clang");
  requireTool("clang-19");
  cc = `${wrapper} -target x86_64-apple-macos11 -L${libSystemTbdDir()} --ld-path=${ld64Path}`;
}, 120_000);

/** Runs a shell command without blocking the event loop (make takes minutes); its stdout, or an error with both streams. */
function sh(cmd: string, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "bash",
      ["-c", cmd],
      { cwd, env: { ...process.env, CHOST: "x86_64-apple-darwin" }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => (err ? reject(new Error(`${cmd}\n${stdout}\n${stderr}`)) : resolve(stdout)),
    );
  });
}
const objdump = (...args: string[]): string => run(requireTool("llvm-objdump-19"), ["--macho", ...args]);

describe("clang-19 --ld-path=ld64.tsld", () => {
  it("the executable's -v prints ld64's version line naming tsld's version (what build systems probe)", async () => {
    const r = spawnSync(ld64Path, ["-v"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^@\(#\)PROGRAM:ld {2}PROJECT:ld64-\d+(\.\d+)* \(tsld \d+\.\d+\.\d+[^)]*\)/);
  });

  it("links an executable and a -dynamiclib with -install_name and versions; both run", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "lib.c"), "int twice(int x) { return 2 * x; }\nint counter = 5;\n");
    writeFileSync(
      join(dir, "main.c"),
      `#include <stdio.h>\nextern int twice(int);\nextern int counter;\nint main(void) { printf("%d %d\\n", twice(21), counter); return 0; }\n`,
    );
    await sh(
      `${cc} -dynamiclib -install_name @rpath/libtw.1.dylib -compatibility_version 1.0 -current_version 1.2.13 lib.c -o libtw.1.dylib && ln -sf libtw.1.dylib libtw.dylib`,
      dir,
    );
    await sh(`${cc} main.c -L. -ltw -Wl,-rpath,@executable_path -o main`, dir);
    expect(objdump("--dylib-id", join(dir, "libtw.1.dylib"))).toContain("@rpath/libtw.1.dylib");
    expect(objdump("--dylibs-used", join(dir, "main"))).toContain(
      "@rpath/libtw.1.dylib (compatibility version 1.0.0, current version 1.2.13)",
    );
    const r = runMachO(join(dir, "main"));
    expect(r.stdout).toBe("42 5\n");
    expect(r.status).toBe(0);
  });
});

describe("Debian zlib: ./configure && make with CHOST=x86_64-apple-darwin", () => {
  it("builds libz.a and libz.dylib with its Darwin flags; example and minigzip run, static and shared", async () => {
    const dir = join(tmp(), "zlib");
    cpSync(fetchDebianSource("zlib"), dir, { recursive: true });
    // --libdir: the dylib's install name is where it is built, so the loader finds it.
    await sh(`CC="${cc}" ./configure --libdir="${dir}"`, dir);
    await sh("make AR=llvm-ar-19 ARFLAGS=rc RANLIB=llvm-ranlib-19 all", dir);
    // Its Darwin rule: -dynamiclib -install_name $libdir/libz.1.dylib -compatibility_version 1 -current_version 1.2.13.
    expect(objdump("--dylib-id", join(dir, "libz.1.2.13.dylib"))).toContain(join(dir, "libz.1.dylib"));
    expect(objdump("--dylibs-used", join(dir, "examplesh"))).toContain(
      `${join(dir, "libz.1.dylib")} (compatibility version 1.0.0, current version 1.2.13)`,
    );
    for (const prog of ["example", "examplesh"]) {
      const r = runMachO(join(dir, prog), [], { cwd: dir });
      expect(r.stdout).toContain("inflate with dictionary: hello, hello!");
      expect(r.status).toBe(0);
    }
    // zlib's own tests (minigzip round trip, example), each program under the loader.
    const make = await sh(
      `make AR=llvm-ar-19 ARFLAGS=rc RANLIB=llvm-ranlib-19 QEMU_RUN=${buildLoader()} teststatic testshared`,
      dir,
    );
    expect(make).toContain("*** zlib test OK ***");
    expect(make).toContain("*** zlib shared test OK ***");
  }, 600_000);
});
