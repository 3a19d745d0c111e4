/**
 * Mach-O constants, as plain numbers.
 *
 * The values come from Apple's public headers: `mach-o/loader.h` (header
 * magic, file types, header flags, load commands, section types and
 * attributes, the dyld "compressed" info opcodes for rebase/bind/export,
 * platforms and tools of LC_BUILD_VERSION), `mach-o/nlist.h` and
 * `mach-o/stab.h` (symbol table types and n_desc bits), `mach-o/reloc.h`,
 * `mach-o/x86_64/reloc.h` and `mach-o/arm64/reloc.h` (relocation types),
 * `mach-o/fat.h` (universal files), `mach/machine.h` (CPU types) and
 * `mach-o/fixup-chains.h` (chained fixups).
 *
 * They are `export const` numbers rather than enums so that they inline and
 * tree-shake, and so that values read from a file compare with `===` without
 * conversion. Every value is the *unsigned* 32-bit value: JavaScript bit
 * operators produce signed results, so `LC_REQ_DYLD | 0x18` would be negative;
 * the constants are spelled as positive literals instead, and readers return
 * unsigned values (DataView.getUint32). When testing a bit that may be bit 31
 * (S_ATTR_PURE_INSTRUCTIONS, LC_REQ_DYLD, MH_DYLIB_IN_CACHE) compare the masked
 * result with `!== 0`, not with the constant.
 *
 * Addresses and sizes are JavaScript numbers throughout this package (values
 * below 2^53 are assumed); versions are packed `xxxx.yy.zz` as in loader.h.
 */

// ---------------------------------------------------------------------------
// Magic numbers (loader.h, fat.h)

export const MH_MAGIC = 0xfeedface;
export const MH_CIGAM = 0xcefaedfe;
export const MH_MAGIC_64 = 0xfeedfacf;
export const MH_CIGAM_64 = 0xcffaedfe;
export const FAT_MAGIC = 0xcafebabe;
export const FAT_CIGAM = 0xbebafeca;
export const FAT_MAGIC_64 = 0xcafebabf;
export const FAT_CIGAM_64 = 0xbfbafeca;

// ---------------------------------------------------------------------------
// CPU types (mach/machine.h)

export const CPU_ARCH_MASK = 0xff000000;
export const CPU_ARCH_ABI64 = 0x01000000;
export const CPU_ARCH_ABI64_32 = 0x02000000;
export const CPU_TYPE_ANY = 0xffffffff;
export const CPU_TYPE_X86 = 7;
export const CPU_TYPE_I386 = 7;
export const CPU_TYPE_X86_64 = 0x01000007;
export const CPU_TYPE_ARM = 12;
export const CPU_TYPE_ARM64 = 0x0100000c;
export const CPU_TYPE_ARM64_32 = 0x0200000c;
export const CPU_TYPE_POWERPC = 18;
export const CPU_TYPE_POWERPC64 = 0x01000012;

export const CPU_SUBTYPE_MASK = 0xff000000;
export const CPU_SUBTYPE_LIB64 = 0x80000000;
export const CPU_SUBTYPE_PTRAUTH_ABI = 0x80000000;
export const CPU_SUBTYPE_X86_ALL = 3;
export const CPU_SUBTYPE_X86_64_ALL = 3;
export const CPU_SUBTYPE_X86_ARCH1 = 4;
export const CPU_SUBTYPE_X86_64_H = 8;
export const CPU_SUBTYPE_ARM64_ALL = 0;
export const CPU_SUBTYPE_ARM64_V8 = 1;
export const CPU_SUBTYPE_ARM64E = 2;

// ---------------------------------------------------------------------------
// File types (mach_header.filetype)

