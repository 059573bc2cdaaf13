#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deb_install_test: the Debian packages installed with dpkg into the compute
# guest's root (its overlay is writable), as on a user's host. Only for
# scripts/deb-test.sh, which builds them into build/deb/ and sets
# RMEM_BIN_DIR=/usr/sbin, so that the tests after this one run the
# installed rmemctl; elsewhere it skips.
#   1 dpkg -i rmemd and rmemctl, and dpkg --unpack rmem-dkms (its postinst,
#     the DKMS build, is done on the host: a module build under TCG would
#     take minutes): every package "install ok" in dpkg's database
#   2 the files are where the packages put them, and rmemctl in PATH is
#     the installed one
#   3 the maintainer scripts enabled no unit (rmemd needs a key and a
#     configuration first)
. "$(dirname "$0")/lib.sh"
. "$RMEM_LIB"

debs=${RMEM_SRC:-}/build/deb
tap_plan 3
if [ "${RMEM_BIN_DIR:-}" != /usr/sbin ] || ! ls "$debs"/rmemctl_*.deb >/dev/null 2>&1; then
	tap_skip_rest "only run by scripts/deb-test.sh (make check's deb-test step)"
	tap_done
fi
version=$(cat "$RMEM_SRC/VERSION")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Triggers (man-db) are left pending: they index man pages, slowly under TCG.
dpkg --no-triggers -i "$debs/rmemd_${version}_amd64.deb" "$debs/rmemctl_${version}_amd64.deb" \
	>"$tmp/dpkg.log" 2>&1 &&
	dpkg --no-triggers --unpack "$debs/rmem-dkms_${version}_all.deb" >>"$tmp/dpkg.log" 2>&1
rc=$?
st=
for p in rmemd rmemctl rmem-dkms; do
	st+="$p: $(dpkg-query -W -f '${Status} ${Version}' "$p" 2>&1); "
done
[ $rc = 0 ] && [[ $st == *"rmemd: install ok installed $version;"* ]] &&
	[[ $st == *"rmemctl: install ok installed $version;"* ]] &&
	[[ $st == *"rmem-dkms: install ok unpacked $version;"* ]]
tap_result "dpkg -i rmemd rmemctl, dpkg --unpack rmem-dkms (exit $rc): $st" $? ||
	tap_diag <"$tmp/dpkg.log"

missing=
for f in /usr/sbin/rmemd /usr/sbin/rmemctl /lib/systemd/system/rmemd.service \
	/lib/systemd/system/rmem.service /lib/systemd/system/rmem-swap@.service \
	/lib/udev/rules.d/60-rmem.rules /usr/share/man/man4/rmem.4.gz \
	/usr/src/rmem-"$version"/dkms.conf /usr/src/rmem-"$version"/kmod/rmem-main.c; do
	[ -e "$f" ] || missing+=" $f"
done
[ -z "$missing" ] && [ "$(command -v rmemctl)" = /usr/sbin/rmemctl ] &&
	rmemctl -V | grep -qx "rmemctl $version"
tap_last=$?; tap_result "installed files in place (missing:${missing:- none}); rmemctl is $(command -v rmemctl), $(rmemctl -V 2>&1)" "$tap_last"

enabled=$(find /etc/systemd/system -name 'rmem*' 2>/dev/null | tr '\n' ' ')
[ -z "$enabled" ]
tap_result "no unit enabled by the packages (${enabled:-none})" $?

tap_done
