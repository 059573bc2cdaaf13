#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest-blk.sh: the benchmark itself, run in the compute guest by bench/run.sh
# through scripts/rmem-vm. In one pair of guests it sets up every device under
# test, then measures them side by side (runs interleaved, so drift of the
# emulated machine hits every device alike):
#
#   rmem-tcp   /dev/rmemblkN, a region on the memory guest's rmemd, over TCP
#   rmem-rdma  the same over RDMA (rdma_cm, one-sided READ/WRITE on rxe),
#              served by a second rmemd on the memory guest (port 7472), so
#              that each region's slabs sit behind exactly one transport
#   nvme-tcp   nvmet-tcp on the memory guest exporting a brd RAM disk
#   nvme-rdma  the same over nvmet-rdma / Soft-RoCE (rxe)
#   nvme-tcp-crypt, nvme-rdma-crypt  dm-crypt on the nvme-TRANSPORT
#              namespace (aes-xts-plain64, 4 KiB sectors, a random 512-bit
#              key): NVMe-oF with the encryption rmem does by default (xts(aes),
#              one 4 KiB unit per page, its index the tweak), the like-for-like
#              match for an encrypted rmem region (run.sh --crypt). It
#              shares the namespace with nvme-TRANSPORT, measured in turn
#   nbd        nbd-server on the memory guest exporting a file on tmpfs
#   brd        a RAM disk in the compute guest: the upper bound
#   rmem-tcp-r2, rmem-rdma-r2  a region with 2 copies: the first on the
#              rmem-TRANSPORT node (mem1), the second on mem2 (run.sh
#              --replica boots the second memory guest)
#   rmem-tcp-clear, rmem-rdma-clear  a region with encrypt off, on the
#              rmem-TRANSPORT node (the other rmem devices use the default,
#              encrypt on): what page encryption costs (run.sh --crypt)
#   rmem-tcp-nosame, rmem-rdma-nosame  a region on the rmem-TRANSPORT node,
#              measured with the module parameter same_filled=0 (the other
#              devices: 1, the default): what same-filled page elision
#              gives (run.sh --same, with SWAP_SAME > 0)
#   rmem-tcp-nozc  a region on the rmem-tcp node, measured with the module
#              parameter tcp_zerocopy=0 (the other devices: 1, the
#              default): what zero-copy sends give (run.sh --zerocopy)
#   rmem-tcp-noauth, rmem-rdma-noauth  a region with encrypt off on a third
#              rmemd on the memory guest (port 7473) run with --auth none:
#              against rmem-TRANSPORT-clear (the same, authenticated with
#              the cluster key), what authentication costs on the data path
#
# and (EXTRAS) perftest ib_read_lat/ib_read_bw, iperf3, swap workloads under
# a cgroup memory limit (the verifying page writer rmem_pattern, and
# redis-server driven by redis-benchmark), perf profiles, packet timing of
# the TCP devices (where a request's time goes: compute guest, link, memory
# node). Setup is never
# timed. Everything goes to $RMEM_OUT/raw/ (fio JSON, perftest text, iperf3
# JSON, swap and redis JSON, meta.txt, failed.tsv); bench/report.py turns it
# into tables and plots. EXTRAS=replica (with an -r2 device): crc32c's cost
# per page (tcrypt), and on each -r2 device a node dying under fio (the
# longest I/O) and the rebuild once it is back (its rate). EXTRAS=shared
# (with a second compute guest, run.sh --shared): one index loaded by both
# compute guests, through a published rmem region, NVMe-oF and a copy
# (bench/guest-shared.sh).
#
#   guest-blk.sh KEY=VALUE...   (see the defaults below; run.sh sets them)

set -uo pipefail
# shellcheck source=scripts/vm/guest-lib.sh
. "$RMEM_LIB"

has() { [[ " $1 " == *" $2 "* ]]; }

# ---------------------------------------------------------------- settings
MODE=quick        # quick | full (only recorded)
SIZE=256          # MiB of every device under test (a multiple of 64: rmem slabs)
RUNS=1            # runs of every figure (median/min/max in the report)
RUNTIME=5         # seconds per fio run, after RAMP
RAMP=1            # seconds of fio ramp time, not counted
DEVS="rmem-tcp rmem-rdma nvme-tcp nvme-rdma nbd brd"
TESTS="randread-4k-qd1 randread-4k-qd16 randwrite-4k-qd1 randwrite-4k-qd16"
EXTRAS="iperf"    # any of: iperf perftest swap redis profile pcap mmap replica shared
SWAP_DEVS="unlimited rmem-tcp rmem-rdma nvme-tcp nvme-rdma zram disk"
SWAP_LIMIT=80M    # cgroup memory.max of the swap workloads
SWAP_WS=160M      # rmem_pattern's working set (about 2x the limit)
SWAP_SAME=0       # % of its pages same-filled (one word; half of them zero)
SWAP_SAME_RUN=1   # in runs of this many pages (1: scattered)
REDIS_DEVS=       # swap devices of the redis workload (default SWAP_DEVS)
REDIS_WS=160M     # redis data set: REDIS_WS / 4 KiB keys of 4000-byte values
REDIS_GETS=4000   # GETs timed per run (uniform random keys, 8 clients)
PROFILE_TESTS=randread-4k-qd16                      # EXTRAS=profile: perf during
PROFILE_DEVS="rmem-tcp rmem-rdma nvme-tcp nvme-rdma"  # one more run of these
PCAP_TESTS="randread-4k-qd1 randwrite-4k-qd1"  # EXTRAS=pcap: tcpdump on both
PCAP_DEVS="rmem-tcp nvme-tcp nbd"               # guests during one more run
PERFTEST_SIZES="4096 2097152"  # EXTRAS=perftest: message sizes
MEM_RDMA_DEV=${MEM_RDMA_DEV:-rxe0}  # the memory node's RDMA device (perftest server)
PATTERN=          # path of rmem_pattern (built by run.sh)
for kv in "$@"; do
	case "$kv" in
	MODE=* | SIZE=* | RUNS=* | RUNTIME=* | RAMP=* | DEVS=* | TESTS=* | EXTRAS=* | \
		SWAP_DEVS=* | SWAP_LIMIT=* | SWAP_WS=* | SWAP_SAME=* | SWAP_SAME_RUN=* | REDIS_DEVS=* | REDIS_WS=* | REDIS_GETS=* | \
		PROFILE_TESTS=* | PROFILE_DEVS=* | PCAP_TESTS=* | PCAP_DEVS=* | PERFTEST_SIZES=* | \
		PATTERN=*)
		printf -v "${kv%%=*}" '%s' "${kv#*=}" ;;
	MMAP_*) printf -v "${kv%%=*}" '%s' "${kv#*=}" ;;  # EXTRAS=mmap: see guest-mmap.sh
	SHARED_*) printf -v "${kv%%=*}" '%s' "${kv#*=}" ;;  # EXTRAS=shared: see guest-shared.sh
	*) echo "guest-blk.sh: unknown setting '$kv'" >&2; exit 2 ;;
	esac
