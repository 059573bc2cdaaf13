#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make style: the kernel's own style checks on every kernel-side file.
#   checkpatch.pl --strict --no-tree --terse -f   (from Debian's linux-source)
#   kernel-doc -none -Wall                        (from the newest kernel headers)
# and scripts/tap-lint.py on the shell tests (a TAP status that is always 0).
# Prints every problem, one per line, then a one-line verdict. Exit 0 = clean.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
build=${BUILD:-$root/build}

scripts/ksrc.sh "$build" || exit 1
checkpatch=$build/tools/checkpatch.pl

kerneldoc=
for k in $(ls -d /usr/src/linux-headers-*-common/scripts/kernel-doc 2>/dev/null | sort -V); do
	kerneldoc=$k
done
if [ -z "$kerneldoc" ]; then
	echo "style: no scripts/kernel-doc in /usr/src/linux-headers-*-common (run: make deps)" >&2
	exit 1
fi
# -Wall appeared in kernel-doc after 6.1; use it when this copy knows it.
kdflags=(-none)
grep -q 'Wall' "$kerneldoc" && kdflags+=(-Wall)

shopt -s nullglob
files=(kmod/*.c kmod/*.h include/*.h include/uapi/*.h)
# Tracepoint headers follow the kernel's TRACE_EVENT layout (see
# samples/trace_events): TP_STRUCT__entry( and TP_fast_assign( end their
# lines, and TRACE_INCLUDE_FILE names the file, dash included. checkpatch
# --strict flags that layout, so it is checked without those three checks.
trace=(kmod/*-trace.h)
trace_ignore=OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT,SPACING
if [ ${#files[@]} -eq 0 ]; then
	echo "style: no kernel files found" >&2
	exit 1
fi

problems=0
# checkpatch asks git about the tree; drop git's own complaints (no commits yet).
plain=()
for f in "${files[@]}"; do
	case " ${trace[*]} " in *" $f "*) ;; *) plain+=("$f") ;; esac
done
out=$(perl "$checkpatch" --strict --no-tree --terse --no-summary --show-types \
	-f "${plain[@]}" 2>&1)
rc=$?
if [ ${#trace[@]} -gt 0 ]; then
	tout=$(perl "$checkpatch" --strict --no-tree --terse --no-summary --show-types \
		--ignore "$trace_ignore" -f "${trace[@]}" 2>&1)
	trc=$?
	[ $rc -eq 0 ] && rc=$trc
	out=$(printf '%s\n%s\n' "$out" "$tout")
fi
out=$(printf '%s\n' "$out" | grep -v -e '^fatal: ' -e '^$' || true)
if [ -n "$out" ]; then
	printf '%s\n' "$out"
	problems=$((problems + $(printf '%s\n' "$out" | grep -c .)))
elif [ $rc -ne 0 ]; then
	echo "style: checkpatch exited $rc without saying why"
	problems=$((problems + 1))
fi

out=$(perl "$kerneldoc" "${kdflags[@]}" "${files[@]}" 2>&1)
rc=$?
if [ -n "$out" ]; then
	printf '%s\n' "$out"
	problems=$((problems + $(printf '%s\n' "$out" | grep -c .)))
elif [ $rc -ne 0 ]; then
	echo "style: kernel-doc exited $rc without saying why"
	problems=$((problems + 1))
fi

# The shell tests: no TAP status taken after a command substitution.
out=$(python3 scripts/tap-lint.py selftests/*.sh scripts/*.sh bench/tests/*.sh 2>&1)
if [ -n "$out" ]; then
	printf '%s\n' "$out"
	problems=$((problems + $(printf '%s\n' "$out" | grep -c .)))
fi

if [ $problems -ne 0 ]; then
	echo "style: $problems problem(s) in ${#files[@]} files (checkpatch --strict, kernel-doc ${kdflags[*]})"
	exit 1
fi
echo "style: ${#files[@]} files clean (checkpatch --strict, kernel-doc ${kdflags[*]})"
