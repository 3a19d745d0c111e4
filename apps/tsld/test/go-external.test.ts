// Go 1.19 (Debian's golang-go) as ld64.tsld's client: GOOS=darwin
// GOARCH=amd64 and arm64, -linkmode=external with clang-19 as -extld and
// --ld-path=ld64.tsld, against the built-in SDK only (no -L, no -undefined
// escape). Darwin Go binaries cannot run here, so the image is checked as Go's
// runtime reads it (tools/fixtures/src/go-moduledata.ts); the checker is
// itself checked: it fails on the image with one moduledata field changed,
// and passes on ld64.lld-19's link of the same go.o.
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkGoImage, moduledataFieldOffset, repoRoot, requireTool } from "@tsld/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { tmp, tsld } from "./helpers.js";
import { bundleLd64 } from "./ld64-bin.js";

const MAIN_GO = `package main

import (
	"crypto/x509"
	"fmt"
	"os"
)

func main() {
	fi, err := os.Stat("/")
	_, perr := x509.SystemCertPool()
	fmt.Println("hello from go", fi != nil, err, perr)
}
`;

function exec(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...opts, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${file} ${args.join(" ")}\n${stdout}\n${stderr}`)) : resolve(`${stdout}${stderr}`),
    );
  });
}

describe.each([
  ["amd64", "x86_64"],
  ["arm64", "arm64"],
] as const)("Go 1.19 GOARCH=%s -linkmode=external through ld64.tsld", (goarch, arch) => {
  let dir = "";
  let image = "";
  let goObject = "";

  beforeAll(async () => {
    const go = requireTool("go");
    const ld64 = await bundleLd64(tmp("ld64-bin-"));
    dir = tmp("go-ext-");
    writeFileSync(join(dir, "main.go"), MAIN_GO);
    writeFileSync(join(dir, "go.mod"), "module example.com/goext\n\ngo 1.19\n");
    // Go's darwin hostlink runs dsymutil and strip after the link: the LLVM ones.
    const bin = join(dir, "bin");
    mkdirSync(bin);
    symlinkSync(requireTool("dsymutil-19"), join(bin, "dsymutil"));
    symlinkSync(requireTool("llvm-strip-19"), join(bin, "strip"));
    const lt = join(dir, "linktmp");
    mkdirSync(lt);
    image = join(dir, "hello");
    const out = await exec(
      go,
      [
        "build",
        "-o",
        image,
        `-ldflags=-linkmode=external -extld=clang-19 -tmpdir=${lt} "-extldflags=-target ${arch}-apple-macos11 --ld-path=${ld64}"`,
        ".",
      ],
      {
        cwd: dir,
        env: {
          ...process.env,
          PATH: `${bin}:${process.env.PATH}`,
          GOOS: "darwin",
          GOARCH: goarch,
          CGO_ENABLED: "0",
          GOFLAGS: "-mod=mod",
          GOCACHE: join(repoRoot(), ".cache", "go-build"),
          GOPATH: join(dir, "gopath"),
        },
      },
    );
    expect(out).not.toContain("warning");
    goObject = join(lt, "go.o");
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
    // lld has no built-in SDK: give it tsld's stubs, as files.
    const sdk = join(dir, "sdk");
    const data = join(repoRoot(), "packages/objfile/data");
    mkdirSync(sdk);
    copyFileSync(join(data, "libSystem.tbd"), join(sdk, "libSystem.tbd"));
    for (const fw of ["CoreFoundation", "Security"]) {
      mkdirSync(join(sdk, `${fw}.framework`));
      copyFileSync(join(data, `${fw}.tbd`), join(sdk, `${fw}.framework`, `${fw}.tbd`));
    }
    const out = join(dir, "hello.lld");
    await exec(requireTool("ld64.lld-19"), [
      "-arch",
      arch,
      "-platform_version",
      "macos",
      "11.0",
      "11.0",
      "-headerpad",
      "1144",
      "-o",
      out,
      goObject,
      `-L${sdk}`,
      "-lSystem",
      `-F${sdk}`,
      "-framework",
      "CoreFoundation",
      "-framework",
      "Security",
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
    const sdk = join(dir, "sdk-r");
    const data = join(repoRoot(), "packages/objfile/data");
    mkdirSync(sdk);
    copyFileSync(join(data, "libSystem.tbd"), join(sdk, "libSystem.tbd"));
    for (const fw of ["CoreFoundation", "Security"]) {
      mkdirSync(join(sdk, `${fw}.framework`));
      copyFileSync(join(data, `${fw}.tbd`), join(sdk, `${fw}.framework`, `${fw}.tbd`));
    }
    const viaLld = join(dir, "hello-r.lld");
    await exec(requireTool("ld64.lld-19"), [
      ...["-arch", arch, "-platform_version", "macos", "11.0", "11.0", "-o", viaLld, merged],
      ...[`-L${sdk}`, "-lSystem", `-F${sdk}`, "-framework", "CoreFoundation", "-framework", "Security"],
    ]);
    const viaTsld = join(dir, "hello-r.tsld");
    const l = await tsld(["-o", viaTsld, merged, "-framework", "CoreFoundation", "-framework", "Security"], {
      hostLibSystem: false,
    });
    expect(l.stderr).toBe("");
    expect(l.status).toBe(0);
    for (const image of [viaLld, viaTsld]) {
      const c = checkGoImage(image);
      expect(c.errors, image).toEqual([]);
      expect(c.ok).toBe(true);
    }
  });
});
