/*
 * Interception (intercept.c): http_port intercept (NAT: REDIRECT, DNAT) and
 * tproxy.  The client did not choose the proxy; its connection was turned
 * aside by the kernel, so the destination it meant is recovered at accept
 * and stands in for the connection's local address, as in Squid.  Requests
 * come in origin form; their URL is rebuilt from Host; the Host is checked
 * against the destination (host_verify_strict); forwarding goes to that
 * destination (ORIGINAL_DST).  Forwarding loops (our own Via, or an
 * intercepted connection aimed at the proxy itself) are refused here too.
 */
#ifndef CUTTLE_INTERCEPT_H
#define CUTTLE_INTERCEPT_H

#include <sys/socket.h>

#include "xact.h"

struct conn;
struct dns_result;

#define INTERCEPT_NAT		1
#define INTERCEPT_TPROXY	2

/*
 * conn.c: a connection accepted on an intercept or tproxy port: c->local
 * becomes the original destination.  -1 when it cannot be found (Squid
 * drops such a connection).
 */
int intercept_accept(struct conn *c);
/*
 * https_port intercept ssl-bump: the connection has no CONNECT, so one is
 * made up, as Squid does, for the original destination's address; its
 * head is put in c->in, before anything the client sends.
 */
void intercept_fake_connect(struct conn *c);
/* Is c an intercepted TLS connection (its CONNECT made up, never answered)? */
int intercept_tls(const struct conn *c);
/*
 * bump.c: an intercepted TLS connection is spliced after its SNI was seen:
 * Squid makes its CONNECT again, for SNI:port.
 */
void intercept_splice_sni(struct xact *x);
/* The URL of an origin-form request on an intercepted connection, or NULL. */
char *intercept_url(const struct xact *x);
/*
 * Did x come on an intercepted (or tproxy) connection?  The predicates
 * below are inline so that a request the client sent to the proxy itself
 * does not enter this module at all.
 */
static inline int
intercept_xact(const struct xact *x)
{
	return x->icpt.mode != 0;
}

/*
 * The Host check Squid makes before http_access, for an intercepted x
 * (intercept_xact: a forward-proxy request always passes).  Returns 0 when
 * x may go on at once; 1 when x waits for DNS (cont(x) follows) or was
 * answered (409 Conflict).
 */
int intercept_verify(struct xact *x, void (*cont)(struct xact *));

/* May x's response be looked up and stored?  Not with an unchecked Host. */
static inline int
intercept_cacheable(const struct xact *x)
{
	return !intercept_xact(x) || x->icpt.verified;
}
/* A miss about to be forwarded loops: 403 sent, 1 returned. */
int intercept_loop_denied(struct xact *x);
int intercept_original_dst_of(const struct xact *x, struct dns_result *res,
    int *port);
/*
 * forward.c: a direct route goes to the original destination: *res and
 * *port are set, 1 returned.
 */
static inline int
intercept_original_dst(const struct xact *x, struct dns_result *res, int *port)
{
	return intercept_xact(x) && intercept_original_dst_of(x, res, port);
}

void intercept_spoof_bind(const struct xact *x, int fd,
    const struct sockaddr *dst);
/* forward.c: tproxy: connect from the client's own address. */
static inline void
intercept_spoof(const struct xact *x, int fd, const struct sockaddr *dst)
{
	if (x->icpt.mode == INTERCEPT_TPROXY)
		intercept_spoof_bind(x, fd, dst);
}

#endif
