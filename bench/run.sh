#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/run.sh: rmem against the alternatives, side by side in one run
# (make bench / make bench-quick). Boots one compute guest and one memory
# guest through scripts/rmem-vm, runs bench/guest-blk.sh in them, then
# bench/report.py writes bench/results/<date>-<kernel>.md, the plots and
# bench/results/<date>-<kernel>/summary.json (every figure the report uses:
# what git keeps); the raw data stays in build/bench/<date>-<kernel>/raw/.
# See bench/README.md.
#
#   bench/run.sh [--quick] [--kernel 6.1|6.12]
#   bench/run.sh --replica [--transport tcp|rdma] [--kernel 6.1|6.12]
#   bench/run.sh --crypt [--transport tcp|rdma] [--kernel 6.1|6.12]
#   bench/run.sh --same [--transport tcp|rdma] [--kernel 6.1|6.12]
#   bench/run.sh --zerocopy [--kernel 6.1|6.12]
#   bench/run.sh --shared [--quick] [--transport tcp|rdma] [--kernel 6.1|6.12]
#
# --replica (make bench-replica): one copy against two, on two memory guests
# over one transport: fio on both regions, the longest I/O when a node dies
# under load, the rebuild rate against iperf3, and crc32c's cost per page.
# --crypt (make bench-crypt): what page encryption costs: a region with it
# (the default) against one without, on one memory node over one transport,
# fio 4 KiB QD1/QD16 and the swap workload; what authentication costs on
# the data path: the region without encryption against the same on an rmemd
# run with --auth none (fio only); and like for like against NVMe-oF over
# the same transport: encrypted against NVMe-oF under dm-crypt (aes-xts-plain64,
# 4 KiB sectors: rmem's cipher and data unit), not encrypted against plain
# NVMe-oF.
# --same (make bench-same): same-filled page elision: the swap workload with
# a quarter of its pages same-filled (BENCH_SWAP_SAME, %; in runs of 64
# pages, BENCH_SWAP_SAME_RUN: 1 scatters them) on a region with
# it (the default) and one without (same_filled=0), against NVMe-oF over
# the same transport; fio 4 KiB random writes (random data: the check's
# cost where nothing is elided).
# --zerocopy (make bench-zerocopy): TCP write data sent zero-copy (the
# default) against copied (module parameter tcp_zerocopy=0), on one region
# each on the same node, a third without encryption (zero-copy on, the
# fair match for NVMe-oF, which does not encrypt), against NVMe-oF TCP:
# fio writes (4 KiB QD1/QD16, 1 MiB QD4) and the swap workload.
# --shared (make bench-shared): one copy, many compute nodes: two compute
# guests load the same 256 MiB index at the same time from a published rmem
# region (attached on both), from NVMe-oF (one RAM disk namespace, both
# connected) and by copying it over TCP into their own RAM: MiB/s per
# guest, memory held, time until the second guest can read. 3 runs
# (--quick: 1).
#
# Environment overrides (for experiments; the defaults are the benchmark):
#   BENCH_KERNEL BENCH_RUNS BENCH_RUNTIME BENCH_RAMP BENCH_SIZE BENCH_DEVS
#   BENCH_TESTS BENCH_EXTRAS BENCH_SWAP_DEVS BENCH_SWAP_LIMIT BENCH_SWAP_WS BENCH_SWAP_SAME
#   BENCH_SWAP_SAME_RUN
#   BENCH_REDIS_DEVS BENCH_REDIS_WS BENCH_REDIS_GETS BENCH_PROFILE_DEVS
#   BENCH_PROFILE_TESTS BENCH_PCAP_DEVS BENCH_PCAP_TESTS BENCH_PERFTEST_SIZES BENCH_TIMEOUT
#   BENCH_MMAP_SIZE BENCH_MMAP_CHUNKS BENCH_MMAP_RAND BENCH_MMAP_TRANSPORTS
#   BENCH_SHARED_WAYS (rmem nvme copy) BENCH_SHARED_CHUNK (2M)
#   BENCH_LOCK (default /tmp/rmem-vm.lock: guest runs never overlap; another
#   path skips the wait, e.g. for debugging beside a long run: the figures
#   are then distorted)
set -euo pipefail

