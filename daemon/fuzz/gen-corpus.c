// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the seed corpus of fuzz-proto: small, valid and invalid message
 * sequences, laid out as fuzz-proto.c reads them (first byte: where the
 * second connection's bytes start, scaled to 0..255; its bit 2 turns auth
 * psk on); and with a second directory, that of fuzz-rdma (connect private
 * data, then one length byte before each message, 0xff between the two
 * connections). Seeds with authentication start each connection with AUTH
 * under one of fuzz-key.h's keys and leave the HELLO and connect request
 * macs as placeholders (zero), which the harnesses fill in.
 *
 * usage: gen-corpus DIR [RDMA_DIR]
 */
#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz-key.h"
#include "rmem-proto.h"

static uint8_t buf[8192];
static size_t len;
static int dgram;	/* fuzz-rdma layout: a length byte before each message */
static int auth_key = -1;	/* hello(): AUTH first under this fuzz key; -1: none */

static void msg(uint8_t type, uint64_t id, const void *p, uint32_t plen)
{
	struct rmem_msg_hdr h = {
		.magic = htole32(RMEM_PROTO_MAGIC), .version = RMEM_PROTO_VERSION,
		.type = type, .len = htole32(plen), .id = htole64(id),
	};

	if (dgram)
		buf[len++] = (uint8_t)(sizeof(h) + plen);
	memcpy(buf + len, &h, sizeof(h));
	len += sizeof(h);
	if (plen)
		memcpy(buf + len, p, plen);
	len += plen;
}

static void hello(uint64_t session)
{
	struct rmem_hello h = { .features = htole64(dgram ? RMEM_PROTO_FEAT_RDMA :
							    RMEM_PROTO_FEAT_TCP),
				.session = htole64(session), .max_io = htole32(RMEM_MSG_MAX_IO) };

	if (auth_key >= 0) {
		struct rmem_auth a = { .key_id = htole64(fuzz_keys[auth_key].id) };

		memset(a.nonce, 0xc5, sizeof(a.nonce));
		msg(RMEM_MSG_AUTH, 11, &a, sizeof(a));
		h.features |= htole64(RMEM_PROTO_FEAT_AUTH);	/* mac: a placeholder */
	}
	msg(RMEM_MSG_HELLO, 1, &h, sizeof(h));
}

static void io(uint8_t type, uint32_t slab, uint32_t n, uint64_t off, const char *data)
{
	uint8_t p[sizeof(struct rmem_io) + 64];
	struct rmem_io r = { .slab = htole32(slab), .len = htole32(n), .offset = htole64(off) };

	memcpy(p, &r, sizeof(r));
	if (data)
		memcpy(p + sizeof(r), data, n);
	msg(type, 2, p, sizeof(r) + (data ? n : 0));
}

static void slab_free(uint32_t slab)
{
	struct rmem_slab_ref r = { .slab = htole32(slab) };

	msg(RMEM_MSG_SLAB_FREE, 3, &r, sizeof(r));
}

static void save(const char *dir, const char *name, uint8_t split)
{
	char path[512];
	FILE *f;

	/* fuzz-proto: bit 2 of the first byte says auth psk */
	if (!dgram)
		split = auth_key >= 0 ? split | 4 : split & ~4;
	buf[0] = split;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return;
	}
	fwrite(buf, 1, len, f);
	fclose(f);
}

static void start(void)
{
	len = 1;
}

/*
 * An even first byte (connections at the same time) that makes the second
 * connection start exactly at @mid; PINGs are added to the end until one
 * exists.
 */
static uint8_t even_split(size_t mid)
{
	for (;;) {
		for (unsigned int b = 0; b < 256; b += 2)
			if (1 + b * (len - 1) / 255 == mid)
				return (uint8_t)b;
		msg(RMEM_MSG_PING, 4, NULL, 0);
	}
}

/*
 * fuzz-rdma: byte 0 = 128 selects 56 bytes of private data, no timeout
 * (129: timeout; +2: auth psk). With auth_key set, the request names that
 * key and leaves its mac a placeholder.
 */
