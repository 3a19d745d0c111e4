/**
 * dyld "compressed" fixup information: rebase and bind opcode streams.
 *
 * Apple's `mach-o/loader.h` (dyld_info_command) defines four byte streams in
 * __LINKEDIT telling dyld which pointers to slide and which to bind to
 * imported symbols; dyld's `ImageLoaderMachOCompressed` interprets them. Each
 * opcode byte is `opcode | immediate` (high / low nibble), some followed by
 * ULEB128/SLEB128 operands or a C string. The interpreter's state is the
 * segment index and offset and, for binds, the dylib ordinal, symbol name and
 * flags, type and addend; "DO" opcodes fix up the current address and advance
 * it by the pointer size (8 here), optionally by an extra scaled immediate or
 * ULEB, or repeat with a skip.
 *
 * - Rebase: one stream of pointer slides, sorted by address.
 * - Bind: ordinals are IMM for 1..15, ULEB beyond, and SPECIAL_IMM (a
 *   sign-extended nibble) for self / main executable / flat / weak lookup.
 * - Weak bind: no ordinals; sorted by symbol name (dyld merges it across
 *   images). A SET_SYMBOL with BIND_SYMBOL_FLAGS_NON_WEAK_DEFINITION and no
 *   DO_BIND announces a strong definition overriding weak ones elsewhere.
 * - Lazy bind: one self-contained sequence per lazy pointer ending in DONE;
 *   the stub helper pushes each sequence's offset for dyld_stub_binder.
 *
 * The encoders sort their input (except lazy) so only changed state is
 * re-emitted, and pick the compact opcode forms as ld64 and lld do. Streams
 * are zero-padded to 8 bytes (the padding reads as DONE).
 */
import {
  BIND_IMMEDIATE_MASK,
  BIND_OPCODE_ADD_ADDR_ULEB,
  BIND_OPCODE_DONE,
  BIND_OPCODE_DO_BIND,
  BIND_OPCODE_DO_BIND_ADD_ADDR_IMM_SCALED,
  BIND_OPCODE_DO_BIND_ADD_ADDR_ULEB,
  BIND_OPCODE_DO_BIND_ULEB_TIMES_SKIPPING_ULEB,
  BIND_OPCODE_MASK,
  BIND_OPCODE_SET_ADDEND_SLEB,
  BIND_OPCODE_SET_DYLIB_ORDINAL_IMM,
  BIND_OPCODE_SET_DYLIB_ORDINAL_ULEB,
  BIND_OPCODE_SET_DYLIB_SPECIAL_IMM,
  BIND_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB,
  BIND_OPCODE_SET_SYMBOL_TRAILING_FLAGS_IMM,
  BIND_OPCODE_SET_TYPE_IMM,
  BIND_OPCODE_THREADED,
  BIND_SYMBOL_FLAGS_NON_WEAK_DEFINITION,
  BIND_TYPE_POINTER,
  REBASE_IMMEDIATE_MASK,
  REBASE_OPCODE_ADD_ADDR_IMM_SCALED,
  REBASE_OPCODE_ADD_ADDR_ULEB,
  REBASE_OPCODE_DONE,
  REBASE_OPCODE_DO_REBASE_ADD_ADDR_ULEB,
  REBASE_OPCODE_DO_REBASE_IMM_TIMES,
  REBASE_OPCODE_DO_REBASE_ULEB_TIMES,
  REBASE_OPCODE_DO_REBASE_ULEB_TIMES_SKIPPING_ULEB,
  REBASE_OPCODE_MASK,
  REBASE_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB,
  REBASE_OPCODE_SET_TYPE_IMM,
  REBASE_TYPE_POINTER,
} from "./constants.js";
import { MachOFormatError } from "./errors.js";
import { lebCursor, readSLEB128, readULEB128, slebSize, ulebSize, writeSLEB128, writeULEB128 } from "./leb128.js";

const PTR = 8;

export interface RebaseEntry {
  segIndex: number;
  segOffset: number;
}

