/**
 * Writing section contents: every live atom's bytes copied from its input
 * into the output buffer and relocated in place (one pass, mold's "cp-like"
 * design), then the synthetic atoms among them (range-extension thunks,
 * `thunks.ts`) and each synthetic section's chunk (`synthetic.ts`: GOT,
 * stubs, stub helper, lazy and TLV pointers, `__init_offsets`) and
 * `__unwind_info`. The input atoms are written in items of about 1 MB of an
 * output section over the link's worker threads (`writeAtoms`, the
 * `relocate` task; core's `runParallel`), each item its own bytes of the
 * shared output buffer; the chunks and the `__eh_frame` pointers follow in
 * the main thread.
 */
import {
  type ArchName,
  AtomFlag,
  Atoms,
  InputSections,
  type LinkContext,
  Relocs,
  SymbolTable,
  type WorkerTask,
  runParallel,
  targetForName,
} from "@tsld/core";
import { isZerofill } from "@tsld/macho-format";
import { type RelocHooks, contextHooks, relocateAtom } from "./relocate.js";
import { StubHelperSection } from "./synthetic.js";
import type { RelocContext } from "./target.js";
import { thunkRows } from "./thunks.js";
import { writeUnwind } from "./unwind.js";

/**
 * Copies and relocates every atom into `out` (the whole output file), then
 * writes each synthetic section's chunk. `lazyBindOffsets[i]` is stub i's offset in the
 * lazy-bind stream (pushed by its stub-helper entry).
 */
export function writeSections(ctx: LinkContext, out: Uint8Array, lazyBindOffsets: readonly number[]): void {
  const A = ctx.atoms;
  // Input atoms: copied and relocated in items over the worker threads.
  writeAtoms(ctx, out);
  for (const o of ctx.outSections) {
    if (isZerofill(o.flags)) continue;
    // Synthetic atoms among the input ones (range-extension thunks), each at its address.
    for (const c of o.atomChunks ?? []) c.writeTo(out, o.fileOff + (A.address[c.atom]! - o.addr));
    if (o.chunk instanceof StubHelperSection) o.chunk.lazyBindOffsets = lazyBindOffsets;
    o.chunk?.writeTo(out, o.fileOff);
  }
  // CIE pointers, pc_begin and LSDA pointers of the kept __eh_frame FDEs.
  writeUnwind(ctx, out);
}

/**
 * What the relocation task's items read, posted once per link to each
 * worker: the typed columns (shared memory, not copied), the inputs' bytes
 * (shared, by file id; undefined for bytes not in shared memory, whose atoms
 * the main thread writes), the output buffer (shared), and the items: item
 * `i` is `list[itemStart[i] .. itemStart[i+1])`, atoms of the output section
 * at file offset `itemOut[2i]`, address `itemOut[2i+1]`.
 */
interface RelocSetup {
  arch: ArchName;
  out: Uint8Array;
  data: (Uint8Array | undefined)[];
  atoms: Pick<
    Atoms,
    "section" | "file" | "offset" | "size" | "flags" | "address" | "relocStart" | "relocEnd" | "foldedInto" | "symbol"
  >;
  relocs: Pick<
    Relocs,
    "offset" | "type" | "length" | "flags" | "sym" | "atom" | "delta" | "addend" | "subSym" | "subAtom" | "subDelta"
  >;
  syms: Pick<
    SymbolTable,
    "kind" | "flags" | "file" | "atom" | "value" | "address" | "gotIndex" | "stubIndex" | "tlvPtrIndex"
  >;
  sections: Pick<InputSections, "flags" | "dataOff">;
  synth: LinkContext["synth"];
  /** (relocation row, thunk atom) pairs, rows ascending. */
  thunks: Int32Array;
  list: Int32Array;
  itemStart: Int32Array;
  itemOut: Float64Array;
}

interface RelocPrepared {
  setup: RelocSetup;
  ctx: RelocContext;
  hooks: RelocHooks;
  /** Set by `hooks.error`: the item needs the main thread, which words the error. */
  failed: boolean;
}

