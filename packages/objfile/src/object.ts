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
 *
 * Loading is two halves: parse.ts's `parseObject` does everything that
 * needs only the object's bytes (on a worker thread when the link has them,
 * all objects of a wave at once), and `loadObject` here merges the result
 * into the link's tables in command-line order: sections, atoms and
 * relocation rows appended, names interned by their precomputed hashes,
 * definitions resolved. Ids come out as one thread always made them.
 */
import { AtomFlag, type FileId, type InputFile, type LinkContext, SymFlag, SymKind, targetForCpu } from "@tsld/core";
import {
  DATA_IN_CODE_ENTRY_SIZE,
  MH_OBJECT,
  MH_SUBSECTIONS_VIA_SYMBOLS,
  N_EXT,
  N_NO_DEAD_STRIP,
  N_PEXT,
  N_TYPE,
  N_UNDF,
  N_WEAK_REF,
  S_4BYTE_LITERALS,
  S_8BYTE_LITERALS,
  S_16BYTE_LITERALS,
  S_CSTRING_LITERALS,
  isZerofill,
  nlistDesc,
  nlistType,
  nlistValue,
  readCString,
  readMachHeader,
  sectionType,
} from "@tsld/macho-format";
import { archSource } from "./arch.js";
import type { LiteralPool } from "./literals.js";
import { NlistCode, type ParsedObject, decodesDebugRelocs, parseObject } from "./parse.js";
import type { Resolver } from "./resolve.js";

/**
 * Adds object `data` (its file, sections, atoms, symbols and relocations)
 * to the link, from `parsed` (`parseObject` of the same bytes, made on any
 * thread) or parsing it here. Returns the new file id, or -1 after
 * reporting an error.
 */
