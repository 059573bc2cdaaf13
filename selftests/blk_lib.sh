#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the block-region tests (sourced after lib.sh and $RMEM_LIB).

# jget KEY: read one JSON object (or the first of an array) on stdin, print KEY.
jget() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
if isinstance(d, list):
    d = d[0] if d else {}
if isinstance(d, dict) and len(d) == 1 and isinstance(next(iter(d.values())), list):
    v = next(iter(d.values()))
    d = v[0] if v else {}
print(d.get(sys.argv[1], ""))' "$1"
}

# node_field ID KEY / region_field NAME KEY
node_field() { rmemctl -j node show "$1" | jget "$2"; }
# queues_sum NODE FIELD: FIELD's count summed over node NODE's TCP queues
# (/sys/kernel/debug/rmem/queues: "... FIELD N ...").
queues_sum() {
	grep "^node $1 tcp queue" /sys/kernel/debug/rmem/queues 2>/dev/null |
		awk -v f="$2" '{ for (i = 1; i < NF; i++) if ($i == f) s += $(i + 1) } END { print s + 0 }'
}
region_field() { rmemctl -j region show "$1" | jget "$2"; }

# node_wait_state ID STATE SECONDS: poll until node ID is in STATE; false on
# timeout. The caller reads the state it ended in with node_field.
node_wait_state() {
	local i
	for ((i = 0; i < $3 * 2; i++)); do
		[ "$(node_field "$1" state)" = "$2" ] && return 0
		sleep 0.5
	done
	return 1
}

# The rmemd_* helpers act on memory node $RMEMD_NODE (default 1).

# rmemd_cmdline: the command line of rmemd on the memory node (to restart it).
rmemd_cmdline() { rmem_on "${RMEMD_NODE:-1}" 'tr "\0" " " </proc/$(pgrep -x rmemd)/cmdline'; }

# rmemd_stop: stop rmemd on the memory node (SIGTERM; SIGKILL after 5 s).
rmemd_stop() {
	# shellcheck disable=SC2016 # expanded on the memory node
	rmem_on "${RMEMD_NODE:-1}" 'pkill -x rmemd; for i in $(seq 50); do pgrep -x rmemd >/dev/null || break; sleep 0.1; done; pkill -KILL -x rmemd; true' >/dev/null
}

# rmemd_relaunch TAG CMDLINE [OPTION...]: stop rmemd on the memory node and
# start it as CMDLINE plus the options (logging to TAG), until it listens.
rmemd_relaunch() {
	local tag=$1 cmd=$2
	shift 2
	rmemd_stop
	rmemd_restart "$tag" "$cmd${*:+ $*}" >/dev/null
}

