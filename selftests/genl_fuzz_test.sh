#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# genl_fuzz_test: the generic netlink family "rmem" under random messages
# (selftests/rmem_genl_fuzz.c: random commands, flags and attributes, half of
# them well-formed values), 100,000 from an unprivileged process (nobody, no
# capabilities) and 100,000 from root (node addresses kept on loopback, where
# nothing listens). Every message must get its answer; the kernel log must
# stay clean; the unprivileged run must change nothing (status, nodes,
# regions, keys); after the root run and a cleanup of what it added (keys),
# the module is as before. RMEM_GENL_FUZZ_COUNT overrides the count.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

N=${RMEM_GENL_FUZZ_COUNT:-100000}
tap_plan 7
trap blk_cleanup EXIT
blk_cleanup
keys0=$(rmemctl -j key show)
snap() {
	rmemctl -j status
	rmemctl -j node show
	rmemctl -j region show
	rmemctl -j key show
}
before=$(snap)

mark=$(dmesg_mark)
t0=$SECONDS
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all \
	rmem_genl_fuzz --count "$N" --seed "$RANDOM$RANDOM" 2>&1)
rc=$?
tap_result "unprivileged: $N random messages, each answered in $((SECONDS - t0)) s ($out)" $rc
after=$(snap)
[ "$before" = "$after" ]
tap_result "unprivileged: nothing changed (status, nodes, regions, keys)" $?
diff <(echo "$before") <(echo "$after") | head -n 20 | tap_diag
dmesg_since "$mark" | grep -E "$KERNEL_BAD_RE" | head -n 5 >/tmp/genl_fuzz.bad
[ ! -s /tmp/genl_fuzz.bad ]
tap_result "unprivileged: kernel log clean" $?
tap_diag </tmp/genl_fuzz.bad

mark=$(dmesg_mark)
t0=$SECONDS
out=$(rmem_genl_fuzz --privileged --count "$N" --seed "$RANDOM$RANDOM" 2>&1)
rc=$?
tap_result "root: $N random messages, each answered in $((SECONDS - t0)) s ($out)" $rc
dmesg_since "$mark" | grep -E "$KERNEL_BAD_RE" | head -n 5 >/tmp/genl_fuzz.bad
[ ! -s /tmp/genl_fuzz.bad ]
tap_result "root: kernel log clean" $?
tap_diag </tmp/genl_fuzz.bad

# What root's messages may have added: keys (random 32 bytes are valid
# keys), nodes and regions (none expected: loopback has no rmemd).
nadded=$(rmemctl -j key show | grep -o '"id": *"[0-9a-f]*"' | grep -o '[0-9a-f]\{16\}' |
	grep -vxF -f <(grep -o '"id": *"[0-9a-f]*"' <<<"$keys0" | grep -o '[0-9a-f]\{16\}') |
	while read -r id; do rmemctl key del "$id" >/dev/null && echo "$id"; done | wc -l)
blk_cleanup
after=$(snap)
[ "$before" = "$after" ]
tap_result "root: after deleting the $nadded keys it added, the module is as before" $?
diff <(echo "$before") <(echo "$after") | head -n 20 | tap_diag
tap_check "the module still serves: rmemctl status" rmemctl status
tap_done
