// SPDX-License-Identifier: GPL-2.0
/*
 * rmemd protocol engine: framing checks and one handler per message type.
 *
 * Two kinds of bad input, handled differently (Documentation/protocol.rst):
 *  - bad framing (magic, version, oversized payload, a first message that is
 *    not HELLO): the byte stream cannot be trusted any more, so the
 *    connection is closed, after an error reply when the header was at
 *    least readable (version, size, order);
 *  - a well-framed request with bad content: an error reply with the
 *    matching RMEM_ERR_* code, and the connection keeps being served.
 *
 * Authentication (auth psk, rmem_node.auth) adds a third: a peer that fails
 * it (no AUTH first, unknown key id, bad mac, a session of another key) gets
 * RMEM_ERR_PERM and is closed, having changed nothing. Until HELLO has
 * succeeded a connection has no session (rmem_pconn.sess is NULL), so the
 * transport's HELLO deadline covers AUTH and HELLO together.
 *
 * Wire structs are copied out of the input with memcpy (the input is not
 * aligned) and converted from little-endian field by field.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "pool.h"
#include "proto.h"
#include "rmem-key.h"

#define HDR_LEN	sizeof(struct rmem_msg_hdr)

/**
 * struct msg - a request's header in host byte order
 */
struct msg {
	uint32_t magic;
	uint8_t version;
	uint8_t type;
	uint16_t flags;
	uint32_t len;
	uint32_t status;
	uint64_t id;
	const uint8_t *payload;
};

/**
 * rmem_node_init() - protocol state for a new server
 * @n: state
 * @pool: donated memory
 * @session_timeout_ms: how long idle sessions keep their slabs
 * @instance: random id of this run
 */
void rmem_node_init(struct rmem_node *n, struct rmem_pool *pool,
		    uint64_t session_timeout_ms, uint64_t instance)
{
	memset(n, 0, sizeof(*n));
	n->pool = pool;
	n->instance = instance;
	n->nonce = rmem_auth_nonce;
	rmem_sessions_init(&n->sessions, pool, session_timeout_ms);
	n->sessions.pubs = &n->pubs;
}

/**
 * rmem_node_fini() - drop every session (their slabs return to the pool)
 * @n: state
 */
void rmem_node_fini(struct rmem_node *n)
{
	rmem_sessions_fini(&n->sessions);
	while (n->pubs.head) {
		rmem_pool_release_owner(n->pool, n->pubs.head->pool_id);
		rmem_pub_free(&n->pubs, n->pubs.head);
	}
}

/* @pc said HELLO: add it to its session's connections. */
static void pconn_join(struct rmem_pconn *pc)
{
	struct rmem_session *s = pc->sess;

	pc->sess_prev = NULL;
	pc->sess_next = s->conns;
	if (s->conns)
		s->conns->sess_prev = pc;
	s->conns = pc;
}

/* @pc leaves its session (closed, or cut off); the session may go with it. */
static void pconn_leave(struct rmem_node *n, struct rmem_pconn *pc)
{
	struct rmem_session *s = pc->sess;

	if (pc->sess_prev)
		pc->sess_prev->sess_next = pc->sess_next;
	else
		s->conns = pc->sess_next;
	if (pc->sess_next)
		pc->sess_next->sess_prev = pc->sess_prev;
	pc->sess_prev = pc->sess_next = NULL;
	pc->sess = NULL;
	rmem_session_detach(&n->sessions, s, n->now_ms);
}

/**
 * rmem_pconn_init() - protocol state of a new connection (before HELLO)
 * @pc: state
 * @name: peer name for log lines; must outlive @pc
 */
void rmem_pconn_init(struct rmem_pconn *pc, const char *name)
{
	memset(pc, 0, sizeof(*pc));
	pc->name = name;
	pc->key_idx = -1;
	pc->bound_key = -1;
}

/**
 * rmem_pconn_close() - the connection is gone: detach it from its session
 * @n: server state
 * @pc: connection state
 */
void rmem_pconn_close(struct rmem_node *n, struct rmem_pconn *pc)
{
	if (pc->sess)
		pconn_leave(n, pc);
}

/**
 * rmem_proto_status_name() - name of an RMEM_ERR_* code, for logs and tests
 * @status: code
 *
 * Return: "OK", "PROTO"...
 */
const char *rmem_proto_status_name(uint32_t status)
{
	static const char *const names[] = {
		[RMEM_OK] = "OK", [RMEM_ERR_PROTO] = "PROTO",
		[RMEM_ERR_VERSION] = "VERSION", [RMEM_ERR_INVAL] = "INVAL",
		[RMEM_ERR_NOSPC] = "NOSPC", [RMEM_ERR_NOENT] = "NOENT",
		[RMEM_ERR_RANGE] = "RANGE", [RMEM_ERR_TOOBIG] = "TOOBIG",
		[RMEM_ERR_PERM] = "PERM", [RMEM_ERR_STATE] = "STATE",
	};

	if (status < sizeof(names) / sizeof(names[0]) && names[status])
		return names[status];
	return "?";
}

/*
 * Append a reply header for @m and room for @len payload bytes.
 * Returns the payload area (or a non-NULL pointer when @len is 0), or NULL
 * when the output buffer cannot grow.
 */
static uint8_t *reply_v(struct rmem_buf *out, const struct msg *m, uint32_t status,
			uint32_t len, uint8_t version)
{
	struct rmem_msg_hdr h = {
		.magic = htole32(RMEM_PROTO_MAGIC),
		.version = version,
		.type = m->type,
		.flags = htole16(RMEM_MSG_F_REPLY),
		.len = htole32(len),
		.status = htole32(status),
		.id = htole64(m->id),
	};
	uint8_t *p = rmem_buf_append(out, HDR_LEN + len);

	if (!p)
		return NULL;
	memcpy(p, &h, HDR_LEN);
	return p + HDR_LEN;
}

static uint8_t *reply(struct rmem_buf *out, const struct msg *m, uint32_t status,
		      uint32_t len)
{
	return reply_v(out, m, status, len, RMEM_PROTO_VERSION);
}

/* An error reply; returns 0 or -ENOMEM. */
static int reply_err(struct rmem_node *n, struct rmem_buf *out, const struct msg *m,
		     uint32_t status)
{
	n->stats.errors++;
	return reply(out, m, status, 0) ? 0 : -ENOMEM;
}

static void pconn_why(struct rmem_pconn *pc, const char *fmt, va_list ap)
{
	vsnprintf(pc->why, sizeof(pc->why), fmt, ap);
	pc->close_reason = pc->why;
}

