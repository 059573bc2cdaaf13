# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# guest-mmap.sh: EXTRAS=mmap of the benchmark, sourced by bench/guest-blk.sh
# in the compute guest (it uses that script's helpers and devices). RMAI's
# "expert load" figure:
#
#  - sequential load: time to fault in a whole mmap region (one 8-byte read
#    per 4 KiB page, in order) with each chunk size of MMAP_CHUNKS (CHUNK or
#    CHUNK:MiB for a region of another size than MMAP_SIZE), cold:
#    the region was filled through mmap, msync'ed and dropped
#    (RMEM_IOC_DROP), so every chunk comes from the memory node; then the
#    same again after another drop (seq1, seq2), and once more under
#    MADV_RANDOM, which turns the fault path's readahead off (seq3). The
#    cache holds the whole region (cache = size): nothing is evicted, a
#    pure load figure;
#  - random faults: MMAP_RAND reads of distinct random pages of the 4K-chunk
#    region, cold, each timed on its own (mean, p50, p99 per fault); then
#    the same with the module parameter fault_hold_us=0 (the fault lets go
#    of the mmap lock at once and is retried: the fault path before issue
#    16's hold), restored after; and on a 4K-chunk region made with
#    encrypt off (mmap_rand_clear: like for like with ib_read_lat);
#  - beside them, read() of the same amount from the block devices of this
#    run (rmem block regions, NVMe-oF, brd): O_DIRECT, 1 MiB per call, in
#    order, one call at a time (no page cache, so no drop_caches needed).
#
# Each transport of MMAP_TRANSPORTS gets the same mmap regions. Their slabs
# must sit behind that transport only: a region's slabs go to the live node
# with the most free slabs, so a third rmemd (port MMAP_PORT) donating more
# than any other node has free, plus the region, is added as a node with
# one transport, holds the regions one at a time, and is deleted again
# before the next transport (placement is checked after each fill).
#
# The timed parts are bench/mmap-load.c (MMAP_LOAD). Output: $OUT/mmap/
# (one JSON object per file: TR-CHUNK.fill.json, TR-CHUNK.seq1.rN.json,
# TR-CHUNK.seq2.rN.json, TR-CHUNK.seq3.rN.json, TR-4K.rand.rN.json,
# TR-4K.rand0.rN.json, TR-4K.randclear.rN.json,
# read-DEVICE.rN.json).

MMAP_SIZE=${MMAP_SIZE:-$SIZE}   # MiB per mmap region (a multiple of 64)
# A 4K-chunk load is one round trip per page (~2-3 ms under TCG: 65536 of
# them for 256 MiB), so by default it is measured on 64 MiB.
MMAP_CHUNKS=${MMAP_CHUNKS:-4K:64 64K 2M}
MMAP_RAND=${MMAP_RAND:-2000}    # random cold faults per run (4K chunks; 0: none)
MMAP_TRANSPORTS=${MMAP_TRANSPORTS:-tcp rdma}
MMAP_READ_DEVS=${MMAP_READ_DEVS:-rmem-tcp rmem-rdma nvme-tcp nvme-rdma brd}
MMAP_PORT=7473
FAULT_HOLD=/sys/module/rmem/parameters/fault_hold_us

# mmap_dev NAME: /dev/rmemN of region NAME (made if udev is absent).
mmap_dev() {
	local dev
	dev=$(region_field "$1" device 2>/dev/null)
	[ -n "$dev" ] && dev_wait "$dev" c && echo "/dev/$dev"
}

# mmap_placement NAME PORT: "ok", or what is wrong: every slab of region
# NAME must be on the node at PORT.
mmap_placement() {
	python3 - "$1" "$2" "$(rmemctl -j region show 2>/dev/null)" "$(rmemctl -j node show 2>/dev/null)" <<-'EOF'
		import json, sys
		name, port, regions, nodes = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
		try:
		    r = [x for x in json.loads(regions) if x["name"] == name][0]
		    n = [x for x in json.loads(nodes) if x["port"] == port][0]
		except (ValueError, IndexError, KeyError, TypeError):
		    print("cannot read region/node state"); sys.exit()
		if r["nodes"] != 1 or n["slabs_used"] != r["slabs"]:
		    print("region %s: %s slabs on %s nodes, %s on the mmap node" %
		          (name, r["slabs"], r["nodes"], n["slabs_used"]))
		else:
		    print("ok")
	EOF
}

