// SPDX-License-Identifier: GPL-2.0
/*
 * rmem_mmap: the checks of mmap_test.sh, one per subcommand, on /dev/rmemN.
 *
 *   rmem_mmap integrity DEV NPROC SEED   NPROC processes write every page of
 *                                        the region (address-derived words) in
 *                                        random order (chunk by chunk), then
 *                                        all is read back
 *   rmem_mmap fill DEV SEED [OFF LEN]    write the pattern, msync
 *   rmem_mmap write DEV SEED [OFF LEN]   write the pattern, no msync: the
 *                                        last close writes it back; print
 *                                        when it was done (CLOSED_AT=, the
 *                                        clock of /proc/uptime)
 *   rmem_mmap verify DEV SEED [OFF LEN]  read it back (read-only if the
 *                                        region is sealed); exit 3 on SIGBUS
 *   rmem_mmap word DEV WORD OFF LEN      every 8 bytes of the range = WORD
 *                                        (same-filled pages), msync
 *   rmem_mmap checkword DEV WORD OFF LEN read it back; exit 3 on SIGBUS
 *   rmem_mmap drop DEV                   RMEM_IOC_DROP of the whole region
 *   rmem_mmap share DEV                  two processes (separate opens) and a
 *                                        parent and forked child see each
 *                                        other's writes
 *   rmem_mmap private DEV                MAP_PRIVATE is a read-only view
 *   rmem_mmap seq DEV [ADVICE]           touch every page once, in order; print
 *                                        fetches, faults of the process (all,
 *                                        major) and of the region, PMD maps,
 *                                        prefetches (readahead); ADVICE normal,
 *                                        random or sequential: madvise() first
 *   rmem_mmap willneed DEV OFF LEN       madvise(MADV_WILLNEED) on the range,
 *                                        then touch it: print the prefetches
 *                                        and the fetches the touch needed
 *   rmem_mmap prefetch DEV OFF LEN       RMEM_IOC_PREFETCH on the range (it
 *                                        returns at once), then print the
 *                                        counters, as stats does
 *   rmem_mmap hot DEV HOT_CHUNKS         hot set vs. a cold scan (see below)
 *   rmem_mmap badinput DEV               bad offsets, lengths and ioctls
 *   rmem_mmap stats DEV                  print the counters
 *   rmem_mmap odirect DEV FILE SEED      O_DIRECT I/O with the mapping as the
 *                                        buffer (get_user_pages on it): write
 *                                        the region out to FILE, read FILE
 *                                        into the region, then fsync, drop and
 *                                        read back from the memory node
 * Exit: 0 ok, 1 check failed (a "# " line says why), 2 usage/setup, 3 SIGBUS.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uapi/rmem.h>

#define PG 4096UL

static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_seen;

static void on_sigbus(int sig)
{
	bus_seen = 1;
	siglongjmp(bus_jmp, 1);
}

static uint64_t pat(uint64_t off, uint64_t seed)
{
	uint64_t x = (off + 1) * 0x9e3779b97f4a7c15ULL ^ seed;

	return x ? x : 1;
}

static int open_dev(const char *dev)
{
	int fd = open(dev, O_RDWR);

	if (fd < 0) {
		printf("# open %s: %s\n", dev, strerror(errno));
		exit(2);
	}
	return fd;
}

static void stats(int fd, struct rmem_mmap_stats *st)
{
	if (ioctl(fd, RMEM_IOC_STATS, st)) {
		printf("# RMEM_IOC_STATS: %s\n", strerror(errno));
		exit(2);
	}
}

/* The region's size, from the environment (mmap_test.sh sets it). */
static uint64_t region_size(void)
{
	const char *s = getenv("RMEM_MMAP_SIZE");

	if (!s) {
		printf("# RMEM_MMAP_SIZE not set\n");
		exit(2);
	}
	return strtoull(s, NULL, 0);
}

static void *map(int fd, uint64_t off, uint64_t len, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);

	if (p == MAP_FAILED) {
		printf("# mmap %llu at %llu: %s\n", (unsigned long long)len,
		       (unsigned long long)off, strerror(errno));
		exit(2);
	}
	return p;
}

static void fill_page(uint64_t *w, uint64_t off, uint64_t seed)
{
	unsigned int i;

	for (i = 0; i < PG / 8; i++)
		w[i] = pat(off + i * 8, seed);
}

