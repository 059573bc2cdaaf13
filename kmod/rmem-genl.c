// SPDX-License-Identifier: GPL-2.0
/*
 * rmem: the generic netlink family "rmem" (include/uapi/rmem.h).
 *
 * Every attribute goes through one strict policy; handlers add extack
 * messages for what a policy cannot express. Configuration changes run
 * under rmem_cfg_lock, taken here and nowhere below the control layer.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/inet.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/netlink.h>
#include <linux/sched/mm.h>

#include "rmem.h"

static struct netlink_range_validation rmem_timeout_range = {
	.min = RMEM_NODE_TIMEOUT_MIN_MS,
	.max = RMEM_NODE_TIMEOUT_MAX_MS,
};

static struct netlink_range_validation rmem_chunk_range = {
	.min = RMEM_MMAP_CHUNK_MIN,
	.max = RMEM_MMAP_CHUNK_MAX,
};

static struct netlink_range_validation rmem_cache_range = {
	.min = RMEM_MMAP_CHUNK_MIN,
	.max = RMEM_REGION_MAX_SIZE,
};

/* RMEM_A_REGION_NODE_IDS: at most this many. */
#define RMEM_ATTACH_MAX_NODES	64

static const struct nla_policy rmem_policy[RMEM_A_MAX + 1] = {
	[RMEM_A_NODE_ID]		= { .type = NLA_U32 },
	[RMEM_A_NODE_ADDR]		= NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[RMEM_A_NODE_PORT]		= NLA_POLICY_MIN(NLA_U16, 1),
	[RMEM_A_NODE_TRANSPORT]		= NLA_POLICY_MAX(NLA_U8, RMEM_TRANSPORT_MAX),
	[RMEM_A_NODE_TIMEOUT_MS]	= NLA_POLICY_FULL_RANGE(NLA_U32, &rmem_timeout_range),
	[RMEM_A_REGION_NAME]		= { .type = NLA_NUL_STRING,
					    .len = RMEM_REGION_NAME_MAX - 1 },
	[RMEM_A_REGION_SIZE]		= NLA_POLICY_MIN(NLA_U64, RMEM_PAGE_SIZE),
	[RMEM_A_REGION_TYPE]		= NLA_POLICY_MAX(NLA_U8, RMEM_REGION_TYPE_MAX),
	[RMEM_A_REGION_CHUNK_SIZE]	= NLA_POLICY_FULL_RANGE(NLA_U64, &rmem_chunk_range),
	[RMEM_A_REGION_CACHE_SIZE]	= NLA_POLICY_FULL_RANGE(NLA_U64, &rmem_cache_range),
	[RMEM_A_REGION_REPLICAS]	= NLA_POLICY_RANGE(NLA_U8, 1, RMEM_MAX_REPLICAS),
	[RMEM_A_REGION_PREALLOC]	= { .type = NLA_FLAG },
	[RMEM_A_KEY]			= NLA_POLICY_EXACT_LEN(RMEM_KEY_LEN),
	[RMEM_A_KEY_ID]			= { .type = NLA_U64 },
	[RMEM_A_NODE_KEY_ID]		= { .type = NLA_U64 },
	[RMEM_A_NODE_AUTH_NONE]		= { .type = NLA_FLAG },
	[RMEM_A_REGION_ENCRYPT]		= NLA_POLICY_MAX(NLA_U8, 1),
	[RMEM_A_REGION_PUBLISH]		= { .type = NLA_FLAG },
	[RMEM_A_REGION_PURGE]		= { .type = NLA_FLAG },
	[RMEM_A_REGION_NODE_IDS]	= NLA_POLICY_RANGE(NLA_BINARY, sizeof(u32),
							   RMEM_ATTACH_MAX_NODES * sizeof(u32)),
};

static struct genl_family rmem_genl_family;

/* A required attribute is missing: name it in the extack, with a message. */
#define RMEM_REQUIRE(info, attr, msg) ({				\
	struct genl_info *__rinfo = (info);				\
	bool __missing = GENL_REQ_ATTR_CHECK(__rinfo, attr);		\
	if (__missing)							\
		NL_SET_ERR_MSG(__rinfo->extack, msg);			\
	__missing;							\
})

static void *rmem_genl_put(struct sk_buff *skb, struct genl_info *info, u8 cmd)
{
	return genlmsg_put(skb, info->snd_portid, info->snd_seq, &rmem_genl_family, 0, cmd);
}

static u64 rmem_features(void)
{
	return RMEM_FEAT_TCP | RMEM_FEAT_RDMA | RMEM_FEAT_BLOCK | RMEM_FEAT_MMAP | RMEM_FEAT_AUTH |
	       RMEM_FEAT_PUBLISH | RMEM_FEAT_PUB_KEY;
}

