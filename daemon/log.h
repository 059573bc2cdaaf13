/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmemd logging: syslog (default) or stderr, with a level threshold that
 * SIGHUP can change, and a small rate limiter for hot paths.
 */
#ifndef RMEMD_LOG_H
#define RMEMD_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#define RMEMD_LOG_OFF	(-1)	/* tests and fuzzers: print nothing */

void rmemd_log_init(bool to_stderr, int level);
void rmemd_log_set_level(int level);
int rmemd_log_get_level(void);
void rmemd_log_close(void);
void rmemd_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *rmemd_log_level_name(int level);
int rmemd_log_level_parse(const char *s);

/**
 * struct rmemd_ratelimit - at most @burst messages per @interval_ms
 */
struct rmemd_ratelimit {
	uint64_t interval_ms;
	uint32_t burst;
	uint64_t start_ms;
	uint32_t printed;
	uint32_t missed;
};

#define RMEMD_RATELIMIT_INIT(ms, n) { .interval_ms = (ms), .burst = (n) }

bool rmemd_ratelimit_ok(struct rmemd_ratelimit *rl, uint64_t now_ms);

#define log_err(...)	rmemd_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	rmemd_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	rmemd_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	rmemd_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	rmemd_log(LOG_DEBUG, __VA_ARGS__)

#endif