done
REDIS_DEVS=${REDIS_DEVS:-$SWAP_DEVS}
# rmem-tcp is set up (and prefilled) before rmem-rdma: see setup_rmem.
if has "$DEVS" rmem-tcp && has "$DEVS" rmem-rdma; then
	DEVS=$(echo " $DEVS " | sed 's/ rmem-tcp / /; s/ rmem-rdma / rmem-tcp rmem-rdma /')
	DEVS=$(echo $DEVS)
fi

OUT=$RMEM_OUT/raw
mkdir -p "$OUT"/{fio,perftest,iperf,swap,redis,replica,state}
set -- $RMEM_NODES
ADDR=$1
# run.sh runs a copy of bench/ (so the tree can be edited meanwhile): the
# library beside this script, at the same path on the memory guests.
BENCH_LIB=$(cd "$(dirname "$0")" && pwd)/mem-lib.sh
# shellcheck source=bench/mem-lib.sh
. "$BENCH_LIB"
# jget, region_field, dev_wait: the selftests' helpers (the tree over 9p)
# shellcheck source=selftests/blk_lib.sh
. "$RMEM_SRC/selftests/blk_lib.sh"
NQN_TCP=nqn.2026-11.io.rmem:bench-tcp
NQN_RDMA=nqn.2026-11.io.rmem:bench-rdma

declare -A DEV=() FAIL=()
t_start=$SECONDS
progress() { printf 'bench [%4ds] %s\n' $((SECONDS - t_start)) "$*"; rmem_kmsg "bench: $*"; }
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
meta memory_guests "${RMEM_NNODES:-1}"
meta memory_mem_mib $(($(rmem_on 1 "awk '/MemTotal/ { print \$2 }' /proc/meminfo") / 1024))
meta fio "$(fio --version)"
meta devices "$DEVS"
meta tests "$TESTS"

# ---------------------------------------------------------------- setup
# setup_rmem tcp|rdma: a node and a region "bench-TRANSPORT" of SIZE MiB.
# A node is an address and a port, and the region's slabs go to the live node
# with the most free slabs. So each transport gets its own rmemd: the
# harness' (port RMEM_PORT) for TCP, a second one started here on port
# RDMA_PORT for RDMA, donating more than the first one has left once
# rmem-tcp is prefilled, so every slab of bench-rdma lands behind RDMA.
# The placement is checked after the prefill (check_rmem_placement).
RDMA_PORT=7472
setup_rmem() {
	local tr=$1 name=rmem-$1 port=$RMEM_PORT before out donate try
	command -v rmemctl >/dev/null || { fail "$name" "rmemctl not found (not built?)"; return; }
	if [ "$tr" = rdma ]; then
		port=$RDMA_PORT
		donate=$SIZE
		# the first copy of rmem-rdma-r2 goes here too, and rmem-rdma-clear
		has "$DEVS" rmem-rdma-r2 && donate=$((donate + SIZE))
		has "$DEVS" rmem-rdma-clear && donate=$((donate + SIZE))
		has "$DEVS" rmem-rdma-nosame && donate=$((donate + SIZE))
		donate=$(((donate + 384 + 63) / 64 * 64))
		rmem_on_bg 1 rmemd-rdma "rmemd --foreground --stderr --donate ${donate}M" \
			"--listen 0.0.0.0:$port --ctl-socket /run/rmemd-rdma.sock --key-file $RMEM_KEY_FILE" >/dev/null
	fi
	add_rmem_node "$name" "$ADDR" "$port" "$tr" || return
	add_rmem_region "$name" "bench-$tr"
}

# add_rmem_node NAME ADDR PORT TRANSPORT [OPTION...]: rmemctl node add, or
# fail NAME.
add_rmem_node() {
	local name=$1 addr=$2 port=$3 tr=$4 out try
	shift 4
	rmem_wait_port "$addr" "$port" 60 2>/dev/null ||
		{ fail "$name" "rmemd on $addr:$port not reachable"; return 1; }
	# rmemd sets up its rdma_cm listener before its TCP port listens, so an
	# open TCP port means RDMA connects are accepted. The retries stay as
	# belt and braces (an rmemd older than that, a slow rxe under TCG).
	for try in 1 2 3 4 5 6; do
		out=$(bounded 120 rmemctl node add "$addr:$port" transport "$tr" timeout 60s "$@" 2>&1) &&
			return 0
		[ "$try" = 6 ] &&
			{ fail "$name" "rmemctl node add $addr:$port transport $tr: $(echo "$out" | tail -n 1)"; return 1; }
		sleep 2
	done
}

