// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the key file code (common/rmem-key.c) and the
 * authentication primitives (auth.c). The MACs are checked against values
 * computed independently (Python's hmac and hashlib, following the
 * "Authentication (version 2)" comment of include/rmem-proto.h), so a byte
 * order or field order mistake shows here, not only as two ends that
 * disagree. TAP on stdout.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "rmem-key.h"
#include "tap.h"

#define HEX64	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static void parse_ok(const char *text, const char *name)
{
	uint8_t key[RMEM_AUTH_KEY_LEN] = { 0 };
	bool seq = true;

	ok(rmem_key_parse(text, strlen(text), key) == 0, "parse: %s", name);
	for (int i = 0; i < RMEM_AUTH_KEY_LEN; i++)
		seq &= key[i] == i;
	ok(seq, "parse: %s: the bytes 00..1f", name);
}

static void parse_bad(const char *text, size_t len, const char *name)
{
	uint8_t key[RMEM_AUTH_KEY_LEN];

	memset(key, 0xaa, sizeof(key));
	ok(rmem_key_parse(text, len, key) == -EINVAL && key[0] == 0xaa && key[31] == 0xaa,
	   "parse: %s: -EINVAL, key untouched", name);
}

static void test_parse(void)
{
	char buf[200];

	parse_ok(HEX64, "64 hex digits");
	parse_ok(HEX64 "\n", "a final newline");
	parse_ok("  \t" HEX64 " \r\n\n", "whitespace around");
	parse_ok("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
		 "upper case");
	parse_bad("", 0, "empty");
	parse_bad("\n", 1, "a newline only");
	parse_bad(HEX64, 63, "63 digits");
	parse_bad(HEX64 "0", 65, "65 digits");
	parse_bad(HEX64 HEX64, 128, "128 digits");
	snprintf(buf, sizeof(buf), "%s", HEX64);
	buf[10] = 'g';
	parse_bad(buf, 64, "a non-hex letter");
	buf[10] = ' ';
	parse_bad(buf, 64, "a space inside");
	snprintf(buf, sizeof(buf), "%.32s %.32s", HEX64, HEX64 + 32);
	parse_bad(buf, 65, "64 digits split by a space");
	memcpy(buf, HEX64 "\n", 65);
	buf[20] = '\0';
	parse_bad(buf, 65, "a NUL inside");
	parse_bad("0x" HEX64, 66, "a 0x prefix");
	parse_bad(NULL, 0, "NULL");
}

static int write_text(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) && !chmod(path, mode) ? 0 : -1;
}

static void test_files(void)
{
	char dir[] = "/tmp/rmem-key-XXXXXX", p[96], q[96], cmd[128], err[256];
	uint8_t key[RMEM_AUTH_KEY_LEN], back[RMEM_AUTH_KEY_LEN], k2[RMEM_AUTH_KEY_LEN];
	char big[400];
	struct stat st;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(p, sizeof(p), "%s/k", dir);
	ok(rmem_key_generate(key) == 0 && rmem_key_generate(k2) == 0 && memcmp(key, k2, 32),
	   "generate: two keys differ");
	ok(rmem_key_write_file(p, key, err, sizeof(err)) == 0 && !stat(p, &st) &&
	   (st.st_mode & 07777) == 0600 && st.st_size == 65, "write: mode 0600, 64 hex + newline");
	ok(rmem_key_read_file(p, back, err, sizeof(err)) == 0 && !memcmp(key, back, 32),
	   "read: gives back the written key");
	ok(rmem_key_write_file(p, k2, err, sizeof(err)) == -EEXIST && strstr(err, "exists") &&
	   rmem_key_read_file(p, back, err, sizeof(err)) == 0 && !memcmp(key, back, 32),
	   "write: refuses to overwrite an existing file, which keeps its key");
	chmod(p, 0644);
	ok(rmem_key_read_file(p, back, err, sizeof(err)) == -EPERM && strstr(err, "mode 0644") &&
	   strstr(err, "chmod 600"), "read: a 0644 file: -EPERM, names the mode and chmod 600");
	chmod(p, 0640);
	ok(rmem_key_read_file(p, back, err, sizeof(err)) == -EPERM && strstr(err, "mode 0640"),
	   "read: group-readable: -EPERM");
	chmod(p, 0400);
	ok(rmem_key_read_file(p, back, err, sizeof(err)) == 0, "read: 0400 is fine");
	snprintf(q, sizeof(q), "%s/link", dir);
	ok(!symlink(p, q) && rmem_key_read_file(q, back, err, sizeof(err)) == -ELOOP &&
	   strstr(err, "symbolic link"), "read: a symbolic link is not followed");
	ok(rmem_key_read_file(dir, back, err, sizeof(err)) == -EINVAL && strstr(err, "not a regular"),
	   "read: a directory: not a regular file");
	snprintf(q, sizeof(q), "%s/missing", dir);
	ok(rmem_key_read_file(q, back, err, sizeof(err)) == -ENOENT && strstr(err, "missing"),
	   "read: a missing file: -ENOENT, named");
	snprintf(q, sizeof(q), "%s/bad", dir);
	write_text(q, "secretsecret" HEX64 "\n", 0600);
	memset(back, 0xaa, sizeof(back));
	ok(rmem_key_read_file(q, back, err, sizeof(err)) == -EINVAL && strstr(err, "not a key") &&
	   !strstr(err, "secret") && !strstr(err, "0001") && back[0] == 0xaa,
	   "read: garbage: -EINVAL, no file content in the message, key untouched");
	memset(big, ' ', sizeof(big));
	memcpy(big + 300, HEX64, 64);
	big[sizeof(big) - 1] = '\0';
	write_text(q, big, 0600);
	ok(rmem_key_read_file(q, back, err, sizeof(err)) == -EINVAL && strstr(err, "larger than 256"),
	   "read: a file over 256 bytes: -EINVAL");
	write_text(q, "\n  " HEX64 "  \n", 0600);
	ok(rmem_key_read_file(q, back, err, sizeof(err)) == 0 && back[31] == 0x1f,
	   "read: whitespace around the digits is fine");
	snprintf(q, sizeof(q), "%s/nodir/k", dir);
	ok(rmem_key_write_file(q, key, err, sizeof(err)) == -ENOENT && strstr(err, "nodir"),
	   "write: a missing directory: -ENOENT");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		tap_diag("could not remove %s", dir);
}

