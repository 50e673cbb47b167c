/*
 * Error pages: Squid-format templates (ERR_* files with % codes) from
 * error_directory, filled in per transaction.
 */
#ifndef CUTTLE_ERRPAGE_H
#define CUTTLE_ERRPAGE_H

#include "buf.h"

struct xact;

/* Squid's status text for a code. */
const char *errpage_reason(int status);
/* s with <, >, & and " as HTML entities, appended to out. */
void errpage_html(struct buf *out, const char *s);
/* Forget the templates read so far (error_directory may have changed). */
void errpage_reload(void);
/*
 * Append a complete response (head and page) for err_name to out.  keep
 * tells whether the client connection stays open.  Returns the page's
 * content length.
 */
size_t errpage_build(struct xact *x, int status, const char *err_name,
    int errnum, int keep, struct buf *out);
/*
 * A response the proxy makes that is not an error (internal.c's pages):
 * the error page's Server, Date, X-Cache and Connection fields around the
 * caller's fields (whole lines, each ending in CRLF) and a Content-Length
 * of len; the body follows unless the request is a HEAD.
 */
void errpage_build_object(struct xact *x, int status, const char *fields,
    const void *body, size_t len, int keep, struct buf *out);
/* A redirect (deny_info URL): 302 with Location. */
void errpage_build_redirect(struct xact *x, int status, const char *location,
    int keep, struct buf *out);

#endif
