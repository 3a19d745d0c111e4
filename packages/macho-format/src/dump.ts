/**
 * `macho-dump`'s output: a Mach-O file as text laid out the way
 * `llvm-objdump --macho` prints the same parts, so the two can be read side
 * by side (and are compared in this package's tests), or as JSON.
 *
 * Text parts, in order, each as llvm-objdump prints it:
 *   header          `--private-header`  ("Mach header", the magic/cputype/… row)
 *   load commands   `--private-headers` (only each command's index, cmd and cmdsize)
 *   sections        `--section-headers` ("Sections:" table)
 *   symbols         `--syms`            ("SYMBOL TABLE:")
 *   exports         `--exports-trie`    ("Exports trie:")
 *   fixups          `--rebase --bind --lazy-bind --weak-bind` (opcode-based
 *                   files), or a "Chained fixups:" list (address, kind, symbol)
 */
import * as C from "./constants.js";
import { type Fixup, type MachOImage, type MachOSymbol, cpuName } from "./image.js";

export interface DumpOptions {
  header?: boolean;
  loadCommands?: boolean;
  sections?: boolean;
  symbols?: boolean;
  exports?: boolean;
  fixups?: boolean;
}

const ALL: Required<DumpOptions> = {
  header: true,
  loadCommands: true,
  sections: true,
  symbols: true,
  exports: true,
  fixups: true,
};

const hex = (n: number, width = 0): string => n.toString(16).padStart(width, "0");
const HEX = (n: number, width = 0): string => n.toString(16).toUpperCase().padStart(width, "0");

const FILETYPES: Record<number, string> = {
  [C.MH_OBJECT]: "OBJECT",
  [C.MH_EXECUTE]: "EXECUTE",
  [C.MH_FVMLIB]: "FVMLIB",
  [C.MH_CORE]: "CORE",
  [C.MH_PRELOAD]: "PRELOAD",
  [C.MH_DYLIB]: "DYLIB",
  [C.MH_DYLINKER]: "DYLINKER",
  [C.MH_BUNDLE]: "BUNDLE",
  [C.MH_DYLIB_STUB]: "DYLIB_STUB",
  [C.MH_DSYM]: "DSYM",
  [C.MH_KEXT_BUNDLE]: "KEXTBUNDLE",
};

/** Header flag names in bit order, as llvm-objdump spells them. */
const HEADER_FLAGS: [number, string][] = [
  [C.MH_NOUNDEFS, "NOUNDEFS"],
  [C.MH_INCRLINK, "INCRLINK"],
  [C.MH_DYLDLINK, "DYLDLINK"],
  [C.MH_BINDATLOAD, "BINDATLOAD"],
  [C.MH_PREBOUND, "PREBOUND"],
  [C.MH_SPLIT_SEGS, "SPLIT_SEGS"],
  [C.MH_LAZY_INIT, "LAZY_INIT"],
  [C.MH_TWOLEVEL, "TWOLEVEL"],
  [C.MH_FORCE_FLAT, "FORCE_FLAT"],
  [C.MH_NOMULTIDEFS, "NOMULTIDEFS"],
  [C.MH_NOFIXPREBINDING, "NOFIXPREBINDING"],
  [C.MH_PREBINDABLE, "PREBINDABLE"],
  [C.MH_ALLMODSBOUND, "ALLMODSBOUND"],
  [C.MH_SUBSECTIONS_VIA_SYMBOLS, "SUBSECTIONS_VIA_SYMBOLS"],
  [C.MH_CANONICAL, "CANONICAL"],
  [C.MH_WEAK_DEFINES, "WEAK_DEFINES"],
  [C.MH_BINDS_TO_WEAK, "BINDS_TO_WEAK"],
  [C.MH_ALLOW_STACK_EXECUTION, "ALLOW_STACK_EXECUTION"],
  [C.MH_DEAD_STRIPPABLE_DYLIB, "DEAD_STRIPPABLE_DYLIB"],
  [C.MH_PIE, "PIE"],
  [C.MH_NO_REEXPORTED_DYLIBS, "NO_REEXPORTED_DYLIBS"],
  [C.MH_HAS_TLV_DESCRIPTORS, "MH_HAS_TLV_DESCRIPTORS"],
  [C.MH_NO_HEAP_EXECUTION, "MH_NO_HEAP_EXECUTION"],
  [C.MH_APP_EXTENSION_SAFE, "APP_EXTENSION_SAFE"],
];