export interface BindEntry {
  segIndex: number;
  segOffset: number;
  /** > 0: dylib ordinal; 0 self; -1 main executable; -2 flat lookup; -3 weak lookup. */
  ordinal: number;
  symbol: string;
  /** BIND_SYMBOL_FLAGS_*. */
  flags: number;
  addend: number;
}

export interface WeakBindEntry {
  segIndex: number;
  segOffset: number;
  symbol: string;
  flags: number;
  addend: number;
}

// ---------------------------------------------------------------------------
// A small append-only byte sink (sized exactly at the end).

class ByteSink {
  buf: Uint8Array;
  len = 0;

  constructor(initial: number) {
    this.buf = new Uint8Array(Math.max(64, initial));
  }

  private grow(need: number): void {
    let cap = this.buf.length * 2;
    while (cap < this.len + need) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  byte(b: number): void {
    if (this.len + 1 > this.buf.length) this.grow(1);
    this.buf[this.len++] = b;
  }

  uleb(v: number): void {
    if (this.len + 10 > this.buf.length) this.grow(10);
    this.len = writeULEB128(this.buf, this.len, v);
  }

  sleb(v: number): void {
    if (this.len + 10 > this.buf.length) this.grow(10);
    this.len = writeSLEB128(this.buf, this.len, v);
  }

  bytes(b: Uint8Array): void {
    if (this.len + b.length > this.buf.length) this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** The content zero-padded to a multiple of 8 (a copy). */
  finish(): Uint8Array {
    const out = new Uint8Array((this.len + 7) & ~7);
    out.set(this.buf.subarray(0, this.len));
    return out;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8");

function symbolBytes(cache: Map<string, Uint8Array>, s: string): Uint8Array {
  let b = cache.get(s);
  if (b === undefined) {
    b = encoder.encode(s);
    if (b.includes(0)) throw new MachOFormatError(`symbol name contains NUL: ${JSON.stringify(s)}`);
    cache.set(s, b);
  }
  return b;
}

/** Byte-wise (UTF-8 / strcmp) string order; equal to UTF-16 order for ASCII. */
export function compareNamesUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (astral code points) sort above U+E000..FFFF in UTF-8 but
      // below them in UTF-16: lift them past 0xffff before comparing.
      const fx = x >= 0xd800 && x <= 0xdfff ? x + 0x2800 : x;
      const fy = y >= 0xd800 && y <= 0xdfff ? y + 0x2800 : y;
      return fx - fy;
    }
  }
  return a.length - b.length;
}

// ---------------------------------------------------------------------------
// Rebase

/**
 * Encodes pointer rebases. Entries are sorted by (segIndex, segOffset) and
 * duplicates dropped; runs of adjacent pointers use DO_REBASE_IMM/ULEB_TIMES,
 * evenly strided runs DO_REBASE_ULEB_TIMES_SKIPPING_ULEB, and isolated
 * pointers DO_REBASE_ADD_ADDR_ULEB or ADD_ADDR_IMM_SCALED to reach the next.
 */
export function encodeRebase(entries: readonly RebaseEntry[]): Uint8Array {
  const n0 = entries.length;
  if (n0 === 0) return new Uint8Array(0);
  // Sort (segIndex, segOffset) pairs as numbers in parallel typed arrays.
  const idx = new Array<number>(n0);
  for (let i = 0; i < n0; i++) idx[i] = i;
  idx.sort((a, b) => {
    const ea = entries[a]!;
    const eb = entries[b]!;
    return ea.segIndex - eb.segIndex || ea.segOffset - eb.segOffset;
  });
  const seg = new Float64Array(n0);
  const off = new Float64Array(n0);
  let n = 0;
  for (let k = 0; k < n0; k++) {
    const e = entries[idx[k]!]!;
    if (n > 0 && seg[n - 1] === e.segIndex && off[n - 1] === e.segOffset) continue;
    if (e.segIndex < 0 || e.segIndex > 15)
      throw new RangeError(`rebase segment index ${e.segIndex} out of range 0..15`);
    seg[n] = e.segIndex;
    off[n] = e.segOffset;
    n++;
  }
  return encodeRebaseSorted(seg, off, n);
}

/**
 * `encodeRebase` for pointers given as ascending VM addresses (duplicates
 * allowed) and the image's segments in load-command order: no entry objects.
 */
export function encodeRebaseAddresses(
  addresses: Float64Array,
  segments: readonly { vmaddr: number; vmsize: number }[],
): Uint8Array {
  const n0 = addresses.length;
  if (n0 === 0) return new Uint8Array(0);
  const seg = new Float64Array(n0);
  const off = new Float64Array(n0);
  let n = 0;
  let si = 0;
  for (let k = 0; k < n0; k++) {
    const a = addresses[k]!;
    if (k > 0 && a < addresses[k - 1]!) throw new RangeError("rebase addresses must be ascending");
    if (k > 0 && a === addresses[k - 1]) continue;
    while (si < segments.length && !(a >= segments[si]!.vmaddr && a < segments[si]!.vmaddr + segments[si]!.vmsize))
      si++;
    if (si >= segments.length || si > 15)
      throw new RangeError(`rebase address 0x${a.toString(16)} is in no segment 0..15`);
    seg[n] = si;
    off[n] = a - segments[si]!.vmaddr;
    n++;
  }
  return encodeRebaseSorted(seg, off, n);
}

/** The opcode stream for `n` (segment, offset) pairs sorted and unique. */
function encodeRebaseSorted(seg: Float64Array, off: Float64Array, n: number): Uint8Array {
  const out = new ByteSink(n * 2 + 8);
  out.byte(REBASE_OPCODE_SET_TYPE_IMM | REBASE_TYPE_POINTER);
  let curSeg = -1;
  let addr = 0;
  let i = 0;
  while (i < n) {
    const s = seg[i]!;
    const o = off[i]!;
    if (s !== curSeg || o < addr) {
      out.byte(REBASE_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB | s);
      out.uleb(o);
      curSeg = s;
    } else if (o !== addr) {
      const d = o - addr;
      if (d % PTR === 0 && d / PTR <= 15) out.byte(REBASE_OPCODE_ADD_ADDR_IMM_SCALED | (d / PTR));
      else {
        out.byte(REBASE_OPCODE_ADD_ADDR_ULEB);
        out.uleb(d);
      }
    }
    addr = o;
    // Run of adjacent pointers.
    let k = 1;
    while (i + k < n && seg[i + k] === s && off[i + k] === o + k * PTR) k++;
    if (k > 1) {
      if (k <= 15) out.byte(REBASE_OPCODE_DO_REBASE_IMM_TIMES | k);
      else {
        out.byte(REBASE_OPCODE_DO_REBASE_ULEB_TIMES);
        out.uleb(k);
      }
      addr = o + k * PTR;
      i += k;
      continue;
    }
    // Evenly strided run (stride > 8) of at least 3 pointers.
    if (i + 2 < n && seg[i + 1] === s && seg[i + 2] === s) {
      const stride = off[i + 1]! - o;
      if (stride > PTR && off[i + 2]! - off[i + 1]! === stride) {
        let m = 3;
        while (i + m < n && seg[i + m] === s && off[i + m]! - off[i + m - 1]! === stride) m++;
        out.byte(REBASE_OPCODE_DO_REBASE_ULEB_TIMES_SKIPPING_ULEB);
        out.uleb(m);
        out.uleb(stride - PTR);
        addr = o + m * stride;
        i += m;
        continue;
      }
    }
    // Single pointer; fold the step to the next one into the opcode when that is shorter.
    if (i + 1 < n && seg[i + 1] === s) {
      const d = off[i + 1]! - o - PTR;
      if (d > 0 && !(d % PTR === 0 && d / PTR <= 15)) {
        out.byte(REBASE_OPCODE_DO_REBASE_ADD_ADDR_ULEB);
        out.uleb(d);
        addr = off[i + 1]!;
        i++;
        continue;
      }
    }
    out.byte(REBASE_OPCODE_DO_REBASE_IMM_TIMES | 1);
    addr = o + PTR;
    i++;
  }
  out.byte(REBASE_OPCODE_DONE);
  return out.finish();
}

/**
 * Expands a rebase stream into one entry per rebased pointer, in stream
 * order. With `segments`, segment indices are checked against it (and
 * offsets against `vmsize` when given). Only pointer-sized (8-byte) rebases
 * are expected; other types are decoded the same way.
 */
export function decodeRebase(
  bytes: Uint8Array,
  segments?: readonly { vmaddr: number; vmsize?: number }[],
): RebaseEntry[] {
  const out: RebaseEntry[] = [];
  let seg = -1;
  let addr = 0;
  let p = 0;
  const len = bytes.length;
  const emit = (at: number): void => {
    if (seg < 0) throw new MachOFormatError("rebase before SET_SEGMENT_AND_OFFSET", at);
    if (segments !== undefined) {
      const s = segments[seg];
      if (s === undefined)
        throw new MachOFormatError(`rebase segment index ${seg} out of range (${segments.length} segments)`, at);
      if (s.vmsize !== undefined && (addr < 0 || addr + PTR > s.vmsize)) {
        throw new MachOFormatError(
          `rebase at segment ${seg} offset 0x${addr.toString(16)} outside segment (vmsize 0x${s.vmsize.toString(16)})`,
          at,
        );
      }
    }
    out.push({ segIndex: seg, segOffset: addr });
  };
  while (p < len) {
    const at = p;
    const b = bytes[p++]!;
    const imm = b & REBASE_IMMEDIATE_MASK;
    switch (b & REBASE_OPCODE_MASK) {
      case REBASE_OPCODE_DONE:
        return out;
      case REBASE_OPCODE_SET_TYPE_IMM:
        if (imm === 0 || imm > 3) throw new MachOFormatError(`bad rebase type ${imm}`, at);
        break;
      case REBASE_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB:
        seg = imm;
        addr = readULEB128(bytes, p);
        p = lebCursor.next;
        break;
      case REBASE_OPCODE_ADD_ADDR_ULEB:
        addr += readULEB128(bytes, p);
        p = lebCursor.next;
        break;
      case REBASE_OPCODE_ADD_ADDR_IMM_SCALED:
        addr += imm * PTR;
        break;
      case REBASE_OPCODE_DO_REBASE_IMM_TIMES:
        for (let i = 0; i < imm; i++) {
          emit(at);
          addr += PTR;
        }
        break;
      case REBASE_OPCODE_DO_REBASE_ULEB_TIMES: {
        const count = readULEB128(bytes, p);
        p = lebCursor.next;
        checkCount(count, at);
        for (let i = 0; i < count; i++) {
          emit(at);
          addr += PTR;
        }
        break;
      }
      case REBASE_OPCODE_DO_REBASE_ADD_ADDR_ULEB: {
        emit(at);
        addr += readULEB128(bytes, p) + PTR;
        p = lebCursor.next;
        break;
      }
      case REBASE_OPCODE_DO_REBASE_ULEB_TIMES_SKIPPING_ULEB: {
        const count = readULEB128(bytes, p);
        const skip = readULEB128(bytes, lebCursor.next);
        p = lebCursor.next;
        checkCount(count, at);
        for (let i = 0; i < count; i++) {
          emit(at);
          addr += skip + PTR;
        }
        break;
      }
      default:
        throw new MachOFormatError(`bad rebase opcode 0x${b.toString(16)}`, at);
    }
  }
  return out;
}

function checkCount(count: number, at: number): void {
  // A sanity bound: more fixups than could fit a 4 GiB segment is corrupt input.
  if (count > 0x20000000) throw new MachOFormatError(`implausible fixup repeat count ${count}`, at);
}

// ---------------------------------------------------------------------------
// Bind

interface BindState {
  seg: number;
  addr: number;
  ordinal: number;
  symbol: string | undefined;
  flags: number;
  addend: number;
}

function emitOrdinal(out: ByteSink, ordinal: number): void {
  if (ordinal <= 0) {
    if (ordinal < -15) throw new RangeError(`special dylib ordinal ${ordinal} out of range`);
    out.byte(BIND_OPCODE_SET_DYLIB_SPECIAL_IMM | (ordinal & BIND_IMMEDIATE_MASK));
  } else if (ordinal <= 15) {
    out.byte(BIND_OPCODE_SET_DYLIB_ORDINAL_IMM | ordinal);
  } else {
    out.byte(BIND_OPCODE_SET_DYLIB_ORDINAL_ULEB);
    out.uleb(ordinal);
  }
}

function emitSymbol(out: ByteSink, cache: Map<string, Uint8Array>, symbol: string, flags: number): void {
  if (flags < 0 || flags > 15) throw new RangeError(`bind symbol flags 0x${flags.toString(16)} do not fit 4 bits`);
  out.byte(BIND_OPCODE_SET_SYMBOL_TRAILING_FLAGS_IMM | flags);
  out.bytes(symbolBytes(cache, symbol));
  out.byte(0);
}

/** Moves the state's address to (seg, off) with the shortest opcode. */
function emitBindAddress(out: ByteSink, st: BindState, seg: number, off: number): void {
  if (seg !== st.seg || off < st.addr) {
    if (seg < 0 || seg > 15) throw new RangeError(`bind segment index ${seg} out of range 0..15`);
    out.byte(BIND_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB | seg);
    out.uleb(off);
    st.seg = seg;
  } else if (off !== st.addr) {
    out.byte(BIND_OPCODE_ADD_ADDR_ULEB);
    out.uleb(off - st.addr);
  }
  st.addr = off;
}

interface AddrRec {
  segIndex: number;
  segOffset: number;
  addend: number;
}

/**
 * Emits DO_BIND opcodes for `list[from..to)`, which share symbol, ordinal
 * and flags and are sorted by (segIndex, segOffset).
 */
function emitBinds(out: ByteSink, st: BindState, list: readonly AddrRec[], from: number, to: number): void {
  let i = from;
  while (i < to) {
    const e = list[i]!;
    if (e.addend !== st.addend) {
      out.byte(BIND_OPCODE_SET_ADDEND_SLEB);
      out.sleb(e.addend);
      st.addend = e.addend;
    }
    emitBindAddress(out, st, e.segIndex, e.segOffset);
    const s = e.segIndex;
    const o = e.segOffset;
    // Evenly strided run (stride >= 8, same addend) of at least 3.
    if (i + 2 < to) {
      const e1 = list[i + 1]!;
      const e2 = list[i + 2]!;
      const stride = e1.segOffset - o;
      if (
        stride >= PTR &&
        e1.segIndex === s &&
        e2.segIndex === s &&
        e1.addend === e.addend &&
        e2.addend === e.addend &&
        e2.segOffset - e1.segOffset === stride
      ) {
        let m = 3;
        while (i + m < to) {
          const em = list[i + m]!;
          if (em.segIndex !== s || em.addend !== e.addend || em.segOffset - list[i + m - 1]!.segOffset !== stride)
            break;
          m++;
        }
        out.byte(BIND_OPCODE_DO_BIND_ULEB_TIMES_SKIPPING_ULEB);
        out.uleb(m);
        out.uleb(stride - PTR);
        st.addr = o + m * stride;
        i += m;
        continue;
      }
    }
    // Single bind: fold the step to the next address of this group.
    if (i + 1 < to) {
      const nx = list[i + 1]!;
      const d = nx.segOffset - o - PTR;
      if (nx.segIndex === s && nx.addend === e.addend && d >= 0) {
        if (d % PTR === 0 && d / PTR <= 15) out.byte(BIND_OPCODE_DO_BIND_ADD_ADDR_IMM_SCALED | (d / PTR));
        else {
          out.byte(BIND_OPCODE_DO_BIND_ADD_ADDR_ULEB);
          out.uleb(d);
        }
        st.addr = nx.segOffset;
        i++;
        continue;
      }
    }
    out.byte(BIND_OPCODE_DO_BIND);
    st.addr = o + PTR;
    i++;
  }
}

/** Rank of each distinct name in byte-wise order (sorting numbers beats comparing strings). */
function nameRanks(names: readonly string[]): Map<string, number> {
  const uniq = [...new Set(names)];
  let ascii = true;
  for (const s of uniq) {
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (!ascii) break;
  }
  // For ASCII, the default sort's UTF-16 order is byte order.
  if (ascii) uniq.sort();
  else uniq.sort(compareNamesUtf8);
  const ranks = new Map<string, number>();
  for (let i = 0; i < uniq.length; i++) ranks.set(uniq[i]!, i);
  return ranks;
}

/** `entries` sorted by ([ordinal,] name, flags, segIndex, segOffset, addend). */
function sortBinds<T extends WeakBindEntry & { ordinal?: number }>(entries: readonly T[], byOrdinal: boolean): T[] {
  const n = entries.length;
  const ranks = nameRanks(entries.map((e) => e.symbol));
  const rank = new Int32Array(n);
  const idx = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    rank[i] = ranks.get(entries[i]!.symbol)!;
    idx[i] = i;
  }
  idx.sort((a, b) => {
    const x = entries[a]!;
    const y = entries[b]!;
    return (
      (byOrdinal ? x.ordinal! - y.ordinal! : 0) ||
      rank[a]! - rank[b]! ||
      x.flags - y.flags ||
      x.segIndex - y.segIndex ||
      x.segOffset - y.segOffset ||
      x.addend - y.addend
    );
  });
  return idx.map((i) => entries[i]!);
}

