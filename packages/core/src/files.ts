/**
 * Input files. Each command-line input (and each archive member pulled into
 * the link) is one `InputFile` with a `FileId` equal to its index in
 * `ctx.files`. Files are few compared with symbols and relocations, so they
 * are plain records; their bytes are zero-copy views of what was read.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { FileId, SectionId } from "./ids.js";

export type FileKind = "object" | "archive" | "dylib";

export interface ObjectInfo {
  /** mach_header flags. */
  headerFlags: number;
  subsectionsViaSymbols: boolean;
  symoff: number;
  nsyms: number;
  stroff: number;
  strsize: number;
  /** nlist index → SymbolId (globals shared, locals private). */
  syms: Int32Array;
  /** Section ordinal n (1-based, as in n_sect) is SectionId `firstSection + n - 1`. */
  firstSection: SectionId;
  sectionCount: number;
  /** LC_BUILD_VERSION (or LC_VERSION_MIN_MACOSX) if present. */
  platform?: { platform: number; minos: number; sdk: number };
  linkerOptions: string[][];
  /** LC_DATA_IN_CODE entries (8 bytes each: u32 input address, u16 length, u16 kind), if any. */
  dataInCode?: Uint8Array;
}

export interface DylibInfo {
  installName: string;
  currentVersion: number;
  compatibilityVersion: number;
  /** 1-based LC_LOAD_DYLIB ordinal, 0 until referenced and numbered. */
  ordinal: number;
  /** Exported names (Mach-O spelling) → export flags. */
  exports: Map<string, number>;
  /** Whether any of its symbols is used (only used dylibs get LC_LOAD_DYLIB). */
  used: boolean;
  /** Loaded through a re-export of another dylib: binds go to the parent. */
  parent?: FileId;
  /** The executable named by `-bundle_loader`: binds use the main-executable ordinal. */
  bundleLoader?: boolean;
  /** How the output loads it (ld64's `-weak-l`, `-needed-l`, `-reexport-l`…); normal when absent. */
  loadKind?: "normal" | "weak" | "needed" | "reexport";
}

export interface ArchiveMember {
  name: string;
  /** Offset of the member's bytes in the archive. */
  offset: number;
  size: number;
  /** The member header's modification time (seconds since 1970; 0 in deterministic archives). */
  mtime: number;
  /** FileId once pulled into the link, -1 before. */
  loaded: FileId;
}

export interface InputFile {
  id: FileId;
  path: string;
  /** Archive member name when this object came out of an archive. */
  member?: string;
  /** An archive member's modification time from its header (seconds); what a debug map's N_OSO records. */
  memberMtime?: number;
  kind: FileKind;
  data: Uint8Array;
  view: DataView;
  object?: ObjectInfo;
  dylib?: DylibInfo;
  members?: ArchiveMember[];
}

/** `path` or `path(member)`: how diagnostics name a file. */
export function fileName(f: InputFile): string {
  return f.member === undefined ? f.path : `${f.path}(${f.member})`;
}

/**
 * Reads the file at `path` into shared memory (one `SharedArrayBuffer` per
 * file, read once), so the parallel passes' workers copy section bytes from
 * it without a copy of their own. Throws the OS error as `readFileSync`
 * does (ENOENT, EISDIR, EACCES).
 */
export function readFileShared(path: string): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const out = new Uint8Array(new SharedArrayBuffer(size));
    let off = 0;
    while (off < size) {
      const n = readSync(fd, out, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    // A file that shrank while read: what was there.
    return off === size ? out : out.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}