export const MH_OBJECT = 0x1;
export const MH_EXECUTE = 0x2;
export const MH_FVMLIB = 0x3;
export const MH_CORE = 0x4;
export const MH_PRELOAD = 0x5;
export const MH_DYLIB = 0x6;
export const MH_DYLINKER = 0x7;
export const MH_BUNDLE = 0x8;
export const MH_DYLIB_STUB = 0x9;
export const MH_DSYM = 0xa;
export const MH_KEXT_BUNDLE = 0xb;
export const MH_FILESET = 0xc;
export const MH_GPU_EXECUTE = 0xd;
export const MH_GPU_DYLIB = 0xe;

// ---------------------------------------------------------------------------
// Header flags (mach_header.flags)

export const MH_NOUNDEFS = 0x1;
export const MH_INCRLINK = 0x2;
export const MH_DYLDLINK = 0x4;
export const MH_BINDATLOAD = 0x8;
export const MH_PREBOUND = 0x10;
export const MH_SPLIT_SEGS = 0x20;
export const MH_LAZY_INIT = 0x40;
export const MH_TWOLEVEL = 0x80;
export const MH_FORCE_FLAT = 0x100;
export const MH_NOMULTIDEFS = 0x200;
export const MH_NOFIXPREBINDING = 0x400;
export const MH_PREBINDABLE = 0x800;
export const MH_ALLMODSBOUND = 0x1000;
export const MH_SUBSECTIONS_VIA_SYMBOLS = 0x2000;
export const MH_CANONICAL = 0x4000;
export const MH_WEAK_DEFINES = 0x8000;
export const MH_BINDS_TO_WEAK = 0x10000;
export const MH_ALLOW_STACK_EXECUTION = 0x20000;
export const MH_ROOT_SAFE = 0x40000;
export const MH_SETUID_SAFE = 0x80000;
export const MH_NO_REEXPORTED_DYLIBS = 0x100000;
export const MH_PIE = 0x200000;
export const MH_DEAD_STRIPPABLE_DYLIB = 0x400000;
export const MH_HAS_TLV_DESCRIPTORS = 0x800000;
export const MH_NO_HEAP_EXECUTION = 0x1000000;
export const MH_APP_EXTENSION_SAFE = 0x02000000;
export const MH_NLIST_OUTOFSYNC_WITH_DYLDINFO = 0x04000000;
export const MH_SIM_SUPPORT = 0x08000000;
export const MH_IMPLICIT_PAGEZERO = 0x10000000;
export const MH_DYLIB_IN_CACHE = 0x80000000;

// ---------------------------------------------------------------------------
// Load commands (load_command.cmd)

