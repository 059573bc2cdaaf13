#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest-blk.sh: the benchmark itself, run in the compute guest by bench/run.sh
# through scripts/rmem-vm. In one pair of guests it sets up every device under
# test, then measures them side by side (runs interleaved, so drift of the
# emulated machine hits every device alike):
#
#   rmem-tcp   /dev/rmemblkN, a region on the memory guest's rmemd, over TCP
#   nvme-tcp   nvmet-tcp on the memory guest exporting a brd RAM disk
#   nvme-rdma  the same over nvmet-rdma / Soft-RoCE (rxe)
#   nbd        nbd-server on the memory guest exporting a file on tmpfs
#   brd        a RAM disk in the compute guest: the upper bound
#
# and, in the full run, perftest ib_read_lat/ib_read_bw, iperf3, and a swap
# workload under a cgroup memory limit. Setup is never timed. Everything
# goes to $RMEM_OUT/raw/ (fio JSON, perftest text, iperf3 JSON, swap JSON,
# meta.txt); bench/report.py turns it into tables and plots.
#
#   guest-blk.sh KEY=VALUE...   (see the defaults below; run.sh sets them)

set -uo pipefail
# shellcheck source=scripts/vm/guest-lib.sh
. "$RMEM_LIB"

# ---------------------------------------------------------------- settings
MODE=quick        # quick | full (only recorded)
SIZE=256          # MiB of every device under test; fio works over all of it
RUNS=1            # runs of every figure (median/min/max in the report)
RUNTIME=5         # seconds per fio run, after RAMP
RAMP=1            # seconds of fio ramp time, not counted
DEVS="rmem-tcp nvme-tcp nbd brd"
TESTS="randread-4k-qd1 randread-4k-qd16 randwrite-4k-qd1 randwrite-4k-qd16"
EXTRAS="iperf"    # any of: iperf perftest swap
SWAP_DEVS="unlimited rmem-tcp nvme-tcp nvme-rdma nbd zram disk"
SWAP_LIMIT=128M   # cgroup memory.max of the swap workload
SWAP_WS=256M      # its working set (rmem_pattern SIZE)
PATTERN=          # path of rmem_pattern (built by run.sh)
for kv in "$@"; do
	case "$kv" in
	MODE=* | SIZE=* | RUNS=* | RUNTIME=* | RAMP=* | DEVS=* | TESTS=* | EXTRAS=* | \
		SWAP_DEVS=* | SWAP_LIMIT=* | SWAP_WS=* | PATTERN=*)
		printf -v "${kv%%=*}" '%s' "${kv#*=}" ;;
	*) echo "guest-blk.sh: unknown setting '$kv'" >&2; exit 2 ;;
	esac
done

OUT=$RMEM_OUT/raw
mkdir -p "$OUT"/{fio,perftest,iperf,swap,state}
set -- $RMEM_NODES
ADDR=$1
# run.sh runs a copy of bench/ (so the tree can be edited meanwhile): the
# library beside this script, at the same path on the memory guests.
BENCH_LIB=$(cd "$(dirname "$0")" && pwd)/mem-lib.sh
# shellcheck source=bench/mem-lib.sh
. "$BENCH_LIB"
NQN_TCP=nqn.2026-11.io.rmem:bench-tcp
NQN_RDMA=nqn.2026-11.io.rmem:bench-rdma

declare -A DEV=() FAIL=()
t_start=$SECONDS
progress() { printf 'bench [%4ds] %s\n' $((SECONDS - t_start)) "$*"; rmem_kmsg "bench: $*"; }
has() { [[ " $1 " == *" $2 "* ]]; }
meta() { printf '%s=%s\n' "$1" "$2" >>"$OUT/meta.txt"; }
fail() {
	FAIL[$1]=$2
	progress "$1: FAILED: $2"
	printf '%s\t%s\n' "$1" "$2" >>"$OUT/failed.tsv"
}

