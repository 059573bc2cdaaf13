#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# blk_timeout_test: a reply lost on a live connection does not hang its
# request (issue 12, defect 3). rmemd on memory node 1 is restarted with the
# test-only --test-drop-reply TYPE:N, which handles one request normally and
# never sends its reply. The module is reloaded with io_timeout_s=5 (the
# block request timeout, and the wait of a control call) and heartbeat_ms=0,
# so that only the timeout can notice the loss: over TCP a heartbeat reply
# arriving behind the lost one would reset the connection by itself.
#
# Each case checks that the request completes after recovery (queue aborted,
# reconnect, request sent again on the resumed session) with the right data,
# that the node's reconnect counter rose, that `region del` finishes within
# a bounded time, and that the kernel log has no WARNING, BUG or oops.
#
# Cases, and what is dropped per transport:
#   read        TCP only: the reply to the first READ. blk-mq's timeout
#               handler aborts the queue. Over RDMA, READ and WRITE are
#               one-sided: rmemd sends no reply for them, nothing to drop.
#   slab-alloc  both: the reply to the first SLAB_ALLOC. The first write to
#               the region waits in queue_rq for its slab; the control
#               call's timeout resets the connection and the allocation is
#               retried. The first slab, claimed on rmemd by the request
#               whose reply was lost, is given back by reconciliation
#               (RMEM_MSG_SLAB_LIST): after region del rmemd holds no slab
#               (issue 12, defect 10; before, it stayed claimed until the
#               session ended).
#   slab-free   both: the reply to the first SLAB_FREE. The discard that
#               empties the slab completes at once, and the region's reap
#               work sends the FREE, whose lost reply the queue's timeout
#               recovers; discarded blocks then read as zeros. (At first a
#               DISCARD that freed a slab waited in queue_rq past the block
#               timeout, and the timeout handler read cmd->rio, which
#               queue_rq never set for a DISCARD; no DISCARD waits there
#               now, so this case no longer reaches that handler.)
#   slab-reuse  both: the reply to the first SLAB_FREE again, but rmemd has
#               freed the slab, and a second region's first write gets it
#               before the connection is reset. The FREE used to be sent
#               again on the resumed session and free that region's slab
#               under it (its data then unreadable); a SLAB_FREE whose
#               connection drops now fails instead, and reconciliation
#               gives back what no region holds (rmem-rdma.c review).
#   mmap-read   TCP only: the reply to the first READ, a fault's fetch on an
#               mmap region (/dev/rmemN). Its wait hands the chunk's
#               requests to the store's timeout each io_timeout_s; it used
#               to wait for ever (review of rmem-mmap.c, defect 2).
#   mmap-write  TCP only: the reply to the first WRITE, an msync's
#               write-back of a chunk; it used to wait for ever in D state,
#               and region del behind it.
# The disk's io_timeout is set to 2 s, below io_timeout_s: blk-mq's timeout
# work then waits behind the WRITE and the DISCARD stuck in queue_rq (it
# waits for running queue_rq calls before it handles anything) until the
# control call's own timeout recovers them, and must not reset the write
# again once it is finally sent.
# With CASE arguments, only those cases run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

TIMEOUT_S=5		# io_timeout_s
WAIT_S=60		# what "completes after recovery" may take under TCG
CASES=(read slab-alloc slab-free slab-reuse mmap-read mmap-write)
BLK_TIMEOUT_MS=2000	# the disk's own timeout: shorter, so blk-mq's handler
			# also runs on requests waiting in queue_rq
CHECKS=7		# results per case
transport=${RMEM_TRANSPORT:-tcp}
want=" $* "

