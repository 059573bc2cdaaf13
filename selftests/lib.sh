#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TAP helpers for the shell selftests (sourced):
#     . "$(dirname "$0")/lib.sh"
#     tap_plan 3
#     tap_check "rmemctl status works" rmemctl status
#     tap_ok "something that was checked by hand"
#     tap_skip "needs two nodes" "only one memory node"
#     tap_done
# Output is TAP 13, the same dialect the kselftest harness prints; failures
# carry their command's output as "# " diagnostics.

TAP_N=0
TAP_FAILED=0
TAP_PLANNED=0
# RMEM_DATA_DIV: a slow kernel (the debug kernel, scripts/vm/debug-guest.sh)
# divides the bulk data of the heaviest tests by it; what they check stays
# the same, scaled. make check sets 4 for its guest runs
# (CI's time; scripts/check.sh), make check-full 1 everywhere;
# scripts/rmem-vm passes the host's RMEM_DATA_DIV on. 1 by default.
DATA_DIV=${RMEM_DATA_DIV:-1}
# RMEM_SHORT=1 (make check, to fit CI's time, and make check-debug;
# scripts/check.sh): the slowest tests run a shorter form and skip, with a TAP
# SKIP that says so, the sections make check-full and make check-debug-full
# run (long_only). Unset by
# default: a test run by hand is the whole test. rmem-vm passes it on.
SHORT=${RMEM_SHORT:-0}

# long_only N WHAT: under RMEM_SHORT, print N TAP skips for WHAT and return
# 1 (the caller skips the section); else return 0.
long_only() {
	[ "$SHORT" = 1 ] || return 0
	tap_skip_n "$1" "$2" "RMEM_SHORT=1: make check-full runs it"
	return 1
}

# rmem_modprobe [PARAM=VALUE...]: load rmem.ko and install this run's
# cluster key ($RMEM_KEY_FILE) in its key store, which every load starts
# empty, as a host's boot scripts would (Documentation/admin-guide.rst).
rmem_modprobe() {
	modprobe rmem "$@" || return
	[ -z "${RMEM_KEY_FILE:-}" ] || rmemctl key add "$RMEM_KEY_FILE" >/dev/null
}

tap_plan() {
	TAP_PLANNED=$1
	echo "TAP version 13"
	echo "1..$1"
}

# tap_diag: copy stdin to stdout as TAP diagnostics.
tap_diag() {
	sed -e 's/^/# /'
}

tap_ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N $*"
}

tap_not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N $*"
}

# tap_skip NAME REASON
tap_skip() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N $1 # SKIP $2"
}

# tap_skip_n N NAME REASON: N such checks (a section's, left out).
tap_skip_n() {
	local i
	for ((i = 0; i < $1; i++)); do
		tap_skip "$2" "$3"
	done
}

# tap_result NAME STATUS: ok when STATUS is 0. When NAME has a command
# substitution, $? after it is the substitution's status, not the check's:
# take it first (tap_last=$?; tap_result "... $(cmd) ..." "$tap_last").
tap_result() {
	if [ "$2" -eq 0 ]; then tap_ok "$1"; else tap_not_ok "$1"; fi
}

# tap_check NAME CMD...: run CMD; ok if it exits 0, else not ok with its output.
tap_check() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		tap_ok "$name"
	else
		tap_not_ok "$name"
		printf '%s\n' "\$ $* (exit $rc)" "$out" | tap_diag
	fi
	return $rc
}

# tap_check_fails NAME CMD...: ok if CMD exits non-zero *and* prints an error.
# Exit 124 (timeout(1) killed it) is not a refusal.
tap_check_fails() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ -n "$out" ]; then
		tap_ok "$name"
		printf '%s\n' "$out" | head -n 3 | tap_diag
		return 0
	fi
	tap_not_ok "$name"
	printf '%s\n' "\$ $* (exit $rc, expected non-zero with a message)" "$out" | tap_diag
	return 1
}

# tap_fail_rest REASON: mark every remaining planned test as failed.
tap_fail_rest() {
	while [ "$TAP_N" -lt "$TAP_PLANNED" ]; do
		tap_not_ok "not run: $1"
	done
}

# tap_skip_rest REASON: mark every remaining planned test as skipped.
tap_skip_rest() {
	while [ "$TAP_N" -lt "$TAP_PLANNED" ]; do
		tap_skip "not run" "$1"
	done
}

# tap_done: check the plan was kept, exit 1 if anything failed.
tap_done() {
	if [ "$TAP_N" -lt "$TAP_PLANNED" ]; then
		tap_fail_rest "test script ended early"
	elif [ "$TAP_N" -gt "$TAP_PLANNED" ]; then
		tap_not_ok "plan was $TAP_PLANNED tests, ran $TAP_N"
	fi
	echo "# $((TAP_N - TAP_FAILED)) passed, $TAP_FAILED failed"
	[ "$TAP_FAILED" -eq 0 ]
	exit $?
}

# json_valid: is stdin one valid JSON document?
json_valid() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import json, sys; json.load(sys.stdin)'
	elif command -v jq >/dev/null 2>&1; then
		jq -e . >/dev/null
	else
		local s
		s=$(cat)
		printf '%s\n' "$s" | head -c 1 | grep -q '[{[]' &&
			printf '%s\n' "$s" | tail -c 2 | grep -q '[]}]'
	fi
}

# dmesg_mark / dmesg_since MARK: kernel log lines printed after the mark.
dmesg_mark() {
	dmesg | wc -l
}

dmesg_since() {
	dmesg | tail -n +"$(($1 + 1))"
}

# Kernel log lines that mean a test broke the kernel.
KERNEL_BAD_RE='Oops|BUG:|WARNING:|KASAN|UBSAN|refcount_t:|list_(add|del) corruption|general protection fault|INFO: task .* blocked|soft lockup|Kernel panic|kernel BUG'
