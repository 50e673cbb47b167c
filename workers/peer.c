/*
 * Peer selection: where a request that goes upstream is sent, in the order
 * to try, as Squid 5.7's peer_select.cc builds it.  always_direct, never_
 * direct, an accel port without allow-direct, prefer_direct and
 * nonhierarchical_direct decide whether going direct is allowed and comes
 * first or last; the parents come as one chosen by the first method that
 * yields one (sourcehash, userhash, CARP, round-robin, weighted-round-robin,
 * the first parent up, the default one), then every other usable parent in
 * file order (ANY_OLD_PARENT).  The access.log hierarchy code names the
 * method that chose the path.  A parent is usable when cache_peer_access
 * allows the request, max-conn= is not reached and it is alive (see
 * peer_state.c).
 *
 * In DESIGN.md's data flow: miss: peer selection.
 */
#include "config.h"
#include "peer.h"
#include "peer_state.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "acl.h"
#include "buf.h"
#include "cfg.h"
#include "peer_hash.h"
#include "util.h"
#include "worker.h"
#include "xact.h"

/* The parents of one hashing method, by ascending weight. */
struct peer_hashed {
	const struct cfg_peer **peer;
	int		 n;
};

static struct {
	const struct cfg *cfg;		/* what the tables were built for */
	struct peer_hashed carp, source, user;
} peer_tab;

/* Squid's peerSortWeight by qsort(), stable in glibc: a stable insertion. */
static void
peer_hashed_build(struct peer_hashed *h, const struct cfg *cfg, unsigned sel)
{
	int n = 0, *weight;
	double *mult;

	free(h->peer);
	h->peer = NULL;
	h->n = 0;
	for (const struct cfg_peer *p = cfg->peers; p != NULL; p = p->next)
		if (p->type == CFG_PEER_PARENT && (p->select & sel))
			n++;
	if (n == 0)
		return;
	h->peer = xcalloc((size_t)n, sizeof(*h->peer));
	for (const struct cfg_peer *p = cfg->peers; p != NULL; p = p->next) {
		int i;

		if (p->type != CFG_PEER_PARENT || !(p->select & sel))
			continue;
		for (i = h->n; i > 0 && h->peer[i - 1]->weight > p->weight; i--)
			h->peer[i] = h->peer[i - 1];
		h->peer[i] = p;
		h->n++;
	}
	weight = xcalloc((size_t)n, sizeof(*weight));
	mult = xcalloc((size_t)n, sizeof(*mult));
	for (int i = 0; i < n; i++)
		weight[i] = h->peer[i]->weight;
	peer_hash_multipliers(weight, n, mult);
	for (int i = 0; i < n; i++) {
		struct peer_state *s = peer_state_get(h->peer[i]);

		if (sel == CFG_PEER_SEL_CARP)
			s->mult_carp = mult[i];
		else if (sel == CFG_PEER_SEL_SOURCEHASH)
			s->mult_source = mult[i];
		else
			s->mult_user = mult[i];
	}
	free(weight);
	free(mult);
}

/* The hashing tables of the running config (rebuilt after a reload). */
static void
peer_tables(void)
{
	const struct cfg *cfg = worker_cfg;

	if (peer_tab.cfg == cfg)
		return;
	peer_tab.cfg = cfg;
	peer_state_config(cfg);
	peer_hashed_build(&peer_tab.carp, cfg, CFG_PEER_SEL_CARP);
	peer_hashed_build(&peer_tab.source, cfg, CFG_PEER_SEL_SOURCEHASH);
	peer_hashed_build(&peer_tab.user, cfg, CFG_PEER_SEL_USERHASH);
}

void
peer_init(const struct cfg *cfg)
{
	peer_tables();
	for (const struct cfg_peer *p = cfg->peers; p != NULL; p = p->next) {
		/* Squid probes each peer once its address is known */
		if (p->type == CFG_PEER_PARENT)
			peer_state_start(p);
	}
	peer_standby_init(cfg);
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

/* Squid's peerHTTPOkay, in its order (the last check probes). */
static int
peer_ok(const struct cfg_peer *p, const struct xact *x)
{
	if (p->type != CFG_PEER_PARENT)
		return 0;
	/* Squid: at max-conn= a waiting standby connection still serves */
	if (!peer_state_can_open(p) && peer_standby_count(p) == 0)
		return 0;
	return peer_allowed(p, x) && peer_state_up(p);
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
		const struct peer_state *s = peer_state_get(h->peer[i]);
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

static const struct cfg_peer *
peer_userhash(const struct xact *x)
{
	if (peer_tab.user.n == 0 || peer_login_user(x) == NULL)
		return NULL;
	return peer_hash_pick(&peer_tab.user, x, peer_login_user(x), 1);
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
		const struct peer_state *s = peer_state_get(p);

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
			int pc = peer_state_get(p)->rr_count;
			int qc = peer_state_get(q)->rr_count;

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
		peer_state_get(q)->rr_count++;
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
		    peer_state_get(q)->rr_count < peer_state_get(p)->rr_count)
			continue;
		q = p;
	}
	if (q == NULL)
		return NULL;
	if (peer_state_get(q)->rr_count > 1000000)
		for (const struct cfg_peer *p = worker_cfg->peers; p != NULL;
		    p = p->next)
			if (p->select & CFG_PEER_SEL_WEIGHTED_RR)
				peer_state_get(p)->rr_count = 0;
	int weighted = (0 - q->basetime) / q->weight;
	peer_state_get(q)->rr_count += weighted < 1 ? 1 : weighted;
	return q;
}

static const struct cfg_peer *
peer_first_up(const struct xact *x)
{
	for (const struct cfg_peer *p = worker_cfg->peers; p != NULL;
	    p = p->next)
		if (p->type == CFG_PEER_PARENT && peer_state_up(p) && peer_ok(p, x))
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
	peer_state_tick();
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
