/*
 * Store processes, one per cache_dir: forked and restarted by the master,
 * which hands each new worker one socket per store.
 */
#ifndef CUTTLE_STORES_H
#define CUTTLE_STORES_H

#include <stdint.h>
#include <sys/types.h>

struct cfg;
struct store_gauge;

/* Fork a store for every cache_dir of cfg; -1 if one cannot start. */
int stores_start(struct cfg *cfg);
/*
 * Before forking a worker: make its sockets (one per store) and hand the
 * other ends to the stores.  fds gets the worker's ends; returns how many.
 */
int stores_worker_sockets(int *fds, int max);
/* What each store holds (NULL without cache_dir), in store order. */
struct store_gauge *stores_gauge_area(void);
/* In a kid: close the master's store descriptors it inherited. */
void stores_close_inherited(void);
/* A child exited: 1 if it was a store (it restarts after a back-off). */
int stores_reaped(pid_t pid, int status);
/*
 * Restart the stores that are due; *respawned says if one was (its workers
 * must be renewed).  Returns ms until the next one is due, -1 for none.
 */
int64_t stores_respawn_due(int *respawned);
/* Relay a control signal (SIGUSR1 reopen cache.log, SIGUSR2 debug). */
void stores_signal(int sig);
/* Stop the stores (shutdown). */
void stores_stop(void);
int stores_count(void);
/* The stores run on this config: the master must keep it. */
int stores_uses_cfg(const struct cfg *cfg);

#endif
