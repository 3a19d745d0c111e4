/**
 * Range-extension thunks (lld's `TextOutputSection::finalize` as of
 * ld64.lld-19): on a target whose calls reach only so far (arm64's BRANCH26,
 * ±128 MiB), a call whose target is out of reach goes to a small thunk near
 * the call that jumps anywhere (`TargetInfo.writeThunk`).
 *
 * Thunks are placed while a code section's atoms get their addresses, in
 * one walk over the atoms in output order. The walk keeps addresses final
 * up to (almost) a forward branch range ahead of the atom whose calls it is
 * looking at, so a call's target is either final (its address known) or
 * certainly beyond reach. For each call (Branch relocation) that cannot
 * reach its target, the last thunk made for that target is used if it is in
 * reach, else a new thunk is appended where the laid-out code currently
 * ends, which is within reach by construction (a slop of 256 thunks is
 * kept between that end and the range limit for runs of calls). Calls to
 * stubs count as out of reach until the walk is close enough to the end of
 * the section that the stubs (which follow it) come within a forward
 * branch, an address estimated from the code and thunks still to come
 * (lld's `estimateStubsInRangeVA`).
 *
 * A section needs thunks only when it and the stubs together are larger
 * than a branch's range; otherwise atoms are laid out as everywhere else.
 * Each thunk is a synthetic atom of the section and a chunk (`Thunk`, in
 * the section's `atomChunks`) that writes itself once addresses are final;
 * a thunk for a global symbol is named as lld names it (`_f.thunk.0`,
 * `_f.thunk.1`, …, a private extern);
 * the relocations that use it are recorded here (`thunkFor`) and
 * `relocateAtom` branches to it instead of the target.
 */
import {
  AtomFlag,
  type AtomChunk,
  type AtomId,
  type LinkContext,
  type OutputSection,
  RelocAttr,
  RelocFlag,
  SymFlag,
  SymKind,
  type SymbolId,
} from "@tsld/core";
import { symbolAddress } from "./target.js";

interface ThunkInfo {
  /** The latest thunk made for the target, -1 before the first. */
  atom: AtomId;
  /** Calls to the target, and those already looked at (lld's callSiteCount/callSitesUsed). */
  callSiteCount: number;
  callSitesUsed: number;
  /** Thunks made for the target so far: the next one's `<sym>.thunk.<n>`. */
  sequence: number;
}

interface ThunkState {
  /** Relocation row → thunk atom its branch goes through. */
  byReloc: Map<number, AtomId>;
}

/** One range-extension thunk: a jump to `target` (its stub, for an import), written by the target. */
class Thunk implements AtomChunk {
  private readonly ctx: LinkContext;
  readonly atom: AtomId;
  /** The symbol it jumps to. */
  readonly target: SymbolId;
  constructor(ctx: LinkContext, atom: AtomId, target: SymbolId) {
    this.ctx = ctx;
    this.atom = atom;
    this.target = target;
  }
  size(): number {
    return this.ctx.target.thunkSize;
  }
  writeTo(buf: Uint8Array, off: number): void {
    const ctx = this.ctx;
    const s = this.target;
    const stub = ctx.syms.stubIndex[s]!;
    const to = stub >= 0 ? ctx.synth.stubs + stub * ctx.target.stubSize : symbolAddress(ctx, s);
    ctx.target.writeThunk(buf, off, ctx.atoms.address[this.atom]!, to);
  }
}

const states = new WeakMap<LinkContext, ThunkState>();

function state(ctx: LinkContext): ThunkState {
  let st = states.get(ctx);
  if (!st) {
    st = { byReloc: new Map() };
    states.set(ctx, st);
  }
  return st;
}

