// SPDX-License-Identifier: GPL-2.0
/*
 * rmem: the TCP transport.
 *
 * One kernel socket per queue. Senders serialise on the queue's send_lock and
 * append to its in-flight list before writing, so the list is in wire order;
 * rmemd answers in order, so the receiver matches each reply to the head of
 * the list (and checks the id). Receiving is event driven, as in nvme-tcp:
 * the socket's data_ready queues rx_work on rmem_io_wq, which consumes what
 * has arrived with read_sock(); read data lands straight in the caller's
 * pages. The requests it answered are completed once the socket is
 * unlocked (a read's completion checks and decrypts its pages).
 *
 * Swap safety: the sockets may use the memory reserves (sk_set_memalloc),
 * allocate with GFP_NOIO and never from the task's page fragment
 * (sk_use_task_frag), and sends and rx_work run under
 * memalloc_noreclaim_save(), so writing a page out never waits on reclaim
 * that waits on us. Their locks have lockdep classes of their own.
 *
 * Teardown (disconnect): mark queues dead under send_lock, shut the sockets
 * down, unhook the socket callbacks and cancel rx_work, release the
 * sockets, and hand every in-flight request back to the node with
 * rmem_node_requeue().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/net.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "rmem.h"

struct rmem_tcp_queue {
	struct rmem_node *node;
	unsigned int qid;
	struct socket *sock;
	struct mutex send_lock;		/* one message at a time on the wire */
	spinlock_t lock;		/* inflight, tx_io, tx_io_* */
	struct list_head inflight;
	/*
	 * The request being sent, under send_lock: its reply may arrive
	 * before the send returns (or, from a peer that breaks the protocol,
	 * before its data is out). rx_work then leaves it to the sender,
	 * which still reads its pages and bvec, with the reply's errno.
	 */
	struct rmem_req *tx_io;
	bool tx_io_replied;
	int tx_io_err;
	unsigned long early_replies;	/* replies the sender completed */
	bool live;			/* under send_lock */
	bool closing;			/* we shut it down: a reset is ours */
	struct work_struct rx_work;
	/* A send a signal interrupted: finished by tx_work, under send_lock. */
	struct work_struct tx_work;
	struct iov_iter *tx_iter;
	int tx_flags;
	bool tx_zc;
	int tx_ret;
	struct completion tx_done;
	unsigned long tx_resumed;	/* sends tx_work finished; send_lock */
	unsigned long tx_zerocopy;	/* WRITEs sent zero-copy; send_lock */
	unsigned long tx_copied;	/* WRITEs whose data was copied; send_lock */
	const char *opened;		/* reclaim the opener could enter: debugfs */
	void (*saved_data_ready)(struct sock *sk);
	void (*saved_state_change)(struct sock *sk);
	/* Receive state, only touched by rx_work. */
	struct list_head rx_done;	/* replied, completed after read_sock() */
	struct rmem_msg_hdr rx_hdr;	/* reply header being received */
	size_t rx_got;			/* bytes of rx_hdr received */
	struct rmem_req *rx_io;		/* request whose payload is arriving */
	size_t rx_left;			/* payload bytes still to come */
	void *rx_buf;			/* small payload destination, or NULL */
	struct iov_iter rx_iter;	/* READ payload destination */
	int rx_err;			/* receive failed; set once */
	bool tx_failed;			/* a send failed: the stream is torn */
};

struct rmem_tcp_node {
	unsigned int nr;
	struct rmem_tcp_queue q[];
};

#ifdef RMEM_HAS_SENDPAGE
/*
 * Zero-copy before 6.5: the current piece of @iter (a bvec) up to the end of
 * its page, through the socket's sendpage. MSG_MORE (and NOTLAST) unless it
 * is the last piece and the caller asked for a push.
 */
static int rmem_tcp_sendpage(struct socket *sock, struct iov_iter *iter, int flags)
{
	const struct bio_vec *bv = iter->bvec;
	size_t off = bv->bv_offset + iter->iov_offset;
	size_t len = min3(bv->bv_len - iter->iov_offset, PAGE_SIZE - offset_in_page(off),
			  iov_iter_count(iter));

	if (len < iov_iter_count(iter))
		flags |= MSG_MORE | MSG_SENDPAGE_NOTLAST;
	return kernel_sendpage(sock, bv->bv_page + (off >> PAGE_SHIFT), offset_in_page(off),
			       len, flags);
}
#endif

static int rmem_tcp_xmit_one(struct socket *sock, struct msghdr *msg, struct iov_iter *iter,
			     bool zc)
{
#ifdef RMEM_HAS_SENDPAGE
	if (zc)
		return rmem_tcp_sendpage(sock, iter, msg->msg_flags);
#endif
	msg->msg_iter = *iter;
	return sock_sendmsg(sock, msg);
}

