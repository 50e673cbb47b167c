#ifndef CUTTLE_FORWARD_INT_H
#define CUTTLE_FORWARD_INT_H

/* Shared by forward.c (using a server connection) and forward_connect.c
 * (getting one). */

struct srv;
struct xact;

/* Give x the connection s and start sending the request on it. */
void forward_attach(struct xact *x, struct srv *s);

#endif
