/*
 * Binding the listening sockets of http_port/https_port lines.  The master
 * binds; workers inherit the descriptors and share them.
 */
#ifndef CUTTLE_LISTEN_H
#define CUTTLE_LISTEN_H

struct cfg;

/* Bind every port of cfg, reusing descriptors of old (may be NULL) whose
 * address matches.  Returns the number of failures (each logged). */
int listen_bind_all(struct cfg *cfg, struct cfg *old);
/* Close the listening descriptors of old that cfg did not take over. */
void listen_close_unused(struct cfg *old, const struct cfg *cfg);

#endif
