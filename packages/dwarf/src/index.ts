export { Reader, Writer } from "./bytes.js";
export { emitDwarf } from "./emit.js";
export { DW_AT, DW_FORM, fixedFormSize, offsetClass, parseAbbrevs, skipForm } from "./forms.js";
export type { Abbrev, OffsetClass } from "./forms.js";
export {
  DW_LNE,
  DW_LNS,
  LineRows,
  decodeLineProgram,
  decodeLineRows,
  encodeLineProgram,
  encodeLineRows,
  readLineHeader,
} from "./line.js";
export type { LineHeader, LineRow } from "./line.js";
export { rebaseDebugInfo } from "./rebase.js";
export type { DebugBases } from "./rebase.js";