# The whole script is one compound command, parsed before it runs: editing
# this file while a bench runs (an hour) cannot break that run.
{

REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$REPO"
say() { printf 'bench: %s\n' "$*" >&2; }

quick=0 replica=0 crypt=0 same=0 zerocopy=0 shared=0 transport=tcp
kernel=${BENCH_KERNEL:-6.1}
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 ;;
	--replica) replica=1 ;;
	--crypt) crypt=1 ;;
	--same) same=1 ;;
	--zerocopy) zerocopy=1 ;;
	--shared) shared=1 ;;
	--transport) transport=${2:?--transport needs a value}; shift ;;
	--kernel) kernel=${2:?--kernel needs a value}; shift ;;
	-h | --help) sed -n '3,54p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) say "unknown argument $1"; exit 2 ;;
	esac
	shift
done

all_devs="rmem-tcp rmem-rdma nvme-tcp nvme-rdma nbd brd"
case $transport in tcp | rdma) ;; *) say "--transport must be tcp or rdma"; exit 2 ;; esac
nodes=1 computes=1 donate_extra=0 swap_devs='' swap_same=0 swap_same_run=1
if [ "$shared" = 1 ]; then
	# ~20 min under TCG (quick: ~10): three guests; no fio. Each compute
	# guest holds the index once (made on compute 1) and a copy; the memory
	# guest the published region (in the donation), a RAM disk and a copy.
	mode=shared size=256 runs=3 runtime=0 ramp=0 devs='' tests='' extras=shared
	perftest_sizes=4096 cmem=1536 mmem=2048 timeout=3600 computes=2
	[ "$quick" = 1 ] && runs=1 timeout=1800
elif [ "$replica" = 1 ]; then
	# ~12 min under TCG: one copy (mem1) against two (mem1 + mem2), 3 runs
	mode=replica size=256 runs=3 runtime=5 ramp=1 devs="rmem-$transport rmem-$transport-r2"
	tests="randread-4k-qd1 randread-4k-qd16 randwrite-4k-qd1 randwrite-4k-qd16"
	extras="iperf swap replica" perftest_sizes=4096 cmem=2048 mmem=2048 timeout=2400
	swap_devs="unlimited rmem-$transport rmem-$transport-r2"
	# mem1 holds both regions' first copies
	nodes=2 donate_extra=$size
elif [ "$crypt" = 1 ]; then
	# ~20 min under TCG: a region with encryption (the default) against one
	# without, on one memory node, and that one against the same on an
	# rmemd with --auth none (authentication's cost); like for like against
	# NVMe-oF, encrypted (dm-crypt, the same cipher) and not, 3 runs
	mode=crypt size=256 runs=3 runtime=5 ramp=1
	devs="rmem-$transport rmem-$transport-clear rmem-$transport-noauth nvme-$transport"
	devs="$devs nvme-$transport-crypt"
	tests="randread-4k-qd1 randread-4k-qd16 randwrite-4k-qd1 randwrite-4k-qd16"
	# mem1 runs up to three rmemd: the harness', the RDMA one, the noauth one
	extras="swap profile" perftest_sizes=4096 cmem=2048 mmem=3072 timeout=3000
	swap_devs="unlimited rmem-$transport rmem-$transport-clear nvme-$transport"
	swap_devs="$swap_devs nvme-$transport-crypt"
	# where the compute guest's CPU goes, each pair alike (raw/profile/)
	profile_devs="rmem-$transport rmem-$transport-clear nvme-$transport nvme-$transport-crypt"
	profile_tests="randread-4k-qd16 randwrite-4k-qd16"
	# mem1 holds both regions
	donate_extra=$size
