// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the config file parser, the size parser and the
 * listen address parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rmemd_config c;
	char err[512], host[RMEMD_HOST_MAX], *s;
	const char *why;
	uint64_t v;
	uint16_t port;

	rmemd_log_init(true, RMEMD_LOG_OFF);
	rmemd_config_defaults(&c);
	if (rmemd_config_parse(&c, (const char *)data, size, "fuzz.conf", err, sizeof(err)) == 0)
		rmemd_config_check(&c, err, sizeof(err));
	else if (strncmp(err, "fuzz.conf:", 10))
		abort();

	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	if (rmemd_parse_size(s, &v, &why) == 0 && v == 0)
		abort();
	rmemd_parse_listen(s, host, sizeof(host), &port, &why);
	free(s);
	return 0;
}
