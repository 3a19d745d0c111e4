/**
 * The object-loading stage: every input (objects, archives, TBDs, dylibs,
 * `-l` libraries, the default libSystem) read into one symbol table, with
 * archive members pulled on demand and what remains undefined resolved
 * against dylibs. Ends with the checks ld64 makes here: undefined symbols
 * (every one, with every file that references it) and the entry point.
 */
import {
  AtomFlag,
  type DylibLoadKind,
  type FileId,
  type InputFile,
  type LinkContext,
  type LinkOptions,
  RelocFlag,
  SymFlag,
  SymKind,
  type ItemValues,
  parallelValues,
  fileName,
  osErrorText,
  readFileShared,
} from "@tsld/core";
import {
  FAT_MAGIC,
  FAT_MAGIC_64,
  type FatArch,
  LC_SEGMENT_64,
  MH_MAGIC_64,
  N_EXT,
  N_STAB,
  N_TYPE,
  N_UNDF,
  nlistType,
  nlistValue,
  forEachLoadCommand,
  readFatHeader,
  readMachHeader,
  readSegment64,
} from "@tsld/macho-format";
import { chooseArch, cpuArchName } from "./arch.js";
import { isArchive, parseArchive } from "./archive.js";
import {
  builtinFrameworkStubPath,
  builtinLibraryPath,
  builtinStubText,
  isLibSystemName,
  readBuiltinStub,
} from "./builtin-sdk.js";
import { dylibInfo, readDylib } from "./dylib.js";
import { LiteralPool } from "./literals.js";
import { loadObject } from "./object.js";
import { type ParsedObject, decodesDebugRelocs, isDebugSection, parseTask } from "./parse.js";
import { Resolver, StrongRef } from "./resolve.js";
import { findFramework, findLibrary } from "./search.js";
import { type TbdLibrary, parseTbd } from "./tbd.js";
import { decideScope, hasWildcard } from "./scope.js";
import { isGoMarker, isLinkerDefined } from "./synthetic.js";

/**
 * The name diagnostics give tsld's built-in libSystem stub. Its text is
 * embedded in the module (`builtinStubTbds.libSystem`), so it survives bundling;
 * nothing is read from disk under this name.
 */
export const builtinLibSystemPath = builtinLibraryPath("System")!;

/**
 * The path diagnostics give the built-in stub for `-framework NAME`
 * (CoreFoundation, Security, IOKit: see builtin-sdk.ts), or undefined when
 * there is none. `-framework NAME` falls back to it when no -F directory or
 * SDK has the framework, as -lSystem falls back to the built-in libSystem.
 */
export function builtinFrameworkPath(name: string): string | undefined {
  return builtinFrameworkStubPath(name);
}

