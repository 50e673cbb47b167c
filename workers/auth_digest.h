/*
 * auth_digest: proxy authentication with the Digest scheme (RFC 2617,
 * MD5, qop=auth) as Squid 5.7 does it.  The worker issues nonces and keeps
 * them (use count, age, garbage collection), asks the auth_param digest
 * program for a user's H(A1) ("\"user\":\"realm\"" -> "OK ha1=..." or a
 * bare hash) and checks the client's request-digest against it.
 */
#ifndef CUTTLE_AUTH_DIGEST_H
#define CUTTLE_AUTH_DIGEST_H

#include "xact.h"

struct buf;
struct cfg;

/* auth_param digest has a program and a realm. */
int auth_digest_on(const struct cfg *cfg);
void auth_digest_init(const struct cfg *cfg);
void auth_digest_shutdown(void);
void auth_digest_reload(const struct cfg *cfg);
/*
 * x's Proxy-Authorization is Digest: read the credentials (p..end, after
 * the scheme word) into x->auth (state OK, PENDING or FAILED).
 */
void auth_digest_setup(struct xact *x, const char *p, const char *end);
/* As auth_start, for credentials auth_digest_setup left PENDING. */
int auth_digest_start(struct xact *x, void (*cont)(struct xact *));
void auth_digest_release(struct xact *x);
/* Append the Proxy-Authenticate line of a 407 to x, with a fresh nonce. */
void auth_digest_challenge(struct xact *x, struct buf *out);
void auth_digest_next_nonce(struct xact *x, struct buf *out);
/*
 * A reply to x: Proxy-Authentication-Info when its nonce runs out.  Inline
 * so that every reply to a request without Digest credentials does not
 * enter this module to learn that.
 */
static inline void
auth_digest_reply_info(struct xact *x, struct buf *out)
{
	if (x->auth.digest != NULL)
		auth_digest_next_nonce(x, out);
}
/* Squid's mgr:digestauthenticator page; -1 without digest. */
int auth_digest_mgr_stats(struct buf *out);

#endif
