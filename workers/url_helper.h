/*
 * url_helper: what url_rewrite_program and store_id_program share, as
 * Squid's redirect.cc shares it between its redirector and StoreID
 * helpers: a pool started from the five directives of a cfg_url_helper,
 * the access list and the bypass that decide whether a request is asked,
 * and the request line "URL[ extras]\n".  rewrite.c and storeid.c read
 * the replies, each its own way.
 */
#ifndef CUTTLE_URL_HELPER_H
#define CUTTLE_URL_HELPER_H

#include <stddef.h>

#include "helper_pool.h"

struct cfg;
struct cfg_url_helper;
struct xact;

struct url_helper {
	const char	*name;		/* Squid's id_name: "redirector" */
	const char	*label;		/* in cache.log: "URL rewrite helper" */
	size_t		 cfg_off;	/* its cfg_url_helper in struct cfg */
	struct helper_pool *pool;	/* NULL: no program configured */
	const char	*mgr_none;	/* the mgr page without a program */
	const char	*mgr_label;	/* its label with one */
	const char	*mgr_busy;	/* "all <these> were busy" */
	int		 bypassed;	/* for the mgr page, as Squid counts */
};

/* The directives of h in cfg. */
const struct cfg_url_helper *url_helper_conf(const struct url_helper *h,
    const struct cfg *cfg);
/* Start h's pool if its program is set. */
void url_helper_init(struct url_helper *h, const struct cfg *cfg);
/* Stop it; children see EOF.  Pending requests are dropped silently. */
void url_helper_shutdown(struct url_helper *h);
/* -N reconfigure: a new pool; pending requests continue unchanged. */
void url_helper_reload(struct url_helper *h, const struct cfg *cfg);
/*
 * Ask h about x.  Returns 0 when it does not apply (no pool, the access
 * list says no, bypassed, a request too long, no helper left); 1 when x
 * waits (x->rw.req, state XS_REWRITE) until cb(x, ...) runs, which must
 * clear x->rw.req.  rewrite_cancel() drops the wait.
 */
int url_helper_ask(struct url_helper *h, struct xact *x, helper_cb *cb);
/*
 * A reply with result HELPER_TIMEDOUT (url_rewrite_timeout): 0 when x goes
 * on unchanged (on_timeout=bypass), 1 when it was ended with Squid's
 * ERR_GATEWAY_FAILURE.
 */
int url_helper_timedout(const struct url_helper *h, struct xact *x);
/* Squid's mgr:redirector / mgr:store_id page body for h. */
struct buf;
void url_helper_stats(const struct url_helper *h, struct buf *out);

#endif
