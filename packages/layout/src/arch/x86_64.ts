/**
 * x86_64 relocations, stubs and stub helpers (Apple `mach-o/x86_64/reloc.h`;
 * behaviour as ld64 and lld's `Arch/X86_64.cpp` implement it).
 *
 * Every x86_64 relocation is "RELA-like in REL clothing": the addend lives in
 * the bytes being fixed up. For pc-relative kinds (SIGNED, SIGNED_1/2/4,
 * BRANCH, GOT_LOAD, GOT, TLV; always 4 bytes) the CPU adds the displacement
 * to the address of the next instruction, which is 4 + k bytes past the
 * fixup for SIGNED_k (k immediate bytes follow the displacement). So:
 * - extern target S: disp = S + stored - (P + 4) (the assembler already
 *   folded k into the stored value);
 * - section-relative: the stored displacement points at the target's input
 *   address, T_in = P_in + 4 + k + stored, which is mapped to its atom;
 *   disp = T_out - (P_out + 4 + k).
 * UNSIGNED (4 or 8 bytes) stores S + stored, or for section-relative the
 * target's input address. SUBTRACTOR (always followed by UNSIGNED) yields
 * B - A + stored. GOT_LOAD `movq x@GOTPCREL(%rip), %reg` to a symbol defined
 * in the image is relaxed to `leaq x(%rip), %reg`; TLV `movq x@TLVP(%rip)`
 * to a local thread-local descriptor likewise.
 *
 * Stubs: `jmpq *ptr(%rip)` (6 bytes). Stub helper header (16 bytes):
 * `leaq __dyld_private(%rip), %r11; pushq %r11; jmpq *binder@GOT(%rip);
 * nop`; each helper entry (10 bytes): `pushq $lazy_bind_offset; jmp header`.
 */
import { type Arch, type AtomId, type LinkContext, SymFlag, SymKind } from "@tsld/core";
import {
  CPU_SUBTYPE_X86_64_ALL,
  CPU_TYPE_X86_64,
  S_THREAD_LOCAL_VARIABLES,
  X86_64_RELOC_BRANCH,
  X86_64_RELOC_GOT,
  X86_64_RELOC_GOT_LOAD,
  X86_64_RELOC_SIGNED_1,
  X86_64_RELOC_SIGNED_2,
  X86_64_RELOC_SIGNED_4,
  X86_64_RELOC_SUBTRACTOR,
  X86_64_RELOC_TLV,
  X86_64_RELOC_UNSIGNED,
  rExtern,
  rLength,
  rPcrel,
  rSymbolnum,
  rType,
  relocAddress,
  relocInfoWord,
  sectionType,
} from "@tsld/macho-format";
import { atomAddress, isImport, sectionTarget, symbolAddress } from "../target.js";
import { relocError } from "../diag.js";
import { needsRebase } from "../dyn.js";

const pcrelExtra = (type: number): number =>
  type === X86_64_RELOC_SIGNED_1 ? 1 : type === X86_64_RELOC_SIGNED_2 ? 2 : type === X86_64_RELOC_SIGNED_4 ? 4 : 0;

