#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers for scripts run by scripts/rmem-vm in the compute guest:
#     . "$RMEM_LIB"
# Environment (set by the harness): RMEM_KERNEL RMEM_NODES RMEM_NNODES
# RMEM_NCOMPUTE RMEM_PORT RMEM_AGENT_PORT RMEM_TRANSPORT RMEM_OUT RMEM_SRC
# RMEM_LIB [RMEM_DISK] [RMEM_COMPUTE2 RMEM_NODES2]. Documented in
# Documentation/testing.rst.

# rmem_log MSG...: a timestamped line on stdout (the script log).
rmem_log() {
	printf '[%s] %s\n' "$(cut -d' ' -f1 /proc/uptime)" "$*"
}

# rmem_kmsg MSG...: a line in the kernel log (and so on the guest console),
# to find the place in compute.log where a step began.
rmem_kmsg() {
	echo "rmem-test: $*" >/dev/kmsg
}

# rmem_skip REASON: end the script as a kselftest "skip" (exit 4).
rmem_skip() {
	echo "SKIP: $*"
	exit 4
}

# rmem_die MSG...: print to stderr and exit 1.
rmem_die() {
	echo "FAIL: $*" >&2
	exit 1
}

# rmem_port_open HOST PORT: true if a TCP connect succeeds within 2 s.
rmem_port_open() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# rmem_wait_port HOST PORT [TIMEOUT_SEC=60]: wait until a TCP connect works.
# Each try is a real connection: not for one-shot servers (perftest).
rmem_wait_port() {
	local end=$((SECONDS + ${3:-60}))
	until rmem_port_open "$1" "$2"; do
		[ "$SECONDS" -lt "$end" ] || { echo "rmem_wait_port: $1:$2 not open" >&2; return 1; }
		sleep 0.2
	done
}

# rmem_wait_nodes [TIMEOUT_SEC=60]: wait until every memory node's rmemd
# answers on RMEM_PORT.
rmem_wait_nodes() {
	local n
	for n in $RMEM_NODES; do
		rmem_wait_port "$n" "$RMEM_PORT" "${1:-60}" || return 1
	done
}

# rmem_node I: address of memory node I (1-based).
rmem_node() {
	echo "10.77.$1.2"
}

# rmem_agent ADDR CMD...: run CMD (joined with spaces, as for bash -c) as root
# through the command agent (scripts/vm/agent.sh) of the guest at ADDR; prints
# its output (stdout and stderr) and returns its exit status; 124 (and a line
# on stderr) when the agent has not answered within RMEM_AGENT_TIMEOUT seconds
# (default 600): a reply lost on a link a test took down must not hang it.
rmem_agent() {
	local addr=$1 fd line prev='' have=0 rc=255 r left
	local end=$((SECONDS + ${RMEM_AGENT_TIMEOUT:-600}))
	shift
	exec {fd}<>"/dev/tcp/$addr/$RMEM_AGENT_PORT" || return 255
	printf '%s\n' "$*" | base64 -w0 >&"$fd"
	echo >&"$fd"
	while :; do
		left=$((end - SECONDS))
		line=
		r=142
		[ "$left" -gt 0 ] && { IFS= read -r -t "$left" line <&"$fd"; r=$?; }
		if [ "$r" -gt 128 ]; then
			echo "rmem_agent: $addr did not answer within ${RMEM_AGENT_TIMEOUT:-600} s: $*" >&2
			rc=124
			break
		fi
		[ "$r" = 0 ] || [ -n "$line" ] || break
		if [[ $line == $'\001RC '* ]]; then
			rc=${line#$'\001RC '}
			[ "$have" = 1 ] && [ -n "$prev" ] && printf '%s\n' "$prev"
			have=0
			break
		fi
		[ "$have" = 1 ] && printf '%s\n' "$prev"
		prev=$line have=1
		[ "$r" = 0 ] || break
	done
	[ "$have" = 1 ] && printf '%s\n' "$prev"
	exec {fd}<&-
	return "$rc"
}

# rmem_on I CMD...: run CMD (joined with spaces, as for bash -c) as root on
# memory guest I; prints its output (stdout and stderr) and returns its
# exit status. Example: rmem_on 1 'pkill -STOP rmemd'
rmem_on() {
	local node=$1
	shift
	rmem_agent "$(rmem_node "$node")" "$@"
}

# rmem_on_bg I NAME CMD...: start CMD in the background on memory guest I,
# its output in $RMEM_OUT/memI-NAME.log. Stop it with rmem_on I 'pkill ...'.
rmem_on_bg() {
	local node=$1 name=$2 q
	shift 2
	printf -v q '%q' "$*"
	rmem_on "$node" "setsid bash -c $q </dev/null >/out/mem$node-$name.log 2>&1 &"
}

# rmem_node2 I: address of memory node I as the second compute guest sees it
# (--compute-nodes 2; also in RMEM_NODES2).
rmem_node2() {
	echo "10.78.$1.2"
}

# rmem_on_compute2 CMD...: run CMD as root on the second compute guest
# (--compute-nodes 2), as rmem_on does on a memory guest. There RMEM_NODES
# holds the memory nodes' addresses as it sees them. Example:
#   rmem_on_compute2 "rmemctl node add $(rmem_node2 1):$RMEM_PORT transport tcp"
rmem_on_compute2() {
	[ -n "${RMEM_COMPUTE2:-}" ] || { echo "rmem_on_compute2: no compute2 (rmem-vm --compute-nodes 2)" >&2; return 255; }
	rmem_agent "$RMEM_COMPUTE2" "$@"
}

# rmem_on_compute2_bg NAME CMD...: start CMD in the background on the second
# compute guest, its output in $RMEM_OUT/compute2-NAME.log.
rmem_on_compute2_bg() {
	local name=$1 q
	shift
	printf -v q '%q' "$*"
	rmem_on_compute2 "setsid bash -c $q </dev/null >/out/compute2-$name.log 2>&1 &"
}

# rmem_rdma_dev [I=1]: the compute guest's rxe device on the link to node I.
rmem_rdma_dev() {
	echo "rxe$((${1:-1} - 1))"
}

# rmem_net_dev [I=1]: the compute guest's network interface on the link to
# node I (the harness gives it the MAC 52:54:00:77:0I:01).
rmem_net_dev() {
	local d
	for d in /sys/class/net/*; do
		[ "$(cat "$d/address")" = "52:54:00:77:0${1:-1}:01" ] && { echo "${d##*/}"; return 0; }
	done
	return 1
}

