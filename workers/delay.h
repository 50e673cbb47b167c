/*
 * Delay pools: the buckets that limit how fast a worker reads a response
 * from the server for a client (classes 1, 2 and 3 of squid.conf's
 * delay_pools).  Each worker keeps its own buckets, as each Squid SMP kid
 * does.  A transaction no pool takes has no delay id and pays nothing.
 */
#ifndef CUTTLE_DELAY_H
#define CUTTLE_DELAY_H

#include <stddef.h>

struct delay_id;
struct ev_timer;
struct xact;

/*
 * The pool x's response is read through: the first whose delay_access
 * allows x (pools in order; a pool without delay_access takes nobody), or
 * NULL.  The id's timer calls cb(x) when a throttled read may go on.
 */
struct delay_id *delay_pick(struct xact *x, void (*cb)(struct ev_timer *));
/*
 * How many of want bytes may be read now.  0: the buckets are empty, and
 * the id's timer is armed for when they are not.
 */
size_t delay_allowance(struct delay_id *d, size_t want);
/* n bytes were read through d. */
void delay_bytes_in(struct delay_id *d, size_t n);
/* Let go of d (NULL: nothing); its timer stops. */
void delay_release(struct delay_id *d);

#endif
