// SPDX-License-Identifier: GPL-2.0
/*
 * rmem_rdma_client - a userspace RDMA client of rmemd, for tests.
 *
 *   rmem_rdma_client check ADDR PORT [--session S] [--keep] [--hold SEC]
 *	connect (random session, or S), HELLO (RDMA must be granted),
 *	SLAB_ALLOC, RDMA WRITE a pattern into the slab, RDMA READ it back and
 *	compare, PING, SLAB_FREE (not with --keep: the slab stays with the
 *	session; its rkey and addr are printed), wait SEC seconds with the
 *	connection open (--hold), disconnect.
 *   rmem_rdma_client rogue ADDR PORT [--guesses N] [--rkey R --addr A]
 *	isolation: session A writes its slab; session B (its own slab, so it
 *	knows a valid rkey of its own) tries RDMA READ with A's rkey, rkey 0,
 *	its own rkey at A's address, its own rkey past its slab's end, and
 *	rkeys guessed around A's and its own (+-1..N, default 16), each on a
 *	fresh connection since a failed access kills the QP; plus R/A when
 *	given. Every attempt must fail; then A's data must be intact and A's
 *	connection still work.
 *   rmem_rdma_client steal ADDR PORT --rkey R --addr A [--len L] [--session S]
 *	one RDMA READ of L bytes (default 4096) at A with R from a fresh
 *	session (or a new connection of session S): exit 0 when refused, 1
 *	when it returned data.
 *   rmem_rdma_client replay ADDR PORT
 *	an honest connection (signed connect request, AUTH, HELLO, a slab
 *	kept), then its exact connect request sent again, as someone who
 *	recorded it would: exit 0 when rmemd rejects it with RMEM_ERR_PERM,
 *	1 when it accepts it.
 *   rmem_rdma_client idle ADDR PORT [--hold SEC]
 *	connect (a valid connect request) and never say AUTH or HELLO: exit 0
 *	when rmemd disconnects the QP within SEC seconds (default 30), 1 when
 *	it is still connected then.
 *
 * Every mode takes --key-file PATH (default: the file named by
 * $RMEM_KEY_FILE): with a key, connect requests carry its key id and mac
 * and each connection authenticates (AUTH, then HELLO with its mac) as the
 * module does; with none, it speaks to an rmemd with "auth none". Key files
 * and MACs are rmemd's own code (common/rmem-key.c, daemon/auth.c).
 *
 * Exit status: 0 success, 1 test failure, 2 usage or setup error (no RDMA
 * device, rmemd unreachable, an unusable key file...). Lines starting with
 * "# " say what happened.
 */
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include "auth.h"
#include "rmem-key.h"
#include "rmem-proto.h"

#define MSG		RMEM_RDMA_MSG_SIZE
#define DEPTH		4
#define TIMEOUT_MS	15000	/* TCG guests are slow */
#define IO_MAX		(256u << 10)

#define WR_SEND		1
#define WR_RECV		2	/* | index << 8 */
#define WR_RDMA		3

struct cl {
	const char *name;
	struct rdma_event_channel *ech;
	struct rdma_cm_id *id;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	uint8_t msgs[(DEPTH + 1) * MSG];	/* DEPTH receives, then one send */
	struct ibv_mr *msg_mr;
	uint8_t *io;			/* local buffer for RDMA READ/WRITE */
	struct ibv_mr *io_mr;
	uint64_t session;
	uint16_t server_depth;
	uint64_t next_id;
	bool connected;
	/* from HELLO */
	uint64_t features;
	uint64_t slab_size;
	uint32_t hello_flags;
};

struct slab {
	uint32_t slab;
	uint32_t rkey;
	uint64_t addr;
	uint64_t size;
};

static const char *srv_addr, *srv_port;
static struct rmem_auth_key key;	/* with have_key: authenticate */
static bool have_key;
static uint64_t opt_session;	/* 0: random */
static bool opt_keep;
static unsigned int opt_hold;
/* The last connect request sent; when replay_req is set, send it instead. */
static struct rmem_rdma_cm_req last_req;
static const struct rmem_rdma_cm_req *replay_req;
static uint32_t last_reject;	/* status of the last rejection, or ~0 */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t rand64(void)
{
	uint64_t v = 0;

	while (!v)
		if (getrandom(&v, sizeof(v), 0) != sizeof(v))
			v = (uint64_t)now_ms() * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
	return v;
}

/* The 8-byte word at slab offset @off for pattern @seed. */
static uint64_t pattern(uint64_t seed, uint64_t off)
{
	uint64_t x = seed ^ (off * 0x9e3779b97f4a7c15ull);

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	return x ^ (x >> 29);
}