export const LC_REQ_DYLD = 0x80000000;
export const LC_SEGMENT = 0x1;
export const LC_SYMTAB = 0x2;
export const LC_SYMSEG = 0x3;
export const LC_THREAD = 0x4;
export const LC_UNIXTHREAD = 0x5;
export const LC_LOADFVMLIB = 0x6;
export const LC_IDFVMLIB = 0x7;
export const LC_IDENT = 0x8;
export const LC_FVMFILE = 0x9;
export const LC_PREPAGE = 0xa;
export const LC_DYSYMTAB = 0xb;
export const LC_LOAD_DYLIB = 0xc;
export const LC_ID_DYLIB = 0xd;
export const LC_LOAD_DYLINKER = 0xe;
export const LC_ID_DYLINKER = 0xf;
export const LC_PREBOUND_DYLIB = 0x10;
export const LC_ROUTINES = 0x11;
export const LC_SUB_FRAMEWORK = 0x12;
export const LC_SUB_UMBRELLA = 0x13;
export const LC_SUB_CLIENT = 0x14;
export const LC_SUB_LIBRARY = 0x15;
export const LC_TWOLEVEL_HINTS = 0x16;
export const LC_PREBIND_CKSUM = 0x17;
export const LC_LOAD_WEAK_DYLIB = 0x80000018;
export const LC_SEGMENT_64 = 0x19;
export const LC_ROUTINES_64 = 0x1a;
export const LC_UUID = 0x1b;
export const LC_RPATH = 0x8000001c;
export const LC_CODE_SIGNATURE = 0x1d;
export const LC_SEGMENT_SPLIT_INFO = 0x1e;
export const LC_REEXPORT_DYLIB = 0x8000001f;
export const LC_LAZY_LOAD_DYLIB = 0x20;
export const LC_ENCRYPTION_INFO = 0x21;
export const LC_DYLD_INFO = 0x22;
export const LC_DYLD_INFO_ONLY = 0x80000022;
export const LC_LOAD_UPWARD_DYLIB = 0x80000023;
export const LC_VERSION_MIN_MACOSX = 0x24;
export const LC_VERSION_MIN_IPHONEOS = 0x25;
export const LC_FUNCTION_STARTS = 0x26;
export const LC_DYLD_ENVIRONMENT = 0x27;
export const LC_MAIN = 0x80000028;
export const LC_DATA_IN_CODE = 0x29;
export const LC_SOURCE_VERSION = 0x2a;
export const LC_DYLIB_CODE_SIGN_DRS = 0x2b;
export const LC_ENCRYPTION_INFO_64 = 0x2c;
export const LC_LINKER_OPTION = 0x2d;
export const LC_LINKER_OPTIMIZATION_HINT = 0x2e;
export const LC_VERSION_MIN_TVOS = 0x2f;
export const LC_VERSION_MIN_WATCHOS = 0x30;
export const LC_NOTE = 0x31;
export const LC_BUILD_VERSION = 0x32;
export const LC_DYLD_EXPORTS_TRIE = 0x80000033;
export const LC_DYLD_CHAINED_FIXUPS = 0x80000034;
export const LC_FILESET_ENTRY = 0x80000035;
export const LC_ATOM_INFO = 0x36;
export const LC_FUNCTION_VARIANTS = 0x37;
export const LC_FUNCTION_VARIANT_FIXUPS = 0x38;
export const LC_TARGET_TRIPLE = 0x39;

// ---------------------------------------------------------------------------
// Segment flags and VM protections

export const SG_HIGHVM = 0x1;
export const SG_FVMLIB = 0x2;
export const SG_NORELOC = 0x4;
export const SG_PROTECTED_VERSION_1 = 0x8;
export const SG_READ_ONLY = 0x10;

export const VM_PROT_NONE = 0x0;
export const VM_PROT_READ = 0x1;
export const VM_PROT_WRITE = 0x2;
export const VM_PROT_EXECUTE = 0x4;

// ---------------------------------------------------------------------------
// Section types (low byte of section_64.flags) and attributes

export const SECTION_TYPE = 0x000000ff;
export const SECTION_ATTRIBUTES = 0xffffff00;

export const S_REGULAR = 0x0;
export const S_ZEROFILL = 0x1;
export const S_CSTRING_LITERALS = 0x2;
export const S_4BYTE_LITERALS = 0x3;
export const S_8BYTE_LITERALS = 0x4;
export const S_LITERAL_POINTERS = 0x5;
export const S_NON_LAZY_SYMBOL_POINTERS = 0x6;
export const S_LAZY_SYMBOL_POINTERS = 0x7;
export const S_SYMBOL_STUBS = 0x8;
export const S_MOD_INIT_FUNC_POINTERS = 0x9;
export const S_MOD_TERM_FUNC_POINTERS = 0xa;
export const S_COALESCED = 0xb;
export const S_GB_ZEROFILL = 0xc;
export const S_INTERPOSING = 0xd;
export const S_16BYTE_LITERALS = 0xe;
export const S_DTRACE_DOF = 0xf;
export const S_LAZY_DYLIB_SYMBOL_POINTERS = 0x10;
export const S_THREAD_LOCAL_REGULAR = 0x11;
export const S_THREAD_LOCAL_ZEROFILL = 0x12;
export const S_THREAD_LOCAL_VARIABLES = 0x13;
export const S_THREAD_LOCAL_VARIABLE_POINTERS = 0x14;
export const S_THREAD_LOCAL_INIT_FUNCTION_POINTERS = 0x15;
export const S_INIT_FUNC_OFFSETS = 0x16;

