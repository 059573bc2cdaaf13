#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# module_param_test: rmem.ko's parameters refuse values out of their range,
# at run time through /sys/module/rmem/parameters/ and at load time, with
# EINVAL and a log line, and the old value stays. A refused value changes
# nothing: heartbeats go on. Heartbeats turned off (heartbeat_ms=0) come
# back when the parameter is set again: a frozen rmemd is then noticed.
# Expects the module loaded with no node or region, and leaves it so.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

P=/sys/module/rmem/parameters
# NAME and values each writable parameter must refuse.
BAD=(
	"connect_timeout_ms 0 99 600001 abc -1 99999999999"
	"node_timeout_ms 0 99 3600001 abc"
	"heartbeat_ms 600001 abc -5 4294967296"
	"replicas 0 4 abc -1"
	"rebuild_mbps 100001 abc -1 4294967296"
	"fault_hold_us 1000001 abc -1 4294967296"
)
tap_plan $((${#BAD[@]} + 6))
trap blk_cleanup EXIT

# param_refuses NAME VALUE...: every write fails with EINVAL, the value
# stays, and the kernel log says why.
param_refuses() {
	local name=$1 v before after out rc=0 mark
	shift
	before=$(cat "$P/$name")
	for v in "$@"; do
		mark=$(dmesg_mark)
		# coreutils' echo reports the write's errno (the shell's says "I/O error").
		if out=$(/bin/echo "$v" 2>&1 >"$P/$name"); then
			echo "$name=$v was accepted"
			rc=1
		elif ! printf '%s\n' "$out" | grep -q 'Invalid argument'; then
			echo "$name=$v: '$out', not EINVAL"
			rc=1
		elif ! dmesg_since "$mark" | grep -q "rmem: $name"; then
			echo "$name=$v: no kernel log line names the parameter"
			rc=1
		fi
		after=$(cat "$P/$name")
		if [ "$after" != "$before" ]; then
			echo "$name changed from $before to $after after writing '$v'"
			rc=1
		fi
	done
	return $rc
}

for b in "${BAD[@]}"; do
	# shellcheck disable=SC2086 # one word per value
	set -- $b
	name=$1
	shift
	out=$(param_refuses "$name" "$@")
	rc=$?
	tap_result "$name refuses $* with EINVAL and keeps $(cat "$P/$name")" $rc
	printf '%s\n' "$out" | grep . | tap_diag
done

# Read-only parameters stay read-only.
ro=0 why=''
for name in slab_mb nr_queues io_timeout_s; do
	mode=$(stat -c %a "$P/$name" 2>&1)
	[ "$mode" = 444 ] || { why+="$name: mode $mode"$'\n'; ro=1; }
done
printf '%s' "$why" | tap_diag
tap_result "slab_mb, nr_queues and io_timeout_s are read-only at run time" "$ro"

# A good value is taken.
old=$(cat "$P/connect_timeout_ms")
echo 5000 >"$P/connect_timeout_ms" && [ "$(cat "$P/connect_timeout_ms")" = 5000 ]
tap_result "connect_timeout_ms takes 5000" $?
echo "$old" >"$P/connect_timeout_ms"

# Load time: a bad value fails the load, with a log line; good ones load.
load_refuses() {
	local mark out rc=0
	rmmod rmem || return 1
	for arg in "$@"; do
		mark=$(dmesg_mark)
		if modprobe rmem "$arg" 2>/dev/null; then
			echo "modprobe rmem $arg loaded"
			rmmod rmem
			rc=1
		elif ! dmesg_since "$mark" | grep -q "rmem: ${arg%%=*}"; then
			echo "modprobe rmem $arg: no log line"
			rc=1
		fi
	done
	rmem_modprobe || { echo "plain modprobe rmem failed"; rc=1; }
	return $rc
}
out=$(load_refuses io_timeout_s=0 io_timeout_s=4000000000 slab_mb=3 slab_mb=8192 \
	nr_queues=65 heartbeat_ms=abc 2>&1)
tap_result "modprobe refuses io_timeout_s=0/huge, slab_mb=3/8192, nr_queues=65, heartbeat_ms=abc" $?
printf '%s\n' "$out" | grep . | tap_diag
[ -d /sys/module/rmem ] || rmem_modprobe

# Heartbeats off, then on again: a frozen rmemd must be noticed.
rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
echo 0 >"$P/heartbeat_ms"
node=$(blk_setup_node 60s)
[ -n "$node" ]
tap_result "node $node added with heartbeats off" $? || { tap_fail_rest "no node"; tap_done; }
echo 300 >"$P/heartbeat_ms"
sleep 2
rmem_on 1 'pkill -STOP -x rmemd'
node_wait_state "$node" reconnecting 20 || node_wait_state "$node" dead 1
st=$(node_field "$node" state)
rmem_on 1 'pkill -CONT -x rmemd'
[ "$st" = reconnecting ] || [ "$st" = dead ]
tap_result "heartbeat_ms set again after 0: a frozen rmemd is noticed (state $st)" $?
node_wait_state "$node" live 60
st=$(node_field "$node" state)
echo 2000 >"$P/heartbeat_ms"
[ "$st" = live ] && rmemctl node del "$node" >/dev/null
tap_result "the node comes back live when rmemd resumes, and is deleted (state $st)" $?

tap_done
