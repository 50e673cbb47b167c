/*
 * bump_cert: where a bumped client connection's certificate comes from.
 * Given the port (its CA), the host, the origin certificate to mimic if
 * any and its verification error, it decides what Squid 5.7 would ask for
 * (sslproxy_cert_sign, sslproxy_cert_adapt, sslproxy_cert_sign_hash;
 * squid-compat.md 5.3), then takes the TLS context from the worker's
 * cache, or mints the certificate in the worker (no sslcrtd_program), or
 * asks the sslcrtd helpers (sslcrtd_program), and hands back a server
 * SSL_CTX presenting it.
 */
#ifndef CUTTLE_BUMP_CERT_H
#define CUTTLE_BUMP_CERT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "tls_mint.h"

struct acl_checklist;
struct cfg;
struct cfg_port;

struct bump_cert_req {
	const struct cfg_port *port;	/* its CA, untrusted CA, cache size */
	const char *host;		/* CONNECT host or SNI: the CN/SAN when no mimic */
	X509 *mimic;			/* origin certificate to mimic, or NULL */
	int origin_error;		/* X509_V_ERR_* of the origin cert, 0 if verified/none */
	const struct acl_checklist *cl;	/* for sslproxy_cert_sign / sslproxy_cert_adapt rules */
	int use_cache;			/* 0: skip the per-worker cache (Squid: step 1 was peek/stare) */
	/*
	 * Every error the origin certificate had, those sslproxy_cert_error
	 * allowed too (tls_client_result.cert_errors): what Squid matches
	 * sslproxy_cert_sign against.  When norigin_errors is 0, origin_error
	 * alone is used.
	 */
	const int *origin_errors;
	int norigin_errors;
};

/* ctx: a new reference (SSL_CTX_free it), NULL on failure with err set. */
typedef void bump_cert_cb(void *arg, SSL_CTX *ctx, const char *err);

/*
 * Returns a handle to cancel, or NULL when cb was already called.  cb runs
 * at once for a cache hit, a certificate minted in the worker (about 1 ms
 * of the event loop for an RSA-2048 CA, 0.5 ms for P-256) and every error;
 * later, once, from the event loop when the sslcrtd helpers answer.  err is
 * valid during the call only.  The request's strings and mimic are not
 * kept past the call.
 */
struct bump_cert_wait *bump_cert_get(const struct bump_cert_req *r,
    bump_cert_cb *cb, void *arg);
/* The requester went away: cb will not run; w is freed.  Never after cb ran. */
void bump_cert_cancel(struct bump_cert_wait *w);

/*
 * The port's own certificate, key and chain as a context (a new
 * reference): what a port with generate-host-certificates=off presents,
 * and Squid's fallback when generating fails.  NULL with *err set.
 */
SSL_CTX *bump_cert_port_ctx(const struct cfg_port *port, const char **err);

/*
 * The worker's life.  init starts the sslcrtd helpers when sslcrtd_program
 * is set and some ssl-bump port generates certificates; reload keeps them
 * if their command line and children did not change, and forgets the
 * caches of ports that are gone; shutdown answers every waiting request
 * with an error, stops the helpers and frees the caches.
 */
void bump_cert_init(const struct cfg *cfg);
void bump_cert_reload(const struct cfg *cfg);
void bump_cert_shutdown(void);

/*
 * What one cache entry is counted as against dynamic_cert_mem_cache_size:
 * measured, an SSL_CTX holding a minted certificate and the CA's key takes
 * about 16 KB of heap with OpenSSL 3.0 (Squid counts 1 KB per context, so
 * the same size holds 16 times fewer contexts here, and honestly).
 */
#define BUMP_CERT_ENTRY_BYTES	(16 * 1024)

/* A port's counters in this worker (all zero for an unknown port). */
struct bump_cert_stats {
	uint64_t	 hits, misses;	/* cache lookups */
	uint64_t	 minted;	/* in the worker */
	uint64_t	 helper_requests;	/* sent to sslcrtd helpers */
	uint64_t	 collapsed;	/* joined an identical pending request */
	uint64_t	 evicted;
	uint64_t	 entries;	/* in the cache now */
	uint64_t	 max_entries;
};
void bump_cert_stats(const struct cfg_port *port, struct bump_cert_stats *st);

/*
 * The pieces, exposed for the unit tests: what a request asks for (Squid's
 * CertificateProperties) and its cache key, and the sslcrtd request line.
 */
struct bump_cert_params {
	const struct cfg_port *port;
	X509		*sign_cert;	/* the CA, or the untrusted CA (borrowed) */
	EVP_PKEY	*sign_key;	/* the CA's key (borrowed) */
	EVP_PKEY	*leaf_key;	/* minted in the worker: the key the
					   certificate carries (the worker's
					   own); NULL: the CA's */
	X509		*mimic;		/* borrowed from the request */
	const char	*cn;		/* the host, or setCommonName's value */
	int		 set_common_name, set_valid_after, set_valid_before;
	enum tls_mint_sign sign;
	const EVP_MD	*md;
	const char	*md_name;	/* as Squid sends it: "SHA256" */
	unsigned char	 key[32];	/* SHA-256 of the port's fingerprint and
					   all of the above */
};
/* Fill pp from r with the worker's rules; -1 if the port cannot sign. */
int bump_cert_params(const struct bump_cert_req *r,
    struct bump_cert_params *pp);
/*
 * "new_certificate LEN BODY\n" as Squid writes it (it holds the signing
 * key: wipe it); malloc'd, *len bytes.
 */
char *bump_cert_request(const struct bump_cert_params *pp, size_t *len);
/* The minting request for pp, as the worker mints without a helper. */
struct tls_mint_req;
void bump_cert_mint_req(const struct bump_cert_params *pp,
    struct tls_mint_req *mr);

#endif