# rmem_limited MAX CMD...: run CMD in a fresh cgroup whose memory.max is MAX
# (e.g. 128M), to push it into swap. Returns CMD's status.
rmem_limited() {
	local max=$1 cg rc=0
	shift
	cg=/sys/fs/cgroup/rmem-limited.$$.$RANDOM
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
	mkdir "$cg"
	echo "$max" >"$cg/memory.max"
	(echo "$BASHPID" >"$cg/cgroup.procs" && exec "$@") || rc=$?
	rmdir "$cg" 2>/dev/null || true
	return "$rc"
}

# rmem_wait_pid PID SECONDS: wait up to SECONDS for PID, a background child
# of this shell, to end; returns its exit status, or 124 if it still runs
# (then see rmem_stuck_report). A test that waits for I/O through rmem
# says it hung instead of sitting until the harness kills the guests.
rmem_wait_pid() {
	local end=$((SECONDS + $2))
	while kill -0 "$1" 2>/dev/null; do
		[ "$SECONDS" -lt "$end" ] || return 124
		sleep 0.2
	done
	wait "$1"
}

# rmem_stuck_report: what the guest is stuck on, for the script log: every
# task in uninterruptible sleep with its kernel stack, the requests blk-mq
# has in flight on rmem's block devices, rmem's queues and extents, the
# nodes and regions, and the kernel's own list of blocked tasks (sysrq w).
# What needs rmem's locks is given 10 s: they may be what is stuck.
rmem_stuck_report() {
	local p f out
	echo "== tasks in D state"
	# One awk for every task (a guest under TCG is slow to fork).
	for p in $(awk '$3 == "D" { print $1 }' /proc/[0-9]*/stat 2>/dev/null); do
		echo "-- $p $(cat "/proc/$p/comm" 2>/dev/null)"
		cat "/proc/$p/stack" 2>/dev/null
	done
	echo "== blk-mq requests in flight"
	for f in /sys/kernel/debug/block/rmem*/hctx*/busy /sys/kernel/debug/block/rmem*/hctx*/dispatch; do
		[ -s "$f" ] && echo "$f:" && cat "$f"
	done
	echo "== rmem queues, extents, nodes, regions"
	out=$(mktemp)
	{ cat /sys/kernel/debug/rmem/queues /sys/kernel/debug/rmem/extents
	  rmemctl node show; rmemctl region show; } >"$out" 2>&1 &
	rmem_wait_pid $! 10 || echo "(still waiting after 10 s: rmem's configuration lock is held)"
	cat "$out"
	rm -f "$out"
	echo "== blocked tasks (sysrq w), the last kernel lines"
	echo w >/proc/sysrq-trigger 2>/dev/null
	sleep 1
	dmesg | tail -n 200
}

# rmem_drop_caches: write back and drop the page cache.
rmem_drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# rmem_trace 0|1 [EVENT...]: turn rmem's trace events off or on, all of
# them or the EVENTs (mounting tracefs if need be); false without them.
# Tracing's command-line recording goes off first: it hooks sched_switch,
# and patching that call site live (text_poke_bp) while every CPU runs
# through it once hung a TCG guest in int3 (observe_test, CI on 742593f).
rmem_trace() {
	local on=$1 e t=/sys/kernel/tracing
	shift
	[ -d "$t/events" ] || mount -t tracefs nodev "$t" 2>/dev/null
	[ -d "$t/events/rmem" ] || return 1
	echo 0 >"$t/options/record-cmd" 2>/dev/null
	[ "$on" = 1 ] && : >"$t/trace"
	if [ $# = 0 ]; then
		echo "$on" >"$t/events/rmem/enable"
		return
	fi
	for e; do
		echo "$on" >"$t/events/rmem/$e/enable" || return
	done
}

# rmem_wait_gone SECONDS PID...: wait until none of the PIDs (background
# jobs) runs any more, SECONDS at most; false if one still does. The caller
# then reaps each with wait, for its status.
rmem_wait_gone() {
	local n=$(($1 * 2)) p
	shift
	for ((; n > 0; n--)); do
		for p; do
			kill -0 "$p" 2>/dev/null && break
		done
		kill -0 "$p" 2>/dev/null || return 0
		sleep 0.5
	done
	return 1
}

# rmem_retry N CMD...: run CMD until it succeeds, at most N times, 1 s apart
# (servers started with rmem_on_bg take a while to listen under TCG).
rmem_retry() {
	local n=$1 i
	shift
	for ((i = 1; ; i++)); do
		"$@" && return 0
		[ "$i" -lt "$n" ] || return 1
		sleep 1
	done
}
