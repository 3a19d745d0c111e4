/**
 * An image's dyld fixups as llvm-objdump-19 reads them, whichever encoding
 * the image uses: the opcode streams of LC_DYLD_INFO_ONLY (`--rebase`,
 * `--bind`, `--lazy-bind`, `--weak-bind`) or the chains of
 * LC_DYLD_CHAINED_FIXUPS (`--dyld-info`). Tests that ask "what does dyld
 * bind here, and from where" assert on these rows and so hold for both
 * encodings; tests about one encoding's bytes pin it with `-no_fixup_chains`
 * or `-fixup_chains`. llvm-objdump's stderr must be empty (no warnings).
 */
import { spawnSync } from "node:child_process";
import { requireTool } from "@tsld/fixtures";
import { expect } from "vitest";

/**
 * One fixup. `kind` is the opcode stream it came from; a chained bind is
 * `bind`, and a chained bind by weak lookup (BIND_SPECIAL_DYLIB_WEAK_LOOKUP,
 * what the weak-bind stream expresses with opcodes) has `dylib` `weak`.
 * A weak-bind stream's "strong" announcement has kind `strong`.
 */
export interface FixupRow {
  segment: string;
  section: string;
  kind: "rebase" | "bind" | "lazy-bind" | "weak-bind" | "strong";
  /** `libfoo`, `flat-namespace`, `weak`, `main-executable`, `this-image`, or "" (rebase, weak-bind). */
  dylib: string;
  symbol: string;
  weakImport: boolean;
}

function objdump(args: string[]): string {
  const r = spawnSync(requireTool("llvm-objdump-19"), ["--macho", ...args], { encoding: "utf8" });
  expect(r.stderr, `llvm-objdump-19 --macho ${args.join(" ")}`).toBe("");
  expect(r.status).toBe(0);
  return r.stdout;
}

/** Whether `image` carries LC_DYLD_CHAINED_FIXUPS. */
export function isChained(image: string): boolean {
  return /cmd LC_DYLD_CHAINED_FIXUPS\n/.test(objdump(["--private-headers", image]));
}

const ADDR = /^0x[0-9a-f]+$/i;

/** Every fixup of `image`, in llvm-objdump's order within each table. */
export function fixupRows(image: string): FixupRow[] {
  const rows: FixupRow[] = [];
  const row = (r: Omit<FixupRow, "weakImport">, rest: string[]) =>
    rows.push({ ...r, weakImport: rest.some((c) => c === "(weak_import)" || c === "import)") });
  if (isChained(image)) {
    // segment section address pointer type addend dylib symbol [(weak import)]
    for (const l of objdump(["--dyld-info", image]).split("\n")) {
      const c = l.trim().split(/\s+/);
      if (!ADDR.test(c[2] ?? "")) continue;
      if (c[4] === "rebase") row({ segment: c[0]!, section: c[1]!, kind: "rebase", dylib: "", symbol: "" }, []);
      else if (c[4] === "bind")
        row({ segment: c[0]!, section: c[1]!, kind: "bind", dylib: c[6]!, symbol: c[7]! }, c.slice(8));
    }
    return rows;
  }
  let table = "";
  for (const l of objdump(["--rebase", "--bind", "--lazy-bind", "--weak-bind", image]).split("\n")) {
    const t = /^(Rebase|Bind|Lazy bind|Weak bind) table:/.exec(l);
    if (t) {
      table = t[1]!;
      continue;
    }
    const c = l.trim().split(/\s+/);
    if (table === "Weak bind" && c[0] === "strong") {
      row({ segment: "", section: "", kind: "strong", dylib: "", symbol: c[1]! }, []);
      continue;
    }
    if (!ADDR.test(c[2] ?? "")) continue;
    const [segment, section] = [c[0]!, c[1]!];
    if (table === "Rebase") row({ segment, section, kind: "rebase", dylib: "", symbol: "" }, []);
    // segment section address type addend dylib symbol [(weak_import)]
    else if (table === "Bind") row({ segment, section, kind: "bind", dylib: c[5]!, symbol: c[6]! }, c.slice(7));
    // segment section address dylib symbol
    else if (table === "Lazy bind")
      row({ segment, section, kind: "lazy-bind", dylib: c[3]!, symbol: c[4]! }, c.slice(5));
    // segment section address type addend symbol
    else if (table === "Weak bind") row({ segment, section, kind: "weak-bind", dylib: "", symbol: c[5]! }, []);
  }
  return rows;
}

/** Binds by weak lookup as `segment section symbol` (and `strong symbol` announcements), sorted. */
export function weakBindRows(image: string): string[] {
  return fixupRows(image)
    .filter((r) => r.kind === "weak-bind" || r.kind === "strong" || (r.kind === "bind" && r.dylib === "weak"))
    .map((r) => (r.kind === "strong" ? `strong ${r.symbol}` : `${r.segment} ${r.section} ${r.symbol}`))
    .sort();
}

/** Binds of any stream (not weak lookups) as `dylib symbol`, sorted and unique. */
export function importRows(image: string): string[] {
  const set = new Set(
    fixupRows(image)
      .filter((r) => (r.kind === "bind" && r.dylib !== "weak") || r.kind === "lazy-bind")
      .map((r) => `${r.dylib} ${r.symbol}${r.weakImport ? " (weak import)" : ""}`),
  );
  return [...set].sort();
}

/** The encodings a fixup test runs under, with the flag that pins each (tsld and ld64.lld-19 alike). */
export const ENCODINGS = [
  ["opcodes", "-no_fixup_chains"],
  ["chained fixups", "-fixup_chains"],
] as const;
