#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mmap_test: mmap regions (/dev/rmemN) over each transport (RMEM_TRANSPORT).
# Integrity under eviction for 4K, 64K and 2M chunks (several processes,
# address-derived patterns, random order, a region 4x its cache); fsync, drop,
# read back from the memory node; sharing between processes; MAP_PRIVATE;
# fetch and fault counts of a sequential touch (one PMD per 2M chunk); hot
# chunks surviving a cold scan; bad input; region del and rmmod refused while
# mapped; and last, rmemd killed: faults on written-back chunks get SIGBUS,
# nothing hangs. The checks themselves are in rmem_mmap.c.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

TIMEOUT_S=4
M=1048576

tap_plan 28
hold=/sys/module/rmem/parameters/fault_hold_us
hold0=$(cat $hold 2>/dev/null)
trap 'kill $holder 2>/dev/null; [ -n "$hold0" ] && echo "$hold0" >$hold 2>/dev/null; blk_cleanup' EXIT
holder=

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
node=$(blk_setup_node "${TIMEOUT_S}s")
[ -n "$node" ] || { tap_fail_rest "node add failed"; tap_done; }
mark=$(dmesg_mark)

# 1. the device
dev=$(mmap_add m1 8M 64K 2M)
[ -n "$dev" ] && [ -c "$dev" ] && [ "$(region_field m1 type)" = mmap ] &&
	[ "$(region_field m1 chunk_size)" = 65536 ] && [ "$(region_field m1 cache_size)" = 2097152 ]
tap_result "region add type mmap makes character device $dev; region show has chunk 64K, cache 2M" $?
rmemctl region show m1 | tap_diag

# 2. netlink rejects bad chunk/cache values with a message, and creates nothing
n0=$(rmemctl -j region show | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d) if isinstance(d, list) else len(next(iter(d.values()))))')
ok=0
for args in "size 100K type mmap chunk 64K" "size 8M type mmap chunk 64K cache 32K" \
	    "size 8M type mmap chunk 64K cache 96K"; do
	out=$(rmemctl region add bad $args 2>&1) && ok=1
	echo "$args: $out" | tap_diag
done
n1=$(rmemctl -j region show | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d) if isinstance(d, list) else len(next(iter(d.values()))))')
[ $ok = 0 ] && [ "$n0" = "$n1" ]
tap_result "chunk not dividing the size, cache below one chunk or not a multiple: refused, nothing created" $?

# 3-5. integrity under eviction: region 4x its cache, 4 writers (sizes in
# MiB / DATA_DIV, at most / 4: the 2M-chunk cache keeps two chunks)
div=$((DATA_DIV > 4 ? 4 : DATA_DIV))
for spec in "i4k $((16 / div))M 4K $((4096 / div))K" "i64k $((32 / div))M 64K $((8192 / div))K" \
	    "i2m $((64 / div))M 2M $((16 / div))M"; do
	set -- $spec
	d=$(mmap_add "$1" "$2" "$3" "$4") || { tap_not_ok "region $1"; continue; }
	t0=$SECONDS
	out=$(mm "$d" $(($(echo "$2" | tr -d M) * M)) integrity 4 $RANDOM 2>&1)
	rc=$?
	tap_result "integrity, chunk $3: 4 processes write a $2 region (cache $4) at random, all read back (${rc}, $((SECONDS - t0))s)" $rc
	echo "$out" | tap_diag
	rmemctl region del "$1" || echo "region del $1 failed" | tap_diag
done

# 6. fsync, drop, read back from the memory node
out=$(mm "$dev" $((8 * M)) fsync-drop 7 2>&1)
tap_result "fsync writes every dirty chunk back; drop frees them all; reads fetch the data again" $?
echo "$out" | tap_diag

# 7. sharing
out=$(mm "$dev" $((8 * M)) share 2>&1)
tap_result "two processes (separate opens) and a parent and forked child see each other's writes" $?
echo "$out" | tap_diag

# 8. MAP_PRIVATE
out=$(mm "$dev" $((8 * M)) private 2>&1)
tap_result "MAP_PRIVATE: a read-only view of the region (sees shared writes, also after a drop); PROT_WRITE: EINVAL, mprotect: EACCES" $?
echo "$out" | tap_diag

# 9. 2M chunks: 256 MiB touched in order = 128 fetches, one PMD each.
d=$(mmap_add s2m 256M 2M 32M)
mm "$d" $((256 * M)) fill 3 0 $((32 * M)) && mm "$d" $((256 * M)) drop >/dev/null
t0=$SECONDS
out=$(mm "$d" $((256 * M)) seq 2>&1)
echo "$out" | tap_diag
eval "$(echo "$out" | grep '^FETCHES=')"
# PMD-mapped: the mapping is 2 MiB aligned, the region counted a PMD map per
# chunk, and the process needed no page tables (VmPTE in /proc/PID/status:
# PTE-mapped, 256 MiB needs 512 kB of them, as the 4K case below shows).
# /proc/PID/smaps is printed, but it leaves PFN maps out (Rss 0,
# FilePmdMapped 0 on 6.1 and 6.12), so it cannot tell.
[ "${FETCHES:-0}" -ge 128 ] && [ "$FETCHES" -le 132 ] && [ "${FAULTS:-0}" -le 160 ] &&
	[ "${PMD:-0}" -ge 128 ] && [ "${ALIGNED:-0}" = 1 ] && [ "${PTE_KB:-999}" -le 16 ]
