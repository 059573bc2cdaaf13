// SPDX-License-Identifier: GPL-2.0
/*
 * rmemd client connections: non-blocking socket I/O around the protocol
 * engine (proto.c). Each connection has an input buffer (bytes received,
 * not yet handled) and an output queue (replies not yet sent). Requests are
 * handled in order and their replies queued in order, so replies leave in
 * request order. Backpressure: a connection whose output queue passes
 * RMEMD_OUT_HIGH is not read (nor its buffered requests handled) until the
 * peer has taken it below RMEMD_OUT_LOW; a client that pipelines reads
 * without reading replies thus only stalls itself. All connections' output
 * together is bounded too (out-budget, conn_over_budget()).
 *
 * A connection can be closed from outside its own event: a HELLO on another
 * connection cuts it off (rmem_pconn.cut_off, conn_cut_off()). So a closed
 * connection is only marked gone and freed after the epoll batch, whose
 * events may still point at it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "server.h"

/* Per-connection log line with the peer's name in front. */
#define conn_log(prio, c, fmt, ...) \
	rmemd_log(prio, "%s: " fmt, (c)->name, ##__VA_ARGS__)

/* Bytes read per readiness event, so one busy client cannot starve others. */
#define READ_BUDGET	(1u << 20)
/*
 * Most a receive low-water mark is raised to. A message bigger than this
 * still wakes us every RCVLOWAT_MAX bytes; a small cap keeps the kernel from
 * growing the receive buffer or clamping the window on our behalf (Linux's
 * tcp_set_rcvlowat() does both for marks past the buffer size).
 */
#define RCVLOWAT_MAX	(64u << 10)

static struct rmemd_ratelimit close_rl = RMEMD_RATELIMIT_INIT(1000, 10);
static struct rmemd_ratelimit hello_rl = RMEMD_RATELIMIT_INIT(1000, 10);

/*
 * A peer that vanished (power lost, cable pulled) sends nothing, not even a
 * reset: without these the default keepalive (2 h idle) would keep its
 * connection, and so its session's slabs, long after the session timeout
 * said they should go. Noticed within about half the session timeout (10 s
 * to 60 s): idle for half that, then 3 probes; unacknowledged data gives up
 * as soon (TCP_USER_TIMEOUT).
 */
static void conn_keepalive(int fd, uint32_t session_timeout)
{
	int detect = (int)(session_timeout / 2), idle, intvl, cnt = 3, one = 1;
	unsigned int user_ms;

	if (detect < 10)
		detect = 10;
	if (detect > 60)
		detect = 60;
	idle = detect / 2;
	intvl = (detect - idle) / cnt > 0 ? (detect - idle) / cnt : 1;
	user_ms = (unsigned int)detect * 1000;
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_ms, sizeof(user_ms));
}

/* Connections yet to say HELLO, oldest first (their deadlines in order). */
static void hq_add(struct rmemd_server *s, struct rmemd_conn *c)
{
	c->hq_prev = s->hq_tail;
	c->hq_next = NULL;
	if (s->hq_tail)
		s->hq_tail->hq_next = c;
	else
		s->hq_head = c;
	s->hq_tail = c;
	c->on_hq = true;
}

static void hq_del(struct rmemd_server *s, struct rmemd_conn *c)
{
	if (!c->on_hq)
		return;
	if (c->hq_prev)
		c->hq_prev->hq_next = c->hq_next;
	else
		s->hq_head = c->hq_next;
	if (c->hq_next)
		c->hq_next->hq_prev = c->hq_prev;
	else
		s->hq_tail = c->hq_prev;
	c->hq_prev = c->hq_next = NULL;
	c->on_hq = false;
}

/*
 * The oldest connection on the HELLO queue that has not said HELLO yet, or
 * NULL; those that said it meanwhile leave the queue on the way.
 */
static struct rmemd_conn *hq_first_unhello(struct rmemd_server *s)
{
	struct rmemd_conn *c;

	while ((c = s->hq_head) && c->pc.sess)
		hq_del(s, c);
	return c;
}

/**
 * rmemd_conn_hello_expire() - close connections that did not say HELLO in time
 * @s: server
 * @now: rmemd_now_ms()
 *
 * An idle or slow-dripping peer must not keep a slot (max-clients) for
 * long. Those that said HELLO meanwhile just leave the queue.
 */
void rmemd_conn_hello_expire(struct rmemd_server *s, uint64_t now)
{
	struct rmemd_conn *c;

	while ((c = hq_first_unhello(s))) {
		if (now < c->hello_by_ms)
			break;
		s->hello_timeouts++;
		if (rmemd_ratelimit_ok(&hello_rl, now))
			conn_log(LOG_WARNING, c, "closing: no HELLO within %u s",
				 s->cfg.hello_timeout);
		rmemd_conn_close(s, c);	/* takes it off the queue */
	}
}

