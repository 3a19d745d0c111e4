/**
 * Finding the atom that holds an input address (relocation targets, symbol
 * values). Relocations themselves are decoded by parse.ts's
 * `decodeSection`, once per object, on any thread.
 */
import type { LinkContext } from "@tsld/core";

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
