// SPDX-License-Identifier: GPL-2.0
/*
 * rmemctl: pure parsers for the values users type, and the names of the
 * enums in include/uapi/rmem.h.
 *
 * No I/O, no allocation, no locale: every function here is safe to call
 * with any NUL-terminated input, which the fuzz harnesses in fuzz/ do.
 * Digits are checked by hand ('0'..'9') so that a locale cannot widen what
 * is accepted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "rmemctl.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int fail(const char **why, const char *msg, int err)
{
	if (why)
		*why = msg;
	return err;
}

/*
 * Reads a run of decimal digits at *p into *v. Returns false when there is
 * no digit; sets *overflow when the value does not fit in 64 bits (the
 * digits are still consumed, so that syntax is checked before range).
 */
static bool scan_u64(const char **p, uint64_t *v, bool *overflow)
{
	const char *s = *p;
	uint64_t x = 0;

	if (!is_digit(*s))
		return false;
	for (; is_digit(*s); s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (x > (UINT64_MAX - d) / 10)
			*overflow = true;
		else
			x = x * 10 + d;
	}
	*p = s;
	*v = x;
	return true;
}

/**
 * rm_parse_size() - parse a size in bytes: "4096", "4K", "512M", "8G", "1T"
 * @s: the text; suffixes K M G T P E are powers of 1024, in either case,
 *     optionally followed by "B" or "iB" ("4KiB", "4kb")
 * @bytes: the result
 * @why: set to the reason on error
 *
 * Return: 0, -EINVAL (syntax) or -ERANGE (more than 2^64 - 1 bytes).
 */
int rm_parse_size(const char *s, uint64_t *bytes, const char **why)
{
	static const char units[] = "kmgtpe";
	bool overflow = false;
	unsigned int shift = 0;
	const char *u;
	uint64_t v;

	if (!s || !*s)
		return fail(why, "empty size", -EINVAL);
	if (!scan_u64(&s, &v, &overflow))
		return fail(why, "a size starts with a digit", -EINVAL);
	u = *s ? strchr(units, lower(*s)) : NULL;	/* strchr() finds the NUL too */
	if (u) {
		shift = 10 * (unsigned int)(u - units + 1);
		s++;
		if (*s == 'i' && lower(s[1]) == 'b')
			s += 2;
		else if (lower(*s) == 'b')
			s++;
	} else if (lower(*s) == 'b') {
		s++;
	}
	if (*s)
		return fail(why, "unknown unit (use K, M, G, T, P or E)", -EINVAL);
	if (overflow || (shift && v > (UINT64_MAX >> shift)))
		return fail(why, "too large", -ERANGE);
	*bytes = v << shift;
	return 0;
}

/**
 * rm_parse_duration_ms() - parse a duration: "30s", "5000ms", "2m", "1h30m"
 * @s: one or more NUMBER UNIT pairs; units ms, s, m (or min), h
 * @ms: the result in milliseconds
 * @why: set to the reason on error
 *
 * A unit is required: a bare "30" is ambiguous and is refused.
 *
 * Return: 0, -EINVAL (syntax) or -ERANGE (more than 2^64 - 1 ms).
 */
int rm_parse_duration_ms(const char *s, uint64_t *ms, const char **why)
{
	static const struct {
		const char *name;
		uint64_t ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60 * 1000 },
		{ "min", 60 * 1000 }, { "h", 3600 * 1000 },
	};
	bool overflow = false;
	uint64_t total = 0;

	if (!s || !*s)
		return fail(why, "empty duration", -EINVAL);
	while (*s) {
		const char *u;
		uint64_t v, mul = 0;
		size_t len, i;

		if (!scan_u64(&s, &v, &overflow))
			return fail(why, "expected a number", -EINVAL);
		for (u = s; (*s >= 'a' && *s <= 'z'); s++)
			;
		len = (size_t)(s - u);
		if (!len)
			return fail(why, "missing unit (use ms, s, m or h)", -EINVAL);
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strlen(units[i].name) == len && !memcmp(units[i].name, u, len))
				mul = units[i].ms;
		if (!mul)
			return fail(why, "unknown unit (use ms, s, m or h)", -EINVAL);
		if (v > UINT64_MAX / mul || total > UINT64_MAX - v * mul)
			overflow = true;
		else
			total += v * mul;
	}
	if (overflow)
		return fail(why, "too long", -ERANGE);
	*ms = total;
	return 0;
}

