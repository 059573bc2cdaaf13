#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mmap_close_test: an mmap region's last close writes its dirty cache back,
# and the region counts as open until that is done.
#
# A published mmap region (ours, not sealed) is written through a mapping
# with no msync, so the writer's last close writes back every chunk; each
# write is slowed with the debugfs fault-injection point
# delay_write_done_ms, so that write-back takes seconds. Meanwhile:
#   - a seal tried over and over from the moment the writer starts is
#     refused (EBUSY) until the write-back is done, then succeeds, and
#     every byte reads back as written; it used to succeed as soon as the
#     file was closed, the rest of the write-back was then refused (the
#     region read-only) and those pages were lost
#   - a region del tried during such a close (a second region, not
#     published) is refused, and the region's data is all written back
#     when the close ends; it used to go ahead and free the region under
#     the write-back
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

SIZE=$((4 << 20))
CHUNK=64K
DELAY_MS=100
FI=/sys/kernel/debug/rmem

tap_plan 5
tmp=$(mktemp -d)
cleanup() {
	[ -w "$FI/delay_write_done_ms" ] && echo 0 >"$FI/delay_write_done_ms"
	rmemctl region del mc-pub purge >/dev/null 2>&1
	blk_cleanup
	rm -rf "$tmp"
}
trap cleanup EXIT

[ -d "$FI" ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
node=$(blk_setup_node 30s)
pub=$(mmap_add mc-pub "$SIZE" "$CHUNK" "$SIZE" publish key-file "$RMEM_REGION_KEY_FILE") &&
	priv=$(mmap_add mc-priv "$SIZE" "$CHUNK" "$SIZE")
tap_last=$?
[ "$tap_last" = 0 ] && [ -w "$FI/delay_write_done_ms" ]
tap_last=$?; tap_result "node $node, published mmap region mc-pub ($pub), mc-priv ($priv), $CHUNK chunks, debugfs delay_write_done_ms" "$tap_last" ||
	{ tap_fail_rest "no setup"; tap_done; }

# seal_loop OUT: try the seal every 0.1 s until it succeeds (60 s at most);
# OUT gets one line per refusal and the time of success.
seal_loop() {
	local i
	for i in $(seq 600); do
		if rmemctl region seal mc-pub >/dev/null 2>"$tmp/seal.err"; then
			echo "sealed after $i tries" >>"$1"
			return 0
		fi
		echo "refused: $(head -n1 "$tmp/seal.err")" >>"$1"
		sleep 0.1
	done
	return 1
}

echo "$DELAY_MS" >"$FI/delay_write_done_ms"
mark="mmap_close_test: seal $$"
echo "$mark" >/dev/kmsg
since() { dmesg | sed -n "/$mark/,\$p"; }
mm "$pub" "$SIZE" write 11 >"$tmp/w.out" 2>&1 &
writer=$!
: >"$tmp/seal.log"
seal_loop "$tmp/seal.log"
src=$?
rmem_wait_gone 120 "$writer" || kill "$writer" 2>/dev/null
wait "$writer"
wrc=$?
echo 0 >"$FI/delay_write_done_ms"
refused=$(grep -c "^refused" "$tmp/seal.log")
wbe=$(since | grep -c "refused: the region is read-only")
[ "$src" = 0 ] && [ "$wrc" = 0 ] && [ "$wbe" = 0 ] && [ "$refused" -ge 1 ]
tap_last=$?; tap_result "mc-pub: a seal waited for the last close's write-back ($refused refusals, writer rc $wrc, $wbe write-backs refused as read-only)" "$tap_last"
{ tail -n 3 "$tmp/seal.log"; cat "$tmp/w.out"; since | grep -E "mc-pub" | tail -n 5; } | tap_diag

mm "$pub" "$SIZE" verify 11 >"$tmp/v.out" 2>&1
vrc=$?
[ "$vrc" = 0 ] && [ "$(region_field mc-pub published)" = sealed ]
tap_last=$?; tap_result "mc-pub: sealed, and every byte reads back as written (rc $vrc)" "$tap_last"
tap_diag <"$tmp/v.out"

# A delete during the last close's write-back.
echo "$DELAY_MS" >"$FI/delay_write_done_ms"
mm "$priv" "$SIZE" write 12 >"$tmp/w2.out" 2>&1 &
writer=$!
# Refused while the writer has it open, and (the point) while its last
# close writes the pattern back (the cache is the whole region: nothing is
# written back before), chunk by chunk, which takes seconds. Tried until
# every chunk is written back. A delete that got through is a fault if it
# returned before the writer's last close did (CLOSED_AT, after its
# write-back; both on the clock of /proc/uptime): the count of write-backs
# read before the try cannot tell, since the rest of the write-back may end
# while rmemctl runs (34 of 64 were read so once, under TCG, where
# delay_write_done_ms's busy wait is shorter than it says).
chunks=$((SIZE / 65536))
del=none tries=0 wb=0 del_at=0
while [ "$tries" -lt 600 ]; do
	wb=$(region_field mc-priv writebacks)
	[ "${wb:-0}" -ge "$chunks" ] && break
	kill -0 "$writer" 2>/dev/null || break
	tries=$((tries + 1))
	if rmemctl region del mc-priv >"$tmp/del.out" 2>&1; then
		del_at=$(cut -d' ' -f1 /proc/uptime)
		del=$wb
		break
	fi
	sleep 0.1
done
rmem_wait_gone 120 "$writer" || kill "$writer" 2>/dev/null
wait "$writer"
wrc=$?
echo 0 >"$FI/delay_write_done_ms"
closed_at=$(sed -n 's/^CLOSED_AT=//p' "$tmp/w2.out")
early=0
[ "$del" != none ] && awk -v c="${closed_at:-0}" -v d="$del_at" 'BEGIN { exit !(c > d + 0.01) }' &&
	early=1
what="never deleted"
[ "$del" != none ] && what="deleted at $del_at s"
{ [ "$del" = none ] || [ -n "$closed_at" ]; } && [ "$early" = 0 ] && [ "$wrc" = 0 ] &&
	[ "$tries" -ge 1 ]
tap_last=$?; tap_result "mc-priv: region del refused during the last close's write-back ($tries tries; $what, the close done at ${closed_at:-?} s, ${wb:-?} of $chunks chunks written back before the last try; writer rc $wrc)" "$tap_last"
tap_diag <"$tmp/del.out"

if [ "$del" = none ]; then
	out=$(mm "$priv" "$SIZE" verify 12 2>&1)
	vrc=$?
	rmemctl region del mc-priv >/dev/null 2>&1
else
	out="deleted once written back: nothing left to read"
	vrc=0
fi
[ "$vrc" = 0 ] && ! dmesg | grep -qE "KASAN|BUG:|general protection"
tap_last=$?; tap_result "mc-priv: every byte written back reads back (rc $vrc), then deleted; no oops" "$tap_last"
echo "$out" | tap_diag
tap_done