/*
 * Once the last byte of a message is sent, its reply may come in before
 * sock_sendmsg() even returns; a peer that breaks the protocol may answer
 * before that. rx_work then leaves the request to its sender (q->tx_io),
 * which completes it once every send returned: what @iter points into (a
 * write's bounce pages and their bvec array) stays valid until then.
 *
 * @zc: @iter is a bvec of pages that pass sendpage_ok(): the socket takes
 * references on them instead of copying (MSG_SPLICE_PAGES; sendpage before
 * 6.5), as nvme-tcp does. A page may then change or be reused once the
 * request completes while the socket still holds it for a retransmission;
 * but the reply means the node has every byte, so such a retransmission
 * is one the node's TCP drops as a duplicate (a peer that replies before
 * it has them may get another write's bytes: memory stays safe, the
 * socket holds its own page references).
 */
static int rmem_tcp_xmit(struct socket *sock, struct iov_iter *iter, int flags, bool zc)
{
	struct msghdr msg = { .msg_flags = flags | MSG_NOSIGNAL };
	size_t left;
	int ret;

#ifndef RMEM_HAS_SENDPAGE
	if (zc)
		msg.msg_flags |= MSG_SPLICE_PAGES;
#endif
	while ((left = iov_iter_count(iter))) {
		ret = rmem_tcp_xmit_one(sock, &msg, iter, zc);
		if (ret <= 0)
			return ret ? ret : -EPIPE;
		if (ret >= left) {
			iov_iter_truncate(iter, 0);
			break;
		}
		iov_iter_advance(iter, ret);
	}
	return 0;
}

static void rmem_tcp_tx_work(struct work_struct *work)
{
	struct rmem_tcp_queue *q = container_of(work, struct rmem_tcp_queue, tx_work);
	unsigned int noreclaim = memalloc_noreclaim_save();

	q->tx_ret = rmem_tcp_xmit(q->sock, q->tx_iter, q->tx_flags, q->tx_zc);
	memalloc_noreclaim_restore(noreclaim);
	complete(&q->tx_done);
}

/*
 * Send all of @iter on @q, send_lock held. The submitting task may get a
 * signal (an OOM victim in reclaim, a user's ^C): the send then returns
 * -ERESTARTSYS, possibly halfway through a message, and a torn message
 * would cost a reset of every queue of the node. The rest of the message
 * goes from tx_work instead, a kernel worker that takes no signals, while
 * the submitter waits for it without being interruptible, as long as a
 * send could block anyway (the socket's send timeout, or teardown).
 */
static int rmem_tcp_send(struct rmem_tcp_queue *q, struct iov_iter *iter, int flags, bool zc)
{
	int ret = rmem_tcp_xmit(q->sock, iter, flags, zc);

	if ((ret == -ERESTARTSYS || ret == -EINTR) && iov_iter_count(iter)) {
		q->tx_iter = iter;
		q->tx_flags = flags;
		q->tx_zc = zc;
		reinit_completion(&q->tx_done);
		queue_work(rmem_tx_wq, &q->tx_work);
		wait_for_completion(&q->tx_done);
		ret = q->tx_ret;
		q->tx_resumed++;
	}
	return ret;
}

static int rmem_tcp_recv_iter(struct socket *sock, struct iov_iter *iter)
{
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	int ret;

	while (iov_iter_count(iter)) {
		msg.msg_iter = *iter;
		ret = sock_recvmsg(sock, &msg, MSG_WAITALL | MSG_NOSIGNAL);
		if (ret <= 0)
			return ret ? ret : -ECONNRESET;
		iov_iter_advance(iter, ret);
	}
	return 0;
}

static int rmem_tcp_recv_buf(struct socket *sock, void *buf, size_t len)
{
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	struct iov_iter iter;

	iov_iter_kvec(&iter, ITER_DEST, &kv, 1, len);
	return rmem_tcp_recv_iter(sock, &iter);
}

static void rmem_tcp_hdr(struct rmem_msg_hdr *h, u8 type, u32 len, u64 id)
{
	memset(h, 0, sizeof(*h));
	h->magic = cpu_to_le32(RMEM_PROTO_MAGIC);
	h->version = RMEM_PROTO_VERSION;
	h->type = type;
	h->len = cpu_to_le32(len);
	h->id = cpu_to_le64(id);
}

/* Check a reply header; returns its payload length or -EPROTO. */
static int rmem_tcp_check_reply(struct rmem_node *node, const struct rmem_msg_hdr *h)
{
	u32 len = le32_to_cpu(h->len);

	if (le32_to_cpu(h->magic) != RMEM_PROTO_MAGIC || h->version != RMEM_PROTO_VERSION ||
	    !(le16_to_cpu(h->flags) & RMEM_MSG_F_REPLY) || len > RMEM_MSG_MAX_PAYLOAD ||
	    le32_to_cpu(h->status) > RMEM_ERR_MAX) {
		rnode_err_rl(node,
			     "malformed reply (magic %#x version %u flags %#x len %u status %u)\n",
			     le32_to_cpu(h->magic), h->version, le16_to_cpu(h->flags), len,
			     le32_to_cpu(h->status));
		return -EPROTO;
	}
	return len;
}

