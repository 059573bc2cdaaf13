// SPDX-License-Identifier: GPL-2.0
/*
 * rmemd control socket: a unix stream socket (root only, mode 0600). A
 * client sends one command line and reads the answer until rmemd closes:
 *   status                       the daemon's status as "key value" lines
 *   published                    one "region NAME key value..." line per
 *                                published region
 *   delete-published NAME [force]  "deleted NAME slabs N", or "error ..."
 * A client that sends nothing and closes its side, or nothing for a
 * second, gets the status (what this socket answered every connection
 * before it took commands). `rmemd --status`, `--published` and
 * `--delete-published` are its clients. Keys are stable (documented in
 * Documentation/rmemd.rst); new keys may be added.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlcmd.h"
#include "rmem-json.h"
#include "rmem-key.h"
#include "server.h"

#ifndef RMEMD_VERSION
#define RMEMD_VERSION "unknown"
#endif

static int ctl_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -1;
	strcpy(sun->sun_path, path);
	return 0;
}

/*
 * The socket's directory (/run/rmemd by default: systemd's RuntimeDirectory=
 * makes it for the unit, owned by its user) is created when missing, as
 * when rmemd is started by hand. Only the last component: a missing
 * grandparent is a typo worth an error.
 */
static int ctl_mkdir_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) && errno != EEXIST) {
		log_err("ctl-socket %s: cannot create %s: %s", path, dir, strerror(errno));
		return -1;
	}
	return 0;
}

/**
 * rmemd_ctl_listen() - create the control socket
 * @s: server
 *
 * A stale socket left by a crashed rmemd is replaced; a live one (another
 * rmemd answers) or a non-socket file at the path is an error.
 *
 * Return: 0, or -1 after logging why.
 */
