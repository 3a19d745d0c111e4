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
  type UnwindInfoEntry,
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

/**
 * Rows keyed by a location in an atom, in insertion order, at most one per
 * location: a chain per atom (no hashing of wide keys, no object per row).
 */
class LocRows {
  private readonly head: Int32Array;
  private readonly next: number[] = [];
  readonly atom: AtomId[] = [];
  readonly delta: number[] = [];
  constructor(atomCount: number) {
    this.head = new Int32Array(atomCount).fill(-1);
  }
  get count(): number {
    return this.atom.length;
  }
  /** The first row of `atom` (-1: none); `nextOf` walks the rest. */
  first(atom: AtomId): number {
    return atom < this.head.length ? this.head[atom]! : -1;
  }
  nextOf(i: number): number {
    return this.next[i]!;
  }
  /** The row at (atom, delta), or -1. */
  find(atom: AtomId, delta: number): number {
    for (let i = this.first(atom); i >= 0; i = this.next[i]!) if (this.delta[i] === delta) return i;
    return -1;
  }
  /** A new row at (atom, delta), or -1 when the location has one already (the first one read wins). */
  add(atom: AtomId, delta: number): number {
    if (this.find(atom, delta) >= 0) return -1;
    const i = this.atom.push(atom) - 1;
    this.delta.push(delta);
    this.next.push(this.head[atom]!);
    this.head[atom] = i;
    return i;
  }
}

/** Compact-unwind entries, by function location: length, encoding, personality symbol (0: none), LSDA (atom -1: none). */
class CompactEntries extends LocRows {
  readonly length: number[] = [];
  readonly encoding: number[] = [];
  readonly personality: number[] = [];
  readonly lsdaAtom: AtomId[] = [];
  readonly lsdaDelta: number[] = [];
}

/** FDEs by function location. */
class FdeRows extends LocRows {
  readonly fde: Fde[] = [];
}

/**
 * The entries of the output table, before addresses: function start and
 * end, encoding, LSDA (atom -1: none), FDE. A row that may share the last
 * row's entry (lld's folding rules: same encoding and personality, no LSDA,
 * no FDE, not a mode that must not fold) only extends its end.
 */
class TableRows {
  private readonly modeMask: number;
  private readonly noFoldMode: number;
  constructor(ctx: LinkContext) {
    this.modeMask = ctx.target.unwind.modeMask;
    this.noFoldMode = ctx.target.unwind.noFoldMode;
  }
  fnAtom: AtomId[] = [];
  fnDelta: number[] = [];
  endAtom: AtomId[] = [];
  endDelta: number[] = [];
  encoding: number[] = [];
  personality: number[] = [];
  lsdaAtom: AtomId[] = [];
  lsdaDelta: number[] = [];
  fde: (Fde | undefined)[] = [];
  get count(): number {
    return this.fnAtom.length;
  }
  push(
    fnAtom: AtomId,
    fnDelta: number,
    endAtom: AtomId,
    endDelta: number,
    encoding: number,
    personality: number,
    lsdaAtom: AtomId,
    lsdaDelta: number,
    fde: Fde | undefined,
  ): void {
    const last = this.fnAtom.length - 1;
    if (
      last >= 0 &&
      this.encoding[last] === encoding &&
      this.lsdaAtom[last]! < 0 &&
      lsdaAtom < 0 &&
      this.personality[last] === personality &&
      !this.fde[last] &&
      !fde &&
      (encoding & this.modeMask) !== this.noFoldMode
    ) {
      this.endAtom[last] = endAtom;
      this.endDelta[last] = endDelta;
      return;
    }
    this.fnAtom.push(fnAtom);
    this.fnDelta.push(fnDelta);
    this.endAtom.push(endAtom);
    this.endDelta.push(endDelta);
    this.encoding.push(encoding);
    this.personality.push(personality);
    this.lsdaAtom.push(lsdaAtom);
    this.lsdaDelta.push(lsdaDelta);
    this.fde.push(fde);
  }
}

