/*
 * cache_peer standby=N: Squid 5.7's PeerPoolMgr.  Each worker keeps up to
 * N idle connections to the parent opened in advance (through TLS too for
 * a tls peer), opening them one at a time and only while the parent is up
 * and max-conn= leaves room (they count toward it); one taken for a
 * request is replaced at once.  A request takes a standby connection only
 * when the shared idle pool had none for it (pconn.c first, as Squid's
 * PconnPool::pop); a used one never comes back here, it may go to the
 * shared pool.  Idle standby connections obey server_idle_pconn_timeout
 * and close when the server speaks or closes; either way the pool refills.
 * A connection or handshake that fails counts against connect-fail-limit,
 * so a parent that refuses them turns dead and the pool waits for its
 * revival.
 */
#include "config.h"
#include "peer.h"
#include "peer_state.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cfg.h"
#include "dns.h"
#include "log.h"
#include "pconn.h"
#include "tls_client.h"
#include "util.h"
#include "worker.h"

struct peer_standby {
	const struct cfg_peer *peer;
	struct srv	*idle;		/* the pool, newest first (pool_next) */
	int		 count;
	struct srv	*opening;	/* connecting or in its TLS handshake */
	struct dns_query *dnsq;		/* the peer's name being resolved */
	unsigned	 addr_used;	/* cycles through the peer's addresses */
	int		 waiting_for_close;	/* max-conn: wait for a close */
	int		 gone;		/* its config was replaced */
	struct peer_standby *next;
};

static struct peer_standby *peer_standby_pools;

static struct peer_standby *
peer_standby_of(const struct cfg_peer *p)
{
	for (struct peer_standby *sb = peer_standby_pools; sb != NULL;
	    sb = sb->next)
		if (sb->peer == p && !sb->gone)
			return sb;
	return NULL;
}

static void peer_standby_check(struct peer_standby *sb, const char *why);

static void
peer_standby_unlink(struct peer_standby *sb, struct srv *s)
{
	if (s->pool_prev != NULL)
		s->pool_prev->pool_next = s->pool_next;
	else
		sb->idle = s->pool_next;
	if (s->pool_next != NULL)
		s->pool_next->pool_prev = s->pool_prev;
	s->pool_next = s->pool_prev = NULL;
	sb->count--;
}

/* An idle standby connection closes; the pool refills. */
static void
peer_standby_drop(struct peer_standby *sb, struct srv *s, const char *why)
{
	log_debug(48, 3, "cache_peer %s: standby connection closed: %s",
	    sb->peer->name, why);
	peer_standby_unlink(sb, s);
	srv_close(s);
	peer_standby_check(sb, why);
}

static void
peer_standby_idle_event(struct ev_io *io, uint32_t revents)
{
	struct srv *s = io->arg;

	if (srv_idle_still_usable(s, revents))
		return;
	peer_standby_drop(peer_standby_of(s->peer), s, "closed by the peer");
}

static void
peer_standby_idle_timeout(struct ev_timer *t)
{
	struct srv *s = t->arg;

	peer_standby_drop(peer_standby_of(s->peer), s,
	    "server_idle_pconn_timeout");
}

/* An open (and, for tls, secured) connection joins the pool. */
static void
peer_standby_push(struct peer_standby *sb, struct srv *s)
{
	sb->opening = NULL;
	s->xact = NULL;
	buf_free(&s->in);
	buf_free(&s->out);
	s->pool_prev = NULL;
	s->pool_next = sb->idle;
	if (sb->idle != NULL)
		sb->idle->pool_prev = s;
	sb->idle = s;
	sb->count++;
	ev_io_set_cb(&s->io, peer_standby_idle_event, s);
	ev_io_set(&s->io, EPOLLIN | EPOLLRDHUP);
	ev_timer_set_cb(&s->timer, peer_standby_idle_timeout);
	ev_timer_start(&s->timer, (uint64_t)pconn_idle_wait(
	    worker_cfg->pconn_timeout, s->opened_ms));
	log_debug(48, 2, "cache_peer %s: standby connection ready (%d of %d)",
	    sb->peer->name, sb->count, sb->peer->standby);
	peer_standby_check(sb, "push");
}

