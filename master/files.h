/*
 * Privileged file work done by the master: cache.log, the pid file, log
 * files and directories created with the effective user as owner.
 */
#ifndef CUTTLE_FILES_H
#define CUTTLE_FILES_H

#include <sys/types.h>

struct cfg;

/* Open (create) path for appending; chown to uid/gid when root. */
int files_open_log(const char *path, uid_t uid, gid_t gid);
/* Create the logs of cfg so that kids running as the user can open them. */
int files_prepare_logs(const struct cfg *cfg, uid_t uid, gid_t gid);
/* chown -R path (when root); -1 on error, logged. */
int files_chown_tree(const char *path, uid_t uid, gid_t gid);

/* Pid file: -1 and a FATAL-style message if another instance runs. */
int files_pid_check(const char *path);
int files_pid_write(const char *path);
void files_pid_remove(const char *path);
pid_t files_pid_read(const char *path);	/* -1 on error, logged */

#endif
