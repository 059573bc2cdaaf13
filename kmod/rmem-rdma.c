// SPDX-License-Identifier: GPL-2.0
/*
 * rmem: the RDMA transport.
 *
 * One rdma_cm connection (RDMA_PS_TCP, RC QP) per queue, to the port rmemd
 * also listens on for TCP. The connect request names our session (struct
 * rmem_rdma_cm_req), so rmemd puts the QP in the session's protection domain;
 * with a key, the request also carries our key id, a nonce and a mac, and
 * the AUTH exchange runs over SEND/RECV before the HELLO, as over TCP.
 * Control messages (AUTH, HELLO, SLAB_ALLOC, SLAB_FREE, PING, SLAB_LIST) go by SEND/RECV, one
 * message per SEND; data moves by one-sided RDMA READ and RDMA WRITE between
 * the request's pages and the slab's MR (its rkey and address come in the
 * SLAB_ALLOC reply; rn->slabs keeps them by slab number).
 *
 * Request slots: each queue preallocates, at connect time, RMEM_RDMA_SLOTS
 * slots (capped by the depth rmemd accepted), each with a scatterlist big
 * enough for RMEM_MSG_MAX_IO, an SGE array, a WR array and a send buffer
 * (all send buffers are one DMA mapping, so are the receive buffers). The
 * submit path only takes a free slot (it may sleep for one), maps the pages
 * with ib_dma_map_sg(), splits them over as many chained ib_rdma_wr as the
 * device's SGE limit needs, signals only the last one and posts the chain:
 * no allocation, and it runs under memalloc_noio_save(). The wire id of a
 * control message carries its slot index, so a reply finds its slot
 * directly; a control request completes when both its SEND completion and
 * its reply have arrived. The pages are registered with nothing: the PD's
 * local_dma_lkey covers local DMA, and no global rkey exists.
 *
 * Completions run from CQs of the core's pool in IB_POLL_WORKQUEUE context
 * (the WQ_MEM_RECLAIM ib_comp_wq): the owners' done callbacks (the store,
 * blk-mq, rmem_node_call) take plain spinlocks that are not softirq safe, as
 * the TCP transport calls them from process context too.
 *
 * Failure: a failed work completion or an rdma_cm DISCONNECTED, TIMEWAIT_EXIT
 * or ADDR_CHANGE event calls rmem_node_error(); the failed request stays in
 * its slot. Teardown (disconnect): stop the queues (no new submit gets in,
 * waiters for a slot get -ENOTCONN), rdma_disconnect(), ib_drain_qp(),
 * hand every request still in a slot back with rmem_node_requeue(), then
 * destroy the QP, give back the CQ, destroy the cm_id (QP, CQ, cm_id: the
 * order nvme-rdma uses), and free buffers and PD.
 * It is idempotent: every resource pointer is cleared when it goes.
 *
 * Device removal: an ib_client's .remove tears down synchronously every
 * queue on the device (the node goes RECONNECTING). Clients are removed in
 * reverse order of registration, so this runs before rdma_cm's own removal
 * and RDMA_CM_EVENT_DEVICE_REMOVAL is only informational once connected. A
 * device being removed is marked dying first: connects in progress on it are
 * aborted and new ones are refused, so nothing is created on it any more.
 *
 * Locking: rn->conn_mutex serialises connect and teardown of a node's queues
 * (reconnect work, error work, device removal); rmem_rdma_dev_mutex guards
 * the device list and each device's queue list (taken inside conn_mutex,
 * never the other way round; the rdma_cm handler takes neither). q->lock
 * guards the free slot list, live, posting and the connection-setup state;
 * rn->slab_lock guards the slab table. rn is reference counted so that
 * device removal can hold it while the node is being deleted.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kref.h>
#include <linux/scatterlist.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>

#include "rmem.h"

#define RMEM_RDMA_SLOTS		64	/* requests in flight per queue */
#define RMEM_RDMA_MAX_SG	(RMEM_MSG_MAX_IO / PAGE_SIZE + 2)
#define RMEM_RDMA_ID_SLOT	GENMASK_ULL(15, 0)
#define RMEM_RDMA_ID_SHIFT	16

/* Connection setup steps seen (rmem_rdma_queue.cm_events). */
#define RMEM_RDMA_EV_ADDR	BIT(0)
#define RMEM_RDMA_EV_ROUTE	BIT(1)
#define RMEM_RDMA_EV_CONN	BIT(2)

/* What a control request still waits for (rmem_rdma_slot.ctl_wait). */
#define RMEM_RDMA_WAIT_SEND	BIT(0)
#define RMEM_RDMA_WAIT_REPLY	BIT(1)

struct rmem_rdma_queue;

/* Where a slab lives on the node: from its SLAB_ALLOC reply. */
struct rmem_rdma_slab {
	u64 addr;
	u32 rkey;
	u32 valid;
};

struct rmem_rdma_slot {
	struct rmem_rdma_queue *q;
	unsigned int idx;
	struct list_head entry;		/* on q->free */
	struct rmem_req *io;		/* NULL when free */
	atomic_t ctl_wait;		/* RMEM_RDMA_WAIT_*: still to come */
	int err;			/* reply status, as an errno */
	struct ib_cqe send_cqe;
	struct ib_cqe data_cqe;
	struct scatterlist *sgl;
	unsigned int sg_nents;		/* mapped for data, else 0 */
	enum dma_data_direction dir;
	struct ib_sge *sge;
	struct ib_rdma_wr *wr;
};

struct rmem_rdma_rx {
	struct rmem_rdma_queue *q;
	struct ib_cqe cqe;
	u64 dma;
	void *buf;
};

struct rmem_rdma_dev;

struct rmem_rdma_queue {
	struct rmem_rdma_node *rn;
	unsigned int qid;
	struct rdma_cm_id *cm_id;
	struct rmem_rdma_dev *rdev;	/* set once registered on it */
	struct list_head dev_entry;
	struct ib_device *ibdev;
	struct ib_pd *pd;
	struct ib_cq *cq;
	unsigned int cq_size;
	struct ib_qp *qp;

	unsigned int nr_slots;		/* allocated */
	unsigned int depth;		/* usable: min(nr_slots, rmemd's depth) */
	unsigned int max_read_sge;
	unsigned int max_write_sge;
	unsigned int wr_per_slot;
	struct rmem_rdma_slot *slots;
	struct scatterlist *sgl;
	struct ib_sge *sge;
	struct ib_rdma_wr *wrs;
	void *tx_buf;
	u64 tx_dma;
	bool tx_mapped;
	struct rmem_rdma_rx *rx;
	void *rx_buf;
	u64 rx_dma;
	bool rx_mapped;

	spinlock_t lock;		/* see the top of the file */
	bool live;
	unsigned int posting;
	struct list_head free;
	wait_queue_head_t wait;

	unsigned long cm_events;
	int cm_error;
	bool aborted;
	bool broken;		/* failed while live (rmem_rdma_failed()) */
	struct rmem_rdma_cm_rep rep;
	struct rmem_req hello_io;	/* AUTH, then HELLO */
	struct rmem_hello_reply hello_rep;
	struct rmem_auth_reply auth_rep;
	bool hello_done;
};

struct rmem_rdma_node {
	struct kref ref;
	struct mutex conn_mutex;	/* connect and teardown */
	struct rmem_node *node;		/* NULL once released */
	spinlock_t slab_lock;		/* slabs, nr_slabs */
	struct rmem_rdma_slab *slabs;
	u32 nr_slabs;
	unsigned int nr;
	struct rmem_rdma_queue q[];
};

struct rmem_rdma_dev {
	struct list_head entry;
	struct ib_device *ibdev;
	struct list_head queues;
	bool dying;
};

static LIST_HEAD(rmem_rdma_devs);
static DEFINE_MUTEX(rmem_rdma_dev_mutex);	/* device list, their queues */

#define rq_node(q)	((q)->rn->node)

/* ---- connection setup state, shared with the rdma_cm handler ---- */

static void rmem_rdma_cm_fail(struct rmem_rdma_queue *q, int err)
{
	spin_lock_bh(&q->lock);
	if (!q->cm_error)
		q->cm_error = err;
	spin_unlock_bh(&q->lock);
	wake_up_all(&q->wait);
}

