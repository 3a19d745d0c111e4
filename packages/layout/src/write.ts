/**
 * Writing section contents: every live atom's bytes copied from its input
 * into the output buffer and relocated in place (one pass, mold's "cp-like"
 * design), then the synthetic sections (GOT, stubs, stub helper, lazy and
 * TLV pointers). Also the dynamic fixups the image needs, as addresses, for
 * the Mach-O writer to encode: rebases, binds, lazy binds.
 */
import { AtomFlag, type LinkContext, SymFlag, SymKind, type SymbolId } from "@tsld/core";
import { isZerofill } from "@tsld/macho-format";
import { bindAtLoad, flatNamespace, isLazyStub, isWeakBound, needsRebase } from "./dyn.js";
import { atomAddress, isImport, symbolAddress } from "./target.js";
import { writeUnwind } from "./unwind.js";

export interface Bind {
  address: number;
  sym: SymbolId;
  addend: number;
  /** Dylib ordinal, or a BIND_SPECIAL_DYLIB_* value. */
  ordinal: number;
  weakImport: boolean;
}

export interface DynamicFixups {
  rebases: Float64Array;
  binds: Bind[];
  /** One per stub, in stub order: its lazy pointer. */
  lazyBinds: Bind[];
  /** Sites pointing at weak definitions, exported or imported (weak-bind stream). */
  weakBinds: Bind[];
  /** Live strong definitions overriding a linked dylib's weak one (weak-bind stream, no address). */
  nonWeakDefinitions: SymbolId[];
}

/** The ordinal dyld uses to find `s`. */
export function bindOrdinal(ctx: LinkContext, s: SymbolId): number {
  if (flatNamespace(ctx)) return -2;
  const T = ctx.syms;
  if (T.kind[s] !== SymKind.Dylib) return -2;
  const d = ctx.file(T.file[s]!).dylib!;
  if (d.bundleLoader) return -1;
  return d.ordinal;
}

function bindFor(ctx: LinkContext, address: number, s: SymbolId, addend: number): Bind {
  const T = ctx.syms;
  const weakImport = T.has(s, SymFlag.WeakRef) && !T.has(s, SymFlag.StrongRef);
  return { address, sym: s, addend, ordinal: bindOrdinal(ctx, s), weakImport };
}

export function dynamicFixups(ctx: LinkContext): DynamicFixups {
  using _t = ctx.timer.start("dynamicFixups");
  const rebase: number[] = [];
  const binds: Bind[] = [];
  const lazyBinds: Bind[] = [];
  const weakBinds: Bind[] = [];
  const pie = needsRebase(ctx);
  const weakExport = (s: SymbolId): boolean => isWeakBound(ctx, s);
  const F = ctx.fixups;
  for (let i = 0; i < F.rebaseCount; i++) {
    const a = F.rebaseAtom[i]!;
    if (ctx.atoms.flags[a]! & AtomFlag.Live) rebase.push(atomAddress(ctx, a, F.rebaseOffset[i]!));
  }
  for (const b of F.binds) {
    if (ctx.atoms.flags[b.atom]! & AtomFlag.Live)
      binds.push(bindFor(ctx, atomAddress(ctx, b.atom, b.offset), b.sym, b.addend));
  }
  for (const b of F.weakBinds) {
    if (ctx.atoms.flags[b.atom]! & AtomFlag.Live && weakExport(b.sym))
      weakBinds.push(bindFor(ctx, atomAddress(ctx, b.atom, b.offset), b.sym, b.addend));
  }
  ctx.got.forEach((s, i) => {
    const addr = ctx.synth.got + i * 8;
    if (isImport(ctx, s)) binds.push(bindFor(ctx, addr, s, 0));
    else if (pie && ctx.syms.kind[s] !== SymKind.Absolute) rebase.push(addr);
    if (weakExport(s)) weakBinds.push(bindFor(ctx, addr, s, 0));
  });
  ctx.tlvPtrs.forEach((s, i) => {
    const addr = ctx.synth.threadPtrs + i * 8;
    if (isImport(ctx, s)) binds.push(bindFor(ctx, addr, s, 0));
    else if (pie) rebase.push(addr);
    if (weakExport(s)) weakBinds.push(bindFor(ctx, addr, s, 0));
  });
  if (!bindAtLoad(ctx)) {
    // Lazy pointers: an import's is lazily bound (it holds its stub-helper
    // entry); an imported weak definition's is bound at load; an exported
    // weak definition's holds its address. Weak ones are weak-bound too.
    ctx.stubs.forEach((s, i) => {
      const addr = ctx.synth.laSymbolPtr + i * 8;
      if (isLazyStub(ctx, s)) {
        if (pie) rebase.push(addr);
        lazyBinds.push(bindFor(ctx, addr, s, 0));
        return;
      }
      if (isImport(ctx, s)) binds.push(bindFor(ctx, addr, s, 0));
      else if (pie) rebase.push(addr);
      if (weakExport(s)) weakBinds.push(bindFor(ctx, addr, s, 0));
    });
  }
  const nonWeakDefinitions: SymbolId[] = [];
  for (const s of ctx.syms.globals())
    if (
      ctx.syms.has(s, SymFlag.OverridesWeakDef) &&
      ctx.syms.kind[s] === SymKind.Defined &&
      ctx.atoms.flags[ctx.atoms.foldedInto[ctx.syms.atom[s]!]!]! & AtomFlag.Live
    )
      nonWeakDefinitions.push(s);
  return { rebases: Float64Array.from(rebase).sort(), binds, lazyBinds, weakBinds, nonWeakDefinitions };
}

