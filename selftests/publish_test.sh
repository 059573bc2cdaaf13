#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# publish_test: published regions (issue 17), on one compute node. A block
# region is published, loaded from a file (rmemctl region load) and sealed;
# it is then read-only here and on the memory node. Deleted here without
# purge, its slabs stay on the node (rmemd --status), publishing the name
# again is refused (sealed or not: it would take them over), and attaching it gives
# a read-only mmap region with the file's bytes. After the module is
# reloaded (a new session: as another compute node would be) it is
# attached again, as a block device this time, with the same bytes.
# Writes through an attached device are refused (EROFS) and change
# nothing, and the node holding its copy cannot be deleted under it. The
# seal writes the pages' checksums after the data (one more slab here);
# the attached view checks every page it reads against them: a bit
# flipped on the memory node (rmemd --test-corrupt) is an EIO and a
# csum_errors count, never the wrong bytes; the same flip in the table of
# checksums (the slab after the data's) makes a new attach fail, and once
# flipped back the region attaches and reads right again. Attaching an
# unsealed region or an unknown name is refused with a clear message, as
# is publishing a name in use and purging a region another session (a
# Python client of the protocol, holding the cluster key) is attached to;
# a client with another key does not see the region. Purged, it is gone
# from the memory node. Last, rmemd --delete-published of a region still
# attached here is refused, and with --force the attached reads fail (EIO).
#
# Encryption: published with encryption on (the default) it needs a key
# its readers share (key-file, $RMEM_REGION_KEY_FILE here): without one
# the publish is refused, and so is one with the cluster key. rmemd's
# memory never holds the file's bytes (a marker page in it is looked for,
# selftests/rmem_scan.py); an attach
# without the key, or with another, is refused, and one with the key reads
# the file. A region published with 'encrypt off' holds the marker on the
# memory node, attaches without a key and refuses one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

M=1048576
SIZE=$((48 * M))
LEN=$((SIZE - 3 * M - 5))	# the file ends inside a page, short of the end
tap_plan 29
tmp=$(mktemp -d)
client='' rmemd_cmd=''
finish() {
	[ -n "$client" ] && kill "$client" 2>/dev/null
	rmemctl region del pb-blk purge >/dev/null 2>&1
	rmemctl region del pb-u purge >/dev/null 2>&1
	rmemctl region del pb-plain purge >/dev/null 2>&1
	[ -n "$rmemd_cmd" ] && rmemd_relaunch rmemd-after-publish "$rmemd_cmd"
	rmem_reload
	rm -rf "$tmp"
}
trap finish EXIT

here=$(cd "$(dirname "$0")" && pwd)
# same_as_file DEV [direct]: DEV (block or mmap) holds the file's bytes, then
# zeros (with direct: read with O_DIRECT, from the memory node).
same_as_file() {
	[ "$(python3 "$here/rmem_digest.py" "$1" $SIZE ${2:-})" = "$want" ]
}

# open_rw DEV: the errno name opening DEV for writing gets ("OK" if none).
open_rw() {
	python3 "$here/rmem_digest.py" --write-errors "$1" | cut -d' ' -f1
}

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
key=${RMEM_REGION_KEY_FILE:-}
[ -r "$key" ] || { tap_fail_rest "no region key (RMEM_REGION_KEY_FILE)"; tap_done; }
rmemctl key generate "$tmp/other.key" >/dev/null
# 4 MiB slabs: the region spans 12 extents, more than one PUB_MAP reply lists.
rmemd_cmd=$(rmemd_cmdline)
OFF=8192	# --test-corrupt: a bit of page 2 of every slab in use
rmemd_relaunch rmemd-publish "$rmemd_cmd" --slab-size 4M --test-corrupt $OFF
rmem_reload slab_mb=4
node=$(blk_setup_node 20s)
before=$(rmemd_status published)
! rmemctl region add pb-blk size $SIZE publish 2>"$tmp/err" &&
	grep -q "a published region is encrypted with a key its readers share" "$tmp/err" &&
	[ -z "$(region_names)" ] && [ "$(rmemd_status published)" = "$before" ]
tap_last=$?; tap_result "publishing with encryption on (the default) and no key is refused: '$(cat "$tmp/err")'; nothing made" "$tap_last"

