// SPDX-License-Identifier: GPL-2.0
/*
 * rmem: the node table -- memory nodes, their liveness and their I/O.
 *
 * A node is one rmemd. Its transport keeps nr_queues connections; this file
 * decides what happens to requests when they break:
 *
 *  LIVE           requests go straight to the transport.
 *  RECONNECTING   requests wait on node->pending; reconnect_work retries with
 *                 exponential backoff. If the node comes back and its hello
 *                 says the session was resumed, waiting requests are sent
 *                 again (reads and writes are idempotent). If not, the node
 *                 lost our slabs: node->gen is bumped and every request for
 *                 a slab of an older generation completes with -ESTALE.
 *  DEAD           unreachable for longer than timeout_ms: waiting and new
 *                 requests fail with -EIO; reconnecting goes on. dead_work
 *                 declares it on time, not when the next connect attempt
 *                 starts (one can take connect_timeout_ms, plus backoff).
 *
 * Timeouts (rmem_node_timeout(), from blk-mq's timeout handler and from
 * rmem_node_call() after io_timeout_s): a request that waits too long on a
 * LIVE node has lost its reply on a connection that still looks fine. The
 * transport's abort stops the queue carrying it and rmem_node_error()
 * starts the recovery above, as for any broken connection: teardown hands
 * the request back, and it is sent again on the resumed session. While
 * the node reconnects nothing more is done (it ends within timeout_ms); on
 * a DEAD node a request still waiting is failed with -EIO at once.
 *
 * Transport auto: the first connect tries RDMA, then TCP. A node on RDMA
 * whose RDMA reconnects fail RMEM_AUTO_FALLBACK times in a row tries TCP
 * after each failed RDMA attempt, and stays on TCP once that works (the
 * session, its slabs and the waiting requests carry over; slabs claimed
 * over TCP have no RDMA keys, so there is no way back short of deleting and
 * adding the node). While TCP fails too (the node or the network is down),
 * it stays on RDMA, so an outage alone does not move it. The switch
 * waits for submitters that saw the node live (node->submitting) to leave
 * the old transport, and keeps the old transport's state until the node is
 * freed.
 *
 * Slab ownership: a SLAB_ALLOC whose reply is lost, or a SLAB_FREE that
 * fails, leaves the node holding a slab for our session that no extent
 * knows of. Such failures set node->reconcile; once the node is live,
 * reconcile_work lists the session's slabs (RMEM_MSG_SLAB_LIST) and frees
 * every one no region holds, so that the node's count equals ours again.
 * The same work sends the PUB_CLOSEs of published regions we let go of
 * while the node was down (rmem_node_pub_close()): rmemd would otherwise
 * keep the resumed session attached, and refuse the region's purge.
 *
 * Locking: rmem_cfg_lock (mutex) serialises configuration; rmem_nodes_lock
 * (spinlock) guards list membership against the I/O path's placement;
 * node->lock guards state, pending, gen and the drain flags (draining is
 * also read without it). Nothing on the I/O path sleeps
 * in an allocation that could recurse into reclaim.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/hash.h>
#include <linux/completion.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/wait_bit.h>
#include <net/ipv6.h>

#include "rmem.h"
#include "rmem-trace.h"

LIST_HEAD(rmem_nodes);
static DEFINE_SPINLOCK(rmem_nodes_lock);
/*
 * Nodes come from a cache of their own whose freed objects are poisoned
 * (where the kernel has SLUB debugging, as Debian's has): nodes are few and
 * rarely freed, and a use after free -- a node freed under a request --
 * then fails loudly instead of reading stale memory that looks right.
 */
static struct kmem_cache *rmem_node_cache;
/* Waiters for some node to come up, die or go (rmem_node_wait_change()). */
static DECLARE_WAIT_QUEUE_HEAD(rmem_node_change_wq);
static atomic_t rmem_node_change_seq = ATOMIC_INIT(0);
static u32 rmem_next_node_id = 1;

#define RMEM_BACKOFF_MIN_MS	100
#define RMEM_BACKOFF_MAX_MS	5000
#define RMEM_HB_MISSES		5
#define RMEM_HB_IDLE_MS		1000	/* heartbeats off: look again this often */
#define RMEM_AUTO_FALLBACK	2	/* failed RDMA reconnects before TCP is tried */

/**
 * rmem_proto_status_errno() - map a wire status to an errno
 * @status: RMEM_OK or RMEM_ERR_*
 *
 * Return: 0 or a negative errno; -ESTALE when the slab is not ours (or,
 * to a published-region request, no such region), -EBADFD when the request
 * is not valid now (an unsealed region's PUB_OPEN).
 */
int rmem_proto_status_errno(u32 status)
{
	switch (status) {
	case RMEM_OK:
		return 0;
	case RMEM_ERR_NOSPC:
		return -ENOSPC;
	case RMEM_ERR_NOENT:
		return -ESTALE;
	case RMEM_ERR_PERM:
		return -EPERM;
	case RMEM_ERR_EXIST:
		return -EEXIST;
	case RMEM_ERR_BUSY:
		return -EBUSY;
	case RMEM_ERR_RDONLY:
		return -EROFS;
	case RMEM_ERR_STATE:
		return -EBADFD;
	default:
		return -EIO;
	}
}

/**
 * rmem_node_find() - look up a node by id
 * @id: node id
 *
 * Context: rmem_cfg_lock held.
 * Return: the node or NULL.
 */
struct rmem_node *rmem_node_find(u32 id)
{
	struct rmem_node *n;

	lockdep_assert_held(&rmem_cfg_lock);
	list_for_each_entry(n, &rmem_nodes, list)
		if (n->id == id)
			return n;
	return NULL;
}

/**
 * rmem_node_count() - number of nodes
 *
 * Context: rmem_cfg_lock held.
 * Return: the count.
 */
unsigned int rmem_node_count(void)
{
	struct rmem_node *n;
	unsigned int nr = 0;

	lockdep_assert_held(&rmem_cfg_lock);
	list_for_each_entry(n, &rmem_nodes, list)
		nr++;
	return nr;
}

/**
 * rmem_node_state_get() - current state of a node
 * @node: the node
 *
 * Return: enum rmem_node_state.
 */
enum rmem_node_state rmem_node_state_get(struct rmem_node *node)
{
	return READ_ONCE(node->state);
}

/*
 * Every state change goes through here: a tracepoint and, once node add
 * has succeeded, an event for `rmemctl monitor` (rmem-genl.c). Any
 * context; node->lock held where the change must be atomic with other
 * fields.
 */
static void rmem_node_set_state(struct rmem_node *node, enum rmem_node_state state)
{
	enum rmem_node_state old = node->state;

	if (old == state)
		return;
	WRITE_ONCE(node->state, state);
	trace_rmem_node_state(node->id, old, state);
	if (node->announced)
		rmem_event_node_state(node, old, state);
}

static void rmem_node_changed(void)
{
	atomic_inc(&rmem_node_change_seq);
	wake_up_all(&rmem_node_change_wq);
}

/**
 * rmem_node_changes() - a sequence number of node state changes
 *
 * Return: a value to hand to rmem_node_wait_change() after looking at the
 * nodes.
 */
unsigned int rmem_node_changes(void)
{
	return atomic_read(&rmem_node_change_seq);
}

/**
 * rmem_node_wait_change() - wait until a node came up, died or went
 * @seen: rmem_node_changes() from before the caller looked at the nodes
 * @timeout: longest wait, in jiffies
 *
 * Context: process; sleeps.
 */
void rmem_node_wait_change(unsigned int seen, unsigned long timeout)
{
	wait_event_timeout(rmem_node_change_wq,
			   atomic_read(&rmem_node_change_seq) != seen, timeout);
}

/*
 * Requests that wait for a reconnect. A published-region request is sent
 * again after one (each is idempotent; a new session gets NOENT).
 */
static bool rmem_io_pendable(const struct rmem_req *io)
{
	return io->type == RMEM_MSG_READ || io->type == RMEM_MSG_WRITE ||
	       io->type == RMEM_MSG_SLAB_FREE || io->type == RMEM_MSG_SLAB_ALLOC ||
	       rmem_msg_is_pub(io->type);
}

static bool rmem_io_has_slab(const struct rmem_req *io)
{
	return io->type == RMEM_MSG_READ || io->type == RMEM_MSG_WRITE ||
	       io->type == RMEM_MSG_SLAB_FREE;
}

/**
 * rmem_node_heard() - a reply from rmemd itself arrived
 * @node: its node
 *
 * Liveness for the heartbeat besides its own PING: every TCP reply, and the
 * RDMA control replies. Not one-sided RDMA READ/WRITE completions: the
 * memory node's RNIC serves those even while rmemd is frozen.
 *
 * Context: any.
 */
void rmem_node_heard(struct rmem_node *node)
{
	atomic_inc(&node->rx_replies);
}

/**
 * rmem_node_complete() - a request finished; account and call its owner
 * @node: node it ran on
 * @io: the request
 * @err: 0 or -errno
 */
void rmem_node_complete(struct rmem_node *node, struct rmem_req *io, int err)
{
	if (!err) {
		if (io->type == RMEM_MSG_READ)
			atomic64_add(io->len, &node->read_bytes);
		else if (io->type == RMEM_MSG_WRITE)
			atomic64_add(io->len, &node->write_bytes);
	} else if (err != -ESTALE) {
		atomic64_inc(&node->errors);
	}
	/* The latency costs a clock read: only while the event is on. */
	if (trace_rmem_req_complete_enabled())
		trace_rmem_req_complete(node->id, io->qid % node->nr_queues, io->type, io->len,
					err, io->start_ns ?
					ktime_get_ns() - READ_ONCE(io->start_ns) : 0);
	io->done(io, err);
}

