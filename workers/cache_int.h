/*
 * What the parts of the worker's cache path share among themselves
 * (workers/cache*.c): the stored-object helpers, serving a hit, collapsed
 * forwarding, the cache_dir side and the filling of new objects.  Nothing
 * outside workers/cache*.c includes this; the rest of the worker sees
 * cache.h.
 */
#ifndef CUTTLE_CACHE_INT_H
#define CUTTLE_CACHE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store_client.h"

struct cache_meta;
struct cache_req_cc;
struct cfg_refresh;
struct http_msg;
struct buf;
struct store_client;
struct xact;

/* cache.c: the lookup and the answers to it */
/* The refresh_pattern that applies to x's URL (or NULL). */
const struct cfg_refresh *cache_refresh(const struct xact *x);
/* x's request Cache-Control, with the global refresh options on */
void cache_request_cc(const struct xact *x, struct cache_req_cc *rcc);
/*
 * The metadata to keep with resp, x's response: Cache-Control and Expires,
 * or the targeted field (CDN-Cache-Control) where x's port honours one.
 */
void cache_meta_build(const struct xact *x, struct cache_meta *m,
    const struct http_msg *resp, time_t request_time, time_t response_time);
/*
 * The verdict on what the lookup found: m, the stored object's metadata
 * (from memory, or on_disk), or NULL when nothing is stored.
 */
struct cache_outcome;
void cache_answer(struct xact *x, const struct cache_meta *m, int on_disk,
    struct cache_outcome *v);
/* Split an object's metadata blob into x->cache.hit_msg and m; -1 if damaged. */
int cache_parse_meta(struct xact *x, const unsigned char *p, size_t len,
    struct cache_meta *m);

/* cache_hit.c: a response from the cache */
/* Go on writing a hit (client writable, or just started). */
void cache_hit_pump(struct xact *x);

/* cache_cf.c: collapsed forwarding */
/*
 * Nothing to serve for x, which would fetch: 1 when it waits for another
 * fetch of the URL instead (a follower, or a leader behind another worker).
 */
int cache_collapse(struct xact *x);
/* The leader is done (stored or not): let the followers go on. */
void cache_cf_wake(struct xact *leader);
/* x leaves its group (a leader wakes the followers). */
void cache_cf_release(struct xact *x);
/* Is a worker (another one, or any with any_owner) fetching key? */
int cache_cf_busy(const char *key, int any_owner);
/* Mark a fetch of key in flight for the other workers: 0 when one is. */
int cache_cf_claim(const char *key);
/* Our fetch of key is over. */
void cache_cf_unmark(const char *key);

/* cache_disk.c: the cache_dir stores */
extern struct store_client *cache_stores[];
extern int cache_nstores;
/* The cache_dir that holds key, or -1 without one. */
int cache_store_for(const char *key);
/* Ask the cache_dir for x->cache_key; 1 when a lookup is under way. */
int cache_disk_lookup(struct xact *x);
/*
 * Drop key from its cache_dir, and the variants when it holds a Vary
 * marker there.  cb (may be NULL) learns whether key was there; returns
 * the id to cancel it by, 0 when nothing was sent.
 */
uint32_t cache_disk_delete(const char *key, store_client_cb *cb, void *arg);
/* Store a record with no body (a Vary marker) under key. */
void cache_disk_put(const char *key, const void *meta, size_t len);
/* A disk hit small enough for memory goes there too. */
void cache_promote(struct xact *x);
/* Start streaming x's response into its cache_dir (cl: length or -1). */
void cache_disk_start(struct xact *x, int64_t cl);
/* More payload for x's cache_dir copy. */
struct cache_disk_job;
void cache_disk_feed(struct cache_disk_job *j, const char *p, size_t n);
/* The transaction lets go of its cache_dir copy, complete or not. */
void cache_disk_finish(struct xact *x, int complete);

/* cache_vary.c: Vary markers */
int cache_vary_is_marker(const void *blob, size_t len);
/* The key of x's variant under a marker blob; NULL if none can be. */
char *cache_vary_variant_key(const struct xact *x, const void *blob,
    size_t len);
/* Call fn with the key of every variant the marker of key lists. */
void cache_vary_each(const char *key, const void *blob, size_t len,
    void (*fn)(const char *variant_key, void *arg), void *arg);
/* Build the marker for the variant x is storing (x->store_key). */
void cache_vary_marker(const struct xact *x, struct buf *marker);

/* cache_fill.c: storing what a miss brings */
/* The stored head of x's response: end-to-end headers, no framing. */
void cache_stored_head(const struct xact *x, struct buf *out);
/* A storable response starts: begin its memory and disk copies. */
void cache_start_storing(struct xact *x);

/* cache.c: read the held memory object's metadata and head */
int cache_open_object(struct xact *x, struct cache_meta *m);

/* cache_partial.c: stored 206 responses */
/* The memory cache key of the partial response stored for base_key. */
char *cache_partial_key(const char *base_key);
/* Drop the partial response stored for base_key, if any. */
void cache_partial_forget(const char *base_key);
/*
 * A Range request that missed the complete object: 1 with v set to serve
 * when a fresh stored partial holds the whole range (the partial is
 * held), 0 otherwise (nothing held).
 */
int cache_partial_lookup(struct xact *x, struct cache_outcome *v);
/*
 * Serving a held partial: sets the body window to the request's range and
 * writes its Content-Range line into crange; -1 if the range is not in it.
 */
int cache_partial_window(struct xact *x, char *crange, size_t size);

#endif
