/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * rmem wire protocol, spoken between the kernel module (client, on the
 * compute node) and rmemd (server, on a memory node). Shared verbatim by both;
 * Documentation/protocol.rst explains it in prose.
 *
 * Every message is a struct rmem_msg_hdr followed by hdr.len bytes of
 * payload. All fields are little-endian and fixed-width; reserved bytes are
 * sent as zero and ignored on receipt. A reply has RMEM_MSG_F_REPLY set, the
 * same type and id as its request, and a status (0 or RMEM_ERR_*); a reply
 * with a non-zero status carries no payload. Requests on one connection may
 * be pipelined: the client picks the ids, the server answers each request
 * on the connection it came from, in the order received.
 *
 * A connection starts with RMEM_MSG_HELLO, or with RMEM_MSG_AUTH then
 * RMEM_MSG_HELLO when the server requires authentication (the default: see
 * "Authentication" below); anything else first, a bad magic, an unknown
 * version, or a payload longer than RMEM_MSG_MAX_PAYLOAD closes it.
 *
 * Slabs belong to a session (struct rmem_hello.session), not a connection:
 * a client opens several connections with the same session id and uses its
 * slabs on all of them. When the last connection of a session closes, the
 * server keeps the session's slabs for its session timeout so a reconnecting
 * client finds its data (RMEM_HELLO_F_RESUMED); after that they are zeroed
 * and returned to the pool. A client that gets a hello reply without
 * RMEM_HELLO_F_RESUMED, or with a different instance, has lost every slab it
 * held there.
 */
#ifndef _RMEM_PROTO_H
#define _RMEM_PROTO_H

#include <linux/types.h>
#ifdef __KERNEL__
#include <linux/build_bug.h>
#else
#include <assert.h>
#endif

#define RMEM_PROTO_MAGIC	0x4d454d52u	/* "RMEM" as bytes on the wire */
/*
 * Version 2 added authentication (RMEM_MSG_AUTH, struct rmem_hello.mac,
 * struct rmem_rdma_cm_req's key_id, nonce and mac). A version 1 peer gets
 * RMEM_ERR_VERSION and the connection is closed.
 */
#define RMEM_PROTO_VERSION	2

/* Largest READ/WRITE length, and so the largest payload. */
#define RMEM_MSG_MAX_IO		0x100000u	/* 1 MiB */
#define RMEM_MSG_MAX_PAYLOAD	(RMEM_MSG_MAX_IO + 64)

/* Message types (struct rmem_msg_hdr.type) */
#define RMEM_MSG_HELLO		1	/* rmem_hello -> rmem_hello_reply */
#define RMEM_MSG_SLAB_ALLOC	2	/* (none) -> rmem_slab_alloc_reply */
#define RMEM_MSG_SLAB_FREE	3	/* rmem_slab_ref -> (none) */
#define RMEM_MSG_READ		4	/* rmem_io -> io.len bytes */
#define RMEM_MSG_WRITE		5	/* rmem_io + io.len bytes -> (none) */
#define RMEM_MSG_PING		6	/* (none) -> rmem_ping_reply */
#define RMEM_MSG_SLAB_LIST	7	/* rmem_slab_ref (first) -> rmem_slab_list_reply */
#define RMEM_MSG_AUTH		8	/* rmem_auth -> rmem_auth_reply */
/* Published regions (RMEM_PROTO_FEAT_PUBLISH): see "Published regions". */
#define RMEM_MSG_PUB_CREATE	9	/* rmem_pub_name -> rmem_pub_info */
#define RMEM_MSG_PUB_ALLOC	10	/* rmem_pub_extent -> rmem_slab_alloc_reply */
#define RMEM_MSG_PUB_SEAL	11	/* rmem_pub_name -> rmem_pub_info */
#define RMEM_MSG_PUB_OPEN	12	/* rmem_pub_name -> rmem_pub_info */
#define RMEM_MSG_PUB_MAP	13	/* rmem_pub_extent (first) -> rmem_pub_map_reply */
#define RMEM_MSG_PUB_CLOSE	14	/* rmem_pub_extent (handle) -> (none) */
#define RMEM_MSG_PUB_DELETE	15	/* rmem_pub_name -> (none) */
#define RMEM_MSG_TYPE_MAX	15

/* struct rmem_msg_hdr.flags */
#define RMEM_MSG_F_REPLY	0x1u