static void rdma_start(uint64_t session, uint16_t depth)
{
	struct rmem_rdma_cm_req q = {
		.magic = htole32(RMEM_PROTO_MAGIC), .version = RMEM_PROTO_VERSION,
		.depth = htole16(depth), .session = htole64(session),
		.key_id = htole64(auth_key >= 0 ? fuzz_keys[auth_key].id : 0),
	};

	len = 1;
	memcpy(buf + len, &q, sizeof(q));
	len += sizeof(q);
	dgram = 1;
}

static void rdma_seeds(const char *dir)
{
	/* without, then with auth psk (key 1; +2 in the first byte) */
	for (auth_key = -1; auth_key <= 1; auth_key += 2) {
		uint8_t a = auth_key < 0 ? 0 : 2;

		rdma_start(10, 16);
		hello(10);
		msg(RMEM_MSG_SLAB_ALLOC, 2, NULL, 0);
		msg(RMEM_MSG_PING, 3, NULL, 0);
		io(RMEM_MSG_READ, 0, 8, 0, NULL);
		io(RMEM_MSG_WRITE, 0, 4, 0, "abcd");
		slab_free(0);
		msg(RMEM_MSG_SLAB_ALLOC, 4, NULL, 0);
		buf[len++] = 0xff;
		hello(10);
		msg(RMEM_MSG_PING, 5, NULL, 0);
		save(dir, a ? "rdma-auth-session" : "rdma-session", 128 + a);
		save(dir, a ? "rdma-auth-after-timeout" : "rdma-resume-after-timeout", 129 + a);
	}
	auth_key = -1;

	rdma_start(11, 1);	/* odd session: the fake registration fails */
	hello(11);
	msg(RMEM_MSG_SLAB_ALLOC, 2, NULL, 0);
	hello(12);
	save(dir, "rdma-reg-fails", 128);

	rdma_start(10, 16);
	hello(12);		/* not the connect request's session */
	hello(10);
	buf[len++] = 3;		/* a receive cut short */
	buf[len++] = 'R';
	buf[len++] = 'M';
	buf[len++] = 'E';
	save(dir, "rdma-bad", 128);

	/* A published region over RDMA: write MRs, the seal, read MRs. */
	rdma_start(10, 16);
	hello(10);
	{
		struct rmem_pub_name pn = { .name = "w", .size = htole64(2 * 8192) };
		struct rmem_pub_extent pe = { .handle = htole32(1) };

		msg(RMEM_MSG_PUB_CREATE, 2, &pn, sizeof(pn));
		msg(RMEM_MSG_PUB_ALLOC, 3, &pe, sizeof(pe));
		msg(RMEM_MSG_PUB_MAP, 4, &pe, sizeof(pe));
		pn.size = 0;
		msg(RMEM_MSG_PUB_SEAL, 5, &pn, sizeof(pn));
		msg(RMEM_MSG_PUB_OPEN, 6, &pn, sizeof(pn));
		msg(RMEM_MSG_PUB_MAP, 7, &pe, sizeof(pe));
		msg(RMEM_MSG_PUB_CLOSE, 8, &pe, sizeof(pe));
		msg(RMEM_MSG_PUB_DELETE, 9, &pn, sizeof(pn));
	}
	save(dir, "rdma-publish", 128);

	rdma_start(10, 0);	/* rejected: depth 0 */
	save(dir, "rdma-bad-depth", 128);

	/* auth psk: AUTH with another key than the connect request's */
	auth_key = 1;
	rdma_start(20, 8);
	auth_key = 0;
	hello(20);
	save(dir, "rdma-auth-other-key", 130);
	auth_key = -1;
	dgram = 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "corpus/proto";

	if (fuzz_keys_init()) {
		fprintf(stderr, "gen-corpus: cannot compute the fuzz key ids\n");
		return 1;
	}
	start();
	hello(7);
	msg(RMEM_MSG_SLAB_ALLOC, 2, NULL, 0);
	io(RMEM_MSG_WRITE, 0, 8, 100, "abcdefgh");
	io(RMEM_MSG_READ, 0, 8, 100, NULL);
	msg(RMEM_MSG_PING, 4, NULL, 0);
	slab_free(0);
	save(dir, "session-basic", 255);

	start();
	hello(7);
	msg(RMEM_MSG_SLAB_ALLOC, 2, NULL, 0);
	io(RMEM_MSG_WRITE, 0, 4, 8188, "wxyz");
	size_t mid = len;
	hello(7);
	io(RMEM_MSG_READ, 0, 4, 8188, NULL);
	io(RMEM_MSG_READ, 0, 5, 8188, NULL);
	slab_free(0);
	save(dir, "resume-same-session", (uint8_t)((mid - 1) * 255 / (len - 1)));
	save(dir, "resume-after-timeout", (uint8_t)((mid - 1) * 255 / (len - 1)) | 1);

	/*
	 * Two connections at once, a message of each in turn: the second's
	 * HELLO, after two refused ones, cuts the first off (same session,
	 * same queue) between its WRITE and its READ.
	 */
	start();
	hello(7);
	msg(RMEM_MSG_SLAB_ALLOC, 2, NULL, 0);
	io(RMEM_MSG_WRITE, 0, 8, 64, "stalestl");
	io(RMEM_MSG_READ, 0, 8, 64, NULL);
	mid = len;
	hello(0);
	hello(0);
	hello(7);
	io(RMEM_MSG_WRITE, 0, 8, 64, "newernew");
	io(RMEM_MSG_READ, 0, 8, 64, NULL);
	slab_free(0);
	save(dir, "replace-same-queue", even_split(mid));

	/*
	 * Published regions: the first connection creates, backs, writes and
	 * seals one; the second (another session) opens, maps and reads it,
	 * then tries to write, close and delete it.
	 */
	start();
	hello(7);
	{
		struct rmem_pub_name pn = { .name = "genome.v1", .size = htole64(3 * 8192) };
		struct rmem_pub_extent pe = { .handle = htole32(1), .extent = htole32(0) };

		msg(RMEM_MSG_PUB_CREATE, 20, &pn, sizeof(pn));
		msg(RMEM_MSG_PUB_ALLOC, 21, &pe, sizeof(pe));
		pe.extent = htole32(2);
		msg(RMEM_MSG_PUB_ALLOC, 22, &pe, sizeof(pe));
		io(RMEM_MSG_WRITE, 0, 8, 64, "publishd");
		pn.size = 0;
		msg(RMEM_MSG_PUB_SEAL, 23, &pn, sizeof(pn));
		io(RMEM_MSG_WRITE, 0, 8, 64, "tooolate");
		mid = len;
		hello(8);
		msg(RMEM_MSG_PUB_OPEN, 24, &pn, sizeof(pn));
		pe.extent = 0;
		msg(RMEM_MSG_PUB_MAP, 25, &pe, sizeof(pe));
		io(RMEM_MSG_READ, 0, 8, 64, NULL);
		io(RMEM_MSG_WRITE, 0, 8, 64, "notmine!");
		msg(RMEM_MSG_PUB_CLOSE, 26, &pe, sizeof(pe));
		msg(RMEM_MSG_PUB_OPEN, 27, &pn, sizeof(pn));
		msg(RMEM_MSG_PUB_DELETE, 28, &pn, sizeof(pn));
	}
	save(dir, "publish-seal-open", (uint8_t)((mid - 1) * 255 / (len - 1)) | 1);
	save(dir, "publish-at-once", even_split(mid));

	start();
	hello(8);
	msg(RMEM_MSG_SLAB_ALLOC, 2, NULL, 0);
	msg(RMEM_MSG_SLAB_ALLOC, 2, NULL, 0);
	msg(RMEM_MSG_SLAB_ALLOC, 2, NULL, 0);
	msg(RMEM_MSG_SLAB_ALLOC, 2, NULL, 0);
	msg(RMEM_MSG_SLAB_ALLOC, 2, NULL, 0);
	io(RMEM_MSG_READ, 9, 8, 0, NULL);
	io(RMEM_MSG_READ, 0, 0, 0, NULL);
	io(RMEM_MSG_READ, 0, RMEM_MSG_MAX_IO + 1, 0, NULL);
	io(RMEM_MSG_WRITE, 1, 3, UINT64_MAX - 1, "abc");
	slab_free(3);
	slab_free(3);
	msg(0, 5, NULL, 0);
	msg(RMEM_MSG_HELLO, 6, NULL, 0);
	save(dir, "errors", 255);

	start();
	hello(9);
	msg(RMEM_MSG_SLAB_ALLOC, 2, NULL, 0);
	msg(RMEM_MSG_SLAB_ALLOC, 2, NULL, 0);
	{
		struct rmem_slab_ref r = { .slab = htole32(1) };

		msg(RMEM_MSG_SLAB_LIST, 4, &r, sizeof(r));
		r.slab = htole32(UINT32_MAX);
		msg(RMEM_MSG_SLAB_LIST, 5, &r, sizeof(r));
		msg(RMEM_MSG_SLAB_LIST, 6, &r, 4);
	}
	save(dir, "slab-list", 255);

	start();
	msg(RMEM_MSG_PING, 1, NULL, 0);
	save(dir, "no-hello", 255);

	start();
	hello(9);
	msg(RMEM_MSG_PING, 1, NULL, 0);
	buf[len - 20] = RMEM_PROTO_VERSION + 1;	/* version of the last message */
	save(dir, "bad-version", 255);

	start();
	msg(RMEM_MSG_PING, 1, NULL, 0);
	buf[len - 20] = 1;	/* a version 1 peer */
	save(dir, "version-1", 255);

	/* auth psk: sessions of two tenants, refusals */
	auth_key = 0;
	start();
	hello(7);
	msg(RMEM_MSG_SLAB_ALLOC, 2, NULL, 0);
	io(RMEM_MSG_WRITE, 0, 8, 100, "abcdefgh");
	io(RMEM_MSG_READ, 0, 8, 100, NULL);
	slab_free(0);
	save(dir, "auth-session", 253);	/* sequential, not draining */

	start();
	hello(7);
	msg(RMEM_MSG_SLAB_ALLOC, 2, NULL, 0);
	io(RMEM_MSG_WRITE, 0, 4, 0, "wxyz");
	mid = len;
	auth_key = 1;
	hello(7);		/* the other tenant names the same session: refused */
	auth_key = 0;
	hello(7);
	io(RMEM_MSG_READ, 0, 4, 0, NULL);
	save(dir, "auth-tenants", (uint8_t)((mid - 1) * 255 / (len - 1)));
	save(dir, "auth-tenants-after-timeout", (uint8_t)((mid - 1) * 255 / (len - 1)) | 1);

	start();
	{
		struct rmem_auth a = { .key_id = htole64(0x1234) };
		struct rmem_hello h = { .session = htole64(5) };

		msg(RMEM_MSG_AUTH, 1, &a, sizeof(a));	/* unknown key */
		save(dir, "auth-unknown-key", 255);
		start();
		a.key_id = htole64(fuzz_keys[0].id);
		msg(RMEM_MSG_AUTH, 1, &a, sizeof(a));
		memset(h.mac, 0x77, sizeof(h.mac));	/* not a placeholder: a bad mac */
		h.features = htole64(RMEM_PROTO_FEAT_TCP | RMEM_PROTO_FEAT_AUTH);
		msg(RMEM_MSG_HELLO, 2, &h, sizeof(h));
		save(dir, "auth-bad-mac", 255);
	}
	start();
	msg(RMEM_MSG_HELLO, 1, NULL, 0);	/* HELLO first */
	save(dir, "auth-no-auth", 255);
	auth_key = -1;

	if (argc > 2)
		rdma_seeds(argv[2]);
	return 0;
}
