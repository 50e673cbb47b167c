/*
 * Starting workers: gather a kid's heritage (workers/heritage.h), fork a
 * kid with it, and the one start-up path a forked kid and -N share.
 */
#ifndef CUTTLE_KID_H
#define CUTTLE_KID_H

#include <stdint.h>
#include <sys/types.h>

struct cfg;
struct heritage;
struct memcache;

struct kid {
	pid_t		 pid;		/* 0: not running */
	int		 number;	/* kidN in cache.log */
	int		 slot;		/* unique among live kids: shared-memory pins */
	int		 generation;	/* bumped by each reconfigure */
	int		 retiring;	/* told to finish and exit */
	struct cfg	*cfg;		/* the config it runs */
	int64_t		 started_ms;
	int64_t		 restart_at_ms;	/* back-off: respawn no earlier */
	int		 fast_deaths;	/* consecutive deaths soon after start */
};

/* Slots of the shared Basic credentials table: users checked at once. */
#define KID_AUTH_SHARE_SLOTS	4096

/*
 * The master, once before the first kid: make the table of Basic
 * credentials the kids share (auth_share.h) and key it to cfg's
 * auth_param basic.  Every heritage gets it from then on.
 */
void kid_auth_share_init(const struct cfg *cfg);
/* On reconfigure: keep the table if auth_param basic is the same, else clear. */
void kid_auth_share_configure(const struct cfg *cfg);
/*
 * The master, once before the first kid when cfg runs several workers:
 * the shared area where each kid publishes its cache manager sections
 * (mgr_share.h).  kid_mgr_share_reaped() empties a dead kid's slot.
 */
void kid_mgr_share_init(const struct cfg *cfg);
void kid_mgr_share_reaped(int slot);
/*
 * The master, once before the first kid (and under -N): the kids'
 * traffic counters (stat_share.h).  A reaped kid's counts stay in its
 * slot; kid_stat_share_reaped() only forgets its pid.
 */
void kid_stat_share_init(void);
void kid_stat_share_reaped(int slot);
/*
 * Fill h for a worker running cfg as kid number kid (0: -N) with pin slot
 * slot in the shared memory cache mc (NULL: none): new sockets to the
 * stores and the access logs the master holds for cfg.  No master pid and
 * no relay: the caller sets what applies.
 */
void kid_heritage(struct heritage *h, struct cfg *cfg, int kid, int slot,
    struct memcache *mc);
/*
 * Become the worker h describes: drop privileges and serve.  Returns the
 * exit status (1 when the privilege drop failed).
 */
int kid_start(const struct heritage *h);
/* Fork a worker; returns the pid in the parent, -1 on failure. */
pid_t kid_spawn_worker(struct kid *k, struct memcache *mc);

#endif
