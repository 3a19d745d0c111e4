/**
 * LEB128 ("Little Endian Base 128") variable-length integers.
 *
 * Mach-O's dyld information (`mach-o/loader.h`, dyld_info_command: the rebase
 * and bind opcode streams and the export trie), LC_FUNCTION_STARTS and the
 * DWARF sections all store integers as LEB128: seven payload bits per byte,
 * least significant group first, with bit 7 set on every byte but the last.
 * The unsigned form (ULEB128) zero-extends; the signed form (SLEB128) takes
 * bit 6 of the final byte as the sign and sign-extends from there.
 *
 * Values are JavaScript numbers. Everything up to 2^53 (Number.MAX_SAFE_INTEGER
 * plus one, for the unsigned form) round-trips exactly: the fast path uses
 * 32-bit bit operations for the first four bytes (28 bits) and switches to
 * multiplication by powers of two above that, since `<<` wraps at 32 bits.
 * Readers accept redundant padding (0x80 0x80 0x00 is a valid zero, as some
 * encoders pad to fixed widths) but throw `MachOFormatError` when input ends
 * in the middle of a number or when the value does not fit a safe integer.
 *
 * Two read APIs are provided. `readULEB128`/`readSLEB128` return the value
 * and leave the end offset in the shared mutable `lebCursor.next`, so hot
 * loops (opcode interpreters, trie walks) allocate nothing. `readULEB` and
 * `readSLEB` return `{ value, next }` for convenience elsewhere.
 */
import { MachOFormatError } from "./errors.js";

/** End offset of the most recent `readULEB128` / `readSLEB128` call. */
export const lebCursor = { next: 0 };

const TWO_POW_28 = 0x10000000;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Reads an unsigned LEB128 at `off`; the end offset goes to `lebCursor.next`. */
export function readULEB128(buf: Uint8Array, off: number): number {
  const len = buf.length;
  let p = off;
  let result = 0;
  let shift = 0;
  // Fast path: up to four bytes (28 bits) with bit operations.
  while (shift < 28) {
    if (p >= len) throw new MachOFormatError("truncated ULEB128", off);
    const b = buf[p++]!;
    result |= (b & 0x7f) << shift;
    if (b < 0x80) {
      lebCursor.next = p;
      return result >>> 0;
    }
    shift += 7;
  }
  // Slow path: arithmetic above 2^28.
  result >>>= 0;
  let scale = TWO_POW_28;
  for (;;) {
    if (p >= len) throw new MachOFormatError("truncated ULEB128", off);
    const b = buf[p++]!;
    const bits = b & 0x7f;
    if (bits !== 0) {
      if (scale > MAX_SAFE) throw new MachOFormatError("ULEB128 value exceeds 2^53", off);
      result += bits * scale;
      if (result > MAX_SAFE) throw new MachOFormatError("ULEB128 value exceeds 2^53", off);
    }
    if (b < 0x80) break;
    scale *= 128;
  }
  lebCursor.next = p;
  return result;
}

/** Reads a signed LEB128 at `off`; the end offset goes to `lebCursor.next`. */
export function readSLEB128(buf: Uint8Array, off: number): number {
  const len = buf.length;
  let p = off;
  let result = 0;
  let shift = 0;
  // Fast path: up to four bytes (28 bits) fit a signed 32-bit accumulator.
  while (shift < 28) {
    if (p >= len) throw new MachOFormatError("truncated SLEB128", off);
    const b = buf[p++]!;
    result |= (b & 0x7f) << shift;
    shift += 7;
    if (b < 0x80) {
      lebCursor.next = p;
      if ((b & 0x40) !== 0) {
        // sign-extend from bit `shift`
        const s = 32 - shift;
        return (result << s) >> s;
      }
      return result;
    }
  }
  return readSLEB128Slow(buf, off);
}

function readSLEB128Slow(buf: Uint8Array, off: number): number {
  // Exact decode with bigint: only reached for values of 29 bits or more.
  const len = buf.length;
  let p = off;
  let result = 0n;
  let shift = 0n;
  let b = 0;
  do {
    if (p >= len) throw new MachOFormatError("truncated SLEB128", off);
    b = buf[p++]!;
    if (shift < 70n) result |= BigInt(b & 0x7f) << shift;
    else if ((b & 0x7f) !== 0 && (b & 0x7f) !== 0x7f) throw new MachOFormatError("SLEB128 too long", off);
    shift += 7n;
  } while (b >= 0x80);
  if ((b & 0x40) !== 0) result -= 1n << (shift < 70n ? shift : 70n);
  if (result > BigInt(MAX_SAFE) || result < -BigInt(MAX_SAFE)) {
    throw new MachOFormatError("SLEB128 value exceeds 2^53", off);
  }
  lebCursor.next = p;
  return Number(result);
}

