/**
 * The synthetic sections (lld's `SyntheticSections.cpp`): contents the
 * linker makes rather than copies, one class each, sized when
 * `createSynthetic` (or, for `__init_offsets`, `assignSections`) creates
 * them and written by `writeSections` at their output section's offset.
 *
 * - `__DATA_CONST,__got` (`GotSection`): one 8-byte slot per symbol reached
 *   through the GOT; an import's slot is bound by dyld (zero here), a
 *   local target's holds its address (and is rebased).
 * - `__TEXT,__stubs` (`StubsSection`): one `jmp *ptr` per called import
 *   (or exported weak definition); the pointer is the stub's lazy pointer
 *   when binding lazily, else its GOT slot.
 * - `__TEXT,__stub_helper` (`StubHelperSection`): the header that pushes
 *   `__dyld_private` and jumps to `dyld_stub_binder`, then one entry per
 *   lazily bound stub pushing its offset in the lazy-bind stream.
 * - `__DATA,__la_symbol_ptr` (`LazyPointerSection`): each stub's pointer,
 *   first aimed at its stub-helper entry (lazy), or at the definition.
 * - `__DATA,__thread_ptrs` (`TlvPointerSection`): pointers to thread-local
 *   descriptors reached through the GOT-like TLV relocation.
 * - `__TEXT,__init_offsets` (`InitOffsetsSection`, chained fixups): each
 *   initializer as a 32-bit offset from the image base (lld's -init_offsets).
 *
 * The target writes the instructions (`TargetInfo.writeStub` and kin); the
 * stubs, GOT, lazy and TLV pointers list their symbols for the indirect
 * symbol table (`indirectSymbols`, in slot order).
 */
import { type LinkContext, RelocFlag, type SymbolId, type SyntheticSection } from "@tsld/core";
import { isLazyStub, lazyBinding } from "./dyn.js";
import { atomAddress, isImport, symbolAddress } from "./target.js";

const view = (buf: Uint8Array): DataView => new DataView(buf.buffer, buf.byteOffset, buf.byteLength);

/** 8-byte pointers to `syms`: an import's is left for dyld, any other holds its target's address. */
function writePointers(ctx: LinkContext, syms: readonly SymbolId[], buf: Uint8Array, off: number): void {
  const dv = view(buf);
  syms.forEach((s, i) => {
    if (!isImport(ctx, s)) dv.setBigUint64(off + i * 8, BigInt(symbolAddress(ctx, s)), true);
  });
}

export class GotSection implements SyntheticSection {
  private readonly ctx: LinkContext;
  constructor(ctx: LinkContext) {
    this.ctx = ctx;
  }
  get indirectSymbols(): readonly SymbolId[] {
    return this.ctx.got;
  }
  size(): number {
    return this.ctx.got.length * 8;
  }
  writeTo(buf: Uint8Array, off: number): void {
    writePointers(this.ctx, this.ctx.got, buf, off);
  }
}

export class TlvPointerSection implements SyntheticSection {
  private readonly ctx: LinkContext;
  constructor(ctx: LinkContext) {
    this.ctx = ctx;
  }
  get indirectSymbols(): readonly SymbolId[] {
    return this.ctx.tlvPtrs;
  }
  size(): number {
    return this.ctx.tlvPtrs.length * 8;
  }
  /** An exported weak thread-local's pointer holds its own descriptor until dyld coalesces it. */
  writeTo(buf: Uint8Array, off: number): void {
    writePointers(this.ctx, this.ctx.tlvPtrs, buf, off);
  }
}

