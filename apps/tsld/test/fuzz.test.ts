// Bad input of every kind gives a clear error and no output, never a crash.
// Every input kind tsld reads (objects, archives, TBD v3/v4/v5, dylibs, fat
// files, command lines) is mutated from a well-formed seed, structure-aware
// (one field of a header, load command, member header, symbol table,
// export-trie node, fat_arch, TBD key) and by plain byte flips and
// truncation, and linked in a child process under a time limit. Each case
// must end with exit 0, or exit 1 and errors naming the input file; never an
// internal error, a hang, a stack trace, or a file left behind.
//
// Bounded and seeded for CI; scale by hand with
//   TSLD_FUZZ_COUNT=4000 TSLD_FUZZ_SEED=7 pnpm exec vitest run apps/tsld/test/fuzz.test.ts
// (COUNT is per input kind; each case's seed is printed with any failure,
// and TSLD_FUZZ_ONLY=<kind> runs one kind).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { libSystemTbdDir, repoRoot } from "@tsld/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLAGS, parseArgs } from "../src/flags.js";
import { tmp } from "./helpers.js";
import { type ArFlavor, archive, fatFile, funcObject, tbdText, tbdTree, type TbdVersion } from "./fuzz/inputs.js";
import { mutateArchive, mutateFat, mutateMachO, mutateTbdTree, mutateText, Rng } from "./fuzz/mutate.js";
import { CaseRunner, clearDir, violation } from "./fuzz/runner.js";

const COUNT = Number(process.env.TSLD_FUZZ_COUNT ?? 40);
const SEED = Number(process.env.TSLD_FUZZ_SEED ?? 20261130);
const ONLY = process.env.TSLD_FUZZ_ONLY;

interface Case {
  /** Files to write into the case directory (name → bytes). */
  files: Record<string, Uint8Array | string>;
  /** tsld's arguments; `$D/` stands for the case directory, `$O` for the output path. */
  argv: string[];
  /** Files an error must name (base names); empty to skip the check. */
  blame: string[];
  how: string;
  /** Usage errors (exit 2) are a right answer (command-line fuzzing). */
  usageOk?: boolean;
}

let dir: string;
let runner: CaseRunner;
let libsys: string;
const hello = (f: string) => readFileSync(join(repoRoot(), "examples/hello", f));
const seeds: Record<string, Uint8Array> = {};

beforeAll(async () => {
  dir = tmp("tsld-fuzz-");
  runner = new CaseRunner();
  libsys = libSystemTbdDir();
  seeds.main = hello("main.o");
  seeds.greet = hello("greet.o");
  // A dylib to damage: greet.o linked by tsld itself.
  const out = join(dir, "libgreet.dylib");
  writeFileSync(join(dir, "greet.o"), seeds.greet);
  const r = await runner.run(
    ["-L", libsys, "-buildmode=c-shared", "-install_name", "/usr/lib/libgreet.dylib", "-o", out, join(dir, "greet.o")],
    dir,
  );
  if (r.status !== 0) throw new Error(`seed dylib: ${r.stderr}`);
  seeds.dylib = readFileSync(out);
}, 120_000);

afterAll(() => runner?.close());

