/**
 * The pipeline, named once: a flat list of passes over one link context,
 * each establishing what the next one reads (Go's `ld.Main`, mold's
 * `main.cc`), each under its own timer (`-v` prints them all). Errors
 * accumulate within a pass and stop the link at the next checkpoint.
 */
import { rmSync } from "node:fs";
import type { LinkContext } from "@tsld/core";
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
  numberDylibs,
  planLoadCommands,
  planUnwind,
  pruneUnwind,
  scanRelocations,
} from "@tsld/layout";
import { planLinkedit, saveImage, signImage, writeContents, writeHeader, writeLinkedit, writeMap } from "@tsld/macho";
import { chooseArch, loadObjects } from "@tsld/objfile";

export async function link(ctx: LinkContext): Promise<void> {
  const pass = <T>(name: string, fn: () => T): T => ctx.timer.time(name, fn);
  if (ctx.options.linkmode === "external") {
    // The arch (-arch, else the first input object's CPU type) for the host linker's -target.
    pass("chooseArch", () => chooseArch(ctx));
    // The host linker does the whole link (Go's hostlink); loaded only when used.
    const { hostlink } = await import("@tsld/hostlink");
    hostlink(ctx); // timed by the stage itself ("hostlink")
    ctx.diag.checkpoint();
    return;
  }
  // Resolution: every input read into one symbol table (relocations decoded once); archive members pulled.
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
  // __DWARF sections merged from the inputs, with output addresses; __LINKEDIT placed after them.
  pass("emitDwarf", () => emitDwarf(ctx));
  ctx.diag.checkpoint();
  // LINKEDIT: every blob encoded and placed, the file allocated.
  const img = pass("planLinkedit", () => planLinkedit(ctx));
  ctx.diag.checkpoint();
  // Relocation and copy: atoms, synthetic sections, chained slots, __DWARF bytes.
  pass("writeContents", () => writeContents(ctx, img));
  // The LINKEDIT blobs written.
  pass("writeLinkedit", () => writeLinkedit(ctx, img));
  // Header and load commands; LC_UUID from the finished bytes.
  pass("writeHeader", () => writeHeader(ctx, img));
  // Signature (-adhoc_codesign): page hashes of every byte before it, so written last.
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
