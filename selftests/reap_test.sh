#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# reap_test: a slab left with no data (its pages discarded, or overwritten
# by a write all of whose pages are same-filled) goes back to the memory
# node from a work item, never in the task that submitted the request
# (issue 12: the block device's queue_rq runs in whatever task flushed its
# plug, often one in direct reclaim, and a slab's free waits for the
# node's reply, and for a reconnect when the node is unreachable).
#   - rmemd frozen (SIGSTOP), so that a free would wait for it: a discard
#     of all of one slab's data, and a write of zeros over all of another
#     slab's data, complete at once
#   - rmemd resumed: both slabs given back (the region's allocated, the
#     node's slabs_used); the third slab, still holding data, kept
#   - a write whose first pages are same-filled over that slab's only data
#     keeps the slab for the rest of the write: every page reads back
#   - everything reads back as written (zeros where discarded)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

M=1048576
tap_plan 5
tmp=$(mktemp -d)
finish() {
	rmem_on 1 'pkill -CONT -x rmemd' >/dev/null 2>&1
	blk_cleanup
	rm -rf "$tmp"
}
trap finish EXIT

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
# A node timeout well past the freeze: a free waits for the node, not fails.
node=$(blk_setup_node 60s)
slab=$(node_field "$node" slab_size)
dev=$(blk_add_region rp $((3 * slab)))
s1=$((slab / 4096)) s2=$((2 * slab / 4096))
rand_file "$tmp/a" 256
rand_file "$tmp/b" 256
rand_file "$tmp/c" 2
head -c $M /dev/zero >"$tmp/zero"
# wr FILE BLOCK: write FILE at 4 KiB block BLOCK, O_DIRECT.
wr() { dd if="$1" of="$dev" bs=4K seek="$2" oflag=direct conv=notrunc status=none; }
# rd BLOCK COUNT FILE: read COUNT 4 KiB blocks at BLOCK, O_DIRECT.
rd() { dd if="$dev" of="$3" bs=4K skip="$1" count="$2" iflag=direct status=none; }
[ -n "$node" ] && [ -n "$dev" ] && wr "$tmp/a" 0 && wr "$tmp/b" "$s1" && wr "$tmp/c" "$s2" &&
	[ "$(region_field rp allocated)" = $((3 * slab)) ]
tap_last=$?; tap_result "node $node, region rp ($dev, 3 slabs of $((slab / M)) MiB), data in each: allocated $(region_field rp allocated)" "$tap_last" ||
	{ tap_fail_rest "no region"; tap_done; }

# timed CMD...: run CMD (30 s at most); $took is how long it took.
timed() {
	local t0=$SECONDS
	timeout 30 "$@"
	rc=$?
	took=$((SECONDS - t0))
	return $rc
}
# python3 -c "$DISCARD" DEV OFFSET LEN: BLKDISCARD, and nothing else
# (blkdiscard(8) reads the device first, looking for a signature: a read
# waits for the node).
DISCARD='import fcntl, os, struct, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
fcntl.ioctl(fd, 0x1277, struct.pack("QQ", int(sys.argv[2]), int(sys.argv[3])))'
rmem_on 1 'pkill -STOP -x rmemd'
timed python3 -c "$DISCARD" "$dev" 0 $M
rc1=$? took1=$took
timed dd if="$tmp/zero" of="$dev" bs=1M seek=$((slab / M)) oflag=direct conv=notrunc status=none
rc2=$? took2=$took
[ "$rc1" = 0 ] && [ "$took1" -le 10 ] && [ "$rc2" = 0 ] && [ "$took2" -le 10 ]
tap_result "rmemd frozen: a discard of slab 0's data (rc $rc1, ${took1} s) and zeros over slab 1's (rc $rc2, ${took2} s) complete at once" $?
for p in $(pgrep -x kworker/u.\* 2>/dev/null) $(pgrep blkdiscard) $(pgrep -x dd); do
	grep -q rmem_ "/proc/$p/stack" 2>/dev/null || continue
	echo "pid $p ($(cat "/proc/$p/comm" 2>/dev/null)):"
	cat "/proc/$p/stack"
done | tap_diag

rmem_on 1 'pkill -CONT -x rmemd'
given_back() {
	[ "$(region_field rp allocated)" = "$slab" ] && [ "$(node_field "$node" slabs_used)" = 1 ]
}
rmem_retry 60 given_back
tap_last=$?; tap_result "rmemd resumed: slabs 0 and 1 given back (allocated $(region_field rp allocated), node slabs_used $(node_field "$node" slabs_used)), slab 2 kept" "$tap_last"

# Slab 2's only data are its first 2 pages: one write (16 KiB) of 2 zero
# pages and 2 of data over pages 0-3 keeps the zeros here and sends the
# data to the same slab.
head -c 8192 /dev/zero >"$tmp/z2"
cat "$tmp/z2" "$tmp/c" >"$tmp/zc"
dd if="$tmp/zc" of="$dev" bs=16K seek=$((s2 / 4)) oflag=direct conv=notrunc status=none &&
	rd "$s2" 4 "$tmp/rzc" && cmp -s "$tmp/zc" "$tmp/rzc" &&
	[ "$(region_field rp allocated)" = "$slab" ]
tap_last=$?; tap_result "zeros over slab 2's only data, then data: read back as written, the slab kept (allocated $(region_field rp allocated))" "$tap_last"

rd 0 256 "$tmp/r0" && is_zero "$tmp/r0" && rd "$s1" 256 "$tmp/r1" && is_zero "$tmp/r1"
tap_result "the discarded slab and the zeroed one read as zeros" $?
tap_done
