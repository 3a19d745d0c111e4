/**
 * Seeded mutators for every input kind: structure-aware edits (one field of
 * a header, load command, section, symbol, relocation, export-trie node,
 * archive member header or symbol table, fat_arch entry, TBD key) mixed with
 * plain byte flips and truncation. Every choice comes from one `Rng`, so a
 * case is reproduced by its seed alone.
 */
import { readULEB128, lebCursor } from "@tsld/macho-format";

/** mulberry32: small, fast, good enough to spread mutations. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }
}

export interface Field {
  off: number;
  /** Bytes: 1, 2, 4 or 8 (little-endian unless `be`). */
  width: 1 | 2 | 4 | 8;
  be?: boolean;
  what: string;
}

/** Values that break assumptions: edges, sign bits, the file's size and its neighbours. */
function interesting(rng: Rng, width: number, old: number, fileLen: number): number {
  const max = width === 8 ? 2 ** 53 - 1 : 2 ** (8 * width) - 1;
  const c = [0, 1, 2, 7, 8, 0x10, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];
  const r = rng.int(8);
  let v: number;
  if (r < 3) v = rng.pick(c);
  else if (r < 5) v = fileLen + rng.int(17) - 8;
  else if (r < 6) v = old + rng.int(33) - 16;
  else if (r < 7) v = old * 2 + 1;
  else v = rng.next() * (width === 8 && rng.chance(0.2) ? 2 ** 20 : 1);
  if (v < 0) v = 0;
  return v > max ? v % (max + 1) : Math.floor(v);
}

export function setField(buf: Uint8Array, f: Field, value: number): void {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (f.off + f.width > buf.length) return;
  const le = !f.be;
  if (f.width === 1) v.setUint8(f.off, value & 0xff);
  else if (f.width === 2) v.setUint16(f.off, value & 0xffff, le);
  else if (f.width === 4) v.setUint32(f.off, value >>> 0, le);
  else v.setBigUint64(f.off, BigInt(Math.min(value, Number.MAX_SAFE_INTEGER)), le);
}

export function getField(buf: Uint8Array, f: Field): number {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (f.off + f.width > buf.length) return 0;
  const le = !f.be;
  if (f.width === 1) return v.getUint8(f.off);
  if (f.width === 2) return v.getUint16(f.off, le);
  if (f.width === 4) return v.getUint32(f.off, le);
  return Number(v.getBigUint64(f.off, le));
}

/** Edits one field to an interesting value; returns a description. */
export function editField(buf: Uint8Array, fields: readonly Field[], rng: Rng): string {
  if (fields.length === 0) return flipBytes(buf, rng, 1);
  const f = rng.pick(fields);
  const old = getField(buf, f);
  const v = interesting(rng, f.width, old, buf.length);
  setField(buf, f, v);
  return `${f.what}@0x${f.off.toString(16)}=0x${v.toString(16)}`;
}

export function flipBytes(buf: Uint8Array, rng: Rng, n: number, from = 0, to = buf.length): string {
  if (to <= from) return "no bytes";
  const at: string[] = [];
  for (let k = 0; k < n; k++) {
    const o = from + rng.int(to - from);
    if (rng.chance(0.5)) buf[o] = rng.int(256);
    else buf[o]! ^= 1 << rng.int(8);
    at.push(o.toString(16));
  }
  return `flip ${at.join(",")}`;
}

// --- Mach-O ------------------------------------------------------------------

/**
 * The structural fields of a well-formed 64-bit Mach-O: header, every load
 * command's cmd/cmdsize and 32/64-bit words, section headers, nlist entries
 * and relocation entries (each whole word and byte), and `trie` for the
 * export trie range if any.
 */
