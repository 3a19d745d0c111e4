/**
 * Literal folding: equal C strings (S_CSTRING_LITERALS) and equal 4/8/16-byte
 * literals become one atom, as ld64 and lld do. The pool is an open-addressing
 * hash table of canonical atom ids keyed by (literal kind, bytes); the bytes
 * are compared in place in the input files, so no string is made per literal.
 */
import { AtomFlag, type AtomId, type LinkContext } from "@tsld/core";

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** The pool's hash of a literal of `kind` (section type) at `bytes[start..start+len)`: FNV-1a over the kind, then the bytes. */
export function literalHash(kind: number, bytes: Uint8Array, start: number, len: number): number {
  let h = Math.imul(FNV_OFFSET ^ kind, FNV_PRIME);
  for (let i = start; i < start + len; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
  return h >>> 0;
}

export class LiteralPool {
  private table = new Int32Array(1 << 12).fill(-1);
  private hashes = new Uint32Array(1 << 12);
  private count = 0;
  private readonly ctx: LinkContext;

  constructor(ctx: LinkContext) {
    this.ctx = ctx;
  }

  /** Atom `a` holds a literal of `kind` (section type) at `bytes[start..start+len)`: fold it into an equal one if seen. */
  add(a: AtomId, kind: number, bytes: Uint8Array, start: number, len: number): void {
    this.addHashed(a, kind, bytes, start, len, literalHash(kind, bytes, start, len));
  }

  /** `add` with the literal's hash already made (`literalHash`, by the object's parse). */
  addHashed(a: AtomId, kind: number, bytes: Uint8Array, start: number, len: number, h: number): void {
    const A = this.ctx.atoms;
    const mask = this.table.length - 1;
    let i = h & mask;
    for (;;) {
      const b = this.table[i]!;
      if (b < 0) break;
      if (this.hashes[i] === h && this.same(b, kind, bytes, start, len)) {
        A.foldedInto[a] = b;
        A.flags[a]! |= AtomFlag.Folded;
        if (A.align[a]! > A.align[b]!) A.align[b] = A.align[a]!;
        return;
      }
      i = (i + 1) & mask;
    }
    this.table[i] = a;
    this.hashes[i] = h;
    if (++this.count * 2 > this.table.length) this.grow();
  }

  private same(b: AtomId, kind: number, bytes: Uint8Array, start: number, len: number): boolean {
    const A = this.ctx.atoms;
    const S = this.ctx.sections;
    if (A.size[b] !== len) return false;
    const sid = A.section[b]!;
    if ((S.flags[sid]! & 0xff) !== kind) return false;
    const d = this.ctx.files[A.file[b]!]!.data;
    const o = S.dataOff[sid]! + A.offset[b]!;
    for (let k = 0; k < len; k++) if (d[o + k] !== bytes[start + k]) return false;
    return true;
  }

  private grow(): void {
    const t = new Int32Array(this.table.length * 2).fill(-1);
    const hs = new Uint32Array(t.length);
    const mask = t.length - 1;
    for (let j = 0; j < this.table.length; j++) {
      const a = this.table[j]!;
      if (a < 0) continue;
      let i = this.hashes[j]! & mask;
      while (t[i]! >= 0) i = (i + 1) & mask;
      t[i] = a;
      hs[i] = this.hashes[j]!;
    }
    this.table = t;
    this.hashes = hs;
  }
}
