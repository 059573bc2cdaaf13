#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-guest.sh: run every selftest listed in tests.list, in order, inside the
# compute guest. This is the SCRIPT that make check hands to scripts/rmem-vm:
#
#     scripts/rmem-vm --kernel 6.1 selftests/run-guest.sh [NAME...]
#
# With NAMEs, only those tests run. Each test's own TAP goes to stdout as it
# is (no prefixes), so the combined output is the tests' TAP streams one after
# another. When a test breaks its own TAP -- exits non-zero without a
# "not ok" line, prints fewer results than it planned, times out, or prints no
# TAP at all -- one more "not ok" line says so. Exit status: 0 when nothing
# failed. (rmem-vm saves the output as LOGDIR/script.log.)
set -u

here=$(cd "$(dirname "$0")" && pwd)
export PATH=$here:$PATH

exec 2>&1
want=" $* "
failed=0
n=0

# emit LINE: a result line of this runner's own.
emit() {
	echo "$1"
	case $1 in "not ok"*) failed=$((failed + 1)) ;; esac
}

echo "# rmem selftests on $(uname -r) ($(nproc) CPUs, $(awk '/MemTotal/ { print $2 }' /proc/meminfo) kB)"
echo "# RMEM_NODES='${RMEM_NODES:-}' RMEM_TRANSPORT=${RMEM_TRANSPORT:-} RMEM_DATA_DIV=${RMEM_DATA_DIV:-1} RMEM_SHORT=${RMEM_SHORT:-0} RMEM_CI=${RMEM_CI:-0}"
echo "# rmemctl is $(command -v rmemctl), rmemd is $(command -v rmemd)"

# The module must be there (scripts/rmem-vm loads it unless --no-module):
# without this line a missing module would only show as skips.
if [ "${RMEM_NO_MODULE:-0}" != 1 ]; then
	echo "TAP version 13"
	echo "1..1"
	if [ -d /sys/module/rmem ] && rmem_family >/dev/null 2>&1; then
		emit "ok 1 rmem.ko loaded and generic netlink family rmem registered"
	else
		emit "not ok 1 rmem.ko loaded and generic netlink family rmem registered"
		{ lsmod | grep -E '^rmem' ; dmesg | grep -i rmem | tail -n 5; } 2>&1 | sed 's/^/# /'
	fi
fi

# (No process substitution: the guest has no /dev/fd.)
list=$(sed -e 's/#.*//' "$here/tests.list")
transport=${RMEM_TRANSPORT:-tcp}
while read -r name timeout only short _; do
	[ -n "$name" ] || continue
	[ "$want" = "  " ] || [[ $want == *" $name "* ]] || continue
	# TRANSPORTS column: run only under those (see tests.list).
	[ -z "$only" ] || [ "$only" = all ] || [[ ,$only, == *",$transport,"* ]] || continue
	# SHORT column: "full" leaves it out of make check (RMEM_CI=1); the
	# transports named there (with "full" or alone) are the only ones the
	# short form (RMEM_SHORT=1) runs it under.
	if [[ ,$short, == *,full,* ]]; then
		if [ "${RMEM_CI:-0}" = 1 ]; then
			echo "# ---- $name: not in make check (make check-full and make check-debug run it)"
			continue
		fi
		short=$(echo ",$short," | sed -e 's/,full,/,/' -e 's/^,//' -e 's/,$//')
	fi
	if [ "${RMEM_SHORT:-0}" = 1 ] && [ -n "$short" ] && [[ ,$short, != *",$transport,"* ]]; then
		echo "# ---- $name: not in the short form over $transport (make check-full runs it)"
		continue
	fi
	n=$((n + 1))
	# RMEM_TIMEOUT_SCALE: slower kernels (the debug kernel) multiply every
	# test's timeout (scripts/vm/debug-guest.sh sets it).
	timeout=$((${timeout:-300} * ${RMEM_TIMEOUT_SCALE:-1}))
	if [[ $name == *.sh ]]; then
		cmd=(bash "$here/$name")
	else
		cmd=("$here/$name")
	fi
	echo "# ---- $name (timeout ${timeout}s)"
	[ -w /dev/kmsg ] && echo "rmem-selftest: start $name" >/dev/kmsg
	start=$(date +%s)
	if [ ! -e "${cmd[-1]}" ]; then
		echo "TAP version 13"
		echo "1..1"
		emit "not ok 1 $name: ${cmd[-1]} missing (make -C selftests)"
		continue
	fi
	out=$(mktemp)
	# Shortly before the timeout kills it (a twentieth of it, 20 to 120 s):
	# what the guest is waiting on, while the tasks that wait are still
	# there to look at.
	margin=$((timeout / 20 < 20 ? 20 : timeout / 20 > 120 ? 120 : timeout / 20))
	(sleep $((timeout > 2 * margin ? timeout - margin : timeout)) && [ -n "${RMEM_LIB:-}" ] &&
		. "$RMEM_LIB" &&
		{ echo "# ---- $name: still running after $((timeout - margin)) s of ${timeout}; what the guest waits on:"
		  rmem_stuck_report 2>&1 | sed 's/^/# /'; }) </dev/null &
	watchdog=$!
	timeout -k 10 "$timeout" "${cmd[@]}" </dev/null 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	pkill -P "$watchdog" 2>/dev/null
	kill "$watchdog" 2>/dev/null
	wait "$watchdog" 2>/dev/null
	plan=$(grep -Eo '^1\.\.[0-9]+' "$out" | head -n1 | cut -c4-)
	results=$(grep -Ec '^(not )?ok\b' "$out")
	nfail=$(grep -Ec '^not ok\b' "$out")
	rm -f "$out"
	failed=$((failed + nfail))
	[ -w /dev/kmsg ] && echo "rmem-selftest: end $name rc=$rc" >/dev/kmsg
	echo "# ---- $name: exit $rc after $(($(date +%s) - start)) s"
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		emit "not ok - $name timed out after ${timeout}s"
	elif [ -z "$plan" ] && [ "$results" -eq 0 ]; then
		if [ "$rc" -eq 4 ]; then
			emit "ok - $name # SKIP exited 4 (kselftest skip) without TAP"
		else
			emit "not ok - $name printed no TAP (exit $rc)"
		fi
	elif [ -n "$plan" ] && [ "$results" -lt "$plan" ]; then
		emit "not ok - $name planned $plan tests but reported $results (exit $rc)"
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] && [ "$nfail" -eq 0 ]; then
		emit "not ok - $name exited $rc without a failing test"
	fi
done <<<"$list"

if [ "$n" -eq 0 ]; then
	emit "not ok - no test matched '$*'"
fi
bad=$(dmesg | grep -E 'Oops|BUG:|WARNING:|KASAN|UBSAN|general protection fault' | head -n 10)
if [ -n "$bad" ]; then
	emit "not ok - kernel log is free of warnings after the selftests"
	echo "$bad" | sed 's/^/# /'
fi
echo "# selftests: $n run, $failed failed result line(s)"
[ "$failed" -eq 0 ]
