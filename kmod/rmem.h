/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmem: internal interfaces of the module.
 *
 * Layers, calls going downwards only:
 *   front ends (rmem-blk.c,      see regions, never nodes or transports
 *               rmem-mmap.c)
 *   store      (rmem-region.c)   maps region offsets to (node, slab, offset)
 *   nodes      (rmem-node.c)     connections, liveness, reconnect, pending I/O
 *   transports (rmem-tcp.c,      move bytes; only they include socket or
 *               rmem-rdma.c)     verbs headers
 *   control    (rmem-genl.c)     acts on regions and nodes
 */
#ifndef _RMEM_H
#define _RMEM_H

#include <linux/bits.h>
#include <linux/bvec.h>
#include <linux/compiler.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/socket.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "../include/uapi/rmem.h"
#include "../include/rmem-proto.h"

#ifndef RMEM_VERSION
#define RMEM_VERSION "0.0.0"
#endif

#define RMEM_PAGE_SHIFT		12
#define RMEM_PAGE_SIZE		BIT(RMEM_PAGE_SHIFT)
#define RMEM_REGION_MAX_SIZE	BIT_ULL(40)	/* 1 TiB */

/* Range of a node's timeout: netlink attribute and module parameter. */
#define RMEM_NODE_TIMEOUT_MIN_MS	100
#define RMEM_NODE_TIMEOUT_MAX_MS	(3600 * 1000)

/* What a node's hello may say (rmem_node_hello): 1 MiB..4 GiB slabs, 1M of them. */
#define RMEM_NODE_SLAB_MIN		BIT_ULL(20)
#define RMEM_NODE_SLAB_MAX		BIT_ULL(32)
#define RMEM_NODE_MAX_SLABS		BIT(20)

/* A session's tag in log lines: 8 hex digits and a NUL (rmem_auth_session_tag). */
#define RMEM_SESSION_TAG_LEN		9

/* Module parameters (rmem-main.c), range-checked whenever they are set. */
extern unsigned int rmem_slab_mb;
extern unsigned int rmem_nr_queues;
extern unsigned int rmem_node_timeout_ms;
extern unsigned int rmem_connect_timeout_ms;
extern unsigned int rmem_heartbeat_ms;
extern unsigned int rmem_io_timeout_s;
extern unsigned int rmem_replicas;
extern unsigned int rmem_rebuild_mbps;
extern unsigned int rmem_fault_hold_us;
extern bool rmem_encrypt;
extern bool rmem_same_filled;
extern bool rmem_tcp_zerocopy;

/*
 * How long a request may wait for its reply before the front end hands it
 * to the store's timeout (rmem_region_rw_timeout()), and a control call's
 * wait (rmem_node_call()): io_timeout_s.
 */
static inline unsigned long rmem_io_timeout(void)
{
	return (unsigned long)max(READ_ONCE(rmem_io_timeout_s), 1U) * HZ;
}

/* Copies of each extent a region may ask for (RMEM_A_REGION_REPLICAS). */
#define RMEM_MAX_REPLICAS	3

/* Work queue for reconnects, error handling and heartbeat counting: WQ_MEM_RECLAIM. */
extern struct workqueue_struct *rmem_wq;
/* Bound, high-priority work queue for TCP receive work: WQ_MEM_RECLAIM. */
extern struct workqueue_struct *rmem_io_wq;
/* The same for the rest of an interrupted TCP send (tx_work), which may block. */
extern struct workqueue_struct *rmem_tx_wq;
/* The heartbeat's PING send (hb_send_work), which may wait behind data. */
extern struct workqueue_struct *rmem_hb_wq;

/* Global configuration lock: node table, region table. */
extern struct mutex rmem_cfg_lock;
extern struct rw_semaphore rmem_slab_sem;

struct crypto_shash;
struct rmem_node;
struct rmem_region;
struct rmem_req;
struct seq_file;
struct kvec;

typedef void (*rmem_req_done_t)(struct rmem_req *io, int err);

/* The published-region requests: a payload and a reply of their own (@reply.ctl). */
static inline bool rmem_msg_is_pub(u8 type)
{
	return type >= RMEM_MSG_PUB_CREATE && type <= RMEM_MSG_PUB_DELETE;
}

/**
 * struct rmem_req - one request to a memory node
 * @type: RMEM_MSG_*
 * @slab: slab number (READ, WRITE, SLAB_FREE)
 * @gen: node generation the slab belongs to; a mismatch means it is lost
 * @offset: byte offset in the slab
 * @len: data bytes
 * @bvec: data pages (READ destination, WRITE source)
 * @nr_bvec: entries in @bvec
 * @reply: small reply payload (SLAB_ALLOC, PING, HELLO); for the
 *	published-region requests (RMEM_MSG_PUB_*, rmem_msg_is_pub()) @reply.ctl
 *	instead: the payload to send and where the reply goes
 * @done: called once with 0 or -errno; -ESTALE means the slab is lost
 * @id: wire id, set by the transport
 * @start_ns: when it was last handed to the transport (latency, timeouts)
 * @qid: preferred queue (connection)
 * @node: node it was submitted to
 * @sub: its owner's index for it (rmem_rio: which copy)
 * @failfast: another copy can serve it: when the node is not live, fail
 *	with -ENOTCONN at once instead of waiting for a reconnect
 * @nozc: the caller counts its pages' references once it completes (an
 *	mmap chunk: an extra one means a pin): the transport must not keep
 *	any (no zero-copy send, whose socket may hold them a while longer)
 * @err: the transport's: the result its reply gave, kept until @done is
 *	called (TCP completes a batch of replies after it read them)
 * @entry: on a queue's in-flight list or the node's pending list, or a
 *	transport's list of replies to complete
 *
 * The caller owns the memory; it stays untouched until @done.
 */