/* struct rmem_msg_hdr.status in replies */
#define RMEM_OK			0
#define RMEM_ERR_PROTO		1	/* malformed message */
#define RMEM_ERR_VERSION	2	/* unsupported protocol version */
#define RMEM_ERR_INVAL		3	/* bad field value */
#define RMEM_ERR_NOSPC		4	/* no free slab */
#define RMEM_ERR_NOENT		5	/* slab not held by this session */
#define RMEM_ERR_RANGE		6	/* offset/length outside the slab */
#define RMEM_ERR_TOOBIG		7	/* length above RMEM_MSG_MAX_IO */
#define RMEM_ERR_PERM		8	/* not authenticated / not allowed */
#define RMEM_ERR_STATE		9	/* request not valid now (no hello yet) */
#define RMEM_ERR_EXIST		10	/* name in use (PUB_CREATE) */
#define RMEM_ERR_BUSY		11	/* attached, or being written, by another session */
#define RMEM_ERR_RDONLY		12	/* sealed: read only */
/* The last status defined: a reply with a higher one is malformed. */
#define RMEM_ERR_MAX		RMEM_ERR_RDONLY

/* Feature bits, in hello and hello reply. */
#define RMEM_PROTO_FEAT_TCP	0x1ull	/* data over this connection */
#define RMEM_PROTO_FEAT_RDMA	0x2ull	/* one-sided RDMA via rkeys */
#define RMEM_PROTO_FEAT_AUTH	0x4ull	/* HELLO carries a valid mac */
#define RMEM_PROTO_FEAT_PUBLISH	0x8ull	/* RMEM_MSG_PUB_* are understood */

/**
 * struct rmem_msg_hdr - header of every message (24 bytes)
 * @magic: RMEM_PROTO_MAGIC
 * @version: RMEM_PROTO_VERSION
 * @type: RMEM_MSG_*
 * @flags: RMEM_MSG_F_*
 * @len: payload bytes that follow the header
 * @status: 0 in requests; RMEM_OK or RMEM_ERR_* in replies
 * @id: chosen by the client, echoed in the reply
 */
struct rmem_msg_hdr {
	__le32 magic;
	__u8 version;
	__u8 type;
	__le16 flags;
	__le32 len;
	__le32 status;
	__le64 id;
};

/*
 * Authentication (version 2). Both sides hold a cluster key K: 32 random
 * bytes (a 256-bit pre-shared key). Its id is the first 8 bytes of
 * HMAC-SHA256(K, "rmem-auth-key-id"), read as a little-endian u64; a server
 * may hold several keys (tenants) and picks one by id. All MACs below are
 * HMAC-SHA256 keyed with K over the concatenation of the listed byte strings
 * exactly as they travel on the wire (little-endian fields), each label being
 * its 16 ASCII bytes without a terminating NUL.
 *
 *   client -> AUTH    { key_id, Nc }                      (Nc: 32 random bytes)
 *   server -> reply   { Ns, smac }                        (Ns: 32 random bytes)
 *       smac = HMAC(K, "rmem-auth-server" | key_id | Nc | Ns)
 *   client checks smac (the server knows K and answered this Nc), then
 *   client -> HELLO   { features | FEAT_AUTH, session, queue, max_io,
 *                       generation, reserved, mac }
 *       mac = HMAC(K, "rmem-auth-client" | key_id | Nc | Ns | hello[0..32))
 *       where hello[0..32) are the 32 bytes of struct rmem_hello before @mac
 *   server checks mac (the client knows K, answered this Ns, and chose
 *   these session, queue and generation), then replies as in version 1.
 *
 * Ns is fresh on every connection, so a recorded HELLO fails on any other
 * connection; Nc is fresh too, so a recorded AUTH reply fails for any other
 * client. A session is bound to the key it was created under: a HELLO that
 * names an existing session under another key gets RMEM_ERR_PERM. A server
 * with authentication on answers anything but AUTH as the first message,
 * an unknown key id, a bad mac, or a HELLO without FEAT_AUTH after AUTH with
 * RMEM_ERR_PERM and closes the connection. A server with authentication
 * off ("auth none") answers AUTH with RMEM_ERR_PERM too (and does not close:
 * a plain HELLO may follow); a client that requires authentication then
 * gives up. The MACs are compared in constant time.
 *
 * Neither side logs a session id (knowing one was enough to join a session
 * in version 1, and is still the first step of an attack). Logs name a
 * session by its tag: the first 4 bytes of SHA-256 of the session id's 8
 * little-endian bytes, printed as 8 lowercase hex digits.
 */
