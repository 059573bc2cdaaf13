// SPDX-License-Identifier: GPL-2.0
/*
 * rmem: block front end -- one blk-mq disk per block region (/dev/rmemblkN).
 *
 * Hardware queue i sends on connection i of whatever node holds the data.
 * Requests never cross a slab (chunk_sectors), so each is one remote read or
 * write. The queues are BLK_MQ_F_BLOCKING because the first write to an
 * extent waits for a slab; nothing here allocates memory per request: the
 * request's pdu holds its bio_vec array. An encrypted write that finds no
 * bounce page free is handed back to blk-mq (BLK_STS_RESOURCE) rather than
 * waiting for one: queue_rq runs in whatever task flushed its plug, often
 * one in direct reclaim.
 *
 * Opening is refused once deletion has begun; deletion is refused while the
 * disk is open (mounted, swapped on, or held by a process). Both decisions
 * are made under the disk's open_mutex, as zram does.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/module.h>
#include <linux/sched/mm.h>

#include "rmem.h"

#define RMEM_BLK_MAX_SEGS	128
#define RMEM_BLK_MAX_BYTES	(RMEM_BLK_MAX_SEGS * RMEM_PAGE_SIZE)
#define RMEM_BLK_DEPTH		128

struct rmem_blk {
	struct rmem_region *region;
	struct blk_mq_tag_set tag_set;
	struct gendisk *disk;
	bool dead;			/* under disk->open_mutex */
};

struct rmem_blk_cmd {
	struct rmem_rio rio;
	struct bio_vec bvec[RMEM_BLK_MAX_SEGS];
};

static int rmem_blk_major;

static void rmem_blk_end(struct rmem_rio *rio, int err)
{
	struct rmem_blk_cmd *cmd = container_of(rio, struct rmem_blk_cmd, rio);

	blk_mq_end_request(blk_mq_rq_from_pdu(cmd), errno_to_blk_status(err));
}

static blk_status_t rmem_blk_queue_rq(struct blk_mq_hw_ctx *hctx,
				      const struct blk_mq_queue_data *bd)
{
	struct request *rq = bd->rq;
	struct rmem_blk *b = hctx->queue->queuedata;
	struct rmem_region *r = b->region;
	struct rmem_blk_cmd *cmd = blk_mq_rq_to_pdu(rq);
	u64 pos = (u64)blk_rq_pos(rq) << SECTOR_SHIFT;
	u32 len = blk_rq_bytes(rq);
	struct req_iterator iter;
	struct bio_vec bv;
	unsigned int nr = 0, noio;

	/*
	 * What the timeout handler reads is set before the request starts,
	 * for every op: a DISCARD can wait in the store past the timeout too.
	 */
	memset(&cmd->rio, 0, sizeof(cmd->rio));
	cmd->rio.region = r;
	cmd->rio.pos = pos;
	blk_mq_start_request(rq);
	if (req_op(rq) == REQ_OP_FLUSH) {
		/* Acknowledged writes are in remote memory already. */
		blk_mq_end_request(rq, BLK_STS_OK);
		return BLK_STS_OK;
	}

	if (pos % RMEM_PAGE_SIZE || len % RMEM_PAGE_SIZE || pos + len > r->size ||
	    pos + len < pos) {
		pr_err_ratelimited("%s: bad request %u at %llu\n", r->device, len, pos);
		return BLK_STS_IOERR;
	}

	/* Requests issued to us must never wait on reclaim (swap). */
	noio = memalloc_noio_save();
	switch (req_op(rq)) {
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		blk_mq_end_request(rq, errno_to_blk_status(rmem_region_discard(r, pos, len)));
		break;
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		if ((pos & (r->slab_size - 1)) + len > r->slab_size) {
			memalloc_noio_restore(noio);
			pr_err_ratelimited("%s: request crosses a slab\n", r->device);
			return BLK_STS_IOERR;
		}
		rq_for_each_segment(bv, rq, iter) {
			if (nr == RMEM_BLK_MAX_SEGS) {
				memalloc_noio_restore(noio);
				pr_err_ratelimited("%s: too many segments\n", r->device);
				return BLK_STS_IOERR;
			}
			cmd->bvec[nr++] = bv;
		}
		cmd->rio.io.type = req_op(rq) == REQ_OP_READ ? RMEM_MSG_READ : RMEM_MSG_WRITE;
		cmd->rio.io.len = len;
		cmd->rio.io.bvec = cmd->bvec;
		cmd->rio.io.nr_bvec = nr;
		cmd->rio.io.qid = hctx->queue_num;
		INIT_LIST_HEAD(&cmd->rio.io.entry);
		cmd->rio.end = rmem_blk_end;
		/*
		 * We may be called from anyone's direct reclaim: never wait for
		 * bounce pages, which come back as writes complete.
		 */
		cmd->rio.nowait = true;
		if (rmem_region_rw(&cmd->rio) == -EAGAIN) {
			memalloc_noio_restore(noio);
			return BLK_STS_RESOURCE;
		}
		break;
	default:
		memalloc_noio_restore(noio);
		return BLK_STS_NOTSUPP;
	}
	memalloc_noio_restore(noio);
	return BLK_STS_OK;
}