function scanRelocs(ctx: LinkContext, atom: AtomId): void {
  const A = ctx.atoms;
  const f = ctx.files[A.file[atom]!]!;
  const v = f.view;
  const syms = f.object!.syms;
  const T = ctx.syms;
  const inTlv = sectionType(ctx.sections.flags[A.section[atom]!]!) === S_THREAD_LOCAL_VARIABLES;
  const atomStart = A.offset[atom]!;
  const pie = needsRebase(ctx);
  const inData = ctx.sections.dataOff[A.section[atom]!]! + atomStart;
  for (let r = A.relocStart[atom]!; r < A.relocEnd[atom]!; r++) {
    const off = A.relocOffsets[r]!;
    const w = relocInfoWord(v, off);
    const type = rType(w);
    const ext = rExtern(w);
    const len = rLength(w);
    const at = relocAddress(v, off) - atomStart;
    if (type === X86_64_RELOC_SUBTRACTOR) {
      r++; // its UNSIGNED partner: a difference, no fixup needed
      if (ext) T.set(syms[rSymbolnum(w)]!, SymFlag.Referenced);
      // The bytes hold minuend - subtrahend + addend: a section-relative subtrahend's
      // address cannot be told from the addend (lld and LLVM's JITLink refuse it too).
      else relocError(ctx, atom, at, "SUBTRACTOR relocation must name a symbol (r_extern), not a section");
      const w2 = r < A.relocEnd[atom]! ? relocInfoWord(v, A.relocOffsets[r]!) : -1;
      if (w2 === -1 || rType(w2) !== X86_64_RELOC_UNSIGNED) {
        relocError(ctx, atom, at, "SUBTRACTOR relocation not followed by UNSIGNED");
        r--;
      } else if (rExtern(w2)) T.set(syms[rSymbolnum(w2)]!, SymFlag.Referenced);
      continue;
    }
    if (!ext) {
      if (type === X86_64_RELOC_UNSIGNED && len === 3 && pie && !inTlv) ctx.fixups.addRebase(atom, at);
      else if (type === X86_64_RELOC_UNSIGNED && len === 2 && pie)
        relocError(ctx, atom, at, "32-bit absolute address in a position-independent image (use -no_pie)");
      continue;
    }
    const s = syms[rSymbolnum(w)]!;
    if (s === 0) {
      relocError(ctx, atom, at, `relocation names symbol ${rSymbolnum(w)}, which is not a usable symbol`);
      continue;
    }
    T.set(s, SymFlag.Referenced);
    const imp = isImport(ctx, s);
    switch (type) {
      case X86_64_RELOC_BRANCH:
        // Calls to an exported weak definition go through a (weak-bound) stub, as to an import.
        if (imp || isCoalescable(ctx, s)) T.set(s, SymFlag.NeedsStub);
        break;
      case X86_64_RELOC_GOT_LOAD:
        // An exported weak definition keeps its GOT slot (weak-bound, not relaxed).
        if (imp || isCoalescable(ctx, s)) T.set(s, SymFlag.NeedsGot);
        break;
      case X86_64_RELOC_GOT:
        T.set(s, SymFlag.NeedsGot);
        break;
      case X86_64_RELOC_TLV:
        // An exported weak thread-local keeps its (weak-bound) TLV pointer, as lld.
        if (imp || isCoalescable(ctx, s)) T.set(s, SymFlag.NeedsTlvPtr);
        else if (!T.has(s, SymFlag.Tlv) && T.kind[s] === SymKind.Defined) {
          const sec = ctx.sections.flags[A.section[T.atom[s]!]!]!;
          if (sectionType(sec) !== S_THREAD_LOCAL_VARIABLES)
            relocError(ctx, atom, at, `TLV reference to ${T.name(s)}, which is not a thread-local variable`);
        }
        break;
      case X86_64_RELOC_UNSIGNED:
        if (len === 3) {
          const addend = Number(v.getBigInt64(inData + at, true));
          if (!Number.isSafeInteger(addend)) {
            relocError(
              ctx,
              atom,
              at,
              `addend 0x${v.getBigInt64(inData + at, true).toString(16)} to ${T.name(s)} is out of range`,
            );
            break;
          }
          if (imp) {
            ctx.fixups.binds.push({ atom, offset: at, sym: s, addend });
            if (T.has(s, SymFlag.WeakDef)) ctx.fixups.weakBinds.push({ atom, offset: at, sym: s, addend });
          } else if (inTlv && isTlvTemplate(ctx, s)) {
            // descriptor offset field: resolved to an offset in the TLV template, no fixup
          } else {
            if (pie && T.kind[s] !== SymKind.Absolute && T.kind[s] !== SymKind.Undefined)
              ctx.fixups.addRebase(atom, at);
            if (isCoalescable(ctx, s)) ctx.fixups.weakBinds.push({ atom, offset: at, sym: s, addend });
          }
        } else if (len === 2 && pie && T.kind[s] !== SymKind.Absolute) {
          relocError(ctx, atom, at, `32-bit absolute address of ${T.name(s)} in a position-independent image`);
        }
        break;
      default:
        break;
    }
  }
}

/**
 * An exported weak definition of this image, which dyld may coalesce with
 * another image's: every use goes through a weak bind (stub, GOT or pointer),
 * as ld64 and lld do (lld's `Defined::isExternalWeakDef`). Private externs
 * (and can-be-hidden definitions, made private extern by objfile) are not.
 */
export function isCoalescable(ctx: LinkContext, s: number): boolean {
  const T = ctx.syms;
  return (
    T.kind[s] === SymKind.Defined &&
    T.has(s, SymFlag.WeakDef) &&
    T.has(s, SymFlag.External) &&
    !T.has(s, SymFlag.PrivateExtern)
  );
}

function isTlvTemplate(ctx: LinkContext, s: number): boolean {
  if (ctx.syms.kind[s] !== SymKind.Defined) return false;
  const t = sectionType(ctx.sections.flags[ctx.atoms.section[ctx.syms.atom[s]!]!]!);
  return t === 0x11 || t === 0x12;
}

