#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# same_filled_test: same-filled page elision (issue 16). A write whose pages
# are all one 64-bit word repeated (zeros, 0xff bytes, any word) is kept on
# the compute node: nothing reaches the memory node (its write_bytes and
# slabs stay put), the region's allocated stays 0 and same_filled counts
# the pages; they read back as written, through the block device and
# through a mapping. A write whose first and last pages are same-filled
# sends only the pages between them (same-filled pages between pages of
# data are sent). Zeros written over data give the slab back; data written
# over a same-filled page replaces it; a discard makes it zeros; the module
# parameter same_filled=0 sends such writes as usual. The regions are
# encrypted (the default): elision happens before encryption.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

M=1048576
PARAM=/sys/module/rmem/parameters/same_filled

tap_plan 13
tmp=$(mktemp -d)

finish() {
	[ -w "$PARAM" ] && echo 1 >"$PARAM"
	blk_cleanup
	rm -rf "$tmp"
}
trap finish EXIT

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
node=$(blk_setup_node 20s)
rmemctl region add sf size 128M >/dev/null
slab=$(region_field sf slab_size)
rmemctl region del sf >/dev/null 2>&1
# Two slabs: the second holds data while the first is freed.
dev=$(blk_add_region sf $((2 * slab)))
[ -n "$node" ] && [ -n "$dev" ] && [ -w "$PARAM" ] && [ "$(cat "$PARAM")" = Y ] &&
	[ "$(region_field sf encrypt)" = on ]
tap_last=$?; tap_result "node $node, encrypted region sf ($dev, 2 slabs of $((slab / M)) MiB), same_filled=Y" "$tap_last" ||
	{ tap_fail_rest "no region"; tap_done; }

# wr FILE OFFSET_MIB: write FILE at OFFSET_MIB with O_DIRECT.
wr() { dd if="$1" of="$dev" bs=1M seek="$2" oflag=direct conv=notrunc status=none; }
# rd OFFSET_MIB MIB FILE: read back with O_DIRECT.
rd() { dd if="$dev" of="$3" bs=1M skip="$1" count="$2" iflag=direct status=none; }

head -c $((16 * M)) /dev/zero >"$tmp/zero16"
head -c $M /dev/zero | tr '\0' '\377' >"$tmp/ff"
python3 -c 'import sys; sys.stdout.buffer.write(b"rmem-42!" * 131072)' >"$tmp/word"
head -c $M /dev/zero >"$tmp/zero1"
rand_file "$tmp/data" 256

nw0=$(node_field "$node" write_bytes)
wr "$tmp/zero16" 0 && rd 0 16 "$tmp/r0" && cmp -s "$tmp/r0" "$tmp/zero16"
rc=$?
sf=$(region_field sf same_filled)
al=$(region_field sf allocated)
nw=$(node_field "$node" write_bytes)
[ $rc = 0 ] && [ "$sf" = 4096 ] && [ "$al" = 0 ] && [ "$nw" = "$nw0" ]
tap_last=$?; tap_result "16 MiB of zeros: read back as zeros, same_filled $sf (4096), allocated $al, node write_bytes +$((nw - nw0))" "$tap_last"

wr "$tmp/ff" 16 && wr "$tmp/word" 17 && rd 16 1 "$tmp/r1" && rd 17 1 "$tmp/r2" &&
	cmp -s "$tmp/r1" "$tmp/ff" && cmp -s "$tmp/r2" "$tmp/word"
rc=$?
sf=$(region_field sf same_filled)
al=$(region_field sf allocated)
nw=$(node_field "$node" write_bytes)
[ $rc = 0 ] && [ "$sf" = 4608 ] && [ "$al" = 0 ] && [ "$nw" = "$nw0" ] &&
	[ "$(node_field "$node" slabs_used)" = 0 ]
tap_result "1 MiB of 0xff and 1 MiB of \"rmem-42!\" read back as written, same_filled $sf (4608), allocated $al, no slab on the node" $?

