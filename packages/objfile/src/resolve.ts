/**
 * Symbol resolution, as ld64 and lld do it:
 * - a definition beats an undefined reference, a lazy archive symbol, a
 *   dylib export and a common;
 * - between two definitions, a strong one beats a weak one; two weak ones:
 *   the first wins; two strong ones: "duplicate symbol", naming both files
 *   (with ld64's `-dead_strip` order, only if both survive dead stripping);
 * - commons merge: the largest size, the strictest alignment;
 * - a reference to a lazy (archive) symbol pulls in the member defining it;
 * - what is still undefined after objects and archives is looked up in the
 *   dylibs (TBDs), in command-line order.
 */
import { type AtomId, type FileId, type LinkContext, SymFlag, SymKind, type SymbolId, fileName } from "@tsld/core";
import { N_NO_DEAD_STRIP, N_WEAK_DEF, N_WEAK_REF } from "@tsld/macho-format";

/** A member to pull out of an archive: archive file id and member index. */
export interface PendingMember {
  archive: FileId;
  member: number;
}

/** Referenced strongly (not only with N_WEAK_REF). */
export const StrongRef = SymFlag.StrongRef;

export class Resolver {
  readonly pending: PendingMember[] = [];
  /** N_INDR aliases: symbol → target, resolved after loading. */
  readonly aliases: { sym: SymbolId; target: SymbolId; file: FileId }[] = [];

  private readonly ctx: LinkContext;
  constructor(ctx: LinkContext) {
    this.ctx = ctx;
  }

  /**
   * A definition of global `sym`. A weak one with N_WEAK_REF too is
   * `.weak_def_can_be_hidden`: a private extern that an export list may
   * still export (with N_PEXT as well it is simply private extern). Merging
   * two weak definitions, the symbol is private extern only if both copies
   * are, and hideable only if both are (lld's `addDefined`).
   */
  define(sym: SymbolId, file: FileId, atom: AtomId, offset: number, desc: number, privateExtern: boolean): void {
    const T = this.ctx.syms;
    const kind = T.kind[sym];
    const weak = (desc & N_WEAK_DEF) !== 0;
    const canBeHidden = weak && (desc & N_WEAK_REF) !== 0 && !privateExtern;
    if (canBeHidden) privateExtern = true;
    if (kind === SymKind.Defined || kind === SymKind.Absolute) {
      const oldWeak = T.has(sym, SymFlag.WeakDef);
      if (weak) {
        // The existing definition (strong, or an earlier weak one) wins; two weak ones merge scope.
        if (oldWeak) {
          if (!privateExtern) T.clear(sym, SymFlag.PrivateExtern);
          if (!canBeHidden) T.clear(sym, SymFlag.WeakDefCanBeHidden);
        }
        return;
      }
      if (!oldWeak) {
        const o = this.ctx.options;
        if (o.deadStrip && o.deadStripDuplicates && kind === SymKind.Defined && atom >= 0) {
          // ld64: strip first, then report the duplicates that are still live (layout's deadStrip).
          this.ctx.deferredDuplicates.push({ sym, first: T.atom[sym]!, firstFile: T.file[sym]!, atom, file });
          return;
        }
        this.duplicate(sym, file);
        return;
      }
    }
    T.define(sym, file, atom, offset);
    T.desc[sym] = desc;
    T.clear(sym, SymFlag.WeakDef | SymFlag.PrivateExtern | SymFlag.NoDeadStrip | SymFlag.WeakDefCanBeHidden);
    if (weak) T.set(sym, SymFlag.WeakDef);
    if (canBeHidden) T.set(sym, SymFlag.WeakDefCanBeHidden);
    if (privateExtern) T.set(sym, SymFlag.PrivateExtern);
    if (desc & N_NO_DEAD_STRIP) T.set(sym, SymFlag.NoDeadStrip);
  }

  defineAbsolute(sym: SymbolId, file: FileId, value: number, desc: number): void {
    const T = this.ctx.syms;
    const kind = T.kind[sym];
    if ((kind === SymKind.Defined || kind === SymKind.Absolute) && !T.has(sym, SymFlag.WeakDef)) {
      this.duplicate(sym, file);
      return;
    }
    T.kind[sym] = SymKind.Absolute;
    T.file[sym] = file;
    T.atom[sym] = -1;
    T.value[sym] = value;
    T.desc[sym] = desc;
  }

  common(sym: SymbolId, file: FileId, size: number, align: number): void {
    const T = this.ctx.syms;
    const kind = T.kind[sym];
    if (kind === SymKind.Defined || kind === SymKind.Absolute) return;
    if (kind === SymKind.Common) {
      if (size > T.size[sym]!) {
        T.size[sym] = size;
        T.file[sym] = file;
      }
      if (align > T.align[sym]!) T.align[sym] = align;
      return;
    }
    T.kind[sym] = SymKind.Common;
    T.file[sym] = file;
    T.size[sym] = size;
    T.align[sym] = align;
  }

  reference(sym: SymbolId, weak: boolean): void {
    const T = this.ctx.syms;
    T.set(sym, weak ? SymFlag.WeakRef : StrongRef);
    if (T.kind[sym] === SymKind.Lazy) this.pull(sym);
  }

  alias(sym: SymbolId, target: SymbolId, file: FileId): void {
    this.aliases.push({ sym, target, file });
    this.reference(target, false);
    const T = this.ctx.syms;
    if (T.kind[sym] === SymKind.Undefined) T.file[sym] = file;
  }

  /** An archive offers `sym` in `member`: pull it now if wanted, else remember it. */
  offer(sym: SymbolId, archive: FileId, member: number): void {
    const T = this.ctx.syms;
    if (T.kind[sym] !== SymKind.Undefined) return;
    if (T.has(sym, SymFlag.WeakRef | StrongRef)) {
      T.kind[sym] = SymKind.Lazy;
      T.file[sym] = archive;
      T.value[sym] = member;
      this.pull(sym);
      return;
    }
    T.kind[sym] = SymKind.Lazy;
    T.file[sym] = archive;
    T.value[sym] = member;
  }

  /** Queues an archive member for loading whatever it defines (-all_load, -force_load, -ObjC). */
  pullMember(archive: FileId, member: number): void {
    const m = this.ctx.files[archive]?.members?.[member];
    if (!m || m.loaded !== -1) return;
    m.loaded = -2; // queued
    this.pending.push({ archive, member });
  }

  private pull(sym: SymbolId): void {
    const T = this.ctx.syms;
    const archive = T.file[sym]!;
    const member = T.value[sym]!;
    const m = this.ctx.files[archive]?.members?.[member];
    if (!m || m.loaded !== -1) return;
    m.loaded = -2; // queued
    this.pending.push({ archive, member });
  }

  private duplicate(sym: SymbolId, file: FileId): void {
    const T = this.ctx.syms;
    const first = T.file[sym]!;
    const a = first >= 0 ? fileName(this.ctx.file(first)) : "<linker>";
    this.ctx.diag.error(
      `duplicate symbol: ${T.name(sym)}\n>>> defined in ${a}\n>>> defined in ${fileName(this.ctx.file(file))}`,
    );
  }
}
