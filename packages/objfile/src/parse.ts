/**
 * The per-object half of loading an object (lld's parallel `ObjFile`
 * parsing, mold's `parse`): everything that needs only the object's bytes,
 * so it runs on any thread (the `parseObject` worker task) while the main
 * thread merges objects into the link's tables in command-line order
 * (object.ts's `loadObject`).
 *
 * It reads the load commands and checks what must hold for the rest to be
 * read (symbol table and sections inside the file); cuts sections into atoms
 * (ld64's atomization: symbol starts, literals, `__eh_frame` records);
 * classifies every nlist, with the atom and offset of each N_SECT one and the
 * FNV-1a hash of each external name (as the symbol table's `internBytes`
 * hashes it); and decodes every section's relocations into rows sorted by
 * address. Atoms are numbered from 0 in the object (the merge adds the
 * link's atom count), relocation targets name nlist indices (the merge maps
 * them to symbol ids). Nothing global is touched: the result depends on the
 * bytes alone, so it is the same whichever thread made it, and the merge
 * makes the same ids, in the same order, as one thread always did.
 *
 * Diagnostics are words, kept in the order one thread met them and tagged
 * with where the merge reports them (before the file is added, before its
 * atoms, at nlist i, after its symbols), so errors come out as before.
 */
import { AtomFlag, type CollectingTask, RelocAttr, RelocFlag, type TargetInfo, targetForCpu } from "@tsld/core";
import {
  LC_BUILD_VERSION,
  LC_DATA_IN_CODE,
  LC_LINKER_OPTION,
  LC_SEGMENT_64,
  LC_SYMTAB,
  LC_VERSION_MIN_MACOSX,
  MH_SUBSECTIONS_VIA_SYMBOLS,
  N_ALT_ENTRY,
  N_ABS,
  N_EXT,
  N_INDR,
  N_SECT,
  N_STAB,
  N_TYPE,
  N_UNDF,
  S_4BYTE_LITERALS,
  S_8BYTE_LITERALS,
  S_16BYTE_LITERALS,
  S_ATTR_DEBUG,
  S_ATTR_NO_DEAD_STRIP,
  S_CSTRING_LITERALS,
  S_INIT_FUNC_OFFSETS,
  S_MOD_INIT_FUNC_POINTERS,
  S_MOD_TERM_FUNC_POINTERS,
  type Section64,
  forEachLoadCommand,
  isZerofill,
  nlistDesc,
  nlistSect,
  nlistStrx,
  nlistType,
  nlistValue,
  readBuildVersion,
  readCString,
  readLinkeditData,
  readLinkerOption,
  readMachHeader,
  readSegment64,
  readSymtabCommand,
  readVersionMin,
  relocAddress,
  relocInfoWord,
  relocIsScattered,
  rExtern,
  rLength,
  rPcrel,
  rSymbolnum,
  rType,
  sectionType,
} from "@tsld/macho-format";
import { literalHash } from "./literals.js";
import { atomHolding } from "./relocs.js";

/** What the merge does with nlist i (`ParsedObject.symCode`). */
export const NlistCode = {
  /** Nothing (stabs, locals of no kept section, undefined locals, bad ones). */
  Skip: 0,
  /** N_SECT external: a definition in `symAtom` + `symDelta`. */
  SectGlobal: 1,
  /** N_SECT local. */
  SectLocal: 2,
  /** N_UNDF/N_PBUD external: a reference, or a common (n_value > 0). */
  Undefined: 3,
  /** N_UNDF external common over 4 GiB: interned, then nothing (the error is in `symErrors`). */
  UndefinedBad: 4,
  /** N_ABS. */
  Absolute: 5,
  /** N_INDR. */
  Indirect: 6,
} as const;

/**
 * One object's parse, in typed arrays (moved, not copied, from a worker).
 * Atom indices are the object's own (0 = its first atom, -1 none); nlist
 * indices stand for symbols until the merge maps them.
 */
export interface ParsedObject {
  /** A fatal error (the object is not loaded), worded in full. */
  fatal?: string;
  headerFlags: number;
  sects: Section64[];
  symtab: { symoff: number; nsyms: number; stroff: number; strsize: number };
  linkerOptions: string[][];
  platform?: { platform: number; minos: number; sdk: number };
  dice?: { dataoff: number; datasize: number };

  /** Per section: log2 alignment (pointer sections raised to 8 bytes), first atom (-1: none made), atom count. */
  secAlign: Uint8Array;
  secFirstAtom: Int32Array;
  secAtomCount: Int32Array;
  /** Per section: its relocation rows [start, end). */
  secRelocStart: Uint32Array;
  secRelocEnd: Uint32Array;

  /** Per atom: offset in its section, size, log2 alignment, AtomFlag bits, relocation rows [start, end). */
  atomOffset: Float64Array;
  atomSize: Float64Array;
  atomAlign: Uint8Array;
  atomFlags: Uint8Array;
  atomRelocStart: Uint32Array;
  atomRelocEnd: Uint32Array;
  /** Per atom of a literal section: the literal pool's hash of its bytes. */
  litHash: Uint32Array;

