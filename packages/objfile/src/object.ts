/**
 * Relocatable Mach-O objects (`MH_OBJECT`) into the link's tables.
 *
 * An object has one unnamed LC_SEGMENT_64 holding every section, an
 * LC_SYMTAB of `nlist_64` entries (Apple `mach-o/nlist.h`) and per-section
 * relocation entries (`mach-o/reloc.h`, `mach-o/x86_64/reloc.h`). With
 * MH_SUBSECTIONS_VIA_SYMBOLS (what clang always sets), every symbol that is
 * not an alt entry starts a new atom, so code and data can be dead-stripped
 * and reordered symbol by symbol (ld64's atomization). Literal sections are
 * cut per literal: C strings at each NUL (then folded by content), 4/8/16-
 * byte literals by size. Debug sections (S_ATTR_DEBUG) get no atoms; the
 * DWARF stage reads them from their bytes. `__LD,__compact_unwind` gets no
 * atoms (layout's unwind.ts reads its entries from the section table);
 * `__TEXT,__eh_frame` is cut into one atom per CIE/FDE record.
 *
 * Symbol kinds by `n_type & N_TYPE`: N_SECT defines in section `n_sect`
 * at address `n_value`; N_UNDF with `n_value > 0` is a common (size in
 * n_value, log2 alignment in bits 8–11 of n_desc); N_UNDF otherwise an
 * undefined reference (N_WEAK_REF in n_desc makes it weak); N_ABS an
 * absolute; N_INDR an alias whose n_value is the string index of the target.
 * N_STAB entries (debug map) are skipped.
 */
import { AtomFlag, type FileId, type InputFile, type LinkContext, SymFlag, SymKind, targetForCpu } from "@tsld/core";
import { archSource } from "./arch.js";
import {
  DATA_IN_CODE_ENTRY_SIZE,
  LC_BUILD_VERSION,
  LC_DATA_IN_CODE,
  LC_LINKER_OPTION,
  LC_SEGMENT_64,
  LC_SYMTAB,
  LC_VERSION_MIN_MACOSX,
  MH_OBJECT,
  MH_SUBSECTIONS_VIA_SYMBOLS,
  N_ABS,
  N_ALT_ENTRY,
  N_EXT,
  N_INDR,
  N_NO_DEAD_STRIP,
  N_PEXT,
  N_SECT,
  N_STAB,
  N_TYPE,
  N_UNDF,
  N_WEAK_REF,
  S_4BYTE_LITERALS,
  S_8BYTE_LITERALS,
  S_16BYTE_LITERALS,
  S_ATTR_DEBUG,
  S_ATTR_NO_DEAD_STRIP,
  S_CSTRING_LITERALS,
  S_MOD_INIT_FUNC_POINTERS,
  S_MOD_TERM_FUNC_POINTERS,
  S_INIT_FUNC_OFFSETS,
  forEachLoadCommand,
  isZerofill,
  readLinkeditData,
  nlistDesc,
  nlistSect,
  nlistStrx,
  nlistType,
  nlistValue,
  readBuildVersion,
  readCString,
  readLinkerOption,
  readMachHeader,
  readSegment64,
  readSymtabCommand,
  readVersionMin,
  sectionType,
  type Section64,
} from "@tsld/macho-format";
import type { LiteralPool } from "./literals.js";
import { decodeRelocs, findAtom } from "./relocs.js";
import type { Resolver } from "./resolve.js";

/**
 * Parses `data` as an object and adds its file, sections, atoms and symbols.
 * Returns the new file id, or -1 after reporting an error.
 */
