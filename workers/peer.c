/*
 * Peer selection: where a request that goes upstream is sent, in the order
 * to try, as Squid 5.7's peer_select.cc builds it.  always_direct, never_
 * direct, an accel port without allow-direct, prefer_direct and
 * nonhierarchical_direct decide whether going direct is allowed and comes
 * first or last; the parents come as one chosen by the first method that
 * yields one (sourcehash, userhash, CARP, round-robin, weighted-round-robin,
 * the first parent up, the default one), then every other usable parent in
 * file order (ANY_OLD_PARENT).  The access.log hierarchy code names the
 * method that chose the path tried.
 *
 * A parent is usable when cache_peer_access allows the request, it has
 * fewer than max-conn connections open, and it is up: connect-fail-limit
 * connection failures in a row make it dead ("Detected DEAD Parent"); a
 * dead one is probed with a TCP connect (at most once a second, when a
 * request would have used it) and an answer revives it.  The state is this
 * worker's own, as each Squid SMP worker keeps its own.
 *
 * In DESIGN.md's data flow: miss: peer selection.
 */
#include "config.h"
#include "peer.h"

#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "acl.h"
#include "cfg.h"
#include "dns.h"
#include "log.h"
#include "peer_hash.h"
#include "pconn.h"
#include "util.h"
#include "worker.h"
#include "xact.h"

/* Squid clears the round-robin counters this often (peerClearRRLoop). */
#define PEER_RR_CLEAR_SECS	300
#define PEER_PROBE_ADDRS	4

struct peer_state {
	int		 tcp_up;	/* failures left before dead; 0: down */
	int		 said_dead;	/* "Detected DEAD" logged, REVIVED due */
	int		 probed;	/* the first probe answered */
	int		 rr_count;	/* round-robin: times chosen */
	int		 conn_open;	/* connections now open (max-conn) */
	int		 testing;	/* probes in flight */
	time_t		 last_probe;
	uint32_t	 hash;		/* of the name: CARP, sourcehash, userhash */
	double		 mult_carp, mult_source, mult_user;
};

/* The parents of one hashing method, by ascending weight. */
struct peer_hashed {
	const struct cfg_peer **peer;
	int		 n;
};

static struct {
	const struct cfg *cfg;		/* what the tables were built for */
	struct peer_hashed carp, source, user;
	time_t		 rr_cleared;
	int		 started;	/* the first config was seen */
} peer_tab;

struct peer_probe {
	const struct cfg_peer *peer;
	struct ev_io	 io;		/* fd -1: answered at once */
	struct ev_timer	 timer;
	int		 ok;		/* that answer */
};

static void peer_probe(const struct cfg_peer *p);

/* ---- run-time state --------------------------------------------------- */

static struct peer_state *
peer_state(const struct cfg_peer *p)
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

/* Squid's peerSortWeight by qsort(), stable in glibc: a stable insertion. */
static void
peer_hashed_build(struct peer_hashed *h, const struct cfg *cfg, unsigned sel)
{
	int n = 0, weight[PEER_ROUTES_MAX * 4];
	double mult[PEER_ROUTES_MAX * 4];

	free(h->peer);
	h->peer = NULL;
	h->n = 0;
	for (const struct cfg_peer *p = cfg->peers; p != NULL; p = p->next)
		if (p->type == CFG_PEER_PARENT && (p->select & sel))
			n++;
	if (n == 0)
		return;
	if (n > (int)(sizeof(weight) / sizeof(weight[0]))) {
		log_warnx("cache_peer: only the first %zu hashing parents are "
		    "used", sizeof(weight) / sizeof(weight[0]));
		n = (int)(sizeof(weight) / sizeof(weight[0]));
	}
	h->peer = xcalloc((size_t)n, sizeof(*h->peer));
	for (const struct cfg_peer *p = cfg->peers; p != NULL && h->n < n;
	    p = p->next) {
		int i;

		if (p->type != CFG_PEER_PARENT || !(p->select & sel))
			continue;
		for (i = h->n; i > 0 && h->peer[i - 1]->weight > p->weight; i--)
			h->peer[i] = h->peer[i - 1];
		h->peer[i] = p;
		h->n++;
	}
	for (int i = 0; i < h->n; i++)
		weight[i] = h->peer[i]->weight;
	peer_hash_multipliers(weight, h->n, mult);
	for (int i = 0; i < h->n; i++) {
		struct peer_state *s = peer_state(h->peer[i]);

		if (sel == CFG_PEER_SEL_CARP)
			s->mult_carp = mult[i];
		else if (sel == CFG_PEER_SEL_SOURCEHASH)
			s->mult_source = mult[i];
		else
			s->mult_user = mult[i];
	}
}

