// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: rm_nl_extack() on arbitrary ERROR/DONE messages, as libnl
 * hands them over (nlmsg_len within the buffer, at least a header).
 */
#include <linux/netlink.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rm_nl nl = { 0 };
	struct nlmsghdr *h;
	void *buf;

	if (size < NLMSG_HDRLEN || size > 65536)
		return 0;
	buf = malloc(size);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	h = buf;
	if (h->nlmsg_len > size || h->nlmsg_len < NLMSG_HDRLEN)
		h->nlmsg_len = (uint32_t)size;
	h->nlmsg_type = (data[4] & 1) ? NLMSG_ERROR : NLMSG_DONE;
	rm_nl_extack(&nl, h);
	FUZZ_ASSERT(memchr(nl.extack, '\0', sizeof(nl.extack)));
	free(buf);
	return 0;
}
