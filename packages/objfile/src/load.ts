/**
 * The object-loading stage: every input (objects, archives, TBDs, dylibs,
 * `-l` libraries, the default libSystem) read into one symbol table, with
 * archive members pulled on demand and what remains undefined resolved
 * against dylibs. Ends with the checks ld64 makes here: undefined symbols
 * (every one, with every file that references it) and the entry point.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type FileId, type InputFile, type LinkContext, SymFlag, SymKind, fileName } from "@tsld/core";
import {
  FAT_MAGIC,
  MH_MAGIC_64,
  N_EXT,
  N_STAB,
  N_TYPE,
  N_UNDF,
  nlistType,
  nlistValue,
  readFatHeader,
} from "@tsld/macho-format";
import { isArchive, parseArchive } from "./archive.js";
import { dylibInfo, readDylib } from "./dylib.js";
import { LiteralPool } from "./literals.js";
import { loadObject } from "./object.js";
import { Resolver, StrongRef } from "./resolve.js";
import { findFramework, findLibrary } from "./search.js";
import { type TbdLibrary, parseTbd } from "./tbd.js";
import { isGoMarker, isLinkerDefined } from "./synthetic.js";

/** Where tsld's curated libSystem TBD lives (shipped in the package). */
export const builtinLibSystemPath = fileURLToPath(new URL("../data/libSystem.tbd", import.meta.url));

export function loadObjects(ctx: LinkContext): void {
  const o = ctx.options;
  const res = new Resolver(ctx);
  const pool = new LiteralPool(ctx);

  for (const path of o.inputs) addFile(ctx, res, pool, path, false);
  for (const lib of o.libs) {
    const p = findLibrary(lib, o.libPaths, o.syslibroot);
    if (p) addFile(ctx, res, pool, p, false);
    else ctx.diag.error(`library not found for -l${lib}`);
  }
  for (const fw of o.frameworks) {
    const p = findFramework(fw, o.frameworkPaths, o.syslibroot);
    if (p) addFile(ctx, res, pool, p, false);
    else ctx.diag.error(`framework not found for -framework ${fw}`);
  }
  if (o.bundleLoader) addFile(ctx, res, pool, o.bundleLoader, true);
  if (o.linkLibSystem && o.buildmode !== "c-archive" && !o.libs.includes("System")) {
    const p = findLibrary("System", o.libPaths, o.syslibroot);
    if (p) addFile(ctx, res, pool, p, false);
    else if (o.builtinLibSystem) addFile(ctx, res, pool, builtinLibSystemPath, false);
    else ctx.diag.error("library not found for -lSystem (and the built-in libSystem is disabled)");
  }
  drainArchives(ctx, res, pool);
  autoLink(ctx, res, pool);
  ctx.diag.checkpoint();

  // The linker's own reference: lazy stubs bind through dyld_stub_binder.
  if (o.linkLibSystem) ctx.syms.set(ctx.syms.intern("dyld_stub_binder"), SymFlag.WeakRef);
  resolveAliases(ctx, res);
  // Go's CanUsePlugins: the program links package plugin (defines plugin.Open).
  const po = ctx.syms.lookup("plugin.Open");
  ctx.canUsePlugins = o.canUsePlugins || (po !== 0 && ctx.syms.kind[po] === SymKind.Defined);
  resolveFromDylibs(ctx);
  defineLinkerSymbols(ctx);
  const entry = o.buildmode === "exe" || o.buildmode === "pie" ? o.entry : "";
  if (entry) {
    const e = ctx.syms.lookup(entry);
    if (e === 0 || ctx.syms.kind[e] === SymKind.Undefined)
      ctx.diag.error(`undefined symbol: ${entry} (the entry point)`);
    else ctx.entry = e;
  }
  reportUndefined(ctx);
}