/* The hashing tables of the running config (rebuilt after a reload). */
static void
peer_tables(void)
{
	const struct cfg *cfg = worker_cfg;

	if (peer_tab.cfg == cfg)
		return;
	peer_tab.cfg = cfg;
	peer_tab.rr_cleared = time(NULL);
	/*
	 * Squid's counts start at 0 but for the first cache_peer's, which
	 * its first peerClearRR() set to 1 while it was the only one; after
	 * a reconfigure all start at 0.  The same turns follow.
	 */
	if (!peer_tab.started && cfg->peers != NULL)
		peer_state(cfg->peers)->rr_count = 1;
	peer_tab.started = 1;
	peer_hashed_build(&peer_tab.carp, cfg, CFG_PEER_SEL_CARP);
	peer_hashed_build(&peer_tab.source, cfg, CFG_PEER_SEL_SOURCEHASH);
	peer_hashed_build(&peer_tab.user, cfg, CFG_PEER_SEL_USERHASH);
}

/* Squid's peerClearRR: on a revival, and every five minutes. */
static void
peer_clear_rr(void)
{
	for (const struct cfg_peer *p = worker_cfg->peers; p != NULL;
	    p = p->next)
		peer_state(p)->rr_count = 1;
	peer_tab.rr_cleared = time(NULL);
}

void
peer_init(const struct cfg *cfg)
{
	peer_tables();
	for (const struct cfg_peer *p = cfg->peers; p != NULL; p = p->next) {
		if (p->type != CFG_PEER_PARENT)
			continue;
		log_debug(15, 1, "Configuring Parent %s/%d/%d", p->host,
		    p->http_port, p->icp_port);
		/* Squid probes each peer once its address is known */
		peer_probe(p);
	}
}

/* ---- dead and revived --------------------------------------------------- */

static void
peer_failed_silent(const struct cfg_peer *p)
{
	struct peer_state *s = peer_state(p);

	if (s->tcp_up == 0)
		return;
	if (--s->tcp_up == 0) {
		log_debug(15, 1, "Detected DEAD Parent: %s", p->name);
		s->said_dead = 1;
	}
}

static void
peer_succeeded(const struct cfg_peer *p)
{
	struct peer_state *s = peer_state(p);
	int was_down = s->tcp_up == 0;

	s->tcp_up = p->connect_fail_limit;
	if (was_down && s->said_dead) {
		log_debug(15, 1, "Detected REVIVED Parent: %s", p->name);
		s->said_dead = 0;
		peer_clear_rr();
	}
}

void
peer_connect_result(const struct cfg_peer *p, int ok)
{
	if (p == NULL)
		return;
	if (ok) {
		peer_succeeded(p);
		return;
	}
	log_debug(15, 1, "TCP connection to %s/%d failed", p->host,
	    p->http_port);
	peer_failed_silent(p);
}

static void
peer_probe_end(struct peer_probe *pr, int ok)
{
	struct peer_state *s = peer_state(pr->peer);

	ev_timer_stop(&pr->timer);
	if (pr->io.fd != -1) {
		ev_io_stop(&pr->io);
		close(pr->io.fd);
	}
	s->testing--;
	if (ok)
		peer_succeeded(pr->peer);
	else if (!s->probed)
		/* as Squid, which starts with every peer down until probed */
		s->tcp_up = 0;
	else
		peer_failed_silent(pr->peer);
	s->probed = 1;
	ev_defer_free(pr);
}

static void
peer_probe_io(struct ev_io *io, uint32_t revents)
{
	struct peer_probe *pr = io->arg;
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err == EINPROGRESS || (err == 0 && !(revents & EPOLLOUT)))
		return;
	peer_probe_end(pr, err == 0);
}

/* The connect timed out, or its answer came at once and waited a turn. */
static void
peer_probe_timeout(struct ev_timer *t)
{
	struct peer_probe *pr = t->arg;

	peer_probe_end(pr, pr->ok);
}

static int64_t
peer_connect_ms(const struct cfg_peer *p)
{
	return p->connect_timeout >= 0 ? p->connect_timeout :
	    worker_cfg->peer_connect_timeout;
}

