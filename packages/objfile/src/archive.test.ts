import { describe, expect, it } from "vitest";
import { ArchiveError, isArchive, parseArchive } from "./archive.js";

const enc = new TextEncoder();

function header(name: string, size: number): string {
  return `${name.padEnd(16)}${"0".padEnd(12)}${"0".padEnd(6)}${"0".padEnd(6)}${"644".padEnd(8)}${String(size).padEnd(10)}\`\n`;
}

function archive(parts: { name: string; data: Uint8Array }[]): Uint8Array {
  const chunks: Uint8Array[] = [enc.encode("!<arch>\n")];
  for (const p of parts) {
    chunks.push(enc.encode(header(p.name, p.data.length)), p.data);
    if (p.data.length & 1) chunks.push(enc.encode("\n"));
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

describe("parseArchive", () => {
  it("reads a BSD archive with #1/ long names and a __.SYMDEF table", () => {
    // Member headers: symdef at 8; first member after it.
    const longName = "a_rather_long_member_name.o";
    const m1 = enc.encode(`${`${longName}\0`.padEnd(32, "\0")}OBJ1`);
    const strings = enc.encode("_foo\0_bar\0");
    const symdefLen = 4 + 16 + 4 + strings.length;
    const symdefName = enc.encode("__.SYMDEF\0\0\0"); // 12 bytes of name inside the member
    const firstMember = 8 + 60 + symdefName.length + symdefLen + ((symdefName.length + symdefLen) & 1 ? 1 : 0);
    const t = new DataView(new ArrayBuffer(symdefLen));
    t.setUint32(0, 16, true);
    t.setUint32(4, 0, true);
    t.setUint32(8, firstMember, true);
    t.setUint32(12, 5, true);
    t.setUint32(16, firstMember, true);
    t.setUint32(20, strings.length, true);
    new Uint8Array(t.buffer).set(strings, 24);
    const symdef = new Uint8Array(symdefName.length + symdefLen);
    symdef.set(symdefName);
    symdef.set(new Uint8Array(t.buffer), symdefName.length);
    const ar = archive([
      { name: `#1/${symdefName.length}`, data: symdef },
      { name: "#1/32", data: m1 },
    ]);
    expect(isArchive(ar)).toBe(true);
    const p = parseArchive(ar);
    expect(p.members.map((m) => m.name)).toEqual([longName]);
    expect(new TextDecoder().decode(ar.subarray(p.members[0]!.offset, p.members[0]!.offset + p.members[0]!.size))).toBe(
      "OBJ1",
    );
    expect(Object.fromEntries(p.symbols!)).toEqual({ _foo: 0, _bar: 0 });
  });

  it("reads a GNU archive with a / table and // long names", () => {
    const longNames = enc.encode("very_long_gnu_member_name.o/\n");
    const m = enc.encode("OBJ2");
    const names = enc.encode("_x\0");
    const tableLen = 4 + 4 + names.length;
    const first = 8 + 60 + tableLen + (tableLen & 1) + 60 + longNames.length + (longNames.length & 1);
    const tab = new DataView(new ArrayBuffer(tableLen));
    tab.setUint32(0, 1, false);
    tab.setUint32(4, first, false);
    new Uint8Array(tab.buffer).set(names, 8);
    const ar = archive([
      { name: "/", data: new Uint8Array(tab.buffer) },
      { name: "//", data: longNames },
      { name: "/0", data: m },
    ]);
    const p = parseArchive(ar);
    expect(p.members.map((x) => x.name)).toEqual(["very_long_gnu_member_name.o"]);
    expect(Object.fromEntries(p.symbols!)).toEqual({ _x: 0 });
  });

  it("has no table when the archive has none, and rejects truncated members", () => {
    const ar = archive([{ name: "plain.o/", data: enc.encode("OBJ") }]);
    const p = parseArchive(ar);
    expect(p.members.map((x) => x.name)).toEqual(["plain.o"]);
    expect(p.symbols).toBeUndefined();
    expect(() => parseArchive(ar.subarray(0, ar.length - 3))).toThrow(ArchiveError);
  });
});