struct rmem_req {
	u8 type;
	u32 slab;
	u32 gen;
	u64 offset;
	u32 len;
	struct bio_vec *bvec;
	unsigned int nr_bvec;
	union {
		struct rmem_slab_alloc_reply alloc;
		struct rmem_ping_reply ping;
		struct rmem_slab_list_reply list;
		struct {
			const void *payload;
			void *rbuf;
			u16 plen;
			u16 rlen;
		} ctl;
	} reply;
	rmem_req_done_t done;
	u64 id;
	u64 start_ns;
	unsigned int qid;
	struct rmem_node *node;
	u8 sub;
	bool failfast;
	bool nozc;
	int err;
	struct list_head entry;
};

/**
 * struct rmem_transport_ops - what a transport implements
 * @name: "tcp", "rdma"
 * @type: RMEM_TRANSPORT_*
 * @connect: open every queue of @node and say hello on each; fill
 *	node->hello. Returns 0 or -errno; on error nothing is left open.
 * @disconnect: close every queue; in-flight requests are handed back with
 *	rmem_node_requeue(). Idempotent.
 * @submit: send @io on queue @qid. Returns 0 (@io will complete) or
 *	-ENOTCONN when the queue is not live (caller keeps @io).
 * @abort: @io timed out (rmem_node_timeout()). If it is in flight on a
 *	live queue, stop that queue from handling anything more (no late
 *	reply completes a request on it, no new request is sent on it) and
 *	return true: the caller then starts error recovery with
 *	rmem_node_error(), and @disconnect hands @io back for resending.
 *	Return false when @io is not (or no longer) in flight there.
 *	Called with node->submitting held, from blk-mq's timeout handler
 *	among others: must not sleep, allocate, or complete @io.
 * @failed: whether a queue of the connection @connect made has failed since
 *	(rmem_node_error() does nothing until the node is LIVE: a failure
 *	between a queue going live and the node going LIVE is caught by
 *	asking this once it is). Must not sleep.
 * @release: free node->priv (after @disconnect) and set it to NULL.
 * @debug_show: optional; one line per live queue for
 *	/sys/kernel/debug/rmem/queues. Sleeps.
 */
struct rmem_transport_ops {
	const char *name;
	enum rmem_transport type;
	int (*connect)(struct rmem_node *node);
	void (*disconnect)(struct rmem_node *node);
	int (*submit)(struct rmem_node *node, unsigned int qid, struct rmem_req *io);
	bool (*abort)(struct rmem_node *node, struct rmem_req *io);
	bool (*failed)(struct rmem_node *node);
	void (*release)(struct rmem_node *node);
	void (*debug_show)(struct rmem_node *node, struct seq_file *m);
};

extern const struct rmem_transport_ops rmem_tcp_ops;
extern const struct rmem_transport_ops rmem_rdma_ops;

/* rmem-rdma.c */
int rmem_rdma_init(void);
void rmem_rdma_exit(void);

