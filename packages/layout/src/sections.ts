/**
 * Output sections: which input sections go where, in what order, and the
 * atoms the linker itself contributes (commons, Go section markers).
 *
 * Placement follows ld64 and lld (`OutputSegment.cpp` `sectionOrder`):
 * `__TEXT` (`__text`, `__stubs`, `__stub_helper`, constants and literals,
 * `__unwind_info`, `__eh_frame`), `__DATA_CONST` (`__got`, `__const`,
 * `__mod_init_func`: data with pointers that is read-only after fixups),
 * `__DATA` (`__la_symbol_ptr`, `__data`, …, TLV descriptors and template,
 * then zerofill: `__thread_bss`, `__common`, `__bss`). `__DATA,__const`
 * becomes `__DATA_CONST,__const`; read-only `__TEXT` data that needs rebases
 * moves there too, so `__TEXT` never carries fixups.
 *
 * Within a data section, atoms are ordered as Go's `dodataSect` does: by
 * size, then name, with the section's start marker first and end marker last.
 *
 * Go's section markers (`runtime.text`/`runtime.etext`, … see objfile's
 * GO_MARKERS for the mapping) are zero-sized addresses at the start and end
 * of their section, except when dynamically linking (plugins): then, per the
 * seed change, start and end markers are real 8-byte atoms at the head and
 * tail, so no marker shares an address with a symbol of another module and
 * dyld cannot confuse them.
 */
import {
  AtomFlag,
  type AtomId,
  type LinkContext,
  type OutputSection,
  RelocAttr,
  RelocFlag,
  SymFlag,
  SymKind,
} from "@tsld/core";
import {
  S_ATTR_PURE_INSTRUCTIONS,
  S_ATTR_SOME_INSTRUCTIONS,
  S_LAZY_SYMBOL_POINTERS,
  S_INIT_FUNC_OFFSETS,
  S_MOD_INIT_FUNC_POINTERS,
  S_MOD_TERM_FUNC_POINTERS,
  S_NON_LAZY_SYMBOL_POINTERS,
  S_REGULAR,
  S_SYMBOL_STUBS,
  S_THREAD_LOCAL_REGULAR,
  S_THREAD_LOCAL_VARIABLE_POINTERS,
  S_THREAD_LOCAL_ZEROFILL,
  S_ZEROFILL,
  isZerofill,
  sectionType,
} from "@tsld/macho-format";
import { GO_MARKERS } from "@tsld/objfile";
import { chainedFixups, needsRebase } from "./dyn.js";
import { InitOffsetsSection } from "./synthetic.js";

const SEGMENT_ORDER = ["__PAGEZERO", "__TEXT", "__DATA_CONST", "__DATA"];

function sectionRank(seg: string, sect: string, flags: number): number {
  const zf = isZerofill(flags);
  // The TLV template is one block: its initial data, then its zero fill, adjacent.
  if (seg === "__DATA" && sectionType(flags) === S_THREAD_LOCAL_REGULAR) return 12;
  if (seg === "__DATA" && sectionType(flags) === S_THREAD_LOCAL_ZEROFILL) return 20;
  if (seg === "__TEXT") {
    const r: Record<string, number> = {
      __text: 0,
      __stubs: 1,
      __stub_helper: 2,
      __gcc_except_tab: 8,
      __unwind_info: 9,
      __eh_frame: 10,
    };
    return r[sect] ?? 5;
  }
  if (seg === "__DATA_CONST")
    return ({ __got: 0, __const: 1, __mod_init_func: 2, __mod_term_func: 3 } as Record<string, number>)[sect] ?? 4;
  if (seg === "__DATA") {
    if (zf)
      return ({ __thread_bss: 20, __common: 22, __bss: 23, __noptrbss: 24 } as Record<string, number>)[sect] ?? 21;
    return (
      (
        {
          __la_symbol_ptr: 0,
          __data: 1,
          __noptrdata: 2,
          __thread_vars: 10,
          __thread_ptrs: 11,
          __thread_data: 12,
        } as Record<string, number>
      )[sect] ?? 5
    );
  }
  return zf ? 20 : 5;
}

/**
 * The output section a `section$start$SEG$SECT` / `section$end$SEG$SECT`
 * symbol bounds, after the renaming inputs get (`__DATA,__const` and the
 * initializer lists live in `__DATA_CONST`); undefined for other names.
 */