# rmemd_die SECONDS: the memory node dies as a powered-off machine would:
# SIGKILL to rmemd, then its link goes down for SECONDS (it brings the link
# back up itself: nothing can reach it meanwhile), so nothing answers, not
# even with a reset. rmemd_back restarts rmemd once the node is reachable.
#
# The agent's answer races with the link going down: lost, it comes only
# once the link is back, if at all; so it is not waited for beyond 30 s.
rmemd_die() {
	# shellcheck disable=SC2016 # expanded on the memory node
	RMEM_AGENT_TIMEOUT=30 rmem_on "${RMEMD_NODE:-1}" 'pkill -KILL -x rmemd
		d=$(grep -l 52:54:00:77 /sys/class/net/*/address | head -n1 | cut -d/ -f5)
		setsid bash -c "sleep 0.2; ip link set $d down; sleep '"$1"'; ip link set $d up" \
			</dev/null >/dev/null 2>&1 &' >/dev/null 2>&1
	true
}

# rmemd_back TAG CMDLINE: wait up to 90 s for the memory node to answer again
# (after rmemd_die), then start rmemd as CMDLINE (logging to TAG) unless it
# runs.
rmemd_back() {
	for _ in $(seq 90); do
		rmem_on "${RMEMD_NODE:-1}" true >/dev/null 2>&1 && break
		sleep 1
	done
	rmem_on "${RMEMD_NODE:-1}" 'pgrep -x rmemd' >/dev/null 2>&1 ||
		rmemd_restart "$1" "$2" >/dev/null
}

# rmemd_status KEY: a field of `rmemd --status` on the memory node.
rmemd_status() { rmem_on "${RMEMD_NODE:-1}" 'rmemd --status --json' | jget "$1"; }

# rmemd_restart TAG CMDLINE: start rmemd on the memory node again (logging to
# TAG), unprivileged as the harness starts it ($RMEMD_AS), and wait until it
# listens.
rmemd_restart() {
	rmem_on_bg "${RMEMD_NODE:-1}" "$1" "${RMEMD_AS:+$RMEMD_AS }$2 --stderr"
	rmem_wait_port "$(rmem_node "${RMEMD_NODE:-1}")" "$RMEM_PORT" 60
}

# rmemd_kill_restart NODE TAG [OPTION...]: kill rmemd on memory node 1 (its
# sessions, and our slabs there, are gone), start it again (logging to TAG,
# with the options added), and wait up to 60 s for node NODE to be live
# after one more reconnect. Prints the node's reconnect count; false if it
# did not come back.
rmemd_kill_restart() {
	local cmd r0 r='' node=$1 tag=$2
	shift 2
	cmd=$(rmemd_cmdline)
	r0=$(node_field "$node" reconnects)
	rmem_on 1 'pkill -KILL -x rmemd; sleep 0.5'
	rmemd_restart "$tag" "$cmd${*:+ $*}"
	for _ in $(seq 120); do
		r=$(node_field "$node" reconnects)
		if [ "$(node_field "$node" state)" = live ] && [ "${r:-0}" -gt "${r0:-0}" ]; then
			echo "$r"
			return 0
		fi
		sleep 0.5
	done
	echo "${r:-0}"
	return 1
}

# first_node: address of memory node 1.
first_node() { set -- $RMEM_NODES; echo "$1"; }

# blk_setup_node [TIMEOUT]: add memory node 1; prints its id.
blk_setup_node() {
	rmemctl node add "$(first_node):$RMEM_PORT" transport "${RMEM_TRANSPORT:-tcp}" \
		timeout "${1:-20s}" | grep -oE '[0-9]+' | head -n1
}

# blk_add_node I [TIMEOUT [TRANSPORT]]: add memory node I (rmem_node I)
# over TRANSPORT (default RMEM_TRANSPORT); prints its id.
blk_add_node() {
	rmemctl node add "$(rmem_node "$1"):$RMEM_PORT" transport "${3:-${RMEM_TRANSPORT:-tcp}}" \
		timeout "${2:-10s}" | grep -oE '[0-9]+' | head -n1
}

# region_extents NAME: "EXTENT ID ID ..." per mapped extent of region NAME,
# from debugfs ("+ID": a copy being made).
region_extents() {
	awk -v r="$1" '$1 == r { l = $2; for (i = 3; i <= NF; i++) { split($i, a, ":"); l = l " " a[1] } print l }' \
		/sys/kernel/debug/rmem/extents
}

# blk_hung WHAT: I/O hung, and everything after it (region del, swapoff,
# rmmod) would hang too: show where the guest's tasks wait, fail WHAT and the
# rest, and stop without the test's EXIT cleanup, leaving the guest as it is.
blk_hung() {
	rmem_stuck_report | tap_diag
	dmesg | grep -E "rmem|$KERNEL_BAD_RE" | tail -n 20 | tap_diag
	tap_result "$1" 1
	tap_fail_rest "hung: the rest would hang too"
	trap - EXIT
	tap_done
}

# blk_add_region NAME SIZE [OPTION...]: create a block region (OPTIONs go to
# region add, e.g. encrypt on); prints /dev/rmemblkN.
blk_add_region() {
	local dev
	rmemctl region add "$1" size "$2" "${@:3}" >/dev/null || return 1
	dev=$(region_field "$1" device)
	[ -n "$dev" ] || return 1
	udevadm settle 2>/dev/null || true
	dev_wait "$dev" b || return 1
	echo "/dev/$dev"
}

# mmap_add NAME SIZE CHUNK CACHE [OPTION...]: an mmap region (OPTIONs go to
# region add, e.g. replicas 2, encrypt off); prints /dev/rmemN once it exists.
mmap_add() {
	local name=$1 size=$2 chunk=$3 cache=$4 dev
	shift 4
	rmemctl region add "$name" size "$size" type mmap chunk "$chunk" cache "$cache" "$@" \
		>/dev/null || return 1
	dev=$(region_field "$name" device)
	[ -n "$dev" ] || return 1
	dev_wait "$dev" c || return 1
	echo "/dev/$dev"
}

# mm DEV SIZE CMD ARGS...: rmem_mmap CMD on the mmap region device DEV (the
# region is SIZE bytes), killed after MM_TIMEOUT seconds when that is set.
mm() {
	local dev=$1 size=$2 cmd=$3
	shift 3
	RMEM_MMAP_SIZE=$size ${MM_TIMEOUT:+timeout "$MM_TIMEOUT"} rmem_mmap "$cmd" "$dev" "$@"
}

# dev_wait NAME b|c: wait up to 5 s for the block (b) or character (c)
# device /dev/NAME, then make it from sysfs if no devtmpfs/udev did.
dev_wait() {
	for _ in $(seq 50); do
		if [ "$2" = c ]; then
			[ -c "/dev/$1" ] && return 0
		else
			[ -b "/dev/$1" ] && return 0
		fi
		sleep 0.1
	done
	if [ "$2" = b ]; then
		mknod_dev "$1"
	else
		mknod_cdev "$1"
	fi
}

# mknod_dev NAME: create /dev/NAME from sysfs when no devtmpfs/udev did.
mknod_dev() {
	local mm
	mm=$(cat "/sys/block/$1/dev" 2>/dev/null) || return 1
	mknod "/dev/$1" b "${mm%%:*}" "${mm##*:}"
}

# mknod_cdev NAME: the same for a character device of class rmem (/dev/rmemN).
mknod_cdev() {
	local mm
	mm=$(cat "/sys/class/rmem/$1/dev" 2>/dev/null) || return 1
	mknod "/dev/$1" c "${mm%%:*}" "${mm##*:}"
}

# is_zero FILE: true if FILE is non-empty and holds only zero bytes.
is_zero() {
	[ -s "$1" ] && [ -z "$(tr -d '\0' <"$1" | head -c 1)" ]
}

# marker TAG: a string no memory holds unless this run wrote it.
marker() { printf 'rmem-%s-%s' "$1" "$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"; }
# marker_pages MARKER N FILE: N 4 KiB pages of MARKER repeated.
marker_pages() {
	python3 -c 'import sys
m = sys.argv[1].encode()
pg = (m * (4096 // len(m) + 1))[:4096]
open(sys.argv[3], "wb").write(pg * int(sys.argv[2]))' "$@"
}
# rmemd_scan MARKER...: "MARKER COUNT" for each, how often it is in the
# memory of rmemd on memory node $RMEMD_NODE (1), what a compute node's
# encryption must keep out of it (selftests/rmem_scan.py; its stderr too).
rmemd_scan() {
	rmem_on "${RMEMD_NODE:-1}" "python3 $BLK_LIB_DIR/rmem_scan.py \$(pgrep -x rmemd) $*"
}
BLK_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# rand_file PATH BLOCKS: BLOCKS 4 KiB blocks of random bytes.
rand_file() {
	head -c $(($2 * 4096)) /dev/urandom >"$1"
}

# json_list_field KEY: from an rmemctl -j show on stdin (a list, or an
# object holding one), print KEY of every entry, space-separated.
json_list_field() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
if isinstance(d, dict):
    d = next((v for v in d.values() if isinstance(v, list)), [])
print(" ".join(str(x.get(sys.argv[1], "")) for x in d))' "$1"
}

# node_ids / region_names: every node's id, every region's name.
node_ids() { rmemctl -j node show 2>/dev/null | json_list_field id 2>/dev/null; }
region_names() { rmemctl -j region show 2>/dev/null | json_list_field name 2>/dev/null; }

# rmem_unload: rmmod rmem; when it is refused, print the module's refcount.
# Delete the nodes first (blk_cleanup): on a lockdep kernel (the debug
# kernel) each TCP socket of a node holds a module reference, as its lock
# class is the module's (sock_lock_init_class_and_name()).
rmem_unload() {
	rmmod rmem && return 0
	echo "rmem refcnt $(cat /sys/module/rmem/refcnt 2>/dev/null), holders: $(ls /sys/module/rmem/holders 2>/dev/null)"
	return 1
}

# rmem_reload [PARAM=VALUE...]: delete every region and node, then reload
# the module with these parameters (and this run's key).
rmem_reload() {
	blk_cleanup
	rmmod rmem && rmem_modprobe "$@"
}

# udev_start: run systemd-udevd for the test, with rmem's rules
# (tools/60-rmem.rules, in /run/udev/rules.d), as a host that installed them
# runs it: regions then get their /dev/rmem/by-name/NAME links. The guests
# run no udevd otherwise. udev_stop ends it and removes the rules.
udev_start() {
	local rules
	rules=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tools/60-rmem.rules
	mkdir -p /run/udev/rules.d && cp "$rules" /run/udev/rules.d/ || return 1
	/lib/systemd/systemd-udevd --daemon --resolve-names=never >/dev/null 2>&1 || return 1
	for _ in $(seq 50); do
		udevadm control --ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

udev_stop() {
	udevadm control --exit >/dev/null 2>&1
	rm -f /run/udev/rules.d/60-rmem.rules
}

# by_name NAME: the device /dev/rmem/by-name/NAME leads to (after udev
# settled), or nothing.
by_name() {
	udevadm settle -t 10 >/dev/null 2>&1
	[ -e "/dev/rmem/by-name/$1" ] && readlink -f "/dev/rmem/by-name/$1"
}

# blk_cleanup: best-effort teardown of everything the test made.
blk_cleanup() {
	local r n
	swapoff -a 2>/dev/null
	for r in $(region_names); do
		umount "/mnt/$r" 2>/dev/null
		rmemctl region del "$r" >/dev/null 2>&1
	done
	for n in $(node_ids); do
		rmemctl node del "$n" >/dev/null 2>&1
	done
}

# pub_client NAME ACTION [ADDR]: a protocol client of the memory node at
# ADDR (default: the first; its own session, the cluster key) that opens
# published region NAME; ACTION "hold" keeps it attached until SIGTERM
# (prints "attached" once it is), "look" prints the status name PUB_OPEN
# got; either detaches (PUB_CLOSE) before it ends. With a random key ("badkey") it prints AUTH's status.
pub_client() {
	# exec: a background call's PID is the client's, for kill to reach it
	exec python3 - "${3:-$(first_node)}" "$RMEM_PORT" "$RMEM_KEY_FILE" "$1" "$2" \
		"$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)" <<'EOF'
import os, signal, sys, time
sys.path.insert(0, sys.argv[6])
import rmem_proto as p
addr, port, keyf, name, action = sys.argv[1:6]
key = p.read_key(keyf) if action != "badkey" else os.urandom(32)
c = p.Client(addr, int(port))
st, proved = c.auth(key)
if st:
    print("AUTH", p.ERR.get(st, st))
    sys.exit(0)
st, _ = c.hello(key, int.from_bytes(os.urandom(8), "little") | 1,
                features=p.FEAT_TCP | p.FEAT_AUTH | p.FEAT_PUBLISH)
if st:
    print("HELLO", p.ERR.get(st, st))
    sys.exit(0)
st, info = c.call(p.MSG_PUB_OPEN, p.pub_name(name))
print(p.ERR.get(st, st) if action != "hold" or st else "attached", flush=True)


# Detach before going, as a compute node deleting its region does (a session
# that just disconnects stays attached until rmemd expires it).
def close(*_):
    c.call(p.MSG_PUB_CLOSE, p.PUB_INFO.unpack(info)[0].to_bytes(4, "little") + bytes(4))
    sys.exit(0)


if not st:
    if action == "hold":
        signal.signal(signal.SIGTERM, close)
        time.sleep(600)
    close()
EOF
}
