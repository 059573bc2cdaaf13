// SPDX-License-Identifier: GPL-2.0
/*
 * rmemctl: configure the rmem module.
 *
 *   rmemctl [OPTIONS] OBJECT [VERB] [ARGS]
 *   rmemctl [-j|-p] -b FILE      one command per line of FILE ("-": stdin)
 *
 * main() parses the whole command line first (rm_cli_parse(): no I/O, so
 * a usage error never sends anything), then runs it (rm_cli_run()).
 * Objects and their verbs live in tables, one file per object; adding a
 * verb is one table entry and two functions in that file.
 *
 * Exit status: 0 success, 1 the kernel or system refused, 2 usage error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rmemctl.h"

static const struct rm_object *const rm_objects[] = {
	&rm_obj_version,
	&rm_obj_status,
	&rm_obj_node,
	&rm_obj_region,
	&rm_obj_key,
	&rm_obj_apply,
	&rm_obj_monitor,
};

#define N_OBJECTS (sizeof(rm_objects) / sizeof(rm_objects[0]))

/**
 * rm_arg_err() - record a usage error message
 * @err: the buffer
 * @errlen: its size
 * @fmt: printf format
 *
 * Return: -EINVAL, for "return rm_arg_err(...);".
 */
int rm_arg_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/** rm_no_args() - parse function of a verb without arguments */
int rm_no_args(struct rm_req *req, int argc, char **argv, char *err, size_t errlen)
{
	(void)req;
	return argc ? rm_arg_err(err, errlen, "unexpected argument '%s'", argv[0]) : 0;
}

static void usage_verbs(FILE *f, const struct rm_object *obj)
{
	const struct rm_verb *v;

	for (v = obj->verbs; v->run; v++) {
		char line[160];

		snprintf(line, sizeof(line), "rmemctl %s%s%s%s%s", obj->name,
			 v->name ? " " : "", v->name ? v->name : "",
			 v->args[0] ? " " : "", v->args);
		if (strlen(line) > 38)
			fprintf(f, "  %s\n  %-38s %s\n", line, "", v->help);
		else
			fprintf(f, "  %-38s %s\n", line, v->help);
	}
}

/**
 * rm_usage() - print the help of one object, or of the whole tool
 * @f: stdout (asked for) or stderr (after a usage error)
 * @obj: the object, or NULL for everything
 */
void rm_usage(FILE *f, const struct rm_object *obj)
{
	size_t i;

	if (obj) {
		fprintf(f, "%s\n\n", obj->help);
		usage_verbs(f, obj);
		return;
	}
	fputs("Usage: rmemctl [OPTIONS] OBJECT [VERB] [ARGS]\n"
	      "Configure the rmem remote memory module.\n\n", f);
	for (i = 0; i < N_OBJECTS; i++)
		usage_verbs(f, rm_objects[i]);
	fprintf(f, "  %-38s %s\n", "rmemctl help [OBJECT]", "this help, or an object's");
	fputs("\nOptions (before OBJECT):\n"
	      "  -j, --json      JSON output\n"
	      "  -p, --pretty    indented JSON output (implies -j)\n"
	      "  -b, --batch FILE  run the commands FILE lists, one per line, without\n"
	      "                  'rmemctl' ('-': standard input); stops at the first failure\n"
	      "  -h, --help      this help\n"
	      "  -V, --version   print the rmemctl version\n"
	      "\n"
	      "ADDR      IPv4 or IPv6 address; [IPv6]:PORT with a port; default port 7471\n"
	      "SIZE      bytes, or with a K, M, G, T, P or E suffix (powers of 1024): 512M, 8G\n"
	      "DURATION  NUMBER UNIT ..., units ms, s, m, h: 30s, 5000ms, 1m30s\n"
	      "KEYID     a key's id, 16 hex digits, as 'rmemctl key add' and 'key list' print it\n"
	      "FILE      a key file: 64 hex digits, mode 0600 or stricter\n"
	      "\n"
	      "Exit status: 0 success, 1 error, 2 usage error (nothing was changed).\n"
	      "See rmemctl(8).\n", f);
}

/** rm_usage_hint() - the usage lines to show after a usage error, to stderr */
void rm_usage_hint(const struct rm_cmd *cmd)
{
	const struct rm_object *obj = cmd->obj;
	const struct rm_verb *v = cmd->verb;

	if (obj && v) {
		fprintf(stderr, "usage: rmemctl %s%s%s%s%s\n", obj->name,
			v->name ? " " : "", v->name ? v->name : "",
			v->args[0] ? " " : "", v->args);
	} else if (obj) {
		fputs("usage:\n", stderr);
		usage_verbs(stderr, obj);
	} else {
		fputs("usage: rmemctl [OPTIONS] OBJECT [VERB] [ARGS]; "
		      "try 'rmemctl help'\n", stderr);
	}
}

