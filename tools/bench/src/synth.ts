// Synthetic link workloads: N objects x M functions, generated directly as
// x86_64 or arm64 assembly (in the style of clang -O1 output) and assembled with
// llvm-mc-19 (about 20x faster than compiling equivalent C with clang-19 on
// this machine), `jobs` processes in parallel, cached by content hash under
// .cache/bench/synth/. The -g variant is `llvm-mc -g`: DWARF for the assembly
// source (compile unit, one DW_TAG_label per symbol, a full line table).
//
// Each object i defines M functions _f<i>_<j> (with CFI, so compact unwind),
// M data globals _g<i>_<j>, a zero-fill buffer, a table of M function pointers
// and a table of M cstring pointers (rebases; some pointers into other
// objects) and M cstrings plus one cstring shared by every object (dedup).
// Function _f<i>_<j> loads a global of an earlier object through the GOT,
// calls a function of an earlier object (branch relocation), and calls
// libSystem (puts, memset) through stubs. Object 0 holds `_main`. The arm64
// objects have the same symbols, data and references in arm64's forms
// (ADRP+LDR GOT loads, ADRP+ADD addresses, BL calls; BRANCH26, PAGE21,
// PAGEOFF12 and GOT_LOAD relocations).
//
// References only point at objects with a lower index (or the object itself),
// so the first K objects of any workload with the same M form a closed,
// linkable workload: the 200x500 and 400x500 sets are prefixes of 800x500 and
// share its cached objects.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { hashParts, requireTool, toolVersion } from "@tsld/fixtures";
import { benchCacheDir } from "./paths.js";

export const GENERATOR_VERSION = "synth-v1";
export type SynthArch = "x86_64" | "arm64";
const TRIPLES: Record<SynthArch, string> = { x86_64: "x86_64-apple-macos11", arm64: "arm64-apple-macos11" };

export interface SynthSpec {
  /** Number of objects. */
  objects: number;
  /** Functions per object. */
  functions: number;
  /** Compile with -g. */
  g?: boolean;
  /** The objects' arch (default x86_64). */
  arch?: SynthArch;
}

export interface SynthWorkload {
  spec: SynthSpec;
  objects: string[];
  /** Sum of the objects' sizes in bytes. */
  inputBytes: number;
  /** Seconds spent compiling objects missing from the cache. */
  generateSeconds: number;
  /** Objects compiled in this call (0 when all were cached). */
  compiled: number;
}

