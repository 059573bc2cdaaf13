#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rdma_test: what only the RDMA transport has.
#  - transport auto picks RDMA where the compute guest has an rxe device on
#    the route to the node, and TCP where it has none;
#  - `rdma link delete` of that rxe device while a region is idle takes the
#    node down cleanly (no oops, its QPs gone), and re-adding the link lets
#    it reconnect with its session: the data reads back;
#  - a rogue client that tries RDMA READ with another client's rkeys (or
#    guessed ones) gets nothing, and neither the other userspace client nor
#    the kernel's region is disturbed;
#  - deleting the node leaves no QP, CQ, PD or cm_id behind on the device;
#  - max-clients-per-address counts RDMA and TCP connections together: an
#    RDMA connect request past it is rejected before any QP exists;
#  - a transport auto node whose RDMA device goes away falls back to TCP on
#    reconnect, with its session: the data reads back, I/O goes on;
#  - so does one whose link goes down and up (ip link): over RDMA if it
#    reconnects, else over TCP (see design.rst on RDMA after a link flap).
# Needs rxe in the compute guest (scripts/rmem-vm sets it up).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

tap_plan 27
trap 'blk_cleanup; rdma dev show "$rxe" >/dev/null 2>&1 || rdma link add "$rxe" type rxe netdev "$ndev"' EXIT
tmp=$(mktemp -d)
addr="$(first_node):$RMEM_PORT"
rxe=$(rmem_rdma_dev 1)
ndev=$(rmem_net_dev 1)

# rdma_res KIND: how many objects of KIND (qp, cq, pd, cm_id, mr) the
# compute guest's rxe device holds (kernel users included).
rdma_res() {
	rdma -j resource show "$1" 2>/dev/null | python3 -c '
import json, sys
kind, dev = sys.argv[1], sys.argv[2]
try:
    d = json.load(sys.stdin)
except ValueError:
    print(-1); sys.exit()
n = 0
for e in d:
    if isinstance(e, dict) and (e.get("ifname", dev) or "").startswith(dev):
        n += 1
print(n)' "$1" "$rxe"
}

node_state() { node_field "$1" state; }

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
rdma dev show "$rxe" >/dev/null 2>&1 || { tap_skip_rest "no $rxe in this guest"; tap_done; }
base_qp=$(rdma_res qp)

# --- 1. auto with RDMA on the route
id=$(rmemctl node add "$addr" transport auto timeout 30s | grep -oE '[0-9]+' | head -n1)
used=$(node_field "$id" transport_used)
[ -n "$id" ] && [ "$used" = rdma ]
tap_result "transport auto with $rxe on the route uses rdma (transport_used=$used)" $?
qps=$(rdma_res qp)
[ "$qps" -gt "$base_qp" ]
tap_result "the node's queues are RC QPs on $rxe ($qps QPs, $base_qp before)" $?
rmemctl node del "$id" >/dev/null
after=$(rdma_res qp)
[ "$after" = "$base_qp" ]
tap_result "node del destroys its QPs ($after left)" $?

# --- 2. auto without RDMA on the route
rdma link delete "$rxe"
id=$(rmemctl node add "$addr" transport auto timeout 30s | grep -oE '[0-9]+' | head -n1)
used=$(node_field "$id" transport_used)
[ -n "$id" ] && [ "$used" = tcp ]
tap_result "transport auto without an RDMA device on the route uses tcp (transport_used=$used)" $?
out=$(rmemctl node add "$(first_node):7472" transport rdma 2>&1)
rc=$?
[ $rc -ne 0 ] && grep -qi rdma <<<"$out"
tap_result "transport rdma without an RDMA device is refused: $out" $?
[ -n "$id" ] && rmemctl node del "$id" >/dev/null
rdma link add "$rxe" type rxe netdev "$ndev"

# --- 3. rdma link delete while a region is idle, then back
id=$(rmemctl node add "$addr" transport rdma timeout 60s | grep -oE '[0-9]+' | head -n1)
dev=$(blk_add_region rd 128M) || { tap_not_ok "region add"; tap_fail_rest "no region"; tap_done; }
rand_file "$tmp/a" 512
dd if="$tmp/a" of="$dev" bs=4096 seek=100 oflag=direct status=none &&
	dd if="$dev" of="$tmp/a2" bs=4096 skip=100 count=512 iflag=direct status=none &&
	cmp -s "$tmp/a" "$tmp/a2"
tap_result "rdma node $id, region $dev: 2 MiB written and read back" $?

