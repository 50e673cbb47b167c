/*
 * Interception: the original destination of an intercepted connection,
 * the URL of its origin-form requests, Squid's Host header forgery check
 * (CVE-2009-0801), forwarding to the original destination, tproxy's
 * spoofed client address, and loop detection.  See intercept.h.
 *
 * In DESIGN.md's data flow: accept (original destination) - Host check
 * before http_access - miss: server connection.
 */
#include "config.h"
#include "intercept.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cfg.h"
#include "conn.h"
#include "dns.h"
#include "headers.h"
#include "log.h"
#include "util.h"
#include "worker.h"
#include "xact.h"

/*
 * From <linux/netfilter_ipv4.h> and <linux/netfilter_ipv6/ip6_tables.h>,
 * which cannot be included beside <netinet/in.h>.
 */
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST		80
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST	80
#endif

static int
intercept_same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr,
		    sizeof(struct in6_addr)) == 0;
	return 0;
}

static int
intercept_is_wildcard(const struct sockaddr *sa)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr ==
		    htonl(INADDR_ANY);
	return memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr, &any6,
	    sizeof(any6)) == 0;
}

/*
 * Is the destination one of our own listening sockets?  A client that
 * connects to an intercept port directly (no NAT in the way) "meant" the
 * proxy itself; going there would loop.
 */
static int
intercept_is_self(const struct sockaddr *dst, const struct sockaddr *sock)
{
	int port = util_addr_port(dst);

	if (sock != NULL && intercept_same_ip(dst, sock) &&
	    port == util_addr_port(sock))
		return 1;
	for (const struct cfg_port *p = worker_cfg->ports; p != NULL;
	    p = p->next) {
		const struct sockaddr *la = (const struct sockaddr *)&p->addr;
		if (p->port == port && la->sa_family == dst->sa_family &&
		    !intercept_is_wildcard(la) && intercept_same_ip(la, dst))
			return 1;
	}
	return 0;
}

int
intercept_accept(struct conn *c)
{
	struct sockaddr_storage dst, sock = c->local;
	socklen_t len = sizeof(dst);
	char ip[64], rip[64];
	int v6 = c->local.ss_family == AF_INET6;

	if (c->port->tproxy) {
		/* the socket took the destination's address as its own */
		c->icpt_mode = INTERCEPT_TPROXY;
		c->icpt_self = intercept_is_self((struct sockaddr *)&c->local,
		    NULL);
		return 0;
	}
	memset(&dst, 0, sizeof(dst));
	if (getsockopt(c->fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
	    v6 ? IP6T_SO_ORIGINAL_DST : SO_ORIGINAL_DST, &dst, &len) == -1) {
		/* as Squid: a connection whose destination is unknown is
		 * dropped (no NAT happened, or conntrack is not loaded) */
		log_warn("ERROR: NF getsockopt(ORIGINAL_DST) failed on "
		    "local=%s:%d remote=%s:%d (%s)",
		    util_addr_str((struct sockaddr *)&c->local, ip, sizeof(ip)),
		    util_addr_port((struct sockaddr *)&c->local),
		    util_addr_str((struct sockaddr *)&c->peer, rip,
		    sizeof(rip)), util_addr_port((struct sockaddr *)&c->peer),
		    c->port->spec);
		return -1;
	}
	c->local = dst;
	c->icpt_mode = INTERCEPT_NAT;
	c->icpt_self = intercept_is_self((struct sockaddr *)&dst,
	    (struct sockaddr *)&sock);
	return 0;
}

void
intercept_fake_connect(struct conn *c)
{
	const struct sockaddr *la = (const struct sockaddr *)&c->local;
	char ip[64], auth[80];

	util_addr_str(la, ip, sizeof(ip));
	snprintf(auth, sizeof(auth), la->sa_family == AF_INET6 ? "[%s]:%d" :
	    "%s:%d", ip, util_addr_port(la));
	buf_printf(&c->in, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", auth,
	    auth);
}

int
intercept_tls(const struct conn *c)
{
	return c != NULL && c->icpt_mode != 0 && c->port->is_https;
}

void
intercept_splice_sni(struct xact *x)
{
	struct url u;
	char auth[URL_HOST_MAX + 8];
	int n;

	if (!intercept_tls(x->conn) || x->bump.sni[0] == '\0')
		return;
	n = snprintf(auth, sizeof(auth), "%s:%d", x->bump.sni, x->url.port);
	if (n < 0 || (size_t)n >= sizeof(auth) ||
	    url_parse_authority(&u, auth, (size_t)n) != URL_OK)
		return;
	x->url = u;
	free(x->url_str);
	free(x->log_url);
	x->url_str = xstrdup(auth);
	x->log_url = xstrdup(auth);
}

char *
intercept_url(const struct xact *x)
{
	const char *t = x->req.target;
	size_t tl = x->req.target_len;
	const struct http_header *h;
	const struct sockaddr *la = (const struct sockaddr *)&x->log.local;
	char ip[64];

	if (tl > 0 && t[0] != '/')
		return NULL;	/* absolute-form: taken as it is */
	if ((h = http_msg_header(&x->req, "Host")) != NULL)
		return xasprintf("http://%.*s%.*s", (int)h->value_len,
		    h->value, (int)tl, t);
	/* no Host: the address the client meant */
	util_addr_str(la, ip, sizeof(ip));
	return xasprintf(la->sa_family == AF_INET6 ? "http://[%s]:%d%.*s" :
	    "http://%s:%d%.*s", ip, util_addr_port(la), (int)tl, t);
}

