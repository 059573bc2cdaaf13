// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the whole command line parser. The input is split at NUL
 * bytes into argv[1..]; rm_cli_parse() must never crash, and whatever it
 * accepts must be something the kernel's policy accepts too (every verb,
 * region seal and attach with their node lists included).
 */
#include <errno.h>

#include "fuzz.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2];
	struct rm_cmd cmd;
	int argc = 1, ret;
	size_t i, start = 0;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "rmemctl";
	for (i = 0; i <= size && argc <= MAX_ARGS; i++) {
		if (buf[i] == '\0') {
			argv[argc++] = buf + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;

	ret = rm_cli_parse(argc, argv, &cmd);
	FUZZ_ASSERT(ret == 0 || ret == -EINVAL);
	FUZZ_ASSERT(memchr(cmd.err, '\0', sizeof(cmd.err)));
	if (ret) {
		FUZZ_ASSERT(cmd.err[0]);
	} else if (cmd.action == RM_ACT_RUN) {
		const struct rm_req *r = &cmd.req;

		FUZZ_ASSERT(cmd.obj && cmd.verb && cmd.verb->run);
		FUZZ_ASSERT(!r->has_name || rm_region_name_valid(r->name));
		FUZZ_ASSERT(!r->has_size || (r->size && r->size % RM_REGION_ALIGN == 0));
		FUZZ_ASSERT(!r->has_timeout || (r->timeout_ms >= RM_NODE_TIMEOUT_MIN_MS &&
						r->timeout_ms <= RM_NODE_TIMEOUT_MAX_MS));
		FUZZ_ASSERT(r->transport >= -1 && r->transport <= RMEM_TRANSPORT_MAX);
		FUZZ_ASSERT(r->type >= -1 && r->type <= RMEM_REGION_TYPE_MAX);
		FUZZ_ASSERT(!r->has_addr || r->addr.family);
		FUZZ_ASSERT(!(r->has_key_id && r->auth_none));
		FUZZ_ASSERT(!r->key_file || r->key_file[0]);
		if (cmd.verb->parse != rm_no_args && !strcmp(cmd.verb->name ? cmd.verb->name : "",
							      "add"))
			FUZZ_ASSERT(r->has_addr || (r->has_name && r->has_size) || r->key_file);
		if (cmd.obj == &rm_obj_key && cmd.verb->name && !strcmp(cmd.verb->name, "del"))
			FUZZ_ASSERT(r->has_key_id);
		/* published regions: never encrypted; purge only on del */
		FUZZ_ASSERT(!(r->publish && r->encrypt == 1));
		FUZZ_ASSERT(!r->publish || !strcmp(cmd.verb->name, "add"));
		FUZZ_ASSERT(!r->purge || !strcmp(cmd.verb->name, "del"));
		FUZZ_ASSERT(r->n_nodes <= RM_NODE_IDS_MAX);
		for (i = 0; i < r->n_nodes; i++)
			FUZZ_ASSERT(r->nodes[i].has_id || r->nodes[i].addr.family);
		if (cmd.obj == &rm_obj_region && !strcmp(cmd.verb->name, "attach"))
			FUZZ_ASSERT(r->has_name && r->type >= 0 &&
				    (r->type == RMEM_REGION_MMAP || (!r->chunk && !r->cache)));
	}
	free(buf);
	return 0;
}
