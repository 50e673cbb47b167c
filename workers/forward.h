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

void forward_start(struct xact *x);
/* Client readable/writable while the transaction is forwarding. */
void forward_client_event(struct xact *x);
/*
 * Open a non-blocking connection to addr (tcp_outgoing_address applied);
 * returns the fd or -1 with errno set.
 */
int forward_socket(struct xact *x, const struct sockaddr *addr);

#endif
