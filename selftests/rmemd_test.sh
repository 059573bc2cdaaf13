#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rmemd_test: what a memory node does at start and stop. rmemd --donate 64M
# --listen 127.0.0.1:PORT starts, reserves and mlocks the pool, logs what it
# did, accepts connections (and answers a HELLO once the protocol is served),
# and exits 0 on SIGTERM. Bad arguments are refused at start. Runs in the
# compute guest (same binaries as a memory guest) or on any Linux host.
. "$(dirname "$0")/lib.sh"

PORT=${RMEMD_TEST_PORT:-17471}
DONATE_MB=64
tap_plan 10

if ! command -v rmemd >/dev/null; then
	tap_not_ok "rmemd is on PATH"
	tap_fail_rest "no rmemd (daemon/ not built?)"
	tap_done
fi
tap_ok "rmemd is on PATH ($(command -v rmemd))"

tmp=$(mktemp -d)
log=$tmp/rmemd.log
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# In the foreground, logging to stderr, its status socket in our directory.
# Authentication as the harness set it up: its key file (RMEM_KEY_FILE, which
# rmemd_probe reads too), else auth none.
sock=$tmp/rmemd.sock
if [ -n "${RMEM_KEY_FILE:-}" ]; then
	authopt=(--key-file "$RMEM_KEY_FILE")
else
	authopt=(--auth none)
fi
logopt=(--foreground --stderr --ctl-socket "$sock" "${authopt[@]}")

rmemd "${logopt[@]}" --donate ${DONATE_MB}M --listen 127.0.0.1:$PORT >"$log" 2>&1 &
pid=$!
up=0
for _ in $(seq 100); do
	kill -0 "$pid" 2>/dev/null || break
	if timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$PORT" 2>/dev/null; then
		up=1
		break
	fi
	sleep 0.2
done
if [ $up = 1 ]; then
	tap_ok "rmemd starts and listens on 127.0.0.1:$PORT"
else
	tap_not_ok "rmemd starts and listens on 127.0.0.1:$PORT"
	tap_diag <"$log"
	tap_fail_rest "rmemd did not start"
	tap_done
fi

locked_kb=$(awk '/^VmLck:/ { print $2 }' "/proc/$pid/status")
if [ "${locked_kb:-0}" -ge $((DONATE_MB * 1024)) ]; then
	tap_ok "the ${DONATE_MB} MiB pool is mlocked (VmLck ${locked_kb} kB)"
else
	tap_not_ok "the ${DONATE_MB} MiB pool is mlocked (VmLck ${locked_kb:-?} kB)"
	grep -E '^Vm' "/proc/$pid/status" | tap_diag
fi

if [ -s "$log" ]; then
	tap_ok "rmemd logs what it did"
	head -n 5 "$log" | tap_diag
else
	tap_not_ok "rmemd logs what it did (empty log)"
fi

probe=$(rmemd_probe 127.0.0.1 "$PORT" 2>&1)
case $? in
0) tap_ok "rmemd answers HELLO ($probe)" ;;
2) tap_skip "rmemd answers HELLO" "no reply yet, protocol not served ($probe)" ;;
*) tap_not_ok "rmemd answers HELLO"; echo "$probe" | tap_diag ;;
esac

status=$(rmemd --status "$sock" --json 2>&1)
if [ $? -eq 0 ] && json_valid <<<"$status"; then
	tap_ok "rmemd --status --json reports its state while it runs"
else
	tap_not_ok "rmemd --status --json reports its state while it runs"
	echo "$status" | tap_diag
fi

kill -TERM "$pid"
rc=
for _ in $(seq 100); do
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid"
		rc=$?
		break
	fi
	sleep 0.1
done
if [ "$rc" = 0 ]; then
	tap_ok "rmemd exits 0 on SIGTERM"
else
	tap_not_ok "rmemd exits 0 on SIGTERM (${rc:+exit $rc}${rc:-still running after 10 s})"
	tail -n 10 "$log" | tap_diag
fi
pid=

tap_check_fails "rmemd --donate 0 is refused" timeout 10 rmemd "${logopt[@]}" --donate 0 --listen 127.0.0.1:$PORT
tap_check_fails "rmemd --donate 12Q is refused" timeout 10 rmemd "${logopt[@]}" --donate 12Q --listen 127.0.0.1:$PORT
tap_check_fails "rmemd --listen 300.1.2.3:1 is refused" timeout 10 rmemd "${logopt[@]}" --donate 64M --listen 300.1.2.3:1
tap_done
