#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rmemctl_test: rmemctl talks to the loaded module. `version` and `status`
# work as text and as JSON (-j), agree with the module, and unknown commands
# or bad arguments exit non-zero with a message and change nothing.
#
# Authentication (issue 14), under the transport of the run: the key store
# (key list/add/del, root only, ids as rmemd computes them), node add with
# the right key (and with the default, the only key), with a wrong key, and
# with 'auth none' against memory node 1's keyed rmemd (the harness started
# it with $RMEM_KEY_FILE and installed that key in the module); a key
# deleted under a live node; then rmemd restarted with --auth none: 'auth
# none' connects, a key is refused. Each refusal must say why, in the
# extack (rmemctl's message) and in the kernel log.
. "$(dirname "$0")/lib.sh"

tap_plan 29

if ! command -v rmemctl >/dev/null; then
	tap_not_ok "rmemctl is on PATH"
	tap_fail_rest "no rmemctl (tools/ not built?)"
	tap_done
fi
tap_ok "rmemctl is on PATH ($(command -v rmemctl))"

modver=$(cat /sys/module/rmem/version 2>/dev/null || true)

out=$(rmemctl version 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ -n "$out" ] && { [ -z "$modver" ] || grep -qF "$modver" <<<"$out"; }; then
	tap_ok "rmemctl version prints the module version${modver:+ ($modver)}"
else
	tap_not_ok "rmemctl version prints the module version${modver:+ ($modver)}"
	printf '%s\n' "exit $rc" "$out" | tap_diag
fi

out=$(rmemctl -j version 2>&1)
rc=$?
if [ $rc -eq 0 ] && json_valid <<<"$out" && { [ -z "$modver" ] || grep -qF "\"$modver\"" <<<"$out"; }; then
	tap_ok "rmemctl -j version is valid JSON with the module version"
else
	tap_not_ok "rmemctl -j version is valid JSON with the module version"
	printf '%s\n' "exit $rc" "$out" | tap_diag
fi

tap_check "rmemctl status works" rmemctl status

status_json=$(rmemctl -j status 2>&1)
rc=$?
if [ $rc -eq 0 ] && json_valid <<<"$status_json"; then
	tap_ok "rmemctl -j status is valid JSON"
else
	tap_not_ok "rmemctl -j status is valid JSON"
	printf '%s\n' "exit $rc" "$status_json" | tap_diag
fi

tap_check_fails "unknown command exits non-zero with a message" rmemctl frobnicate
tap_check_fails "unknown verb exits non-zero with a message" rmemctl node frobnicate
tap_check_fails "unknown option exits non-zero with a message" rmemctl --no-such-option status
tap_check_fails "missing arguments exit non-zero with a message" rmemctl region add
tap_check_fails "bad size exits non-zero with a message" rmemctl region add t0 size 12Q

after=$(rmemctl -j status 2>&1)
if [ "$after" = "$status_json" ]; then
	tap_ok "rejected commands changed nothing (rmemctl -j status unchanged)"
else
	tap_not_ok "rejected commands changed nothing (rmemctl -j status unchanged)"
	printf '%s\n' "before: $status_json" "after:  $after" | tap_diag
fi

# ---------------------------------------------------------------- keys
# shellcheck source=blk_lib.sh
. "$(dirname "$0")/blk_lib.sh"
# shellcheck disable=SC1090
[ -n "${RMEM_LIB:-}" ] && . "$RMEM_LIB"
transport=${RMEM_TRANSPORT:-tcp}
key=${RMEM_KEY_FILE:-}
tmpd=$(mktemp -d)
chmod 755 "$tmpd"
mkdir "$tmpd/nobody"
chown 65534:65534 "$tmpd/nobody"
relaunched=
rmemd_cmd=
mark=$(dmesg_mark)
cleanup() {
	local id
	for id in $(rmemctl -j node show 2>/dev/null | jids); do
		rmemctl node del "$id" >/dev/null 2>&1
	done
	[ -n "$relaunched" ] && rmemd_relaunch rmemctl-auth-restore "$rmemd_cmd"
	# Leave the store as the harness made it: the cluster key only.
	for id in $(rmemctl -j key list 2>/dev/null | jkeys); do
		[ "$id" = "${kid:-}" ] || rmemctl key del "$id" >/dev/null 2>&1
	done
	[ -n "$key" ] && rmemctl key add "$key" >/dev/null 2>&1
	rm -rf "$tmpd"
}
trap cleanup EXIT
# jids / jkeys: node ids / key ids of 'rmemctl -j node show' / 'key list'.
jids() { python3 -c 'import json, sys; print(" ".join(str(n["id"]) for n in json.load(sys.stdin)))'; }
jkeys() { python3 -c 'import json, sys; print(" ".join(k["id"] for k in json.load(sys.stdin)))'; }
# jnode ID FIELD: a field of node ID in 'rmemctl -j node show'.
jnode() {
	rmemctl -j node show "$1" 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)[0].get(sys.argv[1]))' "$2"
}
# unpriv CMD...: CMD as nobody, without capabilities.
unpriv() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
# expect_fail NAME PATTERN CMD...: CMD exits 1 and its stderr matches PATTERN.
expect_fail() {
	local name=$1 pat=$2 out rc
	shift 2
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq 1 ] && grep -qE -- "$pat" <<<"$out"; then
		tap_ok "$name"
		printf '%s\n' "$out" | tap_diag
	else
		tap_not_ok "$name"
		printf '%s\n' "exit $rc (want 1), stderr:" "$out" "want: $pat" | tap_diag
	fi
}
# klog_has PATTERN: a kernel log line since the mark matches.
klog_has() { dmesg_since "$mark" | grep -qE -- "$1"; }
node_add() { rmemctl node add "$(first_node):$RMEM_PORT" transport "$transport" timeout 20s "$@"; }

