// SPDX-License-Identifier: GPL-2.0
/*
 * rmemd - rmem memory-node daemon: serves donated DRAM to rmem.ko clients.
 *
 * main.c owns the command line, daemonizing and the process exit codes:
 * 0 clean exit, 1 runtime or startup failure, 2 usage or configuration
 * error (a key file that cannot be used is a configuration error). It also
 * runs the two key-file commands, --gen-key and --key-id, which exit
 * without serving.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "log.h"
#include "rmem-key.h"
#include "server.h"

#ifndef RMEMD_VERSION
#define RMEMD_VERSION "unknown"
#endif

enum {
	OPT_CONFIG = 256,
	OPT_STDERR,
	OPT_FOREGROUND,
	OPT_STATUS,
	OPT_PUBLISHED,
	OPT_DELETE_PUBLISHED,
	OPT_FORCE,
	OPT_JSON,
	OPT_HELP,
	OPT_VERSION,
	OPT_GEN_KEY,
	OPT_KEY_ID,
	OPT_KEY,	/* a config key: donate, listen, ... */
};

static const struct option options[] = {
	{ "donate",          required_argument, NULL, OPT_KEY },
	{ "listen",          required_argument, NULL, OPT_KEY },
	{ "slab-size",       required_argument, NULL, OPT_KEY },
	{ "session-timeout", required_argument, NULL, OPT_KEY },
	{ "drain-timeout",   required_argument, NULL, OPT_KEY },
	{ "hello-timeout",   required_argument, NULL, OPT_KEY },
	{ "session-quota",   required_argument, NULL, OPT_KEY },
	{ "max-clients",     required_argument, NULL, OPT_KEY },
	{ "max-clients-per-address", required_argument, NULL, OPT_KEY },
	{ "out-budget",      required_argument, NULL, OPT_KEY },
	{ "ctl-socket",      required_argument, NULL, OPT_KEY },
	{ "log-level",       required_argument, NULL, OPT_KEY },
	{ "no-mlock",        no_argument,       NULL, OPT_KEY },
	{ "no-rdma",         no_argument,       NULL, OPT_KEY },
	{ "rdma-port",       required_argument, NULL, OPT_KEY },
	{ "test-drop-reply", required_argument, NULL, OPT_KEY },
	{ "test-lose-request", required_argument, NULL, OPT_KEY },
	{ "test-corrupt",    required_argument, NULL, OPT_KEY },
	{ "test-hostile",    required_argument, NULL, OPT_KEY },
	{ "auth",            required_argument, NULL, OPT_KEY },
	{ "key-file",        required_argument, NULL, OPT_KEY },
	{ "gen-key",         required_argument, NULL, OPT_GEN_KEY },
	{ "key-id",          required_argument, NULL, OPT_KEY_ID },
	{ "config",          required_argument, NULL, OPT_CONFIG },
	{ "stderr",          no_argument,       NULL, OPT_STDERR },
	{ "foreground",      no_argument,       NULL, OPT_FOREGROUND },
	{ "status",          optional_argument, NULL, OPT_STATUS },
	{ "published",       optional_argument, NULL, OPT_PUBLISHED },
	{ "delete-published", required_argument, NULL, OPT_DELETE_PUBLISHED },
	{ "force",           no_argument,       NULL, OPT_FORCE },
	{ "json",            no_argument,       NULL, OPT_JSON },
	{ "help",            no_argument,       NULL, OPT_HELP },
	{ "version",         no_argument,       NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rmemd --donate SIZE --listen ADDR:PORT [options]\n"
		"       rmemd --status [SOCKET] [--json]\n"
		"       rmemd --published [SOCKET] [--json]\n"
		"       rmemd --delete-published NAME [--force] [--ctl-socket SOCKET]\n"
		"       rmemd --gen-key FILE | --key-id FILE\n"
		"\n"
		"  --donate SIZE           memory to serve: 512M, 8G... (multiple of the slab size)\n"
		"  --listen ADDR:PORT      TCP address: 0.0.0.0:7471, [::]:7471\n"
		"  --slab-size SIZE        allocation unit (default 64M)\n"
		"  --session-timeout SEC   keep a disconnected session's slabs (default 300)\n"
		"  --drain-timeout SEC     on SIGTERM, let clients move their data off first\n"
		"                          (default 60; 0: exit at once)\n"
		"  --hello-timeout SEC     a new connection's time to say HELLO (default 10)\n"
		"  --session-quota N       slabs one session may hold (default 0: no limit)\n"
		"  --max-clients N         connections served at once (default 1024)\n"
		"  --max-clients-per-address N\n"
		"                          connections from one IP address, TCP and RDMA\n"
		"                          together (default 128)\n"
		"  --out-budget SIZE       unsent replies of all TCP connections together\n"
		"                          (default 64M; 0: no global limit)\n"
		"  --ctl-socket PATH       status socket (default " RMEMD_DEFAULT_CTL_SOCKET ")\n"
		"  --log-level LEVEL       err, warning, notice, info (default), debug\n"
		"  --no-mlock              do not lock the pool in RAM\n"
		"  --rdma-port PORT        rdma_cm port (default: the TCP port)\n"
		"  --no-rdma               serve TCP only (no rdma_cm listener)\n"
		"  --auth psk|none         authenticate clients with a key (psk, the default),\n"
		"                          or not at all (none: labs only; anyone who reaches\n"
		"                          the port can use the pool)\n"
		"  --key-file FILE         a key file (mode 0600), one per tenant, up to 16;\n"
		"                          repeat the option for more\n"
		"  --config FILE           config file (default " RMEMD_DEFAULT_CONFIG " if present)\n"
		"  --stderr                log to stderr instead of syslog\n"
		"  --foreground            do not detach\n"
		"  --status [SOCKET]       print a running rmemd's status (text, or --json)\n"
		"  --published [SOCKET]    list a running rmemd's published regions\n"
		"  --delete-published NAME free a running rmemd's published region NAME;\n"
		"                          --force: even while compute nodes are attached\n"
		"  --gen-key FILE          write a new random key to FILE (mode 0600, never\n"
		"                          overwrites) and print its key id\n"
		"  --key-id FILE           print the key id of the key in FILE\n"
		"  --help, --version\n"
		"\nTest only (never in production):\n"
		"  --test-drop-reply TYPE[:N][@OFFSET]  handle the Nth request (default 1)\n"
		"                          of TYPE (hello, slab-alloc, slab-free, read, write,\n"
		"                          ping, slab-list; with @OFFSET, a size: only reads\n"
		"                          or writes at that offset in their slab count) but\n"
		"                          never send its reply, once: a reply lost on a live\n"
		"                          connection, for the module's timeout tests\n"
		"  --test-lose-request TYPE[:N][@OFFSET]  the same, but the request is not\n"
		"                          handled either: lost on the wire (a write not applied)\n"
		"  --test-corrupt OFFSET   on SIGUSR2, flip a bit of the byte at OFFSET of every\n"
		"                          slab in use: stored data gone bad, for the module's\n"
		"                          checksum tests\n"
		"  --test-hostile N[:rkey|:slab|:early]\n"
		"                          mangle about one reply in N after HELLO: a wrong id,\n"
		"                          type, length, flags, magic, status or slab, a reply\n"
		"                          sent twice or never (:rkey: wrong rkeys too; :slab:\n"
		"                          only wrong slabs in SLAB_ALLOC replies; :early: only\n"
		"                          TCP WRITEs, answered before their data): a hostile\n"
		"                          memory node, for the module's robustness tests\n"
		"\nSee rmemd(8).\n");
}

