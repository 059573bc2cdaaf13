// SPDX-License-Identifier: GPL-2.0
/*
 * rmem: regions -- the store between front ends and nodes.
 *
 * A region is cut into slab-sized extents; an extent gets a slab on the node
 * rmem_node_pick() prefers the first time a page in it is written. Two bits
 * per 4 KiB page say what a read must return: written (fetch it), lost (the
 * node lost the slab that held it: -EIO), neither (zeros, no network). Loss
 * is noticed lazily: a request for a slab of an older node generation
 * completes with -ESTALE and the extent is detached, its written pages
 * turned into lost ones.
 *
 * Locking: r->lock (spinlock) guards extents and multi-page bitmap walks;
 * r->alloc_lock (mutex) serialises slab allocation and freeing, which sleep.
 * The region list is under rmem_cfg_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <crypto/hash.h>
#include <linux/ctype.h>
#include <linux/highmem.h>
#include <linux/idr.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "rmem.h"

LIST_HEAD(rmem_regions);
static DEFINE_IDA(rmem_region_ida);

#define rregion_err_rl(r, fmt, ...) \
	pr_err_ratelimited("region %s: " fmt, (r)->name, ##__VA_ARGS__)

/**
 * rmem_region_find() - look up a region by name
 * @name: region name
 *
 * Context: rmem_cfg_lock held.
 * Return: the region or NULL.
 */
struct rmem_region *rmem_region_find(const char *name)
{
	struct rmem_region *r;

	lockdep_assert_held(&rmem_cfg_lock);
	list_for_each_entry(r, &rmem_regions, list)
		if (!strcmp(r->name, name))
			return r;
	return NULL;
}

/**
 * rmem_region_count() - number of regions
 *
 * Context: rmem_cfg_lock held.
 * Return: the count.
 */
unsigned int rmem_region_count(void)
{
	struct rmem_region *r;
	unsigned int nr = 0;

	lockdep_assert_held(&rmem_cfg_lock);
	list_for_each_entry(r, &rmem_regions, list)
		nr++;
	return nr;
}

/**
 * rmem_region_nodes() - number of distinct nodes holding the region's slabs
 * @r: region
 *
 * Return: the count.
 */
unsigned int rmem_region_nodes(struct rmem_region *r)
{
	struct rmem_node *seen[8];
	unsigned int i, j, nr = 0;

	spin_lock(&r->lock);
	for (i = 0; i < r->nr_extents; i++) {
		struct rmem_node *n = r->ext[i].node;

		if (!n)
			continue;
		for (j = 0; j < min_t(unsigned int, nr, ARRAY_SIZE(seen)); j++)
			if (seen[j] == n)
				break;
		if (j < min_t(unsigned int, nr, ARRAY_SIZE(seen)))
			continue;
		if (nr < ARRAY_SIZE(seen))
			seen[nr] = n;
		nr++;
	}
	spin_unlock(&r->lock);
	return nr;
}

static bool rmem_region_name_ok(const char *name)
{
	const char *p;

	if (!*name)
		return false;
	for (p = name; *p; p++)
		if (!isalnum(*p) && *p != '_' && *p != '.' && *p != '-')
			return false;
	return true;
}

/*
 * Detach extent @ei; with @lost its written pages become lost. With @put the
 * extent's slabs_used count and node reference go too, else the caller drops
 * them with rmem_slab_put() once it has freed the slab (a node with
 * slabs_used cannot be deleted). r->lock held.
 */
static void rmem_extent_detach(struct rmem_region *r, unsigned int ei, bool lost, bool put)
{
	struct rmem_extent *e = &r->ext[ei];
	unsigned long first = (unsigned long)ei * (r->slab_size >> RMEM_PAGE_SHIFT);
	unsigned long end = min_t(unsigned long, first + (r->slab_size >> RMEM_PAGE_SHIFT),
				  r->size >> RMEM_PAGE_SHIFT);
	unsigned long p;

	lockdep_assert_held(&r->lock);
	if (lost) {
		for (p = find_next_bit(r->written, end, first); p < end;
		     p = find_next_bit(r->written, end, p + 1)) {
			clear_bit(p, r->written);
			set_bit(p, r->lost);
		}
	}
	if (put) {
		rmem_node_slab_unreserve(e->node, e->gen);
		rmem_node_put(e->node);
	}
	atomic_dec(&r->slabs);
	e->node = NULL;
}

