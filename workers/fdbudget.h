/*
 * The worker's descriptor budget: how many descriptors RLIMIT_NOFILE still
 * allows, and a reserve (Squid's RESERVED_FD) that new client connections
 * and optional tunnel pipes leave for the store, logs, DNS and helpers.
 */
#ifndef CUTTLE_FDBUDGET_H
#define CUTTLE_FDBUDGET_H

void fdbudget_init(void);
int fdbudget_limit(void);
/* Descriptors that should stay free for what the worker already serves. */
int fdbudget_reserve(void);
/* Descriptors still free (an estimate at most a few milliseconds old). */
int fdbudget_free(void);
/* A descriptor was just opened: counts it until the next exact count. */
void fdbudget_note_open(int fd);
/* An open failed: true when for lack of descriptors or kernel memory. */
int fdbudget_exhausted_errno(int err);

#endif
