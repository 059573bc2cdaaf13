// SPDX-License-Identifier: GPL-2.0
/*
 * rmemd RDMA transport: an rdma_cm listener (RDMA_PS_TCP, RC QPs) beside the
 * TCP one, the control protocol over SEND/RECV, and the slab MRs that
 * clients reach with one-sided RDMA READ/WRITE (include/rmem-proto.h).
 *
 * What it owns:
 *  - the rdma_cm event channel (one fd in the epoll loop) and the listener;
 *  - per connection (struct rconn): its cm_id, RC QP, one CQ with its own
 *    completion channel (one more fd in the epoll loop), @depth receive
 *    buffers and 2 * @depth send buffers of RMEM_RDMA_MSG_SIZE, registered
 *    IBV_ACCESS_LOCAL_WRITE only;
 *  - per session (struct rsess, keyed by the session id of the connect
 *    request): one PD per device, and one MR per slab allocated over RDMA,
 *    in that PD, with LOCAL_WRITE | REMOTE_READ | REMOTE_WRITE. A QP sits in
 *    its session's PD, so a slab's rkey works through that session's QPs
 *    and through no other client's. A PD lives while it has a QP or an MR:
 *    a reconnecting session finds its PD and MRs (its rkeys stay valid).
 *
 * The protocol engine (proto.c) knows none of this: an RDMA connection is a
 * rmem_pconn with .rdma set, each RECV goes through rmem_proto_datagram(),
 * and slab changes come back here through struct rmem_slab_hooks: reg on
 * SLAB_ALLOC, dereg on SLAB_FREE (before zeroing), release when a session
 * is destroyed (before its slabs are zeroed).
 *
 * Single-threaded like the rest of rmemd: no locking. A connection that
 * fails is torn down at once (disconnect, QP, CQ, channel, buffers, PD
 * reference, cm_id); an event for it still queued is dropped by the kernel
 * with its cm_id. A connection replaced by a newer one of its session and
 * queue (the engine calls rconn_cut_off() from the new connection's HELLO)
 * has its QP moved to the error state first, so that no late one-sided
 * WRITE of the old QP lands in a slab after the new hello reply.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include "server.h"

#define MSG		RMEM_RDMA_MSG_SIZE
#define HDR_LEN		sizeof(struct rmem_msg_hdr)
#define CM_BATCH	64

/* wr_id: buffer index << 1 | 1 for sends */
#define WR_SEND		1u

#define rconn_log(prio, c, fmt, ...) \
	rmemd_log(prio, "%s: " fmt, (c)->name, ##__VA_ARGS__)

static struct rmemd_ratelimit rdma_rl = RMEMD_RATELIMIT_INIT(1000, 10);

/**
 * struct rpd - a session's protection domain on one device
 * @verbs: the device
 * @pd: the PD
 * @nqps: QPs in it
 * @nmrs: slab MRs in it
 * @next: list link (struct rsess.pds)
 */
struct rpd {
	struct ibv_context *verbs;
	struct ibv_pd *pd;
	uint32_t nqps;
	uint32_t nmrs;
	struct rpd *next;
};

/**
 * struct rmr - one slab's MR
 * @slab: slab number
 * @mr: the MR
 * @pd: the PD it is in
 * @next: list link (struct rsess.mrs)
 */
struct rmr {
	uint32_t slab;
	struct ibv_mr *mr;
	struct rpd *pd;
	struct rmr *next;
};

/**
 * struct rsess - RDMA state of one session id: PDs and slab MRs. Separate
 * from struct rmem_session, which HELLO creates: a connect request names
 * its session before HELLO, and HELLO's RESUMED flag must keep meaning
 * "the session existed with its slabs".
 * @id: session id
 * @key_idx: key index of the connect request that created it (-1: auth
 *	none); a connect request under another key may not put a QP in its PD
 * @tag: how logs name it (never the id)
 * @pds: PDs, one per device
 * @mrs: slab MRs
 * @prev: list link
 * @next: list link
 */
/* Connect-request nonces a session remembers (a ring): replays are refused. */
#define RSESS_NONCES	1024

struct rsess {
	uint64_t id;
	int key_idx;
	char tag[RMEM_AUTH_TAG_LEN];
	uint8_t (*nonces)[RMEM_RDMA_CM_NONCE_LEN];
	uint32_t nnonces;
	uint32_t nonce_next;
	struct rpd *pds;
	struct rmr *mrs;
	struct rsess *prev;
	struct rsess *next;
};

/**
 * struct rconn - one RDMA connection
 * @kind: RMEMD_EV_RDMA_CQ (first: epoll data points here)
 * @r: transport
 * @id: cm_id
 * @name: "rdma:ADDR:PORT", for log lines
 * @pc: protocol state
 * @rs: session state (PD) named by the connect request
 * @pd: the PD of @rs on this device
 * @ch: completion channel
 * @cq: the CQ for sends and receives
 * @depth: receives kept posted
 * @nsend: send buffers
 * @rbuf: @depth receive buffers
 * @sbuf: @nsend send buffers
 * @rmr: MR of @rbuf
 * @smr: MR of @sbuf
 * @sfree: free send buffer indexes (a stack)
 * @nsfree: entries in @sfree
 * @out: replies not yet posted (waiting for a free send buffer)
 * @established: ESTABLISHED seen
 * @closing: close once the queued replies are sent
 * @dead: tear down after the current completion batch
 * @in_epoll: the completion channel is in the epoll set
 * @gone: torn down, waiting to be freed after the epoll batch
 * @hello_by_ms: closed at this time unless its HELLO has succeeded
 * @prev: list link
 * @next: list link
 */
struct rconn {
	enum rmemd_ev_kind kind;
	struct rmemd_rdma *r;
	struct rdma_cm_id *id;
	char name[80];
	struct rmem_pconn pc;
	struct rsess *rs;
	struct rpd *pd;
	struct ibv_comp_channel *ch;
	struct ibv_cq *cq;
	uint32_t depth;
	uint32_t nsend;
	uint8_t *rbuf;
	uint8_t *sbuf;
	struct ibv_mr *rmr;
	struct ibv_mr *smr;
	uint32_t *sfree;
	uint32_t nsfree;
	struct rmem_buf out;
	bool established;
	bool closing;
	bool dead;
	bool in_epoll;
	bool gone;
	uint64_t hello_by_ms;
	struct rconn *prev;
	struct rconn *next;
};

/**
 * struct rmemd_rdma - the RDMA transport of a server
 * @kind: RMEMD_EV_RDMA_CM (first: epoll data points here)
 * @s: server
 * @ech: rdma_cm event channel
 * @listen_id: listener, NULL once stopped
 * @listen_name: "ADDR:PORT"
 * @conns: connections
 * @nconns: connections open
 * @conns_total: accepted since start
 * @conns_refused: rejected since start
 * @zombies: connections torn down in this epoll batch, freed after it
 * @sessions: per-session RDMA state
 * @nmrs: slab MRs registered
 * @npds: PDs allocated
 * @hooks: slab hooks given to the protocol engine
 */
struct rmemd_rdma {
	enum rmemd_ev_kind kind;
	struct rmemd_server *s;
	struct rdma_event_channel *ech;
	struct rdma_cm_id *listen_id;
	char listen_name[RMEMD_HOST_MAX + 16];
	struct rconn *conns;
	uint32_t nconns;
	uint64_t conns_total;
	uint64_t conns_refused;
	struct rconn *zombies;
	struct rsess *sessions;
	uint32_t nmrs;
	uint32_t npds;
	struct rmem_slab_hooks hooks;
};

static void addr_name(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(sin->sin_port));
	} else {
		snprintf(buf, len, "?");
	}
}