static uint64_t check_range(const uint8_t *p, uint64_t off, uint64_t len, uint64_t seed)
{
	uint64_t bad = 0, i;

	for (i = 0; i < len; i += 8) {
		uint64_t v = *(const uint64_t *)(p + i);

		if (v != pat(off + i, seed)) {
			if (bad < 3)
				printf("# mismatch at %llu: %llx, want %llx\n",
				       (unsigned long long)(off + i), (unsigned long long)v,
				       (unsigned long long)pat(off + i, seed));
			bad++;
		}
	}
	return bad;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void shuffle(uint64_t *v, uint64_t n, uint64_t *s)
{
	uint64_t j, k, t;

	for (j = n; j > 1; j--) {
		k = xorshift(s) % j;
		t = v[j - 1];
		v[j - 1] = v[k];
		v[k] = t;
	}
}

/*
 * The pages writer @i of @nproc owns (every nproc-th page), in random order
 * chunk by chunk: the chunks in random order, and the owned pages of each in
 * random order. With 4 KiB chunks that is a plain random permutation; with
 * coarse chunks, page-random order over a region 4x the cache would fetch
 * and write back a whole chunk per 4 KiB touched, which tests nothing more
 * and takes hours under emulation.
 */
static uint64_t *writer_order(uint64_t pages, uint64_t cpp, int i, int nproc, uint64_t *s,
			      uint64_t *count)
{
	uint64_t nchunks = pages / cpp, *chunks, *order, n = 0, c, j, first;

	chunks = malloc(nchunks * sizeof(*chunks));
	order = malloc((pages / nproc + 1) * sizeof(*order));
	if (!chunks || !order)
		_exit(2);
	for (c = 0; c < nchunks; c++)
		chunks[c] = c;
	shuffle(chunks, nchunks, s);
	for (c = 0; c < nchunks; c++) {
		first = n;
		for (j = chunks[c] * cpp; j < (chunks[c] + 1) * cpp; j++)
			if (j % nproc == (uint64_t)i)
				order[n++] = j;
		shuffle(order + first, n - first, s);
	}
	free(chunks);
	*count = n;
	return order;
}

static int cmd_integrity(const char *dev, int nproc, uint64_t seed)
{
	uint64_t size = region_size(), pages = size / PG, bad;
	struct rmem_mmap_stats st;
	int i, status, fd, failed = 0;

	fd = open_dev(dev);
	stats(fd, &st);
	for (i = 0; i < nproc; i++) {
		if (fork() == 0) {
			/* Each writer opens and maps on its own. */
			int cfd = open_dev(dev);
			uint8_t *p = map(cfd, 0, size, MAP_SHARED);
			uint64_t n, *order, j, pg, s = seed * 7919 + i + 1;

			order = writer_order(pages, st.chunk_size / PG, i, nproc, &s, &n);
			for (j = 0; j < n; j++)
				fill_page((uint64_t *)(p + order[j] * PG), order[j] * PG, seed);
			/* Rewrite a few pages at random over the whole region. */
			for (j = 0; j < 16; j++) {
				pg = order[xorshift(&s) % n];
				fill_page((uint64_t *)(p + pg * PG), pg * PG, seed);
			}
			/* Read back our own pages, in another random order. */
			free(order);
			order = writer_order(pages, st.chunk_size / PG, i, nproc, &s, &n);
			for (j = 0; j < n; j++)
				if (check_range(p + order[j] * PG, order[j] * PG, PG, seed))
					_exit(1);
			_exit(0);
		}
	}
	for (i = 0; i < nproc; i++) {
		wait(&status);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	{
		uint8_t *p = map(fd, 0, size, MAP_SHARED);

		bad = check_range(p, 0, size, seed);
		munmap(p, size);
	}
	stats(fd, &st);
	printf("# %d writers, %llu pages: %d writers failed, %llu bad words; faults %llu fetches %llu evictions %llu writebacks %llu hot %llu cached %llu\n",
	       nproc, (unsigned long long)pages, failed, (unsigned long long)bad,
	       (unsigned long long)st.faults, (unsigned long long)st.fetches,
	       (unsigned long long)st.evictions, (unsigned long long)st.writebacks,
	       (unsigned long long)st.hot, (unsigned long long)st.cached);
	if (st.evictions == 0 || st.writebacks == 0) {
		printf("# no eviction or write-back happened: the test did not test\n");
		return 1;
	}
	return failed || bad ? 1 : 0;
}

static int cmd_fill(const char *dev, uint64_t seed, uint64_t off, uint64_t len, int sync)
{
	int fd = open_dev(dev);
	uint8_t *p = map(fd, off, len, MAP_SHARED);
	uint64_t i;

	for (i = 0; i < len; i += PG)
		fill_page((uint64_t *)(p + i), off + i, seed);
	if (sync && msync(p, len, MS_SYNC)) {
		printf("# msync: %s\n", strerror(errno));
		return 1;
	}
	if (!sync) {
		struct timespec ts;

		/*
		 * The last close (here, or the munmap's) writes the cache
		 * back before it returns: say when that was done, on the
		 * clock of /proc/uptime, for a test racing it.
		 */
		if (munmap(p, len) || close(fd)) {
			printf("# munmap/close: %s\n", strerror(errno));
			return 1;
		}
		clock_gettime(CLOCK_BOOTTIME, &ts);
		printf("CLOSED_AT=%ld.%03ld\n", (long)ts.tv_sec, ts.tv_nsec / 1000000);
	}
	return 0;
}

static int cmd_verify(const char *dev, uint64_t seed, uint64_t off, uint64_t len)
{
	/* A sealed (read-only) region is read through a read-only mapping. */
	int fd = open(dev, O_RDWR), ro = fd < 0 && errno == EROFS;
	struct sigaction sa = { .sa_handler = on_sigbus };
	volatile uint64_t bad = 0;
	uint8_t *p;

	if (ro)
		fd = open(dev, O_RDONLY);
	if (fd < 0) {
		printf("# open %s: %s\n", dev, strerror(errno));
		return 2;
	}
	p = ro ? mmap(NULL, len, PROT_READ, MAP_SHARED, fd, off) : map(fd, off, len, MAP_SHARED);
	if (p == MAP_FAILED) {
		printf("# read-only mmap %llu at %llu: %s\n", (unsigned long long)len,
		       (unsigned long long)off, strerror(errno));
		return 2;
	}

	sigaction(SIGBUS, &sa, NULL);
	if (sigsetjmp(bus_jmp, 1)) {
		printf("# SIGBUS while reading (caught)\n");
		return 3;
	}
	bad = check_range(p, off, len, seed);
	printf("# %llu bad words in %llu bytes\n", (unsigned long long)bad,
	       (unsigned long long)len);
	return bad ? 1 : 0;
}

static int cmd_word(const char *dev, int check, uint64_t word, uint64_t off, uint64_t len)
{
	int fd = open_dev(dev);
	uint64_t *p = map(fd, off, len, MAP_SHARED);
	struct sigaction sa = { .sa_handler = on_sigbus };
	volatile uint64_t bad = 0;
	uint64_t i;

	if (!check) {
		for (i = 0; i < len / 8; i++)
			p[i] = word;
		if (msync(p, len, MS_SYNC)) {
			printf("# msync: %s\n", strerror(errno));
			return 1;
		}
		return 0;
	}
	sigaction(SIGBUS, &sa, NULL);
	if (sigsetjmp(bus_jmp, 1)) {
		printf("# SIGBUS while reading (caught)\n");
		return 3;
	}
	for (i = 0; i < len / 8; i++)
		if (p[i] != word && !bad++)
			printf("# first bad word at byte %llu: %#llx\n",
			       (unsigned long long)(off + i * 8), (unsigned long long)p[i]);
	printf("# %llu words of %llu are not %#llx\n", (unsigned long long)bad,
	       (unsigned long long)(len / 8), (unsigned long long)word);
	return bad ? 1 : 0;
}

static int drop_range(int fd, uint64_t off, uint64_t len)
{
	struct rmem_mmap_range rg = { .offset = off, .len = len };

	return ioctl(fd, RMEM_IOC_DROP, &rg) ? -errno : 0;
}

static int cmd_drop(const char *dev)
{
	int fd = open_dev(dev), ret;
	struct rmem_mmap_stats st;

	ret = drop_range(fd, 0, region_size());
	stats(fd, &st);
	printf("# drop: %s; cached %llu, drops %llu, writebacks %llu\n",
	       ret ? strerror(-ret) : "ok", (unsigned long long)st.cached,
	       (unsigned long long)st.drops, (unsigned long long)st.writebacks);
	return ret || st.cached ? 1 : 0;
}

/* fsync, then drop everything, then read: the data comes from the memory node. */
static int cmd_fsync_drop(const char *dev, uint64_t seed)
{
	uint64_t size = region_size(), i, bad;
	struct rmem_mmap_stats a, b, c;
	int fd = open_dev(dev);
	uint8_t *p = map(fd, 0, size, MAP_SHARED);

	for (i = 0; i < size; i += PG)
		fill_page((uint64_t *)(p + i), i, seed);
	if (fsync(fd)) {
		printf("# fsync: %s\n", strerror(errno));
		return 1;
	}
	stats(fd, &a);
	if (drop_range(fd, 0, size)) {
		printf("# drop: %s\n", strerror(errno));
		return 1;
	}
	stats(fd, &b);
	bad = check_range(p, 0, size, seed);
	stats(fd, &c);
	printf("# after fsync: writebacks %llu cached %llu; after drop: writebacks %llu cached %llu; read back: fetches +%llu, %llu bad words\n",
	       (unsigned long long)a.writebacks, (unsigned long long)a.cached,
	       (unsigned long long)b.writebacks, (unsigned long long)b.cached,
	       (unsigned long long)(c.fetches - b.fetches), (unsigned long long)bad);
	/* Everything was written back by fsync: drop had nothing left to write. */
	if (b.writebacks != a.writebacks || b.cached != 0)
		return 1;
	if (c.fetches - b.fetches < size / c.chunk_size)
		return 1;
	return bad ? 1 : 0;
}

static int wait_val(volatile uint64_t *w, uint64_t v)
{
	int i;

	for (i = 0; i < 20000; i++) {
		if (*w == v)
			return 0;
		usleep(1000);
	}
	return -1;
}

static int cmd_share(const char *dev)
{
	uint64_t size = region_size(), off = size / 2 + 3 * PG + 8;
	int fd = open_dev(dev), fd2, status, ok = 1;
	volatile uint64_t *a, *b;
	uint8_t *p, *q;
	pid_t pid;

	p = map(fd, 0, size, MAP_SHARED);
	a = (volatile uint64_t *)(p + off);
	*a = 0;
	/* 1. another process with its own open and mapping (at an offset) */
	pid = fork();
	if (pid == 0) {
		fd2 = open(dev, O_RDWR);
		q = mmap(NULL, size / 2, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, size / 2);
		if (fd2 < 0 || q == MAP_FAILED)
			_exit(2);
		b = (volatile uint64_t *)(q + off - size / 2);
		if (wait_val(b, 0x1111))
			_exit(1);
		*b = 0x2222;
		_exit(0);
	}
	*a = 0x1111;
	if (wait_val(a, 0x2222)) {
		printf("# separate process: its write was not seen (%llx)\n",
		       (unsigned long long)*a);
		ok = 0;
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		printf("# separate process: did not see the parent's write\n");
		ok = 0;
	}
	/* 2. a forked child using the inherited mapping */
	pid = fork();
	if (pid == 0) {
		if (wait_val(a, 0x3333))
			_exit(1);
		*a = 0x4444;
		_exit(0);
	}
	*a = 0x3333;
	if (wait_val(a, 0x4444)) {
		printf("# forked child: its write was not seen\n");
		ok = 0;
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		printf("# forked child: did not see the parent's write\n");
		ok = 0;
	}
	return ok ? 0 : 1;
}

/*
 * MAP_PRIVATE is read-only (Documentation/mmap.rst): it sees the region,
 * including later writes through shared mappings and data fetched again
 * after a drop; PROT_WRITE is refused, and so is mprotect() to writable.
 */
static int cmd_private(const char *dev)
{
	uint64_t size = region_size();
	int fd = open_dev(dev);
	volatile uint64_t *s = map(fd, 0, PG, MAP_SHARED);
	volatile uint64_t *pv;
	void *w;

	*s = 0x5555;
	pv = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
	if (pv == MAP_FAILED) {
		printf("# read-only MAP_PRIVATE: %s\n", strerror(errno));
		return 1;
	}
	if (*pv != 0x5555) {
		printf("# private mapping does not see the shared content\n");
		return 1;
	}
	*s = 0x6666;
	if (*pv != 0x6666) {
		printf("# private mapping does not see a later shared write\n");
		return 1;
	}
	errno = 0;
	w = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (w != MAP_FAILED || errno != EINVAL) {
		printf("# writable MAP_PRIVATE: not refused with EINVAL (%s)\n", strerror(errno));
		return 1;
	}
	errno = 0;
	if (!mprotect((void *)pv, PG, PROT_READ | PROT_WRITE) || errno != EACCES) {
		printf("# mprotect of MAP_PRIVATE to writable: not refused with EACCES (%s)\n",
		       strerror(errno));
		return 1;
	}
	msync((void *)s, PG, MS_SYNC);
	if (drop_range(fd, 0, size)) {
		printf("# drop: %s\n", strerror(errno));
		return 1;
	}
	if (*pv != 0x6666 || *s != 0x6666) {
		printf("# after drop: shared %llx private %llx\n", (unsigned long long)*s,
		       (unsigned long long)*pv);
		return 1;
	}
	return 0;
}

static uint64_t my_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

/* Major faults alone: those that waited for the network. */
static uint64_t my_major_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_majflt;
}

/* A "Key:   N kB" value of /proc/self/status, or 0. */
static uint64_t status_kb(const char *key)
{
	char line[256];
	uint64_t v = 0;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':')
			v = strtoull(line + strlen(key) + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/*
 * The smaps block of the mapping at @addr: print how it is mapped, and
 * return its FilePmdMapped in kB (for the record: smaps leaves PFN maps out
 * on 6.1 and 6.12, so the caller judges by VmPTE).
 */
static uint64_t show_smaps(void *addr)
{
	char line[256], want[32];
	FILE *f = fopen("/proc/self/smaps", "r");
	uint64_t pmd_kb = 0;
	int in = 0;

	snprintf(want, sizeof(want), "%lx-", (unsigned long)addr);
	while (f && fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, ':') && line[0] != ' ' &&
		    strspn(line, "0123456789abcdef") > 4)
			in = !strncmp(line, want, strlen(want));
		if (!in)
			continue;
		if (!strncmp(line, "FilePmdMapped:", 14))
			pmd_kb = strtoull(line + 14, NULL, 10);
		if (!strncmp(line, "Size:", 5) || !strncmp(line, "Rss:", 4) ||
		    !strncmp(line, "FilePmdMapped:", 14) || !strncmp(line, "KernelPageSize:", 15) ||
		    !strncmp(line, "VmFlags:", 8) || strchr(line, '/'))
			printf("# smaps: %s", line);
	}
	if (f)
		fclose(f);
	return pmd_kb;
}

