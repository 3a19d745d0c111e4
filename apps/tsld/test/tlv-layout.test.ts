/**
 * The TLV template: `__thread_data` then `__thread_bss`, one block that
 * dyld copies into each thread's storage. Both sections take the strictest
 * alignment of the template's variables (from every object), so the block
 * starts on that boundary; each `__thread_vars` descriptor's offset is its
 * variable's distance from the block's start. Checked against ld64.lld-19
 * (descriptor offsets, section alignment) and at run time: each pthread
 * prints its variables' addresses modulo their alignment and their initial
 * values, in an executable, with -dead_strip, and from a dylib.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { linkWithLld } from "@tsld/fixtures";
import { S_THREAD_LOCAL_REGULAR, S_THREAD_LOCAL_ZEROFILL, parseMachO, readU64 } from "@tsld/macho-format";
import { describe, expect, it } from "vitest";
import { compileC, linkBoth, runMachO, tmp, tsld } from "./helpers.js";
import { nmSymbols } from "./plugin-helpers.js";

/** First object: initialised and zero-filled variables of 4-, 16-, 32- and 64-byte alignment. */
const TLV_A = `_Thread_local int small_init = 5;
_Thread_local _Alignas(16) char vec16[16];
_Thread_local _Alignas(64) char wide_zero[64];
_Thread_local _Alignas(32) long wide_init[4] = {1, 2, 3, 4};
_Thread_local int unused_a = 99; /* referenced by nobody: -dead_strip drops it */
`;
/** Second object: the strictest alignment (128) comes from here. */
const TLV_B = `_Thread_local short other_init = 7;
_Thread_local long other_zero;
_Thread_local _Alignas(128) char big_zero[8];
`;

/** Per-thread report: misalignments (0 when every variable keeps its alignment), initial values, privacy. */
const REPORT = `#include <stdint.h>
#include <stdio.h>
extern _Thread_local int small_init;
extern _Thread_local char vec16[16];
extern _Thread_local char wide_zero[64];
extern _Thread_local long wide_init[4];
extern _Thread_local short other_init;
extern _Thread_local long other_zero;
extern _Thread_local char big_zero[8];
int tlv_report(long n, char *buf, int len) {
  unsigned mis = (uintptr_t)&small_init % 4 | (uintptr_t)vec16 % 16 | (uintptr_t)wide_zero % 64 |
                 (uintptr_t)wide_init % 32 | (uintptr_t)&other_init % 2 | (uintptr_t)&other_zero % 8 |
                 (uintptr_t)big_zero % 128;
  int v = small_init + vec16[3] + wide_zero[63] + (int)(wide_init[0] + wide_init[3]) + other_init +
          (int)other_zero + big_zero[7];
  small_init += n; vec16[3] = 1; wide_zero[63] = 2; wide_init[3] += n; other_init += n; other_zero = n; big_zero[7] = 3;
  return snprintf(buf, len, "mis=%u init=%d after=%d", mis, v, small_init + (int)wide_init[3] + other_init);
}
`;

const MAIN = `#include <pthread.h>
#include <stdio.h>
int tlv_report(long n, char *buf, int len);
static char out[3][128];
static void *worker(void *arg) { long n = (long)arg; tlv_report(n, out[n], sizeof out[n]); return 0; }
int main(void) {
  pthread_t t1, t2;
  pthread_create(&t1, 0, worker, (void *)1);
  pthread_join(t1, 0);
  pthread_create(&t2, 0, worker, (void *)2);
  pthread_join(t2, 0);
  worker((void *)0);
  for (int i = 0; i < 3; i++) printf("t%d: %s\\n", i, out[i]);
  return 0;
}
`;
const WANT = "t0: mis=0 init=17 after=16\nt1: mis=0 init=17 after=19\nt2: mis=0 init=17 after=22\n";

interface TlvLayout {
  /** descriptor offset by variable name */
  offsets: Record<string, number>;
  /** alignment (bytes) of each TLV template section, by name */
  align: Record<string, number>;
  /** the template's start modulo its strictest alignment */
  startMisalign: number;
}

