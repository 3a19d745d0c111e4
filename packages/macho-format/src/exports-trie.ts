/**
 * The export trie: dyld's table of the symbols an image exports.
 *
 * Described in Apple's `mach-o/loader.h` (dyld_info_command, export_off) and
 * walked by dyld's `ImageLoader`/`MachOAnalyzer`, it is a prefix tree over
 * symbol names serialized as a sequence of nodes, each:
 *
 *   ULEB128 terminalSize    0 when no symbol ends at this node, else:
 *     ULEB128 flags         EXPORT_SYMBOL_FLAGS_*
 *     REEXPORT:             ULEB128 dylib ordinal, imported name ("" = same)
 *     STUB_AND_RESOLVER:    ULEB128 stub offset, ULEB128 resolver offset
 *     otherwise:            ULEB128 address (offset from the mach header)
 *   u8 childCount, then per child: edge label C string, ULEB128 node offset
 *
 * Child offsets are relative to the trie start and are themselves ULEB128,
 * so a node's size depends on where its children land. Like ld64 and lld,
 * `buildExportTrie` lays nodes out in pre-order and repeats the offset
 * assignment until nothing moves (offsets only grow, so this terminates,
 * usually within a few passes). Edges split only where names diverge (a
 * radix tree: at most 2n nodes). Output is deterministic: names in byte-wise
 * (UTF-8) order, siblings by first label byte, zero-padded to 8 bytes.
 */
import { EXPORT_SYMBOL_FLAGS_REEXPORT, EXPORT_SYMBOL_FLAGS_STUB_AND_RESOLVER } from "./constants.js";
import { MachOFormatError } from "./errors.js";
import { lebCursor, readULEB128, ulebSize, writeULEB128 } from "./leb128.js";

