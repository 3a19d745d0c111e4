/**
 * A Mach-O file as a toolkit user sees it: one object over the bytes that
 * names what the low-level readers leave as numbers.
 *
 * The rest of this package reads the format the way a linker needs it
 * (zero-copy accessors, no object per symbol); this module is the
 * convenience layer over them for people who want to look at a file:
 *
 * - any bytes: `Uint8Array`, Node's `Buffer`, an `ArrayBuffer` (what
 *   `fetch().arrayBuffer()` or `buf.buffer` give) or any `ArrayBufferView`;
 * - universal files (`mach-o/fat.h`): `fatSlices` lists the slices with
 *   their architecture names; `openMachO(bytes, { arch })` picks one;
 * - load commands named (`loadCommandName(LC_SEGMENT_64) === "LC_SEGMENT_64"`);
 * - `symbols()`: the `nlist_64` table as an iterable of named records;
 * - `exports()`: the export trie, wherever the file keeps it (LC_DYLD_INFO's
 *   export range or LC_DYLD_EXPORTS_TRIE);
 * - `fixups()`: rebases and binds, from dyld's opcode streams (LC_DYLD_INFO)
 *   or from chained fixups (LC_DYLD_CHAINED_FIXUPS), as addresses.
 *
 * Errors: malformed input throws `MachOFormatError` (with the file offset);
 * asking for an architecture a universal file lacks throws it too.
 */
import { type BinaryInput, toBytes } from "./bytes.js";
import * as C from "./constants.js";
import { decodeChainedFixups } from "./chained-fixups.js";
import { decodeBind, decodeRebase, decodeWeakBind } from "./dyld-info.js";
import { MachOFormatError } from "./errors.js";
import { type ExportEntry, parseExportTrie } from "./exports-trie.js";
import {
  type MachOFile,
  type Section64,
  dataViewOf,
  forEachLoadCommand,
  parseMachO,
  readCString,
  readFatHeader,
  readU64,
} from "./reader.js";

let lcNames: Map<number, string> | undefined;

/**
 * The `loader.h` name of load command `cmd` (`"LC_SEGMENT_64"` for 0x19,
 * `"LC_MAIN"` for 0x80000028); unknown commands give `"LC_0x…"` in hex.
 */
export function loadCommandName(cmd: number): string {
  if (lcNames === undefined) {
    lcNames = new Map();
    for (const [k, v] of Object.entries(C))
      if (k.startsWith("LC_") && k !== "LC_REQ_DYLD" && typeof v === "number" && !lcNames.has(v)) lcNames.set(v, k);
  }
  return lcNames.get(cmd >>> 0) ?? `LC_0x${(cmd >>> 0).toString(16)}`;
}

/** The usual name of a CPU type/subtype pair: `x86_64`, `x86_64h`, `arm64`, `arm64e`, `i386`, `arm64_32`, … */
export function cpuName(cputype: number, cpusubtype = 0): string {
  const sub = cpusubtype & ~C.CPU_SUBTYPE_MASK;
  switch (cputype >>> 0) {
    case C.CPU_TYPE_X86_64:
      return sub === C.CPU_SUBTYPE_X86_64_H ? "x86_64h" : "x86_64";
    case C.CPU_TYPE_I386:
      return "i386";
    case C.CPU_TYPE_ARM64:
      return sub === C.CPU_SUBTYPE_ARM64E ? "arm64e" : "arm64";
    case C.CPU_TYPE_ARM64_32:
      return "arm64_32";
    case C.CPU_TYPE_ARM:
      return "arm";
    case C.CPU_TYPE_POWERPC:
      return "ppc";
    case C.CPU_TYPE_POWERPC64:
      return "ppc64";
    default:
      return `cpu${cputype >>> 0}`;
  }
}

