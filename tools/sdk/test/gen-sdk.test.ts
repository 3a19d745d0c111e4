// tools/sdk/gen-sdk.mjs over a tiny fixture source tree (no network, no
// mirrors): what it reads from each kind of source, the per-target symbol
// variants it derives from the headers' macros, and that the same sources
// give the same bytes. Then the committed SDK against Go's own imports.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs tool without types
import { goDarwinImports } from "../gen-go-darwin-imports.mjs";
// @ts-expect-error: a plain .mjs tool without types
import { REPOS, generate } from "../gen-sdk.mjs";

const FILES: Record<string, string> = {
  "apple-oss-distributions+Libc/include/_stdio.h": `
#include <sys/cdefs.h>
__BEGIN_DECLS
extern FILE *__stdinp __swift_nonisolated_unsafe;
extern FILE *__stderrp;
FILE	*fopen(const char * __restrict __filename, const char * __restrict __mode) __DARWIN_ALIAS_STARTING(__MAC_10_6, __IPHONE_3_2, __DARWIN_EXTSN(fopen));
int	 fputs(const char * __restrict, FILE * __restrict) __DARWIN_ALIAS(fputs);
int	 printf(const char * __restrict, ...) __printflike(1, 2);
__END_DECLS
`,
  "apple-oss-distributions+Libc/include/dirent.h": `
#if !__DARWIN_ONLY_64_BIT_INO_T
int getdirentries(int, char *, int, long *) __DARWIN_ALIAS_I(getdirentries);
#endif
DIR *opendir(const char *) __DARWIN_ALIAS_I(opendir);
void (*signal(int, void (*)(int)))(int);
extern int opterr, optind;
static inline int not_exported(void) { return 0; }
`,
  "apple-oss-distributions+Libc/include/unistd.h": `
ssize_t	 read(int, void *, size_t) __DARWIN_ALIAS_C(read);
int	 select(int, fd_set *, fd_set *, fd_set *, struct timeval *) __DARWIN_1050(select);
`,
  "apple-oss-distributions+xnu/bsd/kern/syscalls.master": `
1	AUE_EXIT	ALL	{ void exit(int rval) NO_SYSCALL_STUB; }
3	AUE_NULL	ALL	{ user_ssize_t read(int fd, user_addr_t cbuf, user_size_t nbyte); }
338	AUE_STAT64	ALL	{ int stat64(user_addr_t path, user_addr_t ub); }
#if COMPAT_GETFSSTAT
18	AUE_GETFSSTAT	ALL	{ int ogetfsstat(user_addr_t buf, int bufsize, int flags); }
#else
18	AUE_GETFSSTAT	ALL	{ int getfsstat(user_addr_t buf, int bufsize, int flags); }
#endif
`,
  "apple-oss-distributions+xnu/libsyscall/Platforms/syscall.map": "_exit\t___exit\n",
  "apple-oss-distributions+xnu/libsyscall/Platforms/MacOSX/x86_64/syscall.map": "_stat$INODE64\t___stat64\n",
  "apple-oss-distributions+xnu/libsyscall/Platforms/MacOSX/arm64/syscall.map": "_stat\t___stat64\n",
  "apple-oss-distributions+xnu/libsyscall/xcodescripts/mach_install_mig.sh": 'MIGS="task.defs"\n',
  "apple-oss-distributions+xnu/osfmk/mach/task.defs": `
#ifdef KERNEL_SERVER
routine task_threads_from_user(target_task : task_t);
#else
routine task_threads(target_task : task_inspect_t);
#endif
routine PREFIX(KERNEL_SERVER_SUFFIX(task_info))(target_task : task_name_t);
skip;
`,
  "apple-oss-distributions+Libm/Exports/libm_Intel.a.exp": "#libm.a(sin.o):\n_sin\n_sin$fenv_access_off\n",
  "apple-oss-distributions+libdispatch/xcodeconfig/libdispatch.aliases":
    "# <symbol> <alias>\n_dispatch_async _dispatch_channel_async\n",
  "apple-oss-distributions+libdispatch/dispatch/queue.h": `
DISPATCH_EXPORT DISPATCH_NONNULL_ALL DISPATCH_NOTHROW
void dispatch_async(dispatch_queue_t queue, dispatch_block_t block);
DISPATCH_EXPORT struct dispatch_queue_s _dispatch_main_q;
`,
  "apple-oss-distributions+libresolv/resolv.h": "#define res_init res_9_init\nint res_init(void);\n",
  "apple-oss-distributions+IOKitUser/IOKitLib.h":
    "extern const mach_port_t kIOMainPortDefault;\nkern_return_t IOObjectRelease(io_object_t object);\n",
  "goroot/VERSION": "go1.19.8\n",
  "goroot/src/runtime/sys_darwin.go":
    '//go:cgo_import_dynamic libc_pthread_create pthread_create "/usr/lib/libSystem.B.dylib"\n' +
    '//go:cgo_import_dynamic libc_CFRelease CFRelease "/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation"\n',
  "apple-oss-distributions+Libc/sys/OpenBSD/stack_protector.c": "void __stack_chk_fail(void) { abort(); }\n",
  "extras.txt":
    "# name targets source\n___stack_chk_fail all apple-oss-distributions/Libc:sys/OpenBSD/stack_protector.c\n___powixf2 x86_64 llvm/llvm-project:compiler-rt/lib/builtins/powixf2.c\n",
};

