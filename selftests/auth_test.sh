#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# auth_test: rmemd lets nobody past HELLO without the cluster key (issue 14).
# A hostile client (selftests/rmem_attack.py) on the compute guest tries, on
# memory node 1's rmemd, which the harness started with this run's key
# ($RMEM_KEY_FILE):
#   - a plain HELLO, an AUTH under an unknown key, and a HELLO with a made-up
#     mac after AUTH: each refused with RMEM_ERR_PERM and the connection
#     closed; rmemd counts the refusals;
#   - rmemd proves it holds the key, with a fresh nonce per connection;
#   - an honest HELLO replayed on another connection: refused;
#   - a session id stolen from an honest client, sent without AUTH and under
#     a second tenant's key (rmemd restarted with two key files): refused,
#     and the honest client's data is unchanged;
#   - a version 1 peer: RMEM_ERR_VERSION;
#   - 1,000 idle connections (from 8 addresses) and one that drips its AUTH a
#     byte a second, against max-clients 256: an honest client still
#     authenticates within 1 s (a connection that has not said HELLO gives
#     its slot up to a new one when rmemd is full).
# And rmemd runs unprivileged: as the harness starts it (like its systemd
# unit), its effective capability set is empty and its uid is not 0.
# rmemd is put back as the harness started it at the end. Over either
# transport the same (TCP) listener is attacked; the RDMA connect request's
# mac is tested by rdma_test.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$RMEM_LIB"

here=$(cd "$(dirname "$0")" && pwd)
tap_plan 13
attack() { python3 "$here/rmem_attack.py" "$@" 2>&1; }
addr=$(first_node)
port=$RMEM_PORT
key=$RMEM_KEY_FILE
key2=/tmp/auth-tenant2.key
srcs=()

rmem_wait_nodes 60 || { tap_fail_rest "memory node not reachable"; tap_done; }
[ -r "$key" ] || { tap_fail_rest "no cluster key (RMEM_KEY_FILE)"; tap_done; }
cmd=$(rmemd_cmdline)
cleanup() {
	local a
	for a in "${srcs[@]}"; do ip addr del "$a/24" dev "$netdev" 2>/dev/null; done
	rm -f "$key2"
	if [ -n "${relaunched:-}" ]; then
		rmemd_relaunch rmemd-auth-restore "$cmd"
		rmem_on 1 "rm -f $key2" >/dev/null
	fi
	blk_cleanup
}
trap cleanup EXIT

st=$(rmem_on 1 'p=$(pgrep -x rmemd | head -n1); grep -E "^(CapEff|Uid):" /proc/$p/status' | tr -s '\t ' ' ')
grep -q '^CapEff: 0000000000000000$' <<<"$st" && ! grep -q '^Uid: 0 ' <<<"$st"
rc=$?
tap_result "rmemd serves with no capabilities, not as root ($(tr '\n' ';' <<<"$st"))" $rc

fails0=$(rmemd_status auth_failures)
out=$(attack nokey "$addr" "$port")
tap_result "a plain HELLO is refused and closed ($out)" $?
out=$(attack badkey "$addr" "$port")
tap_result "AUTH under an unknown key is refused and closed ($out)" $?
out=$(attack badmac "$addr" "$port" "$key")
tap_result "a HELLO without the key (made-up mac) is refused and closed ($out)" $?
fails=$(rmemd_status auth_failures)
[ "${fails:-0}" -ge $((${fails0:-0} + 3)) ]
tap_result "rmemd counts the refusals (auth_failures ${fails0:-?} -> ${fails:-?})" $?
out=$(attack proof "$addr" "$port" "$key")
tap_result "rmemd proves the key, with a fresh nonce each time ($out)" $?
out=$(attack replay "$addr" "$port" "$key")
tap_result "a recorded HELLO replayed on a new connection is refused ($out)" $?
out=$(attack version "$addr" "$port")
tap_result "a version 1 peer is told RMEM_ERR_VERSION ($out)" $?

# A second tenant: rmemd restarted with a second key file.
rmem_on 1 "rm -f $key2; rmemd --gen-key $key2 >/dev/null 2>&1 && chown nobody $key2 && cat $key2" >"$key2.new" 2>/dev/null &&
	[ -s "$key2.new" ] && install -m 600 "$key2.new" "$key2"
rc=$?
rm -f "$key2.new"
if [ $rc = 0 ]; then
	relaunched=1
	rmemd_relaunch rmemd-auth "$cmd" --key-file "$key2" --max-clients 256
	rc=$?
fi
tap_result "rmemd restarted with two tenants' keys and max-clients 256" $rc
out=$(attack proof "$addr" "$port" "$key2")
tap_result "the second tenant authenticates with its own key ($out)" $?
out=$(attack stolen "$addr" "$port" "$key" "$key2")
tap_result "a stolen session id is refused without AUTH and under the other tenant's key ($out)" $?

# 1,000 idle connections from 8 addresses (max-clients-per-address is 128),
# four times max-clients.
netdev=$(rmem_net_dev 1)
for i in $(seq 11 18); do
	ip addr add "10.77.1.$i/24" dev "$netdev" && srcs+=("10.77.1.$i")
done
ulimit -n 4096
srcopts=()
for a in "${srcs[@]}"; do srcopts+=(--src "$a"); done
out=$(attack flood "$addr" "$port" "$key" --idle 1000 "${srcopts[@]}")
tap_result "1,000 idle connections and a slow-drip AUTH at max-clients 256: an honest client authenticates within 1 s ($out)" $?
tap_diag <<<"rmemd after the flood: hello_timeouts $(rmemd_status hello_timeouts), clients_evicted $(rmemd_status clients_evicted), clients_refused $(rmemd_status clients_refused)"
st=$(rmem_on 1 'pgrep -x rmemd >/dev/null && echo running')
[ "$st" = running ]
tap_result "rmemd still runs after the attacks" $?
tap_done
