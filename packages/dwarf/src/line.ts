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