class UnwindState {
  readonly cu: CompactEntries;
  readonly fdes: FdeRows;
  /** The `__eh_frame` records' atoms: (first atom, count) of each section. */
  readonly ehAtoms: number[] = [];
  readonly personalities: number[] = [];
  rows: TableRows;
  regularOnly = false;
  constructor(ctx: LinkContext) {
    this.rows = new TableRows(ctx);
    const atomCount = ctx.atoms.count;
    this.cu = new CompactEntries(atomCount);
    this.fdes = new FdeRows(atomCount);
  }
}

const states = new WeakMap<LinkContext, UnwindState>();

/** Whether `enc` is the target's DWARF mode (the function is described by its FDE). */
const isDwarfMode = (ctx: LinkContext, enc: number): boolean =>
  (enc & ctx.target.unwind.modeMask) === ctx.target.unwind.modeDwarf;

/**
 * Decoded relocation rows of one section by section offset (the last row at
 * an offset wins): a table indexed by offset, reused from section to section
 * (`open` fills the section's rows in, `close` takes them out again).
 */
class RelocsByOffset {
  private table = new Int32Array(0);
  private sid = -1;
  private readonly ctx: LinkContext;
  constructor(ctx: LinkContext) {
    this.ctx = ctx;
  }
  open(sid: number): this {
    const S = this.ctx.sections;
    const R = this.ctx.relocs;
    if (this.table.length < S.size[sid]!)
      this.table = new Int32Array(Math.max(S.size[sid]!, 2 * this.table.length)).fill(-1);
    this.sid = sid;
    for (let r = S.relocStart[sid]!; r < S.relocEnd[sid]!; r++) {
      const off = R.offset[r]!;
      if (off >= 0 && off < this.table.length) this.table[off] = r;
    }
    return this;
  }
  close(): void {
    const S = this.ctx.sections;
    const R = this.ctx.relocs;
    for (let r = S.relocStart[this.sid]!; r < S.relocEnd[this.sid]!; r++) {
      const off = R.offset[r]!;
      if (off >= 0 && off < this.table.length) this.table[off] = -1;
    }
  }
  get(off: number): number | undefined {
    const r = off >= 0 && off < this.table.length ? this.table[off]! : -1;
    return r < 0 ? undefined : r;
  }
  has(off: number): boolean {
    return this.get(off) !== undefined;
  }
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
  const st = new UnwindState(ctx);
  const relocs = new RelocsByOffset(ctx);
  states.set(ctx, st);
  const S = ctx.sections;
  const T = ctx.syms;
  for (const file of ctx.files) {
    const ob = file.object;
    if (!ob) continue;
    // A file's compact entries first: its FDEs of functions they describe (not in DWARF mode) are never used.
    for (let k = 0; k < ob.sectionCount; k++) {
      const sid = ob.firstSection + k;
      if (S.segnames[sid] !== "__LD" || S.sectnames[sid] !== "__compact_unwind") continue;
      readCompactUnwind(ctx, st, file, sid, relocs.open(sid));
      relocs.close();
    }
    for (let k = 0; k < ob.sectionCount; k++) {
      const sid = ob.firstSection + k;
      if (S.segnames[sid] !== "__TEXT" || S.sectnames[sid] !== "__eh_frame" || S.firstAtom[sid]! < 0) continue;
      readEhFrame(ctx, st, file, sid, relocs.open(sid));
      relocs.close();
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
    const cu = st.cu;
    for (let e = 0; e < cu.count; e++) {
      add(cu.atom[e]!, cu.lsdaAtom[e]);
      const p = cu.personality[e]!;
      if (p && T.kind[p] === SymKind.Defined) add(cu.atom[e]!, T.atom[p]);
    }
    for (const f of st.fdes.fde) {
      const e = cu.find(f.fn.atom, f.fn.delta);
      if (e >= 0 && !isDwarfMode(ctx, cu.encoding[e]!)) continue;
      add(f.fn.atom, f.atom);
      add(f.fn.atom, f.cie.atom);
      add(f.fn.atom, f.lsda?.atom);
    }
    return m;
  };
  return (a) => (assoc ??= build()).get(a);
}

function readCompactUnwind(
  ctx: LinkContext,
  st: UnwindState,
  file: InputFile,
  sid: number,
  unsigned: RelocsByOffset,
): void {
  const S = ctx.sections;
  const T = ctx.syms;
  const v = file.view;
  const base = S.dataOff[sid]!;
  const size = S.size[sid]!;
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
    const cu = st.cu;
    if (cu.add(fn.atom, fn.delta) < 0) continue;
    cu.length.push(length);
    cu.encoding.push(encoding);
    cu.personality.push(personality);
    cu.lsdaAtom.push(lsda ? lsda.atom : -1);
    cu.lsdaDelta.push(lsda ? lsda.delta : 0);
  }
}

