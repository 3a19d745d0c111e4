// Writing a TAPI TBD v4 document (LLVM `lib/TextAPI/TextStub.cpp`'s
// spelling): one `exports:` entry per distinct target set, symbols sorted
// byte-wise and quoted when they hold `$` or other YAML-special bytes, the
// whole deterministic (no dates, no Map order).

const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

const quote = (s) => (/^[A-Za-z_][\w.]*$/.test(s) ? s : `'${s.replace(/'/g, "''")}'`);

function wrap(list, indent) {
  const lines = [];
  let cur = "";
  for (const n of list.map(quote)) {
    const item = `${n}, `;
    if (cur.length + item.length > 100 - indent) {
      lines.push(cur.trimEnd());
      cur = "";
    }
    cur += item;
  }
  if (cur) lines.push(cur.replace(/, $/, ""));
  return lines.map((l) => `${" ".repeat(indent)}${l}`).join("\n");
}

/**
 * `lib`: { installName, currentVersion, compatibilityVersion?, targets:
 * string[], symbols: Map<name, Set<target>>, comment: string[] }.
 * Returns the document text.
 */
export function writeTbd(lib) {
  const groups = new Map();
  for (const [name, ts] of lib.symbols) {
    const key = lib.targets.filter((t) => ts.has(t)).join(", ");
    if (!key) continue;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(name);
  }
  // Target sets in a fixed order: all targets first, then each alone in `targets` order.
  const order = [lib.targets.join(", "), ...lib.targets];
  const keys = [...groups.keys()].sort((a, b) => {
    const ia = order.indexOf(a);
    const ib = order.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || cmp(a, b);
  });
  let out = "--- !tapi-tbd\n";
  for (const c of lib.comment) out += c ? `# ${c}\n` : "#\n";
  out += "tbd-version:     4\n";
  out += `targets:         [ ${lib.targets.join(", ")} ]\n`;
  out += `install-name:    '${lib.installName}'\n`;
  out += `current-version: ${lib.currentVersion}\n`;
  if (lib.compatibilityVersion) out += `compatibility-version: ${lib.compatibilityVersion}\n`;
  out += "exports:\n";
  for (const k of keys) {
    out += `  - targets:         [ ${k} ]\n`;
    out += `    symbols:         [\n${wrap(groups.get(k).sort(cmp), 23)} ]\n`;
  }
  out += "...\n";
  return out;
}
