// SPDX-License-Identifier: GPL-2.0
/*
 * End-to-end test: runs the real rmemd (built with ASan/UBSan) on
 * 127.0.0.1 with an 8M pool of 1M slabs and talks to it over TCP with
 * tests/client.c: concurrent clients, data integrity, session isolation,
 * zero on reuse, resume and expiry, bad framing, messages sent in pieces,
 * backpressure, --status, SIGHUP reload, SIGTERM exit, startup errors. The
 * daemon runs as deployed, with authentication (auth psk) and two tenant
 * keys made by rmemd --gen-key: every client authenticates with key A
 * (rc_key) unless a test says otherwise; test_auth_none() starts a second
 * daemon with auth none. TAP on stdout.
 *
 * usage: test-e2e [RMEMD]   (default tests/rmemd-asan)
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "rmem-key.h"
#include "tap.h"

#define SLAB	(1u << 20)
#define NSLABS	8
#define TIMEOUT_S 2
#define HELLO_S 3

static const char *rmemd = "tests/rmemd-asan";
static char dir[64], sock[128], conf[128], logf[128], addr[64];
static char key_a[128], key_b[128];
static struct rmem_auth_key ka, kb;
static pid_t pid;
static bool mlock_ok;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static char *read_file(const char *path)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static bool log_has(const char *s)
{
	return strstr(read_file(logf), s) != NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * The control socket's answer to @cmd (NULL: send nothing; "": send
 * nothing and close our side), and how long it took in @ms when not NULL.
 */
static int ctl_raw(const char *path, const char *cmd, char *buf, size_t len, long *ms)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timespec t0, t1;
	size_t n = 0;
	ssize_t r;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%.100s", path);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (cmd) {
		if (*cmd && (write(fd, cmd, strlen(cmd)) < 0 || write(fd, "\n", 1) < 0))
			return close(fd), -1;
		shutdown(fd, SHUT_WR);
	}
	while (n < len - 1 && (r = read(fd, buf + n, len - 1 - n)) > 0)
		n += r;
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ms)
		*ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	buf[n] = '\0';
	return 0;
}

/* Raw status lines from the control socket. */
static int status_raw(const char *path, char *buf, size_t len)
{
	return ctl_raw(path, "status", buf, len, NULL);
}

