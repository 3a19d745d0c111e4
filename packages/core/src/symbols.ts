/**
 * The symbol table: one integer id per symbol, attributes in typed side
 * tables (the design of Go's `cmd/link/internal/loader`, "Building a better
 * Go linker"). Id 0 is the invalid symbol.
 *
 * Global (external) symbols are interned by name: every object that names
 * `_foo` as N_EXT shares one id, and resolution (objfile) decides which
 * definition wins. Local symbols get a fresh id each, reachable only through
 * their object's nlist-index map, so two files' `_helper` statics never meet.
 *
 * Names are stored in Mach-O spelling (`_main`, `runtime.text`).
 */
import { column, growTo, type AtomId, type FileId, type SymbolId } from "./ids.js";

/** What a symbol currently is; resolution moves symbols between kinds. */
export const SymKind = {
  /** Referenced, not (yet) defined. */
  Undefined: 0,
  /** Defined in an atom of an object file (`atom`, `value` = offset in atom). */
  Defined: 1,
  /** N_ABS: `value` is the address. */
  Absolute: 2,
  /** Tentative definition (common): `size`, `align` (log2). */
  Common: 3,
  /** Exported by a dylib or TBD (`file` is the dylib). */
  Dylib: 4,
  /** An archive member defines it (`file` = archive, `value` = member index). */
  Lazy: 5,
  /** Defined by the linker (markers, header symbols); address set in layout. */
  Synthetic: 6,
} as const;
export type SymKind = (typeof SymKind)[keyof typeof SymKind];

/** Attribute bits (`flags`). */
export const SymFlag = {
  External: 1 << 0,
  PrivateExtern: 1 << 1,
  WeakDef: 1 << 2,
  WeakRef: 1 << 3,
  NoDeadStrip: 1 << 4,
  /** Thread-local variable (defined in S_THREAD_LOCAL_VARIABLES, or TLV export). */
  Tlv: 1 << 7,
  /** Referenced by some relocation or as the entry (set during scanning). */
  Referenced: 1 << 8,
  /** Needs a GOT slot. */
  NeedsGot: 1 << 9,
  /** Needs a stub (call to an import or interposable symbol). */
  NeedsStub: 1 << 10,
  /** Needs a TLV pointer slot (TLV reference to an imported TLV). */
  NeedsTlvPtr: 1 << 11,
  /** Goes into the export trie. */
  Exported: 1 << 12,
  /** The symbol is a Go-style section marker laid out as a real symbol. */
  Marker: 1 << 15,
  /** Referenced strongly somewhere (not only through N_WEAK_REF). */
  StrongRef: 1 << 16,
  /**
   * Left undefined on purpose and bound by flat lookup at load time: a Go
   * section marker of a plugin linked without the seed change
   * (`-no_plugin_markers`), which dyld then resolves in the first image.
   */
  FlatImport: 1 << 17,
  /**
   * `.weak_def_can_be_hidden` (N_WEAK_DEF with N_WEAK_REF on a definition):
   * what clang emits for C++ inline functions, vtables and templates. Made a
   * private extern after resolution unless an export list names it.
   */
  WeakDefCanBeHidden: 1 << 18,
  /**
   * A strong definition of a name some linked dylib exports as a weak
   * definition: the weak-bind stream says so (a non-weak-definition entry),
   * so dyld makes the dylib's uses coalesce to it (lld's `overridesWeakDef`).
   */
  OverridesWeakDef: 1 << 19,
} as const;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const utf8 = new TextEncoder();
const utf8d = new TextDecoder();
const latin1 = new TextDecoder("latin1");

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function hashAscii(s: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

function hashBytes(b: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, FNV_PRIME);
  return h >>> 0;
}

function sameAscii(s: string, b: Uint8Array, start: number, len: number): boolean {
  if (s.length !== len) return false;
  for (let i = 0; i < len; i++) if (s.charCodeAt(i) !== b[start + i]) return false;
  return true;
}

export class SymbolTable {
  /** Number of ids handed out, including id 0. */
  count = 1;
  readonly names: string[] = [""];

  kind = column(Uint8Array, 1024);
  flags = column(Uint32Array, 1024);
  /** Defining file (object, dylib or archive), -1 when none. */
  file = column(Int32Array, 1024);
  /** Atom holding a Defined symbol, -1 otherwise. */
  atom = column(Int32Array, 1024);
  /** Offset in atom (Defined), address (Absolute), member index (Lazy). */
  value = column(Float64Array, 1024);
  /** Size: commons, synthetic markers; 0 when unknown. */
  size = column(Float64Array, 1024);
  /** log2 alignment for commons. */
  align = column(Uint8Array, 1024);
  /** Final virtual address, set by layout. */
  address = column(Float64Array, 1024);
  /** n_desc/n_type as read, for diagnostics and stabs. */
  desc = column(Uint16Array, 1024);
  /** GOT, stub and TLV-pointer slot indices, -1 when none. */
  gotIndex = column(Int32Array, 1024);
  stubIndex = column(Int32Array, 1024);
  tlvPtrIndex = column(Int32Array, 1024);

  /** Returns the id for global `name`, creating an Undefined one if new. */
  intern(name: string): SymbolId {
    const bytes = isAscii(name) ? undefined : utf8.encode(name);
    const h = bytes ? hashBytes(bytes, 0, bytes.length) : hashAscii(name);
    const slot = this.probe(h, (id) => this.names[id] === name);
    const found = this.table[slot]!;
    if (found !== 0) return found;
    return this.insert(slot, h, name);
  }

