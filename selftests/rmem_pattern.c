// SPDX-License-Identifier: GPL-2.0
/*
 * rmem_pattern: write an address-derived pattern to a large anonymous
 * mapping, then read it all back and count mismatches. With a working set
 * larger than RAM the kernel must swap it out and in again, so every page
 * that comes back wrong (or not at all) is counted.
 *
 *   rmem_pattern SIZE [PASSES] [SEED] [SAME_PCT [SAME_RUN]]
 *
 * SAME_PCT (0 to 100, default 0) of the 4 KiB pages are same-filled
 * instead: one word repeated, zero for half of them (as zram and rmem's
 * same_filled see them). They come in runs of SAME_RUN pages (default 1:
 * scattered; 64: zeroed or memset buffers of 256 KiB), picked by a hash of
 * the run's index; a run has one word.
 *
 * Exit 0 when every word matched, 1 on any mismatch, 2 on usage/setup error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* The word at index @i of pass seed @s (a page's choice is computed once). */
static uint64_t expect(uint64_t i, uint64_t s, unsigned int same_pct, uint64_t run)
{
	static uint64_t last_pg = UINT64_MAX, last_s, word;
	static int same;
	uint64_t pg = i / 512 / run, h;

	if (!same_pct)
		return mix(i ^ (s << 48)) ^ i;
	if (pg != last_pg || s != last_s) {
		h = mix(pg ^ (s << 40) ^ 0x5a5a);
		same = h % 100 < same_pct;
		word = h & 1 ? 0 : mix(pg ^ s);
		last_pg = pg;
		last_s = s;
	}
	return same ? word : mix(i ^ (s << 48)) ^ i;
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case '\0': break;
	default: return -1;
	}
	if (*end || !v || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t size, words, i, seed = 1, bad = 0, first_bad = UINT64_MAX;
	unsigned long passes = 1, p;
	unsigned int same_pct = 0;
	uint64_t run = 1;
	uint64_t *buf;
	double t0;

	if (argc < 2 || argc > 6 || parse_size(argv[1], &size) || size < 8) {
		fprintf(stderr, "usage: %s SIZE[K|M|G] [PASSES] [SEED] [SAME_PCT [SAME_RUN]]\n",
			argv[0]);
		return 2;
	}
	if (argc > 4) {
		same_pct = strtoul(argv[4], NULL, 10);
		if (same_pct > 100) {
			fprintf(stderr, "rmem_pattern: SAME_PCT is 0 to 100\n");
			return 2;
		}
	}
	if (argc > 5) {
		run = strtoull(argv[5], NULL, 10);
		if (!run || run > (1 << 20)) {
			fprintf(stderr, "rmem_pattern: SAME_RUN is 1 to 1048576 pages\n");
			return 2;
		}
	}
	if (argc > 2)
		passes = strtoul(argv[2], NULL, 10);
	if (argc > 3)
		seed = strtoull(argv[3], NULL, 0);
	if (!passes)
		passes = 1;
	words = size / 8;
	buf = mmap(NULL, words * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		fprintf(stderr, "rmem_pattern: mmap %" PRIu64 " bytes: %s\n", size, strerror(errno));
		return 2;
	}

	for (p = 0; p < passes; p++) {
		uint64_t s = seed + p;

		t0 = now();
		for (i = 0; i < words; i++)
			buf[i] = expect(i, s, same_pct, run);
		printf("pass %lu: wrote %" PRIu64 " MiB in %.1f s\n", p, size >> 20, now() - t0);
		fflush(stdout);
		t0 = now();
		for (i = 0; i < words; i++) {
			if (buf[i] != expect(i, s, same_pct, run)) {
				if (!bad)
					first_bad = i * 8;
				bad++;
			}
		}
		printf("pass %lu: verified %" PRIu64 " MiB in %.1f s, %" PRIu64 " bad words\n",
		       p, size >> 20, now() - t0, bad);
		fflush(stdout);
		if (bad)
			break;
	}
	if (bad) {
		printf("MISMATCH: %" PRIu64 " words differ, first at byte %" PRIu64 "\n",
		       bad, first_bad);
		return 1;
	}
	printf("OK: %" PRIu64 " MiB x %lu passes, zero mismatches\n", size >> 20, passes);
	return 0;
}