/* A request got -ESTALE: if the extent still points at that slab, detach it. */
static void rmem_extent_stale(struct rmem_region *r, unsigned int ei, struct rmem_node *node,
			      u32 slab, u32 gen)
{
	struct rmem_extent *e = &r->ext[ei];

	spin_lock(&r->lock);
	if (e->node == node && e->slab == slab && e->gen == gen) {
		rregion_err_rl(r, "slab %u on node %u (%s) is lost: its pages now fail with EIO\n",
			       slab, node->id, node->name);
		rmem_extent_detach(r, ei, true, true);
	}
	spin_unlock(&r->lock);
}

static bool rmem_extent_is_stale(struct rmem_extent *e)
{
	return e->node && READ_ONCE(e->node->gen) != e->gen;
}

/* Give extent @ei a slab. Sleeps. Returns 0 or -errno. */
static int rmem_extent_map(struct rmem_region *r, unsigned int ei)
{
	struct rmem_extent *e = &r->ext[ei];
	struct rmem_node *node, *skip = NULL;
	unsigned int tries;
	u32 slab, gen;
	int ret = -ENOSPC;

	mutex_lock(&r->alloc_lock);
	spin_lock(&r->lock);
	if (rmem_extent_is_stale(e) && !e->writes)
		rmem_extent_detach(r, ei, true, true);
	if (e->node) {
		spin_unlock(&r->lock);
		mutex_unlock(&r->alloc_lock);
		return rmem_extent_is_stale(e) ? -EAGAIN : 0;
	}
	spin_unlock(&r->lock);

	for (tries = 0; tries < 4; tries++) {
		unsigned int seen = rmem_node_changes();

		node = rmem_node_pick(skip, &gen);
		if (IS_ERR(node)) {
			/* Nodes are reconnecting: wait for one to come back or die. */
			ret = skip ? ret : PTR_ERR(node);
			if (ret == -EAGAIN)
				rmem_node_wait_change(seen, HZ);
			break;
		}
		/* Allocated and recorded with no reconciliation in between. */
		down_read(&rmem_slab_sem);
		ret = rmem_node_slab_alloc(node, gen, &slab);
		if (!ret) {
			spin_lock(&r->lock);
			e->slab = slab;
			e->gen = gen;
			e->node = node;	/* keeps the reservation and the reference */
			spin_unlock(&r->lock);
			up_read(&rmem_slab_sem);
			atomic_inc(&r->slabs);
			break;
		}
		up_read(&rmem_slab_sem);
		rmem_node_slab_unreserve(node, gen);
		if (skip)
			rmem_node_put(skip);
		skip = node;		/* its reference goes with the next skip */
	}
	if (skip)
		rmem_node_put(skip);
	mutex_unlock(&r->alloc_lock);
	if (ret)
		rregion_err_rl(r, "no slab for extent %u: %d\n", ei, ret);
	return ret;
}

/* Zero @len bytes at byte @off of the request's pages. */
static void rmem_bvec_zero(struct bio_vec *bv, unsigned int nr, u32 off, u32 len)
{
	unsigned int i;

	for (i = 0; i < nr && len; i++) {
		u32 n;

		if (off >= bv[i].bv_len) {
			off -= bv[i].bv_len;
			continue;
		}
		n = min(bv[i].bv_len - off, len);
		memzero_page(bv[i].bv_page, bv[i].bv_offset + off, n);
		len -= n;
		off = 0;
	}
}

/*
 * crc32c through the crypto API, as lib/libcrc32c does (which the debug
 * kernel does not build): the CPU's instruction where there is one.
 */
static struct crypto_shash *rmem_crc_tfm;

/**
 * rmem_region_init() - get the crc32c transform
 *
 * Return: 0 or -errno.
 */
int __init rmem_region_init(void)
{
	rmem_crc_tfm = crypto_alloc_shash("crc32c", 0, 0);
	if (IS_ERR(rmem_crc_tfm)) {
		pr_err("no crc32c: %ld\n", PTR_ERR(rmem_crc_tfm));
		return PTR_ERR(rmem_crc_tfm);
	}
	return 0;
}