static void fill(uint8_t *buf, uint64_t seed, uint64_t off, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t w = pattern(seed, off + i);

		memcpy(buf + i, &w, 8);
	}
}

/* Returns the number of mismatching words; prints the first few. */
static size_t compare(const uint8_t *buf, uint64_t seed, uint64_t off, size_t len,
		      const char *what)
{
	size_t bad = 0;

	for (size_t i = 0; i < len; i += 8) {
		uint64_t w, want = pattern(seed, off + i);

		memcpy(&w, buf + i, 8);
		if (w != want && bad++ < 4)
			say("%s: mismatch at slab offset %#" PRIx64 ": got %016" PRIx64
			    ", want %016" PRIx64, what, off + i, w, want);
	}
	return bad;
}

static int wait_cm(struct cl *c, enum rdma_cm_event_type want, struct rdma_cm_event **out)
{
	struct pollfd pfd = { .fd = c->ech->fd, .events = POLLIN };
	struct rdma_cm_event *ev;

	if (poll(&pfd, 1, TIMEOUT_MS) <= 0) {
		say("%s: timed out waiting for %s", c->name, rdma_event_str(want));
		return -1;
	}
	if (rdma_get_cm_event(c->ech, &ev)) {
		say("%s: rdma_get_cm_event: %s", c->name, strerror(errno));
		return -1;
	}
	if (ev->event != want) {
		if (ev->event == RDMA_CM_EVENT_REJECTED && ev->param.conn.private_data &&
		    ev->param.conn.private_data_len >= sizeof(struct rmem_rdma_cm_rep)) {
			struct rmem_rdma_cm_rep rep;

			memcpy(&rep, ev->param.conn.private_data, sizeof(rep));
			last_reject = le32toh(rep.status);
			say("%s: connection rejected by rmemd, status %u", c->name,
			    le32toh(rep.status));
		} else {
			say("%s: got %s (status %d), expected %s", c->name,
			    rdma_event_str(ev->event), ev->status, rdma_event_str(want));
		}
		rdma_ack_cm_event(ev);
		return -1;
	}
	if (out)
		*out = ev;
	else
		rdma_ack_cm_event(ev);
	return 0;
}

static int post_recv(struct cl *c, unsigned int i)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)(c->msgs + i * MSG), .length = MSG, .lkey = c->msg_mr->lkey,
	};
	struct ibv_recv_wr wr = { .wr_id = WR_RECV | (i << 8), .sg_list = &sge, .num_sge = 1 };
	struct ibv_recv_wr *bad;

	return ibv_post_recv(c->id->qp, &wr, &bad);
}

static void cl_close(struct cl *c)
{
	if (c->connected)
		rdma_disconnect(c->id);
	if (c->id && c->id->qp)
		rdma_destroy_qp(c->id);
	if (c->msg_mr)
		ibv_dereg_mr(c->msg_mr);
	if (c->io_mr)
		ibv_dereg_mr(c->io_mr);
	if (c->cq)
		ibv_destroy_cq(c->cq);
	if (c->pd)
		ibv_dealloc_pd(c->pd);
	if (c->id)
		rdma_destroy_id(c->id);
	if (c->ech)
		rdma_destroy_event_channel(c->ech);
	free(c->io);
	memset(c, 0, sizeof(*c));
}

