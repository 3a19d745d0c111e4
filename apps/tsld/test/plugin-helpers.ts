/**
 * Shared pieces for the dylib / plugin / buildmode tests: the seed's
 * host-and-plugin scenario in C, and llvm-objdump / llvm-nm wrappers that
 * fail (never skip) when the tools are missing.
 */
import { spawnSync } from "node:child_process";
import { run, requireTool } from "@tsld/fixtures";

export function objdump(args: string[]): string {
  return run(requireTool("llvm-objdump-19"), args);
}

/** Runs llvm-objdump-19 and also returns its stderr (warnings). */
export function objdumpWithStderr(args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(requireTool("llvm-objdump-19"), args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`llvm-objdump-19 ${args.join(" ")} failed:\n${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

export function nm(args: string[]): string {
  return run(requireTool("llvm-nm-19"), args);
}

/** `llvm-nm -n`-style rows: address, type letter, name. */
export function nmSymbols(path: string): { addr: number; type: string; name: string }[] {
  return nm(["--defined-only", "-n", path])
    .split("\n")
    .filter((l) => /^[0-9a-f]{16} /.test(l))
    .map((l) => {
      const [a, t, ...n] = l.split(" ");
      return { addr: Number.parseInt(a!, 16), type: t!, name: n.join(" ") };
    });
}

/** The Mach-O header flags line of `--private-header`, split into names. */
export function headerFlags(path: string): { filetype: string; flags: string[] } {
  const out = objdump(["--macho", "--private-header", path]);
  const line = out.split("\n").find((l) => /MH_MAGIC_64/.test(l))!;
  const cols = line.trim().split(/\s+/);
  // MH_MAGIC_64 X86_64 ALL 0x00 FILETYPE ncmds sizeofcmds FLAGS...
  return { filetype: cols[4]!, flags: cols.slice(7) };
}

/** Module bounds, as Go's moduledata records them from the markers. */
const BOUNDS = `#include <stdint.h>
struct bounds { uintptr_t text, etext, data, edata, bss, ebss; uintptr_t fn, var, zvar; };
extern char m_text[] __asm__("runtime.text");
extern char m_etext[] __asm__("runtime.etext");
extern char m_data[] __asm__("runtime.data");
extern char m_edata[] __asm__("runtime.edata");
extern char m_bss[] __asm__("runtime.bss");
extern char m_ebss[] __asm__("runtime.ebss");
#define FILL(b, F, V, Z) do { \\
  (b)->text = (uintptr_t)m_text; (b)->etext = (uintptr_t)m_etext; \\
  (b)->data = (uintptr_t)m_data; (b)->edata = (uintptr_t)m_edata; \\
  (b)->bss = (uintptr_t)m_bss; (b)->ebss = (uintptr_t)m_ebss; \\
  (b)->fn = (uintptr_t)(F); (b)->var = (uintptr_t)(V); (b)->zvar = (uintptr_t)(Z); } while (0)
`;

/** The plugin: records its own bounds and calls back into the host. */
export const PLUGIN_C = `${BOUNDS}
extern int host_callback(int);
int plugin_data = 7;
static int plugin_zero;
int plugin_func(int x) { plugin_zero += x; return host_callback(x) + plugin_data; }
void plugin_bounds(struct bounds *b) { FILL(b, plugin_func, &plugin_data, &plugin_zero); }
`;

/** The host: records its bounds, dlopens the plugin and checks both modules. */
export const HOST_C = `${BOUNDS}
#include <dlfcn.h>
#include <stdio.h>
/* Go's package plugin: defining plugin.Open makes this a plugin host (Go's CanUsePlugins). */
void *plugin_open(const char *path) __asm__("plugin.Open");
void *plugin_open(const char *path) { return dlopen(path, RTLD_NOW); }
int host_data = 42;
static int host_zero;
int host_callback(int x) { host_zero += x; return 3 * x + host_data; }
void host_bounds(struct bounds *b) { FILL(b, host_callback, &host_data, &host_zero); }

static int bad;
static void check(int ok, const char *what) { if (!ok) { printf("FAIL %s\\n", what); bad = 1; } }
static int in(uintptr_t p, uintptr_t lo, uintptr_t hi) { return lo <= p && p < hi; }
static int disjoint(uintptr_t a, uintptr_t ea, uintptr_t b, uintptr_t eb) { return ea <= b || eb <= a; }
static void contains_own(const char *who, struct bounds *b) {
  char w[64];
  snprintf(w, sizeof w, "%s text contains its code", who); check(in(b->fn, b->text, b->etext), w);
  snprintf(w, sizeof w, "%s data contains its data", who); check(in(b->var, b->data, b->edata), w);
  snprintf(w, sizeof w, "%s bss contains its bss", who); check(in(b->zvar, b->bss, b->ebss), w);
}

int main(int argc, char **argv) {
  if (argc < 2) { printf("usage: host plugin\\n"); return 2; }
  void *h = plugin_open(argv[1]);
  if (!h) { printf("dlopen: %s\\n", dlerror()); return 3; }
  void (*pb)(struct bounds *) = (void (*)(struct bounds *))dlsym(h, "plugin_bounds");
  int (*pf)(int) = (int (*)(int))dlsym(h, "plugin_func");
  if (!pb || !pf) { printf("dlsym: %s\\n", dlerror()); return 4; }
  struct bounds hb, pbd;
  host_bounds(&hb);
  pb(&pbd);
  printf("host   text %lx-%lx data %lx-%lx bss %lx-%lx\\n", hb.text, hb.etext, hb.data, hb.edata, hb.bss, hb.ebss);
  printf("plugin text %lx-%lx data %lx-%lx bss %lx-%lx\\n", pbd.text, pbd.etext, pbd.data, pbd.edata, pbd.bss, pbd.ebss);
  contains_own("host", &hb);
  contains_own("plugin", &pbd);
  check(disjoint(hb.text, hb.etext, pbd.text, pbd.etext), "text ranges disjoint");
  check(disjoint(hb.data, hb.edata, pbd.data, pbd.edata), "data ranges disjoint");
  check(disjoint(hb.bss, hb.ebss, pbd.bss, pbd.ebss), "bss ranges disjoint");
  int r = pf(5);
  printf("plugin_func(5) = %d\\n", r);
  check(r == 3 * 5 + 42 + 7, "plugin calls back into host");
  void *pt = dlsym(h, "runtime.text");
  check(pt != 0 && (uintptr_t)pt == pbd.text, "dlsym(plugin, runtime.text) is the plugin's marker");
  void *mt = dlsym(dlopen(0, 0), "runtime.text");
  check(mt != 0 && (uintptr_t)mt == hb.text, "dlsym(main, runtime.text) is the host's marker");
  if (bad) return 1;
  printf("OK\\n");
  return 0;
}
`;
