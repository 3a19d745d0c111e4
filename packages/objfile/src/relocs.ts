/**
 * The one relocation decoder: a section's `relocation_info` entries
 * (`mach-o/reloc.h`) into `LinkContext.relocs` rows (see core's relocs.ts),
 * once, when its object is loaded. Targets are resolved here: extern ones to
 * the symbol id, section-relative ones (whose bytes hold the target's input
 * address) to the atom holding that address; embedded addends are read
 * through the target's `readAddend`; each SUBTRACTOR and its UNSIGNED
 * partner become one `Pair` row; an explicit-addend entry (arm64's
 * `ARM64_RELOC_ADDEND`, attribute `Addend`) becomes no row: its
 * `r_symbolnum` is the addend of the relocation after it.
 *
 * Rows of a section with atoms are sorted by address (assemblers write them
 * in descending order, a SUBTRACTOR or ADDEND just before its partner) and
 * handed out to its atoms as ranges; sections without atoms keep the
 * object's order.
 */
import { type InputFile, type LinkContext, RelocAttr, RelocFlag, fileName } from "@tsld/core";
import {
  isZerofill,
  rExtern,
  rLength,
  rPcrel,
  rSymbolnum,
  rType,
  relocAddress,
  relocInfoWord,
  relocIsScattered,
} from "@tsld/macho-format";

/** The atom of section `sid` that holds section offset `off` (binary search), or -1. */
export function findAtom(ctx: LinkContext, sid: number, off: number): number {
  const A = ctx.atoms;
  const first = ctx.sections.firstAtom[sid]!;
  const n = ctx.sections.atomCount[sid]!;
  if (first < 0 || n === 0) return -1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (A.offset[first + mid]! <= off) lo = mid;
    else hi = mid - 1;
  }
  const a = first + lo;
  const start = A.offset[a]!;
  if (off < start || off > start + A.size[a]!) return -1;
  return a;
}

/** Per-object facts the decoder needs: where each N_SECT nlist lies (atom, offset in it). */
export interface NlistPlaces {
  atom: Int32Array;
  delta: Float64Array;
}

/**
 * Decodes the `nreloc` entries at `reloff` of section `sid` of `file`;
 * reports entries outside the section (then the section gets none).
 */
