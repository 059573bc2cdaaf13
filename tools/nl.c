// SPDX-License-Identifier: GPL-2.0
/*
 * rmemctl: generic netlink transport to the "rmem" family (libnl-genl-3).
 *
 * One request at a time: rm_nl_msg() builds it, rm_nl_exec() sends it and
 * receives until the kernel's ACK, error or end of dump, handing each reply
 * message's attributes (checked against a reply policy, so a short or
 * unterminated attribute never reaches a command) to a callback.
 *
 * libnl 3.7 (Debian 12) has no extack API: the socket gets NETLINK_EXT_ACK
 * and NETLINK_CAP_ACK by setsockopt, and the error/done handlers dig the
 * NLMSGERR_ATTR_MSG string out of the message themselves.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "rmemctl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* What a reply attribute must look like; anything else fails the reply. */
static struct nla_policy rm_reply_policy[RMEM_A_MAX + 1] = {
	[RMEM_A_VERSION]		= { .type = NLA_STRING, .maxlen = 256 },
	[RMEM_A_API_VERSION]		= { .type = NLA_U32 },
	[RMEM_A_FEATURES]		= { .type = NLA_U64 },
	[RMEM_A_NR_NODES]		= { .type = NLA_U32 },
	[RMEM_A_NR_REGIONS]		= { .type = NLA_U32 },
	[RMEM_A_SLAB_SIZE]		= { .type = NLA_U64 },
	[RMEM_A_NODE_ID]		= { .type = NLA_U32 },
	[RMEM_A_NODE_ADDR]		= { .type = NLA_UNSPEC, .minlen = 4, .maxlen = 16 },
	[RMEM_A_NODE_PORT]		= { .type = NLA_U16 },
	[RMEM_A_NODE_TRANSPORT]		= { .type = NLA_U8 },
	[RMEM_A_NODE_TRANSPORT_USED]	= { .type = NLA_U8 },
	[RMEM_A_NODE_TIMEOUT_MS]	= { .type = NLA_U32 },
	[RMEM_A_NODE_STATE]		= { .type = NLA_U8 },
	[RMEM_A_NODE_CAPACITY]		= { .type = NLA_U64 },
	[RMEM_A_NODE_FREE]		= { .type = NLA_U64 },
	[RMEM_A_NODE_SLABS_USED]	= { .type = NLA_U32 },
	[RMEM_A_NODE_LATENCY_NS]	= { .type = NLA_U64 },
	[RMEM_A_NODE_ERRORS]		= { .type = NLA_U64 },
	[RMEM_A_NODE_RECONNECTS]	= { .type = NLA_U64 },
	[RMEM_A_NODE_QUEUES]		= { .type = NLA_U32 },
	[RMEM_A_NODE_READ_BYTES]	= { .type = NLA_U64 },
	[RMEM_A_NODE_WRITE_BYTES]	= { .type = NLA_U64 },
	[RMEM_A_REGION_ID]		= { .type = NLA_U32 },
	[RMEM_A_REGION_NAME]		= { .type = NLA_STRING, .maxlen = RMEM_REGION_NAME_MAX },
	[RMEM_A_REGION_SIZE]		= { .type = NLA_U64 },
	[RMEM_A_REGION_TYPE]		= { .type = NLA_U8 },
	[RMEM_A_REGION_DEVICE]		= { .type = NLA_STRING, .maxlen = 64 },
	[RMEM_A_REGION_SLABS]		= { .type = NLA_U32 },
	[RMEM_A_REGION_NODES]		= { .type = NLA_U32 },
	[RMEM_A_REGION_OPENERS]		= { .type = NLA_U32 },
	[RMEM_A_REGION_READS]		= { .type = NLA_U64 },
	[RMEM_A_REGION_WRITES]		= { .type = NLA_U64 },
	[RMEM_A_REGION_READ_BYTES]	= { .type = NLA_U64 },
	[RMEM_A_REGION_WRITE_BYTES]	= { .type = NLA_U64 },
	[RMEM_A_REGION_DISCARDS]	= { .type = NLA_U64 },
	[RMEM_A_REGION_ERRORS]		= { .type = NLA_U64 },
	[RMEM_A_REGION_CSUM_ERRORS]	= { .type = NLA_U64 },
	[RMEM_A_REGION_CHUNK_SIZE]	= { .type = NLA_U64 },
	[RMEM_A_REGION_CACHE_SIZE]	= { .type = NLA_U64 },
	[RMEM_A_REGION_CACHED]		= { .type = NLA_U64 },
	[RMEM_A_REGION_FAULTS]		= { .type = NLA_U64 },
	[RMEM_A_REGION_FETCHES]		= { .type = NLA_U64 },
	[RMEM_A_REGION_FETCH_ERRORS]	= { .type = NLA_U64 },
	[RMEM_A_REGION_EVICTIONS]	= { .type = NLA_U64 },
	[RMEM_A_REGION_WRITEBACKS]	= { .type = NLA_U64 },
	[RMEM_A_REGION_WRITEBACK_ERRORS] = { .type = NLA_U64 },
	[RMEM_A_REGION_HOT]		= { .type = NLA_U64 },
	[RMEM_A_REGION_PMD_MAPS]	= { .type = NLA_U64 },
	[RMEM_A_REGION_REPLICAS]	= { .type = NLA_U8 },
	[RMEM_A_REGION_PREALLOC]	= { .type = NLA_FLAG },
	[RMEM_A_REGION_ENCRYPT]		= { .type = NLA_U8 },
	[RMEM_A_REGION_CIPHER]		= { .type = NLA_STRING, .maxlen = 128 },
	[RMEM_A_REGION_ALLOCATED]	= { .type = NLA_U64 },
	[RMEM_A_REGION_DEGRADED]	= { .type = NLA_U32 },
	[RMEM_A_REGION_REBUILDS]	= { .type = NLA_U64 },
	[RMEM_A_REGION_REBUILD_BYTES]	= { .type = NLA_U64 },
	[RMEM_A_REGION_DROPPED]		= { .type = NLA_U64 },
	[RMEM_A_REGION_PLACEMENT]	= { .type = NLA_NESTED },
	[RMEM_A_NODE_DRAINING]		= { .type = NLA_FLAG },
	[RMEM_A_KEY_ID]			= { .type = NLA_U64 },
	[RMEM_A_KEY_NODES]		= { .type = NLA_U32 },
	[RMEM_A_NODE_KEY_ID]		= { .type = NLA_U64 },
	[RMEM_A_NODE_AUTH_NONE]		= { .type = NLA_FLAG },
	[RMEM_A_EVENT]			= { .type = NLA_U8 },
	[RMEM_A_EVENT_OLD_STATE]	= { .type = NLA_U8 },
	[RMEM_A_EVENT_POS]		= { .type = NLA_U64 },
	[RMEM_A_EVENT_LEN]		= { .type = NLA_U32 },
	[RMEM_A_EVENT_ERRNO]		= { .type = NLA_U32 },
	[RMEM_A_EVENT_LOST]		= { .type = NLA_U32 },
	[RMEM_A_REGION_SAME_FILLED]	= { .type = NLA_U64 },
	[RMEM_A_REGION_PUBLISH]		= { .type = NLA_FLAG },
	[RMEM_A_REGION_SEALED]		= { .type = NLA_FLAG },
	[RMEM_A_REGION_ATTACHED]	= { .type = NLA_FLAG },
};

