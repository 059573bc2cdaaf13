#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unpack the few kernel-source files rmem's checks need from Debian's
# linux-source tarball, once, into the build tree (never into git):
#   build/tools/{checkpatch.pl,spelling.txt,const_structs.checkpatch}
#   build/ksft/{kselftest_harness.h,kselftest.h}
# One tar pass for all of them (the .tar.xz takes ~15 s to scan). A stamp
# file naming the tarball makes later runs instant.
#   scripts/ksrc.sh [BUILD_DIR]      (default: <repo>/build)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}

tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$tarball" ]; then
	echo "ksrc: no /usr/src/linux-source-*.tar.xz (run: make deps)" >&2
	exit 1
fi
top=$(basename "$tarball" .tar.xz)
stamp=$build/ksrc.stamp
want=(tools/checkpatch.pl tools/spelling.txt tools/const_structs.checkpatch
      ksft/kselftest_harness.h ksft/kselftest.h)

fresh=1
[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$tarball $(stat -c %Y "$tarball")" ] || fresh=0
for f in "${want[@]}"; do [ -s "$build/$f" ] || fresh=0; done
[ $fresh -eq 1 ] && exit 0

mkdir -p "$build"
tmp=$(mktemp -d "$build/.ksrc.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "ksrc: unpacking checkpatch and kselftest headers from $tarball" >&2
tar -xJf "$tarball" -C "$tmp" --wildcards \
	"$top/scripts/checkpatch.pl" \
	"$top/scripts/spelling.txt" \
	"$top/scripts/const_structs.checkpatch" \
	"$top/tools/testing/selftests/kselftest_harness.h" \
	"$top/tools/testing/selftests/kselftest.h"
mkdir -p "$build/tools" "$build/ksft"
cp "$tmp/$top/scripts/checkpatch.pl" "$tmp/$top/scripts/spelling.txt" \
	"$tmp/$top/scripts/const_structs.checkpatch" "$build/tools/"
chmod +x "$build/tools/checkpatch.pl"
cp "$tmp/$top/tools/testing/selftests/kselftest_harness.h" \
	"$tmp/$top/tools/testing/selftests/kselftest.h" "$build/ksft/"
echo "$tarball $(stat -c %Y "$tarball")" >"$stamp"