export function machoFields(buf: Uint8Array): { fields: Field[]; trie?: { off: number; size: number } } {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const fields: Field[] = [];
  const u32 = (off: number, what: string) => fields.push({ off, width: 4, what });
  const u64 = (off: number, what: string) => fields.push({ off, width: 8, what });
  ["magic", "cputype", "cpusubtype", "filetype", "ncmds", "sizeofcmds", "flags"].forEach((n, i) => u32(i * 4, n));
  const ncmds = v.getUint32(16, true);
  let off = 32;
  let trie: { off: number; size: number } | undefined;
  for (let i = 0; i < ncmds && off + 8 <= buf.length; i++) {
    const cmd = v.getUint32(off, true);
    const size = v.getUint32(off + 4, true);
    u32(off, `lc${i}.cmd`);
    u32(off + 4, `lc${i}.cmdsize`);
    if (cmd === 0x19) {
      for (const [o, n] of [
        [24, "vmaddr"],
        [32, "vmsize"],
        [40, "fileoff"],
        [48, "filesize"],
      ] as const)
        u64(off + o, `seg.${n}`);
      u32(off + 64, "seg.nsects");
      const nsects = v.getUint32(off + 64, true);
      for (let s = 0; s < nsects; s++) {
        const h = off + 72 + 80 * s;
        if (h + 80 > buf.length) break;
        u64(h + 32, `sect${s}.addr`);
        u64(h + 40, `sect${s}.size`);
        for (const [o, n] of [
          [48, "offset"],
          [52, "align"],
          [56, "reloff"],
          [60, "nreloc"],
          [64, "flags"],
          [68, "reserved1"],
        ] as const)
          u32(h + o, `sect${s}.${n}`);
        fields.push({ off: h + 64, width: 1, what: `sect${s}.type` });
        const reloff = v.getUint32(h + 56, true);
        const nreloc = v.getUint32(h + 60, true);
        for (let r = 0; r < nreloc && reloff + 8 * r + 8 <= buf.length; r++) {
          u32(reloff + 8 * r, `sect${s}.reloc${r}.address`);
          u32(reloff + 8 * r + 4, `sect${s}.reloc${r}.info`);
          fields.push({ off: reloff + 8 * r + 7, width: 1, what: `sect${s}.reloc${r}.type/extern/length` });
          fields.push({ off: reloff + 8 * r + 4, width: 2, what: `sect${s}.reloc${r}.symbolnum` });
        }
      }
    } else if (cmd === 2) {
      ["symoff", "nsyms", "stroff", "strsize"].forEach((n, k) => u32(off + 8 + 4 * k, `symtab.${n}`));
      const symoff = v.getUint32(off + 8, true);
      const nsyms = v.getUint32(off + 12, true);
      for (let k = 0; k < nsyms && symoff + 16 * k + 16 <= buf.length; k++) {
        const e = symoff + 16 * k;
        u32(e, `sym${k}.strx`);
        fields.push({ off: e + 4, width: 1, what: `sym${k}.type` });
        fields.push({ off: e + 5, width: 1, what: `sym${k}.sect` });
        fields.push({ off: e + 6, width: 2, what: `sym${k}.desc` });
        u64(e + 8, `sym${k}.value`);
      }
    } else {
      if (cmd === 0x80000022 || cmd === 0x22) {
        trie = { off: v.getUint32(off + 40, true), size: v.getUint32(off + 44, true) };
      } else if (cmd === 0x80000033) {
        trie = { off: v.getUint32(off + 8, true), size: v.getUint32(off + 12, true) };
      }
      for (let k = 8; k + 4 <= size && off + k + 4 <= buf.length && k < 64; k += 4) u32(off + k, `lc${i}+${k}`);
    }
    if (size < 8) break;
    off += size;
  }
  return trie && trie.size > 0 ? { fields, trie } : { fields };
}

/** One mutation of a Mach-O file (object or dylib): mostly field edits, some byte flips and truncations. */
export function mutateMachO(input: Uint8Array, rng: Rng): { data: Uint8Array; how: string } {
  const buf = Uint8Array.from(input);
  const { fields, trie } = machoFields(buf);
  const r = rng.int(20);
  if (r < 12) {
    const hows: string[] = [];
    const n = 1 + (rng.chance(0.3) ? rng.int(3) : 0);
    for (let k = 0; k < n; k++) hows.push(editField(buf, fields, rng));
    return { data: buf, how: hows.join("; ") };
  }
  if (r < 15 && trie) return { data: buf, how: mutateTrie(buf, trie, rng) };
  if (r < 18) return { data: buf, how: flipBytes(buf, rng, 1 + rng.int(12)) };
  const cut = rng.int(buf.length);
  return { data: buf.subarray(0, cut), how: `truncate at 0x${cut.toString(16)}` };
}

/**
 * Export-trie edits: a child offset pointed back at the root or at itself (a
 * loop), past the end, or made an overlong ULEB; a terminal size too large;
 * a child count raised; or bytes flipped inside the trie.
 */
