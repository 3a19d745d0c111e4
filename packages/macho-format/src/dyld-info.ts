/**
 * dyld's compressed fixup opcodes (`LC_DYLD_INFO(_ONLY)`; Apple
 * `mach-o/loader.h`, "Dyld info" comment block). Rebase and bind
 * information are byte streams of opcodes interpreted by a small state
 * machine: the upper nibble is the opcode, the lower an immediate; ULEB/SLEB
 * operands follow. Rebase entries slide a pointer by the image's load offset;
 * bind entries store an imported symbol's address (+ addend) into a pointer.
 * Lazy bind streams hold one self-contained record per lazy pointer,
 * starting at the offset the stub helper pushes.
 *
 * The encoders sort their input and emit the compact forms (immediate
 * repeat counts, scaled address steps, "times skipping" runs) where they
 * apply, as ld64 and lld do. Every stream ends with DONE and is padded with
 * zeros (DONE) to pointer alignment.
 */
import {
  BIND_OPCODE_ADD_ADDR_ULEB,
  BIND_OPCODE_DO_BIND,
  BIND_OPCODE_DO_BIND_ADD_ADDR_IMM_SCALED,
  BIND_OPCODE_DO_BIND_ADD_ADDR_ULEB,
  BIND_OPCODE_DO_BIND_ULEB_TIMES_SKIPPING_ULEB,
  BIND_OPCODE_DONE,
  BIND_OPCODE_SET_ADDEND_SLEB,
  BIND_OPCODE_SET_DYLIB_ORDINAL_IMM,
  BIND_OPCODE_SET_DYLIB_ORDINAL_ULEB,
  BIND_OPCODE_SET_DYLIB_SPECIAL_IMM,
  BIND_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB,
  BIND_OPCODE_SET_SYMBOL_TRAILING_FLAGS_IMM,
  BIND_OPCODE_SET_TYPE_IMM,
  BIND_TYPE_POINTER,
  REBASE_OPCODE_ADD_ADDR_IMM_SCALED,
  REBASE_OPCODE_ADD_ADDR_ULEB,
  REBASE_OPCODE_DO_REBASE_ADD_ADDR_ULEB,
  REBASE_OPCODE_DO_REBASE_IMM_TIMES,
  REBASE_OPCODE_DO_REBASE_ULEB_TIMES,
  REBASE_OPCODE_DO_REBASE_ULEB_TIMES_SKIPPING_ULEB,
  REBASE_OPCODE_DONE,
  REBASE_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB,
  REBASE_OPCODE_SET_TYPE_IMM,
  REBASE_TYPE_POINTER,
} from "./constants.js";
import { MachOFormatError } from "./errors.js";
import { lebCursor, readSLEB128, readULEB128 } from "./leb128.js";

export interface RebaseEntry {
  segIndex: number;
  segOffset: number;
}

export interface BindEntry {
  segIndex: number;
  segOffset: number;
  /** >0 dylib ordinal; 0 self, -1 main executable, -2 flat lookup, -3 weak lookup. */
  ordinal: number;
  symbol: string;
  /** BIND_SYMBOL_FLAGS_*. */
  flags: number;
  addend: number;
}

/** A growable byte sink for opcode streams (they are small next to the image). */
class Sink {
  buf = new Uint8Array(256);
  len = 0;
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.len++] = b;
  }
  uleb(v: number): void {
    this.room(10);
    do {
      let b = v % 128;
      v = Math.floor(v / 128);
      if (v !== 0) b |= 0x80;
      this.buf[this.len++] = b;
    } while (v !== 0);
  }
  sleb(v: number): void {
    this.room(10);
    for (;;) {
      const b = ((v % 128) + 128) % 128;
      v = Math.floor(v / 128);
      const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
      this.buf[this.len++] = done ? b : b | 0x80;
      if (done) return;
    }
  }
  cstr(s: string): void {
    const e = new TextEncoder().encode(s);
    this.room(e.length + 1);
    this.buf.set(e, this.len);
    this.len += e.length;
    this.buf[this.len++] = 0;
  }
  finish(align = 8): Uint8Array {
    const n = Math.ceil(this.len / align) * align;
    const out = new Uint8Array(n);
    out.set(this.buf.subarray(0, this.len));
    return out;
  }
}

const PTR = 8;

