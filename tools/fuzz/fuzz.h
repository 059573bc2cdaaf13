/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the libFuzzer harnesses. */
#ifndef RM_FUZZ_H
#define RM_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rmemctl.h"

/* The input as a C string (stops at the first NUL); free() it. */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)

#endif
