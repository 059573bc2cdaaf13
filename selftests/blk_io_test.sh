#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# blk_io_test: a block region on a memory node holds exactly what was written.
# Never-written blocks read as zeros; written blocks read back byte for byte;
# the first write claims a remote slab and DISCARD gives it back; fio's
# crc32c verify over 256 MiB of random 4 KiB writes at queue depth 16 finds
# no error; an ext4 filesystem keeps its files' checksums across a cache drop
# and a remount.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

tap_plan 13
trap blk_cleanup EXIT
tmp=$(mktemp -d)

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
node=$(blk_setup_node 30s)
if [ -z "$node" ]; then
	tap_not_ok "node add"
	tap_fail_rest "no node"
	tap_done
fi
tap_ok "node $node added ($(node_field "$node" state), $(node_field "$node" capacity) bytes)"

dev=$(blk_add_region io 256M) || { tap_not_ok "region add"; tap_fail_rest "no region"; tap_done; }
size=$(blockdev --getsize64 "$dev")
[ "$size" = $((256 << 20)) ] && [ "$(blockdev --getss "$dev")" = 4096 ]
tap_result "region add makes $dev of 256 MiB with 4 KiB sectors (size $size)" $?

# 1. never-written blocks read as zeros, and cost no slab
dd if="$dev" of="$tmp/z" bs=1M count=8 iflag=direct status=none
is_zero "$tmp/z"
r1=$?
slabs=$(region_field io slabs)
[ $r1 -eq 0 ] && [ "$slabs" = 0 ]
tap_result "never-written blocks read as zeros, no slab claimed (slabs=$slabs)" $?

# 2. write, read back exactly (direct I/O, two places, one unaligned to slabs)
# 64 MiB slabs: block 16384 starts the second one.
rand_file "$tmp/a" 300
dd if="$tmp/a" of="$dev" bs=4096 seek=16300 oflag=direct conv=fsync status=none &&
	dd if="$dev" of="$tmp/a2" bs=4096 skip=16300 count=300 iflag=direct status=none &&
	cmp "$tmp/a" "$tmp/a2"
tap_result "300 blocks written across a slab boundary read back identical" $?
slabs=$(region_field io slabs)
[ "$slabs" = 2 ]
tap_result "the first writes claimed exactly the 2 slabs they touched (slabs=$slabs)" $?

# 3. neighbours of written blocks still read as zeros
dd if="$dev" of="$tmp/n" bs=4096 skip=16299 count=1 iflag=direct status=none &&
	is_zero "$tmp/n"
tap_result "the block before a written run still reads as zeros" $?

# 4. discard: data reads as zeros again and the slabs go back
blkdiscard "$dev"
dd if="$dev" of="$tmp/d" bs=4096 skip=16300 count=300 iflag=direct status=none
is_zero "$tmp/d"
r1=$?
# The slabs go back from a work item (reap_test.sh): soon, not at once.
rmem_retry 20 eval '[ "$(region_field io slabs)" = 0 ]'
slabs=$(region_field io slabs)
[ $r1 -eq 0 ] && [ "$slabs" = 0 ]
tap_result "blkdiscard frees the remote slabs and the blocks read as zeros (slabs=$slabs)" $?

# 5. write-zeroes
rand_file "$tmp/b" 16
dd if="$tmp/b" of="$dev" bs=4096 seek=100 oflag=direct status=none
blkdiscard -z -o $((100 * 4096)) -l $((8 * 4096)) "$dev" 2>/dev/null ||
	fallocate -z -o $((100 * 4096)) -l $((8 * 4096)) "$dev"
dd if="$dev" of="$tmp/b2" bs=4096 skip=100 count=16 iflag=direct status=none
head -c $((8 * 4096)) "$tmp/b2" >"$tmp/b2head"
tail -c $((8 * 4096)) "$tmp/b" >"$tmp/btail"
tail -c $((8 * 4096)) "$tmp/b2" >"$tmp/b2tail"
is_zero "$tmp/b2head" && cmp -s "$tmp/btail" "$tmp/b2tail"
tap_result "write-zeroes zeroes exactly its range" $?

# 6. fio verify: random 4 KiB writes, QD16, 256 MiB (/ DATA_DIV), then a
# crc32c verify pass
fio_mb=$((256 / DATA_DIV))
fio --name=verify --filename="$dev" --direct=1 --ioengine=libaio --rw=randwrite \
	--bs=4k --iodepth=16 --size=${fio_mb}M --verify=crc32c --verify_fatal=1 \
	--do_verify=1 --output-format=json --output="$tmp/fio.json" >"$tmp/fio.out" 2>&1
rc=$?
errs=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
print(sum(x.get("error", 0) for x in j["jobs"]))
print(sum(x["write"]["io_bytes"] for x in j["jobs"]), sum(x["read"]["io_bytes"] for x in j["jobs"]))' \
	"$tmp/fio.json" 2>/dev/null | tr '\n' ' ')
set -- $errs
[ $rc -eq 0 ] && [ "${1:-x}" = 0 ] && [ "${2:-0}" -ge $((fio_mb << 20)) ] && [ "${3:-0}" -ge $((fio_mb << 20)) ]
if ! tap_result "fio randwrite 4k QD16 $fio_mb MiB + crc32c verify: 0 errors (errors=${1:-?} written=${2:-?} verified=${3:-?})" $?; then
	tail -n 20 "$tmp/fio.out" | tap_diag
fi
w=$(region_field io writes)
[ "${w:-0}" -ge $((fio_mb * 256)) ]
ok_rc=$?
tap_result "region counters saw the writes (writes=$w, slabs=$(region_field io slabs))" "$ok_rc"

# 7. ext4: files survive a cache drop and a remount
mkdir -p /mnt/io
if mkfs.ext4 -q -F "$dev" && mount "$dev" /mnt/io; then
	for i in $(seq 1 12); do head -c $((i * 300000)) /dev/urandom >"/mnt/io/f$i"; done
	(cd /mnt/io && sha256sum f* >"$tmp/sums")
	umount /mnt/io && rmem_drop_caches && mount "$dev" /mnt/io &&
		(cd /mnt/io && sha256sum -c --quiet "$tmp/sums")
	tap_result "ext4 on the region: 12 files' sha256 match after umount, cache drop, mount" $?
	umount /mnt/io
else
	tap_not_ok "ext4 on the region: mkfs and mount"
fi

# 8. delete: refused while open, then works
exec 7<"$dev"
out=$(rmemctl region del io 2>&1)
rc=$?
exec 7<&-
[ $rc -ne 0 ] && grep -qi "busy\|in use" <<<"$out" && [ -n "$(region_field io device)" ]
tap_result "region del refused while the device is open: $out" $?
rmemctl region del io && [ ! -e "/sys/block/${dev#/dev/}" ] &&
	[ "$(node_field "$node" slabs_used)" = 0 ]
tap_result "region del after close removes the disk and frees its slabs" $?

tap_done
