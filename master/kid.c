/*
 * Starting a worker from its heritage.  kid_heritage() gathers what the
 * master passes on, kid_spawn_worker() forks a kid with it, and
 * kid_start() is the one way a worker begins, in a forked kid or in the -N
 * process: identity in cache.log, crash report, the shared memory cache,
 * the privilege drop, then the worker's event loop.  It runs outside the
 * master's privilege as soon as it can, but starts with it, so it lives
 * here rather than in workers/.
 */
#include "config.h"
#include "kid.h"
#include "affinity.h"
#include "auth_share.h"
#include "cfg.h"
#include "crash.h"
#include "files.h"
#include "heritage.h"
#include "log.h"
#include "master.h"
#include "memcache.h"
#include "mgr_share.h"
#include "priv.h"
#include "stat_share.h"
#include "stores.h"
#include "worker.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Made once by the master (kid_auth_share_init), inherited by every kid. */
static struct auth_share *kid_auth_share;

void
kid_auth_share_init(const struct cfg *cfg)
{
	kid_auth_share = auth_share_create(KID_AUTH_SHARE_SLOTS);
	if (kid_auth_share == NULL)
		log_warnx("no shared credentials: each worker checks its own");
	kid_auth_share_configure(cfg);
}

void
kid_auth_share_configure(const struct cfg *cfg)
{
	if (auth_share_configure(kid_auth_share,
	    auth_share_fingerprint(&cfg->auth_basic)))
		log_info("auth_param basic changed: shared credentials "
		    "cleared");
}

/* Made once by the master when there are several workers, or NULL. */
static struct mgr_share *kid_mgr_share;

void
kid_mgr_share_init(const struct cfg *cfg)
{
	if (cfg->workers < 2)
		return;
	/* slot 0 is -N's, which has one worker and no use for it */
	kid_mgr_share = mgr_share_create(MASTER_KID_SLOTS + 1);
	if (kid_mgr_share == NULL)
		log_warnx("cache manager pages will show only the kid that "
		    "answers");
}

void
kid_mgr_share_reaped(int slot)
{
	mgr_share_clear(kid_mgr_share, (unsigned)slot);
}

/* Made once by the master for every kid, -N's included (slot 0). */
static struct stat_share *kid_stat_share;

void
kid_stat_share_init(void)
{
	kid_stat_share = stat_share_create(MASTER_KID_SLOTS + 1);
	if (kid_stat_share == NULL)
		log_warnx("mgr:counters and mgr:info will show only the kid "
		    "that answers");
}

void
kid_stat_share_reaped(int slot)
{
	stat_share_reaped(kid_stat_share, (unsigned)slot);
}

void
kid_heritage(struct heritage *h, struct cfg *cfg, int kid, int slot,
    struct memcache *mc)
{
	memset(h, 0, sizeof(*h));
	h->cfg = cfg;
	h->kid = kid;
	h->memcache = mc;
	h->memcache_slot = slot;
	h->auth_share = kid_auth_share;
	h->mgr_share = kid_mgr_share;
	h->mgr_slot = slot;
	h->stat_share = kid_stat_share;
	h->stat_slot = slot;
	h->counters = stat_share_counters(kid_stat_share, (unsigned)slot);
	h->nstores = stores_worker_sockets(h->store_fds, HERITAGE_STORES_MAX);
	h->store_gauges = stores_gauge_area();
	files_access_logs_heritage(h);
	h->master = 0;
	h->relay = NULL;
}

int
kid_start(const struct heritage *h)
{
	/*
	 * The master blocks SIGCHLD to take it with sigtimedwait; a worker
	 * has no use for it (it reaps its helpers with waitpid(WNOHANG)),
	 * so it gets its default, ignored, back.  -N inherits the same
	 * mask from main() and is treated the same.  Control signals stay
	 * blocked: the worker reads them from a signalfd.
	 */
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &chld, NULL);

	log_init("cuttle", h->kid);
	crash_handler_install("worker", h->kid);
	/* before the helpers are forked: they inherit the core */
	affinity_apply(h->cfg, h->kid > 0 ? h->kid : 1);
	/*
	 * Pins in the shared cache are per slot.  memcache_create() already
	 * attached its creator to slot 0, which is -N's: attaching again
	 * there changes nothing, so -N takes the same path as a kid.
	 */
	if (h->memcache != NULL)
		memcache_attach(h->memcache, h->memcache_slot);
	/*
	 * Everything privileged is open by now (ports, logs, store sockets
	 * in h): from here on the worker is the effective user only.
	 */
	int tproxy = 0;
	for (const struct cfg_port *p = h->cfg->ports; p != NULL; p = p->next)
		tproxy |= p->tproxy;
	if (priv_drop(h->cfg->effective_user, h->cfg->effective_group,
	    tproxy) == -1)
		return 1;
	/* -N has no master to die with: it is the master. */
	if (h->master != 0)
		priv_die_with(h->master);
	return worker_main(h);
}

pid_t
kid_spawn_worker(struct kid *k, struct memcache *mc)
{
	struct heritage h;

	kid_heritage(&h, k->cfg, k->number, k->slot, mc);
	h.generation = k->generation;
	h.master = getpid();
	pid_t pid = fork();

	if (pid != 0)
		for (int i = 0; i < h.nstores; i++)
			if (h.store_fds[i] != -1)
				close(h.store_fds[i]);
	if (pid == -1) {
		log_err("fork worker kid%d", k->number);
		return -1;
	}
	if (pid > 0)
		return pid;

	/*
	 * The master's own ends of the store control sockets are not part
	 * of the heritage: held open in a kid, they would hide the master's
	 * death from the stores.  (-N is the master and keeps them.)
	 */
	stores_close_inherited();
	_exit(kid_start(&h));
}
