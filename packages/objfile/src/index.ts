export { ArchiveError, isArchive, parseArchive } from "./archive.js";
export type { ParsedArchive } from "./archive.js";
export { builtinFrameworkPath, builtinLibSystemPath, loadObjects } from "./load.js";
export { builtinLibSystemTbd } from "./builtin-libsystem.js";
export { findAtom } from "./relocs.js";
export { findFramework, findLibrary } from "./search.js";
export { GO_MARKERS, isGoMarker, isLinkerDefined } from "./synthetic.js";
export { TbdError, parseTbd, parseYaml } from "./tbd.js";
export type { TbdLibrary } from "./tbd.js";