/* A live queue failed: recovery (and rmem_rdma_failed(), if not LIVE yet). */
static void rmem_rdma_queue_error(struct rmem_rdma_queue *q)
{
	WRITE_ONCE(q->broken, true);
	rmem_node_error(rq_node(q));
}

static void rmem_rdma_cm_step(struct rmem_rdma_queue *q, unsigned long ev)
{
	spin_lock_bh(&q->lock);
	q->cm_events |= ev;
	spin_unlock_bh(&q->lock);
	wake_up_all(&q->wait);
}

/* The error a queue got after (or during) its setup, or 0. q->lock held. */
static int rmem_rdma_queue_err(struct rmem_rdma_queue *q)
{
	lockdep_assert_held(&q->lock);
	return q->aborted ? -ENODEV : q->cm_error;
}

static int rmem_rdma_queue_failed(struct rmem_rdma_queue *q)
{
	int err;

	spin_lock_bh(&q->lock);
	err = rmem_rdma_queue_err(q);
	spin_unlock_bh(&q->lock);
	return err;
}

static bool rmem_rdma_cm_over(struct rmem_rdma_queue *q, unsigned long ev)
{
	bool over;

	spin_lock_bh(&q->lock);
	over = q->cm_error || q->aborted || (q->cm_events & ev) ||
	       (ev == 0 && q->hello_done);
	spin_unlock_bh(&q->lock);
	return over;
}

/* Wait for setup step @ev (0: the hello reply) until @deadline. */
static int rmem_rdma_cm_wait(struct rmem_rdma_queue *q, unsigned long ev,
			     unsigned long deadline)
{
	long left = (long)(deadline - jiffies);
	int ret;

	if (left > 0)
		wait_event_timeout(q->wait, rmem_rdma_cm_over(q, ev), left);
	spin_lock_bh(&q->lock);
	if (q->aborted)
		ret = -ENODEV;
	else if (q->cm_error)
		ret = q->cm_error;
	else if ((q->cm_events & ev) || (ev == 0 && q->hello_done))
		ret = 0;
	else
		ret = -ETIMEDOUT;
	spin_unlock_bh(&q->lock);
	return ret;
}

static bool rmem_rdma_queue_live(struct rmem_rdma_queue *q)
{
	bool live;

	spin_lock_bh(&q->lock);
	live = q->live;
	spin_unlock_bh(&q->lock);
	return live;
}

/*
 * Is the port under @q's connection up? Soft-RoCE moves the port's QP1 to
 * the error state for good when a MAD (our connect request, our DREQ) is
 * sent while the link is down, and every later connection on the device
 * then times out: teardown calls no rdma_disconnect() on a port that is
 * down. That is all it can avoid: rdma_destroy_id() of a connected id
 * still sends a DREQ (the IB CM's destroy of an established id).
 */
static bool rmem_rdma_port_active(struct rmem_rdma_queue *q)
{
	enum ib_port_state state;

	return q->cm_id && q->cm_id->device &&
	       !ib_get_cached_port_state(q->cm_id->device, q->cm_id->port_num, &state) &&
	       state == IB_PORT_ACTIVE;
}

/*
 * A work completion failed. Flush errors of a queue that is not live are
 * the drain's; anything else on a live queue breaks the node, and during
 * setup it fails the attempt. The request stays in its slot.
 */
static void rmem_rdma_wc_error(struct rmem_rdma_queue *q, struct ib_wc *wc, const char *what)
{
	if (rmem_rdma_queue_live(q)) {
		if (wc->status != IB_WC_WR_FLUSH_ERR)
			rnode_err_rl(rq_node(q), "queue %u: %s failed: %s (%d)\n", q->qid, what,
				     ib_wc_status_msg(wc->status), wc->status);
		rmem_rdma_queue_error(q);
	} else if (wc->status != IB_WC_WR_FLUSH_ERR) {
		rmem_rdma_cm_fail(q, -ECONNRESET);
	}
}

/* ---- slots ---- */

static void rmem_rdma_slot_put(struct rmem_rdma_queue *q, struct rmem_rdma_slot *slot)
{
	spin_lock_bh(&q->lock);
	slot->io = NULL;
	list_add(&slot->entry, &q->free);
	spin_unlock_bh(&q->lock);
	wake_up_all(&q->wait);
}

static void rmem_rdma_slot_unmap(struct rmem_rdma_queue *q, struct rmem_rdma_slot *slot)
{
	if (slot->sg_nents) {
		ib_dma_unmap_sg(q->ibdev, slot->sgl, slot->sg_nents, slot->dir);
		slot->sg_nents = 0;
	}
}

/* The request in @slot is done: free the slot, then tell its owner. */
static void rmem_rdma_slot_finish(struct rmem_rdma_queue *q, struct rmem_rdma_slot *slot,
				  int err)
{
	struct rmem_req *io = slot->io;

	rmem_rdma_slot_unmap(q, slot);
	if (io == &q->hello_io) {
		/* The free list is built once the hello is done. */
		spin_lock_bh(&q->lock);
		slot->io = NULL;
		if (err && !q->cm_error)
			q->cm_error = err;
		q->hello_done = true;
		spin_unlock_bh(&q->lock);
		wake_up_all(&q->wait);
		return;
	}
	rmem_rdma_slot_put(q, slot);
	rmem_node_complete(rq_node(q), io, err);
}

/* @what (RMEM_RDMA_WAIT_*) arrived; the second of the two finishes. */
static void rmem_rdma_ctl_put(struct rmem_rdma_queue *q, struct rmem_rdma_slot *slot,
			      int what)
{
	int old = atomic_fetch_andnot(what, &slot->ctl_wait);

	if ((old & what) && !(old & ~what))
		rmem_rdma_slot_finish(q, slot, slot->err);
}

static void rmem_rdma_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct rmem_rdma_slot *slot = container_of(wc->wr_cqe, struct rmem_rdma_slot, send_cqe);

	if (unlikely(wc->status != IB_WC_SUCCESS)) {
		rmem_rdma_wc_error(slot->q, wc, "SEND");
		return;
	}
	rmem_rdma_ctl_put(slot->q, slot, RMEM_RDMA_WAIT_SEND);
}

/* The node refused access to @slab with the key we hold: never use it again. */
static void rmem_rdma_slab_forget(struct rmem_rdma_queue *q, u32 slab)
{
	struct rmem_rdma_node *rn = q->rn;
	bool was;

	spin_lock_bh(&rn->slab_lock);
	was = slab < rn->nr_slabs && rn->slabs[slab].valid;
	if (was)
		rn->slabs[slab].valid = 0;
	spin_unlock_bh(&rn->slab_lock);
	if (was)
		rnode_err_rl(rq_node(q),
			     "slab %u: the node refused our RDMA key for it: its I/O fails from now on\n",
			     slab);
}

static void rmem_rdma_data_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct rmem_rdma_slot *slot = container_of(wc->wr_cqe, struct rmem_rdma_slot, data_cqe);

	if (unlikely(wc->status != IB_WC_SUCCESS)) {
		/*
		 * The node refused our key for the slab: the rkey it gave us
		 * is wrong (a lie, or a bug). Sent again it would fail again,
		 * after every reconnect: forget it, so that the request (and
		 * any later one on that slab) fails with an error instead.
		 */
		if ((wc->status == IB_WC_REM_ACCESS_ERR || wc->status == IB_WC_REM_INV_REQ_ERR) &&
		    slot->io && rmem_rdma_queue_live(slot->q))
			rmem_rdma_slab_forget(slot->q, slot->io->slab);
		/* wc->opcode is undefined in a failed completion. */
		rmem_rdma_wc_error(slot->q, wc, slot->dir == DMA_FROM_DEVICE ?
				   "RDMA READ" : "RDMA WRITE");
		return;
	}
	rmem_rdma_slot_finish(slot->q, slot, 0);
}

/* ---- receive path ---- */

static int rmem_rdma_post_recv(struct rmem_rdma_queue *q, struct rmem_rdma_rx *rx)
{
	struct ib_sge sge = {
		.addr = rx->dma,
		.length = RMEM_RDMA_MSG_SIZE,
		.lkey = q->pd->local_dma_lkey,
	};
	struct ib_recv_wr wr = {
		.wr_cqe = &rx->cqe,
		.sg_list = &sge,
		.num_sge = 1,
	};

	ib_dma_sync_single_for_device(q->ibdev, rx->dma, RMEM_RDMA_MSG_SIZE, DMA_FROM_DEVICE);
	return ib_post_recv(q->qp, &wr, NULL);
}