/*
 * Touch every page once, in order. Besides the counters, VmPTE says how it
 * was mapped: PTE-mapped, every 2 MiB of the region needs a 4 KiB page table
 * (which stays allocated after the PTEs are zapped by eviction); PMD-mapped
 * chunks need none.
 */
static int cmd_seq(const char *dev, const char *advice)
{
	uint64_t size = region_size(), i, f0, f1, j0, j1, pte0, pte1, pmd_kb;
	struct rmem_mmap_stats a, b;
	volatile uint8_t *p;
	int fd = open_dev(dev);
	uint64_t sum = 0;
	int adv = -1;

	if (advice && !strcmp(advice, "normal"))
		adv = MADV_NORMAL;
	else if (advice && !strcmp(advice, "random"))
		adv = MADV_RANDOM;
	else if (advice && !strcmp(advice, "sequential"))
		adv = MADV_SEQUENTIAL;
	else if (advice) {
		printf("# unknown advice %s\n", advice);
		return 2;
	}
	p = map(fd, 0, size, MAP_SHARED);
	if (adv >= 0 && madvise((void *)p, size, adv)) {
		printf("# madvise %s: %s\n", advice, strerror(errno));
		return 1;
	}
	stats(fd, &a);
	pte0 = status_kb("VmPTE");
	f0 = my_faults();
	j0 = my_major_faults();
	for (i = 0; i < size; i += PG)
		sum += p[i];
	j1 = my_major_faults();
	f1 = my_faults();
	pte1 = status_kb("VmPTE");
	stats(fd, &b);
	pmd_kb = show_smaps((void *)p);
	printf("# mapped at %p; fetches %llu faults(process) %llu faults(region) %llu pmd_maps %llu evictions %llu VmPTE +%llu kB sum %llu\n",
	       (void *)p, (unsigned long long)(b.fetches - a.fetches),
	       (unsigned long long)(f1 - f0), (unsigned long long)(b.faults - a.faults),
	       (unsigned long long)(b.pmd_maps - a.pmd_maps),
	       (unsigned long long)(b.evictions - a.evictions),
	       (unsigned long long)(pte1 - pte0), (unsigned long long)sum);
	printf("FETCHES=%llu FAULTS=%llu MAJFAULTS=%llu RFAULTS=%llu PMD=%llu PTE_KB=%llu SMAPS_PMD_KB=%llu ALIGNED=%d PREFETCHES=%llu\n",
	       (unsigned long long)(b.fetches - a.fetches), (unsigned long long)(f1 - f0),
	       (unsigned long long)(j1 - j0), (unsigned long long)(b.faults - a.faults),
	       (unsigned long long)(b.pmd_maps - a.pmd_maps), (unsigned long long)(pte1 - pte0),
	       (unsigned long long)pmd_kb, !((uintptr_t)p & ((2UL << 20) - 1)),
	       (unsigned long long)(b.prefetches - a.prefetches));
	return 0;
}

