/**
 * The DWARF stage: merges every object's `__DWARF` sections into the
 * `__DWARF` segment layout planned, so the linked image carries its own
 * debug info (as Go's internal darwin link does) and `llvm-dwarfdump
 * --verify`, `--debug-line` and `--lookup` work on it directly.
 *
 * Each object is merged as merge.ts says (what changes in which section,
 * and how dead code is tombstoned): `__debug_abbrev`, `__debug_str`,
 * `__debug_info`, `__debug_ranges` and `__debug_loc` are concatenated in
 * input order (each object's contribution keeps its size, so every
 * object's bases are known before any is merged, and each writes straight
 * into the output sections), `__debug_line` units are re-encoded with
 * output addresses and laid end to end in input order, and each
 * DW_AT_stmt_list is pointed at its rewritten unit once the line output is
 * placed. An object whose DWARF cannot be merged (DWARF 5, 64-bit DWARF,
 * an unknown form) is left out whole, with a warning, and the others
 * merged again without it.
 *
 * Threads: each object's two halves, `__debug_info` with the sections
 * patched along with it (`mergeObjectInfo`) and `__debug_line`
 * (`mergeObjectLines`), are items of the `dwarfMerge` task over the link's
 * worker threads (core's `runParallel`; the main thread alone without a
 * pool). The info half writes its bytes at the object's bases; the line
 * half into a region of its own sized from its input (a quarter more, as
 * clang's programs re-encode about as long), and leaves how long it came
 * out, and the info half the stmt_list fields it found, in shared slots.
 * The main thread then lays the line regions end to end in input order and
 * patches the stmt_lists, so `__DWARF` is the same bytes with any thread
 * count. What a worker cannot finish (an error or a warning to report, a
 * line output or stmt_list count that outgrows its room, an input not in
 * shared memory) is redone in the main thread, which keeps its outcome
 * aside, so the messages are those of one thread. Items go in input
 * order, each object's info half then its line half, so the two halves of
 * one big object (sqlite3's amalgamation) can run on different threads.
 *
 * `__apple_names/types/namespac/objc` (Apple's accelerator tables) hold
 * offsets into `__debug_info`/`__debug_str` of one object and are dropped,
 * as are `__debug_aranges`, `__debug_pubnames/pubtypes`, `__debug_frame` and
 * `__debug_macinfo`; consumers fall back to walking `__debug_info`.
 *
 * Speed: a merge reads only bytes and typed columns (relocs.ts), allocates
 * nothing per DIE, row or relocation, and touches only the fields that
 * change; the rest is bulk copies. Each half is a pure function of one
 * object's sections, its relocations and the atom columns.
 *
 * The segment is unmapped (vmsize 0, maxprot/initprot 0): dyld accepts a
 * segment whose filesize exceeds its vmsize only then, and skips it. It sits
 * in the file after `__DATA`; `__LINKEDIT` moves to the next page after it.
 */
import {
  type InputFile,
  type InputSections,
  type LinkContext,
  type OutputSection,
  RelocAttr,
  type WorkerTask,
  runParallel,
} from "@tsld/core";
import { Writer } from "./bytes.js";
import {
  type DebugOutputs,
  type ObjectBases,
  type ObjectInfoInput,
  mergeObjectInfo,
  mergeObjectLines,
  placeStmtLists,
} from "./merge.js";
import {
  AddressMapper,
  type AtomColumns,
  type DebugRelocs,
  type RelocColumns,
  type SectionColumns,
  debugRelocs,
} from "./relocs.js";

/** The sections the image's `__DWARF` segment can hold, by output name. */
const SAME_SIZE = ["abbrev", "info", "str", "ranges", "loc"] as const;

/**
 * One object with debug info: its file, where its sections sit in the
 * section table, and the ids of its debug sections (-1 when absent).
 */
interface DebugObject {
  file: number;
  firstSection: number;
  sectionCount: number;
  info: number;
  abbrev: number;
  str: number;
  line: number;
  ranges: number;
  loc: number;
}

