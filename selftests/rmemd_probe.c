// SPDX-License-Identifier: GPL-2.0
/*
 * rmemd_probe - does an rmemd answer on HOST:PORT?
 *
 *   rmemd_probe [--key-file PATH] HOST PORT
 *
 * Connects (TCP), authenticates when it has a key (RMEM_MSG_AUTH, checks
 * the server's mac), sends RMEM_MSG_HELLO (with FEAT_AUTH and its mac after
 * AUTH) and waits for its reply, all with a 5 s timeout. The key comes from
 * --key-file, else from the file named by $RMEM_KEY_FILE; with neither it
 * sends a plain HELLO, which only an rmemd with "auth none" accepts. Key
 * files and MACs are rmemd's own code (common/rmem-key.c, daemon/auth.c).
 * Prints what the server said as key=value words on one line.
 * Exit: 0 a valid hello reply; 1 no connection (or an unusable key file);
 * 2 connected but no reply (closed or timed out); 3 a reply that breaks the
 * protocol, or a refusal (auth=refused, auth=badmac, hello=error).
 */
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "auth.h"
#include "rmem-key.h"
#include "rmem-proto.h"

#define TIMEOUT_S 5
#define HELLO_ID	0x5e1f7e57
#define AUTH_ID		0x5e1f7e56

static int read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static int send_msg(int fd, uint8_t type, uint64_t id, const void *payload, uint32_t len)
{
	struct {
		struct rmem_msg_hdr hdr;
		uint8_t payload[64];
	} __attribute__((packed)) m;

	memset(&m, 0, sizeof(m));
	m.hdr.magic = htole32(RMEM_PROTO_MAGIC);
	m.hdr.version = RMEM_PROTO_VERSION;
	m.hdr.type = type;
	m.hdr.len = htole32(len);
	m.hdr.id = htole64(id);
	memcpy(m.payload, payload, len);
	return write(fd, &m, sizeof(m.hdr) + len) == (ssize_t)(sizeof(m.hdr) + len) ? 0 : -1;
}

/*
 * The reply to request @id of @type, @len payload bytes into @payload.
 * Prints what went wrong as "@what=..." and returns the exit code, or 0.
 */
static int recv_reply(int fd, const char *what, uint8_t type, uint64_t id, void *payload,
		      uint32_t len)
{
	struct rmem_msg_hdr hdr;

	if (read_full(fd, &hdr, sizeof(hdr))) {
		printf(" %s=noreply\n", what);
		return 2;
	}
	if (le32toh(hdr.magic) != RMEM_PROTO_MAGIC || hdr.type != type ||
	    !(le16toh(hdr.flags) & RMEM_MSG_F_REPLY) || le64toh(hdr.id) != id) {
		printf(" %s=badreply magic=%#x version=%u type=%u flags=%#x\n", what,
		       le32toh(hdr.magic), hdr.version, hdr.type, le16toh(hdr.flags));
		return 3;
	}
	if (le32toh(hdr.status) != RMEM_OK) {
		printf(" %s=%s status=%u\n", what,
		       le32toh(hdr.status) == RMEM_ERR_PERM ? "refused" : "error",
		       le32toh(hdr.status));
		return 3;
	}
	if (le32toh(hdr.len) != len || read_full(fd, payload, len)) {
		printf(" %s=short len=%u\n", what, le32toh(hdr.len));
		return 3;
	}
	return 0;
}