export function loadObjects(ctx: LinkContext): void {
  const o = ctx.options;
  // The arch: -arch, else the first input object's (its TBD slices and fat slices follow it).
  chooseArch(ctx);
  const res = new Resolver(ctx);
  const pool = new LiteralPool(ctx);

  // A literal -exported_symbol is a reference: it loads the archive member defining it.
  for (const name of o.exportedSymbols) if (!hasWildcard(name)) res.reference(ctx.syms.intern(name), false);
  const kinds = o.dylibLoadKinds;
  const early = readInputs(ctx);
  for (const path of o.inputs) addFile(ctx, res, pool, path, false, kinds[path], early);
  early?.finish();
  for (const lib of o.libs) {
    const p =
      findLibrary(lib, o.libPaths, o.syslibroot, o.searchDylibsFirst) ??
      // On macOS libc, libm, libpthread, libdl, … are symlinks to libSystem beside it.
      (isLibSystemName(lib) ? findLibrary("System", o.libPaths, o.syslibroot, o.searchDylibsFirst) : undefined) ??
      (o.builtinLibSystem ? builtinLibraryPath(lib) : undefined);
    if (!p) ctx.diag.error(`library not found for -l${lib}`);
    else if (!loaded(ctx, p)) addFile(ctx, res, pool, p, false, kinds[`-l${lib}`]);
  }
  for (const fw of o.frameworks) {
    const p =
      findFramework(fw, o.frameworkPaths, o.syslibroot) ??
      (o.builtinLibSystem ? builtinFrameworkStubPath(fw) : undefined);
    if (p && loaded(ctx, p)) continue;
    if (p) addFile(ctx, res, pool, p, false, kinds[`-framework ${fw}`]);
    else ctx.diag.error(`framework not found for -framework ${fw}`);
  }
  for (const sc of o.sectCreate) addSectCreate(ctx, sc);
  if (o.bundleLoader) addFile(ctx, res, pool, o.bundleLoader, true);
  if (o.linkLibSystem && !o.relocatable && o.buildmode !== "c-archive" && !o.libs.includes("System")) {
    const p = findLibrary("System", o.libPaths, o.syslibroot, o.searchDylibsFirst);
    if (p) {
      if (!loaded(ctx, p)) addFile(ctx, res, pool, p, false);
    } else if (o.builtinLibSystem) {
      if (!loaded(ctx, builtinLibSystemPath)) addFile(ctx, res, pool, builtinLibSystemPath, false);
    } else ctx.diag.error("library not found for -lSystem (and the built-in libSystem is disabled)");
  }
  // -u names and -alias targets are referenced: archive members defining them are pulled.
  for (const n of o.forceUndefined) res.reference(ctx.syms.intern(n), false);
  for (const { target } of o.aliases) res.reference(ctx.syms.intern(target), false);
  if (o.initFunction) res.reference(ctx.syms.intern(o.initFunction), false);
  drainArchives(ctx, res, pool);
  if (o.relocatable) {
    // -r: archive members pulled as in a link; everything else (libraries,
    // linker-defined symbols, scope, the undefined check) is the final link's.
    const open = ctx.syms.lookup("plugin.Open");
    ctx.canUsePlugins = o.canUsePlugins || (open !== 0 && ctx.syms.kind[open] === SymKind.Defined);
    ctx.diag.checkpoint();
    return;
  }
  autoLink(ctx, res, pool);
  ctx.diag.checkpoint();

  // The linker's own reference: lazy stubs bind through dyld_stub_binder. An ordinary
  // (not weak) import, as ld64 and lld bind it; layout reports it if no library has it.
  if (o.linkLibSystem) ctx.syms.intern("dyld_stub_binder");
  // An executable always defines and exports its header symbol (programs and dyld's APIs use it).
  if (o.buildmode === "exe" || o.buildmode === "pie") ctx.syms.intern("__mh_execute_header");
  resolveAliases(ctx, res);
  commandLineAliases(ctx);
  // Go's CanUsePlugins: the program links package plugin (defines plugin.Open).
  const po = ctx.syms.lookup("plugin.Open");
  ctx.canUsePlugins = o.canUsePlugins || (po !== 0 && ctx.syms.kind[po] === SymKind.Defined);
  resolveFromDylibs(ctx);
  markWeakOverrides(ctx);
  defineLinkerSymbols(ctx);
  // Each global definition exported or private extern (can-be-hidden, export lists).
  decideScope(ctx);
  const entry = o.buildmode === "exe" || o.buildmode === "pie" ? o.entry : "";
  if (entry) {
    const e = ctx.syms.lookup(entry);
    if (e === 0 || ctx.syms.kind[e] === SymKind.Undefined)
      ctx.diag.error(`undefined symbol: ${entry} (the entry point)`);
    else ctx.entry = e;
  }
  reportUndefined(ctx);
}

/** Whether `path` is already an input (a library named twice is loaded once). */
function loaded(ctx: LinkContext, path: string): boolean {
  return ctx.files.some((f) => f.path === path && f.member === undefined);
}

/** Command-line inputs read (or failed) up front, the objects among them parsing over the workers. */
class EarlyInputs {
  readonly read = new Map<string, { data: Uint8Array } | { error: unknown }>();
  /** Object path → its item in `parsed` (taken once). */
  readonly items = new Map<string, number>();
  parsed: ItemValues<ParsedObject> | undefined;

  /** The parse of object `path`, if it was started here (once per path). */
  take(path: string): ParsedObject | undefined {
    const i = this.items.get(path);
    if (i === undefined || !this.parsed) return undefined;
    this.items.delete(path);
    return this.parsed.get(i);
  }

  finish(): void {
    this.parsed?.finish();
  }
}

/**
 * With worker threads: every command-line input read now, and the thin
 * Mach-O objects among them parsed over the workers (parse.ts) while
 * `addFile` merges them in command-line order. Without workers nothing is
 * read ahead: each object is parsed as it is added.
 */
