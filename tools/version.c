// SPDX-License-Identifier: GPL-2.0
/*
 * rmemctl version: the tool's version and the module's (RMEM_CMD_GET_VERSION).
 */
#include <errno.h>

#include <netlink/attr.h>

#include "rmemctl.h"

static int version_reply(struct nlattr **tb, void *arg)
{
	struct rm_rec *r = arg;
	uint64_t api = 0, feat = 0;
	bool has_api, has_feat;

	has_api = rm_attr_u32(tb, RMEM_A_API_VERSION, &api);
	has_feat = rm_attr_u64(tb, RMEM_A_FEATURES, &feat);
	rm_rec_str(r, "module", "module", rm_attr_str(tb, RMEM_A_VERSION));
	rm_rec_u64(r, "api_version", "api", RM_F_U64, has_api, api);
	rm_rec_u64(r, "features", "features", RM_F_FEATURES, has_feat, feat);
	if (has_api && api != RMEM_API_VERSION)
		fprintf(stderr, "rmemctl: warning: the module speaks API %llu, rmemctl API %u: "
			"update rmemctl\n", (unsigned long long)api, RMEM_API_VERSION);
	return 0;
}

static int version_run(struct rm_ctx *ctx, const struct rm_req *req)
{
	struct nl_msg *msg;
	struct rm_rec r;
	int ret;

	(void)req;
	rm_rec_init(&r);
	rm_rec_str(&r, "rmemctl", "rmemctl", RMEMCTL_VERSION);
	ret = rm_open(ctx);
	if (ret) {
		/* Still tell the tool's version; the error went to stderr. */
		rm_rec_str(&r, "module", "module", NULL);
		rm_rec_u64(&r, "api_version", "api", RM_F_U64, false, 0);
		rm_rec_u64(&r, "features", "features", RM_F_FEATURES, false, 0);
		rm_out_object(&ctx->out, &r);
		return ret;
	}
	msg = rm_nl_msg(&ctx->nl, RMEM_CMD_GET_VERSION, false);
	if (!msg)
		return rm_fail(ctx, -ENOMEM);
	ret = rm_nl_exec(&ctx->nl, msg, version_reply, &r);
	if (ret)
		return rm_fail(ctx, ret);
	rm_out_object(&ctx->out, &r);
	return RM_EXIT_OK;
}

static const struct rm_verb version_verbs[] = {
	{ NULL, "", "the versions of rmemctl and of the module", rm_no_args, version_run },
	{ 0 }
};

const struct rm_object rm_obj_version = {
	.name = "version",
	.help = "rmemctl version: the versions of rmemctl and of the rmem module",
	.verbs = version_verbs,
};