/* AUTH under @k; on success @nc and @ns hold this connection's nonces. */
static int authenticate(int fd, const struct rmem_auth_key *k, uint8_t *nc, uint8_t *ns)
{
	struct rmem_auth req = { .key_id = htole64(k->id) };
	struct rmem_auth_reply rep;
	uint8_t mac[RMEM_AUTH_MAC_LEN];
	char id[RMEM_KEY_ID_STR_LEN];
	int rc;

	rmem_key_format_id(k->id, id);
	printf(" key_id=%s", id);
	if (rmem_auth_nonce(req.nonce, sizeof(req.nonce))) {
		printf(" auth=nonrandom\n");
		return 1;
	}
	memcpy(nc, req.nonce, RMEM_AUTH_NONCE_LEN);
	if (send_msg(fd, RMEM_MSG_AUTH, AUTH_ID, &req, sizeof(req))) {
		printf(" auth=unsent\n");
		return 2;
	}
	rc = recv_reply(fd, "auth", RMEM_MSG_AUTH, AUTH_ID, &rep, sizeof(rep));
	if (rc)
		return rc;
	if (rmem_auth_server_mac(k, nc, rep.nonce, mac) ||
	    !rmem_auth_equal(mac, rep.mac, sizeof(mac))) {
		printf(" auth=badmac\n");	/* the server does not hold this key */
		return 3;
	}
	memcpy(ns, rep.nonce, RMEM_AUTH_NONCE_LEN);
	printf(" auth=ok");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key-file", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	struct timeval tv = { .tv_sec = TIMEOUT_S };
	uint8_t nc[RMEM_AUTH_NONCE_LEN], ns[RMEM_AUTH_NONCE_LEN], raw[RMEM_AUTH_KEY_LEN];
	const char *key_file = getenv("RMEM_KEY_FILE");
	struct rmem_hello_reply rep;
	struct rmem_hello hello;
	struct rmem_auth_key key;
	bool have_key = false;
	char err[256];
	int fd, o, rc;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o != 'k') {
			fprintf(stderr, "usage: rmemd_probe [--key-file PATH] HOST PORT\n");
			return 1;
		}
		key_file = optarg;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: rmemd_probe [--key-file PATH] HOST PORT\n");
		return 1;
	}
	if (key_file && *key_file) {
		if (rmem_key_read_file(key_file, raw, err, sizeof(err))) {
			fprintf(stderr, "rmemd_probe: %s\n", err);
			return 1;
		}
		rc = rmem_auth_key_init(&key, raw);
		explicit_bzero(raw, sizeof(raw));
		if (rc) {
			fprintf(stderr, "rmemd_probe: %s: cannot compute its key id\n", key_file);
			return 1;
		}
		have_key = true;
	}
	if (getaddrinfo(argv[optind], argv[optind + 1], &hints, &ai)) {
		fprintf(stderr, "rmemd_probe: cannot resolve %s:%s\n", argv[optind],
			argv[optind + 1]);
		return 1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		fprintf(stderr, "rmemd_probe: connect %s:%s: %s\n", argv[optind],
			argv[optind + 1], strerror(errno));
		return 1;
	}
	printf("connected=1");
	fflush(stdout);

	if (have_key) {
		rc = authenticate(fd, &key, nc, ns);
		if (rc)
			return rc;
	} else {
		printf(" auth=none");
	}
	memset(&hello, 0, sizeof(hello));
	hello.features = htole64(RMEM_PROTO_FEAT_TCP | (have_key ? RMEM_PROTO_FEAT_AUTH : 0));
	hello.session = htole64(0x5e1f7e5700000000ull | (unsigned int)getpid());
	hello.max_io = htole32(RMEM_MSG_MAX_IO);
	if (have_key)
		rmem_auth_hello_mac(&key, nc, ns, &hello, hello.mac);
	explicit_bzero(&key, sizeof(key));
	if (send_msg(fd, RMEM_MSG_HELLO, HELLO_ID, &hello, sizeof(hello))) {
		printf(" hello=unsent\n");
		return 2;
	}
	rc = recv_reply(fd, "hello", RMEM_MSG_HELLO, HELLO_ID, &rep, sizeof(rep));
	if (rc)
		return rc;
	printf(" hello=ok version=%u slab_size=%llu slabs_total=%u slabs_free=%u max_io=%u\n",
	       RMEM_PROTO_VERSION, (unsigned long long)le64toh(rep.slab_size),
	       le32toh(rep.slabs_total), le32toh(rep.slabs_free),
	       le32toh(rep.max_io));
	close(fd);
	return 0;
}
