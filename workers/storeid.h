/*
 * storeid: store_id_program.  After the URL rewriter, a request that
 * store_id_access allows goes to the store-ID pool; "OK store-id=ID"
 * makes ID the URL the cache files x under (memory and disk keys, Vary
 * variants, PURGE, refresh_pattern), while x still fetches its own URL.
 * Mirrors of one file then share one cache entry.
 */
#ifndef CUTTLE_STOREID_H
#define CUTTLE_STOREID_H

#include "url_helper.h"
#include "xact.h"

struct cfg;

/* The store-ID helper; its pool is NULL without store_id_program. */
extern struct url_helper storeid_helper;

/* Start the pool if store_id_program is set. */
void storeid_init(const struct cfg *cfg);
/* Stop it; children see EOF.  Pending requests are dropped silently. */
void storeid_shutdown(void);
/* -N reconfigure: a new pool; pending requests continue unchanged. */
void storeid_reload(const struct cfg *cfg);
/*
 * Ask the store-ID helper about x.  Returns 0 if it does not apply (caller
 * goes on); 1 if x waits: cont(x) runs later, x->rw.store_id set or not.
 * rewrite_cancel() drops the wait.  Inline, as storeid_url: a config
 * without a store-ID helper does not enter storeid.c per request.
 */
int storeid_ask(struct xact *x, void (*cont)(struct xact *));
static inline int
storeid_start(struct xact *x, void (*cont)(struct xact *))
{
	return storeid_helper.pool != NULL && storeid_ask(x, cont);
}

/* Squid's mgr:store_id page. */
void storeid_mgr_stats(struct buf *out);

/* The URL the cache knows x by: its store ID, or else its URL. */
static inline const char *
storeid_url(const struct xact *x)
{
	return x->rw.store_id != NULL ? x->rw.store_id : x->url_str;
}

#endif
