import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  buildLoader,
  EXIT_MALFORMED,
  EXIT_NOT_FOUND,
  genLibSystemTbd,
  MACHO_ARCHES,
  type MachOArch,
  runMachO,
} from "../src/index.js";
import { assemble, compileC, fixture, link, requireToolchain, tempDir } from "./helpers.js";
import { TINY_MESSAGE, type TinyOptions, tinyExecutable } from "./tiny-macho.js";

let work: string;
let tbdDir: string;
/** Set when the cross toolchain is missing: every test then FAILS with it (never skips). */
let toolchainError: Error | undefined;

beforeAll(() => {
  try {
    requireToolchain();
  } catch (e) {
    toolchainError = e as Error;
    return;
  }
  buildLoader();
  work = tempDir("loader");
  tbdDir = join(work, "sdk");
  mkdirSync(tbdDir);
  genLibSystemTbd(tbdDir);
});

beforeEach(async () => {
  if (toolchainError) throw toolchainError;
  // Runs under qemu block this worker for seconds each: let vitest's RPC replies in between tests,
  // or a long run of synchronous tests misses their deadline ("Timeout calling onTaskUpdate").
  await new Promise((resolve) => setImmediate(resolve));
});

afterAll(() => {
  // keep the fixtures for debugging with MACHO_EXEC_KEEP=1
  if (work && !process.env.MACHO_EXEC_KEEP) rmSync(work, { recursive: true, force: true });
});

/** Compile fixtures into `dir` (a subdirectory of the work dir), return the object paths. */
function objects(dir: string, names: string[], cFlags: string[] = [], cppFlags: string[] = []): string[] {
  mkdirSync(dir, { recursive: true });
  return names.map((n) => compileC(fixture(n), dir, { cFlags, cppFlags }));
}

function loadCommands(image: string): string {
  const r = spawnSync("llvm-objdump-19", ["--macho", "--private-headers", image], { encoding: "utf8" });
  return r.stdout;
}

const PROG_SOURCES = ["prog_main.c", "prog_util.c", "prog_data.c"];
const PROG_STDOUT = [
  "argc=3",
  "argv[1]=hello",
  "argv[2]=two words",
  "add_scaled(3, 4) = 34",
  "counter = 42",
  "color 0: red",
  "color 1: green",
  "color 2: blue",
  "color 3: unknown",
  "sorted: -100 -7 0 3 3 19 42 1000",
  "names: apple banana fig pear",
  "snprintf: fmt-03.14-ff (len 12)",
  "strtol overflow: LONG_MAX, errno==ERANGE: 1",
  "sscanf: 123",
  "",
].join("\n");

/**
 * The loader's features on ld64.lld output, for one CPU type: the same C sources (and a per-arch
 * assembly twin) compiled for x86_64 or arm64, run by the loader for the image's CPU type
 * (arm64: the aarch64 build under qemu-aarch64).
 */