/* The attempt failed: it counts against the peer, and may be retried. */
static void
peer_standby_failed(struct peer_standby *sb, struct srv *s, int count)
{
	const struct cfg_peer *p = sb->peer;

	sb->opening = NULL;
	srv_close(s);
	while (count-- > 0)
		peer_state_connect_result(p, 0);
	peer_standby_check(sb, "conn opening failure");
}

static void
peer_standby_tls_done(struct xact *x, struct srv *s,
    struct tls_client_result *r)
{
	struct peer_standby *sb = peer_standby_of(s->peer);

	(void)x;
	if (sb == NULL) {		/* a reload replaced its peer */
		srv_close(s);
		return;
	}
	if (r->ok) {
		peer_standby_push(sb, s);
		return;
	}
	/* twice, as Squid's BlindPeerConnector counts a failed handshake */
	peer_standby_failed(sb, s, 2);
}

static void
peer_standby_connect_done(struct ev_io *io, uint32_t revents)
{
	struct srv *s = io->arg;
	struct peer_standby *sb = peer_standby_of(s->peer);
	int err = util_connect_result(s->fd, (revents & EPOLLOUT) != 0);

	if (err == -1)
		return;
	ev_timer_stop(&s->timer);
	ev_io_set(&s->io, 0);
	if (sb == NULL) {
		srv_close(s);
		return;
	}
	if (err != 0) {
		log_debug(48, 2, "cache_peer %s: standby connection failed: %s",
		    sb->peer->name, strerror(err));
		peer_standby_failed(sb, s, 1);
		return;
	}
	if (sb->peer->tls) {
		tls_client_start_peer(NULL, s, sb->peer, peer_standby_tls_done);
		return;
	}
	peer_standby_push(sb, s);
}

static void
peer_standby_connect_timeout(struct ev_timer *t)
{
	struct srv *s = t->arg;
	struct peer_standby *sb = peer_standby_of(s->peer);

	if (sb == NULL) {
		srv_close(s);
		return;
	}
	peer_standby_failed(sb, s, 1);
}

/* Connect to one of the peer's addresses (they take turns). */
static void
peer_standby_dial(struct peer_standby *sb, const struct dns_result *res)
{
	const struct cfg_peer *p = sb->peer;
	struct sockaddr_storage a = res->addrs[sb->addr_used++ %
	    (unsigned)res->naddrs];
	int64_t ms = p->connect_timeout >= 0 ? p->connect_timeout :
	    worker_cfg->peer_connect_timeout;
	int one = 1, fd;
	struct srv *s;

	util_addr_set_port(&a, p->http_port);
	fd = socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("cache_peer %s: standby socket", p->name);
		return;		/* the next checkpoint tries again */
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&a, util_addr_len(
	    (struct sockaddr *)&a)) == -1 && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		log_debug(48, 2, "cache_peer %s: standby connection failed: %s",
		    p->name, strerror(e));
		peer_state_connect_result(p, 0);
		return;
	}
	s = srv_new(fd, (struct sockaddr *)&a, util_addr_len(
	    (struct sockaddr *)&a));
	peer_state_conn_opened(p, s);
	sb->opening = s;
	ev_io_set_cb(&s->io, peer_standby_connect_done, s);
	ev_io_set(&s->io, EPOLLOUT);
	ev_timer_set_cb(&s->timer, peer_standby_connect_timeout);
	ev_timer_start(&s->timer, (uint64_t)ms);
}

static void
peer_standby_dns_done(void *arg, const struct dns_result *res)
{
	struct peer_standby *sb = arg;

	sb->dnsq = NULL;
	if (res->naddrs == 0) {
		log_warnx("cache_peer %s: cannot resolve %s", sb->peer->name,
		    sb->peer->host);
		return;
	}
	peer_standby_dial(sb, res);
}

