// Reading exported names out of C headers without a compiler: what a C
// header promises a library exports is every non-inline function it
// declares and every `extern` object, under the name the header's asm
// labels give them for the target. Apple's headers spell those labels
// with `sys/cdefs.h`'s symbol-variant macros (`__DARWIN_ALIAS(fopen)`,
// `__DARWIN_INODE64(stat)`, `__DARWIN_EXTSN(realpath)`, `__DARWIN_1050(select)`,
// ...), whose suffixes depend on the target (cdefs.h: on x86_64
// `__DARWIN_ONLY_UNIX_CONFORMANCE` is 1 but 64-bit ino_t and the 10.5
// variants are not "only", so `$INODE64` and `$1050` exist and `$UNIX2003`
// does not; on arm64 all three are "only", so none of the three suffixes
// exists). This module does the small part of the preprocessor that decides
// which declarations are seen (conditional blocks, evaluated against a
// per-target macro set) and then reads declarations statement by
// statement.

/** Macro environments for a user-space compile of each target (clang's predefines plus cdefs.h's results). */
export function targetMacros(arch) {
  const common = {
    __APPLE__: 1,
    __MACH__: 1,
    __LP64__: 1,
    _LP64: 1,
    __STDC__: 1,
    __STDC_VERSION__: 201112,
    __GNUC__: 4,
    __clang__: 1,
    __BLOCKS__: 1,
    __DARWIN_UNIX03: 1,
    __DARWIN_64_BIT_INO_T: 1,
    __DARWIN_VERS_1050: 1,
    __DARWIN_NON_CANCELABLE: 0,
    __DARWIN_ONLY_UNIX_CONFORMANCE: 1,
    __DARWIN_C_ANSI: 0o10000,
    __DARWIN_C_FULL: 900000,
    __DARWIN_C_LEVEL: 900000,
    __ENVIRONMENT_MAC_OS_X_VERSION_MIN_REQUIRED__: 110000,
    __MAC_OS_X_VERSION_MIN_REQUIRED: 110000,
    __MAC_OS_X_VERSION_MAX_ALLOWED: 150000,
    MAC_OS_X_VERSION_MIN_REQUIRED: 110000,
    MAC_OS_X_VERSION_MAX_ALLOWED: 150000,
    TARGET_OS_MAC: 1,
    TARGET_OS_OSX: 1,
    TARGET_OS_IPHONE: 0,
    TARGET_OS_IOS: 0,
    TARGET_OS_SIMULATOR: 0,
    TARGET_OS_EMBEDDED: 0,
    TARGET_OS_DRIVERKIT: 0,
    TARGET_OS_EXCLAVECORE: 0,
    TARGET_OS_EXCLAVEKIT: 0,
    TARGET_RT_64_BIT: 1,
    TARGET_RT_LITTLE_ENDIAN: 1,
    __LITTLE_ENDIAN__: 1,
    __DARWIN_BYTE_ORDER: 1234,
    __DARWIN_LITTLE_ENDIAN: 1234,
    BYTE_ORDER: 1234,
    LITTLE_ENDIAN: 1234,
    __DEPLOYMENT_TARGET_MACOS: 1,
  };
  if (arch === "x86_64")
    return { ...common, __x86_64__: 1, __x86_64: 1, __DARWIN_ONLY_64_BIT_INO_T: 0, __DARWIN_ONLY_VERS_1050: 0 };
  if (arch === "arm64")
    return {
      ...common,
      __arm64__: 1,
      __aarch64__: 1,
      __DARWIN_ONLY_64_BIT_INO_T: 1,
      __DARWIN_ONLY_VERS_1050: 1,
      TARGET_CPU_ARM64: 1,
    };
  throw new Error(`unknown arch ${arch}`);
}

/** Suffixes each symbol-variant macro appends on a target, per cdefs.h (default compile: UNIX03, 64-bit ino_t, 10.5 variants, cancelable). */
export function variantSuffixes(arch) {
  const ino = arch === "x86_64" ? "$INODE64" : "";
  const v1050 = arch === "x86_64" ? "$1050" : "";
  const unix03 = ""; // __DARWIN_ONLY_UNIX_CONFORMANCE is 1 on every 64-bit target
  return {
    __DARWIN_ALIAS: unix03,
    __DARWIN_ALIAS_C: unix03,
    __DARWIN_ALIAS_I: ino + unix03,
    __DARWIN_NOCANCEL: "",
    __DARWIN_INODE64: ino,
    __DARWIN_1050: v1050,
    __DARWIN_1050ALIAS: v1050 + unix03,
    __DARWIN_1050ALIAS_C: v1050 + unix03,
    __DARWIN_1050ALIAS_I: v1050 + ino + unix03,
    __DARWIN_1050INODE64: v1050 + ino,
    __DARWIN_EXTSN: "$DARWIN_EXTSN",
    __DARWIN_EXTSN_C: "$DARWIN_EXTSN",
  };
}

