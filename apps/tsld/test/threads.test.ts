// Worker threads (-threads N, ld64.tsld's --threads=N): parsing the input
// objects (and the archive members pulled together), relocation and copy,
// the DWARF merge, the LC_UUID hash and the signature's page hashes run in
// items over a pool of workers, into shared output buffers (the parses are
// merged into the symbol table in command-line order on the main thread). The output is byte-identical
// whatever the thread count (x86_64 and arm64; dyld-info and chained fixups;
// signed and not), the time trace has a row per worker, a worker that cannot
// start leaves the link to the main thread (same bytes, no message), and a
// small link starts no worker at all.
//
// The inputs: two objects of 144 blocks each, a function and a 64 KiB data
// atom per block (18 MiB, above the 16 MiB a link needs before it starts
// workers), the atoms chained by pointers across both objects. main walks
// the chain, calling each block's function: the exit status is the sum of
// the block numbers, mod 256.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { libSystemTbdDir, makeArchive } from "@tsld/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/index.js";
import { mainObject } from "./fuzz/inputs.js";
import { assemble, bytes, compileC, runMachO, tmp, tsld } from "./helpers.js";

const BLOCKS = 288;
const HALF = BLOCKS / 2;
/** 0 + 1 + … + 287, mod 256. */
const STATUS = ((BLOCKS * (BLOCKS - 1)) / 2) % 256;

/** The end of either arch's source: data blocks first..end-1, 64 KiB each (`_f`i's address, then the next block's). */
function withDataBlocks(lines: string[], first: number, end: number): string {
  lines.push(".section __DATA,__data");
  for (let i = first; i < end; i++)
    lines.push(
      `.globl _d${i}`,
      ".p2align 4",
      `_d${i}:`,
      `  .quad _f${i}`,
      `  .quad _d${(i + 1) % BLOCKS}`,
      `  .fill 65520, 1, ${i & 0xff}`,
    );
  lines.push(".subsections_via_symbols", "");
  return lines.join("\n");
}

function x86Source(first: number, end: number): string {
  const lines = [".section __TEXT,__text,regular,pure_instructions"];
  if (first === 0)
    lines.push(
      ".globl _main",
      ".p2align 4",
      "_main:",
      "  pushq %rbx",
      "  pushq %r12",
      "  pushq %r13",
      "  leaq _d0(%rip), %rbx",
      "  xorl %r12d, %r12d",
      `  movl $${BLOCKS}, %r13d`,
      "1:",
      "  callq *(%rbx)",
      "  addl %eax, %r12d",
      "  movq 8(%rbx), %rbx",
      "  decl %r13d",
      "  jnz 1b",
      "  movzbl %r12b, %eax",
      "  popq %r13",
      "  popq %r12",
      "  popq %rbx",
      "  retq",
    );
  for (let i = first; i < end; i++)
    lines.push(`.globl _f${i}`, `_f${i}:`, `  leaq _d${i}(%rip), %rcx`, `  movl $${i}, %eax`, "  retq");
  return withDataBlocks(lines, first, end);
}

function arm64Source(first: number, end: number): string {
  const lines = [".section __TEXT,__text,regular,pure_instructions"];
  if (first === 0)
    lines.push(
      ".globl _main",
      ".p2align 2",
      "_main:",
      "  stp x29, x30, [sp, #-48]!",
      "  stp x19, x20, [sp, #16]",
      "  str x21, [sp, #32]",
      "  adrp x19, _d0@PAGE",
      "  add x19, x19, _d0@PAGEOFF",
      "  mov w20, #0",
      `  mov w21, #${BLOCKS}`,
      "1:",
      "  ldr x8, [x19]",
      "  blr x8",
      "  add w20, w20, w0",
      "  ldr x19, [x19, #8]",
      "  subs w21, w21, #1",
      "  b.ne 1b",
      "  and w0, w20, #0xff",
      "  ldr x21, [sp, #32]",
      "  ldp x19, x20, [sp, #16]",
      "  ldp x29, x30, [sp], #48",
      "  ret",
    );
  for (let i = first; i < end; i++)
    lines.push(
      `.globl _f${i}`,
      ".p2align 2",
      `_f${i}:`,
      `  adrp x9, _d${i}@PAGE`,
      `  add x9, x9, _d${i}@PAGEOFF`,
      `  mov w0, #${i}`,
      "  ret",
    );
  return withDataBlocks(lines, first, end);
}