/**
 * rmem_region_exit() - undo rmem_region_init()
 */
void rmem_region_exit(void)
{
	crypto_free_shash(rmem_crc_tfm);
}

static u32 rmem_crc32c(u32 crc, const void *p, unsigned int len)
{
	SHASH_DESC_ON_STACK(desc, rmem_crc_tfm);
	u32 *ctx = (u32 *)shash_desc_ctx(desc);
	u32 ret;

	desc->tfm = rmem_crc_tfm;
	*ctx = crc;
	crypto_shash_update(desc, p, len);	/* cannot fail for crc32c */
	ret = *ctx;
	barrier_data(ctx);
	return ret;
}

/*
 * crc32c of each 4 KiB page of @io's data. A write stores them in r->csum
 * (the data is stable while it is written: the disk asks for stable
 * writes, and the mmap front end unmaps a chunk first); a read compares
 * the pages r->written says hold data and returns how many differ (*bad:
 * the first one). Segments may start anywhere in a page and span pages.
 */
static unsigned int rmem_io_csum(struct rmem_region *r, const struct rmem_req *io,
				 unsigned long p, bool write, unsigned long *bad)
{
	unsigned int i, done = 0, nbad = 0;
	u32 crc = ~0U;

	for (i = 0; i < io->nr_bvec && done < io->len; i++) {
		const struct bio_vec *bv = &io->bvec[i];
		u32 off = 0;

		while (off < bv->bv_len && done < io->len) {
			u32 at = bv->bv_offset + off;
			struct page *page = nth_page(bv->bv_page, at >> PAGE_SHIFT);
			u32 n = min3(bv->bv_len - off, (u32)PAGE_SIZE - offset_in_page(at),
				     RMEM_PAGE_SIZE - done % RMEM_PAGE_SIZE);
			void *va = kmap_local_page(page);
			unsigned long q = p + done / RMEM_PAGE_SIZE;

			crc = rmem_crc32c(crc, va + offset_in_page(at), n);
			kunmap_local(va);
			off += n;
			done += n;
			if (done % RMEM_PAGE_SIZE)
				continue;
			if (write) {
				WRITE_ONCE(r->csum[q], ~crc);
			} else if (test_bit(q, r->written) && READ_ONCE(r->csum[q]) != ~crc) {
				if (!nbad++)
					*bad = q;
			}
			crc = ~0U;
		}
	}
	return nbad;
}

/* Reads: bad data is an error, never a result. */
static int rmem_region_read_check(struct rmem_region *r, struct rmem_rio *rio)
{
	struct rmem_req *io = &rio->io;
	unsigned int ei = rio->pos / r->slab_size;
	unsigned long p = rio->pos >> RMEM_PAGE_SHIFT, bad = 0;
	unsigned int nbad;
	bool raced;

	if (rio->wseq == ~0U)
		return 0;	/* a write was in flight: either data may come back */
	nbad = rmem_io_csum(r, io, p, false, &bad);
	if (!nbad)
		return 0;
	/* A write that started meanwhile changed the checksums: not bad data. */
	spin_lock(&r->lock);
	raced = r->ext[ei].writes || r->ext[ei].wseq != rio->wseq;
	spin_unlock(&r->lock);
	if (raced)
		return 0;
	atomic64_add(nbad, &r->csum_errors);
	rregion_err_rl(r, "checksum mismatch: %u of %u pages, node %u slab %u (page %lu): EIO\n",
		       nbad, io->len >> RMEM_PAGE_SHIFT, io->node->id, io->slab, bad);
	return -EIO;
}

