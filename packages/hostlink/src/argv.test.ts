// hostlinkArgv: exact command lines for every build mode on every header
// type, then one test per darwin rule from Go's hostlink (seed 73e7a569,
// issue 38824) and the argument order.
import { describe, expect, it } from "vitest";
import type { BuildMode } from "@tsld/core";
import { hostlinkArgv } from "./argv.js";
import type { HostlinkHeadtype, HostlinkInput } from "./argv.js";

function input(over: Partial<HostlinkInput> = {}): HostlinkInput {
  const buildmode = over.buildmode ?? "exe";
  return {
    extld: ["cc"],
    headtype: "darwin",
    buildmode,
    dynlinking: buildmode === "plugin" || buildmode === "shared",
    arch: "x86_64",
    output: "out",
    objects: ["a.o", "b.o"],
    libPaths: ["/sdk/lib"],
    libs: ["System"],
    extldflags: ["-v"],
    noPie: false,
    rpaths: [],
    ...over,
  };
}

const HP = "-Wl,-headerpad,1144";
const FLAT = ["-Wl,-flat_namespace", "-Wl,-bind_at_load"];
const ELF_DYN = ["-Wl,-z,now", "-Wl,-z,nocopyreloc"];
const RELRO_SHARED = ["-Wl,-z,relro", "-shared"];
const CSHARED_ELF = ["-Wl,-z,relro", "-shared", "-Wl,-z,nodelete"];

// [headtype, buildmode, flags between -m64 and -o, flags between -o and the objects]
const TABLE: [HostlinkHeadtype, BuildMode, string[], string[]][] = [
  ["darwin", "exe", [HP], []],
  ["darwin", "pie", [HP], []],
  ["darwin", "c-archive", [HP], []],
  ["darwin", "c-shared", [HP, "-dynamiclib"], []],
  ["darwin", "plugin", [HP, ...FLAT, "-dynamiclib"], []],
  ["darwin", "shared", [HP, ...FLAT, "-shared"], []],
  ["linux", "exe", [], []],
  ["linux", "pie", ["-Wl,-z,relro", "-pie"], []],
  ["linux", "c-archive", [], []],
  ["linux", "c-shared", CSHARED_ELF, ["-rdynamic"]],
  ["linux", "plugin", [...RELRO_SHARED, ...ELF_DYN], ["-rdynamic"]],
  ["linux", "shared", [...RELRO_SHARED, ...ELF_DYN], ["-rdynamic"]],
  ["freebsd", "exe", [], []],
  ["freebsd", "pie", ["-Wl,-z,relro", "-pie"], []],
  ["freebsd", "c-archive", [], []],
  ["freebsd", "c-shared", CSHARED_ELF, ["-rdynamic"]],
  ["freebsd", "plugin", [...RELRO_SHARED, ...ELF_DYN], ["-rdynamic"]],
  ["freebsd", "shared", [...RELRO_SHARED, ...ELF_DYN], ["-rdynamic"]],
  ["openbsd", "exe", ["-Wl,-nopie"], []],
  ["openbsd", "pie", ["-Wl,-z,relro", "-pie"], []],
  ["openbsd", "c-archive", ["-Wl,-nopie"], []],
  ["openbsd", "c-shared", ["-Wl,-nopie", ...CSHARED_ELF], ["-rdynamic"]],
  ["openbsd", "plugin", ["-Wl,-nopie", ...RELRO_SHARED, ...ELF_DYN], ["-rdynamic"]],
  ["openbsd", "shared", ["-Wl,-nopie", ...RELRO_SHARED, ...ELF_DYN], ["-rdynamic"]],
  ["windows", "exe", ["-mconsole"], []],
  ["windows", "pie", ["-mconsole"], []],
  ["windows", "c-archive", ["-mconsole"], []],
  ["windows", "c-shared", ["-mconsole", "-shared"], []],
  ["windows", "plugin", ["-mconsole", "-shared"], []],
  ["windows", "shared", ["-mconsole", "-shared"], []],
];

