/*
 * macho-exec — run x86_64 Mach-O images on x86_64 Linux, and arm64 Mach-O
 * images on aarch64 Linux (in practice: under qemu-aarch64 on an x86_64 host).
 * The same source builds both loaders; each runs images of its own CPU type.
 *
 * What dyld does, and what this loader imitates
 * ---------------------------------------------
 * On macOS the kernel maps only the main executable and dyld; everything
 * else is done in user space by dyld (Apple's open-source `dyld` project:
 * dyld2.cpp / ImageLoaderMachO*.cpp in older releases, Loader.cpp,
 * MachOAnalyzer.cpp, MachOLoaded.cpp and threadLocalVariables.c /
 * threadLocalHelpers.s in dyld 4).  The file format is described by
 * <mach-o/loader.h> (mach header, load commands, segments, sections and the
 * REBASE_/BIND_/EXPORT_SYMBOL_ opcode and flag values) and
 * <mach-o/fixup-chains.h> (LC_DYLD_CHAINED_FIXUPS).  The steps are:
 *
 *  1. Validate the mach_header_64 and walk the load commands (each
 *     `cmdsize` bytes, 8-byte multiples, all inside `sizeofcmds`).
 *  2. Map the image.  dyld reserves one contiguous VM range for all
 *     segments (except __PAGEZERO, which only exists to make page zero
 *     inaccessible for executables), so the whole image moves by a single
 *     "slide", then maps each segment's file bytes and zero-fills the tail
 *     (vmsize > filesize).  We copy instead of mmap-ing the file.
 *  3. Load dependent dylibs (LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB,
 *     LC_REEXPORT_DYLIB, ...) recursively, expanding @rpath (LC_RPATH),
 *     @loader_path and @executable_path.  libSystem and friends do not exist
 *     here: their symbols are resolved against the host glibc instead
 *     (Darwin's x86_64 calling convention is the System V ABI, so C code
 *     compiled against glibc headers can call glibc directly).
 *  4. Fix up the image.  Classic images carry LC_DYLD_INFO(_ONLY): byte-coded
 *     programs for rebasing (add the slide to every absolute pointer),
 *     binding (store a symbol's address), weak binding (coalesce weak
 *     definitions across images) and lazy binding (normally performed on the
 *     first call through a stub by dyld_stub_binder; we do it eagerly).
 *     Newer images carry LC_DYLD_CHAINED_FIXUPS instead: each pointer
 *     location holds either a rebase target or an import index, plus the
 *     distance to the next fixup on the same page.
 *     Symbols are looked up in the target image's export trie
 *     (LC_DYLD_EXPORTS_TRIE or the export part of LC_DYLD_INFO), using
 *     "two-level namespace" ordinals (the bind names the dylib to search) or
 *     flat lookup (every image in load order, main executable first).
 *  5. Set up thread-local variables: every descriptor in an
 *     S_THREAD_LOCAL_VARIABLES section gets dyld's tlv_get_addr thunk and a
 *     per-image pthread key; the per-thread block is created on first use
 *     from the S_THREAD_LOCAL_REGULAR / _ZEROFILL template.
 *  6. Apply the final segment protections, run initializers
 *     (S_MOD_INIT_FUNC_POINTERS, S_INIT_FUNC_OFFSETS), dependencies first,
 *     and call main(argc, argv, envp, apple) from LC_MAIN, then exit().
 *  7. Serve dlopen/dlsym/dlerror/dlclose, _NSGetExecutablePath and
 *     friends to the program itself (these must win over glibc's versions).
 *
 * Every read of the file is bounds-checked: a malformed image produces a
 * message and exit status 126; a missing symbol or dependency exit status
 * 127.  MACHO_EXEC_TRACE=1 logs every rebase and bind.
 */
#define _GNU_SOURCE
#if defined(__x86_64__)
#include <cpuid.h>
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* ---- Mach-O constants (values from <mach-o/loader.h>) ------------------ */

#define MH_MAGIC_64 0xfeedfacfu
#define MH_CIGAM_64 0xcffaedfeu
#define MH_MAGIC 0xfeedfaceu
#define MH_CIGAM 0xcefaedfeu
#define FAT_MAGIC 0xcafebabeu
#define FAT_MAGIC_64 0xcafebabfu
#define CPU_TYPE_X86_64 0x01000007u
#define CPU_TYPE_ARM64 0x0100000cu

/* The CPU type of the images this build of the loader runs. */
#if defined(__x86_64__)
#define MX_CPU_TYPE CPU_TYPE_X86_64
#define MX_CPU_NAME "x86_64"
#define MX_CPU_CONST "CPU_TYPE_X86_64"
#elif defined(__aarch64__)
#define MX_CPU_TYPE CPU_TYPE_ARM64
#define MX_CPU_NAME "arm64"
#define MX_CPU_CONST "CPU_TYPE_ARM64"
#else
#error "macho-exec runs x86_64 images on x86_64 hosts and arm64 images on aarch64 hosts"
#endif

#define MH_EXECUTE 0x2
#define MH_DYLIB 0x6
#define MH_BUNDLE 0x8

#define MH_BIND_AT_LOAD 0x8
#define MH_TWOLEVEL 0x80
#define MH_PIE 0x200000

#define LC_REQ_DYLD 0x80000000u
#define LC_SYMTAB 0x2
#define LC_UNIXTHREAD 0x5
#define LC_LOAD_DYLIB 0xc
#define LC_ID_DYLIB 0xd
#define LC_LOAD_WEAK_DYLIB (0x18 | LC_REQ_DYLD)
#define LC_SEGMENT_64 0x19
#define LC_RPATH (0x1c | LC_REQ_DYLD)
#define LC_REEXPORT_DYLIB (0x1f | LC_REQ_DYLD)
#define LC_LAZY_LOAD_DYLIB 0x20
#define LC_DYLD_INFO 0x22
#define LC_DYLD_INFO_ONLY (0x22 | LC_REQ_DYLD)
#define LC_LOAD_UPWARD_DYLIB (0x23 | LC_REQ_DYLD)
#define LC_MAIN (0x28 | LC_REQ_DYLD)
#define LC_DYLD_EXPORTS_TRIE (0x33 | LC_REQ_DYLD)
#define LC_DYLD_CHAINED_FIXUPS (0x34 | LC_REQ_DYLD)

#define SG_READ_ONLY 0x10

#define SECTION_TYPE 0xff
#define S_ZEROFILL 0x1
#define S_MOD_INIT_FUNC_POINTERS 0x9
#define S_GB_ZEROFILL 0xc
#define S_THREAD_LOCAL_REGULAR 0x11
#define S_THREAD_LOCAL_ZEROFILL 0x12
#define S_THREAD_LOCAL_VARIABLES 0x13
#define S_INIT_FUNC_OFFSETS 0x16

#define VM_PROT_READ 1
#define VM_PROT_WRITE 2
#define VM_PROT_EXECUTE 4

#define REBASE_TYPE_POINTER 1
#define REBASE_TYPE_TEXT_ABSOLUTE32 2
#define REBASE_TYPE_TEXT_PCREL32 3
#define REBASE_OPCODE_MASK 0xF0
#define REBASE_IMMEDIATE_MASK 0x0F
#define REBASE_OPCODE_DONE 0x00
#define REBASE_OPCODE_SET_TYPE_IMM 0x10
#define REBASE_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB 0x20
#define REBASE_OPCODE_ADD_ADDR_ULEB 0x30
#define REBASE_OPCODE_ADD_ADDR_IMM_SCALED 0x40
#define REBASE_OPCODE_DO_REBASE_IMM_TIMES 0x50
#define REBASE_OPCODE_DO_REBASE_ULEB_TIMES 0x60
#define REBASE_OPCODE_DO_REBASE_ADD_ADDR_ULEB 0x70
#define REBASE_OPCODE_DO_REBASE_ULEB_TIMES_SKIPPING_ULEB 0x80

#define BIND_TYPE_POINTER 1
#define BIND_TYPE_TEXT_ABSOLUTE32 2
#define BIND_TYPE_TEXT_PCREL32 3
#define BIND_SPECIAL_DYLIB_SELF 0
#define BIND_SPECIAL_DYLIB_MAIN_EXECUTABLE (-1)
#define BIND_SPECIAL_DYLIB_FLAT_LOOKUP (-2)
#define BIND_SPECIAL_DYLIB_WEAK_LOOKUP (-3)
#define BIND_SYMBOL_FLAGS_WEAK_IMPORT 0x1
#define BIND_SYMBOL_FLAGS_NON_WEAK_DEFINITION 0x8
#define BIND_OPCODE_MASK 0xF0
#define BIND_IMMEDIATE_MASK 0x0F
#define BIND_OPCODE_DONE 0x00
#define BIND_OPCODE_SET_DYLIB_ORDINAL_IMM 0x10
#define BIND_OPCODE_SET_DYLIB_ORDINAL_ULEB 0x20
#define BIND_OPCODE_SET_DYLIB_SPECIAL_IMM 0x30
#define BIND_OPCODE_SET_SYMBOL_TRAILING_FLAGS_IMM 0x40
#define BIND_OPCODE_SET_TYPE_IMM 0x50
#define BIND_OPCODE_SET_ADDEND_SLEB 0x60
#define BIND_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB 0x70
#define BIND_OPCODE_ADD_ADDR_ULEB 0x80
#define BIND_OPCODE_DO_BIND 0x90
#define BIND_OPCODE_DO_BIND_ADD_ADDR_ULEB 0xA0
#define BIND_OPCODE_DO_BIND_ADD_ADDR_IMM_SCALED 0xB0
#define BIND_OPCODE_DO_BIND_ULEB_TIMES_SKIPPING_ULEB 0xC0
#define BIND_OPCODE_THREADED 0xD0

#define EXPORT_SYMBOL_FLAGS_KIND_MASK 0x03
#define EXPORT_SYMBOL_FLAGS_KIND_REGULAR 0x00
#define EXPORT_SYMBOL_FLAGS_KIND_THREAD_LOCAL 0x01
#define EXPORT_SYMBOL_FLAGS_KIND_ABSOLUTE 0x02
#define EXPORT_SYMBOL_FLAGS_WEAK_DEFINITION 0x04
#define EXPORT_SYMBOL_FLAGS_REEXPORT 0x08
#define EXPORT_SYMBOL_FLAGS_STUB_AND_RESOLVER 0x10

/* <mach-o/fixup-chains.h> */
#define DYLD_CHAINED_PTR_64 2
#define DYLD_CHAINED_PTR_64_OFFSET 6
#define DYLD_CHAINED_PTR_START_NONE 0xFFFF
#define DYLD_CHAINED_PTR_START_MULTI 0x8000
#define DYLD_CHAINED_IMPORT 1
#define DYLD_CHAINED_IMPORT_ADDEND 2
#define DYLD_CHAINED_IMPORT_ADDEND64 3

/* <mach-o/nlist.h> */
#define N_STAB 0xe0
#define N_TYPE 0x0e
#define N_EXT 0x01
#define N_SECT 0xe
#define N_ABS 0x2
#define N_WEAK_DEF 0x0080

#define EXIT_MALFORMED 126
#define EXIT_NOTFOUND 127

/* ---- data structures ---------------------------------------------------- */

typedef struct {
  char name[17];
  uint64_t vmaddr, vmsize, fileoff, filesize;
  uint32_t maxprot, initprot, flags;
  bool mapped;
} Seg;

typedef struct {
  char sectname[17], segname[17];
  uint64_t addr, size;
  uint32_t offset, align, flags;
} Sect;

enum { DEP_NORMAL, DEP_WEAK, DEP_REEXPORT, DEP_UPWARD, DEP_LAZY };

struct Image;
typedef struct {
  const char *name; /* install name from the load command */
  int kind;
  struct Image *image; /* resolved Mach-O image, or &g_host, or NULL (missing weak) */
} Dep;

typedef struct Image {
  char *path;     /* path used to open it (shown in messages) */
  char *realpath; /* canonical path, for de-duplication */
  char *install_name;
  uint8_t *filebuf; /* whole file (freed never: exports are read from it) */
  const uint8_t *file;
  size_t filesize;
  uint32_t filetype, flags, ncmds, sizeofcmds;
  Seg *segs;
  int nsegs;
  Sect *sects;
  int nsects;
  Dep *deps;
  int ndeps;
  char **rpaths;
  int nrpaths;
  struct Image *parent; /* image whose dependency caused this load */
  /* mapping */
  uint64_t min_vmaddr, max_vmaddr, hdr_vmaddr;
  uint8_t *map;
  size_t maplen;
  int64_t slide;
  uint8_t *base; /* runtime address of the mach header */
  /* LC_DYLD_INFO */
  bool has_dyld_info;
  uint32_t rebase_off, rebase_size, bind_off, bind_size, weak_bind_off, weak_bind_size,
      lazy_bind_off, lazy_bind_size, export_off, export_size;
  bool has_chained;
  uint32_t chained_off, chained_size;
  bool has_symtab;
  uint32_t symoff, nsyms, stroff, strsize;
  bool has_main;
  uint64_t entryoff;
  bool has_unixthread;
  uint64_t thread_rip;
  /* state */
  bool is_host;
  bool fixed_up, initialized, initializing;
  int refcount;
} Image;