/** Runs `count` cases from `make`, each with its own seed; returns the failures. */
async function fuzz(kind: string, make: (rng: Rng) => Case): Promise<string[]> {
  const failures: string[] = [];
  const caseDir = join(dir, kind);
  const outDir = join(caseDir, "out");
  mkdirSync(outDir, { recursive: true });
  let ok = 0;
  let errors = 0;
  let usage = 0;
  const base = SEED + [...kind].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 0);
  for (let i = 0; i < COUNT; i++) {
    const caseSeed = (base + i * 0x9e3779b1) | 0;
    const c = make(new Rng(caseSeed));
    const sub = (a: string) => a.replaceAll("$O", join(outDir, "out")).replaceAll("$D/", `${caseDir}/`);
    for (const [name, data] of Object.entries(c.files))
      writeFileSync(join(caseDir, name), typeof data === "string" ? sub(data) : data);
    clearDir(outDir);
    const argv = ["-L", libsys, ...c.argv.map(sub)];
    const r = await runner.run(argv, outDir);
    const v = violation(r, outDir, c.blame, { usageOk: c.usageOk ?? false });
    if (v) {
      // Keep the input for reduction: <kind>/fail-<seed>/.
      const keep = join(caseDir, `fail-${caseSeed}`);
      mkdirSync(keep, { recursive: true });
      for (const [name, data] of Object.entries(c.files)) writeFileSync(join(keep, name), data);
      failures.push(`${kind} seed ${caseSeed} (${c.how}) [${keep}] argv ${argv.slice(2).join(" ")}: ${v}`);
    }
    if (r.status === 0) ok++;
    else if (r.status === 2) usage++;
    else errors++;
  }
  console.log(
    `fuzz ${kind}: ${COUNT} cases, seed ${SEED}: ${ok} linked, ${errors} errors, ${usage} usage errors, ${failures.length} failures`,
  );
  return failures;
}

/** Whether the kinds below damage their seeds (off to check that every seed links as made). */
let damage = true;

const kinds: [string, (rng: Rng) => Case][] = [
  [
    "object",
    (rng) => {
      const which = rng.chance(0.5) ? "main" : "greet";
      const { data, how } = damage ? mutateMachO(seeds[which]!, rng) : { data: seeds[which]!, how: "none" };
      const other = which === "main" ? "greet" : "main";
      return {
        files: { [`${which}.o`]: data, [`${other}.o`]: seeds[other]! },
        argv: ["-o", "$O", "$D/main.o", "$D/greet.o"],
        blame: ["main.o", "greet.o"],
        how: `${which}.o: ${how}`,
      };
    },
  ],
  [
    "archive",
    (rng) => {
      const flavor = rng.pick<ArFlavor>(["bsd", "bsd64", "gnu", "gnu64", "none"]);
      const members = [
        { name: "greet.o", data: seeds.greet!, defines: ["_greet", "_names", "_nnames"] },
        { name: "a_member_with_a_long_name.o", data: funcObject("_aux", "_greet"), defines: ["_aux"] },
        { name: "x.o", data: funcObject("_x"), defines: ["_x"] },
      ];
      const clean = archive(members, flavor);
      const { data, how } = damage ? mutateArchive(clean, rng) : { data: clean, how: "none" };
      return {
        files: { "main.o": seeds.main!, "libgreet.a": data },
        argv: ["-o", "$O", "$D/main.o", "$D/libgreet.a"],
        blame: ["libgreet.a", "main.o"],
        how: `${flavor}: ${how}`,
      };
    },
  ],
  [
    "tbd",
    (rng) => {
      const ver = rng.pick<TbdVersion>(["v3", "v4", "v5"]);
      const tree = tbdTree(
        {
          installName: "/usr/lib/libgreet.dylib",
          currentVersion: "1.2.3",
          symbols: ["_greet", "_names", "_other"],
          weak: ["_nnames"],
          tlv: ["_tlv"],
          reexports: rng.chance(0.3) ? ["/usr/lib/libother.dylib"] : [],
        },
        ver,
      );
      const hows: string[] = [];
      let text: string;
      if (!damage) text = tbdText(tree, ver);
      else if (rng.chance(0.7)) {
        const n = 1 + (rng.chance(0.3) ? rng.int(3) : 0);
        for (let k = 0; k < n; k++) hows.push(mutateTbdTree(tree, rng));
        text = tbdText(tree, ver);
      } else {
        const t = mutateText(tbdText(tree, ver), rng);
        hows.push(t.how);
        text = t.text;
      }
      return {
        files: { "main.o": seeds.main!, "libgreet.tbd": text },
        argv: ["-o", "$O", "$D/main.o", "$D/libgreet.tbd"],
        blame: ["libgreet.tbd", "main.o"],
        how: `${ver}: ${hows.join("; ")}`,
      };
    },
  ],
  [
    "dylib",
    (rng) => {
      const { data, how } = damage ? mutateMachO(seeds.dylib!, rng) : { data: seeds.dylib!, how: "none" };
      return {
        files: { "main.o": seeds.main!, "libgreet.dylib": data },
        argv: ["-o", "$O", "$D/main.o", "$D/libgreet.dylib"],
        blame: ["libgreet.dylib", "main.o"],
        how,
      };
    },
  ],
  [
    "fat",
    (rng) => {
      const inner = rng.pick(["greet.o", "libgreet.dylib", "libgreet.a"]);
      const x86 =
        inner === "greet.o"
          ? seeds.greet!
          : inner === "libgreet.dylib"
            ? seeds.dylib!
            : archive([{ name: "greet.o", data: seeds.greet!, defines: ["_greet", "_names", "_nnames"] }], "bsd");
      const arm = Uint8Array.from(x86.subarray(0, 256));
      const slices = [
        { cputype: 0x0100000c, cpusubtype: 0, data: arm },
        { cputype: 0x01000007, cpusubtype: 3, data: x86 },
      ];
      if (rng.chance(0.5)) slices.reverse();
      const clean = fatFile(slices, rng.chance(0.3));
      const { data, how } = damage ? mutateFat(clean, rng) : { data: clean, how: "none" };
      const name = `fat-${inner}`;
      return {
        files: { "main.o": seeds.main!, [name]: data },
        argv: ["-o", "$O", "$D/main.o", `$D/${name}`],
        blame: [name, "main.o"],
        how: `${inner}: ${how}`,
      };
    },
  ],
  ["cmdline", (rng) => commandLine(rng)],
];

