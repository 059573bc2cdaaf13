// SPDX-License-Identifier: GPL-2.0
/*
 * rmemd configuration parsing. See config.h for the model: defaults, file,
 * flags, then rmemd_config_check() for the rules that tie keys together.
 * Errors are returned as text ("file:line: message") for the caller to print
 * or log; nothing here exits.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "log.h"
#include "rmem-key.h"
#include "rmem-proto.h"

static_assert(RMEMD_MAX_KEY_FILES == RMEM_AUTH_MAX_KEYS, "one key per key file");

#define CONFIG_FILE_MAX	(64 * 1024)

static int errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/**
 * rmemd_config_defaults() - fill @c with the built-in defaults
 * @c: config
 */
void rmemd_config_defaults(struct rmemd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->slab_size = RMEMD_DEFAULT_SLAB_SIZE;
	c->session_timeout = RMEMD_DEFAULT_SESSION_TIMEOUT;
	c->drain_timeout = RMEMD_DEFAULT_DRAIN_TIMEOUT;
	c->hello_timeout = RMEMD_DEFAULT_HELLO_TIMEOUT;
	c->max_clients = RMEMD_DEFAULT_MAX_CLIENTS;
	c->max_per_address = RMEMD_DEFAULT_PER_ADDRESS;
	c->out_budget = RMEMD_DEFAULT_OUT_BUDGET;
	c->log_level = LOG_INFO;
	c->test_corrupt = -1;
	c->test_drop_off = -1;
	snprintf(c->ctl_socket, sizeof(c->ctl_socket), "%s", RMEMD_DEFAULT_CTL_SOCKET);
}

/**
 * rmemd_parse_size() - parse a human size: 4096, 4K, 512M, 8G, 1T, 4KiB
 * @s: text; suffixes are binary (K = 1024) and case-insensitive
 * @out: bytes
 * @why: on failure, a reason
 *
 * Return: 0, or -1 for garbage, zero, or a value that does not fit 64 bits.
 */
int rmemd_parse_size(const char *s, uint64_t *out, const char **why)
{
	uint64_t v = 0;
	unsigned int shift = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p)) {
		*why = "not a size (expected a number with an optional K, M, G, T or P suffix)";
		return -1;
	}
	for (; isdigit((unsigned char)*p); p++) {
		unsigned int d = *p - '0';

		if (v > (UINT64_MAX - d) / 10) {
			*why = "too large";
			return -1;
		}
		v = v * 10 + d;
	}
	switch (toupper((unsigned char)*p)) {
	case '\0': break;
	case 'K': shift = 10; break;
	case 'M': shift = 20; break;
	case 'G': shift = 30; break;
	case 'T': shift = 40; break;
	case 'P': shift = 50; break;
	default:
		*why = "not a size (expected a number with an optional K, M, G, T or P suffix)";
		return -1;
	}
	if (*p) {
		p++;
		if (!strcasecmp(p, "iB"))
			p += 2;
		else if (!strcasecmp(p, "B"))
			p += 1;
	}
	if (*p) {
		*why = "not a size (expected a number with an optional K, M, G, T or P suffix)";
		return -1;
	}
	if (v == 0) {
		*why = "must not be zero";
		return -1;
	}
	if (shift && v > (UINT64_MAX >> shift)) {
		*why = "too large";
		return -1;
	}
	*out = v << shift;
	return 0;
}

/**
 * rmemd_format_size() - print a byte count the way humans write it
 * @bytes: count
 * @buf: output
 * @len: size of @buf
 *
 * Return: @buf, e.g. "64M", "8G", "12345" (exact: the largest suffix that
 * divides the value).
 */
char *rmemd_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char sfx[] = "KMGTP";
	int i = -1;

	while (i < 4 && bytes && !(bytes & 1023)) {
		bytes >>= 10;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)bytes, sfx[i]);
	return buf;
}

/**
 * rmemd_parse_u32() - parse a decimal number in [0, @max]
 * @s: text
 * @max: largest accepted value
 * @out: value
 *
 * Return: 0, or -1.
 */
int rmemd_parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/**
 * rmemd_parse_listen() - split "ADDR:PORT" or "[V6ADDR]:PORT"
 * @s: text
 * @host: output, ADDR without brackets
 * @hostlen: size of @host
 * @port: output; 0 means "any free port"
 * @why: on failure, a reason
 *
 * Return: 0, or -1.
 */
