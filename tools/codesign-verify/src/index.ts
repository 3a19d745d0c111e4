/**
 * An independent checker of a thin 64-bit Mach-O image's embedded ad-hoc
 * code signature (Apple `kern/cs_blobs.h`), for tests: it shares no code
 * with tsld's writer and reads only the file's bytes.
 *
 * It finds LC_CODE_SIGNATURE, parses the SuperBlob (big-endian blobs:
 * `{ magic, length }`, an index of `{ slot, offset }`), and checks:
 * - the signature is the last thing in `__LINKEDIT`, 16-aligned, within the file;
 * - every blob lies inside the SuperBlob and has a known magic;
 * - the CodeDirectory: version ≥ 0x20400, SHA-256 with 32-byte hashes,
 *   `CS_ADHOC`, a NUL-terminated identifier inside it, its hash area inside it,
 *   `codeLimit` equal to the signature's own offset (it covers everything
 *   before it), one code slot per page of `[0, codeLimit)`;
 * - every page hash, recomputed from the file;
 * - every special slot: the hash of the blob in that slot, or zero if absent;
 * - execSegBase/Limit equal to `__TEXT`'s file range, execSegFlags carrying
 *   `CS_EXECSEG_MAIN_BINARY` exactly for MH_EXECUTE.
 * A file that verifies satisfies what the kernel checks of a linker-signed
 * page as it maps it; the CMS side of real signatures is out of scope.
 */
import { createHash } from "node:crypto";

const MH_MAGIC_64 = 0xfeedfacf;
const MH_EXECUTE = 2;
const LC_SEGMENT_64 = 0x19;
const LC_CODE_SIGNATURE = 0x1d;
const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
const CSMAGIC_REQUIREMENTS = 0xfade0c01;
const CSMAGIC_EMBEDDED_ENTITLEMENTS = 0xfade7171;
const CSMAGIC_EMBEDDED_DER_ENTITLEMENTS = 0xfade7172;
const CSMAGIC_BLOBWRAPPER = 0xfade0b01;
const CSSLOT_CODEDIRECTORY = 0;
const CS_ADHOC = 0x2;
const CS_EXECSEG_MAIN_BINARY = 0x1;
const CS_HASHTYPE_SHA256 = 2;
const EXECSEG_VERSION = 0x20400;
const CD_HEADER_SIZE = 88;

/** The CodeDirectory's fields as read from the file. */
export interface CodeDirectoryFields {
  version: number;
  flags: number;
  hashOffset: number;
  identOffset: number;
  nSpecialSlots: number;
  nCodeSlots: number;
  codeLimit: number;
  hashSize: number;
  hashType: number;
  platform: number;
  /** log2 of the page size. */
  pageSize: number;
  scatterOffset: number;
  teamOffset: number;
  codeLimit64: bigint;
  execSegBase: bigint;
  execSegLimit: bigint;
  execSegFlags: bigint;
  identifier: string;
}

export interface SignatureReport {
  /** Everything wrong, one sentence each; empty when the signature verifies. */
  errors: string[];
  /** LC_CODE_SIGNATURE's dataoff and datasize. */
  dataoff?: number;
  datasize?: number;
  /** Slots of the SuperBlob's blobs, in index order. */
  slots: number[];
  codeDirectory?: CodeDirectoryFields;
  /** The code slot hashes (hex), page by page. */
  pageHashes: string[];
}

interface Segment {
  name: string;
  fileoff: number;
  filesize: number;
}

const sha256 = (b: Uint8Array): Buffer => createHash("sha256").update(b).digest();
const hex = (n: number | bigint): string => `0x${n.toString(16)}`;

