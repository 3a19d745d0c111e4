#!/usr/bin/env bash
# Builds build/macho-exec from macho-exec.c + macho-exec-asm.S, only when a
# source (or this script) is newer than the binary.  Prints the binary's path.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/build/macho-exec"
srcs=("$here/macho-exec.c" "$here/macho-exec-asm.S")
need=0
if [ ! -x "$out" ]; then need=1; fi
for s in "${srcs[@]}" "$here/build.sh"; do
  if [ "$s" -nt "$out" ]; then need=1; fi
done
if [ "$need" = 1 ]; then
  mkdir -p "$here/build"
  tmp="$out.tmp.$$"
  ${CC:-cc} -O1 -g -Wall -Wextra -Wno-unused-parameter -o "$tmp" "${srcs[@]}" -ldl -lpthread -lm
  mv -f "$tmp" "$out"
fi
echo "$out"
