/**
 * The data-layout stage: dead stripping, output sections and their order,
 * GOT/stub/TLV-pointer slots, segment and section addresses (after the load
 * commands of `load-commands.ts`, whose size fixes where `__text` starts),
 * and the export list.
 * After it, every atom and symbol has its final address; nothing is written.
 */
import {
  AtomFlag,
  type LinkContext,
  type OutputSection,
  SymFlag,
  SymKind,
  type SyntheticSection,
  defaultAdhocCodesign,
  targetForName,
} from "@tsld/core";
import {
  LC_LOAD_DYLINKER,
  LC_RPATH,
  S_ATTR_PURE_INSTRUCTIONS,
  S_ATTR_SOME_INSTRUCTIONS,
  S_LAZY_SYMBOL_POINTERS,
  S_NON_LAZY_SYMBOL_POINTERS,
  S_ATTR_DEBUG,
  S_REGULAR,
  S_SYMBOL_STUBS,
  S_THREAD_LOCAL_REGULAR,
  S_THREAD_LOCAL_VARIABLE_POINTERS,
  S_THREAD_LOCAL_ZEROFILL,
  SG_NORELOC,
  SG_READ_ONLY,
  VM_PROT_EXECUTE,
  VM_PROT_READ,
  VM_PROT_WRITE,
  isZerofill,
  sectionType,
} from "@tsld/macho-format";
import { GO_MARKERS } from "@tsld/objfile";
import { isDylibLike, isLazyStub, lazyBinding, needsRebase } from "./dyn.js";
import { LazyPointerSection, PointerSlotsSection, StubHelperSection, StubsSection } from "./synthetic.js";
import { type SectionMap, boundarySection, boundarySegment, orderedSections } from "./sections.js";
import { layoutWithThunks } from "./thunks.js";

/** The target: chosen by the inputs' CPU type, else by `-arch`; -fixup_chains needs a slidable image. */
export function chooseTarget(ctx: LinkContext): void {
  if (ctx.options.fixupChains && !needsRebase(ctx)) ctx.diag.error("-fixup_chains is incompatible with -no_pie");
  const byName = targetForName(ctx.options.arch);
  if (!byName) {
    ctx.diag.error(`-arch ${ctx.options.arch}: tsld links x86_64 and arm64`);
    ctx.diag.checkpoint();
  }
  ctx.target ??= byName!;
  ctx.options.adhocCodesign ??= defaultAdhocCodesign(ctx.options.arch);
}

/**
 * The synthetic sections' slots and chunks (`synthetic.ts`): GOT slots,
 * stubs (lazily bound ones first), the stub helper and `__dyld_private`,
 * lazy and TLV pointers, each output section sized by its chunk.
 */
