/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the fuzz harnesses and their seed generator share to get past
 * authentication: two fixed tenant keys, reproducible server nonces, and
 * the "mac placeholder" rule. A fuzzer cannot forge an HMAC, so where an
 * input's HELLO mac (or connect request mac) begins with four zero bytes
 * the harness writes the right mac there before the engine sees it; any
 * other mac is left as is and exercises the refusal paths. Test keys only:
 * never use them anywhere else.
 */
#ifndef RMEMD_FUZZ_KEY_H
#define RMEMD_FUZZ_KEY_H

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto.h"

#define FUZZ_NKEYS	2

static struct rmem_auth_key fuzz_keys[FUZZ_NKEYS];
static uint32_t fuzz_nonce_ctr;

static __attribute__((unused)) int fuzz_keys_init(void)
{
	uint8_t k[RMEM_AUTH_KEY_LEN];

	for (int i = 0; i < FUZZ_NKEYS; i++) {
		for (int j = 0; j < RMEM_AUTH_KEY_LEN; j++)
			k[j] = (uint8_t)(0x40 + 16 * i + j);
		if (rmem_auth_key_init(&fuzz_keys[i], k))
			return -1;
	}
	return 0;
}

/* rmem_node.nonce: the same input gets the same nonces (reset per input). */
static __attribute__((unused)) int fuzz_nonce(void *buf, size_t len)
{
	uint32_t n = ++fuzz_nonce_ctr;

	memset(buf, 0x3c, len);
	memcpy(buf, &n, len < sizeof(n) ? len : sizeof(n));
	return 0;
}

static __attribute__((unused)) bool fuzz_placeholder(const uint8_t *mac)
{
	return !mac[0] && !mac[1] && !mac[2] && !mac[3];
}

/*
 * @msg (@len bytes, a whole message or more) is about to be handled on a
 * connection that passed AUTH but has no session: if it is a HELLO whose
 * mac is a placeholder, write the mac of this connection's nonces.
 */
static __attribute__((unused)) void fuzz_fix_hello(const struct rmem_node *n,
						   const struct rmem_pconn *pc, uint8_t *msg,
						   size_t len)
{
	struct rmem_msg_hdr h;
	struct rmem_hello hello;

	if (!n->auth || !pc->authed || pc->sess || pc->key_idx < 0 ||
	    len < sizeof(h) + sizeof(hello))
		return;
	memcpy(&h, msg, sizeof(h));
	if (h.type != RMEM_MSG_HELLO || le32toh(h.len) != sizeof(hello))
		return;
	memcpy(&hello, msg + sizeof(h), sizeof(hello));
	if (!fuzz_placeholder(hello.mac))
		return;
	rmem_auth_hello_mac(&n->keys[pc->key_idx], pc->nc, pc->ns, &hello, hello.mac);
	memcpy(msg + sizeof(h), &hello, sizeof(hello));
}

#endif
