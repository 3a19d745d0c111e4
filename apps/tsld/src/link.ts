/**
 * The pipeline, named once: a flat list of passes over one link context,
 * each establishing what the next one reads (Go's `ld.Main`, mold's
 * `main.cc`), each under its own timer (`-v` prints them all). Errors
 * accumulate within a pass and stop the link at the next checkpoint.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LinkContext, osErrorText, startWorkers } from "@tsld/core";
import { emitDwarf } from "@tsld/dwarf";
import {
  SectionMap,
  alignTlvTemplate,
  allocateCommons,
  assignAddresses,
  assignSections,
  buildSegments,
  chooseTarget,
  collectExports,
  collectUnwind,
  createSynthetic,
  deadStrip,
  finalizeFixups,
  planObjectSections,
  numberDylibs,
  planLoadCommands,
  planUnwind,
  pruneUnwind,
  scanRelocations,
} from "@tsld/layout";
import {
  collectObjectSymbols,
  planLinkedit,
  planObjectFile,
  saveImage,
  saveObject,
  signImage,
  writeContents,
  writeHeader,
  writeLinkedit,
  writeMap,
  writeObjectContents,
  writeObjectHeader,
} from "@tsld/macho";
import { chooseArch, loadObjects } from "@tsld/objfile";

/**
 * The worker threads' entry, beside this module: dist/lib/worker.cjs (or
 * .js) in the bundle, which the published package ships; from the
 * TypeScript sources, worker-source.mjs (worker.ts under tsx).
 * `TSLD_WORKER_ENTRY` names another (the tests' failing one).
 */
function workerEntry(): URL | string {
  const forced = process.env.TSLD_WORKER_ENTRY;
  if (forced) return forced;
  const here = import.meta.url;
  if (here.endsWith(".ts")) return new URL("./worker-source.mjs", here);
  return new URL(here.endsWith(".cjs") ? "./worker.cjs" : "./worker.js", here);
}

export async function link(ctx: LinkContext): Promise<void> {
  try {
    await linkPasses(ctx);
  } finally {
    ctx.workers?.close();
  }
}

async function linkPasses(ctx: LinkContext): Promise<void> {
  const pass = <T>(name: string, fn: () => T): T => ctx.timer.time(name, fn);
  if (ctx.options.relocatable) {
    linkRelocatable(ctx);
    return;
  }
  if (ctx.options.linkmode === "external") {
    // The arch (-arch, else the first input object's CPU type) for go.o and the host linker's -target.
    pass("chooseArch", () => chooseArch(ctx));
    await linkExternal(ctx);
    return;
  }
  // Worker threads for the parallel passes (--threads; none for a small link), loading while the first inputs are read.
  pass("startWorkers", () => startWorkers(ctx, workerEntry()));
  // Resolution: every input read into one symbol table (objects parsed over the workers); archive members pulled.
  pass("loadObjects", () => loadObjects(ctx));
  ctx.diag.checkpoint();
  // The target, from the inputs' CPU type (or -arch).
  pass("chooseTarget", () => chooseTarget(ctx));
  // Commons become zerofill atoms.
  pass("allocateCommons", () => allocateCommons(ctx));
  // Compact-unwind entries and __eh_frame records, tied to their functions.
  const unwindAssoc = pass("collectUnwind", () => collectUnwind(ctx));
  // Live atoms: all of them, or what the roots reach with -dead_strip.
  if (ctx.options.deadStrip) pass("deadStrip", () => deadStrip(ctx, unwindAssoc));
  // FDEs/CIEs of live functions only; personalities get GOT slots.
  pass("pruneUnwind", () => pruneUnwind(ctx));
  // Section order: every live atom in its output section, sections and atoms ordered.
  const map = new SectionMap();
  pass("assignSections", () => assignSections(ctx, map));
  // GOT, stub and TLV-pointer needs; rebase and bind sites in atoms (from relocation attributes).
  pass("scanRelocations", () => scanRelocations(ctx));
  ctx.diag.checkpoint();
  // Synthetic sections: GOT, stubs, stub helper, lazy and TLV pointers sized.
  pass("createSynthetic", () => createSynthetic(ctx, map));
  // __unwind_info: entries and size from the live functions (address independent).
  pass("planUnwind", () => planUnwind(ctx, map));
  // Dylibs that are used get LC_LOAD_DYLIB ordinals.
  pass("numberDylibs", () => numberDylibs(ctx));
  // Sections into segments (and the __DWARF, __LINKEDIT segments).
  pass("buildSegments", () => buildSegments(ctx, map));
  // The TLV template (__thread_data, __thread_bss) aligned as one block.
  pass("alignTlvTemplate", () => alignTlvTemplate(ctx));
  // The load commands, whose total size places __text.
  pass("planLoadCommands", () => planLoadCommands(ctx));
  // Addresses of segments, sections, atoms and symbols.
  pass("assignAddresses", () => assignAddresses(ctx));
  // The export list.
  pass("collectExports", () => collectExports(ctx));
  // Fixups: rebases and binds at final addresses, synthetic slots included.
  pass("fixups", () => finalizeFixups(ctx));
  ctx.diag.checkpoint();
  // __DWARF sections merged from the inputs (objects' halves over the workers), with output addresses; __LINKEDIT after them.
  pass("emitDwarf", () => emitDwarf(ctx));
  ctx.diag.checkpoint();
  // LINKEDIT: every blob encoded and placed, the file allocated.
  const img = pass("planLinkedit", () => planLinkedit(ctx));
  ctx.diag.checkpoint();
  // Relocation and copy: atoms (in items over the workers), synthetic sections, chained slots, __DWARF bytes.
  pass("writeContents", () => writeContents(ctx, img));
  // The LINKEDIT blobs written.
  pass("writeLinkedit", () => writeLinkedit(ctx, img));
  // Header and load commands; LC_UUID from the finished bytes (hashed in chunks over the workers).
  pass("writeHeader", () => writeHeader(ctx, img));
  // Signature (-adhoc_codesign): page hashes (over the workers) of every byte before it, so written last.
  pass("signImage", () => signImage(ctx, img));
  ctx.diag.checkpoint();
  // Write: a temporary file renamed into place.
  pass("saveImage", () => saveImage(ctx, img));
  ctx.diag.checkpoint();
  // The link map, if asked for; if it cannot be written the link fails, and leaves no output.
  if (ctx.options.mapFile) {
    pass("writeMap", () => {
      try {
        writeMap(ctx, ctx.options.mapFile!);
      } catch (e) {
        rmSync(ctx.options.output, { force: true });
        throw e;
      }
    });
  }
}

