/**
 * The embedded code signature (`LC_CODE_SIGNATURE`), per Apple's
 * `kern/cs_blobs.h` (xnu) and what the linkers write for `-adhoc_codesign`.
 *
 * A code signature is a tree of big-endian blobs, each opening with
 * `{ magic, length }`. The root is a SuperBlob (`CSMAGIC_EMBEDDED_SIGNATURE`)
 * holding `count` index entries `{ type (slot), offset from the SuperBlob }`.
 * The blob that matters is the CodeDirectory (`CSMAGIC_CODEDIRECTORY`, slot
 * `CSSLOT_CODEDIRECTORY`): a header, then the identifier (a C string at
 * `identOffset`), then hashes at `hashOffset`. Code slot `i` holds the hash
 * of page `i` of the file (`2^pageSize` bytes, the last page short) for the
 * bytes `[0, codeLimit)`; special slots sit *before* `hashOffset`, slot `-k`
 * at `hashOffset - k * hashSize`, and hold the hashes of the other blobs
 * (slot -1 Info.plist, -2 the requirements blob, -5 entitlements...). The
 * kernel checks each page's hash as it faults the page in, so the signature
 * must cover the whole file before it, header and load commands included;
 * the signature itself is the last thing in `__LINKEDIT` and in the file.
 *
 * CodeDirectory version 0x20400 (`CS_SUPPORTSEXECSEG`) has an 88-byte
 * header: magic, length, version, flags, hashOffset, identOffset,
 * nSpecialSlots, nCodeSlots, codeLimit (u32 each); hashSize, hashType,
 * platform, pageSize (u8 each, pageSize as log2); spare2, scatterOffset,
 * teamOffset, spare3 (u32); codeLimit64 (u64, 0 when codeLimit fits);
 * execSegBase, execSegLimit, execSegFlags (u64): the file range of the
 * executable segment (`__TEXT`) and `CS_EXECSEG_MAIN_BINARY` for a main
 * executable.
 *
 * An ad-hoc signature has no CMS blob: the CodeDirectory's hash (the
 * "cdhash") is the identity. Linkers mark theirs `CS_ADHOC | CS_LINKER_SIGNED`
 * so that `codesign` may replace it freely. The identifier is the leaf name
 * of the install name (dylibs) or of the output path.
 *
 * ld64 vs lld. ld64 signs through libcodedirectory: its SuperBlob holds the
 * CodeDirectory and an empty requirements blob (`CSMAGIC_REQUIREMENTS`,
 * length 12, count 0) in slot `CSSLOT_REQUIREMENTS`, whose hash fills
 * special slot -2 (slot -1, Info.plist, stays zero), so `codesign -d` shows
 * "hashes=N+2" and "Internal requirements count=0 size=12". lld
 * (`CodeSignatureSection` in lld/MachO/SyntheticSections.cpp) writes the
 * CodeDirectory alone with no special slots, pads the SuperBlob header to 8
 * and the identifier so the hashes start 16-aligned. We write ld64's shape,
 * with blobs packed as `codesign` packs them (no padding inside the
 * SuperBlob). Both start the signature at a 16-byte aligned file offset
 * (libstuff's requirement), and so does the caller of this module.
 *
 * Sizes depend only on the identifier, the code limit and the page size, so
 * a linker reserves the space (`codeSignatureSize`) before it writes a byte,
 * and fills it (`writeCodeSignature`) last, once every covered byte is final.
 */
import { createHash } from "node:crypto";

export const CSMAGIC_REQUIREMENT = 0xfade0c00;
export const CSMAGIC_REQUIREMENTS = 0xfade0c01;
export const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
export const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
export const CSMAGIC_EMBEDDED_ENTITLEMENTS = 0xfade7171;
export const CSMAGIC_BLOBWRAPPER = 0xfade0b01;

export const CSSLOT_CODEDIRECTORY = 0;
export const CSSLOT_INFOSLOT = 1;
export const CSSLOT_REQUIREMENTS = 2;
export const CSSLOT_ENTITLEMENTS = 5;
export const CSSLOT_SIGNATURESLOT = 0x10000;

/** CodeDirectory versions: each adds header fields. */
export const CS_SUPPORTSSCATTER = 0x20100;
export const CS_SUPPORTSTEAMID = 0x20200;
export const CS_SUPPORTSCODELIMIT64 = 0x20300;
export const CS_SUPPORTSEXECSEG = 0x20400;

/** CodeDirectory flags. */
export const CS_ADHOC = 0x2;
export const CS_LINKER_SIGNED = 0x20000;

/** execSegFlags. */
export const CS_EXECSEG_MAIN_BINARY = 0x1;

export const CS_HASHTYPE_SHA1 = 1;
export const CS_HASHTYPE_SHA256 = 2;
export const CS_SHA256_LEN = 32;

