/**
 * Inputs for the fuzz and scale tests, written byte by byte (no clang, so
 * a million-symbol object costs milliseconds): minimal x86_64 Mach-O
 * objects, `ar` archives in the BSD (`#1/N` names, `__.SYMDEF`/`_64`) and
 * GNU (`/` and `/SYM64/` tables, `//` long names) forms, TBD documents
 * (v3/v4 YAML, v5 JSON) from one model, and universal (fat) wrappers.
 */

const enc = new TextEncoder();

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// --- Objects ---------------------------------------------------------------

export interface ObjSection {
  segname: string;
  sectname: string;
  /** Contents; omitted for zerofill sections, which give `size` instead. */
  data?: Uint8Array;
  size?: number;
  align: number;
  flags: number;
  relocs?: { address: number; symbol: number; pcrel: boolean; length: number; extern: boolean; type: number }[];
}

export interface ObjSymbol {
  name: string;
  /** n_type: N_SECT|N_EXT (0xf), N_SECT (0xe), N_UNDF|N_EXT (0x1). */
  type: number;
  /** 1-based section ordinal, 0 for undefined. */
  sect: number;
  desc?: number;
  /** Offset within the section (turned into an address), or n_value for others. */
  value: number;
}

/**
 * An MH_OBJECT: one LC_SEGMENT_64 with `sections` (addresses packed in
 * order), LC_BUILD_VERSION (macOS 11), LC_SYMTAB. `symbols` must already be
 * in nlist order (locals, then defined globals, then undefined).
 */
