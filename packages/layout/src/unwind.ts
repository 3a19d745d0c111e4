/**
 * Unwind information: `__TEXT,__unwind_info` built from the objects'
 * `__LD,__compact_unwind` entries, and a dead-strip-aware `__TEXT,__eh_frame`
 * (behaviour after lld's `UnwindInfoSection.cpp` and `EhFrame.cpp`; format in
 * macho-format's `unwind-info.ts`).
 *
 * Stages (passes in apps/tsld/src/link.ts):
 * 1. `collectUnwind` (before dead stripping): reads every compact-unwind entry
 *    (32 bytes: function, length, encoding, personality, LSDA; the pointer
 *    fields carry UNSIGNED relocations) and every `__eh_frame` record (objfile
 *    cut one atom per CIE/FDE). Each is tied to its function's atom. An FDE's
 *    pc_begin is usually pc-relative without a relocation (clang resolves it
 *    at assembly time), so its function is found from the input addresses.
 *    A function "needs DWARF" when it has no compact entry or its encoding is
 *    the target's DWARF mode (`UNWIND_X86_64_MODE_DWARF`,
 *    `UNWIND_ARM64_MODE_DWARF`). Returns the association dead stripping uses:
 *    a live function keeps its LSDA, its personality and (if it needs DWARF)
 *    its FDE and CIE alive; unwind entries never keep a function alive.
 * 2. `pruneUnwind` (after dead stripping): an FDE stays only if its function
 *    is live and needs DWARF; a CIE only if a kept FDE uses it. Personalities
 *    of live functions get GOT slots (`SymFlag.NeedsGot`), since
 *    `__unwind_info` names them by their GOT slot.
 * 3. `planUnwind` (after the synthetic sections, before segments): the
 *    entries in address order — every atom of the `__TEXT` code sections in
 *    output order, with encoding 0 where no compact entry exists, adjacent
 *    equal entries folded as lld folds them — and from their encodings alone
 *    the section size (pages depend on encodings, not on addresses).
 * 4. The section's chunk (`UnwindInfoSection`, written by `writeSections`
 *    like every synthetic section): the bytes, with DWARF-mode encodings
 *    pointing at their FDE's offset in the output `__eh_frame`.
 * 5. `writeUnwind` (from `writeSections`, after every section is copied):
 *    each kept FDE's CIE pointer, pc_begin and (pc-relative) LSDA pointer
 *    recomputed for the output layout.
 */
import {
  AtomFlag,
  type AtomId,
  type InputFile,
  type LinkContext,
  type OutputSection,
  RelocAttr,
  RelocFlag,
  SymFlag,
  SymKind,
  type SyntheticSection,
} from "@tsld/core";
import {
  COMPACT_UNWIND_ENTRY_SIZE,
  S_ATTR_PURE_INSTRUCTIONS,
  S_REGULAR,
  UNWIND_HAS_LSDA,
  type EhCie,
  ehPointerSize,
  encodeUnwindInfo,
  planUnwindInfo,
  readEhRecord,
} from "@tsld/macho-format";
import { type SectionMap, orderedSections } from "./sections.js";
import { atomAddress, atomAtAddress, isImport } from "./target.js";

/** A location in an atom. */
interface Loc {
  atom: AtomId;
  delta: number;
}

interface CuEntry {
  fn: Loc;
  length: number;
  encoding: number;
  /** Personality symbol, 0 when none. */
  personality: number;
  lsda: Loc | undefined;
}

/** A CIE record's atom and what its FDEs need of it. */
interface Cie extends EhCie {
  atom: AtomId;
}

interface Fde {
  atom: AtomId;
  cie: Cie;
  fn: Loc;
  /** Offsets within the FDE atom of pc_begin and the LSDA pointer (-1: none). */
  pcBeginOff: number;
  lsdaOff: number;
  lsda: Loc | undefined;
  /** Whether the pc_begin / LSDA fields carry relocations (then relocate() fills them). */
  pcBeginReloc: boolean;
  lsdaReloc: boolean;
}

/** One entry of the output table, before addresses. */
interface Row {
  fn: Loc;
  end: Loc;
  encoding: number;
  personality: number;
  lsda: Loc | undefined;
  fde: Fde | undefined;
}

