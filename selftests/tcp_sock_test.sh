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
# for the sockets of a reconnect. Read from /sys/kernel/debug/rmem/queues.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

Q=/sys/kernel/debug/rmem/queues
tap_plan 5
trap blk_cleanup EXIT

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

tap_done