/**
 * struct rmem_node - a memory node (one rmemd)
 * @list: entry in rmem_nodes
 * @id: number shown to users
 * @addr: address and port of its rmemd
 * @name: "ADDR:PORT", for logs
 * @want: transport asked for
 * @ops: transport in use
 * @priv: transport state
 * @old_ops: transport auto fell back from (RDMA), or NULL
 * @old_priv: its state, kept until the node is freed
 * @submitting: submitters that saw the node live and are in the transport
 * @rdma_failures: failed RDMA reconnects in a row (transport auto)
 * @nr_queues: connections
 * @timeout_ms: unreachable this long, its I/O fails
 * @session: our session id on the node
 * @instance: the node's instance at the last hello
 * @slab_size: bytes per slab
 * @slabs_total: slabs in its pool
 * @slabs_free: free slabs, as last reported: a hint (a heartbeat's count
 *	can cross a SLAB_ALLOC reply, which then counts its slab twice)
 * @full: the node's last SLAB_ALLOC answer was "no room", or its HELLO
 *	(which crosses no other request) said 0 free, and nothing said
 *	otherwise since: @slabs_free's 0 is the node's word, not the hint's
 *	drift (rmem_node_pick()). A heartbeat's 0 does not set it.
 * @max_io: largest request it accepts
 * @sess_lost: a HELLO since the last completed connect said our session is
 *	gone (@gen moved on then, before any queue went live); the connect
 *	that completes handles the rest. Connect context only.
 * @lost_slabs: slabs that loss took (the log line of that connect); @lock
 * @publish: the node granted RMEM_PROTO_FEAT_PUBLISH at the last hello
 * @lock: guards @state, @gen, @down_since, @backoff_ms, @pending
 * @state: enum rmem_node_state
 * @gen: generation, bumped when the node lost our slabs
 * @down_since: jiffies when it went down
 * @backoff_ms: next reconnect delay
 * @pending: requests waiting for a connection
 * @stopping: being deleted: no new work is scheduled
 * @reconnect_work: reconnects with backoff
 * @error_work: tears connections down after an error
 * @dead_work: declares the node DEAD timeout_ms after it went down
 * @heartbeat_work: counts unanswered PINGs, has hb_send_work send the next
 * @hb_send_work: sends one PING (may wait behind data)
 * @hb_outstanding: beats since the PING in flight was sent (0: none)
 * @rx_replies: replies from rmemd itself (rmem_node_heard()): liveness
 *	besides the PING
 * @hb_rx_seen: @rx_replies at the last beat (heartbeat_work only)
 * @hb_io: the heartbeat request
 * @inflight: region reads and writes in flight (read replica choice)
 * @announced: node add succeeded: state changes go to the event listeners
 *	(a node that failed to be added was never theirs)
 * @draining: rmemctl node drain, or rmemd said it drains: no new slab
 *	here, the regions move theirs; set under @lock
 * @drain_remote: @draining came from rmemd (PING reply): the loss of the
 *	session ends it (a new rmemd); under @lock
 * @slabs_used: slabs of generation @gen held by regions, plus reservations
 * @reconcile: the node may hold slabs for us that no region knows of (a
 *	SLAB_ALLOC whose reply was lost, a SLAB_FREE that failed); under @lock
 * @reconcile_work: lists the node's slabs and frees those (rmem_slab_sem)
 *	in progress; zeroed when @gen moves on; then sends @pub_closes
 * @pub_closes: PUB_CLOSEs that could not be sent (the node was not live):
 *	struct rmem_pub_close, sent by @reconcile_work once the node is live
 *	in the same generation (a new session is attached to nothing); under
 *	@lock
 * @ref: the node list, mapped extents and requests in flight (rmem_node_get)
 * @free_work: frees the node after the last reference
 * @rcu: the node's memory goes after a grace period (rmem_node_tryget)
 * @errors: failed requests
 * @reconnects: successful reconnects
 * @read_bytes: bytes read from the node
 * @write_bytes: bytes written to the node
 * @srtt_ns: smoothed heartbeat round trip
 * @seq: request ids
 * @auth: HMAC-SHA256 keyed with the node's own copy of its cluster key, or
 *	NULL with authentication off ("auth none")
 * @key_id: id of that key; 0 with auth none
 * @conn_gen: connection generation, changed by every connect attempt and
 *	sent in each HELLO (under the mac); reconnect work or node add only
 * @tag: the session's tag for log lines (rmem_auth_session_tag())
 * @kobj: its directory in /sys/kernel/rmem/nodes/ (rmem-sysfs.c)
 */
struct rmem_node {
	struct list_head list;
	u32 id;
	struct sockaddr_storage addr;
	char name[64];
	enum rmem_transport want;
	const struct rmem_transport_ops *ops;
	void *priv;
	const struct rmem_transport_ops *old_ops;
	void *old_priv;
	atomic_t submitting;
	unsigned int rdma_failures;
	unsigned int nr_queues;
	unsigned int timeout_ms;

	u64 session;
	u64 instance;
	u64 slab_size;
	u32 slabs_total;
	u32 slabs_free;
	u32 max_io;
	bool full;
	bool sess_lost;
	int lost_slabs;
	bool publish;

	spinlock_t lock;		/* see above */
	enum rmem_node_state state;
	u32 gen;
	unsigned long down_since;
	unsigned int backoff_ms;
	struct list_head pending;
	bool stopping;

	struct delayed_work reconnect_work;
	struct work_struct error_work;
	struct delayed_work dead_work;
	struct delayed_work heartbeat_work;
	struct work_struct hb_send_work;
	atomic_t hb_outstanding;
	atomic_t rx_replies;
	u32 hb_rx_seen;
	struct rmem_req hb_io;

	atomic_t inflight;
	bool announced;
	bool draining;
	bool drain_remote;
	atomic_t slabs_used;
	bool reconcile;
	struct delayed_work reconcile_work;
	struct list_head pub_closes;
	struct kref ref;
	struct work_struct free_work;
	struct rcu_head rcu;
	atomic64_t errors;
	atomic64_t reconnects;
	atomic64_t read_bytes;
	atomic64_t write_bytes;
	atomic64_t srtt_ns;
	atomic64_t seq;

	struct crypto_shash *auth;
	u64 key_id;
	u32 conn_gen;
	char tag[RMEM_SESSION_TAG_LEN];
	struct kobject *kobj;
};

#ifndef NL_SET_ERR_MSG_FMT
/*
 * Before 6.3 an extack holds only a pointer to its message. Every caller
 * holds rmem_cfg_lock, so one buffer per call site does.
 */
#define NL_SET_ERR_MSG_FMT(extack, fmt, ...) do {			\
	static char __rmem_msg[128];					\
	struct netlink_ext_ack *__rmem_ea = (extack);			\
	snprintf(__rmem_msg, sizeof(__rmem_msg), fmt, ##__VA_ARGS__);	\
	if (__rmem_ea)							\
		__rmem_ea->_msg = __rmem_msg;				\
} while (0)
#endif

