/*
 * Privileged file work done by the master: cache.log, the pid file, log
 * files and directories created with the effective user as owner, and the
 * access logs it opens for its kids (they arrive open in the heritage).
 */
#ifndef CUTTLE_FILES_H
#define CUTTLE_FILES_H

#include <sys/types.h>

struct cfg;
struct heritage;

/*
 * The umask directive: the umask the proxy started with, or'ed with mask,
 * for every file the master and the kids it forks from now on create (as
 * Squid's setUmask, at start and at each reconfigure).
 */
void files_set_umask(int mask);
/* Open (create) path for appending; chown to uid/gid when root. */
int files_open_log(const char *path, uid_t uid, gid_t gid);
/*
 * Open (create, owned by uid/gid) the access logs of cfg and hold them for
 * the heritage of the kids that run cfg, closing those held before: at
 * start-up, for a new generation, after a rotation.  Returns how many
 * files failed (logged); their kids get -1 and log nothing there.
 */
int files_open_access_logs(const struct cfg *cfg, uid_t uid, gid_t gid);
/* Copy the held descriptors into h (h->cfg must be the config held). */
void files_access_logs_heritage(struct heritage *h);
/* Close the held descriptors: in a child that writes no access.log. */
void files_close_access_logs(void);
/* Forget them without closing: -N's worker owns them now. */
void files_access_logs_release(void);
/* chown -R path (when root); -1 on error, logged. */
int files_chown_tree(const char *path, uid_t uid, gid_t gid);

/* Pid file: -1 and a FATAL-style message if another instance runs. */
int files_pid_check(const char *path);
int files_pid_write(const char *path);
void files_pid_remove(const char *path);
pid_t files_pid_read(const char *path);	/* -1 on error, logged */

#endif