int rmemd_parse_listen(const char *s, char *host, size_t hostlen, uint16_t *port,
		       const char **why)
{
	const char *h = s, *colon;
	size_t hl;
	uint32_t p;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':') {
			*why = "expected [IPV6]:PORT";
			return -1;
		}
		h = s + 1;
		hl = close - h;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon) {
			*why = "expected ADDR:PORT";
			return -1;
		}
		if (memchr(s, ':', colon - s)) {
			*why = "an IPv6 address must be written [ADDR]:PORT";
			return -1;
		}
		hl = colon - s;
	}
	if (hl == 0 || hl >= hostlen) {
		*why = hl ? "address too long" : "missing address (use 0.0.0.0 or [::] for all)";
		return -1;
	}
	if (rmemd_parse_u32(colon + 1, 65535, &p)) {
		*why = "port must be a number 0..65535";
		return -1;
	}
	for (size_t i = 0; i < hl; i++) {
		if (isspace((unsigned char)h[i]) || !isprint((unsigned char)h[i])) {
			*why = "bad character in address";
			return -1;
		}
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)p;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/**
 * rmemd_config_key_is_bool() - does @key take no value as a flag?
 * @key: key name
 *
 * Return: true for switches such as no-mlock and no-rdma.
 */
bool rmemd_config_key_is_bool(const char *key)
{
	return !strcmp(key, "no-mlock") || !strcmp(key, "no-rdma");
}

/**
 * rmemd_parse_drop_reply() - parse a --test-drop-reply value,
 *	"TYPE[:N][@OFFSET]"
 * @s: text: a message type (hello, slab-alloc, slab-free, read, write,
 *	ping, slab-list), then optionally ':' and which request of that type,
 *	from 1, then optionally '@' and a size: only READs or WRITEs at that
 *	offset in their slab count
 * @type: out: RMEM_MSG_* type
 * @nth: out: N (1 when not given)
 * @off: out: OFFSET, or -1 when not given
 *
 * Return: 0, or -1 when @s is not valid (@type, @nth and @off unchanged).
 */
int rmemd_parse_drop_reply(const char *s, uint8_t *type, uint32_t *nth, int64_t *off)
{
	static const struct {
		const char *name;
		uint8_t type;
	} types[] = {
		{ "hello", RMEM_MSG_HELLO },
		{ "slab-alloc", RMEM_MSG_SLAB_ALLOC },
		{ "slab-free", RMEM_MSG_SLAB_FREE },
		{ "read", RMEM_MSG_READ },
		{ "write", RMEM_MSG_WRITE },
		{ "ping", RMEM_MSG_PING },
		{ "slab-list", RMEM_MSG_SLAB_LIST },
	};
	const char *at = strchr(s, '@');
	size_t end = at ? (size_t)(at - s) : strlen(s);
	const char *colon = memchr(s, ':', end);
	size_t len = colon ? (size_t)(colon - s) : end;
	char num[16];
	uint32_t n = 1;
	uint64_t o = 0;
	const char *why;

	if (colon) {
		size_t nlen = end - (size_t)(colon + 1 - s);

		if (nlen >= sizeof(num))
			return -1;
		memcpy(num, colon + 1, nlen);
		num[nlen] = '\0';
		if (rmemd_parse_u32(num, UINT32_MAX, &n) || n == 0)
			return -1;
	}
	if (at && (rmemd_parse_size(at + 1, &o, &why) || o > INT64_MAX))
		return -1;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strlen(types[i].name) != len || strncmp(s, types[i].name, len))
			continue;
		/* Only READs and WRITEs have an offset. */
		if (at && types[i].type != RMEM_MSG_READ && types[i].type != RMEM_MSG_WRITE)
			return -1;
		*type = types[i].type;
		*nth = n;
		*off = at ? (int64_t)o : -1;
		return 0;
	}
	return -1;
}

/**
 * rmemd_config_set() - set one key
 * @c: config
 * @key: key, as in the file or the long flag without "--"
 * @val: value text
 * @err: on failure, the message
 * @errlen: size of @err
 *
 * Return: 0, or -1 with @err set; @c is unchanged on failure.
 */