# Data, then zeros over all of it: the slab goes back.
wr "$tmp/data" 32 && al1=$(region_field sf allocated) && wr "$tmp/zero1" 32 &&
	rd 32 1 "$tmp/r3" && cmp -s "$tmp/r3" "$tmp/zero1"
rc=$?
# The slab goes back from a work item (reap_test.sh): soon, not at once.
given_back() { [ "$(region_field sf allocated)" = 0 ] && [ "$(node_field "$node" slabs_used)" = 0 ]; }
rmem_retry 20 given_back
al=$(region_field sf allocated)
[ $rc = 0 ] && [ "$al1" = "$slab" ] && [ "$al" = 0 ] && [ "$(node_field "$node" slabs_used)" = 0 ]
tap_result "1 MiB of data (allocated $al1), then zeros over it: reads zeros, allocated $al, the slab given back" $?

# Mixed: data in the second slab, a same-filled write over part of it, then
# data over part of that, then a discard of part of what is left.
s2=$((slab / M))
wr "$tmp/data" "$s2" &&
	dd if="$tmp/ff" of="$dev" bs=4096 count=2 seek=$((slab / 4096 + 2)) oflag=direct conv=notrunc status=none &&
	rd "$s2" 1 "$tmp/r4"
rc=$?
{ head -c 8192 "$tmp/data"; head -c 8192 "$tmp/ff"; tail -c +16385 "$tmp/data"; } >"$tmp/x4"
[ $rc = 0 ] && cmp -s "$tmp/r4" "$tmp/x4" && [ "$(region_field sf allocated)" = "$slab" ]
tap_result "0xff over 2 pages of data: those 2 read 0xff, the rest the data, the slab kept" $?

dd if="$tmp/data" of="$dev" bs=4096 count=1 skip=10 seek=$((slab / 4096 + 2)) oflag=direct conv=notrunc status=none &&
	blkdiscard -o $((slab + 3 * 4096)) -l 4096 "$dev" && rd "$s2" 1 "$tmp/r5"
rc=$?
{ head -c 8192 "$tmp/data"; tail -c +40961 "$tmp/data" | head -c 4096; head -c 4096 "$tmp/zero1";
  tail -c +16385 "$tmp/data"; } >"$tmp/x5"
[ $rc = 0 ] && cmp -s "$tmp/r5" "$tmp/x5"
tap_result "data over a same-filled page reads the data; a discarded same-filled page reads zeros" $?

# One write of 16 pages: 2 of zeros and 2 of 0xff at its start, 8 of
# data, 4 of a word at its end. Only the data is sent; then 4 pages of data,
# 8 of zeros, 4 of data: those zeros are sent with the data around them.
{ head -c 8192 "$tmp/zero1"; head -c 8192 "$tmp/ff"; head -c 32768 "$tmp/data"; head -c 16384 "$tmp/word"; } >"$tmp/mix"
{ tail -c 16384 "$tmp/data"; head -c 32768 "$tmp/zero1"; tail -c 32768 "$tmp/data" | head -c 16384; } >"$tmp/mid"
sf0=$(region_field sf same_filled)
nw0=$(node_field "$node" write_bytes)
mixoff=$((slab + 2 * M))
dd if="$tmp/mix" of="$dev" bs=64K count=1 seek=$((mixoff / 65536)) oflag=direct conv=notrunc status=none &&
	dd if="$dev" of="$tmp/r7" bs=64K count=1 skip=$((mixoff / 65536)) iflag=direct status=none &&
	cmp -s "$tmp/r7" "$tmp/mix"
rc=$?
sf=$(region_field sf same_filled)
nw=$(node_field "$node" write_bytes)
[ $rc = 0 ] && [ $((sf - sf0)) = 8 ] && [ $((nw - nw0)) = 32768 ]
tap_result "16 pages, the first 4 and last 4 same-filled: read back as written, same_filled +$((sf - sf0)) (8), node write_bytes +$((nw - nw0)) (32768)" $?
sf0=$sf
nw0=$nw
dd if="$tmp/mid" of="$dev" bs=64K count=1 seek=$((mixoff / 65536 + 1)) oflag=direct conv=notrunc status=none &&
	dd if="$dev" of="$tmp/r8" bs=64K count=2 skip=$((mixoff / 65536)) iflag=direct status=none &&
	cmp -s "$tmp/r8" <(cat "$tmp/mix" "$tmp/mid")