tap_plan $((2 + ${#CASES[@]} * CHECKS))
tmp=$(mktemp -d)
orig_cmd=''

# rmemd_drop [TYPE:N [ARGS...]]: restart rmemd on memory node 1, dropping
# that reply, with ARGS.
rmemd_drop() {
	rmemd_relaunch "timeout-${1:-none}" "$orig_cmd" ${1:+--test-drop-reply "$@"}
}

# freed_zeroed N: wait up to 4 s for rmemd to hold N slabs and zero none.
freed_zeroed() {
	local st end=$((SECONDS + 4))
	while [ "$SECONDS" -lt "$end" ]; do
		st=$(rmem_on 1 'rmemd --status --json')
		# (a regex, not jget: a python per look is slow in a guest)
		[[ $st =~ \"slabs_used\":\ *$1([^0-9]|$) ]] &&
			[[ $st =~ \"slabs_zeroing\":\ *0([^0-9]|$) ]] && return 0
		sleep 0.1
	done
	return 1
}

finish() {
	blk_cleanup
	if [ -n "$orig_cmd" ]; then
		rmemd_drop
		rmem_reload
	fi
}
trap finish EXIT

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
orig_cmd=$(rmemd_cmdline)
orig_cmd=${orig_cmd% }
rmem_reload io_timeout_s=$TIMEOUT_S heartbeat_ms=0
tap_result "rmem reloaded with io_timeout_s=$TIMEOUT_S heartbeat_ms=0 ($transport)" $?

for c in "${CASES[@]}"; do
	if [ "$want" != "  " ] && [[ $want != *" $c "* ]]; then
		for ((i = 0; i < CHECKS; i++)); do tap_skip "$c" "not asked for"; done
		continue
	fi
	case $c in
	read | mmap-*)
		if [ "$transport" != tcp ]; then
			for ((i = 0; i < CHECKS; i++)); do
				tap_skip "$c" "READ and WRITE are one-sided over $transport: no reply to drop"
			done
			continue
		fi
		;;
	esac
	case $c in
	read | mmap-read) drop=read:1 ;;
	mmap-write) drop=write:1 ;;
	slab-alloc) drop=slab-alloc:1 ;;
	slab-free | slab-reuse) drop=slab-free:1 ;;
	esac
	# slab-reuse: two slabs, so that the one freed is the next one given.
	if [ "$c" = slab-reuse ]; then
		rmemd_drop "$drop" --donate 128M
	else
		rmemd_drop "$drop"
	fi
	node=$(blk_setup_node 60s)
	case $c in
	mmap-*) dev=$(mmap_add "to-$c" $((16 << 20)) 64K $((16 << 20))) ;;
	*) dev=$(blk_add_region "to-$c" 128M) ;;
	esac || {
		tap_not_ok "$c: setup (node '$node')"
		tap_fail_rest "no region"
		tap_done
	}
	if [ -b "$dev" ]; then
		echo $BLK_TIMEOUT_MS >"/sys/block/${dev#/dev/}/queue/io_timeout"
		echo "# $c: rmemd drops the reply to $drop; $dev io_timeout $(cat "/sys/block/${dev#/dev/}/queue/io_timeout") ms"
	else
		echo "# $c: rmemd drops the reply to $drop; $dev, io_timeout_s $TIMEOUT_S"
	fi
	mark=$(dmesg_mark)
	rand_file "$tmp/a" 16

	# The I/O whose reply is lost, in the background: it must end by itself.
	case $c in
	read)
		dd if="$tmp/a" of="$dev" bs=4096 seek=1000 oflag=direct status=none ||
			tap_diag <<<"write before the read failed"
		r0=$(node_field "$node" reconnects)
		dd if="$dev" of="$tmp/b" bs=4096 skip=1000 count=16 iflag=direct status=none \
			>"$tmp/bg" 2>&1 &
		;;
	slab-alloc)
		r0=$(node_field "$node" reconnects)
		dd if="$tmp/a" of="$dev" bs=4096 seek=1000 oflag=direct status=none >"$tmp/bg" 2>&1 &
		;;
	slab-free)
		dd if="$tmp/a" of="$dev" bs=4096 seek=1000 oflag=direct status=none ||
			tap_diag <<<"write before the discard failed"
		r0=$(node_field "$node" reconnects)
		blkdiscard -o $((1000 * 4096)) -l $((16 * 4096)) "$dev" >"$tmp/bg" 2>&1 &
		;;
	slab-reuse)
		# rmemd has two slabs: the region's two extents take them.
		devb=$(blk_add_region "to-$c-b" 128M) &&
			dd if="$tmp/a" of="$dev" bs=4096 seek=1000 oflag=direct status=none &&
			dd if="$tmp/a" of="$dev" bs=4096 seek=20000 oflag=direct status=none ||
			tap_diag <<<"second region, or the writes before the discard, failed"
		r0=$(node_field "$node" reconnects)
		# The discard frees slab S (the reap work's SLAB_FREE, whose
		# reply is lost): once rmemd has freed it, S is its only free
		# slab, and the second region's first write gets it, before
		# the FREE's timeout (io_timeout_s) resets the queue.
		rand_file "$tmp/c" 16
		{
			s0=$SECONDS
			blkdiscard -o $((1000 * 4096)) -l $((16 * 4096)) "$dev" &&
				freed_zeroed 1 &&
				dd if="$tmp/c" of="$devb" bs=4096 seek=1000 oflag=direct status=none &&
				echo "second region written $((SECONDS - s0)) s after the discard"
		} >"$tmp/bg" 2>&1 &
		;;
	mmap-read)
		# The fill's fetches read zeros without the network (no slab
		# yet): the first READ is the verify's, after the drop.
		mm "$dev" $((16 << 20)) fill 7 0 $((1 << 20)) >"$tmp/fill" 2>&1 &&
			mm "$dev" $((16 << 20)) drop >>"$tmp/fill" 2>&1 ||
			{ echo "fill or drop before the read failed"; cat "$tmp/fill"; } | tap_diag
		r0=$(node_field "$node" reconnects)
		mm "$dev" $((16 << 20)) verify 7 0 $((1 << 20)) >"$tmp/bg" 2>&1 &
		;;
	mmap-write)
		r0=$(node_field "$node" reconnects)
		mm "$dev" $((16 << 20)) fill 7 0 $((1 << 20)) >"$tmp/bg" 2>&1 &
		;;
	esac
	t0=$SECONDS
	# (Its output goes to a file: a job left hanging must not hold
	# run-guest's pipe.)
	rmem_wait_pid $! "$WAIT_S"
	rc=$?
	waited=$((SECONDS - t0))
	[ $rc -ne 124 ] || blk_hung "$c: the I/O whose reply was lost completes (still waiting after ${waited}s)"
	tap_result "$c: the I/O whose reply was lost completes after recovery (${waited}s, exit $rc)" $rc

	case $c in
	read)
		cmp -s "$tmp/a" "$tmp/b"
		tap_result "$c: the data read after recovery is correct" $?
		;;
	slab-alloc)
		dd if="$dev" of="$tmp/b" bs=4096 skip=1000 count=16 iflag=direct status=none &&
			cmp -s "$tmp/a" "$tmp/b"
		tap_result "$c: the data written after recovery reads back correct" $?
		;;
	slab-free)
		rand_file "$tmp/c" 16
		dd if="$dev" of="$tmp/z" bs=4096 skip=1000 count=16 iflag=direct status=none &&
			is_zero "$tmp/z" &&
			dd if="$tmp/c" of="$dev" bs=4096 seek=1000 oflag=direct status=none &&
			dd if="$dev" of="$tmp/b" bs=4096 skip=1000 count=16 iflag=direct status=none &&
			cmp -s "$tmp/c" "$tmp/b"
		tap_result "$c: discarded blocks read as zeros; new data reads back correct" $?
		;;
	slab-reuse)
		# After the recovery (the FREE's timeout, the reconnect).
		rmem_retry "$WAIT_S" eval '[ "$(node_field "$node" reconnects)" -gt "$r0" ]'
		sleep 1
		dd if="$devb" of="$tmp/b" bs=4096 skip=1000 count=16 iflag=direct status=none &&
			cmp -s "$tmp/c" "$tmp/b"
		tap_last=$?
		used=$(rmemd_status slabs_used)
		tap_result "$c: the second region's data, in the slab rmemd freed and gave it, reads back after the recovery (rmemd holds ${used:-?} slab)" "$tap_last"
		{ cat "$tmp/bg"; dmesg_since "$mark" | grep -E "rmem.*(freeing slab|gave back)"; } | tap_diag
		rmemctl region del "to-$c-b" >/dev/null 2>&1
		;;
	mmap-*)
		mm "$dev" $((16 << 20)) drop >/dev/null &&
			mm "$dev" $((16 << 20)) verify 7 0 $((1 << 20)) >"$tmp/v" 2>&1
		tap_last=$?
		tap_result "$c: the data reads back correct from the memory node" "$tap_last"
		[ "$tap_last" = 0 ] ||
			tap_diag <"$tmp/v"
		;;
	esac

	# Who noticed: blk-mq's handler for a READ on the wire; for the control
	# calls, rmem_node_call() (blk-mq's timeout work waits for a queue_rq
	# that is still running, so its handler cannot see those requests).
	# The SLAB_FREE is the region's reap work's, after the discard ended
	# (reap_test.sh): the next write, which maps a slab again, may wait
	# behind it and reset the connection first (its blk-mq timeout, 2 s,
	# is shorter than the call's, io_timeout_s): either ends the wait.
	reset_re="got no reply: resetting"
	case $c in
	read) who="blk-mq's timeout handler" re="rmem: ${dev#/dev/}: READ of .* timed out: waiting for recovery" ;;
	mmap-read) who="the fault's wait" re="rmem: ${dev#/dev/}: fetch of chunk .* timed out: waiting for recovery" ;;
	mmap-write) who="the write-back's wait" re="rmem: ${dev#/dev/}: write-back of chunk .* timed out: waiting for recovery" ;;
	slab-alloc) who="the SLAB_ALLOC call's timeout" re="request type 2 id .* got no reply" ;;
	slab-free | slab-reuse)
		who="the SLAB_FREE call's timeout, or the next write's"
		re="request type 3 id .* got no reply|connection lost, reconnecting"
		reset_re="got no reply: resetting|connection lost, reconnecting"
		;;
	esac
	rmem_retry "$WAIT_S" eval 'dmesg_since "$mark" | grep -qE "$re"'
	tap_result "$c: the lost reply was noticed by $who" $?

	reset() {
		r1=$(node_field "$node" reconnects)
		[ "${r1:-0}" -gt "${r0:-0}" ] && dmesg_since "$mark" | grep -qE "$reset_re"
	}
	rmem_retry "$WAIT_S" reset
	tap_result "$c: the connection was reset and reconnected (reconnects $r0 -> $r1)" $?
	dmesg_since "$mark" | grep -E "rmem.*(timed out|no reply|reconnect)" | head -n 6 | tap_diag

	t0=$SECONDS
	timeout 30 rmemctl region del "to-$c" >"$tmp/del" 2>&1
	rc=$?
	[ $rc -ne 124 ] || blk_hung "$c: region del returns within 30 s"
	tap_result "$c: region del works ($((SECONDS - t0))s, exit $rc)" $rc
	[ $rc -eq 0 ] || tap_diag <"$tmp/del"

	# Our session is rmemd's only one: with the region gone it holds nothing.
	for _ in $(seq 20); do
		used=$(rmemd_status slabs_used)
		[ "$used" = 0 ] && break
		sleep 0.5
	done
	[ "$used" = 0 ]
	tap_result "$c: rmemd holds no slab for us after region del (slabs_used ${used:-?})" $?
	dmesg_since "$mark" | grep -E "rmem.*(gave back|listing our slabs)" | tap_diag
	rmemctl node del "$node" >/dev/null 2>&1

	bad=$(dmesg_since "$mark" | grep -E "$KERNEL_BAD_RE")
	[ -z "$bad" ]
	tap_result "$c: no WARNING, BUG or oops in the kernel log" $?
	[ -z "$bad" ] || tap_diag <<<"$bad"
done

finish
trap - EXIT
[ "$(cat /sys/module/rmem/parameters/io_timeout_s 2>/dev/null)" != "$TIMEOUT_S" ] &&
	rmem_wait_nodes 60 && rmemctl status >/dev/null 2>&1
tap_result "rmemd restarted without the option, rmem reloaded with defaults" $?
tap_done
