// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the protocol engine (proto.c, session.c, pool.c, auth.c)
 * with crafted messages: every error code, every bound, sessions, resume,
 * expiry and zeroing, authentication (AUTH, HELLO macs, tenants, connect
 * request macs). No sockets: messages go straight into rmem_proto_step().
 * Most tests run the engine with auth none; test_auth() turns it on. TAP
 * on stdout.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctlcmd.h"
#include "log.h"
#include "pool.h"
#include "proto.h"
#include "tap.h"

#define SLAB	(1u << 20)	/* 1 MiB: a max-size I/O fits exactly */
#define NSLABS	4
#define INSTANCE 0x1122334455667788ull

static struct rmem_pool pool;
static struct rmem_node node;
static uint64_t next_id = 1;

struct conn {
	struct rmem_pconn pc;
	struct rmem_buf out;
	ssize_t last_rc;
};

struct reply {
	struct rmem_msg_hdr h;	/* host order */
	uint8_t *payload;
	uint32_t len;
};

static uint8_t *msg_build(uint8_t type, uint64_t id, const void *p1, uint32_t l1,
			  const void *p2, uint32_t l2, size_t *total)
{
	struct rmem_msg_hdr h = {
		.magic = htole32(RMEM_PROTO_MAGIC), .version = RMEM_PROTO_VERSION,
		.type = type, .len = htole32(l1 + l2), .id = htole64(id),
	};
	uint8_t *m = malloc(sizeof(h) + l1 + l2 + 1);

	memcpy(m, &h, sizeof(h));
	if (l1)
		memcpy(m + sizeof(h), p1, l1);
	if (l2)
		memcpy(m + sizeof(h) + l1, p2, l2);
	*total = sizeof(h) + l1 + l2;
	return m;
}

/* Feed raw bytes; returns the step result of the last call. */
static ssize_t feed(struct conn *c, const uint8_t *m, size_t len)
{
	size_t need = 0, off = 0;
	ssize_t r = 0;

	while (off < len) {
		r = rmem_proto_step(&node, &c->pc, m + off, len - off, &c->out, &need);
		if (r <= 0)
			break;
		off += r;
	}
	c->last_rc = r;
	return r;
}

/* Pop one reply from the output queue. */
static int pop(struct conn *c, struct reply *r)
{
	struct rmem_msg_hdr h;

	free(r->payload);
	r->payload = NULL;
	if (rmem_buf_len(&c->out) < sizeof(h))
		return -1;
	memcpy(&h, rmem_buf_start(&c->out), sizeof(h));
	r->h = h;
	r->h.magic = le32toh(h.magic);
	r->h.flags = le16toh(h.flags);
	r->h.len = le32toh(h.len);
	r->h.status = le32toh(h.status);
	r->h.id = le64toh(h.id);
	r->len = r->h.len;
	if (rmem_buf_len(&c->out) < sizeof(h) + r->len)
		return -1;
	r->payload = malloc(r->len + 1);
	memcpy(r->payload, rmem_buf_start(&c->out) + sizeof(h), r->len);
	rmem_buf_consume(&c->out, sizeof(h) + r->len);
	return 0;
}

/* Send one request, return the reply's status (or -1 when none came). */
static int64_t req(struct conn *c, uint8_t type, const void *p1, uint32_t l1,
		   const void *p2, uint32_t l2, struct reply *r)
{
	uint64_t id = next_id++;
	size_t total;
	uint8_t *m = msg_build(type, id, p1, l1, p2, l2, &total);

	feed(c, m, total);
	free(m);
	if (pop(c, r))
		return -1;
	if (r->h.id != id || r->h.type != type || !(r->h.flags & RMEM_MSG_F_REPLY) ||
	    r->h.magic != RMEM_PROTO_MAGIC || r->h.version != RMEM_PROTO_VERSION)
		return -2;
	if (r->h.status && r->len)
		return -3;	/* an error reply must carry no payload */
	return r->h.status;
}

static int64_t hello_q(struct conn *c, uint64_t session, uint64_t features, uint32_t queue,
		       struct rmem_hello_reply *rep)
{
	struct rmem_hello h = { .features = htole64(features), .session = htole64(session),
				.queue = htole32(queue), .max_io = htole32(RMEM_MSG_MAX_IO) };
	struct reply r = { 0 };
	int64_t st = req(c, RMEM_MSG_HELLO, &h, sizeof(h), NULL, 0, &r);

	if (st == 0 && rep) {
		if (r.len != sizeof(*rep))
			st = -4;
		else
			memcpy(rep, r.payload, sizeof(*rep));
	}
	free(r.payload);
	return st;
}

static int64_t hello(struct conn *c, uint64_t session, uint64_t features,
		     struct rmem_hello_reply *rep)
{
	return hello_q(c, session, features, 0, rep);
}

static int64_t slab_alloc(struct conn *c, uint32_t *slab)
{
	struct reply r = { 0 };
	struct rmem_slab_alloc_reply a;
	int64_t st = req(c, RMEM_MSG_SLAB_ALLOC, NULL, 0, NULL, 0, &r);

	if (st == 0) {
		if (r.len != sizeof(a)) {
			st = -4;
		} else {
			memcpy(&a, r.payload, sizeof(a));
			*slab = le32toh(a.slab);
			if (le64toh(a.size) != SLAB || a.rkey || a.addr)
				st = -5;
		}
	}
	free(r.payload);
	return st;
}

static int64_t slab_free(struct conn *c, uint32_t slab)
{
	struct rmem_slab_ref ref = { .slab = htole32(slab) };
	struct reply r = { 0 };
	int64_t st = req(c, RMEM_MSG_SLAB_FREE, &ref, sizeof(ref), NULL, 0, &r);

	free(r.payload);
	return st;
}

static int64_t io_write(struct conn *c, uint32_t slab, uint64_t off, const void *data,
			uint32_t len)
{
	struct rmem_io io = { .slab = htole32(slab), .len = htole32(len), .offset = htole64(off) };
	struct reply r = { 0 };
	int64_t st = req(c, RMEM_MSG_WRITE, &io, sizeof(io), data, len, &r);

	if (st == 0 && r.len)
		st = -4;
	free(r.payload);
	return st;
}

static int64_t io_read(struct conn *c, uint32_t slab, uint64_t off, void *data, uint32_t len)
{
	struct rmem_io io = { .slab = htole32(slab), .len = htole32(len), .offset = htole64(off) };
	struct reply r = { 0 };
	int64_t st = req(c, RMEM_MSG_READ, &io, sizeof(io), NULL, 0, &r);

	if (st == 0) {
		if (r.len != len)
			st = -4;
		else if (data)
			memcpy(data, r.payload, len);
	}
	free(r.payload);
	return st;
}

static int64_t ping(struct conn *c, struct rmem_ping_reply *p)
{
	struct reply r = { 0 };
	int64_t st = req(c, RMEM_MSG_PING, NULL, 0, NULL, 0, &r);

	if (st == 0) {
		if (r.len != sizeof(*p))
			st = -4;
		else if (p)
			memcpy(p, r.payload, sizeof(*p));
	}
	free(r.payload);
	return st;
}

/* SLAB_LIST from @first: the reply's held bits and next. */
static int64_t slab_list(struct conn *c, uint32_t first, uint64_t held[2], uint32_t *next)
{
	struct rmem_slab_ref ref = { .slab = htole32(first) };
	struct rmem_slab_list_reply lr;
	struct reply r = { 0 };
	int64_t st = req(c, RMEM_MSG_SLAB_LIST, &ref, sizeof(ref), NULL, 0, &r);

	if (st == 0) {
		if (r.len != sizeof(lr)) {
			st = -4;
		} else {
			memcpy(&lr, r.payload, sizeof(lr));
			if (le32toh(lr.first) != first)
				st = -5;
			held[0] = le64toh(lr.held[0]);
			held[1] = le64toh(lr.held[1]);
			*next = le32toh(lr.next);
		}
	}
	free(r.payload);
	return st;
}

static void conn_open(struct conn *c)
{
	memset(c, 0, sizeof(*c));
	rmem_pconn_init(&c->pc, "test");
}

