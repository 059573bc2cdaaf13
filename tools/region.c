// SPDX-License-Identifier: GPL-2.0
/*
 * rmemctl region: remote memory regions (RMEM_CMD_REGION_ADD, _DEL, _GET).
 *
 *   rmemctl region add NAME size SIZE [type block|mmap] [replicas N] [prealloc]
 *                      [encrypt on|off] [chunk SIZE] [cache SIZE]
 *   rmemctl region del NAME
 *   rmemctl region show [NAME]
 *   rmemctl region load NAME FILE [offset SIZE]   (load.c)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "rmemctl.h"

/* ---- parsing ---- */

static int parse_name(struct rm_req *req, const char *s, char *err, size_t errlen)
{
	if (!rm_region_name_valid(s))
		return rm_arg_err(err, errlen, "invalid region name '%s' "
				  "(1 to %d characters from A-Z a-z 0-9 _ . -)",
				  s, RMEM_REGION_NAME_MAX - 1);
	snprintf(req->name, sizeof(req->name), "%s", s);
	req->has_name = true;
	return 0;
}

static int region_add_parse(struct rm_req *req, int argc, char **argv, char *err, size_t errlen)
{
	int i, ret;

	if (argc < 1)
		return rm_arg_err(err, errlen, "missing NAME");
	ret = parse_name(req, argv[0], err, errlen);
	if (ret)
		return ret;
	for (i = 1; i < argc; i += 2) {
		const char *key = argv[i], *val, *why = "";

		if (!strcmp(key, "prealloc")) {
			if (req->prealloc)
				return rm_arg_err(err, errlen, "'prealloc' given twice");
			req->prealloc = true;
			i--;	/* a flag: no value */
			continue;
		}
		if (strcmp(key, "size") && strcmp(key, "type") && strcmp(key, "chunk") &&
		    strcmp(key, "cache") && strcmp(key, "replicas") && strcmp(key, "encrypt"))
			return rm_arg_err(err, errlen, "unexpected argument '%s'", key);
		if (i + 1 >= argc)
			return rm_arg_err(err, errlen, "'%s' needs a value", key);
		val = argv[i + 1];
		if (!strcmp(key, "size")) {
			if (req->has_size)
				return rm_arg_err(err, errlen, "'size' given twice");
			ret = rm_parse_size(val, &req->size, &why);
			if (ret)
				return rm_arg_err(err, errlen, "invalid size '%s': %s", val, why);
			if (!req->size)
				return rm_arg_err(err, errlen, "size must be greater than 0");
			if (req->size % RM_REGION_ALIGN)
				return rm_arg_err(err, errlen, "size '%s' is not a multiple of %llu",
						  val, RM_REGION_ALIGN);
			req->has_size = true;
		} else if (!strcmp(key, "replicas")) {
			if (req->replicas)
				return rm_arg_err(err, errlen, "'replicas' given twice");
			if (strlen(val) != 1 || val[0] < '1' || val[0] > '0' + RM_REPLICAS_MAX)
				return rm_arg_err(err, errlen, "replicas '%s' must be 1, 2 or 3", val);
			req->replicas = (unsigned int)(val[0] - '0');
		} else if (!strcmp(key, "encrypt")) {
			if (req->encrypt >= 0)
				return rm_arg_err(err, errlen, "'encrypt' given twice");
			if (strcmp(val, "on") && strcmp(val, "off"))
				return rm_arg_err(err, errlen, "encrypt '%s' must be on or off", val);
			req->encrypt = !strcmp(val, "on");
		} else if (!strcmp(key, "chunk")) {
			if (req->chunk)
				return rm_arg_err(err, errlen, "'chunk' given twice");
			ret = rm_parse_size(val, &req->chunk, &why);
			if (ret)
				return rm_arg_err(err, errlen, "invalid chunk '%s': %s", val, why);
			if (req->chunk < RM_CHUNK_MIN || req->chunk > RM_CHUNK_MAX ||
			    (req->chunk & (req->chunk - 1)))
				return rm_arg_err(err, errlen, "chunk '%s' must be 4K, 8K, 16K ... 1M or 2M",
						  val);
		} else if (!strcmp(key, "cache")) {
			if (req->cache)
				return rm_arg_err(err, errlen, "'cache' given twice");
			ret = rm_parse_size(val, &req->cache, &why);
			if (ret)
				return rm_arg_err(err, errlen, "invalid cache '%s': %s", val, why);
			if (!req->cache || req->cache % RM_REGION_ALIGN)
				return rm_arg_err(err, errlen,
						  "cache '%s' must be a non-zero multiple of %llu",
						  val, RM_REGION_ALIGN);
		} else {
			if (req->type >= 0)
				return rm_arg_err(err, errlen, "'type' given twice");
			req->type = rm_parse_region_type(val);
			if (req->type < 0)
				return rm_arg_err(err, errlen,
						  "unknown region type '%s' (use block or mmap)", val);
		}
	}
	if (!req->has_size)
		return rm_arg_err(err, errlen, "missing 'size SIZE'");
	if ((req->chunk || req->cache) && req->type != RMEM_REGION_MMAP)
		return rm_arg_err(err, errlen, "'chunk' and 'cache' need 'type mmap'");
	return 0;
}

