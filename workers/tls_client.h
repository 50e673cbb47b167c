/*
 * tls_client: TLS from the worker to origin servers (Squid's
 * tls_outgoing_options side), for https:// requests forwarded from a plain
 * port and the server side of SslBump, and to cache_peers with tls.  One
 * SSL_CTX per worker is built from tls_outgoing_options, and one per tls
 * cache_peer from its options; each handshake is driven by the
 * server socket's events, verifies the certificate chain and the host
 * name, lets sslproxy_cert_error allow an error, offers a session kept
 * from an earlier connection to the same host:port, and reports to a
 * callback.  Once it succeeds, s->ssl carries the connection and tls_io.c
 * moves its bytes: the caller goes on exactly as over plain TCP.
 */
#ifndef CUTTLE_TLS_CLIENT_H
#define CUTTLE_TLS_CLIENT_H

#include <openssl/ssl.h>
#include <openssl/x509.h>

struct cfg;
struct cfg_peer;
struct srv;
struct xact;

/* The most certificate errors a result keeps (duplicates are dropped). */
#define TLS_CLIENT_MAX_ERRORS	8

/* What a handshake came to.  Valid only during the callback. */
struct tls_client_result {
	int		 ok;		/* s->ssl is ready for tls_io */
	int		 timed_out;	/* connect_timeout expired */
	int		 resumed;	/* an earlier session was resumed */
	/*
	 * The server's certificate and the chain it sent (leaf first), with
	 * a reference each, when it got that far; NULL otherwise.  They are
	 * freed after the callback returns: a callback that keeps one sets
	 * the field to NULL and frees it itself (X509_free,
	 * sk_X509_pop_free(chain, X509_free)).
	 */
	X509		*cert;
	STACK_OF(X509)	*chain;
	/*
	 * The certificate error that ended the handshake (X509_V_ERR_* or a
	 * tls_err.h TLS_ERR_* code, SQUID_X509_V_ERR_DOMAIN_MISMATCH among
	 * them), 0 when none did; its name, or NULL.
	 */
	int		 verify_err;
	const char	*verify_err_name;
	/* every certificate error seen, allowed ones too (sslproxy_cert_sign) */
	int		 cert_errors[TLS_CLIENT_MAX_ERRORS];
	int		 ncert_errors;
	int		 sys_errno;	/* ECONNRESET, ETIMEDOUT ...; 0 none */
	/* for cache.log: "certificate verify failed: self-signed
	 * certificate (X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT)" ... */
	char		 cause[320];
	/* Squid's error page codes: %x ("X509_V_ERR_CERT_HAS_EXPIRED+
	 * broken_cert") and %D ("SSL Certificate expired on: ...") */
	char		 err_code[128];
	char		 err_detail[512];
};

/*
 * s is still the caller's: x->srv is cleared before the call, and the
 * callback puts s back in use (r->ok) or closes it with srv_close (it
 * must, on failure).  x is alive, or NULL when none started it (a
 * cache_peer's standby connection).
 */
typedef void tls_client_cb(struct xact *x, struct srv *s,
    struct tls_client_result *r);

/* Build the worker's client context from cfg (at worker start). */
void tls_client_init(const struct cfg *cfg);
/*
 * -N reload: a changed tls_outgoing_options builds a new context and drops
 * the kept sessions and the pooled TLS connections made under the old one.
 */
void tls_client_reload(const struct cfg *fresh);
/*
 * Start TLS on s, a connected server socket x is dialing for (x->srv must
 * be s).  sni_host is the name to send as SNI (not when it is an IP
 * literal) and to check the certificate against (the IP for an IP);
 * cb is called once, maybe before this returns.  The handshake is
 * bounded by connect_timeout (and what is left of forward_timeout).
 * While it runs, x->srv is s: if x ends meanwhile, srv_close(s) cancels
 * it without a callback.
 */
void tls_client_start(struct xact *x, struct srv *s, const char *sni_host,
    tls_client_cb *cb);
/*
 * The same to a cache_peer with tls: its own context (built at start and
 * reload from its tls- options), its ssldomain= (the host by default) as
 * SNI and the name checked, its connect timeout.  x may be NULL (a
 * standby connection; sslproxy_cert_error then allows nothing).
 */
void tls_client_start_peer(struct xact *x, struct srv *s,
    const struct cfg_peer *p, tls_client_cb *cb);
/* The pool key (srv tls_host) of TLS connections to p; free it. */
char *tls_client_peer_key(const struct cfg_peer *p);
#endif
