// SPDX-License-Identifier: GPL-2.0
/*
 * mmap-load: the timed parts of the "expert load" benchmark
 * (bench/guest-mmap.sh, EXTRAS=mmap). Each subcommand prints one JSON
 * object on stdout.
 *
 *   mmap-load fill DEV SIZE          map the region, write one word per
 *                                    4 KiB page (page index ^ magic), msync,
 *                                    RMEM_IOC_DROP: the data is on the
 *                                    memory node only
 *   mmap-load seq DEV SIZE [random]  RMEM_IOC_DROP, then time a sequential
 *                                    touch: one 8-byte read per 4 KiB page,
 *                                    in order (every word is checked);
 *                                    random: under MADV_RANDOM (no readahead)
 *   mmap-load rand DEV SIZE N SEED   RMEM_IOC_DROP, then N reads of distinct
 *                                    pages in random order, each timed on
 *                                    its own: the cost of one cold fault
 *   mmap-load read DEV SIZE          read() SIZE bytes of a block device,
 *                                    O_DIRECT, 1 MiB per call, in order
 *   mmap-load touch PATH SIZE        map PATH read-only (an mmap region's
 *                                    device, attached ones included, or a
 *                                    file) and time one 8-byte read per
 *                                    4 KiB page, in order; no drop first
 *   mmap-load recv FILE SIZE ADDR PORT
 *                                    connect to ADDR:PORT (TCP, IPv4) and
 *                                    write what comes into FILE until the
 *                                    sender closes: a copy over the network
 *
 * SIZE in bytes (suffixes K, M, G). The fault counts are both the region's
 * (RMEM_IOC_STATS, deltas over the timed part) and the process's
 * (getrusage minor + major faults). read and touch print "sum": the first
 * 8 bytes of every 4 KiB page added up, to check that two ways of reading
 * the same data saw the same bytes (bench/guest-shared.sh). Exit: 0 ok (the
 * JSON has "bad": words that did not read back as written), 1 error,
 * 2 usage, 3 SIGBUS.
 */
#define _GNU_SOURCE	/* O_DIRECT */
#include <arpa/inet.h>
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <uapi/rmem.h>

#define PG 4096ULL
#define MAGIC 0x726d656d6c6f6164ULL	/* "rmemload" */

static const char *op = "?";
static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	siglongjmp(bus_jmp, 1);
}

static void die(const char *what)
{
	printf("{\"op\": \"%s\", \"error\": \"%s: %s\"}\n", op, what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10;
	}
	return v;
}

static uint64_t proc_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

static void get_stats(int fd, struct rmem_mmap_stats *st)
{
	if (ioctl(fd, RMEM_IOC_STATS, st))
		die("RMEM_IOC_STATS");
}

static void drop_all(int fd, uint64_t size)
{
	struct rmem_mmap_range rg = { .offset = 0, .len = size };

	if (ioctl(fd, RMEM_IOC_DROP, &rg))
		die("RMEM_IOC_DROP");
}

