/*
 * Server connections and the idle pool.  A server connection that finished
 * a response cleanly waits in the pool, keyed by address and port and, for
 * TLS, the host name it was made for, until a transaction takes it, the
 * server closes it, or pconn_timeout expires.
 */
#ifndef CUTTLE_PCONN_H
#define CUTTLE_PCONN_H

#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
#include "evloop.h"

typedef struct ssl_st SSL;

struct cfg_peer;
struct xact;

struct srv {
	int		 fd;
	SSL		*ssl;		/* TLS with the server, or NULL */
	char		*tls_host;	/* the name TLS was set up for (SNI) */
	struct ev_io	 io;
	struct ev_timer	 timer;
	struct sockaddr_storage addr;
	socklen_t	 addrlen;
	struct sockaddr_storage local;
	struct buf	 in;		/* bytes from the server */
	struct buf	 out;		/* bytes to the server */
	struct xact	*xact;		/* owner, NULL while pooled */
	int		 reused;	/* came from the pool */
	int		 nrequests;
	uint64_t	 opened_ms;	/* its start, for pconn_lifetime */
	const struct cfg_peer *peer;	/* the cache_peer it goes to (its
					   open connections count it), or NULL */
	const char	*hier;		/* how it was chosen when opened: a
					   reuse logs that, as Squid does */
	struct srv	*pool_next, *pool_prev;
	unsigned	 pool_bucket;
};

/*
 * An idle connection to addr, or NULL.  tls_host NULL: a plain one; else
 * a TLS one made for that host name (never one made for another name,
 * though it has the same address: its certificate was checked for that).
 */
struct srv *pconn_take(const struct sockaddr *addr, const char *tls_host);
/*
 * How long a connection opened at opened_ms may now wait idle, given the
 * idle timeout: pconn_lifetime, when set, shortens it to what is left of
 * the lifetime, and to 1 s once that is spent, as Squid 5.7's
 * Comm::Connection::timeLeft (both sides, when a connection goes idle).
 */
int64_t pconn_idle_wait(int64_t idle_ms, uint64_t opened_ms);
/* Give back a connection that may carry another request. */
void pconn_put(struct srv *s);
struct srv *srv_new(int fd, const struct sockaddr *addr, socklen_t len);
void srv_close(struct srv *s);
int pconn_idle_count(void);
/*
 * An idle connection (pooled or standby) got revents: is it still good?
 * TLS records without data (a session ticket) are read and leave it so;
 * data or an end from an idle server make it unusable.
 */
int srv_idle_still_usable(struct srv *s, uint32_t revents);
void pconn_close_all(void);
/* Close the idle TLS connections (their TLS context was replaced). */
void pconn_close_tls(void);

#endif