export const SECTION_ATTRIBUTES_USR = 0xff000000;
export const S_ATTR_PURE_INSTRUCTIONS = 0x80000000;
export const S_ATTR_NO_TOC = 0x40000000;
export const S_ATTR_STRIP_STATIC_SYMS = 0x20000000;
export const S_ATTR_NO_DEAD_STRIP = 0x10000000;
export const S_ATTR_LIVE_SUPPORT = 0x08000000;
export const S_ATTR_SELF_MODIFYING_CODE = 0x04000000;
export const S_ATTR_DEBUG = 0x02000000;
export const SECTION_ATTRIBUTES_SYS = 0x00ffff00;
export const S_ATTR_SOME_INSTRUCTIONS = 0x00000400;
export const S_ATTR_EXT_RELOC = 0x00000200;
export const S_ATTR_LOC_RELOC = 0x00000100;

/** Indirect symbol table special values (loader.h, dysymtab_command). */
export const INDIRECT_SYMBOL_LOCAL = 0x80000000;
export const INDIRECT_SYMBOL_ABS = 0x40000000;

// ---------------------------------------------------------------------------
// nlist (nlist.h)

export const N_STAB = 0xe0;
export const N_PEXT = 0x10;
export const N_TYPE = 0x0e;
export const N_EXT = 0x01;

export const N_UNDF = 0x0;
export const N_ABS = 0x2;
export const N_SECT = 0xe;
export const N_PBUD = 0xc;
export const N_INDR = 0xa;

export const NO_SECT = 0;
export const MAX_SECT = 255;

export const REFERENCE_TYPE = 0x7;
export const REFERENCE_FLAG_UNDEFINED_NON_LAZY = 0;
export const REFERENCE_FLAG_UNDEFINED_LAZY = 1;
export const REFERENCE_FLAG_DEFINED = 2;
export const REFERENCE_FLAG_PRIVATE_DEFINED = 3;
export const REFERENCE_FLAG_PRIVATE_UNDEFINED_NON_LAZY = 4;
export const REFERENCE_FLAG_PRIVATE_UNDEFINED_LAZY = 5;

export const REFERENCED_DYNAMICALLY = 0x0010;
export const N_NO_DEAD_STRIP = 0x0020;
export const N_DESC_DISCARDED = 0x0020;
export const N_WEAK_REF = 0x0040;
export const N_WEAK_DEF = 0x0080;
export const N_REF_TO_WEAK = 0x0080;
export const N_ARM_THUMB_DEF = 0x0008;
export const N_SYMBOL_RESOLVER = 0x0100;
export const N_ALT_ENTRY = 0x0200;
export const N_COLD_FUNC = 0x0400;

/** Two-level namespace library ordinals kept in the high byte of n_desc. */
export const SELF_LIBRARY_ORDINAL = 0x0;
export const MAX_LIBRARY_ORDINAL = 0xfd;
export const DYNAMIC_LOOKUP_ORDINAL = 0xfe;
export const EXECUTABLE_ORDINAL = 0xff;

/** GET_LIBRARY_ORDINAL(n_desc) from nlist.h. */
export function getLibraryOrdinal(desc: number): number {
  return (desc >>> 8) & 0xff;
}

/** SET_LIBRARY_ORDINAL(n_desc, ordinal) from nlist.h: returns the new n_desc. */
export function setLibraryOrdinal(desc: number, ordinal: number): number {
  return (desc & 0x00ff) | ((ordinal & 0xff) << 8);
}

/** GET_COMM_ALIGN(n_desc) from nlist.h (alignment of a common symbol, log2). */
export function getCommAlign(desc: number): number {
  return (desc >>> 8) & 0x0f;
}

// ---------------------------------------------------------------------------
// Debugger symbol table types (stab.h); these are whole n_type values with
// some N_STAB bit set.

