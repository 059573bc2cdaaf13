// SPDX-License-Identifier: GPL-2.0
/*
 * rmemd server: startup (pool, listener, control socket, signals), the
 * single-threaded epoll loop, SIGHUP reload and clean shutdown. Connections
 * are handled in conn.c, the control socket in ctl.c.
 *
 * Order of startup, and exact reverse at shutdown: signals, pool, protocol
 * state, epoll, TCP socket bound, RDMA listener (rdma.c, on the bound TCP
 * port unless rdma-port says otherwise), TCP listening, control socket: a
 * client that finds the TCP port open can connect over RDMA at once. The
 * RDMA connections close before the protocol state goes, and the RDMA
 * transport itself after it: destroying the sessions deregisters their
 * slab MRs through the hooks.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "rmem-key.h"
#include "server.h"

/**
 * rmemd_now_ms() - monotonic clock in milliseconds, to a tick's precision
 *
 * CLOCK_MONOTONIC_COARSE is the time of the last tick (1-10 ms old), which
 * is all timeouts and rate limits need, and the vDSO serves it without
 * reading the clock hardware. rmemd asks for the time on every event: with
 * CLOCK_MONOTONIC that is a system call plus an HPET read wherever the TSC
 * is not trusted (virtual machines), costlier than the request itself.
 *
 * Return: ms since an arbitrary point.
 */
uint64_t rmemd_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts))
		clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct rmemd_ratelimit accept_rl = RMEMD_RATELIMIT_INIT(1000, 5);

static int epoll_add(struct rmemd_server *s, int fd, void *ptr)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ptr };

	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void sockaddr_name(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(sin->sin_port));
	}
}

/*
 * Bind the TCP socket; it starts listening only in server_listen(), after the
 * rdma_cm listener is up (rdma.c takes the port from the bound socket), so
 * anyone who sees the TCP port open can connect over RDMA too.
 */
static int server_bind(struct rmemd_server *s)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	};
	struct addrinfo *res;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char port[8];
	int one = 1, fd, rc;

	snprintf(port, sizeof(port), "%u", s->cfg.listen_port);
	rc = getaddrinfo(s->cfg.listen_host, port, &hints, &res);
	if (rc) {
		log_err("listen %s: %s", s->cfg.listen, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_err("listen %s: socket: %s", s->cfg.listen, strerror(errno));
		freeaddrinfo(res);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen)) {
		log_err("listen %s: %s", s->cfg.listen, strerror(errno));
		freeaddrinfo(res);
		close(fd);
		return -1;
	}
	freeaddrinfo(res);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	sockaddr_name((struct sockaddr *)&ss, s->listen_name, sizeof(s->listen_name));
	s->listen_fd = fd;
	return 0;
}

static int server_listen(struct rmemd_server *s)
{
	if (listen(s->listen_fd, 512)) {
		log_err("listen %s: %s", s->cfg.listen, strerror(errno));
		return -1;
	}
	if (epoll_add(s, s->listen_fd, &s->ev_listen)) {
		log_err("epoll_ctl: %s", strerror(errno));
		return -1;
	}
	log_info("listening on %s (TCP)", s->listen_name);
	return 0;
}

static int server_signals(struct rmemd_server *s)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (s->cfg.test_corrupt >= 0)
		sigaddset(&set, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	s->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return s->sigfd < 0 ? -1 : 0;
}

/* Connections use one fd each: make sure max-clients of them fit. */
static void server_raise_nofile(uint32_t max_clients)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)max_clients + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want)
		log_warn("max-clients %u: only %llu file descriptors allowed",
			 max_clients, (unsigned long long)rl.rlim_cur);
}

