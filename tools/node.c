// SPDX-License-Identifier: GPL-2.0
/*
 * rmemctl node: memory nodes (RMEM_CMD_NODE_ADD, _DEL, _GET).
 *
 *   rmemctl node add ADDR[:PORT] [transport tcp|rdma|auto] [timeout DURATION]
 *                    [key KEYID | auth none]
 *   rmemctl node del ID|ADDR[:PORT]
 *   rmemctl node drain ID|ADDR[:PORT]
 *   rmemctl node show [ID]
 *
 * A node named by address is found in the node dump (rm_node_find());
 * region attach's node list names nodes the same way (rm_node_ref_parse()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "rmem-key.h"
#include "rmemctl.h"

/* ---- parsing ---- */

static int parse_node_addr(const char *s, struct rm_addr *a, char *err, size_t errlen)
{
	const char *why = "";
	int ret = rm_parse_addr(s, a, &why);

	if (ret)
		return rm_arg_err(err, errlen, "invalid address '%s': %s", s, why);
	return 0;
}

static int node_add_parse(struct rm_req *req, int argc, char **argv, char *err, size_t errlen)
{
	int i, ret;

	if (argc < 1)
		return rm_arg_err(err, errlen, "missing ADDR");
	ret = parse_node_addr(argv[0], &req->addr, err, errlen);
	if (ret)
		return ret;
	if (!rm_addr_is_unicast(&req->addr))
		return rm_arg_err(err, errlen, "'%s' is not a unicast address", argv[0]);
	req->has_addr = true;

	for (i = 1; i < argc; i += 2) {
		const char *key = argv[i], *val, *why = "";

		if (strcmp(key, "transport") && strcmp(key, "timeout") && strcmp(key, "key") &&
		    strcmp(key, "auth"))
			return rm_arg_err(err, errlen, "unexpected argument '%s'", key);
		if (i + 1 >= argc)
			return rm_arg_err(err, errlen, "'%s' needs a value", key);
		val = argv[i + 1];
		if (!strcmp(key, "key")) {
			if (req->has_key_id)
				return rm_arg_err(err, errlen, "'key' given twice");
			if (rm_parse_key_id(val, &req->key_id))
				return rm_arg_err(err, errlen,
						  "invalid key id '%s' (16 hex digits, as 'rmemctl key list' prints)",
						  val);
			req->has_key_id = true;
		} else if (!strcmp(key, "auth")) {
			if (req->auth_none)
				return rm_arg_err(err, errlen, "'auth' given twice");
			if (strcmp(val, "none"))
				return rm_arg_err(err, errlen,
						  "unknown auth '%s' (only 'auth none'; a key is the default)",
						  val);
			req->auth_none = true;
		} else if (!strcmp(key, "transport")) {
			if (req->transport >= 0)
				return rm_arg_err(err, errlen, "'transport' given twice");
			req->transport = rm_parse_transport(val);
			if (req->transport < 0)
				return rm_arg_err(err, errlen,
						  "unknown transport '%s' (use tcp, rdma or auto)", val);
		} else {
			if (req->has_timeout)
				return rm_arg_err(err, errlen, "'timeout' given twice");
			ret = rm_parse_duration_ms(val, &req->timeout_ms, &why);
			if (ret)
				return rm_arg_err(err, errlen, "invalid timeout '%s': %s", val, why);
			if (req->timeout_ms < RM_NODE_TIMEOUT_MIN_MS ||
			    req->timeout_ms > RM_NODE_TIMEOUT_MAX_MS)
				return rm_arg_err(err, errlen,
						  "timeout '%s' out of range (100ms to 1h)", val);
			req->has_timeout = true;
		}
	}
	if (req->has_key_id && req->auth_none)
		return rm_arg_err(err, errlen, "'key' and 'auth none' together: choose one");
	return 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int parse_id(const char *s, uint32_t *id, char *err, size_t errlen)
{
	if (rm_parse_u32(s, id))
		return rm_arg_err(err, errlen, "invalid node id '%s'", s);
	return 0;
}

/**
 * rm_node_ref_parse() - a node named by id or by address: "ID|ADDR[:PORT]"
 * @s: digits only: an id; anything else: an address (rm_parse_addr())
 * @ref: the result
 * @err: on error, what is wrong
 * @errlen: size of @err
 *
 * An address is turned into an id later, by rm_node_find().
 *
 * Return: 0 or -EINVAL.
 */
int rm_node_ref_parse(const char *s, struct rm_node_ref *ref, char *err, size_t errlen)
{
	memset(ref, 0, sizeof(*ref));
	if (!all_digits(s))
		return parse_node_addr(s, &ref->addr, err, errlen);
	ref->has_id = true;
	return parse_id(s, &ref->id, err, errlen);
}

static int node_del_parse(struct rm_req *req, int argc, char **argv, char *err, size_t errlen)
{
	struct rm_node_ref ref;
	int ret;

	if (argc < 1)
		return rm_arg_err(err, errlen, "missing ID or ADDR");
	if (argc > 1)
		return rm_arg_err(err, errlen, "unexpected argument '%s'", argv[1]);
	ret = rm_node_ref_parse(argv[0], &ref, err, errlen);
	if (ret)
		return ret;
	req->id = ref.id;
	req->has_id = ref.has_id;
	req->addr = ref.addr;
	req->has_addr = !ref.has_id;
	return 0;
}

static int node_show_parse(struct rm_req *req, int argc, char **argv, char *err, size_t errlen)
{
	if (argc > 1)
		return rm_arg_err(err, errlen, "unexpected argument '%s'", argv[1]);
	req->has_id = argc == 1;
	return req->has_id ? parse_id(argv[0], &req->id, err, errlen) : 0;
}

/* ---- replies ---- */

/* The address and port of a reply; false if the address is missing or bad. */
static bool node_addr(struct nlattr **tb, struct rm_addr *a)
{
	struct nlattr *at = tb[RMEM_A_NODE_ADDR];
	uint64_t port;

	memset(a, 0, sizeof(*a));
	if (!at || (nla_len(at) != 4 && nla_len(at) != 16))
		return false;
	a->family = nla_len(at) == 4 ? AF_INET : AF_INET6;
	memcpy(a->bytes, nla_data(at), (size_t)nla_len(at));
	a->has_port = rm_attr_u16(tb, RMEM_A_NODE_PORT, &port);
	a->port = (uint16_t)port;
	return true;
}

static void rec_enum(struct rm_rec *r, const char *key, const char *hdr,
		     struct nlattr **tb, int type, const char *(*name)(unsigned int))
{
	char buf[32];
	uint64_t v;

	if (!rm_attr_u8(tb, type, &v)) {
		rm_rec_str(r, key, hdr, NULL);
		return;
	}
	if (name((unsigned int)v))
		snprintf(buf, sizeof(buf), "%s", name((unsigned int)v));
	else
		snprintf(buf, sizeof(buf), "unknown(%u)", (unsigned int)v);
	rm_rec_str(r, key, hdr, buf);
}

/**
 * rm_node_rec() - a node reply as a record: the columns of "node show"
 * @tb: the reply's attributes
 * @r: the record, initialized here
 */
void rm_node_rec(struct nlattr **tb, struct rm_rec *r)
{
	char host[64], full[80];
	struct rm_addr a;
	bool has_addr;
	uint64_t v = 0;
	bool set;

	rm_rec_init(r);
	has_addr = node_addr(tb, &a);
	if (has_addr) {
		rm_addr_format(&a, false, host, sizeof(host));
		rm_addr_format(&a, true, full, sizeof(full));
	}
	set = rm_attr_u32(tb, RMEM_A_NODE_ID, &v);
	rm_rec_u64(r, "id", "ID", RM_F_U64, set, v);
	rm_rec_str(r, NULL, "ADDRESS", has_addr ? full : NULL);
	rm_rec_str(r, "address", NULL, has_addr ? host : NULL);
	set = rm_attr_u16(tb, RMEM_A_NODE_PORT, &v);
	rm_rec_u64(r, "port", NULL, RM_F_U64, set, v);
	rec_enum(r, "transport", "TRANSPORT", tb, RMEM_A_NODE_TRANSPORT, rm_transport_name);
	rec_enum(r, "transport_used", "USED", tb, RMEM_A_NODE_TRANSPORT_USED,
		 rm_transport_name);
	rec_enum(r, "state", "STATE", tb, RMEM_A_NODE_STATE, rm_node_state_name);
	rm_rec_str(r, "drain", NULL, !tb[RMEM_A_NODE_DRAINING] ? "no" :
		   tb[RMEM_A_NODE_SLABS_USED] && !nla_get_u32(tb[RMEM_A_NODE_SLABS_USED]) ?
		   "drained" : "draining");
	if (tb[RMEM_A_NODE_AUTH_NONE]) {
		rm_rec_str(r, "auth", "AUTH", "none");
		rm_rec_str(r, "key_id", NULL, NULL);
	} else if (rm_attr_u64(tb, RMEM_A_NODE_KEY_ID, &v)) {
		char id[RMEM_KEY_ID_STR_LEN];

		rmem_key_format_id(v, id);
		rm_rec_str(r, NULL, "AUTH", id);
		rm_rec_str(r, "auth", NULL, "key");
		rm_rec_str(r, "key_id", NULL, id);
	} else {
		/* A module from before authentication. */
		rm_rec_str(r, "auth", "AUTH", NULL);
		rm_rec_str(r, "key_id", NULL, NULL);
	}
	set = rm_attr_u32(tb, RMEM_A_NODE_TIMEOUT_MS, &v);
	rm_rec_u64(r, "timeout_ms", NULL, RM_F_U64, set, v);
	set = rm_attr_u64(tb, RMEM_A_NODE_CAPACITY, &v);
	rm_rec_u64(r, "capacity", "CAPACITY", RM_F_SIZE, set, v);
	set = rm_attr_u64(tb, RMEM_A_NODE_FREE, &v);
	rm_rec_u64(r, "free", "FREE", RM_F_SIZE, set, v);
	set = rm_attr_u64(tb, RMEM_A_SLAB_SIZE, &v);
	rm_rec_u64(r, "slab_size", NULL, RM_F_SIZE, set, v);
	set = rm_attr_u32(tb, RMEM_A_NODE_SLABS_USED, &v);
	rm_rec_u64(r, "slabs_used", "SLABS", RM_F_U64, set, v);
	set = rm_attr_u64(tb, RMEM_A_NODE_LATENCY_NS, &v);
	rm_rec_u64(r, "latency_ns", "LATENCY", RM_F_NS, set, v);
	set = rm_attr_u64(tb, RMEM_A_NODE_ERRORS, &v);
	rm_rec_u64(r, "errors", "ERRORS", RM_F_U64, set, v);
	set = rm_attr_u64(tb, RMEM_A_NODE_RECONNECTS, &v);
	rm_rec_u64(r, "reconnects", "RECONN", RM_F_U64, set, v);
	set = rm_attr_u32(tb, RMEM_A_NODE_QUEUES, &v);
	rm_rec_u64(r, "queues", "QUEUES", RM_F_U64, set, v);
	set = rm_attr_u64(tb, RMEM_A_NODE_READ_BYTES, &v);
	rm_rec_u64(r, "read_bytes", "READ", RM_F_SIZE, set, v);
	set = rm_attr_u64(tb, RMEM_A_NODE_WRITE_BYTES, &v);
	rm_rec_u64(r, "write_bytes", "WRITTEN", RM_F_SIZE, set, v);
}


static int node_collect(struct nlattr **tb, void *arg)
{
	struct node_list *l = arg;
	uint64_t id;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct rm_rec *recs = realloc(l->recs, cap * sizeof(*recs));
		struct rm_addr *addrs;
		uint32_t *ids;
		bool *has_id;

		if (!recs)
			return -ENOMEM;
		l->recs = recs;
		addrs = realloc(l->addrs, cap * sizeof(*addrs));
		if (!addrs)
			return -ENOMEM;
		l->addrs = addrs;
		ids = realloc(l->ids, cap * sizeof(*ids));
		if (!ids)
			return -ENOMEM;
		l->ids = ids;
		has_id = realloc(l->has_id, cap * sizeof(*has_id));
		if (!has_id)
			return -ENOMEM;
		l->has_id = has_id;
		l->cap = cap;
	}
	rm_node_rec(tb, &l->recs[l->n]);
	node_addr(tb, &l->addrs[l->n]);
	l->has_id[l->n] = rm_attr_u32(tb, RMEM_A_NODE_ID, &id);
	l->ids[l->n] = (uint32_t)id;
	l->n++;
	return 0;
}

