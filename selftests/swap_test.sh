#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# swap_test: a compute guest short of RAM swaps onto a block region. A
# process writes an address-derived pattern to twice the guest's RAM and
# reads it all back with zero mismatches, while swap in use is seen to pass
# the guest's RAM; then stress-ng --vm with --verify passes on the same swap.
# Run it in a small guest: scripts/rmem-vm --compute-mem 256 ...
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

tap_plan 6
trap 'kill $sampler 2>/dev/null; blk_cleanup' EXIT
tmp=$(mktemp -d)
ram_kb=$(awk '/MemTotal/ { print $2 }' /proc/meminfo)
work_mb=$((ram_kb * 2 / 1024))

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
node=$(blk_setup_node 60s)
dev=$(blk_add_region swap 1G) || { tap_not_ok "setup"; tap_fail_rest "no region"; tap_done; }
mkswap "$dev" >/dev/null && swapon "$dev" && grep -q "^$dev " /proc/swaps
tap_result "swapon $dev (guest RAM $((ram_kb / 1024)) MiB)" $?

# Peak swap use, sampled in the background.
(peak=0
 while :; do
	used=$(awk '/SwapTotal/ { t = $2 } /SwapFree/ { f = $2 } END { print t - f }' /proc/meminfo)
	[ "$used" -gt "$peak" ] && peak=$used && echo "$peak" >"$tmp/peak"
	sleep 0.5
 done) &
sampler=$!

rmem_kmsg "swap_test: pattern writer ${work_mb} MiB"
t0=$SECONDS
rmem_pattern "${work_mb}M" 1 >"$tmp/pattern.out" 2>&1
rc=$?
tap_result "pattern over ${work_mb} MiB (2x RAM) reads back with zero mismatches in $((SECONDS - t0)) s" $rc
tap_diag <"$tmp/pattern.out"
peak=$(cat "$tmp/peak" 2>/dev/null || echo 0)
[ "$peak" -gt "$ram_kb" ]
tap_result "peak swap use $((peak / 1024)) MiB is above the guest's RAM ($((ram_kb / 1024)) MiB)" $?

w=$(region_field swap write_bytes)
r=$(region_field swap read_bytes)
[ "${w:-0}" -gt $((ram_kb * 1024)) ] && [ "${r:-0}" -gt 0 ]
tap_result "the region carried the swap traffic (written $((${w:-0} >> 20)) MiB, read $((${r:-0} >> 20)) MiB)" $?

rmem_kmsg "swap_test: stress-ng"
if command -v stress-ng >/dev/null; then
	each=$((ram_kb * 5 / 8 / 1024))
	stress-ng --vm 2 --vm-bytes "${each}M" --vm-method incdec --verify \
		--timeout 90s --metrics-brief >"$tmp/stress.out" 2>&1
	rc=$?
	# It must have done work, not just survived: bogo ops > 0.
	ops=$(awk '$4 == "vm" { print $5 }' "$tmp/stress.out" | head -n1)
	[ $rc -eq 0 ] && [ "${ops:-0}" -gt 0 ]
	tap_result "stress-ng --vm 2 x $each MiB (1.25x RAM) --verify passes ($ops bogo ops)" $?
	tail -n 6 "$tmp/stress.out" | tap_diag
else
	tap_not_ok "stress-ng is installed"
fi

swapoff "$dev"
tap_result "swapoff brings every page back" $?
tap_done