tap_last=$?; tap_result "2M chunks: touching 256 MiB costs $FETCHES fetches, $FAULTS faults of the process, $PMD PMD maps, VmPTE +${PTE_KB} kB ($((SECONDS - t0))s)" "$tap_last"
out=$(mm "$d" $((256 * M)) verify 3 0 $((32 * M)) 2>&1)
tap_result "the 32 MiB written before read back after the scan" $?
rmemctl region del s2m

# 10. 4K chunks: 65536 fetches (256 MiB / DATA_DIV: a page table per 2 MiB)
mb=$((256 / DATA_DIV))
n=$((mb * 256))
d=$(mmap_add s4k ${mb}M 4K $((mb / 16))M)
t0=$SECONDS
out=$(mm "$d" $((mb * M)) seq 2>&1)
echo "$out" | tap_diag
eval "$(echo "$out" | grep '^FETCHES=')"
[ "${FETCHES:-0}" -ge $n ] && [ "$FETCHES" -le $((n + 4)) ] && [ "${FAULTS:-0}" -ge $n ] &&
	[ "${PMD:-1}" = 0 ] && [ "${PTE_KB:-0}" -ge $((mb * 2)) ]
tap_last=$?; tap_result "4K chunks: touching $mb MiB costs $FETCHES fetches, $FAULTS faults, VmPTE +${PTE_KB} kB ($((SECONDS - t0))s)" "$tap_last"
rmemctl region del s4k

# 10b. 64K chunks: a fault maps the whole chunk, so one fault per chunk
d=$(mmap_add s64k 32M 64K 8M)
out=$(mm "$d" $((32 * M)) seq 2>&1)
echo "$out" | tap_diag
eval "$(echo "$out" | grep '^FETCHES=')"
[ "${FETCHES:-0}" = 512 ] && [ "${FAULTS:-0}" -ge 512 ] && [ "$FAULTS" -le 540 ]
tap_result "64K chunks: touching 32 MiB costs $FETCHES fetches and $FAULTS faults (one per chunk, not per page)" $?
rmemctl region del s64k

# 10c. readahead (issue 16): faults in order fetch ahead, with the right
# data; MADV_RANDOM turns it off; MADV_WILLNEED fetches a range untouched.
d=$(mmap_add ra 32M 64K 8M)
mm "$d" $((32 * M)) fill 7 0 $((8 * M)) && mm "$d" $((32 * M)) drop >/dev/null
out=$(mm "$d" $((32 * M)) seq random 2>&1)
eval "$(echo "$out" | grep '^FETCHES=')"
rand_pf=${PREFETCHES:-x} rand_f=${FETCHES:-0}
mm "$d" $((32 * M)) drop >/dev/null
out=$(mm "$d" $((32 * M)) seq 2>&1)
eval "$(echo "$out" | grep '^FETCHES=')"
[ "$rand_pf" = 0 ] && [ "$rand_f" = 512 ] && [ "${PREFETCHES:-0}" -ge 256 ] &&
	[ "${FETCHES:-0}" -ge 512 ] && [ "$FETCHES" -le 520 ]
tap_result "64K chunks, 32 MiB in order: $PREFETCHES of $FETCHES fetches ahead of the fault (MADV_RANDOM: $rand_pf of $rand_f)" $?
mm "$d" $((32 * M)) drop >/dev/null
out=$(mm "$d" $((32 * M)) verify 7 0 $((8 * M)) 2>&1)
tap_result "the 8 MiB written read back right through readahead" $?
echo "$out" | tap_diag
mm "$d" $((32 * M)) drop >/dev/null
out=$(mm "$d" $((32 * M)) willneed $((4 * M)) $M 2>&1)
eval "$(echo "$out" | grep '^WN_')"
[ "${WN_PREFETCHES:-0}" = 16 ] && [ "${WN_TOUCH_FETCHES:-1}" = 0 ]
tap_result "MADV_WILLNEED on 1 MiB: $WN_PREFETCHES chunks fetched ahead, $WN_TOUCH_FETCHES fetched by the touch" $?
rmemctl region del ra

