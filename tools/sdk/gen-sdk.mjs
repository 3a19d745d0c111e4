#!/usr/bin/env node
// Generates tsld's built-in SDK: the text stubs (TBD v4, targets
// x86_64-macos and arm64-macos) that a link with no -syslibroot falls back
// to, compiled from public references, and the sources file that records
// exactly what was read.
//
// An export list is a set of facts about a library. Each library's list is
// compiled from the sources that define that library's interface:
//
//   libSystem.B.dylib (flattened: what it re-exports from /usr/lib/system)
//     Libc            public headers (include/), each seen by a compile for
//                     each target and each feature set (default,
//                     _DARWIN_C_SOURCE/unlimited streams/select); the
//                     sys/cdefs.h symbol-variant macros give the per-target
//                     $INODE64/$1050/$DARWIN_EXTSN/$NOCANCEL names
//     xnu             bsd/kern/syscalls.master (the syscall stubs libsyscall
//                     makes, after libsyscall/xcodescripts/create-syscalls.pl's
//                     rules), libsyscall/Platforms/{syscall.map,
//                     MacOSX/<arch>/syscall.map} (per-arch aliases), the MIG
//                     interfaces libsyscall compiles (mach_install_mig.sh's
//                     MIGS, read from osfmk/mach/*.defs), and the installed
//                     headers of bsd/sys, osfmk/mach and libsyscall
//     libpthread, libplatform, libmalloc, libdispatch, libclosure,
//     libunwind, Libinfo, dyld (libdyld)   public headers + alias files
//     Libm            Exports/libm_Intel.a.exp (the library's export list)
//     extra-symbols.txt   runtime entry points no header declares
//                     (___stack_chk_fail, ___memcpy_chk, compiler-rt
//                     builtins, ...), each citing the source that defines it;
//                     checked against that source when it is present
//     Go              the names Go's darwin standard library imports
//                     (tools/sdk/gen-go-darwin-imports.mjs), so Go's external
//                     link needs no -undefined escape
//   libresolv.9.dylib        libresolv's resolv.h (res_9_* names)
//   CoreFoundation, Security, IOKit frameworks   public headers (CF, Security,
//                     IOKitUser) + Go's imports
//
// Usage:
//   node tools/sdk/gen-sdk.mjs --src DIR [--goroot GOROOT] [--out DIR] [--extras FILE]
// DIR holds one directory per repository named owner+name (the search tool's
// `fetch` mirrors: owner+name/repo is a git directory, read at the commit
// pinned below; or a plain tree of files). Output (default
// packages/objfile/data): libSystem.tbd, libresolv.tbd, CoreFoundation.tbd,
// Security.tbd, IOKit.tbd and sdk-sources.json. Same sources in, same bytes
// out. After regenerating, run packages/objfile/scripts/embed-tbd.mjs.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { goDarwinImports } from "./gen-go-darwin-imports.mjs";
import { declarations, exportedNames, preprocess, targetMacros } from "./lib/cheaders.mjs";
import { SourceRepo } from "./lib/source-tree.mjs";
import { writeTbd } from "./lib/tbd-writer.mjs";

const here = dirname(fileURLToPath(import.meta.url));