export const N_GSYM = 0x20;
export const N_FNAME = 0x22;
export const N_FUN = 0x24;
export const N_STSYM = 0x26;
export const N_LCSYM = 0x28;
export const N_BNSYM = 0x2e;
export const N_AST = 0x32;
export const N_OPT = 0x3c;
export const N_RSYM = 0x40;
export const N_SLINE = 0x44;
export const N_ENSYM = 0x4e;
export const N_SSYM = 0x60;
export const N_SO = 0x64;
export const N_OSO = 0x66;
export const N_LIB = 0x68;
export const N_LSYM = 0x80;
export const N_BINCL = 0x82;
export const N_SOL = 0x84;
export const N_PARAMS = 0x86;
export const N_VERSION = 0x88;
export const N_OLEVEL = 0x8a;
export const N_PSYM = 0xa0;
export const N_EINCL = 0xa2;
export const N_ENTRY = 0xa4;
export const N_LBRAC = 0xc0;
export const N_EXCL = 0xc2;
export const N_RBRAC = 0xe0;
export const N_BCOMM = 0xe2;
export const N_ECOMM = 0xe4;
export const N_ECOML = 0xe8;
export const N_LENG = 0xfe;
export const N_PC = 0x30;

// ---------------------------------------------------------------------------
// Relocations (reloc.h, x86_64/reloc.h, arm64/reloc.h)

export const R_ABS = 0;
export const R_SCATTERED = 0x80000000;

export const X86_64_RELOC_UNSIGNED = 0;
export const X86_64_RELOC_SIGNED = 1;
export const X86_64_RELOC_BRANCH = 2;
export const X86_64_RELOC_GOT_LOAD = 3;
export const X86_64_RELOC_GOT = 4;
export const X86_64_RELOC_SUBTRACTOR = 5;
export const X86_64_RELOC_SIGNED_1 = 6;
export const X86_64_RELOC_SIGNED_2 = 7;
export const X86_64_RELOC_SIGNED_4 = 8;
export const X86_64_RELOC_TLV = 9;

export const ARM64_RELOC_UNSIGNED = 0;
export const ARM64_RELOC_SUBTRACTOR = 1;
export const ARM64_RELOC_BRANCH26 = 2;
export const ARM64_RELOC_PAGE21 = 3;
export const ARM64_RELOC_PAGEOFF12 = 4;
export const ARM64_RELOC_GOT_LOAD_PAGE21 = 5;
export const ARM64_RELOC_GOT_LOAD_PAGEOFF12 = 6;
export const ARM64_RELOC_POINTER_TO_GOT = 7;
export const ARM64_RELOC_TLVP_LOAD_PAGE21 = 8;
export const ARM64_RELOC_TLVP_LOAD_PAGEOFF12 = 9;
export const ARM64_RELOC_ADDEND = 10;
export const ARM64_RELOC_AUTHENTICATED_POINTER = 11;

// ---------------------------------------------------------------------------
// dyld compressed info: rebase opcodes (loader.h, dyld_info_command)

export const REBASE_TYPE_POINTER = 1;
export const REBASE_TYPE_TEXT_ABSOLUTE32 = 2;
export const REBASE_TYPE_TEXT_PCREL32 = 3;

export const REBASE_OPCODE_MASK = 0xf0;
export const REBASE_IMMEDIATE_MASK = 0x0f;
export const REBASE_OPCODE_DONE = 0x00;
export const REBASE_OPCODE_SET_TYPE_IMM = 0x10;
export const REBASE_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB = 0x20;
export const REBASE_OPCODE_ADD_ADDR_ULEB = 0x30;
export const REBASE_OPCODE_ADD_ADDR_IMM_SCALED = 0x40;
export const REBASE_OPCODE_DO_REBASE_IMM_TIMES = 0x50;
export const REBASE_OPCODE_DO_REBASE_ULEB_TIMES = 0x60;
export const REBASE_OPCODE_DO_REBASE_ADD_ADDR_ULEB = 0x70;
export const REBASE_OPCODE_DO_REBASE_ULEB_TIMES_SKIPPING_ULEB = 0x80;

