/*
 * Server side of a plain HTTP transaction: resolve, connect (or reuse a
 * pooled connection), send the request and its body, read the response
 * head, check it, and relay the body to the client.
 */
#ifndef CUTTLE_FORWARD_H
#define CUTTLE_FORWARD_H

#include <sys/socket.h>

struct xact;
struct srv;

typedef void forward_connected_cb(struct xact *x, struct srv *s);

/* Go upstream with x's request (the router's call). */
void forward_start(struct xact *x);
/*
 * x lets go of its server connection: back to the pool when done says the
 * exchange finished and HTTP allows reuse, else closed.  The one place
 * that decides reuse.
 */
void forward_release(struct xact *x, int done);
int forward_shares_connections(const struct xact *x);
int forward_poolable(const struct xact *x);
/* A bumped request to a parent: CONNECT, then TLS to the origin inside. */
int forward_thru_peer_tunnel(const struct xact *x);
/*
 * Connect to x->dns.addrs from x->addr_idx on (or take a pooled connection
 * when allow_pool), trying each address in turn; cb gets the connection.
 * When none works the transaction ends with ERR_CONNECT_FAIL.
 */
void forward_dial(struct xact *x, int allow_pool, forward_connected_cb *cb);
/* Resolve the request's host (unless done), then forward_dial(). */
void forward_open(struct xact *x, int allow_pool, forward_connected_cb *cb);
/* Client readable/writable while the transaction is forwarding. */
void forward_client_event(struct xact *x);
struct ev_timer;
/* Timer callback: go on with a transaction that has no client event. */
void forward_resume(struct ev_timer *t);
/*
 * Open a non-blocking connection to addr (tcp_outgoing_address applied);
 * returns the fd or -1 with errno set.
 */
int forward_socket(struct xact *x, const struct sockaddr *addr);

#endif