/* Fail everything waiting on @node. */
static void rmem_node_fail_pending(struct rmem_node *node, int err)
{
	struct rmem_req *io, *tmp;
	unsigned long flags;
	LIST_HEAD(list);

	spin_lock_irqsave(&node->lock, flags);
	list_splice_init(&node->pending, &list);
	spin_unlock_irqrestore(&node->lock, flags);

	list_for_each_entry_safe(io, tmp, &list, entry) {
		list_del_init(&io->entry);
		rmem_node_complete(node, io, err);
	}
}

/**
 * rmem_node_submit() - send a request, or park it until the node is back
 * @node: target node
 * @io: request; io->done is called exactly once
 */
void rmem_node_submit(struct rmem_node *node, struct rmem_req *io)
{
	enum rmem_node_state state;
	unsigned long flags;
	int err;

	WRITE_ONCE(io->node, node);	/* rmem_region_rw_timeout() reads it */
	if (unlikely(io->len > READ_ONCE(node->max_io))) {
		/* Front ends split at RMEM_MSG_MAX_IO; hello checked max_io. */
		rnode_err_rl(node, "request of %u bytes above its max_io %u\n", io->len,
			     READ_ONCE(node->max_io));
		rmem_node_complete(node, io, -EIO);
		return;
	}
	for (;;) {
		spin_lock_irqsave(&node->lock, flags);
		if (rmem_io_has_slab(io) && io->gen != node->gen) {
			spin_unlock_irqrestore(&node->lock, flags);
			rmem_node_complete(node, io, -ESTALE);
			return;
		}
		state = node->state;
		if (state == RMEM_NODE_LIVE) {
			int ret;

			atomic_inc(&node->submitting);
			spin_unlock_irqrestore(&node->lock, flags);
			WRITE_ONCE(io->start_ns, ktime_get_ns());
			trace_rmem_req_submit(node->id, io->qid % node->nr_queues, io->type,
					      io->slab, io->offset, io->len);
			ret = node->ops->submit(node, io->qid % node->nr_queues, io);
			if (atomic_dec_and_test(&node->submitting))
				wake_up_var(&node->submitting);
			if (!ret)
				return;
			/* The queue went down under us: its error set the state. */
			continue;
		}
		if ((state == RMEM_NODE_RECONNECTING || state == RMEM_NODE_CONNECTING) &&
		    rmem_io_pendable(io) && !io->failfast) {
			list_add_tail(&io->entry, &node->pending);
			spin_unlock_irqrestore(&node->lock, flags);
			return;
		}
		spin_unlock_irqrestore(&node->lock, flags);
		err = state == RMEM_NODE_DEAD ? -EIO : -ENOTCONN;
		rmem_node_complete(node, io, err);
		return;
	}
}

/**
 * rmem_node_requeue() - take back a request a dropped connection had sent
 * @node: its node
 * @io: the request; sent again after reconnecting, or failed
 *
 * Context: the transport's disconnect, after its receive loop stopped.
 */
void rmem_node_requeue(struct rmem_node *node, struct rmem_req *io)
{
	/*
	 * Neither slab call is sent again. A SLAB_ALLOC whose reply was lost
	 * may have given us a slab; a SLAB_FREE whose reply was lost may
	 * have freed it already, and the node may since have given that
	 * slab to a SLAB_ALLOC of ours that went meanwhile: sent again, it
	 * would free a slab a region now holds. Both fail (-EAGAIN: the
	 * caller retries an allocation, and counts a free as failed), and
	 * reconciliation (RMEM_MSG_SLAB_LIST) gives back what the node still
	 * holds for us that no region has.
	 */
	if (io->type == RMEM_MSG_SLAB_ALLOC || io->type == RMEM_MSG_SLAB_FREE)
		rmem_node_reconcile_later(node);
	if (io->type == RMEM_MSG_SLAB_ALLOC || io->type == RMEM_MSG_SLAB_FREE ||
	    !rmem_io_pendable(io)) {
		rmem_node_complete(node, io, -EAGAIN);
		return;
	}
	rmem_node_submit(node, io);
}

/**
 * rmem_node_error() - a connection of @node failed; start recovery
 * @node: the node
 *
 * Context: any; does not sleep.
 */
void rmem_node_error(struct rmem_node *node)
{
	unsigned long flags;

	spin_lock_irqsave(&node->lock, flags);
	if (node->state == RMEM_NODE_LIVE) {
		rmem_node_set_state(node, RMEM_NODE_RECONNECTING);
		node->down_since = jiffies;
		node->backoff_ms = RMEM_BACKOFF_MIN_MS;
		if (!node->stopping) {
			queue_work(rmem_wq, &node->error_work);
			/* Not rmem_wq: a connect attempt there may take long. */
			mod_delayed_work(rmem_hb_wq, &node->dead_work,
					 msecs_to_jiffies(READ_ONCE(node->timeout_ms)) + 1);
		}
	}
	spin_unlock_irqrestore(&node->lock, flags);
}

/*
 * @node just went LIVE: a queue that failed before (its error was
 * ignored, the node was not LIVE) would stay silent, its requests hung
 * until they time out. Start recovery now instead.
 */
static void rmem_node_check_failed(struct rmem_node *node)
{
	bool failed;

	/* As a submitter: the transport cannot change under us (auto fallback). */
	atomic_inc(&node->submitting);
	failed = node->ops->failed && node->ops->failed(node);
	if (atomic_dec_and_test(&node->submitting))
		wake_up_var(&node->submitting);
	if (!failed)
		return;
	rnode_warn(node, "a connection failed while the node came up: reconnecting\n");
	rmem_node_error(node);
}

/**
 * rmem_node_timeout() - a request sent to @node has waited too long
 * @node: the node it was submitted to
 * @io: the request, not yet completed as far as its owner knows
 * @timeout_ns: how long a reply may take; a request handed to the
 *	transport less than this ago (a block request that first waited for
 *	its slab, one resent after a reconnect) is given that time
 *
 * On a live node whose transport still has @io in flight, the reply was
 * lost: abort the queue and recover the node (the request is resent after
 * the reconnect). On a dead or departing node, a request still waiting for
 * it is completed here with -EIO. In every other case @io is about to
 * complete, or the node layer completes it when it reconnects or dies.
 *
 * Context: any, does not sleep (blk-mq timeout handler).
 * Return: true when @io was completed here; false when it is still owned by
 * the node layer, which completes it exactly once later.
 */
bool rmem_node_timeout(struct rmem_node *node, struct rmem_req *io, u64 timeout_ns)
{
	enum rmem_node_state state;
	struct rmem_req *p;
	unsigned long flags;
	bool found = false;

	spin_lock_irqsave(&node->lock, flags);
	state = node->state;
	if (state == RMEM_NODE_LIVE) {
		/* Keeps node->ops and node->priv (rmem_node_auto_fallback). */
		atomic_inc(&node->submitting);
		spin_unlock_irqrestore(&node->lock, flags);
		/* A tick of slack: the callers' timers count whole jiffies. */
		if (ktime_get_ns() - READ_ONCE(io->start_ns) + TICK_NSEC >= timeout_ns &&
		    node->ops->abort && node->ops->abort(node, io)) {
			rnode_warn(node, "request type %u id %llu got no reply: resetting the connection\n",
				   io->type, io->id);
			rmem_node_error(node);
		}
		if (atomic_dec_and_test(&node->submitting))
			wake_up_var(&node->submitting);
		return false;
	}
	if (state == RMEM_NODE_DEAD || state == RMEM_NODE_DELETING) {
		/* Parked requests are ours: take it off the list under the lock. */
		list_for_each_entry(p, &node->pending, entry) {
			if (p == io) {
				list_del_init(&io->entry);
				found = true;
				break;
			}
		}
	}
	spin_unlock_irqrestore(&node->lock, flags);
	if (found)
		rmem_node_complete(node, io, -EIO);
	return found;
}

static void rmem_node_error_work(struct work_struct *work)
{
	struct rmem_node *node = container_of(work, struct rmem_node, error_work);
	unsigned int noreclaim;

	rnode_warn(node, "connection lost, reconnecting\n");
	noreclaim = memalloc_noreclaim_save();	/* as reconnecting: we may be the swap device */
	node->ops->disconnect(node);
	memalloc_noreclaim_restore(noreclaim);
	if (!READ_ONCE(node->stopping))
		queue_delayed_work(rmem_wq, &node->reconnect_work,
				   msecs_to_jiffies(RMEM_BACKOFF_MIN_MS));
}

/*
 * One connect attempt with the current transport. Every attempt is a new
 * connection generation, which each HELLO carries under its mac.
 */
static int rmem_node_ops_connect(struct rmem_node *node)
{
	node->conn_gen++;
	return node->ops->connect(node);
}

static void rmem_node_release(struct rmem_node *node)
{
	if (node->ops->release)
		node->ops->release(node);
	else
		kfree(node->priv);
	node->priv = NULL;
}

/*
 * Transport auto, on RDMA, after a failed reconnect: switch to TCP once
 * RMEM_AUTO_FALLBACK attempts in a row have failed. True when the caller
 * should try again (now over TCP). Reconnect work only: the node is not
 * live, so no new submitter reaches the transport.
 */
static bool rmem_node_auto_fallback(struct rmem_node *node, int err)
{
	if (node->want != RMEM_TRANSPORT_AUTO || node->ops != &rmem_rdma_ops ||
	    ++node->rdma_failures < RMEM_AUTO_FALLBACK)
		return false;
	rnode_info(node, "RDMA reconnect failed %u times (last %d): trying TCP\n",
		   node->rdma_failures, err);
	wait_var_event(&node->submitting, !atomic_read(&node->submitting));
	node->ops->disconnect(node);	/* idempotent: no queue is left behind */
	node->old_ops = node->ops;
	node->old_priv = node->priv;
	node->priv = NULL;
	WRITE_ONCE(node->ops, &rmem_tcp_ops);
	return true;
}