/*
 * Send one message of the connection setup (AUTH or HELLO, id 0) and
 * receive its reply's payload of exactly @rlen bytes into @rbuf. A refusal
 * (any status) is explained by rmem_node_refused().
 */
static int rmem_tcp_setup_call(struct rmem_tcp_queue *q, u8 type, const void *p, u32 plen,
			       void *rbuf, u32 rlen)
{
	struct rmem_node *node = q->node;
	struct rmem_msg_hdr h;
	struct kvec kv[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)p, .iov_len = plen },
	};
	struct iov_iter iter;
	int ret, len;

	rmem_tcp_hdr(&h, type, plen, 0);
	iov_iter_kvec(&iter, ITER_SOURCE, kv, 2, sizeof(h) + plen);
	ret = rmem_tcp_xmit(q->sock, &iter, 0, false);
	if (ret)
		return ret;
	ret = rmem_tcp_recv_buf(q->sock, &h, sizeof(h));
	if (ret)
		return ret;
	/* A peer of another version answers in its own: say so plainly. */
	ret = rmem_node_version(node, &h);
	if (ret)
		return ret;
	len = rmem_tcp_check_reply(node, &h);
	if (len < 0)
		return len;
	if (h.type != type || le64_to_cpu(h.id) != 0) {
		rnode_err(node, "%s answered with type %u\n",
			  type == RMEM_MSG_AUTH ? "authentication" : "hello", h.type);
		return -EPROTO;
	}
	if (le32_to_cpu(h.status))
		return rmem_node_refused(node, type, le32_to_cpu(h.status));
	if (len != rlen) {
		rnode_err(node, "reply to type %u of %d bytes, expected %u\n", type, len, rlen);
		return -EPROTO;
	}
	return rmem_tcp_recv_buf(q->sock, rbuf, rlen);
}

/*
 * Connection setup: with a key, AUTH (the node proves the key for our
 * nonce), then HELLO with its mac (we prove it for the node's nonce);
 * without, a plain HELLO.
 */
static int rmem_tcp_hello(struct rmem_tcp_queue *q)
{
	struct rmem_node *node = q->node;
	struct rmem_hello_reply rep;
	struct rmem_auth_reply arep;
	struct rmem_auth_hs hs;
	struct rmem_hello hello;
	struct rmem_auth auth;
	int ret;

	if (node->auth) {
		rmem_auth_start(node, &hs, &auth);
		ret = rmem_tcp_setup_call(q, RMEM_MSG_AUTH, &auth, sizeof(auth),
					  &arep, sizeof(arep));
		if (ret)
			return ret;
		ret = rmem_auth_finish(node, &hs, &arep);
		if (ret)
			return ret;
	}
	ret = rmem_auth_hello(node, node->auth ? &hs : NULL, q->qid, RMEM_PROTO_FEAT_TCP,
			      &hello);
	if (ret)
		return ret;
	ret = rmem_tcp_setup_call(q, RMEM_MSG_HELLO, &hello, sizeof(hello), &rep, sizeof(rep));
	if (ret)
		return ret;
	return rmem_node_hello(node, q->qid, &rep, RMEM_PROTO_FEAT_TCP);
}

/*
 * The receive side is driven by the socket: sk_data_ready and
 * sk_state_change queue rx_work, which consumes whatever has arrived with
 * read_sock() (no blocking receive, no copy through a bounce buffer) and
 * keeps a partial reply in the queue's rx_* fields until the rest comes.
 */