static void rmem_rdma_slab_set(struct rmem_rdma_node *rn, const struct rmem_slab_alloc_reply *a)
{
	u32 slab = le32_to_cpu(a->slab);

	spin_lock_bh(&rn->slab_lock);
	rn->slabs[slab].addr = le64_to_cpu(a->addr);
	rn->slabs[slab].rkey = le32_to_cpu(a->rkey);
	rn->slabs[slab].valid = 1;
	spin_unlock_bh(&rn->slab_lock);
}

static void rmem_rdma_slab_clear(struct rmem_rdma_node *rn, u32 slab)
{
	spin_lock_bh(&rn->slab_lock);
	if (slab < rn->nr_slabs)
		rn->slabs[slab].valid = 0;
	spin_unlock_bh(&rn->slab_lock);
}

/*
 * The RDMA keys a published-region reply gives: PUB_ALLOC's slab (the
 * owner's write MR, as SLAB_ALLOC), PUB_MAP's slabs (read-only MRs for an
 * attached session, or the owner's). Returns -EPROTO for a slab the node
 * does not have.
 */
static int rmem_rdma_pub_keys(struct rmem_rdma_node *rn, const struct rmem_req *io)
{
	const struct rmem_pub_map_reply *map = io->reply.ctl.rbuf;
	struct rmem_slab_alloc_reply a;
	unsigned int i;

	if (io->type == RMEM_MSG_PUB_ALLOC) {
		a = *(const struct rmem_slab_alloc_reply *)io->reply.ctl.rbuf;
		if (le32_to_cpu(a.slab) >= rn->nr_slabs)
			goto bad;
		rmem_rdma_slab_set(rn, &a);
		return 0;
	}
	if (io->type != RMEM_MSG_PUB_MAP)
		return 0;
	for (i = 0; i < RMEM_PUB_MAP_ENTRIES; i++) {
		const struct rmem_pub_map_entry *e = &map->e[i];

		if (le32_to_cpu(e->slab) == RMEM_SLAB_NONE)
			continue;
		if (le32_to_cpu(e->slab) >= rn->nr_slabs)
			goto bad;
		a.slab = e->slab;
		a.rkey = e->rkey;
		a.addr = e->addr;
		rmem_rdma_slab_set(rn, &a);
	}
	return 0;
bad:
	rnode_err_rl(rn->node, "published region: slab beyond the node's %u\n", rn->nr_slabs);
	return -EPROTO;
}

/*
 * Check a reply in @buf (@len bytes) and file it in its slot. Returns the
 * slot, whose control reference the caller drops, or an ERR_PTR for a
 * protocol error.
 */
static struct rmem_rdma_slot *rmem_rdma_reply(struct rmem_rdma_queue *q, const void *buf,
					      u32 len)
{
	struct rmem_node *node = rq_node(q);
	const struct rmem_msg_hdr *h = buf;
	const void *payload = h + 1;
	struct rmem_rdma_slot *slot;
	struct rmem_req *io;
	u32 plen, status, want = 0;
	u64 id;

	if (len < sizeof(*h) || le32_to_cpu(h->magic) != RMEM_PROTO_MAGIC ||
	    h->version != RMEM_PROTO_VERSION ||
	    !(le16_to_cpu(h->flags) & RMEM_MSG_F_REPLY) ||
	    le32_to_cpu(h->len) != len - sizeof(*h) || le32_to_cpu(h->status) > RMEM_ERR_MAX) {
		rnode_err_rl(node, "queue %u: malformed reply of %u bytes\n", q->qid, len);
		return ERR_PTR(-EPROTO);
	}
	plen = le32_to_cpu(h->len);
	status = le32_to_cpu(h->status);
	id = le64_to_cpu(h->id);
	if ((id & RMEM_RDMA_ID_SLOT) >= q->nr_slots)
		goto out_nomatch;
	slot = &q->slots[id & RMEM_RDMA_ID_SLOT];
	io = slot->io;
	/* Receives complete one at a time: no reply can race this check. */
	if (!io || io->id != id || io->type != h->type || slot->sg_nents ||
	    !(atomic_read(&slot->ctl_wait) & RMEM_RDMA_WAIT_REPLY))
		goto out_nomatch;

	if (!status) {
		switch (io->type) {
		case RMEM_MSG_AUTH:
			want = sizeof(q->auth_rep);
			break;
		case RMEM_MSG_HELLO:
			want = sizeof(q->hello_rep);
			break;
		case RMEM_MSG_SLAB_ALLOC:
			want = sizeof(io->reply.alloc);
			break;
		case RMEM_MSG_PING:
			want = sizeof(io->reply.ping);
			break;
		case RMEM_MSG_SLAB_LIST:
			want = sizeof(io->reply.list);
			break;
		default:
			if (rmem_msg_is_pub(io->type))
				want = io->reply.ctl.rlen;
			break;
		}
	}
	if (plen != want) {
		rnode_err_rl(node, "queue %u: reply to type %u has %u bytes, expected %u\n",
			     q->qid, io->type, plen, want);
		return ERR_PTR(-EPROTO);
	}

	slot->err = rmem_proto_status_errno(status);
	rmem_node_heard(node);
	if ((io->type == RMEM_MSG_HELLO || io->type == RMEM_MSG_AUTH) && status) {
		slot->err = rmem_node_refused(node, io->type, status);
		/* Now: rmemd disconnects next, and the reason must win. */
		rmem_rdma_cm_fail(q, slot->err);
		return slot;
	}
	if (io->type == RMEM_MSG_HELLO) {
		memcpy(&q->hello_rep, payload, want);
	} else if (io->type == RMEM_MSG_AUTH) {
		memcpy(&q->auth_rep, payload, want);
	} else if (io->type == RMEM_MSG_SLAB_ALLOC && !status) {
		memcpy(&io->reply.alloc, payload, want);
		if (le32_to_cpu(io->reply.alloc.slab) >= q->rn->nr_slabs) {
			rnode_err_rl(node, "slab %u allocated, the node has %u\n",
				     le32_to_cpu(io->reply.alloc.slab), q->rn->nr_slabs);
			return ERR_PTR(-EPROTO);
		}
		rmem_rdma_slab_set(q->rn, &io->reply.alloc);
	} else if (io->type == RMEM_MSG_SLAB_FREE && (!status || status == RMEM_ERR_NOENT)) {
		rmem_rdma_slab_clear(q->rn, io->slab);
	} else if (io->type == RMEM_MSG_PING && !status) {
		memcpy(&io->reply.ping, payload, want);
	} else if (io->type == RMEM_MSG_SLAB_LIST && !status) {
		memcpy(&io->reply.list, payload, want);
	} else if (rmem_msg_is_pub(io->type) && !status) {
		if (want)
			memcpy(io->reply.ctl.rbuf, payload, want);
		if (rmem_rdma_pub_keys(q->rn, io))
			return ERR_PTR(-EPROTO);
	}
	/* A published-region request's caller says why it failed. */
	if (status && status != RMEM_ERR_NOENT && status != RMEM_ERR_NOSPC &&
	    !rmem_msg_is_pub(io->type))
		rnode_err_rl(node, "request type %u failed: status %u\n", io->type, status);
	return slot;

out_nomatch:
	rnode_err_rl(node, "queue %u: reply id %llu type %u matches no request\n",
		     q->qid, id, h->type);
	return ERR_PTR(-EPROTO);
}

static void rmem_rdma_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct rmem_rdma_rx *rx = container_of(wc->wr_cqe, struct rmem_rdma_rx, cqe);
	struct rmem_rdma_queue *q = rx->q;
	struct rmem_rdma_slot *slot;
	int ret;

	if (unlikely(wc->status != IB_WC_SUCCESS)) {
		rmem_rdma_wc_error(q, wc, "RECV");
		return;
	}
	ib_dma_sync_single_for_cpu(q->ibdev, rx->dma, RMEM_RDMA_MSG_SIZE, DMA_FROM_DEVICE);
	slot = rmem_rdma_reply(q, rx->buf, wc->byte_len);
	if (IS_ERR(slot))
		goto out_error;
	/* Repost first: the slot may carry the next message at once. */
	ret = rmem_rdma_post_recv(q, rx);
	if (ret) {
		rnode_err_rl(rq_node(q), "queue %u: cannot repost a receive: %d\n", q->qid, ret);
		goto out_error;
	}
	rmem_rdma_ctl_put(q, slot, RMEM_RDMA_WAIT_REPLY);
	return;