/** One DataView per output buffer, not one per atom. */
let lastOut: Uint8Array | undefined;
let lastView: DataView | undefined;
function viewOf(out: Uint8Array): DataView {
  if (out !== lastOut || !lastView) {
    lastOut = out;
    lastView = new DataView(out.buffer, out.byteOffset, out.byteLength);
  }
  return lastView;
}

function relocate(ctx: LinkContext, atom: AtomId, out: Uint8Array, outOff: number): void {
  const A = ctx.atoms;
  const f = ctx.files[A.file[atom]!]!;
  const v = f.view;
  const syms = f.object!.syms;
  const T = ctx.syms;
  const ov = viewOf(out);
  const atomStart = A.offset[atom]!;
  const atomOut = atomAddress(ctx, atom, 0);
  const sid = A.section[atom]!;
  const secIn = ctx.sections.addr[sid]!;
  const inTlv = sectionType(ctx.sections.flags[sid]!) === S_THREAD_LOCAL_VARIABLES;
  for (let r = A.relocStart[atom]!; r < A.relocEnd[atom]!; r++) {
    const off = A.relocOffsets[r]!;
    const w = relocInfoWord(v, off);
    const type = rType(w);
    const ext = rExtern(w);
    const len = rLength(w);
    const at = relocAddress(v, off) - atomStart;
    const loc = outOff + at;
    const P = atomOut + at;
    if (type === X86_64_RELOC_SUBTRACTOR) {
      const w2 = relocInfoWord(v, A.relocOffsets[++r]!);
      const stored = len === 3 ? Number(ov.getBigInt64(loc, true)) : ov.getInt32(loc, true);
      if (!ext) continue; // refused in scanRelocs
      // The subtrahend A is the SUBTRACTOR's symbol; the minuend B the UNSIGNED's.
      const subtrahend = symbolAddress(ctx, syms[rSymbolnum(w)]!);
      let value: number;
      if (rExtern(w2)) value = symbolAddress(ctx, syms[rSymbolnum(w2)]!) - subtrahend + stored;
      else {
        // A section-relative UNSIGNED holds B's input address (+ addend) itself, which
        // may lie outside B's atom or section: computed from the section as laid out.
        const t = sectionTarget(ctx, f, rSymbolnum(w2), stored);
        if (t.atom < 0) {
          relocError(ctx, atom, at, `SUBTRACTOR pair names section ${rSymbolnum(w2)}, which has no atoms`);
          continue;
        }
        value = atomAddress(ctx, t.atom, t.delta) - subtrahend;
      }
      writeSized(ctx, ov, loc, len, value, atom, at, true);
      continue;
    }
    const pcrel = rPcrel(w);
    if (pcrel) {
      const stored = ov.getInt32(loc, true);
      const k = pcrelExtra(type);
      let target: number;
      if (!ext) {
        const tIn = secIn + atomStart + at + 4 + k + stored;
        const t = sectionTarget(ctx, f, rSymbolnum(w), tIn);
        if (t.atom < 0) {
          relocError(ctx, atom, at, `pc-relative target 0x${tIn.toString(16)}: section ${rSymbolnum(w)} has no atoms`);
          continue;
        }
        target = atomAddress(ctx, t.atom, t.delta);
        writePcrel(ctx, ov, loc, target - (P + 4 + k), atom, at);
        continue;
      }
      const s = syms[rSymbolnum(w)]!;
      switch (type) {
        case X86_64_RELOC_BRANCH:
          target = T.stubIndex[s]! >= 0 ? stubAddress(ctx, s) : symbolAddress(ctx, s);
          if (T.stubIndex[s]! < 0 && isImport(ctx, s)) {
            relocError(ctx, atom, at, `call to undefined weak symbol ${T.name(s)}`);
            continue;
          }
          break;
        case X86_64_RELOC_GOT_LOAD:
        case X86_64_RELOC_TLV:
          if (type === X86_64_RELOC_TLV && T.tlvPtrIndex[s]! >= 0) target = tlvPtrAddress(ctx, s);
          else if (type === X86_64_RELOC_GOT_LOAD && T.gotIndex[s]! >= 0) target = gotAddress(ctx, s);
          else {
            // relax movq to leaq: the opcode byte sits two bytes before the displacement
            if (out[loc - 2] !== 0x8b) {
              relocError(
                ctx,
                atom,
                at,
                `cannot relax ${type === X86_64_RELOC_TLV ? "TLV" : "GOT_LOAD"} of ${T.name(s)}: not a movq`,
              );
              continue;
            }
            out[loc - 2] = 0x8d;
            target = symbolAddress(ctx, s);
          }
          break;
        case X86_64_RELOC_GOT:
          target = gotAddress(ctx, s);
          break;
        default:
          target = symbolAddress(ctx, s);
          break;
      }
      writePcrel(ctx, ov, loc, target + stored - (P + 4), atom, at, T.name(s));
      continue;
    }
    if (type !== X86_64_RELOC_UNSIGNED) {
      relocError(ctx, atom, at, `unsupported relocation type ${type} (length ${len}, pcrel ${pcrel})`);
      continue;
    }
    const stored = len === 3 ? Number(ov.getBigInt64(loc, true)) : ov.getInt32(loc, true);
    let value: number;
    if (!ext) {
      const t = sectionTarget(ctx, f, rSymbolnum(w), stored);
      if (t.atom < 0) {
        relocError(ctx, atom, at, `absolute target 0x${stored.toString(16)}: section ${rSymbolnum(w)} has no atoms`);
        continue;
      }
      value = atomAddress(ctx, t.atom, t.delta);
    } else {
      const s = syms[rSymbolnum(w)]!;
      if (isImport(ctx, s))
        value = stored; // dyld adds the import's address (bind addend)
      else if (inTlv && isTlvTemplate(ctx, s)) value = symbolAddress(ctx, s) - ctx.synth.tlvTemplate + stored;
      else value = symbolAddress(ctx, s) + stored;
    }
    writeSized(ctx, ov, loc, len, value, atom, at, false);
  }
}

