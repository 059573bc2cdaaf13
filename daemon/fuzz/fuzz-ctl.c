// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the control socket's command parser
 * (rmemd_ctl_parse()): the input is one command line. Checks, beyond the
 * sanitizers: a parsed delete-published names a valid region name; an
 * error has a message; and parsing the canonical form of what was parsed
 * gives the same command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlcmd.h"
#include "pub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rmemd_ctl_cmd cmd, again;
	char line[600];

	if (size >= sizeof(line))
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	rmemd_ctl_parse(line, &cmd);
	switch (cmd.op) {
	case RMEMD_CTL_STATUS:
		snprintf(line, sizeof(line), "status");
		break;
	case RMEMD_CTL_PUBLISHED:
		snprintf(line, sizeof(line), "published");
		break;
	case RMEMD_CTL_DELETE_PUBLISHED:
		if (!rmem_pub_name_valid(cmd.name, sizeof(cmd.name)))
			abort();
		snprintf(line, sizeof(line), "delete-published %s%s", cmd.name,
			 cmd.force ? " force" : "");
		break;
	case RMEMD_CTL_BAD:
		if (!cmd.error[0])
			abort();
		return 0;
	default:
		abort();
	}
	rmemd_ctl_parse(line, &again);
	if (again.op != cmd.op || again.force != cmd.force || strcmp(again.name, cmd.name))
		abort();
	return 0;
}
