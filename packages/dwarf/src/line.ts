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
 */
import { Reader, type Writer } from "./bytes.js";

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

function resetRow(h: LineHeader): LineRow {
  return {
    address: 0,
    file: 1,
    line: 1,
    column: 0,
    isStmt: h.defaultIsStmt,
    basicBlock: false,
    endSequence: false,
    prologueEnd: false,
    epilogueBegin: false,
    isa: 0,
    discriminator: 0,
  };
}

/**
 * Runs the program of unit `h` and returns its rows, sequences in order,
 * each ending in an end_sequence row. `setAddress(operandOffset, size)`
 * returns the address a DW_LNE_set_address operand stands for (the caller
 * resolves the object's relocation there). Rows are appended to `rows`
 * (so the callback can see how many precede the operand).
 */
export function decodeLineProgram(
  buf: Uint8Array,
  h: LineHeader,
  setAddress: (operandOffset: number, size: number) => number,
  rows: LineRow[] = [],
): LineRow[] {
  const r = new Reader(buf, h.programStart, h.end);
  let s = resetRow(h);
  const emit = (): void => {
    rows.push({ ...s });
    s.basicBlock = false;
    s.prologueEnd = false;
    s.epilogueBegin = false;
    s.discriminator = 0;
  };
  const constAddPc = Math.floor((255 - h.opcodeBase) / h.lineRange) * h.minInstLength;
  while (r.pos < r.end) {
    const op = r.u8();
    if (op >= h.opcodeBase) {
      const adj = op - h.opcodeBase;
      s.address += Math.floor(adj / h.lineRange) * h.minInstLength;
      s.line += h.lineBase + (adj % h.lineRange);
      emit();
      continue;
    }
    switch (op) {
      case 0: {
        const len = r.uleb();
        const start = r.pos;
        if (len === 0) break;
        const sub = r.u8();
        if (sub === DW_LNE.end_sequence) {
          s.endSequence = true;
          emit();
          s = resetRow(h);
        } else if (sub === DW_LNE.set_address) {
          s.address = setAddress(r.pos, len - 1);
        } else if (sub === DW_LNE.set_discriminator) {
          s.discriminator = r.uleb();
        }
        // DW_LNE_define_file and vendor opcodes: skipped.
        r.pos = start + len;
        break;
      }
      case DW_LNS.copy:
        emit();
        break;
      case DW_LNS.advance_pc:
        s.address += r.uleb() * h.minInstLength;
        break;
      case DW_LNS.advance_line:
        s.line += r.sleb();
        break;
      case DW_LNS.set_file:
        s.file = r.uleb();
        break;
      case DW_LNS.set_column:
        s.column = r.uleb();
        break;
      case DW_LNS.negate_stmt:
        s.isStmt = !s.isStmt;
        break;
      case DW_LNS.set_basic_block:
        s.basicBlock = true;
        break;
      case DW_LNS.const_add_pc:
        s.address += constAddPc;
        break;
      case DW_LNS.fixed_advance_pc:
        s.address += r.u16();
        break;
      case DW_LNS.set_prologue_end:
        s.prologueEnd = true;
        break;
      case DW_LNS.set_epilogue_begin:
        s.epilogueBegin = true;
        break;
      case DW_LNS.set_isa:
        s.isa = r.uleb();
        break;
      default: {
        const n = h.stdOpcodeLengths[op - 1] ?? 0;
        for (let i = 0; i < n; i++) r.uleb();
      }
    }
  }
  return rows;
}

/**
 * Encodes `rows` (sequences, each ending in an end_sequence row, addresses
 * non-decreasing within a sequence) as a program for header `h`, appending
 * to `w`. Rows use special opcodes where the address and line steps fit
 * (§6.2.5.1), standard opcodes otherwise.
 */
export function encodeLineProgram(w: Writer, h: LineHeader, rows: readonly LineRow[], addrSize: number): void {
  let s = resetRow(h);
  let started = false;
  const hasV3Ops = h.opcodeBase > DW_LNS.set_isa;
  for (const row of rows) {
    if (!started) {
      w.u8(0);
      w.uleb(1 + addrSize);
      w.u8(DW_LNE.set_address);
      w.uint(addrSize, row.address);
      s.address = row.address;
      started = true;
    }
    let addrAdv = (row.address - s.address) / h.minInstLength;
    if (addrAdv < 0 || !Number.isInteger(addrAdv)) throw new Error("line rows out of order");
    if (row.endSequence) {
      if (addrAdv > 0) {
        w.u8(DW_LNS.advance_pc);
        w.uleb(addrAdv);
      }
      w.u8(0);
      w.uleb(1);
      w.u8(DW_LNE.end_sequence);
      s = resetRow(h);
      started = false;
      continue;
    }
    if (row.file !== s.file) {
      w.u8(DW_LNS.set_file);
      w.uleb(row.file);
    }
    if (row.column !== s.column) {
      w.u8(DW_LNS.set_column);
      w.uleb(row.column);
    }
    if (row.isStmt !== s.isStmt) w.u8(DW_LNS.negate_stmt);
    if (row.basicBlock) w.u8(DW_LNS.set_basic_block);
    if (hasV3Ops && row.prologueEnd) w.u8(DW_LNS.set_prologue_end);
    if (hasV3Ops && row.epilogueBegin) w.u8(DW_LNS.set_epilogue_begin);
    if (hasV3Ops && row.isa !== s.isa) {
      w.u8(DW_LNS.set_isa);
      w.uleb(row.isa);
    }
    if (row.discriminator !== 0) {
      w.u8(0);
      w.uleb(1 + ulebLen(row.discriminator));
      w.u8(DW_LNE.set_discriminator);
      w.uleb(row.discriminator);
    }
    const lineAdv = row.line - s.line;
    const lineOk = lineAdv >= h.lineBase && lineAdv < h.lineBase + h.lineRange;
    const special = lineAdv - h.lineBase + h.lineRange * addrAdv + h.opcodeBase;
    if (lineOk && special <= 255) {
      w.u8(special);
    } else {
      if (lineAdv !== 0) {
        w.u8(DW_LNS.advance_line);
        w.sleb(lineAdv);
      }
      if (addrAdv > 0) {
        w.u8(DW_LNS.advance_pc);
        w.uleb(addrAdv);
        addrAdv = 0;
      }
      w.u8(DW_LNS.copy);
    }
    s = { ...row, basicBlock: false, prologueEnd: false, epilogueBegin: false, discriminator: 0 };
  }
}

function ulebLen(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}
