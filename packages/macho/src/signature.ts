/**
 * The ad-hoc code signature as the image's last `__LINKEDIT` blob
 * (`-adhoc_codesign`): what it covers and records, decided from the link
 * context; the bytes are macho-format's `writeCodeSignature`.
 *
 * The blob starts 16-aligned after the string table (ld64, lld) and covers
 * the file up to its own offset; `__LINKEDIT`'s filesize and the file end
 * 16-aligned past it. The identifier is the leaf of the install name for a
 * dylib, else of the output path (ld64's `installPath()`, which lld-19
 * follows); the exec segment is `__TEXT`'s file range, flagged
 * `CS_EXECSEG_MAIN_BINARY` in an executable. `emit.ts` reserves the bytes
 * with `size`, writes LC_CODE_SIGNATURE from `off`/`size`, and calls
 * `sign` after everything else, the UUID included, is written.
 */
import { basename } from "node:path";
import type { LinkContext } from "@tsld/core";
import {
  CODE_SIGNATURE_ALIGN,
  CS_EXECSEG_MAIN_BINARY,
  CS_PAGE_SIZE,
  type CodeSignatureInput,
  codeSignatureSize,
  writeCodeSignature,
} from "@tsld/macho-format";
import { isDylibLike } from "@tsld/layout";

export interface SignaturePlan {
  /** File offset of the SuperBlob (16-aligned) = bytes it covers. */
  off: number;
  /** SuperBlob bytes (LC_CODE_SIGNATURE's datasize). */
  size: number;
  input: CodeSignatureInput;
}

/** Plans the signature placed at the first 16-aligned offset at or after `end` (the last blob's end). */
export function planSignature(ctx: LinkContext, end: number): SignaturePlan {
  const off = Math.ceil(end / CODE_SIGNATURE_ALIGN) * CODE_SIGNATURE_ALIGN;
  const o = ctx.options;
  const dylib = isDylibLike(ctx) && !o.bundle;
  const identifier = basename(dylib && o.installName ? o.installName : o.output);
  const text = ctx.segments.find((s) => s.name === "__TEXT")!;
  const input: CodeSignatureInput = {
    identifier,
    codeLimit: off,
    execSegBase: text.fileoff,
    execSegLimit: text.filesize,
    execSegFlags: isDylibLike(ctx) ? 0 : CS_EXECSEG_MAIN_BINARY,
    pageSize: CS_PAGE_SIZE,
  };
  return { off, size: codeSignatureSize(identifier, off, CS_PAGE_SIZE), input };
}

/** Hashes every page before the signature and writes it: the last write to `image`. */
export function sign(image: Uint8Array, plan: SignaturePlan): void {
  writeCodeSignature(image, plan.off, plan.input);
}
