/**
 * Line number programs (`.debug_line`), DWARF 4 §6.2.
 *
 * A line table is a matrix of rows (address, file, line, column, is_stmt,
 * basic_block, end_sequence, prologue_end, epilogue_begin, isa,
 * discriminator — §6.2.2) encoded as a byte-coded program for a small state
 * machine. Each unit starts with a header (§6.2.4): unit_length, version
 * (2–4), header_length, minimum_instruction_length, maximum_operations_per_
 * instruction (version 4 only), default_is_stmt, line_base, line_range,
 * opcode_base, the standard opcodes' operand counts, then the include
 * directories and file entries. The program follows: special opcodes (one
 * byte advancing address and line and appending a row, §6.2.5.1), standard
 * opcodes (§6.2.5.2: copy, advance_pc, advance_line, set_file, set_column,
 * negate_stmt, set_basic_block, const_add_pc, fixed_advance_pc,
 * set_prologue_end, set_epilogue_begin, set_isa) and extended opcodes
 * (§6.2.5.3: end_sequence, set_address, define_file, set_discriminator).
 * Encodings are in §7.21 (DW_LNS_*, DW_LNE_*).
 *
 * A sequence (set_address … end_sequence) describes one contiguous run of
 * machine code. clang emits one per input section, so after dead stripping
 * or reordering its addresses no longer describe the output. tsld therefore
 * does not patch programs in place: it runs each program into rows (with
 * input addresses), maps every row to its output address through the atom
 * holding it, drops rows of dead code, splits sequences wherever the
 * input-to-output shift changes, and re-encodes the rows with the unit's own
 * header (so the file and directory tables, and header_length, are
 * unchanged; only unit_length is new). The set_address operand is where the
 * object's relocation sits; its value is resolved by the caller.
 *
 * Rows are many (one per instruction boundary), so the hot path keeps them
 * column-wise in typed arrays (`LineRows`, reused from unit to unit) and
 * `decodeLineRows`/`encodeLineRows` run with the state machine's registers
 * in locals, special opcodes' steps from a per-header table, and bytes
 * written straight into the writer's store: nothing is allocated per row.
 * `decodeLineProgram`/`encodeLineProgram` are the same over row objects.
 */
import { Reader, type Writer, readUint } from "./bytes.js";
import type { AddressMapper, DebugRelocs } from "./relocs.js";

export const DW_LNS = {
  copy: 1,
  advance_pc: 2,
  advance_line: 3,
  set_file: 4,
  set_column: 5,
  negate_stmt: 6,
  set_basic_block: 7,
  const_add_pc: 8,
  fixed_advance_pc: 9,
  set_prologue_end: 10,
  set_epilogue_begin: 11,
  set_isa: 12,
} as const;

export const DW_LNE = {
  end_sequence: 1,
  set_address: 2,
  define_file: 3,
  set_discriminator: 4,
} as const;

/** One row of the line matrix. */
export interface LineRow {
  address: number;
  file: number;
  line: number;
  column: number;
  isStmt: boolean;
  basicBlock: boolean;
  endSequence: boolean;
  prologueEnd: boolean;
  epilogueBegin: boolean;
  isa: number;
  discriminator: number;
}

/** The parts of a line-program header the state machine needs. */
export interface LineHeader {
  /** Offset of the unit (its unit_length field) in the section. */
  offset: number;
  /** Offset just past the unit. */
  end: number;
  version: number;
  /** Offset of the first program byte. */
  programStart: number;
  minInstLength: number;
  defaultIsStmt: boolean;
  lineBase: number;
  lineRange: number;
  opcodeBase: number;
  stdOpcodeLengths: number[];
}

/** Reads the header of the line unit at `off` (32-bit DWARF, versions 2–4). */
export function readLineHeader(buf: Uint8Array, off: number, end = buf.length): LineHeader {
  const r = new Reader(buf, off, end);
  const unitLength = r.u32();
  if (unitLength >= 0xfffffff0) throw new Error("64-bit DWARF line tables are not supported");
  const unitEnd = off + 4 + unitLength;
  if (unitEnd > end) throw new Error(`line table at 0x${off.toString(16)} runs past the section`);
  const version = r.u16();
  if (version < 2 || version > 4) throw new Error(`line table version ${version} is not supported (2–4)`);
  const headerLength = r.u32();
  const programStart = r.pos + headerLength;
  const minInstLength = r.u8();
  if (version >= 4) r.u8(); // maximum_operations_per_instruction (1 on non-VLIW)
  const defaultIsStmt = r.u8() !== 0;
  const lb = r.u8();
  const lineBase = lb >= 128 ? lb - 256 : lb;
  const lineRange = r.u8();
  const opcodeBase = r.u8();
  const stdOpcodeLengths: number[] = [];
  for (let i = 1; i < opcodeBase; i++) stdOpcodeLengths.push(r.u8());
  if (lineRange === 0) throw new Error("line table has line_range 0");
  return {
    offset: off,
    end: unitEnd,
    version,
    programStart,
    minInstLength,
    defaultIsStmt,
    lineBase,
    lineRange,
    opcodeBase,
    stdOpcodeLengths,
  };
}

