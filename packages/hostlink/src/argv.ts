/*
 * The host linker's command line, as a pure function.
 *
 * In external link mode tsld does not write the image: it hands objects and
 * libraries to a C compiler driver (clang, or whatever `-extld` names), which
 * runs the system linker. This mirrors the argv half of `hostlink()` in Go's
 * `cmd/link/internal/ld/lib.go` (and `hostlinkArchArgs`), in Go's order:
 *
 *   extld words, -target / --ld-path / -fuse-ld (driver choice),
 *   arch flags (-m64), header-type flags, build-mode flags,
 *   ELF dynlinking flags, -o OUTPUT, -rpath, -rdynamic, -Qunused-arguments,
 *   objects, -L dirs, -l libs, -extldflags last.
 *
 * `-extldflags` go last so the user can override anything tsld chose, as in
 * Go. Each flag below carries the reason it exists; the darwin rules come from
 * the seed change (Go 73e7a569, "plugin support on darwin/amd64") plus
 * issue 38824's `-bind_at_load`.
 *
 * Decisions that differ from today's Go, on purpose:
 *   - `-Wl,-headerpad,1144` is always passed on darwin (the 2016 rule). Go now
 *     passes it only when it will combine DWARF afterwards; tsld keeps the room
 *     so a later DWARF/UUID rewrite never has to move `__TEXT`.
 *   - `-Wl,-no_pie` only when the user asked for it (`noPie`). Go passes it
 *     for every explicit exe on macOS/amd64; tsld defaults to PIE, which ld64
 *     has deprecated turning off (Go issue 54482).
 *   - No probing: Go asks the driver whether `-Qunused-arguments`,
 *     `--build-id`, `-no-pie` are accepted. A pure function cannot; tsld adds
 *     `-Qunused-arguments` when the driver's name contains "clang" (Go's 2016
 *     rule) and leaves the rest to `extldflags`.
 */
import type { BuildMode } from "@tsld/core";

export type HostlinkHeadtype = "darwin" | "linux" | "freebsd" | "openbsd" | "windows";

export interface HostlinkInput {
  /** The driver and its own leading words, e.g. `["clang"]` or a split `-extld`. */
  extld: string[];
  headtype: HostlinkHeadtype;
  buildmode: BuildMode;
  /** Go's `DynlinkingGo()` for this link (see `dynlinking` in @tsld/core). */
  dynlinking: boolean;
  arch: "x86_64" | "arm64";
  output: string;
  /** Objects (and archives, TBDs, dylibs) in command-line order. */
  objects: string[];
  libPaths: string[];
  libs: string[];
  /** `-extldflags`, already split; appended last. */
  extldflags: string[];
  /** `-no_pie` was given (darwin/amd64 exe only). */
  noPie: boolean;
  /** `-install_name` for a darwin dylib (c-shared, plugin). */
  installName?: string;
  rpaths: string[];
  /** A clang target triple, e.g. `x86_64-apple-macos11`: adds `-target T`. */
  target?: string;
  /** `-fuse-ld=X`: which linker the driver runs (e.g. `lld`). */
  fuseLd?: string;
  /** `--ld-path=X`: the linker binary itself, for drivers that support it. */
  ldPath?: string;
  /** Library roots: `-Wl,-syslibroot,DIR` on darwin, `--sysroot=DIR` on ELF. */
  syslibroot?: string[];
}

const ELF_HEADTYPES = new Set<HostlinkHeadtype>(["linux", "freebsd", "openbsd"]);

function basename(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? p : p.slice(i + 1);
}

/**
 * Build the host linker's argv. argv[0] is the driver to spawn. Throws only on
 * an empty `extld`.
 */
