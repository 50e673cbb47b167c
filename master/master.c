/*
 * Supervision.  Signals are blocked and taken synchronously with
 * sigtimedwait, so the loop is a plain sequence: wait for a signal or the
 * next respawn time, act, repeat.  Every signal `cuttle -k` sends is in the
 * set (SIGKILL aside), so none of them can end the master unannounced and
 * leave a stale pid file.  A reconfigure starts a new worker
 * generation on the new config and tells the old one to retire (stop
 * accepting, finish its connections, exit), so no connection is dropped.
 */
#include "config.h"
#include "master.h"
#include "affinity.h"
#include "cfg.h"
#include "files.h"
#include "kid.h"
#include "memcache.h"
#include "listen.h"
#include "log.h"
#include "logfile.h"
#include "priv.h"
#include "proctitle.h"
#include "stores.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MASTER_MAX_KIDS		MASTER_KID_SLOTS
#define MASTER_BACKOFF_MAX_MS	30000
#define MASTER_FAST_DEATH_MS	5000

static struct kid master_kids[MASTER_MAX_KIDS];
static int master_nkids;
static int master_generation;
static struct memcache *master_memcache;	/* shared by all kids, or NULL */

static struct kid *
master_kid_slot(void)
{
	for (int i = 0; i < master_nkids; i++)
		if (master_kids[i].pid == 0 && master_kids[i].cfg == NULL)
			return &master_kids[i];
	if (master_nkids == MASTER_MAX_KIDS)
		return NULL;
	return &master_kids[master_nkids++];
}

static void
master_spawn(struct kid *k)
{
	k->started_ms = (int64_t)util_now_ms();
	k->pid = kid_spawn_worker(k, master_memcache);
	if (k->pid == -1) {
		k->pid = 0;
		k->restart_at_ms = k->started_ms + 1000;
	}
}

static void
master_start_generation(struct cfg *cfg)
{
	int n = cfg->workers > 0 ? cfg->workers : 1;

	master_generation++;
	for (int i = 1; i <= n; i++) {
		struct kid *k = master_kid_slot();
		if (k == NULL) {
			log_errx("too many kids; not starting kid%d", i);
			break;
		}
		memset(k, 0, sizeof(*k));
		k->number = i;
		k->slot = (int)(k - master_kids) + 1;
		k->generation = master_generation;
		k->cfg = cfg;
		master_spawn(k);
	}
}

static void
master_signal_kids(int sig, int only_old)
{
	for (int i = 0; i < master_nkids; i++) {
		struct kid *k = &master_kids[i];
		if (k->pid == 0)
			continue;
		if (only_old && k->generation == master_generation)
			continue;
		kill(k->pid, sig);
	}
}

static int
master_running_kids(void)
{
	int n = 0;

	for (int i = 0; i < master_nkids; i++)
		if (master_kids[i].pid != 0)
			n++;
	return n;
}

/* A config is freed once no kid runs it any more. */
static void
master_release_cfg(struct cfg *cfg, struct cfg *current)
{
	if (cfg == current || stores_uses_cfg(cfg))
		return;
	for (int i = 0; i < master_nkids; i++)
		if (master_kids[i].cfg == cfg)
			return;
	listen_close_unused(cfg, current);
	cfg_free(cfg);
	free(cfg);
}

static void
master_reap(struct cfg *current, int shutting_down)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct kid *k = NULL;
		if (stores_reaped(pid, status))
			continue;
		for (int i = 0; i < master_nkids; i++)
			if (master_kids[i].pid == pid)
				k = &master_kids[i];
		if (k == NULL)
			continue;
		k->pid = 0;
		/* its pins in the shared memory cache die with it */
		if (master_memcache != NULL)
			memcache_reap(master_memcache, k->slot);
		/* and its cache manager sections: the page skips it */
		kid_mgr_share_reaped(k->slot);
		kid_stat_share_reaped(k->slot);
		int64_t now = (int64_t)util_now_ms();
		int old = k->generation != master_generation;
		if (WIFSIGNALED(status))
			log_info("kid%d (pid %ld) exited due to signal %d%s",
			    k->number, (long)pid, WTERMSIG(status),
			    old || shutting_down ? "" : "; restarting");
		else if (old || shutting_down)
			log_info("kid%d (pid %ld) exited with status %d",
			    k->number, (long)pid, WEXITSTATUS(status));
		else
			log_warnx("kid%d (pid %ld) exited with status %d; "
			    "restarting", k->number, (long)pid,
			    WEXITSTATUS(status));
		if (old || shutting_down) {
			struct cfg *c = k->cfg;
			k->cfg = NULL;
			master_release_cfg(c, current);
			continue;
		}
		/* back-off doubles for each death soon after start */
		if (now - k->started_ms < MASTER_FAST_DEATH_MS)
			k->fast_deaths++;
		else
			k->fast_deaths = 0;
		int64_t delay = 0;
		if (k->fast_deaths > 0) {
			delay = 250LL << (k->fast_deaths > 7 ? 7 : k->fast_deaths);
			if (delay > MASTER_BACKOFF_MAX_MS)
				delay = MASTER_BACKOFF_MAX_MS;
		}
		k->restart_at_ms = now + delay;
	}
}