static int rmem_cmd_get_version(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = rmem_genl_put(msg, info, RMEM_CMD_GET_VERSION);
	if (!hdr)
		goto nla_put_failure;
	if (nla_put_string(msg, RMEM_A_VERSION, RMEM_VERSION) ||
	    nla_put_u32(msg, RMEM_A_API_VERSION, RMEM_API_VERSION) ||
	    nla_put_u64_64bit(msg, RMEM_A_FEATURES, rmem_features(), RMEM_A_PAD))
		goto nla_put_failure;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nla_put_failure:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int rmem_cmd_get_status(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int ret = -EMSGSIZE;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = rmem_genl_put(msg, info, RMEM_CMD_GET_STATUS);
	if (!hdr)
		goto out_free;
	mutex_lock(&rmem_cfg_lock);
	if (nla_put_u32(msg, RMEM_A_NR_NODES, rmem_node_count()) ||
	    nla_put_u32(msg, RMEM_A_NR_REGIONS, rmem_region_count()) ||
	    nla_put_u64_64bit(msg, RMEM_A_SLAB_SIZE, (u64)rmem_slab_mb << 20, RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_FEATURES, rmem_features(), RMEM_A_PAD) ||
	    nla_put_string(msg, RMEM_A_VERSION, RMEM_VERSION)) {
		mutex_unlock(&rmem_cfg_lock);
		goto out_free;
	}
	mutex_unlock(&rmem_cfg_lock);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_free:
	nlmsg_free(msg);
	return ret;
}

/* ---- nodes ---- */

static int rmem_node_fill(struct sk_buff *msg, struct rmem_node *n)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&n->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&n->addr;
	u16 port;
	int ret;

	if (n->addr.ss_family == AF_INET) {
		ret = nla_put_in_addr(msg, RMEM_A_NODE_ADDR, sin->sin_addr.s_addr);
		port = ntohs(sin->sin_port);
	} else {
		ret = nla_put_in6_addr(msg, RMEM_A_NODE_ADDR, &sin6->sin6_addr);
		port = ntohs(sin6->sin6_port);
	}
	if (ret ||
	    nla_put_u32(msg, RMEM_A_NODE_ID, n->id) ||
	    nla_put_u16(msg, RMEM_A_NODE_PORT, port) ||
	    nla_put_u8(msg, RMEM_A_NODE_TRANSPORT, n->want) ||
	    nla_put_u8(msg, RMEM_A_NODE_TRANSPORT_USED, READ_ONCE(n->ops)->type) ||
	    nla_put_u32(msg, RMEM_A_NODE_TIMEOUT_MS, READ_ONCE(n->timeout_ms)) ||
	    nla_put_u8(msg, RMEM_A_NODE_STATE, rmem_node_state_get(n)) ||
	    nla_put_u64_64bit(msg, RMEM_A_NODE_CAPACITY,
			      n->slab_size * n->slabs_total, RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_NODE_FREE,
			      n->slab_size * READ_ONCE(n->slabs_free), RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_SLAB_SIZE, n->slab_size, RMEM_A_PAD) ||
	    nla_put_u32(msg, RMEM_A_NODE_SLABS_USED, atomic_read(&n->slabs_used)) ||
	    nla_put_u64_64bit(msg, RMEM_A_NODE_LATENCY_NS,
			      atomic64_read(&n->srtt_ns), RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_NODE_ERRORS,
			      atomic64_read(&n->errors), RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_NODE_RECONNECTS,
			      atomic64_read(&n->reconnects), RMEM_A_PAD) ||
	    nla_put_u32(msg, RMEM_A_NODE_QUEUES, n->nr_queues) ||
	    nla_put_u64_64bit(msg, RMEM_A_NODE_READ_BYTES,
			      atomic64_read(&n->read_bytes), RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_NODE_WRITE_BYTES,
			      atomic64_read(&n->write_bytes), RMEM_A_PAD) ||
	    (READ_ONCE(n->draining) && nla_put_flag(msg, RMEM_A_NODE_DRAINING)) ||
	    (n->auth && nla_put_u64_64bit(msg, RMEM_A_NODE_KEY_ID, n->key_id, RMEM_A_PAD)) ||
	    (!n->auth && nla_put_flag(msg, RMEM_A_NODE_AUTH_NONE)))
		return -EMSGSIZE;
	return 0;
}

static int rmem_parse_addr(struct genl_info *info, struct sockaddr_storage *ss)
{
	struct nlattr *a = info->attrs[RMEM_A_NODE_ADDR];
	u16 port = RMEM_DEFAULT_PORT;

	if (info->attrs[RMEM_A_NODE_PORT])
		port = nla_get_u16(info->attrs[RMEM_A_NODE_PORT]);
	memset(ss, 0, sizeof(*ss));
	if (nla_len(a) == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = nla_get_in_addr(a);
		sin->sin_port = htons(port);
		if (ipv4_is_zeronet(sin->sin_addr.s_addr) ||
		    ipv4_is_multicast(sin->sin_addr.s_addr) ||
		    ipv4_is_lbcast(sin->sin_addr.s_addr)) {
			NL_SET_ERR_MSG_ATTR(info->extack, a, "not a unicast IPv4 address");
			return -EINVAL;
		}
	} else if (nla_len(a) == 16) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = nla_get_in6_addr(a);
		sin6->sin6_port = htons(port);
		if (ipv6_addr_any(&sin6->sin6_addr) ||
		    ipv6_addr_is_multicast(&sin6->sin6_addr)) {
			NL_SET_ERR_MSG_ATTR(info->extack, a, "not a unicast IPv6 address");
			return -EINVAL;
		}
	} else {
		NL_SET_ERR_MSG_ATTR(info->extack, a,
				    "address must be 4 (IPv4) or 16 (IPv6) bytes");
		return -EINVAL;
	}
	return 0;
}