/**
 * Encodes the regular (non-lazy) bind stream. Entries are grouped by
 * (ordinal, symbol, flags) — sorted by ordinal, then byte-wise symbol name,
 * then flags — and each group's addresses in increasing order, so ordinal,
 * symbol and addend opcodes are emitted only when they change.
 */
export function encodeBind(entries: readonly BindEntry[]): Uint8Array {
  const n = entries.length;
  if (n === 0) return new Uint8Array(0);
  const sorted = sortBinds(entries, true);
  const out = new ByteSink(n * 4 + 64);
  const cache = new Map<string, Uint8Array>();
  const st: BindState = { seg: -1, addr: 0, ordinal: Number.NaN, symbol: undefined, flags: -1, addend: 0 };
  out.byte(BIND_OPCODE_SET_TYPE_IMM | BIND_TYPE_POINTER);
  let i = 0;
  while (i < n) {
    const e = sorted[i]!;
    let j = i + 1;
    while (j < n) {
      const f = sorted[j]!;
      if (f.ordinal !== e.ordinal || f.symbol !== e.symbol || f.flags !== e.flags) break;
      j++;
    }
    if (e.ordinal !== st.ordinal) {
      emitOrdinal(out, e.ordinal);
      st.ordinal = e.ordinal;
    }
    if (e.symbol !== st.symbol || e.flags !== st.flags) {
      emitSymbol(out, cache, e.symbol, e.flags);
      st.symbol = e.symbol;
      st.flags = e.flags;
    }
    emitBinds(out, st, sorted, i, j);
    i = j;
  }
  out.byte(BIND_OPCODE_DONE);
  return out.finish();
}

