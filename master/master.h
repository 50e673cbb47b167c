/*
 * The master's supervision loop: spawn the worker generation, reap and
 * respawn kids, reconfigure, rotate and shut down on signals.
 */
#ifndef CUTTLE_MASTER_H
#define CUTTLE_MASTER_H

struct cfg;

/* Kids that may live at once (two generations during a reconfigure). */
#define MASTER_KID_SLOTS	256

/* Run until shutdown; returns the process exit status. */
int master_run(struct cfg *cfg, const char *config_path);

#endif
