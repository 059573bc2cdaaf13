# SPDX-License-Identifier: GPL-2.0
#
# rmem -- remote memory for Linux.
#
#   make             rmem.ko (for KVER), rmemd, rmemctl, selftests
#   make module      rmem.ko for KVER (default: running kernel, else newest headers)
#   make modules-all rmem.ko for the newest 6.1 and 6.12 headers, in build/KVER/
#   make deps        install every Debian package the project needs
#   make check       deps + build + style + host tests + guest tests (6.1/TCP, 6.12/RDMA)
#   make check-full  the same with every kernel x transport (and swap over both)
#   make debug-kernel  build the KASAN/lockdep/kmemleak guest kernel (once, ~20 min)
#   make check-debug   every guest suite on it, short form (RESUME=1: keep passes)
#   make check-debug-full  the same, each test whole under every transport
#   make check-debug-fault  fault injection (failslab, fail_page_alloc)
#   make bench-test  bench/report.py on synthetic results (host only, seconds)
#   make bench-replica  one copy against two, a node dying, the rebuild (TRANSPORT=tcp|rdma)
#   make bench-crypt    page encryption against none, like for like vs NVMe-oF (TRANSPORT=tcp|rdma)
#   make bench-same     same-filled pages kept against sent (TRANSPORT=tcp|rdma)
#   make bench-zerocopy TCP write data sent zero-copy against copied (and unencrypted)
#   make bench-shared   one index, two compute nodes: published region vs NVMe-oF vs copies
#                       (TRANSPORT=tcp|rdma; QUICK=1: one run)
#   make demo        boot QEMU guests and show rmem at work
#   make style       checkpatch --strict and kernel-doc on all kernel files
#   make install | uninstall  rmemd and rmemctl (PREFIX, DESTDIR; the user's
#                    CPPFLAGS, CFLAGS, LDFLAGS); not the selftests
#   make deb         rmem-dkms, rmemd and rmemctl .debs in build/deb/ (dpkg-buildpackage)
#   make dkms-install | clean

PREFIX    ?= /usr/local
DESTDIR   ?=
KVER      ?= $(shell scripts/kver.sh 2>/dev/null)
KDIR      ?= /lib/modules/$(KVER)/build
KVERS_ALL  = $(shell scripts/kver.sh 6.1 2>/dev/null) $(shell scripts/kver.sh 6.12 2>/dev/null)
VERSION   := $(shell cat VERSION)
BUILD     ?= $(CURDIR)/build

export PREFIX DESTDIR VERSION

.PHONY: all module modules-all userspace daemon tools selftests deps check check-full \
	check-debug check-debug-full check-debug-fault debug-kernel \
	demo bench bench-quick bench-replica bench-crypt bench-same bench-zerocopy bench-shared bench-test style install uninstall \
	dkms-install deb clean

all: module userspace

module:
	@test -n "$(KVER)" || { echo "no kernel headers: run 'make deps'" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

# One out-of-tree build per kernel, each in its own copy of the sources so
# that objects never mix: build/KVER/rmem.ko. KDIR given on the command line
# replaces /lib/modules/KVER/build: a kernel tree with no Debian headers
# package, e.g. the debug kernel's (make modules-all KVERS_ALL=REL KDIR=TREE).
MODKDIR = $(if $(filter command line,$(origin KDIR)),$(KDIR),/lib/modules/$$k/build)
modules-all:
	@for k in $(KVERS_ALL); do \
		mkdir -p $(BUILD)/$$k && \
		cp -a Kbuild VERSION kmod include $(BUILD)/$$k/ && \
		$(MAKE) -C $(MODKDIR) M=$(BUILD)/$$k W=1 C=$(or $(C),0) modules \
			|| exit 1; \
	done

userspace: daemon tools selftests

daemon tools:
	$(MAKE) -C $@

selftests: daemon tools
	$(MAKE) -C selftests

deps:
	@scripts/deps.sh

check:
	@scripts/check.sh

check-full:
	@scripts/check.sh --full $(if $(RESUME),--resume)

# Not part of make check (CI time): every guest suite on the debug kernel
# (KASAN, lockdep, kmemleak), and the fault-injection run.
# RESUME=1 (here and for check-full): skip the steps that passed on the
# same code in the last run (scripts/check.sh --resume).
check-debug:
	@scripts/check.sh --debug $(if $(RESUME),--resume)

check-debug-full:
	@scripts/check.sh --debug --full $(if $(RESUME),--resume)

check-debug-fault:
	@scripts/check.sh --debug-fault $(if $(RESUME),--resume)

debug-kernel:
	@scripts/deps-debug.sh && scripts/debug-kernel.sh

demo: deps
	@scripts/demo.sh

bench bench-quick: deps
	@bench/run.sh $(if $(filter bench-quick,$@),--quick)

# One copy against two (make bench-replica [TRANSPORT=rdma]): bench/README.md.
bench-replica: deps
	@bench/run.sh --replica --transport $(or $(TRANSPORT),tcp)

# Encryption against none (make bench-crypt [TRANSPORT=rdma]): bench/README.md.
bench-crypt: deps
	@bench/run.sh --crypt --transport $(or $(TRANSPORT),tcp)

# Same-filled pages kept or sent (make bench-same [TRANSPORT=rdma]): bench/README.md.
bench-same: deps
	@bench/run.sh --same --transport $(or $(TRANSPORT),tcp)

# Zero-copy TCP sends against copies (make bench-zerocopy): bench/README.md.
bench-zerocopy: deps
	@bench/run.sh --zerocopy

# One copy, many compute nodes (make bench-shared [TRANSPORT=rdma] [QUICK=1]):
# bench/README.md.
bench-shared: deps
	@bench/run.sh --shared --transport $(or $(TRANSPORT),tcp) $(if $(QUICK),--quick)

bench-test:
	@bench/tests/report_test.sh

style:
	@scripts/style.sh

# Only what a host runs: the selftests need linux-source, a host does not.
install: daemon tools
	$(MAKE) -C daemon install
	$(MAKE) -C tools install

uninstall:
	$(MAKE) -C daemon uninstall
	$(MAKE) -C tools uninstall

dkms-install:
	@scripts/dkms-install.sh

deb:
	@scripts/deb.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	$(MAKE) -C daemon clean
	$(MAKE) -C tools clean
	$(MAKE) -C selftests clean
	rm -rf $(BUILD)