static void conn_close(struct conn *c)
{
	rmem_pconn_close(&node, &c->pc);
	rmem_buf_free(&c->out);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void raw_hdr(uint8_t *m, uint32_t magic, uint8_t version, uint8_t type,
		    uint16_t flags, uint32_t len, uint32_t status, uint64_t id)
{
	struct rmem_msg_hdr h = {
		.magic = htole32(magic), .version = version, .type = type,
		.flags = htole16(flags), .len = htole32(len), .status = htole32(status),
		.id = htole64(id),
	};

	memcpy(m, &h, sizeof(h));
}

static void test_framing(void)
{
	struct conn c;
	struct reply r = { 0 };
	uint8_t m[24 + 64] = { 0 };
	size_t need = 0;
	ssize_t rc;

	/* first message not HELLO: STATE reply, then close */
	conn_open(&c);
	raw_hdr(m, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION, RMEM_MSG_PING, 0, 0, 0, 7);
	rc = feed(&c, m, 24);
	ok(rc == -EPROTO && pop(&c, &r) == 0 && r.h.status == RMEM_ERR_STATE && r.h.id == 7,
	   "non-HELLO first message: STATE reply and close");
	conn_close(&c);

	conn_open(&c);
	raw_hdr(m, 0x12345678, RMEM_PROTO_VERSION, RMEM_MSG_HELLO, 0, 64, 0, 1);
	rc = feed(&c, m, sizeof(m));
	ok(rc == -EPROTO && rmem_buf_len(&c.out) == 0 && c.pc.close_reason &&
	   strstr(c.pc.close_reason, "magic"), "bad magic: close without a reply");
	conn_close(&c);

	conn_open(&c);
	raw_hdr(m, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION + 1, RMEM_MSG_HELLO, 0, 64, 0, 3);
	rc = feed(&c, m, sizeof(m));
	ok(rc == -EPROTO && pop(&c, &r) == 0 && r.h.status == RMEM_ERR_VERSION &&
	   r.h.version == RMEM_PROTO_VERSION, "newer version: VERSION reply (in ours) and close");
	conn_close(&c);

	/* version 1 (no AUTH): a VERSION reply it can read, in its own version */
	conn_open(&c);
	raw_hdr(m, RMEM_PROTO_MAGIC, 1, RMEM_MSG_HELLO, 0, 64, 0, 8);
	rc = feed(&c, m, sizeof(m));
	ok(rc == -EPROTO && pop(&c, &r) == 0 && r.h.status == RMEM_ERR_VERSION &&
	   r.h.version == 1 && r.h.id == 8 && r.len == 0 && c.pc.close_reason &&
	   strstr(c.pc.close_reason, "protocol version 1; this rmemd speaks version 2"),
	   "version 1 HELLO: VERSION reply in version 1, close, with a clear reason");
	ok(node.stats.version_refused >= 1 && node.sessions.count == 0,
	   "version 1 HELLO: counted in version_refused, no session created");
	conn_close(&c);

	conn_open(&c);
	raw_hdr(m, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION, RMEM_MSG_HELLO, 0,
		RMEM_MSG_MAX_PAYLOAD + 1, 0, 4);
	rc = feed(&c, m, 24);	/* no payload needed to decide */
	ok(rc == -EPROTO && pop(&c, &r) == 0 && r.h.status == RMEM_ERR_TOOBIG,
	   "payload above RMEM_MSG_MAX_PAYLOAD: TOOBIG reply and close, before the payload");
	conn_close(&c);

	/* before HELLO only its one size: decided from the header alone */
	conn_open(&c);
	raw_hdr(m, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION, RMEM_MSG_HELLO, 0, RMEM_MSG_MAX_IO, 0, 6);
	rc = feed(&c, m, 24);
	ok(rc == -EPROTO && pop(&c, &r) == 0 && r.h.status == RMEM_ERR_PROTO && r.h.id == 6 &&
	   c.pc.close_reason && strstr(c.pc.close_reason, "HELLO of the wrong length"),
	   "HELLO claiming a 1 MiB payload: PROTO reply and close, before the payload");
	conn_close(&c);

	/* partial input: need grows from the header to the whole message */
	conn_open(&c);
	raw_hdr(m, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION, RMEM_MSG_HELLO, 0, 64, 0, 5);
	memset(m + 24, 0, 64);
	m[24 + 8] = 1;	/* session = 1 */
	rc = rmem_proto_step(&node, &c.pc, m, 10, &c.out, &need);
	ok(rc == 0 && need == 24, "partial header: need 24 bytes");
	rc = rmem_proto_step(&node, &c.pc, m, 30, &c.out, &need);
	ok(rc == 0 && need == 88, "partial payload: need header + payload");
	rc = rmem_proto_step(&node, &c.pc, m, sizeof(m), &c.out, &need);
	ok(rc == 88 && pop(&c, &r) == 0 && r.h.status == 0, "whole message: consumed and answered");
	conn_close(&c);

	/* byte-by-byte input gives the same result */
	conn_open(&c);
	{
		size_t have = 0;

		for (have = 1; have <= sizeof(m); have++) {
			rc = rmem_proto_step(&node, &c.pc, m, have, &c.out, &need);
			if (rc != 0)
				break;
		}
		ok(rc == 88 && have == sizeof(m), "message fed one byte at a time is handled once");
	}
	conn_close(&c);
	free(r.payload);
}

static void test_hello(void)
{
	struct conn c;
	struct rmem_hello_reply rep;
	uint8_t shortp[63] = { 0 };
	struct reply r = { 0 };

	conn_open(&c);
	ok(req(&c, RMEM_MSG_HELLO, shortp, sizeof(shortp), NULL, 0, &r) == RMEM_ERR_PROTO &&
	   c.last_rc == -EPROTO, "HELLO with a 63-byte payload: PROTO reply and close");
	conn_close(&c);
	conn_open(&c);
	ok(hello(&c, 0, RMEM_PROTO_FEAT_TCP, NULL) == RMEM_ERR_INVAL,
	   "HELLO with session 0: INVAL");
	ok(hello(&c, 0xabc, RMEM_PROTO_FEAT_TCP | RMEM_PROTO_FEAT_RDMA | RMEM_PROTO_FEAT_AUTH,
		 &rep) == 0, "HELLO after failed HELLOs succeeds");
	ok(le64toh(rep.features) == RMEM_PROTO_FEAT_TCP, "only the TCP feature is granted");
	ok(le64toh(rep.instance) == INSTANCE, "hello reply carries the instance");
	ok(le64toh(rep.slab_size) == SLAB && le32toh(rep.slabs_total) == NSLABS &&
	   le32toh(rep.slabs_free) == NSLABS, "hello reply: slab size, total and free slabs");
	ok(le32toh(rep.max_io) == RMEM_MSG_MAX_IO, "hello reply: max_io is RMEM_MSG_MAX_IO");
	ok(le32toh(rep.flags) == 0, "new session: not RESUMED");
	ok(all_zero(rep.reserved, sizeof(rep.reserved)), "hello reply: reserved bytes zero");
	ok(hello(&c, 0xabc, 0, NULL) == RMEM_ERR_STATE, "second HELLO on a connection: STATE");
	ok(ping(&c, NULL) == 0, "connection still served after the second HELLO");
	conn_close(&c);
	ok(node.sessions.count == 0, "session holding no slab is dropped with its last connection");
	free(r.payload);
}

static void test_requests(void)
{
	struct conn a, b, a2;
	struct reply r = { 0 };
	struct rmem_ping_reply pr;
	struct rmem_hello_reply rep;
	uint32_t s0 = 99, s1 = 99, sb = 99, extra;
	uint8_t *buf = malloc(RMEM_MSG_MAX_IO + 1), *back = malloc(RMEM_MSG_MAX_IO + 1);
	uint64_t errors0 = node.stats.errors;

	conn_open(&a);
	conn_open(&b);
	ok(hello(&a, 0xa, RMEM_PROTO_FEAT_TCP, NULL) == 0, "session A hello");
	ok(hello(&b, 0xb, RMEM_PROTO_FEAT_TCP, NULL) == 0, "session B hello");

	ok(slab_alloc(&a, &s0) == 0 && s0 == 0, "SLAB_ALLOC gives slab 0 first");
	ok(slab_alloc(&a, &s1) == 0 && s1 == 1, "SLAB_ALLOC gives slab 1 next");
	ok(slab_alloc(&b, &sb) == 0 && sb == 2, "session B gets slab 2");
	{
		uint64_t held[2];
		uint32_t next;

		ok(slab_list(&a, 0, held, &next) == 0 && held[0] == 0x3 && !held[1] &&
		   next == RMEM_SLAB_NONE, "SLAB_LIST for A: slabs 0 and 1, nothing more");
		ok(slab_list(&b, 0, held, &next) == 0 && held[0] == 0x4 && !held[1] &&
		   next == RMEM_SLAB_NONE, "SLAB_LIST for B: slab 2 only");
		ok(slab_list(&a, 1, held, &next) == 0 && held[0] == 0x1 && !held[1] &&
		   next == RMEM_SLAB_NONE, "SLAB_LIST from slab 1: bit 0 is slab 1");
		ok(slab_list(&a, 1u << 30, held, &next) == 0 && !held[0] && !held[1] &&
		   next == RMEM_SLAB_NONE, "SLAB_LIST past the pool: empty");
		ok(req(&a, RMEM_MSG_SLAB_LIST, NULL, 0, NULL, 0, &r) == RMEM_ERR_PROTO,
		   "SLAB_LIST without its slab_ref: PROTO");
	}
	ok(req(&a, RMEM_MSG_SLAB_ALLOC, "x", 1, NULL, 0, &r) == RMEM_ERR_PROTO,
	   "SLAB_ALLOC with a payload: PROTO");
	ok(slab_alloc(&b, &extra) == 0 && extra == 3, "last slab allocated");
	ok(slab_alloc(&a, &extra) == RMEM_ERR_NOSPC, "SLAB_ALLOC with no free slab: NOSPC");
	ok(slab_free(&b, 3) == 0, "SLAB_FREE of a held slab: OK");
	ok(slab_free(&b, 3) == RMEM_ERR_NOENT, "SLAB_FREE twice: NOENT");
	ok(slab_free(&b, s0) == RMEM_ERR_NOENT, "SLAB_FREE of another session's slab: NOENT");
	ok(slab_free(&b, NSLABS) == RMEM_ERR_NOENT && slab_free(&b, UINT32_MAX) == RMEM_ERR_NOENT,
	   "SLAB_FREE of a slab number past the pool: NOENT");
	ok(req(&b, RMEM_MSG_SLAB_FREE, "1234", 4, NULL, 0, &r) == RMEM_ERR_PROTO,
	   "SLAB_FREE with a 4-byte payload: PROTO");

	for (uint32_t i = 0; i < RMEM_MSG_MAX_IO; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	ok(io_write(&a, s0, 0, buf, RMEM_MSG_MAX_IO) == 0, "WRITE of RMEM_MSG_MAX_IO bytes: OK");
	ok(io_read(&a, s0, 0, back, RMEM_MSG_MAX_IO) == 0 &&
	   !memcmp(buf, back, RMEM_MSG_MAX_IO), "READ of RMEM_MSG_MAX_IO bytes returns the data");
	ok(io_write(&a, s1, SLAB - 8, "abcdefgh", 8) == 0,
	   "WRITE ending exactly at the slab end: OK");
	ok(io_read(&a, s1, SLAB - 8, back, 8) == 0 && !memcmp(back, "abcdefgh", 8),
	   "READ ending exactly at the slab end: OK");
	ok(io_write(&a, s1, SLAB - 7, "abcdefgh", 8) == RMEM_ERR_RANGE,
	   "WRITE one byte past the slab end: RANGE");
	ok(io_read(&a, s1, SLAB - 7, NULL, 8) == RMEM_ERR_RANGE,
	   "READ one byte past the slab end: RANGE");
	ok(io_read(&a, s1, SLAB, NULL, 1) == RMEM_ERR_RANGE, "READ at offset = slab size: RANGE");
	ok(io_read(&a, s1, UINT64_MAX, NULL, 1) == RMEM_ERR_RANGE &&
	   io_read(&a, s1, UINT64_MAX - 2, NULL, 8) == RMEM_ERR_RANGE,
	   "READ at offsets near 2^64 (overflow): RANGE");
	ok(io_read(&a, s1, 0, NULL, 0) == RMEM_ERR_INVAL, "READ of length 0: INVAL");
	ok(io_write(&a, s1, 0, NULL, 0) == RMEM_ERR_INVAL, "WRITE of length 0: INVAL");
	ok(io_read(&a, s1, 0, NULL, RMEM_MSG_MAX_IO + 1) == RMEM_ERR_TOOBIG,
	   "READ of RMEM_MSG_MAX_IO + 1 bytes: TOOBIG");
	ok(io_write(&a, s1, 0, buf, RMEM_MSG_MAX_IO + 1) == RMEM_ERR_TOOBIG,
	   "WRITE of RMEM_MSG_MAX_IO + 1 bytes: TOOBIG");
	ok(io_read(&a, NSLABS + 5, 0, NULL, 8) == RMEM_ERR_NOENT, "READ of an unknown slab: NOENT");
	ok(io_read(&a, 3, 0, NULL, 8) == RMEM_ERR_NOENT, "READ of a free slab: NOENT");
	ok(io_read(&b, s0, 0, NULL, 8) == RMEM_ERR_NOENT,
	   "READ of another session's slab: NOENT");
	ok(io_write(&b, s0, 0, "zz", 2) == RMEM_ERR_NOENT,
	   "WRITE to another session's slab: NOENT");
	ok(io_read(&a, s0, 0, back, 4) == 0 && !memcmp(back, buf, 4),
	   "the other session's failed WRITE changed nothing");
	{
		struct rmem_io io = { .slab = htole32(s0), .len = htole32(10) };

		ok(req(&a, RMEM_MSG_WRITE, &io, sizeof(io), "12345", 5, &r) == RMEM_ERR_PROTO,
		   "WRITE with fewer data bytes than len: PROTO");
		ok(req(&a, RMEM_MSG_WRITE, &io, sizeof(io), "123456789012", 12, &r) ==
		   RMEM_ERR_PROTO, "WRITE with more data bytes than len: PROTO");
		ok(req(&a, RMEM_MSG_WRITE, &io, 15, NULL, 0, &r) == RMEM_ERR_PROTO,
		   "WRITE shorter than struct rmem_io: PROTO");
		ok(req(&a, RMEM_MSG_READ, &io, sizeof(io), "x", 1, &r) == RMEM_ERR_PROTO,
		   "READ with a 17-byte payload: PROTO");
	}
	ok(req(&a, RMEM_MSG_PING, "x", 1, NULL, 0, &r) == RMEM_ERR_PROTO,
	   "PING with a payload: PROTO");
	ok(req(&a, 0, NULL, 0, NULL, 0, &r) == RMEM_ERR_PROTO, "message type 0: PROTO");
	ok(req(&a, RMEM_MSG_TYPE_MAX + 1, NULL, 0, NULL, 0, &r) == RMEM_ERR_PROTO,
	   "unknown message type: PROTO");
	{
		uint8_t m[24];

		raw_hdr(m, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION, RMEM_MSG_PING, RMEM_MSG_F_REPLY, 0, 0, 77);
		feed(&a, m, 24);
		ok(pop(&a, &r) == 0 && r.h.status == RMEM_ERR_PROTO && a.last_rc == 24,
		   "request with the REPLY flag: PROTO, connection kept");
		raw_hdr(m, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION, RMEM_MSG_PING, 0, 0, 5, 78);
		feed(&a, m, 24);
		ok(pop(&a, &r) == 0 && r.h.status == RMEM_ERR_PROTO && a.last_rc == 24,
		   "request with a non-zero status: PROTO, connection kept");
		raw_hdr(m, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION, RMEM_MSG_PING, 0x8000, 0, 0, 79);
		feed(&a, m, 24);
		ok(pop(&a, &r) == 0 && r.h.status == 0, "unknown flag bits are ignored");
	}
	ok(ping(&a, &pr) == 0 && le32toh(pr.slabs_held) == 2 && le32toh(pr.slabs_free) == 1 &&
	   le32toh(pr.instance_lo) == (uint32_t)INSTANCE,
	   "PING: free slabs, slabs held by the session, instance");
	ok(node.stats.errors > errors0, "error replies are counted");

	/* pipelined requests: replies in order, ids echoed */
	{
		uint8_t *m1, *m2, *m3, all[24 * 3];
		size_t t;
		uint64_t ids[3] = { 1001, 1002, 1003 };
		bool good = true;

		m1 = msg_build(RMEM_MSG_PING, ids[0], NULL, 0, NULL, 0, &t);
		m2 = msg_build(RMEM_MSG_SLAB_ALLOC, ids[1], "x", 1, NULL, 0, &t);
		m3 = msg_build(RMEM_MSG_PING, ids[2], NULL, 0, NULL, 0, &t);
		memcpy(all, m1, 24);
		memcpy(all + 24, m2, 25);
		feed(&a, all, 49);
		memcpy(all, m3, 24);
		feed(&a, all, 24);
		for (int i = 0; i < 3; i++)
			good = good && pop(&a, &r) == 0 && r.h.id == ids[i] &&
			       r.h.status == (i == 1 ? RMEM_ERR_PROTO : 0);
		ok(good, "pipelined requests: replies in request order with their ids");
		free(m1);
		free(m2);
		free(m3);
	}

	/* zero on reuse */
	ok(slab_free(&a, s0) == 0 && slab_alloc(&a, &extra) == 0 && extra == s0,
	   "freed slab is handed out again");
	ok(io_read(&a, extra, 0, back, RMEM_MSG_MAX_IO) == 0 && all_zero(back, RMEM_MSG_MAX_IO),
	   "reallocated slab reads zero (zeroed on free)");

	/* a second connection of session A shares its slabs */
	conn_open(&a2);
	ok(hello_q(&a2, 0xa, RMEM_PROTO_FEAT_TCP, 1, &rep) == 0 &&
	   (le32toh(rep.flags) & RMEM_HELLO_F_RESUMED), "second connection of a live session: RESUMED");
	ok(io_read(&a2, s1, SLAB - 8, back, 8) == 0 && !memcmp(back, "abcdefgh", 8),
	   "second connection reads the session's slab");

	/* resume after all connections close */
	conn_close(&a);
	conn_close(&a2);
	ok(node.sessions.count == 2 && node.sessions.idle == 1, "session A is idle, not gone");
	node.now_ms += 4000;
	rmem_sessions_expire(&node.sessions, node.now_ms);
	conn_open(&a);
	ok(hello(&a, 0xa, RMEM_PROTO_FEAT_TCP, &rep) == 0 &&
	   (le32toh(rep.flags) & RMEM_HELLO_F_RESUMED), "reconnect within the timeout: RESUMED");
	ok(io_read(&a, s1, SLAB - 8, back, 8) == 0 && !memcmp(back, "abcdefgh", 8),
	   "resumed session's data intact");

	/* expiry */
	conn_close(&a);
	node.now_ms += 4999;
	ok(rmem_sessions_expire(&node.sessions, node.now_ms) == 0, "not expired 1 ms early");
	node.now_ms += 1;
	ok(rmem_sessions_expire(&node.sessions, node.now_ms) == 1, "expired at the timeout");
	ok(pool.owner[s1] == 0 && all_zero(rmem_pool_slab(&pool, s1), SLAB),
	   "expired session's slabs are free and zeroed");
	conn_open(&a);
	ok(hello(&a, 0xa, RMEM_PROTO_FEAT_TCP, &rep) == 0 && le32toh(rep.flags) == 0,
	   "reconnect after expiry: not RESUMED");
	ok(io_read(&a, s1, 0, NULL, 8) == RMEM_ERR_NOENT, "slab of an expired session: NOENT");

	conn_close(&a);
	conn_close(&b);
	node.now_ms += 10000;
	rmem_sessions_expire(&node.sessions, node.now_ms);
	ok(pool.nfree == NSLABS && node.sessions.count == 0, "every slab back in the pool");
	ok(all_zero(pool.base, pool.size), "the whole pool is zero again");
	free(r.payload);
	free(buf);
	free(back);
}

/* ---- RDMA: the I/O-free parts (rdma.c does the verbs) ---- */

static void cm_req(uint8_t *buf, uint32_t magic, uint8_t version, uint16_t depth,
		   uint64_t session)
{
	struct rmem_rdma_cm_req q = {
		.magic = htole32(magic), .version = version, .depth = htole16(depth),
		.session = htole64(session), .queue = htole32(3),
	};

	memcpy(buf, &q, sizeof(q));
}

/* Two tenant keys, fixed so that failures reproduce. */
static struct rmem_auth_key test_keys[2];

static void test_keys_init(void)
{
	uint8_t k[RMEM_AUTH_KEY_LEN];

	for (int i = 0; i < 2; i++) {
		memset(k, 0x11 * (i + 1), sizeof(k));
		if (rmem_auth_key_init(&test_keys[i], k))
			tap_diag("rmem_auth_key_init failed");
	}
}

static void auth_on(void)
{
	node.auth = true;
	node.keys = test_keys;
	node.nkeys = 2;
}

static void auth_off(void)
{
	node.auth = false;
	node.keys = NULL;
	node.nkeys = 0;
}

#define CM_LEN	sizeof(struct rmem_rdma_cm_req)

static void test_rdma_cm(void)
{
	uint8_t pd[64] = { 0 };	/* IB CM pads connect private data to 56 bytes, or more */
	struct rmem_rdma_cm_info info = { 0 };
	struct rmem_rdma_cm_req q;
	struct rmem_rdma_cm_rep rep;
	uint64_t fails;

	cm_req(pd, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION, 16, 0x1234);
	ok(rmem_rdma_cm_req_parse(&node, pd, CM_LEN, &info) == RMEM_OK && info.session == 0x1234 &&
	   info.depth == 16 && info.queue == 3 && info.key_idx == -1,
	   "cm req: valid 56 bytes parse (auth none: no key)");
	ok(rmem_rdma_cm_req_parse(&node, pd, sizeof(pd), &info) == RMEM_OK,
	   "cm req: zero padding after the struct is accepted");
	ok(rmem_rdma_cm_req_parse(&node, pd, CM_LEN - 1, &info) == RMEM_ERR_PROTO,
	   "cm req: 55 bytes of version 2: PROTO");
	ok(rmem_rdma_cm_req_parse(&node, pd, 32, &info) == RMEM_ERR_PROTO,
	   "cm req: 32 bytes of version 2: PROTO");
	ok(rmem_rdma_cm_req_parse(&node, NULL, 0, &info) == RMEM_ERR_PROTO, "cm req: none: PROTO");
	cm_req(pd, RMEM_PROTO_MAGIC + 1, RMEM_PROTO_VERSION, 16, 0x1234);
	ok(rmem_rdma_cm_req_parse(&node, pd, CM_LEN, &info) == RMEM_ERR_PROTO,
	   "cm req: bad magic: PROTO");
	cm_req(pd, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION + 1, 16, 0x1234);
	ok(rmem_rdma_cm_req_parse(&node, pd, CM_LEN, &info) == RMEM_ERR_VERSION,
	   "cm req: unknown version: VERSION");
	/* version 1: 32 bytes, as sent over iWARP, or padded by the IB CM */
	memset(pd, 0, sizeof(pd));
	cm_req(pd, RMEM_PROTO_MAGIC, 1, 16, 0x1234);
	memset(pd + 16, 0, sizeof(pd) - 16);
	pd[16] = 3;	/* v1 queue where v2 has key_id */
	ok(rmem_rdma_cm_req_parse(&node, pd, 32, &info) == RMEM_ERR_VERSION,
	   "cm req: a 32-byte version 1 request: VERSION");
	ok(rmem_rdma_cm_req_parse(&node, pd, CM_LEN, &info) == RMEM_ERR_VERSION,
	   "cm req: a version 1 request padded to 56 bytes: VERSION");
	cm_req(pd, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION, 0, 0x1234);
	ok(rmem_rdma_cm_req_parse(&node, pd, CM_LEN, &info) == RMEM_ERR_INVAL,
	   "cm req: depth 0: INVAL");
	cm_req(pd, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION, RMEM_RDMA_MAX_DEPTH + 1, 0x1234);
	ok(rmem_rdma_cm_req_parse(&node, pd, CM_LEN, &info) == RMEM_ERR_INVAL,
	   "cm req: depth above RMEM_RDMA_MAX_DEPTH: INVAL");
	cm_req(pd, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION, RMEM_RDMA_MAX_DEPTH, 0x1234);
	ok(rmem_rdma_cm_req_parse(&node, pd, CM_LEN, &info) == RMEM_OK &&
	   info.depth == RMEM_RDMA_MAX_DEPTH, "cm req: depth RMEM_RDMA_MAX_DEPTH accepted");
	cm_req(pd, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION, 1, 0);
	ok(rmem_rdma_cm_req_parse(&node, pd, CM_LEN, &info) == RMEM_ERR_INVAL,
	   "cm req: session 0: INVAL");
	cm_req(pd, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION, 1, 7);
	pd[5] = 0xff;	/* reserved0 */
	memset(pd + 16, 0xee, 8);	/* key_id */
	memset(pd + 28, 0xdd, CM_LEN - 28);	/* nonce and mac */
	ok(rmem_rdma_cm_req_parse(&node, pd, CM_LEN, &info) == RMEM_OK && info.session == 7 &&
	   info.depth == 1, "cm req: auth none ignores reserved0, key_id, nonce and mac");

	/* auth psk: key id and truncated mac of the first 40 bytes */
	auth_on();
	fails = node.stats.auth_failures;
	memset(pd, 0, sizeof(pd));
	cm_req(pd, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION, 8, 0x5150);
	memcpy(&q, pd, sizeof(q));
	ok(!rmem_auth_cm_req_sign(&test_keys[1], &q), "cm req: signed with key 1");
	memcpy(pd, &q, sizeof(q));
	ok(rmem_rdma_cm_req_parse(&node, pd, CM_LEN, &info) == RMEM_OK && info.key_idx == 1 &&
	   info.key_id == test_keys[1].id && info.session == 0x5150,
	   "cm req (auth psk): good mac accepted, key index 1");
	ok(rmem_rdma_cm_req_parse(&node, pd, sizeof(pd), &info) == RMEM_OK,
	   "cm req (auth psk): good mac with padding after it accepted");
	pd[40] ^= 1;
	ok(rmem_rdma_cm_req_parse(&node, pd, CM_LEN, &info) == RMEM_ERR_PERM,
	   "cm req (auth psk): a flipped mac bit: PERM");
	pd[40] ^= 1;
	pd[24] ^= 1;	/* queue: covered by the mac */
	ok(rmem_rdma_cm_req_parse(&node, pd, CM_LEN, &info) == RMEM_ERR_PERM,
	   "cm req (auth psk): a changed queue (covered by the mac): PERM");
	pd[24] ^= 1;
	q.key_id = htole64(test_keys[1].id ^ 1);
	memcpy(pd, &q, sizeof(q));
	ok(rmem_rdma_cm_req_parse(&node, pd, CM_LEN, &info) == RMEM_ERR_PERM,
	   "cm req (auth psk): unknown key id: PERM");
	cm_req(pd, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION, 8, 0x5150);
	ok(rmem_rdma_cm_req_parse(&node, pd, CM_LEN, &info) == RMEM_ERR_PERM,
	   "cm req (auth psk): no key id, no mac (an auth none client): PERM");
	ok(node.stats.auth_failures == fails + 4 && node.stats.auth_unknown_key >= 2 &&
	   node.stats.auth_bad_mac >= 2, "cm req (auth psk): each refusal counted by reason");
	cm_req(pd, RMEM_PROTO_MAGIC, 1, 8, 0x5150);
	ok(rmem_rdma_cm_req_parse(&node, pd, 32, &info) == RMEM_ERR_VERSION,
	   "cm req (auth psk): version 1 still gets VERSION, not PERM");
	auth_off();

	rmem_rdma_cm_rep_build(&rep, RMEM_OK, 32);
	ok(le32toh(rep.magic) == RMEM_PROTO_MAGIC && rep.version == RMEM_PROTO_VERSION &&
	   le16toh(rep.depth) == 32 && rep.status == 0 && !rep.reserved0 && !rep.reserved,
	   "cm rep: accept carries magic, version, depth, status 0");
	rmem_rdma_cm_rep_build(&rep, RMEM_ERR_VERSION, 32);
	ok(le32toh(rep.status) == RMEM_ERR_VERSION && rep.depth == 0,
	   "cm rep: reject carries the status and depth 0");
}

/*
 * Fake transport hooks: "MRs" are flags per slab. Each check that matters
 * for isolation is recorded: a slab is registered for its holder only, and
 * is deregistered while still held and unzeroed (so no one can reach it
 * once it is zeroed and handed to someone else).
 */
static struct {
	int regs, deregs, releases, stray_deregs, bad;
	bool fail_next;
	bool live[NSLABS];
	uint64_t owner[NSLABS];
	uint32_t next_rkey;
} fk;

#define MARK	0x5a

static int fake_reg(void *ctx, void *xprt, uint64_t id, uint32_t slab, uint8_t *base,
		    uint64_t len, bool rdonly, uint32_t *rkey, uint64_t *addr)
{
	if (ctx != &fk || !xprt || slab >= NSLABS || base != rmem_pool_slab(&pool, slab) ||
	    len != SLAB || pool.owner[slab] != id || fk.live[slab] || rdonly)
		fk.bad++;
	if (fk.fail_next) {
		fk.fail_next = false;
		return -ENOMEM;
	}
	fk.regs++;
	fk.live[slab] = true;
	fk.owner[slab] = id;
	*rkey = 0x1000 + fk.next_rkey++;
	*addr = (uintptr_t)base;
	return 0;
}

/* Called before the slab is zeroed: it must still be held and written. */
static void fake_drop(uint32_t slab, uint64_t id)
{
	if (pool.owner[slab] != id || rmem_pool_slab(&pool, slab)[0] != MARK)
		fk.bad++;
	fk.live[slab] = false;
}

static void fake_dereg(void *ctx, uint64_t id, uint32_t slab)
{
	if (ctx != &fk || slab >= NSLABS) {
		fk.bad++;
		return;
	}
	if (!fk.live[slab] || fk.owner[slab] != id) {
		fk.stray_deregs++;	/* a TCP slab: nothing registered */
		return;
	}
	fake_drop(slab, id);
	fk.deregs++;
}

static void fake_release(void *ctx, uint64_t id)
{
	if (ctx != &fk)
		fk.bad++;
	for (uint32_t i = 0; i < NSLABS; i++) {
		if (fk.live[i] && fk.owner[i] == id) {
			fake_drop(i, id);
			fk.releases++;
		}
	}
}

static const struct rmem_slab_hooks fake_hooks = {
	.reg = fake_reg, .dereg = fake_dereg, .release = fake_release, .ctx = &fk,
};

static int fake_live(void)
{
	int n = 0;

	for (uint32_t i = 0; i < NSLABS; i++)
		n += fk.live[i];
	return n;
}

static int xprt_dummy;

static void rdma_open(struct conn *c, uint64_t session)
{
	conn_open(c);
	c->pc.rdma = true;
	c->pc.bound_session = session;
	c->pc.xprt = &xprt_dummy;
}

static int64_t slab_alloc_full(struct conn *c, struct rmem_slab_alloc_reply *a)
{
	struct reply r = { 0 };
	int64_t st = req(c, RMEM_MSG_SLAB_ALLOC, NULL, 0, NULL, 0, &r);

	if (st == 0) {
		if (r.len != sizeof(*a))
			st = -4;
		else
			memcpy(a, r.payload, sizeof(*a));
	}
	free(r.payload);
	return st;
}

static void test_rdma_conn(void)
{
	const uint64_t S = 0xdead0001, T = 0xdead0002;
	struct conn c, c2, t;
	struct rmem_hello_reply rep;
	struct rmem_slab_alloc_reply a, a2;
	struct rmem_ping_reply pr;
	struct rmem_io io = { .len = htole32(8) };
	struct reply r = { 0 };
	uint32_t slab, tslab, nfree;
	uint8_t data[8] = { 0 };

	/* No hooks at all: an RDMA slab cannot be registered, so none is given. */
	rdma_open(&c, S);
	ok(hello(&c, S, RMEM_PROTO_FEAT_RDMA, NULL) == 0, "RDMA: HELLO without slab hooks");
	ok(slab_alloc_full(&c, &a) == RMEM_ERR_NOSPC && pool.nfree == NSLABS,
	   "RDMA: without a reg hook SLAB_ALLOC is NOSPC and the slab stays free");
	conn_close(&c);

	memset(&fk, 0, sizeof(fk));
	node.sessions.hooks = &fake_hooks;

	rdma_open(&c, S);
	ok(hello(&c, T, RMEM_PROTO_FEAT_RDMA, NULL) == RMEM_ERR_INVAL,
	   "RDMA: HELLO naming another session than the connect request: INVAL");
	ok(node.sessions.count == 0, "RDMA: ... and no session was created");
	ok(hello(&c, S, RMEM_PROTO_FEAT_TCP | RMEM_PROTO_FEAT_RDMA, &rep) == 0,
	   "RDMA: HELLO with the connect request's session: OK");
	ok(le64toh(rep.features) == RMEM_PROTO_FEAT_RDMA, "RDMA: HELLO grants FEAT_RDMA only");
	ok(!(le32toh(rep.flags) & RMEM_HELLO_F_RESUMED),
	   "RDMA: a session named in the connect request is still new at HELLO");

	ok(slab_alloc_full(&c, &a) == 0 && fk.regs == 1 && !fk.bad,
	   "RDMA: SLAB_ALLOC registers the slab for its session");
	slab = le32toh(a.slab);
	ok(le32toh(a.rkey) == 0x1000 &&
	   le64toh(a.addr) == (uintptr_t)rmem_pool_slab(&pool, slab) &&
	   le64toh(a.size) == SLAB, "RDMA: SLAB_ALLOC reply carries rkey and the registered addr");
	ok(req(&c, RMEM_MSG_READ, &io, sizeof(io), NULL, 0, &r) == RMEM_ERR_INVAL,
	   "RDMA: READ message refused with INVAL");
	io.slab = htole32(slab);
	ok(req(&c, RMEM_MSG_WRITE, &io, sizeof(io), data, sizeof(data), &r) == RMEM_ERR_INVAL,
	   "RDMA: WRITE message refused with INVAL, even on a held slab");
	ok(req(&c, RMEM_MSG_READ, &io, 3, NULL, 0, &r) == RMEM_ERR_INVAL,
	   "RDMA: READ refused before its payload is even looked at");
	/* A remote RDMA WRITE, which the engine never sees. */
	memset(rmem_pool_slab(&pool, slab), MARK, 4096);
	ok(slab_free(&c, slab) == 0 && fk.deregs == 1 && !fk.bad,
	   "RDMA: SLAB_FREE deregisters the MR while the slab is still held and unzeroed");
	ok(all_zero(rmem_pool_slab(&pool, slab), SLAB),
	   "RDMA: a slab written only by RDMA is zeroed when freed");

	nfree = pool.nfree;
	fk.fail_next = true;
	ok(slab_alloc_full(&c, &a) == RMEM_ERR_NOSPC && pool.nfree == nfree && !fake_live(),
	   "RDMA: a failed registration fails SLAB_ALLOC and returns the slab");
	ok(slab_alloc_full(&c, &a) == 0, "RDMA: SLAB_ALLOC after a failed one");
	slab = le32toh(a.slab);
	memset(rmem_pool_slab(&pool, slab), MARK, 4096);

	/* The same session over TCP: no MR for its slabs, and a free there drops RDMA MRs too. */
	conn_open(&t);
	ok(hello_q(&t, S, RMEM_PROTO_FEAT_TCP, 1, &rep) == 0 &&
	   (le32toh(rep.flags) & RMEM_HELLO_F_RESUMED),
	   "TCP connection joins the RDMA session: RESUMED");
	ok(slab_alloc(&t, &tslab) == 0 && fk.regs == 2,
	   "TCP: SLAB_ALLOC registers nothing (rkey 0, addr 0)");
	ok(slab_free(&t, tslab) == 0 && fk.stray_deregs == 1 && fk.deregs == 1,
	   "TCP: freeing a TCP slab finds no MR to deregister");
	conn_close(&t);

	conn_close(&c);
	ok(node.sessions.count == 1 && node.sessions.idle == 1 && fake_live() == 1,
	   "RDMA: last connection closed: the session and its MR are kept");
	rdma_open(&c2, S);
	ok(hello(&c2, S, RMEM_PROTO_FEAT_RDMA, &rep) == 0 &&
	   (le32toh(rep.flags) & RMEM_HELLO_F_RESUMED), "RDMA: reconnect: RESUMED");
	ok(ping(&c2, &pr) == 0 && le32toh(pr.slabs_held) == 1 && fake_live() == 1 &&
	   fk.deregs == 1, "RDMA: reconnect: same slab, MR untouched");
	ok(slab_alloc_full(&c2, &a2) == 0 && le32toh(a2.rkey) != le32toh(a.rkey),
	   "RDMA: a second slab gets its own MR");
	memset(rmem_pool_slab(&pool, le32toh(a2.slab)), MARK, 4096);
	conn_close(&c2);

	node.now_ms += 5000;
	rmem_sessions_expire(&node.sessions, node.now_ms);
	ok(fk.releases == 2 && !fake_live() && !fk.bad,
	   "RDMA: session expiry deregisters every MR before zeroing");
	ok(pool.nfree == NSLABS && node.sessions.count == 0 && all_zero(pool.base, pool.size),
	   "RDMA: after expiry every slab is free and zero");

	/* Server stop: sessions destroyed with their MRs. */
	rdma_open(&c, S);
	ok(hello(&c, S, RMEM_PROTO_FEAT_RDMA, NULL) == 0 && slab_alloc_full(&c, &a) == 0,
	   "RDMA: new session with a slab");
	memset(rmem_pool_slab(&pool, le32toh(a.slab)), MARK, 4096);
	conn_close(&c);
	rmem_sessions_fini(&node.sessions);
	ok(!fake_live() && fk.releases == 3 && !fk.bad && pool.nfree == NSLABS,
	   "RDMA: destroying all sessions (SIGTERM) deregisters their MRs first");

	node.sessions.hooks = NULL;
	free(r.payload);
}

static void test_rdma_datagram(void)
{
	struct conn c;
	uint8_t m[RMEM_RDMA_MSG_SIZE + 8] = { 0 };
	struct rmem_hello h = { .session = htole64(77) };
	struct reply r = { 0 };

	rdma_open(&c, 77);
	raw_hdr(m, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION, RMEM_MSG_HELLO, 0, sizeof(h), 0, 1);
	memcpy(m + sizeof(struct rmem_msg_hdr), &h, sizeof(h));
	ok(rmem_proto_datagram(&node, &c.pc, m, sizeof(struct rmem_msg_hdr) + sizeof(h),
			       &c.out) == 0 && pop(&c, &r) == 0 && r.h.status == 0,
	   "datagram: a whole HELLO in one receive is handled");
	raw_hdr(m, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION, RMEM_MSG_PING, 0, 0, 0, 2);
	ok(rmem_proto_datagram(&node, &c.pc, m, sizeof(struct rmem_msg_hdr), &c.out) == 0 &&
	   pop(&c, &r) == 0 && r.h.status == 0, "datagram: PING");
	ok(rmem_proto_datagram(&node, &c.pc, m, sizeof(struct rmem_msg_hdr) + 1, &c.out) ==
	   -EPROTO && c.pc.close_reason, "datagram: bytes after the message: close");
	c.pc.close_reason = NULL;
	raw_hdr(m, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION, RMEM_MSG_SLAB_FREE, 0, 8, 0, 3);
	ok(rmem_proto_datagram(&node, &c.pc, m, sizeof(struct rmem_msg_hdr) + 4, &c.out) ==
	   -EPROTO && c.pc.close_reason, "datagram: payload cut short: close");
	ok(rmem_proto_datagram(&node, &c.pc, m, 10, &c.out) == -EPROTO,
	   "datagram: header cut short: close");
	m[0] ^= 0xff;
	ok(rmem_proto_datagram(&node, &c.pc, m, sizeof(struct rmem_msg_hdr) + 8, &c.out) ==
	   -EPROTO, "datagram: bad magic: close");
	conn_close(&c);
	ok(node.sessions.count == 0, "datagram: session dropped with the connection");
	free(r.payload);
}

/* What the engine asked of the transport: which connections to cut off, when. */
static struct {
	int calls;
	void *last;
	struct conn *newc;	/* the connection whose HELLO is being handled */
	size_t newc_out;	/* its queued replies at the cut-off */
} cut;

static void fake_cut_off(void *xprt)
{
	cut.calls++;
	cut.last = xprt;
	cut.newc_out = cut.newc ? rmem_buf_len(&cut.newc->out) : (size_t)-1;
}

static void replace_open(struct conn *c)
{
	conn_open(c);
	c->pc.xprt = c;
	c->pc.cut_off = fake_cut_off;
}

/*
 * A HELLO for session S, queue q cuts off every other connection of S that
 * said queue q, before its own reply, and nothing the old connection had
 * not handled yet is ever handled; other queues and other sessions stay.
 */
static void test_replace(void)
{
	const uint64_t S = 0x5e55, T = 0x7e55;
	struct conn a, a1, t, b, b2, r0;
	struct rmem_hello_reply rep;
	struct rmem_io io = { .len = htole32(64) };
	uint8_t v1[64], v2[64], old[64], got[64], *m, ping_m[24] = { 0 };
	uint64_t before = node.stats.replaced_conns;
	uint32_t slab;
	size_t total;

	memset(v1, 1, sizeof(v1));
	memset(v2, 2, sizeof(v2));
	memset(old, 0xee, sizeof(old));
	memset(&cut, 0, sizeof(cut));
	replace_open(&a);
	replace_open(&a1);
	replace_open(&t);
	replace_open(&b);
	replace_open(&b2);
	ok(hello_q(&a, S, RMEM_PROTO_FEAT_TCP, 0, NULL) == 0 &&
	   hello_q(&a1, S, RMEM_PROTO_FEAT_TCP, 1, NULL) == 0 &&
	   hello_q(&t, T, RMEM_PROTO_FEAT_TCP, 0, NULL) == 0 && cut.calls == 0,
	   "replace: S queues 0 and 1, T queue 0: nobody cut off");
	ok(slab_alloc(&a, &slab) == 0 && io_write(&a, slab, 0, v1, 64) == 0,
	   "replace: S queue 0 writes a block");

	/* A stale WRITE on the old queue 0, only half received. */
	io.slab = htole32(slab);
	m = msg_build(RMEM_MSG_WRITE, 999, &io, sizeof(io), old, 64, &total);
	ok(feed(&a, m, total / 2) == 0, "replace: half a WRITE buffered on the old queue 0");

	cut.newc = &b;
	ok(hello_q(&b, S, RMEM_PROTO_FEAT_TCP, 0, &rep) == 0 &&
	   (le32toh(rep.flags) & RMEM_HELLO_F_RESUMED),
	   "replace: a new connection says HELLO for S queue 0: RESUMED");
	ok(cut.calls == 1 && cut.last == &a && cut.newc_out == 0,
	   "replace: the old queue 0 is cut off, before the new hello reply is queued");
	ok(a.pc.replaced && !a.pc.sess && a.pc.close_reason &&
	   node.stats.replaced_conns == before + 1,
	   "replace: marked replaced, out of its session, counted");
	ok(b.pc.sess && b.pc.sess->nconns == 2 && b.pc.sess->nslabs == 1,
	   "replace: the session keeps its slab; the new queue 0 and queue 1 are attached");
	ok(io_write(&b, slab, 0, v1, 64) == 0 && io_write(&b, slab, 0, v2, 64) == 0,
	   "replace: the new queue 0 re-sends the write, then writes newer data");
	ok(feed(&a, m, total) == -ECONNRESET && rmem_buf_len(&a.out) == 0,
	   "replace: the whole stale WRITE on the cut-off connection: ECONNRESET, no reply");
	ok(ping(&a, NULL) == -1, "replace: nothing else is handled on it either");
	ok(io_read(&b, slab, 0, got, 64) == 0 && !memcmp(got, v2, 64),
	   "replace: the block holds the newer data");
	free(m);

	ok(ping(&a1, NULL) == 0 && ping(&t, NULL) == 0 && !a1.pc.replaced && !t.pc.replaced,
	   "replace: S queue 1 and T queue 0 are not cut off");
	ok(hello_q(&b, S, RMEM_PROTO_FEAT_TCP, 1, NULL) == RMEM_ERR_STATE && cut.calls == 1 &&
	   !a1.pc.replaced && b.pc.queue == 0,
	   "replace: a second HELLO on a connection (naming queue 1) is STATE and cuts nothing");
	cut.newc = &b2;
	ok(hello_q(&b2, 0, RMEM_PROTO_FEAT_TCP, 0, NULL) == RMEM_ERR_INVAL && cut.calls == 1,
	   "replace: a refused HELLO (session 0) cuts nothing");
	ok(hello_q(&b2, T + 1, RMEM_PROTO_FEAT_TCP, 0, NULL) == 0 && cut.calls == 1,
	   "replace: queue 0 of another session cuts nothing");
	conn_close(&b2);

	/* Across transports: an RDMA queue 0 replaced by a TCP one. */
	rdma_open(&r0, S);
	r0.pc.xprt = &r0;
	r0.pc.cut_off = fake_cut_off;
	cut.newc = NULL;
	ok(hello_q(&r0, S, RMEM_PROTO_FEAT_RDMA, 2, NULL) == 0 && cut.calls == 1,
	   "replace: an RDMA connection joins S as queue 2");
	replace_open(&b2);
	cut.newc = &b2;
	ok(hello_q(&b2, S, RMEM_PROTO_FEAT_TCP, 2, NULL) == 0 && cut.calls == 2 &&
	   cut.last == &r0 && cut.newc_out == 0 && r0.pc.replaced,
	   "replace: a TCP HELLO for queue 2 cuts the RDMA queue 2 off");
	raw_hdr(ping_m, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION, RMEM_MSG_PING, 0, 0, 0, 5);
	ok(rmem_proto_datagram(&node, &r0.pc, ping_m, sizeof(ping_m), &r0.out) == -ECONNRESET &&
	   rmem_buf_len(&r0.out) == 0, "replace: a receive on the cut-off QP is not handled");

	/* Closing a cut-off connection changes nothing more. */
	conn_close(&a);
	conn_close(&r0);
	ok(b.pc.sess->nconns == 3 && node.sessions.idle == 0,
	   "replace: closing cut-off connections leaves the session alone");
	ok(slab_free(&b, slab) == 0, "replace: the new connection frees the slab");
	conn_close(&a1);
	conn_close(&b);
	conn_close(&b2);
	conn_close(&t);
	ok(node.sessions.count == 0 && pool.nfree == NSLABS,
	   "replace: all closed: no session left, every slab free");
}

/* --test-drop-reply: exactly the Nth reply of a type is dropped, once. */
static void test_drop_reply(void)
{
	struct conn c;
	uint8_t buf[64] = { 7 }, got[64];
	uint64_t before = node.stats.dropped_replies;
	struct reply r = { 0 };
	uint32_t slab;

	conn_open(&c);
	node.drop_type = RMEM_MSG_READ;
	node.drop_nth = 2;
	node.drop_seen = 0;
	node.drop_off = -1;
	ok(hello(&c, 0xd0, RMEM_PROTO_FEAT_TCP, NULL) == 0 && slab_alloc(&c, &slab) == 0 &&
	   io_write(&c, slab, 0, buf, 64) == 0, "drop: hello, SLAB_ALLOC, WRITE answered");
	ok(io_read(&c, slab, 0, got, 64) == 0 && !memcmp(got, buf, 64), "drop: READ 1 answered");
	ok(io_read(&c, slab, 0, got, 64) == -1 && rmem_buf_len(&c.out) == 0 &&
	   node.stats.dropped_replies == before + 1, "drop: READ 2 handled, its reply dropped");
	ok(ping(&c, NULL) == 0, "drop: the connection is still served");
	ok(io_read(&c, slab, 0, got, 64) == 0 && !memcmp(got, buf, 64),
	   "drop: READ 3 answered: only one reply is dropped");
	ok(io_read(&c, slab, 0, got, 64) == 0 && node.stats.dropped_replies == before + 1,
	   "drop: and never again");
	/* TYPE:N@OFFSET: only requests at that offset in their slab count. */
	node.drop_type = RMEM_MSG_WRITE;
	node.drop_nth = 2;
	node.drop_seen = 0;
	node.drop_off = 4096;
	ok(io_write(&c, slab, 0, buf, 64) == 0 && io_write(&c, slab, 4096, buf, 64) == 0 &&
	   io_write(&c, slab, 8192, buf, 64) == 0, "drop @4096: WRITEs at 0, 4096 (1st) and 8192 answered");
	ok(io_write(&c, slab, 4096, buf, 64) == -1 && rmem_buf_len(&c.out) == 0 &&
	   node.stats.dropped_replies == before + 2, "drop @4096: the 2nd WRITE at 4096 handled, its reply dropped");
	ok(io_read(&c, slab, 4096, got, 64) == 0 && !memcmp(got, buf, 64) &&
	   io_write(&c, slab, 4096, buf, 64) == 0, "drop @4096: its data is there; the next one answered");
	node.drop_off = -1;
	node.drop_type = RMEM_MSG_SLAB_FREE;
	node.drop_nth = 1;
	node.drop_seen = 0;
	ok(req(&c, RMEM_MSG_SLAB_FREE, &(struct rmem_slab_ref){ .slab = htole32(slab) },
	       sizeof(struct rmem_slab_ref), NULL, 0, &r) == -1 && c.pc.sess->nslabs == 0,
	   "drop: SLAB_FREE done, its reply dropped");
	ok(slab_free(&c, slab) == RMEM_ERR_NOENT,
	   "drop: the resent SLAB_FREE is answered (NOENT: already free)");
	free(r.payload);
	node.drop_type = 0;
	conn_close(&c);
	ok(node.sessions.count == 0 && pool.nfree == NSLABS, "drop: closed, every slab free");
}

/* --test-lose-request: the Nth request of a type is neither handled nor answered. */
static void test_lose_request(void)
{
	struct conn c;
	uint8_t old[64], new[64], got[64];
	uint64_t before = node.stats.dropped_replies;
	uint32_t slab;

	memset(old, 0x11, sizeof(old));
	memset(new, 0x22, sizeof(new));
	conn_open(&c);
	ok(hello(&c, 0xd1, RMEM_PROTO_FEAT_TCP, NULL) == 0 && slab_alloc(&c, &slab) == 0 &&
	   io_write(&c, slab, 8192, old, 64) == 0, "lose: hello, SLAB_ALLOC, WRITE at 8192 answered");
	node.drop_type = RMEM_MSG_WRITE;
	node.drop_nth = 1;
	node.drop_seen = 0;
	node.drop_off = 8192;
	node.drop_lose = true;
	ok(io_write(&c, slab, 0, new, 64) == 0, "lose @8192: a WRITE elsewhere answered");
	ok(io_write(&c, slab, 8192, new, 64) == -1 && rmem_buf_len(&c.out) == 0 &&
	   node.stats.dropped_replies == before + 1, "lose @8192: the WRITE at 8192 gets no reply");
	ok(io_read(&c, slab, 8192, got, 64) == 0 && !memcmp(got, old, 64),
	   "lose @8192: and was not applied: the old data is there");
	ok(io_write(&c, slab, 8192, new, 64) == 0 && io_read(&c, slab, 8192, got, 64) == 0 &&
	   !memcmp(got, new, 64), "lose @8192: the next one is handled and answered");
	node.drop_type = 0;
	node.drop_lose = false;
	ok(slab_free(&c, slab) == 0, "lose: SLAB_FREE answered");
	conn_close(&c);
	ok(node.sessions.count == 0 && pool.nfree == NSLABS, "lose: closed, every slab free");
}

/*
 * --test-hostile N:early: a WRITE is answered once its header is in, before
 * its data; the data is still written, and no second reply follows.
 */
static void test_hostile_early(void)
{
	struct conn c;
	uint8_t data[4096], got[4096];
	struct rmem_io io = { .len = htole32(sizeof(data)) };
	struct reply r = { 0 };
	uint64_t before = node.stats.hostile_replies;
	size_t total, out;
	uint32_t slab;
	uint8_t *m;

	memset(data, 0x5a, sizeof(data));
	conn_open(&c);
	ok(hello(&c, 0xe7, RMEM_PROTO_FEAT_TCP, NULL) == 0 && slab_alloc(&c, &slab) == 0,
	   "early: hello, SLAB_ALLOC");
	node.hostile_rate = 1;
	node.hostile_early = true;
	node.hostile_rng = 0x9e3779b97f4a7c15ULL;
	ok(ping(&c, NULL) == 0, "early: other replies are left alone");
	io.slab = htole32(slab);
	m = msg_build(RMEM_MSG_WRITE, 4242, &io, sizeof(io), data, sizeof(data), &total);
	ok(feed(&c, m, total / 2) == 0 && pop(&c, &r) == 0 && r.h.id == 4242 &&
	   r.h.type == RMEM_MSG_WRITE && !r.h.status && !r.len &&
	   node.stats.hostile_replies == before + 1,
	   "early: half a WRITE in: it is answered \"done\" already");
	ok(feed(&c, m, total) == (ssize_t)total, "early: the whole WRITE handled");
	out = rmem_buf_len(&c.out);
	ok(out == 0, "early: the whole WRITE in: no second reply (%zu bytes queued)", out);
	free(m);
	node.hostile_rate = 0;
	node.hostile_early = false;
	ok(io_read(&c, slab, 0, got, sizeof(got)) == 0 && !memcmp(got, data, sizeof(data)),
	   "early: the data was written all the same");
	ok(io_write(&c, slab, 0, data, 64) == 0, "early: off again: a WRITE gets its one reply");
	free(r.payload);
	ok(slab_free(&c, slab) == 0, "early: slab freed");
	conn_close(&c);
}

/*
 * A SLAB_ALLOC with every reply mangled (rate 1; wrong rkeys too when @rkey,
 * only wrong slabs when @slab).
 * True when a whole reply of a SLAB_ALLOC reply's size came: its header and
 * payload (raw, little-endian) in @h and @rep. The output queue is emptied.
 */
static bool hostile_slab_alloc(struct conn *c, uint64_t id, bool rkey, bool slab,
			       struct rmem_msg_hdr *h, struct rmem_slab_alloc_reply *rep)
{
	size_t total;
	uint8_t *msg = msg_build(RMEM_MSG_SLAB_ALLOC, id, NULL, 0, NULL, 0, &total);
	bool whole = false;

	node.hostile_rate = 1;
	node.hostile_rkey = rkey;
	node.hostile_slab = slab;
	feed(c, msg, total);
	node.hostile_rate = 0;
	node.hostile_rkey = false;
	node.hostile_slab = false;
	free(msg);
	if (rmem_buf_len(&c->out) == sizeof(*h) + sizeof(*rep)) {
		memcpy(h, rmem_buf_start(&c->out), sizeof(*h));
		memcpy(rep, rmem_buf_start(&c->out) + sizeof(*h), sizeof(*rep));
		whole = true;
	}
	rmem_buf_consume(&c->out, rmem_buf_len(&c->out));
	return whole;
}

/*
 * --test-hostile: with a rate of 1 every reply after HELLO is mangled, each
 * in one of the documented ways, and counted; HELLO itself never is.
 */
static void test_hostile(void)
{
	struct rmem_msg_hdr want = {
		.magic = htole32(RMEM_PROTO_MAGIC), .version = RMEM_PROTO_VERSION,
		.type = RMEM_MSG_PING, .flags = htole16(RMEM_MSG_F_REPLY),
		.len = htole32(sizeof(struct rmem_ping_reply)),
	};
	const size_t rlen = sizeof(want) + sizeof(struct rmem_ping_reply);
	unsigned int i, changed = 0, none = 0, twice = 0, id = 0, type = 0, len = 0, flags = 0,
		     magic = 0, lies = 0;
	uint64_t before = node.stats.hostile_replies;
	uint8_t m[sizeof(want)];
	struct conn c;
	uint32_t slab;

	conn_open(&c);
	node.hostile_rate = 1;
	node.hostile_rng = 0x9e3779b97f4a7c15ULL;
	ok(hello(&c, 0xe1, RMEM_PROTO_FEAT_TCP, NULL) == 0 && node.stats.hostile_replies == before,
	   "hostile: HELLO is answered as it should be");
	for (i = 1; i <= 400; i++) {
		struct rmem_msg_hdr h;
		size_t n;

		raw_hdr(m, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION, RMEM_MSG_PING, 0, 0, 0, i);
		want.id = htole64(i);
		feed(&c, m, sizeof(m));
		n = rmem_buf_len(&c.out);
		if (n == 0) {
			none++;
		} else if (n == 2 * rlen) {
			twice++;
		} else if (n == rlen) {
			memcpy(&h, rmem_buf_start(&c.out), sizeof(h));
			id += h.id != want.id;
			type += h.type != want.type;
			len += h.len != want.len;
			flags += h.flags != want.flags;
			magic += h.magic != want.magic;
			lies += h.status != 0;
			changed += !!memcmp(&h, &want, sizeof(h));
		}
		rmem_buf_consume(&c.out, n);
	}
	ok(node.stats.hostile_replies == before + 400 &&
	   changed + none + twice == 400,
	   "hostile: rate 1: all 400 PING replies mangled (%u changed, %u never sent, %u twice)",
	   changed, none, twice);
	ok(id && type && len && flags && magic && lies && none && twice,
	   "hostile: every kind seen (id %u, type %u, length %u, flags %u, magic %u, status %u)",
	   id, type, len, flags, magic, lies);
	node.hostile_rate = 0;
	ok(ping(&c, NULL) == 0 && node.stats.hostile_replies == before + 400,
	   "hostile: rate 0: replies are right again");
	ok(slab_alloc(&c, &slab) == 0, "hostile: a slab for the lies below");
	{
		struct rmem_slab_alloc_reply rep;
		struct rmem_msg_hdr h;
		unsigned int wrong = 0;

		for (i = 0; i < 60; i++) {
			/* a whole header, a slab outside the pool or an rkey of none */
			if (hostile_slab_alloc(&c, 1000 + i, i & 1, false, &h, &rep) &&
			    !h.status && h.len == htole32(sizeof(rep)) &&
			    (le32toh(rep.slab) >= NSLABS || le32toh(rep.rkey) != 0))
				wrong++;
			/* Whatever it said, give back every slab but the first. */
			for (uint32_t k = 0; k < NSLABS; k++)
				if (k != slab)
					slab_free(&c, k);
		}
		ok(wrong > 0, "hostile: SLAB_ALLOC replies with a wrong slab or rkey (%u of 60; rkey lies only when asked for)",
		   wrong);
		/* N:rkey: every mangled SLAB_ALLOC that succeeded names a wrong rkey. */
		wrong = 0;
		for (i = 0; i < 20; i++) {
			if (!hostile_slab_alloc(&c, 2000 + i, true, false, &h, &rep))
				continue;
			if (h.magic == htole32(RMEM_PROTO_MAGIC) && h.id == htole64(2000 + i) &&
			    !h.status && le32toh(rep.slab) < NSLABS && rep.rkey != 0)
				wrong++;
			slab_free(&c, le32toh(rep.slab));
		}
		ok(wrong == 20, "hostile: N:rkey: all 20 SLAB_ALLOC replies name a wrong rkey, nothing else (%u)",
		   wrong);
		/*
		 * N:slab: each SLAB_ALLOC claims a slab and names another (the
		 * client never learns which it holds); nothing else is touched.
		 */
		wrong = 0;
		for (i = 0; i < 20; i++) {
			uint32_t claimed = NSLABS, nfree = pool.nfree;

			if (hostile_slab_alloc(&c, 3000 + i, false, true, &h, &rep) &&
			    h.magic == htole32(RMEM_PROTO_MAGIC) && h.id == htole64(3000 + i) &&
			    !h.status && rep.rkey == 0 && pool.nfree == nfree - 1) {
				for (uint32_t k = 0; k < NSLABS; k++)
					if (k != slab && slab_free(&c, k) == 0)
						claimed = k;
				if (claimed < NSLABS && le32toh(rep.slab) != claimed)
					wrong++;
			}
		}
		node.hostile_rate = 1;
		node.hostile_slab = true;
		before = node.stats.hostile_replies;
		ok(wrong == 20 && ping(&c, NULL) == 0 && node.stats.hostile_replies == before,
		   "hostile: N:slab: all 20 SLAB_ALLOC replies name a slab other than the one claimed; a PING is left alone (%u)",
		   wrong);
		node.hostile_rate = 0;
		node.hostile_slab = false;
		slab_free(&c, slab);
	}
	conn_close(&c);
	ok(node.sessions.count == 0 && pool.nfree == NSLABS, "hostile: closed, every slab free");
}

/* Draining (SIGTERM): PING says how long is left, no new slab, the rest works. */
static void test_drain(void)
{
	struct rmem_ping_reply pr;
	uint8_t buf[64] = { 9 }, got[64];
	struct conn c;
	uint32_t slab, s2;

	conn_open(&c);
	ok(hello(&c, 0xd1, RMEM_PROTO_FEAT_TCP, NULL) == 0 && slab_alloc(&c, &slab) == 0 &&
	   io_write(&c, slab, 0, buf, 64) == 0 && ping(&c, &pr) == 0 && pr.drain_ms == 0,
	   "drain: before it, PING says drain_ms 0");
	node.drain_until_ms = node.now_ms + 30000;
	ok(ping(&c, &pr) == 0 && le32toh(pr.drain_ms) == 30000,
	   "drain: PING says the time left (30000 ms)");
	ok(slab_alloc(&c, &s2) == RMEM_ERR_NOSPC, "drain: SLAB_ALLOC is refused (NOSPC)");
	ok(io_read(&c, slab, 0, got, 64) == 0 && !memcmp(got, buf, 64) && slab_free(&c, slab) == 0,
	   "drain: READ and SLAB_FREE still served");
	node.now_ms += 40000;
	ok(ping(&c, &pr) == 0 && le32toh(pr.drain_ms) == 1,
	   "drain: past the deadline, PING says 1 ms (never 0 while draining)");
	node.drain_until_ms = 0;
	node.now_ms -= 40000;
	conn_close(&c);
	ok(node.sessions.count == 0 && pool.nfree == NSLABS, "drain: closed, every slab free");
}

/*
 * RMEM_POOL_ZERO_THREAD: freeing 1 GiB of written slabs returns at once (the
 * zeroing is the thread's: an inline memset takes 100 ms and more here),
 * and every slab handed out again reads zero, whether the thread zeroed it
 * or the allocation had to.
 */
static void test_pool_zero_thread(void)
{
	enum { ZSLAB = 64 << 20, ZN = 16 };
	struct rmem_pool zp;
	struct timespec t0, t1;
	char err[256];
	uint32_t bad = 0, freed;
	double ms;

	if (rmem_pool_init(&zp, (uint64_t)ZSLAB * ZN, ZSLAB,
			   RMEM_POOL_PREFAULT | RMEM_POOL_ZERO_THREAD, err, sizeof(err))) {
		ok(0, "zero thread: pool of 1 GiB (%s)", err);
		return;
	}
	for (int i = 0; i < ZN; i++) {
		int64_t s = rmem_pool_alloc(&zp, 0x21);

		if (s >= 0) {
			memset(rmem_pool_slab(&zp, (uint32_t)s), 0xab, ZSLAB);
			rmem_pool_mark_dirty(&zp, (uint32_t)s);
		}
	}
	ok(zp.nfree == 0, "zero thread: 16 slabs of 64M held and written");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	freed = rmem_pool_release_owner(&zp, 0x21);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	ok(freed == ZN && zp.nfree == ZN && ms < 20,
	   "zero thread: releasing 1 GiB of written slabs takes %.2f ms (< 20), all counted free", ms);
	for (int i = 0; i < ZN; i++) {
		int64_t s = rmem_pool_alloc(&zp, 0x22);
		const uint64_t *w;

		if (s < 0) {
			bad++;
			continue;
		}
		w = (const uint64_t *)rmem_pool_slab(&zp, (uint32_t)s);
		for (size_t k = 0; k < ZSLAB / 8; k += 509)
			bad += w[k] != 0;
		bad += w[ZSLAB / 8 - 1] != 0;
	}
	ok(bad == 0 && zp.nfree == 0 && rmem_pool_zeroing(&zp) == 0,
	   "zero thread: all 16 handed out again, every one reads zero (%u bad)", bad);
	rmem_pool_fini(&zp);
}

/* session-quota: one session stops at N slabs; another is not affected. */
/* ------------------------------------------------------------ published */

/* A request whose reply must carry exactly @len bytes, copied to @rep. */
static int64_t req_exact(struct conn *c, uint8_t type, const void *p, uint32_t l, void *rep,
			 uint32_t len)
{
	struct reply r = { 0 };
	int64_t st = req(c, type, p, l, NULL, 0, &r);

	if (st == 0 && r.len != len)
		st = -4;
	else if (st == 0 && len)
		memcpy(rep, r.payload, len);
	free(r.payload);
	return st;
}

/* @info NULL: the reply must carry nothing (PUB_DELETE). */
static int64_t pub_named(struct conn *c, uint8_t type, const char *name, uint64_t size,
			 struct rmem_pub_info *info)
{
	struct rmem_pub_name pn = { .size = htole64(size) };

	strncpy(pn.name, name, sizeof(pn.name));
	return req_exact(c, type, &pn, sizeof(pn), info, info ? sizeof(*info) : 0);
}

static int64_t pub_alloc(struct conn *c, uint32_t handle, uint32_t extent,
			 struct rmem_slab_alloc_reply *a)
{
	struct rmem_pub_extent pe = { .handle = htole32(handle), .extent = htole32(extent) };

	return req_exact(c, RMEM_MSG_PUB_ALLOC, &pe, sizeof(pe), a, sizeof(*a));
}

static int64_t pub_map(struct conn *c, uint32_t handle, uint32_t first,
		       struct rmem_pub_map_reply *m)
{
	struct rmem_pub_extent pe = { .handle = htole32(handle), .extent = htole32(first) };

	return req_exact(c, RMEM_MSG_PUB_MAP, &pe, sizeof(pe), m, sizeof(*m));
}

static int64_t pub_close(struct conn *c, uint32_t handle)
{
	struct rmem_pub_extent pe = { .handle = htole32(handle) };

	return req_exact(c, RMEM_MSG_PUB_CLOSE, &pe, sizeof(pe), NULL, 0);
}

/*
 * Published regions over TCP: create, back, write, seal, attach from
 * another session, read, permissions, the creator's end, delete.
 */
static void test_publish(void)
{
	const uint64_t A = 0x7001, B = 0x7002, C = 0x7003;
	struct rmem_slab_alloc_reply sa, sa2;
	struct rmem_hello_reply hr;
	struct rmem_pub_info info, info2;
	struct rmem_pub_map_reply mr;
	struct rmem_pub_name bad = { .size = htole64(SLAB) };
	struct conn a, b, c;
	uint8_t buf[64], back[64];
	struct reply r = { 0 };
	uint32_t h, s0, s2, own;

	/* Sessions of earlier tests hold slabs until they expire. */
	node.now_ms += 6000;
	rmem_sessions_expire(&node.sessions, node.now_ms);
	conn_open(&a);
	conn_open(&b);
	conn_open(&c);
	ok(pool.nfree == NSLABS, "publish: every slab free at the start");
	ok(hello(&a, A, RMEM_PROTO_FEAT_TCP | RMEM_PROTO_FEAT_PUBLISH, &hr) == 0 &&
	   le64toh(hr.features) == (RMEM_PROTO_FEAT_TCP | RMEM_PROTO_FEAT_PUBLISH),
	   "publish: HELLO asking FEAT_PUBLISH is granted it");
	ok(hello(&b, B, RMEM_PROTO_FEAT_TCP, &hr) == 0 &&
	   le64toh(hr.features) == RMEM_PROTO_FEAT_TCP,
	   "publish: ... and not granted when not asked");
	ok(hello(&c, C, RMEM_PROTO_FEAT_TCP, NULL) == 0, "publish: a third session");

	/* Names and sizes. */
	ok(pub_named(&a, RMEM_MSG_PUB_CREATE, "", SLAB, NULL) == RMEM_ERR_INVAL,
	   "publish: an empty name is INVAL");
	ok(pub_named(&a, RMEM_MSG_PUB_CREATE, "has space", SLAB, NULL) == RMEM_ERR_INVAL &&
	   pub_named(&a, RMEM_MSG_PUB_CREATE, "a/b", SLAB, NULL) == RMEM_ERR_INVAL,
	   "publish: a name with a space or a slash is INVAL");
	memset(bad.name, 'x', sizeof(bad.name));
	ok(req(&a, RMEM_MSG_PUB_CREATE, &bad, sizeof(bad), NULL, 0, &r) == RMEM_ERR_INVAL,
	   "publish: a name filling the field (no NUL) is INVAL");
	memset(bad.name, 0, sizeof(bad.name));
	bad.name[0] = 'x';
	bad.name[5] = 'y';
	ok(req(&a, RMEM_MSG_PUB_CREATE, &bad, sizeof(bad), NULL, 0, &r) == RMEM_ERR_INVAL,
	   "publish: bytes after the NUL are INVAL");
	ok(req(&a, RMEM_MSG_PUB_CREATE, &bad, sizeof(bad) - 1, NULL, 0, &r) == RMEM_ERR_PROTO,
	   "publish: a short payload is PROTO");
	ok(pub_named(&a, RMEM_MSG_PUB_CREATE, "idx", 0, NULL) == RMEM_ERR_INVAL &&
	   pub_named(&a, RMEM_MSG_PUB_CREATE, "idx", (uint64_t)SLAB * RMEM_PUB_MAX_EXTENTS + 1,
		     NULL) == RMEM_ERR_INVAL && node.pubs.count == 0,
	   "publish: size 0, or more than RMEM_PUB_MAX_EXTENTS extents, is INVAL: nothing made");

	/* Create: 2.5 slabs = 3 extents. */
	ok(pub_named(&a, RMEM_MSG_PUB_CREATE, "genome.v1", 2 * SLAB + SLAB / 2, &info) == 0 &&
	   le32toh(info.flags) == RMEM_PUB_F_OWNER && le64toh(info.size) == 2 * SLAB + SLAB / 2 &&
	   le32toh(info.extents) == 0 && le32toh(info.attached) == 0,
	   "publish: PUB_CREATE: the owner, unsealed, no extent backed");
	h = le32toh(info.handle);
	ok(pub_named(&a, RMEM_MSG_PUB_CREATE, "genome.v1", 2 * SLAB + SLAB / 2, &info2) == 0 &&
	   le32toh(info2.handle) == h && node.pubs.count == 1,
	   "publish: the owner creating it again (a lost reply) gets the same handle");
	ok(pub_named(&b, RMEM_MSG_PUB_CREATE, "genome.v1", SLAB, NULL) == RMEM_ERR_EXIST,
	   "publish: another session creating the same name: EXIST");

	/* Back extents 0 and 2, write them. */
	ok(pub_alloc(&a, h, 0, &sa) == 0 && le64toh(sa.size) == SLAB && !sa.rkey,
	   "publish: PUB_ALLOC extent 0");
	s0 = le32toh(sa.slab);
	ok(pub_alloc(&a, h, 0, &sa2) == 0 && le32toh(sa2.slab) == s0 &&
	   pool.nfree == NSLABS - 1, "publish: PUB_ALLOC again: the same slab, no second one");
	ok(pub_alloc(&a, h, 3, &sa2) == RMEM_ERR_RANGE, "publish: PUB_ALLOC past the last extent: RANGE");
	ok(pub_alloc(&a, h + 100, 0, &sa2) == RMEM_ERR_NOENT, "publish: PUB_ALLOC of an unknown handle: NOENT");
	ok(pub_alloc(&b, h, 1, &sa2) == RMEM_ERR_NOENT,
	   "publish: PUB_ALLOC by a session neither owner nor attached: NOENT");
	ok(pub_alloc(&a, h, 2, &sa2) == 0, "publish: PUB_ALLOC extent 2");
	s2 = le32toh(sa2.slab);
	memset(buf, 0xa1, sizeof(buf));
	ok(io_write(&a, s0, 4096, buf, sizeof(buf)) == 0, "publish: the owner WRITEs extent 0");
	memset(buf, 0xa2, sizeof(buf));
	ok(io_write(&a, s2, 0, buf, sizeof(buf)) == 0, "publish: ... and extent 2");
	ok(io_write(&b, s0, 0, buf, 8) == RMEM_ERR_NOENT && io_read(&b, s0, 0, back, 8) == RMEM_ERR_NOENT,
	   "publish: another session can neither WRITE nor READ its slabs: NOENT");
	ok(slab_free(&a, s0) == RMEM_ERR_NOENT, "publish: SLAB_FREE of a published slab: NOENT");
	ok(ping(&a, NULL) == 0 && node.sessions.head && pool.owner[s0] != A,
	   "publish: its slabs are not the session's");

	/* The owner's link drops for a moment: it comes back as the owner. */
	conn_close(&a);
	ok(rmem_session_find(&node.sessions, A) && node.sessions.idle == 1,
	   "publish: the owner's last connection closes: its session (no slab of its own) is kept");
	conn_open(&a);
	ok(hello(&a, A, RMEM_PROTO_FEAT_TCP | RMEM_PROTO_FEAT_PUBLISH, &hr) == 0 &&
	   (le32toh(hr.flags) & RMEM_HELLO_F_RESUMED) && io_write(&a, s2, 8, buf, 8) == 0,
	   "publish: ... and resumes: it still owns the region and WRITEs it");

	/* Not sealed: nobody else attaches. */
	ok(pub_named(&b, RMEM_MSG_PUB_OPEN, "genome.v1", 0, NULL) == RMEM_ERR_BUSY,
	   "publish: PUB_OPEN of an unsealed region by another session, its owner live: BUSY");
	ok(pub_named(&b, RMEM_MSG_PUB_DELETE, "genome.v1", 0, NULL) == RMEM_ERR_BUSY &&
	   node.pubs.count == 1 && pool.nfree == NSLABS - 2,
	   "publish: PUB_DELETE of an unsealed region by another session, its owner live: BUSY, kept");
	ok(pub_named(&b, RMEM_MSG_PUB_OPEN, "nosuch", 0, NULL) == RMEM_ERR_NOENT,
	   "publish: PUB_OPEN of an unknown name: NOENT");
	ok(pub_named(&b, RMEM_MSG_PUB_SEAL, "genome.v1", 0, NULL) == RMEM_ERR_PERM,
	   "publish: PUB_SEAL by another session: PERM");

	/* Seal. */
	ok(pub_named(&a, RMEM_MSG_PUB_SEAL, "genome.v1", 0, &info) == 0 &&
	   le32toh(info.flags) == (RMEM_PUB_F_SEALED | RMEM_PUB_F_OWNER) &&
	   le32toh(info.extents) == 2, "publish: PUB_SEAL: sealed, 2 extents backed");
	ok(pub_named(&a, RMEM_MSG_PUB_SEAL, "genome.v1", 0, NULL) == -4,
	   "publish: PUB_SEAL again: OK (with its info)");
	ok(io_write(&a, s0, 0, buf, 8) == RMEM_ERR_RDONLY, "publish: a WRITE after the seal: RDONLY");
	ok(pub_alloc(&a, h, 1, &sa2) == RMEM_ERR_RDONLY && pool.nfree == NSLABS - 2,
	   "publish: PUB_ALLOC after the seal: RDONLY, nothing taken");
	ok(pub_named(&a, RMEM_MSG_PUB_CREATE, "genome.v1", 2 * SLAB + SLAB / 2, NULL) ==
	   RMEM_ERR_EXIST, "publish: creating a sealed name again, even by its owner: EXIST");

	/* Attach from B; map; read. */
	ok(pub_named(&b, RMEM_MSG_PUB_OPEN, "genome.v1", 0, &info) == 0 &&
	   le32toh(info.handle) == h && le32toh(info.flags) == RMEM_PUB_F_SEALED &&
	   le32toh(info.attached) == 1, "publish: PUB_OPEN of the sealed region: its handle, 1 attached");
	ok(pub_map(&b, h, 0, &mr) == 0 && le32toh(mr.first) == 0 &&
	   le32toh(mr.e[0].slab) == s0 && le32toh(mr.e[1].slab) == RMEM_SLAB_NONE &&
	   le32toh(mr.e[2].slab) == s2 && le32toh(mr.e[3].slab) == RMEM_SLAB_NONE &&
	   le32toh(mr.next) == RMEM_SLAB_NONE && !mr.e[0].rkey && !mr.e[0].addr,
	   "publish: PUB_MAP: extent 0 and 2 backed, 1 a hole, past the end NONE; no rkey over TCP");
	ok(pub_map(&b, h, 3, &mr) == RMEM_ERR_RANGE, "publish: PUB_MAP past the last extent: RANGE");
	ok(pub_map(&c, h, 0, &mr) == RMEM_ERR_NOENT, "publish: PUB_MAP by an unattached session: NOENT");
	memset(buf, 0xa1, sizeof(buf));
	ok(io_read(&b, s0, 4096, back, sizeof(back)) == 0 && !memcmp(back, buf, sizeof(buf)),
	   "publish: the attached session READs what the owner wrote");
	ok(io_write(&b, s0, 4096, back, 8) == RMEM_ERR_RDONLY, "publish: ... and its WRITE is RDONLY");
	ok(io_read(&c, s0, 4096, back, 8) == RMEM_ERR_NOENT, "publish: an unattached session's READ: NOENT");
	conn_close(&b);
	conn_open(&b);
	ok(hello(&b, B, RMEM_PROTO_FEAT_TCP, &hr) == 0 && (le32toh(hr.flags) & RMEM_HELLO_F_RESUMED) &&
	   io_read(&b, s0, 4096, back, 8) == 0,
	   "publish: an attached session's link drops and comes back: resumed, still attached");

	/* The creator ends: the region stays. */
	conn_close(&a);
	node.now_ms += 6000;
	rmem_sessions_expire(&node.sessions, node.now_ms);
	ok(!rmem_session_find(&node.sessions, A) && node.pubs.count == 1 &&
	   pool.nfree == NSLABS - 2, "publish: the creator's session gone: the region and its slabs stay");
	memset(buf, 0xa2, sizeof(buf));
	ok(io_read(&b, s2, 0, back, sizeof(back)) == 0 && !memcmp(back, buf, sizeof(buf)),
	   "publish: ... and still read");

	/* Delete: busy while another session is attached. */
	ok(pub_named(&c, RMEM_MSG_PUB_DELETE, "genome.v1", 0, NULL) == RMEM_ERR_BUSY &&
	   node.pubs.count == 1, "publish: PUB_DELETE while another session is attached: BUSY");
	ok(pub_close(&c, h) == RMEM_ERR_NOENT, "publish: PUB_CLOSE by an unattached session: NOENT");
	ok(pub_close(&b, h) == 0 && io_read(&b, s0, 0, back, 8) == RMEM_ERR_NOENT,
	   "publish: PUB_CLOSE detaches: READ is NOENT again");
	ok(pub_named(&b, RMEM_MSG_PUB_OPEN, "genome.v1", 0, NULL) == -4,
	   "publish: reattach");
	ok(pub_named(&b, RMEM_MSG_PUB_DELETE, "genome.v1", 0, NULL) == 0 && node.pubs.count == 0 &&
	   pool.nfree == NSLABS, "publish: PUB_DELETE by the only attached session: slabs freed");
	ok(all_zero(rmem_pool_slab(&pool, s0), SLAB) && all_zero(rmem_pool_slab(&pool, s2), SLAB),
	   "publish: ... and zeroed");
	ok(io_read(&b, s0, 0, back, 8) == RMEM_ERR_NOENT && pub_map(&b, h, 0, &mr) == RMEM_ERR_NOENT,
	   "publish: after the delete its slabs and handle are NOENT");

	/* A session id equal to a region's pool id is refused. */
	ok(pub_named(&b, RMEM_MSG_PUB_CREATE, "x", SLAB, &info) == 0, "publish: another region");
	own = 0;
	for (const struct rmem_pub *p = node.pubs.head; p; p = p->next)
		own = (uint32_t)(p->pool_id != 0 && p->pool_id != B);
	{
		struct conn d;
		uint64_t pid = node.pubs.head->pool_id;

		conn_open(&d);
		ok(own && hello(&d, pid, RMEM_PROTO_FEAT_TCP, NULL) == RMEM_ERR_INVAL,
		   "publish: HELLO naming a region's pool id as its session: INVAL");
		conn_close(&d);
	}
	ok(pub_named(&b, RMEM_MSG_PUB_DELETE, "x", 0, NULL) == 0 && node.pubs.count == 0,
	   "publish: the owner deletes its unsealed region");

	/* An unsealed region whose owner's session ended: an orphan, deletable. */
	ok(pub_named(&b, RMEM_MSG_PUB_CREATE, "orphan", SLAB, &info) == 0 &&
	   pub_alloc(&b, le32toh(info.handle), 0, &sa) == 0, "publish: B creates and backs 'orphan'");
	conn_close(&b);
	ok(pub_named(&c, RMEM_MSG_PUB_DELETE, "orphan", 0, NULL) == RMEM_ERR_BUSY &&
	   node.pubs.count == 1, "publish: its owner idle but within the timeout: still BUSY");
	node.now_ms += 6000;
	rmem_sessions_expire(&node.sessions, node.now_ms);
	ok(!rmem_session_find(&node.sessions, B) &&
	   pub_named(&c, RMEM_MSG_PUB_OPEN, "orphan", 0, NULL) == RMEM_ERR_STATE,
	   "publish: its owner's session expired: PUB_OPEN by another session is STATE");
	ok(pub_named(&c, RMEM_MSG_PUB_DELETE, "orphan", 0, NULL) == 0 && node.pubs.count == 0 &&
	   pool.nfree == NSLABS, "publish: ... and another session of its key deletes it");
	conn_close(&b);
	conn_close(&c);
	node.now_ms += 6000;
	rmem_sessions_expire(&node.sessions, node.now_ms);
	free(r.payload);
}

/* MRs of published slabs: several sessions may each hold one of a slab. */
static struct {
	struct { uint64_t session; uint32_t slab; bool rdonly, live; uint32_t rkey; } mr[32];
	int n, bad;
} pk;

static int pk_live(uint64_t session, int rdonly)
{
	int c = 0;

	for (int i = 0; i < pk.n; i++)
		c += pk.mr[i].live && pk.mr[i].session == session &&
		     (rdonly < 0 || pk.mr[i].rdonly == rdonly);
	return c;
}

static int pk_reg(void *ctx, void *xprt, uint64_t id, uint32_t slab, uint8_t *base,
		  uint64_t len, bool rdonly, uint32_t *rkey, uint64_t *addr)
{
	if (ctx != &pk || !xprt || slab >= NSLABS || base != rmem_pool_slab(&pool, slab) ||
	    len != SLAB || pk.n == 32)
		return pk.bad++, -EINVAL;
	for (int i = 0; i < pk.n; i++)
		if (pk.mr[i].live && pk.mr[i].session == id && pk.mr[i].slab == slab)
			pk.bad++;	/* a second MR of one slab in one PD */
	pk.mr[pk.n].session = id;
	pk.mr[pk.n].slab = slab;
	pk.mr[pk.n].rdonly = rdonly;
	pk.mr[pk.n].live = true;
	pk.mr[pk.n].rkey = 0x2000 + pk.n;
	*rkey = pk.mr[pk.n].rkey;
	*addr = (uintptr_t)base;
	pk.n++;
	return 0;
}

static void pk_dereg(void *ctx, uint64_t id, uint32_t slab)
{
	if (ctx != &pk)
		pk.bad++;
	for (int i = 0; i < pk.n; i++) {
		if (pk.mr[i].live && pk.mr[i].session == id && pk.mr[i].slab == slab) {
			pk.mr[i].live = false;
			return;
		}
	}
}

static void pk_release(void *ctx, uint64_t id)
{
	if (ctx != &pk)
		pk.bad++;
	for (int i = 0; i < pk.n; i++)
		if (pk.mr[i].session == id)
			pk.mr[i].live = false;
}

static const struct rmem_slab_hooks pk_hooks = {
	.reg = pk_reg, .dereg = pk_dereg, .release = pk_release, .ctx = &pk,
};

/*
 * Published regions over RDMA: the owner's write MRs (PUB_ALLOC, PUB_MAP
 * before the seal: one per slab), revoked by the seal; readers' read-only
 * MRs, one per slab however often they map, gone with PUB_CLOSE, the
 * session's end and the delete.
 */
static void test_publish_rdma(void)
{
	const uint64_t O = 0x7101, R = 0x7102;
	struct rmem_slab_alloc_reply sa, sa2;
	struct rmem_pub_map_reply mr;
	struct rmem_pub_info info;
	struct conn o, r, t;
	uint32_t h, rk;

	node.now_ms += 6000;
	rmem_sessions_expire(&node.sessions, node.now_ms);
	memset(&pk, 0, sizeof(pk));
	node.sessions.hooks = &pk_hooks;
	rdma_open(&o, O);
	rdma_open(&r, R);
	ok(hello(&o, O, RMEM_PROTO_FEAT_RDMA | RMEM_PROTO_FEAT_PUBLISH, NULL) == 0 &&
	   hello(&r, R, RMEM_PROTO_FEAT_RDMA | RMEM_PROTO_FEAT_PUBLISH, NULL) == 0,
	   "publish RDMA: two sessions");
	ok(pub_named(&o, RMEM_MSG_PUB_CREATE, "w.rdma", 2 * SLAB, &info) == 0, "publish RDMA: create");
	h = le32toh(info.handle);
	ok(pub_alloc(&o, h, 0, &sa) == 0 && sa.rkey && le64toh(sa.addr) ==
	   (uintptr_t)rmem_pool_slab(&pool, le32toh(sa.slab)) && pk_live(O, 0) == 1,
	   "publish RDMA: PUB_ALLOC registers a write MR in the owner's PD");
	rk = le32toh(sa.rkey);
	ok(pub_alloc(&o, h, 0, &sa2) == 0 && le32toh(sa2.rkey) == rk && pk.n == 1,
	   "publish RDMA: PUB_ALLOC again: the same MR");
	/* Extent 1 backed over TCP by the owner's session, then mapped over RDMA. */
	conn_open(&t);
	ok(hello_q(&t, O, RMEM_PROTO_FEAT_TCP | RMEM_PROTO_FEAT_PUBLISH, 1, NULL) == 0 &&
	   pub_alloc(&t, h, 1, &sa2) == 0 && !sa2.rkey && pk.n == 1,
	   "publish RDMA: PUB_ALLOC over TCP registers nothing");
	ok(pub_map(&o, h, 0, &mr) == 0 && le32toh(mr.e[0].rkey) == rk && mr.e[1].rkey &&
	   pk_live(O, 0) == 2 && pk_live(O, 1) == 0 && !pk.bad,
	   "publish RDMA: the owner's PUB_MAP before the seal: write MRs, one per slab");
	ok(pub_map(&o, h, 0, &mr) == 0 && pk.n == 2, "publish RDMA: ... mapped again: no new MR");
	ok(pub_named(&r, RMEM_MSG_PUB_OPEN, "w.rdma", 0, NULL) == RMEM_ERR_BUSY,
	   "publish RDMA: not sealed, its owner live: no reader (BUSY)");
	ok(pub_named(&t, RMEM_MSG_PUB_SEAL, "w.rdma", 0, &info) == 0 && pk_live(O, -1) == 0,
	   "publish RDMA: the seal (over TCP) revokes every write MR of the owner");
	ok(pub_alloc(&o, h, 0, &sa2) == RMEM_ERR_RDONLY && pk_live(O, -1) == 0,
	   "publish RDMA: PUB_ALLOC after the seal: RDONLY, no MR");
	ok(pub_named(&r, RMEM_MSG_PUB_OPEN, "w.rdma", 0, &info) == 0 &&
	   pub_map(&r, h, 0, &mr) == 0 && mr.e[0].rkey && mr.e[1].rkey &&
	   le32toh(mr.e[0].rkey) != rk && pk_live(R, 1) == 2 && pk_live(R, 0) == 0,
	   "publish RDMA: a reader's PUB_MAP: read-only MRs in its own PD");
	ok(pub_map(&r, h, 1, &mr) == 0 && pk.n == 4 && !pk.bad,
	   "publish RDMA: ... mapped again: no new MR");
	ok(pub_named(&o, RMEM_MSG_PUB_OPEN, "w.rdma", 0, &info) == 0 && pub_map(&o, h, 0, &mr) == 0 &&
	   pk_live(O, 1) == 2 && pk_live(O, 0) == 0,
	   "publish RDMA: the owner after the seal maps read-only like any reader");
	ok(pub_close(&r, h) == 0 && pk_live(R, -1) == 0, "publish RDMA: PUB_CLOSE deregisters the reader's MRs");
	ok(pub_named(&r, RMEM_MSG_PUB_OPEN, "w.rdma", 0, &info) == 0 && pub_map(&r, h, 0, &mr) == 0 &&
	   pk_live(R, 1) == 2, "publish RDMA: reopened and mapped: new read MRs");
	conn_close(&r);
	node.now_ms += 6000;
	rmem_sessions_expire(&node.sessions, node.now_ms);
	ok(pk_live(R, -1) == 0 && node.pubs.head && node.pubs.head->nattached == 1,
	   "publish RDMA: the reader's session expires: its MRs released, detached");
	ok(pub_named(&t, RMEM_MSG_PUB_DELETE, "w.rdma", 0, NULL) == 0 && pk_live(O, -1) == 0 &&
	   node.pubs.count == 0 && pool.nfree == NSLABS && !pk.bad,
	   "publish RDMA: the delete: no MR left, every slab free");
	conn_close(&t);
	conn_close(&o);
	node.now_ms += 6000;
	rmem_sessions_expire(&node.sessions, node.now_ms);
	node.sessions.hooks = NULL;
}

/* The control socket's command lines (ctlcmd.c). */
static void test_ctl_parse(void)
{
	static const struct {
		const char *line;
		enum rmemd_ctl_op op;
		const char *name;
		bool force;
		const char *error;
	} cases[] = {
		{ "", RMEMD_CTL_STATUS, "", false, NULL },
		{ "status\n", RMEMD_CTL_STATUS, "", false, NULL },
		{ "  status  \r\n", RMEMD_CTL_STATUS, "", false, NULL },
		{ "published", RMEMD_CTL_PUBLISHED, "", false, NULL },
		{ "delete-published genome.v1\n", RMEMD_CTL_DELETE_PUBLISHED, "genome.v1", false, NULL },
		{ "delete-published  w:1@x+y-z_ force\n", RMEMD_CTL_DELETE_PUBLISHED, "w:1@x+y-z_", true,
		  NULL },
		{ "status extra", RMEMD_CTL_BAD, "", false, "unexpected 'extra'" },
		{ "delete-published", RMEMD_CTL_BAD, "", false, "usage: delete-published NAME" },
		{ "delete-published a/b", RMEMD_CTL_BAD, "", false, "usage: delete-published NAME" },
		{ "delete-published a now", RMEMD_CTL_BAD, "", false, "usage: delete-published NAME" },
		{ "delete-published a force more", RMEMD_CTL_BAD, "", false, "unexpected 'more'" },
		{ "delete-published "
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		  RMEMD_CTL_BAD, "", false, "usage: delete-published NAME" },
		{ "frobnicate", RMEMD_CTL_BAD, "", false, "unknown command 'frobnicate'" },
		{ "Status", RMEMD_CTL_BAD, "", false, "unknown command 'Status'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rmemd_ctl_cmd c;

		rmemd_ctl_parse(cases[i].line, &c);
		ok(c.op == cases[i].op && !strcmp(c.name, cases[i].name) && c.force == cases[i].force &&
		   (cases[i].error ? !!strstr(c.error, cases[i].error) : !c.error[0]),
		   "ctl command '%.*s': op %d, name '%s'%s%s",
		   (int)strcspn(cases[i].line, "\r\n"), cases[i].line, cases[i].op,
		   cases[i].name, cases[i].force ? ", force" : "",
		   cases[i].error ? ", an error" : "");
	}
	{
		/* a 63-byte name is the longest */
		char line[128], name[64];
		struct rmemd_ctl_cmd c;

		memset(name, 'n', 63);
		name[63] = '\0';
		snprintf(line, sizeof(line), "delete-published %s", name);
		rmemd_ctl_parse(line, &c);
		ok(c.op == RMEMD_CTL_DELETE_PUBLISHED && !strcmp(c.name, name),
		   "ctl command: a 63-byte name is accepted");
	}
}

static void test_quota(void)
{
	struct conn a, b;
	uint32_t s[3], t;

	node.session_quota = 2;
	conn_open(&a);
	conn_open(&b);
	ok(hello(&a, 0x9a, RMEM_PROTO_FEAT_TCP, NULL) == 0 && slab_alloc(&a, &s[0]) == 0 &&
	   slab_alloc(&a, &s[1]) == 0, "quota 2: a session gets 2 slabs");
	ok(slab_alloc(&a, &s[2]) == RMEM_ERR_NOSPC && node.quota_refusals == 1 &&
	   pool.nfree == NSLABS - 2, "quota 2: the third SLAB_ALLOC is NOSPC, nothing taken");
	ok(hello(&b, 0x9b, RMEM_PROTO_FEAT_TCP, NULL) == 0 && slab_alloc(&b, &t) == 0,
	   "quota 2: another session still gets slabs");
	ok(slab_free(&a, s[0]) == 0 && slab_alloc(&a, &s[2]) == 0,
	   "quota 2: after a free, the session may allocate again");
	node.session_quota = 0;
	conn_close(&a);
	conn_close(&b);
	node.quota_refusals = 0;
}

/* AUTH naming @key_id; @ns gets the server's nonce, @mac_ok whether its mac verified with @k. */
static int64_t auth_req(struct conn *c, const struct rmem_auth_key *k, uint64_t key_id,
			const uint8_t nc[RMEM_AUTH_NONCE_LEN], uint8_t ns[RMEM_AUTH_NONCE_LEN],
			bool *mac_ok)
{
	struct rmem_auth a = { .key_id = htole64(key_id) };
	struct rmem_auth_reply ar;
	uint8_t mac[RMEM_AUTH_MAC_LEN];
	struct reply r = { 0 };
	int64_t st;

	memcpy(a.nonce, nc, sizeof(a.nonce));
	st = req(c, RMEM_MSG_AUTH, &a, sizeof(a), NULL, 0, &r);
	*mac_ok = false;
	if (st == 0 && r.len == sizeof(ar)) {
		memcpy(&ar, r.payload, sizeof(ar));
		memcpy(ns, ar.nonce, RMEM_AUTH_NONCE_LEN);
		*mac_ok = !rmem_auth_server_mac(k, nc, ns, mac) &&
			  rmem_auth_equal(mac, ar.mac, sizeof(mac));
	} else if (st == 0) {
		st = -4;
	}
	free(r.payload);
	return st;
}

/* A HELLO with FEAT_AUTH and the mac of (@nc, @ns) under @k, kept in @h. */
static int64_t hello_mac(struct conn *c, const struct rmem_auth_key *k, const uint8_t *nc,
			 const uint8_t *ns, uint64_t session, struct rmem_hello *h,
			 struct rmem_hello_reply *rep)
{
	struct reply r = { 0 };
	int64_t st;

	memset(h, 0, sizeof(*h));
	h->features = htole64(RMEM_PROTO_FEAT_TCP | RMEM_PROTO_FEAT_AUTH);
	h->session = htole64(session);
	h->max_io = htole32(RMEM_MSG_MAX_IO);
	h->generation = htole32(4);
	rmem_auth_hello_mac(k, nc, ns, h, h->mac);
	st = req(c, RMEM_MSG_HELLO, h, sizeof(*h), NULL, 0, &r);
	if (st == 0 && rep && r.len == sizeof(*rep))
		memcpy(rep, r.payload, sizeof(*rep));
	free(r.payload);
	return st;
}

/* Nonces that differ per call but reproduce from run to run. */
static int test_nonce(void *buf, size_t len)
{
	static uint8_t n;

	memset(buf, ++n, len);
	return 0;
}

static void test_auth(void)
{
	const uint64_t S = 0xa0a0, T = 0xb0b0;
	uint8_t nc[RMEM_AUTH_NONCE_LEN], ns[RMEM_AUTH_NONCE_LEN], ns2[RMEM_AUTH_NONCE_LEN];
	uint8_t m[24 + 64] = { 0 }, data[8];
	struct rmem_hello h, h2;
	struct rmem_hello_reply rep;
	struct conn a, b, c;
	struct reply r = { 0 };
	uint32_t slab;
	bool mac_ok;
	ssize_t rc;

	auth_on();
	memset(nc, 0x5c, sizeof(nc));

	/* the whole exchange */
	conn_open(&a);
	ok(auth_req(&a, &test_keys[0], test_keys[0].id, nc, ns, &mac_ok) == 0 && mac_ok,
	   "auth psk: AUTH gets a reply whose mac verifies with the key");
	ok(a.pc.authed && a.pc.key_idx == 0 && !a.pc.sess, "auth psk: after AUTH, no session yet");
	ok(hello_mac(&a, &test_keys[0], nc, ns, S, &h, &rep) == 0 &&
	   le64toh(rep.features) == (RMEM_PROTO_FEAT_TCP | RMEM_PROTO_FEAT_AUTH),
	   "auth psk: HELLO with the right mac: OK, FEAT_AUTH granted");
	ok(slab_alloc(&a, &slab) == 0 && io_write(&a, slab, 0, "tenant-a", 8) == 0,
	   "auth psk: the session allocates and writes");
	ok(auth_req(&a, &test_keys[0], test_keys[0].id, nc, ns2, &mac_ok) == RMEM_ERR_STATE &&
	   a.last_rc > 0, "auth psk: AUTH after HELLO: STATE, connection kept");

	/* anything else first */
	conn_open(&c);
	ok(hello(&c, T, RMEM_PROTO_FEAT_TCP, NULL) == RMEM_ERR_PERM && c.last_rc == -EPROTO &&
	   strstr(c.pc.close_reason, "HELLO without AUTH"),
	   "auth psk: HELLO first: PERM and close");
	conn_close(&c);
	conn_open(&c);
	ok(ping(&c, NULL) == RMEM_ERR_PERM && c.last_rc == -EPROTO,
	   "auth psk: PING first: PERM and close");
	conn_close(&c);
	conn_open(&c);
	raw_hdr(m, RMEM_PROTO_MAGIC, RMEM_PROTO_VERSION, RMEM_MSG_AUTH, 0, RMEM_MSG_MAX_IO, 0, 9);
	rc = feed(&c, m, 24);
	ok(rc == -EPROTO && pop(&c, &r) == 0 && r.h.status == RMEM_ERR_PROTO &&
	   strstr(c.pc.close_reason, "AUTH of the wrong length"),
	   "auth psk: AUTH claiming 1 MiB: PROTO and close, from the header alone");
	conn_close(&c);

	/* unknown key, bad mac, no FEAT_AUTH, a second AUTH */
	conn_open(&c);
	ok(auth_req(&c, &test_keys[0], 0x1234, nc, ns2, &mac_ok) == RMEM_ERR_PERM &&
	   c.last_rc == -EPROTO && !c.pc.authed && strstr(c.pc.close_reason, "unknown key id"),
	   "auth psk: AUTH with an unknown key id: PERM and close");
	conn_close(&c);
	conn_open(&c);
	auth_req(&c, &test_keys[0], test_keys[0].id, nc, ns2, &mac_ok);
	ok(hello_mac(&c, &test_keys[1], nc, ns2, T, &h2, NULL) == RMEM_ERR_PERM &&
	   c.last_rc == -EPROTO && !c.pc.sess && node.sessions.count == 1,
	   "auth psk: HELLO with a mac of another key: PERM, close, no session");
	conn_close(&c);
	conn_open(&c);
	auth_req(&c, &test_keys[0], test_keys[0].id, nc, ns2, &mac_ok);
	rmem_auth_hello_mac(&test_keys[0], nc, ns2, &h, h2.mac);
	memcpy(&h2, &h, offsetof(struct rmem_hello, mac));
	h2.features = htole64(RMEM_PROTO_FEAT_TCP);
	ok(req(&c, RMEM_MSG_HELLO, &h2, sizeof(h2), NULL, 0, &r) == RMEM_ERR_PERM &&
	   strstr(c.pc.close_reason, "without FEAT_AUTH"),
	   "auth psk: HELLO without FEAT_AUTH after AUTH: PERM and close");
	conn_close(&c);
	conn_open(&c);
	auth_req(&c, &test_keys[0], test_keys[0].id, nc, ns2, &mac_ok);
	ok(auth_req(&c, &test_keys[0], test_keys[0].id, nc, ns2, &mac_ok) == RMEM_ERR_STATE &&
	   c.last_rc == -EPROTO, "auth psk: a second AUTH: STATE and close");
	conn_close(&c);

	/* replay: the exact HELLO that worked on a, after a fresh AUTH */
	conn_open(&c);
	ok(auth_req(&c, &test_keys[0], test_keys[0].id, nc, ns2, &mac_ok) == 0 &&
	   memcmp(ns, ns2, sizeof(ns)), "auth psk: the server nonce differs per connection");
	ok(req(&c, RMEM_MSG_HELLO, &h, sizeof(h), NULL, 0, &r) == RMEM_ERR_PERM &&
	   c.last_rc == -EPROTO && strstr(c.pc.close_reason, "bad mac"),
	   "auth psk: a replayed HELLO (same AUTH nonce, new server nonce): PERM and close");
	conn_close(&c);

	/* tenants: key 1 cannot join key 0's session, and changes nothing in it */
	conn_open(&b);
	ok(auth_req(&b, &test_keys[1], test_keys[1].id, nc, ns2, &mac_ok) == 0 && mac_ok &&
	   b.pc.key_idx == 1, "tenants: AUTH with key 1");
	ok(hello_mac(&b, &test_keys[1], nc, ns2, S, &h2, NULL) == RMEM_ERR_PERM &&
	   b.last_rc == -EPROTO && strstr(b.pc.close_reason, "created under key") &&
	   node.stats.auth_other_key == 1, "tenants: HELLO for key 0's session with key 1: PERM");
	ok(node.sessions.head && node.sessions.head->nconns == 1 && node.stats.replaced_conns == 0 &&
	   !a.pc.replaced && a.pc.sess && a.pc.sess->nslabs == 1,
	   "tenants: key 0's session keeps its connection and slab (nothing cut off)");
	ok(io_read(&a, slab, 0, data, 8) == 0 && !memcmp(data, "tenant-a", 8),
	   "tenants: key 0's connection still reads its data");
	conn_close(&b);
	conn_open(&b);
	auth_req(&b, &test_keys[1], test_keys[1].id, nc, ns2, &mac_ok);
	ok(hello_mac(&b, &test_keys[1], nc, ns2, T, &h2, NULL) == 0 &&
	   io_read(&b, slab, 0, data, 8) == RMEM_ERR_NOENT,
	   "tenants: key 1 has a session of its own, without access to key 0's slab");
	ok(rmem_node_session_other_key(&node, S, 1) && !rmem_node_session_other_key(&node, S, 0) &&
	   !rmem_node_session_other_key(&node, 0x999, 1),
	   "tenants: rmem_node_session_other_key() (used by the RDMA connect path)");
	conn_close(&b);

	/* RDMA: AUTH must name the key of the connect request */
	rdma_open(&c, T);
	c.pc.bound_key = 1;
	ok(auth_req(&c, &test_keys[0], test_keys[0].id, nc, ns2, &mac_ok) == RMEM_ERR_PERM &&
	   c.last_rc == -EPROTO, "auth psk, RDMA: AUTH with another key than the connect request: PERM");
	conn_close(&c);

	/* deterministic nonces for fuzzers */
	node.nonce = test_nonce;
	conn_open(&c);
	auth_req(&c, &test_keys[0], test_keys[0].id, nc, ns, &mac_ok);
	conn_close(&c);
	conn_open(&c);
	auth_req(&c, &test_keys[0], test_keys[0].id, nc, ns2, &mac_ok);
	ok(ns[0] + 1 == ns2[0] && ns2[0] == ns2[31], "rmem_node.nonce draws the server nonces");
	conn_close(&c);
	node.nonce = rmem_auth_nonce;
	ok(node.stats.auth_failures >= 9 && node.stats.auth_no_auth == 2 &&
	   node.stats.auth_unknown_key >= 1 && node.stats.auth_bad_mac >= 4,
	   "auth psk: failures counted in total and by reason");
	slab_free(&a, slab);
	conn_close(&a);
	auth_off();

	/* auth none: AUTH refused, the connection stays, a plain HELLO works */
	conn_open(&c);
	ok(auth_req(&c, &test_keys[0], test_keys[0].id, nc, ns, &mac_ok) == RMEM_ERR_PERM &&
	   c.last_rc > 0 && !c.pc.authed, "auth none: AUTH: PERM, connection kept");
	ok(hello(&c, S, RMEM_PROTO_FEAT_TCP | RMEM_PROTO_FEAT_AUTH, &rep) == 0 &&
	   le64toh(rep.features) == RMEM_PROTO_FEAT_TCP,
	   "auth none: then a plain HELLO: OK, FEAT_AUTH not granted");
	conn_close(&c);
	ok(node.sessions.count == 0, "auth tests leave no session");
	free(r.payload);
}

int main(void)
{
	char err[256];

	rmemd_log_init(true, RMEMD_LOG_OFF);
	if (rmem_pool_init(&pool, (uint64_t)SLAB * NSLABS, SLAB, 0, err, sizeof(err))) {
		printf("Bail out! pool: %s\n", err);
		return 1;
	}
	rmem_node_init(&node, &pool, 5000, INSTANCE);
	node.now_ms = 1000;
	test_keys_init();

	test_framing();
	test_hello();
	test_requests();
	test_rdma_cm();
	test_auth();
	test_rdma_conn();
	test_rdma_datagram();
	test_replace();
	test_drop_reply();
	test_lose_request();
	test_hostile_early();
	test_hostile();
	test_drain();
	test_quota();
	test_publish();
	test_publish_rdma();
	test_ctl_parse();
	test_pool_zero_thread();

	rmem_node_fini(&node);
	rmem_pool_fini(&pool);
	return tap_done();
}