// Every arch Go's darwin ports have: x86_64 asks gcc-style drivers for -m64, arm64 for nothing.
const ARCHES: ["x86_64" | "arm64", string[]][] = [
  ["x86_64", ["-m64"]],
  ["arm64", []],
];

describe.each(ARCHES)("hostlinkArgv: build mode × header type (%s)", (arch, archFlags) => {
  it.each(TABLE)("%s %s", (headtype, buildmode, flags, afterOutput) => {
    expect(hostlinkArgv(input({ headtype, buildmode, arch }))).toEqual([
      "cc",
      ...archFlags,
      ...flags,
      "-o",
      "out",
      ...afterOutput,
      "a.o",
      "b.o",
      "-L/sdk/lib",
      "-lSystem",
      "-v",
    ]);
  });
});

describe("hostlinkArgv: -no_pie only for a non-PIE exe on darwin/amd64", () => {
  const modes: BuildMode[] = ["exe", "pie", "c-archive", "c-shared", "plugin"];
  it.each(modes.flatMap((m) => ARCHES.map(([a]) => [m, a] as const)))("%s %s", (buildmode, arch) => {
    const argv = hostlinkArgv(input({ buildmode, arch, noPie: true, dynlinking: buildmode === "plugin" }));
    expect(argv.includes("-Wl,-no_pie")).toBe(buildmode === "exe" && arch === "x86_64");
    expect(hostlinkArgv(input({ buildmode, arch })).includes("-Wl,-no_pie")).toBe(false);
  });
});

describe("hostlinkArgv: darwin rules", () => {
  it("always reserves header padding on darwin, never elsewhere", () => {
    expect(hostlinkArgv(input())).toContain("-Wl,-headerpad,1144");
    expect(hostlinkArgv(input({ headtype: "linux" }))).not.toContain("-Wl,-headerpad,1144");
  });

  it("dynlinking pairs -flat_namespace with -bind_at_load (issue 38824)", () => {
    const argv = hostlinkArgv(input({ buildmode: "plugin" }));
    const i = argv.indexOf("-Wl,-flat_namespace");
    expect(i).toBeGreaterThan(0);
    expect(argv[i + 1]).toBe("-Wl,-bind_at_load");
  });

  it("a plugin host exe dynlinks too", () => {
    expect(hostlinkArgv(input({ buildmode: "exe", dynlinking: true }))).toEqual([
      "cc",
      "-m64",
      HP,
      ...FLAT,
      "-o",
      "out",
      "a.o",
      "b.o",
      "-L/sdk/lib",
      "-lSystem",
      "-v",
    ]);
  });

  it("c-shared is a dylib but does not dynlink Go", () => {
    const argv = hostlinkArgv(input({ buildmode: "c-shared", dynlinking: false }));
    expect(argv).toContain("-dynamiclib");
    expect(argv).not.toContain("-Wl,-flat_namespace");
  });

  it.each([
    ["exe", "x86_64", true, false, ["-Wl,-no_pie"]],
    ["exe", "x86_64", false, false, []],
    ["exe", "arm64", true, false, []],
    ["pie", "x86_64", true, false, []],
    ["exe", "x86_64", true, true, FLAT],
  ] as const)("%s on %s noPie=%s dynlinking=%s → %j", (buildmode, arch, noPie, dyn, extra) => {
    const argv = hostlinkArgv(input({ buildmode, arch, noPie, dynlinking: dyn }));
    const archFlags = arch === "x86_64" ? ["-m64"] : [];
    expect(argv).toEqual(["cc", ...archFlags, HP, ...extra, "-o", "out", "a.o", "b.o", "-L/sdk/lib", "-lSystem", "-v"]);
  });

  it.each(["c-shared", "plugin"] as const)("%s takes -install_name after -dynamiclib", (buildmode) => {
    const argv = hostlinkArgv(input({ buildmode, installName: "@rpath/libx.dylib" }));
    const i = argv.indexOf("-dynamiclib");
    expect(argv[i + 1]).toBe("-Wl,-install_name,@rpath/libx.dylib");
  });

  it("ignores -install_name for executables", () => {
    expect(hostlinkArgv(input({ installName: "x" })).some((a) => a.includes("install_name"))).toBe(false);
  });
});