/** One architecture's Mach-O file inside a universal file (or the whole of a thin one). */
export interface FatSlice {
  /** `cpuName(cputype, cpusubtype)`. */
  arch: string;
  cputype: number;
  cpusubtype: number;
  /** Byte offset and size of the slice in the outer file. */
  offset: number;
  size: number;
  /** log2 of the slice's alignment (0 for a thin file). */
  align: number;
  /** The slice's bytes (a view into the outer file). */
  bytes: Uint8Array;
}

/**
 * The architecture slices of `input`: every `fat_arch` of a universal file
 * (`mach-o/fat.h`, 32- or 64-bit table), or one slice covering a thin
 * 64-bit Mach-O file. Throws `MachOFormatError` when it is neither.
 */
export function fatSlices(input: BinaryInput): FatSlice[] {
  const buf = toBytes(input);
  const fat = readFatHeader(buf);
  if (fat !== undefined)
    return fat.map((a) => ({
      arch: cpuName(a.cputype, a.cpusubtype),
      cputype: a.cputype,
      cpusubtype: a.cpusubtype,
      offset: a.offset,
      size: a.size,
      align: a.align,
      bytes: buf.subarray(a.offset, a.offset + a.size),
    }));
  const h = parseMachO(buf).header;
  return [
    {
      arch: cpuName(h.cputype, h.cpusubtype),
      cputype: h.cputype,
      cpusubtype: h.cpusubtype,
      offset: 0,
      size: buf.length,
      align: 0,
      bytes: buf,
    },
  ];
}

/** A load command, located and named. */
export interface LoadCommandInfo {
  index: number;
  cmd: number;
  /** `loadCommandName(cmd)`. */
  name: string;
  /** File offset of the command and its cmdsize. */
  offset: number;
  size: number;
}

/** One `nlist_64` entry with its name and decoded type bits (`mach-o/nlist.h`). */
export interface MachOSymbol {
  index: number;
  name: string;
  /** Raw n_type, n_sect, n_desc, n_value. */
  type: number;
  sect: number;
  desc: number;
  value: number;
  /** A debugger (stab) entry: `type & N_STAB`. */
  stab: boolean;
  /** N_EXT: visible outside its file. */
  external: boolean;
  /** N_PEXT: external in the object, made local by the link. */
  privateExternal: boolean;
  /** n_type & N_TYPE: `undefined` (with value 0; a common symbol if value > 0 in an object), `absolute`, `section`, `prebound`, `indirect`; `stab` for stabs. */
  kind: "undefined" | "absolute" | "section" | "prebound" | "indirect" | "stab";
  /** N_WEAK_DEF (defined) or N_WEAK_REF (undefined). */
  weak: boolean;
  /** For `section` symbols: the section n_sect names. */
  section?: Section64;
  /** For undefined symbols in two-level-namespace images: the dylib ordinal from n_desc (0 self, 0xfe dynamic lookup, 0xff main executable). */
  libraryOrdinal?: number;
}

/** A rebase or bind location, as a virtual address with its segment and section. */
export interface Fixup {
  kind: "rebase" | "bind" | "lazy-bind" | "weak-bind";
  address: number;
  segment: string;
  section: string;
  /** Binds: the symbol and the library ordinal (> 0 a dylib; 0 self; -1 main executable; -2 flat lookup; -3 weak lookup). */
  symbol?: string;
  ordinal?: number;
  /** The dylib's install name for ordinals > 0. */
  dylib?: string;
  addend?: number;
  weakImport?: boolean;
}

export interface OpenOptions {
  /** For universal files: the slice to open (`"x86_64"`, `"arm64"`, …); default the first 64-bit little-endian one. */
  arch?: string;
}

/**
 * Opens a Mach-O file (thin, or one slice of a universal file). Throws
 * `MachOFormatError` for malformed input or a missing `arch`.
 */
export function openMachO(input: BinaryInput, options: OpenOptions = {}): MachOImage {
  const buf = toBytes(input);
  const fat = readFatHeader(buf);
  if (fat === undefined) return new MachOImage(buf);
  const slices = fatSlices(buf);
  const pick = options.arch
    ? slices.find((s) => s.arch === options.arch)
    : slices.find((s) => (s.cputype & C.CPU_ARCH_ABI64) !== 0);
  if (!pick)
    throw new MachOFormatError(
      `universal file has no ${options.arch ?? "64-bit"} slice (has ${slices.map((s) => s.arch).join(", ")})`,
      0,
    );
  return new MachOImage(pick.bytes);
}