/* ---- per-session PDs and MRs ---- */

static struct rsess *rsess_find(struct rmemd_rdma *r, uint64_t id)
{
	for (struct rsess *rs = r->sessions; rs; rs = rs->next)
		if (rs->id == id)
			return rs;
	return NULL;
}

/* The caller has checked that an existing @id has the same @key_idx. */
static struct rsess *rsess_get(struct rmemd_rdma *r, uint64_t id, int key_idx)
{
	struct rsess *rs = rsess_find(r, id);

	if (rs)
		return rs;
	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return NULL;
	rs->id = id;
	rs->key_idx = key_idx;
	rmem_auth_session_tag(id, rs->tag);
	rs->next = r->sessions;
	if (r->sessions)
		r->sessions->prev = rs;
	r->sessions = rs;
	return rs;
}

/* Whether @rs has accepted a connect request with @nonce (authenticated). */
static bool rsess_nonce_seen(const struct rsess *rs, const uint8_t *nonce)
{
	for (uint32_t i = 0; i < rs->nnonces; i++)
		if (!memcmp(rs->nonces[i], nonce, RMEM_RDMA_CM_NONCE_LEN))
			return true;
	return false;
}

/* Remember @nonce; the oldest goes once RSESS_NONCES are kept. */
static int rsess_nonce_add(struct rsess *rs, const uint8_t *nonce)
{
	if (!rs->nonces) {
		rs->nonces = calloc(RSESS_NONCES, sizeof(*rs->nonces));
		if (!rs->nonces)
			return -ENOMEM;
	}
	memcpy(rs->nonces[rs->nonce_next], nonce, RMEM_RDMA_CM_NONCE_LEN);
	rs->nonce_next = (rs->nonce_next + 1) % RSESS_NONCES;
	if (rs->nnonces < RSESS_NONCES)
		rs->nnonces++;
	return 0;
}

/* Free @rs once it has no PD left. */
static void rsess_put(struct rmemd_rdma *r, struct rsess *rs)
{
	if (rs->pds)
		return;
	if (rs->prev)
		rs->prev->next = rs->next;
	else
		r->sessions = rs->next;
	if (rs->next)
		rs->next->prev = rs->prev;
	free(rs->nonces);
	free(rs);
}

static struct rpd *rpd_get(struct rmemd_rdma *r, struct rsess *rs,
			   struct ibv_context *verbs)
{
	struct rpd *p;

	for (p = rs->pds; p; p = p->next)
		if (p->verbs == verbs)
			return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pd = ibv_alloc_pd(verbs);
	if (!p->pd) {
		log_err("session %s: ibv_alloc_pd on %s: %s", rs->tag,
			ibv_get_device_name(verbs->device), strerror(errno));
		free(p);
		return NULL;
	}
	p->verbs = verbs;
	p->next = rs->pds;
	rs->pds = p;
	r->npds++;
	log_debug("session %s: PD allocated on %s", rs->tag,
		  ibv_get_device_name(verbs->device));
	return p;
}

/*
 * Free the PDs of @rs that have neither QP nor MR left, then @rs itself
 * once it has no PD. Return: true when @rs was freed.
 */
static bool rsess_gc(struct rmemd_rdma *r, struct rsess *rs)
{
	struct rpd **pp = &rs->pds;

	while (*pp) {
		struct rpd *p = *pp;
		int rc;

		if (p->nqps || p->nmrs) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		rc = ibv_dealloc_pd(p->pd);
		if (rc)
			log_err("session %s: ibv_dealloc_pd: %s", rs->tag, strerror(rc));
		else
			log_debug("session %s: PD freed", rs->tag);
		free(p);
		r->npds--;
	}
	if (rs->pds)
		return false;
	rsess_put(r, rs);
	return true;
}

