#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hello_check_test: rmem.ko checks every field of a memory node's HELLO
# reply, on the first connect and on every reconnect. A node that offers
# an absurd pool (4 billion slabs), a max_io below what rmem sends, more
# free slabs than it has, or unknown flags is refused at `node add` with a
# log line; a node whose rmemd comes back with a pool of another shape is
# not reconnected to (a protocol error, logged) until it says what it said
# when it was added. The memory node is selftests/fake_rmemd.py, which
# answers HELLO and PING with the fields the test writes to its config.
# TCP only: the RDMA transport hands its reply to the same check
# (rmem_node_hello).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

here=$(cd "$(dirname "$0")" && pwd)
PORT=7490
CONF=/tmp/fake-rmemd.conf
tmp=$(mktemp)
tap_plan 10
mon=''
cleanup() {
	[ -z "$mon" ] || kill "$mon" 2>/dev/null
	rm -f "$tmp.mon" "$tmp.mon.err"
	rmem_on 1 'pkill -f "[f]ake_rmemd.py"' >/dev/null 2>&1
	blk_cleanup
}
trap cleanup EXIT

# fake_conf KEY=VALUE...: the fake node's hello fields from now on. The
# fake closes its connections within 0.2 s of the change: wait for that.
fake_conf() {
	rmem_on 1 "printf '%s\n' $* >$CONF.new && mv $CONF.new $CONF"
	sleep 1
}

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
addr="$(first_node):$PORT"
fake_conf slabs_total=16
rmem_on_bg 1 fake-rmemd "python3 $here/fake_rmemd.py $PORT $CONF"
rmem_wait_port "$(first_node)" "$PORT" 60
tap_result "fake_rmemd listens on $addr" $? || { tap_fail_rest "no fake node"; tap_done; }

# refused_because PATTERN CONF...: node add fails, the kernel log matches
# PATTERN, and no node is left.
refused_because() {
	local pat=$1 mark out
	shift
	fake_conf "$@"
	mark=$(dmesg_mark)
	if out=$(rmemctl node add "$addr" transport tcp timeout 60s 2>&1); then
		echo "$*: node add succeeded: $out"
		rmemctl node del "$(printf '%s\n' "$out" | grep -oE '[0-9]+' | head -n1)" >/dev/null
		return 1
	fi
	echo "$*: $out"
	dmesg_since "$mark" | grep -q "rmem: node .*$pat" ||
		{ echo "$*: no kernel log line with '$pat'"; return 1; }
	[ -z "$(node_ids)" ] || { echo "$*: a node is left"; return 1; }
}

# Every refused node add below must reach no event listener: a node that
# was never added has no state to report.
rmemctl -j monitor >"$tmp.mon" 2>"$tmp.mon.err" &
mon=$!
for _ in $(seq 50); do grep -q monitoring "$tmp.mon.err" && break; sleep 0.1; done

# refused CONF...: node add with those hello fields fails with a message,
# the kernel log says why, and no node is left.
refused() { refused_because 'hello reply' "$@"; }
bad=0
for c in "slabs_total=0xffffffff slabs_free=0" "max_io=4096" "slabs_free=17" \
	"flags=0x80" "slab_size=0x4000001"; do
	refused "$c" >>"$tmp" 2>&1 || bad=1
done
tap_diag <"$tmp"
tap_result "node add refuses 2^32-1 slabs, max_io 4096, free > total, unknown flags, a non-power-of-two slab" $bad

: >"$tmp"
refused_because 'failed to prove the key' slabs_total=16 auth_bad_mac=1 >>"$tmp" 2>&1
ok_rc=$?
tap_diag <"$tmp"
tap_result "a node that answers AUTH without the key (a made-up server mac) is refused, and says why" "$ok_rc"
: >"$tmp"
refused_because 'speaks protocol version 1, we speak 2' slabs_total=16 reply_version=1 >>"$tmp" 2>&1
ok_rc=$?
tap_diag <"$tmp"
tap_result "a node of protocol version 1 is refused, and the log says so" "$ok_rc"

# A sane hello of another slab size: refused after connecting (its
# queues are torn down), and no event either.
: >"$tmp"
refused_because 'module uses slab_mb=' slabs_total=16 slab_size=0x2000000 >>"$tmp" 2>&1
ok_rc=$?
sleep 1	# events go out from a work item
pre=$(grep -c '"node_state"' "$tmp.mon")
[ $ok_rc = 0 ] && [ "$pre" = 0 ]
tap_result "a node of 32 MiB slabs (the module's are 64) is refused; the 8 refused adds sent no event ($pre node_state events)" $? ||
	{ tap_diag <"$tmp"; tap_diag <"$tmp.mon"; }

fake_conf slabs_total=16
node=$(rmemctl node add "$addr" transport tcp timeout 60s | grep -oE '[0-9]+' | head -n1)
[ -n "$node" ] && [ "$(node_field "$node" state)" = live ]
tap_result "a node with a sane hello is added (node $node, 16 slabs)" $? ||
	{ tap_fail_rest "no node"; tap_done; }

# The fake restarts with a bigger pool: a reconnect must not take it.
mark=$(dmesg_mark)
fake_conf slabs_total=32 slabs_free=32 instance=0x5678
sleep 8
st=$(node_field "$node" state)
cap=$(node_field "$node" capacity)
[ "$st" != live ] && [ "$cap" = $((16 * 64 << 20)) ]
tap_result "rmemd back with 32 slabs instead of 16: no reconnect (state $st, capacity $cap)" $?
dmesg_since "$mark" | grep -q 'rmem: node .*delete and add the node again'
tap_result "the kernel log says why" $?
dmesg_since "$mark" | grep 'rmem: node' | head -n 3 | tap_diag

fake_conf slabs_total=16 instance=0x5678
node_wait_state "$node" live 60
st=$(node_field "$node" state)
[ "$st" = live ]
tap_result "the same pool again: the node reconnects (state $st)" $?
rmemctl node del "$node" >/dev/null
dmesg | grep -E "$KERNEL_BAD_RE" | head -n 5 | tap_diag
! dmesg | grep -qE "$KERNEL_BAD_RE"
tap_result "no kernel warning or oops" $?

tap_done
