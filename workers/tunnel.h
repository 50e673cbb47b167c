/*
 * CONNECT tunnels: after the server connection is up, bytes move both ways
 * through pipes with splice(2), never through user space.
 */
#ifndef CUTTLE_TUNNEL_H
#define CUTTLE_TUNNEL_H

#include <stdint.h>

struct xact;

void tunnel_start(struct xact *x);
void tunnel_client_event(struct xact *x, uint32_t revents);
/* Close the pipes of a finished transaction. */
void tunnel_release(struct xact *x);

#endif
