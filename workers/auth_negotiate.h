/*
 * auth_negotiate: proxy authentication with the Negotiate scheme (RFC
 * 4559, Kerberos through Squid's negotiate_kerberos_auth), as Squid 5.7
 * does it: connection-oriented.  A handshake runs on one client
 * connection; once the helper accepts it, the user belongs to that
 * connection and its later requests need no token.  Another connection
 * starts from nothing.
 */
#ifndef CUTTLE_AUTH_NEGOTIATE_H
#define CUTTLE_AUTH_NEGOTIATE_H

#include "conn.h"

struct buf;
struct cfg;
struct xact;

void auth_negotiate_init(const struct cfg *cfg);
/* Stop the helpers; notify answers pending checks (-k reconfigure). */
void auth_negotiate_shutdown(int notify);
/* auth_param negotiate program is set */
int auth_negotiate_on(void);
/*
 * Called from auth_setup: x's Negotiate credentials, or the user its
 * connection already proved.  Returns 1 when that decided x->auth.state,
 * 0 when Basic should look at the request.
 */
int auth_negotiate_setup(struct xact *x);
/* x carries a token for the helper (auth_start then calls the next). */
int auth_negotiate_pending(const struct xact *x);
int auth_negotiate_start(struct xact *x, void (*cont)(struct xact *));
/*
 * A 407 to x during a handshake: the helper's TT token as its
 * Proxy-Authenticate, which is then the only challenge (Squid answers a
 * handshake in its own scheme only); returns 0 when there is none, and
 * auth_challenge offers every scheme.
 */
int auth_negotiate_continue(struct xact *x, struct buf *out);
/* x is denied with 407: keep_alive off closes after a fresh challenge. */
void auth_negotiate_deny(struct xact *x);
void auth_negotiate_conn_free(struct conn *c);
/*
 * c closes: forget its handshake and user.  The test is inline: a
 * connection that never negotiated (all of them without auth_param
 * negotiate) does not enter this module to close.
 */
static inline void
auth_negotiate_conn_close(struct conn *c)
{
	if (c->nego != NULL)
		auth_negotiate_conn_free(c);
}
/* Squid's mgr:negotiateauthenticator page; -1 without negotiate. */
int auth_negotiate_mgr_stats(struct buf *out);

#endif
