#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Debian packages that only the debug kernel (scripts/debug-kernel.sh, make
# check-debug) needs, kept out of scripts/deps.sh's list so that `make check`
# does not wait for them. Idempotent, like deps.sh.
#   linux-source-6.12   the kernel source (/usr/src/linux-source-6.12.tar.xz)
#   flex bison          kconfig and the dtc/genksyms parsers
#   libelf-dev          objtool (x86_64 ORC unwinder)
#   libssl-dev bc       certs/ tools and timeconst
exec "$(dirname "$0")/deps.sh" linux-source-6.12 flex bison libelf-dev libssl-dev bc