/* Host header forgery: go on without trust, or refuse (strict). */
static void
intercept_verify_failed(struct xact *x, const char *a, const char *b)
{
	const struct http_header *ua;
	char ip[64];

	util_addr_str((const struct sockaddr *)&x->peer, ip, sizeof(ip));
	/* as Squid, CONNECT (a tunnel it cannot trust) is refused anyway */
	if (!worker_cfg->host_verify_strict && !x->is_connect) {
		log_debug(85, 3, "SECURITY ALERT: Host header forgery detected "
		    "on %s (%s does not match %s) on URL: %s", ip, a, b,
		    x->url_str);
		x->icpt.verified = 0;
		x->icpt.cont(x);
		return;
	}
	log_warnx("SECURITY ALERT: Host header forgery detected on %s "
	    "(%s does not match %s)", ip, a, b);
	if ((ua = http_msg_header(&x->req, "User-Agent")) != NULL)
		log_warnx("SECURITY ALERT: By user agent: %.*s",
		    (int)ua->value_len, ua->value);
	log_warnx("SECURITY ALERT: on URL: %s", x->url_str);
	xact_fail(x, 409, "ERR_CONFLICT_HOST", 0);
}

static int
intercept_has_local_ip(const struct xact *x, const struct dns_result *r)
{
	for (int i = 0; i < r->naddrs; i++)
		if (intercept_same_ip((const struct sockaddr *)&r->addrs[i],
		    (const struct sockaddr *)&x->log.local))
			return 1;
	return 0;
}

static void
intercept_verify_dns(void *arg, const struct dns_result *res)
{
	struct xact *x = arg;

	x->fwd.dnsq = NULL;
	if (intercept_has_local_ip(x, res)) {
		x->icpt.verified = 1;
		x->icpt.cont(x);
		return;
	}
	intercept_verify_failed(x, "local IP", "any domain IP");
}

/*
 * Squid 5.7 replaces a Host header with the URL's authority before the
 * check (RFC 9112 3.2.2), so the URL is what is checked, and a
 * forward-proxy request always passes, strict or not.  Intercepted: an
 * explicit port must be the one the client connected to, and the host
 * must resolve to the address it connected to.
 */
int
intercept_verify(struct xact *x, void (*cont)(struct xact *))
{
	const char *host = x->url.host;
	struct dns_result lit;
	socklen_t len;
	char port[16];

	x->icpt.cont = cont;
	x->icpt.verified = 0;
	/* no Host: nothing to forge, but nothing verified either */
	if (http_msg_header(&x->req, "Host") == NULL)
		return 0;
	if ((x->is_connect || !url_port_is_default(&x->url)) && x->url.port !=
	    util_addr_port((const struct sockaddr *)&x->log.local)) {
		snprintf(port, sizeof(port), "%d", x->url.port);
		intercept_verify_failed(x, "intercepted port", port);
		return 1;
	}
	memset(&lit, 0, sizeof(lit));
	if (util_addr_parse(host, 0, &lit.addrs[0], &len) == 0) {
		lit.naddrs = 1;
		if (intercept_has_local_ip(x, &lit)) {
			x->icpt.verified = 1;
			return 0;
		}
		intercept_verify_failed(x, "local IP", "any domain IP");
		return 1;
	}
	xact_set_state(x, XS_ACCESS);
	x->fwd.dnsq = dns_resolve(host, intercept_verify_dns, x);
	return 1;
}

/* Does a Via header name this proxy, as it names itself in Via? */
static int
intercept_via_loops(const struct xact *x)
{
	const char *me = strchr(headers_via_value(), ' ');	/* " host (..)" */
	size_t n = strlen(me);

	for (int i = 0; i < x->req.nhdr; i++) {
		const struct http_header *h = &x->req.hdr[i];
		if (!util_strcaseeq_n(h->name, h->name_len, "Via") ||
		    h->value_len < n)
			continue;
		if (memmem(h->value, h->value_len, me, n) != NULL)
			return 1;
	}
	return 0;
}

int
intercept_loop_denied(struct xact *x)
{
	if (!x->icpt.self && !intercept_via_loops(x))
		return 0;
	log_warnx("WARNING: Forwarding loop detected for: %s %s", x->method,
	    x->url_str);
	xact_tag(x, "TCP_MISS");
	xact_fail(x, 403, "ERR_ACCESS_DENIED", 0);
	return 1;
}

int
intercept_original_dst_of(const struct xact *x, struct dns_result *res,
    int *port)
{
	/* a rewritten URL is no longer what the client asked the origin */
	if (x->rw.done || (!worker_cfg->client_dst_passthru
	    && x->icpt.verified))
		return 0;
	memset(res, 0, sizeof(*res));
	res->naddrs = 1;
	res->addrs[0] = x->log.local;
	*port = util_addr_port((const struct sockaddr *)&x->log.local);
	return 1;
}

void
intercept_spoof_bind(const struct xact *x, int fd, const struct sockaddr *dst)
{
	static int warned;
	struct sockaddr_storage src = x->peer;
	int on = 1;

	if (src.ss_family != dst->sa_family)
		return;
	/* cache_peer no-tproxy: Squid's getOutgoingAddress goes out from
	   the proxy's own address to that peer */
	if (xact_peer(x) != NULL && xact_peer(x)->no_tproxy)
		return;
	util_addr_set_port(&src, 0);
	if (setsockopt(fd, SOL_IP, IP_TRANSPARENT, &on, sizeof(on)) == -1) {
		/* without CAP_NET_ADMIN: go out from our own address */
		if (!warned++)
			log_warn("tproxy: setsockopt(IP_TRANSPARENT) on an "
			    "outgoing connection");
		return;
	}
	if (bind(fd, (struct sockaddr *)&src, util_addr_len(
	    (struct sockaddr *)&src)) == -1)
		log_warn("tproxy: bind to the client's address");
}
