/**
 * Mach-O emission: the image's header, load commands and `__LINKEDIT`
 * (Apple `mach-o/loader.h`), written once into a buffer whose every size and
 * offset is known first (lld's `getSize`/`writeTo`), then saved through a
 * temporary file renamed into place.
 *
 * `__LINKEDIT` is laid out in the order cctools' `checkout.c` requires (and
 * lld follows): dyld info (rebase, bind, weak bind, lazy bind, export trie),
 * function starts, data in code, symbol table, indirect symbol table, string
 * table; each blob 8-byte aligned (the indirect table 4). The load commands
 * are the ones layout planned (their sizes placed `__text`); each written
 * command is checked against its planned size. `LC_UUID` is a hash of the
 * finished bytes, so the same inputs give the same file.
 */
import { createHash } from "node:crypto";
import { chmodSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { type LinkContext, SymFlag, SymKind } from "@tsld/core";
import {
  EXPORT_SYMBOL_FLAGS_KIND_ABSOLUTE,
  EXPORT_SYMBOL_FLAGS_KIND_THREAD_LOCAL,
  EXPORT_SYMBOL_FLAGS_WEAK_DEFINITION,
  LC_BUILD_VERSION,
  LC_DATA_IN_CODE,
  LC_DYLD_INFO_ONLY,
  LC_DYSYMTAB,
  LC_FUNCTION_STARTS,
  LC_ID_DYLIB,
  LC_LOAD_DYLIB,
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
  buildExportTrie,
  encodeBind,
  encodeLazyBind,
  encodeWeakBind,
  encodeRebase,
  isZerofill,
  sectionType,
  writeULEB128,
  ulebSize,
  type BindEntry,
  type ExportEntry,
  type RebaseEntry,
} from "@tsld/macho-format";
import {
  type Bind,
  bindAtLoad,
  dynamicFixups,
  flatNamespace,
  isDylibLike,
  needsRebase,
  writeSections,
} from "@tsld/layout";
import { planSymtab, writeSymtab } from "./symtab.js";

interface Blob {
  off: number;
  size: number;
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

export function writeMachO(ctx: LinkContext): void {
  using _t = ctx.timer.start("writeMachO");
  const image = buildImage(ctx);
  ctx.diag.checkpoint();
  saveAtomically(ctx.options.output, image);
}

/** Builds the whole output file in memory. */
export function buildImage(ctx: LinkContext): Uint8Array {
  const _T = ctx.syms;
  const fix = dynamicFixups(ctx);
  const segIndexOf = segmentLocator(ctx);
  // --- sizes first ---
  const rebase = encodeRebase(fix.rebases.length ? Array.from(fix.rebases, (a) => segIndexOf(a)) : []);
  const toBind = (b: Bind): BindEntry => {
    const { segIndex, segOffset } = segIndexOf(b.address);
    return {
      segIndex,
      segOffset,
      ordinal: b.ordinal,
      symbol: symbolName(ctx, b.sym),
      flags: b.weakImport ? 1 : 0,
      addend: b.addend,
    };
  };
  const bind = encodeBind(fix.binds.map(toBind));
  const lazy = encodeLazyBind(fix.lazyBinds.map(toBind));
  const weak = encodeWeakBind(
    fix.weakBinds.map((b) => {
      const { segIndex, segOffset } = segIndexOf(b.address);
      return { segIndex, segOffset, symbol: symbolName(ctx, b.sym), flags: 0, addend: b.addend };
    }),
  );
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
  const bRebase = blob(rebase.length);
  const bBind = blob(bind.length);
  const bWeak = blob(weak.length);
  const bLazy = blob(lazy.bytes.length);
  const bExport = blob(trie.length);
  const bStarts = blob(starts.length);
  const bDice = blob(0);
  const bSymtab = blob(symtab.syms.length * 16);
  const bIndirect = blob(symtab.indirect.length * 4, 4);
  const bStr = blob(symtab.strtab.length);
  const fileSize = align(cur, 8);
  le.filesize = fileSize - le.fileoff;
  le.vmsize = align(Math.max(le.filesize, 1), ctx.arch.pageSize);

  // --- then bytes ---
  const out = new Uint8Array(fileSize);
  const dv = new DataView(out.buffer);
  writeSections(ctx, out, lazy.offsets);
  // __DWARF sections: bytes the dwarf stage built, at the file offsets it set.
  for (const [id, bytes] of ctx.debugData) out.set(bytes, ctx.outSections[id]!.fileOff);
  out.set(rebase, bRebase.off);
  out.set(bind, bBind.off);
  out.set(weak, bWeak.off);
  out.set(lazy.bytes, bLazy.off);
  out.set(trie, bExport.off);
  out.set(starts, bStarts.off);
  writeSymtab(ctx, symtab, dv, bSymtab.off);
  symtab.indirect.forEach((v, i) => dv.setUint32(bIndirect.off + i * 4, v, true));
  out.set(symtab.strtab, bStr.off);

  // header and load commands
  const cmds = ctx.loadCommands;
  const sizeofcmds = cmds.reduce((n, c) => n + c.size, 0);
  dv.setUint32(0, MH_MAGIC_64, true);
  dv.setUint32(4, ctx.arch.cputype, true);
  dv.setUint32(8, ctx.arch.cpusubtype, true);
  dv.setUint32(12, fileType(ctx), true);
  dv.setUint32(16, cmds.length, true);
  dv.setUint32(20, sizeofcmds, true);
  dv.setUint32(24, headerFlags(ctx, fix.binds.length + fix.lazyBinds.length > 0, fix.weakBinds.length > 0), true);
  dv.setUint32(28, 0, true);
  let off = 32;
  let uuidOff = -1;
  const enc = new TextEncoder();
  const str = (at: number, s: string): void => {
    out.set(enc.encode(s), at);
  };
  for (const c of cmds) {
    dv.setUint32(off, c.cmd, true);
    dv.setUint32(off + 4, c.size, true);
    const p = off + 8;
    switch (c.cmd) {
      case LC_SEGMENT_64: {
        const seg = ctx.segments[c.index!]!;
        str(p, seg.name);
        dv.setBigUint64(p + 16, BigInt(seg.vmaddr), true);
        dv.setBigUint64(p + 24, BigInt(seg.vmsize), true);
        dv.setBigUint64(p + 32, BigInt(seg.fileoff), true);
        dv.setBigUint64(p + 40, BigInt(seg.filesize), true);
        dv.setUint32(p + 48, seg.maxprot, true);
        dv.setUint32(p + 52, seg.initprot, true);
        dv.setUint32(p + 56, seg.sections.length, true);
        dv.setUint32(p + 60, seg.flags, true);
        seg.sections.forEach((id, k) => {
          const o = ctx.outSections[id]!;
          const s = off + 72 + k * 80;
          str(s, o.sectname);
          str(s + 16, o.segname);
          dv.setBigUint64(s + 32, BigInt(o.addr), true);
          dv.setBigUint64(s + 40, BigInt(o.size), true);
          dv.setUint32(s + 48, isZerofill(o.flags) ? 0 : o.fileOff, true);
          dv.setUint32(s + 52, o.align, true);
          dv.setUint32(s + 64, o.flags, true);
          dv.setUint32(s + 68, o.reserved1, true);
          dv.setUint32(s + 72, o.reserved2, true);
        });
        break;
      }
      case LC_DYLD_INFO_ONLY: {
        const put = (at: number, b: Blob): void => {
          dv.setUint32(at, b.size ? b.off : 0, true);
          dv.setUint32(at + 4, b.size, true);
        };
        put(p, bRebase);
        put(p + 8, bBind);
        put(p + 16, bWeak);
        put(p + 24, bLazy);
        put(p + 32, bExport);
        break;
      }
      case LC_FUNCTION_STARTS:
        dv.setUint32(p, bStarts.off, true);
        dv.setUint32(p + 4, bStarts.size, true);
        break;
      case LC_DATA_IN_CODE:
        dv.setUint32(p, bDice.off, true);
        dv.setUint32(p + 4, 0, true);
        break;
      case LC_SYMTAB:
        dv.setUint32(p, bSymtab.off, true);
        dv.setUint32(p + 4, symtab.syms.length, true);
        dv.setUint32(p + 8, bStr.off, true);
        dv.setUint32(p + 12, symtab.strtab.length, true);
        break;
      case LC_DYSYMTAB: {
        const v = [
          0,
          symtab.nlocal,
          symtab.nlocal,
          symtab.nextdef,
          symtab.nlocal + symtab.nextdef,
          symtab.nundef,
          0,
          0,
          0,
          0,
          0,
          0,
        ];
        v.forEach((x, i) => dv.setUint32(p + i * 4, x, true));
        dv.setUint32(p + 48, symtab.indirect.length ? bIndirect.off : 0, true);
        dv.setUint32(p + 52, symtab.indirect.length, true);
        break;
      }
      case LC_LOAD_DYLINKER:
      case LC_RPATH:
        dv.setUint32(p, 12, true);
        str(off + 12, c.text!);
        break;
      case LC_MAIN:
        dv.setBigUint64(p, BigInt(entryAddress(ctx) - ctx.synth.imageBase), true);
        dv.setBigUint64(p + 8, 0n, true);
        break;
      case LC_ID_DYLIB:
      case LC_LOAD_DYLIB: {
        const d = c.cmd === LC_LOAD_DYLIB ? ctx.file(c.index!).dylib! : undefined;
        dv.setUint32(p, 24, true);
        dv.setUint32(p + 4, 2, true);
        dv.setUint32(p + 8, d ? d.currentVersion : ctx.options.currentVersion, true);
        dv.setUint32(p + 12, d ? d.compatibilityVersion : ctx.options.compatibilityVersion, true);
        str(off + 24, c.text!);
        break;
      }
      case LC_SOURCE_VERSION:
        dv.setBigUint64(p, 0n, true);
        break;
      case LC_BUILD_VERSION: {
        const pv = platformVersion(ctx);
        dv.setUint32(p, 1, true); // PLATFORM_MACOS
        dv.setUint32(p + 4, pv.minos, true);
        dv.setUint32(p + 8, pv.sdk, true);
        dv.setUint32(p + 12, 1, true);
        dv.setUint32(p + 16, 3, true); // TOOL_LD
        dv.setUint32(p + 20, 0, true);
        break;
      }
      case LC_UUID:
        uuidOff = p;
        break;
      default:
        ctx.diag.error(`internal error: no writer for load command 0x${c.cmd.toString(16)}`);
    }
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
  return out;
}

function entryAddress(ctx: LinkContext): number {
  if (!ctx.entry) return ctx.synth.imageBase;
  const T = ctx.syms;
  const a = ctx.atoms.foldedInto[T.atom[ctx.entry]!]!;
  return ctx.atoms.address[a]! + T.value[ctx.entry]!;
}

function fileType(ctx: LinkContext): number {
  if (!isDylibLike(ctx)) return MH_EXECUTE;
  return ctx.options.bundle ? MH_BUNDLE : MH_DYLIB;
}

function headerFlags(ctx: LinkContext, hasBinds: boolean, bindsToWeak = false): number {
  let f = MH_DYLDLINK;
  // Symbols left undefined for flat lookup at load time (-undefined
  // dynamic_lookup, a plugin's markers under -no_plugin_markers) clear NOUNDEFS.
  let flatUndef = false;
  for (const s of ctx.syms.globals()) if (ctx.syms.has(s, SymFlag.FlatImport)) flatUndef = true;
  if (!ctx.options.undefinedDynamicLookup && !flatUndef) f |= MH_NOUNDEFS;
  if (!flatNamespace(ctx)) f |= MH_TWOLEVEL;
  if (!isDylibLike(ctx) && needsRebase(ctx)) f |= MH_PIE;
  if (isDylibLike(ctx)) f |= MH_NO_REEXPORTED_DYLIBS;
  if (bindAtLoad(ctx)) f |= MH_BINDATLOAD;
  if (ctx.exports.some((s) => ctx.syms.has(s, SymFlag.WeakDef))) f |= MH_WEAK_DEFINES;
  if (bindsToWeak) f |= MH_BINDS_TO_WEAK;
  if (ctx.outSections.some((o) => sectionType(o.flags) === S_THREAD_LOCAL_VARIABLES)) f |= MH_HAS_TLV_DESCRIPTORS;
  void hasBinds;
  return f;
}

function platformVersion(ctx: LinkContext): { minos: number; sdk: number } {
  const o = ctx.options;
  if (o.minOS) return { minos: o.minOS, sdk: o.sdk || o.minOS };
  for (const f of ctx.files) {
    const p = f.object?.platform;
    if (p && p.platform === 1) return { minos: p.minos, sdk: p.sdk || p.minos };
  }
  return { minos: 0x0b0000, sdk: 0x0b0000 };
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
  const n = ctx.syms.name(s);
  const goName = !n.startsWith("_") && n.includes(".");
  return goName && ctx.dynlinking ? `_${n}` : n;
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

/** Writes `bytes` to a temporary file beside `path`, then renames it into place. */
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