/*
 * A request timed out, as in nvme-tcp: on a live node its reply was lost,
 * so the store and the node layer abort the queue and reconnect, and the
 * request is sent again on the resumed session (the timer is reset, the
 * request stays ours); on a dead node it is failed here. blk-mq holds a
 * reference on @rq while this runs, so a normal completion racing with it
 * cannot free or reuse the request; the node layer hands the request to
 * exactly one of the two. Must not sleep.
 *
 * With BLK_MQ_F_BLOCKING, blk-mq's timeout work waits for every running
 * queue_rq before it handles expired requests (6.1 and 6.12), so queue_rq
 * must never sleep on what another request's completion moves: a write
 * that has to wait before it is sent (for its slab, a rebuild's barrier, a
 * reopen) is handed to a work item (rmem_write_defer()), as is one of our
 * published region sent again. Such a write may get here while it waits:
 * nothing of it is in flight, so the timer is reset; once sent with its
 * deadline passed, the node layer gives it a full timeout on the wire
 * before it aborts anything. The pdu's region and position are set for
 * every op all the same.
 */
static enum blk_eh_timer_return rmem_blk_timeout(struct request *rq)
{
	struct rmem_blk_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct rmem_region *r = cmd->rio.region;
	enum req_op op = req_op(rq);
	u32 len = blk_rq_bytes(rq);	/* ending the request clears it */
	u64 pos = cmd->rio.pos;

	if ((op == REQ_OP_READ || op == REQ_OP_WRITE) &&
	    rmem_region_rw_timeout(&cmd->rio, jiffies_to_nsecs(rq->timeout))) {
		pr_warn_ratelimited("%s: %s of %u bytes at %llu timed out on a dead node: failed\n",
				    r->device, blk_op_str(op), len, pos);
		return BLK_EH_DONE;
	}
	pr_warn_ratelimited("%s: %s of %u bytes at %llu timed out: waiting for recovery\n",
			    r->device, blk_op_str(op), len, pos);
	return BLK_EH_RESET_TIMER;
}

static const struct blk_mq_ops rmem_blk_mq_ops = {
	.queue_rq = rmem_blk_queue_rq,
	.timeout = rmem_blk_timeout,
};