function addFile(ctx: LinkContext, res: Resolver, pool: LiteralPool, path: string, bundleLoader: boolean): void {
  let data: Uint8Array;
  try {
    data = readFileSync(path);
  } catch (e) {
    ctx.diag.error(`cannot open ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return;
  }
  const word = (d: Uint8Array, off: number, le: boolean): number =>
    d.length >= off + 4 ? new DataView(d.buffer, d.byteOffset + off, 4).getUint32(0, le) : 0;
  if (word(data, 0, false) === FAT_MAGIC) {
    const x = (readFatHeader(data) ?? []).find((a) => a.cputype === 0x01000007);
    if (!x) {
      ctx.diag.error(`${path}: fat file has no x86_64 slice`);
      return;
    }
    data = data.subarray(x.offset, x.offset + x.size);
  }
  if (isArchive(data)) {
    addArchive(ctx, res, pool, path, data);
    return;
  }
  const head = new TextDecoder("latin1").decode(data.subarray(0, Math.min(64, data.length))).trimStart();
  if (head.startsWith("---") || head.startsWith("{")) {
    addTbd(ctx, path, data);
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
    loadObject(ctx, res, pool, path, undefined, data);
    return;
  }
  try {
    addDylib(ctx, path, readDylib(data, path, bundleLoader), data, bundleLoader);
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

function addTbd(ctx: LinkContext, path: string, data: Uint8Array): void {
  let libs: TbdLibrary[];
  try {
    libs = parseTbd(new TextDecoder().decode(data), ctx.options.arch);
  } catch (e) {
    ctx.diag.error(`${path}: ${(e as Error).message}`);
    return;
  }
  const main = libs[0]!;
  const parent = addDylib(ctx, path, main, data);
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
        if (opt.length === 1 && opt[0]!.startsWith("-l"))
          path = findLibrary(opt[0]!.slice(2), o.libPaths, o.syslibroot);
        else if (opt.length === 2 && opt[0] === "-framework")
          path = findFramework(opt[1]!, o.frameworkPaths, o.syslibroot);
        if (path && !ctx.files.some((f) => f.path === path)) addFile(ctx, res, pool, path, false);
      }
    }
    drainArchives(ctx, res, pool);
  }
}

function drainArchives(ctx: LinkContext, res: Resolver, pool: LiteralPool): void {
  while (res.pending.length > 0) {
    const { archive, member } = res.pending.shift()!;
    const a = ctx.file(archive);
    const m = a.members![member]!;
    const data = a.data.subarray(m.offset, m.offset + m.size);
    m.loaded = loadObject(ctx, res, pool, a.path, m.name, data);
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

/** One error per undefined symbol, naming every file that references it. */
function reportUndefined(ctx: LinkContext): void {
  const T = ctx.syms;
  const undef = new Set<number>();
  for (const s of T.globals()) {
    if (T.kind[s] !== SymKind.Undefined || !T.has(s, SymFlag.WeakRef | StrongRef)) continue;
    if (!T.has(s, StrongRef)) continue; // only weak references: bound to 0
    if (ctx.options.undefinedDynamicLookup || T.has(s, SymFlag.FlatImport)) continue;
    undef.add(s);
  }
  if (undef.size === 0) return;
  const refs = new Map<number, string[]>();
  for (const f of ctx.files) {
    const ob = f.object;
    if (!ob) continue;
    for (let i = 0; i < ob.nsyms; i++) {
      const s = ob.syms[i]!;
      if (!undef.has(s)) continue;
      const t = nlistType(f.view, ob.symoff, i);
      if ((t & N_TYPE) !== N_UNDF) continue;
      const list = refs.get(s) ?? [];
      const n = fileName(f);
      if (!list.includes(n)) list.push(n);
      refs.set(s, list);
    }
  }
  const names = [...undef].sort((a, b) => (T.name(a) < T.name(b) ? -1 : T.name(a) > T.name(b) ? 1 : 0));
  for (const s of names) {
    const by = (refs.get(s) ?? []).map((n) => `\n>>> referenced by ${n}`).join("");
    ctx.diag.error(`undefined symbol: ${T.name(s)}${by}`);
  }
}
