// SPDX-License-Identifier: GPL-2.0
/*
 * rmemd control socket: a unix stream socket (root only, mode 0600) that
 * answers every connection with the daemon's status as "key value" lines and
 * closes it. `rmemd --status` is its client and prints the lines as text or
 * JSON. Keys are stable (documented in Documentation/rmemd.rst); new keys
 * may be added.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

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

/**
 * rmemd_ctl_close() - remove the control socket
 * @s: server
 */
void rmemd_ctl_close(struct rmemd_server *s)
{
	if (s->ctl_fd < 0)
		return;
	close(s->ctl_fd);
	s->ctl_fd = -1;
	unlink(s->cfg.ctl_socket);
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

/**
 * rmemd_ctl_accept() - answer waiting status requests
 * @s: server
 */
void rmemd_ctl_accept(struct rmemd_server *s)
{
	char buf[4096];

	for (int i = 0; i < 16; i++) {
		int fd = accept4(s->ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		size_t n;

		if (fd < 0)
			return;
		n = status_text(s, buf, sizeof(buf));
		/* Far below the socket buffer: one non-blocking send suffices. */
		if (send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)n)
			log_info("ctl: status reply not sent: %s", strerror(errno));
		close(fd);
	}
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

static bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void print_json(const struct kv *kv, int n)
{
	printf("{");
	for (int i = 0; i < n; i++) {
		printf("%s", i ? ", " : "");
		json_string(kv[i].key);
		printf(": ");
		/* instance and key ids are hex: always strings */
		if (is_number(kv[i].val) && strcmp(kv[i].key, "instance") &&
		    strcmp(kv[i].key, "key_ids"))
			printf("%s", kv[i].val);
		else
			json_string(kv[i].val);
	}
	printf("}\n");
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

/**
 * rmemd_ctl_status() - print a running rmemd's status
 * @path: its control socket
 * @json: JSON instead of text
 *
 * Return: process exit code (0, or 1 when rmemd cannot be reached).
 */
int rmemd_ctl_status(const char *path, bool json)
{
	struct sockaddr_un sun;
	char buf[8192];
	struct kv kv[96];
	size_t len = 0;
	ssize_t r;
	int fd, n = 0;

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
	while (len < sizeof(buf) - 1 && (r = read(fd, buf + len, sizeof(buf) - 1 - len)) != 0) {
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