/**
 * Encodes the weak bind stream: entries sorted by byte-wise symbol name (as
 * dyld requires), then address. Each name in `nonWeakDefinitions` gets a
 * SET_SYMBOL_TRAILING_FLAGS_IMM with BIND_SYMBOL_FLAGS_NON_WEAK_DEFINITION
 * and no DO_BIND (placed before that name's binds, if any).
 */
export function encodeWeakBind(
  entries: readonly WeakBindEntry[],
  nonWeakDefinitions: readonly string[] = [],
): Uint8Array {
  const n = entries.length;
  if (n === 0 && nonWeakDefinitions.length === 0) return new Uint8Array(0);
  const sorted = sortBinds(entries, false);
  const strong = [...new Set(nonWeakDefinitions)].sort(compareNamesUtf8);
  const out = new ByteSink(n * 4 + strong.length * 16 + 64);
  const cache = new Map<string, Uint8Array>();
  const st: BindState = { seg: -1, addr: 0, ordinal: 0, symbol: undefined, flags: -1, addend: 0 };
  out.byte(BIND_OPCODE_SET_TYPE_IMM | BIND_TYPE_POINTER);
  let i = 0;
  let k = 0;
  while (i < n || k < strong.length) {
    const e = i < n ? sorted[i]! : undefined;
    const sName = k < strong.length ? strong[k]! : undefined;
    if (sName !== undefined && (e === undefined || compareNamesUtf8(sName, e.symbol) <= 0)) {
      emitSymbol(out, cache, sName, BIND_SYMBOL_FLAGS_NON_WEAK_DEFINITION);
      st.symbol = sName;
      st.flags = BIND_SYMBOL_FLAGS_NON_WEAK_DEFINITION;
      k++;
      continue;
    }
    const ent = e!;
    let j = i + 1;
    while (j < n && sorted[j]!.symbol === ent.symbol && sorted[j]!.flags === ent.flags) j++;
    if (ent.symbol !== st.symbol || ent.flags !== st.flags) {
      emitSymbol(out, cache, ent.symbol, ent.flags);
      st.symbol = ent.symbol;
      st.flags = ent.flags;
    }
    emitBinds(out, st, sorted, i, j);
    i = j;
  }
  out.byte(BIND_OPCODE_DONE);
  return out.finish();
}

