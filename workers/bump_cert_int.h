#ifndef CUTTLE_BUMP_CERT_INT_H
#define CUTTLE_BUMP_CERT_INT_H

/* bump_cert.c and its context cache (bump_cert_cache.c) */

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "bump_cert.h"

struct cfg;
struct cfg_port;

struct bump_cert_entry {
	unsigned char	 key[32];
	SSL_CTX		*ctx;
	struct bump_cert_entry *hnext;	/* same bucket */
	struct bump_cert_entry *newer, *older;	/* LRU order */
};

/* One port's contexts in this worker, found by the port's name. */
struct bump_cert_cache {
	char		*name;
	size_t		 max_entries;
	size_t		 count;
	struct bump_cert_entry **buckets;
	size_t		 nbuckets;	/* a power of two */
	struct bump_cert_entry *newest, *oldest;
	SSL_CTX		*port_ctx;	/* the port's own certificate */
	unsigned char	 port_fp[32];	/* what port_ctx was made from */
	struct bump_cert_stats stats;
	struct bump_cert_cache *next;
};

/* The cache named name, or NULL. */
struct bump_cert_cache *bump_cert_cache_find(const char *name);
/* The port's cache in this worker, made on first use, sized as it says. */
struct bump_cert_cache *bump_cert_cache_for(const struct cfg_port *port);
/* A new reference to the cached context for key, or NULL. */
SSL_CTX *bump_cert_cache_get(struct bump_cert_cache *c,
    const unsigned char *key);
/* Keep ctx (a reference of the cache's own) under key. */
void bump_cert_cache_put(struct bump_cert_cache *c, const unsigned char *key,
    SSL_CTX *ctx);
/* Drop the caches of ports cfg no longer has. */
void bump_cert_cache_prune(const struct cfg *cfg);
void bump_cert_cache_free_all(void);

#endif
