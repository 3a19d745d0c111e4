/**
 * Writing section contents: every live atom's bytes copied from its input
 * into the output buffer and relocated in place (one pass, mold's "cp-like"
 * design), then the synthetic atoms among them (range-extension thunks,
 * `thunks.ts`) and each synthetic section's chunk (`synthetic.ts`: GOT,
 * stubs, stub helper, lazy and TLV pointers, `__init_offsets`) and
 * `__unwind_info`.
 */
import { AtomFlag, type LinkContext } from "@tsld/core";
import { isZerofill } from "@tsld/macho-format";
import { relocateAtom } from "./relocate.js";
import { StubHelperSection } from "./synthetic.js";
import { writeUnwind } from "./unwind.js";

/**
 * Copies and relocates every atom into `out` (the whole output file), then
 * writes each synthetic section's chunk. `lazyBindOffsets[i]` is stub i's offset in the
 * lazy-bind stream (pushed by its stub-helper entry).
 */
export function writeSections(ctx: LinkContext, out: Uint8Array, lazyBindOffsets: readonly number[]): void {
  const A = ctx.atoms;
  const S = ctx.sections;
  for (const o of ctx.outSections) {
    if (isZerofill(o.flags)) continue;
    // Copy: consecutive atoms that are also consecutive in their input
    // section go in one copy. Then relocate each atom in place.
    let runData: Uint8Array | undefined;
    let runSrc = 0;
    let runDst = 0;
    let runLen = 0;
    const flush = (): void => {
      if (runData && runLen > 0) out.set(runData.subarray(runSrc, runSrc + runLen), runDst);
      runData = undefined;
      runLen = 0;
    };
    for (const a of o.atoms) {
      const f = A.file[a]!;
      if (f < 0 || A.flags[a]! & AtomFlag.Synthetic) continue;
      const data = ctx.files[f]!.data;
      const src = S.dataOff[A.section[a]!]! + A.offset[a]!;
      const dst = o.fileOff + (A.address[a]! - o.addr);
      if (data !== runData || src !== runSrc + runLen || dst !== runDst + runLen) {
        flush();
        runData = data;
        runSrc = src;
        runDst = dst;
      }
      runLen += A.size[a]!;
    }
    flush();
    for (const a of o.atoms) {
      if (A.relocStart[a] === A.relocEnd[a] || A.file[a]! < 0 || A.flags[a]! & AtomFlag.Synthetic) continue;
      relocateAtom(ctx, a, out, o.fileOff + (A.address[a]! - o.addr));
    }
    // Synthetic atoms among the input ones (range-extension thunks), each at its address.
    for (const c of o.atomChunks ?? []) c.writeTo(out, o.fileOff + (A.address[c.atom]! - o.addr));
    if (o.chunk instanceof StubHelperSection) o.chunk.lazyBindOffsets = lazyBindOffsets;
    o.chunk?.writeTo(out, o.fileOff);
  }
  // CIE pointers, pc_begin and LSDA pointers of the kept __eh_frame FDEs.
  writeUnwind(ctx, out);
}
