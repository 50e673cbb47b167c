#ifndef CUTTLE_CONN_TLS_H
#define CUTTLE_CONN_TLS_H

struct conn;

/* https_port: set up TLS on a just-accepted connection (accept state). */
void	conn_tls_start(struct conn *);
/* https_port: go on with the handshake; on success the connection reads. */
void	conn_tls_accept(struct conn *);
/* Free the TLS state of a connection being closed. */
void	conn_tls_free(struct conn *);

#endif
