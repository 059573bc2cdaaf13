/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmemctl: shared declarations.
 *
 * The tool runs in two phases. rm_cli_parse() turns argv into a struct
 * rm_cmd without side effects: no socket is opened, nothing is printed, so
 * a usage error never reaches the kernel and the whole argument parser can
 * be fuzzed. rm_cli_run() then executes the parsed command: it opens the
 * netlink socket (nl.c), sends the request and prints the reply through the
 * one output layer (output.c).
 *
 * Files: rmemctl.c (main, options, dispatch), parse.c (pure value parsers),
 * output.c (text/JSON), nl.c (generic netlink), version.c, status.c,
 * node.c, region.c, key.c (one file per object). Key files are read and
 * written only through common/rmem-key.h.
 */
#ifndef RMEMCTL_H
#define RMEMCTL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <uapi/rmem.h>

#include "rmem-json.h"	/* rmem_json_string(), rmem_text_string() */

#ifndef RMEMCTL_VERSION
#define RMEMCTL_VERSION "unknown"
#endif

/* Exit codes. */
#define RM_EXIT_OK	0
#define RM_EXIT_FAIL	1	/* the kernel or the system said no */
#define RM_EXIT_USAGE	2	/* bad command line: nothing was sent */

/*
 * Bounds the module's policy enforces on RMEM_A_NODE_TIMEOUT_MS
 * (kmod/rmem-genl.c). include/uapi/rmem.h does not export them yet, so
 * they are mirrored here to reject a bad value before sending it.
 */
#define RM_NODE_TIMEOUT_MIN_MS	100ULL
#define RM_NODE_TIMEOUT_MAX_MS	(3600ULL * 1000)

#define RM_REGION_ALIGN		4096ULL
/* mmap regions: chunk sizes the module accepts (RMEM_MMAP_CHUNK_*). */
#define RM_CHUNK_MIN		4096ULL
#define RM_CHUNK_MAX		(2ULL << 20)
#define RM_REPLICAS_MAX		3	/* copies of a region's extents */
/* region attach ... node LIST: RMEM_A_REGION_NODE_IDS holds 1 to 64 ids. */
#define RM_NODE_IDS_MAX		64

/* ---- parse.c: pure parsers, no I/O, no allocation ---- */

/* A node address as the user wrote it: RMEM_A_NODE_ADDR + RMEM_A_NODE_PORT. */
struct rm_addr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t bytes[16];	/* network order; 4 used for AF_INET */
	uint16_t port;		/* host order; valid if has_port */
	bool has_port;
};

/*
 * The value parsers return 0, -EINVAL (not the expected syntax), -ERANGE
 * (well formed, out of range) or -ENOTSUP (well formed, not supported);
 * on error, *why (if why is not NULL) says what is wrong, in a few words.
 */
int rm_parse_size(const char *s, uint64_t *bytes, const char **why);
int rm_parse_duration_ms(const char *s, uint64_t *ms, const char **why);
int rm_parse_addr(const char *s, struct rm_addr *a, const char **why);
int rm_parse_u32(const char *s, uint32_t *v);
int rm_parse_key_id(const char *s, uint64_t *id);
int rm_parse_transport(const char *s);
int rm_parse_region_type(const char *s);
bool rm_region_name_valid(const char *s);
bool rm_addr_is_unicast(const struct rm_addr *a);
size_t rm_addr_len(const struct rm_addr *a);
bool rm_addr_equal(const struct rm_addr *a, const struct rm_addr *b);
void rm_addr_format(const struct rm_addr *a, bool with_port, char *buf, size_t len);

/* Lines of rmem.conf and of batch files (rmemctl -b), split into words. */
#define RM_LINE_MAX		1024
#define RM_LINE_MAX_WORDS	32
int rm_line_words(const char *text, size_t len, size_t *pos, char *buf, char **argv,
		  char *err, size_t errlen);

const char *rm_transport_name(unsigned int t);
const char *rm_node_state_name(unsigned int s);
const char *rm_region_type_name(unsigned int t);

/* Names of the RMEM_FEAT_* bits, indexed by bit number; NULL ends it. */
extern const char *const rm_feature_names[];

/* ---- output.c: the one output layer ---- */

enum rm_fmt {
	RM_F_STR,	/* text: as is (sanitized); JSON: string */
	RM_F_U64,	/* decimal */
	RM_F_SIZE,	/* text: 512M, 1.5G; JSON: bytes */
	RM_F_NS,	/* text: 850ns, 1.2ms; JSON: nanoseconds */
	RM_F_FEATURES,	/* text: "tcp block"; JSON: ["tcp", "block"] */
};

#define RM_FIELD_STR_MAX	64
#define RM_REC_MAX		48