static int parse_port(const char *s, struct rm_addr *a, const char **why)
{
	bool overflow = false;
	uint64_t v;

	if (!scan_u64(&s, &v, &overflow) || *s)
		return fail(why, "the port must be a number", -EINVAL);
	if (overflow || v < 1 || v > 65535)
		return fail(why, "the port must be 1-65535", -ERANGE);
	a->port = (uint16_t)v;
	a->has_port = true;
	return 0;
}

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address. */
static void unmap_v4(struct rm_addr *a)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	if (a->family == AF_INET6 && !memcmp(a->bytes, prefix, sizeof(prefix))) {
		memmove(a->bytes, a->bytes + 12, 4);
		memset(a->bytes + 4, 0, 12);
		a->family = AF_INET;
	}
}

/**
 * rm_parse_addr() - parse a numeric node address with an optional port
 * @s: "10.0.0.2", "10.0.0.2:7471", "fd00::2", "[fd00::2]", "[fd00::2]:7471"
 * @a: the result; a->has_port tells whether a port was given
 * @why: set to the reason on error
 *
 * An IPv6 address with a port must be in brackets. Scope ids ("%eth0")
 * are refused with -ENOTSUP: RMEM_A_NODE_ADDR has no room for them.
 *
 * Return: 0, -EINVAL, -ERANGE (port) or -ENOTSUP.
 */
int rm_parse_addr(const char *s, struct rm_addr *a, const char **why)
{
	char host[64];
	const char *port = NULL, *end;
	size_t len;

	memset(a, 0, sizeof(*a));
	if (!s || !*s)
		return fail(why, "empty address", -EINVAL);
	if (*s == '[') {
		end = strchr(s, ']');
		if (!end)
			return fail(why, "missing ']'", -EINVAL);
		if (end[1] == ':')
			port = end + 2;
		else if (end[1])
			return fail(why, "expected ':PORT' after ']'", -EINVAL);
		s++;
		a->family = AF_INET6;
	} else {
		const char *c = strchr(s, ':');

		end = s + strlen(s);
		if (c && !strchr(c + 1, ':')) {		/* one colon: IPv4:PORT */
			end = c;
			port = c + 1;
			a->family = AF_INET;
		} else {
			a->family = c ? AF_INET6 : AF_INET;
		}
	}
	len = (size_t)(end - s);
	if (!len)
		return fail(why, "empty address", -EINVAL);
	if (len >= sizeof(host))
		return fail(why, "address too long", -EINVAL);
	memcpy(host, s, len);
	host[len] = '\0';
	if (memchr(host, '%', len))
		return fail(why, "IPv6 scope ids are not supported", -ENOTSUP);
	if (inet_pton(a->family, host, a->bytes) != 1)
		return fail(why, a->family == AF_INET6 ? "not an IPv6 address" :
			    "not an IPv4 address (host names are not resolved)", -EINVAL);
	if (port) {
		int ret = parse_port(port, a, why);

		if (ret)
			return ret;
	}
	unmap_v4(a);
	return 0;
}

/**
 * rm_parse_u32() - parse a decimal unsigned 32-bit number (an id)
 * @s: digits only; no sign, no spaces, no hex
 * @v: the result
 *
 * Return: 0, -EINVAL or -ERANGE.
 */
int rm_parse_u32(const char *s, uint32_t *v)
{
	bool overflow = false;
	uint64_t x;

	if (!s || !scan_u64(&s, &x, &overflow) || *s)
		return -EINVAL;
	if (overflow || x > UINT32_MAX)
		return -ERANGE;
	*v = (uint32_t)x;
	return 0;
}

/**
 * rm_parse_key_id() - parse a key id as rmemctl and rmemd print it
 * @s: 16 hex digits (either case), no prefix
 * @id: the result
 *
 * Return: 0 or -EINVAL.
 */
