/*
 * Whether a parent is alive, as Squid 5.7's neighbors.cc tells: each
 * failed connection to it counts ("TCP connection to HOST/PORT failed"),
 * connect-fail-limit of them in a row make it dead ("Detected DEAD
 * Parent: NAME"), and a successful one resets the count.  A dead parent is
 * probed with a TCP connect when the selection asks about it, at most once
 * a second, and an answer revives it ("Detected REVIVED Parent: NAME",
 * which also resets the round-robin counts).  Each parent is probed when
 * a worker starts; one that does not answer is down without a DEAD line,
 * as in Squid, which starts with every peer down until its probe answers.
 * Also here: the count of open connections max-conn= limits.
 *
 * In DESIGN.md's data flow: miss: peer selection (which parents are alive).
 */
#include "config.h"
#include "peer.h"
#include "peer_state.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cfg.h"
#include "dns.h"
#include "evloop.h"
#include "log.h"
#include "pconn.h"
#include "peer_hash.h"
#include "util.h"
#include "worker.h"

/* Squid clears the round-robin counters this often (peerClearRRLoop). */
#define PEER_STATE_RR_SECS	300
#define PEER_STATE_PROBE_ADDRS	4

struct peer_state_probe {
	const struct cfg_peer *peer;
	struct ev_io	 io;		/* fd -1: answered at once */
	struct ev_timer	 timer;
	int		 ok;		/* that answer */
};

static time_t peer_state_rr_cleared;
static int peer_state_started;

struct peer_state *
peer_state_get(const struct cfg_peer *p)
{
	/* the state hangs off the config; only this worker writes it */
	struct cfg_peer *w = (struct cfg_peer *)p;

	if (w->state == NULL) {
		w->state = xcalloc(1, sizeof(*w->state));
		/* up until a probe or connect-fail-limit failures say not */
		w->state->tcp_up = p->connect_fail_limit;
		w->state->hash = peer_hash_name(p->name);
	}
	return w->state;
}

void
peer_state_config(const struct cfg *cfg)
{
	peer_state_rr_cleared = time(NULL);
	/*
	 * Squid's counts start at 0 but for the first cache_peer's, which
	 * its first peerClearRR() set to 1 while it was the only one; after
	 * a reconfigure all start at 0.  The same turns follow.
	 */
	if (!peer_state_started && cfg->peers != NULL)
		peer_state_get(cfg->peers)->rr_count = 1;
	peer_state_started = 1;
}

/* Squid's peerClearRR: on a revival, and every five minutes. */
static void
peer_state_clear_rr(void)
{
	for (const struct cfg_peer *p = worker_cfg->peers; p != NULL;
	    p = p->next)
		peer_state_get(p)->rr_count = 1;
	peer_state_rr_cleared = time(NULL);
}

void
peer_state_tick(void)
{
	if (time(NULL) - peer_state_rr_cleared >= PEER_STATE_RR_SECS)
		peer_state_clear_rr();
}

static void
peer_state_failed_silent(const struct cfg_peer *p)
{
	struct peer_state *s = peer_state_get(p);

	if (s->tcp_up == 0)
		return;
	if (--s->tcp_up == 0) {
		log_debug(15, 1, "Detected DEAD Parent: %s", p->name);
		s->said_dead = 1;
	}
}

static void
peer_state_succeeded(const struct cfg_peer *p)
{
	struct peer_state *s = peer_state_get(p);
	int was_down = s->tcp_up == 0;

	s->tcp_up = p->connect_fail_limit;
	if (was_down && s->said_dead) {
		log_debug(15, 1, "Detected REVIVED Parent: %s", p->name);
		s->said_dead = 0;
		peer_state_clear_rr();
	}
	if (was_down)
		peer_standby_checkpoint(p);	/* "revived peer" */
}

void
peer_state_connect_result(const struct cfg_peer *p, int ok)
{
	if (p == NULL)
		return;
	if (ok) {
		peer_state_succeeded(p);
		return;
	}
	log_debug(15, 1, "TCP connection to %s/%d failed", p->host,
	    p->http_port);
	peer_state_failed_silent(p);
}

void
peer_state_conn_opened(const struct cfg_peer *p, struct srv *s)
{
	if (p == NULL)
		return;
	s->peer = p;
	peer_state_get(p)->conn_open++;
}