mark=$(dmesg_mark)
rdma link delete "$rxe"
st=$(node_state "$id")
{ [ "$st" = reconnecting ] || [ "$st" = dead ]; } && ! rdma dev show "$rxe" >/dev/null 2>&1
tap_result "rdma link delete returns and the node is down (state $st)" $?
sleep 3
rdma link add "$rxe" type rxe netdev "$ndev"
node_wait_state "$id" live 60
st=$(node_state "$id")
[ "$st" = live ] && [ "$(node_field "$id" transport_used)" = rdma ]
ok_rc=$?
tap_result "after rdma link add the node reconnects over rdma (state $st, reconnects $(node_field "$id" reconnects))" "$ok_rc"
dd if="$dev" of="$tmp/a3" bs=4096 skip=100 count=512 iflag=direct status=none &&
	cmp -s "$tmp/a" "$tmp/a3"
tap_result "the session was resumed: the data reads back intact" $?
dmesg_since "$mark" | grep -E "$KERNEL_BAD_RE" | head -n 5 >"$tmp/bad"
[ ! -s "$tmp/bad" ]
tap_result "no oops, warning or hung task around the device removal" $?
tap_diag <"$tmp/bad"

# --- 4. rogue clients
tap_check "userspace client: RDMA WRITE/READ of a slab through its own rkey" \
	rmem_rdma_client check "$(first_node)" "$RMEM_PORT"
# A QP that never says AUTH/HELLO is closed at hello-timeout (10 s), as a
# TCP connection is: a replayed connect request buys no more than that.
tap_check "an RDMA connection that never says HELLO is disconnected by rmemd" \
	rmem_rdma_client idle "$(first_node)" "$RMEM_PORT" --hold 30