static const struct rm_object *find_object(const char *name)
{
	size_t i;

	for (i = 0; i < N_OBJECTS; i++)
		if (!strcmp(rm_objects[i]->name, name))
			return rm_objects[i];
	return NULL;
}

static const struct rm_verb *find_verb(const struct rm_object *obj, const char *name)
{
	const struct rm_verb *v;

	for (v = obj->verbs; v->run; v++)
		if (v->name && !strcmp(v->name, name))
			return v;
	/* Aliases people type from other tools. */
	if (!strcmp(name, "list") || !strcmp(name, "ls"))
		return find_verb(obj, "show");
	if (!strcmp(name, "delete") || !strcmp(name, "remove") || !strcmp(name, "rm"))
		return find_verb(obj, "del");
	return NULL;
}

/* Whether @a is one of our options: "-j", "-jp", "--json"... */
static bool is_option(const char *a)
{
	static const char *const longs[] = { "--json", "--pretty", "--help", "--version",
					     "--batch" };
	size_t i;

	for (i = 0; i < sizeof(longs) / sizeof(longs[0]); i++)
		if (!strcmp(a, longs[i]))
			return true;
	if (a[0] != '-' || !a[1])
		return false;
	for (a++; *a; a++)
		if (!strchr("jphVb", *a))
			return false;
	return true;
}

/* -j, -p, -h, -V and their long forms; returns the index of OBJECT. */
static int parse_options(int argc, char **argv, struct rm_cmd *cmd)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--"))
			return i + 1;
		if (a[1] == '-') {
			if (!strcmp(a, "--json"))
				cmd->json = true;
			else if (!strcmp(a, "--pretty"))
				cmd->json = cmd->pretty = true;
			else if (!strcmp(a, "--help"))
				cmd->action = RM_ACT_HELP;
			else if (!strcmp(a, "--version"))
				cmd->action = RM_ACT_VERSION;
			else if (!strcmp(a, "--batch") && i + 1 < argc)
				cmd->batch = argv[++i];
			else if (!strcmp(a, "--batch"))
				return rm_arg_err(cmd->err, sizeof(cmd->err), "--batch needs a FILE");
			else
				return rm_arg_err(cmd->err, sizeof(cmd->err),
						  "unknown option '%s'", a);
			continue;
		}
		for (a++; *a; a++) {
			switch (*a) {
			case 'j':
				cmd->json = true;
				break;
			case 'p':
				cmd->json = cmd->pretty = true;
				break;
			case 'h':
				cmd->action = RM_ACT_HELP;
				break;
			case 'V':
				cmd->action = RM_ACT_VERSION;
				break;
			case 'b':
				/* -bFILE or -b FILE; the rest of the word is the file */
				if (a[1]) {
					cmd->batch = a + 1;
				} else if (i + 1 < argc) {
					cmd->batch = argv[++i];
				} else {
					return rm_arg_err(cmd->err, sizeof(cmd->err),
							  "-b needs a FILE");
				}
				a += strlen(a) - 1;
				break;
			default:
				if ((unsigned char)*a < 0x20 || (unsigned char)*a >= 0x7f)
					return rm_arg_err(cmd->err, sizeof(cmd->err),
							  "unknown option in '%s'", argv[i]);
				return rm_arg_err(cmd->err, sizeof(cmd->err),
						  "unknown option '-%c'", *a);
			}
		}
	}
	return i;
}

/**
 * rm_cli_parse() - parse a command line, without side effects
 * @argc: as given to main()
 * @argv: as given to main()
 * @cmd: the result; on error, cmd->err says why and cmd->obj/verb are
 *       set as far as they were understood (for the usage hint)
 *
 * Return: 0, or -EINVAL on a usage error.
 */