! rmemctl region add pb-blk size $SIZE publish key-file "$RMEM_KEY_FILE" 2>"$tmp/err" &&
	grep -q "that key is a cluster key, which the memory nodes hold" "$tmp/err" &&
	[ -z "$(region_names)" ] && [ "$(rmemd_status published)" = "$before" ]
tap_last=$?; tap_result "publishing with the cluster key as its key is refused: '$(cat "$tmp/err")'; nothing made" "$tap_last"

out=$(rmemctl region add pb-blk size $SIZE publish key-file "$key" 2>&1)
blk=/dev/$(region_field pb-blk device)
dev_wait "${blk#/dev/}" b
[ -n "$node" ] && [ -b "$blk" ] && [ "$(region_field pb-blk published)" = yes ] &&
	[ "$(region_field pb-blk encrypt)" = on ] && [ "$(rmemd_status published)" = $((before + 1)) ]
tap_result "published block region pb-blk ($blk) with the region key: shown as published and encrypted here, listed by rmemd" $?
echo "$out" | tap_diag

# The file: 1 MiB of marker pages, then random bytes.
mk=$(marker pub-enc)
marker_pages "$mk" 256 "$tmp/f" && head -c $((LEN - M)) /dev/urandom >>"$tmp/f"
want=$(python3 "$here/rmem_digest.py" "$tmp/f" $SIZE)
out=$(rmemctl region load pb-blk "$tmp/f" 2>&1)
rc=$?
slabs=$(rmemd_status published_slabs)
[ "$rc" = 0 ] && same_as_file "$blk" && [ "${slabs:-0}" = $((SIZE / (4 * M))) ]
tap_result "a $LEN-byte file loaded into it reads back; rmemd holds $slabs published slabs" $?
echo "$out" | tail -n 2 | tap_diag
scan=$(rmemd_scan "$mk" 2>&1)
n=$(awk -v m="$mk" '$1 == m { print $2 }' <<<"$scan")
[ "$n" = 0 ]
tap_last=$?; tap_result "the memory node holds only ciphertext: the file's marker is in rmemd's memory ${n:-?} times" "$tap_last"
tap_diag <<<"$scan"

out=$(rmemctl region seal pb-blk 2>&1)
rc=$?
[ "$rc" = 0 ] && [ "$(region_field pb-blk published)" = sealed ] &&
	[ "$(open_rw "$blk")" = EROFS ] && same_as_file "$blk"
tap_result "sealed: shown as sealed, opening it to write gives EROFS, the bytes are unchanged" $?
echo "$out" | tap_diag
# The readers' checksums: $SIZE bytes of data, 4 bytes per page of it and a
# page, in a 13th slab.
slabs=$(rmemd_status published_slabs)
[ "$slabs" = $((SIZE / (4 * M) + 1)) ] && [ "$(region_field pb-blk size)" = $SIZE ]
tap_last=$?
tap_result "the seal wrote its pages' checksums after them: $slabs slabs on the node, still $(region_field pb-blk size) bytes here" "$tap_last"

out=$(rmemctl region del pb-blk 2>&1) && [ -z "$(region_names)" ] &&
	[ "$(rmemd_status published_slabs)" = "$slabs" ]
tap_result "deleted here without purge: its $slabs slabs stay on the memory node" $?
echo "$out" | tap_diag

# The kept name is ours on the node (same session): publishing it again must
# not take its slabs over (the new region would read their old data), nor
# delete them when the add fails.
! rmemctl region add pb-blk size $SIZE publish key-file "$key" 2>"$tmp/err" &&
	grep -q "published on node $node already" "$tmp/err" && [ -z "$(region_names)" ] &&
	[ "$(rmemd_status published_slabs)" = "$slabs" ]
tap_last=$?; tap_result "publishing the kept name again from here is refused: '$(cat "$tmp/err")'; its slabs stay" "$tap_last"

! rmemctl region attach pb-blk type mmap 2>"$tmp/err" &&
	grep -q "it is encrypted: attach it with the key it was published with" "$tmp/err" &&
	! rmemctl region attach pb-blk type mmap key-file "$tmp/other.key" 2>"$tmp/err2" &&
	grep -q "the key given is not the one it was published with" "$tmp/err2" &&
	[ -z "$(region_names)" ]
