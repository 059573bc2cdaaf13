/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmem: tracepoints (events/rmem/ in tracefs). Documentation/admin-guide.rst,
 * "Tracing", has perf, trace-cmd and bpftrace one-liners.
 *
 * Ids, not names: a node is its id in /sys/kernel/rmem/nodes/ and in
 * `rmemctl node show`, a region the N of rmemblkN and rmemN. Request types
 * are enum rmem_msg_type (2 read, 3 write, 4 discard: rmem-proto.h).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM rmem

#if !defined(_RMEM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _RMEM_TRACE_H

#include <linux/tracepoint.h>

/* A request to a memory node: handed to the transport. */
TRACE_EVENT(rmem_req_submit,
	TP_PROTO(u32 node, u32 qid, u8 type, u32 slab, u64 offset, u32 len),
	TP_ARGS(node, qid, type, slab, offset, len),
	TP_STRUCT__entry(
		__field(u32, node)
		__field(u32, qid)
		__field(u8, type)
		__field(u32, slab)
		__field(u64, offset)
		__field(u32, len)
	),
	TP_fast_assign(
		__entry->node = node;
		__entry->qid = qid;
		__entry->type = type;
		__entry->slab = slab;
		__entry->offset = offset;
		__entry->len = len;
	),
	TP_printk("node=%u qid=%u op=%u slab=%u offset=%llu len=%u",
		  __entry->node, __entry->qid, __entry->type, __entry->slab,
		  __entry->offset, __entry->len)
);

/* ... and its end: latency_ns from the submit (0 if never sent). */
TRACE_EVENT(rmem_req_complete,
	TP_PROTO(u32 node, u32 qid, u8 type, u32 len, int err, u64 latency_ns),
	TP_ARGS(node, qid, type, len, err, latency_ns),
	TP_STRUCT__entry(
		__field(u32, node)
		__field(u32, qid)
		__field(u8, type)
		__field(u32, len)
		__field(int, err)
		__field(u64, latency_ns)
	),
	TP_fast_assign(
		__entry->node = node;
		__entry->qid = qid;
		__entry->type = type;
		__entry->len = len;
		__entry->err = err;
		__entry->latency_ns = latency_ns;
	),
	TP_printk("node=%u qid=%u op=%u len=%u err=%d latency_ns=%llu",
		  __entry->node, __entry->qid, __entry->type, __entry->len,
		  __entry->err, __entry->latency_ns)
);

/* An mmap region's page fault (pmd: a 2 MiB mapping was asked for). */
TRACE_EVENT(rmem_mmap_fault,
	TP_PROTO(u32 region, u64 pgoff, bool write, bool pmd),
	TP_ARGS(region, pgoff, write, pmd),
	TP_STRUCT__entry(
		__field(u32, region)
		__field(u64, pgoff)
		__field(bool, write)
		__field(bool, pmd)
	),
	TP_fast_assign(
		__entry->region = region;
		__entry->pgoff = pgoff;
		__entry->write = write;
		__entry->pmd = pmd;
	),
	TP_printk("region=%u pgoff=%llu write=%d pmd=%d",
		  __entry->region, __entry->pgoff, __entry->write, __entry->pmd)
);

DECLARE_EVENT_CLASS(rmem_chunk_class,
	TP_PROTO(u32 region, unsigned long chunk, u64 bytes, int err),
	TP_ARGS(region, chunk, bytes, err),
	TP_STRUCT__entry(
		__field(u32, region)
		__field(unsigned long, chunk)
		__field(u64, bytes)
		__field(int, err)
	),
	TP_fast_assign(
		__entry->region = region;
		__entry->chunk = chunk;
		__entry->bytes = bytes;
		__entry->err = err;
	),
	TP_printk("region=%u chunk=%lu bytes=%llu err=%d",
		  __entry->region, __entry->chunk, __entry->bytes, __entry->err)
);

/* A chunk read from the store into the cache (err: when it settled). */
DEFINE_EVENT(rmem_chunk_class, rmem_mmap_fetch,
	TP_PROTO(u32 region, unsigned long chunk, u64 bytes, int err),
	TP_ARGS(region, chunk, bytes, err));

