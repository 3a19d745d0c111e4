// The debug map (STABS) ld64.tsld writes for dsymutil, as lld's
// test/MachO/stabs.s checks it: C compiled with -g in, an ld64.tsld link,
// `dsymutil-19 -s` out, compared with ld64.lld-19's link of the same objects.
// The DWARF stays in the objects; dsymutil follows the map to it.
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { basename, join } from "node:path";
import { libSystemTbdDir, linkWithLld, makeArchive, requireTool } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { main } from "../src/index.js";
import { ARCH, byArch, compileC, tmp, tsld } from "./helpers.js";

const A = compileC(
  `int gdata = 3;
static int sdata = 4;
static int helper(int x) { return x + sdata; }
int bfun(int);
int main(void) { return helper(gdata) + bfun(1); }
`,
  { name: "stabs_a", g: true, O: "0" },
);
const B = compileC(
  `int bfun(int y) { return y * 2; }
__attribute__((visibility("hidden"))) int hidden_data = 5;
`,
  { name: "stabs_b", g: true, O: "0" },
);
const LIB = makeArchive([B]);

async function ld64(args: string[]): Promise<void> {
  let stderr = "";
  const status = await main(
    ["-arch", ARCH, "-platform_version", "macos", "11.0", "11.0", "-L", libSystemTbdDir(), "-lSystem", ...args],
    { stdout: () => {}, stderr: (s) => (stderr += s) },
    "ld64",
  );
  expect(stderr).toBe("");
  expect(status).toBe(0);
}

