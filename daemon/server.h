/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmemd server: the event loop, its listeners and connections.
 */
#ifndef RMEMD_SERVER_H
#define RMEMD_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "pool.h"
#include "proto.h"

/* What an epoll event points at. */
enum rmemd_ev_kind {
	RMEMD_EV_LISTEN,
	RMEMD_EV_SIGNAL,
	RMEMD_EV_CTL,
	RMEMD_EV_CONN,
	RMEMD_EV_RDMA_CM,	/* rdma_cm event channel (rdma.c) */
	RMEMD_EV_RDMA_CQ,	/* completion channel of one RDMA connection */
	RMEMD_EV_CTLCONN,	/* a control connection (ctl.c) */
};

struct rmemd_ctlconn;

struct rmemd_rdma;

/* Output queue: stop reading a connection above HIGH, resume below LOW. */
#define RMEMD_OUT_HIGH		(4u << 20)
#define RMEMD_OUT_LOW		(1u << 20)
/* Input buffered but not yet handled: stop reading above this. */
#define RMEMD_IN_MAX		(2u << 20)
/* Keep up to this much buffer memory on an idle connection. */
#define RMEMD_BUF_KEEP		(256u << 10)

/**
 * struct rmemd_conn - one client connection
 * @kind: RMEMD_EV_CONN (first: epoll data points here)
 * @fd: socket
 * @name: peer address, for log lines
 * @pc: protocol state
 * @in: received bytes not yet handled
 * @out: replies not yet sent
 * @need: bytes the next message needs in @in
 * @events: epoll events registered
 * @rcvlowat: the socket's SO_RCVLOWAT (conn.c: bytes a partial message lacks)
 * @no_rcvlowat: the kernel refused to change SO_RCVLOWAT; leave it at 1
 * @paused: reading stopped because @out is above RMEMD_OUT_HIGH, or because
 *	it holds replies while all connections' together are past out-budget
 * @eof: the peer closed its sending side
 * @closing: bad framing: close after one last flush
 * @gone: closed; an event of the current epoll batch may still point here,
 *	so it is freed after the batch (rmemd_conn_reap())
 * @s: the server, for a cut-off (rmem_pconn.cut_off) coming from another
 *	connection's HELLO
 * @prev: list link (struct rmemd_server.conns, then .zombies)
 * @next: list link
 */
struct rmemd_conn {
	enum rmemd_ev_kind kind;
	int fd;
	char name[64];
	struct rmem_pconn pc;
	struct rmem_buf in;
	struct rmem_buf out;
	size_t need;
	uint32_t events;
	int rcvlowat;
	bool no_rcvlowat;
	bool paused;
	bool eof;
	bool closing;
	bool gone;
	struct rmemd_server *s;
	struct rmemd_conn *prev;
	struct rmemd_conn *next;
	struct sockaddr_storage peer;
	/* Until HELLO: on s->hello_q, oldest first, closed at hello_by_ms. */
	uint64_t hello_by_ms;
	struct rmemd_conn *hq_prev;
	struct rmemd_conn *hq_next;
	bool on_hq;
};

/**
 * struct rmemd_server - the whole daemon state
 * @cfg: running configuration
 * @src: how to rebuild it on SIGHUP
 * @pool: donated memory
 * @node: protocol state
 * @epfd: epoll
 * @sigfd: signalfd for SIGTERM, SIGINT, SIGHUP
 * @listen_fd: TCP listener
 * @ctl_fd: unix control socket
 * @ctlconns: control connections waiting for their command (ctl.c)
 * @nctlconns: entries in @ctlconns
 * @listen_name: bound address with the real port
 * @conns: connections
 * @nconns: connections open
 * @zombies: connections closed during this epoll batch, freed after it
 * @conns_total: connections accepted since start
 * @conns_refused: connections closed at once (max-clients, no memory)
 * @out_queued: bytes of unsent replies in every TCP connection's @out
 * @out_queued_max: the most @out_queued has been since start
 * @out_budget_pauses: times a connection stopped being read because of
 *	out-budget (cfg.out_budget)
 * @start_ms: monotonic start time
 * @listen_paused_until: accept() ran out of fds; retry then
 * @rdma: RDMA listener and connections (rdma.c), NULL when RDMA is off
 * @keys: the tenants' keys (key-file), read at start; @node points here.
 *	Changing them needs a restart: sessions are bound to key indexes.
 * @nkeys: entries in @keys; 0 with auth none
 * @stop: leave the loop
 */