export class StubsSection implements SyntheticSection {
  private readonly ctx: LinkContext;
  constructor(ctx: LinkContext) {
    this.ctx = ctx;
  }
  get indirectSymbols(): readonly SymbolId[] {
    return this.ctx.stubs;
  }
  size(): number {
    return this.ctx.stubs.length * this.ctx.target.stubSize;
  }
  writeTo(buf: Uint8Array, off: number): void {
    const ctx = this.ctx;
    const eager = !lazyBinding(ctx);
    const size = ctx.target.stubSize;
    ctx.stubs.forEach((s, i) => {
      const ptr = eager ? ctx.synth.got + ctx.syms.gotIndex[s]! * 8 : ctx.synth.laSymbolPtr + i * 8;
      ctx.target.writeStub(buf, off + i * size, ctx.synth.stubs + i * size, ptr);
    });
  }
}

export class StubHelperSection implements SyntheticSection {
  private readonly ctx: LinkContext;
  private readonly nlazy: number;
  /** Stub i's offset in the lazy-bind stream, which macho encodes after layout (set before `writeTo`). */
  lazyBindOffsets: readonly number[] = [];
  /** `nlazy`: the lazily bound stubs, which come first (stub i < nlazy has entry i). */
  constructor(ctx: LinkContext, nlazy: number) {
    this.ctx = ctx;
    this.nlazy = nlazy;
  }
  size(): number {
    const t = this.ctx.target;
    return t.stubHelperHeaderSize + this.nlazy * t.stubHelperEntrySize;
  }
  writeTo(buf: Uint8Array, off: number): void {
    const ctx = this.ctx;
    const t = ctx.target;
    const base = ctx.synth.stubHelper;
    const binder = ctx.syms.lookup("dyld_stub_binder");
    const binderPtr = ctx.synth.got + ctx.syms.gotIndex[binder]! * 8;
    t.writeStubHelperHeader(buf, off, base, ctx.synth.dyldPrivate, binderPtr);
    ctx.stubs.forEach((s, i) => {
      if (!isLazyStub(ctx, s)) return;
      const rel = t.stubHelperHeaderSize + i * t.stubHelperEntrySize;
      t.writeStubHelperEntry(buf, off + rel, base + rel, this.lazyBindOffsets[i] ?? 0, base);
    });
  }
}

export class LazyPointerSection implements SyntheticSection {
  private readonly ctx: LinkContext;
  constructor(ctx: LinkContext) {
    this.ctx = ctx;
  }
  get indirectSymbols(): readonly SymbolId[] {
    return this.ctx.stubs;
  }
  size(): number {
    return this.ctx.stubs.length * 8;
  }
  writeTo(buf: Uint8Array, off: number): void {
    const ctx = this.ctx;
    const dv = view(buf);
    const t = ctx.target;
    ctx.stubs.forEach((s, i) => {
      let v = 0;
      if (isLazyStub(ctx, s)) v = ctx.synth.stubHelper + t.stubHelperHeaderSize + i * t.stubHelperEntrySize;
      else if (!isImport(ctx, s)) v = symbolAddress(ctx, s);
      dv.setBigUint64(off + i * 8, BigInt(v), true);
    });
  }
}

export class InitOffsetsSection implements SyntheticSection {
  private readonly ctx: LinkContext;
  private readonly count: number;
  /** `count`: the initializer pointers of `ctx.initFuncAtoms`. */
  constructor(ctx: LinkContext, count: number) {
    this.ctx = ctx;
    this.count = count;
  }
  size(): number {
    return this.count * 4;
  }
  writeTo(buf: Uint8Array, off: number): void {
    const ctx = this.ctx;
    const A = ctx.atoms;
    const R = ctx.relocs;
    const dv = view(buf);
    let k = 0;
    for (const a of ctx.initFuncAtoms) {
      for (let r = A.relocStart[a]!; r < A.relocEnd[a]!; r++) {
        const target =
          R.flags[r]! & RelocFlag.Extern
            ? symbolAddress(ctx, R.sym[r]!) + R.addend[r]!
            : atomAddress(ctx, R.atom[r]!, R.delta[r]!);
        dv.setUint32(off + k++ * 4, target - ctx.synth.imageBase, true);
      }
    }
  }
}