static void rmr_free(struct rmemd_rdma *r, struct rsess *rs, struct rmr *m)
{
	int rc = ibv_dereg_mr(m->mr);

	if (rc)
		log_err("session %s: slab %u: ibv_dereg_mr: %s", rs->tag, m->slab, strerror(rc));
	m->pd->nmrs--;
	r->nmrs--;
	free(m);
}

/* rmem_slab_hooks.reg: the slab becomes its own MR in the session's PD. */
static int hook_reg(void *ctx, void *xprt, uint64_t id, uint32_t slab, uint8_t *base,
		    uint64_t len, bool rdonly, uint32_t *rkey, uint64_t *addr)
{
	struct rmemd_rdma *r = ctx;
	struct rconn *c = xprt;
	struct rmr *m;

	if (!c || c->rs->id != id)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->mr = ibv_reg_mr(c->pd->pd, base, len, rdonly ? IBV_ACCESS_REMOTE_READ :
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE);
	if (!m->mr) {
		int e = errno;

		rconn_log(LOG_ERR, c, "slab %u: ibv_reg_mr of %llu bytes: %s%s", slab,
			  (unsigned long long)len, strerror(e),
			  e == ENOMEM ? " (RLIMIT_MEMLOCK too low?)" : "");
		free(m);
		return -e;
	}
	m->slab = slab;
	m->pd = c->pd;
	m->next = c->rs->mrs;
	c->rs->mrs = m;
	c->pd->nmrs++;
	r->nmrs++;
	*rkey = m->mr->rkey;
	*addr = (uint64_t)(uintptr_t)base;
	rconn_log(LOG_DEBUG, c, "slab %u: MR rkey %#x addr %#llx", slab, m->mr->rkey,
		  (unsigned long long)*addr);
	return 0;
}

/* rmem_slab_hooks.dereg: the slab leaves the session, before zeroing. */
static void hook_dereg(void *ctx, uint64_t id, uint32_t slab)
{
	struct rmemd_rdma *r = ctx;
	struct rsess *rs = rsess_find(r, id);
	struct rmr **mp, *m;

	if (!rs)
		return;
	for (mp = &rs->mrs; *mp; mp = &(*mp)->next) {
		if ((*mp)->slab != slab)
			continue;
		m = *mp;
		*mp = m->next;
		rmr_free(r, rs, m);
		rsess_gc(r, rs);
		return;
	}
}

/* rmem_slab_hooks.release: the session is gone, before its slabs are zeroed. */
static void hook_release(void *ctx, uint64_t id)
{
	struct rmemd_rdma *r = ctx;
	struct rsess *rs = rsess_find(r, id);
	uint32_t n = 0;

	if (!rs)
		return;
	while (rs->mrs) {
		struct rmr *m = rs->mrs;

		rs->mrs = m->next;
		rmr_free(r, rs, m);
		n++;
	}
	if (n)
		log_debug("session %s: %u slab MRs deregistered", rs->tag, n);
	rsess_gc(r, rs);
}

/* ---- connections ---- */

static void rconn_destroy(struct rmemd_rdma *r, struct rconn *c)
{
	struct rmemd_server *s = r->s;

	s->node.now_ms = rmemd_now_ms();
	rmem_pconn_close(&s->node, &c->pc);
	if (c->in_epoll)
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->ch->fd, NULL);
	if (c->established)
		rdma_disconnect(c->id);
	if (c->id->qp)
		rdma_destroy_qp(c->id);
	if (c->cq)
		ibv_destroy_cq(c->cq);
	if (c->ch)
		ibv_destroy_comp_channel(c->ch);
	if (c->rmr)
		ibv_dereg_mr(c->rmr);
	if (c->smr)
		ibv_dereg_mr(c->smr);
	free(c->rbuf);
	free(c->sbuf);
	free(c->sfree);
	rmem_buf_free(&c->out);
	if (c->pd)
		c->pd->nqps--;
	if (c->rs)
		rsess_gc(r, c->rs);
	rdma_destroy_id(c->id);
	if (c->prev)
		c->prev->next = c->next;
	else
		r->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	r->nconns--;
	rconn_log(LOG_DEBUG, c, "closed (%u RDMA clients)", r->nconns);
	/*
	 * An event of this epoll batch may still point at @c: free it after
	 * the batch (rmemd_rdma_reap()).
	 */
	c->gone = true;
	c->next = r->zombies;
	r->zombies = c;
}

/*
 * rmem_pconn.cut_off: a newer connection of the same session and queue said
 * HELLO (on another QP, perhaps over TCP). This QP stays RTS until the peer's
 * disconnect reaches us, and while it is RTS the RNIC executes any RDMA WRITE
 * that still arrives on it, straight into the session's slab MRs: a late
 * packet of a request the client has since sent again, and then overwritten
 * through the new QP. Move it to the error state first, so the RNIC stops
 * executing incoming requests on it before the new connection's hello reply
 * is posted, then tear it down as for a disconnect; its unpolled receives
 * are never handled.
 */
static void rconn_cut_off(void *xprt)
{
	struct rconn *c = xprt;
	struct ibv_qp_attr qa = { .qp_state = IBV_QPS_ERR };

	if (c->gone)
		return;
	if (c->id->qp) {
		int rc = ibv_modify_qp(c->id->qp, &qa, IBV_QP_STATE);

		if (rc)
			rconn_log(LOG_ERR, c, "cut off: ibv_modify_qp to the error state: %s",
				  strerror(rc));
	}
	rconn_log(LOG_DEBUG, c, "cut off");
	rconn_destroy(c->r, c);
}

