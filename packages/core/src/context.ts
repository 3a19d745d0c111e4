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
import { dynlinking } from "./buildmode.js";
import type { LinkEdit, LoadCommand } from "./chunk.js";
import { Diagnostics } from "./diag.js";
import type { InputFile } from "./files.js";
import { Fixups } from "./fixups.js";
import type { AtomId, FileId, OutSectionId, SymbolId } from "./ids.js";
import type { LinkOptions } from "./options.js";
import { Atoms, InputSections, type OutputSection, type OutputSegment } from "./sections.js";
import { Relocs } from "./relocs.js";
import { SymbolTable } from "./symbols.js";
import type { TargetInfo } from "./target.js";
import { Timers } from "./timer.js";
import type { WorkerPool } from "./workers.js";

export class LinkContext {
  readonly options: LinkOptions;
  readonly diag: Diagnostics;
  readonly timer = new Timers();
  readonly syms = new SymbolTable();
  readonly files: InputFile[] = [];
  readonly sections = new InputSections();
  readonly atoms = new Atoms();
  /** Every input relocation, decoded once by objfile. */
  readonly relocs = new Relocs();
  readonly outSections: OutputSection[] = [];
  readonly segments: OutputSegment[] = [];
  /** The target, set by objfile from the inputs' CPU type (layout falls back to `-arch`). */
  target!: TargetInfo;
  /**
   * The link's worker threads (workers.ts), started once by the driver for
   * a link big enough to use them; absent, the parallel passes run in the
   * main thread alone. The driver closes it when the link ends.
   */
  workers?: WorkerPool;
  /** How many threads the link uses and why (`-v`), set with `workers`. */
  threadInfo = "threads: 1";

  /** Dylibs in LC_LOAD_DYLIB order (ordinal = index + 1), set by layout. */
  readonly dylibs: FileId[] = [];
  /** Symbols with GOT slots, lazy-pointer stubs and TLV pointers, in slot order. */
  readonly got: SymbolId[] = [];
  readonly stubs: SymbolId[] = [];
  readonly tlvPtrs: SymbolId[] = [];
  /** Rebases and binds: sites found by the scan, completed after addresses (fixups.ts). */
  readonly fixups = new Fixups();
  /**
   * With chained fixups, the `__mod_init_func` atoms whose pointers become
   * `__TEXT,__init_offsets` entries (as lld's -init_offsets), in order.
   */
  readonly initFuncAtoms: AtomId[] = [];
  /** Symbols in the export trie, sorted by name (set by layout). */
  readonly exports: SymbolId[] = [];
  /**
   * Second strong definitions held back by resolution under
   * `deadStripDuplicates` (the first definition won): an error after dead
   * stripping if both atoms are still live.
   */
  readonly deferredDuplicates: { sym: SymbolId; first: AtomId; firstFile: FileId; atom: AtomId; file: FileId }[] = [];
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
   * The load commands the image will carry, in order (chunks that size and
   * write themselves): created by layout, whose total size decides where
   * __text starts, and written by macho.
   */
  readonly loadCommands: LoadCommand[] = [];
  /** The `__LINKEDIT` blobs by role, created and placed by macho; load commands read them when written. */
  readonly linkedit: LinkEdit = {};
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
