/**
 * The debug map: STABS entries that tell `dsymutil` (and lldb) where an
 * image's code and data came from, so DWARF can stay in the objects.
 *
 * ld64 does not copy DWARF into the image. It leaves it in the `.o` files
 * and writes, among the local symbols, a map from each object to the
 * addresses its symbols got (Apple `mach-o/stab.h`; ld64's
 * `OutputFile::synthesizeDebugNotes`; lld's `SymtabSection::emitStabs`).
 * `dsymutil` follows the map, reads each object's DWARF, relinks it to the
 * image's addresses and writes a `.dSYM`. First, one `N_AST` per
 * `-add_ast_path` (the module file's path, its mtime in n_value), as ld64;
 * then for each object with a compile unit, in input order:
 *
 * - `N_SO` naming the source's directory (ending in `/`) and `N_SO` naming
 *   its file, from the compile unit's `DW_AT_comp_dir` and `DW_AT_name`
 *   (ld64 splits the path in two; lld writes one `N_SO` with the whole path);
 * - `N_OSO` naming the object by absolute path, `lib.a(member.o)` for an
 *   archive member, with its modification time in n_value (0 when the
 *   environment sets `ZERO_AR_DATE`, as ld64 and lld do), n_sect the
 *   object's CPU subtype and n_desc 1;
 * - per function (a symbol in a code section: `S_REGULAR`/`S_COALESCED` with
 *   only `S_ATTR_PURE_INSTRUCTIONS`, as lld's `isCodeSection`):
 *   `N_BNSYM` (section, address), `N_FUN` (name, section, address),
 *   `N_FUN` (no name, n_value the function's size), `N_ENSYM` (section,
 *   size);
 * - per data symbol: `N_STSYM` (a file-local static) or `N_GSYM` (a
 *   global, private externs included), with section and address;
 * - a closing `N_SO` with no name and n_sect 1.
 *
 * Symbols appear in the map exactly when they are in the symbol table (so
 * `-x` drops the local ones, as lld), except absolute symbols and symbols
 * whose atom was folded into another's. Within an object they go in address
 * order. The map is written before the other local symbols (lld's order, and
 * where ld64 puts it), and counts among `LC_DYSYMTAB`'s locals.
 *
 * A function's size is the distance to the next symbol of its input section
 * (or the section's end), the same size the object's atomization gives it.
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { AtomFlag, type InputFile, type LinkContext, SymFlag, SymKind, type SymbolId } from "@tsld/core";
import { type CompileUnitName, readCompileUnitName } from "@tsld/dwarf";
import {
  N_AST,
  N_BNSYM,
  N_ENSYM,
  N_FUN,
  N_GSYM,
  N_OSO,
  N_SO,
  N_STSYM,
  S_ATTR_PURE_INSTRUCTIONS,
  S_COALESCED,
  S_REGULAR,
  SECTION_ATTRIBUTES_USR,
  sectionType,
} from "@tsld/macho-format";

/** One STABS nlist entry (`name` "" is string index 1, the empty string). */
export interface Stab {
  type: number;
  sect: number;
  desc: number;
  value: number;
  name: string;
}

/**
 * The debug map for the symbols `syms` (the table's locals and external
 * definitions, `names` their output names), or none unless
 * `options.debugInfo` is `"stabs"`. Addresses must be final.
 *
 * Every function gets four entries, so the map is as long as the symbol
 * table or more: it is built from typed columns (entries ordered by a
 * numeric sort, function sizes from each code section's sorted symbol
 * offsets), with one object per entry written and none per step.
 */