/**
 * rmemd_rdma_reap() - free connections closed during the last epoll batch
 * @s: server
 */
void rmemd_rdma_reap(struct rmemd_server *s)
{
	struct rmemd_rdma *r = s->rdma;

	while (r && r->zombies) {
		struct rconn *c = r->zombies;

		r->zombies = c->next;
		free(c);
	}
}

static int post_recv(struct rconn *c, uint32_t i)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)(c->rbuf + (size_t)i * MSG),
		.length = MSG,
		.lkey = c->rmr->lkey,
	};
	struct ibv_recv_wr wr = { .wr_id = (uint64_t)i << 1, .sg_list = &sge, .num_sge = 1 };
	struct ibv_recv_wr *bad;

	return ibv_post_recv(c->id->qp, &wr, &bad);
}

/* Post queued replies, one SEND each, while send buffers are free. */
static int rconn_flush(struct rconn *c)
{
	while (rmem_buf_len(&c->out) >= HDR_LEN && c->nsfree) {
		struct rmem_msg_hdr h;
		struct ibv_send_wr wr, *bad;
		struct ibv_sge sge;
		size_t len;
		uint32_t i;
		int rc;

		memcpy(&h, rmem_buf_start(&c->out), HDR_LEN);
		len = HDR_LEN + le32toh(h.len);
		if (len > MSG || len > rmem_buf_len(&c->out)) {
			/* The engine never makes one: READ is refused here. */
			rconn_log(LOG_ERR, c, "reply of %zu bytes does not fit a SEND", len);
			return -1;
		}
		i = c->sfree[--c->nsfree];
		memcpy(c->sbuf + (size_t)i * MSG, rmem_buf_start(&c->out), len);
		rmem_buf_consume(&c->out, len);
		sge.addr = (uintptr_t)(c->sbuf + (size_t)i * MSG);
		sge.length = (uint32_t)len;
		sge.lkey = c->smr->lkey;
		memset(&wr, 0, sizeof(wr));
		wr.wr_id = ((uint64_t)i << 1) | WR_SEND;
		wr.sg_list = &sge;
		wr.num_sge = 1;
		wr.opcode = IBV_WR_SEND;
		wr.send_flags = IBV_SEND_SIGNALED;
		rc = ibv_post_send(c->id->qp, &wr, &bad);
		if (rc) {
			c->sfree[c->nsfree++] = i;
			rconn_log(LOG_INFO, c, "ibv_post_send: %s", strerror(rc));
			return -1;
		}
	}
	if (!rmem_buf_len(&c->out))
		rmem_buf_trim(&c->out, 4096);
	return 0;
}

static void rconn_recv(struct rmemd_server *s, struct rconn *c, const struct ibv_wc *wc)
{
	uint32_t i = (uint32_t)(wc->wr_id >> 1);
	int rc;

	if (i >= c->depth || c->closing)
		return;
	s->node.now_ms = rmemd_now_ms();
	rc = rmem_proto_datagram(&s->node, &c->pc, c->rbuf + (size_t)i * MSG, wc->byte_len,
				 &c->out);
	if (rc == -ENOMEM) {
		rconn_log(LOG_ERR, c, "closing: %s", c->pc.close_reason);
		c->dead = true;
		return;
	}
	/* Cut off (rconn_cut_off() normally tore it down already). */
	if (rc == -ECONNRESET) {
		c->dead = true;
		return;
	}
	if (rc) {
		if (rmemd_ratelimit_ok(&rdma_rl, s->node.now_ms))
			rconn_log(LOG_WARNING, c, "closing: %s", c->pc.close_reason);
		/* Send the error reply, if any, then close. */
		c->closing = true;
		return;
	}
	rc = post_recv(c, i);
	if (rc) {
		rconn_log(LOG_INFO, c, "ibv_post_recv: %s", strerror(rc));
		c->dead = true;
	}
}

static void rconn_completions(struct rmemd_server *s, struct rconn *c)
{
	struct ibv_wc wc[32];
	int n = 0;

	while (!c->dead && (n = ibv_poll_cq(c->cq, 32, wc)) > 0) {
		for (int k = 0; k < n && !c->dead; k++) {
			if (wc[k].status != IBV_WC_SUCCESS) {
				if (wc[k].status != IBV_WC_WR_FLUSH_ERR &&
				    rmemd_ratelimit_ok(&rdma_rl, rmemd_now_ms()))
					rconn_log(LOG_INFO, c, "%s failed: %s",
						  wc[k].wr_id & WR_SEND ? "SEND" : "RECV",
						  ibv_wc_status_str(wc[k].status));
				c->dead = true;
				break;
			}
			if (wc[k].wr_id & WR_SEND) {
				uint32_t i = (uint32_t)(wc[k].wr_id >> 1);

				if (i < c->nsend && c->nsfree < c->nsend)
					c->sfree[c->nsfree++] = i;
			} else {
				rconn_recv(s, c, &wc[k]);
			}
			if (!c->dead && rconn_flush(c))
				c->dead = true;
		}
	}
	if (n < 0)
		c->dead = true;
	/* Bad framing: close once the error reply has left. */
	if (c->closing && !rmem_buf_len(&c->out) && c->nsfree == c->nsend)
		c->dead = true;
}

/**
 * rmemd_rdma_cq_event() - a connection's completion channel is readable
 * @s: server
 * @kind: the epoll data: the connection's kind field
 */
