// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the protocol engine: the input is split into the
 * byte streams of two connections (the first byte picks the split, and
 * whether the second connection comes after the session timeout or runs
 * at the same time, the two handled message by message in turn, and
 * whether the server is draining: PING's drain_ms, SLAB_ALLOC refused, and
 * whether it runs with auth psk under two tenant keys (bit 2) or auth none),
 * each fed to rmem_proto_step() like conn.c does, with a 4-slab pool. With
 * auth psk a HELLO whose mac starts with four zero bytes gets the right mac
 * from the harness (fuzz-key.h), so the fuzzer gets past AUTH. Checks,
 * beyond the sanitizers: every reply is well formed; a connection cut off
 * by the other's HELLO (same session and queue) is the other one, never
 * itself, and handles nothing more; a connection only ever joins a session
 * of the key it authenticated with, and with auth psk only after AUTH; and
 * once every connection is closed and the sessions have expired every slab
 * is free or a published region's, no region has a session attached, and
 * once the regions are deleted the whole pool is free and zero again.
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-key.h"
#include "log.h"
#include "pool.h"
#include "proto.h"

#define SLAB	8192
#define NSLABS	4

static struct rmem_pool pool;
static struct rmem_node node;

/* Not worth coverage feedback, and tracing it would dominate the run time. */
__attribute__((no_sanitize("coverage")))
static int pool_is_zero(void)
{
	const uint64_t *w = (const uint64_t *)pool.base;

	for (size_t i = 0; i < pool.size / sizeof(*w); i++)
		if (w[i])
			return 0;
	return 1;
}

static void check_replies(struct rmem_buf *out)
{
	while (rmem_buf_len(out)) {
		struct rmem_msg_hdr h;

		if (rmem_buf_len(out) < sizeof(h))
			abort();
		memcpy(&h, rmem_buf_start(out), sizeof(h));
		/* only a VERSION refusal may come in the peer's (older) version */
		if (le32toh(h.magic) != RMEM_PROTO_MAGIC ||
		    (h.version != RMEM_PROTO_VERSION &&
		     le32toh(h.status) != RMEM_ERR_VERSION) ||
		    !(le16toh(h.flags) & RMEM_MSG_F_REPLY) ||
		    (h.status && h.len) || le32toh(h.len) > RMEM_MSG_MAX_PAYLOAD ||
		    rmem_buf_len(out) < sizeof(h) + le32toh(h.len))
			abort();
		rmem_buf_consume(out, sizeof(h) + le32toh(h.len));
	}
}

/**
 * struct fconn - one fuzzed connection
 * @pc: protocol state
 * @out: replies
 * @data: its input bytes
 * @size: bytes in @data
 * @off: bytes handled
 * @done: no more steps (waiting for bytes that never come, or closed)
 * @cut: the engine cut it off (rmem_pconn.cut_off)
 */
struct fconn {
	struct rmem_pconn pc;
	struct rmem_buf out;
	uint8_t *data;
	size_t size;
	size_t off;
	int done;
	int cut;
};

static struct fconn *stepping;

static void fuzz_cut_off(void *xprt)
{
	struct fconn *c = xprt;

	/* Only another connection, once, and already out of its session. */
	if (c == stepping || c->cut || !c->pc.replaced || c->pc.sess)
		abort();
	c->cut = 1;
}

static void conn_init(struct fconn *c, uint8_t *data, size_t size)
{
	memset(c, 0, sizeof(*c));
	rmem_pconn_init(&c->pc, "fuzz");
	c->pc.xprt = c;
	c->pc.cut_off = fuzz_cut_off;
	c->data = data;
	c->size = size;
	c->done = !size;
}

/* Handle one message of @c, as conn.c does. */
static void conn_step(struct fconn *c)
{
	size_t need, before = rmem_buf_len(&c->out);
	ssize_t r;

	fuzz_fix_hello(&node, &c->pc, c->data + c->off, c->size - c->off);
	stepping = c;
	r = rmem_proto_step(&node, &c->pc, c->data + c->off, c->size - c->off, &c->out, &need);
	stepping = NULL;
	check_replies(&c->out);
	/* tenants: a session of another key is never joined, nor any without AUTH */
	if (c->pc.sess && (c->pc.sess->key_idx != c->pc.key_idx ||
			   (node.auth && (!c->pc.authed || c->pc.key_idx < 0))))
		abort();
	if (c->cut && (r != -ECONNRESET || rmem_buf_len(&c->out) != before))
		abort();	/* a cut-off connection handles nothing */
	if (r <= 0) {
		if (r == 0 && (need <= c->size - c->off ||
			       need > sizeof(struct rmem_msg_hdr) + RMEM_MSG_MAX_PAYLOAD))
			abort();
		c->done = 1;
		return;
	}
	if ((size_t)r > c->size - c->off)
		abort();
	c->off += r;
	c->done = c->off == c->size;
}

static void conn_fini(struct fconn *c)
{
	rmem_pconn_close(&node, &c->pc);
	rmem_buf_free(&c->out);
}

static void run_conn(uint8_t *data, size_t size)
{
	struct fconn c;

	conn_init(&c, data, size);
	while (!c.done)
		conn_step(&c);
	conn_fini(&c);
}

/* Two connections at once, one message of each in turn. */
static void run_two(uint8_t *d1, size_t s1, uint8_t *d2, size_t s2)
{
	struct fconn a, b;

	conn_init(&a, d1, s1);
	conn_init(&b, d2, s2);
	while (!a.done || !b.done) {
		if (!a.done)
			conn_step(&a);
		if (!b.done)
			conn_step(&b);
	}
	conn_fini(&a);
	conn_fini(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	uint8_t *copy;
	size_t split;

	if (!ready) {
		char err[128];

		rmemd_log_init(true, RMEMD_LOG_OFF);
		if (rmem_pool_init(&pool, SLAB * NSLABS, SLAB, 0, err, sizeof(err)))
			abort();
		rmem_node_init(&node, &pool, 1000, 0x0123456789abcdefull);
		if (fuzz_keys_init())
			abort();
		node.keys = fuzz_keys;
		node.nkeys = FUZZ_NKEYS;
		node.nonce = fuzz_nonce;
		ready = 1;
	}
	if (!size)
		return 0;
	/* The harness writes HELLO macs into the input: work on a copy. */
	copy = malloc(size);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	fuzz_nonce_ctr = 0;
	node.auth = data[0] & 4;
	node.now_ms = 1000;
	/* The split byte's bit 1: the server is draining (SIGTERM) throughout. */
	node.drain_until_ms = data[0] & 2 ? 1500 : 0;
	split = 1 + (size_t)data[0] * (size - 1) / 255;
	if (data[0] & 1) {
		/* odd first byte: the second connection comes after the timeout */
		run_conn(copy + 1, split - 1);
		node.now_ms += 1000;
		rmem_sessions_expire(&node.sessions, node.now_ms);
		run_conn(copy + split, size - split);
	} else {
		run_two(copy + 1, split - 1, copy + split, size - split);
	}
	free(copy);

	node.now_ms += 1000;
	rmem_sessions_expire(&node.sessions, node.now_ms);
	/* What no session holds now is published regions', then nothing. */
	if (node.sessions.count || pool.nfree + rmem_pub_slabs(&node.pubs) != pool.nslabs)
		abort();
	while (node.pubs.head) {
		if (node.pubs.head->nattached)
			abort();	/* attached by a session that is gone */
		rmem_node_pub_delete(&node, node.pubs.head, "fuzz");
	}
	if (pool.nfree != pool.nslabs || !pool_is_zero())
		abort();
	return 0;
}
