/*
 * Requests for the proxy itself (Squid's "internal" URLs): the bump CA and
 * the page that tells clients how to trust it, at /cuttle/ca.pem,
 * /cuttle/ca.der and /cuttle/.  Called by xact_access.c only.
 */
#ifndef CUTTLE_INTERNAL_H
#define CUTTLE_INTERNAL_H

#include <string.h>

struct xact;

/*
 * Could a path be one of the proxy's own pages (/cuttle/...)?  Inline, so
 * that other requests do not enter internal.c.
 */
static inline int
internal_maybe(const char *path, size_t len)
{
	return len >= 8 && memcmp(path, "/cuttle/", 8) == 0;
}

/*
 * An origin-form request for one of the pages on a port that is not
 * accel, as a client sends it to the proxy as to a web server: the URL it
 * stands for, http://visible_hostname:PORT/path as Squid rebuilds its
 * /squid-internal-* paths (malloc'd).  NULL for anything else.
 */
char *internal_local_url(const struct xact *x);

/*
 * x passed http_access: when its URL is one of the pages on this proxy,
 * answer it and return 1 (x has ended); else 0.
 */
int internal_start(struct xact *x);
/*
 * Does x's URL name this proxy (visible_hostname or the address the
 * client reached) and the port x came in on?  Squid's test for its
 * internal URLs, shared with the cache manager's.
 */
int internal_names_proxy(const struct xact *x);

#endif
