// SPDX-License-Identifier: GPL-2.0
/*
 * rmemd published regions: the table; see pub.h. Freeing a region's slabs
 * is the caller's business (the pool and the RDMA hooks), as is who may do
 * what: this file only keeps the books.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pub.h"

/**
 * rmem_pub_name_valid() - is @name (@len bytes, NUL padded) a valid name?
 * @name: the wire field
 * @len: its size (RMEM_PUB_NAME_LEN)
 *
 * Valid: 1..@len - 1 bytes of [A-Za-z0-9._:@+-], then only NULs.
 *
 * Return: true when it is.
 */
bool rmem_pub_name_valid(const char *name, size_t len)
{
	size_t n = 0, i;

	while (n < len && name[n])
		n++;
	if (n == 0 || n == len)
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("._:@+-", c)))
			return false;
	}
	for (i = n; i < len; i++)
		if (name[i])
			return false;
	return true;
}

/**
 * rmem_pub_create() - add a region with no slab yet
 * @t: table
 * @name: valid name, not in @t
 * @size: bytes
 * @nextents: extents, 1..RMEM_PUB_MAX_EXTENTS
 * @owner: creating session's id
 * @key_idx: its key index
 * @pool_id: owner id for its slabs in the pool (no session's, no region's)
 *
 * Return: the region, or NULL when memory is short.
 */
struct rmem_pub *rmem_pub_create(struct rmem_pubs *t, const char *name, uint64_t size,
				 uint32_t nextents, uint64_t owner, int key_idx, uint64_t pool_id)
{
	struct rmem_pub *p = calloc(1, sizeof(*p));
	uint32_t i;

	if (!p)
		return NULL;
	p->slab = malloc(nextents * sizeof(*p->slab));
	p->rkey = calloc(nextents, sizeof(*p->rkey));
	p->addr = calloc(nextents, sizeof(*p->addr));
	if (!p->slab || !p->rkey || !p->addr) {
		free(p->slab);
		free(p->rkey);
		free(p->addr);
		free(p);
		return NULL;
	}
	for (i = 0; i < nextents; i++)
		p->slab[i] = RMEM_SLAB_NONE;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->handle = ++t->next_handle;
	p->pool_id = pool_id;
	p->owner = owner;
	p->key_idx = key_idx;
	p->size = size;
	p->nextents = nextents;
	p->next = t->head;
	t->head = p;
	t->count++;
	return p;
}

/**
 * rmem_pub_free() - unlist @p and free it (its slabs must be freed already)
 * @t: table
 * @p: region in @t
 */
void rmem_pub_free(struct rmem_pubs *t, struct rmem_pub *p)
{
	struct rmem_pub **pp;

	for (pp = &t->head; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			t->count--;
			break;
		}
	}
	free(p->slab);
	free(p->rkey);
	free(p->addr);
	while (p->nattached)
		rmem_pub_detach(p, p->attached[0].session);
	free(p->attached);
	free(p);
}

struct rmem_pub *rmem_pub_by_name(const struct rmem_pubs *t, const char *name)
{
	struct rmem_pub *p;

	for (p = t->head; p; p = p->next)
		if (!strncmp(p->name, name, sizeof(p->name)))
			return p;
	return NULL;
}

struct rmem_pub *rmem_pub_by_handle(const struct rmem_pubs *t, uint32_t handle)
{
	struct rmem_pub *p;

	for (p = t->head; p; p = p->next)
		if (p->handle == handle)
			return p;
	return NULL;
}

struct rmem_pub *rmem_pub_by_pool_id(const struct rmem_pubs *t, uint64_t pool_id)
{
	struct rmem_pub *p;

	for (p = t->head; p; p = p->next)
		if (p->pool_id == pool_id)
			return p;
	return NULL;
}

/* @session's attachment to @p, or NULL. */
struct rmem_pub_att *rmem_pub_att(const struct rmem_pub *p, uint64_t session)
{
	uint32_t i;

	for (i = 0; i < p->nattached; i++)
		if (p->attached[i].session == session)
			return &p->attached[i];
	return NULL;
}

/**
 * rmem_pub_attach() - attach @session to @p (no-op when it is)
 * @p: region
 * @session: session id
 *
 * Return: 0, or -ENOMEM.
 */
int rmem_pub_attach(struct rmem_pub *p, uint64_t session)
{
	struct rmem_pub_att *a;

	if (rmem_pub_att(p, session))
		return 0;
	a = realloc(p->attached, (p->nattached + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	p->attached = a;
	a[p->nattached++] = (struct rmem_pub_att){ .session = session };
	return 0;
}

/**
 * rmem_pub_att_rkeys() - give attachment @a its per-extent MR books
 * @p: region
 * @a: attachment to @p
 *
 * Return: 0, or -ENOMEM.
 */
int rmem_pub_att_rkeys(const struct rmem_pub *p, struct rmem_pub_att *a)
{
	if (a->rkey)
		return 0;
	a->rkey = calloc(p->nextents, sizeof(*a->rkey));
	a->addr = calloc(p->nextents, sizeof(*a->addr));
	if (!a->rkey || !a->addr) {
		free(a->rkey);
		free(a->addr);
		a->rkey = NULL;
		a->addr = NULL;
		return -ENOMEM;
	}
	return 0;
}

/**
 * rmem_pub_detach() - detach @session from @p
 * @p: region
 * @session: session id
 *
 * Its MRs must be deregistered already.
 *
 * Return: true when it was attached.
 */
bool rmem_pub_detach(struct rmem_pub *p, uint64_t session)
{
	struct rmem_pub_att *a = rmem_pub_att(p, session);

	if (!a)
		return false;
	free(a->rkey);
	free(a->addr);
	*a = p->attached[--p->nattached];
	return true;
}

/* Slabs held by every published region. */
uint32_t rmem_pub_slabs(const struct rmem_pubs *t)
{
	const struct rmem_pub *p;
	uint32_t n = 0;

	for (p = t->head; p; p = p->next)
		n += p->nslabs;
	return n;
}

/**
 * rmem_pubs_session_uses() - whether @session owns or is attached to a region
 * @t: table
 * @session: its id
 *
 * Such a session is kept when its last connection closes, as one holding
 * slabs is (rmem_session_detach()): a compute node whose link dropped for a
 * moment must come back as the owner, still attached, not as a stranger.
 *
 * Return: true if it owns one or is attached to one.
 */
bool rmem_pubs_session_uses(const struct rmem_pubs *t, uint64_t session)
{
	const struct rmem_pub *p;

	for (p = t->head; p; p = p->next)
		if (p->owner == session || rmem_pub_att(p, session))
			return true;
	return false;
}

/**
 * rmem_pubs_session_gone() - session @session was destroyed
 * @t: table
 * @session: its id
 *
 * It is detached from every region, and a region it owns forgets its write
 * MRs (the transport released them with the session). It stays the owner:
 * an unsealed region can still be sealed by a session of that id.
 */
void rmem_pubs_session_gone(struct rmem_pubs *t, uint64_t session)
{
	struct rmem_pub *p;
	uint32_t i;

	for (p = t->head; p; p = p->next) {
		rmem_pub_detach(p, session);
		if (p->owner != session)
			continue;
		for (i = 0; i < p->nextents; i++) {
			p->rkey[i] = 0;
			p->addr[i] = 0;
		}
	}
}