static void rmem_region_io_done(struct rmem_req *io, int err)
{
	struct rmem_rio *rio = container_of(io, struct rmem_rio, io);
	struct rmem_region *r = rio->region;
	unsigned int ei = rio->pos / r->slab_size;
	unsigned long p = rio->pos >> RMEM_PAGE_SHIFT;
	unsigned long end = p + (io->len >> RMEM_PAGE_SHIFT);
	unsigned long q;
	bool idle;

	if (io->type == RMEM_MSG_WRITE) {
		rmem_fi_delay(&rmem_fi_write_done_ms);
		/*
		 * The pages become written and the write stops being in flight
		 * in one critical section: rmem_region_discard() frees a slab
		 * only when it sees neither, so it never frees one that holds
		 * an acknowledged write.
		 */
		spin_lock(&r->lock);
		if (!err) {
			for (q = p; q < end; q++) {
				set_bit(q, r->written);
				clear_bit(q, r->lost);
			}
		}
		idle = !--r->ext[ei].writes;
		spin_unlock(&r->lock);
		if (idle && wq_has_sleeper(&r->wait))
			wake_up_all(&r->wait);
	}
	if (err == -ESTALE) {
		rmem_extent_stale(r, ei, io->node, io->slab, io->gen);
		err = -EIO;
	}
	if (!err && io->type == RMEM_MSG_READ)
		err = rmem_region_read_check(r, rio);
	rmem_node_put(io->node);
	if (!err && io->type == RMEM_MSG_WRITE) {
		atomic64_add(io->len, &r->write_bytes);
	} else if (!err) {
		/* Pages discarded since they were written read as zeros. */
		for (q = find_next_zero_bit(r->written, end, p); q < end;
		     q = find_next_zero_bit(r->written, end, q + 1))
			rmem_bvec_zero(io->bvec, io->nr_bvec, (q - p) << RMEM_PAGE_SHIFT,
				       RMEM_PAGE_SIZE);
		atomic64_add(io->len, &r->read_bytes);
	}
	if (err)
		atomic64_inc(&r->errors);
	rio->end(rio, err);
}

/**
 * rmem_region_rw() - read or write pages of a region
 * @rio: request; io.type (READ or WRITE), io.len (multiple of 4 KiB),
 *	io.bvec, io.nr_bvec, io.qid, pos and end set by the front end.
 *	[pos, pos + len) must lie inside one slab.
 *
 * Context: process; may sleep to allocate a slab on first write.
 */
void rmem_region_rw(struct rmem_rio *rio)
{
	struct rmem_region *r = rio->region;
	struct rmem_req *io = &rio->io;
	unsigned int ei = rio->pos / r->slab_size;
	unsigned long p = rio->pos >> RMEM_PAGE_SHIFT;
	unsigned long end = p + (io->len >> RMEM_PAGE_SHIFT);
	struct rmem_extent *e = &r->ext[ei];
	int ret;

	io->offset = rio->pos & (r->slab_size - 1);
	io->done = rmem_region_io_done;

	if (io->type == RMEM_MSG_READ) {
		atomic64_inc(&r->reads);
		if (find_next_bit(r->lost, end, p) < end) {
			rregion_err_rl(r, "read of page %lu: its slab was lost\n",
				       find_next_bit(r->lost, end, p));
			atomic64_inc(&r->errors);
			rio->end(rio, -EIO);
			return;
		}
		spin_lock(&r->lock);
		if (find_next_bit(r->written, end, p) >= end || !e->node) {
			spin_unlock(&r->lock);
			rmem_bvec_zero(io->bvec, io->nr_bvec, 0, io->len);
			rio->end(rio, 0);
			return;
		}
		io->slab = e->slab;
		io->gen = e->gen;
		io->node = e->node;
		rio->wseq = e->writes ? ~0U : e->wseq;
		rmem_node_get(io->node);	/* until rmem_region_io_done() */
		spin_unlock(&r->lock);
		rmem_fi_delay(&rmem_fi_submit_ms);
		rmem_node_submit(io->node, io);
		return;
	}

	atomic64_inc(&r->writes);
	for (;;) {
		spin_lock(&r->lock);
		if (e->node && !rmem_extent_is_stale(e)) {
			io->slab = e->slab;
			io->gen = e->gen;
			io->node = e->node;
			rmem_node_get(io->node);	/* until rmem_region_io_done() */
			e->writes++;
			e->wseq++;
			spin_unlock(&r->lock);
			/* After wseq moved: a read racing with this skips its check. */
			rmem_io_csum(r, io, p, true, NULL);
			rmem_node_submit(io->node, io);
			return;
		}
		spin_unlock(&r->lock);
		ret = rmem_extent_map(r, ei);
		if (ret && ret != -EAGAIN) {
			atomic64_inc(&r->errors);
			rio->end(rio, ret);
			return;
		}
		/* A lost slab still has writes in flight: let them finish. */
		if (ret == -EAGAIN)
			wait_event_timeout(r->wait, !READ_ONCE(e->writes), HZ);
	}
}