void rmemd_rdma_cq_event(struct rmemd_server *s, enum rmemd_ev_kind *kind)
{
	struct rconn *c = (struct rconn *)kind;
	struct ibv_cq *cq;
	void *ctx;

	if (c->gone)
		return;
	while (ibv_get_cq_event(c->ch, &cq, &ctx) == 0)
		ibv_ack_cq_events(cq, 1);
	/* Arm first, then drain: a completion in between raises a new event. */
	if (ibv_req_notify_cq(c->cq, 0))
		c->dead = true;
	rconn_completions(s, c);
	if (c->dead)
		rconn_destroy(s->rdma, c);
}

/* @id's peer address as a sockaddr_storage (family 0 if it has none). */
static void peer_storage(struct rdma_cm_id *id, struct sockaddr_storage *ss)
{
	const struct sockaddr *sa = rdma_get_peer_addr(id);

	memset(ss, 0, sizeof(*ss));
	if (sa && sa->sa_family == AF_INET)
		memcpy(ss, sa, sizeof(struct sockaddr_in));
	else if (sa && sa->sa_family == AF_INET6)
		memcpy(ss, sa, sizeof(struct sockaddr_in6));
}

static void reject(struct rmemd_rdma *r, struct rdma_cm_id *id, uint32_t status,
		   const char *peer, const char *why)
{
	struct rmem_rdma_cm_rep rep;

	r->conns_refused++;
	if (rmemd_ratelimit_ok(&rdma_rl, rmemd_now_ms()))
		log_warn("rdma:%s: connect request rejected (%s): %s", peer,
			 rmem_proto_status_name(status), why);
	rmem_rdma_cm_rep_build(&rep, status, 0);
	rdma_reject(id, &rep, sizeof(rep));
	rdma_destroy_id(id);
}