out_error:
	if (rmem_rdma_queue_live(q))
		rmem_rdma_queue_error(q);
	else
		rmem_rdma_cm_fail(q, -EPROTO);
}

/* ---- submit ---- */

static bool rmem_rdma_slot_get(struct rmem_rdma_queue *q, struct rmem_rdma_slot **slot,
			       bool *dead)
{
	spin_lock_bh(&q->lock);
	if (!q->live) {
		*dead = true;
	} else {
		*slot = list_first_entry_or_null(&q->free, struct rmem_rdma_slot, entry);
		if (*slot) {
			list_del_init(&(*slot)->entry);
			q->posting++;
		}
	}
	spin_unlock_bh(&q->lock);
	return *dead || *slot;
}

static void rmem_rdma_post_end(struct rmem_rdma_queue *q)
{
	bool wake;

	spin_lock_bh(&q->lock);
	wake = !--q->posting && !q->live;
	spin_unlock_bh(&q->lock);
	if (wake)
		wake_up_all(&q->wait);
}

/*
 * Undo rmem_rdma_slot_get() for a request that was not posted: the slot
 * goes back to the free list before the posting count drops, since
 * teardown, once that count is 0, hands back every request still in a
 * slot and frees the slots. The caller then completes the request.
 */
static void rmem_rdma_slot_unget(struct rmem_rdma_queue *q, struct rmem_rdma_slot *slot)
{
	rmem_rdma_slot_unmap(q, slot);
	rmem_rdma_slot_put(q, slot);
	rmem_rdma_post_end(q);
}

/*
 * The RDMA key and address of @io's slab, looked up once @io holds a slot
 * of a live queue (and was found to be of the current generation): a
 * reconnect cannot then run until it is posted, so the key is the current
 * session's.
 */
static int rmem_rdma_where(struct rmem_node *node, struct rmem_req *io,
			   struct rmem_rdma_slab *where)
{
	struct rmem_rdma_node *rn = node->priv;

	spin_lock_bh(&rn->slab_lock);
	if (io->slab < rn->nr_slabs)
		*where = rn->slabs[io->slab];
	spin_unlock_bh(&rn->slab_lock);
	if (!where->valid) {
		rnode_err_rl(node, "slab %u: no RDMA key known for it\n", io->slab);
		return -EIO;
	}
	return 0;
}

static void rmem_rdma_hdr(struct rmem_msg_hdr *h, u8 type, u32 len, u64 id)
{
	memset(h, 0, sizeof(*h));
	h->magic = cpu_to_le32(RMEM_PROTO_MAGIC);
	h->version = RMEM_PROTO_VERSION;
	h->type = type;
	h->len = cpu_to_le32(len);
	h->id = cpu_to_le64(id);
}

/* Post a control message (@io in @slot, payload @p of @plen bytes). */
static int rmem_rdma_post_ctl(struct rmem_rdma_queue *q, struct rmem_rdma_slot *slot,
			      const void *p, u32 plen)
{
	struct rmem_req *io = slot->io;
	u64 off = (u64)slot->idx * RMEM_RDMA_MSG_SIZE;
	struct rmem_msg_hdr *h = q->tx_buf + off;
	struct ib_send_wr *wr = &slot->wr[0].wr;

	rmem_rdma_hdr(h, io->type, plen, io->id);
	memcpy(h + 1, p, plen);
	ib_dma_sync_single_for_device(q->ibdev, q->tx_dma + off, sizeof(*h) + plen,
				      DMA_TO_DEVICE);
	slot->sge[0].addr = q->tx_dma + off;
	slot->sge[0].length = sizeof(*h) + plen;
	slot->sge[0].lkey = q->pd->local_dma_lkey;
	memset(wr, 0, sizeof(*wr));
	wr->wr_cqe = &slot->send_cqe;
	wr->sg_list = slot->sge;
	wr->num_sge = 1;
	wr->opcode = IB_WR_SEND;
	wr->send_flags = IB_SEND_SIGNALED;
	slot->err = 0;
	atomic_set(&slot->ctl_wait, RMEM_RDMA_WAIT_SEND | RMEM_RDMA_WAIT_REPLY);
	return ib_post_send(q->qp, wr, NULL);
}

static u64 rmem_rdma_id(struct rmem_node *node, struct rmem_rdma_slot *slot)
{
	return (atomic64_inc_return(&node->seq) << RMEM_RDMA_ID_SHIFT) | slot->idx;
}

/*
 * Map @io's pages and post its RDMA READ or WRITE chain. Returns 1 when
 * @io was failed before anything was posted, 0 when posted, or a negative
 * errno from ib_post_send() (the request stays in its slot).
 */
static int rmem_rdma_post_data(struct rmem_rdma_queue *q, struct rmem_rdma_slot *slot,
			       const struct rmem_rdma_slab *where)
{
	struct rmem_node *node = rq_node(q);
	struct rmem_req *io = slot->io;
	bool rd = io->type == RMEM_MSG_READ;
	unsigned int i, n, per_wr, nr_wr, total = 0;
	u64 remote = where->addr + io->offset;
	struct scatterlist *sg;
	int count;

	if (!io->nr_bvec || io->nr_bvec > RMEM_RDMA_MAX_SG || !io->len ||
	    io->offset + io->len > node->slab_size) {
		rnode_err_rl(node, "bad request: %u segments, %u bytes at %llu\n",
			     io->nr_bvec, io->len, io->offset);
		return 1;
	}
	sg_init_table(slot->sgl, io->nr_bvec);
	for (i = 0; i < io->nr_bvec; i++) {
		sg_set_page(&slot->sgl[i], io->bvec[i].bv_page, io->bvec[i].bv_len,
			    io->bvec[i].bv_offset);
		total += io->bvec[i].bv_len;
	}
	if (total != io->len) {
		rnode_err_rl(node, "request of %u bytes has %u in its pages\n", io->len, total);
		return 1;
	}
	slot->dir = rd ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
	count = ib_dma_map_sg(q->ibdev, slot->sgl, io->nr_bvec, slot->dir);
	if (count <= 0) {
		rnode_err_rl(node, "cannot map %u pages for DMA\n", io->nr_bvec);
		return 1;
	}
	slot->sg_nents = io->nr_bvec;

	for_each_sg(slot->sgl, sg, count, i) {
		slot->sge[i].addr = sg_dma_address(sg);
		slot->sge[i].length = sg_dma_len(sg);
		slot->sge[i].lkey = q->pd->local_dma_lkey;
	}
	per_wr = rd ? q->max_read_sge : q->max_write_sge;
	nr_wr = DIV_ROUND_UP(count, per_wr);
	for (i = 0; i < nr_wr; i++) {
		struct ib_rdma_wr *wr = &slot->wr[i];
		unsigned int j, first = i * per_wr;

		n = min_t(unsigned int, per_wr, count - first);
		memset(wr, 0, sizeof(*wr));
		wr->wr.wr_cqe = &slot->data_cqe;
		wr->wr.opcode = rd ? IB_WR_RDMA_READ : IB_WR_RDMA_WRITE;
		wr->wr.sg_list = &slot->sge[first];
		wr->wr.num_sge = n;
		wr->remote_addr = remote;
		wr->rkey = where->rkey;
		for (j = 0; j < n; j++)
			remote += slot->sge[first + j].length;
		if (i + 1 < nr_wr)
			wr->wr.next = &slot->wr[i + 1].wr;
		else
			wr->wr.send_flags = IB_SEND_SIGNALED;
	}
	return ib_post_send(q->qp, &slot->wr[0].wr, NULL);
}

