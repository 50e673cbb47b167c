/*
 * Peer selection (peer.c): the paths a request may take upstream, in the
 * order to try them.
 */
#ifndef CUTTLE_PEER_H
#define CUTTLE_PEER_H

struct cfg_peer;
struct xact;

#define PEER_ROUTES_MAX	16

struct peer_route {
	const struct cfg_peer *peer;	/* NULL: direct to the origin */
	const char	*hier;		/* access.log: FIRSTUP_PARENT, ... */
};

struct peer_routes {
	int		 n;		/* 0: nowhere to go (NO_DIRECT_FAIL) */
	struct peer_route route[PEER_ROUTES_MAX];
};

void peer_select(const struct xact *x, struct peer_routes *r);

#endif