function readInputs(ctx: LinkContext): EarlyInputs | undefined {
  if (!ctx.workers) return undefined;
  const early = new EarlyInputs();
  const objects: string[] = [];
  const data: Uint8Array[] = [];
  for (const path of ctx.options.inputs) {
    if (early.read.has(path) || builtinStubText(path) !== undefined) continue;
    try {
      const d = readFileShared(path);
      early.read.set(path, { data: d });
      if (d.length >= 32) {
        const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
        if (v.getUint32(0, true) === MH_MAGIC_64 && v.getUint32(12, true) === 1) {
          early.items.set(path, objects.length);
          objects.push(path);
          data.push(d);
        }
      }
    } catch (error) {
      early.read.set(path, { error });
    }
  }
  // Room for every relocation row at once (no copy per doubling of the columns): at most one per entry.
  let nreloc = 0;
  const debugRelocs = decodesDebugRelocs(ctx.options);
  for (const d of data) nreloc += relocationEntries(d, debugRelocs);
  ctx.relocs.reserve(nreloc);
  early.parsed = parseWave(ctx, objects, data);
  return early;
}

/** How many relocation rows object `d`'s sections will decode (0 if its load commands cannot be read). */
function relocationEntries(d: Uint8Array, debugRelocs: boolean): number {
  let n = 0;
  try {
    forEachLoadCommand(d, readMachHeader(d), (cmd, off) => {
      if (cmd === LC_SEGMENT_64)
        for (const s of readSegment64(d, off).sections) if (debugRelocs || !isDebugSection(s)) n += s.nreloc;
    });
  } catch {
    return 0;
  }
  return n;
}

/** Objects `data` (named `display`) parsing over the link's workers; `get(i)` waits for one. */
function parseWave(ctx: LinkContext, display: string[], data: Uint8Array[]): ItemValues<ParsedObject> {
  const o = ctx.options;
  const setup = { data, display, debugRelocs: decodesDebugRelocs(o) };
  return parallelValues(ctx.workers, ctx.timer, parseTask, setup, data.length, (i) => display[i]!);
}

function addFile(
  ctx: LinkContext,
  res: Resolver,
  pool: LiteralPool,
  path: string,
  bundleLoader: boolean,
  loadKind?: DylibLoadKind,
  early?: EarlyInputs,
): void {
  if (ctx.options.trace) ctx.info(path);
  // The built-in SDK's stubs are embedded in the module (they survive bundling).
  const builtin = builtinStubText(path);
  if (builtin !== undefined) {
    try {
      const id = addDylib(ctx, path, readBuiltinStub(builtin, ctx.options.arch), new TextEncoder().encode(builtin));
      if (loadKind && loadKind !== "normal") ctx.file(id).dylib!.loadKind = loadKind;
    } catch (e) {
      ctx.diag.error(`${path}: ${(e as Error).message}`);
    }
    return;
  }
  let data: Uint8Array;
  const got = early?.read.get(path);
  try {
    if (got && "error" in got) throw got.error;
    data = got ? got.data : readFileShared(path);
  } catch (e) {
    ctx.diag.error(`cannot open ${path}: ${osErrorText(e)}`);
    return;
  }
  const word = (d: Uint8Array, off: number, le: boolean): number =>
    d.length >= off + 4 ? new DataView(d.buffer, d.byteOffset + off, 4).getUint32(0, le) : 0;
  if (word(data, 0, false) === FAT_MAGIC || word(data, 0, false) === FAT_MAGIC_64) {
    let slices: FatArch[];
    try {
      slices = readFatHeader(data) ?? [];
    } catch (e) {
      ctx.diag.error(`${path}: ${(e as Error).message}`);
      return;
    }
    // The slice for the link's arch.
    const x = slices.find((a) => a.cputype === ctx.target.cputype);
    if (!x) {
      const has = slices.map((a) => cpuArchName(a.cputype)).join(", ");
      ctx.diag.error(`${path}: fat file has no ${ctx.target.name} slice (it has ${has})`);
      return;
    }
    data = data.subarray(x.offset, x.offset + x.size);
  }
  if (isArchive(data)) {
    if (loadKind) ctx.diag.error(`${path}: is an archive, not a dylib (it cannot be loaded ${loadKind})`);
    addArchive(ctx, res, pool, path, data);
    return;
  }
  const head = new TextDecoder("latin1").decode(data.subarray(0, Math.min(64, data.length))).trimStart();
  if (head.startsWith("---") || head.startsWith("{")) {
    addTbd(ctx, path, data, loadKind);
    return;
  }
  const magic = word(data, 0, true);
  if (magic !== MH_MAGIC_64) {
    if ((magic & 0xfffffffe) === 0xfeedface) ctx.diag.error(`${path}: 32-bit Mach-O files are not supported`);
    else ctx.diag.error(`${path}: unknown file type (not a Mach-O object, archive, TBD or dylib)`);
    return;
  }
  const filetype = word(data, 12, true);
  if (filetype === 1) {
    if (loadKind) ctx.diag.error(`${path}: is an object file, not a dylib (it cannot be loaded ${loadKind})`);
    loadObject(ctx, res, pool, path, undefined, data, early?.take(path));
    return;
  }
  try {
    const id = addDylib(ctx, path, readDylib(data, path, bundleLoader, ctx.target.cputype), data, bundleLoader);
    if (loadKind && loadKind !== "normal") ctx.file(id).dylib!.loadKind = loadKind;
  } catch (e) {
    ctx.diag.error((e as Error).message);
  }
}

