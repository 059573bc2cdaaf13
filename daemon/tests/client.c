// SPDX-License-Identifier: GPL-2.0
/*
 * Blocking rmem protocol client for the host tests; see client.h.
 */
#include <endian.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"

char rc_error[256];
const struct rmem_auth_key *rc_key;
static uint64_t rc_next_id = 1;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rc_error, sizeof(rc_error), fmt, ap);
	va_end(ap);
	return -1;
}

int rc_connect(const char *hostport)
{
	char host[128];
	const char *colon = strrchr(hostport, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	int fd, one = 1;

	if (!colon || (size_t)(colon - hostport) >= sizeof(host))
		return fail("bad address %s", hostport);
	memcpy(host, hostport, colon - hostport);
	host[colon - hostport] = '\0';
	if (getaddrinfo(host, colon + 1, &hints, &res))
		return fail("getaddrinfo %s", hostport);
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen)) {
		freeaddrinfo(res);
		if (fd >= 0)
			close(fd);
		return fail("connect %s: %s", hostport, strerror(errno));
	}
	freeaddrinfo(res);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int rc_send(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail("send: %s", n < 0 ? strerror(errno) : "closed");
		p += n;
		len -= n;
	}
	return 0;
}

int rc_recv(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail("recv: %s", n < 0 ? strerror(errno) : "connection closed");
		p += n;
		len -= n;
	}
	return 0;
}

int rc_send_req(int fd, uint8_t type, uint64_t id, const void *p1, uint32_t l1,
		const void *p2, uint32_t l2)
{
	struct rmem_msg_hdr h = {
		.magic = htole32(RMEM_PROTO_MAGIC), .version = RMEM_PROTO_VERSION,
		.type = type, .len = htole32(l1 + l2), .id = htole64(id),
	};

	if (rc_send(fd, &h, sizeof(h)) || (l1 && rc_send(fd, p1, l1)) ||
	    (l2 && rc_send(fd, p2, l2)))
		return -1;
	return 0;
}

int rc_recv_reply(int fd, uint8_t type, uint64_t id, void *payload, uint32_t max,
		  uint32_t *len)
{
	struct rmem_msg_hdr h;
	uint32_t l;

	if (rc_recv(fd, &h, sizeof(h)))
		return -1;
	l = le32toh(h.len);
	if (le32toh(h.magic) != RMEM_PROTO_MAGIC || h.version != RMEM_PROTO_VERSION ||
	    h.type != type || le64toh(h.id) != id ||
	    !(le16toh(h.flags) & RMEM_MSG_F_REPLY))
		return fail("reply does not match request (type %u/%u id %llu/%llu)",
			    h.type, type, (unsigned long long)le64toh(h.id),
			    (unsigned long long)id);
	if (h.status && l)
		return fail("error reply with a payload");
	if (l > max)
		return fail("reply payload %u > %u", l, max);
	if (l && rc_recv(fd, payload, l))
		return -1;
	if (len)
		*len = l;
	return (int)le32toh(h.status);
}

static int rc_call(int fd, uint8_t type, const void *p1, uint32_t l1, const void *p2,
		   uint32_t l2, void *rep, uint32_t repmax, uint32_t want)
{
	uint64_t id = rc_next_id++;
	uint32_t got = 0;
	int st;

	if (rc_send_req(fd, type, id, p1, l1, p2, l2))
		return -1;
	st = rc_recv_reply(fd, type, id, rep, repmax, &got);
	if (st == 0 && got != want)
		return fail("reply payload %u bytes, expected %u", got, want);
	return st;
}

/*
 * AUTH naming @key_id (normally @k's id; another to test refusals) with a
 * fresh nonce. On RMEM_OK the server's mac is checked against @k: -1 when
 * it is wrong. @a gets both nonces.
 */
int rc_auth(int fd, const struct rmem_auth_key *k, uint64_t key_id, struct rc_auth *a)
{
	struct rmem_auth req = { .key_id = htole64(key_id) };
	struct rmem_auth_reply rep;
	uint8_t mac[RMEM_AUTH_MAC_LEN];
	int st;

	if (rmem_auth_nonce(req.nonce, sizeof(req.nonce)))
		return fail("getrandom");
	memcpy(a->nc, req.nonce, sizeof(a->nc));
	st = rc_call(fd, RMEM_MSG_AUTH, &req, sizeof(req), NULL, 0, &rep, sizeof(rep),
		     sizeof(rep));
	if (st)
		return st;
	memcpy(a->ns, rep.nonce, sizeof(a->ns));
	memcpy(a->smac, rep.mac, sizeof(a->smac));
	if (rmem_auth_server_mac(k, a->nc, a->ns, mac) ||
	    !rmem_auth_equal(mac, rep.mac, sizeof(mac)))
		return fail("the server's AUTH mac does not verify");
	return 0;
}