/** Deterministic small hash of (i, j, salt) for picking reference targets. */
function mix(i: number, j: number, salt: number): number {
  let h = (i * 0x9e3779b1) ^ (j * 0x85ebca6b) ^ (salt * 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The object (index <= i) that reference `salt` of function j of object i points into. */
function target(i: number, j: number, salt: number): number {
  if (i === 0) return 0;
  // Mostly the previous object or two, sometimes anything earlier.
  const r = mix(i, j, salt);
  if (r % 4 === 0) return r % i;
  return Math.max(0, i - 1 - (r % 2));
}

/** Assembly source (llvm-mc syntax, clang -O1 style) of object `i` with `m` functions. */
export function synthSource(i: number, m: number): string {
  const o: string[] = [];
  o.push(`## ${GENERATOR_VERSION}: object ${i}, ${m} functions`);
  o.push("\t.section\t__TEXT,__text,regular,pure_instructions", "\t.build_version macos, 11, 0");
  const fn = (name: string, lines: string[]): void => {
    o.push(`\t.globl\t${name}`, "\t.p2align\t4, 0x90", `${name}:`, "\t.cfi_startproc");
    o.push("\tpushq\t%rbp", "\t.cfi_def_cfa_offset 16", "\t.cfi_offset %rbp, -16", "\tmovq\t%rsp, %rbp");
    o.push("\t.cfi_def_cfa_register %rbp", ...lines, "\t.cfi_endproc");
  };
  for (let j = 0; j < m; j++) {
    const ci = target(i, j, 1);
    const cj = mix(i, j, 2) % m;
    const gi = target(i, j, 3);
    const gj = mix(i, j, 4) % m;
    // No self-recursion inside one object's call chain order: call an earlier function or another object.
    const callee = ci === i && cj >= j ? (j === 0 ? "_puts" : `_f${i}_${j - 1}`) : `_f${ci}_${cj}`;
    fn(`_f${i}_${j}`, [
      "\tpushq\t%rbx",
      "\tpushq\t%rax",
      "\t.cfi_offset %rbx, -24",
      `\tmovq\t_g${gi}_${gj}@GOTPCREL(%rip), %rax`,
      "\tmovq\t(%rax), %rbx",
      "\taddq\t%rdi, %rbx",
      "\ttestq\t%rdi, %rdi",
      `\tjle\tLBB${j}_2`,
      "\tdecq\t%rdi",
      `\tcallq\t${callee}`,
      "\taddq\t%rax, %rbx",
      `LBB${j}_2:`,
      "\tmovl\t%ebx, %ecx",
      "\tandl\t$63, %ecx",
      `\tleaq\t_zf${i}(%rip), %rax`,
      "\taddq\t%rbx, (%rax,%rcx,8)",
      `\tcmpq\t$${-1 - j}, %rbx`,
      `\tjne\tLBB${j}_4`,
      `\tleaq\tL_.str.${j}(%rip), %rdi`,
      "\tcallq\t_puts",
      j % 8 === 0 ? "\tleaq\tL_.shared(%rip), %rdi" : `\tleaq\t_zf${i}(%rip), %rdi`,
      "\txorl\t%esi, %esi",
      "\tmovl\t$512, %edx",
      "\tcallq\t_memset",
      `LBB${j}_4:`,
      "\tmovq\t%rbx, %rax",
      "\taddq\t$8, %rsp",
      "\tpopq\t%rbx",
      "\tpopq\t%rbp",
      "\tretq",
    ]);
  }
  if (i === 0) {
    fn("_main", [
      "\tmovslq\t%edi, %rdi",
      "\tcallq\t_f0_0",
      "\tleaq\tL_.shared(%rip), %rdi",
      "\tcallq\t_strlen",
      "\txorl\t%eax, %eax",
      "\tpopq\t%rbp",
      "\tretq",
    ]);
  }
  o.push(...dataLines(i, m));
  return o.join("\n");
}

/** Arm64 assembly (llvm-mc syntax, clang -O1 style) of object `i` with `m` functions: `synthSource`'s program. */
export function synthSourceArm64(i: number, m: number): string {
  const o: string[] = [];
  o.push(`// ${GENERATOR_VERSION}: arm64 object ${i}, ${m} functions`);
  o.push("\t.section\t__TEXT,__text,regular,pure_instructions", "\t.build_version macos, 11, 0");
  const addr = (reg: string, sym: string): string[] => [
    `\tadrp\t${reg}, ${sym}@PAGE`,
    `\tadd\t${reg}, ${reg}, ${sym}@PAGEOFF`,
  ];
  for (let j = 0; j < m; j++) {
    const ci = target(i, j, 1);
    const cj = mix(i, j, 2) % m;
    const gi = target(i, j, 3);
    const gj = mix(i, j, 4) % m;
    const callee = ci === i && cj >= j ? (j === 0 ? "_puts" : `_f${i}_${j - 1}`) : `_f${ci}_${cj}`;
    o.push(`\t.globl\t_f${i}_${j}`, "\t.p2align\t2", `_f${i}_${j}:`, "\t.cfi_startproc");
    o.push("\tstp\tx20, x19, [sp, #-32]!", "\tstp\tx29, x30, [sp, #16]", "\tadd\tx29, sp, #16");
    o.push("\t.cfi_def_cfa w29, 16", "\t.cfi_offset w30, -8", "\t.cfi_offset w29, -16");
    o.push("\t.cfi_offset w19, -24", "\t.cfi_offset w20, -32");
    o.push(
      `\tadrp\tx8, _g${gi}_${gj}@GOTPAGE`,
      `\tldr\tx8, [x8, _g${gi}_${gj}@GOTPAGEOFF]`,
      "\tldr\tx8, [x8]",
      "\tadd\tx19, x8, x0",
      "\tcmp\tx0, #1",
      `\tb.lt\tLBB${j}_2`,
      "\tsub\tx0, x0, #1",
      `\tbl\t${callee}`,
      "\tadd\tx19, x19, x0",
      `LBB${j}_2:`,
      "\tand\tx8, x19, #0x3f",
      ...addr("x9", `_zf${i}`),
      "\tldr\tx10, [x9, x8, lsl #3]",
      "\tadd\tx10, x10, x19",
      "\tstr\tx10, [x9, x8, lsl #3]",
      `\tcmn\tx19, #${(j % 4000) + 1}`,
      `\tb.ne\tLBB${j}_4`,
      ...addr("x0", `L_.str.${j}`),
      "\tbl\t_puts",
      ...addr("x0", j % 8 === 0 ? "L_.shared" : `_zf${i}`),
      "\tmov\tw1, #0",
      "\tmov\tw2, #512",
      "\tbl\t_memset",
      `LBB${j}_4:`,
      "\tmov\tx0, x19",
      "\tldp\tx29, x30, [sp, #16]",
      "\tldp\tx20, x19, [sp], #32",
      "\tret",
      "\t.cfi_endproc",
    );
  }
  if (i === 0) {
    o.push("\t.globl\t_main", "\t.p2align\t2", "_main:", "\t.cfi_startproc");
    o.push("\tstp\tx29, x30, [sp, #-16]!", "\tmov\tx29, sp", "\t.cfi_def_cfa w29, 16");
    // f0_0(argc - 1): without arguments no call chain (whose first call in object 0 is puts(n)), so it runs.
    o.push("\t.cfi_offset w30, -8", "\t.cfi_offset w29, -16", "\tsub\tw0, w0, #1", "\tsxtw\tx0, w0");
    o.push("\tbl\t_f0_0");
    o.push(...addr("x0", "L_.shared"), "\tbl\t_strlen", "\tmov\tw0, #0", "\tldp\tx29, x30, [sp], #16");
    o.push("\tret", "\t.cfi_endproc");
  }
  o.push(...dataLines(i, m));
  return o.join("\n");
}

function assembleArgs(src: string, out: string, g: boolean, arch: SynthArch): string[] {
  const args = ["-triple", TRIPLES[arch], "-filetype=obj", src, "-o", out];
  if (g) args.unshift("-g");
  return args;
}

function objectPath(i: number, m: number, g: boolean, arch: SynthArch): { path: string; source: string } {
  const source = arch === "arm64" ? synthSourceArm64(i, m) : synthSource(i, m);
  const key = hashParts([
    GENERATOR_VERSION,
    source,
    JSON.stringify(assembleArgs("IN", "OUT", g, arch)),
    toolVersion("llvm-mc-19"),
  ]);
  const dir = benchCacheDir("synth", `m${m}${g ? "-g" : ""}${arch === "arm64" ? "-arm64" : ""}`);
  return { path: join(dir, `o${i}-${key.slice(0, 16)}.o`), source };
}

function execAsync(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 64 << 20 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(" ")} failed: ${stderr}`));
      else resolve();
    });
  });
}

async function compileOne(path: string, source: string, g: boolean, arch: SynthArch): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const src = `${tmp}.s`;
  writeFileSync(src, source);
  try {
    await execAsync(requireTool("llvm-mc-19"), assembleArgs(src, tmp, g, arch));
    renameSync(tmp, path);
  } finally {
    rmSync(src, { force: true });
    rmSync(tmp, { force: true });
  }
}

/**
 * Generates (or reuses from the cache) the objects of a synthetic workload,
 * assembling missing ones with `jobs` parallel llvm-mc processes.
 */
export async function synthWorkload(
  spec: SynthSpec,
  opts: { jobs?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<SynthWorkload> {
  const g = spec.g === true;
  const arch = spec.arch ?? "x86_64";
  const jobs = Math.max(1, opts.jobs ?? availableParallelism());
  const items = Array.from({ length: spec.objects }, (_, i) => objectPath(i, spec.functions, g, arch));
  const missing = items.filter((it) => !existsSync(it.path));
  const t0 = performance.now();
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < missing.length) {
      const it = missing[next++];
      if (it === undefined) break;
      mkdirSync(join(it.path, ".."), { recursive: true });
      await compileOne(it.path, it.source, g, arch);
      done++;
      if (done % 50 === 0 || done === missing.length) opts.onProgress?.(done, missing.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, Math.max(1, missing.length)) }, worker));
  const objects = items.map((it) => it.path);
  const inputBytes = objects.reduce((s, p) => s + statSync(p).size, 0);
  return { spec, objects, inputBytes, generateSeconds: (performance.now() - t0) / 1000, compiled: missing.length };
}

/**
 * The data of object `i` (`m` globals), the same for both arches: globals
 * referenced through the GOT from other objects, pointer tables (rebases to
 * functions, some in other objects, and to cstrings), cstrings, one cstring
 * shared by every object (deduplicated by the linker) and a zerofill block.
 */
function dataLines(i: number, m: number): string[] {
  const o: string[] = ["\t.section\t__DATA,__data", "\t.p2align\t3"];
  for (let j = 0; j < m; j++) o.push(`\t.globl\t_g${i}_${j}`, `_g${i}_${j}:`, `\t.quad\t${i * m + j}`);
  o.push(`\t.globl\t_gtab${i}`, `_gtab${i}:`, `\t.quad\t_g${i}_0`, `\t.quad\t_g${target(i, 0, 7)}_0`, "\t.quad\t_main");
  o.push("\t.section\t__DATA,__const", "\t.p2align\t4", `\t.globl\t_tab${i}`, `_tab${i}:`);
  for (let j = 0; j < m; j++) {
    const ti = target(i, j, 5);
    o.push(`\t.quad\t_f${ti}_${ti === i ? j : mix(i, j, 6) % m}`);
  }
  o.push("\t.p2align\t4", `_s${i}:`);
  for (let j = 0; j < m; j++) o.push(`\t.quad\tL_.str.${j}`);
  o.push("\t.section\t__TEXT,__cstring,cstring_literals");
  for (let j = 0; j < m; j++) o.push(`L_.str.${j}:`, `\t.asciz\t"obj ${i} fn ${j}: synthetic cstring"`);
  o.push("L_.shared:", '\t.asciz\t"shared cstring of the tsld benchmark"');
  o.push(`.zerofill __DATA,__bss,_zf${i},512,4`);
  o.push(".subsections_via_symbols", "");
  return o;
}
