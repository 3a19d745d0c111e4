import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileC, runMachO, tmp, tsld } from "./helpers.js";
import { HOST_C, PLUGIN_C, headerFlags, nmSymbols, objdump } from "./plugin-helpers.js";

async function ok(args: string[]): Promise<void> {
  const r = await tsld(args);
  if (r.status !== 0) throw new Error(`tsld ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
}

/** Links the seed's host and plugin; `pluginFlags` pick the plugin's link. */
async function scenario(
  pluginFlags: (host: string) => string[],
): Promise<{ dir: string; host: string; plugin: string }> {
  const dir = tmp("tsld-plugin-");
  const host = join(dir, "host");
  const plugin = join(dir, "plugin.dylib");
  await ok(["-o", host, compileC(HOST_C, { name: "host" })]);
  await ok(["-buildmode=plugin", "-o", plugin, ...pluginFlags(host), compileC(PLUGIN_C, { name: "plugin" })]);
  return { dir, host, plugin };
}

describe("plugin (the seed's scenario)", () => {
  it("host and plugin each see their own module bounds (-bundle_loader)", async () => {
    const { host, plugin } = await scenario((h) => ["-bundle_loader", h]);
    const r = runMachO(host, [plugin]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("OK");
    expect(r.status).toBe(0);
  });
});