/** Encodes rebase entries (type POINTER) compactly; ends with DONE; 8-byte padded. */
export function encodeRebase(entries: readonly RebaseEntry[]): Uint8Array {
  if (entries.length === 0) return new Uint8Array(0);
  const e = [...entries].sort((a, b) => a.segIndex - b.segIndex || a.segOffset - b.segOffset);
  const s = new Sink();
  s.byte(REBASE_OPCODE_SET_TYPE_IMM | REBASE_TYPE_POINTER);
  let seg = -1;
  let addr = 0;
  let i = 0;
  while (i < e.length) {
    const cur = e[i]!;
    if (cur.segIndex !== seg) {
      seg = cur.segIndex;
      addr = cur.segOffset;
      s.byte(REBASE_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB | seg);
      s.uleb(addr);
    } else if (cur.segOffset !== addr) {
      const d = cur.segOffset - addr;
      if (d % PTR === 0 && d / PTR < 16) s.byte(REBASE_OPCODE_ADD_ADDR_IMM_SCALED | (d / PTR));
      else {
        s.byte(REBASE_OPCODE_ADD_ADDR_ULEB);
        s.uleb(d);
      }
      addr = cur.segOffset;
    }
    // A run of consecutive pointers?
    let n = 1;
    while (i + n < e.length && e[i + n]!.segIndex === seg && e[i + n]!.segOffset === addr + n * PTR) n++;
    if (n > 1) {
      if (n < 16) s.byte(REBASE_OPCODE_DO_REBASE_IMM_TIMES | n);
      else {
        s.byte(REBASE_OPCODE_DO_REBASE_ULEB_TIMES);
        s.uleb(n);
      }
      addr += n * PTR;
      i += n;
      continue;
    }
    // A run with a constant stride?
    if (i + 2 < e.length && e[i + 1]!.segIndex === seg) {
      const stride = e[i + 1]!.segOffset - addr;
      let m = 1;
      while (i + m < e.length && e[i + m]!.segIndex === seg && e[i + m]!.segOffset === addr + m * stride) m++;
      if (m >= 3 && stride > PTR) {
        s.byte(REBASE_OPCODE_DO_REBASE_ULEB_TIMES_SKIPPING_ULEB);
        s.uleb(m);
        s.uleb(stride - PTR);
        addr += m * stride;
        i += m;
        continue;
      }
    }
    const next = e[i + 1];
    if (next && next.segIndex === seg && next.segOffset > addr + PTR) {
      s.byte(REBASE_OPCODE_DO_REBASE_ADD_ADDR_ULEB);
      s.uleb(next.segOffset - addr - PTR);
      addr = next.segOffset;
    } else {
      s.byte(REBASE_OPCODE_DO_REBASE_IMM_TIMES | 1);
      addr += PTR;
    }
    i++;
  }
  s.byte(REBASE_OPCODE_DONE);
  return s.finish();
}

function setOrdinal(s: Sink, ordinal: number): void {
  if (ordinal <= 0) s.byte(BIND_OPCODE_SET_DYLIB_SPECIAL_IMM | (ordinal & 0x0f));
  else if (ordinal < 16) s.byte(BIND_OPCODE_SET_DYLIB_ORDINAL_IMM | ordinal);
  else {
    s.byte(BIND_OPCODE_SET_DYLIB_ORDINAL_ULEB);
    s.uleb(ordinal);
  }
}

