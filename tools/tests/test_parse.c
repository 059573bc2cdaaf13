// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of parse.c: tables of valid and invalid inputs, every bound,
 * and exhaustive comparison against small reference implementations over
 * every short string of a relevant alphabet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rmemctl.h"
#include "tap.h"

typedef unsigned __int128 u128;

/* ---- reference implementations (simple, slow, obviously right) ---- */

static int ref_digits(const char **p, u128 *v)
{
	const char *s = *p;

	*v = 0;
	while (*s >= '0' && *s <= '9') {
		*v = *v * 10 + (u128)(*s - '0');
		if (*v > ((u128)1 << 100))
			*v = (u128)1 << 100;	/* saturate: anything this big overflows */
		s++;
	}
	if (s == *p)
		return 0;
	*p = s;
	return 1;
}

static int ref_size(const char *s, uint64_t *out)
{
	static const char *const suffixes[] = { "", "B", "b", "iB", "ib" };
	const char *units = "KMGTPE", *lunits = "kmgtpe";
	u128 v;
	int shift = 0;
	size_t i;

	if (!ref_digits(&s, &v))
		return -EINVAL;
	if (*s && strchr(units, *s) && *s) {
		shift = 10 * (int)(strchr(units, *s) - units + 1);
		s++;
	} else if (*s && strchr(lunits, *s)) {
		shift = 10 * (int)(strchr(lunits, *s) - lunits + 1);
		s++;
	}
	for (i = 0; i < 5; i++) {
		if (!shift && i > 2)
			break;
		if (!strcmp(s, suffixes[i]))
			break;
	}
	if (i == 5 || (!shift && i > 2))
		return -EINVAL;
	v <<= shift;
	if (v > UINT64_MAX)
		return -ERANGE;
	*out = (uint64_t)v;
	return 0;
}