function readEhFrame(ctx: LinkContext, st: UnwindState, file: InputFile, sid: number, unsigned: RelocsByOffset): void {
  const S = ctx.sections;
  const A = ctx.atoms;
  const v = file.view;
  const base = S.dataOff[sid]!;
  const secAddr = S.addr[sid]!;
  const cies = new Map<number, EhCie>();
  /** This section's CIEs with their atoms, by section offset. */
  const ours = new Map<number, Cie>();
  const where = `${file.path}${file.member ? `(${file.member})` : ""}`;
  const first = S.firstAtom[sid]!;
  st.ehAtoms.push(first, S.atomCount[sid]!);
  for (let a = first; a < first + S.atomCount[sid]!; a++) {
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
    // A function with a compact entry not in DWARF mode never uses its FDE (nor does an FDE already read).
    const e = st.cu.find(fn.atom, fn.delta);
    if ((e >= 0 && !isDwarfMode(ctx, st.cu.encoding[e]!)) || st.fdes.find(fn.atom, fn.delta) >= 0) continue;
    let lsdaOff = -1;
    let lsda: Loc | undefined;
    if (rec.lsdaOff >= 0) {
      const raw = readPointer(v, base + rec.lsdaOff, rec.lsdaSize);
      if (raw !== 0 || unsigned.has(rec.lsdaOff)) {
        lsdaOff = rec.lsdaOff;
        lsda = fieldTarget(ctx, file, v, base, secAddr, lsdaOff, rec.lsdaSize, cie.lsdaEnc, unsigned);
      }
    }
    st.fdes.add(fn.atom, fn.delta);
    st.fdes.fde.push({
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
  rows: RelocsByOffset,
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
  for (let k = 0; k < st.ehAtoms.length; k += 2) {
    const first = st.ehAtoms[k]!;
    for (let a = first; a < first + st.ehAtoms[k + 1]!; a++) A.flags[a]! &= ~AtomFlag.Live;
  }
  const cu = st.cu;
  for (const f of st.fdes.fde) {
    const e = cu.find(f.fn.atom, f.fn.delta);
    if ((e >= 0 && !isDwarfMode(ctx, cu.encoding[e]!)) || !liveAtom(ctx, f.fn.atom)) continue;
    A.flags[f.atom]! |= AtomFlag.Live;
    A.flags[f.cie.atom]! |= AtomFlag.Live;
  }
  for (let e = 0; e < cu.count; e++) {
    const s = cu.personality[e]!;
    if (!s || !liveAtom(ctx, cu.atom[e]!)) continue;
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

/**
 * Builds the address-ordered entries from the live code atoms and creates
 * `__TEXT,__unwind_info` with its final size (address independent).
 */
export function planUnwind(ctx: LinkContext, map: SectionMap): void {
  const st = states.get(ctx);
  if (!st || ctx.diag.errorCount > 0) return;
  const A = ctx.atoms;
  const cu = st.cu;
  const fdeFor = (atom: AtomId, delta: number): Fde | undefined => {
    const i = st.fdes.find(atom, delta);
    const f = i >= 0 ? st.fdes.fde[i]! : undefined;
    return f && A.flags[f.atom]! & AtomFlag.Live ? f : undefined;
  };
  const es: number[] = [];
  /** The compact entries of live atom `a` into `es`, by offset. */
  const entriesOf = (a: AtomId): void => {
    es.length = 0;
    let i = cu.first(a);
    if (i < 0 || !liveAtom(ctx, a)) return;
    for (; i >= 0; i = cu.nextOf(i)) es.push(i);
    if (es.length > 1) es.sort((x, y) => cu.delta[x]! - cu.delta[y]!);
  };
  const { modeDwarf, dwarfSectionOffset } = ctx.target.unwind;
  const rows = new TableRows(ctx);
  let span = 0;
  let any = false;
  for (const o of orderedSections(map)) {
    if (o.segname !== "__TEXT" || !(o.flags & S_ATTR_PURE_INSTRUCTIONS) || o.synthetic !== "none") continue;
    for (const a of o.atoms) {
      const al = A.align[a]!;
      span += A.size[a]! + (al < 31 ? 1 << al : 2 ** al);
      if (A.size[a] === 0) continue;
      entriesOf(a);
      const d0 = es.length ? cu.delta[es[0]!]! : -1;
      if (d0 !== 0) {
        const fde = fdeFor(a, 0);
        rows.push(a, 0, a, es.length ? d0 : A.size[a]!, fde ? modeDwarf : 0, 0, -1, 0, fde);
        if (fde) any = true;
      }
      for (const e of es) {
        any = true;
        const delta = cu.delta[e]!;
        const personality = cu.personality[e]!;
        const fde = isDwarfMode(ctx, cu.encoding[e]!) ? fdeFor(a, delta) : undefined;
        const pi = personality ? st.personalities.indexOf(personality) + 1 : 0;
        let encoding = cu.encoding[e]! | (pi << 28);
        if (cu.lsdaAtom[e]! >= 0) encoding |= UNWIND_HAS_LSDA;
        if (fde) encoding = (encoding & ~dwarfSectionOffset) | modeDwarf;
        rows.push(
          a,
          delta,
          a,
          delta + cu.length[e]!,
          encoding >>> 0,
          personality,
          cu.lsdaAtom[e]!,
          cu.lsdaDelta[e]!,
          fde,
        );
      }
    }
  }
  if (!any) return;
  let lsdas = 0;
  for (let r = 0; r < rows.count; r++) if (rows.lsdaAtom[r]! >= 0) lsdas++;
  st.rows = rows;
  // Compressed pages hold 24-bit deltas from a page's first function; with
  // 16 MiB of code or more, fall back to regular pages (address independent).
  st.regularOnly = span >= 0x1000000;
  const plan = planUnwindInfo(placeholderEncodings(rows), st.personalities.length, lsdas, st.regularOnly);
  const o = map.get("__TEXT", "__unwind_info", S_REGULAR, 2);
  o.synthetic = "unwind_info";
  o.chunk = new UnwindInfoSection(ctx, st, plan.size);
  o.size = o.chunk.size();
}

/** Encodings with each DWARF-mode entry made unique (as its FDE offset will make it). */
function placeholderEncodings(rows: TableRows): number[] {
  let n = 0;
  const out = new Array<number>(rows.count);
  for (let r = 0; r < rows.count; r++) out[r] = rows.fde[r] ? (rows.encoding[r]! | ++n) >>> 0 : rows.encoding[r]!;
  return out;
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
    for (const f of st.fdes.fde) {
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
    const R = st.rows;
    const entries = new Array<UnwindInfoEntry>(R.count);
    for (let r = 0; r < R.count; r++) {
      let encoding = R.encoding[r]!;
      const fde = R.fde[r];
      if (fde) {
        const off = A.address[fde.atom]! - eh!.addr;
        if (off > mask) {
          ctx.diag.error(`__eh_frame offset 0x${off.toString(16)} of an FDE does not fit the compact unwind encoding`);
        }
        encoding = ((encoding & ~mask) | (off & mask)) >>> 0;
      }
      entries[r] = {
        functionOffset: atomAddress(ctx, R.fnAtom[r]!, R.fnDelta[r]!) - base,
        encoding,
        lsdaOffset: R.lsdaAtom[r]! >= 0 ? atomAddress(ctx, R.lsdaAtom[r]!, R.lsdaDelta[r]!) - base : 0,
      };
    }
    const last = R.count - 1;
    const bytes = encodeUnwindInfo({
      entries,
      personalities: st.personalities.map((s) => ctx.synth.got + T.gotIndex[s]! * 8 - base),
      end: atomAddress(ctx, R.endAtom[last]!, R.endDelta[last]!) - base,
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
