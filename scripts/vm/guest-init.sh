#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Stage 2 of an rmem test guest, run as pid 1 by scripts/vm/init inside the
# host's root (9p, read-only) under a tmpfs overlay. Sets up mounts, the
# network links, Soft-RoCE, then by role:
#   compute  loads rmem.ko, waits for the memory guests, runs the script
#            (or a shell on ttyS0), writes its exit status to /out/.vm/rc;
#   mem      starts the command agent and rmemd, then waits for /out/.vm/stop;
#   compute2 (--compute-nodes 2) loads rmem.ko, starts the command agent, waits
#            until it reaches every rmemd, then waits for /out/.vm/compute2.stop.
# Powers the guest off in every case: pid 1 must never exit.
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=linux

read -r cmdline </proc/cmdline
arg() {
	local a
	for a in $cmdline; do
		case "$a" in "$1="*) echo "${a#*=}"; return ;; esac
	done
}
role=$(arg rmemvm.role)
idx=$(arg rmemvm.idx)
case "$role" in
compute | compute2) name=$role ;;
*) name=mem$idx ;;
esac

# --append rmem.trace=1: trace stage 2 on the console, with timestamps.
if [ "$(arg rmem.trace)" = 1 ]; then
	PS4='+ ${EPOCHREALTIME} ${LINENO}: '
	set -x
fi

log() {
	local up
	read -r up _ </proc/uptime
	echo "rmem-vm[$name]: $* (t=${up}s)"
}

done_ok=0
# shellcheck disable=SC2317 # invoked by trap
on_exit() {
	local rc=$? line=${1:-?}
	trap - EXIT ERR
	if [ "$done_ok" != 1 ]; then
		log "stage 2 failed (status $rc, guest-init.sh line $line)"
		[ -d /out/.vm ] && echo "failed: stage 2 line $line" >"/out/.vm/$name.ready"
	fi
	[ -d /out/.vm ] && busybox dmesg >"/out/$name-dmesg.log" 2>/dev/null
	busybox poweroff -f
}
trap 'on_exit $LINENO' ERR
trap on_exit EXIT

# ------------------------------------------------------------- mounts
# /tmp stays the host's (through the overlay, so writable): scripts passed from
# the host's /tmp must stay visible.
busybox mount -t tmpfs -o mode=0755 tmpfs /run
busybox mkdir -p /dev/pts /dev/shm
# bash process substitution <(...) needs /dev/fd.
[ -e /dev/fd ] || busybox ln -s /proc/self/fd /dev/fd
busybox mount -t devpts -o gid=5,mode=620 devpts /dev/pts
busybox mount -t tmpfs -o mode=1777 tmpfs /dev/shm
busybox mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null || true
# The first memory cgroup turns on static keys (memcg_kmem_online_key,
# memcg_sockets_enabled_key) that the kernel patches into its code live,
# through int3 on every CPU; under TCG a CPU may still run an int3 once the
# patching is over. The debug kernel died of it ("Oops: int3" in
# __alloc_pages) as replica_test made its first cgroup (rmem_limited), the
# place where CI on 26d7ba4 hung without a word on 6.1. Made now, while
# nothing runs, and kept (the sockets key counts cgroups), those keys
# never change under the tests.
{ echo +memory >/sys/fs/cgroup/cgroup.subtree_control &&
	busybox mkdir -p /sys/fs/cgroup/rmem-keys; } 2>/dev/null || true
modprobe configfs 2>/dev/null || true
busybox mount -t configfs none /sys/kernel/config 2>/dev/null || true
busybox mount -t debugfs none /sys/kernel/debug 2>/dev/null || true
busybox mkdir -p /out
busybox mount -t 9p -o trans=virtio,version=9p2000.L,cache=none,msize=262144 out /out
# shellcheck source=/dev/null
. /out/.vm/config
kver=$(</proc/sys/kernel/osrelease)
log "stage 2 up, kernel $kver"

# Every message up to KERN_INFO on the console, so the host sees warnings.
echo "7 4 1 7" >/proc/sys/kernel/printk
echo "$name" >/proc/sys/kernel/hostname
RMEM_NCOMPUTE=${RMEM_NCOMPUTE:-1}
{
	echo "127.0.0.1 localhost"
	if [ "$role" = compute2 ]; then
		echo "10.79.0.1 compute"
		echo "10.79.0.2 compute2"
		for ((i = 1; i <= RMEM_NNODES; i++)); do echo "10.78.$i.2 mem$i"; done
	else
		echo "10.77.1.1 compute"
		for ((i = 1; i <= RMEM_NNODES; i++)); do echo "10.77.$i.2 mem$i"; done
		if [ "$RMEM_NCOMPUTE" = 2 ]; then
			if [ "$role" = compute ]; then
				echo "10.79.0.2 compute2"
			else
				echo "10.78.$idx.1 compute2"
			fi
		fi
	fi
} >/etc/hosts