static int64_t
master_respawn_due(void)
{
	int64_t now = (int64_t)util_now_ms(), next = -1;

	for (int i = 0; i < master_nkids; i++) {
		struct kid *k = &master_kids[i];
		if (k->pid != 0 || k->cfg == NULL ||
		    k->generation != master_generation)
			continue;
		if (k->restart_at_ms <= now) {
			master_spawn(k);
			if (k->pid != 0)
				continue;
		}
		if (next == -1 || k->restart_at_ms < next)
			next = k->restart_at_ms;
	}
	return next == -1 ? -1 : next - now;
}

/* Who owns the log files the master creates: the kids' user. */
static void
master_log_owner(const struct cfg *cfg, uid_t *uid, gid_t *gid)
{
	*uid = geteuid();
	*gid = getegid();
	if (geteuid() == 0)
		priv_lookup(cfg->effective_user, cfg->effective_group, uid,
		    gid);
}

static struct cfg *
master_reconfigure(struct cfg *cfg, const char *path)
{
	struct cfg *fresh = xcalloc(1, sizeof(*fresh));

	log_info("Reconfiguring cuttle from %s", path);
	if (cfg_load(fresh, path, 0) != 0) {
		log_errx("reconfigure: %s has errors; keeping the running "
		    "configuration", path);
		cfg_free(fresh);
		free(fresh);
		return cfg;
	}
	/*
	 * What only start-up applies (the memory cache, the stores, the kids'
	 * user, the pid file ...) keeps its running value, so that the new
	 * generation and a later rotate or shutdown see what is in effect.
	 */
	cfg_restart_keep(fresh, cfg, cfg_restart_log, NULL);
	if (listen_bind_all(fresh, cfg) != 0) {
		log_errx("reconfigure: cannot bind the new ports; keeping the "
		    "running configuration");
		/* give back what the new config took over */
		for (struct cfg_port *p = fresh->ports; p; p = p->next)
			for (struct cfg_port *o = cfg->ports; o; o = o->next)
				if (p->fd != -1 && o->fd == -1 &&
				    p->addrlen == o->addrlen &&
				    memcmp(&p->addr, &o->addr, p->addrlen) == 0) {
					o->fd = p->fd;
					p->fd = -1;
				}
		listen_close_unused(fresh, cfg);
		cfg_free(fresh);
		free(fresh);
		return cfg;
	}
	log_apply_debug_options(fresh->debug_options);
	files_set_umask(fresh->umask);	/* the new generation's files */
	affinity_check(fresh, fresh->workers);
	/*
	 * The new generation inherits fresh's access logs (failures are
	 * logged; that kid then writes no line there, as before).  Kids of
	 * the old one keep the descriptors they were given.
	 */
	uid_t uid;
	gid_t gid;
	master_log_owner(fresh, &uid, &gid);
	files_open_access_logs(fresh, uid, gid);
	kid_auth_share_configure(fresh);
	master_start_generation(fresh);
	master_signal_kids(SIGHUP, 1);	/* old generation: retire */
	for (int i = 0; i < master_nkids; i++)
		if (master_kids[i].generation != master_generation &&
		    master_kids[i].pid != 0)
			master_kids[i].retiring = 1;
	/* the old config is freed when its last kid exits */
	int old_running = 0;
	for (int i = 0; i < master_nkids; i++)
		if (master_kids[i].cfg == cfg)
			old_running = 1;
	if (!old_running && !stores_uses_cfg(cfg)) {
		listen_close_unused(cfg, fresh);
		cfg_free(cfg);
		free(cfg);
	}
	/* kids of dead old-generation slots no longer respawn */
	for (int i = 0; i < master_nkids; i++)
		if (master_kids[i].pid == 0 && master_kids[i].cfg != NULL &&
		    master_kids[i].generation != master_generation)
			master_kids[i].cfg = NULL;
	return fresh;
}