static int region_del_parse(struct rm_req *req, int argc, char **argv, char *err, size_t errlen)
{
	if (argc < 1)
		return rm_arg_err(err, errlen, "missing NAME");
	if (argc > 1)
		return rm_arg_err(err, errlen, "unexpected argument '%s'", argv[1]);
	return parse_name(req, argv[0], err, errlen);
}

static int region_show_parse(struct rm_req *req, int argc, char **argv, char *err,
			     size_t errlen)
{
	if (argc > 1)
		return rm_arg_err(err, errlen, "unexpected argument '%s'", argv[1]);
	return argc ? parse_name(req, argv[0], err, errlen) : 0;
}

/* ---- replies ---- */

/*
 * Bytes of the region on each node, "ID=SIZE" separated by spaces ("-"
 * with no slab): RMEM_A_REGION_PLACEMENT's slab counts times the slab size.
 */
static void region_placement(struct nlattr **tb, struct rm_rec *r)
{
	char buf[256] = "", sz[32];
	uint64_t slab = 0, id, n;
	struct nlattr *a;
	size_t off = 0;
	int rem;

	if (!tb[RMEM_A_REGION_PLACEMENT]) {
		rm_rec_str(r, "placement", NULL, NULL);
		return;
	}
	rm_attr_u64(tb, RMEM_A_SLAB_SIZE, &slab);
	nla_for_each_nested(a, tb[RMEM_A_REGION_PLACEMENT], rem) {
		struct nlattr *one[RMEM_A_MAX + 1];

		if (rm_nl_parse_nested(one, a) ||
		    !rm_attr_u32(one, RMEM_A_NODE_ID, &id) ||
		    !rm_attr_u32(one, RMEM_A_NODE_SLABS_USED, &n))
			continue;
		rm_fmt_size(n * slab, sz, sizeof(sz));
		if (off < sizeof(buf))
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%llu=%s",
						off ? " " : "", (unsigned long long)id, sz);
	}
	rm_rec_str(r, "placement", "PLACEMENT", off ? buf : "-");
}

/**
 * rm_region_rec() - a region reply as a record: the columns of "region show"
 * @tb: the reply's attributes
 * @r: the record, initialized here
 */
