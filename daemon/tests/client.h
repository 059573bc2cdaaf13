/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small blocking rmem protocol client for the host tests: one request at
 * a time, or raw bytes for framing tests. Each call returns the reply's
 * status (RMEM_OK or RMEM_ERR_*), or -1 on an I/O error or a reply that does
 * not match its request (the reason is in rc_error).
 *
 * With rc_key set, rc_hello() authenticates first (AUTH, check the server's
 * mac, HELLO with FEAT_AUTH and a mac), as the module does; with rc_key
 * NULL it sends a plain HELLO (auth none). The MACs come from ../auth.c.
 */
#ifndef RMEMD_TEST_CLIENT_H
#define RMEMD_TEST_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "rmem-proto.h"

extern char rc_error[256];
extern const struct rmem_auth_key *rc_key;

/**
 * struct rc_auth - one connection's AUTH exchange, as the client saw it
 * @nc: our nonce
 * @ns: the server's nonce
 * @smac: the server's mac
 */
struct rc_auth {
	uint8_t nc[RMEM_AUTH_NONCE_LEN];
	uint8_t ns[RMEM_AUTH_NONCE_LEN];
	uint8_t smac[RMEM_AUTH_MAC_LEN];
};

int rc_connect(const char *hostport);
int rc_send(int fd, const void *buf, size_t len);
int rc_recv(int fd, void *buf, size_t len);
int rc_send_req(int fd, uint8_t type, uint64_t id, const void *p1, uint32_t l1,
		const void *p2, uint32_t l2);
int rc_recv_reply(int fd, uint8_t type, uint64_t id, void *payload, uint32_t max,
		  uint32_t *len);
int rc_auth(int fd, const struct rmem_auth_key *k, uint64_t key_id, struct rc_auth *a);
void rc_hello_build(struct rmem_hello *h, const struct rmem_auth_key *k, const struct rc_auth *a,
		    uint64_t session, uint32_t queue);
int rc_hello_send(int fd, const struct rmem_hello *h, struct rmem_hello_reply *rep);
int rc_hello(int fd, uint64_t session, uint32_t queue, struct rmem_hello_reply *rep);
int rc_alloc(int fd, uint32_t *slab);
int rc_free(int fd, uint32_t slab);
size_t rc_write_msg(uint8_t *msg, uint64_t id, uint32_t slab, uint64_t off, const void *buf,
		    uint32_t len);
int rc_write(int fd, uint32_t slab, uint64_t off, const void *buf, uint32_t len);
int rc_read(int fd, uint32_t slab, uint64_t off, void *buf, uint32_t len);
int rc_ping(int fd, struct rmem_ping_reply *rep);
int rc_is_closed(int fd, int timeout_ms);

#endif