const objects = (arch: "x86_64" | "arm64"): string[] => {
  const src = arch === "x86_64" ? x86Source : arm64Source;
  return [
    assemble(src(0, HALF), { arch, name: `threads-${arch}-a` }),
    assemble(src(HALF, BLOCKS), { arch, name: `threads-${arch}-b` }),
  ];
};

/** Two small -g C objects to link beside the blocks: the DWARF merge's items (two halves per object). */
const debugObjects = (arch: "x86_64" | "arm64"): string[] =>
  [0, 1].map((i) =>
    compileC(
      [
        `static int local${i}(int x) { return x * ${i + 3}; }`,
        `int twice${i}(int x) { return 2 * local${i}(x) + ${i}; }`,
        `int sum${i}(const int *v, int n) { int s = 0; for (int k = 0; k < n; k++) s += twice${i}(v[k]); return s; }`,
        "",
      ].join("\n"),
      { name: `threads-dwarf-${i}`, arch, g: true, O: "1" },
    ),
  );

interface TraceEvent {
  ph: string;
  name: string;
  tid: number;
  args?: { detail?: string; name?: string };
}

async function link(
  arch: "x86_64" | "arm64",
  threads: number,
  flags: string[],
  inputs: string[] = objects(arch),
): Promise<{ out: string; bytes: Buffer; trace: TraceEvent[]; stderr: string }> {
  const out = join(tmp(), "prog");
  const trace = ["-time_trace", "-time_trace_granularity", "0"];
  const args = ["-arch", arch, "-threads", String(threads), "-v", ...trace, ...flags, "-o", out, ...inputs];
  const r = await tsld(args, { suiteFlags: false });
  expect(r.status, r.stderr).toBe(0);
  const events = (JSON.parse(readFileSync(`${out}.time-trace`, "utf8")) as { traceEvents: TraceEvent[] }).traceEvents;
  return { out, bytes: bytes(out), trace: events, stderr: r.stderr };
}

const workerRows = (trace: TraceEvent[], name: string): number[] => [
  ...new Set(trace.filter((e) => e.ph === "X" && e.name === name && e.tid > 0).map((e) => e.tid)),
];