/*
 * The TCP attempt after rmem_node_auto_fallback() failed too (the node or
 * the network is down, not only RDMA): go back to RDMA, so that the next
 * attempt tries it first again. TCP's state goes; nothing can reach it.
 */
static void rmem_node_auto_restore(struct rmem_node *node)
{
	rmem_node_release(node);
	node->priv = node->old_priv;
	WRITE_ONCE(node->ops, node->old_ops);
	node->old_ops = NULL;
	node->old_priv = NULL;
}

/* A PUB_CLOSE to send once the node is live again (node->pub_closes). */
struct rmem_pub_close {
	struct list_head list;
	u32 gen;
	__le32 handle;
};

/* Drop every queued PUB_CLOSE of @node (its session, and so its attachments, went). */
static void rmem_node_pub_closes_free(struct rmem_node *node)
{
	struct rmem_pub_close *c, *tmp;
	unsigned long flags;
	LIST_HEAD(todo);

	spin_lock_irqsave(&node->lock, flags);
	list_splice_init(&node->pub_closes, &todo);
	spin_unlock_irqrestore(&node->lock, flags);
	list_for_each_entry_safe(c, tmp, &todo, list)
		kfree(c);
}

/*
 * A node still reconnecting timeout_ms after it went down is DEAD: its
 * waiting requests fail. From dead_work, on time, and from each connect
 * attempt (timeout_ms may have been lowered since dead_work was queued).
 * If timeout_ms was raised instead, dead_work looks again then.
 */
static void rmem_node_check_dead(struct rmem_node *node, bool rearm)
{
	unsigned long flags, until;
	bool dead = false;

	spin_lock_irqsave(&node->lock, flags);
	until = node->down_since + msecs_to_jiffies(READ_ONCE(node->timeout_ms));
	if (node->state == RMEM_NODE_RECONNECTING) {
		if (time_after(jiffies, until)) {
			rmem_node_set_state(node, RMEM_NODE_DEAD);
			dead = true;
		} else if (rearm && !node->stopping) {
			mod_delayed_work(rmem_hb_wq, &node->dead_work, until - jiffies + 1);
		}
	}
	spin_unlock_irqrestore(&node->lock, flags);
	if (dead) {
		rnode_err(node, "unreachable for %u ms: failing its I/O\n",
			  READ_ONCE(node->timeout_ms));
		rmem_node_fail_pending(node, -EIO);
		rmem_node_changed();
	}
}

static void rmem_node_dead_work(struct work_struct *work)
{
	rmem_node_check_dead(container_of(to_delayed_work(work), struct rmem_node, dead_work),
			     true);
}

static void rmem_node_reconnect(struct rmem_node *node)
{
	int nr_lost = 0;
	unsigned long flags;
	bool lost;
	int ret;

	if (READ_ONCE(node->stopping))
		return;

	rmem_node_check_dead(node, false);
	ret = rmem_node_ops_connect(node);
	if (ret && rmem_node_auto_fallback(node, ret)) {
		ret = rmem_node_ops_connect(node);
		if (ret)
			rmem_node_auto_restore(node);
		else
			rnode_warn(node, "RDMA unavailable, TCP works: staying on TCP\n");
	}
	if (ret) {
		spin_lock_irqsave(&node->lock, flags);
		node->backoff_ms = min(node->backoff_ms * 2, RMEM_BACKOFF_MAX_MS);
		trace_rmem_node_reconnect(node->id, ret, node->backoff_ms);
		if (!node->stopping)
			queue_delayed_work(rmem_wq, &node->reconnect_work,
					   msecs_to_jiffies(node->backoff_ms));
		spin_unlock_irqrestore(&node->lock, flags);
		return;
	}

	node->rdma_failures = 0;
	trace_rmem_node_reconnect(node->id, 0, 0);
	/* Any attempt since the last connect may have seen the session go. */
	lost = node->sess_lost;
	node->sess_lost = false;
	spin_lock_irqsave(&node->lock, flags);
	nr_lost = node->lost_slabs;
	node->lost_slabs = 0;
	rmem_node_set_state(node, RMEM_NODE_LIVE);
	/* Set since the loss, if any: the new session's (a SLAB_ALLOC reply). */
	if (node->reconcile)
		queue_delayed_work(rmem_wq, &node->reconcile_work, 0);
	spin_unlock_irqrestore(&node->lock, flags);
	if (lost)
		rmem_node_pub_closes_free(node);	/* and its attachments */
	rmem_node_changed();
	rmem_node_check_failed(node);
	atomic64_inc(&node->reconnects);
	if (nr_lost)
		rnode_err(node, "reconnected, but the node lost our %d slabs (rmemd restarted or session expired): their pages read as I/O errors, unless published regions there are opened again\n",
			  nr_lost);
	else
		rnode_info(node, "reconnected%s (session tag %s)\n",
			   lost ? "" : ", session resumed", node->tag);

	/* Send again what waited; stale slabs complete with -ESTALE. */
	{
		struct rmem_req *io, *tmp;
		LIST_HEAD(list);

		spin_lock_irqsave(&node->lock, flags);
		list_splice_init(&node->pending, &list);
		spin_unlock_irqrestore(&node->lock, flags);
		list_for_each_entry_safe(io, tmp, &list, entry) {
			list_del_init(&io->entry);
			rmem_node_submit(node, io);
		}
	}
}

/*
 * Reconnecting runs while the system may be swapping to this node, and
 * memory may be exhausted until the writes waiting for this reconnect are
 * done: the reconnect must neither enter reclaim (which could wait on I/O
 * that waits on this very reconnect) nor wait for memory that only that
 * I/O would free. So it runs under PF_MEMALLOC, as swap over NFS runs its
 * socket reconnect: no reclaim, and the allocations of sockets, queues and
 * connection state may use the reserves. Seen without it on the debug
 * kernel, swapping over RDMA: the connection dropped with every bounce
 * page in flight on it, and kswapd and every direct reclaimer waited for
 * bounce pages while the reconnect never came.
 */
static void rmem_node_reconnect_work(struct work_struct *work)
{
	struct rmem_node *node = container_of(to_delayed_work(work), struct rmem_node,
					      reconnect_work);
	unsigned int noreclaim = memalloc_noreclaim_save();

	rmem_node_reconnect(node);
	memalloc_noreclaim_restore(noreclaim);
}

/*
 * rmemd is draining (its PING reply says so: SIGTERM): as rmemctl node
 * drain, its slabs move to other nodes. The regions' rebuild sees the node
 * change (rmem_node_changes()) within a second. Any context.
 */
static void rmem_node_drain_asked(struct rmem_node *node, u32 ms)
{
	unsigned long flags;
	bool was;

	/* Under node->lock, as an admin's drain and the session's loss. */
	spin_lock_irqsave(&node->lock, flags);
	was = node->draining;
	if (!was) {
		node->drain_remote = true;
		WRITE_ONCE(node->draining, true);
	}
	spin_unlock_irqrestore(&node->lock, flags);
	if (was)
		return;
	rnode_warn(node, "rmemd is draining (it stops in %u ms): moving our slabs to other nodes\n",
		   ms);
	rmem_node_changed();
}

static void rmem_node_hb_done(struct rmem_req *io, int err)
{
	struct rmem_node *node = io->node;
	u64 rtt, srtt;

	if (!err) {
		rtt = ktime_get_ns() - io->start_ns;
		srtt = atomic64_read(&node->srtt_ns);
		srtt = srtt ? srtt - (srtt >> 3) + (rtt >> 3) : rtt;
		atomic64_set(&node->srtt_ns, srtt);
		WRITE_ONCE(node->slabs_free, le32_to_cpu(io->reply.ping.slabs_free));
		if (node->slabs_free)
			WRITE_ONCE(node->full, false);
		if (io->reply.ping.drain_ms && !READ_ONCE(node->draining))
			rmem_node_drain_asked(node, le32_to_cpu(io->reply.ping.drain_ms));
	}
	atomic_set(&node->hb_outstanding, 0);
}

/*
 * The PING goes out from a work of its own: its send can wait behind data
 * on a full socket (a frozen rmemd stops reading), and the heartbeat work
 * must keep counting the beats that go unanswered meanwhile.
 */
static void rmem_node_hb_send_work(struct work_struct *work)
{
	struct rmem_node *node = container_of(work, struct rmem_node, hb_send_work);

	memset(&node->hb_io, 0, sizeof(node->hb_io));
	node->hb_io.type = RMEM_MSG_PING;
	node->hb_io.done = rmem_node_hb_done;
	node->hb_io.start_ns = ktime_get_ns();
	rmem_node_submit(node, &node->hb_io);
}

static void rmem_node_heartbeat_work(struct work_struct *work)
{
	struct rmem_node *node = container_of(to_delayed_work(work), struct rmem_node,
					      heartbeat_work);
	unsigned int interval = READ_ONCE(rmem_heartbeat_ms);

	if (READ_ONCE(node->stopping))
		return;
	if (interval && rmem_node_state_get(node) == RMEM_NODE_LIVE) {
		int out = atomic_read(&node->hb_outstanding);
		u32 rx = atomic_read(&node->rx_replies);

		if (out && rx != node->hb_rx_seen) {
			/*
			 * Other replies came since the last beat: the node is
			 * alive, and the PING waits behind data (a busy or
			 * slow link). Count from one again (unless it was just
			 * answered).
			 */
			atomic_cmpxchg(&node->hb_outstanding, out, 1);
		} else if (out) {
			if (atomic_inc_return(&node->hb_outstanding) > RMEM_HB_MISSES) {
				rnode_warn(node, "%d heartbeats unanswered, and no other reply\n",
					   RMEM_HB_MISSES);
				rmem_node_error(node);
			}
		} else {
			atomic_set(&node->hb_outstanding, 1);
			queue_work(rmem_hb_wq, &node->hb_send_work);
		}
		node->hb_rx_seen = rx;
	}
	/* Off (0) still ticks, so that setting it again turns it back on. */
	queue_delayed_work(rmem_wq, &node->heartbeat_work,
			   msecs_to_jiffies(interval ?: RMEM_HB_IDLE_MS));
}