/**
 * rm_nl_parse_nested() - a nested attribute's members, checked as a reply's
 * @tb: RMEM_A_MAX + 1 entries, filled
 * @nest: the nest
 *
 * Return: 0, or -EBADMSG when a member breaks the reply policy.
 */
int rm_nl_parse_nested(struct nlattr **tb, struct nlattr *nest)
{
	return nla_parse_nested(tb, RMEM_A_MAX, nest, rm_reply_policy) ? -EBADMSG : 0;
}

/* A libnl error code as the closest errno, for one error path. */
static int nl_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_AGAIN:
	case NLE_DUMP_INTR:
		return -EAGAIN;
	case NLE_INVAL:
	case NLE_MSG_TRUNC:
	case NLE_MSG_TOOSHORT:
	case NLE_RANGE:
		return -EBADMSG;
	case NLE_NOADDR:
	case NLE_AF_NOSUPPORT:
	case NLE_PROTO_MISMATCH:
		return -EPROTONOSUPPORT;
	default:
		return -EIO;
	}
}

/**
 * rm_nl_open() - connect to generic netlink and resolve the "rmem" family
 * @nl: zeroed state
 *
 * Return: 0; -ENOENT when the family is not registered (the module is not
 * loaded); another -errno otherwise, with a detail in @nl->extack.
 */
