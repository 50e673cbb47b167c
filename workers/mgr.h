/*
 * mgr: the cache manager's pages (Squid's mgr:ACTION), answered by the
 * worker after http_access, url_rewrite and store ID.  Called by xact_access.c only.
 */
#ifndef CUTTLE_MGR_H
#define CUTTLE_MGR_H

struct xact;

/*
 * An origin-form /squid-internal-mgr/... request on a port that is not
 * accel: the URL it stands for, http://visible_hostname:PORT/path
 * (malloc'd), as Squid rebuilds it.  NULL for anything else.
 */
char *mgr_local_url(const struct xact *x);
/*
 * x passed http_access and the URL helpers: when it is a cache manager
 * request, answer it and return 1 (x has ended); else 0.
 */
int mgr_start(struct xact *x);

#endif
