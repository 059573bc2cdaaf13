#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hb_stall_test: a connected but frozen rmemd (SIGSTOP) is declared down
# within a few heartbeats even while writes fill its sockets. A frozen
# rmemd stops reading: the writers' sends block on the full sockets, and a
# heartbeat PING sent on the same connection used to block behind them, so
# no missed beat was ever counted and the node looked live until the
# socket send timeout (io_timeout_s, 300 s). With heartbeat_ms=2000 and 5
# misses it must go down in about 10 s; the test allows 30. When rmemd
# resumes, the node comes back with its session and the written data reads
# back. TCP only: over RDMA, data needs no rmemd CPU, so nothing blocks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

LIMIT=30
tap_plan 4
tmp=$(mktemp -d)
wpid=
cleanup() {
	rmem_on 1 'pkill -CONT -x rmemd' >/dev/null 2>&1
	# shellcheck disable=SC2086 # one pid per word
	[ -n "$wpid" ] && kill $wpid 2>/dev/null && wait $wpid 2>/dev/null
	blk_cleanup
}
trap cleanup EXIT

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
node=$(blk_setup_node 120s)
dev=$(blk_add_region stall 512M) || { tap_not_ok "setup"; tap_fail_rest "no region"; tap_done; }
hb=$(cat /sys/module/rmem/parameters/heartbeat_ms)
rand_file "$tmp/a" 256
dd if="$tmp/a" of="$dev" bs=1M oflag=direct status=none
tap_result "node $node, region stall ($dev), 1 MiB written; heartbeat every $hb ms" $?

# Writers that keep every queue's socket full once rmemd stops reading: one
# per CPU (hardware queue i takes the requests of CPU i, and the PING goes
# out on queue 0), each with 16 MiB in flight (32 requests of 512 KiB), more
# than a socket's buffers hold.
wpid=
for cpu in 0 1; do
	taskset -c "$cpu" dd if=/dev/zero of="$dev" bs=16M seek=$((1 + cpu * 12)) count=10 \
		oflag=direct status=none 2>/dev/null &
	wpid="$wpid $!"
done
sleep 1
rmem_on 1 'pkill -STOP -x rmemd'
t0=$SECONDS
st=live
while [ $((SECONDS - t0)) -le $((LIMIT + 10)) ]; do
	st=$(node_field "$node" state)
	[ "$st" != live ] && break
	sleep 0.5
done
took=$((SECONDS - t0))
[ "$st" != live ] && [ "$took" -le "$LIMIT" ]
tap_result "frozen rmemd behind full sockets: node down after ${took}s (state $st, limit ${LIMIT}s)" $?

rmem_on 1 'pkill -CONT -x rmemd'
node_wait_state "$node" live 90
st=$(node_field "$node" state)
[ "$st" = live ]
tap_result "rmemd resumed: the node is live again (state $st)" $?

# The writers' data is not what this checks: stop them rather than wait for
# 320 MiB (minutes on a slow kernel).
# shellcheck disable=SC2086 # one pid per word
kill $wpid 2>/dev/null
# shellcheck disable=SC2086
wait $wpid 2>/dev/null
wpid=
dd if="$dev" of="$tmp/b" bs=1M count=1 iflag=direct status=none && cmp -s "$tmp/a" "$tmp/b"
tap_result "the data written before the freeze reads back" $?

tap_done
