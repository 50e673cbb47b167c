/*
 * Linux has no setproctitle(3): /proc/PID/cmdline, which ps shows, is read
 * from the memory where the kernel placed argv's strings, followed by
 * environ's.  So the title is written over that memory, as nginx and
 * OpenSSH do.  Before that, environ moves to the heap (getenv keeps
 * working) and argv's strings are copied, because getopt's optarg and the
 * config path point into them.  The title is NUL-padded to the end of the
 * claimed memory, so no old argument shows through behind it.
 */
#include "config.h"
#include "proctitle.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

extern char **environ;

static char *proctitle_area;	/* argv[0]'s original memory */
static size_t proctitle_size;	/* up to the end of the last string in it */

void
proctitle_init(int argc, char **argv)
{
	char *end;
	int n;

	if (argc < 1 || argv[0] == NULL)
		return;
	/* the strings the kernel laid out back to back */
	end = argv[0] + strlen(argv[0]) + 1;
	for (int i = 1; i < argc && argv[i] == end; i++)
		end = argv[i] + strlen(argv[i]) + 1;
	for (n = 0; environ != NULL && environ[n] != NULL; n++)
		if (environ[n] == end)
			end = environ[n] + strlen(environ[n]) + 1;

	char **env = xcalloc((size_t)n + 1, sizeof(*env));
	for (int i = 0; i < n; i++)
		env[i] = xstrdup(environ[i]);
	environ = env;

	proctitle_area = argv[0];
	proctitle_size = (size_t)(end - argv[0]);
	for (int i = 0; i < argc; i++)
		argv[i] = xstrdup(argv[i]);
}

void
proctitle_set(const char *fmt, ...)
{
	char title[1024];
	va_list ap;
	int n;

	if (proctitle_area == NULL || proctitle_size < 2)
		return;
	n = snprintf(title, sizeof(title), "cuttle: ");
	va_start(ap, fmt);
	vsnprintf(title + n, sizeof(title) - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = strlen(title);
	if (len > proctitle_size - 1)
		len = proctitle_size - 1;
	memcpy(proctitle_area, title, len);
	memset(proctitle_area + len, '\0', proctitle_size - len);
}