static int auth_refuse(struct rmem_node *n, struct rmem_pconn *pc, const struct msg *m,
		       struct rmem_buf *out, uint64_t *reason, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/*
 * Authentication failed: count it under @reason (one of the auth_*
 * counters), reply RMEM_ERR_PERM and close; @fmt says why, for the
 * transport's (rate limited) log line. Nothing else changes: no session is
 * looked at or joined after a failure.
 */
static int auth_refuse(struct rmem_node *n, struct rmem_pconn *pc, const struct msg *m,
		       struct rmem_buf *out, uint64_t *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pconn_why(pc, fmt, ap);
	va_end(ap);
	n->stats.errors++;
	n->stats.auth_failures++;
	(*reason)++;
	reply(out, m, RMEM_ERR_PERM, 0);
	return -EPROTO;
}

static const char *key_name(const struct rmem_node *n, int idx, char buf[RMEM_KEY_ID_STR_LEN])
{
	if (idx < 0 || (uint32_t)idx >= n->nkeys)
		return "none";
	rmem_key_format_id(n->keys[idx].id, buf);
	return buf;
}

/**
 * rmem_node_session_other_key() - would joining @session break its binding?
 * @n: server state
 * @session: session id
 * @key_idx: key the peer authenticated with (-1: none)
 *
 * Return: true when @session exists and was created under another key.
 */
bool rmem_node_session_other_key(const struct rmem_node *n, uint64_t session, int key_idx)
{
	const struct rmem_session *s = rmem_session_find(&n->sessions, session);

	return s && s->key_idx != key_idx;
}

/*
 * AUTH: the client names its key and sends its nonce; we answer with ours
 * and prove we hold the key. After it the next message must be HELLO with
 * a mac. With auth none we refuse it and keep the connection: a plain
 * HELLO may follow.
 */
static int handle_auth(struct rmem_node *n, struct rmem_pconn *pc,
		       const struct msg *m, struct rmem_buf *out)
{
	static struct rmemd_ratelimit none_rl = RMEMD_RATELIMIT_INIT(1000, 5);
	const struct rmem_auth_key *k;
	struct rmem_auth_reply rep;
	struct rmem_auth req;
	char a[RMEM_KEY_ID_STR_LEN], b[RMEM_KEY_ID_STR_LEN];
	uint64_t key_id;
	uint8_t *p;
	int idx = -1;

	if (pc->sess)
		return reply_err(n, out, m, RMEM_ERR_STATE);
	if (!n->auth) {
		if (rmemd_ratelimit_ok(&none_rl, n->now_ms))
			log_info("%s: AUTH refused: this rmemd runs with auth none", pc->name);
		return reply_err(n, out, m, RMEM_ERR_PERM);
	}
	/* Its length was checked before its payload was buffered. */
	memcpy(&req, m->payload, sizeof(req));
	key_id = le64toh(req.key_id);
	k = rmem_auth_key_find(n->keys, n->nkeys, key_id, &idx);
	if (!k)
		return auth_refuse(n, pc, m, out, &n->stats.auth_unknown_key,
				   "AUTH with unknown key id %016llx", (unsigned long long)key_id);
	if (pc->bound_key >= 0 && idx != pc->bound_key)
		return auth_refuse(n, pc, m, out, &n->stats.auth_bad_mac,
				   "AUTH with key %s, but its RDMA connect request used key %s",
				   key_name(n, idx, a), key_name(n, pc->bound_key, b));
	memcpy(pc->nc, req.nonce, sizeof(pc->nc));
	if (n->nonce(pc->ns, sizeof(pc->ns)) ||
	    rmem_auth_server_mac(k, pc->nc, pc->ns, rep.mac)) {
		/* Our failure, not the peer's: not counted as an auth failure. */
		pc->close_reason = "no random bytes or no HMAC for the AUTH reply";
		n->stats.errors++;
		reply(out, m, RMEM_ERR_PERM, 0);
		return -EPROTO;
	}
	memcpy(rep.nonce, pc->ns, sizeof(rep.nonce));
	pc->authed = true;
	pc->key_idx = idx;
	p = reply(out, m, RMEM_OK, sizeof(rep));
	if (!p)
		return -ENOMEM;
	memcpy(p, &rep, sizeof(rep));
	return 0;
}

/* With auth psk: HELLO must carry FEAT_AUTH and the mac of this connection's nonces. */
static int check_hello_mac(struct rmem_node *n, struct rmem_pconn *pc, const struct msg *m,
			   struct rmem_buf *out, const struct rmem_hello *req)
{
	const struct rmem_auth_key *k = &n->keys[pc->key_idx];
	uint8_t mac[RMEM_AUTH_MAC_LEN];
	char a[RMEM_KEY_ID_STR_LEN];
	bool good;

	if (!(le64toh(req->features) & RMEM_PROTO_FEAT_AUTH))
		return auth_refuse(n, pc, m, out, &n->stats.auth_bad_mac,
				   "HELLO without FEAT_AUTH after AUTH (key %s)",
				   key_name(n, pc->key_idx, a));
	good = !rmem_auth_hello_mac(k, pc->nc, pc->ns, req, mac) &&
	       rmem_auth_equal(mac, req->mac, sizeof(mac));
	if (!good)
		return auth_refuse(n, pc, m, out, &n->stats.auth_bad_mac,
				   "HELLO with a bad mac (key %s)", key_name(n, pc->key_idx, a));
	return 0;
}

/*
 * @pc has just joined its session as queue @pc->queue. The client keeps one
 * connection per queue and, when one breaks, tears all of them down before
 * it reconnects each with the same session and queue index and sends again
 * what was in flight. So another connection of this session with this
 * queue is one the client has given up: whatever of it we have not handled
 * yet (buffered here, in the socket, still on the wire, or a late RDMA
 * WRITE to the old QP) is older than what the client will send on @pc once
 * it has the hello reply, and handling it later would overwrite newer data
 * with older. Cut it off now, before that reply is queued; rmemd is single
 * threaded, so nothing of it runs after this. Only the same session (an id
 * is one client) and the same queue: see protocol.rst for why not the
 * other queues.
 */
static void cut_off_replaced(struct rmem_node *n, struct rmem_pconn *pc)
{
	struct rmem_session *s = pc->sess;
	struct rmem_pconn *o, *next;

	for (o = s->conns; o; o = next) {
		next = o->sess_next;
		if (o == pc || o->queue != pc->queue)
			continue;
		log_info("session %s queue %u: new connection from %s replaces %s",
			 s->tag, pc->queue, pc->name, o->name);
		/* @pc holds the session: it cannot go idle here. */
		pconn_leave(n, o);
		o->replaced = true;
		o->close_reason = "replaced by a new connection of its session and queue";
		n->stats.replaced_conns++;
		if (o->cut_off)
			o->cut_off(o->xprt);
	}
}

static int handle_hello(struct rmem_node *n, struct rmem_pconn *pc,
			const struct msg *m, struct rmem_buf *out)
{
	struct rmem_hello req;
	struct rmem_hello_reply rep;
	struct rmem_session *s;
	char a[RMEM_KEY_ID_STR_LEN], b[RMEM_KEY_ID_STR_LEN];
	uint64_t session;
	bool resumed;
	uint8_t *p;
	int ret;

	if (pc->sess)
		return reply_err(n, out, m, RMEM_ERR_STATE);
	if (m->len != sizeof(req))
		return reply_err(n, out, m, RMEM_ERR_PROTO);
	memcpy(&req, m->payload, sizeof(req));
	/* First the proof, so that a peer without the key learns nothing more. */
	if (n->auth) {
		ret = check_hello_mac(n, pc, m, out, &req);
		if (ret)
			return ret;
	}
	session = le64toh(req.session);
	/* A published region's pool id owns slabs too: no session may be it. */
	if (!session || rmem_pub_by_pool_id(&n->pubs, session))
		return reply_err(n, out, m, RMEM_ERR_INVAL);
	/* An RDMA QP lives in the PD of the session its connect request named. */
	if (pc->bound_session && session != pc->bound_session)
		return reply_err(n, out, m, RMEM_ERR_INVAL);
	s = rmem_session_find(&n->sessions, session);
	if (s && s->key_idx != pc->key_idx)
		return auth_refuse(n, pc, m, out, &n->stats.auth_other_key,
				   "HELLO for session %s, created under key %s, with key %s",
				   s->tag, key_name(n, s->key_idx, a), key_name(n, pc->key_idx, b));

	s = rmem_session_attach(&n->sessions, session, pc->key_idx, &resumed);
	if (!s)
		return reply_err(n, out, m, RMEM_ERR_NOSPC);
	pc->sess = s;
	pc->queue = le32toh(req.queue);
	pconn_join(pc);
	cut_off_replaced(n, pc);
	/*
	 * An RDMA connection can only be used one-sided: it always gets
	 * FEAT_RDMA; a TCP connection gets what it asked of FEAT_SUPPORTED.
	 */
	if (pc->rdma)
		pc->features = RMEM_PROTO_FEAT_RDMA |
			       (le64toh(req.features) & RMEM_PROTO_FEAT_PUBLISH);
	else
		pc->features = le64toh(req.features) & RMEM_PROTO_FEAT_SUPPORTED;
	/* Granted FEAT_AUTH: this connection proved the key. */
	if (n->auth)
		pc->features |= RMEM_PROTO_FEAT_AUTH;
	log_info("%s: hello, session %s %s (%u slabs held, %u connections), queue %u%s, key %s",
		 pc->name, s->tag, resumed ? "resumed" : "new",
		 s->nslabs, s->nconns, pc->queue, pc->rdma ? ", RDMA" : "",
		 key_name(n, pc->key_idx, a));

	memset(&rep, 0, sizeof(rep));
	rep.features = htole64(pc->features);
	rep.instance = htole64(n->instance);
	rep.slab_size = htole64(n->pool->slab_size);
	rep.slabs_total = htole32(n->pool->nslabs);
	rep.slabs_free = htole32(n->pool->nfree);
	rep.max_io = htole32(RMEM_MSG_MAX_IO);
	rep.flags = htole32(resumed ? RMEM_HELLO_F_RESUMED : 0);
	p = reply(out, m, RMEM_OK, sizeof(rep));
	if (!p)
		return -ENOMEM;
	memcpy(p, &rep, sizeof(rep));
	return 0;
}

static int handle_slab_alloc(struct rmem_node *n, struct rmem_pconn *pc,
			     const struct msg *m, struct rmem_buf *out)
{
	struct rmem_slab_alloc_reply rep;
	uint32_t rkey = 0;
	uint64_t addr = 0;
	int64_t slab;
	uint8_t *p;

	if (m->len != 0)
		return reply_err(n, out, m, RMEM_ERR_PROTO);
	if (n->drain_until_ms)
		return reply_err(n, out, m, RMEM_ERR_NOSPC);	/* draining: nothing new */
	if (n->session_quota && pc->sess->nslabs >= n->session_quota) {
		/* Once per session reaching it, not per refused request. */
		if (!pc->sess->quota_logged)
			log_warn("%s: session %s holds %u slabs, its quota (session-quota): SLAB_ALLOC refused",
				 pc->name, pc->sess->tag, pc->sess->nslabs);
		pc->sess->quota_logged = true;
		n->quota_refusals++;
		return reply_err(n, out, m, RMEM_ERR_NOSPC);
	}
	slab = rmem_pool_alloc(n->pool, pc->sess->id);
	if (slab < 0)
		return reply_err(n, out, m, RMEM_ERR_NOSPC);
	if (pc->rdma) {
		const struct rmem_slab_hooks *hk = n->sessions.hooks;

		if (!hk || !hk->reg ||
		    hk->reg(hk->ctx, pc->xprt, pc->sess->id, (uint32_t)slab,
			    rmem_pool_slab(n->pool, (uint32_t)slab), n->pool->slab_size, false,
			    &rkey, &addr)) {
			rmem_pool_free(n->pool, (uint32_t)slab, pc->sess->id);
			return reply_err(n, out, m, RMEM_ERR_NOSPC);
		}
		/* Written behind our back from now on: zero it when freed. */
		rmem_pool_mark_dirty(n->pool, (uint32_t)slab);
	}
	pc->sess->nslabs++;

	memset(&rep, 0, sizeof(rep));
	rep.slab = htole32((uint32_t)slab);
	rep.rkey = htole32(rkey);
	rep.addr = htole64(addr);
	rep.size = htole64(n->pool->slab_size);
	p = reply(out, m, RMEM_OK, sizeof(rep));
	if (!p)
		return -ENOMEM;
	memcpy(p, &rep, sizeof(rep));
	return 0;
}

static int handle_slab_free(struct rmem_node *n, struct rmem_pconn *pc,
			    const struct msg *m, struct rmem_buf *out)
{
	const struct rmem_slab_hooks *hk;
	struct rmem_slab_ref req;
	uint32_t slab;

	if (m->len != sizeof(req))
		return reply_err(n, out, m, RMEM_ERR_PROTO);
	memcpy(&req, m->payload, sizeof(req));
	slab = le32toh(req.slab);
	if (!rmem_pool_held_by(n->pool, slab, pc->sess->id))
		return reply_err(n, out, m, RMEM_ERR_NOENT);
	/* Unreachable by RDMA first, then zeroed: never the other way round. */
	hk = n->sessions.hooks;
	if (hk && hk->dereg)
		hk->dereg(hk->ctx, pc->sess->id, slab);
	rmem_pool_free(n->pool, slab, pc->sess->id);
	pc->sess->nslabs--;
	return reply(out, m, RMEM_OK, 0) ? 0 : -ENOMEM;
}

/*
 * The published region @slab belongs to, when the caller's session may
 * read it (it owns the region or is attached to it); NULL otherwise.
 */
static struct rmem_pub *pub_readable(const struct rmem_node *n, const struct rmem_pconn *pc,
				     uint32_t slab)
{
	struct rmem_pub *p;

	if (slab >= n->pool->nslabs || !n->pool->owner[slab])
		return NULL;
	p = rmem_pub_by_pool_id(&n->pubs, n->pool->owner[slab]);
	if (p && (p->owner == pc->sess->id || rmem_pub_att(p, pc->sess->id)))
		return p;
	return NULL;
}

/*
 * Checks shared by READ and WRITE, in the order documented in protocol.rst:
 * length, then slab ownership (the session's own slab, or one of a
 * published region it owns or is attached to; a WRITE to a sealed one, or
 * to one it does not own, is RDONLY), then range.
 */
static uint32_t check_io(const struct rmem_node *n, const struct rmem_pconn *pc,
			 uint32_t slab, uint32_t len, uint64_t offset, bool write)
{
	const struct rmem_pub *p;

	if (len == 0)
		return RMEM_ERR_INVAL;
	if (len > RMEM_MSG_MAX_IO)
		return RMEM_ERR_TOOBIG;
	if (!rmem_pool_held_by(n->pool, slab, pc->sess->id)) {
		p = pub_readable(n, pc, slab);
		if (!p)
			return RMEM_ERR_NOENT;
		if (write && (p->sealed || p->owner != pc->sess->id))
			return RMEM_ERR_RDONLY;
	}
	if (offset > n->pool->slab_size || len > n->pool->slab_size - offset)
		return RMEM_ERR_RANGE;
	return RMEM_OK;
}

static int handle_read(struct rmem_node *n, struct rmem_pconn *pc,
		       const struct msg *m, struct rmem_buf *out)
{
	struct rmem_io io;
	uint32_t slab, len, st;
	uint64_t offset;
	uint8_t *p;

	if (pc->rdma)
		return reply_err(n, out, m, RMEM_ERR_INVAL);
	if (m->len != sizeof(io))
		return reply_err(n, out, m, RMEM_ERR_PROTO);
	memcpy(&io, m->payload, sizeof(io));
	slab = le32toh(io.slab);
	len = le32toh(io.len);
	offset = le64toh(io.offset);
	st = check_io(n, pc, slab, len, offset, false);
	if (st)
		return reply_err(n, out, m, st);

	/*
	 * Copy now rather than reference the slab from the output queue: the
	 * session may free the slab (on another connection) and someone else
	 * may get it before this reply leaves.
	 */
	p = reply(out, m, RMEM_OK, len);
	if (!p)
		return -ENOMEM;
	memcpy(p, rmem_pool_slab(n->pool, slab) + offset, len);
	n->stats.bytes_read += len;
	return 0;
}

/* Test only (--test-drop-reply): whether request @m counts towards the drop. */
static bool drop_counts(const struct rmem_node *n, const struct msg *m)
{
	struct rmem_io io;

	if (!n->drop_type || m->type != n->drop_type || n->drop_seen >= n->drop_nth)
		return false;
	if (n->drop_off < 0)
		return true;
	if (m->len < sizeof(io))
		return false;
	memcpy(&io, m->payload, sizeof(io));
	return le64toh(io.offset) == (uint64_t)n->drop_off;
}

static int handle_write(struct rmem_node *n, struct rmem_pconn *pc,
			const struct msg *m, struct rmem_buf *out)
{
	struct rmem_io io;
	uint32_t slab, len, st;
	uint64_t offset;

	if (pc->rdma)
		return reply_err(n, out, m, RMEM_ERR_INVAL);
	if (m->len < sizeof(io))
		return reply_err(n, out, m, RMEM_ERR_PROTO);
	memcpy(&io, m->payload, sizeof(io));
	slab = le32toh(io.slab);
	len = le32toh(io.len);
	offset = le64toh(io.offset);
	if (len && len <= RMEM_MSG_MAX_IO && m->len - sizeof(io) != len)
		return reply_err(n, out, m, RMEM_ERR_PROTO);
	st = check_io(n, pc, slab, len, offset, true);
	if (st)
		return reply_err(n, out, m, st);

	memcpy(rmem_pool_slab(n->pool, slab) + offset, m->payload + sizeof(io), len);
	rmem_pool_mark_dirty(n->pool, slab);
	n->stats.bytes_written += len;
	return reply(out, m, RMEM_OK, 0) ? 0 : -ENOMEM;
}

static int handle_ping(struct rmem_node *n, struct rmem_pconn *pc,
		       const struct msg *m, struct rmem_buf *out)
{
	struct rmem_ping_reply rep;
	uint8_t *p;

	if (m->len != 0)
		return reply_err(n, out, m, RMEM_ERR_PROTO);
	memset(&rep, 0, sizeof(rep));
	rep.slabs_free = htole32(n->pool->nfree);
	rep.slabs_held = htole32(pc->sess->nslabs);
	rep.instance_lo = htole32((uint32_t)n->instance);
	if (n->drain_until_ms)
		rep.drain_ms = htole32(n->drain_until_ms > n->now_ms ?
				       (uint32_t)(n->drain_until_ms - n->now_ms) : 1);
	p = reply(out, m, RMEM_OK, sizeof(rep));
	if (!p)
		return -ENOMEM;
	memcpy(p, &rep, sizeof(rep));
	return 0;
}

/* Which slabs the session holds, RMEM_SLAB_LIST_BITS at a time from req.slab. */
static int handle_slab_list(struct rmem_node *n, struct rmem_pconn *pc,
			    const struct msg *m, struct rmem_buf *out)
{
	uint64_t held[RMEM_SLAB_LIST_BITS / 64] = { 0 };
	struct rmem_slab_list_reply rep;
	uint32_t first, next = RMEM_SLAB_NONE, i;
	struct rmem_slab_ref req;
	uint8_t *p;

	if (m->len != sizeof(req))
		return reply_err(n, out, m, RMEM_ERR_PROTO);
	memcpy(&req, m->payload, sizeof(req));
	first = le32toh(req.slab);
	for (i = first; i < n->pool->nslabs; i++) {
		if (!rmem_pool_held_by(n->pool, i, pc->sess->id))
			continue;
		if (i - first >= RMEM_SLAB_LIST_BITS) {
			next = i;
			break;
		}
		held[(i - first) / 64] |= 1ull << ((i - first) % 64);
	}
	memset(&rep, 0, sizeof(rep));
	rep.first = htole32(first);
	rep.next = htole32(next);
	for (i = 0; i < RMEM_SLAB_LIST_BITS / 64; i++)
		rep.held[i] = htole64(held[i]);
	p = reply(out, m, RMEM_OK, sizeof(rep));
	if (!p)
		return -ENOMEM;
	memcpy(p, &rep, sizeof(rep));
	return 0;
}

/* ------------------------------------------------------------------
 * Published regions (include/rmem-proto.h, "Published regions")
 */

/* A published region, as a session of another key never sees it. */
static struct rmem_pub *pub_find(const struct rmem_node *n, const struct rmem_pconn *pc,
				 const char *name)
{
	struct rmem_pub *p = rmem_pub_by_name(&n->pubs, name);

	return p && p->key_idx == pc->sess->key_idx ? p : NULL;
}

/* A handle the session owns or is attached to. */
static struct rmem_pub *pub_handle(const struct rmem_node *n, const struct rmem_pconn *pc,
				   uint32_t handle)
{
	struct rmem_pub *p = rmem_pub_by_handle(&n->pubs, handle);

	if (p && (p->owner == pc->sess->id || rmem_pub_att(p, pc->sess->id)))
		return p;
	return NULL;
}

/* Copy and check a struct rmem_pub_name payload: a status. */
static uint32_t pub_name_in(const struct msg *m, struct rmem_pub_name *req)
{
	if (m->len != sizeof(*req))
		return RMEM_ERR_PROTO;
	memcpy(req, m->payload, sizeof(*req));
	if (!rmem_pub_name_valid(req->name, sizeof(req->name)))
		return RMEM_ERR_INVAL;
	return RMEM_OK;
}

static int pub_info_reply(const struct rmem_pconn *pc, const struct msg *m,
			  struct rmem_buf *out, const struct rmem_pub *p)
{
	struct rmem_pub_info info;
	uint8_t *b;

	memset(&info, 0, sizeof(info));
	info.handle = htole32(p->handle);
	info.flags = htole32((p->sealed ? RMEM_PUB_F_SEALED : 0) |
			     (p->owner == pc->sess->id ? RMEM_PUB_F_OWNER : 0));
	info.size = htole64(p->size);
	info.extents = htole32(p->nslabs);
	info.attached = htole32(p->nattached);
	b = reply(out, m, RMEM_OK, sizeof(info));
	if (!b)
		return -ENOMEM;
	memcpy(b, &info, sizeof(info));
	return 0;
}

/*
 * An owner id for a new region's slabs: random, and neither a session's
 * nor another region's (a fuzzer's nonce may repeat itself: then counted).
 */
static uint64_t pub_pool_id(struct rmem_node *n)
{
	uint64_t id = 0;
	int i;

	for (i = 0; i < 8; i++) {
		if (!n->nonce(&id, sizeof(id)) && id && !rmem_session_find(&n->sessions, id) &&
		    !rmem_pub_by_pool_id(&n->pubs, id))
			return id;
	}
	for (id = (1ull << 63) | n->pubs.next_handle;; id++)
		if (!rmem_session_find(&n->sessions, id) && !rmem_pub_by_pool_id(&n->pubs, id))
			return id;
}

static int handle_pub_create(struct rmem_node *n, struct rmem_pconn *pc,
			     const struct msg *m, struct rmem_buf *out)
{
	struct rmem_pub_name req;
	uint64_t size, extents;
	struct rmem_pub *p;
	uint32_t st;

	st = pub_name_in(m, &req);
	if (st)
		return reply_err(n, out, m, st);
	size = le64toh(req.size);
	extents = size / n->pool->slab_size + !!(size % n->pool->slab_size);
	if (!size || extents > RMEM_PUB_MAX_EXTENTS)
		return reply_err(n, out, m, RMEM_ERR_INVAL);
	p = rmem_pub_by_name(&n->pubs, req.name);
	if (p) {
		/* The owner asking again (its reply was lost): the same region. */
		if (p->owner == pc->sess->id && p->size == size && !p->sealed)
			return pub_info_reply(pc, m, out, p);
		return reply_err(n, out, m, RMEM_ERR_EXIST);
	}
	if (n->drain_until_ms)
		return reply_err(n, out, m, RMEM_ERR_NOSPC);
	p = rmem_pub_create(&n->pubs, req.name, size, (uint32_t)extents, pc->sess->id,
			    pc->sess->key_idx, pub_pool_id(n));
	if (!p)
		return reply_err(n, out, m, RMEM_ERR_NOSPC);
	log_info("%s: session %s published region '%s', %llu bytes in %u extents",
		 pc->name, pc->sess->tag, p->name, (unsigned long long)size, p->nextents);
	return pub_info_reply(pc, m, out, p);
}

/*
 * The region a PUB_ALLOC, PUB_MAP or PUB_CLOSE names by handle, if the
 * caller owns it or is attached to it, and the request's extent in @ext;
 * otherwise NULL, after an error reply whose result is in @ret.
 */
static struct rmem_pub *pub_extent_in(struct rmem_node *n, struct rmem_pconn *pc,
				      const struct msg *m, struct rmem_buf *out,
				      uint32_t *ext, int *ret)
{
	struct rmem_pub_extent req;
	struct rmem_pub *p;

	if (m->len != sizeof(req)) {
		*ret = reply_err(n, out, m, RMEM_ERR_PROTO);
		return NULL;
	}
	memcpy(&req, m->payload, sizeof(req));
	p = pub_handle(n, pc, le32toh(req.handle));
	if (!p)
		*ret = reply_err(n, out, m, RMEM_ERR_NOENT);
	*ext = le32toh(req.extent);
	return p;
}

static int handle_pub_alloc(struct rmem_node *n, struct rmem_pconn *pc,
			    const struct msg *m, struct rmem_buf *out)
{
	struct rmem_slab_alloc_reply rep;
	struct rmem_pub *p;
	uint32_t ext;
	int64_t slab;
	uint8_t *b;
	int ret;

	p = pub_extent_in(n, pc, m, out, &ext, &ret);
	if (!p)
		return ret;
	if (p->owner != pc->sess->id || p->sealed)
		return reply_err(n, out, m, RMEM_ERR_RDONLY);
	if (ext >= p->nextents)
		return reply_err(n, out, m, RMEM_ERR_RANGE);
	if (p->slab[ext] == RMEM_SLAB_NONE) {
		if (n->drain_until_ms)
			return reply_err(n, out, m, RMEM_ERR_NOSPC);
		slab = rmem_pool_alloc(n->pool, p->pool_id);
		if (slab < 0)
			return reply_err(n, out, m, RMEM_ERR_NOSPC);
		p->slab[ext] = (uint32_t)slab;
		p->nslabs++;
	}
	/* Over RDMA the owner writes it one-sided: an MR in its PD, once. */
	if (pc->rdma && !p->rkey[ext]) {
		const struct rmem_slab_hooks *hk = n->sessions.hooks;

		if (!hk || !hk->reg ||
		    hk->reg(hk->ctx, pc->xprt, pc->sess->id, p->slab[ext],
			    rmem_pool_slab(n->pool, p->slab[ext]), n->pool->slab_size, false,
			    &p->rkey[ext], &p->addr[ext]))
			return reply_err(n, out, m, RMEM_ERR_NOSPC);
		rmem_pool_mark_dirty(n->pool, p->slab[ext]);
	}
	memset(&rep, 0, sizeof(rep));
	rep.slab = htole32(p->slab[ext]);
	rep.rkey = htole32(pc->rdma ? p->rkey[ext] : 0);
	rep.addr = htole64(pc->rdma ? p->addr[ext] : 0);
	rep.size = htole64(n->pool->slab_size);
	b = reply(out, m, RMEM_OK, sizeof(rep));
	if (!b)
		return -ENOMEM;
	memcpy(b, &rep, sizeof(rep));
	return 0;
}

/* The owner's RDMA access to @p's slabs ends (seal, delete). */
static void pub_revoke_owner(struct rmem_node *n, struct rmem_pub *p)
{
	const struct rmem_slab_hooks *hk = n->sessions.hooks;
	uint32_t i;

	for (i = 0; i < p->nextents; i++) {
		if (!p->rkey[i])
			continue;
		if (hk && hk->dereg)
			hk->dereg(hk->ctx, p->owner, p->slab[i]);
		p->rkey[i] = 0;
		p->addr[i] = 0;
	}
}

/*
 * The region a PUB_SEAL, PUB_OPEN or PUB_DELETE names, if the caller can see
 * it; otherwise NULL, after an error reply whose result is in @ret.
 */
static struct rmem_pub *pub_named(struct rmem_node *n, struct rmem_pconn *pc,
				  const struct msg *m, struct rmem_buf *out, int *ret)
{
	struct rmem_pub_name req;
	struct rmem_pub *p;
	uint32_t st;

	st = pub_name_in(m, &req);
	p = st ? NULL : pub_find(n, pc, req.name);
	if (!p)
		*ret = reply_err(n, out, m, st ? st : RMEM_ERR_NOENT);
	return p;
}

/*
 * Whether @p is still being written: not sealed, and the session that
 * created it still exists (connected, or idle within the session timeout).
 * Nobody else may open or delete it then; once that session has ended, an
 * unsealed region is an orphan that any session of its key may delete.
 */
static bool pub_writer_live(const struct rmem_node *n, const struct rmem_pub *p)
{
	return !p->sealed && rmem_session_find(&n->sessions, p->owner);
}

static int handle_pub_seal(struct rmem_node *n, struct rmem_pconn *pc,
			   const struct msg *m, struct rmem_buf *out)
{
	int ret;
	struct rmem_pub *p = pub_named(n, pc, m, out, &ret);

	if (!p)
		return ret;
	if (p->owner != pc->sess->id)
		return reply_err(n, out, m, RMEM_ERR_PERM);
	if (!p->sealed) {
		pub_revoke_owner(n, p);
		p->sealed = true;
		log_info("%s: session %s sealed published region '%s' (%u of %u extents backed)",
			 pc->name, pc->sess->tag, p->name, p->nslabs, p->nextents);
	}
	return pub_info_reply(pc, m, out, p);
}

static int handle_pub_open(struct rmem_node *n, struct rmem_pconn *pc,
			   const struct msg *m, struct rmem_buf *out)
{
	int ret;
	struct rmem_pub *p = pub_named(n, pc, m, out, &ret);

	if (!p)
		return ret;
	if (!p->sealed && p->owner != pc->sess->id)
		return reply_err(n, out, m, pub_writer_live(n, p) ? RMEM_ERR_BUSY : RMEM_ERR_STATE);
	if (rmem_pub_attach(p, pc->sess->id))
		return reply_err(n, out, m, RMEM_ERR_NOSPC);
	return pub_info_reply(pc, m, out, p);
}

/*
 * Over RDMA a reader needs an MR of extent @i's slab in its own PD, for
 * remote read only: registered at its first PUB_MAP, kept until the session
 * ends or detaches. The owner before the seal gets its write MR instead (the
 * one PUB_ALLOC gives), so that it never holds two MRs of a slab and the
 * seal revokes every write MR.
 */
static int pub_map_rkey(struct rmem_node *n, struct rmem_pconn *pc, struct rmem_pub *p,
			uint32_t i, struct rmem_pub_map_entry *e)
{
	const struct rmem_slab_hooks *hk = n->sessions.hooks;
	struct rmem_pub_att *a;

	/* The owner before the seal: its write MR, as PUB_ALLOC gives. */
	if (p->owner == pc->sess->id && !p->sealed) {
		if (!p->rkey[i] &&
		    (!hk || !hk->reg ||
		     hk->reg(hk->ctx, pc->xprt, pc->sess->id, p->slab[i],
			     rmem_pool_slab(n->pool, p->slab[i]), n->pool->slab_size, false,
			     &p->rkey[i], &p->addr[i])))
			return -1;
		rmem_pool_mark_dirty(n->pool, p->slab[i]);
		e->rkey = htole32(p->rkey[i]);
		e->addr = htole64(p->addr[i]);
		return 0;
	}
	a = rmem_pub_att(p, pc->sess->id);
	if (!a || rmem_pub_att_rkeys(p, a))
		return -1;
	if (!a->rkey[i] &&
	    (!hk || !hk->reg ||
	     hk->reg(hk->ctx, pc->xprt, pc->sess->id, p->slab[i],
		     rmem_pool_slab(n->pool, p->slab[i]), n->pool->slab_size, true,
		     &a->rkey[i], &a->addr[i])))
		return -1;
	e->rkey = htole32(a->rkey[i]);
	e->addr = htole64(a->addr[i]);
	return 0;
}

static int handle_pub_map(struct rmem_node *n, struct rmem_pconn *pc,
			  const struct msg *m, struct rmem_buf *out)
{
	struct rmem_pub_map_reply rep;
	uint32_t first, i, next = RMEM_SLAB_NONE;
	struct rmem_pub *p;
	uint8_t *b;
	int ret;

	p = pub_extent_in(n, pc, m, out, &first, &ret);
	if (!p)
		return ret;
	if (first >= p->nextents)
		return reply_err(n, out, m, RMEM_ERR_RANGE);
	memset(&rep, 0, sizeof(rep));
	rep.first = htole32(first);
	for (i = 0; i < RMEM_PUB_MAP_ENTRIES; i++) {
		uint32_t x = first + i;

		rep.e[i].slab = htole32(x < p->nextents ? p->slab[x] : RMEM_SLAB_NONE);
		if (x >= p->nextents || p->slab[x] == RMEM_SLAB_NONE || !pc->rdma)
			continue;
		if (pub_map_rkey(n, pc, p, x, &rep.e[i]))
			return reply_err(n, out, m, RMEM_ERR_NOSPC);
	}
	for (i = first + RMEM_PUB_MAP_ENTRIES; i < p->nextents; i++) {
		if (p->slab[i] != RMEM_SLAB_NONE) {
			next = i;
			break;
		}
	}
	rep.next = htole32(next);
	b = reply(out, m, RMEM_OK, sizeof(rep));
	if (!b)
		return -ENOMEM;
	memcpy(b, &rep, sizeof(rep));
	return 0;
}

/* @session leaves @p: its read MRs go (the owner's write MRs stay). */
static void pub_detach(struct rmem_node *n, struct rmem_pub *p, uint64_t session)
{
	const struct rmem_slab_hooks *hk = n->sessions.hooks;
	struct rmem_pub_att *a = rmem_pub_att(p, session);
	uint32_t i;

	if (!a)
		return;
	for (i = 0; a->rkey && i < p->nextents; i++)
		if (a->rkey[i] && hk && hk->dereg)
			hk->dereg(hk->ctx, session, p->slab[i]);
	rmem_pub_detach(p, session);
}

/**
 * rmem_node_pub_delete() - free published region @p and its slabs
 * @n: server state
 * @p: the region
 * @who: for the log line (a connection's name, "ctl")
 *
 * Every session attached is detached (its read MRs deregistered), the
 * owner's write MRs go, and the slabs are zeroed and returned to the pool.
 */
void rmem_node_pub_delete(struct rmem_node *n, struct rmem_pub *p, const char *who)
{
	log_info("%s: published region '%s' deleted: %u slabs zeroed and freed, %u sessions detached",
		 who, p->name, p->nslabs, p->nattached);
	while (p->nattached)
		pub_detach(n, p, p->attached[0].session);
	pub_revoke_owner(n, p);
	rmem_pool_release_owner(n->pool, p->pool_id);
	rmem_pub_free(&n->pubs, p);
}

static int handle_pub_close(struct rmem_node *n, struct rmem_pconn *pc,
			    const struct msg *m, struct rmem_buf *out)
{
	struct rmem_pub *p;
	uint32_t ext;
	int ret;

	p = pub_extent_in(n, pc, m, out, &ext, &ret);
	if (!p)
		return ret;
	if (!rmem_pub_att(p, pc->sess->id))
		return reply_err(n, out, m, RMEM_ERR_NOENT);
	pub_detach(n, p, pc->sess->id);
	return reply(out, m, RMEM_OK, 0) ? 0 : -ENOMEM;
}

static int handle_pub_delete(struct rmem_node *n, struct rmem_pconn *pc,
			     const struct msg *m, struct rmem_buf *out)
{
	int ret;
	struct rmem_pub *p = pub_named(n, pc, m, out, &ret);

	if (!p)
		return ret;
	if (p->nattached > 1 || (p->nattached == 1 && p->attached[0].session != pc->sess->id) ||
	    (p->owner != pc->sess->id && pub_writer_live(n, p)))
		return reply_err(n, out, m, RMEM_ERR_BUSY);
	rmem_node_pub_delete(n, p, pc->name);
	return reply(out, m, RMEM_OK, 0) ? 0 : -ENOMEM;
}

typedef int (*handler_fn)(struct rmem_node *n, struct rmem_pconn *pc,
			  const struct msg *m, struct rmem_buf *out);

static const handler_fn handlers[RMEM_MSG_TYPE_MAX + 1] = {
	[RMEM_MSG_HELLO] = handle_hello,
	[RMEM_MSG_SLAB_ALLOC] = handle_slab_alloc,
	[RMEM_MSG_SLAB_FREE] = handle_slab_free,
	[RMEM_MSG_READ] = handle_read,
	[RMEM_MSG_WRITE] = handle_write,
	[RMEM_MSG_PING] = handle_ping,
	[RMEM_MSG_SLAB_LIST] = handle_slab_list,
	[RMEM_MSG_AUTH] = handle_auth,
	[RMEM_MSG_PUB_CREATE] = handle_pub_create,
	[RMEM_MSG_PUB_ALLOC] = handle_pub_alloc,
	[RMEM_MSG_PUB_SEAL] = handle_pub_seal,
	[RMEM_MSG_PUB_OPEN] = handle_pub_open,
	[RMEM_MSG_PUB_MAP] = handle_pub_map,
	[RMEM_MSG_PUB_CLOSE] = handle_pub_close,
	[RMEM_MSG_PUB_DELETE] = handle_pub_delete,
};

/* Framing failure: maybe one error reply, then the caller closes. */
static ssize_t framing_error(struct rmem_node *n, struct rmem_pconn *pc,
			     const struct msg *m, struct rmem_buf *out,
			     uint32_t status, const char *why)
{
	pc->close_reason = why;
	n->stats.errors++;
	n->stats.proto_closes++;
	if (status)
		reply(out, m, status, 0);
	return -EPROTO;
}

/*
 * Another protocol version: one RMEM_ERR_VERSION reply, then close. The
 * header is the same in every version so far, so an older peer gets the
 * reply in its own version, which it can read and report; a newer or
 * unknown one gets ours.
 */
static ssize_t version_error(struct rmem_node *n, struct rmem_pconn *pc, const struct msg *m,
			     struct rmem_buf *out)
{
	uint8_t v = m->version >= 1 && m->version < RMEM_PROTO_VERSION ? m->version :
		    RMEM_PROTO_VERSION;

	snprintf(pc->why, sizeof(pc->why),
		 "protocol version %u; this rmemd speaks version %u (upgrade the peer)",
		 m->version, RMEM_PROTO_VERSION);
	pc->close_reason = pc->why;
	n->stats.errors++;
	n->stats.proto_closes++;
	n->stats.version_refused++;
	reply_v(out, m, RMEM_ERR_VERSION, 0, v);
	return -EPROTO;
}

/*
 * Before HELLO has succeeded a peer is nobody: the messages it may send
 * (AUTH, then HELLO with auth psk; HELLO, or an AUTH that is refused, with
 * auth none) have one size each, checked before a byte of their payload is
 * buffered. Returns 0 when @m may be handled.
 */
static ssize_t check_before_hello(struct rmem_node *n, struct rmem_pconn *pc,
				  const struct msg *m, struct rmem_buf *out)
{
	if (m->type == RMEM_MSG_AUTH && !pc->authed) {
		if (m->len != sizeof(struct rmem_auth))
			return framing_error(n, pc, m, out, RMEM_ERR_PROTO,
					     "AUTH of the wrong length");
		return 0;
	}
	if (n->auth && !pc->authed)
		return auth_refuse(n, pc, m, out, &n->stats.auth_no_auth,
				   "%s (auth psk)", m->type == RMEM_MSG_HELLO ?
				   "HELLO without AUTH" : "first message is not AUTH");
	if (m->type != RMEM_MSG_HELLO)
		return framing_error(n, pc, m, out, RMEM_ERR_STATE,
				     pc->authed ? "message after AUTH is not HELLO" :
						  "first message is not HELLO");
	if (m->len != sizeof(struct rmem_hello))
		return framing_error(n, pc, m, out, RMEM_ERR_PROTO, "HELLO of the wrong length");
	return 0;
}

/**
 * rmem_proto_step() - handle the first message in @in
 * @n: server state (set @n->now_ms first)
 * @pc: connection state
 * @in: buffered input bytes
 * @len: bytes in @in
 * @out: output queue; replies are appended
 * @need: when 0 is returned, total bytes the message needs (header first,
 *	then header plus payload), so the caller can size its input buffer
 *
 * Return: bytes consumed (> 0) after one message was handled; 0 when @in
 * does not hold a whole message yet; negative when the connection must be
 * closed (-EPROTO: @pc->close_reason says why, and an error reply may have
 * been appended that is worth flushing first; -ENOMEM: @out cannot grow;
 * -ECONNRESET: @pc was cut off by a newer connection of its session and
 * queue, nothing of @in was handled, and nothing more must be sent).
 */
static uint64_t hostile_rand(struct rmem_node *n)
{
	uint64_t x = n->hostile_rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	n->hostile_rng = x;
	return x;
}

/*
 * Test only (--test-hostile): a memory node that lies. About one reply in
 * n->hostile_rate, the reply just appended to @out (from @at) is changed in
 * one of the ways below, and a warning says which. The module must take
 * each as a protocol error (or a failed request), reconnect, and never
 * crash, hang, or give one request another's data.
 */
static void rmem_proto_hostile(struct rmem_node *n, struct rmem_pconn *pc,
			       const struct msg *m, struct rmem_buf *out, size_t at)
{
	static const char *const what[] = {
		"wrong id", "wrong type", "longer length", "shorter length", "no reply flag",
		"bad magic", "sent twice", "never sent", "wrong slab", "wrong rkey",
		"unknown status",
	};
	size_t len = rmem_buf_len(out) - at;
	struct rmem_msg_hdr h;
	uint8_t *p;
	unsigned int k;
	uint64_t r;

	if (len < HDR_LEN || n->hostile_early)
		return;
	/* :slab: a slab was claimed, and the reply names another one. */
	if (n->hostile_slab) {
		memcpy(&h, rmem_buf_start(out) + at, HDR_LEN);
		if (m->type != RMEM_MSG_SLAB_ALLOC || h.status ||
		    len < HDR_LEN + sizeof(struct rmem_slab_alloc_reply))
			return;
	}
	if (hostile_rand(n) % n->hostile_rate)
		return;
	r = hostile_rand(n);
	k = r % (sizeof(what) / sizeof(what[0]));
	/*
	 * Slab and rkey lies need a SLAB_ALLOC reply that succeeded. rkey lies
	 * only when asked for, and then every mangled SLAB_ALLOC gets one (a
	 * wrong rkey is what costs the client the slab).
	 */
	if ((k == 8 || k == 9) && (m->type != RMEM_MSG_SLAB_ALLOC ||
				   len < HDR_LEN + sizeof(struct rmem_slab_alloc_reply)))
		k = r % 8;
	if ((k == 9 && !n->hostile_rkey) || n->hostile_slab)
		k = 8;
	p = rmem_buf_start(out) + at;
	memcpy(&h, p, HDR_LEN);
	if (n->hostile_rkey && m->type == RMEM_MSG_SLAB_ALLOC && !h.status &&
	    len >= HDR_LEN + sizeof(struct rmem_slab_alloc_reply))
		k = 9;
	switch (k) {
	case 0:
		h.id = htole64(le64toh(h.id) ^ ((r >> 8) | 1));
		break;
	case 1:
		h.type = (uint8_t)(1 + (h.type + (r >> 8) % (RMEM_MSG_TYPE_MAX - 1)) %
				   RMEM_MSG_TYPE_MAX);
		break;
	case 2:
		h.len = htole32(le32toh(h.len) + 1 + (uint32_t)((r >> 8) % 8192));
		break;
	case 3:
		if (!h.len) {
			h.len = htole32(UINT32_MAX);
			break;
		}
		h.len = htole32(le32toh(h.len) - 1 - (uint32_t)((r >> 8) % le32toh(h.len)));
		break;
	case 4:
		h.flags = htole16(le16toh(h.flags) & ~RMEM_MSG_F_REPLY);
		break;
	case 5:
		h.magic = htole32(le32toh(h.magic) ^ (uint32_t)((r >> 8) | 1));
		break;
	case 6: {
		uint8_t *again = rmem_buf_append(out, len);

		if (!again)
			return;
		p = rmem_buf_start(out) + at;	/* the buffer may have moved */
		memcpy(again, p, len);
		break;
	}
	case 7:
		rmem_buf_truncate(out, at);
		break;
	case 8:
	case 9: {
		struct rmem_slab_alloc_reply rep;

		memcpy(&rep, p + HDR_LEN, sizeof(rep));
		if (k == 8)
			rep.slab = htole32(le32toh(rep.slab) ^ (uint32_t)((r >> 8) | 1));
		else
			rep.rkey = htole32(le32toh(rep.rkey) ^ (uint32_t)((r >> 8) | 1));
		memcpy(p + HDR_LEN, &rep, sizeof(rep));
		break;
	}
	default:
		h.status = htole32(0x7fff0000u | (uint32_t)(r >> 48));
		break;
	}
	if (k != 6 && k != 7)
		memcpy(p, &h, HDR_LEN);
	n->stats.hostile_replies++;
	rmemd_log(LOG_WARNING, "%s: test: hostile reply to type %u (id %llu): %s",
		  pc->name ? pc->name : "?", m->type, (unsigned long long)m->id, what[k]);
}

ssize_t rmem_proto_step(struct rmem_node *n, struct rmem_pconn *pc,
			const uint8_t *in, size_t len, struct rmem_buf *out,
			size_t *need)
{
	struct rmem_msg_hdr h;
	size_t out_len;
	struct msg m;
	int ret;

	/* Cut off: not one more byte of it, not even a header check. */
	if (pc->replaced)
		return -ECONNRESET;
	if (len < HDR_LEN) {
		*need = HDR_LEN;
		return 0;
	}
	memcpy(&h, in, HDR_LEN);
	m.magic = le32toh(h.magic);
	m.version = h.version;
	m.type = h.type;
	m.flags = le16toh(h.flags);
	m.len = le32toh(h.len);
	m.status = le32toh(h.status);
	m.id = le64toh(h.id);
	m.payload = in + HDR_LEN;

	if (m.magic != RMEM_PROTO_MAGIC)
		return framing_error(n, pc, &m, out, 0, "bad magic");
	if (m.version != RMEM_PROTO_VERSION)
		return version_error(n, pc, &m, out);
	if (m.len > RMEM_MSG_MAX_PAYLOAD)
		return framing_error(n, pc, &m, out, RMEM_ERR_TOOBIG,
				     "payload longer than RMEM_MSG_MAX_PAYLOAD");
	if (!pc->sess) {
		ssize_t r = check_before_hello(n, pc, &m, out);

		if (r)
			return r;
	}
	if (len - HDR_LEN < m.len) {
		/* Test only: "done" while the data is still coming (one draw each). */
		if (n->hostile_early && pc->sess && !pc->rdma && m.type == RMEM_MSG_WRITE &&
		    !(pc->early_drawn && pc->early_id == m.id)) {
			pc->early_drawn = true;
			pc->early_id = m.id;
			pc->early = !(hostile_rand(n) % n->hostile_rate);
			if (pc->early) {
				if (!reply(out, &m, RMEM_OK, 0))
					return -ENOMEM;
				n->stats.hostile_replies++;
			}
		}
		*need = HDR_LEN + m.len;
		return 0;
	}

	n->stats.requests++;
	out_len = rmem_buf_len(out);
	if (n->drop_lose && drop_counts(n, &m) && ++n->drop_seen == n->drop_nth) {
		/* Test only: the request itself is "lost on the wire". */
		n->stats.dropped_replies++;
		rmemd_log(LOG_WARNING, "%s: test: lost request %u of type %u (id %llu): not handled",
			  pc->name ? pc->name : "?", n->drop_nth, m.type,
			  (unsigned long long)m.id);
		return (ssize_t)(HDR_LEN + m.len);
	}
	if (m.type == 0 || m.type > RMEM_MSG_TYPE_MAX ||
	    (m.flags & RMEM_MSG_F_REPLY) || m.status != 0)
		ret = reply_err(n, out, &m, RMEM_ERR_PROTO);
	else
		ret = handlers[m.type](n, pc, &m, out);
	if (ret) {
		/* -EPROTO: refused by authentication, @pc->close_reason says why. */
		if (ret == -ENOMEM)
			pc->close_reason = "out of memory for the output queue";
		return ret;
	}
	if (n->hostile_rate && pc->sess && m.type != RMEM_MSG_HELLO && m.type != RMEM_MSG_AUTH)
		rmem_proto_hostile(n, pc, &m, out, out_len);
	if (pc->early_drawn && pc->early_id == m.id && m.type == RMEM_MSG_WRITE) {
		/* Answered early: the real reply is not sent. */
		if (pc->early)
			rmem_buf_truncate(out, out_len);
		pc->early = false;
		pc->early_drawn = false;
	}
	if (!n->drop_lose && drop_counts(n, &m) && ++n->drop_seen == n->drop_nth) {
		/* Test only: handled, but the reply is "lost on the wire". */
		rmem_buf_truncate(out, out_len);
		n->stats.dropped_replies++;
		rmemd_log(LOG_WARNING, "%s: test: dropped the reply to request %u of type %u (id %llu)",
			  pc->name ? pc->name : "?", n->drop_nth, m.type,
			  (unsigned long long)m.id);
	}
	return (ssize_t)(HDR_LEN + m.len);
}

/**
 * rmem_proto_datagram() - handle one message that arrived whole (RDMA RECV)
 * @n: server state (set @n->now_ms first)
 * @pc: connection state
 * @in: the received bytes: exactly one message
 * @len: bytes in @in
 * @out: output queue; the reply is appended
 *
 * A message-based transport delivers one message per receive, so a short
 * message (header or payload cut off) or bytes after the message are bad
 * framing, like a bad magic.
 *
 * Return: 0 when the message was handled; -EPROTO when the connection must
 * be closed (@pc->close_reason says why; an error reply may have been
 * appended); -ENOMEM when @out cannot grow; -ECONNRESET when @pc was cut
 * off (nothing handled, nothing to send).
 */
int rmem_proto_datagram(struct rmem_node *n, struct rmem_pconn *pc,
			const uint8_t *in, size_t len, struct rmem_buf *out)
{
	size_t need = 0;
	ssize_t r = rmem_proto_step(n, pc, in, len, out, &need);

	if (r < 0)
		return (int)r;
	if (r == 0 || (size_t)r != len) {
		pc->close_reason = r ? "bytes after the message in one receive" :
				       "message cut short by the receive size";
		n->stats.errors++;
		n->stats.proto_closes++;
		return -EPROTO;
	}
	return 0;
}

/* With auth psk: the request's key must be ours and its mac right. */
static uint32_t cm_req_check_mac(struct rmem_node *n, const struct rmem_rdma_cm_req *req,
				 struct rmem_rdma_cm_info *info)
{
	uint8_t mac[RMEM_RDMA_CM_MAC_LEN];
	const struct rmem_auth_key *k;
	bool good;

	k = rmem_auth_key_find(n->keys, n->nkeys, info->key_id, &info->key_idx);
	if (!k) {
		n->stats.auth_failures++;
		n->stats.auth_unknown_key++;
		return RMEM_ERR_PERM;
	}
	good = !rmem_auth_cm_req_mac(k, req, mac) && rmem_auth_equal(mac, req->mac, sizeof(mac));
	if (!good) {
		info->key_idx = -1;
		n->stats.auth_failures++;
		n->stats.auth_bad_mac++;
		return RMEM_ERR_PERM;
	}
	return RMEM_OK;
}

/**
 * rmem_rdma_cm_req_parse() - validate an RDMA connect request's private data
 * @n: server state: its keys, when authentication is on; auth failures
 *	are counted in its stats
 * @data: private data as received (the CM may pad it with zeros, so more
 *	than sizeof(struct rmem_rdma_cm_req) bytes is fine)
 * @len: its length
 * @info: the fields, in host order, when RMEM_OK is returned
 *
 * Magic and version are checked first, so that a version 1 request (32
 * bytes, or padded to more) gets VERSION. With auth psk the key id must be
 * one of @n's and the mac right, before anything else is looked at; with
 * auth none key_id, nonce and mac are ignored. Reserved bytes are ignored,
 * as everywhere on the wire.
 *
 * Return: RMEM_OK, or the RMEM_ERR_* to reject the connection with:
 * PROTO (too short, bad magic), VERSION, PERM (unknown key, bad mac),
 * INVAL (depth out of range, session 0).
 */
uint32_t rmem_rdma_cm_req_parse(struct rmem_node *n, const void *data, size_t len,
				struct rmem_rdma_cm_info *info)
{
	struct rmem_rdma_cm_req req;
	uint16_t depth;
	uint32_t st;

	/* magic, version: the prefix every version shares */
	if (!data || len < 5)
		return RMEM_ERR_PROTO;
	memset(&req, 0, sizeof(req));
	memcpy(&req, data, len < sizeof(req) ? len : sizeof(req));
	if (le32toh(req.magic) != RMEM_PROTO_MAGIC)
		return RMEM_ERR_PROTO;
	if (req.version != RMEM_PROTO_VERSION) {
		n->stats.version_refused++;
		return RMEM_ERR_VERSION;
	}
	if (len < sizeof(req))
		return RMEM_ERR_PROTO;
	info->key_id = le64toh(req.key_id);
	info->key_idx = -1;
	if (n->auth) {
		st = cm_req_check_mac(n, &req, info);
		if (st)
			return st;
	}
	depth = le16toh(req.depth);
	if (depth < 1 || depth > RMEM_RDMA_MAX_DEPTH)
		return RMEM_ERR_INVAL;
	if (!req.session)
		return RMEM_ERR_INVAL;
	memcpy(info->nonce, req.nonce, sizeof(info->nonce));
	info->session = le64toh(req.session);
	info->queue = le32toh(req.queue);
	info->depth = depth;
	return RMEM_OK;
}

/**
 * rmem_rdma_cm_rep_build() - private data of an RDMA accept or reject
 * @rep: filled in wire order
 * @status: RMEM_OK (accept) or RMEM_ERR_* (reject)
 * @depth: receives kept posted (accept), 0 (reject)
 */
void rmem_rdma_cm_rep_build(struct rmem_rdma_cm_rep *rep, uint32_t status,
			    uint16_t depth)
{
	memset(rep, 0, sizeof(*rep));
	rep->magic = htole32(RMEM_PROTO_MAGIC);
	rep->version = RMEM_PROTO_VERSION;
	rep->depth = htole16(status ? 0 : depth);
	rep->status = htole32(status);
}
