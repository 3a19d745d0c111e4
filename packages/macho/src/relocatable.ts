/**
 * The relocatable-object writer (`-r`, and hostlink's `go.o`): one
 * `MH_OBJECT` (Apple `mach-o/loader.h`) holding the merged sections layout
 * planned (`planObjectSections`), with
 * - one unnamed `LC_SEGMENT_64` listing every section (an object has no
 *   segments of its own; the final link places the sections);
 * - relocations re-emitted per section (`mach-o/reloc.h`,
 *   `mach-o/x86_64/reloc.h`), from the rows objfile decoded once: an extern
 *   relocation names the symbol's new index and keeps its embedded addend; a
 *   section-relative one names the target's output section and its bytes
 *   are rewritten to hold the target's new address (pc-relative ones: the
 *   new displacement); a SUBTRACTOR/UNSIGNED pair stays a pair. GOT, TLV and
 *   branch forms stay relocations, nothing is resolved; in a dynamically
 *   linked `go.o`, references to the object's own symbols are made
 *   module-local (section-relative on x86_64, through local `ltmp.NAME`
 *   labels on arm64; see `ownReferences`);
 * - pc-relative `__eh_frame` pointers that carried no relocation (clang
 *   resolves an FDE's pc_begin and LSDA pointer at assembly time) recomputed
 *   for the new layout, and `__DWARF` cross-section offsets rebased per object
 *   (dwarf's `rebaseDebugInfo`);
 * - `LC_BUILD_VERSION` from the first input that has one (else macOS 11.0),
 *   every distinct `LC_LINKER_OPTION` in input order;
 * - `LC_SYMTAB` and `LC_DYSYMTAB`: locals (in input order), then external
 *   definitions, then undefined symbols and commons, each of the last two
 *   sorted by name (what ld64 and LLVM's object writer do). Every input
 *   symbol is kept: locals, private externs (N_PEXT, ld64's
 *   `-keep_private_externs`), weak definitions (N_WEAK_DEF, and
 *   `.weak_def_can_be_hidden`'s N_WEAK_REF), N_NO_DEAD_STRIP, N_ALT_ENTRY.
 *   A global definition that lost resolution (a second weak copy) stays as
 *   a local at its place, so its atom keeps a symbol to start it. An
 *   `N_INDR` alias stays one (among the undefined symbols, its value the
 *   string index of its target, as LLVM's object writer places it; the
 *   final link resolves it), and a relocation against it names the target.
 * - `MH_SUBSECTIONS_VIA_SYMBOLS` when every input object has it.
 * - `LC_DATA_IN_CODE` when an input has entries: each at the output address
 *   of the code holding it, sorted (after `LC_DYSYMTAB`, as LLVM writes it).
 *
 * File layout: header, load commands, section contents (each at `base +
 * addr`), relocations (per section, 8-byte entries), data-in-code entries,
 * symbol table, string table (padded to 8). Every size is known before a byte is written.
 */
import {
  type LinkContext,
  osErrorText,
  RelocAttr,
  RelocFlag,
  RelocResult,
  SymFlag,
  SymKind,
  type SymbolId,
} from "@tsld/core";
import { rebaseDebugInfo } from "@tsld/dwarf";
import type { ObjectPlan, ObjectSection } from "@tsld/layout";
import { saveAtomically } from "./emit.js";
import { atomAt, dataInCodeEntries } from "./function-starts.js";
import { outputName } from "./symtab.js";
import {
  LC_DATA_IN_CODE,
  LINKEDIT_DATA_COMMAND_SIZE,
  MH_MAGIC_64,
  MH_OBJECT,
  MH_SUBSECTIONS_VIA_SYMBOLS,
  N_ABS,
  N_ALT_ENTRY,
  N_EXT,
  N_INDR,
  N_PEXT,
  N_SECT,
  N_STAB,
  N_TYPE,
  N_UNDF,
  N_WEAK_DEF,
  N_WEAK_REF,
  type EhCie,
  buildVersionCommandSize,
  linkerOptionCommandSize,
  nlistDesc,
  nlistSect,
  nlistType,
  nlistValue,
  readCString,
  readEhRecord,
  relocInfoPack,
  segmentCommandSize,
  writeBuildVersion,
  writeDysymtabCommand,
  writeLinkeditDataCommand,
  writeLinkerOptionCommand,
  writeMachHeader,
  writeNlist,
  writeSegment64,
  writeSymtabCommand,
} from "@tsld/macho-format";

/** One output nlist. */
interface OutSym {
  name: string;
  type: number;
  sect: number;
  desc: number;
  value: number;
  /** N_INDR: the name this alias stands for (its string index becomes the value). */
  indirect?: string;
}

