/*
 * Where a bumped connection's certificate comes from: an SSL_CTX that
 * presents a certificate for a host, minted as Squid mints it (lib
 * tls_mint) by the worker or by the sslcrtd_program helpers, and cached
 * per worker.
 */
#ifndef CUTTLE_BUMP_CERT_H
#define CUTTLE_BUMP_CERT_H

#include <openssl/ssl.h>
#include <openssl/x509.h>

struct cfg_port;
struct acl_checklist;

struct bump_cert_req {
	const struct cfg_port *port;	/* its CA, untrusted CA, cache size */
	const char *host;		/* CONNECT host or SNI: CN/SAN without a mimic */
	X509 *mimic;			/* origin certificate to mimic, or NULL */
	int origin_error;		/* X509_V_ERR_* of the origin cert, 0 if verified/none */
	const struct acl_checklist *cl;	/* for sslproxy_cert_sign / _adapt */
	int use_cache;			/* 0: skip the cache (step 1 was peek/stare) */
};

struct bump_cert_wait;

/* ctx: a new reference (SSL_CTX_free it), NULL on failure with err set. */
typedef void bump_cert_cb(void *arg, SSL_CTX *ctx, const char *err);
/* Returns a handle to cancel, or NULL when cb was already called. */
struct bump_cert_wait *bump_cert_get(const struct bump_cert_req *r,
    bump_cert_cb *cb, void *arg);
void bump_cert_cancel(struct bump_cert_wait *w);

#endif