/* One TCP connect to addr; its answer counts as the peer's. */
static void
peer_probe_addr(const struct cfg_peer *p, struct sockaddr_storage *addr)
{
	struct peer_probe *pr = xcalloc(1, sizeof(*pr));
	int fd, rc = -1;

	pr->peer = p;
	peer_state(p)->testing++;
	ev_timer_init(&pr->timer, peer_probe_timeout, pr);
	if (addr->ss_family == AF_INET)
		((struct sockaddr_in *)addr)->sin_port = htons(p->http_port);
	else
		((struct sockaddr_in6 *)addr)->sin6_port = htons(p->http_port);
	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	ev_io_init(&pr->io, -1, peer_probe_io, pr);
	if (fd != -1 && (rc = connect(fd, (struct sockaddr *)addr,
	    util_addr_len((struct sockaddr *)addr))) == -1 &&
	    errno == EINPROGRESS) {
		ev_io_init(&pr->io, fd, peer_probe_io, pr);
		ev_io_set(&pr->io, EPOLLOUT);
		ev_timer_start(&pr->timer, (uint64_t)peer_connect_ms(p));
		return;
	}
	/* answered at once: reported from the loop all the same */
	pr->ok = fd != -1 && rc == 0;
	if (fd != -1)
		close(fd);
	ev_timer_start(&pr->timer, 0);
}

static void
peer_probe_dns(void *arg, const struct dns_result *res)
{
	const struct cfg_peer *p = arg;
	struct peer_state *s = peer_state(p);
	struct sockaddr_storage a;

	s->testing--;
	for (int i = 0; i < res->naddrs && i < PEER_PROBE_ADDRS; i++) {
		a = res->addrs[i];
		peer_probe_addr(p, &a);
	}
}

/* Squid's peerProbeConnect: not while one runs, nor twice a second. */
static void
peer_probe(const struct cfg_peer *p)
{
	struct peer_state *s = peer_state(p);
	struct sockaddr_storage a;
	socklen_t len;
	time_t now = time(NULL);

	if (s->testing > 0 || s->last_probe == now)
		return;
	s->last_probe = now;
	if (util_addr_parse(p->host, 0, &a, &len) == 0) {
		peer_probe_addr(p, &a);
		return;
	}
	s->testing++;		/* the lookup counts as a probe running */
	dns_resolve(p->host, peer_probe_dns, (void *)p);
}

/* ---- max-conn ----------------------------------------------------------- */

void
peer_conn_opened(const struct cfg_peer *p, struct srv *s)
{
	if (p == NULL)
		return;
	s->open_count = &peer_state(p)->conn_open;
	(*s->open_count)++;
}

/* ---- which parents may take x ------------------------------------------- */

/* Does an access list (none: yes) allow x? */
static int
peer_allows(const struct access_list *l, const struct xact *x, int dflt)
{
	struct acl_checklist cl;
	int action = dflt ? ACCESS_ALLOW : ACCESS_DENY;

	if (l->head == NULL)
		return dflt;
	xact_checklist(x, &cl);
	if (access_check(l, &cl, dflt ? ACCESS_ALLOW : ACCESS_DENY, &action,
	    NULL) != ACL_MATCH)
		return dflt;
	return action == ACCESS_ALLOW;
}

/* A list that matches x with "allow" (none, or no match: no). */
static int
peer_list_says(const struct access_list *l, const struct xact *x)
{
	return l->head != NULL && peer_allows(l, x, 0);
}

/* Squid's peerAllowedToUse. */
static int
peer_allowed(const struct cfg_peer *p, const struct xact *x)
{
	/* a CONNECT goes to an origin peer only for its own port */
	if (p->originserver && x->is_connect && x->url.port != p->http_port)
		return 0;
	return peer_allows(&p->access, x, 1);
}

/* Squid's neighborUp: a dead peer is probed when asked about. */
static int
peer_up(const struct cfg_peer *p)
{
	if (peer_state(p)->tcp_up == 0) {
		peer_probe(p);
		return 0;
	}
	return 1;
}

/* Squid's peerHTTPOkay, in its order (the last check probes). */
static int
peer_ok(const struct cfg_peer *p, const struct xact *x)
{
	if (p->type != CFG_PEER_PARENT)
		return 0;
	if (p->max_conn > 0 && peer_state(p)->conn_open >= p->max_conn)
		return 0;
	return peer_allowed(p, x) && peer_up(p);
}

