// Thread-local variables (one copy per thread) and static constructors (run
// in order, before main), in images linked by tsld and lld alike.
import { spawnSync } from "node:child_process";
import { requireTool } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { compileC, linkBoth, runMachO, tmp } from "./helpers.js";

describe("thread-locals and constructors", () => {
  it("gives each pthread its own _Thread_local copies", async () => {
    const a = compileC(
      `#include <pthread.h>
#include <stdio.h>
_Thread_local long tv = 5;
_Thread_local long tz;
extern _Thread_local int other_tls;
static void *worker(void *arg) {
  long n = (long)arg;
  for (int i = 0; i < 1000; i++) { tv += n; tz += 1; other_tls += 2; }
  return (void *)(tv * 100000 + tz * 10 + other_tls);
}
int main(void) {
  pthread_t t1, t2;
  void *r1, *r2;
  pthread_create(&t1, 0, worker, (void *)1);
  pthread_create(&t2, 0, worker, (void *)3);
  pthread_join(t1, &r1);
  pthread_join(t2, &r2);
  printf("t1=%ld t2=%ld main: tv=%ld tz=%ld other=%d\\n", (long)r1, (long)r2, tv, tz, other_tls);
  return 0;
}`,
      { name: "tlv-main" },
    );
    const b = compileC(`_Thread_local int other_tls = 7;`, { name: "tlv-other" });
    const { ours, theirs } = await linkBoth(tmp(), "tlv", [a, b]);
    const want = runMachO(theirs);
    expect(want.stdout).toBe("t1=100512007 t2=300512007 main: tv=5 tz=0 other=7\n");
    const got = runMachO(ours);
    expect(got.stderr).toBe(want.stderr);
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
    const hdr = spawnSync(requireTool("llvm-objdump-19"), ["--macho", "--private-header", ours], { encoding: "utf8" });
    expect(hdr.stderr).toBe("");
    expect(hdr.stdout).toMatch(/HAS_TLV_DESCRIPTORS/);
    const sects = spawnSync(requireTool("llvm-objdump-19"), ["--macho", "--section-headers", ours], {
      encoding: "utf8",
    }).stdout;
    expect(sects).toMatch(/__thread_vars/);
    expect(sects).toMatch(/__thread_data/);
    expect(sects).toMatch(/__thread_bss/);
  });

  it("runs constructors in input order before main, destructors after", async () => {
    const a = compileC(
      `#include <stdio.h>
#include <stdlib.h>
__attribute__((constructor)) static void a1(void) { puts("ctor a1"); }
__attribute__((constructor)) static void a2(void) { puts("ctor a2"); }
__attribute__((destructor)) static void ad(void) { puts("dtor a"); }
static void bye(void) { puts("atexit"); }
int main(void) { atexit(bye); puts("main"); return 3; }`,
      { name: "ctor-a" },
    );
    const b = compileC(
      `#include <stdio.h>
__attribute__((constructor)) static void b1(void) { puts("ctor b1"); }`,
      { name: "ctor-b" },
    );
    const { ours, theirs } = await linkBoth(tmp(), "ctors", [a, b]);
    const want = runMachO(theirs);
    expect(want.stdout.startsWith("ctor a1\nctor a2\nctor b1\nmain\n")).toBe(true);
    expect(want.status).toBe(3);
    const got = runMachO(ours);
    expect(got.stdout).toBe(want.stdout);
    expect(got.stderr).toBe(want.stderr);
    expect(got.status).toBe(3);
    // reversed input order reverses the constructors
    const r = await linkBoth(tmp(), "ctors-rev", [b, a]);
    const rev = runMachO(r.ours);
    expect(rev.stdout.startsWith("ctor b1\nctor a1\nctor a2\nmain\n")).toBe(true);
    expect(rev.stdout).toBe(runMachO(r.theirs).stdout);
  });
});
