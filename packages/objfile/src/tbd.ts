/**
 * Text-based dylib stubs (TBD), the `.tbd` files Apple's SDKs ship instead
 * of dylibs. Three spellings exist (LLVM `lib/TextAPI`: `TextStub.cpp` for
 * v1–v4, `TextStubV5.cpp` for v5):
 *
 * - v3: YAML document tagged `--- !tapi-tbd-v3`; `archs:`, `install-name:`,
 *   `exports:` as a list of `{ archs, symbols, weak-def-symbols,
 *   thread-local-symbols, objc-classes, re-exports }`.
 * - v4: YAML document(s) tagged `--- !tapi-tbd` with `tbd-version: 4`;
 *   `targets:` replace `archs:`; `exports:`/`reexports:` entries carry
 *   `targets:` and `symbols`, `weak-symbols`, `thread-local-symbols`,
 *   `objc-classes`; `reexported-libraries:` lists install names. Later
 *   documents in the same file describe re-exported libraries inline.
 * - v5: JSON, `{"tapi_tbd_version": 5, "main_library": {...},
 *   "libraries": [...]}` with `exported_symbols`/`reexported_symbols` blocks
 *   of `{"targets", "data"|"text": {"global", "weak", "thread_local"}}`.
 *
 * Only what linking needs is read: install name, versions, the exported
 * names for the target arch (Mach-O spelling, `_`-prefixed as written), weak
 * and thread-local kinds, and re-exported libraries. The YAML reader is a
 * small subset parser: block mappings and sequences by indentation, flow
 * sequences (possibly spanning lines), plain and quoted scalars.
 */

export interface TbdLibrary {
  installName: string;
  currentVersion: number;
  compatibilityVersion: number;
  /** Exported names → EXPORT_SYMBOL_FLAGS-style kind bits (weak 4, TLV 1). */
  exports: Map<string, number>;
  /** Install names of libraries this one re-exports. */
  reexportedLibraries: string[];
}

export class TbdError extends Error {}

const WEAK = 4;
const TLV = 1;

/** Parses a TBD file; returns its libraries, the main one first. */
export function parseTbd(text: string, arch: string): TbdLibrary[] {
  const t = text.trimStart();
  if (t.startsWith("{")) return parseTbdV5(t, arch);
  return splitYamlDocuments(text).map((doc) => libraryFromYaml(parseYaml(doc), arch));
}

function parseVersion(v: unknown): number {
  if (typeof v === "number") v = String(v);
  if (typeof v !== "string" || v === "") return 0x10000;
  const [a = "0", b = "0", c = "0"] = v.split(".");
  return ((Number(a) & 0xffff) << 16) | ((Number(b) & 0xff) << 8) | (Number(c) & 0xff);
}

function archMatches(targets: unknown, arch: string): boolean {
  if (!Array.isArray(targets)) return true;
  return targets.some((t) => {
    const s = String(t);
    return s === arch || s.startsWith(`${arch}-`);
  });
}

function strList(v: unknown): string[] {
  if (Array.isArray(v))
    return v.map((x) => {
      if (typeof x === "string" || typeof x === "number") return String(x);
      throw new TbdError(`expected a list of names, found ${Array.isArray(x) ? "a list" : typeof x} in it`);
    });
  if (typeof v === "object" && v !== null) throw new TbdError("expected a list of names, found a mapping");
  if (v === undefined || v === null || v === "") return [];
  return [String(v)];
}