# A connect request signed with another key is rejected before any QP
# exists (RMEM_ERR_PERM, 8).
(umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$tmp/wrong.key")
out=$(rmem_rdma_client check "$(first_node)" "$RMEM_PORT" --key-file "$tmp/wrong.key" 2>&1)
rc=$?
tap_diag <<<"$out"
[ $rc != 0 ] && grep -q "rejected by rmemd, status 8" <<<"$out"
tap_result "a connect request under another key is rejected (PERM) before any QP exists" $?
tap_check "a recorded connect request, replayed, is rejected (PERM): its nonce was used" \
	rmem_rdma_client replay "$(first_node)" "$RMEM_PORT"
# Keep the kernel's region busy while a rogue client tries to read slabs
# that are not its own (its QP must error out, nothing else may notice).
fio --name=busy --filename="$dev" --direct=1 --ioengine=libaio --rw=randwrite \
	--bs=4k --iodepth=8 --offset=16M --size=32M --verify=crc32c --do_verify=1 \
	--output="$tmp/fio.out" >/dev/null 2>&1 &
fio_pid=$!
rmem_rdma_client rogue "$(first_node)" "$RMEM_PORT" >"$tmp/rogue" 2>&1
rc=$?
tap_diag <"$tmp/rogue"
[ $rc -eq 0 ]
tap_result "rogue client: every RDMA READ with another session's or guessed rkeys failed, the victim was undisturbed" $?
wait "$fio_pid"
rc=$?
[ $rc -eq 0 ] && ! grep -qiE "verify.*(fail|bad)|err= *-?[1-9]" "$tmp/fio.out"
tap_result "the kernel's region under fio verify during the attack: no error" $?
dd if="$dev" of="$tmp/a4" bs=4096 skip=100 count=512 iflag=direct status=none &&
	cmp -s "$tmp/a" "$tmp/a4"
tap_result "the kernel's data is intact after the attack" $?

# --- 5. nothing left behind
blk_cleanup
after=$(rdma_res qp)
[ "$after" = "$base_qp" ] && [ "$(rdma_res cm_id)" -le 1 ]
ok_rc=$?
tap_result "region and node deleted: no QP or cm_id left on $rxe (qp $after, cm_id $(rdma_res cm_id))" "$ok_rc"

# --- 5b. max-clients-per-address counts RDMA and TCP together (issue 14):
# with a cap of 2, one RDMA connection held and one TCP connection open,
# a third connection from this address, by RDMA, is rejected before any QP
# exists (RMEM_ERR_NOSPC, 4); once they close, it connects.
cmd=$(rmemd_cmdline)
cmd=${cmd% }
rmemd_relaunch rdma-per-addr "$cmd" --max-clients-per-address 2
rmem_rdma_client check "$(first_node)" "$RMEM_PORT" --hold 20 >"$tmp/held" 2>&1 &
held=$!
for _ in $(seq 40); do grep -q 'holding the connection' "$tmp/held" && break; sleep 0.5; done
exec 7<>"/dev/tcp/$(first_node)/$RMEM_PORT"
sleep 0.5	# rmemd accepts it
r0=$(rmemd_status per_address_refused)
out=$(rmem_rdma_client check "$(first_node)" "$RMEM_PORT" 2>&1)
rc=$?
r1=$(rmemd_status per_address_refused)
exec 7>&-
tap_diag <<<"$out"
[ $rc != 0 ] && grep -q "rejected by rmemd, status 4" <<<"$out" && [ "$r1" -gt "$r0" ]
tap_result "max-clients-per-address 2, one RDMA and one TCP connection open: a third (RDMA) is rejected, NOSPC (per_address_refused $r0 -> $r1)" $?
wait "$held"
tap_check "... and once they close, an RDMA connection from the address works" \
	rmem_rdma_client check "$(first_node)" "$RMEM_PORT"
rmemd_relaunch rdma-restore "$cmd"

# --- 6. transport auto: RDMA cannot reconnect -> TCP, with the session
id=$(rmemctl node add "$addr" transport auto timeout 60s | grep -oE '[0-9]+' | head -n1)
used0=$(node_field "$id" transport_used)
dev=$(blk_add_region fb 64M) || { tap_not_ok "region add"; tap_fail_rest "no region"; tap_done; }
rand_file "$tmp/b" 256
dd if="$tmp/b" of="$dev" bs=4096 seek=50 oflag=direct status=none
mark=$(dmesg_mark)
rdma link delete "$rxe"
node_wait_state "$id" live 60
st=$(node_state "$id")
used=$(node_field "$id" transport_used)
[ "$used0" = rdma ] && [ "$st" = live ] && [ "$used" = tcp ]
tap_result "auto node on rdma, its RDMA device deleted: reconnected over $used (state $st, was $used0)" $?
dd if="$dev" of="$tmp/b2" bs=4096 skip=50 count=256 iflag=direct status=none &&
	cmp -s "$tmp/b" "$tmp/b2"
tap_result "the session carried over to TCP: the data written over RDMA reads back" $?
rand_file "$tmp/c" 256
dd if="$tmp/c" of="$dev" bs=4096 seek=2000 oflag=direct status=none &&
	dd if="$dev" of="$tmp/c2" bs=4096 skip=2000 count=256 iflag=direct status=none &&
	cmp -s "$tmp/c" "$tmp/c2"
tap_result "new writes and reads work over TCP" $?
dmesg_since "$mark" | grep -q "TCP works: staying on TCP"
tap_result "the kernel log says it moved to TCP" $?
dmesg_since "$mark" | grep -E "rmem|fall" | tail -n 6 | tap_diag
rdma link add "$rxe" type rxe netdev "$ndev"
blk_cleanup
dmesg_since "$mark" | grep -E "$KERNEL_BAD_RE" | head -n 5 >"$tmp/bad"
[ ! -s "$tmp/bad" ] && [ "$(rmemctl -j node show | python3 -c 'import json,sys; d=json.load(sys.stdin); d=next(iter(d.values())) if isinstance(d, dict) else d; print(len(d))')" = 0 ]
tap_result "node del after the fall-back: no oops, warning or hung task, no node left" $?
tap_diag <"$tmp/bad"

# --- 7. transport auto across a link flap
id=$(rmemctl node add "$addr" transport auto timeout 120s | grep -oE '[0-9]+' | head -n1)
dev=$(blk_add_region fl 64M) || { tap_not_ok "region add"; tap_fail_rest "no region"; tap_done; }
rand_file "$tmp/d" 256
dd if="$tmp/d" of="$dev" bs=4096 seek=10 oflag=direct status=none
mark=$(dmesg_mark)
ip link set "$ndev" down
sleep 5
ip link set "$ndev" up
t0=$SECONDS
node_wait_state "$id" live 100
ok_rc=$?
tap_result "auto node, link down 5 s and up: live again after $((SECONDS - t0)) s over $(node_field "$id" transport_used)" "$ok_rc"
dd if="$dev" of="$tmp/d2" bs=4096 skip=10 count=256 iflag=direct status=none &&
	cmp -s "$tmp/d" "$tmp/d2" && ! dmesg_since "$mark" | grep -qE "$KERNEL_BAD_RE"
tap_result "after the link flap the data reads back, kernel log clean" $?
dmesg_since "$mark" | grep -E "rmem" | tail -n 4 | tap_diag
rdma link show 2>&1 | tap_diag
blk_cleanup
# New RDMA connects from this guest keep timing out after a flap (the gap in
# design.rst); resetting the rxe device clears it for the tests that follow.
rdma link delete "$rxe"
rdma link add "$rxe" type rxe netdev "$ndev"

tap_done
