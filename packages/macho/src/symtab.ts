/**
 * The symbol table (`LC_SYMTAB`, `nlist_64` from Apple `mach-o/nlist.h`) and
 * its partition (`LC_DYSYMTAB`): local symbols, then external definitions
 * sorted by name, then undefined (imported) symbols sorted by name, as
 * cctools and dyld expect. The indirect symbol table maps each stub, GOT
 * slot and lazy pointer to its symbol's index (or INDIRECT_SYMBOL_LOCAL).
 *
 * Under ld64.tsld the local region opens with the debug map (stabs.ts):
 * STABS entries for `dsymutil`, before the local symbols, as lld and ld64
 * place them.
 *
 * Names follow the seed change (Go's `machosymtab`): symbols are stored in
 * Mach-O spelling already (`_main`), so C names keep their `_`; a Go name
 * (one with a dot and no leading `_`) gets none, except when dynamically
 * linking, where every non-local symbol is `_`-prefixed and N_SECT|N_EXT so
 * that `dlsym` (which prepends `_`) finds Go-named symbols.
 *
 * `planSymtab` decides the table once; three `__LINKEDIT` blobs write it
 * (lld's `SymtabSection`, `IndirectSymtabSection`, `StringTableSection`).
 */
import {
  AtomFlag,
  type IndirectSymbolTableChunk,
  type LinkContext,
  type LinkEditChunk,
  SymFlag,
  SymKind,
  type SymbolId,
  type SymbolTableChunk,
} from "@tsld/core";
import { bindOrdinal, flatNamespace, isWeakBound } from "@tsld/layout";
import {
  INDIRECT_SYMBOL_ABS,
  INDIRECT_SYMBOL_LOCAL,
  NLIST_64_SIZE,
  N_ABS,
  N_EXT,
  N_PEXT,
  N_SECT,
  N_UNDF,
  N_WEAK_DEF,
  N_WEAK_REF,
  REFERENCED_DYNAMICALLY,
  writeNlist,
} from "@tsld/macho-format";
import { type Stab, buildStabs } from "./stabs.js";

export interface SymtabPlan {
  /** The debug map: STABS entries at the head of the local region (stabs.ts). */
  stabs: Stab[];
  /** String indices of `stabs`' names. */
  stabStrx: Uint32Array;
  syms: SymbolId[];
  /** Entries in the table: the stabs, then `syms`. */
  nsyms: number;
  /** Local entries, stabs included (LC_DYSYMTAB's nlocalsym). */
  nlocal: number;
  nextdef: number;
  nundef: number;
  /** Symbol → index in the table, after the stabs (-1 when absent). */
  index: Int32Array;
  /** Output names, parallel to `syms`. */
  names: string[];
  strtab: Uint8Array;
  strx: Uint32Array;
  indirect: Uint32Array;
}

/** A symbol's name in the output (see the essay above). */
export function outputName(name: string, dyn: boolean, local: boolean): string {
  const goName = !name.startsWith("_") && name.includes(".");
  return goName && dyn && !local ? `_${name}` : name;
}

/** `ids` sorted by their output names (byte order of UTF-16 units, then id); as given when already in that order. */
function sortByName(ids: SymbolId[], names: string[]): { ids: SymbolId[]; names: string[] } {
  const before = (a: number, b: number): boolean => {
    const x = names[a]!;
    const y = names[b]!;
    return x < y || (x === y && ids[a]! < ids[b]!);
  };
  let sorted = true;
  for (let k = 1; k < ids.length && sorted; k++) sorted = before(k - 1, k);
  if (sorted) return { ids, names };
  const order = ids.map((_, k) => k);
  order.sort((a, b) => {
    const x = names[a]!;
    const y = names[b]!;
    return x < y ? -1 : x > y ? 1 : ids[a]! - ids[b]!;
  });
  return { ids: order.map((k) => ids[k]!), names: order.map((k) => names[k]!) };
}

/**
 * Writes `name` as UTF-8 and a NUL at `o` of `buf` (sized for it); returns
 * the offset after the NUL. ASCII names (nearly all) are copied unit by
 * unit, which beats a native call per name.
 */
function writeName(buf: Buffer, o: number, name: string): number {
  const n = name.length;
  for (let k = 0; k < n; k++) {
    const c = name.charCodeAt(k);
    if (c >= 0x80) return o - k + buf.write(name, o - k) + 1;
    buf[o++] = c;
  }
  buf[o] = 0;
  return o + 1;
}

/** UTF-8 length of `name`: its length when ASCII. */
function utf8Length(name: string): number {
  const n = name.length;
  for (let k = 0; k < n; k++) if (name.charCodeAt(k) >= 0x80) return Buffer.byteLength(name);
  return n;
}