# add_rmem_region NAME REGION [OPTION...]: a region of SIZE MiB as DEV[NAME].
add_rmem_region() {
	local name=$1 region=$2 before out
	shift 2
	before=$(blocks)
	out=$(bounded 60 rmemctl region add "$region" size "${SIZE}M" "$@" 2>&1) ||
		{ fail "$name" "rmemctl region add: $(echo "$out" | tail -n 1)"; return; }
	DEV[$name]=$(new_blockdev "$before" 'rmemblk*') ||
		{ fail "$name" "no /sys/block/rmemblk* after region add"; return; }
}

# setup_rmem_r2 tcp|rdma: region "bench-TRANSPORT-r2" with 2 copies. The
# rmem-TRANSPORT node (set up first) takes one, a node on mem2 (the
# harness' rmemd there) the other: with exactly two nodes of the transport,
# every extent has a copy on each memory guest.
setup_rmem_r2() {
	local tr=$1 name=rmem-$1-r2 addr2
	# shellcheck disable=SC2086
	set -- $RMEM_NODES
	addr2=${2:-}
	[ -n "$addr2" ] || { fail "$name" "needs a second memory guest (bench/run.sh --replica)"; return; }
	[ -n "${DEV[rmem-$tr]:-}" ] || { fail "$name" "needs rmem-$tr (its node holds the first copy)"; return; }
	add_rmem_node "$name" "$addr2" "$RMEM_PORT" "$tr" || return
	add_rmem_region "$name" "bench-$tr-r2" replicas 2
}

# setup_rmem_beside tcp|rdma VARIANT [OPTION...]: region
# "bench-TRANSPORT-VARIANT" (region add OPTIONs) on the rmem-TRANSPORT node:
# -clear (encrypt off), -nosame (measured with same_filled=0), -nozc
# (measured with tcp_zerocopy=0; dev_params).
# Run it with no other transport's node (run.sh --crypt, --same), or its
# slabs may go elsewhere (check_rmem_placement says so).
setup_rmem_beside() {
	local tr=$1 name=rmem-$1-$2
	shift 2
	[ -n "${DEV[rmem-$tr]:-}" ] || { fail "$name" "needs rmem-$tr (its node holds the region)"; return; }
	add_rmem_region "$name" "bench-${name#rmem-}" "$@"
}

# dev_params DEV: rmem's module parameters while DEV is measured:
# same_filled 0 for an -nosame device, else 1 (the default); in the
# zerocopy mode tcp_zerocopy 0 for an -nozc device, else 1 (elsewhere the
# module's default).
dev_params() {
	local p=/sys/module/rmem/parameters
	[ -w "$p/same_filled" ] && if [[ $1 == *-nosame ]]; then echo 0; else echo 1; fi >"$p/same_filled"
	[ "$MODE" = zerocopy ] && [ -w "$p/tcp_zerocopy" ] &&
		if [[ $1 == *-nozc ]]; then echo 0; else echo 1; fi >"$p/tcp_zerocopy"
	return 0
}

# setup_rmem_noauth tcp|rdma: region "bench-TRANSPORT-noauth", encrypt off,
# on a third rmemd on mem1 run with --auth none (port NOAUTH_PORT) and added
# with 'auth none'. It donates more than the rmem-TRANSPORT node has left
# once rmem-TRANSPORT and rmem-TRANSPORT-clear are prefilled (set it up
# after them), so every slab of its region lands there.
NOAUTH_PORT=7473
setup_rmem_noauth() {
	local tr=$1 name=rmem-$1-noauth donate
	[ -n "${DEV[rmem-$tr]:-}" ] || { fail "$name" "needs rmem-$tr (set up first)"; return; }
	donate=$(((SIZE + 384 + 63) / 64 * 64))
	rmem_on_bg 1 rmemd-noauth "rmemd --foreground --stderr --donate ${donate}M" \
		"--listen 0.0.0.0:$NOAUTH_PORT --ctl-socket /run/rmemd-noauth.sock --auth none" >/dev/null
	add_rmem_node "$name" "$ADDR" "$NOAUTH_PORT" "$tr" auth none || return
	add_rmem_region "$name" "bench-$tr-noauth" encrypt off
}

# check_rmem_placement NAME: every slab of NAME's region is on NAME's node
# (on both nodes for an -r2 device; on the 'auth none' node for -noauth).
check_rmem_placement() {
	local name=$1 tr=${1#rmem-} n p want=1
	[[ $name == *-r2 ]] && want=2
	n=$(region_field "bench-$tr" nodes 2>/dev/null)
	case "$n" in
	"$want") ;;
	'' | *[!0-9]*) progress "$name: cannot read the region's node count (placement not checked)" ;;
	*) fail "$name" "region bench-$tr spans $n nodes, not $want: figures would be mixed" ;;
	esac
	if [[ $name == *-noauth ]]; then
		p=$(region_field "bench-$tr" placement 2>/dev/null)
		[ "$(node_field "${p%%=*}" auth 2>/dev/null)" = none ] ||
			fail "$name" "region bench-$tr is not on the 'auth none' node (placement $p)"
	fi
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