/* Start on the payload of the reply in q->rx_hdr: find its request. */
static int rmem_tcp_rx_start(struct rmem_tcp_queue *q)
{
	struct rmem_node *node = q->node;
	const struct rmem_msg_hdr *h = &q->rx_hdr;
	struct rmem_req *io;
	u32 status;
	size_t want = 0;
	int len;

	len = rmem_tcp_check_reply(node, h);
	if (len < 0)
		return len;
	spin_lock(&q->lock);
	io = list_first_entry_or_null(&q->inflight, struct rmem_req, entry);
	spin_unlock(&q->lock);
	if (!io || io->id != le64_to_cpu(h->id) || io->type != h->type) {
		rnode_err_rl(node, "reply id %llu type %u matches no request\n",
			     le64_to_cpu(h->id), h->type);
		return -EPROTO;
	}

	status = le32_to_cpu(h->status);
	q->rx_buf = NULL;
	if (status) {
		want = 0;
	} else if (io->type == RMEM_MSG_READ) {
		want = io->len;
		iov_iter_bvec(&q->rx_iter, ITER_DEST, io->bvec, io->nr_bvec, io->len);
	} else if (io->type == RMEM_MSG_SLAB_ALLOC) {
		want = sizeof(io->reply.alloc);
		q->rx_buf = &io->reply.alloc;
	} else if (io->type == RMEM_MSG_PING) {
		want = sizeof(io->reply.ping);
		q->rx_buf = &io->reply.ping;
	} else if (io->type == RMEM_MSG_SLAB_LIST) {
		want = sizeof(io->reply.list);
		q->rx_buf = &io->reply.list;
	} else if (rmem_msg_is_pub(io->type)) {
		want = io->reply.ctl.rlen;
		q->rx_buf = io->reply.ctl.rbuf;
	}
	if (len != want) {
		rnode_err_rl(node, "reply to type %u has %d bytes, expected %zu\n",
			     io->type, len, want);
		return -EPROTO;
	}
	q->rx_io = io;
	q->rx_left = want;
	return 0;
}

/* The reply to q->rx_io has fully arrived. */
static void rmem_tcp_rx_done(struct rmem_tcp_queue *q)
{
	struct rmem_req *io = q->rx_io;
	struct rmem_node *node = q->node;
	u32 status = le32_to_cpu(q->rx_hdr.status);

	/* A published-region request's caller says why it failed. */
	if (status && status != RMEM_ERR_NOENT && status != RMEM_ERR_NOSPC &&
	    !rmem_msg_is_pub(io->type))
		rnode_err_rl(node, "request type %u slab %u offset %llu len %u failed: status %u\n",
			     io->type, io->slab, io->offset, io->len, status);
	q->rx_io = NULL;
	q->rx_got = 0;
	rmem_node_heard(node);
	spin_lock(&q->lock);
	list_del_init(&io->entry);
	if (io == q->tx_io) {
		/* Still being sent: the sender completes it (tx_io). */
		q->tx_io_replied = true;
		q->tx_io_err = rmem_proto_status_errno(status);
		io = NULL;
	}
	spin_unlock(&q->lock);
	if (io) {
		/* Completed by rx_work once the socket is unlocked. */
		io->err = rmem_proto_status_errno(status);
		list_add_tail(&io->entry, &q->rx_done);
	}
}

/* read_sock() actor: consume [offset, offset + len) of @skb. */
static int rmem_tcp_rx_skb(read_descriptor_t *desc, struct sk_buff *skb,
			   unsigned int offset, size_t len)
{
	struct rmem_tcp_queue *q = desc->arg.data;
	size_t consumed = 0, n;
	unsigned int at;
	int ret;

	while (consumed < len) {
		at = offset + consumed;
		if (!q->rx_io) {
			/* Header. */
			n = min(len - consumed, sizeof(q->rx_hdr) - q->rx_got);
			ret = skb_copy_bits(skb, at, (u8 *)&q->rx_hdr + q->rx_got, n);
			if (ret)
				goto fail;
			consumed += n;
			q->rx_got += n;
			if (q->rx_got < sizeof(q->rx_hdr))
				break;
			ret = rmem_tcp_rx_start(q);
			if (ret)
				goto fail;
		} else {
			/* Payload. */
			n = min(len - consumed, q->rx_left);
			if (q->rx_buf) {
				ret = skb_copy_bits(skb, at, q->rx_buf, n);
				q->rx_buf += n;
			} else {
				ret = skb_copy_datagram_iter(skb, at, &q->rx_iter, n);
			}
			if (ret)
				goto fail;
			consumed += n;
			q->rx_left -= n;
		}
		if (q->rx_io && !q->rx_left)
			rmem_tcp_rx_done(q);
	}
	return consumed;

fail:
	WRITE_ONCE(q->rx_err, ret);
	desc->count = 0;
	return consumed ? consumed : ret;
}

/*
 * Complete the requests whose replies read_sock() took, with the socket
 * unlocked: a read's completion checks and decrypts its pages (up to 128),
 * which must neither hold back the socket's receive path (segments wait in
 * its backlog, and ACKs with them, while the lock is held) nor keep the CPU
 * for the whole receive queue's worth under a slow CPU.
 */
static void rmem_tcp_rx_complete(struct rmem_tcp_queue *q)
{
	struct rmem_req *io, *tmp;

	list_for_each_entry_safe(io, tmp, &q->rx_done, entry) {
		list_del_init(&io->entry);
		rmem_node_complete(q->node, io, io->err);
		cond_resched();
	}
}

