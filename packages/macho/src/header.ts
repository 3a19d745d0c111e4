/**
 * The mach header (Apple `mach-o/loader.h`, `mach_header_64`) as a chunk:
 * magic, CPU, file type (MH_EXECUTE, MH_DYLIB, MH_BUNDLE), the load
 * commands' count and total size, and the flags dyld reads:
 *
 * - MH_DYLDLINK always; MH_NOUNDEFS unless a symbol is left for flat lookup
 *   at load time (`-undefined dynamic_lookup`, `-U`, a plugin's markers);
 * - MH_TWOLEVEL unless flat namespace; MH_PIE for a slidable executable;
 *   MH_NO_REEXPORTED_DYLIBS for a dylib; MH_BINDATLOAD with `-bind_at_load`;
 * - MH_WEAK_DEFINES / MH_BINDS_TO_WEAK as ld64 and lld set them (an
 *   exported weak definition sets both; a strong definition overriding a
 *   dylib's weak one sets the first, a weak bind the second);
 * - MH_HAS_TLV_DESCRIPTORS when `__thread_vars` exists.
 */
import { type Chunk, type LinkContext, SymFlag } from "@tsld/core";
import {
  MACH_HEADER_64_SIZE,
  MH_BINDATLOAD,
  MH_BINDS_TO_WEAK,
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
  S_THREAD_LOCAL_VARIABLES,
  sectionType,
  writeMachHeader,
} from "@tsld/macho-format";
import { bindAtLoad, flatNamespace, isDylibLike, needsRebase } from "@tsld/layout";

export class MachHeader implements Chunk {
  private readonly ctx: LinkContext;
  private readonly bindsToWeak: boolean;
  private readonly overridesWeak: boolean;
  /** `bindsToWeak`: the image has weak binds; `overridesWeak`: it overrides a linked dylib's weak definition. */
  constructor(ctx: LinkContext, bindsToWeak: boolean, overridesWeak: boolean) {
    this.ctx = ctx;
    this.bindsToWeak = bindsToWeak;
    this.overridesWeak = overridesWeak;
  }
  size(): number {
    return MACH_HEADER_64_SIZE;
  }
  writeTo(buf: Uint8Array, off: number): void {
    const ctx = this.ctx;
    const cmds = ctx.loadCommands;
    writeMachHeader(new DataView(buf.buffer, buf.byteOffset, buf.byteLength), off, {
      magic: MH_MAGIC_64,
      cputype: ctx.target.cputype,
      cpusubtype: ctx.target.cpusubtype,
      filetype: fileType(ctx),
      ncmds: cmds.length,
      sizeofcmds: cmds.reduce((n, c) => n + c.size(), 0),
      flags: this.flags(),
    });
  }

  private flags(): number {
    const ctx = this.ctx;
    let f = MH_DYLDLINK;
    let flatUndef = false;
    for (const s of ctx.syms.globals()) if (ctx.syms.has(s, SymFlag.FlatImport)) flatUndef = true;
    if (!flatUndef) f |= MH_NOUNDEFS;
    if (!flatNamespace(ctx)) f |= MH_TWOLEVEL;
    if (!isDylibLike(ctx) && needsRebase(ctx)) f |= MH_PIE;
    if (isDylibLike(ctx)) f |= MH_NO_REEXPORTED_DYLIBS;
    if (bindAtLoad(ctx)) f |= MH_BINDATLOAD;
    const weakExports = ctx.exports.some((s) => ctx.syms.has(s, SymFlag.WeakDef));
    if (weakExports || this.overridesWeak) f |= MH_WEAK_DEFINES;
    if (weakExports || this.bindsToWeak) f |= MH_BINDS_TO_WEAK;
    if (ctx.outSections.some((o) => sectionType(o.flags) === S_THREAD_LOCAL_VARIABLES)) f |= MH_HAS_TLV_DESCRIPTORS;
    return f;
  }
}

function fileType(ctx: LinkContext): number {
  if (!isDylibLike(ctx)) return MH_EXECUTE;
  return ctx.options.bundle ? MH_BUNDLE : MH_DYLIB;
}
