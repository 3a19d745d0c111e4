#!/usr/bin/env node
/**
 * macho-dump: print a Mach-O file's header, load commands, sections,
 * symbols, exports and fixups, laid out as `llvm-objdump --macho` prints
 * them (or as JSON with --json). Exit 1 with `macho-dump: error: …` for a
 * file that cannot be read or is not Mach-O; 2 for bad usage.
 */
import { readFileSync } from "node:fs";
import { type DumpOptions, formatMachODump, machODumpJson } from "../dump.js";
import { MachOFormatError } from "../errors.js";
import { fatSlices, openMachO } from "../image.js";

const USAGE = `usage: macho-dump [options] file...

Prints a Mach-O file the way llvm-objdump --macho lays it out.

Options (default: all parts):
  --header          the mach header
  --load-commands   each load command's name and size
  --sections        the section table
  --symbols         the symbol table
  --exports         the export trie
  --fixups          rebases and binds (dyld opcodes or chained fixups)
  --arch NAME       the slice of a universal file to dump (default: every slice)
  --json            JSON instead of text
  -h, --help        this help
`;

const PARTS = ["header", "load-commands", "sections", "symbols", "exports", "fixups"] as const;

function main(argv: string[]): number {
  const files: string[] = [];
  const chosen: DumpOptions = {};
  let json = false;
  let arch: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-h" || a === "--help") {
      process.stdout.write(USAGE);
      return 0;
    }
    if (a === "--json") json = true;
    else if (a === "--arch") {
      arch = argv[++i];
      if (arch === undefined) return usage("--arch needs a value");
    } else if (a.startsWith("--arch=")) arch = a.slice(7);
    else if (a.startsWith("-")) {
      const part = a.slice(2) as (typeof PARTS)[number];
      if (!PARTS.includes(part)) return usage(`unknown option ${a}`);
      chosen[part === "load-commands" ? "loadCommands" : part] = true;
    } else files.push(a);
  }
  if (files.length === 0) return usage("no input files");
  const opts: DumpOptions =
    Object.keys(chosen).length > 0
      ? chosen
      : { ...Object.fromEntries(PARTS.map((p) => [p === "load-commands" ? "loadCommands" : p, true])) };
  let status = 0;
  const jsonOut: Record<string, unknown>[] = [];
  for (const file of files) {
    try {
      const bytes = readFileSync(file);
      const slices = fatSlices(bytes);
      const picked = arch ? [openMachO(bytes, { arch })] : slices.map((s) => openMachO(s.bytes));
      for (const img of picked) {
        if (json) jsonOut.push({ file, arch: img.arch, ...machODumpJson(img, opts) });
        else {
          const title =
            files.length > 1 || picked.length > 1
              ? `${file}${picked.length > 1 ? ` (architecture ${img.arch})` : ""}:\n`
              : "";
          process.stdout.write(`${title}${formatMachODump(img, opts)}`);
        }
      }
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why =
        e instanceof MachOFormatError
          ? e.message
          : err.code
            ? `${err.code}: ${err.message}`
            : String(err?.message ?? e);
      process.stderr.write(`macho-dump: error: ${file}: ${why}\n`);
      status = 1;
    }
  }
  if (json)
    process.stdout.write(
      `${JSON.stringify(files.length === 1 && jsonOut.length === 1 ? jsonOut[0] : jsonOut, null, 2)}\n`,
    );
  return status;
}

function usage(msg: string): number {
  process.stderr.write(`macho-dump: ${msg}\n${USAGE}`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
