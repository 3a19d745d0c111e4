/**
 * The link context: one object threaded through every stage (Go's `*Link`,
 * mold's `Context`). It owns the options, diagnostics, timers and every
 * table the stages fill: input files, symbols, input sections, atoms, output
 * sections and segments, and the dynamic-linking tables layout builds.
 *
 * Stages fill it in order: objfile (files, symbols, sections, atoms),
 * layout (liveness, output sections, GOT/stubs, addresses, fixup sites),
 * dwarf (debug sections), macho (the image). No stage reaches into a later
 * one; a later stage only reads what earlier ones established.
 */
import type { Arch } from "./arch.js";
import { dynlinking } from "./buildmode.js";
import { Diagnostics } from "./diag.js";
import type { InputFile } from "./files.js";
import { growTo, type AtomId, type FileId, type OutSectionId, type SymbolId } from "./ids.js";
import type { LinkOptions } from "./options.js";
import { Atoms, InputSections, type OutputSection, type OutputSegment } from "./sections.js";
import { SymbolTable } from "./symbols.js";
import { Timers } from "./timer.js";

/** A pointer-sized dynamic fixup site inside an atom. */
export interface BindSite {
  atom: AtomId;
  offset: number;
  sym: SymbolId;
  addend: number;
}

/**
 * Dynamic fixups found in atoms while scanning relocations: sites dyld must
 * slide (rebase) or fill with an imported address (bind). Synthetic sections
 * (GOT, lazy pointers, TLV pointers) are not listed; their fixups follow from
 * `got`, `stubs` and `tlvPtrs`.
 */
export class FixupSites {
  rebaseCount = 0;
  rebaseAtom = new Int32Array(1024);
  rebaseOffset = new Float64Array(1024);
  readonly binds: BindSite[] = [];
  /**
   * Pointer sites holding the address of an exported weak definition of this
   * image: dyld may coalesce them onto another image's definition, so each
   * also gets a weak-bind entry (as ld64 and lld emit; MH_BINDS_TO_WEAK).
   */
  readonly weakBinds: BindSite[] = [];

  addRebase(atom: AtomId, offset: number): void {
    const i = this.rebaseCount++;
    if (i >= this.rebaseAtom.length) {
      this.rebaseAtom = growTo(this.rebaseAtom, i + 1);
      this.rebaseOffset = growTo(this.rebaseOffset, i + 1);
    }
    this.rebaseAtom[i] = atom;
    this.rebaseOffset[i] = offset;
  }
}

/** One planned load command: its kind, size, and the string it carries (dylib, rpath). */
export interface LoadCommandPlan {
  cmd: number;
  size: number;
  /** LC_SEGMENT_64: segment index; LC_LOAD_DYLIB: file id. */
  index?: number;
  text?: string;
}

export class LinkContext {
  readonly options: LinkOptions;
  readonly diag: Diagnostics;
  readonly timer = new Timers();
  readonly syms = new SymbolTable();
  readonly files: InputFile[] = [];
  readonly sections = new InputSections();
  readonly atoms = new Atoms();
  readonly outSections: OutputSection[] = [];
  readonly segments: OutputSegment[] = [];
  /** Set by objfile from `options.arch`. */
  arch!: Arch;

  /** Dylibs in LC_LOAD_DYLIB order (ordinal = index + 1), set by layout. */
  readonly dylibs: FileId[] = [];
  /** Symbols with GOT slots, lazy-pointer stubs and TLV pointers, in slot order. */
  readonly got: SymbolId[] = [];
  readonly stubs: SymbolId[] = [];
  readonly tlvPtrs: SymbolId[] = [];
  readonly fixups = new FixupSites();
  /** Symbols in the export trie, sorted by name (set by layout). */
  readonly exports: SymbolId[] = [];
  /** Addresses of the synthetic sections and symbols layout creates (0 when absent). */
  readonly synth = {
    got: 0,
    stubs: 0,
    stubHelper: 0,
    laSymbolPtr: 0,
    threadPtrs: 0,
    dyldPrivate: 0,
    /** The atom holding __dyld_private, -1 when there is none. */
    dyldPrivateAtom: -1,
    /** Start of the thread-local template (__thread_data, then __thread_bss). */
    tlvTemplate: 0,
    /** Image base: address of the mach header. */
    imageBase: 0,
  };
  /**
   * The load commands the image will carry, in order, with their sizes:
   * planned by layout (the header's size decides where __text starts),
   * written by macho, which checks each size.
   */
  readonly loadCommands: LoadCommandPlan[] = [];
  /**
   * Bytes of the `__DWARF` output sections (synthetic "dwarf"), built by the
   * dwarf stage after layout; macho writes each at its section's file offset.
   */
  readonly debugData = new Map<OutSectionId, Uint8Array>();
  /** The entry symbol (executables), 0 otherwise. */
  entry: SymbolId = 0;
  /**
   * Go's `CanUsePlugins`: the program can load plugins (option
   * `canUsePlugins`, or objfile found `plugin.Open` among the inputs, as Go
   * looks for package plugin). Set by objfile; see `dynlinking`.
   */
  canUsePlugins = false;

  /** Go's `DynlinkingGo()` for this link: plugin/shared, or a plugin host. */
  get dynlinking(): boolean {
    return dynlinking(this.options.buildmode, { canUsePlugins: this.canUsePlugins });
  }

  /**
   * Where the link's reports go as they happen (stdout in the CLI): what
   * `-t` and `-why_live` print. Without a listener they are dropped.
   */
  readonly info: (msg: string) => void;

  constructor(options: LinkOptions, onWarning?: (msg: string) => void, onInfo?: (msg: string) => void) {
    this.options = options;
    this.diag = new Diagnostics(onWarning);
    this.info = onInfo ?? (() => {});
  }

  /** The file with id `id`. */
  file(id: FileId): InputFile {
    const f = this.files[id];
    if (f === undefined) throw new Error(`no input file ${id}`);
    return f;
  }
}
