#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# signal_storm_test: signals to the tasks that submit I/O never tear a
# connection down. A block request is sent from the submitting task's
# context (queue_rq); when the socket is full the send waits, and a signal
# (an OOM victim in reclaim, a ^C) makes it return -ERESTARTSYS, possibly
# halfway through a message. That used to reset every queue of the node.
# Now the rest of the message goes from a kernel worker. Here a writer with
# a SIGUSR1 handler writes 16 MiB direct writes (32 requests in flight, more
# than a socket holds; 12 of them, 3 in the short form) while a loop sends it SIGUSR1 as fast as it can;
# every block must read back, the node must not reconnect, and the kernel
# must say no send failed. rmemd is frozen for 0.3 s of every 0.5 s
# meanwhile, so that sends do wait. TCP only: over RDMA the data is posted,
# not sent by the submitting task.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

CHUNKS=$((12 / DATA_DIV))
[ $CHUNKS -ge 3 ] || CHUNKS=3
tap_plan 4
tmp=$(mktemp -d)
# A slow kernel (the debug kernel, RMEM_TIMEOUT_SCALE 3) under this storm can
# leave every reply unprocessed for longer than 5 default beats: a real
# heartbeat miss, not what this test is about. Scale the heartbeat there.
hb0=$(cat /sys/module/rmem/parameters/heartbeat_ms)
[ "${RMEM_TIMEOUT_SCALE:-1}" -gt 1 ] &&
	echo $((hb0 * RMEM_TIMEOUT_SCALE)) >/sys/module/rmem/parameters/heartbeat_ms
trap 'echo "$hb0" >/sys/module/rmem/parameters/heartbeat_ms; blk_cleanup' EXIT

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
node=$(blk_setup_node 120s)
dev=$(blk_add_region storm 256M) || { tap_not_ok "setup"; tap_fail_rest "no region"; tap_done; }
tap_ok "node $node, region storm ($dev)"

[ -d /sys/kernel/debug/rmem ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
mark=$(dmesg_mark)
r0=$(node_field "$node" reconnects)
# The writer: CHUNKS direct writes of 16 MiB of random data, counting the
# signals it handles; then it reads everything back and compares.
python3 - "$dev" "$CHUNKS" "$tmp/ready" >"$tmp/out" 2>&1 <<'PY' &
import mmap, os, signal, sys
dev, chunks, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
got = 0
def on_usr1(signum, frame):
    global got
    got += 1
signal.signal(signal.SIGUSR1, on_usr1)
size = 16 << 20
fd = os.open(dev, os.O_RDWR | os.O_DIRECT)
buf = mmap.mmap(-1, size)
data = []
open(ready, "w").close()
for i in range(chunks):
    chunk = os.urandom(size)
    buf[:] = chunk
    data.append(chunk)
    os.pwritev(fd, [buf], i * size)
# The storm goes on until this process is gone: do not die of it now.
signal.signal(signal.SIGUSR1, signal.SIG_IGN)
bad = 0
for i in range(chunks):
    os.preadv(fd, [buf], i * size)
    if buf[:] != data[i]:
        bad += 1
print(f"signals {got} bad {bad}")
PY
wpid=$!
for _ in $(seq 100); do [ -e "$tmp/ready" ] && break; sleep 0.1; done
# rmemd stops reading for 0.3 s of every 0.5 s (SIGSTOP/SIGCONT, well within
# the heartbeat's limit): the sockets fill and the writer's sends wait, so
# the signals interrupt sends however fast the memory node is (a debug
# compute guest against a 6.12 memory guest interrupted none without it).
# shellcheck disable=SC2016 # runs on the memory node
rmem_on_bg 1 storm-freeze 'rm -f /tmp/storm-freeze.stop
	while [ ! -e /tmp/storm-freeze.stop ]; do
		pkill -STOP -x rmemd; sleep 0.3; pkill -CONT -x rmemd; sleep 0.2
	done
	pkill -CONT -x rmemd'
sent=0
while kill -USR1 "$wpid" 2>/dev/null; do sent=$((sent + 1)); done
wait "$wpid"
wrc=$?
rmem_on 1 'touch /tmp/storm-freeze.stop; sleep 1; pkill -CONT -x rmemd; true' >/dev/null
res=$(cat "$tmp/out")
printf '%s\n' "$res" | tail -n 3 | tap_diag
[ $wrc -eq 0 ] && printf '%s\n' "$res" | grep -q ' bad 0$'
tap_last=$?; tap_result "$((CHUNKS * 16)) MiB written under a storm of $sent SIGUSR1 ($res, exit $wrc): every block reads back" "$tap_last"

r1=$(node_field "$node" reconnects)
dmesg_since "$mark" | grep -E 'rmem: .*(send failed|connection lost)' | head -n 3 | tap_diag
[ "$r1" = "$r0" ] && ! dmesg_since "$mark" | grep -qE 'rmem: .*send failed'
tap_result "no connection was reset (reconnects $r0 -> $r1, no send failed)" $?

resumed=$(queues_sum "$node" resumed)
tap_diag <<<"sends finished by the worker after a signal: $resumed"
[ "$resumed" -gt 0 ]
tap_result "signals did interrupt sends ($resumed finished by the worker)" $?

tap_done
