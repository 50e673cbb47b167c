/*
 * A worker process: accepts on the shared listening sockets and runs every
 * connection of its own in one event loop.
 */
#ifndef CUTTLE_WORKER_H
#define CUTTLE_WORKER_H

#include <stdint.h>

struct cfg;

extern const struct cfg *worker_cfg;
extern int worker_kid;

/* Before the privilege drop: open access logs (the user may not reach them). */
void worker_open_logs(struct cfg *cfg);
/* Serve until told to stop; returns the exit status (1: -k restart). */
int worker_main(struct cfg *cfg, int kid);
/*
 * -N: the processes a master would signal (the stores) get SIGUSR1 and
 * SIGUSR2 through fn.
 */
void worker_set_relay(void (*fn)(int sig));
int worker_retiring(void);
uint64_t worker_next_xact_id(void);
/* A connection closed: a retiring worker may be done. */
void worker_conn_closed(void);
/* The visible hostname (visible_hostname or gethostname()). */
const char *worker_hostname(void);
int worker_first_port(void);

#endif