int rmemd_ctl_listen(struct rmemd_server *s)
{
	const char *path = s->cfg.ctl_socket;
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	if (ctl_addr(path, &sun)) {
		log_err("ctl-socket %s: path too long", path);
		return -1;
	}
	if (ctl_mkdir_parent(path))
		return -1;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_err("ctl-socket %s: exists and is not a socket", path);
			return -1;
		}
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(fd);
			log_err("ctl-socket %s: another rmemd is running", path);
			return -1;
		}
		if (fd >= 0)
			close(fd);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_err("ctl-socket: %s", strerror(errno));
		return -1;
	}
	mode_t old = umask(0077);
	int rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));

	umask(old);
	if (rc || listen(fd, 16)) {
		log_err("ctl-socket %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &s->ev_ctl };

	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		log_err("ctl-socket: epoll_ctl: %s", strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	s->ctl_fd = fd;
	log_info("status on %s", path);
	return 0;
}

/* "ID,ID,..." in key index order, or "none": ids only, never keys. */
static const char *key_ids(const struct rmemd_server *s, char *buf, size_t len)
{
	size_t off = 0;

	snprintf(buf, len, "none");
	for (uint32_t i = 0; i < s->nkeys && off + RMEM_KEY_ID_STR_LEN < len; i++) {
		if (i)
			buf[off++] = ',';
		rmem_key_format_id(s->keys[i].id, buf + off);
		off += RMEM_KEY_ID_STR_LEN - 1;
	}
	return buf;
}

static size_t status_text(struct rmemd_server *s, char *buf, size_t len)
{
	char ids[RMEM_AUTH_MAX_KEYS * RMEM_KEY_ID_STR_LEN + 1];
	const struct rmem_pool *p = &s->pool;
	const struct rmem_stats *st = &s->node.stats;
	struct rmemd_rdma_stats rd;
	size_t n;

	rmemd_rdma_stats(s, &rd);
#define U(v) ((unsigned long long)(v))
	n = snprintf(buf, len,
		     "version %s\n"
		     "pid %d\n"
		     "instance %016llx\n"
		     "uptime %llu\n"
		     "listen %s\n"
		     "capacity %llu\n"
		     "slab_size %llu\n"
		     "slabs_total %u\n"
		     "slabs_free %u\n"
		     "slabs_used %u\n"
		     "slabs_zeroing %u\n"
		     "hugepages %s\n"
		     "mlocked %s\n"
		     "sessions %u\n"
		     "sessions_idle %u\n"
		     "published %u\n"
		     "published_slabs %u\n"
		     "clients %u\n"
		     "clients_total %llu\n"
		     "clients_refused %llu\n"
		     "hello_timeouts %llu\n"
		     "per_address_refused %llu\n"
		     "clients_evicted %llu\n"
		     "max_clients_per_address %u\n"
		     "out_budget %llu\n"
		     "out_queued %llu\n"
		     "out_queued_max %llu\n"
		     "out_budget_pauses %llu\n"
		     "session_quota %u\n"
		     "quota_refusals %llu\n"
		     "bytes_read %llu\n"
		     "bytes_written %llu\n"
		     "requests %llu\n"
		     "errors %llu\n"
		     "proto_closes %llu\n"
		     "replaced_conns %llu\n"
		     "session_timeout %u\n"
		     "max_clients %u\n"
		     "log_level %s\n"
		     "rdma_listen %s\n"
		     "rdma_clients %u\n"
		     "rdma_clients_total %llu\n"
		     "rdma_clients_refused %llu\n"
		     "rdma_mrs %u\n"
		     "rdma_pds %u\n"
		     "auth %s\n"
		     "key_ids %s\n"
		     "auth_failures %llu\n"
		     "auth_no_auth %llu\n"
		     "auth_unknown_key %llu\n"
		     "auth_bad_mac %llu\n"
		     "auth_other_key %llu\n"
		     "auth_replayed %llu\n"
		     "version_refused %llu\n"
		     "hostile_replies %llu\n",
		     RMEMD_VERSION, (int)getpid(), U(s->node.instance),
		     U((rmemd_now_ms() - s->start_ms) / 1000), s->listen_name,
		     U(p->size), U(p->slab_size), p->nslabs, p->nfree, p->nslabs - p->nfree,
		     rmem_pool_zeroing(&s->pool),
		     p->hugetlb ? "hugetlb" : p->thp ? "thp" : "no", p->locked ? "yes" : "no",
		     s->node.sessions.count, s->node.sessions.idle,
		     s->node.pubs.count, rmem_pub_slabs(&s->node.pubs),
		     s->nconns, U(s->conns_total), U(s->conns_refused), U(s->hello_timeouts),
		     U(s->per_address_refused), U(s->conns_evicted), s->cfg.max_per_address,
		     U(s->cfg.out_budget), U(s->out_queued), U(s->out_queued_max),
		     U(s->out_budget_pauses),
		     s->cfg.session_quota, U(s->node.quota_refusals),
		     U(st->bytes_read), U(st->bytes_written), U(st->requests), U(st->errors),
		     U(st->proto_closes), U(st->replaced_conns), s->cfg.session_timeout, s->cfg.max_clients,
		     rmemd_log_level_name(s->cfg.log_level),
		     rd.listen, rd.conns, U(rd.conns_total), U(rd.conns_refused), rd.mrs, rd.pds,
		     s->node.auth ? "psk" : "none", key_ids(s, ids, sizeof(ids)),
		     U(st->auth_failures), U(st->auth_no_auth), U(st->auth_unknown_key),
		     U(st->auth_bad_mac), U(st->auth_other_key), U(st->auth_replayed),
		     U(st->version_refused), U(st->hostile_replies));
#undef U
	return n < len ? n : len - 1;
}

/* One "region ..." line per published region. */
static size_t published_text(struct rmemd_server *s, char *buf, size_t len)
{
	char kid[RMEM_KEY_ID_STR_LEN];
	size_t n = 0;

	for (const struct rmem_pub *p = s->node.pubs.head; p && n < len; p = p->next) {
		if (p->key_idx >= 0 && (uint32_t)p->key_idx < s->nkeys)
			rmem_key_format_id(s->keys[p->key_idx].id, kid);
		else
			snprintf(kid, sizeof(kid), "none");
		n += snprintf(buf + n, len - n,
			      "region %s size %llu extents %u backed %u sealed %s attached %u key %s\n",
			      p->name, (unsigned long long)p->size, p->nextents, p->nslabs,
			      p->sealed ? "yes" : "no", p->nattached, kid);
	}
	return n < len ? n : len - 1;
}

/* delete-published NAME [force]: the operator's way to free a region. */
static size_t delete_published(struct rmemd_server *s, const struct rmemd_ctl_cmd *cmd,
			       char *buf, size_t len)
{
	struct rmem_pub *p = rmem_pub_by_name(&s->node.pubs, cmd->name);
	uint32_t slabs;
	int n;

	if (!p)
		n = snprintf(buf, len, "error %s: no such published region\n", cmd->name);
	else if (p->nattached && !cmd->force)
		n = snprintf(buf, len,
			     "error %s: attached by %u session(s); 'force' detaches them (their reads then fail)\n",
			     cmd->name, p->nattached);
	else {
		slabs = p->nslabs;
		rmem_node_pub_delete(&s->node, p, "ctl");
		n = snprintf(buf, len, "deleted %s slabs %u\n", cmd->name, slabs);
	}
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

/**
 * struct rmemd_ctlconn - a control connection waiting for its command
 * @kind: RMEMD_EV_CTLCONN (epoll data points here)
 * @fd: the connection
 * @deadline: monotonic ms: then it gets the status and is closed
 * @len: bytes in @cmd
 * @cmd: the command line so far
 * @next: list link (rmemd_server.ctlconns)
 */
struct rmemd_ctlconn {
	enum rmemd_ev_kind kind;
	int fd;
	uint64_t deadline;
	size_t len;
	char cmd[256];
	struct rmemd_ctlconn *next;
};

#define CTL_MAX_CONNS	16
#define CTL_WAIT_MS	1000

static void ctl_conn_close(struct rmemd_server *s, struct rmemd_ctlconn *c)
{
	struct rmemd_ctlconn **pp;

	for (pp = &s->ctlconns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			s->nctlconns--;
			break;
		}
	}
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

/* Answer @c's command (the status for an empty one) and close it. */
static void ctl_answer(struct rmemd_server *s, struct rmemd_ctlconn *c)
{
	static char buf[16384];
	struct rmemd_ctl_cmd cmd;
	size_t n = 0;

	c->cmd[c->len] = '\0';
	rmemd_ctl_parse(c->cmd, &cmd);
	switch (cmd.op) {
	case RMEMD_CTL_STATUS:
		n = status_text(s, buf, sizeof(buf));
		break;
	case RMEMD_CTL_PUBLISHED:
		n = published_text(s, buf, sizeof(buf));
		break;
	case RMEMD_CTL_DELETE_PUBLISHED:
		n = delete_published(s, &cmd, buf, sizeof(buf));
		break;
	case RMEMD_CTL_BAD:
		n = (size_t)snprintf(buf, sizeof(buf), "error %s\n", cmd.error);
		break;
	}
	/* Far below the socket buffer: one non-blocking send suffices. */
	if (n && send(c->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)n)
		log_info("ctl: reply not sent: %s", strerror(errno));
	ctl_conn_close(s, c);
}

/**
 * rmemd_ctl_accept() - take waiting control connections
 * @s: server
 *
 * Each waits for its command line (rmemd_ctl_event()), at most
 * CTL_WAIT_MS; beyond CTL_MAX_CONNS waiting, a new one gets the status at
 * once.
 */
void rmemd_ctl_accept(struct rmemd_server *s)
{
	for (int i = 0; i < 16; i++) {
		int fd = accept4(s->ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct rmemd_ctlconn *c;
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };

		if (fd < 0)
			return;
		c = s->nctlconns < CTL_MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			char buf[4096];
			size_t n = status_text(s, buf, sizeof(buf));

			if (send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)n)
				log_info("ctl: status reply not sent: %s", strerror(errno));
			close(fd);
			continue;
		}
		c->kind = RMEMD_EV_CTLCONN;
		c->fd = fd;
		c->deadline = rmemd_now_ms() + CTL_WAIT_MS;
		ev.data.ptr = c;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			log_info("ctl: epoll_ctl: %s", strerror(errno));
			close(fd);
			free(c);
			continue;
		}
		c->next = s->ctlconns;
		s->ctlconns = c;
		s->nctlconns++;
	}
}