rc=$?
sf=$(region_field sf same_filled)
nw=$(node_field "$node" write_bytes)
[ $rc = 0 ] && [ $((sf - sf0)) = 0 ] && [ $((nw - nw0)) = 65536 ]
tap_result "16 pages with 8 of zeros between data: all sent (same_filled +$((sf - sf0)), node write_bytes +$((nw - nw0))), read back as written" $?

# 4 pages of zeros, 4 of data, 4 of zeros, 4 of data: the first 4 are kept,
# the other 12 sent (the zeros between data with them).
{ head -c 16384 "$tmp/zero1"; head -c 16384 "$tmp/data"; head -c 16384 "$tmp/zero1";
  tail -c 16384 "$tmp/data"; } >"$tmp/hz"
sf0=$(region_field sf same_filled)
nw0=$(node_field "$node" write_bytes)
dd if="$tmp/hz" of="$dev" bs=64K count=1 seek=$((mixoff / 65536 + 2)) oflag=direct conv=notrunc status=none &&
	dd if="$dev" of="$tmp/r9" bs=64K count=1 skip=$((mixoff / 65536 + 2)) iflag=direct status=none &&
	cmp -s "$tmp/r9" "$tmp/hz"
rc=$?
sf=$(region_field sf same_filled)
nw=$(node_field "$node" write_bytes)
[ $rc = 0 ] && [ $((sf - sf0)) = 4 ] && [ $((nw - nw0)) = 49152 ] && [ "$(region_field sf errors)" = 0 ]
tap_result "16 pages, zeros at the start and between data: the first 4 kept (same_filled +$((sf - sf0))), 12 sent (node write_bytes +$((nw - nw0)), 49152), read back as written, no error" $?

# Turned off: zeros are sent and take a slab.
sf0=$(region_field sf same_filled)
nw0=$(node_field "$node" write_bytes)
echo 0 >"$PARAM" && wr "$tmp/zero1" 40 && rd 40 1 "$tmp/r6" && cmp -s "$tmp/r6" "$tmp/zero1"
rc=$?
echo 1 >"$PARAM"
nw=$(node_field "$node" write_bytes)
[ $rc = 0 ] && [ "$(region_field sf same_filled)" = "$sf0" ] && [ "$((nw - nw0))" -ge $M ] &&
	[ "$(region_field sf allocated)" = $((2 * slab)) ]
tap_last=$?; tap_result "same_filled=0: 1 MiB of zeros is sent (node write_bytes +$((nw - nw0))) and takes a slab" "$tap_last"

# sysfs says the same as rmemctl.
[ "$(cat "/sys/block/${dev#/dev/}/rmem/same_filled")" = "$(region_field sf same_filled)" ]
tap_last=$?; tap_result "sysfs same_filled equals rmemctl's ($(region_field sf same_filled))" "$tap_last"
rmemctl region del sf >/dev/null

# mmap: chunks written back as one word each.
mdev=$(mmap_add msf 4M 64K 1M) &&
	mm "$mdev" $((4 * M)) word 0 0 $M >/dev/null &&
	mm "$mdev" $((4 * M)) word 0xdeadbeefcafef00d $M $M >/dev/null &&
	mm "$mdev" $((4 * M)) drop >/dev/null
rc=$?
sf=$(region_field msf same_filled)
al=$(region_field msf allocated)
[ $rc = 0 ] && [ "$sf" = 512 ] && [ "$al" = 0 ]
tap_result "mmap region msf: 2 MiB of same-filled chunks written back and dropped: same_filled $sf (512), allocated $al" $?
out=$(mm "$mdev" $((4 * M)) checkword 0 0 $M 2>&1) &&
	out=$(mm "$mdev" $((4 * M)) checkword 0xdeadbeefcafef00d $M $M 2>&1)
tap_result "through the mapping, both read back as written" $?
echo "$out" | tap_diag

tap_done