static int ref_duration(const char *s, uint64_t *out)
{
	static const struct { const char *u; uint64_t ms; } units[] = {
		{ "min", 60000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	u128 total = 0, v;

	if (!*s)
		return -EINVAL;
	while (*s) {
		size_t i, n = 0;

		if (!ref_digits(&s, &v))
			return -EINVAL;
		while (s[n] >= 'a' && s[n] <= 'z')
			n++;
		for (i = 0; i < 5; i++)
			if (strlen(units[i].u) == n && !strncmp(s, units[i].u, n))
				break;
		if (i == 5)
			return -EINVAL;
		total += v * units[i].ms;
		if (total > ((u128)1 << 100))
			total = (u128)1 << 100;
		s += n;
	}
	if (total > UINT64_MAX)
		return -ERANGE;
	*out = (uint64_t)total;
	return 0;
}

/* Calls fn(str) for every string of length 0..maxlen over alphabet. */
static void each_string(const char *alphabet, int maxlen, void (*fn)(const char *, void *),
			void *arg)
{
	size_t na = strlen(alphabet);
	int len, i;

	for (len = 0; len <= maxlen; len++) {
		int idx[16] = { 0 };
		char s[17];

		for (;;) {
			for (i = 0; i < len; i++)
				s[i] = alphabet[idx[i]];
			s[len] = '\0';
			fn(s, arg);
			for (i = len - 1; i >= 0; i--) {
				if ((size_t)++idx[i] < na)
					break;
				idx[i] = 0;
			}
			if (i < 0)
				break;
		}
	}
}

struct diff {
	unsigned long n, bad;
	char first[32];
};

static void note(struct diff *d, const char *s, bool same)
{
	d->n++;
	if (!same && !d->bad++)
		snprintf(d->first, sizeof(d->first), "%s", s);
}

static void diff_size(const char *s, void *arg)
{
	uint64_t a = 0, b = 0;
	int ra = rm_parse_size(s, &a, NULL), rb = ref_size(s, &b);

	note(arg, s, ra == rb && (ra || a == b));
}

static void diff_duration(const char *s, void *arg)
{
	uint64_t a = 0, b = 0;
	int ra = rm_parse_duration_ms(s, &a, NULL), rb = ref_duration(s, &b);

	note(arg, s, ra == rb && (ra || a == b));
}

static void diff_port(const char *s, void *arg)
{
	char buf[64];
	struct rm_addr a;
	u128 v;
	const char *p = s;
	int r, want;

	snprintf(buf, sizeof(buf), "10.1.2.3:%s", s);
	r = rm_parse_addr(buf, &a, NULL);
	if (!ref_digits(&p, &v) || *p)
		want = -EINVAL;
	else
		want = (v >= 1 && v <= 65535) ? 0 : -ERANGE;
	note(arg, s, r == want && (r || (a.has_port && a.port == (uint16_t)v)));
}

static void diff_u32(const char *s, void *arg)
{
	uint32_t a = 0;
	const char *p = s;
	u128 v;
	int r = rm_parse_u32(s, &a), want;

	if (!ref_digits(&p, &v) || *p)
		want = -EINVAL;
	else
		want = v <= UINT32_MAX ? 0 : -ERANGE;
	note(arg, s, r == want && (r || a == (uint32_t)v));
}

/* ---- sizes ---- */

static void test_size(void)
{
	static const struct { const char *s; int ret; uint64_t v; } cases[] = {
		{ "0", 0, 0 }, { "1", 0, 1 }, { "4096", 0, 4096 }, { "4K", 0, 4096 },
		{ "4k", 0, 4096 }, { "4KiB", 0, 4096 }, { "4KB", 0, 4096 }, { "4kb", 0, 4096 },
		{ "512M", 0, 512ULL << 20 }, { "8G", 0, 8ULL << 30 }, { "1T", 0, 1ULL << 40 },
		{ "1P", 0, 1ULL << 50 }, { "15E", 0, 15ULL << 60 }, { "100B", 0, 100 },
		{ "007K", 0, 7 << 10 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "18446744073709551616", -ERANGE, 0 },
		{ "99999999999999999999999999999999", -ERANGE, 0 },
		{ "16E", -ERANGE, 0 }, { "16384P", -ERANGE, 0 }, { "17179869184G", -ERANGE, 0 },
		{ "17179869183G", 0, 17179869183ULL << 30 },
		{ "", -EINVAL, 0 }, { "K", -EINVAL, 0 }, { "-1", -EINVAL, 0 }, { "+1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 }, { "1 ", -EINVAL, 0 }, { "1.5G", -EINVAL, 0 },
		{ "0x10", -EINVAL, 0 }, { "1Q", -EINVAL, 0 }, { "1KK", -EINVAL, 0 },
		{ "1KIB", -EINVAL, 0 }, { "1iB", -EINVAL, 0 }, { "1Bi", -EINVAL, 0 },
		{ "4 K", -EINVAL, 0 }, { "1e3", 0, 3 }, /* "1e" is 1 EiB; "1e3" is not */
	};
	unsigned int shift;
	size_t i;
	struct diff d = { 0 };
	bool good = true;

	/* "1e3": 'e' is the exa suffix, then "3" is junk. */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0;
		const char *why = NULL;
		int ret = rm_parse_size(cases[i].s, &v, &why);
		int want = cases[i].ret;

		if (!strcmp(cases[i].s, "1e3"))
			want = -EINVAL;
		tap_ok(ret == want && (ret || v == cases[i].v) && (!ret || why),
		       "size '%s' -> %s", cases[i].s,
		       want ? (want == -ERANGE ? "ERANGE" : "EINVAL") : "value");
	}
	/* The largest value of every suffix, and one more. */
	for (shift = 10; shift <= 60; shift += 10) {
		char s[64];
		uint64_t v = 0, max = UINT64_MAX >> shift;
		char u = "KMGTPE"[shift / 10 - 1];

		snprintf(s, sizeof(s), "%" PRIu64 "%c", max, u);
		good &= !rm_parse_size(s, &v, NULL) && v == max << shift;
		snprintf(s, sizeof(s), "%" PRIu64 "%c", max + 1, u);
		good &= rm_parse_size(s, &v, NULL) == -ERANGE;
	}
	tap_ok(good, "size: the largest value of each suffix parses, one more is ERANGE");

	good = true;
	srand(1);
	for (i = 0; i < 100000; i++) {
		uint64_t x = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 11) ^ (uint64_t)rand();
		char s[32], back[32];
		uint64_t v;

		x >>= rand() % 64;
		snprintf(s, sizeof(s), "%" PRIu64, x);
		good &= !rm_parse_size(s, &v, NULL) && v == x;
		rm_fmt_size(x, back, sizeof(back));
		if (!strchr(back, '.'))	/* exact formats parse back to the value */
			good &= !rm_parse_size(back, &v, NULL) && v == x;
	}
	tap_ok(good, "size: 100000 random values parse, and their exact formats round-trip");

	each_string("0129KkMmGgEeBbiIx .-", 4, diff_size, &d);
	tap_ok(!d.bad, "size: all %lu strings of <= 4 chars over 20 symbols match the "
	       "reference (first mismatch: '%s')", d.n, d.first);
	tap_ok(rm_parse_size(NULL, &(uint64_t){ 0 }, NULL) == -EINVAL, "size: NULL is EINVAL");
}

/* ---- durations ---- */

static void test_duration(void)
{
	static const struct { const char *s; int ret; uint64_t ms; } cases[] = {
		{ "30s", 0, 30000 }, { "5000ms", 0, 5000 }, { "2m", 0, 120000 },
		{ "2min", 0, 120000 }, { "1h", 0, 3600000 }, { "1m30s", 0, 90000 },
		{ "1h1m1s1ms", 0, 3661001 }, { "0s", 0, 0 }, { "100ms", 0, 100 },
		{ "18446744073709551615ms", 0, UINT64_MAX },
		{ "18446744073709551616ms", -ERANGE, 0 },
		{ "18446744073709551615s", -ERANGE, 0 },
		{ "18446744073709551615ms1ms", -ERANGE, 0 },
		{ "30", -EINVAL, 0 }, { "", -EINVAL, 0 }, { "s", -EINVAL, 0 },
		{ "30S", -EINVAL, 0 }, { "1.5s", -EINVAL, 0 }, { "-1s", -EINVAL, 0 },
		{ "1us", -EINVAL, 0 }, { "1d", -EINVAL, 0 }, { "30 s", -EINVAL, 0 },
		{ "1s ", -EINVAL, 0 }, { "1sec", -EINVAL, 0 }, { "1m30", -EINVAL, 0 },
	};
	struct diff d = { 0 };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0;
		const char *why = NULL;
		int ret = rm_parse_duration_ms(cases[i].s, &v, &why);

		tap_ok(ret == cases[i].ret && (ret || v == cases[i].ms) && (!ret || why),
		       "duration '%s' -> %s", cases[i].s,
		       cases[i].ret ? (cases[i].ret == -ERANGE ? "ERANGE" : "EINVAL") : "value");
	}
	each_string("019msinhxMS.-", 5, diff_duration, &d);
	tap_ok(!d.bad, "duration: all %lu strings of <= 5 chars over 13 symbols match the "
	       "reference (first mismatch: '%s')", d.n, d.first);
}