// ---------------------------------------------------------------------------
// dyld compressed info: bind opcodes

export const BIND_TYPE_POINTER = 1;
export const BIND_TYPE_TEXT_ABSOLUTE32 = 2;
export const BIND_TYPE_TEXT_PCREL32 = 3;

export const BIND_SPECIAL_DYLIB_SELF = 0;
export const BIND_SPECIAL_DYLIB_MAIN_EXECUTABLE = -1;
export const BIND_SPECIAL_DYLIB_FLAT_LOOKUP = -2;
export const BIND_SPECIAL_DYLIB_WEAK_LOOKUP = -3;

export const BIND_SYMBOL_FLAGS_WEAK_IMPORT = 0x1;
export const BIND_SYMBOL_FLAGS_NON_WEAK_DEFINITION = 0x8;

export const BIND_OPCODE_MASK = 0xf0;
export const BIND_IMMEDIATE_MASK = 0x0f;
export const BIND_OPCODE_DONE = 0x00;
export const BIND_OPCODE_SET_DYLIB_ORDINAL_IMM = 0x10;
export const BIND_OPCODE_SET_DYLIB_ORDINAL_ULEB = 0x20;
export const BIND_OPCODE_SET_DYLIB_SPECIAL_IMM = 0x30;
export const BIND_OPCODE_SET_SYMBOL_TRAILING_FLAGS_IMM = 0x40;
export const BIND_OPCODE_SET_TYPE_IMM = 0x50;
export const BIND_OPCODE_SET_ADDEND_SLEB = 0x60;
export const BIND_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB = 0x70;
export const BIND_OPCODE_ADD_ADDR_ULEB = 0x80;
export const BIND_OPCODE_DO_BIND = 0x90;
export const BIND_OPCODE_DO_BIND_ADD_ADDR_ULEB = 0xa0;
export const BIND_OPCODE_DO_BIND_ADD_ADDR_IMM_SCALED = 0xb0;
export const BIND_OPCODE_DO_BIND_ULEB_TIMES_SKIPPING_ULEB = 0xc0;
export const BIND_OPCODE_THREADED = 0xd0;
export const BIND_SUBOPCODE_THREADED_SET_BIND_ORDINAL_TABLE_SIZE_ULEB = 0x00;
export const BIND_SUBOPCODE_THREADED_APPLY = 0x01;

// ---------------------------------------------------------------------------
// Export trie terminal flags

export const EXPORT_SYMBOL_FLAGS_KIND_MASK = 0x03;
export const EXPORT_SYMBOL_FLAGS_KIND_REGULAR = 0x00;
export const EXPORT_SYMBOL_FLAGS_KIND_THREAD_LOCAL = 0x01;
export const EXPORT_SYMBOL_FLAGS_KIND_ABSOLUTE = 0x02;
export const EXPORT_SYMBOL_FLAGS_WEAK_DEFINITION = 0x04;
export const EXPORT_SYMBOL_FLAGS_REEXPORT = 0x08;
export const EXPORT_SYMBOL_FLAGS_STUB_AND_RESOLVER = 0x10;
export const EXPORT_SYMBOL_FLAGS_STATIC_RESOLVER = 0x20;

// ---------------------------------------------------------------------------
// LC_BUILD_VERSION platforms and tools

export const PLATFORM_UNKNOWN = 0;
export const PLATFORM_ANY = 0xffffffff;
export const PLATFORM_MACOS = 1;
export const PLATFORM_IOS = 2;
export const PLATFORM_TVOS = 3;
export const PLATFORM_WATCHOS = 4;
export const PLATFORM_BRIDGEOS = 5;
export const PLATFORM_MACCATALYST = 6;
export const PLATFORM_IOSSIMULATOR = 7;
export const PLATFORM_TVOSSIMULATOR = 8;
export const PLATFORM_WATCHOSSIMULATOR = 9;
export const PLATFORM_DRIVERKIT = 10;
export const PLATFORM_VISIONOS = 11;
export const PLATFORM_VISIONOSSIMULATOR = 12;
export const PLATFORM_FIRMWARE = 13;
export const PLATFORM_SEPOS = 14;

