// Tables for buildmode.ts: the internal/platform BuildModeSupported matrix,
// config.go's parse errors, and the DynlinkingGo / UseRelro / link-mode rules.
import { describe, expect, it } from "vitest";
import type { BuildMode } from "./buildmode.js";
import {
  BuildModeError,
  buildModeSupported,
  determineLinkMode,
  dynlinking,
  isDylibOutput,
  isPIE,
  mustLinkExternal,
  parseBuildMode,
  parseLinkMode,
  usesRelro,
} from "./buildmode.js";

const MODES: BuildMode[] = ["exe", "pie", "c-archive", "c-shared", "plugin", "shared"];

// Rows: port; columns in MODES order (exe, pie, c-archive, c-shared, plugin, shared).
const MATRIX: [string, string, boolean[]][] = [
  ["darwin", "amd64", [true, true, true, true, true, false]],
  ["darwin", "arm64", [true, true, true, true, true, false]],
  ["darwin", "x86_64", [true, true, true, true, true, false]],
  ["ios", "arm64", [true, true, true, false, false, false]],
  ["ios", "amd64", [true, true, true, false, false, false]],
  ["linux", "amd64", [true, true, true, true, true, true]],
  ["linux", "arm64", [true, true, true, true, true, true]],
  ["linux", "mips", [true, false, false, false, false, false]],
  ["freebsd", "amd64", [true, true, true, true, true, false]],
  ["openbsd", "amd64", [true, false, false, false, false, false]],
  ["windows", "amd64", [true, true, true, true, false, false]],
  ["darwin", "386", [false, false, false, false, false, false]],
  ["plan9", "wasm", [false, false, false, false, false, false]],
];

const cells = MATRIX.flatMap(([goos, goarch, row]) =>
  MODES.map((mode, i) => [goos, goarch, mode, row[i] as boolean] as const),
);

describe("buildModeSupported", () => {
  it.each(cells)("%s/%s %s → %s", (goos, goarch, mode, want) => {
    expect(buildModeSupported(mode, goos, goarch)).toBe(want);
  });
});

describe("parseBuildMode", () => {
  it.each([
    ["exe", "darwin", "amd64", "exe"],
    ["", "darwin", "amd64", "exe"],
    ["default", "darwin", "amd64", "exe"],
    ["exe", "darwin", "arm64", "pie"],
    ["default", "darwin", "arm64", "pie"],
    ["exe", "windows", "arm64", "pie"],
    ["exe", "linux", "arm64", "exe"],
    ["pie", "darwin", "amd64", "pie"],
    ["c-archive", "darwin", "arm64", "c-archive"],
    ["c-shared", "darwin", "x86_64", "c-shared"],
    ["plugin", "darwin", "amd64", "plugin"],
    ["plugin", "darwin", "arm64", "plugin"],
    ["shared", "linux", "amd64", "shared"],
  ])("%j on %s/%s → %s", (s, goos, goarch, want) => {
    expect(parseBuildMode(s, goos, goarch)).toBe(want);
  });

  it.each([
    ["shared", "darwin", "amd64", "-buildmode=shared not supported on darwin/amd64"],
    ["shared", "darwin", "x86_64", "-buildmode=shared not supported on darwin/amd64"],
    ["plugin", "ios", "arm64", "-buildmode=plugin not supported on ios/arm64"],
    ["c-shared", "ios", "amd64", "-buildmode=c-shared not supported on ios/amd64"],
    ["plugin", "windows", "amd64", "-buildmode=plugin not supported on windows/amd64"],
    ["exe", "darwin", "386", "-buildmode=exe not supported on darwin/386"],
    ["archive", "darwin", "amd64", 'invalid buildmode: "archive"'],
    ["EXE", "darwin", "amd64", 'invalid buildmode: "EXE"'],
    ["bogus", "darwin", "amd64", 'invalid buildmode: "bogus"'],
  ])("%j on %s/%s throws %j", (s, goos, goarch, message) => {
    expect(() => parseBuildMode(s, goos, goarch)).toThrow(BuildModeError);
    expect(() => parseBuildMode(s, goos, goarch)).toThrow(message);
  });

  it("BuildModeError is an Error with its own name", () => {
    const e = new BuildModeError("x");
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("BuildModeError");
  });
});