export function planSymtab(ctx: LinkContext): SymtabPlan {
  const T = ctx.syms;
  const dyn = ctx.dynlinking;
  const locals: SymbolId[] = [];
  const localNames: string[] = [];
  const undefs: SymbolId[] = [];
  const undefNames: string[] = [];
  const live = (s: SymbolId): boolean =>
    T.kind[s] !== SymKind.Defined || (ctx.atoms.flags[ctx.atoms.foldedInto[T.atom[s]!]!]! & AtomFlag.Live) !== 0;
  if (!ctx.options.stripSymbols) {
    for (let s = 1; s < T.count; s++) {
      if (T.has(s, SymFlag.External)) continue;
      const k = T.kind[s];
      if (k !== SymKind.Defined && k !== SymKind.Absolute) continue;
      const n = T.name(s);
      if (n === "" || n.startsWith("L") || n.startsWith("l")) continue;
      if (!live(s)) continue;
      locals.push(s);
      localNames.push(outputName(n, dyn, true));
    }
  }
  // Private externs are local in the output.
  for (const s of T.globals()) {
    const k = T.kind[s];
    if (
      (k === SymKind.Defined || k === SymKind.Absolute) &&
      T.has(s, SymFlag.PrivateExtern) &&
      live(s) &&
      !ctx.options.stripSymbols
    ) {
      locals.push(s);
      localNames.push(outputName(T.name(s), dyn, true));
    }
    if (k === SymKind.Dylib || (k === SymKind.Undefined && (T.has(s, SymFlag.Referenced) || T.gotIndex[s]! >= 0))) {
      if (k === SymKind.Undefined && !T.has(s, SymFlag.Referenced)) continue;
      if (
        k === SymKind.Dylib &&
        !T.has(s, SymFlag.Referenced) &&
        T.gotIndex[s]! < 0 &&
        T.stubIndex[s]! < 0 &&
        T.tlvPtrIndex[s]! < 0
      )
        continue;
      undefs.push(s);
      undefNames.push(outputName(T.name(s), dyn, false));
    }
  }
  const ext = sortByName(
    ctx.exports.slice(),
    ctx.exports.map((s) => outputName(T.name(s), dyn, false)),
  );
  const und = sortByName(undefs, undefNames);
  const syms = locals.concat(ext.ids, und.ids);
  const names = localNames.concat(ext.names, und.names);
  // The hook where the debug map enters: its entries come first among the locals.
  const stabs =
    ctx.options.debugInfo === "stabs"
      ? buildStabs(ctx, syms.slice(0, locals.length + ext.ids.length), names.slice(0, locals.length + ext.ids.length))
      : [];
  const index = new Int32Array(T.count).fill(-1);
  for (let i = 0; i < syms.length; i++) index[syms[i]!] = stabs.length + i;

  // String table: " \0" first (cctools convention), then each name; equal
  // local names (statics of the same name in different files) share a string.
  const strx = new Uint32Array(syms.length);
  let size = 2;
  for (let i = 0; i < names.length; i++) size += utf8Length(names[i]!) + 1;
  for (const st of stabs) size += Buffer.byteLength(st.name) + 1;
  const buf = Buffer.alloc((size + 7) & ~7);
  buf[0] = 0x20;
  let o = 2;
  const seen = new Map<string, number>();
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    if (i < locals.length) {
      const prev = seen.get(n);
      if (prev !== undefined) {
        strx[i] = prev;
        continue;
      }
      seen.set(n, o);
    }
    strx[i] = o;
    o = writeName(buf, o, n);
  }
  // Stab names: "" is index 1 (the NUL after the leading space); the others share with equal local names.
  const stabStrx = new Uint32Array(stabs.length);
  stabs.forEach((st, i) => {
    if (st.name === "") {
      stabStrx[i] = 1;
      return;
    }
    const prev = seen.get(st.name);
    if (prev !== undefined) {
      stabStrx[i] = prev;
      return;
    }
    seen.set(st.name, o);
    stabStrx[i] = o;
    o = writeName(buf, o, st.name);
  });
  const strtab = new Uint8Array(buf.buffer, buf.byteOffset, (o + 7) & ~7);

  // Indirect symbols: stubs, GOT, lazy pointers, TLV pointers, in section order (reserved1).
  // A slot dyld binds names its symbol: an import, or an exported weak
  // definition (bound by weak binding, as ld64 and lld list it); other
  // defined symbols are INDIRECT_SYMBOL_LOCAL (| ABS for absolute ones).
  const ind: number[] = [];
  const indexOrLocal = (s: SymbolId): number => {
    const i = index[s]!;
    if (T.kind[s] === SymKind.Dylib || T.kind[s] === SymKind.Undefined) return i >= 0 ? i : INDIRECT_SYMBOL_LOCAL;
    if (T.kind[s] === SymKind.Absolute) return INDIRECT_SYMBOL_LOCAL | INDIRECT_SYMBOL_ABS;
    // A slot of an exported weak definition is bound (weak bind): it names its symbol, as in lld.
    if (isWeakBound(ctx, s) && i >= 0) return i;
    return INDIRECT_SYMBOL_LOCAL;
  };
  for (const sec of ctx.outSections) for (const s of sec.chunk?.indirectSymbols ?? []) ind.push(indexOrLocal(s));
  return {
    stabs,
    stabStrx,
    syms,
    nsyms: stabs.length + syms.length,
    nlocal: stabs.length + locals.length,
    nextdef: ext.ids.length,
    nundef: und.ids.length,
    index,
    names,
    strtab,
    strx,
    indirect: Uint32Array.from(ind),
  };
}