static bool hex_is(const uint8_t *b, size_t n, const char *hex)
{
	char s[2 * RMEM_AUTH_MAC_LEN + 1];

	for (size_t i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", b[i]);
	return !strcmp(s, hex);
}

/* Known answers, from Python: see the top of this file. */
static void test_macs(void)
{
	uint8_t raw[RMEM_AUTH_KEY_LEN], nc[RMEM_AUTH_NONCE_LEN], ns[RMEM_AUTH_NONCE_LEN];
	uint8_t mac[RMEM_AUTH_MAC_LEN], cmac[RMEM_RDMA_CM_MAC_LEN];
	struct rmem_rdma_cm_req req = { 0 };
	struct rmem_hello h = { 0 };
	struct rmem_auth_key k;
	char id[RMEM_KEY_ID_STR_LEN], tag[RMEM_AUTH_TAG_LEN];

	for (int i = 0; i < RMEM_AUTH_KEY_LEN; i++)
		raw[i] = (uint8_t)i;
	memset(nc, 0xa5, sizeof(nc));
	memset(ns, 0x5a, sizeof(ns));
	ok(rmem_auth_key_init(&k, raw) == 0 && k.id == 0xe68783f33961176dull,
	   "key id: first 8 bytes of HMAC(K, \"rmem-auth-key-id\"), little-endian");
	rmem_key_format_id(k.id, id);
	ok(!strcmp(id, "e68783f33961176d"), "key id printed as 16 lowercase hex digits");
	rmem_key_format_id(0x1f, id);
	ok(!strcmp(id, "000000000000001f"), "key id printed with leading zeros");
	ok(rmem_auth_server_mac(&k, nc, ns, mac) == 0 &&
	   hex_is(mac, 32, "6d0ed057fba55a9d889758bfe765396d1537fde694c45eaaf7ef66d383bcdcd7"),
	   "server mac: HMAC(K, \"rmem-auth-server\" | key_id | Nc | Ns)");
	h.features = htole64(RMEM_PROTO_FEAT_TCP | RMEM_PROTO_FEAT_AUTH);
	h.session = htole64(0x1122334455667788ull);
	h.queue = htole32(3);
	h.max_io = htole32(RMEM_MSG_MAX_IO);
	h.generation = htole32(7);
	memset(h.mac, 0xff, sizeof(h.mac));	/* not part of its own mac */
	ok(rmem_auth_hello_mac(&k, nc, ns, &h, mac) == 0 &&
	   hex_is(mac, 32, "34e69322b6b1881f6b13b7bf374e9d2821b5fcc8127ec3998d8b97cc1a800f4a"),
	   "hello mac: HMAC(K, \"rmem-auth-client\" | key_id | Nc | Ns | hello[0..32))");
	req.magic = htole32(RMEM_PROTO_MAGIC);
	req.version = 2;
	req.depth = htole16(16);
	req.session = htole64(0x1122334455667788ull);
	req.key_id = htole64(k.id);
	req.queue = htole32(3);
	for (int i = 0; i < RMEM_RDMA_CM_NONCE_LEN; i++)
		req.nonce[i] = (uint8_t)i;
	ok(rmem_auth_cm_req_mac(&k, &req, cmac) == 0 &&
	   hex_is(cmac, 16, "1051e5c9f35f3d78302ae588c9c947b0"),
	   "cm req mac: first 16 bytes of HMAC(K, \"rmem-auth-rdmacm\" | req[0..40))");
	ok(!strcmp(rmem_auth_session_tag(0x1122334455667788ull, tag), "804d562d"),
	   "session tag: first 4 bytes of SHA-256 of the id's 8 LE bytes");
	ok(rmem_auth_equal(mac, mac, sizeof(mac)), "constant-time compare: equal");
	memcpy(cmac, mac, sizeof(cmac));
	cmac[15] ^= 0x80;
	ok(!rmem_auth_equal(mac, cmac, sizeof(cmac)), "constant-time compare: last bit differs");
	ok(rmem_auth_cm_req_sign(&k, &req) == 0 && le64toh(req.key_id) == k.id &&
	   rmem_auth_cm_req_mac(&k, &req, cmac) == 0 && rmem_auth_equal(cmac, req.mac, 16),
	   "cm req sign: key id, a nonce, and a mac that verifies");
}

int main(void)
{
	test_parse();
	test_files();
	test_macs();
	return tap_done();
}