export function boundarySection(name: string): [string, string] | undefined {
  if (!name.startsWith("section$start$") && !name.startsWith("section$end$")) return undefined;
  const [, , seg = "", sect = ""] = name.split("$");
  if (seg === "" || sect === "") return undefined;
  if (seg === "__DATA" && (sect === "__const" || sect === "__mod_init_func" || sect === "__mod_term_func"))
    return ["__DATA_CONST", sect];
  return [seg, sect];
}

/** The segment a `segment$start$SEG` / `segment$end$SEG` symbol bounds; undefined for other names. */
export function boundarySegment(name: string): string | undefined {
  if (!name.startsWith("segment$start$") && !name.startsWith("segment$end$")) return undefined;
  const seg = name.split("$")[2] ?? "";
  return seg === "" ? undefined : seg;
}

/** Output segment and section names for an input section. */
function outputName(ctx: LinkContext, sid: number): [string, string] {
  const seg = ctx.sections.segnames[sid]!;
  const sect = ctx.sections.sectnames[sid]!;
  const type = sectionType(ctx.sections.flags[sid]!);
  if (
    seg === "__DATA" &&
    (sect === "__const" || type === S_MOD_INIT_FUNC_POINTERS || type === S_MOD_TERM_FUNC_POINTERS)
  )
    return ["__DATA_CONST", sect];
  if (
    seg === "__TEXT" &&
    !(ctx.sections.flags[sid]! & (S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS)) &&
    hasPointers(ctx, sid)
  )
    return ["__DATA_CONST", "__const"];
  return [seg, sect];
}

/** Whether a read-only section holds absolute pointers that would need rebasing. */
function hasPointers(ctx: LinkContext, sid: number): boolean {
  if (!needsRebase(ctx)) return false;
  const R = ctx.relocs;
  const attrs = ctx.target.relocAttrs;
  // A pair (SUBTRACTOR/UNSIGNED) is a difference, not a pointer.
  for (let r = ctx.sections.relocStart[sid]!; r < ctx.sections.relocEnd[sid]!; r++)
    if (!(R.flags[r]! & RelocFlag.Pair) && (attrs[R.type[r]!] ?? 0) & RelocAttr.Pointer && R.length[r] === 3)
      return true;
  return false;
}

export class SectionMap {
  readonly byName = new Map<string, OutputSection>();

  get(seg: string, sect: string, flags: number, align = 0): OutputSection {
    const key = `${seg},${sect}`;
    let o = this.byName.get(key);
    if (!o) {
      o = {
        id: -1,
        segname: seg,
        sectname: sect,
        flags,
        align,
        addr: 0,
        size: 0,
        fileOff: 0,
        atoms: [],
        synthetic: "none",
        segment: -1,
        reserved1: 0,
        reserved2: 0,
      };
      this.byName.set(key, o);
    } else if (align > o.align) o.align = align;
    return o;
  }
}

/** Creates atoms for commons; they become ordinary zerofill data. */
export function allocateCommons(ctx: LinkContext): void {
  const T = ctx.syms;
  let sid = -1;
  for (const s of T.globals()) {
    if (T.kind[s] !== SymKind.Common) continue;
    if (sid < 0) {
      sid = ctx.sections.add(-1, "__DATA", "__common");
      ctx.sections.flags[sid] = S_ZEROFILL;
      ctx.sections.firstAtom[sid] = ctx.atoms.count;
    }
    const a = ctx.atoms.add(
      sid,
      T.file[s]!,
      0,
      T.size[s]!,
      T.align[s]!,
      AtomFlag.Live | AtomFlag.Zerofill | AtomFlag.Synthetic,
    );
    ctx.atoms.relocStart[a] = ctx.atoms.relocEnd[a] = 0;
    ctx.atoms.symbol[a] = s;
    T.define(s, T.file[s]!, a, 0);
  }
  if (sid >= 0) ctx.sections.atomCount[sid] = ctx.atoms.count - ctx.sections.firstAtom[sid]!;
}

/** Markers laid out as real 8-byte atoms (dynamically linked images). */
export function markersAsAtoms(ctx: LinkContext): boolean {
  return ctx.dynlinking && ctx.options.markersAsSymbols;
}

/** Go markers that become real atoms when dynamically linking (the seed's list; also -r's go.o). */
export const REAL_MARKERS = new Set([
  "runtime.text",
  "runtime.data",
  "runtime.bss",
  "runtime.noptrdata",
  "runtime.noptrbss",
  "runtime.types",
]);

