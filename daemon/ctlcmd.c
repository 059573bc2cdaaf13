// SPDX-License-Identifier: GPL-2.0
/*
 * rmemd control socket commands: parse one line (see ctlcmd.h). Words are
 * separated by single or repeated spaces; the line ends at its first CR,
 * LF or NUL.
 */
#include <stdio.h>
#include <string.h>

#include "ctlcmd.h"
#include "pub.h"

#define CTL_USAGE "status, published, delete-published NAME [force]"

/* The next word of @*p (at most @len - 1 bytes kept), or "" at the end. */
static void next_word(const char **p, char *word, size_t len)
{
	const char *s = *p;
	size_t n;

	s += strspn(s, " ");
	n = strcspn(s, " ");
	snprintf(word, len, "%.*s", (int)(n < len ? n : len - 1), s);
	if (n >= len)
		word[0] = '\x01';	/* too long: never a valid word */
	*p = s + n;
}

/**
 * rmemd_ctl_parse() - parse a control socket command line
 * @line: NUL-terminated; parsing stops at the first CR or LF
 * @cmd: the result (always set; RMEMD_CTL_BAD with a message on error)
 */
void rmemd_ctl_parse(const char *line, struct rmemd_ctl_cmd *cmd)
{
	char buf[256], word[RMEM_PUB_NAME_LEN + 1], name[RMEM_PUB_NAME_LEN + 1];
	const char *p = buf;

	memset(cmd, 0, sizeof(*cmd));
	snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(line, "\r\n"), line);
	next_word(&p, word, sizeof(word));
	if (!word[0] || !strcmp(word, "status")) {
		cmd->op = RMEMD_CTL_STATUS;
	} else if (!strcmp(word, "published")) {
		cmd->op = RMEMD_CTL_PUBLISHED;
	} else if (!strcmp(word, "delete-published")) {
		char pad[RMEM_PUB_NAME_LEN] = { 0 };

		next_word(&p, name, sizeof(name));
		if (strlen(name) < sizeof(pad))
			memcpy(pad, name, strlen(name));
		if (!name[0] || strlen(name) >= sizeof(pad) ||
		    !rmem_pub_name_valid(pad, sizeof(pad))) {
			cmd->op = RMEMD_CTL_BAD;
			snprintf(cmd->error, sizeof(cmd->error),
				 "usage: delete-published NAME [force] (NAME: 1-63 of A-Z a-z 0-9 . _ : @ + -)");
			return;
		}
		memcpy(cmd->name, pad, sizeof(cmd->name));
		next_word(&p, word, sizeof(word));
		cmd->force = !strcmp(word, "force");
		if (word[0] && !cmd->force) {
			memset(cmd->name, 0, sizeof(cmd->name));
			cmd->op = RMEMD_CTL_BAD;
			snprintf(cmd->error, sizeof(cmd->error),
				 "usage: delete-published NAME [force]");
			return;
		}
		cmd->op = RMEMD_CTL_DELETE_PUBLISHED;
	} else {
		cmd->op = RMEMD_CTL_BAD;
		snprintf(cmd->error, sizeof(cmd->error), "unknown command '%.64s' (" CTL_USAGE ")",
			 word[0] == '\x01' ? "(too long)" : word);
		return;
	}
	next_word(&p, word, sizeof(word));
	if (word[0]) {
		memset(cmd->name, 0, sizeof(cmd->name));
		cmd->force = false;
		cmd->op = RMEMD_CTL_BAD;
		snprintf(cmd->error, sizeof(cmd->error), "unexpected '%.64s' (" CTL_USAGE ")",
			 word[0] == '\x01' ? "(too long)" : word);
	}
}
