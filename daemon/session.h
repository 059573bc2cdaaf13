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

struct rmem_pool;

/**
 * struct rmem_session - one client session
 * @id: client-chosen id, non-zero; also the slabs' owner id in the pool
 * @nconns: connections attached
 * @nslabs: slabs held
 * @idle_since_ms: when @nconns dropped to 0 (monotonic ms)
 * @prev: list link
 * @next: list link
 */
struct rmem_session {
	uint64_t id;
	uint32_t nconns;
	uint32_t nslabs;
	uint64_t idle_since_ms;
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
 */
struct rmem_sessions {
	struct rmem_session *head;
	uint32_t count;
	uint32_t idle;
	uint64_t timeout_ms;
	struct rmem_pool *pool;
};

void rmem_sessions_init(struct rmem_sessions *t, struct rmem_pool *pool,
			uint64_t timeout_ms);
void rmem_sessions_fini(struct rmem_sessions *t);
struct rmem_session *rmem_session_attach(struct rmem_sessions *t, uint64_t id,
					 bool *resumed);
void rmem_session_detach(struct rmem_sessions *t, struct rmem_session *s,
			 uint64_t now_ms);
uint32_t rmem_sessions_expire(struct rmem_sessions *t, uint64_t now_ms);
int64_t rmem_sessions_next_expiry(const struct rmem_sessions *t);

#endif
