// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the size parser, the config file parser and the rules
 * between keys (config.c). TAP on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
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
		"log-level = debug\n"
		"no-mlock = yes\n"
		"ctl-socket = /tmp/x.sock\n";
	int rc = parse(&c, good, err, sizeof(err));

	ok(rc == 0, "valid config parses (%s)", rc ? err : "ok");
	ok(c.donate == 8ull << 30 && c.slab_size == 128ull << 20, "donate and slab-size set");
	ok(!strcmp(c.listen_host, "::1") && c.listen_port == 7471, "IPv6 listen address split");
	ok(c.session_timeout == 60 && c.max_clients == 10, "session-timeout and max-clients set");
	ok(c.hello_timeout == 4 && c.session_quota == 16, "hello-timeout and session-quota set");
	ok(c.log_level == LOG_DEBUG && c.no_mlock, "log-level and no-mlock set");
	ok(!strcmp(c.ctl_socket, "/tmp/x.sock"), "ctl-socket set");
	ok(rmemd_config_check(&c, err, sizeof(err)) == 0, "valid config passes the checks");

	rmemd_config_defaults(&c);
	ok(c.slab_size == 64ull << 20 && c.session_timeout == 300 && c.max_clients == 1024 &&
	   !strcmp(c.ctl_socket, "/run/rmemd.sock") && !c.no_mlock,
	   "defaults: 64M slabs, 300 s timeout, 1024 clients, /run/rmemd.sock, mlock");
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
	rmemd_config_defaults(&c);
	ok(!c.test_drop_type && !rmemd_config_set(&c, "test-drop-reply", "slab-free", err, sizeof(err)) &&
	   c.test_drop_type == RMEM_MSG_SLAB_FREE && c.test_drop_nth == 1,
	   "test-drop-reply: off by default; TYPE alone means the first one");
	ok(!rmemd_config_set(&c, "test-drop-reply", "read:3", err, sizeof(err)) &&
	   c.test_drop_type == RMEM_MSG_READ && c.test_drop_nth == 3,
	   "test-drop-reply: TYPE:N");
	ok(rmemd_config_set(&c, "test-drop-reply", "write:x", err, sizeof(err)) &&
	   c.test_drop_type == RMEM_MSG_READ && c.test_drop_nth == 3,
	   "test-drop-reply: a bad value changes nothing");
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
		const char *text = "donate = 1G\nlisten = 1.2.3.4:1\nsession-timeout = 5\n";
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
		src.n = 4;
		rc = rmemd_config_build(&src, &c, err, sizeof(err));
		ok(rc == 0, "missing default config file is not an error");
	}
	return tap_done();
}
