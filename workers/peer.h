/*
 * Peers: the paths a request may take upstream, in the order to try them
 * (peer.c); whether a parent is alive and its open connections
 * (peer_state.c); the credentials login= sends (peer_login.c); the idle
 * connections standby= keeps open (peer_standby.c); a CONNECT through a
 * parent (peer_connect.c).
 */
#ifndef CUTTLE_PEER_H
#define CUTTLE_PEER_H

#include <stddef.h>

struct buf;
struct cfg;
struct cfg_peer;
struct srv;
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

/* Worker start and -N reload: log and probe each parent, as Squid does. */
void peer_init(const struct cfg *cfg);
void peer_select(const struct xact *x, struct peer_routes *r);
/* A connection to p (NULL: direct, ignored) opened or failed to. */
void peer_state_connect_result(const struct cfg_peer *p, int ok);
/* s is a connection to p: it counts toward max-conn until srv_close(). */
void peer_state_conn_opened(const struct cfg_peer *p, struct srv *s);
/* srv_close(): a connection to p closed. */
void peer_state_conn_closed(const struct cfg_peer *p);
/*
 * standby= (peer_standby.c).  peer_standby_init: the pools of a config's
 * peers (the old config's connections closed).  _take: an idle standby
 * connection to p, or NULL.  _count: how many wait.  _checkpoint: open or
 * close toward the limit (after a revival).  _room: a connection to p
 * closed: a pool that waited for max-conn room goes on.
 */
void peer_standby_init(const struct cfg *cfg);
struct srv *peer_standby_take(const struct cfg_peer *p);
int peer_standby_count(const struct cfg_peer *p);
void peer_standby_checkpoint(const struct cfg_peer *p);
void peer_standby_room(const struct cfg_peer *p);
/* The login= header for p (NULL: none), after the request's others. */
void peer_login_header(const struct xact *x, const struct cfg_peer *p,
    struct buf *out);
/* peer_connect.c: a CONNECT to the parent x goes through */
/* "CONNECT authority" with the parent's login= header, into out. */
void peer_connect_request(const struct xact *x, const char *authority,
    struct buf *out);
enum peer_connect_io {
	PEER_CONNECT_WAIT,		/* events set: call again on the next */
	PEER_CONNECT_ANSWERED,		/* *status, *head_len in s->in */
	PEER_CONNECT_WRITE_FAILED,	/* errno */
	PEER_CONNECT_READ_FAILED,	/* errno, 0 when the parent closed */
	PEER_CONNECT_BAD_ANSWER		/* not an HTTP response head */
};
/* Send what s->out holds, then read and parse the parent's answer. */
enum peer_connect_io peer_connect_exchange(struct srv *s, int *status,
    size_t *head_len);
/*
 * The parent refused the CONNECT with status: as Squid, its answer (as far
 * as it came with its head) goes to the client, the connection closes, and
 * the refusal counts as a failed connection to the parent.  x ends.
 */
void peer_connect_refused(struct xact *x, struct srv *s, int status);
/* May the client's Authorization go to p (NULL: direct)? */
int peer_login_keeps_authorization(const struct cfg_peer *p);
/* The user proxy authentication checked, or NULL. */
const char *peer_login_user(const struct xact *x);

#endif
