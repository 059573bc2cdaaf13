// SPDX-License-Identifier: GPL-2.0
/*
 * rmemctl region: remote memory regions (RMEM_CMD_REGION_ADD, _DEL, _GET,
 * _SEAL, _ATTACH).
 *
 *   rmemctl region add NAME size SIZE [type block|mmap] [replicas N] [prealloc]
 *                      [encrypt on|off] [chunk SIZE] [cache SIZE]
 *                      [publish [key-file FILE]]
 *   rmemctl region del NAME [purge]
 *   rmemctl region show [NAME]
 *   rmemctl region load NAME FILE [offset SIZE]   (load.c)
 *   rmemctl region seal NAME
 *   rmemctl region attach NAME [node ID|ADDR[,ID|ADDR...]] [type mmap|block]
 *                         [chunk SIZE] [cache SIZE] [key-file FILE]
 *
 * Published regions: "add ... publish" keeps the region's slabs on the
 * memory nodes under its name, past its deletion and this host's reboot;
 * "seal" makes it read-only for good; another compute node then "attach"es
 * it read-only (an mmap region by default), from the nodes listed or from
 * all. "del" removes the local region (or the attachment); "del ... purge"
 * also deletes the published copy. Node addresses in "attach" are turned
 * into ids as 'node del ADDR' does (rm_node_find()). A published region is
 * encrypted with a key its readers share ("key-file FILE", a key file as
 * 'rmemctl key generate' writes: RMEM_A_KEY), which its memory nodes do
 * not have; "attach" needs the same file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "rmem-key.h"
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

/* A region's flag (a word alone), or NULL when @key takes a value. */
static bool *region_flag(struct rm_req *req, const char *key)
{
	if (!strcmp(key, "prealloc"))
		return &req->prealloc;
	if (!strcmp(key, "publish"))
		return &req->publish;
	if (!strcmp(key, "purge"))
		return &req->purge;
	return NULL;
}

/* Written the same: the same id, or the same address and port (if any). */
static bool node_ref_equal(const struct rm_node_ref *a, const struct rm_node_ref *b)
{
	if (a->has_id || b->has_id)
		return a->has_id == b->has_id && a->id == b->id;
	return rm_addr_equal(&a->addr, &b->addr) && a->addr.has_port == b->addr.has_port &&
	       a->addr.port == b->addr.port;
}