# rmem.ko under extra/, with modules.* made by the host's depmod (rmem-vm).
# A memory guest booted on another kernel than the compute guests
# (rmem-vm --mem-kernel) has no rmem.ko: that kernel's own tree.
kmods=/lib/modules/$kver
moddir=$RMEM_MODDIR kmodsrc=$RMEM_KMODS
if [ "$kver" != "$RMEM_KERNEL" ] && [ "$kver" = "${RMEM_MEM_KERNEL:-}" ]; then
	moddir='' kmodsrc=$RMEM_MEM_KMODS
fi
if [ ! -e "$kmods" ]; then
	# A kernel the host has no /lib/modules tree for (--kernel debug): use
	# rmem-vm's depmod stage (which links to the kernel's tree), or without
	# rmem.ko the kernel's own tree.
	busybox mkdir -p /lib/modules
	busybox ln -s "${moddir:-$kmodsrc}" "$kmods"
elif [ -n "$moddir" ]; then
	for f in "$moddir"/modules.*; do
		[ -e "$kmods/${f##*/}" ] || : >"$kmods/${f##*/}"
		busybox mount --bind "$f" "$kmods/${f##*/}"
	done
	busybox mkdir -p "$kmods/extra"
	busybox mount --bind "$moddir/extra" "$kmods/extra"
fi
# Device nodes that load their module on open (/dev/loop-control, /dev/fuse...),
# as systemd-tmpfiles would make them from modules.devname.
while read -r mod node dev; do
	[[ $mod == \#* ]] || [ -e "/dev/$node" ] && continue
	[[ $node == */* ]] && busybox mkdir -p "/dev/${node%/*}"
	nums=${dev:1}
	busybox mknod "/dev/$node" "${dev:0:1}" "${nums%%:*}" "${nums##*:}" 2>/dev/null || true
done <"$kmods/modules.devname"
# The repository is read-only in the guest.
busybox mount --bind "$RMEM_SRC" "$RMEM_SRC"
busybox mount -o remount,bind,ro "$RMEM_SRC"

# ------------------------------------------------------------- network
# NIC i of the compute guest (mac 52:54:00:77:0i:01, 10.77.i.1) is linked to
# memory guest i (mac 52:54:00:77:0i:02, 10.77.i.2). With --compute-nodes 2,
# NIC i of compute2 (mac 52:54:00:78:0i:01, 10.78.i.1) is linked to a second
# NIC of memory guest i (mac 52:54:00:78:0i:02, 10.78.i.2), and the compute
# guest (mac 52:54:00:79:00:01, 10.79.0.1) to compute2 (mac
# 52:54:00:79:00:02, 10.79.0.2), that link without Soft-RoCE (it carries only
# the agent's commands).
modprobe virtio_net
ip link set lo up
ifname_of() {
	local d
	for d in /sys/class/net/*; do
		[ "$(<"$d/address")" = "$1" ] && { echo "${d##*/}"; return 0; }
	done
	return 1
}
for m in crc32_generic crc32c_generic crc32_pclmul crc32c_intel; do
	modprobe -q "$m" 2>/dev/null || true
done
modprobe rdma_rxe
modprobe rdma_ucm
# link_up NAME MAC ADDR [RXE]: the NIC with MAC gets ADDR/24 and, if given,
# the Soft-RoCE device RXE; NAME is for the log.
link_up() {
	local dev
	for ((t = 0; t < 50; t++)); do
		dev=$(ifname_of "$2") && break
		busybox sleep 0.1
	done
	[ -n "$dev" ] || { log "no NIC with mac $2"; return 1; }
	ip addr add "$3/24" dev "$dev"
	ip link set "$dev" up
	[ -z "${4:-}" ] || rdma link add "$4" type rxe netdev "$dev"
	log "link $1: $dev $3${4:+ $4}"
}
case "$role" in
compute)
	for ((i = 1; i <= RMEM_NNODES; i++)); do
		link_up "$i" "52:54:00:77:0$i:01" "10.77.$i.1" "rxe$((i - 1))"
	done
	[ "$RMEM_NCOMPUTE" = 1 ] || link_up compute2 52:54:00:79:00:01 10.79.0.1
	;;
compute2)
	for ((i = 1; i <= RMEM_NNODES; i++)); do
		link_up "$i" "52:54:00:78:0$i:01" "10.78.$i.1" "rxe$((i - 1))"
	done
	link_up compute 52:54:00:79:00:02 10.79.0.2
	;;
