export { x86_64 } from "./arch/x86_64.js";
export { bindAtLoad, flatNamespace, isDylibLike, isLazyStub, isWeakBound, needsRebase } from "./dyn.js";
export { DWARF_SECTIONS, layoutData } from "./layout.js";
export { atomAtAddress } from "./target.js";
export { atomAddress, isImport, symbolAddress } from "./target.js";
export { bindOrdinal, dynamicFixups, writeSections } from "./write.js";
export type { Bind, DynamicFixups } from "./write.js";