class UnwindState {
  readonly cu = new Map<number, CuEntry>();
  readonly fdes = new Map<number, Fde>();
  readonly ehAtoms: AtomId[] = [];
  readonly personalities: number[] = [];
  rows: Row[] = [];
  regularOnly = false;
}

const states = new WeakMap<LinkContext, UnwindState>();
/** A location as one number (exact in a double: atoms < 2^27, deltas < 2^26). */
const key = (l: Loc): number => l.atom * 0x4000000 + l.delta;

/** Whether `enc` is the target's DWARF mode (the function is described by its FDE). */
const isDwarfMode = (ctx: LinkContext, enc: number): boolean =>
  (enc & ctx.target.unwind.modeMask) === ctx.target.unwind.modeDwarf;

/** Decoded relocation rows of section `sid`, by section offset. */
function relocsByOffset(ctx: LinkContext, sid: number): Map<number, number> {
  const rows = new Map<number, number>();
  const R = ctx.relocs;
  for (let r = ctx.sections.relocStart[sid]!; r < ctx.sections.relocEnd[sid]!; r++) rows.set(R.offset[r]!, r);
  return rows;
}

/** The section ordinal (1-based) of `file` holding input address `addr`, or 0. */
function sectionAt(ctx: LinkContext, file: InputFile, addr: number): number {
  const ob = file.object!;
  const S = ctx.sections;
  for (let k = 0; k < ob.sectionCount; k++) {
    const sid = ob.firstSection + k;
    if (S.firstAtom[sid]! < 0) continue;
    if (addr >= S.addr[sid]! && addr < S.addr[sid]! + S.size[sid]!) return k + 1;
  }
  return 0;
}

/** Where a pointer field points: through its relocation row `r` (if any) or its stored input address. */
function pointerTarget(ctx: LinkContext, file: InputFile, r: number | undefined, stored: number): Loc | undefined {
  const T = ctx.syms;
  const R = ctx.relocs;
  if (r !== undefined) {
    if (R.flags[r]! & RelocFlag.Bad) return undefined;
    if (R.flags[r]! & RelocFlag.Extern) {
      const s = R.sym[r]!;
      if (T.kind[s] !== SymKind.Defined) return undefined;
      // A pair's addend belongs to the difference, not to the target.
      return { atom: T.atom[s]!, delta: T.value[s]! + (R.flags[r]! & RelocFlag.Pair ? 0 : R.addend[r]!) };
    }
    return R.atom[r]! < 0 ? undefined : { atom: R.atom[r]!, delta: R.delta[r]! };
  }
  const t = atomAtAddress(ctx, file, sectionAt(ctx, file, stored), stored);
  return t.atom < 0 ? undefined : { atom: t.atom, delta: t.delta };
}

function readPointer(v: DataView, off: number, size: number): number {
  return size === 8 ? Number(v.getBigInt64(off, true)) : size === 4 ? v.getInt32(off, true) : v.getInt16(off, true);
}

/** Parses compact-unwind entries and `__eh_frame` records; returns dead stripping's associations. */
export function collectUnwind(ctx: LinkContext): (a: AtomId) => readonly AtomId[] | undefined {
  const st = new UnwindState();
  states.set(ctx, st);
  const S = ctx.sections;
  const T = ctx.syms;
  for (const file of ctx.files) {
    const ob = file.object;
    if (!ob) continue;
    for (let k = 0; k < ob.sectionCount; k++) {
      const sid = ob.firstSection + k;
      const seg = S.segnames[sid];
      const sect = S.sectnames[sid];
      if (seg === "__LD" && sect === "__compact_unwind") readCompactUnwind(ctx, st, file, sid);
      else if (seg === "__TEXT" && sect === "__eh_frame" && S.firstAtom[sid]! >= 0) readEhFrame(ctx, st, file, sid);
    }
  }
  // The associations are built on first use: only -dead_strip asks.
  let assoc: Map<AtomId, AtomId[]> | undefined;
  const build = (): Map<AtomId, AtomId[]> => {
    const m = new Map<AtomId, AtomId[]>();
    const add = (fn: AtomId, a: AtomId | undefined): void => {
      if (a === undefined || a < 0) return;
      let l = m.get(fn);
      if (!l) m.set(fn, (l = []));
      l.push(a);
    };
    for (const e of st.cu.values()) {
      add(e.fn.atom, e.lsda?.atom);
      if (e.personality && T.kind[e.personality] === SymKind.Defined) add(e.fn.atom, T.atom[e.personality]);
    }
    for (const [k, f] of st.fdes) {
      const e = st.cu.get(k);
      if (e && !isDwarfMode(ctx, e.encoding)) continue;
      add(f.fn.atom, f.atom);
      add(f.fn.atom, f.cie.atom);
      add(f.fn.atom, f.lsda?.atom);
    }
    return m;
  };
  return (a) => (assoc ??= build()).get(a);
}