/* Synchronous calls keep their completion beside the io. */
struct rmem_sync_req {
	struct rmem_req io;
	struct completion done;
	int err;
};

static void rmem_sync_io_done(struct rmem_req *io, int err)
{
	struct rmem_sync_req *s = container_of(io, struct rmem_sync_req, io);

	s->err = err;
	complete(&s->done);
}

/**
 * rmem_node_call() - send a control request and wait for its reply
 * @node: target node
 * @io: request (type and payload fields set); reply lands in io->reply
 *
 * The wait ends with the reply, or when the node is declared dead. A reply
 * lost on a live connection is noticed after io_timeout_s, as for block
 * requests: the connection is reset and the request sent again.
 *
 * Context: process, may sleep; no allocation.
 * Return: 0 or -errno.
 */
int rmem_node_call(struct rmem_node *node, struct rmem_req *io)
{
	struct rmem_sync_req s;

	s.io = *io;
	s.io.done = rmem_sync_io_done;
	s.io.start_ns = ktime_get_ns();
	init_completion(&s.done);
	rmem_node_submit(node, &s.io);
	/* A reply lost on a live connection: reset it, as blk-mq's timeout does. */
	while (!wait_for_completion_timeout(&s.done, rmem_io_timeout()))
		rmem_node_timeout(node, &s.io, jiffies_to_nsecs(rmem_io_timeout()));
	io->reply = s.io.reply;
	io->gen = s.io.gen;
	return s.err;
}

/**
 * rmem_node_slab_alloc() - claim a slab on @node
 * @node: node, reserved by rmem_node_pick()
 * @gen: generation of the reservation
 * @pub: NULL for a slab of our session (SLAB_ALLOC); else the extent of a
 *	published region to back (PUB_ALLOC: the same slab when it has one)
 * @slab: out: slab number
 *
 * Context: process, may sleep.
 * Return: 0, -ENOSPC when the node is full, or -errno.
 */
int rmem_node_slab_alloc(struct rmem_node *node, u32 gen, const struct rmem_pub_extent *pub,
			 u32 *slab)
{
	struct rmem_slab_alloc_reply rep;
	struct rmem_req io;
	unsigned int tries = 0;
	unsigned long flags;
	int ret;

again:
	memset(&io, 0, sizeof(io));
	if (pub) {
		io.type = RMEM_MSG_PUB_ALLOC;
		io.reply.ctl.payload = pub;
		io.reply.ctl.plen = sizeof(*pub);
		io.reply.ctl.rbuf = &rep;
		io.reply.ctl.rlen = sizeof(rep);
	} else {
		io.type = RMEM_MSG_SLAB_ALLOC;
	}
	ret = rmem_node_call(node, &io);
	if (!pub)
		rep = io.reply.alloc;
	if (ret) {
		if (ret == -ENOSPC) {
			WRITE_ONCE(node->slabs_free, 0);
			WRITE_ONCE(node->full, true);
		} else if (!pub) {
			rmem_node_reconcile_later(node);	/* the node may have one */
		}
		return ret;
	}
	/*
	 * A slab the node does not have is a lie (or a bug): never use it. The
	 * one it may really have claimed is given back by reconciliation (a
	 * published region's stays in it until the region is deleted).
	 */
	if (le32_to_cpu(rep.slab) >= node->slabs_total) {
		rnode_err_rl(node, "protocol error: slab %u allocated, the node has %u\n",
			     le32_to_cpu(rep.slab), node->slabs_total);
		if (pub)
			return -EIO;
		rmem_node_reconcile_later(node);
		if (++tries < 3)
			goto again;
		return -EIO;
	}
	if (le64_to_cpu(rep.size) != node->slab_size) {
		rnode_err_rl(node, "slab of %llu bytes, expected %llu\n",
			     le64_to_cpu(rep.size), node->slab_size);
		if (!pub)
			rmem_node_slab_free(node, le32_to_cpu(rep.slab), gen);
		return -EIO;
	}
	spin_lock_irqsave(&node->lock, flags);
	if (node->gen != gen)
		ret = -EAGAIN;	/* lost since the reservation */
	spin_unlock_irqrestore(&node->lock, flags);
	/* A slab of the new session, which no extent will take. */
	if (ret && !pub)
		rmem_node_reconcile_later(node);
	*slab = le32_to_cpu(rep.slab);
	if (READ_ONCE(node->slabs_free))
		WRITE_ONCE(node->slabs_free, node->slabs_free - 1);
	WRITE_ONCE(node->full, false);
	return ret;
}

/**
 * rmem_node_slab_reserve() - count a slab of generation @gen as held
 * @node: its node
 * @gen: the generation the slab was found in (a published region's map)
 *
 * What rmem_node_pick() does for a slab it picks; undone by
 * rmem_node_slab_unreserve().
 *
 * Context: any; does not sleep.
 * Return: false when the node's generation moved on (the slab is lost).
 */
bool rmem_node_slab_reserve(struct rmem_node *node, u32 gen)
{
	unsigned long flags;
	bool ok;

	spin_lock_irqsave(&node->lock, flags);
	ok = gen == node->gen;
	if (ok)
		atomic_inc(&node->slabs_used);
	spin_unlock_irqrestore(&node->lock, flags);
	return ok;
}

/**
 * rmem_node_pub_call() - a published-region request (RMEM_MSG_PUB_*)
 * @node: the node; it must have granted RMEM_PROTO_FEAT_PUBLISH
 * @type: RMEM_MSG_PUB_*
 * @payload: what to send
 * @plen: its bytes
 * @rbuf: where the reply's payload goes (NULL when it has none)
 * @rlen: its bytes: a reply of another length is a protocol error
 *
 * Context: process, may sleep.
 * Return: 0 or -errno (rmem_proto_status_errno(): -ESTALE for no such
 * region, -EEXIST, -EBUSY, -EROFS, -EBADFD), -EOPNOTSUPP when the node does
 * not know published regions.
 */
int rmem_node_pub_call(struct rmem_node *node, u8 type, const void *payload, u16 plen,
		       void *rbuf, u16 rlen)
{
	struct rmem_req io = { .type = type };

	if (!READ_ONCE(node->publish))
		return -EOPNOTSUPP;
	io.reply.ctl.payload = payload;
	io.reply.ctl.plen = plen;
	io.reply.ctl.rbuf = rbuf;
	io.reply.ctl.rlen = rlen;
	return rmem_node_call(node, &io);
}

/**
 * rmem_node_slab_unreserve() - a slab of generation @gen is no longer held
 * @node: its node
 * @gen: generation of the reservation (rmem_node_pick())
 *
 * Drops the slabs_used count unless the node's generation moved on since:
 * the node lost that generation's slabs, and the count started again at 0.
 *
 * Context: any; does not sleep.
 */
void rmem_node_slab_unreserve(struct rmem_node *node, u32 gen)
{
	unsigned long flags;

	spin_lock_irqsave(&node->lock, flags);
	if (gen == node->gen)
		atomic_dec(&node->slabs_used);
	spin_unlock_irqrestore(&node->lock, flags);
}

/**
 * rmem_node_slab_free() - give a slab back
 * @node: its node
 * @slab: slab number
 * @gen: generation it was allocated in; a lost slab needs no free
 *
 * Context: process, may sleep.
 */
void rmem_node_slab_free(struct rmem_node *node, u32 slab, u32 gen)
{
	struct rmem_req io = {
		.type = RMEM_MSG_SLAB_FREE,
		.slab = slab,
		.gen = gen,
	};
	int ret;

	ret = rmem_node_call(node, &io);
	if (ret && ret != -ESTALE) {
		rnode_warn(node, "freeing slab %u failed: %d\n", slab, ret);
		rmem_node_reconcile_later(node);
	} else if (!ret) {
		WRITE_ONCE(node->slabs_free, node->slabs_free + 1);
		WRITE_ONCE(node->full, false);
	}
}

/**
 * rmem_node_reconcile_later() - the node may hold a slab we do not know of
 * @node: the node
 *
 * Reconciliation runs once the node is live (now, or after it reconnects to
 * the same session).
 *
 * Context: any.
 */
void rmem_node_reconcile_later(struct rmem_node *node)
{
	unsigned long flags;

	spin_lock_irqsave(&node->lock, flags);
	node->reconcile = true;
	if (node->state == RMEM_NODE_LIVE && !node->stopping)
		queue_delayed_work(rmem_wq, &node->reconcile_work, 0);
	spin_unlock_irqrestore(&node->lock, flags);
}

/*
 * PUB_CLOSE @handle on @node now: 0 when sent, 1 when there was nothing to
 * close (not attached any more, e.g. a new session; or no published
 * regions there), or -errno when it must be sent again.
 */
static int rmem_node_pub_close_send(struct rmem_node *node, __le32 handle)
{
	struct rmem_pub_extent pe = { .handle = handle };
	int ret = rmem_node_pub_call(node, RMEM_MSG_PUB_CLOSE, &pe, sizeof(pe), NULL, 0);

	return ret == -ESTALE || ret == -EOPNOTSUPP ? 1 : ret;
}