/**
 * rmem_region_rw_timeout() - a request of rmem_region_rw() waits too long
 * @rio: the request: started by the front end, not yet ended as far as it
 *	knows
 * @timeout_ns: how long its reply may take once sent
 *
 * Once sent, the request belongs to its node, which recovers it
 * (rmem_node_timeout()). Before that it waits for a slab in
 * rmem_region_rw(), and that wait ends by itself (rmem_node_call()).
 *
 * Context: the front end's timeout handler; does not sleep.
 * Return: true when @rio was ended here (with -EIO); false when it is still
 * running and will end exactly once later.
 */
bool rmem_region_rw_timeout(struct rmem_rio *rio, u64 timeout_ns)
{
	struct rmem_node *node;
	bool ended;

	/*
	 * The request's own reference may be dropped by a completion racing
	 * with us: take one of our own, if the node is still there.
	 */
	rcu_read_lock();
	node = READ_ONCE(rio->io.node);
	if (!node || !rmem_node_tryget(node)) {
		rcu_read_unlock();
		return false;
	}
	rcu_read_unlock();
	ended = rmem_node_timeout(node, &rio->io, timeout_ns);
	rmem_node_put(node);
	return ended;
}

/*
 * Give back a slab detached with rmem_extent_detach(..., put = false), then
 * drop the extent's slabs_used count and node reference. A slab the node
 * already lost needs no free: rmem_node_submit() completes it with -ESTALE
 * without sending.
 */
static void rmem_slab_put(struct rmem_node *node, u32 slab, u32 gen)
{
	rmem_node_slab_free(node, slab, gen);
	rmem_node_slab_unreserve(node, gen);
	rmem_node_put(node);
}

/**
 * rmem_region_discard() - forget pages; they read as zeros afterwards
 * @r: region
 * @pos: byte offset, multiple of 4 KiB
 * @len: bytes, multiple of 4 KiB
 *
 * Slabs left with no written page and no write in flight go back to their
 * node.
 *
 * Context: process; sleeps.
 * Return: 0.
 */
int rmem_region_discard(struct rmem_region *r, u64 pos, u64 len)
{
	unsigned long p = pos >> RMEM_PAGE_SHIFT, end = (pos + len) >> RMEM_PAGE_SHIFT;
	unsigned long per = r->slab_size >> RMEM_PAGE_SHIFT;
	unsigned int ei, last;
	unsigned long q;

	atomic64_inc(&r->discards);
	for (q = p; q < end; q++) {
		clear_bit(q, r->written);
		clear_bit(q, r->lost);
	}
	last = (end - 1) / per;
	for (ei = p / per; ei <= last; ei++) {
		unsigned long first = ei * per;
		unsigned long stop = min_t(unsigned long, first + per, r->size >> RMEM_PAGE_SHIFT);
		struct rmem_extent *e = &r->ext[ei];
		struct rmem_node *node;
		u32 slab, gen;

		mutex_lock(&r->alloc_lock);
		down_read(&rmem_slab_sem);	/* detached and freed as one */
		spin_lock(&r->lock);
		if (!e->node || e->writes || find_next_bit(r->written, stop, first) < stop ||
		    find_next_bit(r->lost, stop, first) < stop) {
			spin_unlock(&r->lock);
			up_read(&rmem_slab_sem);
			mutex_unlock(&r->alloc_lock);
			continue;
		}
		node = e->node;
		slab = e->slab;
		gen = e->gen;
		rmem_extent_detach(r, ei, false, false);
		spin_unlock(&r->lock);
		rmem_slab_put(node, slab, gen);
		up_read(&rmem_slab_sem);
		mutex_unlock(&r->alloc_lock);
	}
	return 0;
}

/**
 * rmem_region_mark_lost() - pages whose latest data could not be stored
 * @r: region
 * @pos: byte offset, multiple of 4 KiB
 * @len: bytes, multiple of 4 KiB
 *
 * A front end that failed to write data back calls this so that reads of
 * those pages fail (-EIO) instead of returning older data. A later
 * successful write clears it.
 */
