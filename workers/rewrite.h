/*
 * rewrite: url_rewrite_program.  After http_access, a request that
 * url_rewrite_access allows goes to the rewriter pool; its reply may
 * rewrite the URL (and Host), answer with a redirect, or change nothing.
 */
#ifndef CUTTLE_REWRITE_H
#define CUTTLE_REWRITE_H

#include "url_helper.h"

struct cfg;
struct xact;

/* The rewriter; its pool is NULL without url_rewrite_program. */
extern struct url_helper rewrite_helper;

/* Start the pool if url_rewrite_program is set. */
void rewrite_init(const struct cfg *cfg);
/* Stop it; children see EOF.  Pending requests are dropped silently. */
void rewrite_shutdown(void);
/* -N reconfigure: a new pool; pending requests continue unchanged. */
void rewrite_reload(const struct cfg *cfg);
int rewrite_ask(struct xact *x, void (*cont)(struct xact *));
/*
 * Ask the rewriter about x.  Returns 0 if it does not apply (caller goes
 * on); 1 if x waits: cont(x) runs later, after the URL may have changed,
 * unless the reply was a redirect, which finishes x itself.  Inline: a
 * config without a rewriter does not enter rewrite.c per request.
 */
static inline int
rewrite_start(struct xact *x, void (*cont)(struct xact *))
{
	return rewrite_helper.pool != NULL && rewrite_ask(x, cont);
}
/* x goes away while it waits for a URL helper (rewriter or store ID). */
void rewrite_cancel(struct xact *x);
/* Squid's mgr:redirector page. */
struct buf;
void rewrite_mgr_stats(struct buf *out);

#endif