/** `LineRows.flags` bits: the row's boolean columns. */
export const ROW_IS_STMT = 1;
export const ROW_BASIC_BLOCK = 2;
export const ROW_END_SEQUENCE = 4;
export const ROW_PROLOGUE_END = 8;
export const ROW_EPILOGUE_BEGIN = 16;

/**
 * Rows of a line matrix held column-wise in typed arrays, so that running,
 * mapping and re-encoding a program allocates nothing per row. The numeric
 * columns are Float64Array (any value a JS number can hold round-trips);
 * the booleans are bits of `flags`. A buffer is reused: `count = 0` empties
 * it, and it grows by doubling.
 */
export class LineRows {
  count = 0;
  address: Float64Array;
  file: Float64Array;
  line: Float64Array;
  column: Float64Array;
  isa: Float64Array;
  discriminator: Float64Array;
  flags: Uint8Array;

  constructor(capacity = 256) {
    this.address = new Float64Array(capacity);
    this.file = new Float64Array(capacity);
    this.line = new Float64Array(capacity);
    this.column = new Float64Array(capacity);
    this.isa = new Float64Array(capacity);
    this.discriminator = new Float64Array(capacity);
    this.flags = new Uint8Array(capacity);
  }

  /** Doubles the capacity (columns are replaced). */
  grow(): void {
    const cap = Math.max(1, this.flags.length * 2);
    const g = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.address = g(this.address);
    this.file = g(this.file);
    this.line = g(this.line);
    this.column = g(this.column);
    this.isa = g(this.isa);
    this.discriminator = g(this.discriminator);
    const f = new Uint8Array(cap);
    f.set(this.flags);
    this.flags = f;
  }

  push(
    address: number,
    file: number,
    line: number,
    column: number,
    flags: number,
    isa: number,
    discriminator: number,
  ): void {
    const i = this.count;
    if (i === this.flags.length) this.grow();
    this.address[i] = address;
    this.file[i] = file;
    this.line[i] = line;
    this.column[i] = column;
    this.flags[i] = flags;
    this.isa[i] = isa;
    this.discriminator[i] = discriminator;
    this.count = i + 1;
  }

  /** Appends a copy of row `i` of `src` with a new address and flags. */
  pushFrom(src: LineRows, i: number, address: number, flags: number): void {
    this.push(address, src.file[i]!, src.line[i]!, src.column[i]!, flags, src.isa[i]!, src.discriminator[i]!);
  }

  /** Row `i` as an object. */
  row(i: number): LineRow {
    const f = this.flags[i]!;
    return {
      address: this.address[i]!,
      file: this.file[i]!,
      line: this.line[i]!,
      column: this.column[i]!,
      isStmt: (f & ROW_IS_STMT) !== 0,
      basicBlock: (f & ROW_BASIC_BLOCK) !== 0,
      endSequence: (f & ROW_END_SEQUENCE) !== 0,
      prologueEnd: (f & ROW_PROLOGUE_END) !== 0,
      epilogueBegin: (f & ROW_EPILOGUE_BEGIN) !== 0,
      isa: this.isa[i]!,
      discriminator: this.discriminator[i]!,
    };
  }

  /** Appends `r`. */
  pushRow(r: LineRow): void {
    const f =
      (r.isStmt ? ROW_IS_STMT : 0) |
      (r.basicBlock ? ROW_BASIC_BLOCK : 0) |
      (r.endSequence ? ROW_END_SEQUENCE : 0) |
      (r.prologueEnd ? ROW_PROLOGUE_END : 0) |
      (r.epilogueBegin ? ROW_EPILOGUE_BEGIN : 0);
    this.push(r.address, r.file, r.line, r.column, f, r.isa, r.discriminator);
  }
}

/** Cursor of the inline readers below (one program is read at a time). */
let cur = 0;

function pastEnd(n: number): RangeError {
  return new RangeError(`read of ${n} bytes at 0x${cur.toString(16)} past the end`);
}

function readU8(buf: Uint8Array, end: number): number {
  if (cur + 1 > end) throw pastEnd(1);
  return buf[cur++]!;
}

function readUleb(buf: Uint8Array, end: number): number {
  let result = 0;
  let mul = 1;
  for (;;) {
    if (cur + 1 > end) throw pastEnd(1);
    const b = buf[cur++]!;
    result += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) return result;
  }
}