export function loadObject(
  ctx: LinkContext,
  res: Resolver,
  pool: LiteralPool,
  path: string,
  member: string | undefined,
  data: Uint8Array,
): FileId {
  const display = member === undefined ? path : `${path}(${member})`;
  let hdr: ReturnType<typeof readMachHeader>;
  try {
    hdr = readMachHeader(data);
  } catch (e) {
    ctx.diag.error(`${display}: ${(e as Error).message}`);
    return -1;
  }
  const target = targetForCpu(hdr.cputype);
  if (!target) {
    ctx.diag.error(
      `${display}: unsupported CPU type 0x${(hdr.cputype >>> 0).toString(16)} (tsld links x86_64 and arm64)`,
    );
    return -1;
  }
  if (ctx.target && ctx.target !== target) {
    // Mixing arches: name the file that differs and what fixed the link's arch.
    const src = archSource(ctx);
    const why = src.startsWith("-arch")
      ? `the link is for ${ctx.target.name} (${src})`
      : `${src} is ${ctx.target.name}`;
    ctx.diag.error(`${display}: is ${target.name}, but ${why}`);
    return -1;
  }
  ctx.target = target;
  if (hdr.filetype !== MH_OBJECT) {
    ctx.diag.error(`${display}: not a relocatable object (filetype ${hdr.filetype})`);
    return -1;
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const id = ctx.files.length;
  const file: InputFile = { id, path, kind: "object", data, view };
  if (member !== undefined) file.member = member;
  const sects: Section64[] = [];
  let symtab = { symoff: 0, nsyms: 0, stroff: 0, strsize: 0 };
  const linkerOptions: string[][] = [];
  let platform: { platform: number; minos: number; sdk: number } | undefined;
  let dice: { dataoff: number; datasize: number } | undefined;
  try {
    forEachLoadCommand(data, hdr, (cmd, off) => {
      if (cmd === LC_SEGMENT_64) sects.push(...readSegment64(data, off, sects.length + 1).sections);
      else if (cmd === LC_SYMTAB) symtab = readSymtabCommand(data, off);
      else if (cmd === LC_LINKER_OPTION) linkerOptions.push(readLinkerOption(data, off));
      else if (cmd === LC_DATA_IN_CODE) dice = readLinkeditData(data, off);
      else if (cmd === LC_BUILD_VERSION) {
        const b = readBuildVersion(data, off);
        platform = { platform: b.platform, minos: b.minos, sdk: b.sdk };
      } else if (cmd === LC_VERSION_MIN_MACOSX) {
        const v = readVersionMin(data, off);
        platform = { platform: 1, minos: v.version, sdk: v.sdk };
      }
    });
  } catch (e) {
    ctx.diag.error(`${display}: ${(e as Error).message}`);
    return -1;
  }
  if (symtab.symoff + symtab.nsyms * 16 > data.length || symtab.stroff + symtab.strsize > data.length) {
    ctx.diag.error(`${display}: symbol table runs past the end of the file`);
    return -1;
  }
  for (const s of sects) {
    // Limits no real object reaches: 2^15-byte alignment (ld64's cap) and
    // 4 GiB sections; beyond them addresses would stop being meaningful.
    if (s.align > 15) {
      ctx.diag.error(
        `${display}: section ${s.segname},${s.sectname} asks for 2^${s.align}-byte alignment (at most 2^15)`,
      );
      return -1;
    }
    if (s.size > 0xffffffff) {
      ctx.diag.error(`${display}: section ${s.segname},${s.sectname} is 0x${s.size.toString(16)} bytes (over 4 GiB)`);
      return -1;
    }
    if (!isZerofill(s.flags) && s.size > 0 && s.offset + s.size > data.length) {
      ctx.diag.error(`${display}: section ${s.segname},${s.sectname} runs past the end of the file`);
      return -1;
    }
    if (s.nreloc > 0 && s.reloff + s.nreloc * 8 > data.length) {
      ctx.diag.error(`${display}: relocations of ${s.segname},${s.sectname} run past the end of the file`);
      return -1;
    }
  }
  ctx.files.push(file);
  const subsections = (hdr.flags & MH_SUBSECTIONS_VIA_SYMBOLS) !== 0;
  const firstSection = ctx.sections.count;
  file.object = {
    headerFlags: hdr.flags,
    subsectionsViaSymbols: subsections,
    symoff: symtab.symoff,
    nsyms: symtab.nsyms,
    stroff: symtab.stroff,
    strsize: symtab.strsize,
    syms: new Int32Array(symtab.nsyms),
    firstSection,
    sectionCount: sects.length,
    linkerOptions,
  };
  if (platform) file.object.platform = platform;
  if (dice && dice.datasize > 0) {
    if (dice.dataoff + dice.datasize > data.length || dice.datasize % DATA_IN_CODE_ENTRY_SIZE !== 0)
      ctx.diag.error(`${display}: LC_DATA_IN_CODE (${dice.datasize} bytes at ${dice.dataoff}) is malformed`);
    else file.object.dataInCode = data.subarray(dice.dataoff, dice.dataoff + dice.datasize);
  }

  const S = ctx.sections;
  for (const s of sects) {
    const sid = S.add(id, s.segname, s.sectname);
    S.flags[sid] = s.flags;
    S.align[sid] = s.align;
    S.addr[sid] = s.addr;
    S.size[sid] = s.size;
    S.dataOff[sid] = isZerofill(s.flags) ? 0 : s.offset;
  }

  // Symbol offsets per section: where atoms start.
  const { symoff, nsyms, stroff, strsize } = symtab;
  const cuts: number[][] = sects.map(() => []);
  for (let i = 0; i < nsyms; i++) {
    const type = nlistType(view, symoff, i);
    if (type & N_STAB || (type & N_TYPE) !== N_SECT) continue;
    const n = nlistSect(view, symoff, i);
    const s = sects[n - 1];
    if (!s) {
      ctx.diag.error(`${display}: symbol ${i} names section ${n}, which does not exist`);
      continue;
    }
    if (nlistDesc(view, symoff, i) & N_ALT_ENTRY) continue;
    // A symbol outside its section cuts nothing (the symbol pass reports it).
    const cut = nlistValue(view, symoff, i) - s.addr;
    if (cut >= 0 && cut <= s.size) cuts[n - 1]!.push(cut);
  }

  for (let k = 0; k < sects.length; k++) atomize(ctx, pool, file, firstSection + k, subsections, cuts[k]!);

  // Symbols.
  const syms = file.object.syms;
  const strEnd = stroff + strsize;
  // Names are read only where a string is needed: external names are
  // interned straight from the string-table bytes.
  const nameEnd = (start: number): number => {
    let e = start;
    while (e < strEnd && data[e] !== 0) e++;
    return e;
  };
  const strStart = (i: number): number => {
    const strx = nlistStrx(view, symoff, i);
    if (strx >= strsize) {
      ctx.diag.error(`${display}: symbol ${i} has a string index past the string table`);
      return strEnd;
    }
    return stroff + strx;
  };
  const name = (i: number): string => readCString(data, strStart(i), strEnd);
  const global = (i: number): number => {
    const a = strStart(i);
    return T.internBytes(data, a, nameEnd(a));
  };
  const T = ctx.syms;
  // Where each N_SECT nlist lies, for the relocation decoder.
  const places = { atom: new Int32Array(nsyms).fill(-1), delta: new Float64Array(nsyms) };
  for (let i = 0; i < nsyms; i++) {
    const type = nlistType(view, symoff, i);
    if (type & N_STAB) continue;
    const desc = nlistDesc(view, symoff, i);
    const value = nlistValue(view, symoff, i);
    const ext = (type & N_EXT) !== 0;
    const kind = type & N_TYPE;
    if (kind === N_SECT) {
      const sid = firstSection + nlistSect(view, symoff, i) - 1;
      if (sid >= firstSection + sects.length) continue;
      const secOff = value - S.addr[sid]!;
      const atom = findAtom(ctx, sid, secOff);
      if (atom < 0) {
        // A local label in a section that has no atoms (`__LD,__compact_unwind`,
        // debug sections; llvm-mc's arm64 `ltmpN` section starts) names nothing kept.
        if (!ext && (S.firstAtom[sid]! < 0 || S.atomCount[sid] === 0)) continue;
        ctx.diag.error(`${display}: symbol ${name(i)} at 0x${value.toString(16)} lies outside ${S.name(sid)}`);
        continue;
      }
      const atomOff = secOff - ctx.atoms.offset[atom]!;
      places.atom[i] = atom;
      places.delta[i] = atomOff;
      if (desc & N_NO_DEAD_STRIP) ctx.atoms.flags[atom]! |= AtomFlag.NoDeadStrip;
      let sym: number;
      if (ext) {
        sym = global(i);
        res.define(sym, id, atom, atomOff, desc, (type & N_PEXT) !== 0);
      } else {
        sym = T.addLocal(name(i), SymKind.Defined);
        T.define(sym, id, atom, atomOff);
        T.desc[sym] = desc;
        if (desc & N_NO_DEAD_STRIP) T.set(sym, SymFlag.NoDeadStrip);
      }
      syms[i] = sym;
      // The atom's name: its first symbol, but not LLVM's section-start label
      // (`ltmpN`, arm64) when a real symbol starts there too.
      const cur = ctx.atoms.symbol[atom]!;
      if (atomOff === 0 && (cur === 0 || (T.name(cur).startsWith("ltmp") && !T.name(sym).startsWith("ltmp"))))
        ctx.atoms.symbol[atom] = sym;
    } else if (kind === N_UNDF || kind === 0xc /* N_PBUD */) {
      if (!ext) continue;
      const sym = global(i);
      syms[i] = sym;
      if (kind === N_UNDF && value > 0xffffffff)
        ctx.diag.error(`${display}: common symbol ${name(i)} is 0x${value.toString(16)} bytes (over 4 GiB)`);
      else if (kind === N_UNDF && value !== 0) res.common(sym, id, value, (desc >> 8) & 0xf);
      else res.reference(sym, (desc & N_WEAK_REF) !== 0);
    } else if (kind === N_ABS) {
      const sym = ext ? global(i) : T.addLocal(name(i), SymKind.Absolute);
      syms[i] = sym;
      if (ext) res.defineAbsolute(sym, id, value, desc);
      else T.value[sym] = value;
    } else if (kind === N_INDR) {
      const target = value < strsize ? readCString(data, stroff + value, strEnd) : "";
      const sym = ext ? global(i) : T.addLocal(name(i), SymKind.Undefined);
      syms[i] = sym;
      res.alias(sym, T.intern(target), id);
    }
  }
  // Relocations, decoded once now that every atom and symbol exists. A debug
  // section's are read only by what copies DWARF out (Go-style __DWARF, -r):
  // with a STABS debug map or none, the DWARF stays in the objects unread.
  const o = ctx.options;
  const debugRelocs = o.relocatable || o.debugInfo === "dwarf";
  for (let k = 0; k < sects.length; k++) {
    const debug = (sects[k]!.flags & S_ATTR_DEBUG) !== 0 || sects[k]!.segname === "__DWARF";
    const n = debug && !debugRelocs ? 0 : sects[k]!.nreloc;
    decodeRelocs(ctx, file, firstSection + k, sects[k]!.reloff, n, places);
  }
  return id;
}

/** Cuts section `sid` into atoms and hands each its relocations. */
function atomize(
  ctx: LinkContext,
  pool: LiteralPool,
  file: InputFile,
  sid: number,
  subsections: boolean,
  cuts: number[],
): void {
  const S = ctx.sections;
  const A = ctx.atoms;
  const flags = S.flags[sid]!;
  const size = S.size[sid]!;
  // Pointer-holding sections are pointer-aligned whatever the object says
  // (llvm-mc writes __thread_vars with 2^0; dyld needs 8-byte descriptors).
  const type = sectionType(flags);
  const pointers = [0x5, 0x6, 0x7, 0x9, 0xa, 0x13, 0x14].includes(type);
  const align = pointers ? Math.max(S.align[sid]!, 3) : S.align[sid]!;
  if (pointers) S.align[sid] = align;
  const seg = S.segnames[sid]!;
  const sect = S.sectnames[sid]!;
  if (flags & S_ATTR_DEBUG || seg === "__DWARF" || (seg === "__LD" && sect === "__compact_unwind")) return;
  const zf = isZerofill(flags);
  let base = AtomFlag.Live;
  if (zf) base |= AtomFlag.Zerofill;
  if (
    flags & S_ATTR_NO_DEAD_STRIP ||
    type === S_MOD_INIT_FUNC_POINTERS ||
    type === S_MOD_TERM_FUNC_POINTERS ||
    type === S_INIT_FUNC_OFFSETS
  )
    base |= AtomFlag.NoDeadStrip;
  S.firstAtom[sid] = A.count;
  const dataOff = S.dataOff[sid]!;
  if (type === S_CSTRING_LITERALS) {
    const d = file.data;
    let start = 0;
    while (start < size) {
      let end = start;
      while (end < size && d[dataOff + end] !== 0) end++;
      const len = Math.min(end + 1, size) - start;
      // A string keeps the alignment its offset shows (lld: countr_zero(align | offset)),
      // so a .p2align'ed string stays aligned wherever it, or the copy it folds into, lands.
      const a = A.add(sid, file.id, start, len, start === 0 ? align : Math.min(align, ctz(start)), base);
      pool.add(a, type, d, dataOff + start, len);
      start += len;
    }
  } else if (type === S_4BYTE_LITERALS || type === S_8BYTE_LITERALS || type === S_16BYTE_LITERALS) {
    const w = type === S_4BYTE_LITERALS ? 4 : type === S_8BYTE_LITERALS ? 8 : 16;
    for (let o = 0; o < size; o += w) {
      const a = A.add(sid, file.id, o, w, Math.log2(w), base);
      pool.add(a, type, file.data, dataOff + o, w);
    }
  } else if (seg === "__TEXT" && sect === "__eh_frame") {
    // One atom per CIE/FDE record, so layout can keep only the FDEs of live
    // functions (and the CIEs they use); see layout's unwind.ts.
    const v = file.view;
    let o = 0;
    while (o + 4 <= size) {
      const len32 = v.getUint32(dataOff + o, true);
      let len = 4 + len32;
      if (len32 === 0xffffffff && o + 12 <= size) len = 12 + Number(v.getBigUint64(dataOff + o + 4, true));
      len = Math.min(len, size - o);
      A.add(sid, file.id, o, len, o === 0 ? align : Math.min(align, ctz(o)), base);
      o += len;
    }
    if (o < size) A.add(sid, file.id, o, size - o, 0, base);
  } else if (subsections && cuts.length > 0) {
    cuts.sort((x, y) => x - y);
    let prev = 0;
    const starts: number[] = [];
    if (cuts[0]! > 0) starts.push(0);
    for (const c of cuts) if (c !== prev || starts.length === 0) starts.push((prev = c));
    for (let k = 0; k < starts.length; k++) {
      const s = starts[k]!;
      if (s >= size && size > 0) break;
      const e = k + 1 < starts.length ? Math.min(starts[k + 1]!, size) : size;
      // An atom's alignment: the section's, reduced by where it starts.
      const a = s === 0 ? align : Math.min(align, ctz(s));
      A.add(sid, file.id, s, e - s, a, base);
    }
  } else {
    A.add(sid, file.id, 0, size, align, base);
  }
  S.atomCount[sid] = A.count - S.firstAtom[sid]!;
}

function ctz(n: number): number {
  let k = 0;
  while (k < 15 && (n & (1 << k)) === 0) k++;
  return k;
}
