// Byte check: links a fixed set of end-to-end programs with a built tsld CLI,
// with chained fixups and ad-hoc signing each off and on, and prints (or
// compares) the sha256 of every output. A refactoring that must not change
// output runs it with main's build and with its own and diffs the manifests.
//
// Usage (from the repository root):
//   tools/bench/node_modules/.bin/tsx tools/bench/src/byte-check.ts \
//       [--tsld apps/tsld/bin/tsld.cjs] [--out manifest.json] [--against old.json] [--run]
// --run also runs each executable under tools/macho-exec (exit status and stdout hash recorded).
// Exit status 1 if --against is given and any output differs.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildDebianProgram, compileC, debianProgram, libSystemTbdDir, makeArchive, repoRoot } from "@tsld/fixtures";

interface Args {
  tsld: string;
  out?: string;
  against?: string;
  run: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { tsld: join(repoRoot(), "apps", "tsld", "bin", "tsld.cjs"), run: false };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i];
    if (s === "--") continue;
    if (s === "--tsld") a.tsld = resolve(argv[++i]!);
    else if (s === "--out") a.out = resolve(argv[++i]!);
    else if (s === "--against") a.against = resolve(argv[++i]!);
    else if (s === "--run") a.run = true;
    else throw new Error(`byte-check: unknown argument ${s}`);
  }
  return a;
}

/** One link: a name, flags and inputs; links run in list order (a dylib before its users). */
interface Link {
  name: string;
  flags: (dir: string) => string[];
  inputs: string[];
  exe?: boolean;
  chainable?: boolean;
}

const BOUNDS = `#include <stdint.h>
extern char m_text[] __asm__("runtime.text");
extern char m_etext[] __asm__("runtime.etext");
extern char m_data[] __asm__("runtime.data");
extern char m_edata[] __asm__("runtime.edata");
extern char m_bss[] __asm__("runtime.bss");
extern char m_ebss[] __asm__("runtime.ebss");
uintptr_t bounds_sum(void) { return (uintptr_t)m_etext - (uintptr_t)m_text + (uintptr_t)m_edata - (uintptr_t)m_data + (uintptr_t)m_ebss - (uintptr_t)m_bss; }
`;

function programs(): Link[] {
  const hello = compileC(`#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n`, { name: "bc-hello" });
  const helloG = compileC(
    `#include <stdio.h>\nstatic int sq(int x) { return x * x; }\nint main(int c, char **v) { printf("%d\\n", sq(c)); return 0; }\n`,
    { name: "bc-hello-g", g: true },
  );
  const a1 = compileC(`int lib_one(int x) { return x + 1; }\n`, { name: "bc-a1" });
  const a2 = compileC(`extern int lib_one(int); int lib_two(int x) { return lib_one(x) * 2; }\n`, {
    name: "bc-a2",
  });
  const a3 = compileC(`int lib_unused(void) { return 3; }\n`, { name: "bc-a3" });
  const ar = makeArchive([a1, a2, a3], { name: "bc-lib" });
  const arMain = compileC(
    `#include <stdio.h>\nextern int lib_two(int);\nint main(void) { printf("%d\\n", lib_two(20)); return 0; }\n`,
    { name: "bc-ar-main" },
  );
  const tlv = compileC(
    `#include <stdio.h>
#include <stdlib.h>
extern int abs(int) __attribute__((weak_import));
__attribute__((weak)) int wf(void) { return 1; }
int (*volatile pick)(void) = wf;
_Thread_local int tl = 3;
_Thread_local int tz;
static int order;
__attribute__((constructor)) static void early(void) { order = 7; }
__attribute__((destructor)) static void late(void) { puts("late"); }
static void bye(void) { puts("bye"); }
const char *volatile far = "abcdefghijklmnopqrstuvwxyz" + 300 - 290;
int (*volatile imp)(const char *) = puts;
int main(int argc, char **argv) {
  atexit(bye);
  tz += 2;
  printf("%d %d %d %d %d %c\\n", pick(), tl, tz, order, abs(-argc), far[0]);
  imp("through an import pointer");
  return argc - 1;
}
`,
    { name: "bc-tlv" },
  );
  const weakLib = compileC(
    `#include <stdio.h>
__attribute__((weak)) int shared_weak(void) { return 5; }
int counter = 40;
int *counter_ptr = &counter;
int bump(void) { return ++*counter_ptr + shared_weak(); }
void say(const char *s) { printf("lib says %s\\n", s); }
`,
    { name: "bc-dylib" },
  );
  const dylibMain = compileC(
    `extern int bump(void); extern void say(const char *); extern int counter;
__attribute__((weak)) int shared_weak(void) { return 6; }
int *volatile cp = &counter;
int main(void) { say("hi"); return bump() + *cp == 88 ? 0 : 1; }
`,
    { name: "bc-dylib-main" },
  );
  const plugin = compileC(
    `${BOUNDS}
extern int host_callback(int);
int plugin_data = 7;
static int plugin_zero;
int plugin_func(int x) { plugin_zero += x; return host_callback(x) + plugin_data; }
`,
    { name: "bc-plugin" },
  );
  const host = compileC(
    `${BOUNDS}
#include <dlfcn.h>
#include <stdio.h>
void *plugin_open(const char *path) __asm__("plugin.Open");
void *plugin_open(const char *path) { return dlopen(path, RTLD_NOW); }
int host_data = 42;
int host_callback(int x) { return 3 * x + host_data; }
int main(int argc, char **argv) {
  void *h = plugin_open(argc > 1 ? argv[1] : "bc-plugin.so");
  if (!h) { puts("no plugin"); return 0; }
  int (*f)(int) = (int (*)(int))dlsym(h, "plugin_func");
  printf("%d %d\\n", f ? f(2) : -1, bounds_sum() != 0);
  return 0;
}
`,
    { name: "bc-host" },
  );
  const lib = libSystemTbdDir();
  const sys = ["-L", lib];
  const links: Link[] = [
    { name: "hello", flags: () => sys, inputs: [hello], exe: true, chainable: true },
    { name: "hello-nopie", flags: () => [...sys, "-no_pie"], inputs: [hello], exe: true },
    { name: "hello-g", flags: () => sys, inputs: [helloG], exe: true, chainable: true },
    { name: "hello-s-w", flags: () => [...sys, "-s", "-w"], inputs: [helloG], exe: true, chainable: true },
    { name: "archive", flags: () => sys, inputs: [arMain, ar], exe: true, chainable: true },
    {
      name: "archive-deadstrip",
      flags: () => [...sys, "-dead_strip"],
      inputs: [arMain, ar],
      exe: true,
      chainable: true,
    },
    { name: "tlv-ctors-weak", flags: () => sys, inputs: [tlv], exe: true, chainable: true },
    {
      name: "libbc.dylib",
      flags: () => [...sys, "-buildmode=c-shared", "-install_name", "@rpath/libbc.dylib"],
      inputs: [weakLib],
      chainable: true,
    },
    {
      name: "dylib-main",
      flags: (dir) => [...sys, "-rpath", "@loader_path", join(dir, "libbc.dylib")],
      inputs: [dylibMain],
      exe: true,
      chainable: true,
    },
    { name: "plugin-host", flags: () => sys, inputs: [host], exe: true, chainable: true },
    {
      name: "plugin-host-bind-at-load",
      flags: () => [...sys, "-bind_at_load"],
      inputs: [host],
      exe: true,
      chainable: true,
    },
    {
      name: "bc-plugin.so",
      flags: (dir) => [...sys, "-buildmode=plugin", "-bundle_loader", join(dir, "plugin-host")],
      inputs: [plugin],
      chainable: true,
    },
  ];
  for (const [pkg, prog] of [
    ["zlib", "minigzip"],
    ["zlib", "example"],
    ["bzip2", "bzip2"],
    ["sqlite3", "sqlite3"],
  ] as const) {
    const b = buildDebianProgram(pkg);
    const p = debianProgram(b, prog);
    links.push({
      name: `${pkg}-${prog}`,
      flags: () => sys,
      inputs: [...p.objects, ...b.libObjects],
      exe: true,
      chainable: true,
    });
  }
  return links;
}