static int cmd_willneed(const char *dev, uint64_t off, uint64_t len)
{
	int fd = open_dev(dev);
	volatile uint8_t *p = map(fd, off, len, MAP_SHARED);
	struct rmem_mmap_stats a, b, c;
	uint64_t i, sum = 0;

	stats(fd, &a);
	if (madvise((void *)p, len, MADV_WILLNEED)) {
		printf("# madvise WILLNEED: %s\n", strerror(errno));
		return 1;
	}
	stats(fd, &b);
	/* Only what the touch itself needs: no readahead past the range. */
	if (madvise((void *)p, len, MADV_RANDOM)) {
		printf("# madvise RANDOM: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < len; i += PG)
		sum += p[i];
	stats(fd, &c);
	printf("WN_PREFETCHES=%llu WN_FETCHES=%llu WN_TOUCH_FETCHES=%llu WN_SUM=%llu\n",
	       (unsigned long long)(b.prefetches - a.prefetches),
	       (unsigned long long)(b.fetches - a.fetches),
	       (unsigned long long)(c.fetches - b.fetches), (unsigned long long)sum);
	return 0;
}

/*
 * Hot chunks: HOT chunks at the start of the region are touched again after
 * every slice of a sequential scan of the rest. The cache is smaller than
 * the scan; the hot chunks must be fetched once only.
 */
static int cmd_hot(const char *dev, uint64_t hot)
{
	uint64_t size = region_size(), i, j, sum = 0, cs, slice, hot_fetch = 0;
	struct rmem_mmap_stats a, b, c;
	int fd = open_dev(dev);
	volatile uint8_t *p = map(fd, 0, size, MAP_SHARED);

	stats(fd, &a);
	cs = a.chunk_size;
	slice = a.cache_size / 4;
	for (i = hot * cs; i < size; i += slice) {
		stats(fd, &b);
		for (j = 0; j < hot * cs; j += PG)
			sum += p[j];
		stats(fd, &c);
		for (j = i; j < i + slice && j < size; j += PG)
			sum += p[j];
		/* Fetches while touching the hot set, after its first touch. */
		if (i > hot * cs)
			hot_fetch += c.fetches - b.fetches;
	}
	for (j = 0; j < hot * cs; j += PG)
		sum += p[j];
	stats(fd, &b);
	printf("# hot set refetched %llu times\n", (unsigned long long)hot_fetch);
	printf("# hot %llu chunks of %llu, cache %llu, scan %llu: fetches %llu (minimum %llu), evictions %llu, hot now %llu\n",
	       (unsigned long long)hot, (unsigned long long)cs,
	       (unsigned long long)a.cache_size, (unsigned long long)(size - hot * cs),
	       (unsigned long long)(b.fetches - a.fetches), (unsigned long long)(size / cs),
	       (unsigned long long)(b.evictions - a.evictions), (unsigned long long)b.hot);
	/* Every chunk fetched exactly once: the hot ones were never evicted. */
	if (hot_fetch || b.fetches - a.fetches != size / cs || b.hot < hot ||
	    b.evictions == a.evictions)
		return 1;
	return 0;
}

#define EXPECT(cond, what) do {						\
	if (!(cond)) {							\
		printf("# FAIL: %s (errno %d %s)\n", what, errno, strerror(errno)); \
		bad++;							\
	} else {							\
		printf("# ok: %s\n", what);				\
	}								\
} while (0)

static int try_ioctl(int fd, unsigned long cmd, uint64_t off, uint64_t len, uint64_t flags)
{
	struct rmem_mmap_range rg = { .offset = off, .len = len, .flags = flags };

	errno = 0;
	return ioctl(fd, cmd, &rg);
}

static int cmd_badinput(const char *dev)
{
	uint64_t size = region_size();
	struct rmem_mmap_stats a, b;
	int fd = open_dev(dev), bad = 0;
	void *p;

	stats(fd, &a);
	errno = 0;
	p = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 100);
	EXPECT(p == MAP_FAILED && errno == EINVAL, "mmap at an unaligned offset: EINVAL");
	errno = 0;
	p = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, fd, size - PG);
	EXPECT(p == MAP_FAILED && errno == EINVAL, "mmap past the end: EINVAL");
	errno = 0;
	p = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, size);
	EXPECT(p == MAP_FAILED && errno == EINVAL, "mmap at the end: EINVAL");
	errno = 0;
	p = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, (off_t)1 << 50);
	EXPECT(p == MAP_FAILED && errno == EINVAL, "mmap at 1 PiB: EINVAL");
	p = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, size - PG);
	EXPECT(p != MAP_FAILED, "mmap of the last page works");
	if (p != MAP_FAILED)
		munmap(p, PG);
	EXPECT(try_ioctl(fd, RMEM_IOC_PREFETCH, 100, PG, 0) < 0 && errno == EINVAL,
	       "prefetch at an unaligned offset: EINVAL");
	EXPECT(try_ioctl(fd, RMEM_IOC_PREFETCH, 0, 100, 0) < 0 && errno == EINVAL,
	       "prefetch of an unaligned length: EINVAL");
	EXPECT(try_ioctl(fd, RMEM_IOC_PREFETCH, 0, 0, 0) < 0 && errno == EINVAL,
	       "prefetch of nothing: EINVAL");
	EXPECT(try_ioctl(fd, RMEM_IOC_PREFETCH, size - PG, 2 * PG, 0) < 0 && errno == EINVAL,
	       "prefetch past the end: EINVAL");
	EXPECT(try_ioctl(fd, RMEM_IOC_DROP, -PG, 2 * PG, 0) < 0 && errno == EINVAL,
	       "drop with a wrapping range: EINVAL");
	EXPECT(try_ioctl(fd, RMEM_IOC_DROP, 0, PG, 1) < 0 && errno == EINVAL,
	       "drop with unknown flags: EINVAL");
	errno = 0;
	EXPECT(ioctl(fd, RMEM_IOC_DROP, (void *)16) < 0 && errno == EFAULT,
	       "drop with a bad pointer: EFAULT");
	errno = 0;
	EXPECT(ioctl(fd, _IO(RMEM_IOC_MAGIC, 99), 0) < 0 && errno == ENOTTY,
	       "unknown ioctl: ENOTTY");
	stats(fd, &b);
	EXPECT(a.fetches == b.fetches && a.cached == b.cached && a.drops == b.drops &&
	       a.prefetches == b.prefetches, "the rejected calls changed nothing");
	/* A good prefetch does fetch. */
	EXPECT(try_ioctl(fd, RMEM_IOC_PREFETCH, 0, a.chunk_size, 0) == 0, "a good prefetch works");
	return bad ? 1 : 0;
}

