#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# apply_test: rmemctl apply FILE (rmem.conf(5), issue 15) on a real module.
#   - a file with the cluster key, a node, a swap region (priority 7) and an
#     mmap region: the first apply adds the node and both regions and turns
#     swap on; the key, installed at boot, is "present"
#   - a second apply changes nothing: everything "present", same ids
#   - a file whose region differs (size, replicas): exit 1, "differs" with
#     both values, nothing changed; a file with a bad line: exit 2, the line
#     named, nothing changed
#   - after swapoff, deleting everything and rmmod + modprobe (a reboot, as
#     far as the module can tell), apply brings the same regions back,
#     swap on again at priority 7, and -j prints one JSON object per entry
#   - with udevd running rmem's rules (60-rmem.rules), both regions have
#     /dev/rmem/by-name/NAME links, before and after the reload, and the
#     swap is on the device the link leads to
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

tap_plan 10
tmp=$(mktemp -d)
trap 'blk_cleanup; udev_stop; rm -rf "$tmp"' EXIT
udev_start || tap_diag <<<"systemd-udevd did not start: the by-name checks will fail"

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
addr="$(first_node):$RMEM_PORT"
conf=$tmp/rmem.conf
cat >"$conf" <<EOF
# rmem.conf for apply_test
key $RMEM_KEY_FILE
node $addr transport ${RMEM_TRANSPORT:-tcp} timeout 20s

region asw size 64M swap priority 7   # swap on a block region
region amm size 8M type mmap chunk 64K cache 1M
EOF

# state: the module's nodes and regions, without moving counters.
state() {
	{ rmemctl -j node show; echo; rmemctl -j region show; } | python3 -c '
import json, sys
keep = ("id", "address", "port", "transport", "name", "type", "device", "size", "replicas",
        "encrypt", "chunk_size", "cache_size")
for doc in sys.stdin.read().split("\n\n"):
    if doc.strip():
        print(json.dumps([{k: v for k, v in sorted(o.items()) if k in keep}
                          for o in json.loads(doc)], sort_keys=True))'
}
# actions: "KIND NAME ACTION" per entry, from apply -j's output on stdin.
actions() {
	python3 -c '
import json, sys
for o in json.load(sys.stdin):
    print(o["kind"], o["name"], o["action"])'
}
swap_prio() { awk -v d="$1" '$1 == d { print $5 }' /proc/swaps; }

# 1. first apply
out=$(rmemctl -j apply "$conf" 2>"$tmp/err")
rc=$?
acts=$(actions <<<"$out" 2>/dev/null | sort | tr '\n' ',')
dev=/dev/$(region_field asw device)
want="key $RMEM_KEY_FILE present,node $addr added,region amm added,region asw added,swap asw added,"
[ $rc = 0 ] && [ "$acts" = "$want" ] && [ "$(swap_prio "$dev")" = 7 ] &&
	[ "$(region_field amm type)" = mmap ] && [ "$(region_field amm chunk_size)" = 65536 ]
tap_last=$?; tap_result "first apply: node, regions added, swap on $dev at priority $(swap_prio "$dev"), key present (exit $rc: $acts)" "$tap_last" ||
	tap_diag <"$tmp/err"

# by-name links (udev)
bn_sw=$(by_name asw) bn_mm=$(by_name amm)
[ -n "$bn_sw" ] && [ "$bn_sw" = "$dev" ] && [ "$bn_mm" = "/dev/$(region_field amm device)" ]
tap_result "udev: /dev/rmem/by-name/asw -> ${bn_sw:-nothing}, /dev/rmem/by-name/amm -> ${bn_mm:-nothing}" $?

# 2. again: nothing changes
before=$(state)
out=$(rmemctl -j apply "$conf" 2>"$tmp/err")
rc=$?
acts=$(actions <<<"$out" 2>/dev/null | awk '{ print $3 }' | sort -u | tr '\n' ' ')
[ $rc = 0 ] && [ "$acts" = "present " ] && [ "$(state)" = "$before" ]
tap_result "second apply: every entry present, nothing changed (exit $rc: $acts)" $? ||
	tap_diag <"$tmp/err"

# 3. a file that differs from the module
sed -e 's/region asw size 64M/region asw size 128M replicas 2/' "$conf" >"$tmp/differs.conf"
out=$(rmemctl apply "$tmp/differs.conf" 2>&1)
rc=$?
[ $rc = 1 ] && grep -q "region asw differs: size 128M in the file, 64M in the module; replicas 2 in the file, 1 in the module" <<<"$out" &&
	[ "$(state)" = "$before" ] && [ "$(swap_prio "$dev")" = 7 ]
tap_result "a region that differs: exit $rc, reported with both values, nothing changed" $? ||
	tap_diag <<<"$out"

# 4. a bad line
printf 'node %s\nregion bad size 12Q\n' "$addr" >"$tmp/bad.conf"
out=$(rmemctl apply "$tmp/bad.conf" 2>&1)
rc=$?
[ $rc = 2 ] && grep -q "line 2: region: invalid size '12Q'" <<<"$out" &&
	grep -q "nothing was changed" <<<"$out" && [ "$(state)" = "$before" ]
tap_result "a bad line: exit $rc, '$out', nothing changed" $?

# 5. "reboot": everything gone, module reloaded
swapoff "$dev"
blk_cleanup
rmmod rmem && rmem_modprobe
ok_rc=$?
[ -z "$(region_names)" ] && [ -z "$(node_ids)" ] && [ $ok_rc = 0 ]
tap_result "swapoff, regions and node deleted, rmmod + modprobe: the module is empty" $?

out=$(rmemctl -j apply "$conf" 2>"$tmp/err")
rc=$?
dev2=/dev/$(region_field asw device)
acts=$(actions <<<"$out" 2>/dev/null | sort | tr '\n' ',')
[ $rc = 0 ] && [ "$acts" = "$want" ] && [ "$(swap_prio "$dev2")" = 7 ] &&
	[ -n "$(region_field amm device)" ]
tap_result "apply after the reload: regions asw ($dev2) and amm back, swap on at priority 7 (exit $rc)" $? ||
	tap_diag <"$tmp/err"

# the same by-name paths, whatever the numbers are now; swap on that device
bn_sw2=$(by_name asw) bn_mm2=$(by_name amm)
[ -n "$bn_sw2" ] && [ "$bn_sw2" = "$dev2" ] && [ "$(swap_prio "$bn_sw2")" = 7 ] &&
	[ "$bn_mm2" = "/dev/$(region_field amm device)" ]
tap_last=$?; tap_result "after the reload: /dev/rmem/by-name/asw -> ${bn_sw2:-nothing} (swap on, priority $(swap_prio "${bn_sw2:-none}")), /dev/rmem/by-name/amm -> ${bn_mm2:-nothing}" "$tap_last"

# 6. the swap works: a page written out and read back
python3 -c 'import json, sys; d = json.load(sys.stdin); assert len(d) == 5 and all(
    set(o) == {"kind", "name", "action", "detail"} for o in d)' <<<"$out"
tap_result "apply -j: one JSON object per entry (kind, name, action, detail)" $?
rmem_limited 16M rmem_pattern 32M 1 >"$tmp/pattern" 2>&1
rc=$?
[ $rc = 0 ] && [ "$(region_field asw write_bytes)" -gt 0 ]
tap_last=$?; tap_result "the applied swap carries a 32 MiB pattern at a 16 MiB cgroup, read back intact (rc $rc, written $(region_field asw write_bytes) bytes)" "$tap_last" ||
	tap_diag <"$tmp/pattern"

tap_done