/* Squid's request->flags.hierarchical (clientHierarchical). */
static int
peer_hierarchical(const struct xact *x)
{
	if (strcmp(x->method, "TRACE") == 0)
		return 1;
	return strcmp(x->method, "GET") == 0 &&
	    http_msg_header(&x->req, "Authorization") == NULL &&
	    x->url.userinfo == NULL;
}

static void
peer_add(struct peer_routes *r, const struct cfg_peer *p, const char *hier)
{
	for (int i = 0; i < r->n; i++)
		if (r->route[i].peer == p)
			return;
	if (r->n < PEER_ROUTES_MAX) {
		r->route[r->n].peer = p;
		r->route[r->n].hier = hier;
		r->n++;
	}
}

/* ---- the selection methods ---------------------------------------------- */

/* The best score among h's parents for a key hash (sourcehash, userhash). */
static const struct cfg_peer *
peer_hash_pick(const struct peer_hashed *h, const struct xact *x,
    const char *key, int user)
{
	const struct cfg_peer *best = NULL;
	uint32_t kh = peer_hash_add(0, key, strlen(key));
	double high = 0;

	for (int i = 0; i < h->n; i++) {
		const struct peer_state *s = peer_state(h->peer[i]);
		double score = peer_hash_combine(kh, s->hash) *
		    (user ? s->mult_user : s->mult_source);

		if (score > high && peer_ok(h->peer[i], x)) {
			best = h->peer[i];
			high = score;
		}
	}
	return best;
}

/* The client's address as Squid prints it (IPv4-mapped as IPv4). */
static const char *
peer_client_str(const struct xact *x, char *buf, size_t n)
{
	const struct sockaddr_in6 *s6 = (const void *)&x->peer;

	if (x->peer.ss_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		struct sockaddr_in s4;

		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
		return util_addr_str((struct sockaddr *)&s4, buf, n);
	}
	return util_addr_str((const struct sockaddr *)&x->peer, buf, n);
}

static const struct cfg_peer *
peer_sourcehash(const struct xact *x)
{
	char ip[64];

	if (peer_tab.source.n == 0)
		return NULL;
	return peer_hash_pick(&peer_tab.source, x,
	    peer_client_str(x, ip, sizeof(ip)), 0);
}

/* The authenticated user: Squid's auth_user_request->username(). */
static const char *
peer_user(const struct xact *x)
{
	return x->auth.state == ACL_AUTH_OK ? x->auth.user : NULL;
}

static const struct cfg_peer *
peer_userhash(const struct xact *x)
{
	if (peer_tab.user.n == 0 || peer_user(x) == NULL)
		return NULL;
	return peer_hash_pick(&peer_tab.user, x, peer_user(x), 1);
}

/* What of the URL a CARP parent hashes: carp-key=, else all of it. */
static void
peer_carp_key(const struct cfg_peer *p, const struct xact *x, struct buf *k)
{
	const struct url *u = &x->url;

	buf_consume(k, buf_avail(k));
	if (p->carp_key & CFG_PEER_CARP_SCHEME && u->scheme[0] != '\0')
		buf_printf(k, "%s://", u->scheme);
	if (p->carp_key & CFG_PEER_CARP_HOST)
		buf_append(k, u->host, strlen(u->host));
	if (p->carp_key & CFG_PEER_CARP_PORT)
		buf_printf(k, ":%d", u->port);
	if (p->carp_key & CFG_PEER_CARP_PATH && !x->is_connect)
		buf_append(k, u->path, u->path_len);
	if (p->carp_key & CFG_PEER_CARP_PARAMS && u->query != NULL)
		buf_append(k, u->query, u->query_len);
	if (buf_avail(k) == 0)
		buf_append(k, x->url_str, strlen(x->url_str));
}

/*
 * Squid's carpSelectParent, with its quirk kept so that both pick alike:
 * the key's hash is not reset between parents, each folds the key into
 * what the previous one left.
 */
static const struct cfg_peer *
peer_carp(const struct xact *x)
{
	const struct cfg_peer *best = NULL;
	struct buf key;
	uint32_t kh = 0;
	double high = 0;

	if (peer_tab.carp.n == 0)
		return NULL;
	buf_init(&key);
	for (int i = 0; i < peer_tab.carp.n; i++) {
		const struct cfg_peer *p = peer_tab.carp.peer[i];
		const struct peer_state *s = peer_state(p);

		peer_carp_key(p, x, &key);
		kh = peer_hash_add(kh, buf_head(&key), buf_avail(&key));
		double score = peer_hash_combine(kh, s->hash) * s->mult_carp;
		if (score > high && peer_ok(p, x)) {
			best = p;
			high = score;
		}
	}
	buf_free(&key);
	return best;
}

