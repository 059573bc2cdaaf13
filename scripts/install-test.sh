#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# install-test: `make install` and `make uninstall` as a packager runs them,
# in a copy of the tree: PREFIX and DESTDIR, the packager's CPPFLAGS, CFLAGS
# and LDFLAGS on the command line, no -Werror, and no selftests built (they
# need linux-source, which a production host does not have). Prints TAP.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src=$tmp/src dest=$tmp/dest
# shellcheck source=scripts/host-tap.sh
. "$root/scripts/host-tap.sh"

mkdir -p "$src" "$dest"
tar -C "$root" --exclude=./build --exclude=./.git -cf - . | tar -C "$src" -xf -
make -s -C "$src/daemon" clean >/dev/null 2>&1
make -s -C "$src/tools" clean >/dev/null 2>&1
make -s -C "$src/selftests" clean >/dev/null 2>&1
# A marker only the packager's CPPFLAGS can put in the binaries.
marker="rmem-install-test-$$-$RANDOM"
printf 'static const char rmem_install_marker[] __attribute__((used)) = "%s";\n' \
	"$marker" >"$tmp/marker.h"

env -u WERROR make -C "$src" install DESTDIR="$dest" PREFIX=/usr \
	CPPFLAGS="-include $tmp/marker.h" CFLAGS="-O1 -g" LDFLAGS="-Wl,-z,now" >"$tmp/log" 2>&1
rc=$?
ok $rc "make install DESTDIR=... PREFIX=/usr CPPFLAGS=... CFLAGS=... LDFLAGS=... (exit $rc)"
[ $rc = 0 ] || sed 's/^/# /' "$tmp/log" | tail -n 20

want="usr/sbin/rmemd usr/sbin/rmemctl usr/share/man/man8/rmemd.8 usr/share/man/man8/rmemctl.8
usr/lib/systemd/system/rmemd.service usr/share/bash-completion/completions/rmemctl
usr/share/man/man5/rmem.conf.5 usr/lib/systemd/system/rmem.service
usr/lib/systemd/system/rmem-swap@.service usr/lib/udev/rules.d/60-rmem.rules
usr/share/man/man4/rmem.4 etc/rmem/rmemd.conf.example"
missing=
for f in $want; do [ -f "$dest/$f" ] || missing+=" $f"; done
[ -z "$missing" ]
ok $? "installed: rmemd, rmemctl, their man pages, rmem.conf(5), rmem(4), the units, the udev rules, the completion, the example config (missing:${missing:- none})"

grep -q "^ExecStart=/usr/sbin/rmemd" "$dest/usr/lib/systemd/system/rmemd.service"
ok $? "the unit runs /usr/sbin/rmemd (SBINDIR from PREFIX)"

seen=0
for b in rmemd rmemctl; do grep -qa "$marker" "$dest/usr/sbin/$b" && seen=$((seen + 1)); done
[ $seen = 2 ]
ok $? "the packager's CPPFLAGS reached both binaries ($seen of 2 carry the marker)"

now=0
for b in rmemd rmemctl; do
	readelf -d "$dest/usr/sbin/$b" 2>/dev/null | grep -qE 'BIND_NOW|FLAGS.*NOW' && now=$((now + 1))
done
[ $now = 2 ]
ok $? "the packager's LDFLAGS reached both links ($now of 2 are -z now)"

! grep -q -- '-Werror' "$tmp/log" && grep -q -- '-O1 -g' "$tmp/log"
ok $? "no -Werror in a user's build, and the packager's CFLAGS are used"

built=$(cd "$src/selftests" && for p in $(make -s list 2>/dev/null) rmem_mmap rmem_pattern; do
	[ -x "$p" ] && [ "${p%.sh}" = "$p" ] && echo "$p"; done)
[ -z "$built" ] && ! grep -q 'selftests' "$tmp/log"
ok $? "make install builds no selftest (built:${built:+ $built}${built:- none})"

# The units as systemd reads them: installed with real paths (a PREFIX in
# $tmp, so that their ExecStart= programs exist), then systemd-analyze
# verify, which checks syntax, the commands and the ordering (a unit
# ordered before swap.target but after the network is a cycle).
v=$tmp/verify
env -u WERROR make -C "$src" install PREFIX="$v" UNITDIR="$v/units" >"$tmp/log" 2>&1 &&
	ln -s 'rmem-swap@.service' "$v/units/rmem-swap@swap0.service" &&
	systemd-analyze verify --man=no "$v/units/rmemd.service" "$v/units/rmem.service" \
		"$v/units/rmem-swap@swap0.service" >>"$tmp/log" 2>&1
rc=$?
ok $rc "systemd-analyze verify: rmemd.service, rmem.service, rmem-swap@swap0.service (exit $rc)"
[ $rc = 0 ] || sed 's/^/# /' "$tmp/log" | tail -n 20

env -u WERROR make -C "$src" uninstall DESTDIR="$dest" PREFIX=/usr >"$tmp/log" 2>&1
rc=$?
left=$(cd "$dest" && find . -type f | sort | tr '\n' ' ')
[ $rc = 0 ] && [ -z "$left" ]
ok $? "make uninstall removes every file make install put there (left: ${left:-none})"

tap_end
