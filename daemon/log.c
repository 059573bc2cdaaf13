// SPDX-License-Identifier: GPL-2.0
/*
 * rmemd logging. The daemon is single-threaded, so the state below needs no
 * locking.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

static bool log_stderr = true;
static int log_level = LOG_INFO;
static bool log_opened;

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "err", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

/**
 * rmemd_log_init() - choose the log destination and threshold
 * @to_stderr: print to stderr instead of syslog
 * @level: highest syslog priority printed (LOG_ERR .. LOG_DEBUG), or
 *	RMEMD_LOG_OFF
 */
void rmemd_log_init(bool to_stderr, int level)
{
	log_stderr = to_stderr;
	log_level = level;
	if (!to_stderr && !log_opened) {
		openlog("rmemd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_opened = true;
	}
}

/**
 * rmemd_log_set_level() - change the threshold (SIGHUP)
 * @level: syslog priority
 */
void rmemd_log_set_level(int level)
{
	log_level = level;
}

/**
 * rmemd_log_get_level() - current threshold
 *
 * Return: syslog priority.
 */
int rmemd_log_get_level(void)
{
	return log_level;
}

/**
 * rmemd_log_close() - close syslog at exit
 */
void rmemd_log_close(void)
{
	if (log_opened)
		closelog();
	log_opened = false;
}

/**
 * rmemd_log_level_name() - name of a syslog priority
 * @level: priority
 *
 * Return: "err", "info"...
 */
const char *rmemd_log_level_name(int level)
{
	if (level < 0 || level > LOG_DEBUG)
		return "off";
	return level_names[level];
}

/**
 * rmemd_log_level_parse() - parse a level name or number
 * @s: "err", "warning", "notice", "info", "debug" or 0..7
 *
 * Return: the priority, or -1 when @s is not a level.
 */
int rmemd_log_level_parse(const char *s)
{
	if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
		return s[0] - '0';
	for (int i = 0; i <= LOG_DEBUG; i++)
		if (!strcasecmp(s, level_names[i]))
			return i;
	if (!strcasecmp(s, "warn"))
		return LOG_WARNING;
	if (!strcasecmp(s, "error"))
		return LOG_ERR;
	return -1;
}

/**
 * rmemd_log() - log one line
 * @prio: syslog priority
 * @fmt: printf format, without a trailing newline
 */
void rmemd_log(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio > log_level)
		return;
	va_start(ap, fmt);
	if (log_stderr) {
		char line[1024];

		vsnprintf(line, sizeof(line), fmt, ap);
		fprintf(stderr, "rmemd[%d]: %s: %s\n", (int)getpid(),
			rmemd_log_level_name(prio), line);
	} else {
		vsyslog(prio, fmt, ap);
	}
	va_end(ap);
}

/**
 * rmemd_ratelimit_ok() - may a rate-limited message be printed now?
 * @rl: limiter state
 * @now_ms: monotonic time
 *
 * Return: true to print. When a new interval starts after suppressed
 * messages, says how many were suppressed.
 */
bool rmemd_ratelimit_ok(struct rmemd_ratelimit *rl, uint64_t now_ms)
{
	if (!rl->start_ms || now_ms - rl->start_ms >= rl->interval_ms) {
		if (rl->missed)
			log_warn("%u messages suppressed", rl->missed);
		rl->start_ms = now_ms ? now_ms : 1;
		rl->printed = 0;
		rl->missed = 0;
	}
	if (rl->printed < rl->burst) {
		rl->printed++;
		return true;
	}
	rl->missed++;
	return false;
}
