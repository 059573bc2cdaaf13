/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small blocking rmem protocol client for the host tests: one request at
 * a time, or raw bytes for framing tests. Each call returns the reply's
 * status (RMEM_OK or RMEM_ERR_*), or -1 on an I/O error or a reply that does
 * not match its request (the reason is in rc_error).
 */
#ifndef RMEMD_TEST_CLIENT_H
#define RMEMD_TEST_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "rmem-proto.h"

extern char rc_error[256];

int rc_connect(const char *hostport);
int rc_send(int fd, const void *buf, size_t len);
int rc_recv(int fd, void *buf, size_t len);
int rc_send_req(int fd, uint8_t type, uint64_t id, const void *p1, uint32_t l1,
		const void *p2, uint32_t l2);
int rc_recv_reply(int fd, uint8_t type, uint64_t id, void *payload, uint32_t max,
		  uint32_t *len);
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