describe("-threads", () => {
  // Every worker up before the first job, so each takes items (without it a fast link may finish first).
  beforeAll(() => {
    process.env.TSLD_WORKERS_WAIT = "1";
  });
  afterAll(() => {
    delete process.env.TSLD_WORKERS_WAIT;
  });

  for (const flags of [
    ["-no_fixup_chains", "-no_adhoc_codesign"],
    ["-fixup_chains", "-adhoc_codesign"],
  ]) {
    it(`x86_64 ${flags.join(" ")}: 1, 2 and 3 threads write the same bytes, and the program runs`, async () => {
      const one = await link("x86_64", 1, flags);
      expect(one.stderr).toMatch(/threads: 1 \(18\.\d MiB of objects\)/);
      expect(runMachO(one.out).status).toBe(STATUS);
      const two = await link("x86_64", 2, flags);
      expect(two.stderr).toContain("threads: 2 (the main thread and 1 worker;");
      expect(two.bytes.equals(one.bytes)).toBe(true);
      // The worker's items are in the trace, on a row of its own.
      expect(workerRows(two.trace, "relocate")).toEqual([1]);
      const three = await link("x86_64", 3, flags);
      expect(three.stderr).toContain("threads: 3 (the main thread and 2 workers;");
      expect(three.bytes.equals(one.bytes)).toBe(true);
      expect(runMachO(three.out).status).toBe(STATUS);
    });
  }

  it("the hashes run in workers too: LC_UUID's chunks and, signed, the page hashes", async () => {
    const two = await link("x86_64", 2, ["-adhoc_codesign"]);
    expect(two.trace.some((e) => e.name === "uuidHash" && e.ph === "X")).toBe(true);
    expect(two.trace.some((e) => e.name === "pageHash" && e.ph === "X")).toBe(true);
    // Worker rows hold task items only (the "Total" rows come after them).
    const names = new Set(
      two.trace.filter((e) => e.ph === "X" && e.tid > 0 && !e.name.startsWith("Total ")).map((e) => e.name),
    );
    expect([...names].every((n) => ["parseObject", "relocate", "uuidHash", "pageHash"].includes(n))).toBe(true);
    const meta = two.trace.find((e) => e.ph === "M" && e.name === "thread_name" && e.tid === 1) as
      | (TraceEvent & { args?: { name: string } })
      | undefined;
    expect(meta?.args?.name).toBe("worker 1");
  });

  it("the DWARF merge runs in workers too: the same bytes as one thread's, __DWARF verifies", async () => {
    // The objects' halves are items: with -threads 2 the worker takes one or more (its row in the trace).
    const dbg = debugObjects("x86_64");
    const one = await link("x86_64", 1, dbg);
    const two = await link("x86_64", 2, dbg);
    expect(workerRows(two.trace, "dwarfMerge")).toEqual([1]);
    expect(two.bytes.equals(one.bytes)).toBe(true);
    // tsld() checked each image with llvm-dwarfdump-19 --verify; the merged units are there.
    const dump = spawnSync("llvm-dwarfdump-19", ["--debug-info", two.out], { encoding: "utf8" }).stdout;
    for (const f of ["twice0", "sum0", "twice1", "sum1"]) expect(dump).toContain(`DW_AT_name\t("${f}")`);
    expect(runMachO(two.out).status).toBe(STATUS);
  });

  it("objects are parsed on the workers and merged in command-line order: the same bytes as one thread", async () => {
    const one = await link("x86_64", 1, []);
    expect(one.trace.filter((e) => e.ph === "X" && e.name === "parseObject")).toEqual([]);
    for (const threads of [2, 3]) {
      const many = await link("x86_64", threads, []);
      // TSLD_WORKERS_WAIT: every worker claims before the main thread takes an object, so the workers
      // parse the first (one of them may take both objects, leaving the other none).
      const rows = workerRows(many.trace, "parseObject");
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((t) => t >= 1 && t < threads)).toBe(true);
      const parsed = many.trace.filter((e) => e.ph === "X" && e.name === "parseObject").map((e) => e.args?.detail);
      expect(parsed.sort()).toEqual(objects("x86_64").sort());
      expect(many.bytes.equals(one.bytes)).toBe(true);
    }
  });

  it("archive members pulled together are parsed on the workers: the same bytes as one thread", async () => {
    const lib = makeArchive(objects("x86_64"), { name: "threads-lib" });
    // Both members wanted before the archive is read: they are pulled together, one wave of two.
    const inputs = ["-exported_symbol", "_main", "-exported_symbol", `_f${HALF}`, lib];
    const one = await link("x86_64", 1, [], inputs);
    expect(runMachO(one.out).status).toBe(STATUS);
    const two = await link("x86_64", 2, [], inputs);
    expect(workerRows(two.trace, "parseObject")).toEqual([1]);
    expect(two.bytes.equals(one.bytes)).toBe(true);
  });

  it("a bad object parsed on a worker is reported as one thread reports it (file, symbol, section)", async () => {
    const dir = tmp();
    const far = mainObject();
    new DataView(far.buffer).setBigUint64(32 + 72 + 32, 0xc2000000000000n, true); // __text addr
    const huge = mainObject([], [], [{ name: "_huge", type: 0x1, sect: 0, value: 0x9800000000 }]);
    const farPath = join(dir, "far.o");
    const hugePath = join(dir, "huge.o");
    writeFileSync(farPath, far);
    writeFileSync(hugePath, huge);
    const run = async (threads: number) => {
      const out = join(tmp(), "bad");
      const args = ["-arch", "x86_64", "-threads", String(threads), "-time_trace", "-time_trace_granularity", "0"];
      const r = await tsld([...args, "-o", out, farPath, hugePath, ...objects("x86_64")], { suiteFlags: false });
      expect(r.status).toBe(1);
      return r.stderr;
    };
    const one = await run(1);
    expect(one).toMatch(/far\.o: symbol _main at 0x0 lies outside __TEXT,__text/);
    expect(one).toMatch(/huge\.o: common symbol _huge is 0x9800000000 bytes \(over 4 GiB\)/);
    // Three threads: the workers claim the first two objects (the bad ones) before the main thread takes any.
    expect(await run(3)).toBe(one);
  });

  for (const flags of [[], ["-no_fixup_chains"]]) {
    it(`arm64 ${flags.join(" ") || "(chained, signed)"}: 1 and 2 threads write the same bytes`, async () => {
      const one = await link("arm64", 1, flags);
      const two = await link("arm64", 2, flags);
      expect(workerRows(two.trace, "relocate")).toEqual([1]);
      expect(two.bytes.equals(one.bytes)).toBe(true);
    });
  }

  it("a worker that cannot start leaves its share to the main thread: same bytes, no message", async () => {
    const dir = tmp();
    const failing = join(dir, "failing-worker.mjs");
    writeFileSync(failing, 'throw new Error("this worker does not start");\n');
    const one = await link("x86_64", 1, ["-adhoc_codesign"]);
    for (const entry of [failing, join(dir, "missing-worker.mjs")]) {
      process.env.TSLD_WORKER_ENTRY = entry;
      delete process.env.TSLD_WORKERS_WAIT;
      try {
        const two = await link("x86_64", 2, ["-adhoc_codesign"]);
        expect(two.stderr).not.toMatch(/error|Error|at /);
        expect(two.bytes.equals(one.bytes)).toBe(true);
        expect(workerRows(two.trace, "relocate")).toEqual([]);
      } finally {
        delete process.env.TSLD_WORKER_ENTRY;
        process.env.TSLD_WORKERS_WAIT = "1";
      }
    }
  });

  it("a small link starts no worker", async () => {
    const out = join(tmp(), "small");
    const small = assemble(".globl _main\n_main:\n  xorl %eax, %eax\n  retq\n", {
      name: "threads-small",
      arch: "x86_64",
    });
    const r = await tsld(["-threads", "4", "-v", "-o", out, small]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/threads: 1 of 4 \(0\.0 MiB of objects: below 16 MiB, no workers\)/);
  });

  it("a thread count is a positive integer (tsld -threads, ld64.tsld --threads=)", async () => {
    const obj = objects("x86_64")[0]!;
    for (const bad of ["0", "x", "-1", "1.5"]) {
      const r = await tsld(["-threads", bad, "-o", join(tmp(), "p"), obj]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`-threads: expected a positive integer, but got '${bad}'`);
    }
    let stderr = "";
    const st = await main(
      ["-arch", "x86_64", "-platform_version", "macos", "11.0", "11.0", "--threads=zero", "-o", join(tmp(), "p"), obj],
      { stdout: () => {}, stderr: (s) => (stderr += s) },
      "ld64",
    );
    expect(st).toBe(1);
    expect(stderr).toContain("--threads=: expected a positive integer, but got 'zero'");
  });

  it("ld64.tsld takes lld's --threads=N", async () => {
    const out = join(tmp(), "ld64");
    let stderr = "";
    const st = await main(
      [
        "-arch",
        "x86_64",
        "-platform_version",
        "macos",
        "11.0",
        "11.0",
        "-L",
        libSystemTbdDir(),
        "-lSystem",
        "--threads=2",
        "--time-trace",
        "--time-trace-granularity=0",
        "-o",
        out,
        ...objects("x86_64"),
      ],
      { stdout: () => {}, stderr: (s) => (stderr += s) },
      "ld64",
    );
    expect(st, stderr).toBe(0);
    const trace = (JSON.parse(readFileSync(`${out}.time-trace`, "utf8")) as { traceEvents: TraceEvent[] }).traceEvents;
    expect(workerRows(trace, "relocate")).toEqual([1]);
    expect(runMachO(out).status).toBe(STATUS);
  });
});