/**
 * rm_node_list_free() - free what rm_node_dump() filled
 * @l: the list
 */
void rm_node_list_free(struct node_list *l)
{
	free(l->recs);
	free(l->addrs);
	free(l->ids);
	free(l->has_id);
}

static int node_get(struct rm_ctx *ctx, const struct rm_req *req, struct node_list *l)
{
	struct nl_msg *msg;
	int ret;

	ret = rm_open(ctx);
	if (ret)
		return ret;
	msg = rm_nl_msg(&ctx->nl, RMEM_CMD_NODE_GET, !req->has_id);
	if (!msg)
		return rm_fail(ctx, -ENOMEM);
	if (req->has_id && nla_put_u32(msg, RMEM_A_NODE_ID, req->id) < 0) {
		nlmsg_free(msg);
		return rm_fail(ctx, -EMSGSIZE);
	}
	ret = rm_nl_exec(&ctx->nl, msg, node_collect, l);
	return ret ? rm_fail(ctx, ret) : RM_EXIT_OK;
}

/**
 * rm_node_dump() - every node the module has
 * @ctx: the command
 * @l: filled; rm_node_list_free() it
 *
 * Return: RM_EXIT_OK, or RM_EXIT_FAIL after printing why.
 */
int rm_node_dump(struct rm_ctx *ctx, struct node_list *l)
{
	struct rm_req all = { .transport = -1, .type = -1, .encrypt = -1 };

	return node_get(ctx, &all, l);
}

