#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rmem-vm-test: the QEMU harness's host side, without booting a guest.
# scripts/rmem-vm --prepare into an empty cache, for a compute guest and
# memory guests on different kernels (--mem-kernel, as make check-debug
# runs them): one initramfs per kernel, each holding only its own kernel's
# modules; a second run rebuilds nothing; bad options are refused. And the
# guest tests' lint (scripts/tap-lint.py).
# Prints TAP.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=scripts/host-tap.sh
. "$root/scripts/host-tap.sh"
vm=$root/scripts/rmem-vm
export RMEM_VM_CACHE=$tmp/cache

k1=$("$root/scripts/kver.sh" 6.1) && k2=$("$root/scripts/kver.sh" 6.12) || {
	echo "Bail out! kernels 6.1 and 6.12 are not installed (make deps)"
	exit 1
}

"$vm" --prepare --kernel 6.1 --mem-kernel 6.12 --no-module >"$tmp/p1" 2>&1
rc=$?
ok $rc "rmem-vm --prepare --kernel 6.1 --mem-kernel 6.12 into an empty cache (exit $rc)"
[ $rc = 0 ] || sed 's/^/# /' "$tmp/p1"

# initramfs_ok RELEASE: exactly one initramfs for RELEASE, its modules.list
# names every module it holds, 9p among them, each built for RELEASE.
initramfs_ok() {
	local rel=$1 f d m bad=0
	# shellcheck disable=SC2206 # the glob is the point
	f=("$RMEM_VM_CACHE"/initramfs-"$rel"-*.cpio)
	[ ${#f[@]} = 1 ] && [ -s "${f[0]}" ] || { echo "# no single initramfs for $rel: ${f[*]}"; return 1; }
	d=$tmp/x-$rel
	mkdir -p "$d" && (cd "$d" && cpio -id --quiet <"${f[0]}") || return 1
	[ -c "$d/dev/console" ] && [ -x "$d/init" ] && [ -x "$d/bin/busybox" ] ||
		{ echo "# $rel: no console, init or busybox"; return 1; }
	grep -qx '9p.ko' "$d/modules.list" || { echo "# $rel: no 9p.ko in modules.list"; return 1; }
	[ "$(sort "$d/modules.list")" = "$(cd "$d/modules" && ls | sort)" ] ||
		{ echo "# $rel: modules.list and modules/ differ"; return 1; }
	for m in "$d"/modules/*.ko; do
		[ "$(modinfo -F vermagic "$m" | cut -d' ' -f1)" = "$rel" ] ||
			{ echo "# $rel: $(basename "$m") is for another kernel"; bad=1; }
	done
	return $bad
}
initramfs_ok "$k1"
ok $? "the compute guest's initramfs holds only $k1's modules"
initramfs_ok "$k2"
ok $? "the memory guests' initramfs holds only $k2's modules"

"$vm" --prepare --kernel 6.1 --mem-kernel 6.12 --no-module >"$tmp/p2" 2>&1
rc=$?
! grep -q ' built ' "$tmp/p2" && [ $rc = 0 ]
ok $? "a second --prepare rebuilds nothing (exit $rc)"
grep ' built ' "$tmp/p2" | sed 's/^/# /'

# bad OPTIONS... MESSAGE: exit 126 with MESSAGE on stderr, nothing booted.
bad() {
	local msg=${*: -1} out rc
	out=$("$vm" "${@:1:$#-1}" 2>&1)
	rc=$?
	[ $rc = 126 ] && [[ $out == *"$msg"* ]]
	ok $? "rmem-vm ${*:1:$#-1}: refused with \"$msg\" (exit $rc)"
	[ $rc = 126 ] || echo "$out" | tail -n 3 | sed 's/^/# /'
}
bad --memory-nodes 4 --prepare "--memory-nodes must be 0..3"
bad --mem-kernel debug --prepare "--mem-kernel debug: use --kernel debug"
bad --mem-kernel 5.10 --prepare "no kernel '5.10'"
bad --prepare /bin/true "take no SCRIPT"
bad --shell --prepare "not both"
bad --transport ib /bin/true "--transport must be tcp, rdma or auto"

# The guest tests' lint (scripts/tap-lint.py, run by make style): a TAP
# status taken after a command substitution is always 0.
# shellcheck disable=SC2016 # test input: expanded by no one
printf '%s\n' '[ 1 = 2 ]' 'tap_result "copies: $(copies st)" $? ||' \
	'	tap_fail_rest "setup"' >"$tmp/bad.sh"
# shellcheck disable=SC2016
printf '%s\n' '[ 1 = 2 ]' 'tap_last=$?' 'tap_result "copies: $(copies st)" "$tap_last"' \
	'tap_result "$((1 + 1)) pages" $?' >"$tmp/good.sh"
out=$("$root/scripts/tap-lint.py" "$tmp/bad.sh" 2>&1)
rc=$?
[ $rc = 1 ] && [[ $out == *"bad.sh:2:"* ]]
ok $? "tap-lint flags a tap_result whose \$? follows a command substitution (exit $rc)"
"$root/scripts/tap-lint.py" "$tmp/good.sh" >/dev/null 2>&1
ok $? "tap-lint passes a status taken first, and arithmetic"

tap_end