export const TOOL_CLANG = 1;
export const TOOL_SWIFT = 2;
export const TOOL_LD = 3;
export const TOOL_LLD = 4;

// ---------------------------------------------------------------------------
// LC_DATA_IN_CODE entry kinds

export const DICE_KIND_DATA = 0x0001;
export const DICE_KIND_JUMP_TABLE8 = 0x0002;
export const DICE_KIND_JUMP_TABLE16 = 0x0003;
export const DICE_KIND_JUMP_TABLE32 = 0x0004;
export const DICE_KIND_ABS_JUMP_TABLE32 = 0x0005;

// ---------------------------------------------------------------------------
// Chained fixups (fixup-chains.h)

export const DYLD_CHAINED_PTR_ARM64E = 1;
export const DYLD_CHAINED_PTR_64 = 2;
export const DYLD_CHAINED_PTR_32 = 3;
export const DYLD_CHAINED_PTR_32_CACHE = 4;
export const DYLD_CHAINED_PTR_32_FIRMWARE = 5;
export const DYLD_CHAINED_PTR_64_OFFSET = 6;
export const DYLD_CHAINED_PTR_ARM64E_KERNEL = 7;
export const DYLD_CHAINED_PTR_64_KERNEL_CACHE = 8;
export const DYLD_CHAINED_PTR_ARM64E_USERLAND = 9;
export const DYLD_CHAINED_PTR_ARM64E_FIRMWARE = 10;
export const DYLD_CHAINED_PTR_X86_64_KERNEL_CACHE = 11;
export const DYLD_CHAINED_PTR_ARM64E_USERLAND24 = 12;

export const DYLD_CHAINED_IMPORT = 1;
export const DYLD_CHAINED_IMPORT_ADDEND = 2;
export const DYLD_CHAINED_IMPORT_ADDEND64 = 3;

export const DYLD_CHAINED_PTR_START_NONE = 0xffff;
export const DYLD_CHAINED_PTR_START_MULTI = 0x8000;
export const DYLD_CHAINED_PTR_START_LAST = 0x8000;

// ---------------------------------------------------------------------------
// Thread state for LC_UNIXTHREAD (mach/i386/thread_status.h, arm/thread_status.h)

export const x86_THREAD_STATE64 = 4;
export const x86_THREAD_STATE64_COUNT = 42;
export const ARM_THREAD_STATE64 = 6;
export const ARM_THREAD_STATE64_COUNT = 68;

// ---------------------------------------------------------------------------
// Structure sizes (bytes)

export const MACH_HEADER_SIZE = 28;
export const MACH_HEADER_64_SIZE = 32;
export const LOAD_COMMAND_SIZE = 8;
export const SEGMENT_COMMAND_64_SIZE = 72;
export const SECTION_64_SIZE = 80;
export const NLIST_64_SIZE = 16;
export const RELOCATION_INFO_SIZE = 8;
export const SYMTAB_COMMAND_SIZE = 24;
export const DYSYMTAB_COMMAND_SIZE = 80;
export const DYLD_INFO_COMMAND_SIZE = 48;
export const ENTRY_POINT_COMMAND_SIZE = 24;
export const UUID_COMMAND_SIZE = 24;
export const LINKEDIT_DATA_COMMAND_SIZE = 16;
export const SOURCE_VERSION_COMMAND_SIZE = 16;
export const VERSION_MIN_COMMAND_SIZE = 16;
export const BUILD_VERSION_COMMAND_SIZE = 24;
export const BUILD_TOOL_VERSION_SIZE = 8;
export const DYLIB_COMMAND_SIZE = 24;
export const DYLINKER_COMMAND_SIZE = 12;
export const RPATH_COMMAND_SIZE = 12;
export const LINKER_OPTION_COMMAND_SIZE = 12;
export const NOTE_COMMAND_SIZE = 40;
export const ENCRYPTION_INFO_COMMAND_64_SIZE = 24;
export const DATA_IN_CODE_ENTRY_SIZE = 8;
export const FAT_HEADER_SIZE = 8;
export const FAT_ARCH_SIZE = 20;
export const FAT_ARCH_64_SIZE = 32;
export const DYLD_CHAINED_FIXUPS_HEADER_SIZE = 28;

