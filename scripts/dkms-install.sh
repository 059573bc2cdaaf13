#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make dkms-install: register rmem.ko with DKMS so that it is rebuilt for
# every kernel, now and after kernel upgrades.
#
#   scripts/dkms-install.sh [--build-only] [--uninstall] [--tree DIR] [-k KVER]...
#
# Copies the module sources (Kbuild, VERSION, kmod/, include/) and dkms.conf
# to /usr/src/rmem-VERSION, then runs `dkms add`, `dkms build` and (unless
# --build-only) `dkms install` for each KVER: by default every kernel whose
# headers are installed (/lib/modules/*/build). A previous registration of the
# same version is removed first. --uninstall removes rmem-VERSION from DKMS
# and /usr/src. --tree DIR keeps everything (sources, DKMS tree, installed
# modules) under DIR instead of /usr/src, /var/lib/dkms and /lib/modules: a
# check that dkms.conf builds, leaving the system untouched (make check does
# this, and that a 5.10 kernel is skipped). Needs the dkms package (make
# deps), and root unless --tree.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version=$(cat "$root/VERSION")
src=/usr/src/rmem-$version
build_only=0 uninstall=0 kvers=() tree=

while [ $# -gt 0 ]; do
	case $1 in
	--build-only) build_only=1 ;;
	--uninstall) uninstall=1 ;;
	--tree) [ $# -ge 2 ] || { echo "dkms-install: --tree needs a directory" >&2; exit 2; }
		mkdir -p "$2" && tree=$(cd "$2" && pwd); shift ;;
	-k | --kernel) [ $# -ge 2 ] || { echo "dkms-install: $1 needs a kernel release" >&2; exit 2; }
		kvers+=("$("$root/scripts/kver.sh" "$2")"); shift ;;
	-h | --help) sed -n '3,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "dkms-install: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

say() { echo "dkms-install: $*"; }
command -v dkms >/dev/null || { say "dkms is not installed (run: make deps)" >&2; exit 1; }
treeopt=()
if [ -n "$tree" ]; then
	src=$tree/src/rmem-$version
	mkdir -p "$tree/src" "$tree/dkms" "$tree/modules"
	treeopt=(--sourcetree "$tree/src" --dkmstree "$tree/dkms" --installtree "$tree/modules")
else
	[ "$(id -u)" -eq 0 ] || { say "needs root (or --tree DIR)" >&2; exit 1; }
fi
dkms() { command dkms "$@" "${treeopt[@]}"; }

registered() { dkms status -m rmem -v "$version" 2>/dev/null | grep -q .; }

# A private tree is ours alone: start it afresh.
[ -n "$tree" ] && rm -rf "$tree/dkms/rmem" "$tree/modules" "$src"
if registered; then
	say "removing the previous rmem/$version from DKMS"
	dkms remove -m rmem -v "$version" --all >/dev/null
fi
if [ $uninstall = 1 ]; then
	rm -rf "$src"
	say "rmem/$version removed"
	exit 0
fi

if [ ${#kvers[@]} -eq 0 ]; then
	for d in /lib/modules/*/build; do
		[ -e "$d/Makefile" ] && kvers+=("$(basename "$(dirname "$d")")")
	done
fi
[ ${#kvers[@]} -gt 0 ] || { say "no kernel headers installed (run: make deps)" >&2; exit 1; }

say "copying sources to $src"
rm -rf "$src"
mkdir -p "$src"
cp -a "$root/Kbuild" "$root/VERSION" "$root/kmod" "$root/include" "$src/"
sed "s/@VERSION@/$version/" "$root/dkms.conf" >"$src/dkms.conf"

dkms add -m rmem -v "$version"
for k in "${kvers[@]}"; do
	say "building for $k"
	dkms build -m rmem -v "$version" -k "$k"
	if [ $build_only = 0 ]; then
		dkms install -m rmem -v "$version" -k "$k"
	fi
done
dkms status -m rmem -v "$version"
# In a private tree (make check), also check that dkms.conf's
# BUILD_EXCLUSIVE_KERNEL skips a kernel rmem is not made for: DKMS exits 77.
if [ -n "$tree" ]; then
	rc=0
	dkms build -m rmem -v "$version" -k 5.10.0-0-rmemtest >/dev/null 2>&1 || rc=$?
	if [ $rc != 77 ]; then
		say "error: dkms build for 5.10.0-0-rmemtest exited $rc, not 77: BUILD_EXCLUSIVE_KERNEL does not skip it" >&2
		exit 1
	fi
	say "a 5.10 kernel is skipped (BUILD_EXCLUSIVE_KERNEL), as it should be"
fi
if [ $build_only = 0 ]; then
	say "done: 'modprobe rmem' loads it on ${kvers[*]}"
fi
