// SPDX-License-Identifier: GPL-2.0
/*
 * rmemctl: the one output layer.
 *
 * Commands never printf their results: they describe each object as a
 * struct rm_rec (typed fields in print order, each with a JSON key and a
 * text header) and hand it here. Text mode prints tables and "label: value"
 * lists with human units; JSON mode (-j, -p for indentation) prints every
 * field with its raw value, null when the kernel did not send it. So the
 * two modes cannot drift apart, and every string goes through one escaper.
 */
#include <inttypes.h>
#include <string.h>

#include "rmemctl.h"

/** rm_rec_init() - start an empty record */
void rm_rec_init(struct rm_rec *r)
{
	memset(r, 0, sizeof(*r));
}

static struct rm_field *rec_add(struct rm_rec *r, const char *key, const char *hdr,
				enum rm_fmt fmt)
{
	struct rm_field *f;

	if (r->n >= RM_REC_MAX)
		return NULL;
	f = &r->f[r->n++];
	f->key = key;
	f->hdr = hdr;
	f->fmt = fmt;
	return f;
}

/**
 * rm_rec_u64() - append a numeric field
 * @r: the record
 * @key: JSON member name, NULL for a text-only field
 * @hdr: text header or label, NULL for a JSON-only field
 * @fmt: RM_F_U64, RM_F_SIZE, RM_F_NS or RM_F_FEATURES
 * @set: false if the value is missing ("-" in text, null in JSON)
 * @v: the value
 */
void rm_rec_u64(struct rm_rec *r, const char *key, const char *hdr,
		enum rm_fmt fmt, bool set, uint64_t v)
{
	struct rm_field *f = rec_add(r, key, hdr, fmt);

	if (f) {
		f->set = set;
		f->u = set ? v : 0;
	}
}

/**
 * rm_rec_str() - append a string field
 * @r: the record
 * @key: JSON member name, NULL for a text-only field
 * @hdr: text header or label, NULL for a JSON-only field
 * @s: the value, copied (truncated to RM_FIELD_STR_MAX - 1); NULL if missing
 */
void rm_rec_str(struct rm_rec *r, const char *key, const char *hdr, const char *s)
{
	struct rm_field *f = rec_add(r, key, hdr, RM_F_STR);

	if (f && s) {
		f->set = true;
		snprintf(f->s, sizeof(f->s), "%s", s);
	}
}

/**
 * rm_rec_get() - a record's field by its JSON key
 * @r: the record
 * @key: the key
 *
 * Return: the field, or NULL when the record has none of that key.
 */
const struct rm_field *rm_rec_get(const struct rm_rec *r, const char *key)
{
	unsigned int i;

	for (i = 0; i < r->n; i++)
		if (r->f[i].key && !strcmp(r->f[i].key, key))
			return &r->f[i];
	return NULL;
}

/**
 * rm_fmt_size() - human size: "0", "512B", "4K", "1.5G" (powers of 1024)
 * @bytes: the size
 * @buf: the result
 * @len: size of @buf
 */
void rm_fmt_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	unsigned int i = 0, shift = 10;
	uint64_t unit, whole, tenth;

	if (bytes < 1024) {
		snprintf(buf, len, bytes ? "%" PRIu64 "B" : "0", bytes);
		return;
	}
	while (i < sizeof(units) - 2 && bytes >= (1ULL << (shift + 10))) {
		i++;
		shift += 10;
	}
	unit = 1ULL << shift;
	whole = bytes >> shift;
	/* rem < 2^60, so rem * 10 fits in 64 bits */
	tenth = ((bytes & (unit - 1)) * 10 + unit / 2) >> shift;
	if (tenth == 10) {
		whole++;
		tenth = 0;
	}
	if (!(bytes & (unit - 1)))
		snprintf(buf, len, "%" PRIu64 "%c", whole, units[i]);
	else
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "%c", whole, tenth, units[i]);
}

