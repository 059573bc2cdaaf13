/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmemd sessions. A session is named by the client's 64-bit session id and
 * holds slabs; connections attach to it. When its last connection goes, a
 * session holding slabs stays "idle" for the session timeout, then its
 * slabs are zeroed and returned to the pool. A session holding no slab is
 * dropped at once: there is nothing to resume.
 */
#ifndef RMEMD_SESSION_H
#define RMEMD_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "auth.h"

struct rmem_pconn;
struct rmem_pool;
struct rmem_pubs;

/**
 * struct rmem_slab_hooks - what a transport does when slabs change hands
 * @reg: a slab was just allocated to session @id over connection @xprt
 *	(struct rmem_pconn.xprt): make it reachable (RDMA: register it as an
 *	MR in the session's PD) and return its @rkey and @addr. Non-zero
 *	return: the allocation fails and the slab goes back to the pool.
 *	Called only for connections with rmem_pconn.rdma set.
 * @dereg: session @id gives @slab back; called before the slab is zeroed
 *	and returned to the pool, for every slab (the transport ignores
 *	slabs it never registered, e.g. ones allocated over TCP)
 * @release: session @id is destroyed (expired, or idle with no slab, or
 *	the server stops); called before its slabs are zeroed and freed
 * @ctx: passed to each hook
 *
 * Every hook may be NULL (TCP-only servers, tests, fuzzers), and so may
 * the whole struct.
 */
struct rmem_slab_hooks {
	int (*reg)(void *ctx, void *xprt, uint64_t id, uint32_t slab, uint8_t *base,
		   uint64_t len, bool rdonly, uint32_t *rkey, uint64_t *addr);
	void (*dereg)(void *ctx, uint64_t id, uint32_t slab);
	void (*release)(void *ctx, uint64_t id);
	void *ctx;
};

/**
 * struct rmem_session - one client session
 * @id: client-chosen id, non-zero; also the slabs' owner id in the pool
 * @nconns: connections attached
 * @nslabs: slabs held
 * @idle_since_ms: when @nconns dropped to 0 (monotonic ms)
 * @quota_logged: a SLAB_ALLOC above the session quota was logged
 * @key_idx: index of the key it was created under (rmem_node.keys), -1
 *	with auth none; only a peer authenticated with that key may join it
 * @tag: how logs name it (rmem_auth_session_tag()): never the id
 * @conns: the connections attached, linked through rmem_pconn.sess_next;
 *	kept by proto.c (HELLO adds, close and cut-off remove), not here
 * @prev: list link
 * @next: list link
 */
struct rmem_session {
	uint64_t id;
	uint32_t nconns;
	uint32_t nslabs;
	uint64_t idle_since_ms;
	bool quota_logged;
	int key_idx;
	char tag[RMEM_AUTH_TAG_LEN];
	struct rmem_pconn *conns;
	struct rmem_session *prev;
	struct rmem_session *next;
};

/**
 * struct rmem_sessions - all sessions of this server
 * @head: list of sessions
 * @count: sessions in the list
 * @idle: sessions with no connection
 * @timeout_ms: how long an idle session keeps its slabs
 * @pool: where their slabs come from
 * @hooks: transport hooks on slab changes, or NULL
 * @pubs: published regions, whose books a destroyed session leaves, or NULL
 */
struct rmem_sessions {
	struct rmem_session *head;
	uint32_t count;
	uint32_t idle;
	uint64_t timeout_ms;
	struct rmem_pool *pool;
	const struct rmem_slab_hooks *hooks;
	struct rmem_pubs *pubs;
};

void rmem_sessions_init(struct rmem_sessions *t, struct rmem_pool *pool,
			uint64_t timeout_ms);
void rmem_sessions_fini(struct rmem_sessions *t);
struct rmem_session *rmem_session_find(const struct rmem_sessions *t, uint64_t id);
struct rmem_session *rmem_session_attach(struct rmem_sessions *t, uint64_t id, int key_idx,
					 bool *resumed);
void rmem_session_detach(struct rmem_sessions *t, struct rmem_session *s,
			 uint64_t now_ms);
uint32_t rmem_sessions_expire(struct rmem_sessions *t, uint64_t now_ms);
int64_t rmem_sessions_next_expiry(const struct rmem_sessions *t);

#endif