# bounded SEC CMD...: run CMD with a deadline. A process stuck in the kernel
# (D state, e.g. a hung NVMe-oF queue) cannot be killed: it is abandoned
# after SIGKILL so the run goes on. Returns CMD's status, or 124.
bounded() {
	local sec=$1 p end
	shift
	"$@" &
	p=$!
	end=$((SECONDS + sec))
	while kill -0 "$p" 2>/dev/null; do
		if [ "$SECONDS" -ge "$end" ]; then
			kill -TERM "$p" 2>/dev/null
			sleep 2
			kill -KILL "$p" 2>/dev/null
			sleep 1
			kill -0 "$p" 2>/dev/null || wait "$p" 2>/dev/null
			return 124
		fi
		sleep 0.2
	done
	wait "$p"
}

# new_blockdev BEFORE PATTERN: the first /sys/block entry matching PATTERN
# that is not in the list BEFORE, as /dev/NAME (made if udev is absent).
new_blockdev() {
	local b n mm
	for _ in $(seq 100); do
		for b in /sys/block/$2; do
			# hidden per-path nodes of NVMe multipath (nvmeXcYnZ) have no dev
			[ -e "$b/dev" ] || continue
			n=${b##*/}
			has "$1" "$n" && continue
			if [ ! -b "/dev/$n" ]; then
				mm=$(cat "$b/dev") && mknod "/dev/$n" b "${mm%%:*}" "${mm##*:}"
			fi
			echo "/dev/$n"
			return 0
		done
		sleep 0.2
	done
	return 1
}
blocks() { ls /sys/block | tr '\n' ' '; }

: >"$OUT/meta.txt"
: >"$OUT/failed.tsv"
meta mode "$MODE"
meta kernel "$(uname -r)"
meta size_mib "$SIZE"
meta runs "$RUNS"
meta runtime_s "$RUNTIME"
meta ramp_s "$RAMP"
meta compute_mem_mib $(($(awk '/MemTotal/ { print $2 }' /proc/meminfo) / 1024))
meta compute_cpus "$(nproc)"
meta memory_mem_mib $(($(rmem_on 1 "awk '/MemTotal/ { print \$2 }' /proc/meminfo") / 1024))
meta fio "$(fio --version)"
meta devices "$DEVS"
meta tests "$TESTS"

# ---------------------------------------------------------------- setup
setup_rmem_tcp() {
	local before out
	command -v rmemctl >/dev/null || { fail rmem-tcp "rmemctl not found (not built?)"; return; }
	rmem_wait_nodes 60 || { fail rmem-tcp "rmemd on $ADDR:$RMEM_PORT not reachable"; return; }
	out=$(rmemctl node add "$ADDR:$RMEM_PORT" transport tcp 2>&1) ||
		{ fail rmem-tcp "rmemctl node add: $out"; return; }
	before=$(blocks)
	out=$(rmemctl region add bench size "${SIZE}M" 2>&1) ||
		{ fail rmem-tcp "rmemctl region add: $out"; return; }
	DEV[rmem-tcp]=$(new_blockdev "$before" 'rmemblk*') ||
		{ fail rmem-tcp "no /sys/block/rmemblk* after region add"; return; }
}

# setup_nvme NAME TRTYPE NQN RAMDEV PORTID SVCID
setup_nvme() {
	local name=$1 tr=$2 nqn=$3 ram=$4 pid=$5 svc=$6 out before rc
	out=$(rmem_on 1 ". $BENCH_LIB; bench_brd 2 $SIZE && bench_nvmet_export $nqn $ram $tr $pid $ADDR $svc" 2>&1) ||
		{ fail "$name" "target setup on mem1: $(echo "$out" | tail -n 2 | tr '\n' ' ')"; return; }
	modprobe "nvme-$tr" || { fail "$name" "modprobe nvme-$tr"; return; }
	before=$(blocks)
	# Generous keep-alive and loss timeouts: the guests are emulated (VM.md).
	out=$(bounded 90 nvme connect -t "$tr" -a "$ADDR" -s "$svc" -n "$nqn" \
		--keep-alive-tmo=60 --ctrl-loss-tmo=60 --reconnect-delay=5 2>&1)
	rc=$?
	[ "$rc" = 0 ] || { fail "$name" "nvme connect (rc $rc): $(echo "$out" | tail -n 1)"; return; }
	DEV[$name]=$(new_blockdev "$before" 'nvme*n*') ||
		{ fail "$name" "connected but no namespace block device appeared"; return; }
}

setup_nbd() {
	local out rc
	out=$(rmem_on 1 ". $BENCH_LIB; bench_nbd_export bench $SIZE" 2>&1) ||
		{ fail nbd "nbd-server on mem1: $(echo "$out" | tail -n 2 | tr '\n' ' ')"; return; }
	modprobe nbd nbds_max=4 || { fail nbd "modprobe nbd"; return; }
	for _ in $(seq 50); do [ -b /dev/nbd0 ] && break; sleep 0.1; done
	out=$(bounded 60 nbd-client "$ADDR" /dev/nbd0 -N bench -b 4096 2>&1)
	rc=$?
	[ "$rc" = 0 ] || { fail nbd "nbd-client (rc $rc): $(echo "$out" | tail -n 1)"; return; }
	DEV[nbd]=/dev/nbd0
}

setup_brd() {
	bench_brd 1 "$SIZE" >/dev/null || { fail brd "modprobe brd"; return; }
	DEV[brd]=/dev/ram0
}

# fio_common DEV NAME: the options every fio run shares.
fio_common() {
	echo --name="$2" --filename="$1" --direct=1 --ioengine=libaio --numjobs=1 \
		--group_reporting --size="${SIZE}M" --output-format=json
}

# Prefill: so that reads hit written data everywhere (rmem answers reads of
# never-written blocks locally with zeros; brd and tmpfs holes do the same).
prefill() {
	local d=$1 rc
	progress "$d: prefill ${SIZE} MiB on ${DEV[$d]}"
	# shellcheck disable=SC2046
	bounded $((SIZE + 120)) fio $(fio_common "${DEV[$d]}" prefill) --rw=write --bs=1M \
		--iodepth=8 --output="$OUT/state/prefill-$d.json" >/dev/null 2>"$OUT/state/prefill-$d.err"
	rc=$?
	[ "$rc" = 0 ] || fail "$d" "prefill failed (rc $rc): $(tail -n 1 "$OUT/state/prefill-$d.err")"
}

progress "mode $MODE: devices [$DEVS], tests [$TESTS], $RUNS run(s) x ${RUNTIME}s (+${RAMP}s ramp), ${SIZE} MiB each"
for d in $DEVS; do
	progress "$d: setting up"
	case "$d" in
	rmem-tcp) setup_rmem_tcp ;;
	nvme-tcp) setup_nvme nvme-tcp tcp "$NQN_TCP" /dev/ram0 1 4420 ;;
	nvme-rdma) setup_nvme nvme-rdma rdma "$NQN_RDMA" /dev/ram1 2 4421 ;;
	nbd) setup_nbd ;;
	brd) setup_brd ;;
	*) fail "$d" "unknown device" ;;
	esac
	[ -n "${FAIL[$d]:-}" ] && continue
	progress "$d: ${DEV[$d]}"
	prefill "$d"
