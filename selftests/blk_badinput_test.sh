#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# blk_badinput_test: bad configuration requests get a clear error and change
# nothing (state read back before and after): unreachable or duplicate node,
# unknown node, size 0 or unaligned, bad names, duplicate region, deleting a
# busy region or a node that holds data; and rmmod is refused while a region
# is swapped on, then unloads cleanly after swapoff and region del.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

tap_plan 15
trap blk_cleanup EXIT

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
node=$(blk_setup_node 20s)
dev=$(blk_add_region bad 64M) || { tap_not_ok "setup"; tap_fail_rest "no region"; tap_done; }
tap_ok "node $node and region bad ($dev) set up"

# The configuration, without counters that move by themselves (latency...).
state() {
	{ rmemctl -j node show; echo; rmemctl -j region show; } | python3 -c '
import json, re, sys
skip = re.compile("latency|bytes|reads|writes|errors|free|reconnect|discards|openers")
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in sorted(x.items()) if not skip.search(k)}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
for doc in sys.stdin.read().split("\n\n"):
    if doc.strip():
        print(json.dumps(strip(json.loads(doc)), sort_keys=True))'
}
before=$(state)

# refused: ok only if the command fails with a message AND nothing changed.
refused() {
	local name=$1 out rc after
	shift
	out=$("$@" 2>&1)
	rc=$?
	after=$(state)
	if [ $rc -ne 0 ] && [ -n "$out" ] && [ "$after" = "$before" ]; then
		tap_ok "$name: $(head -n1 <<<"$out")"
	else
		tap_not_ok "$name"
		printf '%s\n' "\$ $* (exit $rc)" "$out" | tap_diag
		[ "$after" = "$before" ] || echo "state changed" | tap_diag
		before=$after
	fi
}

refused "node add to a closed port" rmemctl node add "$(first_node):9" transport tcp
refused "node add of an existing node" rmemctl node add "$(first_node):$RMEM_PORT"
refused "node add with an unknown transport" rmemctl node add "$(first_node):7999" transport carrier-pigeon
refused "node del of an unknown node" rmemctl node del 4242
dd if=/dev/urandom of="$dev" bs=4096 count=1 oflag=direct status=none
before=$(state)
refused "node del of a node holding slabs" rmemctl node del "$node"
refused "region add of size 0" rmemctl region add z size 0
refused "region add of an unaligned size" rmemctl region add u size 4097
refused "region add with a bad name" rmemctl region add 'bad/name' size 4M
refused "region add of a duplicate name" rmemctl region add bad size 4M
refused "region del of an unknown region" rmemctl region del nosuch

mkswap "$dev" >/dev/null && swapon "$dev"
refused "region del while swapped on" rmemctl region del bad
out=$(rmmod rmem 2>&1)
rc=$?
[ $rc -ne 0 ] && [ -d /sys/module/rmem ]
tap_result "rmmod refused while a region is swapped on (${out:-no message})" $?
swapoff "$dev"

rmemctl region del bad && rmemctl node del "$node"
tap_result "after swapoff: region del and node del work" $?
mark=$(dmesg_mark)
rmmod rmem && [ ! -d /sys/module/rmem ] && ! dmesg_since "$mark" | grep -qE "$KERNEL_BAD_RE"
tap_result "rmmod unloads cleanly" $?
rmem_modprobe
tap_done
