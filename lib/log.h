/*
 * cache.log writer: the one logging API of every cuttle process.  Lines have
 * Squid's shape, "YYYY/MM/DD HH:MM:SS[.mmm][ kidN]| message", and debug lines
 * are gated per section by debug_options ("ALL,1 33,2").
 */
#ifndef CUTTLE_LOG_H
#define CUTTLE_LOG_H

#include <stdarg.h>

#define LOG_SECTIONS 100	/* Squid debug sections are 0..99 */

/* Where lines go: a file descriptor (cache.log, or stderr before it opens). */
void log_init(const char *progname, int kid);	/* kid 0: no "kidN" tag */
void log_set_fd(int fd);
int log_get_fd(void);
void log_set_stderr_level(int level);	/* -d LEVEL: copy levels <= LEVEL to stderr */
int log_set_debug_options(const char *spec);	/* -1 on a malformed spec */
/* A config's debug_options (NULL: Squid's default ALL,1); warns if bad. */
void log_apply_debug_options(const char *spec);
int log_level_enabled(int section, int level);
/* -k debug (SIGUSR2): ALL,7, or back to the configured debug_options. */
void log_toggle_full_debug(const char *configured);
/* After a rotate: cache.log at path again (nothing when writing to stderr). */
int log_reopen(const char *path);

void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* A broken invariant: log it, then abort() so the crash report shows where. */
void log_bug(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* An invariant checked in release builds too (log_bug when broken). */
#define log_check(cond) do {						\
	if (!(cond))							\
		log_bug("%s:%d: %s", __FILE__, __LINE__, #cond);	\
} while (0)
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug_impl(int section, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

extern int log_debug_max;
/* Arguments are evaluated only when the line will be written. */
#define log_debug(section, level, ...) do { \
	if ((level) <= log_debug_max && \
	    log_level_enabled((section), (level))) \
		log_debug_impl((section), (level), __VA_ARGS__); \
} while (0)

#endif
