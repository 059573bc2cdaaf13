// SPDX-License-Identifier: GPL-2.0
/*
 * rmemd memory pool. Owns the one big mapping of donated memory and the
 * slab bookkeeping; knows nothing of sessions or sockets (an owner is just a
 * non-zero 64-bit id). Single-threaded: no locking.
 *
 * Slabs are zeroed when freed (only if written since the last zeroing), not
 * when allocated, so that the cost falls on the release path and a freshly
 * allocated slab can be served at once.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "pool.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT	26
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB	(21 << MAP_HUGE_SHIFT)
#endif

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

#define HUGE_2M	(2ull << 20)

static int pool_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int pool_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The zeroing thread: slabs from @zq, zeroed, to @zdone. */
static void *pool_zeroer(void *arg)
{
	struct rmem_pool *p = arg;

	pthread_mutex_lock(&p->zlock);
	for (;;) {
		uint32_t slab;

		while (!p->zq_len && !p->zstop)
			pthread_cond_wait(&p->zwake, &p->zlock);
		if (p->zstop)
			break;
		slab = p->zq[p->zq_head];
		p->zq_head = (p->zq_head + 1) % p->nslabs;
		p->zq_len--;
		p->zbusy = slab;
		pthread_mutex_unlock(&p->zlock);
		memset(rmem_pool_slab(p, slab), 0, p->slab_size);
		pthread_mutex_lock(&p->zlock);
		p->dirty[slab] = 0;
		p->zbusy = UINT32_MAX;
		p->zdone[p->nzdone++] = slab;
		pthread_cond_broadcast(&p->zdone_cond);
	}
	pthread_mutex_unlock(&p->zlock);
	return NULL;
}