/* Everything of a new connection but the accept; returns 0 or -errno. */
static int rconn_setup(struct rmemd_rdma *r, struct rconn *c)
{
	struct ibv_qp_init_attr qa;
	struct epoll_event ev;
	int flags;

	c->pd = rpd_get(r, c->rs, c->id->verbs);
	if (!c->pd)
		return -ENOMEM;
	c->pd->nqps++;

	c->ch = ibv_create_comp_channel(c->id->verbs);
	if (!c->ch)
		return -errno;
	flags = fcntl(c->ch->fd, F_GETFL);
	if (flags < 0 || fcntl(c->ch->fd, F_SETFL, flags | O_NONBLOCK))
		return -errno;
	c->cq = ibv_create_cq(c->id->verbs, (int)(c->depth + c->nsend), c, c->ch, 0);
	if (!c->cq)
		return -errno;
	if (ibv_req_notify_cq(c->cq, 0))
		return -EIO;

	memset(&qa, 0, sizeof(qa));
	qa.send_cq = c->cq;
	qa.recv_cq = c->cq;
	qa.qp_type = IBV_QPT_RC;
	qa.cap.max_send_wr = c->nsend;
	qa.cap.max_recv_wr = c->depth;
	qa.cap.max_send_sge = 1;
	qa.cap.max_recv_sge = 1;
	if (rdma_create_qp(c->id, c->pd->pd, &qa))
		return -errno;

	c->rbuf = calloc(c->depth, MSG);
	c->sbuf = calloc(c->nsend, MSG);
	c->sfree = calloc(c->nsend, sizeof(*c->sfree));
	if (!c->rbuf || !c->sbuf || !c->sfree)
		return -ENOMEM;
	/* Local buffers: the peer gets no key to them. */
	c->rmr = ibv_reg_mr(c->pd->pd, c->rbuf, (size_t)c->depth * MSG, IBV_ACCESS_LOCAL_WRITE);
	c->smr = ibv_reg_mr(c->pd->pd, c->sbuf, (size_t)c->nsend * MSG, IBV_ACCESS_LOCAL_WRITE);
	if (!c->rmr || !c->smr)
		return -errno;
	for (uint32_t i = 0; i < c->nsend; i++)
		c->sfree[c->nsfree++] = c->nsend - 1 - i;
	for (uint32_t i = 0; i < c->depth; i++) {
		int rc = post_recv(c, i);

		if (rc)
			return -rc;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	if (epoll_ctl(r->s->epfd, EPOLL_CTL_ADD, c->ch->fd, &ev))
		return -errno;
	c->in_epoll = true;
	return 0;
}

static void on_connect_request(struct rmemd_rdma *r, struct rdma_cm_id *id,
			       const struct rdma_conn_param *param)
{
	struct rmemd_server *s = r->s;
	struct rmem_rdma_cm_info info;
	struct rmem_rdma_cm_rep rep;
	struct rdma_conn_param cp;
	struct ibv_device_attr da;
	struct rsess *rs;
	struct rconn *c;
	char peer[64];
	uint32_t st;
	int rc;

	addr_name(rdma_get_peer_addr(id), peer, sizeof(peer));
	/* With auth psk this verifies the key id and mac: before any PD is touched. */
	st = rmem_rdma_cm_req_parse(&s->node, param->private_data, param->private_data_len,
				    &info);
	if (st) {
		reject(r, id, st, peer, st == RMEM_ERR_PERM ?
		       "unknown key id or bad mac in the connect request" :
		       st == RMEM_ERR_VERSION ? "another protocol version (upgrade the peer)" :
		       "bad private data (struct rmem_rdma_cm_req)");
		return;
	}
	/* A session is bound to its key: no QP of another key in its PD. */
	rs = rsess_find(r, info.session);
	/*
	 * A request's mac proves the key but not freshness: its nonce must be
	 * new to the session, or a recorded request would put a QP in the
	 * session's PD without the key.
	 */
	if (rs && info.key_idx >= 0 && rsess_nonce_seen(rs, info.nonce)) {
		s->node.stats.auth_failures++;
		s->node.stats.auth_replayed++;
		reject(r, id, RMEM_ERR_PERM, peer, "a replayed connect request (its nonce was used before)");
		return;
	}
	if ((rs && rs->key_idx != info.key_idx) ||
	    rmem_node_session_other_key(&s->node, info.session, info.key_idx)) {
		s->node.stats.auth_failures++;
		s->node.stats.auth_other_key++;
		reject(r, id, RMEM_ERR_PERM, peer, "the session was created under another key");
		return;
	}
	if (s->nconns + r->nconns >= s->cfg.max_clients) {
		reject(r, id, RMEM_ERR_NOSPC, peer, "max-clients reached");
		return;
	}
	if (s->cfg.max_per_address) {
		struct sockaddr_storage ss;

		peer_storage(id, &ss);
		if (rmemd_conn_count_host(s, &ss) >= s->cfg.max_per_address) {
			s->per_address_refused++;
			reject(r, id, RMEM_ERR_NOSPC, peer, "max-clients-per-address reached by its address");
			return;
		}
	}
	if (ibv_query_device(id->verbs, &da)) {
		reject(r, id, RMEM_ERR_NOSPC, peer, "ibv_query_device failed");
		return;
	}

	c = calloc(1, sizeof(*c));
	if (!c) {
		reject(r, id, RMEM_ERR_NOSPC, peer, "out of memory");
		return;
	}
	c->kind = RMEMD_EV_RDMA_CQ;
	c->r = r;
	c->id = id;
	id->context = c;
	snprintf(c->name, sizeof(c->name), "rdma:%s", peer);
	rmem_pconn_init(&c->pc, c->name);
	c->pc.rdma = true;
	c->hello_by_ms = rmemd_now_ms() + (uint64_t)s->cfg.hello_timeout * 1000;
	c->pc.bound_session = info.session;
	c->pc.bound_key = info.key_idx;
	c->pc.xprt = c;
	c->pc.cut_off = rconn_cut_off;
	c->depth = info.depth;
	if (da.max_qp_wr > 0 && c->depth > (uint32_t)da.max_qp_wr / 2)
		c->depth = (uint32_t)da.max_qp_wr / 2;
	if (!c->depth)
		c->depth = 1;
	c->nsend = 2 * c->depth;
	c->next = r->conns;
	if (r->conns)
		r->conns->prev = c;
	r->conns = c;
	r->nconns++;

	c->rs = rsess_get(r, info.session, info.key_idx);
	rc = c->rs ? rconn_setup(r, c) : -ENOMEM;
	if (!rc && info.key_idx >= 0)
		rc = rsess_nonce_add(c->rs, info.nonce);
	if (rc) {
		r->conns_refused++;
		log_err("%s: cannot set up the connection: %s", c->name, strerror(-rc));
		rmem_rdma_cm_rep_build(&rep, RMEM_ERR_NOSPC, 0);
		rdma_reject(id, &rep, sizeof(rep));
		rconn_destroy(r, c);
		return;
	}

	rmem_rdma_cm_rep_build(&rep, RMEM_OK, (uint16_t)c->depth);
	memset(&cp, 0, sizeof(cp));
	cp.private_data = &rep;
	cp.private_data_len = sizeof(rep);
	/*
	 * The client RDMA READs from us: let it have its reads in flight. The
	 * CM reports the request from our side: the client's initiator depth
	 * arrives as param->responder_resources.
	 */
	cp.responder_resources = param->responder_resources;
	if (cp.responder_resources > da.max_qp_rd_atom)
		cp.responder_resources = (uint8_t)da.max_qp_rd_atom;
	cp.initiator_depth = 0;		/* we never read from the client */
	cp.rnr_retry_count = 7;		/* the client reposts its receives */
	if (rdma_accept(id, &cp)) {
		r->conns_refused++;
		log_err("%s: rdma_accept: %s", c->name, strerror(errno));
		rconn_destroy(r, c);
		return;
	}
	r->conns_total++;
	rconn_log(LOG_DEBUG, c, "connect request accepted: session %s, queue %u, depth %u, responder resources %u (%u RDMA clients)",
		  c->rs->tag, info.queue, c->depth,
		  cp.responder_resources, r->nconns);
}

static void listener_lost(struct rmemd_rdma *r, const char *why)
{
	log_warn("RDMA listener %s: %s; serving TCP and existing RDMA connections only",
		 r->listen_name, why);
	rdma_destroy_id(r->listen_id);
	r->listen_id = NULL;
	snprintf(r->listen_name, sizeof(r->listen_name), "lost");
}

/**
 * rmemd_rdma_cm_event() - the rdma_cm event channel is readable
 * @s: server
 */
void rmemd_rdma_cm_event(struct rmemd_server *s)
{
	struct rmemd_rdma *r = s->rdma;

	for (int i = 0; i < CM_BATCH && r; i++) {
		struct rdma_cm_event *ev;
		struct rdma_conn_param param;
		uint8_t priv[256];
		enum rdma_cm_event_type type;
		struct rdma_cm_id *id, *lid;
		struct rconn *c;
		int status;

		if (rdma_get_cm_event(r->ech, &ev))
			return;
		/* Copy what we need and ack first: destroying an id waits for its acks. */
		type = ev->event;
		id = ev->id;
		lid = ev->listen_id;
		status = ev->status;
		param = ev->param.conn;
		if (type == RDMA_CM_EVENT_CONNECT_REQUEST) {
			size_t n = param.private_data_len;

			if (n > sizeof(priv))
				n = sizeof(priv);
			if (param.private_data)
				memcpy(priv, param.private_data, n);
			param.private_data = param.private_data ? priv : NULL;
			param.private_data_len = (uint8_t)n;
		}
		rdma_ack_cm_event(ev);

		if (type == RDMA_CM_EVENT_CONNECT_REQUEST) {
			(void)lid;
			on_connect_request(r, id, &param);
			continue;
		}
		if (id == r->listen_id) {
			if (type == RDMA_CM_EVENT_DEVICE_REMOVAL)
				listener_lost(r, "its device was removed");
			continue;
		}
		c = id->context;
		if (!c)
			continue;
		switch (type) {
		case RDMA_CM_EVENT_ESTABLISHED:
			c->established = true;
			rconn_log(LOG_DEBUG, c, "established");
			break;
		case RDMA_CM_EVENT_DISCONNECTED:
			rconn_log(LOG_DEBUG, c, "disconnected by the peer");
			c->established = false;
			rconn_destroy(r, c);
			break;
		case RDMA_CM_EVENT_DEVICE_REMOVAL:
		case RDMA_CM_EVENT_CONNECT_ERROR:
		case RDMA_CM_EVENT_UNREACHABLE:
		case RDMA_CM_EVENT_REJECTED:
			rconn_log(LOG_INFO, c, "%s (status %d)", rdma_event_str(type), status);
			rconn_destroy(r, c);
			break;
		default:
			break;
		}
	}
}

/* ---- setup and teardown ---- */

static int rdma_bind_listen(struct rmemd_rdma *r, uint16_t port, char *why, size_t wl)
{
	struct rmemd_server *s = r->s;
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	};
	struct addrinfo *res;
	char ports[8];
	int rc;

	snprintf(ports, sizeof(ports), "%u", port);
	rc = getaddrinfo(s->cfg.listen_host, ports, &hints, &res);
	if (rc) {
		snprintf(why, wl, "%s: %s", s->cfg.listen_host, gai_strerror(rc));
		return -1;
	}
	if (rdma_create_id(r->ech, &r->listen_id, NULL, RDMA_PS_TCP)) {
		snprintf(why, wl, "rdma_create_id: %s", strerror(errno));
		freeaddrinfo(res);
		return -1;
	}
	if (rdma_bind_addr(r->listen_id, res->ai_addr)) {
		snprintf(why, wl, "cannot bind %s:%u: %s", s->cfg.listen_host, port,
			 strerror(errno));
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	if (rdma_listen(r->listen_id, 512)) {
		snprintf(why, wl, "rdma_listen on %s:%u: %s", s->cfg.listen_host, port,
			 strerror(errno));
		return -1;
	}
	addr_name(rdma_get_local_addr(r->listen_id), r->listen_name, sizeof(r->listen_name));
	return 0;
}

static uint16_t tcp_port(const struct rmemd_server *s)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(s->listen_fd, (struct sockaddr *)&ss, &sl))
		return s->cfg.listen_port;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/**
 * rmemd_rdma_init() - start the rdma_cm listener, if RDMA is there
 * @s: server, with its TCP socket bound (not yet listening) and epoll set up
 *
 * No RDMA device, no rdma_cm, or a listener that cannot bind is not an
 * error: rmemd logs one line and serves TCP only.
 *
 * Return: 0, or -1 when the server cannot go on (out of memory, epoll).
 */
