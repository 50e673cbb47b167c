/*
 * Renaming logs for `-k rotate`.  Writers keep their descriptors until they
 * reopen, so a rename loses no line: they finish the old file, then the
 * reopen creates the new one.
 */
#include "config.h"
#include "logfile.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void
logfile_rotate(const char *path, int n)
{
	char from[4096], to[4096];

	if (n <= 0 || strncmp(path, "/dev/", 5) == 0)
		return;
	for (int i = n - 2; i >= 0; i--) {
		snprintf(from, sizeof(from), "%s.%d", path, i);
		snprintf(to, sizeof(to), "%s.%d", path, i + 1);
		if (rename(from, to) == -1 && errno != ENOENT)
			log_warn("rotate %s to %s", from, to);
	}
	snprintf(to, sizeof(to), "%s.0", path);
	if (rename(path, to) == -1 && errno != ENOENT)
		log_warn("rotate %s", path);
}
