#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hostile_test: a memory node that lies (issue 14). rmemd on memory node 1 is
# restarted with the test-only --test-hostile N: about one reply in N after
# HELLO is mangled -- a wrong id, type, magic or status, a longer or shorter
# length, no reply flag, sent twice or never, a SLAB_ALLOC naming a slab the
# node does not have. The module is reloaded with io_timeout_s=5, so that a
# reply that never comes is recovered in seconds. Under fio crc32c verify
# (writes, then every block read back) the module must take each lie as a
# protocol error, reconnect and send the request again: no I/O error, no
# wrong data, no hang, no oops or warning; and `region del` and `node del`
# still work. Over RDMA, READ and WRITE are one-sided (no reply to mangle):
# the lies hit control messages (SLAB_ALLOC, PING, SLAB_FREE, SLAB_LIST),
# so every other one is mangled there.
#
# Not covered: wrong rkeys (--test-hostile N:rkey). The module keeps a
# slab's rkey for the slab's life and has no way to ask again, so a lied
# rkey fails every I/O to that slab (with EIO, never wrong data).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

transport=${RMEM_TRANSPORT:-tcp}
RATE=40
[ "$transport" = rdma ] && RATE=2
TIMEOUT_S=5
tap_plan 7
tmp=$(mktemp -d)
orig_cmd=''

finish() {
	blk_cleanup
	if [ -n "$orig_cmd" ]; then
		rmemd_relaunch hostile-none "$orig_cmd"
		rmem_reload
	fi
	rm -rf "$tmp"
}
trap finish EXIT

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
orig_cmd=$(rmemd_cmdline)
orig_cmd=${orig_cmd% }
mark=$(dmesg_mark)
rmem_reload io_timeout_s=$TIMEOUT_S &&
	rmemd_relaunch hostile "$orig_cmd" --test-hostile "$RATE"
tap_result "rmem reloaded with io_timeout_s=$TIMEOUT_S; rmemd lies in about one reply in $RATE ($transport)" $?

# node add itself may meet a lie (a heartbeat, the slab list): retry it.
node='' dev=''
for _ in 1 2 3 4 5; do
	node=$(blk_setup_node 60s) && [ -n "$node" ] && break
	sleep 1
done
[ -n "$node" ] && dev=$(blk_add_region hostile 256M)
[ -n "$dev" ]
tap_result "node ${node:-?} and region hostile (${dev:-none}) added" $? ||
	{ tap_fail_rest "no region"; tap_done; }

t0=$SECONDS
timeout 600 fio --name=hostile --filename="$dev" --direct=1 --ioengine=libaio --iodepth=8 \
	--rw=randwrite --bsrange=4k-64k --size=256M --io_size=24M --verify=crc32c --do_verify=1 \
	--verify_fatal=1 --output-format=terse >"$tmp/fio" 2>&1
rc=$?
lies=$(rmemd_status hostile_replies)
rec=$(node_field "$node" reconnects)
[ $rc = 0 ] && [ "${lies:-0}" -gt 0 ]
tap_result "fio: 24 MiB written at random over 256 MiB (4 slabs) and verified through $lies lies, $rec reconnects, in $((SECONDS - t0)) s: no error" $?
[ $rc = 0 ] || tail -n 5 "$tmp/fio" | tap_diag
[ "$(region_field hostile errors)" = 0 ] && [ "$(region_field hostile csum_errors)" = 0 ]
tap_result "the region counted no I/O error and no checksum error" $?

dmesg_since "$mark" | grep -cE "rmem: node .*(malformed reply|matches no request|has [0-9]+ bytes, expected|protocol error|reconnect)" >"$tmp/n"
[ "$(cat "$tmp/n")" -gt 0 ]
tap_result "the kernel log names the lies ($(cat "$tmp/n") lines of protocol errors and reconnects)" $?
dmesg_since "$mark" | grep -E "rmem: node" | sort | uniq -c | sort -rn | head -n 8 | tap_diag

timeout 120 rmemctl region del hostile >/dev/null && timeout 120 rmemctl node del "$node" >/dev/null &&
	[ -z "$(node_ids)" ]
tap_result "region del and node del finish, no node left" $?

dmesg_since "$mark" | grep -E "$KERNEL_BAD_RE" | head -n 5 >"$tmp/bad"
[ ! -s "$tmp/bad" ]
tap_result "kernel log clean (no oops, warning or hung task)" $?
tap_diag <"$tmp/bad"
tap_done