  /**
   * `intern` for a name given as bytes of an input file (a string-table
   * entry `buf[start..end)`), without making a string unless the name is new:
   * most external symbols in a link are references to names already seen.
   */
  internBytes(buf: Uint8Array, start: number, end: number): SymbolId {
    let h = FNV_OFFSET;
    let ascii = true;
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      h = Math.imul(h ^ c, FNV_PRIME);
      if (c & 0x80) ascii = false;
    }
    return this.internHashed(buf, start, end, h >>> 0, ascii);
  }

  /**
   * `internBytes` with the name's hash made already (an object's parse, on
   * any thread, hashes its names): `h` is the FNV-1a hash of
   * `buf[start..end)` (unsigned), `ascii` whether every byte is below 0x80.
   */
  internHashed(buf: Uint8Array, start: number, end: number, h: number, ascii: boolean): SymbolId {
    const len = end - start;
    const slot = ascii
      ? this.probe(h, (id) => sameAscii(this.names[id]!, buf, start, len))
      : this.probe(h, (id) => this.names[id] === utf8d.decode(buf.subarray(start, end)));
    const found = this.table[slot]!;
    if (found !== 0) return found;
    const name = ascii ? latin1.decode(buf.subarray(start, end)) : utf8d.decode(buf.subarray(start, end));
    return this.insert(slot, h, name);
  }

  /** The global symbol called `name`, or 0. */
  lookup(name: string): SymbolId {
    const bytes = isAscii(name) ? undefined : utf8.encode(name);
    const h = bytes ? hashBytes(bytes, 0, bytes.length) : hashAscii(name);
    return this.table[this.probe(h, (id) => this.names[id] === name)]!;
  }

  /** Global ids in interning order (deterministic: input order). */
  globals(): Int32Array {
    return this.globalIds.subarray(0, this.nglobals);
  }

  // Open-addressing hash table of global ids (0 = empty), keyed by FNV-1a
  // of the name's UTF-8 bytes; `hash` keeps each id's hash for rehashing.
  private table = new Int32Array(1 << 12);
  private hash = new Uint32Array(1024);
  private globalIds = new Int32Array(1024);
  private nglobals = 0;

  private probe(h: number, same: (id: SymbolId) => boolean): number {
    const mask = this.table.length - 1;
    let i = h & mask;
    for (;;) {
      const id = this.table[i]!;
      if (id === 0 || (this.hash[id] === h && same(id))) return i;
      i = (i + 1) & mask;
    }
  }

  private insert(slot: number, h: number, name: string): SymbolId {
    const id = this.add(name, SymKind.Undefined, SymFlag.External);
    if (id >= this.hash.length) this.hash = growTo(this.hash, id + 1);
    this.hash[id] = h;
    this.table[slot] = id;
    if (this.nglobals >= this.globalIds.length) this.globalIds = growTo(this.globalIds, this.nglobals + 1);
    this.globalIds[this.nglobals++] = id;
    if (this.nglobals * 2 > this.table.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const t = new Int32Array(this.table.length * 2);
    const mask = t.length - 1;
    for (let k = 0; k < this.nglobals; k++) {
      const id = this.globalIds[k]!;
      let i = this.hash[id]! & mask;
      while (t[i] !== 0) i = (i + 1) & mask;
      t[i] = id;
    }
    this.table = t;
  }

  /** Creates a symbol not reachable by name (locals). */
  addLocal(name: string, kind: SymKind): SymbolId {
    return this.add(name, kind, 0);
  }

  private add(name: string, kind: SymKind, flags: number): SymbolId {
    const id = this.count++;
    if (id >= this.kind.length) this.grow(id + 1);
    this.names.push(name);
    this.kind[id] = kind;
    this.flags[id] = flags;
    this.file[id] = -1;
    this.atom[id] = -1;
    this.gotIndex[id] = -1;
    this.stubIndex[id] = -1;
    this.tlvPtrIndex[id] = -1;
    return id;
  }

  private grow(n: number): void {
    this.kind = growTo(this.kind, n);
    this.flags = growTo(this.flags, n);
    this.file = growTo(this.file, n);
    this.atom = growTo(this.atom, n);
    this.value = growTo(this.value, n);
    this.size = growTo(this.size, n);
    this.align = growTo(this.align, n);
    this.address = growTo(this.address, n);
    this.desc = growTo(this.desc, n);
    this.gotIndex = growTo(this.gotIndex, n);
    this.stubIndex = growTo(this.stubIndex, n);
    this.tlvPtrIndex = growTo(this.tlvPtrIndex, n);
  }

  name(id: SymbolId): string {
    return this.names[id] ?? "";
  }

  has(id: SymbolId, flag: number): boolean {
    return (this.flags[id]! & flag) !== 0;
  }

  set(id: SymbolId, flag: number): void {
    this.flags[id]! |= flag;
  }

  clear(id: SymbolId, flag: number): void {
    this.flags[id]! &= ~flag;
  }

  /** Defines `id` in `atom` at `offset`, owned by `file`. */
  define(id: SymbolId, file: FileId, atom: AtomId, offset: number): void {
    this.kind[id] = SymKind.Defined;
    this.file[id] = file;
    this.atom[id] = atom;
    this.value[id] = offset;
  }
}