struct rmemd_server {
	struct rmemd_config cfg;
	const struct rmemd_config_src *src;
	struct rmem_pool pool;
	struct rmem_node node;
	int epfd;
	int sigfd;
	int listen_fd;
	int ctl_fd;
	struct rmemd_ctlconn *ctlconns;
	uint32_t nctlconns;
	enum rmemd_ev_kind ev_listen, ev_signal, ev_ctl;
	char listen_name[RMEMD_HOST_MAX + 16];
	struct rmemd_conn *conns;
	uint32_t nconns;
	struct rmemd_conn *zombies;
	struct rmemd_conn *hq_head;
	struct rmemd_conn *hq_tail;
	uint64_t conns_total;
	uint64_t conns_refused;
	uint64_t hello_timeouts;
	uint64_t per_address_refused;
	uint64_t conns_evicted;
	uint64_t out_queued;
	uint64_t out_queued_max;
	uint64_t out_budget_pauses;
	uint64_t start_ms;
	uint64_t listen_paused_until;
	struct rmemd_rdma *rdma;
	struct rmem_auth_key keys[RMEM_AUTH_MAX_KEYS];
	uint32_t nkeys;
	bool stop;
};

/**
 * struct rmemd_rdma_stats - what rmemd --status shows of RDMA
 * @listen: "ADDR:PORT", or why there is no listener ("off", "unavailable")
 * @conns: RDMA connections open
 * @conns_total: connect requests accepted since start
 * @conns_refused: connect requests rejected (bad private data, max-clients,
 *	no resources)
 * @mrs: slab MRs registered
 * @pds: protection domains (one per session and device)
 */
struct rmemd_rdma_stats {
	const char *listen;
	uint32_t conns;
	uint64_t conns_total;
	uint64_t conns_refused;
	uint32_t mrs;
	uint32_t pds;
};

uint64_t rmemd_now_ms(void);

int rmemd_server_init(struct rmemd_server *s, const struct rmemd_config *cfg,
		      const struct rmemd_config_src *src, const struct rmem_auth_key *keys,
		      uint32_t nkeys);
int rmemd_server_run(struct rmemd_server *s);
void rmemd_server_fini(struct rmemd_server *s);

/* conn.c */
struct rmemd_conn *rmemd_conn_new(struct rmemd_server *s, int fd);
uint32_t rmemd_conn_count_host(const struct rmemd_server *s, const struct sockaddr_storage *ss);
bool rmemd_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
void rmemd_conn_event(struct rmemd_server *s, struct rmemd_conn *c, uint32_t events);
void rmemd_conn_close(struct rmemd_server *s, struct rmemd_conn *c);
void rmemd_conn_reap(struct rmemd_server *s);
void rmemd_conn_hello_expire(struct rmemd_server *s, uint64_t now);
int64_t rmemd_conn_hello_next(const struct rmemd_server *s);
bool rmemd_conn_evict_unhello(struct rmemd_server *s);

/* rdma.c */
int rmemd_rdma_init(struct rmemd_server *s);
void rmemd_rdma_stop(struct rmemd_server *s);
void rmemd_rdma_fini(struct rmemd_server *s);
void rmemd_rdma_cm_event(struct rmemd_server *s);
void rmemd_rdma_reap(struct rmemd_server *s);
void rmemd_rdma_cq_event(struct rmemd_server *s, enum rmemd_ev_kind *kind);
void rmemd_rdma_stats(const struct rmemd_server *s, struct rmemd_rdma_stats *st);
uint32_t rmemd_rdma_nconns(const struct rmemd_server *s);
uint32_t rmemd_rdma_count_host(const struct rmemd_server *s, const struct sockaddr_storage *ss);
void rmemd_rdma_hello_expire(struct rmemd_server *s, uint64_t now);
int64_t rmemd_rdma_hello_next(const struct rmemd_server *s);

/* ctl.c */
int rmemd_ctl_listen(struct rmemd_server *s);
void rmemd_ctl_accept(struct rmemd_server *s);
void rmemd_ctl_event(struct rmemd_server *s, struct rmemd_ctlconn *c, uint32_t events);
void rmemd_ctl_expire(struct rmemd_server *s, uint64_t now);
int64_t rmemd_ctl_next(const struct rmemd_server *s);
void rmemd_ctl_close(struct rmemd_server *s);
int rmemd_ctl_status(const char *path, bool json);
int rmemd_ctl_published(const char *path, bool json);
int rmemd_ctl_delete_published(const char *path, const char *name, bool force);

#endif
