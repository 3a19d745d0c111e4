/**
 * `__TEXT,__eh_frame` records as Mach-O objects carry them (the `.eh_frame`
 * format of the LSB Core specification, "Exception Frames", over DWARF's
 * call frame information; what libunwind's `CFI_Parser` reads):
 *
 *   record: u32 length (0: terminator; 0xffffffff: a 64-bit length follows),
 *     u32 id, then `length - 4` bytes
 *   CIE (id 0): u8 version, augmentation string (NUL-terminated), ULEB code
 *     alignment, SLEB data alignment, return-address register (u8 in version
 *     1, else ULEB); when the augmentation starts with "z": ULEB augmentation
 *     data length, then per letter: 'P' personality encoding + pointer, 'L'
 *     the LSDA pointer encoding, 'R' the FDE pointer encoding
 *   FDE (id ≠ 0): id is the distance back from the id field to its CIE;
 *     pc_begin and pc_range in the CIE's FDE encoding; with "z": ULEB
 *     augmentation data length, whose data starts with the LSDA pointer (in
 *     the CIE's LSDA encoding) when the CIE has 'L'
 *
 * Pointer encodings are DW_EH_PE_* bytes: the low nibble gives the size
 * (`ehPointerSize`), bits 0x70 the application (0x10: pc-relative, 0:
 * absolute). clang writes pc_begin pc-relative and resolved at assembly
 * time, usually with no relocation; a linker that moves records or functions
 * must find the function from the stored displacement and rewrite it.
 *
 * `readEhRecord` decodes one record at a section offset into the offsets of
 * those pointer fields, remembering CIEs in a caller-kept map so that the
 * section's FDEs find theirs; it never follows relocations (the caller's).
 * A record whose fields run past its end is skipped, never read beyond.
 */
import { MachOFormatError } from "./errors.js";
import { readULEB } from "./leb128.js";

/** What an FDE needs of its CIE. */
export interface EhCie {
  /** DW_EH_PE encoding of pc_begin/pc_range (0 when the CIE has no 'R'). */
  fdeEnc: number;
  /** DW_EH_PE encoding of the LSDA pointer, or -1 when the CIE has no 'L'. */
  lsdaEnc: number;
  /** Whether the augmentation starts with "z" (augmentation data present). */
  augZ: boolean;
}

/** One decoded record; every offset is a section offset. */
export type EhRecord =
  | { kind: "cie"; cie: EhCie }
  | {
      kind: "fde";
      cie: EhCie;
      /** Section offset of the CIE the FDE names. */
      cieOff: number;
      /** Section offset and size (bytes, from the FDE encoding; -1 when unknown) of pc_begin. */
      pcBeginOff: number;
      pcSize: number;
      /** Section offset and size of the LSDA pointer field; -1 when the FDE has none. */
      lsdaOff: number;
      lsdaSize: number;
    }
  /** An FDE whose CIE pointer names no CIE seen so far in the section. */
  | { kind: "orphan"; cieOff: number }
  /** A field (a LEB128, the augmentation) runs past the record's end: `message` says which. */
  | { kind: "malformed"; record: "CIE" | "FDE"; message: string }
  /** Too short, a terminator or a 64-bit record: left alone. */
  | { kind: "skip" };

/** Size in bytes of a DW_EH_PE-encoded pointer, or -1 for an encoding without a fixed size. */
export function ehPointerSize(enc: number): number {
  switch (enc & 0x0f) {
    case 0x00: // absptr (8 on a 64-bit target)
    case 0x04: // udata8
    case 0x0c: // sdata8
      return 8;
    case 0x02: // udata2
    case 0x0a: // sdata2
      return 2;
    case 0x03: // udata4
    case 0x0b: // sdata4
      return 4;
    default:
      return -1;
  }
}

/**
 * Decodes the record at section offset `off` of an `__eh_frame` whose first
 * byte is `data[start]`; `size` bounds the record (its atom or piece). A CIE
 * is added to `cies` (keyed by section offset) and an FDE looks its CIE up
 * there, so records are read in section order with one map per section.
 */
export function readEhRecord(
  data: Uint8Array,
  view: DataView,
  start: number,
  off: number,
  size: number,
  cies: Map<number, EhCie>,
): EhRecord {
  if (size < 8) return { kind: "skip" };
  const at = start + off;
  const len32 = view.getUint32(at, true);
  if (len32 === 0 || len32 === 0xffffffff) return { kind: "skip" };
  const id = view.getUint32(at + 4, true);
  // The record's bytes end at `limit`: every field read stays inside them.
  const limit = at + Math.min(size, len32 + 4);
  try {
    return id === 0 ? readCie(data.subarray(0, limit), at, off, cies) : readFde(data, limit, start, at, off, id, cies);
  } catch (e) {
    if (e instanceof MachOFormatError)
      return { kind: "malformed", record: id === 0 ? "CIE" : "FDE", message: e.message };
    throw e;
  }
}

function readCie(data: Uint8Array, at: number, off: number, cies: Map<number, EhCie>): EhRecord {
  const end = data.length;
  let p = at + 8;
  const version = data[p++]!;
  let aug = "";
  while (p < end && data[p] !== 0) aug += String.fromCharCode(data[p++]!);
  p++;
  p = readULEB(data, p).next; // code alignment
  p = readULEB(data, p).next; // data alignment (an SLEB; skipped alike)
  p = version === 1 ? p + 1 : readULEB(data, p).next; // return-address register
  const cie: EhCie = { fdeEnc: 0, lsdaEnc: -1, augZ: aug.startsWith("z") };
  if (cie.augZ) {
    p = readULEB(data, p).next;
    for (const c of aug.slice(1)) {
      if (c === "P") {
        const enc = data[p++]!;
        p += Math.max(ehPointerSize(enc), 0);
      } else if (c === "L") cie.lsdaEnc = data[p++]!;
      else if (c === "R") cie.fdeEnc = data[p++]!;
    }
  }
  if (p > end) return { kind: "malformed", record: "CIE", message: "augmentation data runs past the record" };
  cies.set(off, cie);
  return { kind: "cie", cie };
}

/** An FDE whose bytes end at `limit` of `data` (a view of them is made only to read its augmentation). */
function readFde(
  data: Uint8Array,
  limit: number,
  start: number,
  at: number,
  off: number,
  id: number,
  cies: Map<number, EhCie>,
): EhRecord {
  const cieOff = off + 4 - id;
  const cie = cies.get(cieOff);
  if (cie === undefined) return { kind: "orphan", cieOff };
  const pcSize = ehPointerSize(cie.fdeEnc);
  const pcBeginOff = off + 8;
  let lsdaOff = -1;
  let lsdaSize = -1;
  if (pcSize > 0 && cie.augZ && cie.lsdaEnc >= 0 && cie.lsdaEnc !== 0xff) {
    const aug = readULEB(data.subarray(0, limit), at + 8 + 2 * pcSize);
    const lsize = ehPointerSize(cie.lsdaEnc);
    if (lsize > 0 && aug.value >= lsize && aug.next + lsize <= limit) {
      lsdaOff = aug.next - start;
      lsdaSize = lsize;
    }
  }
  return { kind: "fde", cie, cieOff, pcBeginOff, pcSize, lsdaOff, lsdaSize };
}
