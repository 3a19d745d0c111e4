/**
 * The seed's scenario (Go 73e7a569, darwin/amd64 plugins): a host and a
 * plugin each record their module bounds from the section markers, like Go's
 * moduledata; the host dlopens the plugin under macho-exec and checks that
 * each module's bounds hold its own code, data and bss and that the two are
 * disjoint. Without the seed's rules (`-no_plugin_markers`: zero-sized
 * markers bound by flat lookup) dyld hands the plugin the host's markers and
 * the check fails; a test keeps that visible.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fixupRows, importRows } from "./fixup-rows.js";
import { compileC, runMachO, tmp, tsld } from "./helpers.js";
import { HOST_C, PLUGIN_C, headerFlags, nm, nmSymbols, objdump, objdumpWithStderr } from "./plugin-helpers.js";

async function ok(args: string[]): Promise<void> {
  const r = await tsld(args);
  if (r.status !== 0) throw new Error(`tsld ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
}

const MARKERS = ["runtime.text", "runtime.etext", "runtime.data", "runtime.edata", "runtime.bss", "runtime.ebss"];

let hostCache: { dir: string; host: string } | undefined;
async function host(): Promise<{ dir: string; host: string }> {
  if (!hostCache) {
    const dir = tmp("tsld-plugin-");
    const h = join(dir, "host");
    await ok(["-o", h, compileC(HOST_C, { name: "plugin_host" })]);
    hostCache = { dir, host: h };
  }
  return hostCache;
}

/** Links the seed's plugin next to the host; `flags` pick the plugin's link. */
async function plugin(name: string, flags: (host: string) => string[]): Promise<{ host: string; plugin: string }> {
  const { dir, host: h } = await host();
  const p = join(dir, name);
  await ok(["-buildmode=plugin", "-o", p, ...flags(h), compileC(PLUGIN_C, { name: "plugin" })]);
  return { host: h, plugin: p };
}

function expectOk(r: ReturnType<typeof runMachO>): void {
  expect(r.stderr).toBe("");
  expect(r.stdout).not.toContain("FAIL");
  expect(r.stdout).toContain("plugin_func(5) = 64");
  expect(r.stdout).toContain("OK");
  expect(r.status).toBe(0);
}