static int rmem_cmd_node_add(struct sk_buff *skb, struct genl_info *info)
{
	enum rmem_transport want = RMEM_TRANSPORT_AUTO;
	unsigned int timeout = rmem_node_timeout_ms;
	struct rmem_node_auth_opts auth = {};
	struct sockaddr_storage ss;
	struct rmem_node *node;
	struct sk_buff *msg;
	void *hdr;
	u32 id;
	int ret;

	if (RMEM_REQUIRE(info, RMEM_A_NODE_ADDR, "missing node address (RMEM_A_NODE_ADDR)"))
		return -EINVAL;
	ret = rmem_parse_addr(info, &ss);
	if (ret)
		return ret;
	if (info->attrs[RMEM_A_NODE_TRANSPORT])
		want = nla_get_u8(info->attrs[RMEM_A_NODE_TRANSPORT]);
	if (info->attrs[RMEM_A_NODE_TIMEOUT_MS])
		timeout = nla_get_u32(info->attrs[RMEM_A_NODE_TIMEOUT_MS]);
	auth.none = nla_get_flag(info->attrs[RMEM_A_NODE_AUTH_NONE]);
	if (info->attrs[RMEM_A_NODE_KEY_ID]) {
		if (auth.none) {
			NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[RMEM_A_NODE_KEY_ID],
					    "a key and 'auth none' together: choose one");
			return -EINVAL;
		}
		auth.has_key_id = true;
		auth.key_id = nla_get_u64(info->attrs[RMEM_A_NODE_KEY_ID]);
	}

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	mutex_lock(&rmem_cfg_lock);
	node = rmem_node_add(&ss, want, timeout, &auth, info->extack);
	if (IS_ERR(node)) {
		mutex_unlock(&rmem_cfg_lock);
		nlmsg_free(msg);
		return PTR_ERR(node);
	}
	id = node->id;
	mutex_unlock(&rmem_cfg_lock);

	hdr = rmem_genl_put(msg, info, RMEM_CMD_NODE_ADD);
	if (!hdr || nla_put_u32(msg, RMEM_A_NODE_ID, id)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int rmem_cmd_node_del(struct sk_buff *skb, struct genl_info *info)
{
	struct rmem_node *node;
	const char *name;
	int ret;
	u32 id;

	if (RMEM_REQUIRE(info, RMEM_A_NODE_ID, "missing node id (RMEM_A_NODE_ID)"))
		return -EINVAL;
	id = nla_get_u32(info->attrs[RMEM_A_NODE_ID]);
	mutex_lock(&rmem_cfg_lock);
	node = rmem_node_find(id);
	name = node ? rmem_region_pub_on_node(node) : NULL;
	if (name) {
		/* Short: 6.3+ cut an extack format at 80 bytes. */
		NL_SET_ERR_MSG_FMT(info->extack, "region %s still uses its published copy here",
				   name);
		ret = -EBUSY;
	} else {
		ret = rmem_node_del(id, info->extack);
	}
	mutex_unlock(&rmem_cfg_lock);
	return ret;
}

static int rmem_cmd_node_get(struct sk_buff *skb, struct genl_info *info)
{
	struct rmem_node *node;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (RMEM_REQUIRE(info, RMEM_A_NODE_ID, "missing node id (RMEM_A_NODE_ID)"))
		return -EINVAL;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&rmem_cfg_lock);
	node = rmem_node_find(nla_get_u32(info->attrs[RMEM_A_NODE_ID]));
	if (!node) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[RMEM_A_NODE_ID], "no such node");
		ret = -ENOENT;
		goto out_unlock;
	}
	ret = -EMSGSIZE;
	hdr = rmem_genl_put(msg, info, RMEM_CMD_NODE_GET);
	if (!hdr || rmem_node_fill(msg, node))
		goto out_unlock;
	mutex_unlock(&rmem_cfg_lock);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_unlock:
	mutex_unlock(&rmem_cfg_lock);
	nlmsg_free(msg);
	return ret;
}

static int rmem_cmd_node_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long idx = 0, start = cb->args[0];
	struct rmem_node *node;
	void *hdr;

	mutex_lock(&rmem_cfg_lock);
	list_for_each_entry(node, &rmem_nodes, list) {
		if (idx++ < start)
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  &rmem_genl_family, NLM_F_MULTI, RMEM_CMD_NODE_GET);
		if (!hdr)
			break;
		if (rmem_node_fill(skb, node)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = idx;
	}
	mutex_unlock(&rmem_cfg_lock);
	return skb->len;
}

/* ---- regions ---- */

