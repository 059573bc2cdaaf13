// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the I/O-free half of the RDMA transport: the
 * connect request's private data (rmem_rdma_cm_req_parse()), then the
 * messages of two RDMA connections of the session it names, one per
 * receive (rmem_proto_datagram()), with fake slab hooks standing in for
 * the MRs of rdma.c.
 *
 * Input: byte 0 picks the private data length (24..64), whether the
 * session times out between the connections (bit 0) and whether the server
 * runs with auth psk under two tenant keys (bit 1); then the private data;
 * then receives, each a length byte (0..255; above RMEM_RDMA_MSG_SIZE it
 * cannot arrive and is skipped) and that many bytes; a length byte 0xff
 * switches to the second connection. With auth psk, a connect request or
 * HELLO whose mac starts with four zero bytes gets the right mac from the
 * harness (fuzz-key.h), so the fuzzer gets past authentication.
 *
 * Checks, beyond the sanitizers: every handled receive gets exactly one
 * well-formed reply that fits a SEND (RMEM_RDMA_MSG_SIZE); a slab is
 * registered only for its holder (a published one: for writing only by its
 * owner before the seal, for reading only after it), once per session, and
 * deregistered while still held and unzeroed; a request accepted with auth psk names one of the keys; a
 * connection joins only a session of its connect request's key; once
 * everything is closed and expired no MR is left and every slab is free or
 * a published region's, and once those are deleted the whole pool is free
 * and zero, including slabs "written by RDMA".
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
static int xprt;

/*
 * MRs as (session, slab) pairs: a session's own slab has at most one (its
 * holder's); a published slab may have one per session (the owner's write
 * MR before the seal, read MRs after it).
 */
static struct {
	uint64_t id;
	uint32_t slab;
} mrs[4 * NSLABS];
static int nmrs;

static int mr_find(uint64_t id, uint32_t slab)
{
	for (int i = 0; i < nmrs; i++)
		if (mrs[i].id == id && mrs[i].slab == slab)
			return i;
	return -1;
}

static int fake_reg(void *ctx, void *x, uint64_t id, uint32_t slab, uint8_t *base,
		    uint64_t len, bool rdonly, uint32_t *rkey, uint64_t *addr)
{
	const struct rmem_pub *p;

	(void)ctx;
	if (x != &xprt || slab >= NSLABS || mr_find(id, slab) >= 0 || nmrs == 4 * NSLABS ||
	    base != rmem_pool_slab(&pool, slab) || len != SLAB)
		abort();
	if (pool.owner[slab] == id) {
		if (rdonly)
			abort();
	} else {
		/* a published region's: write MRs for its unsealed owner only */
		p = rmem_pub_by_pool_id(&node.pubs, pool.owner[slab]);
		if (!p || (!rdonly && (p->sealed || p->owner != id)) || (rdonly && !p->sealed))
			abort();
	}
	if (id & 1)	/* some registrations fail */
		return -ENOMEM;
	mrs[nmrs].id = id;
	mrs[nmrs].slab = slab;
	nmrs++;
	base[slab] = 0xee;	/* the client RDMA WRITEs behind the engine's back */
	*rkey = 0x100 + slab;
	*addr = (uintptr_t)base;
	return 0;
}

static void drop(int i)
{
	uint64_t owner = pool.owner[mrs[i].slab];

	/* already freed: reachable after zeroing */
	if (owner != mrs[i].id && !rmem_pub_by_pool_id(&node.pubs, owner))
		abort();
	mrs[i] = mrs[--nmrs];
}

static void fake_dereg(void *ctx, uint64_t id, uint32_t slab)
{
	int i;

	(void)ctx;
	if (slab >= NSLABS)
		abort();
	i = mr_find(id, slab);
	if (i >= 0)
		drop(i);
}

static void fake_release(void *ctx, uint64_t id)
{
	(void)ctx;
	for (int i = 0; i < nmrs;)
		if (mrs[i].id == id)
			drop(i);
		else
			i++;
}

static const struct rmem_slab_hooks hooks = {
	.reg = fake_reg, .dereg = fake_dereg, .release = fake_release,
};

__attribute__((no_sanitize("coverage")))
static int pool_is_zero(void)
{
	const uint64_t *w = (const uint64_t *)pool.base;

	for (size_t i = 0; i < pool.size / sizeof(*w); i++)
		if (w[i])
			return 0;
	return 1;
}

static void check_one_reply(struct rmem_buf *out)
{
	struct rmem_msg_hdr h;
	size_t l;

	if (rmem_buf_len(out) < sizeof(h))
		abort();
	memcpy(&h, rmem_buf_start(out), sizeof(h));
	l = sizeof(h) + le32toh(h.len);
	if (le32toh(h.magic) != RMEM_PROTO_MAGIC ||
	    (h.version != RMEM_PROTO_VERSION && le32toh(h.status) != RMEM_ERR_VERSION) ||
	    !(le16toh(h.flags) & RMEM_MSG_F_REPLY) || (h.status && h.len) ||
	    l > RMEM_RDMA_MSG_SIZE || rmem_buf_len(out) != l)
		abort();
	rmem_buf_consume(out, l);
}

