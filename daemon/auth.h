/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmem authentication primitives (include/rmem-proto.h, "Authentication
 * (version 2)"): key ids, the three MACs, constant-time compare, nonces and
 * session tags. One implementation, on OpenSSL 3's EVP API, shared by rmemd,
 * its tests and fuzzers, and the selftest probes (selftests/Makefile links
 * this file). Pure functions of their arguments, except rmem_auth_nonce().
 *
 * Functions returning int return 0, or -EIO when libcrypto failed (out of
 * memory, a FIPS provider without HMAC...): the caller refuses the peer.
 */
#ifndef RMEMD_AUTH_H
#define RMEMD_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rmem-proto.h"

/* Most keys (tenants) one rmemd holds. */
#define RMEM_AUTH_MAX_KEYS	16
/* Characters of a session tag, with the NUL. */
#define RMEM_AUTH_TAG_LEN	9

/**
 * struct rmem_auth_key - a cluster key and its id
 * @id: rmem_auth_key_id() of @key
 * @key: the key
 */
struct rmem_auth_key {
	uint64_t id;
	uint8_t key[RMEM_AUTH_KEY_LEN];
};

/**
 * struct rmem_auth_part - one byte string of a MAC's input
 * @data: bytes
 * @len: how many
 */
struct rmem_auth_part {
	const void *data;
	size_t len;
};

int rmem_auth_hmac(const uint8_t key[RMEM_AUTH_KEY_LEN], const struct rmem_auth_part *parts,
		   size_t nparts, uint8_t mac[RMEM_AUTH_MAC_LEN]);
int rmem_auth_key_id(const uint8_t key[RMEM_AUTH_KEY_LEN], uint64_t *id);
int rmem_auth_key_init(struct rmem_auth_key *k, const uint8_t key[RMEM_AUTH_KEY_LEN]);
int rmem_auth_server_mac(const struct rmem_auth_key *k, const uint8_t nc[RMEM_AUTH_NONCE_LEN],
			 const uint8_t ns[RMEM_AUTH_NONCE_LEN], uint8_t mac[RMEM_AUTH_MAC_LEN]);
int rmem_auth_hello_mac(const struct rmem_auth_key *k, const uint8_t nc[RMEM_AUTH_NONCE_LEN],
			const uint8_t ns[RMEM_AUTH_NONCE_LEN], const struct rmem_hello *hello,
			uint8_t mac[RMEM_AUTH_MAC_LEN]);
int rmem_auth_cm_req_mac(const struct rmem_auth_key *k, const struct rmem_rdma_cm_req *req,
			 uint8_t mac[RMEM_RDMA_CM_MAC_LEN]);
int rmem_auth_cm_req_sign(const struct rmem_auth_key *k, struct rmem_rdma_cm_req *req);
bool rmem_auth_equal(const void *a, const void *b, size_t len);
int rmem_auth_nonce(void *buf, size_t len);
char *rmem_auth_session_tag(uint64_t session, char tag[RMEM_AUTH_TAG_LEN]);
const struct rmem_auth_key *rmem_auth_key_find(const struct rmem_auth_key *keys, uint32_t n,
					       uint64_t id, int *idx);

#endif