export function buildStabs(ctx: LinkContext, syms: readonly SymbolId[], names: readonly string[]): Stab[] {
  if (ctx.options.debugInfo !== "stabs") return [];
  const T = ctx.syms;
  const A = ctx.atoms;
  const S = ctx.sections;
  const units = new Map<number, CompileUnitName | undefined>();
  const unitOf = (f: InputFile): CompileUnitName | undefined => {
    if (!units.has(f.id)) units.set(f.id, compileUnit(ctx, f));
    return units.get(f.id);
  };
  // The entries: index into `syms` (by file), with their addresses.
  const nFiles = ctx.files.length;
  const fileOf = new Int32Array(syms.length).fill(-1);
  const address = new Float64Array(syms.length);
  const perFile = new Int32Array(nFiles + 1);
  let minAddr = Number.POSITIVE_INFINITY;
  let maxAddr = 0;
  for (let i = 0; i < syms.length; i++) {
    const s = syms[i]!;
    if (T.kind[s] !== SymKind.Defined) continue;
    const atom = T.atom[s]!;
    if (atom < 0 || A.foldedInto[atom] !== atom || (A.flags[atom]! & AtomFlag.Live) === 0) continue;
    const fid = A.file[atom]!;
    const f = ctx.files[fid];
    if (!f || f.kind !== "object" || !unitOf(f)) continue;
    const a = A.address[atom]! + T.value[s]!;
    fileOf[i] = fid;
    address[i] = a;
    perFile[fid + 1]!++;
    if (a < minAddr) minAddr = a;
    if (a > maxAddr) maxAddr = a;
  }
  for (let k = 0; k < nFiles; k++) perFile[k + 1] = perFile[k + 1]! + perFile[k]!;
  const count = perFile[nFiles]!;
  const order = new Int32Array(count);
  const fill = perFile.slice(0, nFiles);
  for (let i = 0; i < syms.length; i++) if (fileOf[i]! >= 0) order[fill[fileOf[i]!]!++] = i;
  // Within a file: by address, then symbol id.
  const slot = new Int32Array(T.count);
  for (let k = 0; k < nFiles; k++)
    sortByAddress(order.subarray(perFile[k]!, perFile[k + 1]!), syms, address, minAddr, maxAddr, slot);

  const out: Stab[] = [];
  const zero = process.env.ZERO_AR_DATE !== undefined && process.env.ZERO_AR_DATE !== "";
  // -add_ast_path: module files first, as ld64 writes them (n_value: their mtime).
  for (const p of ctx.options.astPaths)
    out.push({ type: N_AST, sect: 0, desc: 0, value: zero ? 0 : fileMtime(p), name: p });
  const sizes = new SymbolSizes(ctx);
  let last = -1;
  for (let j = 0; j < count; j++) {
    const i = order[j]!;
    const s = syms[i]!;
    const fid = fileOf[i]!;
    const f = ctx.files[fid]!;
    if (fid !== last) {
      if (last >= 0) out.push({ type: N_SO, sect: 1, desc: 0, value: 0, name: "" });
      last = fid;
      const { dir, file } = sourcePath(unitOf(f)!);
      out.push({ type: N_SO, sect: 0, desc: 0, value: 0, name: dir });
      out.push({ type: N_SO, sect: 0, desc: 0, value: 0, name: file });
      const path = f.member === undefined ? resolve(f.path) : `${resolve(f.path)}(${f.member})`;
      const cpusubtype = f.data.length >= 12 ? new DataView(f.data.buffer, f.data.byteOffset).getUint32(8, true) : 0;
      out.push({ type: N_OSO, sect: cpusubtype & 0xff, desc: 1, value: zero ? 0 : mtime(f), name: path });
      sizes.file(f);
    }
    const atom = T.atom[s]!;
    const sect = A.out[atom]! + 1;
    const sid = A.section[atom]!;
    const value = address[i]!;
    const name = names[i]!;
    if (isCodeSection(S.flags[sid]!)) {
      const size = sizes.of(s, sid, atom);
      out.push({ type: N_BNSYM, sect, desc: 0, value, name: "" });
      out.push({ type: N_FUN, sect, desc: 0, value, name });
      out.push({ type: N_FUN, sect: 0, desc: 0, value: size, name: "" });
      out.push({ type: N_ENSYM, sect, desc: 0, value: size, name: "" });
    } else {
      const global = T.has(s, SymFlag.External);
      out.push({ type: global ? N_GSYM : N_STSYM, sect, desc: 0, value, name });
    }
  }
  if (last >= 0) out.push({ type: N_SO, sect: 1, desc: 0, value: 0, name: "" });
  return out;
}

/**
 * Sorts `idx` (indices into `syms`) by (address, symbol id): by one
 * numeric key per entry (relative address, symbol id) when the pair fits
 * in a double exactly, else by comparison.
 */
function sortByAddress(
  idx: Int32Array,
  syms: readonly SymbolId[],
  address: Float64Array,
  minAddr: number,
  maxAddr: number,
  slot: Int32Array,
): void {
  const n = idx.length;
  if (n < 2) return;
  // `slot`: symbol id → index into `syms` (one entry per symbol).
  const scale = slot.length + 1;
  if ((maxAddr - minAddr + 1) * scale <= Number.MAX_SAFE_INTEGER) {
    const keys = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      const i = idx[j]!;
      const s = syms[i]!;
      keys[j] = (address[i]! - minAddr) * scale + s;
      slot[s] = i;
    }
    keys.sort();
    for (let j = 0; j < n; j++) idx[j] = slot[keys[j]! % scale]!;
    return;
  }
  idx.sort((x, y) => address[x]! - address[y]! || syms[x]! - syms[y]!);
}