/* Keys and auth mode into the protocol state; auth none is said loudly. */
static void server_auth_init(struct rmemd_server *s, const struct rmem_auth_key *keys,
			     uint32_t nkeys)
{
	char id[RMEM_KEY_ID_STR_LEN];

	memcpy(s->keys, keys, sizeof(*keys) * nkeys);
	s->nkeys = nkeys;
	s->node.auth = !s->cfg.auth_none;
	s->node.keys = s->keys;
	s->node.nkeys = nkeys;
	if (s->cfg.auth_none) {
		log_warn("auth none: AUTHENTICATION IS OFF. Anyone who can reach this port can allocate, read and overwrite the pool's memory, and join any session whose id they learn. Use only in a lab; set key-file for anything else");
		return;
	}
	for (uint32_t i = 0; i < nkeys; i++) {
		rmem_key_format_id(keys[i].id, id);
		log_info("auth psk: tenant key %u: id %s (%s)", i, id, s->cfg.key_files[i]);
	}
}

/**
 * rmemd_server_init() - set everything up, ready to serve
 * @s: server
 * @cfg: configuration (copied)
 * @src: kept for SIGHUP; must outlive @s
 * @keys: the key-files' keys (rmemd_config_load_keys()), copied
 * @nkeys: entries in @keys
 *
 * Return: 0, or -1 after logging why (everything set up is undone).
 */
int rmemd_server_init(struct rmemd_server *s, const struct rmemd_config *cfg,
		      const struct rmemd_config_src *src, const struct rmem_auth_key *keys,
		      uint32_t nkeys)
{
	char err[512], a[32], b[32];
	/* Freed slabs are zeroed off the event loop (pool.h). */
	unsigned int flags = RMEM_POOL_HUGE | RMEM_POOL_PREFAULT | RMEM_POOL_ZERO_THREAD;
	uint64_t instance;

	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->src = src;
	s->epfd = s->sigfd = s->listen_fd = s->ctl_fd = -1;
	s->ev_listen = RMEMD_EV_LISTEN;
	s->ev_signal = RMEMD_EV_SIGNAL;
	s->ev_ctl = RMEMD_EV_CTL;
	s->start_ms = rmemd_now_ms();

	if (server_signals(s)) {
		log_err("signals: %s", strerror(errno));
		goto out_fini;
	}
	server_raise_nofile(cfg->max_clients);

	if (!cfg->no_mlock)
		flags |= RMEM_POOL_MLOCK;
	if (rmem_pool_init(&s->pool, cfg->donate, cfg->slab_size, flags, err, sizeof(err))) {
		log_err("pool: %s", err);
		goto out_fini;
	}
	log_info("pool: %s donated, %u slabs of %s, %s, %s, pre-faulted",
		 rmemd_format_size(cfg->donate, a, sizeof(a)), s->pool.nslabs,
		 rmemd_format_size(cfg->slab_size, b, sizeof(b)),
		 s->pool.hugetlb ? "hugetlbfs 2M pages" :
		 s->pool.thp ? "normal pages with transparent hugepages (MADV_HUGEPAGE)" :
		 "normal pages",
		 s->pool.locked ? "mlocked" : "not mlocked (--no-mlock)");

	if (getrandom(&instance, sizeof(instance), 0) != sizeof(instance)) {
		log_err("getrandom: %s", strerror(errno));
		goto out_fini;
	}
	rmem_node_init(&s->node, &s->pool, (uint64_t)cfg->session_timeout * 1000, instance);
	s->node.session_quota = cfg->session_quota;
	server_auth_init(s, keys, nkeys);
	if (cfg->test_drop_type) {
		s->node.drop_type = cfg->test_drop_type;
		s->node.drop_nth = cfg->test_drop_nth;
		s->node.drop_off = cfg->test_drop_off;
		s->node.drop_lose = cfg->test_drop_lose;
		log_warn("test only: %s request %u of type %u (offset %lld, -1: any) will be dropped",
			 cfg->test_drop_lose ? "the whole" : "the reply to", cfg->test_drop_nth,
			 cfg->test_drop_type, (long long)cfg->test_drop_off);
	}
	if (cfg->test_hostile) {
		s->node.hostile_rate = cfg->test_hostile;
		s->node.hostile_rng = instance | 1;
		s->node.hostile_rkey = cfg->test_hostile_rkey;
		s->node.hostile_slab = cfg->test_hostile_slab;
		s->node.hostile_early = cfg->test_hostile_early;
		if (cfg->test_hostile_early)
			log_warn("test only: about one WRITE in %u will be answered before its data is in (--test-hostile N:early)",
				 cfg->test_hostile);
		else
			log_warn("test only: about one reply in %u will be mangled (--test-hostile)",
				 cfg->test_hostile);
	}
	if (cfg->test_corrupt >= 0)
		log_warn("test only: SIGUSR2 flips a bit at offset %lld of every slab in use",
			 (long long)cfg->test_corrupt);

	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0 || epoll_add(s, s->sigfd, &s->ev_signal)) {
		log_err("epoll: %s", strerror(errno));
		goto out_fini;
	}
	/* TCP listens last: an open TCP port means RDMA is ready too. */
	if (server_bind(s) || rmemd_rdma_init(s) || server_listen(s) || rmemd_ctl_listen(s))
		goto out_fini;
	log_notice("started: instance %016llx, %u slabs, session timeout %u s, max %u clients, auth %s (%u keys)",
		   (unsigned long long)instance, s->pool.nslabs, cfg->session_timeout,
		   cfg->max_clients, cfg->auth_none ? "none" : "psk", s->nkeys);
	return 0;

