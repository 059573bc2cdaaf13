#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: build everything, boot a compute guest and a memory guest in
# QEMU (scripts/rmem-vm), and show rmem at work inside the compute guest:
# the module, the daemon on the memory guest and rmemctl talking.
#
#   scripts/demo.sh [--kernel 6.1|6.12]     (host: build, boot, narrate)
#   scripts/demo.sh --guest                 (run by rmem-vm in the guest)
#
# The compute guest has 256 MiB of RAM; a workload of twice that runs to
# completion with its pages swapped to the memory guest's DRAM. Takes a few
# minutes under TCG. Serial logs of both guests end up in build/demo/.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

# ------------------------------------------------------------------ guest
if [ "${1:-}" = --guest ]; then
	node=${RMEM_NODES%% *}
	failed=0
	say() { printf '\n### %s\n' "$*"; }
	# show [--may-fail] CMD...: echo the command, run it, report its status.
	show() {
		local may_fail=0 rc
		[ "$1" = --may-fail ] && { may_fail=1; shift; }
		printf '$ %s\n' "$*"
		"$@"
		rc=$?
		if [ $rc -ne 0 ]; then
			if [ $may_fail = 1 ]; then
				echo "(exit $rc: tolerated: this part of rmem is still being built)"
			else
				echo "(exit $rc: FAILED)"
				failed=1
			fi
		fi
	}
	say "compute guest: Linux $(uname -r), $(awk '/MemTotal/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo) RAM; memory node(s): ${RMEM_NODES:-none}"
	say "rmem.ko is loaded; it registered the generic netlink family \"rmem\""
	echo '$ lsmod | grep rmem'
	lsmod | grep -E '^(Module|rmem)'
	say "rmemctl asks the module for its version and features"
	show rmemctl version
	show rmemctl -j version
	say "...and for its status"
	show rmemctl status
	say "rmemd donates memory on the memory guest $node; its port answers:"
	if timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$node" "${RMEM_PORT:-7471}" 2>/dev/null; then
		echo "$node:${RMEM_PORT:-7471} is open"
	else
		echo "$node:${RMEM_PORT:-7471} does not answer"
	fi
	say "the cluster key: rmemd on $node and rmem.ko here hold the same one (rmemctl key add $RMEM_KEY_FILE at load)"
	show rmemctl key list
	say "attach the memory node to this compute node: each side proves it holds the key"
	show rmemctl node add "$node" timeout 60s
	show rmemctl node show
	say "carve a 1 GiB block region out of remote memory and swap on it"
	dev=/dev/$(rmemctl region add swap size 1G)
	show rmemctl region show
	show mkswap "$dev"
	show swapon "$dev"
	show swapon --show
	ram=$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)
	say "a workload of $((ram * 2)) MiB, twice this guest's RAM, writes a pattern and verifies it"
	( peak=0; while :; do
		u=$(awk '/SwapTotal/ { t = $2 } /SwapFree/ { f = $2 } END { print int((t - f) / 1024) }' /proc/meminfo)
		[ "$u" -gt "$peak" ] && peak=$u && echo "$peak" >/tmp/demo-peak
		sleep 1
	done ) &
	sampler=$!
	show rmem_pattern "$((ram * 2))M"
	kill $sampler 2>/dev/null
	say "peak swap use: $(cat /tmp/demo-peak 2>/dev/null || echo 0) MiB on $dev (RAM: $ram MiB)"
	show rmemctl node show
	show rmemctl region show
	show swapoff "$dev"
	show rmemctl region del swap
	say "kernel messages from rmem"
	dmesg | grep 'rmem: ' | tail -n 15
	echo
	if [ $failed = 0 ]; then
		echo "demo: done"
	else
		echo "demo: a step that must work failed (see above)"
	fi
	exit $failed
fi

# ------------------------------------------------------------------ host
kernel=6.1
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=${2:?--kernel needs 6.1 or 6.12}; shift ;;
	-h | --help) sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "demo: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

cd "$root" || exit 1
mkdir -p build/demo
kver=$(scripts/kver.sh "$kernel") || exit 1
echo "demo: building rmem.ko for $kver, rmemd and rmemctl (log: build/demo/build.log)"
{
	make --no-print-directory modules-all KVERS_ALL="$kver" &&
		make --no-print-directory -C daemon &&
		make --no-print-directory -C tools &&
		make --no-print-directory -C selftests
} >build/demo/build.log 2>&1 || {
	tail -n 20 build/demo/build.log
	echo "demo: build failed (log: build/demo/build.log)" >&2
	exit 1
}
echo "demo: booting a 256 MiB compute guest + 1 memory guest (kernel $kver, QEMU TCG)"
exec flock /tmp/rmem-vm.lock scripts/rmem-vm --kernel "$kernel" --memory-nodes 1 \
	--compute-mem 256 --memory-mem 1536 --donate 1024M --logdir build/demo \
	--timeout 1200 scripts/demo.sh --guest
