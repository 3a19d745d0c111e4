/**
 * Scanning relocations (lld's `scanRelocations`): for each kept atom, what
 * its decoded relocations need from the image: GOT slots, stubs, TLV
 * pointers, and the rebase, bind and weak-bind sites of pointers. The
 * decisions come from each relocation type's attributes (`RelocAttr`), not
 * from the arch: a Branch to an import needs a stub; a Got relocation a
 * slot (a Load one only when it cannot be relaxed: an import, or an exported
 * weak definition that dyld may coalesce); a Branch to such a definition a
 * stub too; a Tlv one to an import or a coalescable thread-local a
 * `__thread_ptrs` slot; a pointer-sized Pointer a rebase (slid image) or a
 * bind (import), plus a weak bind when it names a weak definition (exported
 * or imported).
 * Rows the decoder could not decode are reported here, for kept atoms only.
 */
import { type AtomId, FixupKind, type LinkContext, RelocAttr, RelocFlag, SymFlag, SymKind } from "@tsld/core";
import { S_THREAD_LOCAL_VARIABLES, sectionType } from "@tsld/macho-format";
import { relocError } from "./diag.js";
import { needsRebase } from "./dyn.js";
import { isImport } from "./target.js";

export function scanRelocations(ctx: LinkContext): void {
  const A = ctx.atoms;
  for (let a = 0; a < A.count; a++) {
    if (A.out[a] !== -2) continue;
    if (A.relocStart[a] !== A.relocEnd[a]) scanAtom(ctx, a);
  }
}

function scanAtom(ctx: LinkContext, atom: AtomId): void {
  const A = ctx.atoms;
  const R = ctx.relocs;
  const T = ctx.syms;
  const attrs = ctx.target.relocAttrs;
  const inTlv = sectionType(ctx.sections.flags[A.section[atom]!]!) === S_THREAD_LOCAL_VARIABLES;
  const atomStart = A.offset[atom]!;
  const pie = needsRebase(ctx);
  for (let r = A.relocStart[atom]!; r < A.relocEnd[atom]!; r++) {
    const at = R.offset[r]! - atomStart;
    const flags = R.flags[r]!;
    if (flags & RelocFlag.Bad) {
      relocError(ctx, atom, at, R.bad.get(r) ?? "undecodable relocation");
      continue;
    }
    const len = R.length[r]!;
    if (flags & RelocFlag.Pair) {
      // A difference: no fixup needed.
      if (flags & RelocFlag.SubExtern) T.set(R.subSym[r]!, SymFlag.Referenced);
      if (flags & RelocFlag.Extern) T.set(R.sym[r]!, SymFlag.Referenced);
      continue;
    }
    const attr = attrs[R.type[r]!] ?? 0;
    if (!(flags & RelocFlag.Extern)) {
      if (attr & RelocAttr.Pointer) {
        if (len === 3 && pie && !inTlv) ctx.fixups.add(FixupKind.Rebase, atom, at, 0, 0);
        else if (len === 2 && pie)
          relocError(ctx, atom, at, "32-bit absolute address in a position-independent image (use -no_pie)");
      }
      continue;
    }
    const s = R.sym[r]!;
    T.set(s, SymFlag.Referenced);
    const imp = isImport(ctx, s);
    if (attr & RelocAttr.Branch) {
      // Calls to an exported weak definition go through a (weak-bound) stub, as to an import.
      if (imp || isCoalescable(ctx, s)) T.set(s, SymFlag.NeedsStub);
    } else if (attr & RelocAttr.Got) {
      // A relaxable load of an exported weak definition keeps its GOT slot (weak-bound, not relaxed).
      if (!(attr & RelocAttr.Load) || imp || isCoalescable(ctx, s)) T.set(s, SymFlag.NeedsGot);
    } else if (attr & RelocAttr.Tlv) {
      // An exported weak thread-local keeps its (weak-bound) TLV pointer, as lld.
      if (imp || isCoalescable(ctx, s)) T.set(s, SymFlag.NeedsTlvPtr);
      else if (!T.has(s, SymFlag.Tlv) && T.kind[s] === SymKind.Defined) {
        const sec = ctx.sections.flags[A.section[T.atom[s]!]!]!;
        if (sectionType(sec) !== S_THREAD_LOCAL_VARIABLES)
          relocError(ctx, atom, at, `TLV reference to ${T.name(s)}, which is not a thread-local variable`);
      }
    } else if (attr & RelocAttr.Pointer) {
      if (len === 3) {
        const addend = R.addend[r]!;
        if (imp) {
          ctx.fixups.add(FixupKind.Bind, atom, at, s, addend);
          // An imported weak definition is weak-bound too.
          if (T.has(s, SymFlag.WeakDef)) ctx.fixups.add(FixupKind.WeakBind, atom, at, s, addend);
        } else if (inTlv && isTlvTemplate(ctx, s)) {
          // descriptor offset field: resolved to an offset in the TLV template, no fixup
        } else {
          if (pie && T.kind[s] !== SymKind.Absolute && T.kind[s] !== SymKind.Undefined)
            ctx.fixups.add(FixupKind.Rebase, atom, at, 0, 0);
          if (isCoalescable(ctx, s)) ctx.fixups.add(FixupKind.WeakBind, atom, at, s, addend);
        }
      } else if (len === 2 && pie && T.kind[s] !== SymKind.Absolute) {
        relocError(ctx, atom, at, `32-bit absolute address of ${T.name(s)} in a position-independent image`);
      }
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

/** Whether `s` lies in the thread-local template (__thread_data / __thread_bss). */
export function isTlvTemplate(ctx: Pick<LinkContext, "syms" | "atoms" | "sections">, s: number): boolean {
  if (ctx.syms.kind[s] !== SymKind.Defined) return false;
  const t = sectionType(ctx.sections.flags[ctx.atoms.section[ctx.syms.atom[s]!]!]!);
  return t === 0x11 || t === 0x12;
}
