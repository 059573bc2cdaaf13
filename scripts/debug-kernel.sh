#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build rmem's debug guest kernel (KASAN, lockdep, kmemleak, fault injection)
# from Debian's linux-source-6.12, once, and print where it is:
#
#   scripts/debug-kernel.sh [--print] [BUILD_DIR]     (default: <repo>/build)
#
# Config: x86_64 `make defconfig`, then scripts/debug-kernel.config merged on
# top (merge_config.sh + olddefconfig). Everything the guests need is built in.
# Cache: BUILD_DIR/debug-kernel/KEY/, KEY hashing the fragment, the recipe
# number below, the linux-source-6.12 package version and the compiler. A second run with
# the same KEY does nothing but print. The build runs under `nice -n 19`
# (guest tests share the two cores) and its wall time is saved in
# KEY/build-time. Output, shell-evaluable (scripts/rmem-vm reads it):
#
#   DEBUG_KEY=...      cache key
#   DEBUG_KVER=...     kernel release (uname -r in the guest)
#   DEBUG_BZIMAGE=...  the kernel to boot
#   DEBUG_KDIR=...     prepared tree with Module.symvers: make -C DEBUG_KDIR M=...
#   DEBUG_KMODS=...    its /lib/modules/RELEASE (modules.builtin etc.)
#
# --print: only print, exit 1 if the kernel is not built yet.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
print_only=0
[ "${1:-}" = --print ] && { print_only=1; shift; }
build=${1:-$root/build}
frag=$root/scripts/debug-kernel.config
pkg=linux-source-6.12
tarball=/usr/src/$pkg.tar.xz
say() { echo "debug-kernel: $*" >&2; }

ver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)
if [ -z "$ver" ] || [ ! -r "$tarball" ]; then
	say "$tarball missing (run: scripts/deps-debug.sh)"
	exit 1
fi
# Bump when the recipe below changes what is built (editing comments or the
# output must not cost an hour's rebuild).
recipe=1
key=$({ echo "$pkg $ver recipe $recipe"; gcc --version | head -n1; cat "$frag"; } |
	sha256sum | cut -c1-12)
out=$build/debug-kernel/$key
tree=$out/$pkg

emit() {
	echo "DEBUG_KEY=$key"
	echo "DEBUG_KVER=$(cat "$out/kernel.release")"
	echo "DEBUG_BZIMAGE=$out/bzImage"
	echo "DEBUG_KDIR=$tree"
	echo "DEBUG_KMODS=$out/modroot/lib/modules/$(cat "$out/kernel.release")"
}
if [ -e "$out/.done" ]; then
	emit
	exit 0
fi
[ "$print_only" = 1 ] && { say "not built yet (key $key): run scripts/debug-kernel.sh"; exit 1; }

mkdir -p "$build/debug-kernel"
# One build at a time; the loser of a race finds the winner's result.
exec 9>"$build/debug-kernel/.lock"
flock 9
if [ -e "$out/.done" ]; then
	emit
	exit 0
fi
rm -rf "$out"
mkdir -p "$out"
t0=$(date +%s)
say "building key $key ($pkg $ver) in $out; log in $out/build.log"
{
	set -x
	nice -n 19 tar -xJf "$tarball" -C "$out"
	cd "$tree"
	# The key is in the release so that rmem.ko built against one tree never
	# loads into another (build/RELEASE/rmem.ko).
	echo "-rmemdbg-$key" >localversion-rmem
	nice -n 19 make -s defconfig
	nice -n 19 scripts/kconfig/merge_config.sh -m .config "$frag"
	nice -n 19 make -s olddefconfig
	set +x
} >"$out/build.log" 2>&1 || { tail -n 30 "$out/build.log" >&2; say "configure failed"; exit 1; }

# Every line of the fragment must have survived olddefconfig: a symbol whose
# dependencies are missing is silently dropped.
# Symbols wanted off but selected by others only cost build time: a note.
missing=$(grep -E '^CONFIG_' "$frag" | while read -r line; do
	grep -qxF "$line" "$tree/.config" || echo "$line"
done)
grep -E '^# CONFIG_' "$frag" | while read -r _ sym _; do
	! grep -Eq "^$sym=" "$tree/.config" || say "note: $sym is on (selected by another symbol)"
done
if [ -n "$missing" ]; then
	say "the config lost these fragment lines (dependencies?):"
	while read -r l; do say "    $l"; done <<<"$missing"
	exit 1
fi

say "nice -n 19 make -j2 (about 20 min on 2 cores)"
(cd "$tree" && nice -n 19 make -j2 all) >>"$out/build.log" 2>&1 ||
	{ tail -n 30 "$out/build.log" >&2; say "build failed (log: $out/build.log)"; exit 1; }
(cd "$tree" && nice -n 19 make -s modules_install INSTALL_MOD_PATH="$out/modroot" \
	INSTALL_MOD_STRIP=1 DEPMOD=/sbin/depmod) >>"$out/build.log" 2>&1 ||
	{ tail -n 30 "$out/build.log" >&2; say "modules_install failed"; exit 1; }
cp "$tree/arch/x86/boot/bzImage" "$out/bzImage"
cp "$tree/include/config/kernel.release" "$out/kernel.release"
cp "$tree/.config" "$out/config"
secs=$(($(date +%s) - t0))
echo "$secs s ($(date -u +%FT%TZ), $(nproc) CPUs, nice 19)" >"$out/build-time"
touch "$out/.done"
say "built $(cat "$out/kernel.release") in $((secs / 60)) min $((secs % 60)) s"
# Older keys' trees are 2+ GB each: keep only this one.
for d in "$build"/debug-kernel/*/; do
	[ "${d%/}" = "$out" ] || rm -rf "${d%/}"
done
emit
