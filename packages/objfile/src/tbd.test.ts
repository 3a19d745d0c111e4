import { describe, expect, it } from "vitest";
import { parseTbd, parseYaml } from "./tbd.js";

describe("parseTbd", () => {
  it("reads v3: archs, install name, versions, symbols, weak and TLV kinds, objc classes", () => {
    const [lib] = parseTbd(
      `--- !tapi-tbd-v3
archs:           [ x86_64, arm64 ]
platform:        macosx
install-name:    /usr/lib/libfoo.dylib
current-version: 1.2.3
compatibility-version: 1
exports:
  - archs:           [ x86_64 ]
    symbols:         [ _a, _b,
                       _c ]   # spans lines
    weak-def-symbols: [ _w ]
    thread-local-symbols: [ _t ]
    objc-classes:    [ _Foo ]
  - archs:           [ arm64 ]
    symbols:         [ _arm_only ]
...
`,
      "x86_64",
    );
    expect(lib!.installName).toBe("/usr/lib/libfoo.dylib");
    expect(lib!.currentVersion).toBe((1 << 16) | (2 << 8) | 3);
    expect([...lib!.exports.keys()].sort()).toEqual(
      ["_OBJC_CLASS_$_Foo", "_OBJC_METACLASS_$_Foo", "_a", "_b", "_c", "_t", "_w"].sort(),
    );
    expect(lib!.exports.get("_w")).toBe(4);
    expect(lib!.exports.get("_t")).toBe(1);
  });

  it("reads v4 multi-document files with re-exported libraries and quoted names", () => {
    const libs = parseTbd(
      `--- !tapi-tbd
tbd-version:     4
targets:         [ x86_64-macos, arm64-macos ]
install-name:    '/usr/lib/libSystem.B.dylib'
reexported-libraries:
  - targets:         [ x86_64-macos, arm64-macos ]
    libraries:       [ '/usr/lib/system/libdyld.dylib' ]
exports:
  - targets:         [ x86_64-macos ]
    symbols:         [ '_with$dollar', "_double" ]
--- !tapi-tbd
tbd-version:     4
targets:         [ x86_64-macos ]
install-name:    '/usr/lib/system/libdyld.dylib'
exports:
  - targets:         [ x86_64-macos ]
    symbols:         [ dyld_stub_binder, __tlv_bootstrap ]
...
`,
      "x86_64",
    );
    expect(libs.map((l) => l.installName)).toEqual(["/usr/lib/libSystem.B.dylib", "/usr/lib/system/libdyld.dylib"]);
    expect(libs[0]!.reexportedLibraries).toEqual(["/usr/lib/system/libdyld.dylib"]);
    expect(libs[0]!.exports.has("_with$dollar")).toBe(true);
    expect(libs[0]!.exports.has("_double")).toBe(true);
    expect(libs[1]!.exports.has("dyld_stub_binder")).toBe(true);
  });

  it("splits documents at '---' and '...' lines: comments before the first, CRLF lines, blanks after the last", () => {
    const doc = (n: string): string =>
      `--- !tapi-tbd\ntbd-version: 4\ntargets: [ x86_64-macos ]\ninstall-name: /usr/lib/${n}\nexports:\n  - targets: [ x86_64-macos ]\n    symbols: [ _${n} ]\n...\n`;
    const text = `# a comment before the stream\n\n${doc("a")}\n${doc("b")}\n\n`;
    for (const t of [text, text.replace(/\n/g, "\r\n")]) {
      const libs = parseTbd(t, "x86_64");
      expect(libs.map((l) => [l.installName, [...l.exports.keys()]])).toEqual([
        ["/usr/lib/a", ["_a"]],
        ["/usr/lib/b", ["_b"]],
      ]);
    }
    expect(() => parseTbd("# nothing\n\n", "x86_64")).toThrow("empty TBD file");
  });

  it("reads v5 JSON", () => {
    const [lib] = parseTbd(
      JSON.stringify({
        tapi_tbd_version: 5,
        main_library: {
          target_info: [{ target: "x86_64-macos" }],
          install_names: [{ name: "/usr/lib/libbar.dylib" }],
          current_versions: [{ version: "2.0" }],
          exported_symbols: [
            { targets: ["x86_64-macos"], text: { global: ["_f"], weak: ["_g"] }, data: { thread_local: ["_tl"] } },
            { targets: ["arm64-macos"], text: { global: ["_arm"] } },
          ],
        },
      }),
      "x86_64",
    );
    expect(lib!.installName).toBe("/usr/lib/libbar.dylib");
    expect(lib!.currentVersion).toBe(2 << 16);
    expect(Object.fromEntries(lib!.exports)).toEqual({ _f: 0, _g: 4, _tl: 1 });
  });

  it("rejects documents without an install name, and malformed JSON", () => {
    expect(() => parseTbd("--- !tapi-tbd\ntbd-version: 4\n...\n", "x86_64")).toThrow(/install-name/);
    expect(() => parseTbd("{ nope", "x86_64")).toThrow(/malformed TBD v5/);
    // Found by fuzzing: a v5 file whose main_library is missing or not an object.
    expect(() => parseTbd('{"tapi_tbd_version": 5}', "x86_64")).toThrow(/no main_library/);
    expect(() => parseTbd('{"tapi_tbd_version": 5, "main_library": [1]}', "x86_64")).toThrow(/no main_library/);
    expect(() => parseTbd("{}", "x86_64")).toThrow(/no main_library/);
  });

  it("rejects deep nesting and names that are not strings, without exhausting the stack (found by fuzzing)", () => {
    const head = "--- !tapi-tbd\ntbd-version: 4\ninstall-name: /x\n";
    const n = 100_000;
    expect(() => parseTbd(`${head}exports:\n  - symbols: ${"[".repeat(n)}a${"]".repeat(n)}\n...\n`, "x86_64")).toThrow(
      /nested more than 256 deep/,
    );
    expect(() => parseTbd(`${head}exports: ${"{k: ".repeat(n)}a${"}".repeat(n)}\n...\n`, "x86_64")).toThrow(
      /nested more than 256 deep/,
    );
    const block = Array.from({ length: 1000 }, (_, i) => `${" ".repeat(i + 2)}-`).join("\n");
    expect(() => parseTbd(`${head}exports:\n${block} x\n...\n`, "x86_64")).toThrow(/nested more than 256 deep/);
    expect(() => parseTbd(`{"main_library": ${"[".repeat(n)}${"]".repeat(n)}}`, "x86_64")).toThrow(/nested more than/);
    expect(() => parseTbd(`${head}exports:\n  - symbols: [ [ a ] ]\n...\n`, "x86_64")).toThrow(/list of names/);
  });

  it("reads lines with long runs of blanks in linear time (no backtracking)", () => {
    const head = "--- !tapi-tbd\ntbd-version: 4\ninstall-name: /x\n";
    const blanks = " ".repeat(200_000);
    expect(() => parseTbd(`${head}k${blanks}x\n...\n`, "x86_64")).toThrow(/expected 'key: value'/);
    expect(parseTbd(`${head}k${blanks}x: y\n...\n`, "x86_64")[0]!.installName).toBe("/x");
    expect(() => parseTbd(`${head}exports:\n${blanks}-\n...\n`, "x86_64")).not.toThrow(RangeError);
  });

  it("parses 10,000-name flow lists in linear time", () => {
    const names = Array.from({ length: 10000 }, (_, i) => `_sym${i}`);
    const text = `--- !tapi-tbd\ntbd-version: 4\ntargets: [ x86_64-macos ]\ninstall-name: /usr/lib/libbig.dylib\nexports:\n  - targets: [ x86_64-macos ]\n    symbols: [ ${names.join(",\n               ")} ]\n...\n`;
    const [lib] = parseTbd(text, "x86_64");
    expect(lib!.exports.size).toBe(10000);
  });
});

describe("parseYaml", () => {
  it("handles nested block mappings, sequences of mappings and comments", () => {
    expect(parseYaml("a: 1\nb:\n  - x: [ p, 'q r' ]\n    y: z # comment\n  - w\n")).toEqual({
      a: "1",
      b: [{ x: ["p", "q r"], y: "z" }, "w"],
    });
  });

  it("reads flow lists of names: trailing commas, empty items, quoted commas and quotes, '#' inside quotes", () => {
    expect(
      parseYaml("a: [ ]\nb: [ x, y, ]\nc: [ x, , y ]\nd: [ 'p,q', r ]\ne: [ 'it''s', \"dq\" ]\nf: [ '_a#b', c ] # c"),
    ).toEqual({
      a: [],
      b: ["x", "y"],
      c: ["x", "", "y"],
      d: ["p,q", "r"],
      e: ["it's", "dq"],
      f: ["_a#b", "c"],
    });
    expect(parseYaml("s: [ 'a',\n     'b', # two\n     'c' ]\nt: [ [ x ], y ]")).toEqual({
      s: ["a", "b", "c"],
      t: [["x"], "y"],
    });
  });
});
