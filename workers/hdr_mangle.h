/*
 * request_header_access/_replace/_add on the request head sent to a
 * server, reply_header_* on every response head sent to a client (a miss,
 * a hit, an error or cuttle's own page), as Squid applies them: to the
 * finished head, after the proxy's own fields (Via, X-Forwarded-For,
 * X-Cache, Connection...) are in it.
 */
#ifndef CUTTLE_HDR_MANGLE_H
#define CUTTLE_HDR_MANGLE_H

#include <stddef.h>

#include "cfg.h"
#include "hdr_rules.h"
#include "worker.h"

struct buf;
struct http_msg;
struct xact;

enum hdr_mangle_dir {
	HDR_MANGLE_REQUEST,	/* request_header_* */
	HDR_MANGLE_REPLY	/* reply_header_* */
};

/*
 * Rewrite the head that starts rel bytes past out's read point and ends
 * with an empty line (anything after it, a body, stays as it is).  rep is
 * the response the head carries, for rep_header ACLs, or NULL.
 */
void hdr_mangle_apply(struct xact *x, enum hdr_mangle_dir dir,
    const struct hdr_rules *r, const struct http_msg *rep, struct buf *out,
    size_t rel);

/* Inline test: without rules a request does not enter hdr_mangle.c. */
static inline void
hdr_mangle_head(struct xact *x, enum hdr_mangle_dir dir,
    const struct http_msg *rep, struct buf *out, size_t rel)
{
	const struct hdr_rules *r = dir == HDR_MANGLE_REQUEST ?
	    &worker_cfg->request_headers : &worker_cfg->reply_headers;

	if (hdr_rules_active(r))
		hdr_mangle_apply(x, dir, r, rep, out, rel);
}

#endif