export function hostlinkArgv(o: HostlinkInput): string[] {
  const driver = o.extld[0];
  if (driver === undefined || driver === "") {
    throw new Error("hostlink: empty -extld");
  }
  const isELF = ELF_HEADTYPES.has(o.headtype);
  const darwin = o.headtype === "darwin";
  const argv: string[] = [...o.extld];

  // Driver selection: cross-linking Mach-O from a non-Apple host needs a
  // target triple and an ld64-compatible linker (ld64.lld).
  if (o.target !== undefined) argv.push("-target", o.target);
  if (o.fuseLd !== undefined) argv.push(`-fuse-ld=${o.fuseLd}`);
  if (o.ldPath !== undefined) argv.push(`--ld-path=${o.ldPath}`);

  // hostlinkArchArgs: gcc-style drivers need -m64 to pick 64-bit x86; arm64
  // needs nothing.
  if (o.arch === "x86_64") argv.push("-m64");

  for (const root of o.syslibroot ?? []) {
    // ld64 searches -L/-l under each -syslibroot; ELF drivers take a sysroot.
    argv.push(darwin ? `-Wl,-syslibroot,${root}` : `--sysroot=${root}`);
  }

  switch (o.headtype) {
    case "darwin":
      // Leave room after the load commands so a later pass (DWARF combining,
      // UUID or code-signature rewrite) can add commands without moving
      // __TEXT. 1144 is Go's number.
      argv.push("-Wl,-headerpad,1144");
      if (o.dynlinking) {
        // Seed change: a plugin's Go symbols must resolve to the one copy
        // loaded first (the host's runtime), so look names up in one flat
        // namespace rather than per-dylib. -bind_at_load: lazy binding under
        // -flat_namespace can hang the dynamic linker in a forked child
        // (os/exec), Go issue 38824; bind everything at load time instead.
        argv.push("-Wl,-flat_namespace", "-Wl,-bind_at_load");
      }
      break;
    case "openbsd":
      // OpenBSD links PIE by default; Go's non-PIE code needs it off.
      if (o.buildmode !== "pie") argv.push("-Wl,-nopie");
      break;
    case "windows":
      // A console program (Go's default; -H windowsgui gives -mwindows).
      argv.push("-mconsole");
      break;
    default:
      break;
  }

  switch (o.buildmode) {
    case "exe":
      // An explicit non-PIE exe on darwin/amd64, only on request: ld64 has
      // deprecated -no_pie (Go issue 54482), arm64 has no non-PIE at all, and
      // the seed never passes it when dynlinking.
      if (darwin && o.arch === "x86_64" && o.noPie && !o.dynlinking) argv.push("-Wl,-no_pie");
      break;
    case "pie":
      if (isELF) {
        // UseRelro is true for pie on ELF: make the GOT/relocated data
        // read-only after relocation.
        argv.push("-Wl,-z,relro", "-pie");
      }
      // darwin: ld64 links PIE by default. windows: ASLR flags (not modelled).
      break;
    case "c-shared":
      if (darwin) {
        // A C-callable dynamic library: MH_DYLIB.
        argv.push("-dynamiclib");
        if (o.installName !== undefined) argv.push(`-Wl,-install_name,${o.installName}`);
      } else if (isELF) {
        // relro as for pie; -shared for a .so; -z nodelete because the Go
        // runtime cannot be unloaded, so dlclose must do nothing.
        argv.push("-Wl,-z,relro", "-shared", "-Wl,-z,nodelete");
      } else {
        argv.push("-shared");
      }
      break;
    case "shared":
      // ELF-only Go shared library (-linkshared consumers).
      if (isELF) argv.push("-Wl,-z,relro");
      argv.push("-shared");
      break;
    case "plugin":
      if (darwin) {
        // Seed change: a darwin plugin is a dylib (dlopen-able MH_DYLIB),
        // not an ELF -shared object.
        argv.push("-dynamiclib");
        if (o.installName !== undefined) argv.push(`-Wl,-install_name,${o.installName}`);
      } else {
        if (isELF) argv.push("-Wl,-z,relro");
        argv.push("-shared");
      }
      break;
    case "c-archive":
      // Go never runs the linker for c-archive (it runs `ar`); a caller that
      // still asks gets the plain command.
      break;
  }

  if (isELF && o.dynlinking) {
    // Lazy PLT resolution can use a lot of stack at points where Go cannot
    // allow it: resolve everything at startup.
    argv.push("-Wl,-z,now");
    // COPY relocations would move Go symbols out of sections (type data)
    // that rely on stable offsets from the section start.
    argv.push("-Wl,-z,nocopyreloc");
  }

  argv.push("-o", o.output);

  for (const r of o.rpaths) argv.push(`-Wl,-rpath,${r}`);

  if (isELF && (o.dynlinking || o.buildmode === "c-shared")) {
    // Export all global symbols so dlopen/dlsym can find Go's.
    argv.push("-rdynamic");
  }

  if (basename(driver).includes("clang")) {
    // clang warns about flags that only matter when compiling (-m64 with a
    // -target, for example); keep its output clean.
    argv.push("-Qunused-arguments");
  }

  argv.push(...o.objects);
  for (const dir of o.libPaths) argv.push(`-L${dir}`);
  for (const lib of o.libs) argv.push(`-l${lib}`);

  // Last, so the user can override anything above.
  argv.push(...o.extldflags);
  return argv;
}