# setup_dmcrypt NAME BASE: dm-crypt over DEV[BASE] as DEV[NAME]; BASE is set
# up first. The same cipher, key length and data unit as rmem's page
# encryption (kmod/rmem-crypt.c), computed on the compute guest as rmem's is.
setup_dmcrypt() {
	local name=$1 base=$2 key sectors out
	[ -n "${DEV[$base]:-}" ] || { fail "$name" "needs $base (set up first)"; return; }
	command -v dmsetup >/dev/null || { fail "$name" "dmsetup not found (make deps-bench)"; return; }
	modprobe dm-crypt 2>/dev/null || { fail "$name" "modprobe dm-crypt"; return; }
	key=$(od -An -tx1 -N64 /dev/urandom | tr -d ' \n')
	sectors=$(blockdev --getsz "${DEV[$base]}") || { fail "$name" "blockdev --getsz ${DEV[$base]}"; return; }
	out=$(dmsetup create "bench-$name" --table \
		"0 $sectors crypt aes-xts-plain64 $key 0 ${DEV[$base]} 0 1 sector_size:4096" 2>&1) ||
		{ fail "$name" "dmsetup create: $(echo "$out" | tail -n 1)"; return; }
	dmsetup mknodes "bench-$name" >/dev/null 2>&1
	[ -b "/dev/mapper/bench-$name" ] || { fail "$name" "no /dev/mapper/bench-$name"; return; }
	DEV[$name]=/dev/mapper/bench-$name
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
	rmem-tcp) setup_rmem tcp ;;
	rmem-rdma) setup_rmem rdma ;;
	rmem-tcp-r2) setup_rmem_r2 tcp ;;
	rmem-rdma-r2) setup_rmem_r2 rdma ;;
	rmem-tcp-clear) setup_rmem_beside tcp clear encrypt off ;;
	rmem-rdma-clear) setup_rmem_beside rdma clear encrypt off ;;
	rmem-tcp-nosame) setup_rmem_beside tcp nosame ;;
	rmem-rdma-nosame) setup_rmem_beside rdma nosame ;;
	rmem-tcp-nozc) setup_rmem_beside tcp nozc ;;
	rmem-tcp-noauth) setup_rmem_noauth tcp ;;
	rmem-rdma-noauth) setup_rmem_noauth rdma ;;
	nvme-tcp) setup_nvme nvme-tcp tcp "$NQN_TCP" /dev/ram0 1 4420 ;;
	nvme-rdma) setup_nvme nvme-rdma rdma "$NQN_RDMA" /dev/ram1 2 4421 ;;
	nvme-tcp-crypt) setup_dmcrypt nvme-tcp-crypt nvme-tcp ;;
	nvme-rdma-crypt) setup_dmcrypt nvme-rdma-crypt nvme-rdma ;;
	nbd) setup_nbd ;;
	brd) setup_brd ;;
	*) fail "$d" "unknown device" ;;
	esac
	[ -n "${FAIL[$d]:-}" ] && continue
	progress "$d: ${DEV[$d]}"
	prefill "$d"
done
RMEM_DEVS="rmem-tcp rmem-rdma rmem-tcp-r2 rmem-rdma-r2 rmem-tcp-clear rmem-rdma-clear
	rmem-tcp-nosame rmem-rdma-nosame rmem-tcp-nozc rmem-tcp-noauth rmem-rdma-noauth"
for d in $RMEM_DEVS; do
	[ -n "${DEV[$d]:-}" ] && [ -z "${FAIL[$d]:-}" ] && check_rmem_placement "$d"
