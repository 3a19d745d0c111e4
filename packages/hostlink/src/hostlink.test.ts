// The hostlink stage over a LinkContext, with shell scripts standing in for
// clang, ld64.lld and ar: which driver is chosen, what argv it gets, and how
// failures and leftover output reach ctx.diag.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LinkContext, defaultOptions } from "@tsld/core";
import type { LinkOptions } from "@tsld/core";
import { hostlinkArgv } from "./argv.js";
import { hostlink, hostlinkInput, resolveHostDriver, splitQuoted } from "./hostlink.js";

let dir: string;

/** An executable script in `sub` that logs its argv (one per line) to `log` and runs `body`. */
function fakeTool(sub: string, name: string, body = "exit 0"): string {
  const d = join(dir, sub);
  const p = join(d, name);
  writeFileSync(p, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > "${join(dir, `${name}.log`)}"\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

function ctxWith(over: Partial<LinkOptions>): LinkContext {
  return new LinkContext(defaultOptions({ linkmode: "external", inputs: ["x.o"], ...over }));
}

function loggedArgs(name: string): string[] {
  return readFileSync(join(dir, `${name}.log`), "utf8")
    .split("\n")
    .slice(0, -1);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tsld-hostlink-"));
  for (const sub of ["full", "versioned", "nold", "empty", "bin"]) mkdirSync(join(dir, sub));
  fakeTool("full", "clang-19");
  fakeTool("full", "ld64.lld");
  fakeTool("versioned", "clang-19");
  fakeTool("versioned", "ld64.lld-19");
  fakeTool("nold", "clang");
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("splitQuoted", () => {
  it.each([
    ["clang", ["clang"]],
    ["  clang-19   -target x86_64-apple-macos11 ", ["clang-19", "-target", "x86_64-apple-macos11"]],
    [`"/opt/my cc/clang" -fuse-ld=lld`, ["/opt/my cc/clang", "-fuse-ld=lld"]],
    [`cc -DX='a b' ""`, ["cc", "-DX=a b", ""]],
  ])("%j → %j", (s, want) => {
    expect(splitQuoted(s)).toEqual(want);
  });

  it("rejects an unterminated quote", () => {
    expect(() => splitQuoted(`cc "x`)).toThrow('unterminated " string');
  });
});

describe("resolveHostDriver", () => {
  const noFallback = { fallbackDirs: [] as string[] };

  it("uses -extld as given, split into words", () => {
    expect(resolveHostDriver(defaultOptions({ extld: "gcc -m64" }), { platform: "linux" })).toEqual({
      extld: ["gcc", "-m64"],
    });
  });

  it("uses plain clang on a darwin host", () => {
    expect(resolveHostDriver(defaultOptions(), { platform: "darwin", path: "" })).toEqual({ extld: ["clang"] });
  });

  it("cross-links with clang-19 and lld; no --ld-path when ld64.lld is on PATH", () => {
    const d = resolveHostDriver(defaultOptions(), { platform: "linux", path: join(dir, "full"), ...noFallback });
    expect(d).toEqual({
      extld: [join(dir, "full", "clang-19")],
      target: "x86_64-apple-macos11.0",
      fuseLd: "lld",
    });
  });

  it("points --ld-path at ld64.lld-19 when only the versioned name exists", () => {
    const d = resolveHostDriver(defaultOptions({ arch: "arm64", minOS: 0x000d0100 }), {
      platform: "linux",
      path: join(dir, "versioned"),
      ...noFallback,
    });
    expect(d).toEqual({
      extld: [join(dir, "versioned", "clang-19")],
      target: "arm64-apple-macos13.1",
      fuseLd: "lld",
      ldPath: join(dir, "versioned", "ld64.lld-19"),
    });
  });

  it("falls back to plain clang but needs an ld64.lld", () => {
    const d = resolveHostDriver(defaultOptions(), { platform: "linux", path: join(dir, "nold"), ...noFallback });
    expect(d).toEqual({
      error:
        "hostlink: no Mach-O host linker: neither ld64.lld nor ld64.lld-19 found on PATH; " +
        "run `bash tools/setup-toolchain.sh` or choose a linker with -extld",
    });
  });

  it("names -extld when there is no clang at all", () => {
    const d = resolveHostDriver(defaultOptions(), { platform: "linux", path: join(dir, "empty"), ...noFallback });
    expect(d).toHaveProperty("error");
    expect((d as { error: string }).error).toMatch(/clang-19 \(or clang\) not found.*-extld/);
  });
});

describe("hostlink stage", () => {
  it("does nothing in internal link mode", () => {
    const ctx = ctxWith({ linkmode: "internal", extld: join(dir, "no-such") });
    hostlink(ctx);
    expect(ctx.diag.errors).toEqual([]);
    expect(ctx.timer.records.map((r) => r.name)).toEqual(["hostlink"]);
  });

  it("runs the driver with hostlinkArgv's command line", () => {
    const cc = fakeTool("bin", "cc");
    const ctx = ctxWith({
      extld: cc,
      buildmode: "plugin",
      output: join(dir, "p.dylib"),
      libPaths: ["/sdk"],
      libs: ["m"],
      rpaths: ["@loader_path"],
      installName: "@rpath/p.dylib",
      extldflags: ["-g"],
    });
    hostlink(ctx);
    expect(ctx.diag.errors).toEqual([]);
    const want = hostlinkArgv(hostlinkInput(ctx.options, { extld: [cc] }, ["x.o"]));
    expect(loggedArgs("cc")).toEqual(want.slice(1));
    expect(want).toEqual([
      cc,
      "-m64",
      "-Wl,-headerpad,1144",
      "-Wl,-flat_namespace",
      "-Wl,-bind_at_load",
      "-dynamiclib",
      "-Wl,-install_name,@rpath/p.dylib",
      "-o",
      join(dir, "p.dylib"),
      "-Wl,-rpath,@loader_path",
      "x.o",
      "-L/sdk",
      "-lm",
      "-g",
    ]);
  });

  it("links caller-supplied objects instead of the inputs", () => {
    const cc = fakeTool("bin", "cc2");
    const ctx = ctxWith({ extld: cc });
    hostlink(ctx, ["go.o", "x.o"]);
    const args = loggedArgs("cc2");
    expect(args.slice(-2)).toEqual(["go.o", "x.o"]);
  });

  it("reports a failing link through ctx.diag.error, with filtered output", () => {
    const cc = fakeTool(
      "bin",
      "badcc",
      "echo 'ld: warning: text-based stub file t' >&2; echo 'ld: error: undefined symbol: _f' >&2; exit 1",
    );
    const ctx = ctxWith({ extld: cc });
    hostlink(ctx);
    expect(ctx.diag.errors).toEqual([
      `running ${cc} failed: exit status 1\nld: error: undefined symbol: _f\ncommand: ${cc} -m64 -Wl,-headerpad,1144 -o a.out x.o`,
    ]);
    expect(() => ctx.diag.checkpoint()).toThrow("undefined symbol: _f");
  });

  it("reports a missing -extld program", () => {
    const ctx = ctxWith({ extld: join(dir, "nope", "cc") });
    hostlink(ctx);
    expect(ctx.diag.errors[0]).toMatch(/executable file not found .*-extld/);
  });

  it("reports a malformed -extld", () => {
    const ctx = ctxWith({ extld: `"cc` });
    hostlink(ctx);
    expect(ctx.diag.errors).toEqual([`hostlink: -extld: unterminated " string in "\\"cc"`]);
  });

  it("passes leftover linker output on as a warning", () => {
    const cc = fakeTool(
      "bin",
      "warncc",
      "echo 'ld: warning: -no_pie is deprecated when targeting new OS versions' >&2; echo 'ld: warning: real' >&2",
    );
    const warnings: string[] = [];
    const ctx = new LinkContext(defaultOptions({ linkmode: "external", extld: cc, noPie: true }), (m) =>
      warnings.push(m),
    );
    hostlink(ctx);
    expect(ctx.diag.errors).toEqual([]);
    expect(warnings).toEqual([`${cc}: ld: warning: real`]);
  });

  it("c-archive: writes the archive itself (no host ar); a missing input is an error and no output", () => {
    const out = join(dir, "lib.a");
    writeFileSync(out, "stale");
    const ctx = ctxWith({ buildmode: "c-archive", output: out, inputs: [join(dir, "missing.o")] });
    hostlink(ctx, undefined, { platform: "linux", path: join(dir, "empty-path") });
    expect(ctx.diag.errors).toEqual([`cannot open ${join(dir, "missing.o")}: No such file or directory`]);
    expect(readFileSync(out, "latin1")).toBe("stale");
  });
});
