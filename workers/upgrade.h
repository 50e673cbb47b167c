/*
 * HTTP Upgrade (WebSocket and the like) through the proxy: the offer sent
 * upstream, filtered by http_upgrade_request_protocols, and the switch to
 * a byte tunnel when the server answers 101 Switching Protocols.
 */
#ifndef CUTTLE_UPGRADE_H
#define CUTTLE_UPGRADE_H

struct buf;
struct xact;

/*
 * headers.c: append "Upgrade: ...\r\n" with the protocols x's client
 * offered that the rules allow.  1 if it did (the request then says
 * "Connection: upgrade" alone, as Squid's), 0 when nothing is offered.
 */
int upgrade_offer(struct xact *x, struct buf *out);
/*
 * forward.c: the response head in x->rep is a 101.  x becomes a tunnel
 * (the 101 goes to the client first), or fails with Squid's 502.
 */
void upgrade_switch(struct xact *x);

#endif
