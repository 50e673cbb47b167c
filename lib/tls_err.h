/*
 * tls_err: certificate and handshake error codes as Squid's users know
 * them.  OpenSSL gives X509_V_ERR_* numbers and one-line descriptions;
 * squid.conf (ssl_error ACLs) and error pages (%x, %D) use the macro names,
 * Squid's own codes (SQUID_X509_V_ERR_DOMAIN_MISMATCH ...), its groups
 * (ssl::certUntrusted ...) and the detail texts of its error-details.txt.
 * Shared by the ACL engine (parsing) and the worker's TLS client (naming).
 */
#ifndef CUTTLE_TLS_ERR_H
#define CUTTLE_TLS_ERR_H

#include <stddef.h>

#include <openssl/x509.h>

/*
 * Squid's own codes.  Negative, so never an X509_V_ERR_* value (those are
 * >= 0); a squid.conf number is always an OpenSSL code.
 */
#define TLS_ERR_ACCEPT			(-1)	/* SQUID_TLS_ERR_ACCEPT */
#define TLS_ERR_CONNECT			(-2)	/* SQUID_TLS_ERR_CONNECT */
#define TLS_ERR_INFINITE_VALIDATION	(-3)	/* SQUID_X509_V_ERR_INFINITE_VALIDATION */
#define TLS_ERR_CERT_CHANGE		(-4)	/* SQUID_X509_V_ERR_CERT_CHANGE */
#define TLS_ERR_DOMAIN_MISMATCH		(-5)	/* SQUID_X509_V_ERR_DOMAIN_MISMATCH */

/* The most codes one ssl_error value stands for (a group). */
#define TLS_ERR_GROUP_MAX	8

/* "X509_V_ERR_CERT_HAS_EXPIRED" for a code; NULL when it has no name. */
const char *tls_err_name(int code);
/*
 * One ssl_error ACL value: an error name, a group (ssl::certUntrusted or
 * certUntrusted) or a number.  Fills codes (up to TLS_ERR_GROUP_MAX) and
 * returns how many; -1 for a word that is none of those.
 */
int tls_err_parse(const char *word, int *codes);
/* The short description ("Certificate has expired"), never NULL. */
const char *tls_err_descr(int code);
/*
 * Squid's %D text for an error: its error-details.txt format filled with
 * what the broken certificate says (NULL: "[Not available]") and, for
 * handshake errors, the TLS library's error text (NULL: "[No Error]").
 */
void tls_err_detail(int code, X509 *broken, const char *lib_error,
    char *out, size_t len);

#endif