kid=
if [ -n "$key" ] && [ -r "$key" ]; then
	kid=$(rmemd --key-id "$key" 2>/dev/null)
fi
out=$(rmemctl -j key list 2>&1)
rc=$?
if [ -n "$kid" ] && [ $rc -eq 0 ] && [ "$(jkeys <<<"$out")" = "" ]; then
	echo "# the harness did not install the cluster key at module load: installing it"
	rmemctl key add "$key" >/dev/null
	out=$(rmemctl -j key list 2>&1)
	rc=$?
fi
if [ -z "$kid" ]; then
	tap_skip "key list shows the cluster key, with the id rmemd computes" \
		"no RMEM_KEY_FILE or no 'rmemd --key-id'"
elif [ $rc -eq 0 ] && json_valid <<<"$out" && [ "$(jkeys <<<"$out")" = "$kid" ]; then
	tap_ok "key list shows the cluster key, with the id rmemd computes ($kid)"
else
	tap_not_ok "key list shows the cluster key, with the id rmemd computes ($kid)"
	printf '%s\n' "exit $rc" "$out" | tap_diag
fi

if [ -n "$kid" ]; then
	expect_fail "key add of an installed key: EEXIST with the id in the message" \
		"key $kid is installed already \(File exists\)" rmemctl key add "$key"
else
	tap_skip "key add of an installed key: EEXIST" "no RMEM_KEY_FILE"
fi

before=$(rmemctl -j key list 2>&1)
expect_fail "unprivileged key list is refused" "needs CAP_NET_ADMIN|not permitted" \
	unpriv rmemctl key list
unpriv rmemctl key generate "$tmpd/nobody/k" >/dev/null 2>&1
expect_fail "unprivileged key add (of nobody's own 0600 key file) is refused" \
	"needs CAP_NET_ADMIN|not permitted" unpriv rmemctl key add "$tmpd/nobody/k"
after=$(rmemctl -j key list 2>&1)

rmemctl key generate "$tmpd/k2" >/dev/null 2>&1
kid2=$(rmemctl key add "$tmpd/k2" 2>&1)
rc=$?
n=$(rmemctl -j key list 2>/dev/null | jkeys | wc -w)
if [ $rc -eq 0 ] && grep -qxE '[0-9a-f]{16}' <<<"$kid2" && [ "$n" -eq 2 ] &&
	[ "$after" = "$before" ]; then
	tap_ok "key add prints the new key's id ($kid2); two keys now; nobody's attempts changed nothing"
else
	tap_not_ok "key add prints the new key's id; two keys now; nobody's attempts changed nothing"
	printf '%s\n' "exit $rc: $kid2" "keys: $n" "before nobody: $before" "after: $after" | tap_diag
fi

# Key choice is checked before any connection: any address will do.
expect_fail "node add with two keys and no 'key ID': refused, asks for one" \
	"several keys installed: say which one" rmemctl node add 192.0.2.1 transport tcp
expect_fail "node add with a key id not installed: refused, names it" \
	"no key 0123456789abcdef installed" rmemctl node add 192.0.2.1 key 0123456789abcdef
expect_fail "key del of a key not installed: ENOENT, names it" \
	"no key 0123456789abcdef installed.*No such file" rmemctl key del 0123456789abcdef

# ---- against memory node 1's rmemd, which has the cluster key
have_node=1
if [ -z "${RMEM_NODES:-}" ] || [ -z "$kid" ] || ! rmem_wait_nodes 60; then
	have_node=
