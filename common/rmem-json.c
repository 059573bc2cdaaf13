// SPDX-License-Identifier: GPL-2.0
/*
 * rmem's one JSON string writer, shared by rmemctl (tools/output.c) and
 * rmemd (daemon/ctl.c).
 */
#include <stddef.h>

#include "rmem-json.h"

/* Length of the valid UTF-8 sequence at @p (1-4), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned int c = p[0], n, i, cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;	/* overlong, surrogate, or beyond Unicode */
	return n;
}

/**
 * rmem_json_string() - print @s as a JSON string, quotes included
 * @f: the stream
 * @s: any bytes; invalid UTF-8 becomes U+FFFD, so the output is valid JSON
 */
void rmem_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		size_t n = utf8_len(p);

		if (!n) {
			fputs("\\ufffd", f);
			p++;
			continue;
		}
		if (n > 1) {
			fwrite(p, 1, n, f);
			p += n;
			continue;
		}
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
		p++;
	}
	fputc('"', f);
}

/**
 * rmem_text_string() - print @s for a terminal
 * @f: the stream
 * @s: any bytes; control characters and invalid UTF-8 become '?'
 */
void rmem_text_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_len(p);

		if (n == 1 && *p >= 0x20 && *p != 0x7f)
			fputc(*p, f);
		else if (n > 1)
			fwrite(p, 1, n, f);
		else
			fputc('?', f);
		p += n ? n : 1;
	}
}

/**
 * rmem_json_is_number() - whether @s may be printed as a JSON number as is
 * @s: a decimal value as text
 *
 * Return: true for "0" and for digits without a leading zero (JSON has no
 * leading zeros: "007" is not a number there).
 */
bool rmem_json_is_number(const char *s)
{
	const char *p = s;

	if (!*p || (*p == '0' && p[1]))
		return false;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}