int rm_parse_key_id(const char *s, uint64_t *id)
{
	uint64_t x = 0;
	size_t i;

	if (!s || strlen(s) != 16)
		return -EINVAL;
	for (i = 0; i < 16; i++) {
		char c = s[i];
		unsigned int d;

		if (c >= '0' && c <= '9')
			d = (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned int)(c - 'A' + 10);
		else
			return -EINVAL;
		x = x << 4 | d;
	}
	*id = x;
	return 0;
}

static const char *const transport_names[] = {
	[RMEM_TRANSPORT_AUTO] = "auto",
	[RMEM_TRANSPORT_TCP] = "tcp",
	[RMEM_TRANSPORT_RDMA] = "rdma",
};

static const char *const node_state_names[] = {
	[RMEM_NODE_CONNECTING] = "connecting",
	[RMEM_NODE_LIVE] = "live",
	[RMEM_NODE_RECONNECTING] = "reconnecting",
	[RMEM_NODE_DEAD] = "dead",
	[RMEM_NODE_DELETING] = "deleting",
};

static const char *const region_type_names[] = {
	[RMEM_REGION_BLOCK] = "block",
	[RMEM_REGION_MMAP] = "mmap",
};

const char *const rm_feature_names[] = {
	"tcp",		/* RMEM_FEAT_TCP */
	"rdma",		/* RMEM_FEAT_RDMA */
	"block",	/* RMEM_FEAT_BLOCK */
	"mmap",		/* RMEM_FEAT_MMAP */
	"auth",		/* RMEM_FEAT_AUTH */
	"publish",	/* RMEM_FEAT_PUBLISH */
	"pub-key",	/* RMEM_FEAT_PUB_KEY */
	NULL,
};

_Static_assert(sizeof(transport_names) / sizeof(transport_names[0]) == __RMEM_TRANSPORT_MAX,
	       "a transport without a name");
_Static_assert(sizeof(node_state_names) / sizeof(node_state_names[0]) == __RMEM_NODE_STATE_MAX,
	       "a node state without a name");
_Static_assert(sizeof(region_type_names) / sizeof(region_type_names[0]) ==
	       __RMEM_REGION_TYPE_MAX, "a region type without a name");
_Static_assert(RMEM_FEAT_MMAP == 1ULL << 3, "rm_feature_names is out of date");
_Static_assert(RMEM_FEAT_AUTH == 1ULL << 4, "rm_feature_names is out of date");
_Static_assert(RMEM_FEAT_PUBLISH == 1ULL << 5, "rm_feature_names is out of date");
_Static_assert(RMEM_FEAT_PUB_KEY == 1ULL << 6, "rm_feature_names is out of date");

static int lookup(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; s && i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return (int)i;
	return -EINVAL;
}

#define LOOKUP(names, s) lookup(names, sizeof(names) / sizeof(names[0]), s)
#define NAME(names, v) ((v) < sizeof(names) / sizeof(names[0]) ? names[v] : NULL)

/** rm_parse_transport() - "auto", "tcp", "rdma" -> enum rmem_transport, or -EINVAL */
int rm_parse_transport(const char *s)
{
	return LOOKUP(transport_names, s);
}

/** rm_parse_region_type() - "block", "mmap" -> enum rmem_region_type, or -EINVAL */
int rm_parse_region_type(const char *s)
{
	return LOOKUP(region_type_names, s);
}

/** rm_transport_name() - name of an enum rmem_transport, NULL if unknown */
const char *rm_transport_name(unsigned int t)
{
	return NAME(transport_names, t);
}

/** rm_node_state_name() - name of an enum rmem_node_state, NULL if unknown */
const char *rm_node_state_name(unsigned int s)
{
	return NAME(node_state_names, s);
}

/** rm_region_type_name() - name of an enum rmem_region_type, NULL if unknown */
const char *rm_region_type_name(unsigned int t)
{
	return NAME(region_type_names, t);
}

/**
 * rm_region_name_valid() - whether @s is a valid RMEM_A_REGION_NAME
 * @s: 1 to RMEM_REGION_NAME_MAX - 1 characters from [A-Za-z0-9_.-]
 */