# mmap_donate: MiB the mmap rmemd donates: more than any node has free, plus
# the largest region, so that each of a region's slabs goes to it.
mmap_donate() {
	local free spec max=$MMAP_SIZE
	for spec in $MMAP_CHUNKS; do
		[[ $spec == *:* ]] && [ "${spec#*:}" -gt "$max" ] && max=${spec#*:}
	done
	free=$(rmemctl -j node show 2>/dev/null | python3 -c '
import json, sys
print(max([x["free"] for x in json.load(sys.stdin)] or [0]) >> 20)' 2>/dev/null)
	echo $((((${free:-0} + max + 64) + 63) / 64 * 64))
}

# mmap_run FILE CMD...: run mmap-load with a deadline; the JSON goes to FILE,
# and a one-line summary is printed.
mmap_run() {
	local f=$1 rc
	shift
	bounded 900 "$MMAP_LOAD" "$@" >"$f" 2>&1
	rc=$?
	[ "$rc" = 0 ] || echo "{\"rc\": $rc}" >>"$f"
	python3 - "$f" <<-'EOF' 2>/dev/null || echo "failed (rc $rc, see $f)"
		import json, sys
		j = json.loads(open(sys.argv[1]).readline())
		if "error" in j:
		    print("ERROR " + j["error"]); sys.exit()
		if j["op"] == "fill":
		    print("write %.1fs, msync+drop %.1fs, %d write-backs" % (j["write_s"], j["msync_drop_s"], j["writebacks"]))
		elif j["op"] == "read":
		    print("%.1f MiB/s, %.2fs" % (j["mib_s"], j["seconds"]))
		else:
		    s = "%.2fs" % j["seconds"]
		    if j["op"] == "seq":
		        s = "%.1f MiB/s, %s, chunk fault p50 %.0f us" % (j["mib_s"], s, j.get("chunk_fault_p50_us", 0))
		    else:
		        s = "mean %.0f us p50 %.0f us p99 %.0f us, " % (j["mean_us"], j["p50_us"], j["p99_us"]) + s
		    print(s + ", fetches %d faults %d (process %d) pmd_maps %d bad %d" %
		          (j["fetches"], j["faults_region"], j["faults_proc"], j["pmd_maps"], j["bad"]))
	EOF
	return "$rc"
}

# mmap_rand_clear TRANSPORT MIB SEED: the random cold faults again on a
# 4K-chunk region made with encrypt off: like for like with ib_read_lat,
# which moves plaintext (every other region here is encrypted, the default,
# and a fault on it decrypts its page: under TCG with the AES instructions
# emulated). TR-4K.randclear.rN.json.
mmap_rand_clear() {
	local tr=$1 msz=$2 seed=$3 name=mmap-$1-4K-clear dev out r
	if ! out=$(bounded 60 rmemctl region add "$name" size "${msz}M" type mmap chunk 4K \
		cache "${msz}M" encrypt off 2>&1); then
		fail "$name" "region add: $(echo "$out" | tail -n 1)"
		return
	fi
	if ! dev=$(mmap_dev "$name"); then
		fail "$name" "no /dev/rmemN for region $name"
	elif ! out=$(mmap_run "$OUT/mmap/$tr-4K-clear.fill.json" fill "$dev" "${msz}M"); then
		fail "$name" "fill failed: $out"
	elif [ "$(mmap_placement "$name" "$MMAP_PORT")" != ok ]; then
		fail "$name" "$(mmap_placement "$name" "$MMAP_PORT")"
	else
		for ((r = 1; r <= RUNS; r++)); do
			out=$(mmap_run "$OUT/mmap/$tr-4K.randclear.r$r.json" rand "$dev" "${msz}M" \
				"$MMAP_RAND" $((seed + r + 200)))
			progress "mmap: run $r $name $MMAP_RAND random faults, not encrypted: $out"
		done
	fi
	bounded 60 rmemctl region del "$name" >/dev/null 2>&1 || progress "mmap: region del $name failed"
}

mmap_bench() {
	local d r i tr c spec msz name dev rc out donate ok bytes seed=$RANDOM
	mkdir -p "$OUT/mmap"
	if [ ! -x "$MMAP_LOAD" ]; then
		fail mmap "mmap-load not built ($MMAP_LOAD)"
		return
	fi
	meta mmap_size_mib "$MMAP_SIZE"
	meta mmap_chunks "$MMAP_CHUNKS"
	meta mmap_rand "$MMAP_RAND"
	meta mmap_transports "$MMAP_TRANSPORTS"

	# read() of the block devices: as many bytes as the mmap region has
	bytes=$(((MMAP_SIZE < SIZE ? MMAP_SIZE : SIZE) << 20))
	meta mmap_read_mib $((bytes >> 20))
	for ((r = 1; r <= RUNS; r++)); do
		for d in $MMAP_READ_DEVS; do
			has "$DEVS" "$d" && [ -n "${DEV[$d]:-}" ] && [ -z "${FAIL[$d]:-}" ] || continue
			out=$(mmap_run "$OUT/mmap/read-$d.r$r.json" read "${DEV[$d]}" "$bytes")
			progress "mmap: read() run $r $d: $out"
		done
	done

	donate=$(mmap_donate)
	rmem_on_bg 1 rmemd-mmap "echo \$\$ >/run/rmemd-mmap.pid; exec rmemd --foreground --stderr" \
		"--donate ${donate}M --listen 0.0.0.0:$MMAP_PORT --ctl-socket /run/rmemd-mmap.sock --key-file $RMEM_KEY_FILE" >/dev/null
	if ! rmem_wait_port "$ADDR" "$MMAP_PORT" 60 2>/dev/null; then
		fail mmap "rmemd on $ADDR:$MMAP_PORT (donating ${donate}M) not reachable"
		return
	fi
	for tr in $MMAP_TRANSPORTS; do
		# the rdma_cm listener comes up after the TCP one: retry
		ok=0
		for _ in 1 2 3 4 5 6; do
			out=$(bounded 120 rmemctl node add "$ADDR:$MMAP_PORT" transport "$tr" timeout 60s 2>&1) &&
				{ ok=1; break; }
			sleep 2
		done
		if [ "$ok" = 0 ]; then
			fail "mmap-$tr" "rmemctl node add $ADDR:$MMAP_PORT transport $tr: $(echo "$out" | tail -n 1)"
			continue
		fi
		for spec in $MMAP_CHUNKS; do
			c=${spec%%:*} msz=$MMAP_SIZE
			[[ $spec == *:* ]] && msz=${spec#*:}
			name=mmap-$tr-$c
			# room for 2 MiB blocks in the compute guest (PMD-mapped chunks)
			rmem_drop_caches
			echo 1 >/proc/sys/vm/compact_memory 2>/dev/null
			if ! out=$(bounded 60 rmemctl region add "$name" size "${msz}M" type mmap \
				chunk "$c" cache "${msz}M" 2>&1); then
				fail "$name" "region add: $(echo "$out" | tail -n 1)"
				continue
			fi
			if ! dev=$(mmap_dev "$name"); then
				fail "$name" "no /dev/rmemN for region $name"
				bounded 60 rmemctl region del "$name" >/dev/null 2>&1
				continue
			fi
			out=$(mmap_run "$OUT/mmap/$tr-$c.fill.json" fill "$dev" "${msz}M")
			rc=$?
			progress "mmap: $name ($dev): fill $out"
			out=$(mmap_placement "$name" "$MMAP_PORT")
			if [ "$rc" != 0 ] || [ "$out" != ok ]; then
				[ "$rc" != 0 ] && out="fill failed (rc $rc)"
				fail "$name" "$out"
				bounded 60 rmemctl region del "$name" >/dev/null 2>&1
				continue
			fi
			for ((r = 1; r <= RUNS; r++)); do
				for i in 1 2 3; do
					adv=
					[ "$i" = 3 ] && adv=random
					out=$(mmap_run "$OUT/mmap/$tr-$c.seq$i.r$r.json" seq "$dev" "${msz}M" $adv)
					rc=$?
					progress "mmap: run $r $name load $i: $out"
					[ "$rc" = 0 ] || break
				done
				[ "$rc" = 0 ] || { fail "$name" "sequential load failed: $out"; break; }
				if [ "$c" = 4K ] && [ "$MMAP_RAND" -gt 0 ]; then
					out=$(mmap_run "$OUT/mmap/$tr-$c.rand.r$r.json" rand "$dev" "${msz}M" \
						"$MMAP_RAND" $((seed + r)))
					progress "mmap: run $r $name $MMAP_RAND random faults: $out"
					# The same without the fault's hold (issue 16): it lets go
					# of the mmap lock at once and is retried, as before.
					if [ -w "$FAULT_HOLD" ]; then
						hold0=$(cat "$FAULT_HOLD")
						echo 0 >"$FAULT_HOLD"
						out=$(mmap_run "$OUT/mmap/$tr-$c.rand0.r$r.json" rand "$dev" \
							"${msz}M" "$MMAP_RAND" $((seed + r + 100)))
						echo "$hold0" >"$FAULT_HOLD"
						progress "mmap: run $r $name $MMAP_RAND random faults, fault_hold_us=0: $out"
					fi
				fi
			done
			rmemctl region show "$name" >"$OUT/state/mmap-$name.txt" 2>&1
			bounded 60 rmemctl region del "$name" >/dev/null 2>&1 ||
				progress "mmap: region del $name failed"
			[ "$c" = 4K ] && [ "$MMAP_RAND" -gt 0 ] && mmap_rand_clear "$tr" "$msz" "$seed"
		done
		bounded 60 rmemctl node del "$ADDR:$MMAP_PORT" >/dev/null 2>&1 ||
			progress "mmap: node del $ADDR:$MMAP_PORT failed"
	done
	# shellcheck disable=SC2016 # expanded on the memory guest
	rmem_on 1 'kill $(cat /run/rmemd-mmap.pid)' >/dev/null 2>&1
}

mmap_bench