function addDylib(ctx: LinkContext, path: string, lib: TbdLibrary, data: Uint8Array, bundleLoader = false): FileId {
  const f: InputFile = {
    id: ctx.files.length,
    path,
    kind: "dylib",
    data,
    view: new DataView(data.buffer, data.byteOffset, data.byteLength),
    dylib: dylibInfo(lib),
  };
  if (bundleLoader) f.dylib!.bundleLoader = true;
  ctx.files.push(f);
  return f.id;
}

function addTbd(ctx: LinkContext, path: string, data: Uint8Array, loadKind?: DylibLoadKind): void {
  let libs: TbdLibrary[];
  try {
    libs = parseTbd(new TextDecoder().decode(data), ctx.options.arch);
  } catch (e) {
    ctx.diag.error(`${path}: ${(e as Error).message}`);
    return;
  }
  const main = libs[0]!;
  const parent = addDylib(ctx, path, main, data);
  if (loadKind && loadKind !== "normal") ctx.file(parent).dylib!.loadKind = loadKind;
  // Inline documents re-exported by the main library bind through it.
  const reexported = new Set(main.reexportedLibraries);
  for (const lib of libs.slice(1)) {
    if (!reexported.has(lib.installName)) continue;
    const id = addDylib(ctx, path, lib, data);
    ctx.file(id).dylib!.parent = parent;
  }
}

function addArchive(ctx: LinkContext, res: Resolver, _pool: LiteralPool, path: string, data: Uint8Array): void {
  let parsed: ReturnType<typeof parseArchive>;
  try {
    parsed = parseArchive(data);
  } catch (e) {
    ctx.diag.error(`${path}: ${(e as Error).message}`);
    return;
  }
  const id = ctx.files.length;
  ctx.files.push({
    id,
    path,
    kind: "archive",
    data,
    view: new DataView(data.buffer, data.byteOffset, data.byteLength),
    members: parsed.members,
  });
  const symbols = parsed.symbols ?? scanMembers(data, parsed.members);
  for (const [name, member] of symbols) res.offer(ctx.syms.intern(name), id, member);
  // -all_load and -force_load: every member; -ObjC: members with Objective-C classes or categories.
  const o = ctx.options;
  const all = o.allLoad || o.forceLoad.includes(path);
  for (let m = 0; m < parsed.members.length; m++) {
    const mem = parsed.members[m]!;
    if (all || (o.objc && definesObjC(data.subarray(mem.offset, mem.offset + mem.size)))) res.pullMember(id, m);
  }
}

/**
 * Whether an archive member is an object with Objective-C classes or
 * categories, which `-ObjC` loads (ld64: a `__objc_classlist` or
 * `__objc_catlist` section, or an `_OBJC_CLASS_$_`/`.objc_class_name_` symbol).
 */