done
for d in $DEVS; do meta "dev.$d" "${DEV[$d]:-none}"; done
if [ -n "${DEV[rmem-tcp]:-}" ]; then
	rmemctl -j node show >"$OUT/state/rmem-node-before.json" 2>&1
	rmemctl -j region show >"$OUT/state/rmem-region-before.json" 2>&1
fi

# ---------------------------------------------------------------- fio
# test_args TEST: fio options of a test name (pattern-bs-qdN).
test_args() {
	local rw bs qd
	IFS=- read -r rw bs qd <<<"$1"
	echo --rw="$rw" --bs="$bs" --iodepth="${qd#qd}"
}

fio_run() {
	local d=$1 t=$2 r=$3 f c0 c1 m0 m1 rc
	f=$OUT/fio/$t/$d.r$r
	mkdir -p "$OUT/fio/$t"
	c0=$(bench_cpu)
	m0=$(rmem_on 1 ". $BENCH_LIB; bench_cpu" 2>/dev/null)
	# Who uses the CPUs once fio is past its ramp: top on both guests.
	(sleep "$RAMP"; top -b -d 2 -n 2 >"$f.compute.top" 2>&1) &
	rmem_on 1 "(sleep $RAMP; top -b -d 2 -n 2) </dev/null >$f.mem1.top 2>&1 &" >/dev/null 2>&1
	# shellcheck disable=SC2046
	bounded $((RUNTIME + RAMP + 90)) fio $(fio_common "${DEV[$d]}" "$t") $(test_args "$t") \
		--time_based --runtime="$RUNTIME" --ramp_time="$RAMP" --norandommap --randrepeat=0 \
		--output="$f.json" >/dev/null 2>"$f.err"
	rc=$?
	c1=$(bench_cpu)
	m1=$(rmem_on 1 ". $BENCH_LIB; bench_cpu" 2>/dev/null)
	# CPU busy share of each guest over the run (setup included: ~1 s).
	echo "compute $c0 $c1" >"$f.cpu"
	echo "mem1 $m0 $m1" >>"$f.cpu"
	[ -s "$f.err" ] || rm -f "$f.err"
	if [ "$rc" != 0 ]; then
		fail "$d" "fio $t run $r failed (rc $rc${rc/124/, timed out})"
		echo failed >"$OUT/state/last"
		return 1
	fi
	python3 - "$f.json" >"$OUT/state/last" <<-'EOF' 2>/dev/null
		import json, sys
		j = json.load(open(sys.argv[1]))["jobs"][0]
		for k in ("read", "write"):
		    s = j[k]
		    if s["io_bytes"]:
		        p = s["clat_ns"].get("percentile", {})
		        print("%s %.0f IOPS %.1f MB/s p50 %.0f us p99 %.0f us" % (k, s["iops"], s["bw_bytes"] / 1e6,
		              p.get("50.000000", 0) / 1e3, p.get("99.000000", 0) / 1e3))
	EOF
}

