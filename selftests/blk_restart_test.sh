#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# blk_restart_test: when a memory node loses our data, reads of blocks that
# were written fail with EIO -- never zeros, never stale data -- and the
# kernel log names the node; the node reconnects by itself and new writes
# work. Also: a node that is unreachable past its timeout (rmemd frozen)
# is declared dead on time (its timeout after the connection was lost, not
# at the next connect attempt) and fails I/O, and when it comes back with
# our session intact the data reads back again. And a reconnect that hears the session is gone but
# fails after that still counts the loss when the next attempt resumes the
# session it made. Runs over each transport (RMEM_TRANSPORT).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

tap_plan 13
trap blk_cleanup EXIT
tmp=$(mktemp -d)

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
node=$(blk_setup_node 4s)
dev=$(blk_add_region rs 128M) || { tap_not_ok "setup"; tap_fail_rest "no region"; tap_done; }
tap_ok "node $node and region rs ($dev) set up"

rand_file "$tmp/a" 64
dd if="$tmp/a" of="$dev" bs=4096 seek=1000 oflag=direct status=none &&
	dd if="$dev" of="$tmp/a2" bs=4096 skip=1000 count=64 iflag=direct status=none &&
	cmp -s "$tmp/a" "$tmp/a2"
tap_result "64 blocks written and read back" $?

# --- node unreachable past its timeout (rmemd frozen), then back.
# Over TCP the first read waits for the node and fails. Over RDMA rmemd's CPU
# is not in the data path: one-sided reads keep working until the missed
# heartbeats take the node down; from then on they fail too.
mark=$(dmesg_mark)
rmem_on 1 'pkill -STOP -x rmemd'
t0=$SECONDS
rc=0
while [ $((SECONDS - t0)) -lt 90 ]; do
	dd if="$dev" of=/dev/null bs=4096 skip=1000 count=1 iflag=direct status=none 2>"$tmp/err1"
	rc=$?
	[ $rc -ne 0 ] && break
	sleep 1
done
waited=$((SECONDS - t0))
[ $rc -ne 0 ] && grep -qi "input/output" "$tmp/err1"
tap_result "frozen node: reads fail with EIO after ${waited}s (timeout 4 s)" $?
[ "$(node_field "$node" state)" = dead ] || [ "$(node_field "$node" state)" = 3 ]
ok_rc=$?
tap_result "node show says dead ($(node_field "$node" state))" "$ok_rc"
# Dead on time: timeout 4 s after the connection was lost, not when the
# next connect attempt starts (the one under way waits connect_timeout_ms,
# 10 s, for the frozen rmemd's HELLO).
took=$(dmesg_since "$mark" | awk -F'[][]' '
	/rmem: node .*connection lost/ && !dead { lost = $2 + 0 }
	/rmem: node .*unreachable for 4000 ms/ && !dead { dead = $2 + 0 }
	END { if (lost && dead) printf "%.1f", dead - lost }')
[ -n "$took" ] && awk -v t="$took" 'BEGIN { exit !(t >= 3.9 && t <= 6) }'
tap_result "declared dead ${took:-?} s after the connection was lost (timeout 4 s)" $?
rmem_on 1 'pkill -CONT -x rmemd'
for _ in $(seq 240); do
	st=$(node_field "$node" state)
	[ "$st" = live ] || [ "$st" = 1 ] && break
	sleep 0.5
done
dd if="$dev" of="$tmp/a3" bs=4096 skip=1000 count=64 iflag=direct status=none &&
	cmp -s "$tmp/a" "$tmp/a3"
tap_result "node back with its session: the data reads back intact (state $st)" $?

# --- rmemd killed and restarted: our slabs are gone
r=$(rmemd_kill_restart "$node" rmemd-restarted)
rc=$?
tap_result "node reconnects to the restarted rmemd (state $(node_field "$node" state), reconnects $r)" $rc

mark=$(dmesg_mark)
dd if="$dev" of="$tmp/x" bs=4096 skip=1000 count=64 iflag=direct status=none 2>"$tmp/err2"
rc=$?
[ $rc -ne 0 ] && grep -qi "input/output" "$tmp/err2" && ! cmp -s "$tmp/x" "$tmp/a"
tap_result "reads of written blocks fail with EIO after the data was lost" $?
dmesg_since "$mark" | grep -E "rmem: .*(lost|node $node)" | head -n 3 | tap_diag
dmesg | grep -qE "rmem: .*$(first_node)" 
tap_result "the kernel log names the node" $?

dd if="$dev" of="$tmp/z" bs=4096 skip=5000 count=4 iflag=direct status=none &&
	is_zero "$tmp/z"
tap_result "never-written blocks still read as zeros" $?

rand_file "$tmp/b" 64
dd if="$tmp/b" of="$dev" bs=4096 seek=1000 oflag=direct status=none &&
	dd if="$dev" of="$tmp/b2" bs=4096 skip=1000 count=64 iflag=direct status=none &&
	cmp -s "$tmp/b" "$tmp/b2"
tap_result "new writes to the lost blocks work and read back" $?

# --- rmemd restarted again, and the reconnect whose first HELLO hears that
# our session is gone fails after it: the second queue's HELLO gets no reply
# (--test-drop-reply hello:2, 3 s connect timeout). The next attempt resumes
# the session the failed one made; the loss must still count. It used to be
# forgotten: the lost slab numbers then named the new session's slabs, and
# a read of rs returned what another region wrote there.
params=/sys/module/rmem/parameters
rmemd_cmd=$(rmemd_cmdline)
ct=$(cat $params/connect_timeout_ms)
echo 3000 >$params/connect_timeout_ms
mark=$(dmesg_mark)
r=$(rmemd_kill_restart "$node" rmemd-hello-drop --test-drop-reply hello:2)
rc=$?
echo "$ct" >$params/connect_timeout_ms
dmesg_since "$mark" | grep -E "rmem: .*(reconnect|lost|resumed|failed|timed out)" | head -n 8 | tap_diag
if [ $rc -eq 0 ] && dmesg_since "$mark" | grep -q "lost our [0-9]* slabs"; then
	tap_ok "a reconnect failed after its HELLO said the session is gone; the next one counted the loss (reconnects $r)"
else
	tap_not_ok "a reconnect failed after its HELLO said the session is gone; the next one counted the loss (rc $rc, reconnects $r)"
fi
rand_file "$tmp/d" 64
if dev2=$(blk_add_region rs2 128M) &&
	dd if="$tmp/d" of="$dev2" bs=4096 seek=1000 oflag=direct status=none; then
	dd if="$dev" of="$tmp/y" bs=4096 skip=1000 count=64 iflag=direct status=none 2>"$tmp/err3"
	rc=$?
	[ $rc -ne 0 ] && grep -qi "input/output" "$tmp/err3" && ! cmp -s "$tmp/y" "$tmp/d"
	tap_result "then rs's lost blocks read as EIO, not as region rs2's new data (dd rc $rc)" $?
	rmemctl region del rs2 >/dev/null || true
else
	tap_not_ok "region rs2 for the new session's data"
fi
# The tests after this one start rmemd from its command line: without the
# test option.
rmem_on 1 'pkill -KILL -x rmemd; sleep 0.5' >/dev/null
rmemd_restart rmemd-after-hello-drop "$rmemd_cmd" >/dev/null

tap_done
