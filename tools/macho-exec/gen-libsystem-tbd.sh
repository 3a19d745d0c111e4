#!/usr/bin/env bash
# gen-libsystem-tbd.sh [--arch x86_64|arm64] OUT
# Writes a TAPI v4 text stub (TBD) for '/usr/lib/libSystem.B.dylib' whose
# export list is every dynamic symbol defined by glibc (libc, libm,
# libpthread, libdl, libresolv), each as both `_NAME` (what C code compiled for
# Darwin references) and `NAME` (glibc asm-redirected names such as
# `__isoc99_sscanf`), plus the Darwin-only names that macho-exec provides
# itself. ld64.lld links against it with `-L<dir of OUT> -lSystem`.
# x86_64 (the default): the host's glibc, target x86_64-macos; arm64: the
# aarch64 cross glibc in /usr/aarch64-linux-gnu (what the aarch64 loader runs
# with under qemu), target arm64-macos.
set -euo pipefail
arch=x86_64
case "${1:-}" in
  --arch) arch="${2:?gen-libsystem-tbd.sh: --arch needs x86_64 or arm64}"; shift 2 ;;
  --arch=*) arch="${1#--arch=}"; shift ;;
esac
out="${1:?usage: gen-libsystem-tbd.sh [--arch x86_64|arm64] OUT}"
case "$arch" in
  x86_64)
    target=x86_64-macos
    libdirs=(/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib64 /lib /usr/lib) ;;
  arm64 | aarch64)
    target=arm64-macos
    libdirs=(/usr/aarch64-linux-gnu/lib /usr/aarch64-linux-gnu/lib64) ;;
  *) echo "gen-libsystem-tbd.sh: unknown --arch $arch (x86_64 or arm64)" >&2; exit 2 ;;
esac

nm_tool=""
for t in llvm-nm-19 llvm-nm nm; do
  if command -v "$t" >/dev/null 2>&1; then nm_tool="$t"; break; fi
done
[ -n "$nm_tool" ] || { echo "gen-libsystem-tbd.sh: no nm found (need llvm-nm-19 or nm)" >&2; exit 1; }

libdir=""
for d in "${libdirs[@]}"; do
  if [ -e "$d/libc.so.6" ]; then libdir="$d"; break; fi
done
[ -n "$libdir" ] || { echo "gen-libsystem-tbd.sh: cannot find libc.so.6 for $arch (in ${libdirs[*]}); run tools/setup-toolchain.sh" >&2; exit 1; }

libs=()
for l in libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 libresolv.so.2; do
  [ -e "$libdir/$l" ] && libs+=("$libdir/$l")
done

tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
{
  for l in "${libs[@]}"; do
    # columns: [value] type name ; skip absolute version nodes (type A)
    "$nm_tool" -D --defined-only "$l" | awk '$(NF-1) != "A" && $(NF-1) != "a" { print $NF }'
  done |
    sed -e 's/@.*$//' | grep -v '^$' | sort -u | awk '{ print "_" $0; print $0 }'
  # Darwin-only names the loader maps or implements itself.
  cat <<'NAMES'
dyld_stub_binder
__tlv_bootstrap
__tlv_atexit
___error
___stderrp
___stdoutp
___stdinp
___stack_chk_guard
___stack_chk_fail
___chkstk_darwin
___bzero
___sincos_stret
___sincosf_stret
___exp10
___exp10f
_atexit
_at_quick_exit
_pthread_atfork
_memset_pattern4
_memset_pattern8
_memset_pattern16
_dlopen
_dlsym
_dlerror
_dlclose
__NSGetExecutablePath
__NSGetArgc
__NSGetArgv
__NSGetEnviron
__dyld_image_count
__dyld_get_image_name
__dyld_get_image_header
__dyld_get_image_vmaddr_slide
NAMES
} | grep -v "'" | LC_ALL=C sort -u > "$tmp"

mkdir -p "$(dirname "$out")"
{
  echo "--- !tapi-tbd"
  echo "tbd-version:     4"
  echo "targets:         [ $target ]"
  echo "install-name:    '/usr/lib/libSystem.B.dylib'"
  echo "current-version: 1311"
  echo "exports:"
  echo "  - targets:         [ $target ]"
  echo "    symbols:         [ "
  awk 'NR > 1 { printf ",\n" } { printf "                       '\''%s'\''", $0 } END { printf "\n" }' "$tmp"
  echo "                     ]"
  echo "..."
} > "$out.tmp.$$"
mv "$out.tmp.$$" "$out"