/* Connect to rmemd as session @session; returns 0, or -1 after saying why. */
static int cl_connect(struct cl *c, const char *name, uint64_t session)
{
	struct rdma_addrinfo hints = { .ai_port_space = RDMA_PS_TCP }, *res;
	struct rmem_rdma_cm_req req;
	struct rmem_rdma_cm_rep rep;
	struct rdma_conn_param cp;
	struct ibv_qp_init_attr qa;
	struct rdma_cm_event *ev;

	memset(c, 0, sizeof(*c));
	c->name = name;
	c->session = session;
	c->ech = rdma_create_event_channel();
	if (!c->ech) {
		say("%s: rdma_create_event_channel: %s", name, strerror(errno));
		return -1;
	}
	if (rdma_create_id(c->ech, &c->id, c, RDMA_PS_TCP)) {
		say("%s: rdma_create_id: %s", name, strerror(errno));
		goto out;
	}
	if (rdma_getaddrinfo(srv_addr, srv_port, &hints, &res)) {
		say("%s: rdma_getaddrinfo %s:%s: %s", name, srv_addr, srv_port, strerror(errno));
		goto out;
	}
	if (rdma_resolve_addr(c->id, NULL, res->ai_dst_addr, 5000)) {
		say("%s: rdma_resolve_addr: %s", name, strerror(errno));
		rdma_freeaddrinfo(res);
		goto out;
	}
	rdma_freeaddrinfo(res);
	if (wait_cm(c, RDMA_CM_EVENT_ADDR_RESOLVED, NULL))
		goto out;
	if (rdma_resolve_route(c->id, 5000) || wait_cm(c, RDMA_CM_EVENT_ROUTE_RESOLVED, NULL)) {
		say("%s: route to %s not resolved", name, srv_addr);
		goto out;
	}

	c->pd = ibv_alloc_pd(c->id->verbs);
	c->cq = c->pd ? ibv_create_cq(c->id->verbs, 2 * DEPTH + 4, NULL, NULL, 0) : NULL;
	c->io = aligned_alloc(4096, IO_MAX);
	if (!c->cq || !c->io) {
		say("%s: PD/CQ/buffer: %s", name, strerror(errno));
		goto out;
	}
	c->msg_mr = ibv_reg_mr(c->pd, c->msgs, sizeof(c->msgs), IBV_ACCESS_LOCAL_WRITE);
	c->io_mr = ibv_reg_mr(c->pd, c->io, IO_MAX, IBV_ACCESS_LOCAL_WRITE);
	if (!c->msg_mr || !c->io_mr) {
		say("%s: ibv_reg_mr: %s", name, strerror(errno));
		goto out;
	}
	memset(&qa, 0, sizeof(qa));
	qa.send_cq = qa.recv_cq = c->cq;
	qa.qp_type = IBV_QPT_RC;
	qa.cap.max_send_wr = DEPTH + 2;
	qa.cap.max_recv_wr = DEPTH;
	qa.cap.max_send_sge = qa.cap.max_recv_sge = 1;
	if (rdma_create_qp(c->id, c->pd, &qa)) {
		say("%s: rdma_create_qp: %s", name, strerror(errno));
		goto out;
	}
	for (unsigned int i = 0; i < DEPTH; i++)
		if (post_recv(c, i)) {
			say("%s: ibv_post_recv failed", name);
			goto out;
		}

	memset(&req, 0, sizeof(req));
	req.magic = htole32(RMEM_PROTO_MAGIC);
	req.version = RMEM_PROTO_VERSION;
	req.depth = htole16(DEPTH);
	req.session = htole64(session);
	if (have_key && rmem_auth_cm_req_sign(&key, &req)) {
		say("%s: cannot sign the connect request", name);
		goto out;
	}
	if (replay_req)
		req = *replay_req;
	last_req = req;
	memset(&cp, 0, sizeof(cp));
	cp.private_data = &req;
	cp.private_data_len = sizeof(req);
	cp.initiator_depth = 4;		/* our RDMA READs in flight */
	cp.responder_resources = 0;
	cp.retry_count = 7;
	cp.rnr_retry_count = 7;
	if (rdma_connect(c->id, &cp)) {
		say("%s: rdma_connect: %s", name, strerror(errno));
		goto out;
	}
	if (wait_cm(c, RDMA_CM_EVENT_ESTABLISHED, &ev))
		goto out;
	if (ev->param.conn.private_data_len < sizeof(rep) || !ev->param.conn.private_data) {
		say("%s: accept without struct rmem_rdma_cm_rep", name);
		rdma_ack_cm_event(ev);
		goto out;
	}
	memcpy(&rep, ev->param.conn.private_data, sizeof(rep));
	rdma_ack_cm_event(ev);
	c->connected = true;
	if (le32toh(rep.magic) != RMEM_PROTO_MAGIC || le32toh(rep.status) ||
	    !le16toh(rep.depth)) {
		say("%s: bad accept private data (magic %#x status %u depth %u)", name,
		    le32toh(rep.magic), le32toh(rep.status), le16toh(rep.depth));
		goto out;
	}
	c->server_depth = le16toh(rep.depth);
	return 0;
out:
	cl_close(c);
	return -1;
}

/* Wait for the completion of @wr_id, or the first failed one. */
static int wait_wc(struct cl *c, uint64_t wr_id, struct ibv_wc *out)
{
	uint64_t deadline = now_ms() + TIMEOUT_MS;
	struct ibv_wc wc;

	for (;;) {
		int n = ibv_poll_cq(c->cq, 1, &wc);

		if (n < 0)
			return -1;
		if (n == 0) {
			if (now_ms() > deadline) {
				say("%s: no completion after %d ms", c->name, TIMEOUT_MS);
				return -1;
			}
			continue;
		}
		/* a failed WR means the QP is in error: report that too */
		if (wc.wr_id == wr_id || wc.status != IBV_WC_SUCCESS) {
			*out = wc;
			return 0;
		}
	}
}

