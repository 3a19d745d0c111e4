/**
 * Writing section contents: every live atom's bytes copied from its input
 * into the output buffer and relocated in place (one pass, mold's "cp-like"
 * design), then the synthetic sections (GOT, stubs, stub helper, lazy and
 * TLV pointers).
 */
import { AtomFlag, type LinkContext, RelocFlag } from "@tsld/core";
import { isZerofill } from "@tsld/macho-format";
import { isLazyStub, lazyBinding } from "./dyn.js";
import { relocateAtom } from "./relocate.js";
import { writeThunks } from "./thunks.js";
import { atomAddress, isImport, symbolAddress } from "./target.js";
import { writeUnwind } from "./unwind.js";

/**
 * Copies and relocates every atom into `out` (the whole output file), then
 * fills synthetic sections. `lazyBindOffsets[i]` is stub i's offset in the
 * lazy-bind stream (pushed by its stub-helper entry).
 */
export function writeSections(ctx: LinkContext, out: Uint8Array, lazyBindOffsets: readonly number[]): void {
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
      relocateAtom(ctx, a, out, o.fileOff + (A.address[a]! - o.addr));
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
        const eager = !lazyBinding(ctx);
        ctx.stubs.forEach((s, i) => {
          const ptr = eager ? ctx.synth.got + ctx.syms.gotIndex[s]! * 8 : ctx.synth.laSymbolPtr + i * 8;
          ctx.target.writeStub(out, at(o.addr + i * ctx.target.stubSize), o.addr + i * ctx.target.stubSize, ptr);
        });
        break;
      }
      case "stub_helper": {
        const binder = ctx.syms.lookup("dyld_stub_binder");
        const binderPtr = ctx.synth.got + ctx.syms.gotIndex[binder]! * 8;
        ctx.target.writeStubHelperHeader(out, at(o.addr), o.addr, ctx.synth.dyldPrivate, binderPtr);
        ctx.stubs.forEach((s, i) => {
          if (!isLazyStub(ctx, s)) return;
          const addr = o.addr + ctx.target.stubHelperHeaderSize + i * ctx.target.stubHelperEntrySize;
          ctx.target.writeStubHelperEntry(out, at(addr), addr, lazyBindOffsets[i] ?? 0, o.addr);
        });
        break;
      }
      case "init_offsets": {
        // Each initializer pointer's target, as an offset from the image base.
        const R = ctx.relocs;
        let k = 0;
        for (const a of ctx.initFuncAtoms) {
          for (let r = A.relocStart[a]!; r < A.relocEnd[a]!; r++) {
            const f = R.flags[r]!;
            const target =
              f & RelocFlag.Extern
                ? symbolAddress(ctx, R.sym[r]!) + R.addend[r]!
                : atomAddress(ctx, R.atom[r]!, R.delta[r]!);
            dv.setUint32(at(o.addr + k++ * 4), target - ctx.synth.imageBase, true);
          }
        }
        break;
      }
      case "la_symbol_ptr":
        ctx.stubs.forEach((s, i) => {
          let v = 0;
          if (isLazyStub(ctx, s))
            v = ctx.synth.stubHelper + ctx.target.stubHelperHeaderSize + i * ctx.target.stubHelperEntrySize;
          else if (!isImport(ctx, s)) v = symbolAddress(ctx, s);
          dv.setBigUint64(at(o.addr + i * 8), BigInt(v), true);
        });
        break;
      default:
        break;
    }
  }
  // Range-extension thunks, jumping to their targets' final addresses.
  writeThunks(ctx, out, (s) => symbolAddress(ctx, s));
  // __unwind_info contents; CIE pointers and pc_begin of the kept __eh_frame FDEs.
  writeUnwind(ctx, out);
}
