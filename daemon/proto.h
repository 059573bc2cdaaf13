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

#include "auth.h"
#include "buf.h"
#include "pub.h"
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
 * @version_refused: connections closed for another protocol version (an
 *	old peer), after an RMEM_ERR_VERSION reply
 * @auth_failures: peers refused with RMEM_ERR_PERM by authentication (TCP
 *	and RDMA), the sum of the four below
 * @auth_no_auth: first message not AUTH while auth psk
 * @auth_unknown_key: AUTH or connect request naming a key id we lack
 * @auth_bad_mac: HELLO or connect request with a wrong mac, a HELLO
 *	without FEAT_AUTH after AUTH, or an RDMA AUTH naming another key than
 *	its connect request
 * @auth_other_key: HELLO (or connect request) naming a session created
 *	under another key
 * @auth_replayed: RDMA connect requests whose nonce the session has seen
 * @hostile_replies: replies mangled on purpose (--test-hostile)
 */
struct rmem_stats {
	uint64_t requests;
	uint64_t errors;
	uint64_t bytes_read;
	uint64_t bytes_written;
	uint64_t proto_closes;
	uint64_t replaced_conns;
	uint64_t dropped_replies;
	uint64_t version_refused;
	uint64_t auth_failures;
	uint64_t auth_no_auth;
	uint64_t auth_unknown_key;
	uint64_t auth_bad_mac;
	uint64_t auth_other_key;
	uint64_t auth_replayed;
	uint64_t hostile_replies;
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
 * @drop_lose: the request is not handled either (--test-lose-request): a
 *	request lost on the wire, a write never applied
 * @drop_off: only READs or WRITEs at this offset in their slab count; -1:
 *	all requests of @drop_type
 * @hostile_rate: test only (--test-hostile): about one reply in this many,
 *	after HELLO, is mangled (rmem_proto_hostile()); 0 mangles none
 * @hostile_rng: its random state (xorshift64, never 0)
 * @hostile_rkey: wrong rkeys among the lies (--test-hostile N:rkey)
 * @hostile_early: the lies are only early replies: a WRITE is answered
 *	"done" once its header is in, before its data (--test-hostile
 *	N:early): the client must not finish the request while it still
 *	sends its pages (the real reply, later, is not sent)
 * @hostile_slab: the lies are only wrong slabs in SLAB_ALLOC replies
 *	(--test-hostile N:slab): each leaves a slab claimed that the client
 *	does not know of
 * @drain_until_ms: draining (SIGTERM with slabs held) until then; 0: not
 * @session_quota: slabs one session may hold; 0: no limit (session-quota)
 * @quota_refusals: SLAB_ALLOCs refused by @session_quota
 * @auth: authentication required (auth psk): every connection starts with
 *	AUTH under one of @keys
 * @keys: the keys (tenants), owned by the caller; a session is bound to
 *	the index of the key it was created under
 * @nkeys: entries in @keys
 * @nonce: draws a server nonce; rmem_auth_nonce() unless a fuzzer wants
 *	them reproducible
 * @pubs: published regions
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
	int64_t drop_off;
	bool drop_lose;
	uint32_t hostile_rate;
	uint64_t hostile_rng;
	bool hostile_rkey;
	bool hostile_slab;
	bool hostile_early;
	uint64_t drain_until_ms;
	uint32_t session_quota;
	uint64_t quota_refusals;
	bool auth;
	const struct rmem_auth_key *keys;
	uint32_t nkeys;
	int (*nonce)(void *buf, size_t len);
	struct rmem_pubs pubs;
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
 * @authed: AUTH succeeded: the next message must be HELLO with a mac
 * @key_idx: index in rmem_node.keys of the key AUTH named; -1 before AUTH
 *	and with auth none
 * @bound_key: key index the RDMA connect request was verified with, which
 *	AUTH must name again; -1 when any key may be named
 * @nc: the client's AUTH nonce
 * @ns: our AUTH nonce
 * @why: room for a close reason with details (@close_reason points here)
 * @early_drawn: the WRITE @early_id, still arriving, was drawn for an early
 *	answer (rmem_node.hostile_early)
 * @early: and answered early: its real reply is not sent
 * @early_id: its id
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
	bool authed;
	int key_idx;
	int bound_key;
	uint8_t nc[RMEM_AUTH_NONCE_LEN];
	uint8_t ns[RMEM_AUTH_NONCE_LEN];
	char why[128];
	bool early_drawn;
	bool early;
	uint64_t early_id;
};

/* Features this server grants on a TCP connection. */
#define RMEM_PROTO_FEAT_SUPPORTED	(RMEM_PROTO_FEAT_TCP | RMEM_PROTO_FEAT_PUBLISH)

/**
 * struct rmem_rdma_cm_info - a validated struct rmem_rdma_cm_req
 * @session: session the QP joins, non-zero
 * @queue: client's queue index
 * @depth: control messages the client may have outstanding, 1..MAX_DEPTH
 * @key_id: the request's key id (0 with auth none)
 * @key_idx: index in rmem_node.keys of the key its mac was verified
 *	with; -1 with auth none
 * @nonce: the request's nonce (its mac covers it)
 */
struct rmem_rdma_cm_info {
	uint64_t session;
	uint32_t queue;
	uint16_t depth;
	uint64_t key_id;
	int key_idx;
	uint8_t nonce[RMEM_RDMA_CM_NONCE_LEN];
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
uint32_t rmem_rdma_cm_req_parse(struct rmem_node *n, const void *data, size_t len,
				struct rmem_rdma_cm_info *info);
bool rmem_node_session_other_key(const struct rmem_node *n, uint64_t session, int key_idx);
void rmem_node_pub_delete(struct rmem_node *n, struct rmem_pub *p, const char *who);
void rmem_rdma_cm_rep_build(struct rmem_rdma_cm_rep *rep, uint32_t status,
			    uint16_t depth);

#endif