function writePcrel(
  ctx: LinkContext,
  ov: DataView,
  loc: number,
  disp: number,
  atom: AtomId,
  at: number,
  target?: string,
): void {
  if (disp < -0x80000000 || disp > 0x7fffffff) {
    const to = target ? ` to ${target}` : "";
    relocError(ctx, atom, at, `pc-relative displacement${to} 0x${disp.toString(16)} does not fit in 32 bits`);
    return;
  }
  ov.setInt32(loc, disp, true);
}

function writeSized(
  ctx: LinkContext,
  ov: DataView,
  loc: number,
  len: number,
  value: number,
  atom: AtomId,
  at: number,
  signed: boolean,
): void {
  if (len === 3) ov.setBigInt64(loc, BigInt(value), true);
  else if (len === 2) {
    if (signed ? value < -0x80000000 || value > 0x7fffffff : value < -0x80000000 || value > 0xffffffff) {
      relocError(ctx, atom, at, `value 0x${value.toString(16)} does not fit in 32 bits`);
      return;
    }
    ov.setUint32(loc, value >>> 0, true);
  } else relocError(ctx, atom, at, `unsupported relocation length ${1 << len} bytes`);
}

function stubAddress(ctx: LinkContext, s: number): number {
  return ctx.synth.stubs + ctx.syms.stubIndex[s]! * 6;
}
function gotAddress(ctx: LinkContext, s: number): number {
  return ctx.synth.got + ctx.syms.gotIndex[s]! * 8;
}
function tlvPtrAddress(ctx: LinkContext, s: number): number {
  return ctx.synth.threadPtrs + ctx.syms.tlvPtrIndex[s]! * 8;
}

export const x86_64: Arch = {
  name: "x86_64",
  cputype: CPU_TYPE_X86_64,
  cpusubtype: CPU_SUBTYPE_X86_64_ALL,
  pageSize: 0x1000,
  stubSize: 6,
  stubHelperHeaderSize: 16,
  stubHelperEntrySize: 10,
  scanRelocs,
  relocate,
  writeStub(out, off, stubAddr, ptrAddr) {
    out[off] = 0xff;
    out[off + 1] = 0x25;
    new DataView(out.buffer, out.byteOffset).setInt32(off + 2, ptrAddr - (stubAddr + 6), true);
  },
  writeStubHelperHeader(out, off, addr, dyldPrivate, binderPtr) {
    const dv = new DataView(out.buffer, out.byteOffset);
    // leaq dyldPrivate(%rip), %r11
    out.set([0x4c, 0x8d, 0x1d], off);
    dv.setInt32(off + 3, dyldPrivate - (addr + 7), true);
    // pushq %r11
    out.set([0x41, 0x53], off + 7);
    // jmpq *binderPtr(%rip)
    out.set([0xff, 0x25], off + 9);
    dv.setInt32(off + 11, binderPtr - (addr + 15), true);
    out[off + 15] = 0x90;
  },
  writeStubHelperEntry(out, off, addr, lazyBindOffset, header) {
    const dv = new DataView(out.buffer, out.byteOffset);
    out[off] = 0x68; // pushq $imm32
    dv.setUint32(off + 1, lazyBindOffset, true);
    out[off + 5] = 0xe9; // jmp rel32
    dv.setInt32(off + 6, header - (addr + 10), true);
  },
};