#define RMEM_AUTH_NONCE_LEN	32
#define RMEM_AUTH_MAC_LEN	32
#define RMEM_AUTH_KEY_LEN	32
#define RMEM_AUTH_LABEL_LEN	16
#define RMEM_AUTH_LABEL_KEY_ID	"rmem-auth-key-id"
#define RMEM_AUTH_LABEL_SERVER	"rmem-auth-server"
#define RMEM_AUTH_LABEL_CLIENT	"rmem-auth-client"
#define RMEM_AUTH_LABEL_RDMA_CM	"rmem-auth-rdmacm"

/**
 * struct rmem_auth - payload of RMEM_MSG_AUTH, the first request (64 bytes)
 * @key_id: id of the key the client uses (see above)
 * @nonce: Nc, 32 random bytes drawn for this connection
 * @reserved: zero
 */
struct rmem_auth {
	__le64 key_id;
	__u8 nonce[RMEM_AUTH_NONCE_LEN];
	__u8 reserved[24];
};

/**
 * struct rmem_auth_reply - reply to RMEM_MSG_AUTH (64 bytes)
 * @nonce: Ns, 32 random bytes drawn for this connection
 * @mac: HMAC(K, "rmem-auth-server" | key_id | Nc | Ns)
 */
struct rmem_auth_reply {
	__u8 nonce[RMEM_AUTH_NONCE_LEN];
	__u8 mac[RMEM_AUTH_MAC_LEN];
};

/**
 * struct rmem_hello - first request on a connection, or the second after
 *	RMEM_MSG_AUTH (64 bytes)
 * @features: RMEM_PROTO_FEAT_* the client wants (FEAT_AUTH after AUTH)
 * @session: client session id, random and non-zero; connections with the
 *	same session share its slabs
 * @queue: index of this connection among the client's connections
 * @max_io: largest READ/WRITE the client will send
 * @generation: the client's connection generation for this server (it
 *	counts the client's reconnects); covered by @mac, else informational
 * @reserved: zero
 * @mac: after AUTH, HMAC(K, "rmem-auth-client" | key_id | Nc | Ns |
 *	the 32 bytes of this struct before @mac); zero without AUTH
 */
struct rmem_hello {
	__le64 features;
	__le64 session;
	__le32 queue;
	__le32 max_io;
	__le32 generation;
	__le32 reserved;
	__u8 mac[RMEM_AUTH_MAC_LEN];
};

#define RMEM_HELLO_F_RESUMED	0x1u	/* session existed: slabs kept */

/**
 * struct rmem_hello_reply - reply to RMEM_MSG_HELLO (64 bytes)
 * @features: RMEM_PROTO_FEAT_* granted
 * @instance: random id of this server run; changes when rmemd restarts
 * @slab_size: bytes per slab
 * @slabs_total: slabs in the pool
 * @slabs_free: slabs not held by any session
 * @max_io: largest READ/WRITE the server accepts
 * @flags: RMEM_HELLO_F_*
 * @reserved: zero; room for the authentication response
 */
struct rmem_hello_reply {
	__le64 features;
	__le64 instance;
	__le64 slab_size;
	__le32 slabs_total;
	__le32 slabs_free;
	__le32 max_io;
	__le32 flags;
	__u8 reserved[24];
};

/**
 * struct rmem_slab_alloc_reply - reply to RMEM_MSG_SLAB_ALLOC (24 bytes)
 * @slab: slab number, used in later requests
 * @rkey: RDMA remote key of the slab's MR (0 over TCP)
 * @addr: RDMA address of the slab's first byte (0 over TCP)
 * @size: bytes in the slab
 */
struct rmem_slab_alloc_reply {
	__le32 slab;
	__le32 rkey;
	__le64 addr;
	__le64 size;
};

/**
 * struct rmem_slab_ref - payload of RMEM_MSG_SLAB_FREE (8 bytes)
 * @slab: slab to give back; its content is zeroed before reuse
 * @reserved: zero
 */
struct rmem_slab_ref {
	__le32 slab;
	__le32 reserved;
};

/* Slabs per RMEM_MSG_SLAB_LIST reply, and "no more" in its @next. */
#define RMEM_SLAB_LIST_BITS	128
#define RMEM_SLAB_NONE		0xffffffffu