/* All of @len bytes at @off, O_DIRECT, with @buf as the user buffer. */
static int direct_io(int fd, int write, uint8_t *buf, uint64_t len, uint64_t off)
{
	uint64_t done = 0;

	while (done < len) {
		ssize_t n = write ? pwrite(fd, buf + done, len - done, off + done) :
				    pread(fd, buf + done, len - done, off + done);

		if (n <= 0) {
			printf("# O_DIRECT %s of %llu bytes at %llu: %s\n", write ? "write" : "read",
			       (unsigned long long)(len - done), (unsigned long long)(off + done),
			       n ? strerror(errno) : "end of file");
			return -1;
		}
		done += n;
	}
	return 0;
}

/*
 * The region's mapping as the buffer of O_DIRECT I/O, so that the kernel
 * pins its pages (get_user_pages): out of it (a read pin) and into it (a
 * write pin: the data arrives by DMA or a kernel copy, not through a write
 * fault). FILE (a block device or a file on a filesystem with O_DIRECT) must
 * hold the region's size. The region may be larger than its cache: then the
 * I/O faults chunks back in while others are pinned.
 */
static int cmd_odirect(const char *dev, const char *file, uint64_t seed)
{
	uint64_t size = region_size(), i, bad;
	struct rmem_mmap_stats a, b;
	int fd = open_dev(dev), ffd, ret;
	uint8_t *p = map(fd, 0, size, MAP_SHARED), *buf;

	ffd = open(file, O_RDWR | O_DIRECT);
	if (ffd < 0) {
		printf("# open %s O_DIRECT: %s\n", file, strerror(errno));
		return 2;
	}
	if (posix_memalign((void **)&buf, PG, size)) {
		printf("# out of memory\n");
		return 2;
	}
	stats(fd, &a);

	/* 1. Out of the mapping: FILE gets the region's contents. */
	for (i = 0; i < size; i += PG)
		fill_page((uint64_t *)(p + i), i, seed);
	if (direct_io(ffd, 1, p, size, 0) || direct_io(ffd, 0, buf, size, 0))
		return 1;
	bad = check_range(buf, 0, size, seed);
	printf("# O_DIRECT write from the mapping: %llu bad words in %s\n",
	       (unsigned long long)bad, file);
	if (bad)
		return 1;

	/* 2. Into the mapping: the region gets FILE's new contents. */
	for (i = 0; i < size; i += PG)
		fill_page((uint64_t *)(buf + i), i, seed + 1);
	if (direct_io(ffd, 1, buf, size, 0) || direct_io(ffd, 0, p, size, 0))
		return 1;
	bad = check_range(p, 0, size, seed + 1);
	printf("# O_DIRECT read into the mapping: %llu bad words in the region\n",
	       (unsigned long long)bad);
	if (bad)
		return 1;

	/* 3. What the I/O wrote counts as dirty: it reached the memory node. */
	if (fsync(fd)) {
		printf("# fsync: %s\n", strerror(errno));
		return 1;
	}
	ret = drop_range(fd, 0, size);
	stats(fd, &b);
	if (ret || b.cached) {
		printf("# drop: %s, %llu bytes still cached\n", ret ? strerror(-ret) : "ok",
		       (unsigned long long)b.cached);
		return 1;
	}
	bad = check_range(p, 0, size, seed + 1);
	stats(fd, &b);
	printf("# after fsync and drop: %llu bad words; fetches %llu, evictions %llu, writebacks %llu, pmd_maps %llu\n",
	       (unsigned long long)bad, (unsigned long long)(b.fetches - a.fetches),
	       (unsigned long long)(b.evictions - a.evictions),
	       (unsigned long long)(b.writebacks - a.writebacks),
	       (unsigned long long)(b.pmd_maps - a.pmd_maps));
	free(buf);
	close(ffd);
	return bad ? 1 : 0;
}