/* ---- globals ------------------------------------------------------------ */

static bool g_trace;
static bool g_lazy; /* MACHO_EXEC_LAZY=1: bind lazy pointers on first call, through dyld_stub_binder */
static int g_argc;
static char **g_argv;
static char **g_envp;
static char *g_apple[2];
static char *g_main_path;     /* as given on the command line */
static char *g_main_realpath; /* absolute */
static Image **g_images;
static int g_nimages, g_capimages;
static Image g_host = {.path = "<host C library>", .is_host = true};
static pthread_mutex_t g_lock;
int mx_have_avx; /* read by mx_tlv_get_addr */
static uintptr_t mx_stack_chk_guard;

static __thread jmp_buf *t_catch; /* set while dlopen() runs: errors longjmp */
static __thread char t_errmsg[2048];
static __thread char t_dlerror[2048];
static __thread bool t_dlerror_set;
static __thread uint64_t t_last_bind; /* value of the last write_bind, for mx_lazy_bind */

extern void mx_tlv_get_addr(void);
extern void mx_chkstk_darwin(void);
extern void mx_start_unixthread(void *entry, void *sp) __attribute__((noreturn));

/* ---- errors ------------------------------------------------------------- */

static void __attribute__((noreturn, format(printf, 2, 3))) fail(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t_errmsg, sizeof t_errmsg, fmt, ap);
  va_end(ap);
  if (t_catch) longjmp(*t_catch, code);
  fflush(stdout);
  fprintf(stderr, "macho-exec: %s\n", t_errmsg);
  exit(code);
}

#define malformed(img, ...) malformed_(img, __VA_ARGS__)
static void __attribute__((noreturn, format(printf, 2, 3))) malformed_(const Image *img, const char *fmt, ...) {
  char buf[1536];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  fail(EXIT_MALFORMED, "%s: malformed image: %s", img->path, buf);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) fail(EXIT_MALFORMED, "out of memory (%zu bytes)", n);
  return p;
}
static void *xcalloc(size_t a, size_t b) {
  void *p = calloc(a ? a : 1, b ? b : 1);
  if (!p) fail(EXIT_MALFORMED, "out of memory");
  return p;
}
static char *xstrdup(const char *s) {
  char *p = strdup(s);
  if (!p) fail(EXIT_MALFORMED, "out of memory");
  return p;
}

#define TRACE(...)                                                                                 \
  do {                                                                                             \
    if (g_trace) fprintf(stderr, "macho-exec: " __VA_ARGS__);                                      \
  } while (0)

/* ---- bounds-checked file reads ------------------------------------------ */

static bool range_ok(uint64_t off, uint64_t size, uint64_t limit) {
  return off <= limit && size <= limit - off;
}

static uint32_t rd32(const Image *img, uint64_t off) {
  if (!range_ok(off, 4, img->filesize)) malformed(img, "read of 4 bytes at file offset 0x%llx beyond end of file", (unsigned long long)off);
  uint32_t v;
  memcpy(&v, img->file + off, 4);
  return v;
}
static uint64_t rd64(const Image *img, uint64_t off) {
  if (!range_ok(off, 8, img->filesize)) malformed(img, "read of 8 bytes at file offset 0x%llx beyond end of file", (unsigned long long)off);
  uint64_t v;
  memcpy(&v, img->file + off, 8);
  return v;
}
static uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Byte-stream cursor for opcode streams and tries. */
typedef struct {
  const Image *img;
  const uint8_t *start, *p, *end;
  const char *what;
} Cursor;

static void cur_oob(Cursor *c) {
  malformed(c->img, "%s out of bounds (offset 0x%zx of 0x%zx)", c->what, (size_t)(c->p - c->start),
            (size_t)(c->end - c->start));
}
static uint8_t cur_byte(Cursor *c) {
  if (c->p >= c->end) cur_oob(c);
  return *c->p++;
}
static uint64_t cur_uleb(Cursor *c) {
  uint64_t v = 0;
  unsigned shift = 0;
  for (;;) {
    uint8_t b = cur_byte(c);
    if (shift >= 64 || (shift == 63 && (b & 0x7e)))
      malformed(c->img, "%s: uleb128 too large", c->what);
    v |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80)) break;
  }
  return v;
}
static int64_t cur_sleb(Cursor *c) {
  int64_t v = 0;
  unsigned shift = 0;
  uint8_t b;
  do {
    b = cur_byte(c);
    if (shift >= 64) malformed(c->img, "%s: sleb128 too large", c->what);
    v |= (int64_t)((uint64_t)(b & 0x7f) << shift);
    shift += 7;
  } while (b & 0x80);
  if (shift < 64 && (b & 0x40)) v |= -((int64_t)1 << shift);
  return v;
}
static const char *cur_cstr(Cursor *c) {
  const char *s = (const char *)c->p;
  const uint8_t *z = memchr(c->p, 0, (size_t)(c->end - c->p));
  if (!z) malformed(c->img, "%s: unterminated string", c->what);
  c->p = z + 1;
  return s;
}

/* ---- image registry ----------------------------------------------------- */

static void register_image(Image *img) {
  if (g_nimages == g_capimages) {
    int n = g_capimages ? g_capimages * 2 : 16;
    Image **a = realloc(g_images, (size_t)n * sizeof *a);
    if (!a) fail(EXIT_MALFORMED, "out of memory");
    g_images = a;
    g_capimages = n;
  }
  g_images[g_nimages++] = img;
}

static Image *find_loaded(const char *realp, const char *install_name) {
  for (int i = 0; i < g_nimages; i++) {
    Image *m = g_images[i];
    if (realp && m->realpath && strcmp(m->realpath, realp) == 0) return m;
    if (install_name && m->install_name && strcmp(m->install_name, install_name) == 0) return m;
  }
  return NULL;
}

static bool is_valid_image(const void *h) {
  if (h == &g_host) return true;
  for (int i = 0; i < g_nimages; i++)
    if (g_images[i] == h) return true;
  return false;
}

/* ---- parsing ------------------------------------------------------------- */

static const char *lc_string(const Image *img, uint64_t lcoff, uint32_t cmdsize, uint32_t fixed, uint32_t stroff,
                             const char *what) {
  if (stroff < fixed || stroff >= cmdsize)
    malformed(img, "%s string offset %u outside its load command (cmdsize %u)", what, stroff, cmdsize);
  const uint8_t *s = img->file + lcoff + stroff;
  if (!memchr(s, 0, cmdsize - stroff)) malformed(img, "%s string not NUL-terminated inside its load command", what);
  return (const char *)s;
}

static void check_linkedit(const Image *img, uint32_t off, uint32_t size, const char *what) {
  if (!range_ok(off, size, img->filesize))
    malformed(img, "%s (offset 0x%x, size 0x%x) extends beyond end of file (0x%zx bytes)", what, off, size,
              img->filesize);
}

static void copy_name16(char dst[17], const uint8_t *src) {
  memcpy(dst, src, 16);
  dst[16] = 0;
}

static bool section_is_zerofill(uint32_t flags) {
  uint32_t t = flags & SECTION_TYPE;
  return t == S_ZEROFILL || t == S_GB_ZEROFILL || t == S_THREAD_LOCAL_ZEROFILL;
}