static int rmem_rdma_submit(struct rmem_node *node, unsigned int qid, struct rmem_req *io)
{
	struct rmem_rdma_node *rn = node->priv;
	struct rmem_rdma_queue *q = &rn->q[qid];
	struct rmem_rdma_slot *slot = NULL;
	struct rmem_rdma_slab where = {};
	struct rmem_slab_ref ref;
	unsigned int noio;
	bool dead = false;
	int ret, err = 0;

	if (io->type != RMEM_MSG_READ && io->type != RMEM_MSG_WRITE &&
	    io->type != RMEM_MSG_SLAB_ALLOC && io->type != RMEM_MSG_SLAB_FREE &&
	    io->type != RMEM_MSG_PING && io->type != RMEM_MSG_SLAB_LIST &&
	    (!rmem_msg_is_pub(io->type) ||
	     sizeof(struct rmem_msg_hdr) + io->reply.ctl.plen > RMEM_RDMA_MSG_SIZE ||
	     sizeof(struct rmem_msg_hdr) + io->reply.ctl.rlen > RMEM_RDMA_MSG_SIZE)) {
		rmem_node_complete(node, io, -EINVAL);
		return 0;
	}

	noio = memalloc_noio_save();
	/*
	 * Slots come back as requests complete; one whose completion never
	 * comes is freed only by the abort of blk-mq's timeout handler, which
	 * waits for this ->queue_rq() (BLK_MQ_F_BLOCKING). So wait
	 * io_timeout_s at most, then treat the queue as broken: the teardown
	 * hands every request back, and this one waits for the reconnect.
	 */
	if (!wait_event_timeout(q->wait, rmem_rdma_slot_get(q, &slot, &dead),
				rmem_io_timeout())) {
		rnode_warn(node, "queue %u: no free send slot for %u s: resetting the connection\n",
			   qid, READ_ONCE(rmem_io_timeout_s));
		dead = true;
	}
	if (dead) {
		memalloc_noio_restore(noio);
		/* The node must not look live to rmem_node_submit() any more. */
		rmem_node_error(node);
		return -ENOTCONN;
	}

	slot->io = io;
	io->id = rmem_rdma_id(node, slot);
	if (rmem_node_io_stale(node, io)) {
		/* It waited for the slot across the loss of its session. */
		err = -ESTALE;
		ret = 1;
		goto out_unposted;
	}
	switch (io->type) {
	case RMEM_MSG_READ:
	case RMEM_MSG_WRITE:
		err = rmem_rdma_where(node, io, &where);
		ret = err ? 1 : rmem_rdma_post_data(q, slot, &where);
		break;
	case RMEM_MSG_SLAB_FREE:
	case RMEM_MSG_SLAB_LIST:
		ref.slab = cpu_to_le32(io->slab);
		ref.reserved = 0;
		ret = rmem_rdma_post_ctl(q, slot, &ref, sizeof(ref));
		break;
	case RMEM_MSG_PUB_CREATE ... RMEM_MSG_PUB_DELETE:
		ret = rmem_rdma_post_ctl(q, slot, io->reply.ctl.payload, io->reply.ctl.plen);
		break;
	default:
		ret = rmem_rdma_post_ctl(q, slot, NULL, 0);
		break;
	}
out_unposted:
	if (ret == 1) {
		/* Failed before anything was posted. */
		rmem_rdma_slot_unget(q, slot);
		memalloc_noio_restore(noio);
		rmem_node_complete(node, io, err ?: -EIO);
		return 0;
	}
	/* Before posting drops: teardown, and so a new connection, comes after. */
	if (ret)
		WRITE_ONCE(q->broken, true);
	rmem_rdma_post_end(q);
	memalloc_noio_restore(noio);

	if (ret) {
		/* @io stays in its slot: teardown hands it back. */
		rnode_warn(node, "queue %u: post failed: %d\n", qid, ret);
		rmem_node_error(node);
	}
	return 0;
}

/*
 * @io timed out. If it still holds a slot of a live queue, its completion
 * or reply was lost: mark the queue not live, so that no new request is
 * posted on it (submitters see it dead and park their requests on the
 * node), and let the node recover; teardown drains the QP and hands @io
 * back. Runs in the blk-mq timeout handler: spinlocks only. Teardown marks
 * a queue not live under q->lock before it frees the slots, so the slot
 * array is valid while we see the queue live.
 */
static bool rmem_rdma_abort(struct rmem_node *node, struct rmem_req *io)
{
	struct rmem_rdma_node *rn = node->priv;
	struct rmem_rdma_queue *q;
	unsigned int idx;
	bool found = false;

	if (!rn)
		return false;
	q = &rn->q[io->qid % rn->nr];
	idx = READ_ONCE(io->id) & RMEM_RDMA_ID_SLOT;
	spin_lock_bh(&q->lock);
	if (q->live && q->slots && idx < q->nr_slots && READ_ONCE(q->slots[idx].io) == io) {
		q->live = false;
		found = true;
	}
	spin_unlock_bh(&q->lock);
	if (!found)
		return false;
	wake_up_all(&q->wait);	/* submitters waiting for a slot */
	rnode_warn(node, "queue %u: request id %llu (slot %u) timed out: aborting the queue\n",
		   q->qid, io->id, idx);
	return true;
}

/* ---- rdma_cm ---- */

/* rmemd rejected our connect request with @status: say why, as over TCP. */
static int rmem_rdma_rejected(struct rmem_rdma_queue *q, u32 status)
{
	struct rmem_node *node = rq_node(q);

	if (status == RMEM_ERR_PERM && node->auth) {
		rnode_err(node, "queue %u: RDMA connection refused: node refused our key %016llx (unknown key, or a different key under that id)\n",
			  q->qid, node->key_id);
		return -EKEYREJECTED;
	}
	if (status == RMEM_ERR_PERM) {
		rnode_err(node, "queue %u: RDMA connection refused: node requires authentication: install its cluster key ('rmemctl key add FILE') and add the node without 'auth none'\n",
			  q->qid);
		return -EACCES;
	}
	if (status == RMEM_ERR_VERSION) {
		rnode_err(node, "queue %u: RDMA connection refused: node speaks another protocol version: upgrade rmemd and rmem together\n",
			  q->qid);
		return -ENOPROTOOPT;
	}
	rnode_err(node, "queue %u: RDMA connection rejected, status %u\n", q->qid, status);
	return -ECONNREFUSED;
}

static int rmem_rdma_cm_handler(struct rdma_cm_id *cm_id, struct rdma_cm_event *ev)
{
	struct rmem_rdma_queue *q = cm_id->context;
	const struct rmem_rdma_cm_rep *rep;
	u8 len;

	switch (ev->event) {
	case RDMA_CM_EVENT_ADDR_RESOLVED:
		rmem_rdma_cm_step(q, RMEM_RDMA_EV_ADDR);
		break;
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
		rmem_rdma_cm_step(q, RMEM_RDMA_EV_ROUTE);
		break;
	case RDMA_CM_EVENT_ESTABLISHED:
		rep = ev->param.conn.private_data;
		if (!rep || ev->param.conn.private_data_len < sizeof(*rep)) {
			rmem_rdma_cm_fail(q, -EPROTO);
			break;
		}
		spin_lock_bh(&q->lock);
		q->rep = *rep;
		spin_unlock_bh(&q->lock);
		rmem_rdma_cm_step(q, RMEM_RDMA_EV_CONN);
		break;
	case RDMA_CM_EVENT_REJECTED:
		rep = rdma_consumer_reject_data(cm_id, ev, &len);
		if (rep && len >= sizeof(*rep) && le32_to_cpu(rep->magic) == RMEM_PROTO_MAGIC)
			rmem_rdma_cm_fail(q, rmem_rdma_rejected(q, le32_to_cpu(rep->status)));
		else
			rmem_rdma_cm_fail(q, -ECONNREFUSED);
		break;
	case RDMA_CM_EVENT_ADDR_ERROR:
		rmem_rdma_cm_fail(q, ev->status == -ENODEV ? -ENODEV : -EHOSTUNREACH);
		break;
	case RDMA_CM_EVENT_ROUTE_ERROR:
	case RDMA_CM_EVENT_CONNECT_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
		rmem_rdma_cm_fail(q, -EHOSTUNREACH);
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
	case RDMA_CM_EVENT_ADDR_CHANGE:
		if (rmem_rdma_queue_live(q))
			rmem_rdma_queue_error(q);
		else
			rmem_rdma_cm_fail(q, -ECONNRESET);
		break;
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		/* The ib_client tears live queues down; stop a connect. */
		rmem_rdma_cm_fail(q, -ENODEV);
		break;
	default:
		break;
	}
	return 0;
}