function readCompactUnwind(ctx: LinkContext, st: UnwindState, file: InputFile, sid: number): void {
  const S = ctx.sections;
  const T = ctx.syms;
  const v = file.view;
  const base = S.dataOff[sid]!;
  const size = S.size[sid]!;
  const unsigned = relocsByOffset(ctx, sid);
  const R = ctx.relocs;
  const where = `${file.path}${file.member ? `(${file.member})` : ""}`;
  if (size % COMPACT_UNWIND_ENTRY_SIZE !== 0)
    ctx.diag.warn(`${where}: __LD,__compact_unwind size ${size} is not a multiple of ${COMPACT_UNWIND_ENTRY_SIZE}`);
  for (let o = 0; o + COMPACT_UNWIND_ENTRY_SIZE <= size; o += COMPACT_UNWIND_ENTRY_SIZE) {
    const fw = unsigned.get(o);
    const fnStored = Number(v.getBigUint64(base + o, true));
    if (fw !== undefined && R.flags[fw]! & RelocFlag.Extern) {
      // The entry describes this object's copy; a weak definition that lost to another file's is skipped.
      const s = R.sym[fw]!;
      if (T.kind[s] !== SymKind.Defined || T.file[s] !== file.id) continue;
    }
    const fn = pointerTarget(ctx, file, fw, fnStored);
    if (!fn) {
      ctx.diag.warn(`${where}: compact unwind entry at 0x${o.toString(16)} names no function; ignored`);
      continue;
    }
    const length = v.getUint32(base + o + 8, true);
    const encoding = v.getUint32(base + o + 12, true);
    let personality = 0;
    const pw = unsigned.get(o + 16);
    if (pw !== undefined) {
      if (R.flags[pw]! & RelocFlag.Extern) personality = R.sym[pw]!;
      else {
        const t = pointerTarget(ctx, file, pw, Number(v.getBigUint64(base + o + 16, true)));
        if (t) personality = ctx.atoms.symbol[t.atom]!;
      }
      if (personality === 0)
        ctx.diag.warn(`${where}: compact unwind entry at 0x${o.toString(16)}: unusable personality`);
    }
    const lw = unsigned.get(o + 24);
    const lsdaStored = Number(v.getBigUint64(base + o + 24, true));
    const lsda = lw !== undefined || lsdaStored !== 0 ? pointerTarget(ctx, file, lw, lsdaStored) : undefined;
    const k = key(fn);
    if (!st.cu.has(k)) st.cu.set(k, { fn, length, encoding, personality, lsda });
  }
}

function readEhFrame(ctx: LinkContext, st: UnwindState, file: InputFile, sid: number): void {
  const S = ctx.sections;
  const A = ctx.atoms;
  const v = file.view;
  const base = S.dataOff[sid]!;
  const secAddr = S.addr[sid]!;
  const unsigned = relocsByOffset(ctx, sid);
  const cies = new Map<number, EhCie>();
  /** This section's CIEs with their atoms, by section offset. */
  const ours = new Map<number, Cie>();
  const where = `${file.path}${file.member ? `(${file.member})` : ""}`;
  const first = S.firstAtom[sid]!;
  for (let a = first; a < first + S.atomCount[sid]!; a++) {
    st.ehAtoms.push(a);
    const off = A.offset[a]!;
    const rec = readEhRecord(file.data, v, base, off, A.size[a]!, cies);
    if (rec.kind === "cie") {
      ours.set(off, { atom: a, ...rec.cie });
      continue;
    }
    if (rec.kind === "orphan") {
      ctx.diag.warn(`${where}: __eh_frame FDE at 0x${off.toString(16)} points at no CIE; dropped`);
      continue;
    }
    if (rec.kind === "malformed") {
      ctx.diag.warn(`${where}: __eh_frame ${rec.record} at 0x${off.toString(16)}: ${rec.message}; dropped`);
      continue;
    }
    if (rec.kind !== "fde" || rec.pcSize < 0) continue;
    const cie = ours.get(rec.cieOff)!;
    const pcOff = rec.pcBeginOff;
    const fn = fieldTarget(ctx, file, v, base, secAddr, pcOff, rec.pcSize, cie.fdeEnc, unsigned);
    if (!fn) {
      ctx.diag.warn(`${where}: __eh_frame FDE at 0x${off.toString(16)} names no function; dropped`);
      continue;
    }
    let lsdaOff = -1;
    let lsda: Loc | undefined;
    if (rec.lsdaOff >= 0) {
      const raw = readPointer(v, base + rec.lsdaOff, rec.lsdaSize);
      if (raw !== 0 || unsigned.has(rec.lsdaOff)) {
        lsdaOff = rec.lsdaOff;
        lsda = fieldTarget(ctx, file, v, base, secAddr, lsdaOff, rec.lsdaSize, cie.lsdaEnc, unsigned);
      }
    }
    const k = key(fn);
    if (st.fdes.has(k)) continue;
    st.fdes.set(k, {
      atom: a,
      cie,
      fn,
      pcBeginOff: pcOff - off,
      lsdaOff: lsdaOff < 0 ? -1 : lsdaOff - off,
      lsda,
      pcBeginReloc: unsigned.has(pcOff),
      lsdaReloc: lsdaOff >= 0 && unsigned.has(lsdaOff),
    });
  }
}