/* Per-node log lines name the node. */
#define rnode_log(pr, node, fmt, ...) ({				\
	const struct rmem_node *__rn = (node);				\
	pr("node %u (%s): " fmt, __rn->id, __rn->name, ##__VA_ARGS__);	\
})
#define rnode_info(n, fmt, ...)		rnode_log(pr_info, n, fmt, ##__VA_ARGS__)
#define rnode_warn(n, fmt, ...)		rnode_log(pr_warn, n, fmt, ##__VA_ARGS__)
#define rnode_err(n, fmt, ...)		rnode_log(pr_err, n, fmt, ##__VA_ARGS__)
#define rnode_err_rl(n, fmt, ...)	rnode_log(pr_err_ratelimited, n, fmt, ##__VA_ARGS__)
#define rnode_warn_rl(n, fmt, ...)	rnode_log(pr_warn_ratelimited, n, fmt, ##__VA_ARGS__)

/* rmem-node.c */

/**
 * struct rmem_node_auth_opts - how a new node authenticates (node add)
 * @none: authentication off
 * @has_key_id: @key_id names the key; else the only key in the store
 * @key_id: the key's id
 */
struct rmem_node_auth_opts {
	bool none;
	bool has_key_id;
	u64 key_id;
};

/*
 * Why a connect failed, beyond the usual socket and rdma_cm errors (the
 * transports return these; rmem_node_add() turns them into extack messages):
 *   -ENOKEY        the node did not prove the key (its AUTH reply's mac)
 *   -EKEYREJECTED  the node refused our key (AUTH answered RMEM_ERR_PERM)
 *   -EACCES        the node requires authentication and we have it off
 *   -EPERM         the node refused our authenticated HELLO
 *   -ENOPROTOOPT   the node speaks another protocol version
 *   -EPROTO        anything else malformed or unexpected
 */
int rmem_node_init(void);
void rmem_node_exit(void);
struct rmem_node *rmem_node_add(const struct sockaddr_storage *addr,
				enum rmem_transport want, unsigned int timeout_ms,
				const struct rmem_node_auth_opts *auth,
				struct netlink_ext_ack *extack);
int rmem_node_refused(struct rmem_node *node, u8 type, u32 status);
int rmem_node_version(struct rmem_node *node, const struct rmem_msg_hdr *h);
unsigned int rmem_node_key_users(u64 key_id);
int rmem_node_del(u32 id, struct netlink_ext_ack *extack);
struct rmem_node *rmem_node_find(u32 id);
unsigned int rmem_node_count(void);
void rmem_node_del_all(void);
void rmem_node_submit(struct rmem_node *node, struct rmem_req *io);
bool rmem_node_io_stale(struct rmem_node *node, const struct rmem_req *io);
int rmem_node_call(struct rmem_node *node, struct rmem_req *io);
void rmem_node_complete(struct rmem_node *node, struct rmem_req *io, int err);
void rmem_node_requeue(struct rmem_node *node, struct rmem_req *io);
void rmem_node_error(struct rmem_node *node);
bool rmem_node_timeout(struct rmem_node *node, struct rmem_req *io, u64 timeout_ns);
int rmem_node_slab_alloc(struct rmem_node *node, u32 gen, const struct rmem_pub_extent *pub,
			 u32 *slab);
bool rmem_node_slab_reserve(struct rmem_node *node, u32 gen);
int rmem_node_pub_call(struct rmem_node *node, u8 type, const void *payload, u16 plen,
		       void *rbuf, u16 rlen);
void rmem_node_slab_free(struct rmem_node *node, u32 slab, u32 gen);
void rmem_node_slab_unreserve(struct rmem_node *node, u32 gen);
void rmem_node_reconcile_later(struct rmem_node *node);
void rmem_node_pub_close(struct rmem_node *node, u32 gen, __le32 handle);
bool rmem_node_reconcile_now(struct rmem_region *unlisted, unsigned int seen);
void rmem_node_heard(struct rmem_node *node);
struct rmem_node *rmem_node_pick(struct rmem_node *const *skip, unsigned int nr_skip,
				 bool publish, u32 *gen);
unsigned int rmem_node_room(void);
int rmem_node_drain(u32 id, struct netlink_ext_ack *extack);
void rmem_node_get(struct rmem_node *node);
bool rmem_node_tryget(struct rmem_node *node);
unsigned int rmem_node_changes(void);
void rmem_node_wait_change(unsigned int seen, unsigned long timeout);
void rmem_node_put(struct rmem_node *node);
enum rmem_node_state rmem_node_state_get(struct rmem_node *node);
void rmem_node_debug_show(struct seq_file *m);
int rmem_node_hello(struct rmem_node *node, unsigned int qid,
		    const struct rmem_hello_reply *rep, u64 feature);
extern struct list_head rmem_nodes;

int rmem_proto_status_errno(u32 status);

/* rmem-auth.c */

/**
 * struct rmem_auth_hs - one connection's authentication exchange
 * @nc: our nonce (Nc)
 * @ns: the node's nonce (Ns), once its AUTH reply checked out
 */
struct rmem_auth_hs {
	u8 nc[RMEM_AUTH_NONCE_LEN];
	u8 ns[RMEM_AUTH_NONCE_LEN];
};