export function createSynthetic(ctx: LinkContext, map: SectionMap): void {
  const T = ctx.syms;
  const eager = !lazyBinding(ctx);
  // dyld_stub_binder: the lazy stubs' helper jumps through its GOT slot.
  let anyLazy = false;
  for (let s = 1; s < T.count; s++) {
    if (T.has(s, SymFlag.NeedsStub)) {
      if (isLazyStub(ctx, s)) anyLazy = true;
      if (eager) T.set(s, SymFlag.NeedsGot);
    }
  }
  let binder = 0;
  if (anyLazy) {
    binder = T.lookup("dyld_stub_binder");
    if (binder === 0 || T.kind[binder] !== SymKind.Dylib) {
      ctx.diag.error("dyld_stub_binder is not exported by any linked library (is libSystem linked?)");
      return;
    }
    T.set(binder, SymFlag.NeedsGot);
  }
  for (let s = 1; s < T.count; s++) {
    if (T.has(s, SymFlag.NeedsGot)) T.gotIndex[s] = ctx.got.push(s) - 1;
    if (T.has(s, SymFlag.NeedsTlvPtr)) T.tlvPtrIndex[s] = ctx.tlvPtrs.push(s) - 1;
  }
  // Stubs: lazily bound ones first (stub i < nlazy has stub-helper entry i), then weak ones.
  let nlazy = 0;
  for (let pass = 0; pass < 2; pass++)
    for (let s = 1; s < T.count; s++) {
      if (!T.has(s, SymFlag.NeedsStub) || isLazyStub(ctx, s) !== (pass === 0)) continue;
      T.stubIndex[s] = ctx.stubs.push(s) - 1;
      if (pass === 0) nlazy++;
    }
  const synth = (
    seg: string,
    sect: string,
    flags: number,
    align: number,
    kind: OutputSection["synthetic"],
    chunk: SyntheticSection,
  ): OutputSection => {
    const o = map.get(seg, sect, flags, align);
    o.synthetic = kind;
    o.chunk = chunk;
    o.size = chunk.size();
    return o;
  };
  if (ctx.got.length)
    synth("__DATA_CONST", "__got", S_NON_LAZY_SYMBOL_POINTERS, 3, "got", new PointerSlotsSection(ctx, ctx.got));
  if (ctx.stubs.length) {
    const st = synth(
      "__TEXT",
      "__stubs",
      S_SYMBOL_STUBS | S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS,
      1,
      "stubs",
      new StubsSection(ctx),
    );
    st.reserved2 = ctx.target.stubSize;
    if (!eager)
      synth("__DATA", "__la_symbol_ptr", S_LAZY_SYMBOL_POINTERS, 3, "la_symbol_ptr", new LazyPointerSection(ctx));
    if (nlazy > 0) {
      synth(
        "__TEXT",
        "__stub_helper",
        S_REGULAR | S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS,
        2,
        "stub_helper",
        new StubHelperSection(ctx, nlazy),
      );
      // __dyld_private: the image cache word the stub helper pushes.
      const d = map.get("__DATA", "__data", S_REGULAR, 3);
      const sid = ctx.sections.add(-1, "__DATA", "__data");
      ctx.sections.firstAtom[sid] = ctx.atoms.count;
      ctx.sections.atomCount[sid] = 1;
      const a = ctx.atoms.add(sid, -1, 0, 8, 3, AtomFlag.Live | AtomFlag.Synthetic);
      d.atoms.unshift(a);
      ctx.synth.dyldPrivateAtom = a;
    }
  }
  if (ctx.tlvPtrs.length)
    synth(
      "__DATA",
      "__thread_ptrs",
      S_THREAD_LOCAL_VARIABLE_POINTERS,
      3,
      "thread_ptrs",
      new PointerSlotsSection(ctx, ctx.tlvPtrs),
    );
}

export function numberDylibs(ctx: LinkContext): void {
  const T = ctx.syms;
  for (const s of T.globals()) {
    if (T.kind[s] !== SymKind.Dylib) continue;
    const d = ctx.file(T.file[s]!).dylib!;
    if (!d.bundleLoader) d.used = true;
  }
  // Every dylib on the command line gets a load command, except, under
  // -dead_strip_dylibs (always, for the Go-style CLI), those nothing binds
  // to; libSystem, needed and re-exported dylibs are always kept.
  for (const f of ctx.files) {
    const d = f.dylib;
    if (f.kind !== "dylib" || d!.parent !== undefined || d!.bundleLoader) continue;
    if (ctx.dylibs.some((id) => ctx.file(id).dylib!.installName === d!.installName)) continue; // named twice
    const isSystem = d!.installName.startsWith("/usr/lib/libSystem");
    const keep = !ctx.options.deadStripDylibs || d!.loadKind === "needed" || d!.loadKind === "reexport";
    if (d!.used || isSystem || keep) d!.ordinal = ctx.dylibs.push(f.id);
  }
}

