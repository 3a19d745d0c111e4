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
 * The radix tree is built MSD-radix-sort style: each node's range of entries
 * (all sharing the node's prefix) is grouped by the next byte, and each group
 * becomes one edge labelled with the group's longest common prefix. This
 * sorts the names as a side effect, with no string comparisons, and makes the
 * output independent of the input order.
 */
export function buildExportTrie(entries: readonly ExportEntry[]): Uint8Array {
  const n = entries.length;
  if (n === 0) return new Uint8Array(0);

  // 1. Names into one UTF-8 pool.
  let poolSize = 0;
  for (let i = 0; i < n; i++) poolSize += entries[i]!.name.length;
  let pool = new Uint8Array(poolSize);
  const start = new Int32Array(n);
  const end = new Int32Array(n);
  let pos = 0;
  let unitsDone = 0;
  for (let i = 0; i < n; i++) {
    const name = entries[i]!.name;
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

  // 2. Build the radix tree. Nodes and edges live in typed arrays; nodes are
  //    processed depth-first with children pushed in reverse, so the
  //    processing order is the pre-order used for layout.
  const maxNodes = 2 * n + 1;
  const nodeTerm = new Int32Array(maxNodes).fill(-1);
  const nodeTermSize = new Int32Array(maxNodes);
  const nodeEdgeFirst = new Int32Array(maxNodes);
  const nodeEdgeCount = new Int32Array(maxNodes);
  const nodeFixed = new Int32Array(maxNodes);
  const nodeOffset = new Int32Array(maxNodes);
  const edgeStart = new Int32Array(maxNodes);
  const edgeEnd = new Int32Array(maxNodes);
  const edgeChild = new Int32Array(maxNodes);
  const edgeLo = new Int32Array(maxNodes);
  const edgeHi = new Int32Array(maxNodes);
  const edgeDepth = new Int32Array(maxNodes);
  const order = new Int32Array(maxNodes);
  const tNode = new Int32Array(maxNodes);
  const tLo = new Int32Array(maxNodes);
  const tHi = new Int32Array(maxNodes);
  const tDepth = new Int32Array(maxNodes);
  const ord = new Int32Array(n);
  for (let i = 0; i < n; i++) ord[i] = i;
  const tmp = new Int32Array(n);
  const counts = new Int32Array(257);
  const importNames = new Map<number, Uint8Array>();
  let nodeCount = 1;
  let edgeCount = 0;
  let orderLen = 0;
  let sp = 0;
  tNode[0] = 0;
  tLo[0] = 0;
  tHi[0] = n;
  tDepth[0] = 0;
  sp = 1;

  while (sp > 0) {
    sp--;
    const node = tNode[sp]!;
    let lo = tLo[sp]!;
    const hi = tHi[sp]!;
    const depth = tDepth[sp]!;
    order[orderLen++] = node;

    // Move the entry that ends here (if any) to the front.
    for (let i = lo; i < hi; i++) {
      const e = ord[i]!;
      if (end[e]! - start[e]! === depth) {
        if (nodeTerm[node] !== -1) throw new MachOFormatError(`duplicate export "${entries[e]!.name}"`);
        nodeTerm[node] = e;
        ord[i] = ord[lo]!;
        ord[lo] = e;
      }
    }
    let fixed = 1; // child count byte
    const term = nodeTerm[node]!;
    if (term !== -1) {
      lo++;
      const e = entries[term]!;
      let ts = ulebSize(e.flags);
      if ((e.flags & EXPORT_SYMBOL_FLAGS_REEXPORT) !== 0) {
        if (e.ordinal === undefined) throw new RangeError(`re-export "${e.name}" has no ordinal`);
        const imp =
          e.importName === undefined || e.importName === e.name ? new Uint8Array(0) : encoder.encode(e.importName);
        importNames.set(term, imp);
        ts += ulebSize(e.ordinal) + imp.length + 1;
      } else if ((e.flags & EXPORT_SYMBOL_FLAGS_STUB_AND_RESOLVER) !== 0) {
        if (e.resolver === undefined) throw new RangeError(`stub-and-resolver export "${e.name}" has no resolver`);
        ts += ulebSize(e.address) + ulebSize(e.resolver);
      } else {
        ts += ulebSize(e.address);
      }
      nodeTermSize[node] = ts;
      fixed += ulebSize(ts) + ts;
    } else {
      fixed += 1;
    }

    // Group the rest by the byte at `depth` (all have length > depth).
    const size = hi - lo;
    if (size > 24) {
      counts.fill(0);
      for (let i = lo; i < hi; i++) {
        const e = ord[i]!;
        counts[pool[start[e]! + depth]! + 1]!++;
      }
      for (let b = 1; b < 257; b++) counts[b] = counts[b]! + counts[b - 1]!;
      for (let i = lo; i < hi; i++) {
        const e = ord[i]!;
        const b = pool[start[e]! + depth]!;
        tmp[counts[b]!++] = e;
      }
      ord.set(tmp.subarray(0, size), lo);
    } else {
      // insertion sort on one byte (stable)
      for (let i = lo + 1; i < hi; i++) {
        const e = ord[i]!;
        const b = pool[start[e]! + depth]!;
        let j = i - 1;
        while (j >= lo && pool[start[ord[j]!]! + depth]! > b) {
          ord[j + 1] = ord[j]!;
          j--;
        }
        ord[j + 1] = e;
      }
    }

    const firstEdge = edgeCount;
    let i = lo;
    while (i < hi) {
      const ei = ord[i]!;
      const sF = start[ei]!;
      const b = pool[sF + depth]!;
      // longest common prefix of the group
      let l = end[ei]! - sF;
      let j = i + 1;
      for (; j < hi; j++) {
        const ej = ord[j]!;
        const sJ = start[ej]!;
        if (pool[sJ + depth] !== b) break;
        const lim = Math.min(l, end[ej]! - sJ);
        let k = depth + 1;
        while (k < lim && pool[sF + k] === pool[sJ + k]) k++;
        l = k;
      }
      const child = nodeCount++;
      const edge = edgeCount++;
      edgeStart[edge] = sF + depth;
      edgeEnd[edge] = sF + l;
      edgeChild[edge] = child;
      fixed += l - depth + 1;
      edgeLo[edge] = i;
      edgeHi[edge] = j;
      edgeDepth[edge] = l;
      i = j;
    }
    const nEdges = edgeCount - firstEdge;
    nodeEdgeFirst[node] = firstEdge;
    nodeEdgeCount[node] = nEdges;
    nodeFixed[node] = fixed;
    // Push children last-to-first so the first child is processed next.
    for (let k = firstEdge + nEdges - 1; k >= firstEdge; k--) {
      tNode[sp] = edgeChild[k]!;
      tLo[sp] = edgeLo[k]!;
      tHi[sp] = edgeHi[k]!;
      tDepth[sp] = edgeDepth[k]!;
      sp++;
    }
  }

  // 3. Assign offsets in pre-order until no node moves.
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
      const ef = nodeEdgeFirst[node]!;
      const el = ef + nodeEdgeCount[node]!;
      for (let c = ef; c < el; c++) size += ulebSize31(nodeOffset[edgeChild[c]!]!);
      cur += size;
    }
    total = cur;
    if (!changed) break;
  }

  // 4. Serialize.
  const out = new Uint8Array((total + 7) & ~7);
  let p = 0;
  for (let k = 0; k < orderLen; k++) {
    const node = order[k]!;
    const term = nodeTerm[node]!;
    if (term !== -1) {
      const e = entries[term]!;
      p = writeULEB128(out, p, nodeTermSize[node]!);
      p = writeULEB128(out, p, e.flags);
      if ((e.flags & EXPORT_SYMBOL_FLAGS_REEXPORT) !== 0) {
        p = writeULEB128(out, p, e.ordinal!);
        const imp = importNames.get(term)!;
        out.set(imp, p);
        p += imp.length;
        out[p++] = 0;
      } else if ((e.flags & EXPORT_SYMBOL_FLAGS_STUB_AND_RESOLVER) !== 0) {
        p = writeULEB128(out, p, e.address);
        p = writeULEB128(out, p, e.resolver!);
      } else {
        p = writeULEB128(out, p, e.address);
      }
    } else {
      out[p++] = 0;
    }
    const ef = nodeEdgeFirst[node]!;
    const el = ef + nodeEdgeCount[node]!;
    out[p++] = el - ef;
    for (let c = ef; c < el; c++) {
      const ls = edgeStart[c]!;
      const le = edgeEnd[c]!;
      for (let q = ls; q < le; q++) out[p++] = pool[q]!;
      out[p++] = 0;
      p = writeULEB128(out, p, nodeOffset[edgeChild[c]!]!);
    }
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