static int rmem_region_fill_mmap(struct sk_buff *msg, struct rmem_region *r)
{
	struct rmem_mmap_stats st;

	rmem_mmap_stats_get(r, &st);
	if (nla_put_u64_64bit(msg, RMEM_A_REGION_CHUNK_SIZE, st.chunk_size, RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_CACHE_SIZE, st.cache_size, RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_CACHED, st.cached, RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_FAULTS, st.faults, RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_FETCHES, st.fetches, RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_FETCH_ERRORS, st.fetch_errors, RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_EVICTIONS, st.evictions, RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_WRITEBACKS, st.writebacks, RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_WRITEBACK_ERRORS, st.writeback_errors,
			      RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_HOT, st.hot, RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_PMD_MAPS, st.pmd_maps, RMEM_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int rmem_region_fill_placement(struct sk_buff *msg, const struct rmem_region_usage *u)
{
	struct nlattr *nest, *one;
	unsigned int i;

	nest = nla_nest_start(msg, RMEM_A_REGION_PLACEMENT);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < u->nr_nodes; i++) {
		one = nla_nest_start(msg, i + 1);
		if (!one || nla_put_u32(msg, RMEM_A_NODE_ID, u->node_id[i]) ||
		    nla_put_u32(msg, RMEM_A_NODE_SLABS_USED, u->node_slabs[i]))
			return -EMSGSIZE;
		nla_nest_end(msg, one);
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int rmem_region_fill(struct sk_buff *msg, struct rmem_region *r)
{
	struct rmem_region_usage u;

	rmem_region_usage(r, &u);
	if (nla_put_u32(msg, RMEM_A_REGION_ID, r->id) ||
	    nla_put_string(msg, RMEM_A_REGION_NAME, r->name) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_SIZE, r->size, RMEM_A_PAD) ||
	    nla_put_u8(msg, RMEM_A_REGION_TYPE, r->type) ||
	    nla_put_string(msg, RMEM_A_REGION_DEVICE, r->device) ||
	    nla_put_u32(msg, RMEM_A_REGION_SLABS, atomic_read(&r->slabs)) ||
	    nla_put_u32(msg, RMEM_A_REGION_NODES, u.nr_nodes) ||
	    nla_put_u32(msg, RMEM_A_REGION_OPENERS, rmem_region_openers(r)) ||
	    nla_put_u64_64bit(msg, RMEM_A_SLAB_SIZE, r->slab_size, RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_READS, atomic64_read(&r->reads), RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_WRITES, atomic64_read(&r->writes), RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_READ_BYTES,
			      atomic64_read(&r->read_bytes), RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_WRITE_BYTES,
			      atomic64_read(&r->write_bytes), RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_DISCARDS,
			      atomic64_read(&r->discards), RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_ERRORS, atomic64_read(&r->errors), RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_CSUM_ERRORS, atomic64_read(&r->csum_errors),
			      RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_SAME_FILLED, atomic64_read(&r->same_filled),
			      RMEM_A_PAD) ||
	    nla_put_u8(msg, RMEM_A_REGION_REPLICAS, r->replicas) ||
	    (r->prealloc && nla_put_flag(msg, RMEM_A_REGION_PREALLOC)) ||
	    nla_put_u8(msg, RMEM_A_REGION_ENCRYPT, !!r->crypt) ||
	    (r->crypt && nla_put_string(msg, RMEM_A_REGION_CIPHER, rmem_crypt_driver(r->crypt))) ||
	    (r->publish && nla_put_flag(msg, RMEM_A_REGION_PUBLISH)) ||
	    (READ_ONCE(r->sealed) && nla_put_flag(msg, RMEM_A_REGION_SEALED)) ||
	    (r->attached && nla_put_flag(msg, RMEM_A_REGION_ATTACHED)) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_ALLOCATED, u.allocated, RMEM_A_PAD) ||
	    nla_put_u32(msg, RMEM_A_REGION_DEGRADED, u.degraded) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_REBUILDS, atomic64_read(&r->rebuilds),
			      RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_REBUILD_BYTES,
			      atomic64_read(&r->rebuild_bytes), RMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_DROPPED, atomic64_read(&r->dropped),
			      RMEM_A_PAD) ||
	    rmem_region_fill_placement(msg, &u))
		return -EMSGSIZE;
	return r->type == RMEM_REGION_MMAP ? rmem_region_fill_mmap(msg, r) : 0;
}

/*
 * A region's key (RMEM_A_KEY) into @key, if the request has one, wiped
 * from the request at once: not even an error ack echoing the request
 * carries it back. The caller wipes @key. Returns whether there was one.
 */
static bool rmem_genl_take_key(struct genl_info *info, u8 key[RMEM_KEY_LEN])
{
	struct nlattr *a = info->attrs[RMEM_A_KEY];

	if (!a)
		return false;
	memcpy(key, nla_data(a), RMEM_KEY_LEN);
	memzero_explicit(nla_data(a), RMEM_KEY_LEN);
	return true;
}

/* REGION_ADD, with @opts->key taken out of the request. */
static int rmem_region_add_do(struct genl_info *info, struct rmem_region_opts *opts)
{
	enum rmem_region_type type = RMEM_REGION_BLOCK;
	struct rmem_region *r;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (RMEM_REQUIRE(info, RMEM_A_REGION_NAME, "missing region name (RMEM_A_REGION_NAME)") ||
	    RMEM_REQUIRE(info, RMEM_A_REGION_SIZE, "missing region size (RMEM_A_REGION_SIZE)"))
		return -EINVAL;
	if (info->attrs[RMEM_A_REGION_TYPE])
		type = nla_get_u8(info->attrs[RMEM_A_REGION_TYPE]);
	if (info->attrs[RMEM_A_REGION_CHUNK_SIZE])
		opts->chunk = nla_get_u64(info->attrs[RMEM_A_REGION_CHUNK_SIZE]);
	if (info->attrs[RMEM_A_REGION_CACHE_SIZE])
		opts->cache = nla_get_u64(info->attrs[RMEM_A_REGION_CACHE_SIZE]);
	if (info->attrs[RMEM_A_REGION_REPLICAS])
		opts->replicas = nla_get_u8(info->attrs[RMEM_A_REGION_REPLICAS]);
	opts->prealloc = nla_get_flag(info->attrs[RMEM_A_REGION_PREALLOC]);
	if (info->attrs[RMEM_A_REGION_ENCRYPT])
		opts->encrypt = nla_get_u8(info->attrs[RMEM_A_REGION_ENCRYPT]) ?
			RMEM_CRYPT_ON : RMEM_CRYPT_OFF;
	opts->publish = nla_get_flag(info->attrs[RMEM_A_REGION_PUBLISH]);

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&rmem_cfg_lock);
	ret = rmem_region_add(nla_data(info->attrs[RMEM_A_REGION_NAME]),
			      nla_get_u64(info->attrs[RMEM_A_REGION_SIZE]), type, opts, &r,
			      info->extack);
	if (ret)
		goto out_unlock;
	ret = -EMSGSIZE;
	hdr = rmem_genl_put(msg, info, RMEM_CMD_REGION_ADD);
	if (!hdr || nla_put_u32(msg, RMEM_A_REGION_ID, r->id) ||
	    nla_put_string(msg, RMEM_A_REGION_DEVICE, r->device))
		goto out_unlock;	/* the region stays: it was created */
	mutex_unlock(&rmem_cfg_lock);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_unlock:
	mutex_unlock(&rmem_cfg_lock);
	nlmsg_free(msg);
	return ret;
}