/** The thunk atom relocation row `r` branches through, or -1. */
export function thunkFor(ctx: LinkContext, r: number): AtomId {
  return states.get(ctx)?.byReloc.get(r) ?? -1;
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** An address no branch reaches: a target not laid out yet. */
const OUT_OF_RANGE = Number.MAX_SAFE_INTEGER;

/**
 * Whether code section `o` (starting at `addr`) needs thunks: its atoms and
 * the stubs span more than a branch reaches (lld's `needsThunks`).
 */
function needsThunks(ctx: LinkContext, o: OutputSection, addr: number): boolean {
  const t = ctx.target;
  if (t.thunkSize === 0 || o.segname !== "__TEXT" || o.synthetic !== "none") return false;
  const A = ctx.atoms;
  let end = addr;
  for (const a of o.atoms) end = alignUp(end, 2 ** A.align[a]!) + A.size[a]!;
  const stubs = ctx.stubs.length * t.stubSize;
  return end - addr + stubs > Math.min(t.forwardBranchRange, t.backwardBranchRange);
}

/**
 * Gives the atoms of `o` their addresses from `addr` on, with thunks where
 * calls need them (inserted into `o.atoms`); returns the section's size.
 * Without a need for thunks, returns -1 and does nothing.
 */
export function layoutWithThunks(ctx: LinkContext, o: OutputSection, addr: number): number {
  if (!needsThunks(ctx, o, addr)) return -1;
  const t = ctx.target;
  const A = ctx.atoms;
  const R = ctx.relocs;
  const T = ctx.syms;
  const attrs = t.relocAttrs;
  const st = state(ctx);
  const inputs = o.atoms;
  const n = inputs.length;
  const isBranch = (r: number): boolean =>
    ((attrs[R.type[r]!] ?? 0) & RelocAttr.Branch) !== 0 &&
    (R.flags[r]! & (RelocFlag.Extern | RelocFlag.Bad | RelocFlag.Pair)) === RelocFlag.Extern;

  // Calls per target, and which atoms make any (lld fills these in needsThunks).
  const info = new Map<number, ThunkInfo>();
  const hasCalls = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = inputs[i]!;
    for (let r = A.relocStart[a]!; r < A.relocEnd[a]!; r++) {
      if (!isBranch(r)) continue;
      const s = R.sym[r]!;
      let ti = info.get(s);
      if (!ti) info.set(s, (ti = { atom: -1, callSiteCount: 0, callSitesUsed: 0, sequence: 0 }));
      ti.callSiteCount++;
      hasCalls[i] = 1;
    }
  }

  const laidOut: AtomId[] = [];
  const final = new Set<AtomId>();
  let size = 0;
  const finalizeOne = (a: AtomId): void => {
    size = alignUp(size, 2 ** A.align[a]!);
    A.address[a] = addr + size;
    size += A.size[a]!;
    final.add(a);
    laidOut.push(a);
  };
  // Where a call to `s` lands, if known now: a laid-out atom here or in an
  // earlier section of this segment; stubs and later code are out of reach.
  const branchTarget = (s: number): number => {
    if (T.stubIndex[s]! >= 0) return OUT_OF_RANGE;
    const k = T.kind[s];
    if (k === SymKind.Absolute) return T.value[s]!;
    if (k !== SymKind.Defined) return OUT_OF_RANGE;
    const a = A.foldedInto[T.atom[s]!]!;
    if (final.has(a)) return A.address[a]! + T.value[s]!;
    const out = A.out[a]!;
    if (out >= 0 && out < o.id && ctx.outSections[out]!.segment === o.segment) return A.address[a]! + T.value[s]!;
    return OUT_OF_RANGE;
  };

  const stubsSize = ctx.stubs.length * t.stubSize;
  // Calls from here on reach the stubs directly (set once all code is laid out).
  let stubsInRange = OUT_OF_RANGE;
  const slop = 256 * t.thunkSize;
  let finalIdx = 0;
  const sid = thunkSection(ctx, o);
  const thunks: Thunk[] = [];
  for (let callIdx = 0; callIdx < n; callIdx++) {
    const isec = inputs[callIdx]!;
    const isecVA = final.has(isec) ? A.address[isec]! : addr + size;
    // Lay out everything that ends within a forward branch (less the slop) of this atom.
    while (finalIdx < n) {
      const next = inputs[finalIdx]!;
      const end = alignUp(addr + size, 2 ** A.align[next]!) + A.size[next]!;
      if (end >= isecVA + t.forwardBranchRange - slop) break;
      finalizeOne(inputs[finalIdx++]!);
    }
    // An atom larger than the window is laid out on its own.
    if (!final.has(isec)) {
      while (finalIdx <= callIdx) finalizeOne(inputs[finalIdx++]!);
    }
    if (!hasCalls[callIdx]) continue;
    if (finalIdx === n && stubsInRange === OUT_OF_RANGE) {
      // Thunks that may still be needed: targets with calls not yet looked at.
      let maxThunks = 0;
      for (const ti of info.values()) if (ti.callSitesUsed < ti.callSiteCount) maxThunks++;
      let end = A.address[isec]!;
      for (let i = callIdx; i < n; i++) end = alignUp(end, 2 ** A.align[inputs[i]!]!) + A.size[inputs[i]!]!;
      stubsInRange = end + maxThunks * t.thunkSize + stubsSize - t.forwardBranchRange;
    }
    const base = A.address[isec]! - A.offset[isec]!;
    for (let r = A.relocStart[isec]!; r < A.relocEnd[isec]!; r++) {
      if (!isBranch(r)) continue;
      const callVA = base + R.offset[r]!;
      const lowVA = Math.max(0, callVA - t.backwardBranchRange);
      const highVA = callVA + t.forwardBranchRange;
      const s = R.sym[r]!;
      const ti = info.get(s)!;
      if (T.stubIndex[s]! >= 0 && callVA >= stubsInRange) continue;
      const funcVA = branchTarget(s);
      ti.callSitesUsed++;
      if (lowVA <= funcVA && funcVA <= highVA) continue;
      ti.callSiteCount++;
      if (ti.atom >= 0) {
        const thunkVA = A.address[ti.atom]!;
        if (lowVA <= thunkVA && thunkVA <= highVA) {
          st.byReloc.set(r, ti.atom);
          continue;
        }
      }
      if (R.addend[r] !== 0) continue; // a thunk jumps to the symbol itself; the range check reports this call
      if (addr + size > highVA) {
        ctx.diag.error(
          `${o.segname},${o.sectname}: too many consecutive out-of-range calls for their thunks to be in reach`,
        );
        return size;
      }
      const th = A.add(sid, -1, 0, t.thunkSize, 2, AtomFlag.Live | AtomFlag.Synthetic);
      A.out[th] = o.id;
      thunks.push(new Thunk(ctx, th, s));
      nameThunk(ctx, th, s, ti.sequence++);
      ti.atom = th;
      finalizeOne(th);
      st.byReloc.set(r, th);
    }
  }
  while (finalIdx < n) finalizeOne(inputs[finalIdx++]!);
  o.atoms = laidOut;
  if (thunks.length > 0) o.atomChunks = thunks;
  return size;
}

