/*
 * Peer selection: where a request that goes upstream is sent, in the order
 * to try: cache_peer parents (cache_peer_access decides which may take
 * it; the "default" ones last) and going direct to the origin, as
 * always_direct, never_direct, prefer_direct and nonhierarchical_direct
 * say.  An accelerated request never goes direct unless its port has
 * allow-direct, as in Squid.  The access.log hierarchy code names how
 * the path was chosen.
 *
 * In DESIGN.md's data flow: miss: peer selection.
 */
#include "config.h"
#include "peer.h"

#include <string.h>

#include "acl.h"
#include "cfg.h"
#include "worker.h"
#include "xact.h"

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

/* Squid sends only GET and HEAD (and CONNECT) through the hierarchy. */
static int
peer_hierarchical(const struct xact *x)
{
	return strcmp(x->method, "GET") == 0 || strcmp(x->method, "HEAD") == 0 ||
	    x->is_connect;
}

static void
peer_add(struct peer_routes *r, const struct cfg_peer *p, const char *hier)
{
	if (r->n < PEER_ROUTES_MAX) {
		r->route[r->n].peer = p;
		r->route[r->n].hier = hier;
		r->n++;
	}
}

/* The parents that may take x: config order, "default" ones after. */
static void
peer_add_parents(struct peer_routes *r, const struct xact *x)
{
	for (int pass = 0; pass < 2; pass++)
		for (const struct cfg_peer *p = worker_cfg->peers; p != NULL;
		    p = p->next) {
			if (p->type != CFG_PEER_PARENT ||
			    p->is_default != pass ||
			    !peer_allows(&p->access, x, 1))
				continue;
			peer_add(r, p, pass ? "DEFAULT_PARENT" :
			    "FIRSTUP_PARENT");
		}
}

void
peer_select(const struct xact *x, struct peer_routes *r)
{
	const struct cfg *cfg = worker_cfg;
	int direct_ok, direct_first;

	r->n = 0;
	if (peer_list_says(&cfg->always_direct, x)) {
		peer_add(r, NULL, "HIER_DIRECT");
		return;
	}
	direct_ok = !peer_list_says(&cfg->never_direct, x) &&
	    (!x->accelerated || x->port->allow_direct);
	direct_first = cfg->prefer_direct || (cfg->nonhierarchical_direct &&
	    !peer_hierarchical(x));
	if (direct_ok && direct_first)
		peer_add(r, NULL, "HIER_DIRECT");
	peer_add_parents(r, x);
	if (direct_ok && !direct_first)
		peer_add(r, NULL, "HIER_DIRECT");
}
