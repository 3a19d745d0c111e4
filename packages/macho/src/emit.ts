/**
 * Mach-O emission: the image is a list of chunks that size and write
 * themselves (lld's `getSize`/`writeTo`): the mach header (`header.ts`), the
 * load commands layout created (`@tsld/layout`'s `load-commands.ts`), the
 * sections (atoms, synthetic sections, `__DWARF`) and the `__LINKEDIT` blobs.
 * `planLinkedit` creates the blobs, places each once and allocates the
 * file; the write passes then fill it; `saveImage` writes it through a
 * temporary file renamed into place.
 *
 * `__LINKEDIT` is laid out in the order cctools' `checkout.c` requires (and
 * lld follows, `LINKEDIT_ORDER`): chained fixups or the dyld-info streams
 * (rebase, bind, weak bind, lazy bind; `dyld-info.ts`, `chained-fixups.ts`),
 * export trie, function starts and data in code (`function-starts.ts`),
 * symbol, indirect symbol and string tables (`symtab.ts`), and with
 * `-adhoc_codesign` the code signature (`signature.ts`); each blob at its
 * own alignment (8; the indirect table 4, the signature 16). `LC_UUID` is a
 * hash of the finished bytes (the signature's still zero, so the UUID does
 * not depend on the output's name), so the same inputs give the same file;
 * the signature's page hashes come last. Relocation and copy, the UUID hash
 * and the page hashes run in items over the link's worker threads
 * (`ctx.workers`, `hash.ts`), into one output buffer in shared memory.
 */
import { chmodSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { LINKEDIT_ORDER, type LinkContext, type LinkEditChunk, osErrorText } from "@tsld/core";
import { BIND_SPECIAL_DYLIB_WEAK_LOOKUP, LC_UUID, MACH_HEADER_64_SIZE } from "@tsld/macho-format";
import { chainedFixups, nonWeakDefinitions, writeSections } from "@tsld/layout";
import { ChainedFixupsSection } from "./chained-fixups.js";
import {
  BindSection,
  ExportSection,
  LazyBindSection,
  RebaseSection,
  WeakBindSection,
  splitFixups,
} from "./dyld-info.js";
import { DataInCodeSection, FunctionStartsSection } from "./function-starts.js";
import { imageUuid } from "./hash.js";
import { MachHeader } from "./header.js";
import { CodeSignatureSection } from "./signature.js";
import { IndirectSymtabSection, StringTableSection, SymbolTableSection, planSymtab } from "./symtab.js";

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/** The largest image tsld builds in memory (Node's hash and write limits sit near here). */
const MAX_IMAGE = 0x7fffffff;

/**
 * The image being written: the output buffer (the whole file), the mach
 * header and the placed `__LINKEDIT` blobs in file order. `planLinkedit`
 * makes it; the write passes fill it; `saveImage` writes it out.
 */
export interface Image {
  out: Uint8Array;
  header: MachHeader;
  /** `__LINKEDIT` blobs in file order, each at its `off`. */
  linkedit: LinkEditChunk[];
  /** The blobs other write passes use: lazy-bind offsets (stub helper), chains (slots), the signature (last). */
  lazyBind?: LazyBindSection;
  chainedFixups?: ChainedFixupsSection;
  codeSignature?: CodeSignatureSection;
}

/** Builds the whole output file in memory (every write pass in order). */
export function buildImage(ctx: LinkContext): Uint8Array {
  const img = planLinkedit(ctx);
  if (img.out.length === 0) return img.out;
  writeContents(ctx, img);
  writeLinkedit(ctx, img);
  writeHeader(ctx, img);
  signImage(ctx, img);
  return img.out;
}

/**
 * The whole Mach-O stage in one call, for those who use `@tsld/macho` on its
 * own: `buildImage`, then `saveImage` (`apps/tsld/src/link.ts` runs the same
 * passes one by one under their own timers). Errors go to `ctx.diag`.
 */
export function writeMachO(ctx: LinkContext): void {
  const img = planLinkedit(ctx);
  ctx.diag.checkpoint();
  if (img.out.length === 0) return;
  writeContents(ctx, img);
  writeLinkedit(ctx, img);
  writeHeader(ctx, img);
  signImage(ctx, img);
  ctx.diag.checkpoint();
  saveImage(ctx, img);
  ctx.diag.checkpoint();
}

/** Writes the finished image through a temporary file renamed into place. */
export function saveImage(ctx: LinkContext, img: Image): void {
  try {
    saveAtomically(ctx.options.output, img.out);
  } catch (e) {
    ctx.diag.error(`cannot write ${ctx.options.output}: ${osErrorText(e)}`);
  }
}

/**
 * Creates every `__LINKEDIT` blob into `ctx.linkedit` (chained fixups or the
 * dyld-info streams, export trie, function starts, data in code, symbol
 * tables, signature), places each in `LINKEDIT_ORDER`, sizes `__LINKEDIT`
 * and allocates the file. An image over 2 GiB is an error (empty `out`).
 */
export function planLinkedit(ctx: LinkContext): Image {
  const L = ctx.linkedit;
  const fx = splitFixups(ctx);
  // Strong definitions overriding a linked dylib's weak one: weak-bind entries without an address.
  const overrides = nonWeakDefinitions(ctx);
  const chains = chainedFixups(ctx) ? new ChainedFixupsSection(ctx, fx.rebases, fx.binds) : undefined;
  const lazyBind = chains ? undefined : new LazyBindSection(fx.lazyBinds);
  L.chainedFixups = chains;
  if (!chains) {
    L.rebase = new RebaseSection(ctx, fx.rebases);
    L.bind = new BindSection(fx.binds);
    L.weakBind = new WeakBindSection(ctx, fx.weakBinds, overrides);
    L.lazyBind = lazyBind;
  }
  const symtab = planSymtab(ctx);
  // The symbol table's external definitions are the exports, sorted by output name: the trie's order.
  const firstExt = symtab.nlocal - symtab.stabs.length;
  const lastExt = firstExt + symtab.nextdef;
  L.exportTrie = new ExportSection(ctx, {
    ids: symtab.syms.slice(firstExt, lastExt),
    names: symtab.names.slice(firstExt, lastExt),
  });
  L.functionStarts = new FunctionStartsSection(ctx);
  L.dataInCode = new DataInCodeSection(ctx);
  L.symtab = new SymbolTableSection(ctx, symtab);
  L.indirectSymtab = new IndirectSymtabSection(symtab);
  L.strtab = new StringTableSection(symtab);
  const codeSignature = ctx.options.adhocCodesign ? new CodeSignatureSection(ctx) : undefined;
  L.codeSignature = codeSignature;

  // Every offset once: each blob at its alignment after the previous one.
  const le = ctx.segments[ctx.segments.length - 1]!;
  const linkedit: LinkEditChunk[] = [];
  let cur = le.fileoff;
  for (const role of LINKEDIT_ORDER) {
    const b = L[role];
    if (!b) continue;
    b.off = align(cur, b.align);
    cur = b.off + b.size();
    linkedit.push(b);
  }
  // With a signature the file ends 16-aligned past it.
  const fileSize = align(cur, L.codeSignature ? L.codeSignature.align : 8);
  const tooBig = fileSize > MAX_IMAGE;
  if (tooBig)
    ctx.diag.error(`the image would be 0x${fileSize.toString(16)} bytes; tsld writes images of at most 2 GiB`);
  le.filesize = fileSize - le.fileoff;
  le.vmsize = align(Math.max(le.filesize, 1), ctx.target.pageSize);
  const bindsToWeak = fx.weakBinds.length > 0 || fx.binds.some((b) => b.ordinal === BIND_SPECIAL_DYLIB_WEAK_LOOKUP);
  return {
    // In shared memory when worker threads will write and hash it.
    out: ctx.workers
      ? new Uint8Array(new SharedArrayBuffer(tooBig ? 0 : fileSize))
      : new Uint8Array(tooBig ? 0 : fileSize),
    header: new MachHeader(ctx, bindsToWeak, overrides.length > 0),
    linkedit,
    lazyBind,
    chainedFixups: chains,
    codeSignature,
  };
}

/** Section contents: atoms copied and relocated, synthetic sections, chained slots, `__DWARF`. */
export function writeContents(ctx: LinkContext, img: Image): void {
  const { out } = img;
  writeSections(ctx, out, img.lazyBind?.offsets ?? []);
  img.chainedFixups?.applyTo(out);
  // __DWARF sections: bytes the dwarf stage built, at the file offsets it set.
  for (const [id, bytes] of ctx.debugData) out.set(bytes, ctx.outSections[id]!.fileOff);
}

/** The `__LINKEDIT` blobs at their planned offsets. */
export function writeLinkedit(_ctx: LinkContext, img: Image): void {
  for (const b of img.linkedit) b.writeTo(img.out, b.off);
}

/** The mach header and the load commands layout created, then LC_UUID from the finished bytes. */
export function writeHeader(ctx: LinkContext, img: Image): void {
  const { out } = img;
  img.header.writeTo(out, 0);
  let off = MACH_HEADER_64_SIZE;
  let uuidOff = -1;
  for (const c of ctx.loadCommands) {
    c.writeTo(out, off);
    if (c.cmd === LC_UUID) uuidOff = off + 8;
    off += c.size();
  }
  // LC_UUID: a hash of the finished image (with the UUID field zero), in chunks over the workers.
  if (uuidOff >= 0) out.set(imageUuid(ctx, out), uuidOff);
}

/** The code signature (-adhoc_codesign): it hashes every byte before it, so it is written last. */
export function signImage(_ctx: LinkContext, img: Image): void {
  img.codeSignature?.sign(img.out);
}

/**
 * Writes `bytes` to a temporary file beside `path`, then renames it into
 * place: a failed write leaves neither a partial output nor the temporary
 * file. Throws the OS error (ENOENT for a missing directory, EISDIR when
 * `path` is a directory, EACCES/EROFS for an unwritable one).
 */
export function saveAtomically(path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.tsld-${process.pid}.tmp`);
  try {
    writeFileSync(tmp, bytes, { mode: 0o755 });
    chmodSync(tmp, 0o755);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