/** Encodes the regular bind stream: grouped by (ordinal, symbol, addend), addresses ascending. */
export function encodeBind(entries: readonly BindEntry[]): Uint8Array {
  if (entries.length === 0) return new Uint8Array(0);
  const e = [...entries].sort(
    (a, b) =>
      a.ordinal - b.ordinal ||
      (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0) ||
      a.addend - b.addend ||
      a.segIndex - b.segIndex ||
      a.segOffset - b.segOffset,
  );
  const s = new Sink();
  s.byte(BIND_OPCODE_SET_TYPE_IMM | BIND_TYPE_POINTER);
  let ord: number | undefined;
  let sym: string | undefined;
  let flags = -1;
  let addend = 0;
  let seg = -1;
  let addr = 0;
  for (let i = 0; i < e.length; ) {
    const c = e[i]!;
    if (c.ordinal !== ord) setOrdinal(s, (ord = c.ordinal));
    if (c.symbol !== sym || c.flags !== flags) {
      s.byte(BIND_OPCODE_SET_SYMBOL_TRAILING_FLAGS_IMM | (c.flags & 0x0f));
      s.cstr((sym = c.symbol));
      flags = c.flags;
    }
    if (c.addend !== addend) {
      s.byte(BIND_OPCODE_SET_ADDEND_SLEB);
      s.sleb((addend = c.addend));
    }
    if (c.segIndex !== seg || c.segOffset < addr) {
      s.byte(BIND_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB | (seg = c.segIndex));
      s.uleb((addr = c.segOffset));
    } else if (c.segOffset !== addr) {
      s.byte(BIND_OPCODE_ADD_ADDR_ULEB);
      s.uleb(c.segOffset - addr);
      addr = c.segOffset;
    }
    // Same symbol, same segment, constant stride: DO_BIND_ULEB_TIMES_SKIPPING_ULEB.
    const same = (k: number): boolean => {
      const x = e[k];
      return (
        !!x &&
        x.ordinal === c.ordinal &&
        x.symbol === c.symbol &&
        x.flags === c.flags &&
        x.addend === c.addend &&
        x.segIndex === seg
      );
    };
    if (same(i + 1) && same(i + 2)) {
      const stride = e[i + 1]!.segOffset - addr;
      let m = 1;
      while (same(i + m) && e[i + m]!.segOffset === addr + m * stride) m++;
      if (m >= 3 && stride >= PTR) {
        s.byte(BIND_OPCODE_DO_BIND_ULEB_TIMES_SKIPPING_ULEB);
        s.uleb(m);
        s.uleb(stride - PTR);
        addr += m * stride;
        i += m;
        continue;
      }
    }
    if (same(i + 1) && e[i + 1]!.segOffset >= addr + PTR) {
      const d = e[i + 1]!.segOffset - addr - PTR;
      if (d % PTR === 0 && d / PTR < 16) s.byte(BIND_OPCODE_DO_BIND_ADD_ADDR_IMM_SCALED | (d / PTR));
      else {
        s.byte(BIND_OPCODE_DO_BIND_ADD_ADDR_ULEB);
        s.uleb(d);
      }
      addr += PTR + d;
    } else {
      s.byte(BIND_OPCODE_DO_BIND);
      addr += PTR;
    }
    i++;
  }
  s.byte(BIND_OPCODE_DONE);
  return s.finish();
}

/** Weak-bind stream: sorted by symbol name as dyld requires; `nonWeakDefinitions` marks strong overrides. */
export function encodeWeakBind(
  entries: readonly Omit<BindEntry, "ordinal">[],
  nonWeakDefinitions: readonly string[] = [],
): Uint8Array {
  const all = [
    ...entries.map((x) => ({ ...x, strong: false })),
    ...nonWeakDefinitions.map((n) => ({ segIndex: -1, segOffset: 0, symbol: n, flags: 8, addend: 0, strong: true })),
  ].sort((a, b) =>
    a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.segIndex - b.segIndex || a.segOffset - b.segOffset,
  );
  if (all.length === 0) return new Uint8Array(0);
  const s = new Sink();
  let sym: string | undefined;
  let typeSet = false;
  let addend = 0;
  for (const c of all) {
    if (c.symbol !== sym || c.strong) {
      s.byte(BIND_OPCODE_SET_SYMBOL_TRAILING_FLAGS_IMM | (c.flags & 0x0f));
      s.cstr((sym = c.symbol));
    }
    if (c.strong) continue;
    if (!typeSet) {
      s.byte(BIND_OPCODE_SET_TYPE_IMM | BIND_TYPE_POINTER);
      typeSet = true;
    }
    if (c.addend !== addend) {
      s.byte(BIND_OPCODE_SET_ADDEND_SLEB);
      s.sleb((addend = c.addend));
    }
    s.byte(BIND_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB | c.segIndex);
    s.uleb(c.segOffset);
    s.byte(BIND_OPCODE_DO_BIND);
  }
  s.byte(BIND_OPCODE_DONE);
  return s.finish();
}

/** Lazy-bind stream: one self-contained record per entry, in the given order; `offsets[i]` is entry i's start. */
export function encodeLazyBind(entries: readonly BindEntry[]): { bytes: Uint8Array; offsets: number[] } {
  if (entries.length === 0) return { bytes: new Uint8Array(0), offsets: [] };
  const s = new Sink();
  const offsets: number[] = [];
  for (const c of entries) {
    offsets.push(s.len);
    s.byte(BIND_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB | c.segIndex);
    s.uleb(c.segOffset);
    setOrdinal(s, c.ordinal);
    s.byte(BIND_OPCODE_SET_SYMBOL_TRAILING_FLAGS_IMM | (c.flags & 0x0f));
    s.cstr(c.symbol);
    if (c.addend !== 0) {
      s.byte(BIND_OPCODE_SET_ADDEND_SLEB);
      s.sleb(c.addend);
    }
    s.byte(BIND_OPCODE_DO_BIND);
    s.byte(BIND_OPCODE_DONE);
  }
  return { bytes: s.finish(), offsets };
}

