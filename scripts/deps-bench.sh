#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Debian packages that only `make bench` needs (kept out of scripts/deps.sh's
# list so that `make check` does not wait for them). Idempotent, like deps.sh.
#   gnuplot-nox   bench/report.py: PNG plots
exec "$(dirname "$0")/deps.sh" gnuplot-nox