nfio=0
for t in $TESTS; do for d in $DEVS; do nfio=$((nfio + 1)); done; done
nfio=$((nfio * RUNS))
i=0
for ((r = 1; r <= RUNS; r++)); do
	for t in $TESTS; do
		for d in $DEVS; do
			i=$((i + 1))
			[ -n "${FAIL[$d]:-}" ] && continue
			fio_run "$d" "$t" "$r"
			progress "fio $i/$nfio run $r $t $d: $(tr '\n' ' ' <"$OUT/state/last")"
		done
	done
done
# ---------------------------------------------------------------- profile
# perf on both guests during an extra randread/randwrite QD16 run of each
# network device (not counted in the figures: perf costs CPU under TCG).
if has "$EXTRAS" profile && command -v perf >/dev/null; then
	mkdir -p "$OUT/profile"
	echo 0 >/proc/sys/kernel/kptr_restrict
	echo -1 >/proc/sys/kernel/perf_event_paranoid
	rmem_on 1 'echo 0 >/proc/sys/kernel/kptr_restrict; echo -1 >/proc/sys/kernel/perf_event_paranoid' >/dev/null 2>&1
	for t in randread-4k-qd16 randwrite-4k-qd16; do
		for d in $DEVS; do
			[ "$d" = brd ] || [ -n "${FAIL[$d]:-}" ] && continue
			p=$OUT/profile/$t-$d
			# perf starts slowly under TCG: start it first, give it 5 s, and
			# let it cover the whole fio run (6 s + ramp).
			rmem_on 1 "(perf record -a -g -e cpu-clock -o /tmp/perf.data -- sleep $((RAMP + 14)) >/dev/null 2>&1; perf report -i /tmp/perf.data --stdio --no-children --sort comm,dso,sym 2>/dev/null | grep -v '^$' | head -n 400 >$p.mem1.txt) </dev/null >/dev/null 2>&1 &" >/dev/null 2>&1
			(perf record -a -g -e cpu-clock -o /tmp/perf.data -- sleep $((RAMP + 14)) >/dev/null 2>&1
			 perf report -i /tmp/perf.data --stdio --no-children --sort comm,dso,sym 2>/dev/null |
				grep -v '^$' | head -n 400 >"$p.compute.txt") &
			sleep 5
			# shellcheck disable=SC2046
			bounded $((RUNTIME + RAMP + 90)) fio $(fio_common "${DEV[$d]}" "$t") $(test_args "$t") \
				--time_based --runtime=$((RAMP + 6)) --norandommap --randrepeat=0 \
				--output="$p.fio.json" >/dev/null 2>&1
			wait
			sleep 5 # perf report on the memory guest
			progress "profile $t $d: raw/profile/$(basename "$p").{compute,mem1}.txt"
		done
	done
