#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# publish_resync_test: the seal brings a copy that missed writes up to date
# (issue 17). Needs two memory nodes (scripts/rmem-vm --memory-nodes 2);
# with fewer it skips.
#   - a block region is published in two copies (one per memory node) and
#     a first pattern written at the start of its first two extents
#   - rmemd on memory node 2 is frozen (SIGSTOP) until the node is down, and
#     a second pattern is written over extent 0's: its copy on node 2 is
#     dropped, as for any write to a node that is down
#   - rmemd goes on (SIGCONT): the node comes back with the same session,
#     its published region still listing that slab, with the old bytes
#   - the seal brings that slab up to date before node 2 seals, and writes
#     the pages' checksums after the data (a third extent, on both nodes):
#     attached from node 2 alone (region del, then region attach ... node
#     ID), both extents read back as last written
#   - attached from both nodes, with a bit of every slab on node 1 flipped
#     (rmemd --test-corrupt) and node 2's link slowed down (netem), so that
#     reads go to node 1 first: they return the right bytes (the check
#     fails on node 1's copy, and node 2's serves), csum_errors counts it,
#     and the bad copy is dropped
#   - a purge while another session (a protocol client) is attached on node
#     2 only is refused, and node 1 keeps its copy
#   - a region in one copy, its checksums' extent on the other node than
#     (some of) its data (that node drained for the seal): attached from
#     that other node alone, an extent it does not hold reads as an error
#     (its checksums say it holds data), never as zeros
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

M=1048576
tap_plan 7
if [ "${RMEM_NNODES:-1}" -lt 2 ]; then
	tap_skip_rest "needs 2 memory nodes (rmem-vm --memory-nodes 2); have ${RMEM_NNODES:-1}"
	tap_done
fi
tmp=$(mktemp -d)
client='' cmd1='' ifc2=''
finish() {
	[ -n "$client" ] && kill "$client" 2>/dev/null
	[ -n "$ifc2" ] && tc qdisc del dev "$ifc2" root 2>/dev/null
	rmem_on 2 'pkill -CONT -x rmemd' >/dev/null 2>&1
	rmemctl region del pb-rs purge >/dev/null 2>&1
	rmemctl region del pb-one purge >/dev/null 2>&1
	blk_cleanup
	[ -n "$cmd1" ] && RMEMD_NODE=1 rmemd_relaunch resync-restore "$cmd1"
	rm -rf "$tmp"
}
trap finish EXIT

rmem_wait_nodes 60 || { tap_fail_rest "memory nodes not reachable"; tap_done; }
# Node 1's rmemd flips a bit at OFF of every slab in use on SIGUSR2.
OFF=8192
cmd1=$(RMEMD_NODE=1 rmemd_cmdline)
cmd1=${cmd1% }
RMEMD_NODE=1 rmemd_relaunch resync-corrupt "$cmd1" --test-corrupt $OFF
ids=()
for a in $RMEM_NODES; do
	ids+=("$(rmemctl node add "$a:$RMEM_PORT" transport "$RMEM_TRANSPORT" timeout 20s |
		grep -oE '[0-9]+' | head -n1)")
done
slab=$(rmemctl -j status | jget slab_size)
size=$((2 * slab))
head -c $M /dev/urandom >"$tmp/a0"
head -c $M /dev/urandom >"$tmp/a1"
head -c $M /dev/urandom >"$tmp/b0"
# put FILE BYTE-OFFSET / get BYTE-OFFSET FILE: 1 MiB, O_DIRECT.
put() { dd if="$1" of="$dev" bs=1M count=1 seek="$2" oflag=direct,seek_bytes status=none; }
get() { dd if="$dev" of="$2" bs=1M count=1 skip="$1" iflag=direct,skip_bytes status=none; }

dev=$(rmemctl region add pb-rs size "$size" publish replicas 2 key-file "$RMEM_REGION_KEY_FILE" >/dev/null &&
	d=$(region_field pb-rs device) && dev_wait "$d" b && echo "/dev/$d")