/** Puts every live atom into its output section and orders sections and atoms. */
export function assignSections(ctx: LinkContext, map: SectionMap): void {
  const S = ctx.sections;
  const A = ctx.atoms;
  const T = ctx.syms;
  const initOffsets = chainedFixups(ctx);
  let initCount = 0;
  for (let sid = 0; sid < S.count; sid++) {
    const first = S.firstAtom[sid]!;
    const n = S.atomCount[sid]!;
    if (first < 0 || n === 0) continue;
    const [seg, sect] = outputName(ctx, sid);
    if (initOffsets && sectionType(S.flags[sid]!) === S_MOD_INIT_FUNC_POINTERS) {
      // Initializer pointers become 32-bit offsets in __TEXT (no fixups), as lld does.
      for (let a = first; a < first + n; a++) {
        if (!(A.flags[a]! & AtomFlag.Live) || A.flags[a]! & AtomFlag.Folded) continue;
        ctx.initFuncAtoms.push(a);
        initCount += Math.floor(A.size[a]! / 8);
      }
      continue;
    }
    let o: OutputSection | undefined;
    for (let a = first; a < first + n; a++) {
      if (!(A.flags[a]! & AtomFlag.Live) || A.flags[a]! & AtomFlag.Folded) continue;
      o ??= map.get(seg, sect, S.flags[sid]!);
      if (A.align[a]! > o.align) o.align = A.align[a]!;
      A.out[a] = -2; // assigned below
      o.atoms.push(a);
    }
  }

  if (initCount > 0) {
    const o = map.get("__TEXT", "__init_offsets", S_INIT_FUNC_OFFSETS, 2);
    o.synthetic = "init_offsets";
    o.chunk = new InitOffsetsSection(ctx, initCount);
    o.size = o.chunk.size();
  }

  // Go markers: real atoms at head and tail when dynamically linking.
  const real = markersAsAtoms(ctx);
  const heads = new Map<string, AtomId>();
  const tails = new Map<string, AtomId>();
  for (const m of GO_MARKERS) {
    for (const [name, isStart] of [
      [m.start, true],
      [m.end, false],
    ] as const) {
      const s = T.lookup(name);
      if (s === 0 || T.kind[s] !== SymKind.Synthetic) continue;
      const zf = m.section === "__bss" || m.section === "__noptrbss";
      const flags = m.section === "__text" ? S_REGULAR | S_ATTR_PURE_INSTRUCTIONS : zf ? S_ZEROFILL : S_REGULAR;
      // The section exists whenever a marker bounds it, even if empty.
      map.get(m.segment, m.section, flags, 3);
      if (!real || !REAL_MARKERS.has(m.start)) continue;
      const sid = S.add(-1, m.segment, m.section);
      S.flags[sid] = flags;
      S.firstAtom[sid] = A.count;
      S.atomCount[sid] = 1;
      const a = A.add(sid, -1, 0, 8, 3, AtomFlag.Live | AtomFlag.Synthetic | (zf ? AtomFlag.Zerofill : 0));
      A.symbol[a] = s;
      T.kind[s] = SymKind.Defined;
      T.atom[s] = a;
      T.value[s] = 0;
      T.set(s, SymFlag.Marker);
      (isStart ? heads : tails).set(`${m.segment},${m.section}`, a);
    }
  }

  // section$start/end$SEG$SECT of a section no live input provides: an empty
  // section, so both name one address inside the image (as ld64 and lld do).
  for (const s of T.globals()) {
    if (T.kind[s] !== SymKind.Synthetic) continue;
    const b = boundarySection(T.name(s));
    if (b) map.get(b[0], b[1], S_REGULAR);
  }

  const rank = orderRanks(ctx);
  for (const o of map.byName.values()) {
    const key = `${o.segname},${o.sectname}`;
    if (isDataSection(o)) sortData(ctx, o);
    if (rank) applyOrder(o, rank);
    const h = heads.get(key);
    const t = tails.get(key);
    if (h !== undefined) o.atoms.unshift(h);
    if (t !== undefined) o.atoms.push(t);
  }
}

/**
 * The order file's symbol names for this link, in order: a line with an
 * arch prefix (`arm64:_f`, ld64's syntax) counts only in a link for that
 * arch, and is named without the prefix.
 */
