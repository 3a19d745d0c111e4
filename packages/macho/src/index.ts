export {
  buildImage,
  planLinkedit,
  saveAtomically,
  saveImage,
  signImage,
  writeContents,
  writeHeader,
  writeLinkedit,
  writeMachO,
} from "./emit.js";
export type { Image } from "./emit.js";
export { imageUuid, pageHashTask, uuidTask } from "./hash.js";
export { writeMap } from "./map.js";
export { outputName, planSymtab } from "./symtab.js";
export type { SymtabPlan } from "./symtab.js";
export {
  collectObjectSymbols,
  planObjectFile,
  saveObject,
  writeObjectContents,
  writeObjectHeader,
} from "./relocatable.js";
export type { ObjectFile, ObjectSymtab } from "./relocatable.js";