export function mutateTrie(buf: Uint8Array, trie: { off: number; size: number }, rng: Rng): string {
  const end = Math.min(trie.off + trie.size, buf.length);
  const t = buf.subarray(trie.off, end);
  // Find the nodes and their child-offset ULEBs by walking the (valid) trie.
  const nodes: number[] = [];
  const childOffs: { at: number; len: number }[] = [];
  const todo = [0];
  const seen = new Set<number>();
  try {
    while (todo.length > 0 && nodes.length < 256) {
      const n = todo.pop()!;
      if (seen.has(n) || n >= t.length) continue;
      seen.add(n);
      nodes.push(n);
      const term = readULEB128(t, n);
      let p = lebCursor.next + term;
      const count = t[p++]!;
      for (let c = 0; c < count; c++) {
        while (p < t.length && t[p] !== 0) p++;
        p++;
        const at = p;
        const child = readULEB128(t, p);
        childOffs.push({ at, len: lebCursor.next - at });
        p = lebCursor.next;
        todo.push(child);
      }
    }
  } catch {
    // a trie already broken: fall through to flips
  }
  const r = rng.int(6);
  if (r < 3 && childOffs.length > 0) {
    const c = rng.pick(childOffs);
    const target = rng.pick([0, c.at, t.length, t.length + 1000, 0x7f, rng.int(t.length)]);
    // Rewrite within the same ULEB width (padded), so nothing else moves.
    let x = target;
    for (let k = 0; k < c.len; k++) {
      t[c.at + k] = (x & 0x7f) | (k + 1 < c.len ? 0x80 : 0);
      x = Math.floor(x / 128);
    }
    if (rng.chance(0.2)) t[c.at + c.len - 1]! |= 0x80; // ULEB runs on
    return `trie child@0x${c.at.toString(16)} -> 0x${target.toString(16)}`;
  }
  if (r < 4 && nodes.length > 0) {
    const n = rng.pick(nodes);
    t[n] = rng.pick([0x7f, 0xff, 0x40, 1]);
    return `trie terminal size @0x${n.toString(16)}`;
  }
  if (r < 5 && nodes.length > 0) {
    const n = rng.pick(nodes);
    const term = t[n]! & 0x7f;
    const p = n + 1 + term;
    if (p < t.length) t[p] = rng.pick([0xff, (t[p]! + 1) & 0xff, 0]);
    return `trie child count @0x${p.toString(16)}`;
  }
  return `trie ${flipBytes(buf, rng, 1 + rng.int(4), trie.off, end)}`;
}

// --- Archives ------------------------------------------------------------------

const latin1 = new TextDecoder("latin1");
const enc = new TextEncoder();

/** Member headers of a well-formed archive: header offset, data offset and size. */
export function archiveLayout(buf: Uint8Array): { hdr: number; data: number; size: number; name: string }[] {
  const out: { hdr: number; data: number; size: number; name: string }[] = [];
  let off = 8;
  while (off + 60 <= buf.length) {
    const h = latin1.decode(buf.subarray(off, off + 60));
    const size = Number.parseInt(h.slice(48, 58), 10);
    if (!(size >= 0)) break;
    out.push({ hdr: off, data: off + 60, size, name: h.slice(0, 16).trimEnd() });
    off += 60 + size + (size & 1);
  }
  return out;
}

function writeAscii(buf: Uint8Array, off: number, width: number, s: string): void {
  const b = enc.encode(s.slice(0, width).padEnd(width));
  buf.set(b, off);
}

/**
 * One mutation of an archive: a member header's size or name (including
 * `#1/N` and GNU `/N`), its terminator, a symbol-table word, a member
 * object's field, byte flips, or truncation.
 */
