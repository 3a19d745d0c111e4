/**
 * The load commands (Apple `mach-o/loader.h`; lld's `LoadCommand`
 * subclasses in `Writer.cpp`): one class per command, each with the size it
 * will take and a `writeTo` that writes it. `planLoadCommands` decides which
 * commands the image carries, in ld64's order, into `ctx.loadCommands`.
 *
 * They live in layout, not in macho, because their total size is a layout
 * input: `__text` starts after the mach header, the load commands and the
 * header padding (`assignAddresses`). Macho writes them (`writeHeader`);
 * the commands that point into `__LINKEDIT` (dyld info, chained fixups,
 * export trie, function starts, data in code, symbol tables, code signature)
 * read their blob's offset and size from `ctx.linkedit` at that time, which
 * macho's `planLinkedit` fills, so no stage imports a later one. Each size
 * is fixed when the command is created (a segment's section count, a path's
 * length), never a literal elsewhere.
 */
import {
  type LinkContext,
  type LinkEdit,
  type LinkEditChunk,
  type LoadCommand,
  SymKind,
  type FileId,
} from "@tsld/core";
import {
  DYLD_INFO_COMMAND_SIZE,
  DYSYMTAB_COMMAND_SIZE,
  ENTRY_POINT_COMMAND_SIZE,
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
  LC_LOAD_DYLINKER,
  LC_LOAD_WEAK_DYLIB,
  LC_MAIN,
  LC_REEXPORT_DYLIB,
  LC_ROUTINES_64,
  LC_RPATH,
  LC_SEGMENT_64,
  LC_SOURCE_VERSION,
  LC_SYMTAB,
  LC_UUID,
  LINKEDIT_DATA_COMMAND_SIZE,
  PLATFORM_MACOS,
  type Segment64,
  SOURCE_VERSION_COMMAND_SIZE,
  SYMTAB_COMMAND_SIZE,
  TOOL_LD,
  UUID_COMMAND_SIZE,
  buildVersionCommandSize,
  dylibCommandSize,
  dylinkerCommandSize,
  isZerofill,
  rpathCommandSize,
  segmentCommandSize,
  writeBuildVersion,
  writeDyldInfoCommand,
  writeDylibCommand,
  writeDylinkerCommand,
  writeDysymtabCommand,
  writeEntryPoint,
  writeLinkeditDataCommand,
  writeRpathCommand,
  writeSegment64,
  writeSourceVersion,
  writeSymtabCommand,
  writeUuidCommand,
} from "@tsld/macho-format";
import { chainedFixups, isDylibLike, platformVersion } from "./dyn.js";

const view = (buf: Uint8Array): DataView => new DataView(buf.buffer, buf.byteOffset, buf.byteLength);

/** A `__LINKEDIT` blob's (offset, size), (0, 0) when the image has none or it is empty. */
function range(b: LinkEditChunk | undefined): { off: number; size: number } {
  const size = b?.size() ?? 0;
  return { off: size > 0 ? b!.off : 0, size };
}

