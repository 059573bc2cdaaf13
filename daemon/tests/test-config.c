// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the size parser, the config file parser, the rules
 * between keys and the loading of key files (config.c). TAP on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "rmem-key.h"
#include "rmem-proto.h"
#include "log.h"
#include "tap.h"

static void size_ok(const char *s, uint64_t want)
{
	uint64_t v = 0;
	const char *why = NULL;
	int rc = rmemd_parse_size(s, &v, &why);

	ok(rc == 0 && v == want, "size '%s' parses to %llu", s, (unsigned long long)want);
}

static void size_bad(const char *s, const char *why_part)
{
	uint64_t v = 0;
	const char *why = "";
	int rc = rmemd_parse_size(s, &v, &why);

	ok(rc == -1 && strstr(why, why_part), "size '%s' is rejected (%s)", s, why_part);
}

static int parse(struct rmemd_config *c, const char *text, char *err, size_t len)
{
	rmemd_config_defaults(c);
	return rmemd_config_parse(c, text, strlen(text), "test.conf", err, len);
}

static void config_err(const char *text, const char *want, const char *name)
{
	struct rmemd_config c;
	char err[512] = "";
	int rc = parse(&c, text, err, sizeof(err));

	ok(rc == -1 && strstr(err, want), "%s: error '%s' (got '%s')", name, want, err);
}

static void check_err(const char *text, const char *want, const char *name)
{
	struct rmemd_config c;
	char err[512] = "";
	int rc = parse(&c, text, err, sizeof(err));

	if (rc == 0)
		rc = rmemd_config_check(&c, err, sizeof(err));
	ok(rc == -1 && strstr(err, want), "%s: error '%s' (got '%s')", name, want, err);
}

static void write_key(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
	chmod(path, mode);
}

/* rmemd_config_load_keys(): what rmemd does with key-file at start. */
static void test_load_keys(void)
{
	const char *k1 = "0101010101010101010101010101010101010101010101010101010101010101\n";
	const char *k2 = "0202020202020202020202020202020202020202020202020202020202020202\n";
	char dir[] = "/tmp/rmemd-keys-XXXXXX", a[64], b[64], c2[64], cmd[96];
	struct rmem_auth_key keys[RMEMD_MAX_KEY_FILES];
	struct rmemd_config c;
	char err[512];
	uint8_t raw[RMEM_AUTH_KEY_LEN];
	uint64_t id;
	uint32_t n = 99;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(a, sizeof(a), "%s/a.key", dir);
	snprintf(b, sizeof(b), "%s/b.key", dir);
	snprintf(c2, sizeof(c2), "%s/c.key", dir);
	write_key(a, k1, 0600);
	write_key(b, k2, 0400);
	write_key(c2, k1, 0600);

	rmemd_config_defaults(&c);
	rmemd_config_set(&c, "key-file", a, err, sizeof(err));
	rmemd_config_set(&c, "key-file", b, err, sizeof(err));
	memset(raw, 1, sizeof(raw));
	rmem_auth_key_id(raw, &id);
	ok(rmemd_config_load_keys(&c, keys, &n, err, sizeof(err)) == 0 && n == 2 &&
	   keys[0].id == id && keys[1].key[0] == 2 && keys[1].id != id,
	   "two key files (0600 and 0400) load as tenants 0 and 1, with their ids");
	rmemd_config_set(&c, "key-file", c2, err, sizeof(err));
	ok(rmemd_config_load_keys(&c, keys, &n, err, sizeof(err)) == -1 && n == 0 &&
	   strstr(err, "hold the same key") && strstr(err, "a.key") && strstr(err, "c.key") &&
	   !strstr(err, "0101"), "two files with the same key: error naming both, no key material");
	write_key(c2, k2, 0644);
	ok(rmemd_config_load_keys(&c, keys, &n, err, sizeof(err)) == -1 &&
	   strstr(err, "mode 0644") && strstr(err, "chmod 600"),
	   "a 0644 key file: error with its mode and 'chmod 600'");
	write_key(c2, "not a key\n", 0600);
	ok(rmemd_config_load_keys(&c, keys, &n, err, sizeof(err)) == -1 &&
	   strstr(err, "c.key: not a key"), "a file without a key: error");
	unlink(c2);
	ok(rmemd_config_load_keys(&c, keys, &n, err, sizeof(err)) == -1 &&
	   strstr(err, "No such file"), "a missing key file: error");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		tap_diag("could not remove %s", dir);
}