  /** Per nlist: `NlistCode`, atom and offset in it (N_SECT), name bytes [start, end) in the file, name hash, whether ASCII. */
  symCode: Uint8Array;
  symAtom: Int32Array;
  symDelta: Float64Array;
  nameStart: Int32Array;
  nameEnd: Int32Array;
  nameHash: Uint32Array;
  nameAscii: Uint8Array;

  /** Relocation rows as `Relocs` columns, but `sym`/`subSym` hold nlist indices (-1: none) and atoms are the object's. */
  rOffset: Uint32Array;
  rType: Uint8Array;
  rLength: Uint8Array;
  rFlags: Uint8Array;
  rSym: Int32Array;
  rAtom: Int32Array;
  rDelta: Float64Array;
  rAddend: Float64Array;
  rSubSym: Int32Array;
  rSubAtom: Int32Array;
  rSubDelta: Float64Array;
  /** Rows that could not be decoded, in row order: [row, why]; `why` undefined for an addend out of range (worded by the merge, which knows the symbol's name). */
  bad: [number, string | undefined][];

  /** Errors, in order: after the file is added (before atoms); at nlist `symErrAt[k]`; after the symbols (relocations). */
  fileErrors: string[];
  symErrAt: number[];
  symErrors: string[];
  relocErrors: string[];
}

/** Growable typed column for rows whose count is known only at the end. */
class Rows {
  n = 0;
  offset = new Uint32Array(64);
  type = new Uint8Array(64);
  length = new Uint8Array(64);
  flags = new Uint8Array(64);
  sym = new Int32Array(64);
  atom = new Int32Array(64);
  delta = new Float64Array(64);
  addend = new Float64Array(64);
  subSym = new Int32Array(64);
  subAtom = new Int32Array(64);
  subDelta = new Float64Array(64);

  constructor(cap: number) {
    if (cap > 64) this.grow(cap);
  }

  add(offset: number, type: number, length: number, flags: number): number {
    const i = this.n++;
    if (i >= this.offset.length) this.grow(i * 2);
    this.offset[i] = offset;
    this.type[i] = type;
    this.length[i] = length;
    this.flags[i] = flags;
    this.sym[i] = -1;
    this.atom[i] = -1;
    this.subSym[i] = -1;
    this.subAtom[i] = -1;
    return i;
  }

  private grow(cap: number): void {
    const g = <T extends Uint32Array | Uint8Array | Int32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(cap);
      b.set(a);
      return b;
    };
    this.offset = g(this.offset);
    this.type = g(this.type);
    this.length = g(this.length);
    this.flags = g(this.flags);
    this.sym = g(this.sym);
    this.atom = g(this.atom);
    this.delta = g(this.delta);
    this.addend = g(this.addend);
    this.subSym = g(this.subSym);
    this.subAtom = g(this.subAtom);
    this.subDelta = g(this.subDelta);
  }
}

/** The object's atoms while they are cut. */
class LocalAtoms {
  n = 0;
  offset = new Float64Array(64);
  size = new Float64Array(64);
  align = new Uint8Array(64);
  flags = new Uint8Array(64);
  lit = new Uint32Array(64);

  add(offset: number, size: number, align: number, flags: number): number {
    const i = this.n++;
    if (i >= this.offset.length) {
      const cap = i * 2;
      const g = <T extends Uint32Array | Uint8Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(cap);
        b.set(a);
        return b;
      };
      this.offset = g(this.offset);
      this.size = g(this.size);
      this.align = g(this.align);
      this.flags = g(this.flags);
      this.lit = g(this.lit);
    }
    this.offset[i] = offset;
    this.size[i] = size;
    this.align[i] = align;
    this.flags[i] = flags;
    return i;
  }
}

const fatal = (msg: string): ParsedObject => ({ fatal: msg }) as ParsedObject;

/** A section of DWARF (S_ATTR_DEBUG, or any in __DWARF): its relocations are decoded only with `debugRelocs`. */
export function isDebugSection(s: { flags: number; segname: string }): boolean {
  return (s.flags & S_ATTR_DEBUG) !== 0 || s.segname === "__DWARF";
}

/** Whether a link reads debug sections' relocations (`parseObject`'s `debugRelocs`): what copies DWARF out (Go-style __DWARF, -r). */
export function decodesDebugRelocs(o: { relocatable?: boolean; debugInfo?: string }): boolean {
  return o.relocatable === true || o.debugInfo === "dwarf";
}

/**
 * Parses object `data` (named `display` in messages): see the essay.
 * `debugRelocs`: decode the relocations of debug sections too (`-r`, or
 * DWARF copied out). Never throws for bad input; a result with `fatal` says
 * why the object cannot be loaded.
 */
