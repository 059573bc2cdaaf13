/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmemd memory pool: the donated memory, split into equal slabs. Each slab
 * is free or held by one owner (a session id, never 0). A held slab that was
 * written is zeroed when it is freed, so an allocated slab always reads zero
 * where its holder never wrote. With RMEM_POOL_ZERO_THREAD the zeroing runs
 * on a thread of its own: freeing a large session costs the event loop
 * nothing, and an allocation that finds only slabs still to be zeroed
 * zeroes one itself (at worst it waits for the one being zeroed).
 */
#ifndef RMEMD_POOL_H
#define RMEMD_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RMEM_POOL_MLOCK		(1u << 0)	/* lock in RAM, fail if we cannot */
#define RMEM_POOL_HUGE		(1u << 1)	/* try hugetlbfs 2M pages, then THP */
#define RMEM_POOL_PREFAULT	(1u << 2)	/* touch every page now */
#define RMEM_POOL_ZERO_THREAD	(1u << 3)	/* zero freed slabs on a thread */

/**
 * struct rmem_pool - the donated memory
 * @base: first byte
 * @size: bytes
 * @slab_size: bytes per slab
 * @nslabs: slabs in the pool
 * @nfree: free slabs: on @free_stack, or queued for zeroing (@zq)
 * @nready: slabs on @free_stack
 * @free_stack: free slab numbers, zeroed; the top is handed out next
 * @owner: per slab, the holder's id, or 0 when free
 * @dirty: per slab, written since it was last zeroed
 * @hugetlb: backed by hugetlbfs 2 MiB pages
 * @thp: normal pages with MADV_HUGEPAGE
 * @locked: mlocked
 * @zthread: the zeroing thread runs
 * @zlock: guards the zeroing queues and @zstop
 * @zwake: the thread waits on it for work
 * @zdone_cond: signalled when a slab has been zeroed
 * @zq: ring of slabs to zero (@zq_head..@zq_tail, @zq_len of them)
 * @zbusy: the slab the thread is zeroing, or UINT32_MAX
 * @zdone: slabs zeroed, not yet on @free_stack (@nzdone)
 * @zstop: the thread must exit
 * @tid: the thread
 */
struct rmem_pool {
	uint8_t *base;
	uint64_t size;
	uint64_t slab_size;
	uint32_t nslabs;
	uint32_t nfree;
	uint32_t nready;
	uint32_t *free_stack;
	uint64_t *owner;
	uint8_t *dirty;
	bool hugetlb;
	bool thp;
	bool locked;
	bool zthread;
	pthread_mutex_t zlock;
	pthread_cond_t zwake;
	pthread_cond_t zdone_cond;
	uint32_t *zq;
	uint32_t zq_head;
	uint32_t zq_tail;
	uint32_t zq_len;
	uint32_t zbusy;
	uint32_t *zdone;
	uint32_t nzdone;
	bool zstop;
	pthread_t tid;
};

int rmem_pool_init(struct rmem_pool *p, uint64_t size, uint64_t slab_size,
		   unsigned int flags, char *err, size_t errlen);
void rmem_pool_fini(struct rmem_pool *p);
int64_t rmem_pool_alloc(struct rmem_pool *p, uint64_t owner);
int rmem_pool_free(struct rmem_pool *p, uint32_t slab, uint64_t owner);
uint32_t rmem_pool_release_owner(struct rmem_pool *p, uint64_t owner);
uint32_t rmem_pool_zeroing(struct rmem_pool *p);

/**
 * rmem_pool_held_by() - is @slab held by @owner?
 * @p: pool
 * @slab: slab number, any value (checked)
 * @owner: holder id
 *
 * Return: true when @slab exists and is held by @owner.
 */
static inline bool rmem_pool_held_by(const struct rmem_pool *p, uint32_t slab,
				     uint64_t owner)
{
	return slab < p->nslabs && owner && p->owner[slab] == owner;
}

static inline uint8_t *rmem_pool_slab(const struct rmem_pool *p, uint32_t slab)
{
	return p->base + (uint64_t)slab * p->slab_size;
}

static inline void rmem_pool_mark_dirty(struct rmem_pool *p, uint32_t slab)
{
	p->dirty[slab] = 1;
}

#endif
