// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: rm_parse_addr(), and parse(format(addr)) == addr. */
#include <errno.h>
#include <sys/socket.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), buf[80];
	struct rm_addr a, b;
	const char *why = NULL;
	int ret = rm_parse_addr(s, &a, &why);

	FUZZ_ASSERT(ret == 0 || ret == -EINVAL || ret == -ERANGE || ret == -ENOTSUP);
	FUZZ_ASSERT(ret == 0 || why);
	if (!ret) {
		FUZZ_ASSERT(a.family == AF_INET || a.family == AF_INET6);
		FUZZ_ASSERT(!a.has_port || a.port >= 1);
		rm_addr_format(&a, true, buf, sizeof(buf));
		FUZZ_ASSERT(!rm_parse_addr(buf, &b, NULL));
		FUZZ_ASSERT(rm_addr_equal(&a, &b) && a.has_port == b.has_port &&
			    a.port == b.port);
		(void)rm_addr_is_unicast(&a);
	}
	free(s);
	return 0;
}