export function emitDwarf(ctx: LinkContext): void {
  const seg = ctx.segments.find((s) => s.name === "__DWARF");
  if (!seg) return;
  const objects: DebugObject[] = [];
  for (const f of ctx.files) {
    if (f.kind !== "object" || !f.object) continue;
    const o = debugObject(ctx, f);
    if (o) objects.push(o);
  }
  // Every object's bases in the same-size sections follow from the sizes
  // alone; an object that cannot be merged is left out and the rest merged
  // again with bases that skip it (rare: unsupported DWARF).
  // Why each object left out was (index in `objects` → message).
  const failed = new Map<number, string>();
  let merged: Merged;
  for (;;) {
    merged = mergeAll(ctx, objects, failed);
    if (merged.newlyFailed === 0) break;
  }
  for (let i = 0; i < objects.length; i++) {
    const f = ctx.files[objects[i]!.file]!;
    for (const w of merged.warnings[i] ?? []) ctx.diag.warn(`${f.path}: ${w}`);
    const e = failed.get(i);
    if (e !== undefined) ctx.diag.warn(`${f.path}: debug info not merged: ${e}`);
  }
  // Sizes and offsets: __DWARF's sections back to back after __DATA's file range.
  const bytesOf = (o: OutputSection): Uint8Array => {
    const name = o.sectname.slice("__debug_".length);
    if (name === "line") return merged.line;
    const b = (merged.out as unknown as Record<string, Uint8Array | undefined>)[name];
    if (!b) throw new Error(`no DWARF section ${o.sectname} to fill`);
    return b;
  };
  let off = seg.fileoff;
  for (const id of seg.sections) {
    const o = ctx.outSections[id]!;
    const bytes = bytesOf(o);
    ctx.debugData.set(id, bytes);
    o.fileOff = off;
    o.addr = seg.vmaddr + (off - seg.fileoff);
    o.size = bytes.length;
    off += bytes.length;
  }
  seg.filesize = off - seg.fileoff;
  seg.vmsize = 0;
  const le = ctx.segments[ctx.segments.length - 1]!;
  const page = ctx.target.pageSize;
  le.fileoff = Math.ceil(off / page) * page;
}

interface Merged {
  out: DebugOutputs;
  line: Uint8Array;
  /** Per object (index in `objects`): its line warnings. */
  warnings: (string[] | undefined)[];
  /** Objects that failed in this round (then merged again without them). */
  newlyFailed: number;
}

/**
 * What the merge task's items read, posted once per round to each worker:
 * the typed columns address mapping and relocation decoding read (shared
 * memory), the inputs' bytes by file id (undefined when not in shared
 * memory: the main thread merges those objects), the objects, and where
 * each item writes: the output sections (`out`), its line units
 * (`lineOut` at `lineAt[k]`, `lineRoom[k]` bytes) and its results
 * (`results`: see `RES_*`).
 *
 * Item `i` is part `itemPart[i]` (`PART_INFO` or `PART_LINE`) of object
 * `itemObject[i]` (index in `objects`).
 */
interface MergeSetup {
  data: (Uint8Array | undefined)[];
  sections: SectionColumns & Pick<InputSections, "dataOff" | "size" | "relocStart" | "relocEnd">;
  atoms: AtomColumns;
  relocs: RelocColumns;
  relocAttrs: readonly number[];
  objects: readonly DebugObject[];
  bases: readonly ObjectBases[];
  itemObject: Int32Array;
  itemPart: Uint8Array;
  out: DebugOutputs;
  lineOut: Uint8Array;
  lineAt: Float64Array;
  lineRoom: Float64Array;
  /** Per object k from `resAt[k]`: line bytes written, stmt_list pairs found, then up to `stmtRoom[k]` pairs. */
  results: Float64Array;
  resAt: Float64Array;
  stmtRoom: Int32Array;
}

/** An object's `__debug_info` and the sections patched with it (abbrev, str, ranges, loc). */
const PART_INFO = 0;
/** An object's `__debug_line`, re-encoded into its own region. */
const PART_LINE = 1;
/** `MergeSetup.results` per object: line bytes written (-1: not done), stmt_list pairs, the pairs. */
const RES_LINE = 0;
const RES_STMTS = 1;
const RES_PAIRS = 2;

/**
 * What an item left for the main thread when it could not finish where it
 * ran (redone in the main thread, `redoItem`): its error or warnings, or
 * results that did not fit the shared slots.
 */
interface Redone {
  /** Per object and part: why it cannot be merged. */
  errors: Map<number, string>[];
  warnings: Map<number, string[]>;
  lines: Map<number, Uint8Array>;
  stmts: Map<number, number[]>;
}

/** The input bytes of section `s` of the object (empty when absent or not readable here). */
function sectionBytes(setup: MergeSetup, o: DebugObject, s: number): Uint8Array | undefined {
  if (s < 0) return EMPTY;
  const data = setup.data[o.file];
  if (!data) return undefined;
  const off = setup.sections.dataOff[s]!;
  return data.subarray(off, off + setup.sections.size[s]!);
}