/** Bytes of a version-0x20400 CodeDirectory header (through execSegFlags). */
export const CODE_DIRECTORY_SIZE = 88;
/** Bytes of a SuperBlob header (magic, length, count) and of one index entry. */
export const SUPERBLOB_HEADER_SIZE = 12;
export const BLOB_INDEX_SIZE = 8;
/** Bytes of an empty requirements blob (magic, length, count = 0). */
export const EMPTY_REQUIREMENTS_SIZE = 12;
/** The signature's file offset must be a multiple of this (libstuff). */
export const CODE_SIGNATURE_ALIGN = 16;
/** The page size of code slots on every Apple platform today (4 KiB). */
export const CS_PAGE_SIZE = 4096;

/** Special slots we fill: -1 (Info.plist, zero) and -2 (requirements). */
const N_SPECIAL_SLOTS = 2;
const BLOB_COUNT = 2;

const encoder = new TextEncoder();

/** What `writeCodeSignature` records besides the page hashes. */
export interface CodeSignatureInput {
  /** Signing identifier: the output's leaf name (UTF-8, no NUL). */
  identifier: string;
  /** Bytes of the file the signature covers, from 0: the signature's own file offset. */
  codeLimit: number;
  /** File offset of the executable segment (`__TEXT`), bytes. */
  execSegBase: number;
  /** File size of the executable segment, bytes. */
  execSegLimit: number;
  /** `CS_EXECSEG_MAIN_BINARY` for a main executable, else 0. */
  execSegFlags: number;
  /** Code page size in bytes, a power of two (default `CS_PAGE_SIZE`). */
  pageSize?: number;
  /**
   * Fills the code slots instead of hashing every page in turn: called
   * once, after the rest of the signature is written, with the file offset
   * of slot 0 (`codePageHashes` does a range of pages; a linker splits the
   * pages over threads). Every slot must be written before it returns.
   */
  hashPages?: (slotsOffset: number, pages: number, pageSize: number) => void;
}

/**
 * Writes the code slots of pages `[first, end)` of `image[0, codeLimit)`:
 * the SHA-256 of page p at `image[slotsOffset + 32p]` (the last page short).
 */
export function codePageHashes(
  image: Uint8Array,
  codeLimit: number,
  pageSize: number,
  slotsOffset: number,
  first: number,
  end: number,
): void {
  for (let i = first; i < end; i++) {
    const p = i * pageSize;
    image.set(sha256(image.subarray(p, Math.min(p + pageSize, codeLimit))), slotsOffset + i * CS_SHA256_LEN);
  }
}

function pageShift(pageSize: number): number {
  if (!Number.isInteger(pageSize) || pageSize < 1 || (pageSize & (pageSize - 1)) !== 0)
    throw new RangeError(`code signature: page size ${pageSize} is not a power of two`);
  return Math.log2(pageSize);
}

function checkIdentifier(identifier: string): Uint8Array {
  const id = encoder.encode(identifier);
  if (id.length === 0 || id.includes(0))
    throw new RangeError(`code signature: identifier "${identifier}" is empty or holds a NUL`);
  return id;
}

function codeDirectoryLength(idBytes: number, nCodeSlots: number): number {
  return CODE_DIRECTORY_SIZE + idBytes + 1 + (N_SPECIAL_SLOTS + nCodeSlots) * CS_SHA256_LEN;
}

/**
 * Bytes of the embedded signature (the SuperBlob's `length`, unpadded) for
 * `identifier`, covering `codeLimit` bytes in pages of `pageSize` bytes.
 * Callers reserve this many bytes at a 16-aligned offset (`CODE_SIGNATURE_ALIGN`)
 * equal to `codeLimit`. Throws `RangeError` for an empty identifier or one
 * with a NUL, a page size that is not a power of two, or a code limit that is
 * negative or over 4 GiB - 1 (the u32 `codeLimit`; `codeLimit64` is not written).
 */
export function codeSignatureSize(identifier: string, codeLimit: number, pageSize = CS_PAGE_SIZE): number {
  const shift = pageShift(pageSize);
  if (!Number.isInteger(codeLimit) || codeLimit < 0 || codeLimit > 0xffffffff)
    throw new RangeError(`code signature: code limit ${codeLimit} is out of range`);
  const nCodeSlots = Math.ceil(codeLimit / 2 ** shift);
  const cd = codeDirectoryLength(checkIdentifier(identifier).length, nCodeSlots);
  return SUPERBLOB_HEADER_SIZE + BLOB_COUNT * BLOB_INDEX_SIZE + cd + EMPTY_REQUIREMENTS_SIZE;
}