fi
if [ -n "$have_node" ]; then
	id=$(node_add key "$kid" 2>&1 | grep -oE '^[0-9]+$')
	users=$(rmemctl -j key list 2>/dev/null |
		python3 -c 'import json, sys; print([k["nodes"] for k in json.load(sys.stdin) if k["id"] == sys.argv[1]])' "$kid")
	if [ -n "$id" ] && [ "$(jnode "$id" state)" = live ] && [ "$(jnode "$id" auth)" = key ] &&
		[ "$(jnode "$id" key_id)" = "$kid" ] && [ "$users" = "[1]" ] &&
		klog_has "node $id .*added: $transport.*key $kid, session tag [0-9a-f]{8}"; then
		tap_ok "node add with the cluster key connects over $transport; node show says auth key $kid; key list counts it"
	else
		tap_not_ok "node add with the cluster key connects over $transport"
		{ rmemctl node show; echo "users $users"; dmesg_since "$mark" | tail -n 5; } | tap_diag
	fi

	# The node keeps its copy: deleting the key from the store breaks nothing.
	rmemctl key del "$kid" >/dev/null 2>&1
	rc=$?
	sleep 2
	readd=$(rmemctl key add "$key" 2>&1)
	if [ -n "$id" ] && [ $rc -eq 0 ] && [ "$(jnode "$id" state)" = live ] && [ "$readd" = "$kid" ] &&
		rmemctl node del "$id" >/dev/null 2>&1; then
		tap_ok "key del under a live node: the node stays live (its own copy); key add again gives the same id"
	else
		tap_not_ok "key del under a live node: the node stays live"
		{ echo "del rc $rc, re-add: $readd"; rmemctl node show; } | tap_diag
	fi

	expect_fail "node add with a key rmemd does not have: refused, the extack says so" \
		"node refused our key $kid2" node_add key "$kid2"
	if klog_has "refused our key $kid2"; then
		tap_ok "... and the kernel log says the node refused key $kid2"
	else
		tap_not_ok "... and the kernel log says the node refused key $kid2"
		dmesg_since "$mark" | tail -n 8 | tap_diag
	fi

	expect_fail "node add with 'auth none' against a keyed rmemd: refused, 'node requires authentication'" \
		"node requires authentication" node_add auth none
	if klog_has "authentication is off \('auth none'\)" && klog_has "node requires authentication"; then
		tap_ok "... the kernel log warns that authentication is off, then says the node requires it"
	else
		tap_not_ok "... the kernel log warns that authentication is off, then says the node requires it"
		dmesg_since "$mark" | tail -n 8 | tap_diag
	fi

	# The only key is the default.
	rmemctl key del "$kid2" >/dev/null 2>&1
	id=$(node_add 2>&1 | grep -oE '^[0-9]+$')
	if [ -n "$id" ] && [ "$(jnode "$id" key_id)" = "$kid" ] && [ "$(rmemctl -j node show | jids)" = "$id" ] &&
		rmemctl node del "$id" >/dev/null 2>&1; then
		tap_ok "node add without 'key': the only installed key; the refused adds left no node behind"
	else
		tap_not_ok "node add without 'key': the only installed key"
		rmemctl node show 2>&1 | tap_diag
	fi
else
	for t in "node add with the cluster key connects" "key del under a live node" \
		"node add with a wrong key is refused" "... logged" \
		"node add with 'auth none' against a keyed rmemd is refused" "... logged" \
		"node add without 'key' uses the only key"; do
		tap_skip "$t" "no memory node or no cluster key"
	done
fi

# ---- rmemd with authentication off
if [ -n "$have_node" ] && rmemd --help 2>&1 | grep -q -- '--auth'; then
	rmemd_cmd=$(rmemd_cmdline)
	relaunched=1
	rmemd_relaunch rmemctl-auth-none "${rmemd_cmd/--key-file $key/}" --auth none
	id=$(node_add auth none 2>&1 | grep -oE '^[0-9]+$')
	if [ -n "$id" ] && [ "$(jnode "$id" auth)" = none ] && [ "$(jnode "$id" key_id)" = None ] &&
		rmemctl node del "$id" >/dev/null 2>&1; then
		tap_ok "'auth none' on both sides connects; node show says auth none"
	else
		tap_not_ok "'auth none' on both sides connects"
		{ rmemctl node show; dmesg_since "$mark" | tail -n 5; } 2>&1 | tap_diag
	fi
	expect_fail "node add with a key against rmemd with auth none: refused, says auth may be off there" \
		"node refused our key $kid \(unknown key, or rmemd has auth off\)" node_add
	rmemd_relaunch rmemctl-auth-restore "$rmemd_cmd"
	relaunched=
else
	tap_skip "'auth none' on both sides connects" "no memory node, or rmemd without --auth"
	tap_skip "a key against rmemd with auth none is refused" "no memory node, or rmemd without --auth"
fi

if dmesg_since "$mark" | grep -qE "$KERNEL_BAD_RE"; then
	tap_not_ok "no kernel warning during the key and authentication checks"
	dmesg_since "$mark" | grep -E "$KERNEL_BAD_RE" | head -n 5 | tap_diag
else
	tap_ok "no kernel warning during the key and authentication checks"
fi
tap_done