function libraryFromYaml(doc: unknown, arch: string): TbdLibrary {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    throw new TbdError("TBD document is not a mapping");
  const d = doc as Record<string, unknown>;
  const installName = d["install-name"];
  if (typeof installName !== "string") throw new TbdError("TBD document has no install-name");
  const lib: TbdLibrary = {
    installName,
    currentVersion: parseVersion(d["current-version"]),
    compatibilityVersion: parseVersion(d["compatibility-version"]),
    exports: new Map(),
    reexportedLibraries: [],
  };
  const sections = [...asList(d.exports), ...asList(d.reexports)];
  for (const s of sections) {
    if (typeof s !== "object" || s === null) continue;
    const e = s as Record<string, unknown>;
    if (!archMatches(e.targets ?? e.archs, arch)) continue;
    for (const n of strList(e.symbols)) lib.exports.set(n, 0);
    for (const n of strList(e["weak-symbols"])) lib.exports.set(n, WEAK);
    for (const n of strList(e["weak-def-symbols"])) lib.exports.set(n, WEAK);
    for (const n of strList(e["thread-local-symbols"])) lib.exports.set(n, TLV);
    for (const n of strList(e["objc-classes"])) {
      const base = n.startsWith("_") ? n.slice(1) : n;
      lib.exports.set(`_OBJC_CLASS_$_${base}`, 0);
      lib.exports.set(`_OBJC_METACLASS_$_${base}`, 0);
    }
    for (const n of strList(e["objc-eh-types"])) lib.exports.set(`_OBJC_EHTYPE_$_${n}`, 0);
    for (const n of strList(e["objc-ivars"])) lib.exports.set(`_OBJC_IVAR_$_${n}`, 0);
    for (const n of strList(e["re-exports"])) lib.reexportedLibraries.push(n);
  }
  for (const r of asList(d["reexported-libraries"])) {
    if (typeof r !== "object" || r === null) continue;
    const e = r as Record<string, unknown>;
    if (!archMatches(e.targets, arch)) continue;
    for (const n of strList(e.libraries)) lib.reexportedLibraries.push(n);
  }
  return lib;
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

// --- v5 (JSON) ---------------------------------------------------------

function parseTbdV5(text: string, arch: string): TbdLibrary[] {
  // JSON.parse and what reads its result recurse: bound the nesting first.
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_DEPTH) throw new TbdError(`TBD v5 JSON nested more than ${MAX_DEPTH} deep`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new TbdError(`malformed TBD v5 JSON: ${(e as Error).message}`);
  }
  if (typeof j !== "object" || j === null || Array.isArray(j)) throw new TbdError("TBD v5 JSON is not an object");
  if (typeof j.main_library !== "object" || j.main_library === null || Array.isArray(j.main_library))
    throw new TbdError("TBD v5 has no main_library object");
  const libs = [j.main_library, ...asList(j.libraries)];
  return libs
    .filter((l) => typeof l === "object" && l !== null)
    .map((l) => libraryFromV5(l as Record<string, unknown>, arch));
}

function libraryFromV5(l: Record<string, unknown>, arch: string): TbdLibrary {
  const names = asList(l.install_names) as Record<string, unknown>[];
  const installName = names[0]?.name;
  if (typeof installName !== "string") throw new TbdError("TBD v5 library has no install_names");
  const version = (k: string): number => {
    const v = (asList(l[k])[0] as Record<string, unknown> | undefined)?.version;
    return parseVersion(v ?? "1");
  };
  const lib: TbdLibrary = {
    installName,
    currentVersion: version("current_versions"),
    compatibilityVersion: version("compatibility_versions"),
    exports: new Map(),
    reexportedLibraries: [],
  };
  for (const block of [...asList(l.exported_symbols), ...asList(l.reexported_symbols)]) {
    const b = block as Record<string, unknown>;
    if (!archMatches(b.targets, arch)) continue;
    for (const kind of ["data", "text"]) {
      const k = b[kind] as Record<string, unknown> | undefined;
      if (!k) continue;
      for (const n of strList(k.global)) lib.exports.set(n, 0);
      for (const n of strList(k.weak)) lib.exports.set(n, WEAK);
      for (const n of strList(k.thread_local)) lib.exports.set(n, TLV);
      for (const n of strList(k.objc_class)) {
        lib.exports.set(`_OBJC_CLASS_$_${n}`, 0);
        lib.exports.set(`_OBJC_METACLASS_$_${n}`, 0);
      }
    }
  }
  for (const r of asList(l.reexported_libraries)) {
    const e = r as Record<string, unknown>;
    if (!archMatches(e.targets, arch)) continue;
    for (const n of strList(e.names)) lib.reexportedLibraries.push(n);
  }
  return lib;
}

