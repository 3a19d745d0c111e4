export { Reader, Writer } from "./bytes.js";
export { dwarfMergeTask, emitDwarf } from "./emit.js";
export { DW_AT, DW_FORM, fixedFormSize, offsetClass, parseAbbrevs, skipForm } from "./forms.js";
export type { Abbrev, OffsetClass } from "./forms.js";
export {
  DW_LNE,
  DW_LNS,
  LineEncoder,
  LineRows,
  decodeLineProgram,
  decodeLineRows,
  encodeLineProgram,
  encodeLineRows,
  readLineHeader,
  rewriteLineProgram,
  runLineProgram,
} from "./line.js";
export type { LineHeader, LineRow, LineSink } from "./line.js";
export { readCompileUnitName } from "./unit.js";
export type { CompileUnitName, UnitNameSections } from "./unit.js";
export { rebaseDebugInfo } from "./rebase.js";
export type { DebugBases } from "./rebase.js";
export { mergeObjectDebug } from "./merge.js";
export type { DebugOutputs, ObjectBases, ObjectDebugInput, ObjectMergeResult } from "./merge.js";
export { AddressMapper, DebugRelocs, debugRelocs } from "./relocs.js";
export type { AtomColumns, ObjectPlace, RelocColumns, SectionColumns } from "./relocs.js";