/**
 * An item's bytes: consecutive atoms that are also consecutive in their
 * input go in one copy; then each atom is relocated in place. False (and the
 * main thread redoes the item) when an atom's input is not in shared memory
 * or a relocation needs a diagnostic.
 */
function writeItem(p: RelocPrepared, i: number): boolean {
  const { setup, ctx } = p;
  const A = ctx.atoms;
  const S = ctx.sections;
  const out = setup.out;
  const fileOff = setup.itemOut[2 * i]!;
  const addr = setup.itemOut[2 * i + 1]!;
  const end = setup.itemStart[i + 1]!;
  let runData: Uint8Array | undefined;
  let runSrc = 0;
  let runDst = 0;
  let runLen = 0;
  const flush = (): void => {
    if (runData && runLen > 0) out.set(runData.subarray(runSrc, runSrc + runLen), runDst);
    runData = undefined;
    runLen = 0;
  };
  for (let k = setup.itemStart[i]!; k < end; k++) {
    const a = setup.list[k]!;
    const f = A.file[a]!;
    if (f < 0 || A.flags[a]! & AtomFlag.Synthetic) continue;
    const data = setup.data[f];
    if (!data) return false;
    const src = S.dataOff[A.section[a]!]! + A.offset[a]!;
    const dst = fileOff + (A.address[a]! - addr);
    if (data !== runData || src !== runSrc + runLen || dst !== runDst + runLen) {
      flush();
      runData = data;
      runSrc = src;
      runDst = dst;
    }
    runLen += A.size[a]!;
  }
  flush();
  p.failed = false;
  for (let k = setup.itemStart[i]!; k < end; k++) {
    const a = setup.list[k]!;
    if (A.relocStart[a] === A.relocEnd[a] || A.file[a]! < 0 || A.flags[a]! & AtomFlag.Synthetic) continue;
    relocateAtom(ctx, a, out, fileOff + (A.address[a]! - addr), p.hooks);
  }
  return !p.failed;
}

/** Relocation and copy of input atoms (see `writeAtoms`): the task worker threads run. */
export const relocateTask: WorkerTask<RelocSetup, RelocPrepared> = {
  name: "relocate",
  prepare(setup) {
    // The columns as the classes relocation reads (their methods over the shared columns; no names).
    const adopt = <T extends object>(proto: T, cols: object, extra: object = {}): T =>
      Object.assign(Object.create(proto) as T, cols, extra);
    const target = targetForName(setup.arch);
    if (!target) throw new Error(`no target ${setup.arch}`);
    const thunks = new Map<number, number>();
    for (let k = 0; k < setup.thunks.length; k += 2) thunks.set(setup.thunks[k]!, setup.thunks[k + 1]!);
    const ctx: RelocContext = {
      atoms: adopt(Atoms.prototype, setup.atoms),
      relocs: adopt(Relocs.prototype, setup.relocs, { bad: new Map() }),
      syms: adopt(SymbolTable.prototype, setup.syms, { names: [] }),
      sections: adopt(InputSections.prototype, setup.sections, { segnames: [], sectnames: [] }),
      target,
      synth: setup.synth,
    };
    const p: RelocPrepared = {
      setup,
      ctx,
      failed: false,
      hooks: {
        error: () => {
          p.failed = true;
        },
        thunkFor: (r) => thunks.get(r) ?? -1,
      },
    };
    return p;
  },
  run: writeItem,
};

/** Bytes (plus a weight per relocation) per item: enough work to outweigh claiming it. */
/** Bytes of an output section per item: enough work to outweigh claiming it, few enough to balance. */
const ITEM_BYTES = 1 << 20;

/**
 * Every input atom of every section with bytes, copied from its input and
 * relocated, in items of about `ITEM_BYTES` over the link's worker threads
 * (core's `runParallel`; the main thread alone without them). Items never
 * share an atom, so they write disjoint bytes of `out`. An item a worker
 * could not finish (an error to report) is redone in the main thread with
 * the link context, in item order: diagnostics come out as in one thread.
 */
