// SPDX-License-Identifier: GPL-2.0
/*
 * rmemctl status: the module at a glance (RMEM_CMD_GET_STATUS).
 */
#include <errno.h>

#include <netlink/attr.h>

#include "rmemctl.h"

static int status_reply(struct nlattr **tb, void *arg)
{
	struct rm_rec *r = arg;
	uint64_t v = 0;
	bool set;

	rm_rec_str(r, "version", "module", rm_attr_str(tb, RMEM_A_VERSION));
	set = rm_attr_u32(tb, RMEM_A_NR_NODES, &v);
	rm_rec_u64(r, "nodes", "nodes", RM_F_U64, set, v);
	set = rm_attr_u32(tb, RMEM_A_NR_REGIONS, &v);
	rm_rec_u64(r, "regions", "regions", RM_F_U64, set, v);
	set = rm_attr_u64(tb, RMEM_A_SLAB_SIZE, &v);
	rm_rec_u64(r, "slab_size", "slab size", RM_F_SIZE, set, v);
	set = rm_attr_u64(tb, RMEM_A_FEATURES, &v);
	rm_rec_u64(r, "features", "features", RM_F_FEATURES, set, v);
	return 0;
}

static int status_run(struct rm_ctx *ctx, const struct rm_req *req)
{
	struct nl_msg *msg;
	struct rm_rec r;
	int ret;

	(void)req;
	ret = rm_open(ctx);
	if (ret)
		return ret;
	msg = rm_nl_msg(&ctx->nl, RMEM_CMD_GET_STATUS, false);
	if (!msg)
		return rm_fail(ctx, -ENOMEM);
	rm_rec_init(&r);
	ret = rm_nl_exec(&ctx->nl, msg, status_reply, &r);
	if (ret)
		return rm_fail(ctx, ret);
	rm_out_object(&ctx->out, &r);
	return RM_EXIT_OK;
}

static const struct rm_verb status_verbs[] = {
	{ NULL, "", "module status: nodes, regions, slab size, features",
	  rm_no_args, status_run },
	{ 0 }
};

const struct rm_object rm_obj_status = {
	.name = "status",
	.help = "rmemctl status: the module at a glance",
	.verbs = status_verbs,
};
