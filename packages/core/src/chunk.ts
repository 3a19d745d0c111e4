/**
 * Chunks: the pieces of the output file that are not input atoms, each one
 * object that knows its size and writes its own bytes (lld's `LoadCommand`,
 * `SyntheticSection` and `LinkEditSection`, mold's `Chunk`). The image is a
 * list of them: the mach header, the load commands, the synthetic sections
 * (GOT, stubs, stub helper, lazy and TLV pointers, `__init_offsets`), the
 * synthetic atoms among a section's input atoms (range-extension thunks) and the
 * `__LINKEDIT` blobs (dyld opcodes or chained fixups, export trie, function
 * starts, data in code, symbol, indirect symbol and string tables, code
 * signature). Emission asks every chunk its size, places it once, then
 * writes; a chunk the image does not need is simply not in the list.
 *
 * The interfaces live here, in core, because the stages that build chunks
 * and the stages that read them differ: layout builds the load commands (it
 * needs their total size to place `__text`) while macho builds the
 * `__LINKEDIT` blobs they point at, so a load command reads its blob through
 * `LinkContext.linkedit` when it is written, never by importing macho.
 */
import type { AtomId, SymbolId } from "./ids.js";

/** A piece of the output that sizes and writes itself. */
export interface Chunk {
  /** Bytes it occupies in the file; valid once it is finalized (and, for a `LinkEditChunk`, placed). */
  size(): number;
  /** Writes its bytes at `buf[off..off+size())`; `buf` is the whole output file. */
  writeTo(buf: Uint8Array, off: number): void;
}

/**
 * A synthetic section's contents (lld's `SyntheticSection`): sized when
 * layout creates it, written at its output section's file offset once
 * every address is known. Sections with indirect-symbol entries (stubs,
 * GOT, lazy and TLV pointers) list their symbols, one per slot.
 */
export interface SyntheticSection extends Chunk {
  readonly indirectSymbols?: readonly SymbolId[];
}

/**
 * A synthetic atom placed among an output section's input atoms (lld's
 * thunk `ConcatInputSection`): a range-extension thunk. Layout gives it its
 * atom (size `size()`) and address; it is written at that address once
 * every address is known.
 */
export interface AtomChunk extends Chunk {
  readonly atom: AtomId;
}

/** A load command (Apple `mach-o/loader.h` `load_command`): its `cmd`, a size fixed when layout creates it. */
export interface LoadCommand extends Chunk {
  readonly cmd: number;
  /** The path it carries (LC_LOAD_DYLINKER, LC_ID_DYLIB, LC_LOAD_DYLIB and kin, LC_RPATH), for `-headerpad_max_install_names`. */
  readonly path?: string;
}

/** A `__LINKEDIT` blob (lld's `LinkEditSection`): placed at `off`, `align`-aligned, in the order `LinkEdit.order` gives. */
export interface LinkEditChunk extends Chunk {
  /** Alignment of its file offset, in bytes. */
  readonly align: number;
  /** File offset, set when `__LINKEDIT` is laid out (before `size()` is read: the code signature's size depends on it). */
  off: number;
}

/** The symbol table blob, with the partition `LC_DYSYMTAB` describes. */
export interface SymbolTableChunk extends LinkEditChunk {
  /** nlist_64 entries: locals, then external definitions, then undefined symbols. */
  readonly nsyms: number;
  readonly nlocal: number;
  readonly nextdef: number;
  readonly nundef: number;
}

/** The indirect symbol table blob: one 32-bit entry per stub, GOT slot, lazy and TLV pointer. */
export interface IndirectSymbolTableChunk extends LinkEditChunk {
  readonly count: number;
}

/**
 * The image's `__LINKEDIT` blobs by role, set by macho's `planLinkedit`; a
 * blob the image lacks is absent. Load commands read their offsets and
 * sizes from here when they are written.
 */
export interface LinkEdit {
  chainedFixups?: LinkEditChunk;
  rebase?: LinkEditChunk;
  bind?: LinkEditChunk;
  weakBind?: LinkEditChunk;
  lazyBind?: LinkEditChunk;
  exportTrie?: LinkEditChunk;
  functionStarts?: LinkEditChunk;
  dataInCode?: LinkEditChunk;
  symtab?: SymbolTableChunk;
  indirectSymtab?: IndirectSymbolTableChunk;
  strtab?: LinkEditChunk;
  codeSignature?: LinkEditChunk;
}

/** `__LINKEDIT`'s file order, as cctools' `checkout.c` requires and ld64 and lld write it. */
export const LINKEDIT_ORDER: readonly (keyof LinkEdit)[] = [
  "chainedFixups",
  "rebase",
  "bind",
  "weakBind",
  "lazyBind",
  "exportTrie",
  "functionStarts",
  "dataInCode",
  "symtab",
  "indirectSymtab",
  "strtab",
  "codeSignature",
];
