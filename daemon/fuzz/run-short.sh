#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Bounded libFuzzer runs, one TAP line per harness.
# usage: run-short.sh SECONDS fuzz/fuzz-NAME...
# Each harness fuzz/fuzz-NAME uses seeds from fuzz/corpus/NAME and keeps new
# inputs in fuzz/work/NAME. The config harness gets half the time.
set -u
t=$1
shift
n=0
fail=0
for f in "$@"; do
	name=${f##*/fuzz-}
	dir=$(dirname "$f")
	secs=$t
	[ "$name" = proto ] || secs=$(( (t + 1) / 2 ))
	mkdir -p "$dir/work/$name" "$dir/corpus/$name"
	log="$dir/work/$name.log"
	n=$((n + 1))
	if "$f" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 \
		-artifact_prefix="$dir/work/" \
		"$dir/work/$name" "$dir/corpus/$name" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "ok $n - fuzz $name: ${runs:-?} inputs in $secs s, no crash"
	else
		fail=1
		echo "not ok $n - fuzz $name: crash or error (see $log)"
		tail -n 30 "$log" | sed 's/^/# /'
	fi
done
echo "1..$n"
exit $fail
