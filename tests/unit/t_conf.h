/*
 * Helpers shared by the config unit tests (t_conf.c and t_conf_directives.c):
 * each test writes a small config to a private temp directory and loads it
 * with cfg_load(), the log pointed at a temp file so that the exact messages
 * can be checked along with the error count and the values in struct cfg.
 */
/* static inline: a test that does not call one of them builds quietly */
#ifndef CUTTLE_T_CONF_H
#define CUTTLE_T_CONF_H

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"

static char tdir[64];
static char logpath[128];
static char logtext[65536];	/* what the last load logged */

static inline const char *
tpath(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tdir, name);
	return buf[i];
}

static inline void
write_file(const char *name, const char *text)
{
	FILE *f = fopen(tpath(name), "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(name);
		exit(1);
	}
}

/* Load path, capturing the log; returns the error count. */
static inline int
load_path(struct cfg *cfg, const char *path, int process_number)
{
	int fd, n;
	ssize_t len;

	if ((fd = open(logpath, O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1) {
		perror(logpath);
		exit(1);
	}
	log_set_fd(fd);
	n = cfg_load(cfg, path, process_number);
	log_set_fd(2);
	len = pread(fd, logtext, sizeof(logtext) - 1, 0);
	logtext[len > 0 ? len : 0] = '\0';
	close(fd);
	return n;
}

/* Write text to name and load it. */
static inline int
load(struct cfg *cfg, const char *name, const char *text, int process_number)
{
	write_file(name, text);
	return load_path(cfg, tpath(name), process_number);
}

/* Load text, expect errors, then free. */
static inline int
load_free(const char *text)
{
	struct cfg cfg;
	int n = load(&cfg, "t.conf", text, 0);

	cfg_free(&cfg);
	return n;
}

static inline int
logged(const char *fmt, ...)
{
	char want[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	if (strstr(logtext, want) != NULL)
		return 1;
	printf("# wanted in log: %s\n# log was:\n%s", want, logtext);
	return 0;
}

static inline int
count_lines(const char *needle)
{
	int n = 0;

	for (const char *p = logtext; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* Log as prog and make the temp directory; 0, or -1 after saying why. */
static inline int
t_conf_setup(const char *prog)
{
	log_init(prog, 0);
	snprintf(tdir, sizeof(tdir), "/tmp/t_conf.XXXXXX");
	if (mkdtemp(tdir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(logpath, sizeof(logpath), "%s/log", tdir);
	return 0;
}

static inline void
t_conf_cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tdir);
}

#endif
