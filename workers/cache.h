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

#include "cache_rules.h"

struct memcache;
struct xact;

/*
 * What the cache says to do with a request.  cache_lookup() gives one, and
 * so do the answers that come later (a cache_dir, a collapsed fetch, a
 * revalidation); the router (xact_route) acts on it.
 */
enum cache_route {
	CACHE_ROUTE_FETCH,		/* upstream: a miss, or a reload */
	CACHE_ROUTE_REVALIDATE,		/* upstream with x->cache.cond */
	CACHE_ROUTE_SERVE,		/* the held object: meta, age, tag */
	CACHE_ROUTE_SERVE_STALE,	/* ... and revalidate it in the background */
	CACHE_ROUTE_ONLY_IF_CACHED,	/* 504 ERR_ONLY_IF_CACHED_MISS */
	CACHE_ROUTE_LOOKUP,		/* a cache_dir answers later */
	CACHE_ROUTE_COLLAPSED,		/* another fetch of the URL is awaited */
	CACHE_ROUTE_END,		/* nothing more to do: end the transaction */
	CACHE_ROUTE_HANDLED		/* answered already (PURGE): hands off */
};

struct cache_outcome {
	enum cache_route route;
	struct cache_meta meta;		/* SERVE*: the held object's */
	int64_t		 age;
	const char	*tag;		/* SERVE*: TCP_MEM_HIT, TCP_HIT, ... */
};

/*
 * In the worker, after its event loop exists: take the shared memory
 * cache and the sockets to the cache_dir stores from the heritage.
 */
void cache_init(void);

/* What to do with x's request (PURGE is answered here). */
void cache_lookup(struct xact *x, struct cache_outcome *v);
/*
 * The stale object x serves now is revalidated by a transaction of our
 * own (stale-while-revalidate): returns it, ready for forward_start, or
 * NULL when none is needed or possible.
 */
struct xact *cache_background(const struct xact *x,
    const struct cache_meta *m);
/*
 * The response head arrived (reply checks passed): 1 when the cache takes
 * over (a 304 or an error answering a revalidation), v saying how; 0 to
 * relay the response.
 */
int cache_on_response(struct xact *x, struct cache_outcome *v);
/*
 * Revalidation could not reach the server: 1 when the stale copy is to be
 * served (v; TCP_REFRESH_FAIL_OLD), 0 when the error goes out
 * (TCP_REFRESH_FAIL_ERR, tag set here).
 */
int cache_on_upstream_failure(struct xact *x, struct cache_outcome *v);
/* Serve the held object (or the part asked for), logged as tag. */
void cache_serve(struct xact *x, const struct cache_meta *m, int64_t age,
    const char *tag);
/*
 * The response body arrived whole (complete), as soon as the origin has
 * sent it, or the transaction ends; stores what x collected, wakes its
 * collapsed followers.  Once is enough: it leaves x not storing.
 */
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