/* Squid's openNewConnection: one at a time, to a live peer, in limits. */
static void
peer_standby_open(struct peer_standby *sb)
{
	const struct cfg_peer *p = sb->peer;
	struct dns_result lit;
	socklen_t len;

	if (sb->opening != NULL || sb->dnsq != NULL || worker_retiring())
		return;
	if (peer_state_get(p)->tcp_up == 0)
		return;		/* a revival checks again */
	if (!peer_state_can_open(p)) {
		sb->waiting_for_close = 1;
		return;
	}
	sb->waiting_for_close = 0;
	memset(&lit, 0, sizeof(lit));
	if (util_addr_parse(p->host, 0, &lit.addrs[0], &len) == 0) {
		lit.naddrs = 1;
		peer_standby_dial(sb, &lit);
		return;
	}
	sb->dnsq = dns_resolve(p->host, peer_standby_dns_done, sb);
}

static void
peer_standby_check(struct peer_standby *sb, const char *why)
{
	if (sb == NULL || sb->gone)
		return;
	log_debug(48, 7, "cache_peer %s standby: %s with %d ? %d",
	    sb->peer->name, why, sb->count, sb->peer->standby);
	if (sb->count < sb->peer->standby)
		peer_standby_open(sb);
	while (sb->count > sb->peer->standby && sb->idle != NULL) {
		struct srv *s = sb->idle;

		peer_standby_unlink(sb, s);
		srv_close(s);
	}
}

/* The pools of a replaced config go: their connections close. */
static void
peer_standby_retire(struct peer_standby *sb)
{
	sb->gone = 1;
	while (sb->idle != NULL) {
		struct srv *s = sb->idle;

		peer_standby_unlink(sb, s);
		srv_close(s);
	}
	if (sb->opening != NULL) {
		srv_close(sb->opening);
		sb->opening = NULL;
	}
	if (sb->dnsq != NULL) {
		dns_cancel(sb->dnsq);
		sb->dnsq = NULL;
	}
}

void
peer_standby_init(const struct cfg *cfg)
{
	for (struct peer_standby *sb = peer_standby_pools; sb != NULL;
	    sb = sb->next)
		if (!sb->gone)
			peer_standby_retire(sb);
	for (const struct cfg_peer *p = cfg->peers; p != NULL; p = p->next) {
		struct peer_standby *sb;

		if (p->standby <= 0 || p->type != CFG_PEER_PARENT)
			continue;
		sb = xcalloc(1, sizeof(*sb));
		sb->peer = p;
		sb->next = peer_standby_pools;
		peer_standby_pools = sb;
		peer_standby_check(sb, "peer initialized");
	}
}

struct srv *
peer_standby_take(const struct cfg_peer *p)
{
	struct peer_standby *sb = peer_standby_of(p);
	struct srv *s;

	if (sb == NULL || (s = sb->idle) == NULL)
		return NULL;
	peer_standby_unlink(sb, s);
	ev_timer_stop(&s->timer);
	ev_io_set(&s->io, 0);
	/* it waited idle: a server that closed it meanwhile allows a retry */
	s->reused = 1;
	log_debug(48, 3, "cache_peer %s: a standby connection is used (%d "
	    "left)", p->name, sb->count);
	peer_standby_check(sb, "pop");
	return s;
}

int
peer_standby_count(const struct cfg_peer *p)
{
	struct peer_standby *sb = peer_standby_of(p);

	return sb != NULL ? sb->count : 0;
}

void
peer_standby_checkpoint(const struct cfg_peer *p)
{
	peer_standby_check(peer_standby_of(p), "revived peer");
}

void
peer_standby_room(const struct cfg_peer *p)
{
	struct peer_standby *sb = peer_standby_of(p);

	if (sb != NULL && sb->waiting_for_close && peer_state_can_open(p)) {
		sb->waiting_for_close = 0;
		peer_standby_check(sb, "conn closed");
	}
}