/*
 * One request, one reply. Returns the reply status (RMEM_OK...), or -1 on
 * a transport error. The reply payload is copied to @rp (up to @rplen).
 */
static int rpc(struct cl *c, uint8_t type, const void *pl, uint32_t len, void *rp,
	       uint32_t rplen)
{
	struct rmem_msg_hdr h = {
		.magic = htole32(RMEM_PROTO_MAGIC), .version = RMEM_PROTO_VERSION,
		.type = type, .len = htole32(len), .id = htole64(++c->next_id),
	};
	uint8_t *sb = c->msgs + DEPTH * MSG;
	struct ibv_sge sge = { .addr = (uintptr_t)sb, .length = sizeof(h) + len,
			       .lkey = c->msg_mr->lkey };
	struct ibv_send_wr wr = { .wr_id = WR_SEND, .sg_list = &sge, .num_sge = 1,
				  .opcode = IBV_WR_SEND, .send_flags = IBV_SEND_SIGNALED };
	struct ibv_send_wr *bad;
	struct ibv_wc wc;
	struct rmem_msg_hdr rh = { 0 };
	unsigned int i;
	bool got_send = false, got_recv = false;
	const uint8_t *rb = NULL;

	memcpy(sb, &h, sizeof(h));
	if (len)
		memcpy(sb + sizeof(h), pl, len);
	if (ibv_post_send(c->id->qp, &wr, &bad)) {
		say("%s: ibv_post_send failed", c->name);
		return -1;
	}
	while (!got_send || !got_recv) {
		uint64_t deadline = now_ms() + TIMEOUT_MS;
		int n;

		while ((n = ibv_poll_cq(c->cq, 1, &wc)) == 0 && now_ms() < deadline)
			;
		if (n <= 0) {
			say("%s: no reply to message type %u", c->name, type);
			return -1;
		}
		if (wc.status != IBV_WC_SUCCESS) {
			say("%s: %s completion: %s", c->name,
			    wc.wr_id == WR_SEND ? "SEND" : "RECV", ibv_wc_status_str(wc.status));
			return -1;
		}
		if (wc.wr_id == WR_SEND) {
			got_send = true;
			continue;
		}
		i = (unsigned int)(wc.wr_id >> 8);
		rb = c->msgs + i * MSG;
		if (wc.byte_len < sizeof(rh)) {
			say("%s: short reply (%u bytes)", c->name, wc.byte_len);
			return -1;
		}
		memcpy(&rh, rb, sizeof(rh));
		if (le32toh(rh.magic) != RMEM_PROTO_MAGIC || rh.type != type ||
		    le64toh(rh.id) != c->next_id || !(le16toh(rh.flags) & RMEM_MSG_F_REPLY) ||
		    sizeof(rh) + le32toh(rh.len) > wc.byte_len) {
			say("%s: malformed reply to type %u", c->name, type);
			return -1;
		}
		if (rp && !rh.status) {
			uint32_t l = le32toh(rh.len) < rplen ? le32toh(rh.len) : rplen;

			memcpy(rp, rb + sizeof(rh), l);
		}
		got_recv = true;
		if (post_recv(c, i)) {
			say("%s: ibv_post_recv failed", c->name);
			return -1;
		}
	}
	return (int)le32toh(rh.status);
}

/* AUTH: on success @nc and @ns hold this connection's nonces. */
static int cl_auth(struct cl *c, uint8_t *nc, uint8_t *ns)
{
	struct rmem_auth req = { .key_id = htole64(key.id) };
	struct rmem_auth_reply rep;
	uint8_t mac[RMEM_AUTH_MAC_LEN];
	int st;

	if (rmem_auth_nonce(req.nonce, sizeof(req.nonce)))
		return -1;
	memcpy(nc, req.nonce, RMEM_AUTH_NONCE_LEN);
	st = rpc(c, RMEM_MSG_AUTH, &req, sizeof(req), &rep, sizeof(rep));
	if (st) {
		say("%s: AUTH failed (status %d)", c->name, st);
		return -1;
	}
	if (rmem_auth_server_mac(&key, nc, rep.nonce, mac) ||
	    !rmem_auth_equal(mac, rep.mac, sizeof(mac))) {
		say("%s: AUTH reply's mac is wrong: the server does not hold our key", c->name);
		return -1;
	}
	memcpy(ns, rep.nonce, RMEM_AUTH_NONCE_LEN);
	return 0;
}