static const char *status_get(const char *key)
{
	static char val[128];
	char buf[4096], pat[64];
	char *p;

	if (status_raw(sock, buf, sizeof(buf)))
		return NULL;
	snprintf(pat, sizeof(pat), "\n%s ", key);
	memmove(buf + 1, buf, strlen(buf) + 1);
	buf[0] = '\n';
	p = strstr(buf, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	snprintf(val, sizeof(val), "%.*s", (int)strcspn(p, "\n"), p);
	return val;
}

static long status_num(const char *key)
{
	const char *v = status_get(key);

	return v ? strtol(v, NULL, 10) : -1;
}

static pid_t spawn(char *const argv[], const char *out)
{
	pid_t p = fork();

	if (p == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return p;
}

/* Run to completion; returns the exit status, output in @out. */
static int run(char *const argv[], const char *out)
{
	int st;
	pid_t p;

	unlink(out);
	p = spawn(argv, out);
	if (waitpid(p, &st, 0) != p)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static bool start_daemon(void)
{
	char *argv[24];
	int i = 0;

	argv[i++] = (char *)rmemd;
	argv[i++] = "--config";
	argv[i++] = conf;
	argv[i++] = "--donate";
	argv[i++] = "8M";
	argv[i++] = "--slab-size";
	argv[i++] = "1M";
	argv[i++] = "--listen";
	argv[i++] = "127.0.0.1:0";
	argv[i++] = "--stderr";
	argv[i++] = "--foreground";
	argv[i++] = "--key-file";
	argv[i++] = key_a;
	argv[i++] = "--key-file";
	argv[i++] = key_b;
	if (!mlock_ok)
		argv[i++] = "--no-mlock";
	argv[i] = NULL;

	pid = spawn(argv, logf);
	for (int t = 0; t < 200; t++) {
		const char *l = status_get("listen");

		if (l) {
			snprintf(addr, sizeof(addr), "%s", l);
			return true;
		}
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return false;
		sleep_ms(50);
	}
	return false;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

/* One concurrent client: two connections of one session. Exit 0 if good. */
static int client_proc(int k)
{
	uint8_t *want = malloc(SLAB), *got = malloc(SLAB);
	uint64_t session = 0x5e55000000000000ull + k;
	uint32_t slab;
	int a = rc_connect(addr), b = rc_connect(addr);

	if (a < 0 || b < 0 || rc_hello(a, session, 0, NULL) || rc_hello(b, session, 1, NULL))
		return 1;
	if (rc_alloc(a, &slab))
		return 2;
	fill(want, SLAB, k);
	for (uint32_t off = 0; off < SLAB; off += SLAB / 4)
		if (rc_write(a, slab, off, want + off, SLAB / 4))
			return 3;
	if (rc_read(b, slab, 0, got, SLAB) || memcmp(want, got, SLAB))
		return 4;
	/* pipelined: 12 x 1 MiB READs in flight, answered in order */
	for (int i = 0; i < 12; i++) {
		struct rmem_io io = { .slab = htole32(slab), .len = htole32(SLAB) };

		if (rc_send_req(b, RMEM_MSG_READ, 500 + i, &io, sizeof(io), NULL, 0))
			return 5;
	}
	for (int i = 0; i < 12; i++) {
		uint32_t len;

		if (rc_recv_reply(b, RMEM_MSG_READ, 500 + i, got, SLAB, &len) || len != SLAB ||
		    memcmp(want, got, SLAB))
			return 6;
	}
	if (rc_free(a, slab))
		return 7;
	close(a);
	close(b);
	free(want);
	free(got);
	return 0;
}

static void test_concurrent(void)
{
	enum { NCLIENTS = 6 };
	pid_t kids[NCLIENTS];
	int good = 0;

	for (int k = 0; k < NCLIENTS; k++) {
		kids[k] = fork();
		if (kids[k] == 0)
			_exit(client_proc(k));
	}
	for (int k = 0; k < NCLIENTS; k++) {
		int st;

		if (waitpid(kids[k], &st, 0) == kids[k] && WIFEXITED(st) && !WEXITSTATUS(st))
			good++;
		else
			tap_diag("client %d: exit status %d", k, WEXITSTATUS(st));
	}
	ok(good == NCLIENTS, "%d concurrent clients (2 connections each) read back what they wrote",
	   NCLIENTS);
	ok(status_num("bytes_written") >= NCLIENTS * SLAB &&
	   status_num("bytes_read") >= NCLIENTS * 13L * SLAB,
	   "status counts the bytes written and read");
	ok(status_num("slabs_free") == NSLABS, "all slabs free again after the clients freed them");
}

static void test_backpressure(void)
{
	enum { NREADS = 48 };
	uint8_t *got = malloc(SLAB), *want = malloc(SLAB);
	uint32_t slab;
	int slow = rc_connect(addr), other = rc_connect(addr);
	bool good = true;

	ok(slow >= 0 && other >= 0 && !rc_hello(slow, 0xb0b, 0, NULL) &&
	   !rc_hello(other, 0xcafe, 0, NULL) && !rc_alloc(slow, &slab),
	   "slow reader and another client connected");
	fill(want, SLAB, 99);
	good = !rc_write(slow, slab, 0, want, SLAB);
	for (int i = 0; i < NREADS && good; i++) {
		struct rmem_io io = { .slab = htole32(slab), .len = htole32(SLAB) };

		good = !rc_send_req(slow, RMEM_MSG_READ, i, &io, sizeof(io), NULL, 0);
	}
	sleep_ms(300);
	ok(good && rc_ping(other, NULL) == 0,
	   "a client that does not read %d MiB of replies does not stall another client", NREADS);
	for (int i = 0; i < NREADS && good; i++) {
		uint32_t len;

		good = rc_recv_reply(slow, RMEM_MSG_READ, i, got, SLAB, &len) == 0 &&
		       len == SLAB && !memcmp(got, want, SLAB);
	}
	ok(good, "the slow reader then gets all %d replies, in order, intact", NREADS);
	rc_free(slow, slab);
	close(slow);
	close(other);
	free(got);
	free(want);
}

/*
 * out-budget: K clients that pipeline READs without reading the replies.
 * Returns the replies rmemd holds unsent once they are all stalled, and
 * whether a PING from another client was still answered and every slow
 * client then got all its replies intact. budget 0: no global limit.
 */
static uint64_t out_budget_round(const char *budget, bool *served, bool *intact)
{
	enum { K = 4, NREADS = 32 };
	uint8_t *want = malloc(SLAB), *got = malloc(SLAB);
	int fds[K], other;
	uint32_t slabs[K];
	uint64_t queued;
	char text[512];

	snprintf(text, sizeof(text),
		 "ctl-socket = %s\nsession-timeout = %d\nhello-timeout = %d\nout-budget = %s\n",
		 sock, TIMEOUT_S, HELLO_S, budget);
	write_file(conf, text);
	kill(pid, SIGHUP);
	sleep_ms(300);
	*intact = true;
	fill(want, SLAB, 7);
	for (int k = 0; k < K; k++) {
		fds[k] = rc_connect(addr);
		if (fds[k] < 0 || rc_hello(fds[k], 0x0b0d0000 + k, 0, NULL) ||
		    rc_alloc(fds[k], &slabs[k]) || rc_write(fds[k], slabs[k], 0, want, SLAB))
			*intact = false;
	}
	for (int k = 0; k < K && *intact; k++)
		for (int i = 0; i < NREADS; i++) {
			struct rmem_io io = { .slab = htole32(slabs[k]), .len = htole32(SLAB) };

			if (rc_send_req(fds[k], RMEM_MSG_READ, i, &io, sizeof(io), NULL, 0))
				*intact = false;
		}
	sleep_ms(500);
	queued = (uint64_t)status_num("out_queued");
	other = rc_connect(addr);
	*served = other >= 0 && !rc_hello(other, 0x0b0e, 0, NULL) && rc_ping(other, NULL) == 0;
	for (int k = 0; k < K; k++)
		for (int i = 0; i < NREADS && *intact; i++) {
			uint32_t len;

			*intact = rc_recv_reply(fds[k], RMEM_MSG_READ, i, got, SLAB, &len) == 0 &&
				  len == SLAB && !memcmp(got, want, SLAB);
		}
	for (int k = 0; k < K; k++) {
		rc_free(fds[k], slabs[k]);
		close(fds[k]);
	}
	if (other >= 0)
		close(other);
	free(want);
	free(got);
	return queued;
}

static void test_out_budget(void)
{
	uint64_t pauses = (uint64_t)status_num("out_budget_pauses"), q;
	/* the budget, plus at most one reply (1 MiB and its header) per client */
	const uint64_t bound = (4u << 20) + 4 * (SLAB + 64);
	bool served, intact;
	char text[512];

	q = out_budget_round("4M", &served, &intact);
	ok(status_num("out_budget") == 4 << 20 && q <= bound && q > 0,
	   "out-budget 4M: 4 clients not reading 32 MiB of replies each: %llu bytes queued (at most %llu)",
	   (unsigned long long)q, (unsigned long long)bound);
	ok((uint64_t)status_num("out_budget_pauses") > pauses, "out-budget: pauses counted");
	ok(served, "out-budget: another client is still served");
	ok(intact, "out-budget: the slow clients then get all their replies, in order, intact");
	ok(status_num("out_queued") == 0 && status_num("out_queued_max") >= (long)q,
	   "out-budget: nothing queued once read; out_queued_max kept");
	/* The same without a global limit: each connection holds up to 4 MiB. */
	q = out_budget_round("0", &served, &intact);
	ok(q > bound && served && intact,
	   "out-budget 0 (no limit): the same clients make rmemd hold %llu bytes (the test can fail)",
	   (unsigned long long)q);
	snprintf(text, sizeof(text), "ctl-socket = %s\nsession-timeout = %d\nhello-timeout = %d\n",
		 sock, TIMEOUT_S, HELLO_S);
	write_file(conf, text);
	kill(pid, SIGHUP);
	sleep_ms(300);
}

static void test_isolation_and_errors(void)
{
	uint8_t buf[4096], zero[4096] = { 0 };
	uint32_t sa;
	int a = rc_connect(addr), b = rc_connect(addr);

	ok(!rc_hello(a, 0xaaaa, 0, NULL) && !rc_hello(b, 0xbbbb, 0, NULL) && !rc_alloc(a, &sa),
	   "sessions A and B connected, A holds a slab");
	memset(buf, 0x5a, sizeof(buf));
	ok(rc_write(a, sa, 0, buf, sizeof(buf)) == 0, "A writes its slab");
	ok(rc_read(b, sa, 0, buf, 16) == RMEM_ERR_NOENT, "B cannot read A's slab (NOENT)");
	ok(rc_write(b, sa, 0, zero, 16) == RMEM_ERR_NOENT, "B cannot write A's slab (NOENT)");
	ok(rc_free(b, sa) == RMEM_ERR_NOENT, "B cannot free A's slab (NOENT)");
	ok(rc_read(a, sa, SLAB - 16, buf, 17) == RMEM_ERR_RANGE, "read past the slab end: RANGE");
	ok(rc_read(a, sa, 0, buf, 0) == RMEM_ERR_INVAL, "read of length 0: INVAL");
	ok(rc_ping(a, NULL) == 0, "connection still served after error replies");
	ok(rc_read(a, sa, 0, buf, 16) == 0 && buf[0] == 0x5a && buf[15] == 0x5a,
	   "A's data intact");
	ok(rc_free(a, sa) == 0, "A frees the slab");
	{
		/*
		 * rmemd zeroes it on a thread (pool.h) and hands out zeroed
		 * slabs first: allocate until it comes back.
		 */
		uint32_t got[NSLABS];
		uint8_t *all = malloc(SLAB);
		int n = 0, back = -1;
		bool zeroed = false;

		while (n < NSLABS && rc_alloc(a, &got[n]) == 0) {
			if (got[n] == sa)
				back = n;
			n++;
			if (back >= 0)
				break;
		}
		if (back >= 0) {
			zeroed = rc_read(a, got[back], 0, all, SLAB) == 0;
			for (uint32_t i = 0; zeroed && i < SLAB; i++)
				zeroed = !all[i];
		}
		ok(back >= 0 && zeroed, "the freed slab, handed out again, reads zero everywhere");
		while (n--)
			rc_free(a, got[n]);
		free(all);
	}
	close(a);
	close(b);
}

/*
 * A connection that does not say HELLO within hello-timeout is closed: idle,
 * or dripping a HELLO a byte at a time. One that said HELLO stays.
 */
static void test_hello_deadline(void)
{
	struct rmem_msg_hdr m = { .magic = htole32(RMEM_PROTO_MAGIC),
				  .version = RMEM_PROTO_VERSION, .type = RMEM_MSG_AUTH,
				  .len = htole32(sizeof(struct rmem_auth)) };
	long before = status_num("hello_timeouts");
	int idle = rc_connect(addr), drip = rc_connect(addr), good = rc_connect(addr);
	int authed = rc_connect(addr);
	bool drip_cut = false;
	struct rc_auth a;

	ok(idle >= 0 && drip >= 0 && !rc_hello(good, 0x4e110, 0, NULL),
	   "an idle connection, a slow one and one that says HELLO");
	ok(rc_auth(authed, &ka, ka.id, &a) == 0,
	   "a connection that authenticates and then says nothing");
	for (size_t i = 0; i < sizeof(m) && !drip_cut; i++) {
		drip_cut = rc_send(drip, (uint8_t *)&m + i, 1) != 0;
		sleep_ms(400);	/* 24 bytes: about 10 s, past the deadline */
	}
	ok(rc_is_closed(idle, 1000), "the idle connection is closed after hello-timeout (%d s)",
	   HELLO_S);
	ok(drip_cut || rc_is_closed(drip, 3000),
	   "the connection dripping an AUTH is closed at the same deadline");
	ok(rc_is_closed(authed, 1000),
	   "AUTH alone does not stop the clock: closed at the HELLO deadline too");
	ok(rc_ping(good, NULL) == 0, "the connection that said HELLO is still served");
	ok(status_num("hello_timeouts") >= before + 3 && log_has("closing: no HELLO within 3 s"),
	   "status counts hello_timeouts, and the close is logged");
	close(authed);
	close(idle);
	close(drip);
	close(good);
}

/*
 * Keepalive follows the session timeout (2 s here: probes after 5 s idle),
 * not the system's 2 hours. /proc/net/tcp shows rmemd's end of the
 * connection: timer 2 (keepalive) and when it fires, in clock ticks (ss
 * prints the same in units that vary between iproute2 versions).
 */
static void test_keepalive(void)
{
	int fd = rc_connect(addr), tr = -1;
	struct sockaddr_in me;
	socklen_t mlen = sizeof(me);
	const char *port = strrchr(addr, ':');
	unsigned int sport = port ? (unsigned int)atoi(port + 1) : 0;
	double sec = -1;
	char line[512];
	FILE *f;

	ok(!rc_hello(fd, 0x4ee9, 0, NULL) && !getsockname(fd, (struct sockaddr *)&me, &mlen),
	   "a client for the keepalive check");
	/* Let the client's (delayed) ACK of the hello reply go: no retransmit timer. */
	sleep_ms(300);
	f = fopen("/proc/net/tcp", "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned int lp, rp, t;
		unsigned long when;

		if (sscanf(line, " %*d: %*8X:%4X %*8X:%4X %*2X %*8X:%*8X %2X:%8lX",
			   &lp, &rp, &t, &when) == 4 && lp == sport && rp == ntohs(me.sin_port)) {
			tr = (int)t;
			sec = (double)when / sysconf(_SC_CLK_TCK);
		}
	}
	if (f)
		fclose(f);
	ok(tr == 2 && sec <= 5.0, "rmemd's keepalive fires within 5 s of idle (timer %d in %.1f s)",
	   tr, sec);
	close(fd);
}

/* The pool (NSLABS x SLAB, one mapping) is left out of core dumps. */
static void test_pool_dontdump(void)
{
	char path[64], line[512];
	bool in_pool = false, dd = false, found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long kb;

		if (sscanf(line, "Size: %lu kB", &kb) == 1) {
			in_pool = kb == (unsigned long)NSLABS * SLAB / 1024;
			found |= in_pool;
		} else if (in_pool && !strncmp(line, "VmFlags:", 8)) {
			dd |= strstr(line, " dd") != NULL;
		}
	}
	if (f)
		fclose(f);
	ok(found && dd, "the pool's mapping is MADV_DONTDUMP (VmFlags dd in smaps)");
}

static void test_framing(void)
{
	struct rmem_msg_hdr h = { .magic = htole32(0xdeadbeef), .version = RMEM_PROTO_VERSION,
				  .type = RMEM_MSG_HELLO, .len = htole32(64) };
	uint8_t junk[64] = { 0 };
	int good = rc_connect(addr), bad = rc_connect(addr), early = rc_connect(addr);
	uint32_t slab;

	ok(!rc_hello(good, 0x600d, 0, NULL) && !rc_alloc(good, &slab) &&
	   !rc_write(good, slab, 0, "hello", 5), "a well-behaved client is connected");
	rc_send(bad, &h, sizeof(h));
	rc_send(bad, junk, sizeof(junk));
	ok(rc_is_closed(bad, 3000), "a client sending a bad magic is disconnected");
	{
		struct rmem_msg_hdr m = { .magic = htole32(RMEM_PROTO_MAGIC),
					  .version = RMEM_PROTO_VERSION,
					  .type = RMEM_MSG_PING, .id = htole64(9) };
		uint32_t len;

		rc_send(early, &m, sizeof(m));
		ok(rc_recv_reply(early, RMEM_MSG_PING, 9, NULL, 0, &len) == RMEM_ERR_PERM &&
		   rc_is_closed(early, 3000),
		   "a client starting without AUTH gets PERM and is disconnected");
	}
	{
		/* Only the header: rmemd must not wait for a megabyte from nobody. */
		struct rmem_msg_hdr m = { .magic = htole32(RMEM_PROTO_MAGIC),
					  .version = RMEM_PROTO_VERSION,
					  .type = RMEM_MSG_AUTH, .len = htole32(RMEM_MSG_MAX_IO),
					  .id = htole64(10) };
		struct timeval tv = { .tv_sec = 3 };
		int big = rc_connect(addr);
		uint32_t len;

		/* An rmemd waiting for the payload fails this, it does not hang. */
		setsockopt(big, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		rc_send(big, &m, sizeof(m));
		ok(rc_recv_reply(big, RMEM_MSG_AUTH, 10, NULL, 0, &len) == RMEM_ERR_PROTO &&
		   rc_is_closed(big, 3000),
		   "an AUTH claiming a 1 MiB payload gets PROTO and is disconnected before the payload");
		close(big);
	}
	char buf[8] = { 0 };

	ok(rc_ping(good, NULL) == 0 && rc_read(good, slab, 0, buf, 5) == 0 &&
	   !memcmp(buf, "hello", 5), "the other client keeps being served");
	ok(log_has("closing: bad magic") && log_has("closing: first message is not AUTH (auth psk)") &&
	   log_has("closing: AUTH of the wrong length"), "disconnects are logged with the reason");
	ok(status_num("proto_closes") >= 2 && status_num("auth_no_auth") >= 1,
	   "status counts connections closed for bad framing, and the one without AUTH");
	rc_free(good, slab);
	close(good);
	close(bad);
	close(early);
}

/* Send @len bytes of @buf in pieces of @piece, with a pause after each. */
static int send_slowly(int fd, const uint8_t *buf, size_t len, size_t piece)
{
	for (size_t off = 0; off < len; off += piece) {
		if (rc_send(fd, buf + off, len - off < piece ? len - off : piece))
			return -1;
		sleep_ms(20);
	}
	return 0;
}

/*
 * rmemd raises SO_RCVLOWAT while a message is cut short (conn.c): a message
 * dribbled in must still be handled, and a small request after it must not
 * wait for a low-water mark left behind.
 */
static void test_partial_messages(void)
{
	enum { SMALL = 4096, BIG = 256 << 10 };
	struct timeval tv = { .tv_sec = 5 };
	enum { HDRS = sizeof(struct rmem_msg_hdr) + sizeof(struct rmem_io) };
	uint8_t *want = malloc(BIG), *got = malloc(BIG), *msg = malloc(BIG + HDRS);
	int fd = rc_connect(addr), other = rc_connect(addr);
	uint32_t slab, len;
	size_t n;
	bool good;

	ok(fd >= 0 && other >= 0 && !rc_hello(fd, 0x5105, 0, NULL) &&
	   !rc_hello(other, 0x5106, 0, NULL) && !rc_alloc(fd, &slab),
	   "a client that sends messages in pieces is connected");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(other, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	fill(want, BIG, 7);

	/* 4 KiB WRITE: 10 bytes of header, the rest of it, then the data in 1000s. */
	n = rc_write_msg(msg, 71, slab, 0, want, SMALL);
	good = !send_slowly(fd, msg, 10, 10) &&
	       !send_slowly(fd, msg + 10, HDRS - 10, 1000) &&
	       !send_slowly(fd, msg + HDRS, SMALL - 1, 1000);
	/* While the write waits for its last byte, others are served. */
	good = good && rc_ping(other, NULL) == 0;
	good = good && !rc_send(fd, msg + n - 1, 1);
	ok(good && rc_recv_reply(fd, RMEM_MSG_WRITE, 71, NULL, 0, &len) == 0,
	   "a 4 KiB WRITE sent in pieces, the last byte after a pause, is answered");
	ok(rc_ping(fd, NULL) == 0, "a PING right after it is answered (no low-water mark left behind)");

	/* A message bigger than the low-water cap, in 10000-byte pieces. */
	n = rc_write_msg(msg, 72, slab, SMALL, want, BIG);
	good = !send_slowly(fd, msg, n / 2, 10000) && rc_ping(other, NULL) == 0 &&
	       !send_slowly(fd, msg + n / 2, n - n / 2, 30000);
	ok(good && rc_recv_reply(fd, RMEM_MSG_WRITE, 72, NULL, 0, &len) == 0,
	   "a 256 KiB WRITE sent in 10000- and 30000-byte pieces is answered");
	ok(rc_read(fd, slab, 0, got, SMALL) == 0 && !memcmp(got, want, SMALL) &&
	   rc_read(fd, slab, SMALL, got, BIG) == 0 && !memcmp(got, want, BIG),
	   "both read back intact");

	/* A partial header, then the connection closes: no reply, no crash. */
	good = !rc_send(other, msg, 7);
	close(other);
	ok(good && rc_ping(fd, NULL) == 0, "a client leaving mid-header does not disturb others");
	rc_free(fd, slab);
	close(fd);
	free(want);
	free(got);
	free(msg);
}

/*
 * The client reconnects every queue of a session after a break and sends
 * again what was in flight. Anything of the old connection rmemd has not
 * handled when the new connection of that session and queue says HELLO is
 * older than what the client then writes on the new one: rmemd must cut the
 * old connection off, never apply it. Here the stale WRITE is cut short:
 * its header and half its data arrive before the new HELLO, the rest after
 * the client has written newer data through the new connection.
 */
static void test_replace_partial_write(void)
{
	enum { LEN = 4096 };
	const uint64_t session = 0x5a1e0001;
	struct timeval tv = { .tv_sec = 5 };
	struct rmem_hello_reply rep;
	uint8_t old[LEN], v1[LEN], v2[LEN], got[LEN];
	uint8_t msg[sizeof(struct rmem_msg_hdr) + sizeof(struct rmem_io) + LEN];
	int a = rc_connect(addr), q1 = rc_connect(addr), other = rc_connect(addr), b;
	long replaced = status_num("replaced_conns");
	uint32_t slab, len;
	size_t half = sizeof(msg) - LEN / 2;

	fill(old, LEN, 101);
	fill(v1, LEN, 102);
	fill(v2, LEN, 103);
	ok(a >= 0 && q1 >= 0 && other >= 0 && !rc_hello(a, session, 0, NULL) &&
	   !rc_hello(q1, session, 1, NULL) && !rc_hello(other, session + 1, 0, NULL) &&
	   !rc_alloc(a, &slab) && !rc_write(a, slab, 8192, v1, LEN),
	   "replace: session with queues 0 and 1, another session on queue 0, a block written");
	setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	/* The old queue 0 has a WRITE of older data half sent... */
	rc_write_msg(msg, 0x01d, slab, 8192, old, LEN);
	ok(!rc_send(a, msg, half), "replace: old queue 0 sends half of a stale WRITE");
	sleep_ms(100);

	/* ...when the client reconnects queue 0, re-sends, and writes newer data. */
	b = rc_connect(addr);
	ok(b >= 0 && !rc_hello(b, session, 0, &rep) && (le32toh(rep.flags) & RMEM_HELLO_F_RESUMED),
	   "replace: a new connection of the session says HELLO for queue 0: RESUMED");
	ok(!rc_write(b, slab, 8192, v1, LEN) && !rc_write(b, slab, 8192, v2, LEN),
	   "replace: the new queue 0 re-sends the write, then writes newer data");

	/* The rest of the stale WRITE arrives late (or bounces off a reset). */
	rc_send(a, msg + half, sizeof(msg) - half);
	ok(rc_recv_reply(a, RMEM_MSG_WRITE, 0x01d, NULL, 0, &len) < 0,
	   "replace: the stale WRITE completed late on the old connection is never answered");
	ok(rc_read(b, slab, 8192, got, LEN) == 0 && !memcmp(got, v2, LEN),
	   "replace: the block holds the newer data, not the stale write");
	ok(rc_is_closed(a, 2000), "replace: rmemd closed the old connection");
	ok(rc_ping(q1, NULL) == 0, "replace: the session's queue 1 is not cut off");
	ok(rc_ping(other, NULL) == 0, "replace: another session's queue 0 is not cut off");
	ok(status_num("replaced_conns") == replaced + 1,
	   "replace: status replaced_conns counts the cut-off");
	{
		char line[160], tag[RMEM_AUTH_TAG_LEN];

		snprintf(line, sizeof(line), "session %s queue 0: new connection from ",
			 rmem_auth_session_tag(session, tag));
		ok(log_has(line) && log_has(" replaces "),
		   "replace: the cut-off is logged, naming the session by its tag");
	}
	ok(rc_free(b, slab) == 0, "replace: the new connection frees the slab");
	close(a);
	close(b);
	close(q1);
	close(other);
}

/*
 * Same, with the stale WRITE whole but not handled: it waits behind READ
 * replies its client does not take (backpressure pauses the connection).
 */
static void test_replace_paused_write(void)
{
	enum { NREADS = 48, LEN = 4096 };
	const uint64_t session = 0x5a1e0002;
	struct timeval tv = { .tv_sec = 5 };
	struct rmem_io io = { .len = htole32(SLAB) };
	uint8_t old[LEN], v2[LEN], got[LEN], *big = malloc(SLAB);
	int a = rc_connect(addr), b, rcvbuf = 256 << 10;
	bool good, stale_answered = false;
	uint32_t slab, len;
	long written;

	fill(old, LEN, 201);
	fill(v2, LEN, 202);
	good = a >= 0 && !rc_hello(a, session, 0, NULL) && !rc_alloc(a, &slab);
	setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* A small, fixed receive buffer: the replies pile up in rmemd, not here. */
	setsockopt(a, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	written = status_num("bytes_written");
	io.slab = htole32(slab);
	for (int i = 0; i < NREADS && good; i++)
		good = !rc_send_req(a, RMEM_MSG_READ, 300 + i, &io, sizeof(io), NULL, 0);
	{
		struct rmem_io w = { .slab = htole32(slab), .len = htole32(LEN) };

		good = good && !rc_send_req(a, RMEM_MSG_WRITE, 0x57a1e, &w, sizeof(w), old, LEN);
	}
	sleep_ms(300);
	ok(good && status_num("bytes_written") == written,
	   "replace: old queue 0 has a stale WRITE queued, not handled, behind %d MiB of unread replies",
	   NREADS);

	b = rc_connect(addr);
	ok(b >= 0 && !rc_hello(b, session, 0, NULL) && !rc_write(b, slab, 0, v2, LEN),
	   "replace: new queue 0 says HELLO and writes newer data");
	/* Take the old connection's replies: without the cut-off it would resume. */
	for (int i = 0; i < NREADS + 1; i++) {
		uint8_t type = i < NREADS ? RMEM_MSG_READ : RMEM_MSG_WRITE;
		uint64_t id = i < NREADS ? 300 + (uint64_t)i : 0x57a1e;

		if (rc_recv_reply(a, type, id, big, SLAB, &len) < 0)
			break;
		if (i == NREADS)
			stale_answered = true;
	}
	ok(!stale_answered, "replace: the paused stale WRITE is dropped, never answered");
	ok(rc_read(b, slab, 0, got, LEN) == 0 && !memcmp(got, v2, LEN),
	   "replace: the block holds the newer data after the old connection's backlog");
	ok(rc_is_closed(a, 2000), "replace: the paused old connection is closed");
	ok(rc_free(b, slab) == 0 && rc_ping(b, NULL) == 0,
	   "replace: the new connection keeps being served");
	close(a);
	close(b);
	free(big);
}

static void test_resume_expiry(void)
{
	struct rmem_hello_reply rep, rep2;
	uint8_t buf[8];
	uint32_t slab;
	int a = rc_connect(addr), a2 = rc_connect(addr);

	ok(!rc_hello(a, 0x7e5, 0, &rep) && !rc_hello(a2, 0x7e5, 1, NULL) && !rc_alloc(a, &slab) &&
	   !rc_write(a, slab, 100, "resume!", 8), "session with two connections writes a slab");
	close(a);
	close(a2);
	sleep_ms(200);
	ok(status_num("sessions_idle") == 1 && status_num("slabs_used") == 1,
	   "after its connections close the session is idle and keeps its slab");
	a = rc_connect(addr);
	ok(!rc_hello(a, 0x7e5, 0, &rep2) && (le32toh(rep2.flags) & RMEM_HELLO_F_RESUMED) &&
	   rep2.instance == rep.instance, "reconnect within the timeout: RESUMED, same instance");
	ok(rc_read(a, slab, 100, buf, 8) == 0 && !memcmp(buf, "resume!", 8),
	   "resumed session's data intact");
	close(a);
	sleep_ms(TIMEOUT_S * 1000 + 1200);
	ok(status_num("sessions") == 0 && status_num("slabs_free") == NSLABS,
	   "after the session timeout the slab is back in the pool");
	a = rc_connect(addr);
	ok(!rc_hello(a, 0x7e5, 0, &rep2) && !(le32toh(rep2.flags) & RMEM_HELLO_F_RESUMED),
	   "reconnect after the timeout: not RESUMED");
	ok(rc_read(a, slab, 100, buf, 8) == RMEM_ERR_NOENT, "expired session's slab: NOENT");
	ok(log_has("expired after"), "expiry is logged");
	close(a);
}

static void test_status_cli(void)
{
	char out[192], *argv[] = { (char *)rmemd, "--status", sock, NULL };
	char *argvj[] = { (char *)rmemd, "--status", sock, "--json", NULL };
	char *text;

	snprintf(out, sizeof(out), "%s/status.out", dir);
	ok(run(argv, out) == 0, "rmemd --status exits 0");
	text = read_file(out);
	ok(strstr(text, "auth:          psk, key ids ") && strstr(text, "auth failures: "),
	   "text status shows the auth mode, key ids and auth failures");
	ok(strstr(text, "slabs:         8 total") && strstr(text, "capacity:      8M") &&
	   strstr(text, "slab size:     1M") && strstr(text, "clients:") &&
	   strstr(text, "bytes read:") && strstr(text, "requests:") && strstr(text, "errors:") &&
	   strstr(text, "replaced:      2 "),
	   "text status shows capacity, slabs, clients, bytes, requests, errors, replaced");
	ok(run(argvj, out) == 0, "rmemd --status --json exits 0");
	text = read_file(out);
	ok(text[0] == '{' && strstr(text, "\"slabs_total\": 8") &&
	   strstr(text, "\"slab_size\": 1048576") && strstr(text, "\"listen\": \"127.0.0.1:") &&
	   strstr(text, "\"replaced_conns\": 2"),
	   "JSON status has numbers as numbers and strings quoted");
	{
		char ids[64];

		snprintf(ids, sizeof(ids), "\"key_ids\": \"%016llx,%016llx\"",
			 (unsigned long long)ka.id, (unsigned long long)kb.id);
		ok(strstr(text, "\"auth\": \"psk\"") && strstr(text, ids) &&
		   strstr(text, "\"auth_failures\": ") && strstr(text, "\"auth_bad_mac\": ") &&
		   strstr(text, "\"version_refused\": "),
		   "JSON status: auth, key_ids (a string, in key-file order), auth counters");
	}
	char *argvn[] = { (char *)rmemd, "--status", "/nonexistent/rmemd.sock", NULL };
	char *argvc[] = { (char *)rmemd, "--status", "--config", conf, NULL };

	/* No SOCKET: the config file's ctl-socket, as the daemon's. */
	ok(run(argvc, out) == 0 && strstr(read_file(out), "slabs:         8 total"),
	   "rmemd --status --config FILE finds the daemon at FILE's ctl-socket");

	ok(run(argvn, out) == 1 && strstr(read_file(out), "cannot reach rmemd"),
	   "--status without a daemon: exit 1 with a message");
}

/* A published-region request on @fd; the reply payload in @rep. */
static int pub_req(int fd, uint8_t type, uint64_t id, const void *p, uint32_t len, void *rep,
		   uint32_t max)
{
	uint32_t got;

	if (rc_send_req(fd, type, id, p, len, NULL, 0))
		return -1;
	return rc_recv_reply(fd, type, id, rep, max, &got);
}

/*
 * The control socket's commands: published regions listed and deleted on
 * the memory node (busy while attached, unless forced), unknown commands,
 * and the status for clients that send nothing.
 */
static void test_published_cli(void)
{
	char out[192], buf[8192];
	char *pl[] = { (char *)rmemd, "--published", sock, NULL };
	char *pj[] = { (char *)rmemd, "--published", sock, "--json", NULL };
	char *del[] = { (char *)rmemd, "--delete-published", "idx.v1", "--ctl-socket", sock, NULL };
	char *delf[] = { (char *)rmemd, "--delete-published", "idx.v1", "--force", "--ctl-socket",
			 sock, NULL };
	char *deln[] = { (char *)rmemd, "--delete-published", "nosuch", "--ctl-socket", sock, NULL };
	struct rmem_pub_name pn = { .name = "idx.v1", .size = htole64(2 * SLAB) };
	struct rmem_pub_extent pe = { 0 };
	struct rmem_slab_alloc_reply sa;
	struct rmem_pub_info info;
	uint32_t slab = RMEM_SLAB_NONE;
	uint8_t data[8];
	bool good;
	long ms;
	int o, r;

	snprintf(out, sizeof(out), "%s/published.out", dir);
	o = rc_connect(addr);
	r = rc_connect(addr);
	ok(o >= 0 && r >= 0 && rc_hello(o, 0x5001, 0, NULL) == 0 && rc_hello(r, 0x5002, 0, NULL) == 0,
	   "published: two sessions");
	ok(pub_req(o, RMEM_MSG_PUB_CREATE, 1, &pn, sizeof(pn), &info, sizeof(info)) == 0,
	   "published: a region created");
	pe.handle = info.handle;
	ok(pub_req(o, RMEM_MSG_PUB_ALLOC, 2, &pe, sizeof(pe), &sa, sizeof(sa)) == 0 &&
	   rc_write(o, slab = le32toh(sa.slab), 0, "genomes!", 8) == 0,
	   "published: an extent backed and written");
	ok(run(pl, out) == 0 && strstr(read_file(out), "idx.v1") &&
	   strstr(read_file(out), "1/2") && strstr(read_file(out), " no "),
	   "rmemd --published: the region, 1 of 2 extents backed, not sealed");
	ok(run(pj, out) == 0 && strstr(read_file(out), "[{\"name\": \"idx.v1\", \"size\": 2097152") &&
	   strstr(read_file(out), "\"backed\": 1") && strstr(read_file(out), "\"sealed\": \"no\""),
	   "rmemd --published --json: an array of objects, numbers as numbers");
	ok(status_num("published") == 1 && status_num("published_slabs") == 1,
	   "status: published 1, published_slabs 1");
	pn.size = 0;
	ok(pub_req(o, RMEM_MSG_PUB_SEAL, 3, &pn, sizeof(pn), &info, sizeof(info)) == 0 &&
	   pub_req(r, RMEM_MSG_PUB_OPEN, 4, &pn, sizeof(pn), &info, sizeof(info)) == 0 &&
	   rc_read(r, slab, 0, data, 8) == 0 && !memcmp(data, "genomes!", 8),
	   "published: sealed, another session attached reads it");
	ok(run(del, out) == 1 && strstr(read_file(out), "attached by 1 session") &&
	   status_num("published") == 1,
	   "rmemd --delete-published while attached: exit 1, busy, nothing freed");
	ok(run(deln, out) == 1 && strstr(read_file(out), "nosuch: no such published region"),
	   "rmemd --delete-published of an unknown name: exit 1 with a message");
	ok(run(delf, out) == 0 && strstr(read_file(out), "published region idx.v1 deleted") &&
	   status_num("published") == 0 && status_num("slabs_free") == NSLABS - 0,
	   "rmemd --delete-published --force: deleted, its slab free again");
	ok(rc_read(r, slab, 0, data, 8) == RMEM_ERR_NOENT,
	   "published: the detached reader's READ is NOENT");
	ok(log_has("ctl: published region 'idx.v1' deleted"), "the delete is logged");

	/* A name of digits is a string in JSON, and "007" would not be a number. */
	memset(pn.name, 0, sizeof(pn.name));
	memcpy(pn.name, "007", 3);
	pn.size = htole64(SLAB);
	ok(pub_req(o, RMEM_MSG_PUB_CREATE, 5, &pn, sizeof(pn), &info, sizeof(info)) == 0 &&
	   run(pj, out) == 0 && strstr(read_file(out), "[{\"name\": \"007\", \"size\": 1048576") &&
	   strstr(read_file(out), "\"key\": \""),
	   "rmemd --published --json: a name of digits ('007') is a JSON string");
	pn.size = 0;
	ok(pub_req(o, RMEM_MSG_PUB_DELETE, 6, &pn, sizeof(pn), NULL, 0) == 0 &&
	   status_num("published") == 0, "published: '007' deleted by its owner");
	close(o);
	close(r);

	ok(ctl_raw(sock, "frobnicate", buf, sizeof(buf), NULL) == 0 &&
	   strstr(buf, "error unknown command 'frobnicate'"), "ctl: an unknown command: an error line");
	good = ctl_raw(sock, "", buf, sizeof(buf), &ms) == 0 && strstr(buf, "slabs_total ") && ms < 900;
	ok(good, "ctl: nothing sent and our side closed: the status at once (%ld ms)", ms);
	good = ctl_raw(sock, NULL, buf, sizeof(buf), &ms) == 0 && strstr(buf, "slabs_total ") &&
	       ms >= 900;
	ok(good, "ctl: nothing sent, side left open: the status after a second (%ld ms)", ms);
}

/* max-clients-per-address: one address cannot take every slot. */
static void test_per_address(void)
{
	char text[512];
	int c1, c2, c3;
	long refused = status_num("per_address_refused");

	snprintf(text, sizeof(text),
		 "ctl-socket = %s\nsession-timeout = %d\nhello-timeout = %d\n"
		 "max-clients-per-address = 2\n", sock, TIMEOUT_S, HELLO_S);
	write_file(conf, text);
	kill(pid, SIGHUP);
	sleep_ms(300);
	ok(status_num("max_clients_per_address") == 2 && status_num("clients") == 0,
	   "SIGHUP applies max-clients-per-address 2 (no client connected)");
	c1 = rc_connect(addr);
	c2 = rc_connect(addr);
	c3 = rc_connect(addr);
	ok(c3 >= 0 && rc_is_closed(c3, 2000) && status_num("per_address_refused") == refused + 1,
	   "a third connection from 127.0.0.1 is closed and counted");
	ok(!rc_hello(c1, 0x3a1, 0, NULL) && !rc_hello(c2, 0x3a2, 0, NULL),
	   "the first two are served");
	ok(log_has("max-clients-per-address 2 reached"), "the refusal is logged");
	close(c1);
	close(c2);
	close(c3);
	snprintf(text, sizeof(text), "ctl-socket = %s\nsession-timeout = %d\nhello-timeout = %d\n",
		 sock, TIMEOUT_S, HELLO_S);
	write_file(conf, text);
	kill(pid, SIGHUP);
	sleep_ms(300);
}

static void test_reload(void)
{
	char text[512];
	int c1, c2, c3;
	long evicted;

	snprintf(text, sizeof(text),
		 "ctl-socket = %s\nsession-timeout = 7\nmax-clients = 2\nlog-level = debug\n"
		 "listen = 127.0.0.1:1\n", sock);
	write_file(conf, text);
	kill(pid, SIGHUP);
	sleep_ms(300);
	ok(status_num("session_timeout") == 7 && status_num("max_clients") == 2 &&
	   !strcmp(status_get("log_level") ?: "", "debug"),
	   "SIGHUP applies session-timeout, max-clients and log-level from the file");
	ok(log_has("reloaded: session-timeout 7 s"), "reload is logged");
	ok(!log_has("listen 127.0.0.1:0 -> 127.0.0.1:1 needs restart"),
	   "a key given as a flag overrides the file on reload too");

	snprintf(text, sizeof(text), "ctl-socket = %s.new\nsession-timeout = 7\nmax-clients = 2\n",
		 sock);
	write_file(conf, text);
	kill(pid, SIGHUP);
	sleep_ms(300);
	ok(log_has("needs restart") && status_get("pid"),
	   "a changed ctl-socket is logged as needing a restart; the old one keeps working");

	c1 = rc_connect(addr);
	c2 = rc_connect(addr);
	ok(c1 >= 0 && c2 >= 0 && rc_hello(c1, 0x1, 0, NULL) == 0 &&
	   rc_hello(c2, 0x2, 0, NULL) == 0, "max-clients 2: two connections are served");
	c3 = rc_connect(addr);
	ok(c3 >= 0 && rc_is_closed(c3, 2000) && !rc_is_closed(c1, 100) && !rc_is_closed(c2, 100),
	   "max-clients 2, both past HELLO: the third connection is closed, none of the two");
	close(c3);
	close(c2);
	sleep_ms(200);
	/* Slots are reserved for peers past HELLO: a silent one gives its slot up. */
	evicted = status_num("clients_evicted");
	c2 = rc_connect(addr);
	sleep_ms(200);
	c3 = rc_connect(addr);
	ok(c2 >= 0 && c3 >= 0 && rc_is_closed(c2, 2000) && rc_hello(c3, 0x3, 0, NULL) == 0 &&
	   !rc_is_closed(c1, 100) && status_num("clients_evicted") == evicted + 1,
	   "max-clients 2, one silent connection: a new one takes its slot (evicted, counted), the one past HELLO stays");
	ok(log_has("max-clients 2 reached, and this connection has not said HELLO"),
	   "the eviction is logged");
	close(c1);
	close(c2);
	close(c3);

	snprintf(text, sizeof(text), "ctl-socket = %s\nsession-timeout = 3\nbogus = 1\n", sock);
	write_file(conf, text);
	kill(pid, SIGHUP);
	sleep_ms(300);
	ok(status_num("session_timeout") == 7 && log_has(":3: unknown key 'bogus'") &&
	   log_has("keeping the running configuration"),
	   "a bad file on SIGHUP is logged as file:line and the old config kept");
	snprintf(text, sizeof(text), "ctl-socket = %s\nsession-timeout = %d\n", sock, TIMEOUT_S);
	write_file(conf, text);
	kill(pid, SIGHUP);
	sleep_ms(300);
	ok(status_num("session_timeout") == TIMEOUT_S && status_num("max_clients") == 1024,
	   "reload back to the original file");
}

static void test_sigterm(void)
{
	int st = -1, c = rc_connect(addr);
	uint32_t slab;

	struct rmem_ping_reply pr = { 0 };
	uint32_t s2;
	bool reaped = false;

	rc_hello(c, 0x7e7, 0, NULL);
	rc_alloc(c, &slab);
	kill(pid, SIGTERM);
	sleep_ms(300);
	/* A slab is held: rmemd drains (default drain-timeout 60 s) instead of exiting. */
	ok(waitpid(pid, &st, WNOHANG) == 0 && log_has("SIGTERM: draining") &&
	   rc_ping(c, &pr) == 0 && le32toh(pr.drain_ms) > 50000 && le32toh(pr.drain_ms) <= 60000,
	   "SIGTERM with a slab held: rmemd drains, PING says drain_ms 50000..60000");
	ok(rc_alloc(c, &s2) == RMEM_ERR_NOSPC, "draining: SLAB_ALLOC refused");
	ok(rc_free(c, slab) == 0, "draining: the client gives its slab back");
	for (int t = 0; t < 100 && !reaped; t++) {
		reaped = waitpid(pid, &st, WNOHANG) == pid;
		if (!reaped)
			sleep_ms(50);
	}
	ok(reaped && WIFEXITED(st) && WEXITSTATUS(st) == 0 && log_has("drained: no slab held"),
	   "no slab held any more: rmemd exits by itself, exit status 0");
	if (reaped)
		pid = 0;
	ok(log_has("exiting"), "\"exiting\" logged");
	ok(access(sock, F_OK) != 0, "control socket removed");
	ok(rc_is_closed(c, 1000), "the client's connection is closed");
	ok(!log_has("ERROR: AddressSanitizer") && !log_has("runtime error") &&
	   !log_has("LeakSanitizer"), "no sanitizer report in the daemon's output");
	close(c);
}

/* Key and auth settings that must stop rmemd at start, as config errors. */
static void test_auth_startup_errors(const char *out)
{
	char k644[160], dup[160], cmd[1024];
	char *nokey[] = { (char *)rmemd, "--config", "/dev/null", "--donate", "8M", "--slab-size",
			  "1M", "--listen", "127.0.0.1:0", NULL };
	char *both[] = { (char *)rmemd, "--config", "/dev/null", "--donate", "8M", "--slab-size",
			 "1M", "--listen", "127.0.0.1:0", "--auth", "none", "--key-file", key_a,
			 NULL };
	char *wide[] = { (char *)rmemd, "--config", "/dev/null", "--donate", "8M", "--slab-size",
			 "1M", "--listen", "127.0.0.1:0", "--key-file", k644, NULL };
	char *twice[] = { (char *)rmemd, "--config", "/dev/null", "--donate", "8M", "--slab-size",
			  "1M", "--listen", "127.0.0.1:0", "--key-file", key_a, "--key-file", dup,
			  NULL };

	snprintf(k644, sizeof(k644), "%s/wide.key", dir);
	snprintf(dup, sizeof(dup), "%s/dup.key", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod 644 '%s' && cp '%s' '%s' && chmod 600 '%s'",
		 key_a, k644, k644, key_a, dup, dup);
	ok(system(cmd) == 0, "a 0644 copy and a 0600 copy of key A");
	ok(run(nokey, out) == 2 && strstr(read_file(out), "no key-file: create one with 'rmemd --gen-key FILE'") &&
	   strstr(read_file(out), "'auth none' for a lab"),
	   "no key-file (auth psk is the default): exit 2, says how to make one or set auth none");
	ok(run(both, out) == 2 && strstr(read_file(out), "auth none and key-file"),
	   "auth none together with a key-file: exit 2");
	ok(run(wide, out) == 2 && strstr(read_file(out), "mode 0644") &&
	   strstr(read_file(out), "chmod 600"), "a 0644 key file: exit 2, with its mode and chmod 600");
	ok(run(twice, out) == 2 && strstr(read_file(out), "hold the same key"),
	   "two key files with the same key: exit 2");
}

static void test_startup_errors(void)
{
	char out[192], badconf[160];
	char *a1[] = { (char *)rmemd, "--donate", "100M", "--listen", "127.0.0.1:0", NULL };
	char *a2[] = { (char *)rmemd, "--config", badconf, "--listen", "127.0.0.1:0", NULL };
	char *a3[] = { (char *)rmemd, "--donate", "8Q", "--listen", "127.0.0.1:0", NULL };
	char *a4[] = { (char *)rmemd, "--bogus", NULL };

	snprintf(out, sizeof(out), "%s/err.out", dir);
	snprintf(badconf, sizeof(badconf), "%s/bad.conf", dir);
	write_file(badconf, "# comment\ndonate = 8M\nslab-size = lots\n");
	ok(run(a1, out) == 2 && strstr(read_file(out), "not a multiple of the slab size"),
	   "donation not a multiple of the slab size: exit 2 with a message");
	ok(run(a2, out) == 2 && strstr(read_file(out), "bad.conf:3: slab-size: bad size 'lots'"),
	   "bad config file: exit 2 with file:line: message");
	ok(run(a3, out) == 2 && strstr(read_file(out), "--donate: bad size '8Q'"),
	   "bad size flag: exit 2 with a message");
	ok(run(a4, out) == 2, "unknown flag: exit 2");
	test_auth_startup_errors(out);
}

static void test_daemonize(void)
{
	char out[192], sock2[96], *dpid;
	char *argv[] = { (char *)rmemd, "--donate", "1M", "--slab-size", "1M", "--listen",
			 "127.0.0.1:0", "--ctl-socket", sock2, "--no-mlock", "--config",
			 "/dev/null", "--key-file", key_a, NULL };
	char save[128];

	snprintf(out, sizeof(out), "%s/daemon.out", dir);
	snprintf(sock2, sizeof(sock2), "%s/d.sock", dir);
	ok(run(argv, out) == 0, "without --foreground rmemd detaches and the parent exits 0");
	snprintf(save, sizeof(save), "%s", sock);
	snprintf(sock, sizeof(sock), "%s", sock2);
	dpid = (char *)status_get("pid");
	ok(dpid && atoi(dpid) > 0, "the detached daemon answers --status");
	if (dpid && atoi(dpid) > 0)
		kill(atoi(dpid), SIGTERM);
	for (int t = 0; t < 100 && access(sock2, F_OK) == 0; t++)
		sleep_ms(50);
	ok(access(sock2, F_OK) != 0, "the detached daemon stops on SIGTERM");
	snprintf(sock, sizeof(sock), "%s", save);
}

/*
 * Under systemd (Type=notify): READY=1 once it serves, STOPPING=1 on
 * SIGTERM, as datagrams to $NOTIFY_SOCKET; the ctl socket's directory is
 * created when missing.
 */
static void test_sd_notify(void)
{
	char out[192], sock2[96], nsock[96], buf[256];
	char *argv[] = { (char *)rmemd, "--donate", "1M", "--slab-size", "1M", "--listen",
			 "127.0.0.1:0", "--ctl-socket", sock2, "--no-mlock", "--config",
			 "/dev/null", "--key-file", key_a, "--foreground", "--stderr", NULL };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 10 };
	bool ready = false, stopping = false;
	ssize_t n;
	pid_t p;
	int fd;

	snprintf(out, sizeof(out), "%s/notify.out", dir);
	snprintf(sock2, sizeof(sock2), "%s/run/rmemd.sock", dir);
	snprintf(nsock, sizeof(nsock), "%s/notify", dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", nsock);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		ok(false, "notify socket: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	setenv("NOTIFY_SOCKET", nsock, 1);
	p = spawn(argv, out);
	unsetenv("NOTIFY_SOCKET");
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n > 0) {
		buf[n] = '\0';
		ready = strstr(buf, "READY=1") != NULL;
	}
	ok(ready && access(sock2, F_OK) == 0,
	   "Type=notify: READY=1 once serving, ctl socket in a directory rmemd created");
	kill(p, SIGTERM);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n > 0) {
		buf[n] = '\0';
		stopping = strstr(buf, "STOPPING=1") != NULL;
	}
	ok(stopping && waitpid(p, NULL, 0) == p, "SIGTERM: STOPPING=1, then it exits");
	close(fd);
}

/* rmemd --gen-key and --key-id; the keys every other test uses. */
static bool make_keys(void)
{
	char out[192], *ga[] = { (char *)rmemd, "--gen-key", key_a, NULL };
	char *gb[] = { (char *)rmemd, "--gen-key", key_b, NULL };
	char *id[] = { (char *)rmemd, "--key-id", key_b, NULL };
	char want[RMEM_KEY_ID_STR_LEN + 1], err[256];
	uint8_t raw[RMEM_AUTH_KEY_LEN];
	struct stat st;
	bool good;

	snprintf(key_a, sizeof(key_a), "%s/a.key", dir);
	snprintf(key_b, sizeof(key_b), "%s/b.key", dir);
	snprintf(out, sizeof(out), "%s/key.out", dir);
	good = run(ga, out) == 0 && !stat(key_a, &st) && (st.st_mode & 07777) == 0600 &&
	       !rmem_key_read_file(key_a, raw, err, sizeof(err)) && !rmem_auth_key_init(&ka, raw);
	rmem_key_format_id(ka.id, want);
	ok(good && strstr(read_file(out), want), "rmemd --gen-key: a 0600 key file; prints its key id");
	ok(run(ga, out) == 1 && strstr(read_file(out), "exists; not overwriting") &&
	   !rmem_key_read_file(key_a, raw, err, sizeof(err)) && !rmem_auth_key_init(&kb, raw) &&
	   kb.id == ka.id, "rmemd --gen-key on an existing file: exit 1, the file keeps its key");
	good = run(gb, out) == 0 && !rmem_key_read_file(key_b, raw, err, sizeof(err)) &&
	       !rmem_auth_key_init(&kb, raw) && kb.id != ka.id;
	rmem_key_format_id(kb.id, want);
	strcat(want, "\n");
	ok(good && run(id, out) == 0 && !strcmp(read_file(out), want),
	   "rmemd --key-id prints exactly the key id and a newline");
	explicit_bzero(raw, sizeof(raw));
	rc_key = &ka;
	return good;
}

/*
 * A published region is its publisher's key's: @a (tenant A's session)
 * publishes, fills and seals one; @b (tenant B's) can neither open, map,
 * seal nor delete it, as if it did not exist; only the name is shared
 * (one namespace per memory node: B cannot publish under it). A then
 * deletes it.
 */
static void test_auth_pub_scope(int a, int b)
{
	struct rmem_pub_name pn = { .name = "tenant-a.idx", .size = htole64(SLAB) };
	struct rmem_pub_name pq = { .name = "tenant-a.idx" };
	struct rmem_pub_extent pe = { 0 };
	struct rmem_slab_alloc_reply sa;
	struct rmem_pub_info info;
	struct rmem_pub_map_reply map;
	long pubs = status_num("published");
	uint32_t slab = RMEM_SLAB_NONE;
	uint8_t data[8];
	int rc;

	rc = pub_req(a, RMEM_MSG_PUB_CREATE, 70, &pn, sizeof(pn), &info, sizeof(info));
	pe.handle = info.handle;
	if (!rc)
		rc = pub_req(a, RMEM_MSG_PUB_ALLOC, 71, &pe, sizeof(pe), &sa, sizeof(sa));
	if (!rc)
		rc = rc_write(a, slab = le32toh(sa.slab), 0, "A's idx!", 8);
	if (!rc)
		rc = pub_req(a, RMEM_MSG_PUB_SEAL, 72, &pq, sizeof(pq), &info, sizeof(info));
	ok(rc == 0 && status_num("published") == pubs + 1,
	   "tenant A published, wrote and sealed 'tenant-a.idx'");
	ok(pub_req(b, RMEM_MSG_PUB_OPEN, 73, &pq, sizeof(pq), &info, sizeof(info)) ==
	   RMEM_ERR_NOENT, "tenant B's PUB_OPEN of it: NOENT (B does not see it)");
	ok(pub_req(b, RMEM_MSG_PUB_MAP, 74, &pe, sizeof(pe), &map, sizeof(map)) == RMEM_ERR_NOENT &&
	   rc_read(b, slab, 0, data, 8) == RMEM_ERR_NOENT,
	   "tenant B's PUB_MAP of its handle and READ of its slab (never attached): NOENT");
	ok(pub_req(b, RMEM_MSG_PUB_SEAL, 75, &pq, sizeof(pq), &info, sizeof(info)) ==
	   RMEM_ERR_NOENT &&
	   pub_req(b, RMEM_MSG_PUB_DELETE, 76, &pq, sizeof(pq), NULL, 0) == RMEM_ERR_NOENT &&
	   status_num("published") == pubs + 1,
	   "tenant B's PUB_SEAL and PUB_DELETE of it: NOENT, nothing freed");
	ok(pub_req(b, RMEM_MSG_PUB_CREATE, 77, &pn, sizeof(pn), &info, sizeof(info)) ==
	   RMEM_ERR_EXIST, "tenant B publishing under its name: EXIST (one namespace per node)");
	ok(pub_req(a, RMEM_MSG_PUB_OPEN, 78, &pq, sizeof(pq), &info, sizeof(info)) == 0 &&
	   rc_read(a, slab, 0, data, 8) == 0 && !memcmp(data, "A's idx!", 8) &&
	   pub_req(a, RMEM_MSG_PUB_CLOSE, 79, &pe, sizeof(pe), NULL, 0) == 0 &&
	   pub_req(a, RMEM_MSG_PUB_DELETE, 80, &pq, sizeof(pq), NULL, 0) == 0 &&
	   status_num("published") == pubs,
	   "tenant A still opens and reads it, and deletes it");
}

/*
 * Authentication against the real daemon, over TCP: the exchange, every
 * refusal (each closes the connection), replay, the nonce, tenants, an old
 * peer, and what is logged.
 */
static void test_auth(void)
{
	const uint64_t S = 0x5e55101d0000abcdull;
	uint8_t buf[16];
	struct rmem_hello h, h2;
	struct rmem_hello_reply rep;
	struct rc_auth a, a2;
	long fails = status_num("auth_failures");
	int c1 = rc_connect(addr), c2, c3;
	char tag[RMEM_AUTH_TAG_LEN], s_hex[20];
	uint32_t slab;

	ok(rc_auth(c1, &ka, ka.id, &a) == 0, "AUTH with key A: the reply's mac verifies with A");
	rc_hello_build(&h, &ka, &a, S, 0);
	ok(rc_hello_send(c1, &h, &rep) == 0 &&
	   (le64toh(rep.features) & RMEM_PROTO_FEAT_AUTH),
	   "HELLO with the mac: OK, FEAT_AUTH granted");
	ok(rc_alloc(c1, &slab) == 0 && rc_write(c1, slab, 64, "tenant A data", 13) == 0 &&
	   rc_read(c1, slab, 64, buf, 13) == 0 && !memcmp(buf, "tenant A data", 13),
	   "an authenticated client writes and reads back its data");

	c2 = rc_connect(addr);
	ok(rc_hello_send(c2, &h, NULL) == RMEM_ERR_PERM && rc_is_closed(c2, 2000),
	   "HELLO first (no AUTH): PERM, connection closed");
	close(c2);
	c2 = rc_connect(addr);
	ok(rc_auth(c2, &ka, 0x0123456789abcdefull, &a2) == RMEM_ERR_PERM && rc_is_closed(c2, 2000),
	   "AUTH with an unknown key id: PERM, connection closed");
	close(c2);
	c2 = rc_connect(addr);
	rc_auth(c2, &ka, ka.id, &a2);
	rc_hello_build(&h2, &ka, &a2, S + 1, 0);
	h2.mac[0] ^= 1;
	ok(rc_hello_send(c2, &h2, NULL) == RMEM_ERR_PERM && rc_is_closed(c2, 2000),
	   "HELLO with a wrong mac: PERM, connection closed");
	close(c2);
	c2 = rc_connect(addr);
	ok(rc_auth(c2, &ka, ka.id, &a2) == 0 && memcmp(a.ns, a2.ns, sizeof(a.ns)),
	   "a second connection gets another server nonce");
	ok(rc_hello_send(c2, &h, NULL) == RMEM_ERR_PERM && rc_is_closed(c2, 2000),
	   "the exact bytes of a successful HELLO, replayed after a fresh AUTH: PERM, closed");
	close(c2);

	/* tenant B cannot join A's session; A's connection and data are untouched */
	c2 = rc_connect(addr);
	ok(rc_auth(c2, &kb, kb.id, &a2) == 0, "AUTH with key B (a second tenant)");
	rc_hello_build(&h2, &kb, &a2, S, 0);
	ok(rc_hello_send(c2, &h2, NULL) == RMEM_ERR_PERM && rc_is_closed(c2, 2000),
	   "tenant B naming A's session (same queue): PERM, closed");
	close(c2);
	ok(rc_ping(c1, NULL) == 0 && rc_read(c1, slab, 64, buf, 13) == 0 &&
	   !memcmp(buf, "tenant A data", 13), "A's connection is still served, its data intact");
	c3 = rc_connect(addr);
	rc_auth(c3, &kb, kb.id, &a2);
	rc_hello_build(&h2, &kb, &a2, S + 2, 0);
	ok(rc_hello_send(c3, &h2, NULL) == 0 && rc_read(c3, slab, 64, buf, 13) == RMEM_ERR_NOENT,
	   "tenant B's own session cannot read A's slab");
	test_auth_pub_scope(c1, c3);
	close(c3);
	ok(status_num("auth_failures") == fails + 5 && status_num("auth_other_key") == 1,
	   "status: auth_failures counts the five refusals, auth_other_key the tenant one");

	/* a version 1 peer: a VERSION reply in version 1, then close */
	{
		struct rmem_msg_hdr m = { .magic = htole32(RMEM_PROTO_MAGIC), .version = 1,
					  .type = RMEM_MSG_HELLO, .len = htole32(64),
					  .id = htole64(41) };
		uint8_t payload[64] = { 0 };
		struct rmem_msg_hdr r;

		c2 = rc_connect(addr);
		rc_send(c2, &m, sizeof(m));
		rc_send(c2, payload, sizeof(payload));
		ok(rc_recv(c2, &r, sizeof(r)) == 0 && r.version == 1 &&
		   le32toh(r.status) == RMEM_ERR_VERSION && le64toh(r.id) == 41 &&
		   rc_is_closed(c2, 2000), "a version 1 HELLO: RMEM_ERR_VERSION (in a v1 header), closed");
		close(c2);
		ok(log_has("protocol version 1; this rmemd speaks version 2") &&
		   status_num("version_refused") >= 1, "... logged, and counted in version_refused");
	}
	sleep_ms(100);
	snprintf(s_hex, sizeof(s_hex), "%016llx", (unsigned long long)S);
	rmem_auth_session_tag(S, tag);
	ok(log_has(tag) && !log_has(s_hex) && !log_has("5e55101d"),
	   "logs name the session by its tag, never by its id");
	ok(log_has("HELLO with a bad mac") && log_has("AUTH with unknown key id 0123456789abcdef") &&
	   log_has("created under key"), "refusals are logged with their reason");
	rc_free(c1, slab);
	close(c1);
}

/* A second daemon with auth none: AUTH refused, the connection stays, plain HELLO works. */
static void test_auth_none(void)
{
	char sock2[128], log2[128], addr2[64], save_sock[128], save_log[128], out[192];
	char *argv[] = { (char *)rmemd, "--config", "/dev/null", "--donate", "2M", "--slab-size",
			 "1M", "--listen", "127.0.0.1:0", "--stderr", "--foreground", "--auth",
			 "none", "--no-mlock", "--ctl-socket", sock2, NULL };
	char *st[] = { (char *)rmemd, "--status", sock2, NULL };
	struct rc_auth a;
	const struct rmem_auth_key *save_key = rc_key;
	pid_t p2;
	int c = -1;

	snprintf(sock2, sizeof(sock2), "%s/none.sock", dir);
	snprintf(log2, sizeof(log2), "%s/none.log", dir);
	snprintf(out, sizeof(out), "%s/none.out", dir);
	snprintf(save_sock, sizeof(save_sock), "%s", sock);
	snprintf(save_log, sizeof(save_log), "%s", logf);
	snprintf(sock, sizeof(sock), "%s", sock2);
	snprintf(logf, sizeof(logf), "%s", log2);
	p2 = spawn(argv, log2);
	addr2[0] = '\0';
	for (int t = 0; t < 200 && !addr2[0]; t++) {
		const char *l = status_get("listen");

		if (l)
			snprintf(addr2, sizeof(addr2), "%s", l);
		else
			sleep_ms(50);
	}
	ok(addr2[0] && log_has("auth none: AUTHENTICATION IS OFF"),
	   "auth none: rmemd starts and says so loudly");
	if (addr2[0])
		c = rc_connect(addr2);
	ok(c >= 0 && rc_auth(c, &ka, ka.id, &a) == RMEM_ERR_PERM && !rc_is_closed(c, 300),
	   "auth none: AUTH gets PERM and the connection stays open");
	rc_key = NULL;
	ok(rc_hello(c, 0x40e, 0, NULL) == 0 && rc_ping(c, NULL) == 0,
	   "auth none: then a plain HELLO (no FEAT_AUTH, zero mac) is served");
	rc_key = save_key;
	ok(run(st, out) == 0 && strstr(read_file(out), "auth:          none, key ids none"),
	   "auth none: --status shows it");
	if (c >= 0)
		close(c);
	kill(p2, SIGTERM);
	waitpid(p2, NULL, 0);
	ok(!log_has("ERROR: AddressSanitizer") && !log_has("runtime error"),
	   "auth none: no sanitizer report");
	snprintf(sock, sizeof(sock), "%s", save_sock);
	snprintf(logf, sizeof(logf), "%s", save_log);
}

/* Never leave a daemon behind, whatever failed. */
static void reap_daemon(void)
{
	if (pid > 0 && waitpid(pid, NULL, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

int main(int argc, char **argv)
{
	struct rlimit rl = { 64 << 20, 64 << 20 };
	char text[256];

	if (argc > 1)
		rmemd = argv[1];
	signal(SIGPIPE, SIG_IGN);
	atexit(reap_daemon);
	mlock_ok = setrlimit(RLIMIT_MEMLOCK, &rl) == 0;
	snprintf(dir, sizeof(dir), "/tmp/rmemd-e2e-XXXXXX");
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(sock, sizeof(sock), "%s/rmemd.sock", dir);
	snprintf(conf, sizeof(conf), "%s/rmemd.conf", dir);
	snprintf(logf, sizeof(logf), "%s/rmemd.log", dir);
	snprintf(text, sizeof(text), "# e2e\nctl-socket = %s\nsession-timeout = %d\nhello-timeout = %d\n",
		 sock, TIMEOUT_S, HELLO_S);
	write_file(conf, text);

	if (!make_keys()) {
		tap_diag("%s", read_file(logf));
		return tap_done();
	}
	test_startup_errors();
	ok(start_daemon(), "rmemd starts (8M pool, 1M slabs, %s) and reports its port",
	   mlock_ok ? "mlocked" : "--no-mlock");
	if (!addr[0]) {
		tap_diag("%s", read_file(logf));
		return tap_done();
	}
	ok(status_num("slabs_total") == NSLABS && status_num("slab_size") == SLAB &&
	   !strcmp(status_get("mlocked") ?: "", mlock_ok ? "yes" : "no"),
	   "status: 8 slabs of 1M, mlock as requested");
	ok(log_has("pool: 8M donated, 8 slabs of 1M"), "the pool setup is logged");
	/* This host may or may not have an RDMA device: either way TCP is served. */
	ok(log_has("(RDMA, devices:") || log_has("RDMA: "),
	   "the RDMA listener, or why there is none, is logged in one line");
	ok(status_get("rdma_listen") && status_num("rdma_clients") == 0 &&
	   status_num("rdma_mrs") == 0, "status: rdma_listen, rdma_clients 0, rdma_mrs 0");

	test_auth();
	test_auth_none();
	test_concurrent();
	test_backpressure();
	test_out_budget();
	test_isolation_and_errors();
	test_framing();
	test_pool_dontdump();
	test_hello_deadline();
	test_keepalive();
	test_partial_messages();
	test_replace_partial_write();
	test_replace_paused_write();
	test_resume_expiry();
	test_status_cli();
	test_published_cli();
	test_per_address();
	test_reload();
	test_sigterm();
	test_daemonize();
	test_sd_notify();

	if (tap_failed)
		tap_diag("daemon log: %s", logf);
	else {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			tap_diag("could not remove %s", dir);
	}
	return tap_done();
}
