/*
 * The master's supervision loop: spawn the worker generation, reap and
 * respawn kids, reconfigure, rotate and shut down on signals.
 */
#ifndef CUTTLE_MASTER_H
#define CUTTLE_MASTER_H

struct cfg;
struct memcache;

/* Kids that may live at once (two generations during a reconfigure). */
#define MASTER_KID_SLOTS	256

/*
 * Run until shutdown; returns the process exit status.  cfg's ports are
 * bound and its access logs held open (files_open_access_logs); mc is the
 * memory cache every kid shares (NULL: none).
 */
int master_run(struct cfg *cfg, const char *config_path,
    struct memcache *mc);

#endif