/*
 * Detach: the child does the setup and tells the waiting parent how it went
 * through a pipe, so "rmemd ..." still exits non-zero when startup fails.
 * Memory locks are not inherited by fork(), so this runs before the pool
 * is created.
 */
static int daemonize(int *notify_fd)
{
	int p[2];
	pid_t pid;
	char c = 1;

	if (pipe2(p, O_CLOEXEC)) {
		perror("rmemd: pipe");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		perror("rmemd: fork");
		return -1;
	}
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			c = 1;
		_exit(c ? 1 : 0);
	}
	close(p[0]);
	setsid();
	if (chdir("/"))
		return -1;
	*notify_fd = p[1];
	return 0;
}

/* --gen-key FILE, --key-id FILE: print the id on stdout. Exit code. */
static int key_command(int opt, const char *path)
{
	uint8_t key[RMEM_AUTH_KEY_LEN];
	char err[384], id[RMEM_KEY_ID_STR_LEN];
	uint64_t kid;
	int ret;

	if (opt == OPT_GEN_KEY) {
		ret = rmem_key_generate(key);
		if (ret)
			snprintf(err, sizeof(err), "getrandom: %s", strerror(-ret));
		else
			ret = rmem_key_write_file(path, key, err, sizeof(err));
	} else {
		ret = rmem_key_read_file(path, key, err, sizeof(err));
	}
	if (!ret && rmem_auth_key_id(key, &kid)) {
		snprintf(err, sizeof(err), "%s: cannot compute the key id (libcrypto)", path);
		ret = -EIO;
	}
	explicit_bzero(key, sizeof(key));
	if (ret) {
		fprintf(stderr, "rmemd: %s\n", err);
		return 1;
	}
	rmem_key_format_id(kid, id);
	if (opt == OPT_GEN_KEY)
		fprintf(stderr, "rmemd: wrote a new key to %s (mode 0600); its key id:\n", path);
	printf("%s\n", id);
	return 0;
}