fi

if [ -n "${DEV[rmem-tcp]:-}" ]; then
	rmemctl -j node show >"$OUT/state/rmem-node-after.json" 2>&1
	rmemctl -j region show >"$OUT/state/rmem-region-after.json" 2>&1
	rmemctl node show >"$OUT/state/rmem-node-after.txt" 2>&1
	rmemctl region show >"$OUT/state/rmem-region-after.txt" 2>&1
fi

# ---------------------------------------------------------------- iperf3
if has "$EXTRAS" iperf; then
	if command -v iperf3 >/dev/null; then
		rmem_on 1 'iperf3 -s -D' >/dev/null 2>&1
		rmem_wait_port "$ADDR" 5201 20
		for ((r = 1; r <= RUNS; r++)); do
			bounded 60 iperf3 -c "$ADDR" -t "$RUNTIME" -J >"$OUT/iperf/tcp.r$r.json" 2>/dev/null
			progress "iperf3 run $r: $(python3 -c 'import json,sys; print("%.0f Mbit/s" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e6))' "$OUT/iperf/tcp.r$r.json" 2>/dev/null || echo failed)"
		done
		rmem_on 1 'pkill -x iperf3' >/dev/null 2>&1
	else
		progress "iperf3 not installed: no TCP figure"
	fi
fi

# ---------------------------------------------------------------- perftest
# ib_read_lat / ib_read_bw over rxe, rdma_cm connection (-R), between the guests.
if has "$EXTRAS" perftest; then
	rdev=$(rmem_rdma_dev 1)
	for tool in ib_read_lat ib_read_bw; do
		for sz in 4096 2097152; do
			n=1000
			[ "$sz" -gt 65536 ] && n=20
			for ((r = 1; r <= RUNS; r++)); do
				f=$OUT/perftest/$tool-$sz.r$r.txt
				rmem_on 1 "pkill -x $tool" >/dev/null 2>&1
				rmem_on_bg 1 "$tool-$sz-r$r" "$tool -R -d rxe0 -s $sz -n $n"
				ok=0
				for _ in 1 2 3 4 5; do
					sleep 1
					if bounded 120 "$tool" -R -d "$rdev" -s "$sz" -n "$n" "$ADDR" >"$f" 2>&1; then
						ok=1
						break
					fi
				done
				line=$(awk -v s="$sz" '$1 == s { print; exit }' "$f")
				progress "$tool ${sz}B run $r: ${line:-failed (see raw/perftest/$(basename "$f"))}"
				[ "$ok" = 1 ] || echo "FAILED" >>"$f"
			done
		done
	done
	rmem_on 1 'pkill -x ib_read_lat; pkill -x ib_read_bw' >/dev/null 2>&1
fi

