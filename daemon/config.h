/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmemd configuration: defaults, then the config file, then command-line
 * flags. The same keys are used in the file and as long flags
 * ("slab-size = 64M" and --slab-size 64M). Parsing is pure (no I/O besides
 * rmemd_config_load() reading the file), so the parser can be fuzzed.
 */
#ifndef RMEMD_CONFIG_H
#define RMEMD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RMEMD_DEFAULT_CONFIG		"/etc/rmem/rmemd.conf"
#define RMEMD_DEFAULT_CTL_SOCKET	"/run/rmemd/rmemd.sock"
#define RMEMD_DEFAULT_SLAB_SIZE		(64ull << 20)
#define RMEMD_DEFAULT_SESSION_TIMEOUT	300
#define RMEMD_DEFAULT_MAX_CLIENTS	1024
#define RMEMD_MIN_SLAB_SIZE		4096ull
#define RMEMD_MAX_SESSION_TIMEOUT	(7u * 24 * 3600)
/* out-budget: 64 MiB by default; at least one connection's high mark */
#define RMEMD_DEFAULT_OUT_BUDGET	(64ull << 20)
#define RMEMD_MIN_OUT_BUDGET		(4ull << 20)
#define RMEMD_DEFAULT_DRAIN_TIMEOUT	60
#define RMEMD_DEFAULT_HELLO_TIMEOUT	10
#define RMEMD_MAX_HELLO_TIMEOUT		600
#define RMEMD_MAX_DRAIN_TIMEOUT		3600
#define RMEMD_MAX_CLIENTS_LIMIT		1000000u
#define RMEMD_DEFAULT_PER_ADDRESS	128

#define RMEMD_MAX_KEY_FILES		16	/* = RMEM_AUTH_MAX_KEYS */
#define RMEMD_KEY_PATH_MAX		256

#define RMEMD_HOST_MAX	256
#define RMEMD_PATH_MAX	108	/* sun_path */

/**
 * struct rmemd_config - everything that can be configured
 * @donate: bytes of memory to serve (required)
 * @slab_size: bytes per slab
 * @listen: "ADDR:PORT" as given
 * @listen_host: ADDR part, without IPv6 brackets
 * @listen_port: PORT part (0 picks a free port, for tests)
 * @session_timeout: seconds a session's slabs outlive its last connection
 * @drain_timeout: on SIGTERM with slabs held, seconds to let clients move
 *	their data away (DRAIN, in PING replies) before exiting; 0: exit at once
 * @hello_timeout: seconds a new connection has to say HELLO
 * @session_quota: slabs one session may hold; 0: no limit
 * @max_clients: connections served at once
 * @max_per_address: TCP connections served at once from one IP address
 * @out_budget: bytes of unsent replies all TCP connections together may
 *	queue (out-budget); 0: no global limit (each connection is still
 *	bounded by RMEMD_OUT_HIGH)
 * @log_level: syslog priority threshold
 * @no_mlock: do not lock the pool in memory
 * @ctl_socket: unix socket for --status
 * @no_rdma: do not listen for RDMA connections
 * @rdma_port: rdma_cm port; 0 means the TCP listener's port
 * @test_drop_type: test only: RMEM_MSG_* type whose reply is dropped once,
 *	0 for none (--test-drop-reply TYPE[:N])
 * @test_drop_nth: which request of that type, from 1
 * @test_drop_off: counting only READs or WRITEs at this offset in their
 *	slab; -1 for all (--test-drop-reply TYPE[:N]@OFFSET)
 * @test_drop_lose: the request itself is lost, not only its reply: never
 *	handled (--test-lose-request, same value as --test-drop-reply)
 * @test_corrupt: test only: on SIGUSR2, flip the lowest bit of the byte at
 *	this offset of every held slab (--test-corrupt OFFSET); -1 for off
 * @test_hostile: test only: mangle about one reply in this many (wrong id,
 *	type, length, flags, magic, status, slab; doubled or never sent); 0 off
 * @test_hostile_rkey: wrong rkeys too (--test-hostile N:rkey)
 * @test_hostile_slab: only SLAB_ALLOC replies, each naming a wrong slab
 *	(--test-hostile N:slab)
 * @test_hostile_early: only WRITEs, each answered before its data is in
 *	(--test-hostile N:early)
 * @auth_none: "auth none": no authentication (labs only); default false,
 *	"auth psk"
 * @key_files: "key-file" paths, one per tenant key, in the order given
 *	(the file's lines, then the flags)
 * @nkey_files: entries in @key_files
 */