export function machObject(sections: readonly ObjSection[], symbols: readonly ObjSymbol[]): Uint8Array {
  const nsects = sections.length;
  const segCmd = 72 + 80 * nsects;
  const buildCmd = 24;
  const symtabCmd = 24;
  const sizeofcmds = segCmd + buildCmd + symtabCmd;
  let off = 32 + sizeofcmds;
  let addr = 0;
  const placed = sections.map((s) => {
    const al = 2 ** s.align;
    addr = Math.ceil(addr / al) * al;
    const size = s.data ? s.data.length : (s.size ?? 0);
    const r = { addr, size, offset: 0 };
    if (s.data) {
      off = Math.ceil(off / al) * al;
      r.offset = off;
      off += size;
    }
    addr += size;
    return r;
  });
  const vmsize = addr;
  const fileStart = 32 + sizeofcmds;
  const fileEnd = off;
  off = Math.ceil(off / 8) * 8;
  const relOffs = sections.map((s) => {
    const o = off;
    off += (s.relocs?.length ?? 0) * 8;
    return o;
  });
  const symoff = off;
  off += symbols.length * 16;
  // String table: index 0 is " " then NUL, as ld64 writes it (names are ASCII).
  const strx = new Array<number>(symbols.length);
  let strSize = 2;
  for (let i = 0; i < symbols.length; i++) {
    strx[i] = strSize;
    strSize += symbols[i]!.name.length + 1;
  }
  const strTable = Buffer.from(` \0${symbols.map((s) => `${s.name}\0`).join("")}`, "latin1");
  const stroff = off;
  const padded = Math.ceil(strSize / 8) * 8;
  const total = stroff + padded;
  const buf = new Uint8Array(total);
  const v = new DataView(buf.buffer);
  v.setUint32(0, 0xfeedfacf, true);
  v.setUint32(4, 0x01000007, true);
  v.setUint32(8, 3, true);
  v.setUint32(12, 1, true);
  v.setUint32(16, 3, true);
  v.setUint32(20, sizeofcmds, true);
  v.setUint32(24, 0x2000, true); // MH_SUBSECTIONS_VIA_SYMBOLS
  let c = 32;
  v.setUint32(c, 0x19, true);
  v.setUint32(c + 4, segCmd, true);
  v.setBigUint64(c + 32, BigInt(vmsize), true);
  v.setBigUint64(c + 40, BigInt(fileStart), true);
  v.setBigUint64(c + 48, BigInt(fileEnd - fileStart), true);
  v.setUint32(c + 56, 7, true);
  v.setUint32(c + 60, 7, true);
  v.setUint32(c + 64, nsects, true);
  sections.forEach((s, i) => {
    const h = c + 72 + 80 * i;
    buf.set(enc.encode(s.sectname.slice(0, 16)), h);
    buf.set(enc.encode(s.segname.slice(0, 16)), h + 16);
    v.setBigUint64(h + 32, BigInt(placed[i]!.addr), true);
    v.setBigUint64(h + 40, BigInt(placed[i]!.size), true);
    v.setUint32(h + 48, placed[i]!.offset, true);
    v.setUint32(h + 52, s.align, true);
    v.setUint32(h + 56, s.relocs?.length ? relOffs[i]! : 0, true);
    v.setUint32(h + 60, s.relocs?.length ?? 0, true);
    v.setUint32(h + 64, s.flags, true);
    if (s.data) buf.set(s.data, placed[i]!.offset);
    (s.relocs ?? []).forEach((r, k) => {
      const o = relOffs[i]! + 8 * k;
      v.setInt32(o, r.address, true);
      v.setUint32(
        o + 4,
        (r.symbol & 0xffffff) | (r.pcrel ? 1 << 24 : 0) | (r.length << 25) | (r.extern ? 1 << 27 : 0) | (r.type << 28),
        true,
      );
    });
  });
  c += segCmd;
  v.setUint32(c, 0x32, true);
  v.setUint32(c + 4, buildCmd, true);
  v.setUint32(c + 8, 1, true);
  v.setUint32(c + 12, 11 << 16, true);
  v.setUint32(c + 16, 11 << 16, true);
  c += buildCmd;
  v.setUint32(c, 2, true);
  v.setUint32(c + 4, symtabCmd, true);
  v.setUint32(c + 8, symoff, true);
  v.setUint32(c + 12, symbols.length, true);
  v.setUint32(c + 16, stroff, true);
  v.setUint32(c + 20, padded, true);
  symbols.forEach((s, i) => {
    const o = symoff + 16 * i;
    v.setUint32(o, strx[i]!, true);
    buf[o + 4] = s.type;
    buf[o + 5] = s.sect;
    v.setUint16(o + 6, s.desc ?? 0, true);
    const base = s.sect > 0 ? placed[s.sect - 1]!.addr : 0;
    v.setBigUint64(o + 8, BigInt(base + s.value), true);
  });
  buf.set(strTable, stroff);
  return buf;
}

const TEXT_FLAGS = 0x80000400; // S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS

/** `_main` that returns 0 and calls each of `calls` first (X86_64_RELOC_BRANCH). */
export function mainObject(calls: readonly string[] = [], extra: ObjSection[] = [], extraSyms: ObjSymbol[] = []) {
  const code = new Uint8Array(calls.length * 5 + 3);
  calls.forEach((_, i) => (code[i * 5] = 0xe8));
  code.set([0x31, 0xc0, 0xc3], calls.length * 5); // xor eax,eax; ret
  const text: ObjSection = {
    segname: "__TEXT",
    sectname: "__text",
    data: code,
    align: 4,
    flags: TEXT_FLAGS,
    relocs: calls.map((_, i) => ({ address: i * 5 + 1, symbol: 1 + i, pcrel: true, length: 2, extern: true, type: 2 })),
  };
  const syms: ObjSymbol[] = [
    { name: "_main", type: 0xf, sect: 1, value: 0 },
    ...calls.map((n) => ({ name: n, type: 0x1, sect: 0, value: 0 })),
  ];
  return machObject([text, ...extra], [...syms, ...extraSyms]);
}