elif [ "$same" = 1 ]; then
	# ~15 min under TCG: same-filled elision on and off, and NVMe-oF, 3 runs
	mode=same size=256 runs=3 runtime=5 ramp=1
	devs="rmem-$transport rmem-$transport-nosame nvme-$transport"
	tests="randwrite-4k-qd1 randwrite-4k-qd16"
	extras="swap" perftest_sizes=4096 cmem=2048 mmem=2048 timeout=2400
	swap_devs="unlimited rmem-$transport rmem-$transport-nosame nvme-$transport"
	swap_same=25 swap_same_run=64
	# mem1 holds both rmem regions
	donate_extra=$size
elif [ "$zerocopy" = 1 ]; then
	# ~20 min under TCG: zero-copy TCP sends on and off, a region without
	# encryption (zero-copy on), and NVMe-oF, 3 runs
	[ "$transport" = tcp ] || { say "--zerocopy is about TCP sends: no --transport"; exit 2; }
	mode=zerocopy size=256 runs=3 runtime=5 ramp=1
	devs="rmem-tcp rmem-tcp-nozc rmem-tcp-clear nvme-tcp"
	tests="randwrite-4k-qd1 randwrite-4k-qd16 write-1m-qd4"
	extras="swap" perftest_sizes=4096 cmem=2048 mmem=3072 timeout=3000
	swap_devs="unlimited rmem-tcp rmem-tcp-nozc rmem-tcp-clear nvme-tcp"
	# mem1 holds the three rmem regions
	donate_extra=$((2 * size))
elif [ "$quick" = 1 ]; then
	# ~5-7 min: 4 KiB random only, one run, perftest at 4 KiB only
	mode=quick size=128 runs=1 runtime=5 ramp=1 devs=$all_devs
	tests="randread-4k-qd1 randread-4k-qd16 randwrite-4k-qd1 randwrite-4k-qd16"
	extras="iperf perftest mmap" perftest_sizes=4096 cmem=2048 mmem=2048 timeout=1200
else
	# ~40 min under TCG on 2 cores: 3 runs of everything (median, min, max)
	mode=full size=256 runs=3 runtime=5 ramp=1 devs=$all_devs
	tests="randread-4k-qd1 randread-4k-qd16 randwrite-4k-qd1 randwrite-4k-qd16 read-1m-qd4 write-1m-qd4"
	extras="iperf perftest mmap swap redis profile pcap" perftest_sizes="4096 2097152"
	cmem=2048 mmem=3072 timeout=3600
fi
swap_devs=${BENCH_SWAP_DEVS:-$swap_devs}
profile_devs=${BENCH_PROFILE_DEVS:-${profile_devs:-}}
profile_tests=${BENCH_PROFILE_TESTS:-${profile_tests:-}}
swap_same=${BENCH_SWAP_SAME:-$swap_same}
swap_same_run=${BENCH_SWAP_SAME_RUN:-$swap_same_run}
size=${BENCH_SIZE:-$size}
runs=${BENCH_RUNS:-$runs}
runtime=${BENCH_RUNTIME:-$runtime}
ramp=${BENCH_RAMP:-$ramp}
devs=${BENCH_DEVS:-$devs}
tests=${BENCH_TESTS-$tests}
extras=${BENCH_EXTRAS-$extras}
timeout=${BENCH_TIMEOUT:-$timeout}
perftest_sizes=${BENCH_PERFTEST_SIZES:-$perftest_sizes}
disk=()
[[ $extras == *swap* || $extras == *redis* ]] && disk=(--disk 1G)
shared_opts=()
[[ $extras == *shared* ]] && shared_opts=(SHARED_TRANSPORT="$transport"
	${BENCH_SHARED_WAYS:+SHARED_WAYS="$BENCH_SHARED_WAYS"}
	${BENCH_SHARED_CHUNK:+SHARED_CHUNK="$BENCH_SHARED_CHUNK"})