export function mutateArchive(input: Uint8Array, rng: Rng): { data: Uint8Array; how: string } {
  const buf = Uint8Array.from(input);
  const members = archiveLayout(buf);
  const m = rng.pick(members);
  const r = rng.int(20);
  if (r < 4) {
    const s = rng.pick([
      String(m.size + rng.int(200) - 100),
      String(buf.length),
      "-1",
      "99999999999",
      "0",
      "abc",
      "",
      "1e5",
      String(m.size * 3),
    ]);
    writeAscii(buf, m.hdr + 48, 10, s);
    return { data: buf, how: `member@0x${m.hdr.toString(16)} size="${s}"` };
  }
  if (r < 7) {
    const s = rng.pick([
      `#1/${rng.int(400)}`,
      `#1/${m.size + 1}`,
      "#1/-3",
      "#1/",
      `/${rng.int(500)}`,
      "/99999999",
      "//",
      "/",
      "/SYM64/",
      "__.SYMDEF",
      "__.SYMDEF_64",
      "#1/99999999999",
    ]);
    writeAscii(buf, m.hdr, 16, s);
    return { data: buf, how: `member@0x${m.hdr.toString(16)} name="${s}"` };
  }
  if (r < 8) {
    buf[m.hdr + 58] = rng.int(256);
    return { data: buf, how: `member@0x${m.hdr.toString(16)} terminator` };
  }
  if (r < 12) {
    // A symbol-table word: the table is the first member (if the archive has one).
    const t = members[0]!;
    if (/^(#1\/|\/$|\/SYM64)/.test(t.name) && t.size >= 8) {
      const words: Field[] = [];
      const be = !t.name.startsWith("#1/");
      const skip = be ? 0 : Number(t.name.slice(3));
      for (let o = t.data + skip; o + 4 <= t.data + t.size; o += 4)
        words.push({ off: o, width: 4, be, what: "symtab" });
      return { data: buf, how: editField(buf, words, rng) };
    }
  }
  if (r < 16) {
    // A member object's field, in place.
    const obj = members.filter((x) => buf[x.data] === 0xcf || (x.name.startsWith("#1/") && x.size > 64));
    if (obj.length > 0) {
      const o = rng.pick(obj);
      const skip = o.name.startsWith("#1/") ? Number(o.name.slice(3)) || 0 : 0;
      const sub = buf.subarray(o.data + skip, o.data + o.size);
      if (sub.length >= 32 && sub[0] === 0xcf) {
        const { fields } = machoFields(sub);
        return { data: buf, how: `member@0x${o.hdr.toString(16)} ${editField(sub, fields, rng)}` };
      }
    }
  }
  if (r < 18) return { data: buf, how: flipBytes(buf, rng, 1 + rng.int(10)) };
  const cut = rng.chance(0.5) ? m.hdr + rng.int(70) : rng.int(buf.length);
  return { data: buf.subarray(0, Math.min(cut, buf.length)), how: `truncate at 0x${cut.toString(16)}` };
}

// --- Fat -----------------------------------------------------------------------

/** One mutation of a fat file: nfat_arch, or one fat_arch field (overlapping, out-of-file), or flips. */
export function mutateFat(input: Uint8Array, rng: Rng): { data: Uint8Array; how: string } {
  const buf = Uint8Array.from(input);
  const v = new DataView(buf.buffer);
  const wide = v.getUint32(0, false) === 0xcafebabf;
  const n = v.getUint32(4, false);
  const ent = wide ? 32 : 20;
  const r = rng.int(10);
  if (r < 1) {
    const x = rng.pick([0, n + 1, 64, 65, 0xffffffff, 1000]);
    v.setUint32(4, x, false);
    return { data: buf, how: `nfat_arch=${x}` };
  }
  const i = rng.int(n);
  const h = 8 + ent * i;
  const offF: Field = { off: h + 8, width: wide ? 8 : 4, be: true, what: `arch${i}.offset` };
  const sizeF: Field = { off: h + (wide ? 16 : 12), width: wide ? 8 : 4, be: true, what: `arch${i}.size` };
  if (r < 4) {
    // Overlap: the slice starts inside the header or another slice.
    const other = 8 + ent * rng.int(n);
    const o = rng.pick([0, 4, 8, getField(buf, { ...offF, off: other + 8 }) + rng.int(64)]);
    setField(buf, offF, o);
    return { data: buf, how: `${offF.what}=0x${o.toString(16)} (overlap)` };
  }
  if (r < 7) {
    const s = rng.pick([buf.length, buf.length + 1, 0xffffffff, 0, 2 ** 40, 1]);
    setField(buf, rng.chance(0.5) ? sizeF : offF, s);
    return { data: buf, how: `arch${i} out of file (0x${s.toString(16)})` };
  }
  if (r < 8) {
    const c = rng.pick([0x01000007, 0x0100000c, 7, 0xffffffff, 0]);
    v.setUint32(h, c, false);
    return { data: buf, how: `arch${i}.cputype=0x${c.toString(16)}` };
  }
  if (r < 9) return { data: buf, how: flipBytes(buf, rng, 1 + rng.int(6), 0, Math.min(buf.length, 8 + ent * n)) };
  const cut = rng.int(Math.min(buf.length, 4096 + 64));
  return { data: buf.subarray(0, cut), how: `truncate at 0x${cut.toString(16)}` };
}

// --- TBD trees -----------------------------------------------------------------

type Path = (string | number)[];

function paths(tree: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (out.length > 2000) return out;
  if (Array.isArray(tree)) tree.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (tree !== null && typeof tree === "object")
    for (const [k, x] of Object.entries(tree)) paths(x, [...prefix, k], out);
  out.push(prefix);
  return out;
}

/** A placeholder that tbdText expands into `n` nested flow lists or mappings. */
function deepToken(n: number, asMap: boolean): string {
  return `@@deep:${n}:${asMap ? "map" : "list"}@@`;
}

/** A wrong-typed, huge or deeply nested value. */
function hostileValue(rng: Rng): unknown {
  switch (rng.int(10)) {
    case 0:
      return rng.int(100000);
    case 1:
      return rng.chance(0.5);
    case 2:
      return null;
    case 3:
      return {};
    case 4:
      return [];
    case 5:
      return Array.from({ length: 20000 + rng.int(30000) }, (_, i) => `_huge_${i}`);
    case 6:
      return deepToken(rng.chance(0.5) ? 200 + rng.int(4000) : 20000 + rng.int(100000), rng.chance(0.5));
    case 7:
      return "x".repeat(rng.int(100000));
    case 8:
      return [{ a: [1, { b: null }] }, "s", 3];
    default:
      return rng.pick(["", "'", '"', "- x", "[", "{a: b", ": :", "\t", "#", "!tag", "\u0000", "\u00ff\u2028"]);
  }
}

/**
 * One structure-aware edit of a TBD document tree (in place): a key deleted,
 * a value replaced by a wrong type, a huge list, a deep nest, or a new
 * unknown key. Returns a description.
 */
export function mutateTbdTree(tree: Record<string, unknown>, rng: Rng): string {
  const all = paths(tree).filter((p) => p.length > 0);
  const p = rng.pick(all);
  let parent: unknown = tree;
  for (const k of p.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[k];
  const key = p[p.length - 1]!;
  const container = parent as Record<string | number, unknown>;
  const r = rng.int(10);
  if (r < 3) {
    if (Array.isArray(container)) container.splice(key as number, 1);
    else delete container[key];
    return `delete ${p.join(".")}`;
  }
  if (r < 9) {
    const v = hostileValue(rng);
    container[key] = v;
    const d = Array.isArray(v)
      ? `list(${v.length})`
      : typeof v === "string"
        ? `string(${v.length})`
        : JSON.stringify(v);
    return `${p.join(".")} = ${d?.slice(0, 60)}`;
  }
  const k = rng.pick(["zzz", "exports", "install-name", "targets", "symbols", "libraries", "0"]);
  (Array.isArray(container) ? (container as unknown as Record<string, unknown>) : container)[k] = hostileValue(rng);
  return `add ${[...p.slice(0, -1), k].join(".")}`;
}

/** Text-level damage to a TBD: byte flips, a line deleted or re-indented, a tab, truncation. */
export function mutateText(text: string, rng: Rng): { text: string; how: string } {
  const lines = text.split("\n");
  const i = rng.int(lines.length);
  switch (rng.int(8)) {
    case 0:
      lines.splice(i, 1);
      return { text: lines.join("\n"), how: `delete line ${i + 1}` };
    case 1:
      lines[i] = " ".repeat(rng.int(9)) + lines[i]!.trimStart();
      return { text: lines.join("\n"), how: `re-indent line ${i + 1}` };
    case 2:
      lines[i] = `\t${lines[i]}`;
      return { text: lines.join("\n"), how: `tab on line ${i + 1}` };
    case 6: {
      // A staircase of block sequences, or a line of blanks (nesting and backtracking).
      const n = 300 + rng.int(3000);
      const stairs = Array.from({ length: n }, (_, k) => `${" ".repeat(k + 2)}-`).join("\n");
      lines[i] = rng.chance(0.5) ? `${stairs} x` : `k${" ".repeat(n * 50)}${rng.pick(["x", "x: y", ":"])}`;
      return { text: lines.join("\n"), how: `hostile line ${i + 1}` };
    }
    case 3: {
      const cut = rng.int(text.length);
      return { text: text.slice(0, cut), how: `truncate at ${cut}` };
    }
    default: {
      const b = enc.encode(text);
      const how = flipBytes(b, rng, 1 + rng.int(6));
      return { text: latin1.decode(b), how };
    }
  }
}