void rmem_region_mark_lost(struct rmem_region *r, u64 pos, u64 len)
{
	unsigned long p, end = (pos + len) >> RMEM_PAGE_SHIFT;

	for (p = pos >> RMEM_PAGE_SHIFT; p < end; p++)
		set_bit(p, r->lost);
}

/**
 * rmem_region_openers() - open handles on the region's device
 * @r: region
 *
 * Return: the count.
 */
unsigned int rmem_region_openers(struct rmem_region *r)
{
	return r->type == RMEM_REGION_MMAP ? rmem_mmap_openers(r) : rmem_blk_openers(r);
}

static int rmem_region_front_destroy(struct rmem_region *r, bool force,
				     struct netlink_ext_ack *extack)
{
	if (r->type == RMEM_REGION_MMAP)
		return rmem_mmap_destroy(r, force, extack);
	return rmem_blk_destroy(r, force, extack);
}

static void rmem_region_free(struct rmem_region *r)
{
	kvfree(r->written);
	kvfree(r->lost);
	kvfree(r->csum);
	kvfree(r->ext);
	ida_free(&rmem_region_ida, r->id);
	kfree(r);
}

/* Return every slab to its node. */
static void rmem_region_release_slabs(struct rmem_region *r)
{
	unsigned int i;

	mutex_lock(&r->alloc_lock);
	for (i = 0; i < r->nr_extents; i++) {
		struct rmem_extent *e = &r->ext[i];
		struct rmem_node *node;
		u32 slab, gen;

		down_read(&rmem_slab_sem);	/* detached and freed as one */
		spin_lock(&r->lock);
		node = e->node;
		slab = e->slab;
		gen = e->gen;
		if (node)
			rmem_extent_detach(r, i, false, false);
		spin_unlock(&r->lock);
		if (node)
			rmem_slab_put(node, slab, gen);
		up_read(&rmem_slab_sem);
	}
	mutex_unlock(&r->alloc_lock);
}

/**
 * rmem_region_node_slabs() - mark the slabs regions hold on a node
 * @node: the node
 * @gen: its current generation (older ones' slabs are gone)
 * @map: bitmap of @nbits slabs; bits of held slabs are set
 * @nbits: the node's slab count
 *
 * Context: rmem_cfg_lock held (the region list), and rmem_slab_sem for
 * writing (no slab on its way into or out of an extent).
 */
void rmem_region_node_slabs(struct rmem_node *node, u32 gen, unsigned long *map, u32 nbits)
{
	struct rmem_region *r;
	unsigned int i;

	lockdep_assert_held(&rmem_cfg_lock);
	lockdep_assert_held_write(&rmem_slab_sem);
	list_for_each_entry(r, &rmem_regions, list) {
		spin_lock(&r->lock);
		for (i = 0; i < r->nr_extents; i++) {
			const struct rmem_extent *e = &r->ext[i];

			if (e->node == node && e->gen == gen && e->slab < nbits)
				__set_bit(e->slab, map);
		}
		spin_unlock(&r->lock);
	}
}

/**
 * rmem_region_add() - create a region and its device
 * @name: unique name
 * @size: bytes, a multiple of 4 KiB, at most RMEM_REGION_MAX_SIZE
 * @type: block or mmap
 * @chunk: mmap region: bytes per chunk, 0 for the default; 0 for block
 * @cache: mmap region: cache budget in bytes, 0 for the default; 0 for block
 * @out: the new region
 * @extack: error report
 *
 * Context: rmem_cfg_lock held.
 * Return: 0 or -errno; on error nothing was created.
 */
int rmem_region_add(const char *name, u64 size, enum rmem_region_type type,
		    u64 chunk, u64 cache, struct rmem_region **out,
		    struct netlink_ext_ack *extack)
{
	unsigned long pages;
	struct rmem_region *r;
	int ret;

