#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# module_reload_test: rmem.ko unloads and loads again 20 times; each time the
# generic netlink family "rmem" disappears with it and comes back, rmemctl
# fails cleanly while it is gone, and the kernel log stays free of warnings.
# Expects the module loaded (as scripts/rmem-vm leaves it) and leaves it so.
. "$(dirname "$0")/lib.sh"

ROUNDS=${RELOAD_ROUNDS:-20}
tap_plan $((ROUNDS + 5))

if [ ! -d /sys/module/rmem ]; then
	tap_not_ok "rmem.ko is loaded at start"
	tap_fail_rest "rmem.ko not loaded"
	tap_done
fi
tap_check "rmem.ko is loaded at start and family rmem registered" rmem_family

# modprobe finds rmem.ko when it is installed under /lib/modules (rmem-vm and
# DKMS do that); otherwise reload the file we were given.
load() {
	rmem_modprobe 2>/dev/null && return 0
	[ -n "${RMEM_MODULE:-}" ] && insmod "$RMEM_MODULE" &&
		{ [ -z "${RMEM_KEY_FILE:-}" ] || rmemctl key add "$RMEM_KEY_FILE" >/dev/null; }
}

mark=$(dmesg_mark)
wmark=$(dmesg --level=emerg,alert,crit,err,warn 2>/dev/null | wc -l)
for ((i = 1; i <= ROUNDS; i++)); do
	why=
	if ! out=$(rmmod rmem 2>&1); then
		why="rmmod failed: $out"
	elif [ -d /sys/module/rmem ]; then
		why="/sys/module/rmem still there after rmmod"
	elif rmem_family >/dev/null 2>&1; then
		why="family rmem still registered after rmmod"
	elif ! out=$(load 2>&1); then
		why="modprobe rmem failed: $out"
	elif ! rmem_family >/dev/null 2>&1; then
		why="family rmem not registered after modprobe"
	fi
	if [ -z "$why" ]; then
		tap_ok "reload $i: family rmem gone after rmmod, back after modprobe"
	else
		tap_not_ok "reload $i: family rmem gone after rmmod, back after modprobe"
		echo "$why" | tap_diag
		# Leave the module loaded for the tests that follow.
		[ -d /sys/module/rmem ] || load >/dev/null 2>&1
		tap_fail_rest "reload $i failed"
		tap_done
	fi
done

# MODULE_ALIAS_GENL_FAMILY("rmem"): asking for the family by name (what
# rmemctl does) loads the module.
if modinfo -F alias rmem 2>/dev/null | grep -qx 'net-pf-16-proto-16-family-rmem'; then
	why=
	if ! out=$(rmmod rmem 2>&1); then
		why="rmmod failed: $out"
	elif ! out=$(rmem_family --resolve 2>&1); then
		why="resolving family rmem did not load the module: $out"
	elif [ ! -d /sys/module/rmem ]; then
		why="family resolved but /sys/module/rmem is missing"
	fi
	[ -d /sys/module/rmem ] || load >/dev/null 2>&1
	if [ -z "$why" ]; then
		tap_ok "resolving family rmem autoloads rmem.ko"
	else
		tap_not_ok "resolving family rmem autoloads rmem.ko"
		echo "$why" | tap_diag
	fi
else
	tap_skip "resolving family rmem autoloads rmem.ko" "rmem.ko has no MODULE_ALIAS_GENL_FAMILY"
fi

tap_check "rmem.ko loaded at the end, refcount 0" \
	test "$(cat /sys/module/rmem/refcnt 2>/dev/null)" = 0

bad=$(dmesg_since "$mark" | grep -E "$KERNEL_BAD_RE")
if [ -z "$bad" ]; then
	tap_ok "no kernel warnings during $ROUNDS reloads"
else
	tap_not_ok "no kernel warnings during $ROUNDS reloads"
	echo "$bad" | head -n 20 | tap_diag
fi

# Module messages at load/unload should be few and calm; show them, and fail
# on anything at warning level or worse from rmem itself.
# Only the reloads' own messages: earlier tests refuse nodes on purpose.
loud=$(dmesg --level=emerg,alert,crit,err,warn 2>/dev/null | tail -n +"$((wmark + 1))" |
	grep -E '^(\[[ 0-9.]+\] )?rmem: ' | grep -v 'taint' || true)
if [ -z "$loud" ]; then
	tap_ok "rmem logged nothing at warning level or worse"
else
	tap_not_ok "rmem logged nothing at warning level or worse"
	echo "$loud" | head -n 20 | tap_diag
fi
tap_done