function readSleb(buf: Uint8Array, end: number): number {
  let result = 0;
  let mul = 1;
  for (;;) {
    if (cur + 1 > end) throw pastEnd(1);
    const b = buf[cur++]!;
    result += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) {
      if (b & 0x40) result -= mul;
      return result;
    }
  }
}

/** Where a line program's rows go (`runLineProgram`). */
export interface LineSink {
  /**
   * A DW_LNE_set_address: its operand's offset in the section and size;
   * returns the address it stands for (the sink resolves the object's
   * relocation there).
   */
  setAddress(operandOffset: number, size: number): number;
  /** The next row of the matrix; an end_sequence row has ROW_END_SEQUENCE in `flags`. */
  row(
    address: number,
    file: number,
    line: number,
    column: number,
    flags: number,
    isa: number,
    discriminator: number,
  ): void;
}

/** A sink appending to `LineRows` (`decodeLineRows`). */
class RowCollector implements LineSink {
  private readonly rows: LineRows;
  private readonly resolve: (operandOffset: number, size: number, rowCount: number) => number;

  constructor(rows: LineRows, resolve: (operandOffset: number, size: number, rowCount: number) => number) {
    this.rows = rows;
    this.resolve = resolve;
  }

  setAddress(operandOffset: number, size: number): number {
    return this.resolve(operandOffset, size, this.rows.count);
  }

  row(
    address: number,
    file: number,
    line: number,
    column: number,
    flags: number,
    isa: number,
    discriminator: number,
  ): void {
    this.rows.push(address, file, line, column, flags, isa, discriminator);
  }
}

/**
 * Runs the program of unit `h`, appending its rows to `rows`: sequences in
 * order, each ending in an end_sequence row. `setAddress(operandOffset,
 * size, rowCount)` returns the address a DW_LNE_set_address operand stands
 * for (the caller resolves the object's relocation there); `rowCount` is
 * how many rows precede the operand. Reading past the unit throws (rows
 * already appended stay).
 */
export function decodeLineRows(
  buf: Uint8Array,
  h: LineHeader,
  setAddress: (operandOffset: number, size: number, rowCount: number) => number,
  rows: LineRows,
): void {
  runLineProgram(buf, h, new RowCollector(rows, setAddress));
}

/**
 * Runs the program of unit `h`, handing `sink` each row as the state
 * machine appends it (sequences in order, each ending in an end_sequence
 * row) and each DW_LNE_set_address operand. Reading past the unit throws
 * (rows already handed over stay).
 */
export function runLineProgram(buf: Uint8Array, h: LineHeader, sink: LineSink): void {
  const end = h.end;
  const opcodeBase = h.opcodeBase;
  const lineRange = h.lineRange;
  const minInst = h.minInstLength;
  const stdLengths = h.stdOpcodeLengths;
  const stmt0 = h.defaultIsStmt ? ROW_IS_STMT : 0;
  const constAddPc = Math.floor((255 - opcodeBase) / lineRange) * minInst;
  // Each special opcode's address and line steps (§6.2.5.1), computed once.
  const [addrStep, lineStep] = specialSteps(h);
  // The state machine's registers (§6.2.2); `flags` holds is_stmt, basic_block, prologue_end and epilogue_begin.
  let address = 0;
  let file = 1;
  let line = 1;
  let column = 0;
  let flags = stmt0;
  let isa = 0;
  let discriminator = 0;
  let pos = h.programStart;
  while (pos < end) {
    const op = buf[pos++]!;
    let emit = false;
    if (op >= opcodeBase) {
      address += addrStep[op]!;
      line += lineStep[op]!;
      emit = true;
    } else if (op === DW_LNS.advance_pc && pos < end && buf[pos]! < 0x80) {
      // The commonest standard opcodes with one-byte operands, read inline.
      address += buf[pos++]! * minInst;
    } else if (op === DW_LNS.advance_line && pos < end && buf[pos]! < 0x80) {
      const b = buf[pos++]!;
      line += b & 0x40 ? b - 128 : b;
    } else {
      cur = pos;
      switch (op) {
        case 0: {
          const len = readUleb(buf, end);
          const start = cur;
          if (len === 0) break;
          const sub = readU8(buf, end);
          if (sub === DW_LNE.end_sequence) {
            // Appended here with the end_sequence bit, then the registers reset.
            sink.row(address, file, line, column, flags | ROW_END_SEQUENCE, isa, discriminator);
            address = 0;
            file = 1;
            line = 1;
            column = 0;
            flags = stmt0;
            isa = 0;
            discriminator = 0;
          } else if (sub === DW_LNE.set_address) {
            address = sink.setAddress(cur, len - 1);
          } else if (sub === DW_LNE.set_discriminator) {
            discriminator = readUleb(buf, end);
          }
          // DW_LNE_define_file and vendor opcodes: skipped.
          cur = start + len;
          break;
        }
        case DW_LNS.copy:
          emit = true;
          break;
        case DW_LNS.advance_pc:
          address += readUleb(buf, end) * minInst;
          break;
        case DW_LNS.advance_line:
          line += readSleb(buf, end);
          break;
        case DW_LNS.set_file:
          file = readUleb(buf, end);
          break;
        case DW_LNS.set_column:
          column = readUleb(buf, end);
          break;
        case DW_LNS.negate_stmt:
          flags ^= ROW_IS_STMT;
          break;
        case DW_LNS.set_basic_block:
          flags |= ROW_BASIC_BLOCK;
          break;
        case DW_LNS.const_add_pc:
          address += constAddPc;
          break;
        case DW_LNS.fixed_advance_pc: {
          if (cur + 2 > end) throw pastEnd(2);
          address += buf[cur]! | (buf[cur + 1]! << 8);
          cur += 2;
          break;
        }
        case DW_LNS.set_prologue_end:
          flags |= ROW_PROLOGUE_END;
          break;
        case DW_LNS.set_epilogue_begin:
          flags |= ROW_EPILOGUE_BEGIN;
          break;
        case DW_LNS.set_isa:
          isa = readUleb(buf, end);
          break;
        default: {
          const k = stdLengths[op - 1] ?? 0;
          for (let i = 0; i < k; i++) readUleb(buf, end);
        }
      }
      pos = cur;
    }
    if (emit) {
      sink.row(address, file, line, column, flags, isa, discriminator);
      flags &= ROW_IS_STMT;
      discriminator = 0;
    }
  }
}

