#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mmap_pin_test: get_user_pages on an mmap region (issue 12, defect 4).
# O_DIRECT I/O whose user buffer is a mapping of /dev/rmemN pins the
# mapping's pages: out of it (the file gets the region's contents) and into
# it (the region gets the file's), then fsync, drop and read back from the
# memory node, so that what the I/O wrote is known to count as dirty. With
# 2 MiB chunks (one compound page, PMD-mapped) and 64 KiB chunks (PTEs), in
# a region 4x its cache; the file is a RAM disk (brd, I/O done before
# submit_bio returns; or a loop device) and an rmem block region (I/O in
# flight over the network while the next pages are pinned, so pinned chunks
# meet eviction). Before the
# mapping held refcounted pages (VM_PFNMAP) the I/O failed with EFAULT, or
# on 6.1 pinned a PMD's non-compound block with tail pages at refcount 0.
# The checks are rmem_mmap.c's "odirect"; with 2 MiB chunks, some chunk
# must have been PMD-mapped (pmd_maps), or the compound case went untested.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

M=1048576
SIZE=16

tap_plan 6
trap 'blk_cleanup; [ -z "$loop" ] || losetup -d "$loop"; rm -f /tmp/mmap_pin.img; rmmod brd 2>/dev/null' EXIT

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
node=$(blk_setup_node 10s)
[ -n "$node" ] || { tap_fail_rest "node add failed"; tap_done; }
mark=$(dmesg_mark)

# A RAM disk of SIZE MiB: brd as a module takes the size; where it is built
# in (the debug kernel) its disks have the boot-time size (4 MiB), so a loop
# device over a file in /tmp stands in.
ram=
loop=
modprobe brd rd_nr=1 rd_size=$((SIZE * 1024)) 2>/dev/null
if [ -b /dev/ram0 ] && [ "$(blockdev --getsize64 /dev/ram0)" -ge $((SIZE * M)) ]; then
	ram=/dev/ram0
elif truncate -s ${SIZE}M /tmp/mmap_pin.img && loop=$(losetup -f --show /tmp/mmap_pin.img); then
	ram=$loop
fi
blk=$(blk_add_region pinblk ${SIZE}M)

# odirect NAME CHUNK FILE: a SIZE MiB region, cache a quarter of it.
odirect() {
	local d out rc pmd t0=$SECONDS
	d=$(mmap_add "$1" ${SIZE}M "$2" $((SIZE / 4))M) || {
		tap_not_ok "region $1 (chunk $2)"
		return
	}
	out=$(MM_TIMEOUT=300 mm "$d" $((SIZE * M)) odirect "$3" $RANDOM 2>&1)
	rc=$?
	# 2 MiB chunks: the reads after the drop mapped chunks with a PMD, so
	# the pins went through a PMD-mapped compound page, not PTEs only.
	pmd=$(echo "$out" | sed -n 's/.*after fsync and drop:.* pmd_maps \([0-9]*\).*/\1/p')
	if [ $rc = 0 ] && [ "$2" = 2M ] && [ "${pmd:-0}" -eq 0 ]; then
		echo "no chunk was PMD-mapped (pmd_maps ${pmd:-none})" | tap_diag
		rc=1
	fi
	tap_result "chunk $2, file $3: O_DIRECT out of and into a ${SIZE} MiB mapping (cache $((SIZE / 4)) MiB), contents checked, then read back from the memory node (exit $rc, $((SECONDS - t0))s)" $rc
	echo "$out" | tap_diag
	rmemctl region del "$1" || echo "region del $1 failed" | tap_diag
}

for f in "$ram" "$blk"; do
	if [ -z "$f" ]; then
		tap_not_ok "no file to do O_DIRECT with (brd: ${ram:-none}, block region: ${blk:-none})"
		tap_not_ok "(skipped with it)"
		continue
	fi
	odirect p2m 2M "$f"
	odirect p64k 64K "$f"
done

# Region deletion after pins came and went: the pages are the page
# allocator's again (nothing leaked a reference; "Bad page" would be a BUG:).
rmemctl region del pinblk
dmesg_since "$mark" | grep -E "$KERNEL_BAD_RE|Bad page" | head -n 5 >/tmp/mmap_pin_bad
[ ! -s /tmp/mmap_pin_bad ]
tap_result "no oops, bad page state or warning in the kernel log" $?
tap_diag </tmp/mmap_pin_bad

regions=$(region_names)
[ -z "$regions" ]
tap_result "every region deleted (left: ${regions:-none})" $?

tap_done
