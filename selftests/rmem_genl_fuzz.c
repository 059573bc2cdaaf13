// SPDX-License-Identifier: GPL-2.0
/*
 * rmem_genl_fuzz - throw random generic netlink messages at the rmem family.
 *
 *   rmem_genl_fuzz [--count N] [--seed S] [--privileged]
 *
 * Sends N (default 100000) messages to the family "rmem": a random command
 * (every RMEM_CMD_* and a few past the last), random flags (NLM_F_DUMP one
 * time in four), and up to 8 random attributes: a type from 0 to a few past
 * RMEM_A_MAX, and a payload that is random bytes of a random length, or, one
 * time in two, a well-formed value of the attribute's own size (0, 1, -1,
 * small numbers, a valid region name, a 32-byte key). Every reply is read
 * (errors, dump parts, DONE) before the next message: the kernel must answer
 * each one, never crash, warn or hang.
 *
 * --privileged (run as root): node addresses are always loopback (127.0.0.1
 * or ::1, where nothing listens), so that node adds fail at once instead of
 * connecting to a real host or waiting for an unroutable one. Without it the
 * caller is expected to be unprivileged, and the test around it checks that
 * nothing changed.
 *
 * Prints one summary line: messages sent, replies with each class of result.
 * Exit status: 0 when every message got its answer, 1 when one did not (a
 * receive timeout: the kernel did not answer), 2 on setup errors.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "uapi/rmem.h"

#define BUF_SIZE	(64 * 1024)

static uint64_t rng;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible with --seed */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static unsigned int pick(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

static int family_id(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int id = -1;

	if (sk && !genl_connect(sk))
		id = genl_ctrl_resolve(sk, RMEM_GENL_NAME);
	if (sk)
		nl_socket_free(sk);
	return id;
}

/* Append one attribute; returns the bytes used, 0 when it does not fit. */
static size_t put_attr(uint8_t *p, size_t room, uint16_t type, const void *val, size_t len)
{
	struct nlattr *a = (struct nlattr *)p;
	size_t total = NLA_ALIGN(NLA_HDRLEN + len);

	if (total > room)
		return 0;
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy(p + NLA_HDRLEN, val, len);
	memset(p + NLA_HDRLEN + len, 0, total - NLA_HDRLEN - len);
	return total;
}

/* A payload for attribute @type: random, or well formed for its kind. */
static size_t payload(uint16_t type, uint8_t *v, bool privileged)
{
	static const uint64_t nums[] = { 0, 1, 2, 3, 4, 7, 8, 64, 4095, 4096, 65535, 1 << 20,
					 2 << 20, 1ull << 30, 0x7fffffff, 0xffffffff,
					 0xffffffffffffffffull, 0x8000000000000000ull };
	uint64_t n = nums[pick(sizeof(nums) / sizeof(nums[0]))];
	size_t len, i;

	if (type == RMEM_A_NODE_ADDR && privileged) {
		if (pick(2)) {
			static const uint8_t lo4[4] = { 127, 0, 0, 1 };

			memcpy(v, lo4, 4);
			return 4;
		}
		memset(v, 0, 16);
		v[15] = 1;	/* ::1 */
		return 16;
	}
	if (pick(2)) {
		len = pick(48);
		for (i = 0; i < len; i++)
			v[i] = (uint8_t)rnd();
		return len;
	}
	switch (pick(6)) {
	case 0:
		v[0] = (uint8_t)n;
		return 1;
	case 1:
		memcpy(v, &n, 2);
		return 2;
	case 2:
		memcpy(v, &n, 4);
		return 4;
	case 3:
		memcpy(v, &n, 8);
		return 8;
	case 4:
		len = (size_t)snprintf((char *)v, 40, "fz%u", pick(8)) + 1;
		return len;
	default:
		for (i = 0; i < RMEM_KEY_LEN; i++)
			v[i] = (uint8_t)rnd();
		return RMEM_KEY_LEN;
	}
}

/* Read until the answer to @seq is complete: 0, or -1 on timeout/error. */
static int drain(int fd, uint32_t seq, uint8_t *buf, unsigned long *errs, unsigned long *oks)
{
	for (;;) {
		ssize_t n = recv(fd, buf, BUF_SIZE, 0);
		struct nlmsghdr *h;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "rmem_genl_fuzz: no answer to message %u: %s\n", seq,
				strerror(errno));
			return -1;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE) {
				(*oks)++;
				return 0;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (e->error)
					(*errs)++;
				else
					(*oks)++;
				return 0;
			}
			/* a reply or a dump part: DONE or an ACK follows */
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 's' },
		{ "privileged", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long count = 100000, errs = 0, oks = 0, i;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 60 };
	bool privileged = false;
	uint8_t *buf, *msg;
	int fam, fd, o;

	rng = 0x9e3779b97f4a7c15ull;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			count = strtoul(optarg, NULL, 0);
			break;
		case 's':
			rng = strtoull(optarg, NULL, 0) | 1;
			break;
		case 'p':
			privileged = true;
			break;
		default:
			fprintf(stderr, "usage: rmem_genl_fuzz [--count N] [--seed S] [--privileged]\n");
			return 2;
		}
	}
	fam = family_id();
	if (fam < 0) {
		fprintf(stderr, "rmem_genl_fuzz: family %s not registered\n", RMEM_GENL_NAME);
		return 2;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	buf = malloc(BUF_SIZE);
	msg = malloc(BUF_SIZE);
	if (fd < 0 || !buf || !msg || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		fprintf(stderr, "rmem_genl_fuzz: netlink socket: %s\n", strerror(errno));
		return 2;
	}
	for (i = 1; i <= count; i++) {
		struct nlmsghdr *h = (struct nlmsghdr *)msg;
		struct genlmsghdr *g = NLMSG_DATA(h);
		size_t off = NLMSG_HDRLEN + GENL_HDRLEN;
		unsigned int nattr = pick(9), k;
		uint8_t v[64];

		memset(msg, 0, off);
		h->nlmsg_type = (uint16_t)fam;
		h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (pick(4) ? 0 : NLM_F_DUMP);
		h->nlmsg_seq = (uint32_t)i;
		g->cmd = (uint8_t)pick(RMEM_CMD_MAX + 4);
		g->version = (uint8_t)(pick(8) ? RMEM_GENL_VERSION : rnd());
		for (k = 0; k < nattr; k++) {
			uint16_t type = (uint16_t)pick(RMEM_A_MAX + 4);
			size_t len = payload(type, v, privileged), used;

			if (pick(32) == 0)
				type |= NLA_F_NESTED;
			used = put_attr(msg + off, BUF_SIZE - off, type, v, len);
			if (!used)
				break;
			off += used;
		}
		h->nlmsg_len = (uint32_t)off;
		if (send(fd, msg, off, 0) < 0) {
			fprintf(stderr, "rmem_genl_fuzz: send %lu: %s\n", i, strerror(errno));
			return 1;
		}
		if (drain(fd, (uint32_t)i, buf, &errs, &oks))
			return 1;
	}
	printf("rmem_genl_fuzz: %lu messages (seed-reproducible), %lu answered with an error, %lu accepted\n",
	       count, errs, oks);
	free(buf);
	free(msg);
	close(fd);
	return 0;
}