/** Target of an encoded pointer field at section offset `fo`: relocated, or pc-relative/absolute in the bytes. */
function fieldTarget(
  ctx: LinkContext,
  file: InputFile,
  v: DataView,
  base: number,
  secAddr: number,
  fo: number,
  size: number,
  enc: number,
  rows: Map<number, number>,
): Loc | undefined {
  const stored = readPointer(v, base + fo, size);
  const r = rows.get(fo);
  if (r !== undefined) {
    if (!((ctx.target.relocAttrs[ctx.relocs.type[r]!] ?? 0) & RelocAttr.Pointer)) return undefined;
    return pointerTarget(ctx, file, r, stored);
  }
  const app = enc & 0x70;
  const addr = app === 0x10 ? secAddr + fo + stored : app === 0 ? stored : NaN;
  if (Number.isNaN(addr)) return undefined;
  return pointerTarget(ctx, file, undefined, addr);
}

const liveAtom = (ctx: LinkContext, a: AtomId): boolean =>
  (ctx.atoms.flags[a]! & (AtomFlag.Live | AtomFlag.Folded)) === AtomFlag.Live;

/** After dead stripping: keeps the FDEs and CIEs live functions need; personalities get GOT slots. */
export function pruneUnwind(ctx: LinkContext): void {
  const st = states.get(ctx);
  if (!st) return;
  const A = ctx.atoms;
  const T = ctx.syms;
  for (const a of st.ehAtoms) A.flags[a]! &= ~AtomFlag.Live;
  for (const [k, f] of st.fdes) {
    const e = st.cu.get(k);
    if ((e && !isDwarfMode(ctx, e.encoding)) || !liveAtom(ctx, f.fn.atom)) continue;
    A.flags[f.atom]! |= AtomFlag.Live;
    A.flags[f.cie.atom]! |= AtomFlag.Live;
  }
  for (const e of st.cu.values()) {
    if (!e.personality || !liveAtom(ctx, e.fn.atom)) continue;
    const s = e.personality;
    if (T.kind[s] === SymKind.Undefined && !isImport(ctx, s)) {
      ctx.diag.error(`undefined personality routine ${T.name(s)} (referenced by compact unwind info)`);
      continue;
    }
    T.set(s, SymFlag.NeedsGot | SymFlag.Referenced);
    if (!st.personalities.includes(s)) st.personalities.push(s);
  }
  if (st.personalities.length > 3)
    ctx.diag.error(
      `too many personality routines for compact unwind info (${st.personalities.length}, at most 3): ${st.personalities.map((s) => T.name(s)).join(", ")}`,
    );
}

/** Whether two adjacent rows may share one entry (lld's folding rules). */
function canFold(ctx: LinkContext, a: Row, b: Row): boolean {
  return (
    a.encoding === b.encoding &&
    !a.lsda &&
    !b.lsda &&
    a.personality === b.personality &&
    !a.fde &&
    !b.fde &&
    (b.encoding & ctx.target.unwind.modeMask) !== ctx.target.unwind.noFoldMode
  );
}