/**
 * A random command line over the CLI's own flag table (so new flags are
 * fuzzed as they are added), with values drawn from valid, empty, huge and
 * path-like strings, plus the extra argument forms in `argForms`.
 */
function commandLine(rng: Rng): Case {
  const names = Object.keys(FLAGS).filter((k) => !["linkmode", "extld", "extldflags", "help", "v"].includes(k));
  const values = [
    "",
    "0",
    "-1",
    "1.2.3",
    "99999999999999999999",
    "0x10",
    "macos",
    "x86_64",
    "exe",
    "pie",
    "c-shared",
    "plugin",
    "c-archive",
    "internal",
    "_main",
    "_nosuch",
    "$D/",
    "$D/nosuch",
    "$D/main.o",
    "$O",
    "$O.map",
    "/",
    "=",
    "-",
    "--",
    "\u0000",
    "é",
    "dynamic_lookup",
    "error",
    "System",
    "greet",
  ];
  const argv: string[] = [];
  const n = 1 + rng.int(6);
  const hows: string[] = [];
  for (let k = 0; k < n; k++) {
    const r = rng.int(10);
    if (r < 7) {
      const f = rng.pick(names);
      const spec = FLAGS[f]!;
      const dash = rng.chance(0.8) ? "-" : "--";
      if (spec.kind === "bool") argv.push(rng.chance(0.9) ? `${dash}${f}` : `${dash}${f}=${rng.pick(values)}`);
      else if (f === "platform_version")
        argv.push(`${dash}${f}`, ...[0, 1, 2].slice(0, rng.int(4)).map(() => rng.pick(values)));
      else if (rng.chance(0.3)) argv.push(`${dash}${f}=${rng.pick(values)}`);
      else if (rng.chance(0.9)) argv.push(`${dash}${f}`, rng.pick(values));
      else argv.push(`${dash}${f}`);
    } else if (r < 8) argv.push(`-${rng.pick(["nosuch", "Lx", "lgreet", "lnosuch", "F", "x", "ox", "o"])}`);
    else {
      const form = rng.pick(argForms);
      const extra = form(rng);
      argv.push(...extra.argv);
      hows.push(extra.how);
    }
  }
  // Output and inputs go last (a random -o may come before and is overridden half the time).
  const tail = rng.chance(0.5) ? ["-o", "$O"] : [];
  const inputs = rng.chance(0.9) ? ["$D/main.o", "$D/greet.o"] : [];
  return {
    files: { "main.o": seeds.main!, "greet.o": seeds.greet!, ...extraFiles },
    argv: [...argv, ...tail, ...inputs],
    blame: [],
    how: hows.join("; "),
    usageOk: true,
  };
}

