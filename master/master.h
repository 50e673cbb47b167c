/*
 * The master's supervision loop: spawn the worker generation, reap and
 * respawn kids, reconfigure, rotate and shut down on signals.
 */
#ifndef CUTTLE_MASTER_H
#define CUTTLE_MASTER_H

struct cfg;

/* Run until shutdown; returns the process exit status. */
int master_run(struct cfg *cfg, const char *config_path);

#endif
