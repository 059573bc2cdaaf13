#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: everything that must pass before a change lands.
#
#   deps -> build (rmem.ko for 6.1 and 6.12 with W=1 and sparse, the same
#   through DKMS, rmemd, rmemctl, selftests) -> style -> host tests (daemon, tools,
#   bench/report.py, short fuzz runs) -> guest tests (selftests/run-guest.sh through
#   scripts/rmem-vm: 6.1 over TCP and 6.12 over RDMA, the swap test on 6.1 over
#   TCP; with --full, make check-full: both kernels over both transports, swap
#   over both)
#
#   scripts/check.sh [--list] [--keep-going] [--resume] [--full|--debug|--debug-fault] [STEP-GLOB...]
#
# With STEP-GLOBs (e.g. 'build-*' 'guest-6.1-*') only matching steps run.
# --resume (make check-full/check-debug RESUME=1): keep the logs of the last
# run and skip every step that passed there on the same code with a clean
# tree (build/check*/.pass/STEP records it; a commit that changes only prose
# keeps it, see tree_id below), counting its results again: a run of several
# hours can span sessions, one or more steps at a time.
# --debug (make check-debug) runs another set of steps instead: build the
# debug kernel (scripts/debug-kernel.sh: KASAN, lockdep, kmemleak), rmem.ko
# against it, then every guest suite on it over TCP and RDMA, each followed by
# a kmemleak scan (scripts/vm/debug-guest.sh); logs in build/check-debug/.
# --debug-fault (make check-debug-fault): the block and mmap suites with
# failslab and fail_page_alloc aimed at rmem.ko; logs in build/check-debug-fault/.
# --full's logs are in build/check-full/.
# Every step's output is in build/check/NN-STEP.log (guest runs: also
# build/check/guest-K-T/, rmem-vm's log directory). Counting:
#   - a build or style step is one test: it passes when it exits 0 and printed
#     no warning or error line;
#   - a test step counts every TAP result line it printed ("ok", "not ok",
#     "# SKIP"), plus one failure if it exited non-zero without any "not ok",
#     or printed no TAP at all.
# The last line of output is always "N passed, N failed, N skipped"; the
# exit status is non-zero when anything failed.
set -uo pipefail
# -Werror in every userspace build of the check (not in a user's build)
export WERROR=1

# The whole script is one compound command, parsed before it runs: editing
# this file while a check runs cannot break that run.
{
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
LOGS=$root/build/check
keep_going=1
list_only=0
resume=0
mode=check
full=0
globs=()
for a in "$@"; do
	case $a in
	--list) list_only=1 ;;
	--keep-going) keep_going=1 ;;
	--resume) resume=1 ;;
	--full) full=1 ;;
	--debug) mode=debug ;;
	--debug-fault) mode=debug-fault ;;
	-h | --help) sed -n '3,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "check: unknown option $a" >&2; exit 2 ;;
	*) globs+=("$a") ;;
	esac
done
case $mode:$full in
check:1) LOGS=$root/build/check-full ;;
debug:0) LOGS=$root/build/check-debug ;;
debug:1) LOGS=$root/build/check-debug-full ;;
debug-fault:*) LOGS=$root/build/check-debug-fault ;;
esac

# Lines that fail a build step: compiler, sparse, modpost, linker.
WARN_RE='(^|[^[:alnum:]_])([Ww]arning|WARNING|[Ee]rror|ERROR)[: ]|undefined reference|\*\*\*'

total_pass=0 total_fail=0 total_skip=0
summary=()
step_no=0
t_all=$(date +%s.%N)

secs() { echo "$(date +%s.%N) - $1" | bc | xargs printf '%.1f'; }

# The code a step's pass belongs to, if nothing tracked is changed
# (otherwise a pass is not kept for --resume): a hash of the commit's files
# but its prose (Documentation/ other than the ABI files observe_test.sh
# reads, the top directory's *.md), so that a commit of docs or notes keeps
# the passes of hours of guest runs and a change of anything they run does not.
tree_id=$(git ls-tree -r HEAD 2>/dev/null |
	awk -F'\t' '($2 !~ /^Documentation\// || $2 ~ /^Documentation\/ABI\//) && $2 !~ /^[^\/]*\.md$/' |
	sha1sum | cut -c1-40)