/* A chunk dropped from the cache (bytes: its size). */
DEFINE_EVENT(rmem_chunk_class, rmem_mmap_evict,
	TP_PROTO(u32 region, unsigned long chunk, u64 bytes, int err),
	TP_ARGS(region, chunk, bytes, err));

/* A dirty chunk written back to the store. */
DEFINE_EVENT(rmem_chunk_class, rmem_mmap_writeback,
	TP_PROTO(u32 region, unsigned long chunk, u64 bytes, int err),
	TP_ARGS(region, chunk, bytes, err));

/* Node states: enum rmem_node_state (0 connecting, 1 live, 2 reconnecting, 3 dead, 4 deleting). */
TRACE_EVENT(rmem_node_state,
	TP_PROTO(u32 node, int old, int new),
	TP_ARGS(node, old, new),
	TP_STRUCT__entry(
		__field(u32, node)
		__field(int, old)
		__field(int, new)
	),
	TP_fast_assign(
		__entry->node = node;
		__entry->old = old;
		__entry->new = new;
	),
	TP_printk("node=%u %d -> %d", __entry->node, __entry->old, __entry->new)
);

/* One reconnect attempt: err 0 is success; else the next is in backoff_ms. */
TRACE_EVENT(rmem_node_reconnect,
	TP_PROTO(u32 node, int err, unsigned int backoff_ms),
	TP_ARGS(node, err, backoff_ms),
	TP_STRUCT__entry(
		__field(u32, node)
		__field(int, err)
		__field(unsigned int, backoff_ms)
	),
	TP_fast_assign(
		__entry->node = node;
		__entry->err = err;
		__entry->backoff_ms = backoff_ms;
	),
	TP_printk("node=%u err=%d backoff_ms=%u",
		  __entry->node, __entry->err, __entry->backoff_ms)
);

/* A read failed on one copy and goes to another. */
TRACE_EVENT(rmem_read_failover,
	TP_PROTO(u32 region, u64 pos, u32 len, u32 node, int err),
	TP_ARGS(region, pos, len, node, err),
	TP_STRUCT__entry(
		__field(u32, region)
		__field(u64, pos)
		__field(u32, len)
		__field(u32, node)
		__field(int, err)
	),
	TP_fast_assign(
		__entry->region = region;
		__entry->pos = pos;
		__entry->len = len;
		__entry->node = node;
		__entry->err = err;
	),
	TP_printk("region=%u pos=%llu len=%u failed_node=%u err=%d",
		  __entry->region, __entry->pos, __entry->len, __entry->node, __entry->err)
);

/* A copy of an extent was dropped (the extent is short of copies until rebuilt). */
TRACE_EVENT(rmem_copy_dropped,
	TP_PROTO(u32 region, u32 extent, u32 node, u32 copies),
	TP_ARGS(region, extent, node, copies),
	TP_STRUCT__entry(
		__field(u32, region)
		__field(u32, extent)
		__field(u32, node)
		__field(u32, copies)
	),
	TP_fast_assign(
		__entry->region = region;
		__entry->extent = extent;
		__entry->node = node;
		__entry->copies = copies;
	),
	TP_printk("region=%u extent=%u node=%u copies_left=%u",
		  __entry->region, __entry->extent, __entry->node, __entry->copies)
);

/* The rebuild copied a piece of an extent to a new copy on @node. */
TRACE_EVENT(rmem_rebuild,
	TP_PROTO(u32 region, u32 extent, u32 node, u64 offset, u32 len, int err),
	TP_ARGS(region, extent, node, offset, len, err),
	TP_STRUCT__entry(
		__field(u32, region)
		__field(u32, extent)
		__field(u32, node)
		__field(u64, offset)
		__field(u32, len)
		__field(int, err)
	),
	TP_fast_assign(
		__entry->region = region;
		__entry->extent = extent;
		__entry->node = node;
		__entry->offset = offset;
		__entry->len = len;
		__entry->err = err;
	),
	TP_printk("region=%u extent=%u to_node=%u offset=%llu len=%u err=%d",
		  __entry->region, __entry->extent, __entry->node, __entry->offset,
		  __entry->len, __entry->err)
);

#endif /* _RMEM_TRACE_H */

/* Out of tree: the header is found through -I$(src)/kmod (Kbuild). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE rmem-trace
#include <trace/define_trace.h>
