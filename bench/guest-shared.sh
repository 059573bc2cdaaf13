# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# guest-shared.sh: EXTRAS=shared of the benchmark (bench/run.sh --shared),
# sourced by bench/guest-blk.sh on compute guest 1 of a run with a second
# compute guest (scripts/rmem-vm --compute-nodes 2). Issue 17's "one copy,
# many compute nodes": both compute guests load the same index of
# SHARED_SIZE MiB of random bytes (made here), three ways:
#
#   rmem  a published region: made, loaded and sealed here once, deleted
#         here (the published copy stays on the memory node), then in each
#         run attached on both compute guests (region attach ... type mmap
#         chunk SHARED_CHUNK) and read through the mapping, one 8-byte read
#         per 4 KiB page in order, on both at the same time; then detached
#   nvme  NVMe-oF (nvmet over SHARED_TRANSPORT) on the memory guest, one
#         namespace on a brd RAM disk of SHARED_SIZE, written once from
#         here; in each run both compute guests connect (an nvmet port on
#         each of the memory guest's links, allow_any_host) and read it,
#         O_DIRECT, 1 MiB per read(), at the same time; then disconnect
#   copy  the memory guest serves the file over TCP (busybox nc, from its
#         tmpfs); in each run both compute guests copy it into their own
#         tmpfs at the same time (then the copies are deleted)
#
# Per run and way: each compute guest's own read time (MiB/s), the time
# until it could read (attach / nvme connect until the namespace appears /
# the whole copy), the wall time until both were done, the memory the
# memory guest holds for the index (rmem: rmemd --status published_slabs x
# slab_size; NVMe-oF: the RAM disk; copy: the served file) and what each
# compute guest holds (the attached region's cache; none with O_DIRECT;
# the copy). Every read is checked: the sum of the first word of every
# page must be the file's (mmap-load prints it).
#
# The timed parts are bench/mmap-load.c (MMAP_LOAD: touch, read, recv).
# Commands for a compute guest run through on_node: the same text in a new
# bash on either guest. Output: $OUT/shared/ (WAY.rN.json: one run of a way,
# both guests; WAY.cI.rN.json: what guest I's reader printed, with
# .ready.json the attach or connect; setup.json).

SHARED_SIZE=${SHARED_SIZE:-$SIZE}                 # MiB of the index
SHARED_TRANSPORT=${SHARED_TRANSPORT:-tcp}         # rmem and NVMe-oF; copy: TCP
SHARED_WAYS=${SHARED_WAYS:-rmem nvme copy}
SHARED_CHUNK=${SHARED_CHUNK:-2M}                  # chunk of the attached regions
SHARED_REGION=bench-idx
SHARED_NQN=nqn.2026-11.io.rmem:bench-shared
SHARED_DIR=/run/bench-shared                      # a tmpfs on every guest
SHARED_PORT=7480                                  # the memory guest serves the copy
SHARED_PULL_PORT=7481                             # ...after taking it from here

# ---------------------------------------------------------------- node side
# These run on either compute guest (on_node ships their text).

# sn_secs T0 T1: T1 - T0 (from date +%s.%N), a JSON number.
sn_secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }

# sn_attach REGION CHUNK FILE: attach published REGION as an mmap region,
# timed; {"op": "attach", "rc", "seconds", "device"} to FILE.
sn_attach() {
	local t0 t1 rc dev
	t0=$(date +%s.%N)
	rmemctl region attach "$1" type mmap chunk "$2" key-file "$RMEM_REGION_KEY_FILE" >"$3.out" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	dev=$(rmemctl -j region show "$1" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print((d[0] if isinstance(d, list) and d else {}).get("device", ""))' 2>/dev/null)
	[ -n "$dev" ] && dev_wait "$dev" c
	printf '{"op": "attach", "rc": %d, "seconds": %s, "device": "%s"}\n' \
		"$rc" "$(sn_secs "$t0" "$t1")" "$dev" >"$3"
	[ "$rc" = 0 ] && rm -f "$3.out"
	echo "$dev"
}

# sn_connect TRANSPORT ADDR NQN HOSTNQN FILE: nvme connect, timed until the
# namespace's block device is there; {"op": "connect", "rc", "seconds",
# "device"} to FILE.
sn_connect() {
	local before t0 t1 rc dev=
	modprobe "nvme-$1" || return 1
	before=$(blocks)
	t0=$(date +%s.%N)
	# the guests share the host's /etc/nvme: give each its own host NQN
	nvme connect -t "$1" -a "$2" -s 4420 -n "$3" --hostnqn "$4" \
		--keep-alive-tmo=60 --ctrl-loss-tmo=60 --reconnect-delay=5 >"$5.out" 2>&1
	rc=$?
	[ "$rc" = 0 ] && { dev=$(new_blockdev "$before" 'nvme*n*') || rc=99; }
	t1=$(date +%s.%N)
	printf '{"op": "connect", "rc": %d, "seconds": %s, "device": "%s"}\n' \
		"$rc" "$(sn_secs "$t0" "$t1")" "$dev" >"$5"
	[ "$rc" = 0 ] && rm -f "$5.out"
	echo "$dev"
}

# sn_tmpfs MIB: a tmpfs of MIB MiB (and some room) at SHARED_DIR.
sn_tmpfs() {
	mkdir -p "$SHARED_DIR"
	mountpoint -q "$SHARED_DIR" || mount -t tmpfs -o size=$(($1 + 16))m tmpfs "$SHARED_DIR"
}

SHARED_FUNCS="SHARED_DIR=$SHARED_DIR
$(declare -f has blocks new_blockdev dev_wait mknod_dev mknod_cdev sn_secs sn_attach sn_connect sn_tmpfs)"

# on_node I CMD: run CMD (a bash command line, with the functions above) on
# compute guest I (1: this one; 2: compute2, through its agent); its output,
# stdout and stderr, on stdout; its status.
on_node() {
	local n=$1
	shift
	if [ "$n" = 1 ]; then
		bash -c "$SHARED_FUNCS
$*" </dev/null 2>&1
	else
		rmem_on_compute2 "$SHARED_FUNCS
$*"
	fi
}

# ---------------------------------------------------------------- setup
SHARED_ADDR=([1]=$ADDR)   # the memory guest, as each compute guest sees it
SHARED_SUM=               # the index's sum (mmap-load)
SHARED_MIB_B=$((SHARED_SIZE << 20))

# json_get FILE KEY: a key of a one-line JSON file ("" if none).
json_get() {
	python3 -c 'import json, sys
try:
    print(json.loads(open(sys.argv[1]).readline()).get(sys.argv[2], ""))
except (OSError, ValueError):
    print("")' "$1" "$2"
}

shared_setup_index() {
	local f=$SHARED_DIR/idx
	on_node 1 "sn_tmpfs $((2 * SHARED_SIZE))" >/dev/null
	on_node 2 "sn_tmpfs $SHARED_SIZE" >/dev/null || return 1
	progress "shared: making the index, $SHARED_SIZE MiB of random bytes"
	head -c "${SHARED_SIZE}M" /dev/urandom >"$f" || return 1
	"$MMAP_LOAD" touch "$f" "${SHARED_SIZE}M" >"$OUT/shared/index.json" || return 1
	SHARED_SUM=$(json_get "$OUT/shared/index.json" sum)
	[ -n "$SHARED_SUM" ]
}

# shared_setup_rmem: both guests add the memory node; this one publishes,
# loads and seals the index, then deletes its region (one local region per
# name: it attaches in the runs like compute2).
shared_setup_rmem() {
	local tr=$SHARED_TRANSPORT out t0 t1 t2 t3
	command -v rmemctl >/dev/null || { fail rmem "rmemctl not found (not built?)"; return; }
	add_rmem_node rmem "$ADDR" "$RMEM_PORT" "$tr" || return
	out=$(on_node 2 "for try in 1 2 3 4 5 6; do
		rmemctl node add ${SHARED_ADDR[2]}:$RMEM_PORT transport $tr timeout 60s && exit 0
		sleep 2; done; exit 1" 2>&1) ||
		{ fail rmem "compute2: rmemctl node add ${SHARED_ADDR[2]}:$RMEM_PORT: $(echo "$out" | tail -n 1)"; return; }
	t0=$(date +%s.%N)
	out=$(bounded 60 rmemctl region add "$SHARED_REGION" size "${SHARED_SIZE}M" publish key-file "$RMEM_REGION_KEY_FILE" 2>&1) ||
		{ fail rmem "region add ... publish: $(echo "$out" | tail -n 1)"; return; }
	t1=$(date +%s.%N)
	out=$(bounded $((SHARED_SIZE * 4 + 120)) rmemctl region load "$SHARED_REGION" "$SHARED_DIR/idx" 2>&1) ||
		{ fail rmem "region load: $(echo "$out" | tail -n 1)"; return; }
	t2=$(date +%s.%N)
	out=$(bounded 120 rmemctl region seal "$SHARED_REGION" 2>&1) ||
		{ fail rmem "region seal: $(echo "$out" | tail -n 1)"; return; }
	t3=$(date +%s.%N)
	out=$(bounded 60 rmemctl region del "$SHARED_REGION" 2>&1) ||
		{ fail rmem "region del (keeping the published copy): $(echo "$out" | tail -n 1)"; return; }
	printf '{"publish_s": %s, "load_s": %s, "seal_s": %s}\n' \
		"$(sn_secs "$t0" "$t1")" "$(sn_secs "$t1" "$t2")" "$(sn_secs "$t2" "$t3")" \
		>"$OUT/shared/setup-rmem.json"
	rmem_on 1 'rmemd --status --json' >"$OUT/shared/setup-rmemd-status.json" 2>&1
	progress "shared: rmem: published, loaded and sealed ${SHARED_SIZE} MiB in $(sn_secs "$t0" "$t3" | xargs printf %.1f) s (load $(sn_secs "$t1" "$t2" | xargs printf %.1f) s)"
}

# shared_setup_nvme: a RAM disk exported on both of the memory guest's
# links; this guest writes the index to it once (then disconnects).
shared_setup_nvme() {
	local tr=$SHARED_TRANSPORT out dev f=$OUT/shared/setup-nvme
	out=$(rmem_on 1 ". $BENCH_LIB; bench_brd 1 $SHARED_SIZE &&
		bench_nvmet_export $SHARED_NQN /dev/ram0 $tr 1 $ADDR 4420 &&
		bench_nvmet_port $SHARED_NQN $tr 2 ${SHARED_ADDR[2]} 4420" 2>&1) ||
		{ fail nvme "target setup on mem1: $(echo "$out" | tail -n 2 | tr '\n' ' ')"; return; }
	dev=$(on_node 1 "sn_connect $tr $ADDR $SHARED_NQN nqn.2026-11.io.rmem:bench-compute1 $f.connect.json")
	[ -b "$dev" ] || { fail nvme "nvme connect from compute 1: $(tail -n 1 "$f.connect.json.out" 2>/dev/null)"; return; }
	out=$(bounded $((SHARED_SIZE * 4 + 120)) dd if="$SHARED_DIR/idx" of="$dev" bs=1M oflag=direct 2>&1) ||
		{ fail nvme "writing the index to $dev: $(echo "$out" | tail -n 1)"; return; }
	"$MMAP_LOAD" read "$dev" "${SHARED_SIZE}M" >"$f.read.json" 2>&1
	[ "$(json_get "$f.read.json" sum)" = "$SHARED_SUM" ] ||
		fail nvme "the namespace does not read back as the index ($f.read.json)"
	bounded 60 nvme disconnect -n "$SHARED_NQN" >/dev/null 2>&1
	progress "shared: nvme: ${SHARED_SIZE} MiB RAM disk on mem1, written once from compute 1 ($dev)"
}

# shared_setup_copy: the memory guest takes the index from here (TCP) into
# its tmpfs and serves it to anyone who connects (busybox nc -ll, a cat of
# the file per connection).
shared_setup_copy() {
	local me srv out
	me=$(ip -o -4 addr show dev "$(rmem_net_dev 1)" | awk '{ split($4, a, "/"); print a[1]; exit }')
	busybox nc -ll -p "$SHARED_PULL_PORT" -e cat "$SHARED_DIR/idx" </dev/null >/dev/null 2>&1 &
	srv=$!
	out=$(rmem_on 1 "mkdir -p $SHARED_DIR && { mountpoint -q $SHARED_DIR ||
			mount -t tmpfs -o size=$((SHARED_SIZE + 16))m tmpfs $SHARED_DIR; } &&
		for i in \$(seq 30); do $MMAP_LOAD recv $SHARED_DIR/idx ${SHARED_SIZE}M $me $SHARED_PULL_PORT && break; sleep 1; done >/dev/null &&
		$MMAP_LOAD touch $SHARED_DIR/idx ${SHARED_SIZE}M" 2>&1)
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	[ "$(echo "$out" | tail -n 1 | python3 -c 'import json, sys
try:
    print(json.loads(sys.stdin.read()).get("sum", ""))
except ValueError:
    print("")')" = "$SHARED_SUM" ] ||
		{ fail copy "the memory guest did not get the index: $(echo "$out" | tail -n 1)"; return; }
	rmem_on_bg 1 shared-copy "echo \$\$ >/run/bench-shared-nc.pid; exec busybox nc -ll -p $SHARED_PORT -e cat $SHARED_DIR/idx" >/dev/null
	rmem_wait_port "$ADDR" "$SHARED_PORT" 30 2>/dev/null ||
		{ fail copy "busybox nc on mem1:$SHARED_PORT does not listen"; return; }
	progress "shared: copy: mem1 serves the index from its tmpfs on port $SHARED_PORT"
}

# ---------------------------------------------------------------- runs
# shared_record WAY RUN WALL MEM_NODE_BYTES: $OUT/shared/WAY.rRUN.json, from
# the guests' files: each guest's MiB/s and read time, when it could read,
# what it holds, whether it read the index's bytes.
shared_record() {
	python3 - "$OUT/shared" "$1" "$2" "$3" "$4" "$SHARED_SUM" "$SHARED_MIB_B" "$SHARED_TRANSPORT" <<-'EOF'
		import json, os, sys
		d, way, run, wall, mem, want, size, tr = sys.argv[1:]
		def load(p):
		    try:
		        with open(os.path.join(d, p)) as f:
		            return json.loads(f.readline())
		    except (OSError, ValueError):
		        return None
		res = {"way": way, "run": int(run), "transport": tr, "bytes": int(size),
		       "wall_s": float(wall) if wall else None, "mem_node_bytes": int(mem) if mem else None,
		       "nodes": {}}
		for c in ("c1", "c2"):
		    rd = load(f"{way}.{c}.r{run}.json")
		    ready = load(f"{way}.{c}.r{run}.ready.json")
		    check = load(f"{way}.{c}.r{run}.check.json") or rd
		    n = {}
		    if ready is not None and ready.get("rc"):
		        n["error"] = f"{ready['op']} failed (rc {ready['rc']})"
		    elif rd is None or "error" in rd or rd.get("bytes") != int(size):
		        n["error"] = (rd or {}).get("error", "no reader output")
		    else:
		        n["seconds"], n["mib_s"] = rd["seconds"], rd["mib_s"]
		        n["ready_s"] = ready["seconds"] if ready else rd["seconds"]
		        n["compute_bytes"] = {"rmem": rd.get("cached", 0), "copy": rd["bytes"]}.get(way, 0)
		        n["ok"] = (check or {}).get("sum") == want
		        for k in ("fetches", "faults_region", "faults_proc", "pmd_maps"):
		            if k in rd:
		                n[k] = rd[k]
		    res["nodes"][c] = n
		print(json.dumps(res))
	EOF
}

# shared_both WAY RUN CMD1 CMD2: CMD2 on compute2 (its output to
# WAY.c2.rRUN.json) and CMD1 here (WAY.c1.rRUN.json) at the same time;
# prints the wall time from starting them to both done.
shared_both() {
	local w=$1 r=$2 t0 t1 p
	t0=$(date +%s.%N)
	bounded $((SHARED_SIZE * 8 + 300)) on_node 2 "$4" >"$OUT/shared/$w.c2.r$r.json" 2>&1 &
	p=$!
	bounded $((SHARED_SIZE * 8 + 300)) on_node 1 "$3" >"$OUT/shared/$w.c1.r$r.json" 2>&1
	wait "$p"
	t1=$(date +%s.%N)
	sn_secs "$t0" "$t1"
}

# shared_mem_rmem: bytes of published slabs on the memory guest.
shared_mem_rmem() {
	rmem_on 1 'rmemd --status --json' 2>/dev/null | python3 -c 'import json, sys
try:
    j = json.load(sys.stdin)
    print(int(j["published_slabs"]) * int(j["slab_size"]))
except (ValueError, KeyError, TypeError):
    print("")'
}

shared_run_rmem() {
	local r=$1 i dev wall mem
	declare -a d=()
	for i in 1 2; do
		dev=$(on_node "$i" "sn_attach $SHARED_REGION $SHARED_CHUNK $OUT/shared/rmem.c$i.r$r.ready.json")
		d[i]=$dev
		[ -n "$dev" ] || progress "shared: run $r rmem: attach on compute $i failed: $(tail -n 1 "$OUT/shared/rmem.c$i.r$r.ready.json.out" 2>/dev/null)"
	done
	wall=$(shared_both rmem "$r" "$MMAP_LOAD touch /dev/${d[1]:-none} ${SHARED_SIZE}M" \
		"$MMAP_LOAD touch /dev/${d[2]:-none} ${SHARED_SIZE}M")
	mem=$(shared_mem_rmem)
	for i in 1 2; do
		[ -n "${d[i]}" ] && on_node "$i" "rmemctl region del $SHARED_REGION" >/dev/null
	done
	shared_record rmem "$r" "$wall" "$mem" >"$OUT/shared/rmem.r$r.json"
}

shared_run_nvme() {
	local r=$1 i dev wall hn
	declare -a d=()
	for i in 1 2; do
		hn=nqn.2026-11.io.rmem:bench-compute$i
		dev=$(on_node "$i" "sn_connect $SHARED_TRANSPORT ${SHARED_ADDR[i]} $SHARED_NQN $hn $OUT/shared/nvme.c$i.r$r.ready.json")
		d[i]=$dev
		[ -n "$dev" ] || progress "shared: run $r nvme: connect on compute $i failed: $(tail -n 1 "$OUT/shared/nvme.c$i.r$r.ready.json.out" 2>/dev/null)"
	done
	wall=$(shared_both nvme "$r" "$MMAP_LOAD read ${d[1]:-/dev/none} ${SHARED_SIZE}M" \
		"$MMAP_LOAD read ${d[2]:-/dev/none} ${SHARED_SIZE}M")
	for i in 1 2; do
		bounded 60 on_node "$i" "nvme disconnect -n $SHARED_NQN" >/dev/null 2>&1
	done
	shared_record nvme "$r" "$wall" "$SHARED_MIB_B" >"$OUT/shared/nvme.r$r.json"
}

shared_run_copy() {
	local r=$1 i wall c=$SHARED_DIR/copy
	wall=$(shared_both copy "$r" "$MMAP_LOAD recv $c ${SHARED_SIZE}M ${SHARED_ADDR[1]} $SHARED_PORT" \
		"$MMAP_LOAD recv $c ${SHARED_SIZE}M ${SHARED_ADDR[2]} $SHARED_PORT")
	# not timed: did each get the index's bytes?
	for i in 1 2; do
		on_node "$i" "$MMAP_LOAD touch $c ${SHARED_SIZE}M; rm -f $c" >"$OUT/shared/copy.c$i.r$r.check.json" 2>&1
	done
	shared_record copy "$r" "$wall" "$SHARED_MIB_B" >"$OUT/shared/copy.r$r.json"
}

# shared_summary WAY RUN: one progress line.
shared_summary() {
	python3 - "$OUT/shared/$1.r$2.json" <<-'EOF' 2>/dev/null || echo "no record"
		import json, sys
		j = json.load(open(sys.argv[1]))
		out = []
		for c, n in sorted(j["nodes"].items()):
		    if "error" in n:
		        out.append(f"{c} FAILED: {n['error']}")
		    else:
		        out.append(f"{c} {n['mib_s']:.1f} MiB/s ({n['seconds']:.1f} s, ready after {n['ready_s']:.2f} s"
		                   + ("" if n["ok"] else ", WRONG BYTES") + ")")
		mem = j.get("mem_node_bytes")
		print(", ".join(out) + f"; both done in {j['wall_s']:.1f} s; memory node "
		      + (f"{mem / 2**20:.0f} MiB" if mem is not None else "?"))
	EOF
}

shared_bench() {
	local r w kb
	mkdir -p "$OUT/shared"
	if [ "${RMEM_NCOMPUTE:-1}" -lt 2 ] || [ -z "${RMEM_COMPUTE2:-}" ]; then
		fail shared "needs a second compute guest (bench/run.sh --shared: rmem-vm --compute-nodes 2)"
		return
	fi
	if [ ! -x "$MMAP_LOAD" ]; then
		fail shared "mmap-load not built ($MMAP_LOAD)"
		return
	fi
	# shellcheck disable=SC2086
	set -- ${RMEM_NODES2:-}
	SHARED_ADDR[2]=${1:-}
	meta shared_size_mib "$SHARED_SIZE"
	meta shared_transport "$SHARED_TRANSPORT"
	meta shared_chunk "$SHARED_CHUNK"
	meta shared_ways "$SHARED_WAYS"
	meta compute_guests "$RMEM_NCOMPUTE"
	kb=$(on_node 2 "awk '/MemTotal/ { print \$2 }' /proc/meminfo")
	[[ $kb =~ ^[0-9]+$ ]] || { fail shared "compute2 does not answer: $kb"; return; }
	meta compute2_mem_mib $((kb / 1024))
	shared_setup_index || { fail shared "cannot make the index in $SHARED_DIR"; return; }
	for w in $SHARED_WAYS; do
		progress "shared: $w: setting up"
		case $w in
		rmem) shared_setup_rmem ;;
		nvme) shared_setup_nvme ;;
		copy) shared_setup_copy ;;
		*) fail "$w" "unknown way" ;;
		esac
	done
	rm -f "$SHARED_DIR/idx"
	for ((r = 1; r <= RUNS; r++)); do
		for w in $SHARED_WAYS; do
			[ -n "${FAIL[$w]:-}" ] && continue
			"shared_run_$w" "$r"
			progress "shared: run $r $w: $(shared_summary "$w" "$r")"
		done
	done
	# the published copy goes (both guests detached after each run)
	if has "$SHARED_WAYS" rmem && [ -z "${FAIL[rmem]:-}" ]; then
		bounded 60 rmemctl region del "$SHARED_REGION" purge >/dev/null 2>&1 ||
			progress "shared: region del $SHARED_REGION purge failed"
	fi
	# shellcheck disable=SC2016 # expanded on the memory guest
	rmem_on 1 'kill $(cat /run/bench-shared-nc.pid) 2>/dev/null' >/dev/null 2>&1
}

shared_bench