/** Reads each `__thread_vars` descriptor's template offset and the TLV sections' alignment. */
function tlvLayout(image: string): TlvLayout {
  const buf = new Uint8Array(readFileSync(image));
  const m = parseMachO(buf);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const vars = m.sections.find((s) => s.sectname === "__thread_vars")!;
  const tmpl = m.sections.filter((s) => {
    const t = s.flags & 0xff;
    return t === S_THREAD_LOCAL_REGULAR || t === S_THREAD_LOCAL_ZEROFILL;
  });
  const align: Record<string, number> = {};
  for (const s of tmpl) align[s.sectname] = 2 ** s.align;
  const start = Math.min(...tmpl.map((s) => s.addr));
  const offsets: Record<string, number> = {};
  for (const { addr, name } of nmSymbols(image)) {
    if (addr < vars.addr || addr >= vars.addr + vars.size || name.includes("$")) continue;
    offsets[name] = readU64(view, vars.offset + (addr - vars.addr) + 16);
  }
  return { offsets, align, startMisalign: start % Math.max(...Object.values(align)) };
}

describe("TLV template layout", () => {
  for (const deadStrip of [false, true]) {
    it(`executable${deadStrip ? " with -dead_strip" : ""}: descriptor offsets and template alignment as lld's, aligned per thread`, async () => {
      const objs = [
        compileC(TLV_A, { name: "tlv-align-a" }),
        compileC(TLV_B, { name: "tlv-align-b" }),
        compileC(REPORT, { name: "tlv-align-report" }),
        compileC(MAIN, { name: "tlv-align-main" }),
      ];
      const flags = deadStrip ? ["-dead_strip"] : [];
      const { ours, theirs } = await linkBoth(tmp("tsld-tlv-layout-"), "tlv", objs, flags, flags);
      const want = tlvLayout(theirs);
      const got = tlvLayout(ours);
      expect(want.offsets._big_zero! % 128).toBe(0);
      expect(got.offsets).toEqual(want.offsets);
      expect(got.align).toEqual({ __thread_data: 128, __thread_bss: 128 });
      expect(got.startMisalign).toBe(0);
      expect("_unused_a" in got.offsets).toBe(!deadStrip);
      for (const [name, al] of Object.entries({ _vec16: 16, _wide_zero: 64, _wide_init: 32, _big_zero: 128 }))
        expect(got.offsets[name]! % al, name).toBe(0);
      const lld = runMachO(theirs);
      expect(lld.stdout).toBe(WANT);
      const r = runMachO(ours);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(WANT);
      expect(r.status).toBe(0);
    });
  }

  it("dylib: its own template is aligned the same way, used from the host's threads", async () => {
    const dir = tmp("tsld-tlv-dylib-");
    const lib = [
      compileC(TLV_A, { name: "tlv-align-a" }),
      compileC(TLV_B, { name: "tlv-align-b" }),
      compileC(REPORT, { name: "tlv-align-report" }),
    ];
    const main = compileC(MAIN, { name: "tlv-align-main" });
    const ours = join(dir, "libtlv.dylib");
    const theirs = join(dir, "libtlv.lld.dylib");
    const r = await tsld(["-buildmode=c-shared", "-install_name", ours, "-o", ours, ...lib]);
    expect(r.stderr).toBe("");
    linkWithLld(lib, theirs, ["-dylib", "-install_name", theirs]);
    const want = tlvLayout(theirs);
    const got = tlvLayout(ours);
    expect(got.offsets).toEqual(want.offsets);
    expect(got.align).toEqual(want.align);
    expect(got.startMisalign).toBe(0);
    const exe = join(dir, "main");
    const e = await tsld(["-o", exe, main, ours]);
    expect(e.stderr).toBe("");
    const run = runMachO(exe);
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe(WANT);
    expect(run.status).toBe(0);
  });
});