/** Macros whose `$NOCANCEL` form exists (cdefs.h: the ones with `__DARWIN_SUF_NON_CANCELABLE`). */
const NOCANCEL_MACROS = new Set(["__DARWIN_ALIAS_C", "__DARWIN_NOCANCEL", "__DARWIN_1050ALIAS_C", "__DARWIN_EXTSN_C"]);

// ---------------------------------------------------------------- conditionals

function stripComments(text) {
  // Block and line comments (keeping line structure); string and character literals pass through.
  return text.replace(/\/\*[\s\S]*?(\*\/|$)|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g, (m) =>
    m.startsWith("/*") ? m.replace(/[^\n]/g, " ") : m.startsWith("//") ? "" : m,
  );
}

function tokenizeExpr(s) {
  const toks = [];
  const re = /\s*(0[xX][0-9a-fA-F]+|\d+|[A-Za-z_]\w*|&&|\|\||==|!=|<=|>=|<<|>>|[()!<>+\-*/%?:~&|^,])[uUlL]*/gy;
  let m;
  re.lastIndex = 0;
  while (re.lastIndex < s.length && (m = re.exec(s))) toks.push(m[1]);
  return toks;
}

/** Evaluates a `#if` expression; unknown identifiers are 0 (as in C), `__has_*` queries true except `__has_include`. */
export function evalExpr(expr, macros) {
  const t = tokenizeExpr(expr);
  let p = 0;
  const peek = () => t[p];
  const next = () => t[p++];
  const prec = {
    "||": 1,
    "&&": 2,
    "|": 3,
    "^": 4,
    "&": 5,
    "==": 6,
    "!=": 6,
    "<": 7,
    ">": 7,
    "<=": 7,
    ">=": 7,
    "<<": 8,
    ">>": 8,
    "+": 9,
    "-": 9,
    "*": 10,
    "/": 10,
    "%": 10,
  };
  function primary() {
    const tok = next();
    if (tok === undefined) return 0;
    if (tok === "(") {
      const v = ternary();
      if (peek() === ")") next();
      return v;
    }
    if (tok === "!") return primary() ? 0 : 1;
    if (tok === "-") return -primary();
    if (tok === "+") return primary();
    if (tok === "~") return ~primary();
    if (tok === "defined") {
      let name;
      if (peek() === "(") {
        next();
        name = next();
        if (peek() === ")") next();
      } else name = next();
      return name in macros ? 1 : 0;
    }
    if (/^\d/.test(tok))
      return tok.startsWith("0x") || tok.startsWith("0X")
        ? Number.parseInt(tok, 16)
        : tok.length > 1 && tok.startsWith("0")
          ? Number.parseInt(tok, 8)
          : Number(tok);
    // Function-like query: skip its argument list.
    if (peek() === "(") {
      let depth = 0;
      do {
        const x = next();
        if (x === "(") depth++;
        else if (x === ")") depth--;
      } while (depth > 0 && p < t.length);
      if (tok === "__has_include" || tok === "__has_include_next") return 0;
      if (tok.startsWith("__has_")) return 1;
      return 0;
    }
    const v = macros[tok];
    return typeof v === "number" ? v : 0;
  }
  function binary(minPrec) {
    let lhs = primary();
    for (;;) {
      const op = peek();
      const pr = prec[op];
      if (pr === undefined || pr < minPrec) return lhs;
      next();
      const rhs = binary(pr + 1);
      lhs = applyOp(op, lhs, rhs);
    }
  }
  function ternary() {
    const c = binary(1);
    if (peek() === "?") {
      next();
      const a = ternary();
      if (peek() === ":") next();
      const b = ternary();
      return c ? a : b;
    }
    return c;
  }
  return ternary();
}

function applyOp(op, a, b) {
  switch (op) {
    case "||":
      return a || b ? 1 : 0;
    case "&&":
      return a && b ? 1 : 0;
    case "|":
      return a | b;
    case "^":
      return a ^ b;
    case "&":
      return a & b;
    case "==":
      return a === b ? 1 : 0;
    case "!=":
      return a !== b ? 1 : 0;
    case "<":
      return a < b ? 1 : 0;
    case ">":
      return a > b ? 1 : 0;
    case "<=":
      return a <= b ? 1 : 0;
    case ">=":
      return a >= b ? 1 : 0;
    case "<<":
      return a << b;
    case ">>":
      return a >> b;
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return b === 0 ? 0 : Math.trunc(a / b);
    case "%":
      return b === 0 ? 0 : a % b;
  }
  return 0;
}

