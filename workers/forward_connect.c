/*
 * How a transaction gets its server connection: the routes peer
 * selection gives (parents, direct, the original destination) tried in
 * order, DNS, an idle pooled or standby connection or a new one
 * (tcp_outgoing_address, tproxy's spoofed address), and TLS to an https
 * origin or a tls cache_peer.  forward.c then uses the connection.
 *
 * In DESIGN.md's data flow: miss: peer selection - DNS (c-ares) - server
 * connection (pooled).
 */
#include "config.h"
#include "forward.h"
#include "forward_int.h"
#include "acl.h"
#include "cfg.h"
#include "conn.h"
#include "dns.h"
#include "hdr_mangle.h"
#include "xact.h"
#include "buf.h"
#include "headers.h"
#include "url.h"
#include "intercept.h"
#include "log.h"
#include "pconn.h"
#include "peer.h"
#include "peer_state.h"
#include "tls_client.h"
#include "util.h"
#include "worker.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* tcp_outgoing_address: first line whose ACLs match, same family. */
static int
forward_bind_outgoing(struct xact *x, int fd, const struct sockaddr *dst)
{
	for (const struct cfg_outgoing_addr *o = worker_cfg->tcp_outgoing_address;
	    o != NULL; o = o->next) {
		if (o->addr.ss_family != dst->sa_family)
			continue;
		struct acl_checklist cl;
		xact_checklist(x, &cl);
		cl.dst = dst;
		if (acl_refs_match(o->rule.refs, o->rule.nrefs, &cl) != ACL_MATCH)
			continue;
		if (bind(fd, (const struct sockaddr *)&o->addr, o->addrlen) == -1) {
			log_warn("tcp_outgoing_address bind");
			return -1;
		}
		return 0;
	}
	return 0;
}

int
forward_socket(struct xact *x, const struct sockaddr *addr)
{
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd == -1)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	intercept_spoof(x, fd, addr);	/* tproxy: the client's address */
	if (forward_bind_outgoing(x, fd, addr) == -1) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (connect(fd, addr, util_addr_len(addr)) == -1 &&
	    errno != EINPROGRESS) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void forward_route(struct xact *x);

/* The route tried failed: the next one, or the error. */
static void
forward_fail_connect(struct xact *x, int err)
{
	if (x->fwd.route_idx + 1 < x->fwd.routes.n) {
		log_debug(11, 2, "%s: %s failed (%s); trying the next path",
		    x->url_str, x->fwd.routes.route[x->fwd.route_idx].peer ?
		    x->fwd.routes.route[x->fwd.route_idx].peer->name :
		    "direct", strerror(err));
		x->fwd.route_idx++;
		forward_route(x);
		return;
	}
	/* a timed-out connect too: Squid 5.7 answers 503, errno 110 */
	xact_fail(x, 503, "ERR_CONNECT_FAIL", err);
}

/*
 * The name TLS is set up for on the route tried: the URL's host for an
 * https:// URL going direct; NULL for plain HTTP (peers without tls get
 * the absolute URL over plain HTTP, as from Squid).
 */
static const char *
forward_tls_host(const struct xact *x)
{
	if (x->is_connect || strcmp(x->url.scheme, "https") != 0 ||
	    (xact_peer(x) != NULL && !forward_thru_peer_tunnel(x)))
		return NULL;
	return x->url.host;
}

/*
 * A request of a bumped connection going to a parent proxy goes as Squid
 * 5.7's FwdState sends it: a CONNECT to the parent, TLS with the origin
 * inside the tunnel, then the request in origin form (headers.c).  Not
 * through an origin peer, nor through a tls parent (no TLS inside TLS, as
 * in Squid: there the https:// URL goes to the parent as it is).
 */
int
forward_thru_peer_tunnel(const struct xact *x)
{
	const struct cfg_peer *p = xact_peer(x);

	return p != NULL && !p->originserver && !p->tls && !x->is_connect &&
	    x->conn != NULL && x->conn->tls_authority != NULL &&
	    strcmp(x->url.scheme, "https") == 0;
}

/*
 * Does the route tried go to a cache_peer with tls?  Not a CONNECT to an
 * originserver peer: the client speaks TLS to it through the tunnel
 * (Squid's userWillTlsToPeerForUs).
 */
