/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A strict JSON (RFC 8259) validator for the tests: one value, surrounded
 * by optional whitespace, strings in valid UTF-8 with valid escapes, no
 * trailing commas, numbers in the RFC's grammar. Independent of output.c
 * on purpose.
 */
#ifndef RM_JSON_CHECK_H
#define RM_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct jc {
	const unsigned char *p, *end;
	int depth;
};

static bool jc_value(struct jc *j);

static void jc_ws(struct jc *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool jc_lit(struct jc *j, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, s, n))
		return false;
	j->p += n;
	return true;
}

static bool jc_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool jc_utf8(struct jc *j)
{
	unsigned int c = *j->p, n, cp, i;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2; cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3; cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4; cp = c & 0x07;
	} else {
		return false;
	}
	if ((size_t)(j->end - j->p) < n)
		return false;
	for (i = 1; i < n; i++) {
		if ((j->p[i] & 0xc0) != 0x80)
			return false;
		cp = (cp << 6) | (j->p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return false;
	j->p += n;
	return true;
}

static bool jc_string(struct jc *j)
{
	if (!jc_lit(j, "\""))
		return false;
	while (j->p < j->end) {
		unsigned char c = *j->p;

		if (c == '"') {
			j->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			j->p++;
			if (j->p >= j->end)
				return false;
			if (strchr("\"\\/bfnrt", *j->p) && *j->p) {
				j->p++;
			} else if (*j->p == 'u') {
				int i;

				for (i = 1; i <= 4; i++)
					if (j->p + i >= j->end || !jc_hex(j->p[i]))
						return false;
				j->p += 5;
			} else {
				return false;
			}
		} else if (c >= 0x80) {
			if (!jc_utf8(j))
				return false;
		} else {
			j->p++;
		}
	}
	return false;
}

static bool jc_digits(struct jc *j)
{
	const unsigned char *s = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s;
}

static bool jc_number(struct jc *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (!jc_digits(j))
		return false;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!jc_digits(j))
			return false;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!jc_digits(j))
			return false;
	}
	return true;
}

static bool jc_container(struct jc *j, char open, char close, bool object)
{
	if (!jc_lit(j, (char[]){ open, 0 }) || ++j->depth > 64)
		return false;
	jc_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return true;
	}
	for (;;) {
		jc_ws(j);
		if (object) {
			if (!jc_string(j))
				return false;
			jc_ws(j);
			if (!jc_lit(j, ":"))
				return false;
		}
		if (!jc_value(j))
			return false;
		jc_ws(j);
		if (jc_lit(j, ","))
			continue;
		if (jc_lit(j, (char[]){ close, 0 })) {
			j->depth--;
			return true;
		}
		return false;
	}
}

static bool jc_value(struct jc *j)
{
	jc_ws(j);
	if (j->p >= j->end)
		return false;
	switch (*j->p) {
	case '{':
		return jc_container(j, '{', '}', true);
	case '[':
		return jc_container(j, '[', ']', false);
	case '"':
		return jc_string(j);
	case 't':
		return jc_lit(j, "true");
	case 'f':
		return jc_lit(j, "false");
	case 'n':
		return jc_lit(j, "null");
	default:
		return jc_number(j);
	}
}

/* Whether buf[0..len) is exactly one valid JSON text. */
static bool json_valid(const char *buf, size_t len)
{
	struct jc j = { (const unsigned char *)buf, (const unsigned char *)buf + len, 0 };

	if (!jc_value(&j))
		return false;
	jc_ws(&j);
	return j.p == j.end;
}

#endif