int rmem_auth_derive(const u8 *key, const struct kvec *v, unsigned int n,
		     u8 out[RMEM_AUTH_MAC_LEN]);
int rmem_auth_key_add(const u8 *key, u64 *id, struct netlink_ext_ack *extack);
int rmem_auth_key_del(u64 id, struct netlink_ext_ack *extack);
bool rmem_auth_key_nth(unsigned int n, u64 *id);
bool rmem_auth_key_installed(const u8 *key);
struct crypto_shash *rmem_auth_node_key(bool has_id, u64 *id, struct netlink_ext_ack *extack);
void rmem_auth_exit(void);
void rmem_auth_session_tag(u64 session, char tag[RMEM_SESSION_TAG_LEN]);
void rmem_auth_start(struct rmem_node *node, struct rmem_auth_hs *hs, struct rmem_auth *msg);
int rmem_auth_finish(struct rmem_node *node, struct rmem_auth_hs *hs,
		     const struct rmem_auth_reply *rep);
int rmem_auth_hello(struct rmem_node *node, const struct rmem_auth_hs *hs, unsigned int qid,
		    u64 feature, struct rmem_hello *hello);
int rmem_auth_cm_req(struct rmem_node *node, struct rmem_rdma_cm_req *req);

/* rmem-region.c */

/**
 * struct rmem_replica - one copy of an extent
 * @node: node holding it (a reference and a slabs_used count)
 * @slab: slab number on @node
 * @gen: @node's generation when the slab was allocated
 */
struct rmem_replica {
	struct rmem_node *node;
	u32 slab;
	u32 gen;
};

/* Whether @n is one of set[0..nr). */
static inline bool rmem_node_in(const struct rmem_node *n, struct rmem_node *const *set,
				unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (set[i] == n)
			return true;
	return false;
}

/**
 * struct rmem_extent - one slab-sized piece of a region
 * @rep: its copies, each on another node: rep[0..nr) hold every
 *	acknowledged write; rep[nr] is being filled while @syncing
 * @nr: complete copies; 0 while unmapped
 * @syncing: the rebuild fills rep[@nr]: writes reach it, reads do not
 * @barrier: the rebuild needs the extent quiet: new writes wait until it
 *	is clear (writes sent again do not: it waits for them)
 * @copy_start: first page of the piece the rebuild is copying
 * @copy_end: page after it ([0, 0) when none)
 * @copy_conflicts: writes that overlapped that piece while it was copied
 * @writes: writes in flight, under the region's lock
 * @wseq: writes started, under the region's lock: a read that saw a write
 *	start or in flight does not check checksums
 * @resends: writes to be sent again (rmem_region_write_work()), under the
 *	region's lock: in flight still, as far as checksums go
 * @inflight: the writes in flight (rmem_rio.wlink), under the region's
 *	lock: a piece the rebuild copied while one of them overlapped it is
 *	copied again (rmem_extent_writes_on())
 */
struct rmem_extent {
	struct rmem_replica rep[RMEM_MAX_REPLICAS + 1];
	u8 nr;
	bool syncing;
	bool barrier;
	unsigned long copy_start;
	unsigned long copy_end;
	u32 copy_conflicts;
	unsigned int writes;	/* writes in flight: keep the slab */
	u32 wseq;
	unsigned int resends;
	struct list_head inflight;
};

/* A published region's key derivation: salt and check value (bytes). */
#define RMEM_PUB_SALT_LEN	32
#define RMEM_PUB_CHECK_LEN	32