/** LC_SEGMENT_64 and its section_64 headers. */
export class SegmentCommand implements LoadCommand {
  readonly cmd = LC_SEGMENT_64;
  private readonly ctx: LinkContext;
  private readonly index: number;
  constructor(ctx: LinkContext, index: number) {
    this.ctx = ctx;
    this.index = index;
  }
  size(): number {
    return segmentCommandSize(this.ctx.segments[this.index]!.sections.length);
  }
  writeTo(buf: Uint8Array, off: number): void {
    writeSegment64(view(buf), off, segmentHeader(this.ctx, this.index));
  }
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

/** LC_DYLD_INFO_ONLY: the rebase, bind, weak-bind, lazy-bind and export blobs (an empty one is (0, 0)). */
export class DyldInfoCommand implements LoadCommand {
  readonly cmd = LC_DYLD_INFO_ONLY;
  private readonly ctx: LinkContext;
  constructor(ctx: LinkContext) {
    this.ctx = ctx;
  }
  size(): number {
    return DYLD_INFO_COMMAND_SIZE;
  }
  writeTo(buf: Uint8Array, off: number): void {
    const L = this.ctx.linkedit;
    const [r, b, w, l, e] = [L.rebase, L.bind, L.weakBind, L.lazyBind, L.exportTrie].map(range) as [
      ReturnType<typeof range>,
      ReturnType<typeof range>,
      ReturnType<typeof range>,
      ReturnType<typeof range>,
      ReturnType<typeof range>,
    ];
    writeDyldInfoCommand(view(buf), off, LC_DYLD_INFO_ONLY, {
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
  }
}

/**
 * A `linkedit_data_command` pointing at one `__LINKEDIT` blob (chained
 * fixups, export trie, function starts, data in code, code signature).
 * `zeroWhenEmpty`: an empty blob is written as offset 0 (the export trie,
 * as lld); the others keep their offset.
 */
export class LinkEditDataCommand implements LoadCommand {
  private readonly ctx: LinkContext;
  readonly cmd: number;
  private readonly blob: keyof LinkEdit;
  private readonly zeroWhenEmpty: boolean;
  constructor(ctx: LinkContext, cmd: number, blob: keyof LinkEdit, zeroWhenEmpty = false) {
    this.ctx = ctx;
    this.cmd = cmd;
    this.blob = blob;
    this.zeroWhenEmpty = zeroWhenEmpty;
  }
  size(): number {
    return LINKEDIT_DATA_COMMAND_SIZE;
  }
  writeTo(buf: Uint8Array, off: number): void {
    const b = this.ctx.linkedit[this.blob];
    if (!b) throw new Error(`internal error: load command 0x${this.cmd.toString(16)} has no ${this.blob} blob`);
    const size = b.size();
    writeLinkeditDataCommand(view(buf), off, this.cmd, this.zeroWhenEmpty && size === 0 ? 0 : b.off, size);
  }
}

/** LC_SYMTAB: the nlist_64 table and the string table. */
export class SymtabCommand implements LoadCommand {
  readonly cmd = LC_SYMTAB;
  private readonly ctx: LinkContext;
  constructor(ctx: LinkContext) {
    this.ctx = ctx;
  }
  size(): number {
    return SYMTAB_COMMAND_SIZE;
  }
  writeTo(buf: Uint8Array, off: number): void {
    const { symtab, strtab } = this.ctx.linkedit;
    writeSymtabCommand(view(buf), off, {
      symoff: symtab!.off,
      nsyms: symtab!.nsyms,
      stroff: strtab!.off,
      strsize: strtab!.size(),
    });
  }
}

/** LC_DYSYMTAB: the symbol table's partition (locals, external definitions, undefined) and the indirect table. */
export class DysymtabCommand implements LoadCommand {
  readonly cmd = LC_DYSYMTAB;
  private readonly ctx: LinkContext;
  constructor(ctx: LinkContext) {
    this.ctx = ctx;
  }
  size(): number {
    return DYSYMTAB_COMMAND_SIZE;
  }
  writeTo(buf: Uint8Array, off: number): void {
    const { symtab, indirectSymtab } = this.ctx.linkedit;
    const st = symtab!;
    const n = indirectSymtab?.count ?? 0;
    writeDysymtabCommand(view(buf), off, {
      ilocalsym: 0,
      nlocalsym: st.nlocal,
      iextdefsym: st.nlocal,
      nextdefsym: st.nextdef,
      iundefsym: st.nlocal + st.nextdef,
      nundefsym: st.nundef,
      tocoff: 0,
      ntoc: 0,
      modtaboff: 0,
      nmodtab: 0,
      extrefsymoff: 0,
      nextrefsyms: 0,
      indirectsymoff: n > 0 ? indirectSymtab!.off : 0,
      nindirectsyms: n,
      extreloff: 0,
      nextrel: 0,
      locreloff: 0,
      nlocrel: 0,
    });
  }
}

/** LC_LOAD_DYLINKER: the dynamic linker's path. */
export class DylinkerCommand implements LoadCommand {
  readonly cmd = LC_LOAD_DYLINKER;
  readonly path: string;
  constructor(path: string) {
    this.path = path;
  }
  size(): number {
    return dylinkerCommandSize(this.path);
  }
  writeTo(buf: Uint8Array, off: number): void {
    writeDylinkerCommand(view(buf), off, this.cmd, this.path);
  }
}

/** LC_MAIN: the entry point's offset from the mach header, and `-stack_size`. */
export class MainCommand implements LoadCommand {
  readonly cmd = LC_MAIN;
  private readonly ctx: LinkContext;
  constructor(ctx: LinkContext) {
    this.ctx = ctx;
  }
  size(): number {
    return ENTRY_POINT_COMMAND_SIZE;
  }
  writeTo(buf: Uint8Array, off: number): void {
    const ctx = this.ctx;
    writeEntryPoint(view(buf), off, entryAddress(ctx) - ctx.synth.imageBase, ctx.options.stackSize);
  }
}

function entryAddress(ctx: LinkContext): number {
  if (!ctx.entry) return ctx.synth.imageBase;
  const T = ctx.syms;
  const a = ctx.atoms.foldedInto[T.atom[ctx.entry]!]!;
  return ctx.atoms.address[a]! + T.value[ctx.entry]!;
}

/** LC_ID_DYLIB: a dylib's install name and versions. */
export class IdDylibCommand implements LoadCommand {
  readonly cmd = LC_ID_DYLIB;
  private readonly ctx: LinkContext;
  readonly path: string;
  constructor(ctx: LinkContext, path: string) {
    this.ctx = ctx;
    this.path = path;
  }
  size(): number {
    return dylibCommandSize(this.path);
  }
  writeTo(buf: Uint8Array, off: number): void {
    const o = this.ctx.options;
    writeDylibCommand(view(buf), off, this.cmd, this.path, o.currentVersion, o.compatibilityVersion);
  }
}

/** LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB or LC_REEXPORT_DYLIB: a linked dylib (its ordinal is its place among these). */
export class LoadDylibCommand implements LoadCommand {
  readonly cmd: number;
  readonly path: string;
  private readonly ctx: LinkContext;
  private readonly file: FileId;
  constructor(ctx: LinkContext, file: FileId) {
    this.ctx = ctx;
    this.file = file;
    const d = ctx.file(file).dylib!;
    this.cmd =
      d.loadKind === "weak" ? LC_LOAD_WEAK_DYLIB : d.loadKind === "reexport" ? LC_REEXPORT_DYLIB : LC_LOAD_DYLIB;
    this.path = d.installName;
  }
  size(): number {
    return dylibCommandSize(this.path);
  }
  writeTo(buf: Uint8Array, off: number): void {
    const d = this.ctx.file(this.file).dylib!;
    writeDylibCommand(view(buf), off, this.cmd, this.path, d.currentVersion, d.compatibilityVersion);
  }
}

/** LC_ROUTINES_64 (`-init`): the dylib initializer dyld runs before the others, as ld64 writes it. */
export class RoutinesCommand implements LoadCommand {
  readonly cmd = LC_ROUTINES_64;
  private readonly ctx: LinkContext;
  constructor(ctx: LinkContext) {
    this.ctx = ctx;
  }
  size(): number {
    // struct routines_command_64: cmd, cmdsize, init_address, init_module, reserved1..6.
    return 72;
  }
  writeTo(buf: Uint8Array, off: number): void {
    const dv = view(buf);
    dv.setUint32(off, LC_ROUTINES_64, true);
    dv.setUint32(off + 4, 72, true);
    dv.setBigUint64(off + 8, BigInt(initAddress(this.ctx)), true);
    for (let q = off + 16; q < off + 72; q += 8) dv.setBigUint64(q, 0n, true);
  }
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

/** LC_RPATH: one `-rpath` entry. */
export class RpathCommand implements LoadCommand {
  readonly cmd = LC_RPATH;
  readonly path: string;
  constructor(path: string) {
    this.path = path;
  }
  size(): number {
    return rpathCommandSize(this.path);
  }
  writeTo(buf: Uint8Array, off: number): void {
    writeRpathCommand(view(buf), off, this.path);
  }
}

/** LC_SOURCE_VERSION: 0, as ld64 writes it without `-current_version` of sources. */
export class SourceVersionCommand implements LoadCommand {
  readonly cmd = LC_SOURCE_VERSION;
  size(): number {
    return SOURCE_VERSION_COMMAND_SIZE;
  }
  writeTo(buf: Uint8Array, off: number): void {
    writeSourceVersion(view(buf), off, 0);
  }
}

/** LC_BUILD_VERSION: macOS, the deployment target and SDK, one tool (ld). */
export class BuildVersionCommand implements LoadCommand {
  readonly cmd = LC_BUILD_VERSION;
  private readonly ctx: LinkContext;
  constructor(ctx: LinkContext) {
    this.ctx = ctx;
  }
  size(): number {
    return buildVersionCommandSize(1);
  }
  writeTo(buf: Uint8Array, off: number): void {
    const pv = platformVersion(this.ctx);
    writeBuildVersion(view(buf), off, {
      platform: PLATFORM_MACOS,
      minos: pv.minos,
      sdk: pv.sdk,
      tools: [{ tool: TOOL_LD, version: 0 }],
    });
  }
}

/** LC_UUID: written zero here; macho's `writeHeader` then fills it with a hash of the finished image. */
export class UuidCommand implements LoadCommand {
  readonly cmd = LC_UUID;
  size(): number {
    return UUID_COMMAND_SIZE;
  }
  writeTo(buf: Uint8Array, off: number): void {
    writeUuidCommand(view(buf), off, new Uint8Array(16));
  }
}

/** Decides the image's load commands, in ld64's order; their sizes place `__text` (`assignAddresses`). */
export function planLoadCommands(ctx: LinkContext): void {
  const L = ctx.loadCommands;
  const exe = !isDylibLike(ctx);
  ctx.segments.forEach((_, i) => L.push(new SegmentCommand(ctx, i)));
  if (chainedFixups(ctx)) {
    L.push(new LinkEditDataCommand(ctx, LC_DYLD_CHAINED_FIXUPS, "chainedFixups"));
    L.push(new LinkEditDataCommand(ctx, LC_DYLD_EXPORTS_TRIE, "exportTrie", true));
  } else L.push(new DyldInfoCommand(ctx));
  L.push(new LinkEditDataCommand(ctx, LC_FUNCTION_STARTS, "functionStarts"));
  L.push(new LinkEditDataCommand(ctx, LC_DATA_IN_CODE, "dataInCode"));
  L.push(new SymtabCommand(ctx));
  L.push(new DysymtabCommand(ctx));
  if (exe) {
    L.push(new DylinkerCommand("/usr/lib/dyld"));
    L.push(new MainCommand(ctx));
  } else if (!ctx.options.bundle) {
    // MH_BUNDLE has no identity: LC_ID_DYLIB is for MH_DYLIB only.
    L.push(new IdDylibCommand(ctx, ctx.options.installName ?? ctx.options.output));
  }
  if (!exe && ctx.options.initFunction) L.push(new RoutinesCommand(ctx));
  for (const r of ctx.options.rpaths) L.push(new RpathCommand(r));
  L.push(new SourceVersionCommand());
  L.push(new BuildVersionCommand(ctx));
  L.push(new UuidCommand());
  for (const id of ctx.dylibs) L.push(new LoadDylibCommand(ctx, id));
  // The ad-hoc signature's command comes last, as its blob ends __LINKEDIT.
  if (ctx.options.adhocCodesign) L.push(new LinkEditDataCommand(ctx, LC_CODE_SIGNATURE, "codeSignature"));
}