*)
	link_up "$idx" "52:54:00:77:0$idx:02" "10.77.$idx.2" rxe0
	[ "$RMEM_NCOMPUTE" = 1 ] || link_up "$idx-compute2" "52:54:00:78:0$idx:02" "10.78.$idx.2" rxe1
	;;
esac
ulimit -l unlimited

# The run's cluster key (rmem-vm draws one per run), where a host keeps it.
busybox mkdir -p /etc/rmem
install -m 600 /out/.vm/cluster.key /etc/rmem/cluster.key
RMEM_KEY_FILE=/etc/rmem/cluster.key
# The compute guests' key of published regions, which memory nodes never hold.
RMEM_REGION_KEY_FILE=
if [ "$role" != mem ]; then
	install -m 600 /out/.vm/region.key /etc/rmem/region.key
	RMEM_REGION_KEY_FILE=/etc/rmem/region.key
fi
# rmemd runs unprivileged, as its systemd unit makes it (daemon/rmemd.service:
# no capabilities, its own user): here as nobody, with an empty capability
# set, the key file its own, the verbs devices open to all as Debian's
# rdma-core udev rules make them, and /run/rmemd for its status socket.
# RMEMD_AS prefixes every rmemd the tests start (blk_lib.sh rmemd_restart).
RMEMD_AS="setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all"
if [ "$role" = mem ]; then
	chown nobody:nogroup "$RMEM_KEY_FILE"
	busybox mkdir -p /run/rmemd
	chown nobody:nogroup /run/rmemd
	chmod 0666 /dev/infiniband/uverbs* /dev/infiniband/rdma_cm 2>/dev/null || true
fi

# compute2 sees the memory nodes at its own addresses (RMEM_NODES2).
[ "$role" != compute2 ] || RMEM_NODES=$RMEM_NODES2
export RMEM_KERNEL RMEM_NODES RMEM_PORT RMEM_AGENT_PORT RMEM_TRANSPORT RMEM_SRC RMEM_NNODES RMEM_KEY_FILE RMEMD_AS
export RMEM_REGION_KEY_FILE
export RMEM_NCOMPUTE
[ "$RMEM_NCOMPUTE" = 1 ] || export RMEM_NODES2 RMEM_COMPUTE2
# set only when the host's environment had it (scripts/rmem-vm)
[ -z "${RMEM_DATA_DIV:-}" ] || export RMEM_DATA_DIV
[ -z "${RMEM_SHORT:-}" ] || export RMEM_SHORT
[ -z "${RMEM_CI:-}" ] || export RMEM_CI
export RMEM_OUT=/out
export RMEM_LIB=$RMEM_SRC/scripts/vm/guest-lib.sh
export PATH=$RMEM_SRC/daemon:$RMEM_SRC/tools:$RMEM_SRC/selftests:$PATH
# programs that take the place of the tree's (scripts/deb-test.sh: the packaged rmemctl)
[ -z "${RMEM_BIN_DIR:-}" ] || export RMEM_BIN_DIR PATH=$RMEM_BIN_DIR:$PATH
# shellcheck source=scripts/vm/guest-lib.sh
. "$RMEM_LIB"

# ------------------------------------------------------------- memory guest
if [ "$role" = mem ]; then
	setsid busybox nc -ll -p "$RMEM_AGENT_PORT" -e "$RMEM_SRC/scripts/vm/agent.sh" \
		</dev/null >/dev/null 2>&1 &
	if [ "$RMEM_NO_RMEMD" = 0 ]; then
		[ -x "$RMEM_SRC/daemon/rmemd" ] || { log "daemon/rmemd missing"; exit 1; }
		# shellcheck disable=SC2086 # RMEMD_AS is a command line
		setsid $RMEMD_AS rmemd --foreground --stderr --donate "$RMEM_DONATE" --listen "0.0.0.0:$RMEM_PORT" \
			--key-file "$RMEM_KEY_FILE" </dev/null >"/out/$name-rmemd.log" 2>&1 &
		rmemd_pid=$!
		for ((t = 0; t < 600; t++)); do
			rmem_port_open 127.0.0.1 "$RMEM_PORT" && break
			kill -0 "$rmemd_pid" 2>/dev/null || { log "rmemd exited (see $name-rmemd.log)"; exit 1; }
			busybox sleep 0.2
		done
		rmem_port_open 127.0.0.1 "$RMEM_PORT" || { log "rmemd does not listen"; exit 1; }
		log "rmemd --donate $RMEM_DONATE listening on :$RMEM_PORT"
	fi
	echo ok >"/out/.vm/$name.ready"
	log "ready"
	while [ ! -e /out/.vm/stop ]; do busybox sleep 0.5; done
	if [ -n "${rmemd_pid:-}" ] && kill -TERM "$rmemd_pid" 2>/dev/null; then
		for ((t = 0; t < 50; t++)); do
			kill -0 "$rmemd_pid" 2>/dev/null || break
			busybox sleep 0.2
		done
	fi
	log "powering off"
	done_ok=1
	exit 0
