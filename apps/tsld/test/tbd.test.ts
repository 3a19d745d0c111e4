// Text-based dylib stubs as link inputs: TBD v3, v4 (multi-document, with
// re-exports), v5 JSON, and the built-in libSystem used when no -L finds one.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { requireTool } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { ARCH, compileC, linkBoth, runMachO, tmp, tsld } from "./helpers.js";

/** The arch the suite does not run for: a TBD's exports for it are not this link's. */
const OTHER = ARCH === "x86_64" ? "arm64" : "x86_64";

const prog = (): string =>
  compileC(
    `#include <stdio.h>
int main(void) { puts("hello through a TBD"); printf("%d\\n", 6 * 7); return 0; }`,
    { name: "tbdmain" },
  );

const V3 = `--- !tapi-tbd-v3
archs:           [ ${ARCH} ]
platform:        macosx
install-name:    /usr/lib/libSystem.B.dylib
current-version: 1311
exports:
  - archs:           [ ${ARCH} ]
    symbols:         [ _puts, _printf, dyld_stub_binder ]
...
`;

const V4 = `--- !tapi-tbd
tbd-version:     4
targets:         [ x86_64-macos, arm64-macos ]
install-name:    '/usr/lib/libSystem.B.dylib'
current-version: 1311
reexported-libraries:
  - targets:         [ x86_64-macos, arm64-macos ]
    libraries:       [ '/usr/lib/system/libsystem_c.dylib', '/usr/lib/system/libdyld.dylib' ]
exports:
  - targets:         [ ${OTHER}-macos ]
    symbols:         [ _other_arch_only ]
--- !tapi-tbd
tbd-version:     4
targets:         [ x86_64-macos, arm64-macos ]
install-name:    '/usr/lib/system/libsystem_c.dylib'
exports:
  - targets:         [ x86_64-macos, arm64-macos ]
    symbols:         [ _puts, _printf ]
--- !tapi-tbd
tbd-version:     4
targets:         [ x86_64-macos, arm64-macos ]
install-name:    '/usr/lib/system/libdyld.dylib'
exports:
  - targets:         [ x86_64-macos, arm64-macos ]
    symbols:         [ dyld_stub_binder ]
...
`;

const V5 = JSON.stringify(
  {
    tapi_tbd_version: 5,
    main_library: {
      target_info: [{ target: `${ARCH}-macos`, min_deployment: "11.0" }],
      install_names: [{ name: "/usr/lib/libSystem.B.dylib" }],
      current_versions: [{ version: "1311" }],
      exported_symbols: [{ text: { global: ["_puts", "_printf", "dyld_stub_binder"] } }],
    },
  },
  null,
  2,
);

function dylibsUsed(path: string): string {
  const r = spawnSync(requireTool("llvm-objdump-19"), ["--macho", "--dylibs-used", path], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  return r.stdout;
}

async function linkAgainst(text: string, name: string): Promise<string> {
  const dir = tmp();
  const tbd = join(dir, "libSystem.tbd");
  writeFileSync(tbd, text);
  const out = join(dir, name);
  const r = await tsld(["-o", out, prog(), tbd], { hostLibSystem: false });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return out;
}

describe("TBD inputs", () => {
  let want: Promise<string> | undefined;
  const expected = (): Promise<string> =>
    (want ??= linkBoth(tmp(), "tbd", [prog()]).then(({ theirs }) => runMachO(theirs).stdout));

  it.each([
    ["v3", V3],
    ["v4 with re-exports", V4],
    ["v5 JSON", V5],
  ])("links against a %s TBD and binds to libSystem", async (label, text) => {
    const out = await linkAgainst(text, label.replace(/\W+/g, "_"));
    const used = dylibsUsed(out);
    expect(used).toContain("/usr/lib/libSystem.B.dylib");
    // re-exported libraries bind through the umbrella, never load directly
    expect(used).not.toContain("libsystem_c");
    const got = runMachO(out);
    expect(got.stdout).toBe("hello through a TBD\n42\n");
    expect(got.stdout).toBe(await expected());
    expect(got.status).toBe(0);
  });

  it(`does not take an export for the other arch (${OTHER}) from a TBD`, async () => {
    const dir = tmp();
    const tbd = join(dir, "libSystem.tbd");
    writeFileSync(tbd, V4);
    const obj = compileC(`extern int other_arch_only(void); int main(void) { return other_arch_only(); }`, {
      name: "otherarchonly",
    });
    const r = await tsld(["-o", join(dir, "x"), obj, tbd], { hostLibSystem: false });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/undefined symbol: _other_arch_only/);
  });

  it("falls back to the built-in libSystem without -L", async () => {
    const out = join(tmp(), "builtin");
    const r = await tsld(["-o", out, prog()], { hostLibSystem: false });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(dylibsUsed(out)).toContain("/usr/lib/libSystem.B.dylib");
    const got = runMachO(out);
    expect(got.stdout).toBe(await expected());
    // and -no_builtin_libsystem turns the fallback off
    const r2 = await tsld(["-no_builtin_libsystem", "-o", `${out}2`, prog()], { hostLibSystem: false });
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/library not found for -lSystem/);
  });
});