/**
 * Keeps the lines of `text` that a compile with `macros` sees: `#if`,
 * `#ifdef`, `#ifndef`, `#elif`, `#else`, `#endif` evaluated; object-like
 * `#define NAME value` (a number or another macro) and `#undef` tracked;
 * other directives dropped. Returns `{ code, renames }` where `renames`
 * holds `#define name other_name` pairs seen (e.g. resolv.h's
 * `#define res_init res_9_init`).
 */
export function preprocess(text, baseMacros) {
  const macros = { ...baseMacros };
  const renames = new Map();
  const lines = stripComments(text)
    .replace(/\\\r?\n/g, " ")
    .split("\n");
  const out = [];
  // Stack of { active, taken, parentActive }.
  const stack = [];
  const active = () => stack.every((s) => s.active);
  for (const line of lines) {
    const m = /^\s*#\s*(\w+)\s*(.*)$/.exec(line);
    if (!m) {
      out.push(active() ? line : "");
      continue;
    }
    out.push("");
    const [, dir, rest] = m;
    const parentActive = active();
    switch (dir) {
      case "if": {
        const v = parentActive ? evalExpr(rest, macros) !== 0 : false;
        stack.push({ active: v, taken: v });
        break;
      }
      case "ifdef": {
        const v = parentActive && rest.trim().split(/\s/)[0] in macros;
        stack.push({ active: v, taken: v });
        break;
      }
      case "ifndef": {
        const v = parentActive && !(rest.trim().split(/\s/)[0] in macros);
        stack.push({ active: v, taken: v });
        break;
      }
      case "elif": {
        const s = stack[stack.length - 1];
        if (!s) break;
        stack.pop();
        const pa = active();
        const v = pa && !s.taken && evalExpr(rest, macros) !== 0;
        stack.push({ active: v, taken: s.taken || v });
        break;
      }
      case "else": {
        const s = stack[stack.length - 1];
        if (!s) break;
        s.active = !s.taken;
        s.taken = true;
        break;
      }
      case "endif":
        stack.pop();
        break;
      case "define": {
        if (!parentActive) break;
        const d = /^([A-Za-z_]\w*)(\(?)\s*(.*)$/.exec(rest);
        if (!d || d[2] === "(") {
          if (d) macros[d[1]] = "function";
          break;
        }
        const val = d[3].trim();
        if (/^[-+]?(0[xX][0-9a-fA-F]+|\d+)[uUlL]*$/.test(val)) macros[d[1]] = evalExpr(val, {});
        else if (/^\(?[-+]?\d+[uUlL]*\)?$/.test(val)) macros[d[1]] = evalExpr(val, {});
        else if (val in macros && typeof macros[val] === "number") macros[d[1]] = macros[val];
        else {
          if (/^[A-Za-z_]\w*$/.test(val)) renames.set(d[1], val);
          // Defined (for defined()), value unknown.
          macros[d[1]] = val === "" ? 1 : "text";
        }
        break;
      }
      case "undef":
        if (parentActive) delete macros[rest.trim()];
        break;
      default:
        break;
    }
  }
  return { code: out.join("\n"), renames };
}

// ---------------------------------------------------------------- declarations

const KEYWORDS = new Set(
  "auto break case char const continue default do double else enum extern float for goto if inline int long register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while _Bool _Complex _Noreturn _Atomic __restrict __inline __inline__ __volatile__ __const __signed __extension__ bool".split(
    " ",
  ),
);

/** Splits C code into top-level statements (`;`-terminated), dropping braced bodies' contents. */
function statements(code) {
  const out = [];
  let parts = [];
  let start = 0;
  let depth = 0;
  let braced = false;
  let paren = 0;
  const cur = (i) => parts.join("") + code.slice(start, i);
  const n = code.length;
  for (let i = 0; i < n; i++) {
    const c = code.charCodeAt(i);
    // " or '
    if (c === 34 || c === 39) {
      let j = i + 1;
      while (j < n && code.charCodeAt(j) !== c) j += code.charCodeAt(j) === 92 ? 2 : 1;
      i = j;
      continue;
    }
    if (depth === 0) {
      if (c === 40) paren++;
      else if (c === 41) paren--;
      else if (c === 59 && paren <= 0) {
        out.push({ text: cur(i), braced });
        parts = [];
        start = i + 1;
        braced = false;
        paren = 0;
        continue;
      }
    }
    if (c === 123) {
      if (depth === 0) {
        const head = cur(i);
        // `extern "C" {` is transparent.
        if (/extern\s*"C"\s*$/.test(head)) {
          parts = [];
          start = i + 1;
          continue;
        }
        parts = [head];
        braced = true;
      }
      depth++;
      continue;
    }
    if (c === 125) {
      if (depth === 0) {
        parts = []; // closing an extern "C" block
        start = i + 1;
        continue;
      }
      depth--;
      if (depth === 0) {
        start = i + 1;
        // A function body ends a definition with no `;`; a struct/enum body is followed by declarators and `;`.
        if (paren <= 0 && /\)[\s\w]*$/.test(parts.join(""))) {
          parts = [];
          braced = false;
        }
      }
    }
  }
  return out;
}