static void rmem_tcp_rx_work(struct work_struct *work)
{
	struct rmem_tcp_queue *q = container_of(work, struct rmem_tcp_queue, rx_work);
	struct sock *sk = q->sock->sk;
	unsigned int noreclaim = memalloc_noreclaim_save();
	read_descriptor_t desc = { .arg.data = q, .count = 1 };
	int ret;

	lock_sock(sk);
	ret = q->sock->ops->read_sock(sk, &desc, rmem_tcp_rx_skb);
	if (q->rx_err)
		ret = q->rx_err;
	else if (ret >= 0 && sk->sk_err)
		ret = -sk->sk_err;
	else if (ret >= 0 && ((sk->sk_shutdown & RCV_SHUTDOWN) ||
			      (1 << sk->sk_state) & ~(TCPF_ESTABLISHED | TCPF_SYN_SENT)))
		ret = -ECONNRESET;
	release_sock(sk);
	/* Replies that came before a failure still count. */
	rmem_tcp_rx_complete(q);
	memalloc_noreclaim_restore(noreclaim);
	if (ret >= 0)
		return;
	WRITE_ONCE(q->rx_err, ret);
	if (READ_ONCE(q->live) && !READ_ONCE(q->closing))
		rnode_warn(q->node, "queue %u: receive failed: %d\n", q->qid, ret);
	rmem_node_error(q->node);
}

static void rmem_tcp_data_ready(struct sock *sk)
{
	struct rmem_tcp_queue *q;

	read_lock_bh(&sk->sk_callback_lock);
	q = sk->sk_user_data;
	if (q && !READ_ONCE(q->rx_err))
		queue_work(rmem_io_wq, &q->rx_work);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void rmem_tcp_state_change(struct sock *sk)
{
	struct rmem_tcp_queue *q;
	void (*prev)(struct sock *sk) = NULL;

	read_lock_bh(&sk->sk_callback_lock);
	q = sk->sk_user_data;
	if (q) {
		prev = q->saved_state_change;
		if (!READ_ONCE(q->rx_err))
			queue_work(rmem_io_wq, &q->rx_work);
	}
	read_unlock_bh(&sk->sk_callback_lock);
	if (prev)
		prev(sk);
}

/* Route the socket's wakeups to rx_work; undone by rmem_tcp_rx_stop(). */
static void rmem_tcp_rx_start_sock(struct rmem_tcp_queue *q)
{
	struct sock *sk = q->sock->sk;

	q->rx_io = NULL;
	q->rx_got = 0;
	q->rx_err = 0;
	q->tx_failed = false;
	WRITE_ONCE(q->closing, false);
	write_lock_bh(&sk->sk_callback_lock);
	q->saved_data_ready = sk->sk_data_ready;
	q->saved_state_change = sk->sk_state_change;
	sk->sk_user_data = q;
	sk->sk_data_ready = rmem_tcp_data_ready;
	sk->sk_state_change = rmem_tcp_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
	/* Anything that arrived before the callbacks were in place. */
	queue_work(rmem_io_wq, &q->rx_work);
}

static void rmem_tcp_rx_stop(struct rmem_tcp_queue *q)
{
	struct sock *sk = q->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_user_data == q) {
		sk->sk_user_data = NULL;
		sk->sk_data_ready = q->saved_data_ready;
		sk->sk_state_change = q->saved_state_change;
	}
	write_unlock_bh(&sk->sk_callback_lock);
	cancel_work_sync(&q->rx_work);
}

/*
 * Whether @io's data can go zero-copy: every page it covers is refcounted
 * and not from a slab (sendpage_ok()), and its owner does not count their
 * references (@io->nozc: mmap chunks, where an extra one is a pin). Swap
 * and page cache pages and bounce pages go zero-copy; a filesystem's
 * kmalloc'ed buffer and mmap chunks are copied.
 */
static bool rmem_tcp_zerocopy_ok(const struct rmem_req *io)
{
	unsigned int i, p;

	if (io->nozc || !READ_ONCE(rmem_tcp_zerocopy))
		return false;
	for (i = 0; i < io->nr_bvec; i++) {
		const struct bio_vec *bv = &io->bvec[i];
		unsigned int pages = DIV_ROUND_UP(offset_in_page(bv->bv_offset) + bv->bv_len,
						  PAGE_SIZE);

		for (p = 0; p < pages; p++)
			if (!sendpage_ok(bv->bv_page + (bv->bv_offset >> PAGE_SHIFT) + p))
				return false;
	}
	return true;
}

