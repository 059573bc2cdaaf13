// SPDX-License-Identifier: GPL-2.0
/*
 * rmem: mmap front end -- one character device per mmap region (/dev/rmemN).
 *
 * A process maps the device; a fault fetches the whole *chunk* (4 KiB ..
 * 2 MiB, set per region) holding the address into the region's local cache
 * and maps it: one PMD for a 2 MiB chunk in a suitably aligned shared
 * mapping, else a PTE for each of its pages. Every opener's file shares one
 * address_space (a private inode, S_DAX so that the core mm offers us PMD
 * faults), so unmap_mapping_range() reaches every process at once.
 *
 * Pages are ordinary refcounted pages in a VM_MIXEDMAP mapping, so that
 * get_user_pages() works on it (O_DIRECT into or out of a mapping, RDMA
 * memory registration): PTEs are inserted with vm_insert_page() (each holds
 * a reference and a mapcount), and a 2 MiB chunk is one compound page, whose
 * PMD (vmf_insert_pfn_pmd(), which holds no reference) GUP resolves to the
 * folio and its tail pages, on 6.1 and on 6.12 alike. The cache holds one
 * reference per page (per folio); any other reference on an unmapped chunk
 * is a GUP pin, maybe with I/O still writing into it, so such a chunk is
 * written back but never evicted (only region deletion frees it, and the
 * pages then live until the pin is dropped). I/O through a pin marks the
 * page dirty when it completes (set_page_dirty_lock()): PG_dirty on a chunk's
 * pages counts as dirty just like a write fault.
 *
 * Chunks: an xarray index -> struct rmem_chunk holds the chunks the cache
 * has (or is fetching). States:
 *   FETCHING  reads in flight; waiters sleep on c->io_done
 *   RESIDENT  pages valid, may be mapped
 *   BUSY      being written back or evicted: unmapped, waiters sleep on m->wq
 *   FAILED    the fetch failed; the fault that waited for it gets SIGBUS,
 *             a later one removes it and fetches again
 *   GONE      removed from the cache; sleepers still holding a reference
 *             look it up again
 * I/O completions touch nothing but c->err and c->io_done: they may run in
 * any context and never take a lock here. Whoever next looks at a FETCHING
 * chunk under the lock "settles" it once completion_done() says so.
 *
 * Dirty tracking: faults map read-only (the core mm write-protects a
 * shared mapping because we have ->page_mkwrite; a PMD is mapped writable by
 * a write fault); a write fault, ->page_mkwrite or PG_dirty (above) marks
 * the chunk dirty. Write-back sets BUSY, waits for the
 * faults between lookup and PTE insertion (c->pins), unmaps the chunk from
 * every process, clears dirty and writes: a later write faults again and
 * waits for the write-back to finish.
 *
 * Cache: resident bytes are kept under the region's budget by evicting
 * chunks in LRU order. Cold chunks sit on two FIFO lists: new chunks go to
 * "fresh"; once a quarter of the budget is fresh, every fetch "arms" the
 * oldest fresh chunk: unmaps it everywhere (so that its next access faults)
 * and moves it to "armed". An armed chunk that faults again is hot: it moves
 * to the active list. Eviction takes the oldest armed chunk, else the oldest
 * fresh one, and a hot chunk only when no cold one is left; the active list
 * is held to half the budget by demoting its oldest chunk to armed. Arming
 * at fetch time (not in the eviction pass) gives every chunk the time the
 * armed list takes to drain to prove it is hot. Write-back (fsync, and the
 * scan) keeps a chunk resident, so hot chunks live on both sides.
 *
 * Locking: m->chunks' xa_lock guards the xarray, chunk state, lists and
 * counts; m->reclaim_lock serialises eviction passes and whole-range walks
 * (drop, flush); m->open_lock guards openers and dead. Waits for the network
 * happen without the xa_lock; a fault that allows it drops the mmap (or
 * VMA) lock first and returns VM_FAULT_RETRY, as filemap_fault() does.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cdev.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/fadvise.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/huge_mm.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pfn_t.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "rmem.h"
#include "rmem-trace.h"

#define RMEM_MMAP_MINORS	BIT(16)
#define RMEM_MMAP_FS_MAGIC	0x726d656d	/* "rmem" */
/* Pages per request to the store: the block front end's limit, for every transport. */
#define RMEM_MMAP_IO_PAGES	128

enum rmem_chunk_list {
	RMEM_LIST_FRESH,	/* new, cold */
	RMEM_LIST_ARMED,	/* cold, unmapped by the scan: a fault makes it hot */
	RMEM_LIST_ACTIVE,	/* hot */
};

enum rmem_chunk_state {
	RMEM_CHUNK_FETCHING,
	RMEM_CHUNK_RESIDENT,
	RMEM_CHUNK_BUSY,
	RMEM_CHUNK_FAILED,
	RMEM_CHUNK_GONE,	/* out of the cache; freed with its last reference */
};

struct rmem_chunk;

struct rmem_chunk_io {
	struct rmem_rio rio;
	struct rmem_chunk *chunk;
	bool ended;
};

/**
 * struct rmem_chunk - a chunk in the local cache
 * @lru: on the fresh, armed or active list
 * @index: chunk number in the region
 * @block: its pages as one naturally aligned block (PMD-mappable), or NULL
 * @pages: its pages
 * @state: enum rmem_chunk_state
 * @dirty: written since the last write-back
 * @list: enum rmem_chunk_list: which LRU list @lru is on
 * @ahead: fetched ahead of any fault on it: its first fault is a first
 *	use (back to fresh), not a sign that it is hot, even once armed
 * @pins: faults between lookup and PTE insertion
 * @refs: the xarray's reference plus sleepers'
 * @pending: requests in flight
 * @err: first request error
 * @io_done: fetch or write-back finished
 * @sent: entries of @io handed to the store so far (set to 0 under the
 *	lock when I/O starts): rmem_chunk_io_timeout() looks at these only
 * @nr_io: entries in @io
 * @io: one request per RMEM_MMAP_IO_PAGES pages
 * @bvec: one per page
 */
struct rmem_chunk {
	struct list_head lru;
	unsigned long index;
	struct page *block;
	struct page **pages;
	u8 state;
	bool dirty;
	u8 list;
	bool ahead;
	unsigned int pins;
	unsigned int refs;
	atomic_t pending;
	int err;
	struct completion io_done;
	unsigned int sent;
	unsigned int nr_io;
	struct rmem_chunk_io *io;
	struct bio_vec *bvec;
};

/**
 * struct rmem_mmap - an mmap region's front end (region->front)
 * @region: the region; valid while the device is not dead
 * @dev: the device; its release frees this structure
 * @cdev: the character device
 * @inode: owns the address_space every opener maps
 * @chunk_size: bytes per chunk
 * @chunk_shift: log2(@chunk_size)
 * @chunk_pages: pages per chunk
 * @budget: local cache budget, bytes
 * @chunks: chunk index -> struct rmem_chunk; its lock guards what follows
 * @fresh: new cold chunks, oldest first
 * @armed: cold chunks unmapped by the scan, oldest first
 * @active: hot chunks, oldest first
 * @cached: bytes held or reserved by chunks
 * @nr_fresh: chunks on @fresh
 * @nr_hot: chunks on @active
 * @wq: state changes made in process context (BUSY ends, pins drop)
 * @reclaim_lock: serialises eviction passes and range walks
 * @open_lock: guards @openers, @closing and @dead
 * @openers: open files
 * @closing: last closes still writing the cache back: in use until they
 *	end (no seal, no delete meanwhile)
 * @dead: deletion has begun: opens fail
 * @wb_err: a write-back failed since the last fsync
 * @faults: faults handled
 * @fetches: chunks fetched
 * @fetch_errors: fetches that failed
 * @evictions: chunks evicted to stay under the budget
 * @writebacks: dirty chunks written back
 * @writeback_errors: write-backs that failed
 * @pmd_maps: faults that mapped a whole chunk with one PMD
 * @ra_last: chunk of the last fault that looked at readahead (@chunks' lock)
 * @ra_win: readahead window, chunks: doubles while faults are sequential,
 *	0 after one that is not (@chunks' lock)
 * @prefetches: chunks fetched ahead of a fault: RMEM_IOC_PREFETCH,
 *	POSIX_FADV_WILLNEED (MADV_WILLNEED), readahead
 * @drops: chunks freed by RMEM_IOC_DROP
 */
