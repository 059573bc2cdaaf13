#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# observe_test: what an operator watches (issue 15): sysfs, tracepoints and
# rmemctl monitor.
#   1-3 every sysfs attribute of a block region, an mmap region and a node
#       holds the value rmemctl -j gives under the same key; every key of
#       rmemctl -j has its attribute (but the device's name and the
#       placement list); every attribute is documented in
#       Documentation/ABI/testing/
#   4   a node's timeout_ms is writable: rmemctl sees the new value; an
#       out-of-range or malformed value is refused and changes nothing
#   5   a region's and a node's directories go with them
#   6   tracepoints fire: request submit/complete (with a latency), mmap
#       fault/fetch/evict/write-back, node state and reconnect
#   7-8 rmemctl monitor (-j and text) prints the node's state changes when
#       its rmemd is killed and comes back
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

tap_plan 8
tmp=$(mktemp -d)
abi=$(cd "$(dirname "$0")/.." && pwd)/Documentation/ABI/testing
tracing=/sys/kernel/tracing
mon=
trap 'kill $mon 2>/dev/null; rmem_trace 0; blk_cleanup; rm -rf "$tmp"' EXIT

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
id=$(blk_setup_node 20s)
blk=$(blk_add_region obs_blk 32M) && mmdev=$(mmap_add obs_mm 8M 64K 256K) ||
	{ tap_fail_rest "cannot set up the node and regions"; tap_done; }