/**
 * Removes an identifier-led macro call `NAME(...)` with balanced parentheses
 * for every NAME matched by `isAttr`; returns the text and the calls removed.
 */
function stripCalls(s, isAttr) {
  const calls = [];
  let out = "";
  let i = 0;
  const re = /[A-Za-z_]\w*/y;
  while (i < s.length) {
    re.lastIndex = i;
    const m = /[A-Za-z_]/.test(s[i]) && (i === 0 || !/\w/.test(s[i - 1])) ? re.exec(s) : null;
    if (m) {
      const name = m[0];
      let j = i + name.length;
      while (j < s.length && /\s/.test(s[j])) j++;
      if (s[j] === "(" && isAttr(name)) {
        let depth = 0;
        let k = j;
        for (; k < s.length; k++) {
          if (s[k] === "(") depth++;
          else if (s[k] === ")") {
            depth--;
            if (depth === 0) break;
          }
        }
        calls.push({ name, args: s.slice(j + 1, k) });
        out += " ";
        i = k + 1;
        continue;
      }
      out += name;
      i += name.length;
      continue;
    }
    out += s[i];
    i++;
  }
  return { text: out, calls };
}

const LOWER_ATTRS = new Set(
  "_Pragma __pragma __attribute__ __attribute __asm __asm__ __declspec __printflike __printf0like __scanflike __strftimelike __format_arg __deprecated_msg __deprecated_enum_msg __alloc_size __alloc_align __sized_by __counted_by __ended_by __sized_by_or_null __counted_by_or_null __typeof__ __typeof __swift_unavailable __kpi_deprecated __unavailable_msg __availability __header_indexable __single __terminated_by __null_terminated __xnu_data_size __swift_name __swift_attr __ptrauth __enum_decl __options_decl __enum_closed_decl __options_closed_decl".split(
    " ",
  ),
);

const BARE_ATTRS = new Set(
  "__swift_nonisolated_unsafe __swift_nonisolated __deprecated __unavailable __dead2 __pure2 __unused __used __cold __exported __nonnull __nullable __null_unspecified __restrict __result_use_check __abortlike _Nullable _Nonnull _Null_unspecified __single __unsafe_indexable __indexable __bidi_indexable __kpi_unavailable __weak_import__ __private_extern__".split(
    " ",
  ),
);
const isBareAttr = (n) => BARE_ATTRS.has(n) || /^_{0,2}[A-Z][A-Z0-9_]*$/.test(n);

/** Whether a `NAME(...)` call in a declaration is an attribute-like macro (not the declared function). */
const isAttrName = (n) =>
  /^_{0,2}[A-Z][A-Z0-9_]*$/.test(n) ||
  LOWER_ATTRS.has(n) ||
  /^__(ptrcheck|xnu|swift|kpi|API|OSX|IOS|TVOS|WATCHOS|DARWIN|CF|OS)_/.test(n);

/**
 * Declared names in a preprocessed header: `{ name, asm?, macro?, kind }`
 * where kind is "func" or "data"; `asm` is an explicit label (without the
 * leading `_` of Mach-O spelling already applied: the label as written),
 * `macro` the symbol-variant macro naming it.
 */