function definesObjC(d: Uint8Array): boolean {
  if (d.length < 32) return false;
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  if (v.getUint32(0, true) !== MH_MAGIC_64 || v.getUint32(12, true) !== 1) return false;
  const ncmds = v.getUint32(16, true);
  const dec = new TextDecoder("latin1");
  const name16 = (o: number): string => dec.decode(d.subarray(o, o + 16)).replace(/\0.*$/s, "");
  let off = 32;
  for (let c = 0; c < ncmds && off + 8 <= d.length; c++) {
    const cmd = v.getUint32(off, true);
    const size = v.getUint32(off + 4, true);
    if (size < 8 || off + size > d.length) return false;
    if (cmd === 0x19) {
      const nsects = v.getUint32(off + 64, true);
      for (let s = 0; s < nsects; s++) {
        const so = off + 72 + s * 80;
        if (so + 80 > d.length) return false;
        const sect = name16(so);
        if (sect === "__objc_classlist" || sect === "__objc_catlist" || sect === "__objc_nlcatlist") return true;
      }
    } else if (cmd === 2) {
      const symoff = v.getUint32(off + 8, true);
      const nsyms = v.getUint32(off + 12, true);
      const stroff = v.getUint32(off + 16, true);
      if (symoff + nsyms * 16 > d.length) return false;
      for (let i = 0; i < nsyms; i++) {
        const t = nlistType(v, symoff, i);
        if (t & N_STAB || !(t & N_EXT) || (t & N_TYPE) === N_UNDF) continue;
        const s = stroff + v.getUint32(symoff + i * 16, true);
        const head = dec.decode(d.subarray(s, Math.min(s + 18, d.length)));
        if (head.startsWith("_OBJC_CLASS_$_") || head.startsWith(".objc_class_name_")) return true;
      }
    }
    off += size;
  }
  return false;
}

/**
 * `-sectcreate SEG SECT FILE`: a section holding the file's bytes, as a
 * one-atom input that dead stripping keeps (ld64 makes it the same way).
 */
function addSectCreate(ctx: LinkContext, sc: LinkOptions["sectCreate"][number]): void {
  let data: Uint8Array;
  try {
    data = readFileShared(sc.file);
  } catch (e) {
    ctx.diag.error(
      `-sectcreate ${sc.segment} ${sc.section}: cannot open ${sc.file}: ${(e as NodeJS.ErrnoException).code ?? e}`,
    );
    return;
  }
  if (sc.segment.length > 16 || sc.section.length > 16) {
    ctx.diag.error(`-sectcreate ${sc.segment} ${sc.section}: segment and section names are at most 16 characters`);
    return;
  }
  const id = ctx.files.length;
  const S = ctx.sections;
  const sid = S.add(id, sc.segment, sc.section);
  S.flags[sid] = 0; // S_REGULAR
  S.align[sid] = 0;
  S.size[sid] = data.length;
  S.dataOff[sid] = 0;
  S.firstAtom[sid] = ctx.atoms.count;
  const a = ctx.atoms.add(sid, id, 0, data.length, 0, AtomFlag.Live | AtomFlag.NoDeadStrip);
  ctx.atoms.relocStart[a] = ctx.atoms.relocEnd[a] = 0;
  S.atomCount[sid] = 1;
  ctx.files.push({
    id,
    path: sc.file,
    kind: "object",
    data,
    view: new DataView(data.buffer, data.byteOffset, data.byteLength),
    object: {
      headerFlags: 0,
      subsectionsViaSymbols: false,
      symoff: 0,
      nsyms: 0,
      stroff: 0,
      strsize: 0,
      syms: new Int32Array(0),
      firstSection: sid,
      sectionCount: 1,
      linkerOptions: [],
    },
  });
}

/** Without a symbol table, an archive's members are read for their defined globals. */
function scanMembers(data: Uint8Array, members: { offset: number; size: number }[]): Map<string, number> {
  const out = new Map<string, number>();
  const dec = new TextDecoder("latin1");
  members.forEach((m, idx) => {
    const d = data.subarray(m.offset, m.offset + m.size);
    if (d.length < 32) return;
    const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
    if (v.getUint32(0, true) !== MH_MAGIC_64 || v.getUint32(12, true) !== 1) return;
    const ncmds = v.getUint32(16, true);
    let off = 32;
    for (let c = 0; c < ncmds && off + 8 <= d.length; c++) {
      const cmd = v.getUint32(off, true);
      const size = v.getUint32(off + 4, true);
      if (cmd === 2 && off + 24 <= d.length) {
        const symoff = v.getUint32(off + 8, true);
        const nsyms = v.getUint32(off + 12, true);
        const stroff = v.getUint32(off + 16, true);
        if (symoff + nsyms * 16 > d.length) return;
        for (let i = 0; i < nsyms; i++) {
          const t = nlistType(v, symoff, i);
          if (t & N_STAB || !(t & N_EXT)) continue;
          if ((t & N_TYPE) === N_UNDF && nlistValue(v, symoff, i) === 0) continue;
          let e = stroff + v.getUint32(symoff + i * 16, true);
          const s = e;
          while (e < d.length && d[e] !== 0) e++;
          const name = dec.decode(d.subarray(s, e));
          if (!out.has(name)) out.set(name, idx);
        }
      }
      if (size < 8) return;
      off += size;
    }
  });
  return out;
}