done
# The regions' encryption, as the module says (meta.txt: the report's).
for d in $RMEM_DEVS; do
	[ -n "${DEV[$d]:-}" ] && meta "encrypt.$d" "$(region_field "bench-${d#rmem-}" encrypt 2>/dev/null)"
done
for d in $DEVS; do meta "dev.$d" "${DEV[$d]:-none}"; done
rmem_state() {
	[ -n "${DEV[rmem-tcp]:-}${DEV[rmem-rdma]:-}${DEV[rmem-tcp-r2]:-}${DEV[rmem-rdma-r2]:-}" ] || return 0
	rmemctl -j node show >"$OUT/state/rmem-node-$1.json" 2>&1
	rmemctl -j region show >"$OUT/state/rmem-region-$1.json" 2>&1
	rmemctl node show >"$OUT/state/rmem-node-$1.txt" 2>&1
	rmemctl region show >"$OUT/state/rmem-region-$1.txt" 2>&1
}
rmem_state before

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
	dev_params "$d"
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
# perf on both guests during an extra run of PROFILE_TESTS on each of
# PROFILE_DEVS (not counted in the figures: perf costs CPU under TCG).
if has "$EXTRAS" profile && command -v perf >/dev/null; then
	mkdir -p "$OUT/profile"
	echo 0 >/proc/sys/kernel/kptr_restrict
	echo -1 >/proc/sys/kernel/perf_event_paranoid
	rmem_on 1 'echo 0 >/proc/sys/kernel/kptr_restrict; echo -1 >/proc/sys/kernel/perf_event_paranoid' >/dev/null 2>&1
	for t in $PROFILE_TESTS; do
		for d in $DEVS; do
			has "$PROFILE_DEVS" "$d" && [ -z "${FAIL[$d]:-}" ] || continue
			p=$OUT/profile/$t-$d
			# perf starts slowly under TCG, at times longer than a fio
			# run (a fixed 5 s head start left profiles of the idle
			# guest): its workload touches /tmp/perf.ready once the
			# counters run, and fio starts when both guests have it,
			# for 6 s + ramp of the perf's 14 s + ramp.
			# A flat profile of the busy samples (the idle loop left out and
			# the rest renormalised: under TCG most samples land in the
			# idle loop), then the call graphs of the top entries.
			rec="perf record -a -g -e cpu-clock -o /tmp/perf.data -- sh -c 'touch /tmp/perf.ready; exec sleep $((RAMP + 14))'"
			rmem_on 1 "rm -f /tmp/perf.ready; ($rec >/dev/null 2>&1; . $BENCH_LIB; bench_perf_report /tmp/perf.data >$p.mem1.txt) </dev/null >/dev/null 2>&1 &" >/dev/null 2>&1
			rm -f /tmp/perf.ready
			(eval "$rec" >/dev/null 2>&1
			 bench_perf_report /tmp/perf.data >"$p.compute.txt") &
			for ((i = 0; i < 120; i++)); do
				[ -e /tmp/perf.ready ] && rmem_on 1 'test -e /tmp/perf.ready' >/dev/null 2>&1 && break
				sleep 0.5
			done
			[ "$i" -lt 120 ] || progress "profile $t $d: perf did not start in 60 s"
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

# ---------------------------------------------------------------- pcap
# Wire timing: tcpdump (headers only) on both guests during one more run of
# PCAP_TESTS on each TCP device of PCAP_DEVS (not counted in the figures).
# perf cannot say where a QD1 request's time goes under TCG (its samples
# land in the idle loop); packet timestamps can: report.py splits fio's
# latency into the compute guest's own share (block layer, transport,
# wakeups), the link, and the memory node's service time (last byte of a
# request in -> first byte of its reply out, daemon or kernel target alike).
pcap_port() {
	case "$1" in
	rmem-tcp) echo "$RMEM_PORT" ;;
	nvme-tcp) echo 4420 ;;
	nbd) echo 10809 ;;
	*) return 1 ;;
	esac
}
if has "$EXTRAS" pcap; then
	if ! command -v tcpdump >/dev/null; then
		progress "pcap: tcpdump not installed (scripts/deps-bench.sh), skipped"
	else
		mkdir -p "$OUT/pcap"
		for t in $PCAP_TESTS; do
			for d in $DEVS; do
				has "$PCAP_DEVS" "$d" && [ -z "${FAIL[$d]:-}" ] || continue
				port=$(pcap_port "$d") || continue
				p=$OUT/pcap/$t-$d
				rmem_on 1 "rm -f /tmp/bench.pcap; setsid tcpdump -i any -n -s 96 -w /tmp/bench.pcap tcp port $port </dev/null >/dev/null 2>&1 &" >/dev/null 2>&1
				rm -f /tmp/bench.pcap
				tcpdump -i any -n -s 96 -w /tmp/bench.pcap "tcp port $port" </dev/null >/dev/null 2>&1 &
				tp=$!
				sleep 3 # tcpdump starts slowly under TCG
				# shellcheck disable=SC2046
				bounded $((RUNTIME + RAMP + 90)) fio $(fio_common "${DEV[$d]}" "$t") $(test_args "$t") \
					--time_based --runtime=$((RAMP + RUNTIME)) --ramp_time="$RAMP" \
					--output="$p.fio.json" >/dev/null 2>&1
				sleep 1
				kill -INT "$tp" 2>/dev/null
				wait "$tp" 2>/dev/null
				rmem_on 1 "pkill -INT -x tcpdump; sleep 2; tcpdump -n -S -tt -r /tmp/bench.pcap >$p.mem1.txt 2>/dev/null" >/dev/null 2>&1
				tcpdump -n -S -tt -r /tmp/bench.pcap >"$p.compute.txt" 2>/dev/null
				echo "$port" >"$p.port"
				progress "pcap $t $d: $(wc -l <"$p.compute.txt") packets on the compute guest, $(wc -l <"$p.mem1.txt" 2>/dev/null || echo 0) on mem1"
			done
		done
	fi
fi

rmem_state after-fio

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
# ib_read_lat / ib_read_bw over rxe between the guests: the RDMA transport's
# own limit. The QPs are connected through perftest's TCP exchange, not
# rdma_cm (-R): with -R a client that comes before the server listens gets
# REJECTED ("Unexpected CM event 8") and the pair is left broken, while the
# TCP exchange just refuses the connection until the server is up, so the
# client retries. Iterations and tx depth fit rxe under TCG (a 2 MiB READ
# takes tens of ms there); both sides must get the same options.
perftest_opts() {
	case "$1-$2" in
	ib_read_lat-4096) echo "-s 4096 -n 1000" ;;
	ib_read_lat-*) echo "-s $2 -n 20" ;;
	ib_read_bw-4096) echo "-s 4096 -n 2000 -t 32" ;;
	ib_read_bw-*) echo "-s $2 -n 40 -t 4" ;;
	esac
}
if has "$EXTRAS" perftest; then
	rdev=$(rmem_rdma_dev 1)
	for ((r = 1; r <= RUNS; r++)); do
		for tool in ib_read_lat ib_read_bw; do
			for sz in $PERFTEST_SIZES; do
				f=$OUT/perftest/$tool-$sz.r$r.txt
				opts=$(perftest_opts "$tool" "$sz")
				rmem_on 1 "pkill -x $tool" >/dev/null 2>&1
				rmem_on_bg 1 "$tool-$sz-r$r" "timeout 150 $tool -d $MEM_RDMA_DEV $opts" >/dev/null
				ok=0
				for _ in $(seq 30); do
					sleep 1
					# shellcheck disable=SC2086
					bounded 120 "$tool" -d "$rdev" $opts "$ADDR" >"$f" 2>&1
					rc=$?
					[ "$rc" = 0 ] && { ok=1; break; }
					# refused: the server is not listening yet; anything else is final
					grep -qiE "couldn.t connect|connection refused|unable to open file descriptor" "$f" || break
				done
				line=$(awk -v s="$sz" '$1 == s { print; exit }' "$f")
				progress "$tool ${sz}B run $r: ${line:-failed (see raw/perftest/$(basename "$f"))}"
				[ "$ok" = 1 ] || echo "FAILED" >>"$f"
			done
		done
	done
	rmem_on 1 'pkill -x ib_read_lat; pkill -x ib_read_bw' >/dev/null 2>&1
fi

