/*
 * mgr: the cache manager's pages (Squid's mgr:ACTION), answered by the
 * worker after http_access, url_rewrite and store ID.  Called by xact_access.c only.
 */
#ifndef CUTTLE_MGR_H
#define CUTTLE_MGR_H

#include <string.h>

#include "xact.h"

#define MGR_PREFIX	"/squid-internal-mgr/"

/*
 * Could x be for the manager?  Its URL is cache_object:// or names
 * /squid-internal-mgr/ (origin form, or an absolute URL's path): inline,
 * so that other requests do not enter mgr.c.
 */
static inline int
mgr_maybe(const char *path, size_t len)
{
	return len >= sizeof(MGR_PREFIX) - 1 &&
	    memcmp(path, MGR_PREFIX, sizeof(MGR_PREFIX) - 1) == 0;
}

/*
 * An origin-form /squid-internal-mgr/... request on a port that is not
 * accel: the URL it stands for, http://visible_hostname:PORT/path
 * (malloc'd), as Squid rebuilds it.  NULL for anything else.
 */
char *mgr_local_url(const struct xact *x);
/* At worker start, after the helpers: publish this kid's pages (mgr_kids.h). */
void mgr_init(void);
int mgr_answer(struct xact *x);
/*
 * x passed http_access and the URL helpers: when it is a cache manager
 * request, answer it and return 1 (x has ended); else 0.
 */
static inline int
mgr_start(struct xact *x)
{
	if (strcmp(x->url.scheme, "cache_object") != 0 &&
	    !mgr_maybe(x->url.path, x->url.path_len))
		return 0;
	return mgr_answer(x);
}

#endif