tap_last=$?; tap_result "attaching it without a key is refused ('$(cat "$tmp/err")'), and with another key ('$(cat "$tmp/err2")')" "$tap_last"

out=$(rmemctl region attach pb-blk type mmap key-file "$key" 2>&1)
rc=$?
mm=/dev/$(region_field pb-blk device)
dev_wait "${mm#/dev/}" c
[ "$rc" = 0 ] && [ -c "$mm" ] && [ "$(region_field pb-blk published)" = attached ] &&
	same_as_file "$mm"
tap_result "attached as an mmap region ($mm): every byte is the file's" $?
echo "$out" | tap_diag

errs=$(python3 "$here/rmem_digest.py" --write-errors "$mm")
[ "$errs" = "EROFS EACCES EINVAL" ] && same_as_file "$mm"
tap_result "the attached mmap region: open O_RDWR, a writable shared mapping and a writable private one give '$errs'; bytes unchanged" $?

out=$(rmemctl region seal pb-blk 2>&1)
[ $? != 0 ] && echo "$out" | grep -q "sealed already"
tap_result "sealing an attached region is refused: '$out'" $?

# Another compute node's view: a new session after a module reload.
blk_cleanup
out=$(rmem_unload 2>&1) && rmem_modprobe slab_mb=4 && node=$(blk_setup_node 20s) && [ -n "$node" ]
tap_result "module reloaded (a new session), node $node added again" $?
echo "$out" | tap_diag

out=$(rmemctl region attach pb-blk type block key-file "$key" 2>&1)
rc=$?
blk=/dev/$(region_field pb-blk device)
dev_wait "${blk#/dev/}" b
[ "$rc" = 0 ] && [ -b "$blk" ] && same_as_file "$blk" &&
	[ "$(region_field pb-blk size)" = $SIZE ] && dmesg | grep -q "region pb-blk: attached read-only.*, checksummed"
tap_last=$?
tap_result "after the reload: attached as a block device ($blk) of $(region_field pb-blk size) bytes, checksummed, every byte is the file's" "$tap_last"
echo "$out" | tap_diag

# A bit of page 2 of every slab goes bad on the node: reading it here is an
# EIO, counted. In the slab after the data's, the one of the checksums, that
# is a page of the table: attaching the region again is refused. Flipped
# back, it attaches and reads right.
ce=$(region_field pb-blk csum_errors)
rmem_on 1 'pkill -USR2 -x rmemd' >/dev/null
sleep 1
dd if="$blk" of="$tmp/p2" bs=4K skip=2 count=1 iflag=direct status=none 2>"$tmp/err"
rc=$?
ce2=$(region_field pb-blk csum_errors)
[ "$rc" != 0 ] && grep -q "Input/output error" "$tmp/err" && [ "$ce2" -gt "$ce" ]
tap_last=$?; tap_result "a bit flipped on the memory node: the attached read fails ('$(head -n1 "$tmp/err")'), csum_errors $ce -> $ce2" "$tap_last"
rmemctl region del pb-blk >/dev/null
! rmemctl region attach pb-blk type block key-file "$key" 2>"$tmp/err" &&
	grep -q "checksums damaged on 1 of 1 copies" "$tmp/err" && [ -z "$(region_names)" ]
rc=$?
cp "$tmp/err" "$tmp/err-attach"
rmem_on 1 'pkill -USR2 -x rmemd' >/dev/null
sleep 1
out=$(rmemctl region attach pb-blk type block key-file "$key" 2>&1) &&
	blk=/dev/$(region_field pb-blk device) && dev_wait "${blk#/dev/}" b &&
	[ "$rc" = 0 ] && same_as_file "$blk" direct
tap_last=$?; tap_result "attaching it with its table of checksums damaged is refused ('$(cat "$tmp/err-attach")'); flipped back, it attaches and every byte is the file's" "$tap_last"
echo "$out" | tap_diag

