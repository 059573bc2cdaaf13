/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmem cluster keys in userspace: the key file format, shared by rmemd,
 * rmemctl and the selftest probes. A key file holds one 256-bit key
 * (RMEM_AUTH_KEY_LEN bytes) as exactly 64 hex digits, optionally surrounded
 * by whitespace (a final newline), and must be a regular file that only its
 * owner may read or write (mode 0600 or stricter). No crypto library here:
 * key ids and MACs are daemon/auth.c's.
 *
 * Functions return 0 or a negative errno; those taking @err fill it with one
 * line that names the file and never contains key material.
 */
#ifndef RMEM_KEY_H
#define RMEM_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "rmem-proto.h"

/* Longest key file read: a key with generous whitespace around it. */
#define RMEM_KEY_FILE_MAX	256
/* Hex digits of a key in a key file. */
#define RMEM_KEY_HEX_LEN	(2 * RMEM_AUTH_KEY_LEN)
/* Characters of a printed key id, with the NUL. */
#define RMEM_KEY_ID_STR_LEN	17

int rmem_key_parse(const char *text, size_t len, uint8_t key[RMEM_AUTH_KEY_LEN]);
int rmem_key_read_file(const char *path, uint8_t key[RMEM_AUTH_KEY_LEN], char *err,
		       size_t errlen);
int rmem_key_generate(uint8_t key[RMEM_AUTH_KEY_LEN]);
int rmem_key_write_file(const char *path, const uint8_t key[RMEM_AUTH_KEY_LEN], char *err,
			size_t errlen);
void rmem_key_format_id(uint64_t id, char out[RMEM_KEY_ID_STR_LEN]);

#endif /* RMEM_KEY_H */