describe("hostlinkArgv: driver, paths and order", () => {
  it("cross-link driver: -target, -fuse-ld, --ld-path right after the driver", () => {
    const argv = hostlinkArgv(
      input({
        extld: ["/usr/bin/clang-19"],
        target: "x86_64-apple-macos11",
        fuseLd: "lld",
        ldPath: "/usr/bin/ld64.lld-19",
      }),
    );
    expect(argv).toEqual([
      "/usr/bin/clang-19",
      "-target",
      "x86_64-apple-macos11",
      "-fuse-ld=lld",
      "--ld-path=/usr/bin/ld64.lld-19",
      "-m64",
      HP,
      "-o",
      "out",
      "-Qunused-arguments",
      "a.o",
      "b.o",
      "-L/sdk/lib",
      "-lSystem",
      "-v",
    ]);
  });

  it("keeps a multi-word -extld and adds -Qunused-arguments for clang only", () => {
    const argv = hostlinkArgv(input({ extld: ["clang", "-isysroot", "/sdk"] }));
    expect(argv.slice(0, 3)).toEqual(["clang", "-isysroot", "/sdk"]);
    expect(argv).toContain("-Qunused-arguments");
    expect(hostlinkArgv(input({ extld: ["gcc"] }))).not.toContain("-Qunused-arguments");
  });

  it("arm64 needs no arch flag", () => {
    expect(hostlinkArgv(input({ arch: "arm64" }))).not.toContain("-m64");
  });

  it("passes rpaths after -o and syslibroots before the mode flags", () => {
    const argv = hostlinkArgv(input({ rpaths: ["@loader_path", "/opt/lib"], syslibroot: ["/sdk"] }));
    expect(argv).toEqual([
      "cc",
      "-m64",
      "-Wl,-syslibroot,/sdk",
      HP,
      "-o",
      "out",
      "-Wl,-rpath,@loader_path",
      "-Wl,-rpath,/opt/lib",
      "a.o",
      "b.o",
      "-L/sdk/lib",
      "-lSystem",
      "-v",
    ]);
    expect(hostlinkArgv(input({ headtype: "linux", syslibroot: ["/sys"] }))).toContain("--sysroot=/sys");
  });

  it("orders flags, -o, objects, libraries, extldflags", () => {
    const argv = hostlinkArgv(
      input({ buildmode: "plugin", libPaths: ["/a", "/b"], libs: ["m", "c"], extldflags: ["-Wl,-x", "-g"] }),
    );
    const at = (s: string): number => argv.indexOf(s);
    expect(at("-dynamiclib")).toBeLessThan(at("-o"));
    expect(at("-o")).toBeLessThan(at("a.o"));
    expect(at("b.o")).toBeLessThan(at("-L/a"));
    expect(at("-L/b")).toBeLessThan(at("-lm"));
    expect(argv.slice(-4)).toEqual(["-lm", "-lc", "-Wl,-x", "-g"]);
  });

  it("keeps output paths with spaces as one argument", () => {
    const argv = hostlinkArgv(input({ output: "my out/p.dylib" }));
    expect(argv[argv.indexOf("-o") + 1]).toBe("my out/p.dylib");
  });

  it("rejects an empty -extld", () => {
    expect(() => hostlinkArgv(input({ extld: [] }))).toThrow("empty -extld");
    expect(() => hostlinkArgv(input({ extld: [""] }))).toThrow("empty -extld");
  });

  it("is pure: the input is not modified", () => {
    const i = input({ buildmode: "plugin" });
    const copy = structuredClone(i);
    hostlinkArgv(i);
    hostlinkArgv(i);
    expect(i).toEqual(copy);
  });
});