out_fini:
	rmemd_server_fini(s);
	return -1;
}

/**
 * rmemd_server_fini() - close everything, free the pool
 * @s: server
 */
void rmemd_server_fini(struct rmemd_server *s)
{
	rmemd_ctl_close(s);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	s->listen_fd = -1;
	while (s->conns)
		rmemd_conn_close(s, s->conns);
	rmemd_conn_reap(s);
	rmemd_rdma_stop(s);
	if (s->node.pool)
		rmem_node_fini(&s->node);
	s->node.pool = NULL;
	rmemd_rdma_fini(s);
	if (s->epfd >= 0)
		close(s->epfd);
	s->epfd = -1;
	rmem_pool_fini(&s->pool);
	if (s->sigfd >= 0)
		close(s->sigfd);
	s->sigfd = -1;
	explicit_bzero(s->keys, sizeof(s->keys));
	s->nkeys = 0;
}

static void server_accept(struct rmemd_server *s)
{
	for (int i = 0; i < 64; i++) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* Level-triggered: stop polling for a moment. */
				if (rmemd_ratelimit_ok(&accept_rl, rmemd_now_ms()))
					log_warn("accept: %s; pausing new connections",
						 strerror(errno));
				epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->listen_fd, NULL);
				s->listen_paused_until = rmemd_now_ms() + 100;
			}
			return;
		}
		s->conns_total++;
		if (s->cfg.max_per_address) {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);

			if (!getpeername(fd, (struct sockaddr *)&ss, &sl) &&
			    rmemd_conn_count_host(s, &ss) >= s->cfg.max_per_address) {
				s->conns_refused++;
				s->per_address_refused++;
				if (rmemd_ratelimit_ok(&accept_rl, rmemd_now_ms()))
					log_warn("refusing a connection: max-clients-per-address %u reached by its address",
						 s->cfg.max_per_address);
				close(fd);
				continue;
			}
		}
		if (s->nconns + rmemd_rdma_nconns(s) >= s->cfg.max_clients &&
		    !rmemd_conn_evict_unhello(s)) {
			s->conns_refused++;
			if (rmemd_ratelimit_ok(&accept_rl, rmemd_now_ms()))
				log_warn("refusing a connection: max-clients %u reached, every connection past HELLO",
					 s->cfg.max_clients);
			close(fd);
			continue;
		}
		if (!rmemd_conn_new(s, fd))
			s->conns_refused++;
	}
}

static const char *yesno(bool b)
{
	return b ? "yes" : "no";
}

