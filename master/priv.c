/*
 * Privilege changes.  Kids drop to cache_effective_user with no capability
 * left; the master keeps its uid (it re-binds ports and re-opens logs on
 * reconfigure) but gives up every capability it does not use.
 */
#include "config.h"
#include "priv.h"
#include "log.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

int
priv_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;
	struct group *gr;

	if ((pw = getpwnam(user)) == NULL) {
		log_errx("cache_effective_user '%s' does not exist", user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL) {
			log_errx("cache_effective_group '%s' does not exist",
			    group);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

/* CAP_NET_ADMIN alone, permitted and effective; -1 if not held. */
static int
priv_keep_net_admin(void)
{
	static const cap_value_t na[] = { CAP_NET_ADMIN };
	cap_t caps;
	int rc = -1;

	if ((caps = cap_init()) == NULL)
		return -1;
	if (cap_set_flag(caps, CAP_PERMITTED, 1, na, CAP_SET) == 0 &&
	    cap_set_flag(caps, CAP_EFFECTIVE, 1, na, CAP_SET) == 0 &&
	    cap_set_proc(caps) == 0)
		rc = 0;
	else
		log_warn("tproxy: cannot keep CAP_NET_ADMIN; client addresses "
		    "will not be spoofed");
	cap_free(caps);
	return rc;
}

int
priv_drop(const char *user, const char *group, int net_admin)
{
	uid_t uid;
	gid_t gid;
	cap_t caps;

	if (geteuid() != 0)
		return 0;
	if (priv_lookup(user, group, &uid, &gid) == -1)
		return -1;
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1) {
		log_err("setgid %u", (unsigned)gid);
		return -1;
	}
	/* keep the permitted set across setuid, to keep one capability */
	if (net_admin)
		prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
	if (setresuid(uid, uid, uid) == -1) {
		log_err("setuid %u", (unsigned)uid);
		return -1;
	}
	if (net_admin) {
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
		if (priv_keep_net_admin() == 0)
			goto done;
	}
	if ((caps = cap_init()) == NULL || cap_set_proc(caps) == -1) {
		log_err("clearing capabilities");
		if (caps != NULL)
			cap_free(caps);
		return -1;
	}
	cap_free(caps);
done:
	/* setuid clears the dumpable flag; core files help after a crash */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	return 0;
}

int
priv_limit_master(void)
{
	static const cap_value_t keep[] = {
		CAP_NET_BIND_SERVICE,	/* re-bind low ports on reconfigure */
		CAP_SETUID, CAP_SETGID,	/* kids drop to the effective user */
		CAP_CHOWN, CAP_FOWNER,	/* log and cache directories */
		CAP_DAC_OVERRIDE,	/* open existing logs owned by the user */
		CAP_KILL,		/* signal kids that changed uid */
		CAP_NET_ADMIN,		/* tproxy ports */
		CAP_SETPCAP,		/* kids clear their sets */
		CAP_SYS_RESOURCE,	/* max_filedescriptors */
	};
	cap_value_t have[sizeof(keep) / sizeof(keep[0])];
	cap_flag_value_t v;
	cap_t cur, caps;
	int n = 0, rc = 0;

	if (geteuid() != 0)
		return 0;
	/* keep only what we hold: a container may not grant them all */
	if ((cur = cap_get_proc()) == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (cap_get_flag(cur, keep[i], CAP_PERMITTED, &v) == 0 &&
		    v == CAP_SET)
			have[n++] = keep[i];
	cap_free(cur);
	if ((caps = cap_init()) == NULL)
		return -1;
	if (n > 0 && (cap_set_flag(caps, CAP_PERMITTED, n, have,
	    CAP_SET) == -1 || cap_set_flag(caps, CAP_EFFECTIVE, n, have,
	    CAP_SET) == -1))
		rc = -1;
	if (rc == 0 && cap_set_proc(caps) == -1)
		rc = -1;
	if (rc == -1)
		log_err("limiting master capabilities");
	cap_free(caps);
	return rc;
}

void
priv_die_with(pid_t master)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	if (getppid() != master)
		kill(getpid(), SIGTERM);
}