function writeAtoms(ctx: LinkContext, out: Uint8Array): void {
  const tp = ctx.timer.start("planItems");
  const A = ctx.atoms;
  // Every section's atoms, one after another (items skip synthetic ones); each section cut where
  // its addresses cross a multiple of ITEM_BYTES (atoms are in address order: a binary search).
  let total = 0;
  for (const o of ctx.outSections) if (!isZerofill(o.flags)) total += o.atoms.length;
  const list = new Int32Array(total);
  const itemStart: number[] = [];
  const itemOut: number[] = [];
  const itemSection: number[] = [];
  let at = 0;
  for (const o of ctx.outSections) {
    if (isZerofill(o.flags) || o.atoms.length === 0) continue;
    list.set(o.atoms, at);
    const atoms = o.atoms;
    let first = 0;
    while (first < atoms.length) {
      itemStart.push(at + first);
      itemOut.push(o.fileOff, o.addr);
      itemSection.push(o.id);
      // The first atom at or past this item's start + ITEM_BYTES.
      const limit = A.address[atoms[first]!]! + ITEM_BYTES;
      let lo = first + 1;
      let hi = atoms.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (A.address[atoms[mid]!]! < limit) lo = mid + 1;
        else hi = mid;
      }
      first = lo;
    }
    at += atoms.length;
  }
  const items = itemStart.length;
  itemStart.push(at);
  const shared = (x: { buffer: ArrayBufferLike }): boolean => x.buffer instanceof SharedArrayBuffer;
  // Workers only write into shared memory: without it (a caller's own buffer), the main thread does it all.
  const pool = shared(out) && shared(A.address) && shared(ctx.relocs.addend) ? ctx.workers : undefined;
  const setup: RelocSetup = {
    arch: ctx.target.name,
    out,
    data: ctx.files.map((f) => (shared(f.data) ? f.data : undefined)),
    atoms: pick(A, [
      "section",
      "file",
      "offset",
      "size",
      "flags",
      "address",
      "relocStart",
      "relocEnd",
      "foldedInto",
      "symbol",
    ]),
    relocs: pick(ctx.relocs, [
      "offset",
      "type",
      "length",
      "flags",
      "sym",
      "atom",
      "delta",
      "addend",
      "subSym",
      "subAtom",
      "subDelta",
    ]),
    syms: pick(ctx.syms, ["kind", "flags", "file", "atom", "value", "address", "gotIndex", "stubIndex", "tlvPtrIndex"]),
    sections: pick(ctx.sections, ["flags", "dataOff"]),
    synth: { ...ctx.synth },
    thunks: thunkRows(ctx),
    list,
    itemStart: Int32Array.from(itemStart),
    itemOut: Float64Array.from(itemOut),
  };
  if (pool) {
    // Posted once: the item lists in shared memory too.
    setup.list = toShared(setup.list);
    setup.itemStart = toShared(setup.itemStart);
    setup.itemOut = toShared(setup.itemOut);
    setup.thunks = toShared(setup.thunks);
  }
  // The main thread's redo: the item again from its inputs, with the link context's diagnostics.
  const redo = (i: number): void => {
    const p = relocateTask.prepare(setup);
    p.ctx = ctx;
    p.hooks = contextHooks(ctx);
    p.setup = { ...setup, data: ctx.files.map((f) => f.data) };
    writeItem(p, i);
  };
  const names = (i: number): string => {
    const o = ctx.outSections[itemSection[i]!]!;
    return `${o.segname},${o.sectname}`;
  };
  tp.end();
  runParallel(pool, ctx.timer, relocateTask, setup, items, redo, names);
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Pick<T, K> {
  const r = {} as Pick<T, K>;
  for (const k of keys) r[k] = o[k];
  return r;
}

function toShared<T extends Int32Array | Float64Array>(a: T): T {
  const b = new (a.constructor as new (buf: SharedArrayBuffer) => T)(new SharedArrayBuffer(a.byteLength));
  b.set(a);
  return b;
}
