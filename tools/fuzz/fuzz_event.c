// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: an event as the module multicasts it (RMEM_CMD_EVENT's
 * attributes, arbitrary bytes here) through the reply policy,
 * rm_event_rec() and rm_event_print() in text and JSON, as rmemctl
 * monitor handles it.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nlattr *tb[RMEM_A_MAX + 1];
	struct rm_out o = { 0 };
	struct rm_rec r;
	void *buf;

	if (size > 65536)
		return 0;
	buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	o.f = fopen("/dev/null", "w");
	if (!o.f)
		abort();
	if (!rm_nl_parse_reply(buf, (int)size, tb) && !rm_event_rec(tb, &r)) {
		FUZZ_ASSERT(r.n > 0 && r.n <= RM_REC_MAX);
		rm_event_print(&o, &r);
		o.json = true;
		rm_event_print(&o, &r);
	}
	fclose(o.f);
	free(buf);
	return 0;
}
