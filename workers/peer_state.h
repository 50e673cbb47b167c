/*
 * A parent's run-time state in this worker (peer_state.c), shared by the
 * selection (peer.c): alive or dead, open connections, round-robin count,
 * and the hash and load multipliers the hashing methods use.  Each worker
 * keeps its own, as each Squid SMP worker does.
 */
#ifndef CUTTLE_PEER_STATE_H
#define CUTTLE_PEER_STATE_H

#include <stdint.h>
#include <time.h>

struct cfg;
struct cfg_peer;

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
	struct ssl_ctx_st *tls_ctx;	/* tls: the peer's SSL_CTX (tls_client.c) */
};

/* p's state, made on first use (up until shown otherwise). */
struct peer_state *peer_state_get(const struct cfg_peer *p);
/* A new config: round-robin counts as Squid starts them. */
void peer_state_config(const struct cfg *cfg);
/* Log p as Squid does at start and probe it. */
void peer_state_start(const struct cfg_peer *p);
/* Squid's neighborUp: alive?  Asking about a dead one probes it. */
int peer_state_up(const struct cfg_peer *p);
/* May one more connection to p be opened (max-conn)? */
int peer_state_can_open(const struct cfg_peer *p);
/* Squid resets the round-robin counts every five minutes. */
void peer_state_tick(void);

#endif