/* Runs one connection from @data; returns bytes used. */
static size_t run_conn(const struct rmem_rdma_cm_info *info, uint8_t *data, size_t size)
{
	struct rmem_pconn pc;
	struct rmem_buf out = { 0 };
	size_t off = 0;

	rmem_pconn_init(&pc, "fuzz-rdma");
	pc.rdma = true;
	pc.bound_session = info->session;
	pc.bound_key = info->key_idx;
	pc.xprt = &xprt;
	while (off < size) {
		uint8_t l = data[off++];
		int rc;

		if (l == 0xff)
			break;
		if (l > size - off)
			l = (uint8_t)(size - off);
		if (l > RMEM_RDMA_MSG_SIZE) {
			off += l;
			continue;
		}
		fuzz_fix_hello(&node, &pc, data + off, l);
		rc = rmem_proto_datagram(&node, &pc, data + off, l, &out);
		off += l;
		if (pc.sess && (pc.sess->key_idx != info->key_idx || pc.key_idx != info->key_idx))
			abort();
		if (rc == 0) {
			check_one_reply(&out);
			continue;
		}
		if (rc != -EPROTO || !pc.close_reason)
			abort();
		/* at most the courtesy error reply */
		if (rmem_buf_len(&out))
			check_one_reply(&out);
		break;
	}
	rmem_pconn_close(&node, &pc);
	rmem_buf_free(&out);
	return off;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct rmem_rdma_cm_info info;
	struct rmem_rdma_cm_req req;
	size_t pdlen, used;
	uint8_t flags, *copy;
	uint32_t st;

	if (!ready) {
		char err[128];

		rmemd_log_init(true, RMEMD_LOG_OFF);
		if (rmem_pool_init(&pool, SLAB * NSLABS, SLAB, 0, err, sizeof(err)))
			abort();
		rmem_node_init(&node, &pool, 1000, 0x0123456789abcdefull);
		node.sessions.hooks = &hooks;
		if (fuzz_keys_init())
			abort();
		node.keys = fuzz_keys;
		node.nkeys = FUZZ_NKEYS;
		node.nonce = fuzz_nonce;
		ready = 1;
	}
	if (!size)
		return 0;
	flags = data[0];
	pdlen = 24 + (flags >> 2) % 41;
	if (size - 1 < pdlen)
		pdlen = size - 1;
	node.auth = flags & 2;
	fuzz_nonce_ctr = 0;
	/* The harness writes macs into the input: work on a copy. */
	copy = malloc(size);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	if (node.auth && pdlen >= sizeof(req)) {
		const struct rmem_auth_key *k;

		memcpy(&req, copy + 1, sizeof(req));
		k = rmem_auth_key_find(fuzz_keys, FUZZ_NKEYS, le64toh(req.key_id), NULL);
		if (k && fuzz_placeholder(req.mac)) {
			rmem_auth_cm_req_mac(k, &req, req.mac);
			memcpy(copy + 1, &req, sizeof(req));
		}
	}
	st = rmem_rdma_cm_req_parse(&node, copy + 1, pdlen, &info);
	if (st != RMEM_OK) {
		if (st != RMEM_ERR_PROTO && st != RMEM_ERR_VERSION && st != RMEM_ERR_INVAL &&
		    (st != RMEM_ERR_PERM || !node.auth))
			abort();
		free(copy);
		return 0;
	}
	if (!info.session || info.depth < 1 || info.depth > RMEM_RDMA_MAX_DEPTH ||
	    (node.auth ? info.key_idx < 0 || info.key_idx >= FUZZ_NKEYS : info.key_idx != -1))
		abort();

	node.now_ms = 1000;
	used = run_conn(&info, copy + 1 + pdlen, size - 1 - pdlen);
	node.now_ms += (flags & 1) ? 1000 : 10;
	rmem_sessions_expire(&node.sessions, node.now_ms);
	run_conn(&info, copy + 1 + pdlen + used, size - 1 - pdlen - used);
	free(copy);

	node.now_ms += 1000;
	rmem_sessions_expire(&node.sessions, node.now_ms);
	if (nmrs || node.sessions.count || pool.nfree + rmem_pub_slabs(&node.pubs) != pool.nslabs)
		abort();
	while (node.pubs.head)
		rmem_node_pub_delete(&node, node.pubs.head, "fuzz");
	if (nmrs || pool.nfree != pool.nslabs || !pool_is_zero())
		abort();
	return 0;
}
