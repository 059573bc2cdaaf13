// SPDX-License-Identifier: GPL-2.0
/*
 * rmemctl key: the module's cluster keys (RMEM_CMD_KEY_ADD, _DEL, _GET).
 *
 *   rmemctl key add FILE        install the key in FILE; prints its id
 *   rmemctl key del KEYID       delete a key (nodes using it keep their copy)
 *   rmemctl key show            list the keys' ids (never their bytes)
 *   rmemctl key generate FILE   write a new random key to FILE (mode 0600)
 *
 * Key files are read, parsed and written only by common/rmem-key.c (the
 * format rmemd reads too); key bytes are wiped as soon as they are sent.
 * "generate" needs no module: it runs on memory nodes as well.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "rmem-key.h"
#include "rmemctl.h"

/* ---- parsing ---- */

/**
 * rm_file_parse() - the one FILE argument of a verb (key add, key generate,
 * apply), into req->key_file
 * @req: the request
 * @argc: arguments after the verb
 * @argv: them
 * @err: the usage error
 * @errlen: size of @err
 *
 * Return: 0 or -EINVAL.
 */
int rm_file_parse(struct rm_req *req, int argc, char **argv, char *err, size_t errlen)
{
	if (argc < 1)
		return rm_arg_err(err, errlen, "missing FILE");
	if (argc > 1)
		return rm_arg_err(err, errlen, "unexpected argument '%s'", argv[1]);
	if (!argv[0][0])
		return rm_arg_err(err, errlen, "empty FILE name");
	req->key_file = argv[0];
	return 0;
}

static int key_del_parse(struct rm_req *req, int argc, char **argv, char *err, size_t errlen)
{
	if (argc < 1)
		return rm_arg_err(err, errlen, "missing KEYID");
	if (argc > 1)
		return rm_arg_err(err, errlen, "unexpected argument '%s'", argv[1]);
	if (rm_parse_key_id(argv[0], &req->key_id))
		return rm_arg_err(err, errlen, "invalid key id '%s' (16 hex digits, as 'key list' prints)",
				  argv[0]);
	req->has_key_id = true;
	return 0;
}

/* ---- verbs ---- */

static void rec_key_id(struct rm_rec *r, const char *hdr, bool set, uint64_t id)
{
	char buf[RMEM_KEY_ID_STR_LEN];

	if (!set) {
		rm_rec_str(r, "id", hdr, NULL);
		return;
	}
	rmem_key_format_id(id, buf);
	rm_rec_str(r, "id", hdr, buf);
}

static int key_id_reply(struct nlattr **tb, void *arg)
{
	struct rm_rec *r = arg;
	uint64_t id = 0;
	bool set = rm_attr_u64(tb, RMEM_A_KEY_ID, &id);

	rm_rec_init(r);
	rec_key_id(r, "id", set, id);
	return 0;
}

/* KEY_ADD of @key (wiped from the message once sent); the reply goes to @r. */
static int key_add_send(struct rm_ctx *ctx, const uint8_t key[RMEM_AUTH_KEY_LEN], struct rm_rec *r)
{
	struct nl_msg *msg = rm_nl_msg(&ctx->nl, RMEM_CMD_KEY_ADD, false);

	if (!msg)
		return -ENOMEM;
	if (nla_put(msg, RMEM_A_KEY, RMEM_AUTH_KEY_LEN, key) < 0) {
		rm_nl_msg_free(msg);
		return -EMSGSIZE;
	}
	return rm_nl_exec(&ctx->nl, msg, key_id_reply, r);	/* wipes msg */
}

/**
 * rm_key_add() - KEY_ADD of the key in a key file; prints nothing
 * @ctx: the command (its netlink socket opened with rm_open())
 * @file: the key file (64 hex digits, mode 0600 or stricter)
 * @r: the reply as a record ("id"), initialized here
 * @err: on a bad file, why
 * @errlen: size of @err
 *
 * The key is wiped from memory before this returns.
 *
 * Return: 0, -EBADF for a bad key file (@err says why), or -errno from the
 * module (-EEXIST: installed already; ctx->nl.extack names its id).
 */
int rm_key_add(struct rm_ctx *ctx, const char *file, struct rm_rec *r, char *err, size_t errlen)
{
	uint8_t key[RMEM_AUTH_KEY_LEN];
	int ret;

	rm_rec_init(r);
	rec_key_id(r, "id", false, 0);
	ret = rmem_key_read_file(file, key, err, errlen);
	if (!ret)
		ret = key_add_send(ctx, key, r);
	else
		ret = -EBADF;
	explicit_bzero(key, sizeof(key));
	return ret;
}