lock=${BENCH_LOCK:-/tmp/rmem-vm.lock}
if [[ $extras == *mmap* ]]; then
	# expert load of mmap regions (guest-mmap.sh): quick, the two target
	# figures only (2M load, 4K random faults on a small region)
	if [ "$quick" = 1 ]; then
		mmap_chunks="2M 4K:16" mmap_rand=500
	else
		mmap_chunks="4K:64 64K 2M" mmap_rand=2000
	fi
	# the mmap regions' own rmemd donates more than any other node has
	# free, plus one region; the ratios need ib_read_bw 2 MiB
	mmem=$((mmem + ${BENCH_MMAP_SIZE:-$size} + 512))
	[ -n "${BENCH_PERFTEST_SIZES:-}" ] || perftest_sizes="4096 2097152"
	[ -n "${BENCH_TIMEOUT:-}" ] || timeout=$((timeout + 600 * runs))
fi

# ---------------------------------------------------------------- build
scripts/deps-bench.sh
# rmem.ko is built by rmem-vm; rmemd and rmemctl here, so the guests run the
# current sources. A failure is not fatal: the guest script records the
# device it affects as failed, and the other devices are still measured.
make -C daemon --no-print-directory >/dev/null 2>&1 || say "warning: make -C daemon failed"
if [ -e tools/Makefile ]; then
	make -C tools --no-print-directory >/dev/null 2>&1 || say "warning: make -C tools failed"
fi
[ -x tools/rmemctl ] || say "warning: tools/rmemctl is not built: rmem will be reported as failed"
mkdir -p build/bench
pattern=$REPO/build/bench/rmem_pattern
if [[ $extras == *swap* ]] && { [ ! -x "$pattern" ] || [ selftests/rmem_pattern.c -nt "$pattern" ]; }; then
	gcc -O2 -Wall -o "$pattern" selftests/rmem_pattern.c || say "warning: cannot build rmem_pattern"
fi

mmap_load=$REPO/build/bench/mmap-load
if [[ $extras == *mmap* || $extras == *shared* ]] &&
	{ [ ! -x "$mmap_load" ] || [ bench/mmap-load.c -nt "$mmap_load" ]; }; then
	gcc -O2 -Wall -Iinclude -o "$mmap_load" bench/mmap-load.c || say "warning: cannot build mmap-load"
fi

KVER=$(scripts/kver.sh "$kernel") || { say "no kernel '$kernel'"; exit 2; }
stamp=$(date +%Y%m%d-%H%M)
name=$stamp-$KVER
logdir=$REPO/build/bench/$name
result=$REPO/bench/results/$name
mkdir -p "$logdir" "$REPO/bench/results"

# The guests run a copy of the scripts: bash reads a script as it goes, so
# editing bench/ during a long run would otherwise break it.
mkdir -p "$logdir/bench-src"
cp bench/guest-blk.sh bench/mem-lib.sh bench/redis-fill.lua "$logdir/bench-src/"
cp bench/guest-mmap.sh bench/guest-shared.sh "$logdir/bench-src/"