/**
 * Function sizes, one object at a time: a symbol runs to the next symbol's
 * offset in its input section (the object's own defined symbols), the last
 * to the section's end; a symbol the object does not list keeps its atom's
 * rest.
 */
class SymbolSizes {
  private readonly ctx: LinkContext;
  /** Per input section of the current object: its symbols' distinct offsets, ascending. */
  private offsets = new Map<number, Float64Array>();
  /** Per symbol: 1 + the id of the object that lists it among its defined symbols in its own atoms (0: none so far). */
  private readonly listedBy: Int32Array;
  private fileId = -1;

  constructor(ctx: LinkContext) {
    this.ctx = ctx;
    this.listedBy = new Int32Array(ctx.syms.count);
  }

  /** The object whose symbols follow. */
  file(f: InputFile): void {
    const T = this.ctx.syms;
    const A = this.ctx.atoms;
    const bySection = new Map<number, number[]>();
    const listedBy = this.listedBy;
    const mark = f.id + 1;
    this.fileId = f.id;
    for (const s of f.object?.syms ?? []) {
      if (s <= 0 || listedBy[s] === mark || T.kind[s] !== SymKind.Defined) continue;
      const atom = T.atom[s]!;
      if (atom < 0 || A.file[atom] !== f.id) continue;
      listedBy[s] = mark;
      const sid = A.section[atom]!;
      let offs = bySection.get(sid);
      if (!offs) bySection.set(sid, (offs = []));
      offs.push(A.offset[atom]! + T.value[s]!);
    }
    this.offsets = new Map();
    for (const [sid, offs] of bySection) this.offsets.set(sid, Float64Array.from(offs).sort());
  }

  /** The size of symbol `s` of the current object, in input section `sid` and atom `atom`. */
  of(s: SymbolId, sid: number, atom: number): number {
    const A = this.ctx.atoms;
    const T = this.ctx.syms;
    const offs = this.offsets.get(sid);
    if (!offs || this.listedBy[s] !== this.fileId + 1) return A.size[atom]! - T.value[s]!;
    const off = A.offset[atom]! + T.value[s]!;
    // The first offset above `off`.
    let lo = 0;
    let hi = offs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (offs[mid]! <= off) lo = mid + 1;
      else hi = mid;
    }
    const end = lo < offs.length ? offs[lo]! : this.ctx.sections.size[sid]!;
    return end - off;
  }
}

/** lld's `isCodeSection`: regular or coalesced, with S_ATTR_PURE_INSTRUCTIONS as its only user attribute. */
function isCodeSection(flags: number): boolean {
  const type = sectionType(flags);
  if (type !== S_REGULAR && type !== S_COALESCED) return false;
  return (flags & SECTION_ATTRIBUTES_USR) >>> 0 === S_ATTR_PURE_INSTRUCTIONS;
}

/** The source's directory (with a trailing `/`) and file name, as ld64's two N_SO entries. */
function sourcePath(u: CompileUnitName): { dir: string; file: string } {
  let full = u.name;
  if (!full.startsWith("/") && u.compDir !== "")
    full = u.compDir.endsWith("/") ? u.compDir + full : `${u.compDir}/${full}`;
  const slash = full.lastIndexOf("/");
  return { dir: full.slice(0, slash + 1), file: full.slice(slash + 1) };
}

/** Seconds since 1970 the object (or its archive member) was last modified; 0 when it cannot be read. */
function mtime(f: InputFile): number {
  return f.memberMtime ?? fileMtime(f.path);
}

/** Seconds since 1970 the file at `path` was last modified; 0 when it cannot be read. */
function fileMtime(path: string): number {
  try {
    return Math.floor(statSync(path).mtimeMs / 1000);
  } catch {
    return 0;
  }
}

/** The first compile unit's name and directory of an object, from its `__DWARF` sections. */
function compileUnit(ctx: LinkContext, f: InputFile): CompileUnitName | undefined {
  const ob = f.object;
  if (!ob) return undefined;
  const S = ctx.sections;
  const bytes = new Map<string, Uint8Array>();
  for (let k = 0; k < ob.sectionCount; k++) {
    const s = ob.firstSection + k;
    if (S.segnames[s] !== "__DWARF") continue;
    const o = S.dataOff[s]!;
    bytes.set(S.sectnames[s]!, f.data.subarray(o, o + S.size[s]!));
  }
  const info = bytes.get("__debug_info");
  const abbrev = bytes.get("__debug_abbrev");
  if (!info || !abbrev) return undefined;
  return readCompileUnitName({
    info,
    abbrev,
    str: bytes.get("__debug_str") ?? new Uint8Array(0),
    lineStr: bytes.get("__debug_line_str"),
    strOffsets: bytes.get("__debug_str_offs"),
  });
}