struct rmem_mmap {
	struct rmem_region *region;
	struct device dev;
	struct cdev cdev;
	struct inode *inode;
	u64 chunk_size;
	unsigned int chunk_shift;
	unsigned int chunk_pages;
	u64 budget;

	struct xarray chunks;
	struct list_head fresh;
	struct list_head armed;
	struct list_head active;
	u64 cached;
	unsigned int nr_fresh;
	unsigned int nr_hot;
	unsigned long ra_last;
	unsigned int ra_win;
	wait_queue_head_t wq;
	struct mutex reclaim_lock;	/* eviction passes, range walks */

	struct mutex open_lock;		/* @openers, @closing, @dead */
	unsigned int openers;
	unsigned int closing;
	bool dead;
	int wb_err;

	atomic64_t faults;
	atomic64_t fetches;
	atomic64_t fetch_errors;
	atomic64_t evictions;
	atomic64_t writebacks;
	atomic64_t writeback_errors;
	atomic64_t pmd_maps;
	atomic64_t prefetches;
	atomic64_t drops;
};

static dev_t rmem_mmap_devt;
static struct vfsmount *rmem_mmap_mnt;

static struct class rmem_mmap_class = {
	.name = "rmem",
};

#define rmmap_err_rl(m, fmt, ...) \
	pr_err_ratelimited("%s: " fmt, dev_name(&(m)->dev), ##__VA_ARGS__)

static inline void rmem_mmap_lock(struct rmem_mmap *m)
{
	xa_lock(&m->chunks);
}

static inline void rmem_mmap_unlock(struct rmem_mmap *m)
{
	xa_unlock(&m->chunks);
}

static u64 rmem_chunk_pos(struct rmem_mmap *m, struct rmem_chunk *c)
{
	return (u64)c->index << m->chunk_shift;
}

/* ---- chunk memory ---- */

static struct rmem_chunk *rmem_chunk_alloc(struct rmem_mmap *m, unsigned long index)
{
	unsigned int n = m->chunk_pages, nr_io = DIV_ROUND_UP(n, RMEM_MMAP_IO_PAGES);
	struct rmem_chunk *c;
	unsigned int i;

	c = kvzalloc(sizeof(*c) + nr_io * sizeof(*c->io) + n * (sizeof(*c->pages) +
		     sizeof(*c->bvec)), GFP_KERNEL);
	if (!c)
		return NULL;
	c->io = (struct rmem_chunk_io *)(c + 1);
	c->bvec = (struct bio_vec *)(c->io + nr_io);
	c->pages = (struct page **)(c->bvec + n);
	c->nr_io = nr_io;
	c->index = index;
	INIT_LIST_HEAD(&c->lru);
	init_completion(&c->io_done);

	/*
	 * A whole PMD-sized chunk in one compound page can be mapped by one
	 * PMD (and pinned through it).
	 */
	if (m->chunk_size == PMD_SIZE)
		c->block = alloc_pages(GFP_HIGHUSER | __GFP_COMP | __GFP_NORETRY |
				       __GFP_NOWARN, get_order(PMD_SIZE));
	for (i = 0; i < n; i++) {
		c->pages[i] = c->block ? c->block + i : alloc_page(GFP_HIGHUSER);
		if (!c->pages[i])
			goto out_free;
		bvec_set_page(&c->bvec[i], c->pages[i], PAGE_SIZE, 0);
	}
	return c;

out_free:
	while (i--)
		put_page(c->pages[i]);
	kvfree(c);
	return NULL;
}

/*
 * Drop the cache's references: a page still pinned by get_user_pages() is
 * freed when its pin goes.
 */
static void rmem_chunk_free(struct rmem_chunk *c, unsigned int n)
{
	unsigned int i;

	if (c->block) {
		put_page(c->block);
	} else {
		for (i = 0; i < n; i++)
			put_page(c->pages[i]);
	}
	kvfree(c);
}

/*
 * Does anything but the cache hold a page of @c? Only meaningful once @c is
 * unmapped (mapped PTEs hold references too): then it is a GUP pin.
 */
static bool rmem_chunk_referenced(struct rmem_mmap *m, struct rmem_chunk *c)
{
	unsigned int i;

	if (c->block)
		return page_count(c->block) != 1;
	for (i = 0; i < m->chunk_pages; i++)
		if (page_count(c->pages[i]) != 1)
			return true;
	return false;
}

/* PG_dirty on a page of @c (set by I/O through a GUP pin, or by the core mm). */
static bool rmem_chunk_pages_dirty(struct rmem_mmap *m, struct rmem_chunk *c, bool clear)
{
	bool dirty = false;
	unsigned int i;

	if (c->block)
		return clear ? TestClearPageDirty(c->block) : PageDirty(c->block);
	for (i = 0; i < m->chunk_pages; i++) {
		if (clear)
			dirty |= TestClearPageDirty(c->pages[i]);
		else if (PageDirty(c->pages[i]))
			return true;
	}
	return dirty;
}

/* Written since the last write-back? Lock held (or @c BUSY). */
static bool rmem_chunk_dirty(struct rmem_mmap *m, struct rmem_chunk *c)
{
	return c->dirty || rmem_chunk_pages_dirty(m, c, false);
}

/* Drop a reference; true when the caller must free @c (after unlocking). */
static bool rmem_chunk_put_locked(struct rmem_chunk *c)
{
	return !--c->refs;
}

static void rmem_chunk_put(struct rmem_mmap *m, struct rmem_chunk *c)
{
	bool last;

	rmem_mmap_lock(m);
	last = rmem_chunk_put_locked(c);
	rmem_mmap_unlock(m);
	if (last)
		rmem_chunk_free(c, m->chunk_pages);
}

/* Take @c off its LRU list. Lock held. */
static void rmem_chunk_list_del(struct rmem_mmap *m, struct rmem_chunk *c)
{
	if (list_empty(&c->lru))
		return;
	list_del_init(&c->lru);
	if (c->list == RMEM_LIST_FRESH)
		m->nr_fresh--;
	else if (c->list == RMEM_LIST_ACTIVE)
		m->nr_hot--;
}

/* Move @c to the tail of LRU list @list. Lock held. */
static void rmem_chunk_list_add(struct rmem_mmap *m, struct rmem_chunk *c,
				enum rmem_chunk_list list)
{
	rmem_chunk_list_del(m, c);
	c->list = list;
	if (list == RMEM_LIST_FRESH) {
		list_add_tail(&c->lru, &m->fresh);
		m->nr_fresh++;
	} else if (list == RMEM_LIST_ARMED) {
		list_add_tail(&c->lru, &m->armed);
	} else {
		list_add_tail(&c->lru, &m->active);
		m->nr_hot++;
	}
}

/* Take @c out of the cache (lists, xarray, budget). Lock held. */
static bool rmem_chunk_remove_locked(struct rmem_mmap *m, struct rmem_chunk *c)
{
	rmem_chunk_list_del(m, c);
	c->state = RMEM_CHUNK_GONE;
	__xa_erase(&m->chunks, c->index);
	m->cached -= m->chunk_size;
	return rmem_chunk_put_locked(c);
}

/* A finished fetch becomes RESIDENT or FAILED. Lock held. */
static void rmem_chunk_settle(struct rmem_mmap *m, struct rmem_chunk *c)
{
	if (c->state != RMEM_CHUNK_FETCHING || !completion_done(&c->io_done))
		return;
	if (READ_ONCE(c->err)) {
		c->state = RMEM_CHUNK_FAILED;
		atomic64_inc(&m->fetch_errors);
		trace_rmem_mmap_fetch(m->region->id, c->index, m->chunk_size, c->err);
	} else {
		c->state = RMEM_CHUNK_RESIDENT;
		trace_rmem_mmap_fetch(m->region->id, c->index, m->chunk_size, 0);
	}
}

/* ---- I/O through the store ---- */

static void rmem_chunk_io_end(struct rmem_rio *rio, int err)
{
	struct rmem_chunk_io *cio = container_of(rio, struct rmem_chunk_io, rio);
	struct rmem_chunk *c = cio->chunk;

	WRITE_ONCE(cio->ended, true);
	if (err)
		cmpxchg(&c->err, 0, err);
	/* The last completion is the last access to @c here. */
	if (atomic_dec_and_test(&c->pending))
		complete_all(&c->io_done);
}

/* Read or write the whole chunk; completes c->io_done. Process context. */
static void rmem_chunk_submit(struct rmem_mmap *m, struct rmem_chunk *c, u8 type)
{
	u64 pos = rmem_chunk_pos(m, c);
	unsigned int i, done = 0;

	/* Under the lock: rmem_chunk_io_timeout() sees the old I/O or none. */
	rmem_mmap_lock(m);
	c->err = 0;
	reinit_completion(&c->io_done);
	atomic_set(&c->pending, c->nr_io);
	c->sent = 0;
	rmem_mmap_unlock(m);
	for (i = 0; i < c->nr_io; i++) {
		struct rmem_chunk_io *cio = &c->io[i];
		unsigned int n = min(m->chunk_pages - done, (unsigned int)RMEM_MMAP_IO_PAGES);

		memset(&cio->rio, 0, sizeof(cio->rio));
		cio->ended = false;
		cio->chunk = c;
		cio->rio.io.type = type;
		cio->rio.io.len = n << PAGE_SHIFT;
		cio->rio.io.bvec = &c->bvec[done];
		cio->rio.io.nr_bvec = n;
		cio->rio.io.qid = c->index + i;
		/* Eviction reads a page's extra reference as a pin. */
		cio->rio.io.nozc = true;
		INIT_LIST_HEAD(&cio->rio.io.entry);
		cio->rio.region = m->region;
		cio->rio.pos = pos + ((u64)done << PAGE_SHIFT);
		cio->rio.end = rmem_chunk_io_end;
		done += n;
		/*
		 * Its fields are set: rmem_chunk_io_timeout() may look (its
		 * acquire pairs with this), even while rmem_region_rw() is at
		 * it. Stored before: the last rmem_region_rw() may end the
		 * I/O, and a new one may start, before it returns.
		 */
		smp_store_release(&c->sent, i + 1);
		rmem_region_rw(&cio->rio);
	}
}

/*
 * @c's I/O has waited io_timeout_s: hand each of its requests still out
 * to the store's timeout, as blk-mq's timeout does for the block front end
 * (rmem_blk_timeout()). A reply lost on a live connection resets it and the
 * request is sent again; a request waiting for a dead node fails (-EIO).
 * Any waiter may call this, at any time: under the lock, @c's I/O is the
 * one in flight (a new one starts under the lock, once this one is done),
 * and only requests already handed to the store are looked at.
 */
static void rmem_chunk_io_timeout(struct rmem_mmap *m, struct rmem_chunk *c)
{
	u64 timeout_ns = jiffies_to_nsecs(rmem_io_timeout());
	unsigned int i, n, out = 0;
	bool failed = false;
	const char *what;

	rmem_mmap_lock(m);
	what = c->state == RMEM_CHUNK_FETCHING ? "fetch" : "write-back";
	/* Pairs with rmem_chunk_submit()'s release: c->io[< n] are set. */
	n = completion_done(&c->io_done) ? 0 : smp_load_acquire(&c->sent);
	for (i = 0; i < n; i++) {
		struct rmem_chunk_io *cio = &c->io[i];

		/*
		 * Not ended yet, under RCU: as for rmem_blk_timeout(), the
		 * store's timeout takes its own reference on each node the
		 * request went to (a node is freed after a grace period).
		 */
		rcu_read_lock();
		if (!READ_ONCE(cio->ended)) {
			out++;
			failed |= rmem_region_rw_timeout(&cio->rio, timeout_ns);
		}
		rcu_read_unlock();
	}
	rmem_mmap_unlock(m);
	if (out)
		pr_warn_ratelimited("%s: %s of chunk %lu timed out%s\n", dev_name(&m->dev),
				    what, c->index, failed ? " on a dead node: failed" :
				    ": waiting for recovery");
}

/*
 * Wait for @c's I/O (referenced) to end, handing it to the store's timeout
 * each io_timeout_s. Returns 0, or -EINTR when @killable and killed.
 */
static int rmem_chunk_io_wait(struct rmem_mmap *m, struct rmem_chunk *c, bool killable)
{
	long ret;

	for (;;) {
		if (killable)
			ret = wait_for_completion_killable_timeout(&c->io_done,
								   rmem_io_timeout());
		else
			ret = wait_for_completion_timeout(&c->io_done, rmem_io_timeout());
		if (ret > 0)
			return 0;
		if (ret < 0)
			return -EINTR;
		rmem_chunk_io_timeout(m, c);
	}
}

/*
 * Write a BUSY chunk back: unmap it everywhere (so later writes fault and
 * mark it dirty again), then write. On failure the chunk's pages are marked
 * lost in the store: a later fetch fails (SIGBUS) instead of returning
 * older data. Returns 0 or -errno.
 */
static int rmem_chunk_writeback(struct rmem_mmap *m, struct rmem_chunk *c)
{
	u64 pos = rmem_chunk_pos(m, c);
	bool dirty;
	int err;

	unmap_mapping_range(m->inode->i_mapping, pos, m->chunk_size, 0);
	rmem_mmap_lock(m);
	dirty = c->dirty;
	c->dirty = false;
	rmem_mmap_unlock(m);
	/* After the unmap: a dirty PTE's bit has moved to its page by now. */
	if (rmem_chunk_pages_dirty(m, c, true))
		dirty = true;
	if (!dirty)
		return 0;
	rmem_chunk_submit(m, c, RMEM_MSG_WRITE);
	rmem_chunk_io_wait(m, c, false);
	err = READ_ONCE(c->err);
	atomic64_inc(&m->writebacks);
	trace_rmem_mmap_writeback(m->region->id, c->index, m->chunk_size, err);
	if (err) {
		atomic64_inc(&m->writeback_errors);
		rmmap_err_rl(m, "write-back of chunk %lu failed (%d): its data is lost\n",
			     c->index, err);
		rmem_region_mark_lost(m->region, pos, m->chunk_size);
		WRITE_ONCE(m->wb_err, err);
	}
	return err;
}

static bool rmem_chunk_unpinned(struct rmem_mmap *m, struct rmem_chunk *c)
{
	bool ret;

	rmem_mmap_lock(m);
	ret = !c->pins;
	rmem_mmap_unlock(m);
	return ret;
}

/*
 * Evict a chunk the caller made BUSY (holding a reference): unmap, write
 * back if dirty, free. A chunk pinned by get_user_pages() is written back
 * and kept (hot), unless the region is being deleted. Returns the
 * write-back's result, or -EBUSY when the chunk was kept.
 */
static int rmem_chunk_evict(struct rmem_mmap *m, struct rmem_chunk *c)
{
	bool last;
	int err;

	wait_event(m->wq, rmem_chunk_unpinned(m, c));
	for (;;) {
		err = rmem_chunk_writeback(m, c);
		if (!READ_ONCE(m->dead) && rmem_chunk_referenced(m, c)) {
			rmem_mmap_lock(m);
			c->state = RMEM_CHUNK_RESIDENT;
			rmem_chunk_list_add(m, c, RMEM_LIST_ACTIVE);
			last = rmem_chunk_put_locked(c);
			rmem_mmap_unlock(m);
			wake_up_all(&m->wq);
			if (last)
				rmem_chunk_free(c, m->chunk_pages);
			return -EBUSY;
		}
		/*
		 * Unpinned now, but I/O that went through a pin may have
		 * dirtied a page after the write-back took its copy: it marked
		 * the page dirty before it dropped the pin.
		 */
		smp_rmb();
		if (err || !rmem_chunk_pages_dirty(m, c, false))
			break;
	}
	rmem_mmap_lock(m);
	rmem_chunk_remove_locked(m, c);		/* the xarray's reference */
	last = rmem_chunk_put_locked(c);	/* ours */
	rmem_mmap_unlock(m);
	wake_up_all(&m->wq);
	if (last)
		rmem_chunk_free(c, m->chunk_pages);
	return err;
}

/* Wait until @c (referenced) is neither FETCHING nor BUSY. */
static int rmem_chunk_wait(struct rmem_mmap *m, struct rmem_chunk *c, bool killable)
{
	if (READ_ONCE(c->state) == RMEM_CHUNK_FETCHING)
		return rmem_chunk_io_wait(m, c, killable);
	if (!killable) {
		wait_event(m->wq, READ_ONCE(c->state) != RMEM_CHUNK_BUSY);
		return 0;
	}
	return wait_event_killable(m->wq, READ_ONCE(c->state) != RMEM_CHUNK_BUSY);
}

/* ---- the LRU ---- */

enum rmem_scan_action {
	RMEM_SCAN_NONE,
	RMEM_SCAN_UNMAP,	/* second chance: unmap, keep */
	RMEM_SCAN_EVICT,
};

static struct rmem_chunk *rmem_scan_victim(struct rmem_mmap *m, struct list_head *list)
{
	struct rmem_chunk *c;

	list_for_each_entry(c, list, lru) {
		rmem_chunk_settle(m, c);
		if (c->state == RMEM_CHUNK_FAILED && c->refs == 1)
			return c;
		if (c->state == RMEM_CHUNK_RESIDENT && !c->pins)
			return c;
	}
	return NULL;
}

/* Pick what the scan does next; takes a reference on *out. Lock held. */
static enum rmem_scan_action rmem_scan_pick(struct rmem_mmap *m, struct rmem_chunk **out)
{
	u64 max_hot = max_t(u64, 1, (m->budget >> m->chunk_shift) / 2);
	struct rmem_chunk *c;

	/* Keep the active list to half the budget: demote its oldest. */
	if (m->nr_hot > max_hot) {
		list_for_each_entry(c, &m->active, lru) {
			if (c->state != RMEM_CHUNK_RESIDENT || c->pins)
				continue;
			rmem_chunk_list_add(m, c, RMEM_LIST_ARMED);
			c->refs++;
			*out = c;
			return RMEM_SCAN_UNMAP;
		}
	}
	/* Cold chunks first: armed ones, then fresh ones; hot ones last. */
	c = rmem_scan_victim(m, &m->armed);
	if (!c)
		c = rmem_scan_victim(m, &m->fresh);
	if (!c)
		c = rmem_scan_victim(m, &m->active);
	if (!c)
		return RMEM_SCAN_NONE;
	c->state = RMEM_CHUNK_BUSY;
	c->refs++;
	*out = c;
	return RMEM_SCAN_EVICT;
}

/*
 * Arm the oldest fresh chunk once a quarter of the budget is fresh: unmap
 * it, so that its next access faults and shows it is hot. Called after each
 * fetch starts.
 */
static void rmem_mmap_arm(struct rmem_mmap *m)
{
	u64 fresh_max = max_t(u64, 1, (m->budget >> m->chunk_shift) / 4);
	struct rmem_chunk *c;

	rmem_mmap_lock(m);
	c = list_first_entry_or_null(&m->fresh, struct rmem_chunk, lru);
	if (m->nr_fresh <= fresh_max || !c || c->state != RMEM_CHUNK_RESIDENT) {
		rmem_mmap_unlock(m);
		return;
	}
	rmem_chunk_list_add(m, c, RMEM_LIST_ARMED);
	c->refs++;
	rmem_mmap_unlock(m);
	unmap_mapping_range(m->inode->i_mapping, rmem_chunk_pos(m, c), m->chunk_size, 0);
	rmem_chunk_put(m, c);
}

/*
 * Evict until @need more bytes fit in the budget, or nothing more can go
 * (every chunk is being fetched or used): then the cache overshoots.
 */
static void rmem_mmap_reclaim(struct rmem_mmap *m, u64 need)
{
	unsigned int rounds = 0;
	unsigned long index;
	int ret;

	mutex_lock(&m->reclaim_lock);
	for (;;) {
		enum rmem_scan_action act;
		struct rmem_chunk *c;

		rmem_mmap_lock(m);
		if (m->cached + need <= m->budget || ++rounds > 4 * m->budget / m->chunk_size + 8) {
			rmem_mmap_unlock(m);
			break;
		}
		act = rmem_scan_pick(m, &c);
		rmem_mmap_unlock(m);
		if (act == RMEM_SCAN_NONE)
			break;
		if (act == RMEM_SCAN_UNMAP) {
			unmap_mapping_range(m->inode->i_mapping, rmem_chunk_pos(m, c),
					    m->chunk_size, 0);
			rmem_chunk_put(m, c);
			continue;
		}
		index = c->index;		/* @c may be freed by then */
		ret = rmem_chunk_evict(m, c);
		if (ret != -EBUSY) {
			atomic64_inc(&m->evictions);
			trace_rmem_mmap_evict(m->region->id, index, m->chunk_size, ret);
		}
	}
	mutex_unlock(&m->reclaim_lock);
}

static bool rmem_mmap_over_budget(struct rmem_mmap *m)
{
	bool over;

	rmem_mmap_lock(m);
	over = m->cached + m->chunk_size > m->budget;
	rmem_mmap_unlock(m);
	return over;
}

/*
 * Start fetching chunk @index unless it is cached. Returns the chunk with a
 * reference (FETCHING, or whatever state it already had), or an ERR_PTR.
 * The budget must have been made room for by the caller (or overshoots).
 */
static struct rmem_chunk *rmem_chunk_get_or_fetch(struct rmem_mmap *m, unsigned long index)
{
	struct rmem_chunk *c, *old;
	int ret;

	rmem_mmap_lock(m);
	c = xa_load(&m->chunks, index);
	if (c) {
		rmem_chunk_settle(m, c);
		c->refs++;
		rmem_mmap_unlock(m);
		return c;
	}
	m->cached += m->chunk_size;	/* reserved */
	rmem_mmap_unlock(m);

	c = rmem_chunk_alloc(m, index);
	if (!c) {
		rmem_mmap_lock(m);
		m->cached -= m->chunk_size;
		rmem_mmap_unlock(m);
		return ERR_PTR(-ENOMEM);
	}
	c->state = RMEM_CHUNK_FETCHING;
	c->refs = 2;			/* the xarray's and the caller's */

	rmem_mmap_lock(m);
	ret = __xa_insert(&m->chunks, index, c, GFP_KERNEL);
	if (ret) {
		m->cached -= m->chunk_size;
		old = ret == -EBUSY ? xa_load(&m->chunks, index) : NULL;
		if (old) {
			rmem_chunk_settle(m, old);
			old->refs++;
		}
		rmem_mmap_unlock(m);
		rmem_chunk_free(c, m->chunk_pages);
		return old ? old : ERR_PTR(ret == -EBUSY ? -EAGAIN : ret);
	}
	rmem_chunk_list_add(m, c, RMEM_LIST_FRESH);
	rmem_mmap_unlock(m);

	atomic64_inc(&m->fetches);
	rmem_chunk_submit(m, c, RMEM_MSG_READ);
	rmem_mmap_arm(m);
	return c;
}

/* ---- faults ---- */

static void rmem_fault_unlock(struct vm_fault *vmf)
{
#ifdef RMEM_HAS_RELEASE_FAULT_LOCK
	release_fault_lock(vmf);
#else
	mmap_read_unlock(vmf->vma->vm_mm);
#endif
}

/* May this fault drop its lock and return VM_FAULT_RETRY while it waits? */
static bool rmem_fault_may_drop(struct vm_fault *vmf)
{
	return (vmf->flags & FAULT_FLAG_ALLOW_RETRY) &&
	       !(vmf->flags & FAULT_FLAG_RETRY_NOWAIT);
}

/*
 * Wait for @c's fetch a short while (fault_hold_us) with the fault's mmap or
 * VMA lock still held, as a fault on a synchronous swap device does. A
 * fetch usually takes tens of microseconds; dropping the lock and returning
 * VM_FAULT_RETRY costs the process a second fault, which the cold fault's
 * latency would pay every time. A fetch that takes longer (a slow or dead
 * node) is waited for without the lock, after the hold; so is one after a
 * fatal signal. The caller holds once per fault, on its first try: a
 * retried fault waits without the lock. Returns whether the fetch is done.
 */
static bool rmem_fault_hold(struct vm_fault *vmf, struct rmem_chunk *c)
{
	unsigned int us = READ_ONCE(rmem_fault_hold_us);

	if (!us || (vmf->flags & FAULT_FLAG_TRIED) ||
	    READ_ONCE(c->state) != RMEM_CHUNK_FETCHING)
		return false;
	return wait_for_completion_killable_timeout(&c->io_done, usecs_to_jiffies(us)) > 0;
}

/* vm_insert_page()'s result as a fault's: a PTE already there is fine. */
static vm_fault_t rmem_insert_page(struct vm_area_struct *vma, unsigned long addr,
				   struct page *page)
{
	int err = vm_insert_page(vma, addr, page);

	if (!err || err == -EBUSY)
		return VM_FAULT_NOPAGE;
	return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
}

/*
 * Map the resident chunk @c at the fault; c->pins held by the caller. PTEs
 * are read-only in a shared mapping (vm_page_prot): a write then takes one
 * more, cheap, fault to ->page_mkwrite.
 */
static vm_fault_t rmem_fault_map(struct rmem_mmap *m, struct vm_fault *vmf,
				 struct rmem_chunk *c, u64 off, bool pmd, bool writable)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long first;
	unsigned int i;
	vm_fault_t ret;

	if (pmd) {
		ret = vmf_insert_pfn_pmd(vmf, pfn_to_pfn_t(page_to_pfn(c->block)), writable);
		if (ret == VM_FAULT_NOPAGE)
			atomic64_inc(&m->pmd_maps);
		return ret;
	}
	/*
	 * Map every page of the chunk that the VMA covers, not only the one
	 * that faulted: a chunk is fetched whole, so faulting again on each of
	 * its pages would only cost time. The faulting page goes last, so
	 * that its result is the fault's.
	 */
	first = (vmf->address & PAGE_MASK) - (off & (m->chunk_size - 1));
	for (i = 0; i < m->chunk_pages; i++) {
		unsigned long addr = first + ((unsigned long)i << PAGE_SHIFT);

		if (addr < vma->vm_start || addr >= vma->vm_end ||
		    addr == (vmf->address & PAGE_MASK))
			continue;
		if (rmem_insert_page(vma, addr, c->pages[i]) != VM_FAULT_NOPAGE)
			break;
	}
	return rmem_insert_page(vma, vmf->address & PAGE_MASK,
				c->pages[(off & (m->chunk_size - 1)) >> PAGE_SHIFT]);
}

