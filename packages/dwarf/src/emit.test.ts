// emitDwarf on real objects (clang-19 -g): the merged line table's rows sit
// at the functions' output addresses, dead-stripped functions take their
// sequences with them, and __DWARF is placed between __DATA and __LINKEDIT.
// Checked on ctx.debugData, before the image is written.
import { spawnSync } from "node:child_process";
import { LinkContext, type LinkOptions, defaultOptions } from "@tsld/core";
import { compileC } from "@tsld/fixtures";
import { layoutData, symbolAddress } from "@tsld/layout";
import { loadObjects } from "@tsld/objfile";
import { describe, expect, it } from "vitest";
import { emitDwarf } from "./emit.js";
import { type LineRow, decodeLineProgram, readLineHeader } from "./line.js";

const hasClang = spawnSync("clang-19", ["--version"]).status === 0;

const SRC = `int used_helper(int x) {
  return x * 3;
}
int unused_function(int x) {
  return x + 100;
}
int main(int argc, char **argv) {
  (void)argv;
  return used_helper(argc);
}
`;

function link(extra: Partial<LinkOptions> = {}): LinkContext {
  const obj = compileC(SRC, { name: "dw", g: true, O: "0" });
  const ctx = new LinkContext(defaultOptions({ inputs: [obj], ...extra }));
  loadObjects(ctx);
  layoutData(ctx);
  emitDwarf(ctx);
  ctx.diag.checkpoint();
  return ctx;
}

function lineRows(ctx: LinkContext): LineRow[] {
  const line = ctx.outSections.find((s) => s.sectname === "__debug_line")!;
  const bytes = ctx.debugData.get(line.id)!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rows: LineRow[] = [];
  for (let off = 0; off < bytes.length; ) {
    const h = readLineHeader(bytes, off);
    decodeLineProgram(bytes, h, (at) => Number(view.getBigUint64(at, true)), rows);
    off = h.end;
  }
  return rows;
}

const addr = (ctx: LinkContext, name: string): number => symbolAddress(ctx, ctx.syms.lookup(name));

describe.skipIf(!hasClang)("emitDwarf", () => {
  it("line rows start at each function's output address, inside __text", () => {
    const ctx = link();
    const rows = lineRows(ctx);
    const text = ctx.outSections.find((s) => s.sectname === "__text")!;
    expect(rows.length).toBeGreaterThan(3);
    for (const r of rows) {
      expect(r.address).toBeGreaterThanOrEqual(text.addr);
      expect(r.address).toBeLessThanOrEqual(text.addr + text.size);
    }
    const starts = new Set(rows.map((r) => r.address));
    for (const f of ["_main", "_used_helper", "_unused_function"]) expect(starts.has(addr(ctx, f)), f).toBe(true);
    // Each function's first row carries its source line (1, 4 and 7 above).
    const lineAt = (a: number) => rows.find((r) => r.address === a && !r.endSequence)!.line;
    expect(lineAt(addr(ctx, "_used_helper"))).toBe(1);
    expect(lineAt(addr(ctx, "_unused_function"))).toBe(4);
    expect(lineAt(addr(ctx, "_main"))).toBe(7);
  });

  it("with -dead_strip, a stripped function's rows are gone and the rest keep theirs", () => {
    const ctx = link({ deadStrip: true });
    const rows = lineRows(ctx);
    expect(rows.some((r) => r.line === 5)).toBe(false); // unused_function's body
    expect(rows.some((r) => r.address === addr(ctx, "_main") && r.line === 7)).toBe(true);
    expect(rows.some((r) => r.address === addr(ctx, "_used_helper") && r.line === 1)).toBe(true);
  });

  it("places __DWARF after the mapped segments' file range and __LINKEDIT after it, page aligned", () => {
    const ctx = link();
    const names = ctx.segments.map((s) => s.name);
    const dw = ctx.segments[names.indexOf("__DWARF")]!;
    const data = ctx.segments[names.indexOf("__DWARF") - 1]!; // __DATA, or __TEXT when there is no data
    const le = ctx.segments[names.indexOf("__LINKEDIT")]!;
    expect(names.indexOf("__DWARF")).toBe(names.length - 2);
    expect(dw.fileoff).toBeGreaterThanOrEqual(data.fileoff + data.filesize);
    expect(dw.vmsize).toBe(0); // not mapped: read from the file by debuggers
    expect(le.fileoff).toBeGreaterThanOrEqual(dw.fileoff + dw.filesize);
    expect(le.fileoff % ctx.target.pageSize).toBe(0);
    let off = dw.fileoff;
    for (const id of dw.sections) {
      const s = ctx.outSections[id]!;
      expect(s.fileOff).toBe(off);
      expect(s.size).toBe(ctx.debugData.get(id)!.length);
      off += s.size;
    }
    expect(off).toBe(dw.fileoff + dw.filesize);
  });

  it("leaves an object it cannot merge out whole and merges the others as if it had none", () => {
    // DWARF 5 is not merged: its object is left out, the DWARF 4 one follows at base 0.
    const v5 = compileC("int five(int x) { return x + 5; }\n", { name: "dw5", g: true, O: "0", cflags: ["-gdwarf-5"] });
    const v4 = compileC(SRC, { name: "dw", g: true, O: "0" });
    const warnings: string[] = [];
    const ctx = new LinkContext(defaultOptions({ inputs: [v5, v4] }), (w) => warnings.push(w));
    loadObjects(ctx);
    layoutData(ctx);
    emitDwarf(ctx);
    ctx.diag.checkpoint();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/dw5.*debug info not merged: DWARF version 5/);
    // The DWARF 4 object's strings and abbreviations are the whole output, as in its object.
    const f = ctx.files.find((x) => x.path === v4)!;
    const S = ctx.sections;
    const input = (name: string): Uint8Array => {
      for (let k = 0; k < f.object!.sectionCount; k++) {
        const sid = f.object!.firstSection + k;
        if (S.sectnames[sid] === name)
          return new Uint8Array(f.data.subarray(S.dataOff[sid]!, S.dataOff[sid]! + S.size[sid]!));
      }
      throw new Error(`no ${name}`);
    };
    const output = (name: string): Uint8Array =>
      ctx.debugData.get(ctx.outSections.find((o) => o.sectname === name)!.id)!;
    expect(output("__debug_str")).toEqual(input("__debug_str"));
    expect(output("__debug_abbrev")).toEqual(input("__debug_abbrev"));
    expect(output("__debug_info").length).toBe(input("__debug_info").length);
    // Its line table is the output's, with every function's rows.
    const rows = lineRows(ctx);
    for (const fn of ["_main", "_used_helper", "_unused_function"])
      expect(
        rows.some((r) => r.address === addr(ctx, fn)),
        fn,
      ).toBe(true);
  });

  it("-w (debugInfo none) leaves no __DWARF to fill", () => {
    const ctx = link({ debugInfo: "none" });
    expect(ctx.segments.some((s) => s.name === "__DWARF")).toBe(false);
    expect(ctx.debugData.size).toBe(0);
  });
});