int rmemd_config_set(struct rmemd_config *c, const char *key, const char *val,
		     char *err, size_t errlen)
{
	const char *why;
	uint64_t size;
	uint32_t n;

	if (!strcmp(key, "donate") || !strcmp(key, "slab-size")) {
		if (rmemd_parse_size(val, &size, &why))
			return errf(err, errlen, "%s: bad size '%s': %s", key, val, why);
		if (key[0] == 'd')
			c->donate = size;
		else
			c->slab_size = size;
	} else if (!strcmp(key, "listen")) {
		char host[RMEMD_HOST_MAX];
		uint16_t port;

		if (strlen(val) >= sizeof(c->listen))
			return errf(err, errlen, "listen: address too long");
		if (rmemd_parse_listen(val, host, sizeof(host), &port, &why))
			return errf(err, errlen, "listen: bad address '%s': %s", val, why);
		snprintf(c->listen, sizeof(c->listen), "%s", val);
		snprintf(c->listen_host, sizeof(c->listen_host), "%s", host);
		c->listen_port = port;
	} else if (!strcmp(key, "session-timeout")) {
		if (rmemd_parse_u32(val, RMEMD_MAX_SESSION_TIMEOUT, &n))
			return errf(err, errlen,
				    "session-timeout: bad value '%s' (seconds, 0..%u)",
				    val, RMEMD_MAX_SESSION_TIMEOUT);
		c->session_timeout = n;
	} else if (!strcmp(key, "drain-timeout")) {
		if (rmemd_parse_u32(val, RMEMD_MAX_DRAIN_TIMEOUT, &n))
			return errf(err, errlen,
				    "drain-timeout: bad value '%s' (seconds, 0..%u)",
				    val, RMEMD_MAX_DRAIN_TIMEOUT);
		c->drain_timeout = n;
	} else if (!strcmp(key, "hello-timeout")) {
		if (rmemd_parse_u32(val, RMEMD_MAX_HELLO_TIMEOUT, &n) || n == 0)
			return errf(err, errlen,
				    "hello-timeout: bad value '%s' (seconds, 1..%u)",
				    val, RMEMD_MAX_HELLO_TIMEOUT);
		c->hello_timeout = n;
	} else if (!strcmp(key, "session-quota")) {
		if (rmemd_parse_u32(val, UINT32_MAX, &n))
			return errf(err, errlen,
				    "session-quota: bad value '%s' (slabs, 0 for no limit)", val);
		c->session_quota = n;
	} else if (!strcmp(key, "max-clients")) {
		if (rmemd_parse_u32(val, RMEMD_MAX_CLIENTS_LIMIT, &n) || n == 0)
			return errf(err, errlen, "max-clients: bad value '%s' (1..%u)",
				    val, RMEMD_MAX_CLIENTS_LIMIT);
		c->max_clients = n;
	} else if (!strcmp(key, "out-budget")) {
		if (!strcmp(val, "0"))
			size = 0;
		else if (rmemd_parse_size(val, &size, &why))
			return errf(err, errlen, "out-budget: bad size '%s': %s", val, why);
		if (size && size < RMEMD_MIN_OUT_BUDGET)
			return errf(err, errlen,
				    "out-budget: %s is below 4M (one connection's queue), use 0 for no limit",
				    val);
		c->out_budget = size;
	} else if (!strcmp(key, "max-clients-per-address")) {
		if (rmemd_parse_u32(val, RMEMD_MAX_CLIENTS_LIMIT, &n) || n == 0)
			return errf(err, errlen, "max-clients-per-address: bad value '%s' (1..%u)",
				    val, RMEMD_MAX_CLIENTS_LIMIT);
		c->max_per_address = n;
	} else if (!strcmp(key, "log-level")) {
		int l = rmemd_log_level_parse(val);

		if (l < 0)
			return errf(err, errlen,
				    "log-level: bad value '%s' (err, warning, notice, info, debug)",
				    val);
		c->log_level = l;
	} else if (!strcmp(key, "no-mlock")) {
		bool b;

		if (parse_bool(val, &b))
			return errf(err, errlen, "no-mlock: bad value '%s' (yes or no)", val);
		c->no_mlock = b;
	} else if (!strcmp(key, "no-rdma")) {
		bool b;

		if (parse_bool(val, &b))
			return errf(err, errlen, "no-rdma: bad value '%s' (yes or no)", val);
		c->no_rdma = b;
	} else if (!strcmp(key, "rdma-port")) {
		if (rmemd_parse_u32(val, 65535, &n))
			return errf(err, errlen,
				    "rdma-port: bad value '%s' (1..65535, or 0 for the TCP port)",
				    val);
		c->rdma_port = (uint16_t)n;
	} else if (!strcmp(key, "test-drop-reply") || !strcmp(key, "test-lose-request")) {
		uint8_t type;

		int64_t off;

		if (rmemd_parse_drop_reply(val, &type, &n, &off))
			return errf(err, errlen,
				    "%s: bad value '%s' (TYPE[:N][@OFFSET], TYPE one of hello, slab-alloc, slab-free, read, write, ping, slab-list; N 1..%u; @OFFSET, a size, for read and write only)",
				    key, val, UINT32_MAX);
		/* One or the other: the last one given. */
		c->test_drop_type = type;
		c->test_drop_nth = n;
		c->test_drop_off = off;
		c->test_drop_lose = !strcmp(key, "test-lose-request");
	} else if (!strcmp(key, "test-hostile")) {
		const char *colon = strchr(val, ':');
		char num[16];

		if ((colon && strcmp(colon, ":rkey") && strcmp(colon, ":slab") &&
		     strcmp(colon, ":early")) ||
		    snprintf(num, sizeof(num), "%.*s", colon ? (int)(colon - val) : (int)strlen(val),
			     val) >= (int)sizeof(num) ||
		    rmemd_parse_u32(num, 1000000, &n))
			return errf(err, errlen,
				    "test-hostile: bad value '%s' (N[:rkey|:slab|:early]: one reply in N mangled, N 1..1000000, 0 off)",
				    val);
		c->test_hostile = n;
		c->test_hostile_rkey = colon && !strcmp(colon, ":rkey");
		c->test_hostile_slab = colon && !strcmp(colon, ":slab");
		c->test_hostile_early = colon && !strcmp(colon, ":early");
	} else if (!strcmp(key, "test-corrupt")) {
		if (rmemd_parse_u32(val, UINT32_MAX, &n))
			return errf(err, errlen,
				    "test-corrupt: bad value '%s' (a byte offset in a slab, 0..%u)",
				    val, UINT32_MAX);
		c->test_corrupt = n;
	} else if (!strcmp(key, "auth")) {
		if (strcmp(val, "psk") && strcmp(val, "none"))
			return errf(err, errlen, "auth: bad value '%s' (psk or none)", val);
		c->auth_none = val[0] == 'n';
	} else if (!strcmp(key, "key-file")) {
		char path[RMEMD_KEY_PATH_MAX];
		const char *cred = getenv("CREDENTIALS_DIRECTORY");

		/*
		 * A bare name is a systemd credential (LoadCredential=): the
		 * unit hands an unprivileged rmemd a copy of a root-only file.
		 */
		if (!strchr(val, '/')) {
			if (!cred || cred[0] != '/')
				return errf(err, errlen,
					    "key-file: '%s' is a bare name, a systemd credential, but CREDENTIALS_DIRECTORY is not set (give an absolute path)",
					    val);
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", cred, val) >= sizeof(path))
				return errf(err, errlen, "key-file: path longer than %d bytes",
					    RMEMD_KEY_PATH_MAX - 1);
			val = path;
		}
		if (val[0] != '/')
			return errf(err, errlen, "key-file: '%s' is not an absolute path", val);
		if (strlen(val) >= RMEMD_KEY_PATH_MAX)
			return errf(err, errlen, "key-file: path longer than %d bytes",
				    RMEMD_KEY_PATH_MAX - 1);
		for (uint32_t i = 0; i < c->nkey_files; i++)
			if (!strcmp(c->key_files[i], val))
				return errf(err, errlen, "key-file: %s is listed twice", val);
		if (c->nkey_files == RMEMD_MAX_KEY_FILES)
			return errf(err, errlen, "key-file: more than %d (one per tenant)",
				    RMEMD_MAX_KEY_FILES);
		snprintf(c->key_files[c->nkey_files++], RMEMD_KEY_PATH_MAX, "%s", val);
	} else if (!strcmp(key, "ctl-socket")) {
		if (val[0] != '/')
			return errf(err, errlen, "ctl-socket: '%s' is not an absolute path", val);
		if (strlen(val) >= sizeof(c->ctl_socket))
			return errf(err, errlen, "ctl-socket: path longer than %zu bytes",
				    sizeof(c->ctl_socket) - 1);
		snprintf(c->ctl_socket, sizeof(c->ctl_socket), "%s", val);
	} else {
		return errf(err, errlen, "unknown key '%s'", key);
	}
	return 0;
}