/** A function `name` (ret), calling `callee` first when given. */
export function funcObject(name: string, callee?: string): Uint8Array {
  const code = callee ? Uint8Array.of(0xe8, 0, 0, 0, 0, 0xc3) : Uint8Array.of(0xc3);
  const syms: ObjSymbol[] = [{ name, type: 0xf, sect: 1, value: 0 }];
  if (callee) syms.push({ name: callee, type: 0x1, sect: 0, value: 0 });
  const relocs = callee ? [{ address: 1, symbol: 1, pcrel: true, length: 2, extern: true, type: 2 }] : [];
  return machObject([{ segname: "__TEXT", sectname: "__text", data: code, align: 0, flags: TEXT_FLAGS, relocs }], syms);
}

// --- Archives --------------------------------------------------------------

export interface ArMember {
  name: string;
  data: Uint8Array;
  /** Global names it defines (for the symbol table). */
  defines: readonly string[];
}

export type ArFlavor = "bsd" | "bsd64" | "gnu" | "gnu64" | "none";

function arHeader(name: string, size: number): Uint8Array {
  const h = `${name.padEnd(16)}${"0".padEnd(12)}${"0".padEnd(6)}${"0".padEnd(6)}${"644".padEnd(8)}${String(size).padEnd(10)}\`\n`;
  return enc.encode(h);
}

/**
 * An archive of `members` with a symbol table of the given flavour. BSD
 * archives store every member name as `#1/N` (name bytes, NUL-padded to 8,
 * before the data); GNU archives use `name/` when it fits in 15 bytes, else
 * `/offset` into a `//` member.
 */
export function archive(members: readonly ArMember[], flavor: ArFlavor): Uint8Array {
  const bsd = flavor === "bsd" || flavor === "bsd64";
  const w = flavor === "bsd64" || flavor === "gnu64" ? 8 : 4;
  // Member blobs (header + name + data + pad), without offsets yet.
  let longNames = "";
  const blobs = members.map((m) => {
    if (bsd) {
      const nameLen = Math.ceil((m.name.length + 1) / 8) * 8;
      const nameBytes = new Uint8Array(nameLen);
      nameBytes.set(enc.encode(m.name));
      const size = nameLen + m.data.length;
      const parts = [arHeader(`#1/${nameLen}`, size), nameBytes, m.data];
      if (size & 1) parts.push(enc.encode("\n"));
      return concat(parts);
    }
    let hname = `${m.name}/`;
    if (hname.length > 16) {
      hname = `/${longNames.length}`;
      longNames += `${m.name}/\n`;
    }
    const parts = [arHeader(hname, m.data.length), m.data];
    if (m.data.length & 1) parts.push(enc.encode("\n"));
    return concat(parts);
  });
  const longMember =
    !bsd && longNames.length > 0
      ? concat([arHeader("//", longNames.length), enc.encode(longNames), enc.encode(longNames.length & 1 ? "\n" : "")])
      : new Uint8Array(0);
  const entries: { name: string; member: number }[] = [];
  members.forEach((m, i) => {
    for (const d of m.defines) entries.push({ name: d, member: i });
  });
  const strs = enc.encode(entries.map((e) => `${e.name}\0`).join(""));
  let table = new Uint8Array(0);
  let tableSize = 0;
  if (flavor !== "none") {
    if (bsd) {
      const tname = w === 8 ? "__.SYMDEF_64" : "__.SYMDEF";
      const nameLen = Math.ceil((tname.length + 1) / 8) * 8;
      const strLen = Math.ceil(strs.length / w) * w;
      tableSize = 60 + nameLen + w + entries.length * 2 * w + w + strLen;
    } else {
      tableSize = 60 + w + entries.length * w + strs.length;
    }
  }
  const tableRaw = tableSize;
  tableSize += tableSize & 1;
  const first = 8 + tableSize + longMember.length;
  const offsets: number[] = [];
  let o = first;
  for (const b of blobs) {
    offsets.push(o);
    o += b.length;
  }
  if (flavor !== "none") {
    const t = new Uint8Array(tableSize);
    const v = new DataView(t.buffer);
    const put = (at: number, x: number, le: boolean) =>
      w === 4 ? v.setUint32(at, x, le) : v.setBigUint64(at, BigInt(x), le);
    if (bsd) {
      const tname = w === 8 ? "__.SYMDEF_64" : "__.SYMDEF";
      const nameLen = Math.ceil((tname.length + 1) / 8) * 8;
      t.set(arHeader(`#1/${nameLen}`, tableRaw - 60), 0);
      t.set(enc.encode(tname), 60);
      let p = 60 + nameLen;
      put(p, entries.length * 2 * w, true);
      p += w;
      let sx = 0;
      for (const e of entries) {
        put(p, sx, true);
        put(p + w, offsets[e.member]!, true);
        p += 2 * w;
        sx += enc.encode(e.name).length + 1;
      }
      const strLen = Math.ceil(strs.length / w) * w;
      put(p, strLen, true);
      t.set(strs, p + w);
    } else {
      t.set(arHeader(w === 8 ? "/SYM64/" : "/", tableRaw - 60), 0);
      if (tableSize > tableRaw) t[tableRaw] = 0x0a;
      let p = 60;
      put(p, entries.length, false);
      p += w;
      for (const e of entries) {
        put(p, offsets[e.member]!, false);
        p += w;
      }
      t.set(strs, p);
    }
    table = t;
  }
  return concat([enc.encode("!<arch>\n"), table, longMember, ...blobs]);
}

