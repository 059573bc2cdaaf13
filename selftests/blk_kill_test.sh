#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# blk_kill_test: rmemd killed (SIGKILL) in the middle of I/O. The compute side
# must report the node down, fail the I/O in flight and every later read of a
# written block with EIO (no replicas yet), and nothing may hang past the
# node's timeout: fio ends by itself, the node is "dead" in node show, the
# kernel log has no oops or hung task. rmemd is started again afterwards and
# the node reconnects, so the tests after this one find a working node.
# Runs over each transport (RMEM_TRANSPORT).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

TIMEOUT_S=4

tap_plan 8
trap blk_cleanup EXIT
tmp=$(mktemp -d)

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
node=$(blk_setup_node "${TIMEOUT_S}s")
dev=$(blk_add_region kill 128M) || { tap_not_ok "setup"; tap_fail_rest "no region"; tap_done; }
rand_file "$tmp/a" 256
dd if="$tmp/a" of="$dev" bs=4096 seek=0 oflag=direct status=none &&
	dd if="$dev" of="$tmp/a2" bs=4096 count=256 iflag=direct status=none &&
	cmp -s "$tmp/a" "$tmp/a2"
ok_rc=$?
tap_result "node $node ($(node_field "$node" transport_used)), region $dev: 1 MiB written and read back" "$ok_rc"

mark=$(dmesg_mark)
# Random reads and writes over the first 64 MiB (one slab) for up to 120 s.
fio --name=kill --filename="$dev" --direct=1 --ioengine=libaio --rw=randrw \
	--bs=4k --iodepth=16 --size=64M --time_based --runtime=120 \
	--output="$tmp/fio.out" >/dev/null 2>&1 &
fio_pid=$!
sleep 5
kill -0 "$fio_pid" 2>/dev/null
tap_result "fio is running I/O on the region" $?

cmd=$(rmemd_cmdline)
t0=$SECONDS
rmem_on 1 'pkill -KILL -x rmemd'
# The node's I/O fails after TIMEOUT_S once it is known down; the heartbeat
# (2 s, 5 misses) or the transport's own error notices first. Allow 60 s.
for _ in $(seq 120); do
	kill -0 "$fio_pid" 2>/dev/null || break
	sleep 0.5
done
waited=$((SECONDS - t0))
if kill -0 "$fio_pid" 2>/dev/null; then
	tap_not_ok "fio ends by itself after rmemd is killed (still running after ${waited}s)"
	kill -KILL "$fio_pid" 2>/dev/null
else
	tap_ok "fio ends by itself ${waited}s after rmemd is killed"
fi
wait "$fio_pid" 2>/dev/null
grep -qiE "err= *-?[1-9]|Input/output error" "$tmp/fio.out"
tap_result "fio reports I/O errors, not success" $?
grep -iE "err=|error" "$tmp/fio.out" | head -n 3 | tap_diag

st=$(node_field "$node" state)
[ "$st" = dead ] || [ "$st" = reconnecting ]
tap_result "node show reports the node down (state $st)" $?

t1=$SECONDS
dd if="$dev" of="$tmp/x" bs=4096 count=256 iflag=direct status=none 2>"$tmp/err"
rc=$?
[ $rc -ne 0 ] && grep -qi "input/output" "$tmp/err" && [ $((SECONDS - t1)) -le $((TIMEOUT_S + 30)) ]
tap_last=$?; tap_result "reads of written blocks fail with EIO in $((SECONDS - t1))s (no wrong data)" "$tap_last"

dmesg_since "$mark" | grep -E "$KERNEL_BAD_RE" | head -n 5 >"$tmp/bad"
[ ! -s "$tmp/bad" ]
tap_result "no oops, warning or hung task in the kernel log" $?
tap_diag <"$tmp/bad"

# Put rmemd back for the tests that follow; the node reconnects (new instance).
rmemd_restart rmemd-after-kill "$cmd"
node_wait_state "$node" live 60
ok_rc=$?
tap_result "node reconnects to a restarted rmemd (state $(node_field "$node" state))" "$ok_rc"

tap_done
