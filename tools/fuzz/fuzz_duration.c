// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: rm_parse_duration_ms(). */
#include <errno.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), buf[64];
	const char *why = NULL;
	uint64_t v = 0, back = 0;
	int ret = rm_parse_duration_ms(s, &v, &why);

	FUZZ_ASSERT(ret == 0 || ret == -EINVAL || ret == -ERANGE);
	FUZZ_ASSERT(ret == 0 || why);
	if (!ret) {
		FUZZ_ASSERT(strspn(s, "0123456789msinh") == strlen(s));
		snprintf(buf, sizeof(buf), "%llums", (unsigned long long)v);
		FUZZ_ASSERT(!rm_parse_duration_ms(buf, &back, NULL) && back == v);
	}
	free(s);
	return 0;
}