static int rmem_cmd_region_add(struct sk_buff *skb, struct genl_info *info)
{
	struct rmem_region_opts opts = {};
	u8 key[RMEM_KEY_LEN];
	int ret;

	if (rmem_genl_take_key(info, key))
		opts.key = key;
	ret = rmem_region_add_do(info, &opts);
	memzero_explicit(key, sizeof(key));
	return ret;
}

static int rmem_cmd_region_del(struct sk_buff *skb, struct genl_info *info)
{
	int ret;

	if (RMEM_REQUIRE(info, RMEM_A_REGION_NAME, "missing region name (RMEM_A_REGION_NAME)"))
		return -EINVAL;
	mutex_lock(&rmem_cfg_lock);
	ret = rmem_region_del(nla_data(info->attrs[RMEM_A_REGION_NAME]),
			      nla_get_flag(info->attrs[RMEM_A_REGION_PURGE]), info->extack);
	mutex_unlock(&rmem_cfg_lock);
	return ret;
}

static int rmem_cmd_region_seal(struct sk_buff *skb, struct genl_info *info)
{
	int ret;

	if (RMEM_REQUIRE(info, RMEM_A_REGION_NAME, "missing region name (RMEM_A_REGION_NAME)"))
		return -EINVAL;
	mutex_lock(&rmem_cfg_lock);
	ret = rmem_region_seal(nla_data(info->attrs[RMEM_A_REGION_NAME]), info->extack);
	mutex_unlock(&rmem_cfg_lock);
	return ret;
}

/* REGION_ATTACH, with the region's @key (or NULL) taken out of the request. */
static int rmem_region_attach_do(struct genl_info *info, const u8 *key)
{
	enum rmem_region_type type = RMEM_REGION_MMAP;
	struct nlattr *ids = info->attrs[RMEM_A_REGION_NODE_IDS];
	u32 node_ids[RMEM_ATTACH_MAX_NODES];
	unsigned int nr_ids = 0;
	u64 chunk = 0, cache = 0;
	struct rmem_region *r;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (RMEM_REQUIRE(info, RMEM_A_REGION_NAME, "missing region name (RMEM_A_REGION_NAME)"))
		return -EINVAL;
	if (info->attrs[RMEM_A_REGION_TYPE])
		type = nla_get_u8(info->attrs[RMEM_A_REGION_TYPE]);
	if (info->attrs[RMEM_A_REGION_CHUNK_SIZE])
		chunk = nla_get_u64(info->attrs[RMEM_A_REGION_CHUNK_SIZE]);
	if (info->attrs[RMEM_A_REGION_CACHE_SIZE])
		cache = nla_get_u64(info->attrs[RMEM_A_REGION_CACHE_SIZE]);
	if (ids) {
		if (nla_len(ids) % sizeof(u32)) {
			NL_SET_ERR_MSG_ATTR(info->extack, ids, "node ids: a whole number of u32");
			return -EINVAL;
		}
		nr_ids = nla_len(ids) / sizeof(u32);
		memcpy(node_ids, nla_data(ids), nla_len(ids));
	}

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&rmem_cfg_lock);
	ret = rmem_region_attach(nla_data(info->attrs[RMEM_A_REGION_NAME]), type,
				 nr_ids ? node_ids : NULL, nr_ids, chunk, cache, key, &r,
				 info->extack);
	if (ret)
		goto out_unlock;
	ret = -EMSGSIZE;
	hdr = rmem_genl_put(msg, info, RMEM_CMD_REGION_ATTACH);
	if (!hdr || nla_put_u32(msg, RMEM_A_REGION_ID, r->id) ||
	    nla_put_string(msg, RMEM_A_REGION_DEVICE, r->device) ||
	    nla_put_u64_64bit(msg, RMEM_A_REGION_SIZE, r->size, RMEM_A_PAD))
		goto out_unlock;	/* the region stays: it was attached */
	mutex_unlock(&rmem_cfg_lock);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_unlock:
	mutex_unlock(&rmem_cfg_lock);
	nlmsg_free(msg);
	return ret;
}