describe("plugin: the seed's host and plugin", () => {
  it("each module sees its own bounds (plugin linked with -bundle_loader host)", async () => {
    const { host: h, plugin: p } = await plugin("p-loader.dylib", (x) => ["-bundle_loader", x]);
    expectOk(runMachO(h, [p]));
  });

  it("each module sees its own bounds (plugin linked with -undefined dynamic_lookup)", async () => {
    const { host: h, plugin: p } = await plugin("p-dynlookup.dylib", () => ["-undefined", "dynamic_lookup"]);
    expectOk(runMachO(h, [p]));
    const { flags } = headerFlags(p);
    expect(flags).not.toContain("NOUNDEFS");
  });

  it("-bundle with -bundle_loader gives an MH_BUNDLE that works the same", async () => {
    const { host: h, plugin: p } = await plugin("p.bundle", (x) => ["-bundle", "-bundle_loader", x]);
    const { filetype, flags } = headerFlags(p);
    expect(filetype).toBe("BUNDLE");
    expect(flags).not.toContain("TWOLEVEL");
    expect(objdump(["--macho", "--all-headers", p])).not.toContain("LC_ID_DYLIB");
    expectOk(runMachO(h, [p]));
  });

  it("without the seed's rules (-no_plugin_markers) the plugin gets the host's markers", async () => {
    const { host: h, plugin: p } = await plugin("p-nomarkers.dylib", (x) => [
      "-no_plugin_markers",
      "-bundle_loader",
      x,
    ]);
    // The markers are zero-sized imports bound by flat lookup...
    const binds = importRows(p);
    for (const m of MARKERS) expect(binds).toContain(`flat-namespace _${m}`);
    expect(nmSymbols(p).map((s) => s.name)).not.toContain("_runtime.text");
    // ...which the loader's flat lookup (main image first) resolves to the host's copies.
    const r = runMachO(h, [p]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("FAIL plugin text contains its code");
    expect(r.stdout).toContain("FAIL plugin data contains its data");
    expect(r.stdout).toContain("FAIL plugin bss contains its bss");
    expect(r.stdout).toContain("FAIL text ranges disjoint");
    expect(r.stdout).not.toContain("OK");
    const lines = r.stdout.split("\n");
    const hostLine = lines.find((l) => l.startsWith("host "))!.replace(/^host\s+/, "");
    const plugLine = lines.find((l) => l.startsWith("plugin "))!.replace(/^plugin\s+/, "");
    expect(plugLine).toBe(hostLine);
  });

  it("a symbol defined nowhere is still an error without -undefined dynamic_lookup", async () => {
    const dir = tmp("tsld-plugin-undef-");
    const r = await tsld(["-buildmode=plugin", "-o", join(dir, "p.dylib"), compileC(PLUGIN_C, { name: "plugin" })]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("undefined symbol: _host_callback");
    expect(r.stderr).toContain("referenced by");
    expect(r.stderr).not.toContain("runtime.");
  });
});

describe("plugin: image shape", () => {
  it("flat namespace, bound at load, markers local to the module (llvm-objdump, no warnings)", async () => {
    const { plugin: p } = await plugin("p-shape.dylib", (x) => ["-bundle_loader", x]);
    const { stdout, stderr } = objdumpWithStderr(["--macho", "--private-header", "--exports-trie", p]);
    expect(stderr).toBe("");
    const { filetype, flags } = headerFlags(p);
    expect(filetype).toBe("DYLIB");
    expect(flags).toEqual(expect.arrayContaining(["DYLDLINK", "BINDATLOAD", "NOUNDEFS"]));
    expect(flags).not.toContain("TWOLEVEL");
    expect(flags).not.toContain("PIE");
    // Every bind is a flat lookup (ordinal -2), none of them a marker; nothing is lazy.
    const fixups = fixupRows(p);
    const bindRows = fixups.filter((r) => r.kind === "bind" || r.kind === "lazy-bind");
    expect(bindRows.length).toBeGreaterThan(0);
    for (const row of bindRows) expect(row.dylib).toBe("flat-namespace");
    expect(bindRows.map((r) => r.symbol)).toContain("_host_callback");
    expect(bindRows.filter((r) => r.symbol.includes("runtime."))).toEqual([]);
    expect(fixups.filter((r) => r.kind === "lazy-bind")).toEqual([]);
    const headers = objdump(["--macho", "--section-headers", p]);
    expect(headers).not.toContain("__stub_helper");
    expect(headers).not.toContain("__la_symbol_ptr");
    // Markers are exported under their `_`-prefixed names (dlsym prepends `_`).
    const exportsPart = stdout.split("Exports trie:")[1]!;
    for (const m of MARKERS) expect(exportsPart).toMatch(new RegExp(`\\s_${m.replace(".", "\\.")}\\n`));
    // No rebase lands in __TEXT.
    expect(fixups.filter((r) => r.kind === "rebase" && r.segment === "__TEXT")).toEqual([]);
  });

  it("the host (a plugin host: it defines plugin.Open) is flat, bound at load, with its own markers at head and tail", async () => {
    const { host: h } = await host();
    const { flags } = headerFlags(h);
    expect(flags).toEqual(expect.arrayContaining(["BINDATLOAD", "PIE"]));
    expect(flags).not.toContain("TWOLEVEL");
    const byName = new Map(nmSymbols(h).map((s) => [s.name, s]));
    const sects = objdump(["--macho", "--section-headers", h]);
    for (const [start, end, section] of [
      ["runtime.text", "runtime.etext", "__text"],
      ["runtime.data", "runtime.edata", "__data"],
      ["runtime.bss", "runtime.ebss", "__bss"],
    ] as const) {
      const c = sects
        .split("\n")
        .find((l) => new RegExp(`\\s${section}\\s`).test(l))!
        .trim()
        .split(/\s+/);
      const s = { addr: Number.parseInt(c[3]!, 16), size: Number.parseInt(c[2]!, 16) };
      expect(byName.get(`_${start}`)?.addr, start).toBe(s.addr);
      expect(byName.get(`_${end}`)!.addr + 8, end).toBe(s.addr + s.size);
    }
  });

  it("markers are real 8-byte symbols at the head and tail of their sections", async () => {
    const { plugin: p } = await plugin("p-nm.dylib", (x) => ["-bundle_loader", x]);
    const syms = nmSymbols(p);
    const byName = new Map(syms.map((s) => [s.name, s]));
    for (const m of MARKERS) expect(byName.has(`_${m}`), m).toBe(true);
    // No marker shares an address with any other symbol.
    for (const m of MARKERS) {
      const at = byName.get(`_${m}`)!.addr;
      expect(
        syms.filter((s) => s.addr === at).map((s) => s.name),
        m,
      ).toEqual([`_${m}`]);
    }
    // Head: nothing in the section below the start marker; tail: nothing at or after the end marker + 8.
    const sects = objdump(["--macho", "--section-headers", p]);
    const sect = (name: string) => {
      const row = sects.split("\n").find((l) => new RegExp(`\\s${name}\\s`).test(l))!;
      const c = row.trim().split(/\s+/);
      return { addr: Number.parseInt(c[3]!, 16), size: Number.parseInt(c[2]!, 16) };
    };
    for (const [start, end, section, letter] of [
      ["runtime.text", "runtime.etext", "__text", "T"],
      ["runtime.data", "runtime.edata", "__data", "D"],
      ["runtime.bss", "runtime.ebss", "__bss", "B"],
    ] as const) {
      const s = sect(section);
      expect(byName.get(`_${start}`)!.addr, start).toBe(s.addr);
      expect(byName.get(`_${end}`)!.addr + 8, end).toBe(s.addr + s.size);
      expect(byName.get(`_${start}`)!.type).toBe(letter);
      const inside = syms.filter((x) => x.addr >= s.addr && x.addr < s.addr + s.size);
      expect(inside[0]!.name).toBe(`_${start}`);
      expect(inside[inside.length - 1]!.name).toBe(`_${end}`);
    }
    // Every non-local symbol is `_`-prefixed and N_SECT|N_EXT (or undefined).
    for (const row of nm(["-m", p]).split("\n")) {
      if (row.trim() === "") continue;
      if (row.includes("non-external")) continue;
      expect(row).toMatch(/ _\S+$/);
      expect(row).toMatch(/\((__TEXT|__DATA|__DATA_CONST),\S+\) external|\(undefined\) external/);
    }
  });
});
