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
#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <linux/ctype.h>
#include <linux/highmem.h>
#include <linux/idr.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "rmem.h"
#include "rmem-trace.h"

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
 * rmem_region_usage() - where a region's copies are
 * @r: region
 * @u: out
 */
void rmem_region_usage(struct rmem_region *r, struct rmem_region_usage *u)
{
	unsigned int i, j, k;

	memset(u, 0, sizeof(*u));
	spin_lock(&r->lock);
	for (i = 0; i < r->nr_extents; i++) {
		const struct rmem_extent *e = &r->ext[i];

		if (!e->nr)
			continue;
		u->allocated += min(r->slab_size, r->ext_size - (u64)i * r->slab_size);
		if (e->nr < r->replicas)
			u->degraded++;
		for (k = 0; k < e->nr + e->syncing; k++) {
			u32 id = e->rep[k].node->id;

			for (j = 0; j < u->nr_nodes && u->node_id[j] != id; j++)
				;
			if (j == u->nr_nodes) {
				if (j == ARRAY_SIZE(u->node_id))
					continue;
				u->node_id[j] = id;
				u->nr_nodes++;
			}
			u->node_slabs[j]++;
		}
	}
	spin_unlock(&r->lock);
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

/* The name check of every command that takes a region name, with its message. */
static bool rmem_region_name_check(const char *name, struct netlink_ext_ack *extack)
{
	if (rmem_region_name_ok(name))
		return false;
	NL_SET_ERR_MSG(extack, "region name: use letters, digits, '_', '.' and '-'");
	return true;
}

static bool rmem_rep_stale(const struct rmem_replica *p)
{
	return READ_ONCE(p->node->gen) != p->gen;
}

/* Index of the copy (@node, @slab, @gen) in rep[0..nr + syncing), or -1. */
static int rmem_rep_find(const struct rmem_extent *e, const struct rmem_node *node, u32 slab,
			 u32 gen)
{
	int i;

	for (i = 0; i < e->nr + e->syncing; i++)
		if (e->rep[i].node == node && e->rep[i].slab == slab && e->rep[i].gen == gen)
			return i;
	return -1;
}

/* Whether extent @e has a copy (rep[0..nr)) on @node. r->lock held. */
static bool rmem_extent_rep_on(const struct rmem_extent *e, const struct rmem_node *node)
{
	unsigned int i;

	for (i = 0; i < e->nr; i++)
		if (e->rep[i].node == node)
			return true;
	return false;
}

/*
 * Whether pages [@p, @end) of extent @e overlap the piece the rebuild is
 * copying; such a write makes the rebuild copy that piece again. r->lock
 * held.
 */
static void rmem_extent_copy_conflict(struct rmem_extent *e, unsigned long p, unsigned long end)
{
	if (e->syncing && p < e->copy_end && end > e->copy_start)
		e->copy_conflicts++;
}

static struct workqueue_struct *rmem_rebuild_wq;
/* Writes that may sleep (rmem_write_defer()), and writes sent again. */
static struct workqueue_struct *rmem_write_wq;

static void rmem_region_kick(struct rmem_region *r)
{
	WRITE_ONCE(r->rebuild_kick, true);
	if (!READ_ONCE(r->dying))
		mod_delayed_work(rmem_rebuild_wq, &r->rebuild_work, 0);
}

/*
 * Take copy @i off extent @ei; the rebuild makes a new one. A slab the node
 * still holds goes back through reconciliation (it may be called in any
 * context). Another complete copy remains, or @i is the one being filled.
 * r->lock held.
 */
static void rmem_rep_drop(struct rmem_region *r, unsigned int ei, int i, const char *why)
{
	struct rmem_extent *e = &r->ext[ei];
	struct rmem_replica p = e->rep[i];

	lockdep_assert_held(&r->lock);
	pr_warn_ratelimited("region %s: extent %u: dropped its copy on node %u (%s): %s\n",
			    r->name, ei, p.node->id, p.node->name, why);
	trace_rmem_copy_dropped(r->id, ei, p.node->id, e->nr - (i < e->nr));
	if (i < e->nr) {
		e->rep[i] = e->rep[e->nr - 1];
		if (e->syncing)
			e->rep[e->nr - 1] = e->rep[e->nr];
		e->nr--;
	} else {
		e->syncing = false;
	}
	memset(&e->rep[e->nr + e->syncing], 0, sizeof(e->rep[0]));
	if (!rmem_rep_stale(&p))
		rmem_node_reconcile_later(p.node);	/* it still holds the slab */
	rmem_node_slab_unreserve(p.node, p.gen);
	rmem_node_put(p.node);
	atomic_dec(&r->slabs);
	atomic64_inc(&r->dropped);
	rmem_region_kick(r);
}

/* Extent @ei's pages: [*@first, *@end), the last extent cut at the extents' end. */
static void rmem_extent_pages(const struct rmem_region *r, unsigned int ei,
			      unsigned long *first, unsigned long *end)
{
	unsigned long per = r->slab_size >> RMEM_PAGE_SHIFT;

	*first = (unsigned long)ei * per;
	*end = min_t(unsigned long, *first + per, r->ext_size >> RMEM_PAGE_SHIFT);
}

/*
 * Unmap extent @ei, every copy; with @lost its written pages become lost.
 * With @put each copy's slabs_used count and node reference go too, else
 * the caller drops them with rmem_slab_put() once it has freed the slabs
 * (copies out[0..n), a node with slabs_used cannot be deleted). r->lock
 * held. Returns the number of copies.
 */
static unsigned int rmem_extent_detach(struct rmem_region *r, unsigned int ei, bool lost,
				       bool put, struct rmem_replica *out)
{
	struct rmem_extent *e = &r->ext[ei];
	unsigned int i, n = e->nr + e->syncing;
	unsigned long p, first, end;

	lockdep_assert_held(&r->lock);
	rmem_extent_pages(r, ei, &first, &end);
	if (lost) {
		for (p = find_next_bit(r->written, end, first); p < end;
		     p = find_next_bit(r->written, end, p + 1)) {
			clear_bit(p, r->written);
			set_bit(p, r->lost);
		}
	}
	for (i = 0; i < n; i++) {
		if (put) {
			rmem_node_slab_unreserve(e->rep[i].node, e->rep[i].gen);
			rmem_node_put(e->rep[i].node);
		} else {
			out[i] = e->rep[i];
		}
		memset(&e->rep[i], 0, sizeof(e->rep[i]));
		atomic_dec(&r->slabs);
	}
	e->nr = 0;
	e->syncing = false;
	return n;
}

/*
 * Whether @r's copies outlive our session on their node: an attached
 * region's, or a published one's (ours: rmemd keeps its slabs under its
 * name, and a session of our id may open it again, to write it while it
 * is not sealed: rmem_region_reattach()).
 */
static bool rmem_region_reopens(const struct rmem_region *r)
{
	return r->attached || r->publish;
}

/*
 * Copy @i of extent @ei is lost: another copy takes over; the last one
 * takes the pages with it. r->lock held.
 */
static void rmem_rep_lose(struct rmem_region *r, unsigned int ei, int i)
{
	struct rmem_extent *e = &r->ext[ei];
	struct rmem_node *node = e->rep[i].node;
	u32 slab = e->rep[i].slab;

	if (e->nr > 1 || i == e->nr) {
		rmem_rep_drop(r, ei, i, "the node lost the slab");
		return;
	}
	rregion_err_rl(r, "slab %u on node %u (%s) is lost: its pages now fail with EIO\n",
		       slab, node->id, node->name);
	rmem_extent_detach(r, ei, true, true, NULL);
}

/*
 * A request of copy (@node, @slab, @gen) got -ESTALE: the node lost the
 * slab (rmem_rep_lose()). r->lock held.
 */
static void rmem_rep_stale_locked(struct rmem_region *r, unsigned int ei, struct rmem_node *node,
				  u32 slab, u32 gen)
{
	struct rmem_extent *e = &r->ext[ei];
	int i = rmem_rep_find(e, node, slab, gen);

	if (i < 0)
		return;
	/*
	 * A published region's copy (attached, ours sealed or not:
	 * rmem_region_reopens()): the node may have come back in a new
	 * session, with the published region still there. The rebuild
	 * work opens it again, or loses its pages if it is gone.
	 */
	if (rmem_region_reopens(r) && gen != READ_ONCE(node->gen)) {
		rmem_region_kick(r);
		return;
	}
	rmem_rep_lose(r, ei, i);
}

/* Drop copies of extent @ei that are lost or on a dead node while another remains. */
static void rmem_extent_prune(struct rmem_region *r, unsigned int ei)
{
	struct rmem_extent *e = &r->ext[ei];
	int i;

	lockdep_assert_held(&r->lock);
	for (i = e->nr + e->syncing - 1; i >= 0; i--) {
		struct rmem_replica *p = &e->rep[i];
		enum rmem_node_state st = rmem_node_state_get(p->node);
		bool stale = rmem_rep_stale(p);

		if (!stale && st != RMEM_NODE_DEAD && st != RMEM_NODE_DELETING)
			continue;
		if (e->nr > 1 || i == e->nr)
			rmem_rep_drop(r, ei, i,
				      stale ? "the node lost the slab" : "the node is dead");
	}
}

/*
 * Whether a write to extent @e is in flight, or waits to be sent again:
 * its checksums may be newer than a copy's data. r->lock held.
 */
static bool rmem_extent_writing(const struct rmem_extent *e)
{
	return e->writes || e->resends;
}

/* Any complete copy a write can go to. */
static bool rmem_extent_writable(const struct rmem_extent *e)
{
	unsigned int i;

	for (i = 0; i < e->nr; i++)
		if (!rmem_rep_stale(&e->rep[i]))
			return true;
	return false;
}

/*
 * Drop the node references skip[from..nr) hold, but not those of nodes that
 * gave one of keep[0..nr_keep) (the slab keeps that reference).
 */
static void rmem_skip_put(struct rmem_node **skip, unsigned int from, unsigned int nr,
			  const struct rmem_replica *keep, unsigned int nr_keep)
{
	unsigned int i, k;

	for (i = from; i < nr; i++) {
		for (k = 0; k < nr_keep && keep[k].node != skip[i]; k++)
			;
		if (k == nr_keep)
			rmem_node_put(skip[i]);
	}
}

static int rmem_region_pub_handle(struct rmem_region *r, struct rmem_node *node, u32 gen,
				  u32 *handle);

/*
 * Claim a slab for extent @ei of @r on a node none of skip[0..*nr_skip) is,
 * for @gen (a published region's: its extent there, PUB_ALLOC); the node
 * tried goes into @skip (with its reference when it failed: the caller puts
 * skip[from..]). r->alloc_lock held. Returns 0 with *out set, or -errno.
 */
static int rmem_rep_alloc(struct rmem_region *r, unsigned int ei, struct rmem_node **skip,
			  unsigned int *nr_skip, struct rmem_replica *out)
{
	struct rmem_pub_extent pe;
	struct rmem_node *node;
	u32 slab, gen, handle;
	int ret;

	node = rmem_node_pick(skip, *nr_skip, r->publish, &gen);
	if (IS_ERR(node))
		return PTR_ERR(node);
	skip[(*nr_skip)++] = node;
	if (r->publish) {
		ret = rmem_region_pub_handle(r, node, gen, &handle);
		if (!ret) {
			pe.handle = cpu_to_le32(handle);
			pe.extent = cpu_to_le32(ei);
			ret = rmem_node_slab_alloc(node, gen, &pe, &slab);
		}
	} else {
		ret = rmem_node_slab_alloc(node, gen, NULL, &slab);
	}
	if (ret) {
		rmem_node_slab_unreserve(node, gen);
		return ret;
	}
	out->node = node;	/* keeps the reservation and the reference */
	out->slab = slab;
	out->gen = gen;
	return 0;
}

/* Reconciliations one extent's mapping may run or wait for. */
#define RMEM_MAP_ROUNDS		8

/*
 * Give extent @ei its copies: r->replicas slabs on as many nodes, or as
 * many as have room (at least one; the rebuild adds the others). @adding:
 * @r is being added (rmem_cfg_lock held, @r not listed yet). Sleeps.
 * Returns 0 or -errno.
 */
static int rmem_extent_map(struct rmem_region *r, unsigned int ei, bool adding)
{
	struct rmem_extent *e = &r->ext[ei];
	struct rmem_node *skip[RMEM_MAX_REPLICAS + 4];
	struct rmem_replica got[RMEM_MAX_REPLICAS];
	unsigned int nr_skip = 0, n = 0, i, tries, rounds = 0;
	int ret = -ENOSPC;

	mutex_lock(&r->alloc_lock);
	spin_lock(&r->lock);
	rmem_extent_prune(r, ei);
	if (e->nr && !rmem_extent_writable(e) && !e->writes)
		rmem_extent_detach(r, ei, true, true, NULL);
	if (e->nr) {
		spin_unlock(&r->lock);
		mutex_unlock(&r->alloc_lock);
		return rmem_extent_writable(e) ? 0 : -EAGAIN;
	}
	spin_unlock(&r->lock);

	/* Allocated and recorded with no reconciliation in between. */
	down_read(&rmem_slab_sem);
	for (tries = 0; n < r->replicas && tries < r->replicas + 3 + rounds; tries++) {
		unsigned int seen = rmem_node_changes();

		ret = rmem_rep_alloc(r, ei, skip, &nr_skip, &got[n]);
		if (!ret) {
			n++;
			continue;
		}
		/*
		 * No room for even one copy, or a node refused (a lie, a
		 * reconnect): slabs that lost or lied-about SLAB_ALLOC replies
		 * left claimed on a node may be what fills it. Give them back
		 * now (or wait for whoever is doing it) and try every node
		 * again, while that may have made room.
		 */
		if (!n && ret != -EAGAIN && rounds < RMEM_MAP_ROUNDS) {
			bool again;

			up_read(&rmem_slab_sem);
			again = rmem_node_reconcile_now(adding ? r : NULL, seen);
			down_read(&rmem_slab_sem);
			if (again) {
				rmem_skip_put(skip, 0, nr_skip, got, 0);
				nr_skip = 0;
				rounds++;
				continue;
			}
		}
		if (ret == -ENOSPC || ret == -EAGAIN) {
			/* Nodes are reconnecting: wait for one to come back or die. */
			if (!n && ret == -EAGAIN) {
				up_read(&rmem_slab_sem);
				rmem_node_wait_change(seen, HZ);
				down_read(&rmem_slab_sem);
			}
			break;
		}
	}
	if (n) {
		/* All at once: a write never sees some of them. */
		spin_lock(&r->lock);
		for (i = 0; i < n; i++)
			e->rep[i] = got[i];
		e->nr = n;
		spin_unlock(&r->lock);
		atomic_add(n, &r->slabs);
		ret = 0;
	}
	up_read(&rmem_slab_sem);
	/* Nodes that failed keep no reference; those that gave a slab do. */
	rmem_skip_put(skip, 0, nr_skip, got, n);
	mutex_unlock(&r->alloc_lock);
	if (ret)
		rregion_err_rl(r, "no slab for extent %u: %d\n", ei, ret);
	else if (n < r->replicas)
		rmem_region_kick(r);
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

/* A walk over a request's data, piece by piece (rmem_io_next()). */
struct rmem_io_walk {
	const struct rmem_req *io;
	unsigned int i;		/* bvec */
	u32 off;		/* bytes into it */
	u32 done;		/* bytes of the request walked */
};

/*
 * The next piece of the data: inside one kernel page and one bvec, at most
 * @max bytes. Segments may start anywhere in a page and span pages.
 */
static bool rmem_io_next(struct rmem_io_walk *w, u32 max, struct page **page, u32 *off, u32 *len)
{
	while (w->i < w->io->nr_bvec && w->done < w->io->len) {
		const struct bio_vec *bv = &w->io->bvec[w->i];
		u32 at = bv->bv_offset + w->off;

		if (w->off >= bv->bv_len) {
			w->i++;
			w->off = 0;
			continue;
		}
		*page = nth_page(bv->bv_page, at >> PAGE_SHIFT);
		*off = offset_in_page(at);
		*len = min3(bv->bv_len - w->off, (u32)PAGE_SIZE - *off,
			    min(max, w->io->len - w->done));
		w->off += *len;
		w->done += *len;
		return true;
	}
	return false;
}

/*
 * Same-filled pages (zram's idea): a written page that is one 64-bit word
 * repeated is not sent. A zero page only stops being written; another word
 * goes in r->fill, as a value entry (63 bits) and XA_MARK_0 (its low bit).
 */
static u64 rmem_fill_get(struct rmem_region *r, unsigned long q)
{
	void *v = xa_load(&r->fill, q);

	if (!v)
		return 0;
	return xa_to_value(v) << 1 | xa_get_mark(&r->fill, q, XA_MARK_0);
}

static int rmem_fill_set(struct rmem_region *r, unsigned long q, u64 word, gfp_t gfp)
{
	XA_STATE(xas, &r->fill, q);

	do {
		xas_lock(&xas);
		xas_store(&xas, xa_mk_value(word >> 1));
		if (!xas_error(&xas)) {
			if (word & 1)
				xas_set_mark(&xas, XA_MARK_0);
			else
				xas_clear_mark(&xas, XA_MARK_0);
		}
		xas_unlock(&xas);
	} while (xas_nomem(&xas, gfp));
	return xas_error(&xas);
}

/* Forget the words of pages [p, end): written since, or discarded. */
static void rmem_fill_erase(struct rmem_region *r, unsigned long p, unsigned long end)
{
	unsigned long q;
	void *v;

	if (xa_empty(&r->fill))
		return;
	xa_for_each_range(&r->fill, q, v, p, end - 1)
		xa_erase(&r->fill, q);
}

/*
 * Whether the next 4 KiB page of @w's walk is one 64-bit word repeated
 * (*@word); the walk moves past that page either way. A piece not 8-byte
 * aligned is not looked at. The first and last word of each piece are
 * compared before the rest, so a page of data is let go after a word or two.
 */
static bool rmem_io_page_word(struct rmem_io_walk *w, u64 *word)
{
	bool same = true, first = true;
	struct page *page;
	u32 off, n, k, m;
	u64 v = 0;

	while (rmem_io_next(w, RMEM_PAGE_SIZE - w->done % RMEM_PAGE_SIZE, &page, &off, &n)) {
		if (same && !((off | n) & 7)) {
			const u64 *va = kmap_local_page(page) + off;

			if (first)
				v = va[0];
			first = false;
			m = n / 8 - 1;
			same = va[0] == v && va[m] == v;
			for (k = 1; same && k < m && va[k] == v; k++)
				;
			same = same && k >= m;
			kunmap_local(va);
		} else {
			same = false;
		}
		if (!(w->done % RMEM_PAGE_SIZE))
			break;
	}
	*word = v;
	return same && !first;
}

/*
 * The bvec of @w's request that starts where the walk stands, or -1 when
 * that is inside one.
 */
static int rmem_io_walk_bvec(const struct rmem_io_walk *w)
{
	if (!w->off)
		return w->i;
	if (w->i < w->io->nr_bvec && w->off == w->io->bvec[w->i].bv_len)
		return w->i + 1;
	return -1;
}

/* Fill @len bytes at byte @off of the request's pages with @word repeated. */
static void rmem_bvec_fill(struct bio_vec *bv, unsigned int nr, u32 off, u32 len, u64 word)
{
	u32 phase = 0;	/* @off is a page's start: the word's byte there */
	unsigned int i;

	if (!word) {
		rmem_bvec_zero(bv, nr, off, len);
		return;
	}
	for (i = 0; i < nr && len; i++) {
		u32 boff = off;

		if (boff >= bv[i].bv_len) {
			off -= bv[i].bv_len;
			continue;
		}
		off = 0;
		while (boff < bv[i].bv_len && len) {
			u32 at = bv[i].bv_offset + boff;
			struct page *page = nth_page(bv[i].bv_page, at >> PAGE_SHIFT);
			u32 n = min3(bv[i].bv_len - boff, (u32)PAGE_SIZE - offset_in_page(at), len);
			u8 *va = kmap_local_page(page) + offset_in_page(at);
			u32 k;

			if (!phase && !(n & 7) && IS_ALIGNED((unsigned long)va, 8))
				memset64((u64 *)va, word, n / 8);
			else
				for (k = 0; k < n; k++)
					va[k] = ((u8 *)&word)[(phase + k) & 7];
			kunmap_local(va);
			phase = (phase + n) & 7;
			boff += n;
			len -= n;
		}
	}
}

/*
 * The pages [p, end) of @io (@all: every one; else those that hold no data)
 * read as zeros, or as their same-filled word.
 */
static void rmem_fill_unwritten(struct rmem_region *r, struct rmem_req *io, unsigned long p,
				unsigned long end, bool all)
{
	unsigned long q;

	if (all && xa_empty(&r->fill)) {
		rmem_bvec_zero(io->bvec, io->nr_bvec, 0, io->len);
		return;
	}
	for (q = p; q < end; q++) {
		if (!all) {
			q = find_next_zero_bit(r->written, end, q);
			if (q >= end)
				break;
		}
		rmem_bvec_fill(io->bvec, io->nr_bvec, (q - p) << RMEM_PAGE_SHIFT, RMEM_PAGE_SIZE,
			       rmem_fill_get(r, q));
	}
}

/*
 * crc32c through the crypto API, as lib/libcrc32c does (which the debug
 * kernel does not build): the CPU's instruction where there is one.
 */
static struct crypto_shash *rmem_crc_tfm;

/**
 * rmem_region_init() - get the crc32c transform, the rebuild work queue and
 *	the encryption's bounce pages
 *
 * Return: 0 or -errno.
 */
int __init rmem_region_init(void)
{
	int ret;

	rmem_crc_tfm = crypto_alloc_shash("crc32c", 0, 0);
	if (IS_ERR(rmem_crc_tfm)) {
		pr_err("no crc32c: %ld\n", PTR_ERR(rmem_crc_tfm));
		return PTR_ERR(rmem_crc_tfm);
	}
	/* Its own: a long copy must not hold up reconnects on rmem_wq's rescuer. */
	rmem_rebuild_wq = alloc_workqueue("rmem_rebuild", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!rmem_rebuild_wq) {
		ret = -ENOMEM;
		goto out_crc;
	}
	/* Its own too: a write waiting for a node must not hold up a rebuild. */
	rmem_write_wq = alloc_workqueue("rmem_write", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!rmem_write_wq) {
		ret = -ENOMEM;
		goto out_wq;
	}
	ret = rmem_crypt_init();
	if (ret)
		goto out_wwq;
	return 0;

out_wwq:
	destroy_workqueue(rmem_write_wq);
out_wq:
	destroy_workqueue(rmem_rebuild_wq);
out_crc:
	crypto_free_shash(rmem_crc_tfm);
	return ret;
}

/**
 * rmem_region_exit() - undo rmem_region_init()
 */
void rmem_region_exit(void)
{
	rmem_crypt_exit();
	destroy_workqueue(rmem_write_wq);
	destroy_workqueue(rmem_rebuild_wq);
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
 * the first one).
 */
static unsigned int rmem_io_csum(struct rmem_region *r, const struct rmem_req *io,
				 unsigned long p, bool write, unsigned long *bad)
{
	struct rmem_io_walk w = { .io = io };
	unsigned int nbad = 0;
	struct page *page;
	u32 crc = ~0U;
	u32 off, n;

	while (rmem_io_next(&w, RMEM_PAGE_SIZE - w.done % RMEM_PAGE_SIZE, &page, &off, &n)) {
		void *va = kmap_local_page(page);
		unsigned long q = p + (w.done - n) / RMEM_PAGE_SIZE;

		crc = rmem_crc32c(crc, va + off, n);
		kunmap_local(va);
		if (w.done % RMEM_PAGE_SIZE)
			continue;
		if (write) {
			WRITE_ONCE(r->csum[q], ~crc);
		} else if (test_bit(q, r->written) && READ_ONCE(r->csum[q]) != ~crc) {
			if (!nbad++)
				*bad = q;
		}
		crc = ~0U;
	}
	return nbad;
}

/*
 * Reads: bad data is an error, never a result. With another copy, the bad
 * one is dropped (the rebuild writes a good one) and the read is retried
 * there.
 */
static int rmem_region_read_check(struct rmem_region *r, struct rmem_rio *rio)
{
	struct rmem_req *io = &rio->io;
	unsigned int ei = rio->pos / r->slab_size;
	struct rmem_extent *e = &r->ext[ei];
	unsigned long p = rio->pos >> RMEM_PAGE_SHIFT, bad = 0;
	unsigned int nbad;
	bool raced;
	int i;

	if (rio->wseq == ~0U || !r->csum)
		return 0;	/* a write was in flight, or no checksums */
	nbad = rmem_io_csum(r, io, p, false, &bad);
	if (!nbad)
		return 0;
	/* A write that started meanwhile changed the checksums: not bad data. */
	spin_lock(&r->lock);
	raced = rmem_extent_writing(e) || e->wseq != rio->wseq;
	if (!raced) {
		i = rmem_rep_find(e, io->node, io->slab, io->gen);
		if (i >= 0 && e->nr > 1)
			rmem_rep_drop(r, ei, i, "checksum mismatch: making a new copy");
	}
	spin_unlock(&r->lock);
	if (raced)
		return 0;
	atomic64_add(nbad, &r->csum_errors);
	rregion_err_rl(r, "checksum mismatch: %u of %u pages, node %u slab %u (page %lu)\n",
		       nbad, io->len >> RMEM_PAGE_SHIFT, io->node->id, io->slab, bad);
	rmem_event_region(r, RMEM_EVENT_CSUM_ERROR, io->node, rio->pos, io->len, 0);
	return -EIO;
}

static struct rmem_rio *rmem_rio_of(struct rmem_req *io)
{
	return container_of(io - io->sub, struct rmem_rio, sub[0]);
}

static void rmem_rio_end(struct rmem_rio *rio, int err)
{
	static DEFINE_RATELIMIT_STATE(rs, 5 * HZ, 10);

	rmem_crypt_done(rio);
	if (err) {
		atomic64_inc(&rio->region->errors);
		if (__ratelimit(&rs))
			rmem_event_region(rio->region, RMEM_EVENT_IO_ERROR, NULL, rio->pos,
					  rio->io.len, err);
	}
	WRITE_ONCE(rio->finished, true);
	rio->end(rio, err);
}

static bool rmem_write_park(struct rmem_region *r, struct rmem_req *io, unsigned int ei);
static int rmem_region_reattach(struct rmem_region *r);
static void rmem_region_write_send(struct rmem_rio *rio);

/*
 * Whether @rio is a write to our published region that may still write
 * it: the front end's until the seal, and the seal's own (the trailer),
 * which it writes once the front end is sealed. Such a write waits for a
 * copy of an older session to be opened again, and goes again when its
 * copies' sessions ended under it.
 */
static bool rmem_pub_writing(const struct rmem_region *r, const struct rmem_rio *rio)
{
	return r->publish && (!READ_ONCE(r->sealed) || rio->trailer);
}

/*
 * The longest timeout of the nodes of extent @e's copies (each node's
 * timeout_ms: `node add ... timeout`, or sysfs), node_timeout_ms when it
 * has none: how long a read or write of it may wait for one of them to
 * come back, parked or sent again. r->lock held.
 */
static unsigned int rmem_extent_timeout_ms(const struct rmem_extent *e)
{
	unsigned int i, ms = 0;

	for (i = 0; i < e->nr; i++)
		ms = max(ms, READ_ONCE(e->rep[i].node->timeout_ms));
	return ms ?: READ_ONCE(rmem_node_timeout_ms);
}

/* A read or write starts to wait: its first wait (later ones count from it). */
static void rmem_park_start(struct rmem_rio *rio)
{
	rio->parked_at = jiffies;
	rio->parked = true;
}

/*
 * Whether a parked read or write has waited as long as its extent's
 * nodes allow (rmem_extent_timeout_ms(), read again at every check: a
 * timeout changed meanwhile applies). r->lock held.
 */
static bool rmem_park_expired(const struct rmem_region *r, const struct rmem_rio *rio)
{
	const struct rmem_extent *e = &r->ext[rio->pos / r->slab_size];

	lockdep_assert_held(&r->lock);
	return time_after(jiffies, rio->parked_at + msecs_to_jiffies(rmem_extent_timeout_ms(e)));
}

/* How often one write is sent again (rmem_write_rerun_ok()). */
#define RMEM_WRITE_RERUNS	4

/*
 * Whether a copy of @e that is still there, and current, acknowledged @rio:
 * one that acknowledged it and then left the extent (its node died and the
 * rebuild pruned it) does not count. Another copy's request may meanwhile
 * have failed with its connection (fail-fast, sent while the extent had
 * more than one copy): that copy, perhaps the only one left, may not hold
 * the data, and the write must not end as done on the strength of a copy
 * that is gone. r->lock held.
 */
static bool rmem_write_acked(const struct rmem_rio *rio, const struct rmem_extent *e)
{
	unsigned int k, j;

	for (k = 0; k < rio->nr_sub; k++) {
		if (!rio->acked[k])
			continue;
		for (j = 0; j < e->nr; j++)
			if (e->rep[j].node->id == rio->acked[k] &&
			    e->rep[j].slab == rio->sub[k].slab &&
			    e->rep[j].gen == rio->sub[k].gen && !rmem_rep_stale(&e->rep[j]))
				return true;
	}
	return false;
}

/*
 * Whether a write that no copy still in its extent acknowledged goes
 * again, as a whole (rmem_region_write_send()), to the extent's copies as
 * they are now:
 * - a copy's connection dropped under its request (fail-fast: sent while
 *   the extent had company, which has since gone): sent again, the request
 *   to the copy that is left waits for its node;
 * - a copy acknowledged it and then left the extent or went stale (a
 *   published region's copy may be renewed meanwhile: a new generation);
 * - our published region, not sealed: every copy it went to had its
 *   session end under it (rmemd restarted: the region is opened again
 *   there, or gone, and a new slab is mapped; a node away: its only copy
 *   waits for it). A write issued after that does the same by itself; one
 *   already in flight would otherwise fail and its pages be lost before
 *   the seal. Another region's slab lost that way holds lost pages: its
 *   write fails.
 * For its extent's nodes' timeout at most (rmem_park_expired()), counted
 * from its first parked wait (rmem_write_park()) or resend. r->lock held.
 */
static bool rmem_write_rerun_ok(struct rmem_region *r, struct rmem_rio *rio)
{
	lockdep_assert_held(&r->lock);
	if (r->dying || !rio->rerun || rio->hard || rio->reruns >= RMEM_WRITE_RERUNS)
		return false;
	/* Ours to write but not published: a lost slab's pages are lost. */
	if (rio->stale && !rmem_pub_writing(r, rio))
		return false;
	if (!rio->parked)
		rmem_park_start(rio);
	return !rmem_park_expired(r, rio);
}

/*
 * rmem_write_wq: a write sent again (@rio->resend), or one the block front
 * end could not send without sleeping (rmem_write_defer()). Either may wait
 * for a node's call (a reopen, a new slab); the second, for a rebuild's
 * barrier too (the first passes it: rmem_extent_drain() waits for it). As
 * the reconnect work, under PF_MEMALLOC: the region may be the swap device,
 * and this write may be what reclaim waits for; so no reclaim, and what
 * it allocates (a node's reconciliation) may use the reserves.
 */
static void rmem_region_write_work(struct work_struct *work)
{
	struct rmem_rio *rio = container_of(work, struct rmem_rio, work);
	struct rmem_region *r = rio->region;
	unsigned int noreclaim = memalloc_noreclaim_save();

	if (rio->resend) {
		rio->resend = false;
		pr_warn_ratelimited("region %s: write at %llu sent again (%u): no copy left in its extent acknowledged it\n",
				    r->name, rio->pos, rio->reruns);
		/* A copy still stale waits for the next pass: not a second away. */
		rmem_region_kick(r);
		/* Test only: this work item runs late (debugfs hold_resend). */
		while (READ_ONCE(rmem_fi_hold_resend) && !READ_ONCE(r->dying))
			msleep(20);
	}
	rmem_region_write_send(rio);
	memalloc_noreclaim_restore(noreclaim);
}

static void rmem_write_queue(struct rmem_rio *rio)
{
	if (!rio->in_work) {
		rio->in_work = true;
		INIT_WORK(&rio->work, rmem_region_write_work);
	}
	queue_work(rmem_write_wq, &rio->work);
}

/*
 * A write from ->queue_rq() (@rio->nowait) must not sleep there on what
 * another request moves (a rebuild's barrier, writes in flight draining,
 * a node's call): blk-mq's timeout work waits for every running
 * ->queue_rq() before it looks at expired requests (BLK_MQ_F_BLOCKING), and
 * a request whose reply is lost is recovered only by its timeout. So such
 * a write goes on from rmem_write_wq instead; its timer is reset meanwhile
 * (nothing of it is in flight: rmem_region_rw_timeout()). True: handed
 * over, the caller returns.
 */
static bool rmem_write_defer(struct rmem_rio *rio)
{
	if (!rio->nowait || rio->in_work)
		return false;
	rmem_write_queue(rio);
	return true;
}

/*
 * A sub-request is done with its node: forget the node before dropping the
 * reference. rmem_region_rw_timeout() looks at every sub-request of a
 * request until the request ends, and the node is freed an RCU grace period
 * after its last put: a pointer left behind here could name a node freed
 * long since (a copy that answered, while another copy's reply is lost and
 * the first node is pruned and deleted). A parked sub-request keeps its
 * node: the region's published-region entry holds it (rmem_region_pub_add()).
 */
static void rmem_req_put_node(struct rmem_req *io)
{
	struct rmem_node *node = io->node;

	WRITE_ONCE(io->node, NULL);
	rmem_node_put(node);
}

/* A write's request to one copy completed; the last one ends the write. */
static void rmem_region_write_done(struct rmem_req *io, int err)
{
	struct rmem_rio *rio = rmem_rio_of(io);
	struct rmem_region *r = rio->region;
	unsigned int ei = rio->pos / r->slab_size;
	struct rmem_extent *e = &r->ext[ei];
	unsigned long p = rio->pos >> RMEM_PAGE_SHIFT;
	unsigned long end = p + (io->len >> RMEM_PAGE_SHIFT);
	struct rmem_node *node;
	bool idle, ok, rerun;
	unsigned long q;
	int i;

	atomic_dec(&io->node->inflight);
	spin_lock(&r->lock);
	i = rmem_rep_find(e, io->node, io->slab, io->gen);
	if (err == -ESTALE) {
		rmem_rep_stale_locked(r, ei, io->node, io->slab, io->gen);
		if (rmem_write_park(r, io, ei)) {
			/*
			 * Parked: once the lock is dropped, the stale pass may
			 * send it again, and its completion clear io->node.
			 */
			node = io->node;
			spin_unlock(&r->lock);
			rmem_node_put(node);
			return;
		}
	} else if (err && i >= 0 && (e->nr > 1 || i == e->nr)) {
		/* Never left different from the others: it goes, and is rebuilt. */
		rmem_rep_drop(r, ei, i, err == -ENOTCONN ? "the node is not reachable" :
			      "a write to it failed");
	} else if (!err && i >= 0 && i < e->nr) {
		/* Only a copy still in the extent counts, while it stays there. */
		rio->acked[io->sub] = io->node->id;
	}
	/*
	 * Its copy's session ended under it (stale, unreachable, or the copy
	 * left the extent meanwhile): the write may go again
	 * (rmem_write_rerun_ok()). A write the node refused may not.
	 */
	if (err == -ESTALE || err == -ENOTCONN || (!err && i < 0))
		rio->rerun = true;
	else if (err)
		rio->hard = true;
	if (err == -ESTALE)
		rio->stale = true;
	spin_unlock(&r->lock);
	if (err)
		cmpxchg(&rio->err, 0, err);
	rmem_req_put_node(io);
	if (!atomic_dec_and_test(&rio->pending))
		return;

	rmem_fi_delay(&rmem_fi_write_done_ms);
	/*
	 * The pages become written and the write stops being in flight in one
	 * critical section: rmem_region_discard() frees a slab only when it
	 * sees neither, so it never frees one that holds an acknowledged write.
	 */
	spin_lock(&r->lock);
	ok = rmem_write_acked(rio, e);
	/* Acknowledged only by copies gone or stale since: it goes again. */
	if (!ok && memchr_inv(rio->acked, 0, sizeof(rio->acked)))
		rio->rerun = true;
	if (ok) {
		for (q = p; q < end; q++) {
			set_bit(q, r->written);
			clear_bit(q, r->lost);
		}
	}
	idle = !--e->writes;
	list_del_init(&rio->wlink);
	rmem_extent_copy_conflict(e, p, end);
	rerun = !ok && rmem_write_rerun_ok(r, rio);
	if (rerun)
		e->resends++;	/* until rmem_region_write_send() */
	spin_unlock(&r->lock);
	if (idle && wq_has_sleeper(&r->wait))
		wake_up_all(&r->wait);
	if (ok) {
		/* Written: a same-filled word they had is not what they hold. */
		rmem_fill_erase(r, p, end);
		atomic64_add(rio->io.len, &r->write_bytes);
		rmem_rio_end(rio, 0);
		return;
	}
	if (rerun) {
		/* Not from here: this may be queue_rq, or a node's own work. */
		rio->reruns++;
		rio->resend = true;
		rmem_write_queue(rio);
		return;
	}
	err = READ_ONCE(rio->err);
	rmem_rio_end(rio, !err || err == -ESTALE || err == -ENOTCONN ? -EIO : err);
}

static void rmem_region_read_send(struct rmem_rio *rio);

static void rmem_region_read_retry(struct work_struct *work)
{
	rmem_region_read_send(container_of(work, struct rmem_rio, work));
}

/* Whether a copy of the read's extent was not tried yet. r->lock held. */
static bool rmem_read_untried(struct rmem_rio *rio, const struct rmem_extent *e)
{
	unsigned int i;

	if (rio->nr_tried >= ARRAY_SIZE(rio->tried))
		return false;
	for (i = 0; i < e->nr; i++)
		if (!rmem_node_in(e->rep[i].node, rio->tried, rio->nr_tried))
			return true;
	return false;
}

/*
 * Whether a parked read goes again: its extent has a current copy (one
 * renewed, or another), or none at all, or the read has waited long
 * enough (sent, it fails or finds another copy). Until then it stays:
 * sent to the stale copy only, it would come back at once, and kick the
 * rebuild work into a busy loop. r->lock held.
 */
static bool rmem_read_unpark(struct rmem_region *r, const struct rmem_rio *rio)
{
	const struct rmem_extent *e = &r->ext[rio->pos / r->slab_size];

	lockdep_assert_held(&r->lock);
	return !e->nr || rmem_park_expired(r, rio) || rmem_extent_writable(e);
}

/*
 * A read of a region that reopens (rmem_region_reopens()) met a stale copy
 * on @node: the node came back in a new session, and the rebuild work
 * opens the region there again, renewing the copy, or loses the copy
 * (rmem_region_reattach()). Rather than fail at once (a SIGBUS to a
 * process reading mapped model weights), the read waits for that on
 * r->stale_reads, and is sent again, to any copy, once the work has run
 * (rmem_region_stale_io()); for its extent's nodes' timeout at most
 * (rmem_park_expired()). r->lock held.
 *
 * Return: whether it waits.
 */
static bool rmem_read_park(struct rmem_region *r, struct rmem_rio *rio, unsigned int ei,
			   const struct rmem_node *node)
{
	lockdep_assert_held(&r->lock);
	if (!rmem_region_reopens(r) || r->dying)
		return false;
	if (!rmem_extent_rep_on(&r->ext[ei], node))
		return false;	/* lost there: another copy, or EIO */
	if (rio->parked && rmem_park_expired(r, rio))
		return false;
	/*
	 * The first wait asks for a pass now. A read sent again waits until
	 * its extent has a current copy (rmem_region_stale_io()).
	 */
	if (!rio->parked) {
		rmem_park_start(rio);
		rmem_region_kick(r);
	}
	rio->nr_tried = 0;
	list_add_tail(&rio->park, &r->stale_reads);
	return true;
}

/* Index of extent @e's copy on @node in @slab, of any generation, or -1. */
static int rmem_rep_find_slab(const struct rmem_extent *e, const struct rmem_node *node, u32 slab)
{
	unsigned int i;

	for (i = 0; i < e->nr; i++)
		if (e->rep[i].node == node && e->rep[i].slab == slab)
			return i;
	return -1;
}

/*
 * A write's request @io to a copy of our published region, not sealed,
 * met the copy stale: its node is back in a new session (rmemd ended the
 * old one), and still holds the region under its name. As a read does
 * (rmem_read_park()), it waits on r->stale_writes for the rebuild work to
 * open the region there again (rmem_region_reattach()), and is sent again
 * to the renewed copy; with a read's bound (rmem_park_expired()). A
 * sealed or attached region takes no writes. r->lock held.
 *
 * Return: whether it waits.
 */
static bool rmem_write_park(struct rmem_region *r, struct rmem_req *io, unsigned int ei)
{
	struct rmem_rio *rio = rmem_rio_of(io);

	lockdep_assert_held(&r->lock);
	if (!rmem_pub_writing(r, rio) || r->dying ||
	    rmem_rep_find_slab(&r->ext[ei], io->node, io->slab) < 0)
		return false;	/* lost there: the other copies, or EIO */
	if (rio->parked && rmem_park_expired(r, rio))
		return false;
	if (!rio->parked) {
		rmem_park_start(rio);
		rmem_region_kick(r);
	}
	list_add_tail(&io->entry, &r->stale_writes);
	return true;
}

/*
 * Send again the write requests that waited for their copy to be renewed
 * (rmem_write_park()), once it is, or it is gone, or the wait is over, or
 * (@fail) the region goes: sent with their old generation, those others
 * fail at once (-ESTALE) and end as a failed request to that copy.
 */
static void rmem_region_stale_writes(struct rmem_region *r, bool fail)
{
	struct rmem_req *io, *tmp;
	LIST_HEAD(writes);

	if (list_empty_careful(&r->stale_writes))
		return;
	spin_lock(&r->lock);
	list_for_each_entry_safe(io, tmp, &r->stale_writes, entry) {
		struct rmem_rio *rio = rmem_rio_of(io);
		struct rmem_extent *e = &r->ext[rio->pos / r->slab_size];
		int k = rmem_rep_find_slab(e, io->node, io->slab);

		if (!fail && k >= 0 && rmem_rep_stale(&e->rep[k]) && !rmem_park_expired(r, rio))
			continue;
		if (!fail && k >= 0 && !rmem_rep_stale(&e->rep[k]))
			io->gen = e->rep[k].gen;	/* renewed */
		list_move_tail(&io->entry, &writes);
		rmem_node_get(io->node);	/* until rmem_region_write_done() */
		atomic_inc(&io->node->inflight);
	}
	spin_unlock(&r->lock);
	list_for_each_entry_safe(io, tmp, &writes, entry) {
		list_del_init(&io->entry);
		rmem_node_submit(io->node, io);
	}
}

/*
 * Send the reads that waited for their copies to be opened again and can
 * go (rmem_read_unpark()): to a renewed copy, to another, or to EIO when
 * none is left (@fail: the region goes; they all fail); and the writes
 * (rmem_region_stale_writes()). Rebuild work, on every pass (after the
 * reattach and the prune), which also ends a wait that has lasted too
 * long; rmem_region_stop().
 */
static void rmem_region_stale_io(struct rmem_region *r, bool fail)
{
	struct rmem_rio *rio, *tmp;
	LIST_HEAD(reads);

	rmem_region_stale_writes(r, fail);
	if (list_empty_careful(&r->stale_reads))
		return;
	spin_lock(&r->lock);
	list_for_each_entry_safe(rio, tmp, &r->stale_reads, park)
		if (fail || rmem_read_unpark(r, rio))
			list_move_tail(&rio->park, &reads);
	spin_unlock(&r->lock);
	list_for_each_entry_safe(rio, tmp, &reads, park) {
		list_del_init(&rio->park);
		if (fail)
			rmem_rio_end(rio, -EIO);
		else
			rmem_region_read_send(rio);
	}
}

static void rmem_region_read_done(struct rmem_req *io, int err)
{
	struct rmem_rio *rio = rmem_rio_of(io);
	struct rmem_region *r = rio->region;
	unsigned int ei = rio->pos / r->slab_size;
	unsigned long p = rio->pos >> RMEM_PAGE_SHIFT;
	unsigned long end = p + (io->len >> RMEM_PAGE_SHIFT);
	struct rmem_node *node = io->node;
	bool retry, parked;

	atomic_dec(&node->inflight);
	if (err == -ESTALE) {
		spin_lock(&r->lock);
		rmem_rep_stale_locked(r, ei, node, io->slab, io->gen);
		parked = rmem_read_park(r, rio, ei, node);
		spin_unlock(&r->lock);
		if (parked) {
			rmem_node_put(node);
			return;
		}
		err = -EIO;
	}
	if (!err)
		err = rmem_region_read_check(r, rio);
	if (err) {
		/* Another copy answers at once: no waiting for this node. */
		spin_lock(&r->lock);
		retry = rmem_read_untried(rio, &r->ext[ei]);
		spin_unlock(&r->lock);
		if (retry) {
			rnode_log(pr_warn_ratelimited, node,
				  "region %s: read of %u bytes at %llu failed (%d): trying another copy\n",
				  r->name, io->len, rio->pos, err);
			trace_rmem_read_failover(r->id, rio->pos, io->len, node->id, err);
			rio->err = err;
			rmem_req_put_node(io);
			INIT_WORK(&rio->work, rmem_region_read_retry);
			queue_work(rmem_wq, &rio->work);
			return;
		}
	}
	rmem_req_put_node(io);
	/* The checksums held: decrypt what holds data. */
	if (!err && r->crypt) {
		err = rmem_crypt_read(r->crypt, io, p, r->written, r->attached);
		if (err)
			rregion_err_rl(r, "read at %llu: decryption failed\n", rio->pos);
	}
	if (err) {
		rmem_rio_end(rio, err);
		return;
	}
	/* Pages discarded or same-filled since: zeros or their word. */
	rmem_fill_unwritten(r, io, p, end, false);
	atomic64_add(io->len, &r->read_bytes);
	rmem_rio_end(rio, 0);
}

/*
 * The copy a read goes to: untried, then live, then current (a stale copy,
 * of a node's older session, fails at once), then with the fewest
 * requests in flight, then the lowest latency. r->lock held; -1 if every
 * copy was tried.
 */
static int rmem_read_pick(struct rmem_rio *rio, const struct rmem_extent *e)
{
	int i, best = -1, best_rank = -1;

	for (i = 0; i < e->nr; i++) {
		struct rmem_node *n = e->rep[i].node;
		bool cur = !rmem_rep_stale(&e->rep[i]);
		int rank = cur ? 1 + (rmem_node_state_get(n) == RMEM_NODE_LIVE) : 0;
		struct rmem_node *b;

		if (rmem_node_in(n, rio->tried, rio->nr_tried))
			continue;
		if (rank > best_rank) {
			best = i;
			best_rank = rank;
			continue;
		}
		if (rank < best_rank)
			continue;
		b = e->rep[best].node;
		if (atomic_read(&n->inflight) < atomic_read(&b->inflight) ||
		    (atomic_read(&n->inflight) == atomic_read(&b->inflight) &&
		     atomic64_read(&n->srtt_ns) < atomic64_read(&b->srtt_ns)))
			best = i;
	}
	return best;
}

static void rmem_region_forget(struct rmem_region *r, unsigned long p, unsigned long end);

/* Pages [p, end) stop being written (and lost): they read as unwritten. */
static void rmem_region_unwrite(struct rmem_region *r, unsigned long p, unsigned long end)
{
	unsigned long q;

	for (q = p; q < end; q++) {
		clear_bit(q, r->written);
		clear_bit(q, r->lost);
	}
}

/* Page @q is @word repeated: keep the word (none for zeros). */
static int rmem_fill_keep(struct rmem_region *r, unsigned long q, u64 word)
{
	if (!word) {
		rmem_fill_erase(r, q, q + 1);
		return 0;
	}
	return rmem_fill_set(r, q, word, GFP_NOIO | __GFP_NORETRY | __GFP_NOWARN);
}

/*
 * The pages of a write that are each one repeated word, at its start and
 * at its end, are kept here and not sent: they stop being written (a slab
 * left with none goes back to its node when the whole write is kept, by
 * rmem_region_forget()), and a non-zero word goes in
 * r->fill. What is left of the write is cut down to the pages between
 * them, where a bvec starts (a page of swap or of an mmap chunk is one).
 * Same-filled pages between pages of data are sent: cutting the write
 * there would cost a message more. Where r->fill cannot grow (GFP_NOIO:
 * we may be the swap device) the page is sent as usual; a word set for a
 * page that is sent after all is erased when its write is done.
 *
 * Return: the pages kept; every page of the write when it is done.
 */
static unsigned long rmem_region_write_fill(struct rmem_region *r, struct rmem_rio *rio)
{
	struct rmem_req *io = &rio->io;
	unsigned long p = rio->pos >> RMEM_PAGE_SHIFT;
	unsigned long n = io->len >> RMEM_PAGE_SHIFT;
	struct rmem_io_walk w = { .io = io }, tw = w;
	unsigned long q, head = 0, cut = 0, tq = n;
	int hb = 0, tb = io->nr_bvec, b;
	u64 word;

	for (q = 0; q < n; q++) {
		struct rmem_io_walk at = w;

		if (!rmem_io_page_word(&w, &word)) {
			tq = n;
			tb = io->nr_bvec;
			continue;
		}
		if (head == q) {
			if (rmem_fill_keep(r, p + q, word))
				break;
			head++;
			b = rmem_io_walk_bvec(&w);
			if (b >= 0) {
				cut = head;
				hb = b;
			}
			continue;
		}
		b = rmem_io_walk_bvec(&at);
		if (tq == n && b >= 0) {
			tq = q;
			tb = b;
			tw = at;
		}
	}
	if (head == n) {
		rmem_region_forget(r, p, p + n);
		return n;
	}
	/* The words of the pages at the end: those pages may have changed. */
	for (q = tq; q < n; q++) {
		if (!rmem_io_page_word(&tw, &word) || rmem_fill_keep(r, p + q, word)) {
			tq = n;
			tb = io->nr_bvec;
			break;
		}
	}
	if (!cut && tq == n)
		return 0;
	/* Its slab keeps the pages of data sent now: nothing to give back. */
	rmem_region_unwrite(r, p, p + cut);
	rmem_region_unwrite(r, p + tq, p + n);
	rio->pos += (u64)cut << RMEM_PAGE_SHIFT;
	io->offset = rio->pos & (r->slab_size - 1);
	io->len = (tq - cut) << RMEM_PAGE_SHIFT;
	io->bvec += hb;
	io->nr_bvec = tb - hb;
	return cut + n - tq;
}

static void rmem_region_read_send(struct rmem_rio *rio)
{
	struct rmem_region *r = rio->region;
	struct rmem_req *io = &rio->io;
	unsigned int ei = rio->pos / r->slab_size;
	unsigned long p = rio->pos >> RMEM_PAGE_SHIFT;
	unsigned long end = p + (io->len >> RMEM_PAGE_SHIFT);
	struct rmem_extent *e = &r->ext[ei];
	int i;

	spin_lock(&r->lock);
	if (find_next_bit(r->written, end, p) >= end || !e->nr) {
		spin_unlock(&r->lock);
		/* Lost while a read was retried: the last copy went with them. */
		if (find_next_bit(r->lost, end, p) < end) {
			rmem_rio_end(rio, -EIO);
			return;
		}
		rmem_fill_unwritten(r, io, p, end, true);
		rmem_rio_end(rio, 0);
		return;
	}
	i = rmem_read_pick(rio, e);
	if (i < 0) {
		spin_unlock(&r->lock);
		rmem_rio_end(rio, rio->err ?: -EIO);
		return;
	}
	io->slab = e->rep[i].slab;
	io->gen = e->rep[i].gen;
	WRITE_ONCE(io->node, e->rep[i].node);	/* rmem_region_rw_timeout() */
	rio->tried[rio->nr_tried++] = io->node;
	io->failfast = rmem_read_untried(rio, e);
	rio->wseq = rmem_extent_writing(e) ? ~0U : e->wseq;
	rmem_node_get(io->node);	/* until rmem_region_read_done() */
	atomic_inc(&io->node->inflight);
	spin_unlock(&r->lock);
	rmem_fi_delay(&rmem_fi_submit_ms);
	rmem_node_submit(io->node, io);
}

/**
 * rmem_region_rw() - read or write pages of a region
 * @rio: request; io.type (READ or WRITE), io.len (multiple of 4 KiB),
 *	io.bvec, io.nr_bvec, io.qid, pos and end set by the front end, the
 *	rest zero. [pos, pos + len) must lie inside one slab.
 *
 * A read goes to one copy and is retried on the next if that fails; a write
 * goes to every copy and succeeds when one still in the extent has it (the
 * others are dropped and rebuilt).
 *
 * Context: process; may sleep to allocate a slab on first write, or while
 * the rebuild copies the extent; with @rio->nowait, never for bounce pages.
 * Return: 0: @rio ends through its end(); -EAGAIN (@rio->nowait only): no
 * bounce page to encrypt it into now, nothing sent or counted; the front
 * end makes the request again later (its pages may have been looked at).
 */
int rmem_region_rw(struct rmem_rio *rio)
{
	struct rmem_region *r = rio->region;
	struct rmem_req *io = &rio->io;
	unsigned long p = rio->pos >> RMEM_PAGE_SHIFT;
	unsigned long end = p + (io->len >> RMEM_PAGE_SHIFT);
	unsigned long kept = 0;
	int ret;

	io->offset = rio->pos & (r->slab_size - 1);

	if (io->type == RMEM_MSG_READ) {
		atomic64_inc(&r->reads);
		if (find_next_bit(r->lost, end, p) < end) {
			rregion_err_rl(r, "read of page %lu: its slab was lost\n",
				       find_next_bit(r->lost, end, p));
			rmem_rio_end(rio, -EIO);
			return 0;
		}
		io->done = rmem_region_read_done;
		rmem_region_read_send(rio);
		return 0;
	}

	if (rmem_region_readonly(r) && !rio->trailer) {
		rregion_err_rl(r, "write at %llu refused: the region is read-only\n", rio->pos);
		rmem_rio_end(rio, -EROFS);
		return 0;
	}
	/* A published region's readers read its slabs: every page goes there. */
	if (READ_ONCE(rmem_same_filled) && !r->publish)
		kept = rmem_region_write_fill(r, rio);
	if (kept && kept < end - p) {
		/* The pages of data between those kept. */
		p = rio->pos >> RMEM_PAGE_SHIFT;
		end = p + (io->len >> RMEM_PAGE_SHIFT);
	} else if (kept) {
		end = p;
	}
	/*
	 * Ciphertext in bounce pages from here on: it is what every copy gets.
	 * Not the seal's trailer: an attach reads the salt from it.
	 */
	if (r->crypt && end > p && !rio->trailer) {
		ret = rmem_crypt_write(r->crypt, rio, p, rio->nowait);
		if (ret == -EAGAIN)
			return ret;
		if (ret) {
			rregion_err_rl(r, "write at %llu: encryption failed\n", rio->pos);
			rmem_rio_end(rio, ret);
			return 0;
		}
	}
	atomic64_inc(&r->writes);
	if (kept) {
		atomic64_add(kept, &r->same_filled);
		atomic64_add(kept << RMEM_PAGE_SHIFT, &r->write_bytes);
	}
	if (end == p) {
		rmem_rio_end(rio, 0);
		return 0;
	}
	rmem_region_write_send(rio);
	return 0;
}

/*
 * Send write @rio (its pages of data, ciphertext if encrypted, counted) to
 * every copy of its extent, mapping a slab first if it has none; from
 * rmem_region_rw(), and again from rmem_region_write_work(). It ends
 * through rmem_region_write_done().
 */
static void rmem_region_write_send(struct rmem_rio *rio)
{
	struct rmem_region *r = rio->region;
	struct rmem_req *io = &rio->io;
	unsigned int ei = rio->pos / r->slab_size;
	unsigned long p = rio->pos >> RMEM_PAGE_SHIFT;
	unsigned long end = p + (io->len >> RMEM_PAGE_SHIFT);
	struct rmem_extent *e = &r->ext[ei];
	bool reopened = false, again = rio->reruns;
	unsigned int i, n;
	int ret;

	memset(rio->acked, 0, sizeof(rio->acked));
	rio->err = 0;
	rio->rerun = false;
	rio->stale = false;
	rio->hard = false;
	for (;;) {
		spin_lock(&r->lock);
		/*
		 * A write sent again passes a rebuild's barrier: the barrier
		 * waits for it (rmem_extent_drain()), as for a write in flight,
		 * and a piece it overlaps is copied again.
		 */
		if (e->barrier && !again) {
			spin_unlock(&r->lock);
			if (rmem_write_defer(rio))
				return;
			wait_event(r->wait, !READ_ONCE(e->barrier));
			continue;
		}
		/*
		 * Our unsealed published region's copies, all of an older
		 * session on their nodes: open it there again now, before the
		 * prune would drop them. Copies renewed: written. Not possible
		 * yet (a node not live): the requests wait for it
		 * (rmem_write_park()); not a new slab, which would lose the
		 * extent's pages. Gone from a node (its rmemd restarted): its
		 * copies are lost, a new slab.
		 */
		if (e->nr && !rmem_extent_writable(e) && rmem_pub_writing(r, rio) && !r->dying) {
			if (!reopened) {
				spin_unlock(&r->lock);
				if (rmem_write_defer(rio))
					return;
				rmem_region_reattach(r);
				reopened = true;
				continue;
			}
			break;
		}
		if (e->nr > 1 || e->syncing)
			rmem_extent_prune(r, ei);
		if (e->nr && rmem_extent_writable(e))
			break;
		spin_unlock(&r->lock);
		if (rmem_write_defer(rio))
			return;
		ret = rmem_extent_map(r, ei, false);
		if (ret && ret != -EAGAIN) {
			if (again) {
				spin_lock(&r->lock);
				e->resends--;
				spin_unlock(&r->lock);
				wake_up_all(&r->wait);	/* rmem_extent_drain() */
			}
			rmem_rio_end(rio, ret);
			return;
		}
		/* A lost slab still has writes in flight: let them finish. */
		if (ret == -EAGAIN)
			wait_event_timeout(r->wait, !READ_ONCE(e->writes), HZ);
	}
	/* One request per copy, and one for the copy being filled. */
	n = e->nr + e->syncing;
	for (i = 0; i < n; i++) {
		struct rmem_req *s = &rio->sub[i];

		if (i) {
			s->type = io->type;
			s->len = io->len;
			s->bvec = io->bvec;
			s->nr_bvec = io->nr_bvec;
			s->qid = io->qid;
			s->offset = io->offset;
			s->nozc = io->nozc;
			INIT_LIST_HEAD(&s->entry);
		}
		s->sub = i;
		s->done = rmem_region_write_done;
		s->slab = e->rep[i].slab;
		s->gen = e->rep[i].gen;
		/*
		 * Sent from rmem_write_wq, this may race with the front end's
		 * timeout handler: it must not see an old start as it finds
		 * the node (rmem_node_timeout()).
		 */
		WRITE_ONCE(s->start_ns, ktime_get_ns());
		WRITE_ONCE(s->node, e->rep[i].node);	/* rmem_region_rw_timeout() */
		/* The only complete copy waits for its node; the others do not. */
		s->failfast = e->nr > 1 || i == e->nr;
		rmem_node_get(s->node);		/* until rmem_region_write_done() */
		atomic_inc(&s->node->inflight);
	}
	WRITE_ONCE(rio->nr_sub, n);	/* rmem_region_rw_timeout() */
	atomic_set(&rio->pending, n);
	e->writes++;
	list_add_tail(&rio->wlink, &e->inflight);
	e->wseq++;
	if (again)
		e->resends--;
	rmem_extent_copy_conflict(e, p, end);
	spin_unlock(&r->lock);
	/* After wseq moved: a read racing with this skips its check. */
	rmem_io_csum(r, io, p, true, NULL);
	for (i = 0; i < n; i++)
		rmem_node_submit(rio->sub[i].node, &rio->sub[i]);
}

/**
 * rmem_region_rw_timeout() - a request of rmem_region_rw() waits too long
 * @rio: the request: started by the front end, not yet ended as far as it
 *	knows
 * @timeout_ns: how long its reply may take once sent
 *
 * Once sent, the request belongs to its nodes, which recover it
 * (rmem_node_timeout()). A write that has to wait before it is sent (for a
 * slab, a rebuild's barrier, a reopen) waits on rmem_write_wq
 * (rmem_write_defer()), as one sent again does between its sends: none of
 * its requests is in flight then, so none is aborted, and the wait ends
 * by itself (rmem_node_call(), the rebuild's bounded drain).
 *
 * Context: the front end's timeout handler; does not sleep.
 * Return: true when @rio was ended here (with -EIO); false when it is still
 * running and will end exactly once later.
 */
bool rmem_region_rw_timeout(struct rmem_rio *rio, u64 timeout_ns)
{
	unsigned int i, n = max_t(unsigned int, READ_ONCE(rio->nr_sub), 1);
	bool done = false;

	for (i = 0; i < n; i++) {
		struct rmem_node *node;

		/*
		 * The request's own reference may be dropped by a completion
		 * racing with us: take one of our own, if the node is still
		 * there. A completion clears the pointer before its put
		 * (rmem_req_put_node()), so a node read here under RCU is at
		 * worst on its way to being freed, never freed.
		 */
		rcu_read_lock();
		node = READ_ONCE(rio->sub[i].node);
		if (!node || !rmem_node_tryget(node)) {
			rcu_read_unlock();
			continue;
		}
		rcu_read_unlock();
		done |= rmem_node_timeout(node, &rio->sub[i], timeout_ns);
		rmem_node_put(node);
	}
	return done && READ_ONCE(rio->finished);
}

/*
 * Give back a slab detached with rmem_extent_detach(..., put = false), then
 * drop the extent's slabs_used count and node reference. A published or
 * attached region's slab is not given back: it belongs to the published
 * region on its node. A slab the node
 * already lost needs no free: rmem_node_submit() completes it with -ESTALE
 * without sending.
 */
static void rmem_slab_put(struct rmem_region *r, struct rmem_node *node, u32 slab, u32 gen)
{
	/* A published region's slabs stay with it on the node. */
	if (!r->publish && !r->attached)
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
 * nodes, unless the region was preallocated.
 *
 * Context: process; sleeps.
 * Return: 0, or -EOPNOTSUPP for a published or attached region.
 */
int rmem_region_discard(struct rmem_region *r, u64 pos, u64 len)
{
	unsigned long p = pos >> RMEM_PAGE_SHIFT, end = (pos + len) >> RMEM_PAGE_SHIFT;

	/* Other compute nodes read its slabs: they must hold every byte. */
	if (r->publish || r->attached)
		return -EOPNOTSUPP;
	atomic64_inc(&r->discards);
	rmem_fill_erase(r, p, end);
	rmem_region_forget(r, p, end);
	return 0;
}

/*
 * Whether extent @ei's slabs could go back to their nodes: it has copies,
 * holds no written page, and the region may give slabs back. A hint
 * without r->lock.
 */
static bool rmem_extent_empty(struct rmem_region *r, unsigned int ei)
{
	unsigned long first, stop;

	rmem_extent_pages(r, ei, &first, &stop);
	return READ_ONCE(r->ext[ei].nr) && !r->prealloc && !r->publish && !r->attached &&
	       find_next_bit(r->written, stop, first) >= stop;
}

/*
 * Extent @ei gives its slabs back to their nodes if it holds no written
 * page and no write is in flight (one SLAB_FREE each: it may wait for a
 * reconnecting node). Reap work only.
 */
static void rmem_extent_reap(struct rmem_region *r, unsigned int ei)
{
	struct rmem_extent *e = &r->ext[ei];
	struct rmem_replica reps[RMEM_MAX_REPLICAS + 1];
	unsigned long first, stop;
	unsigned int i, n;

	/* Most extents free nothing: no lock for those. */
	if (!rmem_extent_empty(r, ei))
		return;
	rmem_extent_pages(r, ei, &first, &stop);
	mutex_lock(&r->alloc_lock);
	down_read(&rmem_slab_sem);	/* detached and freed as one */
	spin_lock(&r->lock);
	if (!e->nr || e->writes || e->syncing || r->prealloc ||
	    find_next_bit(r->written, stop, first) < stop ||
	    find_next_bit(r->lost, stop, first) < stop) {
		spin_unlock(&r->lock);
		up_read(&rmem_slab_sem);
		mutex_unlock(&r->alloc_lock);
		return;
	}
	n = rmem_extent_detach(r, ei, false, false, reps);
	spin_unlock(&r->lock);
	/* A write that maps a new slab need not wait for these frees. */
	mutex_unlock(&r->alloc_lock);
	for (i = 0; i < n; i++)
		rmem_slab_put(r, reps[i].node, reps[i].slab, reps[i].gen);
	up_read(&rmem_slab_sem);
}

static void rmem_region_reap_work(struct work_struct *work)
{
	struct rmem_region *r = container_of(work, struct rmem_region, reap_work);
	unsigned int ei, noio;

	/* The region may be the swap device: no reclaim that waits on it. */
	noio = memalloc_noio_save();
	for (ei = 0; ei < r->nr_extents && !READ_ONCE(r->dying); ei++) {
		rmem_extent_reap(r, ei);
		cond_resched();
	}
	memalloc_noio_restore(noio);
}

/*
 * Pages [p, end) hold no data any more (discarded, or same-filled): they
 * stop being written. A slab left with no written page and no write in
 * flight goes back to its node, unless the region was preallocated: from
 * the reap work, since the caller may be queue_rq in anyone's direct
 * reclaim, which must never wait for a node (a free waits for its reply,
 * and for a reconnect).
 */
static void rmem_region_forget(struct rmem_region *r, unsigned long p, unsigned long end)
{
	unsigned long per = r->slab_size >> RMEM_PAGE_SHIFT;
	unsigned int ei, last;

	rmem_region_unwrite(r, p, end);
	last = (end - 1) / per;
	for (ei = p / per; ei <= last; ei++) {
		if (!rmem_extent_empty(r, ei))
			continue;
		spin_lock(&r->lock);	/* not queued once the region is dying */
		if (!r->dying)
			queue_work(rmem_rebuild_wq, &r->reap_work);
		spin_unlock(&r->lock);
		break;
	}
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
	rmem_crypt_free(r->crypt);
	xa_destroy(&r->fill);
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
	unsigned int i, k, n;

	mutex_lock(&r->alloc_lock);
	for (i = 0; i < r->nr_extents; i++) {
		struct rmem_replica reps[RMEM_MAX_REPLICAS + 1];

		down_read(&rmem_slab_sem);	/* detached and freed as one */
		spin_lock(&r->lock);
		n = rmem_extent_detach(r, i, false, false, reps);
		spin_unlock(&r->lock);
		for (k = 0; k < n; k++)
			rmem_slab_put(r, reps[k].node, reps[k].slab, reps[k].gen);
		up_read(&rmem_slab_sem);
	}
	mutex_unlock(&r->alloc_lock);
}

/* Set the bits of the slabs @r holds on @node in generation @gen. */
static void rmem_region_slabs_on(struct rmem_region *r, const struct rmem_node *node, u32 gen,
				 unsigned long *map, u32 nbits)
{
	unsigned int i, k;

	spin_lock(&r->lock);
	for (i = 0; i < r->nr_extents; i++) {
		const struct rmem_extent *e = &r->ext[i];

		for (k = 0; k < e->nr + e->syncing; k++)
			if (e->rep[k].node == node && e->rep[k].gen == gen &&
			    e->rep[k].slab < nbits)
				__set_bit(e->rep[k].slab, map);
	}
	spin_unlock(&r->lock);
}

/**
 * rmem_region_node_slabs() - mark the slabs regions hold on a node
 * @node: the node
 * @gen: its current generation (older ones' slabs are gone)
 * @unlisted: a region being added (not yet on the list), or NULL
 * @map: bitmap of @nbits slabs; bits of held slabs are set
 * @nbits: the node's slab count
 *
 * Context: rmem_cfg_lock held (the region list), and rmem_slab_sem for
 * writing (no slab on its way into or out of an extent).
 */
void rmem_region_node_slabs(struct rmem_node *node, u32 gen, struct rmem_region *unlisted,
			    unsigned long *map, u32 nbits)
{
	struct rmem_region *r;

	lockdep_assert_held(&rmem_cfg_lock);
	lockdep_assert_held_write(&rmem_slab_sem);
	list_for_each_entry(r, &rmem_regions, list)
		rmem_region_slabs_on(r, node, gen, map, nbits);
	if (unlisted)
		rmem_region_slabs_on(unlisted, node, gen, map, nbits);
}

/**
 * rmem_region_debug_show() - each mapped extent's copies, for debugfs
 * @m: the file
 *
 * Context: rmem_cfg_lock held.
 */
void rmem_region_debug_show(struct seq_file *m)
{
	struct rmem_region *r;
	unsigned int i, k;

	lockdep_assert_held(&rmem_cfg_lock);
	list_for_each_entry(r, &rmem_regions, list) {
		for (i = 0; i < r->nr_extents; i++) {
			u32 id[RMEM_MAX_REPLICAS + 1], slab[RMEM_MAX_REPLICAS + 1];
			unsigned int nr, n;

			spin_lock(&r->lock);
			nr = r->ext[i].nr;
			n = nr + r->ext[i].syncing;
			for (k = 0; k < n; k++) {
				id[k] = r->ext[i].rep[k].node->id;
				slab[k] = r->ext[i].rep[k].slab;
			}
			spin_unlock(&r->lock);
			if (!n)
				continue;
			seq_printf(m, "%s %u", r->name, i);
			for (k = 0; k < n; k++)
				seq_printf(m, " %s%u:%u", k >= nr ? "+" : "", id[k], slab[k]);
			seq_putc(m, '\n');
		}
	}
}

/* ---- rebuild: back to r->replicas copies, and off draining nodes ---- */

/* Bytes copied at a time (one request); new writes to the extent wait meanwhile. */
#define RMEM_REBUILD_PIECE	RMEM_MSG_MAX_IO
#define RMEM_REBUILD_PAGES	(RMEM_REBUILD_PIECE / PAGE_SIZE)
/* How often a region looks for node changes (dead, draining). */
#define RMEM_REBUILD_POLL	HZ
#define RMEM_NOROOM_RETRY	(5 * HZ)

struct rmem_rebuild_buf {
	struct page *page[RMEM_REBUILD_PAGES];
	struct bio_vec bvec[RMEM_REBUILD_PAGES];
};

static void rmem_rebuild_buf_free(struct rmem_rebuild_buf *b)
{
	unsigned int i;

	for (i = 0; i < RMEM_REBUILD_PAGES; i++)
		if (b->page[i])
			__free_page(b->page[i]);
	kfree(b);
}

/* Called under memalloc_noio_save(): the region may be swapped to. */
static struct rmem_rebuild_buf *rmem_rebuild_buf_alloc(void)
{
	struct rmem_rebuild_buf *b = kzalloc(sizeof(*b), GFP_KERNEL | __GFP_NOWARN);
	unsigned int i;

	if (!b)
		return NULL;
	for (i = 0; i < RMEM_REBUILD_PAGES; i++) {
		b->page[i] = alloc_page(GFP_KERNEL | __GFP_NOWARN);
		if (!b->page[i]) {
			rmem_rebuild_buf_free(b);
			return NULL;
		}
		bvec_set_page(&b->bvec[i], b->page[i], PAGE_SIZE, 0);
	}
	return b;
}

static int rmem_piece_io(const struct rmem_replica *p, u8 type, u64 off, u32 len,
			 struct rmem_rebuild_buf *b, bool failfast)
{
	struct rmem_req io = {
		.type = type,
		.slab = p->slab,
		.gen = p->gen,
		.offset = off,
		.len = len,
		.bvec = b->bvec,
		.nr_bvec = DIV_ROUND_UP(len, PAGE_SIZE),
		.failfast = failfast,
	};

	return rmem_node_call(p->node, &io);
}

/*
 * Copy [@off, @off + @len) of extent @ei from a complete copy whose
 * checksums hold to the copy being filled, @to. Writes to the extent are
 * checked by the caller (rmem_extent_copy(); @c: its conflict count when
 * the piece started). -EAGAIN: a write raced with the read (the checksums
 * do not say anything then): copy the piece again.
 */
static int rmem_piece_copy(struct rmem_region *r, unsigned int ei, u64 off, u32 len,
			   struct rmem_rebuild_buf *b, const struct rmem_replica *to, u32 c)
{
	struct rmem_extent *e = &r->ext[ei];
	struct rmem_node *tried[RMEM_MAX_REPLICAS + 1];
	unsigned long p = ((u64)ei * r->slab_size + off) >> RMEM_PAGE_SHIFT, bad;
	unsigned int nr_tried = 0, nbad;
	struct rmem_replica src;
	int i, ret = -EIO;

	while (nr_tried < ARRAY_SIZE(tried)) {
		struct rmem_req chk = { .len = len, .bvec = b->bvec,
					.nr_bvec = DIV_ROUND_UP(len, PAGE_SIZE) };
		bool others;

		spin_lock(&r->lock);
		for (i = 0; i < e->nr; i++)
			if (!rmem_node_in(e->rep[i].node, tried, nr_tried) &&
			    rmem_node_state_get(e->rep[i].node) == RMEM_NODE_LIVE)
				break;
		if (i == e->nr) {
			spin_unlock(&r->lock);
			break;
		}
		src = e->rep[i];
		others = e->nr > 1;
		rmem_node_get(src.node);
		spin_unlock(&r->lock);
		tried[nr_tried++] = src.node;

		ret = rmem_piece_io(&src, RMEM_MSG_READ, off, len, b, others);
		nbad = ret ? 0 : rmem_io_csum(r, &chk, p, false, &bad);
		if (nbad) {
			bool raced;

			/* A write in flight, or one that overlapped: not bad data. */
			spin_lock(&r->lock);
			raced = rmem_extent_writing(e) || e->copy_conflicts != c;
			spin_unlock(&r->lock);
			if (raced) {
				rmem_node_put(src.node);
				return -EAGAIN;
			}
			atomic64_add(nbad, &r->csum_errors);
			rregion_err_rl(r, "rebuild: bad checksum: %u pages on node %u (page %lu)\n",
				       nbad, src.node->id, bad);
			spin_lock(&r->lock);
			i = rmem_rep_find(e, src.node, src.slab, src.gen);
			if (i >= 0 && e->nr > 1)
				rmem_rep_drop(r, ei, i, "checksum mismatch: making a new copy");
			spin_unlock(&r->lock);
			ret = -EIO;
		}
		rmem_node_put(src.node);
		if (!ret)
			break;
	}
	if (ret)
		return ret;
	return rmem_piece_io(to, RMEM_MSG_WRITE, off, len, b, true);
}

/*
 * Whether a write in flight overlaps pages [@p, @end) of extent @e. One that
 * was sent before the rebuild started copying that piece and is not done
 * yet was counted by neither end (rmem_extent_copy_conflict()): it may
 * have reached the copy being filled before the piece did, and the copy it
 * was read from after, so the piece holds its old data. r->lock held.
 */
static bool rmem_extent_writes_on(struct rmem_region *r, const struct rmem_extent *e,
				  unsigned long p, unsigned long end)
{
	const struct rmem_rio *rio;

	lockdep_assert_held(&r->lock);
	list_for_each_entry(rio, &e->inflight, wlink) {
		unsigned long q = rio->pos >> RMEM_PAGE_SHIFT;

		if (q < end && q + (rio->io.len >> RMEM_PAGE_SHIFT) > p)
			return true;
	}
	return false;
}

/* Copies a piece tries before it holds writes off (e->barrier) to finish. */
#define RMEM_REBUILD_TRIES	4

/* Set the piece being copied ([0, 0): none); returns the conflict count. */
static u32 rmem_extent_copy_range(struct rmem_region *r, struct rmem_extent *e,
				  unsigned long p, unsigned long end, bool barrier)
{
	u32 c;

	spin_lock(&r->lock);
	e->copy_start = p;
	e->copy_end = end;
	e->barrier = barrier;
	c = e->copy_conflicts;
	spin_unlock(&r->lock);
	return c;
}

/* No write to extent @e in flight or to be sent again (rmem_extent_writing()). */
static bool rmem_extent_quiet(struct rmem_region *r, const struct rmem_extent *e)
{
	bool quiet;

	/* Both counts of one moment: a resend moves one to the other. */
	spin_lock(&r->lock);
	quiet = !rmem_extent_writing(e);
	spin_unlock(&r->lock);
	return quiet;
}

/*
 * Wait for the extent's writes in flight, and those to be sent again,
 * while new ones wait (e->barrier), for io_timeout_s at most. A write to be
 * sent again passes the barrier; until it is sent, a copy may lack it while
 * its checksum is already the new one, so a piece it overlaps could never
 * be copied clean (and while it waited on the barrier, the rebuild held
 * the barrier for good). A write whose reply is lost completes only when
 * blk-mq's timeout work runs, and that work waits for every ->queue_rq() in
 * progress (BLK_MQ_F_BLOCKING), one of which may be a write asleep on our
 * barrier. So give up instead (-ETIMEDOUT): the copy is dropped and made
 * again later.
 */
static int rmem_extent_drain(struct rmem_region *r, struct rmem_extent *e)
{
	if (!wait_event_timeout(r->wait, rmem_extent_quiet(r, e), rmem_io_timeout()))
		return -ETIMEDOUT;
	return 0;
}

/*
 * Fill the copy being made, @to, piece by piece, at rebuild_mbps at most.
 *
 * Writes go on meanwhile, to @to as well: a write that starts or completes
 * while a piece is copied and overlaps it may have reached @to before the
 * piece's older data did, so the piece is copied again. After
 * RMEM_REBUILD_TRIES such tries, new writes to the extent wait (e->barrier)
 * while the piece is copied once more, after the writes in flight and those
 * to be sent again (which pass the barrier) are done; until no write
 * overlapped it.
 */
static int rmem_extent_copy(struct rmem_region *r, unsigned int ei, struct rmem_rebuild_buf *b,
			    const struct rmem_replica *to)
{
	struct rmem_extent *e = &r->ext[ei];
	u64 base = (u64)ei * r->slab_size;
	u64 size = min(r->slab_size, r->ext_size - base), off;
	unsigned int tries;
	int ret = 0;

	/*
	 * Every write sent from now on reaches @to as well; wait once for
	 * those in flight, which may not. After that a page that is not
	 * written needs no copy (it reads as zeros from the page map).
	 */
	rmem_extent_copy_range(r, e, 0, 0, true);
	ret = rmem_extent_drain(r, e);
	rmem_extent_copy_range(r, e, 0, 0, false);
	wake_up_all(&r->wait);

	for (off = 0; off < size && !ret; off += RMEM_REBUILD_PIECE) {
		u32 len = min_t(u64, RMEM_REBUILD_PIECE, size - off);
		unsigned long p = (base + off) >> RMEM_PAGE_SHIFT;
		unsigned long end = p + (len >> RMEM_PAGE_SHIFT);
		unsigned int mbps = READ_ONCE(rmem_rebuild_mbps);
		u64 t0 = ktime_get_ns(), want;
		bool barrier = false, clean = false;
		u32 c;

		for (tries = 0; !clean && !ret; tries++) {
			if (READ_ONCE(r->dying)) {
				ret = -ECANCELED;	/* the barrier goes below */
				break;
			}
			barrier = tries >= RMEM_REBUILD_TRIES;
			c = rmem_extent_copy_range(r, e, p, end, barrier);
			if (barrier) {
				ret = rmem_extent_drain(r, e);
				if (ret)
					break;
				/* The writes that ended meanwhile are done: none overlap. */
				c = rmem_extent_copy_range(r, e, p, end, true);
			}
			if (find_next_bit(r->written, end, p) >= end) {
				len = 0;
				clean = true;
				break;
			}
			ret = rmem_piece_copy(r, ei, off, len, b, to, c);
			trace_rmem_rebuild(r->id, ei, to->node->id, off, len, ret);
			spin_lock(&r->lock);
			/* Under the barrier too: a write sent again passes it. */
			clean = !ret && e->copy_conflicts == c &&
				!rmem_extent_writes_on(r, e, p, end);
			if (ret == -EAGAIN)
				ret = 0;	/* raced with a write: again */
			if (rmem_rep_find(e, to->node, to->slab, to->gen) != e->nr)
				ret = ret ?: -ECANCELED;	/* @to was dropped */
			spin_unlock(&r->lock);
		}
		rmem_extent_copy_range(r, e, 0, 0, false);
		if (barrier)
			wake_up_all(&r->wait);
		if (ret)
			break;
		atomic64_add(len, &r->rebuild_bytes);
		if (!mbps || !len)
			continue;
		want = div_u64((u64)len * 1000, mbps);	/* ns at mbps MB/s */
		if (ktime_get_ns() - t0 < want)
			usleep_range(div_u64(want - (ktime_get_ns() - t0), 1000) + 1,
				     div_u64(want, 1000) + 10);
	}
	return ret;
}

/*
 * Make @to, a new slab of extent @ei, the copy being made (e->syncing,
 * after its complete copies), if the extent still has a copy to fill it
 * from and room for one more: 0. Else @to's slab is given back
 * (rmem_slab_put()) and -ECANCELED returned. The extent takes over @to's
 * node reference and slab reservation.
 */
static int rmem_extent_add_syncing(struct rmem_region *r, unsigned int ei,
				   const struct rmem_replica *to)
{
	struct rmem_extent *e = &r->ext[ei];
	bool ok;

	spin_lock(&r->lock);
	ok = e->nr && !e->syncing && e->nr < ARRAY_SIZE(e->rep);
	if (ok) {
		e->rep[e->nr] = *to;
		e->syncing = true;
		atomic_inc(&r->slabs);
	}
	spin_unlock(&r->lock);
	if (ok)
		return 0;
	rmem_slab_put(r, to->node, to->slab, to->gen);
	return -ECANCELED;
}

/*
 * Fill @to, the copy of extent @ei being made (rmem_extent_add_syncing()),
 * and make it one of them; when that fails it is
 * dropped (@why says why in the log). Returns with r->lock held: 0, or
 * -errno (-ECANCELED: it was dropped meanwhile, its node dead).
 */
static int rmem_extent_fill(struct rmem_region *r, unsigned int ei, struct rmem_rebuild_buf *b,
			    const struct rmem_replica *to, const char *why)
	__acquires(&r->lock)
{
	struct rmem_extent *e = &r->ext[ei];
	int i, ret;

	ret = rmem_extent_copy(r, ei, b, to);
	spin_lock(&r->lock);
	i = rmem_rep_find(e, to->node, to->slab, to->gen);
	if (i >= 0 && i == e->nr && e->syncing) {
		if (ret) {
			rmem_rep_drop(r, ei, i, ret == -ETIMEDOUT ?
				      "writes in flight outlived io_timeout_s: trying again" : why);
		} else {
			e->syncing = false;
			e->nr++;
		}
	} else if (!ret) {
		ret = -ECANCELED;
	}
	return ret;
}

/*
 * One extent: drop copies on dead nodes, then make one more copy if it has
 * fewer than r->replicas, or one of them is on a draining node (which then
 * goes). Returns 0 when there is nothing (more) to do now, 1 after a copy,
 * -errno when it must be tried again later.
 */
static int rmem_extent_rebuild(struct rmem_region *r, unsigned int ei, struct rmem_rebuild_buf *b)
{
	struct rmem_extent *e = &r->ext[ei];
	struct rmem_node *skip[RMEM_MAX_REPLICAS + 4];
	unsigned int nr_skip = 0, held, i, tries;
	struct rmem_replica to = {};
	bool move = false;
	int ret = -ENOSPC;

	spin_lock(&r->lock);
	rmem_extent_prune(r, ei);
	/*
	 * Published and attached regions get no new copies: a copy made or
	 * moved here would not be the published region's on its node.
	 */
	if (!e->nr || e->syncing || r->publish || r->attached) {
		spin_unlock(&r->lock);
		return 0;
	}
	/* Nothing to copy from while no copy's node is live: later. */
	for (i = 0; i < e->nr; i++)
		if (rmem_node_state_get(e->rep[i].node) == RMEM_NODE_LIVE &&
		    !rmem_rep_stale(&e->rep[i]))
			break;
	if (i == e->nr) {
		spin_unlock(&r->lock);
		return e->nr < r->replicas ? -EAGAIN : 0;
	}
	for (i = 0; i < e->nr; i++) {
		skip[nr_skip] = e->rep[i].node;
		rmem_node_get(skip[nr_skip++]);
		move |= READ_ONCE(e->rep[i].node->draining);
	}
	spin_unlock(&r->lock);
	held = nr_skip;
	if (e->nr >= r->replicas && !move) {
		ret = 0;
		goto out_put;
	}

	mutex_lock(&r->alloc_lock);
	down_read(&rmem_slab_sem);	/* allocated and recorded as one */
	for (tries = 0; tries < 3; tries++) {
		ret = rmem_rep_alloc(r, ei, skip, &nr_skip, &to);
		if (!ret || ret == -ENOSPC || ret == -EAGAIN)
			break;
	}
	if (!ret)
		ret = rmem_extent_add_syncing(r, ei, &to);
	up_read(&rmem_slab_sem);
	mutex_unlock(&r->alloc_lock);
	if (ret)
		goto out_put;	/* -ENOSPC: the caller says it once */

	ret = rmem_extent_fill(r, ei, b, &to, "the rebuild failed: trying again");
	if (!ret) {
		atomic64_inc(&r->rebuilds);
		ret = 1;
		/* Moved: the copy on the draining node goes. */
		for (i = 0; i < e->nr && e->nr > r->replicas; i++)
			if (READ_ONCE(e->rep[i].node->draining)) {
				rmem_rep_drop(r, ei, i, "moved off a draining node");
				break;
			}
	}
	spin_unlock(&r->lock);
out_put:
	/* The copies' nodes, and nodes that failed; not the one that gave @to. */
	rmem_skip_put(skip, 0, held, NULL, 0);
	rmem_skip_put(skip, held, nr_skip, &to, to.node ? 1 : 0);
	return ret;
}

/* Tell listeners when the region becomes degraded, and when it is whole again. */
static void rmem_region_degraded_event(struct rmem_region *r)
{
	struct rmem_region_usage u;

	rmem_region_usage(r, &u);
	if (u.degraded && !r->ev_degraded)
		rmem_event_region(r, RMEM_EVENT_REGION_DEGRADED, NULL, 0, 0, u.degraded);
	else if (!u.degraded && r->ev_degraded)
		rmem_event_region(r, RMEM_EVENT_REGION_REBUILT, NULL, 0, 0, 0);
	r->ev_degraded = u.degraded;
}

static void rmem_region_rebuild_work(struct work_struct *work)
{
	struct rmem_region *r = container_of(to_delayed_work(work), struct rmem_region,
					     rebuild_work);
	unsigned int seen = rmem_node_changes(), ei, noio, noroom = 0;
	struct rmem_rebuild_buf *b;
	bool again = false;
	int ret;

	/* Room comes back with a node (a change) or a freed slab (no change). */
	if (!READ_ONCE(r->rebuild_kick) && seen == r->rebuild_seen &&
	    !(r->noroom && time_after(jiffies, r->noroom_at + RMEM_NOROOM_RETRY)))
		goto rearm;
	WRITE_ONCE(r->rebuild_kick, false);
	r->rebuild_seen = seen;
	/* The region may be the swap device: no reclaim that waits on it. */
	noio = memalloc_noio_save();
	b = rmem_rebuild_buf_alloc();
	again = !b;
	/* Before the prune, which would drop the copies it renews. */
	if (rmem_region_reopens(r) && rmem_region_reattach(r))
		again = true;
	/* Drop what is gone first, so that degraded counts are right at once. */
	for (ei = 0; ei < r->nr_extents; ei++) {
		spin_lock(&r->lock);
		rmem_extent_prune(r, ei);
		spin_unlock(&r->lock);
	}
	rmem_region_stale_io(r, false);
	rmem_region_degraded_event(r);
	for (ei = 0; b && ei < r->nr_extents && !READ_ONCE(r->dying); ei++) {
		ret = rmem_extent_rebuild(r, ei, b);
		if (ret == -ENOSPC)
			noroom++;
		else if (ret)
			again = true;	/* copied: look again; failed: retry */
		cond_resched();
	}
	if (b)
		rmem_rebuild_buf_free(b);
	memalloc_noio_restore(noio);
	rmem_region_degraded_event(r);
	/* Said once when it starts and once when it ends, not every pass. */
	if (b && noroom && !r->noroom)
		pr_warn("region %s: %u %s short of %u copies (or on a draining node): no other node has room; waiting for one\n",
			r->name, noroom, noroom == 1 ? "extent is" : "extents are", r->replicas);
	else if (b && !noroom && r->noroom)
		pr_info("region %s: room found for the copies that were short\n", r->name);
	if (b) {
		r->noroom = noroom;
		r->noroom_at = jiffies;
	}
	if (again)
		WRITE_ONCE(r->rebuild_kick, true);
rearm:
	/* Reads still waiting: a copy renewed since, or a wait that is over. */
	rmem_region_stale_io(r, false);
	if (!READ_ONCE(r->dying))
		queue_delayed_work(rmem_rebuild_wq, &r->rebuild_work,
				   again ? RMEM_REBUILD_POLL / 4 : RMEM_REBUILD_POLL);
}

/**
 * rmem_region_kick_all() - have every region look at its copies now
 *
 * After a drain starts, for one.
 *
 * Context: rmem_cfg_lock held.
 */
void rmem_region_kick_all(void)
{
	struct rmem_region *r;

	lockdep_assert_held(&rmem_cfg_lock);
	list_for_each_entry(r, &rmem_regions, list)
		rmem_region_kick(r);
}

/* Stop the rebuild for good, before the region goes. */
static void rmem_region_stop(struct rmem_region *r)
{
	spin_lock(&r->lock);	/* no read waits for the work from here on */
	WRITE_ONCE(r->dying, true);
	spin_unlock(&r->lock);
	cancel_delayed_work_sync(&r->rebuild_work);
	cancel_work_sync(&r->reap_work);
	rmem_region_stale_io(r, true);
}

/*
 * Claim every slab of every copy now, or say why not (the caller frees
 * them). A node that is reconnecting (a lost or bad reply resets the
 * connection) gets one connection attempt's time to come back.
 */
static int rmem_region_prealloc(struct rmem_region *r, struct netlink_ext_ack *extack)
{
	unsigned long until;
	unsigned int ei;
	int ret;

	for (ei = 0; ei < r->nr_extents; ei++) {
		until = jiffies + msecs_to_jiffies(READ_ONCE(rmem_connect_timeout_ms));
		do {
			ret = rmem_extent_map(r, ei, true);
		} while (ret == -EAGAIN && time_before(jiffies, until) &&
			 !fatal_signal_pending(current));
		if (!ret && r->ext[ei].nr < r->replicas)
			ret = -ENOSPC;
		if (ret) {
			NL_SET_ERR_MSG_FMT(extack,
					   "prealloc: the nodes have room for %u of %u extents (%u %s each)",
					   ei, r->nr_extents, r->replicas,
					   r->replicas > 1 ? "copies" : "copy");
			return ret == -EAGAIN ? -ENOSPC : ret;
		}
	}
	return 0;
}

/*
 * A new region's memory and fields, not listed, with no device and no slab.
 * @csum: keep checksums (an attached region has none: its writer's are
 * not here).
 */
/*
 * A region of @size bytes whose extents cover @ext_size (rmem_region.ext_size:
 * at least @size), all in pages; @csum: with a checksum per page.
 */
static struct rmem_region *rmem_region_new(const char *name, u64 size, u64 ext_size,
					   enum rmem_region_type type, u64 slab_size,
					   unsigned int replicas, bool csum)
{
	unsigned long pages = ext_size >> RMEM_PAGE_SHIFT;
	unsigned int i;
	struct rmem_region *r;
	int ret;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);
	ret = ida_alloc(&rmem_region_ida, GFP_KERNEL);
	if (ret < 0) {
		kfree(r);
		return ERR_PTR(ret);
	}
	r->id = ret;
	strscpy(r->name, name, sizeof(r->name));
	snprintf(r->device, sizeof(r->device),
		 type == RMEM_REGION_MMAP ? "rmem%u" : "rmemblk%u", r->id);
	r->type = type;
	r->size = size;
	r->ext_size = ext_size;
	r->replicas = replicas;
	r->slab_size = slab_size;
	r->nr_extents = DIV_ROUND_UP_ULL(ext_size, r->slab_size);
	spin_lock_init(&r->lock);
	INIT_LIST_HEAD(&r->stale_reads);
	INIT_LIST_HEAD(&r->stale_writes);
	xa_init(&r->fill);
	mutex_init(&r->alloc_lock);
	init_waitqueue_head(&r->wait);
	INIT_DELAYED_WORK(&r->rebuild_work, rmem_region_rebuild_work);
	INIT_WORK(&r->reap_work, rmem_region_reap_work);
	r->rebuild_seen = rmem_node_changes();
	r->ext = kvcalloc(r->nr_extents, sizeof(*r->ext), GFP_KERNEL);
	r->written = kvcalloc(BITS_TO_LONGS(pages), sizeof(long), GFP_KERNEL);
	r->lost = kvcalloc(BITS_TO_LONGS(pages), sizeof(long), GFP_KERNEL);
	if (csum)
		r->csum = kvcalloc(pages, sizeof(*r->csum), GFP_KERNEL);
	if (!r->ext || !r->written || !r->lost || (csum && !r->csum)) {
		rmem_region_free(r);
		return ERR_PTR(-ENOMEM);
	}
	for (i = 0; i < r->nr_extents; i++)
		INIT_LIST_HEAD(&r->ext[i].inflight);
	return r;
}

static int rmem_region_front_create(struct rmem_region *r, u64 chunk, u64 cache,
				    struct netlink_ext_ack *extack)
{
	if (r->type == RMEM_REGION_MMAP)
		return rmem_mmap_create(r, chunk, cache, extack);
	return rmem_blk_create(r, extack);
}

/* Default an mmap region's chunk and cache sizes, and check them. */
static int rmem_region_mmap_sizes(u64 slab_size, u64 size, u64 *chunk, u64 *cache,
				  struct netlink_ext_ack *extack)
{
	if (!*chunk)
		*chunk = min_t(u64, RMEM_MMAP_CHUNK_DEFAULT, size & -size);
	if (!*cache)
		*cache = clamp_t(u64, round_down(size / 4, *chunk), *chunk, 256ULL << 20);
	return rmem_mmap_check(slab_size, size, *chunk, *cache, extack);
}

/* ---- the readers' checksum trailer of a published region ---- */

/*
 * A published region's extents cover its @size bytes of data and then a
 * trailer: the table of its pages' checksums (one __le32 per 4 KiB page of
 * data: its crc32c as r->csum holds it, that of a zero page for a page
 * never written), padded to a page, then one page that starts with struct
 * rmem_pub_trailer. The seal writes it through the store, to every copy,
 * before any node seals (rmem_region_trailer_write()); a compute node that
 * attaches the region reads it (rmem_region_trailer_read()) and checks each
 * page it reads, as the publisher does. To rmemd it is data like any other:
 * the published region's size there is ext_size.
 */
#define RMEM_PUB_TRAILER_MAGIC		0x4d5553436d656d72ULL	/* "rmemCSUM" */
/*
 * Version 1: not encrypted. Version 2: encrypted, with the fields after
 * @crc; a module that knows only version 1 refuses it as damaged rather
 * than read ciphertext as data.
 */
#define RMEM_PUB_TRAILER_V1		1
#define RMEM_PUB_TRAILER_V2		2
#define RMEM_PUB_TF_ENCRYPTED		0x1	/* @flags: the only one */
#define RMEM_REGION_KEY_IS_CLUSTER_KEY \
	"that key is a cluster key, which the memory nodes hold: a region key must be one they do not ('rmemctl key generate FILE')"

/**
 * struct rmem_pub_trailer - the start of a published region's last page
 * @magic: RMEM_PUB_TRAILER_MAGIC
 * @version: RMEM_PUB_TRAILER_V1 or RMEM_PUB_TRAILER_V2
 * @page_size: bytes each table entry covers: 4096
 * @size: bytes of data (the attached region's size)
 * @pages: table entries: @size / 4096; the table starts at @size
 * @table_crc: crc32c of the table's @pages * 4 bytes
 * @crc: crc32c of the bytes before it
 * @flags: version 2: RMEM_PUB_TF_ENCRYPTED
 * @reserved: version 2: zero
 * @salt: version 2: the salt of the key derivation (rmem_crypt_pub_new())
 * @check: version 2: the check value of the region's key
 * @crc2: version 2: crc32c of the bytes before it
 *
 * Its checksums, as the table's, are of what the memory nodes hold: the
 * ciphertext of an encrypted region, checked before it is decrypted.
 */
struct rmem_pub_trailer {
	__le64 magic;
	__le32 version;
	__le32 page_size;
	__le64 size;
	__le64 pages;
	__le32 table_crc;
	__le32 crc;
	__le32 flags;
	__le32 reserved;
	u8 salt[RMEM_PUB_SALT_LEN];
	u8 check[RMEM_PUB_CHECK_LEN];
	__le32 crc2;
};

/* Bytes of trailer after @size bytes of data: the table, then its page. */
static u64 rmem_pub_trailer_bytes(u64 size)
{
	return round_up((size >> RMEM_PAGE_SHIFT) * sizeof(__le32), RMEM_PAGE_SIZE) +
	       RMEM_PAGE_SIZE;
}

/* A request of the seal or the attach itself, waited for. */
struct rmem_sync_rio {
	struct rmem_rio rio;
	struct completion done;
	int err;
};

static void rmem_sync_rio_end(struct rmem_rio *rio, int err)
{
	struct rmem_sync_rio *s = container_of(rio, struct rmem_sync_rio, rio);

	s->err = err;
	complete(&s->done);
}

/*
 * Write @len bytes of @b at @pos of @r, inside one extent, through the
 * store (to every copy, mapping a slab where the extent has none), and
 * wait: each io_timeout_s it goes to the store's timeout, as a front end's
 * request does (a reply lost on a live connection is sent again; a dead
 * node fails it).
 */
static int rmem_region_trailer_put(struct rmem_region *r, u64 pos, u32 len,
				   struct rmem_rebuild_buf *b)
{
	struct rmem_sync_rio *s = kzalloc(sizeof(*s), GFP_KERNEL);
	int err;

	if (!s)
		return -ENOMEM;
	init_completion(&s->done);
	s->rio.io.type = RMEM_MSG_WRITE;
	s->rio.io.len = len;
	s->rio.io.bvec = b->bvec;
	s->rio.io.nr_bvec = DIV_ROUND_UP(len, PAGE_SIZE);
	s->rio.io.nozc = true;
	INIT_LIST_HEAD(&s->rio.io.entry);
	s->rio.region = r;
	s->rio.pos = pos;
	s->rio.end = rmem_sync_rio_end;
	s->rio.trailer = true;
	rmem_region_rw(&s->rio);
	while (!wait_for_completion_timeout(&s->done, rmem_io_timeout())) {
		rcu_read_lock();
		rmem_region_rw_timeout(&s->rio, jiffies_to_nsecs(rmem_io_timeout()));
		rcu_read_unlock();
	}
	err = s->err;
	kfree(s);
	return err;
}

/* The largest piece of the trailer read or written at once, inside an extent. */
static u32 rmem_trailer_piece(const struct rmem_region *r, u64 pos, u64 end, u32 max)
{
	return min3(end - pos, (u64)max, r->slab_size - (pos & (r->slab_size - 1)));
}

/* crc32c of a page of zeros, as a checksum entry (r->csum's form). */
static u32 rmem_zero_page_csum(void)
{
	return ~rmem_crc32c(~0U, page_address(ZERO_PAGE(0)), RMEM_PAGE_SIZE);
}

/*
 * The seal: write @r's trailer (its writes have stopped: the front end is
 * sealed). Returns 0 or -errno; the seal fails then, and may be tried again.
 */
static int rmem_region_trailer_write(struct rmem_region *r)
{
	u64 pages = r->size >> RMEM_PAGE_SHIFT, q = 0;
	u64 tbytes = pages * sizeof(__le32);
	u64 pos = r->size, end = r->size + round_up(tbytes, RMEM_PAGE_SIZE);
	struct rmem_pub_trailer t = {};
	struct rmem_rebuild_buf *b;
	u32 crc = ~0U, zero;
	int ret = 0;

	b = rmem_rebuild_buf_alloc();
	if (!b)
		return -ENOMEM;
	zero = rmem_zero_page_csum();
	while (pos < end && !ret) {
		u32 len = rmem_trailer_piece(r, pos, end, RMEM_RIO_MAX_BYTES), i;

		for (i = 0; i < len >> RMEM_PAGE_SHIFT; i++) {
			__le32 *w = kmap_local_page(b->page[i]);
			unsigned int j, n = 0;

			for (j = 0; j < RMEM_PAGE_SIZE / sizeof(*w); j++, q++) {
				if (q >= pages) {
					w[j] = 0;
					continue;
				}
				w[j] = cpu_to_le32(test_bit(q, r->written) ?
						   READ_ONCE(r->csum[q]) : zero);
				n++;
			}
			crc = rmem_crc32c(crc, w, n * sizeof(*w));
			kunmap_local(w);
		}
		ret = rmem_region_trailer_put(r, pos, len, b);
		pos += len;
	}
	if (!ret) {
		void *va;

		t.magic = cpu_to_le64(RMEM_PUB_TRAILER_MAGIC);
		t.version = cpu_to_le32(r->crypt ? RMEM_PUB_TRAILER_V2 : RMEM_PUB_TRAILER_V1);
		t.page_size = cpu_to_le32(RMEM_PAGE_SIZE);
		t.size = cpu_to_le64(r->size);
		t.pages = cpu_to_le64(pages);
		t.table_crc = cpu_to_le32(~crc);
		t.crc = cpu_to_le32(~rmem_crc32c(~0U, &t, offsetof(struct rmem_pub_trailer, crc)));
		if (r->crypt) {
			t.flags = cpu_to_le32(RMEM_PUB_TF_ENCRYPTED);
			memcpy(t.salt, r->pub_salt, sizeof(t.salt));
			memcpy(t.check, r->pub_check, sizeof(t.check));
			t.crc2 = cpu_to_le32(~rmem_crc32c(~0U, &t,
							  offsetof(struct rmem_pub_trailer, crc2)));
		}
		clear_highpage(b->page[0]);
		va = kmap_local_page(b->page[0]);
		memcpy(va, &t, sizeof(t));
		kunmap_local(va);
		ret = rmem_region_trailer_put(r, r->ext_size - RMEM_PAGE_SIZE, RMEM_PAGE_SIZE, b);
	}
	rmem_rebuild_buf_free(b);
	return ret;
}

/*
 * Read @len bytes at @pos of @r, inside one extent, from the extent's copy
 * @k into @b. -ENOENT: it has no copy @k.
 */
static int rmem_region_trailer_get(struct rmem_region *r, u64 pos, u32 len, unsigned int k,
				   struct rmem_rebuild_buf *b)
{
	struct rmem_extent *e = &r->ext[div64_u64(pos, r->slab_size)];
	struct rmem_replica p;
	int ret;

	spin_lock(&r->lock);
	if (k >= e->nr) {
		spin_unlock(&r->lock);
		return -ENOENT;
	}
	p = e->rep[k];
	rmem_node_get(p.node);
	spin_unlock(&r->lock);
	ret = rmem_piece_io(&p, RMEM_MSG_READ, pos & (r->slab_size - 1), len, b, true);
	rmem_node_put(p.node);
	return ret;
}

/* Whether @t, the last page of @r's extents, describes @r's trailer. */
static bool rmem_pub_trailer_ok(const struct rmem_region *r, const struct rmem_pub_trailer *t)
{
	u32 version = le32_to_cpu(t->version);
	u64 size = le64_to_cpu(t->size);

	if (version == RMEM_PUB_TRAILER_V2 &&
	    (le32_to_cpu(t->crc2) !=
	     ~rmem_crc32c(~0U, t, offsetof(struct rmem_pub_trailer, crc2)) ||
	     le32_to_cpu(t->flags) != RMEM_PUB_TF_ENCRYPTED || t->reserved))
		return false;
	return le32_to_cpu(t->crc) ==
	       ~rmem_crc32c(~0U, t, offsetof(struct rmem_pub_trailer, crc)) &&
	       (version == RMEM_PUB_TRAILER_V1 || version == RMEM_PUB_TRAILER_V2) &&
	       le32_to_cpu(t->page_size) == RMEM_PAGE_SIZE &&
	       size && !(size % RMEM_PAGE_SIZE) && size <= RMEM_REGION_MAX_SIZE &&
	       le64_to_cpu(t->pages) == size >> RMEM_PAGE_SHIFT &&
	       size + rmem_pub_trailer_bytes(size) == r->ext_size;
}

/*
 * The table that @t describes into a new array of checksums (*@out): each
 * piece from copy @k of its extent, or the next copy that can be read;
 * -EBADMSG when the whole is not the crc32c @t says.
 */
static int rmem_region_table_read(struct rmem_region *r, const struct rmem_pub_trailer *t,
				  unsigned int k, struct rmem_rebuild_buf *b, u32 **out)
{
	u64 size = le64_to_cpu(t->size), pages = size >> RMEM_PAGE_SHIFT, q = 0;
	u64 pos = size, end = size + pages * sizeof(__le32);
	u32 crc = ~0U, *csum;
	int ret = 0;

	csum = kvmalloc_array(pages, sizeof(*csum), GFP_KERNEL);
	if (!csum)
		return -ENOMEM;
	while (pos < end && !ret) {
		u32 len = rmem_trailer_piece(r, pos, round_up(end, RMEM_PAGE_SIZE),
					     RMEM_REBUILD_PIECE), i, c;

		for (c = 0; c < RMEM_MAX_REPLICAS; c++) {
			ret = rmem_region_trailer_get(r, pos, len, (k + c) % RMEM_MAX_REPLICAS, b);
			if (!ret)
				break;
		}
		for (i = 0; !ret && i < len >> RMEM_PAGE_SHIFT && q < pages; i++) {
			__le32 *w = kmap_local_page(b->page[i]);
			unsigned int j, n = min_t(u64, RMEM_PAGE_SIZE / sizeof(*w), pages - q);

			crc = rmem_crc32c(crc, w, n * sizeof(*w));
			for (j = 0; j < n; j++)
				csum[q++] = le32_to_cpu(w[j]);
			kunmap_local(w);
		}
		pos += len;
	}
	if (!ret && ~crc != le32_to_cpu(t->table_crc))
		ret = -EBADMSG;
	if (ret) {
		kvfree(csum);
		return ret;
	}
	*out = csum;
	return 0;
}

/*
 * Attach: an encrypted region (trailer @t of version 2) gets its transform
 * from @key, which must be the one it was published with; one that is not
 * encrypted takes no key. Returns 0, or -errno with @extack set.
 */
static int rmem_region_trailer_key(struct rmem_region *r, const struct rmem_pub_trailer *t,
				   const u8 *key, struct netlink_ext_ack *extack)
{
	struct rmem_crypt *tfm;
	u8 check[RMEM_PUB_CHECK_LEN];
	bool match;

	if (key && rmem_auth_key_installed(key)) {
		NL_SET_ERR_MSG(extack, RMEM_REGION_KEY_IS_CLUSTER_KEY);
		return -EINVAL;
	}
	if (le32_to_cpu(t->version) == RMEM_PUB_TRAILER_V1) {
		if (!key)
			return 0;
		NL_SET_ERR_MSG(extack, "it is not encrypted: attach it without a key");
		return -EINVAL;
	}
	if (!key) {
		NL_SET_ERR_MSG(extack,
			       "it is encrypted: attach it with the key it was published with (key-file FILE)");
		return -ENOKEY;
	}
	tfm = rmem_crypt_pub_new(key, t->salt, r->name, check, extack);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	match = !crypto_memneq(check, t->check, sizeof(check));
	memzero_explicit(check, sizeof(check));
	if (!match) {
		rmem_crypt_free(tfm);
		NL_SET_ERR_MSG(extack, "the key given is not the one it was published with");
		return -EKEYREJECTED;
	}
	r->crypt = tfm;
	return 0;
}

/*
 * Attach: read @r's trailer, from the first copy that has a whole one. Then
 * @r is its data (r->size) and its pages are checked (r->csum), and
 * decrypted with @key if it is encrypted. With none, the attach fails:
 * unchecked pages would be worse than no region.
 * Returns 0, or -errno with @extack set.
 */
static int rmem_region_trailer_read(struct rmem_region *r, const u8 *key,
				    struct netlink_ext_ack *extack)
{
	unsigned int k, copies = 0, damaged = 0, none = 0;
	struct rmem_pub_trailer t;
	struct rmem_rebuild_buf *b;
	u32 *csum = NULL;
	int ret = 0, err;

	/* The table is read in 4 KiB pages of the buffer's pages. */
	BUILD_BUG_ON(PAGE_SIZE != RMEM_PAGE_SIZE);
	b = rmem_rebuild_buf_alloc();
	if (!b)
		return -ENOMEM;
	for (k = 0; r->ext_size >= 2 * RMEM_PAGE_SIZE && k < RMEM_MAX_REPLICAS; k++) {
		err = rmem_region_trailer_get(r, r->ext_size - RMEM_PAGE_SIZE, RMEM_PAGE_SIZE,
					      k, b);
		if (err == -ENOENT)
			break;	/* no more copies */
		copies++;
		if (err) {
			ret = err;
			continue;
		}
		memcpy_from_page((char *)&t, b->page[0], 0, sizeof(t));
		if (le64_to_cpu(t.magic) != RMEM_PUB_TRAILER_MAGIC) {
			none++;
			continue;
		}
		err = rmem_pub_trailer_ok(r, &t) ? rmem_region_table_read(r, &t, k, b, &csum) :
						   -EBADMSG;
		if (!err)
			break;
		if (err == -EBADMSG)
			damaged++;
		else
			ret = err;
	}
	rmem_rebuild_buf_free(b);
	if (csum) {
		ret = rmem_region_trailer_key(r, &t, key, extack);
		if (ret) {
			kvfree(csum);
			return ret;
		}
		r->size = le64_to_cpu(t.size);
		r->csum = csum;
		return 0;
	}
	if (damaged) {
		NL_SET_ERR_MSG_FMT(extack,
				   "checksums damaged on %u of %u copies, others unreadable",
				   damaged, copies);
		return -EBADMSG;
	}
	if (ret) {
		NL_SET_ERR_MSG_FMT(extack, "reading its checksums failed: %d", ret);
		return ret;
	}
	NL_SET_ERR_MSG_FMT(extack,
			   "no checksums on %u of %u copies (older rmem?): publish it again",
			   none, copies);
	return -EBADMSG;
}

/* ---- published regions ---- */

/* A PUB_CREATE, PUB_SEAL, PUB_OPEN or PUB_DELETE payload for @name. */
static void rmem_pub_name_init(struct rmem_pub_name *pn, const char *name, u64 size)
{
	memset(pn, 0, sizeof(*pn));
	strscpy(pn->name, name, sizeof(pn->name));
	pn->size = cpu_to_le64(size);
}

static struct rmem_pub_ref *rmem_region_pub_find(struct rmem_region *r,
						 const struct rmem_node *node)
{
	unsigned int i;

	for (i = 0; i < r->nr_pubs; i++)
		if (r->pubs[i].node == node)
			return &r->pubs[i];
	return NULL;
}

/**
 * rmem_region_pub_on_node() - a region that reads or writes a published
 *	region's copies on a node
 * @node: the node
 *
 * A published region's copies on @node (ours, or another compute node's we
 * attached) are that published region's, not our session's: they count in
 * no slabs_used, and stay there across our sessions. While a region here
 * still uses them (its copy there is not gone), the node must stay: a
 * deleted node would leave the region's copies there unreachable for good.
 *
 * Context: rmem_cfg_lock held; may wait for a region's alloc_lock.
 * Return: the name of such a region (valid while rmem_cfg_lock is held),
 * or NULL.
 */
const char *rmem_region_pub_on_node(const struct rmem_node *node)
{
	struct rmem_region *r;

	lockdep_assert_held(&rmem_cfg_lock);
	list_for_each_entry(r, &rmem_regions, list) {
		struct rmem_pub_ref *p;
		bool used;

		/* r->pubs may grow (and move) under a slab allocation. */
		mutex_lock(&r->alloc_lock);
		p = rmem_region_pub_find(r, node);
		used = p && !p->gone;
		mutex_unlock(&r->alloc_lock);
		if (used)
			return r->name;
	}
	return NULL;
}

/* Remember (@node, @gen, @handle) in r->pubs; takes a node reference. */
static int rmem_region_pub_add(struct rmem_region *r, struct rmem_node *node, u32 gen,
			       u32 handle, bool opened)
{
	struct rmem_pub_ref *pubs, *p = rmem_region_pub_find(r, node);

	if (!p) {
		pubs = krealloc_array(r->pubs, r->nr_pubs + 1, sizeof(*pubs), GFP_KERNEL);
		if (!pubs)
			return -ENOMEM;
		r->pubs = pubs;
		p = &pubs[r->nr_pubs++];
		rmem_node_get(node);
		p->node = node;
	}
	/* krealloc_array() does not zero the new entry; a new handle starts over. */
	p->gen = gen;
	p->handle = handle;
	p->opened = opened;
	p->sealed = false;
	p->mapped = false;
	p->gone = false;
	return 0;
}

/*
 * Create @r's published region on @node (PUB_CREATE; again after a lost
 * reply gives the same handle). Returns 0 with *handle, or -errno: -EEXIST
 * when another session (another compute node, or this one before the
 * module was reloaded) published that name there.
 */
static int rmem_region_pub_create(struct rmem_region *r, struct rmem_node *node, u32 *handle)
{
	struct rmem_pub_name pn;
	struct rmem_pub_info info;
	int ret;

	rmem_pub_name_init(&pn, r->name, r->ext_size);
	ret = rmem_node_pub_call(node, RMEM_MSG_PUB_CREATE, &pn, sizeof(pn), &info, sizeof(info));
	if (ret == -EEXIST) {
		rnode_warn_rl(node, "region %s: published there by another session already\n",
			      r->name);
		return ret;
	}
	if (ret)
		return ret;
	if (!(le32_to_cpu(info.flags) & RMEM_PUB_F_OWNER) ||
	    le64_to_cpu(info.size) != r->ext_size) {
		rnode_err(node, "region %s: PUB_CREATE reply: flags %#x, %llu bytes (expected ours, %llu)\n",
			  r->name, le32_to_cpu(info.flags), le64_to_cpu(info.size), r->ext_size);
		return -EPROTO;
	}
	/*
	 * Ours and with slabs: published by this module under this name and
	 * kept by 'region del' (no purge). Taking it over would mix its old
	 * data into the new region, and an add that failed would delete it.
	 * (A create sent again after a lost reply comes before any slab.)
	 */
	if (le32_to_cpu(info.extents)) {
		rnode_warn_rl(node, "region %s: ours from before (%u slabs): purge it first\n",
			      r->name, le32_to_cpu(info.extents));
		return -EEXIST;
	}
	*handle = le32_to_cpu(info.handle);
	return 0;
}

/* PUB_DELETE the published region @name on @node: 0 or -errno. */
static int rmem_pub_delete(struct rmem_node *node, const char *name)
{
	struct rmem_pub_name pn;

	rmem_pub_name_init(&pn, name, 0);
	return rmem_node_pub_call(node, RMEM_MSG_PUB_DELETE, &pn, sizeof(pn), NULL, 0);
}

static bool rmem_pub_stale(const struct rmem_region *r, const struct rmem_pub_ref *p);
static int rmem_pub_reopen(struct rmem_region *r, struct rmem_pub_ref *p);

/*
 * The handle of @r's published region on @node in generation @gen: the
 * one of an older generation if the node still has the region (opened
 * again), else made now (a node added after the region, or a restarted
 * rmemd, which lost it). r->alloc_lock held.
 */
static int rmem_region_pub_handle(struct rmem_region *r, struct rmem_node *node, u32 gen,
				  u32 *handle)
{
	struct rmem_pub_ref *p = rmem_region_pub_find(r, node);
	int ret;

	lockdep_assert_held(&r->alloc_lock);
	/* Still there, from our session before (rmemd ended it): open it again. */
	if (p && rmem_pub_stale(r, p)) {
		ret = rmem_pub_reopen(r, p);
		if (ret && ret != -ESTALE)
			return ret;
	}
	if (p && p->gen == gen) {
		*handle = p->handle;
		return 0;
	}
	ret = rmem_region_pub_create(r, node, handle);
	if (ret)
		return ret;
	ret = rmem_region_pub_add(r, node, gen, *handle, false);
	/* Not in r->pubs, so nothing would delete it when the region goes. */
	if (ret)
		rmem_pub_delete(node, r->name);
	return ret;
}

/* Whether @node can take published-region requests now. */
static bool rmem_node_pub_ok(struct rmem_node *node)
{
	return rmem_node_state_get(node) == RMEM_NODE_LIVE && READ_ONCE(node->publish);
}

/*
 * PUB_OPEN @name on @node: its info, or -errno: not sealed and not ours is
 * -EBUSY while its publisher's session lasts (being written), -EBADFD after.
 */
static int rmem_pub_open(struct rmem_node *node, const char *name, struct rmem_pub_info *info)
{
	struct rmem_pub_name pn;

	rmem_pub_name_init(&pn, name, 0);
	return rmem_node_pub_call(node, RMEM_MSG_PUB_OPEN, &pn, sizeof(pn), info, sizeof(*info));
}

/*
 * PUB_CLOSE on @node the @handle its PUB_OPEN just gave; queued when the
 * node is not live (rmem_node_pub_close()).
 */
static void rmem_pub_close(struct rmem_node *node, __le32 handle)
{
	rmem_node_pub_close(node, READ_ONCE(node->gen), handle);
}

/*
 * Whether another compute node is attached to the published region @name
 * on a live node (PUB_OPEN's count, ours included), or is still writing it
 * (its PUB_OPEN: -EBUSY): -EBUSY with extack if so. An open that @r (our
 * region of that name, or NULL) did not hold already is closed again.
 * rmem_cfg_lock held.
 */
static int rmem_pub_busy(const char *name, struct rmem_region *r,
			 struct netlink_ext_ack *extack)
{
	struct rmem_pub_info info;
	struct rmem_pub_ref *p;
	struct rmem_node *node;
	int ret = 0;

	lockdep_assert_held(&rmem_cfg_lock);
	list_for_each_entry(node, &rmem_nodes, list) {
		if (!rmem_node_pub_ok(node))
			continue;
		ret = rmem_pub_open(node, name, &info);
		/* Another compute node is still writing it. */
		if (ret == -EBUSY) {
			NL_SET_ERR_MSG_FMT(extack,
					   "unsealed, and held by its publisher's session on node %u",
					   node->id);
			break;
		}
		/* Not there, or an unsealed orphan: nobody can be attached. */
		if (ret) {
			ret = 0;
			continue;
		}
		p = r ? rmem_region_pub_find(r, node) : NULL;
		if (!p || !p->opened || p->gen != READ_ONCE(node->gen) ||
		    p->handle != le32_to_cpu(info.handle))
			rmem_pub_close(node, info.handle);
		if (le32_to_cpu(info.attached) > 1) {
			NL_SET_ERR_MSG_FMT(extack,
					   "attached by another compute node on node %u: detach there first",
					   node->id);
			ret = -EBUSY;
			break;
		}
	}
	return ret;
}

/*
 * Delete the published region @name on every live node that knows
 * published regions (PUB_DELETE). Returns how many had it, or -errno:
 * -EBUSY (with extack) when a node refused because another compute node is
 * attached, or still writing it; the others still deleted theirs.
 * rmem_cfg_lock held.
 */
static int rmem_pub_purge(const char *name, struct netlink_ext_ack *extack)
{
	struct rmem_node *node;
	int ret, err = 0, found = 0;

	lockdep_assert_held(&rmem_cfg_lock);
	list_for_each_entry(node, &rmem_nodes, list) {
		if (!rmem_node_pub_ok(node))
			continue;
		ret = rmem_pub_delete(node, name);
		if (!ret) {
			found++;
			rnode_info(node, "published region %s deleted\n", name);
		} else if (ret == -EBUSY) {
			NL_SET_ERR_MSG_FMT(extack,
					   "attached or being written by another compute node on node %u",
					   node->id);
			err = ret;
		} else if (ret != -ESTALE) {
			rnode_warn(node, "deleting published region %s failed: %d\n", name, ret);
			if (!err)
				NL_SET_ERR_MSG_FMT(extack, "deleting it on node %u failed: %d",
						   node->id, ret);
			err = err ?: ret;
		}
	}
	return err ?: found;
}

/*
 * Create @r's published region on every live node that knows them, so that
 * a name in use shows now rather than at the first write; a node that is
 * not live now gets it at its first slab. rmem_cfg_lock held.
 */
static int rmem_region_publish(struct rmem_region *r, struct netlink_ext_ack *extack)
{
	struct rmem_node *node;
	unsigned int made = 0;
	u32 handle;
	int ret;

	lockdep_assert_held(&rmem_cfg_lock);
	mutex_lock(&r->alloc_lock);
	list_for_each_entry(node, &rmem_nodes, list) {
		if (rmem_node_state_get(node) != RMEM_NODE_LIVE)
			continue;
		if (!READ_ONCE(node->publish)) {
			rnode_warn(node, "region %s: this rmemd does not know published regions: no slab of the region goes there\n",
				   r->name);
			continue;
		}
		ret = rmem_region_pub_handle(r, node, READ_ONCE(node->gen), &handle);
		if (ret == -EEXIST) {
			NL_SET_ERR_MSG_FMT(extack,
					   "published on node %u already: 'region del NAME purge' or rename",
					   node->id);
			goto out;
		}
		if (ret) {
			NL_SET_ERR_MSG_FMT(extack, "publishing on node %u failed: %d",
					   node->id, ret);
			goto out;
		}
		made++;
	}
	ret = 0;
	if (!made) {
		NL_SET_ERR_MSG(extack,
			       "no live memory node knows published regions (rmemd too old, or no node added)");
		ret = -EOPNOTSUPP;
	}
out:
	mutex_unlock(&r->alloc_lock);
	return ret;
}

/*
 * Let go of r->pubs: PUB_CLOSE where our session attached (queued for a
 * node that is down), and with @delete PUB_DELETE (the region was being
 * created and failed; skipped on a node that is not live).
 */
static void rmem_region_pubs_release(struct rmem_region *r, bool delete)
{
	unsigned int i;

	for (i = 0; i < r->nr_pubs; i++) {
		struct rmem_pub_ref *p = &r->pubs[i];

		if (delete && rmem_node_pub_ok(p->node) && p->gen == READ_ONCE(p->node->gen))
			rmem_pub_delete(p->node, r->name);
		/* A node that is down gets it when it is back (same session). */
		else if (!delete && p->opened)
			rmem_node_pub_close(p->node, p->gen, cpu_to_le32(p->handle));
		rmem_node_put(p->node);
	}
	kfree(r->pubs);
	r->pubs = NULL;
	r->nr_pubs = 0;
}

/* What rmem_region_pub_map() does with each slab the map lists. */
enum rmem_pub_map_mode {
	RMEM_PUB_MAP_ATTACH,	/* take it as a copy: an attached region being built */
	RMEM_PUB_MAP_CHECK,	/* the owner before the seal: mark those not ours */
	RMEM_PUB_MAP_KEYS,	/* the owner after the seal: just the keys */
	RMEM_PUB_MAP_REATTACH,	/* attached again in a new session: copies renewed */
};

/*
 * Extent @ei's slab @slab on @p->node, attached again in generation
 * @p->gen (rmem_region_reattach()): its copy there, of an older
 * generation, is renewed; one dropped meanwhile is added again. Returns 0,
 * or -EAGAIN when the node's generation moved on again. r->alloc_lock held.
 */
static int rmem_extent_reattach(struct rmem_region *r, unsigned int ei,
				const struct rmem_pub_ref *p, u32 slab)
{
	struct rmem_extent *e = &r->ext[ei];
	struct rmem_node *node = p->node;
	int k;

	if (!rmem_node_slab_reserve(node, p->gen))
		return -EAGAIN;
	spin_lock(&r->lock);
	k = rmem_rep_find_slab(e, node, slab);
	if (k >= 0 && e->rep[k].gen != p->gen) {
		/* Its reference stays; the old generation's reservation is void. */
		e->rep[k].gen = p->gen;
		spin_unlock(&r->lock);
		return 0;
	}
	/*
	 * A slab there that is not a copy of ours was dropped after a write
	 * to it failed: until our seal reached that node it may miss that
	 * write (the seal brings it up to date first: rmem_region_pub_check());
	 * after, it may serve.
	 */
	if (k < 0 && e->nr < RMEM_MAX_REPLICAS && (r->attached || p->sealed)) {
		k = e->nr;
		rmem_node_get(node);
		e->rep[k].node = node;
		e->rep[k].slab = slab;
		e->rep[k].gen = p->gen;
		e->nr++;
		atomic_inc(&r->slabs);
		spin_unlock(&r->lock);
		return 0;
	}
	spin_unlock(&r->lock);
	rmem_node_slab_unreserve(node, p->gen);	/* current already, or copies enough */
	return 0;
}

/*
 * Read the map (PUB_MAP) of the published region @r->name on @p->node,
 * opened there (PUB_OPEN); over RDMA it gives our read-only keys. In
 * RMEM_PUB_MAP_CHECK mode @stale gets a bit for each extent whose slab
 * there is not one of our copies (a copy dropped after a write to it
 * failed), and @seen one for each extent that has a slab there. r->alloc_lock
 * held, or @r not listed yet.
 */
static int rmem_region_pub_map(struct rmem_region *r, struct rmem_pub_ref *p,
			       enum rmem_pub_map_mode mode, unsigned long *stale,
			       unsigned long *seen, struct netlink_ext_ack *extack)
{
	struct rmem_node *node = p->node;
	struct rmem_pub_map_reply *rep;
	struct rmem_pub_extent pe;
	u32 first = 0, i, slab;
	int ret = 0;

	rep = kmalloc(sizeof(*rep), GFP_KERNEL);
	if (!rep)
		return -ENOMEM;
	pe.handle = cpu_to_le32(p->handle);
	while (first < r->nr_extents) {
		pe.extent = cpu_to_le32(first);
		ret = rmem_node_pub_call(node, RMEM_MSG_PUB_MAP, &pe, sizeof(pe), rep,
					 sizeof(*rep));
		if (ret) {
			NL_SET_ERR_MSG_FMT(extack, "reading the region's map on node %u failed: %d",
					   node->id, ret);
			break;
		}
		if (le32_to_cpu(rep->first) != first) {
			ret = -EPROTO;
			break;
		}
		for (i = 0; i < RMEM_PUB_MAP_ENTRIES && first + i < r->nr_extents; i++) {
			struct rmem_extent *e = &r->ext[first + i];

			slab = le32_to_cpu(rep->e[i].slab);
			if (slab == RMEM_SLAB_NONE)
				continue;
			if (slab >= node->slabs_total) {
				ret = -EPROTO;
				break;
			}
			if (mode == RMEM_PUB_MAP_REATTACH) {
				ret = rmem_extent_reattach(r, first + i, p, slab);
				if (ret)
					break;
				continue;
			}
			if (mode != RMEM_PUB_MAP_ATTACH) {
				bool cur;
				int k;

				spin_lock(&r->lock);
				k = rmem_rep_find(e, node, slab, p->gen);
				cur = k >= 0 && k < e->nr;	/* not the one being filled */
				spin_unlock(&r->lock);
				if (mode == RMEM_PUB_MAP_CHECK) {
					__set_bit(first + i, seen);
					if (!cur)
						__set_bit(first + i, stale);
				} else if (k < 0) {
					rnode_warn(node, "region %s: extent %u: slab %u there is not ours\n",
						   r->name, first + i, slab);
				}
				continue;
			}
			if (e->nr == RMEM_MAX_REPLICAS)
				continue;	/* copies enough */
			if (!rmem_node_slab_reserve(node, p->gen)) {
				ret = -EAGAIN;	/* lost meanwhile */
				break;
			}
			rmem_node_get(node);
			e->rep[e->nr].node = node;
			e->rep[e->nr].slab = slab;
			e->rep[e->nr].gen = p->gen;
			e->nr++;
			atomic_inc(&r->slabs);
		}
		if (ret)
			break;
		first = le32_to_cpu(rep->next);
		if (first == RMEM_SLAB_NONE)
			break;
		if (first < le32_to_cpu(rep->first) + RMEM_PUB_MAP_ENTRIES) {
			ret = -EPROTO;	/* it must move forward */
			break;
		}
	}
	if (ret == -EPROTO)
		rnode_err(node, "region %s: malformed PUB_MAP reply\n", r->name);
	kfree(rep);
	return ret;
}

/* @r's copies on @node of another generation than its current: lost. */
static void rmem_region_lose_node(struct rmem_region *r, struct rmem_node *node)
{
	unsigned int ei;
	int i;

	spin_lock(&r->lock);
	for (ei = 0; ei < r->nr_extents; ei++) {
		struct rmem_extent *e = &r->ext[ei];

		for (i = e->nr - 1; i >= 0; i--)
			if (e->rep[i].node == node && rmem_rep_stale(&e->rep[i]))
				rmem_rep_lose(r, ei, i);
	}
	spin_unlock(&r->lock);
}

/*
 * Whether @p, @r's published region on its node, is of an older session
 * there and may be opened again (rmem_pub_reopen()): ours wherever it was
 * published, opened or not; another's where we had opened it.
 */
static bool rmem_pub_stale(const struct rmem_region *r, const struct rmem_pub_ref *p)
{
	return (p->opened || (r->publish && !p->gone)) && p->gen != READ_ONCE(p->node->gen);
}

/*
 * An attached region, or a published one of ours, whose node came back in
 * a new session (the old one expired there: a partition longer than
 * rmemd's session timeout) is no longer open on that node, though rmemd
 * may still hold the published region. Open it again (PUB_OPEN: before
 * the seal rmemd lets only its owner's session id) and renew our copies
 * there (PUB_MAP).
 * The same handle is the same region: handles are unique in an rmemd's
 * run, and a restarted rmemd lost its published regions. Another handle
 * is another region published under the name since (purged and published
 * again), and a region our seal reached there must be sealed there (else
 * it is not the one we sealed): it is not read, and the copies there are lost,
 * as when the name is gone (-ESTALE, @p->gone). Returns 0 (opened again,
 * or nothing to do), -ESTALE, or -errno to try again later.
 * r->alloc_lock held.
 */
static int rmem_pub_reopen(struct rmem_region *r, struct rmem_pub_ref *p)
{
	struct rmem_node *node = p->node;
	struct rmem_pub_info info;
	/* Another's region is sealed; ours, where our seal reached. */
	bool sealed = r->attached || p->sealed;
	int err;
	u32 old;

	lockdep_assert_held(&r->alloc_lock);
	if (!rmem_pub_stale(r, p))
		return p->gone ? -ESTALE : 0;
	if (!rmem_node_pub_ok(node))
		return -EAGAIN;
	err = rmem_pub_open(node, r->name, &info);
	if (!err && (le32_to_cpu(info.handle) != p->handle ||
		     (sealed && !(le32_to_cpu(info.flags) & RMEM_PUB_F_SEALED)))) {
		rmem_pub_close(node, info.handle);
		err = -ESTALE;
	}
	if (err == -ESTALE) {
		rnode_warn(node, "region %s: the node no longer has it: not used there\n", r->name);
		p->opened = false;
		p->gone = true;
		rmem_region_lose_node(r, node);
		return err;
	}
	if (err)
		return err;
	p->opened = true;	/* closed (PUB_CLOSE) when the region goes */
	old = p->gen;
	p->gen = READ_ONCE(node->gen);
	err = rmem_region_pub_map(r, p, RMEM_PUB_MAP_REATTACH, NULL, NULL, NULL);
	if (err) {
		p->gen = old;	/* again later; the open is idempotent */
		return err;
	}
	rnode_info(node, "region %s: %s again (our session there had ended)\n", r->name,
		   r->attached || READ_ONCE(r->sealed) ? "attached" : "opened for writing");
	/* A write waiting to map a slab there goes on (rmem_region_rw()). */
	wake_up_all(&r->wait);
	return 0;
}

/*
 * rmem_pub_reopen() where needed: the rebuild work, and a write that
 * found no current copy. Returns 0, or -errno to try again later.
 */
static int rmem_region_reattach(struct rmem_region *r)
{
	unsigned int i;
	int ret = 0, err;

	mutex_lock(&r->alloc_lock);
	for (i = 0; i < r->nr_pubs; i++) {
		/* A test's: the node cannot be reached yet (not here, at least). */
		if (READ_ONCE(rmem_fi_reattach_fail) && rmem_pub_stale(r, &r->pubs[i])) {
			ret = -EIO;
			continue;
		}
		err = rmem_pub_reopen(r, &r->pubs[i]);
		/* Gone, or not live: its return is a node change, and a pass. */
		if (err && err != -ESTALE && err != -EAGAIN)
			ret = err;
	}
	mutex_unlock(&r->alloc_lock);
	return ret;
}

/*
 * Extent @ei has a slab in @p->node's published region that is not one of
 * our copies: a copy dropped when a write to it failed (the node was
 * reconnecting), so it misses that write. An attached reader would read
 * it all the same (every slab the map lists is a copy to it). Bring it up
 * to date from a copy that is, and take it back as a copy. Before the
 * seal (the node still takes our writes); r->alloc_lock held.
 */
static int rmem_region_pub_resync(struct rmem_region *r, struct rmem_pub_ref *p,
				  unsigned int ei, struct rmem_rebuild_buf *b)
{
	struct rmem_pub_extent pe = { .handle = cpu_to_le32(p->handle),
				      .extent = cpu_to_le32(ei) };
	struct rmem_extent *e = &r->ext[ei];
	struct rmem_node *node = p->node;
	struct rmem_replica to = { .node = node, .gen = p->gen };
	int ret = 0;

	spin_lock(&r->lock);
	if (!e->nr)
		ret = -EIO;	/* nothing to copy from: its pages are lost */
	else if (rmem_extent_rep_on(e, node) || e->syncing || e->nr >= RMEM_MAX_REPLICAS)
		ret = -EPROTO;	/* a copy of ours there already, another slab */
	spin_unlock(&r->lock);
	if (ret)
		return ret;
	/* The node's own slab for @ei (PUB_ALLOC: the one it has), with our write key. */
	if (!rmem_node_slab_reserve(node, p->gen))
		return -EAGAIN;
	ret = rmem_node_slab_alloc(node, p->gen, &pe, &to.slab);
	if (ret) {
		rmem_node_slab_unreserve(node, p->gen);
		return ret;
	}
	rmem_node_get(node);
	/* The prune may have dropped the last copy meanwhile. */
	ret = rmem_extent_add_syncing(r, ei, &to);
	if (ret)
		return ret == -ECANCELED ? -EIO : ret;

	ret = rmem_extent_fill(r, ei, b, &to, "bringing it up to date failed");
	spin_unlock(&r->lock);
	return ret;
}

/*
 * Before @p->node seals @r: its published region must hold exactly our
 * copies there, since attached readers take every slab it lists. Opens it
 * (PUB_OPEN, allowed to its owner before the seal), reads its map, brings
 * each slab that missed writes up to date (rmem_region_pub_resync()), and
 * fails when one of our copies there is not in it. @b: a copy buffer,
 * allocated here at first need. r->alloc_lock held.
 */
static int rmem_region_pub_check(struct rmem_region *r, struct rmem_pub_ref *p,
				 struct rmem_rebuild_buf **b, struct netlink_ext_ack *extack)
{
	struct rmem_node *node = p->node;
	unsigned long *stale, *seen;
	struct rmem_pub_info info;
	unsigned int ei, fixed = 0;
	int ret;

	ret = rmem_pub_open(node, r->name, &info);
	if (ret) {
		NL_SET_ERR_MSG_FMT(extack, "opening it on node %u failed: %d", node->id, ret);
		return ret;
	}
	p->opened = true;
	stale = bitmap_zalloc(r->nr_extents, GFP_KERNEL);
	seen = bitmap_zalloc(r->nr_extents, GFP_KERNEL);
	ret = stale && seen ? 0 : -ENOMEM;
	if (!ret)
		ret = rmem_region_pub_map(r, p, RMEM_PUB_MAP_CHECK, stale, seen, extack);
	for (ei = 0; !ret && ei < r->nr_extents; ei++) {
		struct rmem_extent *e = &r->ext[ei];
		bool ours = false;
		int i;

		spin_lock(&r->lock);
		for (i = 0; i < e->nr; i++)
			ours |= e->rep[i].node == node && e->rep[i].gen == p->gen;
		spin_unlock(&r->lock);
		if (ours && !test_bit(ei, seen)) {
			NL_SET_ERR_MSG_FMT(extack,
					   "node %u lists no slab for extent %u, which it holds for us",
					   node->id, ei);
			ret = -EPROTO;
			break;
		}
		if (!test_bit(ei, stale))
			continue;
		if (!*b)
			*b = rmem_rebuild_buf_alloc();
		ret = *b ? rmem_region_pub_resync(r, p, ei, *b) : -ENOMEM;
		if (ret)
			NL_SET_ERR_MSG_FMT(extack,
					   "node %u: updating its stale copy of extent %u failed: %d",
					   node->id, ei, ret);
		else
			fixed++;
	}
	if (fixed)
		rnode_info(node, "region %s: %u out-of-date %s there (a write to it had failed) brought up to date for the seal\n",
			   r->name, fixed, fixed == 1 ? "copy" : "copies");
	bitmap_free(seen);
	bitmap_free(stale);
	return ret;
}

/**
 * rmem_region_readonly() - whether writes to @r are refused
 * @r: region
 *
 * Return: true for a sealed published region and an attached one.
 */
bool rmem_region_readonly(const struct rmem_region *r)
{
	return READ_ONCE(r->sealed) || r->attached;
}

/**
 * rmem_region_add() - create a region and its device
 * @name: unique name
 * @size: bytes, a multiple of 4 KiB, at most RMEM_REGION_MAX_SIZE
 * @type: block or mmap
 * @opts: chunk and cache (mmap), replicas, prealloc, encrypt, publish
 * @out: the new region
 * @extack: error report
 *
 * Context: rmem_cfg_lock held.
 * Return: 0 or -errno; on error nothing was created.
 */
int rmem_region_add(const char *name, u64 size, enum rmem_region_type type,
		    const struct rmem_region_opts *opts, struct rmem_region **out,
		    struct netlink_ext_ack *extack)
{
	unsigned int replicas = opts->replicas ?: READ_ONCE(rmem_replicas);
	u64 chunk = opts->chunk, cache = opts->cache;
	unsigned int room;
	struct rmem_region *r;
	int ret;

	lockdep_assert_held(&rmem_cfg_lock);
	if (rmem_region_name_check(name, extack))
		return -EINVAL;
	if (!size || size % RMEM_PAGE_SIZE) {
		NL_SET_ERR_MSG(extack, "region size must be a non-zero multiple of 4096");
		return -EINVAL;
	}
	if (size > RMEM_REGION_MAX_SIZE) {
		NL_SET_ERR_MSG(extack, "region size above 1 TiB is not supported");
		return -E2BIG;
	}
	if (replicas < 1 || replicas > RMEM_MAX_REPLICAS) {
		NL_SET_ERR_MSG(extack, "replicas must be 1, 2 or 3");
		return -EINVAL;
	}
	if (type == RMEM_REGION_BLOCK && (chunk || cache)) {
		NL_SET_ERR_MSG(extack, "chunk and cache sizes are for mmap regions only");
		return -EINVAL;
	}
	if (opts->key && !opts->publish) {
		NL_SET_ERR_MSG(extack,
			       "a key is for published regions: a region of this host's own draws its key");
		return -EINVAL;
	}
	if (opts->key && opts->encrypt == RMEM_CRYPT_OFF) {
		NL_SET_ERR_MSG(extack, "a key and 'encrypt off' contradict each other");
		return -EINVAL;
	}
	if (opts->key && rmem_auth_key_installed(opts->key)) {
		NL_SET_ERR_MSG(extack, RMEM_REGION_KEY_IS_CLUSTER_KEY);
		return -EINVAL;
	}
	/* Its readers must share its key: there is no drawing one here. */
	if (opts->publish && !opts->key &&
	    (opts->encrypt == RMEM_CRYPT_ON ||
	     (opts->encrypt == RMEM_CRYPT_DEFAULT && READ_ONCE(rmem_encrypt)))) {
		NL_SET_ERR_MSG(extack,
			       "a published region is encrypted with a key its readers share: give one (key-file FILE), or 'encrypt off'");
		return -ENOKEY;
	}
	/* Its data and its readers' checksums, in slabs a node counts. */
	if (opts->publish &&
	    DIV_ROUND_UP_ULL(size + rmem_pub_trailer_bytes(size), (u64)rmem_slab_mb << 20) >
	    RMEM_PUB_MAX_EXTENTS) {
		NL_SET_ERR_MSG_FMT(extack,
				   "too large to publish in %u MiB slabs (%u with checksums)",
				   rmem_slab_mb, RMEM_PUB_MAX_EXTENTS);
		return -E2BIG;
	}
	if (type == RMEM_REGION_MMAP) {
		ret = rmem_region_mmap_sizes((u64)rmem_slab_mb << 20, size, &chunk, &cache, extack);
		if (ret)
			return ret;
	}
	if (rmem_region_find(name)) {
		NL_SET_ERR_MSG(extack, "a region with this name exists");
		return -EEXIST;
	}
	/*
	 * Copies ask for nodes now; one copy may wait for its node (a region
	 * made before the nodes are added is thin, and fine).
	 */
	room = rmem_node_room();
	if (replicas > 1 && room < replicas) {
		NL_SET_ERR_MSG_FMT(extack,
				   "replicas %u needs %u live nodes with free slabs; %u have room",
				   replicas, replicas, room);
		return -ENOSPC;
	}

	r = rmem_region_new(name, size,
			    opts->publish ? size + rmem_pub_trailer_bytes(size) : size, type,
			    (u64)rmem_slab_mb << 20, replicas, true);
	if (IS_ERR(r))
		return PTR_ERR(r);
	if (opts->publish) {
		r->publish = true;
		if (opts->key) {
			get_random_bytes(r->pub_salt, sizeof(r->pub_salt));
			r->crypt = rmem_crypt_pub_new(opts->key, r->pub_salt, r->name,
						      r->pub_check, extack);
			if (IS_ERR(r->crypt)) {
				ret = PTR_ERR(r->crypt);
				r->crypt = NULL;
				goto out_free;
			}
		}
		ret = rmem_region_publish(r, extack);
		if (ret)
			goto out_release;
	} else if (opts->encrypt == RMEM_CRYPT_ON ||
		   (opts->encrypt == RMEM_CRYPT_DEFAULT && READ_ONCE(rmem_encrypt))) {
		r->crypt = rmem_crypt_new(extack);
		if (IS_ERR(r->crypt)) {
			ret = PTR_ERR(r->crypt);
			r->crypt = NULL;
			goto out_free;
		}
	}
	if (opts->prealloc) {
		ret = rmem_region_prealloc(r, extack);
		if (ret)
			goto out_release;
		r->prealloc = true;
	}

	ret = rmem_region_front_create(r, chunk, cache, extack);
	if (ret)
		goto out_release;
	list_add_tail(&r->list, &rmem_regions);
	queue_delayed_work(rmem_rebuild_wq, &r->rebuild_work, RMEM_REBUILD_POLL);
	pr_info("region %s: %llu bytes as /dev/%s, %u %s%s, %s%s\n", r->name, r->size, r->device,
		replicas, replicas > 1 ? "copies" : "copy", r->prealloc ? ", preallocated" : "",
		r->crypt ? "encrypted" : "not encrypted",
		r->publish ? ", published" : "");
	*out = r;
	return 0;

out_release:
	/* The rebuild first: it may be filling a copy of a slab freed here. */
	rmem_region_stop(r);
	rmem_region_release_slabs(r);
	rmem_region_pubs_release(r, true);
out_free:
	rmem_region_free(r);
	return ret;
}

/*
 * Take @r out of service: its device, rebuild, slabs and published-region
 * references. rmem_cfg_lock held; @r unlisted, its device gone.
 */
static void rmem_region_destroy(struct rmem_region *r)
{
	rmem_region_stop(r);
	rmem_region_release_slabs(r);
	rmem_region_pubs_release(r, false);
	rmem_region_free(r);
}

/**
 * rmem_region_del() - delete an unused region and free its remote memory
 * @name: region name
 * @purge: also delete the published region @name on every node (it may
 *	have no local region: published by this compute node before the
 *	module was reloaded, or by another one)
 * @extack: error report
 *
 * A published region's slabs stay on the nodes unless @purge; an attached
 * region is detached.
 *
 * Context: rmem_cfg_lock held; sleeps.
 * Return: 0, -ENOENT, or -EBUSY while the device is open (or, with @purge,
 * while another compute node is attached, or still writing it unsealed:
 * checked on every node before anything is deleted; one that attaches after
 * that check makes its node refuse the purge, after the local region went).
 */
int rmem_region_del(const char *name, bool purge, struct netlink_ext_ack *extack)
{
	struct rmem_region *r = rmem_region_find(name);
	int ret = 0;

	lockdep_assert_held(&rmem_cfg_lock);
	if (!r && !purge) {
		NL_SET_ERR_MSG(extack, "no such region");
		return -ENOENT;
	}
	if (r && rmem_region_openers(r)) {
		NL_SET_ERR_MSG(extack,
			       "region is in use (mounted, swapped on, or open): close it first");
		return -EBUSY;
	}
	if (purge) {
		if (rmem_region_name_check(name, extack))
			return -EINVAL;
		/* Another compute node attached: refused before anything goes. */
		ret = rmem_pub_busy(name, r, extack);
		if (ret)
			return ret;
	}
	if (r) {
		ret = rmem_region_front_destroy(r, false, extack);
		if (ret)
			return ret;
		list_del(&r->list);
	}
	if (purge) {
		ret = rmem_pub_purge(name, extack);
		if (ret >= 0 && !r && !ret) {
			NL_SET_ERR_MSG(extack,
				       "no such region, and no live node has a published region of that name");
			ret = -ENOENT;
		} else if (ret >= 0) {
			pr_info("published region %s: purged from %d nodes\n", name, ret);
			ret = 0;
		} else if (r) {
			pr_warn("region %s: deleted here, but not purged from every node: %d\n",
				name, ret);
		}
		if (!r)
			return ret;
	}
	pr_info("region %s: deleted%s\n", r->name,
		r->publish && !purge ? " (its published copy stays on the nodes)" :
		r->attached ? " (detached)" : "");
	rmem_region_destroy(r);
	return ret;
}

/**
 * rmem_region_seal() - make a published region read-only for good
 * @name: region name; published by this module
 * @extack: error report
 *
 * Every node holding its published region seals it (PUB_SEAL: writes and
 * new slabs refused there, other compute nodes may attach), and this
 * module then reads it as they do: PUB_OPEN and PUB_MAP, which over RDMA
 * give read-only keys in place of the revoked write keys. Before a node
 * seals, its map is checked against our copies: a slab there that missed
 * writes (its copy was dropped while the node reconnected) is brought up to
 * date first, since readers read every slab it lists. Sealing again does
 * nothing, or finishes what a failed call left (writes are refused from
 * the first call on; a node not live is left for the next call).
 *
 * Context: rmem_cfg_lock held; sleeps.
 * Return: 0, -ENOENT, -EINVAL (not published), -EIO (pages of it were
 * lost), -EBUSY while the device is open, -EAGAIN when a node holding it
 * is not live, or the error of a node.
 */
int rmem_region_seal(const char *name, struct netlink_ext_ack *extack)
{
	struct rmem_region *r = rmem_region_find(name);
	struct rmem_rebuild_buf *b = NULL;
	unsigned int i, sealed = 0, down = 0;
	struct rmem_pub_info info;
	struct rmem_pub_name pn;
	unsigned int noio;
	unsigned long lost;
	bool bad = false;
	int ret = 0, err;

	lockdep_assert_held(&rmem_cfg_lock);
	if (!r) {
		NL_SET_ERR_MSG(extack, "no such region");
		return -ENOENT;
	}
	if (!r->publish) {
		if (r->attached)
			NL_SET_ERR_MSG(extack,
				       "an attached region is sealed already (by its publisher)");
		else
			NL_SET_ERR_MSG(extack, "region is not published (region add ... publish)");
		return -EINVAL;
	}
	/*
	 * Where our session ended, open it again first, before any node is
	 * checked (bringing one node's copy up to date may read another's),
	 * and while its pages can still be written again: a node that has
	 * lost it (its rmemd restarted) takes the only copy of some with it.
	 */
	mutex_lock(&r->alloc_lock);
	/* The region may still be a swap device here: no reclaim into it. */
	noio = memalloc_noio_save();
	for (i = 0; i < r->nr_pubs; i++) {
		err = r->pubs[i].sealed ? 0 : rmem_pub_reopen(r, &r->pubs[i]);
		if (err && err != -ESTALE && err != -EAGAIN && !ret) {
			NL_SET_ERR_MSG_FMT(extack,
					   "opening it again on node %u failed: %d: seal again later",
					   r->pubs[i].node->id, err);
			ret = err;
		}
	}
	memalloc_noio_restore(noio);
	mutex_unlock(&r->alloc_lock);
	if (ret)
		return ret;
	/* Readers would get what is left of them: stale data or zeros. */
	lost = bitmap_weight(r->lost, r->ext_size >> RMEM_PAGE_SHIFT);
	if (lost && !READ_ONCE(r->sealed)) {
		NL_SET_ERR_MSG_FMT(extack,
				   "%lu pages lost (every copy failed): write them again, or purge it",
				   lost);
		return -EIO;
	}
	/* No write from here on; none is in flight (no opener). */
	ret = r->type == RMEM_REGION_MMAP ? rmem_mmap_seal(r) : rmem_blk_seal(r);
	if (ret) {
		NL_SET_ERR_MSG(extack, "region is open: close it (and unmap it) first");
		return ret;
	}
	/*
	 * Readers' checksums, before any node seals (it would refuse them):
	 * once. Its copies that miss them are brought up to date below.
	 */
	if (!r->trailer_done) {
		/* Every copy gets it now: no node may be away, nor our session there old. */
		mutex_lock(&r->alloc_lock);
		for (i = 0; i < r->nr_pubs; i++) {
			struct rmem_pub_ref *p = &r->pubs[i];

			if (!p->gone && (!rmem_node_pub_ok(p->node) ||
					 p->gen != READ_ONCE(p->node->gen))) {
				NL_SET_ERR_MSG_FMT(extack,
						   "node %u is not live: seal again once it is",
						   p->node->id);
				ret = -EAGAIN;
				break;
			}
		}
		mutex_unlock(&r->alloc_lock);
		if (ret)
			return ret;
		ret = rmem_region_trailer_write(r);
		if (ret) {
			NL_SET_ERR_MSG_FMT(extack,
					   "writing the checksums for its readers failed: %d: seal again",
					   ret);
			return ret;
		}
		r->trailer_done = true;
	}
	rmem_pub_name_init(&pn, r->name, 0);
	mutex_lock(&r->alloc_lock);
	/*
	 * Every node's copy checked (and brought up to date) before any node
	 * seals: a seal revokes our RDMA keys there, which bringing another
	 * node's copy up to date may read with.
	 */
	for (i = 0; i < r->nr_pubs; i++) {
		struct rmem_pub_ref *p = &r->pubs[i];

		/* Sealed already, or its rmemd restarted and the region died with it. */
		if (p->sealed || p->gone)
			continue;
		if (!rmem_node_pub_ok(p->node) || p->gen != READ_ONCE(p->node->gen)) {
			/* It comes back with the same session: seal again then. */
			if (!ret)
				NL_SET_ERR_MSG_FMT(extack,
						   "node %u is not live: seal again once it is",
						   p->node->id);
			ret = ret ?: -EAGAIN;
			down++;
			continue;
		}
		err = rmem_region_pub_check(r, p, &b, ret ? NULL : extack);
		if (err) {
			if (!ret && extack && !extack->_msg)
				NL_SET_ERR_MSG_FMT(extack,
						   "checking its copy on node %u failed: %d",
						   p->node->id, err);
			ret = ret ?: err;
			bad = true;
		}
	}
	/*
	 * Pages lost since writes stopped (a node found without the region,
	 * here or by the rebuild work, on this seal or an earlier one that
	 * failed) cannot be written again: no node seals a region with holes.
	 */
	lost = bitmap_weight(r->lost, r->ext_size >> RMEM_PAGE_SHIFT);
	if (lost && !bad) {
		if (!ret)
			NL_SET_ERR_MSG_FMT(extack,
					   "%lu pages lost after writes stopped (a node no longer has the region): purge it",
					   lost);
		ret = ret ?: -EIO;
		bad = true;
	}
	/* A copy that could not be checked would be read as it is: no seal. */
	for (i = 0; !bad && i < r->nr_pubs; i++) {
		struct rmem_pub_ref *p = &r->pubs[i];

		if (p->sealed || p->gen != READ_ONCE(p->node->gen) || !rmem_node_pub_ok(p->node))
			continue;
		err = rmem_node_pub_call(p->node, RMEM_MSG_PUB_SEAL, &pn, sizeof(pn),
					 &info, sizeof(info));
		if (!err && !(le32_to_cpu(info.flags) & RMEM_PUB_F_SEALED))
			err = -EPROTO;
		if (err) {
			if (!ret)
				NL_SET_ERR_MSG_FMT(extack, "sealing on node %u failed: %d",
						   p->node->id, err);
			ret = ret ?: err;
			continue;
		}
		p->sealed = true;
		sealed++;
	}
	/* Read as readers do: over RDMA, read-only keys for the revoked ones. */
	for (i = 0; i < r->nr_pubs; i++) {
		struct rmem_pub_ref *p = &r->pubs[i];

		if (!p->sealed || p->mapped || p->gen != READ_ONCE(p->node->gen))
			continue;
		err = rmem_region_pub_map(r, p, RMEM_PUB_MAP_KEYS, NULL, NULL, NULL);
		if (err) {
			if (!ret)
				NL_SET_ERR_MSG_FMT(extack,
						   "reading the sealed map on node %u failed: %d",
						   p->node->id, err);
			ret = ret ?: err;
			continue;
		}
		p->mapped = true;
	}
	mutex_unlock(&r->alloc_lock);
	if (b)
		rmem_rebuild_buf_free(b);
	if (ret) {
		pr_warn("region %s: sealed on %u more nodes; %u not live; seal again: %d\n",
			r->name, sealed, down, ret);
		return ret;
	}
	pr_info("region %s: sealed: read-only\n", r->name);
	return 0;
}

/**
 * rmem_region_attach() - a read-only region of a sealed published region
 * @name: the published region's name (also the new region's)
 * @type: block or mmap
 * @node_ids: nodes to look on; NULL for every node
 * @nr_ids: entries in @node_ids
 * @chunk: mmap: bytes per chunk, 0 for the default
 * @cache: mmap: cache budget, 0 for the default
 * @key: the region's key (RMEM_KEY_LEN bytes), for an encrypted one; NULL
 * @out: the new region
 * @extack: error report
 *
 * Every live node listed that has the region is opened (PUB_OPEN); each
 * extent gets the slabs those nodes hold for it as its copies (PUB_MAP),
 * so that a read goes on to another copy when a node fails. Each page read
 * is checked against the checksums its publisher's seal wrote after its
 * data (rmem_region_trailer_read()); a bad copy is dropped and the read
 * goes on to another, or fails.
 *
 * Context: rmem_cfg_lock held; sleeps.
 * Return: 0 or -errno: -ENOENT (no node has it), -EBUSY (not sealed yet),
 * -EEXIST (a local region has that name), -ENOKEY (encrypted, and no
 * @key), -EKEYREJECTED (not its key), -EINVAL (a @key for a region not
 * encrypted); nothing is left on error.
 */
int rmem_region_attach(const char *name, enum rmem_region_type type, const u32 *node_ids,
		       unsigned int nr_ids, u64 chunk, u64 cache, const u8 *key,
		       struct rmem_region **out, struct netlink_ext_ack *extack)
{
	struct rmem_attach_node {
		struct rmem_node *node;
		struct rmem_pub_info info;
		bool opened;
	} *an;
	unsigned int n = 0, max, i, ei, unsealed = 0;
	struct rmem_region *r = NULL;
	unsigned long missing = 0;
	struct rmem_node *node;
	u64 size = 0, slab_size = 0;
	u32 zero;
	int ret;

	lockdep_assert_held(&rmem_cfg_lock);
	if (rmem_region_name_check(name, extack))
		return -EINVAL;
	if (type == RMEM_REGION_BLOCK && (chunk || cache)) {
		NL_SET_ERR_MSG(extack, "chunk and cache sizes are for mmap regions only");
		return -EINVAL;
	}
	if (rmem_region_find(name)) {
		NL_SET_ERR_MSG(extack, "a region with this name exists on this compute node");
		return -EEXIST;
	}
	max = nr_ids ?: rmem_node_count();
	an = kcalloc(max ?: 1, sizeof(*an), GFP_KERNEL);
	if (!an)
		return -ENOMEM;
	for (i = 0; i < nr_ids; i++) {
		node = rmem_node_find(node_ids[i]);
		if (!node) {
			NL_SET_ERR_MSG_FMT(extack, "no node %u", node_ids[i]);
			ret = -ENOENT;
			goto out;
		}
		if (!rmem_node_pub_ok(node)) {
			NL_SET_ERR_MSG_FMT(extack, "node %u %s", node->id,
					   READ_ONCE(node->publish) ? "is not live" :
					   "does not know published regions (rmemd too old)");
			ret = -EHOSTDOWN;
			goto out;
		}
		for (ei = 0; ei < n && an[ei].node != node; ei++)
			;
		if (ei == n)
			an[n++].node = node;
	}
	if (!nr_ids)
		list_for_each_entry(node, &rmem_nodes, list)
			if (n < max && rmem_node_pub_ok(node))
				an[n++].node = node;

	/* Open it wherever it is; every copy must say the same size. */
	for (i = 0; i < n; i++) {
		struct rmem_pub_info *info = &an[i].info;

		node = an[i].node;
		ret = rmem_pub_open(node, name, info);
		if (ret == -ESTALE)
			continue;	/* not here */
		/*
		 * Not sealed here: still being written, or left unsealed (its
		 * node was down for the seal, or it is ours from before a module
		 * reload). Read from the nodes that sealed it, if any.
		 */
		if (ret == -EBADFD || ret == -EBUSY) {
			unsealed++;
			continue;
		}
		if (ret) {
			NL_SET_ERR_MSG_FMT(extack, "opening it on node %u failed: %d",
					   node->id, ret);
			goto out;
		}
		an[i].opened = true;
		if (!(le32_to_cpu(info->flags) & RMEM_PUB_F_SEALED)) {
			rmem_pub_close(node, info->handle);
			an[i].opened = false;
			unsealed++;
			continue;
		}
		if (size && (le64_to_cpu(info->size) != size || node->slab_size != slab_size)) {
			NL_SET_ERR_MSG_FMT(extack,
					   "node %u holds it in another size or slab size than another node",
					   node->id);
			ret = -EPROTO;
			goto out;
		}
		size = le64_to_cpu(info->size);
		slab_size = node->slab_size;
	}
	if (!size && unsealed) {
		NL_SET_ERR_MSG(extack,
			       "not sealed yet: 'rmemctl region seal NAME' on its publisher first");
		ret = -EBUSY;
		goto out;
	}
	if (!size) {
		NL_SET_ERR_MSG(extack, "no live node has a published region of that name");
		ret = -ENOENT;
		goto out;
	}
	if (unsealed)
		pr_warn("region %s: %u nodes hold it unsealed (down for the seal?): not read from them\n",
			name, unsealed);
	/* Its data, then (from this version on) the trailer. */
	if (size % RMEM_PAGE_SIZE ||
	    size > RMEM_REGION_MAX_SIZE + rmem_pub_trailer_bytes(RMEM_REGION_MAX_SIZE)) {
		NL_SET_ERR_MSG_FMT(extack, "the published region has an unusable size %llu", size);
		ret = -EPROTO;
		goto out;
	}

	r = rmem_region_new(name, size, size, type, slab_size, 1, false);
	if (IS_ERR(r)) {
		ret = PTR_ERR(r);
		r = NULL;
		goto out;
	}
	r->attached = true;
	for (i = 0; i < n; i++) {
		if (!an[i].opened)
			continue;
		ret = rmem_region_pub_add(r, an[i].node, READ_ONCE(an[i].node->gen),
					  le32_to_cpu(an[i].info.handle), true);
		if (ret)
			goto out;
		an[i].opened = false;	/* r->pubs closes it now */
	}
	for (i = 0; i < r->nr_pubs; i++) {
		ret = rmem_region_pub_map(r, &r->pubs[i], RMEM_PUB_MAP_ATTACH, NULL, NULL,
					  extack);
		if (ret)
			goto out;
	}
	/* Its size is the data's, before the trailer; r->csum checks it. */
	ret = rmem_region_trailer_read(r, key, extack);
	if (ret)
		goto out;
	if (r->size > RMEM_REGION_MAX_SIZE) {
		NL_SET_ERR_MSG_FMT(extack, "the published region has an unusable size %llu",
				   r->size);
		ret = -EPROTO;
		goto out;
	}
	if (type == RMEM_REGION_MMAP) {
		ret = rmem_region_mmap_sizes(slab_size, r->size, &chunk, &cache, extack);
		if (ret)
			goto out;
	}
	/*
	 * Every page of data of an extent with a slab is read from it. An
	 * extent with none on the nodes opened (not listed, not live, or its
	 * copy lost) has its data elsewhere wherever its checksums are not
	 * those of a page of zeros: those pages fail to read (lost), rather
	 * than read as zeros.
	 */
	zero = rmem_zero_page_csum();
	for (ei = 0; ei < r->nr_extents; ei++) {
		unsigned long first, end, q;

		rmem_extent_pages(r, ei, &first, &end);
		end = min_t(unsigned long, end, r->size >> RMEM_PAGE_SHIFT);
		if (r->ext[ei].nr) {
			if (end > first)
				bitmap_set(r->written, first, end - first);
		} else {
			for (q = first; q < end; q++) {
				if (r->csum[q] != zero) {
					set_bit(q, r->lost);
					missing++;
				}
			}
		}
		r->replicas = max_t(unsigned int, r->replicas, r->ext[ei].nr);
	}
	if (missing)
		pr_warn("region %s: %lu pages of data are on none of the nodes it was attached from: they fail to read\n",
			name, missing);
	ret = rmem_region_front_create(r, chunk, cache, extack);
	if (ret)
		goto out;
	list_add_tail(&r->list, &rmem_regions);
	queue_delayed_work(rmem_rebuild_wq, &r->rebuild_work, RMEM_REBUILD_POLL);
	pr_info("region %s: attached read-only, %llu bytes as /dev/%s, %u slabs on %u nodes, checksummed, %s\n",
		r->name, r->size, r->device, atomic_read(&r->slabs), r->nr_pubs,
		r->crypt ? "encrypted" : "not encrypted");
	*out = r;
	r = NULL;
out:
	if (r)
		rmem_region_destroy(r);
	/* Opened here and not handed to a region: close them. */
	for (i = 0; i < n; i++)
		if (an[i].opened)
			rmem_pub_close(an[i].node, an[i].info.handle);
	kfree(an);
	return ret;
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
		rmem_region_destroy(r);
	}
	mutex_unlock(&rmem_cfg_lock);
}