/* ---- addresses ---- */

static void test_addr(void)
{
	static const struct {
		const char *s;
		int ret;
		int family;
		const char *canon;	/* rm_addr_format(with port) */
	} cases[] = {
		{ "10.0.0.2", 0, AF_INET, "10.0.0.2" },
		{ "10.0.0.2:7471", 0, AF_INET, "10.0.0.2:7471" },
		{ "10.0.0.2:1", 0, AF_INET, "10.0.0.2:1" },
		{ "10.0.0.2:65535", 0, AF_INET, "10.0.0.2:65535" },
		{ "::1", 0, AF_INET6, "::1" },
		{ "fd00::2", 0, AF_INET6, "fd00::2" },
		{ "[::1]", 0, AF_INET6, "::1" },
		{ "[::1]:7471", 0, AF_INET6, "[::1]:7471" },
		{ "[FD00:0:0::2]:80", 0, AF_INET6, "[fd00::2]:80" },
		{ "fd00::1:80", 0, AF_INET6, "fd00::1:80" },	/* a bare IPv6 has no port */
		{ "::ffff:10.0.0.2", 0, AF_INET, "10.0.0.2" },
		{ "[::ffff:10.0.0.2]:9", 0, AF_INET, "10.0.0.2:9" },
		{ "10.0.0.2:0", -ERANGE, 0, NULL },
		{ "10.0.0.2:65536", -ERANGE, 0, NULL },
		{ "10.0.0.2:99999999999999999999999", -ERANGE, 0, NULL },
		{ "[::1]:0", -ERANGE, 0, NULL },
		{ "10.0.0.2:", -EINVAL, 0, NULL },
		{ "10.0.0.2:x", -EINVAL, 0, NULL },
		{ "10.0.0.2:+1", -EINVAL, 0, NULL },
		{ "10.0.0.2:-1", -EINVAL, 0, NULL },
		{ "10.0.0.2: 1", -EINVAL, 0, NULL },
		{ ":7471", -EINVAL, 0, NULL },
		{ "", -EINVAL, 0, NULL },
		{ "10.0.0", -EINVAL, 0, NULL },
		{ "10.0.0.256", -EINVAL, 0, NULL },
		{ "10.0.0.2.1", -EINVAL, 0, NULL },
		{ " 10.0.0.2", -EINVAL, 0, NULL },
		{ "localhost", -EINVAL, 0, NULL },
		{ "[10.0.0.2]", -EINVAL, 0, NULL },
		{ "[::1", -EINVAL, 0, NULL },
		{ "[::1]x", -EINVAL, 0, NULL },
		{ "[::1]:", -EINVAL, 0, NULL },
		{ "[]", -EINVAL, 0, NULL },
		{ "[]:1", -EINVAL, 0, NULL },
		{ "::g", -EINVAL, 0, NULL },
		{ "1:2:3:4:5:6:7:8:9", -EINVAL, 0, NULL },
		{ "fe80::1%eth0", -ENOTSUP, 0, NULL },
		{ "[fe80::1%eth0]:7471", -ENOTSUP, 0, NULL },
		{ "0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0001", -EINVAL,
		  0, NULL },
	};
	struct diff d = { 0 };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rm_addr a;
		const char *why = NULL;
		char buf[80] = "";
		int ret = rm_parse_addr(cases[i].s, &a, &why);

		if (!ret)
			rm_addr_format(&a, true, buf, sizeof(buf));
		tap_ok(ret == cases[i].ret &&
		       (ret ? why != NULL : a.family == cases[i].family &&
			!strcmp(buf, cases[i].canon)),
		       "addr '%s' -> %s", cases[i].s, cases[i].canon ? cases[i].canon :
		       cases[i].ret == -ERANGE ? "ERANGE" :
		       cases[i].ret == -ENOTSUP ? "ENOTSUP" : "EINVAL");
	}
	each_string("01259x+- ", 5, diff_port, &d);
	tap_ok(!d.bad, "addr: all %lu ports of <= 5 chars over 9 symbols match the reference "
	       "(first mismatch: '%s')", d.n, d.first);

	{
		static const struct { const char *s; bool unicast; } u[] = {
			{ "10.0.0.2", true }, { "127.0.0.1", true }, { "0.0.0.0", false },
			{ "0.1.2.3", false }, { "224.0.0.1", false }, { "239.255.255.255", false },
			{ "255.255.255.255", false }, { "255.255.255.254", true },
			{ "::1", true }, { "fd00::1", true }, { "::", false }, { "ff02::1", false },
			{ "::ffff:224.0.0.1", false },
		};
		bool good = true;

		for (i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
			struct rm_addr a;

			good &= !rm_parse_addr(u[i].s, &a, NULL) &&
				rm_addr_is_unicast(&a) == u[i].unicast;
		}
		tap_ok(good, "addr: unicast check matches the module's (0/8, 224/4, "
		       "255.255.255.255, ::, ff00::/8)");
	}
	{
		struct rm_addr a, b, c;

		rm_parse_addr("10.0.0.2:1", &a, NULL);
		rm_parse_addr("10.0.0.2:2", &b, NULL);
		rm_parse_addr("[::ffff:10.0.0.3]", &c, NULL);
		tap_ok(rm_addr_equal(&a, &b) && !rm_addr_equal(&a, &c) &&
		       rm_addr_len(&a) == 4 && c.family == AF_INET,
		       "addr: equality ignores ports; mapped IPv4 is IPv4");
	}
	{
		char buf[4];
		struct rm_addr a;

		rm_parse_addr("[fd00::1234]:7471", &a, NULL);
		rm_addr_format(&a, true, buf, sizeof(buf));
		tap_ok(strlen(buf) == 3, "addr: format truncates to the buffer");
	}
}

