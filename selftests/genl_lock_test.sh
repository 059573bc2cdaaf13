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
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

tap_plan 3
cleanup() {
	rmem_on 1 'pkill -CONT -x rmemd' >/dev/null 2>&1
	blk_cleanup
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

tap_done
