// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the rmem.conf parser (rmemctl apply). Any bytes: it must
 * never crash, and every entry it accepts must be what the commands'
 * own parsers accept: a key with a file name, a node with an address, a
 * region with a valid name and a size, swap only on a block region, never
 * published.
 */
#include <errno.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rm_conf c;
	char err[256];
	unsigned int i;
	int ret;

	ret = rm_conf_parse((const char *)data, size, &c, err, sizeof(err));
	FUZZ_ASSERT(ret == 0 || ret == -EINVAL);
	FUZZ_ASSERT(memchr(err, '\0', sizeof(err)));
	if (ret) {
		FUZZ_ASSERT(!strncmp(err, "line ", 5));
		return 0;
	}
	FUZZ_ASSERT(c.n <= RM_CONF_MAX_ENTRIES);
	for (i = 0; i < c.n; i++) {
		const struct rm_conf_entry *e = &c.e[i];

		FUZZ_ASSERT(e->line >= 1);
		switch (e->kind) {
		case RM_CONF_KEY:
			FUZZ_ASSERT(e->file[0] && memchr(e->file, '\0', sizeof(e->file)));
			break;
		case RM_CONF_NODE:
			FUZZ_ASSERT(e->req.addr.family && rm_addr_is_unicast(&e->req.addr));
			FUZZ_ASSERT(!e->swap);
			break;
		case RM_CONF_REGION:
			FUZZ_ASSERT(rm_region_name_valid(e->req.name));
			FUZZ_ASSERT(e->req.has_size && e->req.size &&
				    e->req.size % RM_REGION_ALIGN == 0);
			FUZZ_ASSERT(!e->swap || e->req.type != RMEM_REGION_MMAP);
			FUZZ_ASSERT(!e->req.publish && !e->req.purge && !e->req.n_nodes);
			FUZZ_ASSERT(e->swap_prio >= -1 && e->swap_prio <= 32767);
			break;
		default:
			abort();
		}
	}
	return 0;
}