static void server_reload(struct rmemd_server *s)
{
	struct rmemd_config nc;
	struct rmemd_config *oc = &s->cfg;
	char err[512], a[32], b[32];

	if (rmemd_config_build(s->src, &nc, err, sizeof(err))) {
		log_err("reload: %s; keeping the running configuration", err);
		return;
	}
	if (nc.donate != oc->donate)
		log_warn("reload: donate %s -> %s needs restart",
			 rmemd_format_size(oc->donate, a, sizeof(a)),
			 rmemd_format_size(nc.donate, b, sizeof(b)));
	if (nc.slab_size != oc->slab_size)
		log_warn("reload: slab-size %s -> %s needs restart",
			 rmemd_format_size(oc->slab_size, a, sizeof(a)),
			 rmemd_format_size(nc.slab_size, b, sizeof(b)));
	if (strcmp(nc.listen, oc->listen))
		log_warn("reload: listen %s -> %s needs restart", oc->listen, nc.listen);
	if (strcmp(nc.ctl_socket, oc->ctl_socket))
		log_warn("reload: ctl-socket %s -> %s needs restart",
			 oc->ctl_socket, nc.ctl_socket);
	if (nc.no_rdma != oc->no_rdma)
		log_warn("reload: no-rdma %s -> %s needs restart",
			 yesno(oc->no_rdma), yesno(nc.no_rdma));
	if (nc.rdma_port != oc->rdma_port)
		log_warn("reload: rdma-port %u -> %u needs restart", oc->rdma_port, nc.rdma_port);
	if (nc.no_mlock != oc->no_mlock)
		log_warn("reload: no-mlock %s -> %s needs restart",
			 yesno(oc->no_mlock), yesno(nc.no_mlock));
	if (!rmemd_config_same_keys(&nc, oc))
		log_warn("reload: auth or key-file changed: needs restart (sessions are bound to the keys read at start)");

	oc->session_timeout = nc.session_timeout;
	oc->drain_timeout = nc.drain_timeout;
	oc->hello_timeout = nc.hello_timeout;
	oc->max_per_address = nc.max_per_address;
	oc->out_budget = nc.out_budget;
	oc->session_quota = nc.session_quota;
	s->node.session_quota = nc.session_quota;
	s->node.sessions.timeout_ms = (uint64_t)nc.session_timeout * 1000;
	if (nc.max_clients != oc->max_clients)
		server_raise_nofile(nc.max_clients);
	oc->max_clients = nc.max_clients;
	oc->log_level = nc.log_level;
	rmemd_log_set_level(nc.log_level);
	log_notice("reloaded: session-timeout %u s, max-clients %u, log-level %s",
		   oc->session_timeout, oc->max_clients, rmemd_log_level_name(oc->log_level));
}

/* --test-corrupt: a bit of every slab in use goes bad, as failing memory would. */
static void server_corrupt(struct rmemd_server *s)
{
	uint64_t off = (uint64_t)s->cfg.test_corrupt;
	struct rmem_pool *p = &s->pool;
	uint32_t i, n = 0;

	if (off >= p->slab_size) {
		log_warn("test: SIGUSR2: offset %llu is past the slab size", (unsigned long long)off);
		return;
	}
	for (i = 0; i < p->nslabs; i++) {
		if (!p->owner[i])
			continue;
		rmem_pool_slab(p, i)[off] ^= 1;
		n++;
	}
	log_warn("test: SIGUSR2: flipped a bit at offset %llu of %u slabs in use",
		 (unsigned long long)off, n);
}

/* Slabs the sessions hold: what a drain waits to see moved. */
static uint32_t server_slabs_held(const struct rmemd_server *s)
{
	return s->pool.nslabs - s->pool.nfree;
}

/*
 * SIGTERM with slabs held: drain first (unless drain-timeout is 0, or a
 * drain is running: then stop now). No new slab from now on; PING replies
 * tell clients the time left (rmem_ping_reply.drain_ms), and they move
 * their data to other nodes and free it here. server_drain_check() stops
 * the server when nothing is held any more, or at the deadline.
 * Returns true when a drain started.
 */
static bool server_drain_start(struct rmemd_server *s)
{
	uint32_t held = server_slabs_held(s);
	uint64_t now = rmemd_now_ms();

	if (s->node.drain_until_ms || !s->cfg.drain_timeout || !held)
		return false;
	s->node.drain_until_ms = now + (uint64_t)s->cfg.drain_timeout * 1000;
	log_notice("SIGTERM: draining: clients hold %u slabs; exiting when they have moved them, in %u s at most (SIGTERM again: now)",
		   held, s->cfg.drain_timeout);
	return true;
}

