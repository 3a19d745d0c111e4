/**
 * Byte cursors for DWARF: a reader over one input section and a growable
 * writer for an output section. DWARF is little-endian on x86_64 and arm64
 * Mach-O; its variable-length integers are LEB128 (DWARF 4 §7.6: unsigned
 * ULEB128 and signed SLEB128, 7 bits per byte, low groups first, the high bit
 * of each byte set while more follow). Values here stay below 2^53, which
 * covers every offset, length and address tsld produces.
 */
import { slebSize, ulebSize, writeSLEB128, writeULEB128 } from "@tsld/macho-format";

/** The unsigned little-endian integer of `size` bytes (1, 2, 4 or 8) at `at` in `b`. */
export function readUint(b: Uint8Array, at: number, size: number): number {
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) throw new RangeError(`unsupported integer size ${size}`);
  if (at + size > b.length) throw new RangeError(`read of ${size} bytes at 0x${at.toString(16)} past the end`);
  if (size === 1) return b[at]!;
  if (size === 2) return b[at]! | (b[at + 1]! << 8);
  const lo = (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
  if (size === 4) return lo;
  const hi = (b[at + 4]! | (b[at + 5]! << 8) | (b[at + 6]! << 16) | (b[at + 7]! << 24)) >>> 0;
  // Exact below 2^53; above, one rounding of the exact sum, as Number(BigInt) rounds.
  return hi * 0x100000000 + lo;
}

/** A forward-only cursor over `buf`; reads past `end` throw. */
export class Reader {
  readonly buf: Uint8Array;
  readonly view: DataView;
  pos: number;
  end: number;

  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = pos;
    this.end = end;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new RangeError(`read of ${n} bytes at 0x${this.pos.toString(16)} past the end`);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u64(): number {
    this.need(8);
    const v = Number(this.view.getBigUint64(this.pos, true));
    this.pos += 8;
    return v;
  }

  /** An unsigned integer of `size` bytes (1, 2, 4 or 8). */
  uint(size: number): number {
    switch (size) {
      case 1:
        return this.u8();
      case 2:
        return this.u16();
      case 4:
        return this.u32();
      case 8:
        return this.u64();
      default:
        throw new RangeError(`unsupported integer size ${size}`);
    }
  }

  uleb(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) return result;
    }
  }

  sleb(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) {
        if (b & 0x40) result -= mul;
        return result;
      }
    }
  }

  /** Skips a NUL-terminated string; returns it (latin1). */
  cstr(): string {
    const start = this.pos;
    while (this.pos < this.end && this.buf[this.pos] !== 0) this.pos++;
    if (this.pos >= this.end) throw new RangeError(`unterminated string at 0x${start.toString(16)}`);
    let s = "";
    for (let i = start; i < this.pos; i++) s += String.fromCharCode(this.buf[i]!);
    this.pos++;
    return s;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
}

/** What a writer over a fixed region (`Writer.over`) throws instead of growing past it. */
export class WriterFull extends RangeError {
  constructor() {
    super("fixed output region full");
  }
}

/** A growable little-endian byte buffer (or one over a fixed region: `Writer.over`). */
export class Writer {
  /** The backing store: bytes [0, length) are written; replaced when it grows. */
  buf: Uint8Array;
  private view: DataView;
  length = 0;
  /** Writes past `buf` throw `WriterFull` instead of growing it. */
  private fixed = false;

  /** An empty writer with room for `capacity` bytes before it grows. */
  constructor(capacity = 256) {
    this.buf = new Uint8Array(Math.max(16, capacity));
    this.view = new DataView(this.buf.buffer);
  }

  /**
   * An empty writer over `region` (a view of a shared buffer, say, that
   * another thread reads afterwards): it never grows; a write or `reserve`
   * past the region's end throws `WriterFull`.
   */
  static over(region: Uint8Array): Writer {
    const w = new Writer(0);
    w.buf = region;
    w.view = new DataView(region.buffer, region.byteOffset, region.byteLength);
    w.fixed = true;
    return w;
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    if (this.fixed) throw new WriterFull();
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.length));
    this.buf = b;
    this.view = new DataView(b.buffer);
  }

  /**
   * Makes room for `n` more bytes and returns the backing store, for callers
   * that write bytes directly from `length` on and then advance `length`.
   */
  reserve(n: number): Uint8Array {
    this.ensure(n);
    return this.buf;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v & 0xff;
  }

  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v >>> 0, true);
    this.length += 4;
  }

  u64(v: number): void {
    this.ensure(8);
    this.set64(this.length, v);
    this.length += 8;
  }

  /** `v` modulo 2^64 at `at`; without a BigInt when 0 <= v < 2^53. */
  private set64(at: number, v: number): void {
    if (v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v)) {
      this.view.setUint32(at, v >>> 0, true);
      this.view.setUint32(at + 4, Math.floor(v / 0x100000000), true);
    } else this.view.setBigUint64(at, BigInt.asUintN(64, BigInt(v)), true);
  }

  uint(size: number, v: number): void {
    if (size === 8) this.u64(v);
    else if (size === 4) this.u32(v);
    else if (size === 2) this.u16(v);
    else this.u8(v);
  }

  /** Unsigned LEB128 (macho-format's one writer). */
  uleb(v: number): void {
    this.ensure(ulebSize(v));
    this.length = writeULEB128(this.buf, this.length, v);
  }

  /** Signed LEB128 (macho-format's one writer). */
  sleb(v: number): void {
    this.ensure(slebSize(v));
    this.length = writeSLEB128(this.buf, this.length, v);
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** Overwrites a 4-byte value already written at `at`. */
  patch32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, true);
  }

  /** Overwrites an unsigned value of `size` bytes at `at`. */
  patch(at: number, size: number, v: number): void {
    if (size === 8) this.set64(at, v);
    else if (size === 4) this.view.setUint32(at, v >>> 0, true);
    else if (size === 2) this.view.setUint16(at, v, true);
    else this.buf[at] = v & 0xff;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