static char *trim(char *s, char *end)
{
	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return s;
}

/**
 * rmemd_config_parse() - apply a config file's text
 * @c: config; on failure it may hold the keys before the bad line
 * @text: file contents (need not be NUL-terminated)
 * @len: bytes in @text
 * @fname: name used in messages
 * @err: on failure, "fname:line: message"
 * @errlen: size of @err
 *
 * Lines are "key = value", blank, or comments starting with '#'. A value
 * runs to the end of the line (a '#' after the value starts a comment).
 *
 * Return: 0, or -1 at the first bad line.
 */
int rmemd_config_parse(struct rmemd_config *c, const char *text, size_t len,
		       const char *fname, char *err, size_t errlen)
{
	char line[1024];
	char msg[512];
	unsigned int lineno = 0;
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *key, *val, *eq, *hash;

		lineno++;
		if (ll >= sizeof(line))
			return errf(err, errlen, "%s:%u: line too long", fname, lineno);
		memcpy(line, text + pos, ll);
		line[ll] = '\0';
		pos += ll + (nl ? 1 : 0);

		if (memchr(line, '\0', ll))
			return errf(err, errlen, "%s:%u: NUL byte in line", fname, lineno);
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		key = trim(line, line + strlen(line));
		if (!*key)
			continue;
		eq = strchr(key, '=');
		if (!eq)
			return errf(err, errlen, "%s:%u: expected 'key = value'", fname, lineno);
		val = trim(eq + 1, eq + 1 + strlen(eq + 1));
		key = trim(key, eq);
		if (!*key)
			return errf(err, errlen, "%s:%u: missing key before '='", fname, lineno);
		if (!*val)
			return errf(err, errlen, "%s:%u: %s: missing value", fname, lineno, key);
		if (rmemd_config_set(c, key, val, msg, sizeof(msg)))
			return errf(err, errlen, "%s:%u: %s", fname, lineno, msg);
	}
	return 0;
}

