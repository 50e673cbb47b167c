/*
 * A worker process: accepts on the shared listening sockets and runs every
 * connection of its own in one event loop.  It starts from its heritage
 * (heritage.h) and from nothing else the master holds.
 */
#ifndef CUTTLE_WORKER_H
#define CUTTLE_WORKER_H

#include <stdint.h>

struct cfg;
struct heritage;

/*
 * The config the worker runs: the heritage's, until -N reloads in place
 * (a forked kid never changes it: a reconfigure starts new kids).
 */
extern const struct cfg *worker_cfg;

/*
 * After the privilege drop (kid_start): keep a copy of h as `heritage`,
 * adopt its descriptors, serve until told to stop.  Returns the exit
 * status (1: -k restart).
 */
int worker_main(const struct heritage *h);
int worker_retiring(void);
uint64_t worker_next_xact_id(void);
/* A connection closed: a retiring worker may be done. */
void worker_conn_closed(void);
/* The visible hostname (visible_hostname or gethostname()). */
const char *worker_hostname(void);
/*
 * What cuttle calls itself in Server:, Via:, Warning: and an error page's
 * %s: "cuttle/VERSION", or "cuttle" with httpd_suppress_version_string on
 * (Squid's visible_appname_string).
 */
const char *worker_appname(void);
int worker_first_port(void);
/* When this kid started (wall clock, ms): mgr:info's Start Time. */
int64_t worker_start_ms(void);

#endif