/** Per opcode of `h`: the address and line advance of the special opcode it is (0 below opcode_base). */
function specialSteps(h: LineHeader): [Float64Array, Float64Array] {
  const addr = new Float64Array(256);
  const line = new Float64Array(256);
  for (let op = h.opcodeBase; op < 256; op++) {
    const adj = op - h.opcodeBase;
    addr[op] = Math.floor(adj / h.lineRange) * h.minInstLength;
    line[op] = h.lineBase + (adj % h.lineRange);
  }
  return [addr, line];
}

/**
 * `decodeLineRows` returning row objects: runs the program of unit `h` and
 * appends its rows to `rows` (nothing is appended when the program is
 * malformed: the error propagates).
 */
export function decodeLineProgram(
  buf: Uint8Array,
  h: LineHeader,
  setAddress: (operandOffset: number, size: number) => number,
  rows: LineRow[] = [],
): LineRow[] {
  const t = new LineRows();
  decodeLineRows(buf, h, (at, size) => setAddress(at, size), t);
  for (let i = 0; i < t.count; i++) rows.push(t.row(i));
  return rows;
}

/**
 * Encodes rows `[from, to)` of `rows` (sequences, each ending in an
 * end_sequence row, addresses non-decreasing within a sequence) as a program
 * for header `h`, appending to `w`. Rows use special opcodes where the
 * address and line steps fit (§6.2.5.1), standard opcodes otherwise.
 * Throws when a row's address is below the one before it in its sequence
 * (or not a multiple of minimum_instruction_length past it).
 */
export function encodeLineRows(
  w: Writer,
  h: LineHeader,
  rows: LineRows,
  addrSize: number,
  from = 0,
  to = rows.count,
): void {
  const e = new LineEncoder(w, h);
  const A = rows.address;
  const F = rows.flags;
  for (let i = from; i < to; i++) {
    const ok = e.row(
      A[i]!,
      rows.file[i]!,
      rows.line[i]!,
      rows.column[i]!,
      F[i]!,
      rows.isa[i]!,
      rows.discriminator[i]!,
      addrSize,
    );
    if (!ok) {
      e.finish();
      throw new Error("line rows out of order");
    }
  }
  e.finish();
}

/**
 * Encodes rows one at a time as a program for one unit's header, appending
 * to a writer (`encodeLineRows`, and the linker's row-by-row rewrite). The
 * state after the last row written (§6.2.2) is kept, reset at each
 * sequence's end; bytes go straight into the writer's store, whose length
 * is brought up to date by `finish`.
 */
export class LineEncoder {
  private readonly w: Writer;
  private b: Uint8Array;
  private o: number;
  private readonly minInst: number;
  private readonly lineBase: number;
  private readonly lineRange: number;
  private readonly opcodeBase: number;
  private readonly stmt0: number;
  private readonly hasV3Ops: boolean;
  private sAddress = 0;
  private sFile = 1;
  private sLine = 1;
  private sColumn = 0;
  private sStmt: number;
  private sIsa = 0;
  private started = false;

