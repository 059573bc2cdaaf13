#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# node_del_race_test: `node del` racing reads never frees a node under a
# reader. After rmemd restarts, the node has lost our slabs and `node del`
# is allowed; a read of a written block that took the extent's node just
# before must then fail cleanly with EIO, and the node's memory must stay
# valid until that read lets go (each mapped extent and each request in
# flight holds a reference to the node). The window between a read taking
# the node and handing it the request is widened with the debugfs
# fault-injection point delay_submit_ms. On a KASAN kernel (make
# check-debug) the old code reports a use-after-free here; everywhere, the
# read must end with EIO, never hang, and the kernel log must stay clean.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

# make check (RMEM_SHORT) runs one round; the race is the same each time.
ROUNDS=3
[ "$SHORT" = 1 ] && ROUNDS=1
FI=/sys/kernel/debug/rmem
tap_plan $((ROUNDS * 2 + 1))
tmp=$(mktemp -d)
cleanup() {
	[ -w "$FI/delay_submit_ms" ] && echo 0 >"$FI/delay_submit_ms"
	blk_cleanup
}
trap cleanup EXIT

[ -d "$FI" ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
mark=$(dmesg_mark)
for round in $(seq "$ROUNDS"); do
	node=$(blk_setup_node 60s)
	dev=$(blk_add_region ndr 64M) || { tap_not_ok "round $round: setup"; continue; }
	rand_file "$tmp/a" 4
	dd if="$tmp/a" of="$dev" bs=4096 seek=10 oflag=direct status=none
	# rmemd restarts: our slabs there are gone.
	rmemd_kill_restart "$node" "rmemd-ndr$round" >/dev/null ||
		{ tap_not_ok "round $round: node $node did not reconnect"; continue; }

	echo 1500 >"$FI/delay_submit_ms"
	timeout 60 dd if="$dev" of="$tmp/b" bs=4096 skip=10 count=1 iflag=direct \
		status=none 2>"$tmp/err" &
	rpid=$!
	sleep 0.1
	out=$(rmemctl node del "$node" 2>&1)
	drc=$?
	wait "$rpid"
	rrc=$?
	echo 0 >"$FI/delay_submit_ms"
	[ $drc -eq 0 ] && ! rmemctl -j node show "$node" >/dev/null 2>&1
	tap_result "round $round: node $node deleted while a read holds it ($out)" $?
	[ $rrc -ne 0 ] && [ $rrc -ne 124 ] && grep -qi 'input/output' "$tmp/err"
	ok_rc=$?
	tap_result "round $round: the read fails with EIO (exit $rrc: $(head -c 80 "$tmp/err"))" "$ok_rc"
	rmemctl region del ndr >/dev/null 2>&1
done
dmesg_since "$mark" | grep -E "$KERNEL_BAD_RE" | head -n 10 | tap_diag
! dmesg_since "$mark" | grep -qE "$KERNEL_BAD_RE"
tap_result "no use-after-free, warning or oops in the kernel log" $?

tap_done