/* Readahead: at most 4 MiB and a quarter of the budget ahead, 64 chunks. */
#define RMEM_RA_MAX_BYTES	(4ULL << 20)
#define RMEM_RA_MAX_CHUNKS	64U

static unsigned int rmem_ra_max(const struct rmem_mmap *m)
{
	u64 n = min3(RMEM_RA_MAX_BYTES >> m->chunk_shift, (m->budget >> m->chunk_shift) / 4,
		     (u64)RMEM_RA_MAX_CHUNKS);

	return max_t(u64, n, 1);
}

/*
 * How many chunks after @index a fault on it should fetch ahead, as the
 * page cache's readahead does for files: none for a fault that does not
 * follow the last one (or under MADV_RANDOM / POSIX_FADV_RANDOM), a window
 * that doubles while they follow each other, the largest at once under
 * MADV_SEQUENTIAL. Only the first fault on a chunk decides.
 */
static unsigned int rmem_ra_window(struct rmem_mmap *m, struct vm_area_struct *vma,
				   unsigned long index)
{
	unsigned int max = rmem_ra_max(m), win;

	if ((vma->vm_flags & VM_RAND_READ) || (vma->vm_file->f_mode & FMODE_RANDOM))
		return 0;
	rmem_mmap_lock(m);
	if (index == m->ra_last) {
		rmem_mmap_unlock(m);
		return 0;
	}
	if (vma->vm_flags & VM_SEQ_READ)
		m->ra_win = max;
	else if (index == m->ra_last + 1)
		m->ra_win = clamp(m->ra_win * 2, 1U, max);
	else
		m->ra_win = 0;
	m->ra_last = index;
	win = m->ra_win;
	rmem_mmap_unlock(m);
	return win;
}

