export {
  bindAtLoad,
  chainedFixups,
  flatNamespace,
  isDylibLike,
  isLazyStub,
  isWeakBound,
  lazyBinding,
  needsRebase,
  platformVersion,
} from "./dyn.js";
export {
  DWARF_SECTIONS,
  alignTlvTemplate,
  assignAddresses,
  buildSegments,
  chooseTarget,
  collectExports,
  createSynthetic,
  numberDylibs,
} from "./layout.js";
export {
  BuildVersionCommand,
  DyldInfoCommand,
  DylinkerCommand,
  DysymtabCommand,
  IdDylibCommand,
  LinkEditDataCommand,
  LoadDylibCommand,
  MainCommand,
  RoutinesCommand,
  RpathCommand,
  SegmentCommand,
  SourceVersionCommand,
  SymtabCommand,
  UuidCommand,
  planLoadCommands,
} from "./load-commands.js";
export { deadStrip } from "./deadstrip.js";
export { scanRelocations } from "./scan.js";
export { layoutData } from "./stage.js";
export { SectionMap, allocateCommons, assignSections } from "./sections.js";
export { collectUnwind, planUnwind, pruneUnwind } from "./unwind.js";
export { atomAtAddress } from "./target.js";
export { atomAddress, isImport, symbolAddress } from "./target.js";
export { bindOrdinal, finalizeFixups, nonWeakDefinitions } from "./fixups.js";
export { relocateTask, writeSections } from "./write.js";
export { planObjectSections } from "./relocatable.js";
export type { ObjectPiece, ObjectPlan, ObjectSection } from "./relocatable.js";