/**
 * rmemd_config_load() - read and apply a config file
 * @c: config
 * @path: file
 * @err: on failure, the message
 * @errlen: size of @err
 *
 * Return: 0, or -1.
 */
int rmemd_config_load(struct rmemd_config *c, const char *path, char *err,
		      size_t errlen)
{
	char *text;
	ssize_t n;
	size_t len = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	text = malloc(CONFIG_FILE_MAX + 1);
	if (!text) {
		close(fd);
		return errf(err, errlen, "%s: out of memory", path);
	}
	while ((n = read(fd, text + len, CONFIG_FILE_MAX + 1 - len)) > 0) {
		len += n;
		if (len > CONFIG_FILE_MAX)
			break;
	}
	close(fd);
	if (n < 0)
		ret = errf(err, errlen, "%s: %s", path, strerror(errno));
	else if (len > CONFIG_FILE_MAX)
		ret = errf(err, errlen, "%s: larger than %d bytes", path, CONFIG_FILE_MAX);
	else
		ret = rmemd_config_parse(c, text, len, path, err, errlen);
	free(text);
	return ret;
}

/**
 * rmemd_config_check() - rules between keys, checked once all are set
 * @c: config
 * @err: on failure, the message
 * @errlen: size of @err
 *
 * Return: 0, or -1.
 */
int rmemd_config_check(const struct rmemd_config *c, char *err, size_t errlen)
{
	char a[32], b[32];

	if (!c->donate)
		return errf(err, errlen, "donate: required (how much memory to serve, e.g. 8G)");
	if (!c->listen[0])
		return errf(err, errlen, "listen: required (e.g. 0.0.0.0:7471)");
	if (c->slab_size % RMEMD_MIN_SLAB_SIZE)
		return errf(err, errlen, "slab-size: %s is not a multiple of 4K",
			    rmemd_format_size(c->slab_size, a, sizeof(a)));
	if (c->donate < c->slab_size)
		return errf(err, errlen, "donate: %s is smaller than one slab (%s)",
			    rmemd_format_size(c->donate, a, sizeof(a)),
			    rmemd_format_size(c->slab_size, b, sizeof(b)));
	if (c->donate % c->slab_size)
		return errf(err, errlen, "donate: %s is not a multiple of the slab size (%s)",
			    rmemd_format_size(c->donate, a, sizeof(a)),
			    rmemd_format_size(c->slab_size, b, sizeof(b)));
	if (c->donate / c->slab_size >= UINT32_MAX)
		return errf(err, errlen, "donate: too many slabs (%llu); use a larger slab-size",
			    (unsigned long long)(c->donate / c->slab_size));
	if (c->donate > (uint64_t)SIZE_MAX / 2)
		return errf(err, errlen, "donate: %s does not fit in the address space",
			    rmemd_format_size(c->donate, a, sizeof(a)));
	if (!c->auth_none && !c->nkey_files)
		return errf(err, errlen,
			    "no key-file: create one with 'rmemd --gen-key FILE' and set 'key-file = FILE' (--key-file FILE), or set 'auth none' for a lab, which lets anyone who reaches the port use the pool");
	if (c->auth_none && c->nkey_files)
		return errf(err, errlen,
			    "auth none and key-file %s both set: remove one (auth none serves without keys)",
			    c->key_files[0]);
	return 0;
}

