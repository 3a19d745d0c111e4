// Go 1.19 (Debian's golang-go) as ld64.tsld's client: GOOS=darwin
// GOARCH=amd64 and arm64, -linkmode=external with clang-19 as -extld and
// --ld-path=ld64.tsld, against the built-in SDK only (no -L, no -undefined
// escape). Darwin Go binaries cannot run here, so the image is checked as Go's
// runtime reads it (tools/fixtures/src/go-moduledata.ts); the checker is
// itself checked: it fails on the image with one moduledata field changed,
// and passes on ld64.lld-19's link of the same go.o.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  GO_DARWIN_FRAMEWORKS,
  builtinSdkFiles,
  checkGoImage,
  goExternalHello,
  lldBaseArgs,
  moduledataFieldOffset,
  requireTool,
  runAsync,
} from "@tsld/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { tmp, tsld } from "./helpers.js";
import { bundleLd64 } from "./ld64-bin.js";

const frameworks = GO_DARWIN_FRAMEWORKS.flatMap((f) => ["-framework", f]);

describe.each(["x86_64", "arm64"] as const)("Go 1.19 -linkmode=external through ld64.tsld (%s)", (arch) => {
  let dir = "";
  let image = "";
  let goObject = "";
  /** lld has no built-in SDK: it gets tsld's stubs as files. */
  let sdk = "";

  beforeAll(async () => {
    dir = tmp("go-ext-");
    const go = await goExternalHello(dir, await bundleLd64(tmp("ld64-bin-")), arch);
    expect(go.output).not.toContain("warning");
    image = go.image;
    goObject = go.goObject;
    sdk = builtinSdkFiles(join(dir, "sdk"));
  }, 600_000);

  it("links against the built-in SDK, and the image reads as Go's runtime reads it", () => {
    const r = checkGoImage(image);
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.moduledata).toBe("runtime.firstmoduledata");
    expect(r.functions.matched).toBeGreaterThan(1000);
  });

  it("the checker fails on the image with one moduledata field changed", () => {
    for (const field of ["etext", "enoptrdata", "types"] as const) {
      const bad = Buffer.from(readFileSync(image));
      const off = moduledataFieldOffset(bad, field);
      bad.writeBigUInt64LE(bad.readBigUInt64LE(off) + 16n, off);
      const r = checkGoImage(bad);
      expect(r.ok).toBe(false);
      expect(r.errors.join("\n")).toContain(`moduledata.${field}`);
    }
  });

  it("the checker passes on ld64.lld-19's link of the same go.o", async () => {
    const out = join(dir, "hello.lld");
    await runAsync(requireTool("ld64.lld-19"), [
      ...lldBaseArgs(out, arch),
      ...["-headerpad", "1144", goObject, `-L${sdk}`, "-lSystem", `-F${sdk}`, ...frameworks],
    ]);
    const r = checkGoImage(out);
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it("tsld -r of Go's go.o links, by ld64.lld-19 and by tsld, into images the checker passes", async () => {
    const merged = join(dir, "go-r.o");
    const r = await tsld(["-r", "-o", merged, goObject], { hostLibSystem: false });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const again = join(dir, "go-r2.o");
    expect((await tsld(["-r", "-o", again, merged], { hostLibSystem: false })).status).toBe(0);
    expect(readFileSync(again).equals(readFileSync(merged))).toBe(true);
    const viaLld = join(dir, "hello-r.lld");
    await runAsync(requireTool("ld64.lld-19"), [
      ...lldBaseArgs(viaLld, arch),
      ...[merged, `-L${sdk}`, "-lSystem", `-F${sdk}`, ...frameworks],
    ]);
    const viaTsld = join(dir, "hello-r.tsld");
    const l = await tsld(["-o", viaTsld, merged, ...frameworks], { hostLibSystem: false });
    expect(l.stderr).toBe("");
    expect(l.status).toBe(0);
    for (const image of [viaLld, viaTsld]) {
      const c = checkGoImage(image);
      expect(c.errors, image).toEqual([]);
      expect(c.ok).toBe(true);
    }
  });
});
