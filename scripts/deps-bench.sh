#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Debian packages that only `make bench` needs (kept out of scripts/deps.sh's
# list so that `make check` does not wait for them). Idempotent, like deps.sh.
#   gnuplot-nox    bench/report.py: PNG plots
#   redis-server   the real application of the swap workload (run in the
#   redis-tools    compute guest under a cgroup memory limit, driven by
#                  redis-benchmark); the guests run the host's binaries over 9p
#   tcpdump        EXTRAS=pcap: packet timestamps on both guests (wire timing)
#   dmsetup        bench/run.sh --crypt: dm-crypt under NVMe-oF (nvme-T-crypt)
#   linux-perf     EXTRAS=profile: perf record in both guests
exec "$(dirname "$0")/deps.sh" gnuplot-nox redis-server redis-tools tcpdump dmsetup linux-perf