struct rm_field {
	const char *key;	/* JSON member name; NULL: text only */
	const char *hdr;	/* text column/label; NULL: JSON only */
	enum rm_fmt fmt;
	bool set;		/* false: the kernel did not send it ("-", null) */
	uint64_t u;
	char s[RM_FIELD_STR_MAX];
};

/* One object (a node, a region, the module) as fields in print order. */
struct rm_rec {
	struct rm_field f[RM_REC_MAX];
	unsigned int n;
};

struct rm_out {
	FILE *f;
	bool json;
	bool pretty;
};

void rm_rec_init(struct rm_rec *r);
void rm_rec_u64(struct rm_rec *r, const char *key, const char *hdr,
		enum rm_fmt fmt, bool set, uint64_t v);
void rm_rec_str(struct rm_rec *r, const char *key, const char *hdr,
		const char *s);

void rm_out_table(const struct rm_out *o, const struct rm_rec *recs, size_t n);
void rm_out_object(const struct rm_out *o, const struct rm_rec *r);
void rm_out_result(const struct rm_out *o, const struct rm_rec *r);

void rm_fmt_size(uint64_t bytes, char *buf, size_t len);
void rm_fmt_ns(uint64_t ns, char *buf, size_t len);

/* ---- nl.c: generic netlink ---- */

struct nl_msg;
struct nlattr;
struct nlmsghdr;

struct rm_nl {
	struct nl_sock *sk;
	int family;
	char extack[256];	/* the kernel's extack message, or "" */
};

/* Called once per reply message with its attributes, RMEM_A_MAX + 1 slots. */
typedef int (*rm_reply_fn)(struct nlattr **tb, void *arg);

int rm_nl_open(struct rm_nl *nl);
void rm_nl_close(struct rm_nl *nl);
struct nl_msg *rm_nl_msg(struct rm_nl *nl, uint8_t cmd, bool dump);
void rm_nl_msg_free(struct nl_msg *msg);
int rm_nl_exec(struct rm_nl *nl, struct nl_msg *msg, rm_reply_fn fn, void *arg);
int rm_nl_parse_reply(void *payload, int len, struct nlattr **tb);
void rm_nl_extack(struct rm_nl *nl, struct nlmsghdr *nlh);

/* node.c, region.c: one reply (RMEM_A_NODE_* or _REGION_*) as a record. */
void rm_node_rec(struct nlattr **tb, struct rm_rec *r);
void rm_region_rec(struct nlattr **tb, struct rm_rec *r);

bool rm_attr_u64(struct nlattr **tb, int type, uint64_t *v);
bool rm_attr_u32(struct nlattr **tb, int type, uint64_t *v);
bool rm_attr_u16(struct nlattr **tb, int type, uint64_t *v);
bool rm_attr_u8(struct nlattr **tb, int type, uint64_t *v);
const char *rm_attr_str(struct nlattr **tb, int type);
int rm_nl_parse_nested(struct nlattr **tb, struct nlattr *nest);

/* ---- rmemctl.c: command line and dispatch ---- */

/* A node as the user names it: by id ("3") or by address ("10.0.0.2:7471"). */
struct rm_node_ref {
	struct rm_addr addr;	/* when !has_id */
	uint32_t id;
	bool has_id;
};

/* Everything a verb needs, filled by its parse function. */
struct rm_req {
	/* node */
	struct rm_addr addr;
	bool has_addr;
	uint32_t id;
	bool has_id;
	int transport;		/* -1: not given */
	uint64_t timeout_ms;
	bool has_timeout;
	bool auth_none;		/* node add ... auth none */
	/* key (and node add ... key ID) */
	uint64_t key_id;
	bool has_key_id;
	const char *key_file;	/* key add, key generate: points into argv */
	/* region */
	char name[RMEM_REGION_NAME_MAX];
	bool has_name;
	uint64_t size;
	bool has_size;
	int type;		/* -1: not given */
	uint64_t chunk;		/* mmap: bytes per chunk, 0: not given */
	uint64_t cache;		/* mmap: cache budget, 0: not given */
	unsigned int replicas;	/* copies, 0: not given */
	bool prealloc;
	int encrypt;		/* 1 on, 0 off, -1: not given */
	bool publish;		/* region add ... publish */
	bool purge;		/* region del ... purge */
	struct rm_node_ref nodes[RM_NODE_IDS_MAX];	/* region attach ... node LIST */
	unsigned int n_nodes;	/* 0: not given (every node) */
	const char *file;	/* region load: points into argv */
	uint64_t offset;	/* region load: bytes, a multiple of 4K */
};

struct rm_ctx {
	struct rm_out out;
	struct rm_nl nl;
	const char *what;	/* "node add": prefix of error messages */
};