/**
 * struct rmem_region - a named range of remote memory
 * @list: entry in rmem_regions
 * @id: number, also the device's minor
 * @name: unique name
 * @device: device name, "rmemblkN" or "rmemN"
 * @type: enum rmem_region_type
 * @size: bytes
 * @ext_size: bytes the extents cover: @size, and for a published or
 *	attached region the readers' checksum trailer after it (the table of
 *	its pages' crc32c, written by the seal; rmem_pub_trailer)
 * @slab_size: bytes per extent (and slab)
 * @nr_extents: extents in @ext
 * @ext: extents
 * @written: per page: holds data on its extent's slab
 * @lost: per page: held data on a slab its node lost; reads fail
 * @csum: per page: crc32c of the data last written (0.1 % of the region);
 *	an attached region's come from its trailer, NULL when its publisher
 *	wrote none (an older rmem)
 * @fill: per page, for pages last written as one repeated non-zero word
 *	(same-filled, not sent): the word (rmem_fill_get()); such a page is
 *	not @written
 * @lock: guards @ext and multi-page walks of the bitmaps
 * @alloc_lock: serialises slab allocation and freeing (sleeps)
 * @wait: woken when an extent's last write in flight completes
 * @front: front end state (struct rmem_blk or struct rmem_mmap)
 * @slabs: slabs held
 * @reads: read requests
 * @writes: write requests
 * @read_bytes: bytes read
 * @write_bytes: bytes written
 * @discards: discard and write-zeroes requests
 * @errors: requests that failed
 * @csum_errors: pages read back with the wrong checksum
 * @same_filled: pages written as one repeated word, kept in @written (zero)
 *	or @fill instead of being sent
 * @replicas: copies each extent should have (1..RMEM_MAX_REPLICAS)
 * @prealloc: every slab was claimed at creation; discards keep them
 * @crypt: its pages' transform (and key) when encrypted, else NULL
 * @dying: being deleted: the rebuild stops
 * @rebuild_work: brings degraded extents back to @replicas copies, moves
 *	copies off draining nodes (rmem_rebuild_wq)
 * @reap_work: gives back the slabs of extents left with no written page
 *	(discarded, or same-filled), which the I/O path must not wait for
 *	(rmem_rebuild_wq)
 * @rebuild_seen: rmem_node_changes() at the last full pass
 * @rebuild_kick: something changed since: run a full pass
 * @noroom: extents the last pass could not give a copy: no node had room
 * @noroom_at: when that pass ran (jiffies): such a pass is tried again
 *	after a node change, or every RMEM_NOROOM_RETRY
 * @rebuilds: copies made by the rebuild
 * @rebuild_bytes: bytes it copied
 * @dropped: copies dropped (a failed write, a lost slab, a bad checksum,
 *	a dead node)
 * @ev_degraded: degraded extents last told to rmemctl monitor (rebuild work)
 * @publish: published: its slabs are kept by the nodes under @name
 *	(PUB_ALLOC), past the region's deletion; encrypted (@crypt) with a
 *	key derived from the region's key and @pub_salt
 * @pub_salt: a published, encrypted region's salt, drawn when it was
 *	published; the seal stores it in the trailer, with @pub_check
 * @pub_check: the check value of its key (rmem_crypt_pub_new())
 * @sealed: published and sealed: read-only, here and everywhere
 * @attached: a read-only view of a region another compute node published;
 *	its extents' copies are that region's slabs (not ours to free)
 * @trailer_done: the seal wrote the readers' checksum trailer (a seal
 *	tried again does not write it twice: a node that sealed refuses it)
 * @pubs: the nodes where @name is published (@publish) or opened
 *	(@attached), under @alloc_lock
 * @nr_pubs: entries in @pubs
 * @stale_reads: reads that met a copy of a region that reopens on a node
 *	back in a new session, waiting for the rebuild work to open it there
 *	again (struct rmem_rio.park, under @lock)
 * @stale_writes: a write's requests to such a copy of our unsealed
 *	published region, waiting the same way (struct rmem_req.entry, under
 *	@lock)
 *
 * A page with neither @written nor @lost set reads as zeros, or as its
 * word in @fill.
 */
struct rmem_region {
	struct list_head list;
	u32 id;
	char name[RMEM_REGION_NAME_MAX];
	char device[32];
	enum rmem_region_type type;
	u64 size;
	u64 ext_size;
	u64 slab_size;
	unsigned int nr_extents;
	struct rmem_extent *ext;
	unsigned long *written;
	unsigned long *lost;
	u32 *csum;
	struct xarray fill;
	spinlock_t lock;		/* extents, bitmap walks */
	struct mutex alloc_lock;	/* slab allocation and freeing */
	wait_queue_head_t wait;
	void *front;

	atomic_t slabs;
	atomic64_t reads;
	atomic64_t writes;
	atomic64_t read_bytes;
	atomic64_t write_bytes;
	atomic64_t discards;
	atomic64_t errors;
	atomic64_t csum_errors;
	atomic64_t same_filled;

	unsigned int replicas;
	bool prealloc;
	struct rmem_crypt *crypt;
	bool dying;
	struct delayed_work rebuild_work;
	struct work_struct reap_work;
	unsigned int rebuild_seen;
	bool rebuild_kick;
	unsigned int noroom;
	unsigned long noroom_at;
	atomic64_t rebuilds;
	atomic64_t rebuild_bytes;
	atomic64_t dropped;
	u32 ev_degraded;
	bool publish;
	u8 pub_salt[RMEM_PUB_SALT_LEN];
	u8 pub_check[RMEM_PUB_CHECK_LEN];
	bool sealed;
	bool attached;
	bool trailer_done;
	struct rmem_pub_ref *pubs;
	unsigned int nr_pubs;
	struct list_head stale_reads;
	struct list_head stale_writes;
};

/**
 * struct rmem_pub_ref - the published region of a region's name on one node
 * @node: the node (a reference)
 * @gen: its generation when the handle was given: the handle dies with it
 * @handle: the region's handle there (rmem_pub_info.handle)
 * @opened: our session is attached to it (PUB_OPEN): PUB_CLOSE it at the end
 * @sealed: our seal reached it (PUB_SEAL)
 * @mapped: its map was read after the seal (PUB_MAP: over RDMA, our
 *	read-only keys in place of the revoked write keys)
 * @gone: opening it again in a new session found it gone (rmemd
 *	restarted, or it was purged): not tried again (rmem_pub_reopen())
 */
struct rmem_pub_ref {
	struct rmem_node *node;
	u32 gen;
	u32 handle;
	bool opened;
	bool sealed;
	bool mapped;
	bool gone;
};