export function loadObject(
  ctx: LinkContext,
  res: Resolver,
  pool: LiteralPool,
  path: string,
  member: string | undefined,
  data: Uint8Array,
  parsed?: ParsedObject,
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
  const o = ctx.options;
  const p = parsed ?? parseObject(data, display, decodesDebugRelocs(o));
  if (p.fatal !== undefined) {
    ctx.diag.error(p.fatal);
    return -1;
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const id = ctx.files.length;
  const file: InputFile = { id, path, kind: "object", data, view };
  if (member !== undefined) file.member = member;
  const sects = p.sects;
  const { symoff, nsyms, stroff, strsize } = p.symtab;
  ctx.files.push(file);
  const firstSection = ctx.sections.count;
  file.object = {
    headerFlags: p.headerFlags,
    subsectionsViaSymbols: (p.headerFlags & MH_SUBSECTIONS_VIA_SYMBOLS) !== 0,
    symoff,
    nsyms,
    stroff,
    strsize,
    syms: new Int32Array(nsyms),
    firstSection,
    sectionCount: sects.length,
    linkerOptions: p.linkerOptions,
  };
  if (p.platform) file.object.platform = p.platform;
  const dice = p.dice;
  if (dice && dice.datasize > 0) {
    if (dice.dataoff + dice.datasize > data.length || dice.datasize % DATA_IN_CODE_ENTRY_SIZE !== 0)
      ctx.diag.error(`${display}: LC_DATA_IN_CODE (${dice.datasize} bytes at ${dice.dataoff}) is malformed`);
    else file.object.dataInCode = data.subarray(dice.dataoff, dice.dataoff + dice.datasize);
  }
  for (const msg of p.fileErrors) ctx.diag.error(msg);

  // Sections and their atoms (numbered from the link's atom count on).
  const S = ctx.sections;
  const A = ctx.atoms;
  const atomBase = A.count;
  const natoms = p.atomOffset.length;
  A.reserve(natoms);
  for (let k = 0; k < sects.length; k++) {
    const s = sects[k]!;
    const sid = S.add(id, s.segname, s.sectname);
    S.flags[sid] = s.flags;
    S.align[sid] = p.secAlign[k]!;
    S.addr[sid] = s.addr;
    S.size[sid] = s.size;
    S.dataOff[sid] = isZerofill(s.flags) ? 0 : s.offset;
    const first = p.secFirstAtom[k]!;
    if (first < 0) continue;
    S.firstAtom[sid] = atomBase + first;
    S.atomCount[sid] = p.secAtomCount[k]!;
    for (let a = first; a < first + p.secAtomCount[k]!; a++)
      A.add(sid, id, p.atomOffset[a]!, p.atomSize[a]!, p.atomAlign[a]!, p.atomFlags[a]!);
  }
  // Literals fold into equal ones seen before (in atom order, as they were cut).
  for (let k = 0; k < sects.length; k++) {
    const type = sectionType(sects[k]!.flags);
    if (
      type !== S_CSTRING_LITERALS &&
      type !== S_4BYTE_LITERALS &&
      type !== S_8BYTE_LITERALS &&
      type !== S_16BYTE_LITERALS
    )
      continue;
    const first = p.secFirstAtom[k]!;
    if (first < 0) continue;
    const dataOff = S.dataOff[firstSection + k]!;
    for (let a = first; a < first + p.secAtomCount[k]!; a++)
      pool.addHashed(atomBase + a, type, data, dataOff + p.atomOffset[a]!, p.atomSize[a]!, p.litHash[a]!);
  }

  // Symbols, in nlist order: globals interned by their hashes, definitions resolved.
  const syms = file.object.syms;
  const strEnd = stroff + strsize;
  const T = ctx.syms;
  const global = (i: number): number =>
    T.internHashed(data, p.nameStart[i]!, p.nameEnd[i]!, p.nameHash[i]!, p.nameAscii[i] === 1);
  const name = (i: number): string => readCString(data, p.nameStart[i]!, strEnd);
  let err = 0;
  for (let i = 0; i < nsyms; i++) {
    while (err < p.symErrAt.length && p.symErrAt[err] === i) ctx.diag.error(p.symErrors[err++]!);
    const code = p.symCode[i]!;
    if (code === NlistCode.Skip) continue;
    const type = nlistType(view, symoff, i);
    const desc = nlistDesc(view, symoff, i);
    const ext = (type & N_EXT) !== 0;
    if (code === NlistCode.SectGlobal || code === NlistCode.SectLocal) {
      const atom = atomBase + p.symAtom[i]!;
      const atomOff = p.symDelta[i]!;
      if (desc & N_NO_DEAD_STRIP) A.flags[atom]! |= AtomFlag.NoDeadStrip;
      let sym: number;
      if (code === NlistCode.SectGlobal) {
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
      const cur = A.symbol[atom]!;
      if (atomOff === 0 && (cur === 0 || (T.name(cur).startsWith("ltmp") && !T.name(sym).startsWith("ltmp"))))
        A.symbol[atom] = sym;
    } else if (code === NlistCode.Undefined || code === NlistCode.UndefinedBad) {
      const sym = global(i);
      syms[i] = sym;
      if (code === NlistCode.UndefinedBad) continue;
      const value = nlistValue(view, symoff, i);
      if ((type & N_TYPE) === N_UNDF && value !== 0) res.common(sym, id, value, (desc >> 8) & 0xf);
      else res.reference(sym, (desc & N_WEAK_REF) !== 0);
    } else if (code === NlistCode.Absolute) {
      const value = nlistValue(view, symoff, i);
      const sym = ext ? global(i) : T.addLocal(name(i), SymKind.Absolute);
      syms[i] = sym;
      if (ext) res.defineAbsolute(sym, id, value, desc);
      else T.value[sym] = value;
    } else if (code === NlistCode.Indirect) {
      const value = nlistValue(view, symoff, i);
      const target = value < strsize ? readCString(data, stroff + value, strEnd) : "";
      const sym = ext ? global(i) : T.addLocal(name(i), SymKind.Undefined);
      syms[i] = sym;
      res.alias(sym, T.intern(target), id);
    }
  }
  while (err < p.symErrAt.length) ctx.diag.error(p.symErrors[err++]!);

  // Relocation rows, appended: nlist indices become symbol ids, the object's atoms the link's.
  const R = ctx.relocs;
  const relocBase = R.count;
  const nrows = p.rOffset.length;
  R.reserve(nrows);
  R.offset.set(p.rOffset, relocBase);
  R.type.set(p.rType, relocBase);
  R.length.set(p.rLength, relocBase);
  R.flags.set(p.rFlags, relocBase);
  R.delta.set(p.rDelta, relocBase);
  R.addend.set(p.rAddend, relocBase);
  R.subDelta.set(p.rSubDelta, relocBase);
  for (let r = 0; r < nrows; r++) {
    const at = relocBase + r;
    const sn = p.rSym[r]!;
    R.sym[at] = sn >= 0 ? syms[sn]! : 0;
    const ssn = p.rSubSym[r]!;
    R.subSym[at] = ssn >= 0 ? syms[ssn]! : 0;
    const ta = p.rAtom[r]!;
    R.atom[at] = ta >= 0 ? atomBase + ta : -1;
    const sa = p.rSubAtom[r]!;
    R.subAtom[at] = sa >= 0 ? atomBase + sa : -1;
  }
  R.count += nrows;
  for (const [row, why] of p.bad) {
    const at = relocBase + row;
    R.bad.set(at, why ?? `addend 0x${R.addend[at]!.toString(16)} to ${T.name(R.sym[at]!)} is out of range`);
  }
  for (let k = 0; k < sects.length; k++) {
    S.relocStart[firstSection + k] = relocBase + p.secRelocStart[k]!;
    S.relocEnd[firstSection + k] = relocBase + p.secRelocEnd[k]!;
  }
  for (let a = 0; a < natoms; a++) {
    A.relocStart[atomBase + a] = relocBase + p.atomRelocStart[a]!;
    A.relocEnd[atomBase + a] = relocBase + p.atomRelocEnd[a]!;
  }
  for (const msg of p.relocErrors) ctx.diag.error(msg);
  return id;
}
