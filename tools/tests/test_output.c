// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the output layer (text and JSON), of the reply records of
 * node.c and region.c built from real netlink attributes, and of nl.c:
 * reply policy, extack extraction, and request/ACK/error/dump against the
 * kernel's own "nlctrl" family (the "rmem" family is not on the host).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "json_check.h"
#include "rmemctl.h"
#include "tap.h"

/* Output to a string: call, then read buf (NUL-terminated), then free. */
struct cap {
	char *buf;
	size_t len;
	FILE *f;
};

static FILE *cap_open(struct cap *c)
{
	c->f = open_memstream(&c->buf, &c->len);
	return c->f;
}

static char *cap_close(struct cap *c)
{
	fclose(c->f);
	return c->buf;
}

/* Prints a multi-line string as TAP diagnostics. */
static void diag(const char *s)
{
	while (*s) {
		int n = (int)strcspn(s, "\n");

		printf("# %.*s\n", n, s);
		s += n + (s[n] == '\n');
	}
}

static bool json_ok(const char *s)
{
	return json_valid(s, strlen(s));
}

/* ---- strings ---- */

static void test_strings(void)
{
	struct cap c;
	char s[8], *out;
	bool good = true;
	int b, i;

	for (b = 1; b < 256; b++) {
		s[0] = (char)b;
		s[1] = '\0';
		rmem_json_string(cap_open(&c), s);
		out = cap_close(&c);
		good &= json_ok(out);
		free(out);
	}
	tap_ok(good, "json: every one-byte string (1..255) is escaped into valid JSON");

	good = true;
	srand(7);
	for (i = 0; i < 20000; i++) {
		char r[24];
		int n = rand() % 23, k;

		for (k = 0; k < n; k++)
			r[k] = (char)(1 + rand() % 255);
		r[n] = '\0';
		rmem_json_string(cap_open(&c), r);
		out = cap_close(&c);
		good &= json_ok(out);
		free(out);
	}
	tap_ok(good, "json: 20000 random byte strings are escaped into valid JSON");

	rmem_json_string(cap_open(&c), "a\"b\\c\n\t\x01\x7f/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	out = cap_close(&c);
	tap_ok(!strcmp(out, "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f/\xc3\xa9\xe2\x82\xac"
		       "\xf0\x9f\x98\x80\""), "json: quote, backslash, controls escaped; "
	       "valid UTF-8 kept: %s", out);
	free(out);

	rmem_json_string(cap_open(&c), "\xff\xc0\x80\xed\xa0\x80\xf4\x90\x80\x80\xe2\x82");
	out = cap_close(&c);
	tap_ok(json_ok(out) && !strstr(out, "\xff") && strstr(out, "\\ufffd"),
	       "json: invalid UTF-8 (0xff, overlong, surrogate, > U+10FFFF, truncated) "
	       "becomes U+FFFD");
	free(out);

	rmem_text_string(cap_open(&c), "ok\x1b[31mred\n\xff\xc3\xa9");
	out = cap_close(&c);
	tap_ok(!strcmp(out, "ok?[31mred??\xc3\xa9"), "text: control bytes and invalid "
	       "UTF-8 become '?'");
	free(out);
	tap_ok(json_ok("{\"a\":[1,2,{\"b\":null}],\"c\":\"\\u00e9\"}") && !json_ok("{\"a\":1,}") &&
	       !json_ok("[1 2]") && !json_ok("\"\x01\"") && !json_ok("01") && !json_ok(""),
	       "json checker itself: accepts valid, rejects invalid");
}

/* ---- human units ---- */

static void test_units(void)
{
	static const struct { uint64_t v; const char *s; } sizes[] = {
		{ 0, "0" }, { 1, "1B" }, { 1023, "1023B" }, { 1024, "1K" }, { 1536, "1.5K" },
		{ 4096, "4K" }, { 1048575, "1024.0K" }, { 512ULL << 20, "512M" },
		{ 8ULL << 30, "8G" }, { (3ULL << 40) / 2, "1.5T" }, { 1ULL << 60, "1E" },
		{ UINT64_MAX, "16.0E" },
	};
	static const struct { uint64_t v; const char *s; } ns[] = {
		{ 0, "0ns" }, { 999, "999ns" }, { 1000, "1us" }, { 1500, "1.5us" },
		{ 120000, "120us" }, { 1200000, "1.2ms" }, { 3000000000ULL, "3s" },
		{ UINT64_MAX, "18446744073.7s" },
	};
	bool good = true;
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		rm_fmt_size(sizes[i].v, buf, sizeof(buf));
		if (strcmp(buf, sizes[i].s)) {
			good = false;
			printf("# size %llu: '%s', want '%s'\n", (unsigned long long)sizes[i].v,
			       buf, sizes[i].s);
		}
	}
	tap_ok(good, "text: sizes in powers of 1024 (0, 1B, 1.5K, 512M, 16.0E)");
	good = true;
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		rm_fmt_ns(ns[i].v, buf, sizeof(buf));
		if (strcmp(buf, ns[i].s)) {
			good = false;
			printf("# ns %llu: '%s', want '%s'\n", (unsigned long long)ns[i].v, buf,
			       ns[i].s);
		}
	}
	tap_ok(good, "text: latencies (999ns, 1.5us, 1.2ms, 3s)");
}

