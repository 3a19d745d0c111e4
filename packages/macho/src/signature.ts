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
 * `CS_EXECSEG_MAIN_BINARY` in an executable. Like lld's
 * `CodeSignatureSection`, its size depends on where it starts (one hash per
 * 4 KiB page before it), so `size()` is read after `off` is set; `writeTo`
 * only reserves the bytes, and `sign` hashes and writes it after everything
 * else, the UUID included, is written.
 */
import { basename } from "node:path";
import type { LinkContext, LinkEditChunk } from "@tsld/core";
import {
  CODE_SIGNATURE_ALIGN,
  CS_EXECSEG_MAIN_BINARY,
  CS_PAGE_SIZE,
  codeSignatureSize,
  writeCodeSignature,
} from "@tsld/macho-format";
import { isDylibLike } from "@tsld/layout";
import { hashPagesParallel } from "./hash.js";

export class CodeSignatureSection implements LinkEditChunk {
  readonly align = CODE_SIGNATURE_ALIGN;
  /** File offset of the SuperBlob = the bytes it covers. */
  off = 0;
  private readonly identifier: string;
  private readonly ctx: LinkContext;
  constructor(ctx: LinkContext) {
    this.ctx = ctx;
    const o = ctx.options;
    const dylib = isDylibLike(ctx) && !o.bundle;
    this.identifier = basename(dylib && o.installName ? o.installName : o.output);
  }
  size(): number {
    return codeSignatureSize(this.identifier, this.off, CS_PAGE_SIZE);
  }
  /** The bytes stay zero until `sign`: the page hashes need every other byte first. */
  writeTo(): void {}
  /** Hashes every page before the signature and writes it: the last write to `image`. */
  sign(image: Uint8Array): void {
    const ctx = this.ctx;
    const text = ctx.segments.find((s) => s.name === "__TEXT")!;
    writeCodeSignature(image, this.off, {
      identifier: this.identifier,
      codeLimit: this.off,
      execSegBase: text.fileoff,
      execSegLimit: text.filesize,
      execSegFlags: isDylibLike(ctx) ? 0 : CS_EXECSEG_MAIN_BINARY,
      pageSize: CS_PAGE_SIZE,
      hashPages: hashPagesParallel(ctx, image, this.off),
    });
  }
}
