/**
 * The seed's plugin rules on arm64, as on x86_64 (plugin.test.ts): the
 * seed's host and plugin compiled for arm64, the plugin linked with
 * -buildmode=plugin against the host. The image is a flat-namespace dylib
 * bound at load (no lazy binding), every bind a flat lookup, its markers
 * real 8-byte symbols at the head and tail of their sections, every
 * non-local symbol `_`-prefixed and N_SECT|N_EXT; the host (a plugin host:
 * it defines plugin.Open) exports its markers the same way. Go's buildmode
 * table for darwin/arm64: exe links as pie, c-shared and plugin internally.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { arm64LibDir, compileArm64C } from "./arm64-lit.js";
import { tmp, tsld } from "./helpers.js";
import { HOST_C, PLUGIN_C, headerFlags, nm, nmSymbols, objdump, objdumpWithStderr } from "./plugin-helpers.js";

const MARKERS = ["runtime.text", "runtime.etext", "runtime.data", "runtime.edata", "runtime.bss", "runtime.ebss"];
const LIB = (): string =>
  arm64LibDir([
    "_dlopen",
    "_dlsym",
    "_dlerror",
    "_printf",
    "_snprintf",
    "_puts",
    "___stack_chk_fail",
    "___stack_chk_guard",
  ]);

async function ok(args: string[]): Promise<void> {
  // Exactly these flags: the tests read opcode-mode binds (the seed's bind-at-load plugins, as lld writes them).
  const r = await tsld(["-arch", "arm64", "-L", LIB(), ...args], { hostLibSystem: false, suiteFlags: false });
  if (r.status !== 0) throw new Error(`tsld ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  expect(r.stderr).toBe("");
}

async function hostAndPlugin(): Promise<{ host: string; plugin: string }> {
  const dir = tmp("tsld-a64plugin-");
  const host = join(dir, "host");
  const plugin = join(dir, "plugin.dylib");
  await ok(["-o", host, compileArm64C(HOST_C, "plugin_host")]);
  await ok(["-buildmode=plugin", "-o", plugin, "-bundle_loader", host, compileArm64C(PLUGIN_C, "plugin")]);
  return { host, plugin };
}

describe("arm64 plugins (the seed's rules)", () => {
  it("flat namespace, bound at load, markers as real 8-byte symbols at head and tail, `_` on every non-local symbol", async () => {
    const { host, plugin: p } = await hostAndPlugin();
    const { stdout, stderr } = objdumpWithStderr(["--macho", "--private-header", "--bind", "--lazy-bind", p]);
    expect(stderr).toBe("");
    const { filetype, flags } = headerFlags(p);
    expect(filetype).toBe("DYLIB");
    expect(flags).toEqual(expect.arrayContaining(["DYLDLINK", "BINDATLOAD", "NOUNDEFS"]));
    expect(flags).not.toContain("TWOLEVEL");
    expect(stdout).toMatch(/MH_MAGIC_64\s+ARM64/);
    const bindSection = stdout.split("Bind table:")[1]!.split("Lazy bind table:")[0]!;
    const bindRows = bindSection.split("\n").filter((l) => /0x[0-9A-Fa-f]+\s+pointer/.test(l));
    expect(bindRows.length).toBeGreaterThan(0);
    for (const row of bindRows) expect(row).toContain("flat-namespace");
    expect(bindSection).toContain("_host_callback");
    expect(bindSection).not.toContain("runtime.");
    expect(stdout.split("Lazy bind table:")[1]!.split("\n").slice(2).join("").trim()).toBe("");
    expect(objdump(["--macho", "--section-headers", p])).not.toMatch(/__stub_helper|__la_symbol_ptr/);

    for (const image of [p, host]) {
      const syms = nmSymbols(image);
      const byName = new Map(syms.map((s) => [s.name, s]));
      const sects = objdump(["--macho", "--section-headers", image]);
      const sect = (name: string) => {
        const c = sects
          .split("\n")
          .find((l) => new RegExp(`\\s${name}\\s`).test(l))!
          .trim()
          .split(/\s+/);
        return { addr: Number.parseInt(c[3]!, 16), size: Number.parseInt(c[2]!, 16) };
      };
      for (const m of MARKERS) expect(byName.has(`_${m}`), `${image} ${m}`).toBe(true);
      for (const [start, end, section] of [
        ["runtime.text", "runtime.etext", "__text"],
        ["runtime.data", "runtime.edata", "__data"],
        ["runtime.bss", "runtime.ebss", "__bss"],
      ] as const) {
        const s = sect(section);
        expect(byName.get(`_${start}`)!.addr, start).toBe(s.addr);
        expect(byName.get(`_${end}`)!.addr + 8, end).toBe(s.addr + s.size);
      }
      if (image === host) continue;
      for (const row of nm(["-m", image]).split("\n")) {
        if (row.trim() === "" || row.includes("non-external")) continue;
        expect(row).toMatch(/ _\S+$/);
        expect(row).toMatch(/\((__TEXT|__DATA|__DATA_CONST),\S+\) external|\(undefined\) external/);
      }
    }
    // the host binds at load and flat too (a plugin host: it defines plugin.Open)
    expect(headerFlags(host).flags).toEqual(expect.arrayContaining(["BINDATLOAD", "PIE"]));
    expect(headerFlags(host).flags).not.toContain("TWOLEVEL");
  });

  it("Go's darwin/arm64 buildmodes: exe is pie, c-shared and plugin link internally; c-archive needs external linking", async () => {
    const dir = tmp("tsld-a64bm-");
    const obj = compileArm64C("int answer(void) { return 42; }\nint main(void) { return answer() - 42; }\n", "bm");
    for (const [mode, type] of [
      ["exe", "EXECUTE"],
      ["pie", "EXECUTE"],
      ["c-shared", "DYLIB"],
      ["plugin", "DYLIB"],
    ] as const) {
      const out = join(dir, mode);
      await ok([`-buildmode=${mode}`, "-o", out, obj]);
      const h = headerFlags(out);
      expect(h.filetype, mode).toBe(type);
      if (type === "EXECUTE") expect(h.flags, mode).toContain("PIE");
    }
    const r = await tsld(["-arch", "arm64", "-buildmode=c-archive", "-linkmode=internal", "-o", join(dir, "x.a"), obj]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("internal linking requested but external linking required: buildmode=c-archive");
  });
});