int rm_cli_parse(int argc, char **argv, struct rm_cmd *cmd)
{
	const struct rm_object *obj;
	const struct rm_verb *verb;
	char detail[sizeof(cmd->err)];
	const char *vname;
	int i, ret;

	memset(cmd, 0, sizeof(*cmd));
	cmd->req.transport = -1;
	cmd->req.type = -1;
	cmd->req.encrypt = -1;
	i = parse_options(argc, argv, cmd);
	if (i < 0)
		return i;
	if (cmd->action != RM_ACT_RUN)
		return 0;	/* -h and -V win over everything after them */
	if (cmd->batch) {
		if (!cmd->batch[0])
			return rm_arg_err(cmd->err, sizeof(cmd->err), "-b: empty FILE name");
		if (i < argc)
			return rm_arg_err(cmd->err, sizeof(cmd->err),
					  "-b FILE takes the commands from FILE, not '%s'", argv[i]);
		cmd->action = RM_ACT_BATCH;
		return 0;
	}
	if (i >= argc)
		return rm_arg_err(cmd->err, sizeof(cmd->err), "missing OBJECT");

	if (!strcmp(argv[i], "help")) {
		cmd->action = RM_ACT_HELP;
		if (i + 1 < argc) {
			cmd->obj = find_object(argv[i + 1]);
			if (!cmd->obj)
				return rm_arg_err(cmd->err, sizeof(cmd->err),
						  "help: unknown object '%s'", argv[i + 1]);
		}
		if (i + 2 < argc)
			return rm_arg_err(cmd->err, sizeof(cmd->err),
					  "help: unexpected argument '%s'", argv[i + 2]);
		return 0;
	}
	obj = find_object(argv[i]);
	if (!obj)
		return rm_arg_err(cmd->err, sizeof(cmd->err), "unknown object '%s'", argv[i]);
	cmd->obj = obj;
	i++;

	if (!obj->verbs[0].name) {		/* an object without verbs */
		verb = &obj->verbs[0];
		if (i < argc && !strcmp(argv[i], "help") && i + 1 == argc) {
			cmd->action = RM_ACT_HELP;
			return 0;
		}
	} else {
		vname = i < argc ? argv[i++] : obj->default_verb;
		if (!vname)
			return rm_arg_err(cmd->err, sizeof(cmd->err), "%s: missing VERB", obj->name);
		if (!strcmp(vname, "help")) {
			cmd->action = RM_ACT_HELP;
			if (i < argc)
				return rm_arg_err(cmd->err, sizeof(cmd->err),
						  "%s help: unexpected argument '%s'",
						  obj->name, argv[i]);
			return 0;
		}
		verb = find_verb(obj, vname);
		if (!verb)
			return rm_arg_err(cmd->err, sizeof(cmd->err), "%s: unknown verb '%s'",
					  obj->name, vname);
	}
	cmd->verb = verb;

	for (ret = i; ret < argc; ret++)
		if (is_option(argv[ret]))
			return rm_arg_err(cmd->err, sizeof(cmd->err),
					  "%s%s%s: options go before OBJECT: '%s'", obj->name,
					  verb->name ? " " : "", verb->name ? verb->name : "",
					  argv[ret]);
	detail[0] = '\0';
	ret = verb->parse(&cmd->req, argc - i, argv + i, detail, sizeof(detail));
	if (ret)
		return rm_arg_err(cmd->err, sizeof(cmd->err), "%s%s%s: %s", obj->name,
				  verb->name ? " " : "", verb->name ? verb->name : "",
				  detail[0] ? detail : "invalid arguments");
	return 0;
}

/**
 * rm_open() - open the netlink family for a command, once
 * @ctx: the command
 *
 * Return: 0, or RM_EXIT_FAIL after printing why (the module not loaded
 * gets its own message).
 */
int rm_open(struct rm_ctx *ctx)
{
	int ret;

	if (ctx->nl.sk)
		return 0;
	ret = rm_nl_open(&ctx->nl);
	if (ret == -ENOENT) {
		fputs("rmemctl: the rmem module is not loaded (modprobe rmem)\n", stderr);
		return RM_EXIT_FAIL;
	}
	if (ret)
		return rm_fail(ctx, ret);
	return 0;
}

/**
 * rm_fail() - report a failed request: "rmemctl: WHAT: EXTACK (strerror)"
 * @ctx: the command; ctx->nl.extack is the kernel's message, if any
 * @err: -errno
 *
 * Return: RM_EXIT_FAIL.
 */
int rm_fail(struct rm_ctx *ctx, int err)
{
	const char *detail = ctx->nl.extack;

	if (!detail[0] && err == -EPERM)
		detail = "permission denied, needs CAP_NET_ADMIN";
	else if (!detail[0] && err == -EBADMSG)
		detail = "malformed reply from the module";
	fprintf(stderr, "rmemctl: %s: ", ctx->what);
	if (detail[0]) {
		rmem_text_string(stderr, detail);
		fprintf(stderr, " (%s)\n", strerror(-err));
	} else {
		fprintf(stderr, "%s\n", strerror(-err));
	}
	return RM_EXIT_FAIL;
}