/*
 * Start fetching chunks [first, first + nr) that are not cached (the
 * region's end stops it). Older chunks are evicted to make room, as for a
 * fault; readahead's window is at most a quarter of the budget, so these
 * are not. Unlike a fault, a fetch ahead never overshoots the budget: when
 * nothing more can be evicted (the cache is all fetches still in flight,
 * when replies are slow, or pinned chunks), it stops there. It is a hint,
 * and the range asked for may be larger than memory.
 */
static int rmem_mmap_fetch_ahead(struct rmem_mmap *m, u64 first, u64 nr)
{
	u64 i, last = min(first + nr, m->region->size >> m->chunk_shift);

	for (i = first; i < last; i++) {
		struct rmem_chunk *c;

		if (fatal_signal_pending(current))
			return -EINTR;
		rmem_mmap_lock(m);
		c = xa_load(&m->chunks, i);
		rmem_mmap_unlock(m);
		if (c)
			continue;
		if (rmem_mmap_over_budget(m)) {
			rmem_mmap_reclaim(m, m->chunk_size);
			if (rmem_mmap_over_budget(m))
				break;
		}
		c = rmem_chunk_get_or_fetch(m, i);
		if (IS_ERR(c)) {
			if (PTR_ERR(c) == -EAGAIN)
				continue;
			return PTR_ERR(c);
		}
		atomic64_inc(&m->prefetches);
		rmem_mmap_lock(m);
		if (c->list == RMEM_LIST_FRESH)
			c->ahead = true;
		rmem_mmap_unlock(m);
		rmem_chunk_put(m, c);
	}
	return 0;
}

