/*
 * tls_mint: makes the certificate a bumped connection presents, exactly as
 * Squid 5.7's certificate generator does, so that a certificate minted by
 * the worker, by our security_file_certgen or by Squid's own helper is the
 * same byte for byte for the same CA and inputs.  The caller gives the
 * signing CA (certificate and key), the host, an optional origin
 * certificate to mimic and the sslcrtd adaptations; it gets back an X509
 * and the key that goes with it (the CA's own key pair, as Squid reuses it,
 * or the leaf key the caller gives: ssl_bump_cert_key ecdsa).
 * Also here: the PEM reading and writing the sslcrtd protocol needs.
 */
#ifndef CUTTLE_TLS_MINT_H
#define CUTTLE_TLS_MINT_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* sslproxy_cert_sign algorithms, in Squid's order. */
enum tls_mint_sign {
	TLS_MINT_SIGN_TRUSTED,
	TLS_MINT_SIGN_UNTRUSTED,
	TLS_MINT_SIGN_SELF
};

struct tls_mint_req {
	X509		*ca_cert;	/* signing certificate (NULL: none) */
	EVP_PKEY	*ca_key;	/* its key; NULL: a fresh RSA key */
	EVP_PKEY	*leaf_key;	/* the certificate's own key; NULL: as
					   Squid, the CA's (or a fresh RSA) */
	X509		*mimic;		/* origin certificate, or NULL */
	const char	*cn;		/* host, or the setCommonName value */
	int		 set_common_name;
	int		 set_valid_after;	/* notAfter := CA notAfter */
	int		 set_valid_before;	/* notBefore := CA notBefore */
	enum tls_mint_sign sign;
	const EVP_MD	*md;		/* SignHash; NULL: SHA256 */
};

/*
 * Mint the certificate.  Returns NULL on failure; on success *key holds a
 * new reference to the certificate's key (the CA key when one was given).
 */
X509 *tls_mint(const struct tls_mint_req *req, EVP_PKEY **key);

/*
 * A new ECDSA P-256 key for minted certificates: a handshake then costs
 * an ECDSA signature (tens of microseconds) instead of the CA's RSA one
 * (0.3 ms at 2048 bits, over 2 ms at 4096).
 */
EVP_PKEY *tls_mint_new_ec(void);

/* "signTrusted" ... for an enum value; the enum for a name or -1. */
const char *tls_mint_sign_name(enum tls_mint_sign sign);
int tls_mint_sign_parse(const char *name);

/*
 * The CN Squid writes for a host: over 64 characters it becomes "*" and
 * the longest dot-suffix that fits and is not a bare TLD; brackets around
 * an IPv6 literal are stripped.  Returns a malloc'd string, or NULL when no
 * acceptable CN exists (the certificate then has none).
 */
char *tls_mint_cn(const char *host);

/* The serial Squid derives from a SHA-1 digest: never 0, bit 159 clear. */
BIGNUM *tls_mint_serial_from_sha1(const unsigned char md[20]);

/*
 * PEM helpers for the sslcrtd request and reply.  tls_mint_read_signing
 * reads the certificate and key at the start of text, and the mimic
 * certificate that begins at the second "-----BEGIN CERTIFICATE"
 * (*mimic stays NULL if there is none or it does not parse).  Returns -1
 * if the signing certificate or key is missing or broken.
 */
struct tls_key_memo;
int tls_mint_read_signing(const char *text, struct tls_key_memo *memo,
    X509 **cert, EVP_PKEY **key, X509 **mimic);
/*
 * The last private key read (memo may be NULL: none).  Every sslcrtd
 * request carries the CA key, and with Squid's signing every reply
 * carries it back: decoding that PEM again each time cost the worker
 * about 0.6 ms per new certificate.  Only the same PEM text, compared
 * whole, reuses the key.
 */
struct tls_key_memo {
	char		*pem;
	size_t		 len;
	EVP_PKEY	*key;
};
void tls_key_memo_clear(struct tls_key_memo *memo);
/* Certificate PEM then PKCS#8 key PEM, malloc'd, length in *len. */
char *tls_mint_pem(X509 *cert, EVP_PKEY *key, size_t *len);

#endif