[ -n "$dev" ] && put "$tmp/a0" 0 && put "$tmp/a1" "$slab" &&
	[ "$(region_field pb-rs slabs)" = 4 ]
tap_last=$?; tap_result "pb-rs published in 2 copies on nodes ${ids[*]}, both extents written ($(region_field pb-rs slabs) slabs)" "$tap_last" ||
	{ tap_fail_rest "no region"; tap_done; }

rmem_on 2 'pkill -STOP -x rmemd' >/dev/null
down=1
for _ in $(seq 120); do
	[ "$(node_field "${ids[1]}" state)" != live ] && { down=0; break; }
	sleep 0.5
done
[ $down = 0 ] && put "$tmp/b0" 0 && get 0 "$tmp/r0" && cmp -s "$tmp/b0" "$tmp/r0"
rc=$?
rmem_on 2 'pkill -CONT -x rmemd' >/dev/null
node_wait_state "${ids[1]}" live 90 && [ "$rc" = 0 ] &&
	[ "$(region_field pb-rs slabs)" = 3 ]
tap_last=$?; tap_result "node ${ids[1]} frozen until down ($(node_field "${ids[1]}" state) now): extent 0 rewritten, its copy there dropped ($(region_field pb-rs slabs) slabs); the node is live again" "$tap_last"

out=$(rmemctl region seal pb-rs 2>&1)
rc=$?
[ "$rc" = 0 ] && [ "$(region_field pb-rs slabs)" = 6 ] &&
	dmesg | grep -q "pb-rs: 1 out-of-date copy there"
tap_last=$?; tap_result "sealed ($rc): the copy that missed the write was brought up to date, the checksums written after the data ($(region_field pb-rs slabs) slabs)" "$tap_last"
echo "$out" | tap_diag

rmemctl region del pb-rs >/dev/null &&
	out=$(rmemctl region attach pb-rs type block node "${ids[1]}" key-file "$RMEM_REGION_KEY_FILE" 2>&1) &&
	d=$(region_field pb-rs device) && dev_wait "$d" b && dev=/dev/$d &&
	get 0 "$tmp/r0" && get "$slab" "$tmp/r1" &&
	cmp -s "$tmp/b0" "$tmp/r0" && cmp -s "$tmp/a1" "$tmp/r1"
tap_result "attached from node ${ids[1]} alone: extent 0 reads as last written, extent 1 too" $?
echo "$out" | tap_diag

# Both copies; node 1's go bad at OFF. Node 2's link is slowed down: a read
# with nothing else in flight goes to the copy of the lower round-trip time
# (rmem_read_pick()), node 1's, which the heartbeats measure meanwhile.
set -- $RMEM_NODES
ifc2=$(ip -o route get "$2" | sed -n 's/.* dev \([^ ]*\).*/\1/p')
rmemctl region del pb-rs >/dev/null &&
	rmemctl region attach pb-rs type block key-file "$RMEM_REGION_KEY_FILE" >/dev/null &&
	d=$(region_field pb-rs device) && dev_wait "$d" b && dev=/dev/$d &&
	tc qdisc add dev "$ifc2" root netem delay 50ms
rc=$?
sleep 5
rmem_on 1 'pkill -USR2 -x rmemd' >/dev/null
sleep 1
get 0 "$tmp/r0" && get "$slab" "$tmp/r1" && cmp -s "$tmp/b0" "$tmp/r0" && cmp -s "$tmp/a1" "$tmp/r1" ||
	rc=1
rmem_on 1 'pkill -USR2 -x rmemd' >/dev/null
tc qdisc del dev "$ifc2" root
ifc2=''
[ $rc = 0 ] && [ "$(region_field pb-rs csum_errors)" -ge 1 ] &&
	[ "$(region_field pb-rs errors)" = 0 ] && [ "$(region_field pb-rs dropped)" -ge 1 ]