export function buildSegments(ctx: LinkContext, map: SectionMap): void {
  const sections = orderedSections(map);
  const exe = !isDylibLike(ctx);
  // -pagezero_size 0: no __PAGEZERO at all (ld64).
  if (exe && ctx.options.pagezeroSize > 0)
    ctx.segments.push({
      name: "__PAGEZERO",
      vmaddr: 0,
      vmsize: ctx.options.pagezeroSize,
      fileoff: 0,
      filesize: 0,
      maxprot: 0,
      initprot: 0,
      flags: 0,
      sections: [],
    });
  // __TEXT always exists: it maps the header.
  const segOf = (name: string): number => {
    let i = ctx.segments.findIndex((s) => s.name === name);
    if (i < 0) {
      const prot = name === "__TEXT" ? VM_PROT_READ | VM_PROT_EXECUTE : VM_PROT_READ | VM_PROT_WRITE;
      i =
        ctx.segments.push({
          name,
          vmaddr: 0,
          vmsize: 0,
          fileoff: 0,
          filesize: 0,
          maxprot: prot,
          initprot: prot,
          flags: name === "__DATA_CONST" ? SG_READ_ONLY : 0,
          sections: [],
        }) - 1;
    }
    return i;
  };
  segOf("__TEXT");
  for (const o of sections) {
    o.id = ctx.outSections.length;
    o.segment = segOf(o.segname);
    ctx.outSections.push(o);
    ctx.segments[o.segment]!.sections.push(o.id);
    for (const a of o.atoms) ctx.atoms.out[a] = o.id;
  }
  // segment$start/end$SEG of a segment nothing fills: an empty segment (as ld64 and lld do).
  const T = ctx.syms;
  for (const s of T.globals()) {
    if (T.kind[s] !== SymKind.Synthetic) continue;
    const seg = boundarySegment(T.name(s));
    if (seg && seg !== "__LINKEDIT" && seg !== "__DWARF" && seg !== "__PAGEZERO") segOf(seg);
  }
  planDwarfSegment(ctx);
  ctx.segments.push({
    name: "__LINKEDIT",
    vmaddr: 0,
    vmsize: 0,
    fileoff: 0,
    filesize: 0,
    maxprot: VM_PROT_READ,
    initprot: VM_PROT_READ,
    flags: 0,
    sections: [],
  });
  // Indirect-symbol table starts (reserved1) for stubs, GOT, lazy pointers, TLV pointers.
  let ind = 0;
  for (const o of ctx.outSections) {
    const syms = o.chunk?.indirectSymbols;
    if (syms === undefined) continue;
    o.reserved1 = ind;
    ind += syms.length;
  }
}

/** The `__DWARF` sections tsld merges, in output order (others, and `__apple_*`, are dropped). */
export const DWARF_SECTIONS = [
  "__debug_abbrev",
  "__debug_info",
  "__debug_str",
  "__debug_line",
  "__debug_ranges",
  "__debug_loc",
] as const;

/**
 * Plans the `__DWARF` segment (Go's internal darwin link writes one too):
 * one S_ATTR_DEBUG section per DWARF section some input has, sized 0 here;
 * the dwarf stage fills bytes, sizes and offsets. Unmapped (vmsize 0,
 * maxprot/initprot 0, SG_NORELOC): dyld accepts filesize > vmsize only for
 * such a segment and then skips it. Omitted by `-w`/`-s`.
 */
function planDwarfSegment(ctx: LinkContext): void {
  if (ctx.options.debugInfo !== "dwarf" || ctx.options.stripSymbols) return;
  const S = ctx.sections;
  const have = new Set<string>();
  for (let i = 0; i < S.count; i++) if (S.segnames[i] === "__DWARF" && S.file[i]! >= 0) have.add(S.sectnames[i]!);
  const names = DWARF_SECTIONS.filter((n) => have.has(n));
  if (!names.includes("__debug_info") || !names.includes("__debug_abbrev")) return;
  const seg =
    ctx.segments.push({
      name: "__DWARF",
      vmaddr: 0,
      vmsize: 0,
      fileoff: 0,
      filesize: 0,
      maxprot: 0,
      initprot: 0,
      flags: SG_NORELOC,
      sections: [],
    }) - 1;
  for (const sectname of names) {
    const o: OutputSection = {
      id: ctx.outSections.length,
      segname: "__DWARF",
      sectname,
      flags: S_REGULAR | S_ATTR_DEBUG,
      align: 0,
      addr: 0,
      size: 0,
      fileOff: 0,
      atoms: [],
      synthetic: "dwarf",
      segment: seg,
      reserved1: 0,
      reserved2: 0,
    };
    ctx.outSections.push(o);
    ctx.segments[seg]!.sections.push(o.id);
  }
}

