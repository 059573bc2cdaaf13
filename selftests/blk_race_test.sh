#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# blk_race_test: races between a block region's requests and the store's
# bookkeeping never lose an acknowledged write.
#
# A DISCARD racing the first write to an extent: the discard may free the
# extent's slab only when no write is in flight and no page of it holds
# data. Between a write's reply and its pages being marked written, a
# discard of another page of the same extent used to see neither, free the
# slab, and leave the written page pointing at no node: it then read back
# as zeros. The window is a few hundred instructions, so the test widens it
# with the debugfs fault-injection point delay_write_done_ms
# (kmod/rmem-debugfs.c) and runs a tight discard loop on page 100 while it
# writes page 0, round after round; every round's page 0 must read back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

ROUNDS=8
DELAY_MS=100
FI=/sys/kernel/debug/rmem

tap_plan 5
tmp=$(mktemp -d)
cleanup() {
	[ -w "$FI/delay_write_done_ms" ] && echo 0 >"$FI/delay_write_done_ms"
	rm -f "$tmp/stop" "$tmp/ready"
	blk_cleanup
}
trap cleanup EXIT

[ -d /sys/kernel/debug/rmem ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
node=$(blk_setup_node 30s)
dev=$(blk_add_region race 64M) || { tap_not_ok "setup"; tap_fail_rest "no region"; tap_done; }
[ -w "$FI/delay_write_done_ms" ]
tap_result "node $node, one-extent region race ($dev), debugfs $FI/delay_write_done_ms" $? ||
	{ tap_fail_rest "no fault-injection point"; tap_done; }

# discard_loop DEV OFFSET DIR: BLKDISCARD one 4 KiB block at OFFSET as fast
# as possible, from the first one on with DIR/ready, until DIR/stop exists;
# prints how many it issued.
discard_loop() {
	python3 - "$@" <<'EOF'
import fcntl, os, struct, sys
BLKDISCARD = 0x1277
dev, off, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fd = os.open(dev, os.O_WRONLY)
n = 0
while not os.path.exists(d + "/stop"):
    fcntl.ioctl(fd, BLKDISCARD, struct.pack("QQ", off, 4096))
    n += 1
    if n == 1:
        open(d + "/ready", "w").close()
print(n)
EOF
}

echo "$DELAY_MS" >"$FI/delay_write_done_ms"
bad=0 discards=0
for round in $(seq "$ROUNDS"); do
	blkdiscard "$dev"		# the extent starts with no slab
	rand_file "$tmp/a" 1
	rm -f "$tmp/stop" "$tmp/ready"
	discard_loop "$dev" $((100 * 4096)) "$tmp" >"$tmp/n" 2>>"$tmp/log" &
	dpid=$!
	for _ in $(seq 300); do
		[ -e "$tmp/ready" ] && break
		kill -0 "$dpid" 2>/dev/null || break
		sleep 0.1
	done
	dd if="$tmp/a" of="$dev" bs=4096 oflag=direct status=none 2>>"$tmp/log"
	wrc=$?
	touch "$tmp/stop"
	wait "$dpid"
	discards=$((discards + $(cat "$tmp/n" 2>/dev/null || echo 0)))
	dd if="$dev" of="$tmp/b" bs=4096 count=1 iflag=direct status=none 2>>"$tmp/log"
	if [ $wrc -ne 0 ] || ! cmp -s "$tmp/a" "$tmp/b"; then
		bad=$((bad + 1))
		if is_zero "$tmp/b"; then
			echo "round $round: the acknowledged block reads back as zeros" >>"$tmp/log"
		else
			echo "round $round: write exit $wrc, the block differs" >>"$tmp/log"
		fi
	fi
done
echo 0 >"$FI/delay_write_done_ms"
tap_diag <"$tmp/log"
[ "$bad" -eq 0 ] && [ "$discards" -ge "$ROUNDS" ]
tap_result "$ROUNDS first writes, each racing a discard loop on its extent ($discards discards): all read back ($bad lost)" $?

# The extent still holds page 0: the discards must not have freed its slab.
slabs=$(region_field race slabs)
[ "$slabs" = 1 ]
tap_result "the extent keeps its slab while a page holds data (slabs=$slabs)" $?

# Discarding every written page gives the slab back, and the node's count
# agrees: no slab was leaked or counted twice by the race.
blkdiscard "$dev"
# The slab goes back from a work item (reap_test.sh): soon, not at once.
rmem_retry 20 eval '[ "$(region_field race slabs)" = 0 ]'
slabs=$(region_field race slabs)
dd if="$dev" of="$tmp/z" bs=4096 count=1 iflag=direct status=none && is_zero "$tmp/z" &&
	[ "$slabs" = 0 ]
tap_result "after a full discard the slab goes back and the block reads as zeros (slabs=$slabs)" $?

rmemctl region del race >/dev/null
used=$(node_field "$node" slabs_used)
[ "${used:-x}" = 0 ]
tap_result "region deleted: the node counts no slab for us (slabs_used=$used)" $?

tap_done
