/** Relocation diagnostics that name the file, section, symbol and offset. */
import { type AtomId, type LinkContext, fileName } from "@tsld/core";

/** `file: section+0xOFF (in symbol)`: where a relocation site is. */
export function siteName(ctx: LinkContext, atom: AtomId, at: number): string {
  const A = ctx.atoms;
  const sid = A.section[atom]!;
  const f = ctx.files[A.file[atom]!];
  const off = A.offset[atom]! + at;
  const sym = A.symbol[atom]! > 0 ? ` (in ${ctx.syms.name(A.symbol[atom]!)}+0x${at.toString(16)})` : "";
  return `${f ? fileName(f) : "<linker>"}: ${ctx.sections.name(sid)}+0x${off.toString(16)}${sym}`;
}

export function relocError(ctx: LinkContext, atom: AtomId, at: number, msg: string): void {
  ctx.diag.error(`${siteName(ctx, atom, at)}: ${msg}`);
}
