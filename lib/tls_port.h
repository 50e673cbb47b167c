/*
 * tls_port: the OpenSSL side of a TLS port (http_port ssl-bump,
 * https_port).  While the config loads: reading the certificate, its chain
 * and key, checking that they belong together (and that a CA signs when
 * certificates are generated), building Squid's "untrusted" CA, reading
 * the tls-dh= parameters and checking options=, cipher=, sslflags= and
 * tls-min-version=.  While serving: the server SSL_CTX that every TLS
 * context of a port starts from.  Parse functions return NULL or a
 * malloc'd error; warnings come back malloc'd through *warning.
 */
#ifndef CUTTLE_TLS_PORT_H
#define CUTTLE_TLS_PORT_H

#include <stdint.h>

#include <openssl/ssl.h>

struct cfg_port;

/*
 * Read p's tls_cert (and tls_key, or the key from the same file) into
 * p->tls_x509, tls_chain and tls_pkey, check them, build tls_untrusted
 * and tls_fingerprint.  directive names the line ("http_port").
 * running: a loaded config's ports whose objects may stand in for a file
 * this process may not read (cfg_reload), or NULL.  A CA that is
 * expired or not valid yet is only a *warning.
 */
char *tls_port_load(struct cfg_port *p, const char *directive,
    const struct cfg_port *running, char **warning);
/* Free every OpenSSL object and string of p's TLS side. */
void tls_port_free(struct cfg_port *p);

/* options=: Squid's names (and hex) separated by ':' or ','. */
char *tls_port_parse_options(const char *v, uint64_t *options,
    char **warning);
/* sslflags=: Squid's flag words into CFG_TLS_FLAG_* bits. */
char *tls_port_parse_flags(const char *v, unsigned *flags, char **warning);
/* tls-min-version=1.0|1.1|1.2|1.3 into TLS1_x_VERSION. */
char *tls_port_parse_min_version(const char *v, int *version,
    char **warning);
/* cipher=: refused when OpenSSL matches no cipher, as Squid is FATAL. */
char *tls_port_check_cipher(const char *list);
/*
 * tls-dh=[curve:]file: p->tls_dh_curve and p->tls_dh_params.  As in Squid,
 * a file or curve that does not load is a warning (DHE or that curve is
 * then not used), not an error.
 */
void tls_port_load_dh(struct cfg_port *p, const char *v, char **warning);
/* sslproxy_cert_sign_hash: the digest OpenSSL knows by name, or NULL. */
const EVP_MD *tls_port_digest(const char *name);

/*
 * A server context with p's settings (TLS 1.2 and later, options=,
 * cipher=, tls-dh=, sslflags=NO_SESSION_REUSE, sslcontext=, ALPN that
 * only ever selects http/1.1), presenting cert and key with the chain
 * certificates (may be NULL) after it.  NULL on failure (*err set,
 * malloc'd).
 */
SSL_CTX *tls_port_ctx_new(const struct cfg_port *p, X509 *cert,
    EVP_PKEY *key, X509 *const *chain, int nchain, char **err);

/*
 * p's certificate (tls_x509) alone, for clients that are to trust it: PEM
 * text (pem) or DER bytes, malloc'd, *len long.  Never the key.  NULL when
 * p has none or OpenSSL fails.
 */
char *tls_port_cert_export(const struct cfg_port *p, int pem, size_t *len);

/* What a person checks that certificate by, as text. */
struct tls_port_cert_info {
	char	 subject[256];		/* "O = Example, CN = Example CA" */
	char	 not_after[64];		/* "Jan  4 10:11:42 2027 GMT" */
	char	 sha256[96];		/* "AB:CD:...", as openssl x509 prints */
};
/* -1 when p has no certificate. */
int tls_port_cert_info(const struct cfg_port *p,
    struct tls_port_cert_info *info);

#endif