/**
 * rmemd_config_load_keys() - read every key-file of @c
 * @c: a checked config
 * @keys: RMEMD_MAX_KEY_FILES entries; the keys, in @c's order (index i
 *	is key-file i: the tenant's key index)
 * @nkeys: how many were read (0 with auth none)
 * @err: on failure, the message (never key material)
 * @errlen: size of @err
 *
 * Return: 0, or -1 when a file cannot be read as a key (rmem_key_read_file())
 * or two files hold the same key; @keys is wiped then.
 */
int rmemd_config_load_keys(const struct rmemd_config *c, struct rmem_auth_key *keys,
			   uint32_t *nkeys, char *err, size_t errlen)
{
	uint8_t key[RMEM_AUTH_KEY_LEN];
	char msg[384], id[RMEM_KEY_ID_STR_LEN];
	uint32_t i, j;
	int ret = 0;

	*nkeys = 0;
	for (i = 0; i < c->nkey_files && !ret; i++) {
		if (rmem_key_read_file(c->key_files[i], key, msg, sizeof(msg))) {
			ret = errf(err, errlen, "key-file: %s", msg);
			break;
		}
		if (rmem_auth_key_init(&keys[i], key)) {
			ret = errf(err, errlen, "key-file %s: cannot compute its key id (libcrypto)",
				   c->key_files[i]);
			break;
		}
		for (j = 0; j < i; j++) {
			if (keys[j].id == keys[i].id) {
				rmem_key_format_id(keys[i].id, id);
				ret = errf(err, errlen,
					   "key-file %s and %s hold the same key (id %s): one key per tenant",
					   c->key_files[j], c->key_files[i], id);
				break;
			}
		}
	}
	explicit_bzero(key, sizeof(key));
	if (ret) {
		explicit_bzero(keys, sizeof(*keys) * RMEMD_MAX_KEY_FILES);
		return ret;
	}
	*nkeys = c->nkey_files;
	return 0;
}

/**
 * rmemd_config_same_keys() - do two configs name the same auth mode and key files?
 * @a: one
 * @b: the other
 *
 * Return: true when they do (a reload then changes nothing of authentication).
 */
bool rmemd_config_same_keys(const struct rmemd_config *a, const struct rmemd_config *b)
{
	if (a->auth_none != b->auth_none || a->nkey_files != b->nkey_files)
		return false;
	for (uint32_t i = 0; i < a->nkey_files; i++)
		if (strcmp(a->key_files[i], b->key_files[i]))
			return false;
	return true;
}

/**
 * rmemd_config_gather() - defaults, then the config file, then the flags,
 * each value parsed but the whole not checked (rmemd_config_check())
 * @src: file and flags
 * @c: result
 * @err: on failure, the message
 * @errlen: size of @err
 *
 * The default file is read only if it exists; a file named by --config must.
 * For the commands that only need to find the daemon (--status: its
 * ctl-socket), which a serving config's requirements do not concern.
 *
 * Return: 0, or -1.
 */
int rmemd_config_gather(const struct rmemd_config_src *src, struct rmemd_config *c,
			char *err, size_t errlen)
{
	char msg[512];

	rmemd_config_defaults(c);
	if (src->path && (src->path_given || access(src->path, F_OK) == 0)) {
		if (rmemd_config_load(c, src->path, err, errlen))
			return -1;
	}
	for (int i = 0; i < src->n; i++) {
		if (rmemd_config_set(c, src->keys[i], src->vals[i], msg, sizeof(msg)))
			return errf(err, errlen, "--%s", msg);
	}
	return 0;
}

/**
 * rmemd_config_build() - rmemd_config_gather(), then rmemd_config_check()
 * @src: file and flags
 * @c: result
 * @err: on failure, the message
 * @errlen: size of @err
 *
 * Return: 0, or -1.
 */
int rmemd_config_build(const struct rmemd_config_src *src, struct rmemd_config *c,
		       char *err, size_t errlen)
{
	if (rmemd_config_gather(src, c, err, errlen))
		return -1;
	return rmemd_config_check(c, err, errlen);
}