/**
 * `-r`: the relocatable pipeline, one MH_OBJECT instead of an image (ld64's
 * `-r`; the writer hostlink's `go.o` comes from).
 */
export function linkRelocatable(ctx: LinkContext): void {
  const pass = <T>(name: string, fn: () => T): T => ctx.timer.time(name, fn);
  // Resolution: objects read, archive members pulled on demand; undefined symbols stay undefined.
  pass("loadObjects", () => loadObjects(ctx));
  ctx.diag.checkpoint();
  // The target, from the inputs' CPU type (or -arch).
  pass("chooseTarget", () => chooseTarget(ctx));
  // Sections merged by name, atoms in input order at their alignments; every atom's output address.
  const plan = pass("planObjectSections", () => planObjectSections(ctx));
  ctx.diag.checkpoint();
  // The symbol table: locals, external definitions, undefined symbols and commons, each symbol's index.
  const symtab = pass("collectObjectSymbols", () => collectObjectSymbols(ctx, plan));
  // Relocations re-emitted against the merged sections and symbols; file offsets; the file allocated.
  const obj = pass("planObjectFile", () => planObjectFile(ctx, plan, symtab));
  ctx.diag.checkpoint();
  // Section bytes: copied, section-relative fixups and __eh_frame pointers moved, DWARF offsets rebased.
  pass("writeObjectContents", () => writeObjectContents(ctx, obj));
  ctx.diag.checkpoint();
  // Header, load commands, relocation entries, symbol and string tables.
  pass("writeObjectHeader", () => writeObjectHeader(ctx, obj));
  // Write: a temporary file renamed into place.
  pass("saveObject", () => saveObject(ctx, obj));
  ctx.diag.checkpoint();
}

/**
 * External linking, as Go's `hostlink`: tsld's own stages write the Go side
 * as one relocatable `go.o` (the `-r` pipeline, Go's markers defined and laid
 * out), then the host linker links it with the `-hostobj` objects and the
 * libraries (a c-archive is written instead). `-tmpdir` keeps `go.o` and the
 * host linker's command line (`hostlink.argv`).
 */
async function linkExternal(ctx: LinkContext): Promise<void> {
  const o = ctx.options;
  // Loaded only when used.
  const { hostlink } = await import("@tsld/hostlink");
  let dir: string;
  try {
    if (o.tmpdir) mkdirSync(o.tmpdir, { recursive: true });
    dir = o.tmpdir ?? mkdtempSync(join(tmpdir(), "tsld-hostlink-"));
  } catch (e) {
    ctx.diag.error(`-tmpdir ${o.tmpdir}: ${osErrorText(e)}`);
    ctx.diag.checkpoint();
    return;
  }
  try {
    // The Go side: every input but the host objects and the libraries (TBDs, dylibs), which the host linker reads.
    const host = new Set(o.hostObjects);
    const isLibrary = (p: string): boolean => /\.(tbd|dylib)$/.test(p);
    const goInputs = o.inputs.filter((p) => !host.has(p) && !isLibrary(p));
    const hostInputs = o.inputs.filter((p) => host.has(p) || isLibrary(p));
    const goObject = join(dir, "go.o");
    const goCtx = new LinkContext(
      { ...o, relocatable: true, goObject: true, inputs: goInputs, output: goObject, libs: [], frameworks: [] },
      (w) => ctx.diag.warn(w),
      ctx.info,
    );
    // go.o: the relocatable pipeline over the Go side, markers at the head and tail of their sections.
    ctx.timer.time("goObject", () => (goInputs.length > 0 ? linkRelocatable(goCtx) : undefined));
    const objects = goInputs.length > 0 ? [goObject, ...hostInputs] : hostInputs;
    // The host linker (or, for c-archive, the archive); timed by the stage itself ("hostlink").
    hostlink(ctx, objects, {}, { dynlinking: goCtx.dynlinking, argvFile: join(dir, "hostlink.argv") });
    ctx.diag.checkpoint();
  } finally {
    if (!o.tmpdir) rmSync(dir, { recursive: true, force: true });
  }
}