/** Files the command-line forms refer to, written into each case directory. */
const extraFiles: Record<string, string> = {
  "empty.txt": "",
  "list.txt": "$D/main.o\n$D/greet.o\n",
};

/**
 * Extra argument forms for command-line fuzzing. Add one per new syntax
 * (`@response` files and `-filelist` when the CLI reads them: write the file
 * into `extraFiles` or return it from here).
 */
const argForms: ((rng: Rng) => { argv: string[]; how: string })[] = [
  (rng) => ({ argv: [rng.pick(["$D/main.o", "$D/greet.o", "$D/empty.txt", "$D/nosuch.o", "$D/"])], how: "input" }),
  (rng) => ({ argv: ["-o", rng.pick(["$D/", "$D/nosuch/out", "$O", "/"])], how: "output" }),
];
// `@file` response files, once the CLI reads them (an `@` argument is no longer an input).
const readsResponseFiles = (() => {
  const f = join(tmp("tsld-fuzz-rsp-"), "probe.rsp");
  writeFileSync(f, "x.o\n");
  try {
    return !parseArgs([`@${f}`]).options.inputs.some((i) => i.startsWith("@"));
  } catch {
    return true;
  }
})();
if (readsResponseFiles)
  argForms.push((rng) => {
    const body = rng.pick([
      "$D/main.o $D/greet.o",
      "-o $O $D/main.o",
      "'$D/main.o' \"$D/greet.o\"",
      "@$D/r1.rsp",
      "-e",
      '"',
      "",
    ]);
    extraFiles["r1.rsp"] = body;
    return { argv: [rng.pick(["@$D/r1.rsp", "@$D/nosuch.rsp", "@", "@$D/"])], how: `@rsp ${body}` };
  });
if ("filelist" in FLAGS)
  argForms.push((rng) => ({
    argv: ["-filelist", rng.pick(["$D/list.txt", "$D/empty.txt", "$D/nosuch", "$D/main.o", "$D/list.txt,$D/"])],
    how: "filelist",
  }));

describe("bad input of every kind", () => {
  it("starts from seeds that link", async () => {
    damage = false;
    try {
      for (const [kind, make] of kinds) {
        if (kind === "cmdline") continue;
        const outDir = join(dir, "pristine", kind);
        mkdirSync(outDir, { recursive: true });
        for (let i = 0; i < 12; i++) {
          const c = make(new Rng(i));
          for (const [name, data] of Object.entries(c.files)) writeFileSync(join(dir, "pristine", name), data);
          const argv = c.argv.map((a) => a.replaceAll("$O", join(outDir, "out")).replaceAll("$D/", `${dir}/pristine/`));
          const r = await runner.run(["-L", libsys, ...argv], outDir);
          expect({ kind, how: c.how, stderr: r.stderr, status: r.status }).toEqual({
            kind,
            how: c.how,
            stderr: "",
            status: 0,
          });
        }
      }
    } finally {
      damage = true;
    }
  }, 120_000);

  for (const [kind, make] of kinds) {
    it.skipIf(ONLY !== undefined && ONLY !== kind)(
      `${kind}: never an internal error, hang, trace or stray output`,
      async () => {
        const failures = await fuzz(kind, make);
        expect(failures).toEqual([]);
      },
      Math.max(600_000, COUNT * 2_000),
    );
  }
});