static const struct cfg_peer *
forward_tls_peer(const struct xact *x)
{
	const struct cfg_peer *p = xact_peer(x);

	if (p == NULL || !p->tls || (p->originserver && x->is_connect))
		return NULL;
	return p;
}

/* The pool key of the route's connections: NULL plain, else TLS's. */
static char *
forward_pool_key(const struct xact *x)
{
	const struct cfg_peer *p = forward_tls_peer(x);

	if (p != NULL)
		return tls_client_peer_key(p);
	return forward_tls_host(x) != NULL ? xstrdup(forward_tls_host(x)) :
	    NULL;
}

/* TLS with the origin is up (go on as over TCP) or failed (Squid's 503). */
static void
forward_tls_done(struct xact *x, struct srv *s, struct tls_client_result *r)
{
	if (r->ok) {
		x->fwd.on_connected(x, s);
		return;
	}
	srv_close(s);
	/* Squid 5.7 logs no server for a connection that never got secure */
	x->hier = "HIER_NONE";
	memset(&x->log.server, 0, sizeof(x->log.server));
	free(x->err_x);
	free(x->err_d);
	x->err_x = xstrdup(r->err_code);
	x->err_d = xstrdup(r->err_detail);
	xact_fail(x, r->timed_out ? 504 : 503, "ERR_SECURE_CONNECT_FAIL",
	    r->sys_errno);
}

/*
 * TLS with a cache_peer is up or failed.  Squid 5.7 counts a peer's
 * success only once TLS is up, and a failed handshake twice toward
 * connect-fail-limit (BlindPeerConnector::noteNegotiationDone and
 * PeerConnector::countFailingConnection each call peerConnectFailed); the
 * next path is tried, the last one's failure is the answer.
 */
static void
forward_peer_tls_done(struct xact *x, struct srv *s,
    struct tls_client_result *r)
{
	const struct cfg_peer *p = xact_peer(x);

	if (r->ok) {
		if (!x->is_connect)
			peer_state_connect_result(p, 1);
		x->fwd.on_connected(x, s);
		return;
	}
	/* tls_client has logged "TLS with cache_peer NAME (ADDR) failed" */
	peer_state_connect_result(p, 0);
	peer_state_connect_result(p, 0);
	if (x->fwd.route_idx + 1 < x->fwd.routes.n) {
		srv_close(s);
		x->fwd.route_idx++;
		forward_route(x);
		return;
	}
	forward_tls_done(x, s, r);
}

static void forward_connect_timeout(struct ev_timer *t);

/* The parent broke during our CONNECT: the next route, or 502. */
static void
forward_peer_tunnel_failed(struct xact *x, int status, const char *why)
{
	struct srv *s = x->srv;

	log_debug(11, 2, "%s: CONNECT through parent %s: %s", x->url_str,
	    xact_peer(x)->name, why);
	peer_state_connect_result(xact_peer(x), 0);
	x->srv = NULL;
	srv_close(s);
	if (x->fwd.route_idx + 1 < x->fwd.routes.n) {
		x->fwd.route_idx++;
		forward_route(x);
		return;
	}
	x->log.upstream_status = status;
	xact_fail(x, 502, "ERR_CONNECT_FAIL", 0);
}

/* Our CONNECT goes out, the parent's answer comes back. */
static void
forward_peer_tunnel_io(struct ev_io *io, uint32_t revents)
{
	struct xact *x = io->arg;
	struct srv *s = x->srv;
	int status;
	size_t head;

	(void)revents;
	switch (peer_connect_exchange(s, &status, &head)) {
	case PEER_CONNECT_WAIT:
		return;
	case PEER_CONNECT_WRITE_FAILED:
	case PEER_CONNECT_READ_FAILED:
		forward_peer_tunnel_failed(x, 0, errno != 0 ? strerror(errno) :
		    "closed");
		return;
	case PEER_CONNECT_BAD_ANSWER:
		forward_peer_tunnel_failed(x, 0, "unparsable answer");
		return;
	case PEER_CONNECT_ANSWERED:
		break;
	}
	if (status < 200 || status > 299) {
		/* as Squid's Http::Tunneler */
		peer_connect_refused(x, s, status);
		return;
	}
	/* a TLS server does not speak first (Squid: "Early data after
	   CONNECT response") */
	if (buf_avail(&s->in) != head) {
		forward_peer_tunnel_failed(x, status, "early data");
		return;
	}
	buf_consume(&s->in, head);
	ev_timer_stop(&x->timer);
	tls_client_start(x, s, x->url.host, forward_tls_done);
}

