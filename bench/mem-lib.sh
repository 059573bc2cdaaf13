#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Exports that the benchmark sets up on a memory guest, run there through
# rmem_on (guest-lib.sh) by bench/guest-blk.sh:
#     rmem_on 1 ". $RMEM_SRC/bench/mem-lib.sh; bench_nvmet_export ..."
# Each function prints what went wrong and returns non-zero on failure.

# bench_brd COUNT SIZE_MIB: COUNT RAM disks /dev/ram0.. of SIZE_MIB each.
bench_brd() {
	[ -b /dev/ram0 ] && return 0
	modprobe brd rd_nr="$1" rd_size=$(($2 * 1024)) || return 1
	for _ in $(seq 50); do [ -b "/dev/ram$(($1 - 1))" ] && return 0; sleep 0.1; done
	echo "brd: /dev/ram$(($1 - 1)) did not appear"
	return 1
}

# bench_nvmet_export NQN DEVICE TRTYPE PORTID ADDR SVCID: export DEVICE as
# namespace 1 of subsystem NQN on an nvmet port (configfs).
bench_nvmet_export() {
	local nqn=$1 dev=$2 tr=$3 pid=$4 addr=$5 svc=$6 cfs=/sys/kernel/config/nvmet
	modprobe nvmet || return 1
	modprobe "nvmet-$tr" || return 1
	# guest-init.sh mounts configfs before anything loaded the configfs
	# module, so the mount can have failed: mount it now.
	mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
	[ -d "$cfs" ] || { echo "no $cfs (configfs not mounted?)"; return 1; }
	mkdir -p "$cfs/subsystems/$nqn/namespaces/1" || return 1
	echo 1 >"$cfs/subsystems/$nqn/attr_allow_any_host" || return 1
	echo "$dev" >"$cfs/subsystems/$nqn/namespaces/1/device_path" || return 1
	echo 1 >"$cfs/subsystems/$nqn/namespaces/1/enable" || return 1
	bench_nvmet_port "$nqn" "$tr" "$pid" "$addr" "$svc"
}

# bench_nvmet_port NQN TRTYPE PORTID ADDR SVCID: one more nvmet port (at
# another address of this guest, e.g. the link to a second compute guest)
# for subsystem NQN, exported by bench_nvmet_export first.
bench_nvmet_port() {
	local nqn=$1 tr=$2 pid=$3 addr=$4 svc=$5 cfs=/sys/kernel/config/nvmet
	mkdir -p "$cfs/ports/$pid" || return 1
	echo "$tr" >"$cfs/ports/$pid/addr_trtype" || return 1
	echo ipv4 >"$cfs/ports/$pid/addr_adrfam" || return 1
	echo "$addr" >"$cfs/ports/$pid/addr_traddr" || return 1
	echo "$svc" >"$cfs/ports/$pid/addr_trsvcid" || return 1
	ln -s "$cfs/subsystems/$nqn" "$cfs/ports/$pid/subsystems/$nqn" || return 1
}

# bench_nbd_export NAME SIZE_MIB: nbd-server exporting a file on its own tmpfs.
bench_nbd_export() {
	local name=$1 size=$2 dir=/run/bench-nbd
	mkdir -p "$dir"
	mountpoint -q "$dir" || mount -t tmpfs -o size=$((size + 16))m tmpfs "$dir" || return 1
	truncate -s "${size}M" "$dir/$name.img" || return 1
	printf '[generic]\n[%s]\nexportname = %s\n' "$name" "$dir/$name.img" >"$dir/nbd.conf"
	nbd-server -C "$dir/nbd.conf" || return 1
}

# bench_cpu: "busy total" jiffies of the whole guest, from /proc/stat.
bench_cpu() {
	awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}

# bench_perf_report PERF_DATA: what bench/guest-blk.sh keeps of a profile:
# the busy samples by command, module and symbol, as shares of the busy time
# (the idle loop left out: under TCG most samples land there), then the top
# call graphs.
bench_perf_report() {
	local total idle
	perf report -i "$1" --stdio --no-children -g none --sort comm,dso,sym \
		--percent-limit 0 2>/dev/null | grep -E '^ +[0-9.]+%' >"$1.flat"
	idle=$(awk '/ (native_safe_halt|pv_native_safe_halt|default_idle|amd_e400_idle|acpi_idle_do_entry|intel_idle|cpu_idle_poll)$/ { s += $1 } END { printf "%.2f", s }' "$1.flat")
	total=$(awk '{ s += $1 } END { printf "%.2f", s }' "$1.flat")
	echo "# busy samples: $(echo "$total - $idle" | bc)% of all (idle loop: $idle%)"
	echo "# share of busy time | comm | dso | symbol"
	awk -v busy="$(echo "$total - $idle" | bc)" '
		!/ (native_safe_halt|pv_native_safe_halt|default_idle|amd_e400_idle|acpi_idle_do_entry|intel_idle|cpu_idle_poll)$/ && busy > 0 {
			$1 = sprintf("%6.2f%%", 100 * $1 / busy); print }' "$1.flat" | head -n 120
	echo
	echo "# call graphs (entries above 1 % of all samples)"
	perf report -i "$1" --stdio --no-children -G --sort comm,dso,sym --percent-limit 1 \
		2>/dev/null | grep -v '^$' | head -n 400
}