/** A parsed thin 64-bit Mach-O file: header and load commands parsed on construction; the rest on demand. */
export class MachOImage {
  readonly bytes: Uint8Array;
  /** Everything `parseMachO` reads: header, segments, sections, and the linkedit commands. */
  readonly file: MachOFile;

  constructor(input: BinaryInput) {
    this.bytes = toBytes(input);
    this.file = parseMachO(this.bytes);
  }

  get header(): MachOFile["header"] {
    return this.file.header;
  }
  get segments(): MachOFile["segments"] {
    return this.file.segments;
  }
  get sections(): MachOFile["sections"] {
    return this.file.sections;
  }
  /** `cpuName` of the header's CPU. */
  get arch(): string {
    return cpuName(this.file.header.cputype, this.file.header.cpusubtype);
  }

  /** Every load command in order, named. */
  loadCommands(): LoadCommandInfo[] {
    const out: LoadCommandInfo[] = [];
    forEachLoadCommand(this.bytes, this.file.header, (cmd, offset, size) =>
      out.push({ index: out.length, cmd, name: loadCommandName(cmd), offset, size }),
    );
    return out;
  }

  /** The symbol table in order (empty without LC_SYMTAB). Throws `MachOFormatError` if it lies outside the file. */
  *symbols(): IterableIterator<MachOSymbol> {
    const st = this.file.symtab;
    if (!st || st.nsyms === 0) return;
    const buf = this.bytes;
    if (st.symoff + st.nsyms * C.NLIST_64_SIZE > buf.length)
      throw new MachOFormatError(`symbol table (${st.nsyms} entries) extends past end of file`, st.symoff);
    if (st.stroff + st.strsize > buf.length)
      throw new MachOFormatError("string table extends past end of file", st.stroff);
    const view = dataViewOf(buf);
    const twoLevel = (this.file.header.flags & C.MH_TWOLEVEL) !== 0;
    for (let i = 0; i < st.nsyms; i++) {
      const o = st.symoff + i * C.NLIST_64_SIZE;
      const strx = view.getUint32(o, true);
      const type = buf[o + 4]!;
      const sect = buf[o + 5]!;
      const desc = view.getUint16(o + 6, true);
      const value = readU64(view, o + 8);
      const stab = (type & C.N_STAB) !== 0;
      const t = type & C.N_TYPE;
      const kind = stab
        ? "stab"
        : t === C.N_UNDF
          ? "undefined"
          : t === C.N_ABS
            ? "absolute"
            : t === C.N_SECT
              ? "section"
              : t === C.N_PBUD
                ? "prebound"
                : "indirect";
      const sym: MachOSymbol = {
        index: i,
        name: strx === 0 || strx >= st.strsize ? "" : readCString(buf, st.stroff + strx, st.stroff + st.strsize),
        type,
        sect,
        desc,
        value,
        stab,
        external: (type & C.N_EXT) !== 0,
        privateExternal: (type & C.N_PEXT) !== 0,
        kind,
        weak: !stab && (desc & (kind === "undefined" ? C.N_WEAK_REF : C.N_WEAK_DEF)) !== 0,
      };
      if (kind === "section" && sect > 0) {
        const s = this.file.sections[sect - 1];
        if (s) sym.section = s;
      }
      if (kind === "undefined" && twoLevel) sym.libraryOrdinal = C.getLibraryOrdinal(desc);
      yield sym;
    }
  }

