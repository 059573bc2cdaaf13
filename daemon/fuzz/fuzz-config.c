// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the config file parser, the size parser, the
 * listen address parser and the key file parser (rmem_key_parse()).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "rmem-key.h"

/* A key parses iff the input is exactly 64 hex digits with only whitespace around. */
static void check_key_parse(const uint8_t *data, size_t size)
{
	uint8_t key[RMEM_AUTH_KEY_LEN];
	size_t i = 0, end = size, hex = 0;
	bool want;

	while (i < end && strchr(" \t\n\r\v\f", data[i]) && data[i])
		i++;
	while (end > i && strchr(" \t\n\r\v\f", data[end - 1]) && data[end - 1])
		end--;
	for (size_t j = i; j < end; j++)
		hex += !!isxdigit(data[j]);
	want = end - i == RMEM_KEY_HEX_LEN && hex == RMEM_KEY_HEX_LEN;
	if ((rmem_key_parse((const char *)data, size, key) == 0) != want)
		abort();
}

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
	check_key_parse(data, size);
	return 0;
}