static volatile uint64_t *map(int fd, uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

/* The counters a figure reports: what the timed part did, as deltas. */
static void print_stats(const struct rmem_mmap_stats *a, const struct rmem_mmap_stats *b,
			uint64_t pf)
{
	printf("\"chunk\": %llu, \"faults_region\": %llu, \"faults_proc\": %llu, "
	       "\"fetches\": %llu, \"pmd_maps\": %llu, \"evictions\": %llu, "
	       "\"fetch_errors\": %llu, \"cached\": %llu",
	       (unsigned long long)b->chunk_size,
	       (unsigned long long)(b->faults - a->faults), (unsigned long long)pf,
	       (unsigned long long)(b->fetches - a->fetches),
	       (unsigned long long)(b->pmd_maps - a->pmd_maps),
	       (unsigned long long)(b->evictions - a->evictions),
	       (unsigned long long)(b->fetch_errors - a->fetch_errors),
	       (unsigned long long)b->cached);
}

static int cmd_fill(int fd, uint64_t size)
{
	volatile uint64_t *p = map(fd, size);
	struct rmem_mmap_stats st;
	uint64_t i;
	double t0 = now(), t1, t2;

	for (i = 0; i < size / PG; i++)
		p[i * PG / 8] = i ^ MAGIC;
	t1 = now();
	if (msync((void *)p, size, MS_SYNC))
		die("msync");
	drop_all(fd, size);
	t2 = now();
	get_stats(fd, &st);
	printf("{\"op\": \"fill\", \"bytes\": %llu, \"write_s\": %.3f, \"msync_drop_s\": %.3f, "
	       "\"writebacks\": %llu, \"writeback_errors\": %llu, \"cached\": %llu}\n",
	       (unsigned long long)size, t1 - t0, t2 - t1,
	       (unsigned long long)st.writebacks, (unsigned long long)st.writeback_errors,
	       (unsigned long long)st.cached);
	return st.writeback_errors ? 1 : 0;
}

static int cmp_double(const void *x, const void *y);

/*
 * Besides the total, the slowest touch of each chunk (the one that
 * faulted it in) is kept: their p50 says what one fetch costs in a
 * stream, to hold against the random faults' (4K chunks: every touch).
 */
static int cmd_seq(int fd, uint64_t size, int random)
{
	volatile uint64_t *p = map(fd, size);
	struct rmem_mmap_stats a, b;
	uint64_t i, bad = 0, f0, f1, pages = size / PG, per, nc;
	double t0, t1, ta, tb, *lat;

	if (random && madvise((void *)p, size, MADV_RANDOM))
		die("madvise");
	drop_all(fd, size);
	get_stats(fd, &a);
	per = a.chunk_size / PG ? a.chunk_size / PG : 1;
	nc = (pages + per - 1) / per;
	lat = calloc(nc, sizeof(*lat));
	if (!lat)
		die("calloc");
	f0 = proc_faults();
	t0 = now();
	tb = t0;
	for (i = 0; i < pages; i++) {
		ta = tb;
		if (p[i * PG / 8] != (i ^ MAGIC))
			bad++;
		tb = now();
		if (tb - ta > lat[i / per])
			lat[i / per] = tb - ta;
	}
	t1 = tb;
	f1 = proc_faults();
	get_stats(fd, &b);
	qsort(lat, nc, sizeof(*lat), cmp_double);
	printf("{\"op\": \"seq\", \"bytes\": %llu, \"seconds\": %.6f, \"mib_s\": %.3f, \"bad\": %llu, "
	       "\"chunk_fault_p50_us\": %.1f, \"chunk_fault_p99_us\": %.1f, ",
	       (unsigned long long)size, t1 - t0, size / (t1 - t0) / 1048576.0,
	       (unsigned long long)bad, lat[nc / 2] * 1e6, lat[nc * 99 / 100] * 1e6);
	print_stats(&a, &b, f1 - f0);
	printf("}\n");
	return 0;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int cmd_rand(int fd, uint64_t size, uint64_t n, uint64_t seed)
{
	volatile uint64_t *p = map(fd, size);
	uint64_t pages = size / PG, *order, i, bad = 0, f0, f1, s = seed | 1;
	struct rmem_mmap_stats a, b;
	double *lat, sum = 0, t0, t1;

	if (n > pages)
		n = pages;
	order = malloc(pages * sizeof(*order));
	lat = malloc(n * sizeof(*lat));
	if (!order || !lat)
		die("malloc");
	for (i = 0; i < pages; i++)
		order[i] = i;
	for (i = 0; i < n; i++) {	/* the first n of a random permutation */
		uint64_t k = i + xorshift(&s) % (pages - i), t = order[i];

		order[i] = order[k];
		order[k] = t;
	}
	drop_all(fd, size);
	get_stats(fd, &a);
	f0 = proc_faults();
	for (i = 0; i < n; i++) {
		t0 = now();
		if (p[order[i] * PG / 8] != (order[i] ^ MAGIC))
			bad++;
		t1 = now();
		lat[i] = (t1 - t0) * 1e6;
		sum += lat[i];
	}
	f1 = proc_faults();
	get_stats(fd, &b);
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("{\"op\": \"rand\", \"n\": %llu, \"seconds\": %.6f, \"mean_us\": %.1f, "
	       "\"p50_us\": %.1f, \"p90_us\": %.1f, \"p99_us\": %.1f, \"min_us\": %.1f, "
	       "\"max_us\": %.1f, \"bad\": %llu, ",
	       (unsigned long long)n, sum / 1e6, sum / n, lat[n / 2], lat[n * 9 / 10],
	       lat[n * 99 / 100], lat[0], lat[n - 1], (unsigned long long)bad);
	print_stats(&a, &b, f1 - f0);
	printf("}\n");
	return 0;
}

static int cmd_read(int fd, uint64_t size)
{
	const size_t bs = 1 << 20;
	uint64_t done = 0, sum = 0, off;
	double t0, t1;
	void *buf;
	ssize_t r;

	if (posix_memalign(&buf, 1 << 20, bs))
		die("posix_memalign");
	memset(buf, 0, bs);
	t0 = now();
	while (done < size) {
		r = read(fd, buf, size - done < bs ? size - done : bs);
		if (r < 0)
			die("read");
		if (r == 0)
			break;
		/* reads are whole pages (O_DIRECT): each one starts a page */
		for (off = 0; off + 8 <= (uint64_t)r; off += PG)
			sum += *(const uint64_t *)((const char *)buf + off);
		done += r;
	}
	t1 = now();
	printf("{\"op\": \"read\", \"bytes\": %llu, \"seconds\": %.6f, \"mib_s\": %.3f, "
	       "\"sum\": \"0x%016llx\"}\n",
	       (unsigned long long)done, t1 - t0, done / (t1 - t0) / 1048576.0,
	       (unsigned long long)sum);
	return done == size ? 0 : 1;
}

/*
 * A read-only sequential touch of data someone else wrote: an attached
 * published region (its mapping cannot be writable, and there is nothing
 * to drop: it was just attached) or a plain file. The region's counters
 * are printed when PATH is an rmem mmap device.
 */
static int cmd_touch(const char *path, uint64_t size)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	struct rmem_mmap_stats a, b;
	volatile const uint64_t *p;
	uint64_t i, sum = 0, f0, f1;
	double t0, t1;
	int fd, rmem;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open");
	rmem = !ioctl(fd, RMEM_IOC_STATS, &a);
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	sigaction(SIGBUS, &sa, NULL);
	if (sigsetjmp(bus_jmp, 1)) {
		printf("{\"op\": \"touch\", \"error\": \"SIGBUS\"}\n");
		return 3;
	}
	f0 = proc_faults();
	t0 = now();
	for (i = 0; i < size / PG; i++)
		sum += p[i * PG / 8];
	t1 = now();
	f1 = proc_faults();
	printf("{\"op\": \"touch\", \"bytes\": %llu, \"seconds\": %.6f, \"mib_s\": %.3f, "
	       "\"sum\": \"0x%016llx\"",
	       (unsigned long long)size, t1 - t0, size / (t1 - t0) / 1048576.0,
	       (unsigned long long)sum);
	if (rmem) {
		get_stats(fd, &b);
		printf(", ");
		print_stats(&a, &b, f1 - f0);
	}
	printf("}\n");
	return 0;
}

/* Timed from before the connect to the last byte written. */
static int cmd_recv(const char *file, uint64_t size, const char *addr, const char *port)
{
	const size_t bs = 1 << 20;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	uint64_t done = 0;
	double t0, t1;
	int s, fd;
	ssize_t r, w;
	char *buf;

	buf = malloc(bs);
	if (!buf)
		die("malloc");
	sin.sin_port = htons(atoi(port));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		errno = EINVAL;
		die("address");
	}
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open");
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		die("socket");
	t0 = now();
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)))
		die("connect");
	while ((r = read(s, buf, bs)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("recv");
		}
		for (w = 0; w < r; ) {
			ssize_t n = write(fd, buf + w, r - w);

			if (n < 0)
				die("write");
			w += n;
		}
		done += r;
	}
	t1 = now();
	close(s);
	if (close(fd))
		die("close");
	printf("{\"op\": \"recv\", \"bytes\": %llu, \"seconds\": %.6f, \"mib_s\": %.3f}\n",
	       (unsigned long long)done, t1 - t0, done / (t1 - t0) / 1048576.0);
	return done == size ? 0 : 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: mmap-load fill|seq DEV SIZE | seq DEV SIZE random | rand DEV SIZE N SEED | "
		"read DEV SIZE | touch PATH SIZE | recv FILE SIZE ADDR PORT\n");
	exit(2);
}

