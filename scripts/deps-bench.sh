#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Debian packages that only `make bench` needs (kept out of scripts/deps.sh so
# that `make check` does not wait for them). Idempotent, like deps.sh.
set -euo pipefail

PKGS=(
	gnuplot-nox	# bench/report.py: PNG plots
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps-bench: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
	echo "deps-bench: need root to install packages" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq --no-install-recommends -s "${missing[@]}" >/dev/null 2>&1; then
	apt-get update -qq
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
