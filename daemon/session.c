// SPDX-License-Identifier: GPL-2.0
/*
 * rmemd sessions; see session.h. Sessions are few (one per client machine,
 * bounded by connections plus sessions holding slabs, so by max-clients +
 * slabs), so a list is enough: lookups happen on HELLO only, the data path
 * uses the connection's session pointer.
 */
#include <stdlib.h>

#include "auth.h"
#include "log.h"
#include "pool.h"
#include "pub.h"
#include "session.h"

/**
 * rmem_sessions_init() - empty session table
 * @t: table
 * @pool: pool the sessions' slabs belong to
 * @timeout_ms: idle time before an idle session's slabs are reclaimed
 */
void rmem_sessions_init(struct rmem_sessions *t, struct rmem_pool *pool,
			uint64_t timeout_ms)
{
	t->head = NULL;
	t->count = 0;
	t->idle = 0;
	t->timeout_ms = timeout_ms;
	t->pool = pool;
	t->hooks = NULL;
	t->pubs = NULL;
}

static void session_destroy(struct rmem_sessions *t, struct rmem_session *s)
{
	/* Unreachable by RDMA first, then zeroed: never the other way round. */
	if (t->hooks && t->hooks->release)
		t->hooks->release(t->hooks->ctx, s->id);
	if (t->pubs)
		rmem_pubs_session_gone(t->pubs, s->id);
	rmem_pool_release_owner(t->pool, s->id);
	if (s->prev)
		s->prev->next = s->next;
	else
		t->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	if (!s->nconns)
		t->idle--;
	t->count--;
	free(s);
}

/**
 * rmem_sessions_fini() - drop every session and free their slabs
 * @t: table
 */
void rmem_sessions_fini(struct rmem_sessions *t)
{
	while (t->head)
		session_destroy(t, t->head);
}

/**
 * rmem_session_find() - look a session up
 * @t: table
 * @id: session id
 *
 * Return: the session, or NULL.
 */
struct rmem_session *rmem_session_find(const struct rmem_sessions *t, uint64_t id)
{
	struct rmem_session *s;

	for (s = t->head; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

/**
 * rmem_session_attach() - find or create session @id and attach a connection
 * @t: table
 * @id: session id, non-zero
 * @key_idx: key a new session is bound to (-1: none); the caller has
 *	checked that an existing session has the same
 * @resumed: set when the session already existed (its slabs are kept)
 *
 * Return: the session, or NULL when memory is short.
 */
struct rmem_session *rmem_session_attach(struct rmem_sessions *t, uint64_t id, int key_idx,
					 bool *resumed)
{
	struct rmem_session *s = rmem_session_find(t, id);

	if (s) {
		if (!s->nconns++)
			t->idle--;
		*resumed = true;
		return s;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->id = id;
	s->key_idx = key_idx;
	rmem_auth_session_tag(id, s->tag);
	s->nconns = 1;
	s->next = t->head;
	if (t->head)
		t->head->prev = s;
	t->head = s;
	t->count++;
	*resumed = false;
	return s;
}

/**
 * rmem_session_detach() - a connection of @s closed
 * @t: table
 * @s: session
 * @now_ms: monotonic time
 *
 * The last connection of a session leaves it idle (kept for the timeout) if
 * it holds slabs, owns a published region or is attached to one; else, or
 * if the timeout is 0, it is destroyed.
 */
void rmem_session_detach(struct rmem_sessions *t, struct rmem_session *s,
			 uint64_t now_ms)
{
	if (--s->nconns)
		return;
	t->idle++;
	s->idle_since_ms = now_ms;
	if (!t->timeout_ms ||
	    (!s->nslabs && !(t->pubs && rmem_pubs_session_uses(t->pubs, s->id))))
		session_destroy(t, s);
}

/**
 * rmem_sessions_expire() - reclaim idle sessions whose timeout has passed
 * @t: table
 * @now_ms: monotonic time
 *
 * Return: sessions reclaimed.
 */
uint32_t rmem_sessions_expire(struct rmem_sessions *t, uint64_t now_ms)
{
	struct rmem_session *s, *next;
	uint32_t n = 0;

	for (s = t->head; s; s = next) {
		next = s->next;
		if (s->nconns || now_ms - s->idle_since_ms < t->timeout_ms)
			continue;
		log_info("session %s: expired after %llu s idle, %u slabs zeroed and freed",
			 s->tag,
			 (unsigned long long)((now_ms - s->idle_since_ms) / 1000), s->nslabs);
		session_destroy(t, s);
		n++;
	}
	return n;
}

/**
 * rmem_sessions_next_expiry() - when the next idle session expires
 * @t: table
 *
 * Return: monotonic ms, or -1 when no session is idle.
 */
int64_t rmem_sessions_next_expiry(const struct rmem_sessions *t)
{
	int64_t best = -1;

	for (const struct rmem_session *s = t->head; s; s = s->next) {
		int64_t when;

		if (s->nconns)
			continue;
		when = (int64_t)(s->idle_since_ms + t->timeout_ms);
		if (best < 0 || when < best)
			best = when;
	}
	return best;
}