  /** The raw export trie bytes, from LC_DYLD_EXPORTS_TRIE or LC_DYLD_INFO(_ONLY); empty if the file has none. */
  exportTrie(): Uint8Array {
    const f = this.file;
    const range = f.exportsTrie
      ? { off: f.exportsTrie.dataoff, size: f.exportsTrie.datasize }
      : f.dyldInfo
        ? { off: f.dyldInfo.exportOff, size: f.dyldInfo.exportSize }
        : undefined;
    if (!range || range.size === 0) return new Uint8Array(0);
    if (range.off + range.size > this.bytes.length)
      throw new MachOFormatError("export trie extends past end of file", range.off);
    return this.bytes.subarray(range.off, range.off + range.size);
  }

  /** Exported symbols in trie order; `address` is an offset from the mach header (add the __TEXT vmaddr for a VM address). */
  exports(): ExportEntry[] {
    const trie = this.exportTrie();
    return trie.length === 0 ? [] : parseExportTrie(trie);
  }

  /** The image's preferred load address: __TEXT's vmaddr (0 for objects). */
  get baseAddress(): number {
    return this.file.segments.find((s) => s.segname === "__TEXT")?.vmaddr ?? 0;
  }

  /** Rebases and binds in stream order (rebase, bind, lazy bind, weak bind), or from chained fixups. */
  fixups(): Fixup[] {
    const f = this.file;
    const out: Fixup[] = [];
    const segs = f.segments;
    const at = (segIndex: number, segOffset: number): { address: number; segment: string; section: string } => {
      const seg = segs[segIndex];
      if (!seg) throw new MachOFormatError(`fixup names segment ${segIndex}; the file has ${segs.length}`, 0);
      const address = seg.vmaddr + segOffset;
      const sec = seg.sections.find((s) => address >= s.addr && address < s.addr + s.size);
      return { address, segment: seg.segname, section: sec?.sectname ?? "" };
    };
    const dylib = (ordinal: number): string | undefined => (ordinal > 0 ? f.dylibs[ordinal - 1]?.name : undefined);
    const slice = (off: number, size: number): Uint8Array => {
      if (off + size > this.bytes.length) throw new MachOFormatError("dyld info extends past end of file", off);
      return this.bytes.subarray(off, off + size);
    };
    if (f.dyldInfo) {
      const d = f.dyldInfo;
      for (const r of decodeRebase(slice(d.rebaseOff, d.rebaseSize), segs))
        out.push({ kind: "rebase", ...at(r.segIndex, r.segOffset) });
      const binds = (kind: Fixup["kind"], off: number, size: number, lazy: boolean): void => {
        for (const b of decodeBind(slice(off, size), lazy)) {
          const fx: Fixup = {
            kind,
            ...at(b.segIndex, b.segOffset),
            symbol: b.symbol,
            ordinal: b.ordinal,
            addend: b.addend,
            weakImport: (b.flags & C.BIND_SYMBOL_FLAGS_WEAK_IMPORT) !== 0,
          };
          const name = dylib(b.ordinal);
          if (name !== undefined) fx.dylib = name;
          out.push(fx);
        }
      };
      binds("bind", d.bindOff, d.bindSize, false);
      binds("lazy-bind", d.lazyBindOff, d.lazyBindSize, true);
      for (const b of decodeWeakBind(slice(d.weakBindOff, d.weakBindSize)).binds)
        out.push({ kind: "weak-bind", ...at(b.segIndex, b.segOffset), symbol: b.symbol, addend: b.addend });
    } else if (f.chainedFixups && f.chainedFixupsCmdOff !== undefined) {
      const cf = decodeChainedFixups(this.bytes, f.chainedFixupsCmdOff, segs);
      for (const r of cf.rebases) out.push({ kind: "rebase", ...at(r.segIndex, r.segOffset) });
      for (const b of cf.binds) {
        const fx: Fixup = {
          kind: "bind",
          ...at(b.segIndex, b.segOffset),
          symbol: b.symbol,
          ordinal: b.libOrdinal,
          addend: b.addend,
          weakImport: b.weakImport,
        };
        const name = dylib(b.libOrdinal);
        if (name !== undefined) fx.dylib = name;
        out.push(fx);
      }
    }
    return out;
  }
}