/* CONNECT host:port to the parent, with what its login= sends. */
static void
forward_peer_tunnel(struct xact *x, struct srv *s)
{
	char hostport[URL_HOST_MAX + 16];

	url_format_host_port(&x->url, hostport, sizeof(hostport));
	peer_connect_request(x, hostport, &s->out);
	ev_io_set_cb(&s->io, forward_peer_tunnel_io, x);
	ev_io_set(&s->io, EPOLLOUT | EPOLLIN);
	ev_timer_set_cb(&x->timer, forward_connect_timeout);
	ev_timer_start(&x->timer, worker_cfg->read_timeout);
}

static void forward_open_failed(struct xact *x, int err);
static void forward_open_again(struct ev_timer *t);

static void
forward_connect_done(struct ev_io *io, uint32_t revents)
{
	struct xact *x = io->arg;
	struct srv *s = x->srv;
	int err = util_connect_result(s->fd, (revents & EPOLLOUT) != 0);

	if (err == -1)
		return;
	ev_timer_stop(&x->timer);
	x->log.server = s->addr;
	/* Squid's tunnels tell a parent's failures only, never success;
	   a tls peer's success waits for its handshake */
	if (err != 0 || (!x->is_connect && forward_tls_peer(x) == NULL))
		peer_state_connect_result(xact_peer(x), err == 0);
	if (err != 0) {
		x->srv = NULL;
		srv_close(s);
		forward_open_failed(x, err);
		return;
	}
	const struct cfg_peer *tls_peer = forward_tls_peer(x);
	if (tls_peer != NULL) {
		tls_client_start_peer(x, s, tls_peer, forward_peer_tls_done);
		return;
	}
	if (forward_thru_peer_tunnel(x)) {
		forward_peer_tunnel(x, s);
		return;
	}
	const char *tls_host = forward_tls_host(x);
	if (tls_host != NULL) {
		tls_client_start(x, s, tls_host, forward_tls_done);
		return;
	}
	x->srv = NULL;
	x->fwd.on_connected(x, s);
}

static void
forward_connect_timeout(struct ev_timer *t)
{
	struct xact *x = t->arg;

	peer_state_connect_result(xact_peer(x), 0);
	if (x->srv != NULL) {
		x->log.server = x->srv->addr;
		srv_close(x->srv);
		x->srv = NULL;
	}
	forward_fail_connect(x, ETIMEDOUT);
}

static void forward_open_addr(struct xact *x);

/*
 * Opening the connection to the address tried failed: open it again after
 * Squid's 50 ms pause while connect_retries allows (Squid 5.7's
 * ConnOpener makes connect_retries opens in all, one when it is 0 or 1),
 * within the connect timeout; else the next address.
 */
static void
forward_open_failed(struct xact *x, int err)
{
	x->err_errno = err;
	x->fwd.open_fails++;
	if (x->fwd.open_fails < worker_cfg->connect_retries &&
	    ev_now() < x->fwd.connect_deadline) {
		uint64_t left = x->fwd.connect_deadline - ev_now();

		log_debug(11, 2, "%s: connect failed (%s); opening again, "
		    "failure %d of connect_retries %d", x->url_str,
		    strerror(err), x->fwd.open_fails,
		    worker_cfg->connect_retries);
		ev_timer_stop(&x->timer);
		ev_timer_set_cb(&x->timer, forward_open_again);
		ev_timer_start(&x->timer, left < 50 ? left : 50);
		return;
	}
	ev_timer_stop(&x->timer);
	x->fwd.addr_idx++;
	forward_dial(x, 0, x->fwd.on_connected);
}