  constructor(w: Writer, h: LineHeader) {
    this.w = w;
    this.minInst = h.minInstLength;
    this.lineBase = h.lineBase;
    this.lineRange = h.lineRange;
    this.opcodeBase = h.opcodeBase;
    this.stmt0 = h.defaultIsStmt ? ROW_IS_STMT : 0;
    this.sStmt = this.stmt0;
    this.hasV3Ops = h.opcodeBase > DW_LNS.set_isa;
    // Room for any one row (ROW_ROOM) from `o` on.
    this.b = w.reserve(ROW_ROOM);
    this.o = w.length;
  }

  /**
   * Appends a row (`flags` as `LineRows.flags`; an end_sequence row ends
   * the sequence and needs only its address); a sequence's first row starts
   * with a DW_LNE_set_address of `addrSize` bytes. Returns false, writing
   * nothing more, when the address is below the last row's or not a
   * multiple of minimum_instruction_length past it.
   */
  row(
    address: number,
    file: number,
    line: number,
    column: number,
    flags: number,
    isa: number,
    discriminator: number,
    addrSize: number,
  ): boolean {
    let b = this.b;
    let o = this.o;
    if (o + ROW_ROOM > b.length) {
      this.w.length = o;
      b = this.b = this.w.reserve(ROW_ROOM);
    }
    if (!this.started) {
      b[o++] = 0;
      o = putUleb(b, o, 1 + addrSize);
      b[o++] = DW_LNE.set_address;
      o = putUint(b, o, addrSize, address);
      this.sAddress = address;
      this.started = true;
    }
    let addrAdv = (address - this.sAddress) / this.minInst;
    if (addrAdv < 0 || !Number.isInteger(addrAdv)) {
      this.o = o;
      return false;
    }
    if (flags & ROW_END_SEQUENCE) {
      if (addrAdv > 0) {
        b[o++] = DW_LNS.advance_pc;
        o = putUleb(b, o, addrAdv);
      }
      b[o++] = 0;
      b[o++] = 1;
      b[o++] = DW_LNE.end_sequence;
      this.o = o;
      this.sAddress = 0;
      this.sFile = 1;
      this.sLine = 1;
      this.sColumn = 0;
      this.sStmt = this.stmt0;
      this.sIsa = 0;
      this.started = false;
      return true;
    }
    if (file !== this.sFile) {
      b[o++] = DW_LNS.set_file;
      o = putUleb(b, o, file);
    }
    if (column !== this.sColumn) {
      b[o++] = DW_LNS.set_column;
      o = putUleb(b, o, column);
    }
    if ((flags & ROW_IS_STMT) !== this.sStmt) b[o++] = DW_LNS.negate_stmt;
    if (flags & ROW_BASIC_BLOCK) b[o++] = DW_LNS.set_basic_block;
    const v3 = this.hasV3Ops;
    if (v3 && flags & ROW_PROLOGUE_END) b[o++] = DW_LNS.set_prologue_end;
    if (v3 && flags & ROW_EPILOGUE_BEGIN) b[o++] = DW_LNS.set_epilogue_begin;
    if (v3 && isa !== this.sIsa) {
      b[o++] = DW_LNS.set_isa;
      o = putUleb(b, o, isa);
    }
    if (discriminator !== 0) {
      b[o++] = 0;
      o = putUleb(b, o, 1 + ulebLen(discriminator));
      b[o++] = DW_LNE.set_discriminator;
      o = putUleb(b, o, discriminator);
    }
    const lineAdv = line - this.sLine;
    const lineBase = this.lineBase;
    const lineRange = this.lineRange;
    const lineOk = lineAdv >= lineBase && lineAdv < lineBase + lineRange;
    const special = lineAdv - lineBase + lineRange * addrAdv + this.opcodeBase;
    if (lineOk && special <= 255) {
      b[o++] = special;
    } else {
      if (lineAdv !== 0) {
        b[o++] = DW_LNS.advance_line;
        o = putSleb(b, o, lineAdv);
      }
      if (addrAdv > 0) {
        b[o++] = DW_LNS.advance_pc;
        o = putUleb(b, o, addrAdv);
        addrAdv = 0;
      }
      b[o++] = DW_LNS.copy;
    }
    this.o = o;
    this.sAddress = address;
    this.sFile = file;
    this.sLine = line;
    this.sColumn = column;
    this.sStmt = flags & ROW_IS_STMT;
    this.sIsa = isa;
    return true;
  }

  /** Brings the writer's length up to the bytes written. */
  finish(): void {
    this.w.length = this.o;
  }
}

/**
 * Room one encoded row can need: at most 16 opcode and length bytes, an
 * 8-byte address and six LEB128 values (a JS number's LEB128 is at most
 * 147 bytes).
 */
const ROW_ROOM = 16 + 8 + 6 * 147;