// --- TBDs ------------------------------------------------------------------

/** A TBD's content, the same for every version. */
export interface TbdModel {
  installName: string;
  currentVersion: string;
  symbols: string[];
  weak: string[];
  tlv: string[];
  reexports: string[];
}

export type TbdVersion = "v3" | "v4" | "v5";

/** The document tree each version would hold (what the mutator edits). */
export function tbdTree(m: TbdModel, ver: TbdVersion): Record<string, unknown> {
  if (ver === "v3")
    return {
      archs: ["x86_64"],
      platform: "macosx",
      "install-name": m.installName,
      "current-version": m.currentVersion,
      "compatibility-version": "1",
      exports: [
        {
          archs: ["x86_64"],
          symbols: m.symbols,
          "weak-def-symbols": m.weak,
          "thread-local-symbols": m.tlv,
          "re-exports": m.reexports,
        },
      ],
    };
  if (ver === "v4")
    return {
      "tbd-version": 4,
      targets: ["x86_64-macos"],
      "install-name": m.installName,
      "current-version": m.currentVersion,
      "reexported-libraries": m.reexports.length ? [{ targets: ["x86_64-macos"], libraries: m.reexports }] : [],
      exports: [
        { targets: ["x86_64-macos"], symbols: m.symbols, "weak-symbols": m.weak, "thread-local-symbols": m.tlv },
      ],
    };
  return {
    tapi_tbd_version: 5,
    main_library: {
      target_info: [{ target: "x86_64-macos", min_deployment: "11" }],
      install_names: [{ name: m.installName }],
      current_versions: [{ version: m.currentVersion }],
      reexported_libraries: m.reexports.length ? [{ names: m.reexports }] : [],
      exported_symbols: [{ text: { global: m.symbols, weak: m.weak }, data: { thread_local: m.tlv } }],
    },
  };
}

function yamlScalar(v: unknown): string {
  if (v === null || v === undefined) return "~";
  if (typeof v === "string") return /^[A-Za-z0-9_.$/-]+$/.test(v) && v !== "" ? v : `'${v.replace(/'/g, "''")}'`;
  return String(v);
}

function yamlFlow(v: unknown): string {
  if (Array.isArray(v)) return `[ ${v.map(yamlFlow).join(", ")} ]`;
  if (v !== null && typeof v === "object")
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${yamlScalar(k)}: ${yamlFlow(x)}`)
      .join(", ")} }`;
  return yamlScalar(v);
}