/**
 * The TLV template is the block dyld copies into each thread's storage:
 * every S_THREAD_LOCAL_REGULAR section, then every S_THREAD_LOCAL_ZEROFILL
 * one, and a descriptor's offset is its variable's distance from the
 * template's start. dyld allocates that block aligned to the template's
 * alignment, so each TLV section takes the strictest alignment of all of
 * them (as lld does): the template then starts on that boundary and a
 * variable's offset in it keeps the variable's own alignment.
 */
export function alignTlvTemplate(ctx: LinkContext): void {
  const tlv = ctx.outSections.filter((o) => {
    const t = sectionType(o.flags);
    return t === S_THREAD_LOCAL_REGULAR || t === S_THREAD_LOCAL_ZEROFILL;
  });
  const align = Math.max(0, ...tlv.map((o) => o.align));
  for (const o of tlv) o.align = align;
}

/** Maximum path length dyld allows (MAXPATHLEN). */
const MAXPATHLEN = 1024;

/**
 * Bytes reserved after the load commands: `-headerpad`, or with
 * `-headerpad_max_install_names` enough for every dylib path (own and
 * loaded) to grow to MAXPATHLEN, whichever is more (ld64's rule).
 */
function headerPadding(ctx: LinkContext): number {
  let pad = ctx.options.headerpad;
  if (ctx.options.headerpadMaxInstallNames) {
    let grow = 0;
    for (const l of ctx.loadCommands)
      if (l.path !== undefined && l.cmd !== LC_LOAD_DYLINKER && l.cmd !== LC_RPATH) grow += MAXPATHLEN - l.path.length;
    pad = Math.max(pad, grow);
  }
  return pad;
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

export function assignAddresses(ctx: LinkContext): void {
  const page = ctx.target.pageSize;
  const A = ctx.atoms;
  const exe = !isDylibLike(ctx);
  const base = exe ? ctx.options.pagezeroSize : ctx.options.imageBase;
  ctx.synth.imageBase = base;
  const sizeofcmds = ctx.loadCommands.reduce((n, l) => n + l.size(), 0);
  let vm = base;
  let file = 0;
  for (const seg of ctx.segments) {
    if (seg.name === "__PAGEZERO" || seg.name === "__LINKEDIT" || seg.name === "__DWARF") continue;
    seg.vmaddr = vm;
    seg.fileoff = file;
    let addr = vm;
    let fileEnd = file;
    if (seg.name === "__TEXT") addr += 32 + sizeofcmds + headerPadding(ctx);
    for (const id of seg.sections) {
      const o = ctx.outSections[id]!;
      addr = alignUp(addr, 2 ** o.align);
      o.addr = addr;
      // Code too large for one branch's reach: laid out with range-extension thunks.
      const withThunks = layoutWithThunks(ctx, o, addr);
      if (withThunks >= 0) o.size = withThunks;
      else if (o.synthetic === "none" || o.atoms.length > 0) {
        let off = 0;
        for (const a of o.atoms) {
          off = alignUp(off, 2 ** A.align[a]!);
          A.address[a] = addr + off;
          off += A.size[a]!;
        }
        if (o.synthetic === "none") o.size = off;
        else o.size = Math.max(o.size, off);
      }
      addr += o.size;
      if (!isZerofill(o.flags)) {
        o.fileOff = file + (o.addr - vm);
        fileEnd = file + (addr - vm);
      }
    }
    // In __TEXT, keep the last page of code out of the same file page as __DATA.
    // A segment with no bytes (only empty sections, or none) takes no address space.
    seg.vmsize = addr === vm ? 0 : alignUp(addr - vm, page);
    seg.filesize = alignUp(fileEnd - file, page);
    if (seg.name === "__TEXT" && seg.filesize < seg.vmsize) seg.filesize = seg.vmsize;
    // x86_64 code reaches data with 32-bit displacements: no image segment may pass 4 GiB.
    if (seg.vmsize > 0x100000000)
      ctx.diag.error(`segment ${seg.name} would be 0x${seg.vmsize.toString(16)} bytes (over 4 GiB)`);
    vm += seg.vmsize;
    file += seg.filesize;
  }
  const le = ctx.segments[ctx.segments.length - 1]!;
  le.vmaddr = vm;
  le.fileoff = file;
  // __DWARF (unmapped) starts where __LINKEDIT would; the dwarf stage sizes it and moves __LINKEDIT's fileoff.
  const dw = ctx.segments.find((s) => s.name === "__DWARF");
  if (dw) {
    dw.vmaddr = vm;
    dw.fileoff = file;
    for (const id of dw.sections) {
      ctx.outSections[id]!.addr = vm;
      ctx.outSections[id]!.fileOff = file;
    }
  }
  // Synthetic addresses.
  for (const o of ctx.outSections) {
    if (o.synthetic === "got") ctx.synth.got = o.addr;
    else if (o.synthetic === "stubs") ctx.synth.stubs = o.addr;
    else if (o.synthetic === "stub_helper") ctx.synth.stubHelper = o.addr;
    else if (o.synthetic === "la_symbol_ptr") ctx.synth.laSymbolPtr = o.addr;
    else if (o.synthetic === "thread_ptrs") ctx.synth.threadPtrs = o.addr;
    const t = sectionType(o.flags);
    if (
      (t === S_THREAD_LOCAL_REGULAR || t === S_THREAD_LOCAL_ZEROFILL) &&
      (ctx.synth.tlvTemplate === 0 || o.addr < ctx.synth.tlvTemplate)
    )
      ctx.synth.tlvTemplate = o.addr;
  }
  if (ctx.synth.dyldPrivateAtom >= 0) ctx.synth.dyldPrivate = A.address[ctx.synth.dyldPrivateAtom]!;
  // Folded literal atoms share their canonical atom's address.
  for (let a = 0; a < A.count; a++) if (A.foldedInto[a] !== a) A.address[a] = A.address[A.foldedInto[a]!]!;
  defineSyntheticSymbols(ctx);
}

/** Addresses of header symbols, section$/segment$ bounds and zero-sized Go markers. */
function defineSyntheticSymbols(ctx: LinkContext): void {
  const T = ctx.syms;
  const find = (seg: string, sect: string): OutputSection | undefined =>
    ctx.outSections.find((o) => o.segname === seg && o.sectname === sect);
  for (const s of T.globals()) {
    if (T.kind[s] !== SymKind.Synthetic) continue;
    const n = T.name(s);
    let addr = 0;
    if (n.startsWith("__mh_") || n === "___dso_handle") addr = ctx.synth.imageBase;
    else if (boundarySection(n)) {
      const [seg, sect] = boundarySection(n)!;
      const o = find(seg, sect);
      if (o) addr = n.startsWith("section$start$") ? o.addr : o.addr + o.size;
    } else if (boundarySegment(n)) {
      const g = ctx.segments.find((x) => x.name === boundarySegment(n));
      if (g) addr = n.startsWith("segment$start$") ? g.vmaddr : g.vmaddr + g.vmsize;
    } else {
      const m = GO_MARKERS.find((x) => x.start === n || x.end === n);
      if (m) {
        const o = find(m.segment, m.section);
        if (o) addr = m.start === n ? o.addr : o.addr + o.size;
      }
    }
    T.address[s] = addr;
  }
}

export function collectExports(ctx: LinkContext): void {
  const T = ctx.syms;
  const out: number[] = [];
  for (const s of T.globals()) {
    const k = T.kind[s];
    if (
      k !== SymKind.Defined &&
      k !== SymKind.Absolute &&
      !(k === SymKind.Synthetic && T.name(s) === "__mh_execute_header")
    )
      continue;
    if (T.has(s, SymFlag.PrivateExtern)) continue;
    if (k === SymKind.Defined && !(ctx.atoms.flags[T.atom[s]!]! & 1)) continue;
    T.set(s, SymFlag.Exported);
    out.push(s);
  }
  out.sort((a, b) => (T.name(a) < T.name(b) ? -1 : T.name(a) > T.name(b) ? 1 : 0));
  for (const s of out) ctx.exports.push(s);
}