/**
 * rmem_node_pub_close() - detach our session from a published region
 * @node: the node
 * @gen: the generation (session) that opened it
 * @handle: the handle PUB_OPEN gave
 *
 * Sends PUB_CLOSE now if the node is live in generation @gen. If it is not
 * live, or the request fails, the close is queued and sent by the
 * reconcile work once the node is live again in that generation; a new
 * generation (a new session) is attached to nothing, so it is dropped
 * then. Without memory for the queue entry, the session stays attached
 * until rmemd ends it.
 *
 * Context: process, may sleep.
 */
void rmem_node_pub_close(struct rmem_node *node, u32 gen, __le32 handle)
{
	struct rmem_pub_close *c;
	unsigned long flags;
	bool queued;

	if (!READ_ONCE(node->publish) || gen != READ_ONCE(node->gen))
		return;
	if (rmem_node_state_get(node) == RMEM_NODE_LIVE &&
	    rmem_node_pub_close_send(node, handle) >= 0)
		return;
	/* Without it we stay attached there until our session ends. */
	c = kmalloc(sizeof(*c), GFP_NOIO);
	if (!c)
		return;
	c->gen = gen;
	c->handle = handle;
	spin_lock_irqsave(&node->lock, flags);
	queued = gen == node->gen;
	if (queued)
		list_add_tail(&c->list, &node->pub_closes);
	spin_unlock_irqrestore(&node->lock, flags);
	if (queued)
		rmem_node_reconcile_later(node);	/* sends it once the node is live */
	else
		kfree(c);
}

/*
 * Send the queued PUB_CLOSEs of @node (live). Returns 0, or -errno when one
 * failed: it and those after it stay queued.
 */
static int rmem_node_pub_closes_send(struct rmem_node *node)
{
	struct rmem_pub_close *c;
	unsigned long flags;
	unsigned int sent = 0;
	LIST_HEAD(todo);
	int ret = 0;
	u32 gen;

	spin_lock_irqsave(&node->lock, flags);
	list_splice_init(&node->pub_closes, &todo);
	gen = node->gen;
	spin_unlock_irqrestore(&node->lock, flags);
	while ((c = list_first_entry_or_null(&todo, struct rmem_pub_close, list))) {
		if (c->gen == gen) {
			ret = rmem_node_pub_close_send(node, c->handle);
			if (ret < 0)
				break;
			sent += !ret;
			ret = 0;
		}
		list_del(&c->list);
		kfree(c);
	}
	if (sent)
		rnode_info(node, "detached from %u published %s we let go of while it was down\n",
			   sent, sent == 1 ? "region" : "regions");
	if (list_empty(&todo))
		return 0;
	spin_lock_irqsave(&node->lock, flags);
	list_splice(&todo, &node->pub_closes);
	spin_unlock_irqrestore(&node->lock, flags);
	rnode_warn(node, "detaching from a published region failed (%d): will try again\n", ret);
	return ret;
}

/*
 * Free every slab the node holds for our session that no region holds
 * (@ours: a bitmap of @nbits slabs, zeroed; @unlisted: a region being added,
 * whose slabs count as held). rmem_cfg_lock held, and rmem_slab_sem for
 * writing: no slab is between allocation and its extent, or between its
 * extent and its free. Returns the slabs given back, or -errno.
 */
static int rmem_node_reconcile(struct rmem_node *node, struct rmem_region *unlisted,
			       unsigned long *ours, u32 nbits)
{
	u32 first = 0, freed = 0, gen, i;
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&node->lock, flags);
	gen = node->gen;
	spin_unlock_irqrestore(&node->lock, flags);
	rmem_region_node_slabs(node, gen, unlisted, ours, nbits);

	while (first < nbits) {
		struct rmem_req io = { .type = RMEM_MSG_SLAB_LIST, .slab = first };
		const struct rmem_slab_list_reply *rep = &io.reply.list;
		u32 next;

		ret = rmem_node_call(node, &io);
		if (ret)
			break;
		if (le32_to_cpu(rep->first) != first) {
			ret = -EPROTO;
			break;
		}
		for (i = 0; i < RMEM_SLAB_LIST_BITS && first + i < nbits; i++) {
			if (!(le64_to_cpu(rep->held[i / 64]) & BIT_ULL(i % 64)) ||
			    test_bit(first + i, ours))
				continue;
			rmem_node_slab_free(node, first + i, gen);
			freed++;
		}
		next = le32_to_cpu(rep->next);
		if (next == RMEM_SLAB_NONE)
			break;
		if (next < first + RMEM_SLAB_LIST_BITS) {
			ret = -EPROTO;
			break;
		}
		first = next;
	}
	if (ret)
		rnode_warn(node, "listing our slabs failed (%d): will try again\n", ret);
	if (freed)
		rnode_warn(node, "gave back %u %s the node held for us that no region holds (a lost reply or a failed free)\n",
			   freed, freed == 1 ? "slab" : "slabs");
	return ret ?: freed;
}

/* Reconciliation failed or could not start: again in a second. */
static void rmem_node_reconcile_retry(struct rmem_node *node)
{
	unsigned long flags;

	spin_lock_irqsave(&node->lock, flags);
	node->reconcile = true;
	if (!node->stopping)
		queue_delayed_work(rmem_wq, &node->reconcile_work, HZ);
	spin_unlock_irqrestore(&node->lock, flags);
}

/* Reconciliations running (rmem_node_reconcile_now() waits for them). */
static atomic_t rmem_reconciling = ATOMIC_INIT(0);

/*
 * Reconcile @node if it needs it and is live. rmem_cfg_lock held (it keeps
 * the regions listed), not rmem_slab_sem. Returns the slabs given back, or
 * -errno (and it is tried again later).
 */
static int rmem_node_reconcile_one(struct rmem_node *node, struct rmem_region *unlisted)
{
	u32 nbits = node->slabs_total;
	unsigned long *ours;
	unsigned long flags;
	unsigned int noio;
	int ret = -ENOMEM;

	lockdep_assert_held(&rmem_cfg_lock);
	spin_lock_irqsave(&node->lock, flags);
	if (!node->reconcile || node->state != RMEM_NODE_LIVE || node->stopping) {
		/* Not live: the reconnect queues this again. */
		spin_unlock_irqrestore(&node->lock, flags);
		return 0;
	}
	node->reconcile = false;
	atomic_inc(&rmem_reconciling);
	spin_unlock_irqrestore(&node->lock, flags);

	/* The node may be swapped to: reclaim must not wait for this. */
	noio = memalloc_noio_save();
	ours = bitmap_zalloc(nbits, GFP_KERNEL);
	if (ours) {
		down_write(&rmem_slab_sem);
		ret = rmem_node_reconcile(node, unlisted, ours, nbits);
		up_write(&rmem_slab_sem);
	}
	if (rmem_node_pub_closes_send(node) && ret >= 0)
		ret = -EAGAIN;
	memalloc_noio_restore(noio);
	bitmap_free(ours);
	if (ret < 0)
		rmem_node_reconcile_retry(node);
	atomic_dec(&rmem_reconciling);
	/* Room for waiters of rmem_node_wait_change(); and the end of a run. */
	rmem_node_changed();
	return ret;
}

static void rmem_node_reconcile_work(struct work_struct *work)
{
	struct rmem_node *node = container_of(to_delayed_work(work), struct rmem_node,
					      reconcile_work);

	if (!READ_ONCE(node->reconcile))
		return;
	/*
	 * A configuration call that holds rmem_cfg_lock may be waiting for this
	 * node (or cancelling this work): never wait for it here.
	 */
	if (!mutex_trylock(&rmem_cfg_lock)) {
		rmem_node_reconcile_retry(node);
		return;
	}
	rmem_node_reconcile_one(node, NULL);
	mutex_unlock(&rmem_cfg_lock);
}

/**
 * rmem_node_reconcile_now() - give back leaked slabs before saying "full"
 * @unlisted: a region being added, not yet listed, whose slabs are held
 *	(rmem_cfg_lock is then the caller's), or NULL
 * @seen: rmem_node_changes() from before the allocation that failed
 *
 * A slab allocation that found no room runs this: slabs claimed by lost or
 * lied-about SLAB_ALLOC replies stay claimed on their node until
 * reconciliation, which otherwise runs later from a work item (and never
 * while a configuration call holds rmem_cfg_lock, as a preallocating
 * region add does). Without @unlisted, when the lock is taken (another
 * configuration call, or another allocation reconciling), the work item is
 * kicked and a running reconciliation waited for, up to a second.
 *
 * Context: process, sleeps; not rmem_slab_sem.
 * Return: true when the caller should try again: slabs were given back, or
 * a node changed, since @seen.
 */
bool rmem_node_reconcile_now(struct rmem_region *unlisted, unsigned int seen)
{
	struct rmem_node *n;
	bool pending = false;
	int freed = 0, ret;

	if (!unlisted && !mutex_trylock(&rmem_cfg_lock)) {
		spin_lock(&rmem_nodes_lock);
		list_for_each_entry(n, &rmem_nodes, list)
			if (READ_ONCE(n->reconcile) && READ_ONCE(n->state) == RMEM_NODE_LIVE) {
				mod_delayed_work(rmem_wq, &n->reconcile_work, 0);
				pending = true;
			}
		spin_unlock(&rmem_nodes_lock);
		if (pending || atomic_read(&rmem_reconciling))
			rmem_node_wait_change(seen, HZ);
		return rmem_node_changes() != seen;
	}
	lockdep_assert_held(&rmem_cfg_lock);
	/* The node list changes only under rmem_cfg_lock. */
	list_for_each_entry(n, &rmem_nodes, list) {
		/* Once more if the listing failed (a lost or bad reply). */
		ret = rmem_node_reconcile_one(n, unlisted);
		if (ret < 0)
			ret = rmem_node_reconcile_one(n, unlisted);
		if (ret > 0)
			freed += ret;
	}
	if (!unlisted)
		mutex_unlock(&rmem_cfg_lock);
	return freed || rmem_node_changes() != seen;
}

