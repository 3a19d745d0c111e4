export { RelocAttr, RelocResult } from "./target.js";
export type { TargetInfo } from "./target.js";
export { targetForCpu, targetForName } from "./targets.js";
export { RelocFlag, Relocs } from "./relocs.js";
export {
  BuildModeError,
  buildModeSupported,
  determineLinkMode,
  dynlinking,
  isDylibOutput,
  isPIE,
  mustLinkExternal,
  parseBuildMode,
  parseLinkMode,
  usesRelro,
} from "./buildmode.js";
export type { BuildMode, DynlinkingExtra, LinkMode, LinkModeFlag } from "./buildmode.js";
export { LinkContext } from "./context.js";
export { LINKEDIT_ORDER } from "./chunk.js";
export type {
  AtomChunk,
  Chunk,
  IndirectSymbolTableChunk,
  LinkEdit,
  LinkEditChunk,
  LoadCommand,
  SymbolTableChunk,
  SyntheticSection,
} from "./chunk.js";
export { FixupKind, Fixups } from "./fixups.js";
export { Diagnostics, LinkError, where } from "./diag.js";
export type { Location } from "./diag.js";
export { fileName, readFileShared } from "./files.js";
export { osErrorText } from "./oserror.js";
export type { ArchiveMember, DylibInfo, FileKind, InputFile, ObjectInfo } from "./files.js";
export { column, growTo } from "./ids.js";
export type { AtomId, FileId, OutSectionId, SectionId, SymbolId } from "./ids.js";
export { defaultAdhocCodesign, defaultOptions } from "./options.js";
export type { ArchName, DebugInfo, DylibLoadKind, LinkOptions, UndefinedTreatment } from "./options.js";
export { AtomFlag, Atoms, InputSections } from "./sections.js";
export type { OutputSection, OutputSegment, SyntheticKind } from "./sections.js";
export { SymFlag, SymKind, SymbolTable } from "./symbols.js";
export { Timers } from "./timer.js";
export type { TimerRecord } from "./timer.js";
export {
  MIN_PARALLEL_INPUT_BYTES,
  WorkerPool,
  defaultThreads,
  runParallel,
  parallelValues,
  serveWorkerTasks,
  startWorkers,
} from "./workers.js";
export type { CollectingTask, ItemValues, WorkerTask } from "./workers.js";
