/**
 * A small FileCheck for lit-style tests (LLVM's `FileCheck`, the subset lld's
 * Mach-O tests use): each `CHECK:` line is a pattern found on some later line
 * of the input, `CHECK-NEXT:` on the very next line, `CHECK-SAME:` on the
 * line of the previous match, and `CHECK-NOT:` on no line between the
 * previous match and the next one (or the end). In a pattern, runs of spaces
 * match any horizontal whitespace, `{{re}}` is a regular expression,
 * `[[NAME:re]]` captures what `re` matched, and `[[NAME]]` matches the text
 * captured before. Returns the captures (for arithmetic in the test); throws
 * an error quoting the failing check and the input near it.
 */

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function compile(pattern: string, vars: Map<string, string>): { re: RegExp; defs: string[] } {
  let src = "";
  const defs: string[] = [];
  let i = 0;
  while (i < pattern.length) {
    if (pattern.startsWith("{{", i)) {
      const end = pattern.indexOf("}}", i + 2);
      if (end < 0) throw new Error(`filecheck: unterminated {{ in "${pattern}"`);
      src += `(?:${pattern.slice(i + 2, end)})`;
      i = end + 2;
    } else if (pattern.startsWith("[[", i)) {
      const end = pattern.indexOf("]]", i + 2);
      if (end < 0) throw new Error(`filecheck: unterminated [[ in "${pattern}"`);
      const body = pattern.slice(i + 2, end);
      const colon = body.indexOf(":");
      if (colon >= 0) {
        defs.push(body.slice(0, colon));
        src += `(${body.slice(colon + 1)})`;
      } else {
        const v = vars.get(body);
        if (v === undefined) throw new Error(`filecheck: [[${body}]] is used before it is defined`);
        src += escapeRe(v);
      }
      i = end + 2;
    } else if (pattern[i] === " ") {
      while (pattern[i] === " ") i++;
      src += "[ \\t]+";
    } else {
      src += escapeRe(pattern[i]!);
      i++;
    }
  }
  return { re: new RegExp(src), defs };
}

/**
 * Checks `input` against the `CHECK` lines of `checks`, with the variables of
 * `defined` (an earlier call's result) known; returns all captured variables.
 */
export function filecheck(input: string, checks: string, defined: Record<string, string> = {}): Record<string, string> {
  const lines = input.split("\n");
  const vars = new Map<string, string>(Object.entries(defined));
  let cur = -1; // line of the last match
  let pendingNot: { pattern: string; from: number }[] = [];
  const fail = (what: string, at: number): never => {
    const near = lines.slice(Math.max(0, at), Math.max(0, at) + 8).join("\n");
    throw new Error(`filecheck: ${what}\n--- input from line ${at + 1} ---\n${near}`);
  };
  const tryMatch = (pattern: string, line: number): boolean => {
    const { re, defs } = compile(pattern.trim(), vars);
    const m = re.exec(lines[line] ?? "");
    if (!m) return false;
    defs.forEach((d, k) => vars.set(d, m[k + 1]!));
    return true;
  };
  const checkNots = (until: number) => {
    for (const n of pendingNot)
      for (let l = n.from; l < until; l++)
        if (compile(n.pattern.trim(), vars).re.test(lines[l]!)) fail(`CHECK-NOT: ${n.pattern} matched`, l);
    pendingNot = [];
  };
  for (const raw of checks.split("\n")) {
    const m = /^\s*(CHECK(?:-NEXT|-SAME|-NOT)?):(.*)$/.exec(raw);
    if (!m) continue;
    const [, kind, pattern] = m as unknown as [string, string, string];
    if (kind === "CHECK-NOT") {
      pendingNot.push({ pattern, from: cur + 1 });
      continue;
    }
    let found = -1;
    if (kind === "CHECK") {
      for (let l = cur + 1; l < lines.length; l++)
        if (tryMatch(pattern, l)) {
          found = l;
          break;
        }
    } else if (kind === "CHECK-NEXT") {
      if (tryMatch(pattern, cur + 1)) found = cur + 1;
    } else if (cur >= 0 && tryMatch(pattern, cur)) found = cur;
    if (found < 0) fail(`${kind}: ${pattern.trim()} not found`, cur + 1);
    checkNots(found);
    cur = found;
  }
  checkNots(lines.length);
  return Object.fromEntries(vars);
}