/**
 * Writes the ad-hoc signature into `image` at `offset`: SuperBlob, then the
 * CodeDirectory (version 0x20400, SHA-256, `CS_ADHOC | CS_LINKER_SIGNED`,
 * special slot -2 = hash of the requirements blob) and the empty requirements
 * blob; the code slots hash `image[0, input.codeLimit)`, so call this after
 * every byte before the signature is final. `offset` must equal `codeLimit`
 * (the signature covers the file up to itself) and be 16-aligned.
 * Returns the bytes written (`codeSignatureSize`). Throws `RangeError` when
 * the offset is misplaced or the signature does not fit in `image`, and as
 * `codeSignatureSize` does.
 */
export function writeCodeSignature(image: Uint8Array, offset: number, input: CodeSignatureInput): number {
  const pageSize = input.pageSize ?? CS_PAGE_SIZE;
  const shift = pageShift(pageSize);
  const size = codeSignatureSize(input.identifier, input.codeLimit, pageSize);
  if (offset !== input.codeLimit)
    throw new RangeError(`code signature at 0x${offset.toString(16)} must cover the file up to itself`);
  if (offset % CODE_SIGNATURE_ALIGN !== 0)
    throw new RangeError(`code signature at 0x${offset.toString(16)} is not ${CODE_SIGNATURE_ALIGN}-byte aligned`);
  if (offset + size > image.length)
    throw new RangeError(
      `code signature (0x${size.toString(16)} bytes at 0x${offset.toString(16)}) overruns the image`,
    );
  const id = checkIdentifier(input.identifier);
  const nCodeSlots = Math.ceil(input.codeLimit / pageSize);
  const cdLength = codeDirectoryLength(id.length, nCodeSlots);
  const cdOff = SUPERBLOB_HEADER_SIZE + BLOB_COUNT * BLOB_INDEX_SIZE;
  const reqOff = cdOff + cdLength;
  const dv = new DataView(image.buffer, image.byteOffset + offset, size);
  const u8 = image.subarray(offset, offset + size);
  u8.fill(0);

  // SuperBlob and its index, in slot order.
  dv.setUint32(0, CSMAGIC_EMBEDDED_SIGNATURE);
  dv.setUint32(4, size);
  dv.setUint32(8, BLOB_COUNT);
  dv.setUint32(12, CSSLOT_CODEDIRECTORY);
  dv.setUint32(16, cdOff);
  dv.setUint32(20, CSSLOT_REQUIREMENTS);
  dv.setUint32(24, reqOff);

  // The requirements blob first: its hash goes into special slot -2.
  dv.setUint32(reqOff, CSMAGIC_REQUIREMENTS);
  dv.setUint32(reqOff + 4, EMPTY_REQUIREMENTS_SIZE);
  dv.setUint32(reqOff + 8, 0);

  // CodeDirectory header.
  const identOffset = CODE_DIRECTORY_SIZE;
  const hashOffset = identOffset + id.length + 1 + N_SPECIAL_SLOTS * CS_SHA256_LEN;
  const c = cdOff;
  dv.setUint32(c + 0, CSMAGIC_CODEDIRECTORY);
  dv.setUint32(c + 4, cdLength);
  dv.setUint32(c + 8, CS_SUPPORTSEXECSEG);
  dv.setUint32(c + 12, CS_ADHOC | CS_LINKER_SIGNED);
  dv.setUint32(c + 16, hashOffset);
  dv.setUint32(c + 20, identOffset);
  dv.setUint32(c + 24, N_SPECIAL_SLOTS);
  dv.setUint32(c + 28, nCodeSlots);
  dv.setUint32(c + 32, input.codeLimit);
  dv.setUint8(c + 36, CS_SHA256_LEN);
  dv.setUint8(c + 37, CS_HASHTYPE_SHA256);
  dv.setUint8(c + 38, 0); // platform: not a platform binary
  dv.setUint8(c + 39, shift);
  // spare2, scatterOffset, teamOffset, spare3, codeLimit64: zero
  dv.setBigUint64(c + 64, BigInt(input.execSegBase));
  dv.setBigUint64(c + 72, BigInt(input.execSegLimit));
  dv.setBigUint64(c + 80, BigInt(input.execSegFlags));
  u8.set(id, c + identOffset); // NUL from the fill

  // Special slot -2: the requirements blob; -1 (Info.plist) stays zero.
  const req = u8.subarray(reqOff, reqOff + EMPTY_REQUIREMENTS_SIZE);
  u8.set(sha256(req), c + hashOffset - 2 * CS_SHA256_LEN);

  // Code slots: one hash per page of [0, codeLimit).
  const slots = offset + c + hashOffset;
  if (input.hashPages) input.hashPages(slots, nCodeSlots, pageSize);
  else codePageHashes(image, input.codeLimit, pageSize, slots, 0, nCodeSlots);
  return size;
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash("sha256").update(bytes).digest();
}
