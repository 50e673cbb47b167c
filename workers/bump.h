/*
 * SslBump: what becomes of a CONNECT on an ssl-bump http_port (reference
 * section 5).  The router hands such a CONNECT to bump_start instead of the
 * tunnel; bump.c walks Squid's steps, evaluating the ssl_bump rules at each
 * one, and ends in a splice (the CONNECT tunnel, the client's ClientHello
 * forwarded unchanged), a bump (TLS with the client under a minted
 * certificate; the connection then carries ordinary requests for https://
 * URLs) or a terminate.
 */
#ifndef CUTTLE_BUMP_H
#define CUTTLE_BUMP_H

#include <stdint.h>

#include "xact.h"

struct conn;

/* The router's call for a CONNECT on an ssl-bump port. */
void bump_start(struct xact *x);
/* What the client socket waits for, and its events, in XS_BUMP. */
unsigned bump_client_wants(const struct xact *x);
void bump_client_event(struct xact *x, uint32_t revents);
void bump_release_wait(struct xact *x);
/*
 * xact_free: let go of what the bump part holds: a wait for a certificate,
 * if any (the test inline, so that a CONNECT that was no bump does not
 * enter bump.c to end).
 */
static inline void
bump_release(struct xact *x)
{
	if (x->bump.wait != NULL)
		bump_release_wait(x);
}
/*
 * The absolute URL for an origin-form request on a bumped connection:
 * https:// and the Host header (the CONNECT authority when it has none),
 * malloc'd; NULL when the request is not on a bumped connection.
 */
char *bump_request_url(const struct xact *x);
/*
 * The first request on a connection bumped after the server's TLS failed:
 * Squid's 503 ERR_SECURE_CONNECT_FAIL naming the failure, then close.
 */
void bump_server_failed(struct xact *x);

#endif