static void parse_image(Image *img) {
  const uint8_t *f = img->file;
  size_t n = img->filesize;
  if (n < 4) malformed(img, "file too short for a Mach-O header (%zu bytes; truncated?)", n);
  uint32_t magic;
  memcpy(&magic, f, 4);
  if (magic != MH_MAGIC_64) {
    if (magic == MH_MAGIC || magic == MH_CIGAM) malformed(img, "32-bit Mach-O (magic 0x%08x) is not supported", magic);
    if (magic == MH_CIGAM_64) malformed(img, "big-endian Mach-O (magic 0x%08x) is not supported", magic);
    malformed(img, "bad magic 0x%08x (expected MH_MAGIC_64 0xfeedfacf)", magic);
  }
  if (n < 32) malformed(img, "file too short for a mach_header_64 (%zu bytes; truncated?)", n);
  uint32_t cputype = rd32(img, 4);
  if (cputype != MX_CPU_TYPE)
    malformed(img, "wrong cputype 0x%x%s (expected " MX_CPU_CONST " 0x%x; %s)", cputype,
              cputype == CPU_TYPE_ARM64 ? " (arm64)" : cputype == CPU_TYPE_X86_64 ? " (x86_64)" : "", MX_CPU_TYPE,
              cputype == CPU_TYPE_ARM64    ? "run arm64 images with the aarch64 loader, `build.sh --arch arm64`"
              : cputype == CPU_TYPE_X86_64 ? "run x86_64 images with the x86_64 loader, `build.sh`"
                                           : "unsupported CPU");
  img->filetype = rd32(img, 12);
  img->ncmds = rd32(img, 16);
  img->sizeofcmds = rd32(img, 20);
  img->flags = rd32(img, 24);
  if (img->filetype != MH_EXECUTE && img->filetype != MH_DYLIB && img->filetype != MH_BUNDLE)
    malformed(img, "unsupported filetype %u (expected MH_EXECUTE, MH_DYLIB or MH_BUNDLE)", img->filetype);
  uint64_t lcend = 32 + (uint64_t)img->sizeofcmds;
  if (lcend > n)
    malformed(img, "load commands (sizeofcmds %u) extend beyond end of file (%zu bytes; truncated?)", img->sizeofcmds,
              n);

  /* first pass: count */
  int nsegs = 0, nsects = 0, ndeps = 0, nrpaths = 0;
  uint64_t off = 32;
  for (uint32_t i = 0; i < img->ncmds; i++) {
    if (off + 8 > lcend)
      malformed(img, "load command %u at offset 0x%llx overruns the load command area (sizeofcmds %u)", i,
                (unsigned long long)off, img->sizeofcmds);
    uint32_t cmd = rd32(img, off), cmdsize = rd32(img, off + 4);
    if (cmdsize < 8 || cmdsize % 8 != 0)
      malformed(img, "load command %u (cmd 0x%x) has cmdsize %u, not a non-zero multiple of 8", i, cmd, cmdsize);
    if (off + cmdsize > lcend)
      malformed(img, "load command %u (cmd 0x%x, cmdsize %u) overruns the load command area (sizeofcmds %u)", i, cmd,
                cmdsize, img->sizeofcmds);
    if (cmd == LC_SEGMENT_64) {
      if (cmdsize < 72) malformed(img, "LC_SEGMENT_64 (load command %u) too small (cmdsize %u)", i, cmdsize);
      uint32_t ns = rd32(img, off + 64);
      if ((uint64_t)ns * 80 + 72 > cmdsize)
        malformed(img, "LC_SEGMENT_64 (load command %u) has %u sections that do not fit in cmdsize %u", i, ns,
                  cmdsize);
      nsegs++;
      nsects += (int)ns;
    } else if (cmd == LC_LOAD_DYLIB || cmd == LC_LOAD_WEAK_DYLIB || cmd == LC_REEXPORT_DYLIB ||
               cmd == LC_LOAD_UPWARD_DYLIB || cmd == LC_LAZY_LOAD_DYLIB) {
      ndeps++;
    } else if (cmd == LC_RPATH) {
      nrpaths++;
    }
    off += cmdsize;
  }
  img->segs = xcalloc((size_t)nsegs, sizeof(Seg));
  img->sects = xcalloc((size_t)nsects, sizeof(Sect));
  img->deps = xcalloc((size_t)ndeps, sizeof(Dep));
  img->rpaths = xcalloc((size_t)nrpaths, sizeof(char *));

  /* second pass: decode */
  off = 32;
  for (uint32_t i = 0; i < img->ncmds; i++) {
    uint32_t cmd = rd32(img, off), cmdsize = rd32(img, off + 4);
    switch (cmd) {
    case LC_SEGMENT_64: {
      Seg *s = &img->segs[img->nsegs++];
      copy_name16(s->name, f + off + 8);
      s->vmaddr = rd64(img, off + 24);
      s->vmsize = rd64(img, off + 32);
      s->fileoff = rd64(img, off + 40);
      s->filesize = rd64(img, off + 48);
      s->maxprot = rd32(img, off + 56);
      s->initprot = rd32(img, off + 60);
      uint32_t ns = rd32(img, off + 64);
      s->flags = rd32(img, off + 68);
      if (!range_ok(s->fileoff, s->filesize, n))
        malformed(img, "segment %s fileoff 0x%llx + filesize 0x%llx extends beyond end of file (0x%zx bytes)", s->name,
                  (unsigned long long)s->fileoff, (unsigned long long)s->filesize, n);
      /* dyld's rule (mach_o::Header::validSegment): filesize may exceed vmsize only for an
       * unmapped segment, vmsize 0 and initprot 0 (a __DWARF or __LLVM segment); dyld then
       * skips the segment, its sections included. */
      int unmapped = s->vmsize == 0 && s->initprot == 0;
      if (s->filesize > s->vmsize && !unmapped)
        malformed(img, "segment %s filesize 0x%llx exceeds vmsize 0x%llx", s->name, (unsigned long long)s->filesize,
                  (unsigned long long)s->vmsize);
      if (s->vmaddr + s->vmsize < s->vmaddr) malformed(img, "segment %s vm range wraps around", s->name);
      s->mapped = s->vmsize != 0 && !(strcmp(s->name, "__PAGEZERO") == 0 ||
                                      (s->filesize == 0 && s->initprot == 0 && s->maxprot == 0 && s->vmaddr == 0));
      for (uint32_t k = 0; k < ns; k++) {
        uint64_t so = off + 72 + (uint64_t)k * 80;
        Sect *x = &img->sects[img->nsects++];
        copy_name16(x->sectname, f + so);
        copy_name16(x->segname, f + so + 16);
        x->addr = rd64(img, so + 32);
        x->size = rd64(img, so + 40);
        x->offset = rd32(img, so + 48);
        x->align = rd32(img, so + 52);
        x->flags = rd32(img, so + 64);
        if (!unmapped && (x->addr < s->vmaddr || x->size > s->vmsize || x->addr - s->vmaddr > s->vmsize - x->size))
          malformed(img, "section %s,%s (addr 0x%llx size 0x%llx) outside segment %s (0x%llx-0x%llx)", x->segname,
                    x->sectname, (unsigned long long)x->addr, (unsigned long long)x->size, s->name,
                    (unsigned long long)s->vmaddr, (unsigned long long)(s->vmaddr + s->vmsize));
        if (!section_is_zerofill(x->flags) && x->size && !range_ok(x->offset, x->size, n))
          malformed(img, "section %s,%s file range (offset 0x%x size 0x%llx) extends beyond end of file", x->segname,
                    x->sectname, x->offset, (unsigned long long)x->size);
        if (x->align > 15) malformed(img, "section %s,%s has absurd alignment 2^%u", x->segname, x->sectname, x->align);
      }
      break;
    }
    case LC_LOAD_DYLIB:
    case LC_LOAD_WEAK_DYLIB:
    case LC_REEXPORT_DYLIB:
    case LC_LOAD_UPWARD_DYLIB:
    case LC_LAZY_LOAD_DYLIB: {
      if (cmdsize < 24) malformed(img, "dylib load command %u too small (cmdsize %u)", i, cmdsize);
      Dep *d = &img->deps[img->ndeps++];
      d->name = lc_string(img, off, cmdsize, 24, rd32(img, off + 8), "dylib install name");
      d->kind = cmd == LC_LOAD_WEAK_DYLIB     ? DEP_WEAK
                : cmd == LC_REEXPORT_DYLIB    ? DEP_REEXPORT
                : cmd == LC_LOAD_UPWARD_DYLIB ? DEP_UPWARD
                : cmd == LC_LAZY_LOAD_DYLIB   ? DEP_LAZY
                                              : DEP_NORMAL;
      break;
    }
    case LC_ID_DYLIB:
      if (cmdsize < 24) malformed(img, "LC_ID_DYLIB too small (cmdsize %u)", cmdsize);
      img->install_name = (char *)lc_string(img, off, cmdsize, 24, rd32(img, off + 8), "LC_ID_DYLIB");
      break;
    case LC_RPATH:
      if (cmdsize < 12) malformed(img, "LC_RPATH too small (cmdsize %u)", cmdsize);
      img->rpaths[img->nrpaths++] = (char *)lc_string(img, off, cmdsize, 12, rd32(img, off + 8), "LC_RPATH");
      break;
    case LC_DYLD_INFO:
    case LC_DYLD_INFO_ONLY:
      if (cmdsize < 48) malformed(img, "LC_DYLD_INFO too small (cmdsize %u)", cmdsize);
      img->has_dyld_info = true;
      img->rebase_off = rd32(img, off + 8);
      img->rebase_size = rd32(img, off + 12);
      img->bind_off = rd32(img, off + 16);
      img->bind_size = rd32(img, off + 20);
      img->weak_bind_off = rd32(img, off + 24);
      img->weak_bind_size = rd32(img, off + 28);
      img->lazy_bind_off = rd32(img, off + 32);
      img->lazy_bind_size = rd32(img, off + 36);
      img->export_off = rd32(img, off + 40);
      img->export_size = rd32(img, off + 44);
      check_linkedit(img, img->rebase_off, img->rebase_size, "rebase info");
      check_linkedit(img, img->bind_off, img->bind_size, "bind info");
      check_linkedit(img, img->weak_bind_off, img->weak_bind_size, "weak bind info");
      check_linkedit(img, img->lazy_bind_off, img->lazy_bind_size, "lazy bind info");
      check_linkedit(img, img->export_off, img->export_size, "export trie");
      break;
    case LC_DYLD_CHAINED_FIXUPS:
      if (cmdsize < 16) malformed(img, "LC_DYLD_CHAINED_FIXUPS too small (cmdsize %u)", cmdsize);
      img->has_chained = true;
      img->chained_off = rd32(img, off + 8);
      img->chained_size = rd32(img, off + 12);
      check_linkedit(img, img->chained_off, img->chained_size, "chained fixups");
      break;
    case LC_DYLD_EXPORTS_TRIE:
      if (cmdsize < 16) malformed(img, "LC_DYLD_EXPORTS_TRIE too small (cmdsize %u)", cmdsize);
      img->export_off = rd32(img, off + 8);
      img->export_size = rd32(img, off + 12);
      check_linkedit(img, img->export_off, img->export_size, "export trie");
      break;
    case LC_SYMTAB:
      if (cmdsize < 24) malformed(img, "LC_SYMTAB too small (cmdsize %u)", cmdsize);
      img->has_symtab = true;
      img->symoff = rd32(img, off + 8);
      img->nsyms = rd32(img, off + 12);
      img->stroff = rd32(img, off + 16);
      img->strsize = rd32(img, off + 20);
      check_linkedit(img, img->symoff, img->nsyms * 16u, "symbol table");
      if ((uint64_t)img->nsyms * 16 > UINT32_MAX) malformed(img, "symbol table too large");
      check_linkedit(img, img->stroff, img->strsize, "string table");
      break;
    case LC_MAIN:
      if (cmdsize < 24) malformed(img, "LC_MAIN too small (cmdsize %u)", cmdsize);
      img->has_main = true;
      img->entryoff = rd64(img, off + 8);
      break;
    case LC_UNIXTHREAD: {
      /* thread_command: flavor, count, state.  x86_THREAD_STATE64 = 4 with 42 words, rip is register #16;
       * ARM_THREAD_STATE64 = 6 with 68 words (x0-x28, fp, lr, sp, pc, cpsr), pc is 64-bit word #32. */
#if defined(__x86_64__)
      const uint32_t want_flavor = 4, want_count = 42, pc_word = 16;
      const char *state_name = "x86_THREAD_STATE64";
#else
      const uint32_t want_flavor = 6, want_count = 68, pc_word = 32;
      const char *state_name = "ARM_THREAD_STATE64";
#endif
      uint64_t p = off + 8;
      while (p + 8 <= off + cmdsize) {
        uint32_t flavor = rd32(img, p), count = rd32(img, p + 4);
        if ((uint64_t)count * 4 > off + cmdsize - p - 8)
          malformed(img, "LC_UNIXTHREAD thread state overruns its load command");
        if (flavor == want_flavor && count >= want_count) {
          img->has_unixthread = true;
          img->thread_rip = rd64(img, p + 8 + (uint64_t)pc_word * 8);
        }
        p += 8 + (uint64_t)count * 4;
        if (count == 0) break;
      }
      if (!img->has_unixthread) malformed(img, "LC_UNIXTHREAD without an %s", state_name);
      break;
    }
    default:
      if (cmd & LC_REQ_DYLD)
        malformed(img, "load command %u: unknown command 0x%x has LC_REQ_DYLD set (required to run the image)", i, cmd);
      break;
    }
    off += cmdsize;
  }

  /* segment sanity */
  bool any = false;
  img->min_vmaddr = UINT64_MAX;
  img->max_vmaddr = 0;
  bool have_hdr = false;
  for (int i = 0; i < img->nsegs; i++) {
    Seg *s = &img->segs[i];
    if (s->fileoff == 0 && s->filesize > 0 && !have_hdr) {
      img->hdr_vmaddr = s->vmaddr;
      have_hdr = true;
      if (s->filesize < 32 + (uint64_t)img->sizeofcmds)
        malformed(img, "segment %s maps the header but is smaller than the load commands", s->name);
    }
    if (!s->mapped) continue;
    any = true;
    if (s->vmaddr < img->min_vmaddr) img->min_vmaddr = s->vmaddr;
    if (s->vmaddr + s->vmsize > img->max_vmaddr) img->max_vmaddr = s->vmaddr + s->vmsize;
    if (s->vmaddr & 0xfff) malformed(img, "segment %s vmaddr 0x%llx not page aligned", s->name, (unsigned long long)s->vmaddr);
    for (int j = 0; j < i; j++) {
      Seg *t = &img->segs[j];
      if (t->mapped && s->vmaddr < t->vmaddr + t->vmsize && t->vmaddr < s->vmaddr + s->vmsize)
        malformed(img, "segments %s and %s overlap", t->name, s->name);
    }
  }
  if (!any) malformed(img, "no mappable segments");
  if (!have_hdr) malformed(img, "no segment maps the mach header (fileoff 0)");
  if (img->max_vmaddr - img->min_vmaddr > ((uint64_t)1 << 40)) malformed(img, "VM size of segments is absurd");
  if (img->has_main) {
    uint64_t ea = img->hdr_vmaddr + img->entryoff;
    bool ok = false;
    for (int i = 0; i < img->nsegs; i++) {
      Seg *s = &img->segs[i];
      if (s->mapped && (s->initprot & VM_PROT_EXECUTE) && ea >= s->vmaddr && ea < s->vmaddr + s->vmsize) ok = true;
    }
    if (!ok) malformed(img, "LC_MAIN entryoff 0x%llx is not inside an executable segment", (unsigned long long)img->entryoff);
  }
}

/* ---- file loading and mapping --------------------------------------------- */