/**
 * rm_fmt_ns() - human duration: "850ns", "12.5us", "1.2ms", "3s"
 * @ns: nanoseconds
 * @buf: the result
 * @len: size of @buf
 */
void rm_fmt_ns(uint64_t ns, char *buf, size_t len)
{
	static const struct {
		uint64_t div;
		const char *name;
	} units[] = { { 1000000000ULL, "s" }, { 1000000ULL, "ms" }, { 1000ULL, "us" } };
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ns >= units[i].div) {
			double v = (double)ns / (double)units[i].div;

			if (ns % units[i].div == 0)
				snprintf(buf, len, "%" PRIu64 "%s", ns / units[i].div,
					 units[i].name);
			else
				snprintf(buf, len, "%.1f%s", v, units[i].name);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64 "ns", ns);
}

static const char *feature_name(unsigned int bit, char *buf, size_t len)
{
	unsigned int i;

	for (i = 0; rm_feature_names[i]; i++)
		if (i == bit)
			return rm_feature_names[i];
	snprintf(buf, len, "bit%u", bit);
	return buf;
}

static void fmt_features(uint64_t v, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int bit;

	if (!v) {
		snprintf(buf, len, "none");
		return;
	}
	buf[0] = '\0';
	for (bit = 0; bit < 64 && off < len; bit++) {
		char tmp[16];

		if (v & (1ULL << bit))
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? " " : "",
						feature_name(bit, tmp, sizeof(tmp)));
	}
}

/* The text of a field's value, "-" when missing. */
static void field_text(const struct rm_field *f, char *buf, size_t len)
{
	if (!f->set) {
		snprintf(buf, len, "-");
		return;
	}
	switch (f->fmt) {
	case RM_F_STR:
		snprintf(buf, len, "%s", f->s);
		break;
	case RM_F_U64:
		snprintf(buf, len, "%" PRIu64, f->u);
		break;
	case RM_F_SIZE:
		rm_fmt_size(f->u, buf, len);
		break;
	case RM_F_NS:
		rm_fmt_ns(f->u, buf, len);
		break;
	case RM_F_FEATURES:
		fmt_features(f->u, buf, len);
		break;
	}
}

static bool field_is_number(const struct rm_field *f)
{
	return f->fmt == RM_F_U64 || f->fmt == RM_F_SIZE || f->fmt == RM_F_NS;
}

static void indent(const struct rm_out *o, int level)
{
	if (o->pretty) {
		fputc('\n', o->f);
		fprintf(o->f, "%*s", level * 2, "");
	}
}

static void json_features(const struct rm_out *o, uint64_t v, int level)
{
	unsigned int bit, n = 0;

	fputc('[', o->f);
	for (bit = 0; bit < 64; bit++) {
		char tmp[16];

		if (!(v & (1ULL << bit)))
			continue;
		if (n++)
			fputc(',', o->f);
		indent(o, level + 1);
		rmem_json_string(o->f, feature_name(bit, tmp, sizeof(tmp)));
	}
	if (n)
		indent(o, level);
	fputc(']', o->f);
}

static void json_object(const struct rm_out *o, const struct rm_rec *r, int level)
{
	unsigned int i, n = 0;

	fputc('{', o->f);
	for (i = 0; i < r->n; i++) {
		const struct rm_field *f = &r->f[i];

		if (!f->key)
			continue;	/* text only */
		if (n++)
			fputc(',', o->f);
		indent(o, level + 1);
		rmem_json_string(o->f, f->key);
		fputs(o->pretty ? ": " : ":", o->f);
		if (!f->set)
			fputs("null", o->f);
		else if (f->fmt == RM_F_STR)
			rmem_json_string(o->f, f->s);
		else if (f->fmt == RM_F_FEATURES)
			json_features(o, f->u, level + 1);
		else
			fprintf(o->f, "%" PRIu64, f->u);
	}
	if (n)
		indent(o, level);
	fputc('}', o->f);
}

