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

type Column = Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;

/**
 * A typed column of `n` zeroed elements in a `SharedArrayBuffer`: the side
 * tables live in shared memory, so the worker threads of the parallel
 * passes read them without a copy (posting the array shares its memory).
 */
export function column<T extends Column>(
  ctor: { new (buffer: SharedArrayBuffer): T; readonly BYTES_PER_ELEMENT: number },
  n: number,
): T {
  return new ctor(new SharedArrayBuffer(n * ctor.BYTES_PER_ELEMENT));
}

/** Grows a typed column to at least `n` elements, doubling capacity (in shared memory, as `column`). */
export function growTo<T extends Column>(a: T, n: number): T {
  if (n <= a.length) return a;
  let cap = Math.max(16, a.length);
  while (cap < n) cap *= 2;
  const ctor = a.constructor as { new (buffer: SharedArrayBuffer): T; readonly BYTES_PER_ELEMENT: number };
  const b = column(ctor, cap);
  b.set(a);
  return b;
}