static Image *open_image(const char *path, int notfound_code) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(notfound_code, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    fail(notfound_code, "%s: not a regular file", path);
  }
  size_t size = (size_t)st.st_size;
  uint8_t *buf = xmalloc(size);
  size_t got = 0;
  while (got < size) {
    ssize_t r = read(fd, buf + got, size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  Image *img = xcalloc(1, sizeof *img);
  img->path = xstrdup(path);
  char *rp = realpath(path, NULL);
  img->realpath = rp ? rp : xstrdup(path);
  img->filebuf = buf;
  img->file = buf;
  img->filesize = got;
  /* universal ("fat") file: pick the slice of this loader's CPU type */
  if (got >= 8 && (be32(buf) == FAT_MAGIC || be32(buf) == FAT_MAGIC_64)) {
    bool is64 = be32(buf) == FAT_MAGIC_64;
    uint32_t nfat = be32(buf + 4);
    size_t esz = is64 ? 32 : 20;
    bool found = false;
    for (uint32_t i = 0; i < nfat && i < 64; i++) {
      size_t eo = 8 + i * esz;
      if (eo + esz > got) malformed(img, "fat header truncated");
      if (be32(buf + eo) != MX_CPU_TYPE) continue;
      uint64_t soff, ssize;
      if (is64) {
        soff = ((uint64_t)be32(buf + eo + 8) << 32) | be32(buf + eo + 12);
        ssize = ((uint64_t)be32(buf + eo + 16) << 32) | be32(buf + eo + 20);
      } else {
        soff = be32(buf + eo + 8);
        ssize = be32(buf + eo + 12);
      }
      if (!range_ok(soff, ssize, got)) malformed(img, "fat slice for " MX_CPU_NAME " extends beyond end of file");
      img->file = buf + soff;
      img->filesize = ssize;
      found = true;
      break;
    }
    if (!found) malformed(img, "universal file has no " MX_CPU_NAME " slice");
  }
  parse_image(img);
  return img;
}

static bool has_rebase_info(const Image *img) {
  return img->has_chained || (img->has_dyld_info && img->rebase_size > 0);
}

static void map_image(Image *img) {
  uint64_t len = img->max_vmaddr - img->min_vmaddr;
  img->maplen = (size_t)((len + 0xfff) & ~(uint64_t)0xfff);
  bool slidable = img->filetype != MH_EXECUTE || (img->flags & MH_PIE) || has_rebase_info(img);
  void *m;
  if (slidable) {
    m = mmap(NULL, img->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) fail(EXIT_MALFORMED, "%s: cannot reserve 0x%zx bytes: %s", img->path, img->maplen, strerror(errno));
  } else {
    m = mmap((void *)(uintptr_t)img->min_vmaddr, img->maplen, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (m == MAP_FAILED || m != (void *)(uintptr_t)img->min_vmaddr) {
      if (m != MAP_FAILED) munmap(m, img->maplen);
      fail(EXIT_MALFORMED,
           "%s: non-PIE image without rebase info cannot be mapped at its preferred address 0x%llx (size 0x%zx): %s",
           img->path, (unsigned long long)img->min_vmaddr, img->maplen,
           m == MAP_FAILED ? strerror(errno) : "kernel chose another address");
    }
  }
  img->map = m;
  img->slide = (int64_t)((uint64_t)(uintptr_t)m - img->min_vmaddr);
  img->base = img->map + (img->hdr_vmaddr - img->min_vmaddr);
  for (int i = 0; i < img->nsegs; i++) {
    Seg *s = &img->segs[i];
    if (!s->mapped || !s->filesize) continue;
    memcpy(img->map + (s->vmaddr - img->min_vmaddr), img->file + s->fileoff, (size_t)s->filesize);
  }
  TRACE("mapped %s at %p (slide 0x%llx, %zu bytes)\n", img->path, (void *)img->base, (unsigned long long)img->slide,
        img->maplen);
}

static void protect_image(Image *img) {
  for (int i = 0; i < img->nsegs; i++) {
    Seg *s = &img->segs[i];
    if (!s->mapped) continue;
    int prot = 0;
    if (s->initprot & VM_PROT_READ) prot |= PROT_READ;
    if (s->initprot & VM_PROT_WRITE) prot |= PROT_WRITE;
    if (s->initprot & VM_PROT_EXECUTE) prot |= PROT_EXEC;
    if (s->flags & SG_READ_ONLY) prot &= ~PROT_WRITE;
    uint8_t *start = img->map + (s->vmaddr - img->min_vmaddr);
    size_t len = (size_t)((s->vmsize + 0xfff) & ~(uint64_t)0xfff);
    if (mprotect(start, len, prot) != 0)
      fail(EXIT_MALFORMED, "%s: mprotect of segment %s failed: %s", img->path, s->name, strerror(errno));
  }
}

/* Runtime pointer for [segment segidx + segoff, +size) or a malformed error. */
static uint8_t *seg_ptr(const Image *img, uint64_t segidx, uint64_t segoff, unsigned size, const char *what) {
  if (segidx >= (uint64_t)img->nsegs)
    malformed(img, "%s: segment index %llu out of range (%d segments)", what, (unsigned long long)segidx, img->nsegs);
  const Seg *s = &img->segs[segidx];
  if (!s->mapped) malformed(img, "%s: targets unmapped segment %s", what, s->name);
  if (!range_ok(segoff, size, s->vmsize))
    malformed(img, "%s: segment offset 0x%llx outside segment %s (vmsize 0x%llx)", what, (unsigned long long)segoff,
              s->name, (unsigned long long)s->vmsize);
  return img->map + (s->vmaddr - img->min_vmaddr) + segoff;
}

/* Does [vmaddr, vmaddr+size) lie inside one mapped segment?  Returns its index or -1. */
static int seg_of_vm(const Image *img, uint64_t vmaddr, uint64_t size) {
  for (int i = 0; i < img->nsegs; i++) {
    const Seg *s = &img->segs[i];
    if (s->mapped && vmaddr >= s->vmaddr && range_ok(vmaddr - s->vmaddr, size, s->vmsize)) return i;
  }
  return -1;
}

/* ---- host symbols and loader-provided functions ----------------------------- */

/* dyld_stub_binder: assembly (macho-exec-asm.S / -arm64.S) around mx_lazy_bind below. */
extern void mx_stub_binder(void);
static void mx_tlv_bootstrap(void) {
  fprintf(stderr, "macho-exec: __tlv_bootstrap called: thread-local descriptor was not set up\n");
  abort();
}

static void *mx_dlopen(const char *path, int mode);
static void *mx_dlsym(void *handle, const char *name);
static char *mx_dlerror(void);
static int mx_dlclose(void *handle);

static int mx_NSGetExecutablePath(char *buf, uint32_t *bufsize) {
  size_t need = strlen(g_main_realpath) + 1;
  if (!bufsize) return -1;
  if (need > *bufsize) {
    *bufsize = (uint32_t)need;
    return -1;
  }
  memcpy(buf, g_main_realpath, need);
  return 0;
}
static int *mx_NSGetArgc(void) { return &g_argc; }
static char ***mx_NSGetArgv(void) { return &g_argv; }
static char ***mx_NSGetEnviron(void) { return &environ; }
static uint32_t mx_dyld_image_count(void) { return (uint32_t)g_nimages; }
static const char *mx_dyld_get_image_name(uint32_t i) { return i < (uint32_t)g_nimages ? g_images[i]->realpath : NULL; }
static const void *mx_dyld_get_image_header(uint32_t i) { return i < (uint32_t)g_nimages ? g_images[i]->base : NULL; }
static intptr_t mx_dyld_get_image_vmaddr_slide(uint32_t i) {
  return i < (uint32_t)g_nimages ? (intptr_t)g_images[i]->slide : 0;
}

extern int __cxa_atexit(void (*)(void *), void *, void *);
extern int __cxa_thread_atexit_impl(void (*)(void *), void *, void *);
static int mx_atexit(void (*fn)(void)) { return __cxa_atexit((void (*)(void *))(void *)fn, NULL, NULL); }
static void mx_tlv_atexit(void (*fn)(void *), void *obj) { __cxa_thread_atexit_impl(fn, obj, NULL); }
static int mx_pthread_atfork(void (*a)(void), void (*b)(void), void (*c)(void)) {
  extern int __register_atfork(void (*)(void), void (*)(void), void (*)(void), void *);
  return __register_atfork(a, b, c, NULL);
}
static int mx_at_quick_exit(void (*fn)(void)) {
  extern int __cxa_at_quick_exit(void (*)(void *), void *);
  return __cxa_at_quick_exit((void (*)(void *))(void *)fn, NULL);
}
static void mx_bzero(void *p, size_t n) { memset(p, 0, n); }
typedef struct { double s, c; } mx_dd;
typedef struct { float s, c; } mx_ff;
static mx_dd mx_sincos_stret(double x) { return (mx_dd){sin(x), cos(x)}; }
static mx_ff mx_sincosf_stret(float x) { return (mx_ff){sinf(x), cosf(x)}; }
static double mx_exp10(double x) { return pow(10.0, x); }
static float mx_exp10f(float x) { return powf(10.0f, x); }
static void mx_memset_pattern(void *b, const void *pat, size_t plen, size_t len) {
  uint8_t *d = b;
  for (size_t i = 0; i < len; i++) d[i] = ((const uint8_t *)pat)[i % plen];
}
static void mx_memset_pattern4(void *b, const void *p, size_t n) { mx_memset_pattern(b, p, 4, n); }
static void mx_memset_pattern8(void *b, const void *p, size_t n) { mx_memset_pattern(b, p, 8, n); }
static void mx_memset_pattern16(void *b, const void *p, size_t n) { mx_memset_pattern(b, p, 16, n); }

/* Mach-O names the loader provides itself; these win over host names. */
static const struct {
  const char *name;
  void *addr;
} g_provided[] = {
    {"dyld_stub_binder", (void *)mx_stub_binder},
    {"__tlv_bootstrap", (void *)mx_tlv_bootstrap},
    {"__tlv_atexit", (void *)mx_tlv_atexit},
    {"___stack_chk_guard", (void *)&mx_stack_chk_guard},
    {"___chkstk_darwin", (void *)mx_chkstk_darwin},
    {"_dlopen", (void *)mx_dlopen},
    {"_dlsym", (void *)mx_dlsym},
    {"_dlerror", (void *)mx_dlerror},
    {"_dlclose", (void *)mx_dlclose},
    {"__NSGetExecutablePath", (void *)mx_NSGetExecutablePath},
    {"__NSGetArgc", (void *)mx_NSGetArgc},
    {"__NSGetArgv", (void *)mx_NSGetArgv},
    {"__NSGetEnviron", (void *)mx_NSGetEnviron},
    {"__dyld_image_count", (void *)mx_dyld_image_count},
    {"__dyld_get_image_name", (void *)mx_dyld_get_image_name},
    {"__dyld_get_image_header", (void *)mx_dyld_get_image_header},
    {"__dyld_get_image_vmaddr_slide", (void *)mx_dyld_get_image_vmaddr_slide},
    {"_atexit", (void *)mx_atexit},
    {"_at_quick_exit", (void *)mx_at_quick_exit},
    {"_pthread_atfork", (void *)mx_pthread_atfork},
    {"___bzero", (void *)mx_bzero},
    {"___sincos_stret", (void *)mx_sincos_stret},
    {"___sincosf_stret", (void *)mx_sincosf_stret},
    {"___exp10", (void *)mx_exp10},
    {"___exp10f", (void *)mx_exp10f},
    {"_memset_pattern4", (void *)mx_memset_pattern4},
    {"_memset_pattern8", (void *)mx_memset_pattern8},
    {"_memset_pattern16", (void *)mx_memset_pattern16},
};

#if defined(__aarch64__)
/* ---- Apple arm64 variadic calls (see macho-exec-arm64-shims.h) ---------- */

/* error(3) has no v-variant in glibc: the shim's target. */
void mx_verror(int status, int errnum, const char *fmt, va_list ap) {
  extern char *program_invocation_name;
  fflush(stdout);
  fprintf(stderr, "%s: ", program_invocation_name);
  vfprintf(stderr, fmt, ap);
  if (errnum) fprintf(stderr, ": %s", strerror(errnum));
  fputc('\n', stderr);
  fflush(stderr);
  if (status) exit(status);
}

void mx_verror_at_line(int status, int errnum, const char *file, unsigned line, const char *fmt, va_list ap) {
  extern char *program_invocation_name;
  fflush(stdout);
  fprintf(stderr, "%s:%s:%u: ", program_invocation_name, file, line);
  vfprintf(stderr, fmt, ap);
  if (errnum) fprintf(stderr, ": %s", strerror(errnum));
  fputc('\n', stderr);
  fflush(stderr);
  if (status) exit(status);
}

/* execl/execlp/execle: gather the NULL-terminated list (and execle's envp). */
static char **mx_exec_argv(const char *arg0, va_list ap) {
  size_t n = 1, cap = 16;
  char **argv = xmalloc(cap * sizeof *argv);
  argv[0] = (char *)arg0;
  if (arg0)
    for (;;) {
      char *a = va_arg(ap, char *);
      if (n + 1 >= cap) {
        cap *= 2;
        char **b = realloc(argv, cap * sizeof *argv);
        if (!b) fail(EXIT_MALFORMED, "out of memory");
        argv = b;
      }
      argv[n++] = a;
      if (!a) break;
    }
  else
    argv[n++] = NULL;
  return argv;
}
int mx_vexecl(const char *path, const char *arg0, va_list ap) {
  char **argv = mx_exec_argv(arg0, ap);
  int r = execv(path, argv);
  free(argv);
  return r;
}
int mx_vexeclp(const char *file, const char *arg0, va_list ap) {
  char **argv = mx_exec_argv(arg0, ap);
  int r = execvp(file, argv);
  free(argv);
  return r;
}
int mx_vexecle(const char *path, const char *arg0, va_list ap) {
  va_list aq;
  va_copy(aq, ap);
  char **argv = mx_exec_argv(arg0, ap);
  /* envp follows the NULL that ends the list */
  if (arg0)
    while (va_arg(aq, char *)) {
    }
  char **envp = va_arg(aq, char **);
  va_end(aq);
  int r = execve(path, argv, envp);
  free(argv);
  return r;
}

#define MX_VARIADIC(name, n, target) extern void mx_va_##name(void);
#define MX_VALIST(name, n, target) extern void mx_va_##name(void);
#define MX_STACKARGS(name, n, target) extern void mx_va_##name(void);
#include "macho-exec-arm64-shims.h"
#undef MX_VARIADIC
#undef MX_VALIST
#undef MX_STACKARGS

/* glibc name -> shim, consulted before the host C library. */
static const struct {
  const char *name;
  void *addr;
} g_arm64_shims[] = {
#define MX_VARIADIC(name, n, target) {#name, (void *)mx_va_##name},
#define MX_VALIST(name, n, target) {#name, (void *)mx_va_##name},
#define MX_STACKARGS(name, n, target) {#name, (void *)mx_va_##name},
#include "macho-exec-arm64-shims.h"
#undef MX_VARIADIC
#undef MX_VALIST
#undef MX_STACKARGS
};

static void *arm64_shim(const char *host_name) {
  for (size_t i = 0; i < sizeof g_arm64_shims / sizeof g_arm64_shims[0]; i++)
    if (strcmp(g_arm64_shims[i].name, host_name) == 0) return g_arm64_shims[i].addr;
  return NULL;
}
#else
static void *arm64_shim(const char *host_name) {
  (void)host_name;
  return NULL;
}
#endif

/* Darwin names whose glibc counterpart has a different name. */
static const struct {
  const char *macho, *host;
} g_renamed[] = {
    {"___error", "__errno_location"},
    {"___stderrp", "stderr"},
    {"___stdoutp", "stdout"},
    {"___stdinp", "stdin"},
    {"___stack_chk_fail", "__stack_chk_fail"},
};

/* Resolve a Mach-O symbol name against the loader and the host C library. */
static bool host_lookup(const char *name, uint64_t *out, const char **hostname) {
  for (size_t i = 0; i < sizeof g_provided / sizeof g_provided[0]; i++)
    if (strcmp(g_provided[i].name, name) == 0) {
      *out = (uint64_t)(uintptr_t)g_provided[i].addr;
      if (hostname) *hostname = "<macho-exec>";
      return true;
    }
  for (size_t i = 0; i < sizeof g_renamed / sizeof g_renamed[0]; i++)
    if (strcmp(g_renamed[i].macho, name) == 0) {
      void *p = dlsym(RTLD_DEFAULT, g_renamed[i].host);
      if (!p) return false;
      *out = (uint64_t)(uintptr_t)p;
      if (hostname) *hostname = g_renamed[i].host;
      return true;
    }
  if (name[0] == '_' && name[1]) {
    void *p = arm64_shim(name + 1);
    if (p) {
      *out = (uint64_t)(uintptr_t)p;
      if (hostname) *hostname = "<macho-exec arm64 variadic shim>";
      return true;
    }
    p = dlsym(RTLD_DEFAULT, name + 1);
    if (p) {
      *out = (uint64_t)(uintptr_t)p;
      if (hostname) *hostname = name + 1;
      return true;
    }
  }
  /* glibc asm-redirected names (fopen64, __isoc99_sscanf) are used verbatim */
  void *p = arm64_shim(name);
  if (p) {
    *out = (uint64_t)(uintptr_t)p;
    if (hostname) *hostname = "<macho-exec arm64 variadic shim>";
    return true;
  }
  p = dlsym(RTLD_DEFAULT, name);
  if (p) {
    *out = (uint64_t)(uintptr_t)p;
    if (hostname) *hostname = name;
    return true;
  }
  return false;
}

/* ---- export trie ----------------------------------------------------------------- */

typedef struct {
  bool found, weak;
  uint64_t addr;
  Image *in;
} SymRes;

static SymRes lookup_in_image(Image *img, const char *name, int depth);

static SymRes lookup_in_dep(Image *img, uint64_t ordinal, const char *name, int depth) {
  SymRes r = {0};
  if (ordinal == 0 || ordinal > (uint64_t)img->ndeps)
    malformed(img, "re-export of %s uses dylib ordinal %llu out of range (%d dylibs)", name, (unsigned long long)ordinal,
              img->ndeps);
  Image *d = img->deps[ordinal - 1].image;
  if (!d) return r;
  if (d->is_host) {
    r.found = host_lookup(name, &r.addr, NULL);
    r.in = &g_host;
    return r;
  }
  return lookup_in_image(d, name, depth + 1);
}

static bool trie_lookup(Image *img, const char *name, SymRes *res, int depth) {
  if (!img->export_size) return false;
  Cursor c = {img, img->file + img->export_off, img->file + img->export_off, img->file + img->export_off + img->export_size,
              "export trie"};
  const char *s = name;
  for (unsigned steps = 0;; steps++) {
    if (steps > 4096) malformed(img, "export trie: too deep (cycle?)");
    uint64_t tsize = cur_uleb(&c);
    if ((uint64_t)(c.end - c.p) < tsize) cur_oob(&c);
    const uint8_t *children = c.p + tsize;
    if (*s == 0) {
      if (!tsize) return false;
      Cursor t = {img, c.start, c.p, c.p + tsize, "export trie terminal"};
      uint64_t flags = cur_uleb(&t);
      if (flags & EXPORT_SYMBOL_FLAGS_REEXPORT) {
        uint64_t ord = cur_uleb(&t);
        const char *imp = cur_cstr(&t);
        *res = lookup_in_dep(img, ord, *imp ? imp : name, depth);
        return res->found;
      }
      res->weak = (flags & EXPORT_SYMBOL_FLAGS_WEAK_DEFINITION) != 0;
      res->in = img;
      if (flags & EXPORT_SYMBOL_FLAGS_STUB_AND_RESOLVER) {
        uint64_t stub = cur_uleb(&t);
        (void)cur_uleb(&t);
        res->addr = (uint64_t)(uintptr_t)img->base + stub;
      } else {
        uint64_t a = cur_uleb(&t);
        switch (flags & EXPORT_SYMBOL_FLAGS_KIND_MASK) {
        case EXPORT_SYMBOL_FLAGS_KIND_ABSOLUTE: res->addr = a; break;
        case EXPORT_SYMBOL_FLAGS_KIND_REGULAR:
        case EXPORT_SYMBOL_FLAGS_KIND_THREAD_LOCAL: res->addr = (uint64_t)(uintptr_t)img->base + a; break;
        default: malformed(img, "export trie: unknown symbol kind in flags 0x%llx", (unsigned long long)flags);
        }
      }
      res->found = true;
      return true;
    }
    c.p = children;
    uint8_t nchild = cur_byte(&c);
    bool advanced = false;
    for (unsigned k = 0; k < nchild; k++) {
      const char *edge = cur_cstr(&c);
      uint64_t child = cur_uleb(&c);
      size_t el = strlen(edge);
      if (el && strncmp(edge, s, el) == 0) {
        if (child >= img->export_size) malformed(img, "export trie: child offset 0x%llx out of bounds", (unsigned long long)child);
        c.p = c.start + child;
        s += el;
        advanced = true;
        break;
      }
    }
    if (!advanced) return false;
  }
}

/* Fallback for images without an export trie: scan the symbol table. */
static bool symtab_lookup(Image *img, const char *name, SymRes *res) {
  if (!img->has_symtab) return false;
  for (uint32_t i = 0; i < img->nsyms; i++) {
    uint64_t o = img->symoff + (uint64_t)i * 16;
    uint32_t strx = rd32(img, o);
    uint8_t type = img->file[o + 4];
    uint16_t desc;
    memcpy(&desc, img->file + o + 6, 2);
    if ((type & N_STAB) || !(type & N_EXT)) continue;
    if ((type & N_TYPE) != N_SECT && (type & N_TYPE) != N_ABS) continue;
    if (strx >= img->strsize) continue;
    const char *sn = (const char *)img->file + img->stroff + strx;
    size_t maxl = img->strsize - strx;
    size_t nl = strlen(name);
    if (nl >= maxl || memcmp(sn, name, nl + 1) != 0) continue;
    uint64_t v = rd64(img, o + 8);
    res->found = true;
    res->weak = (desc & N_WEAK_DEF) != 0;
    res->in = img;
    res->addr = (type & N_TYPE) == N_ABS ? v : v + (uint64_t)img->slide;
    return true;
  }
  return false;
}

static SymRes lookup_in_image(Image *img, const char *name, int depth) {
  SymRes r = {0};
  if (depth > 32) malformed(img, "re-export chain too deep looking up %s", name);
  if (img->is_host) {
    r.found = host_lookup(name, &r.addr, NULL);
    r.in = &g_host;
    return r;
  }
  if (img->export_size ? trie_lookup(img, name, &r, depth) : symtab_lookup(img, name, &r)) return r;
  /* symbols of re-exported dylibs are visible through this image */
  for (int i = 0; i < img->ndeps; i++) {
    if (img->deps[i].kind != DEP_REEXPORT || !img->deps[i].image) continue;
    r = lookup_in_dep(img, (uint64_t)i + 1, name, depth);
    if (r.found) return r;
  }
  r.found = false;
  return r;
}

/* Flat namespace: every loaded image in load order (main first), then the host. */
static SymRes flat_lookup(const char *name, bool with_host) {
  SymRes r = {0};
  for (int i = 0; i < g_nimages; i++) {
    r = lookup_in_image(g_images[i], name, 0);
    if (r.found) return r;
  }
  r.found = with_host && host_lookup(name, &r.addr, NULL);
  r.in = &g_host;
  return r;
}

/* Weak coalescing: first non-weak definition in load order, else first weak one. */
static SymRes weak_lookup(const char *name) {
  SymRes first = {0};
  for (int i = 0; i < g_nimages; i++) {
    SymRes r = lookup_in_image(g_images[i], name, 0);
    if (!r.found) continue;
    if (!r.weak) return r;
    if (!first.found) first = r;
  }
  if (first.found) return first;
  first.found = host_lookup(name, &first.addr, NULL);
  first.in = &g_host;
  return first;
}

static const char *ordinal_desc(Image *img, int64_t ord, char *buf, size_t n) {
  switch (ord) {
  case BIND_SPECIAL_DYLIB_SELF: return "self";
  case BIND_SPECIAL_DYLIB_MAIN_EXECUTABLE: return "main-executable";
  case BIND_SPECIAL_DYLIB_FLAT_LOOKUP: return "flat";
  case BIND_SPECIAL_DYLIB_WEAK_LOOKUP: return "weak";
  default:
    if (ord >= 1 && ord <= img->ndeps) return img->deps[ord - 1].name;
    snprintf(buf, n, "ordinal %lld", (long long)ord);
    return buf;
  }
}

/* Resolve one bind as dyld does.  Returns false only for missing weak imports. */
static bool resolve_bind(Image *img, int64_t ord, const char *name, bool weak_import, uint64_t *out) {
  SymRes r = {0};
  if (ord >= 1 && !(img->flags & MH_TWOLEVEL)) ord = BIND_SPECIAL_DYLIB_FLAT_LOOKUP;
  switch (ord) {
  case BIND_SPECIAL_DYLIB_SELF:
    r = lookup_in_image(img, name, 0);
    if (!r.found) r = flat_lookup(name, true);
    break;
  case BIND_SPECIAL_DYLIB_MAIN_EXECUTABLE:
    if (g_nimages) r = lookup_in_image(g_images[0], name, 0);
    break;
  case BIND_SPECIAL_DYLIB_FLAT_LOOKUP: r = flat_lookup(name, true); break;
  case BIND_SPECIAL_DYLIB_WEAK_LOOKUP: r = weak_lookup(name); break;
  default:
    if (ord < 1 || ord > img->ndeps)
      malformed(img, "bind of %s uses dylib ordinal %lld out of range (%d dylibs)", name, (long long)ord, img->ndeps);
    if (img->deps[ord - 1].image) r = lookup_in_image(img->deps[ord - 1].image, name, 0);
    else weak_import = true; /* symbols of a missing weak dylib resolve to 0 */
    break;
  }
  if (r.found) {
    *out = r.addr;
    return true;
  }
  if (weak_import) {
    *out = 0;
    return false;
  }
  fail(EXIT_NOTFOUND, "%s: symbol not found: %s (referenced from %s)", g_main_path, name, img->path);
}

/* ---- dependency loading ----------------------------------------------------------- */

static bool is_system_library(const char *p) {
  static const char *const prefixes[] = {
      "/usr/lib/libSystem.", "/usr/lib/system/", "/usr/lib/libc++", "/usr/lib/libc.", "/usr/lib/libm.",
      "/usr/lib/libm_", "/usr/lib/libpthread.", "/usr/lib/libdl.", "/usr/lib/libinfo.", "/usr/lib/libresolv.",
      "/usr/lib/libgcc_s.", "/usr/lib/libobjc.", "/usr/lib/libdyld.", "/usr/lib/libutil.",
  };
  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
    if (strncmp(p, prefixes[i], strlen(prefixes[i])) == 0) return true;
  return false;
}

static char *dirname_of(const char *p) {
  const char *sl = strrchr(p, '/');
  if (!sl) return xstrdup(".");
  if (sl == p) return xstrdup("/");
  char *d = xmalloc((size_t)(sl - p) + 1);
  memcpy(d, p, (size_t)(sl - p));
  d[sl - p] = 0;
  return d;
}

static char *join_path(const char *dir, const char *rest) {
  size_t a = strlen(dir), b = strlen(rest);
  char *r = xmalloc(a + b + 2);
  memcpy(r, dir, a);
  r[a] = '/';
  memcpy(r + a + 1, rest, b + 1);
  return r;
}

/* Expand @loader_path / @executable_path prefixes (relative to image `owner`). */
static char *expand_prefix(const Image *owner, const char *p) {
  if (strncmp(p, "@loader_path", 12) == 0 && (p[12] == '/' || !p[12])) {
    char *d = dirname_of(owner->realpath);
    char *r = join_path(d, p[12] ? p + 13 : "");
    free(d);
    return r;
  }
  if (strncmp(p, "@executable_path", 16) == 0 && (p[16] == '/' || !p[16])) {
    char *d = dirname_of(g_main_realpath);
    char *r = join_path(d, p[16] ? p + 17 : "");
    free(d);
    return r;
  }
  return xstrdup(p);
}

static bool file_exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static Image *load_image_tree(const char *path, Image *parent);

static Image *load_dep(Image *img, Dep *d) {
  if (is_system_library(d->name)) return &g_host;
  Image *already = find_loaded(NULL, d->name);
  if (already) return already;
  char *found = NULL;
  if (strncmp(d->name, "@rpath/", 7) == 0) {
    /* LC_RPATHs of this image, then of the images that caused it to load */
    for (const Image *o = img; o && !found; o = o->parent)
      for (int i = 0; i < o->nrpaths && !found; i++) {
        char *rp = expand_prefix(o, o->rpaths[i]);
        char *cand = join_path(rp, d->name + 7);
        free(rp);
        if (file_exists(cand)) found = cand;
        else free(cand);
      }
  } else {
    char *cand = expand_prefix(img, d->name);
    if (file_exists(cand)) found = cand;
    else free(cand);
  }
  if (!found) {
    if (d->kind == DEP_WEAK) return NULL;
    if (strncmp(d->name, "/usr/lib/", 9) == 0 || strncmp(d->name, "/System/", 8) == 0) return &g_host;
    fail(EXIT_NOTFOUND, "%s: dependency not found: %s (needed by %s)", g_main_path, d->name, img->path);
  }
  Image *r = load_image_tree(found, img);
  free(found);
  return r;
}

/* Open, map and register an image, then its dependencies (depth first). */
static Image *load_image_tree(const char *path, Image *parent) {
  char *rp = realpath(path, NULL);
  Image *already = rp ? find_loaded(rp, NULL) : NULL;
  free(rp);
  if (already) return already;
  Image *img = open_image(path, EXIT_NOTFOUND);
  if (img->install_name) {
    Image *same = find_loaded(NULL, img->install_name);
    if (same) return same;
  }
  img->parent = parent;
  map_image(img);
  register_image(img);
  for (int i = 0; i < img->ndeps; i++) img->deps[i].image = load_dep(img, &img->deps[i]);
  return img;
}

/* ---- fixups: LC_DYLD_INFO opcodes ---------------------------------------------------- */

static const char *seg_name(const Image *img, uint64_t segidx) {
  return segidx < (uint64_t)img->nsegs ? img->segs[segidx].name : "?";
}

static void do_rebase(Image *img, uint64_t segidx, uint64_t segoff, int type) {
  if (type == REBASE_TYPE_POINTER) {
    uint8_t *p = seg_ptr(img, segidx, segoff, 8, "rebase");
    uint64_t v;
    memcpy(&v, p, 8);
    uint64_t nv = v + (uint64_t)img->slide;
    memcpy(p, &nv, 8);
    TRACE("rebase %s %s+0x%llx: 0x%llx -> 0x%llx\n", img->path, seg_name(img, segidx), (unsigned long long)segoff,
          (unsigned long long)v, (unsigned long long)nv);
  } else if (type == REBASE_TYPE_TEXT_ABSOLUTE32) {
    uint8_t *p = seg_ptr(img, segidx, segoff, 4, "rebase");
    uint32_t v;
    memcpy(&v, p, 4);
    uint32_t nv = v + (uint32_t)img->slide;
    memcpy(p, &nv, 4);
    TRACE("rebase32 %s %s+0x%llx: 0x%x -> 0x%x\n", img->path, seg_name(img, segidx), (unsigned long long)segoff, v, nv);
  } else if (type == REBASE_TYPE_TEXT_PCREL32) {
    (void)seg_ptr(img, segidx, segoff, 4, "rebase"); /* pc-relative: unchanged by a uniform slide */
  } else {
    malformed(img, "unknown rebase type %d", type);
  }
}

static void check_count(const Image *img, uint64_t segidx, uint64_t count, const char *what) {
  if (segidx < (uint64_t)img->nsegs && count > img->segs[segidx].vmsize / 4 + 1)
    malformed(img, "%s: repeat count %llu larger than segment %s", what, (unsigned long long)count, img->segs[segidx].name);
}

static void run_rebase_opcodes(Image *img) {
  if (!img->rebase_size) return;
  Cursor c = {img, img->file + img->rebase_off, img->file + img->rebase_off, img->file + img->rebase_off + img->rebase_size,
              "rebase opcode stream"};
  int type = REBASE_TYPE_POINTER;
  uint64_t seg = UINT64_MAX, off = 0;
  while (c.p < c.end) {
    uint8_t b = cur_byte(&c);
    uint8_t imm = b & REBASE_IMMEDIATE_MASK;
    switch (b & REBASE_OPCODE_MASK) {
    case REBASE_OPCODE_DONE: return;
    case REBASE_OPCODE_SET_TYPE_IMM: type = imm; break;
    case REBASE_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB:
      seg = imm;
      off = cur_uleb(&c);
      break;
    case REBASE_OPCODE_ADD_ADDR_ULEB: off += cur_uleb(&c); break;
    case REBASE_OPCODE_ADD_ADDR_IMM_SCALED: off += (uint64_t)imm * 8; break;
    case REBASE_OPCODE_DO_REBASE_IMM_TIMES:
      for (unsigned k = 0; k < imm; k++) {
        do_rebase(img, seg, off, type);
        off += 8;
      }
      break;
    case REBASE_OPCODE_DO_REBASE_ULEB_TIMES: {
      uint64_t n = cur_uleb(&c);
      check_count(img, seg, n, "rebase");
      for (uint64_t k = 0; k < n; k++) {
        do_rebase(img, seg, off, type);
        off += 8;
      }
      break;
    }
    case REBASE_OPCODE_DO_REBASE_ADD_ADDR_ULEB:
      do_rebase(img, seg, off, type);
      off += cur_uleb(&c) + 8;
      break;
    case REBASE_OPCODE_DO_REBASE_ULEB_TIMES_SKIPPING_ULEB: {
      uint64_t n = cur_uleb(&c), skip = cur_uleb(&c);
      check_count(img, seg, n, "rebase");
      for (uint64_t k = 0; k < n; k++) {
        do_rebase(img, seg, off, type);
        off += skip + 8;
      }
      break;
    }
    default: malformed(img, "unknown rebase opcode 0x%02x at offset 0x%zx", b, (size_t)(c.p - c.start - 1));
    }
  }
}

static void write_bind(Image *img, uint64_t segidx, uint64_t segoff, int type, uint64_t target, int64_t addend,
                       const char *name, const char *kind, const char *lib) {
  uint64_t v = target ? target + (uint64_t)addend : 0;
  t_last_bind = v;
  if (type == BIND_TYPE_POINTER) {
    uint8_t *p = seg_ptr(img, segidx, segoff, 8, kind);
    memcpy(p, &v, 8);
  } else if (type == BIND_TYPE_TEXT_ABSOLUTE32) {
    uint8_t *p = seg_ptr(img, segidx, segoff, 4, kind);
    uint32_t w = (uint32_t)v;
    memcpy(p, &w, 4);
  } else if (type == BIND_TYPE_TEXT_PCREL32) {
    uint8_t *p = seg_ptr(img, segidx, segoff, 4, kind);
    uint32_t w = (uint32_t)(v - ((uint64_t)(uintptr_t)p + 4));
    memcpy(p, &w, 4);
  } else {
    malformed(img, "%s of %s: unknown bind type %d", kind, name, type);
  }
  TRACE("%s %s %s+0x%llx = %s (%s)%s%lld -> 0x%llx\n", kind, img->path, seg_name(img, segidx),
        (unsigned long long)segoff, name, lib, addend < 0 ? "-" : "+", (long long)(addend < 0 ? -addend : addend),
        (unsigned long long)v);
}

enum { BIND_REGULAR, BIND_LAZY, BIND_WEAK, BIND_LAZY_ONE };

static void run_bind_opcodes(Image *img, uint32_t boff, uint32_t bsize, int mode) {
  if (!bsize) return;
  const char *kind = mode == BIND_LAZY        ? "lazy-bind"
                     : mode == BIND_LAZY_ONE ? "lazy-bind (first call)"
                     : mode == BIND_WEAK     ? "weak-bind"
                                             : "bind";
  Cursor c = {img, img->file + boff, img->file + boff, img->file + boff + bsize,
              mode == BIND_LAZY || mode == BIND_LAZY_ONE ? "lazy bind opcode stream"
              : mode == BIND_WEAK                        ? "weak bind opcode stream"
                                                         : "bind opcode stream"};
  int64_t ord = 0;
  const char *name = NULL;
  uint8_t symflags = 0;
  int type = BIND_TYPE_POINTER;
  int64_t addend = 0;
  uint64_t seg = UINT64_MAX, off = 0;
  /* cache of the last resolution */
  const char *cname = NULL;
  int64_t cord = 0;
  uint64_t ctarget = 0;
  bool cfound = false;
  char obuf[32];

#define DO_BIND()                                                                                                  \
  do {                                                                                                             \
    if (!name) malformed(img, "%s: bind without a symbol name", c.what);                                           \
    (void)seg_ptr(img, seg, off, type == BIND_TYPE_POINTER ? 8 : 4, kind); /* validate before resolving */      \
    if (mode == BIND_WEAK) {                                                                                       \
      if (name != cname) {                                                                                         \
        SymRes wr = weak_lookup(name);                                                                             \
        cname = name;                                                                                              \
        cfound = wr.found;                                                                                         \
        ctarget = wr.addr;                                                                                         \
      }                                                                                                            \
      if (cfound) write_bind(img, seg, off, type, ctarget, addend, name, kind, "weak");                            \
    } else {                                                                                                       \
      if (name != cname || ord != cord) {                                                                          \
        cfound = resolve_bind(img, ord, name, (symflags & BIND_SYMBOL_FLAGS_WEAK_IMPORT) != 0, &ctarget);          \
        cname = name;                                                                                              \
        cord = ord;                                                                                                \
      }                                                                                                            \
      write_bind(img, seg, off, type, cfound ? ctarget : 0, addend, name, kind, ordinal_desc(img, ord, obuf, sizeof obuf)); \
    }                                                                                                              \
  } while (0)

  while (c.p < c.end) {
    uint8_t b = cur_byte(&c);
    uint8_t imm = b & BIND_IMMEDIATE_MASK;
    switch (b & BIND_OPCODE_MASK) {
    case BIND_OPCODE_DONE:
      if (mode != BIND_LAZY) return; /* BIND_LAZY_ONE: one entry, ended by DONE */
      break; /* lazy bind info: DONE separates entries */
    case BIND_OPCODE_SET_DYLIB_ORDINAL_IMM: ord = imm; break;
    case BIND_OPCODE_SET_DYLIB_ORDINAL_ULEB: {
      uint64_t o = cur_uleb(&c);
      if (o > INT32_MAX) malformed(img, "%s: dylib ordinal %llu too large", c.what, (unsigned long long)o);
      ord = (int64_t)o;
      break;
    }
    case BIND_OPCODE_SET_DYLIB_SPECIAL_IMM: ord = imm ? (int8_t)(BIND_OPCODE_MASK | imm) : 0; break;
    case BIND_OPCODE_SET_SYMBOL_TRAILING_FLAGS_IMM:
      name = cur_cstr(&c);
      symflags = imm;
      if (mode == BIND_WEAK && (imm & BIND_SYMBOL_FLAGS_NON_WEAK_DEFINITION))
        TRACE("weak-bind %s: strong definition of %s\n", img->path, name);
      break;
    case BIND_OPCODE_SET_TYPE_IMM: type = imm; break;
    case BIND_OPCODE_SET_ADDEND_SLEB: addend = cur_sleb(&c); break;
    case BIND_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB:
      seg = imm;
      off = cur_uleb(&c);
      break;
    case BIND_OPCODE_ADD_ADDR_ULEB: off += cur_uleb(&c); break;
    case BIND_OPCODE_DO_BIND:
      DO_BIND();
      off += 8;
      break;
    case BIND_OPCODE_DO_BIND_ADD_ADDR_ULEB:
      DO_BIND();
      off += cur_uleb(&c) + 8;
      break;
    case BIND_OPCODE_DO_BIND_ADD_ADDR_IMM_SCALED:
      DO_BIND();
      off += (uint64_t)imm * 8 + 8;
      break;
    case BIND_OPCODE_DO_BIND_ULEB_TIMES_SKIPPING_ULEB: {
      uint64_t n = cur_uleb(&c), skip = cur_uleb(&c);
      check_count(img, seg, n, c.what);
      for (uint64_t k = 0; k < n; k++) {
        DO_BIND();
        off += skip + 8;
      }
      break;
    }
    case BIND_OPCODE_THREADED: malformed(img, "%s: BIND_OPCODE_THREADED (arm64e) is not supported", c.what);
    default: malformed(img, "%s: unknown bind opcode 0x%02x at offset 0x%zx", c.what, b, (size_t)(c.p - c.start - 1));
    }
  }
#undef DO_BIND
}

/* ---- fixups: LC_DYLD_CHAINED_FIXUPS ---------------------------------------------------- */

static uint32_t blob32(const Image *img, const uint8_t *blob, uint32_t bsize, uint64_t off, const char *what) {
  if (!range_ok(off, 4, bsize)) malformed(img, "chained fixups: %s at offset 0x%llx out of bounds", what, (unsigned long long)off);
  uint32_t v;
  memcpy(&v, blob + off, 4);
  return v;
}
static uint16_t blob16(const Image *img, const uint8_t *blob, uint32_t bsize, uint64_t off, const char *what) {
  if (!range_ok(off, 2, bsize)) malformed(img, "chained fixups: %s at offset 0x%llx out of bounds", what, (unsigned long long)off);
  uint16_t v;
  memcpy(&v, blob + off, 2);
  return v;
}
static uint64_t blob64(const Image *img, const uint8_t *blob, uint32_t bsize, uint64_t off, const char *what) {
  if (!range_ok(off, 8, bsize)) malformed(img, "chained fixups: %s at offset 0x%llx out of bounds", what, (unsigned long long)off);
  uint64_t v;
  memcpy(&v, blob + off, 8);
  return v;
}

static void run_chained_fixups(Image *img) {
  const uint8_t *blob = img->file + img->chained_off;
  uint32_t bsize = img->chained_size;
  if (bsize < 28) malformed(img, "chained fixups header truncated (%u bytes)", bsize);
  uint32_t version = blob32(img, blob, bsize, 0, "header");
  uint32_t starts_off = blob32(img, blob, bsize, 4, "header");
  uint32_t imports_off = blob32(img, blob, bsize, 8, "header");
  uint32_t symbols_off = blob32(img, blob, bsize, 12, "header");
  uint32_t imports_count = blob32(img, blob, bsize, 16, "header");
  uint32_t imports_format = blob32(img, blob, bsize, 20, "header");
  uint32_t symbols_format = blob32(img, blob, bsize, 24, "header");
  if (version != 0) malformed(img, "chained fixups version %u not supported", version);
  if (symbols_format != 0) malformed(img, "compressed chained-fixup symbol names (format %u) not supported", symbols_format);
  if (imports_format < 1 || imports_format > 3) malformed(img, "unknown chained imports format %u", imports_format);
  if (symbols_off > bsize) malformed(img, "chained fixups: symbols offset 0x%x out of bounds", symbols_off);
  size_t isz = imports_format == 1 ? 4 : imports_format == 2 ? 8 : 16;
  if (!range_ok(imports_off, (uint64_t)imports_count * isz, bsize))
    malformed(img, "chained fixups: imports table (%u entries) out of bounds", imports_count);

  /* resolve all imports up front, as dyld does */
  uint64_t *targets = xcalloc(imports_count, sizeof(uint64_t));
  const char **names = xcalloc(imports_count, sizeof(char *));
  for (uint32_t i = 0; i < imports_count; i++) {
    uint64_t e = imports_off + (uint64_t)i * isz;
    int64_t ord;
    bool weak;
    uint64_t nameoff;
    int64_t addend = 0;
    if (imports_format == 3) {
      uint64_t v = blob64(img, blob, bsize, e, "import");
      uint16_t o = (uint16_t)(v & 0xffff);
      ord = o > 0xfff0 ? (int16_t)o : o;
      weak = (v >> 16) & 1;
      nameoff = v >> 32;
      addend = (int64_t)blob64(img, blob, bsize, e + 8, "import addend");
    } else {
      uint32_t v = blob32(img, blob, bsize, e, "import");
      uint8_t o = (uint8_t)(v & 0xff);
      ord = o > 0xf0 ? (int8_t)o : o;
      weak = (v >> 8) & 1;
      nameoff = v >> 9;
      if (imports_format == 2) addend = (int32_t)blob32(img, blob, bsize, e + 4, "import addend");
    }
    uint64_t so = (uint64_t)symbols_off + nameoff;
    if (so >= bsize || !memchr(blob + so, 0, bsize - so))
      malformed(img, "chained fixups: import %u name offset 0x%llx out of bounds", i, (unsigned long long)nameoff);
    const char *name = (const char *)blob + so;
    names[i] = name;
    uint64_t t;
    bool found = resolve_bind(img, ord, name, weak, &t);
    targets[i] = found ? t + (uint64_t)addend : 0;
    char obuf[32];
    TRACE("import #%u %s (%s)%s -> 0x%llx\n", i, name, ordinal_desc(img, ord, obuf, sizeof obuf), weak ? " weak" : "",
          (unsigned long long)targets[i]);
  }

  uint32_t seg_count = blob32(img, blob, bsize, starts_off, "starts_in_image");
  if (seg_count > (uint32_t)img->nsegs)
    malformed(img, "chained fixups: seg_count %u exceeds number of segments %d", seg_count, img->nsegs);
  for (uint32_t si = 0; si < seg_count; si++) {
    uint32_t so = blob32(img, blob, bsize, (uint64_t)starts_off + 4 + 4 * (uint64_t)si, "seg_info_offset");
    if (!so) continue;
    uint64_t sb = (uint64_t)starts_off + so;
    uint32_t ssize = blob32(img, blob, bsize, sb, "starts_in_segment.size");
    uint16_t page_size = blob16(img, blob, bsize, sb + 4, "starts_in_segment.page_size");
    uint16_t fmt = blob16(img, blob, bsize, sb + 6, "starts_in_segment.pointer_format");
    uint64_t segment_offset = blob64(img, blob, bsize, sb + 8, "starts_in_segment.segment_offset");
    uint16_t page_count = blob16(img, blob, bsize, sb + 20, "starts_in_segment.page_count");
    if (!range_ok(sb, ssize, bsize) || ssize < 22 + 2 * (uint64_t)page_count)
      malformed(img, "chained fixups: starts_in_segment for segment %u out of bounds", si);
    if (fmt != DYLD_CHAINED_PTR_64 && fmt != DYLD_CHAINED_PTR_64_OFFSET)
      malformed(img, "chained fixups: unsupported pointer format %u in segment %s (only 2 and 6 are supported)", fmt,
                img->segs[si].name);
    if (!page_size) malformed(img, "chained fixups: page_size 0 in segment %s", img->segs[si].name);
    for (uint32_t pg = 0; pg < page_count; pg++) {
      uint16_t start = blob16(img, blob, bsize, sb + 22 + 2 * (uint64_t)pg, "page_start");
      if (start == DYLD_CHAINED_PTR_START_NONE) continue;
      if (start & DYLD_CHAINED_PTR_START_MULTI)
        malformed(img, "chained fixups: DYLD_CHAINED_PTR_START_MULTI not valid for 64-bit pointer formats");
      uint64_t vm = img->hdr_vmaddr + segment_offset + (uint64_t)pg * page_size + start;
      for (unsigned guard = 0;; guard++) {
        int sidx = seg_of_vm(img, vm, 8);
        if (sidx < 0 || guard > (unsigned)page_size)
          malformed(img, "chained fixups: fixup at vmaddr 0x%llx outside any segment", (unsigned long long)vm);
        uint8_t *p = img->map + (vm - img->min_vmaddr);
        uint64_t raw;
        memcpy(&raw, p, 8);
        uint64_t next = (raw >> 51) & 0xfff;
        uint64_t nv;
        if (raw >> 63) {
          uint32_t ordinal = (uint32_t)(raw & 0xffffff);
          uint64_t addend = (raw >> 24) & 0xff;
          if (ordinal >= imports_count)
            malformed(img, "chained fixups: bind ordinal %u >= imports_count %u", ordinal, imports_count);
          nv = targets[ordinal] ? targets[ordinal] + addend : 0;
          TRACE("bind %s %s+0x%llx = %s +%llu -> 0x%llx\n", img->path, img->segs[sidx].name,
                (unsigned long long)(vm - img->segs[sidx].vmaddr), names[ordinal], (unsigned long long)addend,
                (unsigned long long)nv);
        } else {
          uint64_t target = raw & 0xfffffffffULL, high8 = (raw >> 36) & 0xff;
          if (fmt == DYLD_CHAINED_PTR_64) nv = target + (uint64_t)img->slide;
          else nv = target + (uint64_t)(uintptr_t)img->base;
          nv |= high8 << 56;
          TRACE("rebase %s %s+0x%llx: 0x%llx -> 0x%llx\n", img->path, img->segs[sidx].name,
                (unsigned long long)(vm - img->segs[sidx].vmaddr), (unsigned long long)raw, (unsigned long long)nv);
        }
        memcpy(p, &nv, 8);
        if (!next) break;
        vm += next * 4;
      }
    }
  }
  free(targets);
  free(names);
}

/* ---- thread-local variables -------------------------------------------------------------- */

typedef struct {
  uint8_t *tmpl; /* initial content (REGULAR parts), size bytes, zeros elsewhere */
  size_t size, align;
} TlvInfo;
static TlvInfo *g_tlv_by_key[PTHREAD_KEYS_MAX];

typedef struct {
  void *thunk;
  uint64_t key;
  uint64_t offset;
} TlvDescriptor;

void *mx_tlv_get_addr_slow(TlvDescriptor *d) {
  pthread_key_t key = (pthread_key_t)d->key;
  uint8_t *blk = pthread_getspecific(key);
  if (!blk) {
    TlvInfo *ti = key < PTHREAD_KEYS_MAX ? g_tlv_by_key[key] : NULL;
    if (!ti) {
      fprintf(stderr, "macho-exec: thread-local access with unknown key %llu\n", (unsigned long long)d->key);
      abort();
    }
    void *m = NULL;
    if (posix_memalign(&m, ti->align, ti->size ? ti->size : 1) != 0) {
      fprintf(stderr, "macho-exec: out of memory allocating thread-local storage\n");
      abort();
    }
    memcpy(m, ti->tmpl, ti->size);
    blk = m;
    pthread_setspecific(key, blk);
  }
  return blk + d->offset;
}

static void setup_tlv(Image *img) {
  uint64_t start = UINT64_MAX, end = 0;
  size_t align = 16;
  bool have_vars = false;
  for (int i = 0; i < img->nsects; i++) {
    Sect *s = &img->sects[i];
    uint32_t t = s->flags & SECTION_TYPE;
    if (t == S_THREAD_LOCAL_VARIABLES) have_vars = true;
    if (t != S_THREAD_LOCAL_REGULAR && t != S_THREAD_LOCAL_ZEROFILL) continue;
    if (s->addr < start) start = s->addr;
    if (s->addr + s->size > end) end = s->addr + s->size;
    if (((size_t)1 << s->align) > align) align = (size_t)1 << s->align;
  }
  if (!have_vars) return;
  if (start == UINT64_MAX) start = end = 0;
  TlvInfo *ti = xcalloc(1, sizeof *ti);
  ti->size = (size_t)(end - start);
  ti->align = align;
  ti->tmpl = xcalloc(1, ti->size);
  for (int i = 0; i < img->nsects; i++) {
    Sect *s = &img->sects[i];
    if ((s->flags & SECTION_TYPE) != S_THREAD_LOCAL_REGULAR || !s->size) continue;
    if (seg_of_vm(img, s->addr, s->size) < 0) malformed(img, "thread-local section %s outside mapped segments", s->sectname);
    memcpy(ti->tmpl + (s->addr - start), img->map + (s->addr - img->min_vmaddr), (size_t)s->size);
  }
  pthread_key_t key;
  if (pthread_key_create(&key, free) != 0 || key >= PTHREAD_KEYS_MAX)
    fail(EXIT_MALFORMED, "%s: cannot create a pthread key for thread-local variables", img->path);
  g_tlv_by_key[key] = ti;
  for (int i = 0; i < img->nsects; i++) {
    Sect *s = &img->sects[i];
    if ((s->flags & SECTION_TYPE) != S_THREAD_LOCAL_VARIABLES) continue;
    if (s->addr % 8) malformed(img, "thread-local variables section %s is not 8-byte aligned", s->sectname);
    if (s->size % sizeof(TlvDescriptor))
      malformed(img, "thread-local variables section %s size 0x%llx not a multiple of 24", s->sectname,
                (unsigned long long)s->size);
    if (seg_of_vm(img, s->addr, s->size) < 0) malformed(img, "thread-local section %s outside mapped segments", s->sectname);
    TlvDescriptor *d = (TlvDescriptor *)(img->map + (s->addr - img->min_vmaddr));
    for (uint64_t k = 0; k < s->size / sizeof *d; k++) {
      if (d[k].offset >= ti->size && !(ti->size == 0 && d[k].offset == 0))
        malformed(img, "thread-local descriptor %llu offset 0x%llx beyond TLV template (0x%zx bytes)",
                  (unsigned long long)k, (unsigned long long)d[k].offset, ti->size);
      d[k].thunk = (void *)mx_tlv_get_addr;
      d[k].key = key;
    }
  }
  TRACE("tlv %s: key %u, template 0x%zx bytes\n", img->path, (unsigned)key, ti->size);
}

/* ---- link & init -------------------------------------------------------------------------- */

static void fixup_image(Image *img) {
  if (img->fixed_up) return;
  img->fixed_up = true;
  if (img->has_chained) {
    run_chained_fixups(img);
  } else if (img->has_dyld_info) {
    run_rebase_opcodes(img);
    run_bind_opcodes(img, img->bind_off, img->bind_size, BIND_REGULAR);
    /* dyld4 binds lazy pointers at launch; MACHO_EXEC_LAZY=1 leaves them to dyld_stub_binder
     (through the image's __stub_helper), as dyld2 did, unless the image is MH_BIND_AT_LOAD */
    if (!g_lazy || (img->flags & MH_BIND_AT_LOAD))
      run_bind_opcodes(img, img->lazy_bind_off, img->lazy_bind_size, BIND_LAZY);
  } else if (img->slide && img->filetype != MH_EXECUTE) {
    malformed(img, "image has neither LC_DYLD_INFO nor LC_DYLD_CHAINED_FIXUPS (classic relocations are not supported)");
  }
}

/*
 * The C half of dyld_stub_binder.  A stub's first call goes through its
 * __stub_helper entry, which pushes the offset of its lazy-bind entry in the
 * image's lazy bind info and the address of the image's __dyld_private; the
 * assembly binder passes both here.  Runs that one entry (binding the lazy
 * pointer) and returns the target the binder then jumps to.
 */
uint64_t mx_lazy_bind(const uint8_t *dyld_private, uint64_t offset) {
  pthread_mutex_lock(&g_lock);
  Image *img = NULL;
  for (int i = 0; i < g_nimages && !img; i++) {
    Image *m = g_images[i];
    if (m->map && dyld_private >= m->map && dyld_private < m->map + m->maplen) img = m;
  }
  if (!img) fail(EXIT_MALFORMED, "dyld_stub_binder: %p (the stub helper's __dyld_private) is in no loaded image", (void *)dyld_private);
  if (!img->has_dyld_info || offset >= img->lazy_bind_size)
    malformed(img, "dyld_stub_binder: lazy bind offset 0x%llx outside the lazy bind info (0x%x bytes)",
              (unsigned long long)offset, img->lazy_bind_size);
  t_last_bind = 0;
  run_bind_opcodes(img, img->lazy_bind_off + (uint32_t)offset, img->lazy_bind_size - (uint32_t)offset, BIND_LAZY_ONE);
  uint64_t target = t_last_bind;
  pthread_mutex_unlock(&g_lock);
  if (!target) fail(EXIT_NOTFOUND, "%s: dyld_stub_binder: lazy bind at offset 0x%llx bound nothing", img->path, (unsigned long long)offset);
  return target;
}

/* Link all images registered from index `first` on. */
static void link_images(int first) {
  for (int i = first; i < g_nimages; i++) fixup_image(g_images[i]);
  for (int i = first; i < g_nimages; i++) {
    Image *img = g_images[i];
    if (img->has_dyld_info && !img->has_chained)
      run_bind_opcodes(img, img->weak_bind_off, img->weak_bind_size, BIND_WEAK);
  }
  for (int i = first; i < g_nimages; i++) setup_tlv(g_images[i]);
  for (int i = first; i < g_nimages; i++) protect_image(g_images[i]);
}

typedef void (*InitFn)(int, char **, char **, char **, void *);

static void call_init(Image *img, uint64_t fn, const char *what) {
  int si = (uint64_t)fn < (uint64_t)img->slide ? -1 : seg_of_vm(img, fn - (uint64_t)img->slide, 1);
  if (si < 0 || !(img->segs[si].initprot & VM_PROT_EXECUTE))
    malformed(img, "%s initializer 0x%llx is not inside an executable segment", what, (unsigned long long)fn);
  TRACE("init %s: calling %s 0x%llx\n", img->path, what, (unsigned long long)fn);
  ((InitFn)(uintptr_t)fn)(g_argc, g_argv, g_envp, g_apple, NULL);
}

static void init_image(Image *img) {
  if (img->is_host || img->initialized || img->initializing) return;
  img->initializing = true;
  for (int i = 0; i < img->ndeps; i++)
    if (img->deps[i].image && img->deps[i].kind != DEP_UPWARD) init_image(img->deps[i].image);
  for (int i = 0; i < img->nsects; i++) {
    Sect *s = &img->sects[i];
    uint32_t t = s->flags & SECTION_TYPE;
    if (t == S_MOD_INIT_FUNC_POINTERS) {
      if (s->size % 8) malformed(img, "section %s,%s size not a multiple of 8", s->segname, s->sectname);
      if (seg_of_vm(img, s->addr, s->size) < 0) malformed(img, "section %s outside mapped segments", s->sectname);
      const uint8_t *p = img->map + (s->addr - img->min_vmaddr);
      for (uint64_t k = 0; k < s->size / 8; k++) {
        uint64_t fn;
        memcpy(&fn, p + k * 8, 8);
        call_init(img, fn, "S_MOD_INIT_FUNC_POINTERS");
      }
    } else if (t == S_INIT_FUNC_OFFSETS) {
      if (s->size % 4) malformed(img, "section %s,%s size not a multiple of 4", s->segname, s->sectname);
      if (seg_of_vm(img, s->addr, s->size) < 0) malformed(img, "section %s outside mapped segments", s->sectname);
      const uint8_t *p = img->map + (s->addr - img->min_vmaddr);
      for (uint64_t k = 0; k < s->size / 4; k++) {
        uint32_t o;
        memcpy(&o, p + k * 4, 4);
        call_init(img, (uint64_t)(uintptr_t)img->base + o, "S_INIT_FUNC_OFFSETS");
      }
    }
  }
  img->initializing = false;
  img->initialized = true;
}

/* ---- dlopen & friends for the program ---------------------------------------------------- */

static void set_dlerror(const char *msg) {
  snprintf(t_dlerror, sizeof t_dlerror, "%s", msg);
  t_dlerror_set = true;
}

static void *mx_dlopen(const char *path, int mode) {
  (void)mode;
  if (!path) return g_images[0];
  pthread_mutex_lock(&g_lock);
  int first = g_nimages;
  jmp_buf jb;
  jmp_buf *saved = t_catch;
  void *result = NULL;
  if (setjmp(jb) == 0) {
    t_catch = &jb;
    Image *img = NULL;
    if (!strchr(path, '/') && !file_exists(path)) {
      /* bare names: host libraries (libc.so.6, libSystem.dylib, ...) */
      if (strstr(path, "libSystem") || strncmp(path, "lib", 3) == 0) img = &g_host;
      else fail(EXIT_NOTFOUND, "dlopen(%s): image not found", path);
    } else if (is_system_library(path)) {
      img = &g_host;
    } else {
      if (!file_exists(path)) fail(EXIT_NOTFOUND, "dlopen(%s): image not found", path);
      img = load_image_tree(path, NULL);
      link_images(first);
      for (int i = first; i < g_nimages; i++) init_image(g_images[i]);
      init_image(img);
    }
    img->refcount++;
    result = img;
  } else {
    /* roll back images mapped by this failed dlopen */
    for (int i = first; i < g_nimages; i++)
      if (g_images[i]->map) munmap(g_images[i]->map, g_images[i]->maplen);
    g_nimages = first;
    set_dlerror(t_errmsg);
    result = NULL;
  }
  t_catch = saved;
  pthread_mutex_unlock(&g_lock);
  return result;
}

static void *mx_dlsym(void *handle, const char *name) {
  if (!name) {
    set_dlerror("dlsym: NULL symbol name");
    return NULL;
  }
  size_t nl = strlen(name);
  char *mname = xmalloc(nl + 2);
  mname[0] = '_';
  memcpy(mname + 1, name, nl + 1);
  pthread_mutex_lock(&g_lock);
  jmp_buf jb;
  jmp_buf *saved = t_catch;
  SymRes r = {0};
  if (setjmp(jb) == 0) {
    t_catch = &jb;
    intptr_t h = (intptr_t)handle;
    if (h == 0 || h == -1 || h == -2 || h == -3 || h == -5) {
      r = flat_lookup(mname, true);
    } else if (!is_valid_image(handle)) {
      snprintf(t_errmsg, sizeof t_errmsg, "dlsym(%p, %s): invalid handle", handle, name);
      longjmp(jb, 1);
    } else {
      /* the image, then its dependencies breadth first */
      Image *img = handle;
      Image **q = xcalloc((size_t)g_nimages + 2, sizeof *q);
      int qn = 0, qi = 0;
      q[qn++] = img;
      while (qi < qn && !r.found) {
        Image *x = q[qi++];
        r = lookup_in_image(x, mname, 0);
        if (x->is_host) continue;
        for (int d = 0; d < x->ndeps && !r.found; d++) {
          Image *di = x->deps[d].image;
          bool seen = !di;
          for (int k = 0; k < qn && !seen; k++) seen = q[k] == di;
          if (!seen && qn < g_nimages + 2) q[qn++] = di;
        }
      }
      free(q);
    }
    if (!r.found) {
      snprintf(t_errmsg, sizeof t_errmsg, "dlsym(%p, %s): symbol not found", handle, name);
      longjmp(jb, 1);
    }
  } else {
    set_dlerror(t_errmsg);
    r.found = false;
  }
  t_catch = saved;
  pthread_mutex_unlock(&g_lock);
  free(mname);
  return r.found ? (void *)(uintptr_t)r.addr : NULL;
}

static char *mx_dlerror(void) {
  if (!t_dlerror_set) return NULL;
  t_dlerror_set = false;
  return t_dlerror;
}

static int mx_dlclose(void *handle) {
  pthread_mutex_lock(&g_lock);
  int rc = 0;
  if (!is_valid_image(handle)) {
    set_dlerror("dlclose: invalid handle");
    rc = -1;
  } else if (((Image *)handle)->refcount > 0) {
    ((Image *)handle)->refcount--; /* images are never unmapped */
  }
  pthread_mutex_unlock(&g_lock);
  return rc;
}

/* ---- main ------------------------------------------------------------------------------------ */

static void usage(void) {
  fprintf(stderr, "usage: macho-exec IMAGE [args...]\n"
                  "Runs an " MX_CPU_NAME " Mach-O executable (or an image exporting _main) on Linux.\n"
                  "Exit status: the program's, 126 for a malformed image, 127 for a missing symbol/dependency.\n"
                  "MACHO_EXEC_TRACE=1 logs every rebase and bind to stderr.\n"
                  "MACHO_EXEC_LOAD_ONLY=1 loads and links the image (and its dependencies) but runs no code.\n"
                  "MACHO_EXEC_LAZY=1 binds lazy pointers on first call through dyld_stub_binder (default: at load).\n");
  exit(2);
}

int main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) usage();
  const char *tr = getenv("MACHO_EXEC_TRACE");
  g_trace = tr && *tr && strcmp(tr, "0") != 0;
  const char *lz = getenv("MACHO_EXEC_LAZY");
  g_lazy = lz && *lz && strcmp(lz, "0") != 0;
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&g_lock, &ma);
#if defined(__x86_64__)
  {
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 27)) && (c & (1u << 28))) {
      unsigned lo, hi;
      __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
      mx_have_avx = (lo & 6) == 6;
    }
  }