/** Verifies `file` (a whole thin 64-bit Mach-O image); never throws on bad input. */
export function verifyCodeSignature(file: Uint8Array): SignatureReport {
  const r: SignatureReport = { errors: [], slots: [], pageHashes: [] };
  const err = (m: string) => r.errors.push(m);
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < 32 || dv.getUint32(0, true) !== MH_MAGIC_64) {
    err("not a thin little-endian 64-bit Mach-O file");
    return r;
  }
  const filetype = dv.getUint32(12, true);
  const ncmds = dv.getUint32(16, true);
  const sizeofcmds = dv.getUint32(20, true);
  if (32 + sizeofcmds > file.length) {
    err("load commands run past the end of the file");
    return r;
  }
  const segs: Segment[] = [];
  let sigCmd: { dataoff: number; datasize: number; index: number } | undefined;
  let off = 32;
  for (let i = 0; i < ncmds; i++) {
    const cmd = dv.getUint32(off, true);
    const size = dv.getUint32(off + 4, true);
    if (size < 8 || off + size > 32 + sizeofcmds) {
      err(`load command ${i} has a bad size ${size}`);
      return r;
    }
    if (cmd === LC_SEGMENT_64) {
      const name = new TextDecoder().decode(file.subarray(off + 8, off + 24)).replace(/\0.*$/s, "");
      segs.push({
        name,
        fileoff: Number(dv.getBigUint64(off + 40, true)),
        filesize: Number(dv.getBigUint64(off + 48, true)),
      });
    } else if (cmd === LC_CODE_SIGNATURE) {
      if (sigCmd) err("more than one LC_CODE_SIGNATURE");
      sigCmd = { dataoff: dv.getUint32(off + 8, true), datasize: dv.getUint32(off + 12, true), index: i };
    }
    off += size;
  }
  if (!sigCmd) {
    err("no LC_CODE_SIGNATURE");
    return r;
  }
  const { dataoff, datasize } = sigCmd;
  r.dataoff = dataoff;
  r.datasize = datasize;
  if (sigCmd.index !== ncmds - 1) err(`LC_CODE_SIGNATURE is load command ${sigCmd.index} of ${ncmds}, not the last`);
  if (dataoff % 16 !== 0) err(`the signature's offset ${hex(dataoff)} is not 16-byte aligned`);
  if (dataoff + datasize > file.length) {
    err(`the signature (${hex(dataoff)} + ${hex(datasize)}) runs past the end of the file (${hex(file.length)})`);
    return r;
  }
  const le = segs.find((s) => s.name === "__LINKEDIT");
  if (!le) err("no __LINKEDIT segment");
  else {
    if (dataoff < le.fileoff || dataoff + datasize > le.fileoff + le.filesize)
      err("the signature is not inside __LINKEDIT");
    // Only alignment padding may follow the signature.
    const leEnd = le.fileoff + le.filesize;
    if (leEnd - (dataoff + datasize) >= 16)
      err(`${leEnd - dataoff - datasize} bytes of __LINKEDIT follow the signature`);
  }
  if (file.length - (dataoff + datasize) >= 16) err("bytes follow the signature in the file");

  // --- the SuperBlob ---
  const sig = new DataView(file.buffer, file.byteOffset + dataoff, datasize);
  if (datasize < 12 || sig.getUint32(0) !== CSMAGIC_EMBEDDED_SIGNATURE) {
    err("the signature does not start with CSMAGIC_EMBEDDED_SIGNATURE");
    return r;
  }
  const sbLength = sig.getUint32(4);
  const count = sig.getUint32(8);
  if (sbLength > datasize) {
    err(`SuperBlob length ${hex(sbLength)} exceeds LC_CODE_SIGNATURE's datasize ${hex(datasize)}`);
    return r;
  }
  if (12 + count * 8 > sbLength) {
    err(`SuperBlob index of ${count} entries does not fit in ${hex(sbLength)} bytes`);
    return r;
  }
  const blobs = new Map<number, { off: number; length: number; magic: number }>();
  const known = new Set([
    CSMAGIC_CODEDIRECTORY,
    CSMAGIC_REQUIREMENTS,
    CSMAGIC_EMBEDDED_ENTITLEMENTS,
    CSMAGIC_EMBEDDED_DER_ENTITLEMENTS,
    CSMAGIC_BLOBWRAPPER,
  ]);
  for (let i = 0; i < count; i++) {
    const slot = sig.getUint32(12 + i * 8);
    const bo = sig.getUint32(16 + i * 8);
    r.slots.push(slot);
    if (bo + 8 > sbLength) {
      err(`blob of slot ${slot} at ${hex(bo)} is outside the SuperBlob`);
      continue;
    }
    const magic = sig.getUint32(bo);
    const length = sig.getUint32(bo + 4);
    if (length < 8 || bo + length > sbLength)
      err(`blob of slot ${slot} (${hex(bo)}, length ${hex(length)}) overruns the SuperBlob`);
    if (!known.has(magic)) err(`blob of slot ${slot} has unknown magic ${hex(magic)}`);
    if (blobs.has(slot)) err(`slot ${slot} appears twice`);
    blobs.set(slot, { off: bo, length, magic });
  }
  const cdBlob = blobs.get(CSSLOT_CODEDIRECTORY);
  if (!cdBlob || cdBlob.magic !== CSMAGIC_CODEDIRECTORY) {
    err("no CodeDirectory in slot 0");
    return r;
  }
  if (r.errors.length) return r;

  // --- the CodeDirectory ---
  const c = cdBlob.off;
  const cdLen = cdBlob.length;
  if (cdLen < CD_HEADER_SIZE) {
    err(`CodeDirectory length ${cdLen} is shorter than its header`);
    return r;
  }
  const cd: CodeDirectoryFields = {
    version: sig.getUint32(c + 8),
    flags: sig.getUint32(c + 12),
    hashOffset: sig.getUint32(c + 16),
    identOffset: sig.getUint32(c + 20),
    nSpecialSlots: sig.getUint32(c + 24),
    nCodeSlots: sig.getUint32(c + 28),
    codeLimit: sig.getUint32(c + 32),
    hashSize: sig.getUint8(c + 36),
    hashType: sig.getUint8(c + 37),
    platform: sig.getUint8(c + 38),
    pageSize: sig.getUint8(c + 39),
    scatterOffset: sig.getUint32(c + 44),
    teamOffset: sig.getUint32(c + 48),
    codeLimit64: sig.getBigUint64(c + 56),
    execSegBase: sig.getBigUint64(c + 64),
    execSegLimit: sig.getBigUint64(c + 72),
    execSegFlags: sig.getBigUint64(c + 80),
    identifier: "",
  };
  r.codeDirectory = cd;
  if (cd.version < EXECSEG_VERSION) err(`CodeDirectory version ${hex(cd.version)} predates exec segments (0x20400)`);
  if ((cd.flags & CS_ADHOC) === 0) err(`CodeDirectory flags ${hex(cd.flags)} lack CS_ADHOC`);
  if (cd.hashType !== CS_HASHTYPE_SHA256 || cd.hashSize !== 32)
    err(`hash type ${cd.hashType} size ${cd.hashSize}: want SHA-256 (2) with 32-byte hashes`);
  if (cd.pageSize < 9 || cd.pageSize > 16) err(`page size 2^${cd.pageSize} is unreasonable`);
  if (cd.scatterOffset !== 0) err("scatter vectors are not expected in a linker signature");
  if (cd.codeLimit64 !== 0n) err("codeLimit64 is set although codeLimit fits");
  // identifier: NUL-terminated inside the CodeDirectory, before the hashes.
  const idStart = cd.identOffset;
  const nul =
    idStart >= CD_HEADER_SIZE && idStart < cdLen ? file.indexOf(0, dataoff + c + idStart) - (dataoff + c) : -1;
  if (nul < 0 || nul >= cdLen) err(`identifier at ${hex(idStart)} is not a C string inside the CodeDirectory`);
  else cd.identifier = new TextDecoder().decode(file.subarray(dataoff + c + idStart, dataoff + c + nul));
  const hs = cd.hashSize;
  if (cd.hashOffset - cd.nSpecialSlots * hs < Math.max(CD_HEADER_SIZE, nul + 1))
    err("special slots overlap the CodeDirectory header or identifier");
  if (cd.hashOffset + cd.nCodeSlots * hs > cdLen) err("code slots run past the CodeDirectory");
  if (cd.codeLimit !== dataoff)
    err(
      `codeLimit ${hex(cd.codeLimit)} is not the signature's offset ${hex(dataoff)}: it must cover the file up to itself`,
    );
  const page = 2 ** cd.pageSize;
  if (cd.nCodeSlots !== Math.ceil(cd.codeLimit / page))
    err(`${cd.nCodeSlots} code slots for ${hex(cd.codeLimit)} bytes in ${page}-byte pages`);
  if (r.errors.length) return r;

  // page hashes
  const hashBase = dataoff + c + cd.hashOffset;
  for (let i = 0; i < cd.nCodeSlots; i++) {
    const start = i * page;
    const want = sha256(file.subarray(start, Math.min(start + page, cd.codeLimit)));
    const got = file.subarray(hashBase + i * hs, hashBase + (i + 1) * hs);
    r.pageHashes.push(Buffer.from(got).toString("hex"));
    if (!want.equals(got))
      err(`page ${i} (file ${hex(start)}..${hex(Math.min(start + page, cd.codeLimit))}) hash mismatch`);
  }
  // special slots: slot -k holds the hash of the blob in SuperBlob slot k
  for (let k = 1; k <= cd.nSpecialSlots; k++) {
    const got = file.subarray(hashBase - k * hs, hashBase - (k - 1) * hs);
    const b = blobs.get(k);
    if (b) {
      if (!sha256(file.subarray(dataoff + b.off, dataoff + b.off + b.length)).equals(got))
        err(`special slot -${k} does not hold the hash of the slot-${k} blob`);
    } else if (got.some((x) => x !== 0)) err(`special slot -${k} is set but slot ${k} has no blob`);
  }
  for (const slot of blobs.keys())
    if (slot !== CSSLOT_CODEDIRECTORY && slot < 0x1000 && slot > cd.nSpecialSlots)
      err(`blob in slot ${slot} is not bound by a special slot`);
  const req = blobs.get(2);
  if (req && req.magic !== CSMAGIC_REQUIREMENTS) err(`slot 2 holds magic ${hex(req.magic)}, not requirements`);

  // exec segment
  const text = segs.find((s) => s.name === "__TEXT");
  if (!text) err("no __TEXT segment");
  else {
    if (cd.execSegBase !== BigInt(text.fileoff))
      err(`execSegBase ${hex(cd.execSegBase)} is not __TEXT's fileoff ${hex(text.fileoff)}`);
    if (cd.execSegLimit !== BigInt(text.filesize))
      err(`execSegLimit ${hex(cd.execSegLimit)} is not __TEXT's filesize ${hex(text.filesize)}`);
  }
  const main = (cd.execSegFlags & BigInt(CS_EXECSEG_MAIN_BINARY)) !== 0n;
  if (main !== (filetype === MH_EXECUTE))
    err(`execSegFlags ${hex(cd.execSegFlags)}: CS_EXECSEG_MAIN_BINARY must be set exactly for MH_EXECUTE`);
  return r;
}