/**
 * rmemd_ctl_event() - a control connection sent something, or closed
 * @s: server
 * @c: the connection
 * @events: epoll events
 *
 * A whole line (or the peer's end of writing, or a full buffer) is the
 * command: it is answered and the connection closed.
 */
void rmemd_ctl_event(struct rmemd_server *s, struct rmemd_ctlconn *c, uint32_t events)
{
	ssize_t r;

	(void)events;
	for (;;) {
		r = read(c->fd, c->cmd + c->len, sizeof(c->cmd) - 1 - c->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0)
			break;	/* end of the peer's writing, or an error */
		c->len += (size_t)r;
		if (memchr(c->cmd, '\n', c->len) || c->len == sizeof(c->cmd) - 1)
			break;
	}
	ctl_answer(s, c);
}

/**
 * rmemd_ctl_expire() - answer control connections that said nothing in time
 * @s: server
 * @now: monotonic ms
 */
void rmemd_ctl_expire(struct rmemd_server *s, uint64_t now)
{
	struct rmemd_ctlconn *c = s->ctlconns, *next;

	for (; c; c = next) {
		next = c->next;
		if (now >= c->deadline)
			ctl_answer(s, c);
	}
}

/* The earliest deadline of a waiting control connection, or -1. */
int64_t rmemd_ctl_next(const struct rmemd_server *s)
{
	int64_t best = -1;

	for (const struct rmemd_ctlconn *c = s->ctlconns; c; c = c->next)
		if (best < 0 || (int64_t)c->deadline < best)
			best = (int64_t)c->deadline;
	return best;
}

