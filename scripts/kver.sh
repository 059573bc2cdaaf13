#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print the full kernel release (e.g. 6.1.0-56-amd64) for a kernel selector:
#   (none)   the running kernel if its headers are installed, else the newest
#            installed Debian headers
#   6.1|6.12 the newest installed headers of that line
#   FULL     a full release string, checked to have headers
# Exits 1 with a message if no matching headers are installed.
set -euo pipefail
sel=${1:-}
have() { [ -e "/lib/modules/$1/build/Makefile" ] || [ -e "/usr/src/linux-headers-$1/Makefile" ]; }
list() {
	for d in /usr/src/linux-headers-*-amd64; do
		[ -e "$d/Makefile" ] && echo "${d#/usr/src/linux-headers-}"
	done | sort -V
}
case "$sel" in
"")
	r=$(uname -r)
	if have "$r"; then echo "$r"; exit 0; fi
	k=$(list | tail -n1) ;;
6.1 | 6.12)
	k=$(list | grep -E "^${sel//./\\.}\." | tail -n1) || true ;;
*)
	k=$sel; have "$k" || k= ;;
esac
if [ -z "${k:-}" ]; then
	echo "kver: no kernel headers for '${sel:-default}' (run: make deps)" >&2
	exit 1
fi
echo "$k"