/**
 * Builds the address-ordered entries from the live code atoms and creates
 * `__TEXT,__unwind_info` with its final size (address independent).
 */
export function planUnwind(ctx: LinkContext, map: SectionMap): void {
  const st = states.get(ctx);
  if (!st || ctx.diag.errorCount > 0) return;
  const A = ctx.atoms;
  const byAtom = new Map<AtomId, CuEntry[]>();
  for (const e of st.cu.values()) {
    if (!liveAtom(ctx, e.fn.atom)) continue;
    let l = byAtom.get(e.fn.atom);
    if (!l) byAtom.set(e.fn.atom, (l = []));
    l.push(e);
  }
  const fdeFor = (l: Loc): Fde | undefined => {
    const f = st.fdes.get(key(l));
    return f && A.flags[f.atom]! & AtomFlag.Live ? f : undefined;
  };
  const rows: Row[] = [];
  let span = 0;
  let any = false;
  for (const o of orderedSections(map)) {
    if (o.segname !== "__TEXT" || !(o.flags & S_ATTR_PURE_INSTRUCTIONS) || o.synthetic !== "none") continue;
    for (const a of o.atoms) {
      span += A.size[a]! + 2 ** A.align[a]!;
      if (A.size[a] === 0) continue;
      const es = (byAtom.get(a) ?? []).sort((x, y) => x.fn.delta - y.fn.delta);
      if (es.length === 0 || es[0]!.fn.delta !== 0) {
        const fn = { atom: a, delta: 0 };
        const fde = fdeFor(fn);
        const end = { atom: a, delta: es.length ? es[0]!.fn.delta : A.size[a]! };
        rows.push({ fn, end, encoding: fde ? ctx.target.unwind.modeDwarf : 0, personality: 0, lsda: undefined, fde });
        if (fde) any = true;
      }
      for (const e of es) {
        any = true;
        const fde = isDwarfMode(ctx, e.encoding) ? fdeFor(e.fn) : undefined;
        const pi = e.personality ? st.personalities.indexOf(e.personality) + 1 : 0;
        let encoding = e.encoding | (pi << 28);
        if (e.lsda) encoding |= UNWIND_HAS_LSDA;
        if (fde) encoding = (encoding & ~ctx.target.unwind.dwarfSectionOffset) | ctx.target.unwind.modeDwarf;
        rows.push({
          fn: e.fn,
          end: { atom: a, delta: e.fn.delta + e.length },
          encoding: encoding >>> 0,
          personality: e.personality,
          lsda: e.lsda,
          fde,
        });
      }
    }
  }
  if (!any) return;
  const folded: Row[] = [];
  for (const r of rows) {
    const prev = folded[folded.length - 1];
    if (prev && canFold(ctx, prev, r)) prev.end = r.end;
    else folded.push(r);
  }
  st.rows = folded;
  // Compressed pages hold 24-bit deltas from a page's first function; with
  // 16 MiB of code or more, fall back to regular pages (address independent).
  st.regularOnly = span >= 0x1000000;
  const plan = planUnwindInfo(
    placeholderEncodings(folded),
    st.personalities.length,
    folded.filter((r) => r.lsda).length,
    st.regularOnly,
  );
  const o = map.get("__TEXT", "__unwind_info", S_REGULAR, 2);
  o.synthetic = "unwind_info";
  o.chunk = new UnwindInfoSection(ctx, st, plan.size);
  o.size = o.chunk.size();
}

/** Encodings with each DWARF-mode entry made unique (as its FDE offset will make it). */
function placeholderEncodings(rows: Row[]): number[] {
  let n = 0;
  return rows.map((r) => (r.fde ? (r.encoding | ++n) >>> 0 : r.encoding));
}