/**
 * struct rmem_rio - a front end's request to the store
 * @io: the request to the node (bvec, len, done set by the store); a
 *	write to several copies sends one request per copy, @sub[0] being @io
 * @sub: the requests of a write to several copies
 * @region: target region
 * @pos: byte offset in the region; [pos, pos + len) stays inside one slab
 * @wseq: a read: its extent's write count when it was sent, or ~0 when a
 *	write was in flight (set by the store)
 * @nr_sub: requests sent (a write: one per copy)
 * @pending: of those, not yet completed
 * @acked: per request (a write's, by copy), the id of the node whose copy
 *	acknowledged it, 0 if none did; it counts while that copy stays in
 *	the extent (rmem_write_acked())
 * @err: first error
 * @tried: nodes a read was sent to, so that a retry goes elsewhere
 * @nr_tried: entries in @tried
 * @finished: @end was called
 * @work: a read retried on another copy (rmem_wq); a write sent again, or
 *	one that must wait before it is sent (rmem_write_wq)
 * @end: called once with 0 or -errno
 * @plain: an encrypted write: the front end's io.bvec, while io.bvec holds
 *	the ciphertext (rmem-crypt.c)
 * @nr_plain: entries in @plain
 * @park: a read waiting in @region's stale_reads for its copy to be opened
 *	again (rmem_read_park())
 * @wlink: a write in flight: entry in its extent's inflight list
 * @parked: it (a read) or one of its requests (a write: @region's
 *	stale_writes) waited there, or it (a write) was sent again
 * @parked_at: when it first did (jiffies): it waits at most its extent's
 *	nodes' timeout from then (rmem_park_expired())
 * @nowait: a write must not wait for bounce pages: rmem_region_rw() says
 *	-EAGAIN instead (the block front end: the submitter may be a task in
 *	reclaim whose progress those pages wait for)
 * @reruns: times a write was sent again: a copy it went to had its session
 *	end or its connection drop under it, and no copy still in the extent
 *	acknowledged it
 * @rerun: one of this send's requests met that
 * @stale: one met a session's end (-ESTALE): a block or mmap region's lost
 *	slab is not written again (its pages are lost), a published one's is
 * @resend: @work sends it again (rmem_region_write_work() says so)
 * @in_work: sent from @work from now on (@work initialised), where it may
 *	sleep
 * @hard: one failed otherwise: the write is not sent again
 * @trailer: the seal's write of the readers' checksum trailer: past
 *	@region's size, after its front end sealed it
 *
 * The front end zeroes it and sets io.type, io.len, io.bvec, io.nr_bvec,
 * io.qid, io.entry, @region, @pos and @end.
 */
struct rmem_rio {
	union {
		struct rmem_req io;
		struct rmem_req sub[RMEM_MAX_REPLICAS + 1];
	};
	struct rmem_region *region;
	u64 pos;
	u32 wseq;
	u8 nr_sub;
	atomic_t pending;
	u32 acked[RMEM_MAX_REPLICAS + 1];
	int err;
	struct rmem_node *tried[RMEM_MAX_REPLICAS + 1];
	u8 nr_tried;
	bool finished;
	struct work_struct work;
	void (*end)(struct rmem_rio *rio, int err);
	struct bio_vec *plain;
	unsigned int nr_plain;
	struct list_head park;
	struct list_head wlink;
	unsigned long parked_at;
	bool parked;
	bool nowait;
	u8 reruns;
	bool rerun;
	bool stale;
	bool resend;
	bool in_work;
	bool hard;
	bool trailer;
};

int rmem_region_init(void);
void rmem_region_exit(void);

/*
 * The largest request a front end makes to the store: 512 KiB (the block
 * device's max_hw_sectors, an mmap region's RMEM_MMAP_IO_PAGES).
 */
#define RMEM_RIO_MAX_PAGES	128
#define RMEM_RIO_MAX_BYTES	(RMEM_RIO_MAX_PAGES * RMEM_PAGE_SIZE)

struct rmem_crypt;
int rmem_crypt_init(void);
void rmem_crypt_exit(void);
struct rmem_crypt *rmem_crypt_new(struct netlink_ext_ack *extack);
struct rmem_crypt *rmem_crypt_pub_new(const u8 *key, const u8 *salt, const char *name,
				      u8 *check, struct netlink_ext_ack *extack);
void rmem_crypt_free(struct rmem_crypt *c);
const char *rmem_crypt_driver(const struct rmem_crypt *c);
int rmem_crypt_write(struct rmem_crypt *tfm, struct rmem_rio *rio, u64 index, bool nowait);
void rmem_crypt_done(struct rmem_rio *rio);
int rmem_crypt_read(struct rmem_crypt *tfm, struct rmem_req *io, u64 index,
		    const unsigned long *written, bool zero_hole);

int rmem_region_rw(struct rmem_rio *rio);
bool rmem_region_rw_timeout(struct rmem_rio *rio, u64 timeout_ns);
int rmem_region_discard(struct rmem_region *r, u64 pos, u64 len);
void rmem_region_node_slabs(struct rmem_node *node, u32 gen, struct rmem_region *unlisted,
			    unsigned long *map, u32 nbits);
/* struct rmem_region_opts.encrypt */
enum { RMEM_CRYPT_DEFAULT, RMEM_CRYPT_OFF, RMEM_CRYPT_ON };

