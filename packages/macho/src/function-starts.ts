/**
 * Two `linkedit_data_command` tables about code (Apple `mach-o/loader.h`;
 * lld's `FunctionStartsSection`, `DataInCodeSection`):
 *
 * - `LC_FUNCTION_STARTS`: the start of every function in executable
 *   sections, as ULEB128 deltas from `__TEXT`'s address (the first from the
 *   segment start), ended by a zero and padded to 8 bytes. Synthetic code
 *   (stubs, stub helper) is not listed, as in ld64.
 * - `LC_DATA_IN_CODE`: data islands inside code. objfile reads the inputs'
 *   entries (`ObjectInfo.dataInCode`) and `-r` keeps them, but an image does
 *   not carry them yet, so the table is empty (the command still points at
 *   its offset, as ld64 and lld write it).
 */
import type { LinkContext, LinkEditChunk } from "@tsld/core";
import { S_ATTR_PURE_INSTRUCTIONS, ulebSize, writeULEB128 } from "@tsld/macho-format";

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
  size(): number {
    return 0;
  }
  writeTo(): void {}
}

function functionStarts(ctx: LinkContext): Uint8Array {
  const addrs: number[] = [];
  for (const o of ctx.outSections) {
    if (!(o.flags & S_ATTR_PURE_INSTRUCTIONS) || o.synthetic !== "none") continue;
    for (const a of o.atoms) if (ctx.atoms.symbol[a]! > 0) addrs.push(ctx.atoms.address[a]!);
  }
  addrs.sort((a, b) => a - b);
  const text = ctx.segments.find((s) => s.name === "__TEXT")!;
  let prev = text.vmaddr;
  let size = 0;
  const deltas: number[] = [];
  for (const a of addrs) {
    if (a === prev && deltas.length > 0) continue;
    deltas.push(a - prev);
    size += ulebSize(a - prev);
    prev = a;
  }
  if (deltas.length === 0) return new Uint8Array(0);
  const out = new Uint8Array(Math.ceil((size + 1) / 8) * 8);
  let o = 0;
  for (const d of deltas) o = writeULEB128(out, o, d);
  return out;
}
