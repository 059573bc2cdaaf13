#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tcp_sock_test: every TCP connection to a memory node is set up so that
# swapping out through it never recurses into reclaim and never shares the
# submitting task's memory: the socket may use the memory reserves
# (SOCK_MEMALLOC), allocates without I/O (GFP_NOIO), never takes pages from
# the task's page fragment (sk_use_task_frag off: a task in reclaim inside
# its own tcp_sendmsg() copy can flush its plug into our queue_rq, and the
# nested send would corrupt both streams), closes without lingering, and,
# on a lockdep kernel, has a socket lock class of its own. The same holds
# for the sockets of a reconnect, which are made with no reclaim to recurse
# into (PF_MEMALLOC, rmem_node_reconnect_work(): issue 12's item 7; the
# queues line's "opened"). Read from /sys/kernel/debug/rmem/queues.
# Write data goes zero-copy (module parameter tcp_zerocopy: the socket takes
# references on the pages, MSG_SPLICE_PAGES or sendpage), from bounce pages
# (an encrypted region) and from the writer's own pages (encrypt off, with
# O_DIRECT), and is copied with tcp_zerocopy=0; every byte reads back. An
# mmap region's chunks are always copied (their extra references are pins).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

Q=/sys/kernel/debug/rmem/queues
tap_plan 10
P=/sys/module/rmem/parameters
zc_default=$(cat "$P/tcp_zerocopy" 2>/dev/null)
cleanup() {
	[ "$zc_default" = Y ] && echo 1 >"$P/tcp_zerocopy" 2>/dev/null
	[ "$zc_default" = N ] && echo 0 >"$P/tcp_zerocopy" 2>/dev/null
	blk_cleanup
	rm -f /tmp/tcp-zc.*
}
trap cleanup EXIT

