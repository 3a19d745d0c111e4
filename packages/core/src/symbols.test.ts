import { describe, expect, it } from "vitest";
import { SymFlag, SymKind, SymbolTable } from "./symbols.js";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(`xx${s}\0`);

describe("SymbolTable", () => {
  it("interns a name once, from a string or from string-table bytes", () => {
    const T = new SymbolTable();
    const a = T.intern("_main");
    const b = bytes("_main");
    expect(T.internBytes(b, 2, b.length - 1)).toBe(a);
    expect(T.lookup("_main")).toBe(a);
    expect(T.lookup("_other")).toBe(0);
    expect(T.kind[a]).toBe(SymKind.Undefined);
    expect(T.has(a, SymFlag.External)).toBe(true);
  });

  it("treats non-ASCII names the same both ways", () => {
    const T = new SymbolTable();
    const b = bytes("_café");
    const id = T.internBytes(b, 2, b.length - 1);
    expect(T.name(id)).toBe("_café");
    expect(T.intern("_café")).toBe(id);
  });

  it("keeps every id through table growth, in interning order, apart from locals", () => {
    const T = new SymbolTable();
    const ids = Array.from({ length: 50000 }, (_, i) => T.intern(`_s${i}`));
    const local = T.addLocal("_s7", SymKind.Defined);
    expect(new Set(ids).size).toBe(50000);
    expect(T.lookup("_s7")).toBe(ids[7]);
    expect(local).not.toBe(ids[7]);
    expect(Array.from(T.globals())).toEqual(ids);
    for (let i = 0; i < 50000; i += 997) expect(T.intern(`_s${i}`)).toBe(ids[i]);
  });
});
