#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# shared_test: one copy, many compute nodes (issue 17). Needs a second
# compute guest (scripts/rmem-vm --compute-nodes 2); the copies part needs
# two memory nodes (--memory-nodes 2). This guest (compute 1) publishes a
# region (two copies with two memory nodes), loads a file into it and seals
# it; compute 2 attaches it, naming the memory nodes by address.
#   - before the seal, compute 2's purge of it is refused (EBUSY: held by
#     its publisher's session) and so is its attach; no slab is lost
#   - processes on both compute guests read every page at the same time,
#     and the bytes are the file's; the memory nodes hold one copy of it
#     (rmemd --status), not one per compute node
#   - compute 2 cannot write it: opening it to write gives EROFS, a
#     writable shared mapping EACCES, a writable private one EINVAL
#   - purging it from compute 1 while compute 2 is attached is refused
#     (EBUSY) and changes nothing
#   - compute 1 deletes its region and unloads rmem: compute 2 still reads
#     every page through the mapping it attached before (an 8 MiB cache:
#     from the memory nodes), and attaches it again as a block device and
#     reads it (O_DIRECT)
#   - with two copies, memory node 1's rmemd is killed while readers on
#     both compute guests are reading: they read every page, from the
#     other copy
#   - compute 2 detaches while the last memory node's rmemd is frozen: its
#     PUB_CLOSE goes there once the node is back (same session), so compute
#     1's purge is not refused; the memory nodes hold no published slab
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

M=1048576
SIZE=$((256 * M / DATA_DIV))
LEN=$((SIZE - 12345))
here=$(cd "$(dirname "$0")" && pwd)
digest="python3 $here/rmem_digest.py"
tap_plan 9
if [ "${RMEM_NCOMPUTE:-1}" -lt 2 ]; then
	tap_skip_rest "needs a second compute guest (rmem-vm --compute-nodes 2)"
	tap_done
fi
nnodes=${RMEM_NNODES:-1}
copies=$((nnodes >= 2 ? 2 : 1))
tmp=$(mktemp -d)
cmd1=
finish() {
	rmem_on_compute2 'rmemctl region del sh-idx; for n in $(rmemctl -j node show | python3 -c "import json,sys; print(*[n[\"id\"] for n in json.load(sys.stdin)])"); do rmemctl node del $n; done' >/dev/null 2>&1
	[ -n "$cmd1" ] && ! rmem_on 1 'pgrep -x rmemd' >/dev/null 2>&1 &&
		RMEMD_NODE=1 rmemd_restart shared-restore "$cmd1" >/dev/null
	rmem_modprobe 2>/dev/null
	rmemctl region del sh-idx purge >/dev/null 2>&1
	blk_cleanup
	rm -rf "$tmp"
}
trap finish EXIT

# add_nodes: this guest adds every memory node; compute 2 adds them as it
# sees them (its own links). Prints nothing; false if one failed.
add_nodes() {
	local a
	for a in $RMEM_NODES; do
		rmemctl node add "$a:$RMEM_PORT" transport "$RMEM_TRANSPORT" timeout 20s >/dev/null || return 1
	done
}
add_nodes2() {
	rmem_on_compute2 "for a in \$RMEM_NODES; do rmemctl node add \$a:$RMEM_PORT transport $RMEM_TRANSPORT timeout 20s || exit 1; done" >/dev/null
}

# pub_slabs: published slabs held by every memory node, summed.
pub_slabs() {
	local i n sum=0
	for ((i = 1; i <= nnodes; i++)); do
		n=$(RMEMD_NODE=$i rmemd_status published_slabs 2>/dev/null)
		sum=$((sum + ${n:-0}))
	done
	echo "$sum"
}

# node_state_at I [c2]: the state of the I-th node rmemctl lists (1-based),
# here or on compute 2 ("none" if there is no such node).
node_state_at() {
	local js states
	if [ -n "${2:-}" ]; then
		js=$(rmem_on_compute2 'rmemctl -j node show')
	else
		js=$(rmemctl -j node show)
	fi
	read -ra states <<<"$(echo "$js" | json_list_field state 2>/dev/null)"
	echo "${states[$1 - 1]:-none}"
}

rmem_wait_nodes 60 || { tap_fail_rest "memory nodes not reachable"; tap_done; }
add_nodes && add_nodes2 &&
	[ "$(rmem_on_compute2 'rmemctl -j node show' | json_list_field state)" = "$(echo $(for _ in $RMEM_NODES; do echo live; done))" ]
tap_result "both compute guests added the $nnodes memory node(s), each over its own links" $? ||
	{ tap_fail_rest "no nodes"; tap_done; }