static void
forward_open_again(struct ev_timer *t)
{
	struct xact *x = t->arg;

	if (ev_now() >= x->fwd.connect_deadline) {
		forward_fail_connect(x, ETIMEDOUT);
		return;
	}
	forward_open_addr(x);
}

/* A new connection to x->fwd.addr_idx's address, until connect_deadline. */
static void
forward_open_addr(struct xact *x)
{
	struct sockaddr_storage addr = x->fwd.dest.addrs[x->fwd.addr_idx];
	const struct cfg_peer *peer = xact_peer(x);

	util_addr_set_port(&addr, x->fwd.dest_port);
	int fd = forward_socket(x, (struct sockaddr *)&addr);
	if (fd == -1) {
		x->log.server = addr;
		peer_state_connect_result(peer, 0);
		forward_open_failed(x, errno);
		return;
	}
	struct srv *s = srv_new(fd, (struct sockaddr *)&addr,
	    util_addr_len((struct sockaddr *)&addr));
	peer_state_conn_opened(peer, s);
	s->hier = x->hier;
	x->srv = s;
	s->xact = x;
	xact_set_state(x, XS_CONNECTING);
	ev_io_set_cb(&s->io, forward_connect_done, x);
	ev_io_set(&s->io, EPOLLOUT);
	xact_client_update(x);
	ev_timer_set_cb(&x->timer, forward_connect_timeout);
	ev_timer_start(&x->timer, x->fwd.connect_deadline > ev_now() ?
	    x->fwd.connect_deadline - ev_now() : 1);
}

void
forward_dial(struct xact *x, int allow_pool, forward_connected_cb *cb)
{
	struct sockaddr_storage addr;

	x->fwd.on_connected = cb;
	/* forward_timeout bounds all the attempts together */
	int64_t left = worker_cfg->forward_timeout -
	    (int64_t)(ev_now() - x->upstream_started_ms);
	if (x->fwd.addr_idx > 0 && left <= 0) {
		forward_fail_connect(x, ETIMEDOUT);
		return;
	}
	const struct cfg_peer *peer = xact_peer(x);
	int64_t ctimeout = peer == NULL ? worker_cfg->connect_timeout :
	    peer->connect_timeout >= 0 ? peer->connect_timeout :
	    worker_cfg->peer_connect_timeout;
	for (; x->fwd.addr_idx < x->fwd.dest.naddrs; x->fwd.addr_idx++) {
		addr = x->fwd.dest.addrs[x->fwd.addr_idx];
		util_addr_set_port(&addr, x->fwd.dest_port);
		/* Squid 5.7 counts every connection tried, a pooled one
		   too (HappyConnOpener's n_tries), and stops at the limit
		   with the last failure */
		if (x->fwd.tries >= worker_cfg->forward_max_tries) {
			xact_fail(x, 503, "ERR_CONNECT_FAIL", x->err_errno ?
			    x->err_errno : ECONNREFUSED);
			return;
		}
		if (allow_pool && !x->fwd.retried && forward_shares_connections(x)) {
			char *key = forward_pool_key(x);
			struct srv *s = pconn_take((struct sockaddr *)&addr,
			    key);
			free(key);
			if (s != NULL) {
				/* Squid logs a parent's reused connection with
				 * the code it was opened under; direct and
				 * ORIGINAL_DST keep their own */
				if (s->hier != NULL && peer != NULL)
					x->hier = s->hier;
				x->fwd.tries++;
				cb(x, s);
				return;
			}
		}
		/*
		 * Then a parent's standby connection, as Squid's PconnPool::pop
		 * falls back to it, for any request but a tunnel's, a retry's,
		 * or one that must leave from the client's address (tproxy)
		 */
		if (peer != NULL && peer->standby > 0 && !x->is_connect &&
		    !x->fwd.retried && forward_shares_connections(x)) {
			struct srv *s = peer_standby_take(peer);
			if (s != NULL) {
				x->fwd.tries++;
				cb(x, s);
				return;
			}
		}
		x->fwd.tries++;
		x->fwd.open_fails = 0;
		x->fwd.connect_deadline = ev_now() + (uint64_t)(left > 0 &&
		    left < ctimeout ? left : ctimeout);
		forward_open_addr(x);
		return;
	}
	forward_fail_connect(x, x->err_errno ? x->err_errno : ECONNREFUSED);
}

