#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mmap_prefetch_test: a fetch ahead (RMEM_IOC_PREFETCH, MADV_WILLNEED,
# POSIX_FADV_WILLNEED) stays within the region's cache budget when replies
# are slow (review of rmem-mmap.c, defect 3).
#
# A 32 MiB mmap region with 256 KiB chunks and a 2 MiB cache is written
# whole and dropped. rmemd is then frozen (SIGSTOP), so that no fetch
# completes, and RMEM_IOC_PREFETCH asks for the whole region. Eviction can
# only take chunks that are resident, so it used to allocate a chunk for
# every chunk of the range (32 MiB here; more than RAM for a larger
# range): the cache must now stay within its budget. After rmemd thaws,
# every byte reads back as written. TCP only: over RDMA, reads are
# one-sided and complete with rmemd frozen.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

SIZE=$((32 << 20))
CHUNK=256K
CACHE=$((2 << 20))

tap_plan 4
tmp=$(mktemp -d)
cleanup() {
	rmem_on 1 'pkill -CONT -x rmemd' 2>/dev/null
	exec 9<&-
	blk_cleanup
	rm -rf "$tmp"
}
trap cleanup EXIT

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
if [ "${RMEM_TRANSPORT:-tcp}" != tcp ]; then
	for _ in 1 2 3 4; do tap_skip "prefetch" "reads are one-sided over $RMEM_TRANSPORT: a frozen rmemd does not slow them"; done
	tap_done
fi
mark=$(dmesg_mark)
node=$(blk_setup_node 60s)
dev=$(mmap_add mp "$SIZE" "$CHUNK" "$CACHE") &&
	mm "$dev" "$SIZE" fill 21 >"$tmp/fill" 2>&1 &&
	mm "$dev" "$SIZE" drop >>"$tmp/fill" 2>&1
tap_last=$?; tap_result "node $node, mmap region mp ($dev): 32 MiB written through a 2 MiB cache and dropped" "$tap_last"
[ "$tap_last" = 0 ] || { tap_diag <"$tmp/fill"; tap_fail_rest "no setup"; tap_done; }

# field NAME TEXT: NAME=N of rmem_mmap's counters line.
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<" $2"; }

# Held open here, so that the prefetch's close is not the last one (a last
# close waits for the fetches in flight).
exec 9<"$dev"
before=$(mm "$dev" "$SIZE" stats 2>&1)
rmem_on 1 'pkill -STOP -x rmemd'
stat=$(rmem_on 1 'ps -o stat= -C rmemd' 2>/dev/null)
out=$(mm "$dev" "$SIZE" prefetch 0 "$SIZE" 2>&1)
prc=$?
cached=$(field cached "$out")
pf=$(($(field prefetches "$out") - $(field prefetches "$before")))
# The budget holds CACHE / chunk size chunks: exactly those are fetched
# ahead (the cache was empty after the drop), and nothing more.
[ "$prc" = 0 ] && [[ $stat == T* ]] && [ "$(field cached "$before")" = 0 ] &&
	[ "$cached" = "$CACHE" ] && [ "$pf" = $((CACHE / (256 << 10))) ]
tap_last=$?; tap_result "rmemd frozen ($stat): a prefetch of 32 MiB fills the cache to its budget and stops (cached $cached of $CACHE bytes, $pf chunks fetched ahead)" "$tap_last"
{ echo "before: $before"; echo "after:  $out"; } | tap_diag
rmem_on 1 'pkill -CONT -x rmemd'

mm "$dev" "$SIZE" verify 21 >"$tmp/v" 2>&1
vrc=$?
exec 9<&-
[ "$vrc" = 0 ]
tap_last=$?; tap_result "rmemd thawed: every byte reads back as written (rc $vrc)" "$tap_last"
[ "$tap_last" = 0 ] || tap_diag <"$tmp/v"

rmemctl region del mp >"$tmp/del" 2>&1
rc=$?
bad=$(dmesg_since "$mark" | grep -E "$KERNEL_BAD_RE")
[ "$rc" = 0 ] && [ -z "$bad" ]
tap_last=$?; tap_result "region del works; no WARNING, BUG or oops in the kernel log" "$tap_last"
{ cat "$tmp/del"; echo "$bad"; } | tap_diag
tap_done