/**
 * rmemd_ctl_close() - remove the control socket
 * @s: server
 */
void rmemd_ctl_close(struct rmemd_server *s)
{
	while (s->ctlconns)
		ctl_conn_close(s, s->ctlconns);
	if (s->ctl_fd < 0)
		return;
	close(s->ctl_fd);
	s->ctl_fd = -1;
	unlink(s->cfg.ctl_socket);
}

/* ---- the client side: rmemd --status ---- */

struct kv {
	char *key;
	char *val;
};

static const char *kv_get(const struct kv *kv, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].val;
	return "?";
}

static unsigned long long kv_num(const struct kv *kv, int n, const char *key)
{
	return strtoull(kv_get(kv, n, key), NULL, 10);
}

static void print_json_object(const struct kv *kv, int n)
{
	printf("{");
	for (int i = 0; i < n; i++) {
		printf("%s", i ? ", " : "");
		rmem_json_string(stdout, kv[i].key);
		printf(": ");
		/*
		 * Instance and key ids are hex, and a region's name may be
		 * digits: always strings.
		 */
		if (rmem_json_is_number(kv[i].val) && strcmp(kv[i].key, "instance") &&
		    strcmp(kv[i].key, "key_ids") && strcmp(kv[i].key, "key") &&
		    strcmp(kv[i].key, "name"))
			printf("%s", kv[i].val);
		else
			rmem_json_string(stdout, kv[i].val);
	}
	printf("}");
}

static void print_json(const struct kv *kv, int n)
{
	print_json_object(kv, n);
	printf("\n");
}