static int rmem_cmd_region_attach(struct sk_buff *skb, struct genl_info *info)
{
	u8 key[RMEM_KEY_LEN];
	int ret;

	ret = rmem_region_attach_do(info, rmem_genl_take_key(info, key) ? key : NULL);
	memzero_explicit(key, sizeof(key));
	return ret;
}

static int rmem_cmd_region_get(struct sk_buff *skb, struct genl_info *info)
{
	struct rmem_region *r;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (RMEM_REQUIRE(info, RMEM_A_REGION_NAME, "missing region name (RMEM_A_REGION_NAME)"))
		return -EINVAL;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&rmem_cfg_lock);
	r = rmem_region_find(nla_data(info->attrs[RMEM_A_REGION_NAME]));
	if (!r) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[RMEM_A_REGION_NAME],
				    "no such region");
		ret = -ENOENT;
		goto out_unlock;
	}
	ret = -EMSGSIZE;
	hdr = rmem_genl_put(msg, info, RMEM_CMD_REGION_GET);
	if (!hdr || rmem_region_fill(msg, r))
		goto out_unlock;
	mutex_unlock(&rmem_cfg_lock);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_unlock:
	mutex_unlock(&rmem_cfg_lock);
	nlmsg_free(msg);
	return ret;
}

static int rmem_cmd_region_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long idx = 0, start = cb->args[0];
	struct rmem_region *r;
	void *hdr;

	mutex_lock(&rmem_cfg_lock);
	list_for_each_entry(r, &rmem_regions, list) {
		if (idx++ < start)
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  &rmem_genl_family, NLM_F_MULTI, RMEM_CMD_REGION_GET);
		if (!hdr)
			break;
		if (rmem_region_fill(skb, r)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = idx;
	}
	mutex_unlock(&rmem_cfg_lock);
	return skb->len;
}

static int rmem_cmd_node_drain(struct sk_buff *skb, struct genl_info *info)
{
	int ret;

	if (RMEM_REQUIRE(info, RMEM_A_NODE_ID, "missing node id (RMEM_A_NODE_ID)"))
		return -EINVAL;
	mutex_lock(&rmem_cfg_lock);
	ret = rmem_node_drain(nla_get_u32(info->attrs[RMEM_A_NODE_ID]), info->extack);
	mutex_unlock(&rmem_cfg_lock);
	return ret;
}

/* ---- keys ---- */

static int rmem_cmd_key_add(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	u64 id;
	int ret;

	if (RMEM_REQUIRE(info, RMEM_A_KEY, "missing key (RMEM_A_KEY)"))
		return -EINVAL;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&rmem_cfg_lock);
	ret = rmem_auth_key_add(nla_data(info->attrs[RMEM_A_KEY]), &id, info->extack);
	mutex_unlock(&rmem_cfg_lock);
	/* Not even an error ack echoing the request carries the key back. */
	memzero_explicit(nla_data(info->attrs[RMEM_A_KEY]), RMEM_KEY_LEN);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	hdr = rmem_genl_put(msg, info, RMEM_CMD_KEY_ADD);
	if (!hdr || nla_put_u64_64bit(msg, RMEM_A_KEY_ID, id, RMEM_A_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;	/* the key stays: it was installed */
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int rmem_cmd_key_del(struct sk_buff *skb, struct genl_info *info)
{
	int ret;

	if (RMEM_REQUIRE(info, RMEM_A_KEY_ID, "missing key id (RMEM_A_KEY_ID)"))
		return -EINVAL;
	mutex_lock(&rmem_cfg_lock);
	ret = rmem_auth_key_del(nla_get_u64(info->attrs[RMEM_A_KEY_ID]), info->extack);
	mutex_unlock(&rmem_cfg_lock);
	return ret;
}

static int rmem_cmd_key_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned int idx = cb->args[0];
	void *hdr;
	u64 id;

	mutex_lock(&rmem_cfg_lock);
	for (; rmem_auth_key_nth(idx, &id); idx++) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  &rmem_genl_family, NLM_F_MULTI, RMEM_CMD_KEY_GET);
		if (!hdr)
			break;
		if (nla_put_u64_64bit(skb, RMEM_A_KEY_ID, id, RMEM_A_PAD) ||
		    nla_put_u32(skb, RMEM_A_KEY_NODES, rmem_node_key_users(id))) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	cb->args[0] = idx;
	mutex_unlock(&rmem_cfg_lock);
	return skb->len;
}

