// runHostLinker: spawning without a shell, swallowing the warnings Go
// swallows, and one Go-shaped message per failure. `sh -c` stands in for the
// host linker.
import { describe, expect, it } from "vitest";
import { filterLinkerOutput, formatCommand, runHostLinker } from "./run.js";

describe("filterLinkerOutput", () => {
  it.each([
    "ld: warning: text-based stub file /usr/lib/libSystem.tbd and library file /usr/lib/libSystem.dylib are out of sync. Falling back to library file for linking.\n",
    "ld: warning: -no_pie is deprecated when targeting new OS versions\n",
    "ld: warning: -bind_at_load is deprecated on macOS\n",
    "ld64.lld: warning: Option `-bind_at_load' is not yet implemented. Stay tuned...\n",
    "ld64.lld-19: warning: Option `-bind_at_load' is not yet implemented. Stay tuned...\n",
    "ld64.lld: warning: Option `-no_pie' is obsolete and not yet implemented\n",
  ])("swallows %j", (line) => {
    expect(filterLinkerOutput(`before\n${line}after\n`)).toBe("before\nafter\n");
  });

  it.each([
    "ld: warning: object file (x.o) was built for newer macOS version (14.0) than being linked (11.0)\n",
    "ld64.lld: warning: Option `-sectalign' is not yet implemented. Stay tuned...\n",
    "ld64.lld: error: undefined symbol: _foo\n",
  ])("keeps %j", (line) => {
    expect(filterLinkerOutput(line)).toBe(line);
  });

  it("keeps text without a final newline", () => {
    expect(filterLinkerOutput("a\nb")).toBe("a\nb");
    expect(filterLinkerOutput("")).toBe("");
  });
});

describe("formatCommand", () => {
  it("quotes only what the shell would split or expand", () => {
    expect(formatCommand(["clang", "-Wl,-headerpad,1144", "-o", "my out", "it's", ""])).toBe(
      "clang -Wl,-headerpad,1144 -o 'my out' 'it'\\''s' ''",
    );
  });
});

describe("runHostLinker", () => {
  it("succeeds quietly when only swallowed warnings are printed", () => {
    const r = runHostLinker([
      "sh",
      "-c",
      "echo 'ld: warning: -no_pie is deprecated when targeting new OS versions' >&2; " +
        'echo "ld64.lld-19: warning: Option \\`-bind_at_load\' is not yet implemented. Stay tuned..." >&2',
    ]);
    expect(r).toMatchObject({ ok: true, status: 0, stdout: "", stderr: "" });
    expect(r.message).toBeUndefined();
  });

  it("keeps other output on success", () => {
    const r = runHostLinker(["sh", "-c", "echo out; echo 'ld: warning: something real' >&2"]);
    expect(r.ok).toBe(true);
    expect(r.stdout).toBe("out\n");
    expect(r.stderr).toBe("ld: warning: something real\n");
  });

  it("reports a failure as one message: command, exit status, filtered output", () => {
    const r = runHostLinker([
      "sh",
      "-c",
      "echo 'ld: warning: text-based stub file x'; echo 'ld: error: undefined symbol: _f' >&2; exit 3",
    ]);
    expect(r.ok).toBe(false);
    expect(r.status).toBe(3);
    expect(r.message).toBe("running sh failed: exit status 3\nld: error: undefined symbol: _f");
  });

  it("reports a failure with no output", () => {
    expect(runHostLinker(["sh", "-c", "exit 1"]).message).toBe("running sh failed: exit status 1");
  });

  it("reports death by signal", () => {
    const r = runHostLinker(["sh", "-c", "kill -9 $$"]);
    expect(r.ok).toBe(false);
    expect(r.status).toBeNull();
    expect(r.message).toBe("running sh failed: signal: SIGKILL");
  });

  it("names -extld when the linker does not exist", () => {
    const r = runHostLinker(["tsld-no-such-linker", "-o", "x"]);
    expect(r.ok).toBe(false);
    expect(r.status).toBeNull();
    expect(r.message).toBe(
      'running tsld-no-such-linker failed: exec: "tsld-no-such-linker": executable file not found in $PATH (set the host linker with -extld)',
    );
  });

  it("rejects an empty command", () => {
    expect(runHostLinker([]).message).toMatch(/empty command; set the host linker with -extld/);
  });

  it("uses no shell: arguments arrive verbatim", () => {
    const r = runHostLinker(["sh", "-c", 'printf "%s|" "$@"', "sh", "a b", "$HOME", "*", "'q'"]);
    expect(r.stdout).toBe("a b|$HOME|*|'q'|");
    expect(r.command).toBe("sh -c 'printf \"%s|\" \"$@\"' sh 'a b' '$HOME' '*' ''\\''q'\\'''");
  });

  it("honours cwd and env", () => {
    const r = runHostLinker(["sh", "-c", 'pwd; echo "$TSLD_X"'], {
      cwd: "/",
      env: { PATH: process.env.PATH, TSLD_X: "1" },
    });
    expect(r.stdout).toBe("/\n1\n");
  });
});