/**
 * rm_out_table() - print objects of one kind
 * @o: the output
 * @recs: the objects, all with the same fields in the same order
 * @n: how many
 *
 * Text: a table with a header line (numbers right-aligned), nothing when
 * @n is 0. JSON: an array of objects, "[]" when @n is 0.
 */
void rm_out_table(const struct rm_out *o, const struct rm_rec *recs, size_t n)
{
	unsigned int width[RM_REC_MAX] = { 0 }, c, last = 0;
	char cell[RM_FIELD_STR_MAX * 2];
	size_t i;

	if (o->json) {
		fputc('[', o->f);
		for (i = 0; i < n; i++) {
			if (i)
				fputc(',', o->f);
			indent(o, 1);
			json_object(o, &recs[i], 1);
		}
		if (n)
			indent(o, 0);
		fputs("]\n", o->f);
		return;
	}
	if (!n)
		return;
	for (c = 0; c < recs[0].n; c++) {
		if (!recs[0].f[c].hdr)
			continue;
		width[c] = (unsigned int)strlen(recs[0].f[c].hdr);
		last = c;
		for (i = 0; i < n; i++) {
			field_text(&recs[i].f[c], cell, sizeof(cell));
			if (strlen(cell) > width[c])
				width[c] = (unsigned int)strlen(cell);
		}
	}
	for (i = 0; i <= n; i++) {
		const struct rm_rec *r = &recs[i ? i - 1 : 0];
		bool first = true;

		for (c = 0; c < r->n; c++) {
			const struct rm_field *f = &r->f[c];
			unsigned int pad;

			if (!f->hdr)
				continue;
			if (i)
				field_text(f, cell, sizeof(cell));
			else
				snprintf(cell, sizeof(cell), "%s", f->hdr);
			pad = width[c] - (unsigned int)strlen(cell);
			if (!first)
				fputs("  ", o->f);
			first = false;
			if (field_is_number(f))
				fprintf(o->f, "%*s", (int)pad, "");
			rmem_text_string(o->f, cell);
			if (!field_is_number(f) && c != last)
				fprintf(o->f, "%*s", (int)pad, "");
		}
		fputc('\n', o->f);
	}
}

/**
 * rm_out_object() - print one object in detail
 * @o: the output
 * @r: the object
 *
 * Text: one "label: value" line per field with a header. JSON: an object.
 */
void rm_out_object(const struct rm_out *o, const struct rm_rec *r)
{
	char cell[RM_FIELD_STR_MAX * 2];
	unsigned int i, w = 0;

	if (o->json) {
		json_object(o, r, 0);
		fputc('\n', o->f);
		return;
	}
	for (i = 0; i < r->n; i++)
		if (r->f[i].hdr && strlen(r->f[i].hdr) > w)
			w = (unsigned int)strlen(r->f[i].hdr);
	for (i = 0; i < r->n; i++) {
		if (!r->f[i].hdr)
			continue;
		field_text(&r->f[i], cell, sizeof(cell));
		fprintf(o->f, "%s:%*s ", r->f[i].hdr, (int)(w - strlen(r->f[i].hdr)), "");
		rmem_text_string(o->f, cell);
		fputc('\n', o->f);
	}
}

/**
 * rm_out_result() - print what a command created, for scripts
 * @o: the output
 * @r: the result
 *
 * Text: the values of the fields with a header, separated by spaces, on
 * one line (so that "id=$(rmemctl node add ...)" works). JSON: an object.
 */
void rm_out_result(const struct rm_out *o, const struct rm_rec *r)
{
	char cell[RM_FIELD_STR_MAX * 2];
	unsigned int i;
	bool first = true;

	if (o->json) {
		rm_out_object(o, r);
		return;
	}
	for (i = 0; i < r->n; i++) {
		if (!r->f[i].hdr)
			continue;
		field_text(&r->f[i], cell, sizeof(cell));
		if (!first)
			fputc(' ', o->f);
		first = false;
		rmem_text_string(o->f, cell);
	}
	fputc('\n', o->f);
}