/* "node ID|ADDR[,ID|ADDR...]": 1 to RM_NODE_IDS_MAX nodes, none twice. */
static int parse_nodes(struct rm_req *req, const char *val, char *err, size_t errlen)
{
	const char *p = val;
	char one[80];
	unsigned int i;
	int ret;

	if (!*val)
		return rm_arg_err(err, errlen, "empty node list");
	for (;;) {
		size_t len = strcspn(p, ",");
		struct rm_node_ref *ref;

		if (!len)
			return rm_arg_err(err, errlen, "empty element in the node list '%s'", val);
		if (req->n_nodes == RM_NODE_IDS_MAX)
			return rm_arg_err(err, errlen, "more than %d nodes in the node list",
					  RM_NODE_IDS_MAX);
		ref = &req->nodes[req->n_nodes];
		if (len >= sizeof(one))
			return rm_arg_err(err, errlen, "node '%.*s...' in the node list is too long",
					  32, p);
		memcpy(one, p, len);
		one[len] = '\0';
		ret = rm_node_ref_parse(one, ref, err, errlen);
		if (ret)
			return ret;
		for (i = 0; i < req->n_nodes; i++)
			if (node_ref_equal(&req->nodes[i], ref))
				return rm_arg_err(err, errlen, "'%s' is in the node list twice", one);
		req->n_nodes++;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

/* The value of one KEY VALUE argument of region add or region attach. */
static int region_value(struct rm_req *req, const char *key, const char *val, char *err,
			size_t errlen)
{
	const char *why = "";
	int ret;

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
	} else if (!strcmp(key, "key-file")) {
		if (req->key_file)
			return rm_arg_err(err, errlen, "'key-file' given twice");
		if (!*val)
			return rm_arg_err(err, errlen, "empty key-file");
		req->key_file = val;
	} else if (!strcmp(key, "node")) {
		if (req->n_nodes)
			return rm_arg_err(err, errlen, "'node' given twice");
		ret = parse_nodes(req, val, err, errlen);
		if (ret)
			return ret;
	} else {
		if (req->type >= 0)
			return rm_arg_err(err, errlen, "'type' given twice");
		req->type = rm_parse_region_type(val);
		if (req->type < 0)
			return rm_arg_err(err, errlen,
					  "unknown region type '%s' (use block or mmap)", val);
	}
	return 0;
}

/*
 * The arguments after NAME: flags and KEY VALUE pairs, in any order, each
 * at most once; @keys (NULL-terminated) are the ones the verb takes.
 */
static int region_args(struct rm_req *req, int argc, char **argv, const char *const *keys,
		       char *err, size_t errlen)
{
	const char *const *k;
	bool *flag;
	int i, ret;

	for (i = 0; i < argc; i++) {
		const char *key = argv[i];

		for (k = keys; *k && strcmp(*k, key); k++)
			;
		if (!*k)
			return rm_arg_err(err, errlen, "unexpected argument '%s'", key);
		flag = region_flag(req, key);
		if (flag) {
			if (*flag)
				return rm_arg_err(err, errlen, "'%s' given twice", key);
			*flag = true;
			continue;
		}
		if (++i >= argc)
			return rm_arg_err(err, errlen, "'%s' needs a value", key);
		ret = region_value(req, key, argv[i], err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

/* NAME, then KEY VALUE... of @keys: the start of add, attach and del. */
static int region_named_args(struct rm_req *req, int argc, char **argv,
			     const char *const *keys, char *err, size_t errlen)
{
	if (argc < 1)
		return rm_arg_err(err, errlen, "missing NAME");
	return parse_name(req, argv[0], err, errlen) ?:
	       region_args(req, argc - 1, argv + 1, keys, err, errlen);
}

static int region_add_parse(struct rm_req *req, int argc, char **argv, char *err, size_t errlen)
{
	static const char *const keys[] = {
		"size", "type", "replicas", "prealloc", "encrypt", "chunk", "cache", "publish",
		"key-file", NULL
	};
	int ret;

	ret = region_named_args(req, argc, argv, keys, err, errlen);
	if (ret)
		return ret;
	if (!req->has_size)
		return rm_arg_err(err, errlen, "missing 'size SIZE'");
	if ((req->chunk || req->cache) && req->type != RMEM_REGION_MMAP)
		return rm_arg_err(err, errlen, "'chunk' and 'cache' need 'type mmap'");
	if (req->key_file && !req->publish)
		return rm_arg_err(err, errlen,
				  "'key-file' is for 'publish' (a region of this host's own draws its key)");
	if (req->key_file && req->encrypt == 0)
		return rm_arg_err(err, errlen, "'key-file' and 'encrypt off' contradict each other");
	if (req->publish && req->encrypt == 1 && !req->key_file)
		return rm_arg_err(err, errlen,
				  "'publish' with 'encrypt on' needs 'key-file FILE' (the key its readers share)");
	return 0;
}

static int region_attach_parse(struct rm_req *req, int argc, char **argv, char *err,
			       size_t errlen)
{
	static const char *const keys[] = { "node", "type", "chunk", "cache", "key-file", NULL };
	int ret;

	ret = region_named_args(req, argc, argv, keys, err, errlen);
	if (ret)
		return ret;
	if (req->type < 0)
		req->type = RMEM_REGION_MMAP;
	if ((req->chunk || req->cache) && req->type != RMEM_REGION_MMAP)
		return rm_arg_err(err, errlen, "'chunk' and 'cache' need 'type mmap'");
	return 0;
}

static int region_del_parse(struct rm_req *req, int argc, char **argv, char *err, size_t errlen)
{
	static const char *const keys[] = { "purge", NULL };

	return region_named_args(req, argc, argv, keys, err, errlen);
}

/* NAME and nothing else. */
static int region_name_parse(struct rm_req *req, int argc, char **argv, char *err,
			     size_t errlen)
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

/*
 * Published regions (RMEM_A_REGION_PUBLISH, _SEALED, _ATTACHED) as one
 * field: "no", "yes" (published here, still written), "sealed" (published
 * here, read-only for good) or "attached" (another's, read-only here).
 */
static const char *region_published(struct nlattr **tb)
{
	if (tb[RMEM_A_REGION_ATTACHED])
		return "attached";
	if (tb[RMEM_A_REGION_SEALED])
		return "sealed";
	return tb[RMEM_A_REGION_PUBLISH] ? "yes" : "no";
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
	rm_rec_str(r, "published", "PUBLISHED", region_published(tb));
	rm_rec_str(r, "cipher", NULL, rm_attr_str(tb, RMEM_A_REGION_CIPHER));
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

static int region_features(struct nlattr **tb, void *arg)
{
	rm_attr_u64(tb, RMEM_A_FEATURES, arg);
	return 0;
}

/*
 * Before a request that publishes, purges, seals or attaches: a module
 * from before published regions would ignore RMEM_A_REGION_PUBLISH and
 * _PURGE (REGION_ADD and _DEL predate the family's resv_start_op, so their
 * unknown attributes are skipped, not refused) and do a plain add or del.
 * With a region's key (@key), one from before encrypted published regions
 * would ignore RMEM_A_KEY there and publish the region unencrypted.
 * Returns 0, or -errno with ctx->nl.extack saying why.
 */
static int region_need_publish(struct rm_ctx *ctx, bool key)
{
	struct nl_msg *msg = rm_nl_msg(&ctx->nl, RMEM_CMD_GET_VERSION, false);
	uint64_t feat = 0;
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = rm_nl_exec(&ctx->nl, msg, region_features, &feat);
	if (ret)
		return ret;
	if (!(feat & RMEM_FEAT_PUBLISH)) {
		snprintf(ctx->nl.extack, sizeof(ctx->nl.extack),
			 "this rmem module has no published regions (feature 'publish'): update it");
		return -EOPNOTSUPP;
	}
	if (key && !(feat & RMEM_FEAT_PUB_KEY)) {
		snprintf(ctx->nl.extack, sizeof(ctx->nl.extack),
			 "this rmem module cannot encrypt published regions (feature 'pub-key'): update it");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* The record of a new or attached region before the reply fills it in. */
static void region_rec_init(struct rm_rec *r, const char *name)
{
	rm_rec_init(r);
	rm_rec_str(r, "name", NULL, name);
	rm_rec_u64(r, "id", NULL, RM_F_U64, false, 0);
	rm_rec_str(r, "device", "device", NULL);
}

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

/* REGION_ADD of @req, with the published region's @key (or NULL). */
static int region_add_send(struct rm_ctx *ctx, const struct rm_req *req, const uint8_t *key,
			   struct rm_rec *r)
{
	struct nl_msg *msg;
	int ret;

	region_rec_init(r, req->name);
	if (req->publish) {
		ret = region_need_publish(ctx, key);
		if (ret)
			return ret;
	}
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
	     nla_put_u8(msg, RMEM_A_REGION_ENCRYPT, (uint8_t)req->encrypt) < 0) ||
	    (req->publish && nla_put_flag(msg, RMEM_A_REGION_PUBLISH) < 0) ||
	    (key && nla_put(msg, RMEM_A_KEY, RMEM_KEY_LEN, key) < 0)) {
		rm_nl_msg_free(msg);
		return -EMSGSIZE;
	}
	return rm_nl_exec(&ctx->nl, msg, region_add_reply, r);
}

/**
 * rm_region_add() - REGION_ADD of the region @req describes; prints nothing
 * @ctx: the command (its netlink socket opened with rm_open())
 * @req: name, size, type, chunk, cache, replicas, prealloc, encrypt, publish
 *	(with no key file: rmem.conf publishes nothing)
 * @r: the reply as a record ("name", "id", "device"), initialized here
 *
 * Return: 0 or -errno (ctx->nl.extack says why).
 */
int rm_region_add(struct rm_ctx *ctx, const struct rm_req *req, struct rm_rec *r)
{
	return region_add_send(ctx, req, NULL, r);
}

/*
 * The region's key from req->key_file, if it names one, into @key: 0, or a
 * failure already reported. First, and once: a bad file is reported even
 * without the module, and what is sent is what was checked.
 */
static int region_key_read(struct rm_ctx *ctx, const struct rm_req *req,
			   uint8_t key[RMEM_AUTH_KEY_LEN])
{
	char err[256];

	if (!req->key_file)
		return 0;
	if (rmem_key_read_file(req->key_file, key, err, sizeof(err))) {
		explicit_bzero(key, RMEM_AUTH_KEY_LEN);
		return rm_failf(ctx, "%s", err);
	}
	return 0;
}

static int region_add_run(struct rm_ctx *ctx, const struct rm_req *req)
{
	uint8_t key[RMEM_AUTH_KEY_LEN];
	struct rm_rec r;
	int ret;

	ret = region_key_read(ctx, req, key);
	if (ret)
		return ret;
	ret = rm_open(ctx);
	if (!ret) {
		ret = region_add_send(ctx, req, req->key_file ? key : NULL, &r);
		ret = ret ? rm_fail(ctx, ret) : RM_EXIT_OK;
		if (ret == RM_EXIT_OK)
			rm_out_result(&ctx->out, &r);
	}
	explicit_bzero(key, sizeof(key));
	return ret;
}

/* REGION_DEL or REGION_SEAL of the region NAME; DEL's purge, if asked. */
static int region_name_cmd(struct rm_ctx *ctx, const struct rm_req *req, uint8_t cmd)
{
	struct nl_msg *msg;
	int ret;

	ret = rm_open(ctx);
	if (ret)
		return ret;
	if (req->purge || cmd == RMEM_CMD_REGION_SEAL) {
		ret = region_need_publish(ctx, false);
		if (ret)
			return rm_fail(ctx, ret);
	}
	msg = region_msg(ctx, cmd, req);
	if (!msg)
		return rm_fail(ctx, -ENOMEM);
	if (req->purge && nla_put_flag(msg, RMEM_A_REGION_PURGE) < 0) {
		nlmsg_free(msg);
		return rm_fail(ctx, -EMSGSIZE);
	}
	ret = rm_nl_exec(&ctx->nl, msg, NULL, NULL);
	return ret ? rm_fail(ctx, ret) : RM_EXIT_OK;
}

static int region_del_run(struct rm_ctx *ctx, const struct rm_req *req)
{
	return region_name_cmd(ctx, req, RMEM_CMD_REGION_DEL);
}

static int region_seal_run(struct rm_ctx *ctx, const struct rm_req *req)
{
	return region_name_cmd(ctx, req, RMEM_CMD_REGION_SEAL);
}

static void node_ref_format(const struct rm_node_ref *ref, char *buf, size_t len)
{
	if (ref->has_id)
		snprintf(buf, len, "%u", ref->id);
	else
		rm_addr_format(&ref->addr, true, buf, len);
}

/*
 * The ids of the nodes "node LIST" names, in its order: an address is
 * looked up in the node dump (as 'node del ADDR' does), once for all.
 */
static int region_node_ids(struct rm_ctx *ctx, const struct rm_req *req, uint32_t *ids)
{
	struct node_list l = { 0 };
	char a[80], b[80];
	bool dumped = false;
	unsigned int i, j;
	int ret = 0;

	for (i = 0; i < req->n_nodes && !ret; i++) {
		const struct rm_node_ref *ref = &req->nodes[i];

		if (ref->has_id) {
			ids[i] = ref->id;
		} else {
			if (!dumped) {
				ret = rm_node_dump(ctx, &l);
				dumped = true;
			}
			if (!ret)
				ret = rm_node_find(ctx, &l, &ref->addr, true, &ids[i]);
		}
		for (j = 0; j < i && !ret; j++) {
			if (ids[j] != ids[i])
				continue;
			node_ref_format(&req->nodes[j], a, sizeof(a));
			node_ref_format(ref, b, sizeof(b));
			ret = rm_failf(ctx, "the node list names node %u twice ('%s' and '%s')",
				       ids[i], a, b);
		}
	}
	rm_node_list_free(&l);
	return ret;
}

static int region_attach_reply(struct nlattr **tb, void *arg)
{
	struct rm_rec *r = arg;
	uint64_t size = 0;
	bool set = rm_attr_u64(tb, RMEM_A_REGION_SIZE, &size);

	region_add_reply(tb, r);
	rm_rec_u64(r, "size", NULL, RM_F_SIZE, set, size);
	return 0;
}

/* REGION_ATTACH of @req, with the region's @key (or NULL); @ctx is open. */
static int region_attach_send(struct rm_ctx *ctx, const struct rm_req *req, const uint8_t *key)
{
	uint32_t ids[RM_NODE_IDS_MAX];
	struct nl_msg *msg;
	struct rm_rec r;
	int ret;

	ret = region_need_publish(ctx, key);
	if (ret)
		return rm_fail(ctx, ret);
	ret = region_node_ids(ctx, req, ids);
	if (ret)
		return ret;
	region_rec_init(&r, req->name);
	rm_rec_u64(&r, "size", NULL, RM_F_SIZE, false, 0);
	msg = region_msg(ctx, RMEM_CMD_REGION_ATTACH, req);
	if (!msg)
		return rm_fail(ctx, -ENOMEM);
	if (nla_put_u8(msg, RMEM_A_REGION_TYPE, (uint8_t)req->type) < 0 ||
	    (req->n_nodes && nla_put(msg, RMEM_A_REGION_NODE_IDS,
				     (int)(req->n_nodes * sizeof(ids[0])), ids) < 0) ||
	    (req->chunk && nla_put_u64(msg, RMEM_A_REGION_CHUNK_SIZE, req->chunk) < 0) ||
	    (req->cache && nla_put_u64(msg, RMEM_A_REGION_CACHE_SIZE, req->cache) < 0) ||
	    (key && nla_put(msg, RMEM_A_KEY, RMEM_KEY_LEN, key) < 0)) {
		rm_nl_msg_free(msg);
		return rm_fail(ctx, -EMSGSIZE);
	}
	ret = rm_nl_exec(&ctx->nl, msg, region_attach_reply, &r);
	if (ret)
		return rm_fail(ctx, ret);
	rm_out_result(&ctx->out, &r);
	return RM_EXIT_OK;
}

static int region_attach_run(struct rm_ctx *ctx, const struct rm_req *req)
{
	uint8_t key[RMEM_AUTH_KEY_LEN];
	int ret;

	ret = region_key_read(ctx, req, key);
	if (ret)
		return ret;
	ret = rm_open(ctx);
	if (!ret)
		ret = region_attach_send(ctx, req, req->key_file ? key : NULL);
	explicit_bzero(key, sizeof(key));
	return ret;
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
	{ "add", "NAME size SIZE [type block|mmap] [replicas N] [prealloc] [encrypt on|off] [chunk SIZE] [cache SIZE] [publish [key-file FILE]]",
	  "create a region (publish: for other compute nodes to attach, encrypted with the key in FILE); prints its device name",
	  region_add_parse, region_add_run },
	{ "del", "NAME [purge]",
	  "remove a region or an attachment (purge: its published copy too)",
	  region_del_parse, region_del_run },
	{ "show", "[NAME]", "list regions, or one", region_show_parse, region_show_run },
	{ "load", "NAME FILE [offset SIZE]",
	  "write FILE into the region (at OFFSET, a multiple of 4K), with progress",
	  rm_load_parse, rm_load_run },
	{ "seal", "NAME", "make a published region read-only for good (then others can attach it)",
	  region_name_parse, region_seal_run },
	{ "attach", "NAME [node ID|ADDR[,ID|ADDR...]] [type mmap|block] [chunk SIZE] [cache SIZE] [key-file FILE]",
	  "attach a sealed published region read-only (key-file: the key it was published with); prints its device name",
	  region_attach_parse, region_attach_run },
	{ 0 }
};

const struct rm_object rm_obj_region = {
	.name = "region",
	.help = "rmemctl region: remote memory regions (block devices, mmap devices)",
	.verbs = region_verbs,
	.default_verb = "show",
};