/**
 * LC_LINKER_OPTION auto-linking, as ld64 does it: `-lNAME` and
 * `-framework NAME` recorded in objects (clang's `#pragma comment(lib)`,
 * module imports) load those libraries after the command line's inputs, if
 * the search paths find them; one that is not found is skipped, as in ld64.
 * Archive members pulled in may carry more options, so this repeats until
 * nothing new is loaded.
 */
function autoLink(ctx: LinkContext, res: Resolver, pool: LiteralPool): void {
  const o = ctx.options;
  const done = new Set<string>([...o.libs.map((l) => `-l${l}`), ...o.frameworks.map((f) => `-framework ${f}`)]);
  let scanned = 0;
  while (scanned < ctx.files.length) {
    const end = ctx.files.length;
    for (; scanned < end; scanned++) {
      for (const opt of ctx.files[scanned]!.object?.linkerOptions ?? []) {
        const key = opt.join(" ");
        if (done.has(key)) continue;
        done.add(key);
        let path: string | undefined;
        // As on the command line, the built-in SDK stands in for a missing SDK.
        if (opt.length === 1 && opt[0]!.startsWith("-l"))
          path =
            findLibrary(opt[0]!.slice(2), o.libPaths, o.syslibroot) ??
            (o.builtinLibSystem ? builtinLibraryPath(opt[0]!.slice(2)) : undefined);
        else if (opt.length === 2 && opt[0] === "-framework")
          path =
            findFramework(opt[1]!, o.frameworkPaths, o.syslibroot) ??
            (o.builtinLibSystem ? builtinFrameworkStubPath(opt[1]!) : undefined);
        if (path && !ctx.files.some((f) => f.path === path)) addFile(ctx, res, pool, path, false);
      }
    }
    drainArchives(ctx, res, pool);
  }
}

/**
 * Loads the queued archive members, first in, first out, in waves: the
 * members queued so far are parsed (over the workers, if any), then merged
 * in queue order, and what they pull is the next wave, which is the order
 * loading them one at a time gives.
 */
function drainArchives(ctx: LinkContext, res: Resolver, pool: LiteralPool): void {
  while (res.pending.length > 0) {
    const members = res.pending.splice(0).map(({ archive, member }) => {
      const a = ctx.file(archive);
      const m = a.members![member]!;
      return { a, m, data: a.data.subarray(m.offset, m.offset + m.size) };
    });
    const parsed = parseWave(
      ctx,
      members.map(({ a, m }) => `${a.path}(${m.name})`),
      members.map((x) => x.data),
    );
    members.forEach(({ a, m, data }, k) => {
      if (ctx.options.trace) ctx.info(`${a.path}(${m.name})`);
      m.loaded = loadObject(ctx, res, pool, a.path, m.name, data, parsed.get(k));
      if (m.loaded >= 0) ctx.file(m.loaded).memberMtime = m.mtime;
    });
    parsed.finish();
  }
}

function resolveAliases(ctx: LinkContext, res: Resolver): void {
  const T = ctx.syms;
  for (const { sym, target, file } of res.aliases) {
    if (T.kind[target] === SymKind.Undefined) {
      ctx.diag.error(`${fileName(ctx.file(file))}: indirect symbol ${T.name(sym)} names undefined ${T.name(target)}`);
      continue;
    }
    T.kind[sym] = T.kind[target]!;
    T.file[sym] = T.file[target]!;
    T.atom[sym] = T.atom[target]!;
    T.value[sym] = T.value[target]!;
  }
}