static int cl_hello(struct cl *c)
{
	uint8_t nc[RMEM_AUTH_NONCE_LEN], ns[RMEM_AUTH_NONCE_LEN];
	struct rmem_hello req;
	struct rmem_hello_reply rep;
	int st;

	if (have_key && cl_auth(c, nc, ns))
		return -1;
	memset(&req, 0, sizeof(req));
	req.features = htole64(RMEM_PROTO_FEAT_RDMA | (have_key ? RMEM_PROTO_FEAT_AUTH : 0));
	req.session = htole64(c->session);
	req.max_io = htole32(0);
	if (have_key)
		rmem_auth_hello_mac(&key, nc, ns, &req, req.mac);
	st = rpc(c, RMEM_MSG_HELLO, &req, sizeof(req), &rep, sizeof(rep));
	if (st) {
		say("%s: HELLO failed (status %d)", c->name, st);
		return -1;
	}
	c->features = le64toh(rep.features);
	c->slab_size = le64toh(rep.slab_size);
	c->hello_flags = le32toh(rep.flags);
	say("%s: HELLO: session %016" PRIx64 ", features %#" PRIx64 ", slab size %" PRIu64
	    ", %u/%u slabs free%s, server depth %u", c->name, c->session, c->features,
	    c->slab_size, le32toh(rep.slabs_free), le32toh(rep.slabs_total),
	    c->hello_flags & RMEM_HELLO_F_RESUMED ? ", resumed" : "", c->server_depth);
	if (!(c->features & RMEM_PROTO_FEAT_RDMA)) {
		say("%s: RMEM_PROTO_FEAT_RDMA not granted", c->name);
		return -1;
	}
	return 0;
}

static int cl_alloc(struct cl *c, struct slab *s)
{
	struct rmem_slab_alloc_reply rep;
	int st = rpc(c, RMEM_MSG_SLAB_ALLOC, NULL, 0, &rep, sizeof(rep));

	if (st) {
		say("%s: SLAB_ALLOC failed (status %d)", c->name, st);
		return -1;
	}
	s->slab = le32toh(rep.slab);
	s->rkey = le32toh(rep.rkey);
	s->addr = le64toh(rep.addr);
	s->size = le64toh(rep.size);
	say("%s: SLAB_ALLOC: slab %u, rkey %#x, addr %#" PRIx64 ", size %" PRIu64, c->name,
	    s->slab, s->rkey, s->addr, s->size);
	if (!s->rkey || !s->addr || !s->size) {
		say("%s: slab without rkey/addr over RDMA", c->name);
		return -1;
	}
	return 0;
}

static int cl_free(struct cl *c, const struct slab *s)
{
	struct rmem_slab_ref ref = { .slab = htole32(s->slab) };
	int st = rpc(c, RMEM_MSG_SLAB_FREE, &ref, sizeof(ref), NULL, 0);

	if (st)
		say("%s: SLAB_FREE %u failed (status %d)", c->name, s->slab, st);
	return st ? -1 : 0;
}

static int cl_ping(struct cl *c)
{
	struct rmem_ping_reply rep;
	int st = rpc(c, RMEM_MSG_PING, NULL, 0, &rep, sizeof(rep));

	if (st) {
		say("%s: PING failed (status %d)", c->name, st);
		return -1;
	}
	say("%s: PING: %u slabs held, %u free", c->name, le32toh(rep.slabs_held),
	    le32toh(rep.slabs_free));
	return 0;
}

/*
 * One-sided @op of @len bytes between c->io and @addr/@rkey. Returns the
 * WC status (IBV_WC_SUCCESS...), or -1 when no completion came.
 */
static int cl_rdma(struct cl *c, enum ibv_wr_opcode op, uint64_t addr, uint32_t rkey,
		   uint32_t len)
{
	struct ibv_sge sge = { .addr = (uintptr_t)c->io, .length = len, .lkey = c->io_mr->lkey };
	struct ibv_send_wr wr = { .wr_id = WR_RDMA, .sg_list = &sge, .num_sge = 1,
				  .opcode = op, .send_flags = IBV_SEND_SIGNALED };
	struct ibv_send_wr *bad;
	struct ibv_wc wc;

	wr.wr.rdma.remote_addr = addr;
	wr.wr.rdma.rkey = rkey;
	if (ibv_post_send(c->id->qp, &wr, &bad))
		return -1;
	if (wait_wc(c, WR_RDMA, &wc))
		return -1;
	return wc.status;
}

