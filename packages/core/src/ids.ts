/**
 * Integer ids. Symbols, input sections, atoms and output sections are small
 * integers indexing typed side tables (Go's `loader.Sym`); 0 is "none" for
 * symbols, -1 for the others.
 */
export type SymbolId = number;
export type FileId = number;
export type SectionId = number;
export type AtomId = number;
export type OutSectionId = number;

/** Grows a typed array to at least `n` elements, doubling capacity. */
export function growTo<T extends Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array>(
  a: T,
  n: number,
): T {
  if (n <= a.length) return a;
  let cap = Math.max(16, a.length);
  while (cap < n) cap *= 2;
  const b = new (a.constructor as new (len: number) => T)(cap);
  b.set(a);
  return b;
}
