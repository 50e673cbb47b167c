/*
 * cache.log writer.  Every process writes whole lines with one write(2) to an
 * O_APPEND descriptor, so lines of several kids never interleave.
 */
#include "config.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int log_fd = 2;
static int log_kid;
static int log_stderr_level = -1;
static int log_levels[LOG_SECTIONS];
/* the highest level any section or stderr shows: log_debug's fast test */
int log_debug_max = 1;

static void
log_update_max(void)
{
	int max = log_stderr_level;

	for (int i = 0; i < LOG_SECTIONS; i++)
		if (log_levels[i] > max)
			max = log_levels[i];
	log_debug_max = max;
}
static int log_precise;		/* some section above level 1: add .mmm */
static int log_full_debug;	/* -k debug turned ALL,7 on */

void
log_init(const char *progname, int kid)
{
	static int done;

	(void)progname;
	log_kid = kid;
	/* a forked kid keeps the debug_options its parent applied */
	if (done)
		return;
	done = 1;
	for (int i = 0; i < LOG_SECTIONS; i++)
		log_levels[i] = 1;
	log_update_max();
}

void
log_set_fd(int fd)
{
	log_fd = fd;
}

int
log_get_fd(void)
{
	return log_fd;
}

void
log_set_stderr_level(int level)
{
	log_stderr_level = level;
	log_update_max();
}

int
log_set_debug_options(const char *spec)
{
	int levels[LOG_SECTIONS];
	char *copy, *tok, *save;

	for (int i = 0; i < LOG_SECTIONS; i++)
		levels[i] = 1;
	if ((copy = strdup(spec)) == NULL)
		return -1;
	for (tok = strtok_r(copy, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		char *comma = strchr(tok, ',');
		char *end;
		long level, section;

		if (strncmp(tok, "rotate=", 7) == 0)
			continue;
		if (comma == NULL) {
			free(copy);
			return -1;
		}
		*comma = '\0';
		level = strtol(comma + 1, &end, 10);
		if (*end != '\0' || level < 0 || level > 9) {
			free(copy);
			return -1;
		}
		if (strcmp(tok, "ALL") == 0) {
			for (int i = 0; i < LOG_SECTIONS; i++)
				levels[i] = (int)level;
			continue;
		}
		section = strtol(tok, &end, 10);
		if (*end != '\0' || section < 0 || section >= LOG_SECTIONS) {
			free(copy);
			return -1;
		}
		levels[section] = (int)level;
	}
	free(copy);
	log_precise = 0;
	for (int i = 0; i < LOG_SECTIONS; i++) {
		log_levels[i] = levels[i];
		if (levels[i] > 1)
			log_precise = 1;
	}
	log_update_max();
	return 0;
}

void
log_apply_debug_options(const char *spec)
{
	log_full_debug = 0;
	if (log_set_debug_options(spec != NULL ? spec : "ALL,1") == -1)
		log_warnx("debug_options: cannot parse '%s'", spec);
}

/*
 * Squid's sigusr2_handle: "full debugging" is ALL,7, not 9.  The state is a
 * plain static so that a kid forked while it is on starts with it on and
 * turns it off on the same signal as its siblings.
 */
void
log_toggle_full_debug(const char *configured)
{
	if (!log_full_debug) {
		log_set_debug_options("ALL,7");
		log_full_debug = 1;
		log_info("Full debugging (ALL,7) on");
	} else {
		log_apply_debug_options(configured);
		log_info("Full debugging off: debug_options %s",
		    configured != NULL ? configured : "ALL,1");
	}
}

int
log_reopen(const char *path)
{
	if (path == NULL || log_fd == 2)
		return 0;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1) {
		log_err("reopen cache_log %s; still writing the old file", path);
		return -1;
	}
	close(log_fd);
	log_fd = fd;
	return 0;
}

int
log_level_enabled(int section, int level)
{
	if (section < 0 || section >= LOG_SECTIONS)
		section = 0;
	return level <= log_levels[section] || level <= log_stderr_level;
}

static void
log_vwrite(int level, const char *prefix, int with_errno, int section,
    const char *fmt, va_list ap)
{
	char line[8192];
	struct timeval tv;
	struct tm tm;
	size_t n;
	int saved = errno;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y/%m/%d %H:%M:%S", &tm);
	if (log_precise)
		n += snprintf(line + n, sizeof(line) - n, ".%03d",
		    (int)(tv.tv_usec / 1000));
	if (log_kid > 0)
		n += snprintf(line + n, sizeof(line) - n, " kid%d", log_kid);
	n += snprintf(line + n, sizeof(line) - n, "| ");
	if (level > 1)
		n += snprintf(line + n, sizeof(line) - n, "%d,%d| ", section,
		    level);
	if (prefix != NULL)
		n += snprintf(line + n, sizeof(line) - n, "%s", prefix);
	if (n < sizeof(line))
		n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (with_errno && n < sizeof(line))
		n += snprintf(line + n, sizeof(line) - n, ": %s",
		    strerror(saved));
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(log_fd, line, n) < 0) {
		/* nowhere left to report it */
	}
	if (log_fd != 2 && level <= log_stderr_level && write(2, line, n) < 0) {
		/* nowhere left to report it */
	}
	errno = saved;
}

/* then: what follows the line (nothing, or how the process ends). */
#define LOG_FN(name, level, prefix, with_errno, then) \
void name(const char *fmt, ...) \
{ \
	va_list ap; \
	va_start(ap, fmt); \
	log_vwrite(level, prefix, with_errno, 0, fmt, ap); \
	va_end(ap); \
	then; \
}

LOG_FN(log_err, 0, "ERROR: ", 1, (void)0)
LOG_FN(log_errx, 0, "ERROR: ", 0, (void)0)
LOG_FN(log_warn, 0, "WARNING: ", 1, (void)0)
LOG_FN(log_warnx, 0, "WARNING: ", 0, (void)0)
LOG_FN(log_info, 1, NULL, 0, (void)0)
LOG_FN(fatal, 0, "FATAL: ", 1, exit(1))
LOG_FN(fatalx, 0, "FATAL: ", 0, exit(1))
/* abort(), not exit(): the crash report's backtrace shows where */
LOG_FN(log_bug, 0, "FATAL: BUG: ", 0, abort())

void
log_debug_impl(int section, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, NULL, 0, section, fmt, ap);
	va_end(ap);
}
