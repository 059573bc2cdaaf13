#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# crypt_test: page encryption (issue 14). A region made with encryption on
# (the default) sends only ciphertext: a marker written through the block
# device (dd, and fio with 512-byte aligned buffers so that pages come in
# pieces) and through an mmap region must not be anywhere in rmemd's memory
# on the memory node (selftests/rmem_scan.py reads /proc/PID/mem), while
# the same writes to regions with encryption off are found there. Every
# write reads back intact, and the kernel log stays clean. The region uses
# the kernel's fastest xts(aes) (the highest priority in /proc/crypto, not
# the xts template over the one-block cipher a synchronous transform gets),
# and what it encrypts the synchronous fallback decrypts, and back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

M=1048576
tap_plan 13
tmp=$(mktemp -d)
trap 'blk_cleanup; rm -rf "$tmp"' EXIT

# dd_check FILE DEV: FILE written to DEV (O_DIRECT) and read back equal.
dd_check() {
	local n=$(($(stat -c %s "$1") / 4096))
	dd if="$1" of="$2" bs=64K oflag=direct status=none &&
		dd if="$2" of="$tmp/back" bs=4096 count="$n" iflag=direct status=none &&
		cmp -s "$1" "$tmp/back"
}
# mmap_rw DEV MARKER: fill the 4 MiB mmap region with MARKER pages, drop its
# cache (written back: the data is on the node only), read it back.
mmap_rw() {
	python3 - "$1" "$2" <<'EOF' &&
import mmap, os, sys
m = sys.argv[2].encode()
pg = (m * (4096 // len(m) + 1))[:4096]
fd = os.open(sys.argv[1], os.O_RDWR)
mm = mmap.mmap(fd, 4 << 20)
mm[:] = pg * 1024
mm.flush()
EOF
	mm "$1" $((4 * M)) drop >/dev/null &&
		python3 - "$1" "$2" <<'EOF'
import mmap, os, sys
m = sys.argv[2].encode()
pg = (m * (4096 // len(m) + 1))[:4096]
fd = os.open(sys.argv[1], os.O_RDWR)
mm = mmap.mmap(fd, 4 << 20)
sys.exit(0 if mm[:] == pg * 1024 else 1)
EOF
}

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
blk_cleanup
mark=$(dmesg_mark)
node=$(blk_setup_node 20s)
enc='' plain=''
if [ -n "$node" ] && rmemctl region add enc size 16M encrypt on >/dev/null &&
	rmemctl region add plain size 16M encrypt off >/dev/null &&
	rmemctl region add dflt size 4M >/dev/null; then
	enc=/dev/$(region_field enc device) plain=/dev/$(region_field plain device)
	dev_wait "${enc#/dev/}" b && dev_wait "${plain#/dev/}" b
fi
ok_rc=$?
e=$(region_field enc encrypt) p=$(region_field plain encrypt) d=$(region_field dflt encrypt)
[ "$ok_rc" = 0 ] && [ "$e" = on ] && [ "$p" = off ] && [ "$d" = on ]
tap_result "regions enc (encrypt on: $e), plain (off: $p), dflt (not said: $d, the default)" $? ||
	{ tap_fail_rest "no regions"; tap_done; }

# The best xts(aes) the kernel has: what dm-crypt would use too.
best=$(awk -F': ' '/^name/ { n = $2 } /^driver/ { d = $2 } /^priority/ { p = $2 }
	/^internal/ && n == "xts(aes)" && $2 == "no" && p + 0 > bp { bp = p + 0; b = d }
	END { print b }' /proc/crypto)
c=$(region_field enc cipher) pc=$(region_field plain cipher)
tap_diag <<<"$(grep -A3 '^name *: xts(aes)' /proc/crypto | grep -E '^(driver|priority)' | paste - - | sed 's/  */ /g')"
[ -n "$best" ] && [ "$c" = "$best" ] && [ "${pc:-None}" = None ]
tap_result "enc's cipher is $c, the kernel's best xts(aes) ($best); plain has none ($pc)" $?

mA=$(marker dd-enc) mB=$(marker dd-plain) mC=$(marker fio-enc) mD=$(marker mmap-enc)
mE=$(marker mmap-plain)
marker_pages "$mA" 256 "$tmp/a" && marker_pages "$mB" 256 "$tmp/b"
dd_check "$tmp/a" "$enc"
tap_result "1 MiB of marker pages written to $enc (encrypted) and read back intact" $?
dd_check "$tmp/b" "$plain"
tap_result "1 MiB of marker pages written to $plain (not encrypted) and read back intact" $?

# What the synchronous fallback encrypts the fast cipher decrypts, and back
# (debugfs crypt_sync): 1 MiB at 12 MiB, away from the other writes.
xcheck() {
	echo "$3" >/sys/kernel/debug/rmem/crypt_sync &&
		dd if="$1" of="$2" bs=64K seek=192 oflag=direct status=none &&
		echo "$4" >/sys/kernel/debug/rmem/crypt_sync &&
		dd if="$2" of="$tmp/back" bs=64K skip=192 count=16 iflag=direct status=none &&
		cmp -s "$1" "$tmp/back"
}
marker_pages "$(marker sync-fast)" 256 "$tmp/x1" && xcheck "$tmp/x1" "$enc" 1 0
tap_result "written with the synchronous cipher, read back intact with $c" $?
marker_pages "$(marker fast-sync)" 256 "$tmp/x2" && xcheck "$tmp/x2" "$enc" 0 1
tap_result "written with $c, read back intact with the synchronous cipher" $?
echo 0 >/sys/kernel/debug/rmem/crypt_sync

# fio: random sizes from 4K to 128K, buffers 512 bytes past a page (pages
# in two pieces), the marker as the data, checked as it is read back.
out=$(fio --name=crypt --filename="$enc" --direct=1 --ioengine=libaio --iodepth=8 \
	--rw=randwrite --bsrange=4k-128k --bs_unaligned=0 --mem_align=512 --offset=4M --size=8M \
	--verify=pattern --verify_pattern="\"$mC\"" --do_verify=1 --verify_fatal=1 2>&1)
ok_rc=$?
tap_diag <<<"$(grep -iE 'err|verify' <<<"$out" | head -n 5)"
[ "$ok_rc" = 0 ]
tap_result "fio: 8 MiB of random writes (4K-128K, buffers 512 bytes off a page) verified on $enc" $?

menc=$(mmap_add menc 4M 64K 1M encrypt on) && mmap_rw "$menc" "$mD"
tap_result "mmap region menc (encrypted): 4 MiB of marker pages written back and read from the node" $?
mplain=$(mmap_add mplain 4M 64K 1M encrypt off) && mmap_rw "$mplain" "$mE"
tap_result "mmap region mplain (not encrypted): 4 MiB of marker pages written back and read from the node" $?

# What the memory node holds: rmemd's whole address space.
t0=$SECONDS
scan=$(rmemd_scan "$mA" "$mB" "$mC" "$mD" "$mE" 2>&1)
tap_diag <<<"$scan (in $((SECONDS - t0)) s)"
count() { awk -v m="$1" '$1 == m { print $2 }' <<<"$scan"; }
cA=$(count "$mA") cB=$(count "$mB") cC=$(count "$mC") cD=$(count "$mD") cE=$(count "$mE")
[ "$cA" = 0 ] && [ "$cC" = 0 ] && [ "$cD" = 0 ]
tap_result "encrypted: no marker in rmemd's memory (dd $cA, fio $cC, mmap $cD times)" $?
[ "${cB:-0}" -ge 256 ] && [ "${cE:-0}" -ge 1024 ]
tap_result "not encrypted: the markers are there (dd $cB times, >= 256; mmap $cE, >= 1024)" $?

# The encrypted data, read again after the scan: still intact.
dd if="$enc" of="$tmp/back" bs=4096 count=256 iflag=direct status=none && cmp -s "$tmp/a" "$tmp/back" &&
	[ "$(region_field enc csum_errors)" = 0 ] && [ "$(region_field enc errors)" = 0 ]
tap_result "enc reads back intact again, no checksum or I/O error" $?

dmesg_since "$mark" | grep -E "$KERNEL_BAD_RE|cryption failed" | head -n 5 >"$tmp/bad"
[ ! -s "$tmp/bad" ]
tap_result "kernel log clean (no oops, warning or en/decryption failure)" $?
tap_diag <"$tmp/bad"
tap_done