static int key_add_run(struct rm_ctx *ctx, const struct rm_req *req)
{
	uint8_t key[RMEM_AUTH_KEY_LEN];
	char err[256];
	struct rm_rec r;
	int ret;

	/*
	 * The file first, and once: a bad file is reported even without the
	 * module, and what is sent is what was checked.
	 */
	ret = rmem_key_read_file(req->key_file, key, err, sizeof(err));
	if (ret) {
		explicit_bzero(key, sizeof(key));
		return rm_failf(ctx, "%s", err);
	}
	ret = rm_open(ctx);
	if (ret) {
		explicit_bzero(key, sizeof(key));
		return ret;
	}
	rm_rec_init(&r);
	rec_key_id(&r, "id", false, 0);
	ret = key_add_send(ctx, key, &r);
	explicit_bzero(key, sizeof(key));
	if (ret)
		return rm_fail(ctx, ret);
	rm_out_result(&ctx->out, &r);
	return RM_EXIT_OK;
}

static int key_del_run(struct rm_ctx *ctx, const struct rm_req *req)
{
	struct nl_msg *msg;
	int ret;

	ret = rm_open(ctx);
	if (ret)
		return ret;
	msg = rm_nl_msg(&ctx->nl, RMEM_CMD_KEY_DEL, false);
	if (!msg)
		return rm_fail(ctx, -ENOMEM);
	if (nla_put_u64(msg, RMEM_A_KEY_ID, req->key_id) < 0) {
		nlmsg_free(msg);
		return rm_fail(ctx, -EMSGSIZE);
	}
	ret = rm_nl_exec(&ctx->nl, msg, NULL, NULL);
	return ret ? rm_fail(ctx, ret) : RM_EXIT_OK;
}

/* The keys of a dump, grown as replies come. */
struct key_list {
	struct rm_rec *recs;
	size_t n, cap;
};

static int key_collect(struct nlattr **tb, void *arg)
{
	struct key_list *l = arg;
	uint64_t v = 0;
	bool set;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : RMEM_KEY_MAX;
		struct rm_rec *recs = realloc(l->recs, cap * sizeof(*recs));

		if (!recs)
			return -ENOMEM;
		l->recs = recs;
		l->cap = cap;
	}
	rm_rec_init(&l->recs[l->n]);
	set = rm_attr_u64(tb, RMEM_A_KEY_ID, &v);
	rec_key_id(&l->recs[l->n], "ID", set, v);
	set = rm_attr_u32(tb, RMEM_A_KEY_NODES, &v);
	rm_rec_u64(&l->recs[l->n], "nodes", "NODES", RM_F_U64, set, v);
	l->n++;
	return 0;
}

static int key_show_run(struct rm_ctx *ctx, const struct rm_req *req)
{
	struct key_list l = { 0 };
	struct nl_msg *msg;
	int ret;

	(void)req;
	ret = rm_open(ctx);
	if (ret)
		return ret;
	msg = rm_nl_msg(&ctx->nl, RMEM_CMD_KEY_GET, true);
	if (!msg)
		return rm_fail(ctx, -ENOMEM);
	ret = rm_nl_exec(&ctx->nl, msg, key_collect, &l);
	if (ret)
		ret = rm_fail(ctx, ret);
	else
		rm_out_table(&ctx->out, l.recs, l.n);
	free(l.recs);
	return ret;
}

static int key_generate_run(struct rm_ctx *ctx, const struct rm_req *req)
{
	uint8_t key[RMEM_AUTH_KEY_LEN];
	char err[256];
	int ret;

	ret = rmem_key_generate(key);
	if (ret) {
		explicit_bzero(key, sizeof(key));
		return rm_failf(ctx, "no random bytes: %s", strerror(-ret));
	}
	ret = rmem_key_write_file(req->key_file, key, err, sizeof(err));
	explicit_bzero(key, sizeof(key));
	if (ret)
		return rm_failf(ctx, "%s", err);
	return RM_EXIT_OK;
}

static const struct rm_verb key_verbs[] = {
	{ "add", "FILE", "install the cluster key in FILE (64 hex digits, mode 0600); prints its id",
	  rm_file_parse, key_add_run },
	{ "del", "KEYID", "delete a key; nodes added with it keep their own copy",
	  key_del_parse, key_del_run },
	{ "show", "", "list the installed keys' ids and how many nodes use each",
	  rm_no_args, key_show_run },
	{ "generate", "FILE", "write a new random key to FILE (created 0600, never overwritten)",
	  rm_file_parse, key_generate_run },
	{ 0 }
};

const struct rm_object rm_obj_key = {
	.name = "key",
	.help = "rmemctl key: the cluster keys memory nodes are authenticated with",
	.verbs = key_verbs,
	.default_verb = "show",
};