/*
 * A HELLO said our session is gone (rmemd restarted, or the session
 * expired): its slabs are lost. The generation moves on now, before any
 * queue of this connect goes live, so that a request of the old generation
 * still on its way into a transport fails there with -ESTALE
 * (rmem_node_io_stale()) instead of reaching a slab of the new session with
 * the same number. A later attempt that resumes the new session still
 * counts as a loss (@sess_lost), until a connect completes.
 */
static void rmem_node_session_lost(struct rmem_node *node)
{
	unsigned long flags;

	node->sess_lost = true;
	spin_lock_irqsave(&node->lock, flags);
	WRITE_ONCE(node->gen, node->gen + 1);
	/* Nothing holds a slab here now, and the old session's need no reconcile. */
	node->lost_slabs += atomic_xchg(&node->slabs_used, 0);
	node->reconcile = false;
	/* A drain rmemd asked for ended with it; an admin's stays. */
	if (node->drain_remote) {
		WRITE_ONCE(node->draining, false);
		node->drain_remote = false;
	}
	spin_unlock_irqrestore(&node->lock, flags);
}

/**
 * rmem_node_io_stale() - whether @io is for a slab of an older generation
 * @node: its node
 * @io: the request
 *
 * For a transport that has committed @io to a live connection (a slot
 * taken, the send lock held): such a request must not be sent in the
 * session that followed, where its slab number may name another slab.
 *
 * Return: true when @io must complete with -ESTALE instead.
 */
bool rmem_node_io_stale(struct rmem_node *node, const struct rmem_req *io)
{
	return rmem_io_has_slab(io) && io->gen != READ_ONCE(node->gen);
}

/**
 * rmem_node_hello() - check a HELLO reply and take the node's parameters
 * @node: the node
 * @qid: queue the reply came on
 * @rep: the reply
 * @feature: RMEM_PROTO_FEAT_* the transport needs granted
 *
 * Every field is checked, as a reply can come from anything that answers on
 * the port. The first hello of a node (queue 0 of its first connect) sets
 * its slab size, pool size and max_io, within the module's limits; every
 * later one must say the same: a pool of another shape is another node
 * (delete and add it again). Queues after the first must reach the same
 * rmemd instance; a resumed session cannot come from a new instance.
 *
 * Context: the transport's connect (reconnect work or node add).
 * Return: 0, or -EPROTO with a log line.
 */
int rmem_node_hello(struct rmem_node *node, unsigned int qid,
		    const struct rmem_hello_reply *rep, u64 feature)
{
	u64 slab_size = le64_to_cpu(rep->slab_size);
	u32 slabs_total = le32_to_cpu(rep->slabs_total);
	u32 slabs_free = le32_to_cpu(rep->slabs_free);
	u32 max_io = le32_to_cpu(rep->max_io);
	u32 flags = le32_to_cpu(rep->flags);
	u64 instance = le64_to_cpu(rep->instance);
	bool first = !node->slab_size;

	if (!(le64_to_cpu(rep->features) & feature)) {
		rnode_err(node, "hello reply does not grant the %s feature\n", node->ops->name);
		return -EPROTO;
	}
	if (flags & ~RMEM_HELLO_F_RESUMED || memchr_inv(rep->reserved, 0, sizeof(rep->reserved))) {
		rnode_err(node, "hello reply has unknown flags %#x or reserved bytes set\n", flags);
		return -EPROTO;
	}
	if (slab_size < RMEM_NODE_SLAB_MIN || slab_size > RMEM_NODE_SLAB_MAX ||
	    !is_power_of_2(slab_size) || !slabs_total || slabs_total > RMEM_NODE_MAX_SLABS ||
	    slabs_free > slabs_total || max_io < RMEM_MSG_MAX_IO) {
		rnode_err(node, "hello reply out of range: slab %llu bytes, %u slabs (%u free), max_io %u (need %u)\n",
			  slab_size, slabs_total, slabs_free, max_io, RMEM_MSG_MAX_IO);
		return -EPROTO;
	}
	if (qid) {
		if (instance != node->instance) {
			rnode_err(node, "queue %u reached another rmemd instance\n", qid);
			return -EPROTO;
		}
		return 0;
	}
	if (!first && (slab_size != node->slab_size || slabs_total != node->slabs_total ||
		       max_io != node->max_io)) {
		rnode_err(node, "rmemd now has %u slabs of %llu bytes and max_io %u, it had %u of %llu and %u: delete and add the node again\n",
			  slabs_total, slab_size, max_io, node->slabs_total, node->slab_size,
			  node->max_io);
		return -EPROTO;
	}
	if (!first && (flags & RMEM_HELLO_F_RESUMED) && instance != node->instance) {
		rnode_err(node, "hello reply resumes our session on a new rmemd instance\n");
		return -EPROTO;
	}
	if (!first && !(flags & RMEM_HELLO_F_RESUMED))
		rmem_node_session_lost(node);
	node->instance = instance;
	node->slab_size = slab_size;
	node->slabs_total = slabs_total;
	WRITE_ONCE(node->slabs_free, slabs_free);
	WRITE_ONCE(node->full, !slabs_free);
	WRITE_ONCE(node->max_io, max_io);
	WRITE_ONCE(node->publish, !!(le64_to_cpu(rep->features) & RMEM_PROTO_FEAT_PUBLISH));
	return 0;
}

/**
 * rmem_node_refused() - say why the node refused our AUTH or HELLO
 * @node: the node
 * @type: RMEM_MSG_AUTH or RMEM_MSG_HELLO
 * @status: the reply's non-zero status
 *
 * One log line an operator can act on.
 *
 * Context: the transport's connect, or its receive completion.
 * Return: the errno rmem_node_add() explains (see rmem.h).
 */
int rmem_node_refused(struct rmem_node *node, u8 type, u32 status)
{
	if (status == RMEM_ERR_VERSION) {
		rnode_err(node, "node speaks another protocol version: upgrade rmemd and rmem together\n");
		return -ENOPROTOOPT;
	}
	if (status != RMEM_ERR_PERM) {
		rnode_err(node, "%s refused, status %u\n",
			  type == RMEM_MSG_AUTH ? "authentication" : "hello", status);
		return -EPROTO;
	}
	if (type == RMEM_MSG_AUTH) {
		rnode_err(node, "node refused our key %016llx (unknown key, or authentication off on rmemd)\n",
			  node->key_id);
		return -EKEYREJECTED;
	}
	if (!node->auth) {
		rnode_err(node, "node requires authentication: install its cluster key ('rmemctl key add FILE') and add the node without 'auth none'\n");
		return -EACCES;
	}
	rnode_err(node, "node refused our authenticated hello (session %s bound to another key?)\n",
		  node->tag);
	return -EPERM;
}

/**
 * rmem_node_version() - a reply header from another protocol version
 * @node: the node
 * @h: a reply header with our magic
 *
 * Return: -ENOPROTOOPT with a log line when @h has another version, else 0.
 */
int rmem_node_version(struct rmem_node *node, const struct rmem_msg_hdr *h)
{
	if (le32_to_cpu(h->magic) != RMEM_PROTO_MAGIC || h->version == RMEM_PROTO_VERSION)
		return 0;
	rnode_err(node, "node speaks protocol version %u, we speak %u: upgrade rmemd and rmem together\n",
		  h->version, RMEM_PROTO_VERSION);
	return -ENOPROTOOPT;
}

/**
 * rmem_node_key_users() - how many nodes authenticate with a key
 * @key_id: the key's id
 *
 * Context: rmem_cfg_lock held.
 * Return: the count.
 */
unsigned int rmem_node_key_users(u64 key_id)
{
	struct rmem_node *node;
	unsigned int nr = 0;

	lockdep_assert_held(&rmem_cfg_lock);
	list_for_each_entry(node, &rmem_nodes, list)
		if (node->auth && node->key_id == key_id)
			nr++;
	return nr;
}

/* The node with this id, or NULL with "no such node" in the extack. */
static struct rmem_node *rmem_node_lookup(u32 id, struct netlink_ext_ack *extack)
{
	struct rmem_node *node = rmem_node_find(id);

	lockdep_assert_held(&rmem_cfg_lock);
	if (!node)
		NL_SET_ERR_MSG(extack, "no such node");
	return node;
}

/**
 * rmem_node_pick() - choose a node for a new slab and reserve it
 * @skip: nodes not to use: they hold another copy, or just failed
 * @nr_skip: entries in @skip
 * @publish: only nodes whose rmemd knows published regions (the slab is a
 *	published region's)
 * @gen: out: the node's generation the reservation belongs to
 *
 * Picks the live node with the most free slabs, ties broken by latency, so
 * that a region's extents spread over the nodes. Draining nodes take no new
 * slab. The free counts are hints: when none is above 0, a live node whose
 * 0 is not its own word (@full) is picked all the same, and its SLAB_ALLOC
 * answers (a heartbeat's count that crossed a SLAB_ALLOC reply left the
 * hint a slab short: an allocation then failed with room left). The
 * caller owns a reference to the node and one count of
 * node->slabs_used in generation @gen; it drops both with
 * rmem_node_slab_unreserve() and rmem_node_put() unless an extent ends up
 * holding a slab there. While a node has slabs_used it cannot be deleted.
 *
 * Return: the node; ERR_PTR(-EAGAIN) if none can take a slab now but a
 * node is reconnecting; ERR_PTR(-ENOSPC) otherwise.
 */
