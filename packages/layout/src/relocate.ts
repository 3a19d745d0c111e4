/**
 * Applying relocations (lld's `relocateAll`): each decoded row of an atom
 * already copied to the output gets its value, computed here from the row's
 * target and the target's attributes, and stored by the target's
 * `relocateOne`. Branches to imports go to their stub (or a range-extension
 * thunk, when layout made one for the call); GOT and TLV loads go
 * through their slot, or are relaxed (`relaxLoad`) when the symbol has none;
 * pointers to imports keep only their addend (dyld adds the address);
 * thread-local descriptors' offsets are relative to the TLV template.
 */
import { type AtomId, type LinkContext, RelocAttr, RelocFlag, RelocResult } from "@tsld/core";
import { S_THREAD_LOCAL_VARIABLES, sectionType } from "@tsld/macho-format";
import { relocError } from "./diag.js";
import { isTlvTemplate } from "./scan.js";
import { type RelocContext, atomAddress, isImport, symbolAddress } from "./target.js";
import { thunkFor } from "./thunks.js";

/**
 * Where relocating reports and looks up what is not in the columns: an
 * error at offset `at` of `atom` (the link context words it; a worker
 * thread only notes that the atom needs the main thread), and the thunk
 * (or -1) a branch row goes through.
 */
export interface RelocHooks {
  error(atom: AtomId, at: number, msg: string): void;
  thunkFor(r: number): AtomId;
}

/** The hooks of a link context: errors to its diagnostics, thunks from layout. */
export function contextHooks(ctx: LinkContext): RelocHooks {
  return { error: (atom, at, msg) => relocError(ctx, atom, at, msg), thunkFor: (r) => thunkFor(ctx, r) };
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

/** Relocates atom `atom`, whose bytes are at `out[outOff..]`. */
export function relocateAtom(
  ctx: RelocContext,
  atom: AtomId,
  out: Uint8Array,
  outOff: number,
  hooks: RelocHooks,
): void {
  const A = ctx.atoms;
  const R = ctx.relocs;
  const T = ctx.syms;
  const tgt = ctx.target;
  const attrs = tgt.relocAttrs;
  const ov = viewOf(out);
  const atomStart = A.offset[atom]!;
  const atomOut = atomAddress(ctx, atom, 0);
  const inTlv = sectionType(ctx.sections.flags[A.section[atom]!]!) === S_THREAD_LOCAL_VARIABLES;
  for (let r = A.relocStart[atom]!; r < A.relocEnd[atom]!; r++) {
    const flags = R.flags[r]!;
    if (flags & RelocFlag.Bad) continue; // reported by the scan
    const type = R.type[r]!;
    const len = R.length[r]!;
    const at = R.offset[r]! - atomStart;
    const loc = outOff + at;
    const P = atomOut + at;
    const ext = (flags & RelocFlag.Extern) !== 0;
    const s = R.sym[r]!;
    if (flags & RelocFlag.Pair) {
      // B - A: the subtrahend A is always a symbol (the decoder refuses a section);
      // the minuend B a symbol or a place in an atom (even outside it).
      const subtrahend = symbolAddress(ctx, R.subSym[r]!);
      const b = ext ? symbolAddress(ctx, s) + R.addend[r]! : atomAddress(ctx, R.atom[r]!, R.delta[r]!);
      const value = b - subtrahend;
      report(ctx, hooks, atom, at, type, len, tgt.relocateOne(ov, loc, type, len, false, value, P, true), value, P, "");
      continue;
    }
    const attr = attrs[type] ?? 0;
    // Pc-relative fields and instruction fields (arm64's PAGEOFF12 kinds): the target's address.
    if (flags & RelocFlag.Pcrel || !(attr & RelocAttr.Pointer)) {
      if (!(flags & RelocFlag.Pcrel) && (attr === 0 || attr & RelocAttr.Pcrel)) {
        hooks.error(atom, at, `unsupported relocation type ${type} (length ${len}, pcrel false)`);
        continue;
      }
      let target: number;
      if (!ext) target = atomAddress(ctx, R.atom[r]!, R.delta[r]!);
      else if (attr & RelocAttr.Branch) {
        const thunk = hooks.thunkFor(r);
        if (thunk >= 0) target = ctx.atoms.address[thunk]! - R.addend[r]!;
        else if (T.stubIndex[s]! >= 0) target = stubAddress(ctx, s);
        else if (isImport(ctx, s)) {
          hooks.error(atom, at, `call to undefined weak symbol ${T.name(s)}`);
          continue;
        } else target = symbolAddress(ctx, s);
      } else if (attr & RelocAttr.Load) {
        if (attr & RelocAttr.Tlv && T.tlvPtrIndex[s]! >= 0) target = tlvPtrAddress(ctx, s);
        else if (attr & RelocAttr.Got && T.gotIndex[s]! >= 0) target = gotAddress(ctx, s);
        else {
          if (!tgt.relaxLoad(out, loc, type)) {
            hooks.error(atom, at, `cannot relax ${tgt.relocNames[type]} of ${T.name(s)}: unexpected instruction`);
            continue;
          }
          target = symbolAddress(ctx, s);
        }
      } else if (attr & RelocAttr.Got) target = gotAddress(ctx, s);
      else target = symbolAddress(ctx, s);
      const value = target + R.addend[r]!;
      const pcrel = (flags & RelocFlag.Pcrel) !== 0;
      const res = tgt.relocateOne(ov, loc, type, len, pcrel, value, P, true);
      report(ctx, hooks, atom, at, type, len, res, value, P, ext ? T.name(s) : "");
      continue;
    }
    let value: number;
    if (!ext) value = atomAddress(ctx, R.atom[r]!, R.delta[r]!);
    else if (isImport(ctx, s))
      value = R.addend[r]!; // dyld adds the import's address (bind addend)
    else if (inTlv && isTlvTemplate(ctx, s)) value = symbolAddress(ctx, s) - ctx.synth.tlvTemplate + R.addend[r]!;
    else value = symbolAddress(ctx, s) + R.addend[r]!;
    report(ctx, hooks, atom, at, type, len, tgt.relocateOne(ov, loc, type, len, false, value, P, false), value, P, "");
  }
}

function report(
  ctx: RelocContext,
  hooks: RelocHooks,
  atom: AtomId,
  at: number,
  type: number,
  len: number,
  res: RelocResult,
  value: number,
  P: number,
  target: string,
): void {
  if (res === RelocResult.Ok) return;
  hooks.error(atom, at, ctx.target.overflowText(res, type, len, value, P, target));
}

export function stubAddress(ctx: RelocContext, s: number): number {
  return ctx.synth.stubs + ctx.syms.stubIndex[s]! * ctx.target.stubSize;
}
export function gotAddress(ctx: RelocContext, s: number): number {
  return ctx.synth.got + ctx.syms.gotIndex[s]! * 8;
}
export function tlvPtrAddress(ctx: RelocContext, s: number): number {
  return ctx.synth.threadPtrs + ctx.syms.tlvPtrIndex[s]! * 8;
}