static vm_fault_t rmem_fault(struct vm_fault *vmf, bool pmd)
{
	struct vm_area_struct *vma = vmf->vma;
	struct rmem_mmap *m = vma->vm_file->private_data;
	bool shared = vma->vm_flags & VM_SHARED;
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	bool waited = false, wake;
	struct rmem_chunk *c;
	unsigned long index;
	unsigned int ra;
	struct file *fpin;
	pgoff_t pgoff;
	vm_fault_t ret;
	u64 off;

	if (pmd) {
		unsigned long haddr = vmf->address & PMD_MASK;

		/* Private (read-only) mappings use PTEs only. */
		if (m->chunk_size != PMD_SIZE || !shared || haddr < vma->vm_start ||
		    haddr + PMD_SIZE > vma->vm_end)
			return VM_FAULT_FALLBACK;
		pgoff = vma->vm_pgoff + ((haddr - vma->vm_start) >> PAGE_SHIFT);
		if (pgoff & (HPAGE_PMD_NR - 1))
			return VM_FAULT_FALLBACK;
	} else {
		pgoff = vmf->pgoff;
	}
	off = (u64)pgoff << PAGE_SHIFT;
	if (off >= m->region->size)
		return VM_FAULT_SIGBUS;
	index = off >> m->chunk_shift;
	atomic64_inc(&m->faults);
	trace_rmem_mmap_fault(m->region->id, pgoff, !!(vmf->flags & FAULT_FLAG_WRITE), pmd);
	/* Fetched ahead once this chunk's own fetch is on its way. */
	ra = vmf->flags & FAULT_FLAG_RETRY_NOWAIT ? 0 : rmem_ra_window(m, vma, index);

again:
	rmem_mmap_lock(m);
	c = xa_load(&m->chunks, index);
	if (c)
		rmem_chunk_settle(m, c);
	if (c && c->state == RMEM_CHUNK_RESIDENT) {
		if (ra) {
			rmem_mmap_unlock(m);
			rmem_mmap_fetch_ahead(m, index + 1, ra);
			ra = 0;
			goto again;
		}
		if (pmd && !c->block) {
			rmem_mmap_unlock(m);
			return VM_FAULT_FALLBACK;
		}
		/* Armed and faulted again: hot. Hot: most recently used. */
		if (c->ahead) {
			c->ahead = false;
			rmem_chunk_list_add(m, c, RMEM_LIST_FRESH);
		} else if (c->list != RMEM_LIST_FRESH) {
			rmem_chunk_list_add(m, c, RMEM_LIST_ACTIVE);
		}
		if (write && shared)
			c->dirty = true;
		c->pins++;
		rmem_mmap_unlock(m);
		ret = rmem_fault_map(m, vmf, c, off, pmd, write && shared);
		/* It waited for the network: a major fault, as a page cache miss is. */
		if (waited && ret == VM_FAULT_NOPAGE)
			ret |= VM_FAULT_MAJOR;
		rmem_mmap_lock(m);
		/* Unpinned, @c may go at once: not looked at after the lock. */
		c->pins--;
		wake = c->state == RMEM_CHUNK_BUSY;
		rmem_mmap_unlock(m);
		if (wake)
			wake_up_all(&m->wq);
		return ret;
	}
	if (c && c->state == RMEM_CHUNK_FAILED) {
		/*
		 * A fault that waited for this fetch (here, or before it
		 * returned VM_FAULT_RETRY) gets SIGBUS; an older failure (or a
		 * prefetch's) is retried over the network. Either way the
		 * chunk goes, so that the next fault tries again.
		 */
		bool sigbus = waited || (vmf->flags & FAULT_FLAG_TRIED);
		bool last = rmem_chunk_remove_locked(m, c);

		rmem_mmap_unlock(m);
		if (last)
			rmem_chunk_free(c, m->chunk_pages);
		if (!sigbus)
			goto again;
		rmmap_err_rl(m, "chunk %lu cannot be fetched: SIGBUS\n", index);
		return VM_FAULT_SIGBUS;
	}
	if (c)
		c->refs++;	/* FETCHING or BUSY: wait for it below */
	rmem_mmap_unlock(m);

	if (!c) {
		if (rmem_mmap_over_budget(m)) {
			if (rmem_fault_may_drop(vmf) && !(vmf->flags & FAULT_FLAG_TRIED)) {
				fpin = get_file(vma->vm_file);
				rmem_fault_unlock(vmf);
				rmem_mmap_reclaim(m, m->chunk_size);
				fput(fpin);
				return VM_FAULT_RETRY;
			}
			rmem_mmap_reclaim(m, m->chunk_size);
		}
		c = rmem_chunk_get_or_fetch(m, index);
		if (IS_ERR(c)) {
			if (PTR_ERR(c) == -EAGAIN)
				goto again;
			return VM_FAULT_OOM;
		}
	}
	if (ra) {
		rmem_mmap_fetch_ahead(m, index + 1, ra);
		ra = 0;
	}

	/* FETCHING or BUSY: wait, referenced. A fetch already done (zeros) needs no wait. */
	if (READ_ONCE(c->state) == RMEM_CHUNK_FETCHING && completion_done(&c->io_done)) {
		rmem_chunk_put(m, c);
		waited = true;
		goto again;
	}
	if (vmf->flags & FAULT_FLAG_ALLOW_RETRY) {
		if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT) {
			rmem_chunk_put(m, c);
			return VM_FAULT_RETRY;
		}
		if (!waited && rmem_fault_hold(vmf, c)) {
			rmem_chunk_put(m, c);
			waited = true;
			goto again;
		}
		fpin = get_file(vma->vm_file);
		rmem_fault_unlock(vmf);
		rmem_chunk_wait(m, c, true);
		rmem_chunk_put(m, c);
		fput(fpin);
		/*
		 * Major, as filemap_fault() says: the retry is then marked
		 * FAULT_FLAG_TRIED on 6.12 also after a per-VMA lock fault,
		 * and does not hold or fetch a failed chunk again.
		 */
		return VM_FAULT_RETRY | VM_FAULT_MAJOR;
	}
	rmem_chunk_wait(m, c, false);
	rmem_chunk_put(m, c);
	waited = true;
	goto again;
}

