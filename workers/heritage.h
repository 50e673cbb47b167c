/*
 * The heritage: everything a worker receives from the master, in one
 * place (Varnish's heritage.h is the model).  The master opens what needs
 * its privilege (ports, logs, the shared memory cache, sockets to the
 * stores), fills one of these and starts the worker with it through
 * kid_start(): in a forked kid, or in the same process under -N.  Nothing
 * else crosses; worker code reads the copy worker_main() keeps in the
 * global `heritage`, never the master's variables.
 */
#ifndef CUTTLE_HERITAGE_H
#define CUTTLE_HERITAGE_H

#include <sys/types.h>

struct auth_share;
struct cfg;
struct memcache;
struct mgr_share;
struct stat_counters;
struct stat_share;
struct store_gauge;

/* One per cache_dir store; the master's STORES_MAX is the same. */
#define HERITAGE_STORES_MAX	32
/* access_log lines a worker writes; later lines are ignored. */
#define HERITAGE_ACCESS_LOGS_MAX	64

struct heritage {
	/*
	 * The loaded config the worker starts on.  It also carries the
	 * listening sockets: the master binds every http_port (ports below
	 * 1024 need root) and leaves each descriptor in cfg->ports->fd.
	 */
	struct cfg	*cfg;
	/* "kidN" in cache.log and ps; 0 under -N, which has no kid number. */
	int		 kid;
	/*
	 * The memory cache all workers share (NULL without cache_mem),
	 * mapped by the master before forking so that every kid sees the
	 * same objects, and the kid's pin slot in it: unique among live kids
	 * so the master can drop a dead kid's pins (memcache_reap).  Slot 0
	 * belongs to the process that created the cache, i.e. -N.
	 */
	struct memcache	*memcache;
	int		 memcache_slot;
	/*
	 * Basic credentials the helper accepted, shared by every kid and
	 * outliving them (auth_share.h); NULL if it could not be made.
	 */
	struct auth_share *auth_share;
	/*
	 * Every kid's cache manager sections (mgr_share.h), so that the kid
	 * that takes a mgr: request answers for all; NULL with one worker.
	 * The kid writes slot mgr_slot (its master slot, unique among live
	 * kids) as kid `kid` of worker generation `generation` (bumped by
	 * each reconfigure; a retiring generation's sections are not shown).
	 */
	struct mgr_share *mgr_share;
	int		 mgr_slot;
	int		 generation;
	/*
	 * Every kid's traffic counters (stat_share.h), for mgr:counters and
	 * mgr:info, and this kid's own in slot stat_slot (its master slot,
	 * 0 under -N), which only it writes: `counters` points there, or at
	 * a private copy when the area could not be made, so the request
	 * path counts without a test.
	 */
	struct stat_share *stat_share;
	int		 stat_slot;
	struct stat_counters *counters;
	/*
	 * The worker's end of one socketpair per store process (one per
	 * cache_dir); -1 where that store is down.  Made by the master,
	 * which hands the other end to the store.
	 */
	int		 store_fds[HERITAGE_STORES_MAX];
	int		 nstores;
	/* what each of those stores holds (store_gauge.h), or NULL */
	struct store_gauge *store_gauges;
	/*
	 * access.log descriptors, opened by the master (the user may not
	 * reach the log directory), one per access_log line in
	 * cfg->access_logs order; -1 for "none" or a file that failed.  The
	 * worker reopens them by name itself after -k rotate.
	 */
	int		 access_log_fds[HERITAGE_ACCESS_LOGS_MAX];
	int		 naccess_logs;
	/*
	 * The master's pid: a kid exits when its master dies
	 * (priv_die_with).  0 under -N, which is its own master.
	 */
	pid_t		 master;
	/*
	 * -N only: the process is also the master, so control signals it
	 * takes (SIGUSR1, SIGUSR2) must reach the stores through this.
	 * NULL in a forked kid: the master signals the stores itself.
	 */
	void		(*relay)(int sig);
};

/* The worker's copy, set once by worker_main(). */
extern struct heritage heritage;

#endif