static const struct genl_ops rmem_genl_ops[] = {
	{
		.cmd = RMEM_CMD_GET_VERSION,
		.doit = rmem_cmd_get_version,
	},
	{
		.cmd = RMEM_CMD_GET_STATUS,
		.doit = rmem_cmd_get_status,
	},
	{
		.cmd = RMEM_CMD_NODE_ADD,
		.doit = rmem_cmd_node_add,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RMEM_CMD_NODE_DEL,
		.doit = rmem_cmd_node_del,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RMEM_CMD_NODE_GET,
		.doit = rmem_cmd_node_get,
		.dumpit = rmem_cmd_node_dump,
	},
	{
		.cmd = RMEM_CMD_REGION_ADD,
		.doit = rmem_cmd_region_add,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RMEM_CMD_REGION_DEL,
		.doit = rmem_cmd_region_del,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RMEM_CMD_REGION_GET,
		.doit = rmem_cmd_region_get,
		.dumpit = rmem_cmd_region_dump,
	},
	{
		.cmd = RMEM_CMD_NODE_DRAIN,
		.doit = rmem_cmd_node_drain,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RMEM_CMD_KEY_ADD,
		.doit = rmem_cmd_key_add,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RMEM_CMD_KEY_DEL,
		.doit = rmem_cmd_key_del,
		.flags = GENL_ADMIN_PERM,
	},
	{
		/* Dump only; admin only as well: key ids say which keys exist. */
		.cmd = RMEM_CMD_KEY_GET,
		.dumpit = rmem_cmd_key_dump,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RMEM_CMD_REGION_SEAL,
		.doit = rmem_cmd_region_seal,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RMEM_CMD_REGION_ATTACH,
		.doit = rmem_cmd_region_attach,
		.flags = GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group rmem_genl_mcgrps[] = {
	{ .name = RMEM_MCGRP_EVENTS },
};

static struct genl_family rmem_genl_family __ro_after_init = {
	.name = RMEM_GENL_NAME,
	.mcgrps = rmem_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(rmem_genl_mcgrps),
	.version = RMEM_GENL_VERSION,
	.maxattr = RMEM_A_MAX,
	.policy = rmem_policy,
	.module = THIS_MODULE,
	.ops = rmem_genl_ops,
	.n_ops = ARRAY_SIZE(rmem_genl_ops),
	.resv_start_op = RMEM_CMD_REGION_GET + 1,
	/*
	 * rmem_cfg_lock serialises every op and dump: a node add that waits
	 * on the network must not hold genl_mutex, which every other
	 * non-parallel family (nlctrl included) needs.
	 */
	.parallel_ops = true,
};

/* ---- events: the "events" multicast group (rmemctl monitor) ---- */

/*
 * Events happen in any context (a node's state changes under its spinlock,
 * from a completion): each is queued here and sent from a work item. At
 * most RMEM_EVENTS_MAX wait; more are counted as lost and the count goes
 * out with the next one.
 */
#define RMEM_EVENTS_MAX	256

struct rmem_event_msg {
	struct list_head list;
	u8 type;
	bool has_node, has_region;
	u8 old_state, new_state;
	u32 node_id, region_id, degraded, len, err;
	u64 pos;
	char name[RMEM_REGION_NAME_MAX];
};

static LIST_HEAD(rmem_events);
static DEFINE_SPINLOCK(rmem_events_lock);
static unsigned int rmem_events_queued;
static bool rmem_events_on;
static u32 rmem_events_lost;

static int rmem_event_fill(struct sk_buff *msg, const struct rmem_event_msg *ev, u32 lost)
{
	if (nla_put_u8(msg, RMEM_A_EVENT, ev->type) ||
	    (lost && nla_put_u32(msg, RMEM_A_EVENT_LOST, lost)) ||
	    (ev->has_node && nla_put_u32(msg, RMEM_A_NODE_ID, ev->node_id)) ||
	    (ev->has_region && (nla_put_u32(msg, RMEM_A_REGION_ID, ev->region_id) ||
				nla_put_string(msg, RMEM_A_REGION_NAME, ev->name))))
		return -EMSGSIZE;
	switch (ev->type) {
	case RMEM_EVENT_NODE_STATE:
		if (nla_put_u8(msg, RMEM_A_EVENT_OLD_STATE, ev->old_state) ||
		    nla_put_u8(msg, RMEM_A_NODE_STATE, ev->new_state))
			return -EMSGSIZE;
		break;
	case RMEM_EVENT_REGION_DEGRADED:
		if (nla_put_u32(msg, RMEM_A_REGION_DEGRADED, ev->degraded))
			return -EMSGSIZE;
		break;
	case RMEM_EVENT_IO_ERROR:
	case RMEM_EVENT_CSUM_ERROR:
		if (nla_put_u64_64bit(msg, RMEM_A_EVENT_POS, ev->pos, RMEM_A_PAD) ||
		    nla_put_u32(msg, RMEM_A_EVENT_LEN, ev->len) ||
		    (ev->type == RMEM_EVENT_IO_ERROR &&
		     nla_put_u32(msg, RMEM_A_EVENT_ERRNO, ev->err)))
			return -EMSGSIZE;
		break;
	}
	return 0;
}

static void rmem_events_send(struct work_struct *work)
{
	struct rmem_event_msg *ev, *tmp;
	unsigned int noio;
	unsigned long flags;
	struct sk_buff *msg;
	LIST_HEAD(list);
	u32 lost;
	void *hdr;

	/* The module may be the swap device: no reclaim that waits on it. */
	noio = memalloc_noio_save();
	spin_lock_irqsave(&rmem_events_lock, flags);
	list_splice_init(&rmem_events, &list);
	rmem_events_queued = 0;
	spin_unlock_irqrestore(&rmem_events_lock, flags);

	list_for_each_entry_safe(ev, tmp, &list, list) {
		list_del(&ev->list);
		spin_lock_irqsave(&rmem_events_lock, flags);
		lost = rmem_events_lost;
		rmem_events_lost = 0;
		spin_unlock_irqrestore(&rmem_events_lock, flags);
		msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_NOIO);
		hdr = msg ? genlmsg_put(msg, 0, 0, &rmem_genl_family, 0, RMEM_CMD_EVENT) : NULL;
		if (!hdr || rmem_event_fill(msg, ev, lost)) {
			nlmsg_free(msg);
			spin_lock_irqsave(&rmem_events_lock, flags);
			rmem_events_lost += lost + 1;
			spin_unlock_irqrestore(&rmem_events_lock, flags);
		} else {
			genlmsg_end(msg, hdr);
			/* -ESRCH: nobody listens any more. */
			genlmsg_multicast(&rmem_genl_family, msg, 0, 0, GFP_NOIO);
		}
		kfree(ev);
	}
	memalloc_noio_restore(noio);
}

static DECLARE_WORK(rmem_events_work, rmem_events_send);

/* Queue @tmpl (copied). Any context. */
static void rmem_event_queue(const struct rmem_event_msg *tmpl)
{
	struct rmem_event_msg *ev;
	unsigned long flags;

	if (!READ_ONCE(rmem_events_on) ||
	    !genl_has_listeners(&rmem_genl_family, &init_net, 0))
		return;
	ev = kmemdup(tmpl, sizeof(*tmpl), GFP_ATOMIC | __GFP_NOWARN);
	spin_lock_irqsave(&rmem_events_lock, flags);
	if (!rmem_events_on || !ev || rmem_events_queued >= RMEM_EVENTS_MAX) {
		rmem_events_lost++;
		spin_unlock_irqrestore(&rmem_events_lock, flags);
		kfree(ev);
		return;
	}
	list_add_tail(&ev->list, &rmem_events);
	rmem_events_queued++;
	queue_work(rmem_wq, &rmem_events_work);
	spin_unlock_irqrestore(&rmem_events_lock, flags);
}

/**
 * rmem_event_node_state() - tell listeners a node changed state
 * @node: the node
 * @old: its state before
 * @state: its state now
 *
 * Context: any.
 */
void rmem_event_node_state(struct rmem_node *node, enum rmem_node_state old,
			   enum rmem_node_state state)
{
	struct rmem_event_msg ev = {
		.type = RMEM_EVENT_NODE_STATE,
		.has_node = true,
		.node_id = node->id,
		.old_state = old,
		.new_state = state,
	};

	rmem_event_queue(&ev);
}

/**
 * rmem_event_region() - tell listeners about a region
 * @r: the region
 * @type: RMEM_EVENT_REGION_DEGRADED, _REBUILT, _IO_ERROR or _CSUM_ERROR
 * @node: the node concerned (CSUM_ERROR), or NULL
 * @pos: byte offset (IO_ERROR, CSUM_ERROR)
 * @len: bytes (IO_ERROR, CSUM_ERROR)
 * @val: DEGRADED: extents short of copies; IO_ERROR: the -errno
 *
 * Context: any.
 */
void rmem_event_region(struct rmem_region *r, enum rmem_event type, struct rmem_node *node,
		       u64 pos, u32 len, int val)
{
	struct rmem_event_msg ev = {
		.type = type,
		.has_region = true,
		.region_id = r->id,
		.has_node = node,
		.node_id = node ? node->id : 0,
		.pos = pos,
		.len = len,
		.degraded = type == RMEM_EVENT_REGION_DEGRADED ? val : 0,
		.err = type == RMEM_EVENT_IO_ERROR ? -val : 0,
	};

	strscpy(ev.name, r->name, sizeof(ev.name));
	rmem_event_queue(&ev);
}

/**
 * rmem_genl_init() - register the "rmem" generic netlink family
 *
 * Return: 0 or -errno.
 */
int __init rmem_genl_init(void)
{
	int ret = genl_register_family(&rmem_genl_family);

	if (!ret)
		WRITE_ONCE(rmem_events_on, true);
	return ret;
}

/**
 * rmem_genl_exit() - unregister the family; no handler runs after this
 */
void rmem_genl_exit(void)
{
	struct rmem_event_msg *ev, *tmp;
	unsigned long flags;

	spin_lock_irqsave(&rmem_events_lock, flags);
	WRITE_ONCE(rmem_events_on, false);
	spin_unlock_irqrestore(&rmem_events_lock, flags);
	cancel_work_sync(&rmem_events_work);
	list_for_each_entry_safe(ev, tmp, &rmem_events, list)
		kfree(ev);
	INIT_LIST_HEAD(&rmem_events);
	genl_unregister_family(&rmem_genl_family);
}