static vm_fault_t rmem_mmap_fault(struct vm_fault *vmf)
{
	return rmem_fault(vmf, false);
}

#ifdef RMEM_HUGE_FAULT_ORDER
static vm_fault_t rmem_mmap_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	if (order == 0)
		return rmem_fault(vmf, false);
	return order == HPAGE_PMD_ORDER ? rmem_fault(vmf, true) : VM_FAULT_FALLBACK;
}
#else
static vm_fault_t rmem_mmap_huge_fault(struct vm_fault *vmf, enum page_entry_size size)
{
	if (size == PE_SIZE_PTE)
		return rmem_fault(vmf, false);
	return size == PE_SIZE_PMD ? rmem_fault(vmf, true) : VM_FAULT_FALLBACK;
}
#endif

/*
 * A write to a read-only PTE of a shared mapping (or GUP for writing): the
 * chunk becomes dirty. The page is returned locked, as the core mm wants
 * (its mapping is NULL: unlocked, the core would retry forever); the core
 * then makes the PTE writable unless it changed meanwhile.
 */
static vm_fault_t rmem_mmap_page_mkwrite(struct vm_fault *vmf)
{
	struct rmem_mmap *m = vmf->vma->vm_file->private_data;
	u64 off = (u64)vmf->pgoff << PAGE_SHIFT;
	struct rmem_chunk *c;
	bool ours = false;

	if (off >= m->region->size)
		return VM_FAULT_SIGBUS;
	rmem_mmap_lock(m);
	c = xa_load(&m->chunks, off >> m->chunk_shift);
	if (c && c->state == RMEM_CHUNK_RESIDENT &&
	    c->pages[(off & (m->chunk_size - 1)) >> PAGE_SHIFT] == vmf->page) {
		c->dirty = true;
		ours = true;
	}
	rmem_mmap_unlock(m);
	/*
	 * Otherwise the chunk is being written back or evicted, and its PTEs
	 * are (about to be) gone: the access faults again and waits there.
	 */
	if (!ours)
		return VM_FAULT_NOPAGE;
	lock_page(vmf->page);
	return VM_FAULT_LOCKED;
}

static const struct vm_operations_struct rmem_mmap_vm_ops = {
	.fault = rmem_mmap_fault,
	.huge_fault = rmem_mmap_huge_fault,
	.page_mkwrite = rmem_mmap_page_mkwrite,
};

/* ---- file operations ---- */

static int rmem_mmap_open(struct inode *inode, struct file *file)
{
	struct rmem_mmap *m = container_of(inode->i_cdev, struct rmem_mmap, cdev);

	mutex_lock(&m->open_lock);
	/* m->region may be freed once dead: look at it only after. */
	if (m->dead) {
		mutex_unlock(&m->open_lock);
		return -ENXIO;
	}
	/*
	 * Sealed or attached: no writer, so no shared writable mapping either.
	 * Under open_lock, as rmem_mmap_seal() sets it.
	 */
	if ((file->f_mode & FMODE_WRITE) && rmem_region_readonly(m->region)) {
		mutex_unlock(&m->open_lock);
		return -EROFS;
	}
	m->openers++;
	mutex_unlock(&m->open_lock);
	file->private_data = m;
	/* Every opener maps the region's one address_space. */
	file->f_mapping = m->inode->i_mapping;
	return 0;
}

/*
 * Call @fn on every cached chunk in [first, last] (with @dirty, on the dirty
 * ones only) once it is neither FETCHING nor BUSY; @fn gets it referenced,
 * and BUSY if it was RESIDENT, and drops the reference.
 */
static int rmem_mmap_walk(struct rmem_mmap *m, unsigned long first, unsigned long last,
			  bool dirty, int (*fn)(struct rmem_mmap *m, struct rmem_chunk *c))
{
	unsigned long index = first;
	struct rmem_chunk *c;
	int err = 0, ret;

	mutex_lock(&m->reclaim_lock);
	for (;;) {
		rmem_mmap_lock(m);
		c = xa_find(&m->chunks, &index, last, XA_PRESENT);
		if (!c) {
			rmem_mmap_unlock(m);
			break;
		}
		rmem_chunk_settle(m, c);
		if (dirty && !rmem_chunk_dirty(m, c)) {
			rmem_mmap_unlock(m);
			if (index++ == last)
				break;
			continue;
		}
		c->refs++;
		if (c->state == RMEM_CHUNK_FETCHING || c->state == RMEM_CHUNK_BUSY) {
			rmem_mmap_unlock(m);
			rmem_chunk_wait(m, c, false);
			rmem_chunk_put(m, c);
			continue;	/* look at the same index again */
		}
		/* FAILED ones too: a fault must not remove it under @fn. */
		if (c->state == RMEM_CHUNK_RESIDENT || c->state == RMEM_CHUNK_FAILED)
			c->state = RMEM_CHUNK_BUSY;
		rmem_mmap_unlock(m);
		ret = fn(m, c);
		if (ret && !err)
			err = ret;
		if (index++ == last)
			break;
	}
	mutex_unlock(&m->reclaim_lock);
	return err;
}