static void print_text(const struct kv *kv, int n)
{
	char a[32], b[32], c[32];

	printf("rmemd %s, pid %s, instance %s, up %s s\n", kv_get(kv, n, "version"),
	       kv_get(kv, n, "pid"), kv_get(kv, n, "instance"), kv_get(kv, n, "uptime"));
	printf("listen:        %s\n", kv_get(kv, n, "listen"));
	printf("capacity:      %s (%llu bytes), hugepages %s, mlocked %s\n",
	       rmemd_format_size(kv_num(kv, n, "capacity"), a, sizeof(a)),
	       kv_num(kv, n, "capacity"), kv_get(kv, n, "hugepages"), kv_get(kv, n, "mlocked"));
	printf("slab size:     %s\n", rmemd_format_size(kv_num(kv, n, "slab_size"), b, sizeof(b)));
	printf("slabs:         %s total, %s free (%s still being zeroed), %s in use\n",
	       kv_get(kv, n, "slabs_total"), kv_get(kv, n, "slabs_free"),
	       kv_get(kv, n, "slabs_zeroing"), kv_get(kv, n, "slabs_used"));
	printf("sessions:      %s (%s idle), timeout %s s, quota %s slabs (0: none), %s allocs refused by it\n",
	       kv_get(kv, n, "sessions"), kv_get(kv, n, "sessions_idle"),
	       kv_get(kv, n, "session_timeout"), kv_get(kv, n, "session_quota"),
	       kv_get(kv, n, "quota_refusals"));
	printf("published:     %s regions holding %s slabs\n", kv_get(kv, n, "published"),
	       kv_get(kv, n, "published_slabs"));
	printf("clients:       %s connected (max %s), %s accepted, %s refused, %s closed without HELLO, %s evicted before HELLO\n",
	       kv_get(kv, n, "clients"), kv_get(kv, n, "max_clients"),
	       kv_get(kv, n, "clients_total"), kv_get(kv, n, "clients_refused"),
	       kv_get(kv, n, "hello_timeouts"), kv_get(kv, n, "clients_evicted"));
	printf("output:        %s of replies unsent (at most %s so far), budget %s (0: none), %s pauses for it\n",
	       rmemd_format_size(kv_num(kv, n, "out_queued"), a, sizeof(a)),
	       rmemd_format_size(kv_num(kv, n, "out_queued_max"), b, sizeof(b)),
	       rmemd_format_size(kv_num(kv, n, "out_budget"), c, sizeof(c)),
	       kv_get(kv, n, "out_budget_pauses"));
	printf("rdma:          %s; %s connected, %s accepted, %s refused; %s slab MRs in %s PDs\n",
	       kv_get(kv, n, "rdma_listen"), kv_get(kv, n, "rdma_clients"),
	       kv_get(kv, n, "rdma_clients_total"), kv_get(kv, n, "rdma_clients_refused"),
	       kv_get(kv, n, "rdma_mrs"), kv_get(kv, n, "rdma_pds"));
	printf("bytes read:    %s\n", kv_get(kv, n, "bytes_read"));
	printf("bytes written: %s\n", kv_get(kv, n, "bytes_written"));
	printf("requests:      %s\n", kv_get(kv, n, "requests"));
	printf("errors:        %s (%s connections closed for bad framing)\n",
	       kv_get(kv, n, "errors"), kv_get(kv, n, "proto_closes"));
	printf("replaced:      %s (connections cut off by a newer one of their session and queue)\n",
	       kv_get(kv, n, "replaced_conns"));
	printf("auth:          %s, key ids %s\n", kv_get(kv, n, "auth"), kv_get(kv, n, "key_ids"));
	printf("auth failures: %s (%s without AUTH, %s unknown key, %s bad mac, %s session of another key, %s replayed RDMA connect requests); %s peers of another protocol version\n",
	       kv_get(kv, n, "auth_failures"), kv_get(kv, n, "auth_no_auth"),
	       kv_get(kv, n, "auth_unknown_key"), kv_get(kv, n, "auth_bad_mac"),
	       kv_get(kv, n, "auth_other_key"), kv_get(kv, n, "auth_replayed"),
	       kv_get(kv, n, "version_refused"));
	printf("log level:     %s\n", kv_get(kv, n, "log_level"));
}

/*
 * Send @cmd to the rmemd at @path and read its whole answer into @buf
 * (NUL-terminated). Return: 0, or 1 after printing why it failed.
 */
static int ctl_query(const char *path, const char *cmd, char *buf, size_t size)
{
	struct sockaddr_un sun;
	size_t len = 0, cl = strlen(cmd);
	ssize_t r;
	int fd;

	if (ctl_addr(path, &sun)) {
		fprintf(stderr, "rmemd: %s: path too long\n", path);
		return 1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		fprintf(stderr, "rmemd: cannot reach rmemd at %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	/* An rmemd from before commands answers the status to anything. */
	if (send(fd, cmd, cl, MSG_NOSIGNAL) != (ssize_t)cl || send(fd, "\n", 1, MSG_NOSIGNAL) != 1)
		fprintf(stderr, "rmemd: %s: sending '%s': %s\n", path, cmd, strerror(errno));
	shutdown(fd, SHUT_WR);
	while (len < size - 1 && (r = read(fd, buf + len, size - 1 - len)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "rmemd: %s: %s\n", path, strerror(errno));
			close(fd);
			return 1;
		}
		len += r;
	}
	close(fd);
	buf[len] = '\0';
	return 0;
}

/**
 * rmemd_ctl_status() - print a running rmemd's status
 * @path: its control socket
 * @json: JSON instead of text
 *
 * Return: process exit code (0, or 1 when rmemd cannot be reached).
 */
int rmemd_ctl_status(const char *path, bool json)
{
	char buf[8192];
	struct kv kv[96];
	int n = 0;

	if (ctl_query(path, "status", buf, sizeof(buf)))
		return 1;

	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line && n < 96;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');

		if (!sp)
			continue;
		*sp = '\0';
		kv[n].key = line;
		kv[n].val = sp + 1;
		n++;
	}
	if (!n) {
		fprintf(stderr, "rmemd: %s: empty status reply\n", path);
		return 1;
	}
	if (json)
		print_json(kv, n);
	else
		print_text(kv, n);
	return 0;
}