/* ---- ids, names, enums ---- */

static void test_misc(void)
{
	struct diff d = { 0 };
	uint32_t v = 0;
	bool good = true;
	char name[64];
	int c, i;

	tap_ok(!rm_parse_u32("4294967295", &v) && v == UINT32_MAX, "u32: 4294967295");
	tap_ok(rm_parse_u32("4294967296", &v) == -ERANGE, "u32: 4294967296 is ERANGE");
	tap_ok(rm_parse_u32("", &v) == -EINVAL && rm_parse_u32("-1", &v) == -EINVAL &&
	       rm_parse_u32("0x1", &v) == -EINVAL && rm_parse_u32(NULL, &v) == -EINVAL,
	       "u32: empty, negative, hex, NULL are EINVAL");
	each_string("0149x-", 6, diff_u32, &d);
	tap_ok(!d.bad, "u32: all %lu strings of <= 6 chars over 6 symbols match the reference",
	       d.n);
	each_string("4295", 10, diff_u32, &d);
	tap_ok(!d.bad, "u32: all strings of <= 10 digits from {2,4,5,9} match the reference "
	       "(first mismatch: '%s')", d.first);

	tap_ok(rm_parse_transport("auto") == RMEM_TRANSPORT_AUTO &&
	       rm_parse_transport("tcp") == RMEM_TRANSPORT_TCP &&
	       rm_parse_transport("rdma") == RMEM_TRANSPORT_RDMA &&
	       rm_parse_transport("TCP") < 0 && rm_parse_transport("") < 0 &&
	       rm_parse_transport("tcpx") < 0 && rm_parse_transport(NULL) < 0,
	       "transport names: exact, lower case");
	tap_ok(rm_parse_region_type("block") == RMEM_REGION_BLOCK &&
	       rm_parse_region_type("mmap") == RMEM_REGION_MMAP &&
	       rm_parse_region_type("blk") < 0 && rm_parse_region_type("") < 0,
	       "region type names");
	tap_ok(!strcmp(rm_transport_name(RMEM_TRANSPORT_RDMA), "rdma") &&
	       !rm_transport_name(__RMEM_TRANSPORT_MAX) && !rm_transport_name(255) &&
	       !strcmp(rm_node_state_name(RMEM_NODE_DELETING), "deleting") &&
	       !rm_node_state_name(__RMEM_NODE_STATE_MAX) &&
	       !strcmp(rm_region_type_name(RMEM_REGION_MMAP), "mmap") &&
	       !rm_region_type_name(__RMEM_REGION_TYPE_MAX),
	       "enum names: known values named, the first unknown one is NULL");

	for (c = 1; c < 256; c++) {
		bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';

		name[0] = (char)c;
		name[1] = '\0';
		good &= rm_region_name_valid(name) == allowed;
	}
	tap_ok(good, "region name: each of the 255 one-byte names is valid iff in [A-Za-z0-9_.-]");
	good = !rm_region_name_valid("") && !rm_region_name_valid(NULL);
	for (i = 1; i < 40; i++) {
		memset(name, 'a', (size_t)i);
		name[i] = '\0';
		good &= rm_region_name_valid(name) == (i <= RMEM_REGION_NAME_MAX - 1);
	}
	tap_ok(good, "region name: 1 to 31 bytes valid, empty and >= 32 bytes not");
}

