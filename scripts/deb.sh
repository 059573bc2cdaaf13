#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: the Debian packages rmem-dkms, rmemd and rmemctl, built with
# dpkg-buildpackage -us -uc -b (debhelper, dh-dkms: debian/) in a copy of
# the tree, build/deb/rmem-VERSION/, so that nothing is written outside
# build/. The .debs land in build/deb/.
#
#   scripts/deb.sh [--lintian]
#
# --lintian: then run lintian on them (the .changes): an error or a warning
# fails.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version=$(cat "$root/VERSION")
out=$root/build/deb
src=$out/rmem-$version
lint=0
[ "${1:-}" = --lintian ] && lint=1

for t in dpkg-buildpackage dh dh_dkms; do
	command -v "$t" >/dev/null || { echo "deb: $t missing (run: make deps)" >&2; exit 1; }
done
cl=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)
[ "$cl" = "$version" ] ||
	{ echo "deb: debian/changelog is at $cl, VERSION at $version: add a changelog entry" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$src"
# Built files of the tree are not sources: an in-tree kbuild leaves objects
# in kmod/ (rmem-dkms is arch-independent: lintian refuses objects in it).
tar -C "$root" --exclude=./build --exclude=./.git --exclude='*.o' --exclude='*.ko' \
	--exclude='.*.cmd' --exclude='*.mod' --exclude='*.mod.c' --exclude=Module.symvers \
	--exclude=modules.order -cf - . | tar -C "$src" -xf -
make -s -C "$src/daemon" clean >/dev/null
make -s -C "$src/tools" clean >/dev/null
make -s -C "$src/selftests" clean >/dev/null 2>&1 || true
(cd "$src" && env -u WERROR dpkg-buildpackage -us -uc -b)
ls -l "$out"/*.deb
if [ $lint = 1 ]; then
	command -v lintian >/dev/null || { echo "deb: lintian missing (run: make deps)" >&2; exit 1; }
	lintian --fail-on error,warning "$out"/rmem_"$version"_*.changes
fi