head -c $LEN /dev/urandom >"$tmp/f"
want=$($digest "$tmp/f" $SIZE)
cmd1=$(RMEMD_NODE=1 rmemd_cmdline)
out=$(rmemctl region add sh-idx size $SIZE publish replicas $copies key-file "$RMEM_REGION_KEY_FILE" 2>&1 &&
	rmemctl region load sh-idx "$tmp/f" 2>&1 | tail -n 1)
rc=$?

# Before the seal, compute 2 can neither purge nor attach what compute 1 is
# writing.
before=$(pub_slabs)
out2=$(rmem_on_compute2 'rmemctl region del sh-idx purge' 2>&1)
prc=$?
out3=$(rmem_on_compute2 "rmemctl region attach sh-idx key-file $RMEM_REGION_KEY_FILE" 2>&1)
arc=$?
[ "$rc" = 0 ] && [ "$prc" != 0 ] && echo "$out2" | grep -q "held by its publisher's session" &&
	[ "$arc" != 0 ] && echo "$out3" | grep -q "not sealed yet" &&
	[ "$before" -gt 0 ] && [ "$(pub_slabs)" = "$before" ]
tap_last=$?; tap_result "before the seal, compute 2's purge is refused ('$out2'), its attach too ('$out3'): still $before slabs" "$tap_last"

out=$out$'\n'$(rmemctl region seal sh-idx 2>&1)
rc=$((rc || $?))
blk=/dev/$(region_field sh-idx device)
dev_wait "${blk#/dev/}" b
slab=$(rmemctl -j status | jget slab_size)
held=$(pub_slabs)
# Per copy: the data's slabs, and the checksums for readers after it (4
# bytes per page and a page).
ext=$((SIZE + (SIZE / 4096 * 4 + 4095) / 4096 * 4096 + 4096))
[ "$rc" = 0 ] && [ "$($digest "$blk" $SIZE direct)" = "$want" ] &&
	[ "$held" = $((copies * ((ext + slab - 1) / slab))) ]
tap_last=$?; tap_result "compute 1 published, loaded and sealed $((SIZE / M)) MiB in $copies copies: it reads back; the memory nodes hold $held slabs of $((slab / M)) MiB, one region's worth (with its checksums) per copy" "$tap_last"
echo "$out" | tap_diag

# Compute 2 names the memory nodes by address (as it added them): one it
# has not added is refused, saying to add it.
out0=$(rmem_on_compute2 "rmemctl region attach sh-idx node 192.0.2.1 key-file $RMEM_REGION_KEY_FILE" 2>&1)
a0=$?
t0=$(date +%s.%N)
out=$(rmem_on_compute2 "rmemctl region attach sh-idx node \$(echo \$RMEM_NODES | tr ' ' ,) type mmap chunk 2M cache 8M key-file $RMEM_REGION_KEY_FILE" 2>&1)
rc=$?
t1=$(date +%s.%N)
dev2=$(rmem_on_compute2 "rmemctl -j region show sh-idx" | jget device)
rmem_on_compute2 "$digest /dev/$dev2 $SIZE" >"$tmp/d2" 2>&1 &
r2=$!
d1=$($digest "$blk" $SIZE direct)
wait $r2
[ "$rc" = 0 ] && [ -n "$dev2" ] && [ "$(cat "$tmp/d2")" = "$want" ] && [ "$d1" = "$want" ] &&
	[ "$(pub_slabs)" = "$held" ] && [ "$a0" != 0 ] &&
	[[ $out0 == *"no node has address 192.0.2.1: add it first ('rmemctl node add 192.0.2.1')"* ]]
tap_last=$?; tap_result "compute 2 attached it, naming the nodes by address ($(printf %.2f "$(echo "$t1 - $t0" | bc)") s; an address not added refused), and read every page through a mapping while compute 1 read it too: both the file's bytes; still $held slabs" "$tap_last"
echo "$out0" | tap_diag
echo "$out" | tap_diag
tap_diag <"$tmp/d2"

errs=$(rmem_on_compute2 "$digest --write-errors /dev/$dev2" 2>&1)
[ "$errs" = "EROFS EACCES EINVAL" ] && [ "$(rmem_on_compute2 "$digest /dev/$dev2 $SIZE")" = "$want" ]
tap_result "compute 2 cannot write it: open O_RDWR, a writable shared mapping and a writable private one give '$errs'; the bytes are unchanged" $?

! rmemctl region del sh-idx purge 2>"$tmp/err" && grep -q "attached by another compute node" "$tmp/err" &&
	[ "$(pub_slabs)" = "$held" ] && [ "$($digest "$blk" $SIZE direct)" = "$want" ]
tap_last=$?; tap_result "purging it from compute 1 while compute 2 is attached is refused: '$(cat "$tmp/err")'" "$tap_last"