export function decodeRelocs(
  ctx: LinkContext,
  file: InputFile,
  sid: number,
  reloff: number,
  nreloc: number,
  places: NlistPlaces,
): void {
  const S = ctx.sections;
  const A = ctx.atoms;
  const first = S.firstAtom[sid]!;
  const count = first < 0 ? 0 : S.atomCount[sid]!;
  const R = ctx.relocs;
  const emptyRange = (): void => {
    S.relocStart[sid] = S.relocEnd[sid] = R.count;
    for (let a = first; a < first + count; a++) A.relocStart[a] = A.relocEnd[a] = R.count;
  };
  if (nreloc === 0) {
    emptyRange();
    return;
  }
  const v = file.view;
  const target = ctx.target;
  const subtractorType = target.relocAttrs.findIndex((x) => (x & RelocAttr.Subtractor) !== 0);
  const addendType = target.relocAttrs.findIndex((x) => (x & RelocAttr.Addend) !== 0);
  const size = S.size[sid]!;
  const zerofill = isZerofill(S.flags[sid]!);
  // Sort key: address * 2 (+1 unless SUBTRACTOR or ADDEND), so either precedes its partner.
  const keys = new Float64Array(nreloc);
  for (let i = 0; i < nreloc; i++) {
    const off = reloff + i * 8;
    const addr = relocAddress(v, off);
    const w = relocInfoWord(v, off);
    // Every fixup must lie wholly inside bytes the section has.
    if (zerofill || relocIsScattered(v, off) || addr < 0 || addr + (1 << rLength(w)) > size) {
      const why = zerofill
        ? "in a zerofill section"
        : relocIsScattered(v, off)
          ? `scattered (not used on ${target.name})`
          : "outside the section";
      ctx.diag.error(
        `${fileName(file)}: relocation ${i} of ${S.name(sid)} at offset 0x${(addr >>> 0).toString(16)} is ${why}`,
      );
      emptyRange();
      return;
    }
    keys[i] = addr * 2 + (rType(w) === subtractorType || rType(w) === addendType ? 0 : 1);
  }
  const order = new Uint32Array(nreloc);
  if (count === 0) {
    for (let i = 0; i < nreloc; i++) order[i] = i;
  } else {
    // Walking the table backwards by pairs gives ascending order with each
    // SUBTRACTOR or ADDEND first; anything else is sorted.
    let k = 0;
    for (let i = nreloc - 1; i >= 0; i--) {
      if (i > 0 && keys[i - 1]! === keys[i]! - 1) {
        order[k++] = i - 1;
        order[k++] = i;
        i--;
      } else order[k++] = i;
    }
    let sorted = true;
    for (let i = 1; i < nreloc && sorted; i++) if (keys[order[i]!]! < keys[order[i - 1]!]!) sorted = false;
    if (!sorted) {
      for (let i = 0; i < nreloc; i++) order[i] = i;
      order.sort((x, y) => keys[x]! - keys[y]! || x - y);
    }
  }

  const ob = file.object!;
  const syms = ob.syms;
  const secIn = S.addr[sid]!;
  const dataOff = S.dataOff[sid]!;
  /**
   * The target of a section-relative reference to input address `addr` of
   * section ordinal `n`: sets `tAtom`/`tDelta`. The address may lie outside
   * every atom (a "section + addend" target such as `.quad L - _x - 16` or
   * `leaq L+64(%rip)` that the addend moves before the section, past its end
   * or into padding); like ld64 and lld, it is then placed from the section
   * as laid out: the first atom for addresses before the section, otherwise
   * the last atom starting at or before `addr`, with a negative or
   * past-the-end delta. `tAtom` is -1 only for a bad ordinal or a section
   * with no atoms.
   */
  let tAtom = -1;
  let tDelta = 0;
  const place = (n: number, addr: number): void => {
    tAtom = -1;
    tDelta = 0;
    if (n < 1 || n > ob.sectionCount) return;
    const tsid = ob.firstSection + n - 1;
    const secOff = addr - S.addr[tsid]!;
    let a = findAtom(ctx, tsid, secOff);
    if (a < 0) {
      const tfirst = S.firstAtom[tsid]!;
      const tcount = S.atomCount[tsid]!;
      if (tfirst < 0 || tcount === 0) return;
      let lo = 0;
      let hi = tcount - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (A.offset[tfirst + mid]! <= secOff) lo = mid;
        else hi = mid - 1;
      }
      a = tfirst + lo;
    }
    tAtom = a;
    tDelta = secOff - A.offset[a]!;
  };
  const start = R.count;
  // The addend an ADDEND entry gave the next relocation, and where.
  let explicitAddend = 0;
  let explicitAt = -1;
  for (let j = 0; j < nreloc; j++) {
    const i = order[j]!;
    const off = reloff + i * 8;
    const w = relocInfoWord(v, off);
    const type = rType(w);
    const len = rLength(w);
    const at = relocAddress(v, off);
    const ext = rExtern(w);
    const sn = rSymbolnum(w);
    if (type === addendType) {
      if (explicitAt >= 0) addendError(explicitAt, "is not followed by a relocation at its address");
      explicitAddend = (sn << 8) >> 8; // 24 bits, sign-extended
      explicitAt = at;
      continue;
    }
    let extra = 0;
    if (explicitAt >= 0) {
      if (explicitAt !== at || target.relocAttrs[type]! & RelocAttr.Pointer)
        addendError(explicitAt, `is followed by ${target.relocNames[type] ?? `type ${type}`} at 0x${at.toString(16)}`);
      else extra = explicitAddend;
      explicitAt = -1;
    }
    if (type === subtractorType) {
      const row = R.add(at, type, len, RelocFlag.Pair);
      const next = j + 1 < nreloc ? order[j + 1]! : -1;
      const w2 = next >= 0 ? relocInfoWord(v, reloff + next * 8) : -1;
      if (w2 === -1 || !(target.relocAttrs[rType(w2)]! & RelocAttr.Pointer)) {
        R.flags[row] = RelocFlag.Bad;
        R.bad.set(row, `SUBTRACTOR relocation not followed by UNSIGNED`);
        continue;
      }
      j++;
      R.type[row] = rType(w2);
      const stored = target.readAddend(v, dataOff + at, type, len, false);
      // The subtrahend: a symbol, or (section-relative) the fixup's own place.
      if (ext) {
        R.flags[row]! |= RelocFlag.SubExtern;
        R.subSym[row] = syms[sn] ?? 0;
        if (sn < places.atom.length) {
          R.subAtom[row] = places.atom[sn]!;
          R.subDelta[row] = places.delta[sn]!;
        }
      } else {
        // The bytes hold minuend - subtrahend + addend: a section-relative
        // subtrahend's address cannot be told from the addend (lld and LLVM's
        // JITLink refuse it too).
        R.flags[row] = RelocFlag.Bad;
        R.bad.set(row, "SUBTRACTOR relocation must name a symbol (r_extern), not a section");
        continue;
      }
      const sn2 = rSymbolnum(w2);
      if (rExtern(w2)) {
        R.flags[row]! |= RelocFlag.Extern;
        setExtern(row, sn2, stored);
      } else {
        // A section-relative minuend holds B's input address (+ addend), which
        // may lie outside B's atom or section.
        place(sn2, stored);
        if (tAtom < 0) {
          R.flags[row]! |= RelocFlag.Bad;
          R.bad.set(row, `SUBTRACTOR pair names section ${sn2}, which has no atoms`);
        }
        R.atom[row] = tAtom;
        R.delta[row] = tDelta;
      }
      continue;
    }
    const pcrel = rPcrel(w);
    const row = R.add(at, type, len, (pcrel ? RelocFlag.Pcrel : 0) | (ext ? RelocFlag.Extern : 0));
    const stored = target.readAddend(v, dataOff + at, type, len, pcrel) + extra;
    if (ext) {
      setExtern(row, sn, stored);
      continue;
    }
    if (pcrel) {
      const bias = target.pcrelBias(type);
      const tIn = secIn + at + bias + stored;
      place(sn, tIn);
      if (tAtom < 0) {
        R.flags[row]! |= RelocFlag.Bad;
        R.bad.set(row, `pc-relative target 0x${tIn.toString(16)}: section ${sn} has no atoms`);
      }
      R.atom[row] = tAtom;
      R.delta[row] = tDelta;
      // Relative to where the target measures pc-relative values from, as extern displacements are.
      R.addend[row] = target.pcOffset - bias;
    } else {
      place(sn, stored);
      if (tAtom < 0) {
        R.flags[row]! |= RelocFlag.Bad;
        R.bad.set(row, `absolute target 0x${stored.toString(16)}: section ${sn} has no atoms`);
      }
      R.atom[row] = tAtom;
      R.delta[row] = tDelta;
    }
  }

  if (explicitAt >= 0) addendError(explicitAt, "is not followed by a relocation at its address");

  function addendError(at: number, why: string): void {
    ctx.diag.error(
      `${fileName(file)}: ${target.relocNames[addendType]} relocation at offset 0x${at.toString(16)} of ${S.name(sid)} ${why}`,
    );
  }

  function setExtern(row: number, sn: number, stored: number): void {
    const s = sn < syms.length ? syms[sn]! : 0;
    R.sym[row] = s;
    R.addend[row] = stored;
    if (sn < places.atom.length) {
      R.atom[row] = places.atom[sn]!;
      R.delta[row] = places.delta[sn]!;
    }
    if (s === 0) {
      R.flags[row]! |= RelocFlag.Bad;
      R.bad.set(row, `relocation names symbol ${sn}, which is not a usable symbol`);
    } else if (!Number.isSafeInteger(stored)) {
      R.flags[row]! |= RelocFlag.Bad;
      R.bad.set(row, `addend 0x${stored.toString(16)} to ${ctx.syms.name(s)} is out of range`);
    }
  }

  S.relocStart[sid] = start;
  S.relocEnd[sid] = R.count;
  if (count === 0) return;
  let r = start;
  for (let a = first; a < first + count; a++) {
    const end = A.offset[a]! + A.size[a]!;
    A.relocStart[a] = r;
    while (r < R.count && R.offset[r]! < end) r++;
    A.relocEnd[a] = r;
  }
  if (r < R.count) {
    ctx.diag.error(
      `${fileName(file)}: relocation at offset 0x${R.offset[r]!.toString(16)} lies outside section ${S.name(sid)}`,
    );
  }
}
