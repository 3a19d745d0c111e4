/**
 * Finding the atom that holds an input address (relocation targets, symbol
 * values). Relocations themselves are decoded by parse.ts's
 * `decodeSection`, once per object, on any thread.
 */
import type { LinkContext } from "@tsld/core";

/** The atom of section `sid` that holds section offset `off` (binary search), or -1. */
export function findAtom(ctx: LinkContext, sid: number, off: number): number {
  const A = ctx.atoms;
  return atomHolding(A.offset, A.size, ctx.sections.firstAtom[sid]!, ctx.sections.atomCount[sid]!, off);
}

/**
 * Of the `n` atoms from `first` (one section's, sorted by `offset`), the one
 * whose [offset, offset + size] holds `off` (its end included: a symbol at
 * the end of an atom), or -1. Binary search over the typed columns.
 */
export function atomHolding(
  offset: ArrayLike<number>,
  size: ArrayLike<number>,
  first: number,
  n: number,
  off: number,
): number {
  if (first < 0 || n === 0) return -1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offset[first + mid]! <= off) lo = mid;
    else hi = mid - 1;
  }
  const a = first + lo;
  const start = offset[a]!;
  if (off < start || off > start + size[a]!) return -1;
  return a;
}