# ---------------------------------------------------------------- mmap
# EXTRAS=mmap: the expert-load figure of mmap regions (bench/guest-mmap.sh)
if has "$EXTRAS" mmap; then
	# shellcheck source=bench/guest-mmap.sh
	. "$(cd "$(dirname "$0")" && pwd)/guest-mmap.sh"
fi

# ---------------------------------------------------------------- shared
# EXTRAS=shared: one index, two compute guests (bench/guest-shared.sh)
if has "$EXTRAS" shared; then
	# shellcheck source=bench/guest-shared.sh
	. "$(cd "$(dirname "$0")" && pwd)/guest-shared.sh"
fi

# ---------------------------------------------------------------- swap
# Two workloads in a cgroup v2 with memory.max=SWAP_LIMIT, with swap on one
# device at a time (and once with no limit: all in local RAM, the ideal):
#  - rmem_pattern SWAP_WS: writes an address-derived pattern, then verifies
#    every word (a mismatch or an OOM kill is a failed run);
#  - redis-server holding REDIS_WS of 4000-byte values (filled through a Lua
#    script; the fill time is a figure too), then redis-benchmark: REDIS_GETS
#    GETs of uniformly random keys from 8 clients. The client runs outside
#    the cgroup; only the server is limited.
# Runs are interleaved like fio's: run 1 on every device, then run 2...

# swap_on NAME: enable swap on NAME's device; prints it ("none" for
# unlimited). Fails when the device is not there.
swap_on() {
	local d
	case "$1" in
	unlimited) echo none; return 0 ;;
	zram)
		if [ ! -b /dev/zram0 ]; then
			modprobe zram num_devices=1 >/dev/null 2>&1 || return 1
			for _ in $(seq 50); do [ -b /dev/zram0 ] && break; sleep 0.1; done
		fi
		grep -qx 0 /sys/block/zram0/disksize 2>/dev/null && echo 1G >/sys/block/zram0/disksize
		d=/dev/zram0 ;;
	disk) d=${RMEM_DISK:-} ;;
	*) [ -z "${FAIL[$1]:-}" ] && d=${DEV[$1]:-} ;;
	esac
	[ -n "${d:-}" ] && [ -b "$d" ] || return 1
	mkswap "$d" >/dev/null 2>&1 && swapon "$d" || return 1
	echo "$d"
}

vmstat_io() { awk '/^pswpin / { i = $2 } /^pswpout / { o = $2 } END { print i, o }' /proc/vmstat; }

# pattern_run NAME RUN SWAPDEV
pattern_run() {
	local s=$1 r=$2 sd=$3 t0 t1 rc sec pi0 po0 pi1 po1
	dev_params "$s"
	rmem_drop_caches
	read -r pi0 po0 < <(vmstat_io)
	t0=$(date +%s.%N)
	if [ "$sd" = none ]; then
		bounded 900 "$PATTERN" "$SWAP_WS" 1 1 "$SWAP_SAME" "$SWAP_SAME_RUN" >"$OUT/swap/$s.r$r.out" 2>&1
	else
		bounded 900 rmem_limited "$SWAP_LIMIT" "$PATTERN" "$SWAP_WS" 1 1 "$SWAP_SAME" "$SWAP_SAME_RUN" \
			>"$OUT/swap/$s.r$r.out" 2>&1
	fi
	rc=$?
	t1=$(date +%s.%N)
	read -r pi1 po1 < <(vmstat_io)
	sec=$(echo "$t1 - $t0" | bc)
	printf '{"device": "%s", "run": %d, "seconds": %s, "rc": %d, "pswpin": %d, "pswpout": %d}\n' \
		"$s" "$r" "$sec" "$rc" $((pi1 - pi0)) $((po1 - po0)) >"$OUT/swap/$s.r$r.json"
	progress "swap rmem_pattern run $r $s ($sd): ${sec}s rc $rc, swapped out $(((po1 - po0) / 256)) MiB, in $(((pi1 - pi0) / 256)) MiB"
}

REDIS_PORT=6390
REDIS_FILL=$(cd "$(dirname "$0")" && pwd)/redis-fill.lua
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }

# redis_run NAME RUN SWAPDEV
redis_run() {
	local s=$1 r=$2 sd=$3 cg=/sys/fs/cgroup/bench-redis pid keys k n t0 t1 t2 rc=0 out
	local pi0 po0 pi1 po1 fill get csv=$OUT/redis/$s.r$r.csv
	keys=$(($(numfmt --from=iec "$REDIS_WS") / 4096))
	dev_params "$s"
	rmem_drop_caches
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
	rmdir "$cg" 2>/dev/null
	mkdir -p "$cg"
	[ "$sd" = none ] || echo "$SWAP_LIMIT" >"$cg/memory.max"
	# shellcheck disable=SC2016 # expanded by the inner bash
	setsid bash -c 'echo $$ >"$1/cgroup.procs" && exec redis-server --port "$2" --bind 127.0.0.1 \
		--save "" --appendonly no --daemonize no --io-threads 1' _ "$cg" "$REDIS_PORT" \
		</dev/null >"$OUT/redis/$s.r$r.server.log" 2>&1 &
	pid=$!
	for _ in $(seq 120); do rcli ping 2>/dev/null | grep -q PONG && break; sleep 0.5; done
	read -r pi0 po0 < <(vmstat_io)
	t0=$(date +%s.%N)
	for ((k = 0; k < keys; k += 8192)); do
		n=$((keys - k < 8192 ? keys - k : 8192))
		out=$(bounded 600 redis-cli -p "$REDIS_PORT" --eval "$REDIS_FILL" , "$k" "$n" 4000 2>&1)
		[ "$out" = "$n" ] || { rc=1; break; }
	done
	t1=$(date +%s.%N)
	if [ "$rc" = 0 ] && [ "$(rcli dbsize 2>/dev/null)" = "$keys" ]; then
		bounded 600 redis-benchmark -p "$REDIS_PORT" -r "$keys" -n "$REDIS_GETS" -c 8 --csv \
			GET 'key:__rand_int__' >"$csv" 2>&1 || rc=2
		# a GET of a key the fill did not write (nil) is a failure
		[ "$(rcli get "$(printf 'key:%012d' $((keys - 1)))" | wc -c)" -gt 4000 ] || rc=3
	else
		echo "fill failed: $out" >>"$OUT/redis/$s.r$r.server.log"
		[ "$rc" != 0 ] || rc=1
	fi
	t2=$(date +%s.%N)
	read -r pi1 po1 < <(vmstat_io)
	kill -0 "$pid" 2>/dev/null || rc=4   # OOM-killed
	rcli shutdown nosave >/dev/null 2>&1
	for _ in $(seq 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rmdir "$cg" 2>/dev/null
	fill=$(echo "$t1 - $t0" | bc)
	get=$(echo "$t2 - $t1" | bc)
	python3 - "$csv" "$s" "$r" "$fill" "$get" "$rc" $((pi1 - pi0)) $((po1 - po0)) "$keys" \
		>"$OUT/redis/$s.r$r.json" <<-'EOF'
		import csv, json, sys
		path, dev, run, fill, get, rc, pin, pout, keys = sys.argv[1:]
		res = {"device": dev, "run": int(run), "fill_seconds": float(fill), "get_seconds": float(get),
		       "rc": int(rc), "pswpin": int(pin), "pswpout": int(pout), "keys": int(keys)}
		try:
		    rows = [r for r in csv.reader(open(path)) if len(r) > 2 and r[0] != "test"]
		    res["get_rps"] = float(rows[-1][1])
		    res["get_avg_ms"] = float(rows[-1][2])
		    if len(rows[-1]) >= 7:
		        res["get_p50_ms"], res["get_p99_ms"] = float(rows[-1][4]), float(rows[-1][6])
		except (OSError, IndexError, ValueError):
		    if res["rc"] == 0:
		        res["rc"] = 5
		print(json.dumps(res))
	EOF
	progress "swap redis run $r $s ($sd): fill ${fill}s, $(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print("%.0f GET/s" % j["get_rps"] if "get_rps" in j else "no GET figure")' "$OUT/redis/$s.r$r.json" 2>/dev/null) rc $rc, swapped out $(((po1 - po0) / 256)) MiB, in $(((pi1 - pi0) / 256)) MiB"
}

do_pattern=0 do_redis=0
if has "$EXTRAS" swap; then
	if [ -x "$PATTERN" ]; then
		do_pattern=1
		meta swap_limit "$SWAP_LIMIT"
		meta swap_ws "$SWAP_WS"
		meta swap_same "$SWAP_SAME"
		meta swap_same_run "$SWAP_SAME_RUN"
	else
		progress "swap: rmem_pattern not built ($PATTERN): skipped"
		printf 'swap\trmem_pattern not built\n' >>"$OUT/failed.tsv"
	fi
fi
if has "$EXTRAS" redis; then
	if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
		do_redis=1
		meta redis_limit "$SWAP_LIMIT"
		meta redis_ws "$REDIS_WS"
		meta redis_gets "$REDIS_GETS"
		meta redis_version "$(redis-server --version | head -n 1)"
	else
		progress "redis: redis-server/redis-benchmark not installed (scripts/deps-bench.sh): skipped"
		printf 'redis\tredis-server or redis-benchmark not installed\n' >>"$OUT/failed.tsv"
	fi
fi
if [ "$do_pattern$do_redis" != 00 ]; then
	swapoff -a 2>/dev/null
	sdevs=$( (for s in $SWAP_DEVS $REDIS_DEVS; do echo "$s"; done) | awk '!seen[$0]++' | tr '\n' ' ')
	declare -A SWAPFAIL=()
	if [ "$do_redis" = 1 ]; then
		# Untimed warm-up: the first run otherwise pays for faulting
		# redis-server's code in over 9p (TCG) and looks slower than it is.
		REDIS_WS=16M REDIS_GETS=1000 redis_run warmup 0 none >/dev/null
		rm -f "$OUT"/redis/warmup.*
	fi
	for ((r = 1; r <= RUNS; r++)); do
		for s in $sdevs; do
			[ -n "${SWAPFAIL[$s]:-}" ] && continue
			if ! sd=$(swap_on "$s"); then
				SWAPFAIL[$s]=1
				progress "swap $s: no device or swapon failed: skipped"
				printf 'swap-%s\tno device, or swapon failed\n' "$s" >>"$OUT/failed.tsv"
				continue
			fi
			[ "$do_pattern" = 1 ] && has "$SWAP_DEVS" "$s" && pattern_run "$s" "$r" "$sd"
			[ "$do_redis" = 1 ] && has "$REDIS_DEVS" "$s" && redis_run "$s" "$r" "$sd"
			[ "$sd" = none ] || bounded 300 swapoff "$sd" ||
				progress "swap $s: swapoff $sd failed or timed out"
		done
	done
	dev_params default
	# Pages each rmem region kept as same-filled (every run and fio job).
	for d in $RMEM_DEVS; do
		[ -n "${DEV[$d]:-}" ] && meta "same_filled.$d" "$(region_field "bench-${d#rmem-}" same_filled 2>/dev/null)"
	done
fi

# ---------------------------------------------------------------- replica
# crc32c_cost: the kernel's crc32c speed on this guest's CPU (tcrypt, the
# implementation the crypto API gives rmem), for the checksum's cost per
# 4 KiB page. tcrypt prints its figures and refuses to stay loaded.
crc32c_cost() {
	local f=$OUT/replica/crc32c.txt m
	awk '/^name/ { n = $3 } /^driver/ { d = $3 } /^priority/ { p = $3 }
		/^type/ && n == "crc32c" && $3 == "shash" && p + 0 > best { best = p + 0; drv = d }
		END { print "driver " drv " priority " best }' /proc/crypto >"$f"
	m=$(dmesg | wc -l)
	bounded 120 modprobe tcrypt mode=300 alg=crc32c sec=1 >/dev/null 2>&1
	# all of it: a result may sit on a line of its own (pr_cont)
	dmesg | tail -n +"$((m + 1))" >>"$f"
	if grep -q '4096 byte blocks, *4096 bytes per update' "$f"; then
		progress "crc32c: $(head -n 1 "$f"): raw/replica/crc32c.txt"
	else
		progress "crc32c: tcrypt gave no 4096-byte figure (no tcrypt module?)"
	fi
}

# replica_failover NAME: on NAME (2 copies, the second on mem2), 4 KiB
# randrw at QD16 for 30 s; 8 s in, mem2 dies (rmemd_die: SIGKILL and its
# link down for 20 s). The same job first runs with no failure: the longest
# I/O of each run, the IOPS and the errors go to raw/replica/. Then mem2
# comes back with an empty rmemd, and the rebuild copies every extent's
# second copy to it: its rate (bytes copied / time from live to no extent
# degraded) goes to raw/replica/rebuild-NAME.json.
replica_failover() {
	local d=$1 region=bench-${1#rmem-} f=$OUT/replica/failover-$1 cmd id s0 t0 t1 b0 b1 deg st fp
	local -a job
	# shellcheck disable=SC2207 # fio_common's words
	job=($(fio_common "${DEV[$d]}" failover) --rw=randrw --bs=4k --iodepth=16
		--time_based --runtime=30 --norandommap --randrepeat=0)
	bounded 120 fio "${job[@]}" --output="$f.base.json" >/dev/null 2>&1
	cmd=$(RMEMD_NODE=2 rmemd_cmdline)
	id=$(rmemctl -j node show | python3 -c 'import json, sys
for n in json.load(sys.stdin):
    if n["address"] == sys.argv[1]: print(n["id"])' "$(rmem_node 2)")
	bounded 180 fio "${job[@]}" --output="$f.kill.json" >/dev/null 2>&1 &
	fp=$!
	sleep 8
	RMEMD_NODE=2 rmemd_die 20
	wait "$fp"
	progress "failover $d: $(python3 - "$f.base.json" "$f.kill.json" <<-'EOF'
		import json, sys
		def get(p):
		    j = json.load(open(p))["jobs"][0]
		    return (max(j[k]["clat_ns"]["max"] for k in ("read", "write")) / 1e6,
		            j["read"]["iops"] + j["write"]["iops"], j["error"])
		b, k = get(sys.argv[1]), get(sys.argv[2])
		print("longest I/O %.0f ms (no failure: %.0f ms), %.0f IOPS (%.0f), errors %d" %
		      (k[0], b[0], k[1], b[1], k[2]))
	EOF
	)"
	b0=$(region_field "$region" rebuild_bytes)
	s0=$(region_field "$region" rebuilds)
	RMEMD_NODE=2 rmemd_back replica-bench "$cmd"
	node_wait_state "$id" live 120
	t0=$(date +%s.%N)
	for _ in $(seq 1200); do
		deg=$(region_field "$region" degraded)
		[ "$deg" = 0 ] && break
		sleep 0.5
	done
	t1=$(date +%s.%N)
	b1=$(region_field "$region" rebuild_bytes)
	st=$(node_field "$id" state)
	printf '{"device": "%s", "bytes": %s, "copies": %s, "seconds": %s, "degraded_left": %s, "node_state": "%s", "rebuild_mbps_param": %s}\n' \
		"$d" "$((b1 - b0))" "$(($(region_field "$region" rebuilds) - s0))" \
		"$(echo "$t1 - $t0" | bc)" "${deg:-null}" "$st" \
		"$(cat /sys/module/rmem/parameters/rebuild_mbps)" >"$OUT/replica/rebuild-$d.json"
	progress "rebuild $d: $(cat "$OUT/replica/rebuild-$d.json")"
}

if has "$EXTRAS" replica; then
	crc32c_cost
	for d in $DEVS; do
		if [[ $d == *-r2 ]] && [ -n "${DEV[$d]:-}" ] && [ -z "${FAIL[$d]:-}" ]; then
			replica_failover "$d"
		fi
	done
fi

# ---------------------------------------------------------------- teardown
progress "teardown"
grep -h . /sys/block/rmemblk*/inflight 2>/dev/null | head -n 1 >/dev/null
[ -n "${DEV[nbd]:-}" ] && bounded 30 nbd-client -d /dev/nbd0 >/dev/null 2>&1
for d in nvme-tcp-crypt nvme-rdma-crypt; do
	[ -n "${DEV[$d]:-}" ] && bounded 30 dmsetup remove "bench-$d" >/dev/null 2>&1
done
for nqn in "$NQN_TCP" "$NQN_RDMA"; do
	bounded 30 nvme disconnect -n "$nqn" >/dev/null 2>&1
done
rmem_state end
for tr in tcp rdma tcp-r2 rdma-r2 tcp-clear rdma-clear tcp-nosame rdma-nosame tcp-nozc tcp-noauth \
	rdma-noauth; do
	[ -n "${DEV[rmem-$tr]:-}" ] && bounded 30 rmemctl region del "bench-$tr" >/dev/null 2>&1
done
dmesg >"$OUT/state/compute-dmesg.txt" 2>/dev/null
progress "done"
exit 0
