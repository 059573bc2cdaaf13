// SPDX-License-Identifier: GPL-2.0
/* json_check: exit 0 if stdin is one valid JSON text, 1 if not. */
#include <stdio.h>
#include <stdlib.h>

#include "json_check.h"

int main(void)
{
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), stdin);

	if (n == sizeof(buf) || !json_valid(buf, n)) {
		fputs("json_check: not valid JSON\n", stderr);
		return 1;
	}
	return 0;
}