static int rmem_tcp_submit(struct rmem_node *node, unsigned int qid, struct rmem_req *io)
{
	struct rmem_tcp_node *tn = node->priv;
	struct rmem_tcp_queue *q = &tn->q[qid];
	struct {
		struct rmem_msg_hdr h;
		union {
			struct rmem_io io;
			struct rmem_slab_ref ref;
		} p;
	} __packed msg;
	struct kvec kv[2] = { { .iov_base = &msg } };
	unsigned int nkv = 1;
	bool write = io->type == RMEM_MSG_WRITE;
	bool zc = false;
	struct iov_iter data;
	struct iov_iter iter;
	unsigned int noreclaim;
	bool replied;
	u32 plen = 0;
	int ret, err;

	/*
	 * What the sends need is taken from @io now; its reply, if it comes
	 * before they return, is completed by us (q->tx_io).
	 */
	if (write) {
		iov_iter_bvec(&data, ITER_SOURCE, io->bvec, io->nr_bvec, io->len);
		zc = rmem_tcp_zerocopy_ok(io);
	}
	mutex_lock(&q->send_lock);
	if (!q->live) {
		mutex_unlock(&q->send_lock);
		return -ENOTCONN;
	}
	if (rmem_node_io_stale(node, io)) {
		/* It waited for the lock across the loss of its session. */
		mutex_unlock(&q->send_lock);
		rmem_node_complete(node, io, -ESTALE);
		return 0;
	}
	io->id = atomic64_inc_return(&node->seq);
	switch (io->type) {
	case RMEM_MSG_READ:
	case RMEM_MSG_WRITE:
		plen = sizeof(msg.p.io);
		msg.p.io.slab = cpu_to_le32(io->slab);
		msg.p.io.len = cpu_to_le32(io->len);
		msg.p.io.offset = cpu_to_le64(io->offset);
		break;
	case RMEM_MSG_SLAB_FREE:
	case RMEM_MSG_SLAB_LIST:
		plen = sizeof(msg.p.ref);
		msg.p.ref.slab = cpu_to_le32(io->slab);
		msg.p.ref.reserved = 0;
		break;
	default:
		/* A published-region request: its own payload, sent as is. */
		if (rmem_msg_is_pub(io->type) && io->reply.ctl.plen) {
			kv[1].iov_base = (void *)io->reply.ctl.payload;
			kv[1].iov_len = io->reply.ctl.plen;
			nkv = 2;
		}
		break;
	}
	rmem_tcp_hdr(&msg.h, io->type,
		     plen + kv[1].iov_len + (io->type == RMEM_MSG_WRITE ? io->len : 0), io->id);
	kv[0].iov_len = sizeof(msg.h) + plen;

	spin_lock(&q->lock);
	list_add_tail(&io->entry, &q->inflight);
	q->tx_io = io;
	q->tx_io_replied = false;
	spin_unlock(&q->lock);

	noreclaim = memalloc_noreclaim_save();
	iov_iter_kvec(&iter, ITER_SOURCE, kv, nkv, kv[0].iov_len + kv[1].iov_len);
	ret = rmem_tcp_send(q, &iter, write ? MSG_MORE : 0, false);
	if (!ret && write) {
		if (zc)
			q->tx_zerocopy++;
		else
			q->tx_copied++;
		ret = rmem_tcp_send(q, &data, 0, zc);
	}
	memalloc_noreclaim_restore(noreclaim);
	spin_lock(&q->lock);
	q->tx_io = NULL;
	replied = q->tx_io_replied;
	err = q->tx_io_err;
	if (replied)
		q->early_replies++;
	spin_unlock(&q->lock);
	/* Under send_lock: teardown, and so a new connection, comes after. */
	if (ret)
		WRITE_ONCE(q->tx_failed, true);
	mutex_unlock(&q->send_lock);

	/* Its reply came while it was being sent: off the list, ours now. */
	if (replied)
		rmem_node_complete(node, io, err);
	if (ret) {
		/* Unless replied, @io is on the in-flight list: teardown hands it back. */
		rnode_warn(node, "queue %u: send failed: %d\n", qid, ret);
		rmem_node_error(node);
	}
	return 0;
}

/*
 * @io timed out. If it is still in flight on its queue, its reply was lost
 * (or is stuck behind one): stop consuming replies on that queue, so that
 * nothing more completes on a stream being reset, and let the node recover.
 * Runs in the blk-mq timeout handler: spinlocks only.
 */
static bool rmem_tcp_abort(struct rmem_node *node, struct rmem_req *io)
{
	struct rmem_tcp_node *tn = node->priv;
	struct rmem_tcp_queue *q;
	struct rmem_req *p;
	bool found = false;

	if (!tn)
		return false;
	q = &tn->q[io->qid % tn->nr];
	/*
	 * Found on the in-flight list under its lock, @io is on the
	 * connection it was sent on: teardown takes the list under the same
	 * lock before a new connection exists. So rx_err is set on that
	 * connection, never on one a reconnect made meanwhile.
	 */
	spin_lock(&q->lock);
	list_for_each_entry(p, &q->inflight, entry) {
		if (p == io) {
			found = READ_ONCE(q->live);
			break;
		}
	}
	/* data_ready stops queueing rx_work; a running rx_work fails the queue. */
	if (found)
		WRITE_ONCE(q->rx_err, -ETIMEDOUT);
	spin_unlock(&q->lock);
	if (!found)
		return false;
	rnode_warn(node, "queue %u: request id %llu timed out: aborting the queue\n",
		   q->qid, io->id);
	return true;
}