/** The decoded relocations of section `s` of the object. */
function sectionRelocs(setup: MergeSetup, o: DebugObject, s: number): DebugRelocs {
  const S = setup.sections;
  const r0 = s < 0 ? 0 : S.relocStart[s]!;
  const r1 = s < 0 ? 0 : S.relocEnd[s]!;
  return debugRelocs(setup.relocs, r0, r1, setup.atoms, S, o, setup.relocAttrs, RelocAttr.Pointer);
}

/** What the info half of the object's merge reads: `info` (its `__debug_info`), the sections patched with it and their relocations. */
function infoInput(setup: MergeSetup, o: DebugObject, info: Uint8Array): ObjectInfoInput {
  return {
    info,
    abbrev: sectionBytes(setup, o, o.abbrev)!,
    str: sectionBytes(setup, o, o.str)!,
    ranges: sectionBytes(setup, o, o.ranges)!,
    loc: sectionBytes(setup, o, o.loc)!,
    infoRelocs: sectionRelocs(setup, o, o.info),
    rangesRelocs: sectionRelocs(setup, o, o.ranges),
    locRelocs: sectionRelocs(setup, o, o.loc),
  };
}

/**
 * Runs item `i` (see `MergeSetup`). Its bytes go to the object's own
 * ranges of the outputs; its results to the object's slots. Returns false,
 * for the main thread to redo it (`redoItem`), when it cannot finish
 * there: input not in shared memory, an error or warning to report, line
 * output or stmt_lists that do not fit their room.
 */
function runItem(setup: MergeSetup, i: number): boolean {
  const k = setup.itemObject[i]!;
  const o = setup.objects[k]!;
  const mapper = new AddressMapper(setup.sections, setup.atoms, o);
  const res = setup.results;
  const at = setup.resAt[k]!;
  if (setup.itemPart[i] === PART_INFO) {
    const info = sectionBytes(setup, o, o.info);
    if (!info) return false;
    let stmts: number[];
    try {
      stmts = mergeObjectInfo(infoInput(setup, o, info), setup.bases[k]!, setup.out, mapper);
    } catch {
      return false;
    }
    if (stmts.length > 2 * setup.stmtRoom[k]!) return false;
    res[at + RES_STMTS] = stmts.length / 2;
    for (let j = 0; j < stmts.length; j++) res[at + RES_PAIRS + j] = stmts[j]!;
    return true;
  }
  const line = sectionBytes(setup, o, o.line);
  if (!line) return false;
  const lineAt = setup.lineAt[k]!;
  const w = Writer.over(setup.lineOut.subarray(lineAt, lineAt + setup.lineRoom[k]!));
  const warnings: string[] = [];
  try {
    mergeObjectLines(line, sectionRelocs(setup, o, o.line), mapper, w, warnings);
  } catch {
    return false;
  }
  if (warnings.length > 0) return false;
  res[at + RES_LINE] = w.length;
  return true;
}

/** Item `i` again in the main thread, where every input is readable and nothing has to fit a slot: its outcome into `redone`. */
function redoItem(setup: MergeSetup, i: number, redone: Redone): void {
  const k = setup.itemObject[i]!;
  const o = setup.objects[k]!;
  const part = setup.itemPart[i]!;
  const mapper = new AddressMapper(setup.sections, setup.atoms, o);
  try {
    if (part === PART_INFO) {
      const stmts = mergeObjectInfo(
        infoInput(setup, o, sectionBytes(setup, o, o.info)!),
        setup.bases[k]!,
        setup.out,
        mapper,
      );
      redone.stmts.set(k, stmts);
    } else {
      const line = sectionBytes(setup, o, o.line)!;
      // Re-encoded line programs come out about as long as clang's.
      const w = new Writer(line.length + (line.length >> 2) + 1024);
      const warnings: string[] = [];
      mergeObjectLines(line, sectionRelocs(setup, o, o.line), mapper, w, warnings);
      if (warnings.length > 0) redone.warnings.set(k, warnings);
      redone.lines.set(k, w.buf.subarray(0, w.length));
    }
  } catch (e) {
    redone.errors[part]!.set(k, (e as Error).message);
  }
}

/**
 * The merge over the worker threads (core's `runParallel`): items are
 * halves of objects (`PART_INFO`, `PART_LINE`), each writing its own bytes,
 * so `__DWARF` does not depend on the thread count.
 */