/**
 * Encodes lazy binds, one self-contained sequence per entry in the given
 * order: SET_SEGMENT_AND_OFFSET_ULEB, the ordinal, SET_SYMBOL_TRAILING_FLAGS_IMM
 * + name, (SET_ADDEND_SLEB if non-zero), DO_BIND, DONE. `offsets[i]` is where
 * entry i's sequence starts (the value its stub helper pushes).
 */
export function encodeLazyBind(entries: readonly BindEntry[]): { bytes: Uint8Array; offsets: number[] } {
  const out = new ByteSink(entries.length * 32 + 8);
  const cache = new Map<string, Uint8Array>();
  const offsets: number[] = [];
  for (const e of entries) {
    offsets.push(out.len);
    if (e.segIndex < 0 || e.segIndex > 15) throw new RangeError(`bind segment index ${e.segIndex} out of range 0..15`);
    out.byte(BIND_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB | e.segIndex);
    out.uleb(e.segOffset);
    emitOrdinal(out, e.ordinal);
    emitSymbol(out, cache, e.symbol, e.flags);
    if (e.addend !== 0) {
      out.byte(BIND_OPCODE_SET_ADDEND_SLEB);
      out.sleb(e.addend);
    }
    out.byte(BIND_OPCODE_DO_BIND);
    out.byte(BIND_OPCODE_DONE);
  }
  return { bytes: entries.length === 0 ? new Uint8Array(0) : out.finish(), offsets };
}

