/**
 * Layout for relocatable output (`-r`): where every input section and atom
 * lands in the one `MH_OBJECT` the link writes (ld64's `-r`, Go's `go.o`).
 *
 * An object has a single address space of sections, no segments, no
 * synthetic sections: output sections are the inputs' sections merged by
 * (segment, section) name, in the order the names first appear, zerofill
 * ones last (their addresses follow every section with bytes, as assemblers
 * place them). Within a section, each input's atoms follow in input order,
 * each at its own alignment, so an input section keeps its internal layout
 * (atoms of one section sit at offsets their alignments already satisfy).
 * Literals are not folded: equal C strings of two inputs both stay (the final
 * link folds them), so an input section keeps its bytes exactly and a second
 * `-r` of the output writes the same bytes (folding would move strings whose
 * alignment comes from where an earlier `-r` put them). Sections without atoms (`S_ATTR_DEBUG`,
 * `__LD,__compact_unwind`) are placed whole. Accelerator tables
 * (`__DWARF,__apple_*`) of more than one object are dropped.
 *
 * Go's `go.o` (option `goObject`, hostlink's external link): each referenced
 * section marker pair (`runtime.text`/`runtime.etext`, …) is defined in the
 * section it bounds, the start marker at its head, the end marker at its
 * tail, as Go's `dodataSect` and `textaddress` lay them out; when
 * dynamically linking the seed's markers are real 8-byte symbols (as the
 * image's layout makes them), so no other symbol shares their address. The object then lacks
 * MH_SUBSECTIONS_VIA_SYMBOLS, as Go's does: each section stays one piece in
 * the host link, so the markers keep bounding it. A plugin under
 * `-no_plugin_markers` (testing: life before the seed change) defines none.
 *
 * The result, an `ObjectPlan`, is what macho's relocatable writer reads; the
 * atoms' `address` and `out` columns hold their output address and section.
 */
import { type AtomId, type LinkContext, type SectionId, SymKind, type SymbolId } from "@tsld/core";
import {
  S_ATTR_PURE_INSTRUCTIONS,
  S_ATTR_SOME_INSTRUCTIONS,
  S_REGULAR,
  S_ZEROFILL,
  isZerofill,
} from "@tsld/macho-format";
import { GO_MARKERS } from "@tsld/objfile";
import { REAL_MARKERS, markersAsAtoms } from "./sections.js";

/** One placed piece of an output section: an atom, or a whole input section (`atom` -1). */
export interface ObjectPiece {
  sid: SectionId;
  atom: AtomId;
  /** Offset of the piece in its input section. */
  inOff: number;
  /** Offset of the piece in its output section. */
  outOff: number;
  size: number;
}

/** One `section_64` of the output object. */
export interface ObjectSection {
  segname: string;
  sectname: string;
  /** Type of the first input, attributes of all of them (S_ATTR_* OR'd). */
  flags: number;
  /** log2 alignment: the largest of the inputs'. */
  align: number;
  addr: number;
  size: number;
  zerofill: boolean;
  /** Pieces in output order. */
  pieces: ObjectPiece[];
}

/** A Go section marker the object defines: its section (index) and address. */
export interface ObjectMarker {
  sym: SymbolId;
  section: number;
  value: number;
}

export interface ObjectPlan {
  sections: ObjectSection[];
  /** Go's section markers defined in the object (`goObject`), with their addresses. */
  markers: ObjectMarker[];
  /** Output section index (0-based; ordinal - 1) per input section id, -1 for none. */
  outOf: Int32Array;
  /** Output offset of input section offset 0, per input section id (whole pieces; NaN otherwise). */
  base: Float64Array;
  /** Whether every input object has MH_SUBSECTIONS_VIA_SYMBOLS. */
  subsections: boolean;
}

const SECTION_TYPE = 0xff;

