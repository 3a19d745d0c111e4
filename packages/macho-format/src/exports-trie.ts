/**
 * The export trie: dyld's table of the symbols an image exports.
 *
 * Described in Apple's `mach-o/loader.h` (dyld_info_command, "export_off")
 * and implemented by dyld's `ImageLoaderMachOCompressed` / `MachOAnalyzer`
 * (trie walking) and by ld64's and lld's trie builders. The trie is a prefix
 * tree over symbol names serialized as a sequence of nodes. Each node is:
 *
 *   ULEB128 terminalSize   -- 0 when no symbol ends at this node
 *   terminal info          -- terminalSize bytes:
 *       ULEB128 flags      -- EXPORT_SYMBOL_FLAGS_*
 *       REEXPORT:          ULEB128 dylib ordinal, then the imported name as a
 *                          C string ("" = same name)
 *       STUB_AND_RESOLVER: ULEB128 stub offset, ULEB128 resolver offset
 *       otherwise:         ULEB128 address (offset from the mach header)
 *   u8 childCount
 *   childCount x { edge label C string, ULEB128 child node offset }
 *
 * Child offsets are relative to the start of the trie and are themselves
 * ULEB128, so a node's size depends on where its children land. Like ld64 and
 * lld, `buildExportTrie` lays nodes out in pre-order and repeats the offset
 * assignment until no node moves (offsets only grow, so this terminates,
 * usually after two or three passes). Edges split only where names diverge
 * (a radix tree), so the node count is at most twice the symbol count.
 * Output is deterministic: entries are sorted by the byte-wise (UTF-8) order
 * of their names and children by their first label byte; the result is
 * zero-padded to a multiple of 8 bytes.
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

interface TrieNode {
  /** Index into the sorted entries of the symbol ending here, or -1. */
  term: number;
  /** Edge labels: absolute [start, end) ranges in the name pool. */
  labelStart: number[];
  labelEnd: number[];
  children: TrieNode[];
  /** Node bytes excluding the children's offset ULEBs. */
  fixedSize: number;
  offset: number;
}

function newNode(): TrieNode {
  return { term: -1, labelStart: [], labelEnd: [], children: [], fixedSize: 0, offset: 0 };
}

/**
 * Serializes `entries` as an export trie. Returns an empty array when there
 * are no entries (dyld accepts an export size of 0). Throws MachOFormatError
 * on duplicate names or names containing NUL.
 */