static void rmem_tcp_queue_close(struct rmem_tcp_queue *q)
{
	struct rmem_req *io, *tmp;
	LIST_HEAD(list);

	/* Shut down first: it unblocks a sender holding send_lock. */
	WRITE_ONCE(q->closing, true);
	if (q->sock)
		kernel_sock_shutdown(q->sock, SHUT_RDWR);
	mutex_lock(&q->send_lock);
	WRITE_ONCE(q->live, false);
	mutex_unlock(&q->send_lock);
	if (!q->sock)
		return;
	rmem_tcp_rx_stop(q);
	sock_release(q->sock);
	q->sock = NULL;

	spin_lock(&q->lock);
	list_splice_init(&q->inflight, &list);
	spin_unlock(&q->lock);
	list_for_each_entry_safe(io, tmp, &list, entry) {
		list_del_init(&io->entry);
		rmem_node_requeue(q->node, io);
	}
}

#ifdef CONFIG_DEBUG_LOCK_ALLOC
/*
 * Our sockets get lock classes of their own, as nvme-tcp's do: their locks
 * are taken on the swap-out path (queue_rq from reclaim), user sockets'
 * are taken around page faults; one shared class would make lockdep see
 * a cycle between the two that cannot happen.
 */
static struct lock_class_key rmem_tcp_sk_key[2];
static struct lock_class_key rmem_tcp_slock_key[2];

static void rmem_tcp_reclassify_socket(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (WARN_ON_ONCE(!sock_allow_reclassification(sk)))
		return;
	switch (sk->sk_family) {
	case AF_INET:
		sock_lock_init_class_and_name(sk, "slock-AF_INET-RMEM", &rmem_tcp_slock_key[0],
					      "sk_lock-AF_INET-RMEM", &rmem_tcp_sk_key[0]);
		break;
	case AF_INET6:
		sock_lock_init_class_and_name(sk, "slock-AF_INET6-RMEM", &rmem_tcp_slock_key[1],
					      "sk_lock-AF_INET6-RMEM", &rmem_tcp_sk_key[1]);
		break;
	default:
		WARN_ON_ONCE(1);
	}
}

static const char *rmem_tcp_lock_class(struct sock *sk)
{
	return sk->sk_lock.dep_map.name;
}
#else
static void rmem_tcp_reclassify_socket(struct socket *sock)
{
}

static const char *rmem_tcp_lock_class(struct sock *sk)
{
	return "-";
}
#endif

static int rmem_tcp_queue_open(struct rmem_tcp_queue *q)
{
	struct rmem_node *node = q->node;
	long timeo = msecs_to_jiffies(rmem_connect_timeout_ms);
	struct socket *sock;
	int ret;

	/*
	 * A reconnect must not recurse into reclaim (rmem_node_reconnect_work()
	 * runs under PF_MEMALLOC): which scope the socket was made in, for
	 * tcp_sock_test.sh.
	 */
	q->opened = current->flags & PF_MEMALLOC ? "noreclaim" :
		    !(current_gfp_context(GFP_KERNEL) & __GFP_IO) ? "noio" : "reclaim";
	ret = sock_create_kern(&init_net, node->addr.ss_family, SOCK_STREAM, IPPROTO_TCP, &sock);
	if (ret)
		return ret;
	rmem_tcp_reclassify_socket(sock);
	/* Swap-out must not wait for reclaim: reserves and NOIO. */
	sk_set_memalloc(sock->sk);
	sock->sk->sk_allocation = GFP_NOIO | __GFP_MEMALLOC;
	/*
	 * Never the submitting task's page fragment: a task that enters
	 * reclaim inside its own tcp_sendmsg() copy can flush its plug into
	 * our queue_rq, and a nested send would then share (and corrupt) the
	 * fragment of the send it interrupted.
	 */
	sock->sk->sk_use_task_frag = false;
	/* Teardown closes at once: no waiting for unsent data to drain. */
	sock_no_linger(sock->sk);
	sock->sk->sk_sndtimeo = timeo;
	sock->sk->sk_rcvtimeo = timeo;
	tcp_sock_set_nodelay(sock->sk);

	ret = kernel_connect(sock, (struct sockaddr *)&node->addr,
			     node->addr.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
			     sizeof(struct sockaddr_in6), 0);
	if (ret == -EINPROGRESS || ret == -EAGAIN)
		ret = -ETIMEDOUT;
	if (ret)
		goto out_release;
	q->sock = sock;
	ret = rmem_tcp_hello(q);
	if (ret) {
		q->sock = NULL;
		goto out_release;
	}
	/* From now on, liveness is the heartbeat's business. */
	sock->sk->sk_rcvtimeo = MAX_SCHEDULE_TIMEOUT;
	sock->sk->sk_sndtimeo = (long)rmem_io_timeout_s * HZ;
	return 0;

out_release:
	sock_release(sock);
	return ret;
}

