/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * rmem: remote memory for Linux -- control interface.
 *
 * This header *is* the control API: it is shared by the kernel module, rmemctl
 * and the tests. Documentation/netlink.rst explains it in prose.
 *
 * Generic netlink family "rmem" (RMEM_GENL_NAME), version RMEM_GENL_VERSION.
 * The ADD, DEL and DRAIN commands and every KEY command (KEY_GET's dump
 * included) need CAP_NET_ADMIN; GET_VERSION, GET_STATUS, NODE_GET and
 * REGION_GET (do and dump) are open to everyone. Every attribute is
 * validated by a strict policy; a rejected request changes nothing and
 * carries an extack message.
 *
 * Commands
 *   RMEM_CMD_GET_VERSION  do   -> RMEM_A_VERSION, RMEM_A_API_VERSION,
 *                                 RMEM_A_FEATURES
 *   RMEM_CMD_GET_STATUS   do   -> RMEM_A_NR_NODES, RMEM_A_NR_REGIONS,
 *                                 RMEM_A_SLAB_SIZE, RMEM_A_FEATURES
 *   RMEM_CMD_NODE_ADD     do   <- RMEM_A_NODE_ADDR (4 or 16 bytes, network
 *                                 order), [RMEM_A_NODE_PORT],
 *                                 [RMEM_A_NODE_TRANSPORT], [RMEM_A_NODE_TIMEOUT_MS],
 *                                 [RMEM_A_NODE_KEY_ID | RMEM_A_NODE_AUTH_NONE]
 *                            -> RMEM_A_NODE_ID
 *                                 Authentication: with RMEM_A_NODE_KEY_ID, that
 *                                 key of the key store; with neither attribute,
 *                                 the only key in the store (none, or several:
 *                                 refused); RMEM_A_NODE_AUTH_NONE turns it off
 *                                 (a lab setting, logged loudly). The node keeps
 *                                 its own copy of the key: KEY_DEL later does
 *                                 not affect it.
 *   RMEM_CMD_NODE_DEL     do   <- RMEM_A_NODE_ID
 *   RMEM_CMD_NODE_GET     dump -> one message per node (RMEM_A_NODE_*)
 *                         do   <- RMEM_A_NODE_ID -> that node
 *   RMEM_CMD_REGION_ADD   do   <- RMEM_A_REGION_NAME, RMEM_A_REGION_SIZE,
 *                                 [RMEM_A_REGION_TYPE], [RMEM_A_REGION_REPLICAS],
 *                                 [RMEM_A_REGION_PREALLOC],
 *                                 [RMEM_A_REGION_ENCRYPT], [RMEM_A_REGION_PUBLISH],
 *                                 [RMEM_A_KEY] (with PUBLISH only),
 *                                 and for an mmap region
 *                                 [RMEM_A_REGION_CHUNK_SIZE],
 *                                 [RMEM_A_REGION_CACHE_SIZE]
 *                            -> RMEM_A_REGION_ID, RMEM_A_REGION_DEVICE
 *                                 RMEM_A_REGION_PUBLISH: the memory nodes keep
 *                                 its slabs under its name, past this region's
 *                                 deletion, the module's unload and the compute
 *                                 node's reboot, until purged. It is encrypted
 *                                 with a key derived from RMEM_A_KEY (the
 *                                 region's key, which its readers share and
 *                                 its memory nodes do not, RMEM_KEY_LEN bytes,
 *                                 wiped from the request); without one ENOKEY,
 *                                 unless RMEM_A_REGION_ENCRYPT is 0 (or the
 *                                 module's encrypt parameter is off)
 *   RMEM_CMD_REGION_DEL   do   <- RMEM_A_REGION_NAME, [RMEM_A_REGION_PURGE]
 *                                 PURGE: also delete the published region of
 *                                 that name from every node (EBUSY while another
 *                                 compute node is attached); works when no
 *                                 local region has the name, too
 *   RMEM_CMD_REGION_GET   dump -> one message per region (RMEM_A_REGION_*)
 *                         do   <- RMEM_A_REGION_NAME -> that region
 *   RMEM_CMD_NODE_DRAIN   do   <- RMEM_A_NODE_ID: the node takes no new
 *                                 slab and the regions move theirs away;
 *                                 RMEM_A_NODE_SLABS_USED reaching 0 says
 *                                 it is drained (node del then works)
 *   RMEM_CMD_KEY_ADD      do   <- RMEM_A_KEY (exactly RMEM_KEY_LEN bytes):
 *                                 install a cluster key (up to RMEM_KEY_MAX)
 *                            -> RMEM_A_KEY_ID; EEXIST if installed already
 *   RMEM_CMD_KEY_DEL      do   <- RMEM_A_KEY_ID; ENOENT if not installed. Its
 *                                 bytes are wiped; nodes using it keep theirs
 *   RMEM_CMD_KEY_GET      dump -> one message per key: RMEM_A_KEY_ID,
 *                                 RMEM_A_KEY_NODES. Key bytes are never sent
 *                                 back, logged, or shown anywhere.
 *   RMEM_CMD_REGION_SEAL  do   <- RMEM_A_REGION_NAME: a published region this
 *                                 module created becomes read-only for good,
 *                                 on every node; EBUSY while it is open
 *   RMEM_CMD_REGION_ATTACH do  <- RMEM_A_REGION_NAME, [RMEM_A_REGION_TYPE],
 *                                 [RMEM_A_REGION_NODE_IDS], [RMEM_A_KEY]
 *                                 (the region's key: ENOKEY without it when
 *                                 the region is encrypted, EKEYREJECTED for
 *                                 another, EINVAL for one not encrypted),
 *                                 and for mmap
 *                                 [RMEM_A_REGION_CHUNK_SIZE],
 *                                 [RMEM_A_REGION_CACHE_SIZE]
 *                            -> RMEM_A_REGION_ID, RMEM_A_REGION_DEVICE,
 *                                 RMEM_A_REGION_SIZE
 *                                 A read-only region of the sealed published
 *                                 region NAME, found on the nodes listed (all
 *                                 nodes by default). REGION_DEL detaches it.
 *
 * Events: multicast group "events" (RMEM_MCGRP_EVENTS), open to everyone;
 * `rmemctl monitor` prints them. Each is one RMEM_CMD_EVENT message with
 * RMEM_A_EVENT (enum rmem_event) and:
 *   RMEM_EVENT_NODE_STATE       RMEM_A_NODE_ID, RMEM_A_EVENT_OLD_STATE,
 *                               RMEM_A_NODE_STATE (enum rmem_node_state)
 *   RMEM_EVENT_REGION_DEGRADED  RMEM_A_REGION_ID, RMEM_A_REGION_NAME,
 *                               RMEM_A_REGION_DEGRADED: extents short of
 *                               copies (after having none)
 *   RMEM_EVENT_REGION_REBUILT   RMEM_A_REGION_ID, RMEM_A_REGION_NAME: every
 *                               extent has its copies again
 *   RMEM_EVENT_IO_ERROR         RMEM_A_REGION_ID, RMEM_A_REGION_NAME,
 *                               RMEM_A_EVENT_POS, RMEM_A_EVENT_LEN,
 *                               RMEM_A_EVENT_ERRNO: a request failed to its
 *                               front end (EIO to a block request, SIGBUS)
 *   RMEM_EVENT_CSUM_ERROR       RMEM_A_REGION_ID, RMEM_A_REGION_NAME,
 *                               RMEM_A_NODE_ID, RMEM_A_EVENT_POS,
 *                               RMEM_A_EVENT_LEN: pages read with a bad
 *                               crc32c from that node
 * Events are sent from a work item and are best effort: under memory
 * pressure (the module may be the swap device) one can be lost, and then
 * RMEM_A_EVENT_LOST in the next says how many.
 *
 * A key's id is the first 8 bytes of HMAC-SHA256(key, "rmem-auth-key-id"),
 * read as a little-endian u64 (include/rmem-proto.h): rmemd computes the
 * same id from its key file, so "rmemctl key list" and rmemd's log agree.
 */
#ifndef _UAPI_RMEM_H
#define _UAPI_RMEM_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define RMEM_GENL_NAME		"rmem"
#define RMEM_GENL_VERSION	1
#define RMEM_MCGRP_EVENTS	"events"

/* Version of this API; bumped on incompatible change. */
#define RMEM_API_VERSION	1

/* Default TCP (and rdma_cm) port of rmemd. */
#define RMEM_DEFAULT_PORT	7471

#define RMEM_REGION_NAME_MAX	32	/* including the NUL */

/* RMEM_A_FEATURES bits: what this module can do. */
#define RMEM_FEAT_TCP		0x1ULL	/* TCP transport */
#define RMEM_FEAT_RDMA		0x2ULL	/* RDMA transport */
#define RMEM_FEAT_BLOCK		0x4ULL	/* block regions */
#define RMEM_FEAT_MMAP		0x8ULL	/* mmap regions */
#define RMEM_FEAT_AUTH		0x10ULL	/* key store, authenticated nodes */
#define RMEM_FEAT_PUBLISH	0x20ULL	/* published regions: seal, attach */
#define RMEM_FEAT_PUB_KEY	0x40ULL	/* published regions encrypted (RMEM_A_KEY) */

/* Cluster keys: 32 bytes (a 256-bit pre-shared key); at most 16 installed. */
#define RMEM_KEY_LEN		32
#define RMEM_KEY_MAX		16

enum rmem_cmd {
	RMEM_CMD_UNSPEC,
	RMEM_CMD_GET_VERSION,
	RMEM_CMD_GET_STATUS,
	RMEM_CMD_NODE_ADD,
	RMEM_CMD_NODE_DEL,
	RMEM_CMD_NODE_GET,
	RMEM_CMD_REGION_ADD,
	RMEM_CMD_REGION_DEL,
	RMEM_CMD_REGION_GET,
	RMEM_CMD_NODE_DRAIN,
	RMEM_CMD_KEY_ADD,
	RMEM_CMD_KEY_DEL,
	RMEM_CMD_KEY_GET,
	RMEM_CMD_EVENT,		/* multicast only: see "Events" above */
	RMEM_CMD_REGION_SEAL,
	RMEM_CMD_REGION_ATTACH,
	__RMEM_CMD_MAX
};

#define RMEM_CMD_MAX (__RMEM_CMD_MAX - 1)

/* RMEM_A_NODE_TRANSPORT */
enum rmem_transport {
	RMEM_TRANSPORT_AUTO,	/* RDMA if the route has an RDMA device, else TCP */
	RMEM_TRANSPORT_TCP,
	RMEM_TRANSPORT_RDMA,
	__RMEM_TRANSPORT_MAX
};

#define RMEM_TRANSPORT_MAX (__RMEM_TRANSPORT_MAX - 1)

/* RMEM_A_NODE_STATE */
enum rmem_node_state {
	RMEM_NODE_CONNECTING,	/* first connection not yet up */
	RMEM_NODE_LIVE,		/* all queues connected */
	RMEM_NODE_RECONNECTING,	/* lost, retrying with backoff */
	RMEM_NODE_DEAD,		/* unreachable past its timeout: I/O fails */
	RMEM_NODE_DELETING,
	__RMEM_NODE_STATE_MAX
};

/* RMEM_A_EVENT */
enum rmem_event {
	RMEM_EVENT_NODE_STATE,
	RMEM_EVENT_REGION_DEGRADED,
	RMEM_EVENT_REGION_REBUILT,
	RMEM_EVENT_IO_ERROR,
	RMEM_EVENT_CSUM_ERROR,
	__RMEM_EVENT_MAX
};

/* RMEM_A_REGION_TYPE */
enum rmem_region_type {
	RMEM_REGION_BLOCK,	/* /dev/rmemblkN */
	RMEM_REGION_MMAP,	/* /dev/rmemN */
	__RMEM_REGION_TYPE_MAX
};

#define RMEM_REGION_TYPE_MAX (__RMEM_REGION_TYPE_MAX - 1)

enum rmem_attr {
	RMEM_A_UNSPEC,
	RMEM_A_PAD,
	/* module */
	RMEM_A_VERSION,			/* string: module version */
	RMEM_A_API_VERSION,		/* u32: RMEM_API_VERSION */
	RMEM_A_FEATURES,		/* u64: RMEM_FEAT_* */
	RMEM_A_NR_NODES,		/* u32 */
	RMEM_A_NR_REGIONS,		/* u32 */
	RMEM_A_SLAB_SIZE,		/* u64: bytes per remote slab */
	/* node */
	RMEM_A_NODE_ID,			/* u32 */
	RMEM_A_NODE_ADDR,		/* binary: 4 (IPv4) or 16 (IPv6) bytes */
	RMEM_A_NODE_PORT,		/* u16, host order; default 7471 */
	RMEM_A_NODE_TRANSPORT,		/* u8: enum rmem_transport (requested) */
	RMEM_A_NODE_TRANSPORT_USED,	/* u8: enum rmem_transport (in use) */
	RMEM_A_NODE_TIMEOUT_MS,		/* u32: unreachable this long -> I/O fails */
	RMEM_A_NODE_STATE,		/* u8: enum rmem_node_state */
	RMEM_A_NODE_CAPACITY,		/* u64: bytes the node donates */
	RMEM_A_NODE_FREE,		/* u64: bytes still free on the node */
	RMEM_A_NODE_SLABS_USED,		/* u32: slabs held by this host */
	RMEM_A_NODE_LATENCY_NS,		/* u64: smoothed round-trip time */
	RMEM_A_NODE_ERRORS,		/* u64: failed requests */
	RMEM_A_NODE_RECONNECTS,		/* u64 */
	RMEM_A_NODE_QUEUES,		/* u32: connections */
	RMEM_A_NODE_READ_BYTES,		/* u64 */
	RMEM_A_NODE_WRITE_BYTES,	/* u64 */
	/* region */
	RMEM_A_REGION_ID,		/* u32 */
	RMEM_A_REGION_NAME,		/* string, [A-Za-z0-9_.-], < 32 bytes */
	RMEM_A_REGION_SIZE,		/* u64: bytes, multiple of 4096, > 0 */
	RMEM_A_REGION_TYPE,		/* u8: enum rmem_region_type */
	RMEM_A_REGION_DEVICE,		/* string: "rmemblk0" */
	RMEM_A_REGION_SLABS,		/* u32: remote slabs claimed */
	RMEM_A_REGION_NODES,		/* u32: nodes holding its slabs */
	RMEM_A_REGION_OPENERS,		/* u32: open file handles */
	RMEM_A_REGION_READS,		/* u64: read requests */
	RMEM_A_REGION_WRITES,		/* u64: write requests */
	RMEM_A_REGION_READ_BYTES,	/* u64 */
	RMEM_A_REGION_WRITE_BYTES,	/* u64 */
	RMEM_A_REGION_DISCARDS,		/* u64 */
	RMEM_A_REGION_ERRORS,		/* u64: requests failed with an error */
	/* mmap region: cache (Documentation/mmap.rst); see struct rmem_mmap_stats */
	/*
	 * CHUNK_SIZE: bytes fetched per fault, a power of two from 4K to 2M
	 * dividing the slab size and the region size (default 64K).
	 * CACHE_SIZE: local cache budget in bytes, a multiple of the chunk
	 * size (default: 1/4 of the region, at least one chunk, at most 256M).
	 */
	RMEM_A_REGION_CHUNK_SIZE,	/* u64 */
	RMEM_A_REGION_CACHE_SIZE,	/* u64 */
	RMEM_A_REGION_CACHED,		/* u64: bytes in the local cache */
	RMEM_A_REGION_FAULTS,		/* u64 */
	RMEM_A_REGION_FETCHES,		/* u64: chunks fetched */
	RMEM_A_REGION_FETCH_ERRORS,	/* u64 */
	RMEM_A_REGION_EVICTIONS,	/* u64 */
	RMEM_A_REGION_WRITEBACKS,	/* u64: dirty chunks written back */
	RMEM_A_REGION_WRITEBACK_ERRORS,	/* u64 */
	RMEM_A_REGION_HOT,		/* u64: hot chunks now */
	RMEM_A_REGION_PMD_MAPS,		/* u64: faults mapped with one PMD */
	RMEM_A_REGION_CSUM_ERRORS,	/* u64: pages read with a bad crc32c */
	RMEM_A_REGION_REPLICAS,		/* u8: copies of each extent, 1..3 */
	RMEM_A_REGION_PREALLOC,		/* flag: every slab claimed at add (thick) */
	RMEM_A_REGION_ALLOCATED,	/* u64: bytes of the region with a slab */
	RMEM_A_REGION_DEGRADED,		/* u32: extents short of their copies */
	RMEM_A_REGION_REBUILDS,		/* u64: copies made by the rebuild */
	RMEM_A_REGION_REBUILD_BYTES,	/* u64: bytes the rebuild copied */
	RMEM_A_REGION_DROPPED,		/* u64: copies dropped after a failure */
	RMEM_A_REGION_PLACEMENT,	/* nest: per node, NODE_ID + NODE_SLABS_USED */
	RMEM_A_NODE_DRAINING,		/* flag: drain asked; drained at 0 slabs */
	/* authentication */
	RMEM_A_KEY,			/* binary: RMEM_KEY_LEN bytes (KEY_ADD; a
					 * published region's key: REGION_ADD,
					 * REGION_ATTACH)
					 */
	RMEM_A_KEY_ID,			/* u64: a key's id */
	RMEM_A_KEY_NODES,		/* u32: nodes that use the key */
	RMEM_A_NODE_KEY_ID,		/* u64: key id the node authenticates with */
	RMEM_A_NODE_AUTH_NONE,		/* flag: the node has authentication off */
	/* page encryption (Documentation/admin-guide.rst, "Encryption") */
	RMEM_A_REGION_ENCRYPT,		/* u8: 1 pages encrypted (xts(aes)), 0 not */
	/* events (RMEM_CMD_EVENT, output only) */
	RMEM_A_EVENT,			/* u8: enum rmem_event */
	RMEM_A_EVENT_OLD_STATE,		/* u8: enum rmem_node_state before */
	RMEM_A_EVENT_POS,		/* u64: byte offset in the region */
	RMEM_A_EVENT_LEN,		/* u32: bytes */
	RMEM_A_EVENT_ERRNO,		/* u32: positive errno */
	RMEM_A_EVENT_LOST,		/* u32: events lost before this one */
	/* u64: pages written as one repeated word, kept on the compute node */
	RMEM_A_REGION_SAME_FILLED,
	/* published regions (Documentation/admin-guide.rst, "Published regions") */
	RMEM_A_REGION_PUBLISH,		/* flag: published (ADD: publish it) */
	RMEM_A_REGION_SEALED,		/* flag: published and sealed: read-only */
	RMEM_A_REGION_ATTACHED,		/* flag: attached (read-only) */
	RMEM_A_REGION_PURGE,		/* flag: DEL: delete the published copy too */
	RMEM_A_REGION_NODE_IDS,		/* binary: u32 node ids, 1..64 of them */
	/* string: the crypto API driver that en- and decrypts (encrypted only) */
	RMEM_A_REGION_CIPHER,
	__RMEM_A_MAX
};

#define RMEM_A_MAX (__RMEM_A_MAX - 1)

/*
 * mmap regions: ioctls on /dev/rmemN (Documentation/mmap.rst).
 *
 * RMEM_IOC_PREFETCH  start fetching the chunks of a range (returns at once)
 * RMEM_IOC_DROP      write back the dirty chunks of a range and free their
 *                    local copies (unmapped from every process); returns
 *                    -EIO if a write-back failed
 * RMEM_IOC_STATS     read the region's cache counters
 * A range is page aligned, non-empty and inside the region; flags is 0.
 * Anything else is -EINVAL.
 */
#define RMEM_MMAP_CHUNK_MIN	4096ULL
#define RMEM_MMAP_CHUNK_MAX	(2ULL << 20)
#define RMEM_MMAP_CHUNK_DEFAULT	(64ULL << 10)

struct rmem_mmap_range {
	__u64 offset;		/* bytes from the start of the region */
	__u64 len;		/* bytes */
	__u64 flags;		/* 0 */
};

struct rmem_mmap_stats {
	__u64 chunk_size;	/* bytes per chunk */
	__u64 cache_size;	/* local cache budget, bytes */
	__u64 cached;		/* bytes in the local cache now */
	__u64 faults;		/* faults handled */
	__u64 fetches;		/* chunks fetched from memory nodes */
	__u64 fetch_errors;	/* fetches that failed (SIGBUS) */
	__u64 evictions;	/* chunks evicted to stay under the budget */
	__u64 writebacks;	/* dirty chunks written back */
	__u64 writeback_errors;	/* write-backs that failed */
	__u64 hot;		/* hot chunks now */
	__u64 pmd_maps;		/* faults that mapped a chunk with one PMD */
	__u64 prefetches;	/* chunks fetched ahead: RMEM_IOC_PREFETCH, WILLNEED, readahead */
	__u64 drops;		/* chunks freed by RMEM_IOC_DROP or last close */
	__u64 reserved[3];
};

#define RMEM_IOC_MAGIC		0xd7
#define RMEM_IOC_PREFETCH	_IOW(RMEM_IOC_MAGIC, 1, struct rmem_mmap_range)
#define RMEM_IOC_DROP		_IOW(RMEM_IOC_MAGIC, 2, struct rmem_mmap_range)
#define RMEM_IOC_STATS		_IOR(RMEM_IOC_MAGIC, 3, struct rmem_mmap_stats)

#endif /* _UAPI_RMEM_H */