int rmemd_rdma_init(struct rmemd_server *s)
{
	struct rmemd_rdma *r;
	struct ibv_device **devs;
	struct epoll_event ev;
	char why[512], names[128] = "";
	uint16_t port;
	int ndev = 0, flags;

	if (s->cfg.no_rdma) {
		log_info("RDMA off (no-rdma): serving TCP only");
		return 0;
	}
	devs = ibv_get_device_list(&ndev);
	for (int i = 0; devs && i < ndev; i++) {
		size_t l = strlen(names);

		snprintf(names + l, sizeof(names) - l, "%s%s", l ? " " : "",
			 ibv_get_device_name(devs[i]));
	}
	if (devs)
		ibv_free_device_list(devs);
	if (ndev <= 0) {
		log_notice("RDMA: no RDMA device found; serving TCP only");
		return 0;
	}

	r = calloc(1, sizeof(*r));
	if (!r) {
		log_err("RDMA: out of memory");
		return -1;
	}
	r->kind = RMEMD_EV_RDMA_CM;
	r->s = s;
	r->hooks.reg = hook_reg;
	r->hooks.dereg = hook_dereg;
	r->hooks.release = hook_release;
	r->hooks.ctx = r;
	port = s->cfg.rdma_port ? s->cfg.rdma_port : tcp_port(s);

	r->ech = rdma_create_event_channel();
	if (!r->ech) {
		snprintf(why, sizeof(why), "rdma_create_event_channel: %s%s", strerror(errno),
			 errno == ENOENT || errno == ENODEV ? " (rdma_ucm not loaded?)" : "");
		goto out_tcp_only;
	}
	flags = fcntl(r->ech->fd, F_GETFL);
	if (flags < 0 || fcntl(r->ech->fd, F_SETFL, flags | O_NONBLOCK)) {
		snprintf(why, sizeof(why), "fcntl: %s", strerror(errno));
		goto out_tcp_only;
	}
	if (rdma_bind_listen(r, port, why, sizeof(why)))
		goto out_tcp_only;
	ev.events = EPOLLIN;
	ev.data.ptr = &r->kind;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, r->ech->fd, &ev)) {
		log_err("RDMA: epoll_ctl: %s", strerror(errno));
		rdma_destroy_id(r->listen_id);
		rdma_destroy_event_channel(r->ech);
		free(r);
		return -1;
	}
	s->rdma = r;
	s->node.sessions.hooks = &r->hooks;
	log_info("listening on %s (RDMA, devices: %s)", r->listen_name, names);
	return 0;