/* Write back a (BUSY) chunk and keep it. */
static int rmem_walk_sync(struct rmem_mmap *m, struct rmem_chunk *c)
{
	int err = 0;

	if (c->state == RMEM_CHUNK_BUSY) {
		wait_event(m->wq, rmem_chunk_unpinned(m, c));
		err = rmem_chunk_writeback(m, c);
		rmem_mmap_lock(m);
		c->state = RMEM_CHUNK_RESIDENT;
		rmem_mmap_unlock(m);
		wake_up_all(&m->wq);
	}
	rmem_chunk_put(m, c);
	return err;
}

/* Write back a chunk if dirty and free it (-EBUSY: pinned, kept). */
static int rmem_walk_drop(struct rmem_mmap *m, struct rmem_chunk *c)
{
	int err = rmem_chunk_evict(m, c);

	if (err != -EBUSY)
		atomic64_inc(&m->drops);
	return err;
}

static unsigned long rmem_mmap_last_index(struct rmem_mmap *m)
{
	return (m->region->size - 1) >> m->chunk_shift;
}

static int rmem_mmap_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	struct rmem_mmap *m = file->private_data;
	u64 size = m->region->size;
	int err;

	if (start < 0 || start >= size || end < start)
		return 0;
	err = rmem_mmap_walk(m, start >> m->chunk_shift,
			     min_t(u64, end, size - 1) >> m->chunk_shift, true,
			     rmem_walk_sync);
	if (!err && READ_ONCE(m->wb_err))
		err = xchg(&m->wb_err, 0);
	return err;
}

static int rmem_mmap_release(struct inode *inode, struct file *file)
{
	struct rmem_mmap *m = file->private_data;
	bool last;

	mutex_lock(&m->open_lock);
	last = !--m->openers;
	if (last)
		m->closing++;
	mutex_unlock(&m->open_lock);
	/*
	 * Last close: nothing maps the region; write back and free the cache.
	 * In use until that ends: a seal meanwhile would refuse the rest of
	 * the write-back (its pages lost), a delete free the region under it.
	 */
	if (last) {
		rmem_mmap_walk(m, 0, rmem_mmap_last_index(m), false, rmem_walk_drop);
		mutex_lock(&m->open_lock);
		m->closing--;
		mutex_unlock(&m->open_lock);
	}
	return 0;
}

static int rmem_mmap_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct rmem_mmap *m = file->private_data;
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	u64 len = vma->vm_end - vma->vm_start;

	if (vma->vm_pgoff > (RMEM_REGION_MAX_SIZE >> PAGE_SHIFT) || off + len > m->region->size)
		return -EINVAL;
	/*
	 * MAP_PRIVATE is read-only: copy-on-write would give the writer pages
	 * the region never sees. Without VM_MAYWRITE it is not a COW mapping,
	 * and mprotect(PROT_WRITE) fails with EACCES.
	 */
	if (!(vma->vm_flags & VM_SHARED)) {
		if (vma->vm_flags & VM_WRITE)
			return -EINVAL;
#ifdef RMEM_HAS_VM_FLAGS_SET
		vm_flags_clear(vma, VM_MAYWRITE);
#else
		vma->vm_flags &= ~VM_MAYWRITE;
#endif
	}
#ifdef RMEM_HAS_VM_FLAGS_SET
	vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP);
#else
	vma->vm_flags |= VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP;
#endif
	vma->vm_ops = &rmem_mmap_vm_ops;
	return 0;
}

/* Check a user range: page aligned, non-empty, inside the region. */
static int rmem_mmap_range_get(struct rmem_mmap *m, void __user *arg, u64 *first, u64 *last)
{
	struct rmem_mmap_range rg;

	if (copy_from_user(&rg, arg, sizeof(rg)))
		return -EFAULT;
	if (rg.flags || !rg.len || !PAGE_ALIGNED(rg.offset) || !PAGE_ALIGNED(rg.len) ||
	    rg.offset >= m->region->size || rg.len > m->region->size - rg.offset)
		return -EINVAL;
	*first = rg.offset >> m->chunk_shift;
	*last = (rg.offset + rg.len - 1) >> m->chunk_shift;
	return 0;
}

/*
 * posix_fadvise(), and madvise(MADV_WILLNEED) on a mapping (which calls
 * it): WILLNEED starts fetching the range, as RMEM_IOC_PREFETCH; RANDOM
 * turns the faults' readahead off for this file, NORMAL and SEQUENTIAL
 * back on (MADV_SEQUENTIAL on a mapping opens its window at once).
 * DONTNEED and NOREUSE change nothing: RMEM_IOC_DROP frees chunks.
 */
static int rmem_mmap_fadvise(struct file *file, loff_t offset, loff_t len, int advice)
{
	struct rmem_mmap *m = file->private_data;
	u64 size = m->region->size;

	if (offset < 0 || len < 0)
		return -EINVAL;
	switch (advice) {
	case POSIX_FADV_NORMAL:
	case POSIX_FADV_SEQUENTIAL:
		spin_lock(&file->f_lock);
		file->f_mode &= ~FMODE_RANDOM;
		spin_unlock(&file->f_lock);
		return 0;
	case POSIX_FADV_RANDOM:
		spin_lock(&file->f_lock);
		file->f_mode |= FMODE_RANDOM;
		spin_unlock(&file->f_lock);
		return 0;
	case POSIX_FADV_WILLNEED:
		if (offset >= size)
			return 0;
		if (!len || len > size - offset)
			len = size - offset;
		return rmem_mmap_fetch_ahead(m, offset >> m->chunk_shift,
					     ((offset + len - 1) >> m->chunk_shift) -
					     (offset >> m->chunk_shift) + 1);
	case POSIX_FADV_DONTNEED:
	case POSIX_FADV_NOREUSE:
		return 0;
	default:
		return -EINVAL;
	}
}

/**
 * rmem_mmap_stats_get() - an mmap region's cache counters
 * @r: region of type RMEM_REGION_MMAP
 * @st: filled here
 */
void rmem_mmap_stats_get(struct rmem_region *r, struct rmem_mmap_stats *st)
{
	struct rmem_mmap *m = r->front;

	memset(st, 0, sizeof(*st));
	if (!m)
		return;
	st->chunk_size = m->chunk_size;
	st->cache_size = m->budget;
	rmem_mmap_lock(m);
	st->cached = m->cached;
	st->hot = m->nr_hot;
	rmem_mmap_unlock(m);
	st->faults = atomic64_read(&m->faults);
	st->fetches = atomic64_read(&m->fetches);
	st->fetch_errors = atomic64_read(&m->fetch_errors);
	st->evictions = atomic64_read(&m->evictions);
	st->writebacks = atomic64_read(&m->writebacks);
	st->writeback_errors = atomic64_read(&m->writeback_errors);
	st->pmd_maps = atomic64_read(&m->pmd_maps);
	st->prefetches = atomic64_read(&m->prefetches);
	st->drops = atomic64_read(&m->drops);
}