/** Byte size of the lazy bind sequence `encodeLazyBind` emits for `e` (for layout before encoding). */
export function lazyBindEntrySize(e: BindEntry): number {
  const ord = e.ordinal <= 15 ? 1 : 1 + ulebSize(e.ordinal);
  const addend = e.addend === 0 ? 0 : 1 + slebSize(e.addend);
  return 1 + ulebSize(e.segOffset) + ord + 1 + encoder.encode(e.symbol).length + 1 + addend + 2;
}

/**
 * Expands a bind stream (regular, weak, or with `lazy` set, lazy) into one
 * entry per bound pointer, in stream order. In lazy mode DONE separates
 * sequences instead of ending the stream. Weak streams' non-weak-definition
 * markers produce no entries (see decodeWeakBind).
 */
export function decodeBind(bytes: Uint8Array, lazy = false): BindEntry[] {
  return decodeBindImpl(bytes, lazy, undefined);
}

/** Decodes a weak bind stream: its binds and its non-weak-definition markers. */
export function decodeWeakBind(bytes: Uint8Array): { binds: WeakBindEntry[]; nonWeakDefinitions: string[] } {
  const strong: string[] = [];
  const binds = decodeBindImpl(bytes, false, strong).map(
    (b): WeakBindEntry => ({
      segIndex: b.segIndex,
      segOffset: b.segOffset,
      symbol: b.symbol,
      flags: b.flags,
      addend: b.addend,
    }),
  );
  return { binds, nonWeakDefinitions: strong };
}