tap_last=$?; tap_result "attached from both nodes, a bit flipped in node 1's copies, node 2's link slow: reads return the right bytes (csum_errors $(region_field pb-rs csum_errors), errors $(region_field pb-rs errors), copies dropped $(region_field pb-rs dropped))" "$tap_last"

# Purge with a reader (another session) attached on node 2 only: refused
# before node 1 deletes its copy.
set -- $RMEM_NODES
held1=$(RMEMD_NODE=1 rmemd_status published_slabs)
pub_client pb-rs hold "$2" >"$tmp/client" 2>&1 &
client=$!
for _ in $(seq 100); do grep -q attached "$tmp/client" && break; sleep 0.1; done
! rmemctl region del pb-rs purge 2>"$tmp/err" && grep -q "attached by another compute node on node ${ids[1]}" "$tmp/err" &&
	[ "$(RMEMD_NODE=1 rmemd_status published_slabs)" = "$held1" ] && [ "$held1" -gt 0 ] &&
	[ "$(region_field pb-rs published)" = attached ]
tap_last=$?; tap_result "purging it while another session is attached on node ${ids[1]} only is refused, and node 1 keeps its $held1 slabs: '$(cat "$tmp/err")'" "$tap_last"
kill "$client" 2>/dev/null
wait "$client" 2>/dev/null
client=

# One copy, written while both nodes take slabs; then node X, which holds
# some of it, is drained (it takes no new slab), so the seal puts the
# checksums' extent on the other node, Y. Attached from Y alone, an extent
# Y lacks must fail to read, not read as zeros.
rmemctl region del pb-rs >/dev/null 2>&1
for _ in $(seq 50); do
	rmemctl region del pb-rs purge >/dev/null 2>&1 && break
	sleep 0.2	# rmemd notices the client's session end
done
dev=$(rmemctl region add pb-one size "$size" publish replicas 1 key-file "$RMEM_REGION_KEY_FILE" >/dev/null &&
	d=$(region_field pb-one device) && dev_wait "$d" b && echo "/dev/$d")
[ -n "$dev" ] && put "$tmp/a0" 0 && put "$tmp/a1" "$slab"
rc=$?
h1=$(RMEMD_NODE=1 rmemd_status published_slabs)
h2=$(RMEMD_NODE=2 rmemd_status published_slabs)
x=0 y=1
[ "${h1:-0}" -gt 0 ] || { x=1 y=0; }
rmemctl node drain "${ids[$x]}" >/dev/null && rmemctl region seal pb-one >/dev/null &&
	rmemctl region del pb-one >/dev/null || rc=1
failed=0 seen=''
if out=$(rmemctl region attach pb-one type block node "${ids[$y]}" key-file "$RMEM_REGION_KEY_FILE" 2>&1); then
	d=$(region_field pb-one device) && dev_wait "$d" b && dev=/dev/$d
	for e in 0 1; do
		if get $((e * slab)) "$tmp/r$e" 2>"$tmp/err"; then
			cmp -s "$tmp/a$e" "$tmp/r$e" || rc=1
			seen="$seen extent $e: $(cmp -s "$tmp/a$e" "$tmp/r$e" && echo right || echo WRONG);"
		else
			grep -q "Input/output error" "$tmp/err" || rc=1
			failed=$((failed + 1))
			seen="$seen extent $e: $(tail -n1 "$tmp/err" | sed 's/.*: //');"
		fi
	done
	rmemctl region del pb-one >/dev/null || rc=1
else
	rc=1 seen=" attach: $out"
fi
[ "$rc" = 0 ] && [ "$failed" -ge 1 ]
tap_last=$?; tap_result "pb-one in one copy (node 1 held ${h1:-?} slabs, node 2 ${h2:-?}), node ${ids[$x]} drained for the seal, attached from node ${ids[$y]} alone: an extent it lacks fails, none reads wrong ($failed failed:$seen)" "$tap_last"
rmemctl region del pb-one purge >/dev/null 2>&1
tap_done