/**
 * struct rmem_slab_list_reply - reply to RMEM_MSG_SLAB_LIST (24 bytes)
 * @first: the request's slab number (struct rmem_slab_ref.slab)
 * @next: the lowest slab held by the caller's session at or above
 *	@first + RMEM_SLAB_LIST_BITS, or RMEM_SLAB_NONE: where to ask next
 * @held: bit i (bit i % 64 of @held[i / 64]) is set when slab @first + i is
 *	held by the caller's session
 *
 * The client reconciles with it: a slab the session holds that the client
 * does not know of (its SLAB_ALLOC reply was lost, its SLAB_FREE failed) is
 * freed, so that the server's count equals the client's.
 */
struct rmem_slab_list_reply {
	__le32 first;
	__le32 next;
	__le64 held[RMEM_SLAB_LIST_BITS / 64];
};

/**
 * struct rmem_io - payload of RMEM_MSG_READ and RMEM_MSG_WRITE (16 bytes)
 * @slab: slab held by the session
 * @len: bytes, 1..RMEM_MSG_MAX_IO; offset + len must not pass the slab end
 * @offset: byte offset inside the slab
 *
 * A WRITE carries @len data bytes after this struct; a READ reply carries
 * @len data bytes.
 */
struct rmem_io {
	__le32 slab;
	__le32 len;
	__le64 offset;
};

/**
 * struct rmem_ping_reply - reply to RMEM_MSG_PING (16 bytes)
 * @slabs_free: slabs not held by any session
 * @slabs_held: slabs held by the caller's session
 * @instance_lo: low 32 bits of the server instance
 * @drain_ms: 0; or the server is draining (SIGTERM): it allocates no new
 *	slab and exits in this many ms (at least 1), so the client should move
 *	its data elsewhere now (DRAIN). Older servers send 0.
 */
struct rmem_ping_reply {
	__le32 slabs_free;
	__le32 slabs_held;
	__le32 instance_lo;
	__le32 drain_ms;
};

/*
 * Published regions (RMEM_PROTO_FEAT_PUBLISH, granted in the hello reply by
 * servers that know them). A published region is a named set of slabs that
 * belongs to no session: it outlives the session that made it, and the
 * sessions of other clients read it. Its slabs are numbered by extent (the
 * region's byte offset / slab size).
 *
 *  - PUB_CREATE names it (1..RMEM_PUB_NAME_LEN-1 bytes of [A-Za-z0-9._:@+-],
 *    NUL padded) and gives its size; the caller's session becomes its owner
 *    and the reply its handle. A name in use gets RMEM_ERR_EXIST, unless the
 *    owner asks again (a lost reply): then the same handle.
 *  - PUB_ALLOC gives extent @extent a slab (the same one when it has one),
 *    owner only, before the seal: SLAB_ALLOC's reply. The owner then WRITEs
 *    and READs it (or RDMA-writes it) as one of its own slabs.
 *  - PUB_SEAL (owner only; again: no-op) makes it read-only for good: a
 *    WRITE to its slabs gets RMEM_ERR_RDONLY, PUB_ALLOC too, and the
 *    owner's RDMA access to them is revoked (deregistered).
 *  - PUB_OPEN attaches the caller's session to a sealed region and returns
 *    its handle. An unsealed one is refused unless the caller owns it:
 *    RMEM_ERR_BUSY while its owner's session still exists (being written),
 *    RMEM_ERR_STATE once it has ended (an orphan).
 *    The session may then READ its slabs, and PUB_MAP tells which slab holds
 *    which extent: RMEM_PUB_MAP_ENTRIES at a time from extent @extent, with
 *    over RDMA an rkey and address per slab, registered for remote read
 *    only in the caller's protection domain.
 *  - PUB_CLOSE detaches the session (so does the session's end).
 *  - PUB_DELETE frees it: refused with RMEM_ERR_BUSY while a session other
 *    than the caller's is attached, or while it is unsealed and its owner's
 *    session (not the caller's) still exists.
 * With authentication on, a region belongs to the key (tenant) its owner's
 * session was created under: a session of another key gets RMEM_ERR_NOENT
 * for its name, as if it did not exist. A handle or slab of a region the
 * session is not attached to (or does not own) gets RMEM_ERR_NOENT.
 * Published regions live in the server's memory: they do not outlive it.
 */
#define RMEM_PUB_NAME_LEN	64
#define RMEM_PUB_MAP_ENTRIES	6
#define RMEM_PUB_F_SEALED	0x1u	/* rmem_pub_info.flags */
#define RMEM_PUB_F_OWNER	0x2u	/* the caller's session owns it */

/**
 * struct rmem_pub_name - payload of PUB_CREATE, PUB_SEAL, PUB_OPEN and
 *	PUB_DELETE (80 bytes)
 * @name: the region's name, NUL padded
 * @size: PUB_CREATE: bytes, at least 1; its extents are size / slab size
 *	rounded up, at most RMEM_PUB_MAX_EXTENTS. Zero otherwise.
 * @flags: zero
 * @reserved: zero
 */
