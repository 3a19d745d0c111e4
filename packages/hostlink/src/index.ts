/*
 * @tsld/hostlink: external link mode. tsld hands the link to the host
 * toolchain the way Go's `hostlink()` in `cmd/link/internal/ld/lib.go` does:
 * a pure argv builder (argv.ts), a thin runner that filters the warnings Go
 * swallows (run.ts), and the stage adapter over the link context
 * (hostlink.ts).
 */
export { hostlinkArgv } from "./argv.js";
export type { HostlinkHeadtype, HostlinkInput } from "./argv.js";
export { filterLinkerOutput, formatCommand, runHostLinker } from "./run.js";
export type { HostLinkerResult, RunHostLinkerOptions } from "./run.js";
export {
  archiveArgv,
  findProgram,
  hasSdkRoot,
  hostlink,
  hostlinkInput,
  NO_SDK_HINT,
  resolveHostDriver,
  splitQuoted,
} from "./hostlink.js";
export type { HostDriver, HostEnv, HostlinkExtra } from "./hostlink.js";
export { definedSymbols, writeArchive } from "./archive.js";
export type { ArchiveMemberInput } from "./archive.js";
