// SPDX-License-Identifier: GPL-2.0
/*
 * rmemctl apply FILE: make the module hold what a configuration file
 * (rmem.conf(5), /etc/rmem/rmem.conf) lists: its keys, memory nodes and
 * regions, and swap on the regions that say so. Idempotent: what is there
 * already is left alone ("present"), what is missing is added, and what
 * differs from the file is reported ("differs"), never changed.
 *
 * The file holds one object per line, in the words of the commands that
 * add them:
 *
 *	key FILE				(rmemctl key add FILE)
 *	node ADDR[:PORT] [ARGS...]		(rmemctl node add ADDR ARGS...)
 *	region NAME size SIZE [ARGS...] [swap [priority N]]
 *						(rmemctl region add NAME ...)
 *
 * and is parsed by the same parsers as those commands (rm_conf_parse(),
 * pure: fuzzed by fuzz_conf). Blank lines and '#' comments are ignored.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rmem-key.h"
#include "rmemctl.h"

extern char **environ;

/* ---- the file ---- */

static const struct rm_verb *add_verb(const struct rm_object *o)
{
	const struct rm_verb *v;

	for (v = o->verbs; v->name; v++)
		if (!strcmp(v->name, "add"))
			return v;
	return NULL;
}

static int line_err(char *err, size_t errlen, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int line_err(char *err, size_t errlen, unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(err, errlen, "line %u: ", line);
	if (n < 0 || (size_t)n >= errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A region's "swap [priority N]" tail; returns the words before it. */
static int parse_swap(struct rm_conf_entry *e, int argc, char **argv, unsigned int line,
		      char *err, size_t errlen)
{
	int i;
	long prio;
	char *end;

	for (i = 0; i < argc && strcmp(argv[i], "swap"); i++)
		;
	if (i == argc)
		return argc;
	e->swap = true;
	e->swap_prio = -1;
	if (i + 1 == argc)
		return i;
	if (strcmp(argv[i + 1], "priority") || i + 3 != argc)
		return line_err(err, errlen, line, "'swap' takes only 'priority N' after it");
	errno = 0;
	prio = strtol(argv[i + 2], &end, 10);
	if (errno || end == argv[i + 2] || *end || prio < 0 || prio > 32767)
		return line_err(err, errlen, line, "swap priority '%s' must be 0 to 32767",
				argv[i + 2]);
	e->swap_prio = (int)prio;
	return i;
}

static int parse_line(struct rm_conf *c, char **argv, int argc, unsigned int line,
		      char *err, size_t errlen)
{
	struct rm_conf_entry *e;
	const struct rm_verb *v;
	char detail[192] = "";
	unsigned int i;
	int n;

	if (c->n == RM_CONF_MAX_ENTRIES)
		return line_err(err, errlen, line, "more than %d entries", RM_CONF_MAX_ENTRIES);
	e = &c->e[c->n];
	memset(e, 0, sizeof(*e));
	e->line = line;
	e->req.transport = -1;
	e->req.type = -1;
	e->req.encrypt = -1;
	e->swap_prio = -1;
	if (!strcmp(argv[0], "key")) {
		e->kind = RM_CONF_KEY;
		if (argc != 2)
			return line_err(err, errlen, line, "'key' takes one key file");
		if (strlen(argv[1]) >= sizeof(e->file))
			return line_err(err, errlen, line, "key file name too long");
		snprintf(e->file, sizeof(e->file), "%s", argv[1]);
	} else if (!strcmp(argv[0], "node")) {
		e->kind = RM_CONF_NODE;
		v = add_verb(&rm_obj_node);
		if (v->parse(&e->req, argc - 1, argv + 1, detail, sizeof(detail)))
			return line_err(err, errlen, line, "node: %s", detail);
		for (i = 0; i < c->n; i++)
			if (c->e[i].kind == RM_CONF_NODE &&
			    rm_addr_equal(&c->e[i].req.addr, &e->req.addr) &&
			    (c->e[i].req.addr.has_port ? c->e[i].req.addr.port : RMEM_DEFAULT_PORT) ==
			    (e->req.addr.has_port ? e->req.addr.port : RMEM_DEFAULT_PORT))
				return line_err(err, errlen, line, "node %s is on line %u already",
						argv[1], c->e[i].line);
	} else if (!strcmp(argv[0], "region")) {
		e->kind = RM_CONF_REGION;
		n = parse_swap(e, argc - 1, argv + 1, line, err, errlen);
		if (n < 0)
			return n;
		v = add_verb(&rm_obj_region);
		if (v->parse(&e->req, n, argv + 1, detail, sizeof(detail)))
			return line_err(err, errlen, line, "region: %s", detail);
		if (e->swap && e->req.type == RMEM_REGION_MMAP)
			return line_err(err, errlen, line, "'swap' needs a block region, not type mmap");
		/*
		 * A published region is made once: it outlives this host's
		 * reboot on the memory nodes, and the next boot's apply would
		 * publish its name again, which the memory nodes refuse.
		 */
		if (e->req.publish)
			return line_err(err, errlen, line,
					"'publish' has no place in rmem.conf (a published region outlives the reboot; its name cannot be published again): publish it once with 'rmemctl region add'");
		for (i = 0; i < c->n; i++)
			if (c->e[i].kind == RM_CONF_REGION && !strcmp(c->e[i].req.name, e->req.name))
				return line_err(err, errlen, line, "region %s is on line %u already",
						e->req.name, c->e[i].line);
	} else {
		return line_err(err, errlen, line, "unknown keyword '%s' (use key, node or region)",
				argv[0]);
	}
	c->n++;
	return 0;
}

/**
 * rm_conf_parse() - parse a configuration file's text
 * @text: the text (need not end with a NUL)
 * @len: its length
 * @c: the entries, in file order
 * @err: on error, "line N: what is wrong"
 * @errlen: size of @err
 *
 * Pure: no I/O, no allocation.
 *
 * Return: 0, or -EINVAL with @err set.
 */
int rm_conf_parse(const char *text, size_t len, struct rm_conf *c, char *err, size_t errlen)
{
	char buf[RM_LINE_MAX + 1], *argv[RM_LINE_MAX_WORDS + 1], why[64];
	unsigned int line = 0;
	size_t pos = 0;
	int argc, ret;

	c->n = 0;
	if (errlen)
		err[0] = '\0';
	while (pos < len) {
		line++;
		argc = rm_line_words(text, len, &pos, buf, argv, why, sizeof(why));
		if (argc < 0)
			return line_err(err, errlen, line, "%s", why);
		if (!argc)
			continue;
		ret = parse_line(c, argv, argc, line, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- the command ---- */

/* One result line: KIND NAME ACTION DETAIL. */
static void result(struct rm_rec *r, const char *kind, const char *name, const char *action,
		   const char *detail)
{
	rm_rec_init(r);
	rm_rec_str(r, "kind", "KIND", kind);
	rm_rec_str(r, "name", "NAME", name);
	rm_rec_str(r, "action", "ACTION", action);
	rm_rec_str(r, "detail", "DETAIL", detail && detail[0] ? detail : NULL);
}

/* "what the module says (strerror)" for a failed request. */
static void why(struct rm_ctx *ctx, int err, char *buf, size_t len)
{
	if (ctx->nl.extack[0])
		snprintf(buf, len, "%s (%s)", ctx->nl.extack, strerror(-err));
	else
		snprintf(buf, len, "%s", strerror(-err));
}

static bool str_is(const struct rm_field *f, const char *s)
{
	return f && f->set && !strcmp(f->s, s);
}

/* Append "WHAT FILE in the file, MODULE in the module" to @d. */
static void differ(char *d, size_t len, const char *what, const char *file, const char *mod)
{
	size_t n = strlen(d);

	snprintf(d + n, len - n, "%s%s %s in the file, %s in the module", n ? "; " : "",
		 what, file, mod && mod[0] ? mod : "none");
}

static void differ_size(char *d, size_t len, const char *what, uint64_t file,
			const struct rm_field *f)
{
	char a[32], b[32] = "none";

	if (f && f->set && f->u == file)
		return;
	rm_fmt_size(file, a, sizeof(a));
	if (f && f->set)
		rm_fmt_size(f->u, b, sizeof(b));
	differ(d, len, what, a, b);
}

static void node_differs(const struct rm_req *q, const struct rm_rec *r, char *d, size_t len)
{
	const struct rm_field *f;
	char id[RMEM_KEY_ID_STR_LEN];

	f = rm_rec_get(r, "transport");
	if (q->transport >= 0 && !str_is(f, rm_transport_name((unsigned int)q->transport)))
		differ(d, len, "transport", rm_transport_name((unsigned int)q->transport),
		       f && f->set ? f->s : NULL);
	f = rm_rec_get(r, "auth");
	if (q->auth_none && !str_is(f, "none"))
		differ(d, len, "auth", "none", f && f->set ? f->s : NULL);
	if (q->has_key_id) {
		rmem_key_format_id(q->key_id, id);
		f = rm_rec_get(r, "key_id");
		if (!str_is(f, id))
			differ(d, len, "key", id, f && f->set ? f->s : NULL);
	}
	if (q->has_timeout) {
		f = rm_rec_get(r, "timeout_ms");
		if (!f || !f->set || f->u != q->timeout_ms) {
			char a[24], b[24] = "none";

			snprintf(a, sizeof(a), "%llums", (unsigned long long)q->timeout_ms);
			if (f && f->set)
				snprintf(b, sizeof(b), "%llums", (unsigned long long)f->u);
			differ(d, len, "timeout", a, b);
		}
	}
}

static void region_differs(const struct rm_req *q, const struct rm_rec *r, char *d, size_t len)
{
	const struct rm_field *f;
	char a[24], b[24];
	int type = q->type >= 0 ? q->type : RMEM_REGION_BLOCK;

	differ_size(d, len, "size", q->size, rm_rec_get(r, "size"));
	f = rm_rec_get(r, "type");
	if (!str_is(f, rm_region_type_name((unsigned int)type)))
		differ(d, len, "type", rm_region_type_name((unsigned int)type),
		       f && f->set ? f->s : NULL);
	f = rm_rec_get(r, "replicas");
	if (q->replicas && (!f || !f->set || f->u != q->replicas)) {
		snprintf(a, sizeof(a), "%u", q->replicas);
		snprintf(b, sizeof(b), "%llu", f && f->set ? (unsigned long long)f->u : 0ULL);
		differ(d, len, "replicas", a, b);
	}
	f = rm_rec_get(r, "prealloc");
	if (q->prealloc && !str_is(f, "yes"))
		differ(d, len, "prealloc", "yes", f && f->set ? f->s : NULL);
	f = rm_rec_get(r, "encrypt");
	if (q->encrypt >= 0 && !str_is(f, q->encrypt ? "on" : "off"))
		differ(d, len, "encrypt", q->encrypt ? "on" : "off", f && f->set ? f->s : NULL);
	if (q->chunk)
		differ_size(d, len, "chunk", q->chunk, rm_rec_get(r, "chunk_size"));
	if (q->cache)
		differ_size(d, len, "cache", q->cache, rm_rec_get(r, "cache_size"));
}

/* Whether DEV is an active swap device (/proc/swaps). */
static bool swap_on(const char *dev)
{
	char line[512];
	size_t n = strlen(dev);
	bool on = false;
	FILE *f = fopen("/proc/swaps", "re");

	if (!f)
		return false;
	while (!on && fgets(line, sizeof(line), f))
		on = !strncmp(line, dev, n) && (line[n] == ' ' || line[n] == '\t');
	fclose(f);
	return on;
}

/* Run a program with its output discarded; returns its exit status or -1. */
static int run_prog(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	int status, ret;
	pid_t pid;

	if (posix_spawn_file_actions_init(&fa))
		return -1;
	ret = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) ?:
	      posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0) ?:
	      posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Swap on DEV: mkswap (a region starts empty), then swapon. */
static int swap_start(const char *dev, int prio, char *d, size_t len)
{
	char p[16];
	char *mk[] = { "mkswap", (char *)dev, NULL };
	char *on[] = { "swapon", "-p", p, (char *)dev, NULL };
	char *on_noprio[] = { "swapon", (char *)dev, NULL };
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	struct stat st;
	int i, ret;

	/* udev or devtmpfs makes the node right after region add */
	for (i = 0; i < 50 && stat(dev, &st); i++)
		nanosleep(&ts, NULL);
	if (stat(dev, &st) || !S_ISBLK(st.st_mode)) {
		snprintf(d, len, "%s is not a block device", dev);
		return -1;
	}
	ret = run_prog(mk);
	if (ret) {
		snprintf(d, len, "mkswap %s failed (%d)", dev, ret);
		return -1;
	}
	snprintf(p, sizeof(p), "%d", prio);
	ret = run_prog(prio >= 0 ? on : on_noprio);
	if (ret) {
		snprintf(d, len, "swapon %s failed (%d)", dev, ret);
		return -1;
	}
	if (prio >= 0)
		snprintf(d, len, "%s, priority %d", dev, prio);
	else
		snprintf(d, len, "%s", dev);
	return 0;
}

/**
 * rm_read_text() - read a configuration or batch file whole
 * @path: the file; "-" is standard input
 * @text: out: its bytes (malloc()ed), *@len of them
 * @len: out
 * @err: on error, "PATH: why"
 * @errlen: size of @err
 *
 * At most RM_CONF_FILE_MAX bytes: a longer input is refused.
 *
 * Return: 0 or -1.
 */
int rm_read_text(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	bool in = !strcmp(path, "-");
	int fd = in ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	struct stat st;
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!in && (fstat(fd, &st) || !S_ISREG(st.st_mode))) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	*text = malloc(RM_CONF_FILE_MAX + 1);
	if (!*text) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out_close;
	}
	/* One byte more than allowed: to see that there is more. */
	while (got <= RM_CONF_FILE_MAX) {
		n = read(fd, *text + got, RM_CONF_FILE_MAX + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out_free;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	if (got > RM_CONF_FILE_MAX) {
		snprintf(err, errlen, "%s: longer than %d bytes", path, RM_CONF_FILE_MAX);
		goto out_free;
	}
	if (!in)
		close(fd);
	*len = got;
	return 0;

out_free:
	free(*text);
	*text = NULL;
out_close:
	if (!in)
		close(fd);
	return -1;
}

static int apply_run(struct rm_ctx *ctx, const struct rm_req *req)
{
	struct node_list nodes = { 0 };
	struct region_list regions = { 0 };
	struct rm_rec *res = NULL, r;
	struct rm_conf *c;
	char err[256], d[400], name[80], *text = NULL;
	size_t len, i, j, nres = 0;
	bool bad = false;
	int ret;

	if (rm_read_text(req->key_file, &text, &len, err, sizeof(err)))
		return rm_failf(ctx, "%s", err);
	c = malloc(sizeof(*c));
	if (!c) {
		free(text);
		return rm_fail(ctx, -ENOMEM);
	}
	ret = rm_conf_parse(text, len, c, err, sizeof(err));
	free(text);
	if (ret) {
		fprintf(stderr, "rmemctl: apply: %s: %s (nothing was changed)\n", req->key_file, err);
		free(c);
		return RM_EXIT_USAGE;
	}
	ret = rm_open(ctx);
	if (ret)
		goto out;
	res = calloc(c->n ? 2 * c->n : 1, sizeof(*res));
	if (!res) {
		ret = rm_fail(ctx, -ENOMEM);
		goto out;
	}

	/* Keys first: nodes are added under them. */
	for (i = 0; i < c->n; i++) {
		const struct rm_conf_entry *e = &c->e[i];
		const struct rm_field *f;

		if (e->kind != RM_CONF_KEY)
			continue;
		ret = rm_key_add(ctx, e->file, &r, err, sizeof(err));
		f = rm_rec_get(&r, "id");
		if (!ret) {
			result(&res[nres++], "key", e->file, "added", f && f->set ? f->s : NULL);
		} else if (ret == -EEXIST) {
			result(&res[nres++], "key", e->file, "present", ctx->nl.extack);
		} else {
			if (ret == -EBADF)
				snprintf(d, sizeof(d), "%s", err);
			else
				why(ctx, ret, d, sizeof(d));
			fprintf(stderr, "rmemctl: apply: line %u: key %s: %s\n", e->line, e->file, d);
			result(&res[nres++], "key", e->file, "failed", d);
			bad = true;
		}
	}

	ret = rm_node_dump(ctx, &nodes);
	if (ret)
		goto out;
	for (i = 0; i < c->n; i++) {
		const struct rm_conf_entry *e = &c->e[i];
		struct rm_addr want = e->req.addr;
		const struct rm_field *f;

		if (e->kind != RM_CONF_NODE)
			continue;
		if (!want.has_port) {
			want.has_port = true;
			want.port = RMEM_DEFAULT_PORT;
		}
		rm_addr_format(&want, true, name, sizeof(name));
		for (j = 0; j < nodes.n; j++)
			if (nodes.addrs[j].family && rm_addr_equal(&nodes.addrs[j], &want) &&
			    (nodes.addrs[j].has_port ? nodes.addrs[j].port : RMEM_DEFAULT_PORT) ==
			    want.port)
				break;
		d[0] = '\0';
		if (j < nodes.n) {
			node_differs(&e->req, &nodes.recs[j], d, sizeof(d));
			if (d[0]) {
				fprintf(stderr, "rmemctl: apply: line %u: node %s differs: %s\n",
					e->line, name, d);
				result(&res[nres++], "node", name, "differs", d);
				bad = true;
			} else {
				f = rm_rec_get(&nodes.recs[j], "id");
				snprintf(d, sizeof(d), "id %llu",
					 f && f->set ? (unsigned long long)f->u : 0ULL);
				result(&res[nres++], "node", name, "present", d);
			}
			continue;
		}
		ret = rm_node_add(ctx, &e->req, &r);
		if (ret) {
			why(ctx, ret, d, sizeof(d));
			fprintf(stderr, "rmemctl: apply: line %u: node add %s: %s\n", e->line, name, d);
			result(&res[nres++], "node", name, "failed", d);
			bad = true;
			continue;
		}
		f = rm_rec_get(&r, "id");
		snprintf(d, sizeof(d), "id %llu", f && f->set ? (unsigned long long)f->u : 0ULL);
		result(&res[nres++], "node", name, "added", d);
	}

	ret = rm_region_dump(ctx, &regions);
	if (ret) {
		ret = rm_fail(ctx, ret);
		goto out;
	}
	for (i = 0; i < c->n; i++) {
		const struct rm_conf_entry *e = &c->e[i];
		const struct rm_field *f = NULL;
		char dev[80] = "";

		if (e->kind != RM_CONF_REGION)
			continue;
		for (j = 0; j < regions.n; j++)
			if (str_is(rm_rec_get(&regions.recs[j], "name"), e->req.name))
				break;
		d[0] = '\0';
		if (j < regions.n) {
			region_differs(&e->req, &regions.recs[j], d, sizeof(d));
			f = rm_rec_get(&regions.recs[j], "device");
			if (d[0]) {
				fprintf(stderr, "rmemctl: apply: line %u: region %s differs: %s\n",
					e->line, e->req.name, d);
				result(&res[nres++], "region", e->req.name, "differs", d);
				bad = true;
				continue;
			}
			result(&res[nres++], "region", e->req.name, "present",
			       f && f->set ? f->s : NULL);
		} else {
			ret = rm_region_add(ctx, &e->req, &r);
			if (ret) {
				why(ctx, ret, d, sizeof(d));
				fprintf(stderr, "rmemctl: apply: line %u: region add %s: %s\n",
					e->line, e->req.name, d);
				result(&res[nres++], "region", e->req.name, "failed", d);
				bad = true;
				continue;
			}
			f = rm_rec_get(&r, "device");
			result(&res[nres++], "region", e->req.name, "added",
			       f && f->set ? f->s : NULL);
		}
		if (!e->swap)
			continue;
		if (!f || !f->set) {
			result(&res[nres++], "swap", e->req.name, "failed", "the region has no device");
			bad = true;
			continue;
		}
		snprintf(dev, sizeof(dev), "/dev/%s", f->s);
		if (swap_on(dev)) {
			result(&res[nres++], "swap", e->req.name, "present", dev);
			continue;
		}
		if (swap_start(dev, e->swap_prio, d, sizeof(d))) {
			fprintf(stderr, "rmemctl: apply: line %u: swap on region %s: %s\n",
				e->line, e->req.name, d);
			result(&res[nres++], "swap", e->req.name, "failed", d);
			bad = true;
			continue;
		}
		result(&res[nres++], "swap", e->req.name, "added", d);
	}
	rm_out_table(&ctx->out, res, nres);
	ret = bad ? RM_EXIT_FAIL : RM_EXIT_OK;
out:
	rm_node_list_free(&nodes);
	free(regions.recs);
	free(res);
	free(c);
	return ret;
}

static const struct rm_verb apply_verbs[] = {
	{ NULL, "FILE",
	  "add the keys, nodes, regions and swaps FILE (rmem.conf(5)) lists and the module "
	  "lacks; report what differs",
	  rm_file_parse, apply_run },
	{ 0 }
};

const struct rm_object rm_obj_apply = {
	.name = "apply",
	.help = "rmemctl apply: make the module hold what a configuration file lists",
	.verbs = apply_verbs,
};
