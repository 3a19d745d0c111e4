export {
  bindAtLoad,
  chainedFixups,
  flatNamespace,
  isDylibLike,
  lazyBinding,
  needsRebase,
  platformVersion,
} from "./dyn.js";
export { DWARF_SECTIONS, layoutData } from "./layout.js";
export { atomAtAddress } from "./target.js";
export { atomAddress, isImport, symbolAddress } from "./target.js";
export { bindOrdinal, finalizeFixups } from "./fixups.js";
export { writeSections } from "./write.js";
