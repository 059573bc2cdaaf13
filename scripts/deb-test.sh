#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deb-test: the Debian packages as a user gets them (make check).
#   1. make deb (scripts/deb.sh --lintian): rmem-dkms, rmemd and rmemctl
#      build with dpkg-buildpackage, and lintian finds no error or warning;
#   2. each package holds what it must (sources and dkms.conf; the daemon,
#      its unit, man page and example config; the tool, its man page and
#      completion), and rmemd's unit is not enabled by the package;
#   3. the packages unpack into an empty root (dpkg -x: what dpkg -i puts
#      there, without the maintainer scripts), and DKMS builds rmem.ko for
#      the 6.1 kernel from the unpacked /usr/src/rmem-VERSION with the
#      packaged dkms.conf, as rmem-dkms's postinst does (DKMS's
#      common.postinst: dkms add, build; its install step, which copies
#      the module into /lib/modules, is left out), in a private tree;
#   4. a 6.1 guest installs the packages with dpkg into its root
#      (selftests/deb_install_test.sh: dpkg -i rmemd rmemctl, dpkg --unpack
#      rmem-dkms), loads the DKMS-built rmem.ko (scripts/rmem-vm --module),
#      and a block test passes on it, run by the installed /usr/sbin/rmemctl:
#      blk_race_test.sh (first writes racing discards, every block read back
#      and compared; the shortest block test that checks contents: CI's time).
# Prints TAP.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
version=$(cat "$root/VERSION")
out=$root/build/deb
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=scripts/host-tap.sh
. "$root/scripts/host-tap.sh"
diag() { sed 's/^/# /'; }

"$root/scripts/deb.sh" --lintian >"$tmp/deb.log" 2>&1
rc=$?
debs="$out/rmem-dkms_${version}_all.deb $out/rmemd_${version}_amd64.deb $out/rmemctl_${version}_amd64.deb"
have=0
for d in $debs; do [ -f "$d" ] && have=$((have + 1)); done
[ $rc = 0 ] && [ $have = 3 ]
ok $? "make deb: rmem-dkms, rmemd and rmemctl built, lintian clean (exit $rc, $have of 3 packages)" ||
	tail -n 25 "$tmp/deb.log" | diag
[ $have = 3 ] || { tap_end; exit 1; }

# contents: PACKAGE FILE...
missing=
contents() {
	local deb=$1 f
	shift
	dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's,^\./,/,' >"$tmp/list"
	for f in "$@"; do grep -qx "$f" "$tmp/list" || missing+=" $(basename "$deb"):$f"; done
}
contents "$out/rmem-dkms_${version}_all.deb" /usr/src/rmem-$version/dkms.conf \
	/usr/src/rmem-$version/Kbuild /usr/src/rmem-$version/kmod/rmem-main.c \
	/usr/src/rmem-$version/include/uapi/rmem.h
contents "$out/rmemd_${version}_amd64.deb" /usr/sbin/rmemd /lib/systemd/system/rmemd.service \
	/usr/share/man/man8/rmemd.8.gz /etc/rmem/rmemd.conf.example
contents "$out/rmemctl_${version}_amd64.deb" /usr/sbin/rmemctl /usr/share/man/man8/rmemctl.8.gz \
	/usr/share/man/man5/rmem.conf.5.gz /usr/share/man/man4/rmem.4.gz \
	/usr/share/bash-completion/completions/rmemctl /lib/systemd/system/rmem.service \
	/lib/systemd/system/rmem-swap@.service /lib/udev/rules.d/60-rmem.rules
dpkg-deb -e "$out/rmemd_${version}_amd64.deb" "$tmp/ctl"
# dh_installsystemd --no-enable --no-start: the postinst starts nothing, and
# enables the unit again only where the admin had enabled it (was-enabled).
enabled=
grep -qE 'deb-systemd-invoke|systemctl' "$tmp/ctl/postinst" && enabled="it starts it"
[ "$(grep -c 'deb-systemd-helper enable' "$tmp/ctl/postinst")" = \
	"$(grep -c 'was-enabled' "$tmp/ctl/postinst")" ] || enabled+=" it enables it"
[ -z "$missing" ] && [ -z "$enabled" ] &&
	grep -q "^ExecStart=/usr/sbin/rmemd" <(dpkg-deb --fsys-tarfile "$out/rmemd_${version}_amd64.deb" |
		tar -xOf - ./lib/systemd/system/rmemd.service)
ok $? "each package holds what it must (missing:${missing:- none}); rmemd.service runs /usr/sbin/rmemd, and the postinst neither enables nor starts it (${enabled:-right})"

# 3. unpack, then DKMS as the postinst runs it, in a private tree.
for d in $debs; do dpkg -x "$d" "$tmp/root"; done
k=$("$root/scripts/kver.sh" 6.1)
t=$tmp/dkms
mkdir -p "$t/dkms" "$t/modules"
dk=(--sourcetree "$tmp/root/usr/src" --dkmstree "$t/dkms" --installtree "$t/modules")
{ dkms add -m rmem -v "$version" "${dk[@]}" &&
	dkms build -m rmem -v "$version" -k "$k" "${dk[@]}"; } >"$tmp/dkms.log" 2>&1
rc=$?
ko=$(find "$t/modules" "$t/dkms" -name 'rmem.ko*' 2>/dev/null | head -n 1)
case $ko in *.xz) xz -dkf "$ko" && ko=${ko%.xz} ;; *.zst) zstd -dqf "$ko" && ko=${ko%.zst} ;; esac
[ $rc = 0 ] && [ -n "$ko" ] && [ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$k" ]
ok $? "DKMS builds rmem.ko for $k from the unpacked rmem-dkms (its dkms.conf; exit $rc, ${ko:-no module})" ||
	tail -n 15 "$tmp/dkms.log" | diag
# Under build/: the guests see the host's tree, not its /tmp.
cp "$ko" "$out/rmem.ko" 2>/dev/null

# 4. the guest: dpkg installs the packages (deb_install_test.sh), and
# /usr/sbin, where rmemctl is installed, comes first in its PATH.
if [ -s "$out/rmem.ko" ]; then
	RMEM_BIN_DIR=/usr/sbin flock /tmp/rmem-vm.lock "$root/scripts/rmem-vm" --kernel 6.1 \
		--memory-nodes 1 --transport tcp --module "$out/rmem.ko" --logdir "$out/guest" \
		--timeout 900 "$root/selftests/run-guest.sh" deb_install_test.sh blk_race_test.sh \
		>"$tmp/vm.log" 2>&1
	rc=$?
	p=$(grep -cE '^ok ' "$out/guest/script.log" 2>/dev/null)
	f=$(grep -cE '^not ok |# SKIP' "$out/guest/script.log" 2>/dev/null)
	grep -q "rmem.ko: $(realpath "$out/rmem.ko")" "$tmp/vm.log" &&
		grep -q "^ok .*rmemctl is /usr/sbin/rmemctl" "$out/guest/script.log"
	used=$?
	[ $rc = 0 ] && [ "${f:-1}" = 0 ] && [ "${p:-0}" -ge 8 ] && [ $used = 0 ]
	ok $? "a 6.1 guest installs the packages with dpkg, loads the DKMS-built rmem.ko; blk_race_test.sh passes on it with the installed rmemctl (exit $rc, $p ok, $f not ok or skipped)" ||
		{ grep -E '^not ok' "$out/guest/script.log" | head -n 10; tail -n 10 "$tmp/vm.log"; } | diag
else
	ok 1 "a 6.1 guest loads the DKMS-built rmem.ko (none was built)"
fi

tap_end