	lockdep_assert_held(&rmem_cfg_lock);
	if (!rmem_region_name_ok(name)) {
		NL_SET_ERR_MSG(extack, "region name: use letters, digits, '_', '.' and '-'");
		return -EINVAL;
	}
	if (!size || size % RMEM_PAGE_SIZE) {
		NL_SET_ERR_MSG(extack, "region size must be a non-zero multiple of 4096");
		return -EINVAL;
	}
	if (size > RMEM_REGION_MAX_SIZE) {
		NL_SET_ERR_MSG(extack, "region size above 1 TiB is not supported");
		return -E2BIG;
	}
	if (type == RMEM_REGION_BLOCK && (chunk || cache)) {
		NL_SET_ERR_MSG(extack, "chunk and cache sizes are for mmap regions only");
		return -EINVAL;
	}
	if (type == RMEM_REGION_MMAP) {
		if (!chunk)
			chunk = min_t(u64, RMEM_MMAP_CHUNK_DEFAULT, size & -size);
		if (!cache)
			cache = clamp_t(u64, round_down(size / 4, chunk), chunk, 256ULL << 20);
		ret = rmem_mmap_check((u64)rmem_slab_mb << 20, size, chunk, cache, extack);
		if (ret)
			return ret;
	}
	if (rmem_region_find(name)) {
		NL_SET_ERR_MSG(extack, "a region with this name exists");
		return -EEXIST;
	}

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	ret = ida_alloc(&rmem_region_ida, GFP_KERNEL);
	if (ret < 0) {
		kfree(r);
		return ret;
	}
	r->id = ret;
	strscpy(r->name, name, sizeof(r->name));
	snprintf(r->device, sizeof(r->device),
		 type == RMEM_REGION_MMAP ? "rmem%u" : "rmemblk%u", r->id);
	r->type = type;
	r->size = size;
	r->slab_size = (u64)rmem_slab_mb << 20;
	r->nr_extents = DIV_ROUND_UP_ULL(size, r->slab_size);
	pages = size >> RMEM_PAGE_SHIFT;
	spin_lock_init(&r->lock);
	mutex_init(&r->alloc_lock);
	init_waitqueue_head(&r->wait);
	ret = -ENOMEM;
	r->ext = kvcalloc(r->nr_extents, sizeof(*r->ext), GFP_KERNEL);
	r->written = kvcalloc(BITS_TO_LONGS(pages), sizeof(long), GFP_KERNEL);
	r->lost = kvcalloc(BITS_TO_LONGS(pages), sizeof(long), GFP_KERNEL);
	r->csum = kvcalloc(pages, sizeof(*r->csum), GFP_KERNEL);
	if (!r->ext || !r->written || !r->lost || !r->csum)
		goto out_free;

	if (type == RMEM_REGION_MMAP)
		ret = rmem_mmap_create(r, chunk, cache, extack);
	else
		ret = rmem_blk_create(r, extack);
	if (ret)
		goto out_free;
	list_add_tail(&r->list, &rmem_regions);
	pr_info("region %s: %llu bytes as /dev/%s\n", r->name, r->size, r->device);
	*out = r;
	return 0;

out_free:
	rmem_region_free(r);
	return ret;
}

/**
 * rmem_region_del() - delete an unused region and free its remote memory
 * @name: region name
 * @extack: error report
 *
 * Context: rmem_cfg_lock held; sleeps.
 * Return: 0, -ENOENT, or -EBUSY while the device is open.
 */
int rmem_region_del(const char *name, struct netlink_ext_ack *extack)
{
	struct rmem_region *r = rmem_region_find(name);
	int ret;

	lockdep_assert_held(&rmem_cfg_lock);
	if (!r) {
		NL_SET_ERR_MSG(extack, "no such region");
		return -ENOENT;
	}
	ret = rmem_region_front_destroy(r, false, extack);
	if (ret)
		return ret;
	list_del(&r->list);
	rmem_region_release_slabs(r);
	pr_info("region %s: deleted\n", r->name);
	rmem_region_free(r);
	return 0;
}

/**
 * rmem_region_del_all() - delete every region (module unload)
 *
 * Context: nothing can open a device any more.
 */
void rmem_region_del_all(void)
{
	struct rmem_region *r, *tmp;

	mutex_lock(&rmem_cfg_lock);
	list_for_each_entry_safe(r, tmp, &rmem_regions, list) {
		rmem_region_front_destroy(r, true, NULL);
		list_del(&r->list);
		rmem_region_release_slabs(r);
		rmem_region_free(r);
	}
	mutex_unlock(&rmem_cfg_lock);
}