struct rm_verb {
	const char *name;	/* NULL: the object takes no verb */
	const char *args;	/* usage after "rmemctl OBJECT VERB" */
	const char *help;
	/* Fills req from the arguments after the verb; on error, writes err. */
	int (*parse)(struct rm_req *req, int argc, char **argv,
		     char *err, size_t errlen);
	int (*run)(struct rm_ctx *ctx, const struct rm_req *req);
};

struct rm_object {
	const char *name;
	const char *help;
	const struct rm_verb *verbs;	/* ends with a zeroed entry */
	const char *default_verb;	/* verb when none given, or NULL */
};

enum rm_action {
	RM_ACT_RUN,
	RM_ACT_HELP,		/* print usage (of obj, if set) to stdout */
	RM_ACT_VERSION,		/* print the tool version */
	RM_ACT_BATCH,		/* -b FILE: run the commands FILE lists */
};

struct rm_cmd {
	enum rm_action action;
	bool json;
	bool pretty;
	const char *batch;	/* -b FILE: points into argv */
	const struct rm_object *obj;
	const struct rm_verb *verb;
	struct rm_req req;
	char err[256];		/* the usage error, without "rmemctl: " */
};

extern const struct rm_object rm_obj_version, rm_obj_status, rm_obj_node,
	rm_obj_region, rm_obj_key, rm_obj_apply, rm_obj_monitor;

/* monitor.c: one event (RMEM_CMD_EVENT) as a record, and printed. */
int rm_event_rec(struct nlattr **tb, struct rm_rec *r);
void rm_event_print(const struct rm_out *o, const struct rm_rec *r);

/* node.c, region.c, key.c: the requests behind the verbs, printing nothing
 * (apply.c runs them too). The socket must be open (rm_open()). */
struct node_list {
	struct rm_rec *recs;
	struct rm_addr *addrs;	/* parallel to recs; family 0 if unknown */
	uint32_t *ids;
	bool *has_id;
	size_t n, cap;
};

struct region_list {
	struct rm_rec *recs;
	size_t n, cap;
};

int rm_node_add(struct rm_ctx *ctx, const struct rm_req *req, struct rm_rec *r);
int rm_node_dump(struct rm_ctx *ctx, struct node_list *l);
void rm_node_list_free(struct node_list *l);
int rm_node_find(struct rm_ctx *ctx, const struct node_list *l, const struct rm_addr *a,
		 bool hint_add, uint32_t *id);
int rm_region_add(struct rm_ctx *ctx, const struct rm_req *req, struct rm_rec *r);
int rm_region_dump(struct rm_ctx *ctx, struct region_list *l);
/* load.c: rmemctl region load */
int rm_load_parse(struct rm_req *req, int argc, char **argv, char *err, size_t errlen);
int rm_load_run(struct rm_ctx *ctx, const struct rm_req *req);
int rm_key_add(struct rm_ctx *ctx, const char *file, struct rm_rec *r, char *err, size_t errlen);
const struct rm_field *rm_rec_get(const struct rm_rec *r, const char *key);

/* ---- apply.c: rmem.conf ---- */

#define RM_CONF_MAX_ENTRIES	256
#define RM_CONF_FILE_MAX	(1 << 20)

enum rm_conf_kind { RM_CONF_KEY, RM_CONF_NODE, RM_CONF_REGION };

/* One line of the file: what its command's parser made of it. */
struct rm_conf_entry {
	enum rm_conf_kind kind;
	unsigned int line;
	struct rm_req req;	/* node, region: as node add / region add parse it */
	char file[256];		/* key: the key file */
	bool swap;		/* region: swap on it */
	int swap_prio;		/* -1: not given */
};

struct rm_conf {
	struct rm_conf_entry e[RM_CONF_MAX_ENTRIES];
	unsigned int n;
};

int rm_conf_parse(const char *text, size_t len, struct rm_conf *c, char *err, size_t errlen);
int rm_read_text(const char *path, char **text, size_t *len, char *err, size_t errlen);

int rm_cli_parse(int argc, char **argv, struct rm_cmd *cmd);
int rm_cli_run(const struct rm_cmd *cmd);
void rm_usage(FILE *f, const struct rm_object *obj);
void rm_usage_hint(const struct rm_cmd *cmd);

/* Helpers for the per-object parse functions. */
int rm_arg_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int rm_no_args(struct rm_req *req, int argc, char **argv, char *err, size_t errlen);
int rm_file_parse(struct rm_req *req, int argc, char **argv, char *err, size_t errlen);
int rm_node_ref_parse(const char *s, struct rm_node_ref *ref, char *err, size_t errlen);

/* Runtime error (exit 1): "rmemctl: <what>: <msg>[: extack] (<strerror>)". */
int rm_fail(struct rm_ctx *ctx, int err);
int rm_failf(struct rm_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int rm_open(struct rm_ctx *ctx);

#endif /* RMEMCTL_H */
