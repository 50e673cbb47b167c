/*
 * The worker's cache path: look a request up in the shared memory cache,
 * serve hits (TCP_MEM_HIT, TCP_IMS_HIT, ...), revalidate stale objects,
 * store what a miss brings (while it streams to the client), invalidate on
 * unsafe methods, and PURGE.  The rules themselves are lib/cache_rules.
 */
#ifndef CUTTLE_CACHE_H
#define CUTTLE_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct xact;

/*
 * In the worker, after its event loop exists: take the shared memory
 * cache and the sockets to the cache_dir stores from the heritage.
 */
void cache_init(void);

/*
 * Before forwarding: 1 when the cache answered (hit served, 504 for
 * only-if-cached, PURGE done), 0 to go upstream (a miss, or a revalidation
 * with x->cache_cond set).
 */
int cache_lookup(struct xact *x);
/*
 * The response head arrived (reply checks passed): 1 when the cache took
 * over (304 on revalidation, stale served on error), 0 to relay it.
 */
int cache_on_response(struct xact *x);
/*
 * Revalidation could not reach the server: 1 when the stale copy was
 * served (TCP_REFRESH_FAIL_OLD), 0 when the error goes out
 * (TCP_REFRESH_FAIL_ERR, tag set here).
 */
int cache_on_upstream_failure(struct xact *x);
/* The transaction ends; complete: the response body arrived whole. */
void cache_on_finish(struct xact *x, int complete);
/* Client writable while a hit is going out. */
void cache_client_event(struct xact *x);
/* Unpin and free what the transaction holds. */
void cache_release(struct xact *x);
/* The client left: should the fetch finish for the cache (quick_abort)? */
int cache_quick_abort_continue(const struct xact *x);
/*
 * The cache_dir has not opened the file for this response yet and enough
 * is waiting: stop reading from the server until it has.
 */
int cache_hold_upstream(const struct xact *x);
/* Objects still being written to a cache_dir (a retiring worker waits). */
int cache_pending_jobs(void);
/*
 * range_offset_limit (cache_range.c).  Before going upstream: should a
 * Range request be fetched whole (x->range_whole; Range and If-Range are
 * then not forwarded)?
 */
void cache_range_plan(struct xact *x);
/* The response head arrived: serve the client's range out of it? */
void cache_range_on_response(struct xact *x);
/* Content-Length and Content-Range of the client's 206. */
struct buf;
void cache_range_head(const struct xact *x, struct buf *out);
/*
 * Drop the pending body bytes of in that lie outside the client's range;
 * returns how many of those left may be sent now.
 */
size_t cache_range_clip(struct xact *x, struct buf *in);
/* "Cache-Status" value for a forwarded response. */
const char *cache_status_fwd(const struct xact *x);

#endif
