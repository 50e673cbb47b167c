/*
 * The TLS layer under a client connection: an https_port's handshake
 * before the first request, and the TLS state a connection owns (its SSL,
 * and what a bump learned: authority, SNI, server certificate, error).
 * conn.c calls in here only for connections that have TLS.
 *
 * In DESIGN.md's data flow: accept - client connection (TLS below HTTP parse).
 */
#include "config.h"
#include "conn_tls.h"
#include "bump_cert.h"
#include "cfg.h"
#include "conn.h"
#include "log.h"
#include "tls_io.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdlib.h>

/*
 * https_port: TLS with the client before its first request, under the
 * port's own certificate; request_start_timeout bounds the handshake.
 */
void
conn_tls_accept(struct conn *c)
{
	char err[256];
	int r;

	ERR_clear_error();
	r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		c->tls_accepting = 0;
		conn_want(c, CONN_WANT_READ);
		return;
	}
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		conn_want(c, CONN_WANT_READ);
		return;
	case SSL_ERROR_WANT_WRITE:
		conn_want(c, CONN_WANT_WRITE);
		return;
	default:
		tls_io_error(err, sizeof(err));
		log_debug(33, 2, "%s: TLS handshake with a client failed: %s",
		    c->port->spec, err[0] ? err : "connection closed");
		conn_close(c);
	}
}

void
conn_tls_start(struct conn *c)
{
	const char *err = NULL;
	SSL_CTX *ctx = bump_cert_port_ctx(c->port, &err);

	if (ctx == NULL || (c->ssl = SSL_new(ctx)) == NULL ||
	    tls_io_set_fd(c->ssl, c->fd, NULL, 0) == -1) {
		log_warnx("%s: cannot start TLS with a client: %s",
		    c->port->spec, err != NULL ? err : "out of memory");
		SSL_CTX_free(ctx);
		conn_close(c);
		return;
	}
	SSL_CTX_free(ctx);
	tls_io_setup(c->ssl);
	SSL_set_accept_state(c->ssl);
	c->tls_accepting = 1;
}

/*
 * A TLS client reading to the end must see close_notify before the FIN:
 * without it OpenSSL 3 clients (curl) report "unexpected eof while
 * reading" and may take a close-delimited body for a truncated one.
 */
void
conn_tls_close_notify(struct conn *c)
{
	if (c->ssl == NULL || !SSL_is_init_finished(c->ssl) ||
	    (SSL_get_shutdown(c->ssl) & SSL_SENT_SHUTDOWN))
		return;
	ERR_clear_error();
	SSL_shutdown(c->ssl);
	ERR_clear_error();
}

/* Everything TLS a closing connection owns. */
void
conn_tls_free_state(struct conn *c)
{
	if (c->ssl != NULL) {
		/* not after the FIN: it would only meet EPIPE */
		if (!c->lingering)
			conn_tls_close_notify(c);
		SSL_free(c->ssl);
	}
	free(c->tls_authority);
	free(c->tls_sni);
	X509_free(c->tls_server_cert);
	free(c->tls_error);
}