/* ---- verbs ---- */

static int node_id_reply(struct nlattr **tb, void *arg)
{
	struct rm_rec *r = arg;
	uint64_t id = 0;
	bool set = rm_attr_u32(tb, RMEM_A_NODE_ID, &id);

	rm_rec_init(r);
	rm_rec_u64(r, "id", "id", RM_F_U64, set, id);
	return 0;
}

/**
 * rm_node_add() - NODE_ADD of the node @req describes; prints nothing
 * @ctx: the command (its netlink socket opened with rm_open())
 * @req: address, port, transport, timeout, key id or auth none
 * @r: the reply as a record ("id"), initialized here
 *
 * Return: 0 or -errno (ctx->nl.extack says why).
 */
int rm_node_add(struct rm_ctx *ctx, const struct rm_req *req, struct rm_rec *r)
{
	const struct rm_addr *a = &req->addr;
	struct nl_msg *msg;

	rm_rec_init(r);
	rm_rec_u64(r, "id", "id", RM_F_U64, false, 0);
	msg = rm_nl_msg(&ctx->nl, RMEM_CMD_NODE_ADD, false);
	if (!msg)
		return -ENOMEM;
	if (nla_put(msg, RMEM_A_NODE_ADDR, (int)rm_addr_len(a), a->bytes) < 0 ||
	    (a->has_port && nla_put_u16(msg, RMEM_A_NODE_PORT, a->port) < 0) ||
	    (req->transport >= 0 &&
	     nla_put_u8(msg, RMEM_A_NODE_TRANSPORT, (uint8_t)req->transport) < 0) ||
	    (req->has_timeout &&
	     nla_put_u32(msg, RMEM_A_NODE_TIMEOUT_MS, (uint32_t)req->timeout_ms) < 0) ||
	    (req->has_key_id && nla_put_u64(msg, RMEM_A_NODE_KEY_ID, req->key_id) < 0) ||
	    (req->auth_none && nla_put_flag(msg, RMEM_A_NODE_AUTH_NONE) < 0)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return rm_nl_exec(&ctx->nl, msg, node_id_reply, r);
}

static int node_add_run(struct rm_ctx *ctx, const struct rm_req *req)
{
	struct rm_rec r;
	int ret;

	ret = rm_open(ctx);
	if (ret)
		return ret;
	ret = rm_node_add(ctx, req, &r);
	if (ret)
		return rm_fail(ctx, ret);
	rm_out_result(&ctx->out, &r);
	return RM_EXIT_OK;
}

/**
 * rm_node_find() - the id of the one node at an address, in a node dump
 * @ctx: the command, for the error message
 * @l: the nodes, from rm_node_dump()
 * @a: the address; and its port, when it has one
 * @hint_add: when no node has it, tell the user to 'rmemctl node add' it
 * @id: the node's id
 *
 * Return: 0, or RM_EXIT_FAIL after saying why: no node has the address,
 * or several do (on different ports).
 */
int rm_node_find(struct rm_ctx *ctx, const struct node_list *l, const struct rm_addr *a,
		 bool hint_add, uint32_t *id)
{
	char want[80], ids[128] = "";
	size_t i, found = 0, off = 0;

	rm_addr_format(a, true, want, sizeof(want));
	for (i = 0; i < l->n; i++) {
		if (!l->has_id[i] || !l->addrs[i].family || !rm_addr_equal(&l->addrs[i], a) ||
		    (a->has_port && l->addrs[i].port != a->port))
			continue;
		if (!found++)
			*id = l->ids[i];
		if (off < sizeof(ids))
			off += (size_t)snprintf(ids + off, sizeof(ids) - off, "%s%u",
						off ? ", " : "", l->ids[i]);
	}
	if (!found && hint_add)
		return rm_failf(ctx, "no node has address %s: add it first ('rmemctl node add %s')",
				want, want);
	if (!found)
		return rm_failf(ctx, "no node has address %s", want);
	if (found > 1)
		return rm_failf(ctx, "%zu nodes have address %s (ids %s): give the port or the id",
				found, want, ids);
	return 0;
}

/* NODE_DEL or NODE_DRAIN of the node the request names. */
static int node_id_cmd(struct rm_ctx *ctx, const struct rm_req *req, uint8_t cmd)
{
	struct nl_msg *msg;
	uint32_t id = req->id;
	int ret;

	ret = rm_open(ctx);
	if (ret)
		return ret;
	if (!req->has_id) {
		struct node_list l = { 0 };

		ret = rm_node_dump(ctx, &l);
		if (!ret)
			ret = rm_node_find(ctx, &l, &req->addr, false, &id);
		rm_node_list_free(&l);
		if (ret)
			return ret;
	}
	msg = rm_nl_msg(&ctx->nl, cmd, false);
	if (!msg)
		return rm_fail(ctx, -ENOMEM);
	if (nla_put_u32(msg, RMEM_A_NODE_ID, id) < 0) {
		nlmsg_free(msg);
		return rm_fail(ctx, -EMSGSIZE);
	}
	ret = rm_nl_exec(&ctx->nl, msg, NULL, NULL);
	return ret ? rm_fail(ctx, ret) : RM_EXIT_OK;
}

static int node_del_run(struct rm_ctx *ctx, const struct rm_req *req)
{
	return node_id_cmd(ctx, req, RMEM_CMD_NODE_DEL);
}

static int node_drain_run(struct rm_ctx *ctx, const struct rm_req *req)
{
	return node_id_cmd(ctx, req, RMEM_CMD_NODE_DRAIN);
}

static int node_show_run(struct rm_ctx *ctx, const struct rm_req *req)
{
	struct node_list l = { 0 };
	int ret;

	ret = node_get(ctx, req, &l);
	if (!ret)
		rm_out_table(&ctx->out, l.recs, l.n);
	rm_node_list_free(&l);
	return ret;
}

static const struct rm_verb node_verbs[] = {
	{ "add", "ADDR[:PORT] [transport tcp|rdma|auto] [timeout DURATION] [key KEYID|auth none]",
	  "add a memory node (authenticated with the only installed key, or KEYID); prints its id",
	  node_add_parse, node_add_run },
	{ "del", "ID|ADDR[:PORT]", "remove a memory node", node_del_parse, node_del_run },
	{ "drain", "ID|ADDR[:PORT]",
	  "move every slab off a node (then del works); 'node show' says when it is drained",
	  node_del_parse, node_drain_run },
	{ "show", "[ID]", "list memory nodes, or one", node_show_parse, node_show_run },
	{ 0 }
};

const struct rm_object rm_obj_node = {
	.name = "node",
	.help = "rmemctl node: the memory nodes whose DRAM this host uses",
	.verbs = node_verbs,
	.default_verb = "show",
};