/**
 * rmemd_conn_evict_unhello() - make room for a new connection at max-clients
 * @s: server
 *
 * Slots are reserved for peers that get past HELLO: when rmemd is full, the
 * oldest connection that has not said HELLO yet (it has not authenticated)
 * is closed so that the new one can try. Idle or slow-dripping peers can
 * then delay an honest client by at most max-clients newer connections,
 * never lock it out. Connections past HELLO are never evicted.
 *
 * Return: true if a connection was closed.
 */
bool rmemd_conn_evict_unhello(struct rmemd_server *s)
{
	struct rmemd_conn *c = hq_first_unhello(s);

	if (!c)
		return false;
	s->conns_evicted++;
	if (rmemd_ratelimit_ok(&hello_rl, rmemd_now_ms()))
		conn_log(LOG_WARNING, c, "closing: max-clients %u reached, and this connection has not said HELLO",
			 s->cfg.max_clients);
	rmemd_conn_close(s, c);	/* takes it off the queue */
	return true;
}

/**
 * rmemd_same_host() - whether two addresses are the same IP address
 * @a: one address
 * @b: the other
 *
 * Ports aside; an address of another family than IPv4 or IPv6 matches none.
 *
 * Return: true when they are.
 */
bool rmemd_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr));
	return false;
}

/**
 * rmemd_conn_count_host() - connections open from one address
 * @s: server
 * @ss: the address (its port is ignored)
 *
 * TCP and RDMA connections together: max-clients-per-address caps the sum,
 * whichever transport a new one comes by.
 *
 * Return: how many.
 */
uint32_t rmemd_conn_count_host(const struct rmemd_server *s, const struct sockaddr_storage *ss)
{
	uint32_t n = rmemd_rdma_count_host(s, ss);

	for (const struct rmemd_conn *c = s->conns; c; c = c->next)
		n += rmemd_same_host(&c->peer, ss);
	return n;
}

/* Milliseconds timestamp of the next HELLO deadline, or -1. */
int64_t rmemd_conn_hello_next(const struct rmemd_server *s)
{
	return s->hq_head ? (int64_t)s->hq_head->hello_by_ms : -1;
}

static void peer_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned int port = 0;

	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
			port = ntohs(sin->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
			port = ntohs(sin6->sin6_port);
			snprintf(buf, len, "[%s]:%u", host, port);
			return;
		}
	}
	snprintf(buf, len, "%s:%u", host, port);
}

/*
 * rmem_pconn.cut_off: a newer connection of the same session and queue said
 * HELLO. Close now, with whatever is buffered unhandled, and with a reset
 * (SO_LINGER 0) rather than a FIN: the kernel drops the socket at once, so
 * no late segment of this connection is ever accepted, and unsent replies
 * are discarded (the client has given this connection up).
 */
static void conn_cut_off(void *xprt)
{
	struct rmemd_conn *c = xprt;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (c->gone)
		return;
	if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
		conn_log(LOG_INFO, c, "SO_LINGER: %s", strerror(errno));
	conn_log(LOG_DEBUG, c, "cut off: %zu bytes received and not handled are dropped",
		 rmem_buf_len(&c->in));
	rmemd_conn_close(c->s, c);
}

/**
 * rmemd_conn_new() - take over an accepted, non-blocking socket
 * @s: server
 * @fd: socket
 *
 * Return: the connection, or NULL (then @fd was closed).
 */
struct rmemd_conn *rmemd_conn_new(struct rmemd_server *s, int fd)
{
	struct rmemd_conn *c;
	struct epoll_event ev;
	int one = 1;

	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return NULL;
	}
	c->kind = RMEMD_EV_CONN;
	c->fd = fd;
	c->s = s;
	c->rcvlowat = 1;
	peer_name(fd, c->name, sizeof(c->name));
	{
		socklen_t sl = sizeof(c->peer);

		if (getpeername(fd, (struct sockaddr *)&c->peer, &sl))
			c->peer.ss_family = AF_UNSPEC;
	}
	rmem_pconn_init(&c->pc, c->name);
	c->pc.xprt = c;
	c->pc.cut_off = conn_cut_off;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	conn_keepalive(fd, s->cfg.session_timeout);

	c->events = EPOLLIN;
	ev.events = c->events;
	ev.data.ptr = c;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		log_err("%s: epoll_ctl: %s", c->name, strerror(errno));
		close(fd);
		free(c);
		return NULL;
	}
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	c->hello_by_ms = rmemd_now_ms() + (uint64_t)s->cfg.hello_timeout * 1000;
	hq_add(s, c);
	conn_log(LOG_DEBUG, c, "connected (%u clients)", s->nconns);
	return c;
}

