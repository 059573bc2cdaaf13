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
# stop_writers: end the writer loops and the dd each is running (which
# holds the device open until its write returns).
stop_writers() {
	[ -n "$wpid" ] || return 0
	# shellcheck disable=SC2086 # one pid per word
	kill $wpid 2>/dev/null
	pkill -x dd 2>/dev/null
	# shellcheck disable=SC2086
	wait $wpid 2>/dev/null
	while pgrep -x dd >/dev/null; do sleep 0.2; done
	wpid=
}
wmem=$(sysctl -n net.ipv4.tcp_wmem)
rmem_bufs=
cleanup() {
	rmem_on 1 'pkill -CONT -x rmemd' >/dev/null 2>&1
	stop_writers
	blk_cleanup
	sysctl -q -w net.ipv4.tcp_wmem="$wmem"
	[ -z "$rmem_bufs" ] || rmem_on 1 "sysctl -q -w net.ipv4.tcp_rmem='$rmem_bufs'" >/dev/null
}
trap cleanup EXIT

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
# Small socket buffers on both ends (at most 128 KiB, for the connections
# the node add makes): the writers' requests in flight (the block queue's
# depth of 512 KiB requests) then always fill them, and the PING has data
# to wait behind. With the default buffers (4 and 6 MiB) they held a queue
# depth's worth, and a PING sent from the heartbeat work itself went
# through: the test passed with or without the PING's own work.
rmem_bufs=$(rmem_on 1 'sysctl -n net.ipv4.tcp_rmem')
sysctl -q -w net.ipv4.tcp_wmem="4096 16384 131072"
rmem_on 1 "sysctl -q -w net.ipv4.tcp_rmem='4096 16384 131072'" >/dev/null
node=$(blk_setup_node 120s)
dev=$(blk_add_region stall 512M) || { tap_not_ok "setup"; tap_fail_rest "no region"; tap_done; }
hb=$(cat /sys/module/rmem/parameters/heartbeat_ms)
rand_file "$tmp/a" 256
dd if="$tmp/a" of="$dev" bs=1M oflag=direct status=none
tap_result "node $node, region stall ($dev), 1 MiB written; heartbeat every $hb ms" $?

# Writers that keep every queue's socket full once rmemd stops reading: one
# per CPU (hardware queue i takes the requests of CPU i, and the PING goes
# out on queue 0), each writing 16 MiB at a time, more than the socket's
# buffers hold. Random data: a page of zeros is same-filled,
# kept on the compute node and never sent (module parameter same_filled),
# so zeros would leave the sockets empty and the PING with nothing to wait
# behind.
rand_file "$tmp/w" 4096
wpid=
for cpu in 0 1; do
	# shellcheck disable=SC2016 # expanded by the inner bash
	taskset -c "$cpu" bash -c 'for i in 0 1 2 3 4 5 6 7 8 9; do
		dd if="$1" of="$2" bs=16M seek=$(($3 + i)) count=1 oflag=direct status=none || exit
	done' _ "$tmp/w" "$dev" $((1 + cpu * 12)) 2>/dev/null &
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
# The writers were still waiting on the sockets, and none of their pages
# was kept back as same-filled: the PING had data to wait behind.
running=0
for p in $wpid; do
	kill -0 "$p" 2>/dev/null && running=$((running + 1))
done
sf=$(cat "/sys/block/${dev#/dev/}/rmem/same_filled")
[ "$st" != live ] && [ "$took" -le "$LIMIT" ] && [ "$running" -gt 0 ] && [ "$sf" = 0 ]
tap_result "frozen rmemd behind full sockets: node down after ${took}s (state $st, limit ${LIMIT}s; writers still waiting $running of 2, same-filled pages $sf)" $?

rmem_on 1 'pkill -CONT -x rmemd'
node_wait_state "$node" live 90
st=$(node_field "$node" state)
[ "$st" = live ]
tap_result "rmemd resumed: the node is live again (state $st)" $?

# The writers' data is not what this checks: stop them rather than wait for
# 320 MiB (minutes on a slow kernel).
stop_writers
dd if="$dev" of="$tmp/b" bs=1M count=1 iflag=direct status=none && cmp -s "$tmp/a" "$tmp/b"
tap_result "the data written before the freeze reads back" $?

tap_done