/**
 * Copies and relocates every atom into `out` (the whole output file), then
 * fills synthetic sections. `lazyBindOffsets[i]` is stub i's offset in the
 * lazy-bind stream (pushed by its stub-helper entry).
 */
export function writeSections(ctx: LinkContext, out: Uint8Array, lazyBindOffsets: readonly number[]): void {
  using _t = ctx.timer.start("writeSections");
  const A = ctx.atoms;
  const S = ctx.sections;
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
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
      ctx.arch.relocate(ctx, a, out, o.fileOff + (A.address[a]! - o.addr));
    }
    const at = (addr: number): number => o.fileOff + (addr - o.addr);
    switch (o.synthetic) {
      case "got":
        ctx.got.forEach((s, i) => {
          if (!isImport(ctx, s)) dv.setBigUint64(at(o.addr + i * 8), BigInt(symbolAddress(ctx, s)), true);
        });
        break;
      case "thread_ptrs":
        // An exported weak thread-local's pointer holds its own descriptor until dyld coalesces it.
        ctx.tlvPtrs.forEach((s, i) => {
          if (!isImport(ctx, s)) dv.setBigUint64(at(o.addr + i * 8), BigInt(symbolAddress(ctx, s)), true);
        });
        break;
      case "stubs": {
        const eager = bindAtLoad(ctx);
        ctx.stubs.forEach((s, i) => {
          const ptr = eager ? ctx.synth.got + ctx.syms.gotIndex[s]! * 8 : ctx.synth.laSymbolPtr + i * 8;
          ctx.arch.writeStub(out, at(o.addr + i * ctx.arch.stubSize), o.addr + i * ctx.arch.stubSize, ptr);
        });
        break;
      }
      case "stub_helper": {
        const binder = ctx.syms.lookup("dyld_stub_binder");
        const binderPtr = ctx.synth.got + ctx.syms.gotIndex[binder]! * 8;
        ctx.arch.writeStubHelperHeader(out, at(o.addr), o.addr, ctx.synth.dyldPrivate, binderPtr);
        ctx.stubs.forEach((s, i) => {
          if (!isLazyStub(ctx, s)) return;
          const addr = o.addr + ctx.arch.stubHelperHeaderSize + i * ctx.arch.stubHelperEntrySize;
          ctx.arch.writeStubHelperEntry(out, at(addr), addr, lazyBindOffsets[i] ?? 0, o.addr);
        });
        break;
      }
      case "la_symbol_ptr":
        ctx.stubs.forEach((s, i) => {
          let v = 0;
          if (isLazyStub(ctx, s))
            v = ctx.synth.stubHelper + ctx.arch.stubHelperHeaderSize + i * ctx.arch.stubHelperEntrySize;
          else if (!isImport(ctx, s)) v = symbolAddress(ctx, s);
          dv.setBigUint64(at(o.addr + i * 8), BigInt(v), true);
        });
        break;
      default:
        break;
    }
  }
  // __unwind_info contents; CIE pointers and pc_begin of the kept __eh_frame FDEs.
  writeUnwind(ctx, out);
}