/* A HELLO; with @k and @a, with FEAT_AUTH and the mac of that exchange. */
void rc_hello_build(struct rmem_hello *h, const struct rmem_auth_key *k, const struct rc_auth *a,
		    uint64_t session, uint32_t queue)
{
	memset(h, 0, sizeof(*h));
	h->features = htole64(RMEM_PROTO_FEAT_TCP | (k ? RMEM_PROTO_FEAT_AUTH : 0));
	h->session = htole64(session);
	h->queue = htole32(queue);
	h->max_io = htole32(RMEM_MSG_MAX_IO);
	h->generation = htole32(1);
	if (k)
		rmem_auth_hello_mac(k, a->nc, a->ns, h, h->mac);
}

int rc_hello_send(int fd, const struct rmem_hello *h, struct rmem_hello_reply *rep)
{
	struct rmem_hello_reply tmp;

	return rc_call(fd, RMEM_MSG_HELLO, h, sizeof(*h), NULL, 0, rep ? rep : &tmp,
		       sizeof(tmp), sizeof(tmp));
}

/* AUTH (when rc_key is set) and HELLO: what every test client does first. */
int rc_hello(int fd, uint64_t session, uint32_t queue, struct rmem_hello_reply *rep)
{
	struct rmem_hello h;
	struct rc_auth a;
	int st;

	if (rc_key) {
		st = rc_auth(fd, rc_key, rc_key->id, &a);
		if (st)
			return st;
	}
	rc_hello_build(&h, rc_key, &a, session, queue);
	return rc_hello_send(fd, &h, rep);
}

int rc_alloc(int fd, uint32_t *slab)
{
	struct rmem_slab_alloc_reply r;
	int st = rc_call(fd, RMEM_MSG_SLAB_ALLOC, NULL, 0, NULL, 0, &r, sizeof(r), sizeof(r));

	if (st == 0)
		*slab = le32toh(r.slab);
	return st;
}

int rc_free(int fd, uint32_t slab)
{
	struct rmem_slab_ref ref = { .slab = htole32(slab) };

	return rc_call(fd, RMEM_MSG_SLAB_FREE, &ref, sizeof(ref), NULL, 0, NULL, 0, 0);
}

/*
 * Lay out a whole WRITE message (header, struct rmem_io, data) in @msg, which
 * holds at least sizeof(struct rmem_msg_hdr) + sizeof(struct rmem_io) + @len
 * bytes, for tests that send it in pieces. Returns its length.
 */
size_t rc_write_msg(uint8_t *msg, uint64_t id, uint32_t slab, uint64_t off, const void *buf,
		    uint32_t len)
{
	struct rmem_io io = { .slab = htole32(slab), .len = htole32(len), .offset = htole64(off) };
	struct rmem_msg_hdr h = {
		.magic = htole32(RMEM_PROTO_MAGIC), .version = RMEM_PROTO_VERSION,
		.type = RMEM_MSG_WRITE, .len = htole32(sizeof(io) + len), .id = htole64(id),
	};

	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), &io, sizeof(io));
	memcpy(msg + sizeof(h) + sizeof(io), buf, len);
	return sizeof(h) + sizeof(io) + len;
}

int rc_write(int fd, uint32_t slab, uint64_t off, const void *buf, uint32_t len)
{
	struct rmem_io io = { .slab = htole32(slab), .len = htole32(len), .offset = htole64(off) };

	return rc_call(fd, RMEM_MSG_WRITE, &io, sizeof(io), buf, len, NULL, 0, 0);
}

int rc_read(int fd, uint32_t slab, uint64_t off, void *buf, uint32_t len)
{
	struct rmem_io io = { .slab = htole32(slab), .len = htole32(len), .offset = htole64(off) };

	return rc_call(fd, RMEM_MSG_READ, &io, sizeof(io), NULL, 0, buf, len, len);
}

int rc_ping(int fd, struct rmem_ping_reply *rep)
{
	struct rmem_ping_reply tmp;

	return rc_call(fd, RMEM_MSG_PING, NULL, 0, NULL, 0, rep ? rep : &tmp, sizeof(tmp),
		       sizeof(tmp));
}

/* 1 when the peer closed the connection within @timeout_ms (data discarded). */
int rc_is_closed(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint8_t buf[256];

	for (;;) {
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return 0;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 1;
		if (n < 0)
			return 0;
	}
}