/**
 * struct rmem_region_opts - how to build a region (rmem_region_add())
 * @chunk: mmap region: bytes per chunk, 0 for the default; 0 for block
 * @cache: mmap region: cache budget in bytes, 0 for the default; 0 for block
 * @replicas: copies of each extent, 1..RMEM_MAX_REPLICAS; 0 for the
 *	module parameter
 * @prealloc: claim every slab now (thick), or refuse
 * @encrypt: RMEM_CRYPT_ON or RMEM_CRYPT_OFF; 0 (RMEM_CRYPT_DEFAULT) for the
 *	module parameter
 * @publish: publish it (RMEM_A_REGION_PUBLISH)
 * @key: @publish: the region's key (RMEM_A_KEY, RMEM_KEY_LEN bytes) to
 *	encrypt it with, or NULL
 */
struct rmem_region_opts {
	u64 chunk;
	u64 cache;
	unsigned int replicas;
	bool prealloc;
	u8 encrypt;
	bool publish;
	const u8 *key;
};

int rmem_region_add(const char *name, u64 size, enum rmem_region_type type,
		    const struct rmem_region_opts *opts, struct rmem_region **out,
		    struct netlink_ext_ack *extack);

/**
 * struct rmem_region_usage - where a region's copies are
 * @allocated: bytes of the region that have at least one copy
 * @degraded: extents with fewer copies than the region's replicas
 * @nr_nodes: entries in @node_id and @node_slabs
 * @node_id: nodes holding its slabs
 * @node_slabs: slabs on each
 */
struct rmem_region_usage {
	u64 allocated;
	u32 degraded;
	unsigned int nr_nodes;
	u32 node_id[16];
	u32 node_slabs[16];
};

void rmem_region_usage(struct rmem_region *r, struct rmem_region_usage *u);
void rmem_region_kick_all(void);
void rmem_region_debug_show(struct seq_file *m);
void rmem_region_mark_lost(struct rmem_region *r, u64 pos, u64 len);
unsigned int rmem_region_openers(struct rmem_region *r);
int rmem_region_del(const char *name, bool purge, struct netlink_ext_ack *extack);
int rmem_region_seal(const char *name, struct netlink_ext_ack *extack);
int rmem_region_attach(const char *name, enum rmem_region_type type, const u32 *node_ids,
		       unsigned int nr_ids, u64 chunk, u64 cache, const u8 *key,
		       struct rmem_region **out, struct netlink_ext_ack *extack);
bool rmem_region_readonly(const struct rmem_region *r);
const char *rmem_region_pub_on_node(const struct rmem_node *node);
struct rmem_region *rmem_region_find(const char *name);
unsigned int rmem_region_count(void);
void rmem_region_del_all(void);
extern struct list_head rmem_regions;

/* rmem-blk.c */
int rmem_blk_init(void);
void rmem_blk_exit(void);
int rmem_blk_create(struct rmem_region *r, struct netlink_ext_ack *extack);
int rmem_blk_destroy(struct rmem_region *r, bool force, struct netlink_ext_ack *extack);
int rmem_blk_seal(struct rmem_region *r);
unsigned int rmem_blk_openers(struct rmem_region *r);

/* rmem-mmap.c */
int rmem_mmap_init(void);
void rmem_mmap_exit(void);
int rmem_mmap_check(u64 slab_size, u64 size, u64 chunk, u64 cache,
		    struct netlink_ext_ack *extack);
int rmem_mmap_create(struct rmem_region *r, u64 chunk, u64 cache,
		     struct netlink_ext_ack *extack);
int rmem_mmap_destroy(struct rmem_region *r, bool force, struct netlink_ext_ack *extack);
unsigned int rmem_mmap_openers(struct rmem_region *r);
int rmem_mmap_seal(struct rmem_region *r);
void rmem_mmap_stats_get(struct rmem_region *r, struct rmem_mmap_stats *st);

/* rmem-genl.c: events for rmemctl monitor */
void rmem_event_node_state(struct rmem_node *node, enum rmem_node_state old,
			   enum rmem_node_state state);
void rmem_event_region(struct rmem_region *r, enum rmem_event type, struct rmem_node *node,
		       u64 pos, u32 len, int val);

/* rmem-sysfs.c */
extern const struct attribute_group *rmem_region_groups[];
const char *rmem_transport_name(enum rmem_transport t);
const char *rmem_node_state_name(enum rmem_node_state s);
int rmem_sysfs_node_add(struct rmem_node *node);
void rmem_sysfs_node_del(struct rmem_node *node);
int rmem_sysfs_init(void);
void rmem_sysfs_exit(void);

/* rmem-debugfs.c: test-only fault injection (see there) */
extern u32 rmem_fi_write_done_ms;
extern u32 rmem_fi_submit_ms;
extern bool rmem_fi_bounce_reserve;
extern bool rmem_fi_reattach_fail;
extern bool rmem_fi_hold_resend;
extern bool rmem_fi_crypt_sync;
void rmem_debugfs_init(void);
void rmem_debugfs_exit(void);

/* Widen a race window by *@ms milliseconds when a test asks for it. */
static inline void rmem_fi_delay(const u32 *ms)
{
	u32 v = READ_ONCE(*ms);

	if (unlikely(v))
		mdelay(v);
}

/* rmem-genl.c */
int rmem_genl_init(void);
void rmem_genl_exit(void);

#endif /* _RMEM_H */