/* Write the pattern at [off, off+len) of @s, read it back, compare. */
static int write_read(struct cl *c, const struct slab *s, uint64_t seed, uint64_t off,
		      uint32_t len)
{
	int st;

	fill(c->io, seed, off, len);
	st = cl_rdma(c, IBV_WR_RDMA_WRITE, s->addr + off, s->rkey, len);
	if (st) {
		say("%s: RDMA WRITE of %u bytes at offset %#" PRIx64 ": %s", c->name, len, off,
		    st < 0 ? "no completion" : ibv_wc_status_str(st));
		return -1;
	}
	memset(c->io, 0xa5, len);
	st = cl_rdma(c, IBV_WR_RDMA_READ, s->addr + off, s->rkey, len);
	if (st) {
		say("%s: RDMA READ of %u bytes at offset %#" PRIx64 ": %s", c->name, len, off,
		    st < 0 ? "no completion" : ibv_wc_status_str(st));
		return -1;
	}
	if (compare(c->io, seed, off, len, c->name)) {
		say("%s: %u bytes at offset %#" PRIx64 " read back wrong", c->name, len, off);
		return -1;
	}
	say("%s: RDMA WRITE + READ of %u bytes at offset %#" PRIx64 ": data intact", c->name,
	    len, off);
	return 0;
}

static int do_check(void)
{
	struct cl c;
	struct slab s;
	uint64_t seed = rand64();
	int rc = 1;

	if (cl_connect(&c, "client", opt_session ? opt_session : rand64()))
		return 2;
	if (cl_hello(&c) || cl_alloc(&c, &s))
		goto out;
	if (write_read(&c, &s, seed, 0, IO_MAX) ||
	    write_read(&c, &s, seed, s.size - 4096, 4096))
		goto out;
	/* The whole first range again: the second write did not disturb it. */
	memset(c.io, 0, IO_MAX);
	if (cl_rdma(&c, IBV_WR_RDMA_READ, s.addr, s.rkey, IO_MAX) ||
	    compare(c.io, seed, 0, IO_MAX, "client")) {
		say("client: first range changed");
		goto out;
	}
	if (cl_ping(&c))
		goto out;
	if (opt_keep)
		say("client: keeping slab %u of session %016" PRIx64 ": --rkey %#x --addr %#" PRIx64,
		    s.slab, c.session, s.rkey, s.addr);
	else if (cl_free(&c, &s))
		goto out;
	if (opt_hold) {
		say("client: holding the connection for %u s", opt_hold);
		sleep(opt_hold);
	}
	say("check: PASS");
	rc = 0;
out:
	cl_close(&c);
	return rc;
}

/* A recorded connect request, replayed, must not get a QP in the session's PD. */
static int do_replay(void)
{
	struct rmem_rdma_cm_req recorded;
	uint64_t session = rand64();
	struct cl a, b;
	struct slab s;
	int rc;

	if (!have_key) {
		say("replay: needs a key (--key-file or RMEM_KEY_FILE)");
		return 2;
	}
	if (cl_connect(&a, "honest", session))
		return 2;
	if (cl_hello(&a) || cl_alloc(&a, &s)) {
		cl_close(&a);
		return 2;
	}
	recorded = last_req;
	replay_req = &recorded;
	last_reject = ~0u;
	rc = cl_connect(&b, "replayer", session);
	replay_req = NULL;
	if (!rc) {
		say("replay: the recorded connect request was accepted");
		cl_close(&b);
		rc = 1;
	} else {
		say("replay: the recorded connect request was refused (status %d)",
		    last_reject == ~0u ? -1 : (int)last_reject);
		rc = last_reject == RMEM_ERR_PERM ? 0 : 1;
	}
	cl_free(&a, &s);
	cl_close(&a);
	return rc;
}

/* A QP that never says HELLO must not keep its slot (or its PD) for long. */
static int do_idle(void)
{
	unsigned int limit = opt_hold ? opt_hold : 30;
	uint64_t t0 = now_ms(), left;
	struct rdma_cm_event *ev;
	struct pollfd pfd;
	struct cl c;
	int rc = 1;

	if (cl_connect(&c, "idle", opt_session ? opt_session : rand64()))
		return 2;
	pfd.fd = c.ech->fd;
	pfd.events = POLLIN;
	while ((left = t0 + limit * 1000ull - now_ms()) <= limit * 1000ull) {
		if (poll(&pfd, 1, (int)left) <= 0)
			break;
		if (rdma_get_cm_event(c.ech, &ev))
			break;
		if (ev->event == RDMA_CM_EVENT_DISCONNECTED) {
			rdma_ack_cm_event(ev);
			say("idle: disconnected by rmemd after %.1f s without HELLO",
			    (now_ms() - t0) / 1000.0);
			rc = 0;
			break;
		}
		rdma_ack_cm_event(ev);
	}
	if (rc)
		say("idle: still connected after %u s without HELLO", limit);
	cl_close(&c);
	return rc;
}

