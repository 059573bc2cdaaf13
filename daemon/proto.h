/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmemd protocol engine: parses the messages of include/rmem-proto.h from a
 * connection's input bytes and appends the replies to its output buffer.
 * No sockets, no clock, no allocation beyond the output buffer and session
 * objects: the event loop (conn.c), the tests and the fuzzer all drive it
 * the same way, through rmem_proto_step().
 */
#ifndef RMEMD_PROTO_H
#define RMEMD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "rmem-proto.h"
#include "session.h"

struct rmem_pool;

/**
 * struct rmem_stats - counters shown by rmemd --status
 * @requests: requests handled (every message after framing checks)
 * @errors: error replies sent plus connections closed for bad framing
 * @bytes_read: data bytes returned by READ
 * @bytes_written: data bytes stored by WRITE
 * @proto_closes: connections closed for bad framing
 * @replaced_conns: connections cut off because a newer connection of their
 *	session said HELLO with the same queue index
 * @dropped_replies: replies dropped on purpose (--test-drop-reply)
 */
struct rmem_stats {
	uint64_t requests;
	uint64_t errors;
	uint64_t bytes_read;
	uint64_t bytes_written;
	uint64_t proto_closes;
	uint64_t replaced_conns;
	uint64_t dropped_replies;
};

/**
 * struct rmem_node - protocol state shared by all connections of a server
 * @pool: donated memory
 * @sessions: session table
 * @instance: random id of this run, sent in hello replies
 * @now_ms: monotonic time, set by the caller before each step
 * @stats: counters
 * @drop_type: test only (--test-drop-reply): the reply to the @drop_nth
 *	request of this RMEM_MSG_* type is handled but never sent, once, as
 *	if the network had lost it; 0 drops nothing
 * @drop_nth: which request of @drop_type, from 1
 * @drop_seen: requests of @drop_type handled so far
 * @drain_until_ms: draining (SIGTERM with slabs held) until then; 0: not
 * @session_quota: slabs one session may hold; 0: no limit (session-quota)
 * @quota_refusals: SLAB_ALLOCs refused by @session_quota
 */
struct rmem_node {
	struct rmem_pool *pool;
	struct rmem_sessions sessions;
	uint64_t instance;
	uint64_t now_ms;
	struct rmem_stats stats;
	uint8_t drop_type;
	uint32_t drop_nth;
	uint32_t drop_seen;
	uint64_t drain_until_ms;
	uint32_t session_quota;
	uint64_t quota_refusals;
};

/**
 * struct rmem_pconn - protocol state of one connection
 * @name: for log lines ("10.0.0.1:43210")
 * @sess: session joined by HELLO, NULL before
 * @features: features granted
 * @queue: queue index the client gave in HELLO
 * @close_reason: why rmem_proto_step() asked to close, for the log
 * @rdma: an RDMA connection: data moves one-sided, READ/WRITE are refused,
 *	SLAB_ALLOC registers the slab through rmem_slab_hooks.reg
 * @bound_session: session named before HELLO (RDMA connect request), which
 *	HELLO must repeat; 0 when any session may be named
 * @xprt: the transport's connection, handed to rmem_slab_hooks.reg and
 *	to @cut_off
 * @cut_off: set by the transport, or NULL (tests, fuzzers): the engine has
 *	cut this connection off (@replaced); stop it at once, handle and send
 *	nothing more of it, and close it. Called from inside
 *	rmem_proto_step() of *another* connection, so the transport must not
 *	free the connection's memory before the current event batch is over.
 * @replaced: cut off by a newer connection of the same session and queue:
 *	rmem_proto_step() handles nothing more and returns -ECONNRESET
 * @sess_prev: link in rmem_session.conns
 * @sess_next: link in rmem_session.conns
 */
struct rmem_pconn {
	const char *name;
	struct rmem_session *sess;
	uint64_t features;
	uint32_t queue;
	const char *close_reason;
	bool rdma;
	uint64_t bound_session;
	void *xprt;
	void (*cut_off)(void *xprt);
	bool replaced;
	struct rmem_pconn *sess_prev;
	struct rmem_pconn *sess_next;
};

/* Features this server grants on a TCP connection. */
#define RMEM_PROTO_FEAT_SUPPORTED	RMEM_PROTO_FEAT_TCP

/**
 * struct rmem_rdma_cm_info - a validated struct rmem_rdma_cm_req
 * @session: session the QP joins, non-zero
 * @queue: client's queue index
 * @depth: control messages the client may have outstanding, 1..MAX_DEPTH
 */
struct rmem_rdma_cm_info {
	uint64_t session;
	uint32_t queue;
	uint16_t depth;
};

void rmem_node_init(struct rmem_node *n, struct rmem_pool *pool,
		    uint64_t session_timeout_ms, uint64_t instance);
void rmem_node_fini(struct rmem_node *n);
void rmem_pconn_init(struct rmem_pconn *pc, const char *name);
void rmem_pconn_close(struct rmem_node *n, struct rmem_pconn *pc);
ssize_t rmem_proto_step(struct rmem_node *n, struct rmem_pconn *pc,
			const uint8_t *in, size_t len, struct rmem_buf *out,
			size_t *need);
int rmem_proto_datagram(struct rmem_node *n, struct rmem_pconn *pc,
			const uint8_t *in, size_t len, struct rmem_buf *out);
const char *rmem_proto_status_name(uint32_t status);
uint32_t rmem_rdma_cm_req_parse(const void *data, size_t len,
				struct rmem_rdma_cm_info *info);
void rmem_rdma_cm_rep_build(struct rmem_rdma_cm_rep *rep, uint32_t status,
			    uint16_t depth);

#endif