/**
 * `-alias TARGET ALIAS` (and `-alias_list`): ALIAS becomes a global name for
 * TARGET's definition, as ld64 makes it (an alias of an undefined symbol is
 * an error; an alias that is already defined is a duplicate).
 */
function commandLineAliases(ctx: LinkContext): void {
  const T = ctx.syms;
  for (const { target, alias } of ctx.options.aliases) {
    const t = T.lookup(target);
    if (t === 0 || (T.kind[t] !== SymKind.Defined && T.kind[t] !== SymKind.Absolute)) {
      ctx.diag.error(`-alias ${target} ${alias}: ${target} is not defined by any input object`);
      continue;
    }
    const s = T.intern(alias);
    if (T.kind[s] === SymKind.Defined || T.kind[s] === SymKind.Absolute) {
      ctx.diag.error(`-alias ${target} ${alias}: ${alias} is already defined in ${fileName(ctx.file(T.file[s]!))}`);
      continue;
    }
    T.kind[s] = T.kind[t]!;
    T.file[s] = T.file[t]!;
    T.atom[s] = T.atom[t]!;
    T.value[s] = T.value[t]!;
    T.desc[s] = T.desc[t]!;
    T.clear(s, SymFlag.WeakDef | SymFlag.PrivateExtern);
  }
}

/** Binds what objects and archives left undefined to the first dylib exporting it. */
function resolveFromDylibs(ctx: LinkContext): void {
  const T = ctx.syms;
  const dylibs = ctx.files.filter((f) => f.kind === "dylib");
  for (const s of T.globals()) {
    const k = T.kind[s];
    if (k !== SymKind.Undefined && k !== SymKind.Lazy) continue;
    if (k === SymKind.Lazy && !T.has(s, SymFlag.WeakRef | StrongRef)) continue;
    const name = T.name(s);
    // A module's section markers are its own: never bound to another image.
    if (isGoMarker(name)) continue;
    for (const d of dylibs) {
      const flags = d.dylib!.exports.get(name);
      if (flags === undefined) continue;
      const owner = d.dylib!.parent ?? d.id;
      // Imports from a weakly loaded dylib are weak imports (ld64), bound to 0 when missing.
      if (ctx.file(owner).dylib!.loadKind === "weak" && T.has(s, StrongRef)) {
        T.clear(s, StrongRef);
        T.set(s, SymFlag.WeakRef);
      }
      T.kind[s] = SymKind.Dylib;
      T.file[s] = owner;
      T.clear(s, SymFlag.WeakDef | SymFlag.Tlv);
      if (flags & 4) T.set(s, SymFlag.WeakDef);
      if ((flags & 3) === 1) T.set(s, SymFlag.Tlv);
      ctx.file(owner).dylib!.used = true;
      break;
    }
  }
}

/** Strong definitions of names a linked dylib exports as weak definitions (OverridesWeakDef). */
function markWeakOverrides(ctx: LinkContext): void {
  const T = ctx.syms;
  const dylibs = ctx.files.filter((f) => f.kind === "dylib" && !f.dylib!.bundleLoader);
  // From the dylibs' (few) weak exports to the symbols, not from every definition to every dylib.
  for (const d of dylibs) {
    for (const [name, flags] of d.dylib!.exports) {
      if (!(flags & 4)) continue;
      const s = T.lookup(name);
      if (s !== 0 && T.kind[s] === SymKind.Defined && !T.has(s, SymFlag.WeakDef)) T.set(s, SymFlag.OverridesWeakDef);
    }
  }
}

/**
 * Header symbols, `section$start$…` and Go's section markers: the linker
 * defines them. Except, to reproduce what the seed change fixed, a plugin's
 * markers under `-no_plugin_markers`: those stay undefined and become
 * flat-lookup imports, which dyld resolves to the first loaded image's copy.
 */
function defineLinkerSymbols(ctx: LinkContext): void {
  const T = ctx.syms;
  const flatMarkers = ctx.options.buildmode === "plugin" && !ctx.options.markersAsSymbols;
  for (const s of T.globals()) {
    if (T.kind[s] !== SymKind.Undefined) continue;
    const n = T.name(s);
    if (flatMarkers && isGoMarker(n)) T.set(s, SymFlag.FlatImport);
    else if (isLinkerDefined(n)) T.kind[s] = SymKind.Synthetic;
  }
}

