/**
 * The link map (`-map FILE`), in the shape of ld64's: the output path and
 * arch, the input files numbered, the sections with addresses and sizes,
 * then every emitted symbol with its address, size and input file.
 */
import { writeFileSync } from "node:fs";
import { type LinkContext, SymKind, fileName, osErrorText } from "@tsld/core";

const hex = (n: number): string => `0x${n.toString(16).toUpperCase().padStart(8, "0")}`;

export function writeMap(ctx: LinkContext, path: string): void {
  const L: string[] = [];
  L.push(`# Path: ${ctx.options.output}`, `# Arch: ${ctx.options.arch}`, "# Object files:", "[  0] linker synthesized");
  ctx.files.forEach((f, i) => L.push(`[${String(i + 1).padStart(3)}] ${fileName(f)}`));
  L.push("# Sections:", "# Address\tSize    \tSegment\tSection");
  for (const o of ctx.outSections) L.push(`${hex(o.addr)}\t${hex(o.size)}\t${o.segname}\t${o.sectname}`);
  L.push("# Symbols:", "# Address\tSize    \tFile  Name");
  const A = ctx.atoms;
  const T = ctx.syms;
  for (const o of ctx.outSections) {
    for (const a of o.atoms) {
      const s = A.symbol[a]!;
      const name = s > 0 ? T.name(s) : `<anonymous ${o.sectname}>`;
      L.push(`${hex(A.address[a]!)}\t${hex(A.size[a]!)}\t[${String(A.file[a]! + 1).padStart(3)}] ${name}`);
    }
  }
  for (const s of T.globals())
    if (T.kind[s] === SymKind.Synthetic) L.push(`${hex(T.address[s]!)}\t${hex(0)}\t[  0] ${T.name(s)}`);
  try {
    writeFileSync(path, `${L.join("\n")}\n`);
  } catch (e) {
    ctx.diag.error(`cannot write map file ${path}: ${osErrorText(e)}`);
    ctx.diag.checkpoint();
  }
}
