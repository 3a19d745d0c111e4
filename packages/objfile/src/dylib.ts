/**
 * Dylibs as link inputs: a Mach-O `MH_DYLIB` (or, for `-bundle_loader`, an
 * `MH_EXECUTE`) contributes only its exported names. They come from the
 * export trie (`LC_DYLD_INFO(_ONLY)` export range, or `LC_DYLD_EXPORTS_TRIE`;
 * format in dyld's `MachOLoaded::trieWalk` description and
 * `mach-o/loader.h`), and its identity from `LC_ID_DYLIB`: install name and
 * versions, which the output's `LC_LOAD_DYLIB` repeats.
 */
import type { DylibInfo } from "@tsld/core";
import {
  CPU_TYPE_ARM64,
  CPU_TYPE_X86_64,
  EXPORT_SYMBOL_FLAGS_REEXPORT,
  MH_DYLIB,
  MH_EXECUTE,
  parseExportTrie,
  parseMachO,
} from "@tsld/macho-format";
import type { TbdLibrary } from "./tbd.js";

/**
 * The exports and identity of a Mach-O dylib (or bundle loader) for a link
 * whose arch has CPU type `cputype` (x86_64 when not given); throws, naming
 * `display`, for another arch or a file that is not a dylib.
 */
export function readDylib(
  data: Uint8Array,
  display: string,
  asBundleLoader: boolean,
  cputype: number = CPU_TYPE_X86_64,
): TbdLibrary {
  let m: ReturnType<typeof parseMachO>;
  try {
    m = parseMachO(data);
  } catch (e) {
    throw new Error(`${display}: ${(e as Error).message}`);
  }
  if (m.header.cputype !== cputype) {
    const arch = (c: number): string =>
      c === CPU_TYPE_X86_64 ? "x86_64" : c === CPU_TYPE_ARM64 ? "arm64" : `CPU type 0x${(c >>> 0).toString(16)}`;
    throw new Error(`${display}: is ${arch(m.header.cputype)}, but the link is for ${arch(cputype)}`);
  }
  const ok = m.header.filetype === MH_DYLIB || (asBundleLoader && m.header.filetype === MH_EXECUTE);
  if (!ok) throw new Error(`${display}: not a dylib (filetype ${m.header.filetype})`);
  const exports = new Map<string, number>();
  const range = m.exportsTrie
    ? { off: m.exportsTrie.dataoff, size: m.exportsTrie.datasize }
    : m.dyldInfo
      ? { off: m.dyldInfo.exportOff, size: m.dyldInfo.exportSize }
      : undefined;
  if (range && range.size > 0) {
    if (range.off + range.size > data.length) throw new Error(`${display}: export trie runs past the end of the file`);
    let entries: ReturnType<typeof parseExportTrie>;
    try {
      entries = parseExportTrie(data.subarray(range.off, range.off + range.size));
    } catch (e) {
      throw new Error(`${display}: ${(e as Error).message}`);
    }
    for (const e of entries) {
      if (e.flags & EXPORT_SYMBOL_FLAGS_REEXPORT) exports.set(e.name, 0);
      else exports.set(e.name, e.flags);
    }
  }
  return {
    installName: m.idDylib?.name ?? (asBundleLoader ? display : display),
    currentVersion: m.idDylib?.currentVersion ?? 0x10000,
    compatibilityVersion: m.idDylib?.compatibilityVersion ?? 0x10000,
    exports,
    reexportedLibraries: [],
  };
}

export function dylibInfo(lib: TbdLibrary): DylibInfo {
  return {
    installName: lib.installName,
    currentVersion: lib.currentVersion,
    compatibilityVersion: lib.compatibilityVersion,
    ordinal: 0,
    exports: lib.exports,
    used: false,
  };
}
