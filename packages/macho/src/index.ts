export { buildImage, saveAtomically, writeMachO } from "./emit.js";
export { writeMap } from "./map.js";
export { outputName, planSymtab } from "./symtab.js";
export type { SymtabPlan } from "./symtab.js";