fi

# ------------------------------------------------------------- compute guests
# The key store of rmem.ko starts empty at every load: install the run's
# cluster key (tests that reload the module use rmem_modprobe, which does too).
if [ "$RMEM_NO_MODULE" = 0 ]; then
	modprobe rmem
	"$RMEM_SRC/tools/rmemctl" key add "$RMEM_KEY_FILE" >/dev/null
	log "rmem.ko loaded, cluster key installed"
fi
# wait_mem_ready: wait until every memory guest reported ready.
wait_mem_ready() {
	local i t r
	for ((i = 1; i <= RMEM_NNODES; i++)); do
		for ((t = 0; t < 1200; t++)); do [ -s "/out/.vm/mem$i.ready" ] && break; busybox sleep 0.5; done
		r="not ready after 600 s"
		[ -s "/out/.vm/mem$i.ready" ] && r=$(<"/out/.vm/mem$i.ready")
		[ "$r" = ok ] || { log "mem$i: $r"; return 1; }
	done
}

# compute2 serves the compute guest's script through its agent (rmem_on_compute2).
if [ "$role" = compute2 ]; then
	setsid busybox nc -ll -p "$RMEM_AGENT_PORT" -e "$RMEM_SRC/scripts/vm/agent.sh" \
		</dev/null >/dev/null 2>&1 &
	wait_mem_ready || exit 1
	if [ "$RMEM_NO_RMEMD" = 0 ] && [ "$RMEM_NNODES" -gt 0 ]; then
		rmem_wait_nodes 120 || { log "an rmemd does not answer on RMEM_NODES=$RMEM_NODES"; exit 1; }
	fi
	echo ok >"/out/.vm/$name.ready"
	log "ready"
	while [ ! -e "/out/.vm/$name.stop" ]; do busybox sleep 0.5; done
	log "powering off"
	done_ok=1
	exit 0
fi

if [ -n "$RMEM_DISK_SIZE" ]; then
	modprobe virtio_blk
	export RMEM_DISK=/dev/vda
	for ((t = 0; t < 50; t++)); do [ -b "$RMEM_DISK" ] && break; busybox sleep 0.1; done
fi
wait_mem_ready || exit 1
if [ "$RMEM_NO_RMEMD" = 0 ] && [ "$RMEM_NNODES" -gt 0 ]; then
	rmem_wait_nodes 120
fi
if [ "$RMEM_NCOMPUTE" = 2 ]; then
	for ((t = 0; t < 1200; t++)); do [ -s /out/.vm/compute2.ready ] && break; busybox sleep 0.5; done
	r="not ready after 600 s"
	[ -s /out/.vm/compute2.ready ] && r=$(</out/.vm/compute2.ready)
	[ "$r" = ok ] || { log "compute2: $r"; exit 1; }
	rmem_wait_port "$RMEM_COMPUTE2" "$RMEM_AGENT_PORT" 60 || { log "compute2's agent does not answer"; exit 1; }
fi
cd /tmp
if [ "$RMEM_SHELL" = 1 ]; then
	cat >/tmp/.rmem-shellrc <<-'EOF'
		. "$RMEM_LIB"
		PS1='[rmem-vm compute \W]# '
		echo "rmem-vm: RMEM_NODES='$RMEM_NODES' RMEM_TRANSPORT=$RMEM_TRANSPORT; exit to power off"
	EOF
	stty -F /dev/ttyS0 sane
	log "shell"
	rc=0
	setsid -c bash --rcfile /tmp/.rmem-shellrc -i </dev/ttyS0 >/dev/ttyS0 2>&1 || rc=$?
else
	log "running $RMEM_SCRIPT"
	rc=0
	bash "$RMEM_SCRIPT" "${RMEM_ARGS[@]}" </dev/null >/out/script.log 2>&1 || rc=$?
fi
echo "$rc" >/out/.vm/rc
log "script exit $rc"
done_ok=1
exit 0
