// Go 1.19 (Debian's golang-go) building a -buildmode=plugin package with cgo
// for GOOS=darwin GOARCH=amd64: its CC is tools/ld64-clients/darwin-clang
// (the two-step glibc-header recipe, preambles fed on stdin included), and
// the external link runs through that CC with --ld-path=ld64.tsld (Go's
// argv: -dynamiclib, -flat_namespace, -bind_at_load, -headerpad 1144; then
// Go's own dsymutil/strip/DWARF-combining pass over the image, which follows
// ld64.tsld's debug map). Darwin Go cannot run here, so the plugin is checked
// as Go's runtime reads it: its local.moduledata (tools/fixtures
// go-moduledata.ts). The same objects linked by ld64.lld-19 pass the checker
// too.
import { copyFileSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import {
  checkGoImage,
  goDarwinBuild,
  libSystemTbdDir,
  lldBaseArgs,
  moduledataFieldOffset,
  repoRoot,
  requireTool,
  runAsync,
  writeGoModule,
} from "@tsld/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { tmp } from "./helpers.js";
import { bundleLd64 } from "./ld64-bin.js";

const PLUGIN_GO = `package main

/*
#include <stdlib.h>
#include <string.h>

static int add(int a, int b) { return a + b; }
static size_t clen(const char *s) { return strlen(s); }
*/
import "C"

import (
	"fmt"
	"unsafe"
)

var Counter = 7

func Add(a, b int) int { return int(C.add(C.int(a), C.int(b))) }

func Describe(s string) string {
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	return fmt.Sprintf("%s has %d bytes", s, int(C.clen(cs)))
}

func main() {}
`;

let dir = "";
let plugin = "";
let linktmp = "";
let sdk = "";

beforeAll(async () => {
  const ld64 = await bundleLd64(tmp("ld64-bin-"));
  dir = tmp("go-plugin-cgo-");
  writeGoModule(dir, "example.com/plug", { "plug.go": PLUGIN_GO });
  linktmp = join(dir, "linktmp");
  mkdirSync(linktmp);
  plugin = join(dir, "plug.so");
  // The glibc-header objects name glibc's symbols: the host-glibc libSystem
  // has them. Go's runtime imports (mach_*, kqueue, …) come with the -lpthread
  // runtime/cgo asks for: a libpthread.tbd beside it that is tsld's built-in
  // libSystem. Both linkers get this directory.
  sdk = join(dir, "sdk");
  mkdirSync(sdk);
  copyFileSync(join(libSystemTbdDir(), "libSystem.tbd"), join(sdk, "libSystem.tbd"));
  copyFileSync(join(repoRoot(), "packages/objfile/data/libSystem.tbd"), join(sdk, "libpthread.tbd"));
  const ldflags = `-L${sdk} --ld-path=${ld64}`;
  await goDarwinBuild({
    dir,
    args: ["-buildmode=plugin", "-o", plugin, `-ldflags=-tmpdir=${linktmp} "-extldflags=${ldflags}"`, "."],
    cgo: { cc: `${join(repoRoot(), "tools", "ld64-clients", "darwin-clang")} -target x86_64-apple-macos11`, ldflags },
  });
}, 900_000);

describe("Go 1.19 -buildmode=plugin with cgo through ld64.tsld", () => {
  it("the plugin reads as Go's runtime reads it: local.moduledata matches its markers and functab", () => {
    const r = checkGoImage(plugin);
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.moduledata).toBe("local.moduledata");
    expect(r.functions.matched).toBeGreaterThan(1000);
  });

  it("the checker fails on the plugin with one local.moduledata field changed", () => {
    const bad = Buffer.from(readFileSync(plugin));
    const off = moduledataFieldOffset(bad, "edata");
    bad.writeBigUInt64LE(bad.readBigUInt64LE(off) + 16n, off);
    const r = checkGoImage(bad);
    expect(r.ok).toBe(false);
    expect(r.errors.join("\n")).toContain("moduledata.edata");
  });

  it("ld64.lld-19's link of the same objects passes the checker too", async () => {
    // Go's hostlink inputs: go.o, then the cgo objects it wrote as 000000.o, 000001.o, …
    const cgo = readdirSync(linktmp)
      .filter((f) => /^\d{6}\.o$/.test(f))
      .sort();
    const objects = ["go.o", ...cgo].map((f) => join(linktmp, f));
    expect(objects.length).toBeGreaterThan(2);
    const out = join(dir, "plug.lld");
    await runAsync(requireTool("ld64.lld-19"), [
      ...lldBaseArgs(out),
      ...["-headerpad", "1144", "-flat_namespace", "-dylib"],
      ...objects,
      `-L${sdk}`,
      "-lpthread",
      "-lSystem",
    ]);
    const r = checkGoImage(out);
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.moduledata).toBe("local.moduledata");
  });
});