function fixture(): string {
  const root = mkdtempSync(join(tmpdir(), "gen-sdk-src-"));
  for (const { repo } of REPOS as { repo: string }[])
    mkdirSync(join(root, repo.replace("/", "+")), { recursive: true });
  for (const [p, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

function symbols(tbd: string, target: string): Set<string> {
  const out = new Set<string>();
  for (const m of tbd.matchAll(/- targets:\s*\[([^\]]*)\]\s*\n\s*symbols:\s*\[([^\]]*)\]/g))
    if (m[1]!.split(",").some((t) => t.trim() === target))
      for (const s of m[2]!.split(",")) if (s.trim()) out.add(s.trim().replace(/^'(.*)'$/, "$1"));
  return out;
}

describe("gen-sdk.mjs", () => {
  const src = fixture();
  const gen = (): Record<string, string> =>
    generate({ src, goroot: join(src, "goroot"), extras: join(src, "extras.txt") }) as Record<string, string>;
  const files = gen();
  const x86 = symbols(files["libSystem.tbd"]!, "x86_64-macos");
  const arm = symbols(files["libSystem.tbd"]!, "arm64-macos");

  it("is deterministic: the same sources give the same bytes", () => {
    const again = gen();
    expect(Object.keys(again).sort()).toEqual(Object.keys(files).sort());
    for (const k of Object.keys(files)) expect(again[k], k).toBe(files[k]);
    // Wherever the source tree is: nothing in the output names it.
    for (const k of Object.keys(files)) expect(files[k]!.includes(src), k).toBe(false);
  });

  it("derives each target's symbol variants from the headers' macros", () => {
    const both = (n: string) => [n, x86.has(n), arm.has(n)];
    expect(both("_opendir$INODE64")).toEqual(["_opendir$INODE64", true, false]);
    expect(both("_opendir")).toEqual(["_opendir", true, true]);
    expect(both("_getdirentries")).toEqual(["_getdirentries", true, false]);
    expect(both("_select$1050")).toEqual(["_select$1050", true, false]);
    expect(both("_fopen$DARWIN_EXTSN")).toEqual(["_fopen$DARWIN_EXTSN", true, true]);
    expect(both("_read$NOCANCEL")).toEqual(["_read$NOCANCEL", true, true]);
    expect(both("_fputs")).toEqual(["_fputs", true, true]);
    expect([...x86, ...arm].filter((n) => n.includes("$UNIX2003"))).toEqual([]);
    for (const n of ["___stdinp", "___stderrp", "_printf", "_signal", "_opterr", "_optind"])
      expect(arm.has(n), n).toBe(true);
    expect(x86.has("_not_exported")).toBe(false);
  });

  it("reads syscalls.master, per-arch syscall maps, MIG interfaces, export and alias lists, extras and Go's imports", () => {
    for (const n of ["_read", "___exit", "_exit", "_stat64", "_getfsstat", "_task_threads", "_task_info", "_sin"])
      expect(arm.has(n) && x86.has(n), n).toBe(true);
    expect(x86.has("_ogetfsstat") || x86.has("_task_threads_from_user") || x86.has("_sin$fenv_access_off")).toBe(false);
    expect([x86.has("_stat$INODE64"), arm.has("_stat$INODE64"), arm.has("_stat")]).toEqual([true, false, true]);
    expect(arm.has("_dispatch_async") && arm.has("_dispatch_channel_async") && arm.has("__dispatch_main_q")).toBe(true);
    expect([x86.has("___powixf2"), arm.has("___powixf2"), arm.has("___stack_chk_fail")]).toEqual([true, false, true]);
    expect(arm.has("_pthread_create")).toBe(true);
    expect(symbols(files["CoreFoundation.tbd"]!, "arm64-macos")).toEqual(new Set(["_CFRelease"]));
    expect(symbols(files["libresolv.tbd"]!, "x86_64-macos")).toEqual(new Set(["_res_9_init"]));
    expect(symbols(files["IOKit.tbd"]!, "x86_64-macos")).toEqual(new Set(["_IOObjectRelease", "_kIOMainPortDefault"]));
  });

  it("records every repository, commit and path it read", () => {
    const s = JSON.parse(files["sdk-sources.json"]!);
    const libc = s.repositories.find((r: { repo: string }) => r.repo === "apple-oss-distributions/Libc");
    expect(libc.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(libc.paths).toEqual([
      "include/_stdio.h",
      "include/dirent.h",
      "include/unistd.h",
      "sys/OpenBSD/stack_protector.c",
    ]);
    expect(s.citedNotRead).toEqual(["llvm/llvm-project:compiler-rt/lib/builtins/powixf2.c"]);
    expect(s.go).toEqual({ version: "go1.19.8", paths: ["src/runtime/sys_darwin.go"] });
  });

  it("rejects an extra symbol its cited source does not define", () => {
    const bad = join(src, "bad-extras.txt");
    writeFileSync(bad, "_no_such_function all apple-oss-distributions/Libc:include/_stdio.h\n");
    expect(() => generate({ src, extras: bad })).toThrow(/_no_such_function: not found in/);
  });
});

describe("the committed built-in SDK", () => {
  const data = join(__dirname, "../../../packages/objfile/data");

  it("has every name Go 1.19's darwin standard library imports", () => {
    let goroot: string;
    try {
      goroot = execFileSync("go", ["env", "GOROOT"], { encoding: "utf8" }).trim();
    } catch {
      return expect.fail("go (Debian golang-go) is needed for this test");
    }
    const { names } = goDarwinImports(goroot) as { names: Record<string, Set<string>> };
    for (const lib of ["libSystem", "CoreFoundation", "Security"]) {
      const have = new Set([
        ...symbols(readFileSync(join(data, `${lib}.tbd`), "utf8"), "x86_64-macos"),
        ...symbols(readFileSync(join(data, `${lib}.tbd`), "utf8"), "arm64-macos"),
      ]);
      expect(names[lib]!.size, lib).toBeGreaterThan(10);
      expect(
        [...names[lib]!].filter((n) => !have.has(n)),
        lib,
      ).toEqual([]);
    }
  });

  it("names its sources: each repository pinned to a tag and commit, with the paths read", () => {
    const s = JSON.parse(readFileSync(join(data, "sdk-sources.json"), "utf8"));
    expect(s.repositories.length).toBe((REPOS as unknown[]).length);
    for (const r of s.repositories) {
      expect(r.commit, r.repo).toMatch(/^[0-9a-f]{40}$/);
      expect(r.paths.length, r.repo).toBeGreaterThan(0);
    }
    const xnu = s.repositories.find((r: { repo: string }) => r.repo === "apple-oss-distributions/xnu");
    expect(xnu.paths).toContain("bsd/kern/syscalls.master");
  });
});
