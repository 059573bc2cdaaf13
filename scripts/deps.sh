#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install every Debian package rmem needs to build, test and demo
# (or, with arguments, just those packages).
# Idempotent: when everything is present it only runs dpkg-query (well under a second).
set -euo pipefail

PKGS=(
	# kernels the guests boot, and headers to build rmem.ko against
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	# checkpatch.pl, kernel-doc, kselftest_harness.h (unpacked at build time)
	linux-source-6.1
	# build
	build-essential pkg-config sparse kmod cpio xz-utils zstd
	libnl-3-dev libnl-genl-3-dev libibverbs-dev librdmacm-dev libssl-dev
	clang libclang-rt-14-dev
	# make check/style/demo, selftests (JSON checks), make dkms-install
	perl bc python3 dkms
	# make deb (the Debian packages) and its check
	debhelper dh-dkms lintian
	# guests
	qemu-system-x86 busybox-static iproute2
	rdma-core ibverbs-providers rdmacm-utils perftest
	fio stress-ng e2fsprogs nvme-cli nbd-server nbd-client
	iputils-ping iperf3 shellcheck
)

# With arguments, install those packages instead (scripts/deps-bench.sh).
[ $# -gt 0 ] && PKGS=("$@")

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: need root to install packages (run: sudo make deps)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the lists only if a package is unknown to apt.
if ! apt-get install -y -qq --no-install-recommends -s "${missing[@]}" >/dev/null 2>&1; then
	apt-get update -qq
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