/* The addresses of the route to try are known: dial them. */
static void
forward_dest_ready(struct xact *x, const struct dns_result *res)
{
	struct dns_result orig;
	int port;

	x->fwd.dest = *res;
	x->fwd.addr_idx = 0;
	x->hier = x->fwd.routes.route[x->fwd.route_idx].hier;
	if (xact_peer(x) == NULL && res->naddrs == 1 &&
	    intercept_original_dst(x, &orig, &port))
		x->hier = "ORIGINAL_DST";
	forward_dial(x, x->fwd.dial_pool, x->fwd.on_connected);
}

static void
forward_dns_done(void *arg, const struct dns_result *res)
{
	struct xact *x = arg;

	x->fwd.dnsq = NULL;
	x->dns = *res;
	x->log.dns_ms = (long)(ev_now() - x->upstream_started_ms);
	if (res->naddrs == 0) {
		if (x->fwd.route_idx + 1 < x->fwd.routes.n) {
			forward_fail_connect(x, EHOSTUNREACH);
			return;
		}
		/*
		 * What Squid 5.7 answers for a name that does not resolve,
		 * NXDOMAIN or no answer alike.
		 */
		if (x->is_connect)
			xact_fail(x, 500, "ERR_CANNOT_FORWARD", 0);
		else
			xact_fail(x, 502, "ERR_READ_ERROR", 0);
		return;
	}
	forward_dest_ready(x, res);
}

static void
forward_peer_dns_done(void *arg, const struct dns_result *res)
{
	struct xact *x = arg;

	x->fwd.dnsq = NULL;
	if (res->naddrs == 0) {
		log_warnx("cache_peer %s: cannot resolve %s",
		    xact_peer(x)->name, xact_peer(x)->host);
		forward_fail_connect(x, EHOSTUNREACH);
		return;
	}
	forward_dest_ready(x, res);
}

/*
 * Go to the route x->fwd.route_idx: its addresses (a peer's, or the
 * origin's, perhaps resolved already for a dst ACL), then dial.
 */
static void
forward_route(struct xact *x)
{
	const struct peer_route *r = &x->fwd.routes.route[x->fwd.route_idx];
	struct dns_result lit;

	if (!x->is_connect) {
		/* the request line and Host depend on where it goes */
		buf_consume(&x->fwd.head, buf_avail(&x->fwd.head));
		headers_build_request(x, &x->fwd.head);
		hdr_mangle_head(x, HDR_MANGLE_REQUEST, NULL, &x->fwd.head, 0);
	}
	if (r->peer != NULL) {
		x->fwd.dest_port = r->peer->http_port;
		socklen_t len;
		memset(&lit, 0, sizeof(lit));
		if (util_addr_parse(r->peer->host, 0, &lit.addrs[0], &len) == 0) {
			lit.naddrs = 1;
			forward_dest_ready(x, &lit);
			return;
		}
		xact_set_state(x, XS_DNS);
		x->fwd.dnsq = dns_resolve(r->peer->host, forward_peer_dns_done,
		    x);
		return;
	}
	if (intercept_original_dst(x, &lit, &x->fwd.dest_port)) {
		forward_dest_ready(x, &lit);
		return;
	}
	x->fwd.dest_port = x->url.port;
	if (x->dns.naddrs > 0) {	/* resolved for a dst ACL already */
		forward_dest_ready(x, &x->dns);
		return;
	}
	xact_set_state(x, XS_DNS);
	x->fwd.dnsq = dns_resolve(x->url.host, forward_dns_done, x);
}

void
forward_open(struct xact *x, int allow_pool, forward_connected_cb *cb)
{
	x->fwd.dial_pool = allow_pool;
	x->fwd.on_connected = cb;
	x->upstream_started_ms = ev_now();
	peer_select(x, &x->fwd.routes);
	x->fwd.route_idx = 0;
	if (x->fwd.routes.n == 0) {
		/* never_direct (or an accel port) and no parent takes it */
		/* Squid 5.7 answers 502 and logs HIER_NONE/- */
		xact_fail(x, 502, "ERR_CANNOT_FORWARD", 0);
		return;
	}
	forward_route(x);
}