struct rmem_pub_name {
	char name[RMEM_PUB_NAME_LEN];
	__le64 size;
	__le32 flags;
	__le32 reserved;
};

#define RMEM_PUB_MAX_EXTENTS	0x100000u	/* 2^20 */

/**
 * struct rmem_pub_info - reply to PUB_CREATE, PUB_SEAL and PUB_OPEN (32 bytes)
 * @handle: names the region in PUB_ALLOC, PUB_MAP and PUB_CLOSE; never
 *	reused by this server run
 * @flags: RMEM_PUB_F_*
 * @size: bytes, as created
 * @extents: extents holding a slab
 * @attached: sessions attached (PUB_OPEN), the caller's included
 * @reserved: zero
 */
struct rmem_pub_info {
	__le32 handle;
	__le32 flags;
	__le64 size;
	__le32 extents;
	__le32 attached;
	__le64 reserved;
};

/**
 * struct rmem_pub_extent - payload of PUB_ALLOC, PUB_MAP and PUB_CLOSE (8 bytes)
 * @handle: from rmem_pub_info
 * @extent: PUB_ALLOC: the extent to back; PUB_MAP: the first extent to
 *	list; PUB_CLOSE: zero
 */
struct rmem_pub_extent {
	__le32 handle;
	__le32 extent;
};

/**
 * struct rmem_pub_map_entry - one extent in rmem_pub_map_reply (16 bytes)
 * @slab: its slab, or RMEM_SLAB_NONE (no slab: it reads as zeros)
 * @rkey: over RDMA, the slab's MR for remote read; 0 over TCP
 * @addr: over RDMA, the address of its first byte; 0 over TCP
 */
struct rmem_pub_map_entry {
	__le32 slab;
	__le32 rkey;
	__le64 addr;
};

/**
 * struct rmem_pub_map_reply - reply to PUB_MAP (104 bytes)
 * @first: the request's extent
 * @next: the lowest extent at or above @first + RMEM_PUB_MAP_ENTRIES that
 *	has a slab, or RMEM_SLAB_NONE: where to ask next
 * @e: extents @first .. @first + RMEM_PUB_MAP_ENTRIES - 1 (past the last
 *	extent: RMEM_SLAB_NONE)
 */
struct rmem_pub_map_reply {
	__le32 first;
	__le32 next;
	struct rmem_pub_map_entry e[RMEM_PUB_MAP_ENTRIES];
};

/*
 * RDMA (RMEM_PROTO_FEAT_RDMA). rmemd listens with rdma_cm (RDMA_PS_TCP, RC
 * QPs) on the same port number as its TCP listener. The client opens one
 * connection per queue; the connect request carries struct rmem_rdma_cm_req
 * as private data, which names the session: the server creates the QP in
 * that session's protection domain, so the session's slab MRs are reachable
 * through its QPs and through no other client's. The server accepts with
 * struct rmem_rdma_cm_rep, or rejects with one whose @status says why.
 *
 * After the connection is established the control protocol above runs
 * unchanged, one message per SEND (header plus payload, at most
 * RMEM_RDMA_MSG_SIZE bytes), starting with HELLO. Each side keeps enough
 * receives posted for the other: the server @depth from its accept, the
 * client one per request it has outstanding, never more than the server's
 * @depth. READ and WRITE messages are refused with RMEM_ERR_INVAL on an RDMA
 * connection: data moves by the client's one-sided RDMA READ and RDMA WRITE
 * at rmem_slab_alloc_reply.addr + offset with rmem_slab_alloc_reply.rkey.
 * Each slab is its own MR, registered when it is allocated to the session
 * (remote read and write only) and deregistered before it is freed.
 */
#define RMEM_RDMA_MSG_SIZE	128	/* largest control message, bytes */
#define RMEM_RDMA_MAX_DEPTH	256	/* outstanding control messages */

/*
 * With authentication on, the connect request proves knowledge of the key
 * before the server puts the QP in the session's protection domain:
 *   mac = first RMEM_RDMA_CM_MAC_LEN bytes of
 *         HMAC(K, "rmem-auth-rdmacm" | the first 40 bytes of the request)
 * (magic through nonce, as on the wire). A request with an unknown key id or
 * a bad mac is rejected with RMEM_ERR_PERM; a server with authentication off
 * ignores key_id, nonce and mac. The client draws a fresh nonce for every
 * request; the server refuses (RMEM_ERR_PERM) a nonce the session has
 * already used, as long as it remembers it (protocol.rst, RDMA connect
 * requests). The AUTH exchange then runs on the connection as over TCP.
 */
