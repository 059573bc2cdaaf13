#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# region_load_test: rmemctl region load NAME FILE [offset SIZE] streams a
# file into a region (issue 17: a dataset read from disk once). A block
# region and an mmap region whose cache is smaller than the file (so the
# load goes through evictions and write-back) get files that end inside a
# page: every byte reads back, the region's bytes after the file's end are
# left as they were, and the mmap region's data comes back from the memory
# node after its cache is dropped. A file that does not fit, an offset that
# is not a multiple of 4K and an unknown region are refused, writing
# nothing. -j prints the result as JSON. Progress goes to a terminal only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

M=1048576
tap_plan 9
tmp=$(mktemp -d)
finish() {
	blk_cleanup
	rm -rf "$tmp"
}
trap finish EXIT

# same_bytes DEV OFF LEN FILE: LEN bytes of DEV at OFF equal FILE's first LEN.
same_bytes() {
	python3 - "$@" <<'EOF'
import mmap, os, sys
dev, off, length, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
want = open(path, 'rb').read(length)
fd = os.open(dev, os.O_RDONLY)
if dev.startswith('/dev/rmemblk'):
    os.lseek(fd, off, os.SEEK_SET)
    got = b''
    while len(got) < length:
        b = os.read(fd, length - len(got))
        if not b:
            break
        got += b
else:
    base = off & ~(mmap.PAGESIZE - 1)
    m = mmap.mmap(fd, off - base + length, mmap.MAP_SHARED, mmap.PROT_READ, offset=base)
    got = m[off - base:off - base + length]
    m.close()
os.close(fd)
sys.exit(0 if got == want else 1)
EOF
}

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
node=$(blk_setup_node 20s)
blk=$(blk_add_region ld-blk 64M)
mm=$(mmap_add ld-mm 32M 64K 1M)
[ -n "$node" ] && [ -b "$blk" ] && [ -c "$mm" ]
tap_result "node $node, block region ld-blk ($blk), mmap region ld-mm ($mm, 64K chunks, 1M cache)" $? ||
	{ tap_fail_rest "no regions"; tap_done; }

# Block: 20 MiB + 123 bytes at 0, over a page of 0xab at 20 MiB.
head -c $((20 * M + 123)) /dev/urandom >"$tmp/a"
head -c 4096 /dev/zero | tr '\0' '\253' >"$tmp/ab"
dd if="$tmp/ab" of="$blk" bs=4K seek=$((20 * M / 4096)) oflag=direct status=none
out=$(rmemctl region load ld-blk "$tmp/a" 2>&1)
rc=$?
dd if="$blk" of="$tmp/page" bs=4K count=1 skip=$((20 * M / 4096)) iflag=direct status=none
[ "$rc" = 0 ] && same_bytes "$blk" 0 $((20 * M + 123)) "$tmp/a" &&
	[ "$(tail -c +124 "$tmp/page" | tr -d '\253' | wc -c)" = 0 ]
tap_result "block: 20 MiB + 123 bytes loaded; they read back, and the rest of the last page is untouched" $?
echo "$out" | tap_diag

# On a terminal (script(1)'s pty), progress goes to stderr, ending at
# 100 %; to a pipe (the load above), none.
head -c $((M + 4096)) /dev/urandom >"$tmp/b"
script -qec "rmemctl region load ld-blk $(printf %q "$tmp/b") offset 40M" /dev/null >"$tmp/pty" 2>&1 &&
	same_bytes "$blk" $((40 * M)) $((M + 4096)) "$tmp/b" && same_bytes "$blk" 0 $((20 * M)) "$tmp/a" &&
	grep -q "rmemctl: loading $tmp/b: .* (100 %)" "$tmp/pty" && [[ $out != *"rmemctl: loading"* ]]
tap_result "block: a file at offset 40M reads back there; the first one is intact; progress on a terminal, none to a pipe" $?
tr '\r' '\n' <"$tmp/pty" | tap_diag

# mmap: 5 MiB + 7 bytes through a 1 MiB cache, at offset 4K.
head -c $((5 * M + 7)) /dev/urandom >"$tmp/c"
out=$(rmemctl -j region load ld-mm "$tmp/c" offset 4K 2>&1)
rc=$?
wb=$(region_field ld-mm writebacks 2>/dev/null)
[ "$rc" = 0 ] && same_bytes "$mm" 4096 $((5 * M + 7)) "$tmp/c"
tap_result "mmap: 5 MiB + 7 bytes loaded at 4K through a 1 MiB cache; they read back" $?
echo "$out" | tap_diag
bytes=$(echo "$out" | jget bytes 2>/dev/null)
json_valid <<<"$out" && [ "$bytes" = $((5 * M + 7)) ] && [ "$(echo "$out" | jget name)" = ld-mm ]
tap_result "-j prints the result as JSON (bytes $bytes)" $?

mm "$mm" $((32 * M)) drop >/dev/null 2>&1
f0=$(region_field ld-mm fetches)
same_bytes "$mm" 4096 $((5 * M + 7)) "$tmp/c" && f1=$(region_field ld-mm fetches) &&
	[ $((f1 - f0)) -ge 64 ] && [ "${wb:-0}" -ge 64 ]
tap_last=$?; tap_result "mmap: with the cache dropped the data comes back from the memory node ($((${f1:-0} - ${f0:-0})) fetches; $wb chunks written back by the load)" "$tap_last"

# Refusals: nothing written.
w0=$(region_field ld-blk writes)
head -c $((64 * M + 1)) /dev/zero >"$tmp/big"
out=$(rmemctl region load ld-blk "$tmp/big" 2>&1)
rc=$?
[ "$rc" = 1 ] && [[ $out == *"does not fit in region ld-blk"* ]] && [ "$(region_field ld-blk writes)" = "$w0" ]
tap_result "a file bigger than the region: exit 1, 'does not fit', nothing written" $?
echo "$out" | tap_diag
out=$(rmemctl region load ld-blk "$tmp/b" offset 63M 2>&1)
rc2=$?
out3=$(rmemctl region load ld-blk "$tmp/b" offset 1000 2>&1)
rc3=$?
[ "$rc2" = 1 ] && [ "$rc3" = 2 ] && [[ $out3 == *"not a multiple of 4K"* ]] &&
	[ "$(region_field ld-blk writes)" = "$w0" ]
tap_result "past the end at an offset: exit 1; an offset not a multiple of 4K: exit 2; nothing written" $?
out=$(rmemctl region load nosuch "$tmp/b" 2>&1)
rc=$?
[ "$rc" = 1 ] && [[ $out == *nosuch* ]]
tap_result "an unknown region: exit 1, naming it" $?
echo "$out" | tap_diag

tap_done
