/*
 * CONNECT tunnels (and upgraded requests): after the server connection is
 * up, bytes move both ways through pipes with splice(2), or through user
 * space when descriptors are too short for a pipe or an end speaks TLS.
 */
#ifndef CUTTLE_TUNNEL_H
#define CUTTLE_TUNNEL_H

#include <stdint.h>

#include "xact.h"

void tunnel_start(struct xact *x);
/*
 * An upgraded request (upgrade.c): x's client and server connections
 * become a tunnel.  The bytes in up1 then up2 go to the server first, those
 * in down1 then down2 to the client (the buffers are emptied).
 */
struct buf;
void tunnel_switch(struct xact *x, struct buf *up1, struct buf *up2,
    struct buf *down1, struct buf *down2);
void tunnel_client_event(struct xact *x, uint32_t revents);
/* What the tunnel waits for on the client socket (CONN_WANT_*). */
unsigned tunnel_client_wants(const struct xact *x);
void tunnel_release_dirs(struct xact *x);
/*
 * Give back the pipes and buffers of a finished transaction.  The test is
 * inline: a transaction that never tunnelled (most) does not enter
 * tunnel.c to end.
 */
static inline void
tunnel_release(struct xact *x)
{
	if (x->tun.up.has_pipe || x->tun.up.copy != NULL ||
	    x->tun.down.has_pipe || x->tun.down.copy != NULL)
		tunnel_release_dirs(x);
}

#endif