static void
master_rotate(struct cfg *cfg)
{
	uid_t uid;
	gid_t gid;
	master_log_owner(cfg, &uid, &gid);
	log_info("Rotating logs");
	/* the new cache.log belongs to the kids' user, who reopen it too */
	if (cfg->cache_log != NULL && log_get_fd() != 2) {
		logfile_rotate(cfg->cache_log, cfg->logfile_rotate);
		int fd = files_open_log(cfg->cache_log, uid, gid);
		if (fd != -1) {
			close(log_get_fd());
			log_set_fd(fd);
		}
	}
	for (struct cfg_access_log *l = cfg->access_logs; l; l = l->next)
		if (l->path != NULL)
			logfile_rotate(l->path, cfg->logfile_rotate);
	/*
	 * Kids may not create files where the logs live: make them here.
	 * Running kids reopen them by name; kids started from now on
	 * inherit these descriptors instead of the renamed files'.
	 */
	files_open_access_logs(cfg, uid, gid);
	master_signal_kids(SIGUSR1, 0);	/* kids reopen their logs */
	stores_signal(SIGUSR1);		/* stores reopen cache.log */
}

int
master_run(struct cfg *cfg, const char *path, struct memcache *mc)
{
	sigset_t set;
	int shutting_down = 0, status = 0;
	int64_t deadline = -1;

	master_memcache = mc;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTTIN);
	sigprocmask(SIG_BLOCK, &set, NULL);

	proctitle_set("master");
	master_start_generation(cfg);
	for (;;) {
		int64_t wait_ms = master_respawn_due();
		int respawned;
		int64_t store_ms = shutting_down ? -1 :
		    stores_respawn_due(&respawned);
		if (!shutting_down && respawned) {
			/* the workers' sockets to that store died with it */
			master_start_generation(cfg);
			master_signal_kids(SIGHUP, 1);
		}
		if (store_ms >= 0 && (wait_ms < 0 || store_ms < wait_ms))
			wait_ms = store_ms;
		struct timespec ts;
		siginfo_t si;

		if (shutting_down) {
			if (master_running_kids() == 0)
				break;
			int64_t left = deadline - (int64_t)util_now_ms();
			if (left <= 0) {
				log_warnx("shutdown_lifetime expired; killing "
				    "the remaining kids");
				master_signal_kids(SIGKILL, 0);
				deadline = (int64_t)util_now_ms() + 5000;
				left = 5000;
			}
			wait_ms = left;
		}
		if (wait_ms < 0 || wait_ms > 1000)
			wait_ms = 1000;
		ts.tv_sec = wait_ms / 1000;
		ts.tv_nsec = (wait_ms % 1000) * 1000000;
		int sig = sigtimedwait(&set, &si, &ts);
		if (sig == -1)
			continue;
		switch (sig) {
		case SIGCHLD:
			master_reap(cfg, shutting_down);
			break;
		case SIGHUP:
			if (!shutting_down)
				cfg = master_reconfigure(cfg, path);
			break;
		case SIGUSR1:
			master_rotate(cfg);
			break;
		case SIGUSR2:
			log_toggle_full_debug(cfg->debug_options);
			master_signal_kids(SIGUSR2, 0);
			stores_signal(SIGUSR2);
			break;
		case SIGTTIN:
			/*
			 * -k restart, as Squid's: a graceful shutdown whose
			 * exit status asks a supervisor to start us again.
			 */
			if (!shutting_down)
				status = 1;
			/* FALLTHROUGH */
		case SIGTERM:
		case SIGINT:
			if (!shutting_down) {
				log_info("Preparing for %s after %s",
				    sig == SIGTTIN ? "restart" : "shutdown",
				    sig == SIGTERM ? "SIGTERM" : sig == SIGINT ?
				    "SIGINT" : "SIGTTIN");
				shutting_down = 1;
				int64_t life = sig != SIGINT ?
				    cfg->shutdown_lifetime : 0;
				deadline = (int64_t)util_now_ms() + life + 2000;
				master_signal_kids(sig == SIGTTIN ? SIGTERM :
				    sig, 0);
			} else if (sig == SIGINT) {
				master_signal_kids(SIGINT, 0);
			}
			break;
		}
	}
	stores_stop();
	files_pid_remove(cfg->pid_filename);
	log_info(status == 0 ? "cuttle: Exiting normally." :
	    "cuttle: Exiting with status 1 to be restarted.");
	return status;
}