dd if=/dev/zero of="$blk" bs=4K count=1 oflag=direct status=none 2>"$tmp/err"
rc=$?
[ "$rc" != 0 ] && grep -q "Read-only file system" "$tmp/err" && [ "$(open_rw "$blk")" = EROFS ] &&
	same_as_file "$blk"
tap_last=$?; tap_result "a write to the attached block device fails: '$(head -n1 "$tmp/err")'; bytes unchanged" "$tap_last"

# The node that holds its only copy cannot be deleted under it: the
# attachment holds no slab of our session there (slabs_used 0), and a
# deleted node would leave it reading from nowhere for good.
! rmemctl node del "$node" 2>"$tmp/err" &&
	grep -q "region pb-blk still uses its published copy here" "$tmp/err" &&
	[ "$(node_field "$node" state)" = live ] && same_as_file "$blk"
tap_last=$?; tap_result "deleting node $node, which holds the attached region's copy, is refused: '$(cat "$tmp/err")'; it still reads" "$tap_last"

out=$(rmemctl region add pb-blk2 size 8M publish key-file "$key" 2>&1) &&
	rmemctl region del pb-blk2 purge &&
	out=$(rmemctl region add pb-u size 8M publish key-file "$key" 2>&1) &&
	echo unsealed >"$tmp/u" && rmemctl region load pb-u "$tmp/u" >/dev/null 2>&1 &&
	rmemctl region del pb-u >/dev/null 2>&1 &&
	! rmemctl region attach pb-u key-file "$key" 2>"$tmp/err" && grep -q "not sealed yet" "$tmp/err" &&
	[ "$(region_names)" = pb-blk ]
tap_last=$?; tap_result "attaching an unsealed region is refused: '$(cat "$tmp/err")'" "$tap_last"

# pb-u is ours and unsealed on the node (same session): adding it again
# must not take its slab over (its old bytes would show through the new
# region), nor delete it.
held=$(rmemd_status published_slabs)
! rmemctl region add pb-u size 8M publish key-file "$key" 2>"$tmp/err" &&
	grep -q "published on node $node already" "$tmp/err" && [ "$(region_names)" = pb-blk ] &&
	[ "$(rmemd_status published_slabs)" = "$held" ]
tap_last=$?; tap_result "publishing the kept unsealed pb-u again from here is refused: '$(cat "$tmp/err")'" "$tap_last"

! rmemctl region attach pb-nosuch 2>"$tmp/err" && grep -q "no live node has a published region" "$tmp/err" &&
	[ "$(region_names)" = pb-blk ]
tap_last=$?; tap_result "attaching an unknown name is refused: '$(cat "$tmp/err")'" "$tap_last"

! rmemctl region add pb-blk size 8M publish key-file "$key" 2>"$tmp/err" &&
	grep -q "exists" "$tmp/err" && rmemctl region del pb-blk >/dev/null &&
	! rmemctl region add pb-blk size 8M publish key-file "$key" 2>"$tmp/err" &&
	grep -q "published on node $node already" "$tmp/err" && [ -z "$(region_names)" ]
tap_last=$?; tap_result "publishing a name in use is refused: '$(cat "$tmp/err")'" "$tap_last"

# Published with encryption off: the memory node holds its bytes, and it
# attaches without a key (and refuses one: it is not encrypted).
mp=$(marker pub-plain)
marker_pages "$mp" 256 "$tmp/p"
out=$(rmemctl region add pb-plain size 4M publish encrypt off 2>&1) &&
	[ "$(region_field pb-plain encrypt)" = off ] &&
	rmemctl region load pb-plain "$tmp/p" >/dev/null 2>&1 && rmemctl region seal pb-plain &&
	rmemctl region del pb-plain >/dev/null
rc=$?
scan=$(rmemd_scan "$mp" 2>&1)
n=$(awk -v m="$mp" '$1 == m { print $2 }' <<<"$scan")
[ "$rc" = 0 ] && [ "${n:-0}" -ge 256 ]
tap_last=$?; tap_result "pb-plain published with 'encrypt off', loaded and sealed: its marker is in rmemd's memory ${n:-?} times (>= 256)" "$tap_last"
echo "$out" | tap_diag
! rmemctl region attach pb-plain type block key-file "$key" 2>"$tmp/err" &&
	grep -q "it is not encrypted: attach it without a key" "$tmp/err" &&
	out=$(rmemctl region attach pb-plain type block 2>&1) &&
	pp=/dev/$(region_field pb-plain device) && dev_wait "${pp#/dev/}" b &&
	dd if="$pp" of="$tmp/p2" bs=64K count=16 iflag=direct status=none && cmp -s "$tmp/p" "$tmp/p2" &&
	rmemctl region del pb-plain >/dev/null