/** The public repositories read, pinned. */
export const REPOS = [
  ["apple-oss-distributions/Libc", "Libc-1725.0.11", "55b54c0a0c37b3b24393b42b90a4c561d6c606b1"],
  ["apple-oss-distributions/xnu", "xnu-11417.101.15", "e3723e1f17661b24996789d8afc084c0c3303b26"],
  ["apple-oss-distributions/libpthread", "libpthread-539", "42d026df5b07825070f60134b980a1ec2552dfee"],
  ["apple-oss-distributions/Libm", "Libm-2026", "17a5f9daa3f5679f7536b26f133b40cc078753c3"],
  ["apple-oss-distributions/libdispatch", "libdispatch-1542.0.4", "2361ffb78a76f7ee488cd052eb0bc5c767118bf9"],
  ["apple-oss-distributions/libmalloc", "libmalloc-792.1.1", "81c0f67a777adf665c667fa2bd49ff6219fdfb9e"],
  ["apple-oss-distributions/dyld", "dyld-1378", "fd8d0c4d52320ebf64db34f3cb280310d905c5ae"],
  ["apple-oss-distributions/libplatform", "libplatform-375.100.10", "2512ffd8bb5c6caff3c8ea83331ab8a0adc820c3"],
  ["apple-oss-distributions/Libinfo", "Libinfo-600", "39b70c515baee5b609e7e91693edbd934b6845a1"],
  ["apple-oss-distributions/libclosure", "libclosure-96", "3668b0837f47be3cc1c404fb5e360f4ff178ca13"],
  ["apple-oss-distributions/libunwind", "libunwind-201", "f709eccad023ec32db53d40146d07805cf3e4ee0"],
  ["apple-oss-distributions/Libsystem", "Libsystem-1356", "c23b51183e46e613375dc7639fb4bf11fbf59ba8"],
  ["apple-oss-distributions/libresolv", "libresolv-91", "84e15f965bf75b6696fdb5c21405f141ae660dc5"],
  ["apple-oss-distributions/CF", "CF-1153.18", "dc54c6bb1c1e5e0b9486c1d26dd5bef110b20bf3"],
  ["apple-oss-distributions/Security", "Security-61901.0.87.0.1", "db15acbe6a7f257a859ad9a3bb86097bfe0679d9"],
  ["apple-oss-distributions/copyfile", "copyfile-224", "5481fd621af1725dc82fac6732e23154e901738b"],
  ["apple-oss-distributions/IOKitUser", "IOKitUser-100222.0.4", "1a6b2d14f7834563cc677d181c1a2f4cdfdf49dc"],
].map(([repo, tag, commit]) => ({ repo, tag, commit }));

const ARCHS = ["x86_64", "arm64"];
const TARGET = { x86_64: "x86_64-macos", arm64: "arm64-macos" };
const TARGETS = ARCHS.map((a) => TARGET[a]);

/** Feature sets each header is read under; a library exports the names every one of them selects. */
const FEATURE_SETS = [
  {},
  {
    _DARWIN_C_SOURCE: 1,
    _DARWIN_UNLIMITED_STREAMS: 1,
    _DARWIN_UNLIMITED_SELECT: 1,
    _DARWIN_BETTER_REALPATH: 1,
    __DARWIN_10_6_AND_LATER: 1,
  },
  // How Libc itself compiles its headers: the ctype/wctype inlines as external functions, C11 Annex K.
  { _DARWIN_C_SOURCE: 1, _DONT_USE_CTYPE_INLINE_: 1, __STDC_WANT_LIB_EXT1__: 1 },
];