struct rmem_node *rmem_node_pick(struct rmem_node *const *skip, unsigned int nr_skip,
				 bool publish, u32 *gen)
{
	struct rmem_node *n, *best = NULL, *maybe = NULL;
	bool recovering = false;
	enum rmem_node_state state;
	unsigned long flags;

	spin_lock(&rmem_nodes_lock);
	list_for_each_entry(n, &rmem_nodes, list) {
		if (rmem_node_in(n, skip, nr_skip) || n->stopping || READ_ONCE(n->draining) ||
		    (publish && !READ_ONCE(n->publish)))
			continue;
		state = READ_ONCE(n->state);
		if (state == RMEM_NODE_RECONNECTING || state == RMEM_NODE_CONNECTING)
			recovering = true;
		if (state != RMEM_NODE_LIVE)
			continue;
		if (!READ_ONCE(n->slabs_free)) {
			if (!READ_ONCE(n->full) && (!maybe || atomic64_read(&n->srtt_ns) <
							      atomic64_read(&maybe->srtt_ns)))
				maybe = n;
			continue;
		}
		if (!best || n->slabs_free > best->slabs_free ||
		    (n->slabs_free == best->slabs_free &&
		     atomic64_read(&n->srtt_ns) < atomic64_read(&best->srtt_ns)))
			best = n;
	}
	if (!best)
		best = maybe;
	if (best) {
		rmem_node_get(best);
		spin_lock_irqsave(&best->lock, flags);
		*gen = best->gen;
		atomic_inc(&best->slabs_used);
		spin_unlock_irqrestore(&best->lock, flags);
	}
	spin_unlock(&rmem_nodes_lock);
	if (!best)
		return ERR_PTR(recovering ? -EAGAIN : -ENOSPC);
	return best;
}

/**
 * rmem_node_room() - nodes a new slab could go to now
 *
 * Return: live nodes, not draining, with a free slab.
 */
unsigned int rmem_node_room(void)
{
	struct rmem_node *n;
	unsigned int nr = 0;

	spin_lock(&rmem_nodes_lock);
	list_for_each_entry(n, &rmem_nodes, list)
		if (!n->stopping && !READ_ONCE(n->draining) &&
		    READ_ONCE(n->state) == RMEM_NODE_LIVE && READ_ONCE(n->slabs_free))
			nr++;
	spin_unlock(&rmem_nodes_lock);
	return nr;
}

/**
 * rmem_node_drain() - move every slab off a node
 * @id: node id
 * @extack: error report
 *
 * The node takes no new slab; each region's rebuild moves its copies there
 * to other nodes (rmem_region_kick_all()). Once slabs_used is 0 the node
 * can be deleted. Draining again is a no-op.
 *
 * Context: rmem_cfg_lock held.
 * Return: 0 or -ENOENT.
 */
int rmem_node_drain(u32 id, struct netlink_ext_ack *extack)
{
	struct rmem_node *node;
	unsigned long flags;
	bool was;

	lockdep_assert_held(&rmem_cfg_lock);
	node = rmem_node_lookup(id, extack);
	if (!node)
		return -ENOENT;
	/*
	 * Under node->lock: the session's loss (rmem_node_session_lost())
	 * ends a drain rmemd asked for, and must not end this one.
	 */
	spin_lock_irqsave(&node->lock, flags);
	was = node->draining;
	WRITE_ONCE(node->draining, true);
	node->drain_remote = false;	/* ours now: stays after a reconnect */
	spin_unlock_irqrestore(&node->lock, flags);
	if (!was)
		rnode_info(node, "draining: its slabs move to other nodes\n");
	rmem_node_changed();
	rmem_region_kick_all();
	return 0;
}

/**
 * rmem_node_debug_show() - each node's transport describes its live queues
 * @m: the debugfs file
 *
 * Only nodes that are live are shown, as submitters (node->submitting):
 * the transport cannot change under the call.
 *
 * Context: rmem_cfg_lock held; sleeps.
 */
void rmem_node_debug_show(struct seq_file *m)
{
	struct rmem_node *node;
	unsigned long flags;
	bool live;

	lockdep_assert_held(&rmem_cfg_lock);
	list_for_each_entry(node, &rmem_nodes, list) {
		spin_lock_irqsave(&node->lock, flags);
		live = node->state == RMEM_NODE_LIVE;
		if (live)
			atomic_inc(&node->submitting);
		spin_unlock_irqrestore(&node->lock, flags);
		if (!live)
			continue;
		if (node->ops->debug_show)
			node->ops->debug_show(node, m);
		if (atomic_dec_and_test(&node->submitting))
			wake_up_var(&node->submitting);
	}
}

/* First transport to try: auto tries RDMA, then TCP (rmem_node_connect). */
static const struct rmem_transport_ops *rmem_transport_get(enum rmem_transport want)
{
	return want == RMEM_TRANSPORT_TCP ? &rmem_tcp_ops : &rmem_rdma_ops;
}

/*
 * First connection of a new node. With transport auto, RDMA is tried first
 * and any failure (no RDMA device on the route, rmemd without an RDMA
 * listener, refused, unreachable, timed out) falls back to TCP. The choice
 * sticks: reconnects use node->ops only.
 */
static int rmem_node_connect(struct rmem_node *node)
{
	int ret;

	ret = rmem_node_ops_connect(node);
	if (!ret || node->want != RMEM_TRANSPORT_AUTO)
		return ret;
	rnode_info(node, "RDMA unavailable (%d), trying TCP\n", ret);
	rmem_node_release(node);
	node->ops = &rmem_tcp_ops;
	return rmem_node_ops_connect(node);
}

static void rmem_node_connect_error(struct rmem_node *node, int ret,
				    struct netlink_ext_ack *extack)
{
	bool rdma = node->ops == &rmem_rdma_ops;

	switch (ret) {
	case -ECONNREFUSED:
		if (rdma)
			NL_SET_ERR_MSG(extack,
				       "RDMA connection refused: is rmemd listening for RDMA there?");
		else
			NL_SET_ERR_MSG(extack, "connection refused: is rmemd running there?");
		break;
	case -ETIMEDOUT:
	case -EHOSTUNREACH:
	case -ENETUNREACH:
		if (rdma)
			NL_SET_ERR_MSG(extack,
				       "RDMA connection refused or unreachable (timed out or no route)");
		else
			NL_SET_ERR_MSG(extack, "node unreachable (timed out or no route)");
		break;
	case -ENODEV:
	case -EADDRNOTAVAIL:
		NL_SET_ERR_MSG(extack, "no RDMA device on the route to the node");
		break;
	case -EPROTONOSUPPORT:
		NL_SET_ERR_MSG(extack,
			       "the RDMA device on the route is iWARP, which rmem does not support");
		break;
	case -ENOKEY:
		NL_SET_ERR_MSG(extack,
			       "node failed to prove the key (different key on the memory node?)");
		break;
	case -EKEYREJECTED:
		NL_SET_ERR_MSG_FMT(extack,
				   "node refused our key %016llx (unknown key, or rmemd has auth off)",
				   node->key_id);
		break;
	case -EACCES:
		NL_SET_ERR_MSG(extack,
			       "node requires authentication: install its cluster key ('rmemctl key add FILE') and add the node without 'auth none'");
		break;
	case -EPERM:
		NL_SET_ERR_MSG(extack, "node refused our authenticated hello (see kernel log)");
		break;
	case -ENOPROTOOPT:
		NL_SET_ERR_MSG(extack,
			       "node speaks another protocol version: upgrade rmemd and rmem together");
		break;
	case -EPROTO:
		NL_SET_ERR_MSG(extack,
			       "node answered with a bad or unsupported hello (see kernel log)");
		break;
	default:
		NL_SET_ERR_MSG(extack, "cannot connect to the node (see kernel log)");
	}
}

static bool rmem_addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_addr.s_addr == y->sin_addr.s_addr && x->sin_port == y->sin_port;
	}
	return ipv6_addr_equal(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr) &&
	       ((const struct sockaddr_in6 *)a)->sin6_port ==
	       ((const struct sockaddr_in6 *)b)->sin6_port;
}

static void rmem_node_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(rmem_node_cache, container_of(head, struct rmem_node, rcu));
}

static void rmem_node_free(struct rmem_node *node)
{
	rmem_node_pub_closes_free(node);
	rmem_node_release(node);
	/* Frees (and wipes) the node's copy of its key; NULL with auth none. */
	crypto_free_shash(node->auth);
	node->auth = NULL;
	/* The transport auto fell back from (rmem_node_auto_fallback). */
	if (node->old_ops) {
		node->ops = node->old_ops;
		node->priv = node->old_priv;
		rmem_node_release(node);
	}
	/* rmem_node_tryget() may still look at it under RCU. */
	call_rcu(&node->rcu, rmem_node_free_rcu);
}

static void rmem_node_free_work(struct work_struct *work)
{
	rmem_node_free(container_of(work, struct rmem_node, free_work));
}

static void rmem_node_last_put(struct kref *ref)
{
	struct rmem_node *node = container_of(ref, struct rmem_node, ref);

	/* The last holder may be a completion in atomic context: free in a work. */
	queue_work(rmem_wq, &node->free_work);
}

/**
 * rmem_node_get() - take a reference to a node
 * @node: a node the caller already holds a reference to, or one found in
 *	the node list under rmem_nodes_lock or rmem_cfg_lock
 */
void rmem_node_get(struct rmem_node *node)
{
	kref_get(&node->ref);
}

/**
 * rmem_node_tryget() - take a reference to a node that may be going away
 * @node: a node whose last reference may have been dropped
 *
 * Context: rcu_read_lock() held since @node was read.
 * Return: true if the caller now holds a reference.
 */
bool rmem_node_tryget(struct rmem_node *node)
{
	return kref_get_unless_zero(&node->ref);
}