static void *pool_map(struct rmem_pool *p, unsigned int flags)
{
	int mflags = MAP_PRIVATE | MAP_ANONYMOUS;
	void *m;

	if ((flags & RMEM_POOL_HUGE) && !(p->size % HUGE_2M)) {
		m = mmap(NULL, p->size, PROT_READ | PROT_WRITE,
			 mflags | MAP_HUGETLB | MAP_HUGE_2MB, -1, 0);
		if (m != MAP_FAILED) {
			p->hugetlb = true;
			return m;
		}
		log_info("pool: no hugetlbfs 2M pages for %llu bytes (%s); using normal pages",
			 (unsigned long long)p->size, strerror(errno));
	}
	m = mmap(NULL, p->size, PROT_READ | PROT_WRITE, mflags, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	if ((flags & RMEM_POOL_HUGE) && !madvise(m, p->size, MADV_HUGEPAGE))
		p->thp = true;
	return m;
}

/**
 * rmem_pool_init() - map, lock and split the donated memory
 * @p: pool to fill
 * @size: bytes, a multiple of @slab_size
 * @slab_size: bytes per slab, a multiple of 4096
 * @flags: RMEM_POOL_*
 * @err: on failure, the reason
 * @errlen: size of @err
 *
 * Return: 0, or -1 with @err set and nothing left allocated.
 */
int rmem_pool_init(struct rmem_pool *p, uint64_t size, uint64_t slab_size,
		   unsigned int flags, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if (!slab_size || size % slab_size || size / slab_size >= UINT32_MAX || !size)
		return pool_err(err, errlen, "bad pool geometry");
	p->size = size;
	p->slab_size = slab_size;
	p->nslabs = (uint32_t)(size / slab_size);

	p->free_stack = calloc(p->nslabs, sizeof(*p->free_stack));
	p->owner = calloc(p->nslabs, sizeof(*p->owner));
	p->dirty = calloc(p->nslabs, 1);
	if (!p->free_stack || !p->owner || !p->dirty) {
		pool_err(err, errlen, "out of memory for %u slab descriptors", p->nslabs);
		goto out_free_tables;
	}

	p->base = pool_map(p, flags);
	if (!p->base) {
		pool_err(err, errlen, "cannot map %llu bytes: %s",
			 (unsigned long long)size, strerror(errno));
		goto out_free_tables;
	}
	/* Clients' pages: never in a core dump (the kernel gives no reason to fail). */
	if (madvise(p->base, size, MADV_DONTDUMP))
		log_warn("pool: MADV_DONTDUMP: %s; a core dump of rmemd would hold clients' pages",
			 strerror(errno));
	/*
	 * Fault every page in now (after MADV_HUGEPAGE, so THP can back it),
	 * so that serving never waits for the page allocator. Writing to the
	 * pages, not reading, makes them real pages rather than the zero page.
	 */
	if ((flags & RMEM_POOL_PREFAULT) &&
	    madvise(p->base, size, MADV_POPULATE_WRITE)) {
		long pg = sysconf(_SC_PAGESIZE);

		for (uint64_t off = 0; off < size; off += pg)
			((volatile uint8_t *)p->base)[off] = 0;
	}
	if (flags & RMEM_POOL_MLOCK) {
		if (mlock(p->base, size)) {
			pool_err(err, errlen,
				 "cannot lock %llu bytes in memory: %s (raise RLIMIT_MEMLOCK, e.g. LimitMEMLOCK=infinity, run as root, or use --no-mlock)",
				 (unsigned long long)size, strerror(errno));
			goto out_unmap;
		}
		p->locked = true;
	}

	/* Slab 0 on top: handed out first. */
	for (uint32_t i = 0; i < p->nslabs; i++)
		p->free_stack[i] = p->nslabs - 1 - i;
	p->nfree = p->nslabs;
	p->nready = p->nslabs;
	p->zbusy = UINT32_MAX;
	if (flags & RMEM_POOL_ZERO_THREAD) {
		int e;

		p->zq = calloc(p->nslabs, sizeof(*p->zq));
		p->zdone = calloc(p->nslabs, sizeof(*p->zdone));
		if (!p->zq || !p->zdone) {
			pool_err(err, errlen, "out of memory for the zeroing queues");
			goto out_unlock;
		}
		pthread_mutex_init(&p->zlock, NULL);
		pthread_cond_init(&p->zwake, NULL);
		pthread_cond_init(&p->zdone_cond, NULL);
		e = pthread_create(&p->tid, NULL, pool_zeroer, p);
		if (e) {
			pool_err(err, errlen, "cannot start the zeroing thread: %s", strerror(e));
			pthread_cond_destroy(&p->zdone_cond);
			pthread_cond_destroy(&p->zwake);
			pthread_mutex_destroy(&p->zlock);
			goto out_unlock;
		}
		p->zthread = true;
	}
	return 0;

out_unlock:
	free(p->zq);
	free(p->zdone);
	p->zq = NULL;
	p->zdone = NULL;
	if (p->locked)
		munlock(p->base, size);
	p->locked = false;

out_unmap:
	munmap(p->base, size);
	p->base = NULL;
out_free_tables:
	free(p->free_stack);
	free(p->owner);
	free(p->dirty);
	p->free_stack = NULL;
	p->owner = NULL;
	p->dirty = NULL;
	return -1;
}

/**
 * rmem_pool_fini() - unmap the pool; every slab's content is lost
 * @p: pool
 */
void rmem_pool_fini(struct rmem_pool *p)
{
	if (p->zthread) {
		pthread_mutex_lock(&p->zlock);
		p->zstop = true;
		pthread_cond_signal(&p->zwake);
		pthread_mutex_unlock(&p->zlock);
		pthread_join(p->tid, NULL);
		pthread_cond_destroy(&p->zdone_cond);
		pthread_cond_destroy(&p->zwake);
		pthread_mutex_destroy(&p->zlock);
	}
	free(p->zq);
	free(p->zdone);
	if (p->base)
		munmap(p->base, p->size);
	free(p->free_stack);
	free(p->owner);
	free(p->dirty);
	memset(p, 0, sizeof(*p));
}

/* Zeroed slabs to @free_stack. @zlock held. */
static void pool_collect_locked(struct rmem_pool *p)
{
	while (p->nzdone)
		p->free_stack[p->nready++] = p->zdone[--p->nzdone];
}

/**
 * rmem_pool_zeroing() - free slabs still to be zeroed
 * @p: pool
 *
 * Return: slabs queued for the zeroing thread or being zeroed.
 */
uint32_t rmem_pool_zeroing(struct rmem_pool *p)
{
	uint32_t n;

	if (!p->zthread)
		return 0;
	pthread_mutex_lock(&p->zlock);
	n = p->zq_len + (p->zbusy != UINT32_MAX);
	pthread_mutex_unlock(&p->zlock);
	return n;
}

/*
 * Nothing zeroed is free: take a slab still queued and zero it here (one
 * slab's memset), or wait for the one the thread is zeroing.
 */
static int64_t pool_take_unzeroed(struct rmem_pool *p)
{
	int64_t slab = -1;

	pthread_mutex_lock(&p->zlock);
	for (;;) {
		pool_collect_locked(p);
		if (p->nready)
			break;
		if (p->zq_len) {
			/* The newest: the thread works from the oldest. */
			p->zq_tail = (p->zq_tail + p->nslabs - 1) % p->nslabs;
			slab = p->zq[p->zq_tail];
			p->zq_len--;
			break;
		}
		if (p->zbusy == UINT32_MAX)
			break;
		pthread_cond_wait(&p->zdone_cond, &p->zlock);
	}
	pthread_mutex_unlock(&p->zlock);
	if (slab >= 0) {
		memset(rmem_pool_slab(p, (uint32_t)slab), 0, p->slab_size);
		p->dirty[slab] = 0;
	}
	return slab;
}

/**
 * rmem_pool_alloc() - take a free slab for @owner
 * @p: pool
 * @owner: holder id, non-zero
 *
 * Return: the slab number, or -1 when no slab is free.
 */
int64_t rmem_pool_alloc(struct rmem_pool *p, uint64_t owner)
{
	int64_t slab;

	if (!p->nfree || !owner)
		return -1;
	/* Nothing zeroed on the stack: collect, or zero one here. */
	slab = !p->nready && p->zthread ? pool_take_unzeroed(p) : -1;
	if (slab < 0) {
		if (!p->nready)
			return -1;
		slab = p->free_stack[--p->nready];
	}
	p->nfree--;
	p->owner[slab] = owner;
	return slab;
}

static void pool_put(struct rmem_pool *p, uint32_t slab)
{
	p->owner[slab] = 0;
	p->nfree++;
	if (!p->dirty[slab]) {
		p->free_stack[p->nready++] = slab;
		return;
	}
	if (!p->zthread) {
		memset(rmem_pool_slab(p, slab), 0, p->slab_size);
		p->dirty[slab] = 0;
		p->free_stack[p->nready++] = slab;
		return;
	}
	pthread_mutex_lock(&p->zlock);
	p->zq[p->zq_tail] = slab;
	p->zq_tail = (p->zq_tail + 1) % p->nslabs;
	p->zq_len++;
	pthread_cond_signal(&p->zwake);
	pthread_mutex_unlock(&p->zlock);
}

/**
 * rmem_pool_free() - give a slab back; it is zeroed before reuse
 * @p: pool
 * @slab: slab number
 * @owner: must be the holder
 *
 * Return: 0, or -ENOENT when @owner does not hold @slab.
 */
int rmem_pool_free(struct rmem_pool *p, uint32_t slab, uint64_t owner)
{
	if (!rmem_pool_held_by(p, slab, owner))
		return -ENOENT;
	pool_put(p, slab);
	return 0;
}

/**
 * rmem_pool_release_owner() - free every slab @owner holds
 * @p: pool
 * @owner: holder id
 *
 * Return: slabs freed.
 */
uint32_t rmem_pool_release_owner(struct rmem_pool *p, uint64_t owner)
{
	uint32_t n = 0;

	if (!owner)
		return 0;
	for (uint32_t i = 0; i < p->nslabs; i++) {
		if (p->owner[i] == owner) {
			pool_put(p, i);
			n++;
		}
	}
	return n;
}