struct rmemd_config {
	uint64_t donate;
	uint64_t slab_size;
	char listen[RMEMD_HOST_MAX + 8];
	char listen_host[RMEMD_HOST_MAX];
	uint16_t listen_port;
	uint32_t session_timeout;
	uint32_t drain_timeout;
	uint32_t hello_timeout;
	uint32_t session_quota;
	uint32_t max_clients;
	uint32_t max_per_address;
	uint64_t out_budget;
	int log_level;
	bool no_mlock;
	char ctl_socket[RMEMD_PATH_MAX];
	bool no_rdma;
	uint16_t rdma_port;
	uint8_t test_drop_type;
	uint32_t test_drop_nth;
	int64_t test_drop_off;
	bool test_drop_lose;
	int64_t test_corrupt;
	uint32_t test_hostile;
	bool test_hostile_rkey;
	bool test_hostile_slab;
	bool test_hostile_early;
	bool auth_none;
	char key_files[RMEMD_MAX_KEY_FILES][RMEMD_KEY_PATH_MAX];
	uint32_t nkey_files;
};

struct rmem_auth_key;

void rmemd_config_defaults(struct rmemd_config *c);
int rmemd_config_set(struct rmemd_config *c, const char *key, const char *val,
		     char *err, size_t errlen);
int rmemd_config_parse(struct rmemd_config *c, const char *text, size_t len,
		       const char *fname, char *err, size_t errlen);
int rmemd_config_load(struct rmemd_config *c, const char *path, char *err,
		      size_t errlen);
int rmemd_config_check(const struct rmemd_config *c, char *err, size_t errlen);
bool rmemd_config_key_is_bool(const char *key);
int rmemd_config_load_keys(const struct rmemd_config *c, struct rmem_auth_key *keys,
			   uint32_t *nkeys, char *err, size_t errlen);
bool rmemd_config_same_keys(const struct rmemd_config *a, const struct rmemd_config *b);

int rmemd_parse_size(const char *s, uint64_t *out, const char **why);
int rmemd_parse_u32(const char *s, uint32_t max, uint32_t *out);
int rmemd_parse_drop_reply(const char *s, uint8_t *type, uint32_t *nth, int64_t *off);
int rmemd_parse_listen(const char *s, char *host, size_t hostlen, uint16_t *port,
		       const char **why);
char *rmemd_format_size(uint64_t bytes, char *buf, size_t len);

/**
 * struct rmemd_config_src - where a configuration comes from, kept so that
 * SIGHUP can rebuild it the same way: the file, then the flags on top
 * @path: config file
 * @path_given: --config was used (then the file must exist)
 * @keys: keys set by flags, in order
 * @vals: their values
 * @n: number of flags
 */
#define RMEMD_MAX_FLAGS	48
struct rmemd_config_src {
	const char *path;
	bool path_given;
	const char *keys[RMEMD_MAX_FLAGS];
	const char *vals[RMEMD_MAX_FLAGS];
	int n;
};

int rmemd_config_gather(const struct rmemd_config_src *src, struct rmemd_config *c,
			char *err, size_t errlen);
int rmemd_config_build(const struct rmemd_config_src *src, struct rmemd_config *c,
		       char *err, size_t errlen);

#endif