function orderNames(ctx: LinkContext): string[] {
  const names: string[] = [];
  for (const line of ctx.options.order) {
    const m = ORDER_ARCH.exec(line);
    if (m === null) names.push(line);
    else if (m[1] === ctx.options.arch) names.push(line.slice(m[0].length));
  }
  return names;
}
const ORDER_ARCH = /^(x86_64h?|arm64e?|arm64_32|i386|ppc|armv[67][a-z]*):/;

/** `-order_file`: atom → its first symbol's line in the order file (atoms of unlisted symbols absent). */
function orderRanks(ctx: LinkContext): Map<AtomId, number> | undefined {
  const names = orderNames(ctx);
  if (names.length === 0) return undefined;
  const T = ctx.syms;
  const A = ctx.atoms;
  const rank = new Map<AtomId, number>();
  names.forEach((name, i) => {
    const s = T.lookup(name);
    if (s === 0 || T.kind[s] !== SymKind.Defined) return;
    const a = A.foldedInto[T.atom[s]!]!;
    if (!rank.has(a)) rank.set(a, i);
  });
  // Locals (static functions) are found by name too, as ld64 does.
  if (rank.size < names.length) {
    const want = new Map(names.map((n, i) => [n, i] as const));
    for (let s = 1; s < T.count; s++) {
      if (T.kind[s] !== SymKind.Defined) continue;
      const i = want.get(T.name(s));
      if (i === undefined) continue;
      const a = A.foldedInto[T.atom[s]!]!;
      if (!rank.has(a) || rank.get(a)! > i) rank.set(a, i);
    }
  }
  return rank;
}

/** Listed atoms first, in the order file's order; the rest after them in their usual order (ld64). */
function applyOrder(o: OutputSection, rank: Map<AtomId, number>): void {
  if (!o.atoms.some((a) => rank.has(a))) return;
  const listed = o.atoms.filter((a) => rank.has(a)).sort((x, y) => rank.get(x)! - rank.get(y)!);
  const rest = o.atoms.filter((a) => !rank.has(a));
  o.atoms.length = 0;
  o.atoms.push(...listed, ...rest);
}

function isDataSection(o: OutputSection): boolean {
  if (o.segname !== "__DATA" && o.segname !== "__DATA_CONST") return false;
  const t = sectionType(o.flags);
  if (t === S_MOD_INIT_FUNC_POINTERS || t === S_MOD_TERM_FUNC_POINTERS) return false;
  if (t === S_THREAD_LOCAL_ZEROFILL || (t >= 0x11 && t <= 0x15)) return false;
  if (
    t === S_NON_LAZY_SYMBOL_POINTERS ||
    t === S_LAZY_SYMBOL_POINTERS ||
    t === S_SYMBOL_STUBS ||
    t === S_THREAD_LOCAL_VARIABLE_POINTERS
  )
    return false;
  return true;
}

/** Go's dodataSect order: size, then name (then input order, for determinism). */
function sortData(ctx: LinkContext, o: OutputSection): void {
  const A = ctx.atoms;
  const T = ctx.syms;
  const keyName = (a: AtomId): string => (A.symbol[a]! > 0 ? T.name(A.symbol[a]!) : "");
  const sortable = o.atoms.every(
    (a) => A.file[a]! < 0 || ctx.files[A.file[a]!]?.object?.subsectionsViaSymbols !== false,
  );
  if (!sortable) return;
  o.atoms.sort((x, y) => {
    const d = A.size[x]! - A.size[y]!;
    if (d !== 0) return d;
    const nx = keyName(x);
    const ny = keyName(y);
    return nx < ny ? -1 : nx > ny ? 1 : x - y;
  });
}

/** Sorted output sections, grouped by segment in ld64's order. */
export function orderedSections(map: SectionMap): OutputSection[] {
  const segRank = (s: string): number => {
    const i = SEGMENT_ORDER.indexOf(s);
    return i >= 0 ? i : 10;
  };
  return [...map.byName.values()].sort((a, b) => {
    const d = segRank(a.segname) - segRank(b.segname);
    if (d !== 0) return d;
    if (a.segname !== b.segname) return a.segname < b.segname ? -1 : 1;
    const r = sectionRank(a.segname, a.sectname, a.flags) - sectionRank(b.segname, b.sectname, b.flags);
    if (r !== 0) return r;
    return a.sectname < b.sectname ? -1 : a.sectname > b.sectname ? 1 : 0;
  });
}
