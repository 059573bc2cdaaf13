#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bounce_test: an encrypted write that finds no bounce page free is not
# left waiting for one in the task that submitted it (issue 12: the swap
# path must not block reclaimers). The block device's queue_rq runs in
# whatever task flushes its plug: kthreadd, or the RDMA stack's completion
# worker, in direct reclaim, whose progress the writes that hold the
# bounce pages may need (a reconnect). check-debug's swap step over RDMA
# deadlocked so. Such a write goes back to blk-mq (BLK_STS_RESOURCE), which
# sends it again once pages come back.
#   - rmemd frozen (SIGSTOP), so writes stay in flight; debugfs
#     bounce_reserve_only makes memory look exhausted: bounce pages come
#     only from the reserve (one largest request's worth)
#   - a 512 KiB write takes the whole reserve; then a 4 KiB write waits
#   - no task waits inside rmem_crypt_write() (every task's kernel stack,
#     sampled six times)
#   - rmemd resumed, the reserve back to normal: both writes complete and
#     read back as written
# TCP only: over RDMA a write needs no rmemd CPU, so freezing it does not
# keep bounce pages in flight. The code is the same for both transports.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

FI=/sys/kernel/debug/rmem/bounce_reserve_only
tap_plan 4
tmp=$(mktemp -d)
finish() {
	[ -w "$FI" ] && echo 0 >"$FI"
	rmem_on 1 'pkill -CONT -x rmemd' >/dev/null 2>&1
	kill "${w1:-}" "${w2:-}" 2>/dev/null
	blk_cleanup
	rm -rf "$tmp"
}
trap finish EXIT

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
# A node timeout well past the freeze: the writes wait for the node.
node=$(blk_setup_node 60s)
dev=$(blk_add_region bt 64M)
[ -n "$node" ] && [ -n "$dev" ] && [ -w "$FI" ] && [ "$(region_field bt encrypt)" = on ]
tap_last=$?; tap_result "node $node, encrypted region bt ($dev), $FI writable" "$tap_last" ||
	{ tap_fail_rest "no region"; tap_done; }

rand_file "$tmp/a" 128
rand_file "$tmp/b" 1
# waiters: pids whose kernel stack is inside rmem_crypt_write() now.
waiters() {
	grep -l rmem_crypt_write /proc/[0-9]*/stack 2>/dev/null | cut -d/ -f3 | sort
}

echo 1 >"$FI"
rmem_on 1 'pkill -STOP -x rmemd'
dd if="$tmp/a" of="$dev" bs=512K count=1 oflag=direct status=none &
w1=$!
sleep 2
dd if="$tmp/b" of="$dev" bs=4K count=1 seek=256 oflag=direct status=none &
w2=$!
sleep 2
# Six samples, half a second apart: a pid in three of them is waiting.
both=$(for _ in 1 2 3 4 5 6; do waiters; sleep 0.5; done | sort | uniq -c |
	awk '$1 >= 3 { print $2 }' | tr '\n' ' ')
alive=0
kill -0 "$w1" 2>/dev/null && kill -0 "$w2" 2>/dev/null && alive=1
[ "$alive" = 1 ] && [ -z "$both" ]
tap_result "reserve taken, rmemd frozen: both writes wait, none inside rmem_crypt_write() (waiting there: ${both:-none})" $?
for p in $both "$w2"; do
	echo "pid $p ($(cat "/proc/$p/comm" 2>/dev/null)):"
	cat "/proc/$p/stack" 2>/dev/null
done | tap_diag

echo 0 >"$FI"
rmem_on 1 'pkill -CONT -x rmemd'
rc1=1 rc2=1
rmem_wait_gone 60 "$w1" "$w2"
wait "$w1"
rc1=$?
wait "$w2"
rc2=$?
[ "$rc1" = 0 ] && [ "$rc2" = 0 ]
tap_result "rmemd resumed: both writes complete (dd rc $rc1, $rc2)" $?

dd if="$dev" of="$tmp/ra" bs=512K count=1 iflag=direct status=none &&
	dd if="$dev" of="$tmp/rb" bs=4K count=1 skip=256 iflag=direct status=none &&
	cmp -s "$tmp/a" "$tmp/ra" && cmp -s "$tmp/b" "$tmp/rb"
tap_result "both read back as written" $?
tap_done
