/*
 * Header rewriting between client and server: the request head sent
 * upstream and the response head sent to the client, with hop-by-hop
 * headers removed and Via, X-Forwarded-For, X-Cache added as Squid does.
 */
#ifndef CUTTLE_HEADERS_H
#define CUTTLE_HEADERS_H

#include "buf.h"

struct xact;
struct http_msg;

void headers_build_request(struct xact *x, struct buf *out);
void headers_build_response(struct xact *x, struct buf *out);
/*
 * An interim (1xx) response head relayed to the client: its status line
 * and end-to-end fields only (as Squid 5.7, no Via: it is not stored and
 * says nothing about the final response).
 */
void headers_build_interim(const struct http_msg *m, struct buf *out);
/* Point a parsed message's pointers at a copy of its head. */
void headers_rebase(struct http_msg *m, const char *from, const char *to);
/*
 * Is this header hop-by-hop for m (fixed list or named in Connection)?
 * Content-Length, Transfer-Encoding and Host never are by nomination.
 */
int headers_is_hop(const struct http_msg *m, const char *name, size_t len);
struct http_header;
/*
 * Copy the end-to-end field h of a response to x's client into out.  On a
 * bumped connection Alt-Svc loses its HTTP/3 alternatives (and goes when
 * none is left), so clients stay on the inspected TLS path.
 */
void headers_put_response_field(const struct xact *x,
    const struct http_header *h, struct buf *out);
/* "1.1 host (cuttle/VERSION)" */
const char *headers_via_value(void);
/* Forget values derived from the config (reconfigure under -N). */
void headers_reload(void);

#endif
