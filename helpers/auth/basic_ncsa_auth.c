/*
 * basic_ncsa_auth: Squid's basic auth helper for NCSA (htpasswd) files,
 * answering byte for byte as Squid 5.7's does (squid-compat.md 7.2).  It
 * reads "USER PASSWORD" lines on stdin and answers "OK " or "ERR <why>";
 * the password file is read on the first request and again whenever its
 * mtime changes.  Like Squid's, it takes no channel IDs (concurrency=0),
 * and its messages go straight to stderr, in Squid's words, rather than
 * through cuttle's log module.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "crash.h"
#include "passwd_check.h"
#include "util.h"

#define NCSA_BUCKETS	1024

struct ncsa_user {
	struct ncsa_user	*next;
	char			*name;
	char			*hash;
};

static struct ncsa_user *ncsa_users[NCSA_BUCKETS];

static unsigned int
ncsa_bucket(const char *name)
{
	unsigned int h = 2166136261u;

	while (*name != '\0')
		h = (h ^ (unsigned char)*name++) * 16777619u;
	return h % NCSA_BUCKETS;
}

static struct ncsa_user *
ncsa_find(const char *name)
{
	struct ncsa_user *u;

	for (u = ncsa_users[ncsa_bucket(name)]; u != NULL; u = u->next)
		if (strcmp(u->name, name) == 0)
			return u;
	return NULL;
}

static void
ncsa_clear(void)
{
	struct ncsa_user *u, *next;
	int i;

	for (i = 0; i < NCSA_BUCKETS; i++) {
		for (u = ncsa_users[i]; u != NULL; u = next) {
			next = u->next;
			free(u->name);
			free(u->hash);
			free(u);
		}
		ncsa_users[i] = NULL;
	}
}

/* A later line for the same user replaces the earlier one. */
static void
ncsa_set(const char *name, const char *hash)
{
	struct ncsa_user *u;
	unsigned int b;

	if ((u = ncsa_find(name)) != NULL) {
		free(u->hash);
		u->hash = xstrdup(hash);
		return;
	}
	b = ncsa_bucket(name);
	u = xcalloc(1, sizeof(*u));
	u->name = xstrdup(name);
	u->hash = xstrdup(hash);
	u->next = ncsa_users[b];
	ncsa_users[b] = u;
}

/*
 * Squid reads the file in fgets() chunks one byte shorter than its request
 * buffer allows, so an over-long line goes on as a new line: kept as is.
 */
static void
ncsa_read(const char *path)
{
	char buf[PASSWD_CHECK_BUF], *user, *hash;
	unsigned int lineno = 0;
	FILE *f;
	int err;

	ncsa_clear();
	if ((f = fopen(path, "r")) == NULL) {
		err = errno;
		fprintf(stderr, "FATAL: %s: (%d) %s\n", path, err, strerror(err));
		exit(EXIT_FAILURE);
	}
	while (fgets(buf, sizeof(buf) - 1, f) != NULL) {
		lineno++;
		switch (passwd_check_file_line(buf, &user, &hash)) {
		case PASSWD_LINE_ENTRY:
			ncsa_set(user, hash);
			break;
		case PASSWD_LINE_NO_USER:
			fprintf(stderr, "ERROR: Missing user name at %s line %u\n",
			    path, lineno);
			break;
		case PASSWD_LINE_SKIP:
			break;
		}
	}
	fclose(f);
}

static void
ncsa_reply(const char *s)
{
	fputs(s, stdout);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	char buf[PASSWD_CHECK_BUF], *user, *pass, *nl;
	time_t mtime = -1;
	struct ncsa_user *u;
	struct stat sb;

	crash_handler_install("basic_ncsa_auth", 0);
	if (argc != 2) {
		fprintf(stderr, "Usage: ncsa_auth <passwordfile>\n");
		return EXIT_FAILURE;
	}
	if (stat(argv[1], &sb) != 0) {
		fprintf(stderr, "FATAL: cannot stat %s\n", argv[1]);
		return EXIT_FAILURE;
	}
	/* A line longer than the buffer is answered piece by piece, as Squid's is. */
	while (fgets(buf, sizeof(buf), stdin) != NULL) {
		if ((nl = strchr(buf, '\n')) != NULL)
			*nl = '\0';
		/* A file that vanished keeps the users last read from it. */
		if (stat(argv[1], &sb) == 0 && sb.st_mtime != mtime) {
			ncsa_read(argv[1]);
			mtime = sb.st_mtime;
		}
		if (passwd_check_request(buf, &user, &pass) == -1) {
			ncsa_reply("ERR \n");
			continue;
		}
		if ((u = ncsa_find(user)) == NULL) {
			ncsa_reply("ERR No such user\n");
			continue;
		}
		switch (passwd_check_verify(u->hash, pass)) {
		case PASSWD_CHECK_OK:
			ncsa_reply("OK \n");
			break;
		case PASSWD_CHECK_TOO_LONG:
			ncsa_reply("ERR Password too long. "
			    "Only 8 characters accepted.\n");
			break;
		case PASSWD_CHECK_WRONG:
			ncsa_reply("ERR Wrong password\n");
			break;
		}
	}
	return EXIT_SUCCESS;
}