/**
 * rmemd_conn_close() - close a connection and detach it from its session
 * @s: server
 * @c: connection; freed by the next rmemd_conn_reap()
 *
 * The socket is closed and nothing more of @c is handled; an event of the
 * current epoll batch that still points at @c is ignored.
 */
void rmemd_conn_close(struct rmemd_server *s, struct rmemd_conn *c)
{
	if (c->gone)
		return;
	s->node.now_ms = rmemd_now_ms();
	hq_del(s, c);
	rmem_pconn_close(&s->node, &c->pc);
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	conn_log(LOG_DEBUG, c, "closed (%u clients)", s->nconns);
	s->out_queued -= rmem_buf_len(&c->out);
	rmem_buf_free(&c->in);
	rmem_buf_free(&c->out);
	c->gone = true;
	c->prev = NULL;
	c->next = s->zombies;
	s->zombies = c;
}

/**
 * rmemd_conn_reap() - free the connections closed during the last epoll batch
 * @s: server
 */
void rmemd_conn_reap(struct rmemd_server *s)
{
	while (s->zombies) {
		struct rmemd_conn *c = s->zombies;

		s->zombies = c->next;
		free(c);
	}
}

/* Returns -1 when the connection must be closed at once. */
static int conn_read(struct rmemd_conn *c)
{
	size_t budget = READ_BUDGET;

	while (budget && !c->eof && rmem_buf_len(&c->in) < RMEMD_IN_MAX) {
		size_t want = 64 * 1024;
		size_t have = rmem_buf_len(&c->in);
		uint8_t *p;
		ssize_t n;

		if (c->need > have && c->need - have > want)
			want = c->need - have;
		p = rmem_buf_reserve(&c->in, want);
		if (!p) {
			conn_log(LOG_ERR, c, "out of memory for the input buffer");
			return -1;
		}
		n = recv(c->fd, p, want, 0);
		if (n > 0) {
			rmem_buf_commit(&c->in, n);
			budget = (size_t)n >= budget ? 0 : budget - n;
			/*
			 * Short read: the socket was drained a moment ago. The
			 * next recv() would most likely only say EAGAIN, and
			 * epoll is level-triggered, so anything that arrived
			 * since wakes us again anyway.
			 */
			if ((size_t)n < want)
				break;
			continue;
		}
		if (n == 0) {
			c->eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		conn_log(LOG_INFO, c, "recv: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* @c's output queue went from @before bytes to what it holds now. */
static void conn_out_account(struct rmemd_server *s, const struct rmemd_conn *c, size_t before)
{
	s->out_queued += rmem_buf_len(&c->out);
	s->out_queued -= before;
	if (s->out_queued > s->out_queued_max)
		s->out_queued_max = s->out_queued;
}

/*
 * Every connection's unsent replies together reached out-budget, and @c
 * holds some of them: handle no more of @c's requests until its own are
 * sent. A connection with none queued may go on, one reply at a time, so
 * clients that do not read can slow the others down but never lock them
 * out; and the total stays within the budget plus one reply per connection.
 */
static bool conn_over_budget(const struct rmemd_server *s, const struct rmemd_conn *c)
{
	return s->cfg.out_budget && s->out_queued >= s->cfg.out_budget &&
	       rmem_buf_len(&c->out);
}

/* Handle buffered requests while the output queue has room. */
static int conn_process(struct rmemd_server *s, struct rmemd_conn *c)
{
	s->node.now_ms = rmemd_now_ms();
	while (!c->closing && rmem_buf_len(&c->out) < RMEMD_OUT_HIGH && !conn_over_budget(s, c)) {
		size_t before = rmem_buf_len(&c->out);
		ssize_t r = rmem_proto_step(&s->node, &c->pc, rmem_buf_start(&c->in),
					    rmem_buf_len(&c->in), &c->out, &c->need);

		conn_out_account(s, c, before);
		if (r > 0) {
			rmem_buf_consume(&c->in, r);
			c->need = 0;	/* unknown until the next header is parsed */
			continue;
		}
		if (r == 0)
			break;
		if (r == -ENOMEM) {
			conn_log(LOG_ERR, c, "closing: %s", c->pc.close_reason);
			return -1;
		}
		/* Cut off (conn_cut_off() normally closed it already): no flush. */
		if (r == -ECONNRESET)
			return -1;
		if (rmemd_ratelimit_ok(&close_rl, s->node.now_ms))
			conn_log(LOG_WARNING, c, "closing: %s", c->pc.close_reason);
		c->closing = true;
	}
	return 0;
}

/* Send queued replies until done or the socket is full. */
static int conn_send(struct rmemd_conn *c)
{
	while (rmem_buf_len(&c->out)) {
		ssize_t n = send(c->fd, rmem_buf_start(&c->out), rmem_buf_len(&c->out),
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			rmem_buf_consume(&c->out, n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		conn_log(LOG_INFO, c, "send: %s", n < 0 ? strerror(errno) : "no progress");
		return -1;
	}
	rmem_buf_trim(&c->out, RMEMD_BUF_KEEP);
	rmem_buf_trim(&c->in, RMEMD_BUF_KEEP);
	return 0;
}

static int conn_flush(struct rmemd_server *s, struct rmemd_conn *c)
{
	size_t before = rmem_buf_len(&c->out);
	int rc = conn_send(c);

	conn_out_account(s, c, before);
	return rc;
}

/*
 * Could @in hold a whole message? Exact after the engine asked for more
 * (@need), optimistic once a header's worth is buffered after a message was
 * consumed: a wrong guess costs one extra pass, never a stall.
 */
static bool conn_has_message(const struct rmemd_conn *c)
{
	size_t have = rmem_buf_len(&c->in);

	return have >= sizeof(struct rmem_msg_hdr) && have >= c->need;
}

/*
 * Let the kernel wake us only once the rest of a partly received message is
 * there (or RCVLOWAT_MAX more bytes of it), rather than on every segment: a
 * 4 KiB WRITE arrives as three segments on a 1500-byte MTU, and each wakeup
 * costs an epoll_wait(), a recv() and a context switch. Linux's tcp_poll()
 * and tcp_data_ready() honour SO_RCVLOWAT, and still report EPOLLIN early
 * when the receive window or memory runs short, so a mark that cannot be
 * met never stalls the connection. Back to 1 as soon as no message is cut
 * short, so a small request after it wakes us at once. Returns -1 only when
 * setsockopt() failed for a reason other than an old kernel.
 */
static int conn_set_rcvlowat(struct rmemd_conn *c)
{
	size_t have = rmem_buf_len(&c->in);
	int lowat = 1;

	if (have && c->need > have)
		lowat = (int)(c->need - have > RCVLOWAT_MAX ? RCVLOWAT_MAX : c->need - have);
	if (lowat == c->rcvlowat || c->no_rcvlowat)
		return 0;
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat))) {
		if (errno != ENOPROTOOPT && errno != EINVAL) {
			conn_log(LOG_ERR, c, "SO_RCVLOWAT: %s", strerror(errno));
			return -1;
		}
		/* Cannot raise it (old kernel): the mark is still 1. */
		c->no_rcvlowat = true;
		return 0;
	}
	c->rcvlowat = lowat;
	return 0;
}

/**
 * rmemd_conn_event() - the socket is readable, writable or hung up
 * @s: server
 * @c: connection; may be freed
 * @events: EPOLL* bits
 */
void rmemd_conn_event(struct rmemd_server *s, struct rmemd_conn *c, uint32_t events)
{
	struct epoll_event ev;
	uint32_t want;

	if (c->gone)
		return;
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->paused && !c->closing) {
		if (conn_read(c))
			goto close;
	}
	for (int round = 0; round < 8; round++) {
		if (conn_process(s, c) || conn_flush(s, c))
			goto close;
		if (c->paused && rmem_buf_len(&c->out) < RMEMD_OUT_LOW && !conn_over_budget(s, c))
			c->paused = false;
		if (!c->paused && rmem_buf_len(&c->out) >= RMEMD_OUT_HIGH) {
			c->paused = true;
		} else if (!c->paused && conn_over_budget(s, c) && conn_has_message(c)) {
			c->paused = true;
			s->out_budget_pauses++;
		}
		if (c->paused || c->closing || !conn_has_message(c))
			break;
	}

	/*
	 * Bad framing: the error reply got one flush attempt above; do not
	 * keep a slot for a peer that will not read it.
	 */
	if (c->closing)
		goto close;
	if (c->eof && !rmem_buf_len(&c->out) && !conn_has_message(c))
		goto close;
	if ((events & EPOLLERR) || ((events & EPOLLHUP) && !(events & EPOLLIN)))
		goto close;

	want = 0;
	if (!c->paused && !c->closing && !c->eof && rmem_buf_len(&c->in) < RMEMD_IN_MAX) {
		want |= EPOLLIN;
		if (conn_set_rcvlowat(c))
			goto close;
	}
	/* Also wake up to go on when the round limit left requests behind. */
	if (rmem_buf_len(&c->out) || (!c->paused && conn_has_message(c)))
		want |= EPOLLOUT;
	if (want != c->events) {
		ev.events = want;
		ev.data.ptr = c;
		if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev)) {
			conn_log(LOG_ERR, c, "epoll_ctl: %s", strerror(errno));
			goto close;
		}
		c->events = want;
	}
	return;

close:
	rmemd_conn_close(s, c);
}