// ---------------------------------------------------------------------------
// Helpers

/** The section type (low byte) of a section's flags. */
export function sectionType(flags: number): number {
  return flags & SECTION_TYPE;
}

/** The section attribute bits of a section's flags, as an unsigned number. */
export function sectionAttributes(flags: number): number {
  return (flags & SECTION_ATTRIBUTES) >>> 0;
}

/** Whether a section occupies no file space (S_ZEROFILL, S_GB_ZEROFILL, S_THREAD_LOCAL_ZEROFILL). */
export function isZerofill(flags: number): boolean {
  const t = flags & SECTION_TYPE;
  return t === S_ZEROFILL || t === S_GB_ZEROFILL || t === S_THREAD_LOCAL_ZEROFILL;
}

/** Packs a version as loader.h does: xxxx.yy.zz nibbles = major<<16 | minor<<8 | patch. */
export function packVersion(major: number, minor = 0, patch = 0): number {
  if (major < 0 || major > 0xffff || minor < 0 || minor > 0xff || patch < 0 || patch > 0xff) {
    throw new RangeError(`version ${major}.${minor}.${patch} does not fit xxxx.yy.zz`);
  }
  return ((major << 16) | (minor << 8) | patch) >>> 0;
}

/** Parses "11", "11.0" or "11.0.1" into a packed version. */
export function parseVersion(s: string): number {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(s.trim());
  if (m === null) throw new RangeError(`malformed version "${s}"`);
  return packVersion(Number(m[1]), m[2] === undefined ? 0 : Number(m[2]), m[3] === undefined ? 0 : Number(m[3]));
}

/** Formats a packed version: "11.0" when the patch is 0 (as ld64 prints it), else "11.0.1". */
export function formatVersion(packed: number): string {
  const major = packed >>> 16;
  const minor = (packed >>> 8) & 0xff;
  const patch = packed & 0xff;
  return patch === 0 ? `${major}.${minor}` : `${major}.${minor}.${patch}`;
}

/**
 * Packs an LC_SOURCE_VERSION value A.B.C.D.E (24.10.10.10.10 bits) into a
 * bigint, as `ld -current_version`-style strings are packed by ld64.
 */
export function packSourceVersion(a: number, b = 0, c = 0, d = 0, e = 0): bigint {
  if (a > 0xffffff || b > 0x3ff || c > 0x3ff || d > 0x3ff || e > 0x3ff || Math.min(a, b, c, d, e) < 0) {
    throw new RangeError(`source version ${a}.${b}.${c}.${d}.${e} out of range`);
  }
  return (BigInt(a) << 40n) | (BigInt(b) << 30n) | (BigInt(c) << 20n) | (BigInt(d) << 10n) | BigInt(e);
}

/** Formats an LC_SOURCE_VERSION value as "A.B.C.D.E" (trailing ".0" parts dropped, at least A.B). */
export function formatSourceVersion(v: bigint): string {
  const parts = [
    Number(v >> 40n),
    Number((v >> 30n) & 0x3ffn),
    Number((v >> 20n) & 0x3ffn),
    Number((v >> 10n) & 0x3ffn),
    Number(v & 0x3ffn),
  ];
  while (parts.length > 2 && parts[parts.length - 1] === 0) parts.pop();
  return parts.join(".");
}