/* ---- records ---- */

static void sample(struct rm_rec *r, const char *name, bool set)
{
	rm_rec_init(r);
	rm_rec_str(r, "name", "NAME", set ? name : NULL);
	rm_rec_u64(r, "id", "ID", RM_F_U64, set, 7);
	rm_rec_u64(r, "size", "SIZE", RM_F_SIZE, set, 8ULL << 30);
	rm_rec_u64(r, "latency_ns", "LATENCY", RM_F_NS, set, 1500);
	rm_rec_u64(r, "features", "FEATURES", RM_F_FEATURES, set,
		   RMEM_FEAT_TCP | RMEM_FEAT_MMAP | (1ULL << 40));
	rm_rec_u64(r, "hidden", NULL, RM_F_U64, set, 42);
	rm_rec_str(r, NULL, "TEXTONLY", set ? "t" : NULL);
}

static void test_records(void)
{
	struct rm_out o = { 0 };
	struct rm_rec recs[3], one;
	struct cap c;
	char *out;
	int i;

	sample(&recs[0], "swap0", true);
	sample(&recs[1], "a-much-longer-name", true);
	sample(&recs[2], NULL, false);

	for (i = 0; i < 2; i++) {
		o.f = cap_open(&c);
		o.json = true;
		o.pretty = i;
		rm_out_table(&o, recs, 3);
		out = cap_close(&c);
		tap_ok(json_ok(out) && strstr(out, "\"id\":") && strstr(out, "null") &&
		       strstr(out, "8589934592") && strstr(out, "\"bit40\"") &&
		       strstr(out, "\"hidden\":") && !strstr(out, "TEXTONLY") &&
		       (i ? strstr(out, "\n    \"name\": \"swap0\"") != NULL :
			!strchr(out, ' ')),
		       "json table (%s): valid, raw values, null when missing, JSON-only "
		       "fields in, text-only out", i ? "pretty" : "compact");
		if (!i)
			diag(out);
		free(out);
	}

	o.f = cap_open(&c);
	o.json = true;
	rm_out_table(&o, recs, 0);
	out = cap_close(&c);
	tap_ok(!strcmp(out, "[]\n"), "json table: no objects is []");
	free(out);

	o.f = cap_open(&c);
	o.json = false;
	rm_out_table(&o, recs, 3);
	out = cap_close(&c);
	{
		char *l1 = out, *l2 = strchr(l1, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
		char *l4 = strchr(l3, '\n') + 1;

		tap_ok(!strncmp(l1, "NAME ", 5) && strstr(l1, "TEXTONLY") &&
		       !strstr(out, "hidden") && !strstr(out, "42") &&
		       strstr(l2, "8G") && strstr(l2, "1.5us") && strstr(l2, "tcp mmap bit40") &&
		       !strncmp(l4, "- ", 2) &&
		       strchr(l2, '7') - l2 == strchr(l3, '7') - l3 &&
		       strstr(l1, "ID") + 1 - l1 == strchr(l2, '7') - l2,
		       "text table: header, human units, '-' when missing, numbers "
		       "right-aligned in columns");
		diag(out);
		free(out);
	}

	o.f = cap_open(&c);
	rm_out_table(&o, recs, 0);
	out = cap_close(&c);
	tap_ok(!strcmp(out, ""), "text table: no objects prints nothing");
	free(out);

	sample(&one, "x\"y", true);
	o.f = cap_open(&c);
	rm_out_object(&o, &one);
	out = cap_close(&c);
	tap_ok(strstr(out, "NAME:     x\"y\n") && strstr(out, "FEATURES: tcp mmap bit40\n"),
	       "text object: aligned 'label: value' lines");
	free(out);
	o.f = cap_open(&c);
	o.json = true;
	o.pretty = true;
	rm_out_object(&o, &one);
	out = cap_close(&c);
	tap_ok(json_ok(out) && strstr(out, "\"x\\\"y\"") && strstr(out, "\"features\": [\n"),
	       "json object (pretty): valid, escaped, features as an array");
	free(out);

	rm_rec_init(&one);
	rm_rec_str(&one, "name", NULL, "swap0");
	rm_rec_u64(&one, "id", NULL, RM_F_U64, true, 3);
	rm_rec_str(&one, "device", "device", "rmemblk3");
	o.f = cap_open(&c);
	o.json = false;
	rm_out_result(&o, &one);
	out = cap_close(&c);
	tap_ok(!strcmp(out, "rmemblk3\n"), "text result: only the script-facing value");
	free(out);
	o.f = cap_open(&c);
	o.json = true;
	o.pretty = false;
	rm_out_result(&o, &one);
	out = cap_close(&c);
	tap_ok(!strcmp(out, "{\"name\":\"swap0\",\"id\":3,\"device\":\"rmemblk3\"}\n"),
	       "json result: every field");
	free(out);

	rm_rec_init(&one);
	for (i = 0; i < RM_REC_MAX + 5; i++)
		rm_rec_u64(&one, "k", "K", RM_F_U64, true, (uint64_t)i);
	tap_ok(one.n == RM_REC_MAX, "record: extra fields beyond RM_REC_MAX are dropped safely");
}

/* ---- reply records from netlink attributes ---- */

static struct nl_msg *full_node(void)
{
	struct nl_msg *m = nlmsg_alloc();
	uint8_t a6[16] = { 0xfd, [15] = 2 };

	nla_put_u32(m, RMEM_A_NODE_ID, 3);
	nla_put(m, RMEM_A_NODE_ADDR, 16, a6);
	nla_put_u16(m, RMEM_A_NODE_PORT, 7471);
	nla_put_u8(m, RMEM_A_NODE_TRANSPORT, RMEM_TRANSPORT_AUTO);
	nla_put_u8(m, RMEM_A_NODE_TRANSPORT_USED, RMEM_TRANSPORT_TCP);
	nla_put_u32(m, RMEM_A_NODE_TIMEOUT_MS, 30000);
	nla_put_u8(m, RMEM_A_NODE_STATE, RMEM_NODE_LIVE);
	nla_put_u64(m, RMEM_A_NODE_CAPACITY, 8ULL << 30);
	nla_put_u64(m, RMEM_A_NODE_FREE, 6ULL << 30);
	nla_put_u64(m, RMEM_A_SLAB_SIZE, 64ULL << 20);
	nla_put_u32(m, RMEM_A_NODE_SLABS_USED, 32);
	nla_put_u64(m, RMEM_A_NODE_LATENCY_NS, 85000);
	nla_put_u64(m, RMEM_A_NODE_ERRORS, 1);
	nla_put_u64(m, RMEM_A_NODE_RECONNECTS, 2);
	nla_put_u32(m, RMEM_A_NODE_QUEUES, 4);
	nla_put_u64(m, RMEM_A_NODE_READ_BYTES, 1ULL << 30);
	nla_put_u64(m, RMEM_A_NODE_WRITE_BYTES, 3ULL << 29);
	nla_put_u64(m, RMEM_A_NODE_KEY_ID, 0x00c0ffee12345678ULL);
	nla_put_u32(m, RMEM_A_MAX + 5, 1);	/* newer kernel: ignored */
	return m;
}

static int parse_msg(struct nl_msg *m, struct nlattr **tb)
{
	return rm_nl_parse_reply(nlmsg_attrdata(nlmsg_hdr(m), 0),
				 nlmsg_attrlen(nlmsg_hdr(m), 0), tb);
}

/* What @print makes of @r, as text or JSON, in a malloc()ed string. */
static char *render_with(void (*print)(const struct rm_out *, const struct rm_rec *),
			 struct rm_rec *r, bool json)
{
	struct rm_out o = { .json = json };
	struct cap c;

	o.f = cap_open(&c);
	print(&o, r);
	return cap_close(&c);
}

static void table1(const struct rm_out *o, const struct rm_rec *r)
{
	rm_out_table(o, r, 1);
}

static char *render(struct rm_rec *r, bool json)
{
	return render_with(table1, r, json);
}

static void test_replies(void)
{
	struct nlattr *tb[RMEM_A_MAX + 1];
	struct rm_rec r;
	struct nl_msg *m;
	char *out;
	int ret;

	m = full_node();
	ret = parse_msg(m, tb);
	rm_node_rec(tb, &r);
	out = render(&r, false);
	tap_ok(!ret && strstr(out, "[fd00::2]:7471") && strstr(out, "auto") &&
	       strstr(out, "live") && strstr(out, "85us") && strstr(out, "1.5G") &&
	       strstr(out, " AUTH ") && strstr(out, " 00c0ffee12345678 ") &&
	       !strchr(out, '-'), "node show text: every column from a full reply");
	diag(out);
	free(out);
	out = render(&r, true);
	tap_ok(json_ok(out) && strstr(out, "\"address\":\"fd00::2\"") &&
	       strstr(out, "\"port\":7471") && strstr(out, "\"timeout_ms\":30000") &&
	       strstr(out, "\"transport_used\":\"tcp\"") &&
	       strstr(out, "\"slab_size\":67108864") && strstr(out, "\"write_bytes\":1610612736") &&
	       strstr(out, "\"auth\":\"key\",\"key_id\":\"00c0ffee12345678\"") &&
	       !strstr(out, "null"), "node show json: every field, raw values");
	free(out);
	nlmsg_free(m);

	m = nlmsg_alloc();
	nla_put_u32(m, RMEM_A_NODE_ID, 4);
	nla_put_flag(m, RMEM_A_NODE_AUTH_NONE);
	ret = parse_msg(m, tb);
	rm_node_rec(tb, &r);
	out = render(&r, false);
	tap_ok(!ret && strstr(out, " AUTH ") && strstr(out, " none "),
	       "node show text: a node with 'auth none' says so in AUTH");
	free(out);
	out = render(&r, true);
	tap_ok(json_ok(out) && strstr(out, "\"auth\":\"none\",\"key_id\":null"),
	       "node show json: auth none, key_id null");
	free(out);
	nlmsg_free(m);

	m = nlmsg_alloc();
	nla_put_u32(m, RMEM_A_NODE_ID, 9);
	nla_put(m, RMEM_A_NODE_ADDR, 5, "12345");	/* neither 4 nor 16 */
	nla_put_u8(m, RMEM_A_NODE_STATE, 200);
	ret = parse_msg(m, tb);
	rm_node_rec(tb, &r);
	out = render(&r, false);
	tap_ok(!ret && strstr(out, "unknown(200)") && strstr(out, " - "),
	       "node show text: missing attributes are '-', unknown state named");
	free(out);
	out = render(&r, true);
	tap_ok(json_ok(out) && strstr(out, "\"address\":null") && strstr(out, "\"free\":null"),
	       "node show json: missing attributes are null");
	free(out);
	nlmsg_free(m);

	m = nlmsg_alloc();
	nla_put_string(m, RMEM_A_REGION_NAME, "swap0");
	nla_put_u32(m, RMEM_A_REGION_ID, 1);
	nla_put_u64(m, RMEM_A_REGION_SIZE, 4ULL << 30);
	nla_put_u8(m, RMEM_A_REGION_TYPE, RMEM_REGION_MMAP);
	nla_put_string(m, RMEM_A_REGION_DEVICE, "rmem\x1b" "1");
	nla_put_u64(m, RMEM_A_REGION_DISCARDS, 12);
	ret = parse_msg(m, tb);
	rm_region_rec(tb, &r);
	out = render(&r, false);
	tap_ok(!ret && strstr(out, "swap0") && strstr(out, "mmap") && strstr(out, "rmem?1") &&
	       strstr(out, "4G") && strstr(out, "12"),
	       "region show text: fields, and a hostile device name is sanitized");
	free(out);
	out = render(&r, true);
	tap_ok(json_ok(out) && strstr(out, "\"device\":\"rmem\\u001b1\"") &&
	       strstr(out, "\"openers\":null"), "region show json: escaped, null when missing");
	free(out);
	nlmsg_free(m);

	{
		/* What the module sends (flags) -> "published" in text and JSON. */
		static const struct {
			bool publish, sealed, attached;
			const char *want;
		} pub[] = {
			{ false, false, false, "no" },
			{ true, false, false, "yes" },
			{ true, true, false, "sealed" },
			{ false, true, true, "attached" },
			{ false, false, true, "attached" },
		};
		bool good_text = true, good_json = true;
		char want[64], *col, *line2;
		size_t i;

		for (i = 0; i < sizeof(pub) / sizeof(pub[0]); i++) {
			m = nlmsg_alloc();
			nla_put_string(m, RMEM_A_REGION_NAME, "genome");
			nla_put_u8(m, RMEM_A_REGION_ENCRYPT, 0);
			nla_put_u8(m, RMEM_A_REGION_REPLICAS, 2);
			if (pub[i].publish)
				nla_put_flag(m, RMEM_A_REGION_PUBLISH);
			if (pub[i].sealed)
				nla_put_flag(m, RMEM_A_REGION_SEALED);
			if (pub[i].attached)
				nla_put_flag(m, RMEM_A_REGION_ATTACHED);
			ret = parse_msg(m, tb);
			rm_region_rec(tb, &r);
			out = render(&r, false);
			/* the value, under its header, after COPIES */
			col = strstr(out, " COPIES  PUBLISHED ");
			line2 = strchr(out, '\n');
			good_text &= !ret && col && line2 &&
				     !strncmp(line2 + 1 + (col + 9 - out), pub[i].want,
					      strlen(pub[i].want)) &&
				     line2[1 + (col + 9 - out) + strlen(pub[i].want)] == ' ';
			if (!i || i == 2)
				diag(out);
			free(out);
			out = render(&r, true);
			snprintf(want, sizeof(want), "\"encrypt\":\"off\",\"published\":\"%s\"",
				 pub[i].want);
			good_json &= json_ok(out) && strstr(out, want) != NULL;
			free(out);
			nlmsg_free(m);
		}
		tap_ok(good_text, "region show text: PUBLISHED is no, yes, sealed or attached");
		tap_ok(good_json, "region show json: \"published\" is \"no\", \"yes\", "
		       "\"sealed\" or \"attached\", after \"encrypt\"");
	}

	{
		/* The cipher's driver, sent for an encrypted region only. */
		static const struct {
			const char *cipher, *want, *name;
		} ciph[] = {
			{ "xts-aes-aesni", "\"encrypt\":\"on\"", "\"cipher\":\"xts-aes-aesni\"" },
			{ NULL, "\"encrypt\":\"off\"", "\"cipher\":null" },
		};
		size_t i;

		for (i = 0; i < sizeof(ciph) / sizeof(ciph[0]); i++) {
			m = nlmsg_alloc();
			nla_put_string(m, RMEM_A_REGION_NAME, "swap0");
			nla_put_u8(m, RMEM_A_REGION_ENCRYPT, ciph[i].cipher != NULL);
			if (ciph[i].cipher)
				nla_put_string(m, RMEM_A_REGION_CIPHER, ciph[i].cipher);
			ret = parse_msg(m, tb);
			rm_region_rec(tb, &r);
			out = render(&r, true);
			tap_ok(!ret && json_ok(out) && strstr(out, ciph[i].want) &&
			       strstr(out, ciph[i].name),
			       "region show json: %s with %s", ciph[i].name, ciph[i].want);
			free(out);
			nlmsg_free(m);
		}
	}

	m = nlmsg_alloc();
	nla_put_u32(m, RMEM_A_NODE_CAPACITY, 1);	/* u64 sent as u32 */
	tap_ok(parse_msg(m, tb) == -EBADMSG, "reply policy: a short u64 is rejected");
	nlmsg_free(m);
	m = nlmsg_alloc();
	nla_put(m, RMEM_A_REGION_NAME, 3, "abc");	/* no NUL */
	tap_ok(parse_msg(m, tb) == -EBADMSG, "reply policy: an unterminated string is rejected");
	nlmsg_free(m);
	m = nlmsg_alloc();
	nla_put(m, RMEM_A_NODE_ADDR, 17, "0123456789abcdefg");
	tap_ok(parse_msg(m, tb) == -EBADMSG, "reply policy: a 17-byte address is rejected");
	nlmsg_free(m);
}

/* ---- events (rmemctl monitor) ---- */

static char *render_event(struct rm_rec *r, bool json)
{
	return render_with(rm_event_print, r, json);
}

static void test_events(void)
{
	struct nlattr *tb[RMEM_A_MAX + 1];
	struct rm_rec r;
	struct nl_msg *m;
	char *out;
	int ret;

	m = nlmsg_alloc();
	nla_put_u8(m, RMEM_A_EVENT, RMEM_EVENT_NODE_STATE);
	nla_put_u32(m, RMEM_A_NODE_ID, 2);
	nla_put_u8(m, RMEM_A_EVENT_OLD_STATE, RMEM_NODE_LIVE);
	nla_put_u8(m, RMEM_A_NODE_STATE, RMEM_NODE_RECONNECTING);
	ret = parse_msg(m, tb) ?: rm_event_rec(tb, &r);
	out = render_event(&r, false);
	tap_ok(!ret && !strcmp(out, "node_state node=2 old_state=live state=reconnecting\n"),
	       "event text: one line, name then key=value ('%s')", out);
	free(out);
	out = render_event(&r, true);
	tap_ok(json_ok(out) && !strcmp(out, "{\"event\":\"node_state\",\"node\":2,"
				       "\"old_state\":\"live\",\"state\":\"reconnecting\"}\n"),
	       "event json: one object on one line ('%s')", out);
	free(out);
	nlmsg_free(m);

	m = nlmsg_alloc();
	nla_put_u8(m, RMEM_A_EVENT, RMEM_EVENT_IO_ERROR);
	nla_put_u32(m, RMEM_A_REGION_ID, 1);
	nla_put_string(m, RMEM_A_REGION_NAME, "sw\x1b" "0");
	nla_put_u64(m, RMEM_A_EVENT_POS, 8192);
	nla_put_u32(m, RMEM_A_EVENT_LEN, 4096);
	nla_put_u32(m, RMEM_A_EVENT_ERRNO, EIO);
	nla_put_u32(m, RMEM_A_EVENT_LOST, 3);
	ret = parse_msg(m, tb) ?: rm_event_rec(tb, &r);
	out = render_event(&r, false);
	tap_ok(!ret && !strcmp(out, "io_error region_id=1 region=sw?0 pos=8192 len=4096 "
			       "error=EIO lost=3\n"),
	       "event text: an I/O error, the name sanitized, lost events counted ('%s')", out);
	free(out);
	nlmsg_free(m);

	m = nlmsg_alloc();
	nla_put_u8(m, RMEM_A_EVENT, 200);
	tap_ok(!parse_msg(m, tb) && rm_event_rec(tb, &r) == -EBADMSG,
	       "event: an unknown event type is skipped (a newer module)");
	nlmsg_free(m);
	m = nlmsg_alloc();
	nla_put_u32(m, RMEM_A_NODE_ID, 2);
	tap_ok(!parse_msg(m, tb) && rm_event_rec(tb, &r) == -EBADMSG,
	       "event: a message without RMEM_A_EVENT is skipped");
	nlmsg_free(m);
}

/* ---- extack extraction from synthetic messages ---- */

static void test_extack(void)
{
	struct rm_nl nl = { 0 };
	union {
		char buf[512];
		struct nlmsghdr align;
	} u;
	struct nlmsghdr *h = &u.align, *orig;
	struct nlmsgerr *e;
	struct nlattr *a;
	const char *msg = "size must be a multiple of 4096";
	int capped;

	for (capped = 0; capped < 2; capped++) {
		memset(&u, 0, sizeof(u));
		h->nlmsg_type = NLMSG_ERROR;
		h->nlmsg_flags = NLM_F_ACK_TLVS | (capped ? NLM_F_CAPPED : 0);
		e = NLMSG_DATA(h);
		e->error = -EINVAL;
		orig = &e->msg;
		orig->nlmsg_len = NLMSG_HDRLEN + (capped ? 40 : 12);	/* the request */
		a = (struct nlattr *)((char *)e + NLMSG_ALIGN(sizeof(*e) +
			(capped ? 0 : orig->nlmsg_len - NLMSG_HDRLEN)));
		a->nla_type = NLMSGERR_ATTR_MSG;
		a->nla_len = (uint16_t)(NLA_HDRLEN + strlen(msg) + 1);
		memcpy((char *)a + NLA_HDRLEN, msg, strlen(msg) + 1);
		h->nlmsg_len = (uint32_t)((char *)a + NLA_ALIGN(a->nla_len) - (char *)h);
		nl.extack[0] = '\0';
		rm_nl_extack(&nl, h);
		tap_ok(!strcmp(nl.extack, msg), "extack: message after a%s request",
		       capped ? " capped" : "n echoed");
	}
	nl.extack[0] = '\0';
	h->nlmsg_flags = 0;
	rm_nl_extack(&nl, h);
	tap_ok(!nl.extack[0], "extack: ignored without NLM_F_ACK_TLVS");
	h->nlmsg_flags = NLM_F_ACK_TLVS;	/* not capped: echoed length 40 is too long */
	e->msg.nlmsg_len = 4000;
	rm_nl_extack(&nl, h);
	tap_ok(!nl.extack[0], "extack: an echoed request longer than the message is refused");

	memset(&u, 0, sizeof(u));
	h->nlmsg_type = NLMSG_DONE;
	h->nlmsg_flags = NLM_F_ACK_TLVS | NLM_F_MULTI;
	*(int *)NLMSG_DATA(h) = -ENOENT;
	a = (struct nlattr *)((char *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(int)));
	a->nla_type = NLMSGERR_ATTR_MSG;
	a->nla_len = NLA_HDRLEN + 8;
	memcpy((char *)a + NLA_HDRLEN, "no node\n", 8);	/* unterminated, newline */
	h->nlmsg_len = (uint32_t)((char *)a + NLA_ALIGN(a->nla_len) - (char *)h);
	rm_nl_extack(&nl, h);
	tap_ok(!strcmp(nl.extack, "no node"), "extack: from a dump's NLMSG_DONE, trimmed");
}

/* ---- request/ACK/error/dump against the kernel's nlctrl family ---- */

static int count_reply(struct nlattr **tb, void *arg)
{
	(void)tb;
	++*(int *)arg;
	return 0;
}

static void test_nl_kernel(void)
{
	struct rm_nl nl = { 0 };
	struct nl_msg *m;
	int one = 1, ret, n = 0;
	uint8_t b = 1;

	ret = rm_nl_open(&nl);
	tap_ok(ret == -ENOENT, "nl: the rmem family is not on this host: -ENOENT (%d)", ret);

	nl.sk = nl_socket_alloc();
	if (!nl.sk || genl_connect(nl.sk)) {
		tap_ok(1, "nl: # SKIP no generic netlink");
		return;
	}
	setsockopt(nl_socket_get_fd(nl.sk), 270 /* SOL_NETLINK */, NETLINK_EXT_ACK, &one,
		   sizeof(one));
	nl.family = GENL_ID_CTRL;

	m = rm_nl_msg(&nl, CTRL_CMD_GETFAMILY, false);
	nla_put_string(m, CTRL_ATTR_FAMILY_NAME, "rmemnone");
	ret = rm_nl_exec(&nl, m, NULL, NULL);
	tap_ok(ret == -ENOENT, "nl: a kernel error comes back as -errno (%d)", ret);

	m = rm_nl_msg(&nl, CTRL_CMD_GETFAMILY, false);
	nla_put(m, CTRL_ATTR_FAMILY_ID, 1, &b);
	ret = rm_nl_exec(&nl, m, NULL, NULL);
	tap_ok(ret < 0 && nl.extack[0], "nl: the kernel's extack message is extracted: "
	       "'%s' (%d)", nl.extack, ret);

	m = rm_nl_msg(&nl, CTRL_CMD_GETFAMILY, false);
	nla_put_u16(m, CTRL_ATTR_FAMILY_ID, GENL_ID_CTRL);
	ret = rm_nl_exec(&nl, m, NULL, NULL);
	tap_ok(ret == 0 && !nl.extack[0], "nl: a do request with a reply and an ACK succeeds");

	m = rm_nl_msg(&nl, CTRL_CMD_GETFAMILY, true);
	ret = rm_nl_exec(&nl, m, NULL, NULL);
	tap_ok(ret == 0, "nl: a dump ends at NLMSG_DONE");

	m = rm_nl_msg(&nl, CTRL_CMD_GETFAMILY, false);
	nla_put_u16(m, CTRL_ATTR_FAMILY_ID, GENL_ID_CTRL);
	ret = rm_nl_exec(&nl, m, count_reply, &n);
	tap_ok(ret == -EBADMSG && n == 0, "nl: a reply that breaks the rmem reply policy "
	       "is -EBADMSG, not passed on (%d)", ret);

	m = rm_nl_msg(&nl, 250, false);
	ret = rm_nl_exec(&nl, m, NULL, NULL);
	tap_ok(ret == -EOPNOTSUPP, "nl: an unknown command is -EOPNOTSUPP (%d)", ret);
	rm_nl_close(&nl);
	rm_nl_close(&nl);
	tap_ok(!nl.sk, "nl: close is idempotent");
}

int main(void)
{
	test_strings();
	test_units();
	test_records();
	test_replies();
	test_events();
	test_extack();
	test_nl_kernel();
	return tap_done();
}