/* Squid's getRoundRobinParent: the least used for its weight (last wins). */
static const struct cfg_peer *
peer_round_robin(const struct xact *x)
{
	const struct cfg_peer *q = NULL;

	for (const struct cfg_peer *p = worker_cfg->peers; p != NULL;
	    p = p->next) {
		if (!(p->select & CFG_PEER_SEL_ROUND_ROBIN) || !peer_ok(p, x))
			continue;
		if (q != NULL) {
			int pc = peer_state(p)->rr_count;
			int qc = peer_state(q)->rr_count;

			if (p->weight == q->weight) {
				if (qc < pc)
					continue;
			} else if ((double)qc / q->weight <
			    (double)pc / p->weight)
				continue;
		}
		q = p;
	}
	if (q != NULL)
		peer_state(q)->rr_count++;
	return q;
}

/*
 * Squid's getWeightedRoundRobinParent: the lowest count, which grows by
 * (rtt - basetime) / weight, at least 1.  Squid learns the RTT from ICP
 * replies only; cuttle sends no ICP, so the RTT is 0 as for a Squid with
 * no-query parents and each pick adds 1 (unless basetime= is negative).
 */
static const struct cfg_peer *
peer_weighted_rr(const struct xact *x)
{
	const struct cfg_peer *q = NULL;

	for (const struct cfg_peer *p = worker_cfg->peers; p != NULL;
	    p = p->next) {
		if (!(p->select & CFG_PEER_SEL_WEIGHTED_RR) || !peer_ok(p, x))
			continue;
		if (q != NULL &&
		    peer_state(q)->rr_count < peer_state(p)->rr_count)
			continue;
		q = p;
	}
	if (q == NULL)
		return NULL;
	if (peer_state(q)->rr_count > 1000000)
		for (const struct cfg_peer *p = worker_cfg->peers; p != NULL;
		    p = p->next)
			if (p->select & CFG_PEER_SEL_WEIGHTED_RR)
				peer_state(p)->rr_count = 0;
	int weighted = (0 - q->basetime) / q->weight;
	peer_state(q)->rr_count += weighted < 1 ? 1 : weighted;
	return q;
}

static const struct cfg_peer *
peer_first_up(const struct xact *x)
{
	for (const struct cfg_peer *p = worker_cfg->peers; p != NULL;
	    p = p->next)
		if (p->type == CFG_PEER_PARENT && peer_up(p) && peer_ok(p, x))
			return p;
	return NULL;
}

static const struct cfg_peer *
peer_default(const struct xact *x)
{
	for (const struct cfg_peer *p = worker_cfg->peers; p != NULL;
	    p = p->next)
		if (p->is_default && peer_ok(p, x))
			return p;
	return NULL;
}

/* Squid's selectSomeParent: one parent, by the first method that has one. */
static void
peer_some_parent(const struct xact *x, struct peer_routes *r)
{
	static const struct {
		const struct cfg_peer *(*pick)(const struct xact *);
		const char	*hier;
	} methods[] = {
		{ peer_sourcehash, "SOURCEHASH_PARENT" },
		{ peer_userhash, "USERHASH_PARENT" },
		{ peer_carp, "CARP" },
		{ peer_round_robin, "ROUNDROBIN_PARENT" },
		{ peer_weighted_rr, "ROUNDROBIN_PARENT" },
		{ peer_first_up, "FIRSTUP_PARENT" },
		{ peer_default, "DEFAULT_PARENT" },
	};
	const struct cfg_peer *p;

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if ((p = methods[i].pick(x)) != NULL) {
			peer_add(r, p, methods[i].hier);
			return;
		}
}

/* Squid's selectAllParents: every usable parent, then the default one. */
static void
peer_all_parents(const struct xact *x, struct peer_routes *r)
{
	const struct cfg_peer *p;

	for (p = worker_cfg->peers; p != NULL; p = p->next)
		if (peer_ok(p, x))
			peer_add(r, p, "ANY_OLD_PARENT");
	if ((p = peer_default(x)) != NULL)
		peer_add(r, p, "DEFAULT_PARENT");
}