/** Writes `v` as ULEB128 at `o` in `b`; returns the offset after it (as Writer.uleb). */
function putUleb(b: Uint8Array, o: number, v: number): number {
  if (v >= 0 && v < 0x80) {
    b[o] = v;
    return o + 1;
  }
  do {
    let x = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) x |= 0x80;
    b[o++] = x & 0xff;
  } while (v !== 0);
  return o;
}

/** Writes `v` as SLEB128 at `o` in `b`; returns the offset after it (as Writer.sleb). */
function putSleb(b: Uint8Array, o: number, v: number): number {
  for (;;) {
    const x = ((v % 128) + 128) % 128;
    v = Math.floor(v / 128);
    const done = (v === 0 && (x & 0x40) === 0) || (v === -1 && (x & 0x40) !== 0);
    b[o++] = (done ? x : x | 0x80) & 0xff;
    if (done) return o;
  }
}

/** Writes `v` as an unsigned `size`-byte integer at `o` in `b` (as Writer.uint); returns the offset after it. */
function putUint(b: Uint8Array, o: number, size: number, v: number): number {
  if (size === 8) {
    if (v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v)) {
      const lo = v >>> 0;
      const hi = Math.floor(v / 0x100000000);
      b[o] = lo & 0xff;
      b[o + 1] = (lo >>> 8) & 0xff;
      b[o + 2] = (lo >>> 16) & 0xff;
      b[o + 3] = lo >>> 24;
      b[o + 4] = hi & 0xff;
      b[o + 5] = (hi >>> 8) & 0xff;
      b[o + 6] = (hi >>> 16) & 0xff;
      b[o + 7] = hi >>> 24;
    } else new DataView(b.buffer, b.byteOffset).setBigUint64(o, BigInt.asUintN(64, BigInt(v)), true);
    return o + 8;
  }
  if (size === 4) {
    const x = v >>> 0;
    b[o] = x & 0xff;
    b[o + 1] = (x >>> 8) & 0xff;
    b[o + 2] = (x >>> 16) & 0xff;
    b[o + 3] = x >>> 24;
    return o + 4;
  }
  if (size === 2) {
    const x = v & 0xffff;
    b[o] = x & 0xff;
    b[o + 1] = x >>> 8;
    return o + 2;
  }
  b[o] = v & 0xff;
  return o + 1;
}

/** `encodeLineRows` over row objects. */
export function encodeLineProgram(w: Writer, h: LineHeader, rows: readonly LineRow[], addrSize: number): void {
  const t = new LineRows(Math.max(1, rows.length));
  for (const r of rows) t.pushRow(r);
  encodeLineRows(w, h, t, addrSize);
}