/** Decodes a rebase stream into entries (every opcode form). */
export function decodeRebase(bytes: Uint8Array): RebaseEntry[] {
  const out: RebaseEntry[] = [];
  let seg = 0;
  let addr = 0;
  let i = 0;
  const uleb = (): number => {
    const v = readULEB128(bytes, i);
    i = lebCursor.next;
    return v;
  };
  while (i < bytes.length) {
    const b = bytes[i++]!;
    const op = b & 0xf0;
    const imm = b & 0x0f;
    switch (op) {
      case REBASE_OPCODE_DONE:
        return out;
      case REBASE_OPCODE_SET_TYPE_IMM:
        break;
      case REBASE_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB:
        seg = imm;
        addr = uleb();
        break;
      case REBASE_OPCODE_ADD_ADDR_ULEB:
        addr += uleb();
        break;
      case REBASE_OPCODE_ADD_ADDR_IMM_SCALED:
        addr += imm * PTR;
        break;
      case REBASE_OPCODE_DO_REBASE_IMM_TIMES:
      case REBASE_OPCODE_DO_REBASE_ULEB_TIMES: {
        const n = op === REBASE_OPCODE_DO_REBASE_IMM_TIMES ? imm : uleb();
        for (let k = 0; k < n; k++) {
          out.push({ segIndex: seg, segOffset: addr });
          addr += PTR;
        }
        break;
      }
      case REBASE_OPCODE_DO_REBASE_ADD_ADDR_ULEB:
        out.push({ segIndex: seg, segOffset: addr });
        addr += PTR + uleb();
        break;
      case REBASE_OPCODE_DO_REBASE_ULEB_TIMES_SKIPPING_ULEB: {
        const n = uleb();
        const skip = uleb();
        for (let k = 0; k < n; k++) {
          out.push({ segIndex: seg, segOffset: addr });
          addr += PTR + skip;
        }
        break;
      }
      default:
        throw new MachOFormatError(`unknown rebase opcode 0x${b.toString(16)}`, i - 1);
    }
  }
  return out;
}

/** Decodes a bind stream (regular, weak or lazy) into entries. */
export function decodeBind(bytes: Uint8Array, lazy = false): BindEntry[] {
  const out: BindEntry[] = [];
  let seg = 0;
  let addr = 0;
  let ordinal = 0;
  let symbol = "";
  let flags = 0;
  let addend = 0;
  let i = 0;
  const uleb = (): number => {
    const v = readULEB128(bytes, i);
    i = lebCursor.next;
    return v;
  };
  const bind = (): void => {
    out.push({ segIndex: seg, segOffset: addr, ordinal, symbol, flags, addend });
    addr += PTR;
  };
  while (i < bytes.length) {
    const b = bytes[i++]!;
    const op = b & 0xf0;
    const imm = b & 0x0f;
    switch (op) {
      case BIND_OPCODE_DONE:
        if (!lazy) return out;
        break;
      case BIND_OPCODE_SET_DYLIB_ORDINAL_IMM:
        ordinal = imm;
        break;
      case BIND_OPCODE_SET_DYLIB_ORDINAL_ULEB:
        ordinal = uleb();
        break;
      case BIND_OPCODE_SET_DYLIB_SPECIAL_IMM:
        ordinal = imm === 0 ? 0 : imm - 16;
        break;
      case BIND_OPCODE_SET_SYMBOL_TRAILING_FLAGS_IMM: {
        flags = imm;
        let e = i;
        while (e < bytes.length && bytes[e] !== 0) e++;
        if (e >= bytes.length) throw new MachOFormatError("unterminated symbol name in bind stream", i);
        symbol = new TextDecoder().decode(bytes.subarray(i, e));
        i = e + 1;
        break;
      }
      case BIND_OPCODE_SET_TYPE_IMM:
        break;
      case BIND_OPCODE_SET_ADDEND_SLEB:
        addend = readSLEB128(bytes, i);
        i = lebCursor.next;
        break;
      case BIND_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB:
        seg = imm;
        addr = uleb();
        break;
      case BIND_OPCODE_ADD_ADDR_ULEB:
        addr += uleb();
        break;
      case BIND_OPCODE_DO_BIND:
        bind();
        break;
      case BIND_OPCODE_DO_BIND_ADD_ADDR_ULEB:
        bind();
        addr += uleb();
        break;
      case BIND_OPCODE_DO_BIND_ADD_ADDR_IMM_SCALED:
        bind();
        addr += imm * PTR;
        break;
      case BIND_OPCODE_DO_BIND_ULEB_TIMES_SKIPPING_ULEB: {
        const n = uleb();
        const skip = uleb();
        for (let k = 0; k < n; k++) {
          bind();
          addr += skip;
        }
        break;
      }
      default:
        throw new MachOFormatError(`unknown bind opcode 0x${b.toString(16)}`, i - 1);
    }
  }
  return out;
}