void rm_region_rec(struct nlattr **tb, struct rm_rec *r)
{
	uint64_t v = 0;
	char buf[32];
	bool set;

	rm_rec_init(r);
	rm_rec_str(r, "name", "NAME", rm_attr_str(tb, RMEM_A_REGION_NAME));
	set = rm_attr_u32(tb, RMEM_A_REGION_ID, &v);
	rm_rec_u64(r, "id", "ID", RM_F_U64, set, v);
	set = rm_attr_u8(tb, RMEM_A_REGION_TYPE, &v);
	if (set && !rm_region_type_name((unsigned int)v))
		snprintf(buf, sizeof(buf), "unknown(%u)", (unsigned int)v);
	else if (set)
		snprintf(buf, sizeof(buf), "%s", rm_region_type_name((unsigned int)v));
	rm_rec_str(r, "type", "TYPE", set ? buf : NULL);
	rm_rec_str(r, "device", "DEVICE", rm_attr_str(tb, RMEM_A_REGION_DEVICE));
	set = rm_attr_u64(tb, RMEM_A_REGION_SIZE, &v);
	rm_rec_u64(r, "size", "SIZE", RM_F_SIZE, set, v);
	set = rm_attr_u64(tb, RMEM_A_SLAB_SIZE, &v);
	rm_rec_u64(r, "slab_size", NULL, RM_F_SIZE, set, v);
	set = rm_attr_u32(tb, RMEM_A_REGION_SLABS, &v);
	rm_rec_u64(r, "slabs", "SLABS", RM_F_U64, set, v);
	set = rm_attr_u32(tb, RMEM_A_REGION_NODES, &v);
	rm_rec_u64(r, "nodes", "NODES", RM_F_U64, set, v);
	set = rm_attr_u32(tb, RMEM_A_REGION_OPENERS, &v);
	rm_rec_u64(r, "openers", "OPENERS", RM_F_U64, set, v);
	set = rm_attr_u64(tb, RMEM_A_REGION_READS, &v);
	rm_rec_u64(r, "reads", "READS", RM_F_U64, set, v);
	set = rm_attr_u64(tb, RMEM_A_REGION_WRITES, &v);
	rm_rec_u64(r, "writes", "WRITES", RM_F_U64, set, v);
	set = rm_attr_u64(tb, RMEM_A_REGION_READ_BYTES, &v);
	rm_rec_u64(r, "read_bytes", "READ", RM_F_SIZE, set, v);
	set = rm_attr_u64(tb, RMEM_A_REGION_WRITE_BYTES, &v);
	rm_rec_u64(r, "write_bytes", "WRITTEN", RM_F_SIZE, set, v);
	set = rm_attr_u64(tb, RMEM_A_REGION_DISCARDS, &v);
	rm_rec_u64(r, "discards", "DISCARDS", RM_F_U64, set, v);
	set = rm_attr_u64(tb, RMEM_A_REGION_ERRORS, &v);
	rm_rec_u64(r, "errors", "ERRORS", RM_F_U64, set, v);
	set = rm_attr_u64(tb, RMEM_A_REGION_CSUM_ERRORS, &v);
	rm_rec_u64(r, "csum_errors", NULL, RM_F_U64, set, v);
	set = rm_attr_u64(tb, RMEM_A_REGION_SAME_FILLED, &v);
	rm_rec_u64(r, "same_filled", NULL, RM_F_U64, set, v);
	set = rm_attr_u8(tb, RMEM_A_REGION_REPLICAS, &v);
	rm_rec_u64(r, "replicas", "COPIES", RM_F_U64, set, v);
	rm_rec_str(r, "prealloc", NULL, tb[RMEM_A_REGION_PREALLOC] ? "yes" : "no");
	set = rm_attr_u8(tb, RMEM_A_REGION_ENCRYPT, &v);
	rm_rec_str(r, "encrypt", NULL, !set ? NULL : v ? "on" : "off");
	set = rm_attr_u64(tb, RMEM_A_REGION_ALLOCATED, &v);
	rm_rec_u64(r, "allocated", "ALLOC", RM_F_SIZE, set, v);
	set = rm_attr_u32(tb, RMEM_A_REGION_DEGRADED, &v);
	rm_rec_u64(r, "degraded", "DEGRADED", RM_F_U64, set, v);
	set = rm_attr_u64(tb, RMEM_A_REGION_REBUILDS, &v);
	rm_rec_u64(r, "rebuilds", NULL, RM_F_U64, set, v);
	set = rm_attr_u64(tb, RMEM_A_REGION_REBUILD_BYTES, &v);
	rm_rec_u64(r, "rebuild_bytes", NULL, RM_F_SIZE, set, v);
	set = rm_attr_u64(tb, RMEM_A_REGION_DROPPED, &v);
	rm_rec_u64(r, "dropped", NULL, RM_F_U64, set, v);
	region_placement(tb, r);
	/* mmap regions only ("-" and null for block regions) */
	set = rm_attr_u64(tb, RMEM_A_REGION_CHUNK_SIZE, &v);
	rm_rec_u64(r, "chunk_size", "CHUNK", RM_F_SIZE, set, v);
	set = rm_attr_u64(tb, RMEM_A_REGION_CACHE_SIZE, &v);
	rm_rec_u64(r, "cache_size", "CACHE", RM_F_SIZE, set, v);
	set = rm_attr_u64(tb, RMEM_A_REGION_CACHED, &v);
	rm_rec_u64(r, "cached", "CACHED", RM_F_SIZE, set, v);
	set = rm_attr_u64(tb, RMEM_A_REGION_FAULTS, &v);
	rm_rec_u64(r, "faults", "FAULTS", RM_F_U64, set, v);
	set = rm_attr_u64(tb, RMEM_A_REGION_FETCHES, &v);
	rm_rec_u64(r, "fetches", "FETCHES", RM_F_U64, set, v);
	set = rm_attr_u64(tb, RMEM_A_REGION_FETCH_ERRORS, &v);
	rm_rec_u64(r, "fetch_errors", NULL, RM_F_U64, set, v);
	set = rm_attr_u64(tb, RMEM_A_REGION_EVICTIONS, &v);
	rm_rec_u64(r, "evictions", "EVICTIONS", RM_F_U64, set, v);
	set = rm_attr_u64(tb, RMEM_A_REGION_WRITEBACKS, &v);
	rm_rec_u64(r, "writebacks", "WRITEBACKS", RM_F_U64, set, v);
	set = rm_attr_u64(tb, RMEM_A_REGION_WRITEBACK_ERRORS, &v);
	rm_rec_u64(r, "writeback_errors", NULL, RM_F_U64, set, v);
	set = rm_attr_u64(tb, RMEM_A_REGION_HOT, &v);
	rm_rec_u64(r, "hot", "HOT", RM_F_U64, set, v);
	set = rm_attr_u64(tb, RMEM_A_REGION_PMD_MAPS, &v);
	rm_rec_u64(r, "pmd_maps", NULL, RM_F_U64, set, v);
}