# ---------------------------------------------------------------- swap
# rmem_pattern writes an address-derived pattern over SWAP_WS and verifies it,
# in a cgroup limited to SWAP_LIMIT, with swap on one device at a time.
swap_dev() {
	case "$1" in
	unlimited) echo none ;;
	zram)
		modprobe zram num_devices=1 >/dev/null 2>&1 || return 1
		[ -b /dev/zram0 ] || return 1
		cat /sys/block/zram0/disksize | grep -qx 0 && echo "${SIZE}M" >/sys/block/zram0/disksize
		echo /dev/zram0 ;;
	disk) [ -n "${RMEM_DISK:-}" ] && [ -b "$RMEM_DISK" ] && echo "$RMEM_DISK" ;;
	*) [ -n "${DEV[$1]:-}" ] && [ -z "${FAIL[$1]:-}" ] && echo "${DEV[$1]}" ;;
	esac
}

if has "$EXTRAS" swap; then
	if [ ! -x "$PATTERN" ]; then
		progress "swap: rmem_pattern not built ($PATTERN): skipped"
		echo "swap	rmem_pattern not built" >>"$OUT/failed.tsv"
	else
		meta swap_limit "$SWAP_LIMIT"
		meta swap_ws "$SWAP_WS"
		swapoff -a 2>/dev/null
		for ((r = 1; r <= RUNS; r++)); do
			for s in $SWAP_DEVS; do
				sd=$(swap_dev "$s") || sd=
				if [ -z "$sd" ]; then
					[ "$r" = 1 ] && progress "swap $s: no device, skipped" &&
						printf 'swap-%s\tno device\n' "$s" >>"$OUT/failed.tsv"
					continue
				fi
				if [ "$sd" != none ]; then
					mkswap "$sd" >/dev/null 2>&1 && swapon "$sd" ||
						{ progress "swap $s: swapon $sd failed"; continue; }
				fi
				rmem_drop_caches
				pi0=$(awk '/^pswpin / { print $2 }' /proc/vmstat)
				po0=$(awk '/^pswpout / { print $2 }' /proc/vmstat)
				t0=$(date +%s.%N)
				if [ "$sd" = none ]; then
					bounded 1800 "$PATTERN" "$SWAP_WS" >"$OUT/swap/$s.r$r.out" 2>&1
				else
					bounded 1800 rmem_limited "$SWAP_LIMIT" "$PATTERN" "$SWAP_WS" \
						>"$OUT/swap/$s.r$r.out" 2>&1
				fi
				rc=$?
				t1=$(date +%s.%N)
				pi1=$(awk '/^pswpin / { print $2 }' /proc/vmstat)
				po1=$(awk '/^pswpout / { print $2 }' /proc/vmstat)
				[ "$sd" = none ] || swapoff "$sd"
				sec=$(echo "$t1 - $t0" | bc)
				printf '{"device": "%s", "run": %d, "seconds": %s, "rc": %d, "pswpin": %d, "pswpout": %d}\n' \
					"$s" "$r" "$sec" "$rc" $((pi1 - pi0)) $((po1 - po0)) >"$OUT/swap/$s.r$r.json"
				progress "swap run $r $s ($sd): ${sec}s rc $rc, swapped out $(((po1 - po0) / 256)) MiB, in $(((pi1 - pi0) / 256)) MiB"
			done
		done
	fi
fi

# ---------------------------------------------------------------- teardown
progress "teardown"
grep -h . /sys/block/rmemblk*/inflight 2>/dev/null | head -n 1 >/dev/null
[ -n "${DEV[nbd]:-}" ] && bounded 30 nbd-client -d /dev/nbd0 >/dev/null 2>&1
for nqn in "$NQN_TCP" "$NQN_RDMA"; do
	bounded 30 nvme disconnect -n "$nqn" >/dev/null 2>&1
done
if [ -n "${DEV[rmem-tcp]:-}" ]; then
	bounded 30 rmemctl region del bench >/dev/null 2>&1
fi
dmesg >"$OUT/state/compute-dmesg.txt" 2>/dev/null
progress "done"
exit 0