/**
 * Names thunk `th` (the `n`th for `target`) `<target>.thunk.<n>`, as lld
 * does: a private extern defined at the thunk, so the symbol table lists it
 * as a local (N_PEXT) and nothing exports it. A thunk for a local function
 * gets a name lld keeps out of the symbol table, and so no symbol here; nor
 * does one whose name an input already uses.
 */
function nameThunk(ctx: LinkContext, th: AtomId, target: SymbolId, n: number): void {
  const T = ctx.syms;
  if (!T.has(target, SymFlag.External)) return;
  const name = `${T.name(target)}.thunk.${n}`;
  if (T.lookup(name) !== 0) return;
  const s = T.intern(name);
  T.define(s, -1, th, 0);
  // Not the atom's `symbol`: function starts leave thunks out, as lld's do.
  T.set(s, SymFlag.PrivateExtern);
}

/** The synthetic input section thunk atoms of `o` belong to. */
function thunkSection(ctx: LinkContext, o: OutputSection): number {
  const sid = ctx.sections.add(-1, o.segname, o.sectname);
  ctx.sections.firstAtom[sid] = -1;
  ctx.sections.atomCount[sid] = 0;
  return sid;
}

/** Every (relocation row, thunk atom) pair, rows ascending: what a worker thread needs of `thunkFor`. */
export function thunkRows(ctx: LinkContext): Int32Array {
  const m = states.get(ctx)?.byReloc;
  if (!m || m.size === 0) return new Int32Array(0);
  const rows = [...m.keys()].sort((a, b) => a - b);
  const out = new Int32Array(rows.length * 2);
  rows.forEach((r, i) => {
    out[2 * i] = r;
    out[2 * i + 1] = m.get(r)!;
  });
  return out;
}