tap_last=$?; tap_result "pb-plain: attaching it with a key is refused ('$(cat "$tmp/err")'); without one, it reads back" "$tap_last"
echo "$out" | tap_diag

[ "$(pub_client pb-blk badkey)" = "AUTH PERM" ] && [ "$(pub_client pb-blk look)" = OK ]
tap_result "a client with another key is refused; one with the cluster key opens it" $?

pub_client pb-blk hold >"$tmp/client" 2>&1 &
client=$!
for _ in $(seq 100); do grep -q attached "$tmp/client" && break; sleep 0.1; done
held=$(rmemd_status published_slabs)
! rmemctl region del pb-blk purge 2>"$tmp/err" && grep -q "attached by another compute node" "$tmp/err" &&
	[ "$(rmemd_status published_slabs)" = "$held" ]
tap_last=$?; tap_result "purging it while another session is attached is refused: '$(cat "$tmp/err")'" "$tap_last"
kill "$client" 2>/dev/null
wait "$client" 2>/dev/null
client=

ok=1
for _ in $(seq 50); do
	rmemctl region del pb-blk purge 2>"$tmp/err" && { ok=0; break; }
	sleep 0.2	# rmemd notices the client's session end
done
[ $ok = 0 ] && rmemctl region del pb-u purge >/dev/null && rmemctl region del pb-plain purge >/dev/null &&
	[ "$(rmemd_status published)" = "$before" ] &&
	! rmemctl region attach pb-blk >/dev/null 2>&1 && [ -z "$(region_names)" ]
tap_result "purged once the other session is gone: rmemd holds none, attaching fails" $?
tap_diag <"$tmp/err"

# The memory node's operator deletes a region a compute node is attached to
# (rmemd --delete-published, rmemd.rst): refused while attached, unless
# --force; then the attached reads fail (EIO), rather than hang or return
# other bytes, and the region is deleted here as usual.
rand_file "$tmp/f" 256
out=$(rmemctl region add pb-f size 4M publish encrypt off 2>&1) &&
	rmemctl region load pb-f "$tmp/f" >/dev/null 2>&1 && rmemctl region seal pb-f &&
	rmemctl region del pb-f >/dev/null && rmemctl region attach pb-f type block >/dev/null 2>&1
rc=$?
fb=/dev/$(region_field pb-f device)
dev_wait "${fb#/dev/}" b
dd if="$fb" of="$tmp/f2" bs=1M count=1 iflag=direct status=none && cmp -s "$tmp/f" "$tmp/f2"
read_ok=$?
o1=$(rmem_on 1 'rmemd --delete-published pb-f' 2>&1)
rc1=$?
o2=$(rmem_on 1 'rmemd --delete-published pb-f --force' 2>&1)
rc2=$?
t0=$SECONDS
timeout 150 dd if="$fb" of=/dev/null bs=4096 count=16 skip=8 iflag=direct status=none 2>"$tmp/err"
rc3=$?
took=$((SECONDS - t0))
[ "$rc" = 0 ] && [ "$read_ok" = 0 ] && [ "$rc1" != 0 ] && grep -q "attached by" <<<"$o1" &&
	[ "$rc2" = 0 ] && [ "$rc3" = 1 ] && grep -q "Input/output error" "$tmp/err" &&
	rmemctl region del pb-f && [ "$(rmemd_status published)" = "$before" ] &&
	[ -z "$(region_names)" ]
tap_last=$?; tap_result "rmemd --delete-published of an attached region: refused ('$o1'); with --force ('$o2') the attached reads fail after ${took}s ('$(head -n1 "$tmp/err")', dd rc $rc3), and it is deleted here" "$tap_last"
echo "$out" | tap_diag
tap_done