int main(void)
{
	struct rmemd_config c;
	char err[512], buf[32];

	rmemd_log_init(true, RMEMD_LOG_OFF);

	size_ok("4096", 4096);
	size_ok("4K", 4096);
	size_ok("4k", 4096);
	size_ok("4KiB", 4096);
	size_ok("4KB", 4096);
	size_ok("512M", 512ull << 20);
	size_ok("8G", 8ull << 30);
	size_ok("1T", 1ull << 40);
	size_ok("16383P", 16383ull << 50);
	size_ok("18446744073709551615", UINT64_MAX);
	size_bad("", "not a size");
	size_bad("G", "not a size");
	size_bad("-1G", "not a size");
	size_bad(" 1G", "not a size");
	size_bad("1G ", "not a size");
	size_bad("1.5G", "not a size");
	size_bad("1X", "not a size");
	size_bad("1GG", "not a size");
	size_bad("1Gi", "not a size");
	size_bad("0", "zero");
	size_bad("0M", "zero");
	size_bad("16384P", "too large");
	size_bad("18446744073709551616", "too large");
	size_bad("99999999999999999999999G", "too large");

	ok(!strcmp(rmemd_format_size(64ull << 20, buf, sizeof(buf)), "64M"), "format 64M");
	ok(!strcmp(rmemd_format_size(8ull << 30, buf, sizeof(buf)), "8G"), "format 8G");
	ok(!strcmp(rmemd_format_size(1000, buf, sizeof(buf)), "1000"), "format 1000");
	ok(!strcmp(rmemd_format_size(1536, buf, sizeof(buf)), "1536"), "format 1536 (not a whole K... in K)");

	/* a full, valid file */
	const char *good =
		"# rmemd test config\n"
		"\n"
		"donate = 8G\n"
		"  listen=[::1]:7471   # trailing comment\n"
		"slab-size = 128M\n"
		"session-timeout = 60\n"
		"max-clients = 10\n"
		"hello-timeout = 4\n"
		"session-quota = 16\n"
		"out-budget = 256M\n"
		"log-level = debug\n"
		"no-mlock = yes\n"
		"ctl-socket = /tmp/x.sock\n"
		"key-file = /etc/rmem/tenant-a.key\n"
		"key-file = /etc/rmem/tenant-b.key\n";
	int rc = parse(&c, good, err, sizeof(err));

	ok(rc == 0, "valid config parses (%s)", rc ? err : "ok");
	ok(c.donate == 8ull << 30 && c.slab_size == 128ull << 20, "donate and slab-size set");
	ok(!strcmp(c.listen_host, "::1") && c.listen_port == 7471, "IPv6 listen address split");
	ok(c.session_timeout == 60 && c.max_clients == 10, "session-timeout and max-clients set");
	ok(c.hello_timeout == 4 && c.session_quota == 16, "hello-timeout and session-quota set");
	ok(c.out_budget == 256ull << 20, "out-budget set");
	ok(c.log_level == LOG_DEBUG && c.no_mlock, "log-level and no-mlock set");
	ok(!strcmp(c.ctl_socket, "/tmp/x.sock"), "ctl-socket set");
	ok(!c.auth_none && c.nkey_files == 2 && !strcmp(c.key_files[1], "/etc/rmem/tenant-b.key"),
	   "auth psk by default; key-file repeats, in order");
	ok(rmemd_config_check(&c, err, sizeof(err)) == 0, "valid config passes the checks");

	rmemd_config_defaults(&c);
	ok(c.slab_size == 64ull << 20 && c.session_timeout == 300 && c.max_clients == 1024 &&
	   !strcmp(c.ctl_socket, "/run/rmemd/rmemd.sock") && !c.no_mlock &&
	   c.out_budget == 64ull << 20,
	   "defaults: 64M slabs, 300 s timeout, 1024 clients, /run/rmemd/rmemd.sock, mlock, out-budget 64M");
	ok(parse(&c, "out-budget = 0\n", err, sizeof(err)) == 0 && c.out_budget == 0,
	   "out-budget 0: no global limit");
	ok(parse(&c, "", err, sizeof(err)) == 0, "empty file is valid");
	ok(parse(&c, "donate = 1G", err, sizeof(err)) == 0 && c.donate == 1ull << 30,
	   "last line without newline is read");
	ok(parse(&c, "donate = 1G\r\n", err, sizeof(err)) == 0, "CRLF line endings accepted");

	config_err("donate = 1G\nbogus = 3\n", "test.conf:2: unknown key 'bogus'", "unknown key");
	config_err("\n\ndonate 8G\n", "test.conf:3: expected 'key = value'", "missing '='");
	config_err("= 8G\n", "test.conf:1: missing key", "missing key");
	config_err("donate =\n", "test.conf:1: donate: missing value", "missing value");
	config_err("donate = lots\n", "test.conf:1: donate: bad size 'lots'", "bad size");
	config_err("donate = 0\n", "must not be zero", "zero donate");
	config_err("slab-size = 1.5M\n", "slab-size: bad size", "bad slab size");
	config_err("listen = 1.2.3.4\n", "expected ADDR:PORT", "listen without port");
	config_err("listen = 1.2.3.4:99999\n", "port must be", "listen port too big");
	config_err("listen = :7471\n", "missing address", "listen without address");
	config_err("listen = ::1:7471\n", "[ADDR]:PORT", "bare IPv6 listen address");
	config_err("listen = [::1]7471\n", "[IPV6]:PORT", "bad bracketed address");
	config_err("session-timeout = -1\n", "session-timeout: bad value", "negative timeout");
	config_err("session-timeout = 9999999999\n", "session-timeout: bad value", "huge timeout");
	config_err("max-clients = 0\n", "max-clients: bad value", "zero max-clients");
	config_err("hello-timeout = 0\n", "hello-timeout: bad value", "zero hello-timeout");
	config_err("hello-timeout = 601\n", "hello-timeout: bad value", "hello-timeout above 600");
	config_err("session-quota = -1\n", "session-quota: bad value", "negative session-quota");
	config_err("out-budget = 1M\n", "out-budget: 1M is below 4M", "out-budget below one connection's queue");
	config_err("out-budget = lots\n", "out-budget: bad size 'lots'", "out-budget not a size");
	config_err("out-budget = -1\n", "out-budget: bad size", "negative out-budget");
	config_err("max-clients-per-address = 0\n", "max-clients-per-address: bad value",
		   "zero max-clients-per-address");
	config_err("max-clients = 10x\n", "max-clients: bad value", "garbage max-clients");
	config_err("log-level = loud\n", "log-level: bad value", "bad log level");
	config_err("no-mlock = maybe\n", "no-mlock: bad value", "bad boolean");
	config_err("ctl-socket = relative.sock\n", "not an absolute path", "relative ctl-socket");
	config_err("rdma-port = 65536\n", "rdma-port: bad value", "rdma-port too big");
	config_err("rdma-port = 7471x\n", "rdma-port: bad value", "garbage rdma-port");
	config_err("no-rdma = perhaps\n", "no-rdma: bad value", "bad no-rdma boolean");
	config_err("test-drop-reply = pong\n", "test-drop-reply: bad value", "drop-reply: unknown type");
	config_err("test-drop-reply = read:0\n", "test-drop-reply: bad value", "drop-reply: N of 0");
	config_err("test-drop-reply = read:\n", "test-drop-reply: bad value", "drop-reply: empty N");
	config_err("test-drop-reply = read:-1\n", "test-drop-reply: bad value", "drop-reply: negative N");
	config_err("test-drop-reply = read:4294967296\n", "test-drop-reply: bad value",
		   "drop-reply: N too big");
	config_err("test-drop-reply = readx\n", "test-drop-reply: bad value", "drop-reply: type prefix");
	config_err("test-drop-reply = :3\n", "test-drop-reply: bad value", "drop-reply: no type");
	config_err("test-drop-reply = ping@4096\n", "test-drop-reply: bad value",
		   "drop-reply: @OFFSET on a type without one");
	config_err("test-drop-reply = write@\n", "test-drop-reply: bad value", "drop-reply: empty OFFSET");
	config_err("test-drop-reply = write:2@x\n", "test-drop-reply: bad value", "drop-reply: bad OFFSET");
	config_err("test-drop-reply = write:@4096\n", "test-drop-reply: bad value",
		   "drop-reply: empty N before @");
	config_err("test-drop-reply = write@9223372036854775808\n", "test-drop-reply: bad value",
		   "drop-reply: OFFSET too big");
	rmemd_config_defaults(&c);
	ok(!c.test_drop_type && !rmemd_config_set(&c, "test-drop-reply", "slab-free", err, sizeof(err)) &&
	   c.test_drop_type == RMEM_MSG_SLAB_FREE && c.test_drop_nth == 1,
	   "test-drop-reply: off by default; TYPE alone means the first one");
	ok(!rmemd_config_set(&c, "test-drop-reply", "read:3", err, sizeof(err)) &&
	   c.test_drop_type == RMEM_MSG_READ && c.test_drop_nth == 3,
	   "test-drop-reply: TYPE:N");
	ok(rmemd_config_set(&c, "test-drop-reply", "write:x", err, sizeof(err)) &&
	   c.test_drop_type == RMEM_MSG_READ && c.test_drop_nth == 3 && c.test_drop_off == -1,
	   "test-drop-reply: a bad value changes nothing");
	ok(!rmemd_config_set(&c, "test-lose-request", "write:2@8M", err, sizeof(err)) &&
	   c.test_drop_type == RMEM_MSG_WRITE && c.test_drop_nth == 2 &&
	   c.test_drop_off == 8 << 20 && c.test_drop_lose, "test-lose-request: TYPE:N@OFFSET, the request lost");
	ok(rmemd_config_set(&c, "test-lose-request", "pong", err, sizeof(err)) &&
	   strstr(err, "test-lose-request: bad value") && c.test_drop_lose && c.test_drop_nth == 2,
	   "test-lose-request: a bad value is refused and changes nothing");
	ok(!rmemd_config_set(&c, "test-drop-reply", "write@60M", err, sizeof(err)) && !c.test_drop_lose &&
	   c.test_drop_type == RMEM_MSG_WRITE && c.test_drop_nth == 1 &&
	   c.test_drop_off == 60 << 20, "test-drop-reply: TYPE@OFFSET");
	ok(!rmemd_config_set(&c, "test-drop-reply", "read:2@4096", err, sizeof(err)) &&
	   c.test_drop_type == RMEM_MSG_READ && c.test_drop_nth == 2 && c.test_drop_off == 4096,
	   "test-drop-reply: TYPE:N@OFFSET");
	ok(!rmemd_config_set(&c, "test-drop-reply", "ping:2", err, sizeof(err)) &&
	   c.test_drop_off == -1, "test-drop-reply: no @OFFSET: any offset");
	config_err("test-hostile = 1000001\n", "test-hostile: bad value", "test-hostile: too big");
	config_err("test-hostile = often\n", "test-hostile: bad value", "test-hostile: not a number");
	rmemd_config_defaults(&c);
	ok(!c.test_hostile && !rmemd_config_set(&c, "test-hostile", "50", err, sizeof(err)) &&
	   c.test_hostile == 50 && !c.test_hostile_rkey,
	   "test-hostile: off by default; N sets one reply in N");
	ok(!rmemd_config_set(&c, "test-hostile", "7:rkey", err, sizeof(err)) &&
	   c.test_hostile == 7 && c.test_hostile_rkey, "test-hostile: N:rkey adds rkey lies");
	ok(!rmemd_config_set(&c, "test-hostile", "3:slab", err, sizeof(err)) &&
	   c.test_hostile == 3 && c.test_hostile_slab && !c.test_hostile_rkey,
	   "test-hostile: N:slab lies about slab numbers only");
	ok(!rmemd_config_set(&c, "test-hostile", "1:early", err, sizeof(err)) &&
	   c.test_hostile == 1 && c.test_hostile_early && !c.test_hostile_slab,
	   "test-hostile: N:early answers WRITEs before their data");
	config_err("test-hostile = 7:slabs\n", "test-hostile: bad value", "test-hostile: unknown suffix");
	config_err("test-hostile = :rkey\n", "test-hostile: bad value", "test-hostile: no N");
	config_err("test-corrupt = -1\n", "test-corrupt: bad value", "test-corrupt: negative");
	config_err("test-corrupt = 4G\n", "test-corrupt: bad value", "test-corrupt: a size suffix");
	config_err("test-corrupt = 4294967296\n", "test-corrupt: bad value", "test-corrupt: too big");
	rmemd_config_defaults(&c);
	ok(c.test_corrupt == -1 && !rmemd_config_set(&c, "test-corrupt", "0", err, sizeof(err)) &&
	   c.test_corrupt == 0, "test-corrupt: off by default; offset 0 is an offset");
	ok(!rmemd_config_set(&c, "test-corrupt", "8192", err, sizeof(err)) && c.test_corrupt == 8192 &&
	   rmemd_config_set(&c, "test-corrupt", "x", err, sizeof(err)) && c.test_corrupt == 8192,
	   "test-corrupt: OFFSET set; a bad value changes nothing");
	rmemd_config_defaults(&c);
	ok(!c.no_rdma && c.rdma_port == 0, "defaults: RDMA on, on the TCP port");
	ok(parse(&c, "rdma-port = 7472\nno-rdma = yes\n", err, sizeof(err)) == 0 &&
	   c.rdma_port == 7472 && c.no_rdma, "rdma-port and no-rdma set");
	ok(parse(&c, "rdma-port = 0\nno-rdma = off\n", err, sizeof(err)) == 0 &&
	   c.rdma_port == 0 && !c.no_rdma, "rdma-port 0 (the TCP port) and no-rdma = off");
	ok(rmemd_config_key_is_bool("no-rdma") && !rmemd_config_key_is_bool("rdma-port"),
	   "no-rdma is a switch, rdma-port takes a value");
	{
		char longline[2000];

		memset(longline, 'a', sizeof(longline) - 1);
		longline[sizeof(longline) - 1] = '\0';
		config_err(longline, "line too long", "overlong line");
	}
	{
		struct rmemd_config c2;
		const char nul[] = "donate = 1G\nlisten = a\0b:1\n";

		rmemd_config_defaults(&c2);
		rc = rmemd_config_parse(&c2, nul, sizeof(nul) - 1, "test.conf", err, sizeof(err));
		ok(rc == -1 && strstr(err, "test.conf:2: NUL"), "NUL byte is rejected with its line");
	}

	config_err("auth = maybe\n", "auth: bad value 'maybe' (psk or none)", "bad auth value");
	unsetenv("CREDENTIALS_DIRECTORY");
	config_err("key-file = k.key\n",
		   "key-file: 'k.key' is a bare name, a systemd credential, but CREDENTIALS_DIRECTORY is not set",
		   "a bare key-file name without CREDENTIALS_DIRECTORY");
	config_err("key-file = ./k.key\n", "key-file: './k.key' is not an absolute path",
		   "relative key-file");
	setenv("CREDENTIALS_DIRECTORY", "/run/credentials/rmemd.service", 1);
	ok(parse(&c, "key-file = cluster.key\n", err, sizeof(err)) == 0 && c.nkey_files == 1 &&
	   !strcmp(c.key_files[0], "/run/credentials/rmemd.service/cluster.key"),
	   "a bare key-file name is a systemd credential: $CREDENTIALS_DIRECTORY/NAME");
	unsetenv("CREDENTIALS_DIRECTORY");
	config_err("key-file = /a\nkey-file = /a\n", "test.conf:2: key-file: /a is listed twice",
		   "the same key-file twice");
	{
		char text[17 * 16 + 64] = "";

		for (int i = 0; i <= RMEMD_MAX_KEY_FILES; i++)
			snprintf(text + strlen(text), sizeof(text) - strlen(text), "key-file = /k%d\n", i);
		config_err(text, "test.conf:17: key-file: more than 16", "a 17th key-file");
	}
	check_err("donate = 1G\nlisten = a:1\n",
		  "no key-file: create one with 'rmemd --gen-key FILE'",
		  "auth psk (the default) without a key-file");
	check_err("donate = 1G\nlisten = a:1\n", "or set 'auth none' for a lab, which lets anyone",
		  "... and the message names auth none and its risk");
	check_err("donate = 1G\nlisten = a:1\nauth = none\nkey-file = /k\n",
		  "auth none and key-file /k both set", "auth none together with a key-file");
	ok(parse(&c, "donate = 1G\nlisten = a:1\nauth = none\n", err, sizeof(err)) == 0 &&
	   c.auth_none && rmemd_config_check(&c, err, sizeof(err)) == 0,
	   "auth none without a key-file passes the checks");
	check_err("listen = 0.0.0.0:1\n", "donate: required", "donate is required");
	check_err("donate = 1G\n", "listen: required", "listen is required");
	check_err("donate = 100M\nlisten = a:1\n", "not a multiple of the slab size (64M)",
		  "donate not a multiple of the slab size");
	check_err("donate = 32M\nlisten = a:1\n", "smaller than one slab", "donate below one slab");
	check_err("donate = 1G\nslab-size = 6000\nlisten = a:1\n", "not a multiple of 4K",
		  "slab size not a multiple of 4K");
	check_err("donate = 64P\nslab-size = 4K\nlisten = a:1\n", "too many slabs",
		  "too many slabs");

	/* flags override the file */
	{
		char path[] = "/tmp/rmemd-test-XXXXXX";
		int fd = mkstemp(path);
		const char *text = "donate = 1G\nlisten = 1.2.3.4:1\nsession-timeout = 5\n"
				   "auth = none\n";
		struct rmemd_config_src src = {
			.path = path, .path_given = true,
			.keys = { "session-timeout", "no-mlock" }, .vals = { "9", "yes" }, .n = 2,
		};

		ok(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text),
		   "temporary config written");
		close(fd);
		rc = rmemd_config_build(&src, &c, err, sizeof(err));
		ok(rc == 0 && c.session_timeout == 9 && c.no_mlock && c.donate == 1ull << 30,
		   "flags override the config file");
		src.vals[0] = "x";
		rc = rmemd_config_build(&src, &c, err, sizeof(err));
		ok(rc == -1 && strstr(err, "--session-timeout: bad value"), "bad flag value named as a flag");
		unlink(path);
		src.vals[0] = "9";
		rc = rmemd_config_build(&src, &c, err, sizeof(err));
		ok(rc == -1 && strstr(err, "No such file"), "missing --config file is an error");
		src.path_given = false;
		src.keys[2] = "donate";
		src.vals[2] = "64M";
		src.keys[3] = "listen";
		src.vals[3] = "127.0.0.1:0";
		src.keys[4] = "auth";
		src.vals[4] = "none";
		src.n = 5;
		rc = rmemd_config_build(&src, &c, err, sizeof(err));
		ok(rc == 0, "missing default config file is not an error");
	}
	test_load_keys();
	return tap_done();
}
