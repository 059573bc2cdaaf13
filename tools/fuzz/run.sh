#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run libFuzzer harnesses for SECONDS each; one TAP line per harness.
#   B=build fuzz/run.sh SECONDS fuzz_size fuzz_addr ...
# The corpus grows in $B/fuzz/corpus/NAME, seeded from fuzz/seeds/NAME;
# crashes are kept in $B/fuzz/crash-NAME-* with the log in $B/fuzz/NAME.log.
set -u
B=${B:-build}
secs=$1
shift
n=0
failed=0
for f in "$@"; do
	n=$((n + 1))
	corpus=$B/fuzz/corpus/$f
	mkdir -p "$corpus"
	seeds=()
	[ -d "fuzz/seeds/$f" ] && seeds=("fuzz/seeds/$f")
	log=$B/fuzz/$f.log
	if "$B/fuzz/$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
		-max_len=512 -print_final_stats=1 -artifact_prefix="$B/fuzz/crash-$f-" \
		"$corpus" "${seeds[@]}" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
		echo "ok $n - $f: ${runs:-?} runs in ${secs}s, no crash"
	else
		echo "not ok $n - $f: see $log"
		grep -E 'ERROR|SUMMARY|Test unit written' "$log" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
done
echo "1..$n"
[ $failed -eq 0 ]