describe("link modes", () => {
  it.each([
    ["internal", "internal"],
    ["external", "external"],
    ["auto", "auto"],
    ["", "auto"],
  ] as const)("parseLinkMode(%j) → %s", (s, want) => {
    expect(parseLinkMode(s)).toBe(want);
  });

  it("rejects unknown link modes with Go's text", () => {
    expect(() => parseLinkMode("static")).toThrow('invalid linkmode: "static"');
  });

  it.each([
    ["exe", "darwin", "amd64", undefined],
    ["pie", "darwin", "arm64", undefined],
    ["c-shared", "darwin", "amd64", undefined],
    ["plugin", "darwin", "amd64", undefined],
    ["plugin", "darwin", "arm64", undefined],
    ["c-archive", "darwin", "amd64", "buildmode=c-archive"],
    ["shared", "linux", "amd64", "buildmode=shared"],
    ["pie", "linux", "386", "buildmode=pie"],
    ["exe", "ios", "arm64", "ios/arm64 requires external linking"],
    ["exe", "ios", "amd64", undefined],
  ] as const)("mustLinkExternal(%s, %s/%s) → %j", (mode, goos, goarch, want) => {
    expect(mustLinkExternal(mode, goos, goarch)).toBe(want);
  });

  it.each([
    ["auto", "exe", "internal"],
    ["auto", "plugin", "internal"],
    ["auto", "c-archive", "external"],
    ["external", "exe", "external"],
    ["internal", "c-shared", "internal"],
  ] as const)("determineLinkMode(%s, %s) on darwin/amd64 → %s", (flag, mode, want) => {
    expect(determineLinkMode(flag, mode, "darwin", "amd64")).toBe(want);
  });

  it("internal linking of a c-archive is an error with Go's text", () => {
    expect(() => determineLinkMode("internal", "c-archive", "darwin", "arm64")).toThrow(
      "internal linking requested but external linking required: buildmode=c-archive",
    );
  });
});

describe("mode predicates", () => {
  it.each([
    ["exe", false, false, true, false],
    ["pie", false, false, true, true],
    ["c-archive", false, false, false, true],
    ["c-shared", false, true, false, true],
    ["plugin", true, true, false, true],
    ["shared", true, false, false, true],
  ] as const)("%s: dynlinking=%s dylib=%s pie=%s relro(amd64)=%s", (mode, dyn, dylib, pie, relro) => {
    expect(dynlinking(mode)).toBe(dyn);
    expect(isDylibOutput(mode)).toBe(dylib);
    expect(isPIE(mode, false)).toBe(pie);
    expect(usesRelro(mode, "x86_64")).toBe(relro);
    expect(usesRelro(mode, "amd64")).toBe(relro);
    // darwin/arm64: everything is PIE, so everything uses relro.
    expect(usesRelro(mode, "arm64")).toBe(true);
  });

  it("a plugin host or -linkshared dynlinks even as exe", () => {
    expect(dynlinking("exe", { canUsePlugins: true })).toBe(true);
    expect(dynlinking("exe", { linkShared: true })).toBe(true);
    expect(dynlinking("c-shared", {})).toBe(false);
  });

  it("-no_pie turns off PIE for exe only", () => {
    expect(isPIE("exe", true)).toBe(false);
    expect(isPIE("pie", true)).toBe(true);
  });

  it("relro on other hosts", () => {
    expect(usesRelro("plugin", "amd64", "linux")).toBe(true);
    expect(usesRelro("exe", "arm64", "linux")).toBe(false);
    expect(usesRelro("c-shared", "amd64", "windows")).toBe(false);
  });
});