static int print_stats(int fd)
{
	struct rmem_mmap_stats st;

	stats(fd, &st);
	printf("chunk=%llu cache=%llu cached=%llu faults=%llu fetches=%llu fetch_errors=%llu evictions=%llu writebacks=%llu writeback_errors=%llu hot=%llu pmd_maps=%llu prefetches=%llu drops=%llu\n",
	       (unsigned long long)st.chunk_size, (unsigned long long)st.cache_size,
	       (unsigned long long)st.cached, (unsigned long long)st.faults,
	       (unsigned long long)st.fetches, (unsigned long long)st.fetch_errors,
	       (unsigned long long)st.evictions, (unsigned long long)st.writebacks,
	       (unsigned long long)st.writeback_errors, (unsigned long long)st.hot,
	       (unsigned long long)st.pmd_maps, (unsigned long long)st.prefetches,
	       (unsigned long long)st.drops);
	return 0;
}

static int cmd_stats(const char *dev)
{
	return print_stats(open_dev(dev));
}

static int cmd_prefetch(const char *dev, uint64_t off, uint64_t len)
{
	struct rmem_mmap_range r = { .offset = off, .len = len };
	int fd = open_dev(dev);

	if (ioctl(fd, RMEM_IOC_PREFETCH, &r)) {
		printf("# RMEM_IOC_PREFETCH: %s\n", strerror(errno));
		return 1;
	}
	return print_stats(fd);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "", *dev = argc > 2 ? argv[2] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3)
		goto usage;
	if (!strcmp(cmd, "integrity") && argc == 5)
		return cmd_integrity(dev, atoi(argv[3]), strtoull(argv[4], NULL, 0));
	if ((!strcmp(cmd, "fill") || !strcmp(cmd, "write") || !strcmp(cmd, "verify")) &&
	    (argc == 4 || argc == 6)) {
		uint64_t off = argc == 6 ? strtoull(argv[4], NULL, 0) : 0;
		uint64_t len = argc == 6 ? strtoull(argv[5], NULL, 0) : region_size();

		if (strcmp(cmd, "verify"))
			return cmd_fill(dev, strtoull(argv[3], NULL, 0), off, len,
					!strcmp(cmd, "fill"));
		return cmd_verify(dev, strtoull(argv[3], NULL, 0), off, len);
	}
	if ((!strcmp(cmd, "word") || !strcmp(cmd, "checkword")) && argc == 6)
		return cmd_word(dev, !strcmp(cmd, "checkword"), strtoull(argv[3], NULL, 0),
				strtoull(argv[4], NULL, 0), strtoull(argv[5], NULL, 0));
	if (!strcmp(cmd, "fsync-drop") && argc == 4)
		return cmd_fsync_drop(dev, strtoull(argv[3], NULL, 0));
	if (!strcmp(cmd, "drop"))
		return cmd_drop(dev);
	if (!strcmp(cmd, "share"))
		return cmd_share(dev);
	if (!strcmp(cmd, "private"))
		return cmd_private(dev);
	if (!strcmp(cmd, "seq") && argc <= 4)
		return cmd_seq(dev, argc == 4 ? argv[3] : NULL);
	if (!strcmp(cmd, "willneed") && argc == 5)
		return cmd_willneed(dev, strtoull(argv[3], NULL, 0), strtoull(argv[4], NULL, 0));
	if (!strcmp(cmd, "hot") && argc == 4)
		return cmd_hot(dev, strtoull(argv[3], NULL, 0));
	if (!strcmp(cmd, "badinput"))
		return cmd_badinput(dev);
	if (!strcmp(cmd, "stats"))
		return cmd_stats(dev);
	if (!strcmp(cmd, "prefetch") && argc == 5)
		return cmd_prefetch(dev, strtoull(argv[3], NULL, 0), strtoull(argv[4], NULL, 0));
	if (!strcmp(cmd, "odirect") && argc == 5)
		return cmd_odirect(dev, argv[3], strtoull(argv[4], NULL, 0));
usage:
	fprintf(stderr, "usage: rmem_mmap CMD DEV [ARGS] (see the source)\n");
	return 2;
}