/* Find @ibdev among the devices the ib_client knows, unless it is dying. */
static int rmem_rdma_queue_attach(struct rmem_rdma_queue *q)
{
	struct rmem_rdma_dev *rdev;
	int ret = -ENODEV;

	mutex_lock(&rmem_rdma_dev_mutex);
	list_for_each_entry(rdev, &rmem_rdma_devs, entry) {
		if (rdev->ibdev != q->cm_id->device || rdev->dying)
			continue;
		spin_lock_bh(&q->lock);
		if (!q->aborted) {
			q->rdev = rdev;
			list_add_tail(&q->dev_entry, &rdev->queues);
			ret = 0;
		}
		spin_unlock_bh(&q->lock);
		break;
	}
	mutex_unlock(&rmem_rdma_dev_mutex);
	return ret;
}

static void rmem_rdma_queue_detach(struct rmem_rdma_queue *q)
{
	if (!q->rdev)
		return;
	mutex_lock(&rmem_rdma_dev_mutex);
	list_del_init(&q->dev_entry);
	q->rdev = NULL;
	mutex_unlock(&rmem_rdma_dev_mutex);
}

/* Everything that lives on the device: PD, CQ, QP, buffers, slots. */
static int rmem_rdma_queue_setup(struct rmem_rdma_queue *q)
{
	struct rmem_node *node = rq_node(q);
	struct ib_device *dev = q->cm_id->device;
	struct ib_qp_init_attr attr = {};
	unsigned int i, sq;
	size_t nsg;
	int ret;

	if (rdma_protocol_iwarp(dev, q->cm_id->port_num)) {
		rnode_err(node, "RDMA device %s is iWARP, which rmem does not support (RDMA READ sinks would need MRs); use transport tcp\n",
			  dev_name(&dev->dev));
		return -EPROTONOSUPPORT;
	}
	ret = rmem_rdma_queue_attach(q);
	if (ret) {
		rnode_err(node, "RDMA device %s is going away\n", dev_name(&dev->dev));
		return ret;
	}
	q->ibdev = dev;

	q->max_write_sge = min_t(u32, dev->attrs.max_send_sge, RMEM_RDMA_MAX_SG);
	q->max_read_sge = min_t(u32, q->max_write_sge, dev->attrs.max_sge_rd);
	if (!q->max_read_sge)
		return -EINVAL;
	q->wr_per_slot = DIV_ROUND_UP(RMEM_RDMA_MAX_SG, q->max_read_sge);
	q->nr_slots = RMEM_RDMA_SLOTS;
	/* The send queue holds every slot's longest chain, plus the drain. */
	if ((u64)q->nr_slots * q->wr_per_slot + 1 > dev->attrs.max_qp_wr)
		q->nr_slots = (dev->attrs.max_qp_wr - 1) / q->wr_per_slot;
	if (!q->nr_slots || q->nr_slots + 1 > dev->attrs.max_qp_wr)
		return -EINVAL;
	sq = q->nr_slots * q->wr_per_slot + 1;

	q->pd = ib_alloc_pd(dev, 0);
	if (IS_ERR(q->pd)) {
		ret = PTR_ERR(q->pd);
		q->pd = NULL;
		return ret;
	}
	/* Flushes complete every WR, signalled or not; +1: the drain's RECV. */
	q->cq_size = sq + q->nr_slots + 1;
	q->cq = ib_cq_pool_get(dev, q->cq_size, q->qid, IB_POLL_WORKQUEUE);
	if (IS_ERR(q->cq)) {
		ret = PTR_ERR(q->cq);
		q->cq = NULL;
		return ret;
	}

	attr.event_handler = NULL;
	attr.send_cq = q->cq;
	attr.recv_cq = q->cq;
	attr.qp_type = IB_QPT_RC;
	attr.sq_sig_type = IB_SIGNAL_REQ_WR;
	attr.cap.max_send_wr = sq;
	attr.cap.max_recv_wr = q->nr_slots + 1;
	attr.cap.max_send_sge = q->max_write_sge;
	attr.cap.max_recv_sge = 1;
	ret = rdma_create_qp(q->cm_id, q->pd, &attr);
	if (ret)
		return ret;
	q->qp = q->cm_id->qp;

	nsg = (size_t)q->nr_slots * RMEM_RDMA_MAX_SG;
	q->slots = kcalloc(q->nr_slots, sizeof(*q->slots), GFP_KERNEL);
	q->sgl = kvcalloc(nsg, sizeof(*q->sgl), GFP_KERNEL);
	q->sge = kvcalloc(nsg, sizeof(*q->sge), GFP_KERNEL);
	q->wrs = kvcalloc((size_t)q->nr_slots * q->wr_per_slot, sizeof(*q->wrs), GFP_KERNEL);
	q->rx = kcalloc(q->nr_slots, sizeof(*q->rx), GFP_KERNEL);
	q->tx_buf = kcalloc(q->nr_slots, RMEM_RDMA_MSG_SIZE, GFP_KERNEL);
	q->rx_buf = kcalloc(q->nr_slots, RMEM_RDMA_MSG_SIZE, GFP_KERNEL);
	if (!q->slots || !q->sgl || !q->sge || !q->wrs || !q->rx || !q->tx_buf || !q->rx_buf)
		return -ENOMEM;

	q->tx_dma = ib_dma_map_single(dev, q->tx_buf, q->nr_slots * RMEM_RDMA_MSG_SIZE,
				      DMA_TO_DEVICE);
	if (ib_dma_mapping_error(dev, q->tx_dma))
		return -ENOMEM;
	q->tx_mapped = true;
	q->rx_dma = ib_dma_map_single(dev, q->rx_buf, q->nr_slots * RMEM_RDMA_MSG_SIZE,
				      DMA_FROM_DEVICE);
	if (ib_dma_mapping_error(dev, q->rx_dma))
		return -ENOMEM;
	q->rx_mapped = true;

	for (i = 0; i < q->nr_slots; i++) {
		struct rmem_rdma_slot *slot = &q->slots[i];

		slot->q = q;
		slot->idx = i;
		INIT_LIST_HEAD(&slot->entry);
		slot->send_cqe.done = rmem_rdma_send_done;
		slot->data_cqe.done = rmem_rdma_data_done;
		slot->sgl = &q->sgl[i * RMEM_RDMA_MAX_SG];
		slot->sge = &q->sge[i * RMEM_RDMA_MAX_SG];
		slot->wr = &q->wrs[i * q->wr_per_slot];
	}
	for (i = 0; i < q->nr_slots; i++) {
		struct rmem_rdma_rx *rx = &q->rx[i];

		rx->q = q;
		rx->cqe.done = rmem_rdma_recv_done;
		rx->buf = q->rx_buf + i * RMEM_RDMA_MSG_SIZE;
		rx->dma = q->rx_dma + i * RMEM_RDMA_MSG_SIZE;
		ret = rmem_rdma_post_recv(q, rx);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * One message of the connection setup (AUTH or HELLO) on slot 0, before
 * the free list exists; its reply lands in q->auth_rep or q->hello_rep.
 */
static int rmem_rdma_setup_call(struct rmem_rdma_queue *q, u8 type, const void *p, u32 plen,
				unsigned long deadline)
{
	struct rmem_rdma_slot *slot = &q->slots[0];
	int ret;

	spin_lock_bh(&q->lock);
	q->hello_done = false;
	spin_unlock_bh(&q->lock);
	memset(&q->hello_io, 0, sizeof(q->hello_io));
	q->hello_io.type = type;
	q->hello_io.id = 0;
	slot->io = &q->hello_io;
	ret = rmem_rdma_post_ctl(q, slot, p, plen);
	if (ret)
		return ret;
	return rmem_rdma_cm_wait(q, 0, deadline);
}

/* With a key, AUTH first (the node proves the key), then HELLO. */
static int rmem_rdma_hello(struct rmem_rdma_queue *q, unsigned long deadline)
{
	struct rmem_node *node = rq_node(q);
	struct rmem_auth_hs hs;
	struct rmem_hello hello;
	struct rmem_auth auth;
	int ret;

	if (node->auth) {
		rmem_auth_start(node, &hs, &auth);
		ret = rmem_rdma_setup_call(q, RMEM_MSG_AUTH, &auth, sizeof(auth), deadline);
		if (ret)
			return ret;
		ret = rmem_auth_finish(node, &hs, &q->auth_rep);
		if (ret)
			return ret;
	}
	ret = rmem_auth_hello(node, node->auth ? &hs : NULL, q->qid, RMEM_PROTO_FEAT_RDMA,
			      &hello);
	if (ret)
		return ret;
	ret = rmem_rdma_setup_call(q, RMEM_MSG_HELLO, &hello, sizeof(hello), deadline);
	if (ret)
		return ret;
	return rmem_node_hello(node, q->qid, &q->hello_rep, RMEM_PROTO_FEAT_RDMA);
}

static int rmem_rdma_queue_open(struct rmem_rdma_queue *q, unsigned long deadline)
{
	struct rmem_node *node = rq_node(q);
	struct rmem_rdma_cm_req req = {};
	struct rdma_conn_param param = {};
	struct rdma_cm_id *cm_id;
	unsigned int i, depth;
	int ret;

	spin_lock_bh(&q->lock);
	q->live = false;
	q->posting = 0;
	q->cm_events = 0;
	q->cm_error = 0;
	q->broken = false;
	q->aborted = false;
	q->hello_done = false;
	INIT_LIST_HEAD(&q->free);
	spin_unlock_bh(&q->lock);

	cm_id = rdma_create_id(&init_net, rmem_rdma_cm_handler, q, RDMA_PS_TCP, IB_QPT_RC);
	if (IS_ERR(cm_id))
		return PTR_ERR(cm_id);
	q->cm_id = cm_id;

	ret = rdma_resolve_addr(cm_id, NULL, (struct sockaddr *)&node->addr,
				rmem_connect_timeout_ms);
	if (ret)
		return ret;
	ret = rmem_rdma_cm_wait(q, RMEM_RDMA_EV_ADDR, deadline);
	if (ret)
		return ret;
	if (!rmem_rdma_port_active(q))
		return -ENETDOWN;
	ret = rmem_rdma_queue_setup(q);
	if (ret)
		return ret;
	ret = rdma_resolve_route(cm_id, rmem_connect_timeout_ms);
	if (ret)
		return ret;
	ret = rmem_rdma_cm_wait(q, RMEM_RDMA_EV_ROUTE, deadline);
	if (ret)
		return ret;
	if (!rmem_rdma_port_active(q))
		return -ENETDOWN;

	req.magic = cpu_to_le32(RMEM_PROTO_MAGIC);
	req.version = RMEM_PROTO_VERSION;
	req.depth = cpu_to_le16(q->nr_slots);
	req.session = cpu_to_le64(node->session);
	req.queue = cpu_to_le32(q->qid);
	ret = rmem_auth_cm_req(node, &req);
	if (ret)
		return ret;
	param.private_data = &req;
	param.private_data_len = sizeof(req);
	param.flow_control = 1;
	param.retry_count = 7;
	param.rnr_retry_count = 7;
	param.responder_resources = min_t(u32, q->ibdev->attrs.max_qp_rd_atom, 16);
	param.initiator_depth = min_t(u32, q->ibdev->attrs.max_qp_init_rd_atom, 16);
	param.qp_num = q->qp->qp_num;
	ret = rdma_connect(cm_id, &param);
	if (ret)
		return ret;
	ret = rmem_rdma_cm_wait(q, RMEM_RDMA_EV_CONN, deadline);
	if (ret)
		return ret;

	depth = le16_to_cpu(q->rep.depth);
	if (le32_to_cpu(q->rep.magic) == RMEM_PROTO_MAGIC &&
	    q->rep.version != RMEM_PROTO_VERSION) {
		rnode_err(node, "queue %u: node speaks protocol version %u, we speak %u: upgrade rmemd and rmem together\n",
			  q->qid, q->rep.version, RMEM_PROTO_VERSION);
		return -ENOPROTOOPT;
	}
	if (le32_to_cpu(q->rep.magic) != RMEM_PROTO_MAGIC ||
	    q->rep.version != RMEM_PROTO_VERSION || le32_to_cpu(q->rep.status) || !depth) {
		rnode_err(node, "queue %u: bad RDMA accept (magic %#x version %u status %u depth %u)\n",
			  q->qid, le32_to_cpu(q->rep.magic), q->rep.version,
			  le32_to_cpu(q->rep.status), depth);
		return -EPROTO;
	}
	q->depth = min(depth, q->nr_slots);

	ret = rmem_rdma_hello(q, deadline);
	if (ret)
		return ret;

	/* Only as many slots as rmemd keeps receives for. */
	spin_lock_bh(&q->lock);
	for (i = 0; i < q->depth; i++)
		if (!q->slots[i].io)
			list_add_tail(&q->slots[i].entry, &q->free);
	spin_unlock_bh(&q->lock);
	return 0;
}

/* ---- teardown ---- */

static void rmem_rdma_queue_stop(struct rmem_rdma_queue *q)
{
	spin_lock_bh(&q->lock);
	q->live = false;
	spin_unlock_bh(&q->lock);
	wake_up_all(&q->wait);
	/* A submitter between taking a slot and posting finishes first. */
	wait_event(q->wait, ({
		bool idle;

		spin_lock_bh(&q->lock);
		idle = !q->posting;
		spin_unlock_bh(&q->lock);
		idle;
	}));
}

static void rmem_rdma_queue_free(struct rmem_rdma_queue *q)
{
	struct ib_device *dev = q->ibdev;
	unsigned int i;

	/* Drained: no completion runs any more; hand back what was sent. */
	for (i = 0; q->slots && i < q->nr_slots; i++) {
		struct rmem_rdma_slot *slot = &q->slots[i];
		struct rmem_req *io = slot->io;

		if (!io)
			continue;
		rmem_rdma_slot_unmap(q, slot);
		slot->io = NULL;
		if (io != &q->hello_io)
			rmem_node_requeue(rq_node(q), io);
	}
	INIT_LIST_HEAD(&q->free);
	if (q->qp) {
		/* rdma_create_qp() made it: rdma_destroy_qp() also clears cm_id->qp. */
		rdma_destroy_qp(q->cm_id);
		q->qp = NULL;
	}
	if (q->cq) {
		ib_cq_pool_put(q->cq, q->cq_size);
		q->cq = NULL;
	}
	/* QP, then CQ, then the cm_id, as nvme-rdma tears a queue down. */
	if (q->cm_id) {
		rdma_destroy_id(q->cm_id);
		q->cm_id = NULL;
	}
	if (q->rx_mapped)
		ib_dma_unmap_single(dev, q->rx_dma, q->nr_slots * RMEM_RDMA_MSG_SIZE,
				    DMA_FROM_DEVICE);
	if (q->tx_mapped)
		ib_dma_unmap_single(dev, q->tx_dma, q->nr_slots * RMEM_RDMA_MSG_SIZE,
				    DMA_TO_DEVICE);
	q->rx_mapped = false;
	q->tx_mapped = false;
	kfree(q->rx_buf);
	kfree(q->tx_buf);
	kfree(q->rx);
	kvfree(q->wrs);
	kvfree(q->sge);
	kvfree(q->sgl);
	kfree(q->slots);
	q->rx_buf = NULL;
	q->tx_buf = NULL;
	q->rx = NULL;
	q->wrs = NULL;
	q->sge = NULL;
	q->sgl = NULL;
	q->slots = NULL;
	if (q->pd) {
		ib_dealloc_pd(q->pd);
		q->pd = NULL;
	}
	q->ibdev = NULL;
	rmem_rdma_queue_detach(q);
}

/* Close every queue of @rn. Context: rn->conn_mutex held. */
static void rmem_rdma_teardown(struct rmem_rdma_node *rn)
{
	unsigned int i;

	lockdep_assert_held(&rn->conn_mutex);
	for (i = 0; i < rn->nr; i++)
		rmem_rdma_queue_stop(&rn->q[i]);
	for (i = 0; i < rn->nr; i++)
		if (rn->q[i].cm_id && (rn->q[i].cm_events & RMEM_RDMA_EV_CONN) &&
		    rmem_rdma_port_active(&rn->q[i]))
			rdma_disconnect(rn->q[i].cm_id);
	for (i = 0; i < rn->nr; i++)
		if (rn->q[i].qp)
			ib_drain_qp(rn->q[i].qp);
	for (i = 0; i < rn->nr; i++)
		rmem_rdma_queue_free(&rn->q[i]);
}

/* ---- transport ops ---- */

static void rmem_rdma_node_free(struct kref *ref)
{
	struct rmem_rdma_node *rn = container_of(ref, struct rmem_rdma_node, ref);

	kvfree(rn->slabs);
	kfree(rn);
}

/* Size the slab table for @nr slabs; forget every key when @lost. */
static int rmem_rdma_slabs_reset(struct rmem_rdma_node *rn, u32 nr, bool lost)
{
	struct rmem_rdma_slab *slabs = NULL, *old = NULL;

	if (nr != rn->nr_slabs) {
		slabs = kvcalloc(nr, sizeof(*slabs), GFP_KERNEL);
		if (!slabs && nr)
			return -ENOMEM;
	}
	spin_lock_bh(&rn->slab_lock);
	if (nr != rn->nr_slabs) {
		old = rn->slabs;
		rn->slabs = slabs;
		rn->nr_slabs = nr;
	} else if (lost && nr) {
		memset(rn->slabs, 0, nr * sizeof(*rn->slabs));
	}
	spin_unlock_bh(&rn->slab_lock);
	kvfree(old);
	return 0;
}

static int rmem_rdma_connect(struct rmem_node *node)
{
	struct rmem_rdma_node *rn = node->priv;
	unsigned long deadline;
	unsigned int i, noio;
	int ret = 0;

	if (!rn) {
		rn = kzalloc(struct_size(rn, q, node->nr_queues), GFP_KERNEL);
		if (!rn)
			return -ENOMEM;
		kref_init(&rn->ref);
		mutex_init(&rn->conn_mutex);
		spin_lock_init(&rn->slab_lock);
		rn->node = node;
		rn->nr = node->nr_queues;
		for (i = 0; i < rn->nr; i++) {
			struct rmem_rdma_queue *q = &rn->q[i];

			q->rn = rn;
			q->qid = i;
			spin_lock_init(&q->lock);
			INIT_LIST_HEAD(&q->free);
			INIT_LIST_HEAD(&q->dev_entry);
			init_waitqueue_head(&q->wait);
		}
		node->priv = rn;
	}

	mutex_lock(&rn->conn_mutex);
	/* A reconnect while the system swaps to us must not recurse into it. */
	noio = memalloc_noio_save();
	deadline = jiffies + msecs_to_jiffies(rmem_connect_timeout_ms);
	for (i = 0; i < rn->nr; i++) {
		ret = rmem_rdma_queue_open(&rn->q[i], deadline);
		if (ret) {
			rnode_log(pr_info_ratelimited, node,
				  "queue %u: RDMA connect failed (setup steps %#lx): %d\n",
				  i, rn->q[i].cm_events, ret);
			goto out_teardown;
		}
	}
	ret = rmem_rdma_slabs_reset(rn, node->slabs_total, node->sess_lost);
	if (ret)
		goto out_teardown;

	/*
	 * A queue that failed after its own setup (its peer went, or a bad
	 * reply came while later queues were set up) fails the connect: live,
	 * it would look usable and fail every post. The queues go live only
	 * when none did; one that fails while they go live tears them down
	 * again (a live queue's failure is rmem_node_error()'s).
	 */
	for (i = 0; i < rn->nr && !ret; i++)
		ret = rmem_rdma_queue_failed(&rn->q[i]);
	for (i = 0; i < rn->nr && !ret; i++) {
		struct rmem_rdma_queue *q = &rn->q[i];

		spin_lock_bh(&q->lock);
		ret = rmem_rdma_queue_err(q);
		q->live = !ret;
		spin_unlock_bh(&q->lock);
	}
	if (ret)
		goto out_teardown;
	memalloc_noio_restore(noio);
	mutex_unlock(&rn->conn_mutex);
	return 0;

out_teardown:
	rmem_rdma_teardown(rn);
	memalloc_noio_restore(noio);
	mutex_unlock(&rn->conn_mutex);
	return ret;
}

static void rmem_rdma_disconnect(struct rmem_node *node)
{
	struct rmem_rdma_node *rn = node->priv;

	if (!rn)
		return;
	mutex_lock(&rn->conn_mutex);
	rmem_rdma_teardown(rn);
	mutex_unlock(&rn->conn_mutex);
}

static void rmem_rdma_release(struct rmem_node *node)
{
	struct rmem_rdma_node *rn = node->priv;

	if (!rn)
		return;
	mutex_lock(&rn->conn_mutex);
	rmem_rdma_teardown(rn);
	rn->node = NULL;
	mutex_unlock(&rn->conn_mutex);
	node->priv = NULL;
	kref_put(&rn->ref, rmem_rdma_node_free);
}

static bool rmem_rdma_failed(struct rmem_node *node)
{
	struct rmem_rdma_node *rn = node->priv;
	unsigned int i;

	for (i = 0; rn && i < rn->nr; i++)
		if (!rmem_rdma_queue_live(&rn->q[i]) || READ_ONCE(rn->q[i].broken))
			return true;
	return false;
}

const struct rmem_transport_ops rmem_rdma_ops = {
	.name = "rdma",
	.type = RMEM_TRANSPORT_RDMA,
	.connect = rmem_rdma_connect,
	.disconnect = rmem_rdma_disconnect,
	.submit = rmem_rdma_submit,
	.abort = rmem_rdma_abort,
	.failed = rmem_rdma_failed,
	.release = rmem_rdma_release,
};

/* ---- ib_client: device arrival and removal ---- */

static struct ib_client rmem_rdma_client;

static int rmem_rdma_add_one(struct ib_device *ibdev)
{
	struct rmem_rdma_dev *rdev = kzalloc(sizeof(*rdev), GFP_KERNEL);

	if (!rdev)
		return -ENOMEM;
	rdev->ibdev = ibdev;
	INIT_LIST_HEAD(&rdev->queues);
	mutex_lock(&rmem_rdma_dev_mutex);
	list_add_tail(&rdev->entry, &rmem_rdma_devs);
	mutex_unlock(&rmem_rdma_dev_mutex);
	ib_set_client_data(ibdev, &rmem_rdma_client, rdev);
	return 0;
}

static void rmem_rdma_remove_one(struct ib_device *ibdev, void *client_data)
{
	struct rmem_rdma_dev *rdev = client_data;
	struct rmem_rdma_queue *q;
	struct rmem_rdma_node *rn;

	if (!rdev)
		return;
	/* No new queue on it; connects in progress give up. */
	mutex_lock(&rmem_rdma_dev_mutex);
	rdev->dying = true;
	list_for_each_entry(q, &rdev->queues, dev_entry) {
		spin_lock_bh(&q->lock);
		q->aborted = true;
		spin_unlock_bh(&q->lock);
		wake_up_all(&q->wait);
	}
	mutex_unlock(&rmem_rdma_dev_mutex);

	for (;;) {
		mutex_lock(&rmem_rdma_dev_mutex);
		q = list_first_entry_or_null(&rdev->queues, struct rmem_rdma_queue, dev_entry);
		if (!q) {
			list_del(&rdev->entry);
			mutex_unlock(&rmem_rdma_dev_mutex);
			break;
		}
		rn = q->rn;
		kref_get(&rn->ref);
		mutex_unlock(&rmem_rdma_dev_mutex);

		mutex_lock(&rn->conn_mutex);
		if (rn->node) {
			rnode_warn(rn->node, "RDMA device %s removed: closing its queues\n",
				   dev_name(&ibdev->dev));
			rmem_node_error(rn->node);
		}
		rmem_rdma_teardown(rn);
		mutex_unlock(&rn->conn_mutex);
		kref_put(&rn->ref, rmem_rdma_node_free);
	}
	kfree(rdev);
}

static struct ib_client rmem_rdma_client = {
	.name = "rmem",
	.add = rmem_rdma_add_one,
	.remove = rmem_rdma_remove_one,
};

/**
 * rmem_rdma_init() - register the RDMA transport's ib_client
 *
 * Return: 0 or -errno.
 */
int rmem_rdma_init(void)
{
	return ib_register_client(&rmem_rdma_client);
}

/**
 * rmem_rdma_exit() - unregister the ib_client
 *
 * Context: after every node is gone.
 */
void rmem_rdma_exit(void)
{
	ib_unregister_client(&rmem_rdma_client);
}