#define RMEM_RDMA_CM_NONCE_LEN	12
#define RMEM_RDMA_CM_MAC_LEN	16

/**
 * struct rmem_rdma_cm_req - connect request private data (56 bytes, the
 *	most an rdma_cm connect request carries over IB and RoCE)
 * @magic: RMEM_PROTO_MAGIC
 * @version: RMEM_PROTO_VERSION
 * @reserved0: zero
 * @depth: control messages the client may have outstanding, 1..MAX_DEPTH
 * @session: the session this QP joins (same as in its HELLO), non-zero
 * @key_id: id of the client's key (0 with authentication off)
 * @queue: index of this connection among the client's connections
 * @nonce: random bytes drawn for this request (zero with authentication off)
 * @mac: see above (zero with authentication off)
 */
struct rmem_rdma_cm_req {
	__le32 magic;
	__u8 version;
	__u8 reserved0;
	__le16 depth;
	__le64 session;
	__le64 key_id;
	__le32 queue;
	__u8 nonce[RMEM_RDMA_CM_NONCE_LEN];
	__u8 mac[RMEM_RDMA_CM_MAC_LEN];
};

/**
 * struct rmem_rdma_cm_rep - accept or reject private data (16 bytes)
 * @magic: RMEM_PROTO_MAGIC
 * @version: RMEM_PROTO_VERSION
 * @reserved0: zero
 * @depth: receives the server keeps posted on this QP (accept), 0 (reject)
 * @status: RMEM_OK (accept) or RMEM_ERR_* (reject)
 * @reserved: zero
 */
struct rmem_rdma_cm_rep {
	__le32 magic;
	__u8 version;
	__u8 reserved0;
	__le16 depth;
	__le32 status;
	__le32 reserved;
};

static_assert(sizeof(struct rmem_msg_hdr) == 24, "wire: rmem_msg_hdr");
static_assert(sizeof(struct rmem_hello) == 64, "wire: rmem_hello");
static_assert(sizeof(struct rmem_hello_reply) == 64, "wire: rmem_hello_reply");
static_assert(sizeof(struct rmem_auth) == 64, "wire: rmem_auth");
static_assert(sizeof(struct rmem_auth_reply) == 64, "wire: rmem_auth_reply");
static_assert(sizeof(struct rmem_slab_alloc_reply) == 24, "wire: slab_alloc_reply");
static_assert(sizeof(struct rmem_slab_ref) == 8, "wire: rmem_slab_ref");
static_assert(sizeof(struct rmem_io) == 16, "wire: rmem_io");
static_assert(sizeof(struct rmem_ping_reply) == 16, "wire: rmem_ping_reply");
static_assert(sizeof(struct rmem_slab_list_reply) == 24, "wire: rmem_slab_list_reply");
static_assert(sizeof(struct rmem_pub_name) == 80, "wire: rmem_pub_name");
static_assert(sizeof(struct rmem_pub_info) == 32, "wire: rmem_pub_info");
static_assert(sizeof(struct rmem_pub_extent) == 8, "wire: rmem_pub_extent");
static_assert(sizeof(struct rmem_pub_map_reply) == 104, "wire: rmem_pub_map_reply");
static_assert(sizeof(struct rmem_rdma_cm_req) == 56, "wire: rmem_rdma_cm_req");
static_assert(sizeof(struct rmem_rdma_cm_rep) == 16, "wire: rmem_rdma_cm_rep");
static_assert(sizeof(struct rmem_msg_hdr) + sizeof(struct rmem_hello) <= RMEM_RDMA_MSG_SIZE,
	      "wire: RDMA message size");
static_assert(sizeof(struct rmem_msg_hdr) + sizeof(struct rmem_auth_reply) <= RMEM_RDMA_MSG_SIZE,
	      "wire: RDMA message size");
static_assert(sizeof(struct rmem_msg_hdr) + sizeof(struct rmem_pub_name) <= RMEM_RDMA_MSG_SIZE,
	      "wire: RDMA message size");
static_assert(sizeof(struct rmem_msg_hdr) + sizeof(struct rmem_pub_map_reply) <= RMEM_RDMA_MSG_SIZE,
	      "wire: RDMA message size");

#endif /* _RMEM_PROTO_H */