/**
 * Undefined symbols, as ld64 treats them: each one referenced by an object
 * (strongly, or only weakly: a weak reference to nothing is an error too) or
 * by `-exported_symbol` is an error naming its referencing sites, unless
 * `-U` names it or `-undefined` says otherwise (`warning`: a warning;
 * `suppress`, `dynamic_lookup`: silently). Allowed ones become flat-lookup
 * imports (FlatImport), weak imports when only weakly referenced.
 */
function reportUndefined(ctx: LinkContext): void {
  const T = ctx.syms;
  const o = ctx.options;
  const allowed = new Set(o.undefinedAllowed);
  const undef = new Set<number>();
  for (const s of T.globals()) {
    if (T.kind[s] !== SymKind.Undefined || !T.has(s, SymFlag.WeakRef | StrongRef)) continue;
    if (T.has(s, SymFlag.FlatImport)) continue;
    undef.add(s);
  }
  if (undef.size === 0) return;
  const sites = referencingSites(ctx, undef);
  const listed = new Set(o.exportedSymbols);
  const names = [...undef].sort((a, b) => (T.name(a) < T.name(b) ? -1 : T.name(a) > T.name(b) ? 1 : 0));
  for (const s of names) {
    const name = T.name(s);
    const by = sites.get(s) ?? [];
    if (by.length === 0 && listed.has(name)) by.push("-exported_symbol(s_list)");
    // The linker's own weak reference (dyld_stub_binder) is checked where a stub needs it.
    if (by.length === 0 && !T.has(s, StrongRef)) continue;
    if (allowed.has(name) || o.undefinedTreatment !== "error") {
      T.set(s, SymFlag.FlatImport);
      if (o.undefinedTreatment !== "warning" || allowed.has(name)) continue;
    }
    const shown = by.slice(0, 3).map((n) => `\n>>> referenced by ${n}`);
    if (by.length > 3) shown.push(`\n>>> referenced ${by.length - 3} more times`);
    const msg = `undefined symbol: ${name}${shown.join("")}`;
    if (o.undefinedTreatment === "warning") ctx.diag.warn(msg);
    else ctx.diag.error(msg);
  }
}

/**
 * Where each symbol of `syms` is referenced: `file:(symbol _f+0x12)` per
 * relocation naming it (lld's spelling), else `file` for an object that only
 * lists it in its symbol table. Only on the error path.
 */
function referencingSites(ctx: LinkContext, syms: ReadonlySet<number>): Map<number, string[]> {
  const T = ctx.syms;
  const A = ctx.atoms;
  const out = new Map<number, string[]>();
  const add = (s: number, site: string): void => {
    const list = out.get(s);
    if (!list) out.set(s, [site]);
    else if (!list.includes(site)) list.push(site);
  };
  for (let a = 0; a < A.count; a++) {
    if (A.relocStart[a] === A.relocEnd[a] || A.file[a]! < 0) continue;
    const f = ctx.files[A.file[a]!]!;
    const ob = f.object;
    if (!ob) continue;
    const R = ctx.relocs;
    for (let r = A.relocStart[a]!; r < A.relocEnd[a]!; r++) {
      const fl = R.flags[r]!;
      // A pair's subtrahend symbol, then its (or any row's) target symbol.
      for (const s of [fl & RelocFlag.SubExtern ? R.subSym[r]! : 0, fl & RelocFlag.Extern ? R.sym[r]! : 0]) {
        if (s === 0 || !syms.has(s)) continue;
        const at = R.offset[r]! - A.offset[a]!;
        const sym = A.symbol[a]!;
        const where = sym > 0 ? `symbol ${T.name(sym)}` : ctx.sections.name(A.section[a]!);
        add(s, `${fileName(f)}:(${where}+0x${at.toString(16)})`);
      }
    }
  }
  for (const f of ctx.files) {
    const ob = f.object;
    if (!ob) continue;
    const n = fileName(f);
    for (let i = 0; i < ob.nsyms; i++) {
      const s = ob.syms[i]!;
      if (!syms.has(s) || (nlistType(f.view, ob.symoff, i) & N_TYPE) !== N_UNDF) continue;
      if (!(out.get(s) ?? []).some((x) => x.startsWith(`${n}:(`))) add(s, n);
    }
  }
  return out;
}