/** Reads an unsigned LEB128, returning the value and the end offset. */
export function readULEB(buf: Uint8Array, off: number): { value: number; next: number } {
  const value = readULEB128(buf, off);
  return { value, next: lebCursor.next };
}

/** Reads a signed LEB128, returning the value and the end offset. */
export function readSLEB(buf: Uint8Array, off: number): { value: number; next: number } {
  const value = readSLEB128(buf, off);
  return { value, next: lebCursor.next };
}

function checkUnsigned(v: number): void {
  if (!(v >= 0 && v <= MAX_SAFE && Number.isInteger(v))) {
    throw new RangeError(`ULEB128 value out of range: ${v}`);
  }
}

function checkSigned(v: number): void {
  if (!(v >= -MAX_SAFE && v <= MAX_SAFE && Number.isInteger(v))) {
    throw new RangeError(`SLEB128 value out of range: ${v}`);
  }
}

/** Number of bytes of the minimal ULEB128 encoding of `v`. */
export function ulebSize(v: number): number {
  if (v < 0x80) {
    if (v < 0) checkUnsigned(v);
    return 1;
  }
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  checkUnsigned(v);
  let n = 4;
  let x = Math.floor(v / TWO_POW_28);
  while (x > 0) {
    n++;
    x = Math.floor(x / 128);
  }
  return n;
}

/** Number of bytes of the minimal SLEB128 encoding of `v`. */
export function slebSize(v: number): number {
  if (v >= -0x40 && v < 0x40) return 1;
  if (v >= -0x2000 && v < 0x2000) return 2;
  if (v >= -0x100000 && v < 0x100000) return 3;
  if (v >= -0x8000000 && v < 0x8000000) return 4;
  checkSigned(v);
  let n = 0;
  let x = v;
  for (;;) {
    const byte = ((x % 128) + 128) % 128;
    x = Math.floor(x / 128);
    n++;
    if ((x === 0 && (byte & 0x40) === 0) || (x === -1 && (byte & 0x40) !== 0)) return n;
  }
}

/** Writes the minimal ULEB128 encoding of `v` at `off`; returns the end offset. */
export function writeULEB128(buf: Uint8Array, off: number, v: number): number {
  let p = off;
  if (v < 0x80000000 && v >= 0) {
    let x = v | 0;
    if (x !== v) checkUnsigned(v);
    while (x >= 0x80) {
      buf[p++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    buf[p++] = x;
    return p;
  }
  checkUnsigned(v);
  let x = v;
  while (x >= 0x80000000) {
    buf[p++] = (x % 128) | 0x80;
    x = Math.floor(x / 128);
  }
  while (x >= 0x80) {
    buf[p++] = (x & 0x7f) | 0x80;
    x >>>= 7;
  }
  buf[p++] = x;
  return p;
}

/** Writes the minimal SLEB128 encoding of `v` at `off`; returns the end offset. */
export function writeSLEB128(buf: Uint8Array, off: number, v: number): number {
  let p = off;
  if (v >= -0x80000000 && v < 0x80000000) {
    let x = v | 0;
    if (x !== v) checkSigned(v);
    for (;;) {
      const byte = x & 0x7f;
      x >>= 7;
      if ((x === 0 && (byte & 0x40) === 0) || (x === -1 && (byte & 0x40) !== 0)) {
        buf[p++] = byte;
        return p;
      }
      buf[p++] = byte | 0x80;
    }
  }
  checkSigned(v);
  let x = v;
  for (;;) {
    const byte = ((x % 128) + 128) % 128;
    x = Math.floor(x / 128);
    if ((x === 0 && (byte & 0x40) === 0) || (x === -1 && (byte & 0x40) !== 0)) {
      buf[p++] = byte;
      return p;
    }
    buf[p++] = byte | 0x80;
  }
}

/**
 * Writes `v` as a ULEB128 padded to exactly `width` bytes (redundant 0x80
 * continuation bytes), for fields patched after layout. Returns the end offset.
 */
export function writeULEB128Padded(buf: Uint8Array, off: number, v: number, width: number): number {
  const need = ulebSize(v);
  if (need > width) throw new RangeError(`ULEB128 value ${v} needs ${need} bytes, more than ${width}`);
  let p = off;
  let x = v;
  for (let i = 0; i < width; i++) {
    const byte = x % 128;
    x = Math.floor(x / 128);
    buf[p++] = i === width - 1 ? byte : byte | 0x80;
  }
  return p;
}