/* Squid's peerConnClosed: a standby pool waiting for room may refill. */
void
peer_state_conn_closed(const struct cfg_peer *p)
{
	peer_state_get(p)->conn_open--;
	peer_standby_room(p);
}

int
peer_state_can_open(const struct cfg_peer *p)
{
	return p->max_conn <= 0 || peer_state_get(p)->conn_open < p->max_conn;
}

/* ---- probes ------------------------------------------------------------- */

static void
peer_state_probe_end(struct peer_state_probe *pr, int ok)
{
	struct peer_state *s = peer_state_get(pr->peer);

	ev_timer_stop(&pr->timer);
	if (pr->io.fd != -1) {
		ev_io_stop(&pr->io);
		close(pr->io.fd);
	}
	s->testing--;
	if (ok)
		peer_state_succeeded(pr->peer);
	else if (!s->probed)
		s->tcp_up = 0;		/* down from the start: no DEAD line */
	else
		peer_state_failed_silent(pr->peer);
	s->probed = 1;
	ev_defer_free(pr);
}

static void
peer_state_probe_io(struct ev_io *io, uint32_t revents)
{
	struct peer_state_probe *pr = io->arg;
	int err = util_connect_result(io->fd, (revents & EPOLLOUT) != 0);

	if (err == -1)
		return;
	peer_state_probe_end(pr, err == 0);
}

/* The connect timed out, or its answer came at once and waited a turn. */
static void
peer_state_probe_timeout(struct ev_timer *t)
{
	struct peer_state_probe *pr = t->arg;

	peer_state_probe_end(pr, pr->ok);
}

/* One TCP connect to addr; its answer counts as the peer's. */
static void
peer_state_probe_addr(const struct cfg_peer *p, struct sockaddr_storage *addr)
{
	struct peer_state_probe *pr = xcalloc(1, sizeof(*pr));
	int64_t ms = p->connect_timeout >= 0 ? p->connect_timeout :
	    worker_cfg->peer_connect_timeout;
	int fd, rc = -1;

	pr->peer = p;
	peer_state_get(p)->testing++;
	ev_timer_init(&pr->timer, peer_state_probe_timeout, pr);
	util_addr_set_port(addr, p->http_port);
	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	ev_io_init(&pr->io, -1, peer_state_probe_io, pr);
	if (fd != -1 && (rc = connect(fd, (struct sockaddr *)addr,
	    util_addr_len((struct sockaddr *)addr))) == -1 &&
	    errno == EINPROGRESS) {
		ev_io_init(&pr->io, fd, peer_state_probe_io, pr);
		ev_io_set(&pr->io, EPOLLOUT);
		ev_timer_start(&pr->timer, (uint64_t)ms);
		return;
	}
	/* answered at once: reported from the loop all the same */
	pr->ok = fd != -1 && rc == 0;
	if (fd != -1)
		close(fd);
	ev_timer_start(&pr->timer, 0);
}

static void
peer_state_probe_dns(void *arg, const struct dns_result *res)
{
	const struct cfg_peer *p = arg;
	struct sockaddr_storage a;

	peer_state_get(p)->testing--;
	for (int i = 0; i < res->naddrs && i < PEER_STATE_PROBE_ADDRS; i++) {
		a = res->addrs[i];
		peer_state_probe_addr(p, &a);
	}
}

/* Squid's peerProbeConnect: not while one runs, nor twice a second. */
static void
peer_state_probe(const struct cfg_peer *p)
{
	struct peer_state *s = peer_state_get(p);
	struct sockaddr_storage a;
	socklen_t len;
	time_t now = time(NULL);

	if (s->testing > 0 || s->last_probe == now)
		return;
	s->last_probe = now;
	if (util_addr_parse(p->host, 0, &a, &len) == 0) {
		peer_state_probe_addr(p, &a);
		return;
	}
	s->testing++;		/* the lookup counts as a probe running */
	dns_resolve(p->host, peer_state_probe_dns, (void *)p);
}

void
peer_state_start(const struct cfg_peer *p)
{
	log_debug(15, 1, "Configuring Parent %s/%d/%d", p->host, p->http_port,
	    p->icp_port);
	peer_state_probe(p);
}

int
peer_state_up(const struct cfg_peer *p)
{
	if (peer_state_get(p)->tcp_up == 0) {
		peer_state_probe(p);
		return 0;
	}
	return 1;
}