struct target {
	uint32_t rkey;
	uint64_t addr;
	char what[64];
};

/*
 * One steal: a fresh connection of session @sess_b, one RDMA READ of
 * @len bytes at @t. Returns 1 when the READ returned data (a hole), 0 when
 * it was refused, -1 when the connection itself failed.
 */
static int steal(uint64_t sess_b, const struct target *t, uint32_t len,
		 const struct slab *own, uint64_t victim_seed, bool verbose)
{
	struct cl b;
	int st;

	if (cl_connect(&b, "rogue", sess_b))
		return -1;
	/* A fresh QP of the session can still use the session's own rkey. */
	if (own) {
		st = cl_rdma(&b, IBV_WR_RDMA_READ, own->addr, own->rkey, 64);
		if (st) {
			say("rogue: its own slab (rkey %#x) unreadable on a new connection: %s",
			    own->rkey, st < 0 ? "no completion" : ibv_wc_status_str(st));
			cl_close(&b);
			return -1;
		}
	}
	memset(b.io, 0, len);
	st = cl_rdma(&b, IBV_WR_RDMA_READ, t->addr, t->rkey, len);
	if (st == IBV_WC_SUCCESS) {
		size_t bad = victim_seed ? compare(b.io, victim_seed, 0, len, "stolen") : 1;

		say("rogue: STOLEN: READ with %s (rkey %#x addr %#" PRIx64 ") succeeded%s",
		    t->what, t->rkey, t->addr,
		    bad < len / 8 ? ", and returned the victim's data" : "");
		cl_close(&b);
		return 1;
	}
	if (verbose)
		say("rogue: READ with %s (rkey %#x addr %#" PRIx64 "): refused (%s)", t->what,
		    t->rkey, t->addr, st < 0 ? "no completion" : ibv_wc_status_str(st));
	cl_close(&b);
	return 0;
}

static int do_rogue(int guesses, bool have_target, uint32_t t_rkey, uint64_t t_addr)
{
	struct cl a, b;
	struct slab sa, sb;
	uint64_t seed = rand64(), sess_b = rand64();
	struct target *t;
	int nt = 0, refused = 0, stolen = 0, errors = 0, rc = 1;
	const uint32_t len = 4096;

	if (cl_connect(&a, "victim", rand64()))
		return 2;
	if (cl_hello(&a) || cl_alloc(&a, &sa) || write_read(&a, &sa, seed, 0, 65536)) {
		cl_close(&a);
		return 1;
	}
	if (cl_connect(&b, "rogue", sess_b)) {
		cl_close(&a);
		return 2;
	}
	if (cl_hello(&b) || cl_alloc(&b, &sb)) {
		cl_close(&b);
		cl_close(&a);
		return 1;
	}
	cl_close(&b);	/* the session and its slab stay: reconnects below */

	t = calloc(4 * guesses + 8, sizeof(*t));
	if (!t)
		goto out;
#define T(k, ad, ...) do { t[nt].rkey = (k); t[nt].addr = (ad); \
	snprintf(t[nt].what, sizeof(t[nt].what), __VA_ARGS__); nt++; } while (0)
	T(sa.rkey, sa.addr, "the victim's rkey");
	T(0, sa.addr, "rkey 0");
	T(sb.rkey, sa.addr, "its own rkey at the victim's address");
	T(sb.rkey, sb.addr + sb.size, "its own rkey past its slab's end");
	if (have_target)
		T(t_rkey, t_addr, "the given rkey");
	for (int d = 1; d <= guesses; d++) {
		T(sa.rkey + d, sa.addr, "victim rkey + %d", d);
		T(sa.rkey - d, sa.addr, "victim rkey - %d", d);
		T(sb.rkey + d, sa.addr, "own rkey + %d", d);
		T(sb.rkey - d, sa.addr, "own rkey - %d", d);
	}