function tool(name: string, args: string[]): string {
  const r = spawnSync(requireTool(name), args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${name} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

interface Entry {
  index: number;
  type: string;
  sect: number;
  desc: number;
  value: number;
  name: string;
}

/** The symbol table as `dsymutil-19 -s` prints it. */
function symtab(path: string): Entry[] {
  const rows: Entry[] = [];
  for (const line of tool("dsymutil-19", ["-s", path]).split("\n")) {
    const m =
      /^\[\s*(\d+)\] [0-9a-f]+ [0-9a-f]{2} \(([^)]*)\) ([0-9a-f]{2})\s+([0-9a-f]{4})\s+([0-9a-f]{16})(?: '(.*)')?$/.exec(
        line,
      );
    if (!m) continue;
    rows.push({
      index: Number(m[1]),
      type: m[2]!.trim(),
      sect: Number.parseInt(m[3]!, 16),
      desc: Number.parseInt(m[4]!, 16),
      value: Number.parseInt(m[5]!, 16),
      name: m[6] ?? "",
    });
  }
  return rows;
}

const isStab = (e: Entry): boolean => e.type.startsWith("N_");

/** Per N_OSO object (by base name): its functions (name → size) and data (name → stab type). */
function mapByObject(rows: Entry[]): Map<string, { funs: Map<string, number>; data: Map<string, string> }> {
  const out = new Map<string, { funs: Map<string, number>; data: Map<string, string> }>();
  let cur: { funs: Map<string, number>; data: Map<string, string> } | undefined;
  rows.forEach((e, i) => {
    if (e.type === "N_OSO") {
      cur = { funs: new Map(), data: new Map() };
      out.set(basename(e.name), cur);
    } else if (e.type === "N_FUN" && e.name !== "") cur!.funs.set(e.name, rows[i + 1]!.value);
    else if (e.type === "N_STSYM" || e.type === "N_GSYM") cur!.data.set(e.name, e.type);
  });
  return out;
}

describe("STABS debug map (ld64.tsld)", () => {
  const dir = tmp("tsld-stabs-");
  const out = join(dir, "prog");
  const lld = join(dir, "prog.lld");
  const linked = (async () => {
    await ld64(["-o", out, A, LIB, "-u", "_bfun"]);
    linkWithLld([A, LIB], lld, ["-u", "_bfun"]);
  })();

  it("opens each object with N_SO dir, N_SO file and N_OSO (path, mtime), and closes it with an empty N_SO", async () => {
    await linked;
    const rows = symtab(out).filter(isStab);
    expect(rows[0]).toMatchObject({ type: "N_SO", sect: 0 });
    expect(rows[0]!.name.endsWith("/")).toBe(true);
    expect(rows[1]).toMatchObject({ type: "N_SO", sect: 0 });
    expect(rows[1]!.name).toMatch(/^stabs_a[^/]*$/);
    // N_OSO: the object's absolute path, n_sect its CPU subtype (x86_64_ALL 3, arm64_ALL 0), n_desc 1, n_value its mtime.
    expect(rows[2]).toMatchObject({ type: "N_OSO", sect: byArch({ x86_64: 3, arm64: 0 }), desc: 1, name: A });
    expect(rows[2]!.value).toBe(Math.floor(statSync(A).mtimeMs / 1000));
    const closes = rows.filter((e) => e.type === "N_SO" && e.name === "");
    expect(closes).toHaveLength(2);
    for (const c of closes) expect(c.sect).toBe(1);
    expect(rows.at(-1)).toMatchObject({ type: "N_SO", name: "", sect: 1 });
  });

  it("names an archive member as lib.a(member.o)", async () => {
    await linked;
    const oso = symtab(out).filter((e) => e.type === "N_OSO");
    expect(oso.map((e) => e.name)).toEqual([A, `${LIB}(stabs_b.o)`]);
  });

  it("brackets each function with N_BNSYM/N_FUN(name, addr)/N_FUN(size)/N_ENSYM, at its symbol's address", async () => {
    await linked;
    const rows = symtab(out);
    const addr = new Map(rows.filter((e) => !isStab(e)).map((e) => [e.name, e.value]));
    const funs = rows.filter((e) => e.type === "N_FUN" && e.name !== "");
    expect(funs.map((e) => e.name).sort()).toEqual(["_bfun", "_helper", "_main"]);
    for (const f of funs) {
      const i = rows.indexOf(f);
      expect(rows[i - 1]).toMatchObject({ type: "N_BNSYM", sect: f.sect, value: f.value });
      expect(rows[i + 1]).toMatchObject({ type: "N_FUN", sect: 0, name: "" });
      expect(rows[i + 2]).toMatchObject({ type: "N_ENSYM", sect: f.sect, value: rows[i + 1]!.value });
      expect(f.value).toBe(addr.get(f.name));
      expect(f.sect).toBe(1); // __text
    }
  });

  it("has N_STSYM for file-local data and N_GSYM for global data (hidden included), as lld", async () => {
    await linked;
    const m = mapByObject(symtab(out));
    expect([...m.get(basename(A))!.data]).toEqual([
      ["_gdata", "N_GSYM"],
      ["_sdata", "N_STSYM"],
    ]);
    expect([...m.get(`${basename(LIB)}(stabs_b.o)`)!.data]).toEqual([["_hidden_data", "N_GSYM"]]);
  });

  it("maps the same functions, sizes and data per object as ld64.lld-19", async () => {
    await linked;
    const ours = mapByObject(symtab(out));
    const theirs = mapByObject(symtab(lld));
    expect([...ours.keys()]).toEqual([...theirs.keys()]);
    for (const [obj, t] of theirs) {
      expect(Object.fromEntries(ours.get(obj)!.funs), obj).toEqual(Object.fromEntries(t.funs));
      expect(Object.fromEntries(ours.get(obj)!.data), obj).toEqual(Object.fromEntries(t.data));
    }
  });

  it("puts the map first in the local symbols, counted in LC_DYSYMTAB's nlocalsym", async () => {
    await linked;
    const rows = symtab(out);
    const nstabs = rows.filter(isStab).length;
    expect(rows.slice(0, nstabs).every(isStab)).toBe(true);
    const locals = rows.filter((e) => !isStab(e) && !/ EXT$/.test(e.type)).length;
    const dys = tool("llvm-objdump-19", ["--macho", "--private-headers", out]);
    expect(dys).toMatch(new RegExp(`ilocalsym 0\\n\\s+nlocalsym ${nstabs + locals}\\n`));
  });

  it("leaves DWARF in the objects: no __DWARF segment in the image", async () => {
    await linked;
    expect(tool("llvm-objdump-19", ["--macho", "--private-headers", out])).not.toContain("__DWARF");
  });

  it("names the source from DWARF 5 (strx forms) and DWARF 2 compile units too", async () => {
    const v5 = compileC("int five(void) { return 5; }\n", { name: "stabs_v5", g: true, cflags: ["-gdwarf-5"] });
    const v2 = compileC("int two(void) { return 2; }\n", { name: "stabs_v2", g: true, cflags: ["-gdwarf-2"] });
    const o = join(dir, "prog-versions");
    await ld64(["-dylib", "-o", o, v5, v2]);
    const so = symtab(o).filter((e) => e.type === "N_SO" && e.name !== "");
    expect(so.map((e) => e.name)).toEqual([
      expect.stringMatching(/^\/.*\/$/),
      expect.stringMatching(/stabs_v5\.c/),
      expect.stringMatching(/^\/.*\/$/),
      expect.stringMatching(/stabs_v2\.c/),
    ]);
    expect(
      symtab(o)
        .filter((e) => e.type === "N_FUN" && e.name !== "")
        .map((e) => e.name),
    ).toEqual(["_five", "_two"]);
  });

  it("-S omits the map", async () => {
    const s = join(dir, "prog-S");
    await ld64(["-S", "-o", s, A, LIB, "-u", "_bfun"]);
    const rows = symtab(s);
    expect(rows.filter(isStab)).toEqual([]);
    expect(rows.map((e) => e.name)).toContain("_helper");
  });

  it("ZERO_AR_DATE makes every N_OSO's mtime 0 (reproducible builds, as ld64)", async () => {
    const z = join(dir, "prog-zero");
    process.env.ZERO_AR_DATE = "1";
    try {
      await ld64(["-o", z, A, LIB, "-u", "_bfun"]);
    } finally {
      delete process.env.ZERO_AR_DATE;
    }
    for (const e of symtab(z).filter((e) => e.type === "N_OSO")) expect(e.value).toBe(0);
  });

  it("the Go-style tsld writes __DWARF and no map; its -w omits both", async () => {
    const g = join(dir, "prog-go");
    const r = await tsld(["-o", g, A, B]);
    expect(r.status).toBe(0);
    expect(symtab(g).filter(isStab)).toEqual([]);
    expect(tool("llvm-objdump-19", ["--macho", "--private-headers", g])).toContain("segname __DWARF");
    const w = join(dir, "prog-go-w");
    expect((await tsld(["-w", "-o", w, A, B])).status).toBe(0);
    expect(tool("llvm-objdump-19", ["--macho", "--private-headers", w])).not.toContain("__DWARF");
  });

  it("dsymutil-19 builds a dSYM that verifies and symbolizes every function as lld's does", async () => {
    await linked;
    const lines = (image: string): Map<string, string> => {
      const dsym = `${image}.dSYM`;
      const r = spawnSync(requireTool("dsymutil-19"), [image, "-o", dsym], { encoding: "utf8" });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const dwarf = join(dsym, "Contents/Resources/DWARF", basename(image));
      expect(tool("llvm-dwarfdump-19", ["--verify", dwarf])).toContain("No errors.");
      const funs = symtab(image).filter((e) => e.type === "N_FUN" && e.name !== "");
      const res = new Map<string, string>();
      for (const f of funs) {
        const sym = tool("llvm-symbolizer-19", [`--obj=${dwarf}`, `0x${f.value.toString(16)}`]).split("\n");
        res.set(f.name, `${sym[0]} ${sym[1]}`);
      }
      return res;
    };
    const ours = lines(out);
    expect(ours.get("_helper")).toMatch(/^helper \S*stabs_a\S*:3:0$/);
    expect(Object.fromEntries(ours)).toEqual(Object.fromEntries(lines(lld)));
  });
});