// --- A small YAML subset -------------------------------------------------

/**
 * The documents of a YAML stream: the text between `---` lines (a document
 * start, whose tag is dropped) and `...` lines (a document end). Markers are
 * found with one native search over the text, not a loop over its lines.
 */
function splitYamlDocuments(text: string): string[] {
  const docs: string[] = [];
  const marker = /^(?:---|\.\.\.).*$/gm;
  // A document begun by `---` counts even if empty; one without (before the first marker, after `...`) only with content.
  let explicit = false;
  let from = 0;
  for (let m = marker.exec(text); m !== null; m = marker.exec(text)) {
    const body = text.slice(from, m.index);
    if (explicit || hasContent(body)) docs.push(body);
    explicit = m[0].startsWith("---");
    from = m.index + m[0].length + 1;
  }
  const rest = text.slice(from);
  if (hasContent(rest)) docs.push(rest);
  if (docs.length === 0) throw new TbdError("empty TBD file");
  return docs;
}

/** Whether YAML text holds anything but blank lines and comments. */
function hasContent(text: string): boolean {
  return /^[ \t]*[^\s#]/m.test(text);
}

interface Line {
  indent: number;
  text: string;
  no: number;
}

/** Parses one YAML document of the subset TBD files use. */
export function parseYaml(doc: string): unknown {
  const lines: Line[] = [];
  const raw = doc.split("\n");
  for (let i = 0; i < raw.length; i++) {
    let l = raw[i]!;
    const stripped = stripComment(l);
    if (stripped.trim() === "") continue;
    l = stripped.trimEnd();
    // Join flow collections that span lines (depth counted per added line, so
    // a 10,000-name flow list stays linear).
    let depth = flowDepth(l);
    if (depth > 0) {
      const parts = [l];
      while (depth > 0 && i + 1 < raw.length) {
        const next = stripComment(raw[++i]!).trim();
        parts.push(next);
        depth += flowDepth(next);
      }
      l = parts.join(" ");
    }
    const indent = l.length - l.trimStart().length;
    lines.push({ indent, text: l.trimStart(), no: i + 1 });
  }
  const st: Cursor = { i: 0, depth: 0 };
  if (lines.length === 0) return null;
  return parseBlock(lines, st, lines[0]!.indent);
}

function stripComment(l: string): string {
  // Most lines have no '#': a native search, not a loop over characters (a one-shot CLI runs this cold).
  if (!l.includes("#")) return l;
  let q: string | undefined;
  for (let i = 0; i < l.length; i++) {
    const c = l[i];
    if (q) {
      if (c === q) q = undefined;
    } else if (c === "'" || c === '"') q = c;
    else if (c === "#" && (i === 0 || l[i - 1] === " " || l[i - 1] === "\t")) return l.slice(0, i);
  }
  return l;
}

/** Flow brackets a line opens, less those it closes (quoted ones not counted). */
const FLOW_BRACKET = /[[\]{}]/;
function flowDepth(l: string): number {
  if (!FLOW_BRACKET.test(l)) return 0;
  let d = 0;
  let q: string | undefined;
  for (let i = 0; i < l.length; i++) {
    const c = l[i];
    if (q) {
      if (c === q) q = undefined;
    } else if (c === "'" || c === '"') q = c;
    else if (c === "[" || c === "{") d++;
    else if (c === "]" || c === "}") d--;
  }
  return d;
}

function parseBlock(lines: Line[], st: Cursor, indent: number): unknown {
  const first = lines[st.i];
  if (!first) return null;
  if (first.text.startsWith("- ") || first.text === "-") return parseSeq(lines, st, indent);
  return parseMap(lines, st, indent);
}

/** Where the block parser is: the next line, and how many collections are open. */
interface Cursor {
  i: number;
  depth: number;
}

/**
 * Nesting limit for block and flow collections. TBDs nest four or five
 * levels; the limit keeps a hostile file from exhausting the stack.
 */
const MAX_DEPTH = 256;

function tooDeep(no: number): never {
  throw new TbdError(`line ${no}: collections nested more than ${MAX_DEPTH} deep`);
}

function parseSeq(lines: Line[], st: Cursor, indent: number): unknown[] {
  if (++st.depth > MAX_DEPTH) tooDeep(lines[st.i]?.no ?? 0);
  const out: unknown[] = [];
  while (st.i < lines.length) {
    const l = lines[st.i]!;
    if (l.indent < indent || !(l.text.startsWith("- ") || l.text === "-")) break;
    if (l.indent > indent) throw new TbdError(`line ${l.no}: bad indentation`);
    const rest = l.text === "-" ? "" : l.text.slice(2).trimStart();
    if (rest === "") {
      st.i++;
      out.push(st.i < lines.length && lines[st.i]!.indent > indent ? parseBlock(lines, st, lines[st.i]!.indent) : null);
    } else if (isMapEntry(rest)) {
      // "- key: value" starts a mapping whose other keys are indented to match.
      const inner = l.indent + (l.text.length - rest.length);
      lines[st.i] = { indent: inner, text: rest, no: l.no };
      out.push(parseMap(lines, st, inner));
    } else {
      st.i++;
      out.push(parseScalarOrFlow(rest, l.no));
    }
  }
  st.depth--;
  return out;
}

function isMapEntry(s: string): boolean {
  if (s.startsWith("[") || s.startsWith("{") || s.startsWith("'") || s.startsWith('"')) {
    // A quoted key is still a key.
    const m = /^(['"])(?:(?!\1).)*\1\s*:(\s|$)/.exec(s);
    return m !== null;
  }
  return /^[^:]+:(\s|$)/.test(s);
}

function parseMap(lines: Line[], st: Cursor, indent: number): Record<string, unknown> {
  if (++st.depth > MAX_DEPTH) tooDeep(lines[st.i]?.no ?? 0);
  const out: Record<string, unknown> = {};
  while (st.i < lines.length) {
    const l = lines[st.i]!;
    if (l.indent < indent) break;
    if (l.indent > indent) throw new TbdError(`line ${l.no}: bad indentation`);
    if (l.text.startsWith("- ")) break;
    const m = splitKey(l.text);
    if (!m) throw new TbdError(`line ${l.no}: expected 'key: value'`);
    const key = String(parseScalar(m[0]));
    const rest = m[1];
    st.i++;
    if (rest === "" || rest === "|" || rest === ">") {
      const next = lines[st.i];
      if (next && (next.indent > indent || (next.indent === indent && next.text.startsWith("- ")))) {
        out[key] = parseBlock(lines, st, next.indent);
      } else out[key] = null;
    } else out[key] = parseScalarOrFlow(rest, l.no);
  }
  st.depth--;
  return out;
}

/**
 * `key: value` split at the first colon followed by a space or the end
 * (a quoted key may hold colons); the value trimmed. Scans instead of a
 * backtracking regex, so long lines cost linear time.
 */
function splitKey(text: string): [string, string] | undefined {
  let c: number;
  if (text.startsWith("'") || text.startsWith('"')) {
    const q = /^('(?:[^']|'')*'|"(?:[^"\\]|\\.)*")/.exec(text);
    if (!q) return undefined;
    c = q[1]!.length;
    while (text[c] === " " || text[c] === "\t") c++;
    if (text[c] !== ":") return undefined;
  } else {
    c = text.indexOf(":");
    if (c <= 0) return undefined;
  }
  const after = text.slice(c + 1);
  if (after !== "" && after[0] !== " " && after[0] !== "\t") return undefined;
  const key = text.slice(0, c).trimEnd();
  return key === "" ? undefined : [key, after.trim()];
}

function parseScalarOrFlow(s: string, no: number): unknown {
  if (s.startsWith("[")) {
    const flat = flatList(s);
    if (flat) return flat;
  }
  if (s.startsWith("[") || s.startsWith("{")) return parseFlow({ s, i: 0, depth: 0 }, no);
  return parseScalar(s);
}

/**
 * The common case, fast: `[ a, 'b', c ]` holding only plain or single-quoted
 * scalars (symbol lists run to thousands of names). Undefined when the list
 * nests or uses double quotes; the general parser handles those.
 */
function flatList(s: string): string[] | undefined {
  // Native splitting, not a loop over characters: a one-shot link runs this cold, over every exported name.
  const close = s.lastIndexOf("]");
  if (close < 0 || s.slice(close + 1).trim() !== "") return undefined;
  const body = s.slice(1, close);
  if (FLAT_LIST_BREAKER.test(body)) return undefined;
  const items = body.split(",");
  // `[ a, b, ]`: a comma before the bracket ends the list; `[ ]` is empty.
  if (items.length > 0 && items[items.length - 1]!.trim() === "") items.pop();
  const out: string[] = [];
  for (const item of items) {
    const v = item.trim();
    if (v.charCodeAt(0) === 0x27 /* ' */) {
      // One quoted name, closed at its end ('' escapes and quoted commas go to the general parser).
      if (v.length < 2 || v.indexOf("'", 1) !== v.length - 1) return undefined;
      out.push(v.slice(1, -1));
    } else out.push(v);
  }
  return out;
}

/** What makes a flow list more than a flat list of names: nesting, double quotes. */
const FLAT_LIST_BREAKER = /[[\]{}"]/;

function parseFlow(p: { s: string; i: number; depth: number }, no: number): unknown {
  skipWs(p);
  const c = p.s[p.i];
  if ((c === "[" || c === "{") && p.depth >= MAX_DEPTH) tooDeep(no);
  if (c === "[") {
    p.i++;
    p.depth++;
    const out: unknown[] = [];
    for (;;) {
      skipWs(p);
      if (p.s[p.i] === "]") {
        p.i++;
        p.depth--;
        return out;
      }
      out.push(parseFlow(p, no));
      skipWs(p);
      if (p.s[p.i] === ",") p.i++;
      else if (p.s[p.i] !== "]") throw new TbdError(`line ${no}: expected ',' or ']' in flow sequence`);
    }
  }
  if (c === "{") {
    p.i++;
    p.depth++;
    const out: Record<string, unknown> = {};
    for (;;) {
      skipWs(p);
      if (p.s[p.i] === "}") {
        p.i++;
        p.depth--;
        return out;
      }
      const k = String(flowScalar(p, no, true));
      skipWs(p);
      if (p.s[p.i] !== ":") throw new TbdError(`line ${no}: expected ':' in flow mapping`);
      p.i++;
      out[k] = parseFlow(p, no);
      skipWs(p);
      if (p.s[p.i] === ",") p.i++;
    }
  }
  return flowScalar(p, no, false);
}

function skipWs(p: { s: string; i: number }): void {
  while (p.i < p.s.length && (p.s[p.i] === " " || p.s[p.i] === "\t")) p.i++;
}

function flowScalar(p: { s: string; i: number }, no: number, key: boolean): unknown {
  const q = p.s[p.i];
  if (q === "'" || q === '"') {
    const start = p.i;
    p.i++;
    while (p.i < p.s.length) {
      if (p.s[p.i] === q) {
        if (q === "'" && p.s[p.i + 1] === "'") {
          p.i += 2;
          continue;
        }
        break;
      }
      if (q === '"' && p.s[p.i] === "\\") p.i++;
      p.i++;
    }
    if (p.i >= p.s.length) throw new TbdError(`line ${no}: unterminated quoted string`);
    p.i++;
    return parseScalar(p.s.slice(start, p.i));
  }
  const start = p.i;
  while (p.i < p.s.length && !",]}".includes(p.s[p.i]!) && !(key && p.s[p.i] === ":")) p.i++;
  return parseScalar(p.s.slice(start, p.i).trim());
}

function parseScalar(s: string): unknown {
  if (s.startsWith("'") && s.endsWith("'") && s.length >= 2) return s.slice(1, -1).replace(/''/g, "'");
  if (s.startsWith('"') && s.endsWith('"') && s.length >= 2) return JSON.parse(s) as string;
  return s;
}
