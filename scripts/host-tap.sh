#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TAP for the host test scripts (scripts/install-test.sh, scripts/deb-test.sh,
# bench/tests/report_test.sh):
# source it, call ok STATUS NAME per check, and end with tap_end.
n=0
failed=0

# ok STATUS NAME: "ok N - NAME" when STATUS is 0, else "not ok N - NAME".
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

# tap_end: the plan line; the exit status says whether a check failed.
tap_end() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
}