bool rm_region_name_valid(const char *s)
{
	size_t i;

	if (!s)
		return false;
	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (i >= RMEM_REGION_NAME_MAX - 1)
			return false;
		if (!(is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'z') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return i > 0;
}

/** rm_addr_len() - bytes of RMEM_A_NODE_ADDR for @a: 4 or 16 */
size_t rm_addr_len(const struct rm_addr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

/**
 * rm_addr_is_unicast() - whether the module will accept @a as a node
 * @a: a parsed address
 *
 * Mirrors the checks of the module: not 0.0.0.0/8, 224.0.0.0/4,
 * 255.255.255.255, ::, or ff00::/8.
 */
bool rm_addr_is_unicast(const struct rm_addr *a)
{
	static const uint8_t any6[16];
	const uint8_t *b = a->bytes;

	if (a->family == AF_INET)
		return b[0] != 0 && (b[0] & 0xf0) != 0xe0 &&
		       !(b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255);
	return memcmp(b, any6, 16) && b[0] != 0xff;
}

/** rm_addr_equal() - same family and address; ports are not compared */
bool rm_addr_equal(const struct rm_addr *a, const struct rm_addr *b)
{
	return a->family == b->family && !memcmp(a->bytes, b->bytes, rm_addr_len(a));
}

/**
 * rm_addr_format() - "10.0.0.2:7471", "[fd00::2]:7471", or without the port
 * @a: the address
 * @with_port: append a->port (if a->has_port)
 * @buf: the result, always NUL-terminated
 * @len: size of @buf
 */
void rm_addr_format(const struct rm_addr *a, bool with_port, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	bool v6 = a->family == AF_INET6;

	if (!len)
		return;
	if (!inet_ntop(v6 ? AF_INET6 : AF_INET, a->bytes, host, sizeof(host)))
		snprintf(host, sizeof(host), "?");
	if (with_port && a->has_port)
		snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", host, a->port);
	else
		snprintf(buf, len, "%s", host);
}

/**
 * rm_line_words() - the next line of a text, split into words
 * @text: the text (need not end with a NUL)
 * @len: its length
 * @pos: in: where the line starts (< @len); out: where the next one starts
 * @buf: RM_LINE_MAX + 1 bytes; the words point into it
 * @argv: RM_LINE_MAX_WORDS + 1 slots, filled and ended with NULL
 * @err: on error, what is wrong with the line
 * @errlen: size of @err
 *
 * Words are separated by blanks; '#' starts a comment that runs to the end
 * of the line. rmem.conf (rm_conf_parse()) and batch files (rmemctl -b)
 * are read with it. Pure: no I/O, no allocation.
 *
 * Return: the number of words (0 for a blank or comment line), or -EINVAL
 * with @err set.
 */
int rm_line_words(const char *text, size_t len, size_t *pos, char *buf, char **argv,
		  char *err, size_t errlen)
{
	const char *nl = memchr(text + *pos, '\n', len - *pos);
	size_t l = nl ? (size_t)(nl - (text + *pos)) : len - *pos;
	int argc = 0;
	char *p;

	memcpy(buf, text + *pos, l < RM_LINE_MAX ? l : RM_LINE_MAX);
	*pos += l + 1;
	if (l > RM_LINE_MAX) {
		snprintf(err, errlen, "longer than %d characters", RM_LINE_MAX);
		return -EINVAL;
	}
	buf[l] = '\0';
	if (memchr(buf, '\0', l)) {
		snprintf(err, errlen, "a NUL byte");
		return -EINVAL;
	}
	p = strchr(buf, '#');
	if (p)
		*p = '\0';
	for (p = strtok(buf, " \t\r\f\v"); p; p = strtok(NULL, " \t\r\f\v")) {
		if (argc == RM_LINE_MAX_WORDS) {
			snprintf(err, errlen, "more than %d words", RM_LINE_MAX_WORDS);
			return -EINVAL;
		}
		argv[argc++] = p;
	}
	argv[argc] = NULL;
	return argc;
}