blkname=${blk#/dev/} mmname=${mmdev#/dev/}
MMSIZE=$((8 << 20))
# Some traffic, so that the counters are not all zero.
dd if=/dev/urandom of="$blk" bs=64K count=16 oflag=direct status=none
dd if="$blk" of=/dev/null bs=64K count=16 iflag=direct status=none
mm "$mmdev" "$MMSIZE" fill 7 >"$tmp/mm" && mm "$mmdev" "$MMSIZE" drop >>"$tmp/mm" ||
	tap_diag <"$tmp/mm"

# compare DIR KIND JSON: every attribute in DIR against the JSON object;
# prints the number of attributes, then one line per mismatch.
compare() {
	python3 - "$1" "$2" "$3" "$abi" <<'EOF'
import glob, json, os, sys
d, kind, doc, abi = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
if isinstance(doc, list):
    doc = doc[0]
# rmemctl's words for 0/1 flags; values that move between two reads.
words = {"prealloc": {"yes": "1", "no": "0"}, "encrypt": {"on": "1", "off": "0"}}
moving = {"latency_ns"}
# Keys with no attribute: the device is the directory; placement is a list.
no_attr = {"device", "placement"}
docs = "".join(open(f).read() for f in glob.glob(os.path.join(abi, "sysfs-*")))
what = {"block": "/sys/block/rmemblk<N>/rmem/", "mmap": "/sys/class/rmem/rmem<N>/rmem/",
        "node": "/sys/kernel/rmem/nodes/<ID>/"}[kind]
files = sorted(os.listdir(d))
bad = []
for f in files:
    v = open(os.path.join(d, f)).read().rstrip("\n")
    if "What:\t\t" + what + f + "\n" not in docs:
        bad.append(f"{f}: not documented as {what}{f}")
    if f not in doc:
        bad.append(f"{f}: no such key in rmemctl -j")
        continue
    j = "" if doc[f] is None else str(doc[f])
    j = words.get(f, {}).get(j, j)
    if f in moving:
        if not (v.isdigit() and j.isdigit()):
            bad.append(f"{f}: sysfs {v!r}, rmemctl {j!r}")
    elif v != j:
        bad.append(f"{f}: sysfs {v!r}, rmemctl {j!r}")
for k, val in doc.items():
    if k not in files and k not in no_attr and val is not None:
        bad.append(f"{k}: in rmemctl -j ({val!r}), no attribute")
print(len(files))
for b in bad:
    print(b)
EOF
}

# check_dir N DIR KIND JSON NAME
check_dir() {
	local out n
	out=$(compare "$2" "$3" "$4" 2>&1)
	n=$(head -n1 <<<"$out")
	[ -d "$2" ] && [ "$(wc -l <<<"$out")" = 1 ] && [ "${n:-0}" -ge "$1" ]
	tap_result "$5: $n attributes in ${2#/sys}, each equal to rmemctl -j's and documented" $? ||
		tail -n +2 <<<"$out" | tap_diag
}

# 1-3. sysfs against rmemctl -j
check_dir 23 "/sys/block/$blkname/rmem" block "$(rmemctl -j region show obs_blk)" "block region"
check_dir 34 "/sys/class/rmem/$mmname/rmem" mmap "$(rmemctl -j region show obs_mm)" "mmap region"
check_dir 20 "/sys/kernel/rmem/nodes/$id" node "$(rmemctl -j node show "$id")" "node $id"

# 4. the one writable knob
t=/sys/kernel/rmem/nodes/$id/timeout_ms
echo 15000 >"$t" 2>"$tmp/err"
set1=$(node_field "$id" timeout_ms)
echo 50 >"$t" 2>>"$tmp/err"
rc_low=$?
echo 12x >"$t" 2>>"$tmp/err"
rc_bad=$?
[ "$set1" = 15000 ] && [ $rc_low != 0 ] && [ $rc_bad != 0 ] && [ "$(cat "$t")" = 15000 ] &&
	[ "$(node_field "$id" timeout_ms)" = 15000 ] && [ "$(stat -c %a "$t")" = 644 ]
tap_result "node timeout_ms: 15000 written is rmemctl's timeout ($set1); 50 and '12x' refused, unchanged" $? ||
	tap_diag <"$tmp/err"

# 5. directories go with what they describe
rmemctl region add obs_tmp size 4M >/dev/null
tmpdev=$(region_field obs_tmp device)
[ -d "/sys/block/$tmpdev/rmem" ] && [ "$(cat "/sys/block/$tmpdev/rmem/name")" = obs_tmp ]
had=$?
rmemctl region del obs_tmp >/dev/null
[ $had = 0 ] && [ ! -e "/sys/block/$tmpdev" ]
tap_result "region obs_tmp: /sys/block/$tmpdev/rmem/name is its name, and goes with region del" $?

# 6-8. tracepoints and monitor, around a kill of rmemd (the node goes down
# and comes back) and some I/O
rmemctl -j monitor >"$tmp/mon.json" 2>"$tmp/mon.err" &
mon=$!
rmemctl monitor >"$tmp/mon.txt" 2>"$tmp/mon.txt.err" &
mon="$mon $!"
for _ in $(seq 50); do
	grep -q monitoring "$tmp/mon.err" && grep -q monitoring "$tmp/mon.txt.err" && break
	sleep 0.1
done
# A node add that fails (nothing listens on port 1) is no node's event.
rmemctl node add "$(first_node):1" transport tcp timeout 5s >/dev/null 2>&1
badadd=$?
rmem_trace 1
dd if=/dev/urandom of="$blk" bs=4K count=8 oflag=direct status=none
dd if="$blk" of=/dev/null bs=4K count=8 iflag=direct status=none
# 8 MiB through a 256 KiB cache: faults, fetches, evictions, write-backs
mm "$mmdev" "$MMSIZE" verify 7 >"$tmp/mm" && mm "$mmdev" "$MMSIZE" fill 8 >>"$tmp/mm" ||
	tap_diag <"$tmp/mm"
rec=$(rmemd_kill_restart "$id" observe-rmemd)
back=$?
sleep 1
rmem_trace 0
events=$(grep -oE 'rmem_[a-z_]+:' "$tracing/trace" 2>/dev/null | sort | uniq -c |
	awk '{ printf "%s%s", sep, $2 $1; sep = " " }')
missing=
for e in rmem_req_submit rmem_req_complete rmem_mmap_fault rmem_mmap_fetch rmem_mmap_evict \
	rmem_mmap_writeback rmem_node_state rmem_node_reconnect; do
	[[ " $events" == *" $e:"* ]] || missing+=" $e"
done
lat=$(grep -m1 -oE 'rmem_req_complete: node=[0-9]+ .* err=0 latency_ns=[0-9]+' "$tracing/trace" |
	grep -oE '[0-9]+$')
[ -z "$missing" ] && [ "${lat:-0}" -gt 0 ]
tap_result "tracepoints fire: $events (missing:${missing:- none}; a completion's latency ${lat:-?} ns)" $?

kill $mon 2>/dev/null
wait $mon 2>/dev/null
mon=
seen=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == "node_state" and e.get("node") == int(sys.argv[2]):
        print(e["old_state"] + ">" + e["state"], end=" ")' "$tmp/mon.json" "$id" 2>&1)
others=$(python3 -c '
import json, sys
ids = {e.get("node") for e in map(json.loads, open(sys.argv[1]))
       if e.get("event") == "node_state"}
print(" ".join(str(i) for i in sorted(ids - {int(sys.argv[2])})))' "$tmp/mon.json" "$id" 2>&1)
[ $back = 0 ] && [[ "$seen" == *"live>reconnecting "* ]] && [[ "$seen" == *">live "* ]] &&
	[ $badadd != 0 ] && [ -z "$others" ]
tap_result "monitor -j: node $id went live>reconnecting and back to live (reconnects $rec): $seen; a failed node add (exit $badadd) sent no event (other nodes: ${others:-none})" $? ||
	tap_diag <"$tmp/mon.err"
grep -q "^node_state node=$id old_state=live state=reconnecting$" "$tmp/mon.txt" &&
	grep -qE "^node_state node=$id old_state=[a-z]+ state=live$" "$tmp/mon.txt"
tap_result "monitor (text): one line per change, 'node_state node=$id old_state=live state=reconnecting'" $? ||
	tap_diag <"$tmp/mon.txt"

tap_done