out_tcp_only:
	log_warn("RDMA: %s; serving TCP only", why);
	if (r->listen_id)
		rdma_destroy_id(r->listen_id);
	if (r->ech)
		rdma_destroy_event_channel(r->ech);
	free(r);
	return 0;
}

/**
 * rmemd_rdma_stop() - close the listener and every RDMA connection
 * @s: server
 *
 * The sessions' PDs and MRs stay until the sessions go (rmem_node_fini()
 * releases them through the hooks); then rmemd_rdma_fini().
 */
void rmemd_rdma_stop(struct rmemd_server *s)
{
	struct rmemd_rdma *r = s->rdma;

	if (!r)
		return;
	if (r->listen_id) {
		rdma_destroy_id(r->listen_id);
		r->listen_id = NULL;
	}
	if (r->nconns)
		log_notice("closing %u RDMA connections", r->nconns);
	while (r->conns)
		rconn_destroy(r, r->conns);
	rmemd_rdma_reap(s);
}

/**
 * rmemd_rdma_fini() - free what is left of the RDMA transport
 * @s: server, after rmemd_rdma_stop() and rmem_node_fini()
 */
void rmemd_rdma_fini(struct rmemd_server *s)
{
	struct rmemd_rdma *r = s->rdma;

	if (!r)
		return;
	rmemd_rdma_stop(s);
	/* Sessions still here (should be none): drop their MRs and PDs. */
	while (r->sessions) {
		struct rsess *rs = r->sessions;

		hook_release(r, rs->id);
		if (r->sessions == rs) {
			log_err("session %s: RDMA state left behind", rs->tag);
			break;
		}
	}
	if (s->epfd >= 0)
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, r->ech->fd, NULL);
	rdma_destroy_event_channel(r->ech);
	if (s->node.sessions.hooks == &r->hooks)
		s->node.sessions.hooks = NULL;
	free(r);
	s->rdma = NULL;
}

/**
 * rmemd_rdma_nconns() - RDMA connections open
 * @s: server
 *
 * Return: the count (0 without RDMA).
 */
uint32_t rmemd_rdma_nconns(const struct rmemd_server *s)
{
	return s->rdma ? s->rdma->nconns : 0;
}

/**
 * rmemd_rdma_count_host() - RDMA connections open from one address
 * @s: server
 * @ss: the address (its port is ignored)
 *
 * Return: how many (0 without RDMA); rmemd_conn_count_host() adds TCP's.
 */
uint32_t rmemd_rdma_count_host(const struct rmemd_server *s, const struct sockaddr_storage *ss)
{
	struct sockaddr_storage peer;
	uint32_t n = 0;

	if (!s->rdma)
		return 0;
	for (const struct rconn *c = s->rdma->conns; c; c = c->next) {
		if (c->gone)
			continue;
		peer_storage(c->id, &peer);
		n += rmemd_same_host(&peer, ss);
	}
	return n;
}

/**
 * rmemd_rdma_hello_expire() - close RDMA connections that did not say HELLO
 * @s: server
 * @now: rmemd_now_ms()
 *
 * As for TCP (rmemd_conn_hello_expire()): a QP that has not completed AUTH
 * and HELLO within hello-timeout is closed, so an idle peer keeps no slot;
 * and with authentication on, a QP that a replayed connect request put in a
 * session's PD (protocol.rst, RDMA connect requests) lives no longer than
 * that. It goes to the error state first, so the RNIC stops executing
 * incoming RDMA at once.
 */
void rmemd_rdma_hello_expire(struct rmemd_server *s, uint64_t now)
{
	struct rmemd_rdma *r = s->rdma;
	struct rconn *c, *next;

	for (c = r ? r->conns : NULL; c; c = next) {
		next = c->next;
		if (c->gone || c->pc.sess || now < c->hello_by_ms)
			continue;
		s->hello_timeouts++;
		if (rmemd_ratelimit_ok(&rdma_rl, now))
			rconn_log(LOG_WARNING, c, "closing: no HELLO within %u s",
				  s->cfg.hello_timeout);
		rconn_cut_off(c);
	}
}

/**
 * rmemd_rdma_hello_next() - the next RDMA HELLO deadline
 * @s: server
 *
 * Return: its rmemd_now_ms() time, or -1 when no connection waits for one.
 */
int64_t rmemd_rdma_hello_next(const struct rmemd_server *s)
{
	const struct rmemd_rdma *r = s->rdma;
	int64_t next = -1;

	for (const struct rconn *c = r ? r->conns : NULL; c; c = c->next)
		if (!c->gone && !c->pc.sess && (next < 0 || (int64_t)c->hello_by_ms < next))
			next = (int64_t)c->hello_by_ms;
	return next;
}

/**
 * rmemd_rdma_stats() - RDMA numbers for the status socket
 * @s: server
 * @st: filled
 */
void rmemd_rdma_stats(const struct rmemd_server *s, struct rmemd_rdma_stats *st)
{
	const struct rmemd_rdma *r = s->rdma;

	memset(st, 0, sizeof(*st));
	if (!r) {
		st->listen = s->cfg.no_rdma ? "off" : "unavailable";
		return;
	}
	st->listen = r->listen_name;
	st->conns = r->nconns;
	st->conns_total = r->conns_total;
	st->conns_refused = r->conns_refused;
	st->mrs = r->nmrs;
	st->pds = r->npds;
}
