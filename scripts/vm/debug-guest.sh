#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-guest.sh: run a guest suite on the debug kernel (scripts/rmem-vm
# --kernel debug, see scripts/debug-kernel.sh), then look for leaks:
#
#   scripts/rmem-vm --kernel debug scripts/vm/debug-guest.sh [--fault] SUITE [ARGS...]
#
# SUITE (a host path, e.g. selftests/run-guest.sh) runs as it would anywhere,
# its TAP passed through. Then rmem.ko is unloaded and kmemleak scanned; one
# more TAP line fails when a suspected leak was allocated from rmem.ko (a
# frame of its backtrace in the module, by name or address). Leaks that do not
# involve rmem are listed as comments only. Reports go to $RMEM_OUT/kmemleak*.txt.
#
# --fault: failslab and fail_page_alloc (Documentation/fault-injection/) fail
# a share of the allocations whose call stack passes through rmem.ko's code
# (require-start/require-end = the module's address range) while SUITE runs.
# The suite's own results are then expected to fail and become comments; the
# run passes when no crash line reached the kernel log (rmem-vm's verdict),
# rmem.ko unloads and nothing leaked.
#   RMEM_FAULT_PROBABILITY  percent of eligible allocations to fail (default 10)
#   RMEM_TIMEOUT_SCALE      multiplies tests.list's timeouts (default 3)
#   RMEM_DATA_DIV           divides the heaviest tests' bulk data (default 8)
# Exit status: SUITE's (without --fault), or 1 when a check of this script failed.
set -u