static void detach_stdio(bool keep_stderr)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	if (!keep_stderr)
		dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/*
 * sd_notify() - tell systemd (Type=notify) how startup went
 * @msg: newline-separated assignments, e.g. "READY=1"
 *
 * The notification protocol is one datagram on the AF_UNIX socket named by
 * $NOTIFY_SOCKET ('@' for the abstract namespace). No libsystemd for one
 * sendto(); without the variable (not under systemd) it does nothing.
 */
static void sd_notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@'))
		return;
	len = strlen(path);
	if (len >= sizeof(sun.sun_path)) {
		log_warn("NOTIFY_SOCKET too long: not notifying systemd");
		return;
	}
	memcpy(sun.sun_path, path, len);
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sun,
			     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		log_warn("cannot notify systemd (%s): %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	static struct rmemd_server srv;
	static struct rmem_auth_key keys[RMEM_AUTH_MAX_KEYS];
	uint32_t nkeys = 0;
	struct rmemd_config_src src = { .path = RMEMD_DEFAULT_CONFIG };
	struct rmemd_config cfg;
	const char *status_path = NULL, *delete_name = NULL;
	bool to_stderr = false, foreground = false, status = false, json = false;
	bool published = false, force = false;
	int notify_fd = -1, idx, opt, rc;
	char err[512];

	while ((opt = getopt_long(argc, argv, "", options, &idx)) != -1) {
		switch (opt) {
		case OPT_KEY:
			if (src.n == RMEMD_MAX_FLAGS) {
				fprintf(stderr, "rmemd: too many options\n");
				return 2;
			}
			src.keys[src.n] = options[idx].name;
			src.vals[src.n] = optarg ? optarg : "yes";
			src.n++;
			break;
		case OPT_CONFIG:
			src.path = optarg;
			src.path_given = true;
			break;
		case OPT_STDERR:
			to_stderr = true;
			break;
		case OPT_FOREGROUND:
			foreground = true;
			break;
		case OPT_STATUS:
			status = true;
			/* Accept "--status PATH" as well as "--status=PATH". */
			if (optarg)
				status_path = optarg;
			else if (optind < argc && argv[optind][0] != '-')
				status_path = argv[optind++];
			break;
		case OPT_PUBLISHED:
			published = true;
			if (optarg)
				status_path = optarg;
			else if (optind < argc && argv[optind][0] != '-')
				status_path = argv[optind++];
			break;
		case OPT_DELETE_PUBLISHED:
			delete_name = optarg;
			break;
		case OPT_FORCE:
			force = true;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("rmemd %s (protocol version %d)\n", RMEMD_VERSION, RMEM_PROTO_VERSION);
			return 0;
		case OPT_GEN_KEY:
		case OPT_KEY_ID:
			return key_command(opt, optarg);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rmemd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	if (force && !delete_name) {
		fprintf(stderr, "rmemd: --force goes with --delete-published\n");
		return 2;
	}
	if (status + published + !!delete_name > 1) {
		fprintf(stderr, "rmemd: --status, --published and --delete-published exclude each other\n");
		return 2;
	}
	if (status || published || delete_name) {
		if (!status_path) {
			/* The daemon's ctl-socket: its config file's, or a flag's. */
			if (rmemd_config_gather(&src, &cfg, err, sizeof(err))) {
				fprintf(stderr, "rmemd: %s\n", err);
				return 2;
			}
			status_path = cfg.ctl_socket;
		}
		if (published)
			return rmemd_ctl_published(status_path, json);
		if (delete_name)
			return rmemd_ctl_delete_published(status_path, delete_name, force);
		return rmemd_ctl_status(status_path, json);
	}

	if (rmemd_config_build(&src, &cfg, err, sizeof(err)) ||
	    rmemd_config_load_keys(&cfg, keys, &nkeys, err, sizeof(err))) {
		fprintf(stderr, "rmemd: %s\n", err);
		return 2;
	}
	if (cfg.auth_none && !to_stderr)
		fprintf(stderr, "rmemd: warning: auth none: anyone who reaches %s can use the pool\n",
			cfg.listen);

	rmemd_log_init(to_stderr, cfg.log_level);
	if (!foreground && daemonize(&notify_fd))
		return 1;

	rc = rmemd_server_init(&srv, &cfg, &src, keys, nkeys);
	explicit_bzero(keys, sizeof(keys));	/* the server has its copy */
	if (rc) {
		if (!to_stderr)
			fprintf(stderr, "rmemd: startup failed; see the system log\n");
		rmemd_log_close();
		return 1;
	}
	if (notify_fd >= 0) {
		char ok = 0;

		if (write(notify_fd, &ok, 1) != 1)
			log_warn("cannot notify the parent process: %s", strerror(errno));
		close(notify_fd);
		detach_stdio(to_stderr);
	}

	sd_notify("READY=1\nSTATUS=serving");
	rc = rmemd_server_run(&srv);
	sd_notify("STOPPING=1");
	rmemd_server_fini(&srv);
	log_notice("exiting");
	rmemd_log_close();
	return rc ? 1 : 0;
}
