#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rebuild_stall_test: a write whose reply is lost while a rebuild holds new
# writes off (issue 12, review of the replica paths) does not hang the disk.
#
# Extent 0 of a replicas-2 block region has its copies on memory nodes 1 and
# 2; rmemd on node 1 runs with --test-drop-reply write:1, so the first write
# (W1) is handled there and never answered. `node drain` of node 2 then
# makes the rebuild copy the extent to node 3: it holds new writes off
# (e->barrier) and waits for the extent's writes in flight, W1 among them. A
# second write (W2) sleeps on that barrier inside ->queue_rq(). blk-mq's
# timeout work, the only thing that recovers W1, first waits for every
# ->queue_rq() in progress (BLK_MQ_F_BLOCKING): W2's. Before the fix the
# three waited for each other for ever; now the rebuild waits io_timeout_s at
# most, drops the copy it was making ("writes in flight outlived
# io_timeout_s") and tries again later.
#
# Checks: W1 and W2 complete (W1 resent after recovery), the drain ends with
# extent 0's copies on nodes 1 and 3 and none on node 2, and both writes read
# back right from node 3's copy alone (rmemd on node 1 killed).
#
# TCP only: over RDMA a WRITE is one-sided, rmemd sends no reply to drop.
# Needs three memory nodes (scripts/rmem-vm --memory-nodes 3).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

# io_timeout_s: W2 must be asleep in queue_rq before W1's runs out (the
# debug kernel, RMEM_TIMEOUT_SCALE=3, is slower).
TIMEOUT_S=$((10 * ${RMEM_TIMEOUT_SCALE:-1}))
tap_plan 7
tmp=$(mktemp -d)
declare -A cmdline

if [ "${RMEM_NNODES:-1}" -lt 3 ]; then
	tap_skip_rest "needs 3 memory nodes (rmem-vm --memory-nodes 3); have ${RMEM_NNODES:-1}"
	tap_done
fi
if [ "${RMEM_TRANSPORT:-tcp}" != tcp ]; then
	tap_skip_rest "TCP only: over RDMA a WRITE has no reply to drop"
	tap_done
fi

stuck=0
finish() {
	# Hung I/O: region del would hang as well.
	[ "$stuck" = 1 ] && return
	blk_cleanup
	[ -n "${cmdline[1]:-}" ] && RMEMD_NODE=1 rmemd_relaunch stall-restore "${cmdline[1]}"
	rmem_reload
	rm -rf "$tmp"
}
trap finish EXIT

# add_node I: add memory node I; prints its id.
add_node() {
	rmemctl node add "$(rmem_node "$1"):$RMEM_PORT" transport tcp timeout 10s |
		grep -oE '[0-9]+' | head -n1
}

# copies NAME: "ID ID ..." of extent 0 of region NAME ("+ID": being made).
copies() {
	awk -v r="$1" '$1 == r && $2 == 0 { for (i = 3; i <= NF; i++) { split($i, a, ":"); printf "%s ", a[1] } }' \
		/sys/kernel/debug/rmem/extents
}

rmem_wait_nodes 60 || { tap_fail_rest "memory nodes not reachable"; tap_done; }
for i in 1 2 3; do
	cmdline[$i]=$(RMEMD_NODE=$i rmemd_cmdline)
	cmdline[$i]=${cmdline[$i]% }
done
# No heartbeat: its reply behind the lost one would reset the connection.
rmem_reload io_timeout_s=$TIMEOUT_S heartbeat_ms=0 &&
	RMEMD_NODE=1 rmemd_relaunch stall-drop "${cmdline[1]}" --test-drop-reply write:1 &&
	n1=$(add_node 1) && n2=$(add_node 2) && [ -n "$n1" ] && [ -n "$n2" ] &&
	node_wait_state "$n2" live 30 &&
	dev=$(blk_add_region st 64M replicas 2)
tap_result "region st (replicas 2) on nodes $n1 and $n2; rmemd on node $n1 drops its first WRITE reply" $? ||
	{ tap_fail_rest "setup"; tap_done; }

head -c 4096 /dev/urandom >"$tmp/w1"
head -c 4096 /dev/urandom >"$tmp/w2"
tw1=$SECONDS
dd if="$tmp/w1" of="$dev" bs=4k count=1 oflag=direct status=none &
w1=$!
n3=$(add_node 3)
node_wait_state "$n3" live 30 && rmemctl node drain "$n2" >/dev/null
ok_rc=$?
# The rebuild waits for W1 with new writes held off: a copy being made.
for _ in $(seq 40); do
	[[ " $(copies st)" == *" +"* ]] && break
	sleep 0.25
done
c=$(copies st)
# W2 must go in well before W1's timeout, or nothing waits for it.
lead=$((SECONDS - tw1))
[ "$ok_rc" = 0 ] && [[ " $c" == *" +$n3 "* ]] && kill -0 "$w1" 2>/dev/null &&
	[ "$lead" -lt $((TIMEOUT_S - 3)) ]
tap_result "W1 unanswered; node $n2 draining; extent 0's copy on node $n3 being made $lead s after W1 (copies: $c)" $?

t0=$SECONDS
dd if="$tmp/w2" of="$dev" bs=4k seek=2 count=1 oflag=direct status=none &
w2=$!
# W1 times out TIMEOUT_S after it was sent, the rebuild's wait as long after
# it began: both within 2 * TIMEOUT_S, then a reconnect and a resend.
limit=$((3 * TIMEOUT_S + 90))
rmem_wait_pid "$w2" "$limit" && rmem_wait_pid "$w1" 30
rc=$?
if [ $rc = 124 ]; then
	stuck=1
	rmem_stuck_report | tap_diag
	tap_result "W1 and W2 complete: still waiting after $limit s (copies: $(copies st))" 1
	tap_fail_rest "the writes hung: the rest would hang too"
	tap_done
fi
tap_result "W1 and W2 complete, $((SECONDS - t0)) s after W2 was sent (rc $rc, node $n1 reconnects $(node_field "$n1" reconnects))" "$rc"

dmesg | grep -q "region st: extent 0: dropped its copy on node $n3 .*writes in flight outlived io_timeout_s"
tap_result "the rebuild gave up its wait after io_timeout_s and dropped the copy it was making" $?

for _ in $(seq 240); do [ "$(node_field "$n2" drain)" = drained ] && break; sleep 0.5; done
c=$(copies st)
[ "$(node_field "$n2" drain)" = drained ] && [ "$(node_field "$n2" slabs_used)" = 0 ] &&
	[[ " $c" == *" $n1 "* ]] && [[ " $c" == *" $n3 "* ]] && [[ $c != *+* ]]
tap_result "node $n2 drained: extent 0's copies on nodes $n1 and $n3 (copies: $c)" $?

# Node 3's copy alone: rmemd on node 1 gone.
RMEMD_NODE=1 rmemd_stop
dd if="$dev" of="$tmp/r" bs=4k count=3 iflag=direct status=none &&
	cmp -s <(head -c 4096 "$tmp/r") "$tmp/w1" &&
	cmp -s <(tail -c 4096 "$tmp/r") "$tmp/w2" &&
	[ "$(region_field st errors)" = 0 ]
tap_result "W1 and W2 read back right from node $n3's copy, rmemd on node $n1 stopped" $?
dmesg | grep -E "$KERNEL_BAD_RE" | tap_diag
! dmesg | grep -qE "$KERNEL_BAD_RE"
tap_result "no WARNING, BUG or oops in the kernel log" $?
tap_done