static int region_collect(struct nlattr **tb, void *arg)
{
	struct region_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct rm_rec *recs = realloc(l->recs, cap * sizeof(*recs));

		if (!recs)
			return -ENOMEM;
		l->recs = recs;
		l->cap = cap;
	}
	rm_region_rec(tb, &l->recs[l->n++]);
	return 0;
}

/* A do request carrying RMEM_A_REGION_NAME. */
static struct nl_msg *region_msg(struct rm_ctx *ctx, uint8_t cmd, const struct rm_req *req)
{
	struct nl_msg *msg = rm_nl_msg(&ctx->nl, cmd, false);

	if (msg && nla_put_string(msg, RMEM_A_REGION_NAME, req->name) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* ---- verbs ---- */

static int region_add_reply(struct nlattr **tb, void *arg)
{
	struct rm_rec *r = arg;
	uint64_t id = 0;
	bool set = rm_attr_u32(tb, RMEM_A_REGION_ID, &id);

	/* Keep the name (set before the request), replace the rest. */
	r->n = 1;
	rm_rec_u64(r, "id", NULL, RM_F_U64, set, id);
	rm_rec_str(r, "device", "device", rm_attr_str(tb, RMEM_A_REGION_DEVICE));
	return 0;
}

/**
 * rm_region_add() - REGION_ADD of the region @req describes; prints nothing
 * @ctx: the command (its netlink socket opened with rm_open())
 * @req: name, size, type, chunk, cache, replicas, prealloc, encrypt
 * @r: the reply as a record ("name", "id", "device"), initialized here
 *
 * Return: 0 or -errno (ctx->nl.extack says why).
 */
int rm_region_add(struct rm_ctx *ctx, const struct rm_req *req, struct rm_rec *r)
{
	struct nl_msg *msg;

	rm_rec_init(r);
	rm_rec_str(r, "name", NULL, req->name);
	rm_rec_u64(r, "id", NULL, RM_F_U64, false, 0);
	rm_rec_str(r, "device", "device", NULL);
	msg = region_msg(ctx, RMEM_CMD_REGION_ADD, req);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u64(msg, RMEM_A_REGION_SIZE, req->size) < 0 ||
	    (req->type >= 0 && nla_put_u8(msg, RMEM_A_REGION_TYPE, (uint8_t)req->type) < 0) ||
	    (req->chunk && nla_put_u64(msg, RMEM_A_REGION_CHUNK_SIZE, req->chunk) < 0) ||
	    (req->cache && nla_put_u64(msg, RMEM_A_REGION_CACHE_SIZE, req->cache) < 0) ||
	    (req->replicas &&
	     nla_put_u8(msg, RMEM_A_REGION_REPLICAS, (uint8_t)req->replicas) < 0) ||
	    (req->prealloc && nla_put_flag(msg, RMEM_A_REGION_PREALLOC) < 0) ||
	    (req->encrypt >= 0 &&
	     nla_put_u8(msg, RMEM_A_REGION_ENCRYPT, (uint8_t)req->encrypt) < 0)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return rm_nl_exec(&ctx->nl, msg, region_add_reply, r);
}

static int region_add_run(struct rm_ctx *ctx, const struct rm_req *req)
{
	struct rm_rec r;
	int ret;

	ret = rm_open(ctx);
	if (ret)
		return ret;
	ret = rm_region_add(ctx, req, &r);
	if (ret)
		return rm_fail(ctx, ret);
	rm_out_result(&ctx->out, &r);
	return RM_EXIT_OK;
}

static int region_del_run(struct rm_ctx *ctx, const struct rm_req *req)
{
	struct nl_msg *msg;
	int ret;

	ret = rm_open(ctx);
	if (ret)
		return ret;
	msg = region_msg(ctx, RMEM_CMD_REGION_DEL, req);
	if (!msg)
		return rm_fail(ctx, -ENOMEM);
	ret = rm_nl_exec(&ctx->nl, msg, NULL, NULL);
	return ret ? rm_fail(ctx, ret) : RM_EXIT_OK;
}

/**
 * rm_region_dump() - every region the module has, as records
 * @ctx: the command (its netlink socket opened with rm_open())
 * @l: filled; free(l->recs)
 *
 * Return: 0 or -errno.
 */
int rm_region_dump(struct rm_ctx *ctx, struct region_list *l)
{
	struct nl_msg *msg = rm_nl_msg(&ctx->nl, RMEM_CMD_REGION_GET, true);

	if (!msg)
		return -ENOMEM;
	return rm_nl_exec(&ctx->nl, msg, region_collect, l);
}

static int region_show_run(struct rm_ctx *ctx, const struct rm_req *req)
{
	struct region_list l = { 0 };
	struct nl_msg *msg;
	int ret;

	ret = rm_open(ctx);
	if (ret)
		return ret;
	if (req->has_name)
		msg = region_msg(ctx, RMEM_CMD_REGION_GET, req);
	else
		msg = rm_nl_msg(&ctx->nl, RMEM_CMD_REGION_GET, true);
	if (!msg)
		return rm_fail(ctx, -ENOMEM);
	ret = rm_nl_exec(&ctx->nl, msg, region_collect, &l);
	if (ret)
		ret = rm_fail(ctx, ret);
	else
		rm_out_table(&ctx->out, l.recs, l.n);
	free(l.recs);
	return ret;
}

static const struct rm_verb region_verbs[] = {
	{ "add", "NAME size SIZE [type block|mmap] [replicas N] [prealloc] [encrypt on|off] [chunk SIZE] [cache SIZE]",
	  "create a region; prints its device name", region_add_parse, region_add_run },
	{ "del", "NAME", "remove a region", region_del_parse, region_del_run },
	{ "show", "[NAME]", "list regions, or one", region_show_parse, region_show_run },
	{ "load", "NAME FILE [offset SIZE]",
	  "write FILE into the region (at OFFSET, a multiple of 4K), with progress",
	  rm_load_parse, rm_load_run },
	{ 0 }
};

const struct rm_object rm_obj_region = {
	.name = "region",
	.help = "rmemctl region: remote memory regions (block devices, mmap devices)",
	.verbs = region_verbs,
	.default_verb = "show",
};
