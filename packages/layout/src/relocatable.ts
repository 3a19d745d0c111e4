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
 * Folded literals (equal C strings, 4/8/16-byte literals) are laid out once,
 * at their canonical atom. Sections without atoms (`S_ATTR_DEBUG`,
 * `__LD,__compact_unwind`) are placed whole. Accelerator tables
 * (`__DWARF,__apple_*`) of more than one object are dropped.
 *
 * The result, an `ObjectPlan`, is what macho's relocatable writer reads; the
 * atoms' `address` and `out` columns hold their output address and section.
 */
import { AtomFlag, type AtomId, type LinkContext, type SectionId } from "@tsld/core";
import { isZerofill } from "@tsld/macho-format";

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

export interface ObjectPlan {
  sections: ObjectSection[];
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
    // section (an FDE's CIE pointer) stay right; folded literals close up.
    let firstPiece = true;
    for (let a = first; a < first + n; a++) {
      if (A.flags[a]! & AtomFlag.Folded) continue;
      const pos = alignTo(sec.size, 2 ** (firstPiece ? Math.max(S.align[sid]!, A.align[a]!) : A.align[a]!));
      firstPiece = false;
      sec.pieces.push({ sid, atom: a, inOff: A.offset[a]!, outOff: pos, size: A.size[a]! });
      A.out[a] = out;
      A.address[a] = pos; // section-relative until the sections are placed
      sec.size = pos + A.size[a]!;
    }
    if (n === 0) sec.size = alignTo(sec.size, 2 ** S.align[sid]!);
  }
  // Addresses: sections back to back, each at its alignment.
  let addr = 0;
  for (const s of sections) {
    addr = alignTo(addr, 2 ** s.align);
    s.addr = addr;
    addr += s.size;
    for (const p of s.pieces) if (p.atom >= 0) A.address[p.atom] = s.addr + p.outOff;
  }
  for (let sid = 0; sid < S.count; sid++) if (outOf[sid]! >= 0) base[sid] = base[sid]! + sections[outOf[sid]!]!.addr;
  // Folded literals live at their canonical atom.
  for (let a = 0; a < A.count; a++) {
    if (!(A.flags[a]! & AtomFlag.Folded)) continue;
    const c = A.foldedInto[a]!;
    A.address[a] = A.address[c]!;
    A.out[a] = A.out[c]!;
  }
  return { sections, outOf, base, subsections };
}

function alignTo(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