static long rmem_mmap_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct rmem_mmap *m = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct rmem_mmap_stats st;
	u64 first, last;
	int ret;

	switch (cmd) {
	case RMEM_IOC_PREFETCH:
		ret = rmem_mmap_range_get(m, uarg, &first, &last);
		return ret ? ret : rmem_mmap_fetch_ahead(m, first, last - first + 1);
	case RMEM_IOC_DROP:
		ret = rmem_mmap_range_get(m, uarg, &first, &last);
		return ret ? ret : rmem_mmap_walk(m, first, last, false, rmem_walk_drop);
	case RMEM_IOC_STATS:
		rmem_mmap_stats_get(m->region, &st);
		return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations rmem_mmap_fops = {
	.owner = THIS_MODULE,
	.open = rmem_mmap_open,
	.release = rmem_mmap_release,
	.mmap = rmem_mmap_mmap,
	.fsync = rmem_mmap_fsync,
	.fadvise = rmem_mmap_fadvise,
	.unlocked_ioctl = rmem_mmap_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.get_unmapped_area = thp_get_unmapped_area,
	.llseek = noop_llseek,
};

/* ---- regions ---- */

/**
 * rmem_mmap_seal() - make the region read-only (sealed) unless it is open
 * @r: region of type RMEM_REGION_MMAP
 *
 * Checked and set under open_lock, as rmem_mmap_open() checks it: an open
 * for writing either came first (-EBUSY here) or sees the seal (-EROFS).
 * The last close wrote every dirty chunk back: until it has, the region
 * counts as open.
 *
 * Return: 0, or -EBUSY while a file or mapping has it open.
 */
int rmem_mmap_seal(struct rmem_region *r)
{
	struct rmem_mmap *m = r->front;
	int ret = 0;

	if (!m)
		return -ENODEV;
	mutex_lock(&m->open_lock);
	if (m->openers || m->closing)
		ret = -EBUSY;
	else
		WRITE_ONCE(r->sealed, true);
	mutex_unlock(&m->open_lock);
	return ret;
}

/**
 * rmem_mmap_openers() - how many files have the region's device open
 * @r: region of type RMEM_REGION_MMAP
 *
 * Return: the count; a mapping counts as its file, a last close that is
 * still writing the cache back as one too.
 */
unsigned int rmem_mmap_openers(struct rmem_region *r)
{
	struct rmem_mmap *m = r->front;
	unsigned int n;

	if (!m)
		return 0;
	mutex_lock(&m->open_lock);
	n = m->openers + m->closing;
	mutex_unlock(&m->open_lock);
	return n;
}

/**
 * rmem_mmap_check() - validate an mmap region's chunk size and cache budget
 * @slab_size: the region's slab size
 * @size: region size
 * @chunk: bytes per chunk
 * @cache: cache budget in bytes
 * @extack: error report
 *
 * Return: 0 or -EINVAL with a message.
 */
int rmem_mmap_check(u64 slab_size, u64 size, u64 chunk, u64 cache,
		    struct netlink_ext_ack *extack)
{
	if (!is_power_of_2(chunk) || chunk < RMEM_MMAP_CHUNK_MIN || chunk > RMEM_MMAP_CHUNK_MAX) {
		NL_SET_ERR_MSG(extack, "chunk size must be a power of two from 4K to 2M");
		return -EINVAL;
	}
	if (slab_size % chunk) {
		NL_SET_ERR_MSG(extack, "chunk size must divide the slab size");
		return -EINVAL;
	}
	if (size % chunk) {
		NL_SET_ERR_MSG(extack, "region size must be a multiple of the chunk size");
		return -EINVAL;
	}
	if (cache < chunk) {
		NL_SET_ERR_MSG(extack, "cache must hold at least one chunk");
		return -EINVAL;
	}
	if (cache % chunk) {
		NL_SET_ERR_MSG(extack, "cache must be a multiple of the chunk size");
		return -EINVAL;
	}
	return 0;
}

static void rmem_mmap_dev_release(struct device *dev)
{
	kfree(container_of(dev, struct rmem_mmap, dev));
}

/**
 * rmem_mmap_create() - create /dev/rmemN for an mmap region
 * @r: region (id, size, device name set)
 * @chunk: bytes per chunk (checked by rmem_mmap_check())
 * @cache: cache budget in bytes
 * @extack: error report
 *
 * Context: rmem_cfg_lock held.
 * Return: 0 or -errno.
 */
int rmem_mmap_create(struct rmem_region *r, u64 chunk, u64 cache,
		     struct netlink_ext_ack *extack)
{
	struct rmem_mmap *m;
	int ret;

	lockdep_assert_held(&rmem_cfg_lock);
	if (r->id >= RMEM_MMAP_MINORS) {
		NL_SET_ERR_MSG(extack, "too many regions");
		return -ENOSPC;
	}
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	m->region = r;
	m->chunk_size = chunk;
	m->chunk_shift = ilog2(chunk);
	m->chunk_pages = chunk >> PAGE_SHIFT;
	m->budget = cache;
	xa_init(&m->chunks);
	INIT_LIST_HEAD(&m->fresh);
	INIT_LIST_HEAD(&m->armed);
	INIT_LIST_HEAD(&m->active);
	init_waitqueue_head(&m->wq);
	m->ra_last = ULONG_MAX;		/* a first fault on chunk 0 is sequential */
	mutex_init(&m->reclaim_lock);
	mutex_init(&m->open_lock);

	m->inode = alloc_anon_inode(rmem_mmap_mnt->mnt_sb);
	if (IS_ERR(m->inode)) {
		ret = PTR_ERR(m->inode);
		kfree(m);
		return ret;
	}
	/*
	 * Like device-dax: the core mm then offers ->huge_fault PMD faults
	 * (and, the file being a character device, vma_is_fsdax() is false:
	 * long-term pins are allowed).
	 */
	m->inode->i_flags |= S_DAX;
	m->inode->i_size = r->size;

	device_initialize(&m->dev);
	m->dev.class = &rmem_mmap_class;
	m->dev.devt = MKDEV(MAJOR(rmem_mmap_devt), r->id);
	m->dev.release = rmem_mmap_dev_release;
	/* /sys/class/rmem/rmemN/rmem/ (rmem-sysfs.c) */
	m->dev.groups = rmem_region_groups;
	dev_set_drvdata(&m->dev, r);
	ret = dev_set_name(&m->dev, "%s", r->device);
	if (ret)
		goto out_put;
	cdev_init(&m->cdev, &rmem_mmap_fops);
	m->cdev.owner = THIS_MODULE;
	ret = cdev_device_add(&m->cdev, &m->dev);
	if (ret) {
		NL_SET_ERR_MSG(extack, "cannot register the character device");
		goto out_put;
	}
	r->front = m;
	return 0;

out_put:
	iput(m->inode);
	put_device(&m->dev);
	return ret;
}

/**
 * rmem_mmap_destroy() - remove a region's character device
 * @r: region
 * @force: remove even if open (module unload, when nothing can hold it)
 * @extack: error report
 *
 * Dirty chunks are written back first (last close did it already unless
 * @force).
 *
 * Context: rmem_cfg_lock held; sleeps.
 * Return: 0, or -EBUSY while the device is open or mapped.
 */
int rmem_mmap_destroy(struct rmem_region *r, bool force, struct netlink_ext_ack *extack)
{
	struct rmem_mmap *m = r->front;

	lockdep_assert_held(&rmem_cfg_lock);
	if (!m)
		return 0;
	mutex_lock(&m->open_lock);
	if ((m->openers || m->closing) && !force) {
		mutex_unlock(&m->open_lock);
		NL_SET_ERR_MSG(extack,
			       "region is in use (mapped or open): unmap and close it first");
		return -EBUSY;
	}
	m->dead = true;
	mutex_unlock(&m->open_lock);

	rmem_mmap_walk(m, 0, rmem_mmap_last_index(m), false, rmem_walk_drop);
	cdev_device_del(&m->cdev, &m->dev);
	iput(m->inode);
	r->front = NULL;
	put_device(&m->dev);
	return 0;
}

static int rmem_mmap_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, RMEM_MMAP_FS_MAGIC) ? 0 : -ENOMEM;
}

static struct file_system_type rmem_mmap_fs_type = {
	.name = "rmem",
	.init_fs_context = rmem_mmap_init_fs_context,
	.kill_sb = kill_anon_super,
};

/**
 * rmem_mmap_init() - register the character major, class and inode mount
 *
 * Return: 0 or -errno.
 */
int __init rmem_mmap_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&rmem_mmap_devt, 0, RMEM_MMAP_MINORS, "rmem");
	if (ret)
		return ret;
	ret = class_register(&rmem_mmap_class);
	if (ret)
		goto out_unregister_chrdev;
	rmem_mmap_mnt = kern_mount(&rmem_mmap_fs_type);
	if (IS_ERR(rmem_mmap_mnt)) {
		ret = PTR_ERR(rmem_mmap_mnt);
		goto out_unregister_class;
	}
	return 0;

out_unregister_class:
	class_unregister(&rmem_mmap_class);
out_unregister_chrdev:
	unregister_chrdev_region(rmem_mmap_devt, RMEM_MMAP_MINORS);
	return ret;
}

/**
 * rmem_mmap_exit() - undo rmem_mmap_init()
 */
void rmem_mmap_exit(void)
{
	kern_unmount(rmem_mmap_mnt);
	class_unregister(&rmem_mmap_class);
	unregister_chrdev_region(rmem_mmap_devt, RMEM_MMAP_MINORS);
}
