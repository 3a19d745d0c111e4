/**
 * Machine addresses in an object's debug sections, and where they land.
 *
 * References between debug sections carry no relocations in a Mach-O
 * object (offsets assume each section starts at 0), but every machine
 * address does: an UNSIGNED quad, section-relative (the bytes hold the
 * target's input address) or extern (symbol + the bytes), or a
 * SUBTRACTOR/UNSIGNED pair (B - A + the bytes). `debugRelocs` turns a debug
 * section's decoded relocation rows into what each field's bytes stand for,
 * column-wise and sorted by offset; `AddressMapper` maps an input address
 * to its output address through the atom holding it (-1 when that atom is
 * dead, folded into another or unplaced).
 *
 * Both work over typed columns only (the link's section, atom and
 * relocation tables, or copies of them), never over the link context, so a
 * merge built on them is a pure function of bytes and columns that can run
 * on another thread.
 */

/** The input-section columns address mapping reads (`LinkContext.sections`). */
export interface SectionColumns {
  /** Address in the input object. */
  addr: Float64Array;
  firstAtom: Int32Array;
  atomCount: Int32Array;
}

/** The atom columns address mapping reads (`LinkContext.atoms`). */
export interface AtomColumns {
  section: Int32Array;
  offset: Float64Array;
  size: Float64Array;
  flags: Uint8Array;
  foldedInto: Int32Array;
  out: Int32Array;
  address: Float64Array;
}

/** The relocation columns `debugRelocs` reads (`LinkContext.relocs`). */
export interface RelocColumns {
  offset: Uint32Array;
  type: Uint8Array;
  length: Uint8Array;
  flags: Uint8Array;
  atom: Int32Array;
  delta: Float64Array;
  subAtom: Int32Array;
  subDelta: Float64Array;
}

/** `AtomFlag.Live`, `RelocFlag.*` and `RelocAttr.Pointer` of @tsld/core (kept here so this file reads columns only). */
const ATOM_LIVE = 1;
const RELOC_EXTERN = 1 << 1;
const RELOC_PAIR = 1 << 2;
const RELOC_BAD = 1 << 4;

/** Where one object's sections sit in the section table. */
export interface ObjectPlace {
  firstSection: number;
  sectionCount: number;
}

/**
 * The relocations of one debug section, decoded (what address each field's
 * bytes stand for), column-wise and sorted by offset. One entry per offset:
 * when two relocations name the same offset the later one counts.
 */
export class DebugRelocs {
  /** Number of entries. */
  count = 0;
  /** Offset of the relocated field in the section, ascending. */
  off: Float64Array;
  /** 1-based section ordinal of the target in its object, 0 when not mappable (import, absolute). */
  sect: Int32Array;
  /** Extern: the symbol's input address (the addend is in the bytes); section-relative: 0. */
  symAddr: Float64Array;
  /** Field size in bytes. */
  size: Uint8Array;
  /** For SUBTRACTOR pairs: the subtrahend's section ordinal (-1 for a plain relocation) and symbol address. */
  minusSect: Int32Array;
  minusAddr: Float64Array;

  constructor(n: number) {
    this.off = new Float64Array(n);
    this.sect = new Int32Array(n);
    this.symAddr = new Float64Array(n);
    this.size = new Uint8Array(n);
    this.minusSect = new Int32Array(n);
    this.minusAddr = new Float64Array(n);
  }

  /**
   * The input address entry `k`'s field stands for when its bytes hold
   * `stored`, in section ordinal `sect[k]`: symbol + bytes for a plain
   * relocation (section-relative: the bytes, `symAddr` 0); for a SUBTRACTOR
   * pair, the minuend's address (the bytes are the pair's addend). Every
   * relocated field is mapped from it (`AddressMapper.resolve`, the line
   * programs' DW_LNE_set_address).
   */
  inputAddress(k: number, stored: number): number {
    return this.symAddr[k]! + (this.minusSect[k]! < 0 ? stored : 0);
  }