static void test_key_id(void)
{
	static const char *const bad[] = {
		"", "0", "0123456789abcde", "0123456789abcdef0", "0x23456789abcdef",
		"0123456789abcdeg", " 123456789abcdef", "0123456789abcde ", "-123456789abcdef",
		"+123456789abcdef",
	};
	uint64_t id = 0;
	bool good = true;
	char s[17];
	size_t i;
	int c;

	tap_ok(!rm_parse_key_id("0123456789abcdef", &id) && id == 0x0123456789abcdefULL,
	       "key id: 0123456789abcdef");
	tap_ok(!rm_parse_key_id("FFFFFFFFFFFFFFFF", &id) && id == UINT64_MAX &&
	       !rm_parse_key_id("0000000000000000", &id) && id == 0 &&
	       !rm_parse_key_id("DeadBeefCafe0001", &id) && id == 0xdeadbeefcafe0001ULL,
	       "key id: all ones, zero, mixed case");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		id = 42;
		good &= rm_parse_key_id(bad[i], &id) == -EINVAL && id == 42;
	}
	good &= rm_parse_key_id(NULL, &id) == -EINVAL;
	tap_ok(good, "key id: %zu malformed ids (length, prefix, sign, space, NULL) are EINVAL, "
	       "the result untouched", sizeof(bad) / sizeof(bad[0]) + 1);
	good = true;
	for (c = 1; c < 256; c++) {
		bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			   (c >= 'A' && c <= 'F');

		memset(s, '1', 16);
		s[16] = '\0';
		s[7] = (char)c;
		good &= (rm_parse_key_id(s, &id) == 0) == hex;
	}
	tap_ok(good, "key id: each of the 255 bytes in the middle is accepted iff a hex digit");
}

