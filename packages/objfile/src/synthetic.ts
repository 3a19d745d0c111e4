/**
 * Names the linker defines when they are referenced: Mach-O header symbols
 * (`__mh_execute_header` and kin, `___dso_handle`), ld64's
 * `section$start$SEG$SECT`/`section$end$…`/`segment$start$SEG`/`segment$end$…`,
 * and Go's section markers (`runtime.text`/`runtime.etext` and the rest),
 * which bound the matching output sections. Layout gives them addresses.
 */

/** Go's section markers, start then end, and the output section each bounds. */
export const GO_MARKERS: readonly { start: string; end: string; segment: string; section: string }[] = [
  { start: "runtime.text", end: "runtime.etext", segment: "__TEXT", section: "__text" },
  { start: "runtime.rodata", end: "runtime.erodata", segment: "__TEXT", section: "__const" },
  { start: "runtime.types", end: "runtime.etypes", segment: "__DATA_CONST", section: "__const" },
  { start: "runtime.noptrdata", end: "runtime.enoptrdata", segment: "__DATA", section: "__noptrdata" },
  { start: "runtime.data", end: "runtime.edata", segment: "__DATA", section: "__data" },
  { start: "runtime.bss", end: "runtime.ebss", segment: "__DATA", section: "__bss" },
  { start: "runtime.noptrbss", end: "runtime.enoptrbss", segment: "__DATA", section: "__noptrbss" },
];

const MARKER_NAMES = new Set(GO_MARKERS.flatMap((m) => [m.start, m.end]));

export function isGoMarker(name: string): boolean {
  return MARKER_NAMES.has(name);
}

export function isLinkerDefined(name: string): boolean {
  return (
    name === "__mh_execute_header" ||
    name === "__mh_dylib_header" ||
    name === "__mh_bundle_header" ||
    name === "___dso_handle" ||
    name.startsWith("section$start$") ||
    name.startsWith("section$end$") ||
    name.startsWith("segment$start$") ||
    name.startsWith("segment$end$") ||
    MARKER_NAMES.has(name)
  );
}