int rm_nl_open(struct rm_nl *nl)
{
	int one = 1, ret;

	nl->extack[0] = '\0';
	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return -ENOMEM;
	ret = genl_connect(nl->sk);
	if (ret < 0)
		goto out_detail;
	/* Old kernels lack these: then errors simply come without text. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	ret = genl_ctrl_resolve(nl->sk, RMEM_GENL_NAME);
	if (ret < 0)
		goto out_detail;
	nl->family = ret;
	return 0;

out_detail:
	snprintf(nl->extack, sizeof(nl->extack), "generic netlink: %s", nl_geterror(ret));
	rm_nl_close(nl);
	return nl_to_errno(ret);
}

/** rm_nl_close() - free the socket; safe to call twice */
void rm_nl_close(struct rm_nl *nl)
{
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

/**
 * rm_nl_msg() - start a request of the "rmem" family
 * @nl: an open family
 * @cmd: RMEM_CMD_*
 * @dump: a dump (NLM_F_DUMP) instead of a do request (NLM_F_ACK)
 *
 * Return: the message, to be filled with nla_put_*() and given to
 * rm_nl_exec(); NULL when out of memory.
 */
struct nl_msg *rm_nl_msg(struct rm_nl *nl, uint8_t cmd, bool dump)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 dump ? NLM_F_DUMP : NLM_F_ACK, cmd, RMEM_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/**
 * rm_nl_parse_reply() - check and index the attributes of one reply
 * @payload: the attributes (after the genl header)
 * @len: their length
 * @tb: RMEM_A_MAX + 1 slots, filled (NULL where absent)
 *
 * Return: 0, or -EBADMSG when an attribute breaks the reply policy.
 */
int rm_nl_parse_reply(void *payload, int len, struct nlattr **tb)
{
	return nla_parse(tb, RMEM_A_MAX, payload, len, rm_reply_policy) ? -EBADMSG : 0;
}

/* The NLMSGERR_ATTR_MSG at @tlv (of @len bytes), copied into nl->extack. */
static void extack_parse(struct rm_nl *nl, void *tlv, int len)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	int n;

	if (len <= 0 || nla_parse(tb, NLMSGERR_ATTR_MAX, tlv, len, NULL) ||
	    !tb[NLMSGERR_ATTR_MSG])
		return;
	n = nla_len(tb[NLMSGERR_ATTR_MSG]);
	if (n >= (int)sizeof(nl->extack))
		n = (int)sizeof(nl->extack) - 1;
	memcpy(nl->extack, nla_data(tb[NLMSGERR_ATTR_MSG]), (size_t)n);
	nl->extack[n] = '\0';
	/* Drop the trailing NUL and newline the kernel may include. */
	while (n && (nl->extack[n - 1] == '\0' || nl->extack[n - 1] == '\n'))
		nl->extack[--n] = '\0';
}

/**
 * rm_nl_extack() - copy the extack message of an ERROR or DONE message
 * @nl: its extack[] receives NLMSGERR_ATTR_MSG, when there is one
 * @nlh: a message of at least NLMSG_HDRLEN bytes, nlmsg_len of them
 *       readable (as libnl guarantees for what it receives)
 *
 * NLMSG_ERROR (also a plain ACK): struct nlmsgerr, then the request unless
 * NLM_F_CAPPED, then the TLVs if NLM_F_ACK_TLVS. NLMSG_DONE of a dump: an
 * int, then the TLVs if NLM_F_ACK_TLVS.
 */
void rm_nl_extack(struct rm_nl *nl, struct nlmsghdr *nlh)
{
	int plen = (int)nlh->nlmsg_len - NLMSG_HDRLEN, hlen;
	char *payload = nlmsg_data(nlh);

	if (nlh->nlmsg_len < NLMSG_HDRLEN || !(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (nlh->nlmsg_type == NLMSG_DONE) {
		hlen = (int)sizeof(int);
	} else if (nlh->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr e;

		hlen = (int)sizeof(e);
		if (plen < hlen)
			return;
		memcpy(&e, payload, sizeof(e));
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			if (e.msg.nlmsg_len < NLMSG_HDRLEN ||
			    e.msg.nlmsg_len - NLMSG_HDRLEN > (unsigned int)(plen - hlen))
				return;
			hlen += (int)(e.msg.nlmsg_len - NLMSG_HDRLEN);
		}
	} else {
		return;
	}
	hlen = NLMSG_ALIGN(hlen);
	if (hlen < plen)
		extack_parse(nl, payload + hlen, plen - hlen);
}

struct rm_exec {
	struct rm_nl *nl;
	rm_reply_fn fn;
	void *arg;
	int err;
	bool done;
};

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct rm_exec *st = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[RMEM_A_MAX + 1];
	int ret;

	if (st->err || !st->fn)
		return NL_SKIP;		/* not wanted, or draining after a failure */
	if (!genlmsg_valid_hdr(nlh, 0)) {
		st->err = -EBADMSG;
		return NL_SKIP;
	}
	ret = rm_nl_parse_reply(genlmsg_attrdata(nlmsg_data(nlh), 0),
				genlmsg_attrlen(nlmsg_data(nlh), 0), tb);
	if (!ret)
		ret = st->fn(tb, st->arg);
	if (ret < 0)
		st->err = ret;
	return NL_OK;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct rm_exec *st = arg;

	/* A warning may ride on a successful ACK. */
	rm_nl_extack(st->nl, nlmsg_hdr(msg));
	if (st->nl->extack[0])
		fprintf(stderr, "rmemctl: warning: %s\n", st->nl->extack);
	st->nl->extack[0] = '\0';
	st->done = true;
	return NL_STOP;
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct rm_exec *st = arg;

	(void)who;
	rm_nl_extack(st->nl, nlh);
	st->err = e->error < 0 ? e->error : -EIO;
	st->done = true;
	return NL_STOP;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct rm_exec *st = arg;
	int plen = (int)nlh->nlmsg_len - NLMSG_HDRLEN, derr;

	/* NLMSG_DONE of a dump: an int error, then maybe extack TLVs. */
	if (plen >= (int)sizeof(int)) {
		memcpy(&derr, nlmsg_data(nlh), sizeof(derr));
		if (derr < 0 && !st->err)
			st->err = derr;
	}
	rm_nl_extack(st->nl, nlh);
	st->done = true;
	return NL_STOP;
}

/**
 * rm_nl_msg_free() - free a request not sent, wiped first (it may carry a key)
 * @msg: from rm_nl_msg()
 */
void rm_nl_msg_free(struct nl_msg *msg)
{
	explicit_bzero(nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);
	nlmsg_free(msg);
}

/**
 * rm_nl_exec() - send a request and receive its replies
 * @nl: an open family
 * @msg: from rm_nl_msg(); always consumed, and wiped first (it may carry a key)
 * @fn: called for each reply message (may be NULL); a negative return
 *      fails the request with that value
 * @arg: for @fn
 *
 * Return: 0 or -errno (the kernel's, or @fn's); on a kernel error its
 * extack message, if any, is in @nl->extack.
 */
int rm_nl_exec(struct rm_nl *nl, struct nl_msg *msg, rm_reply_fn fn, void *arg)
{
	struct rm_exec st = { .nl = nl, .fn = fn, .arg = arg };
	struct nl_cb *cb, *orig;
	int ret;

	nl->extack[0] = '\0';
	orig = nl_socket_get_cb(nl->sk);	/* takes a reference */
	cb = nl_cb_clone(orig);
	nl_cb_put(orig);
	if (!cb) {
		rm_nl_msg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &st);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &st);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &st);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &st);

	ret = nl_send_auto(nl->sk, msg);
	/* A request may carry a key (KEY_ADD, a region's): leave no copy behind. */
	rm_nl_msg_free(msg);
	if (ret < 0) {
		st.err = nl_to_errno(ret);
		goto out;
	}
	while (!st.done) {
		ret = nl_recvmsgs(nl->sk, cb);
		if (ret < 0 && !st.done) {
			if (!st.err)
				st.err = nl_to_errno(ret);
			if (ret == -NLE_DUMP_INTR)
				snprintf(nl->extack, sizeof(nl->extack),
					 "the list changed while it was read, try again");
			break;
		}
	}
