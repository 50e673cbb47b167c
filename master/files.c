/*
 * Files the master creates or opens on behalf of its kids, with its
 * privilege: log files and directories (owned by the effective user), the
 * access logs a kid inherits open, the pid file, and -z's cache trees.
 */
#include "config.h"
#include "files.h"
#include "cfg.h"
#include "heritage.h"
#include "log.h"
#include "util.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p of path's directory; new directories go to uid/gid. */
static void
files_mkdir_parent(const char *path, uid_t uid, gid_t gid)
{
	char *dir = xstrdup(path);

	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) == 0 && geteuid() == 0 &&
		    chown(dir, uid, gid) == -1)
			log_warn("chown %s", dir);
		*p = '/';
	}
	free(dir);
}

void
files_set_umask(int mask)
{
	/* umask() is the only way to read the umask: ask once, keep it */
	static int started = -1;

	if (started == -1)
		started = (int)umask((mode_t)mask);
	umask((mode_t)(mask | started) & 0777);
}

int
files_open_log(const char *path, uid_t uid, gid_t gid)
{
	int fd;

	files_mkdir_parent(path, uid, gid);
	/* as Squid's file_open: the umask (cfg umask) takes what it must */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1) {
		log_err("open %s", path);
		return -1;
	}
	if (geteuid() == 0 && strncmp(path, "/dev/", 5) != 0 &&
	    fchown(fd, uid, gid) == -1)
		log_warn("chown %s", path);
	return fd;
}

/*
 * The access logs of the config the next kids run, held open for their
 * heritage: files_access_fds[i] is the i-th access_log line (-1: none, or
 * a file that could not be opened).
 */
static const struct cfg *files_access_cfg;
static int files_access_fds[HERITAGE_ACCESS_LOGS_MAX];
static int files_naccess;

int
files_open_access_logs(const struct cfg *cfg, uid_t uid, gid_t gid)
{
	int failures = 0, i = 0;

	files_close_access_logs();
	for (const struct cfg_access_log *l = cfg->access_logs;
	    l != NULL && i < HERITAGE_ACCESS_LOGS_MAX; l = l->next, i++) {
		files_access_fds[i] = -1;
		if (l->path == NULL)
			continue;
		if ((files_access_fds[i] = files_open_log(l->path, uid,
		    gid)) == -1)
			failures++;
	}
	files_naccess = i;
	files_access_cfg = cfg;
	return failures;
}

void
files_access_logs_heritage(struct heritage *h)
{
	/* a kid gets the logs of the config it runs, never another's */
	assert(h->cfg == files_access_cfg);
	h->naccess_logs = files_naccess;
	for (int i = 0; i < files_naccess; i++)
		h->access_log_fds[i] = files_access_fds[i];
}

void
files_close_access_logs(void)
{
	for (int i = 0; i < files_naccess; i++)
		if (files_access_fds[i] != -1)
			close(files_access_fds[i]);
	files_access_logs_release();
}

void
files_access_logs_release(void)
{
	files_naccess = 0;
	files_access_cfg = NULL;
}

static uid_t files_tree_uid;
static gid_t files_tree_gid;

static int
files_chown_one(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	if (lchown(path, files_tree_uid, files_tree_gid) == -1) {
		log_warn("chown %s", path);
		return -1;
	}
	return 0;
}

int
files_chown_tree(const char *path, uid_t uid, gid_t gid)
{
	if (geteuid() != 0)
		return 0;
	files_tree_uid = uid;
	files_tree_gid = gid;
	return nftw(path, files_chown_one, 16, FTW_PHYS) == 0 ? 0 : -1;
}

pid_t
files_pid_read(const char *path)
{
	FILE *f = fopen(path, "r");
	long pid;

	if (f == NULL) {
		log_err("failed to open %s", path);
		return -1;
	}
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 1) {
		fclose(f);
		log_errx("%s: no valid pid", path);
		return -1;
	}
	fclose(f);
	return (pid_t)pid;
}

int
files_pid_check(const char *path)
{
	FILE *f;
	long pid;

	if (path == NULL || (f = fopen(path, "r")) == NULL)
		return 0;
	if (fscanf(f, "%ld", &pid) == 1 && pid > 1 && pid != getpid() &&
	    kill((pid_t)pid, 0) == 0) {
		fclose(f);
		log_errx("cuttle is already running: found fresh instance "
		    "PID file (%s) with PID %ld", path, pid);
		return -1;
	}
	fclose(f);
	return 0;
}

int
files_pid_write(const char *path)
{
	char tmp[4096], line[32];
	int fd, n;

	if (path == NULL)
		return 0;
	files_mkdir_parent(path, 0, 0);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1) {
		log_err("open pid file %s", tmp);
		return -1;
	}
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (write(fd, line, n) != n || close(fd) == -1 ||
	    rename(tmp, path) == -1) {
		log_err("write pid file %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

void
files_pid_remove(const char *path)
{
	if (path != NULL)
		unlink(path);
}