function headerText(img: MachOImage): string[] {
  const h = img.header;
  const arch = cpuName(h.cputype, h.cpusubtype);
  const cpu = arch === "x86_64" || arch === "x86_64h" ? "X86_64" : arch.toUpperCase();
  const sub = h.cpusubtype & ~C.CPU_SUBTYPE_MASK;
  const subName =
    (h.cputype === C.CPU_TYPE_X86_64 && sub === C.CPU_SUBTYPE_X86_64_ALL) ||
    (h.cputype === C.CPU_TYPE_ARM64 && sub === C.CPU_SUBTYPE_ARM64_ALL)
      ? "ALL"
      : arch === "x86_64h"
        ? "Haswell"
        : arch === "arm64e"
          ? "E"
          : String(sub);
  const caps = (h.cpusubtype & C.CPU_SUBTYPE_MASK) >>> 0;
  const capsText = caps === C.CPU_SUBTYPE_LIB64 ? " LIB64" : `  0x${hex(caps >>> 24, 2)}`;
  let flags = "";
  let rest = h.flags;
  for (const [bit, name] of HEADER_FLAGS) {
    if (!(rest & bit)) continue;
    flags += bit === C.MH_NOUNDEFS ? `   ${name}` : ` ${name}`;
    rest &= ~bit;
  }
  if (rest !== 0 || h.flags === 0) flags += ` 0x${hex(rest >>> 0, 8)}`;
  const magic = h.magic === C.MH_MAGIC_64 ? "MH_MAGIC_64" : `0x${hex(h.magic, 8)}`;
  const filetype = FILETYPES[h.filetype] ?? String(h.filetype);
  return [
    "Mach header",
    "      magic cputype cpusubtype  caps    filetype ncmds sizeofcmds      flags",
    `${magic}${cpu.padStart(8)}${subName.padStart(11)}${capsText}${filetype.padStart(12)}${String(h.ncmds).padStart(6)}${String(h.sizeofcmds).padStart(11)}${flags}`,
  ];
}

function loadCommandsText(img: MachOImage): string[] {
  const out: string[] = [];
  for (const lc of img.loadCommands())
    out.push(`Load command ${lc.index}`, `      cmd ${lc.name}`, `  cmdsize ${lc.size}`);
  return out;
}

function sectionsText(img: MachOImage): string[] {
  const width = Math.max(4, ...img.sections.map((s) => s.sectname.length));
  const out = ["Sections:", `Idx ${"Name".padEnd(width)} Size     VMA              Type`];
  img.sections.forEach((s, i) => {
    const type = sectionKindName(s);
    out.push(`${String(i).padStart(3)} ${s.sectname.padEnd(width)} ${hex(s.size, 8)} ${hex(s.addr, 16)} ${type}`);
  });
  return out;
}

/** llvm-objdump's section kind column: TEXT, DATA, BSS, or nothing (debug and other sections). */
function sectionKindName(s: { flags: number; sectname: string }): string {
  const t = C.sectionType(s.flags);
  if (t === C.S_ZEROFILL || t === C.S_GB_ZEROFILL) return "BSS";
  if (s.flags & (C.S_ATTR_PURE_INSTRUCTIONS | C.S_ATTR_SOME_INSTRUCTIONS)) return "TEXT";
  return /^(__debug|__zdebug|__apple|__gdb_index$|__swift_ast$)/.test(s.sectname) ? "DATA, DEBUG" : "DATA";
}

function symbolLine(s: MachOSymbol): string {
  const value = hex(s.value, 16);
  const weak = s.weak ? "w" : " ";
  if (s.stab) return `${value}      d  *UND* ${s.name}`;
  if (s.kind === "undefined" && s.value === 0) return `${value}  ${weak}      *UND* ${s.name}`;
  const global = s.external && !s.privateExternal;
  const scope = global ? (s.weak || s.kind === "undefined" ? " " : "g") : "l";
  let type = " ";
  let where: string;
  if (s.kind === "section" && s.section) {
    type = s.section.flags & C.S_ATTR_PURE_INSTRUCTIONS ? "F" : "O";
    where = `${s.section.segname},${s.section.sectname}`;
  } else if (s.kind === "absolute") where = "*ABS*";
  else if (s.kind === "undefined") where = "*COM*";
  else where = "*UND*";
  return `${value} ${scope}${weak}    ${type} ${where} ${s.name}`;
}

function symbolsText(img: MachOImage): string[] {
  const out = ["SYMBOL TABLE:"];
  for (const s of img.symbols()) out.push(symbolLine(s));
  return out;
}

