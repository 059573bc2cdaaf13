#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# csum_test: end-to-end checksums (issue 13). The module keeps a crc32c of
# every 4 KiB page it writes and checks it on every read. rmemd on memory
# node 1 is restarted with the test-only --test-corrupt OFFSET: on SIGUSR2
# it flips a bit at that offset of every slab in use, as failing memory
# would. With one copy of the data (no replicas yet), a read of the bad page
# must fail (EIO on the block device, SIGBUS through a mapping), count in
# csum_errors and log a line, and never return the wrong bytes; the pages
# around it read fine, and a new write heals it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

OFF=8192		# the third page of every slab
M=1048576

tap_plan 9
tmp=$(mktemp -d)
orig_cmd=''

# rmemd_with [ARGS]: restart rmemd on memory node 1 with these extra options.
rmemd_with() {
	rmemd_relaunch "csum${1:+-corrupt}" "$orig_cmd" "$@"
}

finish() {
	blk_cleanup
	[ -z "$orig_cmd" ] || rmemd_with
}
trap finish EXIT

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
orig_cmd=$(rmemd_cmdline)
orig_cmd=${orig_cmd% }
rmemd_with --test-corrupt $OFF
node=$(blk_setup_node 20s)
dev=$(blk_add_region cs 16M)
[ -n "$node" ] && [ -n "$dev" ]
tap_result "rmemd restarted with --test-corrupt $OFF; node $node, region cs ($dev)" $? ||
	{ tap_fail_rest "no region"; tap_done; }
mark=$(dmesg_mark)

# 16 pages at the start of the region: the third is at slab offset OFF.
rand_file "$tmp/a" 16
dd if="$tmp/a" of="$dev" bs=4096 oflag=direct status=none &&
	dd if="$dev" of="$tmp/b" bs=4096 count=16 iflag=direct status=none &&
	cmp -s "$tmp/a" "$tmp/b" && [ "$(region_field cs csum_errors)" = 0 ]
tap_result "16 pages written and read back, csum_errors 0" $?

# An mmap region too: its slab is flipped at the same offset.
mdev=$(mmap_add mcs 4M 64K 1M) &&
	mm "$mdev" $((4 * M)) fill 5 >/dev/null &&
	mm "$mdev" $((4 * M)) drop >/dev/null
tap_result "mmap region mcs written and dropped from its cache (its data is on the node only)" $?

rmem_on 1 'pkill -USR2 -x rmemd' >/dev/null
sleep 1

# The bad page: an error, never its bytes.
rm -f "$tmp/c"
if dd if="$dev" of="$tmp/c" bs=4096 skip=2 count=1 iflag=direct status=none 2>"$tmp/err"; then
	tap_not_ok "the flipped page reads back as an I/O error (it read: $(cmp "$tmp/c" <(tail -c +8193 "$tmp/a" | head -c 4096) >/dev/null && echo the right bytes || echo wrong bytes))"
else
	[ ! -s "$tmp/c" ] && grep -q "Input/output error" "$tmp/err"
	ok_rc=$?
	tap_result "the flipped page reads back as an I/O error, no bytes returned ($(tr '\n' ' ' <"$tmp/err"))" "$ok_rc"
fi
ce=$(region_field cs csum_errors)
[ "${ce:-0}" -ge 1 ] && dmesg_since "$mark" | grep -q "rmem: region cs: checksum mismatch"
tap_result "csum_errors counts it ($ce) and the kernel log says which page" $?
dmesg_since "$mark" | grep "checksum mismatch" | head -n 3 | tap_diag

dd if="$dev" of="$tmp/d" bs=4096 count=2 iflag=direct status=none &&
	dd if="$dev" of="$tmp/d2" bs=4096 skip=3 count=13 iflag=direct status=none &&
	cmp -s "$tmp/d" <(head -c 8192 "$tmp/a") && cmp -s "$tmp/d2" <(tail -c +12289 "$tmp/a")
tap_result "the pages around it read back correct" $?

dd if="$tmp/a" of="$dev" bs=4096 skip=2 seek=2 count=1 oflag=direct status=none &&
	dd if="$dev" of="$tmp/e" bs=4096 count=16 iflag=direct status=none && cmp -s "$tmp/a" "$tmp/e"
tap_result "writing the page again heals it: all 16 read back correct" $?

out=$(MM_TIMEOUT=120 mm "$mdev" $((4 * M)) verify 5 2>&1)
rc=$?
[ $rc -eq 3 ]
tap_result "through a mapping, the chunk holding the flipped page gives SIGBUS, not wrong data (exit $rc)" $?
echo "$out" | tap_diag
out=$(MM_TIMEOUT=120 mm "$mdev" $((4 * M)) verify 5 $((64 * 1024)) $((4 * M - 64 * 1024)) 2>&1)
tap_result "the rest of the mapping reads back correct" $?
echo "$out" | tap_diag

tap_done
