/*
 * store: the process that owns one cache_dir.  It is the only writer of the
 * directory's GDBM index and of its L1/L2 tree; workers reach it over the
 * socketpairs the master made (store_proto.h) and serve bodies themselves
 * from the descriptors it passes.
 */
#ifndef CUTTLE_STORE_H
#define CUTTLE_STORE_H

#include "cfg.h"

#include <signal.h>

/*
 * Run the store of cd over the worker sockets socks[0..nsocks), and those
 * the master passes later over ctl (-1: none), until the process is killed
 * or the master closes ctl.  Checks the directory (a missing one is a logged
 * error), repairs what a crash left, then serves.  Returns an exit status
 * only when it cannot start.
 */
int store_main(const struct cfg *cfg, const struct cfg_cache_dir *cd,
    int *socks, int nsocks, int ctl);
/*
 * The signals a store reads itself (SIGUSR1: reopen cache.log, SIGUSR2:
 * toggle full debugging); the master keeps them blocked across the fork so
 * that one sent early waits for store_main.
 */
void store_signals(sigset_t *set);
/*
 * Where the store says what it holds for mgr:info (store_gauge.h), before
 * store_main; NULL (the default): nowhere.
 */
struct store_gauge;
void store_set_gauge(struct store_gauge *g);
/*
 * cuttle -z: create DIR, its L1/L2 tree, DIR/tmp and an empty index,
 * leaving whatever exists.  Returns 0 or -1 (logged).
 */
int store_create_dirs(const struct cfg_cache_dir *cd);

#endif