#ifdef RMEM_OPEN_TAKES_DISK
static int rmem_blk_open(struct gendisk *disk, blk_mode_t mode)
{
	struct rmem_blk *b = disk->private_data;
	bool write = mode & BLK_OPEN_WRITE;
#else
static int rmem_blk_open(struct block_device *bdev, fmode_t mode)
{
	struct rmem_blk *b = bdev->bd_disk->private_data;
	bool write = mode & FMODE_WRITE;
#endif
	/* Called under disk->open_mutex. */
	if (b->dead)
		return -ENXIO;
	/* Sealed or attached: opening to write is refused, as for a read-only medium. */
	return write && rmem_region_readonly(b->region) ? -EROFS : 0;
}

/**
 * rmem_blk_seal() - make the region read-only (sealed) unless it is open
 * @r: block region
 *
 * Checked and set under the disk's open_mutex, which rmem_blk_open() runs
 * under: an open for writing either came first (-EBUSY here) or sees the
 * seal (-EROFS there).
 *
 * Context: rmem_cfg_lock held.
 * Return: 0, or -EBUSY while the disk is open.
 */
int rmem_blk_seal(struct rmem_region *r)
{
	struct rmem_blk *b = r->front;
	int ret = 0;

	lockdep_assert_held(&rmem_cfg_lock);
	if (!b)
		return -ENODEV;
	mutex_lock(&b->disk->open_mutex);
	if (disk_openers(b->disk))
		ret = -EBUSY;
	else
		WRITE_ONCE(r->sealed, true);
	mutex_unlock(&b->disk->open_mutex);
	if (!ret)
		set_disk_ro(b->disk, true);
	return ret;
}

static const struct block_device_operations rmem_blk_fops = {
	.owner = THIS_MODULE,
	.open = rmem_blk_open,
};

/**
 * rmem_blk_openers() - how many times the region's disk is open
 * @r: region
 *
 * Return: the count (0 if it has no disk).
 */
unsigned int rmem_blk_openers(struct rmem_region *r)
{
	struct rmem_blk *b = r->front;

	return b ? disk_openers(b->disk) : 0;
}

static struct gendisk *rmem_blk_alloc_disk(struct rmem_blk *b)
{
	struct rmem_region *r = b->region;
	/* Published and attached: every byte stays; no discard (rmem_region_discard()). */
	unsigned int discard = r->publish || r->attached ? 0 : UINT_MAX >> SECTOR_SHIFT;
#ifdef RMEM_ALLOC_DISK_TAKES_LIMITS
	struct queue_limits lim = {
		.logical_block_size = RMEM_PAGE_SIZE,
		.physical_block_size = RMEM_PAGE_SIZE,
		.io_min = RMEM_PAGE_SIZE,
		.max_hw_sectors = RMEM_BLK_MAX_BYTES >> SECTOR_SHIFT,
		.max_segments = RMEM_BLK_MAX_SEGS,
		.max_segment_size = RMEM_PAGE_SIZE,
		.chunk_sectors = r->slab_size >> SECTOR_SHIFT,
		.max_hw_discard_sectors = discard,
		.discard_granularity = RMEM_PAGE_SIZE,
		.max_write_zeroes_sectors = discard,
		/* Checksums are computed over the pages while they are written. */
		.features = BLK_FEAT_STABLE_WRITES,
	};

	return blk_mq_alloc_disk(&b->tag_set, &lim, b);
#else
	struct gendisk *disk = blk_mq_alloc_disk(&b->tag_set, b);
	struct request_queue *q;

	if (IS_ERR(disk))
		return disk;
	q = disk->queue;
	blk_queue_logical_block_size(q, RMEM_PAGE_SIZE);
	blk_queue_physical_block_size(q, RMEM_PAGE_SIZE);
	blk_queue_io_min(q, RMEM_PAGE_SIZE);
	blk_queue_max_hw_sectors(q, RMEM_BLK_MAX_BYTES >> SECTOR_SHIFT);
	blk_queue_max_segments(q, RMEM_BLK_MAX_SEGS);
	blk_queue_max_segment_size(q, RMEM_PAGE_SIZE);
	blk_queue_chunk_sectors(q, r->slab_size >> SECTOR_SHIFT);
	blk_queue_max_discard_sectors(q, discard);
	q->limits.discard_granularity = RMEM_PAGE_SIZE;
	blk_queue_max_write_zeroes_sectors(q, discard);
	blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	blk_queue_flag_clear(QUEUE_FLAG_ADD_RANDOM, q);
	/* Checksums are computed over the pages while they are written. */
	blk_queue_flag_set(QUEUE_FLAG_STABLE_WRITES, q);
	return disk;
#endif
}

/**
 * rmem_blk_create() - create /dev/rmemblkN for a block region
 * @r: region (name, size, device name set)
 * @extack: error report
 *
 * Context: rmem_cfg_lock held.
 * Return: 0 or -errno.
 */
int rmem_blk_create(struct rmem_region *r, struct netlink_ext_ack *extack)
{
	struct rmem_blk *b;
	struct gendisk *disk;
	int ret;

	lockdep_assert_held(&rmem_cfg_lock);
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->region = r;
	b->tag_set.ops = &rmem_blk_mq_ops;
	b->tag_set.nr_hw_queues = rmem_nr_queues;
	b->tag_set.queue_depth = RMEM_BLK_DEPTH;
	b->tag_set.numa_node = NUMA_NO_NODE;
	b->tag_set.cmd_size = sizeof(struct rmem_blk_cmd);
	b->tag_set.flags = BLK_MQ_F_SHOULD_MERGE | BLK_MQ_F_BLOCKING;
	b->tag_set.timeout = rmem_io_timeout();
	b->tag_set.driver_data = b;
	ret = blk_mq_alloc_tag_set(&b->tag_set);
	if (ret)
		goto out_free;

	disk = rmem_blk_alloc_disk(b);
	if (IS_ERR(disk)) {
		ret = PTR_ERR(disk);
		goto out_free_tags;
	}
	b->disk = disk;
	disk->major = rmem_blk_major;
	disk->first_minor = r->id;
	disk->minors = 1;
	disk->flags |= GENHD_FL_NO_PART;
	disk->fops = &rmem_blk_fops;
	disk->private_data = b;
	strscpy(disk->disk_name, r->device, DISK_NAME_LEN);
	set_capacity(disk, r->size >> SECTOR_SHIFT);
	set_disk_ro(disk, rmem_region_readonly(r));

	r->front = b;
	/* /sys/block/rmemblkN/rmem/ (rmem-sysfs.c) */
	dev_set_drvdata(disk_to_dev(disk), r);
	ret = device_add_disk(NULL, disk, rmem_region_groups);
	if (ret) {
		NL_SET_ERR_MSG(extack, "cannot register the block device");
		goto out_put_disk;
	}
	return 0;

out_put_disk:
	r->front = NULL;
	put_disk(disk);
out_free_tags:
	blk_mq_free_tag_set(&b->tag_set);
out_free:
	kfree(b);
	return ret;
}

/**
 * rmem_blk_destroy() - remove a region's disk
 * @r: region
 * @force: remove even if open (module unload, when nothing can hold it)
 * @extack: error report
 *
 * Context: rmem_cfg_lock held; sleeps.
 * Return: 0, or -EBUSY while the disk is open.
 */
int rmem_blk_destroy(struct rmem_region *r, bool force, struct netlink_ext_ack *extack)
{
	struct rmem_blk *b = r->front;
	unsigned int openers;

	lockdep_assert_held(&rmem_cfg_lock);
	if (!b)
		return 0;
	mutex_lock(&b->disk->open_mutex);
	openers = disk_openers(b->disk);
	if (openers && !force) {
		mutex_unlock(&b->disk->open_mutex);
		NL_SET_ERR_MSG(extack,
			       "region is in use (mounted, swapped on, or open): close it first");
		return -EBUSY;
	}
	b->dead = true;
	mutex_unlock(&b->disk->open_mutex);

	del_gendisk(b->disk);
	put_disk(b->disk);
	blk_mq_free_tag_set(&b->tag_set);
	r->front = NULL;
	kfree(b);
	return 0;
}

/**
 * rmem_blk_init() - register the block major
 *
 * Return: 0 or -errno.
 */
int __init rmem_blk_init(void)
{
	rmem_blk_major = register_blkdev(0, "rmemblk");
	return rmem_blk_major < 0 ? rmem_blk_major : 0;
}

/**
 * rmem_blk_exit() - unregister the block major
 */
void rmem_blk_exit(void)
{
	unregister_blkdev(rmem_blk_major, "rmemblk");
}