/**
 * rmem_node_put() - drop a reference to a node
 * @node: the node
 *
 * The node list holds one reference until ``node del``; each extent mapped
 * to the node and each request in flight to it holds one. The last put
 * frees the node (and its transport state) from a work item.
 *
 * Context: any; does not sleep.
 */
void rmem_node_put(struct rmem_node *node)
{
	kref_put(&node->ref, rmem_node_last_put);
}

/**
 * rmem_node_init() - create the node cache
 *
 * Return: 0 or -ENOMEM.
 */
int __init rmem_node_init(void)
{
	rmem_node_cache = kmem_cache_create("rmem_node", sizeof(struct rmem_node), 0,
					    SLAB_POISON, NULL);
	return rmem_node_cache ? 0 : -ENOMEM;
}

/**
 * rmem_node_exit() - destroy the node cache
 *
 * Context: every node deleted (rmem_node_del_all()).
 */
void rmem_node_exit(void)
{
	rcu_barrier();		/* the last rmem_node_free_rcu() */
	kmem_cache_destroy(rmem_node_cache);
}

/**
 * rmem_node_add() - add a memory node and connect to it
 * @addr: address and port of its rmemd
 * @want: requested transport
 * @timeout_ms: how long it may stay unreachable before its I/O fails
 * @auth: its key, or authentication off
 * @extack: error report
 *
 * Connects synchronously so that errors reach the caller. The node takes
 * its own copy of the key (a keyed HMAC transform), so the key store may
 * change later without affecting it.
 *
 * Context: rmem_cfg_lock held; sleeps.
 * Return: the node or ERR_PTR.
 */
struct rmem_node *rmem_node_add(const struct sockaddr_storage *addr,
				enum rmem_transport want, unsigned int timeout_ms,
				const struct rmem_node_auth_opts *auth,
				struct netlink_ext_ack *extack)
{
	const struct rmem_transport_ops *ops;
	struct crypto_shash *tfm = NULL;
	struct rmem_node *node, *n;
	u64 key_id = auth->key_id;
	int ret;

	lockdep_assert_held(&rmem_cfg_lock);
	list_for_each_entry(n, &rmem_nodes, list) {
		if (rmem_addr_equal(&n->addr, addr)) {
			NL_SET_ERR_MSG(extack, "a node with this address and port exists");
			return ERR_PTR(-EEXIST);
		}
	}
	ops = rmem_transport_get(want);
	if (!auth->none) {
		tfm = rmem_auth_node_key(auth->has_key_id, &key_id, extack);
		if (IS_ERR(tfm))
			return ERR_CAST(tfm);
	}

	node = kmem_cache_zalloc(rmem_node_cache, GFP_KERNEL);
	if (!node) {
		crypto_free_shash(tfm);
		return ERR_PTR(-ENOMEM);
	}
	node->auth = tfm;
	node->key_id = tfm ? key_id : 0;
	node->addr = *addr;
	snprintf(node->name, sizeof(node->name), "%pISpc", addr);
	node->want = want;
	node->ops = ops;
	node->nr_queues = rmem_nr_queues;
	node->timeout_ms = timeout_ms;
	node->session = get_random_u64() | 1;
	rmem_auth_session_tag(node->session, node->tag);
	node->id = rmem_next_node_id;
	rmem_node_set_state(node, RMEM_NODE_CONNECTING);
	spin_lock_init(&node->lock);
	INIT_LIST_HEAD(&node->pending);
	INIT_LIST_HEAD(&node->pub_closes);
	INIT_WORK(&node->error_work, rmem_node_error_work);
	INIT_DELAYED_WORK(&node->reconnect_work, rmem_node_reconnect_work);
	INIT_DELAYED_WORK(&node->dead_work, rmem_node_dead_work);
	INIT_DELAYED_WORK(&node->heartbeat_work, rmem_node_heartbeat_work);
	INIT_WORK(&node->hb_send_work, rmem_node_hb_send_work);
	INIT_DELAYED_WORK(&node->reconcile_work, rmem_node_reconcile_work);
	INIT_WORK(&node->free_work, rmem_node_free_work);
	kref_init(&node->ref);		/* the node list's */

	if (!node->auth)
		rnode_warn(node, "authentication is off ('auth none'): whatever answers at this address is trusted with our pages, and anyone who can reach rmemd's port there can join our session\n");
	ret = rmem_node_connect(node);
	if (ret) {
		rnode_err(node, "cannot connect over %s: %d\n", node->ops->name, ret);
		rmem_node_connect_error(node, ret, extack);
		goto out_free;
	}
	/* A first connect loses nothing (an RDMA attempt's session, at most). */
	node->sess_lost = false;
	node->lost_slabs = 0;
	ops = node->ops;
	if (node->slab_size != (u64)rmem_slab_mb << 20) {
		rnode_err(node, "slab size %llu MiB, module uses slab_mb=%u\n",
			  node->slab_size >> 20, rmem_slab_mb);
		NL_SET_ERR_MSG(extack, "node's slab size differs from the module's slab_mb");
		ret = -EINVAL;
		goto out_disconnect;
	}

	ret = rmem_sysfs_node_add(node);
	if (ret) {
		NL_SET_ERR_MSG(extack, "cannot create the node's sysfs directory");
		goto out_disconnect;
	}
	rmem_next_node_id++;
	/* Listeners hear of the node from here on: connecting>live first. */
	node->announced = true;
	rmem_node_set_state(node, RMEM_NODE_LIVE);
	spin_lock(&rmem_nodes_lock);
	list_add_tail(&node->list, &rmem_nodes);
	spin_unlock(&rmem_nodes_lock);
	rmem_node_changed();
	queue_delayed_work(rmem_wq, &node->heartbeat_work,
			   msecs_to_jiffies(READ_ONCE(rmem_heartbeat_ms) ?: RMEM_HB_IDLE_MS));
	rmem_node_check_failed(node);
	if (node->auth)
		rnode_info(node, "added: %s, %u queues, %u slabs of %llu MiB (%u free), key %016llx, session tag %s\n",
			   ops->name, node->nr_queues, node->slabs_total, node->slab_size >> 20,
			   node->slabs_free, node->key_id, node->tag);
	else
		rnode_info(node, "added: %s, %u queues, %u slabs of %llu MiB (%u free), auth none, session tag %s\n",
			   ops->name, node->nr_queues, node->slabs_total, node->slab_size >> 20,
			   node->slabs_free, node->tag);
	return node;

out_disconnect:
	rmem_node_set_state(node, RMEM_NODE_DELETING);
	ops->disconnect(node);
out_free:
	rmem_node_free(node);
	return ERR_PTR(ret);
}

static void rmem_node_destroy(struct rmem_node *node)
{
	unsigned long flags;

	spin_lock_irqsave(&node->lock, flags);
	node->stopping = true;
	rmem_node_set_state(node, RMEM_NODE_DELETING);
	spin_unlock_irqrestore(&node->lock, flags);

	cancel_delayed_work_sync(&node->heartbeat_work);
	cancel_work_sync(&node->error_work);
	cancel_delayed_work_sync(&node->reconnect_work);
	cancel_delayed_work_sync(&node->dead_work);
	cancel_delayed_work_sync(&node->reconcile_work);
	node->ops->disconnect(node);
	/*
	 * A submitter still in the transport (disconnect woke it) may touch
	 * the node after its request completed and dropped the node's last
	 * reference but ours: wait for it to leave.
	 */
	wait_var_event(&node->submitting, !atomic_read(&node->submitting));
	/* After disconnect: that unblocks a PING send stuck on a full socket. */
	cancel_work_sync(&node->hb_send_work);
	rmem_node_fail_pending(node, -EIO);
	rmem_sysfs_node_del(node);
	rnode_info(node, "removed\n");
	rmem_node_changed();
	/* Extents of slabs it lost, and requests in flight, may still hold it. */
	rmem_node_put(node);
}

/**
 * rmem_node_del() - remove a node that holds no slab
 * @id: node id
 * @extack: error report
 *
 * Unlists the node, stops it and drops the list's reference. Extents of
 * slabs the node already lost (rmemd restarted) and requests in flight keep
 * its memory until they let go: they see it deleted and fail cleanly.
 *
 * Context: rmem_cfg_lock held; sleeps.
 * Return: 0, -ENOENT, or -EBUSY while regions hold slabs of the current
 * session there.
 */
int rmem_node_del(u32 id, struct netlink_ext_ack *extack)
{
	struct rmem_node *node;

	lockdep_assert_held(&rmem_cfg_lock);
	node = rmem_node_lookup(id, extack);
	if (!node)
		return -ENOENT;
	spin_lock(&rmem_nodes_lock);
	if (atomic_read(&node->slabs_used)) {
		spin_unlock(&rmem_nodes_lock);
		NL_SET_ERR_MSG(extack, "regions hold slabs on this node: delete them first");
		return -EBUSY;
	}
	node->stopping = true;
	list_del(&node->list);
	spin_unlock(&rmem_nodes_lock);
	rmem_node_destroy(node);
	return 0;
}

/**
 * rmem_node_del_all() - remove every node (module unload)
 *
 * Context: no region left.
 */
void rmem_node_del_all(void)
{
	struct rmem_node *node, *tmp;

	mutex_lock(&rmem_cfg_lock);
	list_for_each_entry_safe(node, tmp, &rmem_nodes, list) {
		spin_lock(&rmem_nodes_lock);
		node->stopping = true;
		list_del(&node->list);
		spin_unlock(&rmem_nodes_lock);
		rmem_node_destroy(node);
	}
	mutex_unlock(&rmem_cfg_lock);
	/* Frees queued by the last puts run before the transports go away. */
	flush_workqueue(rmem_wq);
}
