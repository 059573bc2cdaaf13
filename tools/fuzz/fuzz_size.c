// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: rm_parse_size(), and rm_fmt_size() round trips. */
#include <errno.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), buf[32];
	const char *why = NULL;
	uint64_t v = 0, back = 0;
	int ret = rm_parse_size(s, &v, &why);

	FUZZ_ASSERT(ret == 0 || ret == -EINVAL || ret == -ERANGE);
	FUZZ_ASSERT(ret == 0 || why);
	if (!ret) {
		FUZZ_ASSERT(s[0] >= '0' && s[0] <= '9');
		FUZZ_ASSERT(strspn(s, "0123456789KMGTPEkmgtpeiBb") == strlen(s));
		rm_fmt_size(v, buf, sizeof(buf));
		if (!strchr(buf, '.'))
			FUZZ_ASSERT(!rm_parse_size(buf, &back, NULL) && back == v);
	}
	free(s);
	return 0;
}