static void server_drain_check(struct rmemd_server *s, uint64_t now)
{
	uint32_t held;

	if (!s->node.drain_until_ms)
		return;
	held = server_slabs_held(s);
	if (!held) {
		log_notice("drained: no slab held; shutting down");
		s->stop = true;
	} else if (now >= s->node.drain_until_ms) {
		log_warn("drain deadline: clients still hold %u slabs; shutting down", held);
		s->stop = true;
	}
}

static void server_signal(struct rmemd_server *s)
{
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			log_notice("SIGHUP: reloading configuration");
			server_reload(s);
			break;
		case SIGUSR2:
			server_corrupt(s);
			break;
		case SIGTERM:
			if (server_drain_start(s))
				break;
			/* fall through */
		case SIGINT:
			log_notice("%s: shutting down", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			s->stop = true;
			break;
		}
	}
}

static int loop_timeout(struct rmemd_server *s, uint64_t now)
{
	int64_t next = rmem_sessions_next_expiry(&s->node.sessions);
	int64_t hello = rmemd_conn_hello_next(s);
	int64_t rhello = rmemd_rdma_hello_next(s);
	int64_t ctl = rmemd_ctl_next(s);
	int64_t t = -1;

	if (next < 0 || (hello >= 0 && hello < next))
		next = hello;
	if (next < 0 || (rhello >= 0 && rhello < next))
		next = rhello;
	if (next < 0 || (ctl >= 0 && ctl < next))
		next = ctl;
	if (next >= 0)
		t = next > (int64_t)now ? next - (int64_t)now : 0;
	if (s->listen_paused_until) {
		int64_t l = s->listen_paused_until > now ? (int64_t)(s->listen_paused_until - now) : 0;

		if (t < 0 || l < t)
			t = l;
	}
	if (s->node.drain_until_ms && (t < 0 || t > 500))
		t = 500;	/* a drain ends when the last slab goes, or at its deadline */
	return t > 60000 || t < 0 ? 60000 : (int)t;
}

/**
 * rmemd_server_run() - serve until SIGTERM or SIGINT
 * @s: server
 *
 * Return: 0 after a clean stop, -1 when the loop itself failed.
 */
int rmemd_server_run(struct rmemd_server *s)
{
	struct epoll_event evs[64];

	while (!s->stop) {
		uint64_t now = rmemd_now_ms();
		int n = epoll_wait(s->epfd, evs, 64, loop_timeout(s, now));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			return -1;
		}
		for (int i = 0; i < n && !s->stop; i++) {
			enum rmemd_ev_kind *kind = evs[i].data.ptr;

			switch (*kind) {
			case RMEMD_EV_LISTEN:
				server_accept(s);
				break;
			case RMEMD_EV_SIGNAL:
				server_signal(s);
				break;
			case RMEMD_EV_CTL:
				rmemd_ctl_accept(s);
				break;
			case RMEMD_EV_CTLCONN:
				rmemd_ctl_event(s, (struct rmemd_ctlconn *)kind, evs[i].events);
				break;
			case RMEMD_EV_CONN:
				rmemd_conn_event(s, (struct rmemd_conn *)kind, evs[i].events);
				break;
			case RMEMD_EV_RDMA_CM:
				rmemd_rdma_cm_event(s);
				break;
			case RMEMD_EV_RDMA_CQ:
				rmemd_rdma_cq_event(s, kind);
				break;
			}
		}
		rmemd_conn_reap(s);
		rmemd_rdma_reap(s);
		now = rmemd_now_ms();
		if (s->listen_paused_until && now >= s->listen_paused_until) {
			s->listen_paused_until = 0;
			epoll_add(s, s->listen_fd, &s->ev_listen);
		}
		s->node.now_ms = now;
		rmem_sessions_expire(&s->node.sessions, now);
		rmemd_conn_hello_expire(s, now);
		rmemd_rdma_hello_expire(s, now);
		rmemd_ctl_expire(s, now);
		server_drain_check(s, now);
	}
	log_notice("closing %u client connections", s->nconns + rmemd_rdma_nconns(s));
	return 0;
}
