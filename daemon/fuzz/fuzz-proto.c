// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the protocol engine: the input is split into the
 * byte streams of two connections (the first byte picks the split and the
 * time between them), each fed to rmem_proto_step() like conn.c does, with
 * a 4-slab pool. Checks, beyond the sanitizers: every reply is well formed,
 * and once every connection is closed and the sessions have expired the
 * whole pool is free and zero again.
 */
#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
		if (le32toh(h.magic) != RMEM_PROTO_MAGIC || h.version != RMEM_PROTO_VERSION ||
		    !(le16toh(h.flags) & RMEM_MSG_F_REPLY) ||
		    (h.status && h.len) || le32toh(h.len) > RMEM_MSG_MAX_PAYLOAD ||
		    rmem_buf_len(out) < sizeof(h) + le32toh(h.len))
			abort();
		rmem_buf_consume(out, sizeof(h) + le32toh(h.len));
	}
}

static void run_conn(const uint8_t *data, size_t size)
{
	struct rmem_pconn pc;
	struct rmem_buf out = { 0 };
	size_t off = 0, need;

	rmem_pconn_init(&pc, "fuzz");
	while (off < size) {
		ssize_t r = rmem_proto_step(&node, &pc, data + off, size - off, &out, &need);

		check_replies(&out);
		if (r <= 0) {
			if (r == 0 && (need <= size - off || need > sizeof(struct rmem_msg_hdr) +
							      RMEM_MSG_MAX_PAYLOAD))
				abort();
			break;
		}
		if ((size_t)r > size - off)
			abort();
		off += r;
	}
	rmem_pconn_close(&node, &pc);
	rmem_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	size_t split;

	if (!ready) {
		char err[128];

		rmemd_log_init(true, RMEMD_LOG_OFF);
		if (rmem_pool_init(&pool, SLAB * NSLABS, SLAB, 0, err, sizeof(err)))
			abort();
		rmem_node_init(&node, &pool, 1000, 0x0123456789abcdefull);
		ready = 1;
	}
	if (!size)
		return 0;
	node.now_ms = 1000;
	split = 1 + (size_t)data[0] * (size - 1) / 255;
	run_conn(data + 1, split - 1);
	/* odd first byte: the second connection comes after the timeout */
	node.now_ms += (data[0] & 1) ? 1000 : 10;
	rmem_sessions_expire(&node.sessions, node.now_ms);
	run_conn(data + split, size - split);

	node.now_ms += 1000;
	rmem_sessions_expire(&node.sessions, node.now_ms);
	if (node.sessions.count || pool.nfree != pool.nslabs)
		abort();
	if (!pool_is_zero())
		abort();
	return 0;
}
