/*
 * Forking a worker with its heritage: the loaded config (with listening
 * descriptors), cache.log, and its kid number.  Nothing else crosses.
 */
#ifndef CUTTLE_KID_H
#define CUTTLE_KID_H

#include <sys/types.h>

struct cfg;

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

/* Fork a worker; returns the pid in the parent, -1 on failure. */
pid_t kid_spawn_worker(struct kid *k);

#endif
