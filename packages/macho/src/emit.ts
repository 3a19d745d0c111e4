/**
 * Mach-O emission: the image's header, load commands and `__LINKEDIT`
 * (Apple `mach-o/loader.h`), written once into a buffer whose every size and
 * offset is known first (lld's `getSize`/`writeTo`), then saved through a
 * temporary file renamed into place.
 *
 * `__LINKEDIT` is laid out in the order cctools' `checkout.c` requires (and
 * lld follows): dyld info (rebase, bind, weak bind, lazy bind, export trie),
 * function starts, data in code, symbol table, indirect symbol table, string
 * table, and with `-adhoc_codesign` the code signature; each blob 8-byte
 * aligned (the indirect table 4, the signature 16). The load commands
 * are the ones layout planned (their sizes placed `__text`); each written
 * command is checked against its planned size. `LC_UUID` is a hash of the
 * finished bytes (the signature's still zero, so the UUID does not depend on
 * the output's name), so the same inputs give the same file; the signature's
 * page hashes come last (`signature.ts`).
 */
import { createHash } from "node:crypto";
import { chmodSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { FixupKind, type LinkContext, SymFlag, SymKind, osErrorText } from "@tsld/core";
import {
  EXPORT_SYMBOL_FLAGS_KIND_ABSOLUTE,
  EXPORT_SYMBOL_FLAGS_KIND_THREAD_LOCAL,
  EXPORT_SYMBOL_FLAGS_WEAK_DEFINITION,
  LC_BUILD_VERSION,
  LC_CODE_SIGNATURE,
  LC_DATA_IN_CODE,
  LC_DYLD_CHAINED_FIXUPS,
  LC_DYLD_EXPORTS_TRIE,
  LC_DYLD_INFO_ONLY,
  LC_DYSYMTAB,
  LC_FUNCTION_STARTS,
  LC_ID_DYLIB,
  LC_LOAD_DYLIB,
  LC_LOAD_WEAK_DYLIB,
  LC_ROUTINES_64,
  LC_REEXPORT_DYLIB,
  LC_LOAD_DYLINKER,
  LC_MAIN,
  LC_RPATH,
  LC_SEGMENT_64,
  LC_SOURCE_VERSION,
  LC_SYMTAB,
  LC_UUID,
  MH_BINDATLOAD,
  MH_BUNDLE,
  MH_DYLDLINK,
  MH_DYLIB,
  MH_EXECUTE,
  MH_HAS_TLV_DESCRIPTORS,
  MH_MAGIC_64,
  MH_NOUNDEFS,
  MH_NO_REEXPORTED_DYLIBS,
  MH_PIE,
  MH_TWOLEVEL,
  MH_WEAK_DEFINES,
  MH_BINDS_TO_WEAK,
  S_ATTR_PURE_INSTRUCTIONS,
  S_THREAD_LOCAL_VARIABLES,
  BIND_SPECIAL_DYLIB_WEAK_LOOKUP,
  type ChainedFixupsInput,
  DYLD_CHAINED_PTR_64_OFFSET,
  applyChainedFixups,
  buildExportTrie,
  encodeChainedFixups,
  encodeBind,
  encodeLazyBind,
  encodeWeakBind,
  encodeRebaseAddresses,
  isZerofill,
  sectionType,
  writeULEB128,
  ulebSize,
  type BindEntry,
  type ExportEntry,
  PLATFORM_MACOS,
  type RebaseEntry,
  type Segment64,
  TOOL_LD,
  writeBuildVersion,
  writeDyldInfoCommand,
  writeDylibCommand,
  writeDylinkerCommand,
  writeDysymtabCommand,
  writeEntryPoint,
  writeLinkeditDataCommand,
  writeMachHeader,
  writeRpathCommand,
  writeSegment64,
  writeSourceVersion,
  writeSymtabCommand,
  writeUuidCommand,
} from "@tsld/macho-format";
import {
  bindAtLoad,
  chainedFixups,
  flatNamespace,
  isDylibLike,
  needsRebase,
  nonWeakDefinitions,
  platformVersion,
  writeSections,
} from "@tsld/layout";
import { planSignature, sign } from "./signature.js";
import { outputName, planSymtab, writeSymtab } from "./symtab.js";

interface Blob {
  off: number;
  size: number;
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/** The largest image tsld builds in memory (Node's hash and write limits sit near here). */
const MAX_IMAGE = 0x7fffffff;

/**
 * The image being written: the encoded `__LINKEDIT` blobs and where each
 * goes, and the output buffer. `planLinkedit` makes it; the write passes
 * fill it; `saveImage` writes it out.
 */
export type Image = ReturnType<typeof planLinkedit>;

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
 * Encodes every `__LINKEDIT` blob (fixups, export trie, function starts,
 * symbol tables), places them, sizes `__LINKEDIT` and allocates the file.
 */
export function planLinkedit(ctx: LinkContext) {
  const segIndexOf = segmentLocator(ctx);
  // --- sizes first ---
  const F = ctx.fixups;
  const rebases: number[] = [];
  const binds: BindEntry[] = [];
  const lazyBinds: BindEntry[] = [];
  const weakBinds: BindEntry[] = [];
  for (let i = 0; i < F.count; i++) {
    const k = F.kind[i]!;
    if (k === FixupKind.None) continue;
    if (k === FixupKind.Rebase) {
      rebases.push(F.address[i]!);
      continue;
    }
    const { segIndex, segOffset } = segIndexOf(F.address[i]!);
    const e: BindEntry = {
      segIndex,
      segOffset,
      ordinal: F.ordinal[i]!,
      symbol: symbolName(ctx, F.sym[i]!),
      flags: F.weakImport[i]!,
      addend: F.addend[i]!,
    };
    if (k === FixupKind.Bind) binds.push(e);
    else if (k === FixupKind.LazyBind) lazyBinds.push(e);
    else weakBinds.push({ ...e, flags: 0 });
  }
  const chained = chainedFixups(ctx);
  const chains = chained ? planChains(ctx, rebases, binds) : undefined;
  const chainBytes = chains ? encodeOrReport(ctx, chains) : new Uint8Array(0);
  const rebase = chained ? new Uint8Array(0) : encodeRebaseAddresses(Float64Array.from(rebases).sort(), ctx.segments);
  const bind = chained ? new Uint8Array(0) : encodeBind(binds);
  const lazy = encodeLazyBind(lazyBinds);
  // Strong definitions overriding a linked dylib's weak one: weak-bind entries without an address.
  const overrides = nonWeakDefinitions(ctx);
  const weak = encodeWeakBind(weakBinds, chained ? [] : overrides.map((s) => symbolName(ctx, s)));
  const trie = buildExportTrie(exportEntries(ctx));
  const starts = functionStarts(ctx);
  const symtab = planSymtab(ctx);

  const le = ctx.segments[ctx.segments.length - 1]!;
  let cur = le.fileoff;
  const blob = (size: number, a = 8): Blob => {
    cur = align(cur, a);
    const b = { off: cur, size };
    cur += size;
    return b;
  };
  const bChained = blob(chainBytes.length);
  const bRebase = blob(rebase.length);
  const bBind = blob(bind.length);
  const bWeak = blob(weak.length);
  const bLazy = blob(lazy.bytes.length);
  const bExport = blob(trie.length);
  const bStarts = blob(starts.length);
  const bDice = blob(0);
  const bSymtab = blob(symtab.nsyms * 16);
  const bIndirect = blob(symtab.indirect.length * 4, 4);
  const bStr = blob(symtab.strtab.length);
  // -adhoc_codesign: the signature is the last blob, 16-aligned, and so is the file's end.
  const sig = ctx.options.adhocCodesign ? planSignature(ctx, cur) : undefined;
  if (sig) cur = sig.off + sig.size;
  const fileSize = align(cur, sig ? 16 : 8);
  const tooBig = fileSize > MAX_IMAGE;
  if (tooBig)
    ctx.diag.error(`the image would be 0x${fileSize.toString(16)} bytes; tsld writes images of at most 2 GiB`);
  le.filesize = fileSize - le.fileoff;
  le.vmsize = align(Math.max(le.filesize, 1), ctx.target.pageSize);
  const out = new Uint8Array(tooBig ? 0 : fileSize);
  const dv = new DataView(out.buffer);
  return {
    out,
    dv,
    chains,
    chainBytes,
    rebase,
    bind,
    weak,
    lazy,
    trie,
    starts,
    symtab,
    binds,
    weakBinds,
    bChained,
    bRebase,
    bBind,
    bWeak,
    bLazy,
    bExport,
    bStarts,
    bDice,
    bSymtab,
    bIndirect,
    bStr,
    sig,
    overrides,
  };
}

/** Section contents: atoms copied and relocated, synthetic sections, chained slots, `__DWARF`. */
export function writeContents(ctx: LinkContext, img: Image): void {
  const { out, chains, chainBytes, lazy, bChained } = img;
  writeSections(ctx, out, lazy.offsets);
  if (chains) {
    out.set(chainBytes, bChained.off);
    applyChains(ctx, out, chains);
  }
  // __DWARF sections: bytes the dwarf stage built, at the file offsets it set.
  for (const [id, bytes] of ctx.debugData) out.set(bytes, ctx.outSections[id]!.fileOff);
}

/** The `__LINKEDIT` blobs at their planned offsets. */
export function writeLinkedit(ctx: LinkContext, img: Image): void {
  const { out, dv, rebase, bind, weak, lazy, trie, starts, symtab } = img;
  const { bRebase, bBind, bWeak, bLazy, bExport, bStarts, bSymtab, bIndirect, bStr } = img;
  out.set(rebase, bRebase.off);
  out.set(bind, bBind.off);
  out.set(weak, bWeak.off);
  out.set(lazy.bytes, bLazy.off);
  out.set(trie, bExport.off);
  out.set(starts, bStarts.off);
  writeSymtab(ctx, symtab, dv, bSymtab.off);
  symtab.indirect.forEach((v, i) => dv.setUint32(bIndirect.off + i * 4, v, true));
  out.set(symtab.strtab, bStr.off);
}

/** The mach header and the load commands layout planned, then LC_UUID from the finished bytes. */
export function writeHeader(ctx: LinkContext, img: Image): void {
  const { out, dv, symtab, binds, weakBinds, sig, overrides } = img;
  const { bChained, bRebase, bBind, bWeak, bLazy, bExport, bStarts, bDice, bSymtab, bIndirect, bStr } = img;
  // header and load commands, in the order layout planned them
  const cmds = ctx.loadCommands;
  const sizeofcmds = cmds.reduce((n, c) => n + c.size, 0);
  const flags = headerFlags(
    ctx,
    weakBinds.length > 0 || binds.some((b) => b.ordinal === BIND_SPECIAL_DYLIB_WEAK_LOOKUP),
    overrides.length > 0,
  );
  writeMachHeader(dv, 0, {
    magic: MH_MAGIC_64,
    cputype: ctx.target.cputype,
    cpusubtype: ctx.target.cpusubtype,
    filetype: fileType(ctx),
    ncmds: cmds.length,
    sizeofcmds,
    flags,
  });
  const range = (b: Blob) => ({ off: b.size ? b.off : 0, size: b.size });
  let off = 32;
  let uuidOff = -1;
  for (const c of cmds) {
    let end: number;
    switch (c.cmd) {
      case LC_SEGMENT_64:
        end = writeSegment64(dv, off, segmentHeader(ctx, c.index!));
        break;
      case LC_DYLD_CHAINED_FIXUPS:
        end = writeLinkeditDataCommand(dv, off, c.cmd, bChained.off, bChained.size);
        break;
      case LC_DYLD_EXPORTS_TRIE:
        end = writeLinkeditDataCommand(dv, off, c.cmd, bExport.size ? bExport.off : 0, bExport.size);
        break;
      case LC_DYLD_INFO_ONLY: {
        const [r, b, w, l, e] = [bRebase, bBind, bWeak, bLazy, bExport].map(range) as [
          ReturnType<typeof range>,
          ReturnType<typeof range>,
          ReturnType<typeof range>,
          ReturnType<typeof range>,
          ReturnType<typeof range>,
        ];
        end = writeDyldInfoCommand(dv, off, LC_DYLD_INFO_ONLY, {
          rebaseOff: r.off,
          rebaseSize: r.size,
          bindOff: b.off,
          bindSize: b.size,
          weakBindOff: w.off,
          weakBindSize: w.size,
          lazyBindOff: l.off,
          lazyBindSize: l.size,
          exportOff: e.off,
          exportSize: e.size,
        });
        break;
      }
      case LC_FUNCTION_STARTS:
        end = writeLinkeditDataCommand(dv, off, c.cmd, bStarts.off, bStarts.size);
        break;
      case LC_DATA_IN_CODE:
        end = writeLinkeditDataCommand(dv, off, c.cmd, bDice.off, 0);
        break;
      case LC_SYMTAB:
        end = writeSymtabCommand(dv, off, {
          symoff: bSymtab.off,
          nsyms: symtab.nsyms,
          stroff: bStr.off,
          strsize: symtab.strtab.length,
        });
        break;
      case LC_DYSYMTAB:
        end = writeDysymtabCommand(dv, off, {
          ilocalsym: 0,
          nlocalsym: symtab.nlocal,
          iextdefsym: symtab.nlocal,
          nextdefsym: symtab.nextdef,
          iundefsym: symtab.nlocal + symtab.nextdef,
          nundefsym: symtab.nundef,
          tocoff: 0,
          ntoc: 0,
          modtaboff: 0,
          nmodtab: 0,
          extrefsymoff: 0,
          nextrefsyms: 0,
          indirectsymoff: symtab.indirect.length ? bIndirect.off : 0,
          nindirectsyms: symtab.indirect.length,
          extreloff: 0,
          nextrel: 0,
          locreloff: 0,
          nlocrel: 0,
        });
        break;
      case LC_LOAD_DYLINKER:
        end = writeDylinkerCommand(dv, off, c.cmd, c.text!);
        break;
      case LC_RPATH:
        end = writeRpathCommand(dv, off, c.text!);
        break;
      case LC_MAIN:
        end = writeEntryPoint(dv, off, entryAddress(ctx) - ctx.synth.imageBase, ctx.options.stackSize);
        break;
      case LC_ROUTINES_64: {
        // struct routines_command_64: cmd, cmdsize, init_address, init_module, reserved1..6.
        dv.setUint32(off, LC_ROUTINES_64, true);
        dv.setUint32(off + 4, 72, true);
        dv.setBigUint64(off + 8, BigInt(initAddress(ctx)), true);
        for (let q = off + 16; q < off + 72; q += 8) dv.setBigUint64(q, 0n, true);
        end = off + 72;
        break;
      }
      case LC_ID_DYLIB:
        end = writeDylibCommand(dv, off, c.cmd, c.text!, ctx.options.currentVersion, ctx.options.compatibilityVersion);
        break;
      case LC_LOAD_DYLIB:
      case LC_LOAD_WEAK_DYLIB:
      case LC_REEXPORT_DYLIB: {
        const d = ctx.file(c.index!).dylib!;
        end = writeDylibCommand(dv, off, c.cmd, c.text!, d.currentVersion, d.compatibilityVersion);
        break;
      }
      case LC_SOURCE_VERSION:
        end = writeSourceVersion(dv, off, 0);
        break;
      case LC_BUILD_VERSION: {
        const pv = platformVersion(ctx);
        end = writeBuildVersion(dv, off, {
          platform: PLATFORM_MACOS,
          minos: pv.minos,
          sdk: pv.sdk,
          tools: [{ tool: TOOL_LD, version: 0 }],
        });
        break;
      }
      case LC_CODE_SIGNATURE:
        end = writeLinkeditDataCommand(dv, off, c.cmd, sig!.off, sig!.size);
        break;
      case LC_UUID:
        uuidOff = off + 8;
        end = writeUuidCommand(dv, off, new Uint8Array(16));
        break;
      default:
        ctx.diag.error(`internal error: no writer for load command 0x${c.cmd.toString(16)}`);
        end = off + c.size;
    }
    if (end - off !== c.size)
      ctx.diag.error(`internal error: load command 0x${c.cmd.toString(16)} is ${end - off} bytes, planned ${c.size}`);
    off += c.size;
  }
  // LC_UUID: a hash of the finished image (with the UUID field zero).
  if (uuidOff >= 0) {
    const h = createHash("sha256").update(out).digest();
    const u = h.subarray(0, 16);
    u[6] = (u[6]! & 0x0f) | 0x30;
    u[8] = (u[8]! & 0x3f) | 0x80;
    out.set(u, uuidOff);
  }
}

/** The code signature (-adhoc_codesign): it hashes every byte before it, so it is written last. */
export function signImage(_ctx: LinkContext, img: Image): void {
  if (img.sig) sign(img.out, img.sig);
}

/** The segment's command record, as macho-format's writer takes it. */
function segmentHeader(ctx: LinkContext, index: number): Segment64 {
  const seg = ctx.segments[index]!;
  return {
    segname: seg.name,
    vmaddr: seg.vmaddr,
    vmsize: seg.vmsize,
    fileoff: seg.fileoff,
    filesize: seg.filesize,
    maxprot: seg.maxprot,
    initprot: seg.initprot,
    nsects: seg.sections.length,
    flags: seg.flags,
    sections: seg.sections.map((id, k) => {
      const o = ctx.outSections[id]!;
      return {
        sectname: o.sectname,
        segname: o.segname,
        addr: o.addr,
        size: o.size,
        offset: isZerofill(o.flags) ? 0 : o.fileOff,
        align: o.align,
        reloff: 0,
        nreloc: 0,
        flags: o.flags,
        reserved1: o.reserved1,
        reserved2: o.reserved2,
        reserved3: 0,
        index: k + 1,
      };
    }),
  };
}

function entryAddress(ctx: LinkContext): number {
  if (!ctx.entry) return ctx.synth.imageBase;
  const T = ctx.syms;
  const a = ctx.atoms.foldedInto[T.atom[ctx.entry]!]!;
  return ctx.atoms.address[a]! + T.value[ctx.entry]!;
}

/** The address of the `-init` function, which must be defined in this image. */
function initAddress(ctx: LinkContext): number {
  const T = ctx.syms;
  const name = ctx.options.initFunction!;
  const s = T.lookup(name);
  if (s === 0 || T.kind[s] !== SymKind.Defined) {
    ctx.diag.error(`-init ${name}: not defined in this image`);
    return 0;
  }
  return ctx.atoms.address[ctx.atoms.foldedInto[T.atom[s]!]!]! + T.value[s]!;
}

function fileType(ctx: LinkContext): number {
  if (!isDylibLike(ctx)) return MH_EXECUTE;
  return ctx.options.bundle ? MH_BUNDLE : MH_DYLIB;
}

function headerFlags(ctx: LinkContext, bindsToWeak: boolean, overridesWeak: boolean): number {
  let f = MH_DYLDLINK;
  // Symbols left undefined for flat lookup at load time (-undefined
  // dynamic_lookup, a plugin's markers under -no_plugin_markers) clear NOUNDEFS.
  let flatUndef = false;
  for (const s of ctx.syms.globals()) if (ctx.syms.has(s, SymFlag.FlatImport)) flatUndef = true;
  if (!flatUndef) f |= MH_NOUNDEFS;
  if (!flatNamespace(ctx)) f |= MH_TWOLEVEL;
  if (!isDylibLike(ctx) && needsRebase(ctx)) f |= MH_PIE;
  if (isDylibLike(ctx)) f |= MH_NO_REEXPORTED_DYLIBS;
  if (bindAtLoad(ctx)) f |= MH_BINDATLOAD;
  // As ld64 and lld: an image exporting a weak definition both defines and binds to weak symbols.
  const weakExports = ctx.exports.some((s) => ctx.syms.has(s, SymFlag.WeakDef));
  if (weakExports || overridesWeak) f |= MH_WEAK_DEFINES;
  if (weakExports || bindsToWeak) f |= MH_BINDS_TO_WEAK;
  if (ctx.outSections.some((o) => sectionType(o.flags) === S_THREAD_LOCAL_VARIABLES)) f |= MH_HAS_TLV_DESCRIPTORS;
  return f;
}

/**
 * The chained-fixup plan (Apple `mach-o/fixup-chains.h`,
 * DYLD_CHAINED_PTR_64_OFFSET): every bind names an import, deduplicated by
 * (ordinal, name, weak, outline addend); an addend of 0..255 rides inline in
 * the slot, any other goes into the import (DYLD_CHAINED_IMPORT_ADDEND or
 * _ADDEND64), as lld does. Rebase targets are read from the written slots.
 */
function planChains(ctx: LinkContext, rebases: readonly number[], binds: readonly BindEntry[]): ChainedFixupsInput {
  const segIndexOf = segmentLocator(ctx);
  const imports: ChainedFixupsInput["imports"][number][] = [];
  const importIndex = new Map<string, number>();
  const chainBinds: { segIndex: number; segOffset: number; importIndex: number; addend: number }[] = [];
  const sorted = [...binds].sort((a, b) => a.segIndex - b.segIndex || a.segOffset - b.segOffset);
  for (const b of sorted) {
    const outline = b.addend < 0 || b.addend > 0xff ? b.addend : 0;
    const key = `${b.ordinal}\0${b.flags}\0${outline}\0${b.symbol}`;
    let k = importIndex.get(key);
    if (k === undefined) {
      k = imports.push({ libOrdinal: b.ordinal, weakImport: b.flags !== 0, name: b.symbol, addend: outline }) - 1;
      importIndex.set(key, k);
    }
    chainBinds.push({ segIndex: b.segIndex, segOffset: b.segOffset, importIndex: k, addend: b.addend - outline });
  }
  return {
    pointerFormat: DYLD_CHAINED_PTR_64_OFFSET,
    pageSize: ctx.target.pageSize,
    imageBase: ctx.synth.imageBase,
    segments: ctx.segments,
    imports,
    rebases: [...rebases].sort((a, b) => a - b).map((addr) => ({ ...segIndexOf(addr), target: 0 })),
    binds: chainBinds,
  };
}

/** The LC_DYLD_CHAINED_FIXUPS payload; a slot chains cannot hold (misaligned, overlapping) is an error. */
function encodeOrReport(ctx: LinkContext, input: ChainedFixupsInput): Uint8Array {
  try {
    return encodeChainedFixups(input);
  } catch (e) {
    ctx.diag.error(`chained fixups: ${(e as Error).message} (link with -no_fixup_chains)`);
    return new Uint8Array(0);
  }
}

/** Rewrites every fixup slot of the written image as a chain entry (rebase targets: the slot's address less the image base). */
function applyChains(ctx: LinkContext, out: Uint8Array, input: ChainedFixupsInput): void {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const base = ctx.synth.imageBase;
  const rebases = input.rebases.map((r) => {
    const seg = ctx.segments[r.segIndex]!;
    const target = Number(dv.getBigUint64(seg.fileoff + r.segOffset, true)) - base;
    return { ...r, target };
  });
  try {
    applyChainedFixups(out, { ...input, rebases });
  } catch (e) {
    ctx.diag.error(`chained fixups: ${(e as Error).message} (link with -no_fixup_chains)`);
  }
}

/** Maps a VM address to (segment index, offset in segment) for dyld opcodes. */
function segmentLocator(ctx: LinkContext): (addr: number) => RebaseEntry {
  const segs = ctx.segments;
  return (addr: number) => {
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      if (addr >= s.vmaddr && addr < s.vmaddr + s.vmsize) return { segIndex: i, segOffset: addr - s.vmaddr };
    }
    throw new Error(`internal error: address 0x${addr.toString(16)} is in no segment`);
  };
}

/** The name dyld looks up for an import (or exported symbol), in output spelling. */
function symbolName(ctx: LinkContext, s: number): string {
  return outputName(ctx.syms.name(s), ctx.dynlinking, false);
}

function exportEntries(ctx: LinkContext): ExportEntry[] {
  const T = ctx.syms;
  const base = ctx.synth.imageBase;
  return ctx.exports.map((s) => {
    let flags = 0;
    let address: number;
    if (T.kind[s] === SymKind.Absolute) {
      flags = EXPORT_SYMBOL_FLAGS_KIND_ABSOLUTE;
      address = T.value[s]!;
    } else if (T.kind[s] === SymKind.Synthetic) address = T.address[s]! - base;
    else {
      const a = ctx.atoms.foldedInto[T.atom[s]!]!;
      address = ctx.atoms.address[a]! + T.value[s]! - base;
      if (sectionType(ctx.outSections[ctx.atoms.out[a]!]!.flags) === S_THREAD_LOCAL_VARIABLES) {
        flags = EXPORT_SYMBOL_FLAGS_KIND_THREAD_LOCAL;
      }
    }
    if (T.has(s, SymFlag.WeakDef)) flags |= EXPORT_SYMBOL_FLAGS_WEAK_DEFINITION;
    return { name: symbolName(ctx, s), flags, address };
  });
}

/** LC_FUNCTION_STARTS: ULEB deltas between function starts in executable sections. */
function functionStarts(ctx: LinkContext): Uint8Array {
  const addrs: number[] = [];
  for (const o of ctx.outSections) {
    if (!(o.flags & S_ATTR_PURE_INSTRUCTIONS) || o.synthetic !== "none") continue;
    for (const a of o.atoms) if (ctx.atoms.symbol[a]! > 0) addrs.push(ctx.atoms.address[a]!);
  }
  addrs.sort((a, b) => a - b);
  const text = ctx.segments.find((s) => s.name === "__TEXT")!;
  let prev = text.vmaddr;
  let size = 0;
  const deltas: number[] = [];
  for (const a of addrs) {
    if (a === prev && deltas.length > 0) continue;
    deltas.push(a - prev);
    size += ulebSize(a - prev);
    prev = a;
  }
  if (deltas.length === 0) return new Uint8Array(0);
  const out = new Uint8Array(align(size + 1, 8));
  let o = 0;
  for (const d of deltas) o = writeULEB128(out, o, d);
  return out;
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
