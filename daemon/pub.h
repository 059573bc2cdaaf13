/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmemd published regions (include/rmem-proto.h, "Published regions"): named
 * sets of slabs that belong to no session. The pool knows a published
 * region's slabs by the region's owner id (rmem_pub.pool_id), drawn so that
 * it is no session's id; this table maps names, handles and those ids to
 * regions, and records which sessions are attached. Regions are few (a
 * handful of datasets), so lists are enough. No sockets, no transport: the
 * protocol engine (proto.c) calls it and does the RDMA hooks itself.
 */
#ifndef RMEMD_PUB_H
#define RMEMD_PUB_H

#include <stdbool.h>
#include <stdint.h>

#include "rmem-proto.h"

/**
 * struct rmem_pub_att - a session attached to a published region
 * @session: its id
 * @rkey: over RDMA, per extent, the session's read MR of it (0: none
 *	yet), or NULL before its first RDMA PUB_MAP
 * @addr: per extent, that MR's address
 */
struct rmem_pub_att {
	uint64_t session;
	uint32_t *rkey;
	uint64_t *addr;
};

/**
 * struct rmem_pub - one published region
 * @name: NUL-terminated
 * @handle: its handle, unique in this run
 * @pool_id: owner id of its slabs in the pool (never a session's id)
 * @owner: id of the session that created it (it stays the owner after
 *	that session ends: the same session id may come back)
 * @key_idx: key (tenant) the owner's session was created under; -1 with
 *	auth none
 * @size: bytes, as created
 * @nextents: extents (size / slab size, rounded up)
 * @slab: per extent, its slab or RMEM_SLAB_NONE
 * @rkey: per extent, the owner's RDMA MR of it before the seal (0: none)
 * @addr: per extent, that MR's address
 * @nslabs: extents with a slab
 * @sealed: read-only for good
 * @attached: the sessions attached (PUB_OPEN), @nattached of them
 * @nattached: entries in @attached
 * @next: list link
 */
struct rmem_pub {
	char name[RMEM_PUB_NAME_LEN];
	uint32_t handle;
	uint64_t pool_id;
	uint64_t owner;
	int key_idx;
	uint64_t size;
	uint32_t nextents;
	uint32_t *slab;
	uint32_t *rkey;
	uint64_t *addr;
	uint32_t nslabs;
	bool sealed;
	struct rmem_pub_att *attached;
	uint32_t nattached;
	struct rmem_pub *next;
};

/**
 * struct rmem_pubs - every published region of this server
 * @head: list
 * @count: regions
 * @next_handle: the next handle to give
 */
struct rmem_pubs {
	struct rmem_pub *head;
	uint32_t count;
	uint32_t next_handle;
};

bool rmem_pub_name_valid(const char *name, size_t len);
struct rmem_pub *rmem_pub_create(struct rmem_pubs *t, const char *name, uint64_t size,
				 uint32_t nextents, uint64_t owner, int key_idx, uint64_t pool_id);
void rmem_pub_free(struct rmem_pubs *t, struct rmem_pub *p);
struct rmem_pub *rmem_pub_by_name(const struct rmem_pubs *t, const char *name);
struct rmem_pub *rmem_pub_by_handle(const struct rmem_pubs *t, uint32_t handle);
struct rmem_pub *rmem_pub_by_pool_id(const struct rmem_pubs *t, uint64_t pool_id);
struct rmem_pub_att *rmem_pub_att(const struct rmem_pub *p, uint64_t session);
int rmem_pub_attach(struct rmem_pub *p, uint64_t session);
int rmem_pub_att_rkeys(const struct rmem_pub *p, struct rmem_pub_att *a);
bool rmem_pub_detach(struct rmem_pub *p, uint64_t session);
uint32_t rmem_pub_slabs(const struct rmem_pubs *t);
void rmem_pubs_session_gone(struct rmem_pubs *t, uint64_t session);
bool rmem_pubs_session_uses(const struct rmem_pubs *t, uint64_t session);

#endif