# fetches2: chunks compute 2's attachment fetched from the memory nodes.
fetches2() { rmem_on_compute2 "rmemctl -j region show sh-idx" | jget fetches; }
f0=$(fetches2)
rmemctl region del sh-idx && blk_cleanup && rmem_unload &&
	out=$(rmem_on_compute2 "$digest /dev/$dev2 $SIZE" 2>&1) && [ "$out" = "$want" ] &&
	f1=$(fetches2) && [ -n "$f0" ] && [ -n "$f1" ] && [ $((f1 - f0)) -gt 0 ] &&
	[ $((f1 - f0)) -ge $(((SIZE - 8 * M) / (2 * M))) ] &&
	out=$(rmem_on_compute2 "rmemctl region del sh-idx && rmemctl region attach sh-idx type block key-file $RMEM_REGION_KEY_FILE >/dev/null &&
		d=\$(rmemctl -j region show sh-idx | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][\"device\"])') &&
		$digest /dev/\$d $SIZE direct" 2>&1) && [ "$out" = "$want" ]
tap_result "compute 1 deleted its region and unloaded rmem: compute 2 still reads every page through its mapping ($((${f1:-0} - ${f0:-0})) chunks fetched), and attached again as a block device (O_DIRECT)" $?
echo "$out" | tap_diag

if [ "$copies" -lt 2 ]; then
	tap_skip "memory node killed: readers continue" "needs 2 memory nodes (rmem-vm --memory-nodes 2)"
else
	rmem_modprobe && add_nodes &&
		rmemctl region attach sh-idx type mmap cache 8M key-file "$RMEM_REGION_KEY_FILE" >/dev/null
	mm=/dev/$(region_field sh-idx device)
	dev_wait "${mm#/dev/}" c
	dev2=$(rmem_on_compute2 "rmemctl -j region show sh-idx" | jget device)
	# Three passes each; the kill comes while both are reading.
	rmem_on_compute2 "for i in 1 2 3; do $digest /dev/$dev2 $SIZE direct; done" >"$tmp/d2" 2>&1 &
	r2=$!
	for i in 1 2 3; do $digest "$mm" $SIZE; done >"$tmp/d1" 2>&1 &
	r1=$!
	sleep 1
	rmem_on 1 'pkill -KILL -x rmemd' >/dev/null
	# Both still reading once the kill is done: it came mid-read.
	running=0
	kill -0 $r1 2>/dev/null && kill -0 $r2 2>/dev/null && running=1
	wait $r1
	wait $r2
	good="$want $want $want"
	[ "$running" = 1 ] && [ "$(paste -sd" " "$tmp/d1")" = "$good" ] && [ "$(paste -sd" " "$tmp/d2")" = "$good" ]
	tap_result "memory node 1's rmemd killed while compute 1 (mapping, 8 MiB cache) and compute 2 (O_DIRECT) were reading (running: $running): every page of three passes each, from the other copy" $?
	cat "$tmp/d1" "$tmp/d2" | tap_diag
fi

# Compute 2 detaches while memory node $nnodes's rmemd is frozen, so its
# PUB_CLOSE cannot go there then. It must go once the node is back in the
# same session; otherwise rmemd keeps compute 2 attached there and refuses
# compute 1's purge for as long as that session lives.
[ -d /sys/module/rmem ] || { rmem_modprobe && add_nodes; }
rmem_on "$nnodes" 'pkill -STOP -x rmemd' >/dev/null
for _ in $(seq 120); do
	[ "$(node_state_at "$nnodes" c2)" != live ] && break
	sleep 0.5
done
st2=$(node_state_at "$nnodes" c2)
out=$(rmem_on_compute2 'rmemctl region del sh-idx' 2>&1)
drc=$?
rmem_on "$nnodes" 'pkill -CONT -x rmemd' >/dev/null
for _ in $(seq 180); do
	[ "$(node_state_at "$nnodes" c2)" = live ] && [ "$(node_state_at "$nnodes")" = live ] && break
	sleep 0.5
done
# The queued PUB_CLOSE goes as the node comes back: a few tries to see it.
purged=1
for try in $(seq 10); do
	rmemctl region del sh-idx purge 2>"$tmp/err" && { purged=0; break; }
	sleep 1
done
[ "$st2" != live ] && [ "$drc" = 0 ] && [ "$purged" = 0 ] &&
	[ "$(pub_slabs)" = 0 ] && ! rmem_on_compute2 "rmemctl region attach sh-idx key-file $RMEM_REGION_KEY_FILE" >/dev/null 2>&1 &&
	rmem_on_compute2 'dmesg' | grep -q "detached from 1 published region we let go of"
tap_last=$?; tap_result "compute 2 detached while memory node $nnodes was frozen ($st2 there); back, it was detached there, and compute 1 purged it (try $try): no published slab left, attaching fails" "$tap_last"
echo "$out" | tap_diag
tap_diag <"$tmp/err"
tap_done
