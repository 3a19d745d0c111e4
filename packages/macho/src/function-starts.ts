/**
 * Two `linkedit_data_command` tables about code (Apple `mach-o/loader.h`;
 * lld's `FunctionStartsSection`, `DataInCodeSection`):
 *
 * - `LC_FUNCTION_STARTS`: the start of every function in executable
 *   sections, as ULEB128 deltas from `__TEXT`'s address (the first from the
 *   segment start), ended by a zero and padded to 8 bytes. Synthetic code
 *   (stubs, stub helper) is not listed, as in ld64.
 * - `LC_DATA_IN_CODE`: data islands inside code (jump tables, literal
 *   pools), which disassemblers and tools that patch code must not decode as
 *   instructions. Each `data_in_code_entry` is 8 bytes: u32 offset, u16
 *   length, u16 kind (`DICE_KIND_*`), sorted by offset. The linker carries
 *   the inputs' entries (objfile keeps them as `ObjectInfo.dataInCode`, with
 *   input section addresses) to where their code lands; entries of code not
 *   in the output (dead-stripped, folded) are dropped. In an image the offset
 *   is from the Mach header (`__TEXT`'s address), as ld64 and lld write it;
 *   in `-r` output it is the section address (relocatable.ts). An image
 *   without entries still has the command, pointing at an empty table.
 */
import { AtomFlag, type LinkContext, type LinkEditChunk } from "@tsld/core";
import { DATA_IN_CODE_ENTRY_SIZE, S_ATTR_PURE_INSTRUCTIONS, ulebSize, writeULEB128 } from "@tsld/macho-format";

export class FunctionStartsSection implements LinkEditChunk {
  readonly align = 8;
  off = 0;
  private readonly bytes: Uint8Array;
  constructor(ctx: LinkContext) {
    this.bytes = functionStarts(ctx);
  }
  size(): number {
    return this.bytes.length;
  }
  writeTo(buf: Uint8Array, off: number): void {
    buf.set(this.bytes, off);
  }
}

export class DataInCodeSection implements LinkEditChunk {
  readonly align = 8;
  off = 0;
  private readonly bytes: Uint8Array;
  constructor(ctx: LinkContext) {
    const header = ctx.segments.find((s) => s.name === "__TEXT")!.vmaddr;
    const A = ctx.atoms;
    this.bytes = dataInCodeEntries(ctx, (a, delta) =>
      a >= 0 && (A.flags[a]! & (AtomFlag.Live | AtomFlag.Folded)) === AtomFlag.Live && A.out[a]! >= 0
        ? A.address[a]! + delta - header
        : undefined,
    );
  }
  size(): number {
    return this.bytes.length;
  }
  writeTo(buf: Uint8Array, off: number): void {
    buf.set(this.bytes, off);
  }
}

/** The atom of input section `sid` holding offset `off` (atoms are in offset order), or -1. */
export function atomAt(ctx: LinkContext, sid: number, off: number): number {
  const A = ctx.atoms;
  const first = ctx.sections.firstAtom[sid]!;
  const n = first < 0 ? 0 : ctx.sections.atomCount[sid]!;
  for (let a = first + n - 1; a >= first; a--) if (A.offset[a]! <= off) return a;
  return -1;
}

/**
 * Every input object's data-in-code entries, placed by `place(atom, delta)`
 * (the entry's output offset for the atom holding it, `delta` bytes into the
 * atom, or undefined to drop it; `atom` is -1 for a section without atoms),
 * sorted by offset, as `data_in_code_entry` bytes.
 */
export function dataInCodeEntries(
  ctx: LinkContext,
  place: (atom: number, delta: number, section: number, offset: number) => number | undefined,
): Uint8Array {
  const S = ctx.sections;
  const rows: [number, number, number][] = [];
  for (const f of ctx.files) {
    const ob = f.kind === "object" ? f.object : undefined;
    const dice = ob?.dataInCode;
    if (!ob || !dice) continue;
    const v = new DataView(dice.buffer, dice.byteOffset, dice.byteLength);
    for (let k = 0; k + DATA_IN_CODE_ENTRY_SIZE <= dice.length; k += DATA_IN_CODE_ENTRY_SIZE) {
      const addr = v.getUint32(k, true);
      for (let sid = ob.firstSection; sid < ob.firstSection + ob.sectionCount; sid++) {
        const off = addr - S.addr[sid]!;
        if (off < 0 || off >= S.size[sid]!) continue;
        const a = atomAt(ctx, sid, off);
        const at = place(a, a >= 0 ? off - ctx.atoms.offset[a]! : off, sid, off);
        if (at !== undefined) rows.push([at, v.getUint16(k + 4, true), v.getUint16(k + 6, true)]);
        break;
      }
    }
  }
  rows.sort((x, y) => x[0] - y[0]);
  const out = new Uint8Array(rows.length * DATA_IN_CODE_ENTRY_SIZE);
  const w = new DataView(out.buffer);
  rows.forEach(([at, length, kind], i) => {
    w.setUint32(i * DATA_IN_CODE_ENTRY_SIZE, at, true);
    w.setUint16(i * DATA_IN_CODE_ENTRY_SIZE + 4, length, true);
    w.setUint16(i * DATA_IN_CODE_ENTRY_SIZE + 6, kind, true);
  });
  return out;
}

function functionStarts(ctx: LinkContext): Uint8Array {
  const A = ctx.atoms;
  let n = 0;
  for (const o of ctx.outSections) {
    if (!(o.flags & S_ATTR_PURE_INSTRUCTIONS) || o.synthetic !== "none") continue;
    for (const a of o.atoms) if (A.symbol[a]! > 0) n++;
  }
  const addrs = new Float64Array(n);
  let k = 0;
  let sorted = true;
  for (const o of ctx.outSections) {
    if (!(o.flags & S_ATTR_PURE_INSTRUCTIONS) || o.synthetic !== "none") continue;
    for (const a of o.atoms) {
      if (A.symbol[a]! <= 0) continue;
      const at = A.address[a]!;
      if (k > 0 && at < addrs[k - 1]!) sorted = false;
      addrs[k++] = at;
    }
  }
  if (!sorted) addrs.sort();
  const text = ctx.segments.find((s) => s.name === "__TEXT")!;
  let prev = text.vmaddr;
  let size = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const at = addrs[i]!;
    if (at === prev && count > 0) continue;
    size += ulebSize(at - prev);
    count++;
    prev = at;
  }
  if (count === 0) return new Uint8Array(0);
  const out = new Uint8Array(Math.ceil((size + 1) / 8) * 8);
  let o = 0;
  prev = text.vmaddr;
  count = 0;
  for (let i = 0; i < n; i++) {
    const at = addrs[i]!;
    if (at === prev && count > 0) continue;
    o = writeULEB128(out, o, at - prev);
    count++;
    prev = at;
  }
  return out;
}