export const dwarfMergeTask: WorkerTask<MergeSetup> = {
  name: "dwarfMerge",
  prepare: (setup) => setup,
  run: runItem,
};

/**
 * Merges every object not in `failed` into fresh output sections; adds the
 * objects that fail to `failed`, with why. Each object's two halves are
 * items over the link's worker threads (the main thread alone without
 * them): `__debug_info` and the sections patched with it straight into the
 * outputs at the object's bases, its line units into a region of their
 * own; then, in input order, the line units are laid end to end and each
 * DW_AT_stmt_list pointed at its unit's place.
 */
function mergeAll(ctx: LinkContext, objects: readonly DebugObject[], failed: Map<number, string>): Merged {
  const sizes = { abbrev: 0, info: 0, str: 0, ranges: 0, loc: 0 };
  const S = ctx.sections;
  const size = (s: number): number => (s < 0 ? 0 : S.size[s]!);
  const n = objects.length;
  const bases: ObjectBases[] = [];
  // Per object: line region and room, result slots and room for stmt_list pairs.
  const lineAt = new Float64Array(n);
  const lineRoom = new Float64Array(n);
  const resAt = new Float64Array(n);
  const stmtRoom = new Int32Array(n);
  let lineTotal = 0;
  let resTotal = 0;
  const live: number[] = [];
  for (let i = 0; i < n; i++) {
    const b = { ...sizes };
    bases.push(b);
    if (failed.has(i)) continue;
    live.push(i);
    const o = objects[i]!;
    for (const k of SAME_SIZE) sizes[k] += size(o[k]);
    // Re-encoded line programs come out about as long as clang's; a longer one is redone in the main thread.
    const ln = size(o.line);
    lineAt[i] = lineTotal;
    lineRoom[i] = ln + (ln >> 2) + 2048;
    lineTotal += lineRoom[i]!;
    // One stmt_list per unit (clang writes one unit per object); more are redone in the main thread.
    resAt[i] = resTotal;
    stmtRoom[i] = 4;
    resTotal += RES_PAIRS + 2 * stmtRoom[i]!;
  }
  // Workers read the columns and write the outputs in shared memory only; without a pool (or with
  // a caller's own columns) the main thread merges into plain buffers.
  const shared = (x: { buffer: ArrayBufferLike }): boolean => x.buffer instanceof SharedArrayBuffer;
  const pool =
    shared(S.addr) && shared(ctx.atoms.address) && shared(ctx.relocs.offset) && shared(ctx.relocs.delta)
      ? ctx.workers
      : undefined;
  const alloc = (bytes: number): ArrayBufferLike => (pool ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const out: DebugOutputs = {
    abbrev: new Uint8Array(alloc(sizes.abbrev)),
    info: new Uint8Array(alloc(sizes.info)),
    str: new Uint8Array(alloc(sizes.str)),
    ranges: new Uint8Array(alloc(sizes.ranges)),
    loc: new Uint8Array(alloc(sizes.loc)),
  };
  const results = new Float64Array(alloc(resTotal * 8));
  for (const i of live) results[resAt[i]! + RES_LINE] = -1;
  // Items in input order, each object's info half then its line half. Not largest first: the
  // merge runs before V8 has optimized it, and small objects first warm it up for the big ones
  // (sqlite3 -g's amalgamation merged first took ~15% longer, deoptimizing mid-object).
  const items = 2 * live.length;
  const itemObject = new Int32Array(alloc(items * 4));
  const itemPart = new Uint8Array(alloc(items));
  for (let j = 0; j < items; j++) {
    itemObject[j] = live[j >> 1]!;
    itemPart[j] = j & 1;
  }
  const setup: MergeSetup = {
    data: ctx.files.map((f) => (!pool || shared(f.data) ? f.data : undefined)),
    sections: {
      addr: S.addr,
      firstAtom: S.firstAtom,
      atomCount: S.atomCount,
      dataOff: S.dataOff,
      size: S.size,
      relocStart: S.relocStart,
      relocEnd: S.relocEnd,
    },
    atoms: {
      section: ctx.atoms.section,
      offset: ctx.atoms.offset,
      size: ctx.atoms.size,
      flags: ctx.atoms.flags,
      foldedInto: ctx.atoms.foldedInto,
      out: ctx.atoms.out,
      address: ctx.atoms.address,
    },
    relocs: {
      offset: ctx.relocs.offset,
      type: ctx.relocs.type,
      length: ctx.relocs.length,
      flags: ctx.relocs.flags,
      atom: ctx.relocs.atom,
      delta: ctx.relocs.delta,
      subAtom: ctx.relocs.subAtom,
      subDelta: ctx.relocs.subDelta,
    },
    relocAttrs: ctx.target.relocAttrs,
    objects,
    bases,
    itemObject,
    itemPart,
    out,
    lineOut: new Uint8Array(alloc(lineTotal)),
    lineAt,
    lineRoom,
    results,
    resAt,
    stmtRoom,
  };
  // The main thread's redo: with every input's bytes, results kept here.
  const redone: Redone = { errors: [new Map(), new Map()], warnings: new Map(), lines: new Map(), stmts: new Map() };
  const mainSetup: MergeSetup = { ...setup, data: ctx.files.map((f) => f.data) };
  const name = (i: number): string =>
    `${ctx.files[objects[itemObject[i]!]!.file]!.path} ${itemPart[i] === PART_INFO ? "info" : "line"}`;
  runParallel(pool, ctx.timer, dwarfMergeTask, setup, items, (i) => redoItem(mainSetup, i, redone), name);

  // In input order: the line units end to end, stmt_lists pointed at them.
  const pieces: Uint8Array[] = [];
  const warnings: (string[] | undefined)[] = [];
  let newlyFailed = 0;
  let lineSize = 0;
  for (const i of live) {
    const e = redone.errors[PART_INFO]!.get(i) ?? redone.errors[PART_LINE]!.get(i);
    if (e !== undefined) {
      failed.set(i, e);
      newlyFailed++;
      continue;
    }
    const at = resAt[i]!;
    const piece = redone.lines.get(i) ?? setup.lineOut.subarray(lineAt[i]!, lineAt[i]! + results[at + RES_LINE]!);
    pieces[i] = piece;
    lineSize += piece.length;
    warnings[i] = redone.warnings.get(i);
  }
  const line = new Uint8Array(lineSize);
  let lineStart = 0;
  for (const i of live) {
    const piece = pieces[i];
    if (!piece) continue;
    line.set(piece, lineStart);
    const at = resAt[i]!;
    let stmts = redone.stmts.get(i);
    if (!stmts) {
      stmts = [];
      for (let j = 0; j < 2 * results[at + RES_STMTS]!; j++) stmts.push(results[at + RES_PAIRS + j]!);
    }
    const o = objects[i]!;
    const lineIn = sectionBytes(mainSetup, o, o.line)!;
    const s = placeStmtLists(stmts, lineIn, piece);
    for (let k = 0; k < s.length; k += 2) putU32(out.info, s[k]!, lineStart + s[k + 1]!);
    lineStart += piece.length;
  }
  return { out, line, warnings, newlyFailed };
}

/** The debug sections of object `f`, or undefined when it has no `__debug_info`/`__debug_abbrev`. */
function debugObject(ctx: LinkContext, f: InputFile): DebugObject | undefined {
  const ob = f.object!;
  const S = ctx.sections;
  let info = -1;
  let abbrev = -1;
  let str = -1;
  let line = -1;
  let ranges = -1;
  let loc = -1;
  for (let k = 0; k < ob.sectionCount; k++) {
    const s = ob.firstSection + k;
    if (S.segnames[s] !== "__DWARF") continue;
    // The last section of a name counts, as a name → section map would have it.
    switch (S.sectnames[s]) {
      case "__debug_info":
        info = s;
        break;
      case "__debug_abbrev":
        abbrev = s;
        break;
      case "__debug_str":
        str = s;
        break;
      case "__debug_line":
        line = s;
        break;
      case "__debug_ranges":
        ranges = s;
        break;
      case "__debug_loc":
        loc = s;
        break;
    }
  }
  if (info < 0 || abbrev < 0) return undefined;
  return {
    file: f.id,
    firstSection: ob.firstSection,
    sectionCount: ob.sectionCount,
    info,
    abbrev,
    str,
    line,
    ranges,
    loc,
  };
}

const EMPTY = new Uint8Array(0);

function putU32(b: Uint8Array, at: number, v: number): void {
  const x = v >>> 0;
  b[at] = x & 0xff;
  b[at + 1] = (x >>> 8) & 0xff;
  b[at + 2] = (x >>> 16) & 0xff;
  b[at + 3] = x >>> 24;
}
