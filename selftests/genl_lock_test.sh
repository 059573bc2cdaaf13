#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# genl_lock_test: a long rmem operation never holds the kernel's global
# generic netlink lock (genl_mutex). A `node add` to an rmemd that accepts
# connections but never answers (SIGSTOP) waits up to connect_timeout_ms
# for its hello; meanwhile other generic netlink families that rely on
# genl_mutex -- nlctrl, which every genl tool uses to resolve a family
# name, here through iproute2's `genl ctrl list` -- must keep answering.
# rmem's family is parallel_ops and serialises itself with rmem_cfg_lock.
# The same for a `region del` whose slab is on a node that stops answering
# (rmemd frozen): its SLAB_FREE waits until the heartbeat declares the node
# down; nlctrl answers meanwhile, and once rmemd goes on, reconciliation
# gives the slab back (rmemd holds none) -- issue 12, defect 10.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

tap_plan 6
tmp_err=$(mktemp)
cleanup() {
	rmem_on 1 'pkill -CONT -x rmemd' >/dev/null 2>&1
	blk_cleanup
	rm -f "$tmp_err"
}
trap cleanup EXIT

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
ct=$(cat /sys/module/rmem/parameters/connect_timeout_ms)
rmem_on 1 'pkill -STOP -x rmemd'
t0=$(date +%s.%N)
rmemctl node add "$(first_node):$RMEM_PORT" transport tcp >/dev/null 2>&1 &
apid=$!
sleep 1
kill -0 "$apid" 2>/dev/null
tap_result "node add to a frozen rmemd is waiting (connect_timeout_ms $ct)" $?

t1=$(date +%s.%N)
genl ctrl list >/dev/null 2>&1
grc=$?
took=$(echo "$(date +%s.%N) - $t1" | bc)
[ $grc -eq 0 ] && [ "$(echo "$took < 3" | bc)" = 1 ] && kill -0 "$apid" 2>/dev/null
tap_result "meanwhile nlctrl answers at once ('genl ctrl list' took ${took}s)" $?

wait "$apid"
arc=$?
took=$(echo "$(date +%s.%N) - $t0" | bc)
rmem_on 1 'pkill -CONT -x rmemd'
left=$(node_ids)
[ $arc -ne 0 ] && [ -z "$left" ]
tap_result "the node add fails after ${took}s (exit $arc) and leaves no node ($left)" $?

# region del against a frozen node.
node=$(blk_setup_node 20s)
dev=$(blk_add_region gl 8M) &&
	dd if=/dev/urandom of="$dev" bs=4K count=1 oflag=direct status=none &&
	[ "$(rmemd_status slabs_used)" = 1 ]
tap_last=$?; tap_result "node $node, region gl ($dev) with one page written: rmemd holds 1 slab" "$tap_last"

rmem_on 1 'pkill -STOP -x rmemd'
t0=$(date +%s.%N)
rmemctl region del gl >/dev/null 2>"$tmp_err" &
dpid=$!
sleep 1
t1=$(date +%s.%N)
genl ctrl list >/dev/null 2>&1
grc=$?
took=$(echo "$(date +%s.%N) - $t1" | bc)
busy=0
kill -0 "$dpid" 2>/dev/null && busy=1
[ $grc -eq 0 ] && [ "$(echo "$took < 3" | bc)" = 1 ] && [ $busy = 1 ]
tap_last=$?; tap_result "region del waits on the frozen node (still running: $busy); meanwhile nlctrl answers ('genl ctrl list' took ${took}s)" "$tap_last"

wait "$dpid"
drc=$?
dtook=$(echo "$(date +%s.%N) - $t0" | bc)
rmem_on 1 'pkill -CONT -x rmemd'
used=''
for _ in $(seq 120); do
	used=$(rmemd_status slabs_used)
	[ "$used" = 0 ] && break
	sleep 0.5
done
[ $drc -eq 0 ] && [ -z "$(region_names)" ] && [ "$used" = 0 ] &&
	node_wait_state "$node" live 60
tap_last=$?; tap_result "region del returned after ${dtook}s (exit $drc); rmemd going on, node $node is live again ($(node_field "$node" state)) and holds ${used:-?} slabs (reconciled)" "$tap_last"
tap_diag <"$tmp_err"

tap_done