# 10d. a cold fault is one fault (issue 16): it waits for its fetch with the
# mmap lock held, up to fault_hold_us, instead of letting go of the lock and
# being retried (a second fault per chunk). With fault_hold_us=0 it lets go
# at once, as before: the region then counts about two faults per fetch.
d=$(mmap_add cold 8M 64K 8M)
mm "$d" $((8 * M)) fill 5 0 $((8 * M)) && mm "$d" $((8 * M)) drop >/dev/null
echo 1000000 >$hold
out=$(mm "$d" $((8 * M)) seq random 2>&1)
eval "$(echo "$out" | grep '^FETCHES=')"
held_f=${FETCHES:-0} held_rf=${RFAULTS:-0} held_pf=${FAULTS:-0} held_maj=${MAJFAULTS:-0}
mm "$d" $((8 * M)) drop >/dev/null
echo 0 >$hold
out=$(mm "$d" $((8 * M)) seq random 2>&1)
eval "$(echo "$out" | grep '^FETCHES=')"
echo "$hold0" >$hold
# A fault that waited for the network is a major fault of the process.
[ "$held_f" = 128 ] && [ "$held_rf" -ge 128 ] && [ "$held_rf" -le $((held_pf + 2)) ] &&
	[ "$held_maj" -ge 128 ] && [ "$held_maj" -le 130 ] &&
	[ "${FETCHES:-0}" = 128 ] && [ "${RFAULTS:-0}" -ge 230 ]
tap_result "64K chunks, 8 MiB cold: $held_rf faults in the region for $held_f fetches and $held_pf faults of the process, $held_maj major (fault_hold_us=0: $RFAULTS for $FETCHES)" $?
mm "$d" $((8 * M)) drop >/dev/null
out=$(mm "$d" $((8 * M)) verify 5 0 $((8 * M)) 2>&1)
tap_result "the 8 MiB read back right through held faults" $?
echo "$out" | tap_diag
rmemctl region del cold

# 11. hot chunks survive a cold scan
d=$(mmap_add hot 16M 64K 1M)
out=$(mm "$d" $((16 * M)) hot 2 2>&1)
tap_result "2 hot chunks touched between slices of a 16 MiB scan stay in a 1 MiB cache" $?
echo "$out" | tap_diag
rmemctl region del hot

# 12. bad ioctl and mmap arguments
out=$(mm "$dev" $((8 * M)) badinput 2>&1)
tap_result "unaligned offsets, lengths past the end, bad ioctls: EINVAL/EFAULT/ENOTTY, nothing changed" $?
echo "$out" | tap_diag

# 13-14. region del and rmmod while mapped
python3 -c '
import mmap, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 4096)
os.close(fd)
m[0:4] = b"held"
time.sleep(120)' "$dev" &
holder=$!
sleep 2
out=$(rmemctl region del m1 2>&1)
rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -qi "in use" && [ "$(region_field m1 type)" = mmap ]
tap_result "region del while mapped: refused (EBUSY, with a message), region unchanged" $?
echo "$out" | tap_diag
out=$(rmmod rmem 2>&1)
rc=$?
[ $rc -ne 0 ] && [ -d /sys/module/rmem ]
tap_result "rmmod refused while a region is mapped" $?
kill "$holder"
wait "$holder" 2>/dev/null
holder=
out=$(mm "$dev" $((8 * M)) stats)
echo "$out" | tap_diag
rmemctl region del m1
tap_result "region del after unmapping works (dirty chunk written back on last close)" $?

# 15-18. the memory node dies: written-back chunks fault with SIGBUS
d=$(mmap_add k 8M 64K 2M)
mm "$d" $((8 * M)) fill 9 && mm "$d" $((8 * M)) drop >/dev/null
tap_result "8 MiB written, synced and dropped from the cache" $?
cmd=$(rmemd_cmdline)
rmem_on 1 'pkill -KILL -x rmemd'
t0=$SECONDS
out=$(MM_TIMEOUT=90 mm "$d" $((8 * M)) verify 9 2>&1)
rc=$?
echo "$out" | tap_diag
[ $rc -eq 3 ]
tap_last=$?; tap_result "a fault on a written-back chunk with its node dead: SIGBUS, caught (exit $rc after $((SECONDS - t0))s)" "$tap_last"
out=$(MM_TIMEOUT=60 mm "$d" $((8 * M)) verify 9 $((4 * M)) $((64 * 1024)) 2>&1)
[ $? -eq 3 ]
tap_result "a second fault there: SIGBUS again, no hang" $?
fe=$(region_field k fetch_errors)
[ "${fe:-0}" -ge 1 ]
tap_result "fetch_errors counts the failures ($fe)" $?
rmemctl region del k

dmesg_since "$mark" | grep -E "$KERNEL_BAD_RE" | head -n 5 >/tmp/mmap_bad
[ ! -s /tmp/mmap_bad ]
tap_result "no oops, warning or hung task in the kernel log" $?
tap_diag </tmp/mmap_bad

# Put rmemd back for the tests that follow.
rmemd_restart rmemd-after-mmap "$cmd"
node_wait_state "$node" live 60
ok_rc=$?
tap_result "node reconnects to a restarted rmemd (state $(node_field "$node" state))" "$ok_rc"

tap_done