say "$mode run on $KVER: devices [$devs], $runs run(s) x ${runtime}s; logs in $logdir"
say "waiting for $lock (other guest runs finish first)"
# Other QEMU guests on this 2-core host distort every figure: sample the host
# while the benchmark runs, for the report (scripts that skip the lock exist).
sampler() {
	while :; do
		# only once our guests are up (rmem-vm has the lock and made compute.log)
		[ -e "$logdir/compute.log" ] &&
			printf '%s %s %s\n' "$(date +%s)" "$(cut -d' ' -f1 /proc/loadavg)" \
			"$(pgrep -c -x qemu-system-x86 || true)"
		sleep 5
	done
}
rc=0
( sampler >"$logdir/host-load.txt" ) &
sampler_pid=$!
# "|| true": the EXIT trap's status would otherwise become the script's
# (the sampler is already gone by then: make bench-quick exited 1).
trap 'kill $sampler_pid 2>/dev/null || true' EXIT
flock "$lock" scripts/rmem-vm --kernel "$kernel" --compute-mem "$cmem" --memory-mem "$mmem" \
	--memory-nodes "$nodes" --compute-nodes "$computes" --donate "$((size + donate_extra + 256))M" --timeout "$timeout" \
	--logdir "$logdir" "${disk[@]}" \
	"$logdir/bench-src/guest-blk.sh" MODE="$mode" SIZE="$size" RUNS="$runs" RUNTIME="$runtime" \
	RAMP="$ramp" DEVS="$devs" TESTS="$tests" EXTRAS="$extras" PATTERN="$pattern" \
	PERFTEST_SIZES="$perftest_sizes" \
	${swap_devs:+SWAP_DEVS="$swap_devs"} \
	${BENCH_SWAP_LIMIT:+SWAP_LIMIT="$BENCH_SWAP_LIMIT"} \
	${BENCH_SWAP_WS:+SWAP_WS="$BENCH_SWAP_WS"} SWAP_SAME="$swap_same" SWAP_SAME_RUN="$swap_same_run" \
	${BENCH_REDIS_DEVS:+REDIS_DEVS="$BENCH_REDIS_DEVS"} \
	${BENCH_REDIS_WS:+REDIS_WS="$BENCH_REDIS_WS"} \
	${BENCH_REDIS_GETS:+REDIS_GETS="$BENCH_REDIS_GETS"} \
	${profile_devs:+PROFILE_DEVS="$profile_devs"} \
	${profile_tests:+PROFILE_TESTS="$profile_tests"} \
	${BENCH_PCAP_DEVS:+PCAP_DEVS="$BENCH_PCAP_DEVS"} \
	${BENCH_PCAP_TESTS:+PCAP_TESTS="$BENCH_PCAP_TESTS"} \
	MMAP_LOAD="$mmap_load" \
	${BENCH_MMAP_SIZE:+MMAP_SIZE="$BENCH_MMAP_SIZE"} \
	MMAP_CHUNKS="${BENCH_MMAP_CHUNKS:-${mmap_chunks:-}}" MMAP_RAND="${BENCH_MMAP_RAND:-${mmap_rand:-0}}" \
	${BENCH_MMAP_TRANSPORTS:+MMAP_TRANSPORTS="$BENCH_MMAP_TRANSPORTS"} "${shared_opts[@]}" || rc=$?
[ "$rc" = 0 ] || say "warning: the guest run ended with status $rc (partial results follow)"
[ -d "$logdir/raw" ] || { say "no results in $logdir/raw"; exit 1; }

# ---------------------------------------------------------------- report
# The raw data stays in build/ ($logdir/raw); the report, the plots and
# summary.json go to bench/results/.
mkdir -p "$result"
cp "$logdir/script.log" "$logdir/raw/guest-script.log" 2>/dev/null || true
kill "$sampler_pid" 2>/dev/null || true
cp "$logdir/host-load.txt" "$logdir/raw/"
for f in "$logdir"/mem1-*.log "$logdir"/compute2-*.log "$logdir"/*-dmesg.log; do
	[ -e "$f" ] && cp "$f" "$logdir/raw/"
done
dirty=no
[ -z "$(git status --porcelain 2>/dev/null)" ] || dirty=yes
bench/report.py "$result" --raw "$logdir/raw" \
	date="$(date -u '+%Y-%m-%d %H:%M UTC')" \
	commit="$(git rev-parse HEAD 2>/dev/null || echo unknown)" dirty="$dirty" \
	machine="$(uname -srm), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)" \
	cpus="$(nproc), $(($(awk '/MemTotal/ { print $2 }' /proc/meminfo) / 1048576)) GiB RAM" \
	qemu="$(qemu-system-x86_64 --version | head -n1)" >/dev/null
say "report: bench/results/$name.md"
echo
cat "$result.md"
exit "$rc"
}