function decodeBindImpl(bytes: Uint8Array, lazy: boolean, strong: string[] | undefined): BindEntry[] {
  const out: BindEntry[] = [];
  const len = bytes.length;
  let p = 0;
  let seg = -1;
  let addr = 0;
  let ordinal = 0;
  let symbol: string | undefined;
  let flags = 0;
  let addend = 0;
  let type = lazy ? BIND_TYPE_POINTER : 0;
  const emit = (at: number): void => {
    if (seg < 0) throw new MachOFormatError("bind before SET_SEGMENT_AND_OFFSET", at);
    if (symbol === undefined) throw new MachOFormatError("bind before SET_SYMBOL_TRAILING_FLAGS_IMM", at);
    if (type === 0) throw new MachOFormatError("bind before SET_TYPE_IMM", at);
    out.push({ segIndex: seg, segOffset: addr, ordinal, symbol, flags, addend });
  };
  while (p < len) {
    const at = p;
    const b = bytes[p++]!;
    const imm = b & BIND_IMMEDIATE_MASK;
    switch (b & BIND_OPCODE_MASK) {
      case BIND_OPCODE_DONE:
        if (!lazy) return out;
        break;
      case BIND_OPCODE_SET_DYLIB_ORDINAL_IMM:
        ordinal = imm;
        break;
      case BIND_OPCODE_SET_DYLIB_ORDINAL_ULEB:
        ordinal = readULEB128(bytes, p);
        p = lebCursor.next;
        break;
      case BIND_OPCODE_SET_DYLIB_SPECIAL_IMM:
        ordinal = imm === 0 ? 0 : imm | 0xfffffff0 | 0;
        break;
      case BIND_OPCODE_SET_SYMBOL_TRAILING_FLAGS_IMM: {
        let q = p;
        while (q < len && bytes[q] !== 0) q++;
        if (q >= len) throw new MachOFormatError("unterminated symbol name in bind opcodes", at);
        symbol = decoder.decode(bytes.subarray(p, q));
        flags = imm;
        p = q + 1;
        if (strong !== undefined && (imm & BIND_SYMBOL_FLAGS_NON_WEAK_DEFINITION) !== 0) strong.push(symbol);
        break;
      }
      case BIND_OPCODE_SET_TYPE_IMM:
        if (imm === 0 || imm > 3) throw new MachOFormatError(`bad bind type ${imm}`, at);
        type = imm;
        break;
      case BIND_OPCODE_SET_ADDEND_SLEB:
        addend = readSLEB128(bytes, p);
        p = lebCursor.next;
        break;
      case BIND_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB:
        seg = imm;
        addr = readULEB128(bytes, p);
        p = lebCursor.next;
        break;
      case BIND_OPCODE_ADD_ADDR_ULEB:
        addr += readULEB128(bytes, p);
        p = lebCursor.next;
        break;
      case BIND_OPCODE_DO_BIND:
        emit(at);
        addr += PTR;
        break;
      case BIND_OPCODE_DO_BIND_ADD_ADDR_ULEB:
        emit(at);
        addr += readULEB128(bytes, p) + PTR;
        p = lebCursor.next;
        break;
      case BIND_OPCODE_DO_BIND_ADD_ADDR_IMM_SCALED:
        emit(at);
        addr += imm * PTR + PTR;
        break;
      case BIND_OPCODE_DO_BIND_ULEB_TIMES_SKIPPING_ULEB: {
        const count = readULEB128(bytes, p);
        const skip = readULEB128(bytes, lebCursor.next);
        p = lebCursor.next;
        checkCount(count, at);
        for (let i = 0; i < count; i++) {
          emit(at);
          addr += skip + PTR;
        }
        break;
      }
      case BIND_OPCODE_THREADED:
        throw new MachOFormatError("threaded bind opcodes (arm64e) are not supported", at);
      default:
        throw new MachOFormatError(`bad bind opcode 0x${b.toString(16)}`, at);
    }
  }
  return out;
}