/** Plans the merged sections of a `-r` link; sets every atom's output address. */
export function planObjectSections(ctx: LinkContext): ObjectPlan {
  const S = ctx.sections;
  const A = ctx.atoms;
  const byName = new Map<string, ObjectSection>();
  const order: ObjectSection[] = [];
  const outOf = new Int32Array(S.count).fill(-1);
  const base = new Float64Array(S.count).fill(Number.NaN);
  let subsections = true;
  const inputs: { sec: ObjectSection; sid: SectionId }[] = [];
  for (const f of ctx.files) {
    if (f.kind !== "object" || !f.object) continue;
    if (!f.object.subsectionsViaSymbols) subsections = false;
    const ob = f.object;
    for (let sid = ob.firstSection; sid < ob.firstSection + ob.sectionCount; sid++) {
      const key = `${S.segnames[sid]}\0${S.sectnames[sid]}`;
      let sec = byName.get(key);
      const flags = S.flags[sid]!;
      if (!sec) {
        sec = {
          segname: S.segnames[sid]!,
          sectname: S.sectnames[sid]!,
          flags,
          align: 0,
          addr: 0,
          size: 0,
          zerofill: isZerofill(flags),
          pieces: [],
        };
        byName.set(key, sec);
        order.push(sec);
      } else if ((sec.flags & SECTION_TYPE) !== (flags & SECTION_TYPE)) {
        ctx.diag.error(
          `${f.path}${f.member ? `(${f.member})` : ""}: section ${S.name(sid)} has type 0x${(flags & SECTION_TYPE).toString(16)}, but an earlier input's has 0x${(sec.flags & SECTION_TYPE).toString(16)}`,
        );
        continue;
      } else sec.flags |= flags & ~SECTION_TYPE;
      sec.align = Math.max(sec.align, S.align[sid]!);
      inputs.push({ sec, sid });
    }
  }
  // Go's markers: sections made if absent, room for the 8-byte start markers reserved first.
  const T = ctx.syms;
  const pending: { sym: SymbolId; sec: ObjectSection; head: boolean; size: number }[] = [];
  // A plugin under -no_plugin_markers leaves its markers undefined, as before the seed change
  // (internal linking does the same): the host link makes them flat lookups, which find the host's.
  const flatMarkers = ctx.options.buildmode === "plugin" && !ctx.options.markersAsSymbols;
  if (ctx.options.goObject && !flatMarkers) {
    const real = markersAsAtoms(ctx);
    for (const m of GO_MARKERS) {
      const start = T.lookup(m.start);
      const end = T.lookup(m.end);
      const wanted = (x: SymbolId): boolean => x !== 0 && T.kind[x] === SymKind.Undefined;
      if (!wanted(start) && !wanted(end)) continue;
      const key = `${m.segment}\0${m.section}`;
      let sec = byName.get(key);
      if (!sec) {
        const zf = m.section === "__bss" || m.section === "__noptrbss";
        const flags =
          m.section === "__text"
            ? S_REGULAR | S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS
            : zf
              ? S_ZEROFILL
              : S_REGULAR;
        sec = { segname: m.segment, sectname: m.section, flags, align: 3, addr: 0, size: 0, zerofill: zf, pieces: [] };
        byName.set(key, sec);
        order.push(sec);
      }
      sec.align = Math.max(sec.align, 3);
      const sym = T.intern(m.start);
      const size = real && REAL_MARKERS.has(m.start) ? 8 : 0;
      sec.size = size;
      pending.push({ sym, sec, head: true, size }, { sym: T.intern(m.end), sec, head: false, size });
    }
    if (pending.length > 0) subsections = false;
  }
  // Apple's accelerator tables (`__apple_names`, …) index one object's
  // __debug_info and __debug_str; several objects' cannot be concatenated
  // and are dropped (the image's dwarf stage drops them too).
  const contributors = new Map<ObjectSection, Set<number>>();
  for (const { sec, sid } of inputs) {
    let set = contributors.get(sec);
    if (!set) contributors.set(sec, (set = new Set()));
    set.add(S.file[sid]!);
  }
  const dropped = (s: ObjectSection): boolean =>
    s.segname === "__DWARF" && s.sectname.startsWith("__apple_") && contributors.get(s)!.size > 1;
  // Zerofill sections last: their addresses follow every section with bytes.
  const kept = order.filter((s) => !dropped(s));
  const sections = [...kept.filter((s) => !s.zerofill), ...kept.filter((s) => s.zerofill)];
  const index = new Map(sections.map((s, i) => [s, i]));
  for (const { sec, sid } of inputs) {
    const out = index.get(sec);
    if (out === undefined) continue;
    outOf[sid] = out;
    const first = S.firstAtom[sid]!;
    const n = first < 0 ? 0 : S.atomCount[sid]!;
    if (n === 0 && first < 0) {
      // A section without atoms: placed whole, at its own alignment.
      const at = alignTo(sec.size, 2 ** S.align[sid]!);
      sec.pieces.push({ sid, atom: -1, inOff: 0, outOff: at, size: S.size[sid]! });
      base[sid] = at;
      sec.size = at + S.size[sid]!;
      continue;
    }
    // The input section's first atom at the section's alignment keeps the
    // others where their input offsets put them (each offset already meets
    // its atom's alignment), so unrelocated references inside one input
    // section (an FDE's CIE pointer) stay right.
    let firstPiece = true;
    for (let a = first; a < first + n; a++) {
      // An atom's own alignment, as objfile cut it (literal folding may have
      // raised a canonical literal's, which -r does not fold).
      const own = A.offset[a] === 0 ? S.align[sid]! : Math.min(S.align[sid]!, ctz(A.offset[a]!));
      const pos = alignTo(sec.size, 2 ** (firstPiece ? S.align[sid]! : own));
      firstPiece = false;
      sec.pieces.push({ sid, atom: a, inOff: A.offset[a]!, outOff: pos, size: A.size[a]! });
      A.out[a] = out;
      A.address[a] = pos; // section-relative until the sections are placed
      sec.size = pos + A.size[a]!;
    }
    if (n === 0) sec.size = alignTo(sec.size, 2 ** S.align[sid]!);
  }
  // End markers at the tail (8 bytes too when real, as the image's layout makes them).
  const markers = pending.map((p) => {
    let value = 0;
    if (!p.head) {
      value = alignTo(p.sec.size, 8);
      p.sec.size = value + p.size;
    }
    return { sym: p.sym, section: index.get(p.sec)!, value };
  });
  // Addresses: sections back to back, each at its alignment.
  let addr = 0;
  for (const s of sections) {
    addr = alignTo(addr, 2 ** s.align);
    s.addr = addr;
    addr += s.size;
    for (const p of s.pieces) if (p.atom >= 0) A.address[p.atom] = s.addr + p.outOff;
  }
  for (let sid = 0; sid < S.count; sid++) if (outOf[sid]! >= 0) base[sid] = base[sid]! + sections[outOf[sid]!]!.addr;
  for (const m of markers) m.value += sections[m.section]!.addr;
  return { sections, markers, outOf, base, subsections };
}

function alignTo(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function ctz(n: number): number {
  let k = 0;
  while (k < 15 && (n & (1 << k)) === 0) k++;
  return k;
}
