/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmemd control socket commands (ctl.c): the parser, apart from the socket
 * so that the tests and a fuzzer drive it directly.
 */
#ifndef RMEMD_CTLCMD_H
#define RMEMD_CTLCMD_H

#include <stdbool.h>

#include "rmem-proto.h"

enum rmemd_ctl_op {
	RMEMD_CTL_STATUS,		/* "status", or an empty line */
	RMEMD_CTL_PUBLISHED,		/* "published" */
	RMEMD_CTL_DELETE_PUBLISHED,	/* "delete-published NAME [force]" */
	RMEMD_CTL_BAD,			/* anything else: @error says why */
};

/**
 * struct rmemd_ctl_cmd - a parsed command line
 * @op: what to do
 * @name: RMEMD_CTL_DELETE_PUBLISHED: a valid region name
 * @force: RMEMD_CTL_DELETE_PUBLISHED: "force" given
 * @error: RMEMD_CTL_BAD: the error line's text (without "error ")
 */
struct rmemd_ctl_cmd {
	enum rmemd_ctl_op op;
	char name[RMEM_PUB_NAME_LEN];
	bool force;
	char error[160];
};

void rmemd_ctl_parse(const char *line, struct rmemd_ctl_cmd *cmd);

#endif
