#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run TAP test programs and merge their output into one TAP stream:
# results renumbered, one plan at the end. A program that exits non-zero
# without a failed result (a crash, a sanitizer report) adds a "not ok".
# Exit status: 0 when every result passed.
set -u
n=0
fail=0
for t in "$@"; do
	echo "# $t"
	out=$("$t" 2>&1)
	rc=$?
	bad=0
	while IFS= read -r line; do
		case "$line" in
		"ok "*)
			n=$((n + 1))
			echo "ok $n - ${line#* - }" ;;
		"not ok "*)
			n=$((n + 1)); bad=1
			echo "not ok $n - ${line#* - }" ;;
		1..*) ;;
		*) echo "# $line" ;;
		esac
	done <<EOT
$out
EOT
	if [ $rc -ne 0 ] && [ $bad -eq 0 ]; then
		n=$((n + 1)); bad=1
		echo "not ok $n - $t exits 0 (exit status $rc)"
	fi
	[ $bad -eq 0 ] || fail=1
done
echo "1..$n"
exit $fail
