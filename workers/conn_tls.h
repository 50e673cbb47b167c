#ifndef CUTTLE_CONN_TLS_H
#define CUTTLE_CONN_TLS_H

#include <stddef.h>

#include "conn.h"

/* https_port: set up TLS on a just-accepted connection (accept state). */
void	conn_tls_start(struct conn *);
/* https_port: go on with the handshake; on success the connection reads. */
void	conn_tls_accept(struct conn *);
void	conn_tls_free_state(struct conn *);
/* Send close_notify, before the TCP half-close that ends the connection. */
void	conn_tls_close_notify(struct conn *);
/*
 * Free the TLS state of a connection being closed.  The test is inline: a
 * plain connection (no https_port, no bump) does not enter conn_tls.c.
 */
static inline void
conn_tls_free(struct conn *c)
{
	if (c->ssl != NULL || c->tls_authority != NULL || c->tls_sni != NULL ||
	    c->tls_server_cert != NULL || c->tls_error != NULL)
		conn_tls_free_state(c);
}

#endif