  /** The entry at offset `at`, or -1. */
  find(at: number): number {
    const off = this.off;
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = off[mid]!;
      if (v === at) return mid;
      if (v < at) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** The first entry at or after offset `at` (`count` when none). */
  lowerBound(at: number): number {
    const off = this.off;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (off[mid]! < at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export const NO_RELOCS = new DebugRelocs(0);

/**
 * The relocation rows `[r0, r1)` of one debug section of the object at
 * `place` as a sorted `DebugRelocs`: rows that are neither pointers
 * (`attrs[type] & pointerAttr` zero) nor SUBTRACTOR pairs, and undecodable
 * rows, are left out. Clang writes a section's relocations in descending offset
 * order, so the rows are read from the last: clang's come out ascending as
 * they are, strictly ascending ones are reversed, and only other orders are
 * sorted.
 */
export function debugRelocs(
  R: RelocColumns,
  r0: number,
  r1: number,
  A: AtomColumns,
  S: SectionColumns,
  place: ObjectPlace,
  attrs: readonly number[],
  pointerAttr: number,
): DebugRelocs {
  const n = r1 - r0;
  if (n <= 0) return NO_RELOCS;
  const raw = new DebugRelocs(n);
  const firstSection = place.firstSection;
  let m = 0;
  for (let r = r1 - 1; r >= r0; r--) {
    const fl = R.flags[r]!;
    if (fl & RELOC_BAD) continue;
    let tSect = 0;
    let tAddr = 0;
    const atom = R.atom[r]!;
    if (fl & RELOC_PAIR) {
      const sub = R.subAtom[r]!;
      if (sub >= 0) {
        const ssid = A.section[sub]!;
        raw.minusSect[m] = ssid - firstSection + 1;
        raw.minusAddr[m] = S.addr[ssid]! + A.offset[sub]! + R.subDelta[r]!;
      } else {
        raw.minusSect[m] = 0;
        raw.minusAddr[m] = 0;
      }
      if (atom >= 0) {
        const tsid = A.section[atom]!;
        tSect = tsid - firstSection + 1;
        tAddr = S.addr[tsid]! + A.offset[atom]! + R.delta[r]!;
      }
    } else {
      if (!((attrs[R.type[r]!] ?? 0) & pointerAttr)) continue;
      if (atom >= 0) {
        const tsid = A.section[atom]!;
        tSect = tsid - firstSection + 1;
        // Section-relative: the bytes hold the input address itself.
        tAddr = fl & RELOC_EXTERN ? S.addr[tsid]! + A.offset[atom]! + R.delta[r]! : 0;
      }
      raw.minusSect[m] = -1;
      raw.minusAddr[m] = 0;
    }
    raw.off[m] = R.offset[r]!;
    raw.sect[m] = tSect;
    raw.symAddr[m] = tAddr;
    raw.size[m] = 1 << R.length[r]!;
    m++;
  }
  raw.count = m;
  if (m === 0) return NO_RELOCS;
  const off = raw.off;
  let asc = true;
  let desc = true;
  for (let j = 1; j < m && (asc || desc); j++) {
    if (off[j]! <= off[j - 1]!) asc = false;
    if (off[j]! >= off[j - 1]!) desc = false;
  }
  if (asc) return raw;
  if (desc) {
    // Reversed in place.
    for (let i = 0, j = m - 1; i < j; i++, j--) {
      swap(raw.off, i, j);
      swap(raw.sect, i, j);
      swap(raw.symAddr, i, j);
      swap(raw.size, i, j);
      swap(raw.minusSect, i, j);
      swap(raw.minusAddr, i, j);
    }
    return raw;
  }
  const out = new DebugRelocs(m);
  // Any other order: by (offset, row), rows in `raw` backwards; of equal offsets the last row's value counts.
  const idx = new Int32Array(m);
  for (let j = 0; j < m; j++) idx[j] = j;
  idx.sort((a, b) => off[a]! - off[b]! || b - a);
  let c = 0;
  for (let j = 0; j < m; j++) {
    const k = idx[j]!;
    if (j + 1 < m && off[idx[j + 1]!] === off[k]) continue;
    copyEntry(raw, k, out, c++);
  }
  out.count = c;
  return out;
}

function swap(a: { [i: number]: number }, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

function copyEntry(from: DebugRelocs, i: number, to: DebugRelocs, j: number): void {
  to.off[j] = from.off[i]!;
  to.sect[j] = from.sect[i]!;
  to.symAddr[j] = from.symAddr[i]!;
  to.size[j] = from.size[i]!;
  to.minusSect[j] = from.minusSect[i]!;
  to.minusAddr[j] = from.minusAddr[i]!;
}

/**
 * Input addresses of one object to output addresses, through atoms. The
 * atom found last is remembered with what mapping through it needs:
 * consecutive lookups (a line table's rows, a list's entries) mostly fall in
 * the same atom, or the next one, and skip the search.
 */
export class AddressMapper {
  private readonly S: SectionColumns;
  private readonly A: AtomColumns;
  private readonly firstSection: number;
  private readonly sectionCount: number;
  /**
   * After a successful `map`: the input range [startIn, endIn) of the atom
   * that held the address, through which every address maps with the same
   * shift.
   */
  startIn = 0;
  endIn = 0;
  /** After `liveEnvelope`: the output range of the live code found (hi 0: none). */
  envLo = 0;
  envHi = 0;
  // The last atom found: its section id and index; the section offsets [cLo, cHi) for which it is
  // the last atom starting at or before the offset; its end offset (cLo + size); whether it maps
  // (live, not folded, placed); its output address and its input end address.
  private cSid = -1;
  private cAtom = -1;
  private cLast = -1;
  private cLo = 0;
  private cHi = 0;
  private cEnd = 0;
  private cLive = false;
  private cAddr = 0;
  private cStartIn = 0;
  private cEndIn = 0;

  constructor(S: SectionColumns, A: AtomColumns, place: ObjectPlace) {
    this.S = S;
    this.A = A;
    this.firstSection = place.firstSection;
    this.sectionCount = place.sectionCount;
  }

  /**
   * The output address of input address `addr` in section ordinal `sect`
   * (and sets `endIn`), or -1 when it is in no atom, or a dead or folded
   * one. An end address is mapped through the byte before it.
   */
  map(sect: number, addr: number, end: boolean): number {
    const q = end ? addr - 1 : addr;
    if (sect < 1 || sect > this.sectionCount) return -1;
    const sid = this.firstSection + sect - 1;
    const secOff = q - this.S.addr[sid]!;
    if (sid !== this.cSid || !(secOff >= this.cLo && secOff < this.cHi)) {
      if (!this.find(sid, secOff)) return -1;
    }
    if (!this.cLive || secOff < this.cLo || secOff > this.cEnd) return -1;
    this.startIn = this.cStartIn;
    this.endIn = this.cEndIn;
    return this.cAddr + (secOff - this.cLo) + (end ? 1 : 0);
  }

  /** Caches the last atom of section `sid` starting at or before `secOff` (as findAtom); false when the section has none. */
  private find(sid: number, secOff: number): boolean {
    const A = this.A;
    const off = A.offset;
    let a: number;
    if (sid === this.cSid && secOff >= this.cHi) {
      // cHi is finite here: the cached atom is not the section's last.
      // Forward from the cached atom (a walk usually moves to the next one); far jumps search.
      a = this.cAtom + 1;
      const last = this.cLast;
      let steps = 0;
      while (a < last && off[a + 1]! <= secOff && steps < 8) {
        a++;
        steps++;
      }
      if (a < last && off[a + 1]! <= secOff) a = this.search(sid, secOff);
    } else {
      const first = this.S.firstAtom[sid]!;
      const n = this.S.atomCount[sid]!;
      if (first < 0 || n === 0) return false;
      a = this.search(sid, secOff);
    }
    const first = this.S.firstAtom[sid]!;
    const last = first + this.S.atomCount[sid]! - 1;
    this.cSid = sid;
    this.cAtom = a;
    this.cLast = last;
    this.cLo = off[a]!;
    this.cHi = a < last ? off[a + 1]! : Number.POSITIVE_INFINITY;
    this.cEnd = this.cLo + A.size[a]!;
    this.cLive = (A.flags[a]! & ATOM_LIVE) !== 0 && A.foldedInto[a] === a && A.out[a]! >= 0;
    this.cAddr = A.address[a]!;
    this.cStartIn = this.S.addr[A.section[a]!]! + this.cLo;
    this.cEndIn = this.cStartIn + A.size[a]!;
    return true;
  }

  /** Binary search: the last atom of section `sid` starting at or before `secOff`, else its first. */
  private search(sid: number, secOff: number): number {
    const off = this.A.offset;
    const first = this.S.firstAtom[sid]!;
    let lo = 0;
    let hi = this.S.atomCount[sid]! - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (off[first + mid]! <= secOff) lo = mid;
      else hi = mid - 1;
    }
    return first + lo;
  }

  /** The output value of relocated field `k` of `R` whose bytes hold `stored`; NaN when it does not map. */
  resolve(R: DebugRelocs, k: number, stored: number, end: boolean): number {
    const sect = R.sect[k]!;
    if (sect === 0) return Number.NaN;
    const ms = R.minusSect[k]!;
    const target = this.map(sect, R.inputAddress(k, stored), end);
    if (target < 0) return Number.NaN;
    if (ms < 0) return target;
    // SUBTRACTOR pair: B - A + addend, B and A both mapped.
    const minus = ms === 0 ? -1 : this.map(ms, R.minusAddr[k]!, false);
    if (minus < 0) return Number.NaN;
    return target - minus + stored;
  }

  /**
   * The output envelope [envLo, envHi) of the live atoms of section ordinal
   * `sect` that overlap the input range [lowIn, lowIn + len) (each clipped
   * to the range); envHi is 0 when none does.
   */
  liveEnvelope(sect: number, lowIn: number, len: number): void {
    const S = this.S;
    const A = this.A;
    const sid = this.firstSection + sect - 1;
    const secIn = S.addr[sid]!;
    let lo = Number.POSITIVE_INFINITY;
    let hi = 0;
    const first = S.firstAtom[sid]!;
    for (let a = first; first >= 0 && a < first + S.atomCount[sid]!; a++) {
      const aIn = secIn + A.offset[a]!;
      const aEnd = aIn + A.size[a]!;
      if (aEnd <= lowIn || aIn >= lowIn + len) continue;
      const s = this.map(sect, Math.max(aIn, lowIn), false);
      const e = this.map(sect, Math.min(aEnd, lowIn + len), true);
      if (s < 0 || e < 0) continue;
      lo = Math.min(lo, s);
      hi = Math.max(hi, e);
    }
    this.envLo = lo;
    this.envHi = hi;
  }
}