function ulebLen(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/**
 * The linker's rewrite of one line unit's program: `runLineProgram`,
 * mapping and `LineEncoder` in one loop, with the state machine's
 * registers, the mapping's state and the encoder's state in locals (rows
 * are many, and a link is short: this runs mostly before the JIT has
 * optimized anything, where every call and property access counts).
 *
 * Why the opcode loop is not `runLineProgram`'s with a sink: a Lua -g link
 * (28k rows) runs this loop in V8's interpreter from start to end (its
 * optimized code, queued behind the rest of the link's, arrives after the
 * merge: `--trace-opt`), and there a call per row with seven arguments,
 * and the mapping's and encoder's state as an object's fields instead of
 * locals, cost more than the loop's whole body: the interpreter profile of
 * the merge put the out-of-line 4-byte reads alone (a call each) at 7% of
 * it. The two loops decode the same opcodes (DWARF 4 §6.2.5); a change to
 * one is a change to both (`emit.test.ts` reads the rewrite's output back
 * with `decodeLineProgram`).
 *
 * Runs the program of unit `h` in `buf`; each DW_LNE_set_address's
 * relocation in `relocs` says which section of the object the rows after
 * it are in (an end_sequence forgets it); each row is mapped to its output
 * address through `mapper` (rows in dead atoms are dropped, and a new
 * sequence starts wherever the input-to-output shift changes: the atoms of
 * one input sequence need not stay adjacent in the output), and encoded as
 * `LineEncoder` would, appended to `w` (set_address operands of the size
 * the unit uses). Returns false, the unit unencodable, when a row's output
 * address goes backwards (known once the whole program has run); reading
 * past the unit throws a RangeError. Either way `w` may hold part of the
 * unit's rows.
 */
export function rewriteLineProgram(
  buf: Uint8Array,
  h: LineHeader,
  relocs: DebugRelocs,
  mapper: AddressMapper,
  w: Writer,
): boolean {
  const end = h.end;
  const opcodeBase = h.opcodeBase;
  const lineRange = h.lineRange;
  const lineBase = h.lineBase;
  const minInst = h.minInstLength;
  const stdLengths = h.stdOpcodeLengths;
  const stmt0 = h.defaultIsStmt ? ROW_IS_STMT : 0;
  const hasV3Ops = opcodeBase > DW_LNS.set_isa;
  const constAddPc = Math.floor((255 - opcodeBase) / lineRange) * minInst;
  const [addrStep, lineStep] = specialSteps(h);
  // Decoder: the state machine's registers (§6.2.2).
  let address = 0;
  let file = 1;
  let line = 1;
  let column = 0;
  let flags = stmt0;
  let isa = 0;
  let discriminator = 0;
  // Mapping: the rows' section ordinal (0: dropped) and address size; the open output sequence's
  // shift, the input end of its last row's atom and that row's output address; the last atom
  // mapped (input range [aLo, aHi), shift aDelta) for rows that stay in it.
  let sect = 0;
  let addrSize = 8;
  let open = false;
  let delta = 0;
  let lastEndIn = 0;
  let lastOut = 0;
  let aSect = 0;
  let aLo = 0;
  let aHi = 0;
  let aDelta = 0;
  let outOfOrder = false;
  // Encoder: bytes from `o` in `b` (room for a row), the state after the last row written.
  let b = w.reserve(ROW_ROOM);
  let o = w.length;
  let sAddress = 0;
  let sFile = 1;
  let sLine = 1;
  let sColumn = 0;
  let sStmt = stmt0;
  let sIsa = 0;
  let started = false;
  let pos = h.programStart;
  while (pos < end) {
    const op = buf[pos++]!;
    // A row to emit (1), an end_sequence row (2), or none (0).
    let kind = 0;
    if (op >= opcodeBase) {
      address += addrStep[op]!;
      line += lineStep[op]!;
      kind = 1;
    } else if (op === DW_LNS.advance_pc && pos < end && buf[pos]! < 0x80) {
      address += buf[pos++]! * minInst;
    } else if (op === DW_LNS.advance_line && pos < end && buf[pos]! < 0x80) {
      const x = buf[pos++]!;
      line += x & 0x40 ? x - 128 : x;
    } else if (op === DW_LNS.set_column && pos < end && buf[pos]! < 0x80) {
      column = buf[pos++]!;
    } else {
      cur = pos;
      switch (op) {
        case 0: {
          const len = readUleb(buf, end);
          const start = cur;
          if (len === 0) break;
          const sub = readU8(buf, end);
          if (sub === DW_LNE.end_sequence) kind = 2;
          else if (sub === DW_LNE.set_address) {
            // The operand's relocation: the section the rows are in, and the input address (as the
            // merge maps every relocated field: DebugRelocs.inputAddress).
            addrSize = len - 1;
            const k = relocs.find(cur);
            const stored = readUint(buf, cur, addrSize);
            sect = k >= 0 ? relocs.sect[k]! : 0;
            address = k >= 0 ? relocs.inputAddress(k, stored) : stored;
          } else if (sub === DW_LNE.set_discriminator) {
            discriminator = readUleb(buf, end);
          }
          cur = start + len;
          break;
        }
        case DW_LNS.copy:
          kind = 1;
          break;
        case DW_LNS.advance_pc:
          address += readUleb(buf, end) * minInst;
          break;
        case DW_LNS.advance_line:
          line += readSleb(buf, end);
          break;
        case DW_LNS.set_file:
          file = readUleb(buf, end);
          break;
        case DW_LNS.set_column:
          column = readUleb(buf, end);
          break;
        case DW_LNS.negate_stmt:
          flags ^= ROW_IS_STMT;
          break;
        case DW_LNS.set_basic_block:
          flags |= ROW_BASIC_BLOCK;
          break;
        case DW_LNS.const_add_pc:
          address += constAddPc;
          break;
        case DW_LNS.fixed_advance_pc: {
          if (cur + 2 > end) throw pastEnd(2);
          address += buf[cur]! | (buf[cur + 1]! << 8);
          cur += 2;
          break;
        }
        case DW_LNS.set_prologue_end:
          flags |= ROW_PROLOGUE_END;
          break;
        case DW_LNS.set_epilogue_begin:
          flags |= ROW_EPILOGUE_BEGIN;
          break;
        case DW_LNS.set_isa:
          isa = readUleb(buf, end);
          break;
        default: {
          const k = stdLengths[op - 1] ?? 0;
          for (let i = 0; i < k; i++) readUleb(buf, end);
        }
      }
      pos = cur;
    }
    if (kind === 0) continue;
    // The row's output address (-1: dropped); an end_sequence row only closes.
    let m = -1;
    if (kind === 1 && sect !== 0) {
      if (sect === aSect && address >= aLo && address < aHi) m = address + aDelta;
      else {
        m = mapper.map(sect, address, false);
        if (m >= 0) {
          aSect = sect;
          aLo = mapper.startIn;
          aHi = mapper.endIn;
          aDelta = m - address;
        }
      }
    }
    // Close the open output sequence at an end_sequence, a dropped row or a change of shift.
    if (open && (m < 0 || m - address !== delta)) {
      const endAddr = Math.max(Math.min(address, lastEndIn) + delta, lastOut);
      open = false;
      if (!outOfOrder) {
        if (o + ROW_ROOM > b.length) {
          w.length = o;
          b = w.reserve(ROW_ROOM);
        }
        const adv = (endAddr - sAddress) / minInst;
        if (adv < 0 || !Number.isInteger(adv)) outOfOrder = true;
        else {
          if (adv > 0) {
            b[o++] = DW_LNS.advance_pc;
            o = putUleb(b, o, adv);
          }
          b[o++] = 0;
          b[o++] = 1;
          b[o++] = DW_LNE.end_sequence;
          sAddress = 0;
          sFile = 1;
          sLine = 1;
          sColumn = 0;
          sStmt = stmt0;
          sIsa = 0;
          started = false;
        }
      }
    }
    if (m >= 0) {
      if (!open) {
        open = true;
        delta = m - address;
      }
      lastEndIn = aHi;
      lastOut = m;
      if (!outOfOrder) {
        // Encode the row (as LineEncoder.row).
        if (o + ROW_ROOM > b.length) {
          w.length = o;
          b = w.reserve(ROW_ROOM);
        }
        if (!started) {
          b[o++] = 0;
          o = putUleb(b, o, 1 + addrSize);
          b[o++] = DW_LNE.set_address;
          o = putUint(b, o, addrSize, m);
          sAddress = m;
          started = true;
        }
        // Addresses are integers: with minimum_instruction_length 1 (clang's, x86_64 and arm64) the advance is one.
        const addrAdv = minInst === 1 ? m - sAddress : (m - sAddress) / minInst;
        if (addrAdv < 0 || (minInst !== 1 && !Number.isInteger(addrAdv))) outOfOrder = true;
        else {
          // One-byte LEB128 operands (most of them) written inline.
          if (file !== sFile) {
            b[o++] = DW_LNS.set_file;
            if (file < 0x80) b[o++] = file;
            else o = putUleb(b, o, file);
          }
          if (column !== sColumn) {
            b[o++] = DW_LNS.set_column;
            if (column < 0x80) b[o++] = column;
            else o = putUleb(b, o, column);
          }
          if ((flags & ROW_IS_STMT) !== sStmt) b[o++] = DW_LNS.negate_stmt;
          if (flags & ROW_BASIC_BLOCK) b[o++] = DW_LNS.set_basic_block;
          if (hasV3Ops && flags & ROW_PROLOGUE_END) b[o++] = DW_LNS.set_prologue_end;
          if (hasV3Ops && flags & ROW_EPILOGUE_BEGIN) b[o++] = DW_LNS.set_epilogue_begin;
          if (hasV3Ops && isa !== sIsa) {
            b[o++] = DW_LNS.set_isa;
            o = putUleb(b, o, isa);
          }
          if (discriminator !== 0) {
            b[o++] = 0;
            o = putUleb(b, o, 1 + ulebLen(discriminator));
            b[o++] = DW_LNE.set_discriminator;
            o = putUleb(b, o, discriminator);
          }
          const lineAdv = line - sLine;
          const special = lineAdv - lineBase + lineRange * addrAdv + opcodeBase;
          if (lineAdv >= lineBase && lineAdv < lineBase + lineRange && special <= 255) b[o++] = special;
          else {
            if (lineAdv !== 0) {
              b[o++] = DW_LNS.advance_line;
              if (lineAdv >= -64 && lineAdv < 64) b[o++] = lineAdv & 0x7f;
              else o = putSleb(b, o, lineAdv);
            }
            if (addrAdv > 0) {
              b[o++] = DW_LNS.advance_pc;
              if (addrAdv < 0x80) b[o++] = addrAdv;
              else o = putUleb(b, o, addrAdv);
            }
            b[o++] = DW_LNS.copy;
          }
          sAddress = m;
          sFile = file;
          sLine = line;
          sColumn = column;
          sStmt = flags & ROW_IS_STMT;
          sIsa = isa;
        }
      }
    }
    if (kind === 2) {
      // end_sequence: the registers reset, the section forgotten.
      sect = 0;
      address = 0;
      file = 1;
      line = 1;
      column = 0;
      flags = stmt0;
      isa = 0;
      discriminator = 0;
    } else {
      flags &= ROW_IS_STMT;
      discriminator = 0;
    }
  }
  if (outOfOrder) return false;
  w.length = o;
  return true;
}