#endif
  /* make every library the TBD lists visible to dlsym(RTLD_DEFAULT, ...) */
  static const char *const host_libs[] = {"libm.so.6", "libpthread.so.0", "libdl.so.2", "libresolv.so.2"};
  for (size_t i = 0; i < sizeof host_libs / sizeof host_libs[0]; i++) (void)dlopen(host_libs[i], RTLD_NOW | RTLD_GLOBAL);
  mx_stack_chk_guard = (uintptr_t)0x2f8a5c3e1d7b9a61ULL ^ (uintptr_t)&argc ^ ((uintptr_t)getpid() << 16);

  g_main_path = argv[1];
  {
    /* err(3), warn(3), error(3) and getprogname-alikes name the program, not the loader */
    extern char *program_invocation_name, *program_invocation_short_name;
    const char *sl = strrchr(argv[1], '/');
    program_invocation_name = argv[1];
    program_invocation_short_name = (char *)(sl ? sl + 1 : argv[1]);
  }
  char *rp = realpath(argv[1], NULL);
  g_main_realpath = rp ? rp : argv[1];
  g_argc = argc - 1;
  g_argv = argv + 1;
  g_envp = environ;
  size_t el = strlen(g_main_realpath) + 32;
  g_apple[0] = xmalloc(el);
  snprintf(g_apple[0], el, "executable_path=%s", g_main_realpath);
  g_apple[1] = NULL;

  Image *m = load_image_tree(argv[1], NULL);
  link_images(0);
  const char *lo = getenv("MACHO_EXEC_LOAD_ONLY");
  if (lo && *lo && strcmp(lo, "0") != 0) {
    /* validate, map, fix up and protect everything, but run no program code */
    for (int i = 0; i < g_nimages; i++) fprintf(stderr, "macho-exec: loaded %s at %p\n", g_images[i]->path, (void *)g_images[i]->base);
    exit(0);
  }
  for (int i = 0; i < g_nimages; i++) init_image(g_images[i]);

  if (m->has_main) {
    typedef int (*MainFn)(int, char **, char **, char **);
    MainFn fn = (MainFn)(uintptr_t)(m->base + m->entryoff);
    TRACE("calling main at %p\n", (void *)fn);
    exit(fn(g_argc, g_argv, g_envp, g_apple));
  }
  if (m->has_unixthread) {
    uint64_t rip = m->thread_rip + (uint64_t)m->slide;
    int si = seg_of_vm(m, m->thread_rip, 1);
    if (si < 0 || !(m->segs[si].initprot & VM_PROT_EXECUTE))
      malformed(m, "LC_UNIXTHREAD entry 0x%llx is not inside an executable segment", (unsigned long long)m->thread_rip);
    int nenv = 0;
    while (g_envp[nenv]) nenv++;
    size_t words = 1 + (size_t)g_argc + 1 + (size_t)nenv + 1 + 2 + 1;
    size_t stsz = 1 << 20;
    uint8_t *stk = mmap(NULL, stsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stk == MAP_FAILED) fail(EXIT_MALFORMED, "cannot allocate a stack");
    uintptr_t *sp = (uintptr_t *)(((uintptr_t)(stk + stsz) - words * 8) & ~(uintptr_t)15);
    size_t k = 0;
    sp[k++] = (uintptr_t)g_argc;
    for (int i = 0; i < g_argc; i++) sp[k++] = (uintptr_t)g_argv[i];
    sp[k++] = 0;
    for (int i = 0; i < nenv; i++) sp[k++] = (uintptr_t)g_envp[i];
    sp[k++] = 0;
    sp[k++] = (uintptr_t)g_apple[0];
    sp[k++] = 0;
    fflush(NULL);
    TRACE("jumping to LC_UNIXTHREAD entry 0x%llx\n", (unsigned long long)rip);
    mx_start_unixthread((void *)(uintptr_t)rip, sp);
  }
  SymRes r = lookup_in_image(m, "_main", 0);
  if (r.found) {
    typedef int (*MainFn)(int, char **, char **, char **);
    exit(((MainFn)(uintptr_t)r.addr)(g_argc, g_argv, g_envp, g_apple));
  }
  fail(EXIT_MALFORMED, "%s: malformed image: no entry point (no LC_MAIN, no LC_UNIXTHREAD, no exported _main)", m->path);
}