/** Fixes the kept `__eh_frame` records in `out` (CIE pointers, pc_begin, LSDA pointers) once every section is copied. */
export function writeUnwind(ctx: LinkContext, out: Uint8Array): void {
  const st = states.get(ctx);
  if (!st) return;
  const A = ctx.atoms;
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const eh = ctx.outSections.find((o) => o.segname === "__TEXT" && o.sectname === "__eh_frame");
  const fileOf = (addr: number, o: OutputSection): number => o.fileOff + (addr - o.addr);
  // __eh_frame: CIE pointers, pc_begin and LSDA pointers for the output layout.
  if (eh) {
    for (const f of st.fdes.values()) {
      if (!(A.flags[f.atom]! & AtomFlag.Live)) continue;
      const fdeAddr = A.address[f.atom]!;
      dv.setUint32(fileOf(fdeAddr + 4, eh), fdeAddr + 4 - A.address[f.cie.atom]!, true);
      writeEncoded(
        ctx,
        dv,
        eh,
        fdeAddr + f.pcBeginOff,
        f.cie.fdeEnc,
        atomAddress(ctx, f.fn.atom, f.fn.delta),
        f.pcBeginReloc,
      );
      if (f.lsda && f.lsdaOff >= 0)
        writeEncoded(
          ctx,
          dv,
          eh,
          fdeAddr + f.lsdaOff,
          f.cie.lsdaEnc,
          atomAddress(ctx, f.lsda.atom, f.lsda.delta),
          f.lsdaReloc,
        );
    }
  }
}

/**
 * `__TEXT,__unwind_info` (lld's `UnwindInfoSection`): sized by `planUnwind`
 * from the encodings alone; written from the final addresses, each
 * DWARF-mode entry pointing at its FDE's offset in the output `__eh_frame`.
 */
class UnwindInfoSection implements SyntheticSection {
  private readonly ctx: LinkContext;
  private readonly st: UnwindState;
  private readonly planned: number;
  constructor(ctx: LinkContext, st: UnwindState, planned: number) {
    this.ctx = ctx;
    this.st = st;
    this.planned = planned;
  }
  size(): number {
    return this.planned;
  }
  writeTo(out: Uint8Array, at: number): void {
    const ctx = this.ctx;
    const st = this.st;
    const A = ctx.atoms;
    const eh = ctx.outSections.find((o) => o.segname === "__TEXT" && o.sectname === "__eh_frame");
    const base = ctx.synth.imageBase;
    const T = ctx.syms;
    // The target's UNWIND_*_DWARF_SECTION_OFFSET: where a DWARF-mode entry keeps its FDE's offset.
    const mask = ctx.target.unwind.dwarfSectionOffset;
    const entries = st.rows.map((r) => {
      let encoding = r.encoding;
      if (r.fde) {
        const off = A.address[r.fde.atom]! - eh!.addr;
        if (off > mask) {
          ctx.diag.error(`__eh_frame offset 0x${off.toString(16)} of an FDE does not fit the compact unwind encoding`);
        }
        encoding = ((encoding & ~mask) | (off & mask)) >>> 0;
      }
      return {
        functionOffset: atomAddress(ctx, r.fn.atom, r.fn.delta) - base,
        encoding,
        lsdaOffset: r.lsda ? atomAddress(ctx, r.lsda.atom, r.lsda.delta) - base : 0,
      };
    });
    const last = st.rows[st.rows.length - 1]!;
    const bytes = encodeUnwindInfo({
      entries,
      personalities: st.personalities.map((s) => ctx.synth.got + T.gotIndex[s]! * 8 - base),
      end: atomAddress(ctx, last.end.atom, last.end.delta) - base,
      regularOnly: st.regularOnly,
    });
    if (bytes.length !== this.planned) {
      ctx.diag.error(`__unwind_info: planned ${this.planned} bytes, encoded ${bytes.length}`);
      return;
    }
    out.set(bytes, at);
  }
}

/** Writes `target` into an encoded pointer field at output address `at` (pc-relative or absolute). */
function writeEncoded(
  ctx: LinkContext,
  dv: DataView,
  eh: OutputSection,
  at: number,
  enc: number,
  target: number,
  relocated: boolean,
): void {
  const app = enc & 0x70;
  const size = ehPointerSize(enc);
  // Absolute pointers carry relocations (and rebases); relocate() filled them.
  if (app !== 0x10 || (relocated && app !== 0x10)) return;
  const loc = eh.fileOff + (at - eh.addr);
  const value = target - at;
  if (size === 8) dv.setBigInt64(loc, BigInt(value), true);
  else if (size === 4) {
    if (value < -0x80000000 || value > 0x7fffffff) {
      ctx.diag.error(`__eh_frame: pc-relative pointer at 0x${at.toString(16)} does not fit in 32 bits`);
      return;
    }
    dv.setInt32(loc, value, true);
  } else if (size === 2) dv.setInt16(loc, value, true);
}
