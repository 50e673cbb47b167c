/*
 * auth: proxy authentication, Basic scheme (squid-compat.md 3.3, 7.2).  A
 * request's Proxy-Authorization is decoded once; credentials the worker's
 * cache holds as valid pass at once, others wait for the auth_param basic
 * program, then http_access runs again.  Digest credentials go to
 * auth_digest.h through the same calls.
 */
#ifndef CUTTLE_AUTH_H
#define CUTTLE_AUTH_H

#include <stddef.h>

struct buf;
struct cfg;
struct xact;

/* Start the basic helper pool if auth_param basic program is set. */
void auth_init(const struct cfg *cfg);
/* Stop it; children see EOF.  Pending checks are dropped silently. */
void auth_shutdown(void);
/* -N reconfigure: a new pool and an empty credentials cache. */
void auth_reload(const struct cfg *cfg);
/*
 * Read x's Proxy-Authorization into x->auth_state (an ACL_AUTH_*) and
 * x->auth_user; credentials cached as valid give ACL_AUTH_OK.  Callers
 * skip it when !auth_enabled() (x->auth.state is then ACL_AUTH_OFF).
 */
void auth_setup(struct xact *x);
/*
 * Check x's pending credentials with the helper.  Returns 1 if x waits:
 * cont(x) runs later with x->auth_state OK or FAILED; 0 if no helper can
 * answer (x->auth_state is then FAILED).
 */
int auth_start(struct xact *x, void (*cont)(struct xact *));
/* x goes away: drop a pending check and the credentials. */
void auth_release(struct xact *x);
/*
 * x's credentials are valid (any scheme): count its source address for
 * the user, once per request (Squid's authenticateAuthUserRequestSetIp).
 */
void auth_note_address(struct xact *x);
/*
 * max_user_ip for x's validated user (acl_checklist.max_user_ip,
 * arg is x): 1 if seen at more than max addresses, with Squid's reset
 * and cache.log line.
 */
int auth_max_user_ip(void *arg, int max, int strict);
/* Set by auth_init and auth_reload from the config; read auth_enabled(). */
extern int auth_configured;
/*
 * Some auth_param scheme (basic, digest, negotiate) is on.  Inline, and a
 * flag rather than the config's test, because every request asks (its
 * access checks and its log line) and most configs have no auth at all.
 */
static inline int
auth_enabled(void)
{
	return auth_configured;
}
/* Append a 407's Proxy-Authenticate lines to out. */
void auth_challenge(struct xact *x, struct buf *out);
/* Squid's mgr:basicauthenticator page; -1 without auth_param basic. */
int auth_mgr_stats(struct buf *out);
/* The realm for Proxy-Authenticate, taken raw from auth_param basic realm. */
const char *auth_realm(void);
/*
 * Decode base64 (padding optional, stops at '=' or space) into a new
 * string; NULL if bad or if it holds a NUL.
 */
char *auth_b64_decode(const char *s, size_t len);

#endif
