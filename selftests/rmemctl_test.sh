#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rmemctl_test: rmemctl talks to the loaded module. `version` and `status`
# work as text and as JSON (-j), agree with the module, and unknown commands
# or bad arguments exit non-zero with a message and change nothing.
. "$(dirname "$0")/lib.sh"

tap_plan 11

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
tap_done
