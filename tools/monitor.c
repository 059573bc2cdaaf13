// SPDX-License-Identifier: GPL-2.0
/*
 * rmemctl monitor: print the module's events as they happen, like
 * `ip monitor`. It joins the "events" multicast group of the rmem family
 * (include/uapi/rmem.h, "Events"); anyone may listen.
 *
 * Text: one line per event, "EVENT key=value ...". JSON (-j): one object
 * per line, with the same keys, for scripts that read a stream.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "rmemctl.h"

static const char *const event_names[] = {
	[RMEM_EVENT_NODE_STATE] = "node_state",
	[RMEM_EVENT_REGION_DEGRADED] = "region_degraded",
	[RMEM_EVENT_REGION_REBUILT] = "region_rebuilt",
	[RMEM_EVENT_IO_ERROR] = "io_error",
	[RMEM_EVENT_CSUM_ERROR] = "csum_error",
};

/**
 * rm_event_rec() - one event (RMEM_CMD_EVENT's attributes) as a record
 * @tb: the attributes
 * @r: filled; its fields have keys (JSON) and headers (text)
 *
 * Return: 0, or -EBADMSG when it names no event this rmemctl knows (a newer
 * module): such an event is skipped.
 */
int rm_event_rec(struct nlattr **tb, struct rm_rec *r)
{
	uint64_t type, v;
	const char *s;
	char num[24];
	bool set;

	rm_rec_init(r);
	if (!rm_attr_u8(tb, RMEM_A_EVENT, &type) ||
	    type >= sizeof(event_names) / sizeof(event_names[0]))
		return -EBADMSG;
	rm_rec_str(r, "event", "event", event_names[type]);
	if (rm_attr_u32(tb, RMEM_A_NODE_ID, &v))
		rm_rec_u64(r, "node", "node", RM_F_U64, true, v);
	if (rm_attr_u32(tb, RMEM_A_REGION_ID, &v)) {
		rm_rec_u64(r, "region_id", "region_id", RM_F_U64, true, v);
		rm_rec_str(r, "region", "region", rm_attr_str(tb, RMEM_A_REGION_NAME));
	}
	switch (type) {
	case RMEM_EVENT_NODE_STATE:
		set = rm_attr_u8(tb, RMEM_A_EVENT_OLD_STATE, &v);
		s = set ? rm_node_state_name((unsigned int)v) : NULL;
		rm_rec_str(r, "old_state", "old_state", s);
		set = rm_attr_u8(tb, RMEM_A_NODE_STATE, &v);
		s = set ? rm_node_state_name((unsigned int)v) : NULL;
		rm_rec_str(r, "state", "state", s);
		break;
	case RMEM_EVENT_REGION_DEGRADED:
		set = rm_attr_u32(tb, RMEM_A_REGION_DEGRADED, &v);
		rm_rec_u64(r, "degraded", "degraded", RM_F_U64, set, v);
		break;
	case RMEM_EVENT_IO_ERROR:
	case RMEM_EVENT_CSUM_ERROR:
		set = rm_attr_u64(tb, RMEM_A_EVENT_POS, &v);
		rm_rec_u64(r, "pos", "pos", RM_F_U64, set, v);
		set = rm_attr_u32(tb, RMEM_A_EVENT_LEN, &v);
		rm_rec_u64(r, "len", "len", RM_F_U64, set, v);
		if (type == RMEM_EVENT_IO_ERROR) {
			/* "EIO": one word, for key=value lines */
			set = rm_attr_u32(tb, RMEM_A_EVENT_ERRNO, &v);
			s = set && v < 4096 ? strerrorname_np((int)v) : NULL;
			if (set && !s) {
				snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
				s = num;
			}
			rm_rec_str(r, "error", "error", s);
		}
		break;
	}
	if (rm_attr_u32(tb, RMEM_A_EVENT_LOST, &v))
		rm_rec_u64(r, "lost", "lost", RM_F_U64, true, v);
	return 0;
}

/**
 * rm_event_print() - print one event
 * @o: the output: JSON, an object on one line; text, "EVENT key=value ..."
 * @r: from rm_event_rec()
 */
void rm_event_print(const struct rm_out *o, const struct rm_rec *r)
{
	FILE *f = o->f;
	unsigned int i;

	if (o->json) {
		rm_out_object(o, r);
		return;
	}
	/* The event's name, then key=value for each field the module sent. */
	rmem_text_string(f, r->f[0].s);
	for (i = 1; i < r->n; i++) {
		const struct rm_field *fl = &r->f[i];

		if (!fl->set)
			continue;
		fprintf(f, " %s=", fl->hdr);
		if (fl->fmt == RM_F_STR)
			rmem_text_string(f, fl->s);
		else
			fprintf(f, "%llu", (unsigned long long)fl->u);
	}
	fputc('\n', f);
}

struct monitor {
	struct rm_ctx *ctx;
	int cmd_event;
};

static int on_event(struct nl_msg *msg, void *arg)
{
	struct monitor *m = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[RMEM_A_MAX + 1];
	struct genlmsghdr *gh;
	struct rm_rec r;

	if (!genlmsg_valid_hdr(nlh, 0))
		return NL_SKIP;
	gh = nlmsg_data(nlh);
	if (gh->cmd != RMEM_CMD_EVENT ||
	    rm_nl_parse_reply(genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0), tb) ||
	    rm_event_rec(tb, &r))
		return NL_SKIP;
	rm_event_print(&m->ctx->out, &r);
	fflush(m->ctx->out.f);
	return NL_OK;
}

static int monitor_run(struct rm_ctx *ctx, const struct rm_req *req)
{
	struct monitor m = { .ctx = ctx };
	int grp, ret;

	(void)req;
	ret = rm_open(ctx);
	if (ret)
		return ret;
	grp = genl_ctrl_resolve_grp(ctx->nl.sk, RMEM_GENL_NAME, RMEM_MCGRP_EVENTS);
	if (grp < 0)
		return rm_failf(ctx, "the module has no \"%s\" group (too old): %s",
				RMEM_MCGRP_EVENTS, nl_geterror(grp));
	ret = nl_socket_add_membership(ctx->nl.sk, grp);
	if (ret < 0)
		return rm_failf(ctx, "cannot join the events group: %s", nl_geterror(ret));
	nl_socket_disable_seq_check(ctx->nl.sk);
	nl_socket_modify_cb(ctx->nl.sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, &m);
	/* Tells a script waiting for us that events from now on are seen. */
	fputs("monitoring rmem events (Ctrl-C to stop)\n", stderr);
	for (;;) {
		ret = nl_recvmsgs_default(ctx->nl.sk);
		/* A burst overflowed the socket buffer: say so, go on. */
		if (ret == -NLE_NOMEM || ret == -NLE_MSG_OVERFLOW) {
			fputs("rmemctl: monitor: events were lost (receive buffer full)\n", stderr);
			continue;
		}
		if (ret < 0 && ret != -NLE_INTR && ret != -NLE_AGAIN)
			return rm_failf(ctx, "receiving events: %s", nl_geterror(ret));
	}
}

static const struct rm_verb monitor_verbs[] = {
	{ NULL, "", "print node state changes, degraded and rebuilt regions, I/O and checksum "
	  "errors as they happen (-j: a JSON object per line)", rm_no_args, monitor_run },
	{ 0 }
};

const struct rm_object rm_obj_monitor = {
	.name = "monitor",
	.help = "rmemctl monitor: the module's events, as they happen",
	.verbs = monitor_verbs,
};
