/*
 * Server connections and the idle pool.  A server connection that finished
 * a response cleanly waits in the pool, keyed by address and port, until a
 * transaction takes it, the server closes it, or pconn_timeout expires.
 */
#ifndef CUTTLE_PCONN_H
#define CUTTLE_PCONN_H

#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
#include "evloop.h"

typedef struct ssl_st SSL;

struct xact;

struct srv {
	int		 fd;
	SSL		*ssl;		/* TLS with the server, or NULL */
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
	struct srv	*pool_next, *pool_prev;
	unsigned	 pool_bucket;
};

/* An idle connection to addr, or NULL. */
struct srv *pconn_take(const struct sockaddr *addr);
/* Give back a connection that may carry another request. */
void pconn_put(struct srv *s);
struct srv *srv_new(int fd, const struct sockaddr *addr, socklen_t len);
void srv_close(struct srv *s);
int pconn_idle_count(void);
void pconn_close_all(void);

#endif
