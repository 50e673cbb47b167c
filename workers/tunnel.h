/*
 * CONNECT tunnels: after the server connection is up, bytes move both ways
 * through pipes with splice(2), or through user space when descriptors are
 * too short for a pipe.
 */
#ifndef CUTTLE_TUNNEL_H
#define CUTTLE_TUNNEL_H

#include <stdint.h>

struct xact;

void tunnel_start(struct xact *x);
void tunnel_client_event(struct xact *x, uint32_t revents);
/* What the tunnel waits for on the client socket (CONN_WANT_*). */
unsigned tunnel_client_wants(const struct xact *x);
/* Give back the pipes and buffers of a finished transaction. */
void tunnel_release(struct xact *x);

#endif