export function buildExportTrie(entries: readonly ExportEntry[]): Uint8Array {
  const n = entries.length;
  if (n === 0) return new Uint8Array(0);

  // 1. Names into one UTF-8 pool.
  let ascii = true;
  let poolSize = 0;
  for (let i = 0; i < n; i++) {
    const name = entries[i]!.name;
    poolSize += name.length;
    if (ascii) {
      for (let k = 0; k < name.length; k++) {
        if (name.charCodeAt(k) >= 0x80) {
          ascii = false;
          break;
        }
      }
    }
  }
  if (!ascii) poolSize *= 3;
  const pool = new Uint8Array(poolSize);
  const start = new Int32Array(n);
  const end = new Int32Array(n);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const name = entries[i]!.name;
    start[i] = pos;
    if (ascii) {
      for (let k = 0; k < name.length; k++) pool[pos++] = name.charCodeAt(k);
    } else {
      pos += encoder.encodeInto(name, pool.subarray(pos)).written;
    }
    end[i] = pos;
  }

  // 2. Sort by bytes (for ASCII, UTF-16 code unit order is the same).
  const ord = new Array<number>(n);
  for (let i = 0; i < n; i++) ord[i] = i;
  if (ascii) {
    ord.sort((a, b) => {
      const x = entries[a]!.name;
      const y = entries[b]!.name;
      return x < y ? -1 : x > y ? 1 : 0;
    });
  } else {
    ord.sort((a, b) => {
      const ea = end[a]!;
      const eb = end[b]!;
      let i = start[a]!;
      let j = start[b]!;
      for (; i < ea && j < eb; i++, j++) {
        const d = pool[i]! - pool[j]!;
        if (d !== 0) return d;
      }
      return ea - i - (eb - j);
    });
  }
  for (let k = 0; k < n; k++) {
    const e = ord[k]!;
    for (let p = start[e]!; p < end[e]!; p++) {
      if (pool[p] === 0) throw new MachOFormatError(`export name contains NUL: ${JSON.stringify(entries[e]!.name)}`);
    }
    if (k > 0) {
      const prev = ord[k - 1]!;
      if (entries[prev]!.name === entries[e]!.name) {
        throw new MachOFormatError(`duplicate export "${entries[e]!.name}"`);
      }
    }
  }

  // 3. Build the radix tree over the sorted range, iteratively.
  const root = newNode();
  const taskNode: TrieNode[] = [root];
  const taskLo: number[] = [0];
  const taskHi: number[] = [n];
  const taskDepth: number[] = [0];
  while (taskNode.length > 0) {
    const node = taskNode.pop()!;
    let lo = taskLo.pop()!;
    const hi = taskHi.pop()!;
    const depth = taskDepth.pop()!;
    const first0 = ord[lo]!;
    if (end[first0]! - start[first0]! === depth) {
      node.term = first0;
      lo++;
    }
    let i = lo;
    while (i < hi) {
      const ei = ord[i]!;
      const b = pool[start[ei]! + depth]!;
      let j = i + 1;
      while (j < hi) {
        const ej = ord[j]!;
        if (pool[start[ej]! + depth] !== b) break;
        j++;
      }
      // Longest common prefix of the group = that of its first and last names.
      const eLast = ord[j - 1]!;
      const sF = start[ei]!;
      const sL = start[eLast]!;
      const max = Math.min(end[ei]! - sF, end[eLast]! - sL);
      let l = depth + 1;
      while (l < max && pool[sF + l] === pool[sL + l]) l++;
      const child = newNode();
      node.labelStart.push(sF + depth);
      node.labelEnd.push(sF + l);
      node.children.push(child);
      taskNode.push(child);
      taskLo.push(i);
      taskHi.push(j);
      taskDepth.push(l);
      i = j;
    }
    if (node.children.length > 255) {
      throw new MachOFormatError("export trie node with more than 255 children");
    }
  }

  // 4. Pre-order list of nodes and their fixed sizes.
  const order: TrieNode[] = [];
  const termSizes = new Map<TrieNode, number>();
  const importNames = new Map<TrieNode, Uint8Array>();
  const stack: TrieNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    order.push(node);
    let fixed = 1; // child count
    if (node.term >= 0) {
      const e = entries[node.term]!;
      let ts = ulebSize(e.flags);
      if ((e.flags & EXPORT_SYMBOL_FLAGS_REEXPORT) !== 0) {
        if (e.ordinal === undefined) throw new RangeError(`re-export "${e.name}" has no ordinal`);
        const imp =
          e.importName === undefined || e.importName === e.name ? new Uint8Array(0) : encoder.encode(e.importName);
        importNames.set(node, imp);
        ts += ulebSize(e.ordinal) + imp.length + 1;
      } else if ((e.flags & EXPORT_SYMBOL_FLAGS_STUB_AND_RESOLVER) !== 0) {
        if (e.resolver === undefined) throw new RangeError(`stub-and-resolver export "${e.name}" has no resolver`);
        ts += ulebSize(e.address) + ulebSize(e.resolver);
      } else {
        ts += ulebSize(e.address);
      }
      termSizes.set(node, ts);
      fixed += ulebSize(ts) + ts;
    } else {
      fixed += 1;
    }
    const ls = node.labelStart;
    const le = node.labelEnd;
    for (let k = 0; k < ls.length; k++) fixed += le[k]! - ls[k]! + 1;
    node.fixedSize = fixed;
    for (let k = node.children.length - 1; k >= 0; k--) stack.push(node.children[k]!);
  }

  // 5. Assign offsets until stable.
  let total = 0;
  for (;;) {
    let changed = false;
    let cur = 0;
    for (let k = 0; k < order.length; k++) {
      const node = order[k]!;
      if (node.offset !== cur) {
        node.offset = cur;
        changed = true;
      }
      let size = node.fixedSize;
      const ch = node.children;
      for (let c = 0; c < ch.length; c++) size += ulebSize(ch[c]!.offset);
      cur += size;
    }
    total = cur;
    if (!changed) break;
  }

  // 6. Serialize.
  const out = new Uint8Array((total + 7) & ~7);
  let p = 0;
  for (let k = 0; k < order.length; k++) {
    const node = order[k]!;
    if (node.term >= 0) {
      const e = entries[node.term]!;
      p = writeULEB128(out, p, termSizes.get(node)!);
      p = writeULEB128(out, p, e.flags);
      if ((e.flags & EXPORT_SYMBOL_FLAGS_REEXPORT) !== 0) {
        p = writeULEB128(out, p, e.ordinal!);
        const imp = importNames.get(node)!;
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
    const ch = node.children;
    out[p++] = ch.length;
    for (let c = 0; c < ch.length; c++) {
      out.set(pool.subarray(node.labelStart[c]!, node.labelEnd[c]!), p);
      p += node.labelEnd[c]! - node.labelStart[c]!;
      out[p++] = 0;
      p = writeULEB128(out, p, ch[c]!.offset);
    }
  }
  if (p !== total) throw new Error(`internal error: export trie size ${p} != ${total}`);
  return out;
}

/**
 * Decodes every symbol of an export trie, in trie (byte-sorted) order.
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