/** The nlist_64 entries (`LC_SYMTAB`'s symoff/nsyms, `LC_DYSYMTAB`'s partition). */
export class SymbolTableSection implements SymbolTableChunk {
  readonly align = 8;
  off = 0;
  private readonly ctx: LinkContext;
  private readonly plan: SymtabPlan;
  constructor(ctx: LinkContext, plan: SymtabPlan) {
    this.ctx = ctx;
    this.plan = plan;
  }
  get nsyms(): number {
    return this.plan.nsyms;
  }
  get nlocal(): number {
    return this.plan.nlocal;
  }
  get nextdef(): number {
    return this.plan.nextdef;
  }
  get nundef(): number {
    return this.plan.nundef;
  }
  size(): number {
    return this.plan.nsyms * NLIST_64_SIZE;
  }
  writeTo(buf: Uint8Array, off: number): void {
    writeSymtab(this.ctx, this.plan, new DataView(buf.buffer, buf.byteOffset, buf.byteLength), off);
  }
}

/** The indirect symbol table (`LC_DYSYMTAB`'s indirectsymoff): 32-bit symbol indices, 4-aligned. */
export class IndirectSymtabSection implements IndirectSymbolTableChunk {
  readonly align = 4;
  off = 0;
  private readonly plan: SymtabPlan;
  constructor(plan: SymtabPlan) {
    this.plan = plan;
  }
  get count(): number {
    return this.plan.indirect.length;
  }
  size(): number {
    return this.plan.indirect.length * 4;
  }
  writeTo(buf: Uint8Array, off: number): void {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.plan.indirect.forEach((v, i) => dv.setUint32(off + i * 4, v, true));
  }
}

/** The string table (`LC_SYMTAB`'s stroff/strsize), padded to 8 bytes. */
export class StringTableSection implements LinkEditChunk {
  readonly align = 8;
  off = 0;
  private readonly plan: SymtabPlan;
  constructor(plan: SymtabPlan) {
    this.plan = plan;
  }
  size(): number {
    return this.plan.strtab.length;
  }
  writeTo(buf: Uint8Array, off: number): void {
    buf.set(this.plan.strtab, off);
  }
}

/** Writes the nlist_64 entries of `plan` at `off`. */
function writeSymtab(ctx: LinkContext, plan: SymtabPlan, dv: DataView, off: number): void {
  const T = ctx.syms;
  const flat = flatNamespace(ctx);
  const sectIndex = (s: SymbolId): number => {
    const a = ctx.atoms.foldedInto[T.atom[s]!]!;
    return ctx.atoms.out[a]! + 1;
  };
  plan.stabs.forEach((st, i) => {
    writeNlist(dv, off + i * 16, plan.stabStrx[i]!, st.type, st.sect, st.desc, st.value);
  });
  const first = plan.stabs.length;
  plan.syms.forEach((s, i) => {
    const at = off + (first + i) * 16;
    const k = T.kind[s];
    let type: number;
    let sect = 0;
    let desc = 0;
    let value = 0;
    const isLocal = first + i < plan.nlocal;
    if (k === SymKind.Dylib || k === SymKind.Undefined) {
      type = N_UNDF | N_EXT;
      if (!flat) {
        const ord = bindOrdinal(ctx, s);
        desc = (ord === -1 ? 0xff : ord === -2 ? 0xfe : ord) << 8;
      }
      if (T.has(s, SymFlag.WeakRef) && !T.has(s, SymFlag.StrongRef)) desc |= N_WEAK_REF;
    } else if (k === SymKind.Absolute) {
      type = N_ABS | (isLocal ? 0 : N_EXT);
      value = T.value[s]!;
    } else if (k === SymKind.Synthetic) {
      type = N_SECT | N_EXT;
      sect = 1;
      value = T.address[s]!;
      // ld64 marks the executable's header symbol so that strip(1) keeps it.
      if (T.name(s) === "__mh_execute_header") desc |= REFERENCED_DYNAMICALLY;
    } else {
      type = N_SECT;
      if (T.has(s, SymFlag.External)) type |= isLocal ? N_PEXT : N_EXT;
      sect = sectIndex(s);
      const a = ctx.atoms.foldedInto[T.atom[s]!]!;
      value = ctx.atoms.address[a]! + T.value[s]!;
      // Only an exported weak definition stays weak (a hidden one is final here, as in lld).
      if (T.has(s, SymFlag.WeakDef) && !isLocal) desc |= N_WEAK_DEF;
    }
    writeNlist(dv, at, plan.strx[i]!, type, sect, desc, value);
  });
}