const MODES: { name: string; flags: string[]; chained: boolean }[] = [
  { name: "opcodes", flags: ["-no_fixup_chains"], chained: false },
  { name: "opcodes+sign", flags: ["-no_fixup_chains", "-adhoc_codesign"], chained: false },
  { name: "chained", flags: ["-fixup_chains"], chained: true },
  { name: "chained+sign", flags: ["-fixup_chains", "-adhoc_codesign"], chained: true },
];

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

function main(): number {
  const args = parseArgs(process.argv.slice(2));
  const links = programs();
  const manifest: Record<string, string> = {};
  // A fixed directory: a dylib without -install_name is named by its output path, which must not vary.
  const root = join(tmpdir(), "tsld-byte-check");
  let machoRun: string | undefined;
  if (args.run) {
    const b = spawnSync("bash", [join(repoRoot(), "tools", "macho-exec", "build.sh")], { encoding: "utf8" });
    machoRun = b.stdout.trim().split("\n").pop();
  }
  for (const mode of MODES) {
    // Same directory name for every run: the signature's identifier is the output's file name.
    const dir = join(root, mode.name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const l of links) {
      if (mode.chained && l.chainable !== true) continue;
      const out = join(dir, l.name);
      const r = spawnSync(process.execPath, [args.tsld, "-o", out, ...mode.flags, ...l.flags(dir), ...l.inputs], {
        encoding: "utf8",
        cwd: dir,
      });
      const key = `${mode.name}/${l.name}`;
      if (r.status !== 0) {
        manifest[key] = `FAILED ${r.status}: ${r.stderr.trim().split("\n")[0]}`;
      } else {
        manifest[key] = sha(readFileSync(out));
      }
      process.stdout.write(`${manifest[key]}  ${key}\n`);
    }
    // Run after every link of the mode (the plugin host dlopens the plugin).
    for (const l of links) {
      const key = `${mode.name}/${l.name}`;
      if (machoRun === undefined || l.exe !== true || manifest[key]?.startsWith("FAILED") !== false) continue;
      const x = spawnSync(machoRun, [join(dir, l.name), join(dir, "bc-plugin.so")], { cwd: dir });
      manifest[`${key} (run)`] = `status ${x.status} stdout ${sha(x.stdout).slice(0, 16)}`;
    }
  }
  if (args.out !== undefined) writeFileSync(args.out, `${JSON.stringify(manifest, null, 2)}\n`);
  if (args.against === undefined) return 0;
  const old = JSON.parse(readFileSync(args.against, "utf8")) as Record<string, string>;
  let diff = 0;
  for (const k of new Set([...Object.keys(old), ...Object.keys(manifest)])) {
    if (old[k] !== manifest[k]) {
      diff++;
      process.stdout.write(`DIFFERS ${k}: ${old[k] ?? "(absent)"} -> ${manifest[k] ?? "(absent)"}\n`);
    }
  }
  process.stdout.write(
    diff === 0
      ? `byte-check: all ${Object.keys(manifest).length} entries identical\n`
      : `byte-check: ${diff} entries differ\n`,
  );
  return diff === 0 ? 0 : 1;
}

process.exitCode = main();