#undef T
	for (int i = 0; i < nt; i++) {
		int r = steal(sess_b, &t[i], len, &sb, t[i].addr == sa.addr ? seed : 0,
			      i < 5 || have_target);

		if (r > 0)
			stolen++;
		else if (r == 0)
			refused++;
		else
			errors++;
	}
	free(t);
	say("rogue: %d steal attempts: %d refused, %d succeeded, %d connection errors",
	    nt, refused, stolen, errors);

	/* The victim: data intact, connection alive. */
	memset(a.io, 0, 65536);
	if (cl_rdma(&a, IBV_WR_RDMA_READ, sa.addr, sa.rkey, 65536) ||
	    compare(a.io, seed, 0, 65536, "victim")) {
		say("victim: its slab does not read back intact after the attack");
		goto out;
	}
	say("victim: slab intact after the attack");
	if (cl_ping(&a) || cl_free(&a, &sa))
		goto out;
	/* Clean up the rogue's slab too. */
	if (cl_connect(&b, "rogue", sess_b) == 0) {
		if (cl_hello(&b) == 0)
			cl_free(&b, &sb);
		cl_close(&b);
	}
	if (stolen || errors) {
		say("rogue: FAIL (%d succeeded, %d errors)", stolen, errors);
		goto out;
	}
	say("rogue: PASS: every steal failed, the victim was undisturbed");
	rc = 0;
out:
	cl_close(&a);
	return rc;
}

static int do_steal(uint32_t rkey, uint64_t addr, uint32_t len)
{
	struct target t = { .rkey = rkey, .addr = addr };
	int r;

	snprintf(t.what, sizeof(t.what), "the given rkey");
	r = steal(opt_session ? opt_session : rand64(), &t, len, NULL, 0, true);
	if (r < 0)
		return 2;
	return r ? 1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: rmem_rdma_client check ADDR PORT [--session S] [--keep] [--hold SEC]\n"
		   "       rmem_rdma_client rogue ADDR PORT [--guesses N] [--rkey R --addr A]\n"
		   "       rmem_rdma_client steal ADDR PORT --rkey R --addr A [--len L] [--session S]\n"
		   "       rmem_rdma_client idle ADDR PORT [--hold SEC]\n"
		   "       rmem_rdma_client replay ADDR PORT\n"
		   "every mode: [--key-file PATH] (default $RMEM_KEY_FILE; none: auth none)\n");
}

/* The key to authenticate with, if any; returns 0, or -1 after saying why. */
static int load_key(const char *path)
{
	uint8_t raw[RMEM_AUTH_KEY_LEN];
	char err[256], id[RMEM_KEY_ID_STR_LEN];
	int rc;

	if (!path || !*path) {
		say("no key (neither --key-file nor RMEM_KEY_FILE): for an rmemd with auth none");
		return 0;
	}
	if (rmem_key_read_file(path, raw, err, sizeof(err))) {
		say("%s", err);
		return -1;
	}
	rc = rmem_auth_key_init(&key, raw);
	explicit_bzero(raw, sizeof(raw));
	if (rc) {
		say("%s: cannot compute its key id", path);
		return -1;
	}
	rmem_key_format_id(key.id, id);
	say("authenticating with key %s (%s)", id, path);
	have_key = true;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rkey", required_argument, NULL, 'r' },
		{ "addr", required_argument, NULL, 'a' },
		{ "len", required_argument, NULL, 'l' },
		{ "guesses", required_argument, NULL, 'g' },
		{ "session", required_argument, NULL, 's' },
		{ "keep", no_argument, NULL, 'k' },
		{ "hold", required_argument, NULL, 'H' },
		{ "key-file", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_rkey = false, have_addr = false;
	uint32_t rkey = 0, len = 4096;
	uint64_t addr = 0;
	int guesses = 16, o;
	const char *mode, *key_file = getenv("RMEM_KEY_FILE");

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'r':
			rkey = (uint32_t)strtoul(optarg, NULL, 0);
			have_rkey = true;
			break;
		case 'a':
			addr = strtoull(optarg, NULL, 0);
			have_addr = true;
			break;
		case 'l':
			len = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'g':
			guesses = atoi(optarg);
			break;
		case 's':
			opt_session = strtoull(optarg, NULL, 0);
			break;
		case 'k':
			opt_keep = true;
			break;
		case 'H':
			opt_hold = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'K':
			key_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 3 || guesses < 0 || guesses > 1024 || !len || len > IO_MAX ||
	    have_rkey != have_addr) {
		usage(stderr);
		return 2;
	}
	if (load_key(key_file))
		return 2;
	mode = argv[optind];
	srv_addr = argv[optind + 1];
	srv_port = argv[optind + 2];
	if (!strcmp(mode, "check"))
		return do_check();
	if (!strcmp(mode, "idle"))
		return do_idle();
	if (!strcmp(mode, "replay"))
		return do_replay();
	if (!strcmp(mode, "rogue"))
		return do_rogue(guesses, have_rkey, rkey, addr);
	if (!strcmp(mode, "steal") && have_rkey)
		return do_steal(rkey, addr, len);
	usage(stderr);
	return 2;
}