/* rm_cli_parse() of a command line, split at spaces; the result in *cmd. */
static int cli(struct rm_cmd *cmd, const char *line)
{
	char buf[1024], *argv[80], *p;
	int argc = 0;

	snprintf(buf, sizeof(buf), "rmemctl %s", line);
	for (p = strtok(buf, " "); p && argc < 79; p = strtok(NULL, " "))
		argv[argc++] = p;
	argv[argc] = NULL;
	return rm_cli_parse(argc, argv, cmd);
}

/* What the node and region verbs put in struct rm_req for the kernel. */
static void test_requests(void)
{
	static struct rm_cmd c;
	const struct rm_req *r = &c.req;
	struct rm_node_ref ref;
	char err[128], line[512];
	size_t off;
	int i, ret;

	ret = rm_node_ref_parse("3", &ref, err, sizeof(err));
	tap_ok(!ret && ref.has_id && ref.id == 3, "node ref: '3' is node id 3");
	ret = rm_node_ref_parse("[fd00::2]:7472", &ref, err, sizeof(err));
	tap_ok(!ret && !ref.has_id && ref.addr.family == AF_INET6 && ref.addr.has_port &&
	       ref.addr.port == 7472, "node ref: '[fd00::2]:7472' is an address with a port");
	ret = rm_node_ref_parse("4294967296", &ref, err, sizeof(err));
	tap_ok(ret == -EINVAL && !strcmp(err, "invalid node id '4294967296'"),
	       "node ref: an id past u32 is refused (%s)", err);
	ret = rm_node_ref_parse("", &ref, err, sizeof(err));
	tap_ok(ret == -EINVAL && !strcmp(err, "invalid address '': empty address"),
	       "node ref: empty is refused (%s)", err);

	ret = cli(&c, "node del 3");
	tap_ok(!ret && r->has_id && r->id == 3 && !r->has_addr, "node del ID: by id");
	ret = cli(&c, "node drain 10.0.0.2:7471");
	tap_ok(!ret && !r->has_id && r->has_addr && r->addr.family == AF_INET &&
	       r->addr.port == 7471, "node drain ADDR:PORT: by address");

	ret = cli(&c, "region add pub size 1G publish encrypt off");
	tap_ok(!ret && r->publish && r->encrypt == 0 && !r->purge && r->type == -1 &&
	       r->size == 1ULL << 30, "region add ... publish encrypt off");
	ret = cli(&c, "region add pub size 1G");
	tap_ok(!ret && !r->publish, "region add: not published unless asked");
	ret = cli(&c, "region del pub purge");
	tap_ok(!ret && r->purge && !strcmp(r->name, "pub"), "region del NAME purge");
	ret = cli(&c, "region del pub");
	tap_ok(!ret && !r->purge, "region del NAME: no purge unless asked");
	ret = cli(&c, "region seal pub");
	tap_ok(!ret && r->has_name && !strcmp(c.verb->name, "seal"), "region seal NAME");

	ret = cli(&c, "region attach pub");
	tap_ok(!ret && r->type == RMEM_REGION_MMAP && !r->n_nodes && !r->chunk && !r->cache,
	       "region attach NAME: type mmap, every node (no list)");
	ret = cli(&c, "region attach pub node 3,10.0.0.2,[fd00::2]:7471,4 type block");
	tap_ok(!ret && r->type == RMEM_REGION_BLOCK && r->n_nodes == 4 &&
	       r->nodes[0].has_id && r->nodes[0].id == 3 &&
	       !r->nodes[1].has_id && r->nodes[1].addr.family == AF_INET &&
	       !r->nodes[1].addr.has_port &&
	       !r->nodes[2].has_id && r->nodes[2].addr.family == AF_INET6 &&
	       r->nodes[2].addr.port == 7471 && r->nodes[3].has_id && r->nodes[3].id == 4,
	       "region attach: ids and addresses in the order given");
	ret = cli(&c, "region attach pub chunk 2M cache 64M node 10.0.0.2:7471,10.0.0.2:7472");
	tap_ok(!ret && r->chunk == 2ULL << 20 && r->cache == 64ULL << 20 && r->n_nodes == 2,
	       "region attach: chunk, cache; one address on two ports is two nodes");
	off = (size_t)snprintf(line, sizeof(line), "region attach pub node 1");
	for (i = 2; i <= RM_NODE_IDS_MAX; i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, ",%d", i);
	ret = cli(&c, line);
	tap_ok(!ret && r->n_nodes == RM_NODE_IDS_MAX &&
	       r->nodes[RM_NODE_IDS_MAX - 1].id == RM_NODE_IDS_MAX,
	       "region attach: %d nodes is the most", RM_NODE_IDS_MAX);
	snprintf(line + off, sizeof(line) - off, ",%d", RM_NODE_IDS_MAX + 1);
	ret = cli(&c, line);
	tap_ok(ret == -EINVAL &&
	       !strcmp(c.err, "region attach: more than 64 nodes in the node list"),
	       "region attach: %d nodes are refused (%s)", RM_NODE_IDS_MAX + 1, c.err);
}