/** The symbol table of the output object, and each symbol id's index in it. */
export interface ObjectSymtab {
  locals: OutSym[];
  extdefs: OutSym[];
  undefs: OutSym[];
  /** SymbolId → nlist index, -1 when the symbol is not in the table. */
  index: Int32Array;
  /** SymbolId → nlist index of the local label standing for it (arm64's dynamically linked `go.o`), -1 for none. */
  label: Int32Array;
}

/** Sizes and offsets of the output object, and its bytes once written. */
export interface ObjectFile {
  plan: ObjectPlan;
  symtab: ObjectSymtab;
  /** Output sections, in ordinal order (the plan's). */
  sections: ObjectSection[];
  sizeofcmds: number;
  dataOff: number;
  /** Relocation entries per written section: [address, info] words. */
  relocs: Uint32Array[];
  reloff: number[];
  /** LC_DATA_IN_CODE entries at their output addresses, sorted (empty: no command). */
  dataInCode: Uint8Array;
  diceoff: number;
  symoff: number;
  stroff: number;
  strsize: number;
  strtab: Uint8Array;
  strx: Uint32Array;
  linkerOptions: string[][];
  platform: { platform: number; minos: number; sdk: number };
  out: Uint8Array;
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/** The output symbol table: every input symbol, locals first (see the essay). */
export function collectObjectSymbols(ctx: LinkContext, plan: ObjectPlan): ObjectSymtab {
  const T = ctx.syms;
  const A = ctx.atoms;
  const S = ctx.sections;
  const locals: OutSym[] = [];
  const index = new Int32Array(T.count).fill(-1);
  const mentioned: SymbolId[] = [];
  const seen = new Uint8Array(T.count);
  /** N_INDR aliases of the inputs: alias → the name it stands for (the final link resolves it). */
  const aliasOf = new Map<SymbolId, { target: string; pext: number }>();
  const sectOf = (atom: number): number => A.out[atom]! + 1;
  for (const f of ctx.files) {
    const ob = f.object;
    if (f.kind !== "object" || !ob) continue;
    const v = f.view;
    for (let i = 0; i < ob.nsyms; i++) {
      const type = nlistType(v, ob.symoff, i);
      if (type & N_STAB) continue;
      const s = ob.syms[i]!;
      if (s === 0) continue;
      const kind = type & N_TYPE;
      const desc = nlistDesc(v, ob.symoff, i);
      if (!(type & N_EXT)) {
        if (kind === N_SECT && T.atom[s]! >= 0) {
          index[s] = locals.length;
          const a = T.atom[s]!;
          locals.push({
            name: T.name(s),
            type: N_SECT | (type & N_PEXT),
            sect: sectOf(a),
            desc,
            value: A.address[a]! + T.value[s]!,
          });
        } else if (kind === N_ABS) {
          index[s] = locals.length;
          locals.push({ name: T.name(s), type: N_ABS, sect: 0, desc, value: T.value[s]! });
        }
        continue;
      }
      if (!seen[s]) {
        seen[s] = 1;
        mentioned.push(s);
      }
      if (kind === N_INDR && !aliasOf.has(s)) {
        const strx = nlistValue(v, ob.symoff, i);
        const target = strx < ob.strsize ? readCString(f.data, ob.stroff + strx, ob.stroff + ob.strsize) : "";
        aliasOf.set(s, { target, pext: type & N_PEXT });
        const t = T.intern(target);
        if (!seen[t]) {
          seen[t] = 1;
          mentioned.push(t);
        }
      }
      // A definition that lost resolution (a second weak copy) stays, as a local at its place.
      if (kind === N_SECT) {
        const sid = ob.firstSection + nlistSect(v, ob.symoff, i) - 1;
        const off = nlistValue(v, ob.symoff, i) - S.addr[sid]!;
        const won = T.kind[s] === SymKind.Defined && T.file[s] === f.id && T.atom[s] === atomAt(ctx, sid, off);
        if (!won) {
          const a = atomAt(ctx, sid, off);
          if (a >= 0)
            locals.push({
              name: T.name(s),
              type: N_SECT,
              sect: sectOf(a),
              desc: desc & ~(N_WEAK_REF | N_WEAK_DEF),
              value: A.address[a]! + off - A.offset[a]!,
            });
        }
      }
    }
  }
  const label = objectLabels(ctx, plan, locals);
  const extdefs: { s: SymbolId; sym: OutSym }[] = [];
  const undefs: { s: SymbolId; sym: OutSym }[] = [];
  const marker = new Map(plan.markers.map((m) => [m.sym, m] as const));
  for (const m of plan.markers) {
    if (!seen[m.sym]) {
      seen[m.sym] = 1;
      mentioned.push(m.sym);
    }
  }
  // go.o when dynamically linking: every non-local Go name gets its `_` (Go's machosymtab).
  const dyn = ctx.options.goObject && ctx.dynlinking;
  for (const s of mentioned) {
    const name = dyn ? outputName(T.name(s), true, false) : T.name(s);
    const kind = T.kind[s]!;
    const m = marker.get(s);
    const alias = aliasOf.get(s);
    if (alias && kind !== SymKind.Defined && kind !== SymKind.Absolute) {
      // Among the undefined symbols, as LLVM's object writer places an alias of an undefined name.
      const target = dyn ? outputName(alias.target, true, false) : alias.target;
      const type = N_INDR | N_EXT | alias.pext;
      undefs.push({ s, sym: { name, type, sect: 0, desc: 0, value: 0, indirect: target } });
    } else if (m) {
      extdefs.push({ s, sym: { name, type: N_SECT | N_EXT, sect: m.section + 1, desc: 0, value: m.value } });
    } else if (kind === SymKind.Defined && T.atom[s]! >= 0) {
      const hideable = T.has(s, SymFlag.WeakDefCanBeHidden);
      const pext = T.has(s, SymFlag.PrivateExtern) && !hideable ? N_PEXT : 0;
      const a = T.atom[s]!;
      const desc = hideable ? T.desc[s]! : T.desc[s]! & ~N_WEAK_REF;
      extdefs.push({
        s,
        sym: { name, type: N_SECT | N_EXT | pext, sect: sectOf(a), desc, value: A.address[a]! + T.value[s]! },
      });
    } else if (kind === SymKind.Absolute) {
      const pext = T.has(s, SymFlag.PrivateExtern) ? N_PEXT : 0;
      extdefs.push({ s, sym: { name, type: N_ABS | N_EXT | pext, sect: 0, desc: T.desc[s]!, value: T.value[s]! } });
    } else if (kind === SymKind.Common) {
      undefs.push({
        s,
        sym: { name, type: N_UNDF | N_EXT, sect: 0, desc: (T.align[s]! & 0xf) << 8, value: T.size[s]! },
      });
    } else {
      const weakOnly = T.has(s, SymFlag.WeakRef) && !T.has(s, SymFlag.StrongRef);
      undefs.push({ s, sym: { name, type: N_UNDF | N_EXT, sect: 0, desc: weakOnly ? N_WEAK_REF : 0, value: 0 } });
    }
  }
  const byName = (x: { sym: OutSym }, y: { sym: OutSym }): number =>
    x.sym.name < y.sym.name ? -1 : x.sym.name > y.sym.name ? 1 : 0;
  extdefs.sort(byName);
  undefs.sort(byName);
  let n = locals.length;
  for (const e of extdefs) index[e.s] = n++;
  for (const e of undefs) index[e.s] = n++;
  // A relocation against an alias names its target, as LLVM's assembler writes it (ld64.lld
  // resolves an N_INDR only by name, never through a relocation of the same object).
  for (const e of undefs) if (e.sym.indirect !== undefined) index[e.s] = index[T.lookup(aliasOf.get(e.s)!.target)]!;
  return { locals, extdefs: extdefs.map((e) => e.sym), undefs: undefs.map((e) => e.sym), index, label };
}

/**
 * The local labels of an arm64 dynamically linked `go.o` (see
 * `labelTargets`): one `ltmp.NAME` per symbol of its own that a
 * relocation names, at the symbol's place, appended to `locals` in
 * relocation order. A label inside an atom is N_ALT_ENTRY, so it never
 * cuts one in two. Returns SymbolId → label index (-1: none).
 */
function objectLabels(ctx: LinkContext, plan: ObjectPlan, locals: OutSym[]): Int32Array {
  const T = ctx.syms;
  const A = ctx.atoms;
  const S = ctx.sections;
  const label = new Int32Array(T.count).fill(-1);
  const own = labelTargets(ctx, plan);
  if (!own) return label;
  const markers = new Set(plan.markers.map((m) => m.sym));
  for (const sec of plan.sections) {
    for (const p of sec.pieces) {
      const start = p.atom >= 0 ? A.relocStart[p.atom]! : S.relocStart[p.sid]!;
      const end = p.atom >= 0 ? A.relocEnd[p.atom]! : S.relocEnd[p.sid]!;
      for (let r = start; r < end; r++) {
        if (!own(r) || label[scratch.sym]! >= 0) continue;
        const s = scratch.sym;
        label[s] = locals.length;
        const inside = !markers.has(s) && T.value[s]! !== 0;
        locals.push({
          name: `ltmp.${T.name(s)}`,
          type: N_SECT,
          sect: scratch.section + 1,
          desc: inside ? N_ALT_ENTRY : 0,
          value: scratch.addr,
        });
      }
    }
  }
  return label;
}

/**
 * The inputs' LC_DATA_IN_CODE entries (data islands in code: jump tables and
 * the like, which disassemblers must not decode) at the output addresses of
 * the code holding them, sorted by address; entries of code that is not in
 * the output are dropped. Bytes in `data_in_code_entry` layout.
 */
function objectDataInCode(ctx: LinkContext, plan: ObjectPlan): Uint8Array {
  const A = ctx.atoms;
  return dataInCodeEntries(ctx, (a, delta, sid, off) => {
    if (a >= 0) return A.address[a]! + delta;
    return Number.isNaN(plan.base[sid]!) ? undefined : plan.base[sid]! + off;
  });
}

/** Relocations, sizes and file offsets of the output object; allocates its bytes. */
export function planObjectFile(ctx: LinkContext, plan: ObjectPlan, symtab: ObjectSymtab): ObjectFile {
  const sections = plan.sections;
  if (sections.length > 255) ctx.diag.error(`relocatable output has ${sections.length} sections (at most 255)`);
  // Platform and linker options from the inputs.
  let platform: ObjectFile["platform"] | undefined;
  const linkerOptions: string[][] = [];
  const optSeen = new Set<string>();
  for (const f of ctx.files) {
    if (f.kind !== "object" || !f.object) continue;
    platform ??= f.object.platform;
    for (const o of f.object.linkerOptions) {
      const k = o.join("\0");
      if (!optSeen.has(k)) {
        optSeen.add(k);
        linkerOptions.push(o);
      }
    }
  }
  platform ??= { platform: 1, minos: ctx.options.minOS || 0xb0000, sdk: ctx.options.sdk || 0xb0000 };
  const dataInCode = objectDataInCode(ctx, plan);
  const sizeofcmds =
    segmentCommandSize(sections.length) +
    buildVersionCommandSize(0) +
    linkerOptions.reduce((n, o) => n + linkerOptionCommandSize(o), 0) +
    24 +
    80 +
    (dataInCode.length > 0 ? LINKEDIT_DATA_COMMAND_SIZE : 0);
  const dataOff = align8(32 + sizeofcmds);
  let end = dataOff;
  for (const s of sections) if (!s.zerofill) end = Math.max(end, dataOff + s.addr + s.size);
  const relocs = sections.map((s) => objectRelocs(ctx, plan, s, symtab));
  const reloff: number[] = [];
  let off = align8(end);
  for (const r of relocs) {
    reloff.push(r.length === 0 ? 0 : off);
    off += r.length * 4;
  }
  const diceoff = dataInCode.length > 0 ? off : 0;
  off += dataInCode.length;
  const symoff = off;
  const all = [...symtab.locals, ...symtab.extdefs, ...symtab.undefs];
  const stroff = symoff + all.length * 16;
  // String table: a leading NUL (index 0 is the empty name), then every name once.
  const enc = new TextEncoder();
  const strx = new Uint32Array(all.length);
  const parts: Uint8Array[] = [new Uint8Array([0x20, 0])];
  let strsize = 2;
  const seen = new Map<string, number>();
  const intern = (name: string): number => {
    const had = seen.get(name);
    if (had !== undefined) return had;
    const b = enc.encode(`${name}\0`);
    seen.set(name, strsize);
    parts.push(b);
    strsize += b.length;
    return strsize - b.length;
  };
  all.forEach((s, i) => {
    if (s.name !== "") strx[i] = intern(s.name);
  });
  // An N_INDR's value is the string index of the name it stands for.
  for (const s of all) if (s.indirect !== undefined) s.value = intern(s.indirect);
  const padded = align8(strsize);
  const strtab = new Uint8Array(padded);
  let p = 0;
  for (const b of parts) {
    strtab.set(b, p);
    p += b.length;
  }
  return {
    plan,
    symtab,
    sections,
    sizeofcmds,
    dataOff,
    dataInCode,
    diceoff,
    relocs,
    reloff,
    symoff,
    stroff,
    strsize: padded,
    strtab,
    strx,
    linkerOptions,
    platform,
    out: new Uint8Array(stroff + padded),
  };
}

/**
 * The relocation entries of output section `sec`, as [r_address, info]
 * words: assembler order (descending addresses, each SUBTRACTOR before its
 * UNSIGNED) for sections with atoms, the inputs' order for the others.
 */
function objectRelocs(ctx: LinkContext, plan: ObjectPlan, sec: ObjectSection, symtab: ObjectSymtab): Uint32Array {
  const direct = directTargets(ctx, plan);
  const viaLabel = labelTargets(ctx, plan);
  const R = ctx.relocs;
  const A = ctx.atoms;
  const S = ctx.sections;
  const T = ctx.syms;
  const subType = ctx.target.relocAttrs.findIndex((x) => (x & RelocAttr.Subtractor) !== 0);
  // arm64's ADDEND: an instruction field's addend, in an entry of its own just before its relocation.
  const addendType = ctx.target.relocAttrs.findIndex((x) => (x & RelocAttr.Addend) !== 0);
  // Words of each row (2, or 4 for a pair or a relocation with its ADDEND) in `words`, row starts in `starts`: no object per relocation.
  let n = 0;
  for (const p of sec.pieces)
    n += p.atom >= 0 ? A.relocEnd[p.atom]! - A.relocStart[p.atom]! : S.relocEnd[p.sid]! - S.relocStart[p.sid]!;
  const words = new Uint32Array(n * 4);
  const starts = new Uint32Array(n + 1);
  let rows = 0;
  let w = 0;
  let atomized = false;
  const where = (sid: number, r: number): string =>
    `${S.name(sid)} of ${ctx.files[S.file[sid]!]!.path} at 0x${R.offset[r]!.toString(16)}`;
  for (const p of sec.pieces) {
    const start = p.atom >= 0 ? A.relocStart[p.atom]! : S.relocStart[p.sid]!;
    const end = p.atom >= 0 ? A.relocEnd[p.atom]! : S.relocEnd[p.sid]!;
    if (p.atom >= 0) atomized = true;
    for (let r = start; r < end; r++) {
      const at = p.outOff + R.offset[r]! - p.inOff;
      const flags = R.flags[r]!;
      if (flags & RelocFlag.Bad) {
        ctx.diag.error(`${where(p.sid, r)}: ${R.bad.get(r) ?? "bad relocation"}`);
        continue;
      }
      const pcrel = (flags & RelocFlag.Pcrel) !== 0;
      const len = R.length[r]!;
      const type = R.type[r]!;
      const w0 = w;
      if (flags & RelocFlag.Pair) {
        const sub = symtab.index[R.subSym[r]!] ?? -1;
        if (sub < 0) {
          ctx.diag.error(`${where(p.sid, r)}: SUBTRACTOR names ${T.name(R.subSym[r]!)}, which is not in the output`);
          continue;
        }
        words[w++] = at;
        words[w++] = relocInfoPack(sub, false, len, true, subType);
      }
      if (!(flags & RelocFlag.Pair) && direct?.(r)) {
        words[w++] = at;
        words[w++] = relocInfoPack(scratch.section + 1, pcrel, len, false, scratch.type);
      } else if (flags & RelocFlag.Extern) {
        // arm64's go.o: a reference to its own symbol names the symbol's local label.
        const k = viaLabel?.(r) ? symtab.label[scratch.sym]! : (symtab.index[R.sym[r]!] ?? -1);
        if (k < 0) {
          ctx.diag.error(`${where(p.sid, r)}: names ${T.name(R.sym[r]!)}, which is not in the output`);
          w = w0;
          continue;
        }
        const addend = R.addend[r]!;
        if (addendType >= 0 && addend !== 0 && !((ctx.target.relocAttrs[type] ?? 0) & RelocAttr.Pointer)) {
          // The instruction holds no addend: it travels in r_symbolnum, 24 bits signed.
          if (addend < -0x800000 || addend > 0x7fffff) {
            ctx.diag.error(`${where(p.sid, r)}: addend ${addend} of ${T.name(R.sym[r]!)} does not fit in 24 bits`);
            w = w0;
            continue;
          }
          words[w++] = at;
          words[w++] = relocInfoPack(addend & 0xffffff, false, 2, false, addendType);
        }
        words[w++] = at;
        words[w++] = relocInfoPack(k, pcrel, len, true, type);
      } else {
        const t = R.atom[r]!;
        const o = t >= 0 ? A.out[t]! : -1;
        if (o < 0) {
          ctx.diag.error(`${where(p.sid, r)}: its target was not laid out`);
          w = w0;
          continue;
        }
        words[w++] = at;
        words[w++] = relocInfoPack(o + 1, pcrel, len, false, type);
      }
      starts[rows++] = w0;
    }
  }
  starts[rows] = w;
  if (!atomized) return words.slice(0, w);
  // Assembler order: rows backwards, each pair still SUBTRACTOR first.
  const out = new Uint32Array(w);
  let k = 0;
  for (let i = rows - 1; i >= 0; i--) for (let x = starts[i]!; x < starts[i + 1]!; x++) out[k++] = words[x]!;
  return out;
}

/** Section contents: pieces copied, section-relative fixups and unrelocated __eh_frame pointers recomputed, DWARF rebased. */
export function writeObjectContents(ctx: LinkContext, o: ObjectFile): void {
  const direct = directTargets(ctx, o.plan);
  const A = ctx.atoms;
  const S = ctx.sections;
  const R = ctx.relocs;
  const out = o.out;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (const sec of o.sections) {
    if (sec.zerofill) continue;
    const secOff = o.dataOff + sec.addr;
    for (const p of sec.pieces) {
      const f = ctx.files[S.file[p.sid]!]!;
      const src = S.dataOff[p.sid]! + p.inOff;
      out.set(f.data.subarray(src, src + p.size), secOff + p.outOff);
      const start = p.atom >= 0 ? A.relocStart[p.atom]! : S.relocStart[p.sid]!;
      const end = p.atom >= 0 ? A.relocEnd[p.atom]! : S.relocEnd[p.sid]!;
      for (let r = start; r < end; r++) {
        if (R.flags[r]! & RelocFlag.Bad) continue;
        if (R.flags[r]! & RelocFlag.Extern && !(R.flags[r]! & RelocFlag.Pair) && direct) {
          if (direct(r)) {
            const dt = scratch;
            const outOff = p.outOff + R.offset[r]! - p.inOff;
            const pcrel = (R.flags[r]! & RelocFlag.Pcrel) !== 0;
            if (dt.relax && !ctx.target.relaxLoad(out, secOff + outOff, R.type[r]!))
              ctx.diag.error(`${S.name(p.sid)} of ${f.path} at 0x${R.offset[r]!.toString(16)}: not a movq to relax`);
            ctx.target.relocateOne(
              view,
              secOff + outOff,
              dt.type,
              R.length[r]!,
              pcrel,
              dt.addr + R.addend[r]!,
              sec.addr + outOff,
              pcrel,
            );
            continue;
          }
        }
        if (R.flags[r]! & (RelocFlag.Extern | RelocFlag.Bad)) continue;
        const t = R.atom[r]!;
        if (t < 0 || A.out[t]! < 0) continue;
        const outOff = p.outOff + R.offset[r]! - p.inOff;
        const target = A.address[t]! + R.delta[r]!;
        const pcrel = (R.flags[r]! & RelocFlag.Pcrel) !== 0;
        const res = ctx.target.relocateOne(
          view,
          secOff + outOff,
          R.type[r]!,
          R.length[r]!,
          pcrel,
          pcrel ? target + R.addend[r]! : target,
          sec.addr + outOff,
          pcrel,
        );
        if (res !== RelocResult.Ok)
          ctx.diag.error(
            `${S.name(p.sid)} of ${f.path} at 0x${R.offset[r]!.toString(16)}: relocated value does not fit`,
          );
      }
    }
    if (sec.segname === "__TEXT" && sec.sectname === "__eh_frame") fixEhFrame(ctx, o, sec, view);
  }
  rebaseDwarf(ctx, o);
}

/** Per object, the base of its contribution to each debug section; its __debug_info rebased in place. */
function rebaseDwarf(ctx: LinkContext, o: ObjectFile): void {
  const S = ctx.sections;
  const find = (name: string): ObjectSection | undefined =>
    o.sections.find((s) => s.segname === "__DWARF" && s.sectname === name);
  const info = find("__debug_info");
  if (!info) return;
  const baseIn = (name: string, file: number): number => {
    const s = find(name);
    const p = s?.pieces.find((x) => S.file[x.sid] === file);
    return p ? p.outOff : 0;
  };
  for (const p of info.pieces) {
    const file = S.file[p.sid]!;
    const f = ctx.files[file]!;
    const ab = find("__debug_abbrev")?.pieces.find((x) => S.file[x.sid] === file);
    if (!ab) continue;
    const abBytes = f.data.subarray(S.dataOff[ab.sid]!, S.dataOff[ab.sid]! + S.size[ab.sid]!);
    const at = o.dataOff + info.addr + p.outOff;
    try {
      rebaseDebugInfo(o.out.subarray(at, at + p.size), abBytes, {
        info: p.outOff,
        abbrev: ab.outOff,
        str: baseIn("__debug_str", file),
        line: baseIn("__debug_line", file),
        ranges: baseIn("__debug_ranges", file),
        loc: baseIn("__debug_loc", file),
      });
    } catch (e) {
      ctx.diag.error(`${f.path}${f.member ? `(${f.member})` : ""}: __debug_info: ${(e as Error).message}`);
    }
  }
}

/**
 * `__eh_frame` records whose pc_begin (or LSDA pointer) is pc-relative and
 * carries no relocation: the displacement is recomputed from where the
 * record and its function now are. CIE pointers need nothing (an input's
 * records keep their relative places).
 */
function fixEhFrame(ctx: LinkContext, o: ObjectFile, sec: ObjectSection, view: DataView): void {
  const A = ctx.atoms;
  const S = ctx.sections;
  const R = ctx.relocs;
  const secOff = o.dataOff + sec.addr;
  let cies = new Map<number, EhCie>();
  let lastSid = -1;
  for (const p of sec.pieces) {
    if (p.atom < 0) continue;
    if (p.sid !== lastSid) {
      cies = new Map();
      lastSid = p.sid;
    }
    const f = ctx.files[S.file[p.sid]!]!;
    const rec = readEhRecord(f.data, f.view, S.dataOff[p.sid]!, p.inOff, p.size, cies);
    if (rec.kind !== "fde") continue;
    const hasReloc = (inOff: number): boolean => {
      for (let r = A.relocStart[p.atom]!; r < A.relocEnd[p.atom]!; r++) if (R.offset[r] === inOff) return true;
      return false;
    };
    const fix = (fieldIn: number, size: number, enc: number): void => {
      if (size !== 4 && size !== 8) return;
      if ((enc & 0x70) !== 0x10 || hasReloc(fieldIn)) return;
      const at = S.dataOff[p.sid]! + fieldIn;
      const stored = size === 8 ? Number(f.view.getBigInt64(at, true)) : f.view.getInt32(at, true);
      const targetIn = S.addr[p.sid]! + fieldIn + stored;
      const newTarget = mapInputAddress(ctx, o.plan, S.file[p.sid]!, targetIn);
      if (newTarget === undefined) return;
      const field = sec.addr + p.outOff + (fieldIn - p.inOff);
      const disp = newTarget - field;
      const w = secOff + p.outOff + (fieldIn - p.inOff);
      if (size === 8) view.setBigInt64(w, BigInt(disp), true);
      else view.setInt32(w, disp, true);
    };
    fix(rec.pcBeginOff, rec.pcSize, rec.cie.fdeEnc);
    if (rec.lsdaOff >= 0) fix(rec.lsdaOff, rec.lsdaSize, rec.cie.lsdaEnc);
  }
}

/** The output address of input address `addr` of object `file` (through the atom holding it), or undefined. */
function mapInputAddress(ctx: LinkContext, plan: ObjectPlan, file: number, addr: number): number | undefined {
  const S = ctx.sections;
  const A = ctx.atoms;
  const ob = ctx.files[file]!.object!;
  for (let sid = ob.firstSection; sid < ob.firstSection + ob.sectionCount; sid++) {
    const off = addr - S.addr[sid]!;
    if (off < 0 || off >= S.size[sid]!) continue;
    const a = atomAt(ctx, sid, off);
    if (a >= 0) return A.address[a]! + off - A.offset[a]!;
    if (a < 0 && !Number.isNaN(plan.base[sid]!)) return plan.base[sid]! + off;
  }
  return undefined;
}

/** Header, load commands, relocations, symbol and string tables. */
export function writeObjectHeader(ctx: LinkContext, o: ObjectFile): void {
  const out = o.out;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const { locals, extdefs, undefs } = o.symtab;
  let flags = 0;
  if (o.plan.subsections) flags |= MH_SUBSECTIONS_VIA_SYMBOLS;
  let off = writeMachHeader(view, 0, {
    magic: MH_MAGIC_64,
    cputype: ctx.target.cputype,
    cpusubtype: ctx.target.cpusubtype,
    filetype: MH_OBJECT,
    ncmds: 4 + o.linkerOptions.length + (o.dataInCode.length > 0 ? 1 : 0),
    sizeofcmds: o.sizeofcmds,
    flags,
  });
  let vmsize = 0;
  let fileEnd = o.dataOff;
  for (const s of o.sections) {
    vmsize = Math.max(vmsize, s.addr + s.size);
    if (!s.zerofill) fileEnd = Math.max(fileEnd, o.dataOff + s.addr + s.size);
  }
  off = writeSegment64(view, off, {
    segname: "",
    vmaddr: 0,
    vmsize,
    fileoff: o.dataOff,
    filesize: fileEnd - o.dataOff,
    maxprot: 7,
    initprot: 7,
    flags: 0,
    nsects: o.sections.length,
    sections: o.sections.map((s, i) => ({
      sectname: s.sectname,
      segname: s.segname,
      addr: s.addr,
      size: s.size,
      offset: s.zerofill ? 0 : o.dataOff + s.addr,
      align: s.align,
      reloff: o.reloff[i]!,
      nreloc: o.relocs[i]!.length / 2,
      flags: s.flags,
      reserved1: 0,
      reserved2: 0,
      reserved3: 0,
      index: i + 1,
    })),
  });
  off = writeBuildVersion(view, off, { ...o.platform, tools: [] });
  for (const opts of o.linkerOptions) off = writeLinkerOptionCommand(view, off, opts);
  const nsyms = locals.length + extdefs.length + undefs.length;
  off = writeSymtabCommand(view, off, { symoff: o.symoff, nsyms, stroff: o.stroff, strsize: o.strsize });
  off = writeDysymtabCommand(view, off, {
    ilocalsym: 0,
    nlocalsym: locals.length,
    iextdefsym: locals.length,
    nextdefsym: extdefs.length,
    iundefsym: locals.length + extdefs.length,
    nundefsym: undefs.length,
    tocoff: 0,
    ntoc: 0,
    modtaboff: 0,
    nmodtab: 0,
    extrefsymoff: 0,
    nextrefsyms: 0,
    indirectsymoff: 0,
    nindirectsyms: 0,
    extreloff: 0,
    nextrel: 0,
    locreloff: 0,
    nlocrel: 0,
  });
  if (o.dataInCode.length > 0)
    off = writeLinkeditDataCommand(view, off, LC_DATA_IN_CODE, o.diceoff, o.dataInCode.length);
  if (off !== 32 + o.sizeofcmds) throw new Error(`load commands are ${off - 32} bytes, planned ${o.sizeofcmds}`);
  o.relocs.forEach((words, i) => {
    let at = o.reloff[i]!;
    for (let k = 0; k < words.length; k += 2) {
      view.setUint32(at, words[k]!, true);
      view.setUint32(at + 4, words[k + 1]!, true);
      at += 8;
    }
  });
  [...locals, ...extdefs, ...undefs].forEach((s, i) => {
    writeNlist(view, o.symoff + i * 16, o.strx[i]!, s.type, s.sect, s.desc, s.value);
  });
  out.set(o.dataInCode, o.diceoff);
  out.set(o.strtab, o.stroff);
}

/** Writes the object: a temporary file renamed into place. */
export function saveObject(ctx: LinkContext, o: ObjectFile): void {
  try {
    saveAtomically(ctx.options.output, o.out);
  } catch (e) {
    ctx.diag.error(`cannot write ${ctx.options.output}: ${osErrorText(e)}`);
  }
}

/**
 * Go's `go.o` when dynamically linking: a reference to a symbol the object
 * itself defines (a section marker, a non-weak definition) must resolve
 * inside the module. Named by its global, the host linker would bind it by
 * flat lookup (`-flat_namespace` makes every exported definition of a dylib
 * interposable), and dyld would hand a plugin the host's copy (the seed's
 * markers). Go's `machoreloc1` writes such references section-relative;
 * how depends on the target (`TargetInfo.sectionPcrelType`):
 * - x86_64: a section-relative relocation, its bytes holding the target
 *   (`directTargets`). GOT loads become address computations (movq → leaq,
 *   SIGNED); branches become SIGNED (linkers take BRANCH only extern; the
 *   displacement is the same).
 * - arm64: instruction fields have no section-relative form (ld64 and lld
 *   read their targets only from a symbol and an ADDEND), so the relocation
 *   stays as it is, extern, but names a local label at the target
 *   (`ltmp.NAME`, as LLVM's assembler names its section-start `ltmpN`):
 *   local symbols are never interposable, and `l` labels never reach the
 *   image's symbol table.
 * TLV references, pointers to GOT slots (`__eh_frame` personalities), weak
 * definitions and differences stay as they are.
 */
const scratch = { sym: 0, section: 0, addr: 0, type: 0, relax: false };

/**
 * The test shared by both ways: extern relocation `row` names a symbol the
 * object defines, by a kind that can be resolved inside the module; answers
 * true with the symbol, its output section and address in `scratch`.
 * Undefined when not writing a dynamically linked `go.o`.
 */
function ownReferences(ctx: LinkContext, plan: ObjectPlan): ((row: number) => boolean) | undefined {
  if (!ctx.options.goObject || !ctx.dynlinking) return undefined;
  const R = ctx.relocs;
  const T = ctx.syms;
  const A = ctx.atoms;
  const attrs = ctx.target.relocAttrs;
  const markers = new Map(plan.markers.map((m) => [m.sym, m] as const));
  return (row) => {
    const flags = R.flags[row]!;
    if (!(flags & RelocFlag.Extern) || flags & (RelocFlag.Pair | RelocFlag.Bad)) return false;
    const s = R.sym[row]!;
    const a = attrs[R.type[row]!] ?? 0;
    if (a & RelocAttr.Tlv || (a & RelocAttr.Got && !(a & RelocAttr.Load))) return false;
    const m = markers.get(s);
    if (m) {
      scratch.section = m.section;
      scratch.addr = m.value;
    } else if (T.kind[s] === SymKind.Defined && T.atom[s]! >= 0 && !T.has(s, SymFlag.WeakDef)) {
      const at = T.atom[s]!;
      scratch.section = A.out[at]!;
      scratch.addr = A.address[at]! + T.value[s]!;
    } else return false;
    scratch.sym = s;
    return true;
  };
}

/** x86_64's way (see above): the test, with the section-relative type and whether to relax in `scratch`. */
function directTargets(ctx: LinkContext, plan: ObjectPlan): ((row: number) => boolean) | undefined {
  const signed = ctx.target.sectionPcrelType;
  if (signed < 0) return undefined;
  const own = ownReferences(ctx, plan);
  if (!own) return undefined;
  const R = ctx.relocs;
  const attrs = ctx.target.relocAttrs;
  return (row) => {
    if (!own(row)) return false;
    const type = R.type[row]!;
    const a = attrs[type] ?? 0;
    // ld64 and lld take branches only extern; a call's displacement is a SIGNED one.
    scratch.relax = (a & RelocAttr.Got) !== 0;
    scratch.type = scratch.relax || a & RelocAttr.Branch ? signed : type;
    return true;
  };
}

/** arm64's way (see above): the test, when references to the object's own symbols name local labels. */
function labelTargets(ctx: LinkContext, plan: ObjectPlan): ((row: number) => boolean) | undefined {
  return ctx.target.sectionPcrelType < 0 ? ownReferences(ctx, plan) : undefined;
}