[ -n "$(git rev-parse HEAD 2>/dev/null)" ] &&
	[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] || tree_id=''

# in_mode STEP: whether STEP belongs to this run's step set (make check's,
# --debug's or --debug-fault's). The userspace builds are in all three.
in_mode() {
	case $mode:$1 in
	*:deps | *:build-daemon | *:build-tools | *:build-selftests) return 0 ;;
	check:*-debug | check:*-debug-* | check:debug-*) return 1 ;;
	check:*) return 0 ;;
	debug*:deps-debug | debug*:debug-kernel | debug*:module-debug) return 0 ;;
	debug:guest-debug-fault) return 1 ;;
	debug:guest-debug-* | debug:guest-swap-debug-* | debug:guest-replica-debug-* | \
		debug:guest-shared-debug-*) return 0 ;;
	debug-fault:guest-debug-fault) return 0 ;;
	esac
	return 1
}

selected() {
	local g
	in_mode "$1" || return 1
	[ ${#globs[@]} -eq 0 ] && return 0
	for g in "${globs[@]}"; do
		# shellcheck disable=SC2053
		[[ $1 == $g ]] && return 0
	done
	return 1
}

# count_tap FILE: sets P F S (pass, fail, skip) from the TAP result lines.
count_tap() {
	P=0 F=0 S=0
	[ -r "$1" ] || return 0
	eval "$(tr -d '\r' <"$1" | awk '
		/^[[:space:]]*Bail out!/ { f++; next }
		/^[[:space:]]*(not )?ok([[:space:]]|$)/ {
			skip = ($0 ~ /#[[:space:]]*[Ss][Kk][Ii][Pp]/)
			todo = ($0 ~ /#[[:space:]]*[Tt][Oo][Dd][Oo]/)
			if (skip || ($0 ~ /^[[:space:]]*not ok/ && todo)) s++
			else if ($0 ~ /^[[:space:]]*not ok/) f++
			else p++
		}
		END { printf "P=%d F=%d S=%d\n", p, f, s }')"
}

# run_step KIND NAME TIMEOUT [TAPFILE] -- CMD...
#   KIND cmd (one test: its exit status), build (one test: exit status and no
#   warning line), test (TAP). TAPFILE (test steps): where the TAP is, if not
#   the log. CMD may be a function of this script.
run_step() {
	local kind=$1 name=$2 tmo=$3 tapfile= t0 rc dur log verdict detail attempt
	shift 3
	if [ "$1" != -- ]; then tapfile=$1; shift; fi
	shift
	selected "$name" || return 0
	step_no=$((step_no + 1))
	if [ $list_only = 1 ]; then
		printf '%-16s %s\n' "$name" "$*"
		return 0
	fi
	log=$LOGS/$(printf '%02d' $step_no)-$name.log
	if [ $resume = 1 ] && [ -n "$tree_id" ] && [ -r "$LOGS/.pass/$name" ] &&
		[ "$(cut -d' ' -f1 "$LOGS/.pass/$name")" = "$tree_id" ]; then
		# shellcheck disable=SC2034 # read for the summary line
		read -r _ P F S dur when <"$LOGS/.pass/$name"
		total_pass=$((total_pass + P))
		total_skip=$((total_skip + S))
		summary+=("$(printf '%-4s  %-16s %7ss  %3d passed, %3d failed, %3d skipped  (passed %s, kept)' \
			PASS "$name" "$dur" "$P" 0 "$S" "$when")")
		printf '==> %-16s passed on this code %s: kept (--resume)\n' "$name" "$when"
		return 0
	fi
	printf '==> %-16s %s\n' "$name" "$*"
	t0=$(date +%s.%N)
	for attempt in 1 2; do
		if declare -F "$1" >/dev/null; then
			timeout -k 30 "$tmo" bash -c "$(declare -f "$1"); \"\$@\"" _ "$@" </dev/null >"$log" 2>&1
		else
			timeout -k 30 "$tmo" "$@" </dev/null >"$log" 2>&1
		fi
		rc=$?
		# A memory guest's kernel crashed: it runs only rmemd (userspace)
		# and Debian's kernel (Soft-RoCE), never rmem.ko, so it is not a
		# verdict on our code; nor is a guest link the host stopped
		# carrying (rmem-vm: LINK STALL). Keep the logs and run the step
		# once more; a crash of the compute guest's kernel is always a
		# failure.
		[ "$kind" = test ] && [ $rc -ne 0 ] && [ $attempt = 1 ] && [ -n "$tapfile" ] &&
			grep -qE '^rmem-vm: (FAIL: mem[0-9]+ kernel log has crash lines|LINK STALL: )' "$log" &&
			! grep -qE '^rmem-vm: FAIL: compute[0-9]* kernel log' "$log" || break
		if grep -qE '^rmem-vm: FAIL: mem[0-9]+ kernel log has crash lines' "$log"; then
			# The first crash line rmem-vm quoted (a grep of the guest
			# logs would match the kernel command line's panic=-1).
			crash=$(grep -A1 -m1 -E '^rmem-vm: FAIL: mem[0-9]+ kernel log has crash lines' "$log" |
				sed -e '1s/^rmem-vm: FAIL: \(mem[0-9]*\) .*/\1: /' -e '2s/^ *[0-9]*://' |
				tr -d '\n' | cut -c1-100)
			crash="a memory guest's kernel crashed (not rmem.ko: logs in ${tapfile%/*}/mem-crash-1/; $crash)"
		else
			crash="$(grep -m1 '^rmem-vm: LINK STALL: ' "$log" | cut -c22-121) (the host's link, not rmem.ko: logs in ${tapfile%/*}/mem-crash-1/)"
		fi
		mkdir -p "$(dirname "$tapfile")/mem-crash-1"
		mv "$(dirname "$tapfile")"/*.log "$log" "$(dirname "$tapfile")/mem-crash-1/" 2>/dev/null
		echo "    $crash; running the step once more"
	done
	dur=$(secs "$t0")
	[ $rc -eq 124 ] && echo "check: step timed out after ${tmo}s" >>"$log"

	if [ "$kind" != test ]; then
		local warns=
		[ "$kind" = build ] && warns=$(grep -E "$WARN_RE" "$log" | grep -v '^check: ' | head -n 20)
		P=0 F=0 S=0
		if [ $rc -eq 0 ] && [ -z "$warns" ]; then
			P=1
		else
			F=1
			detail="exit $rc"
			[ -n "$warns" ] && detail+=", warnings/errors:"
		fi
	else
		count_tap "${tapfile:-$log}"
		if [ $rc -ne 0 ] && [ "$F" -eq 0 ]; then
			F=$((F + 1))
			detail="exit $rc without a failing TAP line"
		elif [ $((P + F + S)) -eq 0 ]; then
			F=1
			detail="printed no TAP results"
		fi
	fi
	total_pass=$((total_pass + P))
	total_fail=$((total_fail + F))
	total_skip=$((total_skip + S))
	verdict=PASS
	[ "$F" -gt 0 ] && verdict=FAIL
	[ "$F" -eq 0 ] && [ "$P" -eq 0 ] && [ "$S" -gt 0 ] && verdict=SKIP
	summary+=("$(printf '%-4s  %-16s %7ss  %3d passed, %3d failed, %3d skipped  %s' \
		"$verdict" "$name" "$dur" "$P" "$F" "$S" "${log#"$root"/}")")
	printf '    %s %s in %ss: %d passed, %d failed, %d skipped\n' \
		"$verdict" "$name" "$dur" "$P" "$F" "$S"
	rm -f "$LOGS/.pass/$name"
	if [ "$verdict" != FAIL ] && [ -n "$tree_id" ]; then
		mkdir -p "$LOGS/.pass"
		echo "$tree_id $P $F $S $dur $(date -u +%Y-%m-%dT%H:%MZ)" >"$LOGS/.pass/$name"
	fi
	if [ "$verdict" = FAIL ]; then
		[ -n "${detail:-}" ] && echo "    $detail"
		if [ "$kind" != test ]; then
			[ -n "${warns:-}" ] && echo "$warns"
			[ $rc -ne 0 ] && { [ -n "${warns:-}" ] && echo "(last lines)"; tail -n 10 "$log"; }
		else
			tr -d '\r' <"${tapfile:-$log}" 2>/dev/null |
				grep -E '^[[:space:]]*(not ok|Bail out!)' | head -n 25 | grep . ||
				tail -n 15 "$log"
		fi | sed 's/^/      | /'
	fi
	detail=
	return 0
}

if [ $list_only = 0 ]; then
	[ $resume = 1 ] || rm -rf "$LOGS"
	mkdir -p "$LOGS"
	echo "${mode/#debug/check-debug}: rmem $(cat VERSION), logs in ${LOGS#"$root"/}/, $(nproc) CPUs"
fi

# ------------------------------------------------------------------ steps
run_step cmd deps 900 -- scripts/deps.sh

# Kernels the project supports; a missing one is a failure, not a skip.
declare -A kver
for k in 6.1 6.12; do
	kver[$k]=$(scripts/kver.sh "$k" 2>/dev/null || echo "missing-$k")
done

# rmem.ko: W=1 (the Makefile's), sparse (C=1), from scratch so that every
# warning is seen: C=1 only checks the files it compiles.
build_module() {
	local k=$1
	case $k in missing-*) echo "error: no kernel headers for ${k#missing-}"; return 1 ;; esac
	[ -d "build/$k" ] && find "build/$k" \( -name '*.o' -o -name '*.ko' \) -delete
	make --no-print-directory modules-all KVERS_ALL="$k" C=1 || return 1
	[ -e "build/$k/rmem.ko" ] || { echo "error: build/$k/rmem.ko not built"; return 1; }
	echo "built build/$k/rmem.ko ($(modinfo -F version "build/$k/rmem.ko" 2>/dev/null))"
}
for k in 6.1 6.12; do
	run_step build "module-$k" 600 -- build_module "${kver[$k]}"
done
# dkms.conf still builds rmem.ko, in a private tree (system untouched).
run_step cmd dkms-build 600 -- scripts/dkms-install.sh --build-only --tree "$root/build/dkms"
run_step build build-daemon 600 -- make --no-print-directory -C daemon
run_step build build-tools 600 -- make --no-print-directory -C tools
run_step build build-selftests 600 -- make --no-print-directory -C selftests
run_step build style 300 -- scripts/style.sh

run_step test daemon-test 900 -- make --no-print-directory -C daemon test
run_step cmd unit-security 120 -- make --no-print-directory -C daemon unit-check
run_step test tools-test 900 -- make --no-print-directory -C tools test
run_step test install-test 300 -- scripts/install-test.sh
run_step test harness-test 300 -- scripts/rmem-vm-test.sh
run_step test bench-test 300 -- bench/tests/report_test.sh
run_step test daemon-fuzz 900 -- make --no-print-directory -C daemon fuzz-short
run_step test tools-fuzz 900 -- make --no-print-directory -C tools fuzz-short

# Guest runs take both cores: the lock keeps them from overlapping with
# anyone else's (bench, another check). tests.list says which tests depend
# on the transport. make check runs one diagonal of the matrix (6.1 over
# TCP, 6.12 over RDMA, swap once over TCP, replicas once over TCP) to fit
# CI's time, and its guests run the tests' short form: the heaviest tests'
# bulk data quartered (RMEM_DATA_DIV=4) and the slowest sections skipped with
# a TAP SKIP (RMEM_SHORT=1; selftests/lib.sh). make check-full (--full) runs
# every kernel with every transport, swap and replicas over both, each
# test whole.
if [ $full = 1 ]; then
	combos="6.1-tcp 6.12-tcp 6.1-rdma 6.12-rdma" swaps="tcp rdma"
	replicas="6.1-tcp 6.12-tcp 6.1-rdma 6.12-rdma" shared=$replicas
	short=(env RMEM_DATA_DIV=1 RMEM_SHORT=0)
	# rmem-vm's --timeout (a hang guard): the whole bulk and the tests
	# make check leaves out (tests.list "full") take far longer
	tmo_main=3300 tmo_replica=2400 tmo_shared=2000
else
	combos="6.1-tcp 6.12-rdma" swaps="tcp" replicas="6.1-tcp" shared="6.12-rdma"
	short=(env RMEM_DATA_DIV=4 RMEM_SHORT=1 RMEM_CI=1)
	tmo_main=1700 tmo_replica=1700 tmo_shared=1400
fi
for c in $combos; do
	k=${c%-*} t=${c##*-}
	run_step test "guest-$k-$t" $((tmo_main + 100)) "$LOGS/guest-$k-$t/script.log" -- \
		"${short[@]}" flock /tmp/rmem-vm.lock scripts/rmem-vm --kernel "$k" --memory-nodes 1 \
		--transport "$t" --logdir "$LOGS/guest-$k-$t" --timeout $tmo_main \
		selftests/run-guest.sh
done
# Swap under real memory pressure needs a small compute guest of its own.
for t in $swaps; do
	run_step test "guest-swap-6.1-$t" 1200 "$LOGS/guest-swap-6.1-$t/script.log" -- \
		"${short[@]}" flock /tmp/rmem-vm.lock scripts/rmem-vm --kernel 6.1 --memory-nodes 1 \
		--compute-mem 256 --memory-mem 1536 --donate 1024M --transport "$t" \
		--logdir "$LOGS/guest-swap-6.1-$t" --timeout 1100 selftests/swap_test.sh
done
# The Debian packages: built (lintian clean), unpacked, DKMS builds rmem.ko
# from rmem-dkms, and a 6.1 guest runs blk_race_test.sh on that module with
# the packaged rmemctl (scripts/deb-test.sh).
run_step test deb-test 1200 -- "${short[@]}" scripts/deb-test.sh

# Replicas need three memory nodes: replica_test.sh and rebuild_stall_test.sh
# in guests of their own (they skip in the one-node runs above).
for c in $replicas; do
	k=${c%-*} t=${c##*-}
	run_step test "guest-replica-$k-$t" $((tmo_replica + 100)) "$LOGS/guest-replica-$k-$t/script.log" -- \
		"${short[@]}" flock /tmp/rmem-vm.lock scripts/rmem-vm --kernel "$k" --memory-nodes 3 \
		--transport "$t" --logdir "$LOGS/guest-replica-$k-$t" --timeout $tmo_replica \
		selftests/run-guest.sh replica_test.sh rebuild_stall_test.sh
done

# One copy, many compute nodes: two compute guests and two memory guests
# (shared_test.sh; publish_resync_test.sh too, in check-full: tests.list).
for c in $shared; do
	k=${c%-*} t=${c##*-}
	run_step test "guest-shared-$k-$t" $((tmo_shared + 100)) "$LOGS/guest-shared-$k-$t/script.log" -- \
		"${short[@]}" flock /tmp/rmem-vm.lock scripts/rmem-vm --kernel "$k" --memory-nodes 2 \
		--compute-nodes 2 --transport "$t" --logdir "$LOGS/guest-shared-$k-$t" --timeout $tmo_shared \
		selftests/run-guest.sh shared_test.sh publish_resync_test.sh
done

# ------------------------------------------------------------------ debug kernel
# make check-debug / check-debug-fault (not make check: they take hours).
run_step cmd deps-debug 900 -- scripts/deps-debug.sh
# About 20 min on 2 cores, once: then cached in build/debug-kernel/.
run_step cmd debug-kernel 14400 -- scripts/debug-kernel.sh
build_module_debug() {
	local DEBUG_KVER='' DEBUG_KDIR=''
	eval "$(scripts/debug-kernel.sh --print)" || return 1
	[ -d "build/$DEBUG_KVER" ] && find "build/$DEBUG_KVER" \( -name '*.o' -o -name '*.ko' \) -delete
	make --no-print-directory modules-all KVERS_ALL="$DEBUG_KVER" KDIR="$DEBUG_KDIR" || return 1
	[ -e "build/$DEBUG_KVER/rmem.ko" ] || { echo "error: build/$DEBUG_KVER/rmem.ko not built"; return 1; }
	echo "built build/$DEBUG_KVER/rmem.ko"
}
run_step build module-debug 600 -- build_module_debug
# Everything runs several times slower than on Debian's kernels (KASAN,
# lockdep): debug-guest.sh triples tests.list's timeouts, and the steps allow
# hours (blk_io_test alone ran past 1200 s). Each suite ends with rmem.ko
# unloaded and a kmemleak scan. The swap
# guest gets 384 MiB instead of 256: KASAN's shadow takes an eighth of RAM.
# make check-debug runs the tests' short form (RMEM_SHORT=1, as make check,
# but with the tests tests.list leaves out of make check): a test whose
# transport does not matter runs over TCP only, the slowest sections are
# skipped; make check-debug-full (--debug --full) runs each test whole
# under every transport.
if [ $full = 1 ]; then
	dshort=(env RMEM_SHORT=0)
else
	dshort=(env RMEM_SHORT=1)
fi
for t in tcp rdma; do
	run_step test "guest-debug-$t" 9000 "$LOGS/guest-debug-$t/script.log" -- \
		"${dshort[@]}" flock /tmp/rmem-vm.lock scripts/rmem-vm --kernel debug --memory-nodes 1 \
		--transport "$t" --logdir "$LOGS/guest-debug-$t" --timeout 8700 \
		scripts/vm/debug-guest.sh "$root/selftests/run-guest.sh"
	run_step test "guest-swap-debug-$t" 5400 "$LOGS/guest-swap-debug-$t/script.log" -- \
		"${dshort[@]}" flock /tmp/rmem-vm.lock scripts/rmem-vm --kernel debug --memory-nodes 1 \
		--compute-mem 384 --memory-mem 1536 --donate 1024M --transport "$t" \
		--logdir "$LOGS/guest-swap-debug-$t" --timeout 5100 \
		scripts/vm/debug-guest.sh "$root/selftests/swap_test.sh"
	run_step test "guest-replica-debug-$t" 5400 "$LOGS/guest-replica-debug-$t/script.log" -- \
		"${dshort[@]}" flock /tmp/rmem-vm.lock scripts/rmem-vm --kernel debug --memory-nodes 3 \
		--transport "$t" --logdir "$LOGS/guest-replica-debug-$t" --timeout 5100 \
		scripts/vm/debug-guest.sh "$root/selftests/run-guest.sh" replica_test.sh \
		rebuild_stall_test.sh
done
# Two compute guests on the debug kernel, two memory guests.
for t in tcp rdma; do
	[ $full = 1 ] || [ $t = tcp ] || continue
	run_step test "guest-shared-debug-$t" 5400 "$LOGS/guest-shared-debug-$t/script.log" -- \
		"${dshort[@]}" flock /tmp/rmem-vm.lock scripts/rmem-vm --kernel debug --memory-nodes 2 \
		--compute-nodes 2 --transport "$t" --logdir "$LOGS/guest-shared-debug-$t" --timeout 5100 \
		scripts/vm/debug-guest.sh "$root/selftests/run-guest.sh" shared_test.sh \
		publish_resync_test.sh
done
run_step test guest-debug-fault 7200 "$LOGS/guest-debug-fault/script.log" -- \
	flock /tmp/rmem-vm.lock scripts/rmem-vm --kernel debug --memory-nodes 1 \
	--transport tcp --logdir "$LOGS/guest-debug-fault" --timeout 6900 \
	scripts/vm/debug-guest.sh --fault "$root/selftests/run-guest.sh" \
	blk_badinput_test.sh blk_io_test.sh mmap_test.sh

[ $list_only = 1 ] && exit 0

# ------------------------------------------------------------------ summary
echo
echo "== summary (total $(secs "$t_all")s) =="
printf '  %s\n' "${summary[@]}"
[ "$total_fail" -gt 0 ] && echo "  failures: see the logs above; guest runs keep every serial log in ${LOGS#"$root"/}/STEP/"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
exit
}