# The whole script is one compound command, parsed before it runs: editing
# this file (on the host, seen over 9p) while a guest runs it cannot break
# that run.
{
# shellcheck source=scripts/vm/guest-lib.sh
. "$RMEM_LIB"

fault=0
[ "${1:-}" = --fault ] && { fault=1; shift; }
[ $# -ge 1 ] || rmem_die "usage: debug-guest.sh [--fault] SUITE [ARGS...]"
suite=$1
shift
dbg=/sys/kernel/debug
kml=$dbg/kmemleak
out=${RMEM_OUT:-/tmp}
failed=0
emit() {
	echo "$1"
	case $1 in "not ok"*) failed=1 ;; esac
}

# The module's address range: every frame of rmem.ko lies inside it (all
# other drivers of the debug kernel are built in).
mod_range() {
	local text size
	text=$(cat /sys/module/rmem/sections/.text 2>/dev/null) || return 1
	size=$(awk '$1 == "rmem" { print $2 }' /proc/modules)
	[ -n "$size" ] || return 1
	mod_start=$((text))
	# 6.12 allocates text, data and rodata separately: text + the whole
	# module's size covers the text (and no other module's code: there is none).
	mod_end=$((text + size))
}

# Everything runs several times slower here: run-guest.sh scales the
# timeouts of tests.list (blk_io_test's 1200 s ran out under KASAN).
export RMEM_TIMEOUT_SCALE=${RMEM_TIMEOUT_SCALE:-3}
# And the heaviest tests move less data (lib.sh): blk_io_test's 131072
# fio I/Os alone took over 35 minutes here.
export RMEM_DATA_DIV=${RMEM_DATA_DIV:-8}

[ -w "$kml" ] || rmem_die "no $kml (not the debug kernel? see scripts/debug-kernel.sh)"
# Forget what boot and the harness's setup left (rxe, 9p): only leaks from
# here on are the suite's.
echo scan >"$kml" && echo clear >"$kml"

if [ "$fault" = 1 ]; then
	mod_range || rmem_die "rmem.ko not loaded: nothing to aim fault injection at"
	prob=${RMEM_FAULT_PROBABILITY:-10}
	budget=1000000
	for f in failslab fail_page_alloc; do
		d=$dbg/$f
		[ -d "$d" ] || rmem_die "no $d (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC)"
		echo 0 >"$d/probability"
		printf '%#x\n' "$mod_start" >"$d/require-start"
		printf '%#x\n' "$mod_end" >"$d/require-end"
		echo 32 >"$d/stacktrace-depth"
		echo N >"$d/ignore-gfp-wait"
		echo 1 >"$d/interval"
		# "times" counts down with each injected failure: the count.
		echo "$budget" >"$d/times"
		echo 1 >"$d/verbose"
	done
	echo 0 >"$dbg/fail_page_alloc/min-order"
	echo N >"$dbg/fail_page_alloc/ignore-gfp-highmem"
	echo "# fault injection: failslab and fail_page_alloc, ${prob}% of allocations" \
		"from $(printf '%#x-%#x' "$mod_start" "$mod_end") (rmem.ko)"
	rmem_kmsg "fault injection on (${prob}%)"
	echo "$prob" >"$dbg/failslab/probability"
	echo "$prob" >"$dbg/fail_page_alloc/probability"
	echo "TAP version 13"
	bash "$suite" "$@" </dev/null 2>&1 | sed 's/^/# | /'
	rc=${PIPESTATUS[0]}
	echo 0 >"$dbg/failslab/probability"
	echo 0 >"$dbg/fail_page_alloc/probability"
	rmem_kmsg "fault injection off"
	ns=$((budget - $(cat "$dbg/failslab/times")))
	np=$((budget - $(cat "$dbg/fail_page_alloc/times")))
	emit "ok - $suite under fault injection ended (exit $rc): $ns slab and $np page allocations failed"
	[ $((ns + np)) -gt 0 ] || emit "not ok - no failure was injected: the filter missed rmem.ko"
else
	bash "$suite" "$@" </dev/null 2>&1
	rc=$?
	mod_range || true
fi

# ---- leaks: unload first, so that everything rmem.ko owned is freed
rmem_drop_caches >/dev/null 2>&1 || true
if [ -d /sys/module/rmem ]; then
	# Range of the module that is about to go (the suite may have reloaded it).
	mod_range || true
	if rmmod rmem 2>"$out/rmmod.err"; then
		emit "ok - rmem.ko unloads after the suite"
	else
		emit "not ok - rmem.ko unloads after the suite: $(cat "$out/rmmod.err")"
	fi
fi
# kmemleak reports an object only once it is older than 5 s and was seen
# unreferenced by a scan; the second scan catches what the first one aged.
sleep 6
echo scan >"$kml"
sleep 1
echo scan >"$kml"
cat "$kml" >"$out/kmemleak.txt"

# involves_rmem REPORT: a frame named [rmem] or rmem_*, or an address in
# the (unloaded) module's range.
involves_rmem() {
	local a
	grep -Eq '\[rmem\]|(^|[^[:alnum:]_])rmem_[[:alnum:]_]+\+0x' <<<"$1" && return 0
	[ -n "${mod_start:-}" ] || return 1
	# 64-bit kernel addresses are negative in bash arithmetic; the module
	# area is all of one sign, so the order still holds.
	while read -r a; do
		a=${a#0x}
		[ $((16#$a)) -ge "$mod_start" ] && [ $((16#$a)) -lt "$mod_end" ] && return 0
	done < <(grep -Eo '(0x)?ffff[0-9a-f]{12}' <<<"$1")
	return 1
}
total=0 ours=0 report=''
flush() {
	[ -n "$report" ] || return 0
	total=$((total + 1))
	if involves_rmem "$report"; then
		ours=$((ours + 1))
		echo "$report" >>"$out/kmemleak-rmem.txt"
		while IFS= read -r l; do echo "# leak: $l"; done <<<"$report"
	fi
	report=''
}
: >"$out/kmemleak-rmem.txt"
while IFS= read -r line; do
	case $line in "unreferenced object"*) flush ;; esac
	report+=${report:+$'\n'}$line
done <"$out/kmemleak.txt"
flush
if [ "$ours" -eq 0 ]; then
	emit "ok - kmemleak: no leak involving rmem.ko ($total suspected leaks elsewhere, in kmemleak.txt)"
else
	emit "not ok - kmemleak: $ours suspected leaks involving rmem.ko (kmemleak-rmem.txt)"
	rmem_kmsg "kmemleak: $ours unreferenced object(s) allocated by rmem.ko"
fi

if [ "$fault" = 1 ]; then
	exit "$failed"
fi
[ "$failed" = 0 ] || exit 1
exit "$rc"
}
