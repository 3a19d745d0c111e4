/*
 * `-buildmode=c-archive`: the `go.o` (and any host objects) in a static
 * archive a C program links against, Go's `archive()` step, written here
 * rather than by the host `ar` so the bytes are the same on every host.
 *
 * Format: BSD/Darwin `ar` (cctools `ar.h`, `ranlib.h`), what Apple's `ar` and
 * `llvm-ar --format=darwin` write and what ld64, ld64.lld and tsld read:
 *
 *   "!<arch>\n"
 *   member: a 60-byte header (name[16] date[12] uid[6] gid[6] mode[8]
 *           size[10] "`\n", text fields space-padded), then the data; a name
 *           is written `#1/N` with the N-byte name (NUL-padded to keep the
 *           data 8-aligned) at the start of the data; each member is padded
 *           so the next header starts 8-aligned.
 *   first member "__.SYMDEF SORTED": u32 byte size of an array of
 *           `struct ranlib { u32 ran_strx; u32 ran_off; }` (ran_off: offset of
 *           the defining member's header), then u32 string-table size and the
 *           NUL-terminated names; little-endian; entries sorted by name (the
 *           SORTED promise: linkers may binary-search it).
 *
 * Dates, uids and gids are 0 and modes 644: the archive is deterministic, as
 * Go makes it (epoch timestamps, Go issue 64947).
 */
import {
  LC_SYMTAB,
  N_EXT,
  N_STAB,
  N_TYPE,
  N_UNDF,
  forEachLoadCommand,
  nlistStrx,
  nlistType,
  nlistValue,
  readCString,
  readMachHeader,
  readSymtabCommand,
} from "@tsld/macho-format";

export interface ArchiveMemberInput {
  name: string;
  data: Uint8Array;
}

const HEADER = 60;
const enc = new TextEncoder();
const align8 = (n: number): number => (n + 7) & ~7;

/**
 * The global symbols a Mach-O object defines (N_EXT, not undefined; commons
 * included, as `ranlib -c` would), in symbol-table order. Throws on a file
 * that is not a Mach-O object.
 */
export function definedSymbols(data: Uint8Array): string[] {
  const hdr = readMachHeader(data);
  const out: string[] = [];
  forEachLoadCommand(data, hdr, (cmd, off) => {
    if (cmd !== LC_SYMTAB) return;
    const st = readSymtabCommand(data, off);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < st.nsyms; i++) {
      const type = nlistType(view, st.symoff, i);
      if (type & N_STAB || !(type & N_EXT)) continue;
      if ((type & N_TYPE) === N_UNDF && nlistValue(view, st.symoff, i) === 0) continue;
      out.push(readCString(data, st.stroff + nlistStrx(view, st.symoff, i), st.stroff + st.strsize));
    }
  });
  return out;
}

function header(name: string, size: number): Uint8Array {
  const field = (s: string, w: number): string => s.padEnd(w, " ").slice(0, w);
  return enc.encode(
    `${field(name, 16)}${field("0", 12)}${field("0", 6)}${field("0", 6)}${field("644", 8)}${field(String(size), 10)}\`\n`,
  );
}

/**
 * Bytes of a `#1/N` name field: the name, NUL-padded so the data after it
 * starts 8-aligned (a header starts 8-aligned and is 60 bytes, so N ≡ 4 mod 8).
 */
function nameField(name: string): number {
  return align8(enc.encode(name).length + 1 + 4) - 4;
}

/** One member's bytes: header, `#1/N` name, data, padding to 8. */
function member(name: string, data: Uint8Array): Uint8Array {
  const nameBytes = enc.encode(name);
  const nameLen = nameField(name);
  // Padded so the next header starts 8-aligned too (60 + size ≡ 0 mod 8).
  const size = align8(nameLen + data.length + 4) - 4;
  const out = new Uint8Array(HEADER + size);
  out.set(header(`#1/${nameLen}`, size), 0);
  out.set(nameBytes, HEADER);
  out.set(data, HEADER + nameLen);
  return out;
}

/**
 * The archive of `members`, with a `__.SYMDEF SORTED` table of every global
 * definition (a name defined by two members is listed for the first).
 */
export function writeArchive(members: readonly ArchiveMemberInput[]): Uint8Array {
  const syms = members.map((m) => definedSymbols(m.data));
  const entries: { name: string; member: number }[] = [];
  const seen = new Set<string>();
  syms.forEach((names, i) => {
    for (const n of names) {
      if (seen.has(n)) continue;
      seen.add(n);
      entries.push({ name: n, member: i });
    }
  });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // Symbol table member size, so member offsets are known before writing.
  const strOff = new Map<string, number>();
  let strSize = 0;
  for (const e of entries) {
    strOff.set(e.name, strSize);
    strSize += enc.encode(e.name).length + 1;
  }
  strSize = align8(strSize + 4) - 4;
  const tableData = 4 + entries.length * 8 + 4 + strSize;
  const tableMember = member("__.SYMDEF SORTED", new Uint8Array(tableData));
  const bodies = members.map((m) => member(m.name, m.data));
  const offsets: number[] = [];
  let off = 8 + tableMember.length;
  for (const b of bodies) {
    offsets.push(off);
    off += b.length;
  }
  // The table's data: after its header and name.
  const dataStart = HEADER + nameField("__.SYMDEF SORTED");
  const dv = new DataView(tableMember.buffer);
  let p = dataStart;
  dv.setUint32(p, entries.length * 8, true);
  p += 4;
  for (const e of entries) {
    dv.setUint32(p, strOff.get(e.name)!, true);
    dv.setUint32(p + 4, offsets[e.member]!, true);
    p += 8;
  }
  dv.setUint32(p, strSize, true);
  p += 4;
  for (const e of entries) {
    const b = enc.encode(e.name);
    tableMember.set(b, p + strOff.get(e.name)!);
  }
  const out = new Uint8Array(off);
  out.set(enc.encode("!<arch>\n"), 0);
  out.set(tableMember, 8);
  bodies.forEach((b, i) => out.set(b, offsets[i]!));
  return out;
}