/** What each library's headers are (paths in their repository). */
const HEADERS = {
  "apple-oss-distributions/Libc": (r) =>
    r
      .match(/^(include\/.*|gen\/execinfo)\.h$/)
      .filter((p) => !/\/(cdefs|asm|kvm|libc|authentication)\.h$/.test(p) && !/\/secure\//.test(p)),
  "apple-oss-distributions/xnu": (r) => [
    ...makeList(r, "bsd/sys/Makefile", ["DATAFILES", "EMBEDDED_PRIVATE_DATAFILES"]).map((f) => `bsd/sys/${f}`),
    ...makeList(r, "osfmk/mach/Makefile", ["DATAFILES"])
      .filter((f) => f.endsWith(".h"))
      .map((f) => `osfmk/mach/${f}`),
    "bsd/net/if.h",
    "bsd/netinet6/in6.h",
    "bsd/netinet/in.h",
    ...r.match(/^libsyscall\/mach\/mach\/[^/]*\.h$/).filter((p) => !/private|errorlib/.test(p)),
    "libsyscall/wrappers/libproc/libproc.h",
    "libsyscall/wrappers/spawn/spawn.h",
    "libsyscall/wrappers/gethostuuid.h",
  ],
  "apple-oss-distributions/libpthread": (r) =>
    r.match(/^include\/(pthread\/[^/]*|sys\/qos)\.h$/).filter((p) => !/pthread_impl|private/.test(p)),
  "apple-oss-distributions/libplatform": (r) =>
    r.match(/^include\/(libkern\/[^/]*|os\/lock|os\/os_sync_wait_on_address|setjmp|ucontext|timingsafe)\.h$/),
  "apple-oss-distributions/libmalloc": (r) => r.match(/^include\/malloc\/[^/]*\.h$/),
  "apple-oss-distributions/libdispatch": (r) =>
    r
      .match(/^(dispatch\/[^/]*|os\/(object|workgroup[^/]*|clock))\.h$/)
      .filter((p) => !/swift_shims|introspection/.test(p)),
  "apple-oss-distributions/libclosure": (r) => r.match(/^Block\.h$/),
  "apple-oss-distributions/libunwind": (r) => r.match(/^libunwind\/include\/(libunwind|unwind)\.h$/),
  "apple-oss-distributions/Libinfo": (r) =>
    r.match(
      /^(lookup\.subproj\/(netdb|pwd|grp|netdb_async)|gen\.subproj\/ifaddrs|membership\.subproj\/(membership|ntsid)|nis\.subproj\/ypclnt|rpc\.subproj\/(auth|auth_unix|clnt|pmap_clnt|pmap_prot|pmap_rmt|rpc|rpc_msg|svc|svc_auth|xdr))\.h$/,
    ),
  "apple-oss-distributions/dyld": (r) =>
    r.match(/^include\/(dlfcn|mach-o\/(dyld|dyld_priv|dyld_images|utils|getsect))\.h$/),
  "apple-oss-distributions/copyfile": (r) => r.match(/^(copyfile|xattr_flags)\.h$/),
  "apple-oss-distributions/Libm": (r) => r.match(/^Source\/Intel\/(math|fenv)\.h$|^Source\/complex\.h$/),
};

/** Alias files: `<symbol> <alias>` lines; both names are exported. */
const ALIAS_FILES = {
  "apple-oss-distributions/libpthread": ["xcodescripts/pthread.aliases"],
  "apple-oss-distributions/libplatform": ["xcodeconfig/libplatform.aliases"],
  "apple-oss-distributions/libdispatch": ["xcodeconfig/libdispatch.aliases"],
  "apple-oss-distributions/libclosure": ["Blocks.alias"],
};

function makeList(repo, path, vars) {
  const text = repo.read(path);
  if (!text) return [];
  const joined = text.replace(/\\\n/g, " ");
  const out = [];
  for (const v of vars) {
    const m = new RegExp(`^${v}\\s*=\\s*(.*)$`, "m").exec(joined);
    if (m) for (const w of m[1].matchAll(/[\w.-]+\.(h|defs)\b/g)) out.push(w[0]);
  }
  return [...new Set(out)].sort();
}

// ------------------------------------------------------------ symbol sets

class SymbolSet {
  constructor() {
    this.map = new Map();
  }
  add(name, arch) {
    if (!this.map.has(name)) this.map.set(name, new Set());
    this.map.get(name).add(TARGET[arch]);
  }
  addAll(name) {
    for (const a of ARCHS) this.add(name, a);
  }
  has(name) {
    return this.map.has(name);
  }
  count(arch) {
    let n = 0;
    for (const ts of this.map.values()) if (ts.has(TARGET[arch])) n++;
    return n;
  }
}

/** Names the headers at `paths` promise, per arch. */
function fromHeaders(repo, paths, set, extraMacros = {}) {
  repo.prefetch(paths);
  for (const path of paths) {
    const text = repo.read(path);
    if (text === undefined) continue;
    for (const arch of ARCHS) {
      for (const fs of FEATURE_SETS) {
        const { code, renames } = preprocess(text, { ...targetMacros(arch), ...fs, ...extraMacros });
        for (const d of declarations(code)) {
          // resolv.h-style renames: `#define res_init res_9_init`.
          const r = renames.get(d.name);
          const decl = r && !d.asm && !d.macro ? { ...d, name: r } : d;
          for (const n of exportedNames(decl, arch)) set.add(n, arch);
        }
      }
    }
  }
}

/** Every identifier in the source files matching each `[repo, RegExp]` (what those sources define or use). */
function identifiers(specs) {
  const out = new Set();
  for (const [repo, re] of specs) {
    const paths = repo.match(re);
    repo.prefetch(paths);
    for (const p of paths) for (const m of repo.read(p).matchAll(/[A-Za-z_]\w*/g)) out.add(m[0].replace(/^_+/, ""));
  }
  return out;
}

/** xnu: the syscall stubs libsyscall builds and their per-arch aliases (create-syscalls.pl's rules). */
function fromSyscalls(xnu, set) {
  const master = xnu.read("bsd/kern/syscalls.master");
  if (!master) return;
  const syms = new Map(); // c name → asm symbol
  let skip = 0;
  for (const raw of master.split("\n")) {
    const line = raw.trimEnd();
    if (/^#\s*endif/.test(line)) {
      skip = 0;
      continue;
    }
    if (/^#\s*else/.test(line)) {
      skip = -skip;
      continue;
    }
    if (/^#\s*ifndef\s+RC_HIDE\S+$/.test(line)) skip = 1;
    const m = /^#\s*if\s+(\S+)$/.exec(line);
    if (m) {
      skip = m[1] === "COMPAT_GETFSSTAT" ? -1 : 1;
      continue;
    }
    if (skip < 0 || !/^\d/.test(line)) continue;
    const body = line.replace(/^[^{]*\{\s*/, "").replace(/\s*\}.*$/, "");
    const noStub = /\)\s*NO_SYSCALL_STUB\s*;/.test(body);
    const d = /\s(\S+)\s*\(/.exec(body);
    if (!d) continue;
    let name = d[1];
    if (/e?nosys/.test(name)) continue;
    name = name.replace(/^sys_/, "");
    syms.set(name, noStub ? `___${name}` : `_${name}`);
  }
  syms.set("syscall", "_syscall");
  // Custom stubs (custom/__NAME.s) make ___NAME, aliased to _NAME.
  for (const [name, asm] of syms) {
    if (xnu.has(`libsyscall/custom/__${name}.s`) && asm === `_${name}`) {
      for (const a of ARCHS) set.add(`___${name}`, a);
    }
  }
  for (const asm of syms.values()) set.addAll(asm);
  for (const arch of ARCHS) {
    for (const p of ["libsyscall/Platforms/syscall.map", `libsyscall/Platforms/MacOSX/${arch}/syscall.map`]) {
      for (const line of (xnu.read(p) ?? "").split("\n")) {
        if (line.startsWith("#")) continue;
        const [alias, target] = line.trim().split(/\s+/);
        if (alias && target) set.add(alias, arch);
      }
    }
  }
}

/** xnu: the MIG user routines libsyscall compiles (mach_install_mig.sh's MIGS; mach_vm.defs is public on macOS). */
function fromMig(xnu, set) {
  const script = xnu.read("libsyscall/xcodescripts/mach_install_mig.sh") ?? "";
  const m = /^MIGS="([^"]*)"/m.exec(script);
  const defs = m ? m[1].split(/\s+/).filter(Boolean) : [];
  if (/MIGS="\$MIGS mach_vm\.defs"/.test(script)) defs.push("mach_vm.defs");
  for (const d of defs.sort()) {
    const text = xnu.read(`osfmk/mach/${d}`);
    if (!text) continue;
    const { code } = preprocess(text, { __LP64__: 1 });
    let prefix = "";
    for (const st of code.split(";")) {
      const s = st.replace(/\s+/g, " ").trim();
      const up = /^userprefix\s+(\w+)$/.exec(s);
      if (up) prefix = up[1];
      // `routine PREFIX(mach_vm_allocate)(...)`: the name inside a renaming macro is the interface's.
      const r = /^(?:simpleroutine|routine)\s+((?:[A-Z_]+\s*\(\s*)*)(\w+)/.exec(s);
      if (r) set.addAll(`_${prefix}${r[2]}`);
    }
  }
}

function fromAliasFiles(repo, paths, set) {
  for (const p of paths) {
    for (const line of (repo.read(p) ?? "").split("\n")) {
      if (/^\s*(#|$)/.test(line)) continue;
      const [sym, alias] = line.trim().split(/\s+/);
      if (!alias) continue;
      // ObjC class names the blocks runtime aliases are not C-callable; the alias names are.
      if (!sym.startsWith("_OBJC_")) set.addAll(sym);
      set.addAll(alias);
    }
  }
}

/** Libm's export list (Intel): names without the PowerPC-era `$fenv_access_off` variants. */
function fromLibmExports(libm, set) {
  for (const p of ["Exports/libm_Intel.a.exp", "Exports/libmathCommonIntel.exp"]) {
    for (const line of (libm.read(p) ?? "").split("\n")) {
      const n = line.trim();
      if (!n || n.startsWith("#") || n.includes("$")) continue;
      set.addAll(n);
    }
  }
}

/** extra-symbols.txt: `name targets repo:path`; the name is checked to occur in the cited file when it is present. */
function fromExtras(repos, set, errors, file) {
  const text = readFileSync(file, "utf8");
  const cited = new Set();
  for (const line of text.split("\n")) {
    if (/^\s*(#|$)/.test(line)) continue;
    const [name, targets, source] = line.trim().split(/\s+/);
    const [repoName, path] = source.split(":");
    const repo = repos.get(repoName);
    if (repo) {
      const body = repo.read(path);
      const bare = name.replace(/^_/, "");
      if (body === undefined) errors.push(`${basename(file)}: ${name}: ${source} does not exist`);
      else if (!body.includes(bare)) errors.push(`${basename(file)}: ${name}: not found in ${source}`);
    } else cited.add(`${repoName}:${path}`);
    const archs = targets === "all" ? ARCHS : targets.split(",");
    for (const a of archs) set.add(name, a);
  }
  return [...cited].sort();
}

// ------------------------------------------------------------ main

export function generate({ src, goroot, out, extras = join(here, "extra-symbols.txt") }) {
  const repos = new Map();
  for (const spec of REPOS) {
    const r = new SourceRepo(src, spec);
    repos.set(spec.repo, r);
  }
  const R = (n) => repos.get(`apple-oss-distributions/${n}`);
  const errors = [];
  const counts = {};

  // libSystem
  const sys = new SymbolSet();
  const part = (label, fn) => {
    const before = new Map(ARCHS.map((a) => [a, sys.count(a)]));
    const t0 = Date.now();
    fn();
    if (process.env.GEN_SDK_TIMING) console.error(`${label}: ${Date.now() - t0} ms`);
    counts[label] = Object.fromEntries(ARCHS.map((a) => [a, sys.count(a) - before.get(a)]));
  };
  for (const [repoName, pick] of Object.entries(HEADERS)) {
    const repo = repos.get(repoName);
    if (repoName === "apple-oss-distributions/xnu") continue;
    part(`${repoName} headers`, () => fromHeaders(repo, pick(repo), sys));
  }
  const kernel = new SymbolSet();
  fromSyscalls(R("xnu"), kernel);
  fromMig(R("xnu"), kernel);
  // xnu's installed headers also declare kernel programming interfaces (sys/buf.h, sys/vnode.h,
  // sys/dtrace.h, ...) that no user library exports: a name from them is kept only when the
  // user-space sources define it (libsyscall, Libc, Libinfo) or it is a syscall stub or MIG routine.
  part("xnu (syscalls, MIG routines, headers)", () => {
    const declared = new SymbolSet();
    fromHeaders(R("xnu"), HEADERS["apple-oss-distributions/xnu"](R("xnu")), declared);
    const defined = identifiers([
      [R("xnu"), /^libsyscall\/.*\.(c|s|S|cpp)$/],
      [R("Libc"), /^(?!tests\/).*\.(c|s|S|cpp)$/],
      [R("Libinfo"), /^.*\.(c|s)$/],
    ]);
    for (const n of kernel.map.keys()) defined.add(n.replace(/^_+/, "").replace(/\$.*$/, ""));
    for (const [n, ts] of declared.map) {
      const base = n.replace(/^_+/, "").replace(/\$.*$/, "");
      if (!defined.has(base)) continue;
      for (const t of ts)
        sys.add(
          n,
          ARCHS.find((a) => TARGET[a] === t),
        );
    }
    for (const [n, ts] of kernel.map)
      for (const t of ts)
        sys.add(
          n,
          ARCHS.find((a) => TARGET[a] === t),
        );
  });
  for (const [repoName, paths] of Object.entries(ALIAS_FILES))
    part(`${repoName} aliases`, () => fromAliasFiles(repos.get(repoName), paths, sys));
  part("Libm exports", () => fromLibmExports(R("Libm"), sys));
  let citedOnly = [];
  part("extra-symbols.txt", () => {
    citedOnly = fromExtras(repos, sys, errors, extras);
  });
  // Libsystem's own list of what it re-exports (for the comment).
  const required = (R("Libsystem").read("requiredlibs") ?? "").split(/\s+/).filter((x) => x && !x.includes("_sim_"));

  // Go's imports.
  let go;
  if (goroot) {
    go = goDarwinImports(goroot);
    part(`Go ${go.version} imports`, () => {
      for (const n of go.names.libSystem) sys.addAll(n);
    });
  }
  // Names no 64-bit macOS library has: the i386-only $UNIX2003 and kernel-internal spellings.
  for (const n of [...sys.map.keys()]) if (n.includes("$UNIX2003") || n.includes("$XNU_INTERNAL")) sys.map.delete(n);

  // libresolv
  const resolv = new SymbolSet();
  fromHeaders(
    R("libresolv"),
    ["resolv.h", "dns.h", "dns_util.h"].filter((p) => R("libresolv").has(p)),
    resolv,
  );

  // Frameworks
  const cf = new SymbolSet();
  fromHeaders(
    R("CF"),
    R("CF")
      .match(/^CF[A-Za-z]*\.h$/)
      .filter(
        (p) =>
          !/Priv|Internal|_|Abstract|Runtime|Logging|ICU|Storage|BurstTrie|BasicHash|BigNumber|EncodingConverter|Database|Unicode|StringDefaultEncoding|LogUtilities/.test(
            p,
          ),
      ),
    cf,
  );
  const sec = new SymbolSet();
  const secHeaders = [
    "base/SecBase.h",
    "base/SecRandom.h",
    "trust/headers/SecCertificate.h",
    "trust/headers/SecPolicy.h",
    "trust/headers/SecTrust.h",
    "trust/headers/SecTrustSettings.h",
    "keychain/headers/SecAccessControl.h",
    "keychain/headers/SecIdentity.h",
    "keychain/headers/SecImportExport.h",
    "keychain/headers/SecItem.h",
    "keychain/headers/SecKey.h",
    "sectask/SecTask.h",
    "CMS/CMSDecoder.h",
    "CMS/CMSEncoder.h",
    "OSX/libsecurity_codesigning/lib/SecCode.h",
    "OSX/libsecurity_codesigning/lib/SecRequirement.h",
    "OSX/libsecurity_codesigning/lib/SecStaticCode.h",
    "OSX/libsecurity_keychain/lib/SecKeychain.h",
    "OSX/libsecurity_keychain/lib/SecCertificateOIDs.h",
    "OSX/libsecurity_authorization/lib/Authorization.h",
    "OSX/libsecurity_ssl/lib/SecureTransport.h",
    "OSX/libsecurity_transform/lib/SecTransform.h",
  ];
  fromHeaders(R("Security"), secHeaders, sec);
  const iokit = new SymbolSet();
  fromHeaders(
    R("IOKitUser"),
    [
      "IOKitLib.h",
      "IOCFPlugIn.h",
      "IOCFSerialize.h",
      "IOCFUnserialize.h",
      "IODataQueueClient.h",
      "IOCFBundle.h",
      "IOCFURLAccess.h",
      "pwr_mgt.subproj/IOPMLib.h",
      "ps.subproj/IOPowerSources.h",
      "hid.subproj/IOHIDManager.h",
      "hid.subproj/IOHIDDevice.h",
    ],
    iokit,
  );
  if (go) {
    for (const n of go.names.CoreFoundation) cf.addAll(n);
    for (const n of go.names.Security) sec.addAll(n);
  }

  if (errors.length) throw new Error(errors.join("\n"));

  const files = {
    "libSystem.tbd": writeTbd({
      installName: "/usr/lib/libSystem.B.dylib",
      currentVersion: "1311.100.3",
      compatibilityVersion: "1",
      targets: TARGETS,
      symbols: sys.map,
      comment: [
        "libSystem.tbd: tsld's built-in stub for macOS's libSystem.B.dylib, linked when no SDK",
        "provides libSystem (and for -lc, -lm, -lpthread, -ldl, which are libSystem on macOS).",
        `It flattens what libSystem re-exports (${required.map((x) => `lib${x}`).join(", ")})`,
        "into one list. Generated by tools/sdk/gen-sdk.mjs from Apple's open-source Libc, xnu",
        "(syscalls.master, libsyscall, MIG interfaces), libpthread, libplatform, libmalloc,",
        "libdispatch, libclosure, libunwind, Libinfo, dyld and Libm, plus the runtime entry points",
        "in tools/sdk/extra-symbols.txt and Go's darwin imports; data/sdk-sources.json records",
        "every repository, commit and path read. Per-target lists follow the headers: x86_64",
        "has the $INODE64 and $1050 variants, arm64 has neither; no 64-bit target has $UNIX2003.",
        "Regenerate, do not edit.",
      ],
    }),
    "libresolv.tbd": writeTbd({
      installName: "/usr/lib/libresolv.9.dylib",
      currentVersion: "1",
      compatibilityVersion: "1",
      targets: TARGETS,
      symbols: resolv.map,
      comment: [
        "libresolv.tbd: tsld's built-in stub for macOS's libresolv.9.dylib (-lresolv), from",
        "libresolv's public headers. Generated by tools/sdk/gen-sdk.mjs; regenerate, do not edit.",
      ],
    }),
    "CoreFoundation.tbd": writeTbd({
      installName: "/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation",
      currentVersion: "1775.118.101",
      targets: TARGETS,
      symbols: cf.map,
      comment: [
        "CoreFoundation.tbd: tsld's built-in stub for -framework CoreFoundation, from the public",
        "headers of Apple's CF and the names Go's standard library imports. Generated by",
        "tools/sdk/gen-sdk.mjs; regenerate, do not edit.",
      ],
    }),
    "Security.tbd": writeTbd({
      installName: "/System/Library/Frameworks/Security.framework/Versions/A/Security",
      currentVersion: "59754.100.106",
      targets: TARGETS,
      symbols: sec.map,
      comment: [
        "Security.tbd: tsld's built-in stub for -framework Security, from the public headers of",
        "Apple's Security and the names Go's standard library imports. Generated by",
        "tools/sdk/gen-sdk.mjs; regenerate, do not edit.",
      ],
    }),
    "IOKit.tbd": writeTbd({
      installName: "/System/Library/Frameworks/IOKit.framework/Versions/A/IOKit",
      currentVersion: "275",
      targets: TARGETS,
      symbols: iokit.map,
      comment: [
        "IOKit.tbd: tsld's built-in stub for -framework IOKit, from the public headers of Apple's",
        "IOKitUser. Generated by tools/sdk/gen-sdk.mjs; regenerate, do not edit.",
      ],
    }),
  };
  const sources = {
    generator: "tools/sdk/gen-sdk.mjs",
    repositories: REPOS.map((s) => ({
      repo: s.repo,
      tag: s.tag,
      commit: s.commit,
      paths: repos.get(s.repo).readPaths(),
    })),
    citedNotRead: citedOnly,
    go: go ? { version: go.version, paths: go.paths } : null,
    counts: {
      "libSystem.tbd": Object.fromEntries(ARCHS.map((a) => [TARGET[a], sys.count(a)])),
      "libSystem.tbd by source (names first added)": counts,
      "libresolv.tbd": Object.fromEntries(ARCHS.map((a) => [TARGET[a], resolv.count(a)])),
      "CoreFoundation.tbd": Object.fromEntries(ARCHS.map((a) => [TARGET[a], cf.count(a)])),
      "Security.tbd": Object.fromEntries(ARCHS.map((a) => [TARGET[a], sec.count(a)])),
      "IOKit.tbd": Object.fromEntries(ARCHS.map((a) => [TARGET[a], iokit.count(a)])),
    },
  };
  files["sdk-sources.json"] = `${JSON.stringify(sources, null, 2)}\n`;
  if (out) {
    mkdirSync(out, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(out, name), text);
  }
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      src: { type: "string" },
      goroot: { type: "string" },
      out: { type: "string" },
      extras: { type: "string" },
    },
  });
  if (!values.src) {
    console.error("usage: gen-sdk.mjs --src DIR [--goroot GOROOT] [--out DIR]");
    process.exit(2);
  }
  const out = values.out ?? join(here, "../../packages/objfile/data");
  try {
    const files = generate({ src: values.src, goroot: values.goroot, out, extras: values.extras });
    const c = JSON.parse(files["sdk-sources.json"]).counts;
    for (const [k, v] of Object.entries(c)) if (!k.includes("by source")) console.log(`${k}: ${JSON.stringify(v)}`);
  } catch (e) {
    console.error(`gen-sdk: ${e.message}`);
    process.exit(1);
  }
}