/* The mmap subcommands, with SIGBUS (a chunk that could not be fetched) caught. */
static int run_mapped(int argc, char **argv, uint64_t size)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	int fd = open(argv[2], O_RDWR);

	if (fd < 0)
		die("open");
	sigaction(SIGBUS, &sa, NULL);
	if (sigsetjmp(bus_jmp, 1)) {
		printf("{\"op\": \"%s\", \"error\": \"SIGBUS\"}\n", op);
		return 3;
	}
	if (!strcmp(op, "fill") && argc == 4)
		return cmd_fill(fd, size);
	if (!strcmp(op, "seq") && argc == 4)
		return cmd_seq(fd, size, 0);
	if (!strcmp(op, "seq") && argc == 5 && !strcmp(argv[4], "random"))
		return cmd_seq(fd, size, 1);
	if (!strcmp(op, "rand") && argc == 6)
		return cmd_rand(fd, size, strtoull(argv[4], NULL, 0), strtoull(argv[5], NULL, 0));
	usage();
	return 2;
}

int main(int argc, char **argv)
{
	uint64_t size;
	int fd;

	if (argc < 4)
		usage();
	op = argv[1];
	size = parse_size(argv[3]);
	if (!size || size % PG)
		usage();
	if (!strcmp(op, "touch") && argc == 4)
		return cmd_touch(argv[2], size);
	if (!strcmp(op, "recv") && argc == 6)
		return cmd_recv(argv[2], size, argv[4], argv[5]);
	if (strcmp(op, "read"))
		return run_mapped(argc, argv, size);
	fd = open(argv[2], O_RDONLY | O_DIRECT);
	if (fd < 0)
		die("open");
	return cmd_read(fd, size);
}