void
peer_select(const struct xact *x, struct peer_routes *r)
{
	const struct cfg *cfg = worker_cfg;

	r->n = 0;
	peer_tables();
	if (time(NULL) - peer_tab.rr_cleared >= PEER_RR_CLEAR_SECS)
		peer_clear_rr();
	if (peer_list_says(&cfg->always_direct, x)) {
		peer_add(r, NULL, "HIER_DIRECT");
		return;
	}
	if (peer_list_says(&cfg->never_direct, x) ||
	    (x->accelerated && !x->port->allow_direct)) {
		peer_some_parent(x, r);
		peer_all_parents(x, r);
		return;
	}
	if (cfg->prefer_direct)
		peer_add(r, NULL, "HIER_DIRECT");
	if (peer_hierarchical(x) || !cfg->nonhierarchical_direct) {
		peer_some_parent(x, r);
		peer_all_parents(x, r);
	}
	if (!cfg->prefer_direct)
		peer_add(r, NULL, "HIER_DIRECT");
}

/* ---- credentials for the peer (login=) ---------------------------------- */

static int
peer_login_passes(const char *login)
{
	return strcmp(login, "PASS") == 0 || strcmp(login, "PASSTHRU") == 0 ||
	    strcmp(login, "PROXYPASS") == 0;
}

int
peer_keeps_authorization(const struct cfg_peer *p)
{
	/* a reverse proxy's origin gets the client's only when passed on */
	return p == NULL || !p->originserver ||
	    (p->login != NULL && peer_login_passes(p->login));
}

static void
peer_basic(struct buf *out, const char *name, const char *user,
    const char *rest)
{
	size_t ul = strlen(user), rl = strlen(rest);
	unsigned char *plain = xmalloc(ul + rl + 1);
	unsigned char *b64 = xmalloc(4 * ((ul + rl + 2) / 3) + 1);

	memcpy(plain, user, ul);
	memcpy(plain + ul, rest, rl);
	int n = EVP_EncodeBlock(b64, plain, (int)(ul + rl));
	buf_printf(out, "%s: Basic %.*s\r\n", name, n, b64);
	free(plain);
	free(b64);
}

/* Copy the client's header name as it came; were there any? */
static int
peer_copy_header(const struct xact *x, const char *name, struct buf *out)
{
	int n = 0;

	for (int i = 0; i < x->req.nhdr; i++) {
		const struct http_header *h = &x->req.hdr[i];

		if (!util_strcaseeq_n(h->name, h->name_len, name))
			continue;
		buf_printf(out, "%s: %.*s\r\n", name, (int)h->value_len,
		    h->value);
		n++;
	}
	return n;
}

/*
 * Squid's httpFixupAuthentication, and its copying of the client's
 * Proxy-Authorization for the passing modes: user:pass is sent as Basic
 * (Authorization to an originserver peer, Proxy-Authorization to a
 * proxy); PASS and PASSTHRU pass on what the client sent (PASS would use
 * external_acl credentials, which cuttle has not); *:pass sends the
 * authenticated user's name ("-" without one) with that password;
 * PROXYPASS gives an origin peer the client's Basic proxy credentials.
 */
void
peer_login_header(const struct xact *x, const struct cfg_peer *p,
    struct buf *out)
{
	const char *login, *name;
	const struct http_header *pa;

	if (p == NULL || (login = p->login) == NULL)
		return;
	name = p->originserver ? "Authorization" : "Proxy-Authorization";
	if (peer_login_passes(login)) {
		if (!p->originserver &&
		    peer_copy_header(x, "Proxy-Authorization", out) > 0)
			return;
		if (p->originserver &&
		    http_msg_header(&x->req, "Authorization") != NULL)
			return;		/* kept by the header copy */
	}
	if (strcmp(login, "PASSTHRU") == 0 || strcmp(login, "PASS") == 0)
		return;
	if (strcmp(login, "PROXYPASS") == 0 && p->originserver &&
	    (pa = http_msg_header(&x->req, "Proxy-Authorization")) != NULL &&
	    pa->value_len >= 6 && strncasecmp(pa->value, "basic ", 6) == 0) {
		buf_printf(out, "Authorization: %.*s\r\n", (int)pa->value_len,
		    pa->value);
		return;
	}
	if (login[0] == '*') {
		peer_basic(out, name, peer_user(x) ? peer_user(x) : "-",
		    login + 1);
		return;
	}
	if (strncmp(login, "NEGOTIATE", 9) == 0)
		return;		/* warned about at load */
	peer_basic(out, name, login, "");
}