export function parseObject(data: Uint8Array, display: string, debugRelocs: boolean): ParsedObject {
  let hdr: ReturnType<typeof readMachHeader>;
  try {
    hdr = readMachHeader(data);
  } catch (e) {
    return fatal(`${display}: ${(e as Error).message}`);
  }
  const target = targetForCpu(hdr.cputype);
  // (The merge checks the header first and words this error itself.)
  if (!target) return fatal(`${display}: unsupported CPU type`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const sects: Section64[] = [];
  let symtab = { symoff: 0, nsyms: 0, stroff: 0, strsize: 0 };
  const linkerOptions: string[][] = [];
  let platform: { platform: number; minos: number; sdk: number } | undefined;
  let dice: { dataoff: number; datasize: number } | undefined;
  try {
    forEachLoadCommand(data, hdr, (cmd, off) => {
      if (cmd === LC_SEGMENT_64) sects.push(...readSegment64(data, off, sects.length + 1).sections);
      else if (cmd === LC_SYMTAB) symtab = readSymtabCommand(data, off);
      else if (cmd === LC_LINKER_OPTION) linkerOptions.push(readLinkerOption(data, off));
      else if (cmd === LC_DATA_IN_CODE) dice = readLinkeditData(data, off);
      else if (cmd === LC_BUILD_VERSION) {
        const b = readBuildVersion(data, off);
        platform = { platform: b.platform, minos: b.minos, sdk: b.sdk };
      } else if (cmd === LC_VERSION_MIN_MACOSX) {
        const v = readVersionMin(data, off);
        platform = { platform: 1, minos: v.version, sdk: v.sdk };
      }
    });
  } catch (e) {
    return fatal(`${display}: ${(e as Error).message}`);
  }
  if (symtab.symoff + symtab.nsyms * 16 > data.length || symtab.stroff + symtab.strsize > data.length)
    return fatal(`${display}: symbol table runs past the end of the file`);
  for (const s of sects) {
    // Limits no real object reaches: 2^15-byte alignment (ld64's cap) and
    // 4 GiB sections; beyond them addresses would stop being meaningful.
    if (s.align > 15)
      return fatal(
        `${display}: section ${s.segname},${s.sectname} asks for 2^${s.align}-byte alignment (at most 2^15)`,
      );
    if (s.size > 0xffffffff)
      return fatal(`${display}: section ${s.segname},${s.sectname} is 0x${s.size.toString(16)} bytes (over 4 GiB)`);
    if (!isZerofill(s.flags) && s.size > 0 && s.offset + s.size > data.length)
      return fatal(`${display}: section ${s.segname},${s.sectname} runs past the end of the file`);
    if (s.nreloc > 0 && s.reloff + s.nreloc * 8 > data.length)
      return fatal(`${display}: relocations of ${s.segname},${s.sectname} run past the end of the file`);
  }
  const ns = sects.length;
  const fileErrors: string[] = [];
  const symErrAt: number[] = [];
  const symErrors: string[] = [];
  const relocErrors: string[] = [];

  // Symbol offsets per section: where atoms start.
  const { symoff, nsyms, stroff, strsize } = symtab;
  const cuts: number[][] = sects.map(() => []);
  for (let i = 0; i < nsyms; i++) {
    const type = nlistType(view, symoff, i);
    if (type & N_STAB || (type & N_TYPE) !== N_SECT) continue;
    const n = nlistSect(view, symoff, i);
    const s = sects[n - 1];
    if (!s) {
      fileErrors.push(`${display}: symbol ${i} names section ${n}, which does not exist`);
      continue;
    }
    if (nlistDesc(view, symoff, i) & N_ALT_ENTRY) continue;
    // A symbol outside its section cuts nothing (the symbol pass reports it).
    const cut = nlistValue(view, symoff, i) - s.addr;
    if (cut >= 0 && cut <= s.size) cuts[n - 1]!.push(cut);
  }

  const subsections = (hdr.flags & MH_SUBSECTIONS_VIA_SYMBOLS) !== 0;
  const A = new LocalAtoms();
  const secAlign = new Uint8Array(ns);
  const secFirstAtom = new Int32Array(ns).fill(-1);
  const secAtomCount = new Int32Array(ns);
  for (let k = 0; k < ns; k++) atomize(data, view, sects[k]!, k, subsections, cuts[k]!, A, secAlign, secFirstAtom);
  fixCounts(secFirstAtom, secAtomCount, A.n);

  /** The atom of section k holding offset `off` (binary search), or -1. */
  const findAtom = (k: number, off: number): number =>
    atomHolding(A.offset, A.size, secFirstAtom[k]!, secAtomCount[k]!, off);

  // Symbols.
  const symCode = new Uint8Array(nsyms);
  const symAtom = new Int32Array(nsyms).fill(-1);
  const symDelta = new Float64Array(nsyms);
  const nameStart = new Int32Array(nsyms);
  const nameEnd = new Int32Array(nsyms);
  const nameHash = new Uint32Array(nsyms);
  const nameAscii = new Uint8Array(nsyms);
  const strEnd = stroff + strsize;
  const strStart = (i: number): number => {
    const strx = nlistStrx(view, symoff, i);
    if (strx >= strsize) {
      symErrAt.push(i);
      symErrors.push(`${display}: symbol ${i} has a string index past the string table`);
      return strEnd;
    }
    return stroff + strx;
  };
  /** The name's bytes and (externals) hash, as `name(i)` and `global(i)` of one thread read them. */
  const global = (i: number): void => {
    const a = strStart(i);
    let e = a;
    while (e < strEnd && data[e] !== 0) e++;
    let h = 0x811c9dc5;
    let ascii = 1;
    for (let p = a; p < e; p++) {
      const c = data[p]!;
      h = Math.imul(h ^ c, 0x01000193);
      if (c & 0x80) ascii = 0;
    }
    nameStart[i] = a;
    nameEnd[i] = e;
    nameHash[i] = h >>> 0;
    nameAscii[i] = ascii;
  };
  const local = (i: number): void => {
    nameStart[i] = strStart(i);
  };
  for (let i = 0; i < nsyms; i++) {
    const type = nlistType(view, symoff, i);
    if (type & N_STAB) continue;
    const value = nlistValue(view, symoff, i);
    const ext = (type & N_EXT) !== 0;
    const kind = type & N_TYPE;
    if (kind === N_SECT) {
      const n = nlistSect(view, symoff, i);
      // n_sect 0 or past the last section (reported above): names nothing.
      if (n < 1 || n > ns) continue;
      const k = n - 1;
      const secOff = value - sects[k]!.addr;
      const atom = findAtom(k, secOff);
      if (atom < 0) {
        // A local label in a section that has no atoms (`__LD,__compact_unwind`,
        // debug sections; llvm-mc's arm64 `ltmpN` section starts) names nothing kept.
        if (!ext && (secFirstAtom[k]! < 0 || secAtomCount[k] === 0)) continue;
        const nm = readCString(data, strStart(i), strEnd);
        symErrAt.push(i);
        symErrors.push(
          `${display}: symbol ${nm} at 0x${value.toString(16)} lies outside ${sects[k]!.segname},${sects[k]!.sectname}`,
        );
        continue;
      }
      symAtom[i] = atom;
      symDelta[i] = secOff - A.offset[atom]!;
      if (ext) {
        global(i);
        symCode[i] = NlistCode.SectGlobal;
      } else {
        local(i);
        symCode[i] = NlistCode.SectLocal;
      }
    } else if (kind === N_UNDF || kind === 0xc /* N_PBUD */) {
      if (!ext) continue;
      global(i);
      symCode[i] = NlistCode.Undefined;
      if (kind === N_UNDF && value > 0xffffffff) {
        const nm = readCString(data, strStart(i), strEnd);
        symErrAt.push(i);
        symErrors.push(`${display}: common symbol ${nm} is 0x${value.toString(16)} bytes (over 4 GiB)`);
        symCode[i] = NlistCode.UndefinedBad;
      }
    } else if (kind === N_ABS) {
      if (ext) global(i);
      else local(i);
      symCode[i] = NlistCode.Absolute;
    } else if (kind === N_INDR) {
      if (ext) global(i);
      else local(i);
      symCode[i] = NlistCode.Indirect;
    }
  }

  // Relocations, decoded now that every atom exists. A debug section's are
  // read only by what copies DWARF out (Go-style __DWARF, -r): with a STABS
  // debug map or none, the DWARF stays in the objects unread.
  let total = 0;
  for (const s of sects) if (debugRelocs || !isDebugSection(s)) total += s.nreloc;
  const R = new Rows(total);
  const bad: [number, string | undefined][] = [];
  const secRelocStart = new Uint32Array(ns);
  const secRelocEnd = new Uint32Array(ns);
  const atomRelocStart = new Uint32Array(A.n);
  const atomRelocEnd = new Uint32Array(A.n);
  const dec: Decoder = {
    data,
    view,
    display,
    target,
    sects,
    symCode,
    symAtom,
    symDelta,
    nsyms,
    atoms: A,
    secFirstAtom,
    secAtomCount,
    findAtom,
    R,
    bad,
    errors: relocErrors,
    secRelocStart,
    secRelocEnd,
    atomRelocStart,
    atomRelocEnd,
  };
  for (let k = 0; k < ns; k++) {
    const s = sects[k]!;
    const debug = isDebugSection(s);
    decodeSection(dec, k, s.reloff, debug && !debugRelocs ? 0 : s.nreloc);
  }

  // The columns' first n elements (views: the buffers move whole).
  const cut = <T extends Uint32Array | Uint8Array | Int32Array | Float64Array>(a: T, n: number): T =>
    a.length === n ? a : (a.subarray(0, n) as T);
  const out: ParsedObject = {
    headerFlags: hdr.flags,
    sects,
    symtab,
    linkerOptions,
    secAlign,
    secFirstAtom,
    secAtomCount,
    secRelocStart,
    secRelocEnd,
    atomOffset: cut(A.offset, A.n),
    atomSize: cut(A.size, A.n),
    atomAlign: cut(A.align, A.n),
    atomFlags: cut(A.flags, A.n),
    atomRelocStart,
    atomRelocEnd,
    litHash: cut(A.lit, A.n),
    symCode,
    symAtom,
    symDelta,
    nameStart,
    nameEnd,
    nameHash,
    nameAscii,
    rOffset: cut(R.offset, R.n),
    rType: cut(R.type, R.n),
    rLength: cut(R.length, R.n),
    rFlags: cut(R.flags, R.n),
    rSym: cut(R.sym, R.n),
    rAtom: cut(R.atom, R.n),
    rDelta: cut(R.delta, R.n),
    rAddend: cut(R.addend, R.n),
    rSubSym: cut(R.subSym, R.n),
    rSubAtom: cut(R.subAtom, R.n),
    rSubDelta: cut(R.subDelta, R.n),
    bad,
    fileErrors,
    symErrAt,
    symErrors,
    relocErrors,
  };
  if (platform) out.platform = platform;
  if (dice) out.dice = dice;
  return out;
}

/** Each section's atom count: its atoms run to the next section's first atom (or the end). */
function fixCounts(first: Int32Array, count: Int32Array, total: number): void {
  let next = total;
  for (let k = first.length - 1; k >= 0; k--) {
    if (first[k]! < 0) continue;
    count[k] = next - first[k]!;
    next = first[k]!;
  }
}

/** The buffers of a parse, to move to the main thread. */
export function parsedBuffers(p: ParsedObject): ArrayBuffer[] {
  if (p.fatal !== undefined) return [];
  const arrays = [
    p.secAlign,
    p.secFirstAtom,
    p.secAtomCount,
    p.secRelocStart,
    p.secRelocEnd,
    p.atomOffset,
    p.atomSize,
    p.atomAlign,
    p.atomFlags,
    p.atomRelocStart,
    p.atomRelocEnd,
    p.litHash,
    p.symCode,
    p.symAtom,
    p.symDelta,
    p.nameStart,
    p.nameEnd,
    p.nameHash,
    p.nameAscii,
    p.rOffset,
    p.rType,
    p.rLength,
    p.rFlags,
    p.rSym,
    p.rAtom,
    p.rDelta,
    p.rAddend,
    p.rSubSym,
    p.rSubAtom,
    p.rSubDelta,
  ];
  const out = new Set<ArrayBuffer>();
  for (const a of arrays) if (a.buffer instanceof ArrayBuffer && a.buffer.byteLength > 0) out.add(a.buffer);
  return [...out];
}

/** Cuts section k into atoms (see object.ts's essay) and hashes its literals for the pool. */
function atomize(
  data: Uint8Array,
  view: DataView,
  s: Section64,
  k: number,
  subsections: boolean,
  cuts: number[],
  A: LocalAtoms,
  secAlign: Uint8Array,
  secFirstAtom: Int32Array,
): void {
  const flags = s.flags;
  const size = s.size;
  // Pointer-holding sections are pointer-aligned whatever the object says
  // (llvm-mc writes __thread_vars with 2^0; dyld needs 8-byte descriptors).
  const type = sectionType(flags);
  const pointers = [0x5, 0x6, 0x7, 0x9, 0xa, 0x13, 0x14].includes(type);
  const align = pointers ? Math.max(s.align, 3) : s.align;
  secAlign[k] = align;
  const seg = s.segname;
  const sect = s.sectname;
  if (flags & S_ATTR_DEBUG || seg === "__DWARF" || (seg === "__LD" && sect === "__compact_unwind")) return;
  const zf = isZerofill(flags);
  let base: number = AtomFlag.Live;
  if (zf) base |= AtomFlag.Zerofill;
  if (
    flags & S_ATTR_NO_DEAD_STRIP ||
    type === S_MOD_INIT_FUNC_POINTERS ||
    type === S_MOD_TERM_FUNC_POINTERS ||
    type === S_INIT_FUNC_OFFSETS
  )
    base |= AtomFlag.NoDeadStrip;
  secFirstAtom[k] = A.n;
  const dataOff = zf ? 0 : s.offset;
  if (type === S_CSTRING_LITERALS) {
    let start = 0;
    while (start < size) {
      let end = start;
      while (end < size && data[dataOff + end] !== 0) end++;
      const len = Math.min(end + 1, size) - start;
      // A string keeps the alignment its offset shows (lld: countr_zero(align | offset)),
      // so a .p2align'ed string stays aligned wherever it, or the copy it folds into, lands.
      const a = A.add(start, len, start === 0 ? align : Math.min(align, ctz(start)), base);
      A.lit[a] = literalHash(type, data, dataOff + start, len);
      start += len;
    }
  } else if (type === S_4BYTE_LITERALS || type === S_8BYTE_LITERALS || type === S_16BYTE_LITERALS) {
    const w = type === S_4BYTE_LITERALS ? 4 : type === S_8BYTE_LITERALS ? 8 : 16;
    for (let o = 0; o < size; o += w) {
      const a = A.add(o, w, Math.log2(w), base);
      A.lit[a] = literalHash(type, data, dataOff + o, w);
    }
  } else if (seg === "__TEXT" && sect === "__eh_frame") {
    // One atom per CIE/FDE record, so layout can keep only the FDEs of live
    // functions (and the CIEs they use); see layout's unwind.ts.
    let o = 0;
    while (o + 4 <= size) {
      const len32 = view.getUint32(dataOff + o, true);
      let len = 4 + len32;
      if (len32 === 0xffffffff && o + 12 <= size) len = 12 + Number(view.getBigUint64(dataOff + o + 4, true));
      len = Math.min(len, size - o);
      A.add(o, len, o === 0 ? align : Math.min(align, ctz(o)), base);
      o += len;
    }
    if (o < size) A.add(o, size - o, 0, base);
  } else if (subsections && cuts.length > 0) {
    cuts.sort((x, y) => x - y);
    let prev = 0;
    const starts: number[] = [];
    if (cuts[0]! > 0) starts.push(0);
    for (const c of cuts) if (c !== prev || starts.length === 0) starts.push((prev = c));
    for (let j = 0; j < starts.length; j++) {
      const st = starts[j]!;
      if (st >= size && size > 0) break;
      const e = j + 1 < starts.length ? Math.min(starts[j + 1]!, size) : size;
      // An atom's alignment: the section's, reduced by where it starts.
      A.add(st, e - st, st === 0 ? align : Math.min(align, ctz(st)), base);
    }
  } else {
    A.add(0, size, align, base);
  }
}

function ctz(n: number): number {
  let k = 0;
  while (k < 15 && (n & (1 << k)) === 0) k++;
  return k;
}

interface Decoder {
  data: Uint8Array;
  view: DataView;
  display: string;
  target: TargetInfo;
  sects: Section64[];
  symCode: Uint8Array;
  symAtom: Int32Array;
  symDelta: Float64Array;
  nsyms: number;
  atoms: LocalAtoms;
  secFirstAtom: Int32Array;
  secAtomCount: Int32Array;
  findAtom: (k: number, off: number) => number;
  R: Rows;
  bad: [number, string | undefined][];
  errors: string[];
  secRelocStart: Uint32Array;
  secRelocEnd: Uint32Array;
  atomRelocStart: Uint32Array;
  atomRelocEnd: Uint32Array;
}

/** Whether nlist `sn` gets a symbol id in the merge (what one thread's `syms[sn] !== 0` was). */
function hasSymbol(d: Decoder, sn: number): boolean {
  return sn < d.nsyms && d.symCode[sn]! !== 0;
}

/**
 * The one relocation decoder: a section's `relocation_info` entries
 * (`mach-o/reloc.h`) into rows that become `LinkContext.relocs` rows (see
 * core's relocs.ts), once, when its object is parsed. Targets are resolved
 * here: extern ones to the nlist index (the merge's symbol id),
 * section-relative ones (whose bytes hold the target's input address) to
 * the object's atom holding that address; embedded addends are read
 * through the target's `readAddend`; each SUBTRACTOR and its UNSIGNED
 * partner become one `Pair` row; an explicit-addend entry (arm64's
 * `ARM64_RELOC_ADDEND`, attribute `Addend`) becomes no row: its
 * `r_symbolnum` is the addend of the relocation after it.
 *
 * Rows of a section with atoms are sorted by address (assemblers write them
 * in descending order, a SUBTRACTOR or ADDEND just before its partner) and
 * handed out to its atoms as ranges; sections without atoms keep the
 * object's order.
 *
 * Reports entries outside the section (then the section gets none).
 */
function decodeSection(d: Decoder, k: number, reloff: number, nreloc: number): void {
  const A = d.atoms;
  const R = d.R;
  const first = d.secFirstAtom[k]!;
  const count = first < 0 ? 0 : d.secAtomCount[k]!;
  const s = d.sects[k]!;
  const secName = `${s.segname},${s.sectname}`;
  const emptyRange = (): void => {
    d.secRelocStart[k] = d.secRelocEnd[k] = R.n;
    for (let a = first; a < first + count; a++) d.atomRelocStart[a] = d.atomRelocEnd[a] = R.n;
  };
  if (nreloc === 0) {
    emptyRange();
    return;
  }
  const v = d.view;
  const target = d.target;
  const subtractorType = target.relocAttrs.findIndex((x) => (x & RelocAttr.Subtractor) !== 0);
  const addendType = target.relocAttrs.findIndex((x) => (x & RelocAttr.Addend) !== 0);
  const size = s.size;
  const zerofill = isZerofill(s.flags);
  // Sort key: address * 2 (+1 unless SUBTRACTOR or ADDEND), so either precedes its partner.
  const keys = new Float64Array(nreloc);
  for (let i = 0; i < nreloc; i++) {
    const off = reloff + i * 8;
    const addr = relocAddress(v, off);
    const w = relocInfoWord(v, off);
    // Every fixup must lie wholly inside bytes the section has.
    if (zerofill || relocIsScattered(v, off) || addr < 0 || addr + (1 << rLength(w)) > size) {
      const why = zerofill
        ? "in a zerofill section"
        : relocIsScattered(v, off)
          ? `scattered (not used on ${target.name})`
          : "outside the section";
      d.errors.push(`${d.display}: relocation ${i} of ${secName} at offset 0x${(addr >>> 0).toString(16)} is ${why}`);
      emptyRange();
      return;
    }
    keys[i] = addr * 2 + (rType(w) === subtractorType || rType(w) === addendType ? 0 : 1);
  }
  const order = new Uint32Array(nreloc);
  if (count === 0) {
    for (let i = 0; i < nreloc; i++) order[i] = i;
  } else {
    // Walking the table backwards by pairs gives ascending order with each
    // SUBTRACTOR or ADDEND first; anything else is sorted.
    let j = 0;
    for (let i = nreloc - 1; i >= 0; i--) {
      if (i > 0 && keys[i - 1]! === keys[i]! - 1) {
        order[j++] = i - 1;
        order[j++] = i;
        i--;
      } else order[j++] = i;
    }
    let sorted = true;
    for (let i = 1; i < nreloc && sorted; i++) if (keys[order[i]!]! < keys[order[i - 1]!]!) sorted = false;
    if (!sorted) {
      for (let i = 0; i < nreloc; i++) order[i] = i;
      order.sort((x, y) => keys[x]! - keys[y]! || x - y);
    }
  }

  const secIn = s.addr;
  const dataOff = zerofill ? 0 : s.offset;
  /**
   * The target of a section-relative reference to input address `addr` of
   * section ordinal `n`: sets `tAtom`/`tDelta`. The address may lie outside
   * every atom (a "section + addend" target such as `.quad L - _x - 16` or
   * `leaq L+64(%rip)` that the addend moves before the section, past its end
   * or into padding); like ld64 and lld, it is then placed from the section
   * as laid out: the first atom for addresses before the section, otherwise
   * the last atom starting at or before `addr`, with a negative or
   * past-the-end delta. `tAtom` is -1 only for a bad ordinal or a section
   * with no atoms.
   */
  let tAtom = -1;
  let tDelta = 0;
  const place = (n: number, addr: number): void => {
    tAtom = -1;
    tDelta = 0;
    if (n < 1 || n > d.sects.length) return;
    const tk = n - 1;
    const secOff = addr - d.sects[tk]!.addr;
    let a = d.findAtom(tk, secOff);
    if (a < 0) {
      const tfirst = d.secFirstAtom[tk]!;
      const tcount = d.secAtomCount[tk]!;
      if (tfirst < 0 || tcount === 0) return;
      let lo = 0;
      let hi = tcount - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (A.offset[tfirst + mid]! <= secOff) lo = mid;
        else hi = mid - 1;
      }
      a = tfirst + lo;
    }
    tAtom = a;
    tDelta = secOff - A.offset[a]!;
  };
  const start = R.n;
  const setBad = (row: number, why: string | undefined): void => {
    d.bad.push([row, why]);
  };
  function addendError(at: number, why: string): void {
    d.errors.push(
      `${d.display}: ${target.relocNames[addendType]} relocation at offset 0x${at.toString(16)} of ${secName} ${why}`,
    );
  }
  function setExtern(row: number, sn: number, stored: number): void {
    R.sym[row] = sn < d.nsyms ? sn : -1;
    R.addend[row] = stored;
    if (sn < d.nsyms) {
      R.atom[row] = d.symAtom[sn]!;
      R.delta[row] = d.symDelta[sn]!;
    }
    if (!hasSymbol(d, sn)) {
      R.flags[row]! |= RelocFlag.Bad;
      setBad(row, `relocation names symbol ${sn}, which is not a usable symbol`);
    } else if (!Number.isSafeInteger(stored)) {
      R.flags[row]! |= RelocFlag.Bad;
      setBad(row, undefined);
    }
  }
  // The addend an ADDEND entry gave the next relocation, and where.
  let explicitAddend = 0;
  let explicitAt = -1;
  for (let j = 0; j < nreloc; j++) {
    const i = order[j]!;
    const off = reloff + i * 8;
    const w = relocInfoWord(v, off);
    const type = rType(w);
    const len = rLength(w);
    const at = relocAddress(v, off);
    const ext = rExtern(w);
    const sn = rSymbolnum(w);
    if (type === addendType) {
      if (explicitAt >= 0) addendError(explicitAt, "is not followed by a relocation at its address");
      explicitAddend = (sn << 8) >> 8; // 24 bits, sign-extended
      explicitAt = at;
      continue;
    }
    let extra = 0;
    if (explicitAt >= 0) {
      if (explicitAt !== at || target.relocAttrs[type]! & RelocAttr.Pointer)
        addendError(explicitAt, `is followed by ${target.relocNames[type] ?? `type ${type}`} at 0x${at.toString(16)}`);
      else extra = explicitAddend;
      explicitAt = -1;
    }
    if (type === subtractorType) {
      const row = R.add(at, type, len, RelocFlag.Pair);
      const next = j + 1 < nreloc ? order[j + 1]! : -1;
      const w2 = next >= 0 ? relocInfoWord(v, reloff + next * 8) : -1;
      if (w2 === -1 || !(target.relocAttrs[rType(w2)]! & RelocAttr.Pointer)) {
        R.flags[row] = RelocFlag.Bad;
        setBad(row, "SUBTRACTOR relocation not followed by UNSIGNED");
        continue;
      }
      j++;
      R.type[row] = rType(w2);
      const stored = target.readAddend(v, dataOff + at, type, len, false);
      // The subtrahend: a symbol, or (section-relative) the fixup's own place.
      if (ext) {
        R.flags[row]! |= RelocFlag.SubExtern;
        R.subSym[row] = hasSymbol(d, sn) ? sn : -1;
        if (sn < d.nsyms) {
          R.subAtom[row] = d.symAtom[sn]!;
          R.subDelta[row] = d.symDelta[sn]!;
        }
      } else {
        // The bytes hold minuend - subtrahend + addend: a section-relative
        // subtrahend's address cannot be told from the addend (lld and LLVM's
        // JITLink refuse it too).
        R.flags[row] = RelocFlag.Bad;
        setBad(row, "SUBTRACTOR relocation must name a symbol (r_extern), not a section");
        continue;
      }
      const sn2 = rSymbolnum(w2);
      if (rExtern(w2)) {
        R.flags[row]! |= RelocFlag.Extern;
        setExtern(row, sn2, stored);
      } else {
        // A section-relative minuend holds B's input address (+ addend), which
        // may lie outside B's atom or section.
        place(sn2, stored);
        if (tAtom < 0) {
          R.flags[row]! |= RelocFlag.Bad;
          setBad(row, `SUBTRACTOR pair names section ${sn2}, which has no atoms`);
        }
        R.atom[row] = tAtom;
        R.delta[row] = tDelta;
      }
      continue;
    }
    const pcrel = rPcrel(w);
    const row = R.add(at, type, len, (pcrel ? RelocFlag.Pcrel : 0) | (ext ? RelocFlag.Extern : 0));
    const stored = target.readAddend(v, dataOff + at, type, len, pcrel) + extra;
    if (ext) {
      setExtern(row, sn, stored);
      continue;
    }
    if (pcrel) {
      const bias = target.pcrelBias(type);
      const tIn = secIn + at + bias + stored;
      place(sn, tIn);
      if (tAtom < 0) {
        R.flags[row]! |= RelocFlag.Bad;
        setBad(row, `pc-relative target 0x${tIn.toString(16)}: section ${sn} has no atoms`);
      }
      R.atom[row] = tAtom;
      R.delta[row] = tDelta;
      // Relative to where the target measures pc-relative values from, as extern displacements are.
      R.addend[row] = target.pcOffset - bias;
    } else {
      place(sn, stored);
      if (tAtom < 0) {
        R.flags[row]! |= RelocFlag.Bad;
        setBad(row, `absolute target 0x${stored.toString(16)}: section ${sn} has no atoms`);
      }
      R.atom[row] = tAtom;
      R.delta[row] = tDelta;
    }
  }

  if (explicitAt >= 0) addendError(explicitAt, "is not followed by a relocation at its address");

  d.secRelocStart[k] = start;
  d.secRelocEnd[k] = R.n;
  if (count === 0) return;
  let r = start;
  for (let a = first; a < first + count; a++) {
    const end = A.offset[a]! + A.size[a]!;
    d.atomRelocStart[a] = r;
    while (r < R.n && R.offset[r]! < end) r++;
    d.atomRelocEnd[a] = r;
  }
  if (r < R.n)
    d.errors.push(`${d.display}: relocation at offset 0x${R.offset[r]!.toString(16)} lies outside section ${secName}`);
}

/** What the main thread posts for a wave of objects: their bytes (shared) and names. */
export interface ParseSetup {
  data: Uint8Array[];
  display: string[];
  debugRelocs: boolean;
}

interface ParsePrepared {
  setup: ParseSetup;
  out: (ParsedObject | undefined)[];
}

/**
 * The worker task: item i parses object `setup.data[i]`; its value, moved
 * to the main thread, is the `ParsedObject`.
 */
export const parseTask: CollectingTask<ParseSetup, ParsePrepared, ParsedObject> = {
  name: "parseObject",
  // Parses ahead of the merge by at most this many objects (each parse is a few times its object's size).
  window: 16,
  // A parse's time grows with its object's bytes.
  weight: (setup, i) => setup.data[i]!.byteLength,
  prepare: (setup) => ({ setup, out: [] }),
  run(p, i) {
    p.out[i] = parseObject(p.setup.data[i]!, p.setup.display[i]!, p.setup.debugRelocs);
    return true;
  },
  take(p, i) {
    const value = p.out[i]!;
    p.out[i] = undefined;
    return { value, transfer: parsedBuffers(value) };
  },
};