export function declarations(code, { externMacros = [] } = {}) {
  const decls = [];
  const externRe = new RegExp(
    `\\b(extern|${["[A-Z_]+_EXPORT", "[A-Z_]+_EXTERN", "[A-Z_]+_EXTERN_C", ...externMacros].join("|")})\\b`,
  );
  for (const { text, braced } of statements(code)) {
    let s = text.replace(/\s+/g, " ").trim();
    if (s === "" || braced) continue;
    if (
      /^(typedef|static|__header_always_inline|__header_inline|_Static_assert|__OS_ENUM|OS_ENUM|OS_OPTIONS)\b/.test(s)
    )
      continue;
    if (/\b(static|typedef)\b/.test(s.replace(/\(.*$/, ""))) continue;
    // Old BSD prototypes: `int foo __P((int));`
    s = s.replace(/\b__P\s*\(\s*\(/g, "((").replace(/\b__P\s*\(/g, "(");
    const isExtern = externRe.test(s);
    const { text: bare, calls } = stripCalls(s, isAttrName);
    let asm;
    let macro;
    for (const c of calls) {
      if (/^__asm(__)?$/.test(c.name)) {
        const lit = [...c.args.matchAll(/"([^"]*)"/g)].map((x) => x[1]).join("");
        if (lit) asm = lit;
      } else if (c.name in VARIANT_MACRO_NAMES) macro = { name: c.name, sym: c.args.trim() };
      else if (c.name === "__DARWIN_ALIAS_STARTING") {
        const inner = stripCalls(c.args, (n) => n in VARIANT_MACRO_NAMES).calls[0];
        if (inner) macro = { name: inner.name, sym: inner.args.trim() };
      }
    }
    const b = bare.replace(/\s+/g, " ").trim();
    const paren = b.indexOf("(");
    if (paren >= 0) {
      let name;
      const head = b.slice(0, paren).trimEnd();
      if (/[A-Za-z_]\w*$/.test(head)) {
        name = /([A-Za-z_]\w*)$/.exec(head)[1];
        if (KEYWORDS.has(name) || isBareAttr(name)) name = undefined;
      }
      if (!name) {
        // `void (*signal(int, void (*)(int)))(int)`: the name follows `(*`.
        const m = /^\(\s*\*\s*(?:(?:const|__nullable|__nonnull|_Nullable|_Nonnull)\s+)*([A-Za-z_]\w*)\s*\(/.exec(
          b.slice(paren),
        );
        if (m) name = m[1];
      }
      if (!name) continue;
      // A function pointer object (`extern void (*hook)(int);`) is data.
      const ptrVar = new RegExp(`\\(\\s*\\*\\s*${name}\\s*\\)`).test(b);
      decls.push({ name, asm, macro, kind: ptrVar ? "data" : "func" });
      continue;
    }
    if (!isExtern) continue;
    // `extern int opterr, optind, optopt;`: the first declarator carries the type, the rest are names.
    b.split(",").forEach((part, i) => {
      const ids = [...part.replace(/\[[^\]]*\]/g, " ").matchAll(/[A-Za-z_]\w*/g)].map((x) => x[0]);
      while (ids.length > 0 && isBareAttr(ids[ids.length - 1])) ids.pop();
      const name = ids[ids.length - 1];
      if (name && !KEYWORDS.has(name) && (ids.length > 1 || i > 0)) decls.push({ name, asm, macro, kind: "data" });
    });
  }
  return decls;
}

const VARIANT_MACRO_NAMES = {
  __DARWIN_ALIAS: 1,
  __DARWIN_ALIAS_C: 1,
  __DARWIN_ALIAS_I: 1,
  __DARWIN_NOCANCEL: 1,
  __DARWIN_INODE64: 1,
  __DARWIN_1050: 1,
  __DARWIN_1050ALIAS: 1,
  __DARWIN_1050ALIAS_C: 1,
  __DARWIN_1050ALIAS_I: 1,
  __DARWIN_1050INODE64: 1,
  __DARWIN_EXTSN: 1,
  __DARWIN_EXTSN_C: 1,
};

/**
 * The Mach-O names a library that implements `decl` exports on `arch`:
 * the plain name (every variant macro keeps its legacy, unsuffixed
 * symbol in the library), the suffixed name the header selects on `arch`,
 * and the `$NOCANCEL` form for the cancellation-point macros.
 */
export function exportedNames(decl, arch) {
  if (decl.asm) return [decl.asm.startsWith("_") ? decl.asm : decl.asm];
  const base = `_${decl.name}`;
  if (!decl.macro) return [base];
  const sym = `_${decl.macro.sym}`;
  const suf = variantSuffixes(arch)[decl.macro.name] ?? "";
  const names = new Set([sym, sym + suf]);
  if (NOCANCEL_MACROS.has(decl.macro.name)) {
    const ext = decl.macro.name === "__DARWIN_EXTSN_C" ? "$DARWIN_EXTSN" : "";
    const v1050 = decl.macro.name === "__DARWIN_1050ALIAS_C" && arch === "x86_64" ? "$1050" : "";
    names.add(`${sym}${v1050}${ext}$NOCANCEL`);
  }
  return [...names];
}
