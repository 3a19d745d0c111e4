#!/usr/bin/env bash
# Installs what tsld's tests and example need on Debian, idempotently:
# LLVM 19 (clang-19, ld64.lld-19, llvm-mc-19, llvm-objdump-19, …) to build
# Mach-O fixtures and check outputs, a C compiler for the macho-exec loader,
# dpkg-dev for `apt-get source`, tclsh for sqlite's amalgamation, Go
# (Debian golang-go, 1.19) as an external-link client of ld64.tsld, and, to
# run arm64 Mach-O, the aarch64 cross gcc and glibc (the loader's aarch64
# build and its libSystem) with qemu-user (qemu-aarch64 runs that build).
set -euo pipefail
need=()
for t in clang-19 ld64.lld-19 llvm-mc-19 llvm-objdump-19 llvm-dwarfdump-19 llvm-readobj-19 FileCheck-19 cc dpkg-source tclsh go \
  qemu-aarch64 aarch64-linux-gnu-gcc; do
  command -v "$t" >/dev/null 2>&1 || need+=("$t")
done
[ -e /usr/aarch64-linux-gnu/lib/libc.so.6 ] && [ -e /usr/aarch64-linux-gnu/include/stdio.h ] || need+=("libc6-dev-arm64-cross")
if [ "${#need[@]}" -eq 0 ]; then
  echo "toolchain: all present"
  exit 0
fi
echo "toolchain: installing (missing: ${need[*]})"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends clang-19 lld-19 llvm-19 llvm-19-tools gcc libc6-dev dpkg-dev tcl golang-go \
  qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross >/dev/null
for t in clang-19 ld64.lld-19 llvm-mc-19 llvm-objdump-19 cc qemu-aarch64 aarch64-linux-gnu-gcc; do
  command -v "$t" >/dev/null 2>&1 || { echo "toolchain: $t still missing after install" >&2; exit 1; }
done
echo "toolchain: ready"
