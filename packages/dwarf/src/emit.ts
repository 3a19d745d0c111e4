/**
 * The DWARF stage: merges every object's `__DWARF` sections into the
 * `__DWARF` segment layout planned, so the linked image carries its own
 * debug info (as Go's internal darwin link does) and `llvm-dwarfdump
 * --verify`, `--debug-line` and `--lookup` work on it directly.
 *
 * Objects are merged in input order, each by `mergeObjectDebug` (merge.ts:
 * what changes in which section, and how dead code is tombstoned):
 * `__debug_abbrev`, `__debug_str`, `__debug_info`, `__debug_ranges` and
 * `__debug_loc` are concatenated (each object's contribution keeps its
 * size, so every object's bases are known before any is merged, and each
 * writes straight into the output sections), `__debug_line` units are
 * re-encoded with output addresses and appended, and each DW_AT_stmt_list
 * is pointed at its rewritten unit once the object's line output is placed.
 * An object whose DWARF cannot be merged (DWARF 5, 64-bit DWARF, an unknown
 * form) is left out whole, with a warning, and the others merged again
 * without it.
 *
 * `__apple_names/types/namespac/objc` (Apple's accelerator tables) hold
 * offsets into `__debug_info`/`__debug_str` of one object and are dropped,
 * as are `__debug_aranges`, `__debug_pubnames/pubtypes`, `__debug_frame` and
 * `__debug_macinfo`; consumers fall back to walking `__debug_info`.
 *
 * Speed: a merge reads only bytes and typed columns (relocs.ts), allocates
 * nothing per DIE, row or relocation, and touches only the fields that
 * change; the rest is bulk copies. A merge is a pure function of one
 * object's sections, its relocations and the atom columns, ready to run on
 * a worker thread with each object's line output placed afterwards.
 *
 * The segment is unmapped (vmsize 0, maxprot/initprot 0): dyld accepts a
 * segment whose filesize exceeds its vmsize only then, and skips it. It sits
 * in the file after `__DATA`; `__LINKEDIT` moves to the next page after it.
 */
import { type InputFile, type LinkContext, type OutputSection, RelocAttr } from "@tsld/core";
import { Writer } from "./bytes.js";
import {
  type DebugOutputs,
  type ObjectBases,
  type ObjectDebugInput,
  type ObjectMergeResult,
  mergeObjectDebug,
} from "./merge.js";
import { AddressMapper, type ObjectPlace, debugRelocs } from "./relocs.js";

/** The sections the image's `__DWARF` segment can hold, by output name. */
const SAME_SIZE = ["abbrev", "info", "str", "ranges", "loc"] as const;

/** One object with debug info: its sections and where its sections sit in the link's tables. */
interface DebugObject {
  file: InputFile;
  place: ObjectPlace;
  input: ObjectDebugInput;
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
    const f = objects[i]!.file;
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

/** Merges every object not in `failed` into fresh output sections; adds the objects that fail to `failed`, with why. */
function mergeAll(ctx: LinkContext, objects: readonly DebugObject[], failed: Map<number, string>): Merged {
  const sizes = { abbrev: 0, info: 0, str: 0, ranges: 0, loc: 0 };
  let lineIn = 0;
  const bases: ObjectBases[] = [];
  for (let i = 0; i < objects.length; i++) {
    const b = { ...sizes };
    bases.push(b);
    if (failed.has(i)) continue;
    const input = objects[i]!.input;
    for (const k of SAME_SIZE) sizes[k] += input[k].length;
    lineIn += input.line.length;
  }
  const out: DebugOutputs = {
    abbrev: new Uint8Array(sizes.abbrev),
    info: new Uint8Array(sizes.info),
    str: new Uint8Array(sizes.str),
    ranges: new Uint8Array(sizes.ranges),
    loc: new Uint8Array(sizes.loc),
  };
  // Re-encoded line programs come out about as long as clang's.
  const line = new Writer(lineIn + (lineIn >> 2) + 1024);
  const warnings: (string[] | undefined)[] = [];
  let newlyFailed = 0;
  for (let i = 0; i < objects.length; i++) {
    if (failed.has(i)) continue;
    const { input, place } = objects[i]!;
    const lineStart = line.length;
    let r: ObjectMergeResult;
    try {
      const mapper = new AddressMapper(ctx.sections, ctx.atoms, place);
      r = mergeObjectDebug(input, bases[i]!, out, line, mapper);
    } catch (e) {
      failed.set(i, (e as Error).message);
      newlyFailed++;
      line.length = lineStart;
      continue;
    }
    if (r.warnings.length > 0) warnings[i] = r.warnings;
    const s = r.stmtLists;
    for (let k = 0; k < s.length; k += 2) putU32(out.info, s[k]!, lineStart + s[k + 1]!);
  }
  return { out, line: line.buf.subarray(0, line.length), warnings, newlyFailed };
}

/** The debug sections and decoded relocations of object `f`, or undefined when it has no `__debug_info`/`__debug_abbrev`. */
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
  const place: ObjectPlace = { firstSection: ob.firstSection, sectionCount: ob.sectionCount };
  const bytes = (s: number): Uint8Array => {
    if (s < 0) return EMPTY;
    const o = S.dataOff[s]!;
    return f.data.subarray(o, o + S.size[s]!);
  };
  const attrs = ctx.target.relocAttrs;
  const relocs = (s: number) =>
    debugRelocs(
      ctx.relocs,
      s < 0 ? 0 : S.relocStart[s]!,
      s < 0 ? 0 : S.relocEnd[s]!,
      ctx.atoms,
      S,
      place,
      attrs,
      RelocAttr.Pointer,
    );
  return {
    file: f,
    place,
    input: {
      info: bytes(info),
      abbrev: bytes(abbrev),
      str: bytes(str),
      line: bytes(line),
      ranges: bytes(ranges),
      loc: bytes(loc),
      infoRelocs: relocs(info),
      lineRelocs: relocs(line),
      rangesRelocs: relocs(ranges),
      locRelocs: relocs(loc),
    },
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