static int rmem_tcp_connect(struct rmem_node *node)
{
	struct rmem_tcp_node *tn = node->priv;
	unsigned int i;
	int ret;

	if (!tn) {
		tn = kzalloc(struct_size(tn, q, node->nr_queues), GFP_KERNEL);
		if (!tn)
			return -ENOMEM;
		tn->nr = node->nr_queues;
		for (i = 0; i < tn->nr; i++) {
			struct rmem_tcp_queue *q = &tn->q[i];

			q->node = node;
			q->qid = i;
			mutex_init(&q->send_lock);
			spin_lock_init(&q->lock);
			INIT_LIST_HEAD(&q->inflight);
			INIT_LIST_HEAD(&q->rx_done);
			INIT_WORK(&q->rx_work, rmem_tcp_rx_work);
			INIT_WORK(&q->tx_work, rmem_tcp_tx_work);
			init_completion(&q->tx_done);
		}
		node->priv = tn;
	}

	for (i = 0; i < tn->nr; i++) {
		ret = rmem_tcp_queue_open(&tn->q[i]);
		if (ret)
			goto out_close;
	}
	for (i = 0; i < tn->nr; i++) {
		mutex_lock(&tn->q[i].send_lock);
		tn->q[i].live = true;
		mutex_unlock(&tn->q[i].send_lock);
		rmem_tcp_rx_start_sock(&tn->q[i]);
	}
	return 0;

out_close:
	while (i--) {
		sock_release(tn->q[i].sock);
		tn->q[i].sock = NULL;
	}
	return ret;
}

static void rmem_tcp_disconnect(struct rmem_node *node)
{
	struct rmem_tcp_node *tn = node->priv;
	unsigned int i;

	if (!tn)
		return;
	for (i = 0; i < tn->nr; i++) {
		WRITE_ONCE(tn->q[i].closing, true);
		if (tn->q[i].sock)
			kernel_sock_shutdown(tn->q[i].sock, SHUT_RDWR);
	}
	for (i = 0; i < tn->nr; i++)
		rmem_tcp_queue_close(&tn->q[i]);
}

/* debugfs: how each live queue's socket is set up (selftests check it). */
static void rmem_tcp_debug_show(struct rmem_node *node, struct seq_file *m)
{
	struct rmem_tcp_node *tn = node->priv;
	unsigned int i;

	for (i = 0; tn && i < tn->nr; i++) {
		struct rmem_tcp_queue *q = &tn->q[i];
		struct sock *sk;

		/* A live queue's socket is released only after live is cleared. */
		mutex_lock(&q->send_lock);
		if (q->live) {
			sk = q->sock->sk;
			seq_printf(m, "node %u tcp queue %u: memalloc %d task_frag %d linger %d/%lu noio %d lock %s resumed %lu zerocopy %lu copied %lu early %lu opened %s\n",
				   node->id, i, sock_flag(sk, SOCK_MEMALLOC), sk->sk_use_task_frag,
				   sock_flag(sk, SOCK_LINGER), sk->sk_lingertime,
				   !(sk->sk_allocation & __GFP_IO), rmem_tcp_lock_class(sk),
				   q->tx_resumed, q->tx_zerocopy, q->tx_copied, q->early_replies,
				   q->opened);
		}
		mutex_unlock(&q->send_lock);
	}
}

static void rmem_tcp_release(struct rmem_node *node)
{
	kfree(node->priv);
	node->priv = NULL;
}

static bool rmem_tcp_failed(struct rmem_node *node)
{
	struct rmem_tcp_node *tn = node->priv;
	unsigned int i;

	for (i = 0; tn && i < tn->nr; i++) {
		struct rmem_tcp_queue *q = &tn->q[i];

		if (!READ_ONCE(q->live) || READ_ONCE(q->rx_err) || READ_ONCE(q->tx_failed))
			return true;
	}
	return false;
}

const struct rmem_transport_ops rmem_tcp_ops = {
	.name = "tcp",
	.type = RMEM_TRANSPORT_TCP,
	.connect = rmem_tcp_connect,
	.disconnect = rmem_tcp_disconnect,
	.submit = rmem_tcp_submit,
	.abort = rmem_tcp_abort,
	.failed = rmem_tcp_failed,
	.release = rmem_tcp_release,
	.debug_show = rmem_tcp_debug_show,
};
