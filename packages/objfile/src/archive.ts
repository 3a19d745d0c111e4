/**
 * `ar` archives as linkers use them (no spec beyond ar(5) and the BSD and
 * System V/GNU traditions; cctools `ranlib.h` for the Darwin table).
 *
 * An archive is `!<arch>\n` then members, each a 60-byte header (name 16,
 * mtime 12, uid 6, gid 6, mode 8, size 10, "`\n") followed by `size` bytes
 * padded to an even offset. Names:
 * - BSD/Darwin: `#1/N` means the real name is the first N bytes of the data.
 * - GNU: `name/`, or `/N` naming offset N into the `//` long-name member.
 * Symbol tables (optional; without one, tsld reads every member's symbols):
 * - Darwin `__.SYMDEF` / `__.SYMDEF SORTED`: u32 byte size of an array of
 *   `struct ranlib {u32 ran_strx; u32 ran_off}`, then u32 string-table size
 *   and strings; little-endian. `__.SYMDEF_64` (and SORTED) uses u64 fields.
 * - GNU `/`: big-endian u32 count, count u32 member offsets, NUL-terminated
 *   names. `/SYM64/` uses u64 count and offsets.
 * Offsets in the tables point at member headers.
 */
import type { ArchiveMember } from "@tsld/core";

export class ArchiveError extends Error {}

export interface ParsedArchive {
  members: ArchiveMember[];
  /** Symbol name → member index, from the archive's table; undefined when it has none. */
  symbols?: Map<string, number>;
}

const MAGIC = "!<arch>\n";
const decoder = new TextDecoder("latin1");

export function isArchive(buf: Uint8Array): boolean {
  return buf.length >= 8 && decoder.decode(buf.subarray(0, 8)) === MAGIC;
}

export function parseArchive(buf: Uint8Array): ParsedArchive {
  const members: ArchiveMember[] = [];
  const byHeaderOffset = new Map<number, number>();
  let table: { kind: "bsd" | "bsd64" | "gnu" | "gnu64"; off: number; size: number } | undefined;
  let longNames: Uint8Array | undefined;
  let off = 8;
  while (off + 60 <= buf.length) {
    const hdr = decoder.decode(buf.subarray(off, off + 60));
    if (hdr.slice(58, 60) !== "`\n") throw new ArchiveError(`bad member header at offset 0x${off.toString(16)}`);
    const rawName = hdr.slice(0, 16).trimEnd();
    const size = Number.parseInt(hdr.slice(48, 58).trim(), 10);
    if (!Number.isFinite(size) || size < 0 || off + 60 + size > buf.length)
      throw new ArchiveError(`member at offset 0x${off.toString(16)} runs past the end of the archive`);
    let dataOff = off + 60;
    let dataSize = size;
    let name = rawName;
    if (rawName.startsWith("#1/")) {
      const n = Number.parseInt(rawName.slice(3), 10);
      if (!(n >= 0 && n <= size)) throw new ArchiveError(`bad BSD long name at offset 0x${off.toString(16)}`);
      name = decoder.decode(buf.subarray(dataOff, dataOff + n)).replace(/\0+$/, "");
      dataOff += n;
      dataSize -= n;
    } else if (rawName === "//") {
      longNames = buf.subarray(dataOff, dataOff + dataSize);
      name = "";
    } else if (rawName.startsWith("/") && rawName !== "/" && rawName !== "/SYM64/" && longNames) {
      const at = Number.parseInt(rawName.slice(1), 10);
      let end = at;
      while (end < longNames.length && longNames[end] !== 0x0a) end++;
      name = decoder.decode(longNames.subarray(at, end)).replace(/\/$/, "");
    } else if (name.endsWith("/") && name !== "/") name = name.slice(0, -1);

    if (name === "__.SYMDEF" || name === "__.SYMDEF SORTED") table = { kind: "bsd", off: dataOff, size: dataSize };
    else if (name === "__.SYMDEF_64" || name === "__.SYMDEF_64 SORTED")
      table = { kind: "bsd64", off: dataOff, size: dataSize };
    else if (rawName === "/") table = { kind: "gnu", off: dataOff, size: dataSize };
    else if (rawName === "/SYM64/") table = { kind: "gnu64", off: dataOff, size: dataSize };
    else if (rawName !== "//") {
      byHeaderOffset.set(off, members.length);
      const mtime = Number.parseInt(hdr.slice(16, 28).trim(), 10);
      members.push({ name, offset: dataOff, size: dataSize, mtime: Number.isFinite(mtime) ? mtime : 0, loaded: -1 });
    }
    off += 60 + size;
    if (off & 1) off++;
  }
  const symbols = table ? readTable(buf, table, byHeaderOffset) : undefined;
  return { members, symbols };
}

function readTable(
  buf: Uint8Array,
  t: { kind: "bsd" | "bsd64" | "gnu" | "gnu64"; off: number; size: number },
  byHeaderOffset: Map<number, number>,
): Map<string, number> {
  const v = new DataView(buf.buffer, buf.byteOffset + t.off, t.size);
  const out = new Map<string, number>();
  const bad = (): never => {
    throw new ArchiveError("malformed archive symbol table");
  };
  const cstr = (base: number, at: number, limit: number): string => {
    let e = base + at;
    if (e > limit) bad();
    while (e < limit && buf[e] !== 0) e++;
    return decoder.decode(buf.subarray(base + at, e));
  };
  const add = (name: string, hdrOff: number): void => {
    const m = byHeaderOffset.get(hdrOff);
    if (m !== undefined && !out.has(name)) out.set(name, m);
  };
  if (t.kind === "bsd" || t.kind === "bsd64") {
    const w = t.kind === "bsd" ? 4 : 8;
    const rd = (o: number): number => (w === 4 ? v.getUint32(o, true) : Number(v.getBigUint64(o, true)));
    if (t.size < w) bad();
    const ranSize = rd(0);
    if (w + ranSize + w > t.size) bad();
    const strSize = rd(w + ranSize);
    const strBase = t.off + w + ranSize + w;
    if (strBase + strSize > t.off + t.size) bad();
    for (let i = 0; i < ranSize; i += 2 * w) add(cstr(strBase, rd(w + i), strBase + strSize), rd(w + i + w));
  } else {
    const w = t.kind === "gnu" ? 4 : 8;
    const rd = (o: number): number => (w === 4 ? v.getUint32(o, false) : Number(v.getBigUint64(o, false)));
    if (t.size < w) bad();
    const n = rd(0);
    if (w + n * w > t.size) bad();
    let s = t.off + w + n * w;
    const limit = t.off + t.size;
    for (let i = 0; i < n; i++) {
      const name = cstr(s, 0, limit);
      s += name.length + 1;
      add(name, rd(w + i * w));
    }
  }
  return out;
}
