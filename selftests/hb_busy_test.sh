#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hb_busy_test: a busy, slow link is not a dead node. The compute node's
# link to memory node 1 is held to RATE (netem), two writers keep 16 MiB
# (8 in make check) in flight on each queue, and heartbeat_ms is HB: the heartbeat PING then
# waits behind the socket's buffered data (megabytes) for longer than 5
# beats, while every write still gets its reply every fraction of a second. The heartbeat used to count only the
# PING's reply, and reset the connection ("5 heartbeats unanswered": seen on
# the debug kernel under signal_storm_test); now any reply in a beat proves
# the node alive. Checks: no reconnect while the writers run, they finish,
# and their data reads back. TCP only: over RDMA the data moves one-sided.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

RATE=8mbit		# 1 MB/s, shared by the two queues
MB=16			# per writer (8 in make check's short form: still seconds
[ "${RMEM_SHORT:-0}" = 1 ] && MB=8	# of data ahead of each PING, at CI's cost)
HB=$((600 * ${RMEM_TIMEOUT_SCALE:-1}))	# ms: 5 beats are 3 s (slower kernels: scaled)

tap_plan 4
tmp=$(mktemp -d)
ifc=
hb0=
wpid=
cleanup() {
	[ -n "$ifc" ] && tc qdisc del dev "$ifc" root 2>/dev/null
	[ -z "$hb0" ] || echo "$hb0" >/sys/module/rmem/parameters/heartbeat_ms
	# shellcheck disable=SC2086 # one pid per word
	[ -n "$wpid" ] && kill $wpid 2>/dev/null && wait $wpid 2>/dev/null
	blk_cleanup
}
trap cleanup EXIT

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
node=$(blk_setup_node 120s)
dev=$(blk_add_region busy 256M) || { tap_not_ok "setup"; tap_fail_rest "no region"; tap_done; }
ifc=$(ip -o route get "$(first_node)" | sed -n 's/.* dev \([^ ]*\).*/\1/p')
hb0=$(cat /sys/module/rmem/parameters/heartbeat_ms)
echo $HB >/sys/module/rmem/parameters/heartbeat_ms && hb=$(cat /sys/module/rmem/parameters/heartbeat_ms) &&
	tc qdisc add dev "$ifc" root netem rate $RATE limit 100000
tap_result "node $node, region busy ($dev); $ifc held to $RATE; heartbeat every $hb ms" $?

r0=$(node_field "$node" reconnects)
rand_file "$tmp/a" $((MB * 256))
t0=$SECONDS
wpid=
for cpu in 0 1; do
	taskset -c "$cpu" dd if="$tmp/a" of="$dev" bs=${MB}M seek=$((cpu * 64 / MB)) \
		oflag=direct status=none &
	wpid="$wpid $!"
done
rc=0
for p in $wpid; do
	wait "$p" || rc=1
done
wpid=
took=$((SECONDS - t0))
tap_result "two writers, $((2 * MB)) MiB through the slow link, finished (${took}s)" $rc

r1=$(node_field "$node" reconnects)
[ "$r1" = "$r0" ]
tap_result "no connection reset while the PING waited behind data (reconnects $r0 -> $r1)" $?
dmesg | grep -E "rmem.*(heartbeats unanswered|connection lost)" | tail -n 4 | tap_diag

tc qdisc del dev "$ifc" root
ifc=
ok=0
for cpu in 0 1; do
	dd if="$dev" of="$tmp/b" bs=${MB}M skip=$((cpu * 64 / MB)) count=1 iflag=direct \
		status=none && cmp -s "$tmp/a" "$tmp/b" || ok=1
done
tap_result "what both writers wrote reads back" $ok

tap_done