out:
	nl_cb_put(cb);
	return st.err;
}

static struct nlattr *attr(struct nlattr **tb, int type)
{
	return type >= 0 && type <= RMEM_A_MAX ? tb[type] : NULL;
}

/** rm_attr_u64() - read a u64 attribute; false (and *v untouched) if absent */
bool rm_attr_u64(struct nlattr **tb, int type, uint64_t *v)
{
	struct nlattr *a = attr(tb, type);

	if (a)
		*v = nla_get_u64(a);
	return a;
}

/** rm_attr_u32() - read a u32 attribute; false if absent */
bool rm_attr_u32(struct nlattr **tb, int type, uint64_t *v)
{
	struct nlattr *a = attr(tb, type);

	if (a)
		*v = nla_get_u32(a);
	return a;
}

/** rm_attr_u16() - read a u16 attribute; false if absent */
bool rm_attr_u16(struct nlattr **tb, int type, uint64_t *v)
{
	struct nlattr *a = attr(tb, type);

	if (a)
		*v = nla_get_u16(a);
	return a;
}

/** rm_attr_u8() - read a u8 attribute; false if absent */
bool rm_attr_u8(struct nlattr **tb, int type, uint64_t *v)
{
	struct nlattr *a = attr(tb, type);

	if (a)
		*v = nla_get_u8(a);
	return a;
}

/** rm_attr_str() - a string attribute (NUL-terminated by policy), or NULL */
const char *rm_attr_str(struct nlattr **tb, int type)
{
	struct nlattr *a = attr(tb, type);

	return a ? nla_get_string(a) : NULL;
}