function describeLdOutput(arch: MachOArch): void {
  // each test compiles, links and runs (arm64: under qemu); the machine may be busy
  describe(`macho-exec on ld64.lld output (${arch})`, { timeout: 600_000 }, () => {
    let base: string;
    let tbd: string;
    beforeAll(() => {
      if (toolchainError) return;
      if (arch !== "x86_64") {
        requireToolchain(arch);
        buildLoader(arch);
      }
      base = join(work, arch);
      tbd = join(base, "sdk");
      mkdirSync(tbd, { recursive: true });
      genLibSystemTbd(tbd, arch);
    });
    const objects = (dir: string, names: string[], cFlags: string[] = [], cppFlags: string[] = []): string[] => {
      mkdirSync(dir, { recursive: true });
      return names.map((n) => compileC(fixture(n), dir, { cFlags, cppFlags, arch }));
    };
    const ld = (out: string, inputs: string[], extra: string[] = []): string => link(out, inputs, tbd, extra, arch);

    for (const opt of ["-O0", "-O1"]) {
      it(`runs a multi-file C program with stdio (opcode fixups, ${opt})`, () => {
        const dir = join(base, `prog${opt}`);
        const prog = ld(join(dir, "prog"), objects(dir, PROG_SOURCES, [opt]));
        expect(loadCommands(prog)).toContain("LC_DYLD_INFO_ONLY");
        const r = runMachO(prog, ["hello", "two words"]);
        expect(r.stderr).toBe("to stderr: 7\n");
        expect(r.stdout).toBe(PROG_STDOUT);
        expect(r.status).toBe(3);
      });
    }

    it("passes argv[0] and traces fixups with MACHO_EXEC_TRACE=1", () => {
      const dir = join(base, "prog-trace");
      const prog = ld(join(dir, "prog"), objects(dir, PROG_SOURCES));
      const r = runMachO(prog, ["hello", "two words"], { env: { ...process.env, MACHO_EXEC_TRACE: "1" } });
      expect(r.status).toBe(3);
      expect(r.stdout).toBe(PROG_STDOUT);
      expect(r.stderr).toMatch(/macho-exec: rebase .*__DATA/);
      expect(r.stderr).toMatch(/macho-exec: (lazy-)?bind .* = _printf \(\/usr\/lib\/libSystem\.B\.dylib\)/);
      expect(r.stderr).toMatch(/macho-exec: (lazy-)?bind .* = __isoc99_sscanf /);
    });

    describe("dlopen / dlsym with callbacks into the main executable", () => {
      let hostExe: string;
      let dir: string;
      beforeAll(() => {
        if (toolchainError) return;
        dir = join(base, "dl");
        hostExe = ld(join(dir, "host"), objects(dir, ["host.c", "plugin.c"]).slice(0, 1));
      });
      const expected = () =>
        [
          "same handle: 1",
          "plugin_entry(20), initialized=1",
          "host_callback(21)",
          "plugin_entry(20) = 43, host_calls = 1",
          "plugin_name: the plugin",
          "missing: NULL, dlerror set: 1, cleared: 1",
          "dlsym(self, host_callback) matches: 1",
          "RTLD_DEFAULT finds plugin_entry: 1",
          "bad dlopen: NULL, has message: 1",
          "",
        ].join("\n");

      it("loads a -bundle linked with -bundle_loader", () => {
        const bundle = ld(join(dir, "plugin.bundle"), [join(dir, "plugin.o")], ["-bundle", "-bundle_loader", hostExe]);
        expect(loadCommands(bundle)).toMatch(
          new RegExp(`MH_MAGIC_64\\s+${arch === "arm64" ? "ARM64" : "X86_64"}\\s+ALL\\s+\\S+\\s+BUNDLE`),
        );
        const r = runMachO(hostExe, [bundle]);
        expect(r.stderr).toBe("");
        expect(r.stdout).toBe(expected());
        expect(r.status).toBe(0);
      });

      it("loads a flat-namespace -dylib with -undefined dynamic_lookup (relative path)", () => {
        ld(
          join(dir, "plugin.dylib"),
          [join(dir, "plugin.o")],
          ["-dylib", "-flat_namespace", "-undefined", "dynamic_lookup"],
        );
        const r = runMachO(hostExe, ["./plugin.dylib"], { cwd: dir });
        expect(r.stderr).toBe("");
        expect(r.stdout).toBe(expected());
        expect(r.status).toBe(0);
      });
    });

    const CTOR_TLS_STDOUT = [
      "ctors ran: 1 2",
      "thread-1: tls_counter=1100 tls_zero=1",
      "thread-2: tls_counter=2100 tls_zero=2",
      "thread b returned 2100",
      "main: tls_counter=100 tls_zero=0 buf=''",
      "main: after write tls_counter=5",
      "weak_value=2 weak_only=7 strong_from_other=3",
      "",
    ].join("\n");

    it("runs constructors, gives each pthread its own _Thread_local, honours weak definitions", () => {
      const dir = join(base, "ctor");
      const prog = ld(join(dir, "ctor_tls"), objects(dir, ["ctor_tls.c", "ctor_tls_strong.c"], ["-O1"]));
      const r = runMachO(prog);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(CTOR_TLS_STDOUT);
      expect(r.status).toBe(0);
    });

    it("runs -init_offsets initializers (S_INIT_FUNC_OFFSETS)", () => {
      const dir = join(base, "ctor-initoff");
      const prog = ld(join(dir, "ctor_tls"), objects(dir, ["ctor_tls.c", "ctor_tls_strong.c"]), ["-init_offsets"]);
      expect(loadCommands(prog)).toContain("__init_offsets");
      const r = runMachO(prog);
      expect(r.stdout).toBe(CTOR_TLS_STDOUT);
      expect(r.status).toBe(0);
    });

    it("maps Darwin-only names (__stderrp, __error, stack guard, _NSGetExecutablePath, __sincos_stret, atexit)", () => {
      const dir = join(base, "darwin");
      const prog = ld(join(dir, "darwin_names"), objects(dir, ["darwin_names.c"], ["-O1", "-fstack-protector-all"]));
      const r = runMachO(prog, ["arg1"]);
      expect(r.stderr).toBe("__stderrp works\n");
      expect(r.stdout).toBe(
        [
          "__stdoutp works",
          "__error() is &errno: 1, ERANGE: 1",
          "stack guard set: 1",
          "_NSGetExecutablePath rc=0 absolute=1 name ok=1",
          "too small: rc=-1, size updated: 1",
          "_NSGetArgc=2 argc=2 argv[1]=arg1 environ is envp: 1",
          "apple[0] is executable_path: 1",
          "images: 1, first is main: 1",
          "big_frame: -16",
          "sin*cos: 0.4207",
          "atexit handler ran",
          "",
        ].join("\n"),
      );
      expect(r.status).toBe(5);
    });

    it("bridges variadic and va_list calls into the C library (printf, scanf, open, fcntl, ioctl, execl, err families)", () => {
      const dir = join(base, "varargs");
      const out = join(dir, "out");
      mkdirSync(out, { recursive: true });
      for (const opt of ["-O0", "-O1"]) {
        const prog = ld(join(dir, `varargs${opt}`), objects(join(dir, opt), ["varargs.c"], [opt]));
        const r = runMachO(prog, [out]);
        expect(r.stdout).toBe(
          [
            "printf: -1 1234567890123 str Z 2.500 7 ff -9000000000 0.125 42 1.000000e+10 end|",
            "fprintf:    ab|12   |003.1",
            "sprintf: sp-9-1.50 (9)",
            "snprintf: 1111222 (16)",
            "vsnprintf: vsn=77,0.5,q (12)",
            "vfprintf: 3 three 3.00 3",
            "asprintf:5 (10)",
            "sscanf: 4 -> 17 -4 2.25 word",
            "vsscanf: 2 -> 31 99",
            "open mode: 640",
            "fscanf: 2 -> 123 dprintf",
            "openat mode: 604",
            "fcntl F_DUPFD >= 50: 1",
            "fcntl F_GETFD: 1",
            "ioctl FIONREAD: 5",
            "syscall getpid: 1",
            "execl: one two",
            "execle: from-execle",
            "",
          ].join("\n"),
        );
        expect(r.stderr).toBe(`varargs${opt}: warnx: 5 five\nvarargs${opt}: errx: bye 4\n`);
        expect(r.status).toBe(4);
      }
    });

    it("binds lazy pointers on first call through __stub_helper and dyld_stub_binder (MACHO_EXEC_LAZY=1)", () => {
      const dir = join(base, "lazy");
      const env = { ...process.env, MACHO_EXEC_LAZY: "1", MACHO_EXEC_TRACE: "1" };
      const prog = ld(join(dir, "prog"), objects(dir, PROG_SOURCES, ["-O1"]));
      const r = runMachO(prog, ["hello", "two words"], { env });
      expect(r.stdout).toBe(PROG_STDOUT);
      expect(r.status).toBe(3);
      const firstCalls = r.stderr.split("\n").filter((l) => l.includes("lazy-bind (first call)"));
      expect(firstCalls.some((l) => l.includes("= _printf ("))).toBe(true);
      expect(r.stderr).not.toMatch(/macho-exec: lazy-bind \//); // nothing bound at load
      // every argument register survives the binder: the variadic program, bound lazily
      const out = join(dir, "out");
      mkdirSync(out, { recursive: true });
      const va = ld(join(dir, "varargs"), objects(join(dir, "va"), ["varargs.c"], ["-O1"]));
      const eager = runMachO(va, [out]);
      const lazy = runMachO(va, [out], { env: { ...process.env, MACHO_EXEC_LAZY: "1" } });
      expect(lazy.stdout).toBe(eager.stdout);
      expect(lazy.stderr).toBe(eager.stderr);
      expect(lazy.status).toBe(4);
      // MH_BIND_AT_LOAD images are bound at load even then (ld64.lld-19 ignores -bind_at_load: set the flag)
      const bal = join(dir, "prog-bal");
      const bytes = readFileSync(prog);
      bytes.writeUInt32LE(bytes.readUInt32LE(24) | 0x8, 24);
      writeFileSync(bal, bytes);
      const b = runMachO(bal, ["hello", "two words"], { env });
      expect(b.stdout).toBe(PROG_STDOUT);
      expect(b.stderr).not.toContain("first call");
      expect(b.stderr).toMatch(/macho-exec: lazy-bind \//);
    });

    it("TLV thunk preserves registers; ___chkstk_darwin works (assembly)", () => {
      const dir = join(base, "tlvregs");
      mkdirSync(dir, { recursive: true });
      const asm = arch === "arm64" ? "tlv_regs_arm64.s" : "tlv_regs.s";
      const objs = [compileC(fixture("tlv_regs_main.c"), dir, { arch }), assemble(fixture(asm), dir, arch)];
      for (const flags of [[], ["-fixup_chains"]]) {
        const prog = ld(join(dir, `tlv_regs${flags.length}`), objs, flags);
        const r = runMachO(prog);
        expect(r.stderr).toBe("");
        expect(r.stdout).toBe(
          [
            "main: r1=0 seen=42 r2=0 seen=7 tv=8",
            "thread: r1=0 seen=42 r2=0 seen=7 tv=8",
            "main tv=8",
            "check_chkstk: 0",
            "",
          ].join("\n"),
        );
        expect(r.status).toBe(0);
      }
    });

    describe("chained fixups (-fixup_chains)", () => {
      it("runs the multi-file program the same as the opcode build", () => {
        const dir = join(base, "chained-prog");
        const prog = ld(join(dir, "prog"), objects(dir, PROG_SOURCES, ["-O1"]), ["-fixup_chains"]);
        const lc = loadCommands(prog);
        expect(lc).toContain("LC_DYLD_CHAINED_FIXUPS");
        expect(lc).toContain("LC_DYLD_EXPORTS_TRIE");
        expect(lc).not.toContain("LC_DYLD_INFO");
        const r = runMachO(prog, ["hello", "two words"]);
        expect(r.stderr).toBe("to stderr: 7\n");
        expect(r.stdout).toBe(PROG_STDOUT);
        expect(r.status).toBe(3);
      });

      it("runs constructors, TLV and weak definitions the same as the opcode build", () => {
        const dir = join(base, "chained-ctor");
        const prog = ld(join(dir, "ctor_tls"), objects(dir, ["ctor_tls.c", "ctor_tls_strong.c"]), ["-fixup_chains"]);
        expect(loadCommands(prog)).toContain("LC_DYLD_CHAINED_FIXUPS");
        const r = runMachO(prog);
        expect(r.stderr).toBe("");
        expect(r.stdout).toBe(CTOR_TLS_STDOUT);
        expect(r.status).toBe(0);
      });

      it("dlopens a chained-fixups bundle from a chained-fixups executable", () => {
        const dir = join(base, "chained-dl");
        const [hostO, pluginO] = objects(dir, ["host.c", "plugin.c"]);
        const host = ld(join(dir, "host"), [hostO!], ["-fixup_chains"]);
        const bundle = ld(join(dir, "plugin.bundle"), [pluginO!], ["-fixup_chains", "-bundle", "-bundle_loader", host]);
        const r = runMachO(host, [bundle]);
        expect(r.stderr).toBe("");
        expect(r.stdout).toContain("plugin_entry(20) = 43, host_calls = 1\n");
        expect(r.status).toBe(0);
      });
    });

    describe("dylib dependencies", () => {
      const DEP_STDOUT = (optional: boolean) =>
        [
          "lib_add(2, 3) = 10",
          "lib_counter = 15, lib_add(0, 0) = 15",
          optional ? "lib_optional: present\nlib_optional() = 1" : "lib_optional: absent",
          "shared_weak via lib = 100, via main = 100",
          "lib tls: libdep-tls",
          "",
        ].join("\n");

      for (const chained of [false, true]) {
        const flags = chained ? ["-fixup_chains"] : [];
        const tag = chained ? "chained" : "opcodes";
        it(`loads @rpath dylibs, coalesces weak definitions, resolves missing weak imports to NULL (${tag})`, () => {
          const dir = join(base, `dep-${tag}`);
          const libDir = join(dir, "lib");
          mkdirSync(libDir, { recursive: true });
          const [libO] = objects(dir, ["libdep.c"]);
          const libNoOpt = compileC(fixture("libdep.c"), dir, { cppFlags: ["-DNO_OPTIONAL"], arch }, "libdep_noopt");
          const dylibArgs = ["-dylib", "-install_name", "@rpath/libdep.dylib", ...flags];
          ld(join(libDir, "libdep.dylib"), [libO!], dylibArgs);
          ld(join(dir, "libdep_noopt.dylib"), [libNoOpt], dylibArgs);
          const [mainO] = objects(dir, ["dep_main.c"]);
          const prog = ld(
            join(dir, "dep_main"),
            [mainO!],
            ["-L", libDir, "-ldep", "-rpath", "@executable_path/lib", ...flags],
          );
          let r = runMachO(prog);
          expect(r.stderr).toBe("");
          expect(r.stdout).toBe(DEP_STDOUT(true));
          expect(r.status).toBe(0);

          copyFileSync(join(dir, "libdep_noopt.dylib"), join(libDir, "libdep.dylib"));
          r = runMachO(prog);
          expect(r.stderr).toBe("");
          expect(r.stdout).toBe(DEP_STDOUT(false));
          expect(r.status).toBe(0);
        });
      }
    });
  });
}

for (const arch of MACHO_ARCHES) describeLdOutput(arch);

describe("universal (fat) images", () => {
  it("runs a universal file's slice for each loader; runMachO picks x86_64", () => {
    requireToolchain("arm64");
    const dir = join(work, "fat");
    const slices = MACHO_ARCHES.map((arch) => {
      const sdk = join(dir, arch, "sdk");
      mkdirSync(sdk, { recursive: true });
      genLibSystemTbd(sdk, arch);
      const src = join(dir, arch, "which.c");
      writeFileSync(src, `#include <stdio.h>\nint main(void) { printf("slice: %s\\n", SLICE); return 0; }\n`);
      const o = compileC(src, join(dir, arch), { arch, cppFlags: [`-DSLICE="${arch}"`] });
      return link(join(dir, arch, "which"), [o], sdk, [], arch);
    });
    const fat = join(dir, "which-fat");
    const lipo = spawnSync("llvm-lipo-19", ["-create", ...slices, "-output", fat], { encoding: "utf8" });
    expect(lipo.status, lipo.stderr).toBe(0);
    for (const arch of MACHO_ARCHES) {
      const r = spawnSync(buildLoader(arch), [fat], { encoding: "utf8" });
      expect(r.stdout, r.stderr).toBe(`slice: ${arch}\n`);
      expect(r.status).toBe(0);
    }
    expect(runMachO(fat).stdout).toBe("slice: x86_64\n");
    // a universal file holding only the arm64 slice goes to the arm64 loader
    const arm64Only = spawnSync("llvm-lipo-19", ["-create", slices[1] ?? "", "-output", join(dir, "arm64-only")]);
    expect(arm64Only.status).toBe(0);
    expect(runMachO(join(dir, "arm64-only")).stdout).toBe("slice: arm64\n");
    expect(spawnSync(buildLoader("any"), [join(dir, "arm64-only")], { encoding: "utf8" }).stdout).toBe(
      "slice: arm64\n",
    );
  });
});

describe("macho-exec error handling", () => {
  let good: Buffer;
  let dir: string;
  beforeAll(() => {
    if (toolchainError) return;
    dir = join(work, "bad");
    const prog = link(join(dir, "good"), objects(dir, PROG_SOURCES), tbdDir);
    good = readFileSync(prog);
  });

  function runBytes(name: string, bytes: Buffer) {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return runMachO(p);
  }

  it("rejects a truncated file with exit 126", () => {
    for (const len of [0, 3, 20, 100, Math.floor(good.length / 2), good.length - 1]) {
      const r = runBytes(`trunc${len}`, good.subarray(0, len));
      expect(r.status, `truncated to ${len} bytes: ${r.stderr}`).toBe(EXIT_MALFORMED);
      expect(r.stderr).toMatch(/^macho-exec: .*malformed image: /);
      expect(r.stderr).toMatch(/truncated|beyond end of file|too short/);
      expect(r.stdout).toBe("");
    }
  });

  it("rejects bad magic and wrong cputype with exit 126", () => {
    const b = Buffer.from(good);
    b.writeUInt32LE(0xdeadbeef, 0);
    const r = runBytes("badmagic", b);
    expect(r.status).toBe(EXIT_MALFORMED);
    expect(r.stderr).toContain("bad magic 0xdeadbeef");
    // each loader refuses the other's CPU type (runMachO would pick the right one: call them directly)
    const c = Buffer.from(good);
    c.writeUInt32LE(0x0100000c, 4);
    writeFileSync(join(dir, "arm64"), c);
    const x86 = spawnSync(buildLoader("x86_64"), [join(dir, "arm64")], { encoding: "utf8" });
    expect(x86.status).toBe(EXIT_MALFORMED);
    expect(x86.stderr).toContain("wrong cputype 0x100000c (arm64) (expected CPU_TYPE_X86_64 0x1000007");
    expect(x86.stderr).toContain("build.sh --arch arm64");
    const a64 = spawnSync(buildLoader("arm64"), [join(dir, "good")], { encoding: "utf8" });
    expect(a64.status).toBe(EXIT_MALFORMED);
    expect(a64.stderr).toContain("wrong cputype 0x1000007 (x86_64) (expected CPU_TYPE_ARM64 0x100000c");
  });

  it("rejects load command overruns and bad cmdsize with exit 126", () => {
    const b = Buffer.from(good);
    b.writeUInt32LE(0x10000, 32 + 4); // first load command's cmdsize
    let r = runBytes("lcoverrun", b);
    expect(r.status).toBe(EXIT_MALFORMED);
    expect(r.stderr).toContain("overruns the load command area");
    const c = Buffer.from(good);
    c.writeUInt32LE(0x4c, 32 + 4);
    r = runBytes("lcmisaligned", c);
    expect(r.status).toBe(EXIT_MALFORMED);
    expect(r.stderr).toContain("not a non-zero multiple of 8");
    const d = Buffer.from(good);
    d.writeUInt32LE(d.readUInt32LE(16) + 5, 16); // ncmds beyond the commands present
    r = runBytes("lcncmds", d);
    expect(r.status).toBe(EXIT_MALFORMED);
    expect(r.stderr).toContain("overruns the load command area");
  });

  it("never crashes while loading randomly corrupted images (MACHO_EXEC_LOAD_ONLY=1)", () => {
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const chained = readFileSync(
      link(join(dir, "good-chained"), objects(join(dir, "c"), PROG_SOURCES), tbdDir, ["-fixup_chains"]),
    );
    const env = { ...process.env, MACHO_EXEC_LOAD_ONLY: "1" };
    const seen = new Set<number | null>();
    for (const [tag, base] of [
      ["opcodes", good],
      ["chained", chained],
    ] as const) {
      const sizeofcmds = base.readUInt32LE(20);
      expect(runMachO(join(dir, tag === "opcodes" ? "good" : "good-chained"), [], { env }).status).toBe(0);
      for (let i = 0; i < 150; i++) {
        const b = Buffer.from(base);
        const nbytes = 1 + (rnd() % 4);
        for (let k = 0; k < nbytes; k++) {
          const inCmds = rnd() % 2 === 0;
          const off = inCmds ? 32 + (rnd() % sizeofcmds) : base.length - 1 - (rnd() % 4096);
          b[off] = rnd() & 0xff;
        }
        const p = join(dir, `fuzz-${tag}-${i}`);
        writeFileSync(p, b);
        const r = runMachO(p, [], { env });
        seen.add(r.status);
        expect(r.signal, `${p}: killed by ${r.signal}; stderr ${r.stderr}`).toBeNull();
        expect([0, EXIT_MALFORMED, EXIT_NOT_FOUND], `${p}: status ${r.status}; stderr ${r.stderr}`).toContain(r.status);
        if (r.status !== 0) expect(r.stderr).toMatch(/^macho-exec: /m);
      }
    }
    expect(seen.has(EXIT_MALFORMED)).toBe(true);
  });

  it("reports a missing symbol with exit 127", () => {
    const sub = join(dir, "missing");
    const libDir = join(sub, "lib");
    mkdirSync(libDir, { recursive: true });
    const [libO] = objects(sub, ["libdep.c"]);
    const libNoNeeded = compileC(fixture("libdep.c"), sub, { cppFlags: ["-DNO_NEEDED"] }, "libdep_noneeded");
    const [mainO] = objects(sub, ["needs_sym.c"]);
    link(join(libDir, "libdep.dylib"), [libO!], tbdDir, ["-dylib", "-install_name", "@rpath/libdep.dylib"]);
    const prog = link(join(sub, "needs_sym"), [mainO!], tbdDir, ["-L", libDir, "-ldep", "-rpath", "@loader_path/lib"]);
    let r = runMachO(prog);
    expect(r.stdout).toBe("lib_needed() = 2\n");
    expect(r.status).toBe(0);
    link(join(libDir, "libdep.dylib"), [libNoNeeded], tbdDir, ["-dylib", "-install_name", "@rpath/libdep.dylib"]);
    r = runMachO(prog);
    expect(r.status).toBe(EXIT_NOT_FOUND);
    expect(r.stderr).toBe(`macho-exec: ${prog}: symbol not found: _lib_needed (referenced from ${prog})\n`);
    expect(r.stdout).toBe("");
  });

  it("reports a missing flat-namespace symbol and a missing dylib with exit 127", () => {
    const sub = join(dir, "flat");
    const [o] = objects(sub, ["undef_flat.c"]);
    const prog = link(join(sub, "undef_flat"), [o!], tbdDir, ["-undefined", "dynamic_lookup"]);
    let r = runMachO(prog);
    expect(r.status).toBe(EXIT_NOT_FOUND);
    expect(r.stderr).toContain("symbol not found: _definitely_not_defined_anywhere");

    const libDir = join(sub, "lib");
    mkdirSync(libDir, { recursive: true });
    const [libO] = objects(sub, ["libdep.c"]);
    const [mainO] = objects(sub, ["needs_sym.c"]);
    link(join(libDir, "libgone.dylib"), [libO!], tbdDir, ["-dylib", "-install_name", "@rpath/libgone.dylib"]);
    const prog2 = link(join(sub, "needs_gone"), [mainO!], tbdDir, ["-L", libDir, "-lgone"]);
    r = runMachO(prog2);
    expect(r.status).toBe(EXIT_NOT_FOUND);
    expect(r.stderr).toContain("dependency not found: @rpath/libgone.dylib");
  });

  it("reports a nonexistent image with exit 127 and usage errors with exit 2", () => {
    let r = runMachO(join(dir, "does-not-exist"));
    expect(r.status).toBe(EXIT_NOT_FOUND);
    expect(r.stderr).toContain("cannot open");
    const loader = buildLoader();
    const u = spawnSync(loader, [], { encoding: "utf8" });
    expect(u.status).toBe(2);
    expect(u.stderr).toContain("usage: macho-exec IMAGE");
    r = runMachO(join(dir, "good"), []);
    expect(r.status).toBe(3);
  });
});

describe("hand-made images (paths ld64.lld does not produce)", () => {
  let dir: string;
  beforeAll(() => {
    if (toolchainError) return;
    dir = join(work, "tiny");
    mkdirSync(dir, { recursive: true });
  });
  function runTiny(name: string, opts: TinyOptions, args: string[] = []) {
    const p = join(dir, name);
    writeFileSync(p, tinyExecutable(opts));
    return runMachO(p, args, { env: { ...process.env, MACHO_EXEC_TRACE: "1" } });
  }
  const traceLines = (s: string) => s.split("\n").filter((l) => l.startsWith("macho-exec: "));

  it("slides a PIE image and applies its rebase and bind opcodes", () => {
    const r = runTiny("pie", {});
    expect(r.stdout).toBe(`${TINY_MESSAGE}\n`);
    expect(r.status).toBe(7);
    expect(r.stderr).not.toContain("at 0x100000000 (slide 0x0");
    expect(traceLines(r.stderr).some((l) => l.includes("rebase") && l.includes("__DATA+0x8: 0x100000900"))).toBe(true);
  });

  it("slides a non-PIE image that has rebase info", () => {
    const r = runTiny("nopie-rebase", { pie: false });
    expect(r.stdout).toBe(`${TINY_MESSAGE}\n`);
    expect(r.status).toBe(7);
    expect(r.stderr).not.toContain("(slide 0x0,");
  });

  it("maps a non-PIE image without rebase info at its preferred address", () => {
    const r = runTiny("nopie-fixed", { pie: false, rebase: false });
    expect(r.stdout).toBe(`${TINY_MESSAGE}\n`);
    expect(r.status).toBe(7);
    expect(r.stderr).toContain("at 0x100000000 (slide 0x0,");
  });

  it("fails clearly when a non-PIE image's preferred address is unavailable", () => {
    const r = runTiny("nopie-kernel", { pie: false, rebase: false, base: 0xffff800000000000n });
    expect(r.status).toBe(EXIT_MALFORMED);
    expect(r.stderr).toContain("cannot be mapped at its preferred address 0xffff800000000000");
  });

  it("starts an LC_UNIXTHREAD image with argc on the initial stack", () => {
    const r = runTiny("unixthread", { unixThread: true }, ["a", "b", "c"]);
    expect(r.status).toBe(4); // exit_group(argc) — argv[0] is the image
    expect(r.stderr).toContain("jumping to LC_UNIXTHREAD entry");
  });

  it.each([
    [
      "bind to an offset outside the segment",
      { bindOpcodes: [0x11, 0x40, 0x5f, 0x70, 0, 0x51, 0x72, 0x80, 0x40, 0x90, 0] },
      "bind: segment offset 0x2000 outside segment __DATA",
    ],
    [
      "bind to a segment index that does not exist",
      { bindOpcodes: [0x11, 0x40, 0x5f, 0x70, 0, 0x51, 0x79, 0x00, 0x90, 0] },
      "segment index 9 out of range",
    ],
    ["opcode stream that runs out mid-ULEB", { bindOpcodes: [0x11, 0x72, 0x80] }, "bind opcode stream out of bounds"],
    [
      "symbol name running past the opcode stream",
      { bindOpcodes: [0x11, 0x40, 0x5f, 0x70], bindSize: 4 },
      "bind opcode stream: unterminated string",
    ],
    ["unknown bind opcode", { bindOpcodes: [0xe0, 0] }, "unknown bind opcode 0xe0"],
    [
      "bad dylib ordinal",
      { bindOpcodes: [0x15, 0x40, 0x5f, 0x70, 0, 0x51, 0x72, 0x00, 0x90, 0] },
      "dylib ordinal 5 out of range",
    ],
    [
      "section outside its segment",
      { textSectionAddr: 0x100000ff0n },
      "section __TEXT,__text (addr 0x100000ff0 size 0x40) outside segment __TEXT",
    ],
    [
      "segment beyond the end of the file",
      { linkeditFileSize: 0x100000n },
      "segment __LINKEDIT fileoff 0x2000 + filesize 0x100000 extends beyond end of file",
    ],
  ] as [string, TinyOptions, string][])("rejects %s with exit 126", (_what, opts, message) => {
    const r = runTiny(`bad-${_what.replace(/\W+/g, "-")}`, opts);
    expect(r.status, r.stderr).toBe(EXIT_MALFORMED);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe("");
  });
});