/* rm_conf_parse(): the rmem.conf parser of rmemctl apply. */
static void test_conf(void)
{
	static struct rm_conf c;
	static const char good[] =
		"# rmem.conf\n"
		"key /etc/rmem/cluster.key\n"
		"\n"
		"node 10.0.0.2:7472 transport rdma timeout 30s   # the first memory node\n"
		"  node\t[fd00::3] auth none\r\n"
		"region swap0 size 8G replicas 2 encrypt off swap priority 10\n"
		"region weights size 64G type mmap chunk 2M cache 8G\n"
		"region spare size 1G swap";	/* no newline at the end */
	static const struct { const char *text, *err; } bad[] = {
		{ "nod 1.2.3.4\n", "line 1: unknown keyword 'nod' (use key, node or region)" },
		{ "\n\nkey\n", "line 3: 'key' takes one key file" },
		{ "key a b\n", "line 1: 'key' takes one key file" },
		{ "node\n", "line 1: node: missing ADDR" },
		{ "node 1.2.3.4 transport carrier-pigeon\n", "line 1: node: unknown transport 'carrier-pigeon' (use tcp, rdma or auto)" },
		{ "node 1.2.3.4\nnode 1.2.3.4:7471\n", "line 2: node 1.2.3.4:7471 is on line 1 already" },
		{ "region r\n", "line 1: region: missing 'size SIZE'" },
		{ "region r size 12Q\n", "line 1: region: invalid size '12Q': unknown unit (use K, M, G, T, P or E)" },
		{ "region r size 1G\nregion r size 2G\n", "line 2: region r is on line 1 already" },
		{ "region r size 1G type mmap swap\n", "line 1: 'swap' needs a block region, not type mmap" },
		{ "region r size 1G swap priority\n", "line 1: 'swap' takes only 'priority N' after it" },
		{ "region r size 1G swap priority 40000\n", "line 1: swap priority '40000' must be 0 to 32767" },
		{ "region r size 1G swap priority -1\n", "line 1: swap priority '-1' must be 0 to 32767" },
		{ "region r size 1G swap now\n", "line 1: 'swap' takes only 'priority N' after it" },
		{ "region r size 1G\0\n", "line 1: a NUL byte" },
		{ "region r size 1G publish\n", "line 1: 'publish' has no place in rmem.conf (a published region outlives the reboot; its name cannot be published again): publish it once with 'rmemctl region add'" },
		{ "region r size 1G publish publish\n", "line 1: region: 'publish' given twice" },
	};
	char err[256], big[RM_LINE_MAX + 8];
	size_t i;
	int ret;

	ret = rm_conf_parse(good, sizeof(good) - 1, &c, err, sizeof(err));
	tap_ok(ret == 0 && c.n == 6, "conf: a full file parses into 6 entries (%d, %u, '%s')",
	       ret, c.n, err);
	tap_ok(c.e[0].kind == RM_CONF_KEY && !strcmp(c.e[0].file, "/etc/rmem/cluster.key") &&
	       c.e[0].line == 2, "conf: key: its file and line");
	tap_ok(c.e[1].kind == RM_CONF_NODE && c.e[1].req.addr.port == 7472 &&
	       c.e[1].req.transport == RMEM_TRANSPORT_RDMA && c.e[1].req.timeout_ms == 30000 &&
	       c.e[1].line == 4, "conf: node: port, transport, timeout (node add's parser)");
	tap_ok(c.e[2].kind == RM_CONF_NODE && c.e[2].req.addr.family == AF_INET6 &&
	       c.e[2].req.auth_none && !c.e[2].req.addr.has_port,
	       "conf: node: tabs, CR and leading blanks; IPv6 without a port, auth none");
	tap_ok(c.e[3].kind == RM_CONF_REGION && !strcmp(c.e[3].req.name, "swap0") &&
	       c.e[3].req.size == 8ULL << 30 && c.e[3].req.replicas == 2 &&
	       c.e[3].req.encrypt == 0 && c.e[3].swap && c.e[3].swap_prio == 10,
	       "conf: region with swap priority 10 (region add's parser for the rest)");
	tap_ok(c.e[4].req.type == RMEM_REGION_MMAP && c.e[4].req.chunk == 2ULL << 20 &&
	       c.e[4].req.cache == 8ULL << 30 && !c.e[4].swap, "conf: mmap region");
	tap_ok(c.e[5].swap && c.e[5].swap_prio == -1 && c.e[5].line == 8,
	       "conf: swap without a priority, last line without a newline");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i].text);

		if (strstr(bad[i].err, "NUL"))
			len += 2;
		ret = rm_conf_parse(bad[i].text, len, &c, err, sizeof(err));
		tap_ok(ret == -EINVAL && !strcmp(err, bad[i].err), "conf: refused: '%s' (%s)",
		       bad[i].err, err);
	}
	memset(big, 'x', sizeof(big));
	ret = rm_conf_parse(big, sizeof(big), &c, err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "longer than"), "conf: a line too long (%s)", err);
	ret = rm_conf_parse("", 0, &c, err, sizeof(err));
	tap_ok(ret == 0 && c.n == 0, "conf: an empty file is no entry");
}

int main(void)
{
	test_size();
	test_duration();
	test_addr();
	test_misc();
	test_key_id();
	test_requests();
	test_conf();
	return tap_done();
}