[ -d /sys/kernel/debug/rmem ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
node=$(blk_setup_node 60s)
nq=$(cat /sys/module/rmem/parameters/nr_queues)
[ -n "$node" ] && [ "$(grep -c "^node $node tcp queue" "$Q")" = "$nq" ]
tap_result "node $node over TCP: $Q lists its $nq queues" $? ||
	{ cat "$Q" 2>&1 | tap_diag; tap_fail_rest "no queues"; tap_done; }

# queues_ok: every queue of the node has the reclaim-safe options.
queues_ok() {
	local bad
	bad=$(grep "^node $node tcp queue" "$Q" |
		grep -v 'memalloc 1 task_frag 0 linger 1/0 noio 1 ')
	[ -z "$bad" ] || { printf '%s\n' "$bad" | tap_diag; return 1; }
}
queues_ok
tap_result "each socket: memory reserves, GFP_NOIO, no task page fragment, no linger" $?

if [ -e /proc/lockdep ]; then
	bad=$(grep "^node $node tcp queue" "$Q" | grep -v 'lock sk_lock-AF_INET6\?-RMEM ')
	[ -z "$bad" ]
	tap_result "each socket has rmem's own lockdep class" $?
	printf '%s\n' "$bad" | grep . | tap_diag
else
	tap_skip "each socket has rmem's own lockdep class" "kernel without lockdep"
fi

# A reconnect makes new sockets: the same options.
r=$(rmemd_kill_restart "$node" rmemd-tcp-sock) &&
	[ "$(grep -c "^node $node tcp queue" "$Q")" = "$nq" ]
tap_result "node reconnects to the restarted rmemd (reconnects $r)" $?
queues_ok
tap_result "the reconnected sockets have the same options" $?
bad=$(grep "^node $node tcp queue" "$Q" | grep -v ' opened noreclaim$')
[ -z "$bad" ]
tap_result "the reconnect made them with no reclaim to recurse into (PF_MEMALLOC)" $?
printf '%s\n' "$bad" | grep . | tap_diag

# sends FIELD: the sum of FIELD (zerocopy, copied) over the node's queues.
sends() {
	grep "^node $node tcp queue" "$Q" |
		awk -v f="$1" '{ for (i = 1; i < NF; i++) if ($i == f) n += $(i + 1) } END { print n + 0 }'
}
# write_count DEV: 1 MiB of random data in 16 O_DIRECT writes of 64 KiB at
# 1 MiB, and prints how many zero-copy and copied sends it took.
write_count() {
	local zc0 cp0
	zc0=$(sends zerocopy) cp0=$(sends copied)
	dd if=/tmp/tcp-zc.data of="$1" bs=64K count=16 seek=16 oflag=direct status=none || return 1
	echo "$(($(sends zerocopy) - zc0)) $(($(sends copied) - cp0))"
}
# read_back DEV: the 1 MiB at 1 MiB of DEV equals what was written.
read_back() {
	dd if="$1" of=/tmp/tcp-zc.back bs=64K count=16 skip=16 iflag=direct status=none &&
		cmp -s /tmp/tcp-zc.data /tmp/tcp-zc.back
}
head -c 1M /dev/urandom >/tmp/tcp-zc.data
echo 1 >"$P/tcp_zerocopy"
enc=$(blk_add_region tcpzc 64M)
clear=$(rmemctl region add tcpzc-clear size 64M encrypt off >/dev/null &&
	dev=$(region_field tcpzc-clear device) && dev_wait "$dev" b && echo "/dev/$dev")
ok=1 diag=
for dev in $enc $clear; do
	[ -b "$dev" ] || { ok=0 diag="region not made"; break; }
	n=$(write_count "$dev") || { ok=0 diag="$dev: write failed"; break; }
	read_back "$dev" || { ok=0 diag="$dev: reads back wrong"; break; }
	# 16 writes, each sent zero-copy (a write may be split, never merged)
	set -- $n
	[ "$1" -ge 16 ] && [ "$2" = 0 ] || { ok=0 diag="$dev: $1 zero-copy, $2 copied"; }
	diag="$diag $dev: $1 zero-copy, $2 copied;"
done
[ "$ok" = 1 ]
tap_result "writes are sent zero-copy, from bounce pages (encrypted) and the writer's pages (encrypt off), and read back" $?
echo "$diag" | tap_diag

echo 0 >"$P/tcp_zerocopy"
ok=1 diag=
for dev in $enc $clear; do
	[ -b "$dev" ] || { ok=0; break; }
	head -c 1M /dev/urandom >/tmp/tcp-zc.data
	n=$(write_count "$dev") || { ok=0 diag="$dev: write failed"; break; }
	set -- $n
	[ "$1" = 0 ] && [ "$2" -ge 16 ] || ok=0
	diag="$diag $dev: $1 zero-copy, $2 copied;"
	read_back "$dev" || { ok=0 diag="$diag $dev reads back wrong"; break; }
done
echo 1 >"$P/tcp_zerocopy"
[ "$ok" = 1 ]
tap_result "with tcp_zerocopy=0 the same writes are copied, and read back" $?
echo "$diag" | tap_diag

# Zero-copy under concurrency: 8 writers of 4 KiB pages, each its own
# 2 MiB, on the encrypted region (bounce pages go back to their pool and
# are reused at once) and the clear one; then every byte is read back.
ok=1 diag=
head -c 16M /dev/urandom >/tmp/tcp-zc.big
for dev in $enc $clear; do
	[ -b "$dev" ] || { ok=0; break; }
	zc0=$(sends zerocopy)
	for i in $(seq 0 7); do
		dd if=/tmp/tcp-zc.big of="$dev" bs=4K count=512 skip=$((i * 512)) \
			seek=$((4096 + i * 512)) oflag=direct status=none &
	done
	wait
	dd if="$dev" of=/tmp/tcp-zc.back bs=1M count=16 skip=16 iflag=direct status=none &&
		cmp -s /tmp/tcp-zc.big /tmp/tcp-zc.back || { ok=0 diag="$diag $dev reads back wrong;"; }
	n=$(($(sends zerocopy) - zc0))
	[ "$n" -ge 2048 ] || ok=0
	diag="$diag $dev: $n zero-copy sends;"
done
[ "$ok" = 1 ] && [ "$(cat "$P/tcp_zerocopy")" = Y ]
tap_result "8 concurrent writers, zero-copy: every page reads back" $?
echo "$diag" | tap_diag

# An mmap region's write-backs are copied: eviction takes a page's extra
# reference for a pin, and a zero-copy socket would hold one a while.
mmdev=$(mmap_add tcpzc-mm 8M 64K 1M encrypt off)
zc0=$(sends zerocopy) cp0=$(sends copied)
[ -c "$mmdev" ] && mm "$mmdev" $((8 << 20)) fill 7 >/dev/null && mm "$mmdev" $((8 << 20)) drop >/dev/null &&
	mm "$mmdev" $((8 << 20)) verify 7 >/dev/null && [ "$(sends zerocopy)" = "$zc0" ] &&
	[ $(($(sends copied) - cp0)) -ge 128 ]
tap_last=$?; tap_result "mmap write-backs are copied, not zero-copy ($(($(sends copied) - cp0)) copied, $(($(sends zerocopy) - zc0)) zero-copy), and read back" "$tap_last"

tap_done