/**
 * rmemd_ctl_published() - print a running rmemd's published regions
 * @path: its control socket
 * @json: a JSON array of objects instead of text
 *
 * Return: process exit code (0, or 1 when rmemd cannot be reached or does
 * not know the command).
 */
int rmemd_ctl_published(const char *path, bool json)
{
	static char buf[65536];
	int regions = 0;

	if (ctl_query(path, "published", buf, sizeof(buf)))
		return 1;
	if (!strncmp(buf, "error ", 6) || (*buf && strncmp(buf, "region ", 7))) {
		fprintf(stderr, "rmemd: %s: this rmemd does not list published regions (too old?)\n",
			path);
		return 1;
	}
	if (json)
		printf("[");
	else
		printf("%-32s %14s %9s %7s %9s %s\n", "NAME", "SIZE", "EXTENTS", "SEALED",
		       "ATTACHED", "KEY");
	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct kv kv[16];
		char *save2 = NULL, *tok;
		int n = 0;

		strtok_r(line, " ", &save2);	/* "region" */
		kv[n].key = "name";
		kv[n].val = strtok_r(NULL, " ", &save2);
		if (!kv[n].val)
			continue;
		n++;
		while (n < 16 && (tok = strtok_r(NULL, " ", &save2))) {
			kv[n].key = tok;
			kv[n].val = strtok_r(NULL, " ", &save2);
			if (!kv[n].val)
				break;
			n++;
		}
		if (json) {
			printf("%s", regions ? ", " : "");
			print_json_object(kv, n);
		} else {
			char ext[32];

			snprintf(ext, sizeof(ext), "%s/%s", kv_get(kv, n, "backed"),
				 kv_get(kv, n, "extents"));
			printf("%-32s %14s %9s %7s %9s %s\n", kv_get(kv, n, "name"),
			       kv_get(kv, n, "size"), ext, kv_get(kv, n, "sealed"),
			       kv_get(kv, n, "attached"), kv_get(kv, n, "key"));
		}
		regions++;
	}
	if (json)
		printf("]\n");
	return 0;
}

/**
 * rmemd_ctl_delete_published() - delete a published region of a running rmemd
 * @path: its control socket
 * @name: the region
 * @force: even while compute nodes are attached (their reads then fail)
 *
 * Return: process exit code (0 when deleted, else 1 after saying why).
 */
int rmemd_ctl_delete_published(const char *path, const char *name, bool force)
{
	char cmd[RMEM_PUB_NAME_LEN + 32], buf[512];

	if (!rmem_pub_name_valid(name, strnlen(name, RMEM_PUB_NAME_LEN - 1) + 1)) {
		fprintf(stderr, "rmemd: '%s' is not a region name (1-63 of A-Z a-z 0-9 . _ : @ + -)\n",
			name);
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "delete-published %s%s", name, force ? " force" : "");
	if (ctl_query(path, cmd, buf, sizeof(buf)))
		return 1;
	buf[strcspn(buf, "\n")] = '\0';
	if (!strncmp(buf, "deleted ", 8)) {
		printf("rmemd: published region %s deleted (%s)\n", name, buf + 8 + strlen(name) + 1);
		return 0;
	}
	if (!strncmp(buf, "error ", 6))
		fprintf(stderr, "rmemd: %s\n", buf + 6);
	else
		fprintf(stderr, "rmemd: %s: this rmemd does not know delete-published (too old?)\n",
			path);
	return 1;
}