export interface ExportEntry {
  name: string;
  /** EXPORT_SYMBOL_FLAGS_*. */
  flags: number;
  /** Offset from the mach header (for STUB_AND_RESOLVER: the stub). Ignored for REEXPORT. */
  address: number;
  /** REEXPORT: ordinal of the dylib the symbol comes from. */
  ordinal?: number;
  /** REEXPORT: the name in that dylib, when it differs. */
  importName?: string;
  /** STUB_AND_RESOLVER: offset of the resolver function. */
  resolver?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8");

function ulebSize31(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/**
 * Serializes `entries` as an export trie. Returns an empty array when there
 * are no entries (dyld accepts an export size of 0). Throws MachOFormatError
 * on duplicate names or names containing NUL.
 *
 * The radix tree is built from the names in byte order and each one's common
 * prefix with the previous name, in one pass (no per-node regrouping). Entries
 * already in byte order (as a linker has them after sorting its symbol
 * table's external definitions by name) are used as given, after one linear
 * check; others are sorted first. The output does not depend on the input
 * order.
 */
export function buildExportTrie(entries: readonly ExportEntry[]): Uint8Array {
  return buildTrie(
    entries.map((e) => e.name),
    entries.map((e) => e.flags),
    entries.map((e) => e.address),
    entries,
  );
}

/**
 * `buildExportTrie` for entries in columns (a linker's exports: no objects
 * per symbol): `names[i]`, `flags[i]` (EXPORT_SYMBOL_FLAGS_*, neither
 * REEXPORT nor STUB_AND_RESOLVER, which need `ExportEntry`'s other fields)
 * and `address[i]` (offset from the mach header). Names in byte order
 * (as a symbol table's sorted external definitions are) are not sorted again.
 */
export function buildExportTrieColumns(
  names: readonly string[],
  flags: ArrayLike<number>,
  address: ArrayLike<number>,
): Uint8Array {
  return buildTrie(names, flags, address, undefined);
}

function buildTrie(
  names: readonly string[],
  flagsOf: ArrayLike<number>,
  addressOf: ArrayLike<number>,
  entries: readonly ExportEntry[] | undefined,
): Uint8Array {
  const n = names.length;
  /** Entry `i` whole (re-exports and resolvers read its other fields). */
  const entry = (i: number): ExportEntry =>
    entries?.[i] ?? { name: names[i]!, flags: flagsOf[i]!, address: addressOf[i]! };
  if (n === 0) return new Uint8Array(0);

  // 1. Names into one UTF-8 pool.
  let poolSize = 0;
  for (let i = 0; i < n; i++) poolSize += names[i]!.length;
  let pool = new Uint8Array(poolSize);
  const start = new Int32Array(n);
  const end = new Int32Array(n);
  let pos = 0;
  let unitsDone = 0;
  for (let i = 0; i < n; i++) {
    const name = names[i]!;
    start[i] = pos;
    const len = name.length;
    unitsDone += len;
    let k = 0;
    for (; k < len; k++) {
      const c = name.charCodeAt(k);
      if (c >= 0x80 || c === 0) break;
      pool[pos++] = c;
    }
    if (k < len) {
      if (name.includes("\0")) throw new MachOFormatError(`export name contains NUL: ${JSON.stringify(name)}`);
      // Non-ASCII: re-encode this name as UTF-8 (grow the pool as needed).
      pos = start[i]!;
      const bytes = encoder.encode(name);
      const needed = pos + bytes.length + (poolSize - unitsDone);
      if (needed > pool.length) {
        const bigger = new Uint8Array(Math.max(needed, pool.length * 2));
        bigger.set(pool.subarray(0, pos));
        pool = bigger;
      }
      pool.set(bytes, pos);
      pos += bytes.length;
    }
    end[i] = pos;
  }

  // 2. The names in byte order: the caller's order when it is sorted already
  //    (checked in one pass), else sorted here. `lcp[k]` is the common prefix
  //    of the k-th name in that order and the one before it.
  let ord = new Int32Array(n);
  for (let i = 0; i < n; i++) ord[i] = i;
  const lcp = new Int32Array(n);
  if (!sortedLcp(pool, start, end, ord, lcp, names)) {
    const sorted = Array.from(ord).sort((a, b) => compareBytes(pool, start[a]!, end[a]!, start[b]!, end[b]!));
    ord = Int32Array.from(sorted);
    sortedLcp(pool, start, end, ord, lcp, names);
  }

  // 3. The radix tree from the sorted names and their common prefixes, one
  //    stack of the open nodes (the path to the last name): a name closes
  //    the nodes deeper than its prefix shared with the previous name, splits
  //    the last closed edge when the prefix ends inside it, and hangs its own
  //    node (or ends at the open node, for a name that is a prefix of the
  //    next). Children come in byte order, as the names do.
  const maxNodes = 2 * n + 1;
  const nodeDepth = new Int32Array(maxNodes);
  const nodeRep = new Int32Array(maxNodes); // an entry whose name runs through the node (edge labels)
  const nodeTerm = new Int32Array(maxNodes).fill(-1);
  const firstChild = new Int32Array(maxNodes).fill(-1);
  const lastChild = new Int32Array(maxNodes).fill(-1);
  const nextSib = new Int32Array(maxNodes).fill(-1);
  const prevSib = new Int32Array(maxNodes).fill(-1);
  const stack = new Int32Array(maxNodes);
  let nodeCount = 1;
  let sp = 1; // stack[0] = root
  const addChild = (parent: number, child: number): void => {
    const last = lastChild[parent]!;
    if (last < 0) firstChild[parent] = child;
    else {
      nextSib[last] = child;
      prevSib[child] = last;
    }
    lastChild[parent] = child;
  };
  for (let k = 0; k < n; k++) {
    const e = ord[k]!;
    const len = end[e]! - start[e]!;
    const l = lcp[k]!;
    let closed = -1;
    while (nodeDepth[stack[sp - 1]!]! > l) closed = stack[--sp]!;
    let top = stack[sp - 1]!;
    if (nodeDepth[top]! < l) {
      // Split the edge to `closed` (top's last child) at depth l.
      const m = nodeCount++;
      nodeDepth[m] = l;
      nodeRep[m] = nodeRep[closed]!;
      const before = prevSib[closed]!;
      if (before < 0) firstChild[top] = m;
      else nextSib[before] = m;
      prevSib[m] = before;
      lastChild[top] = m;
      prevSib[closed] = -1;
      firstChild[m] = closed;
      lastChild[m] = closed;
      stack[sp++] = m;
      top = m;
    }
    if (len === l) {
      // Only the first name can end at an open node (the empty name at the root): a later one would equal its predecessor.
      if (nodeTerm[top] !== -1) throw new MachOFormatError(`duplicate export "${names[e]!}"`);
      nodeTerm[top] = e;
      continue;
    }
    const leaf = nodeCount++;
    nodeDepth[leaf] = len;
    nodeRep[leaf] = e;
    nodeTerm[leaf] = e;
    addChild(top, leaf);
    stack[sp++] = leaf;
  }

  // Pre-order (children in byte order), with each node's fixed size: the
  // terminal info, the child count and the edge labels (everything but the
  // child offsets).
  const order = new Int32Array(nodeCount);
  const nodeTermSize = new Int32Array(nodeCount);
  const nodeFixed = new Int32Array(nodeCount);
  const nodeOffset = new Int32Array(nodeCount);
  const importNames = new Map<number, Uint8Array>();
  let orderLen = 0;
  sp = 0;
  stack[sp++] = 0;
  while (sp > 0) {
    const node = stack[--sp]!;
    order[orderLen++] = node;
    let fixed = 1; // child count byte
    const term = nodeTerm[node]!;
    if (term !== -1) {
      const flags = flagsOf[term]!;
      let ts = ulebSize(flags);
      if ((flags & EXPORT_SYMBOL_FLAGS_REEXPORT) !== 0) {
        const e = entry(term);
        if (e.ordinal === undefined) throw new RangeError(`re-export "${e.name}" has no ordinal`);
        const imp =
          e.importName === undefined || e.importName === e.name ? new Uint8Array(0) : encoder.encode(e.importName);
        importNames.set(term, imp);
        ts += ulebSize(e.ordinal) + imp.length + 1;
      } else if ((flags & EXPORT_SYMBOL_FLAGS_STUB_AND_RESOLVER) !== 0) {
        const e = entry(term);
        if (e.resolver === undefined) throw new RangeError(`stub-and-resolver export "${e.name}" has no resolver`);
        ts += ulebSize(e.address) + ulebSize(e.resolver);
      } else {
        ts += ulebSize(addressOf[term]!);
      }
      nodeTermSize[node] = ts;
      fixed += ulebSize(ts) + ts;
    } else {
      fixed += 1;
    }
    const depth = nodeDepth[node]!;
    for (let c = firstChild[node]!; c >= 0; c = nextSib[c]!) fixed += nodeDepth[c]! - depth + 1;
    nodeFixed[node] = fixed;
    // Push children last-to-first so the first child is visited next.
    for (let c = lastChild[node]!; c >= 0; c = prevSib[c]!) stack[sp++] = c;
  }

  // 4. Assign offsets in pre-order until no node moves.
  let total = 0;
  for (;;) {
    let changed = false;
    let cur = 0;
    for (let k = 0; k < orderLen; k++) {
      const node = order[k]!;
      if (nodeOffset[node] !== cur) {
        nodeOffset[node] = cur;
        changed = true;
      }
      let size = nodeFixed[node]!;
      for (let c = firstChild[node]!; c >= 0; c = nextSib[c]!) size += ulebSize31(nodeOffset[c]!);
      cur += size;
    }
    total = cur;
    if (!changed) break;
  }

  // 5. Serialize.
  const out = new Uint8Array((total + 7) & ~7);
  let p = 0;
  for (let k = 0; k < orderLen; k++) {
    const node = order[k]!;
    const term = nodeTerm[node]!;
    if (term !== -1) {
      const flags = flagsOf[term]!;
      p = writeULEB128(out, p, nodeTermSize[node]!);
      p = writeULEB128(out, p, flags);
      if ((flags & EXPORT_SYMBOL_FLAGS_REEXPORT) !== 0) {
        p = writeULEB128(out, p, entry(term).ordinal!);
        const imp = importNames.get(term)!;
        out.set(imp, p);
        p += imp.length;
        out[p++] = 0;
      } else if ((flags & EXPORT_SYMBOL_FLAGS_STUB_AND_RESOLVER) !== 0) {
        p = writeULEB128(out, p, addressOf[term]!);
        p = writeULEB128(out, p, entry(term).resolver!);
      } else {
        p = writeULEB128(out, p, addressOf[term]!);
      }
    } else {
      out[p++] = 0;
    }
    const countAt = p++;
    let count = 0;
    const depth = nodeDepth[node]!;
    for (let c = firstChild[node]!; c >= 0; c = nextSib[c]!) {
      count++;
      const s0 = start[nodeRep[c]!]!;
      const le = s0 + nodeDepth[c]!;
      for (let q = s0 + depth; q < le; q++) out[p++] = pool[q]!;
      out[p++] = 0;
      p = writeULEB128(out, p, nodeOffset[c]!);
    }
    out[countAt] = count;
  }
  if (p !== total) throw new Error(`internal error: export trie size ${p} != ${total}`);
  return out;
}

/**
 * Decodes every symbol of an export trie, depth-first in the trie's own edge
 * order (byte-sorted for tries built by buildExportTrie; lld orders siblings
 * differently).
 * Throws MachOFormatError on out-of-bounds offsets, truncated nodes, or
 * cycles (a node reached twice).
 */
export function parseExportTrie(bytes: Uint8Array): ExportEntry[] {
  const out: ExportEntry[] = [];
  const len = bytes.length;
  if (len === 0) return out;
  const visited = new Uint8Array(len);
  const stackOff: number[] = [0];
  const stackPrefix: Uint8Array[] = [new Uint8Array(0)];
  while (stackOff.length > 0) {
    const nodeOff = stackOff.pop()!;
    const prefix = stackPrefix.pop()!;
    if (nodeOff >= len)
      throw new MachOFormatError(
        `export trie node offset 0x${nodeOff.toString(16)} out of bounds (size ${len})`,
        nodeOff,
      );
    if (visited[nodeOff] !== 0)
      throw new MachOFormatError(`export trie has a cycle at node 0x${nodeOff.toString(16)}`, nodeOff);
    visited[nodeOff] = 1;
    const termSize = readULEB128(bytes, nodeOff);
    let p = lebCursor.next;
    const childrenOff = p + termSize;
    if (childrenOff >= len) {
      throw new MachOFormatError(
        `export trie node at 0x${nodeOff.toString(16)}: terminal size ${termSize} runs past the end`,
        nodeOff,
      );
    }
    if (termSize !== 0) {
      const sub = bytes.subarray(0, childrenOff);
      const flags = readULEB128(sub, p);
      p = lebCursor.next;
      const name = decoder.decode(prefix);
      if ((flags & EXPORT_SYMBOL_FLAGS_REEXPORT) !== 0) {
        const ordinal = readULEB128(sub, p);
        p = lebCursor.next;
        let q = p;
        while (q < childrenOff && bytes[q] !== 0) q++;
        if (q >= childrenOff)
          throw new MachOFormatError(`export trie node at 0x${nodeOff.toString(16)}: unterminated re-export name`, p);
        const importName = decoder.decode(bytes.subarray(p, q));
        const e: ExportEntry = { name, flags, address: 0, ordinal };
        if (importName !== "") e.importName = importName;
        out.push(e);
      } else if ((flags & EXPORT_SYMBOL_FLAGS_STUB_AND_RESOLVER) !== 0) {
        const address = readULEB128(sub, p);
        const resolver = readULEB128(sub, lebCursor.next);
        out.push({ name, flags, address, resolver });
      } else {
        const address = readULEB128(sub, p);
        out.push({ name, flags, address });
      }
    }
    p = childrenOff;
    const childCount = bytes[p++]!;
    const childOffs: number[] = [];
    const childPrefixes: Uint8Array[] = [];
    for (let c = 0; c < childCount; c++) {
      const labelStart = p;
      while (p < len && bytes[p] !== 0) p++;
      if (p >= len)
        throw new MachOFormatError(
          `export trie node at 0x${nodeOff.toString(16)}: unterminated edge label`,
          labelStart,
        );
      const full = new Uint8Array(prefix.length + (p - labelStart));
      full.set(prefix, 0);
      full.set(bytes.subarray(labelStart, p), prefix.length);
      p++;
      const childOff = readULEB128(bytes, p);
      p = lebCursor.next;
      if (childOff >= len) {
        throw new MachOFormatError(
          `export trie node at 0x${nodeOff.toString(16)}: child offset 0x${childOff.toString(16)} out of bounds`,
          nodeOff,
        );
      }
      childOffs.push(childOff);
      childPrefixes.push(full);
    }
    for (let c = childCount - 1; c >= 0; c--) {
      stackOff.push(childOffs[c]!);
      stackPrefix.push(childPrefixes[c]!);
    }
  }
  return out;
}

/** Byte-wise order of `pool[as, ae)` and `pool[bs, be)` (a prefix first). */
function compareBytes(pool: Uint8Array, as: number, ae: number, bs: number, be: number): number {
  const la = ae - as;
  const lb = be - bs;
  const lim = la < lb ? la : lb;
  for (let k = 0; k < lim; k++) {
    const d = pool[as + k]! - pool[bs + k]!;
    if (d !== 0) return d;
  }
  return la - lb;
}

/**
 * Fills `lcp` with each name's common prefix with the previous one in
 * `ord` and returns whether `ord` is in strictly increasing byte order.
 * Throws MachOFormatError on two equal names.
 */
function sortedLcp(
  pool: Uint8Array,
  start: Int32Array,
  end: Int32Array,
  ord: Int32Array,
  lcp: Int32Array,
  names: readonly string[],
): boolean {
  const n = ord.length;
  let sorted = true;
  lcp[0] = 0;
  for (let k = 1; k < n; k++) {
    const a = ord[k - 1]!;
    const b = ord[k]!;
    const as = start[a]!;
    const bs = start[b]!;
    const la = end[a]! - as;
    const lb = end[b]! - bs;
    const lim = la < lb ? la : lb;
    let l = 0;
    while (l < lim && pool[as + l] === pool[bs + l]) l++;
    lcp[k] = l;
    if (l === la && l === lb) throw new MachOFormatError(`duplicate export "${names[b]!}"`);
    if (l === lb || (l < la && pool[as + l]! > pool[bs + l]!)) sorted = false;
  }
  return sorted;
}