function exportsText(img: MachOImage): string[] {
  const base = img.baseAddress;
  const out = ["Exports trie:"];
  for (const e of img.exports()) {
    const kind = e.flags & C.EXPORT_SYMBOL_FLAGS_KIND_MASK;
    let line: string;
    if (e.flags & C.EXPORT_SYMBOL_FLAGS_REEXPORT) {
      line = `[re-export] ${e.name}`;
    } else {
      const addr = kind === C.EXPORT_SYMBOL_FLAGS_KIND_ABSOLUTE ? e.address : base + e.address;
      line = `0x${HEX(addr, 8)}  ${e.name}`;
      if (kind === C.EXPORT_SYMBOL_FLAGS_KIND_THREAD_LOCAL) line += " [per-thread]";
      if (kind === C.EXPORT_SYMBOL_FLAGS_KIND_ABSOLUTE) line += " [absolute]";
      if (e.flags & C.EXPORT_SYMBOL_FLAGS_WEAK_DEFINITION) line += " [weak_def]";
    }
    out.push(line);
  }
  return out;
}

/** llvm-objdump's short dylib name: the install name's leaf without directories, version and extension. */
function dylibShortName(img: MachOImage, f: Fixup): string {
  switch (f.ordinal) {
    case 0:
      return "this-image";
    case -1:
      return "main-executable";
    case -2:
      return "flat-namespace";
    case -3:
      return "weak";
  }
  const leaf = (f.dylib ?? "").split("/").pop() ?? "";
  void img;
  return leaf.replace(/\.dylib$/, "").replace(/\.[A-Z]$/, "");
}

function fixupsText(img: MachOImage): string[] {
  const fx = img.fixups();
  const at = (f: Fixup): string => `${f.segment.padEnd(8)} ${f.section.padEnd(18)} 0x${HEX(f.address, 8)}`;
  if (img.file.dyldInfo) {
    const out = ["Rebase table:", "segment  section            address     type"];
    for (const f of fx) if (f.kind === "rebase") out.push(`${at(f)}  pointer`);
    out.push("", "Bind table:", "segment  section            address    type       addend dylib            symbol");
    for (const f of fx)
      if (f.kind === "bind")
        out.push(
          `${at(f)} ${"pointer".padEnd(8)}${String(f.addend ?? 0).padStart(9)} ${dylibShortName(img, f).padEnd(16)} ${f.symbol}${f.weakImport ? " (weak_import)" : ""}`,
        );
    out.push("", "Lazy bind table:", "segment  section            address     dylib            symbol");
    for (const f of fx)
      if (f.kind === "lazy-bind")
        out.push(`${at(f)} ${dylibShortName(img, f).padEnd(16)} ${f.symbol}${f.weakImport ? " (weak_import)" : ""}`);
    out.push("", "Weak bind table:", "segment  section            address     type       addend   symbol");
    for (const f of fx)
      if (f.kind === "weak-bind")
        out.push(`${at(f)} ${"pointer".padEnd(8)}${String(f.addend ?? 0).padStart(9)}   ${f.symbol}`);
    return out;
  }
  const out = ["Chained fixups:", "segment  section            address     kind    dylib            symbol"];
  for (const f of fx)
    out.push(
      f.kind === "rebase"
        ? `${at(f)}  rebase`
        : `${at(f)}  bind    ${dylibShortName(img, f).padEnd(16)} ${f.symbol}${f.addend ? ` + ${f.addend}` : ""}`,
    );
  return out;
}

/** The text dump of `img` (see the module comment); parts chosen by `opts` (default all). */
export function formatMachODump(img: MachOImage, opts: DumpOptions = ALL): string {
  const parts: string[][] = [];
  if (opts.header) parts.push(headerText(img));
  if (opts.loadCommands) parts.push(loadCommandsText(img));
  if (opts.sections) parts.push(sectionsText(img));
  if (opts.symbols) parts.push(symbolsText(img));
  if (opts.exports) parts.push(exportsText(img));
  if (opts.fixups) parts.push(fixupsText(img));
  return `${parts.map((p) => p.join("\n")).join("\n\n")}\n`;
}

/** The same parts as plain data (for `macho-dump --json`): numbers as numbers, names resolved. */
export function machODumpJson(img: MachOImage, opts: DumpOptions = ALL): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (opts.header) out.header = { ...img.header, arch: img.arch };
  if (opts.loadCommands) out.loadCommands = img.loadCommands();
  if (opts.sections)
    out.sections = img.sections.map((s) => ({
      index: s.index,
      segname: s.segname,
      sectname: s.sectname,
      addr: s.addr,
      size: s.size,
      offset: s.offset,
      align: s.align,
      flags: s.flags,
    }));
  if (opts.symbols)
    out.symbols = [...img.symbols()].map(({ section, ...s }) =>
      section ? { ...s, section: `${section.segname},${section.sectname}` } : s,
    );
  if (opts.exports) out.exports = img.exports();
  if (opts.fixups) out.fixups = img.fixups();
  return out;
}