/**
 * rm_failf() - report a failure found by rmemctl itself
 * @ctx: the command
 * @fmt: printf format of the message
 *
 * Return: RM_EXIT_FAIL.
 */
int rm_failf(struct rm_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "rmemctl: %s: ", ctx->what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return RM_EXIT_FAIL;
}

/*
 * rmemctl -b FILE: each line is a command line without "rmemctl", run in
 * order as if typed (the outer -j or -p applies to each); blank lines and
 * '#' comments are skipped. It stops at the first line that fails, naming
 * it, and exits with that line's status: the lines before it have run.
 */
static int batch_run(const struct rm_cmd *outer)
{
	char buf[RM_LINE_MAX + 1], *words[RM_LINE_MAX_WORDS + 1];
	char *av[RM_LINE_MAX_WORDS + 3], err[256], *text;
	unsigned int line = 0;
	struct rm_cmd *cmd;
	size_t len, pos = 0;
	int n, ac, ret = RM_EXIT_OK;

	if (rm_read_text(outer->batch, &text, &len, err, sizeof(err))) {
		fputs("rmemctl: -b: ", stderr);
		rmem_text_string(stderr, err);
		fputc('\n', stderr);
		return RM_EXIT_FAIL;
	}
	cmd = malloc(sizeof(*cmd));
	if (!cmd) {
		free(text);
		fputs("rmemctl: -b: out of memory\n", stderr);
		return RM_EXIT_FAIL;
	}
	while (pos < len && ret == RM_EXIT_OK) {
		line++;
		n = rm_line_words(text, len, &pos, buf, words, err, sizeof(err));
		if (!n)
			continue;
		ac = 0;
		av[ac++] = "rmemctl";
		if (outer->json)
			av[ac++] = outer->pretty ? "-p" : "-j";
		if (n > 0) {
			memcpy(av + ac, words, (size_t)n * sizeof(*words));
			ac += n;
			av[ac] = NULL;
			n = rm_cli_parse(ac, av, cmd);
			if (!n && cmd->action == RM_ACT_BATCH)
				n = rm_arg_err(cmd->err, sizeof(cmd->err),
					       "-b inside a batch file");
			if (n)
				snprintf(err, sizeof(err), "%s", cmd->err);
		}
		if (n < 0) {
			fprintf(stderr, "rmemctl: %s: line %u: ", outer->batch, line);
			rmem_text_string(stderr, err);
			fputc('\n', stderr);
			ret = RM_EXIT_USAGE;
			break;
		}
		ret = rm_cli_run(cmd);
		if (ret != RM_EXIT_OK)
			fprintf(stderr, "rmemctl: %s: line %u failed: stopping\n",
				outer->batch, line);
	}
	free(cmd);
	free(text);
	return ret;
}

/**
 * rm_cli_run() - run a parsed command
 * @cmd: from rm_cli_parse()
 *
 * Return: the exit status.
 */
int rm_cli_run(const struct rm_cmd *cmd)
{
	struct rm_ctx ctx = {
		.out = { .f = stdout, .json = cmd->json, .pretty = cmd->pretty },
	};
	char what[64] = "output";
	int ret = RM_EXIT_OK;

	switch (cmd->action) {
	case RM_ACT_HELP:
		rm_usage(stdout, cmd->obj);
		break;
	case RM_ACT_VERSION:
		printf("rmemctl %s\n", RMEMCTL_VERSION);
		break;
	case RM_ACT_BATCH:
		ret = batch_run(cmd);
		break;
	case RM_ACT_RUN:
		snprintf(what, sizeof(what), "%s%s%s", cmd->obj->name,
			 cmd->verb->name ? " " : "", cmd->verb->name ? cmd->verb->name : "");
		ctx.what = what;
		ret = cmd->verb->run(&ctx, &cmd->req);
		rm_nl_close(&ctx.nl);
		break;
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "rmemctl: %s: cannot write the output: %s\n", what,
			strerror(errno));
		return RM_EXIT_FAIL;
	}
	return ret;
}

#ifndef RMEMCTL_NO_MAIN
int main(int argc, char **argv)
{
	struct rm_cmd cmd;

	if (rm_cli_parse(argc, argv, &cmd)) {
		fputs("rmemctl: ", stderr);
		rmem_text_string(stderr, cmd.err);
		fputc('\n', stderr);
		rm_usage_hint(&cmd);
		return RM_EXIT_USAGE;
	}
	return rm_cli_run(&cmd);
}
#endif