function yamlBlock(v: unknown, indent: string, out: string[]): void {
  if (Array.isArray(v)) {
    for (const x of v) {
      if (x !== null && typeof x === "object" && !Array.isArray(x) && Object.keys(x).length > 0) {
        const lines: string[] = [];
        yamlBlock(x, `${indent}  `, lines);
        lines[0] = `${indent}- ${lines[0]!.trimStart()}`;
        out.push(...lines);
      } else out.push(`${indent}- ${yamlFlow(x)}`);
    }
    return;
  }
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (Array.isArray(x) && x.some((e) => e !== null && typeof e === "object" && !Array.isArray(e))) {
      out.push(`${indent}${yamlScalar(k)}:`);
      yamlBlock(x, `${indent}  `, out);
    } else if (x !== null && typeof x === "object" && !Array.isArray(x) && Object.keys(x).length > 0) {
      out.push(`${indent}${yamlScalar(k)}:`);
      yamlBlock(x, `${indent}  `, out);
    } else out.push(`${indent}${yamlScalar(k)}: ${yamlFlow(x)}`);
  }
}

/**
 * Serializes a tree from tbdTree (possibly mutated) as the version's text.
 * A string `@@deep:N:list@@` (or `:map@@`) becomes N nested flow lists
 * (mappings) around a scalar, written directly so that no serializer recurses.
 */
export function tbdText(tree: unknown, ver: TbdVersion): string {
  let text: string;
  if (ver === "v5") text = JSON.stringify(tree, null, 1);
  else {
    const lines: string[] = [];
    if (tree !== null && typeof tree === "object") yamlBlock(tree, "", lines);
    else lines.push(yamlFlow(tree));
    text = `--- ${ver === "v4" ? "!tapi-tbd" : "!tapi-tbd-v3"}\n${lines.join("\n")}\n...\n`;
  }
  return text.replace(/(["']?)@@deep:(\d+):(list|map)@@\1/g, (_, _q, n: string, kind: string) => {
    const k = Number(n);
    const q = ver === "v5" ? '"' : "";
    return kind === "list"
      ? `${"[".repeat(k)}${q}_x${q}${"]".repeat(k)}`
      : `${`{${q}k${q}: `.repeat(k)}${q}_x${q}${"}".repeat(k)}`;
  });
}

// --- Fat files -------------------------------------------------------------

export interface FatSlice {
  cputype: number;
  cpusubtype: number;
  data: Uint8Array;
}

/** A universal file (FAT_MAGIC, or FAT_MAGIC_64 when `wide`), slices 4 KiB-aligned. */
export function fatFile(slices: readonly FatSlice[], wide = false): Uint8Array {
  const ent = wide ? 32 : 20;
  let off = 8 + ent * slices.length;
  const offs = slices.map((s) => {
    off = Math.ceil(off / 4096) * 4096;
    const o = off;
    off += s.data.length;
    return o;
  });
  const buf = new Uint8Array(off);
  const v = new DataView(buf.buffer);
  v.setUint32(0, wide ? 0xcafebabf : 0xcafebabe, false);
  v.setUint32(4, slices.length, false);
  slices.forEach((s, i) => {
    const h = 8 + ent * i;
    v.setUint32(h, s.cputype, false);
    v.setUint32(h + 4, s.cpusubtype, false);
    if (wide) {
      v.setBigUint64(h + 8, BigInt(offs[i]!), false);
      v.setBigUint64(h + 16, BigInt(s.data.length), false);
      v.setUint32(h + 24, 12, false);
    } else {
      v.setUint32(h + 8, offs[i]!, false);
      v.setUint32(h + 12, s.data.length, false);
      v.setUint32(h + 16, 12, false);
    }
    buf.set(s.data, offs[i]!);
  });
  return buf;
}
