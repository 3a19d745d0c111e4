/**
 * The architecture interface: everything that differs between x86_64 and
 * arm64 (Go's `ld.Arch` hook struct, lld's `TargetInfo`, mold's
 * `arch-*.cc`). Stages call through `ctx.arch`; implementations live with the
 * stage that needs them (relocation in layout), registered by name.
 */
import type { LinkContext } from "./context.js";
import type { AtomId } from "./ids.js";
import type { ArchName } from "./options.js";

export interface Arch {
  name: ArchName;
  cputype: number;
  cpusubtype: number;
  /** VM page size: 4 KiB on x86_64, 16 KiB on arm64. */
  pageSize: number;
  /** Size of one `__stubs` entry, the `__stub_helper` header and entry. */
  stubSize: number;
  stubHelperHeaderSize: number;
  stubHelperEntrySize: number;

  /**
   * Scans one atom's relocations: marks symbols that need GOT slots, stubs or
   * TLV pointers, and reports bad relocations. Runs before addresses exist.
   */
  scanRelocs(ctx: LinkContext, atom: AtomId): void;

  /**
   * Applies one atom's relocations to its bytes, already copied to
   * `out[outOff..]`, and records the dynamic fixups (rebases, binds) they need.
   */
  relocate(ctx: LinkContext, atom: AtomId, out: Uint8Array, outOff: number): void;

  /** One stub: jump through the pointer at `ptrAddr`. */
  writeStub(out: Uint8Array, off: number, stubAddr: number, ptrAddr: number): void;
  /** The stub helper header: pushes the image cache, jumps to dyld_stub_binder. */
  writeStubHelperHeader(out: Uint8Array, off: number, addr: number, dyldPrivate: number, binderPtr: number): void;
  /** One stub helper entry: pushes the lazy-bind offset, jumps to the header. */
  writeStubHelperEntry(out: Uint8Array, off: number, addr: number, lazyBindOffset: number, header: number): void;
}
