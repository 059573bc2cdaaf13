// SPDX-License-Identifier: GPL-2.0
/*
 * rmemd_probe - does an rmemd answer on HOST:PORT?
 *
 *   rmemd_probe HOST PORT
 *
 * Connects (TCP), sends RMEM_MSG_HELLO and waits for its reply, all with a
 * 5 s timeout. Prints what the server said as key=value words on one line.
 * Exit: 0 a valid hello reply; 1 no connection; 2 connected but no reply
 * (closed or timed out); 3 a reply that breaks the protocol.
 */
#include <endian.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "rmem-proto.h"

#define TIMEOUT_S 5

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

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	struct timeval tv = { .tv_sec = TIMEOUT_S };
	struct {
		struct rmem_msg_hdr hdr;
		struct rmem_hello hello;
	} __attribute__((packed)) req;
	struct rmem_msg_hdr hdr;
	struct rmem_hello_reply rep;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: rmemd_probe HOST PORT\n");
		return 1;
	}
	if (getaddrinfo(argv[1], argv[2], &hints, &ai)) {
		fprintf(stderr, "rmemd_probe: cannot resolve %s:%s\n", argv[1], argv[2]);
		return 1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		fprintf(stderr, "rmemd_probe: connect %s:%s: %s\n", argv[1], argv[2],
			strerror(errno));
		return 1;
	}
	printf("connected=1");
	fflush(stdout);

	memset(&req, 0, sizeof(req));
	req.hdr.magic = htole32(RMEM_PROTO_MAGIC);
	req.hdr.version = RMEM_PROTO_VERSION;
	req.hdr.type = RMEM_MSG_HELLO;
	req.hdr.len = htole32(sizeof(req.hello));
	req.hdr.id = htole64(0x5e1f7e57);
	req.hello.features = htole64(RMEM_PROTO_FEAT_TCP);
	req.hello.session = htole64(0x5e1f7e5700000000ull | (unsigned int)getpid());
	req.hello.max_io = htole32(RMEM_MSG_MAX_IO);
	if (write(fd, &req, sizeof(req)) != (ssize_t)sizeof(req)) {
		printf(" hello=unsent\n");
		return 2;
	}
	if (read_full(fd, &hdr, sizeof(hdr))) {
		printf(" hello=noreply\n");
		return 2;
	}
	if (le32toh(hdr.magic) != RMEM_PROTO_MAGIC || hdr.type != RMEM_MSG_HELLO ||
	    !(le16toh(hdr.flags) & RMEM_MSG_F_REPLY) ||
	    le64toh(hdr.id) != 0x5e1f7e57) {
		printf(" hello=badreply magic=%#x type=%u flags=%#x\n",
		       le32toh(hdr.magic), hdr.type, le16toh(hdr.flags));
		return 3;
	}
	if (le32toh(hdr.status) != RMEM_OK) {
		printf(" hello=error status=%u\n", le32toh(hdr.status));
		return 3;
	}
	if (le32toh(hdr.len) != sizeof(rep) || read_full(fd, &rep, sizeof(rep))) {
		printf(" hello=short len=%u\n", le32toh(hdr.len));
		return 3;
	}
	printf(" hello=ok version=%u slab_size=%llu slabs_total=%u slabs_free=%u max_io=%u\n",
	       hdr.version, (unsigned long long)le64toh(rep.slab_size),
	       le32toh(rep.slabs_total), le32toh(rep.slabs_free),
	       le32toh(rep.max_io));
	close(fd);
	return 0;
}
